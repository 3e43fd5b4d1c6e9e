#!/usr/bin/python3
"""docs.front_cli: the dpcache-front command line and its documentation agree.

  - every command of docs/front.md's dpcache-front block has the same options in the CLI's usage
    (`dpcache-front --help`), and the usage has no command or option the block lacks;
  - the XDP modes of the block's `--mode a|b|...` are the usage's;
  - `add`'s options are the backend fields of docs/operations.md ("A backend is
    `ADDR,mac=M,...`", dpcache-control's front-backend) and of docs/front.md's field list
    (`front_backend_spec_set`/`_parse`: `addr`, ...);
  - the CLI takes each documented option: `dpcache-front <command> --ifname <none> ...` with a
    sample value for each never ends in a usage error (exit 2). Nothing is attached: the
    interface does not exist and --pin-dir names an empty directory, so each run stops at
    "no such device" or "no pinned front" (exit 1), with no privileges needed.

Run: check_front_doc.py build/ebpf/dpcache-front docs/front.md docs/operations.md
"""

import os
import re
import subprocess
import sys
import tempfile

SAMPLES = {  # a valid value for each option that takes one
    "ifname": "dpfdocnone0", "netns": None, "pin-dir": None, "mode": "auto",
    "vip": "10.0.0.100", "tcp-port": "6379", "udp-port": "6379", "addr": "10.0.0.2",
    "mac": "02:00:00:00:00:02", "src-mac": "02:00:00:00:00:09", "base-port": "7379",
    "cores": "4", "weight": "2", "egress": "lo", "first": "0", "last": "100", "auto": "",
}
COMMON = {"ifname", "netns", "pin-dir"}


def options(text):
    return set(re.findall(r"--([a-z][a-z-]*)", text))


def modes(text):
    m = re.search(r"--mode ([a-z|]+)", text)
    return set(m.group(1).split("|")) if m else set()


def doc_block(front_md):
    """{command: set of options} and the modes of docs/front.md's dpcache-front block."""
    cmds, mode_set = {}, set()
    for line in front_md.splitlines():
        m = re.match(r"dpcache-front (\w+)\s+(.*)", line)
        if m:
            body = m.group(2).split("#")[0]
            cmds[m.group(1)] = options(body) - COMMON
            mode_set |= modes(body)
    return cmds, mode_set


def usage_block(usage):
    """{command: set of options} and the modes of the CLI's usage."""
    m = re.search(r"<([a-z|]+)>", usage)
    cmds = {n: set() for n in (m.group(1).split("|") if m else [])}
    cur = []
    for line in usage.splitlines()[1:]:
        m = re.match(r"\s+([a-z|]+):\s+(.*)", line)
        if m:
            cur = m.group(1).split("|")
            body = m.group(2)
        elif re.match(r"\s+\[", line) and cur:  # a continuation line
            body = line
        else:
            cur = []
            continue
        for c in cur:
            cmds.setdefault(c, set()).update(options(body) - COMMON)
    return cmds, modes(usage)


def backend_fields(ops_md, front_md):
    m = re.search(r"A backend is `ADDR,([^`]+)`", ops_md)
    ops = {"addr"} | set(re.findall(r"([a-z][a-z-]*)=", m.group(1))) if m else set()
    m = re.search(r"`front_backend_spec_set`/`_parse`:([^)]*)\)", front_md)
    front = set(re.findall(r"`([a-z][a-z-]*)`", m.group(1))) if m else set()
    return ops, front


def main():
    cli, front_path, ops_path = sys.argv[1:4]
    front_md = open(front_path).read()
    ops_md = open(ops_path).read()
    r = subprocess.run([cli, "--help"], capture_output=True, text=True, timeout=30)
    fails = []
    if r.returncode != 0:
        fails.append("dpcache-front --help: exit status %d" % r.returncode)
    usage = r.stdout or r.stderr  # an older CLI printed its usage on stderr only
    doc, doc_modes = doc_block(front_md)
    use, use_modes = usage_block(usage)
    if not doc:
        fails.append("%s: no dpcache-front block found" % front_path)
    for c in sorted(set(doc) | set(use)):
        if c not in use:
            fails.append("%s documents `dpcache-front %s`, which the usage lacks" % (front_path, c))
        elif c not in doc:
            fails.append("the usage has `%s`, which %s does not document" % (c, front_path))
        elif doc[c] != use[c]:
            fails.append("`dpcache-front %s`: documented %s, usage %s"
                         % (c, sorted(doc[c]), sorted(use[c])))
    if doc_modes != use_modes:
        fails.append("--mode: documented %s, usage %s" % (sorted(doc_modes), sorted(use_modes)))
    ops_fields, front_fields = backend_fields(ops_md, front_md)
    add = use.get("add", set())
    for where, fields in ((ops_path + " (A backend is ...)", ops_fields),
                          (front_path + " (front_backend_spec_set fields)", front_fields)):
        if fields != add:
            fails.append("backend fields of %s: %s; dpcache-front add takes %s"
                         % (where, sorted(fields), sorted(add)))
    # the CLI takes what is documented
    with tempfile.TemporaryDirectory(prefix="dpfdoc-") as tmp:
        pins = os.path.join(tmp, "no-front")
        for c, opts in sorted(doc.items()):
            runs = [sorted(opts)]
            if c == "slots":  # --addr/--first/--last or --auto
                runs = [["addr", "first", "last"], ["auto"]]
            for mode in sorted(doc_modes) if c == "attach" else [None]:
                for run in runs:
                    argv = [cli, c, "--ifname", SAMPLES["ifname"], "--pin-dir", pins]
                    for o in run:
                        v = mode if o == "mode" and mode else SAMPLES.get(o, "x")
                        argv += ["--" + o] + ([v] if v else [])
                    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
                    if r.returncode == 2 or "unrecognized option" in r.stderr:
                        fails.append("%s: usage error (exit %d): %s"
                                     % (" ".join(argv[1:]), r.returncode, r.stderr.strip()[:300]))
                    elif r.returncode == 0:
                        fails.append("%s: succeeded without a front or an interface?"
                                     % " ".join(argv[1:]))
        if os.listdir(tmp):
            fails.append("the runs left %s behind" % os.listdir(tmp))
    for f in fails:
        print("FAIL", f)
    print("%d commands, %d add fields, %d modes checked: %s"
          % (len(doc), len(add), len(doc_modes), "FAILED" if fails else "ok"))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
