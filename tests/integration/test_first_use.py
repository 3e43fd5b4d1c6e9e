#!/usr/bin/python3
"""The usual first mistakes get one message that names the fix, as the last log line, with the
exit status docs/operations.md states; and every line dpcache logs has its format (issue 20).
Golden texts: the expected last lines are written out below.

  native_no_cap    --stack native without CAP_NET_ADMIN (root with it dropped from the bounding
                   set, and as nobody), and AF_PACKET without CAP_NET_RAW: names root and the
                   capability, not --native-port; exit 1; nothing created
  eal_cause        a bad EAL argument: the cause (rte_errno and DPDK's first error), never
                   "Success", and the last line even with stdout (EAL's usage) and stderr in one
                   stream; DPDK's config lock held by a process dpcache cannot see (rte_errno 0):
                   the cause is DPDK's "Cannot create lock" line
  control_waiting  dpcache-control with no data plane names the socket it waits for (--port and
                   --socket)
  rdb_list         an RDB written by redis-server with a list: refused, the hint names
                   --snapshot-skip-unsupported yes (not --snapshot-on-corrupt); with it the file
                   loads and the list is counted as skipped
  load_mix         dpcache-load --mix get=90,foo=10 (with and without --): names foo and the
                   operations, exit 2, no EAL started
  load_help        dpcache-load -- --help: the usage, exit 0, no EAL started
  log_format       a start and a stop at the default log level: every line in dpcache's format
                   (DPDK's own lines included), no warning; with --stack native on the TAP port

Run: /usr/bin/python3 tests/integration/test_first_use.py --dpcache build/dataplane/dpcache \
         --control build/control/dpcache-control --load build/tools/dpcache-load [--stack native]
"""

import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import itlib  # noqa: E402
from test_ownership import MSG, last_line_is  # noqa: E402

NO_NET_ADMIN = ("the native stack's port (the embedded TAP dpcache0: net_tap0,iface=dpcache0) "
                "creates a TAP interface, which needs root or CAP_NET_ADMIN: run dpcache as root or "
                "with CAP_NET_ADMIN (e.g. setcap cap_net_admin+ep on the binary), or use --stack "
                "posix")
NO_NET_RAW = ("the native stack's port net_af_packet0,iface=lo opens AF_PACKET sockets, which "
              "needs root or CAP_NET_RAW: run dpcache as root or with CAP_NET_RAW (e.g. setcap "
              "cap_net_raw+ep on the binary), or use --stack posix")
EAL_HINT = ("Check the EAL arguments before '--' (dpcache --help), that no other dpcache uses the "
            "same --file-prefix, and for hugepages that they are reserved (echo 1024 > "
            "/proc/sys/vm/nr_hugepages) and hugetlbfs is mounted and writable by this user (mount "
            "-t hugetlbfs nodev /dev/hugepages), or run with --no-huge")
EAL_BAD_ARG = ("cannot start DPDK (EAL): Invalid argument (EAL: Invalid 'command line' "
               "arguments.). " + EAL_HINT)
EAL_LOCKED = ("cannot start DPDK (EAL): EAL: Cannot create lock on '/var/run/dpdk/{prefix}/config'. "
              "Is another primary process running? " + EAL_HINT)
WAIT_PORT = ("waiting for the data plane on /var/run/dpcache/{port}.sock (No such file or "
             "directory): is a dpcache running with this --port? (--port or --socket selects "
             "another)")
WAIT_SOCKET = ("waiting for the data plane on {path} (No such file or directory): is a dpcache "
               "running with this --control-socket?")
RDB_LIST = re.compile(
    r'snapshot unusable: (?P<path>\S+): key "mylist" has type list \(RDB type \d+\), which '
    r"dpcache does not support, at offset \d+\. Refusing to start: start with "
    r"--snapshot-skip-unsupported yes to load the strings and hashes and skip \(and count\) the "
    r"keys of other types, or move the file away$")
LOAD_MIX = ("dpcache-load: bad --mix 'get=90,foo=10': unknown operation 'foo' (operations: get set "
            "setex hset hgetall incr mget)")


def dp_args(env, port, *extra):
    return ["--port", str(port), "--core-port-base", "0", "--control-socket",
            os.path.join(env.tmpdir, "fu-%d.sock" % port), "--maxkeys", "65536", "--save", "",
            "--dir", env.tmpdir] + list(extra)


