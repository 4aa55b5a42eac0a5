"""Fixtures for the lab GitLab fidelity tests: the server as a subprocess, a hook receiver."""

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from .gitlab_lab.tokens import ADMIN_TOKEN

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server.py")


class Lab:
    """A running lab server and shortcuts to talk to it."""

    def __init__(self, profile, process, port):
        self.profile = profile
        self.process = process
        self.url = "http://127.0.0.1:%d" % port
        self.session = requests.Session()

    def api(self, method, path, token=ADMIN_TOKEN, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["PRIVATE-TOKEN"] = token
        kwargs.setdefault("allow_redirects", False)
        return self.session.request(method, self.url + "/api/v4" + path, headers=headers, timeout=30, **kwargs)

    def control(self, method, name, body=None):
        answer = self.session.request(method, self.url + "/__lab__/" + name, json=body, timeout=60)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def reset(self):
        self.control("POST", "reset")

    def requests_log(self):
        return self.control("GET", "requests")["requests"]

    def deliveries(self):
        return self.control("GET", "deliveries")

    def gitlab(self, token=ADMIN_TOKEN):
        import gitlab  # pylint: disable=import-outside-toplevel

        return gitlab.Gitlab(self.url, private_token=token, retry_transient_errors=False)

    def stop(self):
        self.session.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_lab(profile, directory, features=()):
    port_file = os.path.join(str(directory), "lab-gitlab-%s.port" % profile)
    command = [sys.executable, SERVER, "--profile", profile, "--port", "0", "--port-file", port_file]
    for feature in features:
        command += ["--feature", feature]
    process = subprocess.Popen(command)  # pylint: disable=consider-using-with
    deadline = time.monotonic() + 30
    while not os.path.exists(port_file):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("lab GitLab (%s) did not start" % profile)
        time.sleep(0.05)
    with open(port_file, encoding="utf-8") as handle:
        port = int(handle.read().strip())
    return Lab(profile, process, port)


@pytest.fixture(scope="session")
def lab_factory(tmp_path_factory):
    """Start extra labs (e.g. with --feature switches); all stop at the end of the session."""
    started = []

    def factory(profile, features=()):
        lab = start_lab(profile, tmp_path_factory.mktemp("lab"), features)
        started.append(lab)
        return lab

    yield factory
    for lab in started:
        lab.stop()


@pytest.fixture(scope="session")
def legacy_server(lab_factory):
    return lab_factory("legacy")


@pytest.fixture(scope="session")
def modern_server(lab_factory):
    return lab_factory("modern")


@pytest.fixture(scope="session")
def transition_server(lab_factory):
    return lab_factory("transition")


@pytest.fixture(params=["legacy", "transition", "modern"])
def lab(request):
    server = request.getfixturevalue("%s_server" % request.param)
    server.reset()
    return server


@pytest.fixture
def legacy(legacy_server):
    legacy_server.reset()
    return legacy_server


@pytest.fixture
def transition(transition_server):
    transition_server.reset()
    return transition_server


@pytest.fixture
def modern(modern_server):
    modern_server.reset()
    return modern_server


class Receiver:
    """A tiny hook receiver on 127.0.0.1 that records what it gets."""

    def __init__(self):
        self.received = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # pylint: disable=invalid-name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append({"path": self.path, "headers": dict(self.headers.items()), "payload": json.loads(body)})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):  # pylint: disable=redefined-builtin
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    hook_receiver = Receiver()
    yield hook_receiver
    hook_receiver.close()
