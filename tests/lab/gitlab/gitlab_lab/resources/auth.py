"""Authentication as lib/api/helpers.rb and the API guard do it: PAT or OAuth token, then the admin check."""

import time

from ..params import ApiError

ACCESS_TOKEN_LIFETIME = 7200
EXPIRED_TEXT = "Token is expired. You can either do re-authorization or token refresh."
REVOKED_TEXT = "Token was revoked. You have to re-authorize from the user."
INSUFFICIENT_SCOPE_TEXT = "The request requires higher privileges than provided by the access token."


def request_token(ctx):
    """(token, how): "private" for PRIVATE-TOKEN or private_token, "oauth" for a Bearer header or access_token."""
    token = ctx.header("PRIVATE-TOKEN") or ctx.params.get("private_token")
    if token:
        return token, "private"
    authorization = ctx.header("Authorization") or ""
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip(), "oauth"
    return ctx.params.get("access_token"), "oauth"


def authenticate(ctx, admin):
    """Sets ctx.user or raises the 401/403 GitLab answers."""
    token, how = request_token(ctx)
    unauthorized = ApiError(401, {"message": "401 Unauthorized"})
    if not token or not isinstance(token, str):
        raise unauthorized
    state = ctx.state
    scopes = None
    # Up to GitLab 11.x a token from the OAuth places (Bearer, access_token) is looked up only as an OAuth token
    # (lib/gitlab/auth/user_auth_finders.rb, find_personal_access_token reads only private_token/PRIVATE-TOKEN).
    pat_allowed = how == "private" or ctx.profile.has("bearer_personal_access_token")
    if token in state.pats and pat_allowed:
        pat = state.pats[token]
        status, user_id = pat["state"], pat["user_id"]
    elif token in state.access_tokens:
        record = state.access_tokens[token]
        status = record["state"]
        if status == "active" and time.time() > record["created_at"] + ACCESS_TOKEN_LIFETIME:
            status = "expired"
        user_id, scopes = record["user_id"], record["scopes"]
    else:
        raise unauthorized
    if status in ("expired", "revoked"):
        text = EXPIRED_TEXT if status == "expired" else REVOKED_TEXT
        raise ApiError(
            401,
            {"error": "invalid_token", "error_description": text},
            {"WWW-Authenticate": 'Bearer realm="Protected by OAuth 2.0", error="invalid_token", error_description="%s"' % text},
        )
    user = state.users.get(user_id)
    if user is None or user["state"] != "active":
        raise unauthorized
    if scopes is not None:
        needed = {"api"}
        if ctx.method in ("GET", "HEAD"):
            needed.add("read_api")
        if ctx.path.rstrip("/") == "/api/v4/user":
            needed.add("read_user")
        if not needed & set(scopes):
            raise ApiError(403, {"error": "insufficient_scope", "error_description": INSUFFICIENT_SCOPE_TEXT, "scope": " ".join(sorted(needed))})
    if admin and not user["is_admin"]:
        raise ApiError(403, {"message": "403 Forbidden"})
    ctx.user = user


def signed_in_user(ctx):
    """The signed-in user for /oauth/authorize (no browser sessions in the lab: the token's user)."""
    try:
        authenticate(ctx, False)
    except ApiError:
        return None
    return ctx.user
