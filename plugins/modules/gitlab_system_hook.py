#!/usr/bin/python
# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gitlab_system_hook
short_description: Manage a GitLab system hook
version_added: 0.1.0
description:
  - Creates, updates or deletes a system hook (Admin Area, System Hooks) through C(/hooks), for example the hook that
    tells Koding about new GitLab users and projects.
  - The hook is found by its O(url) in the list of hooks. Two hooks with that URL make the module fail and list their
    ids; it never picks one. The module never reads a single hook with C(GET /hooks/:id); up to early 13.x GitLab fires
    a test event for that request, and from then until 14.9 it is a 404.
  - An existing hook is updated with C(PUT /hooks/:id). GitLab releases without that endpoint (it answers 405, or
    404 for an unknown route) can only delete and re-create the hook, which is what the module then does. The new
    hook has a new id, and its secret token must be sent again; if O(token) is not given, the re-created hook has no
    token and a warning says so.
  - On an existing hook only the options set in the task are compared; event flags left unset keep their current
    values. When a hook is created, unset event flags get GitLab's defaults (O(repository_update_events) on, the others
    off).
  - GitLab never returns a hook's token, so it cannot be compared. See O(update_token).
  - After creating a hook the module lists the hooks again. If other runs created hooks with the same URL at the same
    time, the hook with the lowest id stays, the others are deleted, and a warning says so.
  - When the first look finds several hooks with the URL, the module looks again after 1, 2 and 4 seconds (another run
    may be removing its extra hooks), and fails naming their ids only if they remain.
  - User-info in O(url) (C(user:password@)) is sent to GitLab but shown as C(********) in results, diffs and messages.
author:
  - koding.gitlab maintainers (@koding-gitlab)
extends_documentation_fragment:
  - koding.gitlab.gitlab_api
  - koding.gitlab.attributes
  - koding.gitlab.attributes.actiongroup_gitlab
attributes:
  check_mode:
    support: full
    details:
      - In check mode only C(GET) requests are sent.
  diff_mode:
    support: full
    details:
      - The token is shown as C(********) in the diff when it is sent.
  idempotent:
    support: partial
    details:
      - With O(update_token=always) and a O(token), the token is sent, and the task reports a change, on every run.
options:
  url:
    description:
      - The URL GitLab posts the events to; it identifies the hook.
      - It must be an C(http://) or C(https://) URL with a host name; it is checked before any request is sent.
    type: str
    required: true
  token:
    description:
      - The secret token GitLab sends in the C(X-Gitlab-Token) header of every event.
      - Write-only; GitLab never returns it. When it is sent is set by O(update_token).
      - GitLab refuses a token with a newline; a token with whitespace or control characters fails before any request
        (it is not stripped; use C(| trim) where it comes from a file).
    type: str
  update_token:
    description:
      - V(on_create) sends O(token) only when the hook is created (or re-created), so the task stays idempotent.
      - V(always) sends O(token) on every run, which updates it but always reports a change.
    type: str
    choices: [on_create, always]
    default: on_create
  push_events:
    description:
      - Send events for pushes. GitLab's default for a new hook is V(false).
    type: bool
  tag_push_events:
    description:
      - Send events for tag pushes. GitLab's default for a new hook is V(false).
    type: bool
  merge_requests_events:
    description:
      - Send events for merge requests. GitLab's default for a new hook is V(false).
    type: bool
  repository_update_events:
    description:
      - Send events for repository updates. GitLab's default for a new hook is V(true).
      - GitLab up to 13.12 ignores it when creating a hook (C(POST /hooks) takes it from 14.0 or 14.1) and cannot update
        hooks; there the module neither sends nor compares it (with a warning when it creates the hook and V(false)
        was asked for), so it never re-creates the hook for it.
    type: bool
  enable_ssl_verification:
    description:
      - Whether GitLab verifies the TLS certificate of O(url) when it delivers events.
    type: bool
    default: true
  name:
    description:
      - The hook's name (GitLab 17.1 and later).
      - Ignored, with a warning, on a GitLab whose hooks have no name.
    type: str
  description:
    description:
      - The hook's description (GitLab 17.1 and later).
      - Ignored, with a warning, on a GitLab whose hooks have no description.
    type: str
  state:
    description:
      - Whether the hook should exist.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - name: GitLab system hooks API
    description: The API this module uses.
    link: https://docs.gitlab.com/ee/api/system_hooks.html
"""

EXAMPLES = r"""
- name: Tell Koding about GitLab events
  koding.gitlab.gitlab_system_hook:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_admin_token }}"
    url: http://koding.example.com:8090/-/api/gitlab
    token: "{{ koding_gitlab_hook_token }}"
    push_events: true
    merge_requests_events: true
  delegate_to: localhost

- name: Rotate the hook's secret token (reports a change on every run)
  koding.gitlab.gitlab_system_hook:
    url: http://koding.example.com:8090/-/api/gitlab
    token: "{{ new_hook_token }}"
    update_token: always
  delegate_to: localhost

