"""Application settings, version, routing, pagination and throttling, held to GitLab's own specs and code.

Sources (see README.md, "Sources"):
  [settings-11.0] spec/requests/api/settings_spec.rb, gitlab-ce 10.x-11.0 line (with the Koding settings)
  [settings-11.5] spec/requests/api/settings_spec.rb, gitlab-ce 11.5+ line (no Koding; `params:` style), ryanfreckleton/gitlab-ce e33e3d2
  [settings]      spec/requests/api/settings_spec.rb, gitlabhq master 00d1c40
  [header]        lib/gitlab/pagination/offset_header_builder.rb, gitlabhq master 8b573c9
  [version]       spec/requests/api/version_spec.rb, gitlab-ce 10.x-11.x line
  [pagination]    spec/support/matchers/pagination_matcher.rb, gitlabhq master
  [offset]        lib/gitlab/pagination/offset_pagination.rb and Kaminari::ActiveRecordRelationMethodsWithLimit, gitlabhq master
"""

import re

import pytest

from .gitlab_lab.tokens import USER_TOKEN

PAGINATION_HEADERS = ("X-Total", "X-Total-Pages", "X-Per-Page", "X-Page", "X-Next-Page", "X-Prev-Page", "Link")


# ---- settings ---------------------------------------------------------------------------------
def test_legacy_settings_have_koding_off_by_default(legacy):
    # [settings-11.0] :8-16: 200, a Hash, koding_enabled falsey, koding_url nil
    answer = legacy.api("GET", "/application/settings")
    assert answer.status_code == 200
    assert answer.json()["koding_enabled"] is False
    assert answer.json()["koding_url"] is None
    assert answer.json()["plantuml_enabled"] is False  # :17-18
    assert answer.json()["plantuml_url"] is None


def test_legacy_settings_update_koding(legacy):
    # [settings-11.0] :37-64: PUT with koding_enabled and koding_url -> 200 and both back
    params = {"default_projects_limit": 3, "koding_enabled": "true", "koding_url": "http://koding.example.com"}
    answer = legacy.api("PUT", "/application/settings", data=params)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["default_projects_limit"], body["koding_enabled"], body["koding_url"]) == (3, True, "http://koding.example.com")


