#!/usr/bin/env bash
# Provision, then deploy, end to end: playbooks/site.yml with a provision_aws
# section creates the Koding host in moto_server (127.0.0.1, never AWS), then
# deploys Koding on it and wires the lab GitLab to it; verify.yml checks every
# link; a second site.yml run must report changed=0; teardown.yml takes it all
# down again, and the AWS side, GitLab's side and the stack are checked to be
# gone.
#
# How the moto host becomes this machine:
#   - moto accepts an Elastic IP allocated with the address 127.0.0.1; the test
#     brings that one (provision_aws.eip_allocation_id), so the host's address
#     is 127.0.0.1 and its name 127.0.0.1.nip.io. No other address moto hands
#     out is ever contacted.
#   - The "instance" answering on that address is an sshd the test starts on a
#     free loopback port, in its own mount, PID and UTS namespaces (the host's
#     network namespace and file system, so that the Docker engine's bind
#     mounts see the stack's files), with a host key and a client key made here;
#     root logs in with that key only.
#   - nip.io would resolve 127.0.0.1.nip.io and its subdomains to 127.0.0.1;
#     without DNS to the internet, the playbooks run in a mount namespace whose
#     /etc/hosts says so.
#   - The Koding stack runs on this machine's Docker engine from the lab's
#     images (tests/lab/koding/build.sh), published on 127.0.0.1 only; the lab
#     GitLab runs in a container on the stack's Docker network, as in .ci/site.
#
#   bash tests/aws/provision_deploy.sh        (KG_KEEP_LAB=1 keeps the work directory's logs)
# Logs: .lab/provision-e2e/*.log
set -euo pipefail

# shellcheck source=../../.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"
# shellcheck source=moto.sh
source "${KG_ROOT}/tests/aws/moto.sh"

if [ -z "${KG_PYTHON:-}" ] || [ -z "${KG_VENV:-}" ]; then
    kg_toolchain primary
fi
if [ -z "${KG_TREE:-}" ] || [ ! -d "${KG_TREE}" ]; then
    kg_collection_tree
fi
kg_docker_up
[ -x /usr/sbin/sshd ] || kg_apt_install openssh-server
command -v ssh >/dev/null 2>&1 || kg_apt_install openssh-client
command -v unshare >/dev/null 2>&1 || kg_apt_install util-linux
bash "${KG_ROOT}/tests/lab/koding/build.sh"

WORK="${KG_ROOT}/.lab/provision-e2e"
NAME=kge2e
PROJECT=koding-aws-e2e
NETWORK=koding-aws-e2e-lab
KODING_PORT=18390
HOST_NAME=127.0.0.1.nip.io
SSHD_PID=""

fail() {
    kg_log "provision-e2e: $*"
    exit 1
}

stack_down() {
    docker compose -p "${PROJECT}" down --volumes --remove-orphans >/dev/null 2>&1 || true
}

cleanup() {
    local status=$?
    if [ -n "${SSHD_PID}" ]; then
        # unshare ignores SIGTERM while it waits for its child; the namespace's
        # first process is the sshd, and its end takes every session with it.
        pkill -TERM -P "${SSHD_PID}" 2>/dev/null || kill -KILL "${SSHD_PID}" 2>/dev/null || true
        wait "${SSHD_PID}" 2>/dev/null || true
    fi
    stack_down
    kg_cleanup
    docker network rm "${NETWORK}" >/dev/null 2>&1 || true
    exit "${status}"
}

# One stack at a time on this machine's Docker engine.
exec {stack_lock}>/tmp/kg-docker-stack.lock
kg_log "waiting for the Docker stack lock"
flock "${stack_lock}"
trap cleanup EXIT

stack_down
rm -rf "${WORK}"
mkdir -p "${WORK}"
chmod 0700 "${WORK}"

# ------------------------------------------------------------------ moto and the Elastic IP

kg_moto_start
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE
ALLOCATION_ID="$("${KG_PYTHON}" - "${KG_MOTO_URL}" <<'EOF'
import sys

import boto3

ec2 = boto3.client('ec2', endpoint_url=sys.argv[1])
address = ec2.allocate_address(Domain='vpc', Address='127.0.0.1')
if address['PublicIp'] != '127.0.0.1':
    sys.exit('moto allocated %s instead of 127.0.0.1' % address['PublicIp'])
print(address['AllocationId'])
EOF
)"
kg_log "Elastic IP 127.0.0.1 allocated in moto: ${ALLOCATION_ID}"

# ------------------------------------------------------------------ the host: sshd in its own namespaces

