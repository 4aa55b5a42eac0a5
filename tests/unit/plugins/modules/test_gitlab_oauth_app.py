# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""gitlab_oauth_app against the lab GitLab in process, on every profile where the behaviour applies."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_api
from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_releases as releases
from ansible_collections.koding.gitlab.plugins.modules import gitlab_oauth_app
from ansible_collections.koding.gitlab.tests.unit.plugins.lab_gitlab import API_V3_ONLY_PROFILES, LabGitLab, profiles_with, run_module

CALLBACK = 'http://koding.test:8090/-/oauth/gitlab/callback'
APP = dict(name='Koding', redirect_uri=CALLBACK, scopes=['api', 'read_user'])

# What each range of releases can do with applications, from the lab's profiles (built from the release table).
LISTING = profiles_with('applications_list')
CREATE_ONLY = profiles_with('applications_create', applications_list=False)
NO_APPLICATIONS_API = profiles_with(applications_create=False)
CREATING = LISTING + CREATE_ONLY
CONFIDENTIAL = profiles_with('applications_list', 'application_confidential')
NO_CONFIDENTIAL = profiles_with('applications_list', application_confidential=False)
RENEWING = profiles_with('renew_secret')
RECREATING = profiles_with('applications_delete', renew_secret=False)
DELETE_500 = profiles_with('applications_delete', applications_delete_404=False)


def run(gitlab, args, **kwargs):
    return run_module(gitlab_oauth_app.main, args, gitlab, **kwargs)


def routes(calls):
    return ['%s %s' % (call['method'], call['path']) for call in calls]


@pytest.mark.parametrize('profile', LISTING)
def test_create_then_no_op(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, APP, diff=True)
    assert result['changed']
    app = gitlab.apps[0]
    assert gitlab.holds_secret(app['id'], result['secret'])
    assert result['application']['id'] == app['id']
    assert result['application']['application_id'] == app['application_id']
    assert result['application']['callback_url'] == CALLBACK
    post = session.writes()[0]
    assert post['data'] == dict(name='Koding', redirect_uri=CALLBACK, scopes='api read_user', confidential=True)
    assert result['diff']['before'] == {}
    assert result['secret'] not in json.dumps(result['diff'])
    assert 'secret_recovery' not in result

    result, session = run(gitlab, APP, diff=True)
    assert not result['changed'] and 'secret' not in result
    assert session.writes() == [] and len(session.calls) == 1
    assert result['diff']['before'] == result['diff']['after']
    assert result['listing_supported'] is True and result['warnings'] == []


@pytest.mark.parametrize('profile', CREATING)
def test_check_mode_create_sends_no_write(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, APP, check_mode=True)
    assert result['changed'] and 'secret' not in result
    assert session.writes() == [] and gitlab.apps == []
    assert result['application']['application_name'] == 'Koding'


def test_redirect_uri_list_is_joined_with_newlines():
    gitlab = LabGitLab('modern')
    uris = [CALLBACK, 'https://koding.test/-/oauth/gitlab/callback']
    result, dummy = run(gitlab, dict(APP, redirect_uri=uris))
    assert gitlab.apps[0]['callback_url'] == '\n'.join(uris)
    result, dummy = run(gitlab, dict(APP, redirect_uri=uris))
    assert not result['changed']
    result, dummy = run(gitlab, dict(APP, redirect_uri='\n'.join(uris)))
    assert not result['changed']


def test_difference_with_recreate_never_fails_listing_it():
    gitlab = LabGitLab('modern')
    gitlab.add_app('Koding', 'http://old.test/callback', confidential=False)
    result, session = run(gitlab, APP, expect_fail=True)
    assert 'redirect_uri' in result['msg'] and 'confidential' in result['msg'] and 'recreate=on_change' in result['msg']
    assert session.writes() == []


@pytest.mark.parametrize('profile', LISTING)
def test_recreate_on_change(profile):
    gitlab = LabGitLab(profile)
    old = gitlab.add_app('Koding', 'http://old.test/callback')
    result, session = run(gitlab, dict(APP, recreate='on_change'), diff=True)
    assert result['changed'] and gitlab.holds_secret(gitlab.apps[0]['id'], result['secret'])
    assert routes(session.writes()) == ['DELETE /applications/%d' % old['id'], 'POST /applications']
    assert result['diff']['before']['callback_url'] == 'http://old.test/callback'
    assert result['diff']['after']['callback_url'] == CALLBACK
    assert len(gitlab.apps) == 1 and gitlab.apps[0]['id'] != old['id']


