# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: koding_addresses
short_description: Koding's URLs as GitLab and browsers reach it
version_added: 0.1.0
description:
  - Returns Koding's scheme, public port and the four URLs GitLab is given for it, built from Koding's host name, the
    team slug and the TLS front of the Koding stack. The one place of that rule for the roles and playbooks that
    wire, check or unwire GitLab (the P(koding.gitlab.gitlab_wiring#role) and P(koding.gitlab.verify#role) roles,
    C(teardown.yml)).
  - Behind a TLS front (an O(tls) of V(files) or V(acme)) Koding is reached over https on the front's port
    (O(https_port)); without one over http on Koding's own port (V(8090)). O(scheme) and O(port) override that.
  - The port is left out of the URLs where it is the scheme's own (80 for http, 443 for https), as Koding leaves it
    out of the URLs it builds (its OAuth redirect URI must be the registered one, character for character).
  - A URL given (O(koding_url), O(team_url), O(oauth_redirect_uri), O(system_hook_url)) is returned as it is, and the
    ones built from it follow it (the system hook URL from O(koding_url), the redirect URI from O(team_url)).
options:
  _input:
    description:
      - Koding's public host name, such as V(koding.example.com); the team's URL is on C(<team_slug>.<hostname>).
    type: str
    required: true
  team_slug:
    description: The Koding team GitLab users sign in to.
    type: str
    default: gitlab
  tls:
    description:
      - The TLS front of the Koding stack, as the P(koding.gitlab.koding#role) role's C(koding_tls).
      - Sets the scheme and port where O(scheme) and O(port) are not given.
    type: str
    choices: [none, files, acme]
    default: none
  https_port:
    description: The front's https port (the P(koding.gitlab.koding#role) role's C(koding_tls_https_port)).
    type: raw
    default: 443
  scheme:
    description: The scheme Koding is reached over. Empty follows O(tls).
    type: str
    choices: ['', http, https]
    default: ''
  port:
    description:
      - The port Koding is reached on. Empty follows O(tls) (O(https_port) behind a front, V(8090) without one).
      - Not checked here; a value that is not a port number ends up in the URLs as it is, for the roles' input checks
        (P(koding.gitlab.port_problem#filter)) to name.
    type: raw
    default: ''
  koding_url:
    description: Koding's base URL. Empty means C(<scheme>://<hostname>:<port>).
    type: str
    default: ''
  team_url:
    description: The team's URL. Empty means C(<scheme>://<team_slug>.<hostname>:<port>).
    type: str
    default: ''
  oauth_redirect_uri:
    description: The redirect URI of Koding's OAuth application in GitLab. Empty means C(<team_url>/-/oauth/gitlab/callback).
    type: str
    default: ''
  system_hook_url:
    description: The URL of Koding's system hook receiver. Empty means C(<koding_url>/-/api/gitlab).
    type: str
    default: ''
"""

EXAMPLES = r"""
# Behind a TLS front on 8443 the URLs are https://koding.example.com:8443, https://gitlab.koding.example.com:8443,
# https://gitlab.koding.example.com:8443/-/oauth/gitlab/callback and https://koding.example.com:8443/-/api/gitlab.
- name: Show where GitLab reaches Koding behind its TLS front on 8443
  ansible.builtin.debug:
    msg: "{{ 'koding.example.com' | koding.gitlab.koding_addresses(tls='acme', https_port=8443) }}"

- name: Check Koding at the address the gitlab_wiring role gave GitLab
  koding.gitlab.koding_wiring_info:
    url: >-
      {{ (gitlab_wiring_koding_hostname | koding.gitlab.koding_addresses(tls=koding_tls | default('none'),
                                                                        team_slug=gitlab_wiring_koding_team_slug)).koding_url }}
    team: "{{ gitlab_wiring_koding_team_slug }}"
"""

RETURN = r"""
_value:
  description: Koding's addresses.
  type: dict
  contains:
    scheme:
      description: The scheme, V(http) or V(https).
      type: str
      sample: https
    port:
      description: The public port, as given or as the default.
      type: raw
      sample: 443
    host:
      description: Koding's host name and port as its URLs carry them (the port left out where it is the scheme's own).
      type: str
      sample: koding.example.com
    koding_url:
      description: Koding's base URL, without a path.
      type: str
      sample: https://koding.example.com
    team_url:
      description: The team's URL, the one GitLab's Koding settings point at.
      type: str
      sample: https://gitlab.koding.example.com
    oauth_redirect_uri:
      description: The redirect URI Koding sends to GitLab's OAuth application.
      type: str
      sample: https://gitlab.koding.example.com/-/oauth/gitlab/callback
    system_hook_url:
      description: The URL of Koding's system hook receiver.
      type: str
      sample: https://koding.example.com/-/api/gitlab
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.koding.gitlab.plugins.module_utils._input_checks import port_problem

TLS_MODES = ('none', 'files', 'acme')
SCHEMES = ('http', 'https')
# Koding's own port (the koding role's koding_public_port default), where GitLab reaches it without a front.
KODING_PORT = 8090
# The ports a URL leaves out.
SCHEME_PORTS = {'http': 80, 'https': 443}
OAUTH_CALLBACK_PATH = '/-/oauth/gitlab/callback'
SYSTEM_HOOK_PATH = '/-/api/gitlab'


def koding_addresses(
    hostname, team_slug='gitlab', tls='none', https_port=443, scheme='', port='', koding_url='', team_url='', oauth_redirect_uri='', system_hook_url=''
):
    if tls not in TLS_MODES:
        raise AnsibleFilterError("koding_addresses: tls (the koding role's koding_tls) must be one of %s, not %r." % (', '.join(TLS_MODES), tls))
    if scheme and scheme not in SCHEMES:
        raise AnsibleFilterError('koding_addresses: scheme must be http or https, not %r.' % (scheme,))
    behind_front = tls != 'none'
    scheme = scheme or ('https' if behind_front else 'http')
    if port in ('', None):
        port = https_port if behind_front else KODING_PORT
    # The port as given (digits or a number), unless it is the scheme's own. A value that is no port is kept as it is
    # for the roles' own input checks to name (koding.gitlab.port_problem).
    own_port = not port_problem(port) and int(port) == SCHEME_PORTS[scheme]
    suffix = '' if own_port else ':%s' % port
    host = hostname + suffix
    koding_url = koding_url or '%s://%s' % (scheme, host)
    team_url = team_url or '%s://%s.%s%s' % (scheme, team_slug, hostname, suffix)
    return {
        'scheme': scheme,
        'port': port,
        'host': host,
        'koding_url': koding_url,
        'team_url': team_url,
        'oauth_redirect_uri': oauth_redirect_uri or team_url + OAUTH_CALLBACK_PATH,
        'system_hook_url': system_hook_url or koding_url + SYSTEM_HOOK_PATH,
    }


class FilterModule(object):
    def filters(self):
        return {'koding_addresses': koding_addresses}
