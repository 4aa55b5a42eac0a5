# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A sweep of bad values for every option of the GitLab modules.

Each must fail cleanly (fail_json, no exception), with a message naming the option, before any request, and
without any secret in the result.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.koding.gitlab.plugins.modules import gitlab_koding_settings, gitlab_oauth_app, gitlab_system_hook
from ansible_collections.koding.gitlab.tests.unit.plugins.lab_gitlab import ADMIN_TOKEN, LabGitLab, run_module

PASSWORD = 'TOPSECRET-pass-42'
HOOK_TOKEN = 'hook-token-4711-secret'
SECRETS = (ADMIN_TOKEN, PASSWORD, HOOK_TOKEN)

BAD_URLS = [
    '',
    'gitlab.test',
    'ftp://gitlab.test',
    'javascript:alert(1)',
    'http://',
    'http:///path',
    'http://git lab.test',
    ' http://gitlab.test',
    'http://gitlab.test\n',
    'http://gitlab.test\r\n',
    'http://gitlab.test\t',
    'http://gitlab.test/\x00',
    'http://gitlab.test/\x1b[31m',
    'http://gitlab.test\u2028',
    'http://gitlab.test\x85',
    'http://gitlab.test:0',
    'http://gitlab.test:65536',
    'http://gitlab.test:99999999999999999999',
    'http://gitlab.test:-1',
    'http://gitlab.test:port',
    'http://gitlab.test:',
    'http://[::1',
    'http://%s.test' % ('a' * 64),
    'http://%s' % '.'.join(['label'] * 60),
    'http://-bad.test',
    'http://bad-.test',
    'http://a..b',
    'http://exa$mple.com',
    'http://\u2603\u2603..test',
    'http://gitlab.test/' + 'x' * 9000,
    'http://user:%s@gitlab.test:70000' % PASSWORD,
    'http://user:%s@ gitlab.test' % PASSWORD,
]
BAD_TOKENS = [
    ADMIN_TOKEN + '\n',
    ' ' + ADMIN_TOKEN,
    ADMIN_TOKEN + '\r\n',
    ADMIN_TOKEN + ' ',
    'glpat\tabcdefgh',
    'glpat-\x00abcdef',
    'glpat-\x7fabcdef',
    'glpat-\u2028abcdef',
    'glpat-\xa0abcdef',
    'glpat-\u20acabcdef',
    'glpat-\u00e9abcdef',
    '',
]
BAD_CONNECTION = (
    [('api_url', value) for value in BAD_URLS + ['http://root:%s@gitlab.test' % PASSWORD]]
    + [('api_token', value) for value in BAD_TOKENS]
    + [('timeout', value) for value in ('nan', 'inf', '-inf', 'NaN', 0, -1, 1e300, 'abc', '', [1])]
    + [('max_retry_wait', value) for value in ('nan', 'inf', -0.5, 1e12, 'x')]
    + [('max_retries', value) for value in (-1, 101, 10**12, 'x', 1.5, 'nan')]
    + [('ca_path', '/nonexistent/gitlab-ca.pem'), ('validate_certs', 'perhaps')]
)

BASE_ARGS = {
    gitlab_koding_settings: dict(koding_enabled=True, koding_url='http://koding.test:8090'),
    gitlab_oauth_app: dict(name='Koding', redirect_uri='http://koding.test/cb', scopes=['api']),
    gitlab_system_hook: dict(url='http://koding.test/hook', token=HOOK_TOKEN),
}

MODULE_OPTIONS = (
    [(gitlab_koding_settings, 'koding_url', value) for value in BAD_URLS]
    + [(gitlab_koding_settings, 'koding_enabled', value) for value in ('maybe', [True])]
    + [(gitlab_system_hook, 'url', value) for value in BAD_URLS + [None]]
    # The hook token travels in the JSON body: any printable character is fine there, whitespace is not.
    + [(gitlab_system_hook, 'token', value) for value in BAD_TOKENS if value.isascii() or not value.isprintable()]
    + [(gitlab_system_hook, option, 'sometimes') for option in ('push_events', 'enable_ssl_verification')]
    + [(gitlab_system_hook, 'state', 'gone'), (gitlab_system_hook, 'update_token', 'never')]
    + [(gitlab_oauth_app, 'name', value) for value in ('', '   ', 'Kod\x00ing', 'Kod\x1bing', None)]
    + [
        (gitlab_oauth_app, 'redirect_uri', value)
        for value in ('', '\n\r\n', [], 17, {'a': 1}, ['http://koding.test/cb', {'a': 1}], 'http://koding test/cb', 'no-scheme', 'http://koding.test/\x00cb')
    ]
    + [(gitlab_oauth_app, 'scopes', value) for value in ([], [''], ['  '], ['api\x00'])]
    + [(gitlab_oauth_app, 'application_id', value) for value in ('appid\n', ' appid', '', 'app id')]
    + [(gitlab_oauth_app, 'recreate', 'sometimes'), (gitlab_oauth_app, 'confidential', 'secretly')]
)


