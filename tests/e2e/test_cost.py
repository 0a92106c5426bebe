# SPDX-License-Identifier: GPL-2.0-only
"""What exact tracing costs, as leaktrace says it: the trap's cost measured at
start, the traced calls a second of each interval (against what the workload
says it did), the time in probes they make, and the line on stderr that says
what tracing costs the process."""

import re
import signal
import statistics
from pathlib import Path

from common import (_bpftool_json, _held_prog_ids, intervals, load_stream, parse_jsonl_text,
                    require_root, run_leaktrace, spawn_workload, start_leaktrace_bg, tmp,
                    wait_for_start, wait_intervals, wait_until, workload)

CALIB_PROGS = {"calib_enter", "calib_exit"}


def _trap(start):
    assert 0 < start.get("trap_ns", 0) < 1e6, "start record: trap_ns %r, want 0 < ns < 1 ms" % (
        start.get("trap_ns"))
    assert 0 <= start["trap_return_ns"] < 1e6, "trap_return_ns %r" % start["trap_return_ns"]
    return start["trap_ns"], start["trap_return_ns"]


def _pairs_lines(wl):
    """The workload's "pairs P at T" lines: [(P, T)]."""
    return [(int(m.group(1)), float(m.group(2))) for m in re.finditer(
        r"^pairs (\d+) at ([\d.]+)$", wl.stdout_path.read_text(), re.M)]


def _link_progs(pid):
    """The names of the programs that @pid's BPF links run (uprobe_multi and
    tracepoint links: their fdinfo), and of those its perf events run."""
    names = {p["id"]: p.get("name") for p in _bpftool_json("prog", "show")}
    ids = set()
    for info in Path("/proc/%d/fdinfo" % pid).iterdir():
        try:
            text = info.read_text()
        except OSError:
            continue
        if "link_type:" in text:
            ids.update(int(m) for m in re.findall(r"^prog_id:\s*(\d+)$", text, re.M))
    for ev in _bpftool_json("perf"):
        if ev.get("pid") == pid:
            ids.add(ev.get("prog_id"))
    return {names.get(i) for i in ids}


def test_cost_idle_and_trap():
    """The trap's cost is measured at start (more than nothing, less than a
    millisecond), with probes that are gone once tracing runs; a process
    that makes no call costs nothing: 0 calls/s, 0 CPU, in every report."""
    require_root()
    wl = spawn_workload("paced", 0)
    out = tmp("idle.json")
    lt = start_leaktrace_bg(["-p", wl.pid, "-i", "0.5", "-o", out])
    start = wait_for_start(out, lt)
    _trap(start)
    wait_intervals(out, 2, lt)
    # the calibration's programs are loaded (so the names are right), and
    # no link of leaktrace's runs them once tracing runs
    held = _held_names(lt.pid)
    assert CALIB_PROGS <= held, "calibration programs not loaded: %s" % sorted(held)
    linked = _link_progs(lt.pid)
    assert "heap_enter" in linked, "no link runs heap_enter: %s" % sorted(linked)
    assert not linked & CALIB_PROGS, "calibration probes left attached: %s" % sorted(linked)
    wait_intervals(out, 4, lt)
    lt.signal(signal.SIGINT)
    rc, _, err = lt.wait()
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-2000:])
    recs = load_stream(out, interval=0.5)
    reports = [r for r in recs if r["type"] in ("interval", "exit")]
    assert len(reports) >= 4
    for r in reports:
        assert r["probe_calls_per_s"] == 0 and r["probe_cpu"] == 0 and (
            r["probe_ns_per_call"] == 0), "idle pid %d at t=%s: %r" % (wl.pid, r["t"], {
                k: v for k, v in r.items() if k.startswith("probe_")})
        assert r.get("probe_share", 0) == 0, r
        assert r["counters"]["probe_calls"] == 0 and r["counters"]["probe_returns"] == 0
    wl.stop()


def _held_names(pid):
    """The names of the programs @pid holds."""
    names = {p["id"]: p.get("name") for p in _bpftool_json("prog", "show")}
    return {names.get(i) for i in _held_prog_ids([pid])}