@pytest.mark.parametrize("enabled,url", [("koding_enabled", "koding_url"), ("plantuml_enabled", "plantuml_url")])
def test_legacy_enabled_without_url_is_400(legacy, enabled, url):
    # [settings-11.0] :82-96: "<x>_url is missing"
    answer = legacy.api("PUT", "/application/settings", data={enabled: "true"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "%s is missing" % url}


def test_koding_settings_are_gone_after_11_4(lab):
    if lab.profile == "legacy":
        pytest.skip("11.0 has them")
    # lib/api/settings.rb (11.5+): no koding_* parameters; at_least_one_of(*optional_attributes) -> 400 when only
    # undeclared parameters are sent, and GET has no koding_enabled key.
    assert "koding_enabled" not in lab.api("GET", "/application/settings").json()
    answer = lab.api("PUT", "/application/settings", data={"koding_enabled": "true", "koding_url": "http://koding.example.com"})
    assert answer.status_code == 400
    assert re.fullmatch(r".+ are missing, at least one parameter must be provided", answer.json()["error"])


KEY_RESTRICTIONS = ("rsa_key_restriction", "dsa_key_restriction", "ecdsa_key_restriction", "ed25519_key_restriction")


def test_settings_fields(lab):
    body = lab.api("GET", "/application/settings").json()
    # [settings-11.0] :22-25, [settings-11.5] :21-24, [settings] :35-40: the key restrictions, 0
    for name in KEY_RESTRICTIONS:
        assert body[name] == 0
    # [settings-11.5] :27-28, [settings] :45-46: the performance bar's parameters are not fields
    assert "performance_bar_allowed_group_path" not in body and "performance_bar_enabled" not in body
    if lab.profile == "transition":
        assert body["instance_statistics_visibility_private"] is False  # [settings-11.5] :26
    if lab.profile == "modern":
        # [settings] :19, :31, :39-40, :42-44, :47, :53-55
        assert body["password_authentication_enabled"] is True
        assert isinstance(body["default_preferred_language"], str)
        assert (body["ecdsa_sk_key_restriction"], body["ed25519_sk_key_restriction"]) == (0, 0)
        assert body["allow_local_requests_from_hooks_and_services"] is False
        assert body["allow_local_requests_from_web_hooks_and_services"] is False
        assert body["allow_local_requests_from_system_hooks"] is True
        assert body["snippet_size_limit"] == 50 * 1024 * 1024
        assert body["require_admin_approval_after_user_signup"] is True
        assert body["personal_access_token_prefix"] == "glpat-"
        assert body["admin_mode"] is False


def test_settings_update_fields(lab):
    # [settings-11.0] :37-78, [settings-11.5] :43-92, [settings] "updates application settings" from :127
    params = {
        "default_artifacts_expire_in": "2 days",
        "help_page_text": "custom help text",
        "help_page_hide_commercial_content": True,
        "help_page_support_url": "http://example.com/help",
        "project_export_enabled": False,
        "rsa_key_restriction": -1,
        "dsa_key_restriction": 2048,
        "ecdsa_key_restriction": 384,
        "ed25519_key_restriction": 256,
        "restricted_visibility_levels": "public",
    }
    if lab.profile != "legacy":
        params.update({"enforce_terms": True, "terms": "Hello world!", "diff_max_patch_bytes": 150000, "default_branch_protection": 3})
    answer = lab.api("PUT", "/application/settings", json=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = dict(params, restricted_visibility_levels=["public"])
    assert {name: body[name] for name in expected} == expected


def test_key_restriction_values(lab):
    # lib/api/settings.rb: `values: KeyRestrictionValidator.supported_key_restrictions(type)` (Grape's values validator)
    answer = lab.api("PUT", "/application/settings", data={"rsa_key_restriction": 1000})
    assert answer.status_code == 400
    assert answer.json() == {"error": "rsa_key_restriction does not have a valid value"}


def test_settings_need_an_admin(lab):
    assert lab.api("GET", "/application/settings", token=None).status_code == 401
    assert lab.api("GET", "/application/settings", token=USER_TOKEN).status_code == 403


# ---- version ----------------------------------------------------------------------------------
def test_version(lab):
    # [version] :7-13: no user -> 401
    assert lab.api("GET", "/version", token=None).status_code == 401
    # [version] :18-23: any user -> 200 with version and revision
    answer = lab.api("GET", "/version", token=USER_TOKEN)
    assert answer.status_code == 200
    assert sorted(answer.json()) == ["revision", "version"]
    assert answer.json()["version"] == {"legacy": "11.0.6", "transition": "11.11.8", "modern": "17.5.2"}[lab.profile]


# ---- routing ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "method,path", [("GET", "/no/such/route"), ("POST", "/version"), ("PATCH", "/hooks"), ("DELETE", "/application/settings"), ("PUT", "/applications")]
)
def test_unmatched_route_or_method_is_the_catch_all_404(lab, method, path):
    # lib/api/api.rb: route :any, '*path' { error!('404 Not Found', 404) } answers anything no endpoint took
    answer = lab.api(method, path)
    assert answer.status_code == 404
    assert answer.json() == {"error": "404 Not Found"}


# ---- pagination -------------------------------------------------------------------------------
def test_pagination_headers(lab):
    lab.control("POST", "seed", {"hooks": 3})
    # [pagination] :3-7 include_pagination_headers
    answer = lab.api("GET", "/hooks", params={"per_page": 2, "page": 2})
    assert all(name in answer.headers for name in PAGINATION_HEADERS)
    headers = answer.headers
    assert (headers["X-Total"], headers["X-Total-Pages"], headers["X-Per-Page"], headers["X-Page"]) == ("3", "2", "2", "2")
    assert (headers["X-Next-Page"], headers["X-Prev-Page"]) == ("", "1")
    rels = re.findall(r'rel="(\w+)"', headers["Link"])
    assert rels == ["prev", "first", "last"]


@pytest.mark.parametrize("page", [3, 9])
def test_a_page_past_the_last(lab, page):
    lab.control("POST", "seed", {"hooks": 3})
    answer = lab.api("GET", "/hooks", params={"per_page": 2, "page": page})
    assert answer.status_code == 200
    assert answer.json() == []
    headers = answer.headers
    # [header] :20-30: X-Page is the page asked for; Kaminari's next_page and prev_page are nil past the last page
    # (kaminari-core page_scope_methods.rb: `unless last_page? || out_of_range?`, `unless first_page? || out_of_range?`)
    assert (headers["X-Page"], headers["X-Next-Page"], headers["X-Prev-Page"]) == (str(page), "", "")
    assert (headers["X-Total"], headers["X-Total-Pages"]) == ("3", "2")
    # [header] :35-42: no prev or next link; first, and last (the last real page)
    assert re.findall(r'rel="(\w+)"', headers["Link"]) == ["first", "last"]
    assert "page=2&" in headers["Link"].split(", ")[1]


def test_link_order(lab):
    lab.control("POST", "seed", {"hooks": 5})
    # [header] :35-42: prev, next, first, last
    answer = lab.api("GET", "/hooks", params={"per_page": 2, "page": 2})
    assert re.findall(r'rel="(\w+)"', answer.headers["Link"]) == ["prev", "next", "first", "last"]


def test_limited_pagination_headers(lab_factory):
    # [pagination] :9-13 include_limited_pagination_headers (no totals, as GitLab sends on big tables)
    lab = lab_factory("modern", ["pagination_totals=off"])
    lab.control("POST", "seed", {"hooks": 3})
    answer = lab.api("GET", "/hooks", params={"per_page": 2})
    assert all(name in answer.headers for name in PAGINATION_HEADERS if not name.startswith("X-Total"))
    assert "X-Total" not in answer.headers and "X-Total-Pages" not in answer.headers


@pytest.mark.parametrize("rows,counted", [(10000, True), (10001, False)])
def test_counting_stops_past_ten_thousand_rows_on_modern(lab, rows, counted):
    # [offset] exceeeds_count?: total_count_with_limit > MAX_COUNT_LIMIT (10_000) -> without_count (limited headers)
    lab.control("POST", "seed", {"hooks": rows})
    answer = lab.api("GET", "/hooks", params={"per_page": 100})
    has_totals = "X-Total" in answer.headers
    assert has_totals is (counted or lab.profile != "modern")
    assert ('rel="last"' in answer.headers["Link"]) is has_totals
    assert answer.headers["X-Next-Page"] == "2"


# ---- throttling -------------------------------------------------------------------------------
def test_throttled_answer_is_rack_attacks(lab):
    # Rack::Attack's throttled response, which GitLab's throttles use: 429, text/plain, "Retry later\n", Retry-After;
    # GitLab adds RateLimit-* (lib/gitlab/rack_attack.rb) in modern releases.
    lab.control("POST", "faults", {"status": 429, "retry_after": 7})
    answer = lab.api("GET", "/hooks")
    assert answer.status_code == 429
    assert answer.headers["Content-Type"] == "text/plain"
    assert answer.text == "Retry later\n"
    assert answer.headers["Retry-After"] == "7"
    has_rate_limit = {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(answer.headers)
    assert has_rate_limit is (lab.profile == "modern")
