#!/usr/bin/python3
"""Integration tests of dpcache-control (issue 4) against the real data plane.

Every check starts its own processes on loopback with unique ports, file prefixes (ctl<port>)
and temporary directories, and stops them (by pid) at the end:

  snapshot    strings with and without TTL and hashes written with python3-redis; a snapshot
              through the admin API (?wait=1) and one through BGSAVE on the data plane; the file
              passes redis-check-rdb, loads into a real redis-server with every key, value and
              TTL (+-2 s) equal; dpcache restarts from it with the same data; an RDB made by
              redis-server (BGSAVE) loads into dpcache
  pit         point in time: a client overwrites and deletes keys (one ordered pipeline with
              sequence numbers) while the snapshot runs; for every partition the snapshot is
              exactly the state after a prefix of that client's writes to it
  rotation    keep-N generations: dump.rdb, dump.rdb.1, dump.rdb.2, newest first, all valid
  schedule    save rules (the data plane's, followed across CONFIG SET) and snapshot-interval
  crash       SIGKILL of the control plane or the data plane at random moments of snapshots
              (bounded loop): the newest file always passes redis-check-rdb and loads; a file
              with a flipped byte or cut short is refused by dpcache with its path and offset
  http        admin API: 401/403/404/405/413/400, CONFIG SET through the API, malformed HTTP
              (garbage, slow and oversized headers, too many connections) without a crash
  prometheus  promtool check metrics on /metrics, a real prometheus scraping dpcache-control
              (redis_up, redis_commands_processed_total and a per-core series read back through
              its HTTP API), promtool check/test rules on dashboards/alerts.yml
  reconnect   either process first, restarts of both; /readyz follows
  shutdown    SIGTERM of the data plane: final snapshot, then exit 0; POST /v1/shutdown;
              SHUTDOWN SAVE from a client

    /usr/bin/python3 tests/control/test_control.py --dpcache build/dataplane/dpcache \\
        --control build/control/dpcache-control [-k NAME] [--keys N] [--pit-keys N] [--runs N]
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

import redis

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TOKEN = "ctl-test-token-%d" % os.getpid()
ARGS = None
STARTED = []          # Popen objects we started
PREFIXES = []         # DPDK file prefixes of the dpcaches we started (runtime dirs removed)
FAILS = []


# ---------------------------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------------------------

def free_port():
    for _ in range(200):
        p = random.randint(21000, 30999)
        ok = True
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return p
    raise RuntimeError("no free port")


def wait_for(cond, timeout, what, step=0.05):
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            v = cond()
            if v:
                return v
        except Exception:  # noqa: BLE001 - the condition may fail until it holds
            pass
        time.sleep(step)
    raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))


def stop(p, sig=signal.SIGTERM, timeout=30):
    if p is None or p.poll() is not None:
        return p.returncode if p else None
    try:
        os.kill(p.pid, sig)
    except ProcessLookupError:
        pass
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        return p.wait(10)


class Dpcache:
    """A dpcache on loopback: posix stack, its own file prefix ctl<port>, control socket and
    directory."""

    def __init__(self, d, workers=2, port=None, extra=()):
        os.makedirs(d, exist_ok=True)
        self.dir = d
        self.workers = workers
        self.port = port or free_port()
        self.sock = os.path.join(d, "dp-%d.sock" % self.port)
        self.extra = list(extra)
        self.proc = None
        self.n = 0

    @property
    def prefix(self):
        return "ctl%d" % self.port

    @property
    def telemetry(self):
        return "/var/run/dpdk/%s/dpdk_telemetry.v2" % self.prefix

    def argv(self):
        cpus = sorted(os.sched_getaffinity(0))
        lcores = ",".join("%d@%d" % (i, cpus[i % len(cpus)]) for i in range(self.workers))
        return [ARGS.dpcache, "--lcores", lcores, "--no-huge", "-m", "700", "--no-pci",
                "--file-prefix", self.prefix, "--log-level", "lib.*:warning", "--",
                "--stack", "posix", "--port", str(self.port), "--core-port-base", "0",
                "--control-socket", self.sock, "--dir", self.dir, "--maxkeys", "2097152",
                "--save", ""] + self.extra

    def start(self, wait=True, expect_fail=False):
        self.n += 1
        self.log = os.path.join(self.dir, "dpcache-%d-%d.log" % (self.port, self.n))
        if self.prefix not in PREFIXES:
            PREFIXES.append(self.prefix)
        self.proc = subprocess.Popen(self.argv(), stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "w"))
        STARTED.append(self.proc)
        if wait and not expect_fail:
            wait_for(lambda: self.proc.poll() is None and self.client().ping(), 60,
                     "dpcache on port %d (log %s)" % (self.port, self.log))
        return self

    def client(self, **kw):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=60, **kw)

    def logtext(self):
        try:
            return open(self.log).read()
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        return stop(self.proc, sig)


class Control:
    """A dpcache-control attached to a Dpcache (by socket), HTTP on a free loopback port."""

    def __init__(self, dp, d, extra=(), token=True, telemetry=True):
        self.dp = dp
        self.dir = d
        self.http_port = free_port()
        self.extra = list(extra)
        self.token = token
        self.telemetry = telemetry
        self.proc = None
        self.n = 0
        self.token_file = os.path.join(d, "token")
        with open(self.token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(self.token_file, 0o600)  # refused if group or others may access it

    def argv(self):
        a = [ARGS.control, "--socket", self.dp.sock, "--listen",
             "127.0.0.1:%d" % self.http_port, "--save", "", "--reconnect-interval-ms", "100",
             "--loglevel", "verbose"]
        if self.token:
            a += ["--admin-token-file", self.token_file]
        if self.telemetry:
            a += ["--telemetry-socket", self.dp.telemetry]
        return a + self.extra

    def start(self, wait_attached=True):
        self.n += 1
        self.log = os.path.join(self.dir, "control-%d-%d.log" % (self.http_port, self.n))
        env = dict(os.environ)
        env.pop("DPCACHE_ADMIN_TOKEN", None)
        self.proc = subprocess.Popen(getattr(self, "argv_prefix", []) + self.argv(),
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "w"), env=env)
        STARTED.append(self.proc)
        wait_for(lambda: self.get("/healthz")[0] == 200, 30, "dpcache-control HTTP")
        if wait_attached:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        wait_for(lambda: self.get("/readyz")[0] == 200, timeout,
                 "dpcache-control ready (log %s)" % self.log)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http_port, path)

    def request(self, method, path, body=None, token=None, headers=None, timeout=600):
        h = dict(headers or {})
        if token is None and self.token:
            token = TOKEN
        if token:
            h["Authorization"] = "Bearer " + token
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.url(path), data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def snapshot(self, wait=True):
        st, body, _ = self.request("POST", "/v1/snapshot" + ("?wait=1" if wait else ""))
        return st, json.loads(body)

    def metrics(self):
        st, body, _ = self.get("/metrics")
        assert st == 200, st
        return body.decode()

    def logtext(self):
        try:
            return open(self.log).read()
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        return stop(self.proc, sig)


def metric_value(text, name, labels=None):
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, val = line.rpartition(" ")
        if head == name or (labels and head.startswith(name + "{") and
                            all('%s="%s"' % kv in head for kv in labels.items())):
            return float(val)
    return None


def check_rdb(path):
    r = subprocess.run(["redis-check-rdb", path], capture_output=True, timeout=300)
    out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    assert r.returncode == 0 and "RDB looks OK" in out, "redis-check-rdb %s: %s" % (path,
                                                                                  out[-800:])
    return out


class RedisServer:
    def __init__(self, d, dbfilename="dump.rdb"):
        self.port = free_port()
        self.dir = d
        self.log = os.path.join(d, "redis-%d.log" % self.port)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", d,
             "--dbfilename", dbfilename, "--save", "", "--appendonly", "no",
             "--logfile", self.log, "--enable-debug-command", "local"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        STARTED.append(self.proc)
        c = self.client()
        wait_for(lambda: c.ping(), 60, "redis-server")
        wait_for(lambda: c.info("persistence")["loading"] == 0, 300, "redis-server loading")

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=120)

    def stop(self):
        stop(self.proc)


# ---------------------------------------------------------------------------------------------
# data sets
# ---------------------------------------------------------------------------------------------

def write_dataset(c, n, seed=1):
    """n keys: a quarter strings, a quarter strings with TTL, a quarter hashes, a quarter hashes
    with TTL. Returns {key: (type, value, expire_at_ms or None)}."""
    rnd = random.Random(seed)
    now = int(time.time() * 1000)
    want = {}
    p = c.pipeline(transaction=False)
    for i in range(n):
        kind = i % 4
        ttl = (kind % 2 == 1)
        if kind < 2:
            k = b"s:%d" % i
            v = b"v%d-" % i + bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 40)))
            if i % 16 == 0:
                v = b"%d" % (i * 7)  # integer encodings
            p.set(k, v)
            want[k] = ("string", v, None)
        else:
            k = b"h:%d" % i
            fields = {b"f%d" % j: b"x%d" % (i * j) for j in range(1 + i % 5)}
            if i % 40 == 3:
                fields = {b"g%d" % j: b"y" * 80 for j in range(600)}  # dict-encoded
            p.hset(k, mapping=fields)
            want[k] = ("hash", fields, None)
        if ttl:
            at = now + 3600 * 1000 + rnd.randint(0, 3600 * 1000)
            p.pexpireat(k, at)
            want[k] = (want[k][0], want[k][1], at)
        if len(p) >= 2000:
            p.execute()
    p.execute()
    return want


def compare(c, want, what, ttl_slack_ms=2000):
    """Compare server c's whole db 0 with want; raise with the first differences."""
    errors = []
    got_n = c.dbsize()
    if got_n != len(want):
        errors.append("%s: DBSIZE %d, want %d" % (what, got_n, len(want)))
    keys = list(want)
    for off in range(0, len(keys), 1000):
        batch = keys[off:off + 1000]
        p = c.pipeline(transaction=False)
        for k in batch:
            p.type(k)
            if want[k][0] == "string":
                p.get(k)
            else:
                p.hgetall(k)
            p.pexpiretime(k) if hasattr(p, "pexpiretime") else p.execute_command("PEXPIRETIME", k)
        res = p.execute()
        for i, k in enumerate(batch):
            t, v, exp = want[k]
            gt, gv, gexp = res[3 * i], res[3 * i + 1], res[3 * i + 2]
            if gt.decode() != t:
                errors.append("%s: %r has type %r, want %r" % (what, k, gt, t))
            elif gv != v:
                errors.append("%s: %r = %r, want %r" % (what, k, str(gv)[:80], str(v)[:80]))
            elif exp is None and gexp != -1:
                errors.append("%s: %r has expiry %r, want none" % (what, k, gexp))
            elif exp is not None and abs(gexp - exp) > ttl_slack_ms:
                errors.append("%s: %r expires at %r, want %r" % (what, k, gexp, exp))
            if len(errors) > 10:
                break
        if len(errors) > 10:
            break
    assert not errors, "\n".join(errors)


