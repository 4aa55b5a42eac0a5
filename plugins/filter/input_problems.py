# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The roles' input checks by the modules' own rules: each filter returns why a value is refused, as words to
follow the variable's name, or an empty string. Their documentation is in the .yml file of each filter's name."""

from __future__ import annotations

from ansible_collections.koding.gitlab.plugins.module_utils._input_checks import (
    host_problem,
    ip_address_problem,
    konfig_value_problems,
    port_problem,
    team_slug_problem,
    url_problem,
)


class FilterModule(object):
    def filters(self):
        return {
            'host_problem': host_problem,
            'ip_address_problem': ip_address_problem,
            'konfig_value_problems': konfig_value_problems,
            'port_problem': port_problem,
            'team_slug_problem': team_slug_problem,
            'url_problem': url_problem,
        }
