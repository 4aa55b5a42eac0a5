"""System hook deliveries over https: verified as GitLab verifies them (Gitlab::HTTP with enable_ssl_verification: the
chain against the system store and the CA certificates of /etc/gitlab/trusted-certs, and the host name), never more
leniently; unverified only where the hook says so."""

import json
import os
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .gitlab_lab import deliveries

MAKE_CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "extensions", "molecule", "koding_tls", "make_certs.py")


@pytest.fixture(name="certs", scope="module")
def certs_fixture(tmp_path_factory):
    directory = tmp_path_factory.mktemp("certs")
    subprocess.run([sys.executable, MAKE_CERTS, str(directory), "localhost"], check=True)
    return directory


@pytest.fixture(name="tls_receiver")
def tls_receiver_fixture(certs):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # pylint: disable=invalid-name
            received.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):  # pylint: disable=redefined-builtin
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    fullchain = certs / "fullchain.pem"
    fullchain.write_bytes((certs / "site.pem").read_bytes() + (certs / "chain.pem").read_bytes())
    context.load_cert_chain(str(fullchain), str(certs / "site.key"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1], received
    server.shutdown()
    server.server_close()


def deliver(url, verify):
    return deliveries.post_json(url, {"Content-Type": "application/json"}, {"event_name": "user_create"}, verify)


def test_a_ca_gitlab_does_not_trust_is_refused(tls_receiver, tmp_path, monkeypatch):
    port, received = tls_receiver
    monkeypatch.setattr(deliveries, "TRUSTED_CERTS_DIR", str(tmp_path / "none"))
    with pytest.raises(ssl.SSLCertVerificationError):
        deliver("https://localhost:%d/-/api/gitlab" % port, True)
    assert received == []


def trust_lab_ca(certs, tmp_path, monkeypatch, file_name):
    """The lab CA in the lab GitLab's trusted-certs directory, under FILE_NAME (GitLab takes .crt and .pem)."""
    trusted = tmp_path / "trusted-certs"
    trusted.mkdir()
    (trusted / file_name).write_bytes((certs / "ca.pem").read_bytes())
    monkeypatch.setattr(deliveries, "TRUSTED_CERTS_DIR", str(trusted))


def test_trusted_certs_make_the_delivery_verified(tls_receiver, certs, tmp_path, monkeypatch):
    port, received = tls_receiver
    trust_lab_ca(certs, tmp_path, monkeypatch, "lab-ca.crt")
    assert deliver("https://localhost:%d/-/api/gitlab" % port, True) == 200
    assert received == [{"event_name": "user_create"}]


def test_a_name_the_certificate_lacks_is_refused_even_with_the_ca_trusted(tls_receiver, certs, tmp_path, monkeypatch):
    port, received = tls_receiver
    trust_lab_ca(certs, tmp_path, monkeypatch, "lab-ca.pem")
    with pytest.raises(ssl.SSLCertVerificationError):
        deliver("https://127.0.0.1:%d/-/api/gitlab" % port, True)
    assert received == []


def test_verification_off_only_where_the_hook_says_so(tls_receiver, tmp_path, monkeypatch):
    port, received = tls_receiver
    monkeypatch.setattr(deliveries, "TRUSTED_CERTS_DIR", str(tmp_path / "none"))
    assert deliver("https://localhost:%d/-/api/gitlab" % port, False) == 200
    assert len(received) == 1
