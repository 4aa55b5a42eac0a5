"""Lab GitLab: the part of GitLab's REST API v4 and OAuth 2 provider that the collection uses.

Test stand-in only (standard library, Python >= 3.11). See README.md next to this file.
"""

import argparse
import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import signal
import ssl
import threading
import time
import uuid
from datetime import datetime, timezone
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

ADMIN_TOKEN = "glpat-lab-admin-9f4c2e7a1b3d"
USER_TOKEN = "glpat-lab-user-5e8d1c3b7a2f"
EXPIRED_TOKEN = "glpat-lab-expired-3a6b9c1d4e7f"
REVOKED_TOKEN = "glpat-lab-revoked-8b2e5f1a9c4d"

EXPIRED_TEXT = "Token is expired. You can either do re-authorization or token refresh."
REVOKED_TEXT = "Token was revoked. You have to re-authorize from the user."
INSUFFICIENT_SCOPE_TEXT = "The request requires higher privileges than provided by the access token."

# Doorkeeper's own wording.
OAUTH_ERRORS = {
    "invalid_client": "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
    "invalid_redirect_uri": "The redirect uri included is not valid.",
    "invalid_grant": "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, "
                     "or was issued to another client.",
    "invalid_request": "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.",
    "unsupported_response_type": "The authorization server does not support this response type.",
    "unsupported_grant_type": "The authorization grant type is not supported by the authorization server.",
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
}

OAUTH_SCOPES = ("api", "read_api", "read_user", "create_runner", "manage_runner", "k8s_proxy", "read_repository", "write_repository",
                "read_registry", "write_registry", "read_observability", "write_observability", "ai_features", "sudo", "admin_mode",
                "openid", "profile", "email")
ACCESS_TOKEN_LIFETIME = 7200
GRANT_LIFETIME = 600
DELIVERY_TIMEOUT = 2.0

# Each profile pins one real release; the features are the capability switches it answers with.
PROFILES = {
    "legacy": {
        "version": "11.0.6",
        "revision": "5e4ee8a9b4c",
        "features": {
            "applications_list": False,
            "applications_delete": False,
            "application_full_fields": False,
            "application_confidential": False,
            "renew_secret": False,
            "hashed_secrets": False,
            "koding_settings": True,
            "metadata": False,
            "hooks_put": False,
            "hooks_test_post": False,
            "hooks_get_returns_hook": False,
            "hook_repository_update_param": False,
            "hook_details": False,
            "validation_status_422": False,
            "rate_limit_headers": False,
            "pagination_totals": True,
        },
    },
    "transition": {
        "version": "11.11.8",
        "revision": "1ae34c7b2a1",
        "features": {
            "applications_list": True,
            "applications_delete": True,
            "application_full_fields": True,
            "application_confidential": False,
            "renew_secret": False,
            "hashed_secrets": False,
            "koding_settings": False,
            "metadata": False,
            "hooks_put": False,
            "hooks_test_post": False,
            "hooks_get_returns_hook": False,
            "hook_repository_update_param": True,
            "hook_details": False,
            "validation_status_422": False,
            "rate_limit_headers": False,
            "pagination_totals": True,
        },
    },
    "modern": {
        "version": "17.5.2",
        "revision": "3c2d5f8ab91",
        "features": {
            "applications_list": True,
            "applications_delete": True,
            "application_full_fields": True,
            "application_confidential": True,
            "renew_secret": True,
            "hashed_secrets": True,
            "koding_settings": False,
            "metadata": True,
            "hooks_put": True,
            "hooks_test_post": True,
            "hooks_get_returns_hook": True,
            "hook_repository_update_param": True,
            "hook_details": True,
            "validation_status_422": True,
            "rate_limit_headers": True,
            "pagination_totals": True,
        },
    },
}

# (name, type, default); read-only keys are added separately.
COMMON_SETTINGS = [
    ("default_projects_limit", int, 100000),
    ("signup_enabled", bool, True),
    ("password_authentication_enabled_for_web", bool, True),
    ("password_authentication_enabled_for_git", bool, True),
    ("gravatar_enabled", bool, True),
    ("sign_in_text", str, None),
    ("after_sign_up_text", str, None),
    ("after_sign_out_path", str, None),
    ("home_page_url", str, None),
    ("help_page_text", str, None),
    ("help_page_hide_commercial_content", bool, False),
    ("default_branch_protection", int, 2),
    ("restricted_visibility_levels", list, []),
    ("max_attachment_size", int, 10),
    ("session_expire_delay", int, 10080),
    ("default_project_visibility", str, "private"),
    ("default_snippet_visibility", str, "private"),
    ("default_group_visibility", str, "private"),
    ("user_oauth_applications", bool, True),
    ("user_default_external", bool, False),
    ("container_registry_token_expire_delay", int, 5),
    ("repository_storages", list, ["default"]),
    ("plantuml_enabled", bool, False),
    ("plantuml_url", str, None),
    ("terminal_max_session_time", int, 0),
    ("polling_interval_multiplier", float, 1.0),
    ("akismet_enabled", bool, False),
    ("recaptcha_enabled", bool, False),
    ("shared_runners_enabled", bool, True),
    ("usage_ping_enabled", bool, True),
    ("version_check_enabled", bool, True),
    ("send_user_confirmation_email", bool, False),
    ("unique_ips_limit_enabled", bool, False),
    ("enforce_terms", bool, False),
]
LEGACY_SETTINGS = [
    ("domain_whitelist", list, []),
    ("domain_blacklist_enabled", bool, False),
    ("allow_local_requests_from_hooks_and_services", bool, False),
]
MODERN_SETTINGS = [
    ("domain_allowlist", list, []),
    ("domain_denylist_enabled", bool, False),
    ("allow_local_requests_from_web_hooks_and_services", bool, False),
    ("allow_local_requests_from_system_hooks", bool, True),
    ("admin_mode", bool, False),
    ("gitpod_enabled", bool, False),
    ("gitpod_url", str, "https://gitpod.io/"),
    ("require_admin_approval_after_user_signup", bool, True),
    ("deactivate_dormant_users", bool, False),
]
KODING_SETTINGS = [("koding_enabled", bool, False), ("koding_url", str, None)]
# Settings whose "<x>_enabled" needs "<x>_url" (Grape `given` + model presence validation).
ENABLED_URL_PAIRS = (("koding_enabled", "koding_url"), ("gitpod_enabled", "gitpod_url"))

