"""Shared helpers of the dpcache integration suites (standard library only).

- command line of every suite script: ``--dpcache PATH`` (required), ``--redis-server``,
  ``--redis-cli``, ``--redis-benchmark``, ``-k SUBSTRING`` (run only matching checks),
  ``--workers 1,2`` (dpcache worker counts to run), ``-v``;
- start/stop of redis-server and dpcache on free loopback ports, with timeouts, captured
  stdout/stderr and cleanup in ``finally``/atexit (only the processes we started, by pid);
- a RESP2/RESP3 writer and a reader that returns exactly one complete reply as raw bytes,
  plus a parser of those bytes into Python values for the normalizations;
- a tiny check runner: every check records failures with a clear message, the script goes
  on with the next check and exits non-zero at the end if anything failed.

Everything runs on 127.0.0.1 (or inside network namespaces a suite creates).

``--stack native`` runs the same suite against dpcache's native stack: the script re-executes
itself inside a network namespace it creates (``nt<pid>``, loopback up, removed at exit); there
every dpcache is started with ``--stack native`` on its embedded TAP port (``dpcache0``, dpcache
at 10.88.0.2, the namespace's kernel at 10.88.0.1) with EAL arguments of its own (``--no-huge``,
a ``--file-prefix`` unique to the namespace), and every connection to a dpcache port goes to
10.88.0.2 through the TAP (``host_of``), while redis-server stays on the namespace's loopback.
One native dpcache runs at a time (the TAP name is fixed).
"""

import argparse
import atexit
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

# one line of dpcache's log (Redis's format, dataplane/core/log.h): pid:role date time mark msg
LOG_LINE = re.compile(r"^\d+:[A-Z] \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} [.*#-] ")

LOOPBACK = "127.0.0.1"
CLUSTER_SLOTS = 16384
NATIVE_HOST = "10.88.0.2"      # the native stack's embedded TAP address (stack_native.c)
NATIVE_PEER = "10.88.0.1"      # the kernel side of that TAP
NETNS_ENV = "DPCACHE_IT_NETNS"  # set in the re-executed script: the namespace it runs in

# port -> address of the server listening on it; ports not listed are on loopback
_PORT_HOST = {}


def host_of(port):
    """Address to reach port at: the native dpcache's TAP address for its ports, else loopback."""
    return _PORT_HOST.get(port, LOOPBACK)

# ---------------------------------------------------------------------------------------------
# CRC16/XMODEM and the key -> worker map of dpcache (contiguous slot ranges, as a cluster)
# ---------------------------------------------------------------------------------------------

def _crc16_table():
    t = []
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
        t.append(c & 0xFFFF)
    return t


_CRC16 = _crc16_table()


def crc16(data):
    c = 0
    for b in data:
        c = ((c << 8) & 0xFFFF) ^ _CRC16[((c >> 8) ^ b) & 0xFF]
    return c


def key_slot(key):
    """Redis Cluster hash slot of key (bytes or str), honouring {hash tags}."""
    if isinstance(key, str):
        key = key.encode()
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1:e]
    return crc16(key) % CLUSTER_SLOTS


def worker_of(key, nworkers):
    """Partition (worker) owning key in a dpcache with nworkers workers."""
    slot = key_slot(key)
    for i in range(nworkers):
        if slot <= ((i + 1) * CLUSTER_SLOTS) // nworkers - 1:
            return i
    raise AssertionError("unreachable")


def keys_on(worker, nworkers, prefix, count):
    """count distinct keys 'prefix<N>' owned by worker (for nworkers workers)."""
    out = []
    i = 0
    while len(out) < count and i < 100000:
        k = "%s%d" % (prefix, i)
        if worker_of(k, nworkers) == worker:
            out.append(k)
        i += 1
    assert len(out) == count
    return out


