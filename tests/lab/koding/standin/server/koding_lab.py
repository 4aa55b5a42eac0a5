"""Koding lab stand-in server: the public HTTP surface of a Koding backend (nginx + webserver + kontrol).

It keeps users, teams and sessions in the stack's PostgreSQL (database social), or in memory with
--store memory. It also serves a password-protected console on 9001, the analogue of supervisord's
HTTP console, which a deployment must never publish.
"""

import argparse
import base64
import hashlib
import hmac
import http.cookies
import http.server
import json
import os
import re
import secrets
import signal
import socket
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

import konfig as konfig_lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLUG = re.compile(r'^[a-z0-9]+(-[a-z0-9]+)*$')
USERNAME = re.compile(r'^[a-z0-9][a-z0-9-]{3,24}$')
EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
CONSOLE_USER, CONSOLE_PASSWORD = 'koding', '1q2w3e4r'


# servers/lib/server/handlers/api/errors.coffee:3-6, 38-41
API_ERRORS = {
    'internalError': {'status': 500, 'message': 'The server encountered an internal error.', 'code': 'InternalError'},
    'invalidInput': {'status': 400, 'message': 'One of the request inputs is invalid.', 'code': 'InvalidInput'},
}
# The methods of each handler class under servers/lib/server/handlers/api/gitlab/ (index.coffee:11-17).
GITLAB_HANDLERS = {
    'key': ('create', 'destroy'),
    'tag': ('push',),
    'user': ('create', 'destroy', 'add_to_team', 'remove_from_team', 'add_to_group', 'remove_from_group'),
    'push': ('main',),
    'group': ('create', 'destroy'),
    'project': ('create', 'destroy', 'rename', 'transfer'),
}
UNDEFINED = object()


def js_string(value):
    """JavaScript's String(value) for a value read from JSON."""
    if value is UNDEFINED:
        return 'undefined'
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return '[object Object]' if isinstance(value, dict) else ','.join(js_string(item) for item in value)
    return str(value)


def parse_event(event):
    """utils.coffee:9-15: 'project_create' -> ('project', 'create'); 'push' -> ('push', 'main')."""
    scope, _sep, method = event.partition('_')
    return scope, method or 'main'


class StoreError(Exception):
    """A request that the data does not allow; carries the HTTP status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def hash_password(password, salt=None):
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac('sha256', password.encode(), salt.encode(), 10000).hex()
    return 'pbkdf2$%s$%s' % (salt, digest)


def check_password(password, stored):
    salt = stored.split('$')[1]
    return hmac.compare_digest(hash_password(password, salt), stored)


class MemoryStore:
    """Users, teams and sessions in dictionaries (tests without PostgreSQL)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.users = {}
        self.teams = {}
        self.members = {}
        self.sessions = {}

    def ready(self):
        return True

    def get_team(self, slug):
        with self.lock:
            team = self.teams.get(slug)
            if team is None:
                return None
            return dict(team, members=len([1 for key in self.members if key[0] == slug]))

    def get_user(self, username=None, email=None, gitlab_id=None):
        with self.lock:
            for user in self.users.values():
                if (username and user['username'] == username) or (email and user['email'] == email) or \
                        (gitlab_id and user['gitlab_id'] == gitlab_id):
                    return dict(user)
        return None

    def create_team(self, slug, title, owner, new_user):
        with self.lock:
            if slug in self.teams:
                raise StoreError(403, 'team exists')
            if new_user:
                self._add_user(owner)
            self.teams[slug] = {'slug': slug, 'title': title}
            self.members[(slug, owner['username'])] = 'owner'

    def _add_user(self, user):
        if user['username'] in self.users:
            raise StoreError(403, 'user already exists')
        if any(other['email'] == user['email'] for other in self.users.values()):
            raise StoreError(403, 'email already in use')
        self.users[user['username']] = dict(user)

    def add_user(self, user, team=None):
        with self.lock:
            if team and team not in self.teams:
                raise StoreError(500, "team '%s' does not exist" % team)
            self._add_user(user)
            if team:
                self.members[(team, user['username'])] = 'member'

    def join_team(self, username, team):
        with self.lock:
            if team in self.teams:
                self.members[(team, username)] = 'member'

    def delete_user(self, username):
        with self.lock:
            if self.users.pop(username, None) is None:
                return False
            for key in [key for key in self.members if key[1] == username]:
                del self.members[key]
            for token in [token for token, session in self.sessions.items() if session['username'] == username]:
                del self.sessions[token]
            return True

    def is_member(self, team, username):
        with self.lock:
            return (team, username) in self.members

    def create_session(self, username, team):
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions[token] = {'username': username, 'team': team}
        return token


