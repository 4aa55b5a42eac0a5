"""Application settings, version, routing, pagination and throttling, held to GitLab's own specs and code.

Sources (see README.md, "Sources"):
  [settings-11.0] spec/requests/api/settings_spec.rb, gitlab-ce 10.x-11.0 line (with the Koding settings)
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
