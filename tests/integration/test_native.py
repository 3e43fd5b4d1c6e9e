#!/usr/bin/python3
"""The native stack with real Linux clients (issue 3's acceptance), in a network namespace this
script creates (itlib --stack native: dpcache on its embedded TAP port, clients in the namespace):

  faults         fault injector at 5 % drop, 1 % reorder, 1 % duplicate on RX and TX (seeded):
                 50,000 SET/GET pairs over 16 pipelined connections, every reply checked, no
                 connection stuck, connection count back to its baseline
  conns_1000     1,000 concurrent connections, each SET/GET checked, all closed -> baseline
  vanish         clients that vanish mid-request or mid-reply (kill -9 of a client process,
                 RST by SO_LINGER 0, and a half-open peer that goes silent, played by a raw
                 AF_PACKET client whose address nobody answers for): no connection left behind
                 (tcp-keepalive 1 reaps the silent one), no stall for the other clients
  misconfig      no such port, unknown vdev driver, more workers than queues, too little
                 memory for the mbufs or the store, an
                 unknown PMD argument, a vdev that
                 does not start, a missing or bad address, no hugepages: exit status 1 and one
                 clear message (dpcache's last log line, after DPDK's own lines if any, all
                 in dpcache's log format), no crash
  cluster        cluster mode, 2 workers: redis-cli -c against one core port and python3-redis
                 RedisCluster; each core's telemetry (/dpcache/core,i) shows no forwarding and
                 no cross-core read, and each core holds exactly the keys of its slots

Bounded: every socket operation has a timeout, the script --max-seconds. No speed is asserted.

Run: /usr/bin/python3 tests/integration/test_native.py --dpcache build/dataplane/dpcache --stack native
"""

import os
import random
import re
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import itlib  # noqa: E402
from itlib import Conn, encode, show  # noqa: E402

itlib.require_modules()

FAULTS = ["--native-fault-rx-drop", "50000", "--native-fault-tx-drop", "50000",
          "--native-fault-rx-reorder", "10000", "--native-fault-tx-reorder", "10000",
          "--native-fault-rx-dup", "10000", "--native-fault-tx-dup", "10000",
          "--native-fault-seed", "20260301"]
REPLY_TIMEOUT = 60.0  # a reply later than this means a stuck connection


def core_stats(dp):
    return [dp.telemetry("/dpcache/core,%d" % i) for i in range(dp.workers)]


def wait_baseline(env, ctx, dp, what, timeout=60.0):
    """Wait until dpcache has no client but the probe and no TCP connection but the probe's
    (ESTABLISHED/CLOSE_WAIT), then check it."""
    deadline = time.monotonic() + timeout
    clients = tcp = None
    while time.monotonic() < deadline:
        with Conn(dp.port if not dp.probe_port else dp.probe_port, timeout=REPLY_TIMEOUT) as c:
            m = re.search(r"^connected_clients:(\d+)", c.call("INFO", "clients").decode(), re.M)
            clients = int(m.group(1))
            tcp = sum(s["tcp_active_conns"] for s in core_stats(dp))
        if clients == 1 and tcp == 1:
            break
        time.sleep(0.5)
    env.check(ctx, clients == 1 and tcp == 1,
              "%s: %s clients and %s TCP connections remain (expected only the probe's) after "
              "%.0fs" % (what, clients, tcp, timeout))


def stats_line(dp):
    st = core_stats(dp)
    keys = ("net_drop_fault", "tcp_retransmits", "tcp_fast_retransmits", "tcp_rto_timeouts",
            "tcp_ooo_segments", "tcp_conns_accepted", "tcp_keepalive_drops", "tcp_rst_in")
    return ", ".join("%s=%d" % (k, sum(s.get(k, 0) for s in st)) for k in keys)


# =============================================================================================
# faults
# =============================================================================================

