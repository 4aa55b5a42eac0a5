# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runs koding.gitlab.gitlab_koding_settings in the worker process when its task runs on the controller (see plugin_utils)."""

from __future__ import annotations

from ansible_collections.koding.gitlab.plugins.plugin_utils._controller_module import ControllerModuleAction


class ActionModule(ControllerModuleAction):
    pass
