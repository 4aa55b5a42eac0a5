# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.koding.gitlab.plugins.filter.private_dir_problem import FilterModule
from ansible_collections.koding.gitlab.plugins.module_utils._private_dir import private_dir_problem


@pytest.mark.parametrize(
    'path',
    ['/opt/koding-stack', '/etc/koding', '/srv/koding/stack', '/var/lib/koding', '/tmp/checkout/.lab/site/stack', '/home/ops/koding', '/koding'],
)
def test_dedicated_directories_pass(path):
    assert private_dir_problem(path) == ''


@pytest.mark.parametrize(
    'path, problem',
    [
        ('', 'is empty'),
        (None, 'is empty'),
        (['/opt/x'], 'is empty'),
        ('koding-stack', 'is not an absolute path'),
        ('/etc/koding/..', 'is /etc, a directory shared with other software'),
        ('//etc', 'is /etc, a directory shared with other software'),
        ('/opt/koding/../../usr/lib', 'is in /usr, which belongs to the system'),
        ('/opt/./koding', ''),
        ('/opt//koding', ''),
        ('/tmp/checkout/tests/molecule/../../.lab/stack', ''),
        ('/opt/koding\n', 'contains a control character'),
        ('/usr/bin', 'is in /usr, which belongs to the system'),
        ('/usr/local/koding', 'is in /usr, which belongs to the system'),
        ('/var/log/koding', 'is in /var/log, which belongs to the system'),
        ('/var/lib/docker/koding', 'is in /var/lib/docker, which belongs to the system'),
        ('/run', 'is in /run, which belongs to the system'),
        ('/', 'is /, a directory shared with other software'),
        ('/etc', 'is /etc, a directory shared with other software'),
        ('/var/lib', 'is /var/lib, a directory shared with other software'),
        ('/tmp', 'is /tmp, a directory shared with other software'),
        ('/libfoo', ''),
    ],
)
def test_system_and_shared_directories_are_refused(path, problem):
    assert private_dir_problem(path) == problem


def test_the_filter_is_the_same_rule():
    assert FilterModule().filters()['private_dir_problem'] is private_dir_problem
