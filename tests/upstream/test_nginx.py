"""Upstream's generated nginx.conf, served by Debian's nginx in the lab backend image, in front of the stand-in.

The real ./configure writes nginx.conf (deployment/nginx.coffee) with the role's flags; it includes the
mime.types of the nginx it finds (deployment/nginx.coffee:197-200), so it runs here in a mount namespace
of its own where the backend image's mime.types sits at /usr/local/etc/nginx/. In the backend image,
with no network, nginx then loads that file unchanged and the stand-in plays the webserver behind it on
upstream's port (the `webserver` upstream block). Routes, ports and /healthcheck come from upstream.
"""

import json
import os
import re
import shutil
import subprocess

import pytest
from conftest import clean_env, missing, scratch_checkout
from test_lab_stack import BACKEND_IMAGE, docker, lab_images_fixture  # noqa: F401  pylint: disable=unused-import
from test_specs import standin_root_fixture  # noqa: F401  pylint: disable=unused-import

SERVE = r'''
set -e
nginx -t -c /opt/koding/nginx.conf
port=$(sed -n '/upstream webserver {/,/}/ s/.*server 127\.0\.0\.1:\([0-9]*\).*/\1/p' /opt/koding/nginx.conf)
python3 /opt/standin/server/koding_lab.py --config /opt/standin/.env.json --store memory --bind 127.0.0.1 \
    --port "$port" --console-port 0 >/tmp/standin.log 2>&1 &
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthcheck" && break; sleep 0.1; done
nginx -c /opt/koding/nginx.conf
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:8090/healthcheck && break; sleep 0.1; done
echo "webserver-port $port"
echo "healthcheck $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8090/healthcheck)"
echo "team $(curl -s -w ' %{http_code}' -H 'Host: koding.lab.test:8090' http://127.0.0.1:8090/-/team/gitlab)"
echo "hook $(curl -s -w ' %{http_code}' -H 'Content-Type: application/json' -H "X-Gitlab-Token: $HOOK_TOKEN" \
    -d '{"event_name": "project_create"}' http://127.0.0.1:8090/-/api/gitlab)"
echo "server $(curl -s -o /dev/null -D - http://127.0.0.1:8090/healthcheck | tr -d '\r' | sed -n 's/^Server: //p')"
'''


@pytest.fixture(name='nginx_checkout', scope='module')
def nginx_checkout_fixture(upstream_dir, node_modules, role_output, lab_images, tmp_path_factory):
    del lab_images
    if os.geteuid() != 0 or shutil.which('unshare') is None or not os.path.isdir('/usr/local/etc'):
        missing('configuring with the nginx of the backend image needs root, unshare and /usr/local/etc')
    mime_types = docker('run', '--rm', '--network', 'none', BACKEND_IMAGE, 'cat', '/etc/nginx/mime.types').stdout
    root = scratch_checkout(upstream_dir, node_modules, str(tmp_path_factory.mktemp('nginx') / 'koding'))
    with open(os.path.join(os.path.dirname(root), 'mime.types'), 'w', encoding='utf-8') as handle:
        handle.write(mime_types)
    script = (
        'mount -t tmpfs tmpfs /usr/local/etc && mkdir /usr/local/etc/nginx && cp ../mime.types /usr/local/etc/nginx/mime.types && exec "$0" ./configure "$@"'
    )
    result = subprocess.run(
        ['unshare', '--mount', '--propagation', 'private', 'bash', '-c', script, os.path.join(node_modules, '.bin', 'coffee')] + role_output.flags,
        cwd=root,
        env=clean_env(**dict(role_output.env, NODE_PATH=node_modules)),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert 'Configuration done' in result.stdout, result.stdout + result.stderr
    return root


def test_upstream_nginx_conf_serves_the_stand_in(nginx_checkout, standin_root, role_output):
    with open(os.path.join(nginx_checkout, 'nginx.conf'), encoding='utf-8') as handle:
        conf = handle.read()
    assert 'include /usr/local/etc/nginx/mime.types;' in conf
    assert re.search(r'^\s*listen 8090;', conf, re.MULTILINE)
    env_file = os.path.join(os.path.dirname(nginx_checkout), 'backend.env')
    descriptor = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, 'w', encoding='utf-8') as handle:
        handle.writelines('%s=%s\n' % item for item in role_output.env.items())
        handle.write('HOOK_TOKEN=%s\n' % role_output.env['KONFIG_GITLAB_SYSTEMHOOKTOKEN'])
    # The image's own mime.types, where ./configure found it.
    mime_types = os.path.join(os.path.dirname(nginx_checkout), 'mime.types')
    # nginx resolves the host of a proxy_pass without variables when it starts (S3 for the kd installers):
    # with no network here, those names point at the container itself and are never asked.
    upstreams = set(re.findall(r'^\s*upstream\s+(\S+)\s*\{', conf, re.MULTILINE))
    outside = sorted(set(re.findall(r'proxy_pass\s+"?https?://([A-Za-z0-9.-]+)', conf)) - upstreams)
    assert 's3.amazonaws.com' in outside, outside
    result = docker(
        'run',
        '--rm',
        '--network',
        'none',
        '--env-file',
        env_file,
        *['--add-host=%s:127.0.0.1' % name for name in outside],
        '-v',
        '%s:/opt/koding' % nginx_checkout,
        '-v',
        '%s:/opt/standin' % standin_root,
        '-v',
        '%s:/usr/local/etc/nginx/mime.types:ro' % mime_types,
        BACKEND_IMAGE,
        'bash',
        '-c',
        SERVE,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    answers = dict(line.split(' ', 1) for line in result.stdout.splitlines() if ' ' in line)
    assert answers['webserver-port'] == '8080'
    assert answers['healthcheck'] == '200'  # nginx's own `location = /healthcheck { return 200; }`
    assert answers['server'].startswith('nginx')
    assert answers['team'] == 'no group found 404'
    body, status = answers['hook'].rsplit(' ', 1)
    assert (status, json.loads(body)) == ('403', {'error': {'message': 'project create handler is not implemented'}})
