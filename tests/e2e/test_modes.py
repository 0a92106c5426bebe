# SPDX-License-Identifier: GPL-2.0-only
"""How leaktrace runs and stops: --fail-on-growth, the text table, SIGINT and
SIGTERM, and that no probe outlives it."""

import re
import signal
import time

from common import (PY_WORKLOAD_SRC, WAIT, check_no_probes_left, churn_settled, describe,
                    describe_all, find_py_stacks, find_stacks, intervals, load_stream,
                    marker_line, read_records, require_root, run_leaktrace, spawn_workload,
                    start_leaktrace_bg, tmp, trace_until, wait_for_start, wait_intervals,
                    wait_until)


def _fail_on_growth(workload, limit, want_rc, until, what):
    """leaktrace -p @workload --fail-on-growth @limit until(records), then
    SIGINT: exit status @want_rc."""
    require_root()
    wl = spawn_workload(workload)
    out = tmp("fog.json")
    rc, _, err = trace_until(["-p", wl.pid, "-i", "0.5", "--fail-on-growth", limit], out, until,
                             what)
    assert rc == want_rc, "%s with --fail-on-growth %s: exit status %d, want %d" % (
        workload, limit, rc, want_rc)
    load_stream(out, window=6, top=10, interval=0.5)
    assert wl.alive(), "the target died"


def _leak_total(recs):
    """leak_site's growth since tracing began, in the last report."""
    ivs = intervals(recs)
    return max([s["growth_total"] for s in find_stacks(ivs[-1], "leak_site")] if ivs else [0],
               default=0)


def test_fail_on_growth_trips():
    # leaky grows ~5 KB/s: past 1K within a few reports.
    _fail_on_growth("leaky", "1K", 3, lambda recs: _leak_total(recs) > 1024,
                    "report with leak_site grown past 1K")


def test_fail_on_growth_under_limit():
    # the same growth, under a limit it does not reach
    _fail_on_growth("leaky", "100M", 0, lambda recs: _leak_total(recs) > 1024,
                    "report with leak_site grown past 1K")


def test_fail_on_growth_quiet():
    # After attach quiet's cache grows back to at most 64 x 256 = 16 KiB of
    # blocks leaktrace has seen allocated; it never exceeds that, however
    # long after the refill the run goes on.
    _fail_on_growth("quiet", "64K", 0, churn_settled,
                    "report six after one that saw the whole cache")


def test_table_output():
    require_root()
    wl = spawn_workload("leaky")
    where = "leaky.c:%d" % marker_line("leaky.c", "leak_site")
    lt = start_leaktrace_bg(["-p", wl.pid, "-i", "0.5"])
    # the table is on stdout: until a report shows the leak, then SIGINT
    wait_until(lambda: where in lt.stdout_path.read_text(errors="replace"),
               "report naming %s on stdout" % where, lt=lt)
    lt.signal(signal.SIGINT)
    rc, out, _ = lt.wait()
    assert rc == 0, "leaktrace exited with status %d" % rc
    lines = out.splitlines()
    heads = [i for i, l in enumerate(lines) if l.startswith("leaktrace") and str(wl.pid) in l]
    assert heads, "no header line starting with 'leaktrace' and naming pid %d:\n%s" % (
        wl.pid, out[:2000])
    # The per-kind live totals: on the header line or the line right after it.
    block = " ".join(lines[heads[-1]:heads[-1] + 2]).lower()
    assert re.search(r"heap\s+[\d.]+\s*[KMG]?i?B", block, re.I), (
        "header has no heap total: %r" % block)
    assert "leak_site" in out, "leak_site not in the table:\n%s" % out[-3000:]
    assert where in out, "%s not in the table:\n%s" % (where, out[-3000:])
    assert not re.search(r'^\{"type"', out, re.M), "JSON on stdout without --json"


def _stop_with(sig):
    require_root()
    wl = spawn_workload("leaky")
    out = tmp("sig.json")
    lt = start_leaktrace_bg(["-p", wl.pid, "-i", "0.5", "-o", out])
    wait_for_start(out, lt)
    wait_intervals(out, 2, lt)
    lt.signal(sig)
    t0 = time.monotonic()
    rc, _, _ = lt.wait()
    took = time.monotonic() - t0
    assert rc == 0, "leaktrace exited with status %d after %s" % (rc, sig.name)
    recs = load_stream(out, window=6, top=10, interval=0.5)
    assert recs[-1]["reason"] == "signal", "exit reason %r, want signal" % recs[-1]["reason"]
    # at once, with a final report, not when the target exits (it does
    # not): a bound for a loaded machine, well under the wait for an exit
    assert took < WAIT / 3, "took %.1fs to exit" % took
    assert wl.alive(), "the target died with leaktrace"
    check_no_probes_left()


def test_sigint():
    _stop_with(signal.SIGINT)


def test_sigterm():
    _stop_with(signal.SIGTERM)


def test_modes_no_probes_left():
    check_no_probes_left()


def test_duration_reports_before_the_command_ends():
    """-d ends a command that would run on: the final report is the state
    when the duration ran out, taken before leaktrace ends the command. A
    Python program given SIGTERM exits cleanly and frees what its modules
    hold; a report taken after that showed the leak shrinking."""
    require_root()
    script = "pages_leak.py"
    cmd = ["/usr/bin/python3", "-B", PY_WORKLOAD_SRC / script, "--seconds", 600]
    for mode, kind in ((["--pages"], "pages"), ([], None)):
        out = tmp("duration%s.json" % "-".join(mode))
        rc, _, err = run_leaktrace(mode + ["-i", "1", "-d", "4", "-o", out, "--"] + cmd)
        assert rc == 0, "leaktrace %s -d 4 exited with status %d: %s" % (mode, rc, err)
        ex = read_records(out)[-1]
        assert ex["type"] == "exit" and ex["reason"] == "duration", "last record: %s" % ex
        assert "command" not in ex, "the command ended before the final report: %s" % (
            ex["command"])
        st = find_py_stacks(ex, "leak_block", script, kind=kind)
        assert st, "%s: leak_block is not in the final report:\n%s" % (mode, describe_all(ex))
        for s in st:
            assert s["growth"] >= 0 and s["growth_total"] > 0, (
                "%s: leak_block shrank at the final report: %s" % (mode, describe(s)))
