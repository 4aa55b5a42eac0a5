# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runs koding.gitlab.koding_team on the Docker host, in the worker process when that host is the controller itself (a
local connection with the controller's Python).
"""

from __future__ import annotations

from ansible_collections.koding.gitlab.plugins.plugin_utils._controller_module import ControllerModuleAction


class ActionModule(ControllerModuleAction):
    pass
