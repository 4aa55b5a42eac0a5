# shellcheck shell=bash
# Starts moto_server (a local EC2/Route 53 stand-in) on 127.0.0.1 for the AWS
# tests. Source it after .ci/lib.sh and call kg_moto_start; it exports
# KG_MOTO_URL and adds the server to KG_LAB_PIDS, so kg_cleanup stops it.
#
# Instance types and AMIs are validated as EC2 does, and the only AMIs known
# are the test list next to this file (current Ubuntu LTS images).

kg_moto_start() {
    local dir="${KG_CACHE}/moto" moto_server="${KG_VENV}/bin/moto_server" port log pid waited=0
    [ -x "${moto_server}" ] || kg_die "moto_server is not in the active toolchain (${KG_VENV})"
    mkdir -p "${dir}"
    log="${dir}/moto-$$.log"
    port="$("${KG_PYTHON}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION=true \
    MOTO_ENABLE_AMI_VALIDATION=true \
    MOTO_AMIS_PATH="${KG_ROOT}/tests/aws/amis.json" \
        "${moto_server}" -H 127.0.0.1 -p "${port}" </dev/null >"${log}" 2>&1 &
    pid="$!"
    KG_LAB_PIDS+=("${pid}")
    until "${KG_PYTHON}" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=2)' \
        "http://127.0.0.1:${port}" >/dev/null 2>&1; do
        kill -0 "${pid}" 2>/dev/null || { tail -n 20 "${log}" >&2; kg_die "moto_server exited; log: ${log}"; }
        [ "${waited}" -ge 300 ] && kg_die "moto_server did not answer within 60 s; log: ${log}"
        sleep 0.2
        waited=$((waited + 1))
    done
    KG_MOTO_URL="http://127.0.0.1:${port}"
    export KG_MOTO_URL
    kg_log "moto_server at ${KG_MOTO_URL}"
}
