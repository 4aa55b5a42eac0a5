# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""The checks of URL, host, port, address, token, text and number values, and Koding's rule for team slugs.

The *_problem checks return why a value is wrong, as words to follow its name ('' when it is fine); the roles reach
them through filters (koding.gitlab.url_problem and the others), so a role variable and a module option are
checked by the same rule. The validate_* checks return an error message naming the option, or None. None raises.
The standard library only: the filters load this in every task that uses one, where an HTTP client would cost
a tenth of a second.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from urllib.parse import urlsplit

from ansible_collections.koding.gitlab.plugins.module_utils._redaction import cut, redact

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


def shown_url(value):
    """A URL as it may appear in a message: user-info redacted, cut when very long."""
    shown = redact(value)
    if len(shown) > 200:
        shown = shown[:200] + '...'
    return repr(shown)


def url_problem(value, allow_userinfo=True):
    """Why value is not an absolute http(s) URL with a valid host and port, or '' when it is.

    The raw string is checked for whitespace and control characters, because urlsplit silently strips some.
    With allow_userinfo=False a user:password@ part is refused (its password is never echoed).
    """
    if not isinstance(value, str) or not value:
        return 'must be an absolute http:// or https:// URL with a host name, got %s' % ('nothing' if not value else type(value).__name__)
    if len(value) > MAX_URL:
        return 'is too long for a URL (%d characters, at most %d)' % (len(value), MAX_URL)
    if _UNSAFE.search(value):
        return (
            'must not contain whitespace or control characters; it has %s. Remove it (a value read from '
            'a file usually ends in a newline: use "| trim").' % _describe_unsafe(value)
        )
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError as exc:
        return 'is not a valid URL (%s): %s' % (redact(exc), shown_url(value))
    try:
        port = parts.port
    except ValueError:
        return 'has a port that is not a number between 1 and 65535: %s' % shown_url(value)
    if parts.scheme not in ('http', 'https') or not host:
        return 'must be an absolute http:// or https:// URL with a host name, got %s' % shown_url(value)
    if parts.username is not None or parts.password is not None or '@' in parts.netloc:
        if not allow_userinfo:
            return 'must not contain a user name or password (user:password@); give the credentials in their own options. Got %s' % shown_url(value)
    if port is not None and not 1 <= port <= 65535:
        return 'has port %s; a port must be between 1 and 65535' % port
    if parts.netloc.endswith(':'):
        return 'has an empty port after the host; remove the ":" or give a port'
    host_error = _host_error(host)
    if host_error:
        return 'has an invalid host name: %s. Got %s' % (host_error, shown_url(value))
    return ''


def validate_http_url(value, option, allow_userinfo=True):
    """An error message naming option if value is not an absolute http(s) URL (see url_problem), else None."""
    return _named('Option %s' % option, url_problem(value, allow_userinfo))


def _named(name, problem):
    return '%s %s' % (name, problem) if problem else None


def _host_error(host, strict=False):
    """Why host is not a valid host name ('' when it is). strict: letters, digits and '-' only, in ASCII (the
    name a service is published under, where DNS wildcards and TLS certificates must hold it as written)."""
    if ':' in host and not strict:  # an IPv6 literal; urlsplit has already checked the brackets
        return ''
    if len(host) > MAX_HOST:
        return 'it is %d characters long (at most %d)' % (len(host), MAX_HOST)
    if strict and not host.isascii():
        return 'it holds characters other than ASCII; give an internationalised name in its xn-- form'
    try:
        ascii_host = host.encode('idna').decode('ascii')
    except UnicodeError:
        return 'it cannot be encoded for DNS (IDNA), for example because a label is empty or over %d characters' % MAX_LABEL
    labels = ascii_host.split('.') if strict else ascii_host.rstrip('.').split('.')
    for label in labels:
        if len(label) > MAX_LABEL:
            return 'the label %r is %d characters long (at most %d)' % (label[:20] + '...', len(label), MAX_LABEL)
        if not (_STRICT_LABEL if strict else _HOST_LABEL).match(label):
            return 'the label %r may hold only letters, digits%s, and must not start or end with "-"' % (label, ' and "-"' if strict else ', "-" and "_"')
    return ''


_STRICT_LABEL = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$')


def host_problem(value, strict=True):
    """Why value is not a host name ('' when it is): letters, digits and dashes in labels of at most 63 characters,
    joined by dots, at most 253 characters, no whitespace or control characters. strict=False also takes "_" and
    internationalised names (as a URL may hold them)."""
    if not isinstance(value, str) or not value:
        return 'is not a host name: it is %s' % ('empty' if not value else 'a %s' % type(value).__name__)
    if _UNSAFE.search(value):
        return 'is not a host name: it has %s' % _describe_unsafe(value)
    problem = _host_error(value, strict=strict)
    return 'is not a host name: %s' % problem if problem else ''


