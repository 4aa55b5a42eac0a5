"""Upstream's real ./configure and config/*.coffee, given the koding role's flags and env file.

What the generated .env.json and .env.sh say, and what upstream's own koding-config-manager makes of them
in every Node process at run time (KONFIG_JSON from .env.json, then each KONFIG_<PATH> of the environment,
JSON-parsed, on top: node_modules_koding/koding-config-manager/config.coffee:15-24).
"""

import os
import re

import yaml
from conftest import CONTAINER_CHECKOUT, REPO_ROOT, ROLE_VARS

PUBLIC_HOST = '%s:%d' % (ROLE_VARS['koding_hostname'], ROLE_VARS['koding_public_port'])


def test_role_runs_configure_with_a_hostname(role_output):
    # Without --hostname the real ./configure asks http://echoip.net for the public IP (configure:175-181).
    assert '--hostname=%s' % ROLE_VARS['koding_hostname'] in role_output.flags
    assert role_output.compose['services']['backend']['volumes'][0]['target'] == role_output.env['KONFIG_PROJECTROOT'] == CONTAINER_CHECKOUT


def test_configure_writes_its_files(configured):
    # Its very last step (fs.exists without a callback, configure:148) throws on Node > 0.10, after every file is written.
    assert 'Configuration done' in configured.result.stdout, configured.result.stdout + configured.result.stderr
    assert 'written %s' % os.path.join(configured.root, 'client', '.config.json') in configured.result.stdout
    for name in ('.env.json', '.env.sh', 'nginx.conf', 'supervisord.conf', 'run'):
        assert os.path.getsize(os.path.join(configured.root, name)) > 0, name


def test_public_host(configured):
    assert configured.env_json['hostname'] == PUBLIC_HOST
    assert configured.env_json['publicHostname'] == 'http://' + PUBLIC_HOST
    assert configured.env_json['domains']['base'] == ROLE_VARS['koding_hostname']
    assert configured.env_json['gitlab']['redirectUri'] == 'http://gitlab.%s/-/oauth/gitlab/callback' % PUBLIC_HOST
    konfig = configured.runtime_konfig()
    assert konfig['hostname'] == PUBLIC_HOST
    assert konfig['publicHostname'] == 'http://' + PUBLIC_HOST


def test_upper_case_konfig_does_nothing_at_configure_time(configured):
    # config/inheritEnvVars.coffee:8 looks up KONFIG_<path> in the path's own case, so the env file's upper-case
    # names leave .env.json at upstream's defaults: the role's values only act at run time.
    assert configured.role.env['KONFIG_JWT_SECRET'] == ROLE_VARS['koding__jwt_secret']
    assert configured.env_json['jwt']['secret'] != ROLE_VARS['koding__jwt_secret']


def test_shell_view_of_gitlab_and_jwt(configured):
    # .env.sh exports NAME=${NAME:-<value of .env.json>}: the env file's value wins (config/generateShellEnv.coffee:7).
    env = configured.runtime_env()
    assert env['KONFIG_GITLAB_HOST'] == ROLE_VARS['koding_gitlab_host']
    assert env['KONFIG_GITLAB_PORT'] == str(ROLE_VARS['koding_gitlab_port'])
    assert env['KONFIG_GITLAB_SYSTEMHOOKTOKEN'] == ROLE_VARS['koding_gitlab_system_hook_token']
    assert env['KONFIG_GITLAB_APPLICATIONSECRET'] == ROLE_VARS['koding_gitlab_application_secret']
    assert env['KONFIG_JWT_SECRET'] == ROLE_VARS['koding__jwt_secret']
    assert env['KONFIG_PUBLICHOSTNAME'] == 'http://' + PUBLIC_HOST


def test_runtime_konfig_of_gitlab_and_jwt(configured):
    gitlab = configured.runtime_konfig()['gitlab']
    assert gitlab['host'] == ROLE_VARS['koding_gitlab_host']
    assert gitlab['port'] == ROLE_VARS['koding_gitlab_port']
    assert str(gitlab['applicationId']) == ROLE_VARS['koding_gitlab_application_id']
    assert gitlab['applicationSecret'] == ROLE_VARS['koding_gitlab_application_secret']
    assert gitlab['systemHookToken'] == ROLE_VARS['koding_gitlab_system_hook_token']
    assert gitlab['hooksEnabled'] is True
    assert gitlab['team'] == 'gitlab'
    assert configured.runtime_konfig()['jwt']['secret'] == ROLE_VARS['koding__jwt_secret']


