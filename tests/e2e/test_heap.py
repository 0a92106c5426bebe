# SPDX-License-Identifier: GPL-2.0-only
"""The known leaks come out, with the right function, file:line and sizes, and
nothing else that does not grow: heap and mmap, -p and -- modes, threads,
code loaded after attach, frees of blocks allocated before attach."""

import re
import signal

from common import (LEAKTRACE, LEAKTRACE_SAN, assert_no_sanitizer_errors, assert_site,
                    check_no_probes_left, churn_settled, describe, describe_all, find_stacks,
                    funcs, intervals, load_stream, marker_line, require_binary, require_root,
                    run_leaktrace, spawn_workload, start_leaktrace_bg, tmp, trace_until,
                    wait_for_start, wait_intervals, wait_records, workload)

NOISE = ("churn", "cache_put")


def _in_flight(s):
    # churn() frees each block right after malloc returns it: a report
    # whose read falls between the two sees that one block, once, as
    # recent growth (never a suspect)
    return funcs(s)[0] == "churn" and s["count"] <= 1 and not s["suspect"]


def _assert_no_noise(rec):
    noisy = [s for s in rec["stacks"] if funcs(s)[0] in NOISE and not _in_flight(s)]
    assert not noisy, "bounded churn/cache listed in the %s record at t=%s:\n%s" % (
        rec["type"], rec.get("t"), "\n".join("    " + describe(s) for s in noisy))


def _leaky_pid(binary):
    require_root()
    require_binary(binary)
    wl = spawn_workload("leaky")
    out = tmp("leaky.json")
    # until the cache's refill after the attach is out of the window and a
    # report shows the leak
    rc, _, err = trace_until(["-p", wl.pid, "-i", "0.5"], out, lambda recs: churn_settled(
        recs) and find_stacks(intervals(recs)[-1], "leak_site"),
        "report with leak_site, after the cache's refill", binary=binary)
    if binary == LEAKTRACE_SAN:
        assert_no_sanitizer_errors(err)
    assert rc == 0, "leaktrace -p exited with status %d" % rc
    recs = load_stream(out, window=6, top=10, interval=0.5)
    assert recs[0]["pid"] == wl.pid, "start.pid %r != %d" % (recs[0]["pid"], wl.pid)
    ex = recs[-1]
    assert ex["reason"] == "signal", "exit reason %r, want signal" % ex["reason"]
    assert ex["stacks"], "no suspect in the exit record"
    top = ex["stacks"][0]
    assert top["kind"] == "heap", "rank 1 is %s" % describe(top)
    assert_site(top["frames"][0], "leak_site", "leaky.c", marker_line("leaky.c", "leak_site"),
                "/leaky")
    assert top["bytes"] == 100 * top["count"] and top["count"] > 0, describe(top)
    ivs = intervals(recs)
    assert ivs, "no interval record"
    _assert_no_noise(ivs[-1])
    _assert_no_noise(ex)
    assert wl.alive(), "the -p target died while (or after) being traced"
    assert wl.stop() == 0, "leaky exited non-zero after tracing"


def test_leaky_pid():
    _leaky_pid(LEAKTRACE)


def test_leaky_pid_sanitized():
    _leaky_pid(LEAKTRACE_SAN)


def test_leaky_command():
    require_root()
    out = tmp("leaky-cmd.json")
    # 150 iterations of 20 ms: about 3 s. A 2-interval window leaves the cache
    # filled at start out of it.
    rc, stdout, _ = run_leaktrace(["-i", "0.5", "-w", "2", "-o", out, "--",
                                   workload("leaky"), "--iterations", "150"])
    assert rc == 0, "leaktrace -- leaky exited with status %d" % rc
    assert re.search(r"ready \d+\n", stdout), "the command's ready line is not on stdout"
    recs = load_stream(out, window=2, top=10, interval=0.5)
    ex = recs[-1]
    assert ex["reason"] == "target-exited", "exit reason %r, want target-exited" % ex["reason"]
    assert ex["stacks"], "no suspect in the exit record"
    top = ex["stacks"][0]
    assert_site(top["frames"][0], "leak_site", "leaky.c", marker_line("leaky.c", "leak_site"))
    # Every call was seen: exactly 150 leaks of 100 bytes.
    assert (top["bytes"], top["count"]) == (15000, 150), "leak_site: %s, want 15000 B / 150" % (
        describe(top))
    _assert_no_noise(ex)


# site -> (kind, bytes, count, frames in which the site may appear)
ALLOCS_SITES = {
    "site_malloc": ("heap", 1000, 1, 1),
    "site_calloc": ("heap", 1000, 1, 1),
    "site_realloc_shrink": ("heap", 300, 1, 1),
    "site_reallocarray": ("heap", 300, 1, 1),
    "site_posix_memalign": ("heap", 640, 1, 1),
    "site_aligned_alloc": ("heap", 128, 1, 1),
    "site_memalign": ("heap", 96, 1, 1),
    "site_valloc": ("heap", 200, 1, 1),
    "site_pvalloc": ("heap", 100, 1, 1),
    "site_big_malloc": ("heap", 1 << 20, 1, 1),
    "site_mmap_keep": ("mmap", 3 * 4096, 1, 1),
    "site_mmap_partial": ("mmap", 3 * 4096, 1, 1),
}
# Sites whose blocks were all freed (realloc'ed away, realloc(p, 0), munmap).
ALLOCS_GONE = ("site_realloc_new", "site_realloc_grow", "site_realloc_victim", "site_realloc_zero",
               "site_mmap_full")


