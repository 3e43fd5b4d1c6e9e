#!/usr/bin/python3
"""redis-benchmark against dpcache (posix stack, 1 and 2 workers):
`redis-benchmark -t ping,set,get,incr,hset,mset -n 200000 -P 1` and `-P 16` (with --stack native,
in a network namespace through the TAP: `-c 200` at `-P 1` and `-P 32`) must complete with
no errors: exit status 0, a requests-per-second line for every test, no "ERR"/"error"/warning
in the output, no error counted by dpcache. A short run against redis-server checks that both
end with the same data. No speed is asserted.

Run: /usr/bin/python3 tests/integration/test_benchmark_tools.py --dpcache build/dataplane/dpcache
"""

import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import itlib  # noqa: E402
from itlib import Conn, show  # noqa: E402

TESTS = "ping,set,get,incr,hset,mset"
EXPECTED = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "HSET", "MSET (10 keys)"]


def bench(env, port, n, pipeline, extra=()):
    r = itlib.run([env.redis_benchmark, "-h", itlib.host_of(port), "-p", str(port), "-t", TESTS,
                   "-n", str(n), "-P", str(pipeline), "-q"] + list(extra), timeout=300)
    out = (r.stdout + r.stderr).decode("utf-8", "replace")
    lines = [l.strip() for l in re.split(r"[\r\n]+", out) if l.strip()]
    return r.returncode, out, lines


def check_benchmark(env, ctx, workers, pipeline, n=200000, extra=()):
    dp = itlib.Dpcache(env, workers=workers).start()
    try:
        rc, out, lines = bench(env, dp.port, n, pipeline, extra)
        env.check(ctx, rc == 0, "redis-benchmark exit status %s\n%s" % (rc, out[-2000:]))
        for t in EXPECTED:
            m = [l for l in lines if re.fullmatch(r"%s: [\d.]+ requests per second.*" %
                                                  re.escape(t), l)]
            env.check(ctx, len(m) == 1, "no requests-per-second line for %s in:\n%s"
                      % (t, "\n".join(lines[-20:])))
            if m:
                rps = float(re.search(r": ([\d.]+) requests", m[0]).group(1))
                env.check(ctx, rps > 0, "%s: %s" % (t, m[0]))
        bad = [l for l in lines if re.search(r"ERR|error|Error|WARN|Warning", l)]
        env.check(ctx, not bad, "errors in redis-benchmark output: %s" % bad[:5])
        with Conn(dp.port) as c:
            errs = c.call("INFO", "errorstats").decode()
            env.check(ctx, not re.search(r"^errorstat_", errs, re.M),
                      "dpcache counted error replies during the benchmark:\n%s" % errs)
            stats = c.call("INFO", "commandstats").decode()
            for cmd in ("set", "get", "incr", "hset", "mset", "ping"):
                m = re.search(r"^cmdstat_%s:calls=(\d+)" % cmd, stats, re.M)
                want = 2 * n if cmd == "ping" else n
                env.check(ctx, m and int(m.group(1)) >= want,
                          "cmdstat_%s calls %s, expected at least %d" % (
                              cmd, m and m.group(1), want))
            env.check(ctx, c.raw("GET", "counter:__rand_int__") == b"$%d\r\n%d\r\n"
                      % (len(str(n)), n), "INCR counter after %d INCRs: %s"
                      % (n, show(c.raw("GET", "counter:__rand_int__"))))
    finally:
        itlib.stop_and_check(env, dp, ctx)


def check_same_data(env, ctx, workers):
    """A short run with random keys (-r) against both servers leaves the same kinds of data."""
    red = itlib.Redis(env).start()
    dp = itlib.Dpcache(env, workers=workers).start()
    try:
        for srv in (red, dp):
            rc, out, lines = bench(env, srv.port, 2000, 4, ["-r", "1"])
            env.check(ctx, rc == 0, "%s: redis-benchmark rc=%s" % (srv.kind, rc))
        with Conn(red.port) as r, Conn(dp.port) as d:
            for cmd in (["DBSIZE"], ["GET", "key:000000000000"], ["TYPE", "myhash"],
                        ["HLEN", "myhash"], ["HGETALL", "myhash"], ["GET", "counter:000000000000"],
                        ["STRLEN", "key:000000000000"], ["KEYS", "*"]):
                rr, dr = r.raw(*cmd), d.raw(*cmd)
                if cmd[0] == "KEYS":
                    rr, dr = sorted(itlib.parse(rr)), sorted(itlib.parse(dr))
                env.check(ctx, rr == dr, "after redis-benchmark -r 1: %s\n    redis:   %s\n"
                          "    dpcache: %s" % (" ".join(cmd), show(rr), show(dr)))
    finally:
        itlib.stop_and_check(env, dp, ctx)
        red.stop()


def main():
    env = itlib.Env(__doc__)
    if not os.access(env.redis_benchmark, os.X_OK):
        raise SystemExit("FATAL: %s missing (Debian package redis-tools)" % env.redis_benchmark)
    try:
        for workers in env.workers:
            native = env.stack == "native"
            for pipeline in ((1, 32) if native else (1, 16)):
                ctx = "w%d/P%d" % (workers, pipeline)
                env.run_check(ctx, check_benchmark, env, ctx, workers, pipeline,
                              extra=["-c", "200"] if native else [])
            ctx = "w%d/same_data" % workers
            env.run_check(ctx, check_same_data, env, ctx, workers)
    finally:
        env.finish()


if __name__ == "__main__":
    main()
