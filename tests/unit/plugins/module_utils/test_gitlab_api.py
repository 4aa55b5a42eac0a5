# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import threading
from unittest import mock

import pytest
import requests
import urllib3

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_api, _gitlab_releases
from ansible_collections.koding.gitlab.plugins.module_utils._gitlab_api import GitlabApiError, GitlabClient
from ansible_collections.koding.gitlab.tests.unit.plugins.scripted_session import (
    ADMIN_TOKEN,
    ScriptedSession,
    make_response,
)


def connect_refused():
    reason = urllib3.exceptions.NewConnectionError(None, 'Connection refused')
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, '/api/v4/x', reason))


def connection_reset():
    reason = urllib3.exceptions.ProtocolError('Connection aborted.', ConnectionResetError(104, 'reset'))
    return requests.exceptions.ConnectionError(reason)


def client_with(answers, **kwargs):
    session = ScriptedSession(answers)
    sleeps = []
    with mock.patch.object(_gitlab_api.requests, 'Session', return_value=session):
        client = GitlabClient('http://gitlab.test/', token=ADMIN_TOKEN, sleep=sleeps.append, **kwargs)
    return client, session, sleeps


def test_headers_and_base_url():
    client, session, dummy = client_with([make_response(200, {'version': '17.5.2'})])
    assert client.base == 'http://gitlab.test/api/v4'
    assert session.headers['PRIVATE-TOKEN'] == ADMIN_TOKEN
    assert 'Authorization' not in session.headers
    assert client.version() == '17.5.2'
    assert client.version() == '17.5.2'
    assert client.version_tuple() == (17, 5, 2)
    assert client.request_count == 1


def test_oauth_token_is_sent_as_bearer_and_api_v4_suffix_is_tolerated():
    session = ScriptedSession([])
    with mock.patch.object(_gitlab_api.requests, 'Session', return_value=session):
        client = GitlabClient('https://gitlab.test/api/v4/', oauth_token='oauth-xyz', validate_certs=False)
    assert session.headers['Authorization'] == 'Bearer oauth-xyz'
    assert 'PRIVATE-TOKEN' not in session.headers
    assert session.verify is False
    assert client.base == 'https://gitlab.test/api/v4'


def test_429_honours_retry_after():
    client, session, sleeps = client_with(
        [
            make_response(429, {'message': {'error': 'Rate limit exceeded'}}, {'Retry-After': '7'}),
            make_response(200, {'ok': True}),
        ]
    )
    assert client.get('/application/settings') == {'ok': True}
    assert sleeps == [7.0]
    assert len(session.calls) == 2 and client.request_count == 2


def test_503_is_retried_with_exponential_backoff():
    client, dummy, sleeps = client_with([make_response(503, text='busy')] * 3 + [make_response(200, [])])
    assert client.get('/hooks') == []
    assert sleeps == [1.0, 2.0, 4.0]


def test_connection_error_is_retried_for_get():
    client, session, sleeps = client_with([connection_reset(), make_response(200, {'version': '1'})])
    assert client.get('/version') == {'version': '1'}
    assert len(session.calls) == 2 and sleeps == [1.0]


def test_retries_are_bounded_by_count():
    client, session, dummy = client_with([make_response(502, text='bad gateway')] * 10, max_retries=2)
    with pytest.raises(GitlabApiError) as caught:
        client.get('/hooks')
    assert len(session.calls) == 3
    assert caught.value.status == 502 and caught.value.kind == 'server'


def test_retries_are_bounded_by_total_wait():
    answers = [make_response(429, {'message': {'error': 'slow down'}}, {'Retry-After': '40'})] * 5
    client, session, sleeps = client_with(answers, max_retries=5, max_retry_wait=60)
    with pytest.raises(GitlabApiError) as caught:
        client.get('/hooks')
    assert sleeps == [40.0] and len(session.calls) == 2
    assert caught.value.kind == 'rate_limited'
    assert 'slow down' in str(caught.value)


def test_post_is_not_retried_after_5xx():
    client, session, sleeps = client_with([make_response(503, text='busy'), make_response(201, {'id': 1})])
    with pytest.raises(GitlabApiError) as caught:
        client.post('/applications', data={'name': 'x'})
    assert len(session.calls) == 1 and sleeps == []
    assert caught.value.status == 503


