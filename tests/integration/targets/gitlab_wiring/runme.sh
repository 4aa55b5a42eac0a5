#!/usr/bin/env bash
# The gitlab_wiring role against each lab profile: check mode writes nothing,
# the first run wires, the second reports changed=0, a lost credentials file is
# recovered, a move to another port and to https re-wires GitLab, and no secret appears in any -vvv output.
set -eu

WORK="${OUTPUT_DIR}/gitlab_wiring"
mkdir -p "${WORK}"
chmod 0700 "${WORK}"

# playbook PROFILE NAME PLAYBOOK [options...]: runs PLAYBOOK with -vvv into ${WORK}/PROFILE-NAME.log.
# The secret_file_probe callback records the credentials directory's and
# file's modes before and after every task into ${WORK}/PROFILE-NAME.probe.
playbook() {
    local profile="$1" name="$2" book="$3" log status=0
    shift 3
    log="${WORK}/${profile}-${name}.log"
    rm -f "${WORK}/${profile}-${name}.probe"
    SECRET_FILE_PROBE_OUTPUT="${WORK}/${profile}-${name}.probe" \
        SECRET_FILE_PROBE_PATH="${WORK}/${profile}/private/credentials.json" \
        ANSIBLE_CALLBACK_PLUGINS="${PWD}/callback_plugins" ANSIBLE_CALLBACKS_ENABLED=secret_file_probe \
        ANSIBLE_ROLES_PATH=.. ansible-playbook "${book}" -i "${INVENTORY_PATH}" -e @../../integration_config.yml \
        -e "gitlab_lab_profile=${profile}" -e "gitlab_wiring_test_dir=${WORK}/${profile}" -vvv "$@" >"${log}" 2>&1 || status=$?
    if [ "${status}" -ne 0 ]; then
        grep -E '^(TASK|fatal|failed|PLAY RECAP|\[ERROR\])|"msg"|evaluated_to|^Origin' "${log}" | tail -n 40
        echo "=== gitlab_wiring (${profile}): ${name} failed with exit ${status}"
        exit 1
    fi
}

# private PROFILE NAME: checks the probe of a run: the credentials file was
# never readable by others, and was 0600 in a 0700 directory after each write.
# (Inside the write, the module closes the directory before it writes: its unit tests check that.)
private() {
    python_bin="$(command -v python3 || command -v python)"
    "${python_bin}" - "${WORK}/$1-$2.probe" <<'PYTHON' || { echo "=== gitlab_wiring ($1): $2 exposed the credentials file"; exit 1; }
import json
import sys

entries = [json.loads(line) for line in open(sys.argv[1], encoding='utf-8')]
writes = [entry for entry in entries if entry['task'].endswith('Write the credentials file') and entry['moment'] == 'start']
problems = []
if not writes:
    problems.append('the role never reached its write task')
for entry in writes:
    if entry['file'] and entry['file']['mode'] != '0600':
        problems.append('file %s before the write' % entry['file'])
for entry in entries:
    if entry['task'].endswith('Write the credentials file') and entry['moment'] == 'ok':
        if (entry['dir'] or {}).get('mode') != '0700' or (entry['file'] or {}).get('mode') != '0600':
            problems.append('after the write: directory %s, file %s' % (entry['dir'], entry['file']))
for entry in entries:
    if entry['file'] and int(entry['file']['mode'], 8) & 0o077:
        problems.append('file %s at %s of %r' % (entry['file'], entry['moment'], entry['task']))
    if entry['file'] and entry['file']['size'] and int(entry['dir']['mode'], 8) & 0o077:
        problems.append('directory %s at %s of %r' % (entry['dir'], entry['moment'], entry['task']))
final = entries[-1]
if (final['dir'] or {}).get('mode') != '0700' or (final['file'] or {}).get('mode') != '0600':
    problems.append('after the run: directory %s, file %s' % (final['dir'], final['file']))
print('\n'.join(problems) or 'credentials file private in %d probes' % len(entries))
sys.exit(1 if problems else 0)
PYTHON
}

