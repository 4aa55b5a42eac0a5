#!/usr/bin/python
# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: koding_team
short_description: Create a team in Koding
version_added: 0.1.0
description:
  - Makes sure a team exists in Koding, creating it with a new admin user when it is missing.
  - GitLab's system hook adds GitLab users to the Koding team C(gitlab), which does not exist on a fresh Koding, so it
    must be created before the hook can do anything.
  - Whether the team exists is decided by C(GET /-/team/<slug>) (200 or 404); only a missing team is created, through
    C(POST /-/teams/create) with Koding's CSRF double submit (the C(_csrf) cookie any C(GET) hands out, sent back as a
    form field).
  - The module never changes or deletes an existing team.
author:
  - koding.gitlab maintainers (@koding-gitlab)
extends_documentation_fragment:
  - koding.gitlab.koding_api
  - koding.gitlab.attributes
  - koding.gitlab.attributes.actiongroup_koding
attributes:
  check_mode:
    support: full
    details:
      - In check mode only C(GET) requests are sent.
  diff_mode:
    support: full
    details:
      - In diff mode the diff shows whether the team exists; the admin password never appears in it.
  idempotent:
    support: full
options:
  slug:
    description:
      - The team's slug; the team is served at C(<slug>.<koding host>).
      - Lower-case letters and digits, in groups joined by single dashes (V(gitlab), V(my-team)); it must differ
        from O(username) and must not be one of the names Koding reserves (V(admin), V(api), V(dev), V(team),
        V(test), V(www) and more, from Koding's C(reservedteamdomains.coffee)). Koding refuses anything else, and
        refuses a reserved slug only after it has created the admin user, so the module checks before any request.
      - GitLab's integration uses the team V(gitlab).
    type: str
    default: gitlab
  company_name:
    description:
      - The team's display name. Defaults to O(slug).
      - Only used when the team is created.
    type: str
  email:
    description:
      - E-mail address of the team's admin user.
      - Required when the team has to be created.
      - "Koding refuses addresses at disposable or low-quality mail domains, C(example.com) among them, with
        C(Errors were encountered during validation: email)."
    type: str
  username:
    description:
      - Username of the team's admin user. Must differ from O(slug).
      - Required when the team has to be created.
    type: str
  password:
    description:
      - Password of the team's admin user, at least 8 characters.
      - Required when the team has to be created; never sent when the team already exists.
    type: str
notes:
  - Koding answers a successful creation with a session token for the new admin; the module discards it.
seealso:
  - name: Koding
    description: The Koding source, whose web server answers C(/-/team/<slug>) and C(/-/teams/create).
    link: https://github.com/koding/koding
"""

EXAMPLES = r"""
- name: Make sure Koding has the gitlab team
  koding.gitlab.koding_team:
    url: http://127.0.0.1:8090
    slug: gitlab
    company_name: GitLab
    email: koding-admin@example.org
    username: kodingadmin
    password: "{{ koding_admin_password }}"

- name: Only check that the team exists (no credentials needed when it does)
  koding.gitlab.koding_team:
    url: http://127.0.0.1:8090
  check_mode: true
  register: gitlab_team
"""

RETURN = r"""
team:
  description:
    - The team as C(GET /-/team/<slug>) returns it after the run.
    - In check mode, when the team would be created, only C(slug) is known.
  returned: success
  type: dict
  sample: {"slug": "gitlab", "title": "GitLab"}
created:
  description: Whether the team was created (or would be, in check mode).
  returned: success
  type: bool
  sample: false
"""

from ansible_collections.koding.gitlab.plugins.module_utils._input_checks import team_slug_problem
from ansible_collections.koding.gitlab.plugins.module_utils._koding_api import KodingError
from ansible_collections.koding.gitlab.plugins.module_utils._koding_module import KodingModule

MIN_PASSWORD = 8


def argument_spec():
    return dict(
        slug=dict(type='str', default='gitlab'),
        company_name=dict(type='str'),
        email=dict(type='str'),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
    )


def option_problems(params):
    """The module's own problems found without asking Koding; each names its option."""
    problems = []
    slug_problem = team_slug_problem(params['slug'])
    if slug_problem:
        problems.append('slug %s' % slug_problem)
    if params['username'] and params['username'].lower() == params['slug'].lower():
        problems.append('username must differ from slug (Koding refuses a team named like its admin)')
    if params['password'] is not None and len(params['password']) < MIN_PASSWORD:
        problems.append('password must have at least %d characters' % MIN_PASSWORD)
    return problems


def missing_for_create(params):
    return [name for name in ('email', 'username', 'password') if not params[name]]


def run(module, client):
    params = module.params
    slug = params['slug']
    team = client.get_team(slug)
    if team is not None:
        return with_diff(module, dict(changed=False, created=False, team=team), slug, existed=True)

    missing = missing_for_create(params)
    if missing:
        module.fail_json(
            msg='Koding at %s has no team %s; %s %s required to create it' % (client.shown, slug, ', '.join(missing), 'is' if len(missing) == 1 else 'are')
        )
    if module.check_mode:
        return with_diff(module, dict(changed=True, created=True, team=dict(slug=slug)), slug, existed=False)

    client.create_team(slug, params['company_name'] or slug, params['email'], params['username'], params['password'])
    team = client.get_team(slug)
    if team is None:
        raise KodingError('Koding accepted team %s but GET /-/team/%s still answers 404; check the Koding backend logs' % (slug, slug))
    return with_diff(module, dict(changed=True, created=True, team=team), slug, existed=False)


def with_diff(module, result, slug, existed):
    """Adds the before/after of the team's existence, in diff mode only."""
    if module._diff:  # pylint: disable=protected-access
        result['diff'] = dict(before=dict(slug=slug, exists=existed), after=dict(slug=slug, exists=True))
    return result


def main():
    # The password (and a password in the URL), in every form the module's requests give them (form-encoded when
    # a server echoes the posted form), is masked by Ansible and redacted from the client's messages.
    module = KodingModule(argument_spec=argument_spec(), secret_options=('password',), option_checks=option_problems)
    module.run(lambda: run(module, module.client))


if __name__ == '__main__':
    main()
