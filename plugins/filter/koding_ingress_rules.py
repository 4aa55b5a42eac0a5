# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: koding_ingress_rules
short_description: The security group rules of a Koding host, following its TLS front
version_added: 0.1.0
description:
  - Returns the ingress rules of the Koding host's security group, in the form of C(amazon.aws.ec2_security_group)'s
    O(amazon.aws.ec2_security_group#module:rules), one rule per port list and address family.
  - Without a TLS front (an input of V(none)) Koding's own port is open to the world, IPv4 and IPv6.
  - With a front (V(files) or V(acme)) the https and http ports are open to the world (http redirects to https
    and answers ACME's HTTP-01 challenge), and Koding's own port only from O(backend_cidrs).
  - SSH (22) is open from O(admin_cidrs) only, Klient (56789) from O(klient_cidrs) only.
  - Port 9001 (supervisord's console in the backend container) is never opened; a port given as 9001, or as 22 or
    56789, is refused with an error naming the option.
  - The P(koding.gitlab.provision_aws#role) role passes its variables of the same names with the prefix
    C(provision_aws_koding_) (C(provision_aws_admin_cidrs), C(provision_aws_klient_cidrs) for the last two).
options:
  _input:
    description: The TLS front of the Koding stack, as the P(koding.gitlab.koding#role) role's C(koding_tls).
    type: str
    choices: [none, files, acme]
    required: true
  public_port:
    description: Koding's own port (the P(koding.gitlab.koding#role) role's C(koding_public_port)).
    type: int
    default: 8090
  https_port:
    description: The front's https port.
    type: int
    default: 443
  http_port:
    description: The front's http port.
    type: int
    default: 80
  backend_cidrs:
    description: With a front, the CIDRs Koding's own port is open from. Ignored without a front.
    type: list
    elements: str
    default: []
  admin_cidrs:
    description: The CIDRs SSH is open from.
    type: list
    elements: str
    default: []
  klient_cidrs:
    description: The CIDRs Klient's port is open from.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Open the host for Koding behind its TLS front
  amazon.aws.ec2_security_group:
    name: koding
    description: Koding host
    rules: "{{ 'acme' | koding.gitlab.koding_ingress_rules(admin_cidrs=['198.51.100.7/32']) }}"
"""

RETURN = r"""
_value:
  description: The rules, each with C(proto), C(ports), C(cidr_ip) or C(cidr_ipv6), and C(rule_desc).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

TLS_MODES = ('none', 'files', 'acme')
WORLD = ['0.0.0.0/0', '::/0']
SSH_PORT = 22
KLIENT_PORT = 56789
# supervisord's console in the backend container: never reachable from outside.
SUPERVISOR_PORT = 9001
# Ports with a rule of their own; a Koding port equal to one would open it to the world.
RESERVED = {SSH_PORT: 'SSH', KLIENT_PORT: "Klient's port", SUPERVISOR_PORT: "supervisord's console, never opened"}


def port(value, name):
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or str(value).strip() != str(number) or not 1 <= number <= 65535:
        raise AnsibleFilterError('%s must be a TCP port from 1 to 65535, not %r.' % (name, value))
    if number in RESERVED:
        raise AnsibleFilterError('%s must not be %d (%s).' % (name, number, RESERVED[number]))
    return number


def cidrs(value, name):
    if isinstance(value, str) or not all(isinstance(item, str) and '/' in item for item in value or []):
        raise AnsibleFilterError('%s must be a list of CIDRs (address/prefix), not %r.' % (name, value))
    return list(value or [])


def rules_for(ports, sources, description):
    """One rule per address family that has sources: amazon.aws takes IPv4 and IPv6 ranges in separate rules."""
    ipv4 = [cidr for cidr in sources if ':' not in cidr]
    ipv6 = [cidr for cidr in sources if ':' in cidr]
    rules = []
    if ipv4:
        rules.append(dict(proto='tcp', ports=ports, cidr_ip=ipv4, rule_desc=description))
    if ipv6:
        rules.append(dict(proto='tcp', ports=ports, cidr_ipv6=ipv6, rule_desc=description))
    return rules


def koding_ingress_rules(tls, public_port=8090, https_port=443, http_port=80, backend_cidrs=None, admin_cidrs=None, klient_cidrs=None):
    if tls not in TLS_MODES:
        raise AnsibleFilterError('tls must be one of %s, not %r.' % (', '.join(TLS_MODES), tls))
    public_port = port(public_port, 'public_port')
    rules = []
    if tls == 'none':
        rules += rules_for([public_port], WORLD, 'Koding')
    else:
        front = [port(https_port, 'https_port'), port(http_port, 'http_port')]
        if len(set(front + [public_port])) != 3:
            raise AnsibleFilterError('public_port, https_port and http_port must differ, not %d, %d and %d.' % tuple([public_port] + front))
        rules += rules_for(front, WORLD, "Koding's TLS front: https, and http redirecting to it")
        rules += rules_for([public_port], cidrs(backend_cidrs, 'backend_cidrs'), "Koding's own port")
    rules += rules_for([SSH_PORT], cidrs(admin_cidrs, 'admin_cidrs'), 'SSH from admins')
    rules += rules_for([KLIENT_PORT], cidrs(klient_cidrs, 'klient_cidrs'), 'Klient')
    return rules


class FilterModule(object):
    def filters(self):
        return {'koding_ingress_rules': koding_ingress_rules}
