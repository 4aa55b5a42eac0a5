"""The same sign-in scenarios against the Koding stand-in and against upstream's real code: the real code judges.

Both sides run with the koding role's edits applied exactly as deployed (rendered from roles/koding by
../render-role.yml and ../render-overlays.yml, the edited files written over the checkout where the role mounts
them), on the legacy and the modern lab GitLab, with the edits and without the two sign-up edits
(`koding_gitlab_signup_fix: never`). The real side is test_real.py's stack run (scenarios.py in upstream's
webserver's network namespace); the stand-in side is tests/lab/koding/standin, configured with the role's flags
and env file and served in this process with its memory store, next to a lab GitLab of its own. scenarios.py
drives both.

What is compared, per scenario: the callback's HTTP status; the failure redirect's location
(`/Home/Oauth?provider=gitlab&error=...`) where the callback fails; and what the person ends up with: whose
session it is (a guest session counts as none), the error they are shown, which Koding users hold the GitLab
identity (`foreignAuth.gitlab.foreignId`), and whether the account is in the GitLab team. The real callback
only keeps the GitLab user in the session and redirects to `/Home/Oauth?provider=gitlab&error=null`, whose page
posts `/OAuth` (where a refusal is a 400 with the message); the stand-in signs in at the callback and shows a
refusal in the redirect's error. For those steps the end of the flow is compared, not each answer.
"""

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from conftest import REPO_ROOT, UPSTREAM_CHECKOUT_FILES  # noqa: E402  pylint: disable=wrong-import-position,import-error
from test_real import SIGN_UP_EDITS, TREE, render_role, stack_run_fixture, tree_fixture  # noqa: E402,F401  pylint: disable=wrong-import-position,import-error,unused-import