def _allocs(binary, extra=()):
    require_root()
    require_binary(binary)
    out = tmp("allocs.json")
    rc, stdout, err = run_leaktrace(["-i", "0.5", "-w", "100", "-n", "100", *extra, "-o", out,
                                     "--", workload("allocs")], binary=binary)
    if binary == LEAKTRACE_SAN:
        assert_no_sanitizer_errors(err)
    assert rc == 0, "leaktrace -- allocs exited with status %d" % rc
    recs = load_stream(out, window=100, top=100, interval=0.5)
    assert any(r["type"] == "interval" for r in recs), "no interval record while allocs held"
    ex = recs[-1]
    assert ex["reason"] == "target-exited", "exit reason %r" % ex["reason"]
    bad = []
    for r in recs[1:]:
        if r["dropped"]:
            bad.append("%s record t=%s: dropped %d" % (r["type"], r["t"], r["dropped"]))
    for site, (kind, nbytes, count, depth) in ALLOCS_SITES.items():
        found = find_stacks(ex, site, depth)
        if len(found) != 1:
            bad.append("%s: %d stacks with it in the first %d frame(s), want 1" % (
                site, len(found), depth))
            continue
        st = found[0]
        if (st["kind"], st["bytes"], st["count"]) != (kind, nbytes, count):
            bad.append("%s: %s %d B / %d, want %s %d B / %d" % (
                site, st["kind"], st["bytes"], st["count"], kind, nbytes, count))
        frame = st["frames"][funcs(st).index(site)]
        try:
            assert_site(frame, site, "allocs.c", marker_line("allocs.c", site), "/allocs")
        except AssertionError as e:
            bad.append(str(e))
    # strdup's block: the stack starts at the allocator's caller, libc's
    # strdup. Debian's libc has no frame pointers (strdup keeps a length in
    # %rbp), so a frame-pointer walk cannot go past it to site_strdup:
    # table-based unwinding (issue #6) is what reaches the caller.
    dups = [st for st in ex["stacks"] if st["frames"] and
            st["frames"][0].get("func") in ("strdup", "__strdup")]
    if len(dups) != 1:
        bad.append("strdup: %d stacks starting in strdup, want 1" % len(dups))
    else:
        st, f0 = dups[0], dups[0]["frames"][0]
        if (st["kind"], st["bytes"], st["count"]) != ("heap", 10, 1):
            bad.append("strdup: %s" % describe(st))
        # file:line only where libc's debug info (libc6-dbg) is installed
        if "libc.so" not in f0["module"] or not f0.get("file", "strdup.c").endswith("strdup.c"):
            bad.append("strdup: frame 0 is not libc's strdup: %r" % f0)
    for site in ALLOCS_GONE:
        for st in find_stacks(ex, site, 2):
            bad.append("%s: freed, but listed: %s" % (site, describe(st)))
    for st in ex["stacks"]:
        if st["kind"] == "mmap" and "site_big_malloc" in funcs(st):
            bad.append("malloc's own mmap counted as kind mmap: %s" % describe(st))
    # -n 100 -w 100: every stack with live bytes is listed, so they add up.
    for kind in ("heap", "mmap"):
        tot = ex["totals"].get(kind, {"bytes": 0, "count": 0})
        sb = sum(s["bytes"] for s in ex["stacks"] if s["kind"] == kind)
        sc = sum(s["count"] for s in ex["stacks"] if s["kind"] == kind)
        if (tot["bytes"], tot["count"]) != (sb, sc):
            bad.append("totals.%s %d B / %d != sum of its stacks %d B / %d" % (
                kind, tot["bytes"], tot["count"], sb, sc))
    assert not bad, "allocs exit record:\n  " + "\n  ".join(bad) + "\n  stacks:\n" + describe_all(ex)
    assert re.search(r"ready \d+\n", stdout), "allocs' ready line missing from stdout"


def test_allocs_exact():
    _allocs(LEAKTRACE)


def test_allocs_exact_sanitized():
    _allocs(LEAKTRACE_SAN)


def test_allocs_exact_perf_links():
    # Probe by probe, as on kernels without uprobe_multi links (before 6.6).
    _allocs(LEAKTRACE, ("--no-uprobe-multi",))


def test_allocs_exact_at_entries():
    # Every probe on the function's first instruction: same totals.
    _allocs(LEAKTRACE, ("--probe-at=entry",))


