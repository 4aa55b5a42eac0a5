# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import stat
import tempfile
import types
from unittest import mock

from ansible_collections.koding.gitlab.plugins.modules import koding_wiring_credentials
from ansible_collections.koding.gitlab.tests.unit.plugins.module_harness import run_main

SECRET = 'unit-application-secret-7d1f'
TOKEN = 'unit-system-hook-token-0a9b8c7d6e5f'
CREDENTIALS = dict(application_id='client-id-1', application_secret=SECRET, system_hook_token=TOKEN, system_hook_url='http://koding.test:8090/-/api/gitlab')
# The module does not use requests; the harness patches a Session all the same.
NO_REQUESTS = types.SimpleNamespace(Session=None)


def run(path, credentials=None, **kwargs):
    args = dict(path=str(path))
    if credentials is not None:
        args['credentials'] = credentials
    return run_main(koding_wiring_credentials.main, args, NO_REQUESTS, None, **kwargs)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_read_without_a_file(tmp_path):
    result = run(tmp_path / 'private' / 'credentials.json')
    assert result['changed'] is False
    assert result['exists'] is False
    assert result['credentials'] == {}
    assert result['private'] is False


def test_write_creates_a_private_file_then_changes_nothing(tmp_path):
    path = tmp_path / 'private' / 'credentials.json'
    old_umask = os.umask(0)
    try:
        first = run(path, CREDENTIALS)
    finally:
        os.umask(old_umask)
    assert first['changed'] is True
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    # The same bytes as Ansible's to_nice_json(sort_keys=true), which the role wrote before: no rewrite on upgrade.
    assert path.read_text(encoding='utf-8') == (
        '{\n'
        '    "application_id": "client-id-1",\n'
        '    "application_secret": "%s",\n'
        '    "system_hook_token": "%s",\n'
        '    "system_hook_url": "http://koding.test:8090/-/api/gitlab"\n'
        '}\n' % (SECRET, TOKEN)
    )
    assert os.listdir(path.parent) == ['credentials.json']

    assert run(path, CREDENTIALS)['changed'] is False
    read = run(path)
    assert read['credentials'] == CREDENTIALS
    assert read['exists'] is True
    assert read['private'] is True


def test_the_directory_is_closed_before_anything_is_written(tmp_path):
    path = tmp_path / 'private' / 'credentials.json'
    path.parent.mkdir(mode=0o755)
    os.chmod(path.parent, 0o755)
    seen = []
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        seen.append(mode(path.parent))
        return real_mkstemp(*args, **kwargs)

    with mock.patch.object(tempfile, 'mkstemp', mkstemp):
        assert run(path, CREDENTIALS)['changed'] is True
    assert seen == [0o700]
    assert mode(path) == 0o600


def test_an_opened_directory_or_file_is_closed_again(tmp_path):
    path = tmp_path / 'private' / 'credentials.json'
    run(path, CREDENTIALS)
    os.chmod(path.parent, 0o755)
    os.chmod(path, 0o644)
    assert run(path)['private'] is False
    assert run(path, CREDENTIALS)['changed'] is True
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)
    assert run(path)['private'] is True


def test_new_credentials_replace_the_file(tmp_path):
    path = tmp_path / 'private' / 'credentials.json'
    run(path, CREDENTIALS)
    renewed = dict(CREDENTIALS, application_secret='unit-renewed-secret-3c2b')
    assert run(path, renewed)['changed'] is True
    assert run(path)['credentials'] == renewed
    assert mode(path) == 0o600


def test_check_mode_writes_nothing(tmp_path):
    path = tmp_path / 'private' / 'credentials.json'
    result = run(path, CREDENTIALS, check_mode=True)
    assert result['changed'] is True
    assert not path.parent.exists()

    run(path, CREDENTIALS)
    os.chmod(path.parent, 0o755)
    assert run(path, dict(CREDENTIALS, system_hook_token='x' * 40), check_mode=True)['changed'] is True
    assert mode(path.parent) == 0o755
    assert run(path)['credentials'] == CREDENTIALS


def test_the_diff_masks_the_secrets(tmp_path):
    path = tmp_path / 'private' / 'credentials.json'
    run(path, CREDENTIALS)
    renewed = dict(CREDENTIALS, application_secret='unit-renewed-secret-3c2b')
    result = run(path, renewed, diff=True, check_mode=True)
    text = repr(result['diff'])
    assert SECRET not in text and TOKEN not in text and 'unit-renewed-secret-3c2b' not in text
    assert result['diff']['before']['credentials']['application_id'] == 'client-id-1'
    assert result['diff']['after']['credentials']['application_secret'] == koding_wiring_credentials.MASK
    assert result['diff']['after']['mode'] == '0600'


def test_a_file_that_is_not_a_json_object_fails_saying_what_to_do(tmp_path):
    path = tmp_path / 'private' / 'credentials.json'
    path.parent.mkdir(mode=0o700)
    path.write_text('["not", "an", "object"]\n', encoding='utf-8')
    result = run(path, expect_fail=True)
    assert 'does not hold a JSON object' in result['msg']
    assert 'Move it away and run again' in result['msg']

    path.write_text('{broken', encoding='utf-8')
    assert 'does not hold a JSON object' in run(path, expect_fail=True)['msg']


def test_a_relative_path_fails_naming_the_option():
    result = run('credentials.json', expect_fail=True)
    assert result['msg'].startswith('path must be the absolute path of a file')


def test_an_unknown_owner_fails_naming_the_option(tmp_path):
    result = run_main(
        koding_wiring_credentials.main, dict(path=str(tmp_path / 'private' / 'c.json'), owner='no-such-user-kg'), NO_REQUESTS, None, expect_fail=True
    )
    assert result['msg'].startswith("owner 'no-such-user-kg' does not exist")