def test_recreate_on_change_in_check_mode():
    gitlab = LabGitLab('modern')
    gitlab.add_app('Koding', 'http://old.test/callback')
    result, session = run(gitlab, dict(APP, recreate='on_change'), check_mode=True)
    assert result['changed'] and session.writes() == [] and 'secret' not in result


@pytest.mark.parametrize('profile', NO_CONFIDENTIAL)
def test_confidential_is_ignored_when_instance_does_not_report_it(profile):
    gitlab = LabGitLab(profile)
    gitlab.add_app('Koding', CALLBACK)
    result, dummy = run(gitlab, dict(APP, confidential=False))
    assert not result['changed']


@pytest.mark.parametrize('profile', LISTING)
def test_duplicates_fail_listing_ids(profile):
    gitlab = LabGitLab(profile)
    first = gitlab.add_app('Koding', CALLBACK)
    second = gitlab.add_app('Koding', CALLBACK)
    for state in ('present', 'absent'):
        result, session = run(gitlab, dict(APP, state=state), expect_fail=True)
        assert '%d, %d' % (first['id'], second['id']) in result['msg']
        assert session.writes() == []


@pytest.mark.parametrize('profile', RENEWING)
def test_renew_secret(profile):
    gitlab = LabGitLab(profile)
    app = gitlab.add_app('Koding', CALLBACK)
    result, session = run(gitlab, dict(APP, renew_secret=True), check_mode=True)
    assert result['changed'] and session.writes() == [] and 'secret' not in result
    result, session = run(gitlab, dict(APP, renew_secret=True))
    assert result['changed'] and result['secret'] != app['secret'] and gitlab.holds_secret(app['id'], result['secret'])
    assert session.writes()[0]['path'] == '/applications/%d/renew-secret' % app['id']


@pytest.mark.parametrize('profile', RECREATING)
def test_renew_secret_fails_naming_versions_where_gitlab_cannot(profile):
    gitlab = LabGitLab(profile)
    gitlab.add_app('Koding', CALLBACK)
    result, dummy = run(gitlab, dict(APP, renew_secret=True), expect_fail=True)
    assert gitlab.version in result['msg'] and releases.since('renew_secret') in result['msg']
    assert result['unsupported'] is True and result['listing_supported'] is True
    result, session = run(gitlab, dict(APP, renew_secret=True), check_mode=True, expect_fail=True)
    assert releases.since('renew_secret') in result['msg'] and session.writes() == []


@pytest.mark.parametrize('profile', LISTING)
def test_delete_and_no_op_and_check_mode(profile):
    gitlab = LabGitLab(profile)
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
    gitlab = LabGitLab('modern')
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
    gitlab = LabGitLab('modern')
    gitlab.add_app('Koding', stored)
    result, session = run(gitlab, dict(APP, redirect_uri=[CALLBACK, 'https://koding.test/cb'], recreate='on_change'))
    assert not result['changed'] and session.writes() == []


def test_absent_reports_changed_when_a_retried_delete_finds_it_gone():
    gitlab = LabGitLab('modern')
    app = gitlab.add_app('Koding', CALLBACK)
    gitlab.lose_answer('DELETE', '/applications', status=502)  # GitLab deleted it, the proxy lost the answer
    result, session = run(gitlab, dict(name='Koding', state='absent', max_retry_wait=0.0001, max_retries=1), expect_fail=True)
    # no retry budget in time: a clear error, no traceback
    assert 'DELETE /applications/%d' % app['id'] in result['msg']
    gitlab.add_app('Koding', CALLBACK)
    gitlab.lose_answer('DELETE', '/applications', status=502)
    with mock.patch.object(_gitlab_api.time, 'sleep'):
        result, session = run(gitlab, dict(name='Koding', state='absent'))
    assert result['changed'] and gitlab.apps == []
    assert [w['method'] for w in session.writes()] == ['DELETE', 'DELETE']


