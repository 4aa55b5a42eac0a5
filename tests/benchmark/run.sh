#!/usr/bin/env bash
# Benchmark: no-op runs of the modules against plain ansible.builtin.uri jobs,
# with 1, 100 and 1,000 existing hooks/applications in the lab GitLab. Prints
# a table and writes docs/benchmark.md (or KG_BENCHMARK_OUTPUT). No timing assertions: it fails only if
# a job fails.
#
#   bash tests/benchmark/run.sh [--reps N] [--sizes 1,100,1000] [--output FILE]
set -euo pipefail

# shellcheck source=../../.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"

if [ -z "${KG_PYTHON:-}" ] || [ -z "${KG_VENV:-}" ]; then
    kg_toolchain primary
fi
if [ -z "${KG_TREE:-}" ] || [ ! -d "${KG_TREE}" ]; then
    kg_collection_tree
fi

kg_gitlab_lab_start bench_legacy legacy
kg_gitlab_lab_start bench_modern modern

"${KG_PYTHON}" "${KG_ROOT}/tests/benchmark/bench.py" \
    --legacy-url "${KG_GITLAB_BENCH_LEGACY_URL}" --modern-url "${KG_GITLAB_BENCH_MODERN_URL}" \
    --output "${KG_BENCHMARK_OUTPUT:-${KG_ROOT}/docs/benchmark.md}" "$@"
