# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: private_dir_problem
short_description: Why a directory must not be made private by the collection's roles
version_added: 0.1.0
description:
  - Returns why the directory given must not be made private (mode 0700, owned by root), or an empty string when it
    may be.
  - The P(koding.gitlab.koding#role) role keeps its project directory private, and the
    P(koding.gitlab.gitlab_wiring#role) role the directory of the credentials file. Their input checks refuse, before
    any change, a path that is not absolute, and one that names, once C(.), C(..) and C(//) are resolved, a directory of the system
    (below C(/usr), C(/bin), C(/boot), C(/dev), C(/lib), C(/proc), C(/run), C(/sbin), C(/sys), C(/var/log),
    C(/var/cache), C(/var/spool), C(/var/mail), or the package and container managers' C(/var/lib) directories), and
    a directory shared with other software (C(/), C(/etc), C(/opt), C(/srv), C(/tmp), C(/var), C(/var/lib), ...).
options:
  _input:
    description: The directory's path.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a project directory the role must not make private
  ansible.builtin.assert:
    that: koding_base_dir | koding.gitlab.private_dir_problem == ''
    fail_msg: "koding_base_dir {{ koding_base_dir }} {{ koding_base_dir | koding.gitlab.private_dir_problem }}"
"""

RETURN = r"""
_value:
  description: Why the directory must not be made private, or an empty string.
  type: str
"""

from ansible_collections.koding.gitlab.plugins.module_utils._private_dir import private_dir_problem


class FilterModule(object):
    def filters(self):
        return {'private_dir_problem': private_dir_problem}
