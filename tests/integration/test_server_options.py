#!/usr/bin/python3
"""dpcache as a server process: configuration file and command-line overrides, refused options,
--help, SIGTERM/SIGINT, silence on stdout, requirepass/AUTH/NOAUTH (HELLO 3 AUTH included),
maxclients, protected mode (from a non-loopback address inside network namespaces this script
creates). Behaviour that Redis also has is compared with a real redis-server 7.0.15.

Run: /usr/bin/python3 tests/integration/test_server_options.py --dpcache build/dataplane/dpcache
"""

import os
import re
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import itlib  # noqa: E402
from itlib import Conn, encode, show  # noqa: E402
from test_compat import Pair, W0, W1  # noqa: E402

itlib.require_modules()
import redis  # noqa: E402

OPTIONS_H = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "dataplane",
                         "engine", "options.h")


def _dp_run(env, args, timeout=20):
    return itlib.run([env.dpcache] + list(args), timeout=timeout)


# ---------------------------------------------------------------------------------------------

def check_config_file(env, ctx):
    """A config file in Redis's 'key value' style, then command-line overrides; the same file
    given to redis-server must produce the same CONFIG GET answers."""
    p_file, p_cli = itlib.free_ports(1), itlib.free_ports(1)
    conf = os.path.join(env.tmpdir, "common.conf")
    with open(conf, "w") as f:
        f.write("# comment line\n\n"
                "port %d\n"
                "   maxmemory 10mb\n"
                "MaxMemory-Policy allkeys-lru\n"
                "databases 4\n"
                "timeout 0\n"
                'requirepass "pass word"\n'
                "maxclients 1234\n"
                "slowlog-max-len 77\n"
                "hz 20\n"
                "save \"\"\n"
                "proto-max-bulk-len 2mb\n" % p_file)
    dconf = os.path.join(env.tmpdir, "dpcache.conf")
    with open(dconf, "w") as f:
        f.write(open(conf).read() + "workers 2\n")
    red = itlib.Redis(env, conf=conf, extra=["--maxmemory", "20mb"], password="pass word").start()
    dp = itlib.Dpcache(env, workers=1, conf=dconf, port=p_cli,
                       extra=["--maxmemory", "20mb"]).start()
    # --workers 1 on the command line overrides 'workers 2' of the file
    try:
        with Conn(red.port) as r, Conn(dp.port) as d:
            for c in (r, d):
                c.raw("AUTH", "pass word")
            p = Pair(env, ctx, r, d, 2, 1)
            for c, port in ((r, red.port), (d, dp.port)):
                env.check(ctx, c.raw("CONFIG", "GET", "port") ==
                          encode("port", str(port)).replace(b"*2", b"*2", 1),
                          "CONFIG GET port is not the command line's --port %d" % port)
            for param in ("maxmemory", "maxmemory-policy", "databases", "timeout",
                          "requirepass", "maxclients", "slowlog-max-len", "hz", "save",
                          "proto-max-bulk-len"):
                p.c("CONFIG", "GET", param)
            p.c("SELECT", "3")
            p.c("SELECT", "4")
            info = d.call("INFO", "server").decode()
            env.check(ctx, "dpcache_workers:1\r" in info,
                      "--workers 1 did not override the file's 'workers 2': %s" % info)
            env.check(ctx, ("config_file:%s\r" % os.path.abspath(dconf)) in info,
                      "INFO config_file is not the absolute path %s" % dconf)
        # nothing listens on the file's port
        try:
            Conn(p_file, timeout=1).close()
            env.fail(ctx, "something listens on the config file's port %d" % p_file)
        except OSError:
            pass
    finally:
        itlib.stop_and_check(env, dp, ctx)
        red.stop()
    # the dpcache-only options of the file are honoured too (workers 2 from the file)
    dp = itlib.Dpcache(env, workers=2, conf=dconf, extra=["--requirepass", ""])
    i = dp.argv.index("--workers")
    del dp.argv[i:i + 2]
    dp.start()
    try:
        with Conn(dp.port) as d:
            info = d.call("INFO", "server").decode()
            env.check(ctx, "dpcache_workers:2\r" in info, "'workers 2' in the file ignored")
            env.check(ctx, d.raw("PING") == b"+PONG\r\n", "--requirepass '' did not override")
    finally:
        itlib.stop_and_check(env, dp, ctx)


