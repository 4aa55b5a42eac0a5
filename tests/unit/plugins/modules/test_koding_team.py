# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os
import re
from unittest import mock
from urllib.parse import unquote, urlsplit

import pytest
import requests

from ansible_collections.koding.gitlab.plugins.module_utils import _koding_api
from ansible_collections.koding.gitlab.plugins.modules import koding_team
from ansible_collections.koding.gitlab.tests.unit.plugins.module_harness import run_main

URL = 'http://koding.test:8090'
PASSWORD = 'unit-admin-password-42'
CREATE = dict(url=URL, email='admin@koding.test', username='kodingadmin', password=PASSWORD, company_name='GitLab')


def response(status, body=None, text=None):
    answer = requests.Response()
    answer.status_code = status
    answer._content = (json.dumps(body) if body is not None else (text or '')).encode()  # pylint: disable=protected-access
    return answer


class FakeKoding:
    """The part of Koding's web server the module talks to, behind a requests-like session."""

    def __init__(self, teams=None, create_status=None):
        self.teams = dict(teams or {})
        self.create_status = create_status
        self.calls = []
        self.cookies = {}
        self.headers = {}
        self.verify = True

    def close(self):
        pass

    def writes(self):
        return [call for call in self.calls if call['method'] != 'GET']

    def request(self, method, url, timeout=None, allow_redirects=True, data=None, verify=None, stream=False):  # pylint: disable=unused-argument
        path = urlsplit(url).path
        self.calls.append(dict(method=method, path=path, data=data))
        if method == 'GET':
            self.cookies.setdefault('_csrf', 'csrf-cookie-value')
            if path.startswith('/-/team/'):
                slug = unquote(path[len('/-/team/') :])
                if slug in self.teams:
                    return response(200, self.teams[slug])
                return response(404, text='no group found')
            return response(200, text='Koding')
        if method == 'POST' and path == '/-/teams/create':
            if not data or data.get('_csrf') != self.cookies.get('_csrf'):
                return response(403, text='_csrf token is not valid')
            if self.create_status:
                return response(self.create_status, {'message': 'Invalid email'})
            if data['slug'] in self.teams:
                return response(403, {'status': 403, 'suggested': data['slug'] + '1', 'message': "Sorry, Team URL '%s' is already in use" % data['slug']})
            self.teams[data['slug']] = {'slug': data['slug'], 'title': data['companyName']}
            return response(200, {'token': 'new-session-token-abc'})
        return response(404, text='Not Found')


def run(koding, args, check_mode=False, diff=False, expect_fail=False):
    return run_main(koding_team.main, args, _koding_api.requests, koding, check_mode=check_mode, diff=diff, expect_fail=expect_fail)


def test_creates_missing_team_with_csrf_double_submit():
    koding = FakeKoding()
    result = run(koding, CREATE, diff=True)
    assert result['changed'] and result['created']
    assert result['team'] == {'slug': 'gitlab', 'title': 'GitLab'}
    post = koding.writes()[0]
    assert post['path'] == '/-/teams/create'
    assert post['data']['_csrf'] == koding.cookies['_csrf']
    assert post['data']['slug'] == 'gitlab'
    assert post['data']['password'] == post['data']['passwordConfirm'] == PASSWORD
    assert post['data']['agree'] == 'on'
    assert result['diff'] == {'before': {'slug': 'gitlab', 'exists': False}, 'after': {'slug': 'gitlab', 'exists': True}}
    serialized = json.dumps(result)
    assert PASSWORD not in serialized and 'new-session-token-abc' not in serialized


def test_existing_team_is_left_alone_without_credentials():
    koding = FakeKoding(teams={'gitlab': {'slug': 'gitlab', 'title': 'GitLab'}})
    result = run(koding, dict(url=URL))
    assert not result['changed'] and not result['created']
    assert koding.writes() == []
    assert [call['path'] for call in koding.calls] == ['/-/team/gitlab']


def test_second_run_changes_nothing():
    koding = FakeKoding()
    run(koding, CREATE)
    result = run(koding, CREATE)
    assert not result['changed']
    assert len(koding.writes()) == 1


def test_check_mode_sends_no_write():
    koding = FakeKoding()
    result = run(koding, CREATE, check_mode=True)
    assert result['changed'] and result['created']
    assert result['team'] == {'slug': 'gitlab'}
    assert koding.writes() == [] and koding.teams == {}


def test_missing_password_fails_only_when_creating():
    koding = FakeKoding()
    result = run(koding, dict(url=URL, username='kodingadmin', email='admin@koding.test'), expect_fail=True)
    assert 'password' in result['msg'] and 'required' in result['msg']
    assert koding.writes() == []


