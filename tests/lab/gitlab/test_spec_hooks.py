"""System hooks, held to GitLab's own request specs.

Sources (see README.md, "Sources"):
  [11.0]   spec/requests/api/system_hooks_spec.rb, gitlab-ce 11.0 line
  [shared] spec/support/shared_examples/requests/api/hooks_shared_examples.rb, gitlabhq master 0cd52ae (17.x and later)
  [sys]    spec/requests/api/system_hooks_spec.rb, gitlabhq master
  [412]    spec/support/shared_examples/requests/api/status_shared_examples.rb, gitlabhq master
  [shared-bf] spec/support/shared_examples/requests/api/hooks_shared_examples.rb, gitlabhq master b5dcad1 (branch filter examples)
"""

import time
from email.utils import formatdate

import pytest

from .gitlab_lab.tokens import USER_TOKEN

OLDER = ("legacy", "transition")
TEST_EVENT = {"event_name": "project_create", "name": "Ruby", "path": "ruby", "project_id": 1, "owner_name": "Someone", "owner_email": "example@gitlabhq.com"}
PAGINATION_HEADERS = ("X-Total", "X-Total-Pages", "X-Per-Page", "X-Page", "X-Next-Page", "X-Prev-Page", "Link")


def hook(lab, **params):
    answer = lab.api("POST", "/hooks", data=dict({"url": "http://example.com"}, **params))
    assert answer.status_code == 201, answer.text
    return answer.json()


# ---- GET /hooks -------------------------------------------------------------------------------
def test_list_needs_a_user_and_an_admin(lab):
    # [11.0] :14-17 / [shared] :80-84: no user -> 401
    assert lab.api("GET", "/hooks", token=None).status_code == 401
    # [11.0] :22-25 / [shared] :72-76: not an admin -> 403
    assert lab.api("GET", "/hooks", token=USER_TOKEN).status_code == 403


def test_list_returns_hooks_with_pagination_headers_and_defaults(lab):
    hook(lab)
    # [11.0] :30-40: 200, include_pagination_headers, the event defaults
    answer = lab.api("GET", "/hooks")
    assert answer.status_code == 200
    # spec/support/matchers/pagination_matcher.rb:3-7 (include_pagination_headers)
    assert all(name in answer.headers for name in PAGINATION_HEADERS)
    first = answer.json()[0]
    assert first["url"] == "http://example.com"
    assert (first["push_events"], first["tag_push_events"], first["merge_requests_events"]) == (False, False, False)
    assert first["repository_update_events"] is True
    assert "token" not in first


