#!/usr/bin/python
# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: docker_engine_info
short_description: Read whether Docker is installed and running as the docker_engine role leaves it
version_added: 0.1.0
description:
  - Reads, in one pass and without writing anything, what the C(koding.gitlab.docker_engine) role needs to know to
    skip its package and service tasks on a host already prepared, whether Debian packages are installed, whether
    files exist, the versions of the engine, of Compose and of a Compose plugin binary, whether the service is
    enabled, and the few host facts the role decides with (distribution, architecture, service manager), so that a
    play needs no fact gathering for it.
  - The commands run side by side; one that is missing, fails or takes longer than O(timeout) answers V(null).
author:
  - koding.gitlab maintainers (@koding-gitlab)
extends_documentation_fragment:
  - koding.gitlab.attributes
  - koding.gitlab.attributes.info_module
options:
  packages:
    description:
      - Debian packages whose installed state to read (C(dpkg-query)).
    type: list
    elements: str
    default: []
  files:
    description:
      - Paths whose existence to read.
    type: list
    elements: path
    default: []
  compose_plugin:
    description:
      - A Compose plugin binary whose version to read (C(<compose_plugin> version --short)), when it exists.
    type: path
  daemon_config:
    description:
      - The engine's configuration file (C(/etc/docker/daemon.json)) whose settings to read, so that a role that keeps
        them writes the file only when they differ.
    type: path
  service:
    description:
      - The Docker service whose C(systemctl is-enabled) state to read; unset (or a host without systemd) reads none.
    type: str
  timeout:
    description:
      - Seconds each command may take.
    type: int
    default: 30
seealso:
  - name: The docker_engine role
    description: Installs Docker Engine and Compose v2, and reads the host with this module first.
    link: https://github.com/koding-gitlab/koding.gitlab/blob/main/roles/docker_engine/README.md
"""

EXAMPLES = r"""
- name: Read what is already installed and running
  koding.gitlab.docker_engine_info:
    packages: [docker.io, docker-compose-v2]
    files: [/usr/bin/docker]
    service: docker
  register: docker_state

- name: Show the engine's version
  ansible.builtin.debug:
    msg: "Docker {{ docker_state.docker | default('is not running', true) }}"
"""

RETURN = r"""
packages:
  description: For each of O(packages), whether it is installed.
  returned: always
  type: dict
  sample: {"docker.io": true, "docker-compose-v2": false}
files:
  description: For each of O(files), whether it exists.
  returned: always
  type: dict
  sample: {"/usr/bin/docker": true}
daemon_config:
  description:
    - The settings in O(daemon_config), a JSON object; V(null) when O(daemon_config) is unset, or the file is missing,
      unreadable or not a JSON object.
  returned: always
  type: dict
  sample: {"log-driver": "local"}
docker:
  description: The engine's version (C(docker info)); V(null) when the engine does not answer.
  returned: always
  type: str
  sample: 26.1.5
compose:
  description: The version of C(docker compose); V(null) without Compose v2.
  returned: always
  type: str
  sample: 2.27.0
plugin:
  description: The version of O(compose_plugin); V(null) when it is unset, missing or does not answer.
  returned: always
  type: str
  sample: v2.29.7
enabled:
  description: The service's C(systemctl is-enabled) answer; V(null) when O(service) is unset or systemd does not answer.
  returned: always
  type: str
  sample: enabled
facts:
  description:
    - The host's distribution (from C(/etc/os-release)), architecture and service manager, under the names of
      C(ansible_facts) of the same meaning; a value the host does not tell is V(null).
    - C(service_mgr) follows Ansible's own rule on Linux. It is the host's first process (unless that is C(init) or
      a shell), else V(systemd), V(upstart), V(openrc) or V(sysvinit) by what the host has, else V(service).
  returned: always
  type: dict
  sample:
    architecture: x86_64
    distribution: Debian
    distribution_major_version: "12"
    distribution_release: bookworm
    distribution_version: "12"
    os_family: Debian
    service_mgr: systemd
