#!/usr/bin/env bash
# Builds dpcache and runs the data plane on its default embedded setup (README "Run").
# Arguments are passed to dpcache, e.g. scripts/run.sh --workers 2.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh
exec ./build/dataplane/dpcache --stack posix --bind 127.0.0.1 --port 6379 "$@"
