#!/usr/bin/env bash
# The "Koding - site" job template run the way AWX's executor runs it: ansible-runner on a private data dir laid out
# as AWX lays it out (project, inventory, env/envvars, env/extravars, env/settings), with
#   - the project of docs/awx (its site.yml imports koding.gitlab.site from the collection tarball, installed as AWX
#     installs collections/requirements.yml on project sync);
#   - the two custom credential types of docs/awx/credential_types.yml injected exactly as their injectors say;
#   - extra vars from the job template and its survey;
# against the lab GitLab and a Koding stack on this machine's Docker engine (127.0.0.1 only). It asserts that the
# first run changes, that the second reports changed=0, and that no secret (GitLab's token, the team admin's
# password, the OAuth secret, the hook token, Koding's JWT secret) appears anywhere in the runner's artifacts.
set -euo pipefail

# shellcheck source=../../.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"

kg_system_packages
kg_docker_up
kg_toolchain packaging
kg_collection_tree
bash "${KG_ROOT}/tests/lab/koding/build.sh"
kg_gitlab_lab_start awx modern

work="${KG_CACHE}/awx"
# The stack of an earlier run goes first: its project directory is about to be removed.
if [ -f "${work}/lab/stack/compose.yml" ]; then
    docker compose -f "${work}/lab/stack/compose.yml" down --volumes --remove-orphans >/dev/null 2>&1 || true
fi
rm -rf "${work}"
mkdir -p "${work}"
chmod 0700 "${work}"

# The collection as AWX gets it: the tarball, installed into the job's collections path.
ansible-galaxy collection build "${KG_TREE}" --output-path "${work}" >/dev/null
ANSIBLE_COLLECTIONS_PATH="${work}/collections" \
    ansible-galaxy collection install --no-deps --force -p "${work}/collections" "${work}"/koding-gitlab-*.tar.gz >/dev/null

password="$(python -c 'import secrets; print(secrets.token_urlsafe(18))')"
(
    umask 077
    KG_AWX_WORK="${work}" KG_AWX_GITLAB_URL="${KG_GITLAB_AWX_URL}" KG_AWX_GITLAB_TOKEN="${KG_LAB_ADMIN_TOKEN}" \
        KG_AWX_PASSWORD="${password}" KG_AWX_LAB_VARS="${KG_ROOT}/.lab/koding/lab-vars.yml" \
        python "${KG_ROOT}/tests/awx/private_data_dir.py" "${KG_ROOT}/docs/awx"
)

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
echo "awx: the site job ran through ansible-runner twice, changed=0 the second time, no secret in its artifacts"