# expect_warning PROFILE NAME APPS: on a GitLab that cannot delete applications
# (APPS > 1), the run must name the application to remove by hand; otherwise
# it must not.
expect_warning() {
    local found=0
    grep -q 'is still there: remove it by hand' "${WORK}/$1-$2.log" && found=1
    if [ "$3" -gt 1 ] && [ "${found}" -eq 0 ]; then
        echo "=== gitlab_wiring ($1): $2 did not say which application to remove by hand"
        exit 1
    fi
    if [ "$3" -eq 1 ] && [ "${found}" -eq 1 ]; then
        echo "=== gitlab_wiring ($1): $2 asked to remove an application by hand"
        exit 1
    fi
}

# changed PROFILE NAME: the changed= count of the run's PLAY RECAP.
changed() {
    awk '/^PLAY RECAP/ { recap = 1; next } recap && /changed=/ { split($0, parts, "changed="); split(parts[2], n, " "); sum += n[1] }
         END { print sum + 0 }' "${WORK}/$1-$2.log"
}

expect_changed() {
    local count
    count="$(changed "$1" "$2")"
    if [ "$3" = none ] && [ "${count}" -ne 0 ]; then
        echo "=== gitlab_wiring ($1): $2 reported changed=${count}, expected 0"
        exit 1
    fi
    if [ "$3" = some ] && [ "${count}" -eq 0 ]; then
        echo "=== gitlab_wiring ($1): $2 reported no change"
        exit 1
    fi
    echo "=== gitlab_wiring ($1): $2 changed=${count}"
}

# site_refuses PROFILE: koding.gitlab.site with a bad input of the Koding stage (a port a worker of Koding's backend
# takes) fails in its first play, before GitLab gets any request and before anything is made on the host.
site_refuses() {
    local profile="$1" log="${WORK}/$1-site-bad-input.log" status=0
    mkdir -p "${WORK}/${profile}/site"
    cat >"${WORK}/${profile}/site/inventory.yml" <<INVENTORY
koding:
  hosts:
    koding-input-check:
      ansible_connection: local
      ansible_python_interpreter: "{{ ansible_playbook_python }}"
      gitlab_wiring_koding_hostname: koding.example.com
      gitlab_wiring_credentials_path: ${WORK}/${profile}/site/private/credentials.json
      koding_base_dir: ${WORK}/${profile}/site/stack
      koding_public_port: 3000
INVENTORY
    ansible-playbook koding.gitlab.site -i "${WORK}/${profile}/site/inventory.yml" -e @../../integration_config.yml \
        -e "gitlab_lab_profile=${profile}" -e '{"gitlab_wiring_api_url": "{{ gitlab_lab_urls[gitlab_lab_profile] }}"}' \
        -e '{"gitlab_wiring_api_token": "{{ gitlab_lab_admin_token }}"}' >"${log}" 2>&1 || status=$?
    if [ "${status}" -eq 0 ] || ! grep -q "koding_public_port 3000: Koding's nginx listens on this port" "${log}"; then
        tail -n 30 "${log}"
        echo "=== gitlab_wiring (${profile}): site.yml did not refuse the bad input in its first play"
        exit 1
    fi
    if [ -e "${WORK}/${profile}/site/private" ] || [ -e "${WORK}/${profile}/site/stack" ]; then
        echo "=== gitlab_wiring (${profile}): site.yml made something on the host before it refused the input"
        exit 1
    fi
    echo "=== gitlab_wiring (${profile}): site.yml refused the bad input before any change"
}

