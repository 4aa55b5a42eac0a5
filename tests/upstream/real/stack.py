"""Upstream Koding's own webserver and social models, on Node 0.10, with what they need around them.

Made to run inside a network namespace of its own (`unshare --net`, see test_real.py): upstream's test helpers
build every URL from localhost:8090, so the webserver takes that port, and the services around it take fixed
loopback ports too. What runs:

- the webserver, `node servers/index.js -p 8090` from a scratch copy of the full upstream tree
  ($KODING_UPSTREAM_TREE), with the koding role's edited files written over it where the role mounts them;
- KONFIG from upstream's `./configure`, run with the role's flags and env file (rendered from roles/koding);
  `.env.sh` sourced on top, as in the role's backend container;
- the lab Mongo (tests/lab/mongo, MongoDB 2.4's wire protocol) loaded with upstream's default dump, Debian's
  redis-server, the lab GitLab (tests/lab/gitlab) and the socialapi stub (socialapi_stub.py).

python stack.py --tree DIR --work DIR --overlays overlays.json|none --gitlab-profile legacy|modern COMMAND...
runs COMMAND (a shell command) with the stack up and its addresses in the environment (KODING_URL,
GITLAB_URL, MONGO_URL, KODING_ROOT, KODING_ENV_SH...), then stops everything it started.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
HARNESS = os.path.join(os.path.dirname(HERE), 'harness')

# Fixed loopback ports inside the namespace. 8090: servers/testhelper/index.coffee (generateUrl, port ':8090').
PORTS = {'koding': 8090, 'mongo': 27017, 'redis': 6379, 'gitlab': 8081, 'socialapi': 7000}
# The role's backend sees Mongo and Redis where these tests put them; GitLab on loopback over http.
ROLE_STACK_VARS = {
    'koding_mongo_external': True,
    'koding_mongo_url': '127.0.0.1:%d/koding' % PORTS['mongo'],
    'koding_redis_external': True,
    'koding_redis_host': '127.0.0.1',
    'koding_redis_port': PORTS['redis'],
    'koding_gitlab_host': '127.0.0.1',
    'koding_gitlab_port': PORTS['gitlab'],
    'koding_gitlab_scheme': 'http',
}
# appmetrics@1.0.8 has no built agent here (its native part); koding-datadog's profiler only requires it at load
# time (node_modules_koding/koding-datadog/lib/nodejsprofiler.coffee:3) and calls disable/monitor.
APPMETRICS_STUB = """var EventEmitter = require('events').EventEmitter;
module.exports = {
  disable: function () {},
  enable: function () {},
  monitor: function () { return new EventEmitter(); }
};
"""


def log(*args):
    print('[stack]', *args, file=sys.stderr, flush=True)


def prepare_checkout(tree, node_modules, root, overlays):
    """A writable, git-initialised copy of the upstream tree with node_modules as upstream's install makes it."""
    shutil.copytree(tree, root, symlinks=True, ignore=lambda directory, names: ['.git', 'node_modules'] if directory == tree else [])
    # configure writes client/.config.json (the client itself is not needed).
    os.makedirs(os.path.join(root, 'client'), exist_ok=True)
    modules = os.path.join(root, 'node_modules')
    os.makedirs(modules)
    for name in os.listdir(node_modules):
        if name not in ('appmetrics', 'mocha'):
            os.symlink(os.path.join(node_modules, name), os.path.join(modules, name))
    # .npm-preinstall.sh -> scripts/reset-node-modules.sh: every node_modules_koding/* linked into node_modules.
    for name in os.listdir(os.path.join(root, 'node_modules_koding')):
        target = os.path.join(modules, name)
        if os.path.lexists(target):
            os.unlink(target)
        os.symlink(os.path.join('..', 'node_modules_koding', name), target)
    # .npm-install.sh -> scripts/patch-node-modules.sh applies patches/mocha.patch (mocha-runner's 'koding'
    # reporter): a private copy of mocha, patched, so the shared tree stays as installed.
    shutil.copytree(os.path.join(node_modules, 'mocha'), os.path.join(modules, 'mocha'), symlinks=True)
    subprocess.run(['patch', '-s', '-N', '-p1', '-i', os.path.join(root, 'patches', 'mocha.patch')], cwd=root, check=True)
    os.makedirs(os.path.join(modules, 'appmetrics'))
    with open(os.path.join(modules, 'appmetrics', 'index.js'), 'w', encoding='utf-8') as handle:
        handle.write(APPMETRICS_STUB)
    applied = []
    for overlay in overlays:
        # As the role mounts its edited copies over the checkout (compose.yml.j2).
        with open(os.path.join(root, overlay['path']), 'w', encoding='utf-8') as handle:
            handle.write(overlay['content'])
        applied.append(overlay['path'])
    git = ['git', '-c', 'user.name=Koding Lab', '-c', 'user.email=lab@koding.invalid', '-c', 'commit.gpgsign=false']
    subprocess.run(git + ['init', '-q'], cwd=root, check=True)
    subprocess.run(git + ['add', '-A', '.'], cwd=root, check=True)
    subprocess.run(git + ['commit', '-q', '-m', 'upstream tree'], cwd=root, check=True)
    return applied


