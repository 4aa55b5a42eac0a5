"""The koding role's seeding script (roles/koding/files/koding-mongo-seed) on upstream's own dump.

The script runs in the backend container with the mongo shell, mongorestore and upstream's ./run. Here those three
are small programs of the test's (on PATH and in the scratch checkout) that keep the database in a JSON file and
record how they were called; the dump is upstream's own (install/docker-mongo/default-db-dump.tar.bz2), read with
bson. `./run updatepermissions` ends as upstream's permission updater does: it prints "Finished!" and exits 1
(scripts/permission-updater/main.coffee:19-21, reached on the --reset path at :42-44).
"""

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO_ROOT

SEED_SCRIPT = os.path.join(REPO_ROOT, 'roles', 'koding', 'files', 'koding-mongo-seed')
DUMP = os.path.join('install', 'docker-mongo', 'default-db-dump.tar.bz2')
PASSWORD = 'kept-superadmin-password-7f3a'

# The mongo shell: answers the script's --eval expressions and runs its update file, on the JSON database.
MONGO = r'''
import hashlib, json, os, re, sys
state_path = os.environ['SEED_TEST_STATE']
with open(os.environ['SEED_TEST_CALLS'], 'a') as calls:
    calls.write(json.dumps(sys.argv) + '\n')
state = json.load(open(state_path))
args = sys.argv[1:]
if '--eval' in args:
    code = args[args.index('--eval') + 1]
    if 'jGroups.count({slug: "koding"})' in code:
        print(sum(1 for group in state['jGroups'] if group.get('slug') == 'koding'))
    elif 'getCollectionNames' in code:
        print(len([name for name, docs in state.items() if docs]))
    elif 'findOne({username: "admin"})' in code:
        user = next((user for user in state['jUsers'] if user.get('username') == 'admin'), None)
        if user:
            print('%s %s' % (user['salt'], user['password']))
    else:
        sys.exit('unexpected --eval: ' + code)
else:
    code = open(args[-1]).read()
    salt, password = re.search(r'\$set: \{salt: "([0-9a-f]+)", password: "([0-9a-f]+)"\}', code).groups()
    updated = 0
    for user in state['jUsers']:
        if user.get('username') == 'admin':
            user.update(salt=salt, password=password)
            updated += 1
    json.dump(state, open(state_path, 'w'))
    print(updated)
'''

# mongorestore: loads the dump's users and groups into the JSON database.
MONGORESTORE = r'''
import bson, json, os, sys
with open(os.environ['SEED_TEST_CALLS'], 'a') as calls:
    calls.write(json.dumps(sys.argv) + '\n')
directory = sys.argv[-1]
state = json.load(open(os.environ['SEED_TEST_STATE']))
for name in ('jUsers', 'jGroups'):
    with open(os.path.join(directory, name + '.bson'), 'rb') as handle:
        state[name] = [{key: str(value) for key, value in doc.items() if key in ('username', 'slug', 'salt', 'password')}
                       for doc in bson.decode_all(handle.read())]
json.dump(state, open(os.environ['SEED_TEST_STATE'], 'w'))
'''

RUN_FINISHED = '''#!/bin/sh
echo "$0 $*" >> "$SEED_TEST_CALLS.run"
echo "Updating permissions"
echo "Finished!"
exit 1
'''

RUN_FAILS = '''#!/bin/sh
echo "$0 $*" >> "$SEED_TEST_CALLS.run"
echo "Error: connect ECONNREFUSED" >&2
exit 1
'''


def sha1(text):
    return hashlib.sha1(text.encode()).hexdigest()


