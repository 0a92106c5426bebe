# SPDX-License-Identifier: GPL-2.0-only
"""Leaks 4096-byte blocks from libc's malloc called through ctypes, every
~10 ms: the pointer is dropped, the block never freed.

    ctypes_leak.py [--seconds S] [--hold H]   (see wl.py)

Prints "ready <pid>" once the loop starts."""

import ctypes
import time

import noise
import wl

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]

BLOCK = 4096


def leak_native():
    libc.malloc(BLOCK)  # LEAK:leak_native


def main():
    wl.start()
    noise.cache_fill()
    leak_native()  # every lazy set-up of the call path done before ready
    wl.ready()
    while wl.running():
        leak_native()
        noise.churn(10)
        noise.cache_put()
        time.sleep(0.01)
    wl.finish()


main()