"""

import json
import os
import platform
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.koding.gitlab.plugins.module_utils._host_commands import answers
from ansible_collections.koding.gitlab.plugins.module_utils._host_files import read_text


def argument_spec():
    return dict(
        packages=dict(type='list', elements='str', default=[]),
        files=dict(type='list', elements='path', default=[]),
        compose_plugin=dict(type='path'),
        daemon_config=dict(type='path'),
        service=dict(type='str'),
        timeout=dict(type='int', default=30),
    )


# daemon.json is a few lines; a larger file is not one the role wrote.
DAEMON_CONFIG_LIMIT = 1024 * 1024


def daemon_settings(path):
    """The JSON object in the engine's configuration file at PATH; None when unset, missing, unreadable or not one."""
    if not path:
        return None
    try:
        settings = json.loads(read_text(path, DAEMON_CONFIG_LIMIT) or '')
    except (ValueError, RecursionError):
        return None
    return settings if isinstance(settings, dict) else None


def installed_packages(module, packages):
    """{package: installed?}; a package dpkg does not know is not installed."""
    installed = dict((name, False) for name in packages)
    if not packages:
        return installed
    dpkg_query = module.get_bin_path('dpkg-query')
    if dpkg_query is None:
        return installed
    listing = module.run_command([dpkg_query, '-W', '-f=${Package} ${db:Status-Status}\\n'] + list(packages))[1]
    for line in listing.splitlines():
        name, dummy, status = line.partition(' ')
        if name in installed:
            installed[name] = status.strip() == 'installed'
    return installed


# The distributions whose C(ID) Ansible spells otherwise than capitalized, and the os_family of the Debian ones.
DISTRIBUTION_NAMES = {'debian': 'Debian', 'ubuntu': 'Ubuntu', 'linuxmint': 'Linux Mint', 'pop': 'Pop!_OS', 'kali': 'Kali'}
DEBIAN_FAMILY = ('debian', 'ubuntu')
SYSTEMD_MARKERS = ('/run/systemd/system/', '/dev/.run/systemd/', '/dev/.systemd/')
FIRST_PROCESS_MANAGERS = {'procd': 'openwrt_init', 'runit-init': 'runit', 'svscan': 'svc', 'openrc-init': 'openrc'}


def os_release(text):
    """The KEY=value pairs of an os-release file, unquoted."""
    values = {}
    for line in (text or '').splitlines():
        key, equals, value = line.strip().partition('=')
        if equals and key and not key.startswith('#'):
            values[key] = value.strip().strip('"\'')
    return values


def host_facts():
    release = os_release(read_text('/etc/os-release') or read_text('/usr/lib/os-release'))
    ident = release.get('ID', '').lower()
    family = [ident] + release.get('ID_LIKE', '').lower().split()
    version = release.get('VERSION_ID') or None
    return dict(
        architecture=platform.machine() or None,
        distribution=DISTRIBUTION_NAMES.get(ident, ident.capitalize()) if ident else None,
        distribution_major_version=version.split('.')[0] if version else None,
        distribution_release=release.get('VERSION_CODENAME') or release.get('UBUNTU_CODENAME') or None,
        distribution_version=version,
        os_family='Debian' if any(name in DEBIAN_FAMILY for name in family) else (ident.capitalize() or None),
        service_mgr=service_manager(),
    )


def service_manager():
    """The service manager as Ansible's service_mgr fact names it on Linux: the first process, unless it is init or a
    shell (a container's), else what the system has."""
    first = (read_text('/proc/1/comm') or '').strip()
    if first and first != 'init' and not first.endswith('sh'):
        return FIRST_PROCESS_MANAGERS.get(first, first)
    if any(os.path.isdir(marker) for marker in SYSTEMD_MARKERS):
        return 'systemd'
    if shutil.which('initctl') and os.path.exists('/etc/init/'):
        return 'upstart'
    if os.path.exists('/sbin/openrc'):
        return 'openrc'
    if os.path.exists('/etc/init.d/'):
        return 'sysvinit'
    return 'service'


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    if params['timeout'] <= 0:
        module.fail_json(msg='timeout must be a whole number of seconds above 0; got %d.' % params['timeout'])
    plugin = params['compose_plugin']
    commands = dict(
        docker=['docker', 'info', '--format', '{{.ServerVersion}}'],
        compose=['docker', 'compose', 'version', '--short'],
        plugin=[plugin, 'version', '--short'] if plugin else None,
        enabled=['systemctl', 'is-enabled', params['service']] if params['service'] else None,
    )
    result = dict(
        changed=False,
        packages=installed_packages(module, params['packages']),
        files=dict((path, os.path.exists(path)) for path in params['files']),
        daemon_config=daemon_settings(params['daemon_config']),
        facts=host_facts(),
    )
    result.update(answers(module, commands, params['timeout']))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
