"""Upstream's real ./configure behind the koding role's TLS front: the role's flags, env file and edited config files.

With `koding_tls` set the role gives ./configure `--protocol=https:` and `--publichostname`, and mounts its edits of
config/main.default.coffee (the scheme of customDomain.public, Secure cookies) and config/generateKonfig.coffee (the
scheme of the GitLab redirect URI) over the checkout. Every URL Koding gives the browser, GitLab and its kites is then
https, in .env.json, in the client's runtime options and in KONFIG as every Node process reads it at run time.
"""

import json
import os
import subprocess
import sys

import pytest
from conftest import REPO_ROOT, ROLE_EDITED_FILES, ROLE_TLS_EDITED_FILES, ROLE_TLS_VARS, Configured, RoleOutput, clean_env, render, scratch_checkout

sys.path.insert(0, os.path.join(REPO_ROOT, 'tests', 'lab', 'koding', 'standin', 'server'))
import konfig as standin_konfig  # noqa: E402  pylint: disable=wrong-import-position,import-error

PUBLIC_URL = 'https://' + ROLE_TLS_VARS['koding_hostname']
REDIRECT_URI = 'https://gitlab.%s/-/oauth/gitlab/callback' % ROLE_TLS_VARS['koding_hostname']


@pytest.fixture(name='https_role', scope='module')
def https_role_fixture(upstream_dir, tmp_path_factory):
    """The role's files for the TLS front: env file and compose file, and the edited copies of upstream's files."""
    directory = str(tmp_path_factory.mktemp('https-role'))
    render('render-role.yml', ROLE_TLS_VARS, directory)
    sources = {}
    for path in ROLE_EDITED_FILES + ROLE_TLS_EDITED_FILES:
        with open(os.path.join(upstream_dir, path), encoding='utf-8') as handle:
            sources[path] = handle.read()
    render('render-overlays.yml', dict(ROLE_TLS_VARS, koding__host={'sources': sources}), directory)
    with open(os.path.join(directory, 'overlays.json'), encoding='utf-8') as handle:
        overlays = {overlay['path']: overlay for overlay in json.load(handle)}
    return RoleOutput(directory), overlays


@pytest.fixture(name='https_configured', scope='module')
def https_configured_fixture(upstream_dir, node_modules, https_role, tmp_path_factory):
    role, overlays = https_role
    root = scratch_checkout(upstream_dir, node_modules, str(tmp_path_factory.mktemp('upstream-https') / 'koding'))
    # As the role mounts them over the checkout in the backend container.
    for path, overlay in overlays.items():
        with open(os.path.join(root, path), 'w', encoding='utf-8') as handle:
            handle.write(overlay['content'])
    coffee = os.path.join(node_modules, '.bin', 'coffee')
    env = clean_env(**dict(role.env, KONFIG_PROJECTROOT=root, NODE_PATH=node_modules))
    result = subprocess.run([coffee, './configure'] + role.flags, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=300)
    return Configured(root, role, result)


def test_tls_edits_apply_to_the_pinned_commit(https_role):
    _role, overlays = https_role
    for path in ROLE_TLS_EDITED_FILES:
        assert path in overlays, path
        assert overlays[path]['source_found'] and overlays[path]['missing'] == [], path


def test_role_passes_the_https_flags(https_role):
    role, _overlays = https_role
    assert '--host=%s' % ROLE_TLS_VARS['koding_hostname'] in role.flags
    assert '--protocol=https:' in role.flags
    assert '--publichostname=%s' % PUBLIC_URL in role.flags


def test_configure_writes_https_urls(https_configured):
    assert 'Configuration done' in https_configured.result.stdout, https_configured.result.stdout + https_configured.result.stderr
    env_json = https_configured.env_json
    assert env_json['hostname'] == ROLE_TLS_VARS['koding_hostname']
    assert env_json['protocol'] == 'https:'
    assert env_json['publicHostname'] == PUBLIC_URL
    assert env_json['socialapi']['customDomain']['public'] == PUBLIC_URL
    assert env_json['gitlab']['redirectUri'] == REDIRECT_URI
    assert env_json['kontrol']['url'] == PUBLIC_URL + '/kontrol/kite'
    assert env_json['uri']['address'] == PUBLIC_URL
    assert env_json['sessionCookie']['secure'] is True
    # What the browser's client is given: Kontrol's URL for the kites it talks to.
    assert env_json['client']['runtimeOptions']['newkontrol']['url'] == PUBLIC_URL + '/kontrol/kite'


def test_runtime_konfig_is_https(https_configured):
    konfig = https_configured.runtime_konfig()
    assert konfig['gitlab']['redirectUri'] == REDIRECT_URI
    assert konfig['kontrol']['url'] == PUBLIC_URL + '/kontrol/kite'
    assert konfig['socialapi']['customDomain']['public'] == PUBLIC_URL
    assert konfig['sessionCookie']['secure'] is True
    env = https_configured.runtime_env()
    assert env['KONFIG_PUBLICHOSTNAME'] == PUBLIC_URL
    assert env['KONFIG_KONTROL_URL'] == PUBLIC_URL + '/kontrol/kite'


def test_no_http_url_of_koding_is_left(https_configured):
    # Every URL of Koding's public host in .env.json is https; the local one (customDomain.local) is Koding's own port.
    text = json.dumps(https_configured.env_json)
    assert 'http://%s' % ROLE_TLS_VARS['koding_hostname'] not in text
    assert 'http://gitlab.%s' % ROLE_TLS_VARS['koding_hostname'] not in text


def test_stand_in_follows_the_tls_edits(https_configured, upstream_dir):
    # The Koding stand-in reads the scheme and the cookie flag from the checkout's config files, as the role mounts
    # them: with the edited copies it gives what upstream's configure gives, with upstream's files upstream's values.
    options = {'hostname': ROLE_TLS_VARS['koding_hostname'], 'host': ROLE_TLS_VARS['koding_hostname'], 'publicPort': 8090}
    for flag in https_configured.role.flags:
        key, _sep, value = flag[2:].partition('=')
        options.setdefault(key, value)
    konfig = standin_konfig.build(options, https_configured.root)
    env_json = https_configured.env_json
    assert konfig['gitlab']['redirectUri'] == env_json['gitlab']['redirectUri']
    assert konfig['kontrol']['url'] == env_json['kontrol']['url']
    assert konfig['customDomain']['public'] == env_json['socialapi']['customDomain']['public']
    assert konfig['sessionCookie']['secure'] is env_json['sessionCookie']['secure'] is True
    assert konfig['protocol'] == env_json['protocol']
    assert konfig['publicHostname'] == env_json['publicHostname']
    assert standin_konfig.url_settings(upstream_dir) == {'scheme': 'http', 'secure_cookie': False, 'redirect_scheme': 'http'}
