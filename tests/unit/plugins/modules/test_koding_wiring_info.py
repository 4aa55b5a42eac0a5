# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""koding_wiring_info against the Koding lab stand-in in process (its answers follow upstream's nginx and
servers/lib/server/handlers/api/gitlab/); names resolve as each test says."""

from __future__ import annotations

import json
from unittest import mock

import pytest
import requests

from ansible_collections.koding.gitlab.plugins.module_utils import _koding_api
from ansible_collections.koding.gitlab.plugins.modules import koding_wiring_info
from ansible_collections.koding.gitlab.tests.unit.plugins.koding_standin import closed_port, koding_standin
from ansible_collections.koding.gitlab.tests.unit.plugins.module_harness import run_main

TOKEN = 'unit-hook-token-7f3a'


@pytest.fixture(name='koding')
def koding_fixture():
    with koding_standin(gitlabToken=TOKEN) as standin:
        standin.add_team('gitlab', 'GitLab')
        yield standin


def port(koding):
    return koding.server.server_address[1]


def run(args, expect_fail=False, addresses=None):
    """The module's result; only the names in addresses resolve (.localhost names are loopback by themselves)."""
    real_getaddrinfo = _koding_api.socket.getaddrinfo

    def getaddrinfo(name, *args, **kwargs):
        if name in ('127.0.0.1', 'localhost'):
            return real_getaddrinfo(name, *args, **kwargs)
        found = (addresses or {}).get(name)
        if not found:
            raise _koding_api.socket.gaierror(-2, 'Name or service not known')
        return [(2, 1, 6, '', (address, 0)) for address in found]

    with mock.patch.object(_koding_api.socket, 'getaddrinfo', getaddrinfo):
        return run_main(koding_wiring_info.main, args, _koding_api.requests, requests.Session(), expect_fail=expect_fail)


def by_name(result):
    return {check['name']: check for check in result['checks']}


def test_all_links_pass_on_localhost_names_without_dns(koding):
    result = run(dict(url='http://koding.localhost:%d' % port(koding), system_hook_token=TOKEN))
    checks = by_name(result)
    assert result['changed'] is False
    assert [check['name'] for check in result['checks']] == ['dns', 'healthcheck', 'version', 'team', 'system_hook_token']
    assert all(check['passed'] for check in result['checks']), result
    # .localhost names are loopback: the requests go to 127.0.0.1 (the stand-in) with the public name as Host.
    assert {request['headers']['Host'] for request in koding.seen} == {'koding.localhost:%d' % port(koding)}
    assert checks['system_hook_token']['fix'] == ''
    assert koding.writes()[0]['path'] == '/-/api/gitlab' and koding.store.emails() == ['gitlab@koding.test']


def test_wrong_token_is_named_and_never_shown(koding):
    result = run(dict(url='http://koding.localhost:%d' % port(koding), system_hook_token='another-token'))
    check = by_name(result)['system_hook_token']
    assert not check['passed']
    assert 'refused' in check['message'] and check['fix']
    assert 'another-token' not in json.dumps(result)


def test_hooks_off_missing_team_and_wildcard_dns():
    with koding_standin(gitlabToken=TOKEN) as koding:
        koding.server.konfig['gitlab']['hooksEnabled'] = False  # handlers/api/gitlab/index.coffee:20
        result = run(
            dict(url='http://koding.example.com:%d' % port(koding), connect_address='127.0.0.1', system_hook_token=TOKEN),
            addresses={'koding.example.com': ['192.0.2.10']},
        )
    checks = by_name(result)
    assert not checks['dns']['passed'] and 'gitlab.koding.example.com' in checks['dns']['message']
    assert 'wildcard' in checks['dns']['fix']
    assert checks['healthcheck']['passed'] and checks['version']['passed']
    assert not checks['team']['passed'] and 'does not exist' in checks['team']['message']
    assert not checks['system_hook_token']['passed'] and '404' in checks['system_hook_token']['message']


def test_wildcard_pointing_elsewhere_fails(koding):
    result = run(
        dict(url='http://koding.example.com:%d' % port(koding), connect_address='127.0.0.1'),
        addresses={'koding.example.com': ['192.0.2.10'], 'gitlab.koding.example.com': ['192.0.2.99']},
    )
    assert not by_name(result)['dns']['passed'] and by_name(result)['team']['passed']
    assert 'system_hook_token' not in by_name(result)


def test_unreachable_koding_is_a_failed_check_not_a_traceback():
    with closed_port() as closed, mock.patch('time.sleep') as slept:
        result = run(
            dict(url='http://koding.example.com:%d' % closed, connect_address='127.0.0.1'),
            addresses={'koding.example.com': ['127.0.0.1'], 'gitlab.koding.example.com': ['127.0.0.1']},
        )
    checks = by_name(result)
    assert checks['dns']['passed']
    assert not checks['healthcheck']['passed'] and 'ConnectionError' in checks['healthcheck']['message']
    assert not checks['team']['passed']
    # The first check's request is retried (max_retries 3); once it got no answer, the others are not.
    assert [call.args[0] for call in slept.call_args_list] == [1.0, 2.0, 4.0]


@pytest.mark.parametrize(
    'args, option',
    [
        (dict(url='koding.example.com'), 'url'),
        (dict(url='http://koding.example.com', connect_address='not-an-ip'), 'connect_address'),
        (dict(url='http://koding.example.com', timeout=float('nan')), 'timeout'),
        (dict(url='http://koding.example.com', timeout=0), 'timeout'),
        (dict(url='http://koding.example.com', team='GitLab'), 'team'),
        (dict(url='http://koding.example.com', team='gitlab\n'), 'team'),
        (dict(url='http://koding.example.com', team='admin'), 'team'),
        (dict(url='http://koding .example.com'), 'url'),
        (dict(url='http://koding.example.com', system_hook_token=TOKEN + '\n'), 'system_hook_token'),
    ],
)
def test_bad_options_fail_before_any_request(koding, args, option):
    result = run(dict(args, connect_address=args.get('connect_address', '127.0.0.1')), expect_fail=True)
    assert option in result['msg']
    assert TOKEN not in result['msg']
    assert koding.seen == []
