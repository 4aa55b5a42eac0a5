# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The attributes every module documents; each module states its own support level.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
"""

    # Membership of the koding.gitlab.gitlab action group (meta/runtime.yml).
    ACTIONGROUP_GITLAB = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/koding.gitlab.gitlab) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - koding.gitlab.gitlab
"""

    # Membership of the koding.gitlab.koding action group (meta/runtime.yml).
    ACTIONGROUP_KODING = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/koding.gitlab.koding) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - koding.gitlab.koding
"""

    # What every *_info module documents: it reads and never writes.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - The module only reads; it runs the same in check mode.
  diff_mode:
    support: N/A
    details:
      - The module only reads.
  idempotent:
    support: full
"""
