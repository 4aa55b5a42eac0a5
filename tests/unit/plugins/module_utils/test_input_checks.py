# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The URL, host, port, address and team-slug rules the modules and the roles' input checks (filters) share."""

from __future__ import annotations

import pytest

from ansible_collections.koding.gitlab.plugins.filter import input_problems
from ansible_collections.koding.gitlab.plugins.module_utils import _http, _koding_api


@pytest.mark.parametrize('value', ['koding.example.com', '203.0.113.7.nip.io', 'xn--fiq228c.example.com', 'localhost', 'a' * 63 + '.test'])
def test_host_names_taken(value):
    assert _http.host_problem(value) == ''


@pytest.mark.parametrize(
    'value, words',
    [
        ('koding example.com', 'a space'),
        ('koding.example.com\n', 'a newline'),
        ('漢字.example.com', 'ASCII'),
        ('under_score.example.com', 'letters, digits and "-"'),
        ('-dash.example.com', 'must not start or end'),
        ('a..b', 'IDNA'),
        ('a' * 64 + '.test', 'over 63 characters'),
        ('', 'empty'),
        (None, 'empty'),
        (42, 'int'),
    ],
)
def test_host_names_refused(value, words):
    problem = _http.host_problem(value)
    assert problem.startswith('is not a host name') and words in problem


def test_host_names_in_urls_may_hold_underscores_and_unicode():
    assert _http.host_problem('under_score.example.com', strict=False) == ''
    assert _http.host_problem('漢字.localhost', strict=False) == ''


@pytest.mark.parametrize('value', [1, 8090, '8090', 65535])
def test_ports_taken(value):
    assert _http.port_problem(value) == ''


@pytest.mark.parametrize('value', [0, 65536, 99999, '-1', '80a', '８０', 'http', None, True, 80.5])
def test_ports_refused(value):
    assert _http.port_problem(value).startswith('is not a port number from 1 to 65535')


def test_port_maximum():
    assert _http.port_problem(65535, maximum=65534) != ''


@pytest.mark.parametrize(
    'value, ok', [('0.0.0.0', True), ('::', True), ('203.0.113.7', True), ('999.1.1.1', False), ('not-an-ip', False), ('', False), (None, False)]
)
def test_ip_addresses(value, ok):
    assert (_http.ip_address_problem(value) == '') == ok


def test_url_problem_words_follow_the_name_and_hide_passwords():
    assert _http.url_problem('http://koding.example.com:8090') == ''
    problem = _http.url_problem('http://user:s3cret-pass@gitlab.example.com', allow_userinfo=False)
    assert problem.startswith('must not contain a user name or password') and 's3cret-pass' not in problem
    assert _http.validate_http_url('ftp://x', 'url').startswith('Option url must be an absolute')


@pytest.mark.parametrize('slug', ['gitlab', 'my-team', 'a1'])
def test_team_slugs_taken(slug):
    assert _koding_api.team_slug_problem(slug) == ''


@pytest.mark.parametrize(
    'slug, words',
    [('Bad Team', 'lower-case'), ('gitlab\n', 'lower-case'), ('a--b', 'lower-case'), ('-a', 'lower-case'), ('admin', 'reserves'), (None, 'lower-case')],
)
def test_team_slugs_refused(slug, words):
    assert words in _koding_api.team_slug_problem(slug)


def test_the_filters_are_the_module_rules():
    assert input_problems.FilterModule().filters() == {
        'host_problem': _http.host_problem,
        'ip_address_problem': _http.ip_address_problem,
        'port_problem': _http.port_problem,
        'team_slug_problem': _koding_api.team_slug_problem,
        'url_problem': _http.url_problem,
    }
