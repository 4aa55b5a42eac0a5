# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runs a module's main() in-process with given arguments and a fake requests.Session."""

from __future__ import annotations

import contextlib
import json
from unittest import mock

import pytest
from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19

    @contextlib.contextmanager
    def patch_module_args(args=None):
        serialized = json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}).encode()
        with mock.patch.object(basic, '_ANSIBLE_ARGS', serialized):
            yield


class ModuleExit(Exception):
    def __init__(self, result):
        super(ModuleExit, self).__init__(result)
        self.result = result


class ModuleFail(ModuleExit):
    pass


def _exit_json(self, **kwargs):  # pylint: disable=unused-argument
    kwargs.setdefault('changed', False)
    raise ModuleExit(kwargs)


def _fail_json(self, msg, **kwargs):  # pylint: disable=unused-argument
    kwargs['msg'] = msg
    kwargs['failed'] = True
    raise ModuleFail(kwargs)


def run_main(main, args, requests_module, session, check_mode=False, diff=False, expect_fail=False):
    """Run main() with args, requests_module.Session() answering session; return the result dict.

    Warnings the module gave through module.warn() come back in result['warnings'], as Ansible shows them.
    expect_fail=None accepts either ending (result['failed'] tells which).
    """
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    warnings = []

    def _warn(self, warning):  # pylint: disable=unused-argument
        warnings.append(warning)

    with patch_module_args(args), mock.patch.object(requests_module, 'Session', return_value=session), mock.patch.object(
        basic.AnsibleModule, 'warn', _warn
    ), mock.patch.object(basic.AnsibleModule, 'exit_json', _exit_json), mock.patch.object(basic.AnsibleModule, 'fail_json', _fail_json):
        with pytest.raises(ModuleExit) as caught:
            main()
    result = caught.value.result
    assert 'warnings' not in result, 'warnings must go through module.warn(), not exit_json(warnings=...)'
    result['warnings'] = warnings
    if expect_fail is not None:
        assert isinstance(caught.value, ModuleFail) == expect_fail, result
    return result
