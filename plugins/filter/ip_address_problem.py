# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ip_address_problem
short_description: Why a value is not an IP address
version_added: 0.1.0
description:
  - Returns why the value is not an IPv4 or IPv6 address, as words to follow the variable's name, or an empty
    string when it is.
options:
  _input:
    description: The address.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a bind address that is not an IP address
  ansible.builtin.assert:
    that: koding_bind_address | koding.gitlab.ip_address_problem == ''
    fail_msg: "koding_bind_address {{ koding_bind_address | koding.gitlab.ip_address_problem }}"
"""

RETURN = r"""
_value:
  description: Why the value is refused, or an empty string.
  type: str
"""

from ansible_collections.koding.gitlab.plugins.module_utils._http import ip_address_problem


class FilterModule(object):
    def filters(self):
        return {'ip_address_problem': ip_address_problem}
