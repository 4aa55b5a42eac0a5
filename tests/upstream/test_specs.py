"""Upstream's own HTTP-level mocha tests, run with upstream's mocha-runner against the Koding lab stand-in.

Both run in a network namespace of their own (`unshare --net`), where the stand-in listens on
localhost:8090, the address upstream's servers/testhelper builds every URL from. The stand-in and the test
files get the same configuration: the koding role's flags and env file (the tests read the hook token
through upstream's koding-config-manager, from the real configure's output). The harness under
tests/upstream/harness satisfies the requires that have no place in the lab (see its README); its preload
stands in for the Mongo-backed modules that createteam.test.coffee requires, and selects that file's
HTTP-only tests by their full titles.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
from conftest import HERE, REPO_ROOT, UPSTREAM_CHECKOUT_FILES, UPSTREAM_DIR, clean_env, missing

STANDIN = os.path.join(REPO_ROOT, 'tests', 'lab', 'koding', 'standin')
HARNESS = os.path.join(HERE, 'harness')
PRELOAD = os.path.join(HARNESS, 'preload.js')
GITLAB_SPECS = 'servers/lib/server/handlers/api/gitlab'
CREATE_TEAM_SPEC = 'servers/lib/server/handlers/createteam.test.coffee'
CREATE_TEAM_SUITE = 'server.handlers.createteam'
# The tests of createteam.test.coffee that only send requests and check the status and body. Left out, as
# they read MongoDB through the models (JUser.one, JGroup.one, Relationship.one ...): 'should handle team
# creation correctly when valid data provided', 'should save relationships correctly', 'should save
# emailFrequency.marketing according to newsletter param', 'should save given plan title to the config'.
CREATE_TEAM_HTTP_TESTS = (
    'should fail when csrf token is invalid',
    'should handle correctly already registered user with valid data',
    'should send HTTP 200 when invitees is not set',
    'should send HTTP 400 when company is not set',
    'should send HTTP 400 when slug is not set',
    'should send HTTP 400 when slug is invalid or a reserved one',
    'should send HTTP 403 when slug is set as koding',
    'should send HTTP 403 when slug is set as an already used one',
    'should send HTTP 200 when user is registered but alreadyMember set to false',
    'should send HTTP 400 when user is unregistered but alreadyMember set to true',
    'should send HTTP 400 when email is not valid',
    'should send HTTP 400 when email is in use and username is not in use',
    'should send HTTP 400 when username is not set',
    'should send HTTP 400 when passwords does not match',
    'should send HTTP 400 when agree is set as false',
)

RUN_IN_NAMESPACE = r'''
ip link set lo up
python3 "$STANDIN_ROOT/server/koding_lab.py" --config "$STANDIN_ROOT/.env.json" --store memory --bind 127.0.0.1 \
    --port 8090 --console-port 0 --port-file "$STANDIN_ROOT/port" >"$STANDIN_ROOT/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do [ -s "$STANDIN_ROOT/port" ] && break; sleep 0.1; done
[ -s "$STANDIN_ROOT/port" ] || { cat "$STANDIN_ROOT/server.log"; exit 97; }
if [ -n "$CREATE_TEAM" ]; then
    # The team the hook receiver adds users to, created over HTTP as an owner would.
    jar="$STANDIN_ROOT/cookies"
    curl -sf -c "$jar" -b "$jar" http://127.0.0.1:8090/healthcheck >/dev/null || exit 96
    csrf=$(awk '$6 == "_csrf" { print $7 }' "$jar")
    curl -sf -c "$jar" -b "$jar" --data-urlencode "_csrf=$csrf" --data-urlencode "slug=$CREATE_TEAM" \
        -d companyName=GitLab -d username=teamowner -d email=owner@lab.invalid -d password=owner-pass-1 \
        -d passwordConfirm=owner-pass-1 -d agree=on http://127.0.0.1:8090/-/teams/create >/dev/null || exit 96
fi
[ -n "$SPEC_ENV" ] && eval "export $SPEC_ENV"
source ./.env.sh
"$COFFEE" scripts/node-testing/mocha-runner "$SPEC"
status=$?
kill "$server"
wait "$server"
exit "$status"
'''


@pytest.fixture(name='standin_root', scope='session')
def standin_root_fixture(upstream_dir, role_output, tmp_path_factory):
    root = str(tmp_path_factory.mktemp('standin') / 'koding')
    shutil.copytree(STANDIN, root, ignore=shutil.ignore_patterns('.env.json', 'generated', '__pycache__'))
    # As tests/lab/koding/build.sh does for the lab image: upstream's files the stand-in reads from its checkout.
    for path in UPSTREAM_CHECKOUT_FILES:
        os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        shutil.copyfile(os.path.join(upstream_dir, path), os.path.join(root, path))
    result = subprocess.run(
        ['bash', os.path.join(root, 'configure')] + role_output.flags, cwd=root, env=clean_env(**role_output.env), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.fixture(name='run_spec')
def run_spec_fixture(configured, standin_root, node_modules):
    if os.geteuid() != 0 or shutil.which('unshare') is None or shutil.which('ip') is None:
        missing('running the stand-in at localhost:8090 in a network namespace of its own needs root, unshare and ip')

    def run(spec, create_team='', only=(), **spec_env):
        """Runs spec; create_team first creates that team; only selects tests by full title; spec_env changes
        the spec's environment only."""
        env = clean_env(**dict(configured.role.env, KONFIG_PROJECTROOT=configured.root))
        env.update(
            {
                'STANDIN_ROOT': standin_root,
                'SPEC': spec,
                'CREATE_TEAM': create_team,
                'COFFEE': os.path.join(node_modules, '.bin', 'coffee'),
                'PATH': os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', ''),
                'NODE_PATH': os.pathsep.join([HARNESS, node_modules, os.path.join(configured.root, 'node_modules_koding')]),
                # Node 17+ would try ::1 first for localhost, where the stand-in does not listen.
                'NODE_OPTIONS': '--dns-result-order=ipv4first --require=' + shlex.quote(PRELOAD),
                'KODING_TEST_GREP': json.dumps(list(only)) if only else '',
                'SPEC_ENV': ' '.join('%s=%s' % (name, shlex.quote(value)) for name, value in spec_env.items()),
            }
        )
        for stale in ('port', 'server.log', 'cookies'):
            if os.path.exists(os.path.join(standin_root, stale)):
                os.unlink(os.path.join(standin_root, stale))
        return subprocess.run(
            ['unshare', '--net', 'bash', '-c', RUN_IN_NAMESPACE], cwd=configured.root, env=env, capture_output=True, text=True, check=False, timeout=600
        )

    return run


