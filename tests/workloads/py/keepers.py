# SPDX-License-Identifier: GPL-2.0-only
"""Where holders_leak.py keeps its Item objects, one kind of holder a run,
each reachable from this module by one chain only (so that the shortest
chain leaktrace finds is the one the test expects):

    set        CACHE, a module-level set
    closure    keep(), a function whose closure cell 'items' holds a list
    class      Registry.entries, a class attribute
    values     STORE.kept, an attribute of an instance whose __dict__ is never
               made (3.11+ keep it in a values array; 3.13 inline)
    funcattr   lookup.cache, a dict set as a function's attribute
    traceback  ERRORS, a list of tracebacks, each keeping the frame of
               fail(), whose local 'batch' holds a list
    defaults   remember(), whose default 'seen' (__defaults__[0]) is a list
    kwdefaults note(), whose keyword-only default 'log' (__kwdefaults__) is
               a dict
    slots      SLOTTED.kept, a __slots__ member of an instance with no
               __dict__ (of a class whose base has slots too)
    generator  PENDING, a list of generators suspended in produce(), whose
               local 'batch' holds a list"""


class Item:
    def __init__(self, n):
        self.n = n


CACHE = set()


def make_keeper():
    items = []

    def keep(x):
        items.append(x)
    return keep


keep = make_keeper()


class Registry:
    entries = []


class Store:
    def __init__(self):
        self.name = "store"
        self.kept = []


STORE = Store()


def lookup():
    pass


lookup.cache = {}
ERRORS = []


def fail(n):
    batch = [Item(n)]
    raise ValueError("batch %d failed" % len(batch))


class Named:
    __slots__ = ("name",)


class Slotted(Named):
    __slots__ = ("kept", "spare")

    def __init__(self):
        self.name = "slotted"
        self.kept = []


SLOTTED = Slotted()


PENDING = []


def produce(n):
    batch = [Item(n)]
    yield len(batch)


def remember(x, seen=[]):
    seen.append(x)


def note(x, *, log={}):
    log[x.n] = x


def leak(holder, n):
    if holder == "set":
        CACHE.add(Item(n))
    elif holder == "closure":
        keep(Item(n))
    elif holder == "class":
        Registry.entries.append(Item(n))
    elif holder == "values":
        STORE.kept.append(Item(n))
    elif holder == "funcattr":
        lookup.cache[n] = Item(n)
    elif holder == "traceback":
        try:
            fail(n)
        except ValueError as e:
            ERRORS.append(e.__traceback__)
    elif holder == "defaults":
        remember(Item(n))
    elif holder == "kwdefaults":
        note(Item(n))
    elif holder == "slots":
        SLOTTED.kept.append(Item(n))
    elif holder == "generator":
        gen = produce(n)
        next(gen)
        PENDING.append(gen)
    else:
        raise SystemExit("unknown holder %r" % holder)
