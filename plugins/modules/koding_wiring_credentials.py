#!/usr/bin/python
# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: koding_wiring_credentials
short_description: Keep the GitLab wiring credentials in a private file on the Koding host
version_added: 0.1.0
description:
  - Reads, or writes, the JSON file in which the C(koding.gitlab.gitlab_wiring) role keeps what GitLab shows only once
    (the OAuth application's secret) and the system hook token, so that a re-run, on any controller, finds them.
  - Without O(credentials) the module only reads the file and says whether it and its directory are already as
    private as a write would leave them; the role then writes only when something differs.
  - With O(credentials) the file holds exactly them afterwards, as sorted, indented JSON. Nobody else may read it,
    not even for a moment. Its directory is made mode C(0700) first, on every write, so a directory opened to others
    later is closed again. The new content is written into a temporary file of mode C(0600) in that directory, which
    then replaces the file. The file is left with mode C(0600).
  - Temporary files of that kind left in the directory by a write that was killed mid-way (named C(.<file name>.)
    and eight random characters, regular files untouched for a minute) are removed on the next write; a read reports
    the file as not private while any is there.
  - The directory must be the file's own (such as C(/etc/koding)), since the module makes it C(0700).
author:
  - koding.gitlab maintainers (@koding-gitlab)
extends_documentation_fragment:
  - koding.gitlab.attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is created, written or changed; the module reports what a write would change.
  diff_mode:
    support: full
    details:
      - The diff shows the file's content before and after, with every value whose name contains C(secret),
        C(token) or C(password) (in any case, at any depth) masked, and the modes of the file and its directory.
  idempotent:
    support: full
options:
  path:
    description:
      - The credentials file, an absolute path, in a directory of its own.
    type: path
    required: true
  credentials:
    description:
      - What the file must hold, a JSON object.
      - Omit it to only read the file.
    type: dict
  owner:
    description:
      - The owner of the file and its directory (name or uid). Unset leaves the owner a new file gets.
    type: str
  group:
    description:
      - The group of the file and its directory (name or gid). Unset leaves the group a new file gets.
    type: str
notes:
  - The result of a read holds the stored secrets, so set C(no_log) on the task that reads.
seealso:
  - name: The gitlab_wiring role
    description: Wires GitLab for Koding and keeps its credentials with this module.
    link: https://github.com/koding-gitlab/koding.gitlab/blob/main/roles/gitlab_wiring/README.md
"""

EXAMPLES = r"""
- name: Read the stored wiring credentials
  koding.gitlab.koding_wiring_credentials:
    path: /etc/koding/gitlab-wiring.json
  register: stored
  no_log: true

- name: Keep the wiring credentials (mode 0600, in a 0700 directory)
  koding.gitlab.koding_wiring_credentials:
    path: /etc/koding/gitlab-wiring.json
    credentials:
      application_id: "{{ app.application.application_id }}"
      application_secret: "{{ app.secret }}"
      system_hook_token: "{{ hook_token }}"
  when: stored.credentials != wanted or not stored.private
  no_log: true
"""

RETURN = r"""
exists:
  description: Whether the file existed when the module started.
  returned: always
  type: bool
  sample: true
credentials:
  description: What the file holds; an empty dict when there is no file. Holds secrets.
  returned: when O(credentials) is not given
  type: dict
  sample: {"application_id": "2f7c...", "application_secret": "gloas-...", "system_hook_token": "..."}
private:
  description:
    - Whether the file has mode C(0600), its directory mode C(0700), and both O(owner) and O(group) where given;
      that is, whether a write of the same content would change nothing.
  returned: when O(credentials) is not given
  type: bool
  sample: true
"""

import errno
import grp
import json
import os
import pwd
import re
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.koding.gitlab.plugins.module_utils._host_files import read_text
from ansible_collections.koding.gitlab.plugins.module_utils._private_dir import private_dir_problem
from ansible_collections.koding.gitlab.plugins.module_utils._private_file import PRIVATE_MODE, remove_stale, stale_temporaries, write_private
from ansible_collections.koding.gitlab.plugins.module_utils._redaction import SECRET_PLACEHOLDER

FILE_MODE = PRIVATE_MODE
DIR_MODE = 0o700
MASK = SECRET_PLACEHOLDER
# Names whose values are secrets (compared in lower case, anywhere in the structure).
SECRET_NAMES = ('secret', 'token', 'password')
# Deeper JSON is refused: Python's JSON encoder would run out of stack on it.
MAX_DEPTH = 32
# The largest uid or gid; (uid_t)-1 means "unchanged" to chown.
MAX_ID = 2**32 - 2


def argument_spec():
    return dict(
        path=dict(type='path', required=True),
        credentials=dict(type='dict', no_log=True),
        owner=dict(type='str'),
        group=dict(type='str'),
    )


def render(credentials):
    """The file's text: the same bytes as Ansible's to_nice_json(sort_keys=true) and a line break."""
    return json.dumps(credentials, indent=4, sort_keys=True, separators=(',', ': ')) + '\n'


def depth(value):
    """How deeply lists and dicts nest in value (0 for a scalar), counted without recursion."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:
            pending.extend((child, level + 1) for child in children)
    return deepest


def secret_name(key):
    return any(name in ('%s' % key).lower() for name in SECRET_NAMES)


def masked_credentials(value):
    """The credentials for a diff: every value under a secret-like name (any case, any depth) replaced whole."""
    if isinstance(value, dict):
        return dict((key, MASK if secret_name(key) else masked_credentials(item)) for key, item in value.items())
    if isinstance(value, list):
        return [masked_credentials(item) for item in value]
    return value


def lstat_or_none(module, path, what):
    """os.lstat(path), None when nothing is there; fails naming path when the path cannot be used at all."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else to_native(error)
        hint = ''
        if isinstance(error, OSError) and error.errno == errno.ENOTDIR:
            hint = ' (a part of it is a file, not a directory)'
        elif isinstance(error, OSError) and error.errno == errno.ENAMETOOLONG:
            hint = ' (the path, or one of its names, is longer than this host allows)'
        module.fail_json(msg='path cannot be used: %s: %s%s. Give another path.' % (what, reason, hint), changed=False)


def mode_text(info):
    return None if info is None else '%04o' % stat.S_IMODE(info.st_mode)


def wanted_id(module, value, database, what):
    """The numeric id an owner or group option names (name or number); None when unset."""
    if value is None:
        return None
    if re.fullmatch('[0-9]+', value):
        number = int(value)
        if number > MAX_ID:
            module.fail_json(msg='%s %s is not a valid id (at most %d); give a name or a smaller number.' % (what, value[:30], MAX_ID))
        return number
    try:
        return database(value)[2]
    except (KeyError, ValueError, OverflowError):
        module.fail_json(msg='%s %r does not exist on this host; create it first or name another.' % (what, value[:100]))


class CredentialsFile:
    """The credentials file and its directory as they are, and how to make them as wanted."""

    def __init__(self, module):
        self.module = module
        self.path = module.params['path']
        self.directory = os.path.dirname(self.path)
        self.uid = wanted_id(module, module.params['owner'], pwd.getpwnam, 'owner')
        self.gid = wanted_id(module, module.params['group'], grp.getgrnam, 'group')
        if not os.path.isabs(self.path) or not os.path.basename(self.path):
            module.fail_json(msg='path must be the absolute path of a file, such as /etc/koding/gitlab-wiring.json; got %r.' % self.path)
        # The directory is made 0700: never one of the system's or one shared with other software.
        problem = private_dir_problem(self.directory)
        if problem:
            module.fail_json(msg='path %r: its directory %s; give the file a directory of its own, such as /etc/koding.' % (self.path[:200], problem))
        self.dir_info = lstat_or_none(module, self.directory, 'its directory %s' % self.directory[:200])
        if self.dir_info is not None and not stat.S_ISDIR(self.dir_info.st_mode):
            module.fail_json(msg='%s (the directory of path) is not a directory.' % self.directory)
        self.file_info = lstat_or_none(module, self.path, 'the file %s' % self.path[:200]) if self.dir_info is not None else None
        if self.file_info is not None and not stat.S_ISREG(self.file_info.st_mode):
            module.fail_json(msg='%s (path) is not a regular file; move it away.' % self.path)
        wanted = module.params['credentials']
        if wanted is not None and depth(wanted) > MAX_DEPTH:
            module.fail_json(msg='credentials nest more than %d levels deep; give a flatter object.' % MAX_DEPTH)
        # A killed write's temporary file may hold secrets: the next write removes it.
        self.stale = stale_temporaries(self.path) if self.dir_info is not None else []

    def stored(self):
        """What the file holds ({} without a file); fails on anything but a JSON object."""
        if self.file_info is None:
            return {}
        try:
            with open(self.path, encoding='utf-8') as handle:
                credentials = json.load(handle)
        except (OSError, ValueError) as error:
            credentials = error
        except RecursionError:
            credentials = ValueError('its JSON is nested too deeply')
        if isinstance(credentials, (dict, list)) and depth(credentials) > MAX_DEPTH:
            credentials = ValueError('its JSON nests more than %d levels deep' % MAX_DEPTH)
        if not isinstance(credentials, dict):
            self.module.fail_json(
                msg='%s does not hold a JSON object (%s). Move it away and run again: the gitlab_wiring role then '
                'renews the OAuth secret and sets a new system hook token.'
                % (self.path, to_native(credentials) if isinstance(credentials, Exception) else 'a JSON ' + type(credentials).__name__)
            )
        return credentials

    def owned(self, info):
        return (self.uid is None or info.st_uid == self.uid) and (self.gid is None or info.st_gid == self.gid)

    def private(self):
        """Whether file and directory already have the wanted modes and ownership."""
        return (
            self.dir_info is not None
            and self.file_info is not None
            and not self.stale
            and stat.S_IMODE(self.dir_info.st_mode) == DIR_MODE
            and stat.S_IMODE(self.file_info.st_mode) == FILE_MODE
            and self.owned(self.dir_info)
            and self.owned(self.file_info)
        )

    def chown(self, path, info):
        if not self.owned(info):
            os.chown(path, -1 if self.uid is None else self.uid, -1 if self.gid is None else self.gid)

    def close_directory(self):
        """The directory, mode 0700 and owned as wanted, before anything is written into it."""
        if self.dir_info is None:
            parent = os.path.dirname(self.directory)
            if not os.path.isdir(parent):
                os.makedirs(parent)
            os.mkdir(self.directory, DIR_MODE)
            self.dir_info = os.lstat(self.directory)
        if stat.S_IMODE(self.dir_info.st_mode) != DIR_MODE:
            os.chmod(self.directory, DIR_MODE)
        self.chown(self.directory, self.dir_info)

    def settle_file(self):
        """Mode 0600 and the wanted owner for a file whose content was already right."""
        if stat.S_IMODE(self.file_info.st_mode) != FILE_MODE:
            os.chmod(self.path, FILE_MODE)
        self.chown(self.path, self.file_info)


def write(module, credentials_file):
    wanted = module.params['credentials']
    before = credentials_file.stored()
    content_differs = credentials_file.file_info is None or before != wanted or render(before) != read_text(credentials_file.path)
    changed = content_differs or not credentials_file.private()
    result = dict(changed=changed, exists=credentials_file.file_info is not None)
    if module._diff:  # pylint: disable=protected-access
        result['diff'] = dict(
            before=dict(
                path=credentials_file.path,
                mode=mode_text(credentials_file.file_info),
                directory_mode=mode_text(credentials_file.dir_info),
                credentials=masked_credentials(before) if credentials_file.file_info is not None else None,
            ),
            after=dict(path=credentials_file.path, mode='%04o' % FILE_MODE, directory_mode='%04o' % DIR_MODE, credentials=masked_credentials(wanted)),
        )
    if not changed or module.check_mode:
        return result
    try:
        credentials_file.close_directory()
        remove_stale(credentials_file.stale)
        if content_differs:
            write_private(credentials_file.path, render(wanted), credentials_file.uid, credentials_file.gid)
        else:
            credentials_file.settle_file()
    except OSError as error:
        module.fail_json(
            msg='Could not keep the credentials in %s: %s. Nothing but that file and its directory was '
            'touched; fix the cause and run again.' % (credentials_file.path, to_native(error)),
            **result,
        )
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    credentials_file = CredentialsFile(module)
    if module.params['credentials'] is None:
        module.exit_json(
            changed=False, exists=credentials_file.file_info is not None, credentials=credentials_file.stored(), private=credentials_file.private()
        )
    module.exit_json(**write(module, credentials_file))


if __name__ == '__main__':
    main()
