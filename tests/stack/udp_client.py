#!/usr/bin/env python3
"""dpcache UDP RESP framing client (docs/protocol.md "UDP framing"), for tests and operators.

    udp_client.py HOST PORT CMD [ARG ...]     # one request, prints the reply
Import it to use request() from tests.
"""
import random
import socket
import struct
import sys

HDR = struct.Struct(">HHHH")


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def request(host, port, args, timeout=2.0, tries=3, sock=None, req_id=None, raw=None):
    """Send one request, return (reply bytes, number of datagrams). Retries on timeout."""
    own = sock is None
    s = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        for _ in range(tries):
            rid = req_id if req_id is not None else random.randrange(65536)
            payload = raw if raw is not None else encode(args)
            s.sendto(HDR.pack(rid, 0, 1, 0) + payload, (host, port))
            parts, total = {}, None
            try:
                while total is None or len(parts) < total:
                    d, _ = s.recvfrom(65536)
                    r, seq, tot, res = HDR.unpack(d[:8])
                    if r != rid:
                        continue  # a late answer to an earlier try
                    if res != 0 or tot == 0 or seq >= tot or (total is not None and tot != total):
                        raise ValueError("bad reply header %r" % (d[:8],))
                    total = tot
                    parts[seq] = d[8:]
            except socket.timeout:
                continue
            return b"".join(parts[i] for i in range(total)), total
        raise TimeoutError("no reply from %s:%d" % (host, port))
    finally:
        if own:
            s.close()


if __name__ == "__main__":
    reply, n = request(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
    sys.stdout.write(repr(reply) + (" (%d datagrams)\n" % n))
