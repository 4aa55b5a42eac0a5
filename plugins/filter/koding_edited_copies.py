# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: koding_edited_copies
short_description: The koding role's edited copies of Koding's files
version_added: 0.1.0
description:
  - Applies each set of edits to the text of its file and returns the edited copy, its SHA-1, and the edits whose
    text was not found (the checkout is of another commit than the one the edits follow).
  - Each edit is a regular expression and its replacement, as Python's C(re.sub) takes them (the same as
    P(ansible.builtin.regex_replace#filter)); the first match is replaced.
  - The P(koding.gitlab.koding#role) role keeps these copies in C(<koding_base_dir>/overlay) and mounts them over the
    checkout; its tests apply the same filter to upstream's files.
options:
  _input:
    description:
      - The sets of edits, each with C(path) (the file's path in the checkout), C(why) and C(edits) (a list of
        C(regexp) and C(replace)).
    type: list
    elements: dict
    required: true
  sources:
    description:
      - The text of each file, by its path in the checkout; a file missing or V(null) is not found, and every edit of
        it is missing.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Make the edited copies
  ansible.builtin.set_fact:
    edited: "{{ koding_overlays | koding.gitlab.koding_edited_copies(koding__host.sources) }}"
"""

RETURN = r"""
_value:
  description: One entry for each set of edits, in the order given.
  type: list
  elements: dict
  contains:
    path:
      description: The file's path in the checkout.
      type: str
    why:
      description: Why the file is edited, as given.
      type: str
    name:
      description: The copy's file name (the path's last part).
      type: str
    source_found:
      description: Whether the file's text was given.
      type: bool
    missing:
      description: The regular expressions of the edits whose text was not found.
      type: list
      elements: str
    content:
      description: The edited text.
      type: str
    sha1:
      description: The SHA-1 of the edited text (UTF-8), as the host's probe reads the copies' SHA-1.
      type: str
"""

import hashlib
import posixpath
import re

from ansible.errors import AnsibleFilterError


def koding_edited_copies(edit_sets, sources):
    if not isinstance(sources, dict):
        raise AnsibleFilterError('koding_edited_copies: sources must be a dict of file texts by path')
    copies = []
    for edit_set in edit_sets:
        source = sources.get(edit_set['path'])
        content = source or ''
        missing = []
        for edit in edit_set.get('edits') or []:
            try:
                pattern = re.compile(edit['regexp'])
                if pattern.search(content):
                    content = pattern.sub(edit['replace'], content, count=1)
                else:
                    missing.append(edit['regexp'])
            except re.error as error:
                raise AnsibleFilterError('koding_edited_copies: the edit of %s with %r: %s' % (edit_set['path'], edit['regexp'], error)) from None
        copies.append(
            {
                'path': edit_set['path'],
                'why': edit_set.get('why'),
                'name': posixpath.basename(edit_set['path']),
                'source_found': source is not None,
                'missing': missing,
                'content': content,
                'sha1': hashlib.sha1(content.encode('utf-8', 'surrogateescape')).hexdigest(),
            }
        )
    return copies


class FilterModule(object):
    def filters(self):
        return {'koding_edited_copies': koding_edited_copies}