class Seed:
    def __init__(self, upstream_dir, root):
        self.root = root
        self.checkout = os.path.join(root, 'koding')
        self.bin = os.path.join(root, 'bin')
        self.state = os.path.join(root, 'state.json')
        self.calls = os.path.join(root, 'calls.log')
        os.makedirs(os.path.join(self.checkout, os.path.dirname(DUMP)))
        shutil.copy(os.path.join(upstream_dir, DUMP), os.path.join(self.checkout, DUMP))
        os.makedirs(self.bin)
        for name, source in (('mongo', MONGO), ('mongorestore', MONGORESTORE)):
            self.write(os.path.join(self.bin, name), '#!%s\n%s' % (sys.executable, source))
        self.set_run(RUN_FINISHED)
        self.password_file = os.path.join(root, 'password')
        with open(self.password_file, 'w', encoding='utf-8') as handle:
            handle.write(PASSWORD + '\n')
        self.save({'jUsers': [], 'jGroups': []})

    @staticmethod
    def write(path, text):
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write(text)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)

    def set_run(self, text):
        self.write(os.path.join(self.checkout, 'run'), text)

    def save(self, state):
        with open(self.state, 'w', encoding='utf-8') as handle:
            json.dump(state, handle)

    def load(self):
        with open(self.state, encoding='utf-8') as handle:
            return json.load(handle)

    def admin(self):
        return next(user for user in self.load()['jUsers'] if user['username'] == 'admin')

    def run(self, *args):
        env = dict(
            os.environ,
            PATH=self.bin + os.pathsep + os.environ['PATH'],
            KONFIG_MONGO='mongo:27017/koding',
            SEED_TEST_STATE=self.state,
            SEED_TEST_CALLS=self.calls,
        )
        return subprocess.run(['bash', SEED_SCRIPT] + list(args), cwd=self.checkout, env=env, capture_output=True, text=True, check=False, timeout=120)

    def command_lines(self):
        lines = []
        for path in (self.calls, self.calls + '.run'):
            if os.path.exists(path):
                with open(path, encoding='utf-8') as handle:
                    lines.append(handle.read())
        return '\n'.join(lines)


@pytest.fixture(name='seed')
def seed_fixture(upstream_dir, tmp_path):
    pytest.importorskip('bson', reason='bson (pymongo) reads the dump')
    return Seed(upstream_dir, str(tmp_path))


def test_the_dump_has_a_super_admin_with_the_password_admin(seed):
    result = seed.run()
    assert result.returncode == 0, result.stdout + result.stderr
    admin = seed.admin()
    assert admin['password'] == sha1(admin['salt'] + 'admin')


def test_seed_takes_finished_as_success_and_sets_the_kept_password(seed):
    result = seed.run(seed.password_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'koding-mongo-seed: seeded' in result.stdout
    assert 'koding-mongo-seed: super-admin password set' in result.stdout
    admin = seed.admin()
    assert admin['password'] == sha1(admin['salt'] + PASSWORD)
    assert admin['password'] != sha1(admin['salt'] + 'admin')
    assert 'updatepermissions' in seed.command_lines()
    # Neither the password nor its hash was ever on a command line.
    assert PASSWORD not in seed.command_lines()
    assert admin['password'] not in seed.command_lines()
    assert PASSWORD not in result.stdout + result.stderr


def test_a_second_run_changes_nothing(seed):
    assert seed.run(seed.password_file).returncode == 0
    before = seed.admin()
    result = seed.run(seed.password_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == 'koding-mongo-seed: already seeded (the koding group exists)'
    assert seed.admin() == before


def test_a_database_seeded_before_gets_the_kept_password(seed):
    # A deployment seeded by an earlier release of the role, with the super-admin's password still `admin`.
    assert seed.run().returncode == 0
    result = seed.run(seed.password_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'already seeded' in result.stdout and 'password set' in result.stdout
    admin = seed.admin()
    assert admin['password'] == sha1(admin['salt'] + PASSWORD)


def test_a_password_the_operator_changed_is_left_alone(seed):
    assert seed.run().returncode == 0
    state = seed.load()
    for user in state['jUsers']:
        if user['username'] == 'admin':
            user.update(salt='0' * 32, password=sha1('0' * 32 + 'chosen-by-the-operator'))
    seed.save(state)
    result = seed.run(seed.password_file)
    assert result.returncode == 0
    assert 'password set' not in result.stdout
    assert seed.admin()['password'] == sha1('0' * 32 + 'chosen-by-the-operator')


def test_an_unfinished_permission_update_fails_and_says_why(seed):
    seed.set_run(RUN_FAILS)
    result = seed.run(seed.password_file)
    assert result.returncode == 4
    assert 'ECONNREFUSED' in result.stderr
    assert './run updatepermissions did not finish' in result.stderr


def test_a_database_with_other_data_is_never_restored_over(seed):
    seed.save({'jUsers': [{'username': 'someone'}], 'jGroups': []})
    result = seed.run(seed.password_file)
    assert result.returncode == 3
    assert 'not restoring over it' in result.stderr
    assert seed.load() == {'jUsers': [{'username': 'someone'}], 'jGroups': []}


def test_script_is_bash_clean():
    shellcheck = shutil.which('shellcheck')
    if shellcheck is None:
        pytest.skip('shellcheck is not installed')
    result = subprocess.run([shellcheck, '-s', 'bash', SEED_SCRIPT], capture_output=True, text=True, check=False)
    assert result.returncode == 0, textwrap.indent(result.stdout, '  ')
