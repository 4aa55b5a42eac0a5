# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

import pytest

from ansible_collections.koding.gitlab.plugins.module_utils import _http, _input_checks, _redaction


@pytest.mark.parametrize(
    'url',
    [
        'https://gitlab.example.com',
        'http://127.0.0.1:8080/',
        'http://[::1]:8080/',
        'https://gitlab.example.com:65535/sub/path',
        'http://gitlab_internal:80',
        'https://bücher.example',
        'http://user:pass@koding.test:8090/hook',
    ],
)
def test_good_urls(url):
    assert _input_checks.validate_http_url(url, 'api_url') is None


@pytest.mark.parametrize(
    'url, words',
    [
        ('ftp://gitlab.example.com', ['http://']),
        ('gitlab.example.com', ['http://']),
        ('https://', ['host']),
        ('', ['nothing']),
        ('https://gitlab.example.com\n', ['newline at the end']),
        (' https://gitlab.example.com', ['space at the start']),
        ('https://git lab.example.com', ['space at position']),
        ('https://gitlab.example.com/\x00', ['U+0000']),
        ('https://gitlab.example.com\u2028', ['U+2028']),
        ('https://gitlab.example.com:65536', ['port', '65535']),
        ('https://gitlab.example.com:0', ['port', '65535']),
        ('https://gitlab.example.com:99999999999', ['port']),
        ('https://gitlab.example.com:abc', ['port']),
        ('https://gitlab.example.com:', ['empty port']),
        ('https://%s.example.com' % ('a' * 64), ['host name']),
        ('https://%s' % '.'.join(['abc'] * 90), ['host name', '253']),
        ('https://-gitlab.example.com', ['host name']),
        ('https://gitlab..example.com', ['host name']),
        ('https://exa$mple.com', ['host name']),
        ('http://[::1', ['not a valid URL']),
        ('https://x.test/' + 'a' * 9000, ['too long']),
    ],
)
def test_bad_urls_name_the_option_and_never_raise(url, words):
    error = _input_checks.validate_http_url(url, 'api_url')
    assert error and 'api_url' in error
    for word in words:
        assert word in error


@pytest.mark.parametrize('value', [None, 17, ['https://x.test']])
def test_non_strings_are_refused(value):
    assert 'koding_url' in _input_checks.validate_http_url(value, 'koding_url')


def test_userinfo_refused_where_asked_and_never_echoed():
    error = _input_checks.validate_http_url('https://root:s3cret@gitlab.test', 'api_url', allow_userinfo=False)
    assert 'api_url' in error and 'user name or password' in error and 's3cret' not in error
    error = _input_checks.validate_http_url('https://root:s3cret@gitlab.test:70000', 'url')
    assert 's3cret' not in error


@pytest.mark.parametrize(
    'text, expected',
    [
        ('see http://u:p@x.test/a and https://v@y.test', 'see http://********@x.test/a and https://********@y.test'),
        ("'http://u:p@ss@x.test/a'", "'http://********@x.test/a'"),
        ('no url here: a@b', 'no url here: a@b'),
    ],
)
def test_redact_hides_url_userinfo(text, expected):
    assert _redaction.redact(text) == expected


@pytest.mark.parametrize(
    'token, words',
    [
        ('abc\n', ['newline at the end']),
        ('\tabc', ['tab at the start']),
        ('ab c', ['space at position 3']),
        ('abc\x7f', ['U+007F']),
        ('', ['empty']),
    ],
)
def test_tokens(token, words):
    error = _input_checks.validate_token(token, 'token')
    assert error.startswith('Option token ')
    for word in words:
        assert word in error
    assert _input_checks.validate_token('glpat-abc_DEF.123', 'token') is None


