# SPDX-License-Identifier: GPL-2.0-only
"""The Python census (--census, on by default for a CPython target): the live
objects the target's garbage collector tracks, counted by type from outside,
no probe. census_leak.py keeps one auth.sessions.Session per login in a
module-level dict and a bounded list of Steady objects that turns over: the
census ranks Session first with the count the workload says it holds, the
bytes its size makes, and never lists Steady; a program without a leak
shows no type that grows. Run on every CPython 3.8-3.13 found here, the
census alone (--sources libc: no Python probe at all), so that what it
counts is not what the probes saw. holders_leak.py keeps its Items in one
holder a run (a set, a closure cell, a class attribute, an instance's
values, a function's attribute, the frames of stored tracebacks, a
function's defaults, an instance's __slots__, suspended generators'
locals): backrefs finds the chain through
it, on every version."""

import errno
import os
import re
import signal

from common import (PY_WORKLOAD_SRC, TRACEFS, SkipAlways, _bpftool_json, assert_one_error_line,
                    intervals, load_stream, py_marker_line, read_jsonl, require_binary,
                    require_root, run_leaktrace, spawn, spawn_workload, start_leaktrace_bg, tmp,
                    trace_phases, trace_until, wait_for_start, wait_records, workload)
from test_python import _python

INTERVAL = 0.5
WINDOW = 4
TOP = 20
HOLD = 600
MIN_SESSIONS = 150
SYSTEM_PYTHON = "/usr/bin/python3"


def _row(rec, name):
    return next((r for r in rec.get("census", []) if r["type"] == name), None)


def _census_run(script, python, enough, what, extra=(), args=()):
    require_root()
    require_binary()
    out = tmp(script.replace(".py", ".json"))
    cmd = [python, "-B", PY_WORKLOAD_SRC / script] + list(args) + ["--hold", HOLD]
    rc, stdout, err, held = trace_phases(
        ["-i", INTERVAL, "-w", WINDOW, "-n", TOP, "--sources", "libc"] + list(extra), out, cmd,
        after_ready=WINDOW + 2, enough=enough, what=what)
    assert rc == 0, "leaktrace -- %s exited with status %d: %s" % (script, rc, err[-800:])
    recs = load_stream(out, window=WINDOW, top=TOP, interval=INTERVAL)
    assert "python" not in recs[0]["sources"], "the census ran beside Python probes"
    assert "census" in held, "no census in the record made in the hold: %s" % err[-800:]
    cs = held["census_stats"]
    assert cs["ok"], "the census read in the hold failed: %r" % cs
    return recs, held, stdout, err


