# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Writes the extra vars the awx stage gives docs/awx/awx_setup.yml: the project's URL and the lab's Koding host
with its variables (what an operator gives for their own host).

Usage: setup_vars.py OUTPUT PROJECT_URL, with KG_AWX_WORK and KG_AWX_LAB_VARS in the environment.
"""

from __future__ import annotations

import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_GROUP_VARS = os.path.join(HERE, '..', '..', 'playbooks', 'inventories', 'lab', 'group_vars', 'koding.yml')


def main(output, project_url):
    with open(LAB_GROUP_VARS) as handle:
        host_vars = yaml.safe_load(handle)
    for name in ('koding_team_admin_email', 'koding_team_admin_password', 'gitlab_wiring_koding_hostname'):
        host_vars.pop(name, None)  # the job template's credential and its survey give these
    with open(os.environ['KG_AWX_LAB_VARS']) as handle:
        host_vars.update(yaml.safe_load(handle))
    lab = os.path.join(os.environ['KG_AWX_WORK'], 'lab')
    os.makedirs(lab, mode=0o700, exist_ok=True)
    # The controller plays the Koding host, with a stack of its own.
    # Plain values, as an operator types them: awx_setup.yml renders what it is given.
    host_vars = {name: value.replace('{{ lab_dir }}', lab) if isinstance(value, str) else value for name, value in host_vars.items() if name != 'lab_dir'}
    host_vars.update(koding_project_name='koding-awx', ansible_connection='local', ansible_python_interpreter=sys.executable)
    extra_vars = {'awx_project_scm_url': project_url, 'awx_koding_hosts': [{'name': 'koding-lab', 'variables': host_vars}]}
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, 'w') as handle:
        json.dump(extra_vars, handle)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
