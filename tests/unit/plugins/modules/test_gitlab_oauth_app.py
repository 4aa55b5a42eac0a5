# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest

from ansible_collections.koding.gitlab.plugins.modules import gitlab_oauth_app
from ansible_collections.koding.gitlab.tests.unit.plugins.gitlab_fakes import FakeGitLab, FakeSession, run_module

CALLBACK = 'http://koding.test:8090/-/oauth/gitlab/callback'
APP = dict(name='Koding', redirect_uri=CALLBACK, scopes=['api', 'read_user'])


def run(gitlab, args, **kwargs):
    session = FakeSession(gitlab)
    result = run_module(gitlab_oauth_app.main, args, session, **kwargs)
    return result, session


@pytest.mark.parametrize('profile', ['legacy', 'modern'])
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
    assert [(w['method'], w['path']) for w in session.writes()] == [('DELETE', '/applications/%d' % old['id']),
                                                                    ('POST', '/applications')]
    assert result['diff']['before']['callback_url'] == 'http://old.test/callback'
    assert result['diff']['after']['callback_url'] == CALLBACK
    assert len(gitlab.apps) == 1 and gitlab.apps[0]['id'] != old['id']


def test_recreate_on_change_in_check_mode():
    gitlab = FakeGitLab('modern')
    gitlab.add_app('Koding', 'http://old.test/callback')
    result, session = run(gitlab, dict(APP, recreate='on_change'), check_mode=True)
    assert result['changed'] and session.writes() == [] and 'secret' not in result


def test_confidential_is_ignored_when_instance_does_not_report_it():
    gitlab = FakeGitLab('legacy')
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


def test_renew_secret_legacy_fails_naming_versions():
    gitlab = FakeGitLab('legacy')
    gitlab.add_app('Koding', CALLBACK)
    result, dummy = run(gitlab, dict(APP, renew_secret=True), expect_fail=True)
    assert '11.0.6' in result['msg'] and '16.11' in result['msg']
    result, session = run(gitlab, dict(APP, renew_secret=True), check_mode=True, expect_fail=True)
    assert '16.11' in result['msg'] and session.writes() == []


def test_listing_not_supported():
    gitlab = FakeGitLab('legacy')
    gitlab.list_apps_supported = False
    result, session = run(gitlab, APP, expect_fail=True)
    assert 'cannot list OAuth applications' in result['msg'] and '11.0.6' in result['msg']
    assert session.writes() == []


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
