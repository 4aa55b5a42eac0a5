"""The releases the lab can be. Each profile is data; one Profile object answers every capability question.

Where each capability comes from in GitLab's source is listed in README.md (section "Sources").
"""

# Capability switches; each profile below sets every one of them.
FEATURES = (
    "applications_list",  # GET /applications (11.5+)
    "applications_delete",  # DELETE /applications/:id (11.5+)
    "application_full_fields",  # id and application_name in the application entities (11.5+)
    "application_confidential",  # the confidential parameter and field
    "application_scopes_not_blank",  # scopes declared allow_blank: false ("scopes is empty")
    "application_scopes_checked",  # Doorkeeper 5 checks scopes against the server's ("doesn't match configured on the server.")
    "redirect_uri_strict",  # newer Doorkeeper: "must be a valid URI.", forbidden schemes
    "renew_secret",  # POST /applications/:id/renew-secret (16.11+)
    "hashed_secrets",  # gloas- prefixed secrets, stored hashed
    "koding_settings",  # koding_enabled / koding_url in /application/settings (up to 11.4)
    "metadata",  # GET /metadata (15.2+)
    "hooks_put",  # PUT /hooks/:hook_id
    "hooks_test_post",  # POST /hooks/:hook_id fires a test event
    "hooks_get_returns_hook",  # GET /hooks/:hook_id returns the hook (14.9+); before, GET /hooks/:id fired a test
    "hook_repository_update_param",  # POST /hooks declares repository_update_events
    "hook_details",  # name, description, branch filter, url_variables, custom_headers, alert_status
    "validation_status_422",  # hook validation errors answer 422 (400 before)
    "rate_limit_headers",  # RateLimit-* headers on Rack::Attack's 429
    "pagination_totals",  # X-Total, X-Total-Pages and rel="last"
    "pagination_count_limit",  # no totals when a list holds more than 10,000 rows (Kaminari MAX_COUNT_LIMIT)
)
COUNT_LIMIT = 10000

PROFILES = {
    "legacy": {
        "version": "11.0.6",
        "revision": "5e4ee8a9b4c",
        "features": {
            "koding_settings",
            "pagination_totals",
        },
    },
    "transition": {
        "version": "11.11.8",
        "revision": "1ae34c7b2a1",
        "features": {
            "applications_list",
            "applications_delete",
            "application_full_fields",
            "hook_repository_update_param",
            "pagination_totals",
        },
    },
    "modern": {
        "version": "17.5.2",
        "revision": "3c2d5f8ab91",
        "features": set(FEATURES) - {"koding_settings"},
    },
}

# Settings: (name, type, default). The Koding pair is there only with koding_settings.
COMMON_SETTINGS = (
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
)
BEFORE_13_SETTINGS = (
    ("domain_whitelist", list, []),
    ("domain_blacklist_enabled", bool, False),
    ("allow_local_requests_from_hooks_and_services", bool, False),
)
SINCE_13_SETTINGS = (
    ("max_attachment_size", int, 100),
    ("domain_allowlist", list, []),
    ("domain_denylist_enabled", bool, False),
    ("allow_local_requests_from_web_hooks_and_services", bool, False),
    ("allow_local_requests_from_system_hooks", bool, True),
    ("admin_mode", bool, False),
    ("gitpod_enabled", bool, False),
    ("gitpod_url", str, "https://gitpod.io/"),
    ("require_admin_approval_after_user_signup", bool, True),
    ("deactivate_dormant_users", bool, False),
)
KODING_SETTINGS = (("koding_enabled", bool, False), ("koding_url", str, None))
# "<x>_enabled" needs "<x>_url": Grape `given ... requires` plus the model's presence validation.
ENABLED_URL_PAIRS = (("koding_enabled", "koding_url"), ("plantuml_enabled", "plantuml_url"), ("gitpod_enabled", "gitpod_url"))


def version_tuple(version):
    return tuple(int(part) for part in version.split("."))


class Profile:
    """One release of GitLab as the lab plays it: version, capabilities, settings catalogue."""

    def __init__(self, name, switches=None):
        if name not in PROFILES:
            raise ValueError("unknown profile %r; one of: %s" % (name, ", ".join(sorted(PROFILES))))
        data = PROFILES[name]
        self.name = name
        self.version = data["version"]
        self.revision = data["revision"]
        self.features = {feature: feature in data["features"] for feature in FEATURES}
        for feature, value in (switches or {}).items():
            if feature not in self.features:
                raise ValueError("unknown feature %r; one of: %s" % (feature, ", ".join(FEATURES)))
            self.features[feature] = bool(value)

    def has(self, feature):
        return self.features[feature]

    def at_least(self, *version):
        return version_tuple(self.version) >= version

    # ---- settings --------------------------------------------------------------------------
    def settings_catalogue(self):
        """(name, type, default) of every setting this release has, later entries overriding earlier ones."""
        catalogue = {}
        extra = SINCE_13_SETTINGS if self.at_least(13, 0) else BEFORE_13_SETTINGS
        koding = KODING_SETTINGS if self.has("koding_settings") else ()
        for name, kind, default in COMMON_SETTINGS + extra + koding:
            catalogue[name] = (kind, default)
        return catalogue

    # ---- applications ----------------------------------------------------------------------
    def application_parameters(self):
        declared = {"name": str, "redirect_uri": str, "scopes": str}
        if self.has("application_confidential"):
            declared["confidential"] = bool
        return declared

    # ---- hooks -----------------------------------------------------------------------------
    def hook_parameters(self):
        declared = {"url": str, "token": str, "push_events": bool, "tag_push_events": bool, "merge_requests_events": bool}
        if self.has("hook_repository_update_param"):
            declared["repository_update_events"] = bool
        declared["enable_ssl_verification"] = bool
        if self.has("hook_details"):
            declared.update(
                {
                    "push_events_branch_filter": str,
                    "branch_filter_strategy": str,
                    "name": str,
                    "description": str,
                    "url_variables": list,
                    "custom_headers": list,
                }
            )
        return declared

    def hook_validation_status(self):
        return 422 if self.has("validation_status_422") else 400

    def delivery_header_names(self):
        """Headers GitLab adds to a hook delivery beyond Content-Type, User-Agent, X-Gitlab-Event and X-Gitlab-Token."""
        names = []
        if self.at_least(15, 5):
            names.append("X-Gitlab-Instance")
        if self.at_least(16, 2):
            names.append("X-Gitlab-Webhook-UUID")
        if self.at_least(14, 8):
            names.append("X-Gitlab-Event-UUID")
        if self.at_least(17, 4):
            names.append("Idempotency-Key")
        return names

    # ---- users -----------------------------------------------------------------------------
    def user_has_locked_field(self):
        return self.at_least(13, 0)

    def describe(self):
        return {"profile": self.name, "version": self.version, "features": dict(self.features)}


def parse_switches(items):
    """--feature NAME=on|off items into {NAME: bool}; raises ValueError on a bad item."""
    switches = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or name not in FEATURES or value not in ("on", "off"):
            raise ValueError("--feature expects NAME=on|off with NAME one of: %s" % ", ".join(sorted(FEATURES)))
        switches[name] = value == "on"
    return switches
