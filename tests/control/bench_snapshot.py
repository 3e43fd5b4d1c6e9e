#!/usr/bin/python3
"""Snapshot cost, one run: GET p99 while snapshots of ~1 M keys run vs without, and memory
growth of the data plane during a snapshot vs redis-server's BGSAVE on the same data.

    /usr/bin/python3 tests/control/bench_snapshot.py --dpcache build/dataplane/dpcache \\
        --control build/control/dpcache-control [--keys 1000000] [--value 100] [--seconds 8]

1. redis-server gets the data set (redis-benchmark SET over a keyspace of --keys, 4x the key
   count, so ~98% of the keys exist) and SAVEs it; dpcache (posix stack, 2 workers, loopback)
   loads that RDB at start, so both hold the same keys.
2. GET p99: redis-benchmark -t get (random keys of the same keyspace, 8 clients) for
   --seconds without snapshots, then again while dpcache-control takes snapshots back to back
   (POST /v1/snapshot?wait=1 in a loop).
3. Memory: a SET writer over the keyspace runs while dpcache takes one snapshot, then while
   redis-server runs one BGSAVE; RSS is sampled every 5 ms: dpcache's growth over its RSS
   before the snapshot, redis-server's parent growth plus the fork child's private dirty
   memory (its copy-on-write), and Redis's own rdb_last_cow_size.
"""

import argparse
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_control as tc  # noqa: E402 - shares the process helpers


PIN = []  # taskset prefix for clients and the control plane (--pin)


def rss_kb(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def private_dirty_kb(pid):
    try:
        tot = 0
        for line in open("/proc/%d/smaps_rollup" % pid):
            if line.startswith(("Private_Dirty:",)):
                tot += int(line.split()[1])
        return tot
    except OSError:
        return 0


def children(pid):
    try:
        return [int(x) for x in open("/proc/%d/task/%d/children" % (pid, pid)).read().split()]
    except OSError:
        return []


def bench_get(port, seconds, keys, clients=8):
    n = 60000 * seconds
    r = subprocess.run(PIN + ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "get",
                        "-r", str(keys), "-n", str(n), "-c", str(clients), "--csv"],
                       capture_output=True, timeout=600)
    lines = [l for l in r.stdout.decode().splitlines() if l.startswith('"GET"')]
    head = [h.strip('"') for h in r.stdout.decode().splitlines()[0].split(",")]
    vals = [v.strip('"') for v in lines[-1].split(",")]
    d = dict(zip(head, vals))
    return float(d["rps"]), float(d["p50_latency_ms"]), float(d["p99_latency_ms"])