def pairs_worker(port, conn_id, npairs, batch, seed, errors, done):
    rnd = random.Random(seed)
    try:
        with Conn(port, timeout=REPLY_TIMEOUT, name="conn%d" % conn_id) as c:
            i = 0
            while i < npairs:
                n = min(batch, npairs - i)
                keys, vals, req = [], [], []
                for j in range(n):
                    k = "f:%d:%d" % (conn_id, i + j)
                    # mostly small values, some spanning several segments
                    size = rnd.choice((1, 7, 60, 300, 1400, 1461, 3000, 9000)) \
                        if rnd.random() < 0.3 else rnd.randrange(1, 64)
                    v = rnd.randbytes(size)
                    keys.append(k)
                    vals.append(v)
                    req.append(encode("SET", k, v))
                    req.append(encode("GET", k))
                c.send(b"".join(req))
                replies = c.read_many(2 * n)
                for j in range(n):
                    if replies[2 * j] != b"+OK\r\n":
                        errors.append("conn%d SET %s: %s" % (conn_id, keys[j], show(replies[2 * j])))
                    want = b"$%d\r\n%s\r\n" % (len(vals[j]), vals[j])
                    if replies[2 * j + 1] != want:
                        errors.append("conn%d GET %s (%d bytes): %s" % (
                            conn_id, keys[j], len(vals[j]), show(replies[2 * j + 1], 200)))
                i += n
                done[conn_id] = i
    except Exception as e:  # a stuck or broken connection
        errors.append("conn%d after %d pairs: %s: %s" % (conn_id, done[conn_id],
                                                        type(e).__name__, e))


def check_faults(env, ctx, workers, total=50000, nconn=16, batch=25):
    dp = itlib.Dpcache(env, workers=workers, extra=FAULTS + ["--save", ""],
                       ready_timeout=60).start()
    try:
        errors, done = [], [0] * nconn
        per = total // nconn
        threads = [threading.Thread(target=pairs_worker, daemon=True,
                                    args=(dp.port, i, per + (1 if i < total % nconn else 0),
                                          batch, 1000 + i, errors, done))
                   for i in range(nconn)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(env.args.max_seconds)
        dt = time.monotonic() - t0
        print("    %d SET/GET pairs in %.1fs over %d connections; %s"
              % (sum(done), dt, nconn, stats_line(dp)), flush=True)
        env.check(ctx, not errors, "%d wrong replies or stuck connections, first: %s"
                  % (len(errors), errors[:5]))
        env.check(ctx, sum(done) == total, "%d of %d pairs done" % (sum(done), total))
        st = core_stats(dp)
        env.check(ctx, sum(s["net_drop_fault"] for s in st) > 0,
                  "the fault injector dropped nothing: %s" % stats_line(dp))
        wait_baseline(env, ctx, dp, "after the faulty run")
        # what was written is still there (every 10th key, faults still on)
        rnd = random.Random(7)
        with Conn(dp.port, timeout=REPLY_TIMEOUT) as c:
            sample = ["f:%d:%d" % (rnd.randrange(nconn), rnd.randrange(per)) for _ in range(500)]
            got = [c.raw("EXISTS", *sample[i:i + 100]) for i in range(0, 500, 100)]
            env.check(ctx, all(g == b":100\r\n" for g in got), "EXISTS of written keys: %s" % got)
    finally:
        itlib.stop_and_check(env, dp, ctx)


# =============================================================================================
# 1,000 connections
# =============================================================================================

def check_conns_1000(env, ctx, workers, n=1000):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1024), hard))
    dp = itlib.Dpcache(env, workers=workers, extra=["--save", ""]).start()
    socks = []
    try:
        for i in range(n):
            socks.append(Conn(dp.port, timeout=REPLY_TIMEOUT, name="c%d" % i))
        for i, c in enumerate(socks):
            c.send(encode("SET", "conn:%d" % i, "v%d" % i) + encode("GET", "conn:%d" % i))
        bad = []
        for i, c in enumerate(socks):
            r = c.read_many(2)
            if r != [b"+OK\r\n", b"$%d\r\nv%d\r\n" % (len("v%d" % i), i)]:
                bad.append((i, r))
        env.check(ctx, not bad, "%d connections got wrong replies: %s" % (len(bad), bad[:3]))
        with Conn(dp.port) as c:
            m = re.search(r"^connected_clients:(\d+)", c.call("INFO", "clients").decode(), re.M)
            env.check(ctx, m and int(m.group(1)) == n + 1,
                      "connected_clients %s with %d connections open (+1 probe)"
                      % (m and m.group(1), n))
            # counted while the probe is still open: once it closes it lingers in
            # LAST_ACK for a round trip, so n alone would race with its close
            tcp = [s["tcp_active_conns"] for s in core_stats(dp)]
        print("    %d connections open (+1 probe); TCP connections per core %s" % (n, tcp),
              flush=True)
        env.check(ctx, sum(tcp) == n + 1, "TCP connections %s, expected %d" % (tcp, n + 1))
        for c in socks:
            c.close()
        socks = []
        wait_baseline(env, ctx, dp, "after closing %d connections" % n)
    finally:
        for c in socks:
            c.close()
        itlib.stop_and_check(env, dp, ctx)


