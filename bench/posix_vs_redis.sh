#!/usr/bin/env bash
# Benchmark (not a test): redis-benchmark against dpcache (posix stack, one worker) and against
# redis-server, side by side in one run on this machine, and the ratio dpcache / redis-server.
# Each server is pinned to CPU 0 and redis-benchmark to the other CPUs; runs alternate between
# the two servers and the median of the rounds is kept.
#
#   bench/posix_vs_redis.sh            # defaults: 1M requests, 1M keys, 100-byte values
#   N=200000 ROUNDS=1 bench/posix_vs_redis.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
KEYS=${KEYS:-1000000}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
DP=${DPCACHE:-build/dataplane/dpcache}
P_DP=${P_DP:-7301}
P_RS=${P_RS:-7302}
ncpu=$(nproc)
server_cpu=0
client_cpus=$([ "$ncpu" -gt 1 ] && echo "1-$((ncpu - 1))" || echo 0)

cleanup() { kill "$dp_pid" "$rs_pid" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
taskset -c $server_cpu "$DP" --port "$P_DP" --workers 1 --maxkeys $((KEYS * 2)) \
    --core-port-base 0 2>/tmp/dpcache-bench.log & dp_pid=$!
taskset -c $server_cpu redis-server --port "$P_RS" --save '' --appendonly no \
    --daemonize no --logfile /tmp/redis-bench.log & rs_pid=$!
for p in "$P_DP" "$P_RS"; do
    for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

rps() { # port test pipeline
    timeout 300 taskset -c "$client_cpus" redis-benchmark -p "$1" -t "$2" -n "$N" -P "$3" -c "$CLIENTS" \
        -r "$KEYS" -d 100 --csv -q 2>/dev/null | awk -F'"' 'NR==2 {print $4}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# preload the same keys in both
for p in "$P_DP" "$P_RS"; do rps "$p" set 16 >/dev/null; done

printf '| test | pipeline | dpcache posix (req/s) | redis-server (req/s) | dpcache / redis |\n'
printf '|---|---|---|---|---|\n'
for P in 1 16; do
    for t in get set; do
        d=() r=()
        for _ in $(seq "$ROUNDS"); do
            d+=("$(rps "$P_DP" "$t" "$P")")
            r+=("$(rps "$P_RS" "$t" "$P")")
        done
        dm=$(printf '%s\n' "${d[@]}" | median)
        rm_=$(printf '%s\n' "${r[@]}" | median)
        ratio=$(awk -v a="$dm" -v b="$rm_" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
        printf '| %s | %s | %.0f | %.0f | %s |\n' "$t" "$P" "$dm" "$rm_" "$ratio"
    done
done
