# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""A small client for GitLab's REST API v4, shared by the koding.gitlab modules."""

from __future__ import annotations

import email.utils
import os
import time
import traceback

from urllib.parse import parse_qsl, urlsplit

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.koding.gitlab.plugins.module_utils._http import USER_AGENT, validate_http_url

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    import urllib3
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True

# Shown instead of any secret in diffs and messages.
SECRET_PLACEHOLDER = '********'

# Status codes that mean "try again later"; the request was not (fully) handled.
RETRY_STATUSES = frozenset((429, 502, 503, 504))

# Exponential backoff when the server gives no Retry-After: 1 s, 2 s, 4 s, ... capped.
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0

# A guard against a server that keeps announcing a next page forever.
MAX_PAGES = 10000

TOKEN_ENV = 'GITLAB_API_TOKEN'


def gitlab_api_argument_spec():
    """Connection options shared by every GitLab module (see the gitlab_api doc fragment)."""
    return dict(
        api_url=dict(type='str', required=True, fallback=(env_fallback, ['GITLAB_URL'])),
        # The GITLAB_API_TOKEN fallback is applied by create_client(), not here: ansible-core applies
        # env fallbacks before checking mutually_exclusive, so an exported token would make every task
        # that passes api_oauth_token fail with a confusing "mutually exclusive" error.
        api_token=dict(type='str', no_log=True),
        api_oauth_token=dict(type='str', no_log=True),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        timeout=dict(type='float', default=30.0),
        max_retries=dict(type='int', default=3),
        max_retry_wait=dict(type='float', default=60.0),
    )


GITLAB_API_MUTUALLY_EXCLUSIVE = [('api_token', 'api_oauth_token')]


class GitlabApiError(Exception):
    """Any failure talking to GitLab.

    Attributes: method, path (API path below /api/v4), status (None when no HTTP answer came back),
    gitlab_message (GitLab's own error text, if any) and kind, one of:
    'connection', 'tls', 'unauthorized', 'forbidden', 'not_found' (the resource is not there),
    'route_not_found' (the endpoint does not exist on this GitLab), 'method_not_allowed',
    'rate_limited', 'server', 'client', 'invalid_response'.
    """

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


def gitlab_error_text(response):
    """GitLab's own error text from a response body, whatever its shape."""
    try:
        body = response.json()
    except ValueError:
        body = None
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
    text = (response.text or '').strip()
    if len(text) > 200:
        text = text[:200] + '...'
    return text


def parse_version(text):
    """'17.5.2-ee' -> (17, 5, 2); unknown parts become 0."""
    numbers = []
    for part in (text or '').split('-')[0].split('.')[:3]:
        digits = ''.join(ch for ch in part if ch.isdigit())
        numbers.append(int(digits) if digits else 0)
    while len(numbers) < 3:
        numbers.append(0)
    return tuple(numbers)


