#!/usr/bin/env bash
# The Kubernetes part of scripts/deps.sh (root, Debian 12): podman set up for this machine, the
# npm packages of the offline validator, kubectl. Idempotent. Packages: scripts/deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# podman: crun fails on hybrid cgroups ("cgroups in hybrid mode not supported"), runc works;
# podman's default rlimits exceed what these machines allow (nofile 20000)
conf=/etc/containers/containers.conf
if ! grep -qs '^runtime = "runc"' "$conf" || ! grep -qs '^default_ulimits' "$conf"; then
    mkdir -p /etc/containers
    cat > "$conf" <<'CONF'
# written by dpcache's scripts/k8s-deps.sh
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]
[engine]
runtime = "runc"
CONF
fi

# kubectl with kustomize: the machine's, else Debian's kubernetes-client (its kustomize
# renders k8s/ as well: k8s/ keeps to what both understand)
if ! command -v kubectl >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        kubernetes-client >&2
fi
# node and npm for the validator: the machine's, else Debian's
if ! command -v npm >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm >&2
fi
v=tests/k8s/validate
if [ ! -d "$v/node_modules/kubernetes-models" ] || [ "$v/package-lock.json" -nt "$v/node_modules" ]; then
    echo "dpcache: npm ci in $v" >&2
    (cd "$v" && npm ci --no-audit --no-fund --loglevel=error >&2 && touch node_modules)
fi
