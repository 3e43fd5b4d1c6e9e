#!/usr/bin/python3
"""Limits, compared with redis-server 7.0.15: the small limits before AUTH (10 arguments, 16 KiB
bulks), proto-max-bulk-len, client-query-buffer-limit closing the client, the output buffer
limit, and large values (1 MiB and 16 MiB) through raw RESP and python3-redis, on keys of both
partitions of a 2-worker dpcache.

Run: /usr/bin/python3 tests/integration/test_limits.py --dpcache build/dataplane/dpcache
"""

import hashlib
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import itlib  # noqa: E402
from itlib import Conn, encode, show  # noqa: E402
from test_compat import Pair, W0, W1  # noqa: E402

itlib.require_modules()
import redis  # noqa: E402

MiB = 1 << 20


ECHO_SENTINEL = (encode("ECHO", "sentinel"), b"$8\r\nsentinel\r\n")
# before AUTH every known command answers NOAUTH; an unknown one is refused before the auth check
PREAUTH_SENTINEL = (encode("sentinel-cmd"),
                    b"-ERR unknown command 'sentinel-cmd', with args beginning with: \r\n")


def _stream(env, ctx, red_port, dp_port, data, closes, what, timeout=5.0,
            sentinel=ECHO_SENTINEL):
    """Send data on fresh connections to both; compare everything received until close (or,
    when the connection must stay open, until the reply of a sentinel command sent after)."""
    tail = b"" if closes or not sentinel else sentinel[0]
    until = None if closes or not sentinel else sentinel[1]
    with Conn(red_port, timeout=timeout) as r, Conn(dp_port, timeout=timeout) as d:
        def go(c):
            try:
                c.send(data + tail)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return c.read_until_close(timeout, until=until)
        (rb, rc), (db, dc) = itlib.parallel(lambda: go(r), lambda: go(d))
    env.check(ctx, (rb, rc) == (db, dc), "%s\n    redis:   %s closed=%s\n    dpcache: %s closed=%s"
              % (what, show(rb), rc, show(db), dc))
    env.check(ctx, rc == closes, "%s: redis itself closed=%s (test expects %s)" % (what, rc, closes))
    return db, dc


def check_preauth(env, ctx):
    for workers in env.workers:
        c2 = "w%d/%s" % (workers, ctx)
        red = itlib.Redis(env, extra=["--requirepass", "pw"]).start()
        dp = itlib.Dpcache(env, workers=workers, extra=["--requirepass", "pw"]).start()
        try:
            _stream(env, c2, red.port, dp.port, b"*11\r\n", True, "*11 before AUTH")
            _stream(env, c2, red.port, dp.port, b"*1000000\r\n", True, "*1000000 before AUTH")
            _stream(env, c2, red.port, dp.port, b"*10\r\n" + b"".join(
                encode("x")[4:] for _ in range(10)), False, "*10 before AUTH", sentinel=PREAUTH_SENTINEL)
            _stream(env, c2, red.port, dp.port, b"*1\r\n$16385\r\n", True, "$16385 before AUTH")
            _stream(env, c2, red.port, dp.port, b"*2\r\n$4\r\nAUTH\r\n$100000\r\n", True,
                    "AUTH with a 100000-byte bulk")
            _stream(env, c2, red.port, dp.port, b"*1\r\n$16384\r\n" + b"P" * 16384 + b"\r\n",
                    False, "$16384 before AUTH", sentinel=PREAUTH_SENTINEL)
            _stream(env, c2, red.port, dp.port, encode("SET", "k", "v" * 16384), False,
                    "SET with a 16384-byte value before AUTH",
                    sentinel=PREAUTH_SENTINEL)
            _stream(env, c2, red.port, dp.port, encode("AUTH", "pw") + b"*11\r\n" + b"".join(
                encode("x")[4:] for _ in range(11)), False, "*11 after AUTH")
            _stream(env, c2, red.port, dp.port, encode("AUTH", "pw") + encode(
                "SET", W1[0], "v" * 100000) + encode("STRLEN", W1[0]), False,
                "100000-byte bulk after AUTH")
            _stream(env, c2, red.port, dp.port, encode("AUTH", "wrong") + b"*11\r\n", True,
                    "*11 after a failed AUTH")
            # inline before AUTH (inline commands are limited by the 64 KiB inline limit only)
            _stream(env, c2, red.port, dp.port, b"PING " + b"a " * 20 + b"\r\n", False,
                    "inline with 21 words before AUTH",
                    sentinel=PREAUTH_SENTINEL)
        finally:
            itlib.stop_and_check(env, dp, c2)
            red.stop()


