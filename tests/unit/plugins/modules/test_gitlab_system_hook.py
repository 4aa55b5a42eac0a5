# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""gitlab_system_hook against the lab GitLab in process, on every profile where the behaviour applies."""

from __future__ import annotations

import json
from unittest import mock

import pytest
import requests

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_api
from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_releases as releases
from ansible_collections.koding.gitlab.plugins.modules import gitlab_system_hook
from ansible_collections.koding.gitlab.tests.lab.gitlab.gitlab_lab.resources import hooks as lab_hooks
from ansible_collections.koding.gitlab.tests.unit.plugins.lab_gitlab import API_V3_ONLY_PROFILES, SUPPORTED_PROFILES, LabGitLab, profiles_with, run_module

URL = 'http://koding.test:8090/-/api/gitlab'
TOKEN = 'hook-secret-4711'
HOOK = dict(url=URL, token=TOKEN, push_events=True)

WITH_PUT = profiles_with('hooks_put')
WITHOUT_PUT = profiles_with(hooks_put=False)
WITH_NAME = profiles_with('hook_details')
WITHOUT_NAME = profiles_with(hook_details=False)
# POST /hooks drops repository_update_events (the hook keeps true); with no PUT either, it cannot be changed.
RUE_IGNORED = profiles_with(hook_repository_update_param=False)
RUE_WITHOUT_PUT = profiles_with('hook_repository_update_param', hooks_put=False)
GRAPE_405 = profiles_with('grape_405')


def run(gitlab, args, **kwargs):
    result, session = run_module(gitlab_system_hook.main, args, gitlab, **kwargs)
    assert TOKEN not in json.dumps(result)
    return result, session


def routes(calls):
    return [(call['method'], call['path']) for call in calls]


@pytest.mark.parametrize('profile', SUPPORTED_PROFILES)
def test_create_then_no_op(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, HOOK, diff=True)
    assert result['changed']
    assert session.writes()[0]['data'] == dict(url=URL, token=TOKEN, push_events=True, enable_ssl_verification=True)
    assert gitlab.hooks[0]['token'] == TOKEN
    assert result['hook']['id'] == gitlab.hooks[0]['id']
    assert result['diff']['after']['token'] == '********'
    assert result['diff']['before'] == {}

    result, session = run(gitlab, HOOK, diff=True)
    assert not result['changed'] and session.writes() == [] and len(session.calls) == 1
    assert 'token' not in result['diff']['after']


@pytest.mark.parametrize('profile', SUPPORTED_PROFILES)
def test_check_mode_create_predicts_gitlab_defaults(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, HOOK, check_mode=True)
    assert result['changed'] and session.writes() == [] and gitlab.hooks == []
    assert result['hook'] == dict(
        url=URL, push_events=True, tag_push_events=False, merge_requests_events=False, repository_update_events=True, enable_ssl_verification=True
    )


def test_unset_flags_are_not_compared_on_an_existing_hook():
    gitlab = LabGitLab('modern')
    gitlab.add_hook(URL, TOKEN, push_events=True, tag_push_events=True, repository_update_events=False)
    result, session = run(gitlab, HOOK)
    assert not result['changed'] and session.writes() == []


@pytest.mark.parametrize('profile', WITH_PUT)
def test_update_with_put(profile):
    gitlab = LabGitLab(profile)
    hook = gitlab.add_hook(URL, TOKEN)
    result, session = run(gitlab, dict(HOOK, merge_requests_events=True), diff=True)
    assert result['changed']
    writes = session.writes()
    assert routes(writes) == [('PUT', '/hooks/%d' % hook['id'])]
    assert writes[0]['data'] == dict(push_events=True, merge_requests_events=True)
    assert result['hook']['merge_requests_events'] is True and result['hook']['id'] == hook['id']
    assert result['diff']['before']['push_events'] is False and result['diff']['after']['push_events'] is True


def test_update_check_mode():
    gitlab = LabGitLab('modern')
    gitlab.add_hook(URL, TOKEN)
    result, session = run(gitlab, HOOK, check_mode=True)
    assert result['changed'] and session.writes() == [] and gitlab.hooks[0]['push_events'] is False


