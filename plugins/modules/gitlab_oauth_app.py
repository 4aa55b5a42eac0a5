#!/usr/bin/python
# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gitlab_oauth_app
short_description: Manage an instance-wide OAuth application in GitLab
version_added: 0.1.0
description:
  - Creates, re-creates or deletes an instance-wide OAuth application (Admin Area, Applications) through
    C(/applications), for example the application Koding uses to sign users in with GitLab.
  - The application is found by its O(name). Two applications with that name make the module fail and list their
    ids; it never picks one.
  - GitLab has no update endpoint for applications and shows the secret only when it creates (or renews) it. An
    existing application is compared on its redirect URIs and, where the instance reports it, its confidentiality.
    A difference fails the task unless O(recreate=on_change), which deletes and re-creates the application (giving it
    a new client id and secret).
  - B(A change of O(scopes) cannot be detected), because GitLab never returns an application's scopes. To apply new
    scopes, delete the application (O(state=absent)) or change another compared property with O(recreate=on_change).
  - The secret is returned in RV(secret) only when the application was just created, re-created or its secret
    renewed. The collection's action plugin then hides the whole task result from the output and callbacks, while a
    registered variable keeps it; protect it further (for example write it to a file with mode C(0600)).
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
      - The secret never appears in the diff.
  idempotent:
    support: partial
    details:
      - With O(renew_secret=true) the secret is renewed, and the task reports a change, on every run.
options:
  name:
    description:
      - The application's name; it identifies the application.
    type: str
    required: true
  redirect_uri:
    description:
      - The redirect (callback) URI, or a list of them, that GitLab accepts for this application.
      - A list is sent joined with newlines, the way GitLab stores several URIs.
      - Required when O(state=present).
    type: raw
  scopes:
    description:
      - The scopes the application may request, for example V(api), V(read_user), V(openid).
      - Sent space-separated. Required when O(state=present).
      - Only used when the application is created; changes of scopes cannot be detected (see the description).
    type: list
    elements: str
  confidential:
    description:
      - Whether the application can keep its secret confidential (a server-side application).
      - Compared only when the instance returns C(confidential) for its applications; older GitLab releases do not,
        and ignore it on creation (a warning says so when V(false) was asked for).
    type: bool
    default: true
  state:
    description:
      - Whether the application should exist.
    type: str
    choices: [present, absent]
    default: present
  recreate:
    description:
      - What to do when the existing application differs from the task.
      - V(never) fails and lists the differences.
      - V(on_change) deletes the application and creates it again; its client id and secret change, so everything
        that uses them must be updated.
    type: str
    choices: [never, on_change]
    default: never
  renew_secret:
    description:
      - Renew the secret of an existing application, through C(POST /applications/:id/renew-secret) (GitLab 16.11 and
        later), and return the new one in RV(secret).
      - Ignored when the application is created or re-created in this run (it then has a fresh secret anyway).
    type: bool
    default: false
notes:
  - Listing applications needs GitLab 11.x or later (C(GET /applications)); on an instance that cannot list them the
    module fails with a clear message.
seealso:
  - name: GitLab applications API
    description: The API this module uses.
    link: https://docs.gitlab.com/ee/api/applications.html
"""

EXAMPLES = r"""
- name: Register Koding as an OAuth application of GitLab
  koding.gitlab.gitlab_oauth_app:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_admin_token }}"
    name: Koding
    redirect_uri: http://gitlab.koding.example.com:8090/-/oauth/gitlab/callback
    scopes: [api, read_user]
  register: koding_oauth_app
  delegate_to: localhost

- name: Keep the client id and secret, which are only returned when the application is created
  ansible.builtin.copy:
    dest: /etc/koding/gitlab-oauth.env
    content: |
      GITLAB_APPLICATION_ID={{ koding_oauth_app.application.application_id }}
      GITLAB_APPLICATION_SECRET={{ koding_oauth_app.secret }}
    mode: "0600"
  no_log: true
  when: koding_oauth_app.secret is defined

- name: Change the redirect URIs, re-creating the application (new client id and secret)
  koding.gitlab.gitlab_oauth_app:
    name: Koding
    redirect_uri:
      - https://gitlab.koding.example.com/-/oauth/gitlab/callback
      - http://gitlab.koding.example.com:8090/-/oauth/gitlab/callback
    scopes: [api, read_user]
    recreate: on_change
  delegate_to: localhost

