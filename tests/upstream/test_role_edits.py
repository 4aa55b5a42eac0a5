"""The koding role's edits of upstream's own files, applied to those files at the pinned commit.

Every edit must find its text, the edited CoffeeScript must still compile (coffee-script 1.7.1, upstream's), and
the Koding stand-in must recognise the edited copies it finds mounted over its checkout.
"""

import json
import os
import subprocess
import sys

import pytest
from conftest import REPO_ROOT, ROLE_EDITED_FILES, ROLE_VARS, render

sys.path.insert(0, os.path.join(REPO_ROOT, 'tests', 'lab', 'koding', 'standin', 'server'))
import koding_lab  # noqa: E402  pylint: disable=wrong-import-position

EDITED = ROLE_EDITED_FILES


@pytest.fixture(name='overlays', scope='module')
def overlays_fixture(upstream_dir, tmp_path_factory):
    if not os.path.exists(os.path.join(REPO_ROOT, 'plugins', 'filter', 'koding_edited_copies.py')):
        pytest.skip('the collection has no koding_edited_copies filter (plugins/filter/koding_edited_copies.py)')
    directory = str(tmp_path_factory.mktemp('overlays'))
    sources = {}
    for path in EDITED:
        with open(os.path.join(upstream_dir, path), encoding='utf-8') as handle:
            sources[path] = handle.read()
    role_vars = dict(
        ROLE_VARS,
        koding_hostname='203.0.113.7.nip.io',
        koding_gitlab_url='https://gitlab.lab.test:8443',
        koding_gitlab_sso_fix='always',
        koding_sso_fix='always',
        koding__host={'sources': sources},
    )
    render('render-overlays.yml', role_vars, directory)
    with open(os.path.join(directory, 'overlays.json'), encoding='utf-8') as handle:
        return {overlay['path']: overlay for overlay in json.load(handle)}


def test_every_edit_applies_to_the_pinned_commit(overlays):
    assert sorted(overlays) == sorted(EDITED)
    for path, overlay in overlays.items():
        assert overlay['source_found'] and overlay['missing'] == [], path


def test_edited_files_still_compile(overlays, node_modules, tmp_path):
    coffee = os.path.join(node_modules, '.bin', 'coffee')
    for path, overlay in overlays.items():
        target = tmp_path / os.path.basename(path)
        target.write_text(overlay['content'], encoding='utf-8')
        result = subprocess.run([coffee, '--print', '--compile', str(target)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, '%s: %s' % (path, result.stderr)


def test_stand_in_recognises_the_edits(overlays, monkeypatch, tmp_path):
    for path, overlay in overlays.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(overlay['content'], encoding='utf-8')
    monkeypatch.setattr(koding_lab.checkout, 'ROOT', str(tmp_path))
    assert koding_lab.callback_flavour() == {'scheme': 'https', 'user_path': '/api/v4/user', 'bearer': True}
    assert koding_lab.session_group('gitlab.203.0.113.7.nip.io:8090', '203.0.113.7.nip.io') == 'gitlab'


def test_stand_in_reads_upstream_files_as_upstream(upstream_dir, monkeypatch):
    monkeypatch.setattr(koding_lab.checkout, 'ROOT', upstream_dir)
    assert koding_lab.callback_flavour() == {'scheme': 'http', 'user_path': '/api/v3/user', 'bearer': False}
    assert koding_lab.session_group('gitlab.203.0.113.7.nip.io:8090', '203.0.113.7.nip.io') == '113'
    assert {'admin', 'api', 'team', 'test', 'dev'} <= koding_lab.reserved_slugs()
