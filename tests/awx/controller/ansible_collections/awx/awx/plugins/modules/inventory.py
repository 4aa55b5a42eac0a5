# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Records a call of awx.awx.inventory (tests/awx/README.md)."""

from __future__ import annotations

from ansible_collections.awx.awx.plugins.module_utils.recorder import main

if __name__ == '__main__':
    main('inventory')