@pytest.mark.parametrize('profile', WITHOUT_PUT)
def test_update_without_put_recreates_and_resends_token(profile):
    gitlab = LabGitLab(profile)
    hook = gitlab.add_hook(URL, TOKEN, tag_push_events=True)
    result, session = run(gitlab, HOOK)
    assert result['changed']
    assert routes(session.writes()) == [('PUT', '/hooks/%d' % hook['id']), ('DELETE', '/hooks/%d' % hook['id']), ('POST', '/hooks')]
    assert session.writes()[2]['data']['token'] == TOKEN
    new = gitlab.hooks[0]
    assert len(gitlab.hooks) == 1 and new['id'] != hook['id']
    assert new['push_events'] is True and new['tag_push_events'] is True and new['token'] == TOKEN
    assert result['warnings'] == []


@pytest.mark.parametrize('profile', WITHOUT_PUT)
def test_recreate_without_token_warns(profile):
    gitlab = LabGitLab(profile)
    gitlab.add_hook(URL, TOKEN)
    result, dummy = run(gitlab, dict(url=URL, push_events=True))
    assert result['changed'] and any('no secret token' in w for w in result['warnings'])
    assert gitlab.hooks[0]['token'] is None


@pytest.mark.parametrize('profile', WITH_PUT)
def test_update_token_always(profile):
    gitlab = LabGitLab(profile)
    hook = gitlab.add_hook(URL, 'old-token', push_events=True)
    result, session = run(gitlab, dict(HOOK, update_token='always'), diff=True)
    assert result['changed'] and session.writes()[0]['data'] == dict(token=TOKEN)
    assert gitlab.hooks[0]['token'] == TOKEN and gitlab.hooks[0]['id'] == hook['id']
    assert result['diff']['after']['token'] == '********'
    result, session = run(gitlab, dict(HOOK, update_token='always'), check_mode=True)
    assert result['changed'] and session.writes() == []


@pytest.mark.parametrize('profile', WITH_NAME)
def test_name_and_description(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, dict(HOOK, name='Koding', description='Koding events'))
    assert session.writes()[0]['data']['name'] == 'Koding'
    assert gitlab.hooks[0]['description'] == 'Koding events'
    assert [c['path'] for c in session.calls] == ['/hooks', '/version', '/hooks', '/hooks']
    result, session = run(gitlab, dict(HOOK, name='Koding', description='Koding events'))
    assert not result['changed'] and len(session.calls) == 1


@pytest.mark.parametrize('profile', WITHOUT_NAME)
def test_name_is_ignored_with_a_warning_where_gitlab_lacks_it(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, dict(HOOK, name='Koding'))
    assert 'name' not in session.writes()[0]['data']
    assert any('name' in w for w in result['warnings'])
    result, session = run(gitlab, dict(HOOK, name='Koding'))
    assert not result['changed'] and len(session.calls) == 1


def test_pagination_finds_a_hook_on_a_later_page():
    gitlab = LabGitLab('modern')
    for index in range(150):
        gitlab.add_hook('http://127.0.0.1:9/seed-%d' % index)
    gitlab.add_hook(URL, TOKEN, push_events=True)
    result, session = run(gitlab, HOOK)
    assert not result['changed'] and len(session.calls) == 2


def test_duplicates_fail_listing_ids():
    gitlab = LabGitLab('modern')
    first = gitlab.add_hook(URL)
    second = gitlab.add_hook(URL)
    with mock.patch.object(gitlab_system_hook.time, 'sleep') as sleep:
        result, session = run(gitlab, HOOK, expect_fail=True)
    assert '%d, %d' % (first['id'], second['id']) in result['msg'] and session.writes() == []
    # It looked again after each pause before refusing.
    assert [call.args[0] for call in sleep.call_args_list] == list(gitlab_system_hook.DUPLICATE_RECHECK_DELAYS)


def test_duplicates_that_an_overlapping_run_removes_are_waited_for():
    gitlab = LabGitLab('modern')
    kept = gitlab.add_hook(URL, TOKEN, push_events=True)
    gitlab.add_hook(URL)

    def other_run_converges(seconds):
        for hook_id in [hook_id for hook_id in gitlab.state.hooks if hook_id != kept['id']]:
            del gitlab.state.hooks[hook_id]

    with mock.patch.object(gitlab_system_hook.time, 'sleep', side_effect=other_run_converges) as sleep:
        result, session = run(gitlab, dict(url=URL, push_events=True))
    assert not result['changed'] and session.writes() == [] and sleep.call_count == 1


