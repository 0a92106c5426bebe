# SPDX-License-Identifier: GPL-2.0-only
"""Leaks one Record (an instance with a list) every ~10 ms into a
module-level list, next to churn and a bounded cache that do not leak.

    container_leak.py [--seconds S] [--hold H]   (see wl.py)

Prints "ready <pid>" once the loop starts (the cache is full by then)."""

import time

import noise
import wl


class Record:
    def __init__(self, i):
        self.i = i
        self.tags = [i, i + 1, i + 2]  # LEAK:record_tags


kept = []


def leak_record(i):
    kept.append(Record(i))  # LEAK:leak_record


def main():
    wl.start()
    wl.sizes(Record, list)
    noise.cache_fill()
    wl.ready()
    i = 0
    while wl.running():
        leak_record(i)
        noise.churn(10)
        noise.cache_put()
        i += 1
        time.sleep(0.01)
    wl.finish()


main()
