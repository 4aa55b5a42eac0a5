# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
from unittest import mock

import pytest
import requests

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_api
from ansible_collections.koding.gitlab.plugins.modules import gitlab_oauth_app
from ansible_collections.koding.gitlab.tests.unit.plugins.gitlab_fakes import (
    FakeGitLab,
    FakeSession,
    make_response,
    run_module,
)

CALLBACK = 'http://koding.test:8090/-/oauth/gitlab/callback'
APP = dict(name='Koding', redirect_uri=CALLBACK, scopes=['api', 'read_user'])


def run(gitlab, args, **kwargs):
    session = FakeSession(gitlab)
    result = run_module(gitlab_oauth_app.main, args, session, **kwargs)
    return result, session


@pytest.mark.parametrize('profile', ['transition', 'modern'])
def test_create_then_no_op(profile):
    gitlab = FakeGitLab(profile)
    result, session = run(gitlab, APP, diff=True)
    assert result['changed']
    app = gitlab.apps[0]
    assert result['secret'] == app['secret']
    assert result['application']['id'] == app['id']
    assert result['application']['application_id'] == app['application_id']
    assert result['application']['callback_url'] == CALLBACK
    post = session.writes()[0]
    assert post['data'] == dict(name='Koding', redirect_uri=CALLBACK, scopes='api read_user', confidential=True)
    assert result['diff']['before'] == {}
    assert app['secret'] not in json.dumps(result['diff'])

    result, session = run(gitlab, APP, diff=True)
    assert not result['changed'] and 'secret' not in result
    assert session.writes() == [] and len(session.calls) == 1
    assert result['diff']['before'] == result['diff']['after']
    assert result['listing_supported'] is True and result['warnings'] == []


def test_check_mode_create_sends_no_write():
    gitlab = FakeGitLab('modern')
    result, session = run(gitlab, APP, check_mode=True)
    assert result['changed'] and 'secret' not in result
    assert session.writes() == [] and gitlab.apps == []
    assert result['application']['application_name'] == 'Koding'


def test_redirect_uri_list_is_joined_with_newlines():
    gitlab = FakeGitLab('modern')
    uris = [CALLBACK, 'https://koding.test/-/oauth/gitlab/callback']
    result, dummy = run(gitlab, dict(APP, redirect_uri=uris))
    assert gitlab.apps[0]['callback_url'] == '\n'.join(uris)
    result, dummy = run(gitlab, dict(APP, redirect_uri=uris))
    assert not result['changed']
    result, dummy = run(gitlab, dict(APP, redirect_uri='\n'.join(uris)))
    assert not result['changed']


def test_difference_with_recreate_never_fails_listing_it():
    gitlab = FakeGitLab('modern')
    gitlab.add_app('Koding', 'http://old.test/callback', confidential=False)
    result, session = run(gitlab, APP, expect_fail=True)
    assert 'redirect_uri' in result['msg'] and 'confidential' in result['msg'] and 'recreate=on_change' in result['msg']
    assert session.writes() == []


def test_recreate_on_change():
    gitlab = FakeGitLab('modern')
    old = gitlab.add_app('Koding', 'http://old.test/callback')
    result, session = run(gitlab, dict(APP, recreate='on_change'), diff=True)
    assert result['changed'] and result['secret'] == gitlab.apps[0]['secret']
    assert [(w['method'], w['path']) for w in session.writes()] == [('DELETE', '/applications/%d' % old['id']), ('POST', '/applications')]
    assert result['diff']['before']['callback_url'] == 'http://old.test/callback'
    assert result['diff']['after']['callback_url'] == CALLBACK
    assert len(gitlab.apps) == 1 and gitlab.apps[0]['id'] != old['id']


def test_recreate_on_change_in_check_mode():
    gitlab = FakeGitLab('modern')
    gitlab.add_app('Koding', 'http://old.test/callback')
    result, session = run(gitlab, dict(APP, recreate='on_change'), check_mode=True)
    assert result['changed'] and session.writes() == [] and 'secret' not in result


def test_confidential_is_ignored_when_instance_does_not_report_it():
    gitlab = FakeGitLab('transition')
    gitlab.add_app('Koding', CALLBACK)
    result, dummy = run(gitlab, dict(APP, confidential=False))
    assert not result['changed']


