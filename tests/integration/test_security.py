#!/usr/bin/python3
"""Security (issue 19), against a real redis-server 7.0.15 where Redis defines the behaviour:

  protected_diff  enable-protected-configs, enable-debug-command and enable-module-command set
                  to no, yes and local: CONFIG SET of the protected configs (dir, dbfilename),
                  DEBUG and MODULE, with requirepass set (arity, then protection, then AUTH),
                  byte for byte against redis-server, from 127.0.0.1 (local), from 127.0.0.2
                  (not local for Redis) and from another network namespace over a veth pair;
                  on the native stack from the TAP's host address (not local)
  attack          the classic attack end to end: a key holding an SSH key line, CONFIG SET dir
                  to a scratch ".ssh" directory, CONFIG SET dbfilename authorized_keys, BGSAVE:
                  refused at the first step over RESP (as redis-server) and over the admin API
                  (PUT /v1/config), nothing written there; then the same with the protection
                  explicitly lifted (enable-protected-configs yes over RESP; local +
                  admin-protected-configs yes over the API): the file appears, with the line,
                  which shows the refusal is what stopped it
  rename          a hardened config file (rename-command CONFIG "", FLUSHALL, DEL, INFO renamed,
                  KEYS removed) given to redis-server and dpcache: new names work, old and
                  removed ones are unknown, COMMAND and INFO commandstats as Redis, every core
                  port, multi-partition commands under a new name; dpcache-control keeps
                  working (GET /v1/config, a snapshot, /metrics); redis-cli and
                  redis-benchmark run against it
  secrets         admin token file 0644/0640/0604 refused at start with the message, 0600
                  accepted, a wrong token 401; requirepass (set at start, by CONFIG SET and by
                  the admin API) never in the logs, INFO, the admin API's CONFIG GET and
                  answers, /v1/info, /metrics, telemetry or the slow log

The namespaces and veth pair are created here and removed at the end; --stack native runs the
script in a namespace of its own (itlib). Bounded: every socket has a timeout, the script
--max-seconds.

Run: /usr/bin/python3 tests/integration/test_security.py --dpcache build/dataplane/dpcache \\
         --control build/control/dpcache-control [--stack native]
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import itlib  # noqa: E402
from itlib import Conn, encode, show  # noqa: E402

itlib.require_modules()

MODES = ("no", "yes", "local")
TOKEN = "sec-test-token-%d" % os.getpid()
PASSWORD = "pw-%d" % os.getpid()

# A client in a namespace (or here): connect (from @src if given), send, read until the server
# closes after the final QUIT; prints the bytes as hex.
_CLIENT = r"""
import socket, sys
src, host, port, data = sys.argv[1], sys.argv[2], int(sys.argv[3]), bytes.fromhex(sys.argv[4])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
if src:
    s.bind((src, 0))
s.settimeout(20)
s.connect((host, port))
s.sendall(data)
out = b""
while True:
    d = s.recv(1 << 20)
    if not d:
        break
    out += d
