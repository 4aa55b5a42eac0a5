#!/usr/bin/env bash
# Hostile input through ansible-playbook with -vvv; fails if a secret (a token,
# a password in a URL) shows in the output. Every case is refused before any
# request, so what the release can do plays no part: it runs against the newest
# of the lab profiles only (the last of lab_profiles).
set -eu
# shellcheck source=../setup_gitlab_lab/run_profiles.sh
source ../setup_gitlab_lab/run_profiles.sh

mkdir -p "${OUTPUT_DIR}"
profile="$(lab_profiles | awk '{ print $NF }')"
# shellcheck disable=SC2034 # read by run_profile
RUN_PROFILE_OPTIONS=("$@")
run_profile "${profile}"
log="${OUTPUT_DIR}/gitlab_hostile_input-${profile}.log"
if grep -q 'Traceback' "${log}"; then
    echo "=== gitlab_hostile_input: a traceback appears in ${log}"
    exit 1
fi
