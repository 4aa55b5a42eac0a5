"""What one lab instance holds. Every read and write happens under `lock`."""

import secrets
import threading
import time

from .params import digest, iso_ms
from .tokens import PERSONAL_ACCESS_TOKENS, USER_PASSWORDS


class LabState:
    """Users, tokens, settings, applications, hooks, OAuth grants; plus the lab's own logs, faults and latency rules."""

    def __init__(self, profile):
        self.profile = profile
        self.lock = threading.RLock()
        self.requests = []
        self.deliveries = []
        self.faults = []
        self.latencies = []
        self.reset()

    def reset(self):
        now = time.time()
        self.users = {
            1: self.new_user(1, "root", "Administrator", "admin@example.com", True, now),
            2: self.new_user(2, "labuser", "Lab User", "labuser@example.com", False, now),
        }
        self.next_user_id = 3
        for user in self.users.values():
            user["password_digest"] = digest(USER_PASSWORDS[user["username"]])
        # Browser sessions (the _gitlab_session cookie): token -> {"user_id": id or None, "return_to": path or None}.
        self.web_sessions = {}
        self.pats = {token: {"user_id": user_id, "state": state} for token, (user_id, state) in PERSONAL_ACCESS_TOKENS.items()}
        catalogue = self.profile.settings_catalogue()
        self.settings_types = {name: kind for name, (kind, _default) in catalogue.items()}
        self.settings = {"id": 1}
        for name, (_kind, default) in catalogue.items():
            self.settings[name] = list(default) if isinstance(default, list) else default
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

    @staticmethod
    def new_user(user_id, username, name, email, is_admin, now):
        return {
            "id": user_id,
            "username": username,
            "name": name,
            "email": email,
            "is_admin": is_admin,
            "state": "active",
            "created_at": now,
            "updated_at": now,
        }

    def add_user(self, username, name, email, password=None):
        user = self.new_user(self.next_user_id, username, name, email, False, time.time())
        # A user made with reset_password or force_random_password has no password anyone knows.
        user["password_digest"] = digest(password) if password else None
        self.next_user_id += 1
        self.users[user["id"]] = user
        return user

    # ---- applications ----------------------------------------------------------------------
    def add_application(self, name, redirect_uri, scopes, confidential):
        app_id = self.next_application_id
        self.next_application_id += 1
        secret = self.new_app_secret()
        self.applications[app_id] = {
            "id": app_id,
            "uid": secrets.token_hex(32),
            "name": name,
            "redirect_uri": redirect_uri,
            "scopes": scopes,
            "confidential": confidential,
            "secret_digest": digest(secret),
        }
        return self.applications[app_id], secret

    def new_app_secret(self):
        if self.profile.has("hashed_secrets"):
            return "gloas-" + secrets.token_hex(32)
        return secrets.token_hex(32)

    def remove_application(self, app_id):
        del self.applications[app_id]
        for store in (self.access_tokens, self.refresh_tokens, self.grants):
            for key in [key for key, record in store.items() if record["app_id"] == app_id]:
                del store[key]

    # ---- hooks -----------------------------------------------------------------------------
    def add_hook(self, values):
        hook_id = self.next_hook_id
        self.next_hook_id += 1
        now = time.time()
        hook = {
            "id": hook_id,
            "created_at": now,
            "updated_at": now,
            "token": None,
            "name": None,
            "description": None,
            "push_events": False,
            "tag_push_events": False,
            "merge_requests_events": False,
            "repository_update_events": True,
            "enable_ssl_verification": True,
            "push_events_branch_filter": None,
            "branch_filter_strategy": "wildcard",
            "url_variables": [],
            "custom_headers": [],
        }
        hook.update(values)
        self.hooks[hook_id] = hook
        return hook

    # ---- faults and latency ----------------------------------------------------------------
    def take_fault(self, method, path):
        """The first pending fault matching this request, used up by one; or None."""
        with self.lock:
            for fault in self.faults:
                if not _matches(fault, method, path):
                    continue
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def take_latency(self, method, path, when):
        """Seconds this request waits at `when` ("before" or "after" it is served)."""
        with self.lock:
            for rule in self.latencies:
                if rule["when"] != when or not _matches(rule, method, path):
                    continue
                if "count" in rule:
                    rule["count"] -= 1
                    if rule["count"] <= 0:
                        self.latencies.remove(rule)
                return rule["delay_ms"] / 1000.0
        return 0.0

    def log_request(self, method, path, query, status):
        with self.lock:
            self.requests.append({"method": method, "path": path, "query": query, "status": status})


def _matches(rule, method, path):
    if rule.get("method") and rule["method"].upper() != method:
        return False
    return not rule.get("path_prefix") or path.startswith(rule["path_prefix"])
