# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import importlib
import json
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.koding.gitlab.plugins.action.gitlab_oauth_app import ActionModule
from ansible_collections.koding.gitlab.plugins.action.gitlab_system_hook import ActionModule as SystemHookAction
from ansible_collections.koding.gitlab.plugins.plugin_utils import _controller_module


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
    execute.assert_called_once_with(module_name='koding.gitlab.gitlab_oauth_app', module_args=action._task.args, task_vars={}, wrap_async=False)
    assert result.get('_ansible_no_log', False) is hidden
    assert result.get('secret') == module_result.get('secret')


def test_check_mode_is_supported():
    action = make_action(check_mode=True)
    with mock.patch.object(ActionModule, '_execute_module', return_value=dict(changed=True)), mock.patch.object(ActionModule, '_remove_tmp_path'):
        assert action.run(task_vars={})['changed']


def controller_action():
    action = make_action()
    action._connection.transport = 'local'
    action._play_context.become = False
    action._task.environment = [{}]
    return action


class FakeModule:
    """A module that answers as the AnsiballZ wrapper would see it answer: JSON on stdout, then exit."""

    def __init__(self, answer):
        self.answer = answer
        self.args = None

    def main(self):
        self.args = json.loads(basic._ANSIBLE_ARGS)['ANSIBLE_MODULE_ARGS']
        print(json.dumps(self.answer))
        raise SystemExit(0)


@pytest.mark.parametrize('answer, hidden', [(dict(changed=True, secret='gloas-new'), True), (dict(changed=False), False)])
def test_on_the_controller_the_module_runs_in_process(answer, hidden):
    action = controller_action()
    module = FakeModule(answer)
    with mock.patch.object(ActionModule, 'load_module', return_value=module) as load, mock.patch.object(
        ActionModule, '_execute_module'
    ) as execute, mock.patch.object(ActionModule, '_update_module_args'):
        result = action.run(task_vars={})
    load.assert_called_once_with('koding.gitlab.gitlab_oauth_app')
    assert _controller_module.ControllerModuleAction.load_module('koding.gitlab.gitlab_system_hook').__name__.endswith('.modules.gitlab_system_hook')
    execute.assert_not_called()
    assert module.args == dict(name='Koding', scopes=['api'])
    assert result.get('_ansible_no_log', False) is hidden
    assert result['changed'] is answer['changed']
    # The worker's own state is as before.
    assert basic._ANSIBLE_ARGS is None


@pytest.mark.parametrize(
    'change',
    [
        dict(become=True),
        dict(environment=[{'GITLAB_URL': 'https://gitlab.example.com'}]),
        dict(interpreter='/usr/bin/python-elsewhere'),
    ],
)
def test_elsewhere_the_module_runs_as_any_module(change):
    action = controller_action()
    action._play_context.become = change.get('become', False)
    action._task.environment = change.get('environment', [])
    action._task.async_val = change.get('async_val', 0)
    action._templar = mock.MagicMock()
    action._templar.template.side_effect = lambda value: value
    task_vars = dict(ansible_python_interpreter=change['interpreter']) if 'interpreter' in change else {}
    with mock.patch.object(ActionModule, '_execute_module', return_value=dict(changed=False)) as execute, mock.patch.object(ActionModule, '_remove_tmp_path'):
        action.run(task_vars=task_vars)
    execute.assert_called_once()


def test_an_async_task_runs_the_module_as_any_module():
    action = controller_action()
    action._task.async_val = 10
    action._connection.has_native_async = False
    action.__class__ = SystemHookAction
    with mock.patch.object(SystemHookAction, '_execute_module', return_value=dict(changed=False)) as execute:
        action.run(task_vars={})
    assert execute.call_args.kwargs['wrap_async'] is True


HOST_ACTIONS = {
    'docker_engine_info': (),
    'koding_deployment_info': ('secrets',),
    'koding_secrets': ('secrets',),
    'koding_team': (),
    'koding_wiring_credentials': ('credentials',),
}


@pytest.mark.parametrize('name', sorted(HOST_ACTIONS))
@pytest.mark.parametrize('transport', ['local', 'ssh'])
def test_a_host_module_runs_in_process_only_where_the_host_is_the_controller(name, transport):
    action_class = importlib.import_module('ansible_collections.koding.gitlab.plugins.action.%s' % name).ActionModule
    action = controller_action()
    action.__class__ = action_class
    action._task.resolved_action = 'koding.gitlab.%s' % name
    action._connection.transport = transport
    secret_keys = HOST_ACTIONS[name]
    answer = dict(changed=False, **{key: {'kept': 'x' * 40} for key in secret_keys})
    module = FakeModule(answer)
    with mock.patch.object(action_class, 'load_module', return_value=module) as load, mock.patch.object(
        action_class, '_execute_module', return_value=dict(answer)
    ) as execute, mock.patch.object(action_class, '_update_module_args'), mock.patch.object(action_class, '_remove_tmp_path'):
        result = action.run(task_vars={})
    if transport == 'local':
        load.assert_called_once_with('koding.gitlab.%s' % name)
        execute.assert_not_called()
    else:
        load.assert_not_called()
        execute.assert_called_once()
    # A result that carries kept secrets is hidden from the output wherever the module ran.
    assert result.get('_ansible_no_log', False) is bool(secret_keys)
    # Secrets would come back through async_status, where the plugin cannot hide them.
    assert action_class._supports_async is not bool(secret_keys)
