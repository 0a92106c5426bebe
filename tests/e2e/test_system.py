# SPDX-License-Identifier: GPL-2.0-only
"""--system: every process at once, ranked by growth; processes started later
and short-lived ones; their state released when they exit; native stacks
through code built without frame pointers, with unwind tables made for the
processes whose stacks need them; descriptor and mapping stacks that start at
the libc wrapper's caller."""

import json
import os
from pathlib import Path
import re
import signal

from common import (WAIT, LEAKTRACE, LEAKTRACE_SAN, PY_WORKLOAD_SRC, assert_no_sanitizer_errors,
                    check_no_probes_left, py_marker_line, py_sites, spawn,
                    describe, describe_all, funcs, intervals, load_stream, marker_line,
                    read_records, require_root, run_leaktrace, spawn_workload,
                    start_leaktrace_bg, tmp, trace_until, wait_for_start, wait_intervals,
                    wait_until, workload, assert_site, wait_records, exact_records,
                    heap_stacks_of, uprobe_multi_links, _bpftool_json, kernel_at_least)

FAST, SLOW = 2000, 400  # bytes leaked every 20 ms: 100 KB/s and 20 KB/s
CACHE_ENTRIES = 64  # tests/workloads/churn.h
SYSTEM_PYTHON = "/usr/bin/python3"
# Every growing stack listed: on a machine busy with other work (compilers
# grow by megabytes a second) the test's own small leaks rank anywhere.
TOP = 100000
# But each listed stack of a new process is symbolized, and with hundreds of
# short processes a report listing every one of them (and of the machine's
# other new processes) takes seconds: test_system_short_processes lists the
# top 200, and its later leaker grows at 1 MB/s, to be among them.
TOP_SHORT = 200
# A GL program started under --system makes its driver (Mesa's llvmpipe and
# LLVM) from tens of thousands of stacks in its first seconds: listing every
# one (TOP) took each report 10 s to symbolize and write. Once they leave the
# window, the leaks the test looks for are among a few hundred.
TOP_GL = 400
LATER = 20000
# Its events_lost must stay 0, so its ring carries only what the test
# makes: with the mmap source, every anonymous mmap of every process on
# the machine is an event with its stack (about 1 KiB, in a 4 MiB ring),
# and a busy machine (compilers) fills it while a slow report is made.
SHORT_SOURCES = "libc"


def _ours(rec, pids):
    return [p for p in rec["processes"] if p["pid"] in pids]


def _leak_stacks(rec, pid):
    return [s for s in rec["stacks"] if s["pid"] == pid and s["frames"]
            and s["frames"][0].get("func") == "sys_leak_site"]


def _cache_settled(ivs, pid):
    """Whether sysleak @pid's cache, refilled under tracing (its blocks from
    before the attach go, new ones come: growth, once), has left the window
    (-w 6) of the last of the reports @ivs: six reports after the first that
    saw the whole cache under the last stack to hold it (a stack walked
    with the unwind tables, once they come, goes on past libc's frames)."""
    first = {}
    for i, r in enumerate(ivs):
        for st in r["stacks"]:
            if st["pid"] == pid and st["count"] >= CACHE_ENTRIES:
                first.setdefault(json.dumps(st["frames"], sort_keys=True), i)
    return bool(first) and len(ivs) >= max(first.values()) + 1 + 6


def test_system_five_processes():
    """Two of five processes leak at different rates: both are found, ranked
    by rate, with their stacks; the three quiet ones list no stack."""
    require_root()
    fast = spawn_workload("sysleak", FAST)
    slow = spawn_workload("sysleak", SLOW)
    quiet = [spawn_workload("sysleak", 0) for _ in range(3)]
    out = tmp("system.json")

    def settled(recs):
        # Every sysleak refills its cache (64 blocks) after the attach, which
        # counts as growth, and again under a stack of its own when its
        # unwind tables come (the stack of its cache, walked with them,
        # goes on past libc's frames). Once a report has seen the whole
        # cache under the last stack to hold it, that growth leaves the
        # window (-w 6) six reports later. Then: both leakers with 25 leaks
        # or more in the window of the last report.
        ivs = intervals(recs)
        if not all(_cache_settled(ivs, wl.pid) for wl in [fast, slow] + quiet):
            return False
        return all(any(s["growth_window"] >= rate * 25 for s in _leak_stacks(ivs[-1], wl.pid))
                   for wl, rate in ((fast, FAST), (slow, SLOW)))

    rc, _, err = trace_until(["--system", "--exact", "-i", "0.5", "-n", TOP], out, settled,
                             "report six after each sysleak's cache was refilled, with both "
                             "leakers' window growth past 25 leaks")
    assert rc == 0, "leaktrace --system exited with status %d: %s" % (rc, err[-2000:])
    recs = load_stream(out, window=6, top=TOP, interval=0.5, system=True)
    assert recs[0].get("system") is True, "start record does not say system: %r" % recs[0]
    assert "pid" not in recs[-1], "a --system record carries pid at its top level"
    last = [r for r in recs if r["type"] == "interval"][-1]
    line = marker_line("sysleak.c", "sys_leak_site")
    pids = {fast.pid, slow.pid} | {q.pid for q in quiet}
    ranked = [p["pid"] for p in last["processes"] if p["pid"] in pids]
    assert ranked[:2] == [fast.pid, slow.pid], (
        "processes ranked %r, want the fast leaker %d then the slow one %d first: %r" % (
            ranked, fast.pid, slow.pid, _ours(last, pids)))
    rows = {p["pid"]: p for p in last["processes"]}
    for wl, rate in ((fast, FAST), (slow, SLOW)):
        row = rows[wl.pid]
        assert row["comm"] == "sysleak", "pid %d comm %r" % (wl.pid, row["comm"])
        # 0.5 s intervals, 25 leaks an interval: the window holds several
        assert row["growth_window"] >= rate * 25, "pid %d grew %d in the window, want >= %d" % (
            wl.pid, row["growth_window"], rate * 25)
        st = _leak_stacks(last, wl.pid)
        assert st, "no sys_leak_site stack for pid %d:\n%s" % (wl.pid, describe_all(last))
        assert_site(st[0]["frames"][0], "sys_leak_site", "sysleak.c", line)
        assert st[0]["comm"] == "sysleak"
        assert st[0]["bytes"] % rate == 0 and st[0]["count"] == st[0]["bytes"] // rate, (
            "pid %d: %d bytes in %d blocks of %d" % (wl.pid, st[0]["bytes"], st[0]["count"], rate))
        assert st[0]["growth_window"] > 0
    for q in quiet:
        # churn() frees each block right after making it; a report read
        # between the two (the process preempted there, on a loaded host)
        # shows that one block, in flight, as growth of one block: listed,
        # never a suspect. Anything else of a quiet process is not noise.
        listed = [s for s in last["stacks"] if s["pid"] == q.pid and not (
            s["count"] == 1 and not s["suspect"] and funcs(s)[:1] == ["churn"])]
        assert not listed, "quiet pid %d has stacks listed:\n%s" % (q.pid, describe_all(last))
        assert rows.get(q.pid, {"growth_window": 0})["growth_window"] < SLOW * 25 // 2, (
            "quiet pid %d grew like a leaker: %r" % (q.pid, rows.get(q.pid)))
    for wl in [fast, slow] + quiet:
        assert wl.alive(), "pid %d died under --system" % wl.pid


