#!/usr/bin/python
# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: koding_deployment_info
short_description: Read what the koding role has deployed on the Docker host
version_added: 0.1.0
description:
  - Reads, in one pass and without writing anything, what the C(koding.gitlab.koding) role needs to know to skip work
    already done, the project directory's mode and those of O(directories), the checkout's commit, the SHA-1 of the files the role manages, the
    stamps of its build and Mongo seed, the upstream files it edits, the project's containers, the bundled Mongo
    volume and Docker's data directory.
  - It reads no secret, so its result may be shown; the secrets are kept by M(koding.gitlab.koding_secrets).
  - The Docker commands run side by side; one that fails or takes longer than O(timeout) answers V(null).
author:
  - koding.gitlab maintainers (@koding-gitlab)
extends_documentation_fragment:
  - koding.gitlab.attributes
  - koding.gitlab.attributes.info_module
options:
  base_dir:
    description:
      - The Compose project directory.
    type: path
    required: true
  checkout_dir:
    description:
      - The Koding checkout, whose C(.git/HEAD) tells the commit and in which O(sources) are read.
    type: path
    required: true
  project:
    description:
      - The Compose project name, whose containers are listed when O(files) has a C(compose.yml) that exists.
    type: str
    required: true
  files:
    description:
      - Files whose SHA-1 to read, by name.
    type: dict
    default: {}
  directories:
    description:
      - Directories whose mode to read, by name.
    type: dict
    default: {}
  stamps:
    description:
      - Stamp files whose first line to read, by name.
    type: dict
    default: {}
  sources:
    description:
      - Files of the checkout, relative to O(checkout_dir), whose text to return.
    type: list
    elements: str
    default: []
  mongo_volume:
    description:
      - The Docker volume whose creation time to read; empty reads none.
    type: str
    default: ''
  docker_root:
    description:
      - Whether to read Docker's data directory (C(docker info)), which also tells whether the engine answers.
    type: bool
    default: false
  secrets_file:
    description:
      - The secret store of M(koding.gitlab.koding_secrets) to read O(secret_names) from, so that a run that finds them
        all kept needs no run of that module.
      - The answer then holds secrets; the module's action hides it from the output, and the task registering it
        should be C(no_log) where it is shown otherwise.
    type: path
  secret_names:
    description:
      - The names to read from O(secrets_file).
    type: list
    elements: str
    default: []
  timeout:
    description:
      - Seconds each Docker command may take.
    type: int
    default: 60
seealso:
  - module: koding.gitlab.koding_secrets
  - name: The koding role
    description: Deploys the Koding stack, and reads the host with this module first.
    link: https://github.com/koding-gitlab/koding.gitlab/blob/main/docs/koding-role.md
"""

EXAMPLES = r"""
- name: Read what is deployed on the host
  koding.gitlab.koding_deployment_info:
    base_dir: /opt/koding-stack
    checkout_dir: /opt/koding-stack/koding
    project: koding
    files:
      compose.yml: /opt/koding-stack/compose.yml
    stamps:
      build: /opt/koding-stack/build.stamp
    docker_root: true
  register: deployed

- name: Say whether the stack was ever built
  ansible.builtin.debug:
    msg: "{{ 'built' if deployed.stamps.build else 'never built' }}"
"""

RETURN = r"""
base_dir_mode:
  description: The mode of O(base_dir) in octal; V(null) when it does not exist.
  returned: always
  type: str
  sample: '0700'
overlay_dir:
  description: Whether O(base_dir) has an C(overlay) directory (the role's edited copies of Koding's files).
  returned: always
  type: bool
head:
  description: The content of the checkout's C(.git/HEAD) (a commit for a detached checkout); V(null) without one.
  returned: always
  type: str
  sample: 1b2b6217ed150bd8f522e97ac4fb6ababd377ace
files:
  description: For each of O(files), the SHA-1 of its content; V(null) when it cannot be read.
  returned: always
  type: dict
directories:
  description: For each of O(directories), its mode in octal; V(null) when it is not a directory.
  returned: always
  type: dict
  sample: {"tls": "0700"}
stamps:
  description: For each of O(stamps), its stripped content (up to 1000 characters); V(null) when it cannot be read.
  returned: always
  type: dict
sources:
  description: For each of O(sources), its text; V(null) when it cannot be read.
  returned: always
  type: dict
containers:
  description:
    - The project's containers (C(docker compose ps --all)), each with its C(Service), C(State), C(Health), C(Name)
      and C(Publishers); V(null) without a C(compose.yml) in O(files) or when Compose does not answer.
  returned: always
  type: list
  elements: dict
mongo_volume:
  description: When O(mongo_volume) was created; V(null) when unset or when the volume does not exist.
  returned: always
  type: str
