# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# /// script
# dependencies = ["nox>=2026.8.10", "antsibull-nox>=1.10.0"]
# ///

"""The collection's test sessions: antsibull-nox's (antsibull-nox.toml) and ansible-test's.

    nox -e lint extra-checks ansible-lint
                                     ruff check and format, yamllint, no stray files or trailing whitespace,
                                     ansible-lint (production profile)
    nox -e formatters                format plugins/ and tests/ with ruff
    nox -e sanity-2.21               ansible-test sanity with that ansible-core release (no ignore entries)
    nox -e units-2.21 units-2.19     ansible-test units with that ansible-core release
    nox -e integration-2.21          ansible-test integration against the lab; run it through
                                     tests/integration/run.sh, which starts the lab first

Arguments after `--` go to ansible-test, for example `nox -e units-2.19 -- --python 3.11`.
`bash .ci/test` runs these sessions from its toolchains (tests/requirements/).

Collection dependencies come from the `ansible` package installed next to nox when there is
one (it ships community.docker and amazon.aws), so no session needs Galaxy.
"""

import atexit
import os
import shutil
import sys
from importlib import metadata
from pathlib import Path

import nox

try:
    import antsibull_nox
except ImportError:
    print('You need to install antsibull-nox in the same Python environment as nox.')
    sys.exit(1)

# The newest ansible-core release and the oldest one CI tests (meta/runtime.yml allows older ones).
ANSIBLE_CORE_NEWEST = '2.21'
ANSIBLE_CORE_OLDEST = '2.19'

COLLECTION_ROOT = Path(__file__).resolve().parent
# Collection copies whose tests/output antsibull-nox copies back (after a run that passed).
COPIED_BACK = set()

# The path of the integration_config.yml tests/integration/run.sh writes for the lab it started.
INTEGRATION_CONFIG_ENV = 'KG_INTEGRATION_CONFIG'


def use_bundled_collections():
    """Let antsibull-nox find the collections of the `ansible` package next to nox instead of installing them."""
    try:
        bundled = metadata.distribution('ansible').locate_file('')
    except metadata.PackageNotFoundError:
        return
    if not (Path(bundled) / 'ansible_collections').is_dir():
        return
    paths = [path for path in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep) if path]
    os.environ['ANSIBLE_COLLECTIONS_PATH'] = os.pathsep.join(paths + [str(bundled)])
    # A collection that is still missing is an error rather than a download.
    os.environ.setdefault('ANTSIBULL_NOX_INSTALL_COLLECTIONS', 'never')


def keep_output_of_failed_run():
    """Copy ansible-test's output (tests/output: the targets' logs) out of the collection copy if ansible-test fails.

    antsibull-nox copies it back after a run that passed, but removes the copy, output and all, when nox exits.
    """
    copy = Path.cwd()

    def copy_back():
        source = copy / 'tests' / 'output'
        if copy in COPIED_BACK or not source.is_dir():
            return
        shutil.copytree(source, COLLECTION_ROOT / 'tests' / 'output', symlinks=True, dirs_exist_ok=True)
        print('ansible-test output of the failed run: tests/output/')

    # Registered after antsibull-nox's removal of the copy, so it runs before it.
    atexit.register(copy_back)


def copy_integration_config():
    """Put the lab's integration_config.yml into the collection copy ansible-test runs in (the current directory)."""
    keep_output_of_failed_run()
    source = os.environ.get(INTEGRATION_CONFIG_ENV)
    if not source:
        raise SystemExit('%s is not set: run the integration tests through tests/integration/run.sh, which starts the lab.' % INTEGRATION_CONFIG_ENV)
    destination = Path('tests', 'integration', 'integration_config.yml')
    shutil.copyfile(source, destination)
    destination.chmod(0o600)


def prepare_output_copy():
    """Create tests/output's directories here, parents first, before antsibull-nox copies ansible-test's output back.

    antsibull-nox 1.10 copies the tree bottom-up and cannot create a nested directory (tests/output/.tmp/pylint)
    whose parent is missing.
    """
    for directory in sorted(path for path in Path('tests', 'output').rglob('*') if path.is_dir()):
        (COLLECTION_ROOT / directory).mkdir(parents=True, exist_ok=True)
    COPIED_BACK.add(Path.cwd())


use_bundled_collections()
antsibull_nox.load_antsibull_nox_toml()

for core in (ANSIBLE_CORE_NEWEST, ANSIBLE_CORE_OLDEST):
    antsibull_nox.add_ansible_test_session(
        name='sanity-%s' % core,
        description='Run ansible-test sanity with ansible-core %s (no ignore entries)' % core,
        ansible_test_params=['sanity', '--local', '--requirements'],
        default=core == ANSIBLE_CORE_NEWEST,
        ansible_core_version=core,
        ansible_core_source='pypi',
        callback_before=keep_output_of_failed_run,
        callback_after=prepare_output_copy,
    )
    antsibull_nox.add_ansible_test_session(
        name='units-%s' % core,
        description='Run ansible-test units with ansible-core %s' % core,
        ansible_test_params=['units', '--local', '--requirements'],
        default=True,
        ansible_core_version=core,
        ansible_core_source='pypi',
        callback_before=keep_output_of_failed_run,
        callback_after=prepare_output_copy,
    )
    antsibull_nox.add_ansible_test_session(
        name='integration-%s' % core,
        description='Run ansible-test integration with ansible-core %s against the lab (tests/integration/run.sh)' % core,
        ansible_test_params=['integration', '--local', '--requirements'],
        default=False,
        ansible_core_version=core,
        ansible_core_source='pypi',
        callback_before=copy_integration_config,
        callback_after=prepare_output_copy,
    )


# Run with `python noxfile.py` as well.
if __name__ == '__main__':
    nox.main()
