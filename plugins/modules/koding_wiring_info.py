#!/usr/bin/python
# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: koding_wiring_info
short_description: Check the Koding side of the GitLab integration, from where GitLab and browsers stand
version_added: 0.1.0
description:
  - Checks, without changing anything, each link of the integration that depends on Koding, and reports each as
    passed or failed with what to do.
  - The team's wildcard name resolves to an address of Koding's public host name.
  - Koding's nginx answers C(/healthcheck) and its web server answers C(/-/version) on the public URL.
  - The team exists (C(GET /-/team/<team>)).
  - With O(system_hook_token), Koding accepts that token. The module sends a signed delivery of an event Koding does
    not handle (C(project_create)), and Koding answers C(project create handler is not implemented) when the token is
    right, and C(not valid) when it is not. Nothing is created either way.
  - The module never fails because a check failed; it returns the checks. The C(koding.gitlab.verify) playbook turns
    them into one summary.
author:
  - koding.gitlab maintainers (@koding-gitlab)
extends_documentation_fragment:
  - koding.gitlab.koding_api
  - koding.gitlab.attributes
  - koding.gitlab.attributes.actiongroup_koding
  - koding.gitlab.attributes.info_module
options:
  connect_address:
    description:
      - Connect to this IP address instead of resolving the host name of O(url); the requests still carry the
        public host name. For example V(127.0.0.1) when the module runs on the Koding host itself.
      - The name resolution check still resolves the public names.
    type: str
  team:
    description:
      - The Koding team GitLab's users join.
    type: str
    default: gitlab
  system_hook_token:
    description:
      - The system hook token Koding holds (and GitLab sends). When set, a signed no-op delivery checks that Koding
        accepts it.
    type: str
notes:
  - A check whose answer does not arrive whole within O(timeout) counts as failed; after a check that got no answer
    at all, the other checks' requests are not retried.
seealso:
  - name: The verify playbook
    description: C(koding.gitlab.verify) runs this module with GitLab's side of the checks and prints one summary.
    link: https://github.com/koding-gitlab/koding.gitlab/blob/main/docs/verify.md
"""

EXAMPLES = r"""
- name: Check Koding's side of the integration
  koding.gitlab.koding_wiring_info:
    url: http://koding.example.com:8090
    system_hook_token: "{{ hook_token }}"
  register: koding_wiring

- name: Show the failed checks
  ansible.builtin.debug:
    msg: "{{ koding_wiring.checks | rejectattr('passed') | list }}"
"""

RETURN = r"""
checks:
  description: One entry a check, in the order they ran.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: What was checked (V(dns), V(healthcheck), V(version), V(team), V(system_hook_token)).
      type: str
    passed:
      description: Whether the check passed.
      type: bool
    message:
      description: What was found.
      type: str
    fix:
      description: What to do when the check failed; empty when it passed.
      type: str
  sample:
    - {"name": "team", "passed": true, "message": "team gitlab exists", "fix": ""}
