# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.
"""Whether a directory may be made private (0700, root) by the collection.

The koding role keeps its project directory and the gitlab_wiring role keeps the credentials file's directory
private, and set that mode on every run. A system directory, or one shared with other software, must never get it.
One rule for the roles' input checks (the koding.gitlab.private_dir_problem filter) and the modules.
"""

from __future__ import annotations

import posixpath

# Trees that belong to the system or to other software: nothing below them is the collection's to make private.
SYSTEM_TREES = (
    '/bin',
    '/boot',
    '/dev',
    '/lib',
    '/lib32',
    '/lib64',
    '/libx32',
    '/proc',
    '/run',
    '/sbin',
    '/sys',
    '/usr',
    '/var/cache',
    '/var/lib/apt',
    '/var/lib/dpkg',
    '/var/lib/docker',
    '/var/lib/containerd',
    '/var/log',
    '/var/mail',
    '/var/spool',
)
# Directories shared by many: a dedicated directory below them is fine, they themselves are not.
SHARED_DIRS = ('/', '/etc', '/etc/opt', '/home', '/media', '/mnt', '/opt', '/root', '/srv', '/tmp', '/var', '/var/lib', '/var/opt', '/var/tmp')


def private_dir_problem(path):
    """Why the directory PATH must not be made private, or '' when it may be (PATH taken as the system resolves it)."""
    if not isinstance(path, str) or not path:
        return 'is empty'
    if any(ord(char) < 32 or ord(char) == 127 for char in path):
        return 'contains a control character'
    if not path.startswith('/'):
        return 'is not an absolute path'
    # What the path names once `.`, `..` and doubled slashes are resolved, as the system resolves them.
    normal = posixpath.normpath(path)
    if normal.startswith('//'):
        normal = '/' + normal.lstrip('/')
    for tree in SYSTEM_TREES:
        if normal == tree or normal.startswith(tree + '/'):
            return 'is in %s, which belongs to the system' % tree
    if normal in SHARED_DIRS:
        return 'is %s, a directory shared with other software' % normal
    return ''
