# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: team_slug_problem
short_description: Why Koding would refuse a team slug
version_added: 0.1.0
description:
  - Returns why Koding would refuse the value as a team slug, as words to follow the variable's name, or an empty
    string when Koding takes it.
  - Koding's rule: lower-case letters and digits, in groups joined by single dashes, and not one of the team
    domains Koding reserves (C(reservedteamdomains.coffee) at the pinned commit). The M(koding.gitlab.koding_team)
    and M(koding.gitlab.koding_wiring_info) modules check their slug by the same rule.
options:
  _input:
    description: The team slug.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a team slug Koding would refuse
  ansible.builtin.assert:
    that: koding_team_slug | koding.gitlab.team_slug_problem == ''
    fail_msg: "koding_team_slug {{ koding_team_slug | koding.gitlab.team_slug_problem }}"
"""

RETURN = r"""
_value:
  description: Why the value is refused, or an empty string.
  type: str
"""

from ansible_collections.koding.gitlab.plugins.module_utils._koding_api import team_slug_problem


class FilterModule(object):
    def filters(self):
        return {'team_slug_problem': team_slug_problem}
