#!/usr/bin/env bash
# The operator's path, as a user and as AWX would run it:
#   1. the README's install and quick start, run as written against the lab (tests/quickstart/run.sh);
#   2. docs/awx/awx_setup.yml run against a stand-in controller (tests/awx/controller) that checks each awx.awx call
#      against the options the real module documents and records it;
#   3. the "Koding - site" job template it created, run the way AWX's executor runs it: ansible-runner on a private
#      data dir laid out as AWX lays it out (tests/awx/private_data_dir.py), everything read back from the record:
#      the project of docs/awx with collections/requirements.yml installed as project sync installs it (its Git URL
#      pointed at a repository of this tree), the template's credentials injected as their credential types say,
#      its extra vars as stored, its inventory's group koding; only the survey's answers come from the test;
# against the lab GitLab and a Koding stack on this machine's Docker engine (127.0.0.1 only). It asserts that the
# template holds nothing of awx_setup.yml's environment, that the first run changes, that the second reports
# changed=0, and that no secret (GitLab's token, the team admin's password, the OAuth secret, the hook token,
# Koding's JWT secret) appears anywhere in the runner's artifacts.
set -euo pipefail

# shellcheck source=../../.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"

kg_system_packages
kg_docker_up
kg_toolchain packaging
kg_collection_tree
bash "${KG_ROOT}/tests/lab/koding/build.sh"
kg_gitlab_lab_start awx modern

bash "${KG_ROOT}/tests/quickstart/run.sh"

work="${KG_CACHE}/awx"
# The stack of an earlier run goes first: its project directory is about to be removed.
if [ -f "${work}/lab/stack/compose.yml" ]; then
    docker compose -f "${work}/lab/stack/compose.yml" down --volumes --remove-orphans >/dev/null 2>&1 || true
fi
rm -rf "${work}"
mkdir -p "${work}"
chmod 0700 "${work}"

# The collection's Git repository, as the AWX project's requirements.yml names it: this tree, committed.
repository="${work}/koding.gitlab.git"
cp -a "${KG_TREE}" "${repository}"
rm -rf "${repository}/.git"
git -C "${repository}" init -q -b main
git -C "${repository}" add -A
git -C "${repository}" -c user.name=ci -c user.email=ci@localhost commit -q -m "koding.gitlab"

# awx_setup.yml, with the operator's environment set: none of it may end up in a job template.
export KG_AWX_WORK="${work}" KG_AWX_LAB_VARS="${KG_ROOT}/.lab/koding/lab-vars.yml" KG_AWX_RECORD="${work}/controller.jsonl"
KG_AWX_SETUP_EMAIL="admin@koding.localhost"
KG_AWX_SETUP_PASSWORD="$(python -c 'import secrets; print(secrets.token_urlsafe(18))')"
export KG_AWX_SETUP_EMAIL KG_AWX_SETUP_PASSWORD
python "${KG_ROOT}/tests/awx/setup_vars.py" "${work}/setup-vars.json" "https://git.example.com/ops/koding-awx.git"
(
    # awx.awx ships only in the `ansible` release of the compat toolchain; the stand-in comes first on the path.
    kg_toolchain compat
    KG_AWX_REAL_COLLECTION="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ansible_collections/awx/awx"
    export KG_AWX_REAL_COLLECTION
    cd "${KG_ROOT}/docs/awx"
    ANSIBLE_COLLECTIONS_PATH="${KG_ROOT}/tests/awx/controller" GITLAB_URL="${KG_GITLAB_AWX_URL}" \
        GITLAB_API_TOKEN="${KG_LAB_ADMIN_TOKEN}" KODING_TEAM_ADMIN_EMAIL="${KG_AWX_SETUP_EMAIL}" \
        KODING_TEAM_ADMIN_PASSWORD="${KG_AWX_SETUP_PASSWORD}" \
        ansible-playbook awx_setup.yml -e "@${work}/setup-vars.json" >"${work}/awx_setup.log" 2>&1 \
        || { tail -n 30 "${work}/awx_setup.log"; kg_die "docs/awx/awx_setup.yml failed"; }
)

# Project sync: the project's files, with collections/requirements.yml's Git URL set to the repository above (the
# step its comment asks of a user), installed where AWX puts a project's collections.
project="${work}/project"
cp -a "${KG_ROOT}/docs/awx" "${project}"
sed -i "s|https://git.example.com/ops/koding.gitlab.git|file://${repository}|" "${project}/collections/requirements.yml"
grep -q "file://${repository}" "${project}/collections/requirements.yml" || kg_die "collections/requirements.yml names no Git URL"
# The dependencies come from the `ansible` package, standing in for Galaxy.
ANSIBLE_COLLECTIONS_PATH="${work}/collections" ansible-galaxy collection install --no-deps -p "${work}/collections" \
    -r "${project}/collections/requirements.yml" >"${work}/project-sync.log" 2>&1 \
    || { cat "${work}/project-sync.log"; kg_die "installing the project's collections/requirements.yml failed"; }
[ -f "${work}/collections/ansible_collections/koding/gitlab/MANIFEST.json" ] \
    || kg_die "collections/requirements.yml did not install koding.gitlab"

# The team admin's password the job gets: the one the credential that awx_setup.yml created holds.
password="${KG_AWX_SETUP_PASSWORD}"
(umask 077 && python "${KG_ROOT}/tests/awx/private_data_dir.py" "${KG_AWX_RECORD}" "${project}")

run_job() {
    local name="$1"
    ansible-runner run "${work}/pdd" --ident "${name}" -p site.yml >"${work}/${name}.stdout" 2>&1 || {
        tail -n 40 "${work}/${name}.stdout"
        kg_die "the ${name} run of the site job failed (artifacts: ${work}/pdd/artifacts/${name})"
    }
}

# The stack publishes a port of its own; under the lock every other stack on this machine uses.
exec {stack_lock}>/tmp/kg-docker-stack.lock
flock "${stack_lock}"
run_job first
run_job second
python "${KG_ROOT}/tests/awx/check_artifacts.py" "${work}" "${password}"
docker compose -f "${work}/lab/stack/compose.yml" down --volumes --remove-orphans >/dev/null 2>&1 || true
echo "awx: the quick start ran as written; the site job awx_setup.yml created ran through ansible-runner twice, changed=0 the second time, no secret in its artifacts"
