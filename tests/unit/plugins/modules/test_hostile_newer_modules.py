# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hostile input for koding_team, koding_wiring_info, koding_wiring_credentials and aws_instance_type_info.

Servers on 127.0.0.1 that misbehave, files and options that are not what they should be: each run must end in
exit_json or fail_json (never an exception), with no secret in the result in any form the module produces.
"""

from __future__ import annotations

import json
import os
import stat
import time
import types

import pytest
import requests

from ansible_collections.koding.gitlab.plugins.module_utils import _http, _koding_api, _koding_module, _redaction
from ansible_collections.koding.gitlab.plugins.modules import aws_instance_type_info, koding_team, koding_wiring_credentials, koding_wiring_info
from ansible_collections.koding.gitlab.tests.unit.plugins.local_server import Answer, local_server
from ansible_collections.koding.gitlab.tests.unit.plugins.module_harness import run_main

PASSWORD = 'p@ss word+Admin/42'
URL_PASSWORD = 'url-pass:w0rd'
SECRET = 'stored-secret-1f2e3d'
DEEP = b'[' * 200000 + b']' * 200000
NO_REQUESTS = types.SimpleNamespace(Session=None)


def assert_no_secret(result, *secrets):
    shown = json.dumps(result)
    for secret in secrets:
        for variant in _redaction.secret_variants(secret):
            assert variant not in shown, variant


# -- the Koding client (koding_team) --------------------------------------------------------------------------


def run_team(args, expect_fail=None, diff=False):
    """koding_team against a real requests session; expect_fail None accepts either ending."""
    return run_main(koding_team.main, args, _koding_api.requests, requests.Session(), diff=diff, expect_fail=expect_fail)


CREATE = dict(email='admin@koding.test', username='kodingadmin', password=PASSWORD, timeout=5)


def test_team_answer_nested_too_deeply():
    with local_server({'/-/team/gitlab': Answer(200, DEEP, {'Content-Type': 'application/json'})}) as server:
        result = run_team(dict(url=server.url), expect_fail=True)
    assert 'without JSON' in result['msg']


def test_team_error_nested_too_deeply():
    with local_server({'/-/team/gitlab': Answer(500, DEEP, {'Content-Type': 'application/json'})}) as server:
        result = run_team(dict(url=server.url), expect_fail=True)
    assert 'HTTP 500' in result['msg'] and len(result['msg']) < 1000


def test_unicode_host_is_idna_encoded_or_refused_naming_the_url():
    with local_server({}) as server:
        url = server.url.replace('127.0.0.1', '\u6f22\u5b57.localhost')
        result = run_team(dict(url=url, timeout=3), expect_fail=True)
    assert 'Koding' in result['msg']
    assert 'Traceback' not in result['msg']


def test_password_in_the_url_is_never_echoed():
    with local_server({'*': Answer(500, echo=True)}) as server:
        url = server.url.replace('http://', 'http://admin:%s@' % URL_PASSWORD)
        result = run_team(dict(url=url), expect_fail=True)
    assert 'HTTP 500' in result['msg']
    assert_no_secret(result, URL_PASSWORD, 'admin:' + URL_PASSWORD)
    assert _redaction.url_secrets(url)[-1] not in json.dumps(result)  # the Basic authorization requests sent


def test_an_unreachable_url_with_a_password_is_not_echoed():
    result = run_team(dict(url='http://admin:%s@127.0.0.1:1' % URL_PASSWORD, timeout=3), expect_fail=True)
    assert 'cannot reach Koding at http://********@127.0.0.1:1' in result['msg']
    assert_no_secret(result, URL_PASSWORD)


def test_a_server_echoing_the_form_does_not_print_the_password_in_any_encoding():
    answers = {
        '/-/team/gitlab': Answer(404, 'no group found'),
        '/': Answer(200, 'Koding', {'Set-Cookie': '_csrf=csrf-value; Path=/'}),
        '/-/teams/create': Answer(400, echo=True),
    }
    with local_server(answers) as server:
        result = run_team(dict(CREATE, url=server.url), expect_fail=True)
    assert 'HTTP 400' in result['msg']
    assert_no_secret(result, PASSWORD)


def test_the_module_has_ansible_mask_every_encoding_of_the_password(monkeypatch):
    seen = {}

    def capture(module, problems):  # pylint: disable=unused-argument
        seen['no_log_values'] = set(module.no_log_values)
        module.fail_json(msg='stopped')

    monkeypatch.setattr(_koding_module.KodingModule, 'fail_on_problems', capture)
    run_team(dict(CREATE, url='http://admin:%s@127.0.0.1:1' % URL_PASSWORD), expect_fail=True)
    for variant in ('p%40ss+word%2BAdmin%2F42', 'p%40ss%20word%2BAdmin%2F42', URL_PASSWORD):
        assert variant in seen['no_log_values']


def test_validate_certs_false_wins_over_requests_ca_bundle(monkeypatch, tmp_path):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', str(tmp_path / 'no-such-bundle.pem'))
    with local_server({}) as server:
        result = run_team(dict(url=server.url.replace('http://', 'https://'), validate_certs=False), expect_fail=True)
    # The bundle is not even looked for: the TLS handshake with the plain-HTTP server is what fails.
    assert 'CA certificate bundle' not in result['msg'] and 'no-such-bundle' not in result['msg']
    assert 'cannot reach Koding' in result['msg']


def test_timeout_bounds_the_whole_request_not_each_read():
    body = json.dumps({'slug': 'gitlab', 'pad': 'x' * 200})
    with local_server({'/-/team/gitlab': Answer(200, body, {'Content-Type': 'application/json'}, trickle=0.05)}) as server:
        started = time.monotonic()
        result = run_team(dict(url=server.url, timeout=1), expect_fail=True)
        took = time.monotonic() - started
    assert 'within the timeout of 1.0 seconds' in result['msg']
    assert took < 4


def test_timeout_bounds_a_status_line_and_headers_that_trickle_in():
    with local_server({'/-/team/gitlab': Answer(200, trickle=0.05, trickle_headers=True)}) as server:
        started = time.monotonic()
        result = run_team(dict(url=server.url, timeout=1), expect_fail=True)
        took = time.monotonic() - started
    assert 'within the timeout of 1.0 seconds' in result['msg']
    assert took < 3


def test_an_answer_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(_http, 'MAX_BODY', 1024)
    with local_server({'/-/team/gitlab': Answer(200, json.dumps({'pad': 'x' * 4096}))}) as server:
        result = run_team(dict(url=server.url), expect_fail=True)
    assert 'larger than' in result['msg']


# -- koding_wiring_info -----------------------------------------------------------------------------------------


def test_wiring_info_sends_an_ascii_host_header_for_a_unicode_host():
    with local_server({'*': Answer(200, '{}')}) as server:
        url = server.url.replace('127.0.0.1', '\u6f22\u5b57.localhost')
        result = run_main(koding_wiring_info.main, dict(url=url, timeout=3), _koding_api.requests, requests.Session())
        hosts = {request['headers'].get('Host') for request in server.seen}
    assert hosts == {'xn--p8s937b.localhost:%s' % server.server_address[1]}
    assert any(check['passed'] for check in result['checks'])


def test_wiring_info_survives_a_trickling_and_a_nested_answer():
    answers = {'/healthcheck': Answer(200, 'x' * 100, trickle=0.05), '*': Answer(200, DEEP)}
    with local_server(answers) as server:
        started = time.monotonic()
        result = run_main(koding_wiring_info.main, dict(url=server.url, timeout=1), _koding_api.requests, requests.Session())
        took = time.monotonic() - started
    health = [check for check in result['checks'] if check['name'] == 'healthcheck'][0]
    assert not health['passed'] and 'ResponseTooSlow' in health['message']
    assert took < 5


# -- koding_wiring_credentials ----------------------------------------------------------------------------------


def run_credentials(args, expect_fail=False, diff=False):
    return run_main(koding_wiring_credentials.main, args, NO_REQUESTS, None, diff=diff, expect_fail=expect_fail)


CREDENTIALS = dict(application_id='id-1', application_secret='new-secret-9a8b7c')


@pytest.mark.parametrize(
    'content',
    [DEEP, b'{"a":' * 50000 + b'1' + b'}' * 50000, json.dumps({'a': json.loads('[' * 40 + ']' * 40)}).encode()],
    ids=['lists', 'objects', 'deeper-than-the-limit'],
)
@pytest.mark.parametrize('write', [False, True])
def test_a_credentials_file_nested_too_deeply(tmp_path, content, write):
    path = tmp_path / 'private' / 'credentials.json'
    path.parent.mkdir()
    path.write_bytes(content)
    args = dict(path=str(path))
    if write:
        args['credentials'] = CREDENTIALS
    result = run_credentials(args, expect_fail=True)
    assert 'nest' in result['msg'] and 'Move it away' in result['msg']


@pytest.mark.parametrize('option', ['owner', 'group'])
@pytest.mark.parametrize('value', ['\u00b2', '99999999999999999999', '4294967295', '\u0661\u0662', 'no-such-name-\x01', 'a' * 5000])
def test_a_bad_owner_or_group_fails_before_anything_is_made(tmp_path, option, value):
    path = tmp_path / 'private' / 'credentials.json'
    result = run_credentials({'path': str(path), 'credentials': CREDENTIALS, option: value}, expect_fail=True)
    assert option in result['msg']
    assert not path.parent.exists()


@pytest.mark.parametrize('write', [False, True])
@pytest.mark.parametrize(
    'relative',
    ['x/' * 3000 + 'credentials.json', 'a' * 300 + '/credentials.json', 'dir/' + 'b' * 300, 'plain-file/dir/credentials.json', 'plain-file/credentials.json'],
    ids=['over-PATH_MAX', 'directory-over-NAME_MAX', 'file-over-NAME_MAX', 'through-a-file', 'file-as-directory'],
)
def test_a_path_that_cannot_be_used(tmp_path, relative, write):
    (tmp_path / 'plain-file').write_text('not a directory')
    (tmp_path / 'dir').mkdir()
    args = dict(path=str(tmp_path / relative))
    if write:
        args['credentials'] = CREDENTIALS
    result = run_credentials(args, expect_fail=True)
    assert 'path' in result['msg'] or 'directory' in result['msg']


def test_the_diff_masks_secrets_by_structure_and_in_any_case(tmp_path):
    path = tmp_path / 'private' / 'credentials.json'
    path.parent.mkdir(mode=0o700)
    stored = {
        'APPLICATION_SECRET': SECRET + '-a',
        'oauth': {'Secret': SECRET + '-b', 'id': 'kept'},
        'hooks': [{'Token': SECRET + '-c'}, {'url': 'http://koding.test'}],
        'Admin_Password': SECRET + '-d',
        'secrets': {'deep': SECRET + '-e'},
    }
    path.write_text(json.dumps(stored))
    result = run_credentials(dict(path=str(path), credentials=dict(stored, OAuth_Token=SECRET + '-f')), diff=True)
    assert SECRET not in json.dumps(result)
    before = result['diff']['before']['credentials']
    assert before['oauth'] == {'Secret': '********', 'id': 'kept'}
    assert before['hooks'] == [{'Token': '********'}, {'url': 'http://koding.test'}]
    assert before['secrets'] == '********'


def test_stale_temporary_files_of_a_killed_write_are_removed(tmp_path):
    directory = tmp_path / 'private'
    directory.mkdir(mode=0o700)
    path = directory / 'credentials.json'
    path.write_text(koding_wiring_credentials.render(CREDENTIALS))
    path.chmod(0o600)
    stale = directory / '.credentials.json.k1ll3d_x'
    stale.write_text('{"application_secret": "half')
    stale.chmod(0o600)
    outside = tmp_path / 'outside'
    outside.write_text('not ours')
    link = directory / '.credentials.json.symlink1'
    link.symlink_to(outside)
    others = [directory / '.credentials.json.short', directory / '.other.json.abcdefgh', directory / '.credentials.json.abcdefghi']
    for other in others:
        other.write_text('kept')
    subdirectory = directory / '.credentials.json.subdir00'
    subdirectory.mkdir()
    an_hour_ago = time.time() - 3600
    for old in [stale, link, subdirectory] + others:
        os.utime(old, (an_hour_ago, an_hour_ago), follow_symlinks=False)
    # Another run's write under way: too young to be stale.
    young = directory / '.credentials.json.writing1'
    young.write_text('{"application_secret": "being written')

    read = run_credentials(dict(path=str(path)))
    assert read['private'] is False
    result = run_credentials(dict(path=str(path), credentials=CREDENTIALS))
    assert result['changed'] is True
    assert not stale.exists()
    assert link.is_symlink() and outside.read_text() == 'not ours'
    assert all(other.exists() for other in others) and subdirectory.is_dir() and young.exists()
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600
    young.unlink()
    assert run_credentials(dict(path=str(path)))['private'] is True
    assert run_credentials(dict(path=str(path), credentials=CREDENTIALS))['changed'] is False


# -- aws_instance_type_info ---------------------------------------------------------------------------------------

TOKEN = 'session-token-abcdef-0123456789'
AWS_SECRET = 'aws-secret-key-abcdef-0123456789'


@pytest.fixture
def aws_environment(monkeypatch, tmp_path):
    pytest.importorskip('botocore')
    for name in list(os.environ):
        if name.startswith('AWS_'):
            monkeypatch.delenv(name)
    monkeypatch.setenv('AWS_CONFIG_FILE', str(tmp_path / 'aws-config'))
    monkeypatch.setenv('AWS_SHARED_CREDENTIALS_FILE', str(tmp_path / 'aws-credentials'))
    monkeypatch.setenv('AWS_EC2_METADATA_DISABLED', 'true')


def run_aws(args, expect_fail=True):
    base = dict(instance_types=['c7i.xlarge'], region='eu-west-1', access_key='AKIAEXAMPLEKEY', secret_key=AWS_SECRET, session_token=TOKEN, timeout=2)
    base.update(args)
    base = dict((name, value) for name, value in base.items() if value is not None)
    result = run_main(aws_instance_type_info.main, base, NO_REQUESTS, None, expect_fail=expect_fail)
    assert_no_secret(result, AWS_SECRET, base.get('session_token') or TOKEN)
    return result


@pytest.mark.parametrize(
    'args, words',
    [
        (dict(region='not a region!'), ['region']),
        (dict(region='eu-west-1\n'), ['region']),
        (dict(endpoint_url='not-a-url'), ['endpoint_url']),
        (dict(endpoint_url='http://user:%s@127.0.0.1:1/' % URL_PASSWORD), ['Reading the instance types']),
        (dict(profile='no-such-profile', access_key=None, secret_key=None, session_token=None), ['profile']),
        (dict(session_token=TOKEN + '\nsecond-line-of-it'), ['session_token']),
        (dict(secret_key=AWS_SECRET + '\r'), ['secret_key']),
        (dict(timeout=0), ['timeout']),
        (dict(timeout='nan'), ['timeout']),
    ],
)
def test_aws_bad_options_fail_cleanly(aws_environment, args, words):  # pylint: disable=redefined-outer-name,unused-argument
    result = run_aws(args)
    for word in words:
        assert word in result['msg'], result['msg']
    assert URL_PASSWORD not in result['msg']


@pytest.mark.usefixtures('aws_environment')
def test_aws_a_session_token_with_a_newline_from_the_environment_is_refused_unprinted(monkeypatch):
    token = TOKEN + '\nsecond-line-of-it'
    monkeypatch.setenv('AWS_ACCESS_KEY_ID', 'AKIAEXAMPLEKEY')
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', AWS_SECRET)
    monkeypatch.setenv('AWS_SESSION_TOKEN', token)
    with local_server({'*': Answer(200, '<x/>')}) as server:
        args = dict(instance_types=['c7i.xlarge'], region='eu-west-1', endpoint_url=server.url, timeout=2)
        result = run_main(aws_instance_type_info.main, args, NO_REQUESTS, None, expect_fail=True)
        # amazon.aws reads AWS_SESSION_TOKEN into the session_token option, which is checked before any request.
        assert not server.seen
    assert 'session_token' in result['msg'], result['msg']
    assert_no_secret(result, token, AWS_SECRET)
    assert repr(token)[1:-1] not in json.dumps(result)


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + ''.join('<!ENTITY lol%d "%s">' % (level, ('&lol%s;' % (level - 1 if level > 1 else '')) * 10) for level in range(1, 10))
    + ']><DescribeInstanceTypesResponse><instanceTypeSet><item><instanceType>&lol9;</instanceType></item></instanceTypeSet>'
    '</DescribeInstanceTypesResponse>'
)


@pytest.mark.parametrize(
    'answer',
    [
        Answer(200, '<<<not xml'),
        Answer(200, ''),
        Answer(302, '', {'Location': 'http://127.0.0.1:1/elsewhere'}),
        Answer(200, BOMB),
        Answer(500, '<' + 'x' * (4 * 1024 * 1024)),
        Answer(200, '<Response><Nothing/></Response>'),
        Answer(200, '<DescribeInstanceTypesResponse><instanceTypeSet><item><vCpuInfo/></item></instanceTypeSet></DescribeInstanceTypesResponse>'),
        Answer(400, '<Response><Errors><Error><Code>InvalidInstanceType</Code></Error></Errors></Response>'),
        Answer(200, 'x' * 10, trickle=0.3),
        Answer(200, '', delay=2.5),
    ],
    ids=['invalid-xml', 'empty', 'redirect', 'entity-bomb', 'huge', 'no-keys', 'item-without-keys', 'error-without-message', 'trickle', 'silent'],
)
def test_aws_endpoint_answering_badly(aws_environment, answer):  # pylint: disable=redefined-outer-name,unused-argument
    with local_server({'*': answer}) as server:
        started = time.monotonic()
        args = dict(instance_types=['c7i.xlarge'], region='eu-west-1', access_key='AKIAEXAMPLEKEY', secret_key=AWS_SECRET, endpoint_url=server.url, timeout=1)
        result = run_main(aws_instance_type_info.main, args, NO_REQUESTS, None, expect_fail=None)
        took = time.monotonic() - started
        assert server.seen, result
    assert_no_secret(result, AWS_SECRET)
    if result.get('failed'):
        assert result['msg'].startswith('Reading the instance types failed'), result['msg']
        assert len(result['msg']) < 1000, len(result['msg'])
    else:
        assert result['instance_types'] == [] or result['instance_types'][0]['instance_type'] == 'c7i.xlarge'
    # botocore bounds each read (timeout) and the tries (three), not a whole answer.
    assert took < 20


@pytest.mark.parametrize(
    'path, problem',
    [
        ('/usr/bin/gitlab-wiring.json', 'is in /usr, which belongs to the system'),
        ('/var/log/gitlab-wiring.json', 'is in /var/log, which belongs to the system'),
        ('/etc/gitlab-wiring.json', 'is /etc, a directory shared with other software'),
        ('/etc/koding/../gitlab-wiring.json', 'is /etc, a directory shared with other software'),
    ],
)
def test_a_system_directory_is_never_made_private(path, problem):
    # Read only (no credentials): a write that got past the check would make that directory 0700.
    result = run_credentials(dict(path=path), expect_fail=True)
    assert problem in result['msg'], result['msg']
