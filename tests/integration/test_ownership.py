#!/usr/bin/python3
"""One instance per port, one control plane per data plane (issue 20).

  second_dpcache  a dpcache A serves port P (2 workers, core ports, dpcache-control attached);
                  second dpcaches are started against what it owns: the same port with the
                  default file prefix, with a file prefix of their own, with --core-port-base 0;
                  another port on A's core port, on A's control socket, on A's file prefix; with
                  --stack native also the same port without EAL arguments and another port on
                  A's TAP. Each exits 1 with one last log line naming what is taken and A's pid
                  (golden text), writes nothing to stdout and removes nothing: A's control socket
                  is the same file, A's lock files stay, the second leaves no lock file behind.
                  A keeps serving its keys, and dpcache-control still takes a snapshot (SAVE).
  second_control  (posix) a second dpcache-control on the first one's --listen address exits 1
                  (every request still reaches the first); one on another address but the same
                  data plane exits 1 naming the first one's pid, and the data plane logs the
                  refusal; when the first stops, a new one attaches at once and SAVE works.
  foreign_port    (posix) a port held by another process's SO_REUSEPORT listener: dpcache exits 1
                  saying so instead of joining it.

Run: /usr/bin/python3 tests/integration/test_ownership.py --dpcache build/dataplane/dpcache \
         --control build/control/dpcache-control [--stack native]
"""

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import itlib  # noqa: E402
from itlib import Conn  # noqa: E402

LOCKDIR = "/var/run/dpcache"  # claim.h: the lock directory of root
NETNS = os.stat("/proc/self/ns/net").st_ino

PORT_TAKEN = ("port {port} is already used by dpcache pid {pid} (lock " + LOCKDIR +
              "/port-{port}.net{ns}.lock): stop that dpcache first, or give this one another "
              "--port")
CORE_TAKEN = ("core port {cp} (worker 0 of --core-port-base {cp}) is already used by dpcache pid "
              "{pid} (lock " + LOCKDIR + "/port-{cp}.net{ns}.lock): stop that dpcache first, or "
              "give this one another --core-port-base (0: no core ports)")
SOCKET_TAKEN = ("the control socket {path} is already used by dpcache pid {pid} (lock "
                "{path}.lock): give this instance its own --control-socket")
PREFIX_TAKEN = ("DPDK file prefix '{prefix}' is already used by dpcache pid {pid} (lock "
                "/var/run/dpdk/{prefix}/config): give each instance its own --file-prefix (an "
                "EAL argument; without EAL arguments dpcache uses dpcache<port>)")
IFACE_TAKEN = ("the native port's interface dpcache0 (--native-port net_tap0,iface=dpcache0) is "
               "already used by dpcache pid {pid} (lock " + LOCKDIR +
               "/iface-dpcache0.net{ns}.lock): give this instance a port of its own "
               "(--native-port net_tap0,iface=<name> --native-addr <a.b.c.d/len>)")
LISTEN_TAKEN = ("FATAL: cannot listen on 127.0.0.1:{hp}: Address already in use: another process "
                "(another dpcache-control?) may listen there; stop it or give this one another "
                "--listen")
DATAPLANE_TAKEN = ("the data plane at {sock} refused this dpcache-control: dpcache-control pid "
                   "{pid} is the control plane of this data plane (one at a time): stop it first, "
                   "or attach to another data plane (--port, --socket)")
FOREIGN_TAKEN = ("port {port}: TCP 127.0.0.1:{port} is already in use by another process: stop "
                 "it, or give dpcache another --port")

MSG = re.compile(r"^\d+:[A-Z] \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} ([.*#-]) (.*)$")


