# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runs the README's install and quick start blocks as a user would, against the lab.

Usage: readme.py README WORK, with KG_QUICKSTART_* in the environment (see tests/quickstart/run.sh).

The blocks run are the ones the README marks with ``<!-- quickstart: NAME -->``:

- ``install``: run in a copy of the checkout, with HOME in WORK (so ``~/.ansible/collections`` is WORK's);
- ``inventory.yml``: written to WORK/inventory.yml;
- ``run``: run in WORK.

The only edits are the ones a user makes: the example values become the lab's (the GitLab's URL, its token, the
team admin's password, and Koding's name, ``koding.localhost``). What the lab adds, a user's own settings for their
host would add: WORK/group_vars/koding.yml, beside the inventory, holds the lab's connection (the controller plays the
Koding host), its images and its stack directory.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_GROUP_VARS = os.path.join(HERE, '..', '..', 'playbooks', 'inventories', 'lab', 'group_vars', 'koding.yml')
MARKED_BLOCK = re.compile(r'^<!-- quickstart: (?P<name>\S+) -->\n+```\w*\n(?P<body>.*?)^```$', re.MULTILINE | re.DOTALL)
WANTED = ('install', 'inventory.yml', 'run')
# A port of its own: other stacks of the tests use 8090, 18290 and 18390.
PORT = 18490


def marked_blocks(readme):
    with open(readme) as handle:
        text = handle.read()
    blocks = {}
    for match in MARKED_BLOCK.finditer(text):
        if match.group('name') in blocks:
            raise SystemExit('README: two blocks are marked quickstart: %s' % match.group('name'))
        blocks[match.group('name')] = match.group('body')
    missing = [name for name in WANTED if name not in blocks]
    if missing:
        raise SystemExit('README: no block marked quickstart: %s' % ', '.join(missing))
    return blocks


def filled_in(block):
    """The block with the example values replaced by the lab's, as a user replaces them by their own."""
    replacements = {
        'https://gitlab.example.com': os.environ['KG_QUICKSTART_GITLAB_URL'],
        'koding.example.com': 'koding.localhost',
        # The secrets: the dots become the value, which the environment holds under the variable's own name.
        'GITLAB_API_TOKEN=...': 'GITLAB_API_TOKEN="${KG_QUICKSTART_GITLAB_TOKEN}"',
        'KODING_TEAM_ADMIN_PASSWORD=...': 'KODING_TEAM_ADMIN_PASSWORD="${KG_QUICKSTART_PASSWORD}"',
        # Let's Encrypt cannot reach the lab: the quick start runs the plain-http path here. The https path (files,
        # and ACME through Pebble) is run by .ci/site, tests/e2e and the koding_tls Molecule scenario.
        'koding_tls: acme': 'koding_tls: none',
    }
    for example, value in replacements.items():
        block = block.replace(example, value)
    if '...' in block or 'example.com' in block:
        raise SystemExit('README: an example value the test does not know how to fill in:\n%s' % block)
    return block


def lab_group_vars(work):
    """The lab's settings for the Koding host: what a user's group_vars would hold for theirs."""
    with open(LAB_GROUP_VARS) as handle:
        settings = yaml.safe_load(handle)
    for name in ('gitlab_wiring_koding_hostname', 'koding_team_admin_email', 'koding_team_admin_password'):
        settings.pop(name)  # the quick start's inventory sets these
    with open(os.environ['KG_QUICKSTART_LAB_VARS']) as handle:
        settings.update(yaml.safe_load(handle))
    settings.update(
        lab_dir=os.path.join(work, 'lab'),
        koding_project_name='koding-quickstart',
        gitlab_wiring_koding_public_port=PORT,
        koding_gitlab_url=os.environ['KG_QUICKSTART_GITLAB_CONTAINER_URL'],
        koding_backend_networks=[{'name': os.environ['KG_QUICKSTART_NETWORK'], 'aliases': ['koding.localhost', 'gitlab.koding.localhost']}],
        # The controller plays the Koding host. It runs as root and has no sudo: become through su.
        ansible_connection='local',
        ansible_python_interpreter=sys.executable,
        ansible_become_method='ansible.builtin.su',
    )
    return settings


def run(name, block, cwd, environment):
    print('--- quickstart: %s\n%s' % (name, block), flush=True)
    result = subprocess.run(
        ['bash', '-euo', 'pipefail', '-c', block], cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    with open(os.path.join(os.environ['KG_QUICKSTART_WORK'], '%s.log' % name), 'w') as handle:
        handle.write(result.stdout)
    if result.returncode:
        print(result.stdout[-6000:])
        raise SystemExit('the README block quickstart: %s failed (exit %d)' % (name, result.returncode))
    return result.stdout


def main(readme, work):
    blocks = marked_blocks(readme)
    home = os.path.join(work, 'home')
    checkout = os.path.join(work, 'checkout')
    os.makedirs(home, mode=0o700)
    os.makedirs(os.path.join(work, 'lab'), mode=0o700)
    shutil.copytree(os.environ['KG_QUICKSTART_CHECKOUT'], checkout, symlinks=True, ignore=shutil.ignore_patterns('.git'))

    # A user's shell: their own HOME, no collections path of the tests, the toolchain's ansible and pip on PATH.
    environment = {name: value for name, value in os.environ.items() if not name.startswith(('ANSIBLE_', 'GITLAB_', 'KODING_'))}
    environment.update(HOME=home, ANSIBLE_FORCE_COLOR='0', ANSIBLE_NOCOLOR='1')

    run('install', filled_in(blocks['install']), checkout, environment)
    installed = os.path.join(home, '.ansible', 'collections', 'ansible_collections', 'koding', 'gitlab', 'MANIFEST.json')
    if not os.path.isfile(installed):
        raise SystemExit('the install block did not install koding.gitlab into ~/.ansible/collections')

    with open(os.path.join(work, 'inventory.yml'), 'w') as handle:
        handle.write(filled_in(blocks['inventory.yml']))
    os.makedirs(os.path.join(work, 'group_vars'))
    with open(os.path.join(work, 'group_vars', 'koding.yml'), 'w') as handle:
        handle.write('---\n' + yaml.safe_dump(lab_group_vars(work)))

    output = run('run', filled_in(blocks['run']), work, environment)
    recaps = re.findall(r'^PLAY RECAP.*?(?=^\S|\Z)', output, re.MULTILINE | re.DOTALL)
    if not recaps or any(re.search(r'(failed|unreachable)=[1-9]', recap) for recap in recaps):
        raise SystemExit('the quick start did not end with a clean PLAY RECAP')
    summary = re.findall(r'verify: \d+ passed, 0 failed', output)
    if not summary:
        raise SystemExit('the quick start\'s verify printed no summary with 0 failed')
    print('quickstart: the README\'s install and quick start ran as written against the lab (%s)' % summary[-1])


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
