# SPDX-License-Identifier: GPL-2.0-only
"""Sampling (--sample N, --sample-bytes SIZE): the estimates at a leak site of
100,000 known allocations fall within a binomial tolerance of the exact
figures, realloc'ed blocks are neither lost nor counted twice, churn is still
no suspect, every sampled figure is marked as an estimate, and bad values are
usage errors."""

import math

from common import (assert_bad_values, check_no_probes_left, describe, describe_all,
                    find_stacks, load_stream, require_root, run_leaktrace, spawn, tmp,
                    workload)

# tests/workloads/sampled.c
SMALL_N, SMALL_SIZE = 100000, 64
BIG_N, BIG_SIZE = 100, 8192
GROW_N, GROW_SIZE = 20000, 128
SIGMAS = 5  # a 5-sigma miss happens once in 1.7 million runs


def _run(extra):
    require_root()
    out = tmp("sampled.json")
    rc, _, _ = run_leaktrace(["-i", "0.5", "-w", "100", "-n", "100", *extra, "-o", out, "--",
                              workload("sampled")])
    assert rc == 0, "leaktrace %s -- sampled exited with status %d" % (" ".join(extra), rc)
    recs = load_stream(out, window=100, top=100, interval=0.5)
    ex = recs[-1]
    assert ex["reason"] == "target-exited", "exit reason %r" % ex["reason"]
    return recs, ex


def _site(ex, func):
    found = find_stacks(ex, func, 1, kind="heap")
    assert len(found) == 1, "want one %s stack, got %d:\n%s" % (func, len(found), describe_all(ex))
    return found[0]


def _assert_near(st, n, size, p, weight):
    """@st estimates @n blocks of @size bytes, each recorded with probability
    @p and then counted @weight times: the recorded number is binomial."""
    sd = weight * math.sqrt(n * p * (1 - p))
    lo, hi = n - SIGMAS * sd, n + SIGMAS * sd
    assert lo <= st["count"] <= hi, "%s: count %d not in %d..%d (%d blocks, %d sigmas)" % (
        describe(st), st["count"], lo, hi, n, SIGMAS)
    # every recorded block adds size * weight bytes and weight blocks
    assert st["bytes"] == st["count"] * size, "%s: bytes %d != count %d * %d" % (
        describe(st), st["bytes"], st["count"], size)


def _assert_marked(recs, sampled):
    assert recs[0].get("sampled") == sampled, "start record: sampled %r, want %r" % (
        recs[0].get("sampled"), sampled)
    for r in recs[1:]:
        assert r.get("sampled") == sampled, "%s record: sampled %r, want %r" % (
            r["type"], r.get("sampled"), sampled)
        assert r["totals"]["heap"].get("estimate") is True, "%s record: heap totals not " \
            "marked as an estimate" % r["type"]
        for st in r["stacks"]:
            want = True if st["kind"] == "heap" else None
            assert st.get("estimate") is want, "%s: estimate %r" % (describe(st),
                                                                    st.get("estimate"))


def _assert_no_churn(ex):
    assert not find_stacks(ex, "churn", 1), "churn listed:\n%s" % describe_all(ex)
    # realloc'ed away: what was recorded at malloc was released at realloc
    assert not find_stacks(ex, "grow_new", 1), "grow_new listed:\n%s" % describe_all(ex)


def test_sampling_every():
    n = 10
    recs, ex = _run(["--sample", str(n)])
    _assert_marked(recs, {"every": n})
    _assert_near(_site(ex, "leak_small"), SMALL_N, SMALL_SIZE, 1 / n, n)
    # drawn again at the realloc: kept-if-sampled would make this ~1.9x
    _assert_near(_site(ex, "grow_site"), GROW_N, GROW_SIZE, 1 / n, n)
    _assert_no_churn(ex)


def test_sampling_bytes():
    size = 4096
    recs, ex = _run(["--sample-bytes", "4K"])
    _assert_marked(recs, {"bytes": size})
    # 64-byte blocks: recorded with p = 64/4096, each standing for 64 blocks
    _assert_near(_site(ex, "leak_small"), SMALL_N, SMALL_SIZE, SMALL_SIZE / size,
                 size / SMALL_SIZE)
    _assert_near(_site(ex, "grow_site"), GROW_N, GROW_SIZE, GROW_SIZE / size, size / GROW_SIZE)
    # blocks of SIZE or more are always recorded: exact
    big = _site(ex, "leak_big")
    assert (big["bytes"], big["count"]) == (BIG_N * BIG_SIZE, BIG_N), "%s, want %d B / %d" % (
        describe(big), BIG_N * BIG_SIZE, BIG_N)
    _assert_no_churn(ex)


def test_sampling_one_is_exact():
    recs, ex = _run(["--sample", "1"])
    assert "sampled" not in recs[0], "--sample 1 marked the start record as sampled"
    for func, n, size in (("leak_small", SMALL_N, SMALL_SIZE), ("leak_big", BIG_N, BIG_SIZE),
                          ("grow_site", GROW_N, GROW_SIZE)):
        st = _site(ex, func)
        assert (st["bytes"], st["count"]) == (n * size, n), "%s, want %d B / %d" % (
            describe(st), n * size, n)
        assert "estimate" not in st, "%s marked as an estimate" % describe(st)
    _assert_no_churn(ex)


def test_sampling_table():
    require_root()
    rc, out, _ = run_leaktrace(["-i", "0.5", "--sample", "10", "--", workload("sampled")])
    assert rc == 0, "exit status %d" % rc
    assert "sampled 1/10" in out, "table header does not say 'sampled 1/10':\n%s" % out[-2000:]
    assert "~" in out, "no estimate marked with ~ in the table:\n%s" % out[-2000:]


BAD = [
    (["--sample", "0"], ("--sample", "0")),
    (["--sample", "-3"], ("--sample",)),
    (["--sample", "x"], ("--sample", "x")),
    (["--sample-bytes", "0"], ("--sample-bytes",)),
    (["--sample-bytes", "2G"], ("--sample-bytes", "2G")),
    (["--sample-bytes", "10Q"], ("--sample-bytes", "10Q")),
    (["--sample", "10", "--sample-bytes", "1M"], ("exclude",)),
]


def test_sampling_bad_values():
    require_root()
    wl = spawn(["sleep", "600"], ready=False)
    assert_bad_values(BAD, wl.pid)


def test_sampling_no_probes_left():
    check_no_probes_left()
