#!/usr/bin/env bash
# Builds the docker_engine scenario's platform images without any image registry:
#   koding-lab/molecule-debian:bookworm  koding-lab/debian:bookworm (tests/lab/koding/build.sh) plus Python and procps
#   koding-lab/molecule-ubuntu:noble     debootstrap of Ubuntu 24.04 from the Ubuntu archive, plus Python and procps
# Usage: bash extensions/molecule/docker_engine/build-images.sh
# Prints the names of the platforms it could build, one a line, on stdout (the scenario's platform names).
# When the Ubuntu archive does not answer, the Ubuntu platform is left out with a warning; Debian is required.
# Environment: KODING_LAB_UBUNTU_MIRROR (default http://archive.ubuntu.com/ubuntu).
# Every image carries a label with the hash of its inputs; an image whose label matches is not rebuilt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../../.." && pwd)"
out="$repo_root/.lab/molecule-docker-engine"
hash_label=org.koding-lab.input-hash
images="${KODING_LAB_IMAGE_PREFIX:-koding-lab}"
debian_base="$images/debian:bookworm"
debian_image="$images/molecule-debian:bookworm"
ubuntu_image="$images/molecule-ubuntu:noble"
ubuntu_suite=noble
ubuntu_mirror="${KODING_LAB_UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu}"
# Debian has no ubuntu-keyring package: the keyring comes from the Ubuntu archive's own .deb, pinned by
# its hash (noble's main/binary-amd64/Packages) and checked for the 2018 archive signing key, so that
# debootstrap verifies the Release file it downloads.
ubuntu_keyring_deb=pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1_all.deb
ubuntu_keyring_sha256=36de43b15853ccae0028e9a767613770c704833f82586f28eb262f0311adb8a8
ubuntu_archive_key=F6ECB3762474EDA9D21B7022871920D1991BC93C

