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
    ids; it never picks one. The module never reads a single hook with C(GET /hooks/:id), because GitLab before 14.9
    fires a test event for that request.
  - An existing hook is updated with C(PUT /hooks/:id). GitLab releases without that endpoint (it answers 405, or
    404 for an unknown route) can only delete and re-create the hook, which is what the module then does. The new
    hook has a new id, and its secret token must be sent again; if O(token) is not given, the re-created hook has no
    token and a warning says so.
  - On an existing hook only the options set in the task are compared; event flags left unset keep their current
    values. When a hook is created, unset event flags get GitLab's defaults (O(repository_update_events) on, the others
    off).
  - GitLab never returns a hook's token, so it cannot be compared. See O(update_token).
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.koding.gitlab.plugins.module_utils._gitlab_api import (
    GITLAB_API_MUTUALLY_EXCLUSIVE,
    SECRET_PLACEHOLDER,
    GitlabApiError,
    create_client,
    fail_api,
    gitlab_api_argument_spec,
    validate_http_url,
)

HOOKS_PATH = '/hooks'
EVENT_DEFAULTS = dict(push_events=False, tag_push_events=False, merge_requests_events=False,
                      repository_update_events=True)
FLAGS = tuple(EVENT_DEFAULTS) + ('enable_ssl_verification',)
NAMED_OPTIONS = ('name', 'description')
NAMES_SINCE = (17, 1, 0)
# Further settings carried over when a hook has to be deleted and re-created.
CARRIED_OVER = ('push_events_branch_filter', 'branch_filter_strategy')


def hook_view(hook):
    """The managed properties of a hook, for the diff."""
    if not hook:
        return {}
    view = dict(url=hook.get('url'))
    for key in FLAGS + NAMED_OPTIONS:
        if key in hook:
            view[key] = hook[key]
    return view


class SystemHook(object):

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.warnings = []
        self.token_sent = False

    def find(self):
        hooks = self.client.get_all(HOOKS_PATH)
        matches = [hook for hook in hooks if hook.get('url') == self.params['url']]
        if len(matches) > 1:
            self.module.fail_json(
                msg='%d system hooks have the URL %r (ids %s); remove the extra ones so the URL identifies one hook.'
                    % (len(matches), self.params['url'], ', '.join('%s' % hook.get('id') for hook in matches)))
        return (matches[0] if matches else None), hooks

    def names_supported(self, hooks):
        """Whether hooks have name/description: seen on listed hooks, else from the version (17.1+)."""
        if hooks:
            return 'name' in hooks[0]
        return self.client.version_tuple() >= NAMES_SINCE

    def wanted(self, hooks):
        """The options the task sets (None means 'leave as is')."""
        wanted = dict((key, self.params[key]) for key in FLAGS if self.params[key] is not None)
        named = dict((key, self.params[key]) for key in NAMED_OPTIONS if self.params[key] is not None)
        if named:
            if self.names_supported(hooks):
                wanted.update(named)
            else:
                self.warnings.append('The system hooks of this GitLab have no name or description (GitLab 17.1 added them); '
                                     'ignored the option(s) %s.' % ', '.join(sorted(named)))
        return wanted

    def create(self, settings):
        data = dict(settings, url=self.params['url'])
        if self.params['token'] is not None:
            data['token'] = self.params['token']
            self.token_sent = True
        return self.client.post(HOOKS_PATH, data=data) or {}

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
        if self.params['token'] is None and hook.get('token_present') is not False:
            self.warnings.append('This GitLab cannot update system hooks, so hook %s was deleted and re-created; no token '
                                 'was given, so the new hook has no secret token. Set token to keep one.' % hook['id'])
        self.client.delete('%s/%s' % (HOOKS_PATH, hook['id']))
        try:
            return self.create(settings)
        except GitlabApiError as error:
            error.msg = 'System hook %s was deleted to apply the change, but creating it again failed: %s' % (hook['id'], error.msg)
            raise

    def present(self, hook, hooks):
        wanted = self.wanted(hooks)
        if hook is None:
            if self.module.check_mode:
                if self.params['token'] is not None:
                    self.token_sent = True
                return True, dict(dict(EVENT_DEFAULTS, **wanted), url=self.params['url'])
            return True, self.create(wanted)
        # A property this GitLab does not return cannot be compared; leaving it alone keeps the task idempotent.
        changes = dict((key, value) for key, value in wanted.items() if key in hook and hook[key] != value)
        send_token = self.params['token'] is not None and self.params['update_token'] == 'always'
        if not changes and not send_token:
            return False, hook
        if self.module.check_mode:
            self.token_sent = send_token
            return True, dict(hook, **changes)
        return True, self.update(hook, changes)

    def absent(self, hook):
        if hook is None:
            return False, {}
        if not self.module.check_mode:
            try:
                self.client.delete('%s/%s' % (HOOKS_PATH, hook['id']))
            except GitlabApiError as error:
                if not error.resource_not_found:
                    raise
                return False, {}
        return True, {}

    def run(self):
        hook, hooks = self.find()
        if self.params['state'] == 'present':
            changed, after = self.present(hook, hooks)
        else:
            changed, after = self.absent(hook)
        result = dict(changed=changed, hook=after, warnings=self.warnings)
        if self.module._diff:
            diff_after = hook_view(after)
            if self.token_sent:
                diff_after['token'] = SECRET_PLACEHOLDER
            result['diff'] = dict(before=hook_view(hook), after=diff_after)
        return result


def main():
    argument_spec = gitlab_api_argument_spec()
    argument_spec.update(
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
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=GITLAB_API_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    error = validate_http_url(module.params['url'], 'url')
    if error:
        module.fail_json(msg=error)
    client = create_client(module)
    try:
        result = SystemHook(module, client).run()
    except GitlabApiError as error:
        fail_api(module, error)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
