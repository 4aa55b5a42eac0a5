"""The lab's fixed tokens. Everything that needs them imports them from here."""

ADMIN_TOKEN = "glpat-lab-admin-9f4c2e7a1b3d"
USER_TOKEN = "glpat-lab-user-5e8d1c3b7a2f"
EXPIRED_TOKEN = "glpat-lab-expired-3a6b9c1d4e7f"
REVOKED_TOKEN = "glpat-lab-revoked-8b2e5f1a9c4d"

# token -> (user id, state)
PERSONAL_ACCESS_TOKENS = {
    ADMIN_TOKEN: (1, "active"),
    USER_TOKEN: (2, "active"),
    EXPIRED_TOKEN: (1, "expired"),
    REVOKED_TOKEN: (1, "revoked"),
}

# Passwords of the lab's seeded users, for the browser sign-in form (/users/sign_in).
# root's is the one GitLab's own seeds gave the first administrator before 10.x.
USER_PASSWORDS = {
    "root": "5iveL!fe",
    "labuser": "labuser-password",
}
