# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.koding.gitlab.plugins.modules import tls_certificate_info
from ansible_collections.koding.gitlab.tests.unit.plugins.module_harness import ModuleExit, _exit_json, _fail_json, patch_module_args
from ansible_collections.koding.gitlab.tests.unit.plugins.module_utils.test_tls_certificate import cert_pem, issue, key_pem, make_key

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)
NAME = 'koding.example.com'


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp('pki')
    root_key, leaf_key = make_key(), make_key()
    root = issue('Lab Root', root_key, ca=True, start=NOW - DAY, end=NOW + 3650 * DAY)
    (directory / 'ca.pem').write_text(cert_pem(root))
    (directory / 'key.pem').write_text(key_pem(leaf_key))
    for label, days in (('good', 30), ('soon', 5)):
        leaf = issue(NAME, leaf_key, root, root_key, names=[NAME, 'gitlab.' + NAME], start=NOW - DAY, end=NOW + days * DAY + datetime.timedelta(hours=1))
        (directory / (label + '.pem')).write_text(cert_pem(leaf))
    return directory


@pytest.fixture
def server(pki, request):
    """A TLS server on 127.0.0.1 that presents the certificate named by the test's parameter and closes."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pki / (request.param + '.pem')), str(pki / 'key.pem'))
    listener = socket.create_server(('127.0.0.1', 0))
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, dummy = listener.accept()
            except socket.timeout:
                continue
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


def run(args):
    warnings = []
    with patch_module_args(dict(args, _ansible_check_mode=True)), mock.patch.object(basic.AnsibleModule, 'exit_json', _exit_json), mock.patch.object(
        basic.AnsibleModule, 'fail_json', _fail_json
    ), mock.patch.object(basic.AnsibleModule, 'warn', lambda self, warning: warnings.append(warning)):
        with pytest.raises(ModuleExit) as caught:
            tls_certificate_info.main()
    return dict(caught.value.result, warnings=warnings)


@pytest.mark.parametrize('server', ['good'], indirect=True)
def test_a_certificate_from_the_trusted_ca_verifies(server, pki):
    result = run({'name': 'gitlab.' + NAME, 'port': server, 'connect_address': '127.0.0.1', 'ca_path': str(pki / 'ca.pem')})
    assert result['verified'] is True and result['error'] == ''
    assert result['names'] == [NAME, 'gitlab.' + NAME]
    assert result['issuer'] == 'Lab Root'
    assert result['days_left'] == 30
    assert result['changed'] is False


@pytest.mark.parametrize('server', ['good'], indirect=True)
def test_the_system_store_does_not_know_the_lab_ca(server):
    result = run({'name': NAME, 'port': server, 'connect_address': '127.0.0.1'})
    assert result['verified'] is False
    assert 'certificate verify failed' in result['error']
    # What was presented is still described.
    assert result['names'] == [NAME, 'gitlab.' + NAME] and result['days_left'] == 30


@pytest.mark.parametrize('server', ['soon'], indirect=True)
def test_a_name_the_certificate_does_not_hold_fails_verification(server, pki):
    result = run({'name': 'other.example.com', 'port': server, 'connect_address': '127.0.0.1', 'ca_path': str(pki / 'ca.pem')})
    assert result['verified'] is False
    assert 'other.example.com' in result['error'] or 'Hostname mismatch' in result['error']
    assert result['days_left'] == 5
    assert result['warnings'] == []


@pytest.mark.parametrize('server', ['soon'], indirect=True)
def test_a_certificate_near_expiry_warns(server, pki):
    result = run({'name': NAME, 'port': server, 'connect_address': '127.0.0.1', 'ca_path': str(pki / 'ca.pem'), 'warn_days': 21})
    assert result['verified'] is True
    assert len(result['warnings']) == 1 and result['warnings'][0].startswith('The certificate of %s expires in 5 days' % NAME)


def test_no_server_is_reported_not_raised():
    with socket.socket() as unused:
        unused.bind(('127.0.0.1', 0))
        port = unused.getsockname()[1]
    result = run({'name': NAME, 'port': port, 'connect_address': '127.0.0.1'})
    assert result['verified'] is False
    assert result['error'].startswith('no TLS handshake with 127.0.0.1 port %d' % port)


@pytest.mark.parametrize('args, message', [({'name': 'a b'}, "name 'a b' is not a host name"), ({'name': NAME, 'port': 0}, 'port 0 is not a TCP port')])
def test_bad_input_names_the_option(args, message):
    result = run(args)
    assert result['failed'] and result['msg'] == message
