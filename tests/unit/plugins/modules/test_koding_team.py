# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""koding_team against the Koding lab stand-in in process (its answers follow upstream's createteam.coffee), and
against a local server for answers the stand-in never gives to a request the module sends."""

from __future__ import annotations

import json
import os
import re
from http.cookies import SimpleCookie
from unittest import mock

import pytest
import requests

from ansible_collections.koding.gitlab.plugins.module_utils import _input_checks, _koding_api
from ansible_collections.koding.gitlab.plugins.modules import koding_team
from ansible_collections.koding.gitlab.tests.unit.plugins.koding_standin import closed_port, koding_standin
from ansible_collections.koding.gitlab.tests.unit.plugins.local_server import Answer, local_server
from ansible_collections.koding.gitlab.tests.unit.plugins.module_harness import run_main

PASSWORD = 'unit-admin-password-42'
CREATE = dict(email='admin@koding.test', username='kodingadmin', password=PASSWORD, company_name='GitLab')


def run(url, args, check_mode=False, diff=False, expect_fail=False):
    return run_main(koding_team.main, dict(args, url=url), _koding_api.requests, requests.Session(), check_mode=check_mode, diff=diff, expect_fail=expect_fail)


@pytest.fixture(name='koding')
def koding_fixture():
    with koding_standin() as standin:
        yield standin


def test_creates_missing_team_with_csrf_double_submit(koding):
    result = run(koding.url, CREATE, diff=True)
    assert result['changed'] and result['created']
    assert (result['team']['slug'], result['team']['title']) == ('gitlab', 'GitLab')
    post = koding.writes()[0]
    assert post['path'] == '/-/teams/create'
    cookies = SimpleCookie(post['headers']['Cookie'])
    assert post['form']['_csrf'] == cookies['_csrf'].value
    assert post['form']['slug'] == 'gitlab'
    assert post['form']['password'] == post['form']['passwordConfirm'] == PASSWORD
    assert post['form']['agree'] == 'on'
    assert result['diff'] == {'before': {'slug': 'gitlab', 'exists': False}, 'after': {'slug': 'gitlab', 'exists': True}}
    assert koding.store.is_member('gitlab', 'kodingadmin')
    assert PASSWORD not in json.dumps(result) and 'token' not in json.dumps(result)


def test_creates_team_over_http_when_koding_marks_its_cookies_secure(koding):
    # Behind the TLS front Koding sets its cookies Secure (sessionCookie.secure); the role still talks to Koding's
    # own port over http on the Docker host, where a cookie jar would not send them back.
    koding.server.konfig['sessionCookie']['secure'] = True
    result = run(koding.url, CREATE)
    assert result['changed'] and result['created']
    post = koding.writes()[0]
    assert post['form']['_csrf'] == SimpleCookie(post['headers']['Cookie'])['_csrf'].value
    assert koding.store.is_member('gitlab', 'kodingadmin')


def test_existing_team_is_left_alone_without_credentials(koding):
    koding.add_team('gitlab', 'GitLab')
    result = run(koding.url, {})
    assert not result['changed'] and not result['created']
    assert koding.writes() == []
    assert [request['path'] for request in koding.seen] == ['/-/team/gitlab']


def test_second_run_changes_nothing(koding):
    run(koding.url, CREATE)
    result = run(koding.url, CREATE)
    assert not result['changed']
    assert len(koding.writes()) == 1


def test_check_mode_sends_no_write(koding):
    result = run(koding.url, CREATE, check_mode=True)
    assert result['changed'] and result['created']
    assert result['team'] == {'slug': 'gitlab'}
    assert koding.writes() == [] and koding.store.get_team('gitlab') is None


def test_missing_password_fails_only_when_creating(koding):
    result = run(koding.url, dict(username='kodingadmin', email='admin@koding.test'), expect_fail=True)
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
        (dict(CREATE, max_retries=-1), 'max_retries'),
        (dict(CREATE, max_retry_wait=float('nan')), 'max_retry_wait'),
        (dict(CREATE, slug='gitlab\n'), 'slug'),
        (dict(CREATE, slug='admin'), 'reserves'),
        (dict(CREATE, slug='team'), 'reserves'),
        (dict(CREATE, slug='dev-p2'), 'reserves'),
    ],
)
def test_bad_options_fail_before_any_request(koding, args, option):
    url = args.pop('url', koding.url)
    result = run(url, args, expect_fail=True)
    assert option in result['msg']
    assert koding.seen == []
    assert PASSWORD not in result['msg']


def test_server_error_carries_koding_message(koding):
    # JUser.convert refuses the address (the schema's JName.validateEmail); no user and no team are made.
    result = run(koding.url, dict(CREATE, email='not-an-email'), expect_fail=True)
    assert 'HTTP 400' in result['msg'] and 'Invalid email' in result['msg']
    assert PASSWORD not in result['msg']
    assert koding.store.get_team('gitlab') is None


def test_unreachable_koding_names_the_url():
    with closed_port() as closed:
        url = 'http://127.0.0.1:%d' % closed
        result = run(url, dict(CREATE, max_retries=0), expect_fail=True)
    assert url in result['msg'] and 'refused' in result['msg'].lower()


def test_unexpected_status_when_reading_the_team():
    with local_server({'/-/team/gitlab': Answer(502, 'Bad Gateway')}) as server:
        result = run(server.url, dict(CREATE, max_retries=0), expect_fail=True)
    assert 'HTTP 502' in result['msg'] and 'Bad Gateway' in result['msg']


def test_a_gateway_error_is_retried():
    """Koding's nginx answers 502 while the backend starts: the read is tried again."""
    with local_server({'/-/team/gitlab': Answer(502, 'Bad Gateway')}) as server:
        with mock.patch.object(_koding_api.requests.Session, 'request', autospec=True, side_effect=requests.Session.request) as sent:
            with mock.patch('time.sleep') as slept:
                run(server.url, dict(CREATE, max_retries=2), expect_fail=True)
    assert sent.call_count == 3 and [call.args[0] for call in slept.call_args_list] == [1.0, 2.0]