def test_system_short_processes():
    """Hundreds of short processes during the sweep (forks that leave blocks
    outstanding, and execs of /bin/true): a process started later is traced,
    the dead leave the table with a line and take their state with them.
    The spawner makes them in batches of 100; each batch's forks live until
    a report has been made since they leaked, however long reports take."""
    require_root()
    out = tmp("spawn.json")
    lt = start_leaktrace_bg(["--system", "--sources", SHORT_SOURCES, "-i", "0.5", "-n", TOP_SHORT,
                             "-o", out])
    wait_for_start(out, lt)
    later = spawn_workload("sysleak", LATER)  # started after leaktrace
    spawner = spawn_workload("spawner", 600, "--hold", 600, "--batch", 100)
    for k in range(1, 7):
        wait_until(lambda: "batch %d\n" % k in spawner.stderr(),
                   "'batch %d' line from the spawner" % k, lt=lt)
        # the second report from now is made after the batch's leaks
        wait_intervals(out, len(intervals(read_records(out))) + 2, lt)
        spawner.signal(signal.SIGUSR1)
    wait_until(lambda: "spawned" in spawner.stderr(), "'spawned' line from the spawner", lt=lt)
    assert "spawned 600" in spawner.stderr(), "spawner: %r" % spawner.stderr()[-500:]
    # three more reports, the first of them maybe begun before the last reap
    wait_intervals(out, len(intervals(read_records(out))) + 3, lt)
    lt.signal(2)
    rc, _, err = lt.wait()
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-2000:])
    recs = load_stream(out, window=6, top=TOP_SHORT, interval=0.5, system=True)
    ivs = [r for r in recs if r["type"] in ("interval", "exit")]
    exited = [e for r in ivs for e in r["exited"]]
    children = [e for e in exited if e["comm"] == "spawner" and e["pid"] != spawner.pid]
    # 300 forks leave 8000 bytes each, all seen before they exit
    assert len(children) >= 100, "only %d forked children said to exit (of 300): %r" % (
        len(children), exited[:20])
    # what a child had at the last report before it exited: all 8 blocks,
    # unless that report caught it between its mallocs and the next one
    # came after its exit (a slow machine)
    left = [c["bytes"] for c in children]
    assert all(b in range(1000, 8001, 1000) for b in left) and \
        left.count(8000) * 2 >= len(left), "children left %r" % sorted(set(left))
    assert len({c["pid"] for c in children}) == len(children), "a child said to exit twice"
    final = ivs[-1]
    # every child was reaped two reports or more before the last one
    for p in final["processes"] + final["stacks"]:
        assert p["comm"] != "spawner" or p["pid"] == spawner.pid, (
            "child %d of the spawner is gone but still in the last report" % p["pid"])
    st = _leak_stacks(final, later.pid)
    assert st, "the leaker started after leaktrace is not found:\n%s" % describe_all(final)
    assert_site(st[0]["frames"][0], "sys_leak_site", "sysleak.c",
                marker_line("sysleak.c", "sys_leak_site"))
    # nothing lost for lack of room: the dead were released from the maps
    # (a stack of a process that exec'd, read just as it was released, may
    # be counted unreadable: that is no lack of room)
    full = {k: final["counters"][k] for k in ("allocs_full", "stats_full", "stacks_full",
                                               "events_lost")}
    assert not any(full.values()), "maps or ring full: %r" % full
    check_no_probes_left()


