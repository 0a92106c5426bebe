# SPDX-License-Identifier: GPL-2.0-only
"""--folded and --pprof, read back by their real readers: the folded stacks
parsed as flamegraph.pl does (frames joined by ';', the value after the last
space), the pprof profile by `go tool pprof` (Debian's golang-go): its -top
and -traces must show the leak site first with the exact bytes leaked, its
-lines the file:line of C and Python frames, and both exports must hold
everything outstanding, which the JSON totals count too."""

import gzip
import os
import re
import shutil
import subprocess

from common import (LEAKTRACE, LEAKTRACE_SAN, PY_WORKLOAD_SRC, assert_no_sanitizer_errors,
                    assert_one_error_line, find_py_stacks, intervals, load_stream, marker_line,
                    py_line_of, py_marker_line, require_binary, require_debian_package,
                    require_root, run_leaktrace, spawn, tmp, trace_until, workload)

LEAK_BYTES = 100	# leaky.c's LEAK_SIZE
ITERATIONS = 250	# 25000 B leaked: more than its bounded cache's 64 x 256 B
BYTE_KINDS = ("heap", "mmap", "pyobj")


def _go():
    require_debian_package("golang-go", "go tool pprof")
    go = shutil.which("go") or "/usr/bin/go"
    return go


def _pprof(profile, *args):
    """go tool pprof @args @profile: its stdout, which must be without error."""
    env = dict(os.environ, HOME=os.path.dirname(profile), GOFLAGS="", PPROF_TMPDIR=os.path.dirname(
        profile))
    r = subprocess.run([_go(), "tool", "pprof", *args, profile], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, "go tool pprof %s failed (%d): %s" % (" ".join(args), r.returncode,
                                                                   r.stderr[-1000:])
    return r.stdout


def read_folded(path):
    """[(frames root first, value)], parsed as flamegraph.pl does."""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            m = re.fullmatch(r"(.*) (\d+)\n", line)
            assert m, "%s:%d: not a folded stack: %r" % (path, n, line)
            frames = m.group(1).split(";")
            assert all(frames), "%s:%d: an empty frame: %r" % (path, n, line)
            out.append((frames, int(m.group(2))))
    return out


def _top_rows(text):
    """The rows of go tool pprof -top: (flat, name)."""
    rows = []
    header = False
    for line in text.splitlines():
        if re.match(r"\s*flat\s+flat%", line):
            header = True
            continue
        if header and line.strip():
            cols = line.split()
            rows.append((cols[0], " ".join(cols[5:])))
    return rows


def _trace_blocks(text):
    """The traces of go tool pprof -traces: [(value, [frame lines], {label: value})]."""
    blocks = []
    for chunk in re.split(r"^-+\+-+$", text, flags=re.M)[1:]:
        labels, frames, value = {}, [], None
        for line in chunk.strip("\n").splitlines():
            m = re.match(r"^\s*(\w+):\s+(.*)$", line)
            if m and value is None:
                labels[m.group(1)] = m.group(2).strip()
                continue
            m = re.match(r"^\s*(-?\d+B)\s+(.*)$", line)
            if m and value is None:
                value = m.group(1)
                frames.append(m.group(2).strip())
            elif value is not None and line.strip():
                frames.append(line.strip())
        if value is not None:
            blocks.append((value, frames, labels))
    return blocks


def _live_bytes(rec):
    return sum(t["bytes"] for k, t in rec["totals"].items() if k in BYTE_KINDS)


def _leaky(binary):
    require_root()
    require_binary(binary)
    out, folded, prof = tmp("leaky.json"), tmp("leaky.folded"), tmp("leaky.pb.gz")
    rc, _, err = run_leaktrace(["-i", "0.5", "-w", "2", "-o", out, "--folded", folded,
                                "--pprof", prof, "--", workload("leaky"), "--iterations",
                                ITERATIONS], binary=binary)
    if binary == LEAKTRACE_SAN:
        assert_no_sanitizer_errors(err)
    assert rc == 0, "leaktrace -- leaky exited with status %d: %s" % (rc, err[-500:])
    ex = load_stream(out, window=2, top=10, interval=0.5)[-1]
    assert ex["reason"] == "target-exited", ex["reason"]
    return ex, folded, prof


def _check_folded(ex, folded):
    stacks = read_folded(folded)
    assert stacks, "no folded stack"
    leak_line = marker_line("leaky.c", "leak_site")
    frames, value = max(stacks, key=lambda s: s[1])
    assert frames[0] == "heap", "the root frame is %r, want the kind" % frames[0]
    assert frames[-1] == "leak_site (leaky.c:%d)" % leak_line, (
        "the largest folded stack ends in %r, want leak_site (leaky.c:%d)" % (frames[-1],
                                                                              leak_line))
    assert frames[-2].startswith("main (leaky.c:"), frames
    assert value == LEAK_BYTES * ITERATIONS, "leak_site: %d B, want %d" % (
        value, LEAK_BYTES * ITERATIONS)
    # all that is outstanding, not the top N of the table
    total = sum(v for _, v in stacks)
    assert total == _live_bytes(ex), "folded stacks hold %d B, the exit record's totals %d B" % (
        total, _live_bytes(ex))


def _check_pprof(ex, prof):
    with open(prof, "rb") as f:
        assert f.read(2) == b"\x1f\x8b", "%s is not gzipped" % prof
    with gzip.open(prof) as f:
        assert f.read(), "empty profile"
    want = "%dB" % (LEAK_BYTES * ITERATIONS)
    top = _top_rows(_pprof(prof, "-top", "-unit=B"))
    assert top and top[0] == (want, "leak_site"), "go tool pprof -top: first row %r, want %r" % (
        top[:3], (want, "leak_site"))
    traces = _trace_blocks(_pprof(prof, "-traces", "-unit=B"))
    assert traces, "go tool pprof -traces shows no trace"
    value, frames, labels = traces[0]
    assert (value, frames[:2]) == (want, ["leak_site", "main"]), (
        "go tool pprof -traces: first trace %s %s, want %s leak_site, main" % (value, frames,
                                                                               want))
    assert labels.get("kind") == "heap" and labels.get("comm") == "leaky", labels
    lines = _top_rows(_pprof(prof, "-top", "-lines", "-unit=B"))
    assert re.fullmatch(r"leak_site \S*/leaky\.c:%d" % marker_line("leaky.c", "leak_site"),
                        lines[0][1]), "go tool pprof -top -lines: %r" % (lines[:2],)
    # every live byte, and the counts and growth beside them
    total = sum(int(v[:-1]) for v, _, _ in traces)
    assert total == _live_bytes(ex), "pprof samples hold %d B, the exit record's totals %d B" % (
        total, _live_bytes(ex))
    counts = _trace_blocks(_pprof(prof, "-traces", "-sample_index=live_count", "-unit=B"))
    assert counts[0][0] == "%dB" % ITERATIONS and counts[0][1][0] == "leak_site", counts[0]


def test_exports_leaky():
    ex, folded, prof = _leaky(LEAKTRACE)
    _check_folded(ex, folded)
    _check_pprof(ex, prof)


def test_exports_leaky_sanitized():
    ex, folded, prof = _leaky(LEAKTRACE_SAN)
    _check_folded(ex, folded)
    _check_pprof(ex, prof)


def test_exports_python_frames():
    """A CPython leak: its Python frames are pprof locations with their
    file:line, under the native frames that allocate."""
    require_root()
    script = "container_leak.py"
    wl = spawn(["/usr/bin/python3", "-B", str(PY_WORKLOAD_SRC / script)])
    out, prof, folded = tmp("py.json"), tmp("py.pb.gz"), tmp("py.folded")

    def enough(recs):
        ivs = intervals(recs)
        return ivs and any(st["count"] >= 100 for st in find_py_stacks(
            ivs[-1], "leak_record", script, "pyobj", "Record"))

    rc, _, err = trace_until(["-p", wl.pid, "-i", "0.5", "-n", "50", "--pprof", prof,
                              "--folded", folded], out, enough,
                             "100 Records leaked from leak_record")
    assert rc == 0, "leaktrace -p exited with status %d: %s" % (rc, err[-500:])
    ex = load_stream(out, window=6, top=50, interval=0.5)[-1]
    st = find_py_stacks(ex, "leak_record", script, "pyobj", "Record")
    assert len(st) == 1, "no single Record stack in the exit record"
    st = st[0]
    leak = "leak_record %s:%d" % (script, py_marker_line(script, "leak_record"))
    caller = "main %s:%d" % (script, py_line_of(script, "leak_record(i)"))
    raw = _pprof(prof, "-traces", "-lines", "-unit=B")
    found = [b for b in _trace_blocks(raw) if b[2].get("type") == "Record"]
    assert len(found) == 1, "want one trace labelled type Record:\n%s" % raw[-3000:]
    value, frames, labels = found[0]
    assert value == "%dB" % st["bytes"], "pprof: %s, the exit record: %d B" % (value, st["bytes"])
    assert labels.get("kind") == "pyobj", labels
    names = [re.sub(r" \S*/", " ", f) for f in frames]
    i = names.index(leak) if leak in names else -1
    assert i >= 0 and names[i + 1] == caller, "Record trace %r lacks %r then %r" % (
        names, leak, caller)
    # the Python frames stand in for the eval loop: none of it after them
    assert not any("_PyEval_EvalFrameDefault" in f for f in frames[i:]), frames
    stacks = read_folded(folded)
    site = "leak_record (%s:%d)" % (script, py_marker_line(script, "leak_record"))
    assert [v for f, v in stacks if f[0] == "pyobj Record" and site in f] == [st["bytes"]], (
        "want one folded stack of Records through %s, of %d B" % (site, st["bytes"]))
    wl.stop()


def test_exports_unwritable():
    """An export that cannot be written is said before tracing starts: one
    line, exit status 2, and nothing traced."""
    require_root()
    wl = spawn(["sleep", "600"], ready=False)
    for opt in ("--folded", "--pprof"):
        path = tmp("no-such-dir/out")
        rc, _, err = run_leaktrace([opt, path, "-p", wl.pid])
        assert_one_error_line(rc, err, "cannot write %s: no such file or directory" % path)
