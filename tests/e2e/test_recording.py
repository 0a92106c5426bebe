# SPDX-License-Identifier: GPL-2.0-only
"""Recordings and `leaktrace report`: a known leak (leaky) recorded with -o,
then read back. The report of each interval is the record the live run
wrote, field for field; -n and -w re-rank it; --at an early time shows less;
--from/--to and two recordings show what grew between them; --pprof and
--folded of the report are read by go tool pprof and as flamegraph.pl reads
them. A recording cut mid-line or with a corrupt line names FILE:LINE and
still reports what came before; bad input is one line and exit 2. Each stack
is written once, and the rows per sample stay few."""

import json
import subprocess

from common import (LEAKTRACE, assert_one_error_line, load_stream, marker_line, read_jsonl,
                    require_binary, require_root, run_leaktrace, tmp, workload)
from test_exports import _pprof, _top_rows, read_folded

LEAK_BYTES = 100	# leaky.c's LEAK_SIZE
ITERATIONS = 250
BYTE_KINDS = ("heap", "mmap", "pyobj")

_recorded = {}	# iterations -> the recording's bytes: one run for all tests


def _record(iterations=ITERATIONS):
    """leaky recorded with -o at -i 0.5 -w 2, in this test's directory:
    (path, every record of it)."""
    out = tmp("leaky-%d.jsonl" % iterations)
    if iterations not in _recorded:
        require_root()
        rc, _, err = run_leaktrace(["-i", "0.5", "-w", "2", "-o", out, "--",
                                    workload("leaky"), "--iterations", iterations])
        assert rc == 0, "leaktrace -- leaky exited with status %d: %s" % (rc, err[-500:])
        load_stream(out, window=2, top=10, interval=0.5)
        with open(out, "rb") as f:
            _recorded[iterations] = f.read()
    with open(out, "wb") as f:
        f.write(_recorded[iterations])
    return out, read_jsonl(out, recording=True)