- name: Remove the application
  koding.gitlab.gitlab_oauth_app:
    name: Koding
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
application:
  description:
    - The application after the run (predicted in check mode, where a new application has no ids yet).
    - Empty when O(state=absent).
  returned: success
  type: dict
  contains:
    id:
      description: The numeric id used by the API (for deletion).
      type: int
      sample: 3
    application_id:
      description: The OAuth client id.
      type: str
      sample: 5832fc6e14300a0d962240a8144466eef4ee93ef0d218477e55f11cf12fc3737
    application_name:
      description: The application's name.
      type: str
      sample: Koding
    callback_url:
      description: The redirect URIs, separated by newlines.
      type: str
      sample: http://gitlab.koding.example.com:8090/-/oauth/gitlab/callback
    confidential:
      description: Whether the application is confidential; V(null) when the instance does not report it.
      type: bool
      sample: true
secret:
  description:
    - The OAuth client secret.
    - Only returned when the application was created, re-created or its secret renewed in this run (not in check
      mode). GitLab never shows it again.
  returned: when the application was created, re-created or its secret renewed
  type: str
  sample: gloas-3f9a1c2b7e4d...
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.koding.gitlab.plugins.module_utils._gitlab_api import (
    GITLAB_API_MUTUALLY_EXCLUSIVE,
    GitlabApiError,
    create_client,
    fail_api,
    gitlab_api_argument_spec,
)

APPS_PATH = '/applications'
RENEW_SINCE = '16.11'


def app_view(app):
    if not app:
        return {}
    return dict(
        id=app.get('id'),
        application_id=app.get('application_id'),
        application_name=app.get('application_name'),
        callback_url=app.get('callback_url'),
        confidential=app.get('confidential'),
    )


