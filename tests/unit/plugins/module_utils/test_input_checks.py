# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The URL, host, port, address and team-slug rules the modules and the roles' input checks (filters) share."""

from __future__ import annotations

import pytest

from ansible_collections.koding.gitlab.plugins.filter import input_problems
from ansible_collections.koding.gitlab.plugins.module_utils import _input_checks


@pytest.mark.parametrize('value', ['koding.example.com', '203.0.113.7.nip.io', 'xn--fiq228c.example.com', 'localhost', 'a' * 63 + '.test'])
def test_host_names_taken(value):
    assert _input_checks.host_problem(value) == ''


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
    problem = _input_checks.host_problem(value)
    assert problem.startswith('is not a host name') and words in problem


def test_host_names_in_urls_may_hold_underscores_and_unicode():
    assert _input_checks.host_problem('under_score.example.com', strict=False) == ''
    assert _input_checks.host_problem('漢字.localhost', strict=False) == ''


@pytest.mark.parametrize('value', [1, 8090, '8090', 65535])
def test_ports_taken(value):
    assert _input_checks.port_problem(value) == ''


@pytest.mark.parametrize('value', [0, 65536, 99999, '-1', '80a', '８０', 'http', None, True, 80.5])
def test_ports_refused(value):
    assert _input_checks.port_problem(value).startswith('is not a port number from 1 to 65535')


def test_port_maximum():
    assert _input_checks.port_problem(65535, maximum=65534) != ''


@pytest.mark.parametrize(
    'value, ok', [('0.0.0.0', True), ('::', True), ('203.0.113.7', True), ('999.1.1.1', False), ('not-an-ip', False), ('', False), (None, False)]
)
def test_ip_addresses(value, ok):
    assert (_input_checks.ip_address_problem(value) == '') == ok


def test_url_problem_words_follow_the_name_and_hide_passwords():
    assert _input_checks.url_problem('http://koding.example.com:8090') == ''
    problem = _input_checks.url_problem('http://user:s3cret-pass@gitlab.example.com', allow_userinfo=False)
    assert problem.startswith('must not contain a user name or password') and 's3cret-pass' not in problem
    assert _input_checks.validate_http_url('ftp://x', 'url').startswith('Option url must be an absolute')


@pytest.mark.parametrize('slug', ['gitlab', 'my-team', 'a1'])
def test_team_slugs_taken(slug):
    assert _input_checks.team_slug_problem(slug) == ''


@pytest.mark.parametrize(
    'slug, words',
    [('Bad Team', 'lower-case'), ('gitlab\n', 'lower-case'), ('a--b', 'lower-case'), ('-a', 'lower-case'), ('admin', 'reserves'), (None, 'lower-case')],
)
def test_team_slugs_refused(slug, words):
    assert words in _input_checks.team_slug_problem(slug)


def test_the_filters_are_the_module_rules():
    assert input_problems.FilterModule().filters() == {
        'host_problem': _input_checks.host_problem,
        'ip_address_problem': _input_checks.ip_address_problem,
        'konfig_value_problems': _input_checks.konfig_value_problems,
        'port_problem': _input_checks.port_problem,
        'team_slug_problem': _input_checks.team_slug_problem,
        'url_problem': _input_checks.url_problem,
    }


STRING_NAMES = {'KONFIG_GITLAB_HOST': 'KONFIG_GITLAB_HOST (koding_gitlab_host)', 'KONFIG_JWT_SECRET': 'KONFIG_JWT_SECRET (jwt_secret)'}


def test_konfig_values_koding_reads_unchanged_pass():
    values = {'KONFIG_REDIS_PORT': 6379, 'KONFIG_GITLAB_HOST': 'gitlab.example.com', 'KONFIG_JWT_SECRET': 'a1b2c3', 'KONFIG_PROJECTROOT': '/opt/koding'}
    assert _input_checks.konfig_value_problems(values, STRING_NAMES) == []


def test_konfig_values_the_env_file_cannot_carry_are_named_by_their_variable():
    values = {'KONFIG_PROJECTROOT': "/opt/kod'ing", 'KONFIG_JWT_SECRET': 'two\nlines'}
    assert _input_checks.konfig_value_problems(values, STRING_NAMES) == [
        'These values contain a single quote or a line break, which the env file cannot carry: KONFIG_PROJECTROOT, KONFIG_JWT_SECRET (jwt_secret).'
    ]


@pytest.mark.parametrize('value', ['false', 'null', '007', '1234567890123456', '1.5', '2e5', '[1]', '{"a": 1}', '"quoted"', ' null '])
def test_konfig_strings_node_would_parse_into_something_else_are_refused(value):
    problems = _input_checks.konfig_value_problems({'KONFIG_GITLAB_HOST': value, 'KONFIG_REDIS_HOST': value}, STRING_NAMES)
    assert len(problems) == 1
    assert problems[0].startswith('KONFIG_GITLAB_HOST (koding_gitlab_host): Koding reads KONFIG_* values raw and JSON-parses them in Node')


@pytest.mark.parametrize('value', ['0x1f', '12ab', 'gitlab', '123', '-42', '123456789012345', 'true'])
def test_konfig_strings_node_reads_as_given_pass(value):
    assert _input_checks.konfig_value_problems({'KONFIG_GITLAB_HOST': value}, STRING_NAMES) == []
