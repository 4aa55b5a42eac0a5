#!/usr/bin/env bash
# The README's install and quick start, run as written (tests/quickstart/readme.py): the collection built from a
# checkout and installed into an empty HOME, the quick start's inventory, then its site and verify commands, against
# a lab GitLab (modern profile) in a container and a Koding stack on this machine's Docker engine (127.0.0.1 only).
# Called by the awx stage (tests/awx/run.sh), which needs the same lab.
set -euo pipefail

# shellcheck source=../../.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"

kg_system_packages
kg_docker_up
kg_toolchain packaging
kg_collection_tree
bash "${KG_ROOT}/tests/lab/koding/build.sh"

network=koding-quickstart
kg_gitlab_lab_container quickstart modern "${network}" gitlab.lab.test

work="${KG_CACHE}/quickstart"
# The stack of an earlier run goes first: its directory is about to be removed.
if [ -f "${work}/lab/stack/compose.yml" ]; then
    docker compose -f "${work}/lab/stack/compose.yml" down --volumes --remove-orphans >/dev/null 2>&1 || true
fi
rm -rf "${work}"
mkdir -p "${work}"
chmod 0700 "${work}"

# The stack publishes a port of its own; under the lock every other stack on this machine uses.
exec {stack_lock}>/tmp/kg-docker-stack.lock
flock "${stack_lock}"
status=0
KG_QUICKSTART_WORK="${work}" KG_QUICKSTART_CHECKOUT="${KG_TREE}" KG_QUICKSTART_LAB_VARS="${KG_ROOT}/.lab/koding/lab-vars.yml" \
    KG_QUICKSTART_GITLAB_URL="${KG_GITLAB_QUICKSTART_URL}" KG_QUICKSTART_GITLAB_TOKEN="${KG_LAB_ADMIN_TOKEN}" \
    KG_QUICKSTART_GITLAB_CONTAINER_URL="${KG_GITLAB_QUICKSTART_CONTAINER_URL}" KG_QUICKSTART_NETWORK="${network}" \
    KG_QUICKSTART_PASSWORD="$(python -c 'import secrets; print(secrets.token_urlsafe(18))')" \
    python "${KG_ROOT}/tests/quickstart/readme.py" "${KG_ROOT}/README.md" "${work}" || status=$?
if [ -f "${work}/lab/stack/compose.yml" ]; then
    docker compose -f "${work}/lab/stack/compose.yml" down --volumes --remove-orphans >/dev/null 2>&1 || true
fi
exit "${status}"
