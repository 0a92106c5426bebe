# SPDX-License-Identifier: GPL-2.0-only
"""No leak at all: the churn and bounded cache of container_leak.py alone.

    quiet.py [--seconds S] [--hold H]   (see wl.py)

Prints "ready <pid>" once the loop starts (the cache is full by then)."""

import time

import noise
import wl


def main():
    wl.start()
    noise.cache_fill()
    wl.ready()
    while wl.running():
        noise.churn(10)
        noise.cache_put()
        time.sleep(0.01)
    wl.finish()


main()
