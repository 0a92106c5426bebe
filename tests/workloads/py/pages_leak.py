# SPDX-License-Identifier: GPL-2.0-only
"""Keeps one 16 KiB bytes object every ~10 ms in a module-level list (new
pages, touched where the bytes are written), next to churn and a bounded
cache that do not leak: for --pages.

    pages_leak.py [--seconds S] [--hold H]   (see wl.py)

Prints "ready <pid>" once the loop starts (the cache is full by then)."""

import time

import noise
import wl

kept = []


def leak_block():
    kept.append(b"x" * 16384)  # LEAK:leak_block


def main():
    wl.start()
    noise.cache_fill()
    wl.ready()
    while wl.running():
        leak_block()
        noise.churn(10)
        noise.cache_put()
        time.sleep(0.01)
    wl.finish()


main()