BAD_OPTIONS = [
    (["--no-such-option", "1"], ["no-such-option"]),
    (["--maxmemory-policy", "bogus"], ["maxmemory-policy", "bogus"]),
    (["--port", "70000"], ["port", "70000"]),
    (["--port", "abc"], ["port", "abc"]),
    (["--workers", "0"], ["workers"]),
    (["--workers", "129"], ["workers"]),
    (["--protected-mode", "maybe"], ["protected-mode", "maybe"]),
    (["--maxmemory", "10zb"], ["maxmemory", "10zb"]),
    (["--maxclients", "0"], ["maxclients"]),
    (["--databases", "0"], ["databases"]),
    (["--save", "abc"], ["save"]),
    (["--loglevel", "loud"], ["loglevel", "loud"]),
    (["--stack", "carrier-pigeon"], ["stack", "carrier-pigeon"]),
    (["--proto-max-bulk-len", "1000"], ["proto-max-bulk-len"]),
    (["--hz", "-1"], ["hz"]),
    (["/nonexistent/dpcache.conf"], ["/nonexistent/dpcache.conf"]),
]


def check_bad_options(env, ctx):
    for args, names in BAD_OPTIONS:
        port = itlib.free_ports(1)
        full = args + ["--port", str(port)] if args[0].startswith("--") or \
            args[0].startswith("/") else args
        if args[0].startswith("/"):
            full = args + ["--port", str(port)]
        t = time.monotonic()
        try:
            r = _dp_run(env, full + ["--control-socket", os.path.join(env.tmpdir, "bad.sock")])
        except subprocess.TimeoutExpired:
            env.fail(ctx, "dpcache %s did not exit within 20 s (it should refuse the option)"
                     % " ".join(args))
            continue
        err = r.stderr.decode("utf-8", "replace")
        env.check(ctx, r.returncode != 0, "dpcache %s: exit status 0 (must refuse)" % " ".join(args))
        env.check(ctx, all(n in err for n in names),
                  "dpcache %s: message does not name %s: %r" % (" ".join(args), names, err[-500:]))
        env.check(ctx, r.stdout == b"", "dpcache %s wrote to stdout: %s" % (" ".join(args),
                                                                          show(r.stdout)))
        env.check(ctx, time.monotonic() - t < 15, "slow refusal")
    # the same in a config file: the message names the directive (and the file line)
    for line, names in (("no-such-directive 1", ["no-such-directive"]),
                        ("maxmemory-policy bogus", ["maxmemory-policy", "bogus"]),
                        ("port", ["port"])):
        conf = os.path.join(env.tmpdir, "bad.conf")
        with open(conf, "w") as f:
            f.write("# line 1\nmaxmemory 1mb\n%s\n" % line)
        r = _dp_run(env, [conf, "--port", str(itlib.free_ports(1)), "--control-socket",
                          os.path.join(env.tmpdir, "bad.sock")])
        err = r.stderr.decode("utf-8", "replace")
        env.check(ctx, r.returncode != 0 and all(n in err for n in names) and r.stdout == b"",
                  "config file line %r: rc=%s stderr=%r stdout=%s" % (line, r.returncode,
                                                                       err[-400:], show(r.stdout)))


def _option_names_from_source():
    names = []
    with open(OPTIONS_H) as f:
        for m in re.finditer(r'^\s*OPT\(\s*\w+\s*,\s*"([a-z0-9\-]+)"', f.read(), re.M):
            names.append(m.group(1))
    return names


