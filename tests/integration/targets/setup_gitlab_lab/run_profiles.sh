# shellcheck shell=bash
# Sourced by the runme.sh of the GitLab targets (cwd: the target's directory).
#
# lab_profiles prints the lab GitLab profiles the module targets run against,
# lab_slow_profiles the ones the slow targets (gitlab_wiring,
# gitlab_overlapping_runs) run against (tests/integration/run.sh chose both, and
# says why, and wrote them to integration_config.yml).
lab_profiles() {
    sed -n 's/^gitlab_lab_profiles: *//p' ../../integration_config.yml
}

lab_slow_profiles() {
    sed -n 's/^gitlab_lab_slow_profiles: *//p' ../../integration_config.yml
}

# lab_has PROFILE CAPABILITY: true if the lab GitLab of PROFILE says its release
# has CAPABILITY (GET /__lab__/info: the collection's release table as the
# profile plays it). The tests take release facts from there, never from a version.
lab_has() {
    local url
    url="$(sed -n "s/^  '\{0,1\}$1'\{0,1\}: *//p" ../../integration_config.yml)"
    [ -n "${url}" ] || { echo "=== no lab URL for the profile $1 in integration_config.yml" >&2; return 2; }
    python3 - "${url}/__lab__/info" "$2" <<'PYTHON'
import json
import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1], timeout=30) as answer:
    capabilities = json.load(answer)["capabilities"]
sys.exit(0 if capabilities[sys.argv[2]]["has"] else 1)
PYTHON
}

# run_profiles [ansible-playbook options...] runs the target's runme.yml once
# against each lab GitLab profile of lab_profiles with -vvv, keeping the
# output, and fails if any secret the playbook used or received shows up in it.
# The playbook writes those secrets, one per line, to a 0600 file.
run_profiles() {
    RUN_PROFILE_OPTIONS=("$@")
    # shellcheck disable=SC2046 # one word per profile
    for_profiles run_profile $(lab_profiles)
}

# for_profiles FUNCTION PROFILE...: runs FUNCTION PROFILE for each profile side by
# side, gitlab_lab_parallel at a time (each profile has its own lab GitLab), and
# prints each one's output and cost in profile order; fails if any failed.
for_profiles() {
    local function="$1" target profile parallel index failed status=0 running=0
    local -a pids=()
    shift
    target="$(basename "${PWD}")"
    mkdir -p "${OUTPUT_DIR}"
    parallel="$(sed -n 's/^gitlab_lab_parallel: *//p' ../../integration_config.yml)"
    for profile in "$@"; do
        if [ "${running}" -ge "${parallel:-1}" ]; then
            wait -n || true
            running=$((running - 1))
        fi
        (
            trap 'cost_since_mark "=== ${target} (${profile}):"' EXIT
            cost_mark
            "${function}" "${profile}"
        ) >"${OUTPUT_DIR}/${target}-${profile}.out" 2>&1 &
        pids+=("$!")
        running=$((running + 1))
    done
    index=0
    for profile in "$@"; do
        failed=0
        wait "${pids[${index}]}" || failed=1
        cat "${OUTPUT_DIR}/${target}-${profile}.out"
        if [ "${failed}" -eq 1 ]; then
            echo "=== ${target} (${profile}): FAILED"
            status=1
        fi
        index=$((index + 1))
    done
    return "${status}"
}

# run_profile PROFILE: one profile of run_profiles.
run_profile() {
    local profile="$1" target log secrets status=0
    target="$(basename "${PWD}")"
    log="${OUTPUT_DIR}/${target}-${profile}.log"
    secrets="${OUTPUT_DIR}/${target}-${profile}.secrets"
    (umask 077 && : >"${secrets}")
    echo "=== ${target}: lab profile ${profile} (output: ${log})"
    cost_mark
    ANSIBLE_ROLES_PATH=.. ansible-playbook runme.yml -i "${INVENTORY_PATH}" -e @../../integration_config.yml \
        -e "gitlab_lab_profile=${profile}" -e "gitlab_lab_secrets_file=${secrets}" -vvv "${RUN_PROFILE_OPTIONS[@]}" >"${log}" 2>&1 || status=$?
    if [ "${status}" -ne 0 ]; then
        # Show the failure without the -vvv noise.
        grep -E '^(TASK|fatal|failed|changed|ok|skipping|PLAY RECAP|\[ERROR\])|"msg"|assertion|evaluated_to|^Origin' "${log}" | tail -n 60
        echo "=== ${target} (${profile}): ansible-playbook failed with exit ${status}"
        return 1
    fi
    sed -n '/^PLAY RECAP/,$p' "${log}"
    check_no_secrets "${log}" "${secrets}"
}

# cost_mark remembers the time and the CPU seconds of this shell's finished
# children; cost_since_mark PREFIX prints PREFIX and what passed since (the CPU seconds are the
# figure that holds on a busy machine). `times` runs in this shell: a command
# substitution would not see this shell's children.
cost_mark() {
    local file="${OUTPUT_DIR}/.times-${BASHPID}"
    COST_MARK_WALL="${EPOCHREALTIME}"
    times >"${file}"
    COST_MARK_CPU="$(children_cpu "${file}")"
}

cost_since_mark() {
    local cpu file="${OUTPUT_DIR}/.times-${BASHPID}"
    times >"${file}"
    cpu="$(children_cpu "${file}")"
    awk -v prefix="$1" -v start="${COST_MARK_WALL}" -v now="${EPOCHREALTIME}" -v cpu0="${COST_MARK_CPU}" -v cpu1="${cpu}" \
        'BEGIN { printf "%s %.0f s wall, %.0f s CPU\n", prefix, now - start, cpu1 - cpu0 }'
}

# children_cpu TIMES_OUTPUT: user + system seconds of the children line of `times`.
children_cpu() {
    awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); printf "%.2f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}

# check_no_secrets LOG SECRETS: fails if a line of SECRETS occurs in LOG.
check_no_secrets() {
    local log="$1" secrets="$2" count
    count="$(grep -c . "${secrets}" || true)"
    if [ "${count}" -lt 2 ]; then
        echo "=== the playbook recorded only ${count} secrets in ${secrets}; the output check would prove nothing"
        return 1
    fi
    if grep -F -q -f <(grep . "${secrets}") "${log}"; then
        echo "=== a secret appears in the -vvv output ${log} (lines:" \
            "$(grep -n -F -f <(grep . "${secrets}") "${log}" | cut -d: -f1 | tr '\n' ' '))"
        return 1
    fi
    echo "=== none of the ${count} secrets appears in the -vvv output"
}
