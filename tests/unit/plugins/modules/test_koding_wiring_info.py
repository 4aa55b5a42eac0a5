# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
from unittest import mock
from urllib.parse import urlsplit

import pytest
import requests

from ansible_collections.koding.gitlab.plugins.module_utils import _koding_api
from ansible_collections.koding.gitlab.plugins.modules import koding_wiring_info
from ansible_collections.koding.gitlab.tests.unit.plugins.module_harness import run_main

TOKEN = 'unit-hook-token-7f3a'


def response(status, text=''):
    answer = requests.Response()
    answer.status_code = status
    answer._content = text.encode()  # pylint: disable=protected-access
    return answer


class FakeKoding:
    """Koding's answers, as its nginx and handlers give them (servers/lib/server/handlers/api/gitlab/)."""

    def __init__(self, token=TOKEN, teams=('gitlab',), hooks_enabled=True, down=False):
        self.token = token
        self.teams = teams
        self.hooks_enabled = hooks_enabled
        self.down = down
        self.calls = []
        self.headers = {}
        self.verify = True

    def close(self):
        pass

    def request(self, method, url, timeout=None, allow_redirects=True, data=None, headers=None, verify=None, stream=False):  # pylint: disable=unused-argument
        parts = urlsplit(url)
        self.calls.append(dict(method=method, url=url, host=self.headers.get('Host'), headers=headers or {}))
        if self.down:
            raise requests.exceptions.ConnectionError('refused %s' % url)
        if method == 'GET' and parts.path in ('/healthcheck', '/-/version'):
            return response(200, '' if parts.path == '/healthcheck' else '"1b2b621"')
        if method == 'GET' and parts.path.startswith('/-/team/'):
            slug = parts.path.rsplit('/', 1)[1]
            return response(200, json.dumps({'slug': slug})) if slug in self.teams else response(404, 'no group found')
        if method == 'POST' and parts.path == '/-/api/gitlab':
            if not self.hooks_enabled:
                return response(404, 'Cannot POST /-/api/gitlab')
            if (headers or {}).get('X-Gitlab-Token') != self.token:
                return response(403, json.dumps({'error': 'not valid'}))
            event = json.loads(data)['event_name']
            scope, method_name = event.split('_', 1)
            return response(403, json.dumps({'error': {'message': '%s %s handler is not implemented' % (scope, method_name)}}))
        return response(404)


def run(args, koding, expect_fail=False, addresses=None):
    def getaddrinfo(name, port):  # pylint: disable=unused-argument
        found = (addresses or {}).get(name)
        if not found:
            raise _koding_api.socket.gaierror(-2, 'Name or service not known')
        return [(2, 1, 6, '', (address, 0)) for address in found]

    with mock.patch.object(_koding_api.socket, 'getaddrinfo', getaddrinfo):
        return run_main(koding_wiring_info.main, args, _koding_api.requests, koding, expect_fail=expect_fail)


def by_name(result):
    return {check['name']: check for check in result['checks']}


def test_all_links_pass_on_localhost_names_without_dns():
    koding = FakeKoding()
    result = run(dict(url='http://koding.localhost:8090', system_hook_token=TOKEN), koding)
    checks = by_name(result)
    assert result['changed'] is False
    assert [check['name'] for check in result['checks']] == ['dns', 'healthcheck', 'version', 'team', 'system_hook_token']
    assert all(check['passed'] for check in result['checks']), result
    # .localhost names are loopback: the requests go to 127.0.0.1 with the public name as Host.
    assert {urlsplit(call['url']).hostname for call in koding.calls} == {'127.0.0.1'}
    assert {call['host'] for call in koding.calls} == {'koding.localhost:8090'}
    assert checks['system_hook_token']['fix'] == ''


def test_wrong_token_is_named_and_never_shown():
    result = run(dict(url='http://koding.localhost:8090', system_hook_token='another-token'), FakeKoding())
    check = by_name(result)['system_hook_token']
    assert not check['passed']
    assert 'refused' in check['message'] and check['fix']
    assert 'another-token' not in json.dumps(result)


def test_hooks_off_missing_team_and_wildcard_dns():
    koding = FakeKoding(teams=(), hooks_enabled=False)
    result = run(dict(url='http://koding.example.com:8090', system_hook_token=TOKEN), koding, addresses={'koding.example.com': ['192.0.2.10']})
    checks = by_name(result)
    assert not checks['dns']['passed'] and 'gitlab.koding.example.com' in checks['dns']['message']
    assert 'wildcard' in checks['dns']['fix']
    assert not checks['team']['passed'] and 'does not exist' in checks['team']['message']
    assert not checks['system_hook_token']['passed'] and '404' in checks['system_hook_token']['message']


def test_wildcard_pointing_elsewhere_fails():
    result = run(
        dict(url='http://koding.example.com:8090'), FakeKoding(), addresses={'koding.example.com': ['192.0.2.10'], 'gitlab.koding.example.com': ['192.0.2.99']}
    )
    assert not by_name(result)['dns']['passed']
    assert 'system_hook_token' not in by_name(result)


def test_unreachable_koding_is_a_failed_check_not_a_traceback():
    result = run(
        dict(url='http://koding.example.com:8090', connect_address='127.0.0.1'),
        FakeKoding(down=True),
        addresses={'koding.example.com': ['127.0.0.1'], 'gitlab.koding.example.com': ['127.0.0.1']},
    )
    checks = by_name(result)
    assert checks['dns']['passed']
    assert not checks['healthcheck']['passed'] and 'ConnectionError' in checks['healthcheck']['message']


@pytest.mark.parametrize(
    'args, option',
    [
        (dict(url='koding.example.com'), 'url'),
        (dict(url='http://koding.example.com', connect_address='not-an-ip'), 'connect_address'),
        (dict(url='http://koding.example.com', timeout=float('nan')), 'timeout'),
        (dict(url='http://koding.example.com', timeout=0), 'timeout'),
        (dict(url='http://koding.example.com', team='GitLab'), 'team'),
        (dict(url='http://koding.example.com', team='gitlab\n'), 'team'),
        (dict(url='http://koding .example.com'), 'url'),
        (dict(url='http://koding.example.com', system_hook_token=TOKEN + '\n'), 'system_hook_token'),
    ],
)
def test_bad_options_fail_before_any_request(args, option):
    koding = FakeKoding()
    result = run(args, koding, expect_fail=True)
    assert option in result['msg']
    assert TOKEN not in result['msg']
    assert koding.calls == []