# wire PROFILE: the role's whole life cycle against a GitLab that can create applications.
wire() {
    local profile="$1" cred secrets apps
    rm -rf "${WORK:?}/${profile}"
    mkdir -p "${WORK}/${profile}"
    cred="${WORK}/${profile}/private/credentials.json"
    secrets="${WORK}/${profile}.secrets"
    (umask 077 && : >"${secrets}")

    playbook "${profile}" reset lab.yml -e gitlab_wiring_test_step=reset
    site_refuses "${profile}"
    playbook "${profile}" site-untouched lab.yml -e gitlab_wiring_test_step=untouched
    playbook "${profile}" check wire.yml --check --diff
    expect_changed "${profile}" check some
    playbook "${profile}" check-writes lab.yml -e gitlab_wiring_test_step=no_writes
    [ ! -e "${cred}" ] || { echo "=== check mode wrote the credentials file"; exit 1; }

    # A permissive umask: whatever the role creates must not inherit it.
    (umask 000 && playbook "${profile}" first wire.yml --diff)
    expect_changed "${profile}" first some
    private "${profile}" first
    playbook "${profile}" first-state lab.yml -e gitlab_wiring_test_step=state
    cat "${cred}" >>"${secrets}"

    playbook "${profile}" second wire.yml --diff
    expect_changed "${profile}" second none
    private "${profile}" second
    playbook "${profile}" second-check wire.yml --check --diff
    expect_changed "${profile}" second-check none

    # The file is lost, and its directory was opened to others: the role makes
    # the directory 0700 again before it writes, renews the secret (or
    # re-creates the application) and gives the hook a new token.
    mv "${cred}" "${WORK}/${profile}/credentials.lost.json"
    chmod 0755 "$(dirname "${cred}")"
    playbook "${profile}" recover wire.yml --diff
    expect_changed "${profile}" recover some
    private "${profile}" recover
    # A GitLab that can neither renew nor delete: a new application is made and
    # the old one stays (the role says so); one that can keeps one.
    if lab_has "${profile}" applications_delete; then apps=1; else apps=2; fi
    expect_warning "${profile}" recover "${apps}"
    playbook "${profile}" recover-state lab.yml -e gitlab_wiring_test_step=state -e gitlab_wiring_test_apps_expected="${apps}"
    cat "${cred}" >>"${secrets}"
    if cmp -s "${cred}" "${WORK}/${profile}/credentials.lost.json"; then
        echo "=== gitlab_wiring (${profile}): the recovered credentials equal the lost ones"
        exit 1
    fi
    playbook "${profile}" after-recover wire.yml --diff
    expect_changed "${profile}" after-recover none

    # Koding moves to another port: new redirect URI (the application is
    # re-created), new hook URL (the old hook is removed).
    playbook "${profile}" moved wire.yml --diff -e gitlab_wiring_test_port=8091
    expect_changed "${profile}" moved some
    private "${profile}" moved
    if [ "${apps}" -gt 1 ]; then apps=3; fi
    expect_warning "${profile}" moved "${apps}"
    playbook "${profile}" moved-state lab.yml -e gitlab_wiring_test_step=state -e gitlab_wiring_test_port=8091 \
        -e gitlab_wiring_test_apps_expected="${apps}"
    cat "${cred}" >>"${secrets}"
    playbook "${profile}" after-move wire.yml --diff -e gitlab_wiring_test_port=8091
    expect_changed "${profile}" after-move none

    # Koding goes behind its TLS front: https on 443. The redirect URI, the hook URL (with TLS verification) and
    # the Koding settings follow; the http hook is removed, so GitLab keeps one hook. GitLab has no call that
    # changes an application's redirect URI, so the application is re-created where GitLab can delete it (the
    # Koding accounts stay linked to their GitLab user ids) and a new one made where it cannot (the role says
    # which old one to remove by hand).
    https=(-e gitlab_wiring_test_scheme=https -e gitlab_wiring_test_port=443)
    playbook "${profile}" https wire.yml --diff "${https[@]}"
    expect_changed "${profile}" https some
    private "${profile}" https
    if [ "${apps}" -gt 1 ]; then apps=4; fi
    expect_warning "${profile}" https "${apps}"
    playbook "${profile}" https-state lab.yml -e gitlab_wiring_test_step=state "${https[@]}" \
        -e gitlab_wiring_test_apps_expected="${apps}"
    cat "${cred}" >>"${secrets}"
    playbook "${profile}" after-https wire.yml --diff "${https[@]}"
    expect_changed "${profile}" after-https none

    # The secrets are the JSON values of the credentials files (and the lab tokens).
    python_bin="$(command -v python3 || command -v python)"
    "${python_bin}" - "${secrets}" <<'PYTHON'
import json
import sys

path = sys.argv[1]
values = set()
with open(path, encoding='utf-8') as handle:
    text = handle.read()
decoder = json.JSONDecoder()
index = 0
while index < len(text):
    while index < len(text) and text[index].isspace():
        index += 1
    if index >= len(text):
        break
    document, index = decoder.raw_decode(text, index)
    values.update(document[key] for key in ('application_secret', 'system_hook_token'))
with open(path, 'w', encoding='utf-8') as handle:
    handle.write('\n'.join(sorted(values)) + '\n')
PYTHON
    grep -h '_token:' ../../integration_config.yml | sed 's/^[^:]*: *//' >>"${secrets}"
    if grep -F -l -f <(grep . "${secrets}") "${WORK}/${profile}"-*.log; then
        echo "=== gitlab_wiring (${profile}): a secret appears in the -vvv output of the files above"
        exit 1
    fi
    echo "=== gitlab_wiring (${profile}): none of the $(grep -c . "${secrets}") secrets appears in the -vvv output"
}

