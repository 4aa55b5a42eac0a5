# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark driver: the collection's modules against plain ansible.builtin.uri jobs.

For each job it prepares the lab GitLab (reset, N existing hooks or applications, the one the job
wants among them, added last as a real instance would have it), makes every API request wait a
little before its answer (as across a network), runs the job's no-op run a few times through
bench.yml, and reports the API requests (from the lab's request log) and the wall time of each run.
Run by tests/benchmark/run.sh, which starts the labs. The system hooks are also read from a lab that
leaves the page totals out, as GitLab does on big instances: the module then reads the pages one by
one, which is the sequential reading its concurrent paging is compared with.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
HOOK_URL = 'http://127.0.0.1:9/-/api/gitlab'
REDIRECT_URI = 'http://gitlab.koding.localhost:8090/-/oauth/gitlab/callback'
TEAM_URL = 'http://gitlab.koding.localhost:8090'

# (title, job file in jobs/, note, lab): the lab is the scenario's own unless named.
HOOK_JOBS = [
    ('koding.gitlab.gitlab_system_hook', 'module_hook', 'pages read concurrently once the first gives the total', None),
    ('koding.gitlab.gitlab_system_hook', 'module_hook', 'no totals, as on big instances: pages read one by one', 'sequential'),
    ('uri: GET, then POST if missing', 'uri_hook_naive', 'as usually written; reads only the first page', None),
    ('uri: every page, then POST if missing', 'uri_hook_paged', 'relies on X-Total-Pages', None),
]
APP_JOBS = [
    ('koding.gitlab.gitlab_oauth_app', 'module_app', '', None),
    ('uri: GET, then POST if missing', 'uri_app', '', None),
]
SETTINGS_JOBS = [
    ('koding.gitlab.gitlab_koding_settings', 'module_settings', '', None),
    ('uri: GET, then PUT if different', 'uri_settings', '', None),
]


class Lab:
    """The lab GitLab: its control API and the few API calls that prepare a scenario."""

    def __init__(self, url, token):
        self.url = url
        self.token = token

    def call(self, method, path, body=None, api=False):
        headers = {'Content-Type': 'application/json'}
        if api:
            headers['PRIVATE-TOKEN'] = self.token
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=60) as response:  # nosec - the lab on 127.0.0.1
            raw = response.read()
        return json.loads(raw) if raw else None

    def prepare(self, kind, count):
        """A fresh lab with count objects of kind ('hooks' or 'applications'), the job's own one added last."""
        self.call('POST', '/__lab__/reset')
        if kind == 'settings':
            self.call('PUT', '/api/v4/application/settings', {'koding_enabled': True, 'koding_url': TEAM_URL}, api=True)
            return
        self.call('POST', '/__lab__/seed', {kind: count - 1})
        if kind == 'hooks':
            self.call(
                'POST', '/api/v4/hooks', {'url': HOOK_URL, 'token': 'bench-hook-token', 'push_events': False, 'repository_update_events': False}, api=True
            )
        else:
            self.call('POST', '/api/v4/applications', {'name': 'Koding', 'redirect_uri': REDIRECT_URI, 'scopes': 'api'}, api=True)

    def delay(self, milliseconds):
        """Every API request waits this long before its answer is sent (the lab's latency fault)."""
        if milliseconds:
            self.call('POST', '/__lab__/latency', {'delay_ms': milliseconds, 'path_prefix': '/api/v4/'})

    def no_delay(self):
        self.call('DELETE', '/__lab__/latency')

    def count(self, kind):
        if kind == 'hooks':
            return len([hook for hook in self.all_hooks() if hook['url'] == HOOK_URL])
        return len([app for app in self.call('GET', '/api/v4/applications', api=True) if app['application_name'] == 'Koding'])

    def all_hooks(self):
        hooks, page = [], 1
        while True:
            chunk = self.call('GET', '/api/v4/hooks?per_page=100&page=%d' % page, api=True)
            hooks.extend(chunk)
            if len(chunk) < 100:
                return hooks
            page += 1


