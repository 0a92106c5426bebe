# SPDX-License-Identifier: GPL-2.0-only
"""Leaks from a generator and from a coroutine: gen_items() yields GenItem
objects that the consumer keeps, and coro_leak(), an async def run by
asyncio, keeps a CoroItem every ~10 ms; it is also the generator's consumer.

    gen_leak.py [--seconds S] [--hold H]   (see wl.py)

Prints "ready <pid>" once the event loop runs."""

import asyncio

import noise
import wl


class GenItem:
    pass


class CoroItem:
    pass


from_gen = []
from_coro = []


def gen_items():
    while True:
        yield GenItem()  # LEAK:gen_items


async def coro_leak():
    items = gen_items()
    while wl.running():
        from_coro.append(CoroItem())  # LEAK:coro_leak
        from_gen.append(next(items))
        noise.churn(10)
        noise.cache_put()
        await asyncio.sleep(0.01)


async def main():
    wl.ready()
    await coro_leak()


wl.start()
wl.sizes(GenItem, CoroItem)
noise.cache_fill()
asyncio.run(main())
wl.finish()