def _retry_after_seconds(response):
    """The Retry-After header in seconds (number or HTTP date), or None."""
    value = response.headers.get('Retry-After')
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _connection_never_established(exc):
    """True when the request cannot have reached GitLab (refused, DNS, connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, 'reason', reason)
        return isinstance(reason, urllib3.exceptions.ConnectTimeoutError)
    return False


class GitlabClient(object):
    """One HTTP session (kept alive) per module run, with bounded retries and pagination."""

    def __init__(self, api_url, token=None, oauth_token=None, validate_certs=True, ca_path=None,
                 timeout=30.0, max_retries=3, max_retry_wait=60.0, sleep=time.sleep):
        url = api_url.rstrip('/')
        if url.endswith('/api/v4'):
            url = url[:-len('/api/v4')]
        self.api_url = url
        self.base = url + '/api/v4'
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.max_retry_wait = max(0.0, max_retry_wait)
        self.request_count = 0
        self.retry_count = 0
        # Very short values would mangle every message; Ansible masks no_log values in the output anyway.
        self._secrets = [s for s in (token, oauth_token) if s and len(s) >= 6]
        self._sleep = sleep
        self._version = None

        self.session = requests.Session()
        self.session.headers['User-Agent'] = USER_AGENT
        self.session.headers['Accept'] = 'application/json'
        if token:
            self.session.headers['PRIVATE-TOKEN'] = token
        elif oauth_token:
            self.session.headers['Authorization'] = 'Bearer %s' % oauth_token
        if not validate_certs:
            self.session.verify = False
        elif ca_path:
            self.session.verify = ca_path

    # -- helpers -------------------------------------------------------------------------

    def _redact(self, text):
        for secret in self._secrets:
            text = text.replace(secret, SECRET_PLACEHOLDER)
        return text

    def _error(self, msg, method, path, status=None, gitlab_message=None, kind='client'):
        return GitlabApiError(self._redact(msg), method=method, path=path, status=status,
                              gitlab_message=self._redact(gitlab_message) if gitlab_message else gitlab_message,
                              kind=kind)

    def _http_error(self, method, path, response):
        status = response.status_code
        text = gitlab_error_text(response)
        said = (' GitLab said: %s%s' % (text, '' if text.endswith(('.', '!', '?')) else '.')) if text else ''
        where = '%s %s' % (method, path)
        if status == 401:
            return self._error(
                'GitLab rejected the token (401 on %s): it is unknown, expired or revoked.%s '
                'Check api_token / api_oauth_token (or GITLAB_API_TOKEN).' % (where, said),
                method, path, status, text, 'unauthorized')
        if status == 403:
            return self._error(
                'GitLab refused %s (403 Forbidden): the token\'s user is not an administrator, or Admin Mode is '
                'on and the token lacks the admin_mode scope.%s Use a token of an administrator with the api '
                '(and admin_mode) scopes.' % (where, said), method, path, status, text, 'forbidden')
        if status == 404:
            body = None
            try:
                body = response.json()
            except ValueError:
                pass
            if isinstance(body, dict) and 'message' in body:
                return self._error('GitLab answered 404 to %s: %s' % (where, text or 'not found'),
                                   method, path, status, text, 'not_found')
            return self._error('This GitLab has no endpoint %s (404 unknown route).%s' % (where, said),
                               method, path, status, text, 'route_not_found')
        if status == 405:
            return self._error('This GitLab does not support %s (405 Method Not Allowed).%s' % (where, said),
                               method, path, status, text, 'method_not_allowed')
        if status == 429:
            return self._error('GitLab rate-limited %s (429) and the retry budget (max_retries, max_retry_wait) '
                               'is spent.%s' % (where, said), method, path, status, text, 'rate_limited')
        if status >= 500:
            return self._error('GitLab failed on %s with HTTP %s.%s Check the GitLab server logs.' % (where, status, said),
                               method, path, status, text, 'server')
        return self._error('GitLab rejected %s with HTTP %s.%s' % (where, status, said),
                           method, path, status, text, 'client')

    @staticmethod
    def _reason(exc):
        """The innermost useful description of a connection failure (without urllib3's retry wrapper)."""
        reason = exc.args[0] if exc.args else exc
        reason = getattr(reason, 'reason', reason)
        return '%s' % (reason,)

    def _connection_error(self, method, path, exc):
        if isinstance(exc, requests.exceptions.SSLError):
            return self._error(
                'The TLS connection to GitLab at %s failed (%s %s): %s. If GitLab\'s certificate is not trusted, set '
                'ca_path to the CA bundle that signed it (validate_certs=false is insecure); if GitLab serves plain '
                'HTTP, use an http:// api_url.'
                % (self.api_url, method, path, self._reason(exc)), method, path, kind='tls')
        return self._error(
            'GitLab could not be reached at %s (%s %s): %s. Check api_url (scheme, host, port), that GitLab is '
            'running and reachable from the host that runs the module, proxy settings, and timeout.'
            % (self.api_url, method, path, self._reason(exc)), method, path, kind='connection')

    def _can_retry(self, method, response=None, exc=None):
        if response is not None:
            if response.status_code not in RETRY_STATUSES:
                return False
            # A POST may have been acted upon if the server answered 5xx: never repeat it.
            return method != 'POST' or response.status_code == 429
        if isinstance(exc, requests.exceptions.SSLError):
            return False
        if method == 'POST':
            return _connection_never_established(exc)
        return isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout))

    def _send(self, method, path, params=None, data=None):
        """Send one request with bounded retries; returns the requests.Response (any status)."""
        url = self.base + path
        waited = 0.0
        attempt = 0
        while True:
            response = exc = None
            self.request_count += 1
            try:
                response = self.session.request(method, url, params=params, json=data, timeout=self.timeout)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
                exc = error
            if response is not None and response.status_code not in RETRY_STATUSES:
                return response
            if attempt >= self.max_retries or not self._can_retry(method, response, exc):
                break
            delay = _retry_after_seconds(response) if response is not None else None
            if delay is None:
                delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** attempt))
            if waited + delay > self.max_retry_wait:
                break
            self._sleep(delay)
            waited += delay
            attempt += 1
            self.retry_count += 1
        if response is not None:
            return response
        raise self._connection_error(method, path, exc)

    def request(self, method, path, params=None, data=None):
        """Send a request and return the decoded JSON body (None for an empty body).

        Raises GitlabApiError for any HTTP status >= 400 or when GitLab cannot be reached.
        """
        response = self._send(method, path, params=params, data=data)
        if response.status_code >= 400:
            raise self._http_error(method, path, response)
        return self._decode(method, path, response)

    def _decode(self, method, path, response):
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise self._error(
                'GitLab answered %s %s with something that is not JSON (HTTP %s, Content-Type %s). Check that api_url '
                'is the base URL of GitLab (for example https://gitlab.example.com), not another service.'
                % (method, path, response.status_code, response.headers.get('Content-Type')),
                method, path, response.status_code, kind='invalid_response')

    def get(self, path, params=None):
        return self.request('GET', path, params=params)

    def post(self, path, data=None):
        return self.request('POST', path, data=data)

    def put(self, path, data=None):
        return self.request('PUT', path, data=data)

    def delete(self, path):
        return self.request('DELETE', path)

    def get_all(self, path, params=None):
        """Every item of a list endpoint, following Link rel=next or X-Next-Page.

        An endpoint that is not paginated answers without those headers and so costs one request.
        """
        query = dict(params or {})
        query.setdefault('per_page', 100)
        items = []
        for dummy in range(MAX_PAGES):
            response = self._send('GET', path, params=query)
            if response.status_code >= 400:
                raise self._http_error('GET', path, response)
            page = self._decode('GET', path, response)
            if not isinstance(page, list):
                raise self._error('GitLab answered GET %s with %s where a list was expected.'
                                  % (path, type(page).__name__), 'GET', path, response.status_code,
                                  kind='invalid_response')
            items.extend(page)
            next_query = self._next_page_query(response, query)
            if next_query is None or next_query == query:
                break
            query = next_query
        return items

    @staticmethod
    def _next_page_query(response, query):
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

    def version(self):
        """GitLab's version string (GET /version, asked once per run)."""
        if self._version is None:
            info = self.get('/version') or {}
            self._version = info.get('version') or 'unknown'
        return self._version

    def version_tuple(self):
        return parse_version(self.version())

    def close(self):
        self.session.close()