log() { printf 'molecule-images: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

image_label() {
    docker image inspect -f "{{ index .Config.Labels \"$hash_label\" }}" "$1" 2>/dev/null || true
}

# build_python_layer IMAGE BASE: IMAGE is BASE plus python3 (what Ansible needs to run in it) and procps
# (which the docker.io init script's restart needs). The apt lists are removed and dated 1970, so that
# apt's cache_valid_time sees what a new host has: no cache. Like most container images, they install
# no recommended packages: docker.io's recommendations bring systemd, which does not run in a container
# but would make Ansible see systemd as the service manager.
build_python_layer() {
    local image="$1" base="$2" base_id hash context
    base_id="$(docker image inspect -f '{{ .Id }}' "$base")"
    context="$work/context-${image//[:\/]/-}"
    mkdir -p "$context"
    cat >"$context/Dockerfile" <<'EOF'
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN printf 'APT::Install-Recommends "false";\n' >/etc/apt/apt.conf.d/99no-recommends \
    && apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-apt ca-certificates procps >/dev/null \
    && rm -rf /var/lib/apt/lists/* /var/lib/apt/periodic/update-success-stamp \
    && touch -d @0 /var/lib/apt/lists
CMD ["bash"]
EOF
    hash="$(printf '%s\n' "$base_id" "$(sha256sum <"$context/Dockerfile")" | sha256sum | cut -c1-16)"
    if [[ "$(image_label "$image")" == "$hash" ]]; then
        log "$image is up to date"
        return
    fi
    log "building $image"
    docker build --network host --build-arg "BASE_IMAGE=$base" --label "$hash_label=$hash" -t "$image" "$context" \
        >"$out/logs/${image//[:\/]/-}.log" 2>&1 \
        || { tail -n 30 "$out/logs/${image//[:\/]/-}.log" >&2; die "building $image failed"; }
}

build_debian() {
    # The Koding lab's build keeps koding-lab/debian:bookworm current (a no-op when it is).
    if ! docker image inspect "$debian_base" >/dev/null 2>&1; then
        log "$debian_base is missing: building the Koding lab"
        bash "$repo_root/tests/lab/koding/build.sh" >&2
    fi
    build_python_layer "$debian_image" "$debian_base"
}

# The Ubuntu keyring, verified; prints its path.
ubuntu_keyring() {
    local deb="$work/ubuntu-keyring.deb" keyring="$work/ubuntu-keyring/usr/share/keyrings/ubuntu-archive-keyring.gpg"
    curl -fsS --max-time 60 -o "$deb" "$ubuntu_mirror/$ubuntu_keyring_deb" || return 1
    echo "$ubuntu_keyring_sha256  $deb" | sha256sum --check --quiet >&2 \
        || die "$ubuntu_keyring_deb does not have the pinned SHA-256 $ubuntu_keyring_sha256"
    dpkg-deb -x "$deb" "$work/ubuntu-keyring"
    if command -v gpg >/dev/null 2>&1; then
        gpg --show-keys --with-colons "$keyring" 2>/dev/null | grep -q "^fpr:*$ubuntu_archive_key:" \
            || die "the Ubuntu keyring lacks the archive signing key $ubuntu_archive_key"
    fi
    printf '%s\n' "$keyring"
}

build_ubuntu() {
    local base="$images/ubuntu:$ubuntu_suite" hash keyring rootfs script
    hash="$(printf 'debootstrap --variant=minbase --components=main,universe %s %s %s v1\n' \
        "$ubuntu_suite" "$ubuntu_mirror" "$ubuntu_keyring_sha256" | sha256sum | cut -c1-16)"
    # Checked on every run: the scenario installs Docker from this archive inside the container.
    if ! curl -fsS --max-time 30 -o /dev/null "$ubuntu_mirror/dists/$ubuntu_suite/Release"; then
        log "WARNING: the Ubuntu archive ($ubuntu_mirror) does not answer: the Ubuntu platform is SKIPPED"
        return 1
    fi
    if [[ "$(image_label "$base")" != "$hash" ]]; then
        keyring="$(ubuntu_keyring)" || { log "WARNING: no Ubuntu keyring from $ubuntu_mirror: the Ubuntu platform is SKIPPED"; return 1; }
        command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed"
        # Debian 12's debootstrap predates noble; every Ubuntu suite's script is gutsy's.
        script=/usr/share/debootstrap/scripts/$ubuntu_suite
        [[ -e "$script" ]] || script=/usr/share/debootstrap/scripts/gutsy
        [[ -e "$script" ]] || die "this debootstrap has no script for Ubuntu suites"
        rootfs="$work/rootfs-ubuntu"
        log "debootstrap $ubuntu_suite from $ubuntu_mirror"
        if ! debootstrap --variant=minbase --components=main,universe --keyring="$keyring" \
            "$ubuntu_suite" "$rootfs" "$ubuntu_mirror" "$script" >"$out/logs/debootstrap-ubuntu.log" 2>&1; then
            tail -n 20 "$out/logs/debootstrap-ubuntu.log" >&2
            die "debootstrap $ubuntu_suite failed (log: $out/logs/debootstrap-ubuntu.log)"
        fi
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        tar -C "$rootfs" -c . | docker import --change "LABEL $hash_label=$hash" --change 'CMD ["bash"]' - "$base" >/dev/null
        rm -rf "$rootfs"
        log "imported $base"
    else
        log "$base is up to date"
    fi
    if ! build_python_layer "$ubuntu_image" "$base"; then
        return 1
    fi
}

main() {
    mkdir -p "$out/logs"
    docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed)"
    exec 9>"$out/.lock"
    flock 9
    work="$(mktemp -d "$out/.work.XXXXXX")"
    trap 'rm -rf "$work"' EXIT

    build_debian
    echo koding-molecule-debian-bookworm
    if build_ubuntu; then
        echo koding-molecule-ubuntu-noble
    fi
}

main