def test_system_bad_combinations():
    require_root()
    for args, what in ((["--system", "--census"], "--census"),
                       (["--system", "--lib", workload("leaky")], "--lib"),
                       (["--system", "-p", "1"], "exclude")):
        rc, _, err = run_leaktrace(args + ["-d", "1"])
        assert rc == 2, "%s: exit status %d, want 2" % (args, rc)
        lines = [l for l in err.splitlines() if l.strip()]
        assert len(lines) == 1 and what in lines[0], "%s: want one line naming %s: %r" % (
            args, what, err)


def _hot_leaks(wl):
    """How many blocks hotloop @wl has leaked: its last "leaked N" line."""
    m = re.findall(r"^leaked (\d+)$", wl.stdout_path.read_text(errors="replace"), re.M)
    return int(m[-1]) if m else 0


def test_system_busy_at_attach():
    """Processes inside malloc when the probes go in are traced all the same:
    a call whose entry is seen must have its return seen too (the return
    probes go in first), else the thread stays "inside a call" and every
    later malloc from the same depth looks nested and goes unrecorded.
    A hotloop leaks once every 100,000 malloc+free pairs, 0.2 s to 2 s
    depending on the cost of a trap: each run lasts until every hotloop has
    leaked twice since the attach and a report shows each one growing."""
    require_root()
    hot = [spawn_workload("hotloop") for _ in range(3)]
    for _ in range(2):
        out = tmp("busy.json")
        lt = start_leaktrace_bg(["--system", "--exact", "-i", "0.5", "-n", TOP, "-o", out])
        wait_for_start(out, lt)
        at_start = {wl.pid: _hot_leaks(wl) for wl in hot}
        wait_until(lambda: all(_hot_leaks(wl) >= at_start[wl.pid] + 2 for wl in hot),
                   "two leaks of every hotloop since the attach", lt=lt,
                   detail=lambda: "leaked since the attach: %r" % {
                       wl.pid: _hot_leaks(wl) - at_start[wl.pid] for wl in hot})

        def growing(wl, rec):
            return [s for s in rec["stacks"] if s["pid"] == wl.pid and s["frames"] and
                    s["frames"][0].get("func") == "hot_leak_site" and s["growth_window"] > 0]

        def seen(recs):
            return all(any(growing(wl, r) for r in intervals(recs)) for wl in hot)

        try:
            wait_until(lambda: seen(read_records(out)),
                       "report with a growing hot_leak_site for each hotloop", lt=lt,
                       detail=lambda: "leaked since the attach: %r" % {
                           wl.pid: _hot_leaks(wl) - at_start[wl.pid] for wl in hot})
        finally:
            lt.signal(2)
            rc, _, err = lt.wait()
        assert rc == 0, "leaktrace --system exited with status %d: %s" % (rc, err[-2000:])
        recs = load_stream(out, window=6, top=TOP, interval=0.5, system=True)
        for wl in hot:
            found = [r for r in intervals(recs) if growing(wl, r)]
            assert found, "pid %d, busy in malloc at attach, leaked %d blocks since and has " \
                "no growing hot_leak_site in any report; the last:\n%s" % (
                    wl.pid, _hot_leaks(wl) - at_start[wl.pid], describe_all(intervals(recs)[-1]))


def test_system_sanitized():
    """The ASan+UBSan build through a --system sweep: the first report of a
    quiet system, with nothing exited or exec'd yet (the process table's
    empty sets), then a leaker and short processes that fork, exec and exit.
    Text on stdout and JSON lines to a file, a final report at SIGINT."""
    require_root()
    out = tmp("san.json")
    lt = start_leaktrace_bg(["--system", "--exact", "-i", "0.5", "-n", TOP, "-o", out],
                            binary=LEAKTRACE_SAN)
    wait_for_start(out, lt, timeout=WAIT)
    wait_intervals(out, 1, lt)
    leaker = spawn_workload("sysleak", FAST)
    spawner = spawn_workload("spawner", 200, "--hold", 600)
    wait_until(lambda: "spawned 200" in spawner.stderr(), "the spawner's 200 processes",
               lt=lt, detail=lambda: spawner.stderr()[-500:])
    wait_intervals(out, len(intervals(read_records(out))) + 3, lt)
    lt.signal(signal.SIGINT)
    rc, text, err = lt.wait(timeout=WAIT)
    assert_no_sanitizer_errors(err)
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-2000:])
    assert "all processes" in text, "no table on stdout: %r" % text[-2000:]
    recs = load_stream(out, window=6, top=TOP, interval=0.5, system=True)
    final = intervals(recs)[-1]
    assert _leak_stacks(final, leaker.pid), "the leaker is not found:\n%s" % describe_all(final)
    exited = [e for r in recs[1:] for e in r.get("exited", []) if e["comm"] == "spawner"]
    assert exited, "no child of the spawner said to exit"