def assert_clean_failure(module, args, option):
    result, session = run_module(module.main, args, LabGitLab('legacy'), expect_fail=True, connection=False)
    if any('\x00' in value for value in args.values() if isinstance(value, str)) and 'syslog' in result['msg']:
        # ansible-core itself stops at a NUL in a logged option (it cannot log the invocation), before the module.
        assert 'embedded null character' in result['msg']
    else:
        assert option in result['msg'], result['msg']
    assert session.calls == [], 'a request was sent before the options were checked'
    shown = json.dumps(result)
    for secret in SECRETS:
        assert secret not in shown


@pytest.fixture(autouse=True)
def no_environment(monkeypatch):
    for name in ('GITLAB_URL', 'GITLAB_API_TOKEN'):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize('module', list(BASE_ARGS), ids=lambda module: module.__name__.rsplit('.', 1)[-1])
@pytest.mark.parametrize('option, value', BAD_CONNECTION, ids=repr)
def test_bad_connection_options(module, option, value):
    args = dict(BASE_ARGS[module], api_url='http://gitlab.test', api_token=ADMIN_TOKEN)
    args[option] = value
    assert_clean_failure(module, args, option)


@pytest.mark.parametrize('value', BAD_TOKENS, ids=repr)
def test_bad_oauth_tokens(value):
    args = dict(BASE_ARGS[gitlab_system_hook], api_url='http://gitlab.test', api_oauth_token=value)
    assert_clean_failure(gitlab_system_hook, args, 'api_oauth_token')


@pytest.mark.parametrize('value', [token for token in BAD_TOKENS[:-1] if '\x00' not in token], ids=repr)
def test_bad_token_from_the_environment(monkeypatch, value):
    monkeypatch.setenv('GITLAB_API_TOKEN', value)
    args = dict(BASE_ARGS[gitlab_system_hook], api_url='http://gitlab.test')
    assert_clean_failure(gitlab_system_hook, args, 'GITLAB_API_TOKEN')


@pytest.mark.parametrize(
    'module, option, value', MODULE_OPTIONS, ids=lambda item: item.__name__.rsplit('.', 1)[-1] if hasattr(item, '__name__') else repr(item)
)
def test_bad_module_options(module, option, value):
    args = dict(BASE_ARGS[module], api_url='http://gitlab.test', api_token=ADMIN_TOKEN)
    args[option] = value
    assert_clean_failure(module, args, option)


def test_both_tokens_are_mutually_exclusive():
    args = dict(BASE_ARGS[gitlab_system_hook], api_url='http://gitlab.test', api_token=ADMIN_TOKEN, api_oauth_token='oauth-token-123456')
    assert_clean_failure(gitlab_system_hook, args, 'api_oauth_token')


def test_no_token_at_all():
    assert_clean_failure(gitlab_system_hook, dict(BASE_ARGS[gitlab_system_hook], api_url='http://gitlab.test'), 'api_token')


@pytest.mark.parametrize(
    'url',
    [
        'http://root:%s@gitlab.test' % PASSWORD,
        ' https://root:%s@gitlab.test/' % PASSWORD,
    ],
)
def test_password_in_a_url_is_masked_in_what_ansible_prints(url, monkeypatch):
    """Ansible prints the module's invocation at -vvv; only no_log_values keep a password in a URL out of it."""
    from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_module

    seen = {}
    checked = _gitlab_module.GitlabModule.fail_on_problems

    def capture(self, problems):
        seen['no_log_values'] = set(self.no_log_values)
        return checked(self, problems)

    monkeypatch.setattr(_gitlab_module.GitlabModule, 'fail_on_problems', capture)
    result, dummy = run_module(gitlab_system_hook.main, dict(BASE_ARGS[gitlab_system_hook], api_url=url), LabGitLab(), expect_fail=True)
    assert 'api_url' in result['msg']
    assert PASSWORD in seen['no_log_values']
