# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""What the collection's HTTP clients (GitLab, Koding) share.

The one guarded import of requests, the user agent (with the collection's version), and the checks of URL,
token and number options. Every check returns an error message naming the option, or None; none raises.
"""

from __future__ import annotations

import math
import re
import traceback
from urllib.parse import urlsplit

from ansible_collections.koding.gitlab.plugins.module_utils._placeholder import SECRET_PLACEHOLDER  # noqa: F401 (re-exported)

REQUESTS_IMPORT_ERROR = None
try:
    # Imported here once for both clients, which take them from this module.
    import requests  # pylint: disable=unused-import
    import urllib3  # pylint: disable=unused-import
except ImportError:
    requests = None
    urllib3 = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True

# Keep in step with galaxy.yml (a unit test checks it).
COLLECTION_VERSION = '0.1.0'
USER_AGENT = 'koding.gitlab/%s' % COLLECTION_VERSION


# Any whitespace or control character (C0, DEL, C1, and the Unicode line/paragraph separators).
_UNSAFE = re.compile(r'[\s\x00-\x1f\x7f-\x9f\u2028\u2029]')
_HOST_LABEL = re.compile(r'^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?$')
MAX_LABEL = 63
MAX_HOST = 253
MAX_URL = 8192


def _describe_unsafe(value):
    """Where the first whitespace or control character is, in words (without quoting the value)."""
    match = _UNSAFE.search(value)
    char = match.group(0)
    names = {'\n': 'a newline', '\r': 'a carriage return', '\t': 'a tab', ' ': 'a space'}
    what = names.get(char, 'the character U+%04X' % ord(char))
    if match.start() == len(value) - 1 and len(value) > 1:
        where = 'at the end'
    elif match.start() == 0:
        where = 'at the start'
    else:
        where = 'at position %d' % (match.start() + 1)
    return '%s %s' % (what, where)


_USERINFO = re.compile(r'([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@')


def redact_userinfo(text):
    """Text with the user-info of every URL in it (scheme://user:password@) replaced by the placeholder."""
    if not isinstance(text, str) or '@' not in text:
        return text
    return _USERINFO.sub(lambda match: match.group(1) + SECRET_PLACEHOLDER + '@', text)


def redact_url(value):
    """The URL with any user-info (user:password@) replaced by the placeholder; other values unchanged."""
    return redact_userinfo(value)


def _shown(value):
    """A URL as it may appear in a message: user-info redacted, cut when very long."""
    shown = redact_url(value)
    if len(shown) > 200:
        shown = shown[:200] + '...'
    return repr(shown)


def validate_http_url(value, option, allow_userinfo=True):
    """Return an error message if value is not an absolute http(s) URL with a valid host and port, else None.

    The raw string is checked for whitespace and control characters, because urlsplit silently strips some.
    With allow_userinfo=False a user:password@ part is refused (its password is never echoed).
    """
    if not isinstance(value, str) or not value:
        return 'Option %s must be an absolute http:// or https:// URL with a host name, got %s' % (option, 'nothing' if not value else type(value).__name__)
    if len(value) > MAX_URL:
        return 'Option %s is too long for a URL (%d characters, at most %d)' % (option, len(value), MAX_URL)
    if _UNSAFE.search(value):
        return (
            'Option %s must not contain whitespace or control characters; it has %s. Remove it (a value read from '
            'a file usually ends in a newline: use "| trim").' % (option, _describe_unsafe(value))
        )
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError as exc:
        return 'Option %s is not a valid URL (%s): %s' % (option, redact_url('%s' % exc), _shown(value))
    try:
        port = parts.port
    except ValueError:
        return 'Option %s has a port that is not a number between 1 and 65535: %s' % (option, _shown(value))
    if parts.scheme not in ('http', 'https') or not host:
        return 'Option %s must be an absolute http:// or https:// URL with a host name, got %s' % (option, _shown(value))
    if parts.username is not None or parts.password is not None or '@' in parts.netloc:
        if not allow_userinfo:
            return 'Option %s must not contain a user name or password (user:password@); give the credentials in their own options. Got %s' % (
                option,
                _shown(value),
            )
    if port is not None and not 1 <= port <= 65535:
        return 'Option %s has port %s; a port must be between 1 and 65535' % (option, port)
    if parts.netloc.endswith(':'):
        return 'Option %s has an empty port after the host; remove the ":" or give a port' % option
    host_error = _host_error(host)
    if host_error:
        return 'Option %s has an invalid host name: %s. Got %s' % (option, host_error, _shown(value))
    return None


def _host_error(host):
    if ':' in host:  # an IPv6 literal; urlsplit has already checked the brackets
        return None
    if len(host) > MAX_HOST:
        return 'it is %d characters long (at most %d)' % (len(host), MAX_HOST)
    try:
        ascii_host = host.encode('idna').decode('ascii')
    except UnicodeError:
        return 'it cannot be encoded for DNS (IDNA), for example because a label is empty or over %d characters' % MAX_LABEL
    for label in ascii_host.rstrip('.').split('.'):
        if len(label) > MAX_LABEL:
            return 'the label %r is %d characters long (at most %d)' % (label[:20] + '...', len(label), MAX_LABEL)
        if not _HOST_LABEL.match(label):
            return 'the label %r may hold only letters, digits, "-" and "_", and must not start or end with "-"' % label
    return None


def validate_token(value, option, ascii_only=False):
    """Return an error message if a token holds whitespace or control characters (never quoting the token), else None.

    With ascii_only (a token sent in an HTTP header) any character outside printable ASCII is refused too.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        return 'Option %s must be a string' % option
    if value == '':
        return 'Option %s must not be empty' % option
    if _UNSAFE.search(value):
        return (
            'Option %s must not contain whitespace or control characters; it has %s. The module does not strip it: '
            'remove it (a token read from a file usually ends in a newline: use "| trim").' % (option, _describe_unsafe(value))
        )
    if ascii_only and not all(' ' < char < '\x7f' for char in value):
        return (
            'Option %s must hold only printable ASCII characters (it is sent in an HTTP header); it has another '
            'character. Check that the right value was given.' % option
        )
    return None


def validate_text(value, option):
    """Return an error message if a single-line text option holds control characters, else None."""
    if value is None:
        return None
    if re.search(r'[\x00-\x08\x0b-\x1f\x7f]', value):
        return 'Option %s must not contain control characters' % option
    return None


def validate_number(value, option, minimum=None, maximum=None, exclusive_minimum=False):
    """Return an error message if value is not a finite number within the bounds, else None."""
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return 'Option %s must be a finite number, got %s' % (option, value)
    if minimum is not None:
        if exclusive_minimum and value <= minimum:
            return 'Option %s must be greater than %s, got %s' % (option, minimum, value)
        if not exclusive_minimum and value < minimum:
            return 'Option %s must not be less than %s, got %s' % (option, minimum, value)
    if maximum is not None and value > maximum:
        return 'Option %s must not be more than %s, got %s' % (option, maximum, value)
    return None