ssh-keygen -q -t ed25519 -N '' -C provision-e2e -f "${WORK}/id_ed25519"
ssh-keygen -q -t ed25519 -N '' -C provision-e2e-host -f "${WORK}/ssh_host_ed25519_key"
install -m 0600 "${WORK}/id_ed25519.pub" "${WORK}/authorized_keys"
SSH_PORT="$("${KG_PYTHON}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
printf '[127.0.0.1]:%s %s\n' "${SSH_PORT}" "$(cut -d' ' -f1,2 "${WORK}/ssh_host_ed25519_key.pub")" >"${WORK}/known_hosts"
cat >"${WORK}/sshd_config" <<CONFIG
# The provisioned host's sshd: loopback only, root by the test's key only.
ListenAddress 127.0.0.1:${SSH_PORT}
HostKey ${WORK}/ssh_host_ed25519_key
PidFile none
AuthorizedKeysFile ${WORK}/authorized_keys
# The key file lives in the checkout, which may be anywhere (below /tmp, say): StrictModes would refuse it for a
# world-writable directory above it. The file itself is 0600 and the test's own.
StrictModes no
AllowUsers root
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
AllowTcpForwarding no
Subsystem sftp internal-sftp
CONFIG
# Debian's sshd wants its privilege separation directory (its service unit makes it).
[ -d /run/sshd ] || mkdir -m 0755 /run/sshd
/usr/sbin/sshd -t -f "${WORK}/sshd_config" || fail "sshd refuses its configuration"
# shellcheck disable=SC2016 # the inner shell expands its own arguments
setsid unshare --mount --pid --uts --fork --kill-child --mount-proc \
    sh -c 'hostname "$1" && exec /usr/sbin/sshd -D -e -f "$2"' sshd "${NAME}" "${WORK}/sshd_config" \
    </dev/null >"${WORK}/sshd.log" 2>&1 &
SSHD_PID=$!
waited=0
until ssh -o BatchMode=yes -o IdentitiesOnly=yes -o UserKnownHostsFile="${WORK}/known_hosts" -o StrictHostKeyChecking=yes \
    -i "${WORK}/id_ed25519" -p "${SSH_PORT}" root@127.0.0.1 true 2>/dev/null; do
    kill -0 "${SSHD_PID}" 2>/dev/null || { cat "${WORK}/sshd.log" >&2; fail "sshd exited"; }
    [ "${waited}" -ge 100 ] && { cat "${WORK}/sshd.log" >&2; fail "sshd did not let root in within 20 s"; }
    sleep 0.2
    waited=$((waited + 1))
done
kg_log "the host: sshd on 127.0.0.1:${SSH_PORT} in its own namespaces (host name $(ssh -o BatchMode=yes \
    -o IdentitiesOnly=yes -o UserKnownHostsFile="${WORK}/known_hosts" -i "${WORK}/id_ed25519" -p "${SSH_PORT}" root@127.0.0.1 hostname))"

# ------------------------------------------------------------------ GitLab, inventory and variables

kg_gitlab_lab_container aws_e2e modern "${NETWORK}" gitlab.lab.test
export GITLAB_URL="${KG_GITLAB_AWS_E2E_URL}" GITLAB_API_TOKEN="${KG_LAB_ADMIN_TOKEN}"
KODING_TEAM_ADMIN_PASSWORD="$("${KG_PYTHON}" -c 'import secrets; print(secrets.token_urlsafe(18))')"
export KODING_TEAM_ADMIN_PASSWORD

printf '127.0.0.1 localhost %s gitlab.%s\n::1 localhost\n' "${HOST_NAME}" "${HOST_NAME}" >"${WORK}/hosts"

# What a user's inventory holds: how to reach the host (the port, key and
# known host key of the test's sshd) and the controller itself.
cat >"${WORK}/inventory.yml" <<INVENTORY
---
all:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: "{{ ansible_playbook_python }}"
  children:
    koding:
      vars:
        ansible_port: ${SSH_PORT}
        ansible_ssh_private_key_file: ${WORK}/id_ed25519
        ansible_ssh_common_args: >-
          -o IdentitiesOnly=yes -o UserKnownHostsFile=${WORK}/known_hosts -o StrictHostKeyChecking=yes
        # The host shares this machine's file system: the toolchain's Python has the modules' requirements.
        ansible_python_interpreter: ${KG_VENV}/bin/python
INVENTORY

# The provision_aws section and the lab's stage variables. The security group's
# Koding port comes from gitlab_wiring_koding_public_port, which provision.yml passes.
cat >"${WORK}/vars.yml" <<VARS
---
provision_aws:
  region: us-east-1
  endpoint_url: ${KG_MOTO_URL}
  name: ${NAME}
  tags:
    Project: koding-provision-e2e
  admin_cidrs: [127.0.0.1/32]
  ssh_public_key: "$(cat "${WORK}/id_ed25519.pub")"
  ssh_user: root
  eip_allocation_id: ${ALLOCATION_ID}
  wait_timeout: 60

gitlab_wiring_koding_public_port: ${KODING_PORT}
gitlab_wiring_credentials_path: ${WORK}/gitlab-wiring.json

docker_engine_source: distribution
koding_base_dir: ${WORK}/stack
koding_project_name: ${PROJECT}
koding_bind_address: 127.0.0.1
# The lab publishes Koding on loopback only; its stand-in runs no kites.
koding_allow_loopback_bind: true
koding_startup_timeout: 600
koding_startup_delay: 3
koding_team_admin_email: admin@koding.localhost
koding_team_admin_password: "{{ lookup('ansible.builtin.env', 'KODING_TEAM_ADMIN_PASSWORD') }}"
koding_build_steps: ['./configure "\$@"']
koding_mongo_check: false
koding_gitlab_url: ${KG_GITLAB_AWS_E2E_CONTAINER_URL}
koding_backend_networks:
  - name: ${NETWORK}
    aliases: [${HOST_NAME}, gitlab.${HOST_NAME}]
