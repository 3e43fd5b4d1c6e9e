#!/usr/bin/env bash
# Builds dpcache's container images offline and reproducibly, from Debian's packages and this
# source tree; no image is pulled from anywhere (docs/kubernetes.md, "Images"):
#
#   localhost/dpcache:<version>             dpcache, dpcache-control, dpcache-k8s, dpcache-pmd,
#                                           dpcache-load, dpcache-front, redis-cli
#   localhost/dpcache-monitoring:<version>  prometheus, promtool, alertmanager, amtool
#
# Each image is a Debian 12 root filesystem made by mmdebstrap (the host's apt sources, the
# packages listed below, files stamped with SOURCE_DATE_EPOCH), added to an empty image by
# `podman build --timestamp` from Containerfile.*: the same commit and the same Debian package
# versions give the same root filesystem tarball and the same image ID.
#
# Usage (root, Debian 12; scripts/deps.sh installs mmdebstrap and podman):
#   k8s/image/build.sh [--binaries BUILD_DIR] [--only dpcache|monitoring] [--out DIR]
#     --binaries  a meson build directory of this tree whose binaries to use; default: a
#                 release build in OUT/build made here
#     --out       work directory (default: build-image/ in the source tree)
# Prints each image's ID and size, and the root filesystem's sha256.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/k8s/image"
out="$root/build-image"
bins=""
only=""
while [ $# -gt 0 ]; do
    case "$1" in
    --binaries) bins=$(cd "$2" && pwd); shift 2 ;;
    --only) only=$2; shift 2 ;;
    --out) mkdir -p "$2"; out=$(cd "$2" && pwd); shift 2 ;;
    *) echo "usage: $0 [--binaries BUILD_DIR] [--only dpcache|monitoring] [--out DIR]" >&2; exit 2 ;;
    esac
done
version=$(sed -n "s/^ *version: '\([^']*\)',/\1/p" "$root/meson.build" | head -1)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 1700000000)}
mkdir -p "$out"

# The runtime libraries of the binaries (ldd) and the DPDK drivers dpcache loads as plugins:
# buses, the ring mempool, and the ports of docs/operations.md (TAP, AF_PACKET, AF_XDP, memif,
# Intel VFs and NICs, virtio).
DPCACHE_PKGS=(
    libbpf1 libbsd0 libelf1 libfdt1 libmicrohttpd12 libnuma1 liburcu8 zlib1g
    librte-cmdline23 librte-eal23 librte-ethdev23 librte-hash23 librte-kvargs23 librte-mbuf23
    librte-mempool23 librte-meter23 librte-net23 librte-rcu23 librte-ring23 librte-telemetry23
    librte-bus-pci23 librte-bus-vdev23 librte-mempool-ring23
    librte-net-af-packet23 librte-net-af-xdp23 librte-net-i40e23 librte-net-iavf23
    librte-net-ice23 librte-net-ixgbe23 librte-net-memif23 librte-net-tap23 librte-net-virtio23
    redis-tools
)
MONITORING_PKGS=(prometheus prometheus-alertmanager)
# Documentation, manuals and translations are left out; copyright files are kept. dpkg skips
# its fsyncs (the tarball is written at the end anyway).
DPKG_OPTS=(
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='force-unsafe-io'
)

# The host's apt sources (deb822 or one-line), so the images get the versions the host has.
sources() {
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        cat /etc/apt/sources.list.d/debian.sources
    elif [ -s /etc/apt/sources.list ]; then
        grep -v '^#' /etc/apt/sources.list
    else
        echo "deb http://deb.debian.org/debian bookworm main"
    fi
}

