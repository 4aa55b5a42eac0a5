# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.koding.gitlab.plugins.action.gitlab_oauth_app import ActionModule


def make_action(check_mode=False):
    task = mock.MagicMock()
    task.async_val = 0
    task.check_mode = check_mode
    task.args = dict(name='Koding', scopes=['api'])
    task.resolved_action = 'koding.gitlab.gitlab_oauth_app'
    connection = mock.MagicMock()
    connection._shell.tmpdir = None
    return ActionModule(task, connection, mock.MagicMock(), loader=None, templar=None, shared_loader_obj=None)


@pytest.mark.parametrize(
    'module_result, hidden',
    [
        (dict(changed=True, secret='gloas-new', application={'id': 1}), True),
        (dict(changed=False, application={'id': 1}), False),
    ],
)
def test_result_with_secret_is_hidden(module_result, hidden):
    action = make_action()
    with mock.patch.object(ActionModule, '_execute_module', return_value=dict(module_result)) as execute, mock.patch.object(ActionModule, '_remove_tmp_path'):
        result = action.run(task_vars={})
    execute.assert_called_once_with(module_name='koding.gitlab.gitlab_oauth_app', module_args=action._task.args, task_vars={})
    assert result.get('_ansible_no_log', False) is hidden
    assert result.get('secret') == module_result.get('secret')


def test_check_mode_is_supported():
    action = make_action(check_mode=True)
    with mock.patch.object(ActionModule, '_execute_module', return_value=dict(changed=True)), mock.patch.object(ActionModule, '_remove_tmp_path'):
        assert action.run(task_vars={})['changed']
