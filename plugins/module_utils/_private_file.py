# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""A file only its owner may read (mode 0600), written so that nobody else can read it even for a moment."""

from __future__ import annotations

import os
import stat
import tempfile

PRIVATE_MODE = 0o600


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


def write_private(path, text):
    """text in path, through a temporary file of mode 0600 beside it that then replaces path."""
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.%s.' % os.path.basename(path))
    try:
        with os.fdopen(handle, 'w', encoding='utf-8') as output:
            os.fchmod(output.fileno(), PRIVATE_MODE)
            output.write(text)
            output.flush()
            os.fsync(output.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
