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
      - The diff shows the file's content before and after, with every value whose name contains C(secret) or
        C(token) masked, and the modes of the file and its directory.
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

import grp
import json
import os
import pwd
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.koding.gitlab.plugins.module_utils._placeholder import SECRET_PLACEHOLDER

FILE_MODE = 0o600
DIR_MODE = 0o700
MASK = SECRET_PLACEHOLDER


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


def masked(credentials):
    """The credentials with every secret value replaced, for a diff."""
    if credentials is None:
        return None
    return dict((key, MASK if 'secret' in key or 'token' in key else value) for key, value in credentials.items())


def lstat_or_none(path):
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def mode_text(info):
    return None if info is None else '%04o' % stat.S_IMODE(info.st_mode)


def wanted_id(module, value, database, what):
    """The numeric id an owner or group option names (name or number); None when unset."""
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    try:
        return database(value)[2]
    except KeyError:
        module.fail_json(msg='%s %r does not exist on this host; create it first or name another.' % (what, value))


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
        self.dir_info = lstat_or_none(self.directory)
        self.file_info = lstat_or_none(self.path)
        if self.dir_info is not None and not stat.S_ISDIR(self.dir_info.st_mode):
            module.fail_json(msg='%s (the directory of path) is not a directory.' % self.directory)
        if self.file_info is not None and not stat.S_ISREG(self.file_info.st_mode):
            module.fail_json(msg='%s (path) is not a regular file; move it away.' % self.path)

    def stored(self):
        """What the file holds ({} without a file); fails on anything but a JSON object."""
        if self.file_info is None:
            return {}
        try:
            with open(self.path, encoding='utf-8') as handle:
                credentials = json.load(handle)
        except (OSError, ValueError) as error:
            credentials = error
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

    def replace(self, text):
        """A temporary file of mode 0600 in the closed directory, with the new text, renamed over the file."""
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix='.%s.' % os.path.basename(self.path))
        try:
            with os.fdopen(handle, 'w', encoding='utf-8') as output:
                os.fchmod(output.fileno(), FILE_MODE)
                if self.uid is not None or self.gid is not None:
                    os.fchown(output.fileno(), -1 if self.uid is None else self.uid, -1 if self.gid is None else self.gid)
                output.write(text)
                output.flush()
                os.fsync(output.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise

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
                credentials=masked(before) if credentials_file.file_info is not None else None,
            ),
            after=dict(path=credentials_file.path, mode='%04o' % FILE_MODE, directory_mode='%04o' % DIR_MODE, credentials=masked(wanted)),
        )
    if not changed or module.check_mode:
        return result
    try:
        credentials_file.close_directory()
        if content_differs:
            credentials_file.replace(render(wanted))
        else:
            credentials_file.settle_file()
    except OSError as error:
        module.fail_json(
            msg='Could not keep the credentials in %s: %s. Nothing but that file and its directory was '
            'touched; fix the cause and run again.' % (credentials_file.path, to_native(error)),
            **result,
        )
    return result


def read_text(path):
    try:
        with open(path, encoding='utf-8') as handle:
            return handle.read()
    except OSError:
        return None


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