@pytest.mark.parametrize('profile', SUPPORTED_PROFILES)
def test_delete(profile):
    gitlab = LabGitLab(profile)
    hook = gitlab.add_hook(URL, TOKEN)
    result, session = run(gitlab, dict(url=URL, state='absent'), check_mode=True, diff=True)
    assert result['changed'] and session.writes() == [] and result['diff']['before']['url'] == URL
    result, session = run(gitlab, dict(url=URL, state='absent'))
    assert result['changed'] and session.writes()[0]['path'] == '/hooks/%d' % hook['id'] and gitlab.hooks == []
    result, session = run(gitlab, dict(url=URL, state='absent'))
    assert not result['changed'] and session.writes() == []


def test_bad_url_fails_before_any_request():
    gitlab = LabGitLab('modern')
    result, session = run(gitlab, dict(url='ftp://koding.test/hook'), expect_fail=True)
    assert 'url' in result['msg'] and session.calls == []


def test_properties_the_instance_does_not_return_are_not_compared():
    gitlab = LabGitLab('legacy')
    gitlab.add_hook(URL, TOKEN, push_events=True)
    flags = tuple(flag for flag in lab_hooks.HOOK_FLAGS if flag != 'enable_ssl_verification')
    with mock.patch.object(lab_hooks, 'HOOK_FLAGS', flags):  # a hook entity without the property
        result, session = run(gitlab, dict(HOOK, enable_ssl_verification=False))
    assert not result['changed'] and session.writes() == []


@pytest.mark.parametrize(
    'token, words',
    [
        (TOKEN + '\n', ['token', 'newline at the end', 'trim']),
        (' ' + TOKEN, ['token', 'space at the start']),
        ('hook\tsecret', ['token', 'tab']),
    ],
)
def test_token_with_whitespace_fails_naming_token_before_any_request(token, words):
    gitlab = LabGitLab('legacy')
    result, session = run(gitlab, dict(HOOK, token=token), expect_fail=True)
    for word in words:
        assert word in result['msg']
    assert session.calls == [] and token.strip() not in json.dumps(result)


@pytest.mark.parametrize('wanted', [False, True])
@pytest.mark.parametrize('profile', RUE_IGNORED)
def test_repository_update_events_never_fights_where_post_ignores_it(profile, wanted):
    """Before hook_repository_update_events POST /hooks drops the flag (the hook keeps true): not sent, not compared."""
    gitlab = LabGitLab(profile)
    args = dict(HOOK, repository_update_events=wanted)
    result, session = run(gitlab, args)
    assert result['changed'] and 'repository_update_events' not in session.writes()[0]['data']
    warned = [w for w in result['warnings'] if 'repository_update_events' in w]
    assert bool(warned) == (not wanted)
    assert all(releases.since('hook_repository_update_events') in w for w in warned)
    for dummy in range(2):
        result, session = run(gitlab, args)
        assert not result['changed'] and session.writes() == [] and result['warnings'] == []
    assert len(gitlab.hooks) == 1 and gitlab.hooks[0]['token'] == TOKEN


@pytest.mark.parametrize('profile', RUE_WITHOUT_PUT)
def test_sends_repository_update_events_where_post_takes_it_and_recreates_to_change_it(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, dict(HOOK, repository_update_events=False))
    assert session.writes()[0]['data']['repository_update_events'] is False
    result, session = run(gitlab, dict(HOOK, repository_update_events=True))
    assert result['changed'] and [w['method'] for w in session.writes()] == ['PUT', 'DELETE', 'POST']
    assert gitlab.hooks[0]['repository_update_events'] is True and len(gitlab.hooks) == 1
    result, session = run(gitlab, dict(HOOK, repository_update_events=True))
    assert not result['changed']


