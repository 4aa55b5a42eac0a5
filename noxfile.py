# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# /// script
# dependencies = ["nox>=2026.8.10", "antsibull-nox>=1.10.0"]
# ///

"""The collection's test sessions: antsibull-nox's (antsibull-nox.toml), ansible-test's and the CI's stages.

    nox -e lint extra-checks ansible-lint
                                     ruff check and format, yamllint, no stray files or trailing whitespace,
                                     meta/runtime.yml's action groups, ansible-lint (production profile)
    nox -e formatters                format plugins/ and tests/ with ruff
    nox -e sanity-2.21               ansible-test sanity with that ansible-core release (no ignore entries)
    nox -e units-2.21 units-2.19     ansible-test units with that ansible-core release
    nox -e integration-2.21          ansible-test integration against the lab; run it through
                                     tests/integration/run.sh, which starts the lab first
    nox -e build-import-check docs-check
                                     the Galaxy tarball through galaxy-importer; antsibull-docs' lint
    nox -e lab-fidelity upstream docker-engine benchmark benchmark-koding molecule e2e provision-e2e packaging awx
                                     the other stages of the CI, each through its own script or pytest
    nox -s ci -- [STAGE...]          the CI: every stage (or the named ones) on each toolchain that has it, in
                                     two lanes side by side, and a summary (`bash .ci/test` boots the machine,
                                     then runs this)

Arguments after `--` go to ansible-test, for example `nox -e units-2.19 -- --python 3.11`.
The sessions that need the lab's npm packages, Docker or a toolchain (tests/requirements/) get them from
.ci/lib.sh's helpers, so each runs on its own as well.

Collection dependencies come from the `ansible` package installed next to nox when there is
one (it ships community.docker and amazon.aws), so no session needs Galaxy.
"""

import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

import nox
from nox.command import CommandFailed

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


# ---------------------------------------------------------------- the CI's stages

# One stack at a time on a machine's Docker engine: the stage scripts that deploy one take this lock.
DOCKER_STACK_LOCK = '/tmp/kg-docker-stack.lock'

# Variables bash sets by itself, which boot() leaves out of what the helpers export.
BASH_OWN = {'_', 'SHLVL', 'PWD', 'OLDPWD'}


def boot(*steps):
    """Run .ci/lib.sh's helpers (kg_toolchain primary, kg_upstream_npm, kg_docker_up, ...); return what they export.

    Installing Debian and npm packages and starting Docker stay in bash; a session takes the variables they
    export (the toolchain's PATH, the npm trees' paths) into its own environment.
    """
    script = 'source .ci/lib.sh && { %s; } >&2 && env -0' % ' && '.join(steps)
    result = subprocess.run(['bash', '-c', script], cwd=COLLECTION_ROOT, stdout=subprocess.PIPE, check=False)
    if result.returncode != 0:
        raise RuntimeError('%s failed (exit %d)' % (' && '.join(steps), result.returncode))
    exported = dict(item.split('=', 1) for item in result.stdout.decode().split('\0') if '=' in item)
    return {name: value for name, value in exported.items() if os.environ.get(name) != value and name not in BASH_OWN}


def booted(session, *steps):
    """Boot what the session needs and put its environment in place for session.run."""
    try:
        session.env.update(boot(*steps))
    except RuntimeError as error:
        session.error(str(error))
    session.chdir(COLLECTION_ROOT)


def pytest_stage(session, directory, *options):
    """Run pytest on a directory of lab or upstream tests; collecting nothing (exit 5) fails, as a vanished suite must."""
    try:
        python = session.env.get('KG_PYTHON', 'python')
        session.run(python, '-m', 'pytest', '-p', 'no:cacheprovider', *options, directory, *session.posargs, external=True)
    except CommandFailed:
        session.error('pytest failed or collected no tests under %s' % directory)


