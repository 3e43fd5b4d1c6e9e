#!/usr/bin/python3
"""Redis compatibility through real clients: redis-cli (Debian redis-tools, driven with argument
vectors and stdin) and python3-redis (Debian package), against redis-server 7.0.15 and dpcache
(posix stack, 1 and 2 workers). Each client's output/results from both servers are compared.

Run: /usr/bin/python3 tests/integration/test_clients.py --dpcache build/dataplane/dpcache
"""

import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import itlib  # noqa: E402
from itlib import keys_on, show  # noqa: E402
from test_compat import CLI_NORMALIZATIONS, PY_NORMALIZATIONS  # noqa: E402

itlib.require_modules()
import redis  # noqa: E402

W0 = keys_on(0, 2, "c", 30)
W1 = keys_on(1, 2, "c", 30)


# =============================================================================================
# redis-cli
# =============================================================================================

def cli(env, port, args, input=None, opts=(), timeout=30):
    r = itlib.run([env.redis_cli, "-p", str(port)] + list(opts) + list(args), timeout=timeout,
                  input=input)
    return r.returncode, r.stdout, r.stderr


# Commands whose redis-cli output is deterministic: compared byte for byte, in several output
# modes. Keys on both partitions of a 2-worker dpcache.
a, b, c, d = W0[0], W1[0], W0[1], W1[1]
h, g = W0[2], W1[2]
CLI_COMMANDS = [
    ["PING"], ["PING", "hi there"], ["ECHO", "multi\nline"], ["ECHO", ""],
    ["SET", a, "hello"], ["GET", a], ["GET", "nosuch"], ["SET", b, "42", "EX", "1000"],
    ["TTL", b], ["INCR", b], ["INCRBYFLOAT", b, "0.5"], ["MSET", c, "1", d, "2"],
    ["MGET", a, b, c, d, "nosuch"], ["APPEND", a, " world"], ["STRLEN", a],
    ["GETRANGE", a, "0", "4"], ["SETRANGE", a, "0", "J"], ["GETSET", a, "x"], ["GETDEL", a],
    ["GETEX", c, "PERSIST"], ["SETNX", c, "9"], ["MSETNX", a, "1", c, "2"], ["PSETEX", a, "100000", "v"],
    ["SETEX", a, "100", "v"], ["EXISTS", a, b, c, d], ["TYPE", a], ["TYPE", "nosuch"],
    ["HSET", h, "f1", "v1", "f2", "v2", "f3", "3"], ["HGET", h, "f1"], ["HMGET", h, "f1", "zz"],
    ["HGETALL", h], ["HKEYS", h], ["HVALS", h], ["HLEN", h], ["HEXISTS", h, "f2"],
    ["HINCRBY", h, "f3", "5"], ["HINCRBYFLOAT", h, "f3", "1.25"], ["HSTRLEN", h, "f1"],
    ["HSETNX", h, "f1", "x"], ["HMSET", g, "a", "1"], ["HDEL", h, "f2", "zz"],
    ["HGETALL", "nosuch"], ["HRANDFIELD", g], ["HRANDFIELD", g, "1", "WITHVALUES"],
    ["EXPIRE", c, "100", "NX"], ["EXPIRE", c, "50", "GT"], ["PERSIST", c], ["TTL", c],
    ["PTTL", "nosuch"], ["EXPIRETIME", c], ["EXPIREAT", c, "4102444800"], ["EXPIRETIME", c],
    ["PEXPIRETIME", c], ["RENAME", c, "renamed"], ["RENAMENX", "renamed", d],
    ["DEL", "renamed", "nosuch"], ["UNLINK", d], ["DBSIZE"], ["SELECT", "3"],
    ["MOVE", h, "2"], ["SWAPDB", "0", "2"], ["SWAPDB", "0", "2"], ["CONFIG", "GET", "maxmemory"],
    ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"], ["CONFIG", "GET", "maxmemory-policy"],
    ["CONFIG", "SET", "maxmemory-policy", "noeviction"], ["CONFIG", "GET", "save"],
    ["CONFIG", "GET", "appendonly"], ["INFO", "keyspace"], ["CLIENT", "GETNAME"],
    ["CLIENT", "SETNAME", "x y"], ["SLOWLOG", "LEN"], ["HELLO", "4"],
    # errors
    ["GET"], ["NOSUCHCMD", "a", "b"], ["INCR", h], ["HGET", b, "x"], ["SET", a, "v", "EX", "0"],
    ["SET", a, "v", "NX", "XX"], ["INCRBY", b, "abc"], ["SELECT", "99"], ["CLIENT", "FOO"],
    ["CONFIG", "SET", "nosuch", "1"], ["EXPIRE", b, "1", "GT", "LT"], ["SCAN", "abc"],
    ["COMMAND", "INFO", "nosuchcommand"], ["RENAME", "nosuch", "x"],
    ["FLUSHDB"], ["DBSIZE"], ["KEYS", "*"], ["RANDOMKEY"], ["FLUSHALL"],
]