def _check_growth(python, minor):
    recs, held, stdout, err = _census_run(
        "census_leak.py", python,
        lambda rec: (_row(rec, "Session") or {}).get("count", 0) >= MIN_SESSIONS,
        "a census with %d Sessions" % MIN_SESSIONS)
    m = re.search(r"^sessions (\d+) steady (\d+)$", stdout, re.M)
    assert m, "census_leak.py did not say how many sessions it holds"
    sessions, steady = int(m.group(1)), int(m.group(2))
    sizes = re.findall(r"^sizes Session=(\d+)\+(\d+)$", err, re.M)
    assert sizes, "census_leak.py printed no sizes line"
    basic = int(sizes[-1][0])
    # The record checked is the first whose Session count is the one it
    # keeps from then on: the loop's last leak is in its last interval, so
    # its window is all growth. (The record trace_phases picks in the hold
    # may come seconds late on a busy machine, its window the hold alone.)
    # Not the highest count: a read that met a collection moving objects
    # between generations (census_stats relinked, lists_cut) may count some
    # twice, once.
    ivs = intervals(recs)
    counts = [(_row(rec, "Session") or {}).get("count") for rec in ivs]
    listed = [i for i, c in enumerate(counts) if c is not None]
    assert listed, "CPython 3.%d: no record lists Session: %r" % (minor, held["census"][:3])
    final = counts[listed[-1]]
    at = listed[-1]
    while at > 0 and counts[at - 1] == final:
        at -= 1
    settled = ivs[at]
    rows = settled["census"]
    assert rows and rows[0]["type"] == "Session", (
        "CPython 3.%d: rank 1 of the census at t=%s is %r, want Session: %r" % (
            minor, settled["t"], rows[0]["type"] if rows else None, rows[:3]))
    top = rows[0]
    # Once the loop is over nothing is made or freed: the count is the
    # workload's own.
    assert abs(top["count"] - sessions) <= max(2, sessions // 100), (
        "CPython 3.%d: census counts %d Sessions, the workload holds %d" % (
            minor, top["count"], sessions))
    assert top["suspect"] and top["growth_window"] > 0, "Session not a suspect: %r" % top
    # GC header, and from 3.11 the pre-header of the managed dict/weakref
    each = basic + 16 + (16 if minor >= 11 else 0)
    assert top["bytes"] == top["count"] * each, (
        "CPython 3.%d: %d Sessions take %d bytes, want %d each (basicsize %d)" % (
            minor, top["count"], top["bytes"], each, basic))
    # Steady turns over at a fixed size: never listed as growing, once the
    # list filled before the ready line is out of the window (the loop's
    # first Session is after it).
    first = next(i for i, rec in enumerate(ivs) if _row(rec, "Session"))
    for rec in ivs[min(first + WINDOW + 1, ivs.index(held)):]:
        assert not _row(rec, "Steady"), "Steady (%d kept) listed as growing at t=%s: %r" % (
            steady, rec["t"], _row(rec, "Steady"))
    # The top growing type, once a suspect: what holds one of its newest.
    _check_chain(recs, "Session", "_ACTIVE", "dict", "key", r"'u-(\d+)'", sessions)
    cs = held["census_stats"]
    assert cs["objects"] >= sessions + steady, "census read %d objects, fewer than %d held" % (
        cs["objects"], sessions + steady)
    assert 0 <= cs["skipped"] <= cs["objects"] // 100, "census skipped %d of %d objects" % (
        cs["skipped"], cs["objects"])


def _check_chain(recs, type, attr, container, kind, label, held):
    """The first backrefs record of @type: module auth.sessions -> @attr
    (@container) -> [@label] -> @type, with an index or key among the
    newest ones (under the @held made by the end)."""
    brs = [r for r in recs if r["type"] == "backrefs" and r["object_type"] == type]
    assert brs, "no backrefs record for %s: %r" % (type, [
        r for r in recs if r["type"] == "backrefs"])
    # A type named with --backrefs is searched for every report: while the
    # program still churns, a search may find its chain moved under every
    # try (said, never printed unverified); the next report's search goes on.
    moved = [r for r in brs if r.get("error") == os.strerror(errno.EAGAIN)]
    br = ([r for r in brs if "error" not in r] or brs)[0]
    assert "error" not in br, "backrefs of %s failed: %r" % (type, br)
    assert all(r in moved for r in brs[:brs.index(br)]), (
        "backrefs of %s failed other than by a moving heap: %r" % (type, brs[:brs.index(br)]))
    assert br.get("verified", True), "an unverified chain printed: %r" % br
    chain = br["chain"]
    got = [(l["kind"], l.get("key", l.get("name")), l["type"]) for l in chain]
    assert len(chain) == 3, "chain to %s: %r" % (type, got)
    assert got[0][:2] == ("module", "auth.sessions"), "chain to %s: %r" % (type, got)
    assert got[1] == ("attr", attr, container), "chain to %s: %r" % (type, got)
    assert got[2][0] == kind and got[2][2] == type, "chain to %s: %r" % (type, got)
    m = re.fullmatch(label, got[2][1])
    assert m, "chain to %s: link %r is not %s" % (type, got[2][1], label)
    assert 0 <= int(m.group(1)) < held, "chain to %s: %r" % (type, got)
    return br


def test_census_growth():
    _check_growth(SYSTEM_PYTHON, 11)


