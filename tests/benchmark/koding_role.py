"""Benchmark of the koding role and of playbooks/site.yml on the lab, against earlier commits of the collection
(by default the one the no-op goal is measured against). Prints a table and writes it as Markdown. No timing
assertions.

Run by tests/benchmark/koding_role.sh, which builds the lab, starts a lab GitLab and sets GITLAB_URL
and GITLAB_API_TOKEN.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

ROOT = os.environ['KG_ROOT']
TREE = os.environ['KG_TREE']
LAB_VARS = os.path.join(ROOT, '.lab', 'koding', 'lab-vars.yml')
WORK = os.path.join(ROOT, '.lab', 'benchmark-koding')
ROLE_PORT = 18190
SITE_PORT = 18191
# The commit the no-op goal is measured against: the collection when the roles were made thin over modules.
GOAL_REF = 'f1378f8'
GOAL_TITLE = 'before thin roles'
# The commit that made the backend's command start-only (the "before" of build once, start many) is its parent.
START_ONLY_MARKER = '^      - build$'
START_ONLY_TITLE = '`bootstrap-container build`'
# The no-op site run should take at most this share of the time it took at GOAL_REF.
SITE_GOAL = 0.5


def log(message):
    print('koding-benchmark: %s' % message, file=sys.stderr, flush=True)


def old_ref():
    """The last commit whose compose template still ran `bootstrap-container build`."""
    changed = subprocess.run(
        ['git', '-C', ROOT, 'log', '-n1', '--format=%H', '-G', START_ONLY_MARKER, '--', 'roles/koding/templates/compose.yml.j2'],
        capture_output=True,
        text=True,
        check=True,
    )
    commit = changed.stdout.strip()
    with_build = subprocess.run(
        ['git', '-C', ROOT, 'show', '%s:roles/koding/templates/compose.yml.j2' % commit], capture_output=True, text=True, check=True
    ).stdout
    return commit if re.search(START_ONLY_MARKER, with_build, re.MULTILINE) else commit + '^'


def port_variable(collections):
    """The gitlab_wiring variable of Koding's public port in that collection (renamed after GOAL_REF)."""
    defaults = os.path.join(collections, 'ansible_collections', 'koding', 'gitlab', 'roles', 'gitlab_wiring', 'defaults', 'main.yml')
    with open(defaults, encoding='utf-8') as handle:
        return 'gitlab_wiring_koding_public_port' if 'gitlab_wiring_koding_public_port' in handle.read() else 'gitlab_wiring_koding_port'


def old_tree(ref):
    """The collection at REF, in a collections path of its own; returns the collections path."""
    base = tempfile.mkdtemp(prefix='koding-bench-old-')
    tree = os.path.join(base, 'ansible_collections', 'koding', 'gitlab')
    os.makedirs(tree)
    archive = subprocess.run(['git', '-C', ROOT, 'archive', '--format=tar', ref], capture_output=True, check=True)
    with tempfile.TemporaryFile() as handle:
        handle.write(archive.stdout)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(tree, filter='data')
    return base


def compose_down(project):
    subprocess.run(['docker', 'compose', '--project-name', project, 'down', '--volumes', '--remove-orphans'], capture_output=True, check=False)


