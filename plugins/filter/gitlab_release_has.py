# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: gitlab_release_has
short_description: Whether a GitLab release has a capability, from the collection's release table
version_added: 0.1.0
description:
  - Answers from the table the collection's GitLab modules take every release fact from (its capabilities are listed
    in the collection's C(docs/gitlab-wiring.md), section "GitLab releases").
  - Returns V(true) or V(false), or V(none) where GitLab's source does not pin the release, or no release is given.
options:
  _input:
    description: The GitLab release, for example V(11.4.12) or V(17.5.2-ee); an empty value gives V(none).
    type: str
    required: true
  capability:
    description: The capability's name, for example V(api_v3) or V(renew_secret).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Whether Koding's sign-in callback can still use GitLab's API v3
  ansible.builtin.debug:
    msg: "{{ koding_gitlab_version | koding.gitlab.gitlab_release_has('api_v3') }}"
"""

RETURN = r"""
_value:
  description: V(true), V(false), or V(none) when the release table does not pin it or no release is given.
  type: bool
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_releases as releases
from ansible_collections.koding.gitlab.plugins.module_utils._gitlab_api import parse_version


def gitlab_release_has(version, capability):
    if capability not in releases.CAPABILITIES:
        raise AnsibleFilterError('gitlab_release_has: unknown capability %r; known: %s' % (capability, ', '.join(sorted(releases.CAPABILITIES))))
    text = '' if version is None else str(version).strip()
    if not text:
        return None
    return releases.state(capability, parse_version(text))


class FilterModule(object):
    def filters(self):
        return {'gitlab_release_has': gitlab_release_has}