# =============================================================================================
# clients that vanish
# =============================================================================================

_VANISHER = r"""
import socket, sys, time
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, port), timeout=30)
if mode == "mid-request":      # half of a 1 MB SET
    s.sendall(b"*3\r\n$3\r\nSET\r\n$7\r\nvanish1\r\n$1000000\r\n" + b"x" * 500000)
elif mode == "mid-reply":      # a 16 MiB reply it never reads
    s.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n")
sys.stdout.write("ready\n")
sys.stdout.flush()
time.sleep(600)
"""


def vanish_kill9(env, ctx, dp, mode):
    p = subprocess.Popen(["/usr/bin/python3", "-c", _VANISHER, dp.host, str(dp.port), mode],
                         stdout=subprocess.PIPE)
    try:
        line = p.stdout.readline()
        env.check(ctx, line == b"ready\n", "%s client did not start: %r" % (mode, line))
        time.sleep(0.5)
    finally:
        p.kill()  # SIGKILL: the kernel closes its socket (FIN, or RST with unread data)
        p.wait(10)
        p.stdout.close()


def vanish_rst(env, ctx, dp):
    s = socket.create_connection((dp.host, dp.port), timeout=30)
    s.sendall(b"*3\r\n$3\r\nSET\r\n$7\r\nvanish2\r\n$100000\r\n" + b"y" * 30000)
    time.sleep(0.2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()  # RST


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def vanish_half_open(env, ctx, dp, iface="dpcache0", src="10.88.0.77"):
    """A peer that completes the handshake, sends half a request and then never sends or
    answers anything again (its address and MAC belong to nobody): a half-open connection."""
    mymac = bytes.fromhex("02000000774d")
    sip, dip = socket.inet_aton(src), socket.inet_aton(dp.host)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((iface, 0))
    s.settimeout(0.5)
    try:
        # dpcache's MAC (ARP request from the fake peer)
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mymac, sip, b"\0" * 6, dip)
        dmac = None
        deadline = time.monotonic() + 10
        while dmac is None and time.monotonic() < deadline:
            s.send(b"\xff" * 6 + mymac + b"\x08\x06" + arp)
            t = time.monotonic() + 1
            while time.monotonic() < t:
                try:
                    f = s.recv(2048)
                except socket.timeout:
                    break
                if f[:6] == mymac and f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02" \
                        and f[28:32] == dip:
                    dmac = f[6:12]
                    break
        env.check(ctx, dmac is not None, "half-open peer: no ARP reply from dpcache")
        if dmac is None:
            return
        sport = random.randrange(20000, 60000)

        def tcp_frame(seq, ack, flags, payload=b"", opts=b""):
            off = (20 + len(opts)) // 4
            th = struct.pack("!HHIIBBHHH", sport, dp.port, seq, ack, off << 4, flags, 65535, 0, 0)
            th += opts
            ph = sip + dip + struct.pack("!BBH", 0, 6, len(th) + len(payload))
            ck = _csum(ph + th + payload)
            th = th[:16] + struct.pack("!H", ck) + th[18:]
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(th) + len(payload), 1, 0x4000,
                             64, 6, 0, sip, dip)
            ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
            return dmac + mymac + b"\x08\x00" + ip + th + payload

        iss = 1000
        s.send(tcp_frame(iss, 0, 0x02, opts=struct.pack("!BBH", 2, 4, 1460)))  # SYN, MSS
        synack = None
        deadline = time.monotonic() + 10
        while synack is None and time.monotonic() < deadline:
            try:
                f = s.recv(2048)
            except socket.timeout:
                continue
            if f[:6] == mymac and f[12:14] == b"\x08\x00" and f[23] == 6:
                ihl = (f[14] & 0xF) * 4
                th = f[14 + ihl:]
                sp, dpt, seq, ack, _, flags = struct.unpack("!HHIIBB", th[:14])
                if dpt == sport and flags & 0x12 == 0x12 and ack == iss + 1:
                    synack = seq
        env.check(ctx, synack is not None, "half-open peer: no SYN-ACK")
        if synack is None:
            return
        data = b"*3\r\n$3\r\nSET\r\n$7\r\nvanish3\r\n$5000\r\n" + b"z" * 700
        s.send(tcp_frame(iss + 1, synack + 1, 0x10))  # ACK
        s.send(tcp_frame(iss + 1, synack + 1, 0x18, data))  # PSH|ACK, half a request
        # from now on the peer is gone: nothing it sends will ever be answered
    finally:
        s.close()


