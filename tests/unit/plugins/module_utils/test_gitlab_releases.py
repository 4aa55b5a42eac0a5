# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The release table, and that the GitLab modules take release facts only from it."""

from __future__ import annotations

import ast
import os
import re

import pytest

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_releases as releases

PLUGINS = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir, os.pardir, 'plugins')
GITLAB_CODE = [
    'modules/gitlab_koding_settings.py',
    'modules/gitlab_oauth_app.py',
    'modules/gitlab_system_hook.py',
    'module_utils/_gitlab_api.py',
    'module_utils/_gitlab_module.py',
]
VERSION_TEXT = re.compile(r'\b(8|9|1[0-9])\.[0-9]{1,2}\b')


@pytest.mark.parametrize(
    'name,version,state',
    [
        ('api_v4', (8, 16), False),
        ('api_v4', (8, 17), True),
        ('grape_405', (8, 17), True),
        ('grape_405', (9, 5), None),
        ('grape_405', (11, 0), False),
        ('applications_create', (10, 4), False),
        ('applications_create', (10, 5), True),
        ('applications_list', (11, 4), False),
        ('applications_list', (11, 5), True),
        ('applications_delete_404', (12, 10), False),
        ('applications_delete_404', (13, 5), None),
        ('applications_delete_404', (14, 0), True),
        ('hook_repository_update_events', (13, 12), False),
        ('hook_repository_update_events', (14, 0), None),
        ('hook_repository_update_events', (14, 1), True),
        ('hook_put', (13, 12), False),
        ('hook_put', (15, 0), None),
        ('hook_put', (15, 2), True),
        ('renew_secret', (16, 10), False),
        ('renew_secret', (16, 11), True),
        ('koding_settings', (8, 12), False),
        ('koding_settings', (8, 13), True),
        ('koding_settings', (11, 4), True),
        ('koding_settings', (11, 5), False),
        ('admin_mode_scope', (15, 8), True),
        ('hook_name', (17, 0), False),
    ],
)
def test_state(name, version, state):
    assert releases.state(name, version + (3,)) is state


def test_texts():
    assert releases.since('renew_secret') == 'GitLab 16.11'
    assert releases.since('hook_repository_update_events') == 'GitLab 14.0 or 14.1'
    assert releases.since('hook_put') == 'a GitLab release from 14.0 to 15.2'
    assert releases.span('koding_settings') == '8.13 to 11.4' and releases.first('api_v4') == '8.17'


def code_constants(path):
    """Constants of a file's code: not its docstrings, nor DOCUMENTATION, EXAMPLES and RETURN."""
    with open(os.path.join(PLUGINS, path), encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        if isinstance(node, ast.Assign) and any(getattr(target, 'id', '') in ('DOCUMENTATION', 'EXAMPLES', 'RETURN') for target in node.targets):
            skipped.add(id(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in skipped:
            yield node
        if (
            isinstance(node, ast.Tuple)
            and len(node.elts) in (2, 3)
            and all(isinstance(elt, ast.Constant) and isinstance(elt.value, int) and not isinstance(elt.value, bool) for elt in node.elts)
        ):
            if 8 <= node.elts[0].value <= 19 and id(node) not in skipped:
                yield node


@pytest.mark.parametrize('path', GITLAB_CODE)
def test_no_release_literal_in_the_gitlab_code(path):
    """Release facts come from _gitlab_releases; the modules' code names no release itself (docs may)."""
    found = []
    for node in code_constants(path):
        if isinstance(node, ast.Tuple):
            found.append('line %d: a version tuple' % node.lineno)
        elif isinstance(node.value, str) and VERSION_TEXT.search(node.value):
            found.append('line %d: %r' % (node.lineno, node.value[:80]))
    assert found == []
