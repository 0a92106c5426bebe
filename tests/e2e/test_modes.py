# SPDX-License-Identifier: GPL-2.0-only
"""How leaktrace runs and stops: --fail-on-growth, the text table, SIGINT and
SIGTERM, and that no probe outlives it."""

import re
import signal
import time

from common import (check_no_probes_left, load_stream, marker_line, require_root, run_leaktrace,
                    spawn_workload, start_leaktrace_bg, tmp, wait_for_start)


def _fail_on_growth(workload, limit, want_rc):
    require_root()
    wl = spawn_workload(workload)
    out = tmp("fog.json")
    rc, _, err = run_leaktrace(["-p", wl.pid, "-i", "0.5", "-d", "3", "--fail-on-growth", limit,
                                "-o", out], timeout=45)
    assert rc == want_rc, "%s with --fail-on-growth %s: exit status %d, want %d" % (
        workload, limit, rc, want_rc)
    load_stream(out, window=6, top=10, interval=0.5)
    assert wl.alive(), "the target died"


def test_fail_on_growth_trips():
    # leaky grows ~5 KB/s: past 1K within the first interval.
    _fail_on_growth("leaky", "1K", 3)


def test_fail_on_growth_under_limit():
    _fail_on_growth("leaky", "100M", 0)


def test_fail_on_growth_quiet():
    # After attach quiet's cache grows back to at most 64 x 256 = 16 KiB of
    # blocks leaktrace has seen allocated; it never exceeds that.
    _fail_on_growth("quiet", "64K", 0)


def test_table_output():
    require_root()
    wl = spawn_workload("leaky")
    rc, out, _ = run_leaktrace(["-p", wl.pid, "-i", "0.5", "-d", "2"], timeout=45)
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
    where = "leaky.c:%d" % marker_line("leaky.c", "leak_site")
    assert where in out, "%s not in the table:\n%s" % (where, out[-3000:])
    assert not re.search(r'^\{"type"', out, re.M), "JSON on stdout without --json"


def _stop_with(sig):
    require_root()
    wl = spawn_workload("leaky")
    out = tmp("sig.json")
    lt = start_leaktrace_bg(["-p", wl.pid, "-i", "0.5", "-o", out])
    wait_for_start(out, lt)
    time.sleep(1.2)
    lt.signal(sig)
    t0 = time.monotonic()
    rc, _, _ = lt.wait(timeout=5)
    took = time.monotonic() - t0
    assert rc == 0, "leaktrace exited with status %d after %s" % (rc, sig.name)
    recs = load_stream(out, window=6, top=10, interval=0.5)
    assert recs[-1]["reason"] == "signal", "exit reason %r, want signal" % recs[-1]["reason"]
    assert took < 5, "took %.1fs to exit" % took
    assert wl.alive(), "the target died with leaktrace"
    check_no_probes_left()


def test_sigint():
    _stop_with(signal.SIGINT)


def test_sigterm():
    _stop_with(signal.SIGTERM)


def test_modes_no_probes_left():
    check_no_probes_left()