def check_cli_modes(env, red, dp, ctx):
    modes = [("raw", []), ("no-raw", ["--no-raw"]), ("resp3", ["-3", "--no-raw"]),
             ("csv", ["--csv"]), ("json", ["--json"]), ("json2", ["-2", "--json"]),
             ("resp3-raw", ["-3"])]
    for mname, opts in modes:
        for port in (red.port, dp.port):
            cli(env, port, ["FLUSHALL"])
        for cmd in CLI_COMMANDS:
            rr = cli(env, red.port, cmd, opts=opts)
            dr = cli(env, dp.port, cmd, opts=opts)
            norm = CLI_NORMALIZATIONS.get(" ".join(cmd[:2])) or CLI_NORMALIZATIONS.get(cmd[0])
            if norm and rr[0] == dr[0] == 0 and rr[2] == dr[2]:
                ok = norm[0](rr[1], dr[1])
            else:
                ok = rr == dr
            env.check(ctx, ok, "redis-cli %s %s\n    redis:   rc=%s out=%s err=%s\n    "
                      "dpcache: rc=%s out=%s err=%s" % (" ".join(opts), " ".join(cmd), rr[0],
                                                       show(rr[1]), show(rr[2]), dr[0],
                                                       show(dr[1]), show(dr[2])))


def check_cli_stdin(env, red, dp, ctx):
    """Commands read from stdin (non-interactive), -x, -r, -n, -e, --pipe."""
    script = "\n".join([
        "SET %s 1" % a, "INCR %s" % a, 'SET %s "quoted value with spaces"' % b, "GET %s" % b,
        "HSET %s f 1 g 2" % h, "HGETALL %s" % h, "MGET %s %s nosuch" % (a, b), "NOSUCH x",
        "GET", "DEL %s %s" % (a, b), "HELLO 3", "HGETALL %s" % h, "GET nosuch", "PING",
    ]).encode() + b"\n"
    for opts in ([], ["--no-raw"]):
        for port in (red.port, dp.port):
            cli(env, port, ["FLUSHALL"])
        rr = cli(env, red.port, [], input=script, opts=opts)
        dr = cli(env, dp.port, [], input=script, opts=opts)
        # the script contains HELLO 3: see CLI_NORMALIZATIONS["HELLO"]
        rr, dr = [(x[0], CLI_NORMALIZATIONS["HELLO"][0](x[1], None), x[2]) for x in (rr, dr)]
        env.check(ctx, rr == dr, "redis-cli %s < script\n    redis:   %s\n    dpcache: %s"
                  % (opts, rr, dr))
    # -x: last argument from stdin (binary-safe), -r repeat, -n db, -e exit code
    cases = [
        (["-x", "SET", c], b"from\x00stdin\n"), (["GET", c], None),
        (["-r", "5", "INCR", d], None), (["-n", "4", "SET", a, "in4"], None),
        (["-n", "4", "GET", a], None), (["-n", "4", "DBSIZE"], None), (["DBSIZE"], None),
        (["-e", "INCR", "-n"], None), (["-e", "GET"], None), (["-e", "GET", c], None),
        (["-n", "99", "PING"], None),
    ]
    for args, inp in cases:
        rr = cli(env, red.port, args, input=inp)
        dr = cli(env, dp.port, args, input=inp)
        env.check(ctx, rr == dr, "redis-cli %s\n    redis:   %s\n    dpcache: %s"
                  % (" ".join(args), rr, dr))
    # --pipe: mass insertion of raw RESP, with one error in the middle
    data = b"".join(itlib.encode("SET", "pipe:%d" % i, "v%d" % i) for i in range(2000))
    data += itlib.encode("INCR", "pipe:1") + itlib.encode("HSET", "pipe:h", "f", "v")
    outs = []
    for port in (red.port, dp.port):
        outs.append(cli(env, port, ["--pipe"], input=data, timeout=60))
    env.check(ctx, outs[0][0] == outs[1][0] and
              re.findall(rb"errors: \d+, replies: \d+", outs[0][1]) ==
              re.findall(rb"errors: \d+, replies: \d+", outs[1][1]),
              "redis-cli --pipe\n    redis:   %s\n    dpcache: %s" % (outs[0], outs[1]))
    env.check(ctx, b"errors: 1, replies: 2002" in outs[1][1],
              "dpcache --pipe summary: %s" % show(outs[1][1]))
    for port in (red.port, dp.port):
        cli(env, port, ["FLUSHALL"])


