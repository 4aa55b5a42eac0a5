# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: port_problem
short_description: Why a value is not a TCP port number
version_added: 0.1.0
description:
  - Returns why the value is not a TCP port number from 1 to O(maximum), as words to follow the variable's name,
    or an empty string when it is.
  - A whole number, given as a number or as digits.
options:
  _input:
    description: The port.
    type: raw
    required: true
  maximum:
    description: The highest port taken.
    type: int
    default: 65535
"""

EXAMPLES = r"""
- name: Refuse a port out of range
  ansible.builtin.assert:
    that: koding_public_port | koding.gitlab.port_problem(maximum=65534) == ''
    fail_msg: "koding_public_port {{ koding_public_port | koding.gitlab.port_problem(maximum=65534) }}"
"""

RETURN = r"""
_value:
  description: Why the value is refused, or an empty string.
  type: str
"""

from ansible_collections.koding.gitlab.plugins.module_utils._http import port_problem


class FilterModule(object):
    def filters(self):
        return {'port_problem': port_problem}
