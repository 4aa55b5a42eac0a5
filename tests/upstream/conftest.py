"""Fixtures of the upstream-code tests: upstream Koding's own files, run against what the koding role produces.

Upstream's files (koding/koding at the role's default commit) are found at $KODING_UPSTREAM_DIR, by default
../shared/upstream/koding-1b2b621 beside the project's root. The npm packages they need (UPSTREAM.md) are
installed by `.ci/test upstream` into .cache/upstream-npm; $KODING_UPSTREAM_NODE_MODULES overrides that.
Where either is missing the tests skip with a message, unless KODING_UPSTREAM_REQUIRED=1 (CI), where they fail.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
UPSTREAM_DIR = os.environ.get('KODING_UPSTREAM_DIR') or os.path.join(os.path.dirname(REPO_ROOT), 'shared', 'upstream', 'koding-1b2b621')
NODE_MODULES = os.environ.get('KODING_UPSTREAM_NODE_MODULES') or os.path.join(REPO_ROOT, '.cache', 'upstream-npm', 'node_modules')
REQUIRED = os.environ.get('KODING_UPSTREAM_REQUIRED', '') not in ('', '0', 'false', 'no')

# What the role is given in these tests: every value distinct, so an assertion cannot pass by accident.
ROLE_VARS = {
    'koding_hostname': 'koding.lab.test',
    'koding_public_port': 8090,
    'koding_gitlab_host': 'gitlab.lab.test',
    'koding_gitlab_port': 8443,
    'koding_gitlab_application_id': '6f1c0e2b9a7d4c3e8b5a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c',
    'koding_gitlab_application_secret': 'app-secret-2b7e9c41',
    'koding_gitlab_system_hook_token': 'hook-token-8d3a51f0',
    'koding__jwt_secret': 'jwt-secret-5c09e7b2',
}
# The upstream files the koding role edits (koding_overlay_edits in roles/koding/vars/main.yml).
ROLE_EDITED_FILES = (
    'servers/lib/server/gitlab_callback.coffee',
    'workers/social/lib/social/models/oauth.coffee',
    'servers/lib/server/setsession.coffee',
    'workers/social/lib/social/models/user/index.coffee',
    'servers/lib/server/handlers/api/gitlab/user.coffee',
)
# The upstream files the koding role edits behind its TLS front (koding_tls: files or acme): Koding's URLs on https.
ROLE_TLS_EDITED_FILES = (
    'config/main.default.coffee',
    'config/generateKonfig.coffee',
)
# What the role is given behind its TLS front, on 443: the public host has no port.
ROLE_TLS_VARS = dict(ROLE_VARS, koding_tls='files')
# The upstream files that tests/lab/koding/build.sh adds to the stand-in's checkout (upstream_checkout_files).
UPSTREAM_CHECKOUT_FILES = (
    'servers/lib/server/gitlab_callback.coffee',
    'servers/lib/server/setsession.coffee',
    'workers/social/lib/social/models/oauth.coffee',
    'workers/social/lib/social/models/user/reservedteamdomains.coffee',
    'workers/social/lib/social/models/user/emailchecker.coffee',
    'workers/social/lib/social/models/user/index.coffee',
    'servers/lib/server/handlers/api/gitlab/user.coffee',
    'install/docker-mongo/default-db-dump.tar.bz2',
    'config/main.default.coffee',
    'config/generateKonfig.coffee',
)
# Where the role mounts the checkout in the backend container (compose.yml.j2).
CONTAINER_CHECKOUT = '/opt/koding'


def missing(message):
    """Skip, or fail where the upstream-code tests must run (CI)."""
    if REQUIRED:
        pytest.fail(message + ' (KODING_UPSTREAM_REQUIRED is set: these tests must run here)', pytrace=False)
    pytest.skip(message)


@pytest.fixture(name='upstream_dir', scope='session')
def upstream_dir_fixture():
    if not os.path.isfile(os.path.join(UPSTREAM_DIR, 'configure')):
        missing('upstream Koding files not found at %s; set KODING_UPSTREAM_DIR to a checkout of koding/koding at 1b2b6217ed' % UPSTREAM_DIR)
    return UPSTREAM_DIR


@pytest.fixture(name='node_modules', scope='session')
def node_modules_fixture():
    if not os.path.isfile(os.path.join(NODE_MODULES, 'coffee-script', 'package.json')):
        missing('npm packages for upstream Koding not found at %s; `bash .ci/test upstream` installs them' % NODE_MODULES)
    if shutil.which('node') is None:
        missing('node is not installed')
    return NODE_MODULES


def parse_env_file(path):
    """KEY=VALUE lines as Docker Compose reads an env_file: single quotes literal, double quotes JSON-like."""
    values = {}
    with open(path, encoding='utf-8') as handle:
        for line in handle:
            line = line.rstrip('\n')
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            name, _sep, value = line.partition('=')
            if len(value) >= 2 and value[0] == value[-1] == "'":
                value = value[1:-1]
            elif len(value) >= 2 and value[0] == value[-1] == '"':
                value = json.loads(value)
            values[name.strip()] = value
    return values


class RoleOutput:
    """The role's env file and backend command, rendered from roles/koding with ROLE_VARS."""

    def __init__(self, directory):
        self.directory = directory
        self.env = parse_env_file(os.path.join(directory, 'koding.env'))
        import yaml  # pylint: disable=import-outside-toplevel

        with open(os.path.join(directory, 'compose.yml'), encoding='utf-8') as handle:
            self.compose = yaml.safe_load(handle)
        self.command = [str(word) for word in self.compose['services']['backend']['command']]

    @property
    def flags(self):
        """The ./configure flags of the backend's command (bootstrap-container passes them through)."""
        return [word for word in self.command if word.startswith('--')]