def port_problem(value, maximum=65535):
    """Why value is not a TCP port from 1 to maximum ('' when it is); a whole number, given as such or as digits."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not ('%s' % value).isdigit() or not ('%s' % value).isascii():
        return 'is not a port number from 1 to %d: %s' % (maximum, _quoted(value))
    if not 1 <= int(value) <= maximum:
        return 'is not a port number from 1 to %d: %s' % (maximum, int(value))
    return ''


def ip_address_problem(value):
    """Why value is not an IPv4 or IPv6 address ('' when it is); the value itself is not quoted."""
    try:
        ipaddress.ip_address(value if isinstance(value, str) else '')
    except ValueError:
        return 'is not an IP address (such as 0.0.0.0, 203.0.113.7 or ::)'
    return ''


def _quoted(value):
    """A value as a message may show it: JSON-quoted, cut when long, URL user-info redacted."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = type(value).__name__
    return cut(redact(text), 100)


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


# Koding's rule for team slugs (servers/lib/server/handlers/createteam.coffee, validators.coffee
# validateTeamDomain). JavaScript's $ does not match before a final newline: use fullmatch.
TEAM_SLUG = re.compile(r'[a-z0-9]+(-[a-z0-9]+)*')
# The team domains Koding refuses (workers/social/lib/social/models/user/reservedteamdomains.coffee
# at the pinned commit). Koding checks them only after converting the admin user, so they are checked first here.
RESERVED_SLUGS = frozenset(
    '''
    www m ftp imap pop smtp mail webmail blog wiki support kb help static api media vpn admin beta files
    resources secure ssl status mobile search videos aws do digitalocean learn localhost ns0 ns1 stories dev
    latest sandbox cebeci dev-p dev-p2 email kite lessons new prod proxy-ap-southeast-1 proxy-eu-west-1
    proxy-us-east-1 proxy-us-west-2 s3 up inbound devtunnelproxy p p2 t t2 dev-t dev-t2 proxy tunnelproxy
    test hello all channel admins group team info
'''.split()
)


def team_slug_problem(slug):
    """Why Koding would refuse slug as a team slug, as words to follow its name; '' when it takes it."""
    if not isinstance(slug, str) or not TEAM_SLUG.fullmatch(slug):
        shown = cut(repr(slug) if isinstance(slug, str) else type(slug).__name__, 80)
        return 'must be lower-case letters and digits joined by single dashes (^%s$), got %s' % (TEAM_SLUG.pattern, shown)
    if slug in RESERVED_SLUGS:
        return 'is %r, a team domain Koding reserves; choose another slug' % slug
    return ''


# What koding.env, written KEY='value' with no escaping, cannot carry.
_ENV_UNSAFE = re.compile("['\n\r]")
# The strings Koding's koding-config-manager would not read back unchanged: it JSON-parses every KONFIG_* value
# (and ignores false, null and 0).
_KONFIG_NOT_STRING = re.compile(r'^\s*(false|null|-?0[0-9]*|-?[0-9]{16,}|-?[0-9]+(\.[0-9]+)?[eE][-+]?[0-9]+|-?[0-9]+\.[0-9]+|[\[{"].*)\s*$')


def konfig_value_problems(values, string_names):
    """The problems of the KONFIG_* values for Koding's env file, one message each (an empty list when there is none).

    values: the KONFIG_* names and values; string_names: the names Koding must read as strings, each with the name
    the operator knows it by (the message names that one)."""
    unsafe = [string_names.get(name, name) for name, value in values.items() if isinstance(value, str) and _ENV_UNSAFE.search(value)]
    not_strings = [string_names[name] for name, value in values.items() if name in string_names and isinstance(value, str) and _KONFIG_NOT_STRING.search(value)]
    problems = []
    if unsafe:
        problems.append('These values contain a single quote or a line break, which the env file cannot carry: %s.' % ', '.join(unsafe))
    if not_strings:
        problems.append(
            '%s: Koding reads KONFIG_* values raw and JSON-parses them in Node (koding-config-manager, which also ignores false, '
            'null and 0), so this value would not reach it unchanged (leading zeros, more than 15 digits, a decimal, false, null, '
            'a list or an object). Use another value.' % ', '.join(not_strings)
        )
    return problems