def last_line_is(env, ctx, what, r, want, rc=1):
    """r (CompletedProcess) exited rc with want as its last log line, a warning ('#'), every line
    in dpcache's log format, nothing on stdout."""
    lines = r.stderr.decode("utf-8", "replace").splitlines()
    m = MSG.match(lines[-1]) if lines else None
    env.check(ctx, r.returncode == rc, "%s: exit status %s, expected %d\n%s"
              % (what, r.returncode, rc, "\n".join(lines[-10:])))
    env.check(ctx, m and m.group(1) == "#" and m.group(2) == want,
              "%s: last log line\n  got:  %r\n  want: %r" % (what, lines[-1] if lines else None,
                                                          want))
    bad = [l for l in lines if not MSG.match(l)]
    env.check(ctx, not bad, "%s: lines outside the log format: %s" % (what, bad[:5]))
    env.check(ctx, r.stdout == b"", "%s: wrote to stdout: %s" % (what, itlib.show(r.stdout)))


class Control:
    """A dpcache-control on a loopback HTTP port, attached to a socket."""

    def __init__(self, env, sock, tel, snapdir, http_port=None):
        self.port = http_port or itlib.free_ports(1)
        self.argv = [env.control, "--socket", sock, "--telemetry-socket", tel, "--listen",
                     "127.0.0.1:%d" % self.port, "--dir", snapdir, "--save", "",
                     "--reconnect-interval-ms", "100"]
        self.log = os.path.join(env.tmpdir, "control-%d.log" % self.port)
        self.proc = None

    def start(self, wait_ready=True):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "w"), stdin=subprocess.DEVNULL)
        itlib._STARTED.append(self.proc)
        deadline = time.monotonic() + 30
        want = "/readyz" if wait_ready else "/healthz"
        while time.monotonic() < deadline:
            if self.get(want) == 200:
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("dpcache-control not %s:\n%s" % (want, self.logtext()))

    def get(self, path):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path),
                                        timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return None

    def logtext(self):
        with open(self.log) as f:
            return f.read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode if self.proc else None


def owned_files(dp, sock):
    """A's control socket (its inode) and lock files: what a second instance must not touch."""
    locks = [os.path.join(LOCKDIR, "port-%d.net%d.lock" % (p, NETNS))
             for p in [dp.port] + [dp.core_base + i for i in range(dp.workers)]] + [sock + ".lock"]
    if dp.native:
        locks.append(os.path.join(LOCKDIR, "iface-dpcache0.net%d.lock" % NETNS))
    st = os.stat(sock)
    return {"sock": (st.st_ino, stat.S_ISSOCK(st.st_mode)),
            "locks": {p: os.path.exists(p) for p in locks}}


def check_intact(env, ctx, what, dp, sock, before, key, value):
    env.check(ctx, dp.alive(), "%s: the first dpcache died:\n%s" % (what, dp.stderr()[-2000:]))
    try:
        now = owned_files(dp, sock)
    except OSError as e:
        now = {"sock": str(e)}
    env.check(ctx, now == before, "%s: the first dpcache's socket or locks changed: %s -> %s"
              % (what, before, now))
    with dp.conn() as c:
        got = c.call("GET", key)
    env.check(ctx, got == value, "%s: GET %s on the first dpcache: %r" % (what, key, got))