def _other(minor):
    python = _python(minor)
    if not python:
        raise SkipAlways("no python3.%d on this machine (Debian bookworm has only 3.11)" % minor)
    _check_growth(python, minor)


def test_census_cpython38():
    _other(8)


def test_census_cpython39():
    _other(9)


def test_census_cpython310():
    _other(10)


def test_census_cpython312():
    _other(12)


def test_census_cpython313():
    _other(13)


def test_census_backrefs_named():
    # --backrefs TYPE for a type that does not grow, and --backrefs-dot.
    dot = tmp("chain.dot")
    recs, held, stdout, err = _census_run(
        "census_leak.py", SYSTEM_PYTHON,
        lambda rec: (_row(rec, "Session") or {}).get("count", 0) >= MIN_SESSIONS,
        "a census with %d Sessions" % MIN_SESSIONS, extra=["--backrefs", "Steady",
                                                           "--backrefs-dot", dot])
    m = re.search(r"^sessions (\d+) steady (\d+)$", stdout, re.M)
    assert m, "census_leak.py did not say how many it holds"
    # the newest Steady objects are at the end of the bounded list
    br = _check_chain(recs, "Steady", "_RECENT", "list", "index", r"(\d+)", int(m.group(2)))
    assert not [r for r in recs if r["type"] == "backrefs" and r["object_type"] == "Session"], (
        "--backrefs Steady also searched for the top growing type")
    assert int(br["chain"][2]["name"]) >= int(m.group(2)) // 2, (
        "the chain leads to an old Steady: %r" % br["chain"])
    text = open(dot).read()
    assert text.startswith("digraph backrefs {") and "module auth.sessions" in text and (
        '[label="_RECENT"]' in text and "Steady" in text), "DOT file: %r" % text[:500]


# What each holder of keepers.py makes backrefs print, link by link:
# (kind, name or key as a regex, type), and the table's line.
_M = ("module", "keepers", "module")
HOLDERS = {
    "set": ([_M, ("attr", "CACHE", "set"), ("item", None, "Item")],
            r"module keepers -> CACHE \(set\) -> \{Item\}  \("),
    "closure": ([_M, ("attr", "keep", "function"), ("cell", "items", "list"),
                 ("index", r"\d+", "Item")],
                r"module keepers -> keep \(function\) -> closure cell 'items' \(list\) -> "
                r"\[\d+\] -> Item  \("),
    "class": ([_M, ("attr", "Registry", "type"), ("attr", "entries", "list"),
               ("index", r"\d+", "Item")],
              r"module keepers -> Registry \(class\) -> \.entries \(list\) -> \[\d+\] -> Item  \("),
    "values": ([_M, ("attr", "STORE", "Store"), ("attr", "kept", "list"),
                ("index", r"\d+", "Item")],
               r"module keepers -> STORE \(Store\) -> \.kept \(list\) -> \[\d+\] -> Item  \("),
    "funcattr": ([_M, ("attr", "lookup", "function"), ("attr", "cache", "dict"),
                  ("key", "<int key>", "Item")],
                 r"module keepers -> lookup \(function\) -> \.cache \(dict\) -> \[<int key>\] -> "
                 r"Item  \("),
    "traceback": ([_M, ("attr", "ERRORS", "list"), ("index", r"\d+", "traceback"),
                   ("frame", r"fail\(\)", "frame"), ("local", "batch", "list"),
                   ("index", "0", "Item")],
                  r"module keepers -> ERRORS \(list\) -> \[\d+\] \(traceback\) -> "
                  r"frame fail\(\) local 'batch' \(list\) -> \[0\] -> Item  \("),
    "defaults": ([_M, ("attr", "remember", "function"), ("default", r"__defaults__\[0\]", "list"),
                  ("index", r"\d+", "Item")],
                 r"module keepers -> remember \(function\) -> __defaults__\[0\] \(list\) -> "
                 r"\[\d+\] -> Item  \("),
    "kwdefaults": ([_M, ("attr", "note", "function"),
                    ("default", r"__kwdefaults__\['log'\]", "dict"), ("key", "<int key>", "Item")],
                   r"module keepers -> note \(function\) -> __kwdefaults__\['log'\] \(dict\) -> "
                   r"\[<int key>\] -> Item  \("),
    "slots": ([_M, ("attr", "SLOTTED", "Slotted"), ("slot", "kept", "list"),
               ("index", r"\d+", "Item")],
              r"module keepers -> SLOTTED \(Slotted\) -> \.kept \(list\) -> \[\d+\] -> Item  \("),
    "generator": ([_M, ("attr", "PENDING", "list"), ("index", r"\d+", "generator"),
                   ("local", "batch", "list"), ("index", "0", "Item")],
                  r"module keepers -> PENDING \(list\) -> \[\d+\] \(generator\) -> "
                  r"local 'batch' \(list\) -> \[0\] -> Item  \("),
}


