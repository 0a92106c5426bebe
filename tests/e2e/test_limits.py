# SPDX-License-Identifier: GPL-2.0-only
"""Full maps: nothing is lost silently. When the map of outstanding
allocations is full, what did not fit is counted in `dropped` and named in the
table header; when the stack map is full, allocations are still counted, under
one "[stack lost]" entry."""

import re

from common import load_stream, require_root, run_leaktrace, tmp, workload

BLOCK = 64
# stacks.c makes DEPTHS distinct stacks (up to the stack depth kept) and
# DEPTHS * ROUNDS blocks.
DEPTHS, ROUNDS = 120, 10


def _stacks(extra):
    require_root()
    out = tmp("stacks.json")
    args = ["-i", "0.5", "-w", "100", "-n", "1000", "--stack-depth", "127", "-o", out, *extra,
            "--", workload("stacks"), str(DEPTHS), str(ROUNDS)]
    rc, stdout, err = run_leaktrace(args)
    assert rc == 0, "leaktrace -- stacks exited with status %d" % rc
    recs = load_stream(out, window=100, top=1000, interval=0.5)
    return recs[-1], stdout


def test_allocs_map_full():
    # Room for 1024 outstanding blocks; stacks makes 1200.
    ex, table = _stacks(["--max-allocs", "1024"])
    heap, c = ex["totals"]["heap"], ex["counters"]
    assert c["allocs_full"] > 0, "allocs_full is 0 with 1200 blocks and room for 1024"
    assert heap["count"] + c["allocs_full"] == DEPTHS * ROUNDS, (
        "%d recorded + %d counted as dropped != %d made" % (
            heap["count"], c["allocs_full"], DEPTHS * ROUNDS))
    assert heap["bytes"] == heap["count"] * BLOCK, "heap totals %r" % heap
    assert ex["dropped"] >= c["allocs_full"], "dropped %d < allocs_full %d" % (
        ex["dropped"], c["allocs_full"])
    hdr = [l for l in table.splitlines() if "dropped" in l]
    assert hdr and re.search(r"dropped %d \(.*allocs_full %d.*incomplete" % (
        ex["dropped"], c["allocs_full"]), hdr[-1]), "table header does not name the drop: %r" % (
        hdr[-1:] or table[-500:])


def test_stack_map_full():
    # Room for 64 stacks; stacks makes 120. Every block is still counted.
    ex, table = _stacks(["--max-stacks", "64"])
    heap, c = ex["totals"]["heap"], ex["counters"]
    assert c["stacks_full"] > 0, "stacks_full is 0 with 120 stacks and room for 64"
    assert (heap["count"], heap["bytes"]) == (DEPTHS * ROUNDS, DEPTHS * ROUNDS * BLOCK), (
        "heap totals %r, want every block counted" % heap)
    lost = [s for s in ex["stacks"] if s.get("stack_lost")]
    assert len(lost) == 1, "%d stacks marked stack_lost, want 1" % len(lost)
    assert lost[0]["count"] >= c["stacks_full"] > 0, "lost stack %r" % lost[0]
    assert sum(s["count"] for s in ex["stacks"]) == DEPTHS * ROUNDS, (
        "listed stacks do not add up to every block")
    assert "[stack lost" in table, "the table does not show the lost stack"