def test_duplicates_fail_listing_ids():
    gitlab = FakeGitLab('modern')
    first = gitlab.add_app('Koding', CALLBACK)
    second = gitlab.add_app('Koding', CALLBACK)
    for state in ('present', 'absent'):
        result, session = run(gitlab, dict(APP, state=state), expect_fail=True)
        assert '%d, %d' % (first['id'], second['id']) in result['msg']
        assert session.writes() == []


def test_renew_secret_modern():
    gitlab = FakeGitLab('modern')
    app = gitlab.add_app('Koding', CALLBACK)
    old_secret = app['secret']
    result, session = run(gitlab, dict(APP, renew_secret=True), check_mode=True)
    assert result['changed'] and session.writes() == [] and 'secret' not in result
    result, session = run(gitlab, dict(APP, renew_secret=True))
    assert result['changed'] and result['secret'] == app['secret'] != old_secret
    assert session.writes()[0]['path'] == '/applications/%d/renew-secret' % app['id']


def test_renew_secret_fails_naming_versions_where_gitlab_cannot():
    gitlab = FakeGitLab('transition')
    gitlab.add_app('Koding', CALLBACK)
    result, dummy = run(gitlab, dict(APP, renew_secret=True), expect_fail=True)
    assert gitlab.version in result['msg'] and '16.11' in result['msg']
    assert result['unsupported'] is True and result['listing_supported'] is True
    result, session = run(gitlab, dict(APP, renew_secret=True), check_mode=True, expect_fail=True)
    assert '16.11' in result['msg'] and session.writes() == []


def test_delete_and_no_op_and_check_mode():
    gitlab = FakeGitLab('modern')
    app = gitlab.add_app('Koding', CALLBACK)
    result, session = run(gitlab, dict(name='Koding', state='absent'), check_mode=True, diff=True)
    assert result['changed'] and session.writes() == [] and len(gitlab.apps) == 1
    assert result['diff']['after'] == {} and result['diff']['before']['id'] == app['id']
    result, session = run(gitlab, dict(name='Koding', state='absent'))
    assert result['changed'] and gitlab.apps == []
    assert session.writes()[0]['path'] == '/applications/%d' % app['id']
    result, session = run(gitlab, dict(name='Koding', state='absent'))
    assert not result['changed'] and session.writes() == []


def test_present_needs_redirect_uri_and_scopes_before_any_request():
    gitlab = FakeGitLab('modern')
    result, session = run(gitlab, dict(name='Koding'), expect_fail=True)
    assert 'redirect_uri' in result['msg'] and session.calls == []


@pytest.mark.parametrize(
    'stored',
    [
        CALLBACK + '\r\nhttps://koding.test/cb',
        'https://koding.test/cb\n' + CALLBACK,
        ' https://koding.test/cb \r\n' + CALLBACK + '\n' + CALLBACK + '\n',
    ],
)
def test_redirect_uris_compare_as_a_set_of_trimmed_uris(stored):
    gitlab = FakeGitLab('modern')
    gitlab.add_app('Koding', stored)
    result, session = run(gitlab, dict(APP, redirect_uri=[CALLBACK, 'https://koding.test/cb'], recreate='on_change'))
    assert not result['changed'] and session.writes() == []


def test_absent_reports_changed_when_a_retried_delete_finds_it_gone():
    gitlab = FakeGitLab('modern')
    app = gitlab.add_app('Koding', CALLBACK)

    def flaky(method, path, params, data, headers):
        answer = gitlab(method, path, params, data, headers)
        if method == 'DELETE' and not flaky.failed:
            flaky.failed = True
            return make_response(502, text='Bad Gateway')  # GitLab deleted it, the proxy lost the answer
        return answer

    flaky.failed = False
    result, session = run(flaky, dict(name='Koding', state='absent', max_retry_wait=0.0001, max_retries=1), expect_fail=True)
    # no retry budget in time: a clear error, no traceback
    assert 'DELETE /applications/%d' % app['id'] in result['msg']
    gitlab.add_app('Koding', CALLBACK)
    flaky.failed = False
    with mock.patch.object(_gitlab_api.time, 'sleep'):
        result, session = run(flaky, dict(name='Koding', state='absent'))
    assert result['changed'] and gitlab.apps == []
    assert [w['method'] for w in session.writes()] == ['DELETE', 'DELETE']