def script_stage(name, script, description, *arguments, lock=False, output=None):
    """Add a nox session (no virtual environment) that runs one of the stage scripts, which set themselves up."""

    def stage(session):
        session.chdir(COLLECTION_ROOT)
        if not (COLLECTION_ROOT / script).exists():
            session.error('missing: %s' % script)
        env = {}
        if output:
            env[output[0]] = os.environ.get(output[0], str(COLLECTION_ROOT / '.cache' / output[1]))
        command = ['bash', script, *arguments, *session.posargs]
        if lock:
            command = ['flock', DOCKER_STACK_LOCK, *command]
        session.run(*command, env=env, external=True)

    stage.__doc__ = description
    nox.session(name=name, python=False, default=False)(stage)


@nox.session(name='lab-fidelity', python=False, default=False)
def lab_fidelity(session):
    """The lab GitLab, the Koding stand-in and the lab Mongo held to upstream's specs and drivers."""
    # The lab Mongo's driver round trip runs upstream's driver on upstream's Node.
    booted(session, 'kg_toolchain primary', 'kg_mongo_lab_npm')
    pytest_stage(session, 'tests/lab')


@nox.session(name='upstream', python=False, default=False)
def upstream(session):
    """Upstream Koding's own code (configure, config manager, connectivity check, HTTP specs) on what the roles make."""
    # The lab stack's tests need Docker; the spec tests run the stand-in in a network namespace.
    booted(session, 'kg_toolchain primary', 'kg_upstream_npm', 'kg_upstream_real', 'kg_docker_up', '{ command -v ip >/dev/null || kg_apt_install iproute2; }')
    if os.environ.get('CI'):
        # In CI the upstream files are there, so the tests must run rather than skip.
        session.env['KODING_UPSTREAM_REQUIRED'] = '1'
    pytest_stage(session, 'tests/upstream', '-rs')


@nox.session(name='docker-engine', python=False, default=False)
def docker_engine(session):
    """A Docker engine (started when none answers) and the Compose v2 plugin."""
    booted(session, 'kg_docker_up')
    session.run('docker', 'info', '--format', 'Docker engine {{.ServerVersion}}', external=True)
    session.run('docker', 'compose', 'version', external=True)


# The figures go to the log and .cache/; docs/benchmark*.md are refreshed by hand.
script_stage('benchmark', 'tests/benchmark/run.sh', 'Requests and seconds per no-op run, and hooks at scale.', output=('KG_BENCHMARK_OUTPUT', 'benchmark.md'))
script_stage(
    'benchmark-koding',
    'tests/benchmark/koding_role.sh',
    "The koding role's deployment and no-op run, side by side with the always-build collection.",
    '--reps',
    '2',
    lock=True,
    output=('KG_BENCHMARK_KODING_OUTPUT', 'benchmark-koding.md'),
)
script_stage('molecule', 'extensions/molecule/run.sh', "Molecule's scenarios on this machine's Docker engine.")
script_stage('e2e', 'tests/e2e/run.sh', 'End to end through the deployed stack, on the legacy and modern lab GitLab.')
script_stage('provision-e2e', 'tests/aws/provision_deploy.sh', 'site.yml from nothing with a provision_aws section against moto, then teardown.yml.')
script_stage('packaging', 'tests/packaging/run.sh', 'The tarball installed as Galaxy and AWX users get it (build-import-check and docs-check run first).')
script_stage('awx', 'tests/awx/run.sh', "The README's quick start, and the site job as AWX's executor runs it.")


# ---------------------------------------------------------------- the CI: stages in two lanes