def render(playbook, role_vars, directory):
    """Runs one of the render playbooks here (render-role.yml, render-overlays.yml) with role_vars into directory."""
    vars_file = os.path.join(directory, 'vars.json')
    with open(vars_file, 'w', encoding='utf-8') as handle:
        json.dump(role_vars, handle)
    ansible_playbook = shutil.which('ansible-playbook') or os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    result = subprocess.run(
        [ansible_playbook, '-i', 'localhost,', os.path.join(HERE, playbook), '-e', '@' + vars_file, '-e', 'render_dir=' + directory],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(name='role_output', scope='session')
def role_output_fixture(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp('role'))
    render('render-role.yml', ROLE_VARS, directory)
    return RoleOutput(directory)


def scratch_checkout(upstream_dir, node_modules, target):
    """A git-initialised, writable copy of the upstream files (configure reads the revision with git-rev)."""
    shutil.copytree(upstream_dir, target, symlinks=True)
    for root, dirs, files in os.walk(target):
        for name in dirs + files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o200)
    os.makedirs(os.path.join(target, 'client'), exist_ok=True)
    os.symlink(node_modules, os.path.join(target, 'node_modules'))
    git = ['git', '-c', 'user.name=Koding Lab', '-c', 'user.email=lab@koding.invalid', '-c', 'commit.gpgsign=false']
    subprocess.run(git + ['init', '-q'], cwd=target, check=True)
    subprocess.run(git + ['add', '-A', '.'], cwd=target, check=True)
    subprocess.run(git + ['commit', '-q', '-m', 'upstream files'], cwd=target, check=True)
    return target


def clean_env(**extra):
    """The test process's environment without any KONFIG_* of its own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith('KONFIG_')}
    env.update(extra)
    return env


class Configured:
    """An upstream checkout after the real ./configure ran with the role's flags and env file."""

    def __init__(self, root, role, result):
        self.root = root
        self.role = role
        self.result = result
        with open(os.path.join(root, '.env.json'), encoding='utf-8') as handle:
            self.env_json = json.load(handle)

    def runtime_env(self):
        """The environment of the backend's processes: the env file, then upstream's .env.sh sourced on top."""
        # The checkout is at KONFIG_PROJECTROOT in the container; here it is the scratch copy.
        env = clean_env(**dict(self.role.env, KONFIG_PROJECTROOT=self.root))
        result = subprocess.run(['bash', '-c', 'source ./.env.sh && env -0'], cwd=self.root, env=env, capture_output=True, check=True)
        return dict(item.split('=', 1) for item in result.stdout.decode().split('\0') if '=' in item)

    def runtime_konfig(self):
        """KONFIG as upstream's koding-config-manager builds it in every Node process at run time."""
        script = 'var KONFIG = require(process.cwd() + "/node_modules_koding/koding-config-manager");process.stdout.write(JSON.stringify(KONFIG));'
        env = clean_env(**dict(self.role.env, KONFIG_PROJECTROOT=self.root))
        result = subprocess.run(
            ['bash', '-c', 'source ./.env.sh && exec node -e "$0"', script], cwd=self.root, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture(name='configured', scope='session')
def configured_fixture(upstream_dir, node_modules, role_output, tmp_path_factory):
    root = scratch_checkout(upstream_dir, node_modules, str(tmp_path_factory.mktemp('upstream') / 'koding'))
    coffee = os.path.join(node_modules, '.bin', 'coffee')
    # As in the container: the env file's variables are in the environment when ./configure runs.
    env = clean_env(**dict(role_output.env, KONFIG_PROJECTROOT=root, NODE_PATH=node_modules))
    result = subprocess.run([coffee, './configure'] + role_output.flags, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=300)
    return Configured(root, role_output, result)