def test_recreate_finishes_when_the_retried_delete_finds_it_gone():
    gitlab = FakeGitLab('modern')
    gitlab.add_app('Koding', 'http://old.test/callback')

    def flaky(method, path, params, data, headers):
        answer = gitlab(method, path, params, data, headers)
        if method == 'DELETE' and not flaky.failed:
            flaky.failed = True
            return make_response(502, text='Bad Gateway')
        return answer

    flaky.failed = False
    with mock.patch.object(_gitlab_api.time, 'sleep'):
        result, dummy = run(flaky, dict(APP, recreate='on_change'))
    assert result['changed'] and len(gitlab.apps) == 1 and gitlab.apps[0]['callback_url'] == CALLBACK
    assert result['secret'] == gitlab.apps[0]['secret']


# -- GitLab 10.5 to 11.4: applications can be created, not listed or deleted --------------------------------


def test_legacy_creates_when_told_nothing_exists():
    gitlab = FakeGitLab('legacy')
    result, session = run(gitlab, APP, diff=True)
    assert result['changed'] and result['listing_supported'] is False
    assert result['application']['application_id'] == gitlab.apps[0]['application_id']
    assert result['secret'] == gitlab.apps[0]['secret']
    assert [c['method'] + ' ' + c['path'] for c in session.calls] == ['GET /applications', 'POST /applications', 'GET /version']
    assert any('cannot list' in w for w in result['warnings'])
    assert gitlab.apps[0]['secret'] not in json.dumps(result['diff'])


def test_legacy_check_mode_create_sends_no_write():
    gitlab = FakeGitLab('legacy')
    result, session = run(gitlab, APP, check_mode=True, diff=True)
    assert result['changed'] and session.writes() == [] and 'secret' not in result


@pytest.mark.parametrize('check_mode', [False, True])
def test_legacy_is_idempotent_given_the_application_id(check_mode):
    gitlab = FakeGitLab('legacy')
    app = gitlab.add_app('Koding', CALLBACK)
    result, session = run(gitlab, dict(APP, application_id=app['application_id']), check_mode=check_mode, diff=True)
    assert not result['changed'] and session.writes() == [] and 'secret' not in result
    assert result['application']['application_id'] == app['application_id']
    assert result['application']['callback_url'] is None  # unknown, and said so
    assert result['diff']['before'] == result['diff']['after'] == dict(application_id=app['application_id'])
    assert len(gitlab.apps) == 1


@pytest.mark.parametrize(
    'args, words',
    [
        (dict(name='Koding', state='absent'), ['cannot delete', '11.5', 'Admin Area']),
        (dict(APP, renew_secret=True, application_id='appid-2'), ['cannot renew', '16.11']),
        (dict(APP, recreate='on_change', application_id='appid-2'), ['cannot list or delete', 'recreate=never']),
    ],
)
@pytest.mark.parametrize('check_mode', [False, True])
def test_legacy_fails_clearly_where_gitlab_cannot(args, words, check_mode):
    gitlab = FakeGitLab('legacy')
    gitlab.add_app('Koding', CALLBACK)
    result, session = run(gitlab, args, check_mode=check_mode, expect_fail=True)
    for word in words:
        assert word in result['msg']
    assert '11.0.6' in result['msg'] and session.writes() == []
    assert result['unsupported'] is True and result['listing_supported'] is False


# -- overlapping runs ---------------------------------------------------------------------------------------


def test_a_concurrent_copy_with_a_lower_id_wins_and_this_run_removes_its_own():
    gitlab = FakeGitLab('modern')

    def other_run_was_first(kind, data):
        gitlab.on_create = None
        other = gitlab.add_app(data['name'], data['redirect_uri'])  # the other run's copy, created just before
        other['id'] = 1

    gitlab.on_create = other_run_was_first
    result, session = run(gitlab, APP, expect_fail=True)
    assert 'Another run created' in result['msg'] and 'removed its own copy' in result['msg']
    assert len(gitlab.apps) == 1 and 'secret' not in result
    assert session.writes()[-1]['method'] == 'DELETE'
    # the next run is not blocked
    result, dummy = run(gitlab, APP)
    assert not result['changed']


