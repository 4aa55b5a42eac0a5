# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The awx stage's stand-in for an AWX controller: each awx.awx module call of docs/awx/awx_setup.yml is checked
against the options the real module documents and appended to a record, which tests/awx/private_data_dir.py reads
back to lay out the job as AWX would run it (see tests/awx/README.md)."""

from __future__ import annotations

import ast
import fcntl
import json
import os

import yaml
from ansible.module_utils.basic import AnsibleModule

# Options the real modules mark no_log (awx.awx 24.6.1: plugins/modules/credential.py `inputs`,
# plugins/doc_fragments/auth.py `controller_password` and `controller_oauthtoken`).
SECRET_OPTIONS = ('inputs', 'controller_password', 'controller_oauthtoken')


def documented_options(real_collection, name):
    """The options of the real awx.awx module NAME and of its auth fragment, from their DOCUMENTATION."""
    options = {}
    for path in (os.path.join(real_collection, 'plugins', 'doc_fragments', 'auth.py'), os.path.join(real_collection, 'plugins', 'modules', name + '.py')):
        with open(path) as handle:
            tree = ast.parse(handle.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) == 'DOCUMENTATION':
                options.update(yaml.safe_load(node.value.value)['options'])
    return options


def argument_spec(options):
    spec = {}
    for option, doc in options.items():
        entry = {'type': doc.get('type', 'str'), 'required': bool(doc.get('required')), 'no_log': option in SECRET_OPTIONS}
        for key in ('choices', 'elements', 'aliases'):
            if key in doc:
                entry[key] = doc[key]
        if 'default' in doc:
            entry['default'] = doc['default']
        spec[option] = entry
    return spec


def main(name):
    real_collection = os.environ['KG_AWX_REAL_COLLECTION']
    module = AnsibleModule(argument_spec=argument_spec(documented_options(real_collection, name)), supports_check_mode=True)
    given = {option: value for option, value in module.params.items() if value is not None}
    descriptor = os.open(os.environ['KG_AWX_RECORD'], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, 'a') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(json.dumps({'module': name, 'params': given}) + '\n')
    module.exit_json(changed=True)