def report(*args, rc_want=0):
    """leaktrace report ARGS: (stdout, stderr), exiting with @rc_want."""
    require_binary()
    r = subprocess.run([str(LEAKTRACE), "report", *[str(a) for a in args]],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == rc_want, "leaktrace report %s: status %d, want %d: %s" % (
        " ".join(map(str, args)), r.returncode, rc_want, r.stderr[-1000:])
    return r.stdout, r.stderr


def report_json(*args, rc_want=0):
    """The records leaktrace report --json ARGS prints."""
    out, _ = report("--json", *args, rc_want=rc_want)
    return [json.loads(l) for l in out.splitlines()]


def _reports(recs):
    return [r for r in recs if r["type"] in ("interval", "exit")]


def _leak(rec):
    """The leak_site stack of a report record, or None."""
    for st in rec["stacks"]:
        if st["frames"][0].get("func") == "leak_site":
            return st
    return None


def test_report_is_the_live_report():
    """Each report of the recording, replayed with --at its time, is the
    record the live run wrote; the last is leaky's exit, leak_site first
    with every byte it leaked, and the table says so too."""
    path, recs = _record()
    live = _reports(recs)
    assert len(live) >= 4, "only %d reports recorded" % len(live)
    for rec in live:
        got = report_json("--at", "%.3f" % rec["t"], path)
        assert [r["type"] for r in got] == ["start", rec["type"]], [r["type"] for r in got]
        assert got[1] == rec, "the report at %.3f differs from the live one:\n%s\n%s" % (
            rec["t"], json.dumps(got[1])[:1500], json.dumps(rec)[:1500])
    last = report_json(path)[-1]
    assert last["type"] == "exit" and last["reason"] == "target-exited", last["type"]
    st = last["stacks"][0]
    assert st["frames"][0]["func"] == "leak_site" and st["bytes"] == LEAK_BYTES * ITERATIONS, (
        "first row %s %d B, want leak_site %d B" % (st["frames"][0].get("func"), st["bytes"],
                                                      LEAK_BYTES * ITERATIONS))
    text, _ = report(path)
    assert "final report (target-exited)" in text, text[-2000:]
    rows = [l for l in text.splitlines() if l.strip().startswith("1 heap")]
    assert rows and "%.1f KiB" % (LEAK_BYTES * ITERATIONS / 1024) in rows[0], text[-2000:]
    line = marker_line("leaky.c", "leak_site")
    assert "leak_site (leaky.c:%d)" % line in text, text[-2000:]


def test_report_reranks():
    """-w and -n re-rank the recording: over a window as long as the run,
    the cache that filled before the loop is recent growth beside the leak
    (the recording's -w 2 dropped it); -n 1 keeps one row."""
    path, _ = _record()
    short = report_json(path)[-1]["stacks"]
    assert not [s for s in short if s["frames"][0].get("func") == "cache_put"], (
        "cache_put listed over the recording's -w 2")
    wide = report_json("-w", "100", path)[-1]
    funcs = [s["frames"][0].get("func") for s in wide["stacks"]]
    assert funcs[:1] == ["leak_site"] and "cache_put" in funcs, funcs
    cache = wide["stacks"][funcs.index("cache_put")]
    assert not cache["suspect"] and wide["stacks"][0]["suspect"], wide["stacks"]
    assert report_json("-w", "100", path)[0]["window"] == 100
    one = report_json("-w", "100", "-n", "1", path)[-1]["stacks"]
    assert [s["frames"][0].get("func") for s in one] == ["leak_site"], one


def test_report_at_and_compare():
    """--at an early time shows less of the leak; --from/--to shows what
    grew between two reports: leak_site first, by exactly the difference
    of its bytes in the two live records."""
    path, recs = _record()
    live = _reports(recs)
    early, late = live[1], live[-2]
    at = report_json("--at", "%.3f" % (early["t"] + 0.01), path)[-1]
    assert at["t"] == early["t"], (at["t"], early["t"])
    final = _leak(live[-1])["bytes"]
    assert 0 < _leak(at)["bytes"] < final, (_leak(at)["bytes"], final)
    cmp = report_json("--from", "%.3f" % early["t"], "--to", "%.3f" % late["t"], path)
    assert len(cmp) == 1 and cmp[0]["type"] == "compare", cmp
    cmp = cmp[0]
    assert (cmp["from"]["t"], cmp["to"]["t"]) == (early["t"], late["t"]), cmp["from"]
    first = cmp["stacks"][0]
    want = _leak(late)["bytes"] - _leak(early)["bytes"]
    assert first["frames"][0]["func"] == "leak_site" and first["growth"] == want, (
        "first compare row %s +%d, want leak_site +%d" % (first["frames"][0].get("func"),
                                                           first["growth"], want))
    assert first["bytes_before"] == _leak(early)["bytes"], first
    assert first["count"] - first["count_before"] == want // LEAK_BYTES, first
    text, _ = report("--from", "%.3f" % early["t"], "--to", "%.3f" % late["t"], path)
    assert "what grew from" in text and "leak_site (leaky.c:" in text, text[-2000:]


def test_report_compares_two_recordings():
    """Two runs of leaky, 100 and 250 iterations: leak_site grew by the
    150 leaks between them, matched by its frames though pids differ."""
    before, _ = _record(100)
    after, _ = _record()
    cmp = report_json(before, after)[-1]
    first = cmp["stacks"][0]
    assert first["frames"][0]["func"] == "leak_site", cmp["stacks"][:2]
    assert (first["bytes_before"], first["bytes"]) == (
        100 * LEAK_BYTES, ITERATIONS * LEAK_BYTES), first


def test_report_exports():
    """--pprof and --folded on report: what is outstanding at the report,
    read back by go tool pprof and as folded stacks, leak_site first with
    its bytes; at an early --at, less."""
    path, recs = _record()
    prof, folded = tmp("report.pb.gz"), tmp("report.folded")
    report("--pprof", prof, "--folded", folded, path)
    want = "%dB" % (LEAK_BYTES * ITERATIONS)
    top = _top_rows(_pprof(prof, "-top", "-unit=B"))
    assert top and top[0] == (want, "leak_site"), "go tool pprof -top: %r, want %r" % (
        top[:3], (want, "leak_site"))
    stacks = read_folded(folded)
    frames, value = max(stacks, key=lambda s: s[1])
    assert frames[-1].startswith("leak_site (leaky.c:") and value == LEAK_BYTES * ITERATIONS, (
        frames, value)
    ex = _reports(recs)[-1]
    live = sum(t["bytes"] for k, t in ex["totals"].items() if k in BYTE_KINDS)
    assert sum(v for _, v in stacks) == live, (sum(v for _, v in stacks), live)
    early = _reports(recs)[1]
    report("--at", "%.3f" % early["t"], "--pprof", prof, path)
    top = _top_rows(_pprof(prof, "-top", "-unit=B"))
    assert ("%dB" % _leak(early)["bytes"], "leak_site") in top, (top[:3], _leak(early)["bytes"])


def _lines(path):
    with open(path, "rb") as f:
        return f.read().splitlines(keepends=True)


def test_report_bad_recordings():
    """Cut mid-line, and with a corrupt line: FILE:LINE names the line,
    the report before it is printed, exit 2."""
    path, recs = _record()
    lines = _lines(path)
    live = _reports(recs)
    # cut in the middle of the samples record after the 3rd report
    n = [i for i, r in enumerate(recs) if r["type"] == "samples"][3]
    cut = tmp("cut.jsonl")
    with open(cut, "wb") as f:
        f.writelines(lines[:n])
        f.write(lines[n][:len(lines[n]) // 2])
    out, err = report(cut, rc_want=2)
    assert ("leaktrace: %s:%d: " % (cut, n + 1)) in err, err
    assert len(err.splitlines()) == 1, err
    assert "+%.1fs" % live[2]["t"] in out, "the report before the cut is not printed:\n%s" % out
    got = report_json(cut, rc_want=2)[-1]
    assert got == live[2], "the report before the cut differs from the live one"
    # a corrupt line: a row of bytes that is not a number
    bad = tmp("corrupt.jsonl")
    n = [i for i, r in enumerate(recs) if r["type"] == "samples"][4]
    with open(bad, "wb") as f:
        f.writelines(lines[:n])
        f.write(b'{"type":"samples","t":99.0,"rows":[[1,"many",1,1,0]]}\n')
        f.writelines(lines[n + 1:])
    out, err = report(bad, rc_want=2)
    assert ("leaktrace: %s:%d: " % (bad, n + 1)) in err, err
    assert "+%.1fs" % live[3]["t"] in out, out
    garbage = tmp("garbage.jsonl")
    with open(garbage, "wb") as f:
        f.writelines(lines[:n])
        f.write(b"\x00\xff not json\n")
    _, err = report(garbage, rc_want=2)
    assert ("leaktrace: %s:%d: not a JSON object" % (garbage, n + 1)) in err, err


def test_report_errors():
    """A missing file, a file that is not a recording, a recording with no
    sample, an unknown option, a bad time: one line, exit 2."""
    require_binary()
    path, _ = _record()
    cases = [
        (["/nonexistent/rec.jsonl"], "cannot read /nonexistent/rec.jsonl"),
        (["/etc/passwd"], "not a recording"),
        (["--at", "soon", path], "invalid --at"),
        (["--at", "1", "--from", "0", path], "--at"),
        (["--to", "1", path], "--to needs --from"),
        ([path, path, path], "too many recordings"),
        ([], "no recording"),
    ]
    start = tmp("start-only.jsonl")
    with open(start, "wb") as f:
        f.write(_lines(path)[0])
    cases.append(([start], "holds no samples"))
    for args, want in cases:
        r = subprocess.run([str(LEAKTRACE), "report", *args], capture_output=True, text=True,
                           timeout=60)
        assert_one_error_line(r.returncode, r.stderr, want)
        assert not r.stdout, "leaktrace report %s printed %r" % (args, r.stdout[:300])
    r = subprocess.run([str(LEAKTRACE), "report", "--no-such-option", path], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "unrecognized option" in r.stderr, (r.returncode, r.stderr)


def test_recording_size():
    """Each stack once: no id, and no stack (pid, stack_id, kind, type),
    written twice; each sample's rows only the stacks that changed, a few
    for leaky, whatever the number of intervals."""
    path, recs = _record()
    stacks = [r for r in recs if r["type"] == "stack"]
    keys = [(r["pid"], r["stack_id"], r["kind"], r.get("object_type")) for r in stacks]
    assert len(set(keys)) == len(keys), "a stack written twice: %s" % keys
    assert len(stacks) <= 10, "%d stack records for leaky's few stacks" % len(stacks)
    samples = [r for r in recs if r["type"] == "samples"]
    assert len(samples) == len(_reports(recs)), (len(samples), len(_reports(recs)))
    assert max(len(r["rows"]) for r in samples) <= len(stacks)
    size = sum(len(l) for l, r in zip(_lines(path), recs) if r["type"] == "samples")
    assert size / len(samples) < 400, "%.0f bytes a samples record" % (size / len(samples))
