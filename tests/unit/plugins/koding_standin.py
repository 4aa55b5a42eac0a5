# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Koding lab stand-in (tests/lab/koding/standin), in process: its server on 127.0.0.1 with the in-memory
store, for the unit tests of the Koding modules. What it was sent is kept, so a test can tell reads from writes."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import urllib.parse

STANDIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'lab', 'koding', 'standin')
sys.path.insert(0, os.path.join(STANDIN, 'server'))
import konfig as konfig_lib  # noqa: E402  pylint: disable=wrong-import-position,import-error
from koding_standin.handlers import Handler, Server  # noqa: E402  pylint: disable=wrong-import-position,import-error
from koding_standin.stores import MemoryStore  # noqa: E402  pylint: disable=wrong-import-position,import-error

HOSTNAME = 'koding.test'
ADMIN = {'username': 'gitlabowner', 'email': 'owner@koding.test', 'password_hash': 'pbkdf2$0$0'}


class _RecordingHandler(Handler):
    def answer(self, method, body):
        self.server.seen.append(dict(method=method, path=urllib.parse.urlsplit(self.path).path, form=body, headers=dict(self.headers)))
        super().answer(method, body)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


class StandIn:
    """A running stand-in: url, store (MemoryStore), seen (the requests, in order: method, path, form, headers)."""

    def __init__(self, server):
        self.server = server
        self.store = server.store
        self.seen = server.seen
        self.url = 'http://127.0.0.1:%d' % server.server_address[1]

    def writes(self):
        return [request for request in self.seen if request['method'] != 'GET']

    def add_team(self, slug, title=None):
        self.store.create_team(slug, title or slug, dict(ADMIN, username='%sowner' % slug, email='%s@koding.test' % slug), new_user=True)


@contextlib.contextmanager
def koding_standin(**configure):
    """A stand-in configured as ./configure --hostname=koding.test [--key=value ...] would configure it."""
    konfig = konfig_lib.build(dict({'hostname': HOSTNAME}, **configure), os.path.abspath(STANDIN))
    server = Server(('127.0.0.1', 0), _RecordingHandler, konfig, MemoryStore())
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()
    try:
        yield StandIn(server)
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def closed_port():
    """A port on 127.0.0.1 that refuses connections: bound (so no other server takes it meanwhile) but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(('127.0.0.1', 0))
        yield holder.getsockname()[1]
