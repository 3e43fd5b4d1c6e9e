#!/bin/sh
# Checks that docs/operations.md holds dpcache-control's options and metrics tables exactly
# as `dpcache-control --options-markdown` / `--metrics-markdown` print them (generated from
# options.h and the metric table of metrics.c).
#   check_options_doc.sh path/to/dpcache-control path/to/docs/operations.md
set -eu
table=$("$1" --options-markdown; "$1" --metrics-markdown)
if ! grep -qF -- "$(printf '%s\n' "$table" | sed -n 3p)" "$2"; then
    echo "$2: dpcache-control's options table is out of date; paste the output of" >&2
    echo "  dpcache-control --options-markdown and --metrics-markdown" >&2
    exit 1
fi
printf '%s\n' "$table" | while IFS= read -r line; do
    grep -qxF -- "$line" "$2" || { echo "$2: missing or changed row: $line" >&2; exit 1; }
done
