#!/usr/bin/env bash
# Runs the collection's Molecule scenarios (extensions/molecule/<scenario>) against this machine's
# Docker engine:
#   koding         the koding role and the Koding lab on this machine's engine
#   koding_tls     the koding role's TLS front (the operator's certificate, then ACME from Pebble) on the same lab
#   docker_engine  the docker_engine role in a Debian 12 and an Ubuntu 24.04 container
# Usage: bash extensions/molecule/run.sh [SCENARIO...]   (all scenarios when none is named)
# Called by .ci/test with the toolchain active; run alone, it sets the toolchain up itself.
# Exits non-zero when any step of any scenario fails.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${repo_root}"

# shellcheck source=.ci/lib.sh
source .ci/lib.sh
if [[ -z "${KG_VENV:-}" ]] || ! command -v molecule >/dev/null 2>&1; then
    kg_toolchain primary
fi
kg_docker_up
# The scenarios reach the roles and modules as koding.gitlab.*.
if [[ -z "${KG_TREE:-}" ]]; then
    kg_collection_tree
fi

scenarios=("$@")
if ((${#scenarios[@]} == 0)); then
    scenarios=(koding koding_tls docker_engine)
fi

# One run at a time on a machine: the scenarios use fixed container names, a stack directory and a port.
mkdir -p .lab
exec {molecule_lock}>.lab/molecule.lock
flock "${molecule_lock}"

failed=0
for scenario in "${scenarios[@]}"; do
    options=()
    if [[ "${scenario}" == docker_engine ]]; then
        # Prints the platforms it could build; the Ubuntu one is left out, loudly, when its archive does not answer.
        mapfile -t platforms < <(bash extensions/molecule/docker_engine/build-images.sh)
        if ((${#platforms[@]} == 0)); then
            printf 'molecule: no platform image for scenario docker_engine\n' >&2
            failed=1
            continue
        fi
        if ((${#platforms[@]} == 1)); then
            printf '\n!!!! molecule: scenario docker_engine runs on %s ONLY: the Ubuntu platform is SKIPPED (see the warning above) !!!!\n\n' \
                "${platforms[0]}" >&2
            options=(--platform-name "${platforms[0]}")
        fi
    fi
    started=${SECONDS}
    status=0
    molecule test --scenario-name "${scenario}" "${options[@]}" || status=$?
    elapsed=$((SECONDS - started))
    if ((status == 0)); then
        printf 'molecule: scenario %s passed in %d s\n' "${scenario}" "${elapsed}"
    else
        printf 'molecule: scenario %s FAILED (exit %d) after %d s\n' "${scenario}" "${status}" "${elapsed}" >&2
        failed=1
    fi
done
exit "${failed}"
