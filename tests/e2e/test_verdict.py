# SPDX-License-Identifier: GPL-2.0-only
"""Which rows are leaks: a stack that keeps growing is a suspect, listed
first, said so in the table and in JSON; and the final report states the
totals at exit without a fake interval of its own, which would weaken every
trend (after SIGINT, 2/2 read 2/3; with -d a multiple of -i, a copy of the
last interval came right before it)."""

import re
import signal

from common import (find_stacks, intervals, load_stream, require_root, spawn_workload,
                    start_leaktrace_bg, tmp, wait_for_start, wait_records)

ROW = re.compile(r"^\s+(\d+) (\S+)\s.*\s(\d+)/(\d+)$")
HEADER = re.compile(r"^leaktrace \d\d:\d\d:\d\d  \+([\d.]+)s")


def _tables(text):
    """The tables of @text: [(header line, [(rank, kind, grown, of, frames)])]."""
    tables = []
    for line in text.splitlines():
        if HEADER.match(line):
            tables.append((line, []))
        elif tables and ROW.match(line):
            m = ROW.match(line)
            tables[-1][1].append([int(m.group(1)), m.group(2), int(m.group(3)),
                                  int(m.group(4)), []])
        elif tables and tables[-1][1] and line.startswith("        "):
            tables[-1][1][-1][4].append(line.strip())
    return tables


def _leak_rows(table):
    return [row for row in table[1] if any(f.startswith("leak_site") for f in row[4])]


def _leak(rec):
    found = find_stacks(rec, "leak_site", kind="heap")
    assert len(found) == 1, "want one leak_site stack in the %s record t=%s, got %d" % (
        rec["type"], rec["t"], len(found))
    return found[0]


def _trace_leaky(args, until, what):
    """leaktrace -p leaky @args, text on stdout and -o JSON, until(records)
    (then SIGINT), or until it exits by itself if @until is None. Returns
    (records, stdout)."""
    require_root()
    wl = spawn_workload("leaky")
    out = tmp("verdict.json")
    lt = start_leaktrace_bg(["-p", wl.pid, "-o", out] + [str(a) for a in args])
    wait_for_start(out, lt)
    if until:
        wait_records(out, until, what, lt)
        lt.signal(signal.SIGINT)
    rc, stdout, _ = lt.wait()
    assert rc == 0, "leaktrace exited with status %d" % rc
    return out, stdout


def _listed_growing(recs, n):
    """@n interval records list leak_site, the last as a suspect."""
    ivs = [r for r in intervals(recs) if find_stacks(r, "leak_site", kind="heap")]
    return len(ivs) >= n and _leak(ivs[-1])["suspect"]


def test_verdict_steady_leak_suspect_first():
    """leaky's leak grows every interval: a suspect, ranked first, with the
    table saying so; the final report (SIGINT) keeps its trend."""
    out, stdout = _trace_leaky(["-i", "0.5", "-w", "4"], lambda recs: _listed_growing(recs, 3),
                               "3 reports listing leak_site, the last as a suspect")
    recs = load_stream(out, window=4, interval=0.5)
    last, ex = intervals(recs)[-1], recs[-1]
    assert ex["reason"] == "signal", "exit reason %r" % ex["reason"]
    st = _leak(ex)
    assert st["suspect"] and st["rank"] == 1, "leak_site not the first suspect at exit:\n%s" % (
        "\n".join("    rank %d suspect %s %s %d/%d" % (s["rank"], s["suspect"], s["kind"],
                                                         s["intervals_grown"], 4)
                  for s in ex["stacks"]))
    assert st["unit"] == "bytes", "a heap stack in %s" % st["unit"]
    # the exit ends the last interval: its trend is never weaker
    assert st["intervals_grown"] >= _leak(last)["intervals_grown"], \
        "the final report weakened the trend: %d, the last interval's %d" % (
            st["intervals_grown"], _leak(last)["intervals_grown"])
    tables = _tables(stdout)
    assert len(tables) >= 2 and "final report (signal)" in tables[-1][0], \
        "no final report in the table:\n%s" % stdout[-2000:]
    for table in tables[-2:]:
        rows = _leak_rows(table)
        assert rows, "leak_site not in the table %r" % table[0]
        head = stdout.split(table[0], 1)[1]
        assert re.search(r"^  leak suspects: grew in most intervals of the window\n"
                         r".*\n? +1 heap ", head, re.M), \
            "the table does not list leak_site first under 'leak suspects':\n%s" % head[:1500]
    (_, _, grown_last, of_last, _), (_, _, grown_final, of_final, _) = (
        _leak_rows(tables[-2])[0], _leak_rows(tables[-1])[0])
    assert of_final == of_last and grown_final >= grown_last, \
        "trend %d/%d in the final report, %d/%d in the last interval's: a fake interval" % (
            grown_final, of_final, grown_last, of_last)


def test_verdict_duration_no_copy():
    """-d a multiple of -i: the interval that ends with the duration is the
    final report, not an interval report right before it."""
    out, stdout = _trace_leaky(["-i", "0.5", "-d", "3", "-w", "4"], None, None)
    recs = load_stream(out, window=4, interval=0.5)
    ex = recs[-1]
    assert ex["reason"] == "duration", "exit reason %r" % ex["reason"]
    ivs = intervals(recs)
    # ticks at 0.5 .. 2.5, and 3.0 is the exit (late reports may merge ticks)
    assert len(ivs) <= 5, "%d interval records before the exit at -d 3 -i 0.5: t=%r" % (
        len(ivs), [r["t"] for r in ivs])
    assert ex["t"] >= 3.0, "exit at t=%r with -d 3" % ex["t"]
    if ivs and find_stacks(ivs[-1], "leak_site", kind="heap"):
        assert _leak(ex)["intervals_grown"] >= _leak(ivs[-1])["intervals_grown"], \
            "the final report weakened the trend: %s" % ex
    tables = _tables(stdout)
    ts = [HEADER.match(t[0]).group(1) for t in tables]
    assert len(ts) == len(ivs) + 1, "%d tables, %d records" % (len(ts), len(ivs) + 1)
    assert "final report (duration)" in tables[-1][0], "last table: %r" % tables[-1][0]
