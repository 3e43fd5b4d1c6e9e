#!/bin/sh
# Checks that docs/kubernetes.md holds dpcache-k8s's settings table exactly as
# `dpcache-k8s --env-markdown` prints it (generated from control/k8s_settings.h).
#   check_settings_doc.sh path/to/dpcache-k8s path/to/docs/kubernetes.md
set -eu
"$1" --env-markdown | while IFS= read -r line; do
    grep -qxF -- "$line" "$2" || {
        echo "$2: missing or changed row (paste dpcache-k8s --env-markdown): $line" >&2
        exit 1
    }
done
