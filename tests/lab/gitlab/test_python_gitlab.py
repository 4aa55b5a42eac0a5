"""Conformance: python-gitlab, an independent client, against every lab profile."""

import pytest

from .gitlab_lab.tokens import USER_TOKEN

gitlab = pytest.importorskip("gitlab")


def test_version(lab):
    version, _revision = lab.gitlab().version()
    assert version == {"legacy": "11.0.6", "transition": "11.11.8", "modern": "17.5.2"}[lab.profile]


def test_settings_get_and_save(lab):
    client = lab.gitlab()
    settings = client.settings.get()
    assert settings.signup_enabled is True
    settings.signup_enabled = False
    settings.default_projects_limit = 42
    settings.save()
    again = client.settings.get()
    assert again.signup_enabled is False
    assert again.default_projects_limit == 42


def test_settings_koding_round_trip_on_legacy(legacy):
    client = legacy.gitlab()
    settings = client.settings.get()
    assert settings.koding_enabled is False
    assert settings.koding_url is None
    settings.koding_enabled = True
    settings.koding_url = "http://gitlab.koding.example:8090"
    settings.save()
    again = client.settings.get()
    assert again.koding_enabled is True
    assert again.koding_url == "http://gitlab.koding.example:8090"


def test_settings_have_no_koding_on_modern(modern):
    attributes = modern.gitlab().settings.get().attributes
    assert "koding_enabled" not in attributes
    assert "koding_url" not in attributes
    assert "gitpod_enabled" in attributes


def test_legacy_applications_create_only(legacy):
    client = legacy.gitlab()
    created = client.applications.create({"name": "koding", "redirect_uri": "http://koding.example/-/oauth/gitlab/callback", "scopes": "api"})
    assert set(created.attributes) == {"application_id", "secret", "callback_url"}
    with pytest.raises(gitlab.exceptions.GitlabListError) as listing:
        client.applications.list(get_all=True)
    assert listing.value.response_code == 404
    with pytest.raises(gitlab.exceptions.GitlabDeleteError) as deleting:
        client.applications.delete(1)
    assert deleting.value.response_code == 404


def test_applications_create_list_delete(lab):
    if lab.profile == "legacy":
        pytest.skip("GitLab 11.0 cannot list or delete applications")
    client = lab.gitlab()
    created = client.applications.create({"name": "koding", "redirect_uri": "http://koding.example/-/oauth/gitlab/callback", "scopes": "api read_user"})
    assert created.application_name == "koding"
    assert created.secret
    listed = client.applications.list(get_all=True)
    assert [app.id for app in listed] == [created.id]
    assert "secret" not in listed[0].attributes
    assert "scopes" not in listed[0].attributes
    assert listed[0].callback_url == "http://koding.example/-/oauth/gitlab/callback"
    if lab.profile == "modern":
        assert listed[0].confidential is True
    else:
        assert "confidential" not in listed[0].attributes
    listed[0].delete()
    assert client.applications.list(get_all=True) == []


def test_applications_delete_unknown(lab):
    with pytest.raises(gitlab.exceptions.GitlabDeleteError) as error:
        lab.gitlab().applications.delete(999)
    # 11.5 to early 13.x (transition, 11.11): nil.destroy, a 500.
    assert error.value.response_code == (500 if lab.profile == "transition" else 404)


def test_hooks_create_list_delete(lab):
    client = lab.gitlab()
    hook = client.hooks.create({"url": "http://127.0.0.1:9/koding", "token": "s3cret-token", "push_events": True})
    assert hook.push_events is True
    assert hook.repository_update_events is True
    assert hook.enable_ssl_verification is True
    assert "token" not in hook.attributes
    listed = client.hooks.list(get_all=True)
    assert [item.url for item in listed] == ["http://127.0.0.1:9/koding"]
    listed[0].delete()
    assert client.hooks.list(get_all=True) == []


def test_hooks_list_all_follows_pagination(lab):
    lab.control("POST", "seed", {"hooks": 130})
    lab.control("DELETE", "requests")
    hooks = lab.gitlab().hooks.list(get_all=True, per_page=100)
    assert len(hooks) == 130
    assert len({hook.id for hook in hooks}) == 130
    pages = [entry for entry in lab.requests_log() if entry["path"] == "/api/v4/hooks"]
    assert len(pages) == 2


def test_hooks_list_all_default_page_size(lab):
    lab.control("POST", "seed", {"hooks": 105})
    assert len(lab.gitlab().hooks.list(all=True)) == 105


def test_non_admin_gets_forbidden(lab):
    with pytest.raises(gitlab.exceptions.GitlabListError) as error:
        lab.gitlab(USER_TOKEN).hooks.list(get_all=True)
    assert error.value.response_code == 403


def test_current_user(lab):
    client = lab.gitlab()
    client.auth()
    assert client.user.username == "root"
    assert client.user.is_admin is True


def test_hooks_create_on_legacy_keeps_repository_update_events(legacy):
    hook = legacy.gitlab().hooks.create({"url": "http://127.0.0.1:9/koding", "repository_update_events": False})
    assert hook.repository_update_events is True


def test_hooks_get(lab):
    client = lab.gitlab()
    created = client.hooks.create({"url": "http://127.0.0.1:9/koding"})
    fetched = client.hooks.get(created.id)
    if lab.profile == "modern":
        assert fetched.url == "http://127.0.0.1:9/koding"
    else:
        # python-gitlab's docs: on GitLab before 14.9 this is "test a system hook" (up to early 13.x; then a 404 until 14.9)
        assert fetched.attributes["event_name"] == "project_create"


def test_throttled_request_is_retried_after_retry_after(lab):
    # python-gitlab obeys the rate limit: it reads Retry-After from the text/plain 429 and tries again.
    lab.control("POST", "faults", {"status": 429, "retry_after": 1})
    lab.control("DELETE", "requests")
    assert lab.gitlab().hooks.list(get_all=True) == []
    assert [entry["status"] for entry in lab.requests_log()] == [429, 200]