def check_proto_max_bulk_len(env, ctx):
    for workers in env.workers:
        c2 = "w%d/%s" % (workers, ctx)
        red = itlib.Redis(env, extra=["--proto-max-bulk-len", "1mb"]).start()
        dp = itlib.Dpcache(env, workers=workers, extra=["--proto-max-bulk-len", "1mb"]).start()
        try:
            _stream(env, c2, red.port, dp.port, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n",
                    True, "bulk of 1 MiB + 1 with proto-max-bulk-len 1mb")
            _stream(env, c2, red.port, dp.port, encode("SET", W0[1], b"x" * MiB) +
                    encode("STRLEN", W0[1]), False, "bulk of exactly 1 MiB")
            _stream(env, c2, red.port, dp.port, encode("SETRANGE", W0[1], str(MiB), "x"), False,
                    "SETRANGE past proto-max-bulk-len")
            _stream(env, c2, red.port, dp.port, encode("APPEND", W0[1], "x"), False,
                    "APPEND past proto-max-bulk-len")
            with Conn(red.port) as r, Conn(dp.port) as d:
                p = Pair(env, c2, r, d, 2, workers)
                p.c("CONFIG", "GET", "proto-max-bulk-len")
                p.c("CONFIG", "SET", "proto-max-bulk-len", "1000", norm="proto-max-bulk-len")
                p.c("CONFIG", "SET", "proto-max-bulk-len", "abc")
                p.c("CONFIG", "SET", "proto-max-bulk-len", "4gb", norm="proto-max-bulk-len")
                p.c("CONFIG", "SET", "proto-max-bulk-len", "2147483647")
                p.c("CONFIG", "SET", "proto-max-bulk-len", "2147483648", norm="proto-max-bulk-len")
                p.c("CONFIG", "SET", "proto-max-bulk-len", "2mb")
                p.c("CONFIG", "GET", "proto-max-bulk-len")
            _stream(env, c2, red.port, dp.port, encode("SET", W1[1], b"y" * (MiB + 1)) +
                    encode("STRLEN", W1[1]), False, "1 MiB + 1 after CONFIG SET 2mb")
            _stream(env, c2, red.port, dp.port, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097153\r\n",
                    True, "bulk of 2 MiB + 1 after CONFIG SET 2mb")
        finally:
            itlib.stop_and_check(env, dp, c2)
            red.stop()


