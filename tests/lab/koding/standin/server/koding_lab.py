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
# workers/social/lib/social/models/name.coffee:133-134 (JName.validateName, the schema of JUser.username).
USERNAME = re.compile(r'^[a-z0-9][a-z0-9-]+$')
# JName.validateEmail (name.coffee:136-144) uses the npm package validator's isEmail: approximated.
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
EMAIL_CHECKER_FILE = 'workers/social/lib/social/models/user/emailchecker.coffee'
USER_MODEL_FILE = 'workers/social/lib/social/models/user/index.coffee'
# What upstream's Mongo seed (install/docker-mongo/default-db-dump.tar.bz2) holds: the groups koding and guests,
# the users admin (root@localhost) and guestuser, and a JName for each of these four.
SEED_GROUPS = {'koding': 'Koding', 'guests': 'Koding guests'}
SEED_USERS = {'admin': 'root@localhost', 'guestuser': ''}
SEED_NAMES = ('admin', 'guestuser', 'koding', 'guests')
# index.coffee:97 app.post '/:name?/Register'
REGISTER_URL = re.compile(r'^(/[^/]+)?/Register$')
# index.coffee:98 app.post '/:name?/Login'
LOGIN_URL = re.compile(r'^(/[^/]+)?/Login$')
# user/index.coffee:1161-1164 (JUser.authenticateWithOauth with isUserLoggedIn): the GitLab identity is another user's
ALREADY_LINKED = 'Account is already linked with another user.'
UNKNOWN_USER = 'Unknown user name'
SETSESSION_FILE = 'servers/lib/server/setsession.coffee'
CALLBACK_FILE = 'servers/lib/server/gitlab_callback.coffee'
OAUTH_MODEL_FILE = 'workers/social/lib/social/models/oauth.coffee'
USER_MODEL_FILE = 'workers/social/lib/social/models/user/index.coffee'
HOOK_USER_FILE = 'servers/lib/server/handlers/api/gitlab/user.coffee'
# user/index.coffee:1173 (JUser.authenticateWithOauth), for a GitLab identity no user is linked to
SOLO_CLOSED = 'Koding Solo registrations are closed!'
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


def coffee_list(text, start):
    """The quoted strings of the CoffeeScript array that starts at the first `start` in text (empty when absent)."""
    if not text or start not in text:
        return []
    block = text[text.index(start) + len(start) :]
    return re.findall(r"'([^']*)'", block[: block.index(']')])


def low_quality_domains():
    """emailchecker.coffee:6-190 LOW_QUALITY_DOMAINS when the checkout has the file (build.sh adds it). The list of
    the npm package disposable-email-domains that it is added to (:192) is not there."""
    return coffee_list(checkout_file(EMAIL_CHECKER_FILE), 'LOW_QUALITY_DOMAINS = [')


def banned_usernames():
    """user/index.coffee:29 @bannedUserList when the checkout has the file (build.sh adds it)."""
    return coffee_list(checkout_file(USER_MODEL_FILE), '@bannedUserList = [')


def emailsanitize(email, strict=False, mail_domain='koding.com'):
    """user/emailsanitize.coffee:42-49; strict is `{ excludeDots: yes, excludePlus: yes }` (:3-24, :35-39)."""
    if not email:
        return ''
    email = str(email).strip().lower()
    if re.match('^(.)+@%s' % mail_domain, email):  # :32 checkBaseMail: the domain is used as a pattern
        return email
    parts = email.split('@')
    local, host = parts[0], parts[1] if len(parts) > 1 else 'undefined'  # [local, host] = email.split '@'
    username, *label = local.split('+')
    label = '+'.join(label)
    if strict:
        username = username.replace('.', '').split('+')[0]
    local = '%s+%s' % (username, label) if label and not strict else username
    return '%s@%s' % (local, host)


def email_valid(email):
    """emailchecker.coffee:223-231 (isEmailValid) with :199-202 (check)."""
    if not email:
        return False
    return not any(email.lower().endswith('@' + domain.lower()) for domain in low_quality_domains())


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


def signup_flavour():
    """Whether the role's sign-up edits are mounted over the checkout: JUser.authenticateWithOauth creating the
    account of an unlinked GitLab identity (user/index.coffee), and the user_create hook linking the account it
    creates to the GitLab user id (handlers/api/gitlab/user.coffee). Upstream's files do neither."""
    return {
        'sign_up': 'signUpWithGitLab' in (checkout_file(USER_MODEL_FILE) or ''),
        'hook_links': "'foreignAuth.gitlab.foreignId'" in (checkout_file(HOOK_USER_FILE) or ''),
    }


