"""The HTTP side of the stand-in: the public port's handler, which answers each request through the route table,
the supervisord console analogue, and the server that holds the konfig and the store."""

import base64
import hmac
import http.cookies
import http.server
import json
import secrets
import urllib.parse

from .log import log
from .routes import RouteTable
from .rules import CONSOLE_PASSWORD, CONSOLE_USER
from .stores import StoreError


class Handler(http.server.BaseHTTPRequestHandler):
    """The public port (8090): nginx, webserver and kontrol in one. Every request gets a session first (its
    cookies in self.new_cookies, its clientId in self.client_id); then its route answers, else 404."""

    server_version = 'nginx'
    sys_version = ''
    protocol_version = 'HTTP/1.1'

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        # Only the path: OAuth codes and other query values stay out of the log.
        log('%s %s %s' % (self.command, urllib.parse.urlsplit(self.path).path, args[1] if len(args) > 1 else ''))

    @property
    def konfig(self):
        return self.server.konfig

    @property
    def store(self):
        return self.server.store

    def do_HEAD(self):  # pylint: disable=invalid-name
        self.do_GET()

    def do_GET(self):  # pylint: disable=invalid-name
        self.answer('GET', body=None)

    def do_POST(self):  # pylint: disable=invalid-name
        self.answer('POST', body=self.read_body())

    def answer(self, method, body):
        url = urllib.parse.urlsplit(self.path)
        self.url_path, self.body = url.path, body
        self.new_cookies, self.client_id = self.session_cookies()
        try:
            route = self.server.routes.resolve(method, url.path, self.konfig)
            if route is None:
                # A GET's 404 carries the session cookies, a POST's does not.
                self.send(404, 'Not Found', headers=self.new_cookies if method == 'GET' else None)
            else:
                handler, self.match = route
                handler(self)
        except StoreError as error:
            self.send(error.status, {'error': error.message})

    def cookies(self):
        jar = http.cookies.SimpleCookie()
        try:
            jar.load(self.headers.get('Cookie', ''))
        except http.cookies.CookieError:
            return {}
        return {key: morsel.value for key, morsel in jar.items()}

    def send(self, status, body=b'', content_type='text/plain; charset=utf-8', headers=None):
        if isinstance(body, (dict, list)):
            body, content_type = json.dumps(body).encode(), 'application/json; charset=utf-8'
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for name, value in headers or []:
            self.send_header(name, value)
        if body or status not in (204, 304):
            self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        if 'json' in self.headers.get('Content-Type', ''):
            try:
                data = json.loads(raw or b'{}')
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
        return {key: values[-1] for key, values in urllib.parse.parse_qs(raw.decode('utf-8', 'replace'), keep_blank_values=True).items()}

    def session_cookies(self):
        """setsession.coffee:22-33 and client.coffee:13-35: a request gets a session (a clientId cookie, and a
        _csrf cookie when it has none) only when the session store answers. Returns the cookies to set and
        the request's clientId (its cookie, or the new pending one)."""
        cookies = self.cookies()
        if not self.store.ready():
            return [], cookies.get('clientId')
        headers = []
        # helpers.coffee:325 and client.coffee:35: Secure as KONFIG.sessionCookie.secure says.
        secure = '; Secure' if self.server.konfig.get('sessionCookie', {}).get('secure') else ''
        client_id = cookies.get('clientId')
        if not client_id:
            client_id = secrets.token_urlsafe(18)
            headers.append(('Set-Cookie', 'clientId=%s; Path=/%s' % (client_id, secure)))
        if not cookies.get('_csrf'):
            headers.append(('Set-Cookie', '_csrf=%s; Path=/%s' % (secrets.token_urlsafe(16), secure)))
        return headers, client_id

    def csrf_valid(self, form):
        """csrf.coffee:3-16: the _csrf cookie must equal the first token given; both absent is equal."""
        token = (
            form.get('_csrf')
            or self.query().get('_csrf')
            or next((self.headers[name] for name in ('csrf-token', 'xsrf-token', 'x-csrf-token', 'x-xsrf-token') if self.headers.get(name)), None)
        )
        return self.cookies().get('_csrf') == token

    def form_refused(self, form):
        """csrf.coffee's check, then the session every form handler needs (500 `clientId is not set`,
        helpers.coffee:286-289); True when the request was answered so."""
        if not self.csrf_valid(form):
            self.send(403, '_csrf token is not valid', headers=self.new_cookies)
            return True
        if not self.client_id:
            self.send(500, {'message': 'clientId is not set'}, headers=self.new_cookies)
            return True
        return False

    def query(self):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))


class ConsoleHandler(http.server.BaseHTTPRequestHandler):
    """The supervisord console analogue: basic auth koding / 1q2w3e4r, lists the programs."""

    server_version = 'Medusa/1.12'
    sys_version = ''

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        log('console %s %s' % (self.command, urllib.parse.urlsplit(self.path).path))

    def do_GET(self):  # pylint: disable=invalid-name
        expected = 'Basic ' + base64.b64encode(('%s:%s' % (CONSOLE_USER, CONSOLE_PASSWORD)).encode()).decode()
        if not hmac.compare_digest(self.headers.get('Authorization', ''), expected):
            body = b'Unauthorized'
            self.send_response(401)
            self.send_header('WWW-Authenticate', 'Basic realm="default"')
        else:
            body = b'webserver RUNNING\nkontrol RUNNING\n'
            self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, konfig, store):
        self.konfig = konfig
        self.store = store
        self.routes = RouteTable()
        super().__init__(address, handler)
