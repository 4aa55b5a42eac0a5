"""OAuth applications, held to GitLab's own request specs and API code.

Sources (see README.md, "Sources"):
  [11.0]   spec/requests/api/applications_spec.rb, gitlab-ce 10.5-11.4 line (create only)
  [api]    lib/api/applications.rb, gitlab-ce 10.5-11.4 line: only `post` in `resource :applications`
  [master] spec/requests/api/applications_spec.rb, gitlabhq master (17.x and later)
"""

import re

import pytest

from .gitlab_lab.tokens import USER_TOKEN

OLDER = ("legacy", "transition")
VALID = {"name": "application_name", "redirect_uri": "http://application.url", "scopes": "api"}


def create(lab, **params):
    return lab.api("POST", "/applications", data=dict(VALID, **params))


# ---- POST /applications -----------------------------------------------------------------------
def test_legacy_create_answers_only_id_secret_and_callback(legacy):
    # [11.0] :11-22: 201; application_id, secret, callback_url (with scopes '')
    answer = create(legacy, scopes="")
    assert answer.status_code == 201
    assert sorted(answer.json()) == ["application_id", "callback_url", "secret"]
    assert answer.json()["callback_url"] == "http://application.url"


def test_modern_create_answers_the_application_with_its_secret(modern):
    # [master] :18-30: application_id, the secret, callback_url, confidential
    answer = create(modern)
    assert answer.status_code == 201
    body = answer.json()
    assert re.fullmatch(r"[0-9a-f]{64}", body["application_id"])
    assert body["secret"].startswith("gloas-")
    assert body["callback_url"] == "http://application.url"
    assert body["confidential"] is True


@pytest.mark.parametrize("missing", ["name", "redirect_uri"])
def test_create_without_a_required_parameter(lab, missing):
    # [11.0] :35-42, :45-52 / [master] :53-60, :63-70
    params = {key: value for key, value in VALID.items() if key != missing}
    answer = lab.api("POST", "/applications", data=params)
    assert answer.status_code == 400
    assert answer.json() == {"error": "%s is missing" % missing}


def test_create_without_scopes(lab):
    answer = lab.api("POST", "/applications", data={"name": "application_name", "redirect_uri": "http://application.url"})
    assert answer.status_code == 400
    if lab.profile in OLDER:
        assert answer.json() == {"error": "scopes is missing"}  # [11.0] :55-62
    else:
        assert answer.json() == {"error": "scopes is missing, scopes is empty"}  # [master] :73-80


def test_blank_scopes(lab):
    answer = create(lab, scopes="")
    if lab.profile in OLDER:
        assert answer.status_code == 201  # [11.0] :13 creates with scopes ''
    else:
        assert answer.status_code == 400  # [master] :83-89
        assert answer.json() == {"error": "scopes is empty"}


@pytest.mark.parametrize("scopes", ["non_existent_scope", "api non_existent_scope"])
def test_unknown_scopes(lab, scopes):
    answer = create(lab, scopes=scopes)
    if lab.profile in OLDER:
        assert answer.status_code == 201  # Doorkeeper 4 does not check scopes against the server's
    else:
        # [master] :92-98, :113-119
        assert answer.status_code == 400
        assert answer.json() == {"message": {"scopes": ["doesn't match configured on the server."]}}


def test_several_scopes(lab):
    # [master] :102-110: space-separated scopes -> 201
    assert create(lab, scopes="api read_user").status_code == 201


@pytest.mark.parametrize(
    "redirect_uri,older,modern",
    [
        ("wrong_url_format", "must be an absolute URI.", "must be an absolute URI."),  # [11.0] :25-32
        ("http://", "must be an absolute URI.", "must be a valid URI."),  # [master] :33-40
        ("javascript://alert()", None, "is forbidden by the server."),  # [master] :43-50
    ],
)
def test_redirect_uri_validation(lab, redirect_uri, older, modern):
    expected = older if lab.profile in OLDER else modern
    if expected is None:
        pytest.skip("GitLab 11 takes it")
    answer = create(lab, redirect_uri=redirect_uri)
    assert answer.status_code == 400
    assert answer.json()["message"]["redirect_uri"][0] == expected