def check_vanish(env, ctx, workers):
    # tcp-keepalive 1: a silent peer is probed after 1 s of idleness, dropped after 3 probes;
    # protected-mode no: the half-open peer's address is not the TAP's host side
    dp = itlib.Dpcache(env, workers=workers, extra=["--save", "", "--tcp-keepalive", "1",
                                                    "--protected-mode", "no"]).start()
    try:
        with Conn(dp.port, timeout=REPLY_TIMEOUT) as c:
            c.raw("SET", "big", "b" * (16 << 20))
        with Conn(dp.port, timeout=REPLY_TIMEOUT) as keep:  # a client that stays, all along
            for mode in ("mid-request", "mid-reply", "idle"):
                vanish_kill9(env, ctx, dp, mode)
                env.check(ctx, keep.raw("PING") == b"+PONG\r\n", "PING after kill -9 (%s)" % mode)
            vanish_rst(env, ctx, dp)
            env.check(ctx, keep.raw("PING") == b"+PONG\r\n", "PING after RST")
            vanish_half_open(env, ctx, dp)
            env.check(ctx, keep.raw("PING") == b"+PONG\r\n", "PING after the half-open peer")
            for k in ("vanish1", "vanish2", "vanish3"):
                env.check(ctx, keep.raw("EXISTS", k) == b":0\r\n",
                          "%s exists: a partial request was run" % k)
        wait_baseline(env, ctx, dp, "after the vanished clients")
        st = core_stats(dp)
        print("    %s" % stats_line(dp), flush=True)
        env.check(ctx, sum(s["tcp_keepalive_drops"] for s in st) >= 1,
                  "the half-open connection was not dropped by keepalive: %s" % stats_line(dp))
        with Conn(dp.port, timeout=REPLY_TIMEOUT) as c:
            env.check(ctx, c.raw("PING") == b"+PONG\r\n", "a new client after all that")
    finally:
        itlib.stop_and_check(env, dp, ctx)


# =============================================================================================
# cluster-aware clients
# =============================================================================================