HOOK_FLAGS = ("push_events", "tag_push_events", "merge_requests_events", "repository_update_events", "enable_ssl_verification")
HOOK_FLAG_DEFAULTS = {"push_events": False, "tag_push_events": False, "merge_requests_events": False,
                      "repository_update_events": True, "enable_ssl_verification": True}
HOOK_TEST_DATA = {"event_name": "project_create", "name": "Ruby", "path": "ruby", "project_id": 1,
                  "owner_name": "Someone", "owner_email": "example@gitlabhq.com"}
BRANCH_FILTER_STRATEGIES = ("wildcard", "regex", "all_branches")

TRUE_STRINGS = {"true", "t", "1", "yes", "y", "on"}
FALSE_STRINGS = {"false", "f", "0", "no", "n", "off"}


class ApiError(Exception):
    """An HTTP error answer: status, JSON body and extra headers."""

    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def param_error(message):
    return ApiError(400, {"error": message})


def validation_error(attr, message):
    return ApiError(400, {"message": {attr: [message]}})


def not_found(thing=None):
    if thing:
        return ApiError(404, {"message": "404 %s Not Found" % thing})
    return ApiError(404, {"error": "404 Not Found"})


def iso_ms(stamp):
    moment = datetime.fromtimestamp(stamp, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def xmlschema(stamp):
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def version_tuple(version):
    return tuple(int(part) for part in version.split("."))


def coerce(value, kind):
    """Grape-style coercion of one parameter; raises ValueError when invalid."""
    if value is None:
        return None
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in TRUE_STRINGS | FALSE_STRINGS:
            return value.lower() in TRUE_STRINGS
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise ValueError(value)
    if kind is int:
        if isinstance(value, bool):
            raise ValueError(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise ValueError(value)
    if kind is float:
        if isinstance(value, bool):
            raise ValueError(value)
        return float(value)
    if kind is str:
        if isinstance(value, (dict, list)):
            raise ValueError(value)
        return str(value).lower() if isinstance(value, bool) else str(value)
    if kind is list:
        if isinstance(value, list):
            return value
        if isinstance(value, str):
            return [item for item in value.split(",") if item]
        raise ValueError(value)
    raise ValueError(value)


def coerce_params(params, declared):
    """Coerce the declared params present in `params`; drop the rest. Returns (values, errors)."""
    values, errors = {}, []
    for name, kind in declared.items():
        if name not in params:
            continue
        try:
            values[name] = coerce(params[name], kind)
        except (ValueError, TypeError):
            errors.append("%s is invalid" % name)
    return values, errors


def check_unmodified_since(ctx, last_modified):
    """destroy_conditionally!: 412 when the object changed after If-Unmodified-Since (lib/api/helpers.rb)."""
    header = ctx.header("If-Unmodified-Since")
    if not header:
        return
    try:
        since = parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError, IndexError):
        try:
            since = datetime.fromisoformat(header.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return
    if int(last_modified) > since:
        raise ApiError(412, {"message": "412 Precondition Failed"})


def is_http_url(value):
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def redirect_uri_errors(redirect_uri):
    """Doorkeeper's RedirectUriValidator messages, for the checks GitLab's configuration enables."""
    uris = redirect_uri.split()
    if not uris:
        return ["can't be blank"]
    problems = []
    for uri in uris:
        if uri == "urn:ietf:wg:oauth:2.0:oob":
            continue
        try:
            if re.search(r'[<>"{}|\\^`]', uri) or not uri.isascii():
                raise ValueError(uri)
            parts = urlsplit(uri)
        except ValueError:
            return ["must be a valid URI."]
        if parts.fragment:
            problems.append("cannot contain a fragment.")
        if parts.scheme and not uri[len(parts.scheme) + 1:].startswith("/"):
            problems.append("must specify a scheme.")
        if not parts.scheme and not parts.netloc:
            problems.append("must be an absolute URI.")
    return problems


class LabState:
    """Everything one lab instance holds; guarded by `lock`."""

    def __init__(self, profile, features):
        self.profile = profile
        self.version = PROFILES[profile]["version"]
        self.revision = PROFILES[profile]["revision"]
        self.features = features
        self.lock = threading.RLock()
        self.requests = []
        self.deliveries = []
        self.faults = []
        self.latencies = []
        self.reset()

    # ---- lifecycle -------------------------------------------------------------------------
    def reset(self):
        now = time.time()
        self.users = {
            1: self._new_user(1, "root", "Administrator", "admin@example.com", True, now),
            2: self._new_user(2, "labuser", "Lab User", "labuser@example.com", False, now),
        }
        self.next_user_id = 3
        self.pats = {
            ADMIN_TOKEN: {"user_id": 1, "state": "active"},
            USER_TOKEN: {"user_id": 2, "state": "active"},
            EXPIRED_TOKEN: {"user_id": 1, "state": "expired"},
            REVOKED_TOKEN: {"user_id": 1, "state": "revoked"},
        }
        self.settings_types = {}
        self.settings = {"id": 1}
        modern = version_tuple(self.version) >= (13, 0)
        extra = MODERN_SETTINGS if modern else LEGACY_SETTINGS
        if modern:
            self.settings["max_attachment_size"] = 100
        for name, kind, default in COMMON_SETTINGS + extra + (KODING_SETTINGS if self.features["koding_settings"] else []):
            self.settings_types[name] = kind
            self.settings.setdefault(name, list(default) if isinstance(default, list) else default)
        self.settings["created_at"] = iso_ms(now)
        self.settings["updated_at"] = iso_ms(now)
        self.applications = {}
        self.next_application_id = 1
        self.hooks = {}
        self.next_hook_id = 1
        self.grants = {}
        self.access_tokens = {}
        self.refresh_tokens = {}
        self.requests.clear()
        self.deliveries.clear()
        self.faults.clear()
        self.latencies.clear()

    def take_latency(self, method, path, when):
        """Seconds to wait for this request at `when` ("before" or "after" it is served)."""
        with self.lock:
            for rule in self.latencies:
                if rule["when"] != when or (rule.get("method") and rule["method"].upper() != method):
                    continue
                if rule.get("path_prefix") and not path.startswith(rule["path_prefix"]):
                    continue
                if "count" in rule:
                    rule["count"] -= 1
                    if rule["count"] <= 0:
                        self.latencies.remove(rule)
                return rule["delay_ms"] / 1000.0
        return 0.0

    @staticmethod
    def _new_user(user_id, username, name, email, is_admin, now):
        return {"id": user_id, "username": username, "name": name, "email": email, "is_admin": is_admin,
                "state": "active", "created_at": now, "updated_at": now}

    # ---- applications ----------------------------------------------------------------------
    def add_application(self, name, redirect_uri, scopes, confidential):
        app_id = self.next_application_id
        self.next_application_id += 1
        secret = self.new_app_secret()
        self.applications[app_id] = {
            "id": app_id, "uid": secrets.token_hex(32), "name": name, "redirect_uri": redirect_uri,
            "scopes": scopes, "confidential": confidential, "secret_digest": digest(secret),
        }
        return self.applications[app_id], secret

    def new_app_secret(self):
        if self.features["hashed_secrets"]:
            return "gloas-" + secrets.token_hex(32)
        return secrets.token_hex(32)

    def app_json(self, app, secret=None):
        if not self.features["application_full_fields"]:
            # 11.0 ApplicationWithSecret exposes uid as application_id, secret and redirect_uri as callback_url only.
            return {"application_id": app["uid"], "secret": secret, "callback_url": app["redirect_uri"]}
        body = {"id": app["id"], "application_id": app["uid"], "application_name": app["name"]}
        if secret is not None:
            body["secret"] = secret
        body["callback_url"] = app["redirect_uri"]
        if self.features["application_confidential"]:
            body["confidential"] = app["confidential"]
        return body

    # ---- hooks -----------------------------------------------------------------------------
    def add_hook(self, values):
        hook_id = self.next_hook_id
        self.next_hook_id += 1
        now = time.time()
        hook = {"id": hook_id, "created_at": now, "updated_at": now, "token": None, "name": None, "description": None,
                "push_events_branch_filter": None, "branch_filter_strategy": "wildcard", "url_variables": [], "custom_headers": []}
        hook.update(HOOK_FLAG_DEFAULTS)
        hook.update(values)
        self.hooks[hook_id] = hook
        return hook

    def hook_json(self, hook):
        body = {"id": hook["id"], "url": hook["url"]}
        details = self.features["hook_details"]
        if details:
            body["name"] = hook["name"]
            body["description"] = hook["description"]
        body["created_at"] = iso_ms(hook["created_at"])
        for flag in HOOK_FLAGS:
            body[flag] = hook[flag]
        if details:
            body["alert_status"] = "executable"
            body["disabled_until"] = None
            body["url_variables"] = [{"key": item["key"]} for item in hook["url_variables"]]
            body["push_events_branch_filter"] = hook["push_events_branch_filter"]
            body["branch_filter_strategy"] = hook["branch_filter_strategy"]
            body["custom_headers"] = [{"key": item["key"]} for item in hook["custom_headers"]]
        return body

    # ---- users -----------------------------------------------------------------------------
    def user_json(self, user, base_url, with_admin):
        body = {
            "id": user["id"], "username": user["username"], "name": user["name"], "state": user["state"],
            "avatar_url": "https://www.gravatar.com/avatar/%s?s=80&d=identicon" % hashlib.md5(user["email"].encode(), usedforsecurity=False).hexdigest(),
            "web_url": "%s/%s" % (base_url, user["username"]), "created_at": iso_ms(user["created_at"]),
            "bio": "", "location": "", "public_email": "", "skype": "", "linkedin": "", "twitter": "", "website_url": "",
            "organization": "", "last_sign_in_at": None, "confirmed_at": iso_ms(user["created_at"]), "last_activity_on": None,
            "email": user["email"], "theme_id": 1, "color_scheme_id": 1, "projects_limit": 100000, "current_sign_in_at": None,
            "identities": [], "can_create_group": True, "can_create_project": True, "two_factor_enabled": False,
            "external": False, "private_profile": False,
        }
        if version_tuple(self.version) >= (13, 0):
            body["locked"] = False
            body["job_title"] = ""
        if with_admin:
            body["is_admin"] = user["is_admin"]
        return body

    # ---- deliveries ------------------------------------------------------------------------
    def hook_deliveries(self, hooks, payload, base_url):
        """Prepare one delivery per hook (sent later, outside the lock)."""
        version = version_tuple(self.version)
        event_uuid = str(uuid.uuid4())
        prepared = []
        for hook in hooks:
            headers = {"Content-Type": "application/json", "User-Agent": "GitLab/%s" % self.version, "X-Gitlab-Event": "System Hook"}
            if hook["token"]:
                headers["X-Gitlab-Token"] = hook["token"]
            if version >= (15, 5):
                headers["X-Gitlab-Instance"] = base_url
            if version >= (16, 2):
                headers["X-Gitlab-Webhook-UUID"] = str(uuid.uuid4())
            if version >= (14, 8):
                headers["X-Gitlab-Event-UUID"] = event_uuid
            if version >= (17, 4):
                headers["Idempotency-Key"] = str(uuid.uuid4())
            for item in hook["custom_headers"]:
                headers[item["key"]] = item["value"]
            prepared.append({"hook_id": hook["id"], "url": hook["url"], "event_name": payload["event_name"],
                             "headers": headers, "payload": dict(payload), "verify": hook["enable_ssl_verification"]})
        return prepared

    def send_deliveries(self, prepared):
        for delivery in prepared:
            record = dict(delivery, status=None)
            record.pop("verify")
            try:
                record["status"] = post_json(delivery["url"], delivery["headers"], delivery["payload"], delivery.pop("verify"))
            except (OSError, ValueError, http.client.HTTPException) as exc:
                record["error"] = str(exc) or exc.__class__.__name__
            with self.lock:
                self.deliveries.append(record)


def post_json(url, headers, payload, verify):
    """POST like GitLab's hook client: header names sent exactly as written; answers the status."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context()
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


class Context:
    """One API request as the endpoint functions see it."""

    def __init__(self, handler, method, path, query, params, match):
        self.handler = handler
        self.method = method
        self.path = path
        self.query = query
        self.params = params
        self.match = match
        self.user = None
        self.deliveries = []

    @property
    def base_url(self):
        host = self.handler.headers.get("Host") or "%s:%s" % self.handler.server.server_address[:2]
        return "http://%s" % host

    def header(self, name):
        return self.handler.headers.get(name)


class GitLabLab:
    """Routes and endpoint logic."""

    def __init__(self, state):
        self.state = state
        features = state.features
        # (method, path regex, endpoint, admin only)
        routes = [
            ("GET", r"/api/v4/version", self.get_version, False),
            ("GET", r"/api/v4/user", self.get_current_user, False),
            ("GET", r"/api/v4/application/settings", self.get_settings, True),
            ("PUT", r"/api/v4/application/settings", self.put_settings, True),
            ("POST", r"/api/v4/applications", self.create_application, True),
            ("GET", r"/api/v4/hooks", self.list_hooks, True),
            ("POST", r"/api/v4/hooks", self.create_hook, True),
            ("GET", r"/api/v4/hooks/(?P<id>[^/]+)", self.get_hook, True),
            ("DELETE", r"/api/v4/hooks/(?P<id>[^/]+)", self.delete_hook, True),
            ("GET", r"/api/v4/users", self.list_users, True),
            ("POST", r"/api/v4/users", self.create_user, True),
            ("GET", r"/api/v4/users/(?P<id>[^/]+)", self.get_user, False),
            ("DELETE", r"/api/v4/users/(?P<id>[^/]+)", self.delete_user, True),
            ("GET", r"/oauth/authorize", self.oauth_authorize, None),
            ("POST", r"/oauth/token", self.oauth_token, None),
            ("GET", r"/users/sign_in", self.sign_in_page, None),
        ]
        if features["metadata"]:
            routes.append(("GET", r"/api/v4/metadata", self.get_metadata, False))
        if features["applications_list"]:
            routes.append(("GET", r"/api/v4/applications", self.list_applications, True))
        if features["applications_delete"]:
            routes.append(("DELETE", r"/api/v4/applications/(?P<id>[^/]+)", self.delete_application, True))
        if features["hooks_test_post"]:
            routes.append(("POST", r"/api/v4/hooks/(?P<id>[^/]+)", self.test_hook, True))
        if features["renew_secret"]:
            routes.append(("POST", r"/api/v4/applications/(?P<id>[^/]+)/renew-secret", self.renew_secret, True))
        if features["hooks_put"]:
            routes.append(("PUT", r"/api/v4/hooks/(?P<id>[^/]+)", self.update_hook, True))
        self.routes = [(method, re.compile(pattern + r"/?"), endpoint, admin) for method, pattern, endpoint, admin in routes]

    # ---- dispatch --------------------------------------------------------------------------
    def route(self, method, path):
        # A path served for another method only is Grape's catch-all too: 404, never 405 (lib/api/api.rb).
        lookup = "GET" if method == "HEAD" else method
        for route_method, pattern, endpoint, admin in self.routes:
            match = pattern.fullmatch(path)
            if match and route_method == lookup:
                return endpoint, admin, match
        raise not_found()

    def authenticate(self, ctx, admin):
        token = ctx.header("PRIVATE-TOKEN") or ctx.params.get("private_token")
        authorization = ctx.header("Authorization") or ""
        if not token and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        token = token or ctx.params.get("access_token")
        unauthorized = ApiError(401, {"message": "401 Unauthorized"})
        if not token or not isinstance(token, str):
            raise unauthorized
        state = self.state
        scopes = None
        if token in state.pats:
            pat = state.pats[token]
            status = pat["state"]
            user_id = pat["user_id"]
        elif token in state.access_tokens:
            record = state.access_tokens[token]
            status = record["state"]
            if status == "active" and time.time() > record["created_at"] + ACCESS_TOKEN_LIFETIME:
                status = "expired"
            user_id = record["user_id"]
            scopes = record["scopes"]
        else:
            raise unauthorized
        if status in ("expired", "revoked"):
            text = EXPIRED_TEXT if status == "expired" else REVOKED_TEXT
            raise ApiError(401, {"error": "invalid_token", "error_description": text},
                           {"WWW-Authenticate": 'Bearer realm="Protected by OAuth 2.0", error="invalid_token", error_description="%s"' % text})
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

    def token_user(self, ctx):
        """The signed-in user for /oauth/authorize (no browser sessions in the lab)."""
        try:
            self.authenticate(ctx, False)
        except ApiError:
            return None
        return ctx.user

    @staticmethod
    def path_id(ctx, name="id"):
        value = ctx.match.group("id")
        if not re.fullmatch(r"\d+", value):
            raise param_error("%s is invalid" % name)
        return int(value)

    def paginate(self, ctx, items):
        numbers = {}
        for name, default in (("page", 1), ("per_page", 20)):
            try:
                numbers[name] = coerce(ctx.params.get(name, default), int)
            except (ValueError, TypeError) as exc:
                raise param_error("%s is invalid" % name) from exc
        page, per_page = numbers["page"], numbers["per_page"]
        page = max(page or 1, 1)
        per_page = 20 if not per_page or per_page < 1 else min(per_page, 100)
        total = len(items)
        total_pages = max((total + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page:page * per_page]
        next_page = page + 1 if page < total_pages else None
        prev_page = page - 1 if page > 1 else None
        others = [(key, value) for key, value in parse_qsl(ctx.query, keep_blank_values=True) if key not in ("page", "per_page")]

        def link(number):
            return "%s%s?%s" % (ctx.base_url, ctx.path, urlencode(others + [("page", number), ("per_page", per_page)]))

        links = []
        if next_page:
            links.append('<%s>; rel="next"' % link(next_page))
        if prev_page:
            links.append('<%s>; rel="prev"' % link(prev_page))
        links.append('<%s>; rel="first"' % link(1))
        headers = {"X-Next-Page": str(next_page or ""), "X-Page": str(page), "X-Per-Page": str(per_page), "X-Prev-Page": str(prev_page or "")}
        if self.state.features["pagination_totals"]:
            links.append('<%s>; rel="last"' % link(total_pages))
            headers["X-Total"] = str(total)
            headers["X-Total-Pages"] = str(total_pages)
        headers["Link"] = ", ".join(links)
        return chunk, headers

    # ---- version / user --------------------------------------------------------------------
    def get_version(self, ctx):
        del ctx
        return 200, {"version": self.state.version, "revision": self.state.revision}

    def get_metadata(self, ctx):
        del ctx
        return 200, {"version": self.state.version, "revision": self.state.revision,
                     "kas": {"enabled": False, "externalUrl": None, "externalK8sProxyUrl": None, "version": None}, "enterprise": False}

    def get_current_user(self, ctx):
        return 200, self.state.user_json(ctx.user, ctx.base_url, ctx.user["is_admin"])

    # ---- settings --------------------------------------------------------------------------
    def get_settings(self, ctx):
        del ctx
        return 200, self.state.settings

    def put_settings(self, ctx):
        state = self.state
        values, errors = coerce_params(ctx.params, state.settings_types)
        for enabled, url in ENABLED_URL_PAIRS:
            if values.get(enabled) and url in state.settings_types and url not in values:
                errors.append("%s is missing" % url)
        if not values and not errors:
            errors.append("%s are missing, at least one parameter must be provided" % ", ".join(state.settings_types))
        if errors:
            raise param_error(", ".join(errors))
        merged = dict(state.settings, **values)
        for enabled, url in ENABLED_URL_PAIRS:
            if merged.get(enabled) and url in state.settings_types and not (merged.get(url) or "").strip():
                raise validation_error(url, "can't be blank")
        merged["updated_at"] = iso_ms(time.time())
        state.settings = merged
        return 200, merged

    # ---- applications ----------------------------------------------------------------------
    def list_applications(self, ctx):
        del ctx
        return 200, [self.state.app_json(app) for app in self.state.applications.values()]

    def create_application(self, ctx):
        params = ctx.params
        declared = {"name": str, "redirect_uri": str, "scopes": str}
        if self.state.features["application_confidential"]:
            declared["confidential"] = bool
        values, errors = coerce_params(params, declared)
        for name in ("name", "redirect_uri", "scopes"):
            if params.get(name) is None:
                errors.append("%s is missing" % name)
            elif name == "scopes" and not str(values.get("scopes", "x")).strip():
                errors.append("scopes is empty")
        if errors:
            raise param_error(", ".join(errors))
        if not values["name"].strip():
            raise validation_error("name", "can't be blank")
        problems = redirect_uri_errors(values["redirect_uri"])
        if problems:
            raise ApiError(400, {"message": {"redirect_uri": problems}})
        scopes = values["scopes"].split()
        if any(scope not in OAUTH_SCOPES for scope in scopes):
            raise validation_error("scopes", "doesn't match configured on the server.")
        confidential = values.get("confidential")
        app, secret = self.state.add_application(values["name"], values["redirect_uri"], scopes, True if confidential is None else confidential)
        return 201, self.state.app_json(app, secret)

    def find_application(self, ctx):
        app = self.state.applications.get(self.path_id(ctx))
        if app is None:
            raise not_found("Application")
        return app

    def delete_application(self, ctx):
        app = self.find_application(ctx)
        del self.state.applications[app["id"]]
        for store in (self.state.access_tokens, self.state.refresh_tokens, self.state.grants):
            for key in [key for key, record in store.items() if record["app_id"] == app["id"]]:
                del store[key]
        return 204, None

    def renew_secret(self, ctx):
        app = self.find_application(ctx)
        secret = self.state.new_app_secret()
        app["secret_digest"] = digest(secret)
        return 201, self.state.app_json(app, secret)

    # ---- hooks -----------------------------------------------------------------------------
    def hook_params(self):
        declared = {"url": str, "token": str}
        declared.update({flag: bool for flag in HOOK_FLAGS})
        if not self.state.features["hook_repository_update_param"]:
            # 11.0 does not declare it: Grape drops it and the column keeps its default (true).
            del declared["repository_update_events"]
        if self.state.features["hook_details"]:
            declared.update({"push_events_branch_filter": str, "branch_filter_strategy": str, "name": str, "description": str,
                             "url_variables": list, "custom_headers": list})
        return declared

    def checked_hook_values(self, ctx, declared):
        values, errors = coerce_params(ctx.params, declared)
        strategy = values.get("branch_filter_strategy")
        if strategy is not None and strategy not in BRANCH_FILTER_STRATEGIES:
            errors.append("branch_filter_strategy does not have a valid value")
        for key in ("url_variables", "custom_headers"):
            if key in values:
                items = values[key]
                if not all(isinstance(item, dict) and item.get("key") and "value" in item for item in items):
                    errors.append("%s[key] is missing" % key)
        if errors:
            raise param_error(", ".join(errors))
        modern = self.state.features["validation_status_422"]
        if "url" in values and not is_http_url(values["url"] or ""):
            if modern:
                raise ApiError(422, {"message": "Invalid url given"})
            raise validation_error("url", "is blocked: Only allowed protocols are http, https")
        if "\n" in (values.get("token") or ""):
            # WebHook validates the token format (no newline). 11.x: render_validation_error! (400);
            # modern create: WebHooks::CreateService full messages (422); modern update: render_validation_error!(hook, 422).
            if not modern:
                raise validation_error("token", "is invalid")
            if ctx.method == "POST":
                raise ApiError(422, {"message": "Token is invalid"})
            raise ApiError(422, {"message": {"token": ["is invalid"]}})
        return values

    def list_hooks(self, ctx):
        chunk, headers = self.paginate(ctx, list(self.state.hooks.values()))
        return 200, [self.state.hook_json(hook) for hook in chunk], headers

    def create_hook(self, ctx):
        if ctx.params.get("url") is None:
            raise param_error("url is missing")
        values = self.checked_hook_values(ctx, self.hook_params())
        return 201, self.state.hook_json(self.state.add_hook(values))

    def find_hook(self, ctx, thing=None):
        """SystemHook.find (RecordNotFound: '404 Not found'), or find_by + not_found!(thing)."""
        hook = self.state.hooks.get(self.path_id(ctx, "hook_id" if self.state.features["hooks_put"] else "id"))
        if hook is None:
            if thing:
                raise not_found(thing)
            raise ApiError(404, {"message": "404 Not found"})
        return hook

    def get_hook(self, ctx):
        hook = self.find_hook(ctx)
        if self.state.features["hooks_get_returns_hook"]:
            return 200, self.state.hook_json(hook)
        # Before GitLab 14.9 this route tested the hook: it fires a project_create event and answers with it.
        ctx.deliveries = self.state.hook_deliveries([hook], HOOK_TEST_DATA, ctx.base_url)
        return 200, dict(HOOK_TEST_DATA)

    def test_hook(self, ctx):
        hook = self.find_hook(ctx)
        ctx.deliveries = self.state.hook_deliveries([hook], HOOK_TEST_DATA, ctx.base_url)
        return 201, dict(HOOK_TEST_DATA)

    def update_hook(self, ctx):
        hook = self.find_hook(ctx)
        declared = self.hook_params()
        values = self.checked_hook_values(ctx, declared)
        if not values:
            raise ApiError(400, {"message": "No parameters provided"})
        values["updated_at"] = time.time()
        hook.update(values)
        return 200, self.state.hook_json(hook)

    def delete_hook(self, ctx):
        hook = self.find_hook(ctx, None if self.state.features["hooks_get_returns_hook"] else "System hook")
        check_unmodified_since(ctx, hook["updated_at"])
        del self.state.hooks[hook["id"]]
        return 204, None

    # ---- users -----------------------------------------------------------------------------
    def list_users(self, ctx):
        users = list(self.state.users.values())
        for key in ("username", "search"):
            wanted = ctx.params.get(key)
            if wanted:
                users = [user for user in users if str(wanted).lower() in (user["username"].lower(), user["email"].lower())]
        chunk, headers = self.paginate(ctx, users)
        return 200, [self.state.user_json(user, ctx.base_url, True) for user in chunk], headers

    def get_user(self, ctx):
        user = self.state.users.get(self.path_id(ctx))
        if user is None:
            raise not_found("User")
        return 200, self.state.user_json(user, ctx.base_url, ctx.user["is_admin"])

    def create_user(self, ctx):
        declared = {"email": str, "username": str, "name": str, "password": str, "reset_password": bool, "force_random_password": bool}
        values, errors = coerce_params(ctx.params, declared)
        for name in ("email", "name", "username"):
            if ctx.params.get(name) is None:
                errors.append("%s is missing" % name)
        given = [name for name in ("password", "reset_password", "force_random_password") if values.get(name)]
        if len(given) != 1:
            errors.append("password, reset_password, force_random_password are missing, exactly one parameter must be provided")
        if errors:
            raise param_error(", ".join(errors))
        if not re.fullmatch(r"[^@\s]+@[^@\s]+", values["email"]):
            raise validation_error("email", "is invalid")
        if "password" in given and len(values["password"]) < 8:
            raise validation_error("password", "is too short (minimum is 8 characters)")
        for user in self.state.users.values():
            if user["email"].lower() == values["email"].lower():
                raise ApiError(409, {"message": "Email has already been taken"})
            if user["username"].lower() == values["username"].lower():
                raise ApiError(409, {"message": "Username has already been taken"})
        user_id = self.state.next_user_id
        self.state.next_user_id += 1
        user = self.state._new_user(user_id, values["username"], values["name"], values["email"], False, time.time())  # pylint: disable=protected-access
        self.state.users[user_id] = user
        ctx.deliveries = self.state.hook_deliveries(list(self.state.hooks.values()), self.user_event("user_create", user), ctx.base_url)
        return 201, self.state.user_json(user, ctx.base_url, True)

    def delete_user(self, ctx):
        user = self.state.users.get(self.path_id(ctx))
        if user is None:
            raise not_found("User")
        del self.state.users[user["id"]]
        ctx.deliveries = self.state.hook_deliveries(list(self.state.hooks.values()), self.user_event("user_destroy", user), ctx.base_url)
        return 204, None

    @staticmethod
    def user_event(event_name, user):
        return {"created_at": xmlschema(user["created_at"]), "updated_at": xmlschema(user["updated_at"]), "email": user["email"],
                "event_name": event_name, "name": user["name"], "username": user["username"], "user_id": user["id"]}

    # ---- OAuth 2 provider ------------------------------------------------------------------
    def sign_in_page(self, ctx):
        del ctx
        return 200, "<!DOCTYPE html><html><head><title>Sign in · GitLab</title></head><body><h1>Sign in</h1></body></html>", {
            "Content-Type": "text/html; charset=utf-8"}

    @staticmethod
    def oauth_error(status, error, headers=None):
        return ApiError(status, {"error": error, "error_description": OAUTH_ERRORS[error]}, headers)

    @staticmethod
    def redirect(location):
        return 302, "<html><body>You are being <a href=\"%s\">redirected</a>.</body></html>" % location, {
            "Location": location, "Content-Type": "text/html; charset=utf-8"}

    @staticmethod
    def with_query(uri, pairs):
        return uri + ("&" if "?" in uri else "?") + urlencode([(key, value) for key, value in pairs if value is not None])

    def oauth_authorize(self, ctx):
        user = self.token_user(ctx)
        if user is None:
            return self.redirect(ctx.base_url + "/users/sign_in")
        params = ctx.params
        app = next((app for app in self.state.applications.values() if app["uid"] == params.get("client_id")), None)
        if app is None:
            raise self.oauth_error(400, "invalid_client")
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri or redirect_uri not in app["redirect_uri"].split():
            raise self.oauth_error(400, "invalid_redirect_uri")
        state = params.get("state")
        if params.get("response_type") != "code":
            return self.redirect(self.with_query(redirect_uri, [("error", "unsupported_response_type"),
                                                                ("error_description", OAUTH_ERRORS["unsupported_response_type"]), ("state", state)]))
        scopes = str(params.get("scope") or "").split() or list(app["scopes"])
        if not set(scopes) <= set(app["scopes"]):
            return self.redirect(self.with_query(redirect_uri, [("error", "invalid_scope"),
                                                                ("error_description", OAUTH_ERRORS["invalid_scope"]), ("state", state)]))
        code = secrets.token_hex(32)
        self.state.grants[code] = {"app_id": app["id"], "user_id": user["id"], "redirect_uri": redirect_uri, "scopes": scopes,
                                   "expires_at": time.time() + GRANT_LIFETIME}
        return self.redirect(self.with_query(redirect_uri, [("code", code), ("state", state)]))

    def oauth_client(self, ctx):
        client_id, client_secret = ctx.params.get("client_id"), ctx.params.get("client_secret")
        authorization = ctx.header("Authorization") or ""
        if authorization.lower().startswith("basic "):
            try:
                client_id, _sep, client_secret = base64.b64decode(authorization[6:].strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError) as exc:
                raise self.oauth_error(401, "invalid_client") from exc
        app = next((app for app in self.state.applications.values() if app["uid"] == client_id), None)
        if app is None:
            raise self.oauth_error(401, "invalid_client")
        if client_secret:
            if not secrets.compare_digest(digest(client_secret), app["secret_digest"]):
                raise self.oauth_error(401, "invalid_client")
        elif app["confidential"]:
            raise self.oauth_error(401, "invalid_client")
        return app

    def oauth_token(self, ctx):
        params = ctx.params
        grant_type = params.get("grant_type")
        if not grant_type:
            raise self.oauth_error(400, "invalid_request")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise self.oauth_error(400, "unsupported_grant_type")
        app = self.oauth_client(ctx)
        state = self.state
        if grant_type == "authorization_code":
            code = params.get("code")
            if not code:
                raise self.oauth_error(400, "invalid_request")
            grant = state.grants.get(code)
            if (grant is None or grant.get("used") or grant["app_id"] != app["id"] or time.time() > grant["expires_at"]
                    or grant["redirect_uri"] != params.get("redirect_uri")):
                raise self.oauth_error(400, "invalid_grant")
            grant["used"] = True
            user_id, scopes = grant["user_id"], grant["scopes"]
        else:
            old = state.refresh_tokens.get(params.get("refresh_token") or "")
            if old is None or old["app_id"] != app["id"] or old["state"] != "active":
                raise self.oauth_error(400, "invalid_grant")
            old["state"] = "revoked"
            state.access_tokens[old["access_token"]]["state"] = "revoked"
            user_id, scopes = old["user_id"], old["scopes"]
        access, refresh, now = secrets.token_hex(32), secrets.token_hex(32), int(time.time())
        state.access_tokens[access] = {"app_id": app["id"], "user_id": user_id, "scopes": scopes, "created_at": now, "state": "active"}
        state.refresh_tokens[refresh] = {"app_id": app["id"], "user_id": user_id, "scopes": scopes, "access_token": access, "state": "active"}
        body = {"access_token": access, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_LIFETIME, "refresh_token": refresh,
                "scope": " ".join(scopes), "created_at": now}
        return 200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"}


FAULT_BODIES = {
    500: ("application/json", json.dumps({"message": "500 Internal Server Error"})),
    502: ("text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>GitLab is not responding (502)</title></head>"
                                      "<body><h1>502</h1><h3>Whoops, GitLab is taking too much time to respond.</h3></body></html>\n"),
    503: ("application/json", json.dumps({"message": "503 Service Unavailable"})),
    504: ("text/html; charset=utf-8", "<html><head><title>504 Gateway Time-out</title></head>"
                                      "<body><center><h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>\n"),
}
THROTTLED_TEXT = "This endpoint has been requested too many times. Try again later."


class Handler(BaseHTTPRequestHandler):
    """HTTP front: control API, faults, request log, then the GitLab routes."""

    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "nginx"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self):  # pylint: disable=invalid-name
        self.handle_any()

    def do_HEAD(self):  # pylint: disable=invalid-name
        self.handle_any()

    def do_POST(self):  # pylint: disable=invalid-name
        self.handle_any()

    def do_PUT(self):  # pylint: disable=invalid-name
        self.handle_any()

    def do_DELETE(self):  # pylint: disable=invalid-name
        self.handle_any()

    def do_PATCH(self):  # pylint: disable=invalid-name
        self.handle_any()

    # ---- plumbing --------------------------------------------------------------------------
    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def parse_params(self, query, raw):
        params = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            add_param(params, key, value)
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if raw:
            if content_type == "application/json" or (not content_type and raw[:1] in (b"{", b"[")):
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise ApiError(400, {"error": "The provided content-type 'application/json' is not supported or the body is not valid JSON."}) from exc
                if isinstance(body, dict):
                    params.update(body)
            else:
                for key, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
                    add_param(params, key, value)
        return params

    def send(self, status, body, headers=None):
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            payload = json.dumps(body, separators=(",", ":")).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            payload = body.encode()
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            payload = b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD" and status != 204:
            self.wfile.write(payload)

    def handle_any(self):
        parts = urlsplit(self.path)
        raw = self.read_body()
        if parts.path.startswith("/__lab__/"):
            self.handle_control(parts.path, raw)
            return
        state = self.server.state
        # Latency is served outside the lock, so overlapping requests really overlap.
        time.sleep(state.take_latency(self.command, parts.path, "before"))
        status, body, headers, deliveries = self.handle_gitlab(parts.path, parts.query, raw)
        time.sleep(state.take_latency(self.command, parts.path, "after"))
        if deliveries:
            state.send_deliveries(deliveries)
        with state.lock:
            state.requests.append({"method": self.command, "path": parts.path, "query": parts.query, "status": status})
        self.send(status, body, headers)

    def take_fault(self, path):
        state = self.server.state
        for fault in state.faults:
            if fault.get("method") and fault["method"].upper() != self.command:
                continue
            if fault.get("path_prefix") and not path.startswith(fault["path_prefix"]):
                continue
            fault["count"] -= 1
            if fault["count"] <= 0:
                state.faults.remove(fault)
            return fault
        return None

    def fault_answer(self, fault):
        status = fault["status"]
        retry_after = int(fault.get("retry_after") or 1)
        headers = {}
        if status == 429 and fault.get("limiter") == "application":
            # Gitlab::ApplicationRateLimiter (per-endpoint limits): a JSON body, no RateLimit-* headers.
            return status, {"message": {"error": THROTTLED_TEXT}}, {"Retry-After": str(retry_after)}
        if status == 429:
            # Rack::Attack's throttles: text/plain "Retry later\n"; GitLab adds RateLimit-* from 13.x on.
            headers = {"Content-Type": "text/plain", "Retry-After": str(retry_after)}
            if self.server.state.features["rate_limit_headers"]:
                reset = int(time.time()) + retry_after
                headers.update({"RateLimit-Name": "throttle_authenticated_api", "RateLimit-Limit": "2000", "RateLimit-Observed": "2001",
                                "RateLimit-Remaining": "0", "RateLimit-Reset": str(reset), "RateLimit-ResetTime": formatdate(reset, usegmt=True)})
            return status, "Retry later\n", headers
        if "retry_after" in fault:
            headers["Retry-After"] = str(retry_after)
        content_type, text = FAULT_BODIES.get(status, ("text/plain; charset=utf-8", "%d\n" % status))
        headers["Content-Type"] = content_type
        return status, text, headers

    def handle_gitlab(self, path, query, raw):
        state = self.server.state
        lab = self.server.lab
        with state.lock:
            fault = self.take_fault(path)
            if fault:
                status, body, headers = self.fault_answer(fault)
                return status, body, headers, []
            try:
                endpoint, admin, match = lab.route(self.command, path)
                ctx = Context(self, self.command, path, query, self.parse_params(query, raw), match)
                if admin is not None:
                    lab.authenticate(ctx, admin)
                answer = endpoint(ctx)
                status, body = answer[0], answer[1]
                headers = answer[2] if len(answer) > 2 else {}
                return status, body, headers, ctx.deliveries
            except ApiError as exc:
                return exc.status, exc.body, exc.headers, []

    # ---- control API -----------------------------------------------------------------------
    def handle_control(self, path, raw):
        state = self.server.state
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            self.send(400, {"error": "body must be JSON"})
            return
        key = (self.command, path.rstrip("/"))
        with state.lock:
            if key == ("GET", "/__lab__/requests"):
                self.send(200, {"requests": list(state.requests)})
            elif key == ("DELETE", "/__lab__/requests"):
                state.requests.clear()
                self.send(204, None)
            elif key == ("GET", "/__lab__/deliveries"):
                self.send(200, list(state.deliveries))
            elif key == ("DELETE", "/__lab__/deliveries"):
                state.deliveries.clear()
                self.send(204, None)
            elif key == ("GET", "/__lab__/faults"):
                self.send(200, {"faults": list(state.faults)})
            elif key == ("POST", "/__lab__/faults"):
                problem = check_fault(body)
                if problem:
                    self.send(400, {"error": problem})
                    return
                fault = {"status": body["status"], "count": int(body.get("count", 1))}
                for name in ("method", "path_prefix", "retry_after", "limiter"):
                    if body.get(name) is not None:
                        fault[name] = body[name]
                state.faults.append(fault)
                self.send(201, fault)
            elif key == ("DELETE", "/__lab__/faults"):
                state.faults.clear()
                self.send(204, None)
            elif key == ("GET", "/__lab__/latency"):
                self.send(200, {"latency": list(state.latencies)})
            elif key == ("POST", "/__lab__/latency"):
                problem = check_latency(body)
                if problem:
                    self.send(400, {"error": problem})
                    return
                rule = {"delay_ms": body["delay_ms"], "when": body.get("when", "after")}
                for name in ("method", "path_prefix", "count"):
                    if body.get(name) is not None:
                        rule[name] = body[name]
                state.latencies.append(rule)
                self.send(201, rule)
            elif key == ("DELETE", "/__lab__/latency"):
                state.latencies.clear()
                self.send(204, None)
            elif key == ("POST", "/__lab__/reset"):
                state.reset()
                self.send(200, {"profile": state.profile, "version": state.version})
            elif key == ("POST", "/__lab__/seed"):
                self.send(*seed(state, body))
            elif key == ("GET", "/__lab__/info"):
                self.send(200, {"profile": state.profile, "version": state.version, "features": state.features})
            else:
                self.send(404, {"error": "unknown lab control endpoint"})


def add_param(params, key, value):
    if key.endswith("[]"):
        params.setdefault(key[:-2], []).append(value)
    else:
        params[key] = value


def check_fault(body):
    if not isinstance(body, dict) or body.get("status") not in (429, 500, 502, 503, 504):
        return "status must be one of 429, 500, 502, 503, 504"
    if not isinstance(body.get("count", 1), int) or body.get("count", 1) < 1:
        return "count must be a positive integer"
    if body.get("limiter", "rack_attack") not in ("rack_attack", "application"):
        return "limiter must be rack_attack or application"
    return None


def check_latency(body):
    if not isinstance(body, dict):
        return "body must be a JSON object"
    delay = body.get("delay_ms")
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= 60000:
        return "delay_ms must be an integer from 0 to 60000"
    if body.get("when", "after") not in ("before", "after"):
        return "when must be before or after"
    count = body.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        return "count must be a positive integer"
    for name in ("method", "path_prefix"):
        if body.get(name) is not None and not isinstance(body[name], str):
            return "%s must be a string" % name
    return None


def seed(state, body):
    if not isinstance(body, dict):
        return 400, {"error": "body must be a JSON object"}
    counts = {}
    for name in ("hooks", "applications"):
        value = body.get(name, 0)
        if not isinstance(value, int) or value < 0:
            return 400, {"error": "%s must be a non-negative integer" % name}
        counts[name] = value
    for index in range(1, counts["hooks"] + 1):
        state.add_hook({"url": "http://127.0.0.1:9/seed-%d" % index})
    for index in range(1, counts["applications"] + 1):
        state.add_application("seed-%d" % index, "http://127.0.0.1:9/seed-%d/callback" % index, ["api"], True)
    return 201, counts


class LabServer(ThreadingHTTPServer):
    """Threading HTTP server that carries the lab state."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, state, verbose=False):
        super().__init__(address, Handler)
        self.state = state
        self.lab = GitLabLab(state)
        self.verbose = verbose


def parse_features(profile, items):
    features = dict(PROFILES[profile]["features"])
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or name not in features or value not in ("on", "off"):
            raise SystemExit("--feature expects NAME=on|off with NAME one of: %s" % ", ".join(sorted(features)))
        features[name] = value == "on"
    return features


def main(argv=None):
    parser = argparse.ArgumentParser(description="Lab GitLab (REST API v4 subset) for tests.")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="modern")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--feature", action="append", metavar="NAME=on|off")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)

    state = LabState(args.profile, parse_features(args.profile, args.feature))
    server = LabServer((args.host, args.port), state, args.verbose)
    port = server.server_address[1]
    if args.port_file:
        partial = args.port_file + ".tmp"
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write("%d\n" % port)
        os.replace(partial, args.port_file)

    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