def check_help(env, ctx):
    r = _dp_run(env, ["--help"])
    out = (r.stdout + r.stderr).decode("utf-8", "replace")
    env.check(ctx, r.returncode == 0, "--help exit status %s" % r.returncode)
    names = _option_names_from_source()
    env.check(ctx, len(names) > 30, "could not read option names from %s" % OPTIONS_H)
    # each option: '--name' then its default on the following line(s)
    for n in names:
        m = re.search(r"^\s*--%s\s.*\n\s+default: " % re.escape(n), out, re.M)
        env.check(ctx, m, "--help does not list --%s with its default" % n)
    # every parameter CONFIG GET * reports is an option --help documents
    dp = itlib.Dpcache(env, workers=1).start()
    try:
        with Conn(dp.port) as c:
            v = c.call("CONFIG", "GET", "*")
        params = [x.decode() for x in v[0::2]]
        # Redis-compatible aliases that are not options of their own
        aliases = {"hash-max-ziplist-entries", "hash-max-ziplist-value"}
        missing = [x for x in params if x not in aliases and
                   not re.search(r"^\s*--%s\s" % re.escape(x), out, re.M)]
        env.check(ctx, not missing, "CONFIG GET * parameters not in --help: %s" % missing)
    finally:
        itlib.stop_and_check(env, dp, ctx)
    r = _dp_run(env, ["--version"])
    env.check(ctx, r.returncode == 0 and r.stdout.strip(), "--version: rc=%s out=%s"
              % (r.returncode, show(r.stdout)))


def check_signals(env, ctx):
    """SIGTERM and SIGINT stop dpcache with status 0, also with clients connected and a
    pipeline in flight; nothing reaches stdout even at loglevel debug."""
    for workers in env.workers:
        for sig in (signal.SIGTERM, signal.SIGINT):
            dp = itlib.Dpcache(env, workers=workers, extra=["--loglevel", "debug"]).start()
            conns = []
            try:
                for i in range(8):
                    c = Conn(dp.port)
                    c.raw("CLIENT", "SETNAME", "c%d" % i)
                    conns.append(c)
                # traffic of all sorts, errors and protocol errors included
                with Conn(dp.port) as c:
                    c.send(b"".join(encode("SET", k, "v" * 1000) for k in W0[:20] + W1[:20]))
                    c.read_many(40)
                    c.raw("NOSUCH")
                    c.raw("INFO", "everything")
                    c.raw("CLIENT", "LIST")
                    c.raw("DEBUG", "SLEEP", "0")
                with Conn(dp.port) as c:
                    c.send(b"*abc\r\n")
                    c.read_until_close(2)
                # a pipeline in flight while the signal arrives
                conns[0].send(b"".join(encode("INCR", "ctr") for _ in range(20000)))
                t = time.monotonic()
                rc = dp.stop(sig=sig, timeout=20)
                env.check(ctx, rc == 0, "w%d %s: exit status %r\nstderr tail:\n%s"
                          % (workers, sig.name, rc, dp.stderr()[-2000:]))
                env.check(ctx, time.monotonic() - t < 10, "w%d %s: shutdown took %.1fs"
                          % (workers, sig.name, time.monotonic() - t))
                env.check(ctx, dp.stdout() == b"", "w%d %s: stdout: %s"
                          % (workers, sig.name, show(dp.stdout())))
                err = dp.stderr()
                env.check(ctx, re.search(r"^\d+:M .* [.\-*#] ", err, re.M),
                          "no leveled log lines on stderr: %r" % err[-500:])
            finally:
                for c in conns:
                    c.close()
                if dp.alive():
                    itlib.stop_and_check(env, dp, ctx)


