# SPDX-License-Identifier: GPL-2.0-only
"""What every Python workload shares, as wl.h does for the C ones: the
"ready <pid>" line, stopping on SIGTERM or SIGINT, and the options

    WORKLOAD.py [--seconds S] [--hold H]

--seconds: run the main loop for S seconds (default: until SIGUSR2, SIGTERM
or SIGINT).
--hold: then wait H seconds more, leaking nothing, before exiting. At exit
CPython frees its module globals, leaks included: with --hold, a tracer's
last reports before the exit still see them.

SIGUSR2 ends the main loop as --seconds running out would; SIGTERM and
SIGINT end the loop and the hold. The line "holding" on stdout says that the
loop is over and the hold begins: a test lets a workload leak until the
tracer's reports show enough, sends SIGUSR2, waits for "holding", checks a
report made after it, and ends the hold with SIGTERM, whatever the speed of
the machine.

A workload calls start() first, fills its bounded caches, then ready(),
loops while running(), and ends with finish(). It exits 0. sizes() tells
the tests the object sizes to expect."""

import os
import signal
import sys
import time

_stop = False
_enough = False
_deadline = None
_hold = 0.0


def _on_stop(signum, frame):
    global _stop
    _stop = True


def _on_enough(signum, frame):
    global _enough
    _enough = True


def _usage():
    sys.exit("usage: %s [--seconds S] [--hold H]" % os.path.basename(sys.argv[0]))


def start():
    global _deadline, _hold
    args = sys.argv[1:]
    if len(args) % 2:
        _usage()
    for opt, val in zip(args[::2], args[1::2]):
        try:
            val = float(val)
        except ValueError:
            _usage()
        if opt == "--seconds":
            _deadline = time.monotonic() + val
        elif opt == "--hold":
            _hold = val
        else:
            _usage()
    signal.signal(signal.SIGTERM, _on_stop)
    signal.signal(signal.SIGINT, _on_stop)
    signal.signal(signal.SIGUSR2, _on_enough)


def sizes(*types):
    """Prints "sizes NAME=BASIC+ITEM ..." on stderr: each type's
    tp_basicsize and tp_itemsize in this interpreter, for checking bytes."""
    sys.stderr.write("sizes %s\n" % " ".join(
        "%s=%d+%d" % (t.__name__, t.__basicsize__, t.__itemsize__) for t in types))
    sys.stderr.flush()


def ready():
    sys.stdout.write("ready %d\n" % os.getpid())
    sys.stdout.flush()


def running():
    return not _stop and not _enough and (_deadline is None or time.monotonic() < _deadline)


def finish():
    """Says "holding T" (T: the wall clock, seconds since the epoch), then
    holds for --hold seconds, unless SIGTERM or SIGINT ended the loop or ends
    the hold."""
    sys.stdout.write("holding %.3f\n" % time.time())
    sys.stdout.flush()
    end = time.monotonic() + _hold
    while not _stop and time.monotonic() < end:
        time.sleep(0.05)
