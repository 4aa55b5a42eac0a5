# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import hashlib

import pytest
from ansible.errors import AnsibleFilterError
from ansible.plugins.filter.core import regex_replace

from ansible_collections.koding.gitlab.plugins.filter.koding_edited_copies import FilterModule, koding_edited_copies

EDIT_SETS = [
    {
        'path': 'servers/lib/server/gitlab_callback.coffee',
        'why': 'single sign-on',
        'edits': [
            {'regexp': '"http://#\\{gitlab\\.host', 'replace': '"https://#{gitlab.host'},
            {'regexp': 'headers : headers\\n(\\s*)json    : \\{ access_token \\}', 'replace': 'headers : {}\\n\\1json    : true'},
            {'regexp': 'not in this file', 'replace': 'x'},
        ],
    },
    {'path': 'workers/social/lib/social/models/oauth.coffee', 'why': 'the sign-in link', 'edits': [{'regexp': 'a', 'replace': 'b'}]},
]
SOURCE = 'url = "http://#{gitlab.host}:#{port}"\n  headers : headers\n    json    : { access_token }\n'


def test_each_edit_replaces_its_first_match_as_regex_replace_does():
    copies = koding_edited_copies(EDIT_SETS, {EDIT_SETS[0]['path']: SOURCE})
    expected = SOURCE
    for edit in EDIT_SETS[0]['edits'][:2]:
        expected = regex_replace(expected, edit['regexp'], edit['replace'], count=1)
    assert copies[0] == {
        'path': 'servers/lib/server/gitlab_callback.coffee',
        'why': 'single sign-on',
        'name': 'gitlab_callback.coffee',
        'source_found': True,
        'missing': ['not in this file'],
        'content': expected,
        'sha1': hashlib.sha1(expected.encode('utf-8')).hexdigest(),
    }
    assert copies[0]['content'] == 'url = "https://#{gitlab.host}:#{port}"\n  headers : {}\n    json    : true\n'


def test_a_file_not_found_misses_every_edit():
    copies = koding_edited_copies(EDIT_SETS, {EDIT_SETS[1]['path']: None})
    assert [copy['source_found'] for copy in copies] == [False, False]
    assert copies[1]['missing'] == ['a'] and copies[1]['content'] == ''
    assert copies[0]['missing'] == [edit['regexp'] for edit in EDIT_SETS[0]['edits']]


def test_only_the_first_match_is_replaced():
    copies = koding_edited_copies([{'path': 'a/b.coffee', 'why': '', 'edits': [{'regexp': 'x', 'replace': 'y'}]}], {'a/b.coffee': 'xxx'})
    assert copies[0]['content'] == 'yxx'


def test_a_bad_regular_expression_names_the_file():
    with pytest.raises(AnsibleFilterError, match='a/b.coffee'):
        koding_edited_copies([{'path': 'a/b.coffee', 'why': '', 'edits': [{'regexp': '(', 'replace': ''}]}], {'a/b.coffee': 'x'})


def test_the_filter_is_the_function():
    assert FilterModule().filters() == {'koding_edited_copies': koding_edited_copies}
