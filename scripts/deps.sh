#!/usr/bin/env bash
# Installs, on Debian 12 as root, every package dpcache needs to build, run and test, and
# prepares the machine (hugepages for the native stack). Idempotent: does nothing when all is
# in place. Used by scripts/run.sh and scripts/test.sh.
set -euo pipefail

PKGS=(
    aardvark-dns
    bpftool
    catatonit
    clang
    dpdk
    dpdk-dev
    gcc
    gnuplot-nox
    ethtool
    iproute2
    iptables
    iputils-ping
    libbpf-dev
    libclang-rt-14-dev
    libcmocka-dev
    libdpdk-dev
    libmicrohttpd-dev
    liburcu-dev
    llvm
    meson
    mmdebstrap
    netavark
    ninja-build
    pkg-config
    podman
    procps
    prometheus
    prometheus-alertmanager
    python3
    python3-redis
    python3-yaml
    redis-server
    redis-tools
    runc
)

if [ "$(id -u)" != 0 ]; then
    echo "dpcache: run as root (packages, hugepages and network namespaces need it)" >&2
    exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "dpcache: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
        apt-get update -q >&2
        apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
    fi
    # The Debian packages start services on machines with an init system; dpcache's tests
    # start their own instances on free ports, and dpcache itself wants port 6379.
    for svc in redis-server prometheus prometheus-alertmanager prometheus-node-exporter; do
        if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
            systemctl disable --now "$svc" >/dev/null 2>&1 || true
        else
            service "$svc" stop >/dev/null 2>&1 || true
        fi
    done
fi

# podman, kubectl and the npm packages of the Kubernetes tests (tests/k8s)
"$(dirname "$0")/k8s-deps.sh"

# 2 MiB hugepages for the native stack (production mode); harmless for the posix stack.
want=${DPCACHE_HUGEPAGES:-1024}
if [ -w /proc/sys/vm/nr_hugepages ] && [ "$(cat /proc/sys/vm/nr_hugepages)" -lt "$want" ]; then
    echo "$want" > /proc/sys/vm/nr_hugepages || true
fi
if [ -d /sys/kernel/mm/hugepages ] && ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
fi