def check_cli_tools(env, red, dp, ctx):
    """--scan, --bigkeys, --latency (non-tty: one sample second) and INFO keyspace."""
    for port in (red.port, dp.port):
        cli(env, port, ["FLUSHALL"])
        args = []
        for i in range(60):
            args += ["scan:%d" % i, "x" * (i + 1)]
        cli(env, port, ["MSET"] + args)
        for i in range(5):
            cli(env, port, ["HSET", "bighash:%d" % i] +
                [x for j in range(i + 1) for x in ("f%d" % j, "v")])
    rr = cli(env, red.port, ["--scan"])
    dr = cli(env, dp.port, ["--scan"])
    env.check(ctx, rr[0] == dr[0] == 0 and sorted(rr[1].split()) == sorted(dr[1].split()),
              "redis-cli --scan: redis %s\n    dpcache %s" % (show(rr), show(dr)))
    rr = cli(env, red.port, ["--scan", "--pattern", "scan:1*"])
    dr = cli(env, dp.port, ["--scan", "--pattern", "scan:1*"])
    env.check(ctx, rr[0] == dr[0] == 0 and sorted(rr[1].split()) == sorted(dr[1].split()),
              "redis-cli --scan --pattern: redis %s\n    dpcache %s" % (show(rr), show(dr)))
    rr = cli(env, red.port, ["--bigkeys"])
    dr = cli(env, dp.port, ["--bigkeys"])

    def summary(out):
        lines = out.decode("utf-8", "replace").splitlines()
        keep = [l for l in lines if re.match(r"^(Biggest|\d+ \w+ with|Sampled)", l)]
        return sorted(re.sub(r"\(\d+\.\d+% of keys, avg size \d+\.\d+\)", "", l) for l in keep)
    env.check(ctx, rr[0] == dr[0] == 0 and summary(rr[1]) == summary(dr[1]) and summary(dr[1]),
              "redis-cli --bigkeys summary\n    redis:   %s\n    dpcache: %s\n    dpcache "
              "stderr: %s" % (summary(rr[1]), summary(dr[1]), show(dr[2])))
    dr = cli(env, dp.port, ["--latency"], timeout=20)
    env.check(ctx, dr[0] == 0 and re.fullmatch(rb"\d+ \d+ [\d.]+ \d+", dr[1].strip()),
              "redis-cli --latency on dpcache: %s" % (dr,))
    rr = cli(env, red.port, ["INFO", "keyspace"])
    dr = cli(env, dp.port, ["INFO", "keyspace"])
    env.check(ctx, rr == dr, "redis-cli INFO keyspace: %s vs %s" % (rr, dr))
    for port in (red.port, dp.port):
        cli(env, port, ["FLUSHALL"])


# =============================================================================================
# python3-redis
# =============================================================================================

def _call(fn):
    try:
        return fn()
    except redis.exceptions.RedisError as e:
        return ("EXC", type(e).__name__, str(e))


