#!/usr/bin/env bash
# Integration tests: starts the lab GitLab profiles (legacy = 11.0, with the
# Koding settings and create-only applications; transition = 11.11, list and
# delete but no Koding settings; modern = 17.5) and moto_server, writes their
# addresses to an integration_config.yml (ansible-test does not pass environment
# variables to the targets, but hands this file to them), and runs the nox
# session integration-X.Y (noxfile.py: ansible-test integration in a copy of the
# collection, which gets that file) for the toolchain's ansible-core X.Y. The lab
# lives as long as this script.
#
#   bash tests/integration/run.sh [ansible-test integration options/targets...]
#
# Uses the active toolchain (KG_PYTHON) when .ci/test set it up; otherwise
# prepares the primary toolchain itself.
set -euo pipefail

# shellcheck source=../../.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"

if [ -z "${KG_PYTHON:-}" ] || [ -z "${KG_VENV:-}" ]; then
    kg_toolchain primary
fi

kg_gitlab_lab_start legacy legacy
kg_gitlab_lab_start transition transition
kg_gitlab_lab_start modern modern
# GitLab 8.17 (no applications API): only the gitlab_wiring target's by-hand application scenario uses it.
kg_gitlab_lab_start r817 8.17

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
# The profiles every target runs against, oldest first.
gitlab_lab_profiles: legacy transition modern
gitlab_lab_urls:
  legacy: ${KG_GITLAB_LEGACY_URL}
  transition: ${KG_GITLAB_TRANSITION_URL}
  modern: ${KG_GITLAB_MODERN_URL}
  '8.17': ${KG_GITLAB_R817_URL}
gitlab_lab_admin_token: ${KG_LAB_ADMIN_TOKEN}
gitlab_lab_user_token: glpat-lab-user-5e8d1c3b7a2f
gitlab_lab_unknown_token: glpat-lab-unknown-0f1e2d3c4b5a
# moto_server (tests/aws/moto.sh): the only AWS endpoint the tests use.
aws_moto_url: ${KG_MOTO_URL}
CONFIG
)

python_version="$("${KG_PYTHON}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
KG_INTEGRATION_CONFIG="${config}" kg_nox -e "integration-${KG_ANSIBLE_CORE_VERSION}" -- --python "${python_version}" --color no "$@"