@pytest.mark.parametrize(
    "body",
    [
        "name=application_name&redirect_uri=http%3A%2F%2Fapplication.url&scopes=api&confidential",  # Rack::Test's nil
        "name=application_name&redirect_uri=http%3A%2F%2Fapplication.url&scopes=api&confidential=",
        '{"name":"application_name","redirect_uri":"http://application.url","scopes":"api","confidential":null}',
    ],
)
def test_confidential_defaults_to_true(modern, body):
    # [master] :123-131: `confidential: nil` in the params (Rack::Test sends the bare key, which Rack reads as nil)
    # -> 201 and confidential true. Grape's `default: true` fills a nil; an empty string is nil for a Boolean
    # (Grape's primitive_coercer.rb treat_as_nil?).
    content_type = "application/json" if body.startswith("{") else "application/x-www-form-urlencoded"
    answer = modern.api("POST", "/applications", data=body, headers={"Content-Type": content_type})
    assert answer.status_code == 201, answer.text
    assert answer.json()["callback_url"] == "http://application.url"
    assert answer.json()["confidential"] is True


def test_native_redirect_uri(lab):
    # GitLab 11 configures Doorkeeper with `native_redirect_uri nil` (v11.0.6 config/initializers/doorkeeper.rb:80, from the
    # reference), so urn:ietf:wg:oauth:2.0:oob is an ordinary URI without a host there: Doorkeeper 4's
    # RedirectUriValidator answers "must be an absolute URI.". Current Doorkeeper takes it as the out-of-band URI.
    answer = create(lab, redirect_uri="urn:ietf:wg:oauth:2.0:oob")
    if lab.profile in OLDER:
        assert answer.status_code == 400
        assert answer.json() == {"message": {"redirect_uri": ["must be an absolute URI."]}}
    else:
        assert answer.status_code == 201


def test_create_needs_an_admin(lab):
    # [11.0] :67-72 / [master] :136-140: not an admin -> 403, nothing created
    assert lab.api("POST", "/applications", token=USER_TOKEN, data=VALID).status_code == 403
    # [11.0] :77-82 / [master] :144-150: no user -> 401
    assert lab.api("POST", "/applications", token=None, data=VALID).status_code == 401


# ---- GET /applications, DELETE /applications/:id, renew-secret ---------------------------------
def test_legacy_has_create_only(legacy):
    # [api] :6-25: `resource :applications` serves `post` only, so the rest is Grape's catch-all (lib/api/api.rb)
    create(legacy)
    for method, path in (("GET", "/applications"), ("DELETE", "/applications/1"), ("POST", "/applications/1/renew-secret")):
        answer = legacy.api(method, path)
        assert answer.status_code == 404
        assert answer.json() == {"error": "404 Not Found"}


def test_list(lab):
    if lab.profile == "legacy":
        pytest.skip("GitLab 11.0 cannot list applications")
    create(lab)
    # [master] :157-161: an array
    answer = lab.api("GET", "/applications")
    assert answer.status_code == 200
    assert isinstance(answer.json(), list)
    assert "secret" not in answer.json()[0]
    # [master] :164-168: no user -> 401
    assert lab.api("GET", "/applications", token=None).status_code == 401


def test_delete(lab):
    if lab.profile == "legacy":
        pytest.skip("GitLab 11.0 cannot delete applications")
    app_id = create(lab).json()["id"]
    # [master] :194-198: no user -> 401
    assert lab.api("DELETE", "/applications/%d" % app_id, token=None).status_code == 401
    # [master] :180-184: one fewer
    assert lab.api("DELETE", "/applications/%d" % app_id).status_code == 204
    assert lab.api("GET", "/applications").json() == []
    # [master] :186-190: unknown id -> 404
    missing = lab.api("DELETE", "/applications/%d" % app_id)
    if lab.profile == "transition":
        # v11.5.0 lib/api/applications.rb:37-39: ApplicationsFinder returns nil, and nil.destroy is a 500.
        assert missing.status_code == 500
        return
    assert missing.status_code == 404
    assert missing.json() == {"message": "404 Application Not Found"}


def test_renew_secret(modern):
    app = create(modern).json()
    # [master] :212-219: 201 and a new secret
    answer = modern.api("POST", "/applications/%d/renew-secret" % app["id"])
    assert answer.status_code == 201
    assert answer.json()["secret"] not in (None, app["secret"])
    # [master] :221-224: unknown id -> 404
    assert modern.api("POST", "/applications/999999/renew-secret").status_code == 404
