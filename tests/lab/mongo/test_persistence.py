"""--dbpath: every write reaches the data directory before the client hears back, and a restart keeps it; the CLI."""

import os
import signal
import socket
import subprocess
import sys

import bson

from .conftest import SERVER, LabMongo, WireClient


def test_a_restart_keeps_documents_indexes_and_drops(tmp_path, node):
    dbpath = str(tmp_path / 'data')
    first = LabMongo(dbpath=dbpath)
    first.start()
    try:
        node(first.uri + '/app', 'persist-write')
    finally:
        first.stop()
    assert sorted(os.listdir(os.path.join(dbpath, 'app'))) == ['kept.bson', 'kept.metadata.json']
    second = LabMongo(dbpath=dbpath)
    second.start()
    try:
        report = node(second.uri + '/app', 'persist-read')
    finally:
        second.stop()
    assert report['read']['docs'] == [{'key': 'a', 'millis': 1471910400123}, {'key': 'b', 'v': 2, 'millis': None}]
    assert report['read']['duplicate']['code'] == 11000
    assert report['read']['collections'] == ['app.kept', 'app.system.indexes']


def test_the_data_directory_is_a_dump(tmp_path):
    """What --dbpath holds is mongodump's layout: a restore of it gives the same data."""
    dbpath = str(tmp_path / 'data')
    lab = LabMongo(dbpath=dbpath)
    lab.start()
    client = WireClient(lab.port)
    try:
        client.send(2002, bytes(4) + b'app.things\0' + bson.encode({'_id': 1, 'a': 'x'}) + bson.encode({'_id': 2, 'a': 'y'}))
        assert client.command('app', {'getlasterror': 1})['err'] is None
    finally:
        client.close()
        lab.stop()
    with open(os.path.join(dbpath, 'app', 'things.bson'), 'rb') as handle:
        assert bson.decode_all(handle.read()) == [{'_id': 1, 'a': 'x'}, {'_id': 2, 'a': 'y'}]
    copy = LabMongo()
    assert copy.restore(os.path.join(dbpath, 'app'), 'other') == {'things': 2}


def test_the_command_line_restores_serves_and_stops(tmp_path, dump_path):
    port_file = str(tmp_path / 'port')
    dbpath = str(tmp_path / 'data')
    command = [sys.executable, SERVER, '--host', '127.0.0.1', '--port', '0', '--port-file', port_file, '--dbpath', dbpath]
    process = subprocess.Popen(command + ['--restore', dump_path, '--db', 'koding'], stdout=subprocess.PIPE, text=True)  # pylint: disable=consider-using-with
    try:
        ready = process.stdout.readline()
        assert ' ready on 127.0.0.1:' in ready and 'koding (23 collections)' in ready and 'restored 868 documents into koding' in ready, ready
        with open(port_file, encoding='utf-8') as handle:
            port = int(handle.read())
        client = WireClient(port)
        try:
            assert client.command('koding', {'count': 'jLocationStates'})['n'] == 825
            assert client.command('admin', {'serverStatus': 1})['ok'] == 1
        finally:
            client.close()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        process.stdout.close()
    # a restart from the data directory alone
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # pylint: disable=consider-using-with
    try:
        ready = process.stdout.readline()
        assert 'koding (23 collections)' in ready, ready
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        process.stdout.close()


def test_ping_is_a_health_check(lab):
    base = [sys.executable, SERVER, '--ping', '--host', '0.0.0.0']
    assert subprocess.run(base + ['--port', str(lab.port)], check=False, timeout=30).returncode == 0
    with socket.socket() as unused:
        unused.bind(('127.0.0.1', 0))
        free_port = unused.getsockname()[1]
    assert subprocess.run(base + ['--port', str(free_port)], check=False, timeout=30).returncode == 1


def test_the_mongod_flags_of_the_roles_command_are_accepted(tmp_path):
    port_file = str(tmp_path / 'port')
    command = [sys.executable, SERVER, '--port', '0', '--port-file', port_file, '--dbpath', str(tmp_path / 'db'), '--smallfiles']
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # pylint: disable=consider-using-with
    try:
        assert ' ready on 127.0.0.1:' in process.stdout.readline()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        process.stdout.close()