def check_cluster(env, ctx, nkeys=300):
    import redis
    from redis.cluster import RedisCluster, ClusterNode
    dp = itlib.Dpcache(env, workers=2, extra=["--save", "", "--cluster-enabled", "yes"]).start()
    try:
        keys = ["ck:%d" % i for i in range(nkeys)]
        owner = [itlib.worker_of(k, 2) for k in keys]
        with Conn(dp.core_base) as c:
            k1 = keys[owner.index(1)]
            r = c.raw("GET", k1)
            want = b"-MOVED %d %s:%d\r\n" % (itlib.key_slot(k1), dp.host.encode(), dp.core_base + 1)
            env.check(ctx, r == want, "GET of core 1's key on core 0: %s, expected %s"
                      % (show(r), show(want)))
        base = core_stats(dp)
        # python3-redis RedisCluster: reads CLUSTER SLOTS, sends each key to its owner
        rc = RedisCluster(startup_nodes=[ClusterNode(dp.host, dp.core_base)], socket_timeout=30)
        for k in keys:
            rc.set(k, "v-" + k)
        bad = [k for k in keys if rc.get(k) != ("v-" + k).encode()]
        env.check(ctx, not bad, "RedisCluster GET wrong for %d keys: %s" % (len(bad), bad[:5]))
        nodes = sorted(n.port for n in rc.get_nodes())
        env.check(ctx, nodes == [dp.core_base, dp.core_base + 1],
                  "RedisCluster nodes %s, expected the two core ports" % nodes)
        rc.close()
        after = core_stats(dp)
        for i in range(2):
            mine = owner.count(i)
            for f in ("fwd_sent", "fwd_executed", "remote_reads"):
                env.check(ctx, after[i][f] == base[i][f], "RedisCluster: core %d %s %d -> %d"
                          % (i, f, base[i][f], after[i][f]))
            env.check(ctx, after[i]["keys"] == mine, "core %d holds %d keys, owns %d"
                      % (i, after[i]["keys"], mine))
            # each key: one SET and one GET on its owner
            env.check(ctx, after[i]["keyspace_hits"] - base[i]["keyspace_hits"] == mine,
                      "core %d: %d GET hits for its %d keys" % (
                          i, after[i]["keyspace_hits"] - base[i]["keyspace_hits"], mine))
        print("    RedisCluster: commands per core %s, keys per core %s"
              % ([after[i]["commands"] - base[i]["commands"] for i in range(2)],
                 [after[i]["keys"] for i in range(2)]), flush=True)
        # redis-cli -c against core 0's port: follows MOVED to the owner, never forwarded
        base = after
        sample = keys[:40]
        for k in sample:
            r = itlib.run([env.redis_cli, "-c", "-h", dp.host, "-p", str(dp.core_base),
                           "SET", k, "cli-" + k], timeout=30)
            env.check(ctx, r.stdout.strip() == b"OK", "redis-cli -c SET %s: %r %r"
                      % (k, r.stdout, r.stderr))
        r = itlib.run([env.redis_cli, "-c", "-h", dp.host, "-p", str(dp.core_base)],
                      input=b"".join(b"GET %s\n" % k.encode() for k in sample), timeout=60)
        lines = r.stdout.split(b"\n")
        moved = [l for l in lines if l.startswith(b"-> Redirected")]
        got = [l for l in lines if l and not l.startswith(b"-> Redirected")]
        print("    redis-cli -c: %d GETs, %d redirections followed" % (len(sample), len(moved)),
              flush=True)
        env.check(ctx, got == [("cli-" + k).encode() for k in sample],
                  "redis-cli -c GETs: %s" % show(r.stdout + r.stderr))
        after = core_stats(dp)
        for i in range(2):
            for f in ("fwd_sent", "fwd_executed", "remote_reads"):
                env.check(ctx, after[i][f] == base[i][f], "redis-cli -c: core %d %s %d -> %d"
                          % (i, f, base[i][f], after[i][f]))
            env.check(ctx, after[i]["keys"] == owner.count(i), "core %d holds %d keys, owns %d"
                      % (i, after[i]["keys"], owner.count(i)))
        # a plain client on the wrong core gets MOVED, not a cross-core answer
        cl = redis.Redis(host=dp.host, port=dp.core_base, socket_timeout=10)
        try:
            cl.get(k1)
            env.fail(ctx, "plain client: GET of core 1's key on core 0 answered")
        except redis.exceptions.ResponseError as e:
            env.check(ctx, str(e).startswith("MOVED"), "plain client: %s" % e)
        cl.close()
    finally:
        itlib.stop_and_check(env, dp, ctx)


# =============================================================================================
# misconfigurations: one clear message, exit status 1
# =============================================================================================

MISCONFIGS = [
    # (what, EAL device arguments, dpcache arguments, text the last log line must hold)
    ("no such port", ["-a", "0000:99:00.0"],
     ["--native-port", "0000:99:00.0", "--native-addr", "10.89.0.2/24"],
     "no DPDK port named '0000:99:00.0'"),
    ("more workers than queues", ["--vdev", "net_af_packet0,iface=lo", "--no-pci"],
     ["--native-port", "net_af_packet0,iface=lo", "--native-addr", "10.89.0.2/24"],
     "supports 1 RX / 1 TX queues but 2 workers need one each"),
    ("not enough memory for mbufs", ["--vdev", "net_tap0,iface=ntbad0", "--no-pci"],
     ["--native-port", "net_tap0,iface=ntbad0", "--native-addr", "10.89.0.2/24"],
     "reserve hugepages or give the EAL more memory"),
    ("unknown PMD argument", ["--vdev", "net_tap0,iface=ntbad0,bogus=1", "--no-pci"],
     ["--native-port", "net_tap0,iface=ntbad0,bogus=1", "--native-addr", "10.89.0.2/24"],
     "net_tap takes no argument 'bogus'"),
    ("vdev that does not start", ["--vdev", "net_af_packet0,iface=ntnosuch0", "--no-pci"],
     ["--native-port", "net_af_packet0,iface=ntnosuch0", "--native-addr", "10.89.0.2/24"],
     "the vdev 'net_af_packet0' did not start"),
    ("unknown vdev driver", ["--vdev", "net_nosuch0", "--no-pci"],
     ["--native-port", "net_nosuch0", "--native-addr", "10.89.0.2/24"],
     "may name a driver this DPDK does not have"),
    ("store larger than memory", ["--vdev", "net_tap0,iface=ntbad0", "--no-pci"],
     ["--native-port", "net_tap0,iface=ntbad0", "--native-addr", "10.89.0.2/24",
      "--maxkeys", "1073741824"],
     "or lower --maxkeys"),
    ("missing address", ["--vdev", "net_tap0,iface=ntbad0", "--no-pci"],
     ["--native-port", "net_tap0,iface=ntbad0"],
     "give the port an IPv4 address with --native-addr"),
    ("bad address", ["--vdev", "net_tap0,iface=ntbad0", "--no-pci"],
     ["--native-port", "net_tap0,iface=ntbad0", "--native-addr", "10.89.0.2/33"],
     "give the port an IPv4 address with --native-addr"),
]


