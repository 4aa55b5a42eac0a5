# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runs koding.gitlab.gitlab_oauth_app and hides its result from the output when it carries a new secret.

A module cannot mark its own result as no_log, and the secret GitLab generates is not the value of a
no_log option, so nothing else would mask it. With _ansible_no_log set here, callbacks (and -v/-vvv
output) show a censored result, while a registered variable still holds the secret.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    # No async: the secret would come back through async_status, where this plugin cannot hide it.
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # not used, kept for the ActionBase signature

        # The task's args already include module_defaults; check and diff mode travel with the task.
        module_name = self._task.resolved_action or self._task.action
        result = merge_hash(result, self._execute_module(module_name=module_name, module_args=self._task.args, task_vars=task_vars))
        self._remove_tmp_path(self._connection._shell.tmpdir)

        if result.get('secret') is not None:
            result['_ansible_no_log'] = True
        return result
