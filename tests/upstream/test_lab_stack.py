"""Upstream's real scripts/check-service-connectivity.sh and PostgreSQL schema, in the lab stack.

The lab images come from tests/lab/koding/build.sh (cached by input hash). The data services run on a
private Docker network of their own, under the names the koding role gives them, with no published port;
the backend image runs upstream's files (configured with the role's flags) with the role's env file.
Run the stage under `flock /tmp/kg-docker-stack.lock` where other labs share the Docker engine.
"""

import os
import subprocess
import time
import uuid

import pytest
from conftest import REPO_ROOT, UPSTREAM_DIR, missing

IMAGES = os.environ.get('KODING_LAB_IMAGE_PREFIX') or 'koding-lab'
SERVICES = {
    'mongo': '%s/mongo:2.4' % IMAGES,
    'postgres': '%s/postgres:15' % IMAGES,
    'redis': '%s/redis:7' % IMAGES,
    'rabbitmq': '%s/rabbitmq:3' % IMAGES,
}
BACKEND_IMAGE = '%s/base:2016.08' % IMAGES
CHECKOUT = '/opt/koding'
CONNECTIVITY = 'scripts/check-service-connectivity.sh'
# The checks upstream's script runs, in its order: every one of them, Mongo's against the lab Mongo
# (tests/lab/mongo) through the backend image's `mongo` (mongosh).
UPSTREAM_CHECKS = ['mongo', 'postgres', 'rabbitmq', 'redis']


def docker(*args, check=True, timeout=600):
    return subprocess.run(['docker'] + list(args), capture_output=True, text=True, check=check, timeout=timeout)


@pytest.fixture(name='lab_images', scope='session')
def lab_images_fixture(upstream_dir):
    try:
        docker('info', timeout=30)
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        missing('no Docker engine answers (`bash .ci/test docker-engine` starts one)')
    log = os.path.join(REPO_ROOT, '.cache', 'upstream-lab-build.log')
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, 'w', encoding='utf-8') as handle:
        result = subprocess.run(
            ['bash', os.path.join(REPO_ROOT, 'tests', 'lab', 'koding', 'build.sh')],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, KODING_UPSTREAM_DIR=upstream_dir),
            check=False,
            timeout=1800,
        )
    assert result.returncode == 0, 'tests/lab/koding/build.sh failed; log: %s' % log
    return IMAGES


class Stack:
    """MongoDB, PostgreSQL, Redis and RabbitMQ on a network of their own, named as in the role's compose file."""

    def __init__(self):
        self.suffix = uuid.uuid4().hex[:8]
        self.network = 'kg-upstream-%s' % self.suffix
        self.containers = []

    def start(self):
        docker('network', 'create', '--internal', self.network)
        for alias, image in SERVICES.items():
            name = 'kg-upstream-%s-%s' % (alias, self.suffix)
            docker('run', '-d', '--name', name, '--network', self.network, '--network-alias', alias, image)
            self.containers.append(name)
        deadline = time.monotonic() + 180
        waiting = list(self.containers)
        while waiting:
            waiting = [name for name in waiting if docker('inspect', '-f', '{{.State.Health.Status}}', name).stdout.strip() != 'healthy']
            if waiting and time.monotonic() > deadline:
                logs = {name: docker('logs', '--tail', '20', name, check=False).stderr for name in waiting}
                raise AssertionError('not healthy within 180 s: %s' % logs)
            time.sleep(1)

    def stop(self):
        for name in self.containers:
            docker('rm', '-f', '-v', name, check=False)
        docker('network', 'rm', self.network, check=False)

    def backend(self, checkout, env, script):
        """Runs script with bash in the backend image, the checkout at /opt/koding, env as the environment."""
        env_file = os.path.join(os.path.dirname(checkout), 'backend-%s.env' % uuid.uuid4().hex[:6])
        descriptor = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, 'w', encoding='utf-8') as handle:
            # docker run --env-file takes each line literally: the values as Compose hands them over.
            handle.writelines('%s=%s\n' % item for item in env.items())
        try:
            return docker(
                'run',
                '--rm',
                '--network',
                self.network,
                '--env-file',
                env_file,
                '-v',
                '%s:%s' % (checkout, CHECKOUT),
                '-w',
                CHECKOUT,
                BACKEND_IMAGE,
                'bash',
                '-c',
                script,
                check=False,
                timeout=600,
            )
        finally:
            os.unlink(env_file)


