# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import types
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.koding.gitlab.plugins.modules import docker_engine_info
from ansible_collections.koding.gitlab.tests.unit.plugins.module_harness import run_main

NO_REQUESTS = types.SimpleNamespace(Session=None)


def run(args, commands, dpkg=''):
    started = []

    def fake_run_command(self, argv, **kwargs):  # pylint: disable=unused-argument
        started.append(list(argv))
        if argv[0] == 'dpkg-query':
            return 0, dpkg, ''
        answer = commands.get(tuple(argv[:2]))
        if answer is None:
            return 1, '', 'not answered'
        return (answer[1] if len(answer) > 1 else 0), answer[0], ''

    def fake_bin_path(self, name, *dummy, **kwargs):  # pylint: disable=unused-argument
        return None if name == 'timeout' else name

    with mock.patch.object(basic.AnsibleModule, 'run_command', fake_run_command), mock.patch.object(basic.AnsibleModule, 'get_bin_path', fake_bin_path):
        return run_main(docker_engine_info.main, args, NO_REQUESTS, None, check_mode=True), started


def test_a_prepared_host(tmp_path):
    plugin = tmp_path / 'docker-compose'
    plugin.write_text('', encoding='utf-8')
    result, started = run(
        dict(
            packages=['docker.io', 'docker-compose-v2', 'docker-ce'],
            files=[str(plugin), str(tmp_path / 'missing')],
            compose_plugin=str(plugin),
            service='docker',
        ),
        {
            ('docker', 'info'): ('26.1.5\n',),
            ('docker', 'compose'): ('2.27.0\n',),
            (str(plugin), 'version'): ('v2.29.7\n',),
            ('systemctl', 'is-enabled'): ('enabled\n',),
        },
        dpkg='docker.io installed\ndocker-compose-v2 installed\n',
    )
    facts = result.pop('facts')
    names = {'architecture', 'distribution', 'distribution_major_version', 'distribution_release', 'distribution_version', 'os_family'}
    assert set(facts) == names | {'service_mgr'}
    assert result == dict(
        changed=False,
        warnings=[],
        packages={'docker.io': True, 'docker-compose-v2': True, 'docker-ce': False},
        files={str(plugin): True, str(tmp_path / 'missing'): False},
        docker='26.1.5',
        compose='2.27.0',
        plugin='v2.29.7',
        enabled='enabled',
        daemon_config=None,
    )
    assert ['systemctl', 'is-enabled', 'docker'] in started


def test_a_bare_host(tmp_path):
    result, started = run(dict(packages=['docker.io'], compose_plugin=str(tmp_path / 'missing')), {('docker', 'info'): ('', 1)})
    assert result['packages'] == {'docker.io': False}
    assert result['docker'] is None
    assert result['compose'] is None
    assert result['plugin'] is None
    assert result['enabled'] is None
    assert not [argv for argv in started if 'is-enabled' in argv]


@pytest.mark.parametrize(
    'content, settings',
    [
        ('{\n    "log-driver": "local",\n    "live-restore": true\n}\n', {'log-driver': 'local', 'live-restore': True}),
        ('["not", "an", "object"]', None),
        ('{"cut', None),
        (None, None),
    ],
)
def test_the_engine_settings_are_read(tmp_path, content, settings):
    path = tmp_path / 'daemon.json'
    if content is not None:
        path.write_text(content, encoding='utf-8')
    result, dummy = run(dict(daemon_config=str(path)), {})
    assert result['daemon_config'] == settings


def test_a_bad_timeout_is_refused():
    result = run_main(docker_engine_info.main, dict(timeout=-1), NO_REQUESTS, None, expect_fail=True)
    assert 'timeout must be' in result['msg']


UBUNTU = '''NAME="Ubuntu"
VERSION_ID="24.04"
# a comment
ID=ubuntu
ID_LIKE=debian
VERSION_CODENAME=noble
'''


def facts_of(files, systemd=False, paths=()):
    def fake_read(path):
        return files.get(path)

    def fake_isdir(path):
        return systemd and path == '/run/systemd/system/'

    with mock.patch.object(docker_engine_info, 'read_text', fake_read), mock.patch.object(docker_engine_info.os.path, 'isdir', fake_isdir):
        with mock.patch.object(docker_engine_info.os.path, 'exists', lambda path: path in paths), mock.patch.object(
            docker_engine_info.shutil, 'which', lambda name: None
        ):
            return docker_engine_info.host_facts()


def test_the_facts_of_an_ubuntu_host_under_systemd():
    facts = facts_of({'/etc/os-release': UBUNTU}, systemd=True)
    assert facts['distribution'] == 'Ubuntu'
    assert facts['distribution_version'] == '24.04'
    assert facts['distribution_major_version'] == '24'
    assert facts['distribution_release'] == 'noble'
    assert facts['os_family'] == 'Debian'
    assert facts['service_mgr'] == 'systemd'


def test_the_facts_of_a_host_outside_the_debian_family():
    facts = facts_of({'/usr/lib/os-release': 'ID="fedora"\nVERSION_ID=40\n', '/proc/1/comm': 'tini\n'})
    assert facts['distribution'] == 'Fedora'
    assert facts['os_family'] == 'Fedora'
    assert facts['distribution_release'] is None
    assert facts['service_mgr'] == 'tini'


def test_the_facts_of_a_host_that_tells_nothing():
    facts = facts_of({})
    assert facts['distribution'] is None
    assert facts['os_family'] is None
    assert facts['service_mgr'] == 'service'


def test_a_container_whose_first_process_is_a_shell_has_the_init_scripts_as_service_manager():
    # As Ansible's service_mgr fact: a shell (or init) as the first process says nothing.
    assert facts_of({'/proc/1/comm': 'sh\n'}, paths=('/etc/init.d/',))['service_mgr'] == 'sysvinit'
    assert facts_of({'/proc/1/comm': 'bash\n'}, paths=('/etc/init.d/', '/sbin/openrc'))['service_mgr'] == 'openrc'
    assert facts_of({'/proc/1/comm': 'runit-init\n'})['service_mgr'] == 'runit'
