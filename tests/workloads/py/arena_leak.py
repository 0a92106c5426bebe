# SPDX-License-Identifier: GPL-2.0-only
"""Leaks ROWS Row instances every ~10 ms into a module-level list: enough
memory for pymalloc to map a new arena every few seconds, at whichever
allocation finds the others full (the leak's, or churn's next to it).

    arena_leak.py [--seconds S] [--hold H]   (see wl.py)

Prints "ready <pid>" once the loop starts."""

import time

import noise
import wl

ROWS = 100


class Row:
    __slots__ = ("key", "value", "seq")

    def __init__(self, i):
        self.key = i
        self.value = -i
        self.seq = 0


kept = []


def leak_rows(i):
    for j in range(ROWS):
        kept.append(Row(i * ROWS + j))  # LEAK:leak_rows


def main():
    wl.start()
    wl.sizes(Row)
    noise.cache_fill()
    wl.ready()
    i = 0
    while wl.running():
        leak_rows(i)
        noise.churn(50)
        noise.cache_put()
        i += 1
        time.sleep(0.01)
    wl.finish()


main()
