"""Fidelity tests of the Koding lab stand-in, run as a plain process on 127.0.0.1 with the memory store."""

import http.client
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
from http.cookies import SimpleCookie

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(HERE, 'standin')
GITLAB_LAB = os.path.join(os.path.dirname(HERE), 'gitlab', 'server.py')
HOOK_TOKEN = 'lab-hook-token-4c1d9e'
ADMIN_TOKEN = 'glpat-lab-admin-9f4c2e7a1b3d'
HOST = 'koding.lab.test:8090'


def wait_for_port_file(path, process):
    for _attempt in range(200):
        if os.path.exists(path):
            with open(path, encoding='ascii') as handle:
                return int(handle.read())
        if process.poll() is not None:
            raise RuntimeError('server exited with %s' % process.returncode)
        time.sleep(0.05)
    raise RuntimeError('server did not write %s' % path)


class Client:
    """A tiny HTTP client that keeps cookies and never follows redirects."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, form=None, json_body=None, headers=None):
        headers = dict(headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
        elif json_body is not None:
            body = json.dumps(json_body)
            headers['Content-Type'] = 'application/json'
        if self.cookies:
            headers['Cookie'] = '; '.join('%s=%s' % item for item in self.cookies.items())
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=15)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read().decode()
            for value in response.headers.get_all('Set-Cookie') or []:
                jar = SimpleCookie()
                jar.load(value)
                self.cookies.update({key: morsel.value for key, morsel in jar.items()})
            return response.status, data, response.headers
        finally:
            conn.close()

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)

    def post(self, path, **kwargs):
        return self.request('POST', path, **kwargs)


class StandIn:
    """A copy of the stand-in tree, configured and served from a temporary directory."""

    def __init__(self, tmp_path):
        self.root = str(tmp_path / 'koding')
        shutil.copytree(STANDIN, self.root)
        self.process = None
        self.port = None
        self.log_path = str(tmp_path / 'koding.log')
        self.log = open(self.log_path, 'w', encoding='utf-8')  # pylint: disable=consider-using-with

    def configure(self, *flags, env=None):
        return subprocess.run(['bash', os.path.join(self.root, 'configure')] + list(flags), cwd=self.root,
                              env=dict(os.environ, **(env or {})), capture_output=True, text=True, check=False)

    def start(self, *flags, env=None):
        result = self.configure(*flags, env=env)
        assert result.returncode == 0, result.stderr
        port_file = os.path.join(self.root, 'port')
        # pylint: disable-next=consider-using-with
        self.process = subprocess.Popen([sys.executable, os.path.join(self.root, 'server', 'koding_lab.py'), '--store', 'memory',
                                         '--bind', '127.0.0.1', '--port', '0', '--console-port', '0', '--port-file', port_file],
                                        env=dict(os.environ, **(env or {})), stderr=self.log, stdout=self.log)
        self.port = wait_for_port_file(port_file, self.process)
        return Client(self.port)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def console_port(self):
        for _attempt in range(200):
            with open(self.log_path, encoding='utf-8') as handle:
                for line in handle:
                    if 'console on ' in line:
                        return int(line.split('console on ')[1].split(')')[0])
            time.sleep(0.05)
        raise RuntimeError('no console port in the log')


@pytest.fixture(name='standin')
def standin_fixture(tmp_path):
    lab = StandIn(tmp_path)
    yield lab
    lab.stop()


@pytest.fixture(name='koding')
def koding_fixture(standin):
    """A running stand-in with a GitLab host configured (hooks on)."""
    return standin.start('--hostname=koding.lab.test', '--host=' + HOST, '--gitlabHost=127.0.0.1', '--gitlabPort=9',
                         env={'KONFIG_GITLAB_SYSTEMHOOKTOKEN': HOOK_TOKEN})


def team_form(client, slug, username, **extra):
    form = {'_csrf': client.cookies.get('_csrf', ''), 'slug': slug, 'companyName': slug.title(), 'email': '%s@example.com' % username,
            'username': username, 'password': 'correct-horse-1', 'passwordConfirm': 'correct-horse-1', 'agree': 'on',
            'allow': 'true', 'alreadyMember': 'false', 'newsletter': 'false', 'redirect': ''}
    form.update(extra)
    return form


def create_team(client, slug, username, **extra):
    client.get('/-/team/%s' % slug)  # any GET hands out the _csrf cookie
    return client.post('/-/teams/create', form=team_form(client, slug, username, **extra))


# ./configure and bootstrap-container ------------------------------------------------------------------

def test_configure_without_hostname_fails_loudly(standin):
    result = standin.configure()
    assert result.returncode != 0
    assert '--hostname' in result.stderr
    assert not os.path.exists(os.path.join(standin.root, '.env.json'))


def test_configure_writes_config_with_env_overrides_and_hides_secrets(standin):
    env = {'KONFIG_GITLAB_APPLICATIONSECRET': 'app-secret-7d2a', 'KONFIG_GITLAB_PORT': '4443',
           'KONFIG_POSTGRES_HOST': 'postgres', 'KONFIG_JWT_SECRET': 'jwt-secret-0b5e'}
    result = standin.configure('build', '--hostname=koding.lab.test', '--host=' + HOST, '--gitlabHost=gitlab.lab.test', env=env)
    assert result.returncode == 0, result.stderr
    path = os.path.join(standin.root, '.env.json')
    assert os.stat(path).st_mode & 0o777 == 0o600
    with open(path, encoding='utf-8') as handle:
        konfig = json.load(handle)
    assert konfig['gitlab']['port'] == 4443  # JSON-parsed, as KONFIG_* values are
    assert konfig['gitlab']['host'] == 'gitlab.lab.test'
    assert konfig['gitlab']['hooksEnabled'] is True
    assert konfig['gitlab']['redirectUri'] == 'http://gitlab.%s/-/oauth/gitlab/callback' % HOST
    assert konfig['kontrol']['url'] == 'http://%s/kontrol/kite' % HOST
    assert konfig['postgres']['host'] == 'postgres'
    assert 'app-secret-7d2a' not in result.stdout and 'jwt-secret-0b5e' not in result.stdout


def test_hooks_enabled_can_be_turned_off_explicitly(standin):
    result = standin.configure('--hostname=k.test', '--gitlabHost=gitlab.test', env={'KONFIG_GITLAB_HOOKSENABLED': 'false'})
    assert result.returncode == 0, result.stderr
    with open(os.path.join(standin.root, '.env.json'), encoding='utf-8') as handle:
        assert json.load(handle)['gitlab']['hooksEnabled'] is False


def test_keys_are_created_once_and_kept(standin):
    pem = os.path.join(standin.root, 'generated', 'private_keys', 'kontrol', 'kontrol.pem')
    kite_key = os.path.join(standin.root, 'generated', 'kite_home', 'koding', 'kite.key')
    assert standin.configure('--hostname=k.test').returncode == 0
    with open(pem, encoding='ascii') as handle:
        first_pem = handle.read()
    assert 'PRIVATE KEY' in first_pem
    assert os.stat(pem).st_mode & 0o777 == 0o600
    with open(kite_key, encoding='ascii') as handle:
        first_kite_key = handle.read()
    assert first_kite_key.count('.') == 2  # a signed JWT
    assert standin.configure('--hostname=k.test').returncode == 0
    with open(pem, encoding='ascii') as handle:
        assert handle.read() == first_pem
    with open(kite_key, encoding='ascii') as handle:
        assert handle.read() == first_kite_key


def test_bootstrap_container_runs_other_commands_in_the_checkout(standin):
    script = os.path.join(standin.root, 'scripts', 'bootstrap-container')
    result = subprocess.run(['bash', script, 'pwd'], capture_output=True, text=True, check=True)
    assert os.path.realpath(result.stdout.strip()) == os.path.realpath(standin.root)
    result = subprocess.run(['bash', script, 'build'], capture_output=True, text=True, check=False)
    assert result.returncode != 0 and '--hostname' in result.stderr


# HTTP surface ------------------------------------------------------------------------------------------

def test_health_version_and_kontrol(koding):
    status, body, headers = koding.get('/healthcheck')
    assert (status, body) == (200, '')
    assert '_csrf' in (headers.get('Set-Cookie') or '')
    status, body, _headers = koding.get('/-/version')
    assert status == 200 and json.loads(body)['version']
    status, body, _headers = koding.get('/kontrol/healthCheck')
    assert status == 200 and body.startswith('kontrol is running with version: ')


def test_team_create_requires_matching_csrf(koding):
    status, body, _headers = koding.post('/-/teams/create', form=team_form(koding, 'acme', 'alice', _csrf='x'))
    assert status == 403 and '_csrf' in body  # no cookie yet
    koding.get('/healthcheck')
    status, _body, _headers = koding.post('/-/teams/create', form=team_form(koding, 'acme', 'alice', _csrf='not-the-cookie'))
    assert status == 403
    status, body, _headers = koding.post('/-/teams/create', form=team_form(koding, 'acme', 'alice'))
    assert status == 200 and json.loads(body)['token']


def test_team_create_get_and_taken(koding):
    assert koding.get('/-/team/acme')[:2] == (404, 'no group found')
    status, body, _headers = create_team(koding, 'acme', 'alice')
    assert status == 200 and json.loads(body)['token']
    status, body, _headers = koding.get('/-/team/acme')
    assert status == 200
    team = json.loads(body)
    assert team['slug'] == 'acme' and team['title'] == 'Acme'
    status, body, _headers = create_team(koding, 'acme', 'bob1')
    assert status == 403 and 'already in use' in json.loads(body)['message']


@pytest.mark.parametrize('slug, username', [('Acme', 'alice'), ('acme-', 'alice'), ('ac--me', 'alice'), ('alice', 'alice')])
def test_team_create_rejects_bad_input(koding, slug, username):
    status, _body, _headers = create_team(koding, slug, username)
    assert status == 400


def test_team_create_rejects_password_mismatch_and_missing_agree(koding):
    assert create_team(koding, 'acme', 'alice', passwordConfirm='other-pass-1')[0] == 400
    assert create_team(koding, 'acme', 'alice', agree='')[0] == 400


def test_gitlab_hook_checks_token_and_event(koding):
    # utils.coffee:17-25 and index.coffee:24-31: every refusal is 403 {"error": "not valid"}.
    event = {'event_name': 'user_create', 'username': 'carol', 'email': 'carol@example.com'}
    not_valid = (403, {'error': 'not valid'})

    def post(body, token=None):
        status, text, _headers = koding.post('/-/api/gitlab', json_body=body,
                                             headers={} if token is None else {'X-Gitlab-Token': token})
        return status, json.loads(text)

    assert post(event) == not_valid
    assert post(event, '') == not_valid
    assert post(event, HOOK_TOKEN + 'x') == not_valid
    assert post({'username': 'carol'}, HOOK_TOKEN) == not_valid
    assert post({'event_name': 'milestone_create'}, HOOK_TOKEN) == not_valid  # no such handler
    assert post({'event_name': 'project_create'}, HOOK_TOKEN) == (403, {'error': {'message': 'project create handler is not implemented'}})
    assert post({'event_name': 'push'}, HOOK_TOKEN) == (403, {'error': {'message': 'missing data', 'error': {}}})
    assert post({'event_name': 'push', 'project': {}}, HOOK_TOKEN) == (403, {'error': {'message': 'push main handler is not implemented'}})
    assert post({'event_name': 'tag_push', 'project': {}}, HOOK_TOKEN) == (403, {'error': {'message': 'tag push handler is not implemented'}})
    assert post({'event_name': 'user_add_to_group'}, HOOK_TOKEN) == (403, {'error': {'message': 'user add_to_group handler is not implemented'}})
    assert koding.post('/-/api/gitlab', json_body={'event_name': 'project_frobnicate'}, headers={'X-Gitlab-Token': HOOK_TOKEN})[0] == 500


def test_gitlab_hook_with_no_token_configured_accepts_an_empty_token(standin):
    # utils.coffee:5 and :22: String('') is '' and an empty X-Gitlab-Token header equals it; no header is undefined.
    client = standin.start('--hostname=koding.lab.test', '--gitlabHost=127.0.0.1')
    event = {'event_name': 'project_create'}
    assert client.post('/-/api/gitlab', json_body=event)[:2] == (403, '{"error": "not valid"}')
    status, body, _headers = client.post('/-/api/gitlab', json_body=event, headers={'X-Gitlab-Token': ''})
    assert (status, json.loads(body)) == (403, {'error': {'message': 'project create handler is not implemented'}})


def test_gitlab_hook_creates_and_removes_users_in_team_gitlab(koding):
    hook = {'X-Gitlab-Token': HOOK_TOKEN}
    event = {'event_name': 'user_create', 'username': 'carol', 'email': 'carol@example.com', 'name': 'Carol C'}
    status, body, _headers = koding.post('/-/api/gitlab', json_body=event, headers=hook)
    assert (status, json.loads(body)['error']['code']) == (500, 'InternalError')  # team gitlab does not exist yet
    assert create_team(koding, 'gitlab', 'admin1')[0] == 200
    status, body, _headers = koding.post('/-/api/gitlab', json_body=event, headers=hook)
    assert (status, json.loads(body)) == (200, {'data': [None, None, None, 'carol']})
    assert json.loads(koding.get('/-/team/gitlab')[1])['counts']['members'] == 2
    status, body, _headers = koding.post('/-/api/gitlab', json_body=event, headers=hook)
    assert (status, json.loads(body)) == (403, {'error': {'message': 'user already exists'}})
    missing_email = {'event_name': 'user_create', 'username': 'dave'}
    status, body, _headers = koding.post('/-/api/gitlab', json_body=missing_email, headers=hook)
    assert (status, json.loads(body)['error']['code']) == (400, 'InvalidInput')
    destroy = dict(event, event_name='user_destroy')
    assert koding.post('/-/api/gitlab', json_body=destroy, headers=hook)[0] == 200
    assert json.loads(koding.get('/-/team/gitlab')[1])['counts']['members'] == 1
    status, body, _headers = koding.post('/-/api/gitlab', json_body=destroy, headers=hook)
    assert (status, json.loads(body)) == (403, {'error': {'message': 'user not exists'}})


def test_gitlab_hook_is_off_without_gitlab_host(standin):
    client = standin.start('--hostname=koding.lab.test', env={'KONFIG_GITLAB_SYSTEMHOOKTOKEN': HOOK_TOKEN})
    event = {'event_name': 'user_create', 'username': 'carol', 'email': 'carol@example.com'}
    assert client.post('/-/api/gitlab', json_body=event, headers={'X-Gitlab-Token': HOOK_TOKEN})[0] == 404


def test_health_check_fails_when_services_do_not_answer(koding):
    # Nothing listens on the configured Redis / RabbitMQ ports here.
    assert koding.get('/-/healthCheck')[0] == 500


def test_console_needs_supervisord_credentials(standin):
    standin.start('--hostname=koding.lab.test')
    client = Client(standin.console_port())
    assert client.get('/')[0] == 401
    assert client.get('/', headers={'Authorization': 'Basic a29kaW5nOjFxMnczZTRy'})[0] == 200


# SSO against the GitLab lab --------------------------------------------------------------------------

@pytest.fixture(name='gitlab_lab')
def gitlab_lab_fixture(tmp_path):
    if not os.path.exists(GITLAB_LAB):
        pytest.skip('the GitLab lab server (tests/lab/gitlab/server.py) is not there')
    port_file = str(tmp_path / 'gitlab.port')
    # pylint: disable-next=consider-using-with
    process = subprocess.Popen([sys.executable, GITLAB_LAB, '--profile', 'modern', '--host', '127.0.0.1', '--port', '0',
                                '--port-file', port_file], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield Client(wait_for_port_file(port_file, process))
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_oauth_callback_signs_in_through_gitlab(standin, gitlab_lab):
    redirect_uri = 'http://gitlab.%s/-/oauth/gitlab/callback' % HOST
    admin = {'PRIVATE-TOKEN': ADMIN_TOKEN}
    status, body, _headers = gitlab_lab.post('/api/v4/applications', headers=admin,
                                             form={'name': 'Koding', 'redirect_uri': redirect_uri, 'scopes': 'api'})
    assert status == 201, body
    app = json.loads(body)
    query = urllib.parse.urlencode({'client_id': app['application_id'], 'redirect_uri': redirect_uri, 'response_type': 'code',
                                    'state': 'lab-state', 'scope': 'api'})
    status, body, headers = gitlab_lab.get('/oauth/authorize?' + query, headers=admin)
    assert status == 302, body
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(headers['Location']).query)['code'][0]

    koding = standin.start('--hostname=koding.lab.test', '--host=' + HOST, '--gitlabHost=127.0.0.1',
                           '--gitlabPort=%d' % gitlab_lab.port,
                           env={'KONFIG_GITLAB_APPLICATIONID': json.dumps(app['application_id']),
                                'KONFIG_GITLAB_APPLICATIONSECRET': json.dumps(app['secret'])})
    status, _body, headers = koding.get('/-/oauth/gitlab/callback?' + urllib.parse.urlencode({'code': code, 'state': 'lab-state'}))
    assert status == 302
    assert headers['Location'] == '/'
    assert koding.cookies.get('clientId')
    # The code is spent: a second use is refused by GitLab and Koding does not sign in.
    koding.cookies.pop('clientId')
    status, _body, headers = koding.get('/-/oauth/gitlab/callback?' + urllib.parse.urlencode({'code': code, 'state': 'lab-state'}))
    assert status == 302 and headers['Location'] != '/'
    assert 'clientId' not in koding.cookies
