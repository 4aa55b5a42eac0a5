# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import shutil
import subprocess
import sys

from ansible_collections.koding.gitlab.plugins.module_utils._host_commands import answers


class HostModule:
    """What answers() uses of AnsibleModule, run for real."""

    def __init__(self):
        self.commands = []

    def get_bin_path(self, name):
        return shutil.which(name)

    def run_command(self, argv, check_rc=False):  # pylint: disable=unused-argument
        self.commands.append(argv)
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        return done.returncode, done.stdout, done.stderr


def test_answers_of_commands_run_side_by_side():
    module = HostModule()
    result = answers(
        module,
        dict(
            said=[sys.executable, '-c', 'print("  26.1.5  ")'],
            failed=[sys.executable, '-c', 'import sys; print("partial"); sys.exit(3)'],
            missing=['/nonexistent/docker', 'info'],
            not_installed=['no-such-command-on-this-host', 'info'],
            skipped=None,
        ),
        30,
    )
    assert result == dict(said='26.1.5', failed=None, missing=None, not_installed=None, skipped=None)
    assert len(module.commands) == 2


def test_a_command_past_its_timeout_answers_none():
    if shutil.which('timeout') is None:
        return
    module = HostModule()
    assert answers(module, dict(slow=[sys.executable, '-c', 'import time; time.sleep(60)']), 1) == dict(slow=None)
    assert module.commands[0][:3] == [shutil.which('timeout'), '--kill-after=5', '1']
