# SPDX-License-Identifier: GPL-2.0-only
"""Source fd: descriptors opened and never closed come out as kind fd at the
function and line that opened them, next to mmap leaks of the same objects,
and the correct paths do not; every kind of call is counted exactly (two
descriptors for pipe and socketpair, dup2 over an open descriptor closes
it); closes of descriptors opened before attach change nothing; Python
frames in fd stacks; fd alone; fd off unless asked."""

import signal

from common import (LEAKTRACE, LEAKTRACE_SAN, PY_WORKLOAD_SRC, assert_no_sanitizer_errors,
                    describe, describe_all, find_py_stacks, find_stacks, funcs, load_stream,
                    marker_line, py_line_of, py_marker_line, py_sites, require_binary,
                    require_root, run_leaktrace, spawn_workload, start_leaktrace_bg, tmp,
                    trace_phases, wait_for_start, workload)


def _one(rec, func, depth=1, kind=None):
    found = find_stacks(rec, func, depth, kind=kind)
    assert len(found) == 1, "want one %s stack at %s, got %d in the %s record t=%s:\n%s" % (
        kind or "any", func, len(found), rec["type"], rec.get("t"), describe_all(rec))
    return found[0]


def _site(st, func, file, marker, caller):
    """Frame 0 is @func at the line of LEAK:@marker in @file, frame 1 @caller."""
    f0 = st["frames"][0]
    assert (f0.get("func"), f0.get("file", "").rsplit("/", 1)[-1], f0.get("line")) == (
        func, file, marker_line(file, marker)), "frame 0 of %s, want %s (%s:%d)" % (
        describe(st), func, file, marker_line(file, marker))
    assert funcs(st)[1] == caller, "frame 1 of %s, want %s" % (describe(st), caller)


def test_fd_conn_loop():
    """The issue's pattern: a conn object opened and closed in a loop, one
    close path forgets close(), another munmap()."""
    require_root()
    out = tmp("fdconn.json")
    iters = 100
    rc, _, _ = run_leaktrace(["--sources", "libc,mmap,fd", "-i", "0.5", "-w", "3", "-n", "20",
                              "-o", out, "--", workload("fdconn"), "--iterations", iters])
    assert rc == 0, "leaktrace -- fdconn exited with status %d" % rc
    recs = load_stream(out, window=3, top=20, interval=0.5)
    assert recs[0]["sources"] == ["libc", "mmap", "fd"], "start sources %r" % recs[0]["sources"]
    ex = recs[-1]
    assert ex["reason"] == "target-exited", "exit reason %r" % ex["reason"]
    assert ex["dropped"] == 0, "dropped %d" % ex["dropped"]
    fd = _one(ex, "serve_fdleak", 2, kind="fd")
    _site(fd, "conn_open", "fdconn.c", "conn_efd", "serve_fdleak")
    # every call seen: exactly one eventfd a loop, and nothing else open
    assert (fd["count"], fd["bytes"]) == (iters, 0), "fd leak: %s, want %d" % (describe(fd), iters)
    assert fd["growth_total"] == iters, "fd growth_total %r, want %d (counts)" % (
        fd["growth_total"], iters)
    mm = _one(ex, "serve_mapleak", 2, kind="mmap")
    _site(mm, "conn_open", "fdconn.c", "conn_buf", "serve_mapleak")
    assert (mm["count"], mm["bytes"]) == (iters, iters * 8192), "mmap leak: %s" % describe(mm)
    assert ex["totals"]["fd"]["count"] == iters, "fd totals %r" % ex["totals"]["fd"]
    assert ex["totals"]["mmap"]["count"] == iters, "mmap totals %r" % ex["totals"]["mmap"]
    # the two leaks and nothing else: not the correct paths, not the other
    # descriptors of the leaking conns
    assert len(ex["stacks"]) == 2, "more suspects than the two leaks:\n%s" % describe_all(ex)
    assert {s["kind"] for s in ex["stacks"]} == {"fd", "mmap"}
    # and they lead the table in the intervals where they grew
    grown = [r for r in recs if r["type"] == "interval" and r["stacks"]]
    assert grown, "no interval record with a suspect"
    for r in grown:
        assert {funcs(s)[1] for s in r["stacks"][:2]} == {"serve_fdleak", "serve_mapleak"}, (
            "interval t=%s:\n%s" % (r["t"], describe_all(r)))