def test_threads():
    require_root()
    out = tmp("threads.json")
    rc, _, err = run_leaktrace(["-i", "0.5", "-o", out, "--", workload("threads"),
                                "--iterations", "1000"])
    assert rc == 0, "leaktrace -- threads exited with status %d" % rc
    m = re.findall(r"^leaked=(\d+)$", err, re.M)
    assert len(m) == 1, "threads did not print leaked=N on stderr"
    leaked = int(m[0])
    assert leaked == 100, "threads leaked %d blocks, want 100" % leaked
    recs = load_stream(out, window=6, top=10, interval=0.5)
    ex = recs[-1]
    assert ex["reason"] == "target-exited", "exit reason %r" % ex["reason"]
    found = find_stacks(ex, "producer_leak", 1, kind="heap")
    assert len(found) == 1, "want one producer_leak stack, got %d:\n%s" % (len(found), describe_all(ex))
    st = found[0]
    assert_site(st["frames"][0], "producer_leak", "threads.c", marker_line("threads.c", "producer_leak"))
    assert (st["bytes"], st["count"]) == (48 * leaked, leaked), "producer_leak: %s, want %d B / %d" % (
        describe(st), 48 * leaked, leaked)
    churn = find_stacks(ex, "producer_churn", 1)
    assert not churn, "blocks freed on another thread listed as a leak:\n%s" % "\n".join(
        "    " + describe(s) for s in churn)


def test_dlopen_after_attach():
    require_root()
    wl = spawn_workload("dlleak", env={"DLOPEN_DELAY_MS": "600000"})
    out = tmp("dlleak.json")
    lt = start_leaktrace_bg(["-p", wl.pid, "-i", "0.5", "-o", out])
    wait_for_start(out, lt)
    maps = open("/proc/%d/maps" % wl.pid).read()
    assert "libdlleak.so" not in maps, "libdlleak.so mapped before leaktrace attached"
    wait_intervals(out, 1, lt)  # leaktrace is past its start, reporting
    wl.signal(signal.SIGUSR1)
    wait_records(out, lambda recs: any(
        find_stacks(r, "dl_leak_site") for r in intervals(recs)), "report with dl_leak_site", lt)
    lt.signal(signal.SIGINT)
    rc, _, _ = lt.wait()
    assert rc == 0, "leaktrace exited with status %d" % rc
    assert wl.alive(), "dlleak died (library not loadable?): %s" % wl.stderr()
    recs = load_stream(out, window=6, top=10, interval=0.5)
    ex = recs[-1]
    assert ex["stacks"], "no suspect after dlopen"
    top = ex["stacks"][0]
    assert top["kind"] == "heap", "rank 1 is %s" % describe(top)
    assert_site(top["frames"][0], "dl_leak_site", "libdlleak.c",
                marker_line("libdlleak.c", "dl_leak_site"), "libdlleak.so")
    assert top["bytes"] == 128 * top["count"], describe(top)


def test_pool_frees_before_attach():
    require_root()
    wl = spawn_workload("pool", env={"ATTACH_WAIT_MS": "600000", "HOLD_MS": "1500"})
    out = tmp("pool.json")
    lt = start_leaktrace_bg(["-p", wl.pid, "-i", "0.5", "-o", out])
    wait_for_start(out, lt)
    wl.signal(signal.SIGUSR1)
    rc, _, _ = lt.wait()	# no -d: it stops when pool exits
    assert rc == 0, "leaktrace exited with status %d" % rc
    assert wl.proc.wait(timeout=30) == 0, "pool exited non-zero"
    recs = load_stream(out, window=6, top=10, interval=0.5)
    ex = recs[-1]
    assert ex["reason"] == "target-exited", "exit reason %r, want target-exited" % ex["reason"]
    for r in recs[1:]:
        for kind, tot in r["totals"].items():
            assert tot["bytes"] >= 0 and tot["count"] >= 0, (
                "%s record t=%s: totals.%s negative after freeing pre-attach blocks: %r" % (
                    r["type"], r["t"], kind, tot))
        for s in r["stacks"]:
            assert s["bytes"] >= 0 and s["count"] >= 0, "negative stack: %s" % describe(s)
    found = find_stacks(ex, "pool_leak_site", 1, kind="heap")
    assert len(found) == 1, "want one pool_leak_site stack, got %d:\n%s" % (len(found), describe_all(ex))
    st = found[0]
    assert_site(st["frames"][0], "pool_leak_site", "pool.c", marker_line("pool.c", "pool_leak_site"))
    assert (st["bytes"], st["count"]) == (15000, 50), "pool_leak_site: %s, want 15000 B / 50" % describe(st)


def test_quiet_no_false_positive():
    require_root()
    wl = spawn_workload("quiet")
    out = tmp("quiet.json")
    # until the cache's refill after the attach (growth: its first blocks
    # predate the attach) has left the window
    rc, _, _ = trace_until(["-p", wl.pid, "-i", "0.5"], out, churn_settled,
                           "report six after one that saw the whole cache")
    assert rc == 0, "leaktrace exited with status %d" % rc
    recs = load_stream(out, window=6, top=10, interval=0.5)
    ex = recs[-1]
    assert not ex["stacks"], "suspects listed for a program that does not leak:\n%s" % describe_all(ex)
    assert wl.stop() == 0


def test_heap_no_probes_left():
    check_no_probes_left()