@pytest.mark.parametrize('profile', WITHOUT_PUT)
def test_recreate_finishes_when_the_retried_delete_finds_it_gone(profile):
    gitlab = LabGitLab(profile)
    gitlab.add_hook(URL, TOKEN)
    gitlab.lose_answer('DELETE', '/hooks', status=502)
    with mock.patch.object(_gitlab_api.time, 'sleep'):
        result, session = run_module(gitlab_system_hook.main, HOOK, gitlab)
    assert result['changed'] and len(gitlab.hooks) == 1 and gitlab.hooks[0]['push_events'] is True
    assert [w['method'] for w in session.writes()] == ['PUT', 'DELETE', 'DELETE', 'POST']


def test_absent_changed_true_when_it_deleted_after_a_lost_answer():
    gitlab = LabGitLab('modern')
    gitlab.add_hook(URL, TOKEN)
    gitlab.lose_answer('DELETE', '/hooks', error=requests.exceptions.ConnectionError('Connection aborted.'))
    with mock.patch.object(_gitlab_api.time, 'sleep'):
        result, dummy = run_module(gitlab_system_hook.main, dict(url=URL, state='absent'), gitlab)
    assert result['changed'] and gitlab.hooks == []


@pytest.mark.parametrize('extra', [1, 3])
def test_hooks_created_by_concurrent_runs_converge_to_one(extra):
    gitlab = LabGitLab('modern')

    def others_created_too(kind, data):
        for dummy in range(extra):
            gitlab.add_hook(data['url'], data.get('token'))

    gitlab.on_create = others_created_too
    result, session = run(gitlab, HOOK)
    assert result['changed'] and len(gitlab.hooks) == 1
    assert result['hook']['id'] == gitlab.hooks[0]['id']
    assert any('kept hook' in w and 'removed' in w for w in result['warnings'])
    result, session = run(gitlab, HOOK)
    assert not result['changed']


def test_a_concurrent_run_that_removes_our_extra_first_is_fine():
    gitlab = LabGitLab('modern')
    gitlab.add_hook('http://unrelated.test/hook')

    def other_run(method, path):
        if (method, path) == ('POST', '/hooks'):
            gitlab.add_hook(URL, TOKEN, push_events=True)  # the other run's hook, created just before ours
        if method == 'DELETE':
            # the other run removed our extra copy a moment before we do
            gitlab.state.hooks.pop(int(path.rsplit('/', 1)[1]), None)
            return True
        return False

    gitlab.before = other_run
    result, dummy = run(gitlab, HOOK)
    assert result['changed'] and [h['url'] for h in gitlab.hooks].count(URL) == 1


def test_url_credentials_are_redacted_everywhere():
    gitlab = LabGitLab('modern')
    secret_url = 'http://koding:s3cr3t-pass@koding.test:8090/-/api/gitlab'
    result, session = run(gitlab, dict(url=secret_url, token=TOKEN), diff=True)
    assert gitlab.hooks[0]['url'] == secret_url  # GitLab gets the real URL
    assert 's3cr3t-pass' not in json.dumps(result)
    assert result['hook']['url'] == 'http://********@koding.test:8090/-/api/gitlab'
    gitlab.add_hook(secret_url)
    with mock.patch.object(gitlab_system_hook.time, 'sleep'):
        result, session = run(gitlab, dict(url=secret_url), expect_fail=True)
    assert 's3cr3t-pass' not in json.dumps(result) and '2 system hooks' in result['msg']


# ---- the oldest releases --------------------------------------------------------------------------------
@pytest.mark.parametrize('profile', GRAPE_405)
def test_grape_405_for_a_missing_put_and_the_hook_is_recreated(profile):
    gitlab = LabGitLab(profile)
    gitlab.add_hook(URL, TOKEN, push_events=False)
    result, session = run(gitlab, HOOK)
    assert result['changed'] and [(w['method'], w['status']) for w in session.writes()] == [('PUT', 405), ('DELETE', 204), ('POST', 201)]
    assert len(gitlab.hooks) == 1 and gitlab.hooks[0]['push_events'] is True


@pytest.mark.parametrize('profile', API_V3_ONLY_PROFILES)
def test_api_v3_only_gitlab_is_refused_naming_its_release_and_the_first_with_api_v4(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, HOOK, expect_fail=True)
    assert gitlab.version in result['msg'] and releases.since('api_v4') in result['msg'] and session.writes() == []
