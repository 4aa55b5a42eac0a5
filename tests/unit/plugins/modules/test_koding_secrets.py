# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import errno
import json
import os
import stat
import time
import types
from unittest import mock

from ansible_collections.koding.gitlab.plugins.modules import koding_secrets
from ansible_collections.koding.gitlab.tests.unit.plugins.module_harness import run_main

NAMES = ['jwt_secret', 'gitlab_system_hook_token', 'superadmin_password']
# Values the former layout kept, one file each.
FORMER = dict(jwt_secret='former-jwt-secret-3f9a1c', gitlab_system_hook_token='former-hook-token-8b2d4e', superadmin_password='former-admin-password-6c1e')
# The module does not use requests; the harness patches a Session all the same.
NO_REQUESTS = types.SimpleNamespace(Session=None)


def run(store, **kwargs):
    options = dict(path=str(store), names=NAMES)
    options.update(kwargs.pop('options', {}))
    return run_main(koding_secrets.main, options, NO_REQUESTS, None, **kwargs)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def kept(store):
    with open(store, encoding='utf-8') as handle:
        return json.load(handle)


def former_files(directory, mode_bits=0o600):
    paths = {}
    for name, value in FORMER.items():
        path = directory / name
        path.write_text(value + '\n', encoding='utf-8')
        os.chmod(path, mode_bits)
        paths[name] = str(path)
    return paths


def test_first_run_generates_each_secret_once(tmp_path):
    store = tmp_path / 'secrets.json'
    first = run(store, options=dict(return_values=['jwt_secret']))
    assert first['changed'] is True
    assert sorted(first['generated']) == sorted(NAMES)
    assert mode(store) == 0o600
    values = kept(store)
    assert sorted(values) == sorted(NAMES)
    assert all(len(value) == 64 and value[0].isalpha() and value.isalnum() for value in values.values())
    assert first['secrets'] == {'jwt_secret': values['jwt_secret']}

    second = run(store)
    assert second['changed'] is False
    assert second['generated'] == []
    assert 'secrets' not in second
    assert kept(store) == values


def test_a_deployed_host_keeps_its_secrets(tmp_path):
    """A host deployed with one file per secret: the store takes them over, the files go, the next run changes nothing."""
    paths = former_files(tmp_path)
    store = tmp_path / 'secrets.json'
    first = run(store, options=dict(migrate_from=paths, return_values=['jwt_secret', 'gitlab_system_hook_token']))
    assert first['changed'] is True
    assert sorted(first['migrated']) == sorted(NAMES)
    assert first['generated'] == []
    assert first['removed'] == sorted(paths.values())
    assert kept(store) == FORMER
    assert first['secrets'] == {'jwt_secret': FORMER['jwt_secret'], 'gitlab_system_hook_token': FORMER['gitlab_system_hook_token']}
    assert not any(os.path.exists(path) for path in paths.values())

    second = run(store, options=dict(migrate_from=paths))
    assert second['changed'] is False
    assert kept(store) == FORMER


def test_a_former_file_left_by_a_killed_run_is_removed(tmp_path):
    store = tmp_path / 'secrets.json'
    store.write_text(json.dumps(FORMER), encoding='utf-8')
    os.chmod(store, 0o600)
    paths = former_files(tmp_path)
    (tmp_path / 'jwt_secret').write_text('an-older-value-that-lost\n', encoding='utf-8')
    result = run(store, options=dict(migrate_from=paths))
    assert result['changed'] is True
    assert result['migrated'] == []
    assert kept(store) == FORMER
    assert not any(os.path.exists(path) for path in paths.values())


def test_check_mode_writes_nothing_and_predicts(tmp_path):
    paths = former_files(tmp_path)
    os.unlink(paths['superadmin_password'])
    store = tmp_path / 'secrets.json'
    result = run(store, check_mode=True, diff=True, options=dict(migrate_from=paths, return_values=['jwt_secret', 'superadmin_password']))
    assert result['changed'] is True
    assert result['generated'] == ['superadmin_password']
    assert sorted(result['migrated']) == ['gitlab_system_hook_token', 'jwt_secret']
    assert result['secrets'] == {'jwt_secret': FORMER['jwt_secret'], 'superadmin_password': None}
    assert not store.exists()
    assert os.path.exists(paths['jwt_secret'])


def test_check_mode_on_a_new_host(tmp_path):
    """The project directory is not made yet in check mode: every secret would be generated."""
    store = tmp_path / 'stack' / 'secrets.json'
    result = run(store, check_mode=True, options=dict(return_values=['jwt_secret']))
    assert result['changed'] is True
    assert result['generated'] == NAMES
    assert result['secrets'] == {'jwt_secret': None}
    assert not (tmp_path / 'stack').exists()