def test_post_is_not_retried_after_a_broken_connection():
    client, session, dummy = client_with([connection_reset(), make_response(201, {'id': 1})])
    with pytest.raises(GitlabApiError) as caught:
        client.post('/hooks', data={'url': 'http://x'})
    assert len(session.calls) == 1
    assert caught.value.kind == 'connection'


def test_post_is_not_retried_after_a_read_timeout():
    client, session, dummy = client_with([requests.exceptions.ReadTimeout('read timed out'), make_response(201, {})])
    with pytest.raises(GitlabApiError):
        client.post('/hooks', data={'url': 'http://x'})
    assert len(session.calls) == 1


def test_post_is_retried_on_429_and_refused_connection():
    client, session, dummy = client_with(
        [
            make_response(429, {'message': {'error': 'Rate limit'}}, {'Retry-After': '1'}),
            connect_refused(),
            make_response(201, {'id': 5}),
        ]
    )
    assert client.post('/hooks', data={'url': 'http://x'}) == {'id': 5}
    assert len(session.calls) == 3


def test_unreachable_gitlab_names_api_url():
    client, dummy, dummy2 = client_with([connect_refused()] * 4)
    with pytest.raises(GitlabApiError) as caught:
        client.get('/version')
    message = str(caught.value)
    assert 'could not be reached at http://gitlab.test' in message
    assert 'api_url' in message
    assert caught.value.status is None and caught.value.kind == 'connection'


def test_pagination_follows_link_header_on_our_own_base_url():
    client, session, dummy = client_with(
        [
            make_response(
                200,
                [{'id': 1}],
                {
                    'Link': '<https://other.host/api/v4/hooks?page=2&per_page=100>; rel="next", '
                    '<https://other.host/api/v4/hooks?page=1&per_page=100>; rel="first"'
                },
            ),
            make_response(200, [{'id': 2}]),
        ]
    )
    assert client.get_all('/hooks') == [{'id': 1}, {'id': 2}]
    assert [call['params'] for call in session.calls] == [{'per_page': 100}, {'page': '2', 'per_page': '100'}]
    assert all(call['path'] == '/hooks' for call in session.calls)


def test_pagination_follows_x_next_page_without_totals():
    client, session, dummy = client_with(
        [
            make_response(200, [{'id': 1}], {'X-Next-Page': '2', 'X-Page': '1'}),
            make_response(200, [{'id': 2}], {'X-Next-Page': '3', 'X-Page': '2'}),
            make_response(200, [{'id': 3}], {'X-Next-Page': '', 'X-Page': '3'}),
        ]
    )
    assert [item['id'] for item in client.get_all('/hooks')] == [1, 2, 3]
    assert [call['params'].get('page') for call in session.calls] == [None, '2', '3']


def test_unpaginated_endpoint_costs_one_request():
    client, session, dummy = client_with([make_response(200, [{'id': 1}, {'id': 2}])])
    assert len(client.get_all('/applications')) == 2
    assert len(session.calls) == 1


@pytest.mark.parametrize(
    'body, expected',
    [
        ({'message': '401 Unauthorized'}, '401 Unauthorized'),
        (
            {'error': 'invalid_token', 'error_description': 'Token is expired. You can either do re-authorization or token refresh.'},
            'invalid_token: Token is expired',
        ),
    ],
)
def test_401_says_the_token_was_rejected(body, expected):
    client, dummy, dummy2 = client_with([make_response(401, body)])
    with pytest.raises(GitlabApiError) as caught:
        client.get('/application/settings')
    message = str(caught.value)
    assert 'rejected the token' in message and 'unknown, expired or revoked' in message
    assert expected in message
    assert ADMIN_TOKEN not in message
    assert caught.value.kind == 'unauthorized' and caught.value.path == '/application/settings'


def test_403_explains_admin_and_admin_mode():
    client, dummy, dummy2 = client_with([make_response(403, {'message': '403 Forbidden'})])
    with pytest.raises(GitlabApiError) as caught:
        client.put('/application/settings', data={'koding_enabled': True})
    message = str(caught.value)
    assert 'not an administrator' in message and 'admin_mode' in message and '403 Forbidden' in message
    assert caught.value.method == 'PUT' and caught.value.status == 403


