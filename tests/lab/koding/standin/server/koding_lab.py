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
import ipaddress
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
USERNAME = re.compile(r'^[a-z0-9][a-z0-9-]{3,24}$')
EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
CONSOLE_USER, CONSOLE_PASSWORD = 'koding', '1q2w3e4r'


# servers/lib/server/handlers/api/errors.coffee:3-6, 38-41
API_ERRORS = {
    'internalError': {'status': 500, 'message': 'The server encountered an internal error.', 'code': 'InternalError'},
    'invalidInput': {'status': 400, 'message': 'One of the request inputs is invalid.', 'code': 'InvalidInput'},
}
# The methods of each handler class under servers/lib/server/handlers/api/gitlab/ (index.coffee:10-16).
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


RESERVED_SLUGS_FILE = 'workers/social/lib/social/models/user/reservedteamdomains.coffee'
SETSESSION_FILE = 'servers/lib/server/setsession.coffee'
CALLBACK_FILE = 'servers/lib/server/gitlab_callback.coffee'
OAUTH_MODEL_FILE = 'workers/social/lib/social/models/oauth.coffee'
# index.coffee:129 app.get '/:name?/OAuth/url'
OAUTH_URL = re.compile(r'^(/[^/]+)?/OAuth/url$')
# validators.coffee:9-17
TEAM_DOMAIN = re.compile(r'^[a-z0-9]+([-][a-z0-9]+)*$')


def checkout_file(path):
    """Text of a file of the checkout (upstream's, or the role's edited copy mounted over it), else None."""
    try:
        with open(os.path.join(ROOT, path), encoding='utf-8') as handle:
            return handle.read()
    except OSError:
        return None


def reserved_slugs():
    """Upstream's reservedteamdomains.coffee when the checkout has it (build.sh adds it), else none."""
    text = checkout_file(RESERVED_SLUGS_FILE) or ''
    return set(re.findall(r"^\s*'([^']*)'\s*$", text, re.MULTILINE))


def wildcard_dns_pattern():
    """The host-name pattern of setsession.coffee:13 as the checkout's file has it (upstream: /xip\\.io$/)."""
    match = re.search(r'req\.subdomains\.length > 3 and /(.+?)/\.test req\.hostname', checkout_file(SETSESSION_FILE) or '')
    return match.group(1) if match else r'xip\.io$'


def express_subdomains(hostname):
    """Express 4 req.subdomains: the host name's labels, right to left, without the last two; none for an IP."""
    try:
        ipaddress.ip_address(hostname.strip('[]'))
        return []
    except ValueError:
        return list(reversed(hostname.split('.')))[2:]


def request_hostname(host_header):
    """Express 4 req.hostname: the Host header without its port."""
    host = host_header or ''
    if host.startswith('['):
        return host[: host.index(']') + 1] if ']' in host else host
    return host.split(':', 1)[0]


def session_group(host_header, base_domain):
    """The group of a request's session: setsession.coffee:12-17."""
    hostname = request_hostname(host_header)
    subdomains = express_subdomains(hostname)
    if len(subdomains) > 3 and re.search(wildcard_dns_pattern(), hostname):
        group = subdomains[-1]  # req.subdomains.reverse()[0]
    else:
        group = subdomains[1] if len(subdomains) > 1 else (subdomains[0] if subdomains else None)
    if not group or re.match('^%s\\.' % group, str(base_domain or '')):
        group = 'koding'
    return group