class PostgresStore:
    """The same data in PostgreSQL; the schema (db/schema.sql) is applied as the migration."""

    def __init__(self, settings):
        self.settings = settings
        self.migrated = False
        self.lock = threading.Lock()

    def _connect(self):
        import psycopg2  # pylint: disable=import-outside-toplevel
        pg = self.settings
        return psycopg2.connect(host=pg['host'], port=int(pg['port']), user=pg['username'], password=pg['password'],
                                dbname=pg['dbname'], connect_timeout=3)

    def _run(self, func):
        """Run func(cursor) in one transaction; database errors become StoreError 503."""
        import psycopg2  # pylint: disable=import-outside-toplevel
        if not self.ready():
            raise StoreError(503, 'database is not ready')
        try:
            conn = self._connect()
        except psycopg2.Error as error:
            raise StoreError(503, 'database is not reachable: %s' % str(error).strip()) from error
        try:
            with conn:
                with conn.cursor() as cursor:
                    return func(cursor)
        except psycopg2.IntegrityError as error:
            raise StoreError(403, 'already exists') from error
        finally:
            conn.close()

    def ready(self):
        """True once PostgreSQL answers and the schema is migrated."""
        import psycopg2  # pylint: disable=import-outside-toplevel
        with self.lock:
            try:
                conn = self._connect()
            except psycopg2.Error:
                return False
            try:
                if not self.migrated:
                    with open(os.path.join(ROOT, 'db', 'schema.sql'), encoding='utf-8') as handle:
                        schema = handle.read()
                    with conn:
                        with conn.cursor() as cursor:
                            cursor.execute(schema)
                    self.migrated = True
                    log('database migrated')
                with conn.cursor() as cursor:
                    cursor.execute('SELECT 1')
                return True
            except psycopg2.Error as error:
                log('database not ready: %s' % str(error).strip())
                return False
            finally:
                conn.close()

    def get_team(self, slug):
        def query(cursor):
            cursor.execute('SELECT slug, title, (SELECT count(*) FROM lab_members WHERE team = %s) FROM lab_teams WHERE slug = %s',
                           (slug, slug))
            row = cursor.fetchone()
            return {'slug': row[0], 'title': row[1], 'members': row[2]} if row else None
        return self._run(query)

    def get_user(self, username=None, email=None, gitlab_id=None):
        def query(cursor):
            cursor.execute('SELECT username, email, password_hash, gitlab_id FROM lab_users '
                           'WHERE username = %s OR email = %s OR gitlab_id = %s', (username, email, gitlab_id))
            row = cursor.fetchone()
            return dict(zip(('username', 'email', 'password_hash', 'gitlab_id'), row)) if row else None
        return self._run(query)

    @staticmethod
    def _insert_user(cursor, user):
        cursor.execute('INSERT INTO lab_users (username, email, password_hash, gitlab_id) VALUES (%s, %s, %s, %s)',
                       (user['username'], user['email'], user['password_hash'], user.get('gitlab_id')))

    def create_team(self, slug, title, owner, new_user):
        def query(cursor):
            cursor.execute('SELECT 1 FROM lab_teams WHERE slug = %s', (slug,))
            if cursor.fetchone():
                raise StoreError(403, 'team exists')
            if new_user:
                self._insert_user(cursor, owner)
            cursor.execute('INSERT INTO lab_teams (slug, title) VALUES (%s, %s)', (slug, title))
            cursor.execute("INSERT INTO lab_members (team, username, role) VALUES (%s, %s, 'owner')", (slug, owner['username']))
        self._run(query)

    def add_user(self, user, team=None):
        def query(cursor):
            if team:
                cursor.execute('SELECT 1 FROM lab_teams WHERE slug = %s', (team,))
                if not cursor.fetchone():
                    raise StoreError(500, "team '%s' does not exist" % team)
            self._insert_user(cursor, user)
            if team:
                cursor.execute("INSERT INTO lab_members (team, username, role) VALUES (%s, %s, 'member')", (team, user['username']))
        self._run(query)

    def join_team(self, username, team):
        def query(cursor):
            cursor.execute("INSERT INTO lab_members (team, username, role) SELECT slug, %s, 'member' FROM lab_teams "
                           'WHERE slug = %s ON CONFLICT DO NOTHING', (username, team))
        self._run(query)

    def delete_user(self, username):
        def query(cursor):
            cursor.execute('DELETE FROM lab_users WHERE username = %s', (username,))
            return cursor.rowcount > 0
        return self._run(query)

    def is_member(self, team, username):
        def query(cursor):
            cursor.execute('SELECT 1 FROM lab_members WHERE team = %s AND username = %s', (team, username))
            return cursor.fetchone() is not None
        return self._run(query)

    def create_session(self, username, team):
        token = secrets.token_urlsafe(24)

        def query(cursor):
            cursor.execute('INSERT INTO lab_sessions (token, username, team) VALUES (%s, %s, %s)', (token, username, team))
        self._run(query)
        return token