def spread_keys(prefix, count, nworkers=2):
    """count keys alternating between the partitions of an nworkers dpcache."""
    per = [keys_on(w, nworkers, prefix, count) for w in range(nworkers)]
    return [per[i % nworkers][i // nworkers] for i in range(count)]


# ---------------------------------------------------------------------------------------------
# RESP
# ---------------------------------------------------------------------------------------------

def parse_memory(v):
    """Redis memory value ('4gb', '1mb', '100') in bytes."""
    v = v.lower() if isinstance(v, str) else v.decode().lower()
    for suf, mul in (("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("g", 10 ** 9),
                     ("m", 10 ** 6), ("k", 10 ** 3), ("b", 1)):
        if v.endswith(suf):
            return int(v[:-len(suf)]) * mul
    return int(v)


def encode(*args):
    """RESP multibulk request of args (str, bytes, int, float)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, (int, float)):
            a = str(a).encode()
        out.append(b"$%d\r\n" % len(a))
        out.append(a)
        out.append(b"\r\n")
    return b"".join(out)


class Incomplete(Exception):
    pass


class ConnectionClosed(Exception):
    pass


class ProtocolMismatch(Exception):
    pass


_AGG = {ord("*"), ord("%"), ord("~"), ord(">"), ord("|")}
_LINE = {ord("+"), ord("-"), ord(":"), ord("_"), ord(","), ord("#"), ord("(")}
_BULK = {ord("$"), ord("="), ord("!")}


def scan_reply(buf, pos=0, depth=0):
    """End offset of the one complete reply starting at pos, or raise Incomplete."""
    if depth > 64:
        raise ProtocolMismatch("reply nested too deep")
    if pos >= len(buf):
        raise Incomplete()
    t = buf[pos]
    eol = buf.find(b"\r\n", pos)
    if eol < 0:
        raise Incomplete()
    if t in _LINE:
        return eol + 2
    head = bytes(buf[pos + 1:eol])
    try:
        n = int(head)
    except ValueError:
        raise ProtocolMismatch("bad length line %r" % bytes(buf[pos:eol + 2]))
    if t in _BULK:
        if n < 0:
            return eol + 2
        end = eol + 2 + n + 2
        if end > len(buf):
            raise Incomplete()
        if buf[end - 2:end] != b"\r\n":
            raise ProtocolMismatch("bulk not terminated by CRLF")
        return end
    if t in _AGG:
        if n < 0:
            return eol + 2
        if t == ord("%") or t == ord("|"):
            n *= 2
        p = eol + 2
        for _ in range(n):
            p = scan_reply(buf, p, depth + 1)
        if t == ord("|"):  # attribute: followed by the real reply
            p = scan_reply(buf, p, depth + 1)
        return p
    raise ProtocolMismatch("unknown reply type byte %r" % chr(t))


class Err:
    """An error reply (-ERR ...)."""

    def __init__(self, msg):
        self.msg = msg

    def __eq__(self, o):
        return isinstance(o, Err) and o.msg == self.msg

    def __hash__(self):
        return hash(("err", self.msg))

    def __repr__(self):
        return "Err(%r)" % self.msg


class Simple(bytes):
    """+status reply (a bytes subclass, so Simple(b'OK') == b'OK')."""


class Null:
    def __init__(self, kind):
        self.kind = kind

    def __eq__(self, o):
        return isinstance(o, Null)

    def __hash__(self):
        return 0

    def __repr__(self):
        return "Null(%s)" % self.kind


class Map(list):
    """RESP3 map: a list of (key, value) pairs in wire order."""

    def todict(self):
        return {k: v for k, v in self}


class RSet(list):
    """RESP3 set (~)."""


class Push(list):
    pass


class Double:
    def __init__(self, raw):
        self.raw = raw

    def __eq__(self, o):
        return isinstance(o, Double) and o.raw == self.raw

    def __repr__(self):
        return "Double(%s)" % self.raw.decode()


class Verbatim(bytes):
    fmt = b"txt"


def parse_reply(raw, pos=0):
    """(value, end) for the reply at raw[pos:]. Types: Simple, Err, int, bytes, Null, list,
    Map, RSet, Push, Double, bool, Verbatim (bytes subclass; .fmt)."""
    t = raw[pos]
    eol = raw.find(b"\r\n", pos)
    line = bytes(raw[pos + 1:eol])
    p = eol + 2
    c = chr(t)
    if c == "+":
        return Simple(line), p
    if c == "-":
        return Err(line.decode("utf-8", "replace")), p
    if c == ":":
        return int(line), p
    if c == "_":
        return Null("_"), p
    if c == ",":
        return Double(line), p
    if c == "#":
        return line == b"t", p
    if c == "(":
        return int(line), p
    n = int(line)
    if c in "$=!":
        if n < 0:
            return Null(c), p
        data = bytes(raw[p:p + n])
        if c == "!":
            return Err(data.decode("utf-8", "replace")), p + n + 2
        if c == "=":
            v = Verbatim(data[4:])
            v.fmt = data[:3]
            return v, p + n + 2
        return data, p + n + 2
    if c in "*~>%|":
        if n < 0:
            return Null(c), p
        cnt = n * 2 if c in "%|" else n
        items = []
        for _ in range(cnt):
            v, p = parse_reply(raw, p)
            items.append(v)
        if c == "%":
            return Map(zip(items[0::2], items[1::2])), p
        if c == "|":
            return parse_reply(raw, p)  # drop attributes
        if c == "~":
            return RSet(items), p
        if c == ">":
            return Push(items), p
        return items, p
    raise ProtocolMismatch("unknown type %r" % c)


def parse(raw):
    v, end = parse_reply(raw, 0)
    if end != len(raw):
        raise ProtocolMismatch("trailing bytes after reply")
    return v


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple((k, _hashable(x)) for k, x in v.items())
    return v


def to_py(v):
    """Plain Python data of a parsed reply (maps -> dict, sets -> frozenset...)."""
    if isinstance(v, Map):
        return {_hashable(to_py(k)): to_py(x) for k, x in v}
    if isinstance(v, RSet):  # members may be arrays (COMMAND DOCS "history"): as tuples
        return frozenset(_hashable(to_py(x)) for x in v)
    if isinstance(v, list):
        return [to_py(x) for x in v]
    if isinstance(v, (Simple, Verbatim)):
        return bytes(v)
    return v


class Conn:
    """A raw RESP connection: send bytes, read exactly one reply's raw bytes."""

    def __init__(self, port, host=None, timeout=10.0, name="", family=socket.AF_INET):
        host = host or host_of(port)
        self.port = port
        self.name = name or str(port)
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.closed = False

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        rem = deadline - time.monotonic()
        if rem <= 0:
            raise socket.timeout("no complete reply from %s within %.1fs (have %r)"
                                 % (self.name, self.timeout, bytes(self.buf[:200])))
        self.sock.settimeout(rem)
        try:
            d = self.sock.recv(1 << 20)
        except socket.timeout:
            raise socket.timeout("no complete reply from %s within %.1fs (have %r)"
                                 % (self.name, self.timeout, bytes(self.buf[:200])))
        except ConnectionResetError:
            d = b""
        if not d:
            self.closed = True
            raise ConnectionClosed("%s closed the connection (pending %r)"
                                   % (self.name, bytes(self.buf[:200])))
        self.buf += d

    def read_raw(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            try:
                end = scan_reply(self.buf, 0)
            except Incomplete:
                self._fill(deadline)
                continue
            raw = bytes(self.buf[:end])
            del self.buf[:end]
            return raw

    def read_many(self, n, timeout=None):
        """n consecutive replies (raw), efficiently for long pipelines."""
        deadline = time.monotonic() + (timeout or self.timeout)
        out = []
        pos = 0
        while len(out) < n:
            try:
                end = scan_reply(self.buf, pos)
            except Incomplete:
                del self.buf[:pos]
                pos = 0
                self._fill(deadline)
                continue
            out.append(bytes(self.buf[pos:end]))
            pos = end
        del self.buf[:pos]
        return out

    def raw(self, *args):
        self.send(encode(*args))
        return self.read_raw()

    def call(self, *args):
        return parse(self.raw(*args))

    def read_until_close(self, timeout=3.0, limit=1 << 26, until=None):
        """All bytes until the peer closes (returns (data, closed)); with until, stop early
        once the data received ends with those bytes."""
        deadline = time.monotonic() + timeout
        data = bytes(self.buf)
        self.buf.clear()
        while len(data) < limit:
            if until is not None and data.endswith(until):
                return data, False
            rem = deadline - time.monotonic()
            if rem <= 0:
                return data, False
            self.sock.settimeout(rem)
            try:
                d = self.sock.recv(1 << 20)
            except socket.timeout:
                return data, False
            except (ConnectionResetError, BrokenPipeError):
                return data, True
            if not d:
                self.closed = True
                return data, True
            data += d
        return data, False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------

_STARTED = []  # Popen objects we started (cleanup at exit, by pid)


def _cleanup_all():
    for p in list(_STARTED):
        if p.poll() is None:
            try:
                p.kill()
                p.wait(5)
            except Exception:
                pass


atexit.register(_cleanup_all)


def _port_free(port):
    for typ in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, typ)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


_used_ports = set()


def free_ports(count):
    """A run of count consecutive ports free for TCP and UDP (10000-30000, below the
    ephemeral range), never handed out twice by this process."""
    rnd = random.Random(os.getpid() ^ int(time.time() * 1000))
    for _ in range(2000):
        base = rnd.randrange(10000, 30000 - count)
        rng = range(base, base + count)
        if any(p in _used_ports for p in rng):
            continue
        if all(_port_free(p) for p in rng):
            _used_ports.update(rng)
            return base
    raise RuntimeError("no free port range of %d" % count)


class Server:
    """A server process with captured stdout/stderr files."""

    kind = "server"

    def __init__(self, argv, port, tmpdir, netns=None, host=LOOPBACK, password=None,
                 ready_timeout=30.0, cwd=None):
        self.argv = argv
        self.port = port
        self.tmpdir = tmpdir
        self.netns = netns
        self.host = host
        self.password = password
        self.ready_timeout = ready_timeout
        self.cwd = cwd or tmpdir
        self.proc = None
        self.rc = None
        self.probe_port = None  # the port readiness is checked on (None: port)
        self.stdout_path = os.path.join(tmpdir, "%s-%d.stdout" % (self.kind, port))
        self.stderr_path = os.path.join(tmpdir, "%s-%d.stderr" % (self.kind, port))

    def start(self, wait=True):
        argv = self.argv
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns] + argv
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL, cwd=self.cwd)
        _STARTED.append(self.proc)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self):
        deadline = time.monotonic() + self.ready_timeout
        port = self.probe_port or self.port
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s during start-up: %s\nstderr:\n%s"
                                   % (self.kind, self.proc.returncode, " ".join(self.argv),
                                      self.stderr()))
            if self.netns:
                ok = subprocess.run(["ip", "netns", "exec", self.netns, "/usr/bin/python3",
                                     "-c", _PROBE, self.host, str(port)],
                                    capture_output=True, timeout=10).returncode == 0
                if ok:
                    return
            else:
                try:
                    with Conn(port, self.host, timeout=2.0) as c:
                        r = c.raw("PING")
                        if r.startswith((b"+PONG", b"-NOAUTH", b"-DENIED")):
                            return
                        last = r
                except (OSError, ConnectionClosed) as e:
                    last = e
            time.sleep(0.05)
        raise RuntimeError("%s not ready on port %d within %.0fs (last: %r)\nstderr:\n%s"
                           % (self.kind, self.port, self.ready_timeout, last, self.stderr()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Signal the process, wait; SIGKILL after timeout. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
                self.rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                self.rc = "hung: killed after %.0fs" % timeout
        else:
            self.rc = self.proc.returncode
        self._out.close()
        self._err.close()
        if self.proc in _STARTED:
            _STARTED.remove(self.proc)
        return self.rc

    def stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read()

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def conn(self, timeout=10.0, port=None):
        return Conn(port or self.port, self.host, timeout=timeout, name=self.kind)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()


_PROBE = """
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
s.sendall(b"*1\\r\\n$4\\r\\nPING\\r\\n")
d = s.recv(100)
sys.exit(0 if d[:1] in (b"+", b"-") else 1)
"""


class Redis(Server):
    kind = "redis"

    def __init__(self, env, extra=(), port=None, bind=LOOPBACK, conf=None, **kw):
        port = port or free_ports(1)
        argv = [env.redis_server]
        if conf:
            argv.append(conf)
        argv += ["--port", str(port), "--bind", bind, "--save", "", "--appendonly", "no",
                 "--daemonize", "no", "--dir", env.tmpdir, "--dbfilename",
                 "redis-%d.rdb" % port] + list(extra)
        super().__init__(argv, port, env.tmpdir, **kw)


class Dpcache(Server):
    kind = "dpcache"

    def __init__(self, env, workers=1, extra=(), port=None, conf=None, bind=None,
                 maxkeys=262144, **kw):
        port = port or free_ports(1)
        self.core_base = free_ports(workers)
        self.workers = workers
        self.native = env.stack == "native"
        argv = [env.dpcache]
        self.file_prefix = "dpcache%d" % port  # dpcache's own choice without EAL arguments
        if self.native:
            self.file_prefix = native_file_prefix(port)
            argv += native_eal_args(port, workers) + ["--"]
            kw.setdefault("host", NATIVE_HOST)
        if conf:
            argv.append(conf)
        if self.native:
            argv += ["--stack", "native"]
        argv += ["--port", str(port), "--workers", str(workers),
                 "--core-port-base", str(self.core_base),
                 "--control-socket", os.path.join(env.tmpdir, "ctl-%d.sock" % port),
                 "--maxkeys", str(maxkeys), "--dir", env.tmpdir]
        if bind:
            argv += ["--bind", bind]
        argv += list(extra)
        super().__init__(argv, port, env.tmpdir, **kw)
        if self.native and "--cluster-enabled" in argv and \
                argv[argv.index("--cluster-enabled") + 1] == "yes":
            self.probe_port = self.core_base  # a native cluster node serves core ports only

    def start(self, wait=True):
        if self.native:
            for other in _NATIVE_LIVE.values():
                if other is not self and other.alive():
                    raise RuntimeError("a native dpcache (port %d) is still running: one at a "
                                       "time per namespace (fixed TAP name)" % other.port)
            for p in [self.port] + [self.core_base + i for i in range(self.workers)]:
                _PORT_HOST[p] = self.host
                _NATIVE_LIVE[p] = self
        return super().start(wait)

    def telemetry(self, cmd, timeout=10.0):
        """The JSON answer of DPDK telemetry command cmd (e.g. "/dpcache/core,0") as a dict:
        the value under the command's name."""
        import json
        path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % self.file_prefix
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(timeout)
        try:
            s.connect(path)
            json.loads(s.recv(4096).decode())
            s.send(cmd.encode())
            out = json.loads(s.recv(1 << 20).decode())
        finally:
            s.close()
        return out[cmd.split(",")[0]]

    def core_conn(self, worker, timeout=10.0):
        return Conn(self.core_base + worker, self.host, timeout=timeout,
                    name="dpcache-core%d" % worker)


_NATIVE_LIVE = {}  # port -> the native Dpcache serving it


def native_file_prefix(port):
    return "%s_%d" % (os.environ.get(NETNS_ENV, "nt%d" % os.getpid()), port)


def native_eal_args(port, workers):
    """EAL arguments of a native dpcache in the test namespace: the embedded TAP vdev, no
    hugepages, lcores pinned round robin to our CPUs, and a file prefix unique to the namespace
    and port (other DPDK processes on the machine use theirs)."""
    cpus = sorted(os.sched_getaffinity(0))
    lcores = ",".join("%d@%d" % (i, cpus[i % len(cpus)]) for i in range(workers))
    return ["--lcores", lcores, "--no-huge", "-m", "1024", "--file-prefix",
            native_file_prefix(port), "--log-level", "lib.*:warning",
            "--vdev", "net_tap0,iface=dpcache0", "--no-pci"]


def parallel(*fns):
    """Run the callables in threads; return their results (exceptions re-raised)."""
    import threading
    res = [None] * len(fns)
    err = [None] * len(fns)

    def wrap(i, f):
        try:
            res[i] = f()
        except BaseException as e:  # noqa: B902
            err[i] = e
    ts = [threading.Thread(target=wrap, args=(i, f), daemon=True) for i, f in enumerate(fns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for e in err:
        if e is not None:
            raise e
    return res


def run(argv, timeout=60, input=None, netns=None):
    """subprocess.run with a timeout; returns CompletedProcess (bytes)."""
    if netns:
        argv = ["ip", "netns", "exec", netns] + list(argv)
    return subprocess.run(argv, capture_output=True, timeout=timeout, input=input)


# ---------------------------------------------------------------------------------------------
# Check runner
# ---------------------------------------------------------------------------------------------

def show(b, limit=600):
    if isinstance(b, (bytes, bytearray)):
        r = repr(bytes(b[:limit]))
        if len(b) > limit:
            r += "... (%d bytes)" % len(b)
        return r
    r = repr(b)
    return r if len(r) <= limit else r[:limit] + "..."


def netns_create(name):
    """Create network namespace name with loopback up (raises with ip's message)."""
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True)
    if r.returncode != 0:
        raise SystemExit("FATAL: ip netns add %s: %s (the native suites need root)"
                         % (name, r.stderr.decode().strip()))
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)


def netns_delete(name):
    """Kill what still runs in namespace name (processes this suite started there), delete it."""
    r = subprocess.run(["ip", "netns", "pids", name], capture_output=True)
    for pid in r.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    # the DPDK runtime directories of the dpcaches started there (native_file_prefix)
    import glob
    for d in glob.glob("/var/run/dpdk/%s_*" % name):
        shutil.rmtree(d, True)


def run_in_netns(timeout):
    """Re-execute this script inside a new network namespace (see the module doc); returns its
    exit status. The namespace and everything left in it are removed afterwards."""
    name = "nt%d" % os.getpid()
    netns_create(name)
    env = dict(os.environ)
    env[NETNS_ENV] = name
    argv = ["ip", "netns", "exec", name, sys.executable] + sys.argv
    print("running in network namespace %s: %s" % (name, " ".join(sys.argv)), flush=True)
    p = subprocess.Popen(argv, env=env)
    try:
        rc = p.wait(timeout)
    except subprocess.TimeoutExpired:
        print("FATAL: the suite in namespace %s exceeded %ds" % (name, timeout), flush=True)
        p.kill()
        p.wait()
        rc = 3
    except KeyboardInterrupt:
        p.kill()
        p.wait()
        rc = 130
    finally:
        netns_delete(name)
    return rc


class CheckFailed(Exception):
    pass


class Env:
    """Parsed command line, temp dir, failure accounting."""

    def __init__(self, description):
        ap = argparse.ArgumentParser(description=description)
        ap.add_argument("--dpcache", required=True, help="path of the dpcache binary")
        ap.add_argument("--redis-server", default="/usr/bin/redis-server")
        ap.add_argument("--redis-cli", default="/usr/bin/redis-cli")
        ap.add_argument("--redis-benchmark", default="/usr/bin/redis-benchmark")
        ap.add_argument("--control", default=None, help="path of dpcache-control (suites "
                        "that start one)")
        ap.add_argument("--load", default=None, help="path of dpcache-load (suites that run it)")
        ap.add_argument("--workers", default="1,2", help="dpcache worker counts to run")
        ap.add_argument("-k", dest="filter", default="", help="run checks whose name contains this")
        ap.add_argument("-v", dest="verbose", action="store_true")
        ap.add_argument("--max-seconds", type=int, default=540,
                        help="abort the whole script after this long")
        ap.add_argument("--stack", choices=("posix", "native"), default="posix",
                        help="dpcache's stack; native runs the script in a network namespace "
                             "it creates, dpcache on its embedded TAP port")
        a = ap.parse_args()
        if a.stack == "native" and not os.environ.get(NETNS_ENV):
            sys.exit(run_in_netns(a.max_seconds + 60))
        self.args = a
        self.stack = a.stack
        self.dpcache = os.path.abspath(a.dpcache)
        self.redis_server = a.redis_server
        self.redis_cli = a.redis_cli
        self.redis_benchmark = a.redis_benchmark
        self.control = os.path.abspath(a.control) if a.control else None
        self.load = os.path.abspath(a.load) if a.load else None
        self.workers = [int(x) for x in a.workers.split(",") if x]
        self.verbose = a.verbose
        self.failures = []
        self.checks = 0
        self.t0 = time.monotonic()
        for exe in (self.dpcache, self.redis_server, self.redis_cli):
            if not os.access(exe, os.X_OK):
                raise SystemExit("FATAL: %s is not an executable" % exe)
        self.tmpdir = tempfile.mkdtemp(prefix="dpcache-it-")
        atexit.register(shutil.rmtree, self.tmpdir, True)
        # whole-script bound: a hang anywhere becomes a failure, not a stuck CI job
        signal.signal(signal.SIGALRM, self._alarm)
        signal.alarm(a.max_seconds)

    def _alarm(self, *a):
        print("FATAL: script exceeded --max-seconds=%d; stack:" % self.args.max_seconds,
              flush=True)
        traceback.print_stack()
        _cleanup_all()
        os._exit(3)

    def wanted(self, name):
        return self.args.filter in name

    def fail(self, ctx, msg):
        self.failures.append((ctx, msg))
        print("FAIL [%s] %s" % (ctx, msg), flush=True)

    def check(self, ctx, cond, msg):
        self.checks += 1
        if not cond:
            self.fail(ctx, msg)
        return bool(cond)

    def run_check(self, name, fn, *a, **kw):
        """Run one check function; an exception is a failure of that check."""
        if not self.wanted(name):
            return
        t = time.monotonic()
        nfail = len(self.failures)
        try:
            fn(*a, **kw)
        except Exception as e:
            self.fail(name, "exception: %s: %s\n%s" % (type(e).__name__, e,
                                                       traceback.format_exc()))
        dt = time.monotonic() - t
        status = "ok" if len(self.failures) == nfail else "FAILED (%d)" % (len(self.failures) - nfail)
        print("  %-60s %s %.1fs" % (name, status, dt), flush=True)

    def finish(self):
        dt = time.monotonic() - self.t0
        print("\n%d checks, %d failures, %.1fs" % (self.checks, len(self.failures), dt))
        if self.failures:
            print("\nFailures:")
            for ctx, msg in self.failures:
                print(" - [%s] %s" % (ctx, msg.splitlines()[0] if msg else ""))
            sys.exit(1)
        sys.exit(0)


def stop_and_check(env, srv, ctx, expect_rc=0):
    """Stop srv with SIGTERM; for dpcache, require exit 0 and nothing on stdout."""
    alive = srv.alive()
    rc = srv.stop()
    env.check(ctx, alive, "%s (port %d) had died before the end of the test: rc=%s\nstderr tail:\n%s"
              % (srv.kind, srv.port, rc, srv.stderr()[-3000:]))
    if srv.kind == "dpcache":
        env.check(ctx, rc == expect_rc, "dpcache exit status after SIGTERM: %r, expected %r\nstderr tail:\n%s"
                  % (rc, expect_rc, srv.stderr()[-3000:]))
        out = srv.stdout()
        env.check(ctx, out == b"", "dpcache wrote %d bytes to stdout: %s" % (len(out), show(out)))
    return rc


def require_modules():
    """The suites need python3-redis: fail (not skip) when it is missing."""
    try:
        import redis  # noqa: F401
    except ImportError as e:
        raise SystemExit("FATAL: python3-redis is missing (%s); install the Debian package "
                         "python3-redis and run with /usr/bin/python3" % e)