def check_query_buffer_limit(env, ctx):
    for workers in env.workers:
        c2 = "w%d/%s" % (workers, ctx)
        red = itlib.Redis(env, extra=["--client-query-buffer-limit", "1mb"]).start()
        dp = itlib.Dpcache(env, workers=workers,
                           extra=["--client-query-buffer-limit", "1mb"]).start()
        try:
            # one argument bigger than the query buffer limit, sent in full: closed, no reply
            _stream(env, c2, red.port, dp.port, encode("SET", W0[2], b"z" * (3 * MiB)), True,
                    "3 MiB argument with client-query-buffer-limit 1mb", timeout=10)
            # a 3 MiB pipeline of small commands: processed as it arrives, not closed
            pipe = b"".join(encode("SET", "q:%d" % i, b"v" * 100) for i in range(25000))
            db, dc = _stream(env, c2, red.port, dp.port, pipe, False,
                             "3 MiB pipeline of small commands", timeout=30)
            env.check(c2, db.count(b"+OK\r\n") == 25000, "pipeline replies: %d OK"
                      % db.count(b"+OK\r\n"))
            for srv in (red, dp):
                with Conn(srv.port) as c:
                    env.check(c2, c.raw("PING") == b"+PONG\r\n", "%s alive" % srv.kind)
                    # a closed client is gone once its close completes (on the native stack,
                    # when the peer acknowledged the last reply and the FIN): allow a moment
                    deadline = time.monotonic() + 10
                    info = c.call("INFO", "clients").decode()
                    while "connected_clients:1\r" not in info and time.monotonic() < deadline:
                        time.sleep(0.1)
                        info = c.call("INFO", "clients").decode()
                    env.check(c2, "connected_clients:1\r" in info,
                              "%s: the closed clients are still counted: %s" % (srv.kind, info))
            with Conn(red.port) as r, Conn(dp.port) as d:
                p = Pair(env, c2, r, d, 2, workers)
                p.c("CONFIG", "GET", "client-query-buffer-limit")
                p.c("CONFIG", "SET", "client-query-buffer-limit", "100")
                p.c("CONFIG", "SET", "client-query-buffer-limit", "4mb")
                p.c("CONFIG", "GET", "client-query-buffer-limit")
            _stream(env, c2, red.port, dp.port, encode("SET", W1[2], b"z" * (3 * MiB)) +
                    encode("STRLEN", W1[2]), False, "3 MiB argument with the limit at 4mb",
                    timeout=10)
        finally:
            itlib.stop_and_check(env, dp, c2)
            red.stop()


def check_output_buffer_limit(env, ctx):
    """client-output-buffer-limit normal: a client that does not read its replies is closed."""
    for workers in env.workers:
        c2 = "w%d/%s" % (workers, ctx)
        opt = ["--client-output-buffer-limit", "normal 1mb 0 0"]
        red = itlib.Redis(env, extra=opt).start()
        dp = itlib.Dpcache(env, workers=workers, extra=opt).start()
        try:
            with Conn(red.port) as r, Conn(dp.port) as d:
                p = Pair(env, c2, r, d, 2, workers)
                p.c("CONFIG", "GET", "client-output-buffer-limit")
                p.c("SET", W1[3], b"o" * (4 * MiB))
            # a GET of 4 MiB with a 1 MiB hard limit: the client is closed without the value
            for srv in (red, dp):
                with Conn(srv.port, timeout=10) as c:
                    c.send(encode("GET", W1[3]))
                    data, closed = c.read_until_close(5)
                    env.check(c2, closed and len(data) < 4 * MiB,
                              "%s: 4 MiB reply over a 1 MiB output limit: %d bytes, closed=%s"
                              % (srv.kind, len(data), closed))
                with Conn(srv.port) as c:
                    env.check(c2, c.raw("PING") == b"+PONG\r\n", "%s alive" % srv.kind)
        finally:
            itlib.stop_and_check(env, dp, c2)
            red.stop()


