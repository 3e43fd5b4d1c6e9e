#!/usr/bin/env bash
# e2e_front.sh - end-to-end check of the XDP front in network namespaces it creates:
#
#   client ns --veth--> front ns (XDP, generic mode, on f0) --veth f1--> backend ns 1
#                                                           --veth f2--> backend ns 2
#
# Backends own the VIP on lo (direct server return) and answer the client through the front's
# ordinary routing. Each runs dpcache (posix stack, C workers, the service port for TCP and UDP,
# core ports base_port + i, udp-reply-from-service-port so UDP replies leave from VIP:port).
# Checks:
#   1. UDP: every keyed SET reaches the backend that owns its slot (per the slot ranges the
#      front reports: each key is found on its owner backend only) and the core that owns it
#      there (no backend forwarded a command between its workers); replies come back from the
#      service address;
#   2. TCP: redis-benchmark through the VIP loads both backends;
#   3. an established TCP connection survives draining its backend and removing the other.
#
# usage: e2e_front.sh <path to dpcache-front> <path to dpcache>    (root; exit 77 = skipped)
# Network traffic stays inside the namespaces; every wait is bounded; cleanup runs on exit.
set -euo pipefail

FRONT_BIN=${1:?usage: e2e_front.sh <dpcache-front> <dpcache>}
DPCACHE=${2:?usage: e2e_front.sh <dpcache-front> <dpcache>}
TAG=dpf$$
NS_C=$TAG-cli NS_F=$TAG-front NS_1=$TAG-b1 NS_2=$TAG-b2
VIP=10.200.0.100
TCP_PORT=6379 UDP_PORT=6379
B1_ADDR=10.202.1.2 B1_BASE=7100 B1_CORES=2
B2_ADDR=10.202.2.2 B2_BASE=7200 B2_CORES=3
N_UDP=400        # UDP requests
WAIT_S=10        # bound of every readiness wait
PIN=/sys/fs/bpf/dpcache-e2e-$TAG
WORK=$(mktemp -d /tmp/dpcache-e2e-front.XXXXXX)
PY=/usr/bin/python3
PIDS=()

