#!/usr/bin/env bash
# Integration tests: starts the lab GitLab profiles side by side and
# moto_server, writes their addresses to an integration_config.yml (ansible-test
# does not pass environment variables to the targets, but hands this file to
# them), and runs the nox session integration-X.Y (noxfile.py: ansible-test
# integration in a copy of the collection, which gets that file) for the
# toolchain's ansible-core X.Y. The lab lives as long as this script.
#
#   bash tests/integration/run.sh [ansible-test integration options/targets...]
#   KG_GITLAB_PROFILES=all bash tests/integration/run.sh     # the full matrix
#
# Uses the active toolchain (KG_PYTHON) when .ci/test set it up; otherwise
# prepares the primary toolchain itself.
#
# Which targets run on which lab profiles (tests/lab/gitlab/gitlab_lab/profiles.py;
# each is one GitLab release, its capabilities taken from the collection's release
# table, which the targets read from the lab's GET /__lab__/info):
# - the module targets (gitlab_koding_settings, gitlab_oauth_app,
#   gitlab_system_hook) on every profile the modules support, 8.17 to 18.11
#   (8.16 serves only API v3: the modules refuse it, shown in process by
#   tests/lab/gitlab/test_releases.py); gitlab_hostile_input on the newest only
#   (every case is refused before any request);
# - the slow targets, the role target gitlab_wiring (a dozen playbook runs a
#   profile) and gitlab_overlapping_runs (five runs at once under 2 s of latency,
#   twice), only where their behaviour changes, which is where the applications
#   API changes: 8.17 (no applications API: the application made by hand),
#   legacy = 11.0 (create only, the Koding settings), transition = 11.11 (list
#   and delete, no renew: the application is re-created after a lost secret) and
#   modern = 17.5 (renew). What else differs between releases (hook PUT or delete
#   and add, repository_update_events ignored, hook names, pagination) happens
#   inside gitlab_system_hook, which the module targets cover on every profile;
#   overlapping runs ensure one and the same hook, which no release updates.
# Cost, measured as CPU seconds of ansible-playbook per profile (the targets print
# it with the wall time, which depends on the machine's load): gitlab_koding_settings
# 20-27, gitlab_oauth_app 10 (no applications API) to 29, gitlab_system_hook 40,
# gitlab_wiring 17 (8.17) and more where the role has more to do. Every profile
# beyond the classic three adds 75-90 CPU seconds, the nine about 13 CPU minutes:
# about 7 minutes with two profiles side by side on two idle cores.
# KG_GITLAB_PROFILES: unset, the above; "all", every target on every profile;
# "classic", the module targets on legacy, transition and modern only; "compat",
# every target on legacy and modern (the compat toolchain's default: see below);
# or a list of profile names for both.
# KG_GITLAB_PARALLEL (default 2): how many profiles a target runs side by side.
set -euo pipefail

# shellcheck source=../../.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"

if [ -z "${KG_PYTHON:-}" ] || [ -z "${KG_VENV:-}" ]; then
    kg_toolchain primary
fi

# Oldest first; names as tests/lab/gitlab/gitlab_lab/profiles.py has them.
supported_profiles=(8.17 10.4 legacy 11.4 transition 12.10 13.12 14.10 15.11 16.11 modern 18.11)
classic_profiles=(legacy transition modern)
slow_profiles=(8.17 legacy transition modern)
# The compat toolchain (Python 3.11, ansible-core 2.19) checks the modules' Python and Ansible versions, not GitLab's
# releases (the primary toolchain covers those): every target on the oldest and the newest shape of the APIs the
# modules use (create only with the Koding settings; renew), which keeps the CI's time in bounds.
compat_profiles=(legacy modern)
default="supported"
[ "$(basename "${KG_VENV}")" = compat ] && default="compat"
case "${KG_GITLAB_PROFILES:-${default}}" in
    compat) module_profiles=("${compat_profiles[@]}") slow_profiles=("${compat_profiles[@]}") ;;
    all) module_profiles=("${supported_profiles[@]}") slow_profiles=("${supported_profiles[@]}") ;;
    supported) module_profiles=("${supported_profiles[@]}") ;;
    classic) module_profiles=("${classic_profiles[@]}") ;;
    *) read -r -a module_profiles <<<"${KG_GITLAB_PROFILES}" && slow_profiles=("${module_profiles[@]}") ;;
esac
kg_log "lab GitLab profiles: module targets ${module_profiles[*]}; gitlab_wiring and gitlab_overlapping_runs ${slow_profiles[*]}"

# lab_name PROFILE: the lab's name for kg_gitlab_lab_start (a shell identifier).
lab_name() {
    local name="gl_${1//./_}"
    echo "${name}"
}
labs=()
mapfile -t started < <(printf '%s\n' "${module_profiles[@]}" "${slow_profiles[@]}" | sort -u)
for profile in "${started[@]}"; do
    labs+=("$(lab_name "${profile}"):${profile}")
done
kg_gitlab_labs_start "${labs[@]}"
lab_urls=""
for profile in "${started[@]}"; do
    var="KG_GITLAB_$(lab_name "${profile}" | tr '[:lower:]' '[:upper:]')_URL"
    lab_urls+="  '${profile}': ${!var}"$'\n'
done

# ---- AWS: moto_server on 127.0.0.1 for the provision_aws targets ----------
# shellcheck source=../aws/moto.sh
source "${KG_ROOT}/tests/aws/moto.sh"
kg_moto_start
# ---- end of AWS ------------------------------------------------------------

# Outside the tree: noxfile.py copies it into the collection copy ansible-test runs in.
config="${KG_CACHE}/lab/integration_config.yml"
(
    umask 077
    cat >"${config}" <<CONFIG
---
# Written by tests/integration/run.sh for one run; lab values only.
# The profiles the module targets and the slow targets (gitlab_wiring, gitlab_overlapping_runs) run against, oldest first.
gitlab_lab_profiles: ${module_profiles[*]}
gitlab_lab_slow_profiles: ${slow_profiles[*]}
# How many profiles a target runs side by side (each has its own lab GitLab).
gitlab_lab_parallel: ${KG_GITLAB_PARALLEL:-2}
gitlab_lab_urls:
${lab_urls%$'\n'}
gitlab_lab_admin_token: ${KG_LAB_ADMIN_TOKEN}
gitlab_lab_user_token: glpat-lab-user-5e8d1c3b7a2f
gitlab_lab_unknown_token: glpat-lab-unknown-0f1e2d3c4b5a
# moto_server (tests/aws/moto.sh): the only AWS endpoint the tests use.
aws_moto_url: ${KG_MOTO_URL}
CONFIG
)

python_version="$("${KG_PYTHON}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
KG_INTEGRATION_CONFIG="${config}" kg_nox -e "integration-${KG_ANSIBLE_CORE_VERSION}" -- --python "${python_version}" --color no "$@"
