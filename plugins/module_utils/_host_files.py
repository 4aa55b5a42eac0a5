# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""Reading a host's files the way the read-only modules look at them: a file that cannot be read is no answer."""

from __future__ import annotations


def read_text(path, limit=-1):
    """The UTF-8 text of PATH (its first LIMIT characters when LIMIT is not -1); None when it cannot be read."""
    try:
        with open(path, encoding='utf-8') as handle:
            return handle.read(limit)
    except (OSError, ValueError, TypeError):
        return None
