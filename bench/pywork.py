# SPDX-License-Identifier: GPL-2.0-only
"""pywork: an allocation-heavy Python workload with one seeded leak, for
comparing leaktrace with tracemalloc at the same stack depth.

usage: python3 pywork.py [ROUNDS]   (default 200)

Each round parses a batch of synthetic log lines into record objects (a
class instance with a dict and a list each), aggregates them per key in
dicts, sorts and formats a summary, then drops the batch. Seeded leak:
remember() keeps one record per round in a module-level list. Prints the
main loop's own time on stderr as elapsed=SECONDS, so interpreter start-up
and the tracer's set-up are not counted.
"""
import random
import sys
import time


class Record:
    def __init__(self, key, fields):
        self.key = key
        self.fields = dict(fields)
        self.tags = [f for f in fields if f.startswith("t")]


kept = []


def remember(record):
    kept.append(record)  # the seeded leak


def parse(line):
    key, _, rest = line.partition(":")
    fields = {}
    for part in rest.split(","):
        name, _, value = part.partition("=")
        fields[name] = value
    return Record(key, fields)


def make_lines(rng, n):
    keys = ["alpha", "beta", "gamma", "delta", "eps"]
    return ["%s:t%d=%d,v=%d,w=x%d" % (rng.choice(keys), i % 7, i, rng.randrange(1000), i % 13)
            for i in range(n)]


def round_(rng):
    records = [parse(line) for line in make_lines(rng, 500)]
    totals = {}
    for r in records:
        totals.setdefault(r.key, []).append(int(r.fields["v"]))
    summary = sorted((k, sum(v), len(v)) for k, v in totals.items())
    remember(records[0])
    return "\n".join("%s %d %d" % s for s in summary)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rng = random.Random(42)
    t0 = time.perf_counter()
    for _ in range(rounds):
        round_(rng)
    print("elapsed=%.6f" % (time.perf_counter() - t0), file=sys.stderr)


main()
