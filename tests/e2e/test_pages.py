# SPDX-License-Identifier: GPL-2.0-only
"""--pages: growth seen as the pages a process faults in and gives back.
Exact pages where the workload knows them (tests/workloads/pages.c leaks
one 4 KiB page per iteration), nothing for a cache that filled, a churn
that reuses its pages, memory given back with madvise, munmap and brk; a
buffer grown by moving it with mremap keeps its pages; threads; Python
frames; a process that exits leaves no charge; and no allocator probe is
placed."""

import json
import os
import re
import signal
import subprocess

from common import (LEAKTRACE, LEAKTRACE_SAN, PY_WORKLOAD_SRC, SkipAlways, exact_records,
                    heap_stacks_of, spawn_workload,
                    assert_no_sanitizer_errors, assert_one_error_line, assert_site,
                    require_binary, check_no_probes_left, describe, describe_all,
                    find_py_stacks, find_stacks, funcs, intervals, load_stream, marker_line,
                    py_marker_line, read_records, require_root, run_leaktrace, spawn,
                    start_leaktrace_bg, stdout_line, tmp, trace_phases, wait_for_start,
                    wait_records, workload)

PAGE = os.sysconf("SC_PAGE_SIZE")
_test_out = [None]	# the recording of the last _run()
# The allocator functions leaktrace probes in exact mode (attach_probes.c)
ALLOC_FUNCS = {"malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign",
               "aligned_alloc", "memalign", "valloc", "pvalloc", "PyType_GenericAlloc",
               "_PyObject_GC_New", "_PyObject_New", "_PyObject_GC_NewVar", "_PyObject_NewVar",
               "PyObject_GC_Del", "PyObject_Free", "PyList_New", "PyDict_New",
               "_PyDict_NewPresized"}


def _require_4k():
    require_root()
    if PAGE != 4096:
        raise AssertionError("the workloads count 4 KiB pages; this machine's are %d" % PAGE)


# leaktrace's own count of changes to a process's mappings, which kernels
# before 6.4 get (they keep none), asked for on this one (user/attach.c)
OWN_COUNT = dict(os.environ, LEAKTRACE_PAGES_OWN_SEQ="1")


def _run(mode, iterations, window=100, binary=LEAKTRACE, env=None):
    """leaktrace --pages -- pages MODE: the records, and the workload's
    "leaked=" and "moved=" figures (from the shared stderr); @env for
    leaktrace (OWN_COUNT)."""
    _require_4k()
    require_binary(binary)
    out = tmp("pages-%s.json" % mode)
    _test_out[0] = out
    rc, _, err = run_leaktrace(["--pages", "-i", "0.5", "-w", window, "-n", "100", "-o", out,
                                "--", workload("pages"), mode, "--iterations", iterations],
                               binary=binary, env=env)
    if binary == LEAKTRACE_SAN:
        assert_no_sanitizer_errors(err)
    assert rc == 0, "leaktrace --pages -- pages %s exited with status %d" % (mode, rc)
    recs = load_stream(out, window=window, top=100, interval=0.5)
    figures = {k: int(v) for k, v in re.findall(r"^(leaked|moved)=(\d+)$", err, re.M)}
    return recs, figures


def _no_allocator_probes(start):
    probed = sorted({p["func"] for p in start.get("probes", []) if p["func"] in ALLOC_FUNCS})
    assert not probed, "allocator functions probed under --pages: %s" % probed
    assert not {"libc", "mmap"} & set(start["sources"]), "sources %r" % start["sources"]
    assert "pages" in start["sources"], "sources %r" % start["sources"]


