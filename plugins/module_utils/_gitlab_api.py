# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""A small client for GitLab's REST API v4, shared by the koding.gitlab modules."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl, urlsplit

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_releases as releases
from ansible_collections.koding.gitlab.plugins.module_utils._http import (
    USER_AGENT,
    CutBody,
    ResponseError,
    ResponseTooSlow,
    RetryingClient,
    connection_never_established,
    json_body,
    parse_json,
    requests,
    tls_verify,
)
from ansible_collections.koding.gitlab.plugins.module_utils._redaction import redact, secret_variants

# A guard against a server that keeps announcing a next page forever.
MAX_PAGES = 10000
PER_PAGE = 100
# Pages read at once once the first page has said how many there are: small, to spare GitLab.
PAGE_WORKERS = 4


class GitlabApiError(Exception):
    """Any failure talking to GitLab.

    Attributes: method, path (API path below /api/v4), status (None when no HTTP answer came back),
    gitlab_message (GitLab's own error text, if any) and kind, one of:
    'connection', 'tls', 'transport' (an answer cut off or undecodable), 'redirect', 'invalid_request' (the request could not
    be built), 'unauthorized', 'forbidden', 'not_found' (the resource is not there), 'route_not_found' (the
    endpoint does not exist on this GitLab), 'no_api' (a 404 that is not from GitLab's API: no /api/v4 there, as on
    GitLab before 8.17), 'method_not_allowed', 'rate_limited', 'server', 'client', 'invalid_response'.
    request_sent is True when a request that got no answer may have reached GitLab (and been acted upon).
    """

    request_sent = False

    def __init__(self, msg, method=None, path=None, status=None, gitlab_message=None, kind='client'):
        super(GitlabApiError, self).__init__(msg)
        self.msg = msg
        self.method = method
        self.path = path
        self.status = status
        self.gitlab_message = gitlab_message
        self.kind = kind

    @property
    def endpoint_unsupported(self):
        """True when this GitLab has no such endpoint/method (a 404 for an unknown route, or 405)."""
        return self.kind in ('route_not_found', 'method_not_allowed')

    @property
    def resource_not_found(self):
        return self.kind == 'not_found'

    def details(self):
        return dict(method=self.method, path=self.path, status=self.status, gitlab_message=self.gitlab_message, kind=self.kind)

    def __str__(self):
        return self.msg


def _flatten_message(value):
    """Turn GitLab's message/error values (str, list or {attr: [msgs]}) into one line."""
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            text = _flatten_message(item)
            parts.append('%s %s' % (key, text) if key not in ('error', 'base') else text)
        return '; '.join(parts)
    if isinstance(value, (list, tuple)):
        return ', '.join(_flatten_message(item) for item in value)
    return '%s' % (value,)


def gitlab_error_text(response, redact_text=None):
    """GitLab's own error text from a response body, whatever its shape (JSON, or text such as 'Retry later').

    redact_text, when given, is applied before the text is cut short, so that no part of a secret is left.
    """
    text = _gitlab_error_text(response)
    if redact_text is not None:
        text = redact_text(text)
    text = ' '.join(text.split())
    if len(text) > 200:
        text = text[:200] + '...'
    return text


def _gitlab_error_text(response):
    body = json_body(response)
    if isinstance(body, dict):
        parts = []
        if 'message' in body:
            parts.append(_flatten_message(body['message']))
        if 'error' in body:
            parts.append(_flatten_message(body['error']))
        if body.get('error_description'):
            parts.append(_flatten_message(body['error_description']))
        if parts:
            return ': '.join(parts)
    try:
        text = (response.text or '').strip()
    except (ValueError, LookupError):
        text = ''
    if text.lstrip().startswith('<'):
        return 'an HTML page'
    return text


class _HeaderAuth(object):
    """Sets the token header on every request.

    Passing an auth object also stops requests from replacing the header with Basic auth taken from ~/.netrc
    or from user-info in the URL.
    """

    def __init__(self, header, value):
        self.header = header
        self.value = value

    def __call__(self, request):
        request.headers[self.header] = self.value
        return request


