#!/usr/bin/env bash
# What one request costs the server: dpcache native (one worker, CPU 0) on a memif link,
# dpcache-load (CPU 1) at saturation; dpcache's own counters (telemetry /dpcache/core,0) are
# read around the middle of the run. Prints, per round: the generator's req/s, the server
# core's busy share (busy_cycles / (busy + idle cycles)) and TSC cycles per request
# (busy_cycles / commands). A busy share near 100% means the server is the limit; lower means
# the generator is. A benchmark program, not a test (docs/benchmarks.md).
#
#   bench/server_cost.sh [--build DIR] [--proto udp|tcp] [--keys N] [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build PROTO=udp KEYS=1000000 ROUNDS=3
while [ $# -gt 0 ]; do
    case "$1" in
    --build) BUILD=$2; shift ;;
    --proto) PROTO=$2; shift ;;
    --keys) KEYS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    *) echo "usage: bench/server_cost.sh [--build DIR] [--proto udp|tcp] [--keys N] [--rounds N]" >&2
       exit 2 ;;
    esac
    shift
done
case $PROTO in udp) CONNS=16 ;; tcp) CONNS=50 ;; *) echo "--proto udp|tcp" >&2; exit 2 ;; esac
DP=$BUILD/dataplane/dpcache LOAD=$BUILD/tools/dpcache-load
for b in "$DP" "$LOAD"; do [ -x "$b" ] || { echo "server_cost.sh: $b missing: build first" >&2; exit 2; }; done
GEN_CPU=$([ "$(nproc)" -gt 1 ] && echo 1 || echo 0)
TAG=sc$$ SOCK=/tmp/sc$$.memif.sock
taskset -c 0 "$DP" --no-huge -m $((768 + KEYS * 300 / 1000000)) --lcores 0@0 --file-prefix ${TAG}s \
    --no-pci --log-level 'lib.*:warning' --vdev "net_memif0,role=server,socket=$SOCK" -- \
    --stack native --native-port net_memif0 --native-addr 10.1.0.2/24 --port 6379 \
    --maxkeys $((KEYS * 2 > 4096 ? KEYS * 2 : 4096)) --save '' --protected-mode no \
    >/tmp/$TAG.log 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null || true; wait $srv 2>/dev/null || true' EXIT
for _ in $(seq 200); do grep -q "@$SOCK\$" /proc/net/unix && break; sleep 0.05; done
sleep 0.2

load() {
    timeout 120 taskset -c "$GEN_CPU" "$LOAD" --no-huge -m 1024 --lcores 0@"$GEN_CPU" \
        --file-prefix ${TAG}g --no-pci --log-level 'lib.*:warning' \
        --vdev "net_memif0,role=client,socket=$SOCK" -- --src 10.1.0.1/24 --dst 10.1.0.2 \
        --dport 6379 --quiet --keys "$KEYS" --key-size 16 --value-size 100 \
        --mix get=90,setex=10 --conns $CONNS --pipeline 16 "$@"
}
counters() { # busy_cycles idle_cycles commands
    python3 - /var/run/dpdk/${TAG}s/dpdk_telemetry.v2 <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1]); s.recv(65536); s.send(b"/dpcache/core,0")
d = json.loads(s.recv(1 << 20))["/dpcache/core"]
print(d["busy_cycles"], d["idle_cycles"], d["commands"])
PY
}

load --proto udp --duration 2 >/dev/null 2>&1 # preload every key (UDP: fastest)
for r in $(seq "$ROUNDS"); do
    ( sleep 2; counters >/tmp/$TAG.a; sleep 3; counters >/tmp/$TAG.b ) &
    rps=$(load --proto "$PROTO" --duration 7 --no-preload 2>&1 | grep -oE '[0-9]+ req/s' | head -1)
    wait $!
    python3 - "$r" "$PROTO" "$rps" /tmp/$TAG.a /tmp/$TAG.b <<'PY'
import sys
a = list(map(int, open(sys.argv[4]).read().split()))
b = list(map(int, open(sys.argv[5]).read().split()))
busy, idle, cmds = (b[i] - a[i] for i in range(3))
print("round %s %s: %s; server busy %.0f%%, %.0f TSC cycles per request" % (
    sys.argv[1], sys.argv[2], sys.argv[3] or "no result", 100.0 * busy / max(busy + idle, 1),
    busy / max(cmds, 1)))
PY
done
rm -f /tmp/$TAG.a /tmp/$TAG.b
