# SPDX-License-Identifier: GPL-2.0-only
"""The noise that is not a leak, shared by the Python workloads: churn()
makes and drops objects (instances, lists, dicts); cache_put() keeps a
bounded cache of CACHE_ENTRIES entries, full before the ready line, that
turns over and never grows."""

CACHE_ENTRIES = 50


class Scratch:
    def __init__(self, n):
        self.n = n
        self.items = [n] * 4


cache = {}
_next = 0


def churn(n):
    tmp = [Scratch(j) for j in range(n)]
    table = {"n": n, "items": [j for j in range(n)]}
    table["copy"] = dict(table)
    return len(tmp) + len(table)


def cache_put():
    global _next
    cache.pop(_next - CACHE_ENTRIES, None)
    cache[_next] = [Scratch(_next), {"at": _next}]
    _next += 1


def cache_fill():
    for _ in range(CACHE_ENTRIES):
        cache_put()