class GitlabClient(RetryingClient):
    """One HTTP session (kept alive) per module run, with bounded retries and pagination."""

    def __init__(
        self,
        api_url,
        token=None,
        oauth_token=None,
        validate_certs=True,
        ca_path=None,
        timeout=30.0,
        max_retries=3,
        max_retry_wait=60.0,
        sleep=None,
        page_workers=PAGE_WORKERS,
    ):
        url = api_url.rstrip('/')
        if url.endswith('/api/v4'):
            url = url[: -len('/api/v4')]
        self.api_url = url
        self.base = url + '/api/v4'
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.max_retry_wait = max(0.0, max_retry_wait)
        self.page_workers = max(1, page_workers)
        self.request_count = 0
        self.retry_count = 0
        self._count_lock = threading.Lock()
        self._secrets = []
        for secret in (token, oauth_token):
            self._secrets.extend(secret_variants(secret))
        self._sleep = sleep or time.sleep
        self._version = None

        self.session = requests.Session()
        self.session.headers['User-Agent'] = USER_AGENT
        self.session.headers['Accept'] = 'application/json'
        if token:
            self.session.headers['PRIVATE-TOKEN'] = token
            self.session.auth = _HeaderAuth('PRIVATE-TOKEN', token)
        elif oauth_token:
            self.session.headers['Authorization'] = 'Bearer %s' % oauth_token
            self.session.auth = _HeaderAuth('Authorization', 'Bearer %s' % oauth_token)
        # Passed on every request as well (see _http.send): REQUESTS_CA_BUNDLE would win over the session's.
        self.verify = tls_verify(validate_certs, ca_path)
        self.session.verify = self.verify

    # -- messages ------------------------------------------------------------------------

    def redact(self, text):
        """Text with every form of the tokens, and URL user-info, replaced by the placeholder."""
        return redact(text, self._secrets)

    def _error(self, msg, method, path, status=None, gitlab_message=None, kind='client'):
        return GitlabApiError(
            self.redact(msg),
            method=method,
            path=path,
            status=status,
            gitlab_message=self.redact(gitlab_message) if gitlab_message else gitlab_message,
            kind=kind,
        )

    def _http_error(self, method, path, response):
        status = response.status_code
        text = gitlab_error_text(response, self.redact)
        said = (' GitLab said: %s%s' % (text, '' if text.endswith(('.', '!', '?')) else '.')) if text else ''
        where = '%s %s' % (method, path)
        if 300 <= status < 400:
            location = response.headers.get('Location') or 'nowhere'
            return self._error(
                'GitLab redirected %s (HTTP %s) to %s; requests are not sent on to another address, because the token '
                'would go with them. Set api_url to GitLab\'s external URL (often the https:// one).' % (where, status, location),
                method,
                path,
                status,
                None,
                'redirect',
            )
        if status == 401:
            return self._error(
                'GitLab rejected the token (401 on %s): it is unknown, expired or revoked.%s '
                'Check api_token / api_oauth_token (or GITLAB_API_TOKEN).' % (where, said),
                method,
                path,
                status,
                text,
                'unauthorized',
            )
        if status == 403:
            body = json_body(response)
            if isinstance(body, dict) and body.get('error') == 'insufficient_scope':
                why = 'the token lacks a scope this request needs (insufficient_scope): it needs the api scope'
            else:
                why = (
                    'the token\'s user is not an administrator, or is blocked or deactivated, or the token lacks a scope '
                    'this request needs (api; with Admin Mode on, from %s, also admin_mode)' % releases.since('admin_mode_scope')
                )
            return self._error(
                'GitLab refused %s (403 Forbidden): %s.%s Use an active administrator\'s token with the api scope '
                '(and admin_mode where Admin Mode is on).' % (where, why, said),
                method,
                path,
                status,
                text,
                'forbidden',
            )
        if status == 404:
            body = json_body(response)
            if isinstance(body, dict) and 'message' in body:
                return self._error('GitLab answered 404 to %s: %s' % (where, text or 'not found'), method, path, status, text, 'not_found')
            if not (isinstance(body, dict) and 'error' in body and 'status' not in body):
                # Not Grape's catch-all: Rails (an empty body, or {"status":"404","error":"Not Found"}) or another
                # server. GitLab 8.13 to 8.16 answer every /api/v4 request so.
                return self._error('GitLab answered %s with a 404 that does not come from its API v4.%s' % (where, said), method, path, status, text, 'no_api')
            # Grape's catch-all: {"error":"404 Not Found"}; a route (or method) this GitLab does not have.
            return self._error(
                'This GitLab does not support %s (404 for an unknown route): the endpoint is not available on this version.%s' % (where, said),
                method,
                path,
                status,
                text,
                'route_not_found',
            )
        if status == 405:
            return self._error('This GitLab does not support %s (405 Method Not Allowed).%s' % (where, said), method, path, status, text, 'method_not_allowed')
        if status == 429:
            return self._error(
                'GitLab rate-limited %s (429) and the retry budget is spent.%s Wait and run again, or raise max_retries / max_retry_wait.' % (where, said),
                method,
                path,
                status,
                text,
                'rate_limited',
            )
        if status >= 500:
            return self._error(
                'GitLab failed on %s with HTTP %s.%s Check the GitLab server logs.' % (where, status, said), method, path, status, text, 'server'
            )
        return self._error('GitLab rejected %s with HTTP %s.%s' % (where, status, said), method, path, status, text, 'client')

    @staticmethod
    def _reason(exc):
        """The innermost useful description of a connection failure (without urllib3's retry wrapper)."""
        reason = exc.args[0] if exc.args else exc
        reason = getattr(reason, 'reason', reason)
        return '%s' % (reason,)

    def _failure(self, method, path, exc):
        """A GitlabApiError for a request that got no usable answer; names method and path, never a secret."""
        where = '%s %s' % (method, path)
        if isinstance(exc, requests.exceptions.SSLError):
            return self._error(
                'The TLS connection to GitLab at %s failed (%s): %s. If GitLab\'s certificate is not trusted, set '
                'ca_path to the CA bundle that signed it (validate_certs=false is insecure); if GitLab serves plain '
                'HTTP, use an http:// api_url.' % (self.api_url, where, self._reason(exc)),
                method,
                path,
                kind='tls',
            )
        if isinstance(exc, requests.exceptions.InvalidHeader):
            # Its text quotes the header value, that is the token: never shown.
            return self._error(
                'The request %s could not be sent: a header value is not valid in HTTP (usually a token with a '
                'newline or another control character). Check api_token / api_oauth_token (or GITLAB_API_TOKEN).' % where,
                method,
                path,
                kind='invalid_request',
            )
        if isinstance(exc, UnicodeEncodeError):
            return self._error(
                'The request %s could not be sent: a header or the URL holds a character HTTP cannot carry. Check '
                'api_token / api_oauth_token and api_url.' % where,
                method,
                path,
                kind='invalid_request',
            )
        if isinstance(
            exc,
            (
                requests.exceptions.InvalidURL,
                requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema,
                requests.exceptions.URLRequired,
                ValueError,
                UnicodeError,
            ),
        ):
            return self._error(
                'The request %s could not be sent: its URL is not valid (%s: %s). Check api_url.' % (where, type(exc).__name__, self._reason(exc)),
                method,
                path,
                kind='invalid_request',
            )
        if isinstance(exc, ResponseError):
            return self._error(
                'GitLab\'s answer to %s could not be read: %s. %s'
                % (
                    where,
                    exc,
                    'Raise timeout if GitLab is slow, or check the proxy in front of it.'
                    if isinstance(exc, ResponseTooSlow)
                    else 'Check that api_url is the base URL of GitLab.',
                ),
                method,
                path,
                kind='transport',
            )
        if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError, CutBody)):
            error = self._error(
                'GitLab\'s answer to %s was cut off or could not be decoded (%s), also after retries. A proxy or '
                'load balancer in front of GitLab may be dropping connections: check its logs and GitLab\'s, raise '
                'timeout or max_retries, and run again.' % (where, type(exc).__name__),
                method,
                path,
                kind='transport',
            )
            error.request_sent = method == 'POST'
            return error
        if method == 'POST' and not connection_never_established(exc):
            error = self._error(
                'GitLab\'s answer to %s at %s was lost (%s): %s. The request may have reached GitLab, which may have '
                'acted on it.' % (where, self.api_url, type(exc).__name__, self._reason(exc)),
                method,
                path,
                kind='connection',
            )
            error.request_sent = True
            return error
        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
            return self._error(
                'GitLab could not be reached at %s (%s): %s. Check api_url (scheme, host, port), that GitLab is '
                'running and reachable from the host that runs the module, proxy settings, and timeout.' % (self.api_url, where, self._reason(exc)),
                method,
                path,
                kind='connection',
            )
        return self._error(
            'The request %s failed (%s: %s). Check api_url and any proxy settings, then run again.' % (where, type(exc).__name__, self._reason(exc)),
            method,
            path,
            kind='connection',
        )

    # -- sending -------------------------------------------------------------------------

    def _count(self, retry=False):
        with self._count_lock:
            if retry:
                self.retry_count += 1
            else:
                self.request_count += 1

    def _count_try(self, attempt):
        self._count()
        if attempt:
            self._count(retry=True)

    def _exchange(self, method, path, params=None, data=None):
        """Send one request with bounded retries (see _http.send_with_retries) and read its body.

        Returns the requests.Response (any status); a 2xx JSON body is decoded into response.gitlab_body.
        response.gitlab_attempts counts the tries, so a retried DELETE can tell "already done" from "not there".
        Raises GitlabApiError when no usable answer came back.
        """

        def decode(response):
            response.gitlab_body = self._decode(method, path, response)

        try:
            # No redirects (send never follows them): requests would carry PRIVATE-TOKEN to whatever host a
            # redirect names, and turn a redirected POST into a GET.
            response, tries = self._send_retried(
                method,
                self.base + path,
                check=decode,
                on_try=self._count_try,
                params=params,
                json=data,
            )
        except (OSError, ValueError, UnicodeError, CutBody) as error:  # RequestException is an OSError
            raise self._failure(method, path, error) from None
        response.gitlab_attempts = tries
        return response

    def _decode(self, method, path, response):
        if response.status_code == 204 or not response.content:
            return None
        try:
            return parse_json(response.content)
        except (ValueError, UnicodeError):
            content_type = response.headers.get('Content-Type') or ''
            if 'json' in content_type and method != 'POST':
                # JSON promised but cut short: worth another try like any transient fault.
                raise CutBody('incomplete JSON body') from None
            raise self._error(
                'GitLab answered %s %s with something that is not JSON (HTTP %s, Content-Type %s). Check that api_url '
                'is the base URL of GitLab (for example https://gitlab.example.com), not another service.'
                % (method, path, response.status_code, content_type or 'none'),
                method,
                path,
                response.status_code,
                kind='invalid_response',
            ) from None

    def request(self, method, path, params=None, data=None):
        """Send a request and return the decoded JSON body (None for an empty body).

        Raises GitlabApiError for any HTTP status >= 400 or when GitLab cannot be reached.
        """
        try:
            response = self._exchange(method, path, params=params, data=data)
        except GitlabApiError:
            raise
        if response.status_code >= 300:
            raise self._http_error(method, path, response)
        body = response.gitlab_body
        if method in ('POST', 'PUT') and body is not None and not isinstance(body, dict):
            raise self._error(
                'GitLab answered %s %s with %s where an object was expected.' % (method, path, type(body).__name__),
                method,
                path,
                response.status_code,
                kind='invalid_response',
            )
        return body

    def get(self, path, params=None):
        return self.request('GET', path, params=params)

    def post(self, path, data=None):
        return self.request('POST', path, data=data)

    def put(self, path, data=None):
        return self.request('PUT', path, data=data)

    def delete(self, path, gone=None):
        """Delete; returns True when deleted by this request.

        A 404 for the resource after a retry counts as done (the earlier attempt did it, GitLab's answer got lost):
        True. A 404 on the first try raises (kind 'not_found'): someone else removed it. gone, a function, is asked
        after a 500 whether the resource is gone all the same; then the 500 counts as that 404 (GitLab 11.5 to early
        13.x answer 500 to DELETE /applications/:id of an application that no longer exists).
        """
        response = self._exchange('DELETE', path)
        if response.status_code >= 300:
            error = self._http_error('DELETE', path, response)
            if response.status_code == 500 and gone is not None and gone():
                error = self._error('GitLab answered 500 to DELETE %s, and it is gone.' % path, 'DELETE', path, 500, error.gitlab_message, 'not_found')
            if error.resource_not_found and response.gitlab_attempts > 1:
                return True
            raise error
        return True

    # -- lists ---------------------------------------------------------------------------

    def _page(self, path, query):
        response = self._exchange('GET', path, params=query)
        if response.status_code >= 300:
            raise self._http_error('GET', path, response)
        page = response.gitlab_body
        if not isinstance(page, list) or not all(isinstance(item, dict) for item in page):
            raise self._error(
                'GitLab answered GET %s with %s where a list of objects was expected.' % (path, type(page).__name__),
                'GET',
                path,
                response.status_code,
                kind='invalid_response',
            )
        return response, page

    def get_all(self, path, params=None):
        """Every item of a list endpoint, in order.

        Once the first page gives the page count (X-Total-Pages, or a Link rel=last), the other pages are read
        concurrently, at most page_workers at a time, on the same session. Without a count (GitLab leaves the
        totals out on big instances) the pages are followed one by one through Link rel=next or X-Next-Page.
        An endpoint that is not paginated answers without those headers and so costs one request.
        """
        query = dict(params or {})
        query.setdefault('per_page', PER_PAGE)
        response, items = self._page(path, query)
        last_page = self._last_page(response)
        if last_page and last_page > 1 and self._next_query(response, query) is not None:
            pages = list(range(2, min(last_page, MAX_PAGES) + 1))
            queries = [dict(query, page='%s' % number) for number in pages]
            with ThreadPoolExecutor(max_workers=min(self.page_workers, len(queries))) as pool:
                results = list(pool.map(lambda page_query: self._page(path, page_query), queries))
            for dummy, page in results:
                items.extend(page)
            response, query = results[-1][0], queries[-1]
        for dummy in range(MAX_PAGES):
            next_query = self._next_query(response, query)
            if next_query is None or next_query == query:
                break
            query = next_query
            response, page = self._page(path, query)
            items.extend(page)
        return items

    @staticmethod
    def _last_page(response):
        total = (response.headers.get('X-Total-Pages') or '').strip()
        if total.isdigit():
            return int(total)
        link = response.links.get('last', {}).get('url')
        if link:
            page = dict(parse_qsl(urlsplit(link).query)).get('page', '')
            if page.isdigit():
                return int(page)
        return None

    @staticmethod
    def _next_query(response, query):
        link = response.links.get('next', {}).get('url')
        if link:
            # Keep our own base URL: GitLab builds links from its external_url, which may not be reachable from here.
            next_query = dict(parse_qsl(urlsplit(link).query, keep_blank_values=True))
            if next_query:
                return next_query
        next_page = (response.headers.get('X-Next-Page') or '').strip()
        if next_page:
            next_query = dict(query)
            next_query['page'] = next_page
            return next_query
        return None

    # -- version -------------------------------------------------------------------------

    def version(self):
        """GitLab's version string (GET /version, asked once per run)."""
        if self._version is None:
            info = self.get('/version') or {}
            self._version = (info.get('version') if isinstance(info, dict) else None) or 'unknown'
        return self._version

    def version_tuple(self):
        return releases.parse_version(self.version())

    def api_v3_version(self):
        """The version a GitLab serving only the API v3 (8.13 to 8.16) gives at GET /api/v3/version, or None."""
        try:
            response = self.session.request('GET', self.api_url + '/api/v3/version', timeout=self.timeout, allow_redirects=False)
            info = response.json() if response.status_code == 200 else None
        except (OSError, ValueError, UnicodeError):
            return None
        version = info.get('version') if isinstance(info, dict) else None
        return self.redact(version) if isinstance(version, str) and version else None

    def close(self):
        self.session.close()