"""

import json

from ansible_collections.koding.gitlab.plugins.module_utils._input_checks import ip_address_problem, team_slug_problem
from ansible_collections.koding.gitlab.plugins.module_utils._koding_api import resolve
from ansible_collections.koding.gitlab.plugins.module_utils._koding_module import KodingModule

# Any event Koding has no handler for does: it is answered without touching any data.
NO_OP_EVENT = {
    'event_name': 'project_create',
    'name': 'koding-gitlab-verify',
    'path': 'koding-gitlab-verify',
    'path_with_namespace': 'koding-gitlab-verify/koding-gitlab-verify',
    'project_id': 0,
}


def check(name, passed, message, fix=''):
    return {'name': name, 'passed': passed, 'message': message, 'fix': '' if passed else fix}


def check_dns(parts, team):
    host = parts.hostname
    team_host = '%s.%s' % (team, host)
    if not ip_address_problem(host):
        return check(
            'dns',
            False,
            'Koding is addressed by the IP address %s, so %s cannot exist' % (host, team_host),
            'Give Koding a host name with a wildcard record (or <ip>.nip.io) in gitlab_wiring_koding_hostname.',
        )
    host_addresses = resolve(host)
    team_addresses = resolve(team_host)
    if not host_addresses:
        return check('dns', False, '%s does not resolve' % host, 'Create a DNS record for %s pointing at the Koding host.' % host)
    if not team_addresses:
        return check('dns', False, '%s does not resolve' % team_host, 'Add a wildcard record *.%s pointing at the Koding host.' % host)
    if not host_addresses & team_addresses:
        return check(
            'dns',
            False,
            '%s resolves to %s, %s to %s' % (team_host, ', '.join(sorted(team_addresses)), host, ', '.join(sorted(host_addresses))),
            'Point the wildcard record *.%s at the same address as %s.' % (host, host),
        )
    return check('dns', True, '%s and %s resolve to %s' % (team_host, host, ', '.join(sorted(host_addresses))))


def check_endpoint(client, name, path):
    status, body = client.probe('GET', path)
    if status == 200:
        return check(name, True, 'GET %s answered 200' % path)
    if status is None:
        return check(name, False, body, 'Make sure the Koding host is up and its public port is open to this machine.')
    return check(
        name, False, 'GET %s answered %s' % (path, status), 'Look at the backend container: docker compose logs backend in the Koding stack directory.'
    )


def check_team(client, team):
    path = '/-/team/%s' % team
    status, body = client.probe('GET', path)
    if status == 200:
        return check('team', True, 'team %s exists' % team)
    if status == 404:
        return check('team', False, 'team %s does not exist' % team, 'Run the koding.gitlab.site playbook (koding_team_manage) to create it.')
    return check(
        'team',
        False,
        body if status is None else 'GET %s answered %s' % (path, status),
        'Look at the backend container: docker compose logs backend in the Koding stack directory.',
    )


def check_hook_token(client, token):
    status, body = client.probe(
        'POST',
        '/-/api/gitlab',
        data=json.dumps(NO_OP_EVENT),
        headers={'Content-Type': 'application/json', 'X-Gitlab-Event': 'System Hook', 'X-Gitlab-Token': token},
    )
    if status is None:
        return check('system_hook_token', False, body, 'Make sure Koding is reachable, then run the check again.')
    if 'not implemented' in body:
        return check('system_hook_token', True, 'Koding accepted the system hook token')
    if 'not valid' in body:
        return check(
            'system_hook_token',
            False,
            'Koding refused the system hook token',
            'Run the koding.gitlab.site playbook again: it gives Koding the token GitLab holds.',
        )
    if status == 404:
        return check(
            'system_hook_token',
            False,
            "Koding's system hook receiver is off (404)",
            'Koding turns it on when it knows the GitLab host: run the koding.gitlab.site playbook again.',
        )
    return check(
        'system_hook_token',
        False,
        'POST /-/api/gitlab answered %s' % status,
        'Look at the backend container: docker compose logs backend in the Koding stack directory.',
    )


def option_problems(params):
    """The module's own problems found without asking Koding; each names its option."""
    problems = []
    if params['connect_address'] and ip_address_problem(params['connect_address']):
        problems.append('Option connect_address %s, got %r' % (ip_address_problem(params['connect_address']), params['connect_address']))
    slug_problem = team_slug_problem(params['team'])
    if slug_problem:
        problems.append('Option team %s' % slug_problem)
    return problems


def main():
    module = KodingModule(
        argument_spec=dict(
            connect_address=dict(type='str'),
            team=dict(type='str', default='gitlab'),
            system_hook_token=dict(type='str', no_log=True),
        ),
        token_options=('system_hook_token',),
        option_checks=option_problems,
        connect_option='connect_address',
    )
    params = module.params

    def checks():
        client = module.client
        found = [
            check_dns(client.parts, params['team']),
            check_endpoint(client, 'healthcheck', '/healthcheck'),
            check_endpoint(client, 'version', '/-/version'),
            check_team(client, params['team']),
        ]
        if params['system_hook_token']:
            found.append(check_hook_token(client, params['system_hook_token']))
        return dict(changed=False, checks=found)

    module.run(checks)


if __name__ == '__main__':
    main()
