"""End to end through the deployed stack: site.yml against the lab GitLab in a container, then a person signs in
with GitLab in Chromium, GitLab's user events create and remove users in Koding's team, and both still work after
the credentials file is lost and site.yml runs again. The tests run in this file's order, on one stack per profile.
"""

import datetime
import json
import os
import re
import secrets
import shutil
import ssl
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .browser import sign_in_with_gitlab
from .stack import ROOT, TEAM, wait_for

# Set by the first tests, read by the later ones.
SEEN = {}


def summary_line(output):
    found = re.findall(r'"msg": "(verify: \d+ passed, \d+ failed[^"]*)"', output)
    return found[-1] if found else None


def deploy(stack, label):
    status, output = stack.playbook("site.yml", label)
    assert status == 0, "site.yml failed (%s); see %s" % (label, stack.output)
    return output


def served_by_pebble(stack, name):
    """The certificate the front serves for NAME once it verifies against Pebble's root alone, else None."""
    try:
        return stack.served_certificate(name)
    except (ssl.SSLError, OSError):
        return None


def test_deploy(stack, log):
    log(
        "profile %s: GitLab at %s (containers: %s), Koding at %s (TLS: %s)"
        % (stack.profile, stack.gitlab_url, stack.gitlab_container_url, stack.team_url, stack.tls_mode)
    )
    deploy(stack, "site-first")
    if stack.tls_mode == "acme":
        # Caddy asks Pebble in the background once the front starts: wait for the certificates, not for a time.
        for name in stack.public_names:
            der = wait_for(lambda name=name: served_by_pebble(stack, name), "Pebble's certificate for %s" % name)
            assert "Pebble" in issuer_name(der), issuer_name(der)
            # Caddy's ACME issuer, not its local CA (which it would use for *.localhost by default).
            assert not stack.front_storage(name).endswith("/local"), stack.front_storage(name)
    env = stack.koding_env()
    # Koding reaches GitLab by its container name, the modules by 127.0.0.1.
    assert "%s:%s" % (env["KONFIG_GITLAB_HOST"], env["KONFIG_GITLAB_PORT"]) == stack.gitlab_container_url.split("//")[1]
    hooks = stack.gitlab("GET", "/hooks").json()
    assert [hook["url"] for hook in hooks] == [stack.koding_url + "/-/api/gitlab"]
    # GitLab checks Koding's certificate on every delivery (the lab GitLab as GitLab does: tests/lab/gitlab).
    assert [hook["enable_ssl_verification"] for hook in hooks] == [True]
    SEEN["hook_token"] = env["KONFIG_GITLAB_SYSTEMHOOKTOKEN"]
    SEEN["application_secret"] = env["KONFIG_GITLAB_APPLICATIONSECRET"]


def test_verify_passes(stack):
    status, output = stack.playbook("verify.yml", "verify")
    line = summary_line(output)
    assert status == 0 and line and line.endswith(" 0 failed"), "verify: %s (see %s)" % (line, stack.output)


def test_sign_in_with_gitlab_in_a_browser(stack, log):
    client_id, shots = sign_in_with_gitlab(stack, "labuser", "labuser-password", "%s-sign-in" % stack.profile, log)
    assert stack.session_of(client_id) == ("labuser", TEAM)
    assert "labuser" in stack.team_members()
    assert stack.koding_user("labuser")[2] == "2"  # linked to GitLab user 2
    SEEN["screenshots"] = shots


def test_user_create_and_destroy_hooks(stack):
    stack.gitlab_control("DELETE", "deliveries")
    user = stack.create_gitlab_user("hookuser-%s" % stack.profile, secrets.token_urlsafe(12))
    delivered = wait_for(lambda: stack.deliveries("user_create"), "the user_create delivery")
    assert [(item["url"], item["status"]) for item in delivered] == [(stack.koding_url + "/-/api/gitlab", 200)]
    assert user["username"] in stack.team_members()
    assert stack.koding_user(user["username"])[1] == user["email"]

    assert stack.gitlab("DELETE", "/users/%d" % user["id"]).status_code == 204
    delivered = wait_for(lambda: stack.deliveries("user_destroy"), "the user_destroy delivery")
    assert [(item["url"], item["status"]) for item in delivered] == [(stack.koding_url + "/-/api/gitlab", 200)]
    assert stack.koding_user(user["username"]) is None
    assert user["username"] not in stack.team_members()


