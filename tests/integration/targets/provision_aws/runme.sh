#!/usr/bin/env bash
# The provision_aws role against moto_server on 127.0.0.1 (started by
# tests/integration/run.sh, never real AWS): refused inputs fail before any
# create call; check mode on an empty account; create; a second run and check
# mode report changed=0; a change of admin CIDR; a shrink and a type change
# without the opt-in refused; the root volume grown; the type changed with the
# opt-in; an interrupted teardown
# completed, and a second one that changes nothing. The state is
# asserted through boto3 after each step.
set -eu

WORK="${OUTPUT_DIR}/provision_aws"
rm -rf "${WORK}"
mkdir -p "${WORK}"
chmod 0700 "${WORK}"

CONFIG=../../integration_config.yml
MOTO_URL="$(sed -n 's/^aws_moto_url: *//p' "${CONFIG}")"
if [ -z "${MOTO_URL}" ]; then
    echo "=== provision_aws: no aws_moto_url in integration_config.yml (tests/integration/run.sh starts moto_server)"
    exit 1
fi
case "${MOTO_URL}" in
    http://127.0.0.1:*) ;;
    *) echo "=== provision_aws: moto must listen on 127.0.0.1, not ${MOTO_URL}"; exit 1 ;;
esac
# Dummy credentials: moto accepts any.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE
PYTHON_BIN="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}"

ssh-keygen -q -t ed25519 -N '' -C provision-aws-test -f "${WORK}/id_ed25519"

# playbook NAME PLAYBOOK [options...]: runs PLAYBOOK into ${WORK}/NAME.log.
playbook() {
    local name="$1" book="$2" log status=0
    shift 2
    log="${WORK}/${name}.log"
    ANSIBLE_ROLES_PATH=.. ansible-playbook "${book}" -i "${INVENTORY_PATH}" -e @"${CONFIG}" \
        -e "provision_aws_test_dir=${WORK}" "$@" >"${log}" 2>&1 || status=$?
    if [ "${status}" -ne 0 ]; then
        grep -E '^(TASK|fatal|failed|PLAY RECAP|\[ERROR\])|"msg"|evaluated_to|^Origin' "${log}" | tail -n 40
        echo "=== provision_aws: ${name} failed with exit ${status}"
        exit 1
    fi
}

expect_changed() {
    local count
    count="$(awk '/^PLAY RECAP/ { recap = 1; next } recap && /changed=/ { split($0, p, "changed="); split(p[2], n, " "); sum += n[1] }
                  END { print sum + 0 }' "${WORK}/$1.log")"
    if [ "$2" = none ] && [ "${count}" -ne 0 ]; then
        grep -B3 -E '^changed:' "${WORK}/$1.log" | grep -E '^TASK' || true
        echo "=== provision_aws: $1 reported changed=${count}, expected 0"
        exit 1
    fi
    if [ "$2" = some ] && [ "${count}" -eq 0 ]; then
        echo "=== provision_aws: $1 reported no change"
        exit 1
    fi
    echo "=== provision_aws: $1 changed=${count}"
}

state() {
    "${PYTHON_BIN}" files/check_state.py "${MOTO_URL}" "$@"
}

state empty

# Refused inputs: each fails in the pre-flight checks, and nothing exists after it.
playbook refused-type refused.yml -e provision_aws_instance_type=t3.small \
    -e provision_aws_test_case=t3.small -e provision_aws_test_expect=provision_aws_instance_type
playbook refused-unknown-type refused.yml -e provision_aws_instance_type=c9z.huge \
    -e provision_aws_test_case=c9z.huge -e provision_aws_test_expect=provision_aws_instance_type
playbook refused-ami refused.yml -e provision_aws_ami_id=ami-0123456789abcdef0 \
    -e provision_aws_test_case=unknown-ami -e provision_aws_test_expect=provision_aws_ami_id
playbook refused-admin refused.yml -e '{"provision_aws_test_admin_cidrs": []}' \
    -e provision_aws_test_case=no-admin-cidr -e provision_aws_test_expect=provision_aws_admin_cidrs
playbook refused-zone refused.yml -e provision_aws_instance_type=c3.xlarge -e provision_aws_availability_zone=us-east-1d \
    -e provision_aws_test_case=zone -e provision_aws_test_expect=provision_aws_instance_type
playbook refused-9001 refused.yml -e provision_aws_koding_public_port=9001 \
    -e provision_aws_test_case=9001 -e provision_aws_test_expect=provision_aws_koding_public_port
state empty

playbook check provision.yml --check --diff
expect_changed check some
state empty

playbook create provision.yml --diff
expect_changed create some
state present 198.51.100.7/32 2001:db8:7::/64

playbook again provision.yml --diff
expect_changed again none
playbook again-check provision.yml --check --diff
expect_changed again-check none

# A new admin address replaces the SSH rules; nothing else changes.
playbook admin provision.yml --diff -e '{"provision_aws_test_admin_cidrs": ["192.0.2.10/32"]}'
expect_changed admin some
state present 192.0.2.10/32
playbook admin-again provision.yml --diff -e '{"provision_aws_test_admin_cidrs": ["192.0.2.10/32"]}'
expect_changed admin-again none

# A smaller volume and a type change without the opt-in are refused, the host untouched.
playbook refused-shrink refused.yml -e provision_aws_root_volume_size=30 \
    -e provision_aws_test_case=shrink -e provision_aws_test_expect=provision_aws_root_volume_size \
    -e '{"provision_aws_test_admin_cidrs": ["192.0.2.10/32"]}'
playbook refused-retype refused.yml -e provision_aws_instance_type=c3.xlarge \
    -e provision_aws_test_case=retype -e provision_aws_test_expect=provision_aws_allow_instance_type_change \
    -e '{"provision_aws_test_admin_cidrs": ["192.0.2.10/32"]}'
state present 192.0.2.10/32

# A bigger root volume grows it in place; a type change with the opt-in stops
# the instance, changes its type and starts it again. Both once only.
grown=(-e provision_aws_root_volume_size=50 -e '{"provision_aws_test_admin_cidrs": ["192.0.2.10/32"]}')
playbook grow provision.yml --diff "${grown[@]}"
expect_changed grow some
state present 192.0.2.10/32 size=50
playbook grow-again provision.yml --diff "${grown[@]}"
expect_changed grow-again none
playbook retype provision.yml --diff "${grown[@]}" -e provision_aws_instance_type=c3.xlarge \
    -e provision_aws_allow_instance_type_change=true
expect_changed retype some
state present 192.0.2.10/32 size=50 type=c3.xlarge
playbook retype-again provision.yml --diff "${grown[@]}" -e provision_aws_instance_type=c3.xlarge \
    -e provision_aws_allow_instance_type_change=true
expect_changed retype-again none

# Teardown without confirmation is refused before anything is removed.
playbook refused-teardown refused.yml -e provision_aws_state=absent -e provision_aws_confirm_teardown=false \
    -e provision_aws_test_case=unconfirmed -e provision_aws_test_expect=provision_aws_confirm_teardown
state present 192.0.2.10/32 size=50 type=c3.xlarge

playbook teardown-check provision.yml -e provision_aws_state=absent --check
state present 192.0.2.10/32 size=50 type=c3.xlarge
# A teardown stopped after the instance: the next one completes it.
state interrupt
playbook teardown provision.yml -e provision_aws_state=absent
expect_changed teardown some
state empty
playbook teardown-again provision.yml -e provision_aws_state=absent
expect_changed teardown-again none
state empty
echo "=== provision_aws: passed"
