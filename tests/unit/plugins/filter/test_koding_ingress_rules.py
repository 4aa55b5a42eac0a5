# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from unittest import mock

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.koding.gitlab.plugins.filter.koding_ingress_rules import koding_ingress_rules
from ansible_collections.koding.gitlab.plugins.filter.renamed_variable import renamed_variable

ADMINS = ['198.51.100.7/32', '2001:db8:7::/64']


def opened(rules):
    """{(port, cidr)} of the rules, whatever their grouping."""
    return {(port, cidr) for rule in rules for port in rule['ports'] for cidr in rule.get('cidr_ip', []) + rule.get('cidr_ipv6', [])}


def test_without_a_front_koding_port_is_open_to_the_world():
    rules = koding_ingress_rules('none', public_port=8090, admin_cidrs=ADMINS, klient_cidrs=['203.0.113.0/24'])
    assert opened(rules) == {
        (8090, '0.0.0.0/0'),
        (8090, '::/0'),
        (22, '198.51.100.7/32'),
        (22, '2001:db8:7::/64'),
        (56789, '203.0.113.0/24'),
    }
    # amazon.aws takes IPv4 and IPv6 ranges in separate rules.
    assert all(not ('cidr_ip' in rule and 'cidr_ipv6' in rule) for rule in rules)


@pytest.mark.parametrize('tls', ['files', 'acme'])
def test_with_a_front_https_and_http_are_open_and_koding_port_closed(tls):
    rules = koding_ingress_rules(tls, admin_cidrs=ADMINS)
    assert opened(rules) == {
        (443, '0.0.0.0/0'),
        (443, '::/0'),
        (80, '0.0.0.0/0'),
        (80, '::/0'),
        (22, '198.51.100.7/32'),
        (22, '2001:db8:7::/64'),
    }


def test_with_a_front_koding_port_opens_only_where_asked():
    rules = koding_ingress_rules('acme', public_port='18090', https_port=8443, http_port=8080, backend_cidrs=['192.0.2.10/32'])
    assert opened(rules) == {(8443, '0.0.0.0/0'), (8443, '::/0'), (8080, '0.0.0.0/0'), (8080, '::/0'), (18090, '192.0.2.10/32')}


@pytest.mark.parametrize(
    'args, option',
    [
        (dict(tls='none', public_port=9001), 'public_port'),
        (dict(tls='acme', https_port=9001), 'https_port'),
        (dict(tls='files', http_port='9001'), 'http_port'),
        (dict(tls='none', public_port=22), 'public_port'),
        (dict(tls='acme', http_port=56789), 'http_port'),
        (dict(tls='acme', public_port=0), 'public_port'),
        (dict(tls='acme', https_port='443x'), 'https_port'),
        (dict(tls='acme', https_port=True), 'https_port'),
    ],
)
def test_9001_and_the_ports_with_rules_of_their_own_are_refused(args, option):
    tls = args.pop('tls')
    with pytest.raises(AnsibleFilterError, match='^%s ' % option):
        koding_ingress_rules(tls, **args)


def test_no_rule_ever_covers_9001():
    for tls in ('none', 'files', 'acme'):
        rules = koding_ingress_rules(tls, backend_cidrs=['0.0.0.0/0'], admin_cidrs=ADMINS, klient_cidrs=ADMINS)
        assert 9001 not in {port for rule in rules for port in rule['ports']}


def test_front_ports_must_differ_and_inputs_are_checked():
    with pytest.raises(AnsibleFilterError, match='must differ'):
        koding_ingress_rules('acme', public_port=443)
    with pytest.raises(AnsibleFilterError, match='^tls '):
        koding_ingress_rules('https')
    with pytest.raises(AnsibleFilterError, match='^admin_cidrs '):
        koding_ingress_rules('none', admin_cidrs='198.51.100.7/32')
    with pytest.raises(AnsibleFilterError, match='^backend_cidrs '):
        koding_ingress_rules('acme', backend_cidrs=['192.0.2.10'])


def test_renamed_variable_returns_its_input_with_a_deprecation():
    with mock.patch('ansible_collections.koding.gitlab.plugins.filter.renamed_variable.Display.deprecated') as deprecated:
        assert renamed_variable(8091, 'provision_aws_koding_port', 'provision_aws_koding_public_port') == 8091
    message = deprecated.call_args.args[0]
    assert 'provision_aws_koding_port is renamed to provision_aws_koding_public_port' in message
    assert deprecated.call_args.kwargs == dict(version='2.0.0', collection_name='koding.gitlab')