STANDIN = os.path.join(REPO_ROOT, 'tests', 'lab', 'koding', 'standin')
GITLAB_LAB = os.path.join(REPO_ROOT, 'tests', 'lab', 'gitlab', 'server.py')
# The sign-ins through GitLab (scenarios.py), and the callbacks that fail before any sign-in.
SIGN_INS = ('new_user', 'new_user_again', 'hook_user', 'username_clash', 'link', 'linked_user', 'email_in_use')
FAILED_CALLBACKS = ('no_code', 'bad_code')
# Names a sign-up makes with a random suffix (the role's signUpWithGitLab, createSalt 32: 8 hex digits).
SUFFIXED = re.compile(r'(hopper|ada-lab|turing|linker|mailer)[0-9a-f]{8}')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_port(port, process, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError('exited with %s' % process.returncode)
        with socket.socket() as sock:
            if sock.connect_ex(('127.0.0.1', port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError('nothing listens on %d' % port)


class StandinObserver:
    """What the stand-in's store says, asked as scenarios.py asks upstream's Mongo."""

    def __init__(self, store, team):
        self.store = store
        self.team = team

    def session_username(self, client_id):
        return self.store.session_user(client_id)

    def linked(self, gitlab_id):
        return sorted(user['username'] for user in self.store.users.values() if user.get('gitlab_id') == str(gitlab_id))

    def users(self, username):
        return [username] if self.store.get_user(username=username) else []

    def team_member(self, username):
        return self.store.is_member(self.team, username)


def load_scenarios():
    """scenarios.py as a module of its own, reading the environment set now."""
    spec = importlib.util.spec_from_file_location('standin_scenarios', os.path.join(HERE, 'scenarios.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_standin(directory, profile, edited, monkeypatch):
    """The scenarios against the stand-in, with the role's edits as test_real.py renders them for upstream."""
    import yaml  # pylint: disable=import-outside-toplevel

    sys.path.insert(0, os.path.join(STANDIN, 'server'))
    import koding_lab  # pylint: disable=import-outside-toplevel,import-error
    import konfig as konfig_lib  # pylint: disable=import-outside-toplevel,import-error

    sys.path.insert(0, os.path.dirname(HERE))
    from conftest import parse_env_file  # pylint: disable=import-outside-toplevel,import-error

    sys.path.insert(0, REPO_ROOT)
    from tests.lab.gitlab.gitlab_lab.tokens import ADMIN_TOKEN  # pylint: disable=import-outside-toplevel

    gitlab_port = free_port()
    applied = render_role(directory, dict({'koding_gitlab_port': gitlab_port}, **({} if edited else {'koding_gitlab_signup_fix': 'never'})))
    assert (set(SIGN_UP_EDITS) <= set(applied)) is edited, applied
    root = os.path.join(directory, 'standin')
    shutil.copytree(STANDIN, root)
    for path in UPSTREAM_CHECKOUT_FILES:
        os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        shutil.copyfile(os.path.join(TREE, path), os.path.join(root, path))
    with open(os.path.join(directory, 'overlays.json'), encoding='utf-8') as handle:
        for overlay in json.load(handle):
            with open(os.path.join(root, overlay['path']), 'w', encoding='utf-8') as out:
                out.write(overlay['content'])
    with open(os.path.join(directory, 'flags.json'), encoding='utf-8') as handle:
        flags = json.load(handle)
    with open(os.path.join(directory, 'compose.yml'), encoding='utf-8') as handle:
        assert yaml.safe_load(handle)['services']['backend']['command']
    role_env = parse_env_file(os.path.join(directory, 'koding.env'))

    log = open(os.path.join(directory, 'gitlab.log'), 'w', encoding='utf-8')  # pylint: disable=consider-using-with
    # pylint: disable-next=consider-using-with
    gitlab = subprocess.Popen(
        [sys.executable, GITLAB_LAB, '--profile', profile, '--host', '127.0.0.1', '--port', str(gitlab_port)], stdout=log, stderr=subprocess.STDOUT
    )
    server = None
    try:
        wait_port(gitlab_port, gitlab)
        host = [flag.split('=', 1)[1] for flag in flags if flag.startswith('--host=')][0]
        request = urllib.request.Request(
            'http://127.0.0.1:%d/api/v4/applications' % gitlab_port,
            data=json.dumps({'name': 'Koding', 'redirect_uri': 'http://gitlab.%s/-/oauth/gitlab/callback' % host, 'scopes': 'api read_user'}).encode(),
            method='POST',
            headers={'PRIVATE-TOKEN': ADMIN_TOKEN, 'Content-Type': 'application/json'},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            application = json.load(answer)
        with open(os.path.join(directory, 'gitlab-application.json'), 'w', encoding='utf-8') as handle:
            json.dump(application, handle)
        env = dict(role_env, KONFIG_GITLAB_APPLICATIONID=application['application_id'], KONFIG_GITLAB_APPLICATIONSECRET=application['secret'])
        result = subprocess.run(
            ['bash', os.path.join(root, 'configure')] + flags, cwd=root, env=dict(os.environ, **env), capture_output=True, text=True, check=False, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
        konfig = konfig_lib.load(os.path.join(root, '.env.json'), env)
        monkeypatch.setattr(koding_lab.checkout, 'ROOT', root)
        store = koding_lab.MemoryStore()
        server = koding_lab.Server(('127.0.0.1', 0), koding_lab.Handler, konfig, store)
        threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True).start()
        for name, value in dict(
            env,
            KODING_URL='http://127.0.0.1:%d' % server.server_address[1],
            GITLAB_URL='http://127.0.0.1:%d' % gitlab_port,
            KONFIG_JSON=json.dumps(konfig),
            STACK_WORK=directory,
        ).items():
            monkeypatch.setenv(name, str(value))
        scenarios = load_scenarios()
        scenarios.OBSERVER = StandinObserver(store, konfig['gitlab']['team'])
        scenarios.ONE_STEP = True
        return scenarios.run()
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        gitlab.terminate()
        gitlab.wait(10)
        log.close()


def username(name):
    if not name or name.startswith('guest-'):
        return None  # a guest session: nobody signed in
    return SUFFIXED.sub(r'\1<suffix>', name)


def error_of(location):
    """The error of a /Home/Oauth redirect (helpers.coffee:230-237), None for error=null or another location."""
    if not location or not location.startswith('/Home/Oauth?'):
        return None
    error = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).get('error', ['null'])[0]
    return None if error == 'null' else error


def observed(results):
    """What a person observes in each scenario, the same way for both sides."""
    seen = {
        'create_team': results['create_team']['status'],
        'hook_delivery': results['hook_delivery'],
        'hook_user_before_sign_in': {key: results['hook_user'][key] for key in ('koding_users', 'linked_before_sign_in')},
        'password_login': results['password_login']['status'],
    }
    for name in SIGN_INS:
        result = results[name]
        error = error_of(result['callback_location'])
        if result['oauth_status'] not in (None, 200):
            error = result['oauth_error']  # POST /OAuth's refusal (the stand-in shows it in the redirect)
        seen[name] = {
            'callback_status': result['callback_status'],
            'signed_in': username(result['session_username']),
            'error': error,
            'linked': sorted(username(linked) for linked in result['linked']),
            'team_member': bool(result.get('team_member')),
        }
    for name in FAILED_CALLBACKS:
        result = results[name]
        seen[name] = {
            'callback_status': result['callback_status'],
            'callback_location': result['callback_location'],
            'signed_in': username(result['session_username']),
        }
    return seen


@pytest.fixture(name='real_results')
def real_results_fixture(stack_run):
    return lambda profile, edited: stack_run(profile, edited)[0]


@pytest.mark.parametrize('edited', [True, False], ids=['edits', 'no-sign-up-edits'])
@pytest.mark.parametrize('profile', ['legacy', 'modern'])
def test_standin_signs_in_as_upstream_does(real_results, tmp_path, monkeypatch, profile, edited):
    real = observed(real_results(profile, edited))
    standin = observed(run_standin(str(tmp_path), profile, edited, monkeypatch))
    differences = {name: {'upstream': real[name], 'stand-in': standin.get(name)} for name in real if real[name] != standin.get(name)}
    kind = 'edits' if edited else 'no sign-up edits'
    print('\n%s profile, %s: %d scenarios compared, %d agree' % (profile, kind, len(real), len(real) - len(differences)))
    print(json.dumps({'upstream': real, 'stand-in': standin}, indent=1))
    assert not differences, json.dumps(differences, indent=1)
