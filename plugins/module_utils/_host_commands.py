# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""Read-only commands the host's *_info modules run side by side, so that a look at the host through several
slow commands (docker, systemctl) takes as long as the slowest one."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor


def answers(module, commands, timeout):
    """{name: stripped output} for {name: argv or None}; None for a command not given, not installed, failed, or
    still running after timeout seconds (coreutils' timeout stops it)."""
    stopper = module.get_bin_path('timeout')

    def answer(argv):
        if not argv:
            return None
        if os.path.isabs(argv[0]):
            executable = argv[0] if os.path.exists(argv[0]) else None
        else:
            executable = module.get_bin_path(argv[0])
        if executable is None:
            return None
        argv = [executable] + list(argv[1:])
        if stopper:
            argv = [stopper, '--kill-after=5', str(timeout)] + argv
        rc, out, dummy = module.run_command(argv, check_rc=False)
        return out.strip() if rc == 0 else None

    named = list(commands.items())
    with ThreadPoolExecutor(max_workers=max(1, len(named))) as pool:
        results = list(pool.map(answer, [argv for dummy, argv in named]))
    return dict((name, result) for (name, dummy), result in zip(named, results))