@pytest.fixture(name='stack', scope='session')
def stack_fixture(lab_images):
    del lab_images
    stack = Stack()
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def connectivity_functions():
    """The part of upstream's script before its checks run: check_<service> and check (with its retries)."""
    with open(os.path.join(UPSTREAM_DIR, CONNECTIVITY), encoding='utf-8') as handle:
        lines = handle.read().splitlines()
    calls = [line.split()[1] for line in lines if line.startswith('check ')]
    assert calls == UPSTREAM_CHECKS, 'upstream runs other checks than these tests know: %s' % calls
    return '\n'.join(lines[: lines.index('check mongo')])


def run_checks(stack, configured, env, checks):
    script = 'source ./.env.sh\nsource ./%s.functions\n%s\necho all-checks-passed\n' % (CONNECTIVITY, '\n'.join('check %s' % name for name in checks))
    with open(os.path.join(configured.root, CONNECTIVITY + '.functions'), 'w', encoding='utf-8') as handle:
        handle.write(connectivity_functions() + '\n')
    return stack.backend(configured.root, env, script)


def test_upstream_connectivity_check_passes_with_the_role_env_file(stack, configured):
    result = run_checks(stack, configured, configured.role.env, UPSTREAM_CHECKS)
    assert result.returncode == 0 and 'all-checks-passed' in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize('name', ['KONFIG_POSTGRES_PORT', 'KONFIG_REDIS_PORT'])
def test_upstream_connectivity_check_fails_on_json_quoted_ports(stack, configured, name):
    # What the role wrote before: a JSON string. The check must see it (one try, not upstream's 6 x 10 s).
    env = dict(configured.role.env, **{name: '"%s"' % configured.role.env[name].strip('"')})
    service = 'postgres' if 'POSTGRES' in name else 'redis'
    script = 'source ./.env.sh\nsource ./%s.functions\ncheck_%s\n' % (CONNECTIVITY, service)
    with open(os.path.join(configured.root, CONNECTIVITY + '.functions'), 'w', encoding='utf-8') as handle:
        handle.write(connectivity_functions() + '\n')
    result = stack.backend(configured.root, env, script)
    assert result.returncode != 0
    assert 'error: %s service check failed' % service in result.stdout


def test_postgres_has_upstream_roles_database_and_schema(stack, configured):
    query = (
        "SELECT string_agg(rolname || ':' || rolcanlogin::text || ':' || rolsuper::text, ' ' ORDER BY rolname) FROM pg_roles "
        "WHERE rolname IN ('social', 'socialapplication', 'social_superuser', 'kontrol', 'kontrolapplication');"
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'social';"
        "SELECT string_agg(nspname, ' ' ORDER BY nspname) FROM pg_namespace "
        "WHERE nspname IN ('api', 'kite', 'notification', 'sitemap', 'payment', 'integration');"
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'api';"
        "SELECT to_regclass('api.account') IS NOT NULL;"
    )
    # psql -f - prints the result of each statement; the connection settings are the ones Koding uses.
    script = (
        'set -e\nsource ./.env.sh\n'
        'PGPASSWORD=$KONFIG_POSTGRES_PASSWORD psql -h "$KONFIG_POSTGRES_HOST" -p "$KONFIG_POSTGRES_PORT" '
        '-U "$KONFIG_POSTGRES_USERNAME" -d "$KONFIG_POSTGRES_DBNAME" -v ON_ERROR_STOP=1 -At -f - <<\'SQL\'\n' + query.replace(';', ';\n') + 'SQL\n'
        'PGPASSWORD=kontrolapplication psql -h "$KONFIG_POSTGRES_HOST" -U kontrolapplication -d social -At '
        '-c "SELECT count(*) FROM kite.key"\n'
    )
    result = stack.backend(configured.root, configured.role.env, script)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().split('\n')
    assert len(lines) == 6, result.stdout + result.stderr
    roles, owner, schemas, api_tables, tables, kite_keys = lines
    assert roles.split() == [
        'kontrol:false:false',
        'kontrolapplication:true:false',
        'social:false:false',
        'social_superuser:true:true',
        'socialapplication:true:false',
    ]
    assert owner == 'social'
    assert schemas.split() == ['api', 'integration', 'kite', 'notification', 'payment', 'sitemap']
    assert int(api_tables) > 5
    assert tables == 't'
    assert kite_keys == '0'