def _check_holder(holder, python, minor):
    """holders_leak.py HOLDER under --backrefs Item: Item grows in the
    census, and every chain printed (one a report) goes through the holder,
    link by link, in JSON and in the table; at least one is found."""
    want, line = HOLDERS[holder]
    recs, held, stdout, err = _census_run(
        "holders_leak.py", python,
        lambda rec: (_row(rec, "Item") or {}).get("count", 0) >= MIN_SESSIONS,
        "a census with %d Items" % MIN_SESSIONS, extra=["--backrefs", "Item"],
        args=[holder])
    m = re.search(r"^items (\d+)$", stdout, re.M)
    assert m, "holders_leak.py did not say how many Items it keeps"
    # the count it keeps from its last record that lists Item on (not the
    # most: one read during a collection may count objects twice)
    ivs = intervals(recs)
    counts = [(_row(rec, "Item") or {}).get("count") for rec in ivs]
    final = next((c for c in reversed(counts) if c is not None), None)
    assert final is not None, "CPython 3.%d, %s: no record lists Item" % (minor, holder)
    item = _row(ivs[counts.index(final)], "Item")
    assert item["suspect"] and item["growth_window"] > 0, (
        "CPython 3.%d, %s: Item not a growing suspect: %r" % (minor, holder, item))
    assert abs(item["count"] - int(m.group(1))) <= max(2, final // 100), (
        "CPython 3.%d, %s: census counts %d Items, the workload keeps %s" % (
            minor, holder, item["count"], m.group(1)))
    brs = [r for r in recs if r["type"] == "backrefs" and r["object_type"] == "Item"]
    found = [r for r in brs if "error" not in r]
    assert found, "CPython 3.%d, %s: no chain found: %r" % (minor, holder, brs[-3:])
    for br in found:
        got = [(l["kind"], l.get("key", l.get("name")), l["type"]) for l in br["chain"]]
        ok = br["verified"] and len(got) == len(want) and all(
            g[0] == w[0] and g[2] == w[2] and (w[1] is None and g[1] is None or
                                               re.fullmatch(w[1], g[1] or ""))
            for g, w in zip(got, want))
        assert ok, "CPython 3.%d, %s: chain %r, want %r" % (minor, holder, got, want)
    assert re.search(r"^  backrefs of Item: " + line, stdout, re.M), (
        "CPython 3.%d, %s: no table line like %r in: %s" % (
            minor, holder, line, "\n".join(l for l in stdout.splitlines()
                                           if "backrefs" in l)[-600:]))


def _holder_test(holder, minor):
    def test():
        python = SYSTEM_PYTHON if minor is None else _python(minor)
        if not python:
            raise SkipAlways("no python3.%d on this machine (Debian bookworm has only 3.11)"
                             % minor)
        _check_holder(holder, python, 11 if minor is None else minor)
    return test


# test_census_holder_set (Debian's python3), test_census_holder_set_cpython38, ...
for _h in HOLDERS:
    for _minor in (None, 8, 9, 10, 11, 12, 13):
        _name = "test_census_holder_%s%s" % (_h, "" if _minor is None else "_cpython3%d" % _minor)
        _fn = _holder_test(_h, _minor)
        _fn.__name__ = _name
        globals()[_name] = _fn