def check_big_values(env, ctx):
    """1 MiB and 16 MiB values: SET/GET/STRLEN/GETRANGE/APPEND/HSET/HGET/MSET/MGET/GETDEL,
    remote keys included; raw bytes compared with Redis; a slow reader; python3-redis."""
    for workers in env.workers:
        c2 = "w%d/%s" % (workers, ctx)
        red = itlib.Redis(env).start()
        dp = itlib.Dpcache(env, workers=workers).start()
        try:
            for size in (MiB, 16 * MiB):
                val = os.urandom(size // 2).hex().encode()
                dig = hashlib.sha256(val).hexdigest()
                for key in (W0[4], W1[4]):
                    with Conn(red.port, timeout=60) as r, Conn(dp.port, timeout=60) as d:
                        p = Pair(env, c2, r, d, 2, workers)
                        p.c("SET", key, val)
                        p.c("STRLEN", key)
                        rv, dv = p.c("GET", key)
                        env.check(c2, isinstance(dv, bytes) and hashlib.sha256(dv).hexdigest() == dig,
                                  "%d-byte value of %s corrupted" % (size, key))
                        p.c("GETRANGE", key, str(size - 10), "-1")
                        p.c("GETRANGE", key, "0", "9")
                        p.c("APPEND", key, "tail")
                        p.c("GETRANGE", key, "-8", "-1")
                        p.c("SETRANGE", key, str(size // 2), "MIDDLE")
                        p.c("GETRANGE", key, str(size // 2 - 2), str(size // 2 + 8))
                        p.c("HSET", "h" + key, "f", val, "g", "small")
                        p.c("HSTRLEN", "h" + key, "f")
                        p.c("HGET", "h" + key, "f")
                        p.c("MSET", W0[5], val, W1[5], val)
                        p.c("MGET", W0[5], W1[5], key)
                        p.c("GETSET", W0[5], "x")
                        p.c("GETDEL", W1[5])
                        p.c("RENAME", key, W1[6] if key == W0[4] else W0[6])
                        p.c("GETEX", W1[6] if key == W0[4] else W0[6], "EX", "100")
                        p.c("DEL", W0[4], W1[4], W0[5], W1[5], W0[6], W1[6], "h" + key)
                # a slow reader of a 16 MiB reply (reads in small chunks with pauses)
                if size == 16 * MiB:
                    with Conn(dp.port, timeout=60) as d:
                        d.raw("SET", W1[7], val)
                        d.send(encode("GET", W1[7]) + encode("PING"))
                        got = b""
                        expect = b"$%d\r\n%s\r\n+PONG\r\n" % (len(val), val)
                        deadline = time.monotonic() + 60
                        while len(got) < len(expect) and time.monotonic() < deadline:
                            d.sock.settimeout(10)
                            chunk = d.sock.recv(65536)
                            if not chunk:
                                break
                            got += chunk
                            if len(got) < 2 * MiB:
                                time.sleep(0.005)
                        env.check(c2, got == expect, "slow reader of 16 MiB: %d of %d bytes"
                                  % (len(got), len(expect)))
                        d.raw("DEL", W1[7])
                # python3-redis
                for srv in (red, dp):
                    cl = redis.Redis(host=itlib.host_of(srv.port), port=srv.port, socket_timeout=60)
                    cl.set(W1[8], val)
                    got = cl.get(W1[8])
                    env.check(c2, got == val, "python3-redis %d bytes through %s" % (size, srv.kind))
                    cl.hset("py" + W0[8], "f", val)
                    env.check(c2, cl.hget("py" + W0[8], "f") == val, "python3-redis HSET/HGET %d"
                              " bytes through %s" % (size, srv.kind))
                    cl.delete(W1[8], "py" + W0[8])
                    cl.close()
                # memory accounting follows the data
                with Conn(dp.port) as d:
                    d.raw("SET", W0[9], val)
                    mem = _info_int(d, "memory", "used_memory")
                    env.check(c2, mem >= size, "used_memory %d < the %d bytes stored" % (mem, size))
                    d.raw("DEL", W0[9])
        finally:
            itlib.stop_and_check(env, dp, c2)
            red.stop()


def _info_int(conn, section, field):
    import re
    t = conn.call("INFO", section).decode()
    m = re.search(r"^%s:(\d+)" % field, t, re.M)
    return int(m.group(1)) if m else -1


def main():
    env = itlib.Env(__doc__)
    try:
        for name, fn in (("preauth", check_preauth),
                         ("proto_max_bulk_len", check_proto_max_bulk_len),
                         ("query_buffer_limit", check_query_buffer_limit),
                         ("output_buffer_limit", check_output_buffer_limit),
                         ("big_values", check_big_values)):
            env.run_check(name, fn, env, name)
    finally:
        env.finish()


if __name__ == "__main__":
    main()
