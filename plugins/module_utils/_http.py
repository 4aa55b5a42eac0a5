# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""What the collection's HTTP clients (GitLab, Koding) share: their user agent and URL option checks."""

from __future__ import annotations

from urllib.parse import urlsplit

COLLECTION_VERSION = '0.1.0'
USER_AGENT = 'koding.gitlab/%s' % COLLECTION_VERSION


def validate_http_url(value, option):
    """Return an error message if value is not an absolute http(s) URL with a host, else None."""
    try:
        parts = urlsplit(value or '')
        host = parts.hostname
    except ValueError as exc:
        return 'Option %s is not a valid URL (%s): %r' % (option, exc, value)
    if parts.scheme not in ('http', 'https') or not host:
        return 'Option %s must be an absolute http:// or https:// URL with a host name, got %r' % (option, value)
    return None
