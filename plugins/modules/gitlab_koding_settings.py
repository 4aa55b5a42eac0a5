#!/usr/bin/python
# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gitlab_koding_settings
short_description: Manage GitLab's Koding integration settings
version_added: 0.1.0
description:
  - Enables or disables GitLab's Koding integration (Admin Area, Settings, "Enable Koding") and sets the Koding URL,
    through C(GET) and C(PUT /application/settings).
  - GitLab added the integration in 8.11, deprecated it in 10.0 and removed the C(koding_enabled) and C(koding_url)
    settings after 11.4. GitLab 8.13 to 8.16 have them only in the API v3, which the modules do not use; there the
    module fails naming the release and 8.17, the first with the API v4.
  - Whether an instance still has them is detected only by the presence of C(koding_enabled) in its settings, never
    from its version.
  - On a GitLab without the settings, asking to enable the integration fails with a message naming the instance's
    version, and asking to disable it succeeds without a change (RV(supported=false)).
  - If neither O(koding_enabled) nor O(koding_url) is given, the module only reads the settings.
author:
  - koding.gitlab maintainers (@koding-gitlab)
extends_documentation_fragment:
  - koding.gitlab.gitlab_api
  - koding.gitlab.attributes
  - koding.gitlab.attributes.actiongroup_gitlab
attributes:
  check_mode:
    support: full
    details:
      - In check mode only C(GET) requests are sent.
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  koding_enabled:
    description:
      - Whether GitLab shows the Koding integration.
      - V(true) requires O(koding_url); GitLab needs the URL whenever the integration is enabled, so it is always sent
        along.
    type: bool
  koding_url:
    description:
      - The URL of the Koding team GitLab links to, for example V(http://gitlab.koding.example.com:8090) for the
        default team C(gitlab).
      - It must be an C(http://) or C(https://) URL with a host name; it is checked before any request is sent.
      - Compared with GitLab's stored value as an exact string.
      - User-info in it (C(user:password@)) is shown as C(********) in results, diffs and messages.
    type: str
seealso:
  - name: GitLab application settings API
    description: The API this module uses.
    link: https://docs.gitlab.com/ee/api/settings.html
"""

EXAMPLES = r"""
- name: Point GitLab at the Koding team and enable the integration
  koding.gitlab.gitlab_koding_settings:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_admin_token }}"
    koding_enabled: true
    koding_url: http://gitlab.koding.example.com:8090
  delegate_to: localhost

- name: Disable the integration (succeeds without a change on a GitLab that no longer has it)
  koding.gitlab.gitlab_koding_settings:
    koding_enabled: false
  delegate_to: localhost

- name: Only read the settings (GITLAB_URL and GITLAB_API_TOKEN come from the environment)
  koding.gitlab.gitlab_koding_settings:
  register: koding_settings
  delegate_to: localhost
"""

RETURN = r"""
settings:
  description:
    - The Koding settings after the run (predicted in check mode).
    - When RV(supported) is V(false), RV(settings.koding_enabled) is V(false) and RV(settings.koding_url) is V(null).
  returned: success
  type: dict
  contains:
    koding_enabled:
      description: Whether the integration is enabled.
      type: bool
      sample: true
    koding_url:
      description: The Koding URL GitLab links to.
      type: str
      sample: http://gitlab.koding.example.com:8090
supported:
  description: Whether this GitLab still has the Koding settings.
  returned: success
  type: bool
  sample: true
"""

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_releases as releases
from ansible_collections.koding.gitlab.plugins.module_utils._gitlab_module import GitlabModule
from ansible_collections.koding.gitlab.plugins.module_utils._redaction import redact

SETTINGS_PATH = '/application/settings'


def koding_view(settings):
    """The Koding settings, the URL's user-info redacted."""
    return dict(koding_enabled=settings.get('koding_enabled'), koding_url=redact(settings.get('koding_url')))


def wanted_changes(current, koding_enabled, koding_url):
    """The parameters to PUT, or {} when the settings already match."""
    changes = {}
    if koding_enabled is not None and koding_enabled != current.get('koding_enabled'):
        changes['koding_enabled'] = koding_enabled
    if koding_url is not None and koding_url != current.get('koding_url'):
        changes['koding_url'] = koding_url
    if changes and koding_enabled:
        # GitLab answers 400 "koding_url is missing" when koding_enabled=true comes without the URL.
        changes['koding_enabled'] = True
        changes['koding_url'] = koding_url
    return changes


class KodingSettings(object):
    def __init__(self, module):
        self.module = module
        self.client = module.client
        self.koding_enabled = module.params['koding_enabled']
        self.koding_url = module.params['koding_url']

    def unsupported(self):
        if self.koding_enabled:
            self.module.fail_json(
                msg='GitLab %s has no Koding settings (koding_enabled is absent from GET %s): GitLab deprecated the '
                'Koding integration and removed its settings after %s. Use a GitLab that still has them '
                '(%s), or set koding_enabled=false.'
                % (self.client.version(), SETTINGS_PATH, releases.last('koding_settings'), releases.span('koding_settings')),
                changed=False,
                supported=False,
            )
        if self.koding_url is not None:
            self.module.warn('koding_url was ignored: this GitLab has no Koding settings.')
        return dict(changed=False, supported=False, settings=dict(koding_enabled=False, koding_url=None))

    def run(self):
        settings = self.client.get(SETTINGS_PATH) or {}
        if not isinstance(settings, dict) or 'koding_enabled' not in settings:
            return self.unsupported()
        changes = wanted_changes(settings, self.koding_enabled, self.koding_url)
        before = koding_view(settings)
        after = koding_view(dict(settings, **changes))
        if changes and not self.module.check_mode:
            after = koding_view(self.client.put(SETTINGS_PATH, data=changes) or {})
        result = dict(changed=bool(changes), supported=True, settings=after)
        if self.module._diff:
            result['diff'] = dict(before=before, after=after)
        return result


def main():
    module = GitlabModule(
        argument_spec=dict(
            koding_enabled=dict(type='bool'),
            koding_url=dict(type='str'),
        ),
        required_if=[('koding_enabled', True, ['koding_url'])],
        url_options=('koding_url',),
    )
    module.run(KodingSettings(module).run)


if __name__ == '__main__':
    main()
