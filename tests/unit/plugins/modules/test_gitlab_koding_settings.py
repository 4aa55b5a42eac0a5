# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""gitlab_koding_settings against the lab GitLab in process, on every profile where the behaviour applies."""

from __future__ import annotations

import json

import pytest

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_releases as releases
from ansible_collections.koding.gitlab.plugins.modules import gitlab_koding_settings
from ansible_collections.koding.gitlab.tests.unit.plugins.lab_gitlab import ADMIN_TOKEN, API_V3_ONLY_PROFILES, USER_TOKEN, LabGitLab, profiles_with, run_module

KODING = profiles_with('koding_settings')
NO_KODING = profiles_with(koding_settings=False)

KODING_URL = 'http://gitlab.koding.test:8090'
ENABLE = dict(koding_enabled=True, koding_url=KODING_URL)


def run(gitlab, args, **kwargs):
    return run_module(gitlab_koding_settings.main, args, gitlab, **kwargs)


@pytest.mark.parametrize('profile', KODING)
def test_enable_then_no_op(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, ENABLE, diff=True)
    assert result['changed'] and result['supported']
    assert result['settings'] == ENABLE
    assert session.writes()[0]['data'] == ENABLE
    assert result['diff'] == dict(before=dict(koding_enabled=False, koding_url=None), after=ENABLE)
    assert gitlab.settings['koding_enabled'] is True

    result, session = run(gitlab, ENABLE)
    assert not result['changed']
    assert len(session.calls) == 1 and session.calls[0]['method'] == 'GET'


@pytest.mark.parametrize('profile', KODING)
def test_check_mode_sends_no_write(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, ENABLE, check_mode=True, diff=True)
    assert result['changed'] and result['settings'] == ENABLE
    assert session.writes() == []
    assert gitlab.settings['koding_enabled'] is False


@pytest.mark.parametrize('profile', KODING)
def test_url_change_while_enabled_sends_both(profile):
    gitlab = LabGitLab(profile)
    gitlab.settings.update(ENABLE)
    result, session = run(gitlab, dict(koding_enabled=True, koding_url='https://other.test'))
    assert result['changed']
    assert session.writes()[0]['data'] == dict(koding_enabled=True, koding_url='https://other.test')


@pytest.mark.parametrize('profile', KODING)
def test_disable(profile):
    gitlab = LabGitLab(profile)
    gitlab.settings.update(ENABLE)
    result, session = run(gitlab, dict(koding_enabled=False))
    assert result['changed'] and result['settings'] == dict(koding_enabled=False, koding_url=KODING_URL)
    assert session.writes()[0]['data'] == dict(koding_enabled=False)


def test_enable_without_url_fails_before_any_request():
    gitlab = LabGitLab('legacy')
    result, session = run(gitlab, dict(koding_enabled=True), expect_fail=True)
    assert 'koding_url' in result['msg']
    assert session.calls == []


def test_bad_url_fails_before_any_request():
    gitlab = LabGitLab('legacy')
    result, session = run(gitlab, dict(koding_enabled=True, koding_url='koding.test:8090'), expect_fail=True)
    assert 'koding_url' in result['msg'] and session.calls == []
    result, session = run(gitlab, dict(api_url='gitlab.test', koding_enabled=False), expect_fail=True)
    assert 'api_url' in result['msg'] and session.calls == []


@pytest.mark.parametrize('profile', NO_KODING)
def test_gitlab_without_koding_settings_enable_fails_naming_version(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, ENABLE, expect_fail=True)
    assert gitlab.version in result['msg'] and releases.span('koding_settings') in result['msg']
    assert result['supported'] is False
    assert session.writes() == []


@pytest.mark.parametrize('profile', NO_KODING)
def test_gitlab_without_koding_settings_disable_is_a_no_op(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, dict(koding_enabled=False))
    assert not result['changed'] and result['supported'] is False
    assert result['settings'] == dict(koding_enabled=False, koding_url=None)
    assert len(session.calls) == 1


@pytest.mark.parametrize('profile', KODING)
def test_read_only_run(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, {})
    assert not result['changed'] and result['settings'] == dict(koding_enabled=False, koding_url=None)
    assert len(session.calls) == 1


