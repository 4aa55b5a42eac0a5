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
    ids; it never picks one, unless O(application_id) says which one the task manages.
  - GitLab has no update endpoint for applications and shows the secret only when it creates (or renews) it. An
    existing application is compared on its redirect URIs and, where the instance reports it, its confidentiality.
    A difference fails the task unless O(recreate=on_change), which deletes and re-creates the application (giving it
    a new client id and secret).
  - Redirect URIs are compared as a set of trimmed URIs, so the line breaks GitLab stored (CRLF from the admin form,
    or LF), their order and duplicates make no difference.
  - B(A change of O(scopes) cannot be detected), because GitLab never returns an application's scopes. To apply new
    scopes, delete the application (O(state=absent)) or change another compared property with O(recreate=on_change).
  - B(GitLab 8.17 to 10.4 have no applications API) (C(POST /applications) came in 10.5); the module fails with
    RV(unsupported=true) and RV(create_supported=false), saying to create the application in the Admin Area.
  - B(GitLab 10.5 to 11.4, the later releases with the Koding integration, cannot list or delete applications), only
    create them (C(GET /applications) and C(DELETE /applications/:id) came in 11.5). There the module cannot see what exists,
    so it relies on what the caller kept. Without O(application_id) it creates the application (and warns that an
    earlier copy, if any, cannot be seen and stays). With the O(application_id) an earlier run returned, it reports no
    change and sends no write, without being able to check the application's properties (so O(recreate=on_change)
    finds nothing to re-create). O(state=absent) and O(renew_secret=true) together with O(application_id) fail with
    a message saying so and where to do it by hand (Admin Area, Applications). RV(listing_supported) is V(false)
    there. If the application was deleted by hand, the module cannot tell; run it without O(application_id) to
    create a new one.
  - A caller that lost the secret of an existing application says so with O(secret_known=false); the module then
    gets a new secret the best way this GitLab allows (see O(secret_known)) and returns it in RV(secret).
  - After creating an application the module lists the applications again. If another run created one with the same
    name at the same time, the application with the lowest id stays; a run whose copy is not that one deletes its
    copy and fails, saying that another run holds the application (and its secret). Nothing is left that blocks the
    next run. On GitLab that cannot list applications this check is impossible, so do not run two set-ups at once.
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
      - On GitLab that cannot list applications, check mode reports a change exactly when the task would create one
        (no O(application_id) given).
  diff_mode:
    support: full
    details:
      - The secret never appears in the diff.
      - On GitLab that cannot list applications the diff shows only what is known, the O(application_id).
  idempotent:
    support: partial
    details:
      - With O(renew_secret=true) the secret is renewed, and the task reports a change, on every run.
      - With O(secret_known=false), or an O(application_id) that is not the client id of the application found, a
        new secret is made on every run in which the application already exists; pass V(true) and the returned
        client id once the returned secret is kept.
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
  application_id:
    description:
      - The client id (RV(application.application_id)) of the application an earlier run created, as the caller kept it.
      - Needed for idempotence on GitLab 10.5 to 11.4, which cannot list applications; see the description.
      - Where GitLab lists applications it settles which application is meant when several have O(name); when the
        application found has another client id, the secret the caller keeps is not its own (see O(secret_known)).
    type: str
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
      - Where GitLab cannot list applications nothing can be compared, so nothing is re-created.
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
  secret_known:
    description:
      - Whether the caller still holds the secret of the existing application (GitLab never shows it again).
      - When V(false) and the application exists, or when O(application_id) names another client id than the
        application found has (the kept secret is then another application's), the module replaces the lost secret by
        the first of the following that this GitLab can do, returns the new secret in RV(secret) and says which one it
        did in RV(secret_recovery).
      - V(renewed) - renews the secret (C(POST /applications/:id/renew-secret), GitLab 16.11 and later); the client id
        stays.
      - V(recreated) - where GitLab cannot renew but can list and delete applications (11.5 to 16.10), deletes the
        application and creates it again (new client id and secret).
      - V(created_new) - where GitLab can only create applications (10.5 to 11.4, with the O(application_id) kept from
        an earlier run), creates a new application and warns that the old one, which only an administrator can remove
        (Admin Area, Applications), is still there.
      - Has no effect when the application is created or re-created in this run anyway.
    type: bool
    default: true
notes:
  - Whether GitLab can list applications is found out by asking (a 404 for an unknown route means it cannot), not
    from its version.
  - GitLab 11.5 to early 13.x answer 500 to the deletion of an application that is already gone; the module then
    lists the applications, and counts the deletion as done when the application is no longer there.
  - When GitLab's answer to a create is lost, the application may have been created all the same; the module then
    says to look in the Admin Area rather than to check O(api_url).
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

- name: On GitLab 10.5 to 11.4 (no application list), pass the client id an earlier run created
  koding.gitlab.gitlab_oauth_app:
    name: Koding
    redirect_uri: http://gitlab.koding.example.com:8090/-/oauth/gitlab/callback
    scopes: [api, read_user]
    application_id: "{{ kept_application_id | default(omit) }}"
  delegate_to: localhost

- name: The kept secret was lost; get a new one (renewed, or the application re-created, as this GitLab allows)
  koding.gitlab.gitlab_oauth_app:
    name: Koding
    redirect_uri: http://gitlab.koding.example.com:8090/-/oauth/gitlab/callback
    scopes: [api, read_user]
    application_id: "{{ kept_application_id | default(omit) }}"
    secret_known: "{{ kept_application_secret | default('') | length > 0 }}"
  register: koding_oauth_app
  delegate_to: localhost

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
    - Empty when O(state=absent). Properties GitLab does not report are V(null).
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
listing_supported:
  description:
    - Whether this GitLab can list (and delete) applications. When V(false), RV(application) holds only what is known.
  returned: success, and when the task failed with RV(unsupported=true)
  type: bool
  sample: true
create_supported:
  description:
    - V(false) when the task failed because this GitLab cannot even create applications through its API (GitLab 8.17
      to 10.4, which have no C(/applications)); create the application by hand in the Admin Area then.
  returned: when the task failed with RV(unsupported=true)
  type: bool
  sample: false
unsupported:
  description:
    - V(true) when the task failed because this GitLab cannot do what was asked (list, delete or re-create
      applications, or renew a secret); RV(listing_supported) then says whether it can list applications.
  returned: failure, when GitLab lacks the endpoint
  type: bool
  sample: true
secret_recovery:
  description:
    - How the secret the caller did not keep (O(secret_known=false)) was replaced; predicted in check mode.
    - V(renewed), V(recreated) or V(created_new); see O(secret_known).
  returned: when a lost secret was replaced
  type: str
  sample: renewed
secret:
  description:
    - The OAuth client secret.
    - Only returned when the application was created, re-created or its secret renewed in this run (not in check
      mode). GitLab never shows it again.
  returned: when the application was created, re-created or its secret renewed
  type: str
  sample: gloas-3f9a1c2b7e4d...
"""

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_releases as releases
from ansible_collections.koding.gitlab.plugins.module_utils._gitlab_api import GitlabApiError
from ansible_collections.koding.gitlab.plugins.module_utils._gitlab_module import GitlabModule
from ansible_collections.koding.gitlab.plugins.module_utils._input_checks import validate_text, validate_token
from ansible_collections.koding.gitlab.plugins.module_utils._redaction import redact

APPS_PATH = '/applications'
ADMIN_PAGE = 'Admin Area, Applications'
DUPLICATE_HINT = 'remove the extra ones (%s) so the name identifies one application, or give application_id to say which one this task manages.' % ADMIN_PAGE


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


def redirect_uri_list(value):
    """The redirect URIs of a string (any line breaks) or a list: trimmed, without blanks and duplicates, in order."""
    if isinstance(value, (list, tuple)):
        lines = []
        for item in value:
            lines.extend(('%s' % item).splitlines())
    else:
        lines = ('%s' % value).splitlines()
    uris = []
    for line in lines:
        uri = line.strip()
        if uri and uri not in uris:
            uris.append(uri)
    return uris


def redirect_uri_problem(value):
    if value is None:
        return None
    if not isinstance(value, (str, list, tuple)) or any(isinstance(item, (dict, list)) for item in value):
        return 'Option redirect_uri must be a string or a list of strings, got %s' % type(value).__name__
    uris = redirect_uri_list(value)
    if not uris:
        return 'Option redirect_uri must name at least one URI'
    for uri in uris:
        if validate_token(uri, 'redirect_uri'):
            return 'Option redirect_uri must not contain whitespace or control characters inside a URI'
        if ':' not in uri:
            return 'Option redirect_uri must hold absolute URIs (with a scheme, for example https://), got %r' % (redact(uri)[:200])
    return None


def normalize_scopes(scopes):
    seen = []
    for item in scopes or []:
        for scope in item.split():
            if scope not in seen:
                seen.append(scope)
    return ' '.join(seen)


class OAuthApp(object):
    def __init__(self, module):
        self.module = module
        self.client = module.client
        self.params = module.params
        self.name = self.params['name']
        self.uris = redirect_uri_list(self.params['redirect_uri']) if self.params['redirect_uri'] is not None else []
        self.redirect_uri = '\n'.join(self.uris)
        self.scopes = normalize_scopes(self.params['scopes'])
        self.recovery = None  # how a lost secret was (or, in check mode, would be) replaced

    # -- reading -------------------------------------------------------------------------

    def list_named(self):
        """The applications with our name, or None when this GitLab cannot list applications (before 11.5)."""
        try:
            apps = self.client.get_all(APPS_PATH)
        except GitlabApiError as error:
            if error.endpoint_unsupported:
                return None
            raise
        return [app for app in apps if app.get('application_name') == self.name]

    def pick(self, named):
        """Our application among those with our name; application_id settles duplicates."""
        wanted_id = self.params['application_id']
        if len(named) > 1 and wanted_id:
            mine = [app for app in named if app.get('application_id') == wanted_id]
            if len(mine) == 1:
                self.module.warn(
                    '%d OAuth applications are named %r; this task manages the one with application_id '
                    '%s (id %s). Remove the others (%s).' % (len(named), self.name, wanted_id, mine[0].get('id'), ADMIN_PAGE)
                )
                return mine[0]
        return self.module.find_one(named, 'application_name', self.name, 'OAuth applications', DUPLICATE_HINT)

    def differences(self, app):
        diffs = []
        if set(redirect_uri_list(app.get('callback_url') or '')) != set(self.uris):
            diffs.append('redirect_uri (GitLab has %r, the task wants %r)' % (redact(app.get('callback_url')), redact(self.redirect_uri)))
        if app.get('confidential') is not None and app.get('confidential') != self.params['confidential']:
            diffs.append('confidential (GitLab has %s, the task wants %s)' % (app.get('confidential'), self.params['confidential']))
        return diffs

    def secret_known(self, app):
        """Whether the caller holds this application's secret: it says it keeps one, and for this client id."""
        wanted_id = self.params['application_id']
        return self.params['secret_known'] and (not wanted_id or app.get('application_id') == wanted_id)

    def wanted_view(self, app=None):
        view = app_view(app) if app else dict(id=None, application_id=None)
        view.update(application_name=self.name, callback_url=self.redirect_uri, confidential=self.params['confidential'])
        return view

    # -- writing -------------------------------------------------------------------------

    def post(self, listing_supported=True):
        data = dict(name=self.name, redirect_uri=self.redirect_uri, scopes=self.scopes, confidential=self.params['confidential'])
        try:
            created = self.client.post(APPS_PATH, data=data) or {}
        except GitlabApiError as error:
            if error.endpoint_unsupported:
                self.fail_unsupported(
                    'create OAuth applications (POST %s)' % APPS_PATH,
                    'applications_create',
                    'Create the application by hand in %s (redirect URI %r, scopes %r) and use its application id and '
                    'secret; the gitlab_wiring role takes them as gitlab_wiring_manual_application_id and '
                    'gitlab_wiring_manual_application_secret.' % (ADMIN_PAGE, redact(self.redirect_uri), self.scopes),
                    listing_supported=listing_supported,
                    create_supported=False,
                )
            if error.request_sent:
                error.msg = (
                    '%s GitLab may have created the OAuth application %r although its answer, with the secret, was lost: '
                    'look in %s, delete that copy (its secret is lost)%s, then run the task again.'
                    % (error.msg, self.name, ADMIN_PAGE, '' if listing_supported else ' or keep its application id and secret by hand')
                )
            raise
        if 'confidential' not in created and not self.params['confidential']:
            self.module.warn(
                'This GitLab does not report whether an application is confidential; it may have '
                'created the application as confidential although confidential=false was asked for.'
            )
        return created, created.get('secret')

    def create(self):
        """Create, then look again: if a concurrent run created one too, the lowest id stays."""
        created, secret = self.post()
        named = self.list_named() or []
        mine = [
            app
            for app in named
            if (created.get('id') is not None and app.get('id') == created.get('id')) or app.get('application_id') == created.get('application_id')
        ]
        app = dict(mine[0], **dict((k, v) for k, v in created.items() if v is not None)) if mine else created
        if len(named) > 1 and mine:
            keep = min(named, key=lambda item: item.get('id') or 0)
            if keep.get('id') != app.get('id'):
                self.module.delete('%s/%s' % (APPS_PATH, app['id']), gone=self.gone_check(app))
                self.module.fail_json(
                    msg='Another run created the OAuth application %r (id %s) at the same time as this one, and only '
                    'it holds that application\'s secret. This run removed its own copy (id %s) and changed '
                    'nothing else. Use the other run\'s result (do not run one set-up twice at once), or run '
                    'again with application_id set to the other application\'s client id.' % (self.name, keep.get('id'), app['id']),
                    changed=False,
                    application=app_view(keep),
                )
            self.module.warn(
                'Another run created an OAuth application named %r at the same time; this run\'s '
                'application (id %s) stays and the other run removes its copy.' % (self.name, app['id'])
            )
        return app, secret

    def renew(self, app, recovering=False):
        """The application with a new secret; when recovering, None where GitLab turns out to lack renew-secret."""
        path = '%s/%s/renew-secret' % (APPS_PATH, app['id'])
        try:
            renewed = self.client.post(path) or {}
        except GitlabApiError as error:
            if not error.endpoint_unsupported:
                raise
            if recovering:
                return None
            self.fail_unsupported(
                'renew an application\'s secret (POST %s/:id/renew-secret)' % APPS_PATH,
                'renew_secret',
                'Use recreate=on_change with a changed property to get a new secret.',
            )
        return dict(app, **dict((k, v) for k, v in renewed.items() if v is not None)), renewed.get('secret')

    def recreate(self, app):
        return self.module.delete_then_create(
            '%s/%s' % (APPS_PATH, app['id']), self.create, 'The OAuth application %r (id %s)' % (self.name, app['id']), gone=self.gone_check(app)
        )

    def recovery_rung(self):
        """How a lost secret is replaced where GitLab lists applications: renewed where the release can (where the
        release table does not pin it, GitLab is asked), else the application is deleted and created again."""
        return 'renewed' if self.module.supports('renew_secret') is not False else 'recreated'

    def recover(self, app):
        """A new secret for an application whose secret the caller lost."""
        if self.recovery == 'renewed':
            renewed = self.renew(app, recovering=True)
            if renewed is not None:
                return renewed
            self.recovery = 'recreated'
        return self.recreate(app)

    def fail_unsupported(self, what, capability, todo, listing_supported=True, create_supported=True):
        # unsupported=True lets a playbook tell "GitLab cannot do this" from other failures without parsing msg.
        self.module.fail_json(
            msg='GitLab %s cannot %s through its API (that needs %s or later). %s' % (self.client.version(), what, releases.since(capability), todo),
            changed=False,
            unsupported=True,
            listing_supported=listing_supported,
            create_supported=create_supported,
        )

    def gone_check(self, app):
        """After a 500 to DELETE: whether the application is gone all the same (releases that answer 500, not 404)."""
        if self.module.supports('applications_delete_404'):
            return None
        return lambda: all(item.get('id') != app['id'] for item in self.client.get_all(APPS_PATH))

    # -- states --------------------------------------------------------------------------

    def present(self, app):
        action = 'create'
        if app is not None:
            diffs = self.differences(app)
            if diffs and self.params['recreate'] == 'never':
                self.module.fail_json(
                    msg='The OAuth application %r (id %s) differs from the task in: %s. GitLab cannot update an '
                    'application; set recreate=on_change to delete and re-create it (it then gets a new client '
                    'id and secret). Scopes cannot be compared.' % (self.name, app.get('id'), '; '.join(diffs)),
                    changed=False,
                    application=app_view(app),
                )
            if diffs:
                action = 'recreate'
            elif self.params['renew_secret']:
                action = 'renew'
            elif not self.secret_known(app):
                action = 'recover'
                self.recovery = self.recovery_rung()
            else:
                return False, app_view(app), None
        if action == 'renew' and self.module.supports('renew_secret') is False:
            self.fail_unsupported(
                'renew an application\'s secret (POST %s/:id/renew-secret)' % APPS_PATH,
                'renew_secret',
                'Use recreate=on_change with a changed property to get a new secret.',
            )
        if self.module.check_mode:
            keeps_ids = action == 'renew' or self.recovery == 'renewed'
            return True, app_view(app) if keeps_ids else self.wanted_view(), None
        if action == 'create':
            created, secret = self.create()
        elif action == 'recreate':
            created, secret = self.recreate(app)
        elif action == 'recover':
            created, secret = self.recover(app)
        else:
            created, secret = self.renew(app)
        return True, app_view(created), secret

    def create_without_list(self, warning):
        """Create where nothing can be listed; warning(version) says what may be left behind."""
        if self.module.check_mode:
            return True, self.wanted_view(), None
        created, secret = self.post(listing_supported=False)
        self.module.warn(warning(self.client.version()))
        return True, dict(app_view(created), application_name=self.name), secret

    def present_without_list(self):
        """GitLab 10.5 to 11.4: create only. What exists is known only from the application_id kept by the caller."""
        application_id = self.params['application_id']
        if application_id is None:
            return self.create_without_list(
                lambda version: (
                    'GitLab %s cannot list OAuth applications, so this run created %r without being able to '
                    'see whether an earlier run had created it; keep its application_id and pass it next '
                    'time. An older copy, if any, remains in %s.' % (version, self.name, ADMIN_PAGE)
                )
            )
        if not self.params['secret_known']:
            # The kept client id has no kept secret, and this GitLab can neither renew nor delete: a new application.
            self.recovery = 'created_new'
            return self.create_without_list(
                lambda version: (
                    'GitLab %s can neither renew a secret nor delete an application through its API, so this '
                    'run created a new OAuth application %r for the secret that was not kept. The old one (client id %s) is '
                    'still there: remove it by hand in %s, as anyone holding its secret can still sign users in with it.'
                    % (version, self.name, application_id, ADMIN_PAGE)
                )
            )
        # Trusted as given: nothing about the application can be read back, so nothing is compared (and with
        # recreate=on_change nothing is found to differ).
        return False, dict(id=None, application_id=application_id, application_name=None, callback_url=None, confidential=None), None

    def run(self):
        named = self.list_named()
        state = self.params['state']
        if named is None:
            if state == 'absent':
                self.fail_unsupported(
                    'delete OAuth applications (DELETE %s/:id)' % APPS_PATH,
                    'applications_delete',
                    'Delete %r in %s.' % (self.name, ADMIN_PAGE),
                    listing_supported=False,
                )
            if self.params['renew_secret'] and self.params['application_id']:
                self.fail_unsupported(
                    'renew an application\'s secret (POST %s/:id/renew-secret)' % APPS_PATH,
                    'renew_secret',
                    'Delete the application in %s and run again without application_id to create a new one.' % ADMIN_PAGE,
                    listing_supported=False,
                )
            changed, after, secret = self.present_without_list()
            before = dict(application_id=self.params['application_id']) if self.params['application_id'] else {}
            diff_after = dict(before) if not changed else dict(after, secret=None)
            return self.result(changed, after, secret, False, before, diff_after)
        app = self.pick(named)
        if state == 'present':
            changed, after, secret = self.present(app)
        else:
            changed = self.module.ensure_absent('%s/%s' % (APPS_PATH, app['id']) if app else None, app, gone=self.gone_check(app) if app else None)
            after, secret = {}, None
        return self.result(changed, after, secret, True, app_view(app), after)

    def result(self, changed, after, secret, listing_supported, diff_before, diff_after):
        result = dict(changed=changed, application=after, listing_supported=listing_supported)
        if self.recovery:
            result['secret_recovery'] = self.recovery
        if secret is not None:
            result['secret'] = secret
        if self.module._diff:
            diff_after = dict((key, value) for key, value in diff_after.items() if key != 'secret')
            result['diff'] = dict(before=diff_before, after=diff_after)
        return result


def option_problems(params):
    problems = [validate_text(params['name'], 'name')]
    if not params['name'] or not params['name'].strip():
        problems.append('Option name must not be empty')
    problems.append(redirect_uri_problem(params['redirect_uri']))
    if params['state'] == 'present' and not normalize_scopes(params['scopes']):
        problems.append('Option scopes must name at least one scope')
    for scope in params['scopes'] or []:
        if validate_text(scope, 'scopes'):
            problems.append('Option scopes must not contain control characters')
    problems.append(validate_token(params['application_id'], 'application_id'))
    return problems


def main():
    module = GitlabModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            redirect_uri=dict(type='raw'),
            scopes=dict(type='list', elements='str'),
            confidential=dict(type='bool', default=True),
            application_id=dict(type='str', no_log=False),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            recreate=dict(type='str', choices=['never', 'on_change'], default='never'),
            renew_secret=dict(type='bool', default=False, no_log=False),
            secret_known=dict(type='bool', default=True, no_log=False),
        ),
        required_if=[('state', 'present', ['redirect_uri', 'scopes'])],
        option_checks=option_problems,
        option_capabilities=dict(renew_secret='renew_secret'),
    )
    module.run(OAuthApp(module).run)


if __name__ == '__main__':
    main()
