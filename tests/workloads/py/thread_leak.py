# SPDX-License-Identifier: GPL-2.0-only
"""Two threads, each leaking its own type from its own function while they
take turns on the GIL (switch interval 0.5 ms): alpha_leak() keeps Alpha
instances and beta_leak() Beta instances, each in its own list, every ~2 ms
between two bits of churn.

    thread_leak.py [--seconds S] [--hold H]   (see wl.py)

Prints "ready <pid>" once both threads run."""

import sys
import threading
import time

import noise
import wl


class Alpha:
    pass


class Beta:
    pass


alphas = []
betas = []


def alpha_leak():
    alphas.append(Alpha())  # LEAK:alpha_leak


def beta_leak():
    betas.append(Beta())  # LEAK:beta_leak


def alpha_worker():
    while wl.running():
        noise.churn(5)
        alpha_leak()
        noise.churn(5)
        time.sleep(0.002)


def beta_worker():
    while wl.running():
        noise.churn(5)
        beta_leak()
        noise.churn(5)
        time.sleep(0.002)


def main():
    wl.start()
    wl.sizes(Alpha, Beta)
    sys.setswitchinterval(0.0005)
    noise.cache_fill()
    workers = [threading.Thread(target=alpha_worker, name="alpha"),
               threading.Thread(target=beta_worker, name="beta")]
    for t in workers:
        t.start()
    wl.ready()
    while wl.running():
        time.sleep(0.05)
    for t in workers:
        t.join()
    wl.finish()


main()
