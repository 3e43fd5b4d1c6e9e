#!/usr/bin/python3
"""Runs the UDP framing client test (test_udp.py) against dpcache with 1 and 2 workers: the
posix stack on loopback, or with --stack native the native stack on its TAP port inside a
network namespace this script creates (tests/integration/itlib.py). Each run is bounded.

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


def check_udp(env, ctx, workers):
    dp = itlib.Dpcache(env, workers=workers, extra=["--save", ""]).start()
    try:
        r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "test_udp.py"),
                            "--host", dp.host, "--port", str(dp.port),
                            "--core-port-base", str(dp.core_base), "--workers", str(workers),
                            "--payload", str(PAYLOAD[env.stack])],
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
    finally:
        env.finish()


if __name__ == "__main__":
    main()
