#!/usr/bin/env bash
# Overlapping runs (as when AWX runs two jobs of one template at once): five
# processes ensure the same system hook, then the same OAuth application, at
# the same moment, against each of the lab profiles for the slow targets
# (lab_slow_profiles: where the applications API changes), each slowed down by its latency fault
# (every list answer arrives 2 s late, so each run acts on a stale read).
# Afterwards exactly one hook and one application remain, and a later run
# succeeds without a change.
#
# Hooks: every run succeeds; the extra hooks are removed by the runs that see
# them. Applications (where GitLab can list them, applications_list): each holds
# its own secret, so the runs whose copy is not kept remove it and fail, saying
# another run holds the application. A GitLab that cannot list applications
# gives nothing that can see an overlapping run's application: that case is
# left out (and documented).
set -eu

# shellcheck source=../setup_gitlab_lab/run_profiles.sh
source ../setup_gitlab_lab/run_profiles.sh

RUNS=5
WORK="${OUTPUT_DIR}/gitlab_overlapping_runs"
mkdir -p "${WORK}"
chmod 0700 "${WORK}"
VARS="${WORK}/vars.yml"
(
    umask 077
    token="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    printf -- '---\noverlap_hook_token: %s\n' "${token}" >"${VARS}"
)

# book NAME PLAYBOOK PROFILE KIND [options...]: runs PLAYBOOK into ${WORK}/NAME.log.
book() {
    local name="$1" playbook="$2" profile="$3" kind="$4"
    shift 4
    ANSIBLE_ROLES_PATH=.. ansible-playbook "${playbook}" -i "${INVENTORY_PATH}" -e @../../integration_config.yml \
        -e "@${VARS}" -e "gitlab_lab_profile=${profile}" -e "overlap_kind=${kind}" "$@" >"${WORK}/${name}.log" 2>&1
}

fail() {
    echo "=== gitlab_overlapping_runs: $*"
    exit 1
}

overlap() {
    local profile="$1" kind="$2" dir="${WORK}/$1-$2" run waited=0 status succeeded=0
    local -a pids=()
    rm -rf "${dir}"
    mkdir -p "${dir}"
    book "${profile}-${kind}-reset" lab.yml "${profile}" "${kind}" -e overlap_step=reset \
        || fail "resetting the lab failed (${WORK}/${profile}-${kind}-reset.log)"

    for run in $(seq 1 "${RUNS}"); do
        book "${profile}-${kind}-run${run}" run_one.yml "${profile}" "${kind}" -vvv \
            -e "overlap_dir=${dir}" -e "overlap_run=${run}" &
        pids+=("$!")
    done
    # Start them together once every one is ready (ansible-playbook takes a
    # few seconds to start, more on a busy machine).
    while [ "$(find "${dir}" -name 'ready-*' | wc -l)" -lt "${RUNS}" ]; do
        [ "${waited}" -lt 1200 ] || fail "the runs did not get ready within 120 s"
        sleep 0.1
        waited=$((waited + 1))
    done
    touch "${dir}/start"
    for run in $(seq 1 "${RUNS}"); do
        status=0
        wait "${pids[$((run - 1))]}" || status=$?
        log="${WORK}/${profile}-${kind}-run${run}.log"
        if [ "${status}" -eq 0 ]; then
            succeeded=$((succeeded + 1))
        elif [ "${kind}" = hook ]; then
            grep -E '"msg"|fatal' "${log}" | tail -n 5
            fail "${profile}: overlapping hook run ${run} failed (${log})"
        elif ! grep -q 'Another run created' "${log}"; then
            grep -E '"msg"|fatal' "${log}" | tail -n 5
            fail "${profile}: overlapping application run ${run} failed without saying another run holds it (${log})"
        fi
    done
    [ "${succeeded}" -ge 1 ] || fail "${profile}: none of the ${RUNS} overlapping ${kind} runs succeeded"

    book "${profile}-${kind}-calm" lab.yml "${profile}" "${kind}" -e overlap_step=calm \
        || fail "removing the latency failed"
    if ! book "${profile}-${kind}-count" lab.yml "${profile}" "${kind}" -e overlap_step=count; then
        grep -E '"msg"|fatal' "${WORK}/${profile}-${kind}-count.log" | tail -n 5
        fail "${profile}: more than one ${kind} remains after ${RUNS} overlapping runs"
    fi
    touch "${dir}/start"
    book "${profile}-${kind}-later" run_one.yml "${profile}" "${kind}" -e "overlap_dir=${dir}" -e overlap_run=later \
        || fail "${profile}: a later ${kind} run failed (${WORK}/${profile}-${kind}-later.log)"
    grep -q 'changed=0' "${WORK}/${profile}-${kind}-later.log" || fail "${profile}: a later ${kind} run changed something"
    echo "=== ${profile}: ${RUNS} overlapping ${kind} runs, ${succeeded} succeeded;" \
        "$(sed -n 's/.*"msg": "\(created [^"]*\)".*/\1/p' "${WORK}/${profile}-${kind}-count.log" | tr -s ' ');" \
        "one ${kind} remains; a later run changed nothing"
}

for profile in $(lab_slow_profiles); do
    started="${SECONDS}"
    overlap "${profile}" hook
    if lab_has "${profile}" applications_list; then
        overlap "${profile}" app
    fi
    echo "=== gitlab_overlapping_runs (${profile}): $((SECONDS - started)) s"
done

# The hook token and the lab tokens never appear in the -vvv output.
secrets="${WORK}/secrets"
(umask 077 && { sed -n 's/^overlap_hook_token: //p' "${VARS}"; grep -h '_token:' ../../integration_config.yml | sed 's/^[^:]*: *//'; } >"${secrets}")
if grep -F -l -f "${secrets}" "${WORK}"/*-run*.log; then
    fail "a secret appears in the -vvv output of the files above"
fi
echo "=== gitlab_overlapping_runs: no secret in the -vvv output"
