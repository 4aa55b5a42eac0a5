# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""What the collection's HTTP clients (GitLab, Koding) share.

The one guarded import of requests, the user agent (with the collection's version), the connection options every
module takes, and the transport every request goes through (send, and send_with_retries with the retry rules).
The checks of values are in _input_checks, the redaction of secrets in _redaction: neither needs requests.
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import threading
import time
import traceback
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.koding.gitlab.plugins.module_utils._input_checks import shown_url, validate_number

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
        raise ValueError('Option %s has a host name that cannot be encoded for DNS (IDNA): %s' % (option, shown_url(url))) from None
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
