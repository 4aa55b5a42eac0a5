# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: host_problem
short_description: Why a value is not a host name
version_added: 0.1.0
description:
  - Returns why the value is not a host name, as words to follow the variable's name, or an empty string when it
    is.
  - A host name is letters, digits and dashes in labels of at most 63 characters, joined by dots, at most 253
    characters in all, without whitespace or control characters; an internationalised name is given in its C(xn--)
    form. With O(strict=false), C(_) and internationalised names are taken too, as a URL may hold them.
options:
  _input:
    description: The host name.
    type: str
    required: true
  strict:
    description: Whether only letters, digits and dashes in ASCII are taken.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Refuse a host name with a space, a newline or other characters DNS cannot hold
  ansible.builtin.assert:
    that: koding_hostname | koding.gitlab.host_problem == ''
    fail_msg: "koding_hostname {{ koding_hostname | to_json }} {{ koding_hostname | koding.gitlab.host_problem }}"
"""

RETURN = r"""
_value:
  description: Why the value is refused, or an empty string.
  type: str
"""

from ansible_collections.koding.gitlab.plugins.module_utils._http import host_problem


class FilterModule(object):
    def filters(self):
        return {'host_problem': host_problem}
