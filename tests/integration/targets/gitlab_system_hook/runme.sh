#!/usr/bin/env bash
# Runs the tests against each lab GitLab profile, then checks that no
# secret appears in the -vvv output.
set -eu
# shellcheck source=../setup_gitlab_lab/run_profiles.sh
source ../setup_gitlab_lab/run_profiles.sh
run_profiles "$@"