secrets:
  description:
    - The values of O(secret_names) in O(secrets_file), when it is kept as M(koding.gitlab.koding_secrets) keeps it
      (a regular file of mode 0600, owned by root when read as root, holding a JSON object with a value for each name,
      and no temporary file of a killed write beside it); else V(null), and that module has work to do.
  returned: always
  type: dict
docker_root:
  description: Docker's data directory; V(null) when O(docker_root) is false or the engine does not answer.
  returned: always
  type: str
  sample: /var/lib/docker
"""

import hashlib
import json
import os
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.koding.gitlab.plugins.module_utils._host_commands import answers
from ansible_collections.koding.gitlab.plugins.module_utils._host_files import read_text
from ansible_collections.koding.gitlab.plugins.module_utils._private_file import is_private, stale_temporaries

# A stamp is one short line; more is not a stamp of the role's.
STAMP_LIMIT = 1000
# A secret store is small; a larger file is not one to read here (koding_secrets says what to do with it).
SECRETS_LIMIT = 1024 * 1024
CONTAINER_KEYS = ('Service', 'State', 'Health', 'Name', 'Publishers')


def argument_spec():
    return dict(
        base_dir=dict(type='path', required=True),
        checkout_dir=dict(type='path', required=True),
        project=dict(type='str', required=True),
        files=dict(type='dict', default={}),
        directories=dict(type='dict', default={}),
        stamps=dict(type='dict', default={}),
        sources=dict(type='list', elements='str', default=[]),
        mongo_volume=dict(type='str', default=''),
        docker_root=dict(type='bool', default=False),
        secrets_file=dict(type='path'),
        secret_names=dict(type='list', elements='str', default=[], no_log=False),
        timeout=dict(type='int', default=60),
    )


def read_bytes(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (OSError, ValueError, TypeError):
        return None


def sha1(path):
    content = read_bytes(path)
    return None if content is None else hashlib.sha1(content).hexdigest()


def stripped(text):
    return None if text is None else text.strip()


def directory_mode(path):
    try:
        info = os.stat(path)
    except (OSError, ValueError, TypeError):
        return None
    return '%04o' % stat.S_IMODE(info.st_mode) if stat.S_ISDIR(info.st_mode) else None


def kept_secrets(path, names):
    """The values of NAMES in the store at PATH when it is kept as koding_secrets keeps it; else None."""
    if not path or not names:
        return None
    try:
        info = os.lstat(path)
    except (OSError, ValueError):
        return None
    if not is_private(info) or info.st_size > SECRETS_LIMIT or stale_temporaries(path):
        return None
    try:
        stored = json.loads(read_bytes(path) or b'')
    except (ValueError, RecursionError):
        return None
    if not isinstance(stored, dict) or not all(isinstance(stored.get(name), str) and stored[name] for name in names):
        return None
    return dict((name, stored[name]) for name in names)


def container_rows(listing):
    """The containers of `docker compose ps --format json`: one object per line (Compose 2.21+) or one list (before)."""
    if listing is None:
        return None
    try:
        rows = json.loads(listing) if listing.startswith('[') else [json.loads(line) for line in listing.splitlines() if line.strip()]
    except ValueError:
        return None
    return [dict((key, row.get(key)) for key in CONTAINER_KEYS) for row in rows if isinstance(row, dict)]


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    if params['timeout'] <= 0:
        module.fail_json(msg='timeout must be a whole number of seconds above 0; got %d.' % params['timeout'])
    base_dir, checkout_dir = params['base_dir'], params['checkout_dir']
    files = dict((name, sha1(path)) for name, path in params['files'].items())
    commands = dict(
        containers=['docker', 'compose', '--project-name', params['project'], '--project-directory', base_dir, 'ps', '--all', '--format', 'json']
        if files.get('compose.yml')
        else None,
        mongo_volume=['docker', 'volume', 'inspect', '--format', '{{.CreatedAt}}', params['mongo_volume']] if params['mongo_volume'] else None,
        docker_root=['docker', 'info', '--format', '{{.DockerRootDir}}'] if params['docker_root'] else None,
    )
    result = dict(
        changed=False,
        base_dir_mode=directory_mode(base_dir),
        overlay_dir=os.path.isdir(os.path.join(base_dir, 'overlay')),
        head=stripped(read_text(os.path.join(checkout_dir, '.git', 'HEAD'))),
        files=files,
        directories=dict((name, directory_mode(path)) for name, path in params['directories'].items()),
        stamps=dict((name, stripped(read_text(path, STAMP_LIMIT))) for name, path in params['stamps'].items()),
        sources=dict((relpath, read_text(os.path.join(checkout_dir, relpath))) for relpath in params['sources']),
        secrets=kept_secrets(params['secrets_file'], params['secret_names']),
    )
    result.update(answers(module, commands, params['timeout']))
    result['containers'] = container_rows(result['containers'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