def check_native_no_cap(env, ctx):
    port = itlib.free_ports(1)
    drop = ["setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin"]
    nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
              "--inh-caps=-all"]
    for what, pre, args, want in (
            ("root without CAP_NET_ADMIN", drop, ["--stack", "native"], NO_NET_ADMIN),
            ("nobody", nobody, ["--stack", "native"], NO_NET_ADMIN),
            ("AF_PACKET without CAP_NET_RAW",
             ["setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw"],
             ["--stack", "native", "--native-port", "net_af_packet0,iface=lo", "--native-addr",
              "10.89.0.2/24"], NO_NET_RAW)):
        r = itlib.run(pre + [env.dpcache] + args + dp_args(env, port), timeout=60)
        last_line_is(env, ctx, what, r, want)
        env.check(ctx, "--native-port" not in r.stderr.decode().splitlines()[-1] or
                  "af_packet" in what, "%s: blames --native-port" % what)
    env.check(ctx, not os.path.exists("/sys/class/net/dpcache0"),
              "a TAP dpcache0 was created")


def check_eal_cause(env, ctx):
    port = itlib.free_ports(1)
    argv = [env.dpcache, "--no-such-eal-option", "--"] + dp_args(env, port)
    r = itlib.run(argv, timeout=60)
    lines = r.stderr.decode().splitlines()
    env.check(ctx, r.returncode == 1 and lines and MSG.match(lines[-1]) and
              MSG.match(lines[-1]).group(2) == EAL_BAD_ARG,
              "bad EAL argument: rc %s, last line %r" % (r.returncode, lines[-1:]))
    env.check(ctx, all(MSG.match(l) for l in lines),
              "bad EAL argument: lines outside the log format: %s"
              % [l for l in lines if not MSG.match(l)][:5])
    env.check(ctx, "unrecognized option '--no-such-eal-option'" in r.stderr.decode(),
              "bad EAL argument: the option is not named")
    # EAL's usage goes to stdout: in one stream with stderr, the message still comes last
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    out = p.stdout.decode().rstrip("\n").splitlines()
    env.check(ctx, len(out) > 20 and "Usage:" in p.stdout.decode() and
              out[-1].endswith(EAL_BAD_ARG),
              "stdout and stderr in one stream: %d lines, the last %r" % (len(out), out[-1:]))
    # DPDK's config lock held by a process in a pid namespace dpcache cannot see into... the
    # other way round: dpcache in its own pid namespace, the holder (this script) invisible to
    # it, so dpcache's own check cannot name it and rte_eal_init fails with rte_errno 0
    prefix = "fu%d" % port
    rundir = "/var/run/dpdk/" + prefix
    os.makedirs(rundir, exist_ok=True)
    fd = os.open(rundir + "/config", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        r = itlib.run(["unshare", "--pid", "--fork", "--mount-proc", env.dpcache, "--no-huge",
                       "-m", "256", "--no-pci", "--lcores", "0@%d" % min(os.sched_getaffinity(0)),
                       "--file-prefix", prefix, "--"] + dp_args(env, port), timeout=60)
        last_line_is(env, ctx, "config lock held", r, EAL_LOCKED.format(prefix=prefix))
        env.check(ctx, "Success" not in r.stderr.decode(), "config lock held: says Success")
    finally:
        os.close(fd)
        shutil.rmtree(rundir, ignore_errors=True)


def wait_log(path, pattern, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path) as f:
            for line in f:
                m = MSG.match(line.rstrip("\n"))
                if m and m.group(2) == pattern:
                    return True
        time.sleep(0.1)
    return False


def check_control_waiting(env, ctx):
    port = itlib.free_ports(1)
    sock = os.path.join(env.tmpdir, "nobody-here.sock")
    for what, args, want in (("--port", ["--port", str(port)], WAIT_PORT.format(port=port)),
                             ("--socket", ["--socket", sock], WAIT_SOCKET.format(path=sock))):
        log = os.path.join(env.tmpdir, "waiting-%d.log" % len(what))
        p = subprocess.Popen([env.control, "--listen", "127.0.0.1:%d" % itlib.free_ports(1)] +
                             args, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
        itlib._STARTED.append(p)
        try:
            found = wait_log(log, want)
            with open(log) as f:
                text = f.read()
            env.check(ctx, found, "%s: no line %r in:\n%s" % (what, want, text))
        finally:
            p.send_signal(signal.SIGTERM)
            env.check(ctx, p.wait(20) == 0, "%s: exit status %s" % (what, p.returncode))


def check_rdb_list(env, ctx):
    d = os.path.join(env.tmpdir, "rdb-list")
    os.makedirs(d)
    red = itlib.Redis(env).start()
    try:
        with red.conn() as c:
            c.call("RPUSH", "mylist", "a", "b")
            c.call("SET", "s", "v")
            c.call("SAVE")
    finally:
        red.stop()
    shutil.copy(os.path.join(env.tmpdir, "redis-%d.rdb" % red.port), os.path.join(d, "dump.rdb"))
    port = itlib.free_ports(1)
    args = ["--port", str(port), "--core-port-base", "0", "--control-socket",
            os.path.join(d, "c.sock"), "--maxkeys", "65536", "--dir", d]
    r = itlib.run([env.dpcache] + args, timeout=60)
    lines = r.stderr.decode().splitlines()
    m = MSG.match(lines[-1]) if lines else None
    env.check(ctx, r.returncode == 1 and m and m.group(1) == "#" and RDB_LIST.match(m.group(2)),
              "RDB with a list: rc %s, last line %r" % (r.returncode, lines[-1:]))
    env.check(ctx, "--snapshot-on-corrupt" not in r.stderr.decode(),
              "RDB with a list: the hint is --snapshot-on-corrupt")
    env.check(ctx, all(MSG.match(l) for l in lines) and r.stdout == b"",
              "RDB with a list: output outside the log format")
    dp = itlib.Server([env.dpcache] + args + ["--snapshot-skip-unsupported", "yes"], port,
                      env.tmpdir).start()
    try:
        with dp.conn() as c:
            env.check(ctx, c.call("GET", "s") == b"v", "the string of the RDB is missing")
            env.check(ctx, c.call("EXISTS", "mylist") == 0, "the list was loaded?")
        env.check(ctx, re.search(r"DB loaded from \S+: 1 keys \(0 expired skipped, 1 of "
                                 r"unsupported types skipped\)", dp.stderr()),
                  "no 'DB loaded' line counting the list: %s" % dp.stderr()[-800:])
    finally:
        dp.stop()


def check_load_mix(env, ctx):
    for what, argv in (("without --", [env.load, "--mix", "get=90,foo=10"]),
                       ("after --", [env.load, "--no-huge", "-m", "64", "--", "--mix",
                                     "get=90,foo=10"])):
        r = itlib.run(argv, timeout=30)
        err = r.stderr.decode().splitlines()
        env.check(ctx, r.returncode == 2 and err and err[-1] == LOAD_MIX,
                  "%s: rc %s, last line %r" % (what, r.returncode, err[-1:]))
        env.check(ctx, b"EAL" not in r.stdout + r.stderr, "%s: the EAL started:\n%s"
                  % (what, (r.stdout + r.stderr).decode()[-600:]))


def check_load_help(env, ctx):
    r = itlib.run([env.load, "--", "--help"], timeout=30)
    out = r.stdout.decode()
    env.check(ctx, r.returncode == 0 and out.startswith("Usage: dpcache-load") and
              "--mix SPEC" in out, "dpcache-load -- --help: rc %s, %r" % (r.returncode, out[:200]))
    env.check(ctx, r.stderr == b"" and "EAL:" not in out,
              "dpcache-load -- --help started the EAL: %s" % (r.stderr + r.stdout)[-600:])


def check_log_format(env, ctx):
    dp = itlib.Dpcache(env, workers=1, maxkeys=65536, extra=["--save", ""]).start()
    with dp.conn() as c:
        c.call("SET", "k", "v")
    itlib.stop_and_check(env, dp, ctx)
    lines = dp.stderr().splitlines()
    bad = [l for l in lines if not MSG.match(l)]
    env.check(ctx, lines and not bad, "%s start: lines outside dpcache's format: %s"
              % (env.stack, bad[:5]))
    warn = [l for l in lines if MSG.match(l) and MSG.match(l).group(1) == "#"]
    env.check(ctx, not warn, "%s start: warnings at a clean start: %s" % (env.stack, warn[:5]))
    env.check(ctx, lines and lines[-1].endswith("dpcache is now ready to exit, bye bye..."),
              "%s start: last line %r" % (env.stack, lines[-1:]))
    if env.verbose:
        print("\n".join("    " + l for l in lines))


def main():
    env = itlib.Env(__doc__)
    try:
        if env.stack == "posix":
            if not env.control or not env.load:
                raise SystemExit("FATAL: give --control and --load")
            for name, fn in (("native_no_cap", check_native_no_cap),
                             ("eal_cause", check_eal_cause),
                             ("control_waiting", check_control_waiting),
                             ("rdb_list", check_rdb_list), ("load_mix", check_load_mix),
                             ("load_help", check_load_help)):
                env.run_check(name, fn, env, name)
        env.run_check("log_format", check_log_format, env, "log_format")
    finally:
        env.finish()


if __name__ == "__main__":
    main()
