"""The releases the lab can be. Each profile is data; one Profile object answers every capability question.

What a release can do comes from the collection's release table (plugins/module_utils/_gitlab_releases.py), the one
the modules ask: each lab feature in RELEASE_FEATURES is on exactly where the table says the release has its
capability. Where the table does not pin a release, the profile says which way the lab plays it ("assume"). The
other features are the lab's own detail and are listed per profile. Where each capability comes from in GitLab's
source is listed in README.md (section "Sources").
"""

import importlib.util
import os

_RELEASES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), *([os.pardir] * 4), "plugins", "module_utils", "_gitlab_releases.py")
_SPEC = importlib.util.spec_from_file_location("gitlab_lab_releases", _RELEASES_FILE)
releases = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(releases)

# Lab feature -> the capability of the release table it plays.
RELEASE_FEATURES = {
    "api_v4": "api_v4",  # /api/v4 at all (8.17+); before, every /api/v4 request is a Rails 404
    "grape_405": "grape_405",  # a method a path lacks answers 405 (Grape 0.18, 8.17), later 404
    "hooks_paginated": "hooks_paginated",  # GET /hooks paginated (9.0+)
    "applications_create": "applications_create",  # POST /applications (10.5+)
    "applications_list": "applications_list",  # GET /applications (11.5+)
    "applications_delete": "applications_delete",  # DELETE /applications/:id (11.5+)
    "applications_delete_404": "applications_delete_404",  # 404 for an application that is gone (500 before)
    "renew_secret": "renew_secret",  # POST /applications/:id/renew-secret (16.11+)
    "koding_settings": "koding_settings",  # koding_enabled / koding_url in /application/settings (8.13 to 11.4)
    "metadata": "metadata",  # GET /metadata (15.2+)
    "hooks_put": "hook_put",  # PUT /hooks/:hook_id
    "hooks_test_post": "hook_test_post",  # POST /hooks/:hook_id fires a test event
    "hooks_get_returns_hook": "hook_get",  # GET /hooks/:hook_id returns the hook (14.9+); before, it fired a test
    "hook_repository_update_param": "hook_repository_update_events",  # POST /hooks declares repository_update_events
    "hook_details": "hook_name",  # name, description, branch filter, url_variables, custom_headers, alert_status
}
# The lab's own detail, set per profile.
LAB_FEATURES = (
    "application_full_fields",  # id and application_name in the application entities (11.5+)
    "application_confidential",  # the confidential parameter and field
    "application_scopes_not_blank",  # scopes declared allow_blank: false ("scopes is empty")
    "application_scopes_checked",  # Doorkeeper 5 checks scopes against the server's ("doesn't match configured on the server.")
    "redirect_uri_strict",  # newer Doorkeeper: "must be a valid URI.", forbidden schemes
    "hashed_secrets",  # gloas- prefixed secrets, stored hashed
    "validation_status_422",  # hook validation errors answer 422 (400 before)
    "rate_limit_headers",  # RateLimit-* headers on Rack::Attack's 429
    "pagination_totals",  # X-Total, X-Total-Pages and rel="last"
    "pagination_count_limit",  # no totals when a list holds more than 10,000 rows (Kaminari MAX_COUNT_LIMIT)
    "grape_empty_is_nil",  # Grape 1.3+: an empty string is no value for any type but String (before: "<x> is invalid")
    "bearer_personal_access_token",  # a personal access token is taken from Authorization: Bearer too (11.x: 401)
    "native_redirect_uri",  # urn:ietf:wg:oauth:2.0:oob is a valid redirect URI (11.x: native_redirect_uri nil)
    "reuse_access_token",  # Doorkeeper's reuse_access_token is on (11.x; off in current GitLab)
)
FEATURES = tuple(RELEASE_FEATURES) + LAB_FEATURES
COUNT_LIMIT = 10000

