#!/usr/bin/env bash
# Builds dpcache and runs the data plane on its default embedded setup (README "Run"): the
# native stack on a TAP port, dpcache answering at 10.88.0.2:6379 and the host side of the TAP
# (interface dpcache0) at 10.88.0.1, one worker. Needs root (the TAP).
# Arguments are passed to dpcache, e.g. scripts/run.sh --workers 2; with --stack posix it
# serves kernel sockets on 127.0.0.1:6379 instead.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh
stack=(--stack native)
for a in "$@"; do
    [ "$a" = "--stack" ] && stack=()
done
exec ./build/dataplane/dpcache "${stack[@]}" --port 6379 "$@"
