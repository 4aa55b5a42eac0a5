# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runs one of the collection's modules inside the worker process when its task runs on the controller.

The GitLab modules only talk to an HTTP API, and the roles run them on the controller (delegate_to: localhost).
The host modules (the probes, the kept secrets and credentials, the team check) run on the Koding host, which
can be the controller itself (a local connection, as in the lab or on an all-in-one machine). There a module run
would start a new Python for nothing; inside the worker process that Ansible forks for the task anyway, the
module's own main() runs with the same arguments, check and diff mode, no_log masking and result handling (its
JSON answer is parsed as Ansible parses a module's output), in a fraction of the time. As ansible.netcommon's
direct execution does, for the same reason.

Anywhere else (another host, become, a task environment, async, another Python for the controller host) the
module runs as any module does.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import io
import json
import os
import sys

from ansible.module_utils import basic
from ansible.module_utils.common.json import Direction, get_module_encoder
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

# The serialization of modules without metadata, which these modules are.
PROFILE = 'legacy'
MODULES_PACKAGE = 'ansible_collections.koding.gitlab.plugins.modules'


class ControllerModuleAction(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    # An async task runs the module as any module runs.
    _supports_async = True
    # Keys of the module's answer that hold secrets no option gave it: when one is set, the whole result is hidden
    # from the output (callbacks, -v), while a registered variable still holds it. A module cannot mark its own
    # result as no_log, and nothing else would mask them.
    secret_keys = ()

    def run(self, tmp=None, task_vars=None):
        result = super(ControllerModuleAction, self).run(tmp, task_vars)
        del tmp  # not used, kept for the ActionBase signature
        task_vars = task_vars or {}

        # The task's args already include module_defaults; check and diff mode travel with the task.
        module_name = self._task.resolved_action or self._task.action
        if self.runs_in_process(task_vars):
            result = merge_hash(result, self.run_in_process(module_name, task_vars))
        else:
            wrap_async = bool(self._task.async_val)
            result = merge_hash(result, self._execute_module(module_name=module_name, module_args=self._task.args, task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
        if any(result.get(key) is not None for key in self.secret_keys):
            result['_ansible_no_log'] = True
        return result

    def runs_in_process(self, task_vars):
        """Whether the module would run on the controller, as this process, with nothing the worker lacks."""
        if getattr(self._connection, 'transport', None) != 'local':
            return False
        # A task without an environment has [{}].
        if self._play_context.become or any(self._task.environment or ()) or self._task.async_val:
            return False
        interpreter = task_vars.get('ansible_python_interpreter')
        if interpreter is None:
            return True
        interpreter = self._templar.template(interpreter)
        return os.path.realpath('%s' % interpreter) == os.path.realpath(sys.executable)

    @staticmethod
    def load_module(module_name):
        return importlib.import_module('%s.%s' % (MODULES_PACKAGE, module_name.rpartition('.')[2]))

    def run_in_process(self, module_name, task_vars):
        module_args = copy.deepcopy(dict(self._task.args))
        self._update_module_args(module_name, module_args, task_vars)
        module = self.load_module(module_name)

        # What the AnsiballZ wrapper does before it runs a module: its arguments, then main(), which prints its
        # answer and exits.
        encoder = get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)
        saved = basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE
        basic._ANSIBLE_ARGS = json.dumps(dict(ANSIBLE_MODULE_ARGS=module_args), cls=encoder).encode()
        basic._ANSIBLE_PROFILE = PROFILE
        output = io.StringIO()
        try:
            with contextlib.redirect_stdout(output):
                module.main()
        except SystemExit:
            pass
        finally:
            basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = saved

        parsed = self._parse_returned_data(dict(rc=0, stdout=output.getvalue(), stdout_lines=[], stderr='', stderr_lines=[]), PROFILE)
        if hasattr(parsed, 'as_result_dict'):
            parsed.remove_internal_keys()
            return parsed.as_result_dict(for_round_trip=True)
        return parsed
