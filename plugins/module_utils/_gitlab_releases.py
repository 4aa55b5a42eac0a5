# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""What each GitLab release can do: the one table the modules, the lab GitLab and the docs take release facts from.

Each capability names the first release that has it (``first``) and, for one that went away, the last one
(``last``). Where GitLab's source pins a release only between two bounds, the capability says so (``first_by`` /
``last_by``: the release by which it surely is there / surely gone) and ``state()`` answers None for the releases in
between: the module then finds out by asking GitLab (a 404 for an unknown route, a 405, or the answer itself).
"""

from __future__ import annotations


def parse_version(text):
    """'17.5.2-ee' -> (17, 5, 2); unknown parts become 0."""
    numbers = []
    for part in (text or '').split('-')[0].split('.')[:3]:
        digits = ''.join(ch for ch in part if ch.isdigit())
        numbers.append(int(digits) if digits else 0)
    while len(numbers) < 3:
        numbers.append(0)
    return tuple(numbers)


class Capability(object):
    """One capability: first (and last) release, and how sure that is.

    first: the first release that has it (or may have it, when first_by is later).
    first_by: the release from which it is certain; None when first is pinned.
    last: the last release that has it (None: still there); last_by: the last release that surely has it, when last
    is only the latest one that may.
    """

    def __init__(self, name, first, what, evidence, first_by=None, last=None, last_by=None):
        self.name = name
        self.first = first
        self.first_by = first_by or first
        self.last = last
        self.last_by = last_by or last
        self.what = what
        self.evidence = evidence

    @property
    def pinned(self):
        return self.first_by == self.first and self.last_by == self.last

    def state(self, version):
        """True, False, or None (not pinned for this release: probe) for a release given as a tuple."""
        release = tuple(version[:2])
        if release < self.first or (self.last is not None and release > self.last):
            return False
        if release < self.first_by or (self.last_by is not None and release > self.last_by):
            return None
        return True


def release_text(release):
    return '%d.%d' % release


def _capabilities(*items):
    return dict((item.name, item) for item in items)


CAPABILITIES = _capabilities(
    # The table starts at 8.13; API v3 is older. Koding's sign-in callback at its pinned commit calls /api/v3/user.
    Capability('api_v3', (8, 13), 'the REST API v3 (/api/v3)', 'GitLab 11.0 release notes (API v3 removed)', last=(10, 8)),
    Capability('api_v4', (8, 17), 'the REST API v4 (/api/v4); 8.13 to 8.16 serve only /api/v3', '8-17-stable lib/api/api.rb:5'),
    Capability('grape_405', (8, 17), 'a method a path lacks answers 405 (Grape 0.18), later 404', '8-17-stable Gemfile.lock', last=(10, 8), last_by=(8, 17)),
    Capability('hooks_paginated', (9, 0), 'GET /hooks is paginated', '9-0-stable lib/api/system_hooks.rb'),
    Capability('hook_token', (8, 14), 'POST /hooks takes token', '8-13-stable vs later lib/api/system_hooks.rb'),
    Capability('hook_merge_requests_events', (10, 5), 'merge_requests_events on system hooks', 'v10.5.0 lib/api/system_hooks.rb'),
    Capability('applications_create', (10, 5), 'POST /applications', 'v10.5.0 lib/api/applications.rb:18'),
    Capability('applications_list', (11, 5), 'GET /applications (not paginated)', 'v11.5.0 lib/api/applications.rb:31'),
    Capability('applications_delete', (11, 5), 'DELETE /applications/:id', 'v11.5.0 lib/api/applications.rb:37'),
    Capability(
        'applications_delete_404',
        (13, 0),
        'DELETE /applications/:id of an id that is gone answers 404 (500 before)',
        'v11.5.0 lib/api/applications.rb:37-39, app/finders/applications_finder.rb:17-20',
        first_by=(14, 0),
    ),
    Capability(
        'hook_repository_update_events',
        (14, 0),
        'POST /hooks takes repository_update_events (before, the hook keeps true)',
        'gitlab-org/gitlab!64670; v11.5.0-v11.7.5 lib/api/system_hooks.rb:27-32; a 12.10 copy',
        first_by=(14, 1),
    ),
    Capability('hook_get_tests', (8, 17), 'GET /hooks/:id fires a test event', 'v11.7.5 lib/api/system_hooks.rb:48-58', last=(13, 12), last_by=(12, 10)),
    Capability('hook_test_post', (13, 0), 'POST /hooks/:id fires a test event', 'a later 13.x copy', first_by=(14, 0)),
    Capability('hook_get', (14, 9), 'GET /hooks/:id returns the hook', 'MR 81595'),
    Capability('hook_put', (14, 0), 'PUT /hooks/:id', '15.x copies with put ":hook_id"; a 12.10 copy without', first_by=(15, 2)),
    Capability('metadata', (15, 2), 'GET /metadata', 'doc/api/metadata.md'),
    Capability('admin_mode_scope', (15, 8), 'the admin_mode token scope', 'MR 107875'),
    Capability('renew_secret', (16, 11), 'POST /applications/:id/renew-secret', 'MR 146989'),
    Capability('hook_name', (17, 1), 'name and description on system hooks', 'docs history'),
    Capability('application_scopes', (18, 0), 'application scopes returned by list and create', 'lib/api/entities/application.rb', first_by=(18, 11)),
    Capability(
        'koding_settings',
        (8, 13),
        'koding_enabled and koding_url in /application/settings',
        'gitlab-foss MR !6555; v11.4.0 lib/api/settings.rb:69-71; v11.5.0 app/models/application_setting.rb:37-38',
        last=(11, 4),
    ),
)


def capability(name):
    return CAPABILITIES[name]


def state(name, version):
    """Whether the release (a version tuple) has the capability: True, False, or None when not pinned there."""
    return CAPABILITIES[name].state(version)


def first(name):
    """The release from which a capability is certain, as text ('16.11')."""
    return release_text(CAPABILITIES[name].first_by)


def last(name):
    """The last release that has a capability which went away, as text ('11.4')."""
    return release_text(CAPABILITIES[name].last)


def since(name):
    """'GitLab 16.11' or, where the first release is not pinned, 'GitLab 14.0 or 14.1'."""
    cap = CAPABILITIES[name]
    if cap.first_by == cap.first:
        return 'GitLab %s' % release_text(cap.first)
    if cap.first_by[0] == cap.first[0] and cap.first_by[1] == cap.first[1] + 1:
        return 'GitLab %s or %s' % (release_text(cap.first), release_text(cap.first_by))
    return 'a GitLab release from %s to %s' % (release_text(cap.first), release_text(cap.first_by))


def span(name):
    """'8.13 to 11.4': the releases that have a capability which went away."""
    cap = CAPABILITIES[name]
    return '%s to %s' % (release_text(cap.first), release_text(cap.last))
