# SPDX-License-Identifier: GPL-2.0-only
"""The leak of census_leak.py: every login keeps a Session in the
module-level dict _ACTIVE, under its user's key, and nothing removes it.
Steady objects are kept too, in a bounded list that turns over."""

STEADY_KEPT = 200


class Session:
    def __init__(self, user):
        self.user = user
        self.scopes = ("read",)


class Steady:
    def __init__(self, n):
        self.n = n


_ACTIVE = {}
_RECENT = []


def login(i):
    _ACTIVE["u-%d" % i] = Session(i)  # LEAK:login


def touch(i):
    _RECENT.append(Steady(i))
    if len(_RECENT) > STEADY_KEPT:
        del _RECENT[0]