def _exited(pid):
    """Whether @pid has exited: gone, or a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def _pressure(binary):
    """The allocs map full (a small --max-allocs) while short processes exit
    all the time: every report comes at its interval, or says it is late and
    why; the drops show the full map; nothing crashes. (Forgetting an exited
    process was a pass over the whole allocs map, in the event loop: reports
    came tens of seconds apart, and said nothing.) No duration is assumed of
    this machine: a report that leaktrace itself says is late passes."""
    require_root()
    interval, bound = 0.5, 1.0
    out = tmp("pressure.json")
    lt = start_leaktrace_bg(["--system", "--exact", "-i", interval, "--max-allocs", 1024, "-n", 5,
                             "-o", out], binary=binary)
    wait_for_start(out, lt)
    leakers = [spawn_workload("sysleak", FAST) for _ in range(2)]
    spawner = spawn_workload("spawner", 100000, "--period", 10)
    wait_records(out, lambda recs: any(r["counters"]["allocs_full"] for r in intervals(recs)),
                 "a report with the allocs map (--max-allocs 1024) full", lt)
    wait_intervals(out, len(intervals(read_records(out))) + 6, lt)
    for wl in leakers + [spawner]:
        assert wl.alive(), "pid %d died under --system" % wl.pid
    # The spawner's children listed so far: each has exited (a zombie until
    # the spawner reaps it) or is gone before the last two reports, which
    # must say so if it left the table; one still alive may just rank
    # below -n 5.
    children = {p["pid"] for r in intervals(read_records(out)) for p in r["processes"]
                if p["comm"] == "spawner" and p["pid"] != spawner.pid}
    wait_until(lambda: all(_exited(pid) for pid in children),
               "the %d children of the spawner listed so far to exit" % len(children), lt=lt)
    wait_intervals(out, len(intervals(read_records(out))) + 2, lt)
    lt.signal(2)
    rc, _, err = lt.wait()
    assert_no_sanitizer_errors(err)
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-2000:])
    recs = load_stream(out, window=6, top=5, interval=interval, system=True)
    prev = {"t": 0.0}
    late = 0
    for r in recs[1:-1]:
        if "late" in r:
            late += 1
            assert r["late"] > 0 and isinstance(r.get("late_reason"), str) and r["late_reason"], (
                "t=%s: late %r with no reason: %r" % (r["t"], r["late"], r.get("late_reason")))
        elif "late" not in prev:
            assert r["t"] - prev["t"] <= interval + bound, (
                "report at t=%s came %.2fs after the one before (-i %s) and does not say "
                "it is late" % (r["t"], r["t"] - prev["t"], interval))
        prev = r
    last = recs[-2]
    c = last["counters"]
    assert c["allocs_full"] > 0 and last["dropped"] >= c["allocs_full"], (
        "the full map is not in the drops: dropped %d, counters %r" % (last["dropped"], c))
    assert last["totals"]["heap"]["count"] <= 1024, "more heap blocks live than --max-allocs: %r" % (
        last["totals"])
    # children that recorded anything (the map has room for few) are said
    # to exit once they have, if they left the table before the end
    ivs = recs[1:]
    for i, r in enumerate(ivs[:-2]):
        for p in r["processes"]:
            if p["pid"] not in children:
                continue
            later = ivs[i + 1:]
            assert any(p["pid"] in {e["pid"] for e in x["exited"]} for x in later) or any(
                p["pid"] in {q["pid"] for q in x["processes"]} for x in later[-2:]), (
                "child %d of the spawner, listed at t=%s, left the table without being "
                "said to exit" % (p["pid"], r["t"]))
    print("  %d interval reports, %d said late: %s" % (
        len(recs) - 2, late, sorted({r["late_reason"] for r in recs if "late" in r})[:3]))


def test_system_pressure_reports_on_time():
    _pressure(LEAKTRACE)


def test_system_pressure_sanitized():
    _pressure(LEAKTRACE_SAN)


# unwb_inner's callers in tests/workloads/unwind (all -fomit-frame-pointer)
UNWIND_CHAIN = ["unwb_inner", "unwb_outer", "unwa_inner", "unwa_outer", "unw_step", "unw_run",
                "main"]
# Stacks walked with frame pointers in processes that have their tables:
# before tables were made under --system, every stack counted here (400,000
# in 4 s on the test machine); now only code without call frame information
# (or mapped since the tables were made), in any process of the machine: a
# few thousand where others run builds, a tenth of the stacks that waited.
NO_TABLE_MAX = 1000


def _unwind_stacks(rec, pid):
    return [s for s in rec["stacks"] if s["pid"] == pid and s["frames"]
            and s["frames"][0].get("func") == "unwb_inner"]


def _chain(stack):
    # gcc's clones: unw_run.constprop.0 is unw_run
    return [(f or "").split(".")[0] for f in funcs(stack)][:len(UNWIND_CHAIN)]


def test_system_unwind_tables():
    """A program built without frame pointers, started under --system: its
    stacks asked for its unwind tables, which were made (libraries and the
    executable) and walked down to main; until then its stacks were walked
    with frame pointers, which stop in the first library. Few stacks went
    without a table in processes that had theirs. Making the tables took
    leaktrace no trap of its own: its allocator is not the probed libc's,
    and measuring what a trap costs, at start, is no self hit either; the
    reports say what the probes cost, as a share of all the CPU time."""
    require_root()
    out = tmp("system-unwind.json")
    lt = start_leaktrace_bg(["--system", "--sources", "libc", "-i", "0.5", "-n", TOP,
                             "--stack-depth", "64", "-o", out])
    wait_for_start(out, lt)
    wl = spawn_workload("unwind", "chain", "--seconds", 600)

    def through_tables(recs):
        # the whole stack has more leaks than those that stopped short
        # (before the tables were made): it grows through the tables
        ivs = intervals(recs)
        st = _unwind_stacks(ivs[-1], wl.pid) if ivs else []
        full = sum(s["count"] for s in st if _chain(s) == UNWIND_CHAIN)
        return full > sum(s["count"] for s in st if _chain(s) != UNWIND_CHAIN)

    def cost_said(recs):
        # the probes' share of the machine's CPU time: unknown over an
        # interval where leaktrace's own work (the unwind tables) was most
        # of it, so waited for
        return any(r["probe_calls_per_s"] > 0 and r.get("probe_share", 0) > 0
                   for r in intervals(recs))

    wait_records(out, lambda recs: through_tables(recs) and cost_said(recs),
                 "a report where most unwb_inner stacks of pid %d reach main, and one with "
                 "the probes' share of the CPU time" % wl.pid, lt)
    lt.signal(signal.SIGINT)
    rc, _, err = lt.wait()
    assert rc == 0, "leaktrace --system exited with status %d: %s" % (rc, err[-2000:])
    assert wl.alive(), "pid %d died under --system" % wl.pid
    recs = load_stream(out, window=6, top=TOP, interval=0.5, system=True)
    final = [r for r in recs if r["type"] in ("interval", "exit")][-1]
    st = _unwind_stacks(final, wl.pid)
    full = [s for s in st if _chain(s) == UNWIND_CHAIN]
    assert full, "no unwb_inner stack of pid %d reaches main in the final report:\n%s" % (
        wl.pid, "\n".join(describe(s) for s in st))
    modules = [f["module"].rsplit("/", 1)[-1] for f in full[0]["frames"][:5]]
    assert modules == ["libunwb.so", "libunwb.so", "libunwa.so", "libunwa.so", "unwind"], modules
    # before the tables were made: frame pointers, which stop short
    short = [s for s in st if s not in full]
    assert all(len(s["frames"]) < len(UNWIND_CHAIN) for s in short), "\n".join(
        describe(s) for s in short)
    c = final["counters"]
    assert c["unwind_modules"] >= 4 and c["unwind_rows"] > 0, c
    assert c["unwind_waiting"] > 0, "no stack waited for its tables: %r" % c
    assert c["unwind_no_table"] <= max(NO_TABLE_MAX, c["unwind_waiting"] // 10), (
        "%d stacks reached code without a table in processes with tables: %r" % (
            c["unwind_no_table"], c))
    assert c["self_probe_hits"] == 0, "leaktrace's own calls hit its probes: %r" % c
    assert recs[0].get("trap_ns", 0) > 0, "no trap cost in the start record: %r" % recs[0]
    ivs = intervals(recs)
    assert c["probe_calls"] > 0 and all(r["probe_calls_per_s"] >= 0 for r in ivs), c
    assert any(r["probe_calls_per_s"] > 0 and r.get("probe_share", 0) > 0 for r in ivs), [
        {k: v for k, v in r.items() if k.startswith("probe_")} for r in ivs]
    wl.stop()


def _py_leak(rec, pid):
    """@pid's pyobj stacks of Record objects made in leak_record()."""
    line = py_marker_line("container_leak.py", "leak_record")
    return [s for s in rec["stacks"] if s["pid"] == pid and s["kind"] == "pyobj"
            and s.get("type") == "Record" and py_sites(s)[:1] == [
                ("leak_record", "container_leak.py", line)]]


