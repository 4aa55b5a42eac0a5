# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
from unittest import mock

import pytest
import requests

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_api
from ansible_collections.koding.gitlab.plugins.modules import gitlab_system_hook
from ansible_collections.koding.gitlab.tests.unit.plugins.gitlab_fakes import (
    FakeGitLab,
    FakeSession,
    make_response,
    run_module,
)

URL = 'http://koding.test:8090/-/api/gitlab'
TOKEN = 'hook-secret-4711'
HOOK = dict(url=URL, token=TOKEN, push_events=True)


def run(gitlab, args, **kwargs):
    session = FakeSession(gitlab)
    result = run_module(gitlab_system_hook.main, args, session, **kwargs)
    assert TOKEN not in json.dumps(result)
    return result, session


@pytest.mark.parametrize('profile', ['legacy', 'modern'])
def test_create_then_no_op(profile):
    gitlab = FakeGitLab(profile)
    result, session = run(gitlab, HOOK, diff=True)
    assert result['changed']
    assert session.writes()[0]['data'] == dict(url=URL, token=TOKEN, push_events=True, enable_ssl_verification=True)
    assert gitlab.hooks[0]['_token'] == TOKEN
    assert result['hook']['id'] == gitlab.hooks[0]['id']
    assert result['diff']['after']['token'] == '********'
    assert result['diff']['before'] == {}

    result, session = run(gitlab, HOOK, diff=True)
    assert not result['changed'] and session.writes() == [] and len(session.calls) == 1
    assert 'token' not in result['diff']['after']


def test_check_mode_create_predicts_gitlab_defaults():
    gitlab = FakeGitLab('modern')
    result, session = run(gitlab, HOOK, check_mode=True)
    assert result['changed'] and session.writes() == [] and gitlab.hooks == []
    assert result['hook'] == dict(
        url=URL, push_events=True, tag_push_events=False, merge_requests_events=False, repository_update_events=True, enable_ssl_verification=True
    )


def test_unset_flags_are_not_compared_on_an_existing_hook():
    gitlab = FakeGitLab('modern')
    gitlab.add_hook(URL, TOKEN, push_events=True, tag_push_events=True, repository_update_events=False)
    result, session = run(gitlab, HOOK)
    assert not result['changed'] and session.writes() == []


def test_update_with_put_on_modern():
    gitlab = FakeGitLab('modern')
    hook = gitlab.add_hook(URL, TOKEN)
    result, session = run(gitlab, dict(HOOK, merge_requests_events=True), diff=True)
    assert result['changed']
    writes = session.writes()
    assert [(w['method'], w['path']) for w in writes] == [('PUT', '/hooks/%d' % hook['id'])]
    assert writes[0]['data'] == dict(push_events=True, merge_requests_events=True)
    assert result['hook']['merge_requests_events'] is True and result['hook']['id'] == hook['id']
    assert result['diff']['before']['push_events'] is False and result['diff']['after']['push_events'] is True


def test_update_check_mode():
    gitlab = FakeGitLab('modern')
    gitlab.add_hook(URL, TOKEN)
    result, session = run(gitlab, HOOK, check_mode=True)
    assert result['changed'] and session.writes() == [] and gitlab.hooks[0]['push_events'] is False


def test_update_on_legacy_recreates_and_resends_token():
    gitlab = FakeGitLab('legacy')
    hook = gitlab.add_hook(URL, TOKEN, tag_push_events=True)
    result, session = run(gitlab, HOOK)
    assert result['changed']
    assert [(w['method'], w['path']) for w in session.writes()] == [('PUT', '/hooks/%d' % hook['id']), ('DELETE', '/hooks/%d' % hook['id']), ('POST', '/hooks')]
    assert session.writes()[2]['data']['token'] == TOKEN
    new = gitlab.hooks[0]
    assert len(gitlab.hooks) == 1 and new['id'] != hook['id']
    assert new['push_events'] is True and new['tag_push_events'] is True and new['_token'] == TOKEN
    assert result['warnings'] == []


def test_recreate_without_token_warns():
    gitlab = FakeGitLab('legacy')
    gitlab.add_hook(URL, TOKEN)
    result, dummy = run(gitlab, dict(url=URL, push_events=True))
    assert result['changed'] and any('no secret token' in w for w in result['warnings'])
    assert gitlab.hooks[0]['_token'] is None


def test_update_token_always():
    gitlab = FakeGitLab('modern')
    hook = gitlab.add_hook(URL, 'old-token', push_events=True)
    result, session = run(gitlab, dict(HOOK, update_token='always'), diff=True)
    assert result['changed'] and session.writes()[0]['data'] == dict(token=TOKEN)
    assert gitlab.hooks[0]['_token'] == TOKEN and gitlab.hooks[0]['id'] == hook['id']
    assert result['diff']['after']['token'] == '********'
    result, session = run(gitlab, dict(HOOK, update_token='always'), check_mode=True)
    assert result['changed'] and session.writes() == []