@pytest.mark.parametrize(
    'args, option',
    [
        (dict(CREATE, slug='Bad_Slug'), 'slug'),
        (dict(CREATE, slug='kodingadmin'), 'username must differ from slug'),
        (dict(CREATE, password='short'), 'password'),
        (dict(CREATE, url='koding.test:8090'), 'url'),
        (dict(CREATE, url='http://'), 'url'),
        (dict(CREATE, timeout=0), 'timeout'),
        (dict(CREATE, timeout=-1.5), 'timeout'),
        (dict(CREATE, timeout=float('inf')), 'timeout'),
        (dict(CREATE, timeout=float('nan')), 'timeout'),
        (dict(CREATE, slug='gitlab\n'), 'slug'),
        (dict(CREATE, slug='admin'), 'reserves'),
        (dict(CREATE, slug='team'), 'reserves'),
        (dict(CREATE, slug='dev-p2'), 'reserves'),
    ],
)
def test_bad_options_fail_before_any_request(args, option):
    koding = FakeKoding()
    result = run(koding, args, expect_fail=True)
    assert option in result['msg']
    assert koding.calls == []
    assert PASSWORD not in result['msg']


def test_server_error_carries_koding_message():
    koding = FakeKoding(create_status=400)
    result = run(koding, CREATE, expect_fail=True)
    assert 'HTTP 400' in result['msg'] and 'Invalid email' in result['msg']
    assert PASSWORD not in result['msg']


def test_unreachable_koding_names_the_url():
    koding = FakeKoding()
    koding.request = mock.Mock(side_effect=requests.exceptions.ConnectionError('refused'))
    result = run(koding, CREATE, expect_fail=True)
    assert URL in result['msg'] and 'refused' in result['msg']


def test_unexpected_status_when_reading_the_team():
    koding = FakeKoding()
    koding.request = mock.Mock(return_value=response(502, text='Bad Gateway'))
    result = run(koding, CREATE, expect_fail=True)
    assert 'HTTP 502' in result['msg'] and 'Bad Gateway' in result['msg']


def test_fractional_timeout_reaches_the_client():
    koding = FakeKoding(teams={'gitlab': {'slug': 'gitlab'}})
    with mock.patch.object(_koding_api.KodingClient, '__init__', autospec=True, side_effect=_koding_api.KodingClient.__init__) as client_init:
        run(koding, dict(url=URL, timeout=2.5))
    assert client_init.call_args.kwargs['timeout'] == 2.5


@pytest.mark.parametrize('slug', ['test', 'api', 'www', 'proxy-us-west-2', 'info'])
def test_every_reserved_slug_is_refused_before_any_request(slug):
    koding = FakeKoding()
    result = run(koding, dict(CREATE, slug=slug), expect_fail=True)
    assert 'slug' in result['msg'] and slug in result['msg']
    assert koding.calls == []


def test_reserved_slugs_follow_upstream_list():
    """The module's list is upstream's reservedteamdomains.coffee, where that file is present."""
    project_root = os.environ.get('KG_ROOT') or os.path.join(os.path.dirname(__file__), *(['..'] * 5))
    root = os.environ.get('KODING_UPSTREAM_DIR') or os.path.join(project_root, '..', 'shared', 'upstream', 'koding-1b2b621')
    path = os.path.join(root, 'workers', 'social', 'lib', 'social', 'models', 'user', 'reservedteamdomains.coffee')
    if not os.path.exists(path):
        message = 'upstream Koding files not found at %s (set KODING_UPSTREAM_DIR)' % root
        if os.environ.get('KODING_UPSTREAM_REQUIRED'):
            pytest.fail(message)
        pytest.skip(message)
    with open(path, encoding='utf-8') as source:
        upstream = set(re.findall(r"^\s*'([^']+)'\s*$", source.read(), re.MULTILINE))
    assert upstream and _koding_api.RESERVED_SLUGS == upstream


def test_no_diff_outside_diff_mode():
    koding = FakeKoding()
    result = run(koding, CREATE)
    assert 'diff' not in result
    result = run(koding, CREATE, diff=True)
    assert result['diff'] == {'before': {'slug': 'gitlab', 'exists': True}, 'after': {'slug': 'gitlab', 'exists': True}}


@pytest.mark.parametrize(
    'status, body, text, expected',
    [
        (400, {'message': 'Sorry, your group domain and your username can not be the same!'}, None, 'refused the team options'),
        (400, None, 'Invalid group slug.', 'invalid or reserved'),
        (403, {'status': 403, 'suggested': 'gitlab1', 'message': "Sorry, Team URL 'gitlab.koding.test' is already in use"}, None, 'suggests the slug gitlab1'),
        (403, None, '_csrf token is not valid', 'CSRF check failed'),
        (500, None, "Couldn't create the group.", 'backend logs'),
    ],
)
def test_create_errors_name_koding_status_and_what_to_do(status, body, text, expected):
    koding = FakeKoding()
    koding_request = koding.request

    def request(method, url, **kwargs):
        if method == 'POST':
            koding.calls.append(dict(method=method, path=urlsplit(url).path, data=kwargs.get('data')))
            return response(status, body, text)
        return koding_request(method, url, **kwargs)

    koding.request = request
    result = run(koding, CREATE, expect_fail=True)
    assert 'HTTP %d' % status in result['msg'] and expected in result['msg']
    assert PASSWORD not in result['msg']