def check_shutdown_cmd(env, ctx):
    """SHUTDOWN: argument errors as redis-server 7; with save rules and no dpcache-control to
    take the final snapshot it refuses (as Redis when its save fails) and the server keeps
    serving; NOSAVE (and FORCE) close the connection without a reply and exit 0, also with
    other clients connected and data in flight."""
    for workers in env.workers:
        red = itlib.Redis(env).start()
        dp = itlib.Dpcache(env, workers=workers, extra=["--save", "3600 1"]).start()
        c2 = "w%d/%s" % (workers, ctx)
        try:
            with Conn(red.port) as r, Conn(dp.port) as d:
                p = Pair(env, c2, r, d, 2, workers)
                p.c("SHUTDOWN", "ABORT")
                p.c("SHUTDOWN", "NOSAVE", "SAVE")
                p.c("SHUTDOWN", "ABORT", "NOW")
                p.c("SHUTDOWN", "BOGUS")
                p.c("SHUTDOWN", "NOSAVE", "NOW", "FORCE", "EXTRA")
            with Conn(dp.port) as d:
                for args in (("SHUTDOWN",), ("SHUTDOWN", "SAVE"), ("SHUTDOWN", "NOW")):
                    rep = d.raw(*args)
                    env.check(ctx, rep == b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n",
                              "%s %s with save rules, no dpcache-control: %s"
                              % (c2, " ".join(args), show(rep)))
                env.check(ctx, d.raw("SET", W0[0], "still here") == b"+OK\r\n",
                          "%s serving after the refused SHUTDOWN" % c2)
            env.check(ctx, "no dpcache-control is attached to take the final snapshot"
                      in dp.stderr(), "%s the refusal is logged" % c2)
            for last in (("SHUTDOWN", "FORCE"), ("SHUTDOWN", "NOSAVE")):
                if not dp.alive():
                    dp.start()
                other = Conn(dp.port)
                other.send(b"".join(encode("INCR", "ctr") for _ in range(5000)))
                with Conn(dp.port) as d:
                    d.send(encode(*last))
                    data, closed = d.read_until_close(10)
                env.check(ctx, closed and data == b"", "%s %s: no reply, connection closed "
                          "(%s, %r)" % (c2, " ".join(last), closed, data[:80]))
                try:
                    rc = dp.proc.wait(20)
                except subprocess.TimeoutExpired:
                    rc = "still running"
                env.check(ctx, rc == 0, "%s %s: exit status %r\n%s"
                          % (c2, " ".join(last), rc, dp.stderr()[-1500:]))
                other.close()
                dp.stop()
        finally:
            red.stop()
            if dp.alive():
                itlib.stop_and_check(env, dp, ctx)


