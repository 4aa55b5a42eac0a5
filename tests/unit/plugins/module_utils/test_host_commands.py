# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import sys

from ansible_collections.koding.gitlab.plugins.module_utils._host_commands import answer, answers, start


def test_answers_of_commands_run_side_by_side():
    started = dict(
        said=start([sys.executable, '-c', 'print("  26.1.5  ")']),
        failed=start([sys.executable, '-c', 'import sys; print("partial"); sys.exit(3)']),
        missing=start(['/nonexistent/docker', 'info']),
        skipped=None,
    )
    assert answers(started, 30) == dict(said='26.1.5', failed=None, missing=None, skipped=None)


def test_a_command_past_its_timeout_answers_none():
    process = start([sys.executable, '-c', 'import time; time.sleep(60)'])
    assert answer(process, 0.2) is None
    assert process.returncode is not None