def _py_steps(r, nworkers):
    """(label, callable, comparison) of the python3-redis scenario; comparison is 'eq' or a key
    of test_compat.PY_NORMALIZATIONS (the documented table)."""
    a, b, c, d = W0[5], W1[5], W0[6], W1[6]
    h, g = W0[7], W1[7]
    S = []

    def add(label, fn, cmp="eq"):
        S.append((label, fn, cmp))

    add("ping", lambda: r.ping())
    add("echo", lambda: r.echo("héllo"))
    add("set", lambda: r.set(a, "v1"))
    add("get", lambda: r.get(a))
    add("set nx", lambda: r.set(a, "v2", nx=True))
    add("set xx", lambda: r.set(b, "v2", xx=True))
    add("set ex", lambda: r.set(b, "v3", ex=100))
    add("ttl", lambda: r.ttl(b), "ttl")
    add("set px", lambda: r.set(b, "v3", px=100000))
    add("pttl", lambda: r.pttl(b), "pttl")
    add("set exat", lambda: r.set(c, "v", exat=4102444800))
    add("expiretime", lambda: r.execute_command("EXPIRETIME", c))
    add("set pxat", lambda: r.set(c, "v", pxat=4102444800123))
    add("pexpiretime", lambda: r.execute_command("PEXPIRETIME", c))
    add("set keepttl", lambda: r.set(c, "w", keepttl=True))
    add("pexpiretime kept", lambda: r.execute_command("PEXPIRETIME", c))
    add("set get", lambda: r.set(c, "z", get=True))
    add("set ex 0", lambda: r.set(c, "z", ex=0))
    add("set ex -1", lambda: r.set(c, "z", ex=-1))
    add("setex", lambda: r.setex(d, 100, "x"))
    add("psetex", lambda: r.psetex(d, 100000, "x"))
    add("setnx", lambda: r.setnx(d, "y"))
    add("getset", lambda: r.getset(d, "z"))
    add("getdel", lambda: r.getdel(d))
    add("getdel missing", lambda: r.getdel(d))
    add("getex", lambda: r.getex(c, ex=50))
    add("getex persist", lambda: r.getex(c, persist=True))
    add("ttl persisted", lambda: r.ttl(c))
    add("mset", lambda: r.mset({a: "1", b: "2", c: "3", d: "4"}))
    add("mget", lambda: r.mget([a, b, c, d, "nosuch"]))
    add("msetnx", lambda: r.msetnx({a: "x", "fresh" + a: "y"}))
    add("msetnx new", lambda: r.msetnx({W0[8]: "x", W1[8]: "y"}))
    add("append", lambda: r.append(a, "23"))
    add("strlen", lambda: r.strlen(a))
    add("incr", lambda: r.incr(a))
    add("decr", lambda: r.decr(a))
    add("incrby", lambda: r.incrby(a, 100))
    add("decrby", lambda: r.decrby(a, 7))
    add("incrbyfloat", lambda: r.incrbyfloat(a, 1.5))
    add("incrbyfloat 2", lambda: r.incrbyfloat(a, "-0.25"))
    add("incr error", lambda: r.incr(a))
    add("incr overflow", lambda: (r.set(b, 2 ** 63 - 1), r.incr(b)))
    add("incrbyfloat inf", lambda: r.incrbyfloat(b, "inf"))
    add("getrange", lambda: r.getrange(a, 0, 2))
    add("setrange", lambda: r.setrange(W0[9], 3, "abc"))
    add("get padded", lambda: r.get(W0[9]))
    add("setrange neg", lambda: r.setrange(W0[9], -1, "abc"))
    add("exists", lambda: r.exists(a, b, c, "nosuch"))
    add("type", lambda: (r.type(a), r.type("nosuch")))
    add("delete", lambda: r.delete(a, "nosuch"))
    add("unlink", lambda: r.unlink(b, c))
    add("rename", lambda: (r.set(a, "r"), r.rename(a, W1[10]), r.get(W1[10])))
    add("rename missing", lambda: r.rename("nosuch", "x"))
    add("renamenx", lambda: r.renamenx(W1[10], d))
    add("expire", lambda: (r.set(a, "v"), r.expire(a, 100)))
    add("expire nx", lambda: r.expire(a, 200, nx=True))
    add("expire xx", lambda: r.expire(a, 200, xx=True))
    add("expire gt", lambda: r.expire(a, 100, gt=True))
    add("expire lt", lambda: r.expire(a, 100, lt=True))
    add("ttl after lt", lambda: r.ttl(a), "ttl")
    add("expire nx xx", lambda: r.expire(a, 100, nx=True, xx=True))
    add("pexpire", lambda: r.pexpire(a, 50000))
    add("expireat", lambda: r.expireat(a, 4102444800))
    add("pexpireat", lambda: r.pexpireat(a, 4102444800500))
    add("pexpiretime", lambda: r.execute_command("PEXPIRETIME", a))
    add("persist", lambda: (r.persist(a), r.persist(a), r.ttl(a)))
    add("expire negative", lambda: (r.expire(a, -1), r.exists(a)))
    add("keys", lambda: sorted(r.keys("*")))
    add("scan_iter", lambda: sorted(r.scan_iter(count=1)))
    add("scan_iter match", lambda: sorted(r.scan_iter(match=W0[8][:2] + "*", count=2)))
    add("scan_iter type", lambda: sorted(r.scan_iter(_type="string")))
    add("randomkey", lambda: (r.randomkey(), sorted(r.keys("*"))), "randomkey")
    add("hset", lambda: r.hset(h, mapping={"f1": "v1", "f2": "v2", "n": "5"}))
    add("hset kv", lambda: r.hset(h, "f3", "v3"))
    add("hsetnx", lambda: (r.hsetnx(h, "f1", "x"), r.hsetnx(h, "f9", "x")))
    add("hget", lambda: (r.hget(h, "f1"), r.hget(h, "zz"), r.hget("nosuch", "f")))
    add("hmget", lambda: r.hmget(h, ["f1", "zz", "f2"]))
    add("hmset", lambda: r.execute_command("HMSET", g, "a", "1", "b", "2"))
    add("hgetall", lambda: r.hgetall(h))
    add("hgetall missing", lambda: r.hgetall("nosuch"))
    add("hkeys", lambda: r.hkeys(h))
    add("hvals", lambda: r.hvals(h))
    add("hlen", lambda: r.hlen(h))
    add("hexists", lambda: (r.hexists(h, "f1"), r.hexists(h, "zz")))
    add("hincrby", lambda: r.hincrby(h, "n", 10))
    add("hincrby err", lambda: r.hincrby(h, "f1", 1))
    add("hincrbyfloat", lambda: r.hincrbyfloat(h, "n", 0.5))
    add("hstrlen", lambda: r.hstrlen(h, "f1"))
    add("hdel", lambda: r.hdel(h, "f1", "zz"))
    add("hrandfield", lambda: (r.hrandfield(g), r.hgetall(g)), "hrandfield")
    add("hrandfield count", lambda: sorted(r.hrandfield(g, 5)))
    add("hrandfield withvalues", lambda: (r.hrandfield(g, -3, withvalues=True), r.hgetall(g)),
        "hrandfield withvalues")
    add("hscan_iter", lambda: sorted(r.hscan_iter(h, count=1)))
    add("hscan_iter match", lambda: sorted(r.hscan_iter(h, match="f*")))
    add("wrongtype", lambda: r.get(h))
    add("wrongtype hash", lambda: r.hget(W0[8], "x"))
    add("unknown", lambda: r.execute_command("NOSUCH", "a", "b"))
    add("arity", lambda: r.execute_command("GET"))
    add("dbsize", lambda: r.dbsize())
    add("move", lambda: (r.set(W0[11], "m"), r.move(W0[11], 3)))
    add("swapdb", lambda: r.swapdb(0, 3))
    add("dbsize swapped", lambda: r.dbsize())
    add("swapdb back", lambda: r.swapdb(0, 3))
    add("select via client", lambda: redis.Redis(port=r.connection_pool.connection_kwargs["port"],
                                                 db=3).get(W0[11]))
    add("select out of range", lambda: redis.Redis(
        port=r.connection_pool.connection_kwargs["port"], db=16).ping())
    add("client_setname", lambda: r.client_setname("py-client"))
    add("client_getname", lambda: r.client_getname())
    add("client_id", lambda: r.client_id(), "client_id")
    add("client_list", lambda: r.client_list(), "client_list")
    add("client_info", lambda: r.client_info(), "client_info")
    add("info", lambda: r.info(), "info")
    add("info keyspace", lambda: r.info("keyspace"), "info keyspace")
    add("info stats", lambda: r.info("stats"), "info")
    add("info commandstats", lambda: r.info("commandstats"), "info commandstats")
    add("config_get", lambda: r.config_get("maxmemory*"), "config_get")
    add("config_set", lambda: (r.config_set("maxmemory", "1mb"), r.config_get("maxmemory"),
                               r.config_set("maxmemory", 0)))
    add("config_set bad", lambda: r.config_set("maxmemory-policy", "bogus"))
    add("time", lambda: r.time(), "time")
    add("slowlog", lambda: (r.config_set("slowlog-log-slower-than", 0), r.slowlog_reset(),
                            r.get(W1[12]), r.set(W0[12], "x"), r.slowlog_len()))
    add("slowlog_get", lambda: r.slowlog_get(2), "slowlog_get")
    add("slowlog off", lambda: (r.config_set("slowlog-log-slower-than", 10000),
                                r.slowlog_reset()))
    add("command_count", lambda: r.command_count(), "command_count")
    add("command", lambda: r.command(), "command")
    add("pipeline", lambda: _pipeline(r))
    add("flushdb", lambda: (r.flushdb(), r.dbsize()))
    add("flushall", lambda: (r.flushall(), r.dbsize()))
    return S