def test_delivery_with_a_wrong_token_is_refused(stack):
    username = "intruder-%s" % stack.profile
    payload = {"event_name": "user_create", "username": username, "email": "%s@example.com" % username, "name": "Intruder", "user_id": 999}
    members = stack.team_members()
    status, body = stack.deliver(payload, "not-" + SEEN["hook_token"][:6])
    assert status == 403 and json.loads(body) == {"error": "not valid"}, (status, body)
    assert stack.koding_user(username) is None
    assert stack.team_members() == members


def days_left(der):
    not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
    return (not_after - datetime.datetime.now(datetime.timezone.utc)).days


def issuer_name(der):
    return x509.load_der_x509_certificate(der).issuer.rfc4514_string()


def serial(der):
    return x509.load_der_x509_certificate(der).serial_number


def container_id(stack, service):
    return subprocess.run(["docker", "inspect", "-f", "{{.Id}}", stack.container(service)], capture_output=True, text=True, check=True).stdout


def short_lived_certificate(name):
    """A certificate for NAME and its key (PEM): a 30-day lifetime with 2 days left, so within the last third of its
    lifetime, where Caddy renews a certificate it loads. Self-signed: Caddy checks the key and the dates, not the CA."""
    now = datetime.datetime.now(datetime.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=28))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def put_in_front_storage(stack, path, data):
    """Writes DATA (mode 0600) at PATH in the front's container, on the tls_data volume."""
    subprocess.run(["docker", "exec", "-i", stack.container("tls"), "sh", "-c", 'umask 077 && cat > "$1"', "sh", path], input=data, check=True)


def assert_user_create_delivered(stack, prefix):
    """GitLab delivers a new user's user_create to the front, verifying its certificate."""
    stack.gitlab_control("DELETE", "deliveries")
    user = stack.create_gitlab_user("%s-%s" % (prefix, stack.profile), secrets.token_urlsafe(12))
    delivered = wait_for(lambda: stack.deliveries("user_create"), "the user_create delivery (%s)" % prefix)
    assert [(item["url"], item["status"]) for item in delivered] == [(stack.koding_url + "/-/api/gitlab", 200)]
    assert user["username"] in stack.team_members()


def test_acme_renewal_forced_by_a_short_lived_certificate(stack):
    """koding_tls: acme. Pebble has no setting for a certificate's lifetime: a short-lived certificate takes the place
    of the issued one in Caddy's storage and the front alone is restarted, without Ansible. Caddy renews it through
    Pebble by itself; verify no longer warns and GitLab still delivers with verification on."""
    if stack.tls_mode != "acme":
        pytest.skip("the ACME renewal runs where the front obtains its certificates from Pebble (the modern profile)")
    issued = {name: stack.served_certificate(name) for name in stack.public_names}
    backend, front = container_id(stack, "backend"), container_id(stack, "tls")
    for name in stack.public_names:
        certificate, key = short_lived_certificate(name)
        stored = "%s/%s" % (stack.front_storage(name), name)
        put_in_front_storage(stack, stored + ".key", key)
        put_in_front_storage(stack, stored + ".crt", certificate)
    compose_file = os.path.join(stack.lab_dir, "stack", "compose.yml")
    subprocess.run(["docker", "compose", "-p", stack.project, "-f", compose_file, "restart", "tls"], capture_output=True, check=True)

    # The short-lived certificate verifies against no trusted root: the condition holds once Caddy serves a renewed one.
    def renewed(name):
        der = served_by_pebble(stack, name)
        return der if der and serial(der) != serial(issued[name]) else None

    for name in stack.public_names:
        der = wait_for(lambda name=name: renewed(name), "Caddy's renewal of %s through Pebble" % name)
        assert "Pebble" in issuer_name(der) and days_left(der) > 300, (issuer_name(der), days_left(der))
    # The front was restarted, not re-created, and nothing else was touched.
    assert (container_id(stack, "backend"), container_id(stack, "tls")) == (backend, front)
    status, output = stack.playbook("verify.yml", "verify-acme-renewed")
    assert status == 0 and "renew it soon" not in output, summary_line(output)
    assert_user_create_delivered(stack, "renewed")


