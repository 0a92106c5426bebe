# SPDX-License-Identifier: GPL-2.0-only
"""Leaks one keepers.Item every ~10 ms into one kind of holder (see
keepers.py), beside the churn and cache of noise.py.

    holders_leak.py HOLDER [--seconds S] [--hold H]   (see wl.py)

Prints "ready <pid>" once the loop starts, and with "holding" the line
"items N": how many it keeps in the hold."""

import sys
import time

import keepers
import noise
import wl


def main():
    holder = sys.argv.pop(1) if len(sys.argv) > 1 else ""
    wl.start()
    keepers.leak(holder, -1)  # an unknown holder ends here
    noise.cache_fill()
    wl.ready()
    i = 0
    while wl.running():
        keepers.leak(holder, i)
        noise.churn(10)
        noise.cache_put()
        i += 1
        time.sleep(0.01)
    sys.stdout.write("items %d\n" % (i + 1))
    sys.stdout.flush()
    wl.finish()


main()
