# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: url_problem
short_description: Why a value is not an http(s) URL the modules take
version_added: 0.1.0
description:
  - Returns why the value is not an absolute C(http://) or C(https://) URL with a valid host name and port, as
    words to follow the variable's name, or an empty string when it is.
  - The same rule the modules apply to their URL options (whitespace and control characters, scheme, host name,
    port, length); a password in the URL is never quoted.
options:
  _input:
    description: The URL.
    type: str
    required: true
  allow_userinfo:
    description: Whether a C(user:password@) part is allowed.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Refuse a GitLab URL the modules would refuse
  ansible.builtin.assert:
    that: gitlab_wiring_api_url | koding.gitlab.url_problem(allow_userinfo=false) == ''
    fail_msg: "gitlab_wiring_api_url {{ gitlab_wiring_api_url | koding.gitlab.url_problem(allow_userinfo=false) }}"
"""

RETURN = r"""
_value:
  description: Why the value is refused, or an empty string.
  type: str
"""

from ansible_collections.koding.gitlab.plugins.module_utils._http import url_problem


class FilterModule(object):
    def filters(self):
        return {'url_problem': url_problem}