def test_403_names_blocked_users_scopes_and_when_admin_mode_came():
    client, dummy, dummy2 = client_with([make_response(403, {'message': '403 Forbidden'})])
    with pytest.raises(GitlabApiError) as caught:
        client.get('/hooks')
    message = str(caught.value)
    assert 'blocked or deactivated' in message and 'lacks a scope' in message and 'from GitLab 15.8' in message


def test_403_for_insufficient_scope_says_so():
    body = {'error': 'insufficient_scope', 'error_description': 'The request requires higher privileges than provided by the access token.'}
    client, dummy, dummy2 = client_with([make_response(403, body)])
    with pytest.raises(GitlabApiError) as caught:
        client.post('/hooks', data={'url': 'http://koding.test/hook'})
    message = str(caught.value)
    assert 'insufficient_scope' in message and 'api scope' in message and 'not an administrator' not in message


@pytest.mark.parametrize(
    'answer', [make_response(404), make_response(404, {'status': '404', 'error': 'Not Found'}), make_response(404, text='<html>nope</html>')]
)
def test_a_404_not_from_grape_means_no_api_v4(answer):
    client, dummy, dummy2 = client_with([answer])
    with pytest.raises(GitlabApiError) as caught:
        client.get('/application/settings')
    assert caught.value.kind == 'no_api' and not caught.value.endpoint_unsupported


@pytest.mark.parametrize(
    'body, expected',
    [
        ({'error': 'koding_url is missing'}, 'koding_url is missing'),
        ({'message': {'redirect_uri': ['must be a valid URI.']}}, 'redirect_uri must be a valid URI.'),
    ],
)
def test_400_reports_gitlabs_text_for_both_shapes(body, expected):
    client, dummy, dummy2 = client_with([make_response(400, body)])
    with pytest.raises(GitlabApiError) as caught:
        client.post('/applications', data={})
    assert expected in str(caught.value)
    assert caught.value.gitlab_message == expected
    assert 'POST /applications' in str(caught.value)


def test_token_echoed_by_a_server_is_redacted():
    client, dummy, dummy2 = client_with([make_response(400, {'error': 'bad header %s' % ADMIN_TOKEN})])
    with pytest.raises(GitlabApiError) as caught:
        client.get('/hooks')
    assert ADMIN_TOKEN not in str(caught.value) and ADMIN_TOKEN not in caught.value.gitlab_message


def test_404_route_and_404_resource_and_405_are_distinguishable():
    client, dummy, dummy2 = client_with(
        [
            make_response(404, {'error': '404 Not Found'}),
            make_response(404, {'message': '404 Application Not Found'}),
            make_response(405, {'error': '405 Not Allowed'}),
        ]
    )
    errors = []
    for path in ('/applications/1/renew-secret', '/applications/1', '/applications'):
        with pytest.raises(GitlabApiError) as caught:
            client.post(path)
        errors.append(caught.value)
    assert [e.kind for e in errors] == ['route_not_found', 'not_found', 'method_not_allowed']
    assert [e.endpoint_unsupported for e in errors] == [True, False, True]
    assert errors[1].resource_not_found


def test_non_json_answer_points_at_api_url():
    client, dummy, dummy2 = client_with([make_response(200, text='<html>sign in</html>')])
    with pytest.raises(GitlabApiError) as caught:
        client.get('/version')
    assert 'not JSON' in str(caught.value) and 'api_url' in str(caught.value)


def test_parse_version():
    assert _gitlab_releases.parse_version('16.11.2-ee') == (16, 11, 2)
    assert _gitlab_releases.parse_version('11.0.6') == (11, 0, 6)
    assert _gitlab_releases.parse_version('unknown') == (0, 0, 0)


def test_tls_failure_is_not_retried_and_explained():
    client, session, dummy = client_with([requests.exceptions.SSLError('certificate verify failed'), make_response(200, {})])
    with pytest.raises(GitlabApiError) as caught:
        client.get('/version')
    assert len(session.calls) == 1
    assert caught.value.kind == 'tls' and 'ca_path' in str(caught.value)


