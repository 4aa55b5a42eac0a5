#!/usr/bin/env bash
# Runs the koding role's Molecule scenario (molecule/default) against this machine's Docker engine.
# Called by .ci/test with the toolchain active; run alone, it sets the toolchain up itself.
# Exits non-zero when any step of the scenario fails.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${repo_root}"

# shellcheck source=.ci/lib.sh
source .ci/lib.sh
if [[ -z "${KG_VENV:-}" ]] || ! command -v molecule >/dev/null 2>&1; then
    kg_toolchain primary
fi
kg_docker_up
# The scenario reaches the roles and the koding_team module as koding.gitlab.*.
if [[ -z "${KG_TREE:-}" ]]; then
    kg_collection_tree
fi

# One scenario at a time on a machine: they share the stack directory, project name and port.
mkdir -p .lab
exec {molecule_lock}>.lab/molecule-default.lock
flock "${molecule_lock}"

started=${SECONDS}
status=0
molecule test --scenario-name default "$@" || status=$?
elapsed=$((SECONDS - started))
if ((status == 0)); then
    printf 'molecule: scenario default passed in %d s\n' "${elapsed}"
else
    printf 'molecule: scenario default FAILED (exit %d) after %d s\n' "${status}" "${elapsed}" >&2
fi
exit "${status}"
