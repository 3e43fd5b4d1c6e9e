#!/usr/bin/env python3
"""UDP RESP framing against a running dpcache (posix on loopback, or native in a namespace):
requests, pipelined commands in one datagram, replies split over several datagrams with exact
content, AUTH in the datagram, malformed frames ignored, per-core ports.

    test_udp.py --host 127.0.0.1 --port 7000 [--core-port-base 8000 --workers 2]
"""
import argparse
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from udp_client import HDR, encode, request  # noqa: E402


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok -", what)


def check_quiet(cond, what):
    if not cond:
        raise AssertionError(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--core-port-base", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--payload", type=int, default=1400, help="payload bytes per datagram")
    a = ap.parse_args()
    h, p = a.host, a.port

    r, n = request(h, p, ["PING"])
    check(r == b"+PONG\r\n" and n == 1, "PING over UDP")
    r, _ = request(h, p, ["SET", "udp:k", "v1"])
    check(r == b"+OK\r\n", "SET")
    r, _ = request(h, p, ["GET", "udp:k"])
    check(r == b"$2\r\nv1\r\n", "GET")
    # several commands in one datagram: replies concatenated
    r, _ = request(h, p, None, raw=encode(["INCR", "udp:n"]) + encode(["INCR", "udp:n"]))
    check(r == b":1\r\n:2\r\n", "pipelined commands in one datagram")
    # a reply larger than one datagram: split, reassembled in order, exact content
    # (built with APPENDs of 1000 bytes: a request must fit one unfragmented datagram)
    big = bytes((i * 7 + 3) % 251 for i in range(50000))
    request(h, p, ["DEL", "udp:big"])
    for off in range(0, len(big), 1000):
        r, _ = request(h, p, ["APPEND", "udp:big", big[off:off + 1000]])
        check_quiet(r == b":%d\r\n" % (off + 1000), "APPEND at %d" % off)
    print("ok - a 50000-byte value built over UDP")
    r, n = request(h, p, ["GET", "udp:big"])
    want = b"$50000\r\n" + big + b"\r\n"
    check(n == (len(want) + a.payload - 1) // a.payload and n > 1,
          "GET split over %d datagrams" % n)
    check(r == want, "the reassembled reply is byte-exact")
    # malformed frames get no reply: bad header, empty payload
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    for frame in (HDR.pack(1, 1, 1, 0) + encode(["PING"]), HDR.pack(2, 0, 2, 0) + encode(["PING"]),
                  HDR.pack(3, 0, 1, 7) + encode(["PING"]), HDR.pack(4, 0, 1, 0), b"\x00\x01"):
        s.sendto(frame, (h, p))
        try:
            d = s.recv(65536)
            raise AssertionError("malformed frame %r answered with %r" % (frame[:8], d))
        except socket.timeout:
            pass
    print("ok - malformed frames are not answered")
    r, _ = request(h, p, None, raw=b"*2\r\n$3\r\nGET\r\n$5\r\nud")
    check(r.startswith(b"-ERR incomplete request"), "an incomplete command gets an error")
    # per-core ports answer too
    for i in range(a.workers if a.core_port_base else 0):
        r, _ = request(h, a.core_port_base + i, ["GET", "udp:k"])
        check(r == b"$2\r\nv1\r\n", "core port %d" % (a.core_port_base + i))
    print("all UDP checks passed")


if __name__ == "__main__":
    main()