def test_ca_path_is_used_for_verification():
    session = ScriptedSession([])
    with mock.patch.object(_gitlab_api.requests, 'Session', return_value=session):
        GitlabClient('https://gitlab.test', token=ADMIN_TOKEN, ca_path='/etc/ssl/gitlab-ca.pem')
    assert session.verify == '/etc/ssl/gitlab-ca.pem'


# -- transport faults ------------------------------------------------------------------------------------------


def cut_body():
    return requests.exceptions.ChunkedEncodingError(urllib3.exceptions.ProtocolError('Connection broken: IncompleteRead(12 bytes read, 88 more expected)'))


@pytest.mark.parametrize(
    'fault',
    [
        cut_body,
        lambda: requests.exceptions.ContentDecodingError('Received response with content-encoding: gzip, but failed'),
        lambda: make_response(200, text='[{"id": 1}, {"id"', headers={'Content-Type': 'application/json'}),
    ],
)
def test_get_cut_mid_body_is_retried(fault):
    client, session, sleeps = client_with([fault(), make_response(200, [{'id': 1}])])
    assert client.get('/hooks') == [{'id': 1}]
    assert len(session.calls) == 2 and sleeps == [1.0]


def test_a_body_cut_every_time_is_a_clear_failure():
    client, session, dummy = client_with([cut_body() for dummy in range(4)])
    with pytest.raises(GitlabApiError) as caught:
        client.get('/hooks')
    message = str(caught.value)
    assert 'GET /hooks' in message and 'cut off' in message and 'run again' in message
    assert caught.value.kind == 'transport' and len(session.calls) == 4


def test_post_cut_mid_body_is_not_repeated():
    client, session, dummy = client_with([cut_body(), make_response(201, {'id': 1})])
    with pytest.raises(GitlabApiError) as caught:
        client.post('/hooks', data={'url': 'http://x.test'})
    assert len(session.calls) == 1 and 'POST /hooks' in str(caught.value)


@pytest.mark.parametrize(
    'exc, words',
    [
        (
            requests.exceptions.InvalidHeader(
                'Invalid leading whitespace, reserved character(s), or return character(s) in header value: %r' % (ADMIN_TOKEN + '\n')
            ),
            ['header', 'api_token'],
        ),
        (requests.exceptions.InvalidURL('Failed to parse: http://user:%s@gitlab.test' % ADMIN_TOKEN), ['URL', 'api_url']),
        (requests.exceptions.TooManyRedirects('Exceeded 30 redirects.'), ['GET /version']),
        (ValueError('bad %s' % ADMIN_TOKEN), ['GET /version']),
        (OSError('Could not find a suitable TLS CA certificate bundle'), ['GET /version']),
        (UnicodeEncodeError('latin-1', ADMIN_TOKEN + '\u20ac', 26, 27, 'ordinal not in range(256)'), ['header', 'api_token']),
    ],
)
def test_every_transport_error_is_a_clear_failure_without_the_secret(exc, words):
    client, session, dummy = client_with([exc] * 5)
    with pytest.raises(GitlabApiError) as caught:
        client.get('/version')
    message = str(caught.value)
    for word in words:
        assert word in message
    assert ADMIN_TOKEN not in message and ADMIN_TOKEN.strip() not in message


# -- secrets ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('token', [ADMIN_TOKEN + '\n', ' ' + ADMIN_TOKEN, ADMIN_TOKEN + '\r\n', 'glpat a1b2c3d4e5f6'])
def test_a_secret_is_masked_whatever_its_whitespace(token):
    session = ScriptedSession([make_response(400, {'error': 'bad header %r and %s' % (token, token.strip())})])
    with mock.patch.object(_gitlab_api.requests, 'Session', return_value=session):
        client = GitlabClient('http://gitlab.test', token=token, sleep=lambda s: None)
    with pytest.raises(GitlabApiError) as caught:
        client.get('/hooks')
    for piece in token.split():
        if len(piece) >= 6:
            assert piece not in str(caught.value) and piece not in caught.value.gitlab_message


