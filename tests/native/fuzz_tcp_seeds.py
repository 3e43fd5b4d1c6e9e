#!/usr/bin/env python3
"""fuzz_tcp_seeds.py - write seed inputs for fuzz_tcp (tests/native/fuzz_tcp.c) into a directory.

Each seed is a short, realistic conversation in the fuzzer's input format (the layout is
defined by LLVMFuzzerTestOneInput and the op_* readers in fuzz_tcp.c): a passive open with
data both ways, out-of-order data then the gap filled, a burst acknowledged with duplicate ACKs
(fast retransmit), active close to TIME_WAIT and its reuse, a SYN flood into cookies, an active
open. libFuzzer mutates from there.

Usage: fuzz_tcp_seeds.py DIR
"""
import os
import struct
import sys

# op numbers (first byte of an op, taken modulo 10 by the fuzzer)
OP_RAW, OP_SEG, OP_POLL, OP_APP, OP_CONNECT = 0, 1, 5, 6, 8
# common flag choices (fuzz_tcp.c: common[])
ACK, ACKPSH, SYN, FINACK, RST, RSTACK, SYNACK = 0, 1, 2, 3, 4, 5, 6
# steering bits
SEQ_RCV, SEQ_AHEAD, SEQ_BEHIND = 1, 2, 3
ACK_ALL, ACK_UNA, ACK_BEHIND = 1 << 2, 2 << 2, 3 << 2
WND_MAX, WND_ZERO = 16, 32


def header(backlog=4, rcv_wnd=8000, ooo=5000, mss=1460, delack=2, keepalive=0):
    return struct.pack(">BHHHBB", backlog, rcv_wnd - 512, ooo, mss - 64, delack, keepalive)


def seg(t, steer, flags, d=0, data=b"", seq=0, ack=0, wnd=None, opts=b""):
    out = struct.pack(">BBBBBBH", OP_SEG, t, steer, flags, d, len(opts), len(data))
    out += struct.pack(">II", seq, ack)
    if not steer & (WND_MAX | WND_ZERO):
        out += struct.pack(">H", 0xFFFF if wnd is None else wnd)
    return out + opts + data


def poll(units):  # units of 50 us
    return struct.pack(">BH", OP_POLL, units)


def app_write(which, n):  # n < FUZZ_APP_WRITE (3000)
    return struct.pack(">BBBH", OP_APP, which, 0, n)


def app(which, what):
    return struct.pack(">BBB", OP_APP, which, what)


def handshake(t=0, isn=1000):
    return seg(t, WND_MAX, SYN, seq=isn) + seg(t, SEQ_RCV | ACK_ALL | WND_MAX, ACK)


STEADY = SEQ_RCV | ACK_ALL | WND_MAX


def seeds():
    s = {}
    s["echo"] = header() + handshake() + seg(0, STEADY, ACKPSH, data=b"PING\r\n") + \
        app_write(0, 7) + seg(0, STEADY, ACK) + poll(100)
    s["ooo"] = header() + handshake() + \
        seg(0, SEQ_AHEAD | ACK_ALL | WND_MAX, ACKPSH, d=2, data=b"b" * 100) + \
        seg(0, SEQ_AHEAD | ACK_ALL | WND_MAX, ACKPSH, d=4, data=b"c" * 100) + \
        seg(0, STEADY, ACKPSH, data=b"a" * 300) + poll(100)
    s["fastrtx"] = header(rcv_wnd=8000, mss=600) + handshake() + app_write(0, 2900) + app_write(0, 2900) + \
        seg(0, SEQ_RCV | ACK_UNA | WND_MAX, ACK) * 4 + seg(0, STEADY, ACK) + poll(300)
    s["close_tw_reuse"] = header() + handshake() + app(0, 2) + \
        seg(0, STEADY, FINACK) + poll(10) + \
        seg(0, SEQ_AHEAD | WND_MAX, SYN, d=50) + seg(0, STEADY, ACK) + poll(5000)
    s["peer_close"] = header() + handshake() + seg(0, STEADY, FINACK) + app_write(0, 100) + \
        app(0, 2) + seg(0, STEADY, ACK) + poll(10)
    flood = header(backlog=1)
    for t in range(4):
        flood += seg(t, WND_MAX, SYN, seq=5000 + t)
    for t in range(4):
        flood += seg(t, SEQ_RCV | ACK_ALL | WND_MAX, ACKPSH, data=b"x" * 20)
    s["cookies"] = flood + poll(100)
    s["connect"] = header() + struct.pack(">BB", OP_CONNECT, 0) + \
        seg(4, ACK_ALL | WND_MAX, SYNACK, seq=7000) + app_write(0, 2000) + \
        seg(4, STEADY, ACK) + app(0, 2) + seg(4, STEADY, FINACK) + poll(100)
    s["zero_window"] = header() + handshake() + app_write(0, 2900) * 3 + \
        seg(0, SEQ_RCV | ACK_ALL | WND_ZERO, ACK) + poll(20000) + seg(0, STEADY, ACK) + poll(100)
    return s


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(sys.argv[1], "seed_" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