def test_system_python():
    """--system traces the objects and Python frames of every CPython
    process, one there before the attach and one started after, beside a C
    leaker: each leak at the top of its own process, with its kind, type
    and Python line; a quiet process lists nothing."""
    require_root()
    script = [SYSTEM_PYTHON, "-B", PY_WORKLOAD_SRC / "container_leak.py"]
    before = spawn(script)
    out = tmp("system-python.json")
    lt = start_leaktrace_bg(["--system", "--exact", "-i", "0.5", "-n", TOP, "-o", out])
    wait_for_start(out, lt)
    after = spawn(script)
    leaker = spawn_workload("sysleak", FAST)
    quiet = spawn_workload("sysleak", 0)

    def found(recs):
        ivs = intervals(recs)
        return ivs and all(_py_leak(ivs[-1], p.pid) for p in (before, after)) and _leak_stacks(
            ivs[-1], leaker.pid)

    wait_records(out, found, "Record leaks of both Python processes and the C leak", lt)
    lt.signal(signal.SIGINT)
    rc, _, err = lt.wait()
    assert rc == 0, "leaktrace --system exited with status %d: %s" % (rc, err[-2000:])
    assert "python" in read_records(out)[0]["sources"], "python is not among --system's sources"
    last = [r for r in intervals(read_records(out)) if found([r])][-1]
    for p in (before, after):
        st = _py_leak(last, p.pid)[0]
        assert st["comm"].startswith("python"), "pid %d comm %r" % (p.pid, st["comm"])
        assert st["growth_window"] > 0 and st["count"] > 0, describe_all(last)
        # the Python frames come after the native ones, down to the module
        assert py_sites(st)[-1][0] == "<module>", "pid %d: Python frames %r" % (
            p.pid, py_sites(st))
        mine = [s for s in last["stacks"] if s["pid"] == p.pid]
        assert mine[0]["kind"] == "pyobj", "pid %d: its first stack is %s, not a pyobj:\n%s" % (
            p.pid, mine[0]["kind"], describe_all(last))
    assert not [s for s in last["stacks"] if s["pid"] == quiet.pid], (
        "quiet pid %d has stacks:\n%s" % (quiet.pid, describe_all(last)))
    for wl in (before, after, leaker, quiet):
        assert wl.alive(), "pid %d died under --system" % wl.pid
        wl.stop()


def _gl_leak(rec, pid, kind="gl.texture", func="leak_texture"):
    """@pid's stacks of @kind made in gl_leak.c's @func."""
    return [s for s in rec["stacks"] if s["pid"] == pid and s["kind"] == kind
            and s["frames"] and s["frames"][0].get("func") == func]


