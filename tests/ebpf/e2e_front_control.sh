#!/usr/bin/env bash
# e2e_front_control.sh - the XDP front run by dpcache-control in front mode, end to end, in
# network namespaces it creates (the topology of e2e_front.sh):
#
#   client ns --veth--> front ns (dpcache-control --dataplane no --front-iface f0, XDP generic)
#                         --veth f1--> backend ns 1 (dpcache, posix stack)
#                         --veth f2--> backend ns 2 (dpcache, posix stack)
#
# Checks:
#   1. start: the backends come from front-backend options; /readyz says ready (XDP attached),
#      GET /v1/front/backends lists both active; no redis_* series (no data plane);
#   2. TCP through the VIP (redis-benchmark) loads both backends;
#   3. 16 long-lived connections, spread over both backends, then through the admin API:
#      drain backend 1 -> 20 new connections all reach backend 2, every long-lived connection
#      still answers (backend 1's too: established flows stay on a draining backend);
#      remove backend 1 -> backend 2's long-lived connections still answer, backend 1's are
#      re-placed (stale) and reset; re-add backend 1 (JSON) -> new connections reach both;
#   4. the API's errors: 409 (exists), 400 (bad JSON, bad field, bad value), 404 (unknown
#      backend), 405 (method), 413 (body over http-body-limit), 401 (no token);
#   5. /metrics passes promtool check metrics and shows packets > 0 for both backends,
#      conntrack hits > 0, stale > 0, redirect verdicts > 0, 2 active backends;
#   6. SIGKILL of dpcache-control: the pinned front keeps forwarding (long-lived connections
#      answer); a restarted dpcache-control reuses the pins and keeps both backends (the
#      connections still answer);
#   7. SIGTERM: dpcache-control exits 0, f0 has no XDP program, the pins are gone.
#
# usage: e2e_front_control.sh <dpcache-control> <dpcache>     (root; exit 77 = skipped)
# Network traffic stays inside the namespaces (HTTP too: dpcache-control listens in the front
# namespace); every wait and loop is bounded; cleanup runs on exit.
set -euo pipefail

CTL=${1:?usage: e2e_front_control.sh <dpcache-control> <dpcache>}
DPCACHE=${2:?usage: e2e_front_control.sh <dpcache-control> <dpcache>}
TAG=fc$$
NS_C=$TAG-cli NS_F=$TAG-front NS_1=$TAG-b1 NS_2=$TAG-b2
VIP=10.210.0.100
PORT=6379
B1_ADDR=10.212.1.2 B1_BASE=7100 B1_CORES=2
B2_ADDR=10.212.2.2 B2_BASE=7200 B2_CORES=2
N_LONG=16        # long-lived connections (all on one backend: probability 2^-15)
HTTP=127.0.0.1:9121
BODY_LIMIT=1024
WAIT_S=15        # bound of every readiness wait
WORK=$(mktemp -d /tmp/dpcache-e2e-fc.XXXXXX)
BPFFS=$WORK/bpffs
PIN=$BPFFS/front
PY=/usr/bin/python3
PIDS=()
CTL_PID=

skip() { echo "e2e_front_control: SKIP: $*" >&2; exit 77; }
fail() {
    echo "e2e_front_control: FAIL: $*" >&2
    for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -25 "$f" >&2; }; done
    exit 1
}
log() { echo "e2e_front_control: $*"; }

[ "$(id -u)" -eq 0 ] || skip "needs root"
for t in ip redis-cli redis-benchmark timeout curl promtool mount; do
    command -v "$t" >/dev/null || skip "$t not installed"
done
[ -x "$PY" ] || skip "$PY not found"
[ -x "$CTL" ] || fail "$CTL is not executable"
[ -x "$DPCACHE" ] || fail "$DPCACHE is not executable"