def normalize_redirect_uri(module, value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        uris = ['%s' % item for item in value]
    elif isinstance(value, str):
        uris = value.splitlines()
    else:
        module.fail_json(msg='Option redirect_uri must be a string or a list of strings, got %s' % type(value).__name__)
    uris = [uri.strip() for uri in uris if uri.strip()]
    if not uris:
        module.fail_json(msg='Option redirect_uri must not be empty')
    return '\n'.join(uris)


def normalize_scopes(scopes):
    seen = []
    for item in scopes or []:
        for scope in item.split():
            if scope not in seen:
                seen.append(scope)
    return ' '.join(seen)


class OAuthApp(object):

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.warnings = []
        self.redirect_uri = normalize_redirect_uri(module, self.params['redirect_uri'])
        self.scopes = normalize_scopes(self.params['scopes'])
        if self.params['state'] == 'present' and not self.scopes:
            module.fail_json(msg='Option scopes must name at least one scope')

    def list_matching(self):
        try:
            apps = self.client.get_all(APPS_PATH)
        except GitlabApiError as error:
            if not error.endpoint_unsupported:
                raise
            self.module.fail_json(
                msg='GitLab %s cannot list OAuth applications (GET %s answered %s), so the module cannot find '
                    'an existing application. Listing applications needs GitLab 11.x or later.'
                    % (self.client.version(), APPS_PATH, error.status))
        matches = [app for app in apps if app.get('application_name') == self.params['name']]
        if len(matches) > 1:
            self.module.fail_json(
                msg='%d OAuth applications are named %r (ids %s); remove the extra ones so the name identifies one '
                    'application.' % (len(matches), self.params['name'], ', '.join('%s' % app.get('id') for app in matches)))
        return matches[0] if matches else None

    def differences(self, app):
        diffs = []
        if app.get('callback_url') != self.redirect_uri:
            diffs.append('redirect_uri (GitLab has %r, the task wants %r)' % (app.get('callback_url'), self.redirect_uri))
        if app.get('confidential') is not None and app.get('confidential') != self.params['confidential']:
            diffs.append('confidential (GitLab has %s, the task wants %s)' % (app.get('confidential'), self.params['confidential']))
        return diffs

    def wanted_view(self, app=None):
        view = app_view(app) if app else dict(id=None, application_id=None)
        view.update(application_name=self.params['name'], callback_url=self.redirect_uri,
                    confidential=self.params['confidential'])
        return view

    def create(self):
        data = dict(name=self.params['name'], redirect_uri=self.redirect_uri, scopes=self.scopes,
                    confidential=self.params['confidential'])
        created = self.client.post(APPS_PATH, data=data) or {}
        secret = created.get('secret')
        if created.get('id') is None:
            # Older releases answer without the numeric id: find it by listing.
            listed = self.list_matching() or {}
            created = dict(listed, **{key: value for key, value in created.items() if value is not None})
        if 'confidential' not in created and not self.params['confidential']:
            self.warnings.append('This GitLab does not report whether an application is confidential; it may have '
                                 'created the application as confidential although confidential=false was asked for.')
        return created, secret

    def renew(self, app):
        path = '%s/%s/renew-secret' % (APPS_PATH, app['id'])
        try:
            renewed = self.client.post(path) or {}
        except GitlabApiError as error:
            if not error.endpoint_unsupported:
                raise
            self.fail_no_renew()
        return dict(app, **{key: value for key, value in renewed.items() if value is not None}), renewed.get('secret')

    def fail_no_renew(self):
        self.module.fail_json(
            msg='GitLab %s cannot renew an application secret (POST %s/:id/renew-secret needs GitLab %s or later). '
                'Use recreate=on_change with a changed property, or delete and re-create the application, to get a new '
                'secret.' % (self.client.version(), APPS_PATH, RENEW_SINCE))

    def present(self, app):
        check_mode = self.module.check_mode
        if app is None:
            if check_mode:
                return True, self.wanted_view(), None
            created, secret = self.create()
            return True, app_view(created), secret
        diffs = self.differences(app)
        if diffs:
            if self.params['recreate'] == 'never':
                self.module.fail_json(
                    msg='The OAuth application %r (id %s) differs from the task in: %s. GitLab cannot update an '
                        'application; set recreate=on_change to delete and re-create it (it then gets a new client id '
                        'and secret). Scopes cannot be compared.' % (self.params['name'], app.get('id'), '; '.join(diffs)),
                    application=app_view(app))
            if check_mode:
                return True, self.wanted_view(), None
            self.client.delete('%s/%s' % (APPS_PATH, app['id']))
            try:
                created, secret = self.create()
            except GitlabApiError as error:
                error.msg = ('The old application %r (id %s) was deleted, but creating it again failed: %s'
                             % (self.params['name'], app['id'], error.msg))
                raise
            return True, app_view(created), secret
        if self.params['renew_secret']:
            if check_mode:
                if self.client.version_tuple() < (16, 11, 0):
                    self.fail_no_renew()
                return True, app_view(app), None
            renewed, secret = self.renew(app)
            return True, app_view(renewed), secret
        return False, app_view(app), None

    def absent(self, app):
        if app is None:
            return False, {}
        if not self.module.check_mode:
            try:
                self.client.delete('%s/%s' % (APPS_PATH, app['id']))
            except GitlabApiError as error:
                if not error.resource_not_found:
                    raise
                return False, {}
        return True, {}

    def run(self):
        app = self.list_matching()
        before = app_view(app)
        secret = None
        if self.params['state'] == 'present':
            changed, after, secret = self.present(app)
        else:
            changed, after = self.absent(app)
        result = dict(changed=changed, application=after, warnings=self.warnings)
        if secret is not None:
            result['secret'] = secret
        if self.module._diff:
            result['diff'] = dict(before=before, after=after)
        return result


def main():
    argument_spec = gitlab_api_argument_spec()
    argument_spec.update(
        name=dict(type='str', required=True),
        redirect_uri=dict(type='raw'),
        scopes=dict(type='list', elements='str'),
        confidential=dict(type='bool', default=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        recreate=dict(type='str', choices=['never', 'on_change'], default='never'),
        renew_secret=dict(type='bool', default=False, no_log=False),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=GITLAB_API_MUTUALLY_EXCLUSIVE,
        required_if=[('state', 'present', ['redirect_uri', 'scopes'])],
        supports_check_mode=True,
    )
    client = create_client(module)
    try:
        result = OAuthApp(module, client).run()
    except GitlabApiError as error:
        fail_api(module, error)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