# site -> descriptors left open there by fdexact
FDEXACT_SITES = {
    "site_pipe": 2, "site_socketpair": 2, "site_dup2": 1, "site_dup3": 1, "site_dup": 1,
    "site_openat": 1, "site_creat": 1, "site_eventfd": 1, "site_memfd": 1, "site_epoll": 1,
    "site_timerfd": 1, "site_signalfd": 1, "site_inotify": 1, "site_pidfd": 1,
    "site_listen": 1, "site_connect": 1, "site_accept": 1,
}
ACCEPT_ONE_SITES = ("site_listen", "site_connect", "site_accept")
# sites whose descriptors were all closed (close_range, close, replaced by dup2)
FDEXACT_GONE = ("site_range_victims", "site_pipe2_closed", "site_dup2_victim", "site_dup2_same",
                "site_closed_loop")


def _fd_exact(binary):
    """Every call of fdexact seen from the start (--sources fd alone): the
    count left open at each site is exact."""
    require_root()
    require_binary(binary)
    out = tmp("fdexact.json")
    rc, _, err = run_leaktrace(["--sources", "fd", "-i", "0.5", "-w", "100", "-n", "100",
                                "-o", out, "--", workload("fdexact")], binary=binary)
    if binary == LEAKTRACE_SAN:
        assert_no_sanitizer_errors(err)
    assert rc == 0, "leaktrace -- fdexact exited with status %d" % rc
    recs = load_stream(out, window=100, top=100, interval=0.5)
    assert recs[0]["sources"] == ["fd"], "start sources %r" % recs[0]["sources"]
    ex = recs[-1]
    assert ex["reason"] == "target-exited", "exit reason %r" % ex["reason"]
    assert set(ex["totals"]) == {"fd"}, "totals of kinds not traced: %r" % ex["totals"]
    assert all(s["kind"] == "fd" for s in ex["stacks"]), describe_all(ex)
    assert ex["counters"]["missed_free"] == 0, "missed_free %d" % ex["counters"]["missed_free"]
    bad = []
    for site, count in FDEXACT_SITES.items():
        found = find_stacks(ex, site, 1)
        if len(found) != 1:
            bad.append("%s: %d stacks" % (site, len(found)))
            continue
        st = found[0]
        f0 = st["frames"][0]
        if (st["count"], st["bytes"]) != (count, 0):
            bad.append("%s: %s, want count %d" % (site, describe(st), count))
        if f0.get("line") != marker_line("fdexact.c", site):
            bad.append("%s: line %r, want %d" % (site, f0.get("line"),
                                                 marker_line("fdexact.c", site)))
        # the callers up to main: accept_one's sites have it between (a
        # frame of its own, inlined or not)
        want = ["accept_one", "main"] if site in ACCEPT_ONE_SITES else ["main"]
        if funcs(st)[1:1 + len(want)] != want:
            bad.append("%s: callers %s, want %s" % (site, funcs(st)[1:4], want))
    for site in FDEXACT_GONE:
        for st in find_stacks(ex, site, 1):
            bad.append("%s closed, still listed: %s" % (site, describe(st)))
    # fcntl(F_DUPFD_CLOEXEC): glibc's fcntl makes the call from a helper
    # without a frame pointer, so the stack shows fcntl and misses its caller
    # (README, limits)
    fcntl = [s for s in ex["stacks"] if "fcntl" in (funcs(s)[0] or "")]
    if len(fcntl) != 1 or fcntl[0]["count"] != 1:
        bad.append("fcntl F_DUPFD: %d stacks, want one of count 1" % len(fcntl))
    want = sum(FDEXACT_SITES.values()) + 1
    if ex["totals"]["fd"]["count"] != want:
        bad.append("totals.fd.count %d, want %d" % (ex["totals"]["fd"]["count"], want))
    assert not bad, "\n".join(bad) + "\n" + describe_all(ex)


def test_fd_exact():
    _fd_exact(LEAKTRACE)


def test_fd_exact_sanitized():
    _fd_exact(LEAKTRACE_SAN)