print(out.hex())
"""


def talk(host, port, cmds, src="", netns=None):
    """Replies (raw, one per command) to @cmds sent as one pipeline, QUIT last."""
    data = b"".join(encode(*c) for c in cmds) + encode("QUIT")
    r = itlib.run(["/usr/bin/python3", "-c", _CLIENT, src, host, str(port), data.hex()],
                  netns=netns, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("client %s -> %s:%d failed: %s" % (src or "-", host, port,
                                                             r.stderr.decode()[-500:]))
    raw = bytes.fromhex(r.stdout.decode().strip())
    out, pos = [], 0
    while pos < len(raw):
        end = itlib.scan_reply(raw, pos)
        out.append(raw[pos:end])
        pos = end
    return out


def diff(env, ctx, cmds, rr, dr):
    """Compare reply lists of redis (rr) and dpcache (dr) command by command."""
    env.check(ctx, len(rr) == len(dr) == len(cmds) + 1,
              "reply counts: redis %d, dpcache %d, commands %d (+QUIT)"
              % (len(rr), len(dr), len(cmds)))
    for c, a, b in zip(cmds + [("QUIT",)], rr, dr):
        env.check(ctx, a == b, "%s\n    redis:   %s\n    dpcache: %s"
                  % (" ".join(str(x) for x in c), show(a, 400), show(b, 400)))


class NetnsPair:
    """Two namespaces (server, client) joined by a veth pair: a non-loopback client."""

    def __init__(self, tag):
        n = int(tag) % 250 + 1
        self.srv, self.cli = "dpsec-s-%s" % tag, "dpsec-c-%s" % tag
        self.vs, self.vc = "dpss%s" % tag, "dpsc%s" % tag
        self.srv_ip, self.cli_ip = "10.214.%d.1" % n, "10.214.%d.2" % n
        self.created = []

    def _ip(self, *a):
        r = subprocess.run(["ip"] + list(a), capture_output=True, timeout=20)
        if r.returncode != 0:
            raise RuntimeError("ip %s: %s" % (" ".join(a), r.stderr.decode().strip()))

    def setup(self):
        for ns in (self.srv, self.cli):
            self._ip("netns", "add", ns)
            self.created.append(ns)
            self._ip("-n", ns, "link", "set", "lo", "up")
        self._ip("link", "add", self.vs, "netns", self.srv, "type", "veth", "peer", "name",
                 self.vc, "netns", self.cli)
        for ns, dev, ip in ((self.srv, self.vs, self.srv_ip), (self.cli, self.vc, self.cli_ip)):
            self._ip("-n", ns, "addr", "add", ip + "/24", "dev", dev)
            self._ip("-n", ns, "link", "set", dev, "up")

    def cleanup(self):
        for ns in reversed(self.created):
            subprocess.run(["ip", "netns", "pids", ns], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)
        self.created = []


def protected_cmds(scratch):
    """The differential sequence: protection before AUTH, then every protected action."""
    return [
        ("DEBUG", "SLEEP", "0"), ("MODULE", "LOAD", "/nonexistent/m.so"), ("DEBUG",),
        ("MODULE", "UNLOAD"), ("MODULE", "nope"), ("CONFIG", "SET", "dir", scratch),
        ("AUTH", PASSWORD),
        ("CONFIG", "GET", "enable-protected-configs"), ("CONFIG", "GET", "enable-debug-command"),
        ("CONFIG", "GET", "enable-module-command"),
        ("CONFIG", "SET", "dir", scratch), ("CONFIG", "SET", "DBFILENAME", "authorized_keys"),
        ("CONFIG", "SET", "dir", scratch, "dbfilename", "x.rdb"),
        ("CONFIG", "SET", "maxmemory", "1mb", "dir", scratch),
        ("CONFIG", "SET", "databases", "4", "dir", scratch),
        ("CONFIG", "SET", "dir", scratch, "nosuch", "1"),
        ("CONFIG", "SET", "dbfilename", "a.rdb", "dbfilename", "b.rdb"),
        ("CONFIG", "SET", "enable-protected-configs", "yes"),
        ("CONFIG", "SET", "enable-debug-command", "local"),
        ("CONFIG", "GET", "dir"), ("CONFIG", "GET", "dbfilename"), ("CONFIG", "GET", "maxmemory"),
        ("CONFIG", "SET", "dbfilename", "sec.rdb", "maxmemory", "0"),
        ("DEBUG", "SLEEP", "0"), ("DEBUG", "sleep", "0.001"), ("DEBUG", "LOG", "from the test"),
        ("debug", "nope"), ("DEBUG", "LOG"),
        ("MODULE", "LIST"), ("MODULE", "HELP"), ("MODULE", "LOAD", "/nonexistent/m.so", "a"),
        ("MODULE", "LOADEX", "/nonexistent/m.so", "CONFIG", "a", "b", "ARGS", "c"),
        ("MODULE", "UNLOAD", "nosuch"), ("MODULE", "LIST", "x"),
    ]


def stats_lines(info, prefixes):
    """INFO lines starting with one of @prefixes, usec fields removed (timing differs)."""
    out = []
    for line in info.decode().split("\r\n"):
        if line.startswith(prefixes):
            out.append(re.sub(r"usec=\d+,usec_per_call=[\d.]+,", "", line))
    return sorted(out)


def check_protected_diff(env, ctx):
    scratch = os.path.join(env.tmpdir, "scratch")
    os.makedirs(scratch, exist_ok=True)
    cmds = protected_cmds(scratch)
    native = env.stack == "native"
    ns = None
    if not native:
        ns = NetnsPair(str(os.getpid() % 100000))
        ns.setup()  # no namespaces: a failure, not a skip
    try:
        for mode in MODES:
            # the three switches take different values, so each one's own is what counts
            dbg, mod = MODES[(MODES.index(mode) + 1) % 3], MODES[(MODES.index(mode) + 2) % 3]
            opts = ["--requirepass", PASSWORD, "--enable-protected-configs", mode,
                    "--enable-debug-command", dbg, "--enable-module-command", mod,
                    "--dbfilename", "sec.rdb"]
            for w in env.workers:
                c2 = "%s/protected=%s,debug=%s,module=%s/w%d" % (ctx, mode, dbg, mod, w)
                netns = ns.srv if ns else None
                red = itlib.Redis(env, bind="0.0.0.0", extra=opts, netns=netns,
                                  password=PASSWORD)
                dp = itlib.Dpcache(env, workers=w, bind=None if native else "0.0.0.0",
                                   extra=opts, netns=netns)
                try:
                    dp.start()  # first: the native TAP (10.88.0.1) exists from then on
                    red.start()
                    if native:
                        clients = [("TAP host %s (not local)" % itlib.NATIVE_PEER,
                                    dict(rhost=itlib.NATIVE_PEER, dhost=itlib.NATIVE_HOST))]
                    else:
                        clients = [
                            ("127.0.0.1 (local)", dict(rhost="127.0.0.1", dhost="127.0.0.1",
                                                        netns=ns.srv)),
                            ("127.0.0.2 (not local)", dict(rhost="127.0.0.1", dhost="127.0.0.1",
                                                            src="127.0.0.2", netns=ns.srv)),
                            ("%s from another namespace" % ns.cli_ip,
                             dict(rhost=ns.srv_ip, dhost=ns.srv_ip, netns=ns.cli)),
                        ]
                    for what, cl in clients:
                        kw = dict(src=cl.get("src", ""), netns=cl.get("netns"))
                        rr = talk(cl["rhost"], red.port, cmds, **kw)
                        dr = talk(cl["dhost"], dp.port, cmds, **kw)
                        diff(env, "%s/%s" % (c2, what), cmds, rr, dr)
                    # the counters of what was refused, as Redis counts them
                    info = [talk(cl["rhost"], red.port, [("AUTH", PASSWORD),
                                                         ("INFO", "commandstats")],
                                 src="", netns=cl.get("netns")),
                            talk(cl["dhost"], dp.port, [("AUTH", PASSWORD),
                                                        ("INFO", "commandstats")],
                                 src="", netns=cl.get("netns"))]
                    want = ("cmdstat_debug", "cmdstat_module", "cmdstat_auth")
                    rs, ds = stats_lines(info[0][1], want), stats_lines(info[1][1], want)
                    env.check(c2, rs == ds, "INFO commandstats\n    redis:   %s\n    dpcache: %s"
                              % (rs, ds))
                    # DEBUG HELP: dpcache's own subset (LOG, SLEEP, HELP) where allowed
                    if dbg == "yes":
                        h = talk(cl["dhost"], dp.port, [("AUTH", PASSWORD), ("DEBUG", "HELP")],
                                 netns=cl.get("netns"))[1]
                        env.check(c2, h.startswith(b"*7\r\n+DEBUG <subcommand>") and
                                  b"+SLEEP <seconds>" in h and b"+LOG <message>" in h,
                                  "DEBUG HELP: %s" % show(h))
                    env.check(c2, ("DEBUG LOG: from the test" in dp.stderr()) ==
                              debug_runs(dbg, clients),
                              "DEBUG LOG in the log: %s, expected %s"
                              % (not debug_runs(dbg, clients), debug_runs(dbg, clients)))
                finally:
                    if dp.proc:
                        itlib.stop_and_check(env, dp, c2)
                    red.stop()
    finally:
        if ns:
            ns.cleanup()


def debug_runs(mode, clients):
    """Whether one of @clients (as in check_protected_diff) may run a protected action."""
    return mode == "yes" or (mode == "local" and any("(local)" in w for w, _ in clients))


# ---------------------------------------------------------------------------------------------
# dpcache-control beside a dpcache of itlib
# ---------------------------------------------------------------------------------------------

class Control:
    """dpcache-control attached to @dp (its control socket and telemetry), HTTP on loopback."""

    def __init__(self, env, dp, extra=(), token_mode=0o600, token=TOKEN):
        self.env, self.dp = env, dp
        self.http_port = itlib.free_ports(1)
        self.token_file = os.path.join(env.tmpdir, "token-%d" % self.http_port)
        with open(self.token_file, "w") as f:
            f.write(token + "\n")
        os.chmod(self.token_file, token_mode)
        self.log = os.path.join(env.tmpdir, "control-%d.log" % self.http_port)
        self.argv = [env.args.control, "--socket",
                     os.path.join(env.tmpdir, "ctl-%d.sock" % dp.port),
                     "--telemetry-socket",
                     "/var/run/dpdk/%s/dpdk_telemetry.v2" % dp.file_prefix,
                     "--listen", "127.0.0.1:%d" % self.http_port, "--save", "",
                     "--admin-token-file", self.token_file, "--reconnect-interval-ms", "100",
                     "--loglevel", "verbose"] + list(extra)
        self.proc = None

    def start(self, wait=True):
        env = dict(os.environ)
        env.pop("DPCACHE_ADMIN_TOKEN", None)
        self._log = open(self.log, "wb")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=self._log,
                                     stdin=subprocess.DEVNULL, env=env)
        itlib._STARTED.append(self.proc)
        if wait:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError("dpcache-control exited: %s" % self.logtext()[-2000:])
                try:
                    st, body = self.request("GET", "/v1/info")
                    if st == 200 and json.loads(body)["control"]["attached"]:
                        return self
                except OSError:
                    pass
                time.sleep(0.1)
            raise RuntimeError("dpcache-control not attached within 30 s: %s"
                               % self.logtext()[-2000:])
        return self

    def request(self, method, path, body=None, token=TOKEN, timeout=60):
        h = {"Authorization": "Bearer " + token} if token else {}
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.http_port, path), data=data,
                                     method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def logtext(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc in itlib._STARTED:
            itlib._STARTED.remove(self.proc)
        if self.proc:
            self._log.close()
        return self.proc.returncode if self.proc else None


def wait_file(path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return True
        time.sleep(0.1)
    return False


def check_attack(env, ctx):
    marker = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5%08x%s attacker@evil" % (os.getpid(),
                                                                     os.urandom(16).hex())
    line = "\n\n" + marker + "\n\n"
    base = os.path.join(env.tmpdir, "attack")

    def fresh(name):
        d = os.path.join(base, name)
        os.makedirs(d)
        return d

    os.makedirs(base, exist_ok=True)
    # 1. defaults, over RESP, against redis-server too
    ssh = fresh("home/.ssh")
    rdir, ddir = fresh("redis-data"), fresh("dp-data")
    red = itlib.Redis(env, extra=["--dir", rdir, "--rdbcompression", "no"])
    dp = itlib.Dpcache(env, workers=env.workers[-1], extra=["--dir", ddir])
    ctl = None
    try:
        red.start()
        dp.start()
        ctl = Control(env, dp).start()
        steps = [("SET", "backup", line), ("CONFIG", "SET", "dir", ssh),
                 ("CONFIG", "SET", "dbfilename", "authorized_keys"), ("BGSAVE",)]
        with red.conn() as rc, dp.conn() as dc:
            for st in steps:
                a, b = rc.raw(*st), dc.raw(*st)
                env.check(ctx + "/resp", a == b, "%s\n    redis:   %s\n    dpcache: %s"
                          % (" ".join(st)[:80], show(a), show(b)))
                if st[1:3] == ("SET", "dir"):
                    env.check(ctx + "/resp", b.startswith(b"-ERR CONFIG SET failed (possibly "
                                                          b"related to argument 'dir') - can't "
                                                          b"set protected config"),
                              "the first step was not refused: %s" % show(b))
        env.check(ctx + "/resp", wait_file(os.path.join(ddir, "dump.rdb")),
                  "BGSAVE wrote no snapshot in dpcache's own dir %s" % ddir)
        env.check(ctx + "/resp", wait_file(os.path.join(rdir, "redis-%d.rdb" % red.port)),
                  "redis-server's BGSAVE wrote nothing in its own dir %s" % rdir)
        # 2. the same over the admin API (PUT /v1/config), dpcache-control's defaults
        for body in ({"dir": ssh}, {"name": "dbfilename", "value": "authorized_keys"},
                     {"dbfilename": "authorized_keys"}, {"name": "dir", "value": ssh}):
            st, out = ctl.request("PUT", "/v1/config", body)
            env.check(ctx + "/api", st == 400 and b"can't set protected config" in out and
                      b"admin-protected-configs" in out,
                      "PUT /v1/config %s: %d %s" % (body, st, show(out)))
        st, out = ctl.request("POST", "/v1/snapshot?wait=1")
        snap = json.loads(out)
        env.check(ctx + "/api", st == 200 and snap["path"] == os.path.join(ddir, "dump.rdb"),
                  "POST /v1/snapshot: %d %s" % (st, show(out)))
        st, out = ctl.request("GET", "/v1/config?name=d*")
        got = json.loads(out) if st == 200 else {}
        env.check(ctx + "/api", got.get("dir") == ddir and got.get("dbfilename") == "dump.rdb",
                  "the data plane's dir/dbfilename changed: %s" % got)
        # nothing anywhere under the victim's home
        written = [os.path.join(d, f) for d, _, fs in os.walk(os.path.dirname(ssh)) for f in fs]
        env.check(ctx, written == [], "files written under the victim's home: %s" % written)
    finally:
        if ctl:
            ctl.stop()
        if dp.proc:
            itlib.stop_and_check(env, dp, ctx)
        red.stop()

    # 3. the protection lifted on purpose: the attack goes through (so the refusal above is
    #    what stopped it). Over RESP: enable-protected-configs yes, as redis-server
    ssh2 = fresh("home2/.ssh")
    red = itlib.Redis(env, extra=["--enable-protected-configs", "yes", "--dir", fresh("r2"),
                                  "--rdbcompression", "no"])
    rssh = fresh("rhome/.ssh")
    dp = itlib.Dpcache(env, workers=env.workers[-1],
                       extra=["--enable-protected-configs", "yes", "--dir", fresh("d2")])
    ctl = None
    try:
        red.start()
        dp.start()
        ctl = Control(env, dp).start()  # admin-protected-configs no
        st, out = ctl.request("PUT", "/v1/config", {"dir": ssh2})
        env.check(ctx + "/api-rule", st == 400 and b"can't set protected config" in out,
                  "the admin API changed a protected config without admin-protected-configs: "
                  "%d %s" % (st, show(out)))
        with red.conn() as rc, dp.conn() as dc:
            for st_r, st_d in (
                    (("SET", "backup", line),) * 2,
                    (("CONFIG", "SET", "dir", rssh), ("CONFIG", "SET", "dir", ssh2)),
                    (("CONFIG", "SET", "dbfilename", "authorized_keys"),) * 2,
                    (("BGSAVE",),) * 2):
                a, b = rc.raw(*st_r), dc.raw(*st_d)
                env.check(ctx + "/lifted", a == b, "%s\n    redis:   %s\n    dpcache: %s"
                          % (" ".join(st_d)[:80], show(a), show(b)))
        for path in (os.path.join(rssh, "authorized_keys"), os.path.join(ssh2, "authorized_keys")):
            ok = wait_file(path)
            env.check(ctx + "/lifted", ok and marker.encode() in open(path, "rb").read(),
                      "with the protection lifted, %s should hold the line" % path)
    finally:
        if ctl:
            ctl.stop()
        if dp.proc:
            itlib.stop_and_check(env, dp, ctx)
        red.stop()

    # 4. over the admin API: local (the control socket is local) + admin-protected-configs yes
    ssh3 = fresh("home3/.ssh")
    dp = itlib.Dpcache(env, workers=env.workers[-1],
                       extra=["--enable-protected-configs", "local", "--dir", fresh("d3")])
    ctl = None
    try:
        dp.start()
        with dp.conn() as dc:
            env.check(ctx + "/api-lifted", dc.raw("SET", "backup", line) == b"+OK\r\n", "SET")
            if not env.stack == "native":  # a loopback client is local: allowed
                env.check(ctx + "/api-lifted", dc.raw("CONFIG", "SET", "dbfilename", "x.rdb")
                          == b"+OK\r\n", "CONFIG SET from 127.0.0.1 with local")
        ctl = Control(env, dp, extra=["--admin-protected-configs", "yes"]).start()
        st, out = ctl.request("PUT", "/v1/config", {"dir": ssh3, "dbfilename": "authorized_keys"})
        env.check(ctx + "/api-lifted", st == 200, "PUT /v1/config: %d %s" % (st, show(out)))
        st, out = ctl.request("POST", "/v1/snapshot?wait=1")
        path = os.path.join(ssh3, "authorized_keys")
        env.check(ctx + "/api-lifted", st == 200 and json.loads(out)["path"] == path and
                  marker.encode() in open(path, "rb").read(),
                  "POST /v1/snapshot: %d %s" % (st, show(out)))
    finally:
        if ctl:
            ctl.stop()
        if dp.proc:
            itlib.stop_and_check(env, dp, ctx)
    shutil.rmtree(base, True)


# ---------------------------------------------------------------------------------------------
# rename-command
# ---------------------------------------------------------------------------------------------

def check_rename(env, ctx):
    secret = "FLUSHALL-%s" % os.urandom(6).hex()
    info = "INFO-%s" % os.urandom(6).hex()
    conf = os.path.join(env.tmpdir, "hardened.conf")
    with open(conf, "w") as f:
        f.write('# production hardening\nrename-command CONFIG ""\n'
                "rename-command FLUSHALL %s\nrename-command KEYS ''\n"
                "rename-command del MyDel\nrename-command HGETALL hgetall-but-renamed-long\n"
                "rename-command INFO %s\n"
                % (secret, info))
    for w in env.workers:
        c2 = "%s/w%d" % (ctx, w)
        red = itlib.Redis(env, conf=conf)
        dp = itlib.Dpcache(env, workers=w, conf=conf)
        plain_r = itlib.Redis(env)
        plain_d = itlib.Dpcache(env, workers=w)
        cnt = []
        try:
            red.start()
            dp.start()
            keys = itlib.spread_keys("ren:", 6, max(w, 2))
            cmds = [("CONFIG", "GET", "maxmemory"), ("config", "set", "dir", "/"),
                    ("FLUSHALL",), ("KEYS", "*"), ("DEL", "x"), ("HGETALL", "h"),
                    ("MSET",) + tuple(x for k in keys for x in (k, "v")),
                    ("MYDEL",) + tuple(keys[:4]), ("mydel",), ("EXISTS",) + tuple(keys),
                    ("HSET", "h", "f", "v"), ("HGETALL-BUT-RENAMED-LONG", "h"),
                    (secret.lower(),), ("DBSIZE",), (secret, "ASYNC", "x"),
                    ("COMMAND", "INFO", "config", "flushall", "keys", "del", "config|get"),
                    ("COMMAND", "DOCS", "config", "flushall"),
                    ("COMMAND", "LIST", "FILTERBY", "PATTERN", "config*"),
                    ("COMMAND", "LIST", "FILTERBY", "PATTERN", secret.lower()),
                    ("COMMAND", "LIST", "FILTERBY", "PATTERN", "flushall"),
                    ("COMMAND", "LIST", "FILTERBY", "PATTERN", "mydel"),
                    ("CLIENT", "INFO")]
            rr = talk("127.0.0.1", red.port, cmds)
            dr = talk(itlib.host_of(dp.port), dp.port, cmds)
            # CLIENT INFO: only its cmd= field (addresses and ids differ)
            rr[-2] = re.search(rb"cmd=\S+", rr[-2]).group(0)
            dr[-2] = re.search(rb"cmd=\S+", dr[-2]).group(0) if b"cmd=" in dr[-2] else dr[-2]
            diff(env, c2, cmds, rr, dr)
            # COMMAND INFO/DOCS of renamed ones: found by the new name, under the own name
            for sub in ("INFO", "DOCS"):
                q = ("COMMAND", sub, secret, "mydel", "HGETALL-but-renamed-long")
                a = itlib.parse(talk("127.0.0.1", red.port, [q])[0])
                b = itlib.parse(talk(itlib.host_of(dp.port), dp.port, [q])[0])
                names = (lambda v: [e[0] for e in v]) if sub == "INFO" else \
                    (lambda v: v[0::2])
                env.check(c2, names(a) == names(b) == [b"flushall", b"del", b"hgetall"],
                          "COMMAND %s by new names: redis %s, dpcache %s"
                          % (sub, names(a), names(b)))
            # INFO commandstats: own names, no line for a removed command
            want = ("cmdstat_flushall", "cmdstat_del", "cmdstat_keys", "cmdstat_config",
                    "cmdstat_mydel", "cmdstat_" + secret.lower(), "cmdstat_hgetall",
                    "cmdstat_info")
            a = stats_lines(talk("127.0.0.1", red.port, [(info, "commandstats")])[0], want)
            b = stats_lines(talk(itlib.host_of(dp.port), dp.port, [(info, "commandstats")])[0],
                            want)
            strip = (lambda ls: [re.sub(r":calls=\d+", ":calls=N", x) for x in ls])
            env.check(c2, strip(a) == strip(b) and [x.split(":")[0] for x in b] ==
                      ["cmdstat_del", "cmdstat_flushall", "cmdstat_hgetall"],
                      "INFO commandstats\n    redis:   %s\n    dpcache: %s" % (a, b))
            cnt = [itlib.parse(talk(itlib.host_of(s.port), s.port, [("COMMAND", "COUNT")])[0])
                   for s in (red, dp)]
            # dpcache-control is not affected: its control socket uses the own names
            ctl = Control(env, dp).start()
            try:
                st, out = ctl.request("GET", "/v1/config?name=maxmemory")
                env.check(c2, st == 200 and json.loads(out) == {"maxmemory": "0"},
                          "GET /v1/config with CONFIG removed: %d %s" % (st, show(out)))
                st, out = ctl.request("POST", "/v1/snapshot?wait=1")
                env.check(c2, st == 200, "snapshot with CONFIG removed: %d %s" % (st, show(out)))
                st, out = ctl.request("GET", "/metrics", token=None)
                env.check(c2, st == 200 and re.search(rb"^redis_up 1$", out, re.M) and
                          re.search(rb'^redis_commands_total\{cmd="flushall"\} ', out, re.M),
                          "/metrics with INFO and CONFIG renamed: %d %s" % (st, show(out[-300:])))
            finally:
                ctl.stop()
            # every worker's own core port knows the new names only
            for i in range(w):
                with dp.core_conn(i) as c:
                    env.check(c2, c.raw(secret) == b"+OK\r\n", "core %d: %s" % (i, secret))
                    r = c.raw("FLUSHALL")
                    env.check(c2, r.startswith(b"-ERR unknown command 'FLUSHALL'"),
                              "core %d: FLUSHALL answered %s" % (i, show(r)))
                    env.check(c2, c.raw("MYDEL", *keys) == b":0\r\n", "core %d: MYDEL" % i)
            # redis-cli and redis-benchmark against the hardened servers
            for srv in (red, dp):
                host = itlib.host_of(srv.port)
                cli = [env.redis_cli, "-h", host, "-p", str(srv.port)]
                r1 = itlib.run(cli + ["SET", "cli:k", "v"])
                r2 = itlib.run(cli + [secret])
                r3 = itlib.run(cli + ["CONFIG", "GET", "maxmemory"])
                r4 = itlib.run(cli + ["--scan", "--pattern", "cli:*"])
                ok = (r1.returncode == 0 and r1.stdout == b"OK\n" and r2.stdout == b"OK\n" and
                      r3.stdout.startswith(b"ERR unknown command 'CONFIG'") and
                      r4.returncode == 0)
                env.check(c2, ok, "redis-cli against %s: %s" % (srv.kind, [
                    (x.returncode, x.stdout[:200], x.stderr[:200]) for x in (r1, r2, r3, r4)]))
                b = itlib.run([env.redis_benchmark, "-h", host, "-p", str(srv.port), "-t",
                               "set,get,incr,mset", "-n", "3000", "-c", "4", "-P", "4", "-q"],
                              timeout=120)
                out = b.stdout.decode("utf-8", "replace")
                env.check(c2, b.returncode == 0 and out.count("requests per second") == 4 and
                          "ERR" not in out,
                          "redis-benchmark against %s: rc=%s\n%s\n%s"
                          % (srv.kind, b.returncode, out[-600:], b.stderr.decode()[-300:]))
        finally:
            if dp.proc:
                itlib.stop_and_check(env, dp, c2)
            red.stop()
        # COMMAND COUNT: as many commands gone as in Redis (CONFIG and KEYS)
        try:
            plain_r.start()
            plain_d.start()
            cnt += [itlib.parse(talk(itlib.host_of(s.port), s.port, [("COMMAND", "COUNT")])[0])
                    for s in (plain_r, plain_d)]
            env.check(c2, len(cnt) == 4 and cnt[2] - cnt[0] == cnt[3] - cnt[1] == 2,
                      "COMMAND COUNT (hardened redis, dpcache, then plain): %s" % cnt)
        finally:
            if plain_d.proc:
                itlib.stop_and_check(env, plain_d, c2)
            plain_r.stop()


# ---------------------------------------------------------------------------------------------
# secrets
# ---------------------------------------------------------------------------------------------

def check_secrets(env, ctx):
    dp = itlib.Dpcache(env, workers=env.workers[-1],
                       extra=["--requirepass", PASSWORD + "-start", "--slowlog-log-slower-than",
                              "0", "--loglevel", "debug"])
    ctls = []
    try:
        dp.start()
        # token files: open to others, or to the group of a file root does not own -> refused
        # at start, with the reason (0640 here belongs to nobody; root's 0640/0440 is the
        # Kubernetes Secret case, accepted: unit.control)
        for mode in (0o644, 0o640, 0o604, 0o660):
            ctl = Control(env, dp, token_mode=mode)
            if mode == 0o640:
                os.chown(ctl.token_file, 65534, 65534)
            r = itlib.run(ctl.argv, timeout=30)
            err = r.stderr.decode()
            env.check(ctx + "/token", r.returncode == 1 and "%04o are too open" % mode in err and
                      "chmod 600 %s" % ctl.token_file in err and TOKEN not in err,
                      "token file %04o: rc=%s %s" % (mode, r.returncode, err[-400:]))
        ctl = Control(env, dp, token_mode=0o600).start()
        ctls.append(ctl)
        st, _ = ctl.request("GET", "/v1/info")
        env.check(ctx + "/token", st == 200, "token file 0600: GET /v1/info %d" % st)
        for wrong in (TOKEN[:-1], TOKEN + "x", "x" + TOKEN[1:], ""):
            st, _ = ctl.request("GET", "/v1/info", token=wrong or None)
            env.check(ctx + "/token", st == 401, "token %r: %d" % (wrong, st))
        # requirepass: set at start, by CONFIG SET, by the admin API
        pw2, pw3 = PASSWORD + "-resp", PASSWORD + "-api"
        with dp.conn() as c:
            env.check(ctx, c.raw("AUTH", PASSWORD + "-start") == b"+OK\r\n", "AUTH")
            env.check(ctx, c.raw("CONFIG", "SET", "requirepass", pw2) == b"+OK\r\n",
                      "CONFIG SET requirepass")
        st, out = ctl.request("PUT", "/v1/config", {"requirepass": pw3, "maxclients": 999})
        env.check(ctx, st == 200 and json.loads(out)["set"] ==
                  {"requirepass": "(redacted)", "maxclients": "999"},
                  "PUT /v1/config requirepass: %d %s" % (st, show(out)))
        with dp.conn() as c:
            env.check(ctx, c.raw("AUTH", pw3) == b"+OK\r\n", "the API's password is in force")
            seen = {"INFO everything": c.raw("INFO", "everything"),
                    "SLOWLOG GET": c.raw("SLOWLOG", "GET", "1000")}
            env.check(ctx, b"(redacted)" in seen["SLOWLOG GET"], "slow log: no (redacted)")
        for path in ("/v1/config", "/v1/config?name=requirepass", "/v1/info", "/metrics"):
            st, out = ctl.request("GET", path)
            env.check(ctx, st == 200, "GET %s: %d" % (path, st))
            seen["GET " + path] = out
        st, out = ctl.request("GET", "/v1/config?name=requirepass")
        env.check(ctx, json.loads(out) == {"requirepass": "(redacted)"},
                  "GET /v1/config?name=requirepass: %s" % show(out))
        for cmd in ("/dpcache/info", "/dpcache/stats", "/dpcache/commands", "/eal/params"):
            try:
                seen["telemetry " + cmd] = json.dumps(dp.telemetry(cmd)).encode()
            except Exception as e:  # noqa: BLE001 - reported below
                env.fail(ctx, "telemetry %s: %s" % (cmd, e))
        with open("/proc/%d/cmdline" % dp.proc.pid, "rb") as f:
            seen["dpcache's command line (ps)"] = f.read()
        env.check(ctx, b"--requirepass" in seen["dpcache's command line (ps)"],
                  "dpcache's command line: %s" % show(seen["dpcache's command line (ps)"]))
        ctl.stop()
        itlib.stop_and_check(env, dp, ctx)
        seen["dpcache log"] = dp.stderr().encode()
        seen["dpcache-control log"] = ctl.logtext().encode()
        for where, text in seen.items():
            for pw in (PASSWORD + "-start", pw2, pw3):
                env.check(ctx, pw.encode() not in text,
                          "the password %s appears in %s" % (pw, where))
    finally:
        for c in ctls:
            c.stop()
        if dp.proc and dp.alive():
            dp.stop()


def main():
    env = itlib.Env(__doc__)
    if not env.args.control or not os.access(env.args.control, os.X_OK):
        raise SystemExit("FATAL: --control path/to/dpcache-control is required")
    try:
        for name, fn in (("protected_diff", check_protected_diff), ("attack", check_attack),
                         ("rename", check_rename), ("secrets", check_secrets)):
            env.run_check(name, fn, env, name)
    finally:
        env.finish()


if __name__ == "__main__":
    main()
