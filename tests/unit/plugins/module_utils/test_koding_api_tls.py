# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Koding client over https, as the verify role uses it behind the koding role's TLS front: a name under
.localhost (or connect_address) connects to an address, while TLS names the public host (SNI, certificate check)."""

from __future__ import annotations

import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.koding.gitlab.plugins.module_utils._koding_api import KodingClient, KodingError
from ansible_collections.koding.gitlab.tests.unit.plugins.module_utils.test_tls_certificate import cert_pem, issue, key_pem, make_key

NAME = 'koding.localhost'


@pytest.fixture(name='front', scope='module')
def front_fixture(tmp_path_factory):
    """An https server on 127.0.0.1 with a certificate for NAME from a private CA; yields (port, CA file, SNI seen)."""
    directory = tmp_path_factory.mktemp('front')
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    root_key, site_key = make_key(), make_key()
    root = issue('Lab Root', root_key, ca=True, start=now - day, end=now + 30 * day)
    site = issue(NAME, site_key, root, root_key, names=[NAME], start=now - day, end=now + 30 * day)
    (directory / 'ca.pem').write_text(cert_pem(root))
    (directory / 'site.pem').write_text(cert_pem(site))
    (directory / 'site.key').write_text(key_pem(site_key))
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # pylint: disable=invalid-name
            self.send_response(200)
            self.send_header('Content-Length', '2')
            self.end_headers()
            self.wfile.write(b'ok')

        def log_message(self, format, *args):  # pylint: disable=redefined-builtin
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(directory / 'site.pem'), str(directory / 'site.key'))
    context.sni_callback = lambda sock, name, ctx: seen.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1], str(directory / 'ca.pem'), seen
    server.shutdown()
    server.server_close()


def test_ca_path_verifies_the_front_by_its_name(front):
    port, ca_path, seen = front
    client = KodingClient('https://%s:%d' % (NAME, port), ca_path=ca_path, max_retries=0)
    assert client.request('GET', '/healthcheck').status_code == 200
    assert seen[-1] == NAME


def test_connect_address_keeps_the_name_for_tls(front):
    port, ca_path, seen = front
    client = KodingClient('https://%s:%d' % (NAME, port), ca_path=ca_path, connect_address='127.0.0.1', max_retries=0)
    assert client.request('GET', '/healthcheck').status_code == 200
    assert seen[-1] == NAME


def test_without_the_ca_the_certificate_is_refused(front):
    port, _ca_path, _seen = front
    client = KodingClient('https://%s:%d' % (NAME, port), max_retries=0)
    with pytest.raises(KodingError, match='CERTIFICATE_VERIFY_FAILED|certificate verify failed'):
        client.request('GET', '/healthcheck')
