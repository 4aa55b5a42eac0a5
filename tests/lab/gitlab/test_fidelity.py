"""Fidelity: status codes, error bodies, headers and payloads as GitLab sends them (raw HTTP)."""

import re

import pytest

from .gitlab_lab.tokens import ADMIN_TOKEN, EXPIRED_TOKEN, REVOKED_TOKEN, USER_TOKEN

LEGACY_HOOK_KEYS = ["id", "url", "created_at", "push_events", "tag_push_events", "merge_requests_events", "repository_update_events", "enable_ssl_verification"]
MODERN_HOOK_KEYS = [
    "id",
    "url",
    "name",
    "description",
    "created_at",
    "push_events",
    "tag_push_events",
    "merge_requests_events",
    "repository_update_events",
    "enable_ssl_verification",
    "alert_status",
    "disabled_until",
    "url_variables",
    "push_events_branch_filter",
    "branch_filter_strategy",
    "custom_headers",
]
USER_EVENT_KEYS = ["created_at", "updated_at", "email", "event_name", "name", "username", "user_id"]
HOOK_TEST_DATA = {
    "event_name": "project_create",
    "name": "Ruby",
    "path": "ruby",
    "project_id": 1,
    "owner_name": "Someone",
    "owner_email": "example@gitlabhq.com",
}
ADMIN_PATHS = [
    ("GET", "/application/settings"),
    ("PUT", "/application/settings"),
    ("POST", "/applications"),
    ("GET", "/hooks"),
    ("POST", "/hooks"),
    ("DELETE", "/hooks/1"),
    ("POST", "/users"),
]
# GitLab 10.5 to 11.4 serve only POST /applications (lib/api/applications.rb @ v11.0.6).
LIST_PATHS = [("GET", "/applications"), ("DELETE", "/applications/1")]


def new_hook(lab, **params):
    answer = lab.api("POST", "/hooks", data=dict({"url": "http://127.0.0.1:9/hook"}, **params))
    assert answer.status_code == 201, answer.text
    return answer.json()