def test_url_userinfo_is_redacted_in_messages():
    client, dummy, dummy2 = client_with([make_response(400, {'error': 'url http://u:pa55word@x.test/h is blocked'})])
    with pytest.raises(GitlabApiError) as caught:
        client.get('/hooks')
    assert 'pa55word' not in str(caught.value) and 'http://********@x.test/h' in str(caught.value)


def test_oauth_token_header_cannot_be_replaced_by_netrc_or_url_credentials():
    session = requests.Session()
    with mock.patch.object(_gitlab_api.requests, 'Session', return_value=session):
        GitlabClient('https://gitlab.test', oauth_token='oauth-token-xyz')
    request = requests.Request('GET', 'https://user:pass@gitlab.test/api/v4/version')
    prepared = session.prepare_request(request)
    assert prepared.headers['Authorization'] == 'Bearer oauth-token-xyz'


# -- 429 -------------------------------------------------------------------------------------------------------


def test_429_with_gitlabs_text_body_is_retried_then_reported():
    retry_later = make_response(429, text='Retry later\n', headers={'Content-Type': 'text/plain'})
    client, session, sleeps = client_with([retry_later, make_response(200, {'ok': 1})])
    assert client.get('/hooks') == {'ok': 1} and sleeps == [1.0]
    client, session, sleeps = client_with([make_response(429, text='Retry later\n', headers={'Content-Type': 'text/plain'})] * 4)
    with pytest.raises(GitlabApiError) as caught:
        client.get('/hooks')
    assert caught.value.kind == 'rate_limited' and 'GitLab said: Retry later.' in str(caught.value)
    assert caught.value.gitlab_message == 'Retry later'


@pytest.mark.parametrize('value', ['nan', 'inf', '-5', 'Wed, 21 Oct 2015 07:28:00 GMT', 'soon'])
def test_odd_retry_after_values_never_break(value):
    client, dummy, sleeps = client_with([make_response(429, text='Retry later', headers={'Retry-After': value}), make_response(200, {})])
    assert client.get('/x') == {}
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 60


# -- retried deletes -------------------------------------------------------------------------------------------


def test_retried_delete_that_finds_it_gone_counts_as_done():
    client, session, dummy = client_with([make_response(502, text='Bad Gateway'), make_response(404, {'message': '404 Hook Not Found'})])
    assert client.delete('/hooks/3') is True
    assert len(session.calls) == 2


def test_first_delete_finding_it_gone_raises_not_found():
    client, dummy, dummy2 = client_with([make_response(404, {'message': '404 Hook Not Found'})])
    with pytest.raises(GitlabApiError) as caught:
        client.delete('/hooks/3')
    assert caught.value.resource_not_found


def test_retried_delete_on_a_missing_route_is_still_unsupported():
    client, dummy, dummy2 = client_with([connection_reset(), make_response(404, {'error': '404 Not Found'})])
    with pytest.raises(GitlabApiError) as caught:
        client.delete('/applications/3')
    assert caught.value.endpoint_unsupported and 'not available on this version' in str(caught.value)


# -- concurrent paging -----------------------------------------------------------------------------------------


class PagedSession(ScriptedSession):
    """Serves N pages of hooks, with or without the totals, and records the most requests in flight at once."""

    def __init__(self, pages, per_page=3, totals=True):
        self.pages = pages
        self.per_page = per_page
        self.totals = totals
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.overlapped = threading.Event()
        super(PagedSession, self).__init__([])
        self.handler = self.serve

    def serve(self, method, path, params, data, headers):
        page = int(params.get('page', 1))
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            if self.in_flight > 1:
                self.overlapped.set()
        if page > 1 and self.totals and self.pages > 2:
            # Hold a later page until another request overlaps it (or a generous while passes): shows concurrency
            # without depending on how fast threads get scheduled.
            self.overlapped.wait(2)
        items = [{'id': (page - 1) * self.per_page + index} for index in range(self.per_page)]
        answer_headers = {}
        if page < self.pages:
            answer_headers['X-Next-Page'] = str(page + 1)
        if self.totals:
            answer_headers['X-Total-Pages'] = str(self.pages)
        with self.lock:
            self.in_flight -= 1
        return make_response(200, items, answer_headers)


