#!/usr/bin/env bash
# Runs every test of dpcache on a fresh Debian 12 machine (README "Test"; .ci/run runs this):
#   1. installs what is needed (scripts/deps.sh);
#   2. builds with -Werror and runs all meson suites: unit (cmocka), integration (real
#      redis-server, redis-cli, redis-benchmark, python3-redis, Prometheus; network tests only
#      inside namespaces they create), ebpf (BPF_PROG_TEST_RUN), bench (smoke runs);
#   3. builds with ASan+UBSan (clang) and runs the unit tests and each libFuzzer target for a
#      bounded time (DPCACHE_FUZZ_SECONDS, default 60 for the parser, 20 for the others).
# Long fuzzing: see docs/operations.md ("Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh

echo "== build (gcc, -Werror)" >&2
if [ ! -f build/build.ninja ]; then
    meson setup build -Dwerror=true -Dtests=enabled >&2
else
    meson configure build -Dwerror=true -Dtests=enabled >&2
fi
ninja -C build >&2

echo "== test suites" >&2
meson test -C build --print-errorlogs --no-rebuild --timeout-multiplier 2

echo "== sanitizers and fuzzing (clang, ASan+UBSan)" >&2
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dtests=enabled -Debpf=disabled >&2
fi
ninja -C build-fuzz >&2
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
meson test -C build-fuzz --suite unit --print-errorlogs --no-rebuild --timeout-multiplier 3
secs=${DPCACHE_FUZZ_SECONDS:-60}
for f in build-fuzz/tests/fuzz_*; do
    [ -f "$f" ] && [ -x "$f" ] || continue  # not the .p object folders
    name=$(basename "$f")
    t=$secs
    [ "$name" = fuzz_resp_parse ] || t=$(( secs / 3 > 0 ? secs / 3 : 1 ))
    corpus=$(mktemp -d)
    seeds="tests/fuzz-corpus/${name#fuzz_}"
    [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
    echo "== $name for ${t}s" >&2
    "$f" -max_total_time="$t" -print_final_stats=1 "$corpus" >&2
    rm -rf "$corpus"
done
echo "== all tests passed" >&2