def create_client(module):
    """Check the connection options (no request is sent) and return a GitlabClient, or fail the module."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    params = module.params
    error = validate_http_url(params['api_url'], 'api_url')
    if error:
        module.fail_json(msg=error)
    token = params['api_token']
    oauth_token = params['api_oauth_token']
    if not token and not oauth_token:
        token = os.environ.get(TOKEN_ENV)
        if token:
            module.no_log_values.add(token)
    if not token and not oauth_token:
        module.fail_json(msg='No GitLab token given: set api_token (or the %s environment variable) or api_oauth_token.'
                         % TOKEN_ENV)
    for option in ('timeout', 'max_retry_wait'):
        if params[option] < 0:
            module.fail_json(msg='Option %s must not be negative, got %s' % (option, params[option]))
    if params['max_retries'] < 0:
        module.fail_json(msg='Option max_retries must not be negative, got %s' % params['max_retries'])
    if params['timeout'] == 0:
        module.fail_json(msg='Option timeout must be greater than 0')
    return GitlabClient(
        params['api_url'], token=token, oauth_token=oauth_token, validate_certs=params['validate_certs'],
        ca_path=params['ca_path'], timeout=params['timeout'], max_retries=params['max_retries'],
        max_retry_wait=params['max_retry_wait'])


def fail_api(module, error, **result):
    """Fail the module with a GitlabApiError's message and its details (no secrets)."""
    result.setdefault('changed', False)
    module.fail_json(msg=error.msg, api_error=dict(method=error.method, path=error.path, status=error.status,
                                                   gitlab_message=error.gitlab_message, kind=error.kind), **result)