# "features": the lab features of LAB_FEATURES that are on; "assume": release features the table leaves open there.
PROFILES = {
    "8.16": {"version": "8.16.9", "revision": "2e3e4ad", "features": {"reuse_access_token"}},
    "8.17": {"version": "8.17.8", "revision": "6c1b1b2", "features": {"reuse_access_token"}},
    "10.4": {"version": "10.4.7", "revision": "1e2f3a4", "features": {"pagination_totals", "reuse_access_token"}, "assume": {"grape_405": False}},
    "11.4": {"version": "11.4.12", "revision": "5d9b2e3", "features": {"pagination_totals", "reuse_access_token"}},
    "legacy": {"version": "11.0.6", "revision": "5e4ee8a9b4c", "features": {"pagination_totals", "reuse_access_token"}},
    "transition": {"version": "11.11.8", "revision": "1ae34c7b2a1", "features": {"application_full_fields", "pagination_totals", "reuse_access_token"}},
    "12.10": {"version": "12.10.14", "revision": "6a7b8c9", "features": {"application_full_fields", "pagination_totals", "reuse_access_token"}},
    # 13.12 to 18.11: the hook and application releases past 12.10 (gitlab-api.md, "Release by release").
    "13.12": {
        "version": "13.12.15",
        "revision": "b7a0e5c",
        # Token reuse is still on in a 13.x copy of oauth_tokens_spec.rb; Doorkeeper 5 (the native redirect URI) and
        # Grape 1.3 are in by then; a personal access token as Bearer is not pinned before 14.x: the lab refuses it.
        "features": {
            "application_full_fields",
            "application_confidential",
            "pagination_totals",
            "grape_empty_is_nil",
            "native_redirect_uri",
            "reuse_access_token",
        },
        # gitlab-api.md: the 500 on a gone application lasts until "early 13.x"; the test moved to POST /hooks/:id in
        # "≈13.x" ("a later 13.x copy"): the last 13.x plays the later copy on both.
        "assume": {"applications_delete_404": True, "hooks_test_post": True},
    },
    "14.10": {
        "version": "14.10.5",
        "revision": "d1e8f4a",
        # Token reuse: off in current GitLab, the release that turned it off is not pinned; the lab plays 14.10 on as
        # current GitLab does.
        "features": {
            "application_full_fields",
            "application_confidential",
            "pagination_totals",
            "grape_empty_is_nil",
            "native_redirect_uri",
            "bearer_personal_access_token",
        },
        # gitlab-api.md: PUT /hooks/:hook_id "present by 15.2; the exact release is unconfirmed" (a 12.10 copy has none):
        # the lab plays 14.10 without it, so the modules' fallback (delete and add) is what this profile shows.
        "assume": {"hooks_put": False},
    },
    # 15.11 and 16.11 play the lab's own details as modern does (the 15.x copies have the modern hook helpers), but
    # keep readable secrets: the gloas- prefix and hashing are modern only in the lab.
    "15.11": {"version": "15.11.13", "revision": "9c4f2b7", "features": set(LAB_FEATURES) - {"hashed_secrets", "reuse_access_token"}},
    "16.11": {"version": "16.11.10", "revision": "4a6e0d3", "features": set(LAB_FEATURES) - {"hashed_secrets", "reuse_access_token"}},
    "modern": {"version": "17.5.2", "revision": "3c2d5f8ab91", "features": set(LAB_FEATURES) - {"reuse_access_token"}},
    # The newest 18.x: gitlab-api.md's facts on 18.x come from current sources, which is at least the last 18.x.
    "18.11": {"version": "18.11.2", "revision": "e5b3a91", "features": set(LAB_FEATURES) - {"reuse_access_token"}},
}
# The classic profiles: the compat toolchain's integration stage runs the module targets on these only; the primary
# one runs them on every profile with api_v4 (tests/integration/run.sh; test_releases.py holds its lists to these).
INTEGRATION_PROFILES = ("legacy", "transition", "modern")


def release_features(version, assume=None):
    """{feature: bool} of RELEASE_FEATURES for a release, from the release table; assume settles what it leaves open."""
    release = version_tuple(version)[:2]
    features = {}
    for feature, capability in RELEASE_FEATURES.items():
        state = releases.state(capability, release)
        if state is None:
            if feature not in (assume or {}):
                raise ValueError("the release table does not pin %s for GitLab %s: say in the profile which way the lab plays it" % (capability, version))
            state = (assume or {})[feature]
        features[feature] = state
    return features


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
    ("terms", str, None),
    ("rsa_key_restriction", int, 0),
    ("dsa_key_restriction", int, 0),
    ("ecdsa_key_restriction", int, 0),
    ("ed25519_key_restriction", int, 0),
    ("default_artifacts_expire_in", str, "30 days"),
    ("help_page_support_url", str, None),
    ("project_export_enabled", bool, True),
    ("diff_max_patch_bytes", int, 102400),
)
BEFORE_13_SETTINGS = (
    ("instance_statistics_visibility_private", bool, False),
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
    ("ecdsa_sk_key_restriction", int, 0),
    ("ed25519_sk_key_restriction", int, 0),
    ("allow_local_requests_from_hooks_and_services", bool, False),
    ("password_authentication_enabled", bool, True),
    ("diff_max_files", int, 1000),
    ("diff_max_lines", int, 50000),
    ("snippet_size_limit", int, 52428800),
    ("personal_access_token_prefix", str, "glpat-"),
    ("default_preferred_language", str, "en"),
)
# Grape `values:` of the key restriction settings: KeyRestrictionValidator.supported_key_restrictions (0: any size,
# -1: forbidden, else the smallest size allowed).
SETTING_VALUES = {
    "rsa_key_restriction": (0, -1, 1024, 2048, 3072, 4096),
    "dsa_key_restriction": (0, -1, 1024, 2048, 3072),
    "ecdsa_key_restriction": (0, -1, 256, 384, 521),
    "ed25519_key_restriction": (0, -1, 256),
    "ecdsa_sk_key_restriction": (0, -1, 256),
    "ed25519_sk_key_restriction": (0, -1, 256),
}
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
        self.features = release_features(self.version, data.get("assume"))
        self.features.update((feature, feature in data["features"]) for feature in LAB_FEATURES)
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

    def capabilities(self):
        """{capability: {"has", "since", "last"}} of the release table as this profile plays it: "has" is the lab's
        answer (None where the table leaves the release open and no lab feature plays it), "since" the table's text
        for the first release ('GitLab 16.11'), "last" the last release of one that went away ('11.4') or None."""
        played = dict((capability, self.features[feature]) for feature, capability in RELEASE_FEATURES.items())
        release = version_tuple(self.version)[:2]
        answer = {}
        for name, capability in releases.CAPABILITIES.items():
            answer[name] = {
                "has": played.get(name, releases.state(name, release)),
                "since": releases.since(name),
                "last": releases.last(name) if capability.last is not None else None,
            }
        return answer

    def describe(self):
        return {"profile": self.name, "version": self.version, "features": dict(self.features), "capabilities": self.capabilities()}


def parse_switches(items):
    """--feature NAME=on|off items into {NAME: bool}; raises ValueError on a bad item."""
    switches = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or name not in FEATURES or value not in ("on", "off"):
            raise ValueError("--feature expects NAME=on|off with NAME one of: %s" % ", ".join(sorted(FEATURES)))
        switches[name] = value == "on"
    return switches