def run_job(lab, job, reps, env):
    """Run the job reps times in one ansible-playbook; return the list of runs."""
    with tempfile.TemporaryDirectory() as scratch:
        result_file = os.path.join(scratch, 'result.json')
        extra = {
            'bench_job': job,
            'bench_reps': reps,
            'bench_result_file': result_file,
            'bench_hook_url': HOOK_URL,
            'bench_hook_token': 'bench-hook-token',
            'bench_redirect_uri': REDIRECT_URI,
            'bench_team_url': TEAM_URL,
        }
        vars_file = os.path.join(scratch, 'vars.json')
        with open(vars_file, 'w', encoding='utf-8') as handle:
            json.dump(extra, handle)
        run_env = dict(env, GITLAB_URL=lab.url, GITLAB_API_TOKEN=lab.token)
        completed = subprocess.run(
            ['ansible-playbook', os.path.join(HERE, 'bench.yml'), '-e', '@' + vars_file], env=run_env, capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            sys.stdout.write(completed.stdout[-4000:])
            raise SystemExit('bench.yml failed for job %s' % job)
        with open(result_file, encoding='utf-8') as handle:
            return json.load(handle)


def measure(labs, env, options):
    rows = []
    scenarios = [
        ('System hooks', 'modern', 'hooks', HOOK_JOBS, options.hook_sizes),
        ('OAuth applications', 'modern', 'applications', APP_JOBS, options.app_sizes),
        ('Koding settings', 'legacy', 'settings', SETTINGS_JOBS, [None]),
    ]
    for section, profile, kind, jobs, counts in scenarios:
        for count in counts:
            for title, job, note, lab_name in jobs:
                lab = labs[lab_name or profile]
                reps = options.big_reps if (count or 0) >= options.big else options.reps
                lab.prepare(kind, count)
                lab.delay(options.latency_ms)
                runs = run_job(lab, job, reps, env)
                lab.no_delay()
                duplicates = lab.count(kind) - 1 if kind != 'settings' else 0
                rows.append(
                    {
                        'section': section,
                        'existing': count,
                        'job': title,
                        'note': note,
                        'requests': [run['requests'] for run in runs],
                        'writes': sum(run['writes'] for run in runs),
                        'reps': reps,
                        'seconds': statistics.median(run['seconds'] for run in runs),
                        'duplicates': duplicates,
                    }
                )
                sys.stdout.write('.')
                sys.stdout.flush()
    sys.stdout.write('\n')
    return rows


def table(rows):
    lines = [
        '| What | Existing objects | Job | Requests per run | Runs | Writes | Duplicates created | Median time per run (s) |',
        '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    ]
    for row in rows:
        requests = sorted(set(row['requests']))
        job = row['job'] + (' (%s)' % row['note'] if row['note'] else '')
        lines.append(
            '| %s | %s | %s | %s | %d | %d | %d | %.2f |'
            % (
                row['section'],
                '-' if row['existing'] is None else '{:,}'.format(row['existing']),
                job,
                '/'.join(str(value) for value in requests),
                row['reps'],
                row['writes'],
                row['duplicates'],
                row['seconds'],
            )
        )
    return '\n'.join(lines)


def versions(env):
    completed = subprocess.run(['ansible-playbook', '--version'], env=env, capture_output=True, text=True, check=False)
    first = completed.stdout.splitlines()[0] if completed.stdout else 'ansible-playbook (unknown version)'
    return '%s, Python %s' % (first.strip(), platform.python_version())


DOC = """# Benchmark: idempotent no-op runs

What a re-run costs when everything is already in place, for the collection's modules and for the same job
written as plain `ansible.builtin.uri` tasks, against the lab GitLab (the `modern` profile, GitLab 17.5 API; the
Koding settings against the `legacy` profile, GitLab 11.0, which still has them). Each job ran {reps} times
({big_reps} from {big} objects on) on a lab holding the given number of hooks or applications, the job's own one
added last (as on a real instance, where Koding's hook is added after the others). Every API request waited
{latency} ms before its answer (the lab's latency fault), as across a network. Requests come from the lab's
request log; the time is the median wall time of one run of the job's tasks, measured inside the playbook.

Produced by `bash tests/benchmark/run.sh` ({versions}). Times depend on the machine and its load; the request
counts do not.

{table}

How to read it:

- The module reads the hooks 100 a page (`per_page=100`). Once the first page gives the number of pages
  (`X-Total-Pages` or a `Link` `rel="last"`), it reads the other pages concurrently, at most 4 at a time, on one
  session: 1 request up to 100 hooks, 10 for 1,000, 100 for 10,000, plus one `GET /version`.
- GitLab leaves the totals out on big instances. The module then follows `Link` `rel="next"` / `X-Next-Page` one
  page after the other: the same requests, in sequence. The "no totals" rows are that sequential reading, by the
  same module against a lab started with `--feature pagination_totals=off`; the difference in time is what the
  concurrent reading saves, and it grows with the number of pages and the network's latency.
- The hand-written job as it is usually written (one `GET /hooks`, then `POST` if the URL is not listed) only sees
  GitLab's first page of 20 hooks. With more hooks than that it does not find Koding's hook and **adds another
  one on every run**: the "Duplicates created" column. GitLab then sends every event several times.
- A correct hand-written job needs a page loop: as many requests as the module, one `uri` task execution each,
  read one after the other. It relies on `X-Total-Pages`, which GitLab omits on big instances, and it still cannot
  tell whether the hook's settings or token differ, or update them.
- `GET /applications` is not paginated: one request whatever the number of applications, for the module and the
  hand-written job alike.
- Each `uri` task is a separate module execution, which is where the hand-written jobs lose time; the module
  does its work in one execution.
"""


class LabProcess:
    """A lab GitLab this benchmark starts itself (the one without page totals), stopped at the end."""

    def __init__(self, server, profile, features):
        self.scratch = tempfile.TemporaryDirectory()
        port_file = os.path.join(self.scratch.name, 'port')
        command = [sys.executable, server, '--profile', profile, '--host', '127.0.0.1', '--port', '0', '--port-file', port_file]
        for feature in features:
            command += ['--feature', feature]
        self.log = open(os.path.join(self.scratch.name, 'lab.log'), 'w', encoding='utf-8')
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not (os.path.exists(port_file) and os.path.getsize(port_file)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit('the lab GitLab %s %s did not start' % (profile, ' '.join(features)))
            time.sleep(0.1)
        with open(port_file, encoding='utf-8') as handle:
            self.url = 'http://127.0.0.1:%s' % handle.read().strip()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()
        self.scratch.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--legacy-url', required=True)
    parser.add_argument('--modern-url', required=True)
    parser.add_argument('--lab-server', required=True, help='the lab GitLab server.py, started without page totals')
    parser.add_argument('--reps', type=int, default=2)
    parser.add_argument('--big', type=int, default=10000, help='from this many objects on, run each job --big-reps times')
    parser.add_argument('--big-reps', type=int, default=1)
    parser.add_argument('--hook-sizes', default='1,100,1000,10000')
    parser.add_argument('--app-sizes', default='1,1000')
    parser.add_argument('--latency-ms', type=int, default=10, help='what every API request waits before its answer')
    parser.add_argument('--output', help='write the Markdown report here')
    args = parser.parse_args()
    args.hook_sizes = [int(size) for size in args.hook_sizes.split(',')]
    args.app_sizes = [int(size) for size in args.app_sizes.split(',')]

    token = os.environ.get('KG_LAB_ADMIN_TOKEN')
    if not token:
        raise SystemExit('KG_LAB_ADMIN_TOKEN must hold the lab admin token')
    env = dict(os.environ, ANSIBLE_FORCE_COLOR='0', ANSIBLE_NOCOLOR='1')
    sequential = LabProcess(args.lab_server, 'modern', ['pagination_totals=off'])
    try:
        labs = {'legacy': Lab(args.legacy_url, token), 'modern': Lab(args.modern_url, token), 'sequential': Lab(sequential.url, token)}
        started = time.monotonic()
        rows = measure(labs, env, args)
        took = time.monotonic() - started
    finally:
        sequential.stop()
    text = table(rows)
    sys.stdout.write(text + '\n')
    sys.stdout.write('benchmark took %.0f s\n' % took)
    if args.output:
        with open(args.output, 'w', encoding='utf-8') as handle:
            handle.write(
                DOC.format(reps=args.reps, big_reps=args.big_reps, big='{:,}'.format(args.big), latency=args.latency_ms, versions=versions(env), table=text)
            )
        sys.stdout.write('wrote %s\n' % os.path.relpath(args.output))


if __name__ == '__main__':
    main()