def log(message):
    print('[koding-lab] %s' % message, file=sys.stderr, flush=True)


def service_answers(host, port, probe, expect, timeout=2.0):
    """Send probe over TCP and check that the reply starts with expect."""
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            sock.sendall(probe)
            return sock.recv(64).startswith(expect)
    except (OSError, ValueError):
        return False


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes of the public port (8090)."""

    server_version = 'nginx'
    sys_version = ''
    protocol_version = 'HTTP/1.1'

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        # Only the path: OAuth codes and other query values stay out of the log.
        log('%s %s %s' % (self.command, urllib.parse.urlsplit(self.path).path, args[1] if len(args) > 1 else ''))

    # helpers ----------------------------------------------------------------------------------------
    @property
    def konfig(self):
        return self.server.konfig

    @property
    def store(self):
        return self.server.store

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
        for name, value in (headers or []):
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

    def csrf_headers(self):
        """Any GET hands out a _csrf cookie for the double-submit check."""
        if self.cookies().get('_csrf'):
            return []
        return [('Set-Cookie', '_csrf=%s; Path=/' % secrets.token_urlsafe(16))]

    # routes -------------------------------------------------------------------------------------------
    def do_HEAD(self):  # pylint: disable=invalid-name
        self.do_GET()

    def do_GET(self):  # pylint: disable=invalid-name
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, dict(urllib.parse.parse_qsl(url.query))
        extra = self.csrf_headers()
        try:
            if path == '/healthcheck':
                self.send(200, headers=extra)
            elif path == '/-/version':
                if self.store.ready():
                    self.send(200, {'version': self.konfig['version']}, headers=extra)
                else:
                    self.send(503, {'error': 'database is not ready'}, headers=extra)
            elif path == '/-/healthCheck':
                self.send(200 if self.workers_answer() else 500, headers=extra)
            elif path == '/kontrol/healthCheck':
                self.send(200, 'kontrol is running with version: %s' % self.konfig['version'], headers=extra)
            elif path.startswith('/-/team/') and path.count('/') == 3:
                team = self.store.get_team(urllib.parse.unquote(path[len('/-/team/'):]))
                if team:
                    self.send(200, {'slug': team['slug'], 'title': team['title'], 'privacy': 'private', 'visibility': 'hidden',
                                    'counts': {'members': team['members']}}, headers=extra)
                else:
                    self.send(404, 'no group found', headers=extra)
            elif path == '/-/oauth/gitlab/callback':
                self.gitlab_callback(query)
            elif path == '/':
                self.send(200, 'Koding lab stand-in\n', headers=extra)
            else:
                self.send(404, 'Not Found', headers=extra)
        except StoreError as error:
            self.send(error.status, {'error': error.message})

    def do_POST(self):  # pylint: disable=invalid-name
        path = urllib.parse.urlsplit(self.path).path
        body = self.read_body()
        try:
            if path == '/-/teams/create':
                self.create_team(body or {})
            elif path == '/-/api/gitlab' and self.konfig['gitlab']['hooksEnabled']:
                self.gitlab_hook(body)
            else:
                self.send(404, 'Not Found')
        except StoreError as error:
            self.send(error.status, {'error': error.message})

    def workers_answer(self):
        redis, mq = self.konfig['redis'], self.konfig['mq']
        checks = {
            'postgres': self.store.ready(),
            'redis': service_answers(redis['host'], redis['port'], b'*1\r\n$4\r\nPING\r\n', b'+PONG'),
            # An AMQP 0-9-1 protocol header is answered by a connection.start method frame (type 1).
            'rabbitmq': service_answers(mq['host'], mq['port'], b'AMQP\x00\x00\x09\x01', b'\x01'),
        }
        failed = sorted(name for name, answered in checks.items() if not answered)
        if failed:
            log('HEALTHCHECK ERROR: no answer from %s' % ', '.join(failed))
        return not failed

    def create_team(self, form):
        cookie = self.cookies().get('_csrf')
        token = form.get('_csrf') or self.headers.get('X-CSRF-Token') or self.headers.get('CSRF-Token')
        if not cookie or not token or not hmac.compare_digest(cookie, token):
            self.send(403, '_csrf token is not valid')
            return
        slug, username = form.get('slug', ''), form.get('username', '')
        email, password = form.get('email', ''), form.get('password', '')
        problems = []
        if not SLUG.match(slug):
            problems.append('Invalid group slug')
        if slug.lower() == username.lower():
            problems.append('Sorry, your group domain and your username can not be the same!')
        if not USERNAME.match(username):
            problems.append('Invalid username')
        if form.get('agree') != 'on':
            problems.append('You have to agree to the terms of service')
        existing = self.store.get_user(username=username) if not problems else None
        if not existing and not problems:
            if not EMAIL.match(email):
                problems.append('Invalid email')
            if len(password) < 8:
                problems.append('Passwords should be at least 8 characters')
            if password != form.get('passwordConfirm'):
                problems.append('Passwords must match')
            if self.store.get_user(email=email):
                problems.append('Email is already in use!')
        if existing and not check_password(password, existing['password_hash']):
            problems.append('Access denied!')
        if problems:
            self.send(400, {'status': 400, 'message': '; '.join(problems)})
            return
        if self.store.get_team(slug):
            self.send(403, {'status': 403, 'message': "Sorry, Team URL '%s.%s' is already in use" % (slug, self.konfig['hostname'])})
            return
        owner = existing or {'username': username, 'email': email, 'password_hash': hash_password(password)}
        self.store.create_team(slug, form.get('companyName') or slug, owner, new_user=existing is None)
        session = self.store.create_session(username, slug)
        log('team %s created by %s' % (slug, username))
        self.send(200, {'token': session}, headers=[('Set-Cookie', 'clientId=%s; Path=/; HttpOnly' % session)])

    def gitlab_hook(self, body):
        """POST /-/api/gitlab: servers/lib/server/handlers/api/gitlab/index.coffee:19-41 and utils.coffee:17-25."""
        body = body or {}
        token = self.headers.get('X-Gitlab-Token')  # None when the header is absent (undefined in Express)
        event = body.get('event_name')
        # utils.coffee:5 GITLAB_TOKEN = String(KONFIG.gitlab.systemHookToken); :21-22 the checks, in this order.
        # An empty header matches an empty configured token.
        expected = js_string(self.konfig['gitlab'].get('systemHookToken', UNDEFINED))
        if not (token or event) or token != expected or not event:
            self.send(403, {'error': 'not valid'})
            return
        scope, method = parse_event(str(event))
        handler = GITLAB_HANDLERS.get(scope)
        if handler is None:
            self.send(403, {'error': 'not valid'})  # index.coffee:30-31
            return
        if method not in handler:
            # handler[method] is undefined: calling it throws, and Express answers 500.
            self.send(500, 'TypeError: handler[method] is not a function')
            return
        if (scope, method) == ('user', 'create'):
            self.gitlab_user_create(body)
        elif (scope, method) == ('user', 'destroy'):
            self.gitlab_user_destroy(body)
        elif scope in ('push', 'tag') and body.get('project') is None:
            # push.coffee:9-21, tag.coffee:9-23: destructuring an undefined data.project throws; the TypeError serialises as {}.
            self.send(403, {'error': {'message': 'missing data', 'error': {}}})
        else:
            self.send(403, {'error': {'message': '%s %s handler is not implemented' % (scope, method)}})

    def gitlab_user_create(self, body):
        """user.coffee:14-64 (JUser.convert into the GitLab team), generichandler.coffee:11-24 (the input checks)."""
        username, email = body.get('username'), body.get('email')
        if not email or not username:
            self.send(400, {'error': API_ERRORS['invalidInput']})
            return
        if self.store.get_user(username=username):
            self.send(403, {'error': {'message': 'user already exists'}})
            return
        team = self.konfig['gitlab']['team']
        if not self.store.get_team(team):
            self.send(500, {'error': API_ERRORS['internalError']})  # bongo.fetchClient with an unknown group
            return
        if self.store.get_user(email=email):
            self.send(403, {'error': {'message': 'Email is already in use!'}})
            return
        user = {'username': username, 'email': email, 'password_hash': hash_password(secrets.token_hex(16))}
        self.store.add_user(user, team)
        log('gitlab hook: user %s created in team %s' % (username, team))
        # async.series hands over one result per step; only the last step passes one (user.coffee:62).
        self.send(200, {'data': [None, None, None, username]})

    def gitlab_user_destroy(self, body):
        """user.coffee:68-94: the user must exist, then JUser.unregister."""
        username = body.get('username')
        if not username or not self.store.delete_user(username):
            self.send(403, {'error': {'message': 'user not exists'}})
            return
        log('gitlab hook: user %s removed' % username)
        self.send(200, {'data': [None, None, None]})

    def gitlab_url(self, path):
        gitlab = self.konfig['gitlab']
        host = str(gitlab['host'] or 'gitlab.com')
        if host.startswith(('http://', 'https://')):
            return host.rstrip('/') + path
        return 'http://%s:%s%s' % (host, gitlab['port'] or 80, path)

    def gitlab_request(self, path, data=None, access_token=None):
        headers = {'Accept': 'application/json', 'User-Agent': 'Koding'}
        if data is not None:
            headers['Content-Type'] = 'application/json'
            data = json.dumps(data).encode()
        if access_token:
            headers['Authorization'] = 'Bearer %s' % access_token
        request = urllib.request.Request(self.gitlab_url(path), data=data, headers=headers, method='POST' if data else 'GET')
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b'{}')

    def gitlab_callback(self, query):
        """SSO: code -> access token -> GitLab user -> Koding session."""
        gitlab = self.konfig['gitlab']
        failure = [('Location', '/Login?error=could+not+get+access+token')]
        if not query.get('code'):
            log('[GITLAB][1/3] no code in the query')
            self.send(302, headers=failure)
            return
        try:
            token = self.gitlab_request('/oauth/token', {
                'redirect_uri': gitlab['redirectUri'], 'grant_type': 'authorization_code',
                'client_id': str(gitlab['applicationId']), 'client_secret': str(gitlab['applicationSecret']), 'code': query['code']})
            access_token = token.get('access_token')
            if not access_token:
                raise ValueError('no access_token in the answer')
            # Upstream reads /api/v3/user, which GitLab removed in 11.0; v4 returns the same fields.
            user = self.gitlab_request('/api/v4/user', access_token=access_token)
            if not user.get('id') or not user.get('username'):
                raise ValueError('no user in the answer')
        except (OSError, ValueError, urllib.error.URLError) as error:
            log('[GITLAB] sign-in failed: %s' % (error.code if isinstance(error, urllib.error.HTTPError) else error))
            self.send(302, headers=failure)
            return
        gitlab_id = str(user['id'])
        known = self.store.get_user(gitlab_id=gitlab_id) or self.store.get_user(username=user['username'])
        if known:
            username = known['username']
        else:
            username = user['username']
            self.store.add_user({'username': username, 'email': user.get('email') or '%s@gitlab.invalid' % username,
                                 'password_hash': hash_password(secrets.token_hex(16)), 'gitlab_id': gitlab_id})
        self.store.join_team(username, gitlab['team'])
        session = self.store.create_session(username, gitlab['team'])
        log('[GITLAB] %s signed in' % username)
        self.send(302, headers=[('Set-Cookie', 'clientId=%s; Path=/; HttpOnly' % session), ('Location', '/')])


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
        super().__init__(address, handler)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=os.path.join(ROOT, '.env.json'), help='file written by ./configure')
    parser.add_argument('--store', choices=('postgres', 'memory'), default='postgres')
    parser.add_argument('--bind', default='0.0.0.0', help='address of both listeners')
    parser.add_argument('--port', type=int, help='public port (default: publicPort of the config)')
    parser.add_argument('--console-port', type=int, default=9001)
    parser.add_argument('--port-file', help='write the bound public port here once listening')
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    konfig = konfig_lib.load(args.config)
    store = MemoryStore() if args.store == 'memory' else PostgresStore(konfig['postgres'])
    public = Server((args.bind, int(konfig['publicPort']) if args.port is None else args.port), Handler, konfig, store)
    console = Server((args.bind, args.console_port), ConsoleHandler, konfig, store)
    threading.Thread(target=console.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=public.shutdown).start())
    port = public.server_address[1]
    if args.port_file:
        with open(args.port_file + '.tmp', 'w', encoding='ascii') as handle:
            handle.write('%d\n' % port)
        os.replace(args.port_file + '.tmp', args.port_file)
    log('listening on %s:%d (console on %d), store %s, hooks %s' % (
        args.bind, port, console.server_address[1], args.store, 'on' if konfig['gitlab']['hooksEnabled'] else 'off'))
    if args.store == 'postgres' and not store.ready():
        log('database not reachable yet; /-/version answers 503 until it is')
    public.serve_forever(poll_interval=0.2)
    log('stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