def test_renewal_of_the_operators_certificate(stack):
    """koding_tls: files. The front was deployed with a certificate that expires in 5 days: verify warns, the operator
    gives the renewed one, site.yml re-creates the front alone, and the browser's and GitLab's trust carries over."""
    if stack.tls_mode != "files":
        pytest.skip("the operator's certificate is renewed where the front serves it (the legacy profile)")
    before = stack.served_certificate()
    assert days_left(before) <= 5
    status, output = stack.playbook("verify.yml", "verify-short-certificate")
    assert status == 0 and "renew it soon" in output, summary_line(output)
    backend = container_id(stack, "backend")

    stack.certificate = "renewed.pem"
    deploy(stack, "site-renewal")
    after = stack.served_certificate()
    assert after != before and days_left(after) > 20
    assert stack.served_certificate("%s.koding.localhost" % TEAM) == after
    # Only the front was re-created.
    assert container_id(stack, "backend") == backend
    status, output = stack.playbook("verify.yml", "verify-renewed")
    assert status == 0 and "renew it soon" not in output, summary_line(output)
    assert_user_create_delivered(stack, "renewed")


def failed_checks(line):
    """The names verify's summary line gives for the failed checks."""
    found = re.search(r"failed \(([^)]*)\)$", line or "")
    return sorted(name.strip() for name in found.group(1).split(",")) if found else []


def break_hook(stack):
    hook = stack.gitlab("GET", "/hooks").json()[0]
    assert stack.gitlab("DELETE", "/hooks/%d" % hook["id"]).status_code == 204

    def repair():
        token = stack.koding_env()["KONFIG_GITLAB_SYSTEMHOOKTOKEN"]
        assert stack.gitlab("POST", "/hooks", data={"url": hook["url"], "token": token}).status_code == 201

    return repair


def break_team(stack):
    members = stack.sql("SELECT username, role FROM lab_members WHERE team = :'p0';\n", TEAM)
    title = stack.sql("SELECT title FROM lab_teams WHERE slug = :'p0';\n", TEAM)[0][0]
    stack.sql("DELETE FROM lab_teams WHERE slug = :'p0';\n", TEAM)

    def repair():
        stack.sql("INSERT INTO lab_teams (slug, title) VALUES (:'p0', :'p1');\n", TEAM, title)
        for username, role in members:
            stack.sql("INSERT INTO lab_members (team, username, role) VALUES (:'p0', :'p1', :'p2');\n", TEAM, username, role)

    return repair


def break_stored_hook_token(stack):
    """The token kept in the credentials file no longer matches Koding's (a stale token after a recovery elsewhere)."""
    with open(stack.credentials_path, encoding="utf-8") as handle:
        original = handle.read()
    stored = json.loads(original)
    stored["system_hook_token"] = "stale" + secrets.token_hex(12)
    with open(stack.credentials_path, "w", encoding="utf-8") as handle:
        json.dump(stored, handle)

    def repair():
        with open(stack.credentials_path, "w", encoding="utf-8") as handle:
            handle.write(original)

    return repair


def break_route_to_gitlab(stack):
    """The backend leaves the network GitLab is on."""
    backend = stack.container("backend")
    subprocess.run(["docker", "network", "disconnect", stack.network, backend], check=True)

    def repair():
        # Behind the TLS front the names are the front's; the backend is on the network only to reach GitLab.
        aliases = [] if stack.tls_dir else ["--alias", "koding.localhost", "--alias", "%s.koding.localhost" % TEAM]
        subprocess.run(["docker", "network", "connect"] + aliases + [stack.network, backend], check=True)

    return repair