# wire_by_hand PROFILE: a GitLab without the applications API (no applications_create): without an application made
# by hand the role stops, saying what to give; with one it uses it and says so.
wire_by_hand() {
    local profile="$1" manual_secret status manual
    rm -rf "${WORK:?}/${profile}"
    mkdir -p "${WORK}/${profile}"
    manual_secret="manual-secret-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    playbook "${profile}" reset lab.yml -e gitlab_wiring_test_step=reset
    status=0
    ANSIBLE_ROLES_PATH=.. ansible-playbook wire.yml -i "${INVENTORY_PATH}" -e @../../integration_config.yml \
        -e "gitlab_lab_profile=${profile}" -e "gitlab_wiring_test_dir=${WORK}/${profile}" >"${WORK}/${profile}-no-app.log" 2>&1 || status=$?
    if [ "${status}" -eq 0 ] || ! grep -q 'gitlab_wiring_manual_application_id' "${WORK}/${profile}-no-app.log"; then
        echo "=== gitlab_wiring (${profile}): without an application made by hand the role did not stop naming its input"
        exit 1
    fi
    manual=(-e gitlab_wiring_manual_application_id=manual-app-by-hand -e "gitlab_wiring_manual_application_secret=${manual_secret}")
    playbook "${profile}" manual wire.yml --diff "${manual[@]}"
    expect_changed "${profile}" manual some
    grep -q 'Using the OAuth application created by hand' "${WORK}/${profile}-manual.log" || {
        echo "=== gitlab_wiring (${profile}): the role did not say that it uses the application made by hand"
        exit 1
}
playbook "${profile}" manual-second wire.yml --diff "${manual[@]}"
expect_changed "${profile}" manual-second none
if grep -F -q "${manual_secret}" "${WORK}/${profile}"-*.log; then
    echo "=== gitlab_wiring (${profile}): the secret of the application made by hand appears in the output"
    exit 1
fi
echo "=== gitlab_wiring (${profile}): an application made by hand is required, then used; a second run changed nothing"
}

# shellcheck source=../setup_gitlab_lab/run_profiles.sh
source ../setup_gitlab_lab/run_profiles.sh
# wire_profile PROFILE: the scenario the profile's release calls for.
wire_profile() {
    if lab_has "$1" applications_create; then
        wire "$1"
    else
        wire_by_hand "$1"
    fi
}

# Side by side, as run_profiles runs the module targets; each profile's output and cost in order.
# shellcheck disable=SC2046 # one word per profile
for_profiles wire_profile $(lab_slow_profiles)
