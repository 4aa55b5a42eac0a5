# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Lays out an ansible-runner private data dir the way AWX does for the "Koding - site" job template.

Usage: private_data_dir.py DOCS_AWX, with KG_AWX_* in the environment (see tests/awx/run.sh).
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import jinja2.sandbox
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_GROUP_VARS = os.path.join(HERE, '..', '..', 'playbooks', 'inventories', 'lab', 'group_vars', 'koding.yml')
# A port of its own: other stacks of the tests use 8090 and 18290.
PORT = 18390


def write(path, data, mode=0o600):
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, 'w') as handle:
        handle.write(data)


def render_injectors(credential_type, inputs):
    """The environment a credential of this type injects, rendered as AWX renders it (a Jinja2 sandbox)."""
    environment = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    return {name: environment.from_string(template).render(**inputs) for name, template in credential_type['injectors'].get('env', {}).items()}


def main(docs_awx):
    work = os.environ['KG_AWX_WORK']
    pdd = os.path.join(work, 'pdd')
    lab = os.path.join(work, 'lab')
    os.makedirs(lab, mode=0o700, exist_ok=True)

    # project/: what project sync checks out of the repository.
    project = os.path.join(pdd, 'project')
    os.makedirs(project)
    for name in ('site.yml', 'verify.yml'):
        shutil.copy(os.path.join(docs_awx, name), project)
    shutil.copytree(os.path.join(docs_awx, 'collections'), os.path.join(project, 'collections'))

    # inventory/: the Koding host of the lab (the controller plays it), with the lab's settings but a stack of its own.
    with open(LAB_GROUP_VARS) as handle:
        host_vars = yaml.safe_load(handle)
    for name in ('koding_team_admin_email', 'koding_team_admin_password', 'gitlab_wiring_koding_port'):
        host_vars.pop(name, None)  # the job template and its survey give these
    host_vars.update(lab_dir=lab, koding_project_name='koding-awx', ansible_connection='local', ansible_python_interpreter=sys.executable)
    write(os.path.join(pdd, 'inventory', 'hosts.yml'), yaml.safe_dump({'koding': {'hosts': {'koding-lab': host_vars}}}))

    # env/envvars: the credentials, injected exactly as their credential types say.
    with open(os.path.join(docs_awx, 'credential_types.yml')) as handle:
        types = {item['name']: item for item in yaml.safe_load(handle)['awx_credential_types']}
    with open(os.path.join(docs_awx, 'job_templates.yml')) as handle:
        template = next(item for item in yaml.safe_load(handle)['awx_job_templates'] if item['playbook'] == 'site.yml')
    inputs = {
        'GitLab API (koding.gitlab)': {'url': os.environ['KG_AWX_GITLAB_URL'], 'token': os.environ['KG_AWX_GITLAB_TOKEN']},
        'Koding team admin (koding.gitlab)': {'email': 'admin@koding.localhost', 'password': os.environ['KG_AWX_PASSWORD']},
    }
    envvars = {}
    for name in template['credential_types']:
        envvars.update(render_injectors(types[name], inputs[name]))
    # Where AWX puts the collections of collections/requirements.yml.
    envvars['ANSIBLE_COLLECTIONS_PATH'] = os.path.join(work, 'collections')
    write(os.path.join(pdd, 'env', 'envvars'), json.dumps(envvars))

    # env/extravars: the job template's extra vars, the survey's answers, and the lab's images.
    extravars = dict(template['extra_vars'])
    extravars.update(gitlab_wiring_koding_host='koding.localhost', gitlab_wiring_koding_port=PORT)
    with open(os.environ['KG_AWX_LAB_VARS']) as handle:
        extravars.update(yaml.safe_load(handle))
    write(os.path.join(pdd, 'env', 'extravars'), json.dumps(extravars))

    # env/settings: facts cached in the artifacts, as AWX's fact cache does.
    write(os.path.join(pdd, 'env', 'settings'), json.dumps({'fact_cache_type': 'jsonfile', 'suppress_ansible_output': True}))


if __name__ == '__main__':
    main(sys.argv[1])
