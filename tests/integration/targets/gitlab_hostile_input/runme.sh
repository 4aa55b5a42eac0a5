#!/usr/bin/env bash
# Hostile input through ansible-playbook with -vvv; fails if a secret (a token,
# a password in a URL) shows in the output. Every case is refused before any
# request, so what the release can do plays no part: it runs against the newest
# of the lab profiles only (the last of lab_profiles).
set -eu
# shellcheck source=../setup_gitlab_lab/run_profiles.sh
source ../setup_gitlab_lab/run_profiles.sh

mkdir -p "${OUTPUT_DIR}"
log="${OUTPUT_DIR}/gitlab_hostile_input.log"
secrets="${OUTPUT_DIR}/gitlab_hostile_input.secrets"
(umask 077 && : >"${secrets}")
status=0
ANSIBLE_ROLES_PATH=.. ansible-playbook runme.yml -i "${INVENTORY_PATH}" -e @../../integration_config.yml \
    -e "gitlab_lab_profile=$(lab_profiles | awk '{ print $NF }')" -e "gitlab_lab_secrets_file=${secrets}" -vvv "$@" >"${log}" 2>&1 || status=$?
if [ "${status}" -ne 0 ]; then
    grep -E '^(TASK|fatal|failed|PLAY RECAP|\[ERROR\])|"msg"|evaluated_to|^Origin' "${log}" | tail -n 40
    echo "=== gitlab_hostile_input: ansible-playbook failed with exit ${status}"
    exit 1
fi
sed -n '/^PLAY RECAP/,$p' "${log}"
if grep -q 'Traceback' "${log}"; then
    echo "=== gitlab_hostile_input: a traceback appears in ${log}"
    exit 1
fi
check_no_secrets "${log}" "${secrets}"
