# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from unittest import mock

import pytest
import requests
import urllib3

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_api
from ansible_collections.koding.gitlab.plugins.module_utils._gitlab_api import GitlabApiError, GitlabClient
from ansible_collections.koding.gitlab.tests.unit.plugins.gitlab_fakes import (
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
    client, session, sleeps = client_with([
        make_response(429, {'message': {'error': 'Rate limit exceeded'}}, {'Retry-After': '7'}),
        make_response(200, {'ok': True}),
    ])
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
    client, session, dummy = client_with([
        make_response(429, {'message': {'error': 'Rate limit'}}, {'Retry-After': '1'}),
        connect_refused(),
        make_response(201, {'id': 5}),
    ])
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
    client, session, dummy = client_with([
        make_response(200, [{'id': 1}], {'Link': '<https://other.host/api/v4/hooks?page=2&per_page=100>; rel="next", '
                                                 '<https://other.host/api/v4/hooks?page=1&per_page=100>; rel="first"'}),
        make_response(200, [{'id': 2}]),
    ])
    assert client.get_all('/hooks') == [{'id': 1}, {'id': 2}]
    assert [call['params'] for call in session.calls] == [{'per_page': 100}, {'page': '2', 'per_page': '100'}]
    assert all(call['path'] == '/hooks' for call in session.calls)


def test_pagination_follows_x_next_page_without_totals():
    client, session, dummy = client_with([
        make_response(200, [{'id': 1}], {'X-Next-Page': '2', 'X-Page': '1'}),
        make_response(200, [{'id': 2}], {'X-Next-Page': '3', 'X-Page': '2'}),
        make_response(200, [{'id': 3}], {'X-Next-Page': '', 'X-Page': '3'}),
    ])
    assert [item['id'] for item in client.get_all('/hooks')] == [1, 2, 3]
    assert [call['params'].get('page') for call in session.calls] == [None, '2', '3']


def test_unpaginated_endpoint_costs_one_request():
    client, session, dummy = client_with([make_response(200, [{'id': 1}, {'id': 2}])])
    assert len(client.get_all('/applications')) == 2
    assert len(session.calls) == 1


@pytest.mark.parametrize('body, expected', [
    ({'message': '401 Unauthorized'}, '401 Unauthorized'),
    ({'error': 'invalid_token', 'error_description': 'Token is expired. You can either do re-authorization or token refresh.'},
     'invalid_token: Token is expired'),
])
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


@pytest.mark.parametrize('body, expected', [
    ({'error': 'koding_url is missing'}, 'koding_url is missing'),
    ({'message': {'redirect_uri': ['must be a valid URI.']}}, 'redirect_uri must be a valid URI.'),
])
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
    client, dummy, dummy2 = client_with([
        make_response(404, {'error': '404 Not Found'}),
        make_response(404, {'message': '404 Application Not Found'}),
        make_response(405, {'error': '405 Not Allowed'}),
    ])
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


@pytest.mark.parametrize('url, ok', [
    ('https://gitlab.example.com', True),
    ('http://127.0.0.1:8080/', True),
    ('ftp://gitlab.example.com', False),
    ('gitlab.example.com', False),
    ('https://', False),
    ('', False),
])
def test_validate_http_url(url, ok):
    error = _gitlab_api.validate_http_url(url, 'api_url')
    assert (error is None) == ok
    if not ok:
        assert 'api_url' in error


def test_parse_version():
    assert _gitlab_api.parse_version('16.11.2-ee') == (16, 11, 2)
    assert _gitlab_api.parse_version('11.0.6') == (11, 0, 6)
    assert _gitlab_api.parse_version('unknown') == (0, 0, 0)


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
