# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.koding.gitlab.plugins.filter.gitlab_releases import gitlab_capability, gitlab_release_has
from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_releases as releases


def next_release(text):
    major, minor = (int(part) for part in text.split('.'))
    return '%d.%d.0' % (major, minor + 1)


def test_the_answer_is_the_release_tables():
    last_v3 = releases.last('api_v3')
    assert gitlab_release_has(last_v3 + '.7', 'api_v3') is True
    assert gitlab_release_has(next_release(last_v3), 'api_v3') is False
    assert gitlab_release_has(releases.first('renew_secret') + '.2-ee', 'renew_secret') is True


def test_an_unpinned_release_or_none_given_is_none():
    capability = releases.capability('hook_put')
    between = '%d.%d.0' % capability.first
    assert capability.first != capability.first_by
    assert gitlab_release_has(between, 'hook_put') is None
    assert gitlab_release_has('', 'api_v3') is None
    assert gitlab_release_has(None, 'api_v3') is None


def test_an_unknown_capability_is_named():
    with pytest.raises(AnsibleFilterError, match="'api_v5'"):
        gitlab_release_has(releases.first('api_v4'), 'api_v5')


def test_a_capabilitys_releases_are_the_tables():
    settings = gitlab_capability('koding_settings')
    assert settings['first'] == releases.first('koding_settings') and settings['last'] == releases.last('koding_settings')
    assert settings['pinned'] is True
    renew = gitlab_capability('renew_secret')
    assert renew['last'] is None and renew['since'] == releases.since('renew_secret')
    assert gitlab_capability('hook_put')['pinned'] is False
    with pytest.raises(AnsibleFilterError, match="gitlab_capability: unknown capability 'api_v5'"):
        gitlab_capability('api_v5')
