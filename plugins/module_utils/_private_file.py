# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""A file only its owner may read (mode 0600), written so that nobody else can read it even for a moment."""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time

PRIVATE_MODE = 0o600
# What tempfile.mkstemp adds to the prefix write_private gives it: eight of these characters.
TEMPORARY_SUFFIX = '[a-z0-9_]{8}'
# A temporary file untouched this long belongs to no write still under way (one takes milliseconds): it is stale.
STALE_AFTER = 60


def wrong_owner(info):
    """Whether a file run as root finds is not root's (a file another user could change)."""
    return os.geteuid() == 0 and (info.st_uid, info.st_gid) != (0, 0)


def is_private(info):
    """Whether an os.stat result is a regular file of mode 0600 with the right owner."""
    return stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == PRIVATE_MODE and not wrong_owner(info)


def make_private(path, info):
    """Mode 0600 (and root's, when run as root) for a file whose content is already right."""
    if stat.S_IMODE(info.st_mode) != PRIVATE_MODE:
        os.chmod(path, PRIVATE_MODE)
    if wrong_owner(info):
        os.chown(path, 0, 0)


def stale_temporaries(path):
    """The temporary files of write_private(path) that a killed write left: regular files only, never symlinks, and
    only those untouched for STALE_AFTER seconds (a younger one may be another run's write under way)."""
    pattern = re.compile(r'\.%s\.%s\Z' % (re.escape(os.path.basename(path)), TEMPORARY_SUFFIX))
    try:
        entries = list(os.scandir(os.path.dirname(path)))
    except OSError:
        return []
    stale = []
    for entry in entries:
        try:
            if pattern.match(entry.name) and entry.is_file(follow_symlinks=False):
                if time.time() - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER:
                    stale.append(entry.path)
        except OSError:
            continue
    return sorted(stale)


def remove_stale(paths):
    """Removes the stale temporary files found before, each still a regular file."""
    for path in paths:
        try:
            if stat.S_ISREG(os.lstat(path).st_mode):
                os.unlink(path)
        except FileNotFoundError:
            continue


def write_private(path, text, uid=None, gid=None):
    """text in path, through a temporary file of mode 0600 beside it that then replaces path; uid and gid, where
    given, own the file from the start."""
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.%s.' % os.path.basename(path))
    try:
        with os.fdopen(handle, 'w', encoding='utf-8') as output:
            os.fchmod(output.fileno(), PRIVATE_MODE)
            if uid is not None or gid is not None:
                os.fchown(output.fileno(), -1 if uid is None else uid, -1 if gid is None else gid)
            output.write(text)
            output.flush()
            os.fsync(output.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
