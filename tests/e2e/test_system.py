# SPDX-License-Identifier: GPL-2.0-only
"""--system: every process at once, ranked by growth; processes started later
and short-lived ones; their state released when they exit."""

import json
import time

from common import (LEAKTRACE, LEAKTRACE_SAN, assert_no_sanitizer_errors, check_no_probes_left,
                    describe_all, load_stream, marker_line, require_root, run_leaktrace,
                    spawn_workload, start_leaktrace_bg, tmp, wait_for_start, workload, assert_site)

FAST, SLOW = 2000, 400  # bytes leaked every 20 ms: 100 KB/s and 20 KB/s


def _timeout(secs):
    """Runs the test under a longer limit than tests/run.py's default."""
    def set_timeout(fn):
        fn.timeout = secs
        return fn
    return set_timeout


def _ours(rec, pids):
    return [p for p in rec["processes"] if p["pid"] in pids]


def _leak_stacks(rec, pid):
    return [s for s in rec["stacks"] if s["pid"] == pid and s["frames"]
            and s["frames"][0].get("func") == "sys_leak_site"]


def test_system_five_processes():
    """Two of five processes leak at different rates: both are found, ranked
    by rate, with their stacks; the three quiet ones list no stack."""
    require_root()
    fast = spawn_workload("sysleak", FAST)
    slow = spawn_workload("sysleak", SLOW)
    quiet = [spawn_workload("sysleak", 0) for _ in range(3)]
    out = tmp("system.json")
    lt = start_leaktrace_bg(["--system", "-i", "0.5", "-n", "50", "-o", out])
    wait_for_start(out, lt)
    # a whole window (6) past the first report, however late reports come
    # on a busy machine (one report for several intervals)
    _wait_intervals(out, lt, 8)
    lt.signal(2)
    rc, _, err = lt.wait(timeout=60)
    assert rc == 0, "leaktrace --system exited with status %d: %s" % (rc, err[-2000:])
    recs = load_stream(out, window=6, top=50, interval=0.5, system=True)
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
        listed = [s for s in last["stacks"] if s["pid"] == q.pid]
        assert not listed, "quiet pid %d has suspects:\n%s" % (q.pid, describe_all(last))
        assert rows.get(q.pid, {"growth_window": 0})["growth_window"] < SLOW * 25 // 2, (
            "quiet pid %d grew like a leaker: %r" % (q.pid, rows.get(q.pid)))
    for wl in [fast, slow] + quiet:
        assert wl.alive(), "pid %d died under --system" % wl.pid


def test_system_short_processes():
    """Hundreds of short processes during the sweep (forks that leave blocks
    outstanding, and execs of /bin/true): a process started later is traced,
    the dead leave the table with a line and take their state with them."""
    require_root()
    out = tmp("spawn.json")
    lt = start_leaktrace_bg(["--system", "-i", "0.5", "-n", "50", "-o", out])
    wait_for_start(out, lt)
    # past the first reports, which symbolize every process's stacks (seconds
    # on a busy machine, while the short children would come and go unseen)
    _wait_intervals(out, lt, 2)
    later = spawn_workload("sysleak", FAST)  # started after leaktrace
    spawner = spawn_workload("spawner", 600, "--hold", 60)
    deadline = time.monotonic() + 40
    while "spawned" not in spawner.stderr() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "spawned 600" in spawner.stderr(), "spawner: %r" % spawner.stderr()[-500:]
    time.sleep(1.6)  # three more reports
    lt.signal(2)
    rc, _, err = lt.wait(timeout=30)
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-2000:])
    recs = load_stream(out, window=6, top=50, interval=0.5, system=True)
    ivs = [r for r in recs if r["type"] in ("interval", "exit")]
    exited = [e for r in ivs for e in r["exited"]]
    children = [e for e in exited if e["comm"] == "spawner" and e["pid"] != spawner.pid]
    # 300 forks leave 8000 bytes each; most are seen before they exit
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
    # every child was reaped over a second before the last report
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
    for args, what in ((["--system", "--sources", "python"], "python"),
                       (["--system", "--lib", workload("leaky")], "--lib"),
                       (["--system", "-p", "1"], "exclude")):
        rc, _, err = run_leaktrace(args + ["-d", "1"], timeout=20)
        assert rc == 2, "%s: exit status %d, want 2" % (args, rc)
        lines = [l for l in err.splitlines() if l.strip()]
        assert len(lines) == 1 and what in lines[0], "%s: want one line naming %s: %r" % (
            args, what, err)


