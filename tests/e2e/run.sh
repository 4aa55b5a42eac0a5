#!/usr/bin/env bash
# End-to-end tests through the deployed stack, on the legacy and the modern lab GitLab:
#   - the lab GitLab runs in a container on a Docker network that the Koding backend joins under the names
#     koding.localhost and gitlab.koding.localhost, and is published on 127.0.0.1 for the modules and the browser;
#   - playbooks/site.yml deploys the stack (Compose project koding-e2e, port 18290) against it, as .ci/site does,
#     with Koding on https through the koding role's TLS front (port 18643): on the legacy profile a certificate from a
#     lab CA (koding_tls: files), on the modern one certificates Caddy obtains from Pebble, an ACME CA on the lab's
#     network (koding_tls: acme); GitLab's container and the browser trust that CA or Pebble's root (E2E_TLS=none
#     for plain http on both);
#   - tests/e2e/test_e2e.py signs in with GitLab in headless Chromium, drives the system hooks, checks
#     verify.yml, and does it all again after the credentials file is lost and site.yml runs again.
# Screenshots and playbook logs go to tests/output/e2e/<profile>/.
#
#   bash tests/e2e/run.sh [pytest options...]      E2E_PROFILES="modern" for one profile
set -euo pipefail

# shellcheck source=../../.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"

if [ -z "${KG_PYTHON:-}" ] || [ -z "${KG_VENV:-}" ]; then
    kg_toolchain primary
fi
if [ -z "${KG_TREE:-}" ] || [ ! -d "${KG_TREE}" ]; then
    kg_collection_tree
fi
kg_docker_up
# Debian's Chromium; Playwright drives it (it cannot download a browser here, and needs none).
kg_apt_install chromium
# certutil: the lab CA goes into the NSS database Chromium trusts (tests/e2e/browser.py).
kg_apt_install libnss3-tools
E2E_PLAYWRIGHT_VERSION="1.65.2"
pylib="${KG_CACHE}/e2e-pylib"
if [ "$(cat "${pylib}/.kg-stamp" 2>/dev/null)" != "${E2E_PLAYWRIGHT_VERSION}" ]; then
    kg_log "pip install playwright==${E2E_PLAYWRIGHT_VERSION} into ${pylib#"${KG_ROOT}"/}"
    rm -rf "${pylib}"
    kg_pip "${KG_PYTHON}" install --target "${pylib}" "playwright==${E2E_PLAYWRIGHT_VERSION}" || kg_die "pip install playwright failed"
    echo "${E2E_PLAYWRIGHT_VERSION}" >"${pylib}/.kg-stamp"
fi
export PYTHONPATH="${pylib}${PYTHONPATH:+:${PYTHONPATH}}"

bash "${KG_ROOT}/tests/lab/koding/build.sh"
cd "${KG_ROOT}"

network=koding-e2e-lab
project=koding-e2e
export E2E_NETWORK="${network}" E2E_PROJECT="${project}" E2E_KODING_PORT="${E2E_KODING_PORT:-18290}"
# Koding over https through the koding role's TLS front on these ports; E2E_TLS=none for plain http.
export E2E_KODING_HTTPS_PORT="${E2E_KODING_HTTPS_PORT:-18643}" E2E_KODING_HTTP_PORT="${E2E_KODING_HTTP_PORT:-18281}"
export E2E_DOCS_IMAGES="${KG_ROOT}/tests/output/e2e"

# stack_down: the Compose project and its volumes (nothing of it is kept between profiles).
stack_down() {
    docker compose -p "${project}" down --volumes --remove-orphans >/dev/null 2>&1 || true
}

# One stack at a time on this machine's Docker engine.
exec {stack_lock}>/tmp/kg-docker-stack.lock
kg_log "waiting for the Docker stack lock"
flock "${stack_lock}"
trap 'stack_down; kg_cleanup' EXIT

status=0
for profile in ${E2E_PROFILES:-legacy modern}; do
    kg_log "end to end on the ${profile} profile"
    stack_down
    lab_dir="${KG_ROOT}/.lab/e2e-${profile}"
    rm -rf "${lab_dir}"
    mkdir -p "${lab_dir}"
    chmod 0700 "${lab_dir}"
    output="${KG_ROOT}/tests/output/e2e/${profile}"
    rm -rf "${output}"
    mkdir -p "${output}"
    kg_gitlab_lab_container "e2e_${profile}" "${profile}" "${network}" gitlab.lab.test
    tls_dir="" tls_mode=none
    if [ "${E2E_TLS:-}" != none ]; then
        # Both ways to a certificate stay tested: the operator's files on legacy, ACME on modern.
        tls_mode="$([ "${profile}" = legacy ] && echo files || echo acme)"
        # A lab CA, an intermediate, the front's certificates (one that expires in 5 days, its renewal) and key, and
        # Pebble's own https certificate; GitLab's container trusts the CA the front's certificate chains to (the lab
        # CA, or the root Pebble issues from) as Omnibus GitLab trusts /etc/gitlab/trusted-certs.
        tls_dir="${lab_dir}/tls"
        python "${KG_ROOT}/extensions/molecule/koding_tls/make_certs.py" "${tls_dir}" koding.localhost gitlab.koding.localhost
        issuing_ca="${tls_dir}/ca.pem"
        if [ "${tls_mode}" = acme ]; then
            kg_pebble_container "e2e_${profile}" "${network}" "${tls_dir}" "${E2E_KODING_HTTP_PORT}" "${E2E_KODING_HTTPS_PORT}"
            issuing_ca="${tls_dir}/pebble-root.pem"
        fi
        docker exec -u 0 "koding-lab-gitlab-e2e_${profile}" mkdir -p /etc/gitlab/trusted-certs
        docker cp "${issuing_ca}" "koding-lab-gitlab-e2e_${profile}:/etc/gitlab/trusted-certs/koding-front-ca.pem" >/dev/null
    fi
    url_var="KG_GITLAB_E2E_${profile^^}_URL"
    container_url_var="KG_GITLAB_E2E_${profile^^}_CONTAINER_URL"
    # The team admin's password: made here, passed by environment.
    KODING_TEAM_ADMIN_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
    export KODING_TEAM_ADMIN_PASSWORD
    E2E_PROFILE="${profile}" E2E_TLS_MODE="${tls_mode}" E2E_TLS_DIR="${tls_dir}" E2E_GITLAB_URL="${!url_var}" E2E_GITLAB_CONTAINER_URL="${!container_url_var}" \
        E2E_GITLAB_CONTAINER="koding-lab-gitlab-e2e_${profile}" E2E_LAB_DIR="${lab_dir}" E2E_OUTPUT="${output}" \
        python -m pytest -p no:cacheprovider -v -s -x tests/e2e/test_e2e.py "$@" || status=1
    docker logs "${project}-backend-1" >"${output}/koding-backend.log" 2>&1 || true
    docker logs "koding-lab-gitlab-e2e_${profile}" >"${output}/gitlab.log" 2>&1 || true
    if [ "${tls_mode}" != none ]; then
        docker logs "${project}-tls-1" >"${output}/tls-front.log" 2>&1 || true
    fi
    if [ "${tls_mode}" = acme ]; then
        docker logs "koding-lab-pebble-e2e_${profile}" >"${output}/pebble.log" 2>&1 || true
    fi
    stack_down
    docker rm -f "koding-lab-gitlab-e2e_${profile}" "koding-lab-pebble-e2e_${profile}" >/dev/null 2>&1 || true
done
docker network rm "${network}" >/dev/null 2>&1 || true
exit "${status}"
