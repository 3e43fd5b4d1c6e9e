#!/usr/bin/env bash
# Benchmark (not a test): requests/s of one dpcache worker core with redis-benchmark, native
# stack through its TAP port vs posix stack over loopback, measured in one run on this machine,
# and the ratio native / posix. GET and SET at -P 1 and -P 16.
#
# Everything runs in a network namespace the script creates (ntbench<pid>, removed at exit):
# the posix dpcache on the namespace's 127.0.0.1, the native dpcache on its embedded TAP port
# (10.88.0.2, the kernel side 10.88.0.1). The server is pinned to CPU 0 and redis-benchmark to
# the other CPUs. The two servers run one after the other (the native worker busy-polls its
# CPU, so running both at once would starve the posix one); the median of the rounds is kept.
# The TAP costs a kernel crossing per packet each way: this measures the stack, not a NIC.
#
#   bench/native_vs_posix.sh                 # defaults: 200k requests, 100k keys, 100 bytes
#   N=50000 ROUNDS=1 bench/native_vs_posix.sh
# Needs root (namespace, TAP). DPCACHE=path overrides build/dataplane/dpcache.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
KEYS=${KEYS:-100000}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
DP=$(realpath "${DPCACHE:-build/dataplane/dpcache}")
PORT=7400
ns=ntbench$$
ncpu=$(nproc)
server_cpu=0
client_cpus=$([ "$ncpu" -gt 1 ] && echo "1-$((ncpu - 1))" || echo 0)
log=$(mktemp -d /tmp/ntbench.XXXXXX)
dp_pid=

in_ns() { ip netns exec "$ns" "$@"; }
stop_dp() {
    if [ -n "$dp_pid" ]; then
        kill "$dp_pid" 2>/dev/null || true
        wait "$dp_pid" 2>/dev/null || true
        dp_pid=
    fi
}
cleanup() {
    stop_dp
    ip netns del "$ns" 2>/dev/null || true
    rm -rf /var/run/dpdk/"$ns"_* "$log" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up

# start_dp <stack> <host>: one worker on CPU 0, EAL arguments of our own (no hugepages, a file
# prefix nobody else uses)
start_dp() {
    local eal=(--lcores "0@$server_cpu" --no-huge -m 1024 --file-prefix "${ns}_$1" --no-pci)
    [ "$1" = native ] && eal+=(--vdev net_tap0,iface=dpcache0)
    # `ip netns exec` execs dpcache: $! is dpcache's pid (not a subshell's)
    ip netns exec "$ns" "$DP" "${eal[@]}" -- --stack "$1" --port "$PORT" --core-port-base 0 \
        --maxkeys $((KEYS * 2)) --save '' --dir "$log" 2>"$log/dpcache-$1.log" &
    dp_pid=$!
    for _ in $(seq 200); do
        in_ns redis-cli -h "$2" -p "$PORT" ping >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "dpcache --stack $1 did not start:" >&2
    cat "$log/dpcache-$1.log" >&2
    exit 1
}

rps() { # host test pipeline
    in_ns timeout 300 taskset -c "$client_cpus" redis-benchmark -h "$1" -p "$PORT" -t "$2" \
        -n "$N" -P "$3" -c "$CLIENTS" -r "$KEYS" -d 100 --csv -q 2>/dev/null |
        awk -F'"' 'NR==2 {print $4}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A res
measure() { # stack host
    start_dp "$1" "$2"
    rps "$2" set 16 >/dev/null # preload the keys
    for P in 1 16; do
        for t in get set; do
            local v=()
            for _ in $(seq "$ROUNDS"); do v+=("$(rps "$2" "$t" "$P")"); done
            res[$1,$t,$P]=$(printf '%s\n' "${v[@]}" | median)
        done
    done
    stop_dp
}
measure posix 127.0.0.1
measure native 10.88.0.2

printf '| test | pipeline | native over TAP (req/s) | posix over loopback (req/s) | native / posix |\n'
printf '|---|---|---|---|---|\n'
for P in 1 16; do
    for t in get set; do
        n=${res[native,$t,$P]:-0} p=${res[posix,$t,$P]:-0}
        ratio=$(awk -v a="$n" -v b="$p" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
        printf '| %s | %s | %.0f | %.0f | %s |\n' "$t" "$P" "$n" "$p" "$ratio"
    done
done
echo "(one worker core each; N=$N, $CLIENTS clients, $KEYS keys, 100-byte values, median of $ROUNDS)"