def test_service_ports_are_raw_for_the_shell_consumers(configured):
    # scripts/check-service-connectivity.sh hands these to pg_isready, curl and redis-cli as they are.
    env = configured.runtime_env()
    for name in ('KONFIG_POSTGRES_PORT', 'KONFIG_REDIS_PORT', 'KONFIG_MQ_APIPORT'):
        assert re.fullmatch(r'[0-9]+', env[name]), '%s=%s' % (name, env[name])
    for name in ('KONFIG_POSTGRES_HOST', 'KONFIG_REDIS_HOST', 'KONFIG_MQ_HOST'):
        assert re.fullmatch(r'[A-Za-z0-9.-]+', env[name]), '%s=%s' % (name, env[name])


def test_hook_receiver_cannot_be_turned_off(configured):
    # What the stand-in follows (tests/lab/koding/standin/README.md): hooksEnabled is true whatever the
    # GitLab host, and a falsy KONFIG_* value cannot override a leaf (koding-config-manager's `val or node`).
    assert configured.env_json['gitlab']['hooksEnabled'] is True
    configured.role.env, saved = dict(configured.role.env, KONFIG_GITLAB_HOOKSENABLED='false'), configured.role.env
    try:
        assert configured.runtime_konfig()['gitlab']['hooksEnabled'] is True
    finally:
        configured.role.env = saved


def konfig_ports(node, path=()):
    """Every (path, port) of KONFIG: the values of keys named port, or ending in Port, that are whole numbers."""
    if isinstance(node, dict):
        for key, value in node.items():
            if (key == 'port' or key.endswith('Port')) and re.fullmatch(r'[0-9]+', str(value)):
                yield path + (key,), int(value)
            else:
                yield from konfig_ports(value, path + (key,))


def test_role_knows_every_port_the_backend_takes(configured):
    # The role refuses a public port (or the one after it, where Koding's nginx listens too) that a program of the
    # backend binds inside the same container: supervisord's console, and the port of every KONFIG worker that
    # supervisord.conf runs (a worker's program is named after its KONFIG key; social runs as socialworker and
    # socialapi.webhookMiddleware as webhook). Workers configure gives a port but supervisord does not run
    # (gatekeeper, vmwatcher, paymentwebhook, tunnelserver) take none.
    with open(os.path.join(configured.root, 'supervisord.conf'), encoding='utf-8') as handle:
        supervisord = handle.read()
    programs = set(re.findall(r'^\[program:([^\]]+)\]', supervisord, re.M))
    console = int(re.search(r'^\[inet_http_server\]\nport\s*=\s*[^:\n]*:([0-9]+)', supervisord, re.M).group(1))
    aliases = {'social': 'socialworker', 'webhookmiddleware': 'webhook'}
    bound = {console}
    for path, port in konfig_ports(configured.runtime_konfig()):
        worker = path[-2].lower() if len(path) > 1 else ''
        if aliases.get(worker, worker) in programs:
            bound.add(port)
    with open(os.path.join(REPO_ROOT, 'roles', 'koding', 'vars', 'main.yml'), encoding='utf-8') as handle:
        role_ports = set(yaml.safe_load(handle)['koding_backend_ports'])
    assert role_ports == bound, 'the role lacks %s and refuses %s needlessly' % (sorted(bound - role_ports), sorted(role_ports - bound))
    assert ROLE_VARS['koding_public_port'] not in bound


def test_nginx_takes_the_public_port_and_the_next(configured):
    # Why the role also refuses a public port whose next port a worker takes (validate.yml).
    with open(os.path.join(configured.root, 'nginx.conf'), encoding='utf-8') as handle:
        listens = {int(port) for port in re.findall(r'^\s*listen\s+([0-9]+)\s*;', handle.read(), re.M)}
    public = ROLE_VARS['koding_public_port']
    assert listens == {public, public + 1}