# ---- POST /hooks ------------------------------------------------------------------------------
def test_create_without_url_is_400(lab):
    # [11.0] :52-55 and :64-68 / [shared] :214-218: 400 and nothing created
    answer = lab.api("POST", "/hooks", data={"push_events": "true"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "url is missing"}
    # [shared] :220-224: no parameters at all -> 400
    assert lab.api("POST", "/hooks").status_code == 400
    assert lab.api("GET", "/hooks").json() == []


def test_create_with_invalid_url(lab):
    if lab.profile in OLDER:
        # [11.0] :58-61: 'hp://mep.mep' -> 400 (render_validation_error!)
        answer = lab.api("POST", "/hooks", data={"url": "hp://mep.mep"})
        assert answer.status_code == 400
        assert list(answer.json()["message"]) == ["url"]
    else:
        # [shared] :244-248: 'ftp://example.com' -> 422; lib/api/helpers/web_hooks_helpers.rb and
        # app/services/web_hooks/create_service.rb: "Invalid url given"
        answer = lab.api("POST", "/hooks", data={"url": "ftp://example.com"})
        assert answer.status_code == 422
        assert answer.json() == {"message": "Invalid url given"}
    assert lab.api("GET", "/hooks").json() == []


def test_create_sets_default_values_for_events(lab):
    # [11.0] :70-77 / [shared] :226-235 with [sys] :55-57 (repository_update_events defaults to true)
    created = hook(lab, url="http://mep.mep")
    assert created["enable_ssl_verification"] is True
    assert (created["push_events"], created["tag_push_events"], created["merge_requests_events"]) == (False, False, False)
    assert created["repository_update_events"] is True


def test_create_sets_explicit_values_for_events(lab):
    # [11.0] :80-92
    created = hook(lab, url="http://mep.mep", enable_ssl_verification="false", push_events="true", tag_push_events="true", merge_requests_events="true")
    assert (created["enable_ssl_verification"], created["push_events"], created["tag_push_events"], created["merge_requests_events"]) == (
        False,
        True,
        True,
        True,
    )


def test_repository_update_events_parameter(lab):
    # [shared] :173-194 ("adds hook": every event in [sys] :35-42 set to true comes back true) on modern;
    # Up to 13.x POST /hooks does not declare repository_update_events (v11.5.0-v11.7.5 lib/api/system_hooks.rb:27-32):
    # Grape drops it and the default stays.
    created = hook(lab, repository_update_events="false")
    assert created["repository_update_events"] is (lab.profile != "modern")


def test_token_is_kept_but_never_returned(lab, receiver):
    # [shared] :196-212: 201, the token is not in the answer, the hook keeps it
    created = hook(lab, url=receiver.url, token="secret token")
    assert "token" not in created
    assert "secret token" not in lab.api("GET", "/hooks").text
    lab.api("POST" if lab.profile == "modern" else "GET", "/hooks/%d" % created["id"])
    assert receiver.received[0]["headers"]["X-Gitlab-Token"] == "secret token"


def test_token_with_a_newline_is_refused(lab):
    answer = lab.api("POST", "/hooks", data={"url": "http://example.com", "token": "foo\nbar"})
    if lab.profile in OLDER:
        # render_validation_error! (400) on GitLab 11
        assert answer.status_code == 400
        assert answer.json() == {"message": {"token": ["is invalid"]}}
    else:
        # [shared] :237-242: 422
        assert answer.status_code == 422
    assert lab.api("GET", "/hooks").json() == []


# ---- GET /hooks/:id ---------------------------------------------------------------------------
def test_get_hook_id_fires_a_test_before_14_9(lab, receiver):
    if lab.profile not in OLDER:
        pytest.skip("GET /hooks/:hook_id returns the hook from 14.9 on")
    created = hook(lab, url=receiver.url)
    # [11.0] :97-100: 200 and the project_create mock data
    answer = lab.api("GET", "/hooks/%d" % created["id"])
    assert answer.status_code == 200
    assert answer.json() == TEST_EVENT
    assert [item["payload"] for item in receiver.received] == [TEST_EVENT]
    # [11.0] :103-105: unknown id -> 404 (SystemHook.find: RecordNotFound)
    missing = lab.api("GET", "/hooks/404")
    assert missing.status_code == 404
    assert missing.json() == {"message": "404 Not found"}


def test_get_hook_id_returns_the_hook_on_modern(modern, receiver):
    created = hook(modern, url=receiver.url)
    # [shared] :107-114: 200, the hook
    answer = modern.api("GET", "/hooks/%d" % created["id"])
    assert answer.status_code == 200
    assert answer.json()["url"] == receiver.url
    assert not receiver.received
    # [shared] :116-120: unknown id -> 404
    assert modern.api("GET", "/hooks/999999").status_code == 404


# ---- POST /hooks/:id (test) -------------------------------------------------------------------
def test_post_hook_id_tests_the_hook(lab, receiver):
    created = hook(lab, url=receiver.url)
    answer = lab.api("POST", "/hooks/%d" % created["id"])
    if lab.profile in OLDER:
        # GitLab 11 tests a hook with GET; POST /hooks/:id is Grape's catch-all
        assert answer.status_code == 404
        assert answer.json() == {"error": "404 Not Found"}
        assert not receiver.received
        return
    # [shared] :4-14: 201
    assert answer.status_code == 201
    assert answer.json() == TEST_EVENT
    assert receiver.received[0]["payload"] == TEST_EVENT


# ---- PUT /hooks/:id ---------------------------------------------------------------------------
def test_put_hook(lab):
    created = hook(lab)
    answer = lab.api("PUT", "/hooks/%d" % created["id"], data={"push_events": "false", "tag_push_events": "true"})
    if lab.profile in OLDER:
        assert answer.status_code == 404
        assert answer.json() == {"error": "404 Not Found"}
        return
    # [shared] :252-261 with [sys] :48-53 (update_params): 200, the values
    assert answer.status_code == 200
    assert (answer.json()["push_events"], answer.json()["tag_push_events"]) == (False, True)
    # [shared] :289-293: unknown id -> 404
    assert lab.api("PUT", "/hooks/999999", data={"url": "http://example.org"}).status_code == 404
    # [shared] :295-299: no parameters -> 400
    assert lab.api("PUT", "/hooks/%d" % created["id"]).status_code == 400
    # [shared] :301-305: bad URL -> 422
    assert lab.api("PUT", "/hooks/%d" % created["id"], data={"url": "ftp://example.com"}).status_code == 422
    # [shared] :307-312: token with a newline -> 422
    assert lab.api("PUT", "/hooks/%d" % created["id"], data={"token": "foo\nbar"}).status_code == 422
    # [shared] :276-287: the token is taken but not returned
    updated = lab.api("PUT", "/hooks/%d" % created["id"], data={"url": "http://example.org", "token": "secret token"})
    assert updated.status_code == 200
    assert updated.json()["url"] == "http://example.org"
    assert "token" not in updated.json()


# ---- DELETE /hooks/:id ------------------------------------------------------------------------
def test_delete_hook(lab):
    created = hook(lab)
    # [11.0] :110-115 / [shared] :315-321: 204, one hook fewer
    answer = lab.api("DELETE", "/hooks/%d" % created["id"])
    assert answer.status_code == 204
    assert answer.content == b""
    assert lab.api("GET", "/hooks").json() == []
    # [11.0] :118-121 / [shared] :323-327: unknown id -> 404
    assert lab.api("DELETE", "/hooks/12345").status_code == 404
    # [shared] :329-333: no id (DELETE on the collection) -> 404
    collection = lab.api("DELETE", "/hooks")
    assert collection.status_code == 404
    assert collection.json() == {"error": "404 Not Found"}


def test_delete_hook_is_conditional(lab):
    # [11.0] :124-126 and [shared] :342-344 use '412 response': [412] :53-78
    created = hook(lab)
    modified = lab.api("DELETE", "/hooks/%d" % created["id"], headers={"If-Unmodified-Since": "1990-01-12T00:00:48-0600"})
    assert modified.status_code == 412
    assert modified.json() == {"message": "412 Precondition Failed"}
    unmodified = lab.api("DELETE", "/hooks/%d" % created["id"], headers={"If-Unmodified-Since": formatdate(time.time() + 1, usegmt=True)})
    assert unmodified.status_code == 204
    assert unmodified.content == b""


# ---- URL validation ---------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["ftp://example.com", "http://exa mple.com", "http://example.com:99999", "http://example.com/{token}"])
def test_create_with_a_url_gitlab_refuses(lab, url):
    # [shared] :244-248 (ftp:// -> 422); WebHooks::Hook (app/models/concerns/web_hooks/hook.rb, master):
    # `validates :url, public_url: true` and no_missing_url_variables ("{token}" without a URL variable);
    # WebHooks::CreateService :17 answers "Invalid url given". GitLab 11: render_validation_error! (400).
    if lab.profile in OLDER and "{" in url:
        pytest.skip("URL templates came with URL variables")
    answer = lab.api("POST", "/hooks", data={"url": url})
    if lab.profile in OLDER:
        assert answer.status_code == 400
        assert list(answer.json()["message"]) == ["url"]
    else:
        assert answer.status_code == 422
        assert answer.json() == {"message": "Invalid url given"}
    assert lab.api("GET", "/hooks").json() == []


def test_url_variables_fill_the_url_template(modern):
    # hook.rb: with URL variables the interpolated URL is the one validated (validates :interpolated_url)
    answer = modern.api("POST", "/hooks", json={"url": "http://example.com/{token}", "url_variables": [{"key": "token", "value": "abc"}]})
    assert answer.status_code == 201, answer.text
    assert answer.json()["url_variables"] == [{"key": "token"}]


def test_put_with_a_url_gitlab_refuses(modern):
    created = hook(modern)
    # [shared] :301-305; web_hooks_helpers.rb (1b9e60e) save_hook :79: 422 "Invalid url given"
    for url in ("ftp://example.com", "http://example.com/{missing}"):
        answer = modern.api("PUT", "/hooks/%d" % created["id"], data={"url": url})
        assert answer.status_code == 422
        assert answer.json() == {"message": "Invalid url given"}


# ---- branch filters ([shared-bf]: the branch filter examples that [sys] 0a3208d uses) -------------------------
@pytest.mark.parametrize(
    "params,strategy",
    [
        ({"push_events_branch_filter": "some-wildcard"}, "wildcard"),  # [shared-bf] :23-31
        ({"push_events_branch_filter": "some-regex", "branch_filter_strategy": "regex"}, "regex"),  # [shared-bf] :33-41
        ({"push_events_branch_filter": "^regex", "branch_filter_strategy": "regex"}, "regex"),  # [shared-bf] :43-51
    ],
)
def test_create_with_a_branch_filter(modern, params, strategy):
    answer = modern.api("POST", "/hooks", data=dict(params, url="http://example.com"))
    assert answer.status_code == 201
    assert (answer.json()["push_events_branch_filter"], answer.json()["branch_filter_strategy"]) == (params["push_events_branch_filter"], strategy)


@pytest.mark.parametrize(
    "params",
    [
        {"push_events_branch_filter": "some-regex", "branch_filter_strategy": "regex"},  # [shared-bf] :63-71
        {"push_events_branch_filter": "^regex", "branch_filter_strategy": "regex"},  # [shared-bf] :73-81
    ],
)
def test_put_with_a_branch_filter(modern, params):
    created = hook(modern)
    answer = modern.api("PUT", "/hooks/%d" % created["id"], data=dict(params, url="http://example.com"))
    assert answer.status_code == 200
    assert (answer.json()["push_events_branch_filter"], answer.json()["branch_filter_strategy"]) == (params["push_events_branch_filter"], "regex")


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_bad_branch_filters(modern, method):
    path = "/hooks" if method == "POST" else "/hooks/%d" % hook(modern)["id"]
    # [shared-bf] :89-95: an unknown strategy -> 400 (Grape `values:`)
    bad_strategy = modern.api(method, path, data={"url": "http://example.com", "push_events_branch_filter": "~badbranchname/", "branch_filter_strategy": "bla"})
    assert bad_strategy.status_code == 400
    assert bad_strategy.json() == {"error": "branch_filter_strategy does not have a valid value"}
    # [shared-bf] :97-103: not a branch name -> 422; WebHooks::CreateService :18, save_hook :80: "Invalid branch filter given"
    bad_filter = modern.api(method, path, data={"url": "http://example.com", "push_events_branch_filter": "~badbranchname/"})
    assert bad_filter.status_code == 422
    assert bad_filter.json() == {"message": "Invalid branch filter given"}
    # hook.rb `validates :push_events_branch_filter, untrusted_regexp: true, if: :branch_filter_strategy_regex?`
    bad_regex = modern.api(method, path, data={"url": "http://example.com", "push_events_branch_filter": "(", "branch_filter_strategy": "regex"})
    assert bad_regex.status_code == 422
    assert bad_regex.json() == {"message": "Invalid branch filter given"}


def test_all_branches_clears_the_filter(modern):
    # hook.rb: before_validation :set_branch_filter_nil, if: :branch_filter_strategy_all_branches?
    created = hook(modern, push_events_branch_filter="main")
    answer = modern.api("PUT", "/hooks/%d" % created["id"], data={"branch_filter_strategy": "all_branches"})
    assert answer.status_code == 200
    assert (answer.json()["push_events_branch_filter"], answer.json()["branch_filter_strategy"]) == (None, "all_branches")


# ---- PUT merges URL variables and custom headers --------------------------------------------------
@pytest.mark.parametrize("key", ["url_variables", "custom_headers"])
def test_put_merges_url_variables_and_custom_headers(modern, key):
    created = modern.api("POST", "/hooks", json={"url": "http://example.com", key: [{"key": "abc", "value": "some value"}]}).json()
    # [shared] :263-274 ('updates the URL variables'), [shared-bf] 'updates the custom headers';
    # web_hooks_helpers.rb :60-68: hook.url_variables.merge(given), hook.custom_headers.merge(given)
    answer = modern.api("PUT", "/hooks/%d" % created["id"], json={key: [{"key": "def", "value": "other value"}]})
    assert answer.status_code == 200
    assert sorted(item["key"] for item in answer.json()[key]) == ["abc", "def"]


def test_put_with_nothing_to_change_is_400(modern):
    created = hook(modern)
    # [shared] :295-299: no parameters -> 400
    for body in ({}, {"url_variables": []}, {"custom_headers": []}, {"duo_flow_callback_enabled": True}):
        # web_hooks_helpers.rb :60-70: empty lists are dropped, undeclared parameters too; then
        # error!('No parameters provided', :bad_request)
        answer = modern.api("PUT", "/hooks/%d" % created["id"], json=body)
        assert answer.status_code == 400, body
        assert answer.json() == {"message": "No parameters provided"}


def test_put_with_a_new_url_and_no_token_drops_the_token(modern, receiver):
    created = hook(modern, url="http://example.com", token="secret token")
    # hook.rb reset_token: self.token = nil if url_changed? && !encrypted_token_changed?
    assert modern.api("PUT", "/hooks/%d" % created["id"], data={"url": receiver.url}).status_code == 200
    modern.api("POST", "/hooks/%d" % created["id"])
    assert "X-Gitlab-Token" not in receiver.received[0]["headers"]