# The toolchains (.ci/lib.sh's kg_toolchain, tests/requirements/) and the stages each runs.
COMPAT_STAGES = ('units', 'integration')
# Each lane runs its stages one after the other; the two lanes run side by side. The docker lane holds every
# stage that uses the Docker engine (their Compose projects, containers and fixed ports would collide), and
# lab-fidelity and packaging, which do not, so that both lanes take about as long; the host lane runs
# ansible-test, whose lab GitLabs and moto listen on free ports of their own, and only it writes the lab's
# integration_config.yml. Only the docker lane installs Debian or npm packages once the lanes have started.
# Both lanes read the collection tree (.cache/ansible_collections), which is copied once before they start.
LANES = {
    'docker': [
        ('docker-engine', 'primary'),
        ('upstream', 'primary'),
        ('lab-fidelity', 'primary'),
        ('packaging', 'primary'),
        ('benchmark', 'primary'),
        ('benchmark-koding', 'primary'),
        ('molecule', 'primary'),
        ('e2e', 'primary'),
        ('provision-e2e', 'primary'),
        ('awx', 'primary'),
    ],
    'host': [('sanity', 'primary'), ('lint', 'primary'), ('units', 'primary'), ('integration', 'primary'), ('units', 'compat'), ('integration', 'compat')],
}
STAGES = [step[0] for lane in LANES.values() for step in lane]
# Former names still accepted.
STAGE_ALIASES = {'ansible-lint': 'lint'}


def stage_commands(stage, env):
    """The commands (and their extra environment) of one stage on the toolchain whose environment is env."""
    nox_command = [str(Path(env['KG_VENV'], 'bin', 'nox')), '--download-python', 'never', '--reuse-venv', 'yes']
    versioned = [*nox_command, '--force-python', env['KG_PYTHON_VERSION']]
    ansible_test = ['--', '--python', env['KG_PYTHON_VERSION'], '--color', 'no']
    core = env['KG_ANSIBLE_CORE_VERSION']
    if stage in ('sanity', 'units'):
        return [([*versioned, '-e', '%s-%s' % (stage, core), *ansible_test], {})]
    if stage == 'lint':
        # CI=true: the formatters check instead of rewriting files. Its own ANSIBLE_HOME: ansible-lint puts
        # ANSIBLE_HOME/collections first on the collection path, where a stray koding.gitlab would shadow this tree.
        lint_env = {'CI': 'true', 'ANSIBLE_HOME': str(COLLECTION_ROOT / '.cache' / 'ansible-lint-home')}
        return [([*versioned, '-e', 'lint', 'extra-checks', 'ansible-lint'], lint_env)]
    if stage == 'integration':
        return [(['bash', 'tests/integration/run.sh'], {})]
    if stage == 'packaging':
        return [([*versioned, '-e', 'build-import-check', 'docs-check'], {}), ([*nox_command, '-e', 'packaging'], {})]
    return [([*nox_command, '-e', stage], {})]


def log_problem(stage, text):
    """What a stage's log shows and its exit status does not, or None."""
    # ansible-test passes when pytest collected nothing or every target was skipped; a unit suite that silently
    # vanished must fail.
    if stage == 'units' and not re.search(r'^=+ [0-9]+ passed', text, re.MULTILINE):
        return 'no unit test ran'
    # build-import-check only warns about what galaxy-importer reports; Galaxy's users see it.
    importer = re.search(r'galaxy_importer\.main.*?$(.*?)(?=^nox > |\Z)', text, re.MULTILINE | re.DOTALL)
    if stage == 'packaging' and importer and re.search(r'^\s*(WARNING|ERROR)|: (WARNING|ERROR)', importer.group(1), re.MULTILINE):
        return 'galaxy-importer reported warnings or errors (see above)'
    return None


