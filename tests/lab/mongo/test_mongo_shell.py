"""The `mongo` shell checks upstream and the koding role run, through mongosh, against the lab Mongo with upstream's seed."""

import os
import subprocess

import pytest

from .conftest import UPSTREAM_DIR, LabMongo, missing


@pytest.fixture(name='seeded', scope='module')
def seeded_fixture(dump_path):
    server = LabMongo()
    server.restore(dump_path, 'koding')
    server.start()
    yield server
    server.stop()


def shell(mongo_shell, script, **env):
    environment = dict(os.environ, PATH=mongo_shell + os.pathsep + os.environ.get('PATH', ''), **env)
    return subprocess.run(['bash', '-c', script], env=environment, capture_output=True, text=True, timeout=120, check=False)


def test_upstreams_connectivity_check_passes(seeded, mongo_shell):
    """check_mongo of scripts/check-service-connectivity.sh, run as upstream wrote it."""
    script = os.path.join(UPSTREAM_DIR, 'scripts', 'check-service-connectivity.sh')
    if not os.path.isfile(script):
        missing('upstream Koding\'s scripts/check-service-connectivity.sh not found under %s; set KODING_UPSTREAM_DIR' % UPSTREAM_DIR)
    result = subprocess.run(
        ['bash', '-c', 'source <(sed -n "/^function check_mongo/,/^}/p" "$1") && check_mongo', 'check', script],
        env=dict(os.environ, PATH=mongo_shell + os.pathsep + os.environ.get('PATH', ''), KONFIG_MONGO='127.0.0.1:%d/koding' % seeded.port),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_roles_seed_check_through_mongosh_prints_a_warning_first(seeded, mongo_shell):
    """roles/koding/tasks/mongo.yml runs `mongo "$KONFIG_MONGO" --quiet --eval 'db.jGroups.count({slug: "koding"})'` and wants
    exactly `1`: the 2.4 shell prints that; mongosh prints a deprecation warning on stdout first."""
    result = shell(mongo_shell, 'mongo "$KONFIG_MONGO" --quiet --eval \'db.jGroups.count({slug: "koding"})\'', KONFIG_MONGO='127.0.0.1:%d/koding' % seeded.port)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == '1'
    assert lines[0].startswith('DeprecationWarning: Collection.count() is deprecated')


def test_a_seed_check_both_shells_print_alike(seeded, mongo_shell):
    """`find(...).count()` exists in the 2.4 shell and prints no warning in mongosh."""
    script = 'mongo "$KONFIG_MONGO" --quiet --eval \'db.jGroups.find({slug: "koding"}).count()\''
    result = shell(mongo_shell, script, KONFIG_MONGO='127.0.0.1:%d/koding' % seeded.port)
    assert result.returncode == 0 and result.stdout == '1\n', result.stdout + result.stderr


def test_the_roles_health_check_pings(seeded, mongo_shell):
    """koding_mongo_healthcheck_test: `mongo --quiet --eval "db.adminCommand('ping').ok"`."""
    result = shell(mongo_shell, 'mongo --port %d --quiet --eval "db.adminCommand(\'ping\').ok"' % seeded.port)
    assert result.returncode == 0 and result.stdout.strip() == '1', result.stdout + result.stderr