def test_cost_calls_per_second():
    """A process that makes a steady, known number of calls a second: each
    report's calls/s is near the rate it says it kept, half the calls have a
    return probe (malloc; free has none), and the time in probes is calls/s
    times the cost of a call, entry and return, a good part of the process's
    own CPU time (it does little but trap)."""
    require_root()
    wl = spawn_workload("paced", 100)  # 100 pairs every 10 ms: ~20000 calls/s
    out = tmp("rate.json")
    lt = start_leaktrace_bg(["-p", wl.pid, "-i", "0.5", "-o", out])
    start = wait_for_start(out, lt)
    trap, ret = _trap(start)
    wait_intervals(out, 6, lt)
    lt.signal(signal.SIGINT)
    rc, _, err = lt.wait()
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-2000:])
    wl.stop()
    lines = _pairs_lines(wl)
    assert len(lines) >= 20, "paced printed %d lines" % len(lines)
    (p0, t0), (p1, t1) = lines[0], lines[-1]
    true_rate = 2 * (p1 - p0) / (t1 - t0)
    recs = load_stream(out, interval=0.5)
    ivs = [r for r in intervals(recs) if "late" not in r]
    assert len(ivs) >= 4, "%d interval records on time" % len(ivs)
    rates = [r["probe_calls_per_s"] for r in ivs]
    median = statistics.median(rates)
    assert 0.7 * true_rate <= median <= 1.4 * true_rate, (
        "calls/s %r (median %.0f); paced made %.0f calls/s" % (rates, median, true_rate))
    # the counters the rates come from
    c0, c1 = ivs[0]["counters"], ivs[-1]["counters"]
    counted = c1["probe_calls"] - c0["probe_calls"]
    mean = sum(r["probe_calls_per_s"] * (b["t"] - a["t"])
               for a, b, r in zip(ivs, ivs[1:], ivs[1:])) / (ivs[-1]["t"] - ivs[0]["t"])
    assert abs(counted / (ivs[-1]["t"] - ivs[0]["t"]) - mean) <= 0.15 * mean, (
        "counters say %d calls in %.2fs; the reports' mean is %.0f/s" % (
            counted, ivs[-1]["t"] - ivs[0]["t"], mean))
    assert abs(2 * c1["probe_returns"] - c1["probe_calls"]) <= 4, (
        "returns %d for %d calls: malloc has a return probe, free none" % (
            c1["probe_returns"], c1["probe_calls"]))
    shares = []
    for r in ivs:
        per_call = r["probe_ns_per_call"]
        assert abs(per_call - (trap + ret / 2)) <= 0.01 * per_call, (
            "t=%s: %.1f ns a call; the trap %.1f ns and half a return %.1f ns" % (
                r["t"], per_call, trap, ret / 2))
        want = r["probe_calls_per_s"] * per_call / 1e9
        assert abs(r["probe_cpu"] - want) <= 0.01 * want + 1e-6, (
            "t=%s: probe_cpu %r, calls/s x ns a call = %r" % (r["t"], r["probe_cpu"], want))
        if "probe_share" in r:
            shares.append(r["probe_share"])
    assert len(shares) >= len(ivs) // 2, "probe_share in %d of %d reports" % (
        len(shares), len(ivs))
    assert 0.2 <= statistics.median(shares) <= 2.0, (
        "time in probes over paced's CPU time: %r" % shares)


def test_cost_exact_count():
    """Every call of a command is counted, and no more: 1000 malloc+free
    pairs are 2000 entry probes and 1000 return probes (and the few calls of
    the C library's start and exit)."""
    require_root()
    out = tmp("count.json")
    rc, _, err = run_leaktrace(["-i", "0.2", "-o", out, "--", workload("paced"), 20,
                                "--iterations", 50])
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-2000:])
    recs = load_stream(out, interval=0.2)
    final = recs[-1]
    assert final["type"] == "exit" and final["reason"] == "target-exited", final.get("reason")
    c = final["counters"]
    assert 2000 <= c["probe_calls"] <= 2200, "probe_calls %d for 1000 pairs" % c["probe_calls"]
    assert 1000 <= c["probe_returns"] <= 1100, "probe_returns %d for 1000 mallocs" % (
        c["probe_returns"])
    assert c["self_probe_hits"] == 0


def test_cost_said():
    """The start line says what a trap costs here; after a second of exact
    tracing, stderr says what it costs the process and what would not; the
    table's header says it of each interval. JSON on stdout stays JSON."""
    require_root()
    wl = spawn_workload("paced", 50)
    lt = start_leaktrace_bg(["-p", wl.pid, "-i", "0.5"])
    pat = re.compile(r"^leaktrace: pid %d \(paced\): exact tracing costs it ~[0-9.<]+ CPU, "
                     r"~?[0-9.<]+%% of its CPU time: [0-9.]+K? calls/s at [0-9.]+ us a call; "
                     r"--pages traces growth by the pages it faults in instead, at near-zero "
                     r"cost$" % wl.pid, re.M)
    wait_until(lambda: pat.search(lt.stderr()), "the line on what exact tracing costs", lt=lt,
               detail=lambda: lt.stderr()[-1500:])
    head = re.compile(r"^leaktrace \S+  \+[0-9.]+s  pid %d \(paced\)  probes [0-9.]+K? calls/s "
                      r"~[0-9.<]+ CPU \((?:~?[0-9.<]+%% of its CPU time; )?[0-9.]+ us a call\)$"
                      % wl.pid, re.M)
    wait_until(lambda: head.search(lt.stdout_path.read_text()), "a header with the cost",
               lt=lt, detail=lambda: lt.stdout_path.read_text()[-1500:])
    lt.signal(signal.SIGINT)
    rc, _, err = lt.wait()
    assert rc == 0, "leaktrace exited with status %d: %s" % (rc, err[-2000:])
    assert re.search(r"; a traced call traps for [0-9.]+ us here \([0-9.]+ us with a return "
                     r"probe\);", err), err[:1000]
    assert len(pat.findall(err)) == 1, "said more than once:\n%s" % err
    # --json: stdout is the records alone
    rc, stdout, err = run_leaktrace(["-p", wl.pid, "--json", "-i", "0.5", "-d", "1.6"])
    assert rc == 0, "leaktrace --json exited with status %d: %s" % (rc, err[-2000:])
    recs = parse_jsonl_text(stdout)
    assert recs[0]["type"] == "start" and "trap_ns" in recs[0]
    assert all("probe_calls_per_s" in r for r in recs if r["type"] in ("interval", "exit"))
    wl.stop()