def writer(port, keys, value, stop):
    p = subprocess.Popen(PIN + ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "set",
                          "-r", str(keys), "-n", "100000000", "-d", str(value), "-c", "4",
                          "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tc.STARTED.append(p)
    stop.wait()
    tc.stop(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dpcache", required=True)
    ap.add_argument("--control", required=True)
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--value", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--pin", action="store_true",
                    help="run the benchmark clients and dpcache-control on the CPUs the workers "
                         "do not use (the data plane pins worker i to CPU i)")
    a = ap.parse_args()
    global PIN
    cpus = sorted(os.sched_getaffinity(0))
    if a.pin and len(cpus) > a.workers:
        PIN = ["taskset", "-c", ",".join(str(c) for c in cpus[a.workers:])]
    tc.ARGS = argparse.Namespace(dpcache=a.dpcache, control=a.control)
    tmp = tc.tempfile.mkdtemp(prefix="ctl-bench-")
    try:
        # 1. the data set
        rdir = os.path.join(tmp, "redis")
        os.mkdir(rdir)
        rs = tc.RedisServer(rdir)
        subprocess.run(["redis-benchmark", "-p", str(rs.port), "-t", "set", "-r", str(a.keys),
                        "-n", str(4 * a.keys), "-d", str(a.value), "-P", "64", "-q"],
                       capture_output=True, timeout=900)
        rc = rs.client()
        nkeys = rc.dbsize()
        rc.save()
        ddir = os.path.join(tmp, "dp")
        os.mkdir(ddir)
        tc.shutil.copy(os.path.join(rdir, "dump.rdb"), os.path.join(ddir, "dump.rdb"))
        dp = tc.Dpcache(ddir, workers=a.workers).start()
        assert dp.client().dbsize() == nkeys
        ctl = tc.Control(dp, tmp)
        # the control plane yields to the benchmark client when they share a CPU (in
        # production it has a core of its own, and clients are on other machines)
        ctl.argv_prefix = PIN + ["nice", "-n", "19"]
        ctl.start()
        st, res = ctl.snapshot()
        assert st == 200 and res["ok"], res
        print("data set: %d keys of %d bytes; one snapshot: %.2f s, %d MB" %
              (nkeys, a.value, res["duration_seconds"], res["bytes"] >> 20))

        # 2. GET p99 without and with snapshots running
        rps0, p50_0, p99_0 = bench_get(dp.port, a.seconds, a.keys)
        stop = threading.Event()
        snaps = []

        def snapshots():
            while not stop.is_set():
                s, r = ctl.snapshot()
                snaps.append(r.get("duration_seconds", 0) if s == 200 else -1)

        th = threading.Thread(target=snapshots, daemon=True)
        th.start()
        time.sleep(0.05)
        rps1, p50_1, p99_1 = bench_get(dp.port, a.seconds, a.keys)
        stop.set()
        th.join(120)
        print("GET without snapshots: %.0f req/s, p50 %.3f ms, p99 %.3f ms" % (rps0, p50_0, p99_0))
        print("GET during snapshots:  %.0f req/s, p50 %.3f ms, p99 %.3f ms (%d snapshots back "
              "to back, %.2f s each on average)" %
              (rps1, p50_1, p99_1, len(snaps), sum(snaps) / max(1, len(snaps))))
        print("p99 ratio (during / without): %.2f" % (p99_1 / p99_0 if p99_0 else float("nan")))

        # 3. memory growth during one snapshot, with a writer
        def sample(pids_fn, base_fn, until):
            peak = 0
            while not until():
                peak = max(peak, base_fn(pids_fn()))
                time.sleep(0.005)
            return peak

        wstop = threading.Event()
        wt = threading.Thread(target=writer, args=(dp.port, a.keys, a.value, wstop), daemon=True)
        wt.start()
        time.sleep(1.0)
        dpid = dp.proc.pid
        before = rss_kb(dpid)
        done = threading.Event()
        result = {}

        def snap_once():
            result["r"] = ctl.snapshot()
            done.set()

        threading.Thread(target=snap_once, daemon=True).start()
        peak = sample(lambda: dpid, rss_kb, done.is_set)
        wstop.set()
        wt.join(60)
        dp_growth = max(0, peak - before)
        print("dpcache: RSS %d MB before the snapshot, peak growth during it %.1f MB (%.2f s, "
              "writer running)" % (before >> 10, dp_growth / 1024.0,
                                   result["r"][1]["duration_seconds"]))

        wstop = threading.Event()
        wt = threading.Thread(target=writer, args=(rs.port, a.keys, a.value, wstop), daemon=True)
        wt.start()
        time.sleep(1.0)
        rpid = rs.proc.pid
        before = rss_kb(rpid)
        t0 = time.time()
        rc.bgsave()
        peak_parent, peak_child = 0, 0
        while True:
            kids = children(rpid)
            peak_parent = max(peak_parent, rss_kb(rpid))
            for k in kids:
                peak_child = max(peak_child, private_dirty_kb(k))
            if not kids and time.time() - t0 > 0.2 and \
                    rc.info("persistence")["rdb_bgsave_in_progress"] == 0:
                break
            time.sleep(0.005)
        wstop.set()
        wt.join(60)
        cow = rc.info("persistence").get("rdb_last_cow_size", 0)
        r_growth = max(0, peak_parent - before) + peak_child
        print("redis-server BGSAVE: RSS %d MB before, parent growth %.1f MB + child private "
              "dirty %.1f MB = %.1f MB (rdb_last_cow_size %.1f MB, %.2f s)" %
              (before >> 10, max(0, peak_parent - before) / 1024.0, peak_child / 1024.0,
               r_growth / 1024.0, cow / 1048576.0, time.time() - t0))
        print("memory growth during a snapshot: dpcache %.1f MB vs redis-server %.1f MB" %
              (dp_growth / 1024.0, r_growth / 1024.0))
        ctl.stop()
        dp.stop()
        rs.stop()
    finally:
        tc.cleanup()
        for p in tc.PREFIXES:
            tc.shutil.rmtree("/var/run/dpdk/" + p, ignore_errors=True)
        tc.shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