def test_fd_closed_before_attach():
    """-p: 64 descriptors opened before attach and closed after (close and
    close_range) change no total; 5 opened after are counted."""
    require_root()
    wl = spawn_workload("fdpre", env={"ATTACH_WAIT_MS": "600000", "HOLD_MS": "1500"})
    out = tmp("fdpre.json")
    lt = start_leaktrace_bg(["-p", wl.pid, "--sources", "fd", "-i", "0.5", "-o", out])
    wait_for_start(out, lt)
    wl.signal(signal.SIGUSR1)
    rc, _, _ = lt.wait()	# no -d: it stops when fdpre exits
    assert rc == 0, "leaktrace exited with status %d" % rc
    assert wl.proc.wait(timeout=30) == 0, "fdpre exited non-zero"
    recs = load_stream(out, window=6, top=10, interval=0.5)
    ex = recs[-1]
    assert ex["reason"] == "target-exited", "exit reason %r" % ex["reason"]
    for r in recs[1:]:
        tot = r["totals"]["fd"]
        assert tot["count"] >= 0, "%s record t=%s: totals.fd negative: %r" % (
            r["type"], r["t"], tot)
        for s in r["stacks"]:
            assert s["count"] >= 0 and s["frees"] == 0, "%s" % describe(s)
    assert ex["totals"]["fd"]["count"] == 5, "totals.fd %r, want 5" % ex["totals"]["fd"]
    st = _one(ex, "fd_after_site", kind="fd")
    assert st["frames"][0]["line"] == marker_line("fdpre.c", "fd_after_site"), describe(st)
    assert st["count"] == 5, "fd_after_site: %s, want 5" % describe(st)
    assert not find_stacks(ex, "fd_pre_site", 1), "pre-attach site listed:\n%s" % describe_all(ex)


def test_fd_python():
    """A Python Conn whose close_abort() forgets the pipe's read end and
    close_detach() the mapping: fd and mmap stacks with Python frames."""
    require_root()
    script = "fd_leak.py"
    out = tmp("fd_leak.json")

    def enough(rec):
        # 100 leaked pipes and 100 leaked mappings from Conn.__init__
        return all(any(s["count"] >= 100 for s in find_py_stacks(rec, "Conn.__init__", script, k))
                   for k in ("fd", "mmap"))

    # the loop runs until a report shows them, then holds (trace_phases)
    rc, _, _, rec = trace_phases(["--sources", "auto,fd", "-i", "0.5", "-w", "4", "-n", "30"],
                                 out, ["/usr/bin/python3", "-B", PY_WORKLOAD_SRC / script,
                                       "--hold", 600], after_ready=6, enough=enough,
                                 what="report with 100 leaked pipes and mappings")
    assert rc == 0, "leaktrace -- python3 %s exited with status %d" % (script, rc)
    recs = load_stream(out, window=4, top=30, interval=0.5)
    assert set(recs[0]["sources"]) >= {"libc", "mmap", "python", "fd"}, recs[0]["sources"]
    main = ("main", script, py_line_of(script, "serve_fdleak()"))
    fds = find_py_stacks(rec, "Conn.__init__", script, "fd")
    assert len(fds) == 1, "want one fd suspect in Conn.__init__, got %d:\n%s" % (
        len(fds), describe_all(rec))
    st = fds[0]
    assert py_sites(st)[:3] == [("Conn.__init__", script, py_marker_line(script, "conn_pipe")),
                                ("serve_fdleak", script, py_line_of(script, "Conn().close_abort()")),
                                main], "fd stack: %r" % py_sites(st)
    assert st["count"] >= 100 and st["growth_window"] > 0, describe(st)
    mms = [s for s in find_py_stacks(rec, "Conn.__init__", script, "mmap")
           if py_sites(s)[1][0] == "serve_mapleak"]
    assert len(mms) == 1, "want one mmap suspect from serve_mapleak:\n%s" % describe_all(rec)
    assert py_sites(mms[0])[0] == ("Conn.__init__", script, py_marker_line(script, "conn_buf"))
    assert mms[0]["bytes"] == 8192 * mms[0]["count"] and mms[0]["count"] >= 100, describe(mms[0])
    # the correct paths and the closed descriptors of the leaking ones: none
    others = [s for s in rec["stacks"] if s["kind"] == "fd" and s is not st]
    assert not others, "other fd suspects:\n%s" % "\n".join(describe(s) for s in others)


def test_fd_off_by_default():
    """auto leaves fd off: no fd kind, no fd programs attached."""
    require_root()
    out = tmp("fdconn-auto.json")
    rc, _, _ = run_leaktrace(["-i", "0.5", "-o", out, "--", workload("fdconn"),
                              "--iterations", "30"])
    assert rc == 0, "leaktrace exited with status %d" % rc
    recs = load_stream(out, window=6, top=10, interval=0.5)
    assert "fd" not in recs[0]["sources"], "auto turned fd on: %r" % recs[0]["sources"]
    ex = recs[-1]
    assert "fd" not in ex["totals"], "fd totals without the fd source: %r" % ex["totals"]
    assert _one(ex, "serve_mapleak", 2, kind="mmap")["count"] == 30