def duration(seconds):
    return '%dm%02ds' % (seconds // 60, seconds % 60)


class Lanes:
    """Runs the lanes side by side, each stage's output into .cache/ci/<stage>-<toolchain>.log and, prefixed, here."""

    def __init__(self, envs):
        self.envs = envs
        self.logs = COLLECTION_ROOT / '.cache' / 'ci'
        self.logs.mkdir(parents=True, exist_ok=True)
        self.print_lock = threading.Lock()
        self.results = {}
        self.running = set()

    def say(self, line):
        with self.print_lock:
            print(line, flush=True)

    def run_stage(self, lane, stage, toolchain):
        label = '%s (%s)' % (stage, toolchain)
        log = self.logs / ('%s-%s.log' % (stage, toolchain))
        self.say('==== %s: %s starts (log: %s)' % (lane, label, log.relative_to(COLLECTION_ROOT)))
        start = time.monotonic()
        status = 0
        with log.open('w', buffering=1) as output:
            for command, extra_env in stage_commands(stage, self.envs[toolchain]):
                process = subprocess.Popen(
                    command,
                    cwd=COLLECTION_ROOT,
                    env={**self.envs[toolchain], **extra_env},
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                self.running.add(process)
                for raw in process.stdout:
                    line = raw.decode(errors='replace').rstrip('\n')
                    output.write(line + '\n')
                    self.say('[%s] %s' % (label, line))
                status = process.wait()
                self.running.discard(process)
                if status:
                    break
        problem = status == 0 and log_problem(stage, log.read_text(errors='replace'))
        if problem:
            self.say('[%s] %s' % (label, problem))
            status = 1
        took = time.monotonic() - start
        self.results[(stage, toolchain)] = (status, took)
        self.say('==== %s: %s %s in %s' % (lane, label, 'passed' if status == 0 else 'FAILED (exit %d)' % status, duration(took)))

    def run_lane(self, lane, stages):
        for stage, toolchain in stages:
            self.run_stage(lane, stage, toolchain)

    def run(self, plan):
        threads = [threading.Thread(target=self.run_lane, args=item) for item in plan.items()]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            # Interrupted: the stages' process groups go with it.
            for process in list(self.running):
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)


@nox.session(name='ci', python=False, default=False)
def ci(session):
    """Run the CI's stages (all, or those named after --) in two lanes side by side, and print a summary."""
    wanted = {STAGE_ALIASES.get(name, name) for name in session.posargs}
    unknown = sorted(wanted - set(STAGES))
    if unknown:
        session.error('unknown stage: %s (stages: %s)' % (', '.join(unknown), ', '.join(dict.fromkeys(STAGES))))
    plan = {}
    for lane, stages in LANES.items():
        chosen = [(stage, toolchain) for stage, toolchain in stages if not wanted or stage in wanted]
        if chosen:
            plan[lane] = chosen
    toolchains = sorted({step[1] for stages in plan.values() for step in stages})
    # The toolchains and the collection tree are made here, one after the other, before the lanes share them.
    envs = {}
    try:
        for toolchain in toolchains:
            envs[toolchain] = {**os.environ, **boot('kg_toolchain %s' % toolchain, 'kg_collection_tree')}
    except RuntimeError as error:
        session.error(str(error))
    # Stopped from outside (CI's timeout): the stages' process groups go as on Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    started = time.monotonic()
    lanes = Lanes(envs)
    lanes.run(plan)
    lines = []
    failed = []
    for lane, stages in plan.items():
        for stage, toolchain in stages:
            status, took = lanes.results.get((stage, toolchain), (-1, 0))
            label = '%s (%s)' % (stage, toolchain)
            lines.append('%-7s %-8s %-7s %s' % ('passed' if status == 0 else 'FAILED', duration(took), lane, label))
            if status:
                failed.append((label, lanes.logs / ('%s-%s.log' % (stage, toolchain))))
    for label, log in failed:
        tail = log.read_text(errors='replace').splitlines()[-40:] if log.exists() else []
        print('\n==================== %s: the end of %s ====================' % (label, log.relative_to(COLLECTION_ROOT)))
        print('\n'.join(tail))
    print('\n==================== summary ====================')
    print('\n'.join(lines))
    print('total: %s' % duration(time.monotonic() - started))
    print('stages: %d passed, %d failed' % (len(lines) - len(failed), len(failed)))
    if failed:
        session.error('%d stage(s) failed' % len(failed))


# Run with `python noxfile.py` as well.
if __name__ == '__main__':
    nox.main()