@pytest.mark.parametrize(
    'value, low, high, exclusive, bad',
    [
        (float('nan'), 0, 10, True, True),
        (float('inf'), 0, 10, True, True),
        (float('-inf'), 0, 10, False, True),
        (0.0, 0, 10, True, True),
        (0.0, 0, 10, False, False),
        (-1, 0, 10, False, True),
        (11, 0, 10, False, True),
        (5.5, 0, 10, True, False),
    ],
)
def test_numbers(value, low, high, exclusive, bad):
    error = _input_checks.validate_number(value, 'timeout', low, high, exclusive_minimum=exclusive)
    assert bool(error) == bad
    if bad:
        assert 'timeout' in error


def test_user_agent_carries_the_collections_version():
    galaxy = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'galaxy.yml')
    with open(galaxy) as handle:
        version = [line.split(':', 1)[1].strip() for line in handle if line.startswith('version:')][0]
    assert _http.COLLECTION_VERSION == version
    assert _http.USER_AGENT == 'koding.gitlab/%s' % version


# -- hostile input: the shared transport and redaction -------------------------------------------------------------


def test_secret_variants_cover_every_encoding_the_modules_produce():
    variants = _redaction.secret_variants('p@ss word+"x"\n')
    for form in ('p%40ss+word%2B%22x%22%0A', 'p%40ss%20word%2B%22x%22%0A', 'p@ss word+\\"x\\"\\n', 'p@ss word+"x"\\n', 'p@ss word+"x"'):
        assert form in variants, form
    assert _redaction.redact('said: password=p%40ss+word%2B%22x%22%0A&x=1', variants) == 'said: password=********&x=1'


def test_url_secrets_include_the_basic_authorization_requests_sends():
    assert _redaction.url_secrets('http://user:p%40ss@koding.test') == ['user:p%40ss', 'p%40ss', 'user:p@ss', 'p@ss', 'dXNlcjpwQHNz']
    assert _redaction.url_secrets('http://koding.test/a@b') == []
    assert _redaction.url_secrets(None) == []


def test_parse_json_refuses_deep_nesting_as_invalid_json():
    with pytest.raises(ValueError):
        _http.parse_json('[' * 200000 + ']' * 200000)
    assert _http.parse_json('{"a": [1]}') == {'a': [1]}


@pytest.mark.parametrize(
    'url, expected',
    [
        ('http://\u6f22\u5b57.localhost', 'http://xn--p8s937b.localhost'),
        ('http://u:p\u00e9@b\u00fccher.example:8090/p?q', 'http://u:p\u00e9@xn--bcher-kva.example:8090/p?q'),
        ('http://127.0.0.1:8090', 'http://127.0.0.1:8090'),
    ],
)
def test_ascii_url(url, expected):
    assert _http.ascii_url(url) == expected


def test_ascii_url_names_the_option_when_the_host_cannot_be_encoded():
    with pytest.raises(ValueError, match='Option koding_url'):
        _http.ascii_url('http://' + '\u6f22' * 80 + '.test', 'koding_url')


class RecordingSession:
    def __init__(self):
        self.kwargs = None

    def request(self, method, url, **kwargs):
        self.kwargs = kwargs
        raise _http.requests.exceptions.ConnectionError('refused')


@pytest.mark.parametrize('verify', [False, True, '/etc/ssl/ca.pem'])
def test_send_passes_verify_on_every_request(verify):
    """Only a verify= argument wins over REQUESTS_CA_BUNDLE, which requests merges into every request."""
    session = RecordingSession()
    with pytest.raises(_http.requests.exceptions.ConnectionError):
        _http.send(session, 'GET', 'https://koding.test/', 5, verify=verify)
    assert session.kwargs['verify'] == verify
    assert session.kwargs['allow_redirects'] is False and session.kwargs['stream'] is True


def test_validate_certs_false_wins_over_requests_ca_bundle_in_requests_itself(monkeypatch, tmp_path):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', str(tmp_path / 'missing.pem'))
    session = _http.requests.Session()
    session.verify = False
    merged = session.merge_environment_settings('https://koding.test/', {}, None, None, None)
    assert merged['verify'] is not False  # what the session alone would have done: the bundle wins
    merged = session.merge_environment_settings('https://koding.test/', {}, None, False, None)
    assert merged['verify'] is False
