"""System hook deliveries: prepared under the lock, sent after it (synchronously, 2 s timeout)."""

import http.client
import json
import os
import ssl
import uuid
from urllib.parse import urlsplit

DELIVERY_TIMEOUT = 2.0
# Omnibus GitLab trusts the CA certificates an administrator puts in /etc/gitlab/trusted-certs besides its bundle
# (doc/settings/ssl: "Install custom public certificates"); the lab reads them there on every delivery, so a test can
# add its CA to a running container (docker cp).
TRUSTED_CERTS_DIR = os.environ.get("GITLAB_LAB_TRUSTED_CERTS", "/etc/gitlab/trusted-certs")
# lib/api/system_hooks.rb: the mock data a test of a system hook sends and answers.
HOOK_TEST_DATA = {
    "event_name": "project_create",
    "name": "Ruby",
    "path": "ruby",
    "project_id": 1,
    "owner_name": "Someone",
    "owner_email": "example@gitlabhq.com",
}


def prepare(profile, hooks, payload, base_url):
    """One delivery per hook, with the headers this release sends."""
    event_uuid = str(uuid.uuid4())
    extra = profile.delivery_header_names()
    prepared = []
    for hook in hooks:
        headers = {"Content-Type": "application/json", "User-Agent": "GitLab/%s" % profile.version, "X-Gitlab-Event": "System Hook"}
        if hook["token"]:
            headers["X-Gitlab-Token"] = hook["token"]
        values = {"X-Gitlab-Instance": base_url, "X-Gitlab-Event-UUID": event_uuid}
        for name in extra:
            headers[name] = values.get(name) or str(uuid.uuid4())
        for item in hook["custom_headers"]:
            headers[item["key"]] = item["value"]
        prepared.append(
            {
                "hook_id": hook["id"],
                "url": hook["url"],
                "event_name": payload["event_name"],
                "headers": headers,
                "payload": dict(payload),
                "verify": hook["enable_ssl_verification"],
            }
        )
    return prepared


def send(state, prepared):
    """Send each delivery and record it in the state's delivery log."""
    for delivery in prepared:
        record = dict(delivery, status=None)
        verify = record.pop("verify")
        try:
            record["status"] = post_json(delivery["url"], delivery["headers"], delivery["payload"], verify)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            record["error"] = str(exc) or exc.__class__.__name__
        with state.lock:
            state.deliveries.append(record)


def post_json(url, headers, payload, verify):
    """POST like GitLab's hook client: header names sent exactly as written; answers the status."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        # Verified as GitLab verifies with enable_ssl_verification (Gitlab::HTTP, the system store and trusted-certs):
        # chain and host name; off only where the hook says so.
        context = ssl.create_default_context()
        for name in sorted(os.listdir(TRUSTED_CERTS_DIR)) if os.path.isdir(TRUSTED_CERTS_DIR) else []:
            if name.endswith((".pem", ".crt")):
                context.load_verify_locations(cafile=os.path.join(TRUSTED_CERTS_DIR, name))
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=DELIVERY_TIMEOUT, context=context)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=DELIVERY_TIMEOUT)
    data = json.dumps(payload, separators=(",", ":")).encode()
    target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    try:
        connection.putrequest("POST", target, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(data)))
        connection.endheaders(data)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()