def check_second_dpcache(env, ctx):
    native = env.stack == "native"
    dp = itlib.Dpcache(env, workers=1 if native else 2, maxkeys=65536,
                       extra=["--save", ""]).start()
    sock = os.path.join(env.tmpdir, "ctl-%d.sock" % dp.port)
    snapdir = os.path.join(env.tmpdir, "snap-%d" % dp.port)
    os.makedirs(snapdir)
    tel = "/var/run/dpdk/%s/dpdk_telemetry.v2" % dp.file_prefix
    ctl = Control(env, sock, tel, snapdir).start()
    try:
        with dp.conn() as c:
            c.call("SET", "owner:key", "owner-value")
        before = owned_files(dp, sock)
        env.check(ctx, before["sock"][1] and all(before["locks"].values()),
                  "the first dpcache's socket and locks: %s" % before)
        fmt = dict(pid=dp.proc.pid, ns=NETNS)
        q = itlib.free_ports(1)
        own = lambda name: os.path.join(env.tmpdir, "%s-%d.sock" % (name, q))  # noqa: E731
        cpus = sorted(os.sched_getaffinity(0))
        eal_own = ["--lcores", "0@%d" % cpus[0], "--no-huge", "-m", "512" if native else "256",
                   "--file-prefix", "own%d" % dp.port, "--log-level", "lib.*:warning"]
        eal_own += ["--vdev", "net_tap0,iface=dpcache0", "--no-pci"] if native else ["--no-pci"]
        stack = ["--stack", "native"] if native else []
        # a TAP of its own, so that the core port is what stops it (after the EAL started)
        eal_core = [a.replace("iface=dpcache0", "iface=dpc2nd") for a in eal_own]
        port_core = ["--native-port", "net_tap0,iface=dpc2nd", "--native-addr",
                     "10.89.0.2/24"] if native else []
        common = ["--maxkeys", "65536", "--save", "", "--dir", env.tmpdir]
        cases = [
            ("same port, the same arguments", dp.argv,
             PORT_TAKEN.format(port=dp.port, **fmt)),
            ("same port, own file prefix", [env.dpcache] + eal_own + ["--"] + stack +
             ["--port", str(dp.port), "--control-socket", own("own")] + common,
             PORT_TAKEN.format(port=dp.port, **fmt)),
            ("same port, --core-port-base 0", [env.dpcache] + stack +
             ["--port", str(dp.port), "--core-port-base", "0", "--control-socket", own("cpb0")] +
             common, PORT_TAKEN.format(port=dp.port, **fmt)),
            ("another port on a core port", [env.dpcache] + eal_core + ["--"] + stack +
             port_core + ["--port", str(q), "--core-port-base",
                          str(dp.core_base + dp.workers - 1), "--control-socket", own("core")] +
             common,
             CORE_TAKEN.format(cp=dp.core_base + dp.workers - 1, **fmt)),
            ("another port on the control socket", [env.dpcache] + eal_own + ["--"] + stack +
             ["--port", str(q), "--core-port-base", "0", "--control-socket", sock] + common,
             SOCKET_TAKEN.format(path=sock, **fmt)),
        ]
        if native:
            # dpcache's own EAL arguments: file prefix dpcache<port>, the embedded TAP
            cases += [
                ("same port, no EAL arguments", [env.dpcache, "--stack", "native", "--port",
                                                 str(dp.port), "--control-socket", own("noeal")] +
                 common, PORT_TAKEN.format(port=dp.port, **fmt)),
                ("another port on the TAP", [env.dpcache] + eal_own + ["--", "--stack", "native",
                                                                       "--port", str(q),
                                                                       "--core-port-base", "0",
                                                                       "--control-socket",
                                                                       own("tap")] + common,
                 IFACE_TAKEN.format(**fmt)),
            ]
        else:
            cases.append(
                ("another port on the file prefix", [env.dpcache, "--lcores", "0@%d" % cpus[0],
                                                     "--no-huge", "-m", "256", "--no-pci",
                                                     "--file-prefix", dp.file_prefix, "--",
                                                     "--port", str(q), "--core-port-base", "0",
                                                     "--control-socket", own("prefix")] + common,
                 PREFIX_TAKEN.format(prefix=dp.file_prefix, **fmt)))
        for what, argv, want in cases:
            r = itlib.run(argv, timeout=60)
            last_line_is(env, ctx, what, r, want)
            check_intact(env, ctx, what, dp, sock, before, "owner:key", b"owner-value")
            left = [f for f in os.listdir(LOCKDIR) if f.startswith("port-%d." % q)]
            left += [f for f in os.listdir(env.tmpdir) if f.endswith("-%d.sock.lock" % q)]
            env.check(ctx, not left, "%s: left lock files behind: %s" % (what, left))
            if env.verbose:
                print("    %-36s %s" % (what, want[:110]))
        # the first one's control plane still snapshots: SAVE waits for dpcache-control
        with dp.conn(timeout=60) as c:
            t0 = c.call("LASTSAVE")
            time.sleep(1.1)
            env.check(ctx, c.raw("SAVE") == b"+OK\r\n", "SAVE after the second starts failed")
            env.check(ctx, c.call("LASTSAVE") > t0, "LASTSAVE did not move")
        rdb = os.path.join(snapdir, "dump.rdb")
        env.check(ctx, os.path.getsize(rdb) > 0 if os.path.exists(rdb) else False,
                  "no snapshot at %s" % rdb)
        r = subprocess.run(["redis-check-rdb", rdb], capture_output=True, timeout=60)
        env.check(ctx, r.returncode == 0, "redis-check-rdb: %s" % r.stdout[-500:])
    finally:
        ctl.stop()
        itlib.stop_and_check(env, dp, ctx)