def test_this_run_keeps_its_copy_when_its_id_is_lowest():
    gitlab = FakeGitLab('modern')

    def other_run_came_later(kind, data):
        gitlab.on_create = None
        gitlab.add_app(data['name'], data['redirect_uri'])

    gitlab.on_create = other_run_came_later
    result, dummy = run(gitlab, APP)
    assert result['changed'] and result['secret'] == gitlab.apps[0]['secret']
    assert any('Another run' in w for w in result['warnings'])


def test_application_id_settles_duplicates():
    gitlab = FakeGitLab('modern')
    gitlab.add_app('Koding', CALLBACK)
    mine = gitlab.add_app('Koding', CALLBACK)
    result, session = run(gitlab, dict(APP, application_id=mine['application_id']))
    assert not result['changed'] and result['application']['id'] == mine['id']
    assert any('Remove the others' in w for w in result['warnings'])


def test_legacy_renew_secret_is_ignored_when_the_application_is_created():
    gitlab = FakeGitLab('legacy')
    result, dummy = run(gitlab, dict(APP, renew_secret=True))
    assert result['changed'] and result['secret'] == gitlab.apps[0]['secret']


# ---- releases the lab's three profiles do not show ---------------------------------------------
@pytest.mark.parametrize('version', ['8.17.8', '10.4.7'])
def test_gitlab_without_applications_api_is_unsupported_and_points_to_the_admin_area(version):
    """8.17 to 10.4 have no /applications at all: the failure is marked unsupported, not a plain error."""
    gitlab = FakeGitLab(version)
    result, session = run(gitlab, APP, expect_fail=True)
    assert result['unsupported'] is True and result['create_supported'] is False and result['listing_supported'] is False
    assert version in result['msg'] and '10.5' in result['msg'] and 'Admin Area, Applications' in result['msg']
    assert 'gitlab_wiring_manual_application_id' in result['msg']
    assert gitlab.apps == []


def test_api_v3_only_gitlab_is_refused_naming_its_release_and_8_17():
    gitlab = FakeGitLab('8.16.9')
    result, session = run(gitlab, APP, expect_fail=True)
    assert '8.16.9' in result['msg'] and '8.17' in result['msg'] and session.writes() == []


@pytest.mark.parametrize('version', ['11.11.8', '12.10.14'])
def test_deleting_an_application_already_gone_answers_500_and_counts_as_gone(version):
    """11.5 to early 13.x answer 500 (nil.destroy) to DELETE /applications/:id of an application that is gone."""
    gitlab = FakeGitLab(version)
    app = gitlab.add_app('Koding', CALLBACK)

    def racing(method, path, params, data, headers):
        if method == 'DELETE':
            gitlab.apps.remove(app)  # another run deleted it between our list and our delete
        return gitlab(method, path, params, data, headers)

    session = FakeSession(racing)
    result = run_module(gitlab_oauth_app.main, dict(name='Koding', state='absent'), session)
    assert not result['changed'] and result['application'] == {}
    assert [call['method'] for call in session.calls[-2:]] == ['DELETE', 'GET']


def test_a_real_500_to_delete_still_fails():
    gitlab = FakeGitLab('12.10.14')
    gitlab.add_app('Koding', CALLBACK)

    def broken(method, path, params, data, headers):
        if method == 'DELETE':
            return make_response(500, {'message': '500 Internal Server Error'})
        return gitlab(method, path, params, data, headers)

    result = run_module(gitlab_oauth_app.main, dict(name='Koding', state='absent'), FakeSession(broken), expect_fail=True)
    assert result['api_error']['status'] == 500 and len(gitlab.apps) == 1


@pytest.mark.parametrize('profile', ['legacy', 'modern'])
def test_lost_answer_to_a_create_points_to_the_admin_area(profile):
    """The POST reached GitLab, which may have created the application: not a "could not be reached" error."""
    gitlab = FakeGitLab(profile)

    def lost(method, path, params, data, headers):
        if method == 'POST':
            gitlab(method, path, params, data, headers)
            return requests.exceptions.ReadTimeout('read timed out')
        return gitlab(method, path, params, data, headers)

    result = run_module(gitlab_oauth_app.main, APP, FakeSession(lost), expect_fail=True)
    assert 'could not be reached' not in result['msg'] and 'Check api_url' not in result['msg']
    assert 'may have created' in result['msg'] and 'Admin Area, Applications' in result['msg']
    assert len(gitlab.apps) == 1