def test_recreate_finishes_when_the_retried_delete_finds_it_gone():
    gitlab = LabGitLab('modern')
    gitlab.add_app('Koding', 'http://old.test/callback')
    gitlab.lose_answer('DELETE', '/applications', status=502)
    with mock.patch.object(_gitlab_api.time, 'sleep'):
        result, dummy = run(gitlab, dict(APP, recreate='on_change'))
    assert result['changed'] and len(gitlab.apps) == 1 and gitlab.apps[0]['callback_url'] == CALLBACK
    assert gitlab.holds_secret(gitlab.apps[0]['id'], result['secret'])


# -- GitLab that can create applications, not list or delete them -------------------------------------------


@pytest.mark.parametrize('profile', CREATE_ONLY)
def test_create_only_gitlab_creates_when_told_nothing_exists(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, APP, diff=True)
    assert result['changed'] and result['listing_supported'] is False
    assert result['application']['application_id'] == gitlab.apps[0]['application_id']
    assert gitlab.holds_secret(gitlab.apps[0]['id'], result['secret'])
    assert routes(session.calls) == ['GET /applications', 'POST /applications', 'GET /version']
    assert any('cannot list' in w for w in result['warnings'])
    assert result['secret'] not in json.dumps(result['diff'])


@pytest.mark.parametrize('profile', CREATE_ONLY)
def test_create_only_gitlab_check_mode_create_sends_no_write(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, APP, check_mode=True, diff=True)
    assert result['changed'] and session.writes() == [] and 'secret' not in result


@pytest.mark.parametrize('recreate', ['never', 'on_change'])
@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('profile', CREATE_ONLY)
def test_create_only_gitlab_is_idempotent_given_the_application_id(profile, check_mode, recreate):
    gitlab = LabGitLab(profile)
    app = gitlab.add_app('Koding', CALLBACK)
    result, session = run(gitlab, dict(APP, application_id=app['application_id'], recreate=recreate), check_mode=check_mode, diff=True)
    assert not result['changed'] and session.writes() == [] and 'secret' not in result
    assert result['application']['application_id'] == app['application_id']
    assert result['application']['callback_url'] is None  # unknown, and said so
    assert result['diff']['before'] == result['diff']['after'] == dict(application_id=app['application_id'])
    assert len(gitlab.apps) == 1


@pytest.mark.parametrize(
    'args, words',
    [
        (dict(name='Koding', state='absent'), ['cannot delete', releases.since('applications_delete'), 'Admin Area']),
        (dict(APP, renew_secret=True, application_id='appid-2'), ['cannot renew', releases.since('renew_secret')]),
    ],
)
@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('profile', CREATE_ONLY)
def test_create_only_gitlab_fails_clearly_where_it_cannot(profile, args, words, check_mode):
    gitlab = LabGitLab(profile)
    gitlab.add_app('Koding', CALLBACK)
    result, session = run(gitlab, args, check_mode=check_mode, expect_fail=True)
    for word in words:
        assert word in result['msg']
    assert gitlab.version in result['msg'] and session.writes() == []
    assert result['unsupported'] is True and result['listing_supported'] is False


@pytest.mark.parametrize('profile', CREATE_ONLY)
def test_create_only_gitlab_renew_secret_is_ignored_when_the_application_is_created(profile):
    gitlab = LabGitLab(profile)
    result, dummy = run(gitlab, dict(APP, renew_secret=True))
    assert result['changed'] and gitlab.holds_secret(gitlab.apps[0]['id'], result['secret'])


# -- a lost secret (secret_known=false): renew, else delete and re-create, else create a new one ----------------