def dump_db(c):
    """Every key of db 0 of a (small) server: {key: value or hash dict}."""
    out = {}
    keys = list(c.scan_iter(count=5000))
    for off in range(0, len(keys), 1000):
        batch = keys[off:off + 1000]
        p = c.pipeline(transaction=False)
        for k in batch:
            p.type(k)
        types = p.execute()
        p = c.pipeline(transaction=False)
        for k, t in zip(batch, types):
            p.get(k) if t == b"string" else p.hgetall(k)
        for k, v in zip(batch, p.execute()):
            out[k] = v
    return out


# ---------------------------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------------------------

def check_snapshot(tmp):
    n = ARGS.keys
    dp = Dpcache(os.path.join(tmp, "dp")).start()
    ctl = Control(dp, tmp).start()
    c = dp.client()
    t0 = time.time()
    want = write_dataset(c, n)
    print("  wrote %d keys in %.1f s" % (n, time.time() - t0))
    m0 = metric_value(ctl.metrics(), "redis_rdb_last_save_timestamp_seconds")
    t0 = time.time()
    st, res = ctl.snapshot()
    assert st == 200 and res["ok"], (st, res)
    print("  snapshot through the API: %d bytes in %.2f s" % (res["bytes"], time.time() - t0))
    path = os.path.join(dp.dir, "dump.rdb")
    assert res["path"] == path, res
    out = check_rdb(path)
    assert "%d keys read" % n in out, out[-400:]
    # INFO persistence / LASTSAVE on the data plane say so
    info = c.info("persistence")
    assert info["rdb_last_bgsave_status"] == "ok" and info["rdb_bgsave_in_progress"] == 0, info
    assert info["rdb_changes_since_last_save"] == 0, info
    m = ctl.metrics()
    assert metric_value(m, "dpcache_snapshots_total", {"result": "ok"}) == 1, m
    assert metric_value(m, "redis_rdb_last_save_timestamp_seconds") >= (m0 or 0), m
    # load into a real redis-server and compare every key, value and TTL
    rdir = os.path.join(tmp, "redis")
    os.mkdir(rdir)
    shutil.copy(path, os.path.join(rdir, "dump.rdb"))
    rs = RedisServer(rdir)
    compare(rs.client(), want, "redis-server loading dpcache's snapshot")
    print("  redis-server loaded it: %d keys equal" % n)
    # BGSAVE from a client of the data plane goes through the control plane
    c.set(b"s:0", b"changed")
    want[b"s:0"] = ("string", b"changed", None)
    last = c.lastsave()
    assert c.bgsave()
    wait_for(lambda: c.lastsave() != last or c.info("persistence")["rdb_saves"] >= 2, 120,
             "BGSAVE through dpcache-control")
    wait_for(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, 60, "BGSAVE end")
    check_rdb(path)
    c.set(b"s:4", b"saved by SAVE")
    want[b"s:4"] = ("string", b"saved by SAVE", None)
    assert c.save() is True
    assert c.info("persistence")["rdb_changes_since_last_save"] == 0
    # restart dpcache from the file
    assert dp.stop() == 0
    dp.start()
    compare(dp.client(), want, "dpcache restarted from its snapshot")
    assert "DB loaded from" in dp.logtext(), dp.logtext()[-500:]
    print("  dpcache restarted from it: equal")
    ctl.wait_ready()
    # an RDB written by redis-server loads into dpcache
    rc = rs.client()
    rc.flushall()
    want2 = write_dataset(rc, max(1000, n // 4), seed=2)
    rc.set(b"big:listpack", b"x")
    want2[b"big:listpack"] = ("string", b"x", None)
    rc.save()
    rs.stop()
    ctl.stop()
    dp.stop()
    d3 = os.path.join(tmp, "fromredis")
    os.mkdir(d3)
    shutil.copy(os.path.join(rdir, "dump.rdb"), os.path.join(d3, "dump.rdb"))
    dp3 = Dpcache(d3).start()
    compare(dp3.client(), want2, "dpcache loading redis-server's RDB")
    print("  dpcache loaded redis-server's RDB: %d keys equal" % len(want2))
    dp3.stop()


def partition_of(key, workers):
    slot = crc16_slot(key)
    for i in range(workers):
        if i * 16384 // workers <= slot <= (i + 1) * 16384 // workers - 1:
            return i
    return workers - 1


def crc16_slot(key):
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1:e]
    c = 0
    for b in key:
        c ^= b << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
        c &= 0xFFFF
    return c % 16384


def check_pit(tmp):
    n = ARGS.pit_keys
    workers = 2
    dp = Dpcache(os.path.join(tmp, "dp"), workers=workers).start()
    ctl = Control(dp, tmp).start()
    c = dp.client()
    p = c.pipeline(transaction=False)
    for i in range(n):
        p.set(b"k:%d" % i, b"init:%d" % i)
        if len(p) >= 5000:
            p.execute()
    p.execute()
    print("  %d keys written" % n)
    ops = []          # (seq, key, value or None for a delete), in the order sent
    stop_flag = threading.Event()
    started = threading.Event()
    err = []

    def writer():
        w = dp.client()
        rnd = random.Random(7)
        seq = 0
        try:
            while not stop_flag.is_set():
                pw = w.pipeline(transaction=False)
                batch = []
                for _ in range(200):
                    seq += 1
                    k = b"k:%d" % rnd.randrange(n + n // 10)  # some keys are new
                    if rnd.random() < 0.2:
                        pw.delete(k)
                        batch.append((seq, k, None))
                    else:
                        v = b"seq:%d" % seq
                        pw.set(k, v)
                        batch.append((seq, k, v))
                pw.execute()
                ops.extend(batch)
                started.set()
        except Exception as e:  # noqa: BLE001
            err.append(e)
            started.set()

    th = threading.Thread(target=writer, daemon=True)
    th.start()
    started.wait(30)
    time.sleep(0.2)
    t0 = time.time()
    st, res = ctl.snapshot()
    took = time.time() - t0
    time.sleep(0.2)
    stop_flag.set()
    th.join(60)
    assert not err, err
    assert st == 200 and res["ok"], (st, res)
    print("  snapshot of %d keys in %.2f s while the writer sent %d operations" %
          (n, took, len(ops)))
    path = os.path.join(dp.dir, "dump.rdb")
    check_rdb(path)
    rdir = os.path.join(tmp, "redis")
    os.mkdir(rdir)
    shutil.copy(path, os.path.join(rdir, "dump.rdb"))
    rs = RedisServer(rdir)
    snap = dump_db(rs.client())
    rs.stop()
    # per partition: the largest sequence number present is the cut; the snapshot must be the
    # initial data plus exactly the operations on that partition up to it
    part_ops = [[] for _ in range(workers)]
    for op in ops:
        part_ops[partition_of(op[1], workers)].append(op)
    cuts = [0] * workers
    for k, v in snap.items():
        if v.startswith(b"seq:"):
            s = int(v[4:])
            pi = partition_of(k, workers)
            cuts[pi] = max(cuts[pi], s)
    errors = []
    for pi in range(workers):
        base = {}
        for i in range(n):
            k = b"k:%d" % i
            if partition_of(k, workers) == pi:
                base[k] = b"init:%d" % i
        got = {k: v for k, v in snap.items() if partition_of(k, workers) == pi}
        # deletes leave no trace: the cut is after the last SET seen, possibly after some
        # deletes that follow it (up to the next SET of this partition); try each
        state = dict(base)
        ops_p = part_ops[pi]
        idx = 0
        while idx < len(ops_p) and ops_p[idx][0] <= cuts[pi]:
            s_, k, v = ops_p[idx]
            if v is None:
                state.pop(k, None)
            else:
                state[k] = v
            idx += 1
        matched = got == state
        while not matched and idx < len(ops_p) and ops_p[idx][2] is None:
            state.pop(ops_p[idx][1], None)
            idx += 1
            matched = got == state
        after = len(ops_p) - idx
        if not matched:
            missing = [k for k in state if k not in got][:5]
            extra = [k for k in got if k not in state][:5]
            wrong = [(k, got[k], state[k]) for k in state if k in got and got[k] != state[k]][:5]
            errors.append("partition %d (cut at op %d): missing %r extra %r wrong %r" %
                          (pi, cuts[pi], missing, extra, wrong))
        print("  partition %d: cut after op %d, %d of its operations came later, %d keys" %
              (pi, ops_p[idx - 1][0] if idx else 0, after, len(got)))
        if after == 0:
            errors.append("partition %d: no write came after the cut (the writer did not "
                          "overlap the snapshot)" % pi)
    assert not errors, "\n".join(errors)
    ctl.stop()
    dp.stop()


def check_rotation(tmp):
    dp = Dpcache(os.path.join(tmp, "dp")).start()
    ctl = Control(dp, tmp, extra=["--keep", "3"]).start()
    c = dp.client()
    write_dataset(c, 2000)
    for gen in range(1, 6):
        c.set("gen", gen)
        st, res = ctl.snapshot()
        assert st == 200 and res["ok"], res
    files = sorted(f for f in os.listdir(dp.dir) if f.startswith("dump.rdb"))
    assert files == ["dump.rdb", "dump.rdb.1", "dump.rdb.2"], files
    for i, f in enumerate(["dump.rdb", "dump.rdb.1", "dump.rdb.2"]):
        check_rdb(os.path.join(dp.dir, f))
        rdir = os.path.join(tmp, "r%d" % i)
        os.mkdir(rdir)
        shutil.copy(os.path.join(dp.dir, f), os.path.join(rdir, "dump.rdb"))
        rs = RedisServer(rdir)
        g = rs.client().get("gen")
        rs.stop()
        assert g == b"%d" % (5 - i), (f, g)
    st, body, _ = ctl.get("/v1/snapshots?verify=1")
    lst = json.loads(body)
    assert st == 200 and [s["generation"] for s in lst["snapshots"]] == [0, 1, 2], lst
    assert all(s["valid"] and s["keys"] == 2001 for s in lst["snapshots"]), lst
    assert not [f for f in os.listdir(dp.dir) if f.startswith(".dump.rdb")], os.listdir(dp.dir)
    print("  5 snapshots with keep 3: dump.rdb (gen 5), .1 (4), .2 (3), all valid")
    # verify also catches what redis-check-rdb misses: a key twice
    with open(os.path.join(dp.dir, "dump.rdb.3"), "wb") as f:
        f.write(b"REDIS0009\xfe\x00" + b"\x00\x01a\x01x" * 2 + b"\xff" + b"\x00" * 8)
    check_rdb(os.path.join(dp.dir, "dump.rdb.3"))
    st, body, _ = ctl.get("/v1/snapshots?verify=1")
    g3 = json.loads(body)["snapshots"][3]
    assert g3["generation"] == 3 and not g3["valid"] and "twice" in g3["error"], g3
    print("  ?verify=1 refuses a file with a duplicate key (redis-check-rdb accepts it)")
    ctl.stop()
    dp.stop()


def check_schedule(tmp):
    dp = Dpcache(os.path.join(tmp, "dp")).start()
    c = dp.client()
    # save '-': the data plane's own rules, followed when CONFIG SET changes them
    ctl = Control(dp, tmp, extra=["--save", "-"]).start()
    c.config_set("save", "1 3")
    for i in range(5):
        c.set("k%d" % i, i)
    wait_for(lambda: metric_value(ctl.metrics(), "dpcache_snapshots_total",
                                  {"result": "ok"}) >= 1, 15, "a snapshot by the save rule")
    assert c.info("persistence")["rdb_changes_since_last_save"] == 0
    check_rdb(os.path.join(dp.dir, "dump.rdb"))
    c.set("one", 1)  # 1 change < 3: no snapshot
    time.sleep(2.5)
    assert metric_value(ctl.metrics(), "dpcache_snapshots_total", {"result": "ok"}) == 1
    print("  save '1 3' (CONFIG SET on the data plane) followed: 5 changes saved, 1 not")
    ctl.stop()
    c.config_set("save", "")
    # our own interval
    ctl = Control(dp, tmp, extra=["--save", "", "--snapshot-interval", "1"]).start()
    wait_for(lambda: metric_value(ctl.metrics(), "dpcache_snapshots_total",
                                  {"result": "ok"}) >= 3, 15, "3 snapshots by the interval")
    print("  snapshot-interval 1: 3 snapshots in a few seconds")
    ctl.stop()
    dp.stop()


def check_crash(tmp):
    d = os.path.join(tmp, "dp")
    dp = Dpcache(d).start()
    ctl = Control(dp, tmp).start()
    c = dp.client()
    nkeys = ARGS.crash_keys
    write_dataset(c, nkeys)
    st, res = ctl.snapshot()
    assert st == 200 and res["ok"], res
    base_t = res["duration_seconds"]
    print("  %d keys, a snapshot takes %.2f s" % (nkeys, base_t))
    path = os.path.join(d, "dump.rdb")
    rnd = random.Random(int(ARGS.seed))
    mid = 0
    for run in range(ARGS.runs):
        victim = "control" if run % 2 == 0 else "dataplane"
        c.set("run", run)
        st, res = ctl.snapshot(wait=False)
        assert st == 202, (st, res)
        time.sleep(rnd.uniform(0, max(0.05, base_t * 1.3)))
        temps = [f for f in os.listdir(d) if f.startswith(".dump.rdb.tmp-")]
        if temps:
            mid += 1
        if victim == "control":
            ctl.stop(signal.SIGKILL)
            # the data plane abandons a snapshot whose control connection went away
            wait_for(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, 10,
                     "the data plane to abandon the snapshot of a killed control plane")
        else:
            dp.stop(signal.SIGKILL)
        out = check_rdb(path)
        assert "keys read" in out
        if victim == "control":
            ctl.start()
            # the first snapshot after an abandoned one is whole: no key twice
            st, res = ctl.snapshot()
            assert st == 200 and res["ok"], res
            st, body, _ = ctl.get("/v1/snapshots?verify=1")
            g0 = json.loads(body)["snapshots"][0]
            assert g0["valid"] and g0["keys"] == c.dbsize(), g0
        else:
            dp.start()
            c = dp.client()
            got = c.dbsize()
            assert got >= nkeys, "dpcache restarted with %d keys" % got
            ctl.wait_ready()
    print("  %d kills (control plane and data plane alternately), %d during a snapshot's "
          "write; the newest file passed redis-check-rdb every time" % (ARGS.runs, mid))
    assert mid > 0, "no kill landed during a snapshot"
    # the newest file loads into redis-server
    rdir = os.path.join(tmp, "redis")
    os.mkdir(rdir)
    shutil.copy(path, os.path.join(rdir, "dump.rdb"))
    rs = RedisServer(rdir)
    assert rs.client().dbsize() >= nkeys
    rs.stop()
    ctl.stop()
    dp.stop()
    # damaged files are refused with the path and the offset
    good = open(path, "rb").read()
    for what, data in (("flipped byte", good[:len(good) // 2] + bytes([good[len(good) // 2] ^ 0x5A])
                        + good[len(good) // 2 + 1:]),
                       ("cut short", good[:len(good) - 100])):
        d2 = os.path.join(tmp, "bad-" + what.replace(" ", "-"))
        os.mkdir(d2)
        with open(os.path.join(d2, "dump.rdb"), "wb") as f:
            f.write(data)
        bad = Dpcache(d2).start(expect_fail=True)
        rc = bad.proc.wait(120)
        log = bad.logtext()
        assert rc == 1, (what, rc, log[-500:])
        assert os.path.join(d2, "dump.rdb") in log and "offset" in log, (what, log[-800:])
        line = [l for l in log.splitlines() if "offset" in l][0]
        print("  %s refused: %s" % (what, line.split(" # ")[-1][:160]))


def http_raw(port, data, read=True, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return s
        out = b""
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            out += b
        return out
    finally:
        if read:
            s.close()


def check_http(tmp):
    dp = Dpcache(os.path.join(tmp, "dp")).start()
    ctl = Control(dp, tmp, extra=["--http-body-limit", "1024", "--http-max-connections", "8",
                                  "--http-timeout", "3"]).start()
    # auth
    for tok, what in ((False, "no token"), ("wrong", "wrong token")):
        st, body, h = ctl.request("POST", "/v1/snapshot", token=tok if tok else "")
        if not tok:
            req = urllib.request.Request(ctl.url("/v1/snapshot"), data=b"", method="POST")
            try:
                urllib.request.urlopen(req, timeout=10)
                st = 200
            except urllib.error.HTTPError as e:
                st, h = e.code, dict(e.headers)
        assert st == 401, (what, st, body)
        assert "Bearer" in h.get("WWW-Authenticate", ""), h
    st, _, _ = ctl.request("GET", "/v1/info", headers={"Authorization": "Basic " + TOKEN},
                           token="")
    assert st == 401, st
    st, body, _ = ctl.get("/v1/info")
    assert st == 200 and json.loads(body)["control"]["attached"], body[:300]
    # 404 / 405 / 413 / 400
    assert ctl.get("/nope")[0] == 404
    st, _, h = ctl.request("DELETE", "/metrics")
    assert st == 405 and h.get("Allow") == "GET", (st, h)
    st, _, h = ctl.request("GET", "/v1/snapshot")
    assert st == 405 and "POST" in h.get("Allow", ""), (st, h)
    st, body, _ = ctl.request("PUT", "/v1/config", body=b"x" * 5000)
    assert st == 413, (st, body)
    # chunked body over the limit
    raw = (b"POST /v1/config HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
           b"\r\nTransfer-Encoding: chunked\r\n\r\n" + (b"200\r\n" + b"y" * 512 + b"\r\n") * 4 +
           b"0\r\n\r\n")
    out = http_raw(ctl.http_port, raw)
    assert out.startswith(b"HTTP/1.1 413"), out[:200]
    # unauthenticated oversized body: 401 before reading it
    st, _, _ = ctl.request("POST", "/v1/config", body=b"x" * 5000, token="bad")
    assert st == 401, st
    for bad in (b"{", b"[1,2]", b'{"name": "maxmemory"}', b'{"name": 1, "value": {}}'):
        st, body, _ = ctl.request("PUT", "/v1/config", body=bad)
        assert st == 400, (bad, st, body)
    # CONFIG SET through the API
    st, body, _ = ctl.request("PUT", "/v1/config", body={"name": "maxmemory", "value": "64mb"})
    assert st == 200, (st, body)
    assert dp.client().config_get("maxmemory")["maxmemory"] == str(64 << 20)
    st, body, _ = ctl.request("POST", "/admin/config",
                              body={"maxmemory-policy": "allkeys-lru", "maxmemory": 0})
    assert st == 200, (st, body)
    assert dp.client().config_get("maxmemory-policy")["maxmemory-policy"] == "allkeys-lru"
    st, body, _ = ctl.request("PUT", "/v1/config", body={"name": "nosuch", "value": "1"})
    assert st == 400 and b"nosuch" in body, (st, body)
    st, body, _ = ctl.request("PUT", "/v1/config", body={"name": "port", "value": "1"})
    assert st == 400, (st, body)
    # malformed HTTP
    for junk in (b"\x00\x01\x02garbage\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                 b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-A: " + b"a" * 200000 + b"\r\n\r\n",
                 b"POST /v1/config HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                 b"POST /v1/config HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
                 b"GET /%%%00%ff HTTP/1.1\r\nHost: x\r\n\r\n"):
        try:
            out = http_raw(ctl.http_port, junk)
        except OSError:
            out = b""
        assert out == b"" or out.startswith(b"HTTP/1."), (junk[:40], out[:100])
        assert ctl.get("/healthz")[0] == 200
    # slow clients and too many connections do not take the server down
    slow = [http_raw(ctl.http_port, b"GET /metrics HTTP/1.1\r\nHo", read=False)
            for _ in range(20)]
    t0 = time.time()
    wait_for(lambda: ctl.get("/healthz", timeout=2)[0] == 200, 15,
             "/healthz while slow clients hold connections")
    print("  /healthz answered %.1f s after 20 stalled connections (limit 8, timeout 3 s)" %
          (time.time() - t0))
    for s in slow:
        s.close()
    assert ctl.proc.poll() is None, "dpcache-control died"
    # no token configured: 403 (one control plane per data plane: the first one leaves first)
    assert ctl.stop() == 0
    os.makedirs(os.path.join(tmp, "c2"))
    ctl2 = Control(dp, os.path.join(tmp, "c2"), token=False).start()
    st, body, _ = ctl2.request("POST", "/v1/snapshot", token="anything")
    assert st == 403, (st, body)
    ctl2.stop()
    dp.stop()


def check_prometheus(tmp):
    dp = Dpcache(os.path.join(tmp, "dp")).start()
    ctl = Control(dp, tmp).start()
    c = dp.client()
    for i in range(500):
        c.set("k%d" % i, i)
        c.get("k%d" % i)
    text = ctl.metrics()
    r = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    for name in ("redis_up", "redis_instance_info", "redis_commands_processed_total",
                 "redis_commands_total", "redis_commands_duration_seconds_total",
                 "redis_keyspace_hits_total", "redis_keyspace_misses_total", "redis_db_keys",
                 "redis_db_keys_expiring", "redis_memory_used_bytes", "redis_memory_max_bytes",
                 "redis_config_maxclients", "redis_connected_clients",
                 "redis_rdb_last_save_timestamp_seconds", "dpcache_core_commands_total",
                 "dpcache_core_busy_polls_total", "dpcache_core_idle_polls_total",
                 "dpcache_command_latency_seconds_bucket", "dpcache_snapshot_in_progress"):
        assert ("\n" + name + " ") in text or ("\n" + name + "{") in text, name
    types = {l.split()[2]: l.split()[3] for l in text.splitlines() if l.startswith("# TYPE")}
    for name, t in (("redis_up", "gauge"), ("redis_commands_total", "counter"),
                    ("redis_commands_duration_seconds_total", "counter"),
                    ("redis_db_keys", "gauge"), ("redis_commands_processed_total", "counter"),
                    ("dpcache_command_latency_seconds", "histogram")):
        assert types.get(name) == t, (name, types.get(name))
    assert metric_value(text, "redis_db_keys", {"db": "db0"}) == 500
    assert metric_value(text, "redis_db_keys", {"db": "db15"}) == 0
    assert metric_value(text, "redis_commands_total", {"cmd": "set"}) == 500
    print("  promtool check metrics: OK (%d lines)" % len(text.splitlines()))
    # rules
    rules = os.path.join(ROOT, "dashboards", "alerts.yml")
    tests = os.path.join(ROOT, "dashboards", "alerts_test.yml")
    for argv in (["promtool", "check", "rules", rules], ["promtool", "test", "rules", tests]):
        r = subprocess.run(argv, capture_output=True, timeout=60)
        assert r.returncode == 0, (argv, r.stdout.decode() + r.stderr.decode())
    print("  promtool check rules / test rules: OK")
    # a real prometheus
    pport = free_port()
    pdir = os.path.join(tmp, "prom")
    os.mkdir(pdir)
    cfg = os.path.join(pdir, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "rule_files: [%s]\n"
                "scrape_configs:\n  - job_name: dpcache\n    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % (json.dumps(rules), ctl.http_port))
    plog = open(os.path.join(pdir, "prometheus.log"), "w")
    prom = subprocess.Popen(["prometheus", "--config.file", cfg, "--storage.tsdb.path",
                             os.path.join(pdir, "data"), "--web.listen-address",
                             "127.0.0.1:%d" % pport], stdout=plog, stderr=plog)
    STARTED.append(prom)

    def query(q):
        u = "http://127.0.0.1:%d/api/v1/query?query=%s" % (pport, urllib.request.quote(q))
        with urllib.request.urlopen(u, timeout=10) as r:
            d = json.loads(r.read())
        assert d["status"] == "success", d
        return d["data"]["result"]

    try:
        wait_for(lambda: query("redis_up == 1"), 90, "prometheus: redis_up == 1", step=0.5)
        res = wait_for(lambda: query("redis_commands_processed_total"), 30,
                       "redis_commands_processed_total", step=0.5)
        assert float(res[0]["value"][1]) >= 1000, res
        res = wait_for(lambda: query('dpcache_core_commands_total{core="1"}'), 30,
                       "a per-core series", step=0.5)
        cores = query("sum(dpcache_core_commands_total)")
        print("  prometheus: redis_up 1, redis_commands_processed_total %s, "
              "dpcache_core_commands_total{core=\"1\"} %s (sum over cores %s)" %
              (query("redis_commands_processed_total")[0]["value"][1], res[0]["value"][1],
               cores[0]["value"][1]))
        hist = wait_for(lambda: query(
            'histogram_quantile(0.99, sum by (le) (dpcache_command_latency_seconds_bucket'
            '{class="write"}))'), 30, "latency histogram", step=0.5)
        print("  p99 write latency via histogram_quantile: %s s" % hist[0]["value"][1])
        # the data plane goes away: redis_up 0 through prometheus
        dp.stop(signal.SIGKILL)
        wait_for(lambda: query("redis_up == 0"), 30, "redis_up == 0", step=0.5)
        print("  data plane killed: prometheus sees redis_up 0")
    finally:
        stop(prom)
        ctl.stop()


def check_reconnect(tmp):
    d = os.path.join(tmp, "dp")
    os.makedirs(d)
    dp = Dpcache(d)
    # control plane first
    ctl = Control(dp, tmp, telemetry=False).start(wait_attached=False)
    st, body, _ = ctl.get("/readyz")
    assert st == 503 and b"not attached" in body, (st, body)
    assert metric_value(ctl.metrics(), "redis_up") == 0
    dp.start()
    ctl.wait_ready(30)
    m = ctl.metrics()
    assert metric_value(m, "redis_up") == 1
    # the telemetry socket was found by run_id (file prefix ctl<port>, not dpcache<port>)
    assert metric_value(m, "dpcache_core_commands_total", {"core": "0"}) is not None, \
        "no per-core series: telemetry not found (%s)" % ctl.logtext()[-600:]
    print("  control plane first: attached when the data plane came, telemetry found by run_id")
    # data plane restarts
    dp.stop(signal.SIGKILL)
    wait_for(lambda: ctl.get("/readyz")[0] == 503, 15, "/readyz 503 after the data plane died")
    assert metric_value(ctl.metrics(), "redis_up") == 0
    dp.start()
    ctl.wait_ready(30)
    m = ctl.metrics()
    assert metric_value(m, "dpcache_control_reconnects_total") >= 1, m
    assert metric_value(m, "redis_up") == 1
    dp.client().set("a", "1")
    st, res = ctl.snapshot()
    assert st == 200 and res["ok"], res
    # control plane restarts
    ctl.stop(signal.SIGKILL)
    ctl.start()
    st, res = ctl.snapshot()
    assert st == 200 and res["ok"], res
    # BGSAVE without a control plane fails clearly
    ctl.stop()
    time.sleep(0.3)
    try:
        dp.client().bgsave()
        raise AssertionError("BGSAVE succeeded without a control plane")
    except redis.ResponseError as e:
        print("  BGSAVE without dpcache-control: %s" % e)
    print("  data plane and control plane restarts: reattached both ways")
    dp.stop()


def check_shutdown(tmp):
    dp = Dpcache(os.path.join(tmp, "dp")).start()
    ctl = Control(dp, tmp).start()
    c = dp.client()
    write_dataset(c, 3000)
    c.set("last", "written before SIGTERM")
    rc = dp.stop(signal.SIGTERM)
    assert rc == 0, (rc, dp.logtext()[-600:])
    path = os.path.join(dp.dir, "dump.rdb")
    check_rdb(path)
    assert "shutdown" in ctl.logtext(), ctl.logtext()[-600:]
    # one final snapshot, not a second one against the exiting instance
    time.sleep(0.5)
    assert ctl.logtext().count("snapshot (shutdown)") == 1, ctl.logtext()[-900:]
    assert "snapshot failed" not in ctl.logtext(), ctl.logtext()[-900:]
    dp.start()
    assert dp.client().get("last") == b"written before SIGTERM"
    assert dp.client().dbsize() == 3001
    print("  SIGTERM: final snapshot, exit 0, restart has every key")
    ctl.wait_ready()
    dp.client().set("last", "via the API")
    st, body, _ = ctl.request("POST", "/v1/shutdown")
    assert st == 202, (st, body)
    assert dp.proc.wait(60) == 0
    dp.start()
    assert dp.client().get("last") == b"via the API"
    print("  POST /v1/shutdown: final snapshot, exit 0")
    ctl.wait_ready()
    dp.client().set("last", "via SHUTDOWN SAVE")
    try:  # no reply: the connection closes
        dp.client().execute_command("SHUTDOWN", "SAVE")
        raise AssertionError("SHUTDOWN SAVE replied")
    except redis.ConnectionError:
        pass
    assert dp.proc.wait(60) == 0
    assert ctl.logtext().count("snapshot (shutdown)") == 3, ctl.logtext()[-900:]
    dp.start()
    assert dp.client().get("last") == b"via SHUTDOWN SAVE"
    print("  redis-cli SHUTDOWN SAVE: final snapshot, exit 0")
    ctl.stop()
    # shutdown-snapshot no
    ctl = Control(dp, tmp, extra=["--shutdown-snapshot", "no"]).start()
    dp.client().set("last", "not saved")
    assert dp.stop(signal.SIGTERM) == 0
    dp.start()
    assert dp.client().get("last") == b"via SHUTDOWN SAVE"
    print("  shutdown-snapshot no: the data plane exits without a snapshot")
    ctl.stop()
    dp.stop()


CHECKS = [
    ("snapshot", check_snapshot),
    ("pit", check_pit),
    ("rotation", check_rotation),
    ("schedule", check_schedule),
    ("crash", check_crash),
    ("http", check_http),
    ("prometheus", check_prometheus),
    ("reconnect", check_reconnect),
    ("shutdown", check_shutdown),
]


def cleanup():
    for p in STARTED:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--dpcache", required=True)
    ap.add_argument("--control", required=True)
    ap.add_argument("-k", default="")
    ap.add_argument("--keys", type=int, default=20000)
    ap.add_argument("--pit-keys", type=int, default=200000)
    ap.add_argument("--crash-keys", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", default=str(int(time.time())))
    ap.add_argument("--keep-tmp", action="store_true")
    ARGS = ap.parse_args()
    for tool in ("redis-server", "redis-check-rdb", "promtool", "prometheus"):
        if not shutil.which(tool):
            print("missing %s (scripts/deps.sh installs it)" % tool)
            return 1
    ran = 0
    try:
        for name, fn in CHECKS:
            if ARGS.k and ARGS.k not in name:
                continue
            ran += 1
            tmp = tempfile.mkdtemp(prefix="ctl-%s-" % name)
            t0 = time.time()
            print("== %s (seed %s)" % (name, ARGS.seed))
            try:
                fn(tmp)
                print("   ok (%.1f s)" % (time.time() - t0))
            except Exception:  # noqa: BLE001 - report and go on
                FAILS.append(name)
                print("   FAILED: %s" % traceback.format_exc())
                print("   logs kept in %s" % tmp)
                cleanup()
                continue
            finally:
                cleanup()
            if not ARGS.keep_tmp:
                shutil.rmtree(tmp, ignore_errors=True)
    finally:
        cleanup()
        for p in PREFIXES:
            shutil.rmtree("/var/run/dpdk/" + p, ignore_errors=True)
    if not ran:
        print("no check matches -k %s" % ARGS.k)
        return 1
    print("%d check(s), %d failed%s" % (ran, len(FAILS), (": " + ", ".join(FAILS)) if FAILS else ""))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
