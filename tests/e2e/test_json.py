# SPDX-License-Identifier: GPL-2.0-only
"""The JSON lines contract of docs/json.md: --json on stdout, -o FILE, the record
sequence and the interval timing. (Every -o file of the other tests goes
through the same validate_stream().)"""

from common import (load_stream, parse_jsonl_text, read_jsonl, require_root, run_leaktrace,
                    spawn_workload, tmp, validate_stream)


def test_json_stdout_and_file():
    require_root()
    wl = spawn_workload("leaky")
    out = tmp("both.json")
    rc, stdout, _ = run_leaktrace(["-p", wl.pid, "--json", "-i", "0.5", "-d", "3", "-o", out])
    assert rc == 0, "leaktrace exited with status %d" % rc
    recs = parse_jsonl_text(stdout)
    validate_stream(recs, window=6, top=10, interval=0.5)
    assert recs == read_jsonl(out), "--json stdout and -o FILE differ"
    start = recs[0]
    assert start["pid"] == wl.pid, "start.pid %r != %d" % (start["pid"], wl.pid)
    assert start["comm"] == "leaky", "start.comm %r, want leaky" % start["comm"]
    for src in ("libc", "mmap"):
        assert src in start["sources"], "default sources %r lack %s" % (start["sources"], src)
    for r in recs[1:]:
        assert r["pid"] == wl.pid, "%s record pid %r != %d" % (r["type"], r["pid"], wl.pid)


def test_json_interval_spacing():
    require_root()
    wl = spawn_workload("leaky")
    out = tmp("spacing.json")
    rc, _, _ = run_leaktrace(["-p", wl.pid, "-i", "0.5", "-d", "4", "-o", out])
    assert rc == 0, "leaktrace exited with status %d" % rc
    recs = load_stream(out, window=6, top=10, interval=0.5)
    ts = [r["t"] for r in recs if r["type"] == "interval"]
    # -d 4 with -i 0.5: about 8 reports (the last may be the exit record).
    assert 5 <= len(ts) <= 9, "%d interval records in 4 s at -i 0.5: t=%r" % (len(ts), ts)
    gaps = [round(b - a, 3) for a, b in zip(ts, ts[1:])]
    assert all(0.2 <= g <= 0.8 for g in gaps), "interval spacing off 0.5 +- 0.3: %r" % gaps
    assert recs[-1]["t"] >= ts[-1], "exit t %r before last interval t %r" % (recs[-1]["t"], ts[-1])
    assert 3.0 <= recs[-1]["t"] <= 6.0, "exit at t=%r with -d 4" % recs[-1]["t"]
    # the other tests stop leaktrace when what they check shows: -d is here
    assert recs[-1]["reason"] == "duration", "exit reason %r, want duration" % (
        recs[-1]["reason"])


def test_version_matches_json():
    require_root()
    rc, out, _ = run_leaktrace(["--version"], timeout=10)
    assert rc == 0
    wl = spawn_workload("quiet")
    path = tmp("v.json")
    rc, _, _ = run_leaktrace(["-p", wl.pid, "-i", "0.5", "-d", "1", "-o", path])
    assert rc == 0, "leaktrace exited with status %d" % rc
    version = read_jsonl(path)[0]["version"]
    assert version in out, "start.version %r not in --version output %r" % (version, out)
