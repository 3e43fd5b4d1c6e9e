#!/usr/bin/env bash
# Configures (once) and builds dpcache into build/. Extra arguments go to `meson setup` on the
# first run, e.g. scripts/build.sh -Dwerror=true.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
    meson setup build "$@" >&2
elif [ $# -gt 0 ]; then
    meson configure build "$@" >&2
fi
ninja -C build >&2