def check_stdout_silent(env, ctx):
    """A serving dpcache writes nothing to stdout (checked at every stop by stop_and_check;
    here with stdout a pipe read live, loglevel debug and a log file option unset)."""
    port = itlib.free_ports(1)
    base = itlib.free_ports(1)
    p = subprocess.Popen([env.dpcache, "--port", str(port), "--core-port-base", str(base),
                          "--control-socket", os.path.join(env.tmpdir, "silent.sock"),
                          "--loglevel", "debug", "--maxkeys", "65536"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    itlib._STARTED.append(p)
    try:
        srv = itlib.Server([], port, env.tmpdir)
        srv.proc = p
        srv.wait_ready()
        with Conn(port) as c:
            for k in W0[:10] + W1[:10]:
                c.raw("SET", k, "x")
                c.raw("GET", k)
            c.raw("FOO")
            c.raw("MONITOR")
        os.set_blocking(p.stdout.fileno(), False)
        time.sleep(0.3)
        data = p.stdout.read() or b""
        env.check(ctx, data == b"", "dpcache wrote to stdout while serving: %s" % show(data))
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = "hung"
        rest = p.stdout.read() or b""
        env.check(ctx, rc == 0 and rest == b"", "rc=%r, stdout at exit %s" % (rc, show(rest)))
        itlib._STARTED.remove(p)


def check_auth(env, ctx):
    for workers in env.workers:
        red = itlib.Redis(env, extra=["--requirepass", "s3cret"]).start()
        dp = itlib.Dpcache(env, workers=workers, extra=["--requirepass", "s3cret"]).start()
        c2 = "w%d/%s" % (workers, ctx)
        try:
            with Conn(red.port) as r, Conn(dp.port) as d:
                p = Pair(env, c2, r, d, 2, workers)
                p.c("PING")
                p.c("GET", W0[0])
                p.c("SET", W1[0], "x")
                p.c("CLIENT", "SETNAME", "x")
                p.c("SELECT", "1")
                p.c("NOSUCHCMD", "a")
                p.c("GET")
                p.c("HELLO", "3")
                p.c("HELLO", "2")
                p.c("HELLO")
                p.c("HELLO", "3", "AUTH", "default", "wrong")
                p.c("HELLO", "3", "AUTH", "nosuchuser", "s3cret")
                p.c("HELLO", "3", "AUTH", "default")
                p.c("AUTH")
                p.c("AUTH", "wrong")
                p.c("AUTH", "default", "wrong")
                p.c("AUTH", "a", "b", "c")
                p.c("PING")
                p.c("AUTH", "s3cret")
                p.c("PING")
                p.c("SET", W0[0], "v")
                p.c("AUTH", "wrong")  # a failed AUTH does not log the client out
                p.c("GET", W0[0])
                p.c("CONFIG", "GET", "requirepass")
            with Conn(red.port) as r, Conn(dp.port) as d:
                p = Pair(env, c2, r, d, 2, workers)
                p.c("HELLO", "3", "AUTH", "default", "s3cret")
                p.c("GET", W0[0])
                p.c("HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "authed")
                p.c("CLIENT", "GETNAME")
                p.c("AUTH", "default", "s3cret")
            with Conn(red.port) as r, Conn(dp.port) as d:
                p = Pair(env, c2, r, d, 2, workers)
                r.send(encode("QUIT"))
                d.send(encode("QUIT"))
                env.check(c2, r.read_until_close(3) == d.read_until_close(3),
                          "QUIT before AUTH differs")
            # redis-cli -a and python3-redis password=
            for port in (red.port, dp.port):
                out = itlib.run([env.redis_cli, "-p", str(port), "-a", "s3cret",
                                 "--no-auth-warning", "GET", W0[0]])
                env.check(c2, out.returncode == 0 and out.stdout == b"v\n",
                          "redis-cli -a on port %d: %s" % (port, out))
                out = itlib.run([env.redis_cli, "-p", str(port), "GET", W0[0]])
                env.check(c2, out.stdout.startswith(b"NOAUTH"), "redis-cli without -a: %s" % (out,))
                cl = redis.Redis(port=port, password="s3cret")
                env.check(c2, cl.get(W0[0]) == b"v", "python3-redis password= on %d" % port)
                cl.close()
                try:
                    redis.Redis(port=port, password="bad").ping()
                    env.fail(c2, "python3-redis with a bad password succeeded on %d" % port)
                except redis.exceptions.RedisError as e:
                    env.check(c2, str(e) == "WRONGPASS invalid username-password pair or user "
                              "is disabled.", "python3-redis bad password on %d: %s: %s"
                              % (port, type(e).__name__, e))
            # CONFIG SET requirepass at run time
            with Conn(red.port) as r, Conn(dp.port) as d:
                p = Pair(env, c2, r, d, 2, workers)
                p.c("AUTH", "s3cret")
                p.c("CONFIG", "SET", "requirepass", "n3w")
                p.c("PING")
            with Conn(red.port) as r, Conn(dp.port) as d:
                p = Pair(env, c2, r, d, 2, workers)
                p.c("PING")
                p.c("AUTH", "s3cret")
                p.c("AUTH", "n3w")
                p.c("CONFIG", "SET", "requirepass", "")
            with Conn(red.port) as r, Conn(dp.port) as d:
                p = Pair(env, c2, r, d, 2, workers)
                p.c("PING")
                p.c("AUTH", "anything")
        finally:
            itlib.stop_and_check(env, dp, c2)
            red.stop()


def check_maxclients(env, ctx):
    for workers in env.workers:
        c2 = "w%d/%s" % (workers, ctx)
        red = itlib.Redis(env, extra=["--maxclients", "4"]).start()
        dp = itlib.Dpcache(env, workers=workers, extra=["--maxclients", "4"]).start()
        try:
            time.sleep(0.2)  # start-up probes closed
            for srv in (red, dp):
                conns = []
                try:
                    for i in range(4):
                        c = Conn(srv.port if i % 2 == 0 or srv is red else
                                 srv.core_base + (i // 2) % srv.workers, name=srv.kind)
                        env.check(c2, c.raw("PING") == b"+PONG\r\n", "%s client %d refused"
                                  % (srv.kind, i))
                        conns.append(c)
                    with Conn(srv.port) as extra:
                        extra.send(encode("PING"))
                        data, closed = extra.read_until_close(3)
                    env.check(c2, (data, closed) == (b"-ERR max number of clients reached\r\n",
                                                     True),
                              "%s 5th client with maxclients 4: %s closed=%s"
                              % (srv.kind, show(data), closed))
                    # the stats count it
                    info = conns[0].call("INFO", "stats").decode()
                    m = re.search(r"rejected_connections:(\d+)", info)
                    env.check(c2, m and int(m.group(1)) >= 1,
                              "%s rejected_connections after a refusal: %s" % (
                                  srv.kind, m and m.group(0)))
                    # one leaves: a new one is accepted
                    conns.pop().close()
                    time.sleep(0.3)
                    with Conn(srv.port) as again:
                        env.check(c2, again.raw("PING") == b"+PONG\r\n",
                                  "%s: no slot freed after a client left" % srv.kind)
                    # CONFIG SET maxclients at run time
                    env.check(c2, conns[0].raw("CONFIG", "SET", "maxclients", "5") == b"+OK\r\n",
                              "%s CONFIG SET maxclients" % srv.kind)
                    c = Conn(srv.port)
                    conns.append(c)
                    env.check(c2, c.raw("PING") == b"+PONG\r\n", "%s 4th client" % srv.kind)
                    c = Conn(srv.port)
                    conns.append(c)
                    env.check(c2, c.raw("PING") == b"+PONG\r\n",
                              "%s 5th client after maxclients 5" % srv.kind)
                    with Conn(srv.port) as extra:
                        extra.send(encode("PING"))
                        data, closed = extra.read_until_close(3)
                    env.check(c2, (data, closed) == (b"-ERR max number of clients reached\r\n",
                                                     True),
                              "%s 6th client with maxclients 5: %s closed=%s"
                              % (srv.kind, show(data), closed))
                finally:
                    for c in conns:
                        c.close()
        finally:
            itlib.stop_and_check(env, dp, c2)
            red.stop()


# ---------------------------------------------------------------------------------------------
# Protected mode, from a non-loopback address: two network namespaces joined by a veth pair.
# ---------------------------------------------------------------------------------------------

_NS_CLIENT = r"""
import socket, sys
host, port, data = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
s = socket.create_connection((host, port), timeout=5)
s.sendall(data)
out = b""
closed = False
s.settimeout(1)
try:
    while True:
        d = s.recv(65536)
        if not d:
            closed = True
            break
        out += d
except socket.timeout:
    pass
except ConnectionResetError:
    closed = True
print(out.hex(), closed)
"""


class NetnsPair:
    def __init__(self, tag):
        self.srv = "dpit-s-%s" % tag
        self.cli = "dpit-c-%s" % tag
        self.vs = "dpvs%s" % tag
        self.vc = "dpvc%s" % tag
        n = int(tag) % 250 + 1
        self.srv_ip = "10.213.%d.1" % n
        self.cli_ip = "10.213.%d.2" % n
        self.created = []

    def _ip(self, *a):
        r = subprocess.run(["ip"] + list(a), capture_output=True, timeout=20)
        if r.returncode != 0:
            raise RuntimeError("ip %s: %s" % (" ".join(a), r.stderr.decode().strip()))

    def setup(self):
        self._ip("netns", "add", self.srv)
        self.created.append(self.srv)
        self._ip("netns", "add", self.cli)
        self.created.append(self.cli)
        self._ip("link", "add", self.vs, "netns", self.srv, "type", "veth", "peer", "name",
                 self.vc, "netns", self.cli)
        for ns, dev, ip in ((self.srv, self.vs, self.srv_ip), (self.cli, self.vc, self.cli_ip)):
            self._ip("-n", ns, "link", "set", "lo", "up")
            self._ip("-n", ns, "addr", "add", ip + "/24", "dev", dev)
            self._ip("-n", ns, "link", "set", dev, "up")

    def cleanup(self):
        for ns in reversed(self.created):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)
        self.created = []

    def client(self, host, port, data):
        r = itlib.run(["/usr/bin/python3", "-c", _NS_CLIENT, host, str(port), data.hex()],
                      netns=self.cli, timeout=20)
        if r.returncode != 0:
            return ("client failed: %s" % r.stderr.decode()[-300:], None)
        h, closed = r.stdout.decode().split()
        return bytes.fromhex(h), closed == "True"

    def local(self, host, port, data):
        r = itlib.run(["/usr/bin/python3", "-c", _NS_CLIENT, host, str(port), data.hex()],
                      netns=self.srv, timeout=20)
        if r.returncode != 0:
            return ("client failed: %s" % r.stderr.decode()[-300:], None)
        h, closed = r.stdout.decode().split()
        return bytes.fromhex(h), closed == "True"


def check_protected_mode(env, ctx):
    ns = NetnsPair(str(os.getpid() % 100000))
    try:
        try:
            ns.setup()
        except Exception as e:
            print("SKIP protected-mode sub-check: cannot create network namespaces/veth (%s)" % e)
            return
        cases = [
            ("no password", ["--protected-mode", "yes"], True),
            ("password set", ["--protected-mode", "yes", "--requirepass", "pw"], False),
            ("protected-mode no", ["--protected-mode", "no"], False),
        ]
        req = encode("PING") + encode("GET", "k")
        for name, opts, denied in cases:
            red = itlib.Redis(env, bind="0.0.0.0", extra=opts, netns=ns.srv)
            red.start()
            dps = [itlib.Dpcache(env, workers=w, bind="0.0.0.0", extra=opts, netns=ns.srv)
                   for w in env.workers]
            try:
                for dp in dps:
                    dp.start()
                rr = ns.client(ns.srv_ip, red.port, req)
                if denied:
                    env.check(ctx, rr[0].startswith(b"-DENIED") and rr[1],
                              "redis itself did not deny: %s" % (rr,))
                for dp in dps:
                    c2 = "w%d/%s/%s" % (dp.workers, ctx, name)
                    dr = ns.client(ns.srv_ip, dp.port, req)
                    env.check(c2, rr == dr, "remote client (%s -> %s)\n    redis:   %s closed=%s"
                              "\n    dpcache: %s closed=%s" % (ns.cli_ip, ns.srv_ip, show(rr[0], 1000),
                                                             rr[1], show(dr[0], 1000), dr[1]))
                    # the core ports are protected as well
                    dr2 = ns.client(ns.srv_ip, dp.core_base, req)
                    env.check(c2, dr2 == dr, "core port: %s vs shared port %s" % (dr2, dr))
                    # loopback inside the namespace is always allowed
                    lr = ns.local("127.0.0.1", dp.port, encode("PING"))
                    env.check(c2, lr[0] in (b"+PONG\r\n", b"-NOAUTH Authentication required.\r\n"),
                              "loopback client: %s" % (lr,))
            finally:
                for dp in dps:
                    if dp.proc:
                        itlib.stop_and_check(env, dp, ctx + "/" + name)
                red.stop()
    finally:
        ns.cleanup()


def main():
    env = itlib.Env(__doc__)
    try:
        for name, fn in (("config_file", check_config_file), ("bad_options", check_bad_options),
                         ("help", check_help), ("signals", check_signals),
                         ("shutdown_cmd", check_shutdown_cmd),
                         ("stdout_silent", check_stdout_silent), ("auth", check_auth),
                         ("maxclients", check_maxclients),
                         ("protected_mode", check_protected_mode)):
            env.run_check(name, fn, env, name)
    finally:
        env.finish()


if __name__ == "__main__":
    main()
