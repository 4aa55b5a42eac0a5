# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""Read-only commands the host's *_info modules run side by side: each is started first and answered later,
so a probe of several slow commands (docker, systemctl) takes as long as the slowest one."""

from __future__ import annotations

import subprocess


def start(argv):
    """The started command (output piped, errors dropped), or None when it cannot start (not installed)."""
    try:
        return subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
    except (OSError, ValueError):
        return None


def answer(process, timeout):
    """The stripped output of a started command, or None when it did not start, failed or took longer than timeout."""
    if process is None:
        return None
    try:
        output = process.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    return output.strip() if process.returncode == 0 else None


def answers(started, timeout):
    """{name: answer} for a {name: started command or None} mapping."""
    return dict((name, answer(process, timeout)) for name, process in started.items())