- name: Remove the hook
  koding.gitlab.gitlab_system_hook:
    url: http://koding.example.com:8090/-/api/gitlab
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
hook:
  description:
    - The hook as GitLab returned it after the run (predicted in check mode, where a new hook has no id yet).
    - Empty when O(state=absent). Never contains the token.
  returned: success
  type: dict
  sample:
    id: 4
    url: http://koding.example.com:8090/-/api/gitlab
    created_at: "2024-05-02T10:11:12.000Z"
    push_events: true
    tag_push_events: false
    merge_requests_events: true
    repository_update_events: true
    enable_ssl_verification: true
"""

import time

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_releases as releases
from ansible_collections.koding.gitlab.plugins.module_utils._gitlab_api import GitlabApiError
from ansible_collections.koding.gitlab.plugins.module_utils._gitlab_module import GitlabModule
from ansible_collections.koding.gitlab.plugins.module_utils._redaction import masked, redact

HOOKS_PATH = '/hooks'
EVENT_DEFAULTS = dict(push_events=False, tag_push_events=False, merge_requests_events=False, repository_update_events=True)
FLAGS = tuple(EVENT_DEFAULTS) + ('enable_ssl_verification',)
NAMED_OPTIONS = ('name', 'description')
# The options only some releases take, and the capability (_gitlab_releases) each needs. Before
# hook_repository_update_events, POST /hooks drops repository_update_events (the hook keeps true) and there is no
# PUT: a task asking for false would delete and re-create the hook on every run, so it is neither sent nor compared.
OPTION_CAPABILITIES = dict(name='hook_name', description='hook_name', repository_update_events='hook_repository_update_events')
# Further settings carried over when a hook has to be deleted and re-created.
CARRIED_OVER = ('push_events_branch_filter', 'branch_filter_strategy')
DUPLICATE_HINT = 'remove the extra ones (Admin Area, System Hooks) so the URL identifies one hook.'
# Several hooks with the URL at the first look may be overlapping runs converging (see SystemHook.create):
# look again after these pauses (seconds) before refusing.
DUPLICATE_RECHECK_DELAYS = (1, 2, 4)


def hook_view(hook):
    """The managed properties of a hook, for the diff and the result (URL user-info redacted)."""
    if not hook:
        return {}
    view = dict(hook)
    view.pop('token', None)
    view['url'] = redact(hook.get('url'))
    return view


def diff_view(hook):
    if not hook:
        return {}
    view = dict(url=redact(hook.get('url')))
    for key in FLAGS + NAMED_OPTIONS:
        if key in hook:
            view[key] = hook[key]
    return view


class SystemHook(object):
    def __init__(self, module):
        self.module = module
        self.client = module.client
        self.params = module.params
        self.url = self.params['url']
        self.token_sent = False
        self.ignored_repository_update_events = None

    def list_same_url(self):
        hooks = self.client.get_all(HOOKS_PATH)
        return [hook for hook in hooks if hook.get('url') == self.url], hooks

    def names_supported(self, hooks):
        """Whether hooks have name/description: seen on listed hooks, else from the version (17.1+)."""
        if hooks:
            return 'name' in hooks[0]
        return bool(self.module.supports('hook_name'))

    def wanted(self, hooks):
        """The options the task sets (None means 'leave as is'), less those this GitLab cannot set."""
        wanted = dict((key, self.params[key]) for key in FLAGS if self.params[key] is not None)
        if 'repository_update_events' in wanted and not self.repository_update_events_settable():
            self.ignored_repository_update_events = wanted.pop('repository_update_events')
        named = dict((key, self.params[key]) for key in NAMED_OPTIONS if self.params[key] is not None)
        if named:
            if self.names_supported(hooks):
                wanted.update(named)
            else:
                self.module.warn(
                    'The system hooks of this GitLab have no name or description (%s added them); ignored the option(s) %s.'
                    % (releases.since('hook_name'), ', '.join(sorted(named)))
                )
        return wanted

    def repository_update_events_settable(self):
        """False where POST /hooks drops repository_update_events; where the release is not pinned it is sent (and checked)."""
        return self.module.supports('hook_repository_update_events') is not False

    def warn_repository_update_events(self, created):
        """On a hook this run created: say when repository_update_events=false could not be applied."""
        asked = self.ignored_repository_update_events
        if asked is None:
            asked = self.params['repository_update_events']
            if asked is None or created.get('repository_update_events') in (None, asked):
                return
        if asked is EVENT_DEFAULTS['repository_update_events']:
            return
        self.module.warn(
            'GitLab %s ignores repository_update_events when it creates a system hook (the hook keeps true; %s takes '
            'it), so the option was not applied.%s'
            % (
                self.client.version(),
                releases.since('hook_repository_update_events'),
                ' It is not compared either, so the hook is not re-created for it.' if self.ignored_repository_update_events is not None else '',
            )
        )

    def post(self, settings):
        data = dict(settings, url=self.url)
        if self.params['token'] is not None:
            data['token'] = self.params['token']
            self.token_sent = True
        created = self.client.post(HOOKS_PATH, data=data) or {}
        self.warn_repository_update_events(created)
        return created

    def create(self, settings):
        """Create the hook, then look again: hooks a concurrent run created for the same URL converge to one."""
        created = self.post(settings)
        same, dummy = self.list_same_url()
        if len(same) <= 1:
            return same[0] if same else created
        # Every run keeps the lowest id, so overlapping runs agree on which hook stays.
        keep = min(same, key=lambda hook: hook.get('id') or 0)
        extras = [hook for hook in same if hook is not keep]
        for extra in extras:
            self.module.delete('%s/%s' % (HOOKS_PATH, extra['id']))
        self.module.warn(
            '%d more system hook(s) with the URL %s appeared while this run created one (another run '
            'working at the same time); kept hook %s and removed hook(s) %s.'
            % (len(extras), redact(self.url), keep['id'], ', '.join('%s' % extra['id'] for extra in extras))
        )
        return keep

    def update(self, hook, changes):
        data = dict(changes)
        if self.params['token'] is not None and self.params['update_token'] == 'always':
            data['token'] = self.params['token']
            self.token_sent = True
        try:
            updated = self.client.put('%s/%s' % (HOOKS_PATH, hook['id']), data=data)
        except GitlabApiError as error:
            if not error.endpoint_unsupported:
                raise
            return self.recreate(hook, changes)
        return updated or dict(hook, **changes)

    def recreate(self, hook, changes):
        """Delete and re-create a hook on a GitLab that cannot update hooks, keeping its settings."""
        settings = dict((key, hook[key]) for key in FLAGS + NAMED_OPTIONS if hook.get(key) is not None)
        settings.update((key, hook[key]) for key in CARRIED_OVER if hook.get(key))
        settings.update(changes)
        if not self.repository_update_events_settable():
            settings.pop('repository_update_events', None)
        if self.params['token'] is None and hook.get('token_present') is not False:
            self.module.warn(
                'This GitLab cannot update system hooks, so hook %s was deleted and re-created; no token '
                'was given, so the new hook has no secret token. Set token to keep one.' % hook['id']
            )
        return self.module.delete_then_create('%s/%s' % (HOOKS_PATH, hook['id']), lambda: self.create(settings), 'System hook %s' % hook['id'])

    def present(self, hook, hooks):
        wanted = self.wanted(hooks)
        send_token = self.params['token'] is not None and (hook is None or self.params['update_token'] == 'always')
        if hook is None:
            predicted = dict(dict(EVENT_DEFAULTS, **wanted), url=self.url)
        else:
            # A property this GitLab does not return cannot be compared; leaving it alone keeps the task idempotent.
            changes = dict((key, value) for key, value in wanted.items() if key in hook and hook[key] != value)
            if not changes and not send_token:
                return False, hook
            predicted = dict(hook, **changes)
        if self.module.check_mode:
            self.token_sent = send_token
            return True, predicted
        if hook is None:
            return True, self.create(wanted)
        return True, self.update(hook, changes)

    def run(self):
        same, hooks = self.list_same_url()
        for delay in DUPLICATE_RECHECK_DELAYS:
            if len(same) <= 1:
                break
            time.sleep(delay)
            same, hooks = self.list_same_url()
        hook = self.module.find_one(same, 'url', self.url, 'system hooks', DUPLICATE_HINT)
        if self.params['state'] == 'present':
            changed, after = self.present(hook, hooks)
        else:
            changed = self.module.ensure_absent('%s/%s' % (HOOKS_PATH, hook['id']) if hook else None, hook)
            after = {}
        result = dict(changed=changed, hook=hook_view(after))
        if self.module._diff:
            diff_after = diff_view(after)
            if self.token_sent:
                diff_after['token'] = masked(self.params['token'])
            result['diff'] = dict(before=diff_view(hook), after=diff_after)
        return result


def main():
    module = GitlabModule(
        argument_spec=dict(
            url=dict(type='str', required=True),
            token=dict(type='str', no_log=True),
            update_token=dict(type='str', choices=['on_create', 'always'], default='on_create', no_log=False),
            push_events=dict(type='bool'),
            tag_push_events=dict(type='bool'),
            merge_requests_events=dict(type='bool'),
            repository_update_events=dict(type='bool'),
            enable_ssl_verification=dict(type='bool', default=True),
            name=dict(type='str'),
            description=dict(type='str'),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
        ),
        url_options=('url',),
        token_options=('token',),
        option_capabilities=OPTION_CAPABILITIES,
    )
    module.run(SystemHook(module).run)


if __name__ == '__main__':
    main()