def check_second_control(env, ctx):
    dp = itlib.Dpcache(env, workers=1, maxkeys=65536, extra=["--save", ""]).start()
    sock = os.path.join(env.tmpdir, "ctl-%d.sock" % dp.port)
    snapdir = os.path.join(env.tmpdir, "snapc-%d" % dp.port)
    os.makedirs(snapdir)
    tel = "/var/run/dpdk/%s/dpdk_telemetry.v2" % dp.file_prefix
    c1 = Control(env, sock, tel, snapdir).start()
    extra = []
    try:
        # the same --listen address: refused by the kernel (no SO_REUSEPORT)
        c2 = Control(env, sock, tel, snapdir, http_port=c1.port)
        r = itlib.run(c2.argv, timeout=30)
        last_line_is(env, ctx, "same --listen", r, LISTEN_TAKEN.format(hp=c1.port))
        codes = [c1.get("/readyz") for _ in range(20)]
        env.check(ctx, codes == [200] * 20, "requests after the second listener: %s" % codes)
        # another address, the same data plane: refused by the data plane
        c3 = Control(env, sock, tel, snapdir)
        r = itlib.run(c3.argv, timeout=30)
        last_line_is(env, ctx, "same data plane", r,
                     DATAPLANE_TAKEN.format(sock=sock, pid=c1.proc.pid))
        env.check(ctx, re.search(r"# refused a second control plane \(pid \d+\): dpcache-control "
                                 r"pid %d is attached" % c1.proc.pid, dp.stderr()),
                  "the data plane did not log the refusal:\n%s" % dp.stderr()[-1500:])
        env.check(ctx, c1.proc.poll() is None and c1.get("/readyz") == 200,
                  "the first dpcache-control is no longer ready")
        with dp.conn(timeout=60) as c:
            env.check(ctx, c.raw("SAVE") == b"+OK\r\n", "SAVE with the first control plane")
        # the first leaves, the next attaches at once (its hangups may still be queued)
        env.check(ctx, c1.stop() == 0, "the first dpcache-control: exit %s" % c1.proc.returncode)
        c4 = Control(env, sock, tel, snapdir)
        extra.append(c4)
        c4.start()
        with dp.conn(timeout=60) as c:
            env.check(ctx, c.raw("SAVE") == b"+OK\r\n", "SAVE with the next control plane")
    finally:
        c1.stop()
        for c in extra:
            c.stop()
        itlib.stop_and_check(env, dp, ctx)


def check_foreign_port(env, ctx):
    port = itlib.free_ports(1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    try:
        r = itlib.run([env.dpcache, "--port", str(port), "--core-port-base", "0",
                       "--control-socket", os.path.join(env.tmpdir, "foreign.sock"),
                       "--maxkeys", "65536", "--save", "", "--dir", env.tmpdir], timeout=60)
        last_line_is(env, ctx, "foreign SO_REUSEPORT listener", r, FOREIGN_TAKEN.format(port=port))
    finally:
        s.close()


def main():
    env = itlib.Env(__doc__)
    if not env.control:
        raise SystemExit("FATAL: give --control (the dpcache-control binary)")
    try:
        env.run_check("second_dpcache", check_second_dpcache, env, "second_dpcache")
        if env.stack == "posix":
            env.run_check("second_control", check_second_control, env, "second_control")
            env.run_check("foreign_port", check_foreign_port, env, "foreign_port")
    finally:
        env.finish()


if __name__ == "__main__":
    main()