skip() { echo "e2e_front: SKIP: $*" >&2; exit 77; }
fail() {
    echo "e2e_front: FAIL: $*" >&2
    for f in "$WORK"/*-dpcache.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
    exit 1
}
log() { echo "e2e_front: $*"; }

[ "$(id -u)" -eq 0 ] || skip "needs root"
for t in ip redis-cli redis-benchmark timeout; do
    command -v "$t" >/dev/null || skip "$t not installed"
done
[ -x "$PY" ] || skip "$PY not found"
[ -x "$FRONT_BIN" ] || fail "$FRONT_BIN is not executable"
[ -x "$DPCACHE" ] || fail "$DPCACHE is not executable"

cleanup() {
    set +e
    "$FRONT_BIN" detach --netns "$NS_F" --ifname f0 --pin-dir "$PIN" >/dev/null 2>&1
    # Everything this script started runs inside its namespaces (or is listed in PIDS).
    for ns in "$NS_C" "$NS_F" "$NS_1" "$NS_2"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do PIDS+=("$p"); done
    done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    for ns in "$NS_C" "$NS_F" "$NS_1" "$NS_2"; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$PIN" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# shellcheck source=front_topo.sh
. "$(dirname "$0")/front_topo.sh"
front() { "$FRONT_BIN" "$@" --netns "$NS_F" --ifname f0 --pin-dir "$PIN"; }
wait_for() { # wait_for <what> <command...>: retries for WAIT_S seconds
    local what=$1; shift
    for _ in $(seq $((WAIT_S * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    fail "timed out waiting for $what"
}

# ---------------------------------------------------------------------------------------------
log "topology in namespaces $TAG-*"
front_topo_up 10.201 10.202
mac_of() { in_ns "$1" cat /sys/class/net/e0/address; }
B1_MAC=$(mac_of "$NS_1")
B2_MAC=$(mac_of "$NS_2")

# ---------------------------------------------------------------------------------------------
log "backends: dpcache (posix stack) in each backend namespace"
start_backend() { # <ns> <base> <cores> <name>  (ip netns exec directly, so $! is the process)
    local lc=0@0 i
    for ((i = 1; i < $3; i++)); do lc="$lc,$i@$((i % 2))"; done
    ip netns exec "$1" timeout 300 "$DPCACHE" --no-huge -m 256 --no-pci --lcores "$lc" \
        --file-prefix "$TAG-$4" -- --stack posix --port $TCP_PORT --bind 0.0.0.0 \
        --protected-mode no --core-port-base "$2" --udp-reply-from-service-port yes \
        --maxkeys 65536 --snapshot-load no --control-socket "$WORK/$4.sock" \
        --logfile "$WORK/$4-dpcache.log" &
    PIDS+=($!)
    wait_for "dpcache in $1" in_ns "$1" redis-cli -p $TCP_PORT ping
}
start_backend "$NS_1" $B1_BASE $B1_CORES b1
start_backend "$NS_2" $B2_BASE $B2_CORES b2

# ---------------------------------------------------------------------------------------------
log "front: attach XDP (generic) on f0, two backends behind f1/f2 (XDP_REDIRECT via devmap)"
front attach --mode generic --vip $VIP --tcp-port $TCP_PORT --udp-port $UDP_PORT
front add --addr $B1_ADDR --mac "$B1_MAC" --egress f1 --base-port $B1_BASE --cores $B1_CORES
front add --addr $B2_ADDR --mac "$B2_MAC" --egress f2 --base-port $B2_BASE --cores $B2_CORES
front stats >"$WORK/stats0.json"

# ---------------------------------------------------------------------------------------------
log "UDP: $N_UDP keyed requests through the VIP"
cat >"$WORK/udp_client.py" <<'EOF'
# Sends n "SET <key> v<i>" requests (dpcache frame + RESP) to vip:port over a connected socket
# (so only replies from the service address count), one at a time, each retried once; a reply
# must be +OK. Writes the keys sent, hex, one per line; prints the number lost.
import random, socket, struct, sys
vip, port, n, keyfile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rnd = random.Random(6)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((vip, port))
s.settimeout(1.0)
lost = 0
with open(keyfile, "w") as kf:
    for i in range(n):
        k = rnd.choice(["user:%d" % rnd.randrange(10**6), "{tag%d}.x%d" % (rnd.randrange(50), i),
                        "k%d{}" % i, "".join(rnd.choice("abc{}xyz") for _ in range(rnd.randrange(1, 20)))])
        key = k.encode()
        val = b"v%d" % i
        req = (struct.pack("!HHHH", i & 0xffff, 0, 1, 0) + b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
               % (len(key), key, len(val), val))
        for attempt in range(2):
            s.send(req)
            try:
                data = s.recv(2048)
                if struct.unpack("!H", data[:2])[0] == i & 0xffff:
                    if data[8:] != b"+OK\r\n":
                        sys.exit("unexpected reply %r" % data[8:])
                    break
            except socket.timeout:
                pass
        else:
            lost += 1
        kf.write(key.hex() + "\n")
print(lost)
EOF
lost=$(in_ns "$NS_C" timeout 120 "$PY" "$WORK/udp_client.py" $VIP $UDP_PORT $N_UDP "$WORK/keys.txt")
[ "$lost" -eq 0 ] || fail "$lost of $N_UDP UDP requests got no reply"
for b in 1 2; do
    # INFO first: SCAN itself visits every partition (it counts as forwarding)
    in_ns "$TAG-b$b" redis-cli -p $TCP_PORT info | tr -d '\r' >"$WORK/b$b-info.txt"
    in_ns "$TAG-b$b" redis-cli -p $TCP_PORT --scan >"$WORK/b$b-keys.txt"
done
"$PY" - "$WORK/stats0.json" "$WORK/keys.txt" "$WORK/b1-keys.txt" "$WORK/b2-keys.txt" \
    "$WORK/b1-info.txt" "$WORK/b2-info.txt" <<'EOF' || fail "UDP steering"
# Expected owner of each key: slot (CRC16/XMODEM, hash-tag rule) -> backend by the slot ranges
# the front reports -> core i with i*16384/C <= slot <= (i+1)*16384/C - 1 -> base_port + i.
import json, sys
st = json.load(open(sys.argv[1]))
def crc16(b):
    c = 0
    for x in b:
        c ^= x << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) & 0xffff if c & 0x8000 else (c << 1) & 0xffff
    return c
def slot(k):
    o = k.find(b"{")
    if o >= 0:
        e = k.find(b"}", o + 1)
        if e > o + 1:
            k = k[o + 1:e]
    return crc16(k) & 16383
def owner(s):
    for b in st["backends"]:
        for lo, hi in b["slot_ranges"]:
            if lo <= s <= hi:
                c = b["cores"]
                core = [i for i in range(c) if i * 16384 // c <= s <= (i + 1) * 16384 // c - 1][0]
                return b["addr"], b["base_port"] + core
    raise SystemExit("slot %d owned by no backend" % s)
have = {}
for path, addr in ((sys.argv[3], "10.202.1.2"), (sys.argv[4], "10.202.2.2")):
    for line in open(path, "rb"):
        have.setdefault(line.rstrip(b"\n").hex(), []).append(addr)
keys = [l.strip() for l in open(sys.argv[2])]
bad = 0
count = {}
for kh in keys:
    want = owner(slot(bytes.fromhex(kh)))
    seen = have.get(kh, [])
    if seen != [want[0]]:
        bad += 1
        if bad <= 5:
            print("key %s: want backend %s, found on %s" % (kh, want[0], seen))
    count[want[0]] = count.get(want[0], 0) + 1
for path in sys.argv[5:7]:
    info = dict(l.split(":", 1) for l in open(path).read().splitlines() if ":" in l)
    if info.get("dpcache_forwarded_batches") != "0":
        bad += 1
        print("%s: a request reached a core that does not own its key (forwarded %s)"
              % (path, info.get("dpcache_forwarded_batches")))
print("e2e_front: UDP: %d/%d keys on their owner backend, no forwarding between cores; "
      "per backend %s" % (len(keys) - bad, len(keys), count))
sys.exit(1 if bad or len(count) < 2 else 0)
EOF

# ---------------------------------------------------------------------------------------------
log "TCP: redis-benchmark through the VIP"
# total_connections_received of a backend; the INFO connection itself counts too, so a delta
# between two calls is one more than the connections that came through the VIP.
conns() { in_ns "$1" redis-cli -p $TCP_PORT info stats | tr -d '\r' | awk -F: '/^total_connections_received/ {print $2}'; }
c1=$(conns "$NS_1") c2=$(conns "$NS_2")
in_ns "$NS_C" timeout 120 redis-benchmark -h $VIP -p $TCP_PORT -c 16 -n 4000 -t ping,set,get -q \
    >"$WORK/bench.txt" || fail "redis-benchmark through the VIP"
tr '\r' '\n' <"$WORK/bench.txt" | grep 'requests per second' | sed 's/^ */e2e_front:   /' || true
d1=$(($(conns "$NS_1") - c1 - 1)) d2=$(($(conns "$NS_2") - c2 - 1))
log "TCP: connections accepted: backend 1 $d1, backend 2 $d2"
if [ "$d1" -le 0 ] || [ "$d2" -le 0 ]; then fail "TCP load did not reach both backends"; fi

# ---------------------------------------------------------------------------------------------
log "TCP: an established connection through drain and remove"
cat >"$WORK/long_client.py" <<'EOF'
# One TCP connection to vip:port kept open: CLIENT SETNAME, then a PING each time the file
# <dir>/go<k> appears (k = 1, 2), writing the reply to <dir>/pong<k>. Bounded waits.
import os, socket, sys, time
vip, port, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((vip, port), timeout=5)
def cmd(b):
    s.sendall(b)
    return s.recv(1024)
open(os.path.join(d, "named"), "w").write(cmd(b"CLIENT SETNAME e2e-long\r\n").decode())
for k in (1, 2):
    for _ in range(300):
        if os.path.exists(os.path.join(d, "go%d" % k)):
            break
        time.sleep(0.1)
    else:
        sys.exit(1)
    open(os.path.join(d, "pong%d" % k), "w").write(cmd(b"PING\r\n").decode())
EOF
ip netns exec "$NS_C" timeout 120 "$PY" "$WORK/long_client.py" $VIP $TCP_PORT "$WORK" &
LONG=$!
PIDS+=("$LONG")
wait_for "the long-lived connection" test -s "$WORK/named"
on_backend() { in_ns "$1" redis-cli -p $TCP_PORT client list | grep -q 'name=e2e-long'; }
if on_backend "$NS_1"; then
    HOLD=$B1_ADDR HOLD_NS=$NS_1 HOLD_MAC=$B1_MAC HOLD_DEV=f1 OTHER=$B2_ADDR OTHER_NS=$NS_2
elif on_backend "$NS_2"; then
    HOLD=$B2_ADDR HOLD_NS=$NS_2 HOLD_MAC=$B2_MAC HOLD_DEV=f2 OTHER=$B1_ADDR OTHER_NS=$NS_1
else fail "long-lived connection not found on any backend"; fi
log "TCP: long-lived connection is on $HOLD; draining it"

front drain --addr "$HOLD" >/dev/null
h0=$(conns "$HOLD_NS") o0=$(conns "$OTHER_NS")
for _ in $(seq 20); do in_ns "$NS_C" timeout 5 redis-cli -h $VIP -p $TCP_PORT ping >/dev/null; done
dh=$(($(conns "$HOLD_NS") - h0 - 1)) do_=$(($(conns "$OTHER_NS") - o0 - 1))
log "TCP: 20 new connections while $HOLD drains: $dh to it, $do_ to $OTHER"
if [ "$dh" -ne 0 ] || [ "$do_" -ne 20 ]; then fail "new connections reached the draining backend"; fi
touch "$WORK/go1"
wait_for "PING on the draining backend" grep -q PONG "$WORK/pong1"
log "TCP: established connection still answers on the draining backend"

if front add --addr "$HOLD" --mac "$HOLD_MAC" --egress "$HOLD_DEV" --base-port 7000 2>/dev/null; then
    fail "adding an existing backend must fail"
fi
front remove --addr "$OTHER" >/dev/null
touch "$WORK/go2"
wait_for "PING after removing the other backend" grep -q PONG "$WORK/pong2"
log "TCP: established connection still answers after $OTHER was removed"
wait "$LONG" || fail "long-lived client"

front stats >"$WORK/stats1.json"
"$PY" - "$WORK/stats1.json" <<'EOF'
import json, sys
st = json.load(open(sys.argv[1]))
c = st["counters"]
print("e2e_front: front counters: rx %d, tx %d, redirect %d, pass %d, drop %d, ct hit %d, "
      "ct miss %d, ct adopted from another CPU %d, udp keyed %d"
      % (c["rx_packets"], c["verdict_tx"], c["verdict_redirect"], c["verdict_pass"],
         c["verdict_drop"], c["tcp_ct_hit"], c["tcp_ct_miss"], c["tcp_ct_adopted"], c["udp_keyed"]))
for b in st["backends"]:
    print("e2e_front:   backend %s %s: %d packets, %d new TCP flows, %d UDP requests"
          % (b["addr"], b["state"], b["packets"], b["tcp_new"], b["udp_requests"]))
EOF
log "PASS"