def parse_env_file(path):
    sys.path.insert(0, os.path.dirname(HERE))
    from conftest import parse_env_file as parse  # pylint: disable=import-outside-toplevel,import-error

    return parse(path)


def wait_port(port, what, process, timeout=60):
    import socket  # pylint: disable=import-outside-toplevel

    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError('%s exited with %s' % (what, process.returncode))
        with socket.socket() as sock:
            if sock.connect_ex(('127.0.0.1', port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError('%s did not listen on %d within %ds' % (what, port, timeout))


class Stack:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.work)
        self.root = os.path.join(self.work, 'koding')
        self.processes = []
        self.node = os.path.abspath(args.node)
        self.node_bin = os.path.dirname(self.node)

    def start(self, name, argv, env=None, cwd=None):
        output = open(os.path.join(self.work, name + '.log'), 'w', encoding='utf-8')  # pylint: disable=consider-using-with
        # pylint: disable-next=consider-using-with
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append((name, process))
        return process

    def stop(self):
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def base_env(self):
        env = {key: value for key, value in os.environ.items() if not key.startswith('KONFIG_')}
        env['PATH'] = self.node_bin + os.pathsep + env.get('PATH', '')
        env.pop('NODE_OPTIONS', None)
        env.pop('NODE_PATH', None)
        return env

    def configure(self, role_env, flags):
        """upstream's ./configure with the role's flags, the env file's variables in the environment (as in the container)."""
        env = dict(self.base_env(), **dict(role_env, KONFIG_PROJECTROOT=self.root))
        coffee = os.path.join(self.root, 'node_modules', 'coffee-script', 'bin', 'coffee')
        result = subprocess.run([self.node, coffee, './configure'] + flags, cwd=self.root, env=env, capture_output=True, text=True, check=False, timeout=300)
        if result.returncode != 0:
            raise RuntimeError('configure failed: %s%s' % (result.stdout[-2000:], result.stderr[-2000:]))

    def runtime_env(self, role_env, extra):
        """The backend's environment: the env file, then upstream's .env.sh sourced on top, then extra."""
        env = dict(self.base_env(), **dict(role_env, KONFIG_PROJECTROOT=self.root))
        result = subprocess.run(['bash', '-c', 'source ./.env.sh && env -0'], cwd=self.root, env=env, capture_output=True, check=True)
        runtime = dict(item.split('=', 1) for item in result.stdout.decode().split('\0') if '=' in item)
        runtime.update(extra)
        return runtime

    def run(self):
        args = self.args
        os.makedirs(self.work, exist_ok=True)
        overlays = []
        if args.overlays != 'none':
            with open(args.overlays, encoding='utf-8') as handle:
                overlays = json.load(handle)
        applied = prepare_checkout(os.path.abspath(args.tree), os.path.abspath(args.node_modules), self.root, overlays)
        log('checkout ready; role edits applied:', ', '.join(applied) or 'none')
        role_env = parse_env_file(args.env_file)
        with open(args.flags, encoding='utf-8') as handle:
            flags = json.load(handle)
        subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=False)
        python = args.python
        gitlab = self.start(
            'gitlab',
            [python, os.path.join(REPO_ROOT, 'tests', 'lab', 'gitlab', 'server.py'), '--profile', args.gitlab_profile]
            + ['--host', '127.0.0.1', '--port', str(PORTS['gitlab'])],
        )
        mongo = self.start(
            'mongo',
            [
                args.mongo_python,
                args.mongo_server,
                '--host',
                '127.0.0.1',
                '--port',
                str(PORTS['mongo']),
                '--restore',
                os.path.join(self.root, 'install', 'docker-mongo', 'default-db-dump.tar.bz2'),
                '--db',
                'koding',
            ],
        )
        redis = self.start('redis', ['redis-server', '--port', str(PORTS['redis']), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'])
        social = self.start('socialapi', [python, os.path.join(HERE, 'socialapi_stub.py'), '--port', str(PORTS['socialapi'])])
        for name, process in (('gitlab', gitlab), ('mongo', mongo), ('redis', redis), ('socialapi', social)):
            wait_port(PORTS[name], name, process, timeout=120)
        # The OAuth application, as the GitLab stage of the playbook registers it; GitLab issues its id and
        # secret, which the role writes into the env file (KONFIG_GITLAB_APPLICATIONID / _APPLICATIONSECRET).
        application = self.register_application(flags)
        role_env = dict(role_env, KONFIG_GITLAB_APPLICATIONID=application['application_id'], KONFIG_GITLAB_APPLICATIONSECRET=application['secret'])
        self.configure(role_env, flags)
        log('configure done')
        # Where nginx would route /api/social to socialapi (deployment/nginx.coffee), the stub answers instead.
        env = self.runtime_env(role_env, {'KONFIG_SOCIALAPI_CUSTOMDOMAIN_LOCAL': 'http://127.0.0.1:%d' % PORTS['socialapi']})
        with open(os.path.join(self.work, 'runtime.env.json'), 'w', encoding='utf-8') as handle:
            json.dump(env, handle)
        koding = self.start('webserver', [self.node, 'servers/index.js', '-p', str(PORTS['koding'])], env=env, cwd=self.root)
        wait_port(PORTS['koding'], 'the webserver', koding, timeout=180)
        self.wait_healthy(koding)
        log('stack up')
        command_env = dict(
            env,
            KODING_URL='http://127.0.0.1:%d' % PORTS['koding'],
            GITLAB_URL='http://127.0.0.1:%d' % PORTS['gitlab'],
            MONGO_URL='mongodb://127.0.0.1:%d/koding' % PORTS['mongo'],
            SOCIALAPI_URL='http://127.0.0.1:%d' % PORTS['socialapi'],
            KODING_ROOT=self.root,
            KODING_NODE=self.node,
            STACK_WORK=self.work,
        )
        result = subprocess.run(['bash', '-c', args.command], env=command_env, cwd=self.root, check=False)
        return result.returncode

    def register_application(self, flags):
        """The Koding application in the lab GitLab, with the redirect URI upstream's KONFIG computes
        (config/generateKonfig.coffee:21: http://<team>.<--host>/-/oauth/gitlab/callback)."""
        sys.path.insert(0, REPO_ROOT)
        from tests.lab.gitlab.gitlab_lab.tokens import ADMIN_TOKEN  # pylint: disable=import-outside-toplevel

        host = [flag.split('=', 1)[1] for flag in flags if flag.startswith('--host=')][0]
        data = json.dumps({'name': 'Koding', 'redirect_uri': 'http://gitlab.%s/-/oauth/gitlab/callback' % host, 'scopes': 'api read_user'}).encode()
        request = urllib.request.Request(
            'http://127.0.0.1:%d/api/v4/applications' % PORTS['gitlab'],
            data=data,
            method='POST',
            headers={'PRIVATE-TOKEN': ADMIN_TOKEN, 'Content-Type': 'application/json'},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            application = json.load(answer)
        with open(os.path.join(self.work, 'gitlab-application.json'), 'w', encoding='utf-8') as handle:
            json.dump(application, handle)
        return application

    def wait_healthy(self, process, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if process.poll() is not None:
                raise RuntimeError('the webserver exited with %s' % process.returncode)
            try:
                with urllib.request.urlopen('http://127.0.0.1:%d/-/version' % PORTS['koding'], timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError('the webserver did not answer /-/version')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--tree', required=True, help='the full upstream tree at the pinned commit')
    parser.add_argument('--node', required=True, help='Node 0.10 binary')
    parser.add_argument('--node-modules', required=True, help="upstream's npm tree (tests/upstream/real/package-lock.json)")
    parser.add_argument('--work', required=True)
    parser.add_argument('--env-file', required=True, help="the role's rendered koding.env")
    parser.add_argument('--flags', required=True, help="JSON list: the role's ./configure flags")
    parser.add_argument('--overlays', required=True, help="the role's rendered overlays.json, or none")
    parser.add_argument('--gitlab-profile', default='modern')
    parser.add_argument('--python', default=sys.executable)
    parser.add_argument('--mongo-python', default=sys.executable)
    parser.add_argument('--mongo-server', default=os.path.join(REPO_ROOT, 'tests', 'lab', 'mongo', 'server.py'))
    parser.add_argument('command')
    args = parser.parse_args(argv)
    stack = Stack(args)
    try:
        return stack.run()
    finally:
        stack.stop()


if __name__ == '__main__':
    sys.exit(main())