def test_system_c_python_gl():
    """--system with a C service, a Python service and GL programs leaking at
    once, one GL program drawing since before the attach (its driver found
    through its threads) and one started after (through the context it makes
    current): each leak at the top of its own process with its own kind,
    Python frames and GL object types; a quiet process lists nothing."""
    require_root()
    gl_before = spawn_workload("gl_leak")
    py = spawn([SYSTEM_PYTHON, "-B", PY_WORKLOAD_SRC / "container_leak.py"])
    # before the attach: its cache fills up at its start
    quiet = spawn_workload("sysleak", 0)
    out = tmp("system-c-python-gl.json")
    lt = start_leaktrace_bg(["--system", "--exact", "-i", "0.5", "-n", TOP_GL, "-o", out])
    wait_for_start(out, lt)
    gl_after = spawn_workload("gl_leak")
    leaker = spawn_workload("sysleak", FAST)

    def grown(stacks):
        return [s for s in stacks if s["intervals_grown"] >= 2]

    def found(recs):
        ivs = intervals(recs)
        return ivs and _py_leak(ivs[-1], py.pid) and _leak_stacks(ivs[-1], leaker.pid) and all(
            grown(_gl_leak(ivs[-1], g.pid)) for g in (gl_before, gl_after))

    def settled(recs):
        # the quiet process's cache, refilled under tracing, out of the window
        return found(recs) and _cache_settled(intervals(recs), quiet.pid)

    wait_records(out, settled, "a record with the C, Python and both GL programs' leaks, six "
                 "reports after the quiet process's cache was refilled", lt)
    lt.signal(signal.SIGINT)
    rc, _, err = lt.wait()
    assert rc == 0, "leaktrace --system exited with status %d: %s" % (rc, err[-2000:])
    recs = read_records(out)
    assert {"python", "gl"} <= set(recs[0]["sources"]), "--system's sources %r lack python " \
        "or gl" % recs[0]["sources"]
    ivs = intervals(recs)
    last = [r for i, r in enumerate(ivs)
            if found([r]) and _cache_settled(ivs[:i + 1], quiet.pid)][-1]

    def mine(pid):
        return [s for s in last["stacks"] if s["pid"] == pid]

    # the C leak: heap, from its own function
    st = mine(leaker.pid)[0]
    assert st["kind"] == "heap" and funcs(st)[:1] == ["sys_leak_site"], describe_all(last)
    # the Python leak: its objects, typed, with Python frames down to the module
    assert mine(py.pid)[0]["kind"] == "pyobj", describe_all(last)
    st = _py_leak(last, py.pid)[0]
    assert py_sites(st)[-1][0] == "<module>", "Python frames %r" % (py_sites(st),)
    # the GL leaks: GL objects, by type, from gl_leak.c's functions; the
    # textures' bytes (8 KiB each) rank first among the bytes, the other
    # objects (of no size) first among the counts: the top two of each
    for g in (gl_before, gl_after):
        top = mine(g.pid)[:2]
        assert any(s["kind"].startswith("gl.") and funcs(s)[:1] and
                   funcs(s)[0].startswith("leak_") for s in top), (
            "pid %d: no GL leak in its top two stacks:\n%s" % (g.pid, describe_all(last)))
        tex = _gl_leak(last, g.pid)[0]
        assert tex["comm"] == "gl_leak" and tex["bytes"] > 0, describe(tex)
        for kind, func in (("gl.framebuffer", "leak_framebuffer"),
                           ("gl.program", "leak_program")):
            assert _gl_leak(last, g.pid, kind, func), "pid %d: no %s from %s:\n%s" % (
                g.pid, kind, func, describe_all(last))
    assert not mine(quiet.pid), "quiet pid %d has stacks:\n%s" % (quiet.pid, describe_all(last))
    for wl in (gl_before, py, gl_after, leaker, quiet):
        assert wl.alive(), "pid %d died under --system" % wl.pid
        wl.stop()


def _conn_leaks(rec, pid, kind, caller):
    """@pid's stacks of @kind that lead to fdconn's @caller."""
    return [s for s in rec["stacks"] if s["pid"] == pid and s["kind"] == kind
            and caller in funcs(s)[:3]]


def test_system_fd_mmap_callers():
    """Under --system, as under -p, a descriptor's and an anonymous
    mapping's stack start at the function that called the libc wrapper
    (fdconn's conn_open), not in the wrapper: the syscall sites of libc,
    found in a process there before the attach, serve one started after
    from its first call."""
    require_root()
    before = spawn_workload("fdconn")
    out = tmp("system-fd.json")
    lt = start_leaktrace_bg(["--system", "--sources", "mmap,fd", "-i", "0.5", "-n", TOP,
                             "-o", out])
    wait_for_start(out, lt)
    after = spawn_workload("fdconn")
    wls = (before, after)
    leaks = (("fd", "serve_fdleak", "conn_efd"), ("mmap", "serve_mapleak", "conn_buf"))

    def found(recs):
        ivs = intervals(recs)
        return ivs and all(_conn_leaks(ivs[-1], wl.pid, kind, caller)
                           for wl in wls for kind, caller, _ in leaks)

    wait_records(out, found, "fd and mmap leaks of both fdconn processes", lt)
    lt.signal(signal.SIGINT)
    rc, _, err = lt.wait()
    assert rc == 0, "leaktrace --system exited with status %d: %s" % (rc, err[-2000:])
    last = [r for r in intervals(read_records(out)) if found([r])][-1]
    for wl in wls:
        for kind, caller, marker in leaks:
            for st in _conn_leaks(last, wl.pid, kind, caller):
                assert funcs(st)[:2] == ["conn_open", caller], (
                    "pid %d (%s): the %s stack starts %s, want conn_open then %s:\n%s" % (
                        wl.pid, "before" if wl is before else "after", kind, funcs(st)[:3],
                        caller, describe_all(last)))
                assert_site(st["frames"][0], "conn_open", "fdconn.c",
                            marker_line("fdconn.c", marker))
    assert last["counters"]["sys_sites"] > 0, "no syscall site given: %r" % last["counters"]
    for wl in wls:
        assert wl.alive(), "pid %d died under --system" % wl.pid
        wl.stop()