def check_misconfig(env, ctx, _workers):
    cpus = sorted(os.sched_getaffinity(0))
    for i, (what, dev, args, want) in enumerate(MISCONFIGS):
        workers = 2 if "workers" in what else 1
        lcores = ",".join("%d@%d" % (w, cpus[w % len(cpus)]) for w in range(workers))
        port = itlib.free_ports(1)
        mem = "48" if "memory" in what else "1024"
        argv = [env.dpcache, "--lcores", lcores, "--no-huge", "-m", mem, "--file-prefix",
                itlib.native_file_prefix(port)] + dev + [
                    "--", "--stack", "native", "--port", str(port), "--save", "", "--maxkeys", "65536",
                    "--dir", env.tmpdir, "--control-socket",
                    os.path.join(env.tmpdir, "ctl-%d.sock" % port)] + args
        r = itlib.run(argv, timeout=60)
        err = r.stderr.decode("utf-8", "replace")
        lines = err.splitlines()
        ours = [l for l in lines if re.match(r"\d+:M .* # ", l)]
        env.check(ctx, r.returncode == 1, "%s: exit status %s, expected 1\n%s"
                  % (what, r.returncode, err[-2000:]))
        # DPDK's own error lines (in dpcache's format, log_dpdk.h) may come before it; the
        # message says it once, as the last line
        env.check(ctx, lines and ours and lines[-1] == ours[-1] and want in ours[-1] and
                  sum(want in l for l in lines) == 1,
                  "%s: expected the last line to be the one warning with %r, got %s"
                  % (what, want, lines[-5:]))
        env.check(ctx, all(itlib.LOG_LINE.match(l) for l in lines),
                  "%s: lines outside the log format: %s"
                  % (what, [l for l in lines if not itlib.LOG_LINE.match(l)][:5]))
        env.check(ctx, not re.search(r"PANIC|Segmentation|Aborted|core dumped", err),
                  "%s: crashed:\n%s" % (what, err[-2000:]))
        env.check(ctx, r.stdout == b"", "%s: wrote to stdout: %s" % (what, show(r.stdout)))
        if env.verbose:
            print("    %-28s %s" % (what, ours[-1] if ours else err[-300:]))
    # no hugepages (EAL without --no-huge and no hugetlbfs where it looks): dpcache's message
    port = itlib.free_ports(1)
    empty = os.path.join(env.tmpdir, "nohuge")
    os.makedirs(empty, exist_ok=True)
    r = itlib.run([env.dpcache, "--lcores", "0@%d" % cpus[0], "-m", "64", "--huge-dir", empty,
                   "--file-prefix", itlib.native_file_prefix(port), "--vdev",
                   "net_tap0,iface=ntbad0", "--no-pci", "--", "--stack", "native", "--port",
                   str(port), "--save", "", "--dir", env.tmpdir], timeout=60)
    err = r.stderr.decode("utf-8", "replace").strip().splitlines()
    env.check(ctx, r.returncode == 1 and err and "cannot start DPDK (EAL)" in err[-1] and
              "--no-huge" in err[-1], "no hugepages: rc %s, last line %r"
              % (r.returncode, err[-1:] if err else ""))


def main():
    env = itlib.Env(__doc__)
    if env.stack != "native":
        raise SystemExit("FATAL: test_native.py needs --stack native")
    try:
        for workers in env.workers:
            for name, fn in (("faults", check_faults), ("conns_1000", check_conns_1000),
                             ("vanish", check_vanish)):
                ctx = "w%d/%s" % (workers, name)
                env.run_check(ctx, fn, env, ctx, workers)
        env.run_check("w2/cluster", check_cluster, env, "w2/cluster")
        env.run_check("misconfig", check_misconfig, env, "misconfig", 1)
    finally:
        env.finish()


if __name__ == "__main__":
    main()
