# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checks the artifacts of the two site runs of tests/awx/run.sh.

Usage: check_artifacts.py WORK TEAM_ADMIN_PASSWORD
"""

from __future__ import annotations

import glob
import json
import os
import sys


def stats(artifacts):
    """The playbook_on_stats event's changed counts per host."""
    for path in sorted(glob.glob(os.path.join(artifacts, 'job_events', '*.json'))):
        with open(path) as handle:
            event = json.load(handle)
        if event.get('event') == 'playbook_on_stats':
            return event['event_data'].get('changed', {}), event['event_data'].get('failures', {})
    raise SystemExit('no playbook_on_stats event in %s' % artifacts)


def secrets(work, password):
    """Every secret of the run, by what it is."""
    found = {'GitLab API token': os.environ['KG_LAB_ADMIN_TOKEN'], 'team admin password': password}
    with open(os.path.join(work, 'lab', 'gitlab-wiring.json')) as handle:
        credentials = json.load(handle)
    found['OAuth application secret'] = credentials['application_secret']
    found['system hook token'] = credentials['system_hook_token']
    with open(os.path.join(work, 'lab', 'stack', 'secrets.json')) as handle:
        kept = json.load(handle)
    found['JWT secret'] = kept['jwt_secret']
    found['super-admin password'] = kept['superadmin_password']
    found['kept system hook token'] = kept['gitlab_system_hook_token']
    return {name: value for name, value in found.items() if value}


def kept_files(artifacts):
    """What AWX keeps of a job: its output, its events and its fact cache."""
    yield os.path.join(artifacts, 'stdout')
    yield from glob.glob(os.path.join(artifacts, 'job_events', '*.json'))
    yield from glob.glob(os.path.join(artifacts, 'fact_cache', '**', '*'), recursive=True)


def main(work, password):
    problems = []
    first_changed, first_failed = stats(os.path.join(work, 'pdd', 'artifacts', 'first'))
    second_changed, second_failed = stats(os.path.join(work, 'pdd', 'artifacts', 'second'))
    if first_failed or second_failed:
        problems.append('failures: %s / %s' % (first_failed, second_failed))
    if not sum(first_changed.values()):
        problems.append('the first run changed nothing')
    if sum(second_changed.values()):
        problems.append('the second run changed %s' % second_changed)
    print('first run changed %s, second run changed %s' % (first_changed, second_changed or {'koding-lab': 0}))

    values = secrets(work, password)
    checked = 0
    for name in ('first', 'second'):
        for path in kept_files(os.path.join(work, 'pdd', 'artifacts', name)):
            if not os.path.isfile(path):
                continue
            checked += 1
            with open(path, errors='replace') as handle:
                text = handle.read()
            for what, value in values.items():
                if value in text:
                    problems.append('%s appears in %s' % (what, os.path.relpath(path, work)))
    print('none of the %d secrets (%s) in %d artifact files' % (len(values), ', '.join(sorted(values)), checked))
    if checked < 10:
        problems.append('only %d artifact files were found' % checked)
    if problems:
        raise SystemExit('\n'.join(problems))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