def test_census_quiet():
    # Churn and a bounded cache only: nothing grows by more than the churn
    # in flight at one read (10 Scratch objects and their lists).
    recs, held, _, _ = _census_run("quiet.py", SYSTEM_PYTHON, None, "quiet intervals")
    ivs = intervals(recs)
    # from the record made in the hold on, the window has only the loop
    for rec in ivs[ivs.index(held):]:
        big = [r for r in rec["census"] if r["growth_window"] > 40]
        assert not big, "quiet.py: types grow at t=%s: %r" % (rec["t"], big)
    assert held["census_stats"]["objects"] > 1000, "census of quiet.py: %r" % (
        held["census_stats"])
    assert not [r for r in recs if r["type"] == "backrefs"], "backrefs searched in quiet.py"



def test_census_usage():
    # Options that cannot work together: one line, status 2.
    for args, want in ((["--no-census", "--backrefs", "Session", "-p", "1"], "needs the census"),
                       (["--system", "--census"], "read one CPython process"),
                       (["--backrefs", "", "-p", "1"], "invalid --backrefs")):
        rc, _, err = run_leaktrace(args)
        assert_one_error_line(rc, err, want)


def test_census_not_cpython():
    # --census on a C program: a clear line, no census, a normal run.
    require_root()
    out = tmp("quiet.json")
    rc, _, err = run_leaktrace(["--census", "-i", INTERVAL, "-o", out, "--",
                                workload("quiet"), "--seconds", 2])
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-500:])
    assert re.search(r"^leaktrace: warning: pid \d+ runs no CPython that leaktrace can find: "
                     r"no census$", err, re.M), "no line saying there is no census: %s" % err
    recs = read_jsonl(out)
    assert intervals(recs) and not [r for r in recs if "census" in r or
                                    r["type"] == "backrefs"], "a census of a C program"


def _uprobes_held(lt_pid):
    """The uprobes leaktrace @lt_pid holds, as the kernel lists them: its
    uprobe_multi links (their fdinfo's link_type), its perf-event uprobes
    (bpftool perf) and its uprobe_events lines (libbpf's legacy ones)."""
    held = []
    for fd in os.listdir("/proc/%d/fdinfo" % lt_pid):
        try:
            text = open("/proc/%d/fdinfo/%s" % (lt_pid, fd)).read()
        except OSError:
            continue
        if re.search(r"^link_type:\s*uprobe_multi$", text, re.M):
            held.append("uprobe_multi link, fd %s" % fd)
    held += ["perf event %r" % ev for ev in _bpftool_json("perf")
             if ev.get("pid") == lt_pid and "uprobe" in ev.get("fd_type", "")]
    held += ["uprobe_events: %s" % l for l in (TRACEFS / "uprobe_events").read_text().splitlines()
             if "libbpf_%d_" % lt_pid in l]
    return held


def test_census_sources_none():
    # --sources none: the census alone, not one uprobe in the kernel while it
    # runs (a run with --sources libc holds the allocator's), and Session
    # still found growing and held by auth.sessions._ACTIVE.
    require_root()
    require_binary()
    wl = spawn([SYSTEM_PYTHON, "-B", PY_WORKLOAD_SRC / "census_leak.py"])
    out = tmp("none.json")
    lt = start_leaktrace_bg(["-i", INTERVAL, "-w", WINDOW, "-n", TOP, "--sources", "none",
                             "-o", out, "-p", wl.pid])
    start = wait_for_start(out, lt)
    assert start["sources"] == [], "--sources none traces %r" % start["sources"]
    seen = []

    def grown(recs):
        # the kernel's view at every poll until Session is a suspect with
        # its chain found: never a uprobe
        held = _uprobes_held(lt.pid)
        assert not held, "leaktrace --sources none holds uprobes: %r" % held
        seen.append(1)
        row = _row((intervals(recs) or [{}])[-1], "Session")
        return row and row["suspect"] and [
            r for r in recs if r["type"] == "backrefs" and r["object_type"] == "Session"]

    recs = wait_records(out, grown, "Session a suspect, and its backrefs", lt)
    lt.signal(signal.SIGINT)
    rc, stdout, err = lt.wait()
    wl.stop()
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-800:])
    assert len(seen) >= 2, "the kernel was looked at once only"
    assert not [s for r in intervals(recs) for s in r["stacks"]], "stacks without a source"
    _check_chain(recs, "Session", "_ACTIVE", "dict", "key", r"'u-(\d+)'", 10 ** 9)