def new_app(lab, **params):
    body = dict({"name": "koding", "redirect_uri": "http://koding.example/-/oauth/gitlab/callback", "scopes": "api read_user"}, **params)
    answer = lab.api("POST", "/applications", data=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


# ---- authentication -------------------------------------------------------------------------
@pytest.mark.parametrize("method,path", ADMIN_PATHS + [("GET", "/version"), ("GET", "/user")])
def test_no_or_unknown_token_is_401(lab, method, path):
    check_401(lab, method, path)


@pytest.mark.parametrize("method,path", LIST_PATHS)
def test_no_or_unknown_token_is_401_where_listed(lab, method, path):
    if lab.profile == "legacy":
        pytest.skip("GitLab 11.0 has no such route")
    check_401(lab, method, path)


def check_401(lab, method, path):
    for token in (None, "glpat-not-a-real-token"):
        answer = lab.api(method, path, token=token)
        assert answer.status_code == 401
        assert answer.json() == {"message": "401 Unauthorized"}


@pytest.mark.parametrize(
    "token,text",
    [
        (EXPIRED_TOKEN, "Token is expired. You can either do re-authorization or token refresh."),
        (REVOKED_TOKEN, "Token was revoked. You have to re-authorize from the user."),
    ],
)
def test_expired_and_revoked_tokens(lab, token, text):
    answer = lab.api("GET", "/hooks", token=token)
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_token", "error_description": text}


@pytest.mark.parametrize("method,path", ADMIN_PATHS + LIST_PATHS)
def test_non_admin_is_403(lab, method, path):
    if lab.profile == "legacy" and (method, path) in LIST_PATHS:
        pytest.skip("GitLab 11.0 has no such route")
    answer = lab.api(method, path, token=USER_TOKEN)
    assert answer.status_code == 403
    assert answer.json() == {"message": "403 Forbidden"}


def test_non_admin_reads_version_and_self(lab):
    assert lab.api("GET", "/version", token=USER_TOKEN).status_code == 200
    user = lab.api("GET", "/user", token=USER_TOKEN).json()
    assert user["username"] == "labuser"
    assert user["id"] == 2
    assert "is_admin" not in user


def test_bearer_pat(lab):
    answer = lab.api("GET", "/user", token=None, headers={"Authorization": "Bearer " + ADMIN_TOKEN})
    if lab.profile != "modern":
        # GitLab 11: lib/gitlab/auth/user_auth_finders.rb looks a Bearer token up only as an OAuth token
        assert answer.status_code == 401
        assert answer.json() == {"message": "401 Unauthorized"}
        return
    assert answer.status_code == 200
    assert answer.json()["is_admin"] is True


# ---- routes ---------------------------------------------------------------------------------
def test_unknown_route_is_404(lab):
    for token in (None, ADMIN_TOKEN):
        answer = lab.api("GET", "/no/such/route", token=token)
        assert answer.status_code == 404
        assert answer.json() == {"error": "404 Not Found"}


@pytest.mark.parametrize("method,path", [("DELETE", "/hooks"), ("PUT", "/applications"), ("POST", "/version"), ("DELETE", "/application/settings")])
def test_known_path_wrong_method_is_404(lab, method, path):
    # Grape's catch-all route answers every unmatched method and path alike (lib/api/api.rb).
    answer = lab.api(method, path)
    assert answer.status_code == 404
    assert answer.json() == {"error": "404 Not Found"}


def test_version_and_metadata(lab):
    version = lab.api("GET", "/version").json()
    assert set(version) == {"version", "revision"}
    metadata = lab.api("GET", "/metadata")
    if lab.profile != "modern":
        assert version["version"] == {"legacy": "11.0.6", "transition": "11.11.8"}[lab.profile]
        assert metadata.status_code == 404
        assert metadata.json() == {"error": "404 Not Found"}
    else:
        assert version["version"] == "17.5.2"
        assert metadata.status_code == 200
        assert metadata.json()["enterprise"] is False
        assert "kas" in metadata.json()


# ---- application settings -------------------------------------------------------------------
def test_legacy_koding_settings_validation(legacy):
    assert legacy.api("GET", "/application/settings").json()["koding_enabled"] is False
    missing = legacy.api("PUT", "/application/settings", data={"koding_enabled": "true"})
    assert missing.status_code == 400
    assert missing.json() == {"error": "koding_url is missing"}
    blank = legacy.api("PUT", "/application/settings", data={"koding_enabled": "true", "koding_url": ""})
    assert blank.status_code == 400
    assert blank.json() == {"message": {"koding_url": ["can't be blank"]}}
    unchecked = legacy.api("PUT", "/application/settings", data={"koding_enabled": "true", "koding_url": "not even a url"})
    assert unchecked.status_code == 200
    assert unchecked.json()["koding_url"] == "not even a url"
    off = legacy.api("PUT", "/application/settings", data={"koding_enabled": "false"})
    assert off.status_code == 200
    assert off.json()["koding_enabled"] is False
    assert off.json()["koding_url"] == "not even a url"


def test_legacy_koding_settings_json_body(legacy):
    answer = legacy.api("PUT", "/application/settings", json={"koding_enabled": True, "koding_url": "http://gitlab.koding.example:8090"})
    assert answer.status_code == 200
    assert answer.json()["koding_enabled"] is True
    assert legacy.api("GET", "/application/settings").json()["koding_url"] == "http://gitlab.koding.example:8090"


def test_modern_drops_koding_and_needs_one_declared_param(modern):
    only_undeclared = modern.api("PUT", "/application/settings", data={"koding_enabled": "true", "koding_url": "http://k"})
    assert only_undeclared.status_code == 400
    assert re.fullmatch(r".* are missing, at least one parameter must be provided", only_undeclared.json()["error"])
    mixed = modern.api("PUT", "/application/settings", data={"koding_enabled": "true", "signup_enabled": "false"})
    assert mixed.status_code == 200
    assert "koding_enabled" not in mixed.json()
    assert mixed.json()["signup_enabled"] is False


def test_modern_gitpod_pair_validation(modern):
    assert modern.api("PUT", "/application/settings", data={"gitpod_enabled": "true"}).json() == {"error": "gitpod_url is missing"}
    assert modern.api("PUT", "/application/settings", data={"gitpod_enabled": "true", "gitpod_url": ""}).json() == {
        "message": {"gitpod_url": ["can't be blank"]}
    }


def test_settings_type_errors(lab):
    answer = lab.api("PUT", "/application/settings", data={"signup_enabled": "maybe"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "signup_enabled is invalid"}


# ---- applications ---------------------------------------------------------------------------
def test_application_create_fields(lab):
    app = new_app(lab)
    assert re.fullmatch(r"[0-9a-f]{64}", app["application_id"])
    # lib/api/entities.rb: ApplicationWithSecret is Application plus secret, exposed last.
    if lab.profile == "legacy":
        assert list(app) == ["application_id", "callback_url", "secret"]
        assert re.fullmatch(r"[0-9a-f]{64}", app["secret"])
    elif lab.profile == "transition":
        assert list(app) == ["id", "application_id", "application_name", "callback_url", "secret"]
        assert re.fullmatch(r"[0-9a-f]{64}", app["secret"])
    else:
        assert list(app) == ["id", "application_id", "application_name", "callback_url", "confidential", "secret"]
        assert re.fullmatch(r"gloas-[0-9a-f]{64}", app["secret"])
        assert app["confidential"] is True
        assert new_app(lab, confidential="false")["confidential"] is False


# GitLab 11 (Doorkeeper 4) takes blank and unknown scopes; modern GitLab declares scopes allow_blank: false and
# Doorkeeper checks them. (spec/requests/api/applications_spec.rb; see test_spec_applications.py.)
MODERN = "modern"
OLDER = ("legacy", "transition")


@pytest.mark.parametrize(
    "profiles,params,status,body",
    [
        (OLDER + (MODERN,), {"redirect_uri": "http://k/cb", "scopes": "api"}, 400, {"error": "name is missing"}),
        (OLDER, {"name": "k", "redirect_uri": "http://k/cb"}, 400, {"error": "scopes is missing"}),
        ((MODERN,), {"name": "k", "redirect_uri": "http://k/cb"}, 400, {"error": "scopes is missing, scopes is empty"}),
        ((MODERN,), {"name": "k", "redirect_uri": "http://k/cb", "scopes": ""}, 400, {"error": "scopes is empty"}),
        (OLDER, {"name": "k", "redirect_uri": "http://k/cb", "scopes": ""}, 201, None),
        (OLDER + (MODERN,), {"name": "k", "scopes": "api"}, 400, {"error": "redirect_uri is missing"}),
        (OLDER + (MODERN,), {"name": "k", "redirect_uri": "http://[bad", "scopes": "api"}, 400, {"message": {"redirect_uri": ["must be a valid URI."]}}),
        (
            (MODERN,),
            {"name": "k", "redirect_uri": "http://k/cb", "scopes": "api bogus"},
            400,
            {"message": {"scopes": ["doesn't match configured on the server."]}},
        ),
        (OLDER, {"name": "k", "redirect_uri": "http://k/cb", "scopes": "api bogus"}, 201, None),
    ],
)
def test_application_validation(lab, profiles, params, status, body):
    if lab.profile not in profiles:
        pytest.skip("not what %s answers" % lab.profile)
    answer = lab.api("POST", "/applications", data=params)
    assert answer.status_code == status
    if body is not None:
        assert answer.json() == body


def test_application_list_is_not_paginated_and_never_shows_secrets(lab):
    if lab.profile == "legacy":
        pytest.skip("GitLab 11.0 cannot list applications")
    lab.control("POST", "seed", {"applications": 30})
    app = new_app(lab, redirect_uri="http://a.example/cb\nhttp://b.example/cb")
    answer = lab.api("GET", "/applications", params={"per_page": 5})
    assert answer.status_code == 200
    assert "X-Total" not in answer.headers
    assert "Link" not in answer.headers
    listed = answer.json()
    assert len(listed) == 31
    assert all("secret" not in item and "scopes" not in item for item in listed)
    assert listed[-1]["callback_url"] == "http://a.example/cb\nhttp://b.example/cb"
    assert app["secret"] not in answer.text


def test_legacy_applications_are_create_only(legacy):
    new_app(legacy)
    for method, path in [("GET", "/applications"), ("DELETE", "/applications/1"), ("POST", "/applications/1/renew-secret")]:
        answer = legacy.api(method, path)
        assert answer.status_code == 404
        assert answer.json() == {"error": "404 Not Found"}


def test_application_delete(lab):
    if lab.profile == "legacy":
        pytest.skip("GitLab 11.0 cannot delete applications")
    app = new_app(lab)
    answer = lab.api("DELETE", "/applications/%d" % app["id"])
    assert answer.status_code == 204
    assert answer.content == b""
    again = lab.api("DELETE", "/applications/%d" % app["id"])
    if lab.profile == "transition":
        # 11.5 to early 13.x: ApplicationsFinder returns nil and nil.destroy is a 500.
        assert again.status_code == 500
        return
    assert again.status_code == 404
    assert again.json() == {"message": "404 Application Not Found"}


def test_renew_secret(lab):
    app = new_app(lab)
    answer = lab.api("POST", "/applications/%d/renew-secret" % app.get("id", 1))
    if lab.profile != "modern":
        assert answer.status_code == 404
        assert answer.json() == {"error": "404 Not Found"}
        return
    assert answer.status_code == 201
    renewed = answer.json()
    assert renewed["application_id"] == app["application_id"]
    assert renewed["secret"].startswith("gloas-")
    assert renewed["secret"] != app["secret"]
    assert lab.api("POST", "/applications/999/renew-secret").json() == {"message": "404 Application Not Found"}


def test_applications_list_feature_off_answers_404(lab_factory):
    lab = lab_factory("modern", ["applications_list=off"])
    answer = lab.api("GET", "/applications")
    assert answer.status_code == 404
    assert answer.json() == {"error": "404 Not Found"}
    assert lab.api("POST", "/applications", data={"name": "k", "redirect_uri": "http://k/cb", "scopes": "api"}).status_code == 201


# ---- system hooks ---------------------------------------------------------------------------
def test_hook_create_defaults_and_fields(lab):
    hook = new_hook(lab, token="hook-secret-token")
    assert list(hook) == (MODERN_HOOK_KEYS if lab.profile == "modern" else LEGACY_HOOK_KEYS)
    assert (hook["push_events"], hook["tag_push_events"], hook["merge_requests_events"]) == (False, False, False)
    assert hook["repository_update_events"] is True
    assert hook["enable_ssl_verification"] is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", hook["created_at"])
    if lab.profile == "modern":
        assert hook["alert_status"] == "executable"
        assert hook["disabled_until"] is None
        assert hook["url_variables"] == []
        assert hook["branch_filter_strategy"] == "wildcard"
        assert hook["custom_headers"] == []


def test_hook_validation(lab):
    missing = lab.api("POST", "/hooks", data={"push_events": "true"})
    assert missing.status_code == 400
    assert missing.json() == {"error": "url is missing"}
    bad = lab.api("POST", "/hooks", data={"url": "ftp://example.com/hook"})
    if lab.profile == "modern":
        assert bad.status_code == 422
        assert bad.json() == {"message": "Invalid url given"}
    else:
        assert bad.status_code == 400
        assert bad.json() == {"message": {"url": ["is blocked: Only allowed protocols are http, https"]}}


def test_hook_token_is_write_only(lab):
    hook = new_hook(lab, token="hook-secret-token")
    texts = [lab.api("GET", "/hooks").text]
    if lab.profile == "modern":
        texts.append(lab.api("GET", "/hooks/%d" % hook["id"]).text)
        texts.append(lab.api("PUT", "/hooks/%d" % hook["id"], data={"token": "another-secret"}).text)
        texts.append(lab.api("GET", "/hooks").text)
    for text in texts:
        assert "hook-secret-token" not in text
        assert "another-secret" not in text
        assert "token" not in text


def test_modern_get_hook_returns_it_without_firing(modern, receiver):
    hook = new_hook(modern, url=receiver.url)
    answer = modern.api("GET", "/hooks/%d" % hook["id"])
    assert answer.status_code == 200
    assert answer.json() == hook
    assert not receiver.received
    assert modern.api("GET", "/hooks/999").json() == {"message": "404 Not found"}


def test_legacy_get_hook_fires_a_test_event(legacy, receiver):
    hook = new_hook(legacy, url=receiver.url)
    answer = legacy.api("GET", "/hooks/%d" % hook["id"])
    assert answer.status_code == 200
    assert answer.json() == HOOK_TEST_DATA
    assert [item["payload"] for item in receiver.received] == [HOOK_TEST_DATA]
    deliveries = legacy.deliveries()
    assert [(item["hook_id"], item["event_name"], item["status"]) for item in deliveries] == [(hook["id"], "project_create", 200)]


def test_post_hook_id_tests_it(lab, receiver):
    hook = new_hook(lab, url=receiver.url)
    answer = lab.api("POST", "/hooks/%d" % hook["id"])
    if lab.profile != "modern":
        assert answer.status_code == 404
        assert answer.json() == {"error": "404 Not Found"}
        assert not receiver.received
        return
    assert answer.status_code == 201
    assert answer.json() == HOOK_TEST_DATA
    assert receiver.received[0]["headers"]["X-Gitlab-Event"] == "System Hook"


def test_hook_update(lab):
    hook = new_hook(lab)
    answer = lab.api("PUT", "/hooks/%d" % hook["id"], data={"push_events": "true", "name": "koding", "url": "http://127.0.0.1:9/new"})
    if lab.profile != "modern":
        assert answer.status_code == 404
        assert answer.json() == {"error": "404 Not Found"}
        return
    assert answer.status_code == 200
    assert (answer.json()["push_events"], answer.json()["name"], answer.json()["url"]) == (True, "koding", "http://127.0.0.1:9/new")
    empty = lab.api("PUT", "/hooks/%d" % hook["id"])
    assert empty.status_code == 400
    assert empty.json() == {"message": "No parameters provided"}
    unknown = lab.api("PUT", "/hooks/999", data={"push_events": "true"})
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "404 Not found"}
    assert lab.api("PUT", "/hooks/%d" % hook["id"], data={"url": "ftp://x"}).status_code == 422


def test_hook_delete(lab):
    hook = new_hook(lab)
    answer = lab.api("DELETE", "/hooks/%d" % hook["id"])
    assert answer.status_code == 204
    assert answer.content == b""
    again = lab.api("DELETE", "/hooks/%d" % hook["id"])
    assert again.status_code == 404
    assert again.json() == ({"message": "404 Not found"} if lab.profile == "modern" else {"message": "404 System hook Not Found"})


def test_hooks_pagination_headers(lab):
    lab.control("POST", "seed", {"hooks": 45})
    answer = lab.api("GET", "/hooks", params={"page": 2})
    assert answer.status_code == 200
    assert len(answer.json()) == 20
    headers = answer.headers
    assert (headers["X-Page"], headers["X-Per-Page"], headers["X-Next-Page"], headers["X-Prev-Page"]) == ("2", "20", "3", "1")
    assert (headers["X-Total"], headers["X-Total-Pages"]) == ("45", "3")
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', headers["Link"]))
    assert set(links) == {"next", "prev", "first", "last"}
    assert links["next"] == lab.url + "/api/v4/hooks?page=3&per_page=20"
    assert links["last"] == lab.url + "/api/v4/hooks?page=3&per_page=20"
    last = lab.api("GET", "/hooks", params={"page": 3})
    assert len(last.json()) == 5
    assert last.headers["X-Next-Page"] == ""
    assert 'rel="next"' not in last.headers["Link"]
    first = lab.api("GET", "/hooks")
    assert first.headers["X-Prev-Page"] == ""
    big = lab.api("GET", "/hooks", params={"per_page": 500})
    assert big.headers["X-Per-Page"] == "100"
    assert len(big.json()) == 45
    assert lab.api("GET", "/hooks", params={"page": "abc"}).json() == {"error": "page is invalid"}


def test_pagination_without_totals(lab_factory):
    lab = lab_factory("modern", ["pagination_totals=off"])
    lab.control("POST", "seed", {"hooks": 25})
    answer = lab.api("GET", "/hooks")
    assert "X-Total" not in answer.headers
    assert 'rel="last"' not in answer.headers["Link"]
    assert answer.headers["X-Next-Page"] == "2"


# ---- users and system hook deliveries -------------------------------------------------------
def create_user(lab, username="jsmith", email="js@example.com"):
    return lab.api("POST", "/users", data={"email": email, "username": username, "name": "John Smith", "password": "correct-horse-9"})


def test_user_create_delivery_modern(modern, receiver):
    hook = new_hook(modern, url=receiver.url, token="hook-secret-token")
    answer = create_user(modern)
    assert answer.status_code == 201
    user = answer.json()
    assert (user["username"], user["email"], user["name"]) == ("jsmith", "js@example.com", "John Smith")
    assert len(receiver.received) == 1
    headers = receiver.received[0]["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "GitLab/17.5.2"
    assert headers["X-Gitlab-Event"] == "System Hook"
    assert headers["X-Gitlab-Token"] == "hook-secret-token"
    assert headers["X-Gitlab-Instance"] == modern.url
    for name in ("X-Gitlab-Event-UUID", "X-Gitlab-Webhook-UUID", "Idempotency-Key"):
        assert re.fullmatch(r"[0-9a-f-]{36}", headers[name])
    payload = receiver.received[0]["payload"]
    assert list(payload) == USER_EVENT_KEYS
    assert (payload["event_name"], payload["user_id"], payload["username"]) == ("user_create", user["id"], "jsmith")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", payload["created_at"])
    [delivery] = modern.deliveries()
    assert (delivery["hook_id"], delivery["url"], delivery["event_name"], delivery["status"]) == (hook["id"], receiver.url, "user_create", 200)
    assert delivery["payload"] == payload


def test_user_create_delivery_legacy_headers(legacy, receiver):
    new_hook(legacy, url=receiver.url)
    assert create_user(legacy).status_code == 201
    headers = receiver.received[0]["headers"]
    assert headers["User-Agent"] == "GitLab/11.0.6"
    assert headers["X-Gitlab-Event"] == "System Hook"
    for name in ("X-Gitlab-Token", "X-Gitlab-Instance", "X-Gitlab-Event-UUID", "X-Gitlab-Webhook-UUID", "Idempotency-Key"):
        assert name not in headers


def test_user_destroy_delivery(lab, receiver):
    user = create_user(lab).json()
    new_hook(lab, url=receiver.url)
    answer = lab.api("DELETE", "/users/%d" % user["id"])
    assert answer.status_code == 204
    assert receiver.received[0]["payload"]["event_name"] == "user_destroy"
    assert receiver.received[0]["payload"]["user_id"] == user["id"]
    assert lab.api("DELETE", "/users/%d" % user["id"]).json() == {"message": "404 User Not Found"}


def test_user_duplicates_are_409(lab):
    assert create_user(lab).status_code == 201
    same_email = create_user(lab, username="other")
    assert same_email.status_code == 409
    assert same_email.json() == {"message": "Email has already been taken"}
    same_name = create_user(lab, email="other@example.com")
    assert same_name.status_code == 409
    assert same_name.json() == {"message": "Username has already been taken"}


def test_failed_delivery_does_not_fail_the_call(lab):
    new_hook(lab, url="http://127.0.0.1:9/nobody-listens")
    assert create_user(lab).status_code == 201
    [delivery] = lab.deliveries()
    assert delivery["status"] is None
    assert delivery["error"]


def test_modern_hook_custom_headers_and_url_variables(modern, receiver):
    answer = modern.api(
        "POST",
        "/hooks",
        json={
            "url": receiver.url,
            "custom_headers": [{"key": "X-Koding", "value": "hidden"}],
            "url_variables": [{"key": "team", "value": "gitlab"}],
            "branch_filter_strategy": "regex",
        },
    )
    assert answer.status_code == 201
    hook = answer.json()
    assert hook["custom_headers"] == [{"key": "X-Koding"}]
    assert hook["url_variables"] == [{"key": "team"}]
    assert hook["branch_filter_strategy"] == "regex"
    assert "hidden" not in answer.text
    modern.api("POST", "/hooks/%d" % hook["id"])
    assert receiver.received[0]["headers"]["X-Koding"] == "hidden"
    bad = modern.api("POST", "/hooks", data={"url": receiver.url, "branch_filter_strategy": "nope"})
    assert bad.json() == {"error": "branch_filter_strategy does not have a valid value"}