@_timeout(200)
def test_system_busy_at_attach():
    """Processes inside malloc when the probes go in are traced all the same:
    a call whose entry is seen must have its return seen too (the return
    probes go in first), else the thread stays "inside a call" and every
    later malloc from the same depth looks nested and goes unrecorded."""
    require_root()
    hot = [spawn_workload("hotloop") for _ in range(3)]

    def growing(rec, pid):
        return any(s["pid"] == pid and s["frames"] and s["growth_window"] > 0
                   and s["frames"][0].get("func") == "hot_leak_site" for s in rec["stacks"])

    for run in range(2):
        out = tmp("busy-%d.json" % run)
        lt = start_leaktrace_bg(["--system", "-i", "0.5", "-n", "50", "-o", out])
        wait_for_start(out, lt)
        # a leak every 100000 traced calls: seconds apart on a slow machine
        missing, deadline = {wl.pid for wl in hot}, time.monotonic() + 90
        while missing and time.monotonic() < deadline:
            recs = [r for r in _records(out) if r["type"] == "interval"]
            missing = {p for p in missing if not any(growing(r, p) for r in recs)}
            assert lt.proc.poll() is None, "leaktrace exited: %s" % lt.stderr()[-2000:]
            time.sleep(0.2)
        lt.signal(2)
        rc, _, err = lt.wait(timeout=60)
        assert rc == 0, "leaktrace --system exited with status %d: %s" % (rc, err[-2000:])
        last = [r for r in load_stream(out, window=6, top=50, interval=0.5, system=True)
                if r["type"] == "interval"][-1]
        assert not missing, "pids %s, busy in malloc at attach, have no growing " \
            "hot_leak_site in 90s:\n%s" % (sorted(missing), describe_all(last))


def _records(path):
    """The complete JSON lines of @path so far."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return []
    return [json.loads(l) for l in text.splitlines(keepends=True) if l.endswith("\n")]


def _wait_intervals(path, lt, n, timeout=60):
    """Waits for @n interval records in @path, failing early if the
    Background @lt exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(r["type"] == "interval" for r in _records(path)) >= n:
            return
        if lt.proc.poll() is not None:
            rc, _, err = lt.wait()
            raise AssertionError("leaktrace exited with status %d before %d reports: %s" % (
                rc, n, err[-3000:]))
        time.sleep(0.1)
    raise AssertionError("fewer than %d interval records in %s after %ds" % (n, path, timeout))


@_timeout(180)
def test_system_sanitized():
    """The ASan+UBSan build through a --system sweep: the first report of a
    quiet system, with nothing exited or exec'd yet (the process table's
    empty sets), then a leaker and short processes that fork, exec and exit.
    Text on stdout and JSON lines to a file, a final report at SIGINT."""
    require_root()
    out = tmp("san.json")
    lt = start_leaktrace_bg(["--system", "-i", "0.5", "-n", "20", "-o", out],
                            binary=LEAKTRACE_SAN)
    wait_for_start(out, lt, timeout=90)
    _wait_intervals(out, lt, 1)
    leaker = spawn_workload("sysleak", FAST)
    spawner = spawn_workload("spawner", 200, "--period", 5, "--hold", 60)
    deadline = time.monotonic() + 60
    while "spawned" not in spawner.stderr() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "spawned 200" in spawner.stderr(), "spawner: %r" % spawner.stderr()[-500:]
    have = sum(r["type"] == "interval" for r in _records(out))
    _wait_intervals(out, lt, have + 3)  # the exited released, the leaker found
    lt.signal(2)
    rc, text, err = lt.wait(timeout=60)
    assert_no_sanitizer_errors(err)
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-2000:])
    assert "all processes" in text, "no table on stdout: %r" % text[-2000:]
    recs = load_stream(out, window=6, top=20, interval=0.5, system=True)
    final = [r for r in recs if r["type"] == "interval"][-1]
    st = _leak_stacks(final, leaker.pid)
    assert st, "the leaker is not found:\n%s" % describe_all(final)
    exited = [e for r in recs[1:] for e in r["exited"] if e["comm"] == "spawner"]
    assert exited, "no child of the spawner said to exit"


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
    lt = start_leaktrace_bg(["--system", "-i", interval, "--max-allocs", 1024, "-n", 5,
                             "-o", out], binary=binary)
    wait_for_start(out, lt)
    leakers = [spawn_workload("sysleak", FAST) for _ in range(2)]
    spawner = spawn_workload("spawner", 100000, "--period", 10)
    deadline = time.monotonic() + 90
    full = None
    while full is None and time.monotonic() < deadline:
        full = next((r for r in _records(out)
                     if r["type"] == "interval" and r["counters"]["allocs_full"]), None)
        assert lt.proc.poll() is None, "leaktrace exited under pressure: %s" % lt.stderr()[-2000:]
        time.sleep(0.2)
    assert full, "the allocs map (--max-allocs 1024) never filled in 90s"
    have = sum(r["type"] == "interval" for r in _records(out))
    _wait_intervals(out, lt, have + 6)
    for wl in leakers + [spawner]:
        assert wl.alive(), "pid %d died under --system" % wl.pid
    lt.signal(2)
    rc, _, err = lt.wait(timeout=120)
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
            if p["comm"] != "spawner" or p["pid"] == spawner.pid:
                continue
            later = ivs[i + 1:]
            assert any(p["pid"] in {e["pid"] for e in x["exited"]} for x in later) or any(
                p["pid"] in {q["pid"] for q in x["processes"]} for x in later[-2:]), (
                "child %d of the spawner, listed at t=%s, left the table without being "
                "said to exit" % (p["pid"], r["t"]))
    print("  %d interval reports, %d said late: %s" % (
        len(recs) - 2, late, sorted({r["late_reason"] for r in recs if "late" in r})[:3]))


@_timeout(240)
def test_system_pressure_reports_on_time():
    _pressure(LEAKTRACE)


@_timeout(240)
def test_system_pressure_sanitized():
    _pressure(LEAKTRACE_SAN)