cleanup() {
    set +e
    # Everything this script started runs inside its namespaces (or is listed in PIDS).
    for ns in "$NS_C" "$NS_F" "$NS_1" "$NS_2"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do PIDS+=("$p"); done
    done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.5
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    for ns in "$NS_C" "$NS_F" "$NS_1" "$NS_2"; do ip netns del "$ns" 2>/dev/null; done
    mountpoint -q "$BPFFS" && umount "$BPFFS"
    rm -rf "$WORK"
}
trap cleanup EXIT

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# shellcheck source=front_topo.sh
. "$(dirname "$0")/front_topo.sh"
wait_for() { # wait_for <what> <command...>: retries for WAIT_S seconds
    local what=$1; shift
    for _ in $(seq $((WAIT_S * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    fail "timed out waiting for $what"
}

# api <method> <path> [body]: prints "<status> <body>" (curl inside the front namespace)
api() {
    local args=(-s -m 10 -o "$WORK/api.out" -w '%{http_code}' -X "$1"
                -H "Authorization: Bearer $(cat "$WORK/token")")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    local code
    code=$(in_ns "$NS_F" curl "${args[@]}" "http://$HTTP$2") || code=000
    echo "$code $(cat "$WORK/api.out" 2>/dev/null)"
}
expect() { # expect <status> <what> <method> <path> [body]
    local want=$1 what=$2 out; shift 2
    out=$(api "$@")
    [ "${out%% *}" = "$want" ] || fail "$what: want HTTP $want, got: $out"
    log "API: $what -> ${out:0:150}"
    LAST=${out#* }
}

# ---------------------------------------------------------------------------------------------
log "topology in namespaces $TAG-*"
front_topo_up 10.211 10.212
B1_MAC=$(in_ns "$NS_1" cat /sys/class/net/e0/address)
B2_MAC=$(in_ns "$NS_2" cat /sys/class/net/e0/address)
B1_SPEC="$B1_ADDR,mac=$B1_MAC,egress=f1,base-port=$B1_BASE,cores=$B1_CORES"
B2_SPEC="$B2_ADDR,mac=$B2_MAC,egress=f2,base-port=$B2_BASE,cores=$B2_CORES"

# The front's pins live on a bpffs of our own, visible from every namespace of this test
# (ip netns exec remounts /sys, so /sys/fs/bpf would be private to one process).
mkdir -p "$BPFFS"
mount -t bpf bpf "$BPFFS" || skip "cannot mount a bpffs"

# ---------------------------------------------------------------------------------------------
log "backends: dpcache (posix stack) in each backend namespace"
start_backend() { # <ns> <base> <cores> <name>  (ip netns exec directly, so $! is the process)
    local lc=0@0 i
    for ((i = 1; i < $3; i++)); do lc="$lc,$i@$((i % 2))"; done
    ip netns exec "$1" timeout 300 "$DPCACHE" --no-huge -m 256 --no-pci --lcores "$lc" \
        --file-prefix "$TAG-$4" -- --stack posix --port $PORT --bind 0.0.0.0 \
        --protected-mode no --core-port-base "$2" --udp-reply-from-service-port yes \
        --maxkeys 65536 --snapshot-load no --control-socket "$WORK/$4.sock" \
        --logfile "$WORK/$4-dpcache.log" &
    PIDS+=($!)
    wait_for "dpcache in $1" in_ns "$1" redis-cli -p $PORT ping
}
start_backend "$NS_1" $B1_BASE $B1_CORES b1
start_backend "$NS_2" $B2_BASE $B2_CORES b2

# ---------------------------------------------------------------------------------------------
echo "e2e-token-$$" >"$WORK/token"
chmod 600 "$WORK/token" # dpcache-control refuses a token file open to group or others
start_control() { # dpcache-control in the front namespace, no data plane (ip netns exec execs it)
    ip netns exec "$NS_F" "$CTL" --dataplane no --listen $HTTP --admin-token-file "$WORK/token" \
        --http-body-limit $BODY_LIMIT --front-iface f0 --front-mode generic --front-vip $VIP \
        --front-tcp-port $PORT --front-udp-port $PORT --front-pin-dir "$PIN" \
        --front-backend "$B1_SPEC" --front-backend "$B2_SPEC" >>"$WORK/control.log" 2>&1 &
    CTL_PID=$!
    PIDS+=("$CTL_PID")
    wait_for "dpcache-control /readyz" in_ns "$NS_F" curl -sf -m 2 "http://$HTTP/readyz"
}
log "dpcache-control: front mode on f0 (generic), backends from front-backend options"
start_control
xdp_on_f0() { in_ns "$NS_F" ip link show f0 | grep -q 'prog/xdp'; }
xdp_on_f0 || fail "no XDP program on f0 after start"
[ "$(in_ns "$NS_F" curl -s -m 2 "http://$HTTP/readyz")" = ready ] || fail "/readyz"

backends_check() { # backends_check <python condition on list b of backends> <what>
    api GET /v1/front/backends >"$WORK/list.txt"
    "$PY" - "$WORK/list.txt" "$1" <<'EOF' || fail "GET /v1/front/backends: $2: $(cat "$WORK/list.txt")"
import json, sys
code, body = open(sys.argv[1]).read().split(" ", 1)
d = json.loads(body)
b = {x["addr"]: x for x in d["backends"]}
ok = code == "200" and d["attached"] and eval(sys.argv[2])
sys.exit(0 if ok else 1)
EOF
}
backends_check "set(b) == {'$B1_ADDR', '$B2_ADDR'} and all(x['state'] == 'active' and x['egress'] in ('f1', 'f2') for x in b.values()) and b['$B1_ADDR']['cores'] == $B1_CORES" \
    "both configured backends active"
log "start: XDP on f0, /readyz ready, both configured backends active"

# ---------------------------------------------------------------------------------------------
log "TCP: redis-benchmark through the VIP"
# total_connections_received of a backend; the INFO connection itself counts too, so a delta
# between two calls is one more than the connections that came through the VIP.
conns() { in_ns "$1" redis-cli -p $PORT info stats | tr -d '\r' | awk -F: '/^total_connections_received/ {print $2}'; }
c1=$(conns "$NS_1") c2=$(conns "$NS_2")
in_ns "$NS_C" timeout 120 redis-benchmark -h $VIP -p $PORT -c 16 -n 3000 -t ping,set,get -q \
    >"$WORK/bench.txt" || fail "redis-benchmark through the VIP"
d1=$(($(conns "$NS_1") - c1 - 1)) d2=$(($(conns "$NS_2") - c2 - 1))
log "TCP: connections accepted: backend 1 $d1, backend 2 $d2"
if [ "$d1" -le 0 ] || [ "$d2" -le 0 ]; then fail "TCP load did not reach both backends"; fi

# ---------------------------------------------------------------------------------------------
cat >"$WORK/long_client.py" <<'EOF'
# N TCP connections to vip:port kept open, each named e2e-long-<i> (CLIENT SETNAME). Each time
# the file <dir>/go<k> appears (k = 1..STEPS), PING every connection still alive and write one
# line per connection to <dir>/pong<k>: "<i> ok", "<i> err <reason>" (it is then closed) or
# "<i> dead". Bounded: 120 s per step, 5 s per reply.
import os, socket, sys, time
vip, port, d, n, steps = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
conns = []
for i in range(n):
    s = socket.create_connection((vip, port), timeout=5)
    s.sendall(b"CLIENT SETNAME e2e-long-%d\r\n" % i)
    if s.recv(64) != b"+OK\r\n":
        sys.exit("SETNAME %d failed" % i)
    conns.append(s)
open(os.path.join(d, "named"), "w").write("%d\n" % n)
for k in range(1, steps + 1):
    for _ in range(1200):
        if os.path.exists(os.path.join(d, "go%d" % k)):
            break
        time.sleep(0.1)
    else:
        sys.exit("no go%d" % k)
    lines = []
    for i, s in enumerate(conns):
        if s is None:
            lines.append("%d dead" % i)
            continue
        try:
            s.sendall(b"PING\r\n")
            r = s.recv(64)
            if r != b"+PONG\r\n":
                raise OSError("reply %r" % r)
            lines.append("%d ok" % i)
        except OSError as e:
            lines.append("%d err %s" % (i, type(e).__name__))
            s.close()
            conns[i] = None
    tmp = os.path.join(d, "pong%d.tmp" % k)
    open(tmp, "w").write("\n".join(lines) + "\n")
    os.rename(tmp, os.path.join(d, "pong%d" % k))
EOF
STEPS=5
ip netns exec "$NS_C" timeout 600 "$PY" "$WORK/long_client.py" $VIP $PORT "$WORK" $N_LONG $STEPS \
    >"$WORK/long_client.log" 2>&1 &
LONG=$!
PIDS+=("$LONG")
wait_for "$N_LONG long-lived connections" test -s "$WORK/named"
names_on() { in_ns "$1" redis-cli -p $PORT client list | grep -o 'name=e2e-long-[0-9]*' | sed 's/.*-//' | sort -n | tr '\n' ' '; }
ON1=$(names_on "$NS_1") ON2=$(names_on "$NS_2")
log "long-lived connections on backend 1: [$ON1], on backend 2: [$ON2]"
[ -n "$ON1" ] && [ -n "$ON2" ] || fail "the $N_LONG long-lived connections are not on both backends"
[ $(( $(wc -w <<<"$ON1") + $(wc -w <<<"$ON2") )) -eq $N_LONG ] || fail "long-lived connections missing"
step() { # step <k>: every long-lived connection PINGs once; the result in $WORK/pong<k>
    touch "$WORK/go$1"
    for _ in $(seq 600); do [ -s "$WORK/pong$1" ] && return 0; sleep 0.1; done
    fail "PING step $1: no result within 60 s"
}
# answers <k> <ids> <ok|err>: each listed connection's result in step k
answers() {
    local i line
    for i in $2; do
        line=$(grep "^$i " "$WORK/pong$1") || fail "step $1: no result for connection $i"
        case "$3:$line" in
            ok:"$i ok") ;;
            err:"$i err"*|err:"$i dead") ;;
            *) fail "step $1: connection $i: want $3, got '$line'" ;;
        esac
    done
}

# ---------------------------------------------------------------------------------------------
log "API: drain backend 1 ($B1_ADDR)"
expect 200 "drain $B1_ADDR" POST "/v1/front/backends/$B1_ADDR/drain"
backends_check "b['$B1_ADDR']['state'] == 'draining' and b['$B1_ADDR']['maglev_entries'] == 0 and b['$B2_ADDR']['maglev_entries'] == 65537" \
    "backend 1 draining, out of the Maglev table"
c1=$(conns "$NS_1") c2=$(conns "$NS_2")
for _ in $(seq 20); do in_ns "$NS_C" timeout 5 redis-cli -h $VIP -p $PORT ping >/dev/null || fail "new connection while draining"; done
d1=$(($(conns "$NS_1") - c1 - 1)) d2=$(($(conns "$NS_2") - c2 - 1))
log "20 new connections while backend 1 drains: $d1 to it, $d2 to backend 2"
if [ "$d1" -ne 0 ] || [ "$d2" -ne 20 ]; then fail "new connections reached the draining backend"; fi
step 1
answers 1 "$ON1" ok
answers 1 "$ON2" ok
log "all $N_LONG long-lived connections answer (backend 1's: established on a draining backend)"

# ---------------------------------------------------------------------------------------------
log "API: errors"
expect 409 "add an existing backend" POST /v1/front/backends \
    "{\"addr\":\"$B2_ADDR\",\"mac\":\"$B2_MAC\",\"base_port\":$B2_BASE,\"egress\":\"f2\"}"
expect 400 "malformed JSON" POST /v1/front/backends '{"addr": '
expect 400 "unknown field" POST /v1/front/backends '{"addr":"10.212.9.9","colour":"red"}'
expect 400 "weight over LB_WEIGHT_MAX" POST /v1/front/backends \
    '{"addr":"10.212.9.9","mac":"02:00:00:00:00:09","base_port":7000,"weight":10001}'
grep -q LB_WEIGHT_MAX <<<"$LAST" || fail "the weight error does not name its limit"
expect 400 "missing mac" POST /v1/front/backends '{"addr":"10.212.9.9","base_port":7000}'
expect 404 "drain an unknown backend" POST /v1/front/backends/10.212.9.9/drain
expect 404 "remove an unknown index" DELETE /v1/front/backends/200
expect 400 "a malformed id" DELETE /v1/front/backends/nope
expect 405 "GET on drain" GET "/v1/front/backends/$B1_ADDR/drain"
expect 405 "PUT on the collection" PUT /v1/front/backends '{}'
expect 413 "a body over http-body-limit" POST /v1/front/backends \
    "{\"addr\":\"$(head -c 2000 /dev/zero | tr '\0' x)\"}"
code=$(in_ns "$NS_F" curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$HTTP/v1/front/backends")
[ "$code" = 401 ] || fail "no token: want 401, got $code"
log "API: no token -> 401"

# ---------------------------------------------------------------------------------------------
log "API: remove backend 1 ($B1_ADDR)"
expect 200 "remove $B1_ADDR" DELETE "/v1/front/backends/$B1_ADDR"
backends_check "set(b) == {'$B2_ADDR'}" "only backend 2 left"
step 2
answers 2 "$ON2" ok
answers 2 "$ON1" err
log "backend 2's long-lived connections answer; backend 1's were re-placed on backend 2 (reset)"

log "API: add backend 1 again (JSON body)"
expect 201 "add $B1_ADDR" POST /v1/front/backends \
    "{\"addr\":\"$B1_ADDR\",\"mac\":\"$B1_MAC\",\"base_port\":$B1_BASE,\"cores\":$B1_CORES,\"egress\":\"f1\"}"
backends_check "set(b) == {'$B1_ADDR', '$B2_ADDR'} and all(x['state'] == 'active' for x in b.values())" \
    "both active again"
c1=$(conns "$NS_1") c2=$(conns "$NS_2")
for _ in $(seq 20); do in_ns "$NS_C" timeout 5 redis-cli -h $VIP -p $PORT ping >/dev/null || fail "new connection after re-adding"; done
d1=$(($(conns "$NS_1") - c1 - 1)) d2=$(($(conns "$NS_2") - c2 - 1))
log "20 new connections after re-adding backend 1: $d1 to it, $d2 to backend 2"
if [ "$d1" -le 0 ] || [ "$d2" -le 0 ] || [ $((d1 + d2)) -ne 20 ]; then fail "new connections after re-adding"; fi
step 3
answers 3 "$ON2" ok

# ---------------------------------------------------------------------------------------------
log "metrics"
in_ns "$NS_F" curl -sf -m 10 "http://$HTTP/metrics" >"$WORK/metrics.txt" || fail "GET /metrics"
promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.log" 2>&1 || fail "promtool check metrics: $(cat "$WORK/promtool.log")"
"$PY" - "$WORK/metrics.txt" "$B1_ADDR" "$B2_ADDR" <<'EOF' || fail "metrics"
import re, sys
text, b1, b2 = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
def v(name, labels=""):
    m = re.search(r"^%s%s (\S+)$" % (re.escape(name), re.escape(labels)), text, re.M)
    if not m:
        sys.exit("no sample %s%s" % (name, labels))
    return float(m.group(1))
checks = [
    ('dpcache_front_attached{iface="f0"}', v("dpcache_front_attached", '{iface="f0"}') == 1),
    ("backend 1 packets", v("dpcache_front_backend_packets_total", '{backend="%s"}' % b1) > 0),
    ("backend 2 packets", v("dpcache_front_backend_packets_total", '{backend="%s"}' % b2) > 0),
    ("backend 1 bytes", v("dpcache_front_backend_bytes_total", '{backend="%s"}' % b1) > 0),
    ("conntrack hits", v("dpcache_front_conntrack_hits_total") > 0),
    ("conntrack misses", v("dpcache_front_conntrack_misses_total") > 0),
    ("conntrack stale (flows of the removed backend)", v("dpcache_front_conntrack_stale_total") > 0),
    ("redirect verdicts", v("dpcache_front_verdicts_total", '{verdict="redirect"}') > 0),
    ("2 active backends", v("dpcache_front_backends", '{state="active"}') == 2),
    ("0 draining backends", v("dpcache_front_backends", '{state="draining"}') == 0),
    ("ready", v("dpcache_control_ready") == 1),
    ("no redis_* series without a data plane", "\nredis_up" not in text),
    ("verdicts sum to rx packets",
     sum(v("dpcache_front_verdicts_total", '{verdict="%s"}' % x) for x in ("tx", "redirect", "pass", "drop"))
     == v("dpcache_front_rx_packets_total")),
]
bad = [n for n, ok in checks if not ok]
print("e2e_front_control: metrics: backend packets %s %d, %s %d; conntrack hits %d, misses %d, "
      "stale %d; verdicts redirect %d, pass %d, drop %d"
      % (b1, v("dpcache_front_backend_packets_total", '{backend="%s"}' % b1),
         b2, v("dpcache_front_backend_packets_total", '{backend="%s"}' % b2),
         v("dpcache_front_conntrack_hits_total"), v("dpcache_front_conntrack_misses_total"),
         v("dpcache_front_conntrack_stale_total"),
         v("dpcache_front_verdicts_total", '{verdict="redirect"}'),
         v("dpcache_front_verdicts_total", '{verdict="pass"}'),
         v("dpcache_front_verdicts_total", '{verdict="drop"}')))
if bad:
    sys.exit("failed: " + ", ".join(bad))
EOF
log "metrics: promtool check metrics OK"

# ---------------------------------------------------------------------------------------------
log "SIGKILL dpcache-control: the pinned front keeps forwarding"
disown "$CTL_PID" # no "Killed" notice from the shell; a zombie until this script exits
kill -9 "$CTL_PID"
for _ in $(seq 50); do [ -d "/proc/$CTL_PID" ] && [ "$(awk '{print $3}' "/proc/$CTL_PID/stat" 2>/dev/null)" != Z ] || break; sleep 0.1; done
[ "$(awk '{print $3}' "/proc/$CTL_PID/stat" 2>/dev/null || echo Z)" = Z ] || fail "dpcache-control survived SIGKILL"
xdp_on_f0 || fail "XDP left f0 with the killed control plane (the link is pinned)"
step 4
answers 4 "$ON2" ok
log "established connections answer while no control plane runs"
start_control
grep -c 'kept from the pinned front' "$WORK/control.log" | grep -qx 2 || fail "restart: both backends not kept from the pins"
backends_check "set(b) == {'$B1_ADDR', '$B2_ADDR'} and all(x['state'] == 'active' for x in b.values())" \
    "both kept after the restart"
step 5
answers 5 "$ON2" ok
log "restart: pins reused, both backends kept, established connections still answer"
wait "$LONG" || fail "long-lived client: $(cat "$WORK/long_client.log")"

# ---------------------------------------------------------------------------------------------
log "SIGTERM dpcache-control: detach and unpin"
kill -TERM "$CTL_PID"
rc=
for _ in $(seq 100); do
    if ! kill -0 "$CTL_PID" 2>/dev/null; then wait "$CTL_PID" && rc=0 || rc=$?; break; fi
    sleep 0.1
done
[ -n "$rc" ] || fail "dpcache-control did not exit within 10 s of SIGTERM"
[ "$rc" -eq 0 ] || fail "dpcache-control exited $rc on SIGTERM"
xdp_on_f0 && fail "XDP still on f0 after SIGTERM"
[ -e "$PIN" ] && fail "pins left in $PIN after SIGTERM"
grep -q 'XDP detached from f0' "$WORK/control.log" || fail "no detach in the log"
log "SIGTERM: exit 0, XDP detached from f0, pins deleted"
log "PASS"