@pytest.mark.parametrize('profile', RENEWING)
def test_lost_secret_is_renewed_where_gitlab_can(profile):
    gitlab = LabGitLab(profile)
    app = gitlab.add_app('Koding', CALLBACK)
    args = dict(APP, secret_known=False, recreate='on_change')
    result, session = run(gitlab, args, check_mode=True, diff=True)
    assert result['changed'] and result['secret_recovery'] == 'renewed' and session.writes() == [] and 'secret' not in result
    assert result['application']['id'] == app['id']
    result, session = run(gitlab, args, diff=True)
    assert result['changed'] and result['secret_recovery'] == 'renewed'
    assert routes(session.writes()) == ['POST /applications/%d/renew-secret' % app['id']]
    assert gitlab.holds_secret(app['id'], result['secret']) and not gitlab.holds_secret(app['id'], app['secret'])
    assert result['application']['application_id'] == app['application_id'] and len(gitlab.apps) == 1
    assert result['secret'] not in json.dumps(result['diff']) + json.dumps(result['warnings'])
    # The caller keeps it now: nothing more to do.
    result, session = run(gitlab, dict(APP, secret_known=True, application_id=app['application_id']))
    assert not result['changed'] and session.writes() == [] and 'secret_recovery' not in result


@pytest.mark.parametrize('profile', RECREATING)
def test_lost_secret_recreates_the_application_where_gitlab_cannot_renew(profile):
    gitlab = LabGitLab(profile)
    app = gitlab.add_app('Koding', CALLBACK)
    args = dict(APP, secret_known=False)
    result, session = run(gitlab, args, check_mode=True)
    assert result['changed'] and result['secret_recovery'] == 'recreated' and session.writes() == [] and 'secret' not in result
    result, session = run(gitlab, args, diff=True)
    assert result['changed'] and result['secret_recovery'] == 'recreated'
    assert routes(session.writes()) == ['DELETE /applications/%d' % app['id'], 'POST /applications']
    [new] = gitlab.apps
    assert new['id'] != app['id'] and gitlab.holds_secret(new['id'], result['secret'])
    assert result['application']['application_id'] == new['application_id']
    assert result['secret'] not in json.dumps(result['diff'])
    result, session = run(gitlab, dict(APP, application_id=new['application_id']))
    assert not result['changed'] and session.writes() == []


@pytest.mark.parametrize('profile', CREATE_ONLY)
def test_lost_secret_creates_a_new_application_where_gitlab_can_neither_renew_nor_delete(profile):
    gitlab = LabGitLab(profile)
    old = gitlab.add_app('Koding', CALLBACK)
    args = dict(APP, secret_known=False, application_id=old['application_id'], recreate='on_change')
    result, session = run(gitlab, args, check_mode=True)
    assert result['changed'] and result['secret_recovery'] == 'created_new' and session.writes() == [] and 'secret' not in result
    result, session = run(gitlab, args, diff=True)
    assert result['changed'] and result['secret_recovery'] == 'created_new'
    assert routes(session.writes()) == ['POST /applications']
    new = gitlab.apps[1]
    assert result['application']['application_id'] == new['application_id'] != old['application_id']
    assert gitlab.holds_secret(new['id'], result['secret'])
    [warning] = [w for w in result['warnings'] if 'is still there' in w]
    assert old['application_id'] in warning and 'Admin Area, Applications' in warning and result['secret'] not in warning
    result, session = run(gitlab, dict(APP, application_id=new['application_id']))
    assert not result['changed'] and session.writes() == []


@pytest.mark.parametrize('profile', LISTING)
def test_a_kept_secret_of_another_application_counts_as_lost(profile):
    gitlab = LabGitLab(profile)
    app = gitlab.add_app('Koding', CALLBACK)
    result, session = run(gitlab, dict(APP, application_id='client-id-of-an-older-application'), check_mode=True)
    assert result['changed'] and result['secret_recovery'] in ('renewed', 'recreated') and session.writes() == []
    result, session = run(gitlab, dict(APP, application_id=app['application_id']))
    assert not result['changed'] and 'secret_recovery' not in result


@pytest.mark.parametrize('profile', LISTING)
def test_lost_secret_of_an_application_that_does_not_exist_yet_is_a_plain_create(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, dict(APP, secret_known=False))
    assert result['changed'] and 'secret_recovery' not in result and routes(session.writes()) == ['POST /applications']


# -- overlapping runs ---------------------------------------------------------------------------------------