def test_census_sources_none_not_cpython():
    # --sources none on a C program: nothing to count, one line, status 2
    require_root()
    wl = spawn_workload("quiet")
    rc, _, err = run_leaktrace(["--sources", "none", "-p", wl.pid])
    wl.stop()
    assert_one_error_line(rc, err, "runs no CPython that leaktrace can find: --sources none "
                          "has no census to read; name a source (--sources auto)")


def test_census_one_view():
    # With exact tracing on (the python source), the census row of the type
    # that grows shows the line that makes it and the chain that holds it,
    # together: census_leak.py's Session, made at the LEAK:login line of
    # auth/sessions.py (its pyobj stack, by rank), held by module
    # auth.sessions -> _ACTIVE (dict) -> ['u-N']; in JSON and in the table.
    require_root()
    require_binary()
    out = tmp("view.json")
    line = py_marker_line("auth/sessions.py", "login")

    def viewed(rec):
        row = _row(rec, "Session")
        return row and row["suspect"] and row.get("sites") and row.get("chain")

    rc, stdout, err = trace_until(
        ["-i", INTERVAL, "-w", WINDOW, "-n", TOP, "--", SYSTEM_PYTHON, "-B",
         PY_WORKLOAD_SRC / "census_leak.py"], out,
        lambda recs: any(viewed(r) for r in intervals(recs)),
        "a census row of Session with its sites and chain")
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-800:])
    recs = load_stream(out, window=WINDOW, top=TOP, interval=INTERVAL)
    assert "python" in recs[0]["sources"], "no exact tracing of Python objects: %r" % recs[0]
    rec = next(r for r in intervals(recs) if viewed(r))
    row = _row(rec, "Session")
    site = row["sites"][0]
    st = rec["stacks"][site["rank"] - 1]
    f = site["frame"]
    assert (f["lang"], f["func"], f["line"]) == ("python", "login", line) and f["file"].endswith(
        "auth/sessions.py"), "Session made at %r, want login at auth/sessions.py:%d" % (f, line)
    assert st["frames"] and f in st["frames"], "the site's frame is not its stack's: %r" % st
    got = [(l["kind"], l.get("key", l.get("name")), l["type"]) for l in row["chain"]]
    assert got[:2] == [("module", "auth.sessions", "module"), ("attr", "_ACTIVE", "dict")] and (
        len(got) == 3 and got[2][0] == "key" and re.fullmatch(r"'u-\d+'", got[2][1])), (
        "chain to Session: %r" % got)
    # the chain is the one the backrefs record of its report printed
    br = [r for r in recs if r["type"] == "backrefs" and r["t"] == row["chain_t"]]
    assert br and br[0]["chain"] == row["chain"] and br[0]["verified"], (
        "chain_t %s: no backrefs record with that chain: %r" % (row["chain_t"], br))
    block = re.search(r"^    type \d+, Session:\n"
                      r"        made at login \(sessions\.py:%d\): stack \d+, \+[\d.]+ \w+ in "
                      r"the window\n(        made at .*\n)*"
                      r"        held by module auth\.sessions -> _ACTIVE \(dict\) -> "
                      r"\['u-\d+'\] -> Session  \(found at \+[\d.]+s\)$" % line, stdout, re.M)
    assert block, "no block of Session's line and chain in the table: %s" % "\n".join(
        l for l in stdout.splitlines() if "Session" in l)[-800:]