def _c_leak(binary, env=None):
    # 200 iterations of 20 ms; a 2 s window: the cache (64 pages, filled
    # in the first 1.3 s) is out of it at the end, the churn never grows
    recs, fig = _run("leak", 200, window=4, binary=binary, env=env)
    _no_allocator_probes(recs[0])
    ex = recs[-1]
    assert ex["reason"] == "target-exited", "exit reason %r" % ex["reason"]
    assert fig.get("leaked") == 200, "the workload said %r" % fig
    leaks = find_stacks(ex, "leak_page", kind="pages")
    assert len(leaks) == 1, "%d pages stacks at leak_page:\n%s" % (len(leaks), describe_all(ex))
    top = leaks[0]
    assert top["rank"] == 1 and top["suspect"], "leak_page: %s" % describe(top)
    assert_site(top["frames"][0], "leak_page", "pages.c", marker_line("pages.c", "leak_page"),
                "/pages")
    # every page it touched, once: exactly one page an iteration
    assert (top["count"], top["bytes"]) == (200, 200 * PAGE), describe(top)
    assert top["unit"] == "bytes" and top["region"] == "anon", describe(top)
    for func in ("cache_page", "churn_pages"):
        assert not find_stacks(ex, func), "%s listed:\n%s" % (func, describe_all(ex))
    assert not ex["dropped"], "dropped %d: %r" % (ex["dropped"], ex["counters"])
    # the pages are faulted in one mapping after another: each thread keeps
    # the last it faulted in, while the count of changes to the mappings
    # stays (the kernel's, 6.4+; else leaktrace's own)
    lookups, pages = ex["counters"]["pages_vma_lookups"], ex["totals"]["pages"]["count"]
    assert 0 < lookups and lookups * 4 <= pages, "%d mapping lookups for %d pages" % (
        lookups, pages)
    # leaktrace report: the same stack, in the same region, from the recording
    r = subprocess.run([str(LEAKTRACE), "report", "--json", "-w", "4", str(_test_out[0])],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, "leaktrace report: %s" % r.stderr[-500:]
    again = [json.loads(l) for l in r.stdout.splitlines()][-1]
    st = find_stacks(again, "leak_page", kind="pages")
    assert len(st) == 1 and (st[0]["count"], st[0]["region"]) == (200, "anon"), \
        "leaktrace report:\n%s" % describe_all(again)


def test_pages_c_leak():
    _c_leak(LEAKTRACE)


def test_pages_c_leak_sanitized():
    _c_leak(LEAKTRACE_SAN)


def test_pages_own_count_c_leak():
    _c_leak(LEAKTRACE, OWN_COUNT)


def test_pages_own_count_c_leak_sanitized():
    _c_leak(LEAKTRACE_SAN, OWN_COUNT)


def _given_back(env=None):
    # madvise, munmap and brk give every page back: nothing left charged
    # to the functions that touched them, at any report
    recs, _ = _run("free", 150, env=env)
    bad = []
    for rec in recs[1:]:
        if "stacks" not in rec:
            continue
        for st in rec["stacks"]:
            if {"advise_back", "unmap_back", "heap_back"} & set(funcs(st)[:3]) and \
                    st["bytes"] > 16 * PAGE:
                bad.append("t=%s: %s" % (rec["t"], describe(st)))
    ex = recs[-1]
    assert ex["reason"] == "target-exited", "exit reason %r" % ex["reason"]
    assert not bad, "pages given back still charged:\n  " + "\n  ".join(bad[:10])
    total = ex["totals"].get("pages", {"bytes": 0})["bytes"]
    assert total <= 16 * PAGE, "%d bytes of pages charged at exit:\n%s" % (total,
                                                                          describe_all(ex))


def test_pages_given_back():
    _given_back()


def test_pages_own_count_given_back():
    _given_back(OWN_COUNT)


def _mremap_moves(env=None):
    # every growth moves the buffer: its pages go along, still charged
    recs, fig = _run("mremap", 100, env=env)
    ex = recs[-1]
    assert fig.get("moved") == 100 and fig.get("leaked") == 101, "the workload said %r" % fig
    grown = find_stacks(ex, "grow_buf", kind="pages")
    assert len(grown) == 1, "%d stacks at grow_buf:\n%s" % (len(grown), describe_all(ex))
    assert_site(grown[0]["frames"][0], "grow_buf", "pages.c", marker_line("pages.c", "grow_buf"))
    assert grown[0]["count"] == 100, "grow_buf: %s, want 100 pages" % describe(grown[0])
    assert ex["totals"]["pages"]["count"] >= 101, "totals %r" % ex["totals"]


def test_pages_mremap_moves():
    _mremap_moves()


def test_pages_own_count_mremap_moves():
    _mremap_moves(OWN_COUNT)


def _mremap_onto_charged_pages(env=None):
    # a move onto charged pages replaces them: theirs go, the moved stay
    recs, _ = _run("fixed", 100, env=env)
    ex = recs[-1]
    # (one stack per store: the compiler unrolls the loop)
    src = find_stacks(ex, "touch_src", kind="pages")
    assert sum(s["count"] for s in src) == 400, "touch_src: want 400 pages:\n%s" % (
        describe_all(ex))
    assert not find_stacks(ex, "touch_dst"), "pages replaced still charged:\n%s" % (
        describe_all(ex))


def test_pages_mremap_onto_charged_pages():
    _mremap_onto_charged_pages()


def test_pages_own_count_mremap_onto_charged_pages():
    _mremap_onto_charged_pages(OWN_COUNT)


def test_pages_huge():
    # a fault the kernel may serve with a huge page (MADV_HUGEPAGE here) is
    # charged as its whole block (2 MiB, 512 pages), and counted in pages_huge
    recs, _ = _run("huge", 20)
    ex = recs[-1]
    st = find_stacks(ex, "huge_page", kind="pages")
    assert len(st) == 1, "%d stacks at huge_page:\n%s" % (len(st), describe_all(ex))
    assert_site(st[0]["frames"][0], "huge_page", "pages.c", marker_line("pages.c", "huge_page"))
    huge = ex["counters"]["pages_huge"]
    if _thp_setting() == "never":
        assert st[0]["count"] == 20, "huge_page: %s, want one page a fault" % describe(st[0])
        assert not huge, "pages_huge %d with huge pages off" % huge
        return
    want = (20 * (2 << 20), 20 * (2 << 20) // PAGE)
    assert (st[0]["bytes"], st[0]["count"]) == want, "huge_page: %s, want a block a fault" % (
        describe(st[0]))
    assert huge >= 20, "pages_huge %d, want the 20 blocks at least" % huge


THP_AREA = 8 << 20	# tests/workloads/pages.c, mode thp
THP_FIRST = 3 << 20
THP_TOP = 1 << 20


def _thp_setting():
    with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
        return re.search(r"\[(\w+)\]", f.read()).group(1)


def _anon_huge_kib(pid):
    with open("/proc/%d/smaps_rollup" % pid) as f:
        m = re.search(r"^AnonHugePages:\s+(\d+) kB", f.read(), re.M)
    return int(m.group(1)) if m else 0


def _thp(how=None, env=None):
    """An 8 MiB region marked MADV_HUGEPAGE, every page touched: charged 8
    MiB exactly to thp_touch(), whether the kernel mapped huge pages or fell
    back to small ones; munmap of the first 3 MiB (a block and half of the
    next) takes exactly that off; munmap of the rest leaves nothing. With
    @how "--move", the region moved whole to an aligned address keeps its
    charge, which goes when it is unmapped there. With "--retouch", its top
    1 MiB given back with MADV_DONTNEED is taken off, and charged again to
    thp_retouch() when touched again. @env for leaktrace (OWN_COUNT)."""
    _require_4k()
    setting = _thp_setting()
    if setting == "never":
        raise SkipAlways("transparent huge pages are off on this host "
                         "(/sys/kernel/mm/transparent_hugepage/enabled: never)")
    out = tmp("pages-thp.json")
    # a window longer than the run: every stack with pages is listed
    lt = start_leaktrace_bg(["--pages", "-i", "0.5", "-w", "10000", "-n", "1000", "-o", out,
                             "--", workload("pages"), "thp"] + ([how] if how else []),
                           env=env)
    wait_for_start(out, lt)
    pid = int(stdout_line(lt, r"^ready (\d+)$", "ready line from pages thp").group(1))
    region = "an 8 MiB region marked MADV_HUGEPAGE%s" % (
        ", one page a block touched before" if how == "--pretouch" else "")

    def after(pattern, what):
        # the second interval record made after the workload's line: its
        # maps were read after the line was written
        stdout_line(lt, pattern, what)
        n = len(intervals(read_records(out)))
        return intervals(wait_records(out, lambda recs: len(intervals(recs)) >= n + 2,
                                      "2 interval records after %s" % what, lt))[n + 1]

    def charged(rec, func="thp_touch"):
        return sum(s["bytes"] for s in find_stacks(rec, func, kind="pages")), sum(
            s["count"] for s in find_stacks(rec, func, kind="pages"))

    rec = after(r"^touched \d+$", "the region touched")
    huge = _anon_huge_kib(pid)
    kernel = ("the kernel mapped %d KiB of huge pages (THP %s)" % (huge, setting) if huge else
              "the kernel mapped no huge page (THP %s): small pages" % setting)
    assert charged(rec) == (THP_AREA, THP_AREA // PAGE), \
        "%s, touched: %d bytes / %d pages at thp_touch, want %d / %d; %s:\n%s" % (
            region, *charged(rec), THP_AREA, THP_AREA // PAGE, kernel, describe_all(rec))
    assert not find_stacks(rec, "thp_pretouch"), \
        "pages of thp_pretouch charged besides their blocks; %s:\n%s" % (
            kernel, describe_all(rec))
    # (at least: with THP "always" another mapping of the process may hold
    # a whole block)
    assert rec["counters"].get("pages_huge", 0) >= THP_AREA >> 21, \
        "pages_huge %r, want a block each; %s" % (rec["counters"].get("pages_huge"), kernel)
    os.kill(pid, signal.SIGUSR1)
    if how == "--move":
        rec = after(r"^moved %d$" % THP_AREA, "the region moved")
        assert charged(rec) == (THP_AREA, THP_AREA // PAGE), \
            "%s, moved whole to an aligned address: %d bytes / %d pages at thp_touch, " \
            "want %d / %d; %s:\n%s" % (region, *charged(rec), THP_AREA, THP_AREA // PAGE,
                                       kernel, describe_all(rec))
    elif how == "--retouch":
        rec = after(r"^advised %d$" % THP_TOP, "the top 1 MiB given back")
        left = THP_AREA - THP_TOP
        assert charged(rec) == (left, left // PAGE), \
            "%s, top 1 MiB given back: %d bytes / %d pages at thp_touch, want %d / %d; " \
            "%s:\n%s" % (region, *charged(rec), left, left // PAGE, kernel, describe_all(rec))
        # khugepaged may have made the block whole again meanwhile (its
        # max_ptes_none lets it fill the pages given back): the touches
        # then fault nothing, and nothing is charged (README, Limits)
        # (the give-back split one block, if the kernel had made them)
        refilled = _anon_huge_kib(pid) > max(huge - (2 << 10), 0)
        os.kill(pid, signal.SIGUSR1)
        rec = after(r"^retouched %d$" % THP_TOP, "the top 1 MiB touched again")
        got = charged(rec), charged(rec, "thp_retouch")
        again = (0, 0) if refilled else (THP_TOP, THP_TOP // PAGE)
        assert got == ((left, left // PAGE), again), \
            "%s, top 1 MiB given back and touched again%s: %r at thp_touch and thp_retouch, " \
            "want %r; %s:\n%s" % (region, " (khugepaged refilled it first)" if refilled else "",
                                  got, ((left, left // PAGE), again), kernel, describe_all(rec))
    else:
        rec = after(r"^unmapped %d$" % THP_FIRST, "the first 3 MiB unmapped")
        left = THP_AREA - THP_FIRST
        assert charged(rec) == (left, left // PAGE), \
            "%s, first 3 MiB unmapped: %d bytes / %d pages at thp_touch, want %d / %d; " \
            "%s:\n%s" % (region, *charged(rec), left, left // PAGE, kernel, describe_all(rec))
    os.kill(pid, signal.SIGUSR1)
    rec = after(r"^unmapped %d$" % THP_AREA, "the rest unmapped")
    assert charged(rec) == (0, 0) == charged(rec, "thp_retouch"), \
        "%s, all unmapped: still charged; %s:\n%s" % (region, kernel, describe_all(rec))
    total = rec["totals"]["pages"]
    assert total["bytes"] == sum(s["bytes"] for s in rec["stacks"] if s["kind"] == "pages"), \
        "totals %r and the stacks listed differ:\n%s" % (total, describe_all(rec))
    os.kill(pid, signal.SIGTERM)
    rc, _, err = lt.wait()
    assert rc == 0, "leaktrace --pages -- pages thp exited with %d: %s" % (rc, err[-500:])


def test_pages_thp():
    _thp()


def test_pages_thp_fallback():
    # the blocks' page tables made before the madvise: no huge page can be
    # mapped there, the kernel falls back to small pages; the pages touched
    # before are folded into their blocks
    _thp("--pretouch")


def test_pages_own_count_thp_fallback():
    # MADV_HUGEPAGE after the touches: a change to the mapping's flags that
    # leaktrace's own count must see, or the blocks are charged page by page
    _thp("--pretouch", OWN_COUNT)


def test_pages_thp_move():
    # mremap to an aligned address: the blocks are re-keyed, not uncharged
    _thp("--move")


def test_pages_thp_retouch():
    # the top of a block given back and touched again (a heap trimmed and
    # grown again): charged again, page by page
    _thp("--retouch")


def test_pages_own_count_thp_retouch():
    _thp("--retouch", OWN_COUNT)


def _threads(env=None):
    recs, fig = _run("threads", 100, env=env)
    ex = recs[-1]
    leaked = fig.get("leaked")
    assert leaked == 400, "the workload said %r" % fig
    st = find_stacks(ex, "thread_leak", kind="pages")
    assert st, "no pages stack at thread_leak:\n%s" % describe_all(ex)
    n = sum(s["count"] for s in st)
    # a page whose mappings another thread was changing (a thread being
    # made) is not charged, and counted so
    busy = ex["counters"]["pages_vma_busy"]
    assert n <= leaked <= n + busy, "thread_leak: %d pages (%d busy), want %d:\n%s" % (
        n, busy, leaked, describe_all(ex))


def test_pages_threads():
    _threads()


def test_pages_own_count_threads():
    _threads(OWN_COUNT)


def test_pages_python():
    require_root()
    script = "pages_leak.py"
    out = tmp("pages-py.json")
    cmd = ["/usr/bin/python3", "-B", PY_WORKLOAD_SRC / script, "--hold", 600]

    def enough(rec):
        return any(st["count"] >= 100 and st["suspect"]
                   for st in find_py_stacks(rec, "leak_block", script, kind="pages"))

    rc, _, _, held = trace_phases(["--pages", "-i", "0.5", "-w", "4", "-n", "30"], out, cmd,
                                  after_ready=6, enough=enough,
                                  what="a growing pages stack at leak_block")
    assert rc in (0, 128 + signal.SIGTERM, 143), "leaktrace exited with status %d" % rc
    start = read_records(out)[0]
    _no_allocator_probes(start)
    assert "python" in start["sources"], "no Python frames: sources %r" % start["sources"]
    st = find_py_stacks(held, "leak_block", script, kind="pages")
    assert st, "no pages stack at leak_block in the hold:\n%s" % describe_all(held)
    line = py_marker_line(script, "leak_block")
    for s in st:
        f = [f for f in s["frames"] if f["lang"] == "python"][0]
        assert f.get("line") == line, "leak_block at line %r, want %d: %s" % (
            f.get("line"), line, describe(s))


def test_pages_exit_leaves_nothing():
    # --system: a process that exits while charged leaves no stack and no
    # charge behind, and leaktrace leaves no probe. Its page stacks are
    # walked once it grew by --exact-min over the window (6) in one
    # interval: 64K puts it in focus at its first report (it faults in
    # 100 KiB a half second).
    _require_4k()
    out = tmp("pages-system.json")
    lt = start_leaktrace_bg(["--system", "--pages", "--exact-top", "0", "--exact-min", "64K",
                             "-i", "0.5", "-n", "100000", "-o", out])
    wait_for_start(out, lt)
    wl = spawn([workload("pages"), "leak", "--iterations", "100"])
    pid = wl.pid

    def mine(rec):
        return [s for s in rec["stacks"] if s.get("pid") == pid]

    def leaking(recs):
        ivs = intervals(recs)
        return ivs and any(s["count"] >= 20 for s in find_stacks({"stacks": mine(ivs[-1])},
                                                                 "leak_page"))

    wait_records(out, leaking, "pages of leak_page", lt)
    assert wl.proc.wait(60) == 0, "the workload failed"
    n = len(intervals(read_records(out)))
    recs = wait_records(out, lambda recs: len(intervals(recs)) >= n + 2 and not mine(
        intervals(recs)[-1]), "a report without the exited process", lt)
    lt.signal(signal.SIGINT)
    rc, _, err = lt.wait()
    assert rc == 0, "leaktrace --system --pages exited with %d: %s" % (rc, err[-500:])
    last = intervals(recs)[-1]
    assert not mine(last), "stacks of exited pid %d:\n%s" % (pid, describe_all(last))
    check_no_probes_left()


def test_pages_then_exact():
    """-p with --pages and --exact-for: pages alone until the process's pages
    keep growing, then its allocator probed for --exact-for seconds (its
    heap stacks show sys_leak_site, every block counted), then pages alone
    again: the probes go, its heap stacks leave, the end record keeps the
    site."""
    require_root()
    rate = 8000
    wl = spawn_workload("sysleak", rate)
    out = tmp("pages-exact-pid.json")
    lt = start_leaktrace_bg(["-p", wl.pid, "--pages", "-i", "0.5", "-w", "4", "--exact-min",
                             "128K", "--exact-for", "2", "-n", "100", "-o", out])
    wait_for_start(out, lt)
    wait_records(out, lambda recs: exact_records(recs, wl.pid, "end") and intervals(recs)[-1]["t"]
                 > exact_records(recs, wl.pid, "end")[0]["t"],
                 "an exact record that ends the exact tracing of pid %d, and a report after it"
                 % wl.pid, lt)
    lt.signal(signal.SIGINT)
    rc, _, err = lt.wait()
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-2000:])
    assert re.search(r"; when its pages keep growing \(by 128\.0 KiB over the window\), its "
                     r"allocations are traced exactly for 2s at a time;", err), err[:1000]
    recs = load_stream(out, window=4, top=100, interval=0.5)
    assert recs[0]["exact"] == {"top": 1, "for": 2.0, "min": 128 << 10}, recs[0].get("exact")
    assert not ALLOC_FUNCS & {p["func"] for p in recs[0]["probes"]}, (
        "an allocator probed from the start: %r" % recs[0]["probes"])
    start, end = exact_records(recs, wl.pid, "start")[0], exact_records(recs, wl.pid, "end")[0]
    assert start["growth_window"] >= 128 << 10 and start["comm"] == "sysleak", start
    assert end["reason"] == "time" and 1.5 <= end["lasted"] <= 3, end
    assert end["sites"], "no site in %r" % end
    assert_site(end["sites"][0]["frame"], "sys_leak_site", "sysleak.c",
                marker_line("sysleak.c", "sys_leak_site"))
    during = [r for r in intervals(recs) if start["t"] < r["t"] <= end["t"]]
    found = [s for r in during for s in heap_stacks_of(r, wl.pid)
             if s["frames"] and s["frames"][0].get("func") == "sys_leak_site"]
    assert found, "no sys_leak_site heap stack while traced exactly:\n%s" % (
        describe_all(during[-1]))
    assert all(s["bytes"] == rate * s["count"] > 0 for s in found), found
    assert all(r["probe_calls_per_s"] > 0 for r in during[1:]), (
        "traced exactly, yet no probe calls: %r" % [r["probe_calls_per_s"] for r in during])
    before = [r for r in intervals(recs) if r["t"] <= start["t"]]
    assert not any(heap_stacks_of(r, wl.pid) for r in before), "heap stacks before the phase"
    assert all(any(s["kind"] == "pages" for s in r["stacks"]) for r in during), (
        "the pages stacks left while traced exactly")
    nxt = [r for r in intervals(recs) if r["t"] > end["t"]][0]
    assert not heap_stacks_of(nxt, wl.pid), (
        "heap stacks after the exact tracing ended:\n%s" % describe_all(nxt))
    assert wl.alive(), "pid %d died" % wl.pid
    wl.stop()
    # a command that exits while traced exactly: its phase ends with it,
    # said before the final report, which keeps its heap stacks
    out = tmp("pages-exact-cmd.json")
    rc, _, err = run_leaktrace(["--pages", "-i", "0.5", "-w", "4", "--exact-min", "128K",
                                "--exact-for", "600", "-o", out, "--", workload("sysleak"), rate,
                                "--seconds", "3"])
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-2000:])
    recs = load_stream(out, window=4, interval=0.5)
    ends = [r for r in recs if r["type"] == "exact" and r["state"] == "end"]
    assert len(ends) == 1 and ends[0]["reason"] == "exited" and ends[0]["sites"], ends
    assert_site(ends[0]["sites"][0]["frame"], "sys_leak_site", "sysleak.c",
                marker_line("sysleak.c", "sys_leak_site"))
    final = recs[-1]
    assert final["reason"] == "target-exited", final
    assert [s for s in final["stacks"] if s["kind"] == "heap" and s["frames"]
            and s["frames"][0].get("func") == "sys_leak_site"], (
        "the final report lost the heap stacks of the phase:\n%s" % describe_all(final))
    check_no_probes_left()


def test_pages_bad_combinations():
    require_root()
    for args, what in ((["--sources", "libc"], "replaces"), (["--sources", "auto,python"],
                                                              "replaces"),
                       (["--sample", "10"], "--sample"), (["--floor"], "--floor")):
        rc, _, err = run_leaktrace(["--pages", *args, "-p", str(os.getpid())])
        assert_one_error_line(rc, err, what)


def test_pages_no_probes_left():
    check_no_probes_left()
