"""Where the stand-in keeps users, teams and sessions: one interface (Store), kept in memory or in PostgreSQL."""

import os
import secrets
import threading

from . import checkout
from .log import log


class StoreError(Exception):
    """A request that the data does not allow; carries the HTTP status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Store:
    """What the routes ask of the data. A user is a dict with username, email, password_hash and gitlab_id; a team
    one with slug, title and members (its member count). Methods raise StoreError for what the data does not allow."""

    def ready(self):
        """Whether the data can be read and written (the session store answers)."""
        raise NotImplementedError

    def get_team(self, slug):
        """The team, or None."""
        raise NotImplementedError

    def get_user(self, username=None, email=None, gitlab_id=None):
        """The first user with this username, email or linked GitLab user id, or None."""
        raise NotImplementedError

    def create_team(self, slug, title, owner, new_user):
        """A new team owned by owner (added as a new user when new_user); 403 when the slug is taken."""
        raise NotImplementedError

    def add_user(self, user, team=None):
        """A new user, a member of team when given; 403 when the name or email is taken, 500 without the team."""
        raise NotImplementedError

    def emails(self):
        """Every user's email address."""
        raise NotImplementedError

    def join_team(self, username, team):
        """The user becomes a member of team (nothing when the team does not exist)."""
        raise NotImplementedError

    def delete_user(self, username):
        """Removes the user, its memberships and sessions; False when there was none."""
        raise NotImplementedError

    def is_member(self, team, username):
        raise NotImplementedError

    def save_session(self, token, username, team):
        raise NotImplementedError

    def session_user(self, token):
        """The username of a session token, or None."""
        raise NotImplementedError

    def link_gitlab(self, username, gitlab_id):
        """Links the GitLab user id to username, and to no one else."""
        raise NotImplementedError

    def create_session(self, username, team):
        """A new session of username in team; its token."""
        token = secrets.token_urlsafe(24)
        self.save_session(token, username, team)
        return token


class MemoryStore(Store):
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

    def save_session(self, token, username, team):
        with self.lock:
            self.sessions[token] = {'username': username, 'team': team}

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


class PostgresStore(Store):
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
                    with open(os.path.join(checkout.ROOT, 'db', 'schema.sql'), encoding='utf-8') as handle:
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

    def save_session(self, token, username, team):
        def query(cursor):
            cursor.execute('INSERT INTO lab_sessions (token, username, team) VALUES (%s, %s, %s)', (token, username, team))

        self._run(query)

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
