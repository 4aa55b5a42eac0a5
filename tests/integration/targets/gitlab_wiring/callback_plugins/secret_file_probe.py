# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: secret_file_probe
type: aggregate
short_description: Records the credentials file's mode before and after every task (tests only)
description:
  - Before each task starts and after it ends, records the mode of the credentials directory and file of the
    gitlab_wiring integration target, as JSON lines, so the test can check that the file was never readable by
    others while the role ran.
options:
  probe_file:
    description: Where the JSON lines go.
    type: path
    required: true
    env:
      - name: SECRET_FILE_PROBE_OUTPUT
  credentials_path:
    description: The credentials file to watch.
    type: path
    required: true
    env:
      - name: SECRET_FILE_PROBE_PATH
"""

import json
import os
import stat

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'secret_file_probe'
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, moment, task):
        path = self.get_option('credentials_path')
        entry = dict(moment=moment, task=task.get_name())
        for key, target in (('dir', os.path.dirname(path)), ('file', path)):
            try:
                info = os.lstat(target)
            except FileNotFoundError:
                entry[key] = None
                continue
            entry[key] = dict(mode='%04o' % stat.S_IMODE(info.st_mode), size=info.st_size)
        with open(self.get_option('probe_file'), 'a', encoding='utf-8') as handle:
            handle.write(json.dumps(entry) + '\n')

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._record('start', task)

    def v2_runner_on_ok(self, result):
        self._record('ok', result._task)

    def v2_runner_on_skipped(self, result):
        self._record('skipped', result._task)
