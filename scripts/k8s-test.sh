#!/usr/bin/env bash
# The Kubernetes tests in full (docs/kubernetes.md, "Tests"), as root on Debian 12:
#   1. builds dpcache (build/, as scripts/test.sh) and both images offline (k8s/image/build.sh);
#   2. renders every overlay and validates each object offline (tests/k8s/test_render.py);
#   3. runs the kernel overlay's pods with podman kube play (tests/k8s/test_podman.py, whole:
#      dpcache-0, Prometheus, Alertmanager, the dashboard's queries, an alert delivered to a
#      webhook, the snapshot restored on the same volume). About 5 minutes plus the images.
# scripts/test.sh runs 2 and the --quick form of 3 (meson test k8s.render k8s.podman).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
if [ ! -f build/build.ninja ]; then
    meson setup build -Dwerror=true -Dtests=enabled >&2
fi
ninja -C build >&2
./k8s/image/build.sh --binaries build
/usr/bin/python3 tests/k8s/test_render.py --dpcache-k8s build/control/dpcache-k8s
/usr/bin/python3 tests/k8s/test_podman.py --build build