def test_system_pages_then_exact(binary=LEAKTRACE):
    """--system watches every process by its pages, and traces the two whose
    pages keep growing exactly, each on its own and for --exact-for seconds:
    while it is, its heap stacks show sys_leak_site (every block counted);
    then leaktrace steps back: its probes go, its heap stacks leave the
    report, and the end record keeps the site. A quiet process is never
    traced exactly, and no malloc is probed for every process."""
    require_root()
    fast = spawn_workload("sysleak", 8000)
    slow = spawn_workload("sysleak", 4000)
    quiet = spawn_workload("sysleak", 0)
    leakers = {fast.pid: 8000, slow.pid: 4000}
    out = tmp("pages-exact.json")
    # --exact-top 8: the machine's own growers (compilers) may take slots
    lt = start_leaktrace_bg(["--system", "-i", "0.5", "-w", "4", "--exact-min", "128K",
                             "--exact-for", "2", "--exact-top", "8", "-n", TOP, "-o", out],
                            binary=binary)
    wait_for_start(out, lt)
    links = {}

    def ended(recs):
        # the probes held while a grower is traced exactly: the most any
        # look saw, as a phase may end between reading the records and
        # reading leaktrace's links
        if any(exact_records(recs, pid, "start") and not exact_records(recs, pid, "end")
               for pid in leakers):
            links["start"] = max(links.get("start", 0), uprobe_multi_links(lt.pid))
        ivs = intervals(recs)
        return all(exact_records(recs, pid, "end") and ivs[-1]["t"] > exact_records(recs, pid, "end")[0]["t"]
                   for pid in leakers)

    wait_records(out, ended, "an exact record that ends each leaker's exact tracing, and a "
                 "report after it", lt)
    lt.signal(signal.SIGINT)
    rc, text, err = lt.wait()
    assert rc == 0, "leaktrace --system exited with status %d: %s" % (rc, err[-2000:])
    recs = load_stream(out, window=4, top=TOP, interval=0.5, system=True)
    # The header's live totals name the pages, and a GL kind only once some
    # process had one live: GL is traced in every process, and with no GL
    # program among them it said "0 B in 0" for each of its nine kinds.
    seen = {k for r in recs for k, t in r.get("totals", {}).items() if t["count"] or t["bytes"]}
    headers = re.findall(r"^  live: (.*); dropped", text, re.M)
    assert headers, "no live totals in the table: %r" % text[-2000:]
    for h in headers:
        listed = set(re.findall(r"(?:^|, )(\S+) ~?\S+ \S+ in", h))
        assert "pages" in listed, "no pages in the header: %s" % h
        gl = {k for k in listed if k.startswith(("gl.", "egl."))}
        assert gl <= seen, "the header lists GL kinds no process had live (had: %s): %s" % (
            sorted(seen), h)
    assert recs[0]["exact"] == {"top": 8, "for": 2.0, "min": 128 << 10}, recs[0].get("exact")
    assert "pages" in recs[0]["sources"], recs[0]["sources"]
    assert not [p for p in recs[0]["probes"] if p["func"] == "malloc"], (
        "malloc probed for every process: %r" % recs[0]["probes"])
    line = marker_line("sysleak.c", "sys_leak_site")
    for pid, rate in leakers.items():
        start, end = exact_records(recs, pid, "start")[0], exact_records(recs, pid, "end")[0]
        assert start["growth_window"] >= 128 << 10 and start["comm"] == "sysleak", start
        assert end["reason"] == "time" and 1.5 <= end["lasted"] <= 3, end
        assert end["sites"], "pid %d: no site in %r" % (pid, end)
        assert_site(end["sites"][0]["frame"], "sys_leak_site", "sysleak.c", line)
        during = [r for r in intervals(recs) if start["t"] < r["t"] <= end["t"]]
        found = [s for r in during for s in heap_stacks_of(r, pid)
                 if s["frames"] and s["frames"][0].get("func") == "sys_leak_site"]
        assert found, "pid %d: no sys_leak_site heap stack while traced exactly:\n%s" % (
            pid, describe_all(during[-1]))
        assert all(s["bytes"] == rate * s["count"] > 0 for s in found), found
        before = [r for r in intervals(recs) if r["t"] <= start["t"]]
        assert not any(heap_stacks_of(r, pid) for r in before), (
            "pid %d has heap stacks before it is traced exactly" % pid)
        # the first report after the end: its heap stacks are gone
        nxt = [r for r in intervals(recs) if r["t"] > end["t"]][0]
        assert not heap_stacks_of(nxt, pid), (
            "pid %d: heap stacks after its exact tracing ended:\n%s" % (pid, describe_all(nxt)))
    assert not [r for r in recs if r["type"] == "exact" and r["pid"] == quiet.pid], (
        "the quiet process was traced exactly")
    assert not any(heap_stacks_of(r, quiet.pid) for r in intervals(recs))
    if kernel_at_least(os.uname().release, 6, 6):
        assert links.get("start", 0) >= 2, "no uprobe_multi link while traced exactly: %r" % links
    for wl in (fast, slow, quiet):
        assert wl.alive(), "pid %d died under --system" % wl.pid
    check_no_probes_left()