# mmdebstrap NAME PKGS... [-- hook args]: a reproducible root filesystem tarball.
rootfs() {
    local name=$1; shift
    local pkgs=() hooks=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do pkgs+=("$1"); shift; done
    [ $# -gt 0 ] && shift && hooks=("$@")
    echo "== $name: root filesystem (mmdebstrap, ${#pkgs[@]} packages)" >&2
    local t0=$SECONDS
    # downloaded packages are kept in OUT/apt-cache for the next build (mmdebstrap's recipe)
    mkdir -p "$out/apt-cache"
    sources | mmdebstrap --quiet --variant=essential --include="$(IFS=,; echo "${pkgs[*]}")" \
        "${DPKG_OPTS[@]}" --skip=essential/unlink \
        --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
        --setup-hook="sync-in $out/apt-cache /var/cache/apt/archives/" \
        --customize-hook="sync-out /var/cache/apt/archives $out/apt-cache" \
        --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/* "$1"/etc/machine-id' \
        --customize-hook='touch "$1"/etc/machine-id' \
        "${hooks[@]}" \
        bookworm "$out/$name-rootfs.tar" - >&2
    echo "   $(( SECONDS - t0 )) s, sha256 $(sha256sum "$out/$name-rootfs.tar" | cut -c1-16)..." >&2
}

# image NAME TAG [LABEL...]
image() {
    local name=$1 tag="localhost/$2:$version"
    shift 2
    echo "== $name: image $tag (podman build --timestamp $SOURCE_DATE_EPOCH)" >&2
    podman build --quiet --timestamp "$SOURCE_DATE_EPOCH" -f "$here/Containerfile.$name" \
        "$@" -t "$tag" "$out" >/dev/null
    local id size
    id=$(podman image inspect --format '{{.Id}}' "$tag")
    size=$(podman image inspect --format '{{.Size}}' "$tag")
    printf '%s\t%s\t%s MB\t%s\n' "$tag" "${id:0:12}" "$(( size / 1000000 ))" \
        "rootfs sha256 $(sha256sum "$out/$name-rootfs.tar" | cut -d' ' -f1)"
}

# The sha256 of the stripped binaries in DIR (names and contents).
binaries_sha() {
    (cd "$1" && sha256sum -- * | sha256sum | cut -c1-64)
}

if [ -z "$only" ] || [ "$only" = dpcache ]; then
    if [ -z "$bins" ]; then
        echo "== building dpcache (release) in $out/build" >&2
        if [ ! -f "$out/build/build.ninja" ]; then
            meson setup "$out/build" "$root" --buildtype=release -Dtests=disabled -Dwerror=true >&2
        fi
        ninja -C "$out/build" >&2
        bins="$out/build"
    fi
    stage="$out/stage"
    rm -rf "$stage"
    mkdir -p "$stage/usr/bin"
    for b in dataplane/dpcache control/dpcache-control control/dpcache-k8s tools/dpcache-pmd \
             tools/dpcache-load ebpf/dpcache-front; do
        [ -x "$bins/$b" ] || { echo "missing $bins/$b (build first)" >&2; exit 1; }
        strip -o "$stage/usr/bin/$(basename "$b")" "$bins/$b"
    done
    touch -d "@$SOURCE_DATE_EPOCH" "$stage/usr/bin"/*
    rootfs dpcache "${DPCACHE_PKGS[@]}" -- \
        --customize-hook="copy-in $stage/usr/bin/. /usr/bin" \
        --customize-hook='echo "dpcache:x:10001:10001:dpcache:/var/lib/dpcache:/usr/sbin/nologin" >> "$1"/etc/passwd' \
        --customize-hook='echo "dpcache:x:10001:" >> "$1"/etc/group' \
        --customize-hook='mkdir -p "$1"/var/lib/dpcache "$1"/var/run/dpcache "$1"/var/run/dpdk "$1"/etc/dpcache && chown 10001:10001 "$1"/var/lib/dpcache "$1"/var/run/dpcache "$1"/var/run/dpdk' \
        --customize-hook='chroot "$1" sh -c "for b in /usr/bin/dpcache /usr/bin/dpcache-control /usr/bin/dpcache-k8s /usr/bin/dpcache-front /usr/bin/redis-cli; do ldd \$b | grep -q \"not found\" && { ldd \$b; exit 1; }; done; exit 0"'
    # the label lets tests/k8s/test_podman.py tell whether the image holds a build's binaries
    image dpcache dpcache --label "dpcache.binaries=$(binaries_sha "$stage/usr/bin")"
fi
if [ -z "$only" ] || [ "$only" = monitoring ]; then
    rootfs monitoring "${MONITORING_PKGS[@]}" -- \
        --customize-hook='echo "monitoring:x:10002:10002:monitoring:/var/lib/monitoring:/usr/sbin/nologin" >> "$1"/etc/passwd' \
        --customize-hook='echo "monitoring:x:10002:" >> "$1"/etc/group' \
        --customize-hook='mkdir -p "$1"/var/lib/monitoring && chown 10002:10002 "$1"/var/lib/monitoring'
    image monitoring dpcache-monitoring
fi