def callback_flavour():
    """How gitlab_callback.coffee of the checkout reaches GitLab: upstream's (:11 http, :54 /api/v3/user, :57 the
    token in a JSON body of a GET) unless the role's edited copy is mounted over it."""
    text = checkout_file(CALLBACK_FILE)
    if text is None:
        return {'scheme': 'http', 'user_path': '/api/v3/user', 'bearer': False}
    scheme = re.search(r'"(\w+)://#\{gitlab\.host', text)
    return {
        'scheme': scheme.group(1) if scheme else 'http',
        'user_path': '/api/v4/user' if "getUrlFor '/api/v4/user'" in text else '/api/v3/user',
        'bearer': 'Bearer #{access_token}' in text,
    }


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
                if (username and user['username'] == username) or (email and user['email'] == email) or (gitlab_id and user.get('gitlab_id') == gitlab_id):
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
        return psycopg2.connect(host=pg['host'], port=int(pg['port']), user=pg['username'], password=pg['password'], dbname=pg['dbname'], connect_timeout=3)

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
            cursor.execute('SELECT slug, title, (SELECT count(*) FROM lab_members WHERE team = %s) FROM lab_teams WHERE slug = %s', (slug, slug))
            row = cursor.fetchone()
            return {'slug': row[0], 'title': row[1], 'members': row[2]} if row else None

        return self._run(query)

    def get_user(self, username=None, email=None, gitlab_id=None):
        def query(cursor):
            cursor.execute(
                'SELECT username, email, password_hash, gitlab_id FROM lab_users WHERE username = %s OR email = %s OR gitlab_id = %s',
                (username, email, gitlab_id),
            )
            row = cursor.fetchone()
            return dict(zip(('username', 'email', 'password_hash', 'gitlab_id'), row)) if row else None

        return self._run(query)

    @staticmethod
    def _insert_user(cursor, user):
        cursor.execute(
            'INSERT INTO lab_users (username, email, password_hash, gitlab_id) VALUES (%s, %s, %s, %s)',
            (user['username'], user['email'], user['password_hash'], user.get('gitlab_id')),
        )

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
            cursor.execute(
                "INSERT INTO lab_members (team, username, role) SELECT slug, %s, 'member' FROM lab_teams WHERE slug = %s ON CONFLICT DO NOTHING",
                (username, team),
            )

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
        client_id = cookies.get('clientId')
        if not client_id:
            client_id = secrets.token_urlsafe(18)
            headers.append(('Set-Cookie', 'clientId=%s; Path=/' % client_id))
        if not cookies.get('_csrf'):
            headers.append(('Set-Cookie', '_csrf=%s; Path=/' % secrets.token_urlsafe(16)))
        return headers, client_id

    # routes -------------------------------------------------------------------------------------------
    def do_HEAD(self):  # pylint: disable=invalid-name
        self.do_GET()

    def do_GET(self):  # pylint: disable=invalid-name
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, dict(urllib.parse.parse_qsl(url.query))
        extra, client_id = self.session_cookies()
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
                team = self.store.get_team(urllib.parse.unquote(path[len('/-/team/') :]))
                if team:
                    self.send(
                        200,
                        {'slug': team['slug'], 'title': team['title'], 'privacy': 'private', 'visibility': 'hidden', 'counts': {'members': team['members']}},
                        headers=extra,
                    )
                else:
                    self.send(404, 'no group found', headers=extra)
            elif path == '/-/oauth/gitlab/callback':
                self.gitlab_callback(query, extra)
            elif OAUTH_URL.match(path):
                self.oauth_url(query, extra, client_id)
            elif path == '/':
                self.send(200, 'Koding lab stand-in\n', headers=extra)
            else:
                self.send(404, 'Not Found', headers=extra)
        except StoreError as error:
            self.send(error.status, {'error': error.message})

    def do_POST(self):  # pylint: disable=invalid-name
        path = urllib.parse.urlsplit(self.path).path
        body = self.read_body()
        extra, client_id = self.session_cookies()
        try:
            if path == '/-/teams/create':
                self.create_team(body or {}, extra, client_id)
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

    def create_team(self, form, cookies, client_id):
        """POST /-/teams/create: csrf.coffee, then handlers/createteam.coffee."""
        # csrf.coffee:3-16: the _csrf cookie must equal the first token given; both absent is equal.
        token = (
            form.get('_csrf')
            or self.query().get('_csrf')
            or next((self.headers[name] for name in ('csrf-token', 'xsrf-token', 'x-csrf-token', 'x-xsrf-token') if self.headers.get(name)), None)
        )
        if self.cookies().get('_csrf') != token:
            self.send(403, '_csrf token is not valid', headers=cookies)
            return
        if not client_id:
            self.send(500, {'message': 'clientId is not set'}, headers=cookies)  # :34, helpers.coffee:286-289
            return
        slug, username = str(form.get('slug', '')), str(form.get('username', ''))
        email, password = str(form.get('email', '')), str(form.get('password', ''))
        if slug.lower() == username.lower():  # :64-66
            self.send(400, {'status': 400, 'message': 'Sorry, your group domain and your username can not be the same!'}, headers=cookies)
            return
        if self.store.get_team(slug):  # :69-72, with a suggested free slug (:129-143)
            suggested = next(('%s%d' % (slug, index) for index in range(1, 21) if not self.store.get_team('%s%d' % (slug, index))), None)
            answer = {'status': 403, 'message': "Sorry, Team URL '%s.%s' is already in use" % (slug, self.konfig['hostname'])}
            if suggested:
                answer['suggested'] = suggested
            self.send(403, answer, headers=cookies)
            return
        # :75-150: JUser.login for a known user, JUser.convert for a new one; their errors are 400 text (:158).
        existing = self.store.get_user(username=username)
        if existing:
            if not check_password(password, existing['password_hash']):
                self.send(400, 'Access denied!', headers=cookies)
                return
            owner = existing
        else:
            problems = []
            if not USERNAME.match(username):
                problems.append('Invalid username')
            if not EMAIL.match(email):
                problems.append('Invalid email')
            if len(password) < 8:
                problems.append('Passwords should be at least 8 characters')
            if password != form.get('passwordConfirm'):
                problems.append('Passwords must match')
            if form.get('agree') != 'on':
                problems.append('You have to agree to the terms of service')
            if not problems and self.store.get_user(email=email):
                problems.append('Email is already in use!')
            if problems:
                self.send(400, '; '.join(problems), headers=cookies)
                return
            owner = {'username': username, 'email': email, 'password_hash': hash_password(password)}
            self.store.add_user(owner)
        # :191-192, validateGroupData (:250-261): only now, after the user exists.
        if not slug:
            problem = 'Group slug can not be empty.'
        elif slug in reserved_slugs() or not TEAM_DOMAIN.match(slug):
            problem = 'Invalid group slug.'
        elif not form.get('companyName'):
            problem = 'Company name can not be empty.'
        else:
            problem = None
        if problem:
            self.send(400, problem, headers=cookies)
            return
        self.store.create_team(slug, form.get('companyName'), owner, new_user=False)
        session = self.store.create_session(owner['username'], slug)
        log('team %s created by %s' % (slug, owner['username']))
        self.send(200, {'token': session}, headers=cookies)

    def query(self):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))

    def gitlab_hook(self, body):
        """POST /-/api/gitlab: servers/lib/server/handlers/api/gitlab/index.coffee:18-39 and utils.coffee:17-25."""
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
            self.send(403, {"error": "not valid"})  # index.coffee:29-30
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
        """user.coffee:14-68 (JUser.convert into the GitLab team), generichandler.coffee:12-24 (the input checks)."""
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
        # async.series hands over one result per step; only the last step passes one (user.coffee:60-66).
        self.send(200, {'data': [None, None, None, username]})

    def gitlab_user_destroy(self, body):
        """user.coffee:72-103: the user must exist, then JUser.unregister."""
        username = body.get('username')
        if not username or not self.store.delete_user(username):
            self.send(403, {'error': {'message': 'user not exists'}})
            return
        log('gitlab hook: user %s removed' % username)
        self.send(200, {'data': [None, None, None]})

    def oauth_url(self, query, cookies, client_id):
        """GET /:name?/OAuth/url: oauth_url.coffee:7-25 and OAuth.getUrl for GitLab
        (workers/social/lib/social/models/oauth.coffee:34-45, 92-110; the context group is koding, so the
        redirect URI is left alone). The scheme is the checkout's oauth.coffee's (the role edits it for HTTPS)."""
        if not client_id:
            self.send(500, {'message': 'clientId is not set'}, headers=cookies)
            return
        provider = query.get('provider')
        if not provider:
            self.send(400, {'message': 'provider is required'}, headers=cookies)
            return
        if provider != 'gitlab':
            self.send(501, 'the lab stand-in serves the gitlab provider only', headers=cookies)
            return
        gitlab = self.konfig['gitlab']
        protocol = re.search(r"protocol = '([a-z]+://)'", checkout_file(OAUTH_MODEL_FILE) or '')
        host = query['host'] if 'host' in query else ('gitlab.com' if gitlab.get('host') is None else gitlab['host'])
        port = ':%s' % gitlab['port'] if gitlab.get('port') not in (None, '', 0, False) else ''
        redirect_uri = gitlab.get('redirectUri')
        if query.get('returnUrl'):
            redirect_uri = '%s?returnUrl=%s' % (redirect_uri, query['returnUrl'])
        url = '%s%s%s/oauth/authorize?client_id=%s&redirect_uri=%s&response_type=code' % (
            protocol.group(1) if protocol else 'http://',
            host,
            port,
            js_string(gitlab.get('applicationId', UNDEFINED)),
            js_string(redirect_uri if redirect_uri is not None else UNDEFINED),
        )
        self.send(200, url, content_type='text/html; charset=utf-8', headers=cookies)

    def gitlab_request(self, flavour, path, method, data, extra_headers=None):
        """request(options) of gitlab_callback.coffee: getUrlFor (:10-11), headers (:6-8), json (:57, :72)."""
        gitlab = self.konfig['gitlab']
        host = 'gitlab.com' if gitlab.get('host') is None else gitlab['host']
        port = 80 if gitlab.get('port') is None else gitlab['port']
        url = '%s://%s:%s%s' % (flavour['scheme'], host, port, path)
        headers = {'Accept': 'application/json', 'User-Agent': 'Koding'}
        body = None
        if isinstance(data, dict):
            headers['Content-Type'] = 'application/json'
            body = json.dumps(data).encode()
        headers.update(extra_headers or {})
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raw = error.read()  # request() hands over the body of any status
        try:
            return json.loads(raw or b'null')
        except ValueError:
            return None

    def gitlab_callback(self, query, cookies):
        """GET /-/oauth/gitlab/callback: gitlab_callback.coffee:62-79 (code -> token), :47-59 (token -> user),
        :17-43 (user -> session), then the user joins the team of the session (setsession.coffee:12-17)."""
        gitlab = self.konfig['gitlab']
        flavour = callback_flavour()
        failure = cookies + [('Location', '/Login?error=could+not+get+access+token')]
        if not query.get('code'):
            log('[GITLAB][1/3] Failed to get code from query')
            self.send(302, headers=failure)
            return
        try:
            token = self.gitlab_request(
                flavour,
                '/oauth/token',
                'POST',
                {
                    'redirect_uri': gitlab['redirectUri'],
                    'grant_type': 'authorization_code',
                    'client_id': gitlab['applicationId'],
                    'client_secret': gitlab['applicationSecret'],
                    'code': query['code'],
                },
            )
            access_token = token.get('access_token') if isinstance(token, dict) else None
            if not access_token:
                log('[GITLAB][2/3] Failed to get access_token')
                self.send(302, headers=failure)
                return
            if flavour['bearer']:
                user = self.gitlab_request(flavour, flavour['user_path'], 'GET', None, {'Authorization': 'Bearer %s' % access_token})
            else:
                user = self.gitlab_request(flavour, flavour['user_path'], 'GET', {'access_token': access_token})
        except (OSError, ValueError) as error:
            log('[GITLAB] request failed: %s' % error)
            self.send(302, headers=failure)
            return
        if not isinstance(user, dict) or not user.get('id'):
            log('[GITLAB][3/3] Failed to fetch user info from %s' % flavour['user_path'])
            self.send(302, headers=failure)
            return
        gitlab_id = str(user['id'])
        known = self.store.get_user(gitlab_id=gitlab_id) or self.store.get_user(username=user.get('username'))
        if known:
            username = known['username']
        else:
            username = user['username']
            self.store.add_user(
                {
                    'username': username,
                    'email': user.get('email') or '%s@gitlab.invalid' % username,
                    'password_hash': hash_password(secrets.token_hex(16)),
                    'gitlab_id': gitlab_id,
                }
            )
        team = session_group(self.headers.get('Host'), self.konfig.get('domains', {}).get('base'))
        self.store.join_team(username, team)
        session = self.store.create_session(username, team)
        log('[GITLAB] %s signed in, team %s' % (username, team))
        self.send(302, headers=cookies + [('Set-Cookie', 'clientId=%s; Path=/; HttpOnly' % session), ('Location', '/')])


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
    log(
        'listening on %s:%d (console on %d), store %s, hooks %s'
        % (args.bind, port, console.server_address[1], args.store, 'on' if konfig['gitlab']['hooksEnabled'] else 'off')
    )
    if args.store == 'postgres' and not store.ready():
        log('database not reachable yet; /-/version answers 503 until it is')
    public.serve_forever(poll_interval=0.2)
    log('stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
