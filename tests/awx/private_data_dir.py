# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Lays out an ansible-runner private data dir the way AWX does for the "Koding - site" job template, from what
docs/awx/awx_setup.yml created: the awx.awx module calls recorded by the stand-in controller (tests/awx/controller).

Usage: private_data_dir.py RECORD PROJECT, with KG_AWX_* in the environment (see tests/awx/run.sh).
The job template, its credentials, their credential types and the inventory's group koding all come from the
record; the test adds only what a user gives at launch (the survey's answers).
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import jinja2.sandbox

TEMPLATE = 'Koding - site'
# A port of its own: other stacks of the tests use 8090, 18290 and 18490.
PORT = 18390


def write(path, data, mode=0o600):
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, 'w') as handle:
        handle.write(data)


def recorded(record):
    """The params of each awx.awx call, by module and then by the object's name (a later call wins, as in AWX)."""
    objects = {}
    with open(record) as handle:
        for line in handle:
            call = json.loads(line)
            objects.setdefault(call['module'], {})[call['params']['name']] = call['params']
    return objects


def render_injectors(credential_type, inputs):
    """The environment a credential of this type injects, rendered as AWX renders it (a Jinja2 sandbox)."""
    environment = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    return {name: environment.from_string(template).render(**inputs) for name, template in credential_type['injectors'].get('env', {}).items()}


def frozen_values(extra_vars):
    """Extra vars of the template that hold a value of awx_setup.yml's environment instead of an expression."""
    setup_environment = [os.environ[name] for name in ('KG_AWX_SETUP_EMAIL', 'KG_AWX_SETUP_PASSWORD')]
    return sorted(name for name, value in extra_vars.items() if any(secret in json.dumps(value) for secret in setup_environment))


def main(record, project_source):
    work = os.environ['KG_AWX_WORK']
    pdd = os.path.join(work, 'pdd')
    objects = recorded(record)
    template = objects['job_template'][TEMPLATE]
    problems = []

    # project/: what project sync checked out, with the collections of its requirements.yml installed beside it.
    shutil.copytree(project_source, os.path.join(pdd, 'project'))
    if template['playbook'] not in os.listdir(os.path.join(pdd, 'project')):
        problems.append('the job template runs %s, which the project does not have' % template['playbook'])

    # inventory/: the hosts of the template's inventory, and its group koding.
    group = objects.get('group', {}).get('koding')
    if not group or group['inventory'] != template['inventory']:
        problems.append('awx_setup.yml made no group koding in the inventory %s' % template['inventory'])
        raise SystemExit('\n'.join(problems))
    hosts = {name: params.get('variables', {}) for name, params in objects.get('host', {}).items() if params['inventory'] == template['inventory']}
    missing = [name for name in group.get('hosts', []) if name not in hosts]
    if not group.get('hosts') or missing:
        problems.append('the group koding has no hosts, or hosts the inventory lacks: %s' % missing)
    inventory = {'koding': {'hosts': {name: hosts[name] for name in group.get('hosts', []) if name in hosts}}}
    write(os.path.join(pdd, 'inventory', 'hosts.json'), json.dumps(inventory))

    # env/envvars: the template's credentials, injected exactly as their credential types say.
    envvars = {}
    for name in template.get('credentials', []):
        credential = objects.get('credential', {}).get(name)
        if credential is None:
            problems.append('the job template names the credential %r, which awx_setup.yml did not create' % name)
            continue
        envvars.update(render_injectors(objects['credential_type'][credential['credential_type']], credential['inputs']))
    for needed in ('GITLAB_URL', 'GITLAB_API_TOKEN', 'KODING_TEAM_ADMIN_EMAIL', 'KODING_TEAM_ADMIN_PASSWORD'):
        if needed not in envvars:
            problems.append('no credential of the job template injects %s' % needed)
    # Where project sync put the collections of collections/requirements.yml.
    envvars['ANSIBLE_COLLECTIONS_PATH'] = os.path.join(work, 'collections')
    write(os.path.join(pdd, 'env', 'envvars'), json.dumps(envvars))

    # env/extravars: the job template's extra vars as stored, and the survey's answers.
    extravars = dict(template.get('extra_vars') or {})
    frozen = frozen_values(extravars)
    if frozen:
        problems.append('the job template holds values of the environment awx_setup.yml ran in: %s' % ', '.join(frozen))
    extravars.update(gitlab_wiring_koding_hostname='koding.localhost', gitlab_wiring_koding_public_port=PORT)
    write(os.path.join(pdd, 'env', 'extravars'), json.dumps(extravars))

    # env/settings: facts cached in the artifacts, as AWX's fact cache does.
    write(os.path.join(pdd, 'env', 'settings'), json.dumps({'fact_cache_type': 'jsonfile', 'suppress_ansible_output': True}))
    if problems:
        raise SystemExit('\n'.join(problems))
    print(
        'job template %r: playbook %s, credentials %s, group koding: %s'
        % (TEMPLATE, template['playbook'], ', '.join(template['credentials']), ', '.join(group['hosts']))
    )


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
