# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The GitLab release table the modules use (module_utils/_gitlab_releases.py), for the roles: what a release has,
and which releases have a capability. Their documentation is in the .yml file of each filter's name."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_releases as releases


def known_capability(filter_name, name):
    if name not in releases.CAPABILITIES:
        raise AnsibleFilterError('%s: unknown capability %r; known: %s' % (filter_name, name, ', '.join(sorted(releases.CAPABILITIES))))
    return releases.capability(name)


def gitlab_release_has(version, capability):
    known_capability('gitlab_release_has', capability)
    text = '' if version is None else str(version).strip()
    if not text:
        return None
    return releases.state(capability, releases.parse_version(text))


def gitlab_capability(name):
    capability = known_capability('gitlab_capability', name)
    return dict(
        name=name,
        what=capability.what,
        first=releases.release_text(capability.first),
        first_by=releases.release_text(capability.first_by),
        last=releases.release_text(capability.last) if capability.last else None,
        last_by=releases.release_text(capability.last_by) if capability.last_by else None,
        pinned=capability.pinned,
        since=releases.since(name),
    )


class FilterModule(object):
    def filters(self):
        return {'gitlab_release_has': gitlab_release_has, 'gitlab_capability': gitlab_capability}