def oauth_redirect(error):
    """helpers.coffee:230-237 redirectOauth without a returnUrl: /Home/Oauth?provider=gitlab&error=<err> (null when
    there is none). Express 4.9.5 (package.json:47) sets the Location as given (express/lib/response.js res.location):
    the message's spaces stay spaces."""
    return '/Home/Oauth?provider=gitlab&error=' + str(error)


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

    def emails(self):
        with self.lock:
            return [user['email'] for user in self.users.values()]

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

    def session_user(self, token):
        with self.lock:
            session = self.sessions.get(token or '')
            return session['username'] if session else None

    def link_gitlab(self, username, gitlab_id):
        with self.lock:
            for user in self.users.values():
                if user.get('gitlab_id') == gitlab_id:
                    user['gitlab_id'] = None
            self.users[username]['gitlab_id'] = gitlab_id


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

    def emails(self):
        def query(cursor):
            cursor.execute('SELECT email FROM lab_users')
            return [row[0] for row in cursor.fetchall()]

        return self._run(query)

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

    def session_user(self, token):
        def query(cursor):
            cursor.execute('SELECT username FROM lab_sessions WHERE token = %s', (token or '',))
            row = cursor.fetchone()
            return row[0] if row else None

        return self._run(query)

    def link_gitlab(self, username, gitlab_id):
        def query(cursor):
            cursor.execute('UPDATE lab_users SET gitlab_id = NULL WHERE gitlab_id = %s', (gitlab_id,))
            cursor.execute('UPDATE lab_users SET gitlab_id = %s WHERE username = %s', (gitlab_id, username))

        self._run(query)


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
                team = self.find_team(urllib.parse.unquote(path[len('/-/team/') :]))
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
            elif REGISTER_URL.match(path):
                self.register(body or {}, extra, client_id)
            elif LOGIN_URL.match(path):
                self.login(body or {}, extra, client_id)
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

    def csrf_valid(self, form):
        """csrf.coffee:3-16: the _csrf cookie must equal the first token given; both absent is equal."""
        token = (
            form.get('_csrf')
            or self.query().get('_csrf')
            or next((self.headers[name] for name in ('csrf-token', 'xsrf-token', 'x-csrf-token', 'x-xsrf-token') if self.headers.get(name)), None)
        )
        return self.cookies().get('_csrf') == token

    def find_team(self, slug):
        """JGroup.one { slug }: the teams created here, and the groups of upstream's Mongo seed."""
        if slug in SEED_GROUPS:
            return {'slug': slug, 'title': SEED_GROUPS[slug], 'members': 0}
        return self.store.get_team(slug)

    def find_user(self, username):
        """JUser.one { username }: the users created here, and the seed's (whose passwords are not known here)."""
        if username in SEED_USERS:
            return {'username': username, 'email': SEED_USERS[username], 'password_hash': None}
        return self.store.get_user(username=username)

    def mail_domain(self):
        return str(self.konfig.get('domains', {}).get('mail') or 'koding.com')

    def user_login(self, form):
        """JUser.login (workers/social/lib/social/models/user/index.coffee:468-549): normalizeLoginId (:336-349),
        then validateLoginCredentials (:371-407). Returns (error message, user)."""
        login_id = form.get('username')
        if login_id is not None and '@' in js_string(login_id):
            email = emailsanitize(login_id, mail_domain=self.mail_domain())
            found = self.store.get_user(email=email)
            if found is None:
                return 'Unrecognized email', None
            login_id = found['username']
        username = login_id.lower() if isinstance(login_id, str) else ''  # username_?.toLowerCase?() or ''
        user = self.find_user(username)
        if user is None:
            return UNKNOWN_USER, None
        password = form.get('password')
        if not user['password_hash'] or not isinstance(password, str) or not check_password(password, user['password_hash']):
            return 'Access denied!', None
        return None, user

    def validate_all(self, form):
        """JUser.validateAll (index.coffee:1177-1200) with validators.coffee:42-96: the fields that failed, in the
        order their checks answer (agree and password at once, email after Redis, username after MongoDB)."""
        at_once, later = [], []
        if form.get('agree') != 'on':
            at_once.append('agree')
        if not email_valid(form.get('email')):
            later.append('email')
        username = form.get('username')
        if username is None:
            at_once.append('username')
        else:
            # usernameAvailable (index.coffee:1811-1828)
            name = js_string(username)
            if not 4 <= len(name) <= 25 or name in banned_usernames() or name in SEED_NAMES or self.store.get_user(username=name):
                later.append('username')
        password, confirm = form.get('password'), form.get('passwordConfirm')
        if password is None or confirm is None or password != confirm or len(password) < 8:
            at_once.append('password')
        return [field for field in ('agree', 'username', 'password') if field in at_once] + later

    def user_convert(self, form, group):
        """JUser.convert (index.coffee:1538-1560) of a guest session into a new user in group. Returns (error
        message, user); the user is stored."""
        username, password = form.get('username'), form.get('password')
        # validateConvertInput (:787-809); a guest session is never a registered account here.
        if isinstance(username, str) and username.startswith('guest-'):
            return 'Reserved username!', None
        if username == 'guestuser':
            return "Reserved username: 'guestuser'!", None
        if password != form.get('passwordConfirm'):
            return 'Passwords must match!', None
        if not isinstance(username, str):
            return 'Username must be a string!', None
        username = username.lower()
        email = emailsanitize(form.get('email'), mail_domain=self.mail_domain())
        form = dict(form, username=username, email=email)
        # verifyUser (:1265-1297): reCAPTCHA is off (config/main.default.coffee:35), validateAll, emailAvailable.
        failed = self.validate_all(form)
        if failed:
            return 'Errors were encountered during validation: %s' % ','.join(failed), None
        strict = emailsanitize(email, strict=True, mail_domain=self.mail_domain())  # emailAvailable (:1797-1806)
        taken = list(self.store.emails()) + [address for address in SEED_USERS.values() if address]
        if any(emailsanitize(other, strict=True, mail_domain=self.mail_domain()) == strict for other in taken):
            return 'Email is already in use!', None
        # verifyEnrollmentEligibility (:937-966): registration is enabled in the seed; checkWithDomain (:661-672)
        # takes anyone into a group that does not exist yet, and any domain into koding (group/index.coffee:698-700).
        # createUser (:1038-1100): the schema's checks on save; their text comes from Bongo (not in the subset).
        if not 2 < len(username) < 26 or not USERNAME.match(username):
            return 'Invalid username', None
        if not EMAIL.match(email):
            return 'Invalid email', None
        user = {'username': username, 'email': email, 'password_hash': hash_password(password or '')}
        try:
            self.store.add_user(user)
        except StoreError:
            return 'Sorry, "%s" is already in use!' % email, None  # :1091-1093, a duplicate key
        return None, user

    def create_team(self, form, cookies, client_id):
        """POST /-/teams/create: csrf.coffee, then handlers/createteam.coffee."""
        if not self.csrf_valid(form):
            self.send(403, '_csrf token is not valid', headers=cookies)
            return
        if not client_id:
            self.send(500, {'message': 'clientId is not set'}, headers=cookies)  # :34, helpers.coffee:286-289
            return
        slug, username, email = form.get('slug'), form.get('username'), form.get('email')
        already_member = form.get('alreadyMember') == 'true'  # :41
        if slug is None:
            # :64 slug.toLowerCase?() on undefined throws; Express answers 500.
            self.send(500, "TypeError: Cannot read property 'toLowerCase' of undefined", headers=cookies)
            return
        if isinstance(username, str) and slug.lower() == username.lower():  # :64-66
            self.send(400, {'status': 400, 'message': 'Sorry, your group domain and your username can not be the same!'}, headers=cookies)
            return
        if self.find_team(slug):  # :69-72, with a suggested free slug (:129-143)
            suggested = next(('%s%d' % (slug, index) for index in range(1, 21) if not self.find_team('%s%d' % (slug, index))), None)
            answer = {'status': 403, 'message': "Sorry, Team URL '%s.%s' is already in use" % (slug, self.konfig['hostname'])}
            if suggested:
                answer['suggested'] = suggested
            self.send(403, answer, headers=cookies)
            return
        # :75-119 checkUserLogin: whether the user exists, by logging in.
        from_hubspot = form.get('fromHubspot')
        if already_member and from_hubspot and email and not username:
            form = dict(form, username=email)  # :92-94
        elif not already_member and from_hubspot and email:
            candidate, index = email.split('@')[0], 1  # :96-116: "#{candidateUsername}#{index++ or ''}" starts at 1
            while self.find_user('%s%d' % (candidate, index)):
                index += 1
            form = dict(form, username='%s%d' % (candidate, index))
        error, owner = self.user_login(form)
        if already_member and error == UNKNOWN_USER:  # :84-85
            self.send(400, {'status': 400, 'message': UNKNOWN_USER}, headers=cookies)
            return
        already_member = error != UNKNOWN_USER  # :89
        # :148-150 JUser.login for a known user, JUser.convert for a new one; their errors are 400 text (:158, :290-295).
        if not already_member:
            error, owner = self.user_convert(form, slug)
        if error:
            self.send(400, error, headers=cookies)
            return
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

    def register(self, form, cookies, client_id):
        """POST /:name?/Register: csrf.coffee, then handlers/register.coffee:7-45 (JUser.convert into koding)."""
        if not self.csrf_valid(form):
            self.send(403, '_csrf token is not valid', headers=cookies)
            return
        if not client_id:
            self.send(500, {'message': 'clientId is not set'}, headers=cookies)  # :17, helpers.coffee:286-289
            return
        error, user = self.user_convert(form, 'koding')
        if error:
            self.send(400, error, headers=cookies)  # :31-38
            return
        session = self.store.create_session(user['username'], 'koding')
        log('user %s registered' % user['username'])
        headers = cookies + [('Set-Cookie', 'clientId=%s; Path=/' % session)]  # :40 setSessionCookie
        if (self.headers.get('X-Requested-With') or '').lower() == 'xmlhttprequest':  # :43 req.xhr
            self.send(200, headers=headers)
            return
        redirect = form.get('redirect')
        self.send(301, headers=headers + [('Location', '/' if redirect is None else redirect)])  # :10-11, :45

    def login(self, form, cookies, client_id):
        """POST /[<name>/]Login: csrf.coffee, then handlers/login.coffee:8-31 (JUser.login; its error 403 plain text)."""
        if not self.csrf_valid(form):
            self.send(403, '_csrf token is not valid', headers=cookies)
            return
        if not client_id:
            self.send(500, {'message': 'clientId is not set'}, headers=cookies)
            return
        error, user = self.user_login(form)
        if error:
            self.send(403, error, headers=cookies)
            return
        team = form.get('groupName') or 'koding'
        session = self.store.create_session(user['username'], team)
        log('user %s logged in, team %s' % (user['username'], team))
        self.send(200, headers=cookies + [('Set-Cookie', 'clientId=%s; Path=/' % session)])  # :29 setSessionCookie

    def email_taken(self, email):
        """emailAvailable (user/index.coffee:1797-1806): another user's address, once both are sanitized strictly."""
        domain = self.mail_domain()
        strict = emailsanitize(emailsanitize(email, mail_domain=domain), strict=True, mail_domain=domain)
        taken = list(self.store.emails()) + [address for address in SEED_USERS.values() if address]
        return any(emailsanitize(other, strict=True, mail_domain=domain) == strict for other in taken)

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
        if signup_flavour()['hook_links'] and body.get('user_id') is not None:
            user['gitlab_id'] = str(body['user_id'])  # the role's edit: foreignAuth.gitlab.foreignId = String(user_id)
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

    def free_username(self, gitlab_username):
        """The role's signUpWithGitLab: /^[a-z0-9][a-z0-9-]+$/ of 4 to 25 characters (JName.validateName,
        JUser.getValidUsernameLengthRange), else the name cut to 17 with 8 random hex digits (handleUsername)."""
        base = re.sub(r'[^a-z0-9-]+', '-', str(gitlab_username or '').lower()).strip('-') or 'gitlab'
        if 4 <= len(base) <= 25 and not self.store.get_user(username=base) and base not in SEED_NAMES:
            return base
        while True:
            name = base[:17] + secrets.token_hex(4)
            if not self.store.get_user(username=name):
                return name

    def gitlab_callback(self, query, cookies):
        """GET /-/oauth/gitlab/callback: gitlab_callback.coffee:62-79 (code -> token), :47-59 (token -> user),
        :17-43 (user -> session), then the user joins the team of the session (setsession.coffee:12-17)."""
        gitlab = self.konfig['gitlab']
        flavour = callback_flavour()
        failure = cookies + [('Location', oauth_redirect('could not get access token'))]  # gitlab_callback.coffee:13-14
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
        # The real callback only keeps the GitLab user in the session and redirects to /Home/Oauth; the page then
        # posts /OAuth, whose JUser.authenticateWithOauth signs in (user/index.coffee:1120-1174). The stand-in
        # takes both steps at once, and answers a refusal with the redirect the page would show it on.
        gitlab_id = str(user['id'])
        known = self.store.get_user(gitlab_id=gitlab_id)  # fetchUserByProvider: by GitLab user id only (:1119-1128)
        signed_in = self.store.session_user(self.cookies().get('clientId'))
        if signed_in:
            # isUserLoggedIn (the page posts it when its session is a user's, oauthcontroller.coffee:53-78):
            # the identity is linked to that user (persistOauthInfo), unless another user holds it (:1160-1169).
            if known and known['username'] != signed_in:
                self.send(302, headers=cookies + [('Location', oauth_redirect(ALREADY_LINKED))])
                return
            self.store.link_gitlab(signed_in, gitlab_id)
            username = signed_in
        elif known:
            username = known['username']
        elif not signup_flavour()['sign_up']:
            log('[GITLAB] %s' % SOLO_CLOSED)
            self.send(302, headers=cookies + [('Location', oauth_redirect(SOLO_CLOSED))])
            return
        elif user.get('email') and self.email_taken(user['email']):
            self.send(302, headers=cookies + [('Location', oauth_redirect('Email is already in use!'))])  # verifyUser
            return
        else:
            # The role's edit: GitLab's username lowered to Koding's name rule, a random suffix when it is taken.
            username = self.free_username(user.get('username'))
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