def test_name_and_description_on_modern():
    gitlab = FakeGitLab('modern')
    result, session = run(gitlab, dict(HOOK, name='Koding', description='Koding events'))
    assert session.writes()[0]['data']['name'] == 'Koding'
    assert gitlab.hooks[0]['description'] == 'Koding events'
    assert [c['path'] for c in session.calls] == ['/hooks', '/version', '/hooks', '/hooks']
    result, session = run(gitlab, dict(HOOK, name='Koding', description='Koding events'))
    assert not result['changed'] and len(session.calls) == 1


def test_name_is_ignored_with_a_warning_on_legacy():
    gitlab = FakeGitLab('legacy')
    result, session = run(gitlab, dict(HOOK, name='Koding'))
    assert 'name' not in session.writes()[0]['data']
    assert any('name' in w for w in result['warnings'])
    result, session = run(gitlab, dict(HOOK, name='Koding'))
    assert not result['changed'] and len(session.calls) == 1


def test_pagination_finds_a_hook_on_a_later_page():
    gitlab = FakeGitLab('modern')
    for index in range(150):
        gitlab.add_hook('http://127.0.0.1:9/seed-%d' % index)
    gitlab.add_hook(URL, TOKEN, push_events=True)
    result, session = run(gitlab, HOOK)
    assert not result['changed'] and len(session.calls) == 2


def test_duplicates_fail_listing_ids():
    gitlab = FakeGitLab('modern')
    first = gitlab.add_hook(URL)
    second = gitlab.add_hook(URL)
    with mock.patch.object(gitlab_system_hook.time, 'sleep') as sleep:
        result, session = run(gitlab, HOOK, expect_fail=True)
    assert '%d, %d' % (first['id'], second['id']) in result['msg'] and session.writes() == []
    # It looked again after each pause before refusing.
    assert [call.args[0] for call in sleep.call_args_list] == list(gitlab_system_hook.DUPLICATE_RECHECK_DELAYS)


def test_duplicates_that_an_overlapping_run_removes_are_waited_for():
    gitlab = FakeGitLab('modern')
    kept = gitlab.add_hook(URL, TOKEN, push_events=True)
    gitlab.add_hook(URL)

    def other_run_converges(seconds):
        gitlab.hooks[:] = [hook for hook in gitlab.hooks if hook['id'] == kept['id']]

    with mock.patch.object(gitlab_system_hook.time, 'sleep', side_effect=other_run_converges) as sleep:
        result, session = run(gitlab, dict(url=URL, push_events=True))
    assert not result['changed'] and session.writes() == [] and sleep.call_count == 1


def test_delete():
    gitlab = FakeGitLab('legacy')
    hook = gitlab.add_hook(URL, TOKEN)
    result, session = run(gitlab, dict(url=URL, state='absent'), check_mode=True, diff=True)
    assert result['changed'] and session.writes() == [] and result['diff']['before']['url'] == URL
    result, session = run(gitlab, dict(url=URL, state='absent'))
    assert result['changed'] and session.writes()[0]['path'] == '/hooks/%d' % hook['id'] and gitlab.hooks == []
    result, session = run(gitlab, dict(url=URL, state='absent'))
    assert not result['changed'] and session.writes() == []


def test_bad_url_fails_before_any_request():
    gitlab = FakeGitLab('modern')
    result, session = run(gitlab, dict(url='ftp://koding.test/hook'), expect_fail=True)
    assert 'url' in result['msg'] and session.calls == []


def test_properties_the_instance_does_not_return_are_not_compared():
    gitlab = FakeGitLab('legacy')
    gitlab.add_hook(URL, TOKEN, push_events=True)
    del gitlab.hooks[0]['enable_ssl_verification']
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
    gitlab = FakeGitLab('legacy')
    result, session = run(gitlab, dict(HOOK, token=token), expect_fail=True)
    for word in words:
        assert word in result['msg']
    assert session.calls == [] and token.strip() not in json.dumps(result)


@pytest.mark.parametrize('wanted', [False, True])
def test_legacy_never_fights_repository_update_events(wanted):
    gitlab = FakeGitLab('legacy')
    args = dict(HOOK, repository_update_events=wanted)
    result, session = run(gitlab, args)
    assert result['changed'] and 'repository_update_events' not in session.writes()[0]['data']
    assert any('repository_update_events' in w for w in result['warnings']) == (not wanted)
    for dummy in range(2):
        result, session = run(gitlab, args)
        assert not result['changed'] and session.writes() == []
    assert len(gitlab.hooks) == 1


def test_sends_repository_update_events_where_post_takes_it_and_recreates_to_change_it():
    gitlab = FakeGitLab('14.1.8')
    result, session = run(gitlab, dict(HOOK, repository_update_events=False))
    assert session.writes()[0]['data']['repository_update_events'] is False
    result, session = run(gitlab, dict(HOOK, repository_update_events=True))
    assert result['changed'] and [w['method'] for w in session.writes()] == ['PUT', 'DELETE', 'POST']
    assert gitlab.hooks[0]['repository_update_events'] is True and len(gitlab.hooks) == 1
    result, session = run(gitlab, dict(HOOK, repository_update_events=True))
    assert not result['changed']


