# shellcheck shell=bash
# Sourced by the runme.sh of the GitLab targets (cwd: the target's directory).
#
# lab_profiles prints the lab GitLab profiles the module targets run against,
# lab_wiring_profiles the ones the role-level gitlab_wiring target runs against
# (tests/integration/run.sh chose both and wrote them to integration_config.yml).
lab_profiles() {
    sed -n 's/^gitlab_lab_profiles: *//p' ../../integration_config.yml
}

lab_wiring_profiles() {
    sed -n 's/^gitlab_lab_wiring_profiles: *//p' ../../integration_config.yml
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
# The playbook writes those secrets, one per line, to a 0600 file. It prints
# what each profile took (seconds), for the cost of the matrix.

run_profiles() {
    local target profile log secrets status
    target="$(basename "${PWD}")"
    mkdir -p "${OUTPUT_DIR}"
    for profile in $(lab_profiles); do
        log="${OUTPUT_DIR}/${target}-${profile}.log"
        secrets="${OUTPUT_DIR}/${target}-${profile}.secrets"
        (umask 077 && : >"${secrets}")
        echo "=== ${target}: lab profile ${profile} (output: ${log})"
        status=0
        cost_mark
        ANSIBLE_ROLES_PATH=.. ansible-playbook runme.yml -i "${INVENTORY_PATH}" -e @../../integration_config.yml \
            -e "gitlab_lab_profile=${profile}" -e "gitlab_lab_secrets_file=${secrets}" -vvv "$@" >"${log}" 2>&1 || status=$?
        if [ "${status}" -ne 0 ]; then
            # Show the failure without the -vvv noise.
            grep -E '^(TASK|fatal|failed|changed|ok|skipping|PLAY RECAP|\[ERROR\])|"msg"|assertion|evaluated_to|^Origin' "${log}" | tail -n 60
            echo "=== ${target} (${profile}): ansible-playbook failed with exit ${status}"
            return 1
        fi
        sed -n '/^PLAY RECAP/,$p' "${log}"
        check_no_secrets "${log}" "${secrets}" || return 1
        echo "=== ${target} (${profile}): $(cost_since_mark)"
    done
}

# cost_mark remembers the time and the CPU seconds of this shell's finished
# children; cost_since_mark prints what passed since (the CPU seconds are the
# figure that holds on a busy machine). `times` runs in this shell: a subshell
# would not see this shell's children.
cost_mark() {
    COST_MARK_WALL="${EPOCHREALTIME}"
    times >"${OUTPUT_DIR}/.times"
    COST_MARK_CPU="$(children_cpu "${OUTPUT_DIR}/.times")"
}

cost_since_mark() {
    local cpu
    times >"${OUTPUT_DIR}/.times"
    cpu="$(children_cpu "${OUTPUT_DIR}/.times")"
    awk -v start="${COST_MARK_WALL}" -v now="${EPOCHREALTIME}" -v cpu0="${COST_MARK_CPU}" -v cpu1="${cpu}" \
        'BEGIN { printf "%.0f s wall, %.0f s CPU\n", now - start, cpu1 - cpu0 }'
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
