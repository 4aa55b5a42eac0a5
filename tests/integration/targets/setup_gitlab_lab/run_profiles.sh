# shellcheck shell=bash
# Sourced by the runme.sh of the module targets (cwd: the target's directory).
#
# lab_profiles prints the lab GitLab profiles tests/integration/run.sh started
# (legacy transition modern), from integration_config.yml.
lab_profiles() {
    sed -n 's/^gitlab_lab_profiles: *//p' ../../integration_config.yml
}

# run_profiles [ansible-playbook options...] runs the target's runme.yml once
# against each lab GitLab profile (legacy, transition, modern) with -vvv, keeping the
# output, and fails if any secret the playbook used or received shows up in it.
# The playbook writes those secrets, one per line, to a 0600 file.

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
    done
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