def test_non_admin_token_gets_a_clear_error_without_the_token():
    gitlab = LabGitLab('legacy')
    result, dummy = run(gitlab, dict(ENABLE, api_token=USER_TOKEN), expect_fail=True)
    assert 'not an administrator' in result['msg']
    assert result['api_error']['status'] == 403
    assert USER_TOKEN not in json.dumps(result)


def test_unknown_token():
    gitlab = LabGitLab('legacy')
    result, dummy = run(gitlab, dict(ENABLE, api_token='glpat-wrong'), expect_fail=True)
    assert 'rejected the token' in result['msg'] and 'glpat-wrong' not in json.dumps(result)


def test_token_from_environment_and_oauth_exclusivity(monkeypatch):
    gitlab = LabGitLab('legacy')
    monkeypatch.setenv('GITLAB_API_TOKEN', ADMIN_TOKEN)
    monkeypatch.setenv('GITLAB_URL', 'http://gitlab.test')
    args = dict(ENABLE)
    with_env, session = run_module(gitlab_koding_settings.main, dict(args), gitlab, connection=False)
    assert with_env['changed'] and session.calls[0]['headers']['PRIVATE-TOKEN'] == ADMIN_TOKEN

    # An explicit OAuth token wins over the exported GITLAB_API_TOKEN instead of clashing with it.
    oauth_token = gitlab.oauth_token()
    result, session = run_module(gitlab_koding_settings.main, dict(args, api_oauth_token=oauth_token), gitlab, connection=False)
    assert not result['changed']
    headers = session.calls[0]['headers']
    assert headers['Authorization'] == 'Bearer %s' % oauth_token and 'PRIVATE-TOKEN' not in headers
    assert oauth_token not in json.dumps(result)

    result, session = run_module(gitlab_koding_settings.main, dict(args, api_oauth_token='a', api_token='b'), gitlab, expect_fail=True, connection=False)
    assert 'mutually exclusive' in result['msg'] and session.calls == []


def test_no_token_at_all(monkeypatch):
    monkeypatch.delenv('GITLAB_API_TOKEN', raising=False)
    gitlab = LabGitLab('legacy')
    result, session = run_module(gitlab_koding_settings.main, dict(ENABLE, api_url='http://gitlab.test'), gitlab, expect_fail=True, connection=False)
    assert 'api_token' in result['msg'] and session.calls == []


@pytest.mark.parametrize('profile', KODING)
def test_koding_url_credentials_are_redacted_and_idempotent(profile):
    gitlab = LabGitLab(profile)
    secret_url = 'http://team:pa55-word-9@gitlab.koding.test:8090'
    result, dummy = run(gitlab, dict(koding_enabled=True, koding_url=secret_url), diff=True)
    assert result['changed'] and gitlab.settings['koding_url'] == secret_url
    assert 'pa55-word-9' not in json.dumps(result)
    assert result['settings']['koding_url'] == 'http://********@gitlab.koding.test:8090'
    result, session = run(gitlab, dict(koding_enabled=True, koding_url=secret_url), diff=True)
    assert not result['changed'] and session.writes() == []


def test_api_url_with_credentials_is_refused_before_any_request():
    gitlab = LabGitLab('legacy')
    result, session = run(gitlab, dict(ENABLE, api_url='http://root:pa55-word-9@gitlab.test'), expect_fail=True)
    assert 'api_url' in result['msg'] and 'pa55-word-9' not in json.dumps(result) and session.calls == []


@pytest.mark.parametrize('profile', NO_KODING)
def test_koding_url_is_ignored_with_a_warning_where_gitlab_has_no_koding_settings(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, dict(koding_enabled=False, koding_url=KODING_URL))
    assert not result['changed'] and any('ignored' in w for w in result['warnings']) and session.writes() == []


@pytest.mark.parametrize('profile', API_V3_ONLY_PROFILES)
def test_api_v3_only_gitlab_is_refused_naming_its_release_and_the_first_with_api_v4(profile):
    """The oldest releases have the Koding settings, but only under /api/v3: every /api/v4 request is a Rails 404."""
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, ENABLE, expect_fail=True)
    assert gitlab.version in result['msg'] and releases.since('api_v4') in result['msg'] and 'API v3' in result['msg']
    assert result['api_error']['kind'] == 'no_api' and session.writes() == []
