# SPDX-License-Identifier: GPL-2.0-only
"""Keeps every caught exception alive with its traceback: keep_failure()
stores sys.exc_info() of a LeakError raised in fail(), every ~10 ms. Each
one keeps the exception, its traceback objects and the frames they hold.

    exc_leak.py [--seconds S] [--hold H]   (see wl.py)

Prints "ready <pid>" once the loop starts."""

import sys
import time

import noise
import wl


class LeakError(Exception):
    pass


saved = []


def fail(i):
    raise LeakError(i)  # LEAK:raise


def keep_failure(i):
    try:
        fail(i)
    except LeakError:
        saved.append(sys.exc_info())  # LEAK:store


def main():
    wl.start()
    wl.sizes(LeakError, tuple)
    noise.cache_fill()
    wl.ready()
    i = 0
    while wl.running():
        keep_failure(i)
        noise.churn(10)
        noise.cache_put()
        i += 1
        time.sleep(0.01)
    wl.finish()


main()