VARS
chmod 0600 "${WORK}/vars.yml"

# playbook NAME PLAYBOOK [options...]: runs playbooks/PLAYBOOK.yml (with the
# resolver's view of nip.io) into ${WORK}/NAME.log.
playbook() {
    local name="$1" book="$2" status=0
    shift 2
    # shellcheck disable=SC2016 # the inner shell expands its own arguments
    ANSIBLE_FORCE_COLOR=0 unshare --mount sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' playbook "${WORK}/hosts" \
        ansible-playbook -i "${WORK}/inventory.yml" -e "@${KG_ROOT}/.lab/koding/lab-vars.yml" -e "@${WORK}/vars.yml" \
        "${KG_ROOT}/playbooks/${book}.yml" "$@" >"${WORK}/${name}.log" 2>&1 || status=$?
    if [ "${status}" -ne 0 ]; then
        grep -E '^(TASK|fatal|failed|PLAY RECAP|\[ERROR\])|"msg"|FAILED ' "${WORK}/${name}.log" | tail -n 40 >&2
        fail "${name}: ${book}.yml failed with exit ${status} (log: ${WORK}/${name}.log)"
    fi
    kg_log "${name}: $(sed -n '/^PLAY RECAP/,$p' "${WORK}/${name}.log" | grep -E 'ok=' | tr -s ' ' | paste -sd ';' -)"
}

changed_hosts() {
    sed -n '/^PLAY RECAP/,$p' "${WORK}/$1.log" | grep -E 'changed=[1-9]' || true
}

# ------------------------------------------------------------------ the runs

kg_log "site.yml from nothing: provision, wire GitLab, deploy Koding"
playbook site-first site
grep -q "Koding host i-[0-9a-f]* at 127.0.0.1, public name ${HOST_NAME}; open to the world: ${KODING_PORT}\"" \
    "${WORK}/site-first.log" || fail "the provision stage did not report the host at 127.0.0.1 (${HOST_NAME}), port ${KODING_PORT} open"

# A later run finds the host as a user's would: by its tags, with the
# amazon.aws.aws_ec2 inventory of playbooks/inventories/aws_ec2.example.yml.
cat >"${WORK}/koding.aws_ec2.yml" <<INVENTORY
---
plugin: amazon.aws.aws_ec2
regions: [us-east-1]
endpoint_url: ${KG_MOTO_URL}
filters:
  tag:ManagedBy: koding.gitlab
  tag:KodingDeployment: ${NAME}
  instance-state-name: running
hostnames:
  - ip-address
compose:
  ansible_host: public_ip_address
  ansible_user: "'root'"
  gitlab_wiring_koding_hostname: public_ip_address ~ '.nip.io'
keyed_groups: []
groups:
  koding: true
INVENTORY

playbook verify verify -i "${WORK}/koding.aws_ec2.yml"
grep -E '"msg": "(ok    |FAILED) ' "${WORK}/verify.log" | sed -E 's/^ *"msg": "(.*)"$/  \1/' >&2 || true
grep -Eq 'verify: [0-9]+ passed, 0 failed' "${WORK}/verify.log" || fail "verify.yml checked nothing (log: ${WORK}/verify.log)"

kg_log "site.yml again: must report changed=0"
playbook site-second site
[ -z "$(changed_hosts site-second)" ] || { changed_hosts site-second >&2; fail "the second site.yml run changed something"; }

state() {
    "${KG_PYTHON}" "${KG_ROOT}/tests/aws/provision_deploy_state.py" "$@" >&2
}
state aws present "${KG_MOTO_URL}" "${NAME}" "${ALLOCATION_ID}" || fail "the AWS side is not as provisioned"
state gitlab present "${GITLAB_URL}" "${HOST_NAME}" || fail "GitLab has no hook or application for this Koding"

kg_log "teardown.yml: the stack, GitLab's wiring and the AWS resources"
teardown=(-i "${WORK}/koding.aws_ec2.yml" -e teardown_stack=true -e teardown_stack_volumes=true -e teardown_gitlab=true
    -e teardown_aws=true -e provision_aws_confirm_teardown=true)
playbook teardown teardown "${teardown[@]}"
left="$(docker ps -a --filter "label=com.docker.compose.project=${PROJECT}" --format '{{.Names}}')"
[ -z "${left}" ] || fail "containers of the stack are left: ${left}"
state gitlab absent "${GITLAB_URL}" "${HOST_NAME}" || fail "GitLab's wiring for Koding is left"
state aws absent "${KG_MOTO_URL}" "${NAME}" "${ALLOCATION_ID}" || fail "AWS resources of the deployment are left"

kg_log "teardown.yml again: must report changed=0"
playbook teardown-again teardown "${teardown[@]}"
[ -z "$(changed_hosts teardown-again)" ] || { changed_hosts teardown-again >&2; fail "the second teardown changed something"; }
kg_log "provision-e2e: passed"
