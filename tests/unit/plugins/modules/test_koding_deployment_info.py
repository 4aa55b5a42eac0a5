# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import hashlib
import json
import os
import types
from unittest import mock

from ansible.module_utils import basic

from ansible_collections.koding.gitlab.plugins.modules import koding_deployment_info
from ansible_collections.koding.gitlab.tests.unit.plugins.module_harness import run_main

NO_REQUESTS = types.SimpleNamespace(Session=None)
COMMIT = '1b2b6217ed150bd8f522e97ac4fb6ababd377ace'


def run(args, docker):
    """Runs the module with `docker ...` commands answered from docker (argv tuple prefix -> output or None)."""
    started = []

    def fake_run_command(self, argv, **kwargs):  # pylint: disable=unused-argument
        started.append(list(argv))
        for prefix, output in docker.items():
            if tuple(argv[: len(prefix)]) == prefix:
                return (0, output, '') if output is not None else (1, '', 'failed')
        return 1, '', 'not answered'

    def fake_bin_path(self, name, *dummy, **kwargs):  # pylint: disable=unused-argument
        return None if name == 'timeout' else name

    with mock.patch.object(basic.AnsibleModule, 'run_command', fake_run_command), mock.patch.object(basic.AnsibleModule, 'get_bin_path', fake_bin_path):
        result = run_main(koding_deployment_info.main, args, NO_REQUESTS, None, check_mode=True)
    return result, started


def deployment(tmp_path):
    base = tmp_path / 'stack'
    (base / 'koding' / '.git').mkdir(parents=True)
    (base / 'overlay').mkdir()
    (base / 'tls').mkdir(mode=0o750)
    os.chmod(base / 'tls', 0o750)
    os.chmod(base, 0o700)
    (base / 'koding' / '.git' / 'HEAD').write_text(COMMIT + '\n', encoding='utf-8')
    (base / 'compose.yml').write_text('services: {}\n', encoding='utf-8')
    (base / 'build.stamp').write_text('build-id\n', encoding='utf-8')
    (base / 'koding' / 'setsession.coffee').write_text('upstream text\n', encoding='utf-8')
    return base, dict(
        base_dir=str(base),
        checkout_dir=str(base / 'koding'),
        project='koding',
        files={'compose.yml': str(base / 'compose.yml'), 'koding.env': str(base / 'koding.env')},
        directories={'tls': str(base / 'tls'), 'missing': str(base / 'missing'), 'a file': str(base / 'compose.yml')},
        stamps={'build': str(base / 'build.stamp'), 'mongo_seed': str(base / 'mongo-seed.stamp')},
        sources=['setsession.coffee', 'missing.coffee'],
        mongo_volume='koding_mongo_data',
        docker_root=True,
    )


def test_reads_the_deployment(tmp_path):
    base, args = deployment(tmp_path)
    rows = [{'Service': 'backend', 'State': 'running', 'Health': 'healthy', 'Name': 'koding-backend-1', 'Publishers': [], 'ID': 'x'}]
    result, started = run(
        args,
        {
            ('docker', 'compose'): '\n'.join(json.dumps(row) for row in rows),
            ('docker', 'volume'): '2026-01-01T00:00:00Z',
            ('docker', 'info'): '/var/lib/docker',
        },
    )
    assert result['changed'] is False
    assert result['base_dir_mode'] == '0700'
    assert result['overlay_dir'] is True
    assert result['head'] == COMMIT
    assert result['files'] == {'compose.yml': hashlib.sha1(b'services: {}\n').hexdigest(), 'koding.env': None}
    assert result['directories'] == {'tls': '0750', 'missing': None, 'a file': None}
    assert result['stamps'] == {'build': 'build-id', 'mongo_seed': None}
    assert result['sources'] == {'setsession.coffee': 'upstream text\n', 'missing.coffee': None}
    assert result['containers'] == [dict((key, rows[0][key]) for key in koding_deployment_info.CONTAINER_KEYS)]
    assert result['mongo_volume'] == '2026-01-01T00:00:00Z'
    assert result['docker_root'] == '/var/lib/docker'
    assert ['docker', 'compose', '--project-name', 'koding', '--project-directory', str(base), 'ps', '--all', '--format', 'json'] in started


def test_a_new_host_asks_compose_nothing(tmp_path):
    args = dict(
        base_dir=str(tmp_path / 'none'),
        checkout_dir=str(tmp_path / 'none' / 'koding'),
        project='koding',
        files={'compose.yml': str(tmp_path / 'none' / 'compose.yml')},
    )
    result, started = run(args, {})
    assert started == []
    assert result['base_dir_mode'] is None
    assert result['head'] is None
    assert result['containers'] is None
    assert result['mongo_volume'] is None
    assert result['docker_root'] is None


def test_compose_listings_of_both_formats():
    row = {'Service': 'mongo', 'State': 'exited', 'Health': '', 'Name': 'n', 'Publishers': None}
    assert koding_deployment_info.container_rows(json.dumps([row])) == [row]
    assert koding_deployment_info.container_rows(json.dumps(row) + '\n' + json.dumps(row)) == [row, row]
    assert koding_deployment_info.container_rows('not json') is None
    assert koding_deployment_info.container_rows(None) is None


def test_a_bad_timeout_is_refused(tmp_path):
    base, args = deployment(tmp_path)
    result = run_main(koding_deployment_info.main, dict(args, timeout=0), NO_REQUESTS, None, expect_fail=True)
    assert 'timeout must be' in result['msg']


NAMES = ['jwt_secret', 'gitlab_system_hook_token']


def store(tmp_path, content, mode=0o600):
    path = tmp_path / 'secrets.json'
    path.write_text(content, encoding='utf-8')
    os.chmod(path, mode)
    return str(path)


def test_kept_secrets_are_read_from_a_private_store(tmp_path):
    path = store(tmp_path, json.dumps(dict(jwt_secret='j' * 64, gitlab_system_hook_token='h' * 64, superadmin_password='p' * 64)))
    assert koding_deployment_info.kept_secrets(path, NAMES) == dict(jwt_secret='j' * 64, gitlab_system_hook_token='h' * 64)


def test_a_store_the_secrets_module_has_work_on_gives_no_secrets(tmp_path):
    kept = json.dumps(dict(jwt_secret='j' * 64, gitlab_system_hook_token='h' * 64))
    assert koding_deployment_info.kept_secrets(store(tmp_path, kept, mode=0o644), NAMES) is None
    assert koding_deployment_info.kept_secrets(store(tmp_path, json.dumps(dict(jwt_secret='j' * 64))), NAMES) is None
    assert koding_deployment_info.kept_secrets(store(tmp_path, json.dumps(dict(jwt_secret='', gitlab_system_hook_token='h'))), NAMES) is None
    assert koding_deployment_info.kept_secrets(store(tmp_path, '["not", "an", "object"]'), NAMES) is None
    assert koding_deployment_info.kept_secrets(store(tmp_path, '{broken'), NAMES) is None
    assert koding_deployment_info.kept_secrets(str(tmp_path / 'missing.json'), NAMES) is None
    assert koding_deployment_info.kept_secrets(None, NAMES) is None


def test_a_store_beside_a_killed_write_gives_no_secrets(tmp_path):
    path = store(tmp_path, json.dumps(dict(jwt_secret='j' * 64, gitlab_system_hook_token='h' * 64)))
    with mock.patch.object(koding_deployment_info, 'stale_temporaries', return_value=[path + '.abcdefgh']):
        assert koding_deployment_info.kept_secrets(path, NAMES) is None