def test_a_concurrent_copy_with_a_lower_id_wins_and_this_run_removes_its_own():
    gitlab = LabGitLab('modern')

    def other_run_was_first(method, path):
        if (method, path) != ('POST', '/applications'):
            return False
        gitlab.add_app('Koding', CALLBACK)  # the other run's copy, created just before this one
        return True

    gitlab.before = other_run_was_first
    result, session = run(gitlab, APP, expect_fail=True)
    assert 'Another run created' in result['msg'] and 'removed its own copy' in result['msg']
    assert len(gitlab.apps) == 1 and 'secret' not in result
    assert session.writes()[-1]['method'] == 'DELETE'
    # the next run is not blocked
    result, dummy = run(gitlab, APP)
    assert not result['changed']


def test_this_run_keeps_its_copy_when_its_id_is_lowest():
    gitlab = LabGitLab('modern')
    gitlab.on_create = lambda kind, data: gitlab.add_app(data['name'], data['redirect_uri'])
    result, dummy = run(gitlab, APP)
    assert result['changed'] and gitlab.holds_secret(gitlab.apps[0]['id'], result['secret'])
    assert any('Another run' in w for w in result['warnings'])


def test_application_id_settles_duplicates():
    gitlab = LabGitLab('modern')
    gitlab.add_app('Koding', CALLBACK)
    mine = gitlab.add_app('Koding', CALLBACK)
    result, session = run(gitlab, dict(APP, application_id=mine['application_id']))
    assert not result['changed'] and result['application']['id'] == mine['id']
    assert any('Remove the others' in w for w in result['warnings'])


# ---- releases before the applications API, and before the API v4 ------------------------------------------
@pytest.mark.parametrize('profile', NO_APPLICATIONS_API)
def test_gitlab_without_applications_api_is_unsupported_and_points_to_the_admin_area(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, APP, expect_fail=True)
    assert result['unsupported'] is True and result['create_supported'] is False and result['listing_supported'] is False
    assert gitlab.version in result['msg'] and releases.since('applications_create') in result['msg']
    assert 'Admin Area, Applications' in result['msg'] and 'gitlab_wiring_manual_application_id' in result['msg']
    assert gitlab.apps == []


@pytest.mark.parametrize('profile', API_V3_ONLY_PROFILES)
def test_api_v3_only_gitlab_is_refused_naming_its_release_and_the_first_with_api_v4(profile):
    gitlab = LabGitLab(profile)
    result, session = run(gitlab, APP, expect_fail=True)
    assert gitlab.version in result['msg'] and releases.since('api_v4') in result['msg'] and session.writes() == []


@pytest.mark.parametrize('profile', DELETE_500)
def test_deleting_an_application_already_gone_answers_500_and_counts_as_gone(profile):
    """Releases before applications_delete_404 answer 500 (nil.destroy) to DELETE /applications/:id of an id that is gone."""
    gitlab = LabGitLab(profile)
    app = gitlab.add_app('Koding', CALLBACK)

    def another_run_deletes_it(method, path):
        if method != 'DELETE':
            return False
        gitlab.state.remove_application(app['id'])
        return True

    gitlab.before = another_run_deletes_it
    result, session = run(gitlab, dict(name='Koding', state='absent'))
    assert not result['changed'] and result['application'] == {}
    assert [(call['method'], call['status']) for call in session.calls[-2:]] == [('DELETE', 500), ('GET', 200)]


@pytest.mark.parametrize('profile', DELETE_500)
def test_a_real_500_to_delete_still_fails(profile):
    gitlab = LabGitLab(profile)
    gitlab.add_app('Koding', CALLBACK)
    gitlab.fault(500, method='DELETE', path='/applications', count=10)
    result, dummy = run(gitlab, dict(name='Koding', state='absent'), expect_fail=True)
    assert result['api_error']['status'] == 500 and len(gitlab.apps) == 1


@pytest.mark.parametrize('profile', CREATING)
def test_lost_answer_to_a_create_points_to_the_admin_area(profile):
    """The POST reached GitLab, which may have created the application: not a "could not be reached" error."""
    gitlab = LabGitLab(profile)
    gitlab.lose_answer('POST', '/applications')
    result, dummy = run(gitlab, APP, expect_fail=True)
    assert 'could not be reached' not in result['msg'] and 'Check api_url' not in result['msg']
    assert 'may have created' in result['msg'] and 'Admin Area, Applications' in result['msg']
    assert len(gitlab.apps) == 1