def wait_for(url, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except Exception:  # not up yet  # pylint: disable=broad-except
            pass
        time.sleep(0.2)
    raise RuntimeError('%s did not answer within %d s' % (url, timeout))


def wait_for_health(project, timeout=300):
    """Waits until Docker reports every container of the project with a health check as healthy."""
    deadline = time.monotonic() + timeout
    while True:
        states = subprocess.run(
            ['docker', 'ps', '--all', '--filter', 'label=com.docker.compose.project=%s' % project, '--format', '{{.Status}}'],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        if states and not any('health: starting' in state or 'unhealthy' in state for state in states):
            return
        if time.monotonic() > deadline:
            raise RuntimeError('the containers of %s are not healthy within %d s: %s' % (project, timeout, states))
        time.sleep(1)


def playbook(collections, args, name):
    """Runs ansible-playbook; returns (seconds, tasks run, recap counts)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_FORCE_COLOR='0', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0')
    logfile = os.path.join(WORK, name + '.log')
    started = time.monotonic()
    with open(logfile, 'w', encoding='utf-8') as output:
        status = subprocess.run(['ansible-playbook'] + args, stdout=output, stderr=subprocess.STDOUT, env=env, check=False).returncode
    elapsed = time.monotonic() - started
    with open(logfile, encoding='utf-8') as output:
        text = output.read()
    if status != 0:
        print(text[-4000:], file=sys.stderr)
        raise RuntimeError('%s failed (exit %d); log: %s' % (name, status, logfile))
    tasks = len(re.findall(r'^TASK \[', text, re.MULTILINE))
    recap = {}
    for key, value in re.findall(r'(ok|changed|skipped)=(\d+)', text.split('PLAY RECAP')[-1]):  # every host's line
        recap[key] = recap.get(key, 0) + int(value)
    return elapsed, tasks, recap


def bench_role(label, collections, reps):
    project = 'koding-bench-role'
    base_dir = os.path.join(WORK, 'role-stack')
    compose_down(project)
    shutil.rmtree(base_dir, ignore_errors=True)
    args = [
        os.path.join(ROOT, 'tests', 'benchmark', 'koding_role.yml'),
        '-i',
        'localhost,',
        '-e',
        'bench_lab_vars_file=%s' % LAB_VARS,
        '-e',
        json.dumps({'koding_base_dir': base_dir, 'koding_project_name': project, 'koding_public_port': ROLE_PORT}),
    ]
    url = 'http://127.0.0.1:%d/-/version' % ROLE_PORT
    try:
        fresh = playbook(collections, args, 'role-%s-fresh' % label)[0]
        noops = [playbook(collections, args, 'role-%s-noop-%d' % (label, rep))[0] for rep in range(reps)]
        restarts = []
        for dummy in range(reps):
            started = time.monotonic()
            subprocess.run(['docker', 'compose', '--project-name', project, 'restart', 'backend'], capture_output=True, check=True)
            wait_for(url)
            restarts.append(time.monotonic() - started)
    finally:
        compose_down(project)
        shutil.rmtree(base_dir, ignore_errors=True)
    return fresh, statistics.median(noops), statistics.median(restarts)


def bench_site(label, collections, reps, password):
    project = 'koding-bench-site'
    site_dir = os.path.join(WORK, 'site-' + label)
    compose_down(project)
    shutil.rmtree(site_dir, ignore_errors=True)
    os.makedirs(site_dir, mode=0o700)
    tree = os.path.join(collections, 'ansible_collections', 'koding', 'gitlab')
    args = [
        os.path.join(tree, 'playbooks', 'site.yml'),
        '-i',
        os.path.join(tree, 'playbooks', 'inventories', 'lab', 'hosts.yml'),
        '-e',
        '@' + LAB_VARS,
        '-e',
        json.dumps(
            {
                'koding_base_dir': os.path.join(site_dir, 'stack'),
                'koding_project_name': project,
                port_variable(collections): SITE_PORT,
                'gitlab_wiring_credentials_path': os.path.join(site_dir, 'gitlab-wiring.json'),
            }
        ),
    ]
    os.environ['KODING_TEAM_ADMIN_PASSWORD'] = password
    try:
        first = playbook(collections, args, 'site-%s-first' % label)
        # One run at once, while Docker still reports the backend's health as starting; the others on the settled
        # deployment a scheduled run finds.
        at_once = playbook(collections, args, 'site-%s-noop-at-once' % label)
        wait_for_health(project)
        runs = [playbook(collections, args, 'site-%s-noop-%d' % (label, rep)) for rep in range(reps)]
    finally:
        compose_down(project)
    for recap in (run[2] for run in runs + [at_once]):
        if recap.get('changed'):
            raise RuntimeError('the %s no-op site run changed %d things' % (label, recap['changed']))
    del first
    return statistics.median(run[0] for run in runs), runs[-1][1], runs[-1][2], [run[0] for run in runs], at_once[0]


def attempt(may_fail, function, *args):
    """The figures of FUNCTION; for the old collection, a failure is a result too (it is printed as such)."""
    try:
        return function(*args)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        if not may_fail:
            raise
        log('the old collection failed: %s' % error)
        return ('failed',) * (5 if function is bench_site else 3)


def ref_title(ref, short):
    if ref == 'build':
        return 'before build once, start many (%s, %s)' % (short, START_ONLY_TITLE)
    if ref == GOAL_REF:
        return '%s (%s)' % (GOAL_TITLE, short)
    return 'before (%s)' % short


def seconds_text(value):
    return '%.1f' % value if isinstance(value, float) else str(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--old-ref',
        action='append',
        help='a "before" commit, compared with now; may be given more than once; "build" is the last one with the build command (default: %s)' % GOAL_REF,
    )
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument('--output', required=True)
    options = parser.parse_args()

    os.makedirs(WORK, mode=0o700, exist_ok=True)
    refs = options.old_ref or [GOAL_REF]
    new = os.path.dirname(os.path.dirname(os.path.dirname(TREE)))
    password = secrets.token_urlsafe(18)
    variants, trees = [], []
    for ref in refs:
        commit = old_ref() if ref == 'build' else ref
        short = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', commit], capture_output=True, text=True, check=True).stdout.strip()
        trees.append(old_tree(commit))
        variants.append((ref_title(ref, short), 'old-%s' % short, trees[-1]))
    variants.append(('now', 'new', new))
    role_rows, site_rows = [], []
    try:
        for title, label, collections in variants:
            log('koding role, %s' % title)
            role_rows.append((title,) + attempt(label != 'new', bench_role, label, collections, options.reps))
        for title, label, collections in variants:
            log('playbooks/site.yml, %s' % title)
            site_rows.append((title,) + attempt(label != 'new', bench_site, label, collections, options.reps, password))
    finally:
        for tree in trees:
            shutil.rmtree(tree, ignore_errors=True)

    version = subprocess.run(['ansible-playbook', '--version'], capture_output=True, text=True, check=False).stdout.splitlines()[0]
    lines = [
        '# Benchmark: deploying Koding with the koding role, and the no-op run of the main playbook',
        '',
        'Side by side on the lab (the Koding stand-in on images built from Debian packages, the lab GitLab, the',
        'controller playing the Koding host), in one run of `bash tests/benchmark/koding_role.sh`: the collection',
        'as it was %s, and now. Produced with %s, Python %s, %d cores;'
        % (', '.join(row[0] for row in role_rows[:-1]), version.strip(), platform.python_version(), os.cpu_count()),
        'times depend on the machine. Medians of %d runs, except the first deployment.' % options.reps,
        '',
        '## The koding role',
        '',
        '| Collection | Nothing built to healthy (s) | No-op re-run (s) | Backend restart to healthy (s) |',
        '| --- | ---: | ---: | ---: |',
    ]
    for title, fresh, noop, restart in role_rows:
        lines.append('| %s | %s | %s | %s |' % (title, seconds_text(fresh), seconds_text(noop), seconds_text(restart)))
    lines += [
        '',
        '## The no-op run of playbooks/site.yml',
        '',
        '| Collection | Wall time (s) | Each run (s) | Right after the deployment (s) | Tasks run | ok | skipped | changed |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ]
    for title, seconds, tasks, recap, each, at_once in site_rows:
        counts = tuple(str(recap.get(key, '-')) if isinstance(recap, dict) else '-' for key in ('ok', 'skipped', 'changed'))
        each_text = ', '.join(seconds_text(value) for value in each) if isinstance(each, list) else str(each)
        lines.append('| %s | %s | %s | %s | %s | %s | %s | %s |' % ((title, seconds_text(seconds), each_text, seconds_text(at_once), tasks) + counts))
    lines.append('')
    for row in site_rows[:-1]:
        if isinstance(row[1], float) and isinstance(site_rows[-1][1], float):
            ratio = site_rows[-1][1] / row[1]
            fastest = min(site_rows[-1][4]) / min(row[4])
            goal = ' (the goal: at most %.2f, %s)' % (SITE_GOAL, 'reached' if ratio <= SITE_GOAL else 'not reached') if GOAL_TITLE in row[0] else ''
            lines.append('Ratio of the no-op site run, now to %s: %.2f%s; of the fastest runs of each: %.2f.' % (row[0], ratio, goal, fastest))
            lines.append('')
    text = '\n'.join(lines)
    print(text)
    with open(options.output, 'w', encoding='utf-8') as handle:
        handle.write(text + NOTES)
    log('wrote %s' % options.output)


NOTES = '''
How to read it:

- **Nothing built to healthy** is a role run on a host with no checkout, no build and no containers, until
  `/-/version` answers. On the real Koding the build (`npm install`, `go/build.sh`, the client build) takes
  15 minutes or more and dominates it; the lab's stand-in has nothing to compile, so these figures show the role's
  own overhead.
- **Backend restart** is `docker compose restart backend` until `/-/version` answers again: a start only configures
  and starts (since "build once, start many"; `--old-ref build` adds the commit before it).
- **No-op site run** is what AWX users schedule: GitLab wired and Koding deployed, nothing to change. Its runs start
  once Docker reports every container healthy, as on the settled deployment a scheduled run finds. **Right after
  the deployment** is one no-op run started at once after deploying, while Docker still reports the backend's health
  as starting: the earlier collection then runs Compose again and waits for Koding; now the run only waits.
- The no-op site run is shorter now because fewer Python processes start, fewer tasks run and each renders less,
  not because anything is checked less. A module run costs about half a second of process start on an idle machine
  (a second or more on a loaded one), a task that only decides about 0.02 s, and each rendering of a role variable
  renders again every variable it names. Now:
  - the Koding stage gathers no facts (the docker_engine role's probe reads the distribution and service manager it
    decides with);
  - the koding role's probe also reads the kept secrets, so the secrets module runs only when one is missing, and
    the SHA-1 of the TLS front's files, so they are written only when one differs;
  - every input check runs once per run: `check_inputs.yml` checks each stage before anything changes, and the
    roles then check only what reaches them later (GitLab's answers); a check that passes renders its values once
    (a fail task whose message is rendered only on failure), the KONFIG_* values in one pass;
  - the koding role works out once, after its probe, whether to build, seed, start or wait (one `set_fact`),
    instead of rendering the build's configuration again in each of those steps;
  - the collection's filters load no HTTP client: Ansible loads every filter file of the collection in each task
    that uses one of its filters, and loading requests cost about a tenth of a second in each;
  - steps with nothing to do are skipped as one include (the edited copies, the engine's options, provisioning
    without a `provision_aws` section), and the input check and the wait for a new host run on the group
    `koding_provisioned`, which has no host without that section;
  - the koding role makes its edited copies of Koding's files with a filter (`koding_edited_copies`) rather than a
    template, which copied every variable;
  - the collection's modules run inside the worker process Ansible starts for each task wherever the task runs on
    the controller: the three GitLab modules always, and the host's probes, credentials read and team check here,
    because the lab's Koding host is the controller itself (a local connection). On a Koding host reached over SSH
    those four are module runs, as every module of the earlier commits is.
- The figures depend on the load of the machine: runs on a shared, loaded one take two to three times as long as
  on an idle one, and the load changes while the benchmark runs (the earlier commits' runs come first). The
  side-by-side ratio is what to read; where the runs of one side spread widely, the ratio of the fastest runs is
  the one less touched by other jobs.
'''


if __name__ == '__main__':
    main()
