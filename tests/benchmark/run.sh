#!/usr/bin/env bash
# Benchmark: no-op runs of the modules against plain ansible.builtin.uri jobs,
# with 1 to 10,000 existing hooks (1 to 1,000 applications) in the lab GitLab,
# the module's concurrent page reading side by side with sequential reading.
# Prints a table and writes docs/benchmark.md (or KG_BENCHMARK_OUTPUT). No
# timing assertions: it fails only if a job fails.
#
#   bash tests/benchmark/run.sh [--reps N] [--hook-sizes 1,100,1000,10000] [--app-sizes 1,1000]
#                               [--latency-ms 10] [--output FILE]
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
    --lab-server "${KG_ROOT}/tests/lab/gitlab/server.py" \
    --output "${KG_BENCHMARK_OUTPUT:-${KG_ROOT}/docs/benchmark.md}" "$@"
