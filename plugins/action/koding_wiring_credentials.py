# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runs koding.gitlab.koding_wiring_credentials on the Koding host, in the worker process when that host is the
controller itself, and hides its result from the output when it carries the kept credentials.
"""

from __future__ import annotations

from ansible_collections.koding.gitlab.plugins.plugin_utils._controller_module import ControllerModuleAction


class ActionModule(ControllerModuleAction):
    # No async: the secrets would come back through async_status, where this plugin cannot hide them.
    _supports_async = False
    secret_keys = ('credentials',)
