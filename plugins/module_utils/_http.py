# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""What the collection's HTTP clients (GitLab, Koding) and input checks share.

The one guarded import of requests, the user agent (with the collection's version), the checks of URL, host,
port, address, token and number values, the redaction of secrets from text (redact), and the transport every
request goes through (send, and send_with_retries with the retry rules).
The *_problem checks return why a value is wrong, as words to follow its name ('' when it is fine); the roles reach
them through filters (koding.gitlab.url_problem and the others), so a role variable and a module option are
checked by the same rule. The validate_* checks return an error message naming the option, or None. None raises.
"""

from __future__ import annotations

import base64
import email.utils
import ipaddress
import json
import math
import os
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


def _without_userinfo(text):
    if '@' not in text:
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
    """Text with every given secret form (see secret_variants) and the user-info of every URL in it
    (scheme://user:password@) replaced by the placeholder. None stays None; anything else becomes text."""
    if text is None:
        return None
    text = '%s' % (text,)
    for secret in secrets:
        text = text.replace(secret, SECRET_PLACEHOLDER)
    return _without_userinfo(text)


def no_log_secrets(module, values):
    """Have Ansible mask each secret value, in every form secret_variants gives, in anything it prints
    (results, warnings, the invocation at -vvv)."""
    for value in values:
        if isinstance(value, str) and value:
            module.no_log_values.update(secret_variants(value))
            if len(value) >= MIN_URL_SECRET:
                module.no_log_values.add(value)


# A password in a URL is no option of its own, so Ansible does not mask it; masked from this length on.
MIN_URL_SECRET = 4


def masked(value):
    """The placeholder when a secret is set, else None: what diffs and results show of a secret."""
    return SECRET_PLACEHOLDER if value is not None else None


def cut(text, limit=300):
    """Text cut to limit characters (with '...'), for quoting a server's answer in a message."""
    text = '%s' % (text,)
    return text if len(text) <= limit else text[:limit] + '...'


def _shown(value):
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
        return 'is not a valid URL (%s): %s' % (redact(exc), _shown(value))
    try:
        port = parts.port
    except ValueError:
        return 'has a port that is not a number between 1 and 65535: %s' % _shown(value)
    if parts.scheme not in ('http', 'https') or not host:
        return 'must be an absolute http:// or https:// URL with a host name, got %s' % _shown(value)
    if parts.username is not None or parts.password is not None or '@' in parts.netloc:
        if not allow_userinfo:
            return 'must not contain a user name or password (user:password@); give the credentials in their own options. Got %s' % _shown(value)
    if port is not None and not 1 <= port <= 65535:
        return 'has port %s; a port must be between 1 and 65535' % port
    if parts.netloc.endswith(':'):
        return 'has an empty port after the host; remove the ":" or give a port'
    host_error = _host_error(host)
    if host_error:
        return 'has an invalid host name: %s. Got %s' % (host_error, _shown(value))
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


# Bounds of the connection options every client takes (a day is more than any request should take).
MAX_SECONDS = 86400.0
MAX_RETRIES = 100


def connection_option_problems(params):
    """The problems of the connection options every module has (timeout, max_retries, max_retry_wait, ca_path)."""
    problems = [
        validate_number(params['timeout'], 'timeout', 0, MAX_SECONDS, exclusive_minimum=True),
        validate_number(params['max_retry_wait'], 'max_retry_wait', 0, MAX_SECONDS),
        validate_number(params['max_retries'], 'max_retries', 0, MAX_RETRIES),
    ]
    if params.get('ca_path') is not None and not os.path.exists(params['ca_path']):
        problems.append('Option ca_path names %r, which does not exist; give a CA bundle (PEM file) or a directory of CA certificates.' % params['ca_path'])
    return problems


def tls_verify(validate_certs, ca_path=None):
    """requests' verify for the TLS options: False, the CA bundle when one is given, else True (the system's store)."""
    return False if not validate_certs else (ca_path or True)


def fail_on_option_problems(module, problems):
    """fail_json with every problem found (None and '' left out) in one message, each ending in a period."""
    problems = [problem for problem in problems if problem]
    if problems:
        module.fail_json(msg=' '.join(p if p.endswith('.') else p + '.' for p in problems), changed=False)


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


# -- retries --------------------------------------------------------------------------------

# Status codes that mean "try again later"; the request was not (fully) handled.
RETRY_STATUSES = frozenset((429, 502, 503, 504))

# Exponential backoff when the server gives no Retry-After: 1 s, 2 s, 4 s, ... capped.
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0


class CutBody(Exception):
    """A 2xx answer whose body ended early (the connection closed without an error from urllib3); a client's
    check raises it so that the request is tried again like after any transient fault."""


def retry_after_seconds(response):
    """The Retry-After header in seconds (number or HTTP date), or None."""
    value = response.headers.get('Retry-After')
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    try:
        return max(0.0, when.timestamp() - time.time())
    except (ValueError, OverflowError):
        return None


def connection_never_established(exc):
    """True when the request cannot have reached the server (refused, DNS, connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, 'reason', reason)
        return isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))
    return False


def _transient(exc):
    """Faults worth another try for a request that may be repeated: the network or a body cut mid-way."""
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    return isinstance(
        exc,
        (
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
            CutBody,
        ),
    )


def may_retry(method, response=None, exc=None):
    """Whether a request that got response (or failed with exc) may be sent again."""
    if response is not None:
        # A POST may have been acted upon if the server answered 5xx: never repeat it.
        return method != 'POST' or response.status_code == 429
    if method == 'POST':
        return connection_never_established(exc)
    return _transient(exc)


def send_with_retries(session, method, url, timeout, verify=True, max_retries=0, max_retry_wait=0.0, sleep=None, check=None, on_try=None, **kwargs):
    """send() with bounded retries: after a rate limit or gateway error (RETRY_STATUSES), a connection error, or an
    answer cut off (check(response) raising CutBody), while may_retry allows it and the waits (Retry-After, else
    1, 2, 4, ... seconds) stay within max_retry_wait in all.

    on_try(attempt), when given, is called before each try (attempt 0 is the first). Returns (response, tries):
    the last answer, whatever its status. Raises the last error when no answer came back.
    """
    waited = 0.0
    attempt = 0
    while True:
        response = exc = None
        if on_try is not None:
            on_try(attempt)
        try:
            response = send(session, method, url, timeout, verify=verify, **kwargs)
            if check is not None and response.status_code < 300:
                check(response)
        except (OSError, ValueError, UnicodeError, CutBody) as error:  # RequestException is an OSError
            exc = error
            response = None
        if response is not None and response.status_code not in RETRY_STATUSES:
            return response, attempt + 1
        if attempt >= max_retries or not may_retry(method, response, exc):
            break
        delay = retry_after_seconds(response) if response is not None else None
        if delay is None:
            delay = min(BACKOFF_CAP, BACKOFF_BASE * (2**attempt))
        if waited + delay > max_retry_wait:
            break
        (sleep or time.sleep)(delay)
        waited += delay
        attempt += 1
    if response is not None:
        return response, attempt + 1
    raise exc


class RetryingClient(object):
    """What both API clients send through: their session, timeout, TLS verification and retry budget, handed to
    send_with_retries for each request. A client sets session, timeout, verify, max_retries, max_retry_wait and
    _sleep."""

    def _send_retried(self, method, url, **kwargs):
        return send_with_retries(
            self.session,
            method,
            url,
            self.timeout,
            verify=self.verify,
            max_retries=self.max_retries,
            max_retry_wait=self.max_retry_wait,
            sleep=self._sleep,
            **kwargs,
        )


def transport_argument_spec():
    """The transport options every API module takes, as the gitlab_api and koding_api doc fragments describe them."""
    return dict(
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        timeout=dict(type='float', default=30.0),
        max_retries=dict(type='int', default=3),
        max_retry_wait=dict(type='float', default=60.0),
    )


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
