#!/usr/bin/env python3
"""Prints the options table of docs/operations.md from dataplane/engine/options.h.

    tools/options_doc.py            # print the table
    tools/options_doc.py --check    # exit 1 if docs/operations.md is out of date
    tools/options_doc.py --write    # replace the table in docs/operations.md
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ROW = re.compile(r'OPT\((\w+),\s*"([^"]+)",\s*(OPT_\w+),\s*"([^"]*)",\s*([^,]+),\s*([^,]+),'
                 r'\s*([^,]+),\s*([^,]+),\s*"([^"]*)"\)')


def table():
    src = open(os.path.join(ROOT, "dataplane/engine/options.h")).read()
    lines = ["| Option | Default | Changeable at run time | Meaning |", "|---|---|---|---|"]
    for _f, name, _t, default, _mn, _mx, flags, _en, desc in ROW.findall(src):
        if "IMMUTABLE" in flags:
            runtime = "no"
        elif "PROTECTED" in flags:
            runtime = "protected: CONFIG SET only as `enable-protected-configs` allows"
        else:
            runtime = "yes (CONFIG SET)"
        lines.append("| `%s` | `%s` | %s | %s |" % (name, default, runtime, desc.replace("|", "\\|")))
    return "\n".join(lines) + "\n"


def main():
    t = table()
    if "--check" in sys.argv:
        doc = open(os.path.join(ROOT, "docs/operations.md")).read()
        if t not in doc:
            sys.stderr.write("docs/operations.md: the options table is out of date; "
                             "regenerate it with tools/options_doc.py\n")
            return 1
        return 0
    if "--write" in sys.argv:
        path = os.path.join(ROOT, "docs/operations.md")
        lines = open(path).read().split("\n")
        head = t.split("\n")[0]
        start = lines.index(head)
        end = start
        while end < len(lines) and lines[end].startswith("|"):
            end += 1
        lines[start:end] = t.rstrip("\n").split("\n")
        open(path, "w").write("\n".join(lines))
        return 0
    sys.stdout.write(t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