def test_system_pages_then_exact_sanitized():
    """The same under the ASan+UBSan build: probes attached and detached for
    a while, heap records forgotten while the rest stays."""
    test_system_pages_then_exact(binary=LEAKTRACE_SAN)


def _focus_map_pids(lt_pid):
    """The tgids in the focus map of leaktrace @lt_pid (bpf/pages.bpf.h), read
    with bpftool through the map ids its descriptors hold."""
    ids = set()
    for fd in os.listdir("/proc/%d/fdinfo" % lt_pid):
        try:
            text = Path("/proc/%d/fdinfo/%s" % (lt_pid, fd)).read_text()
        except OSError:
            continue
        ids.update(int(m) for m in re.findall(r"^map_id:\s*(\d+)$", text, re.M))
    maps = [i for i in ids if _bpftool_json("map", "show", "id", str(i)).get("name") == "focus"]
    assert len(maps) == 1, "leaktrace %d holds %d maps named focus" % (lt_pid, len(maps))
    pids = set()
    for e in _bpftool_json("map", "dump", "id", str(maps[0])):
        if "formatted" in e:
            pids.add(int(e["formatted"]["key"]))
        else:
            pids.add(int.from_bytes(bytes(int(b, 16) for b in e["key"]), "little"))
    return pids


def _pages_of(rec, pid):
    return [s for s in rec["stacks"] if s["pid"] == pid and s["kind"] == "pages"]


def test_system_focus():
    """--system walks the stacks of a process's pages only once it grew, in
    one interval, by --exact-min over the window: a quiet process, which
    faults a few pages as it starts and then reuses them, has them charged
    to one stack not walked (no frame of its own) and is never in focus; a
    leaker has its first pages there too, and once it grew, the stacks of
    its new pages are walked (sys_leak_site). When it exits it leaves the
    focus map."""
    require_root()
    out = tmp("system-focus.json")
    # 200 KiB an interval puts a process in focus: sysleak 8000 faults in
    # about 380 KiB a second; the quiet one has under 150 KiB of anonymous
    # memory in all (RssAnon), files' private copies included, which are
    # not charged. No exact phase: focus comes from growth alone.
    lt = start_leaktrace_bg(["--system", "-i", "1", "-w", "4", "--exact-min", "800K",
                             "--exact-top", "0", "-n", TOP, "-o", out])
    wait_for_start(out, lt)
    wait_intervals(out, 1, lt)
    quiet = spawn_workload("sysleak", 0)
    leaker = spawn_workload("sysleak", 8000)

    def walked(recs):
        return [s for r in intervals(recs) for s in _pages_of(r, leaker.pid)
                if "sys_leak_site" in funcs(s)]

    def quiet_seen(recs):
        return any(_pages_of(r, quiet.pid) for r in intervals(recs))

    recs = wait_records(out, lambda recs: walked(recs) and quiet_seen(recs),
                        "a pages stack of the leaker at sys_leak_site, and the quiet "
                        "process's pages", lt)
    focused = _focus_map_pids(lt.pid)
    assert leaker.pid in focused, "leaker %d not in the focus map: %s" % (leaker.pid, focused)
    assert quiet.pid not in focused, "quiet %d in the focus map" % quiet.pid
    assert intervals(recs)[-1]["counters"]["focused"] >= 1, intervals(recs)[-1]["counters"]
    # a few more reports: the quiet one stays out of focus
    n = len(intervals(recs))
    wait_intervals(out, n + 3, lt)
    assert quiet.pid not in _focus_map_pids(lt.pid), "quiet %d put in focus" % quiet.pid
    assert leaker.stop() == 0
    wait_until(lambda: leaker.pid not in _focus_map_pids(lt.pid),
               "the exited leaker %d out of the focus map" % leaker.pid, lt=lt)
    lt.signal(signal.SIGINT)
    rc, text, err = lt.wait()
    assert rc == 0, "leaktrace --system exited with status %d: %s" % (rc, err[-2000:])
    recs = load_stream(out, window=4, top=TOP, interval=1, system=True)
    ivs = intervals(recs)
    quiet_pages = [s for r in ivs for s in _pages_of(r, quiet.pid)]
    assert quiet_pages, "no pages of the quiet process %d in any report" % quiet.pid
    assert all(s.get("stack_not_walked") for s in quiet_pages), (
        "a stack of the quiet process was walked: %s" % [describe(s) for s in quiet_pages
                                                          if not s.get("stack_not_walked")])
    # the leaker: pages from before it grew, without a stack, then walked
    leaker_pages = [(i, s) for i, r in enumerate(ivs) for s in _pages_of(r, leaker.pid)]
    first_unwalked = min((i for i, s in leaker_pages if s.get("stack_not_walked")), default=None)
    first_walked = min((i for i, s in leaker_pages if "sys_leak_site" in funcs(s)), default=None)
    assert first_unwalked is not None, "no pages of the leaker %d without a stack: %s" % (
        leaker.pid, [describe(s) for _, s in leaker_pages][:10])
    assert first_walked is not None and first_walked > first_unwalked, (
        "the leaker's stacks walked at report %s, its pages without a stack first at %s" % (
            first_walked, first_unwalked))
    assert re.search(r"\[stack not walked: faulted in before pid %d grew" % quiet.pid, text), (
        "no [stack not walked] line for pid %d in the table" % quiet.pid)
    assert quiet.alive(), "the quiet process died under --system"
    quiet.stop()
    check_no_probes_left()