def known_events():
    """The events upstream's _events.coffee lists (KNOWN_EVENTS), one spec test each."""
    with open(os.path.join(UPSTREAM_DIR, GITLAB_SPECS, '_events.coffee'), encoding='utf-8') as handle:
        text = handle.read()
    block = text[text.index('KNOWN_EVENTS = [') : text.index(']', text.index('KNOWN_EVENTS = ['))]
    return re.findall(r"^\s+'(\w+)'\s*$", block, re.MULTILINE)


def test_gitlab_hook_receiver_spec(run_spec):
    result = run_spec(GITLAB_SPECS + '/index.test.coffee')
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert 'mochaRunner failures = (0)' in output
    events = known_events()
    assert len(events) >= 10
    for event in events:
        assert 'should handle %s requests' % event in output, output
    assert '%d passing' % len(events) in output, output


def test_gitlab_hook_receiver_spec_fails_on_a_wrong_token(run_spec):
    # The same spec with a hook token the stand-in was not given: every request is refused with "not valid".
    result = run_spec(GITLAB_SPECS + '/index.test.coffee', KONFIG_GITLAB_SYSTEMHOOKTOKEN='not-the-configured-token')
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert 'mochaRunner failures = (%d)' % len(known_events()) in output, output


def test_gitlab_user_hooks_spec(run_spec, configured):
    # user.test.coffee: user_create and user_destroy succeed in the GitLab team; the other user events are not implemented.
    result = run_spec(GITLAB_SPECS + '/user.test.coffee', create_team=configured.runtime_konfig()['gitlab']['team'])
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert 'mochaRunner failures = (0)' in output and '6 passing' in output, output


def passed(output, title):
    """Whether mocha's spec reporter marked the test with this title as passed."""
    return re.search(r'^\s*\u2713 %s(?: \(\d+ms\))?\s*$' % re.escape(title), output, re.MULTILINE) is not None


def test_create_team_spec_http_tests(run_spec):
    titles = ['%s %s' % (CREATE_TEAM_SUITE, title) for title in CREATE_TEAM_HTTP_TESTS]
    result = run_spec(CREATE_TEAM_SPEC, only=titles)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert 'mochaRunner failures = (0)' in output, output
    for title in CREATE_TEAM_HTTP_TESTS:
        assert passed(output, title), 'not passed: %s\n%s' % (title, output)
    assert '%d passing' % len(CREATE_TEAM_HTTP_TESTS) in output, output


def test_create_team_spec_fails_where_it_should(run_spec):
    # The test files read the host name from KONFIG: given another one than the stand-in's, the two tests that
    # expect "Sorry, Team URL '<slug>.<hostname>' is already in use" fail. A test that reads MongoDB fails with
    # the harness's message.
    mongo_test = 'should save given plan title to the config'
    wrong_host = ('should send HTTP 403 when slug is set as koding', 'should send HTTP 403 when slug is set as an already used one')
    titles = ['%s %s' % (CREATE_TEAM_SUITE, title) for title in wrong_host + (mongo_test,)]
    result = run_spec(CREATE_TEAM_SPEC, only=titles, KONFIG_HOSTNAME=json.dumps('elsewhere.lab.test'))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert 'mochaRunner failures = (3)' in output, output
    for title in wrong_host + (mongo_test,):
        assert 'failed on %s' % title in output, output
    assert "to include 'Sorry, Team URL \\'koding.elsewhere.lab.test\\' is already in use'" in output, output
    assert 'models/group.one needs MongoDB' in output, output
