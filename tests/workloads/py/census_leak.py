# SPDX-License-Identifier: GPL-2.0-only
"""Leaks one auth.sessions.Session every ~10 ms into the module-level dict
auth.sessions._ACTIVE, beside a bounded list of Steady objects that turns
over without growing, and the churn and cache of noise.py.

    census_leak.py [--seconds S] [--hold H]   (see wl.py)

Prints "ready <pid>" once the loop starts (the steady list and the cache are
full by then), and with "holding" the line "sessions N steady M": how many
of each are alive in the hold."""

import sys
import time

import noise
import wl
from auth import sessions


def main():
    wl.start()
    wl.sizes(sessions.Session)
    noise.cache_fill()
    for i in range(sessions.STEADY_KEPT):
        sessions.touch(i)
    wl.ready()
    i = 0
    while wl.running():
        sessions.login(i)
        sessions.touch(i)
        noise.churn(10)
        noise.cache_put()
        i += 1
        time.sleep(0.01)
    sys.stdout.write("sessions %d steady %d\n" % (len(sessions._ACTIVE), len(sessions._RECENT)))
    sys.stdout.flush()
    wl.finish()


main()
