# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""What the collection's HTTP clients (GitLab, Koding) share.

The one guarded import of requests, the user agent (with the collection's version), the checks of URL,
token and number options, the redaction of secrets from text, and the transport (send) every request goes through.
Every check returns an error message naming the option, or None; none raises.
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
import traceback
from urllib.parse import quote, quote_plus, unquote, urlsplit, urlunsplit

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


# Shorter values would mangle every message; Ansible masks no_log values in its output anyway.
MIN_SECRET_VARIANT = 6


def secret_variants(secret):
    """A secret and every form it may take in a message: as given, stripped, each whitespace-separated piece,
    and as the module's own encodings write it (form and URL encoding, JSON and repr escaping)."""
    if not isinstance(secret, str) or not secret:
        return []
    forms = set([secret, secret.strip()])
    forms.update(piece for piece in secret.split())
    variants = set()
    for form in forms:
        variants.update((form, quote_plus(form), quote(form, safe=''), quote(form), json.dumps(form)[1:-1], repr(form)[1:-1]))
        variants.add(json.dumps(form, ensure_ascii=False)[1:-1])
    return sorted((v for v in variants if len(v) >= MIN_SECRET_VARIANT), key=len, reverse=True)


def url_secrets(url):
    """The secrets a URL may hold: its user-info (user:password@), the password, both decoded, and the Basic
    authorization requests makes of them; [] without user-info."""
    match = _USERINFO.match(url.strip()) if isinstance(url, str) else None
    if not match:
        return []
    userinfo = match.group(0)[len(match.group(1)) : -1]
    user, dummy, password = userinfo.partition(':')
    secrets = [userinfo, password, unquote(userinfo), unquote(password)]
    try:
        secrets.append(base64.b64encode(('%s:%s' % (unquote(user), unquote(password))).encode('latin-1')).decode('ascii'))
    except UnicodeError:
        pass
    return [secret for secret in dict.fromkeys(secrets) if secret]


def redact(text, secrets=()):
    """Text with every given secret form (see secret_variants) and every URL's user-info replaced by the placeholder."""
    text = '%s' % (text,)
    for secret in secrets:
        text = text.replace(secret, SECRET_PLACEHOLDER)
    return redact_userinfo(text)


def cut(text, limit=300):
    """Text cut to limit characters (with '...'), for quoting a server's answer in a message."""
    text = '%s' % (text,)
    return text if len(text) <= limit else text[:limit] + '...'


def _shown(value):
    """A URL as it may appear in a message: user-info redacted, cut when very long."""
    shown = redact_userinfo(value)
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
        return 'Option %s is not a valid URL (%s): %s' % (option, redact_userinfo('%s' % exc), _shown(value))
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


def ascii_url(url, option='url'):
    """The URL with its host name IDNA-encoded (as DNS and the Host header carry it); ValueError naming option if it cannot be."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition('@')
    if hostport.isascii():
        return url
    host, colon, port = hostport.partition(':')
    try:
        host = host.encode('idna').decode('ascii')
    except UnicodeError:
        raise ValueError('Option %s has a host name that cannot be encoded for DNS (IDNA): %s' % (option, _shown(url))) from None
    return urlunsplit((parts.scheme, userinfo + at + host + colon + port, parts.path, parts.query, parts.fragment))


# -- JSON -----------------------------------------------------------------------------------


def parse_json(text):
    """json.loads, with nesting too deep for the parser refused as invalid (ValueError) rather than a RecursionError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError('the JSON is nested too deeply') from None


def json_body(response):
    """A response's body as JSON, or None when it is not JSON (or nested too deeply)."""
    try:
        return parse_json(response.content)
    except (ValueError, UnicodeError, TypeError):
        return None


# -- transport ------------------------------------------------------------------------------

# The most of a body read into memory; a larger answer is refused.
MAX_BODY = 32 * 1024 * 1024
CHUNK = 64 * 1024


class ResponseError(OSError):
    """An answer that could not be read whole: too slow for the deadline, or too large."""


class ResponseTooSlow(ResponseError):
    pass


class ResponseTooLarge(ResponseError):
    pass


def send(session, method, url, timeout, verify=True, max_body=None, **kwargs):
    """One request, its answer (status line, headers and body) read whole within timeout seconds in all.

    A server that trickles its answer a byte at a time is cut off at the deadline: requests' own timeout bounds
    each read only. The request runs in a daemon thread that is left behind when the deadline passes (it stops at
    its next read, or when the module exits).
    verify is passed on every request: set only on the session, it loses to REQUESTS_CA_BUNDLE and
    CURL_CA_BUNDLE, which requests merges into every request (so validate_certs=false had no effect).
    Redirects are never followed. Raises what requests raises, or ResponseTooSlow / ResponseTooLarge.
    """
    deadline = time.monotonic() + timeout
    outcome = {}

    def exchange():
        try:
            outcome['response'] = _exchange(session, method, url, timeout, verify, deadline, max_body or MAX_BODY, kwargs)
        except BaseException as error:  # pylint: disable=broad-exception-caught
            outcome['error'] = error

    worker = threading.Thread(target=exchange, name='koding.gitlab request', daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()) + DEADLINE_GRACE)
    if 'error' in outcome:
        raise outcome['error']
    if 'response' not in outcome:
        raise ResponseTooSlow(_too_slow(timeout))
    return outcome['response']


# Seconds past the deadline the caller waits for the request's own timeout to report first.
DEADLINE_GRACE = 0.25


def _too_slow(timeout):
    return 'the answer did not arrive whole within the timeout of %s seconds' % timeout


def _exchange(session, method, url, timeout, verify, deadline, max_body, kwargs):
    response = session.request(method, url, timeout=timeout, verify=verify, allow_redirects=False, stream=True, **kwargs)
    raw = getattr(response, 'raw', None)
    if raw is None or getattr(response, '_content', False) is not False:
        return response  # already read (a test double)
    try:
        content = _read_body(raw, deadline, timeout, max_body)
    except BaseException:
        response.close()  # read in part: the connection is dropped, not used again
        raise
    # As requests leaves a response it has read itself: the connection goes back to the pool (kept alive).
    response._content = content  # pylint: disable=protected-access
    response._content_consumed = True  # pylint: disable=protected-access
    response.close()
    return response


def _read_body(raw, deadline, timeout, max_body):
    read1 = getattr(raw, 'read1', None)
    chunks = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise ResponseTooSlow(_too_slow(timeout))
        try:
            # read1 returns what has arrived; read(amt) would wait for amt bytes from a trickling server.
            chunk = read1(CHUNK, decode_content=True) if read1 is not None else raw.read(1024, decode_content=True)
        except urllib3.exceptions.DecodeError as error:
            raise requests.exceptions.ContentDecodingError(error) from error
        except urllib3.exceptions.ReadTimeoutError as error:
            raise requests.exceptions.ConnectionError(error) from error
        except urllib3.exceptions.SSLError as error:
            raise requests.exceptions.SSLError(error) from error
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.HTTPError) as error:
            raise requests.exceptions.ChunkedEncodingError(error) from error
        if not chunk:
            return b''.join(chunks)
        size += len(chunk)
        if size > max_body:
            raise ResponseTooLarge('the answer is larger than %d MiB' % (max_body // (1024 * 1024)))
        chunks.append(chunk)
