# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.koding.gitlab.plugins.filter.koding_addresses import koding_addresses


def test_without_a_front_koding_is_reached_over_http_on_its_own_port():
    assert koding_addresses('koding.example.com') == {
        'scheme': 'http',
        'port': 8090,
        'host': 'koding.example.com:8090',
        'koding_url': 'http://koding.example.com:8090',
        'team_url': 'http://gitlab.koding.example.com:8090',
        'oauth_redirect_uri': 'http://gitlab.koding.example.com:8090/-/oauth/gitlab/callback',
        'system_hook_url': 'http://koding.example.com:8090/-/api/gitlab',
    }


@pytest.mark.parametrize('tls', ['files', 'acme'])
def test_behind_a_front_https_on_443_leaves_the_port_out(tls):
    assert koding_addresses('koding.example.com', team_slug='acme', tls=tls) == {
        'scheme': 'https',
        'port': 443,
        'host': 'koding.example.com',
        'koding_url': 'https://koding.example.com',
        'team_url': 'https://acme.koding.example.com',
        'oauth_redirect_uri': 'https://acme.koding.example.com/-/oauth/gitlab/callback',
        'system_hook_url': 'https://koding.example.com/-/api/gitlab',
    }


def test_behind_a_front_on_another_port_keeps_it():
    addresses = koding_addresses('koding.localhost', tls='files', https_port='8443')
    assert (addresses['scheme'], addresses['port']) == ('https', '8443')
    assert addresses['koding_url'] == 'https://koding.localhost:8443'
    assert addresses['team_url'] == 'https://gitlab.koding.localhost:8443'


@pytest.mark.parametrize(
    'scheme, port, suffix',
    [
        ('http', 80, ''),
        ('http', '80', ''),
        ('https', 443, ''),
        ('http', 443, ':443'),
        ('https', 80, ':80'),
        ('https', 8443, ':8443'),
        # As given: the roles' input checks name a port that is no number.
        ('http', 'eighty', ':eighty'),
    ],
)
def test_given_scheme_and_port_win_over_the_front(scheme, port, suffix):
    addresses = koding_addresses('203.0.113.7.nip.io', tls='acme', scheme=scheme, port=port)
    assert (addresses['scheme'], addresses['port']) == (scheme, port)
    assert addresses['koding_url'] == '%s://203.0.113.7.nip.io%s' % (scheme, suffix)
    assert addresses['system_hook_url'] == '%s://203.0.113.7.nip.io%s/-/api/gitlab' % (scheme, suffix)


def test_given_urls_are_taken_as_they_are_and_the_others_follow_them():
    addresses = koding_addresses('koding.example.com', koding_url='https://k.example.net', team_url='https://t.example.net/x')
    assert addresses['koding_url'] == 'https://k.example.net'
    assert addresses['system_hook_url'] == 'https://k.example.net/-/api/gitlab'
    assert addresses['team_url'] == 'https://t.example.net/x'
    assert addresses['oauth_redirect_uri'] == 'https://t.example.net/x/-/oauth/gitlab/callback'

    given = koding_addresses('koding.example.com', oauth_redirect_uri='https://r.example.net/cb', system_hook_url='https://h.example.net/hook')
    assert given['oauth_redirect_uri'] == 'https://r.example.net/cb'
    assert given['system_hook_url'] == 'https://h.example.net/hook'
    assert given['koding_url'] == 'http://koding.example.com:8090'


def the_former_rule(hostname, team_slug, scheme, port):
    """roles/gitlab_wiring/vars/main.yml before the filter, in Python: the values GitLab already holds."""
    suffix = '' if (scheme, int(port)) in [('http', 80), ('https', 443)] else ':' + str(port)
    koding_url = '%s://%s%s' % (scheme, hostname, suffix)
    team_url = '%s://%s.%s%s' % (scheme, team_slug, hostname, suffix)
    return koding_url, team_url, team_url + '/-/oauth/gitlab/callback', koding_url + '/-/api/gitlab'


@pytest.mark.parametrize('scheme', ['http', 'https'])
@pytest.mark.parametrize('port', [80, 443, 8090, '8090', '08090', 65535])
def test_the_urls_are_the_former_ones_character_for_character(scheme, port):
    addresses = koding_addresses('koding.example.com', team_slug='team-1', scheme=scheme, port=port)
    assert (addresses['koding_url'], addresses['team_url'], addresses['oauth_redirect_uri'], addresses['system_hook_url']) == the_former_rule(
        'koding.example.com', 'team-1', scheme, port
    )


@pytest.mark.parametrize(
    'option, value, named',
    [
        ('tls', 'yes', "tls (the koding role's koding_tls) must be one of none, files, acme, not 'yes'"),
        ('scheme', 'ftp', "scheme must be http or https, not 'ftp'"),
    ],
)
def test_an_unknown_mode_is_refused_naming_the_option(option, value, named):
    with pytest.raises(AnsibleFilterError, match=re.escape(named)):
        koding_addresses('koding.example.com', **{option: value})