def test_legacy_recreate_finishes_when_the_retried_delete_finds_it_gone():
    gitlab = FakeGitLab('legacy')
    gitlab.add_hook(URL, TOKEN)

    def flaky(method, path, params, data, headers):
        answer = gitlab(method, path, params, data, headers)
        if method == 'DELETE' and not flaky.failed:
            flaky.failed = True
            return make_response(502, text='Bad Gateway')
        return answer

    flaky.failed = False
    session = FakeSession(flaky)
    with mock.patch.object(_gitlab_api.time, 'sleep'):
        result = run_module(gitlab_system_hook.main, HOOK, session)
    assert result['changed'] and len(gitlab.hooks) == 1 and gitlab.hooks[0]['push_events'] is True
    assert [w['method'] for w in session.writes()] == ['PUT', 'DELETE', 'DELETE', 'POST']


def test_absent_changed_true_when_it_deleted_after_a_lost_answer():
    gitlab = FakeGitLab('modern')
    gitlab.add_hook(URL, TOKEN)

    def flaky(method, path, params, data, headers):
        answer = gitlab(method, path, params, data, headers)
        if method == 'DELETE' and not flaky.failed:
            flaky.failed = True
            return requests.exceptions.ConnectionError('Connection aborted.')
        return answer

    flaky.failed = False
    with mock.patch.object(_gitlab_api.time, 'sleep'):
        result = run_module(gitlab_system_hook.main, dict(url=URL, state='absent'), FakeSession(flaky))
    assert result['changed'] and gitlab.hooks == []


@pytest.mark.parametrize('extra', [1, 3])
def test_hooks_created_by_concurrent_runs_converge_to_one(extra):
    gitlab = FakeGitLab('modern')

    def others_created_too(kind, data):
        gitlab.on_create = None
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
    gitlab = FakeGitLab('modern')
    first = gitlab.add_hook('http://unrelated.test/hook')

    def other_created_one_and_cleans_up(kind, data):
        gitlab.on_create = None
        mine = gitlab.hooks.pop()
        other = gitlab.add_hook(data['url'], data.get('token'), push_events=True)
        other['id'] = gitlab.hooks[-1]['id'] = first['id'] - 1
        gitlab.hooks.append(mine)

    gitlab.on_create = other_created_one_and_cleans_up
    original_delete = gitlab.delete

    def delete_twice(items, path, thing):
        original_delete(items, path, thing)  # the other run removed it a moment before
        return original_delete(items, path, thing)

    gitlab.delete = delete_twice
    result, dummy = run(gitlab, HOOK)
    assert result['changed'] and [h['url'] for h in gitlab.hooks].count(URL) == 1


def test_url_credentials_are_redacted_everywhere():
    gitlab = FakeGitLab('modern')
    secret_url = 'http://koding:s3cr3t-pass@koding.test:8090/-/api/gitlab'
    result, session = run(gitlab, dict(url=secret_url, token=TOKEN), diff=True)
    assert gitlab.hooks[0]['url'] == secret_url  # GitLab gets the real URL
    assert 's3cr3t-pass' not in json.dumps(result)
    assert result['hook']['url'] == 'http://********@koding.test:8090/-/api/gitlab'
    gitlab.add_hook(secret_url)
    result, session = run(gitlab, dict(url=secret_url), expect_fail=True)
    assert 's3cr3t-pass' not in json.dumps(result) and '2 system hooks' in result['msg']


# ---- releases the lab's three profiles do not show ---------------------------------------------
@pytest.mark.parametrize('version', ['11.5.0', '11.11.8', '12.10.14', '13.12.15'])
def test_repository_update_events_never_fights_where_post_ignores_it(version):
    """Up to 13.12 POST /hooks drops repository_update_events (the hook keeps true) and there is no PUT."""
    gitlab = FakeGitLab(version)
    args = dict(HOOK, repository_update_events=False)
    result, session = run(gitlab, args)
    assert result['changed'] and 'repository_update_events' not in session.writes()[0]['data']
    assert any('repository_update_events' in w and '14.0 or 14.1' in w for w in result['warnings'])
    for dummy in range(2):
        result, session = run(gitlab, args)
        assert not result['changed'] and session.writes() == [] and result['warnings'] == []
    assert len(gitlab.hooks) == 1 and gitlab.hooks[0]['_token'] == TOKEN


def test_8_17_answers_405_for_a_missing_put_and_the_hook_is_recreated():
    gitlab = FakeGitLab('8.17.8')
    gitlab.add_hook(URL, TOKEN, push_events=False)
    result, session = run(gitlab, HOOK)
    assert result['changed'] and [w['method'] for w in session.writes()] == ['PUT', 'DELETE', 'POST']
    assert len(gitlab.hooks) == 1 and gitlab.hooks[0]['push_events'] is True


def test_api_v3_only_gitlab_is_refused_naming_its_release_and_8_17():
    gitlab = FakeGitLab('8.13.12')
    result, session = run(gitlab, HOOK, expect_fail=True)
    assert '8.13.12' in result['msg'] and '8.17' in result['msg'] and session.writes() == []
