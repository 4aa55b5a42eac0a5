# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""The placeholder shown instead of any secret, for modules that need it without an HTTP client."""

from __future__ import annotations

# Shown instead of any secret (and any URL user-info) in messages, diffs and results.
SECRET_PLACEHOLDER = '********'