def test_fractional_timeout_reaches_the_client(koding):
    koding.add_team('gitlab')
    with mock.patch.object(_koding_api.KodingClient, '__init__', autospec=True, side_effect=_koding_api.KodingClient.__init__) as client_init:
        run(koding.url, dict(timeout=2.5))
    assert client_init.call_args.kwargs['timeout'] == 2.5


@pytest.mark.parametrize('slug', ['test', 'api', 'www', 'proxy-us-west-2', 'info'])
def test_every_reserved_slug_is_refused_before_any_request(koding, slug):
    result = run(koding.url, dict(CREATE, slug=slug), expect_fail=True)
    assert 'slug' in result['msg'] and slug in result['msg']
    assert koding.seen == []


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
    assert upstream and _input_checks.RESERVED_SLUGS == upstream


def test_no_diff_outside_diff_mode(koding):
    result = run(koding.url, CREATE)
    assert 'diff' not in result
    result = run(koding.url, CREATE, diff=True)
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
    """Koding's answers to POST /-/teams/create (createteam.coffee) that the module's own checks keep the stand-in
    from giving, as a server gives them."""
    answers = {
        '/-/team/gitlab': Answer(404, 'no group found', {'Set-Cookie': '_csrf=csrf-cookie-value; Path=/'}),
        '/-/teams/create': Answer(status, json.dumps(body) if body is not None else text),
    }
    with local_server(answers) as server:
        result = run(server.url, CREATE, expect_fail=True)
        posted = [request for request in server.seen if request['method'] == 'POST']
    assert 'HTTP %d' % status in result['msg'] and expected in result['msg']
    assert PASSWORD not in result['msg']
    assert len(posted) == 1