@pytest.mark.parametrize('pages', [1, 2, 5, 23])
def test_pages_are_read_concurrently_in_order_within_the_bound(pages):
    session = PagedSession(pages)
    with mock.patch.object(_gitlab_api.requests, 'Session', return_value=session):
        client = GitlabClient('http://gitlab.test', token=ADMIN_TOKEN)
    items = client.get_all('/hooks')
    assert [item['id'] for item in items] == list(range(pages * 3))
    assert len(session.calls) == pages == client.request_count
    assert session.most_in_flight <= _gitlab_api.PAGE_WORKERS
    if pages > 2:
        assert session.most_in_flight > 1


def test_pages_without_totals_are_followed_one_by_one():
    session = PagedSession(5, totals=False)
    with mock.patch.object(_gitlab_api.requests, 'Session', return_value=session):
        client = GitlabClient('http://gitlab.test', token=ADMIN_TOKEN)
    assert [item['id'] for item in client.get_all('/hooks')] == list(range(15))
    assert session.most_in_flight == 1


def test_a_failing_page_fails_the_listing():
    def serve(method, path, params, data, headers):
        if params.get('page') == '3':
            return make_response(500, {'message': '500 Internal Server Error'})
        return make_response(200, [{'id': 1}], {'X-Total-Pages': '4', 'X-Next-Page': '2'})

    session = ScriptedSession([])
    session.handler = serve
    with mock.patch.object(_gitlab_api.requests, 'Session', return_value=session):
        client = GitlabClient('http://gitlab.test', token=ADMIN_TOKEN)
    with pytest.raises(GitlabApiError) as caught:
        client.get_all('/hooks')
    assert caught.value.status == 500 and 'GET /hooks' in str(caught.value)


@pytest.mark.parametrize('method, body', [('GET', [1, 2]), ('GET', {'id': 1}), ('POST', [1]), ('PUT', 'text')])
def test_odd_json_shapes_are_clear_failures(method, body):
    client, dummy, dummy2 = client_with([make_response(200, body)])
    with pytest.raises(GitlabApiError) as caught:
        if method == 'GET':
            client.get_all('/hooks')
        else:
            client.request(method, '/hooks', data={})
    assert caught.value.kind == 'invalid_response' and '%s /hooks' % method in str(caught.value)


@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_a_redirect_is_not_followed_and_explained(method):
    client, session, dummy = client_with([make_response(301, text='', headers={'Location': 'https://root:pa55word@gitlab.elsewhere/api/v4/hooks'})])
    with pytest.raises(GitlabApiError) as caught:
        client.request(method, '/hooks')
    message = str(caught.value)
    assert 'redirected %s /hooks' % method in message and 'api_url' in message and 'pa55word' not in message
    assert caught.value.kind == 'redirect' and len(session.calls) == 1


# -- hostile servers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'kwargs, verify', [(dict(validate_certs=False), False), (dict(), True), (dict(ca_path='/etc/ssl/gitlab-ca.pem'), '/etc/ssl/gitlab-ca.pem')]
)
def test_verify_is_passed_on_every_request(kwargs, verify):
    """Set on the session only, verify loses to REQUESTS_CA_BUNDLE, which requests merges into each request."""
    client, session, dummy = client_with([make_response(200, {'version': '17.5.2'})], **kwargs)
    client.version()
    assert [call['verify'] for call in session.calls] == [verify]


def test_json_nested_too_deeply_is_not_json():
    answer = make_response(200, text='[' * 200000 + ']' * 200000, headers={'Content-Type': 'text/plain'})
    client, dummy, dummy_sleeps = client_with([answer])
    with pytest.raises(GitlabApiError) as caught:
        client.get('/version')
    assert caught.value.kind == 'invalid_response'


def test_a_token_echoed_near_the_cut_is_not_left_in_part():
    echoed = 'x' * 185 + ' ' + ADMIN_TOKEN
    client, dummy, dummy_sleeps = client_with([make_response(400, {'message': echoed})])
    with pytest.raises(GitlabApiError) as caught:
        client.get('/version')
    assert ADMIN_TOKEN[:10] not in str(caught.value) and ADMIN_TOKEN[:10] not in caught.value.gitlab_message
