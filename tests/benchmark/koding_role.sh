#!/usr/bin/env bash
# Benchmark of the koding role and the main playbook on the lab, side by side with earlier commits of the
# collection (by default f1378f8, before the roles were made thin over modules; --old-ref build adds the last
# commit whose backend still built on every start):
#   - the koding role: a run with nothing built until Koding is healthy, a no-op re-run, a backend restart;
#   - playbooks/site.yml: the no-op run (what AWX users schedule).
# Prints the figures and writes docs/benchmark-koding.md (or KG_BENCHMARK_KODING_OUTPUT). No timing
# assertions: it fails only if a run of the collection now fails. Uses the shared Docker engine on 127.0.0.1:
# run it under `flock -o /tmp/kg-docker-stack.lock` (-o: a dockerd started on the way must not inherit the lock).
#
#   bash tests/benchmark/koding_role.sh [--old-ref REF]... [--reps N]
set -euo pipefail

# shellcheck source=../../.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"

if [ -z "${KG_PYTHON:-}" ] || [ -z "${KG_VENV:-}" ]; then
    kg_toolchain primary
fi
kg_docker_up
if [ -z "${KG_TREE:-}" ] || [ ! -d "${KG_TREE}" ]; then
    kg_collection_tree
fi
bash "${KG_ROOT}/tests/lab/koding/build.sh"
kg_gitlab_lab_start bench_site modern

# The lab GitLab's admin token travels by environment, as in .ci/site.
GITLAB_URL="${KG_GITLAB_BENCH_SITE_URL}" GITLAB_API_TOKEN="${KG_LAB_ADMIN_TOKEN}" \
    "${KG_PYTHON}" "${KG_ROOT}/tests/benchmark/koding_role.py" \
    --output "${KG_BENCHMARK_KODING_OUTPUT:-${KG_ROOT}/docs/benchmark-koding.md}" "$@"
