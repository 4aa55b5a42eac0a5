# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A misbehaving HTTP server on 127.0.0.1 for the hostile-input tests: each path answers as a test says."""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Answer:
    """What a path answers: status, headers and body; optionally after delay seconds, the body a byte at a time
    (trickle seconds apart), or the request echoed."""

    def __init__(self, status=200, body=b'', headers=None, trickle=None, echo=False, delay=None, trickle_headers=False):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode('utf-8')
        self.headers = dict(headers or {})
        self.trickle = trickle
        self.echo = echo
        self.delay = delay
        self.trickle_headers = trickle_headers


class _Handler(BaseHTTPRequestHandler):
    server_version = 'hostile'
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass

    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        posted = self.rfile.read(length) if length else b''
        self.server.seen.append(dict(method=self.command, path=self.path, headers=dict(self.headers), body=posted))
        answer = self.server.answers.get(self.path.split('?')[0]) or self.server.answers.get('*') or Answer(404, 'not here')
        body = answer.body
        if answer.echo:
            body = posted + ('\n%s %s\n%s' % (self.command, self.path, self.headers)).encode('utf-8', 'replace')
        if answer.delay:
            time.sleep(answer.delay)
        if answer.trickle_headers:
            # The status line and headers themselves a byte at a time (the body never comes).
            head = 'HTTP/1.1 %d Trickled\r\n' % answer.status + ''.join('X-Filler-%d: %s\r\n' % (number, 'x' * 40) for number in range(60))
            self.close_connection = True
            self._write(head.encode('ascii'), answer.trickle or 0.05)
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self._write(body, answer.trickle)

    def _write(self, data, trickle):
        try:
            if trickle:
                for index in range(len(data)):
                    self.wfile.write(data[index : index + 1])
                    self.wfile.flush()
                    time.sleep(trickle)
            else:
                self.wfile.write(data)
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@contextlib.contextmanager
def local_server(answers):
    """A server on 127.0.0.1 answering {path: Answer} ('*' for any other path); yields it (url, seen)."""
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    server.daemon_threads = True
    server.answers = answers
    server.seen = []
    server.url = 'http://127.0.0.1:%d' % server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