def _pipeline(r):
    p = r.pipeline(transaction=False)
    for i in range(50):
        k = (W0 + W1)[i % 60 if i % 60 < 60 else 0]
        p.set(k, i)
        p.incr(k)
        p.get(k)
        p.hset("ph", k, i)
    p.hgetall("ph")
    p.mget(W0[:5] + W1[:5])
    p.get("x")
    p.execute_command("NOSUCH")
    return p.execute(raise_on_error=False)


def _norm_result(v):
    """Exceptions inside results (pipelines) as comparable tuples."""
    if isinstance(v, Exception):
        return ("EXC", type(v).__name__, str(v))
    if isinstance(v, list):
        return [_norm_result(e) for e in v]
    return v


def check_python_redis(env, red, dp, ctx, nworkers):
    rc = redis.Redis(port=red.port, socket_timeout=10)
    dc = redis.Redis(port=dp.port, socket_timeout=10)
    rc.flushall()
    dc.flushall()
    rsteps, dsteps = _py_steps(rc, nworkers), _py_steps(dc, nworkers)
    for (label, rfn, cmp), (_, dfn, _) in zip(rsteps, dsteps):
        x = _norm_result(_call(rfn))
        y = _norm_result(_call(dfn))
        if isinstance(x, tuple) and x[:1] == ("EXC",) or isinstance(y, tuple) and y[:1] == ("EXC",):
            ok = x == y
        elif cmp == "eq":
            ok = x == y
        else:
            try:
                ok = PY_NORMALIZATIONS[cmp][0](x, y)
            except Exception as e:  # a result of the wrong shape
                ok = False
                y = (y, "comparison raised %r" % e)
        if env.verbose:
            print("    %-24s redis=%s dpcache=%s" % (label, show(x, 200), show(y, 200)))
        env.check(ctx, ok, "python3-redis step %r\n    redis:   %s\n    dpcache: %s"
                  % (label, show(x, 1500), show(y, 1500)))
    rc.close()
    dc.close()


# =============================================================================================

def main():
    env = itlib.Env(__doc__)
    try:
        for nworkers in env.workers:
            red = itlib.Redis(env).start()
            dp = itlib.Dpcache(env, workers=nworkers, extra=["--save", ""]).start()
            try:
                for name, fn in (("cli_modes", check_cli_modes), ("cli_stdin", check_cli_stdin),
                                 ("cli_tools", check_cli_tools)):
                    ctx = "w%d/%s" % (nworkers, name)
                    env.run_check(ctx, fn, env, red, dp, ctx)
                ctx = "w%d/python_redis" % nworkers
                env.run_check(ctx, check_python_redis, env, red, dp, ctx, nworkers)
            finally:
                itlib.stop_and_check(env, dp, "w%d/shutdown" % nworkers)
                red.stop()
    finally:
        env.finish()


if __name__ == "__main__":
    main()
