# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runs koding.gitlab.gitlab_oauth_app (in the worker process on the controller) and hides its result from the
output when it carries a new secret: the secret GitLab generates is not the value of a no_log option.
"""

from __future__ import annotations

from ansible_collections.koding.gitlab.plugins.plugin_utils._controller_module import ControllerModuleAction


class ActionModule(ControllerModuleAction):
    # No async: the secret would come back through async_status, where this plugin cannot hide it.
    _supports_async = False
    secret_keys = ('secret',)