def break_koding_settings(stack):
    """GitLab 8.13-11.4: the Koding link in GitLab's settings points elsewhere."""
    before = stack.gitlab("GET", "/application/settings").json()["koding_url"]
    assert stack.gitlab("PUT", "/application/settings", data={"koding_url": "http://elsewhere.koding.localhost"}).status_code == 200

    def repair():
        assert stack.gitlab("PUT", "/application/settings", data={"koding_url": before}).status_code == 200

    return repair


BREAKS = [
    ("system_hook", break_hook, None),
    ("team", break_team, None),
    ("system_hook_token", break_stored_hook_token, None),
    ("koding_reaches_gitlab", break_route_to_gitlab, None),
    ("koding_settings", break_koding_settings, "legacy"),
]


@pytest.mark.parametrize("link, breaker, only_on", BREAKS, ids=[item[0] for item in BREAKS])
def test_verify_names_the_broken_link(stack, link, breaker, only_on):
    if only_on and stack.profile != only_on:
        pytest.skip("%s can only be broken on the %s profile" % (link, only_on))
    repair = breaker(stack)
    try:
        status, output = stack.playbook("verify.yml", "verify-broken-%s" % link)
    finally:
        repair()
    line = summary_line(output)
    assert status != 0, "verify passed with %s broken" % link
    assert failed_checks(line) == [link], line


def test_verify_passes_again_after_the_repairs(stack):
    status, output = stack.playbook("verify.yml", "verify-repaired")
    assert status == 0, summary_line(output)


def test_after_recovery_both_flows_still_work(stack, log):
    os.remove(stack.credentials_path)
    deploy(stack, "site-recovery")
    env = stack.koding_env()
    assert env["KONFIG_GITLAB_SYSTEMHOOKTOKEN"] != SEEN["hook_token"]
    assert env["KONFIG_GITLAB_APPLICATIONSECRET"] != SEEN["application_secret"]
    hooks = stack.gitlab("GET", "/hooks").json()
    assert [hook["url"] for hook in hooks] == [stack.koding_url + "/-/api/gitlab"]
    status, output = stack.playbook("verify.yml", "verify-recovery")
    assert status == 0, "verify after recovery: %s" % summary_line(output)

    # A new GitLab user: the hook brings them into the team, then they sign in with GitLab.
    stack.gitlab_control("DELETE", "deliveries")
    password = secrets.token_urlsafe(12)
    user = stack.create_gitlab_user("after-%s" % stack.profile, password)
    wait_for(lambda: stack.deliveries("user_create"), "the user_create delivery after recovery")
    assert [item["status"] for item in stack.deliveries("user_create")] == [200]
    assert user["username"] in stack.team_members()
    client_id, _shots = sign_in_with_gitlab(stack, user["username"], password, "%s-recovery" % stack.profile, log)
    assert stack.session_of(client_id) == (user["username"], TEAM)
    # The old token no longer opens the door.
    status, _body = stack.deliver({"event_name": "user_create", "username": "stale-token", "email": "stale@example.com"}, SEEN["hook_token"])
    assert status == 403
    assert stack.koding_user("stale-token") is None


def test_screenshot_for_the_readme(stack):
    """The modern profile's authorize step is the README's picture of the sign-in."""
    if stack.profile != "modern" or not SEEN.get("screenshots"):
        pytest.skip("the README's screenshot comes from the modern profile's sign-in")
    authorize = next(path for path in SEEN["screenshots"] if path.endswith("-3-gitlab-authorize.png"))
    target = os.path.join(os.environ.get("E2E_DOCS_IMAGES", os.path.join(ROOT, "tests", "output", "e2e")), "sign-in-with-gitlab.png")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(authorize, target)