def test_a_store_opened_to_others_is_closed(tmp_path):
    store = tmp_path / 'secrets.json'
    run(store)
    values = kept(store)
    os.chmod(store, 0o644)
    result = run(store)
    assert result['changed'] is True
    assert mode(store) == 0o600
    assert kept(store) == values


def test_a_killed_writes_temporary_file_goes_with_the_next_run(tmp_path):
    store = tmp_path / 'secrets.json'
    run(store)
    values = kept(store)
    stale = tmp_path / '.secrets.json.k1ll3d_x'
    stale.write_text('{"jwt_secret": "half', encoding='utf-8')
    young = tmp_path / '.secrets.json.writing1'
    young.write_text('{"jwt_secret": "being written', encoding='utf-8')
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))

    assert run(store, check_mode=True)['changed'] is True
    assert stale.exists()
    assert run(store)['changed'] is True
    assert not stale.exists() and young.exists() and kept(store) == values
    assert run(store)['changed'] is False


def test_the_diff_masks_every_value(tmp_path):
    paths = former_files(tmp_path)
    store = tmp_path / 'secrets.json'
    result = run(store, diff=True, options=dict(migrate_from=paths))
    shown = json.dumps(result)
    assert not [value for value in kept(store).values() if value in shown]
    assert result['diff']['before']['secrets'] == {}
    assert result['diff']['after']['secrets'] == dict((name, '********') for name in NAMES)
    assert result['diff']['after']['mode'] == '0600'


def test_no_failure_shows_a_secret(tmp_path):
    """Each way the store or a former file can be wrong: the failure names paths and names, never a value."""
    secret = FORMER['jwt_secret']
    store = tmp_path / 'secrets.json'
    cases = [
        ('{"jwt_secret": "%s", ' % secret, 'does not hold a JSON object'),
        ('{"jwt_secret": ["%s"]}' % secret, 'does not hold a JSON object'),
        ('["%s"]' % secret, 'does not hold a JSON object'),
        (b'{"jwt_secret": "' + secret.encode() + b'\xff\xfe"}', 'is not UTF-8'),
        ('[' * 100000 + secret, 'does not hold a JSON object'),
    ]
    for content, expected in cases:
        if isinstance(content, bytes):
            store.write_bytes(content)
        else:
            store.write_text(content, encoding='utf-8')
        result = run(store, diff=True, expect_fail=True, options=dict(return_values=['jwt_secret']))
        assert expected in result['msg']
        assert secret not in json.dumps(result), result

    # A former file that cannot be read, beside a store that holds another secret.
    store.write_text(json.dumps({'superadmin_password': secret}), encoding='utf-8')
    (tmp_path / 'jwt_secret').mkdir()
    result = run(store, expect_fail=True, options=dict(migrate_from={'jwt_secret': str(tmp_path / 'jwt_secret')}, return_values=['superadmin_password']))
    assert 'former file of jwt_secret' in result['msg']
    assert secret not in json.dumps(result)


def test_a_write_that_fails_shows_no_secret(tmp_path):
    paths = former_files(tmp_path)
    store = tmp_path / 'secrets.json'

    def read_only(path, text):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)

    with mock.patch.object(koding_secrets, 'write_private', read_only):
        result = run(store, diff=True, expect_fail=True, options=dict(migrate_from=paths, return_values=['jwt_secret']))
    assert result['msg'].startswith('Could not keep the secrets in %s: Read-only file system' % store)
    assert not [value for value in FORMER.values() if value in json.dumps(result)]
    # Nothing lost: the former files stay for the next run.
    assert all(os.path.exists(path) for path in paths.values())


def test_bad_options_are_refused_before_anything_is_read(tmp_path):
    store = tmp_path / 'secrets.json'
    cases = [
        (dict(path='secrets.json'), 'path must be the absolute path'),
        (dict(path=str(tmp_path / 'missing' / 'secrets.json')), 'does not exist; create it first'),
        (dict(names=['JWT secret']), 'names:'),
        (dict(length=8), 'length must be from 16 to 1024'),
        (dict(return_values=['other']), 'return_values names'),
        (dict(migrate_from={'other': '/x'}), 'migrate_from names'),
        (dict(migrate_from={'jwt_secret': 'jwt_secret'}), 'must be an absolute path'),
    ]
    for options, expected in cases:
        result = run(store, expect_fail=True, options=options)
        assert expected in result['msg'], (options, result['msg'])
    assert not store.exists()
