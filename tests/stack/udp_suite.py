#!/usr/bin/python3
"""Runs the UDP framing client test (test_udp.py) against dpcache with 1 and 2 workers: the
posix stack on loopback, or with --stack native the native stack on its TAP port inside a
network namespace this script creates (tests/integration/itlib.py), there also asked for a
9000-byte MTU that the TAP port refuses. Each run is bounded.

Run: /usr/bin/python3 tests/stack/udp_suite.py --dpcache build/dataplane/dpcache [--stack native]
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import itlib  # noqa: E402

# reply payload bytes per datagram: posix UDP_PAYLOAD (stack_posix.c); native MTU - IP - UDP
# - frame header (stack_native.c, 1500 - 20 - 8 - 8)
PAYLOAD = {"posix": 1400, "native": 1464}


def check_udp(env, ctx, workers, mtu=None):
    extra = ["--save", ""] + (["--native-mtu", str(mtu)] if mtu else [])
    payload = PAYLOAD[env.stack]
    dp = itlib.Dpcache(env, workers=workers, extra=extra).start()
    try:
        r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "test_udp.py"),
                            "--host", dp.host, "--port", str(dp.port),
                            "--core-port-base", str(dp.core_base), "--workers", str(workers),
                            "--payload", str(payload)],
                           capture_output=True, timeout=180)
        out = (r.stdout + r.stderr).decode("utf-8", "replace")
        if env.verbose:
            print(out)
        env.check(ctx, r.returncode == 0, "test_udp.py exit status %d:\n%s"
                  % (r.returncode, out[-3000:]))
    finally:
        itlib.stop_and_check(env, dp, ctx)


def main():
    env = itlib.Env(__doc__)
    try:
        for workers in env.workers:
            ctx = "%s/w%d/udp" % (env.stack, workers)
            env.run_check(ctx, check_udp, env, ctx, workers)
        if env.stack == "native":
            # --native-mtu 9000 on a port that cannot take it (net_tap's frames stop at 1522
            # bytes): the stack must size its datagrams from the device's MTU, 1500, and
            # still answer (it used to send 9000-byte frames the port dropped)
            ctx = "native/w1/udp-mtu9000-refused"
            env.run_check(ctx, check_udp, env, ctx, 1, 9000)
    finally:
        env.finish()


if __name__ == "__main__":
    main()
