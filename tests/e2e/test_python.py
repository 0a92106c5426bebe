# SPDX-License-Identifier: GPL-2.0-only
"""CPython: the known leaks of tests/workloads/py come out as kind pyobj (by
creating stack and type) and heap, with the Python functions and lines that
made them, and the churn and bounded cache next to them do not: containers,
kept tracebacks, ctypes, threads, generators and coroutines,
PYTHONMALLOC=malloc, a shared libpython, -p, CPython 3.12, the sanitizer build.

The workloads leak in a loop until the reports show enough (the interpreter's
start-up out of the window, -w 4, and MIN_LEAKED objects at each leak),
then hold, leaking nothing, until told to exit (CPython frees module
globals at exit, leaks included): the record checked is made in the hold,
where nothing is in flight and the window still covers the loop
(common.trace_phases). /usr/bin/python3 is Debian's (static libpython, LTO,
no frame pointers); python3 in PATH may be another."""

import glob
import os
import re
import shutil
import subprocess

from common import (LEAKTRACE, LEAKTRACE_SAN, PY_WORKLOAD_SRC, SkipAlways,
                    assert_no_sanitizer_errors, describe, describe_all, find_py_stacks,
                    intervals, load_stream, py_line_of, py_marker_line, py_sites, require_binary,
                    require_root, spawn, tmp, trace_phases, trace_until, workload)

SYSTEM_PYTHON = "/usr/bin/python3"
INTERVAL = 0.5
WINDOW = 4
TOP = 30
HOLD = 600	# the bound on the hold: the test ends it once it has its record
# Objects at each leak before the loop ends: the loop runs until the
# reports show them, however slow the machine.
MIN_LEAKED = 100
NOISE_FILE = "noise.py"	# churn() and cache_put(), shared by the workloads
CONTAINER_LEAKS = ("leak_record",)	# container_leak.py's Record, with its list


def _require_python(python=SYSTEM_PYTHON):
    require_root()
    if not os.access(python, os.X_OK):
        raise AssertionError("%s is missing: install python3 (scripts/deps.sh)" % python)


def _sizes(text):
    """{type: (basicsize, itemsize)} from the workload's "sizes ..." line."""
    m = re.findall(r"^sizes (.*)$", text, re.M)
    assert m, "the workload printed no 'sizes' line on stderr"
    return {k: tuple(int(x) for x in v.split("+"))
            for k, v in (kv.split("=") for kv in m[-1].split())}


def _trace(script, python=SYSTEM_PYTHON, binary=LEAKTRACE, env=None, leaks=(),
           settled=lambda rec: not _noisy(rec)):
    """leaktrace -- PYTHON -B SCRIPT --hold HOLD, its loop run until each
    function of @leaks is the innermost Python frame of a stack with
    MIN_LEAKED objects and, unless @settled is None, settled(last report)
    is true: the noise next to the leaks has stopped growing (free lists
    and arenas fill up first; on a slow machine that takes a while)
    (common.trace_phases). Returns (records, the interval record made in
    the hold, leaktrace's stderr, which has the workload's too)."""
    require_binary(binary)
    out = tmp(script.replace(".py", ".json"))
    cmd = [python, "-B", PY_WORKLOAD_SRC / script, "--hold", HOLD]
    full_env = None
    if env:
        full_env = dict(os.environ)
        full_env.update(env)

    def enough(rec):
        return all(any(st["count"] >= MIN_LEAKED for st in find_py_stacks(rec, func, script))
                   for func in leaks) and (settled is None or settled(rec))

    rc, stdout, err, held = trace_phases(
        ["-i", INTERVAL, "-w", WINDOW, "-n", TOP], out, cmd, after_ready=WINDOW + 2,
        enough=enough, what="report with %d objects from each of %s%s" % (
            MIN_LEAKED, leaks, "" if settled is None else ", the noise settled"),
        binary=binary, env=full_env)
    if binary == LEAKTRACE_SAN:
        assert_no_sanitizer_errors(err)
    assert rc == 0, "leaktrace -- %s exited with status %d" % (script, rc)
    assert re.search(r"^ready \d+$", stdout, re.M), "%s's ready line is not on stdout" % script
    recs = load_stream(out, window=WINDOW, top=TOP, interval=INTERVAL)
    assert "python" in recs[0]["sources"], "start record sources %r lack python" % (
        recs[0]["sources"])
    assert recs[-1]["reason"] == "target-exited", "exit reason %r" % recs[-1]["reason"]
    return recs, held, err


def _where(rec):
    return "%s record t=%s:\n%s" % (rec["type"], rec["t"], describe_all(rec))


def _one(rec, func, file, kind, type=None):
    found = find_py_stacks(rec, func, file, kind, type)
    assert len(found) == 1, "want one %s%s stack whose innermost Python frame is %s (%s), " \
        "got %d in the %s" % (kind, " " + type if type else "", func, file, len(found), _where(rec))
    return found[0]


def _assert_growing(st, rec, minimum=MIN_LEAKED):
    assert st["growth_window"] > 0 and st["intervals_grown"] >= 1, "not growing: %s" % describe(st)
    assert st["count"] >= minimum, "only %d objects: %s (in the %s)" % (
        st["count"], describe(st), _where(rec))


def _assert_sized(st, basic, item=0, items=0):
    """bytes = count * (tp_basicsize + items * tp_itemsize)."""
    per = basic + items * item
    assert st["bytes"] == per * st["count"], "%s: %d B for %d objects, want %d B each" % (
        describe(st), st["bytes"], st["count"], per)


def _assert_native_then_python(st):
    """Python frames stand in place of the eval loop: after the native
    frames of the C code that allocates, and none of them after."""
    langs = [f["lang"] for f in st["frames"]]
    first = langs.index("python")
    assert all(l == "python" for l in langs[first:]), "native frame after a Python frame: %s" % (
        describe(st))


def _noisy(rec, exclude_types=()):
    """The pyobj and heap stacks of @rec with a frame in churn() or
    cache_put(), but those of @exclude_types. (mmap is left out: pymalloc
    maps a new arena at whichever allocation finds the others full, churn's
    as likely as the leak's.)"""
    return [s for s in rec["stacks"] if s["kind"] in ("pyobj", "heap") and
            s.get("type") not in exclude_types and
            any(site[1] == NOISE_FILE for site in py_sites(s))]


def _assert_no_noise(rec, exclude_types=()):
    """No pyobj or heap stack with a frame in churn() or cache_put() grows."""
    noisy = _noisy(rec, exclude_types)
    assert not noisy, "churn/cache listed in the %s record at t=%s:\n%s" % (
        rec["type"], rec["t"], "\n".join("    " + describe(s) for s in noisy))


def _check_container(rec, sizes, noise=True, qualnames=True):
    """container_leak.py's two leaks: Record instances made in
    leak_record(), each with the list its __init__ makes. Before 3.11 code
    objects have no qualified name: __init__ is plain __init__."""
    f = "container_leak.py"
    init = "Record.__init__" if qualnames else "__init__"
    leak = py_marker_line(f, "leak_record")
    rec_st = _one(rec, "leak_record", f, "pyobj", "Record")
    want = [("leak_record", f, leak), ("main", f, py_line_of(f, "leak_record(i)")),
            ("<module>", f, py_line_of(f, "main()"))]
    assert py_sites(rec_st) == want, "Record stack: Python frames %r, want %r" % (
        py_sites(rec_st), want)
    _assert_growing(rec_st, rec)
    _assert_sized(rec_st, *sizes["Record"])
    _assert_native_then_python(rec_st)
    lst = _one(rec, init, f, "pyobj", "list")
    want = [(init, f, py_marker_line(f, "record_tags")), ("leak_record", f, leak)]
    assert py_sites(lst)[:2] == want, "list stack: innermost Python frames %r, want %r" % (
        py_sites(lst)[:2], want)
    _assert_sized(lst, *sizes["list"])
    _assert_native_then_python(lst)
    # one list per Record, none freed
    assert lst["count"] == rec_st["count"], "%d lists but %d Records:\n    %s\n    %s" % (
        lst["count"], rec_st["count"], describe(lst), describe(rec_st))
    if noise:
        _assert_no_noise(rec)
    return rec_st, lst


def test_py_container():
    _require_python()
    _, rec, err = _trace("container_leak.py", leaks=CONTAINER_LEAKS)
    _check_container(rec, _sizes(err))


def test_py_container_sanitized():
    _require_python()
    require_binary(LEAKTRACE_SAN)
    _, rec, err = _trace("container_leak.py", binary=LEAKTRACE_SAN, leaks=CONTAINER_LEAKS)
    _check_container(rec, _sizes(err))


def test_py_quiet():
    _require_python()
    _, rec, _ = _trace("quiet.py", settled=lambda rec: not rec["stacks"])
    assert not rec["stacks"], "nothing leaks, yet the %s" % _where(rec)
    live = rec["totals"].get("pyobj", {}).get("count", 0)
    assert live > 0, "no live pyobj at t=%s: were objects traced at all?" % rec["t"]


def _check_exceptions(rec, sizes, tracebacks):
    """exc_leak.py keeps sys.exc_info() of a LeakError raised in fail():
    the exception, made at the raise; the exc_info tuple, made at the store
    (only those not taken from the tuple free list, which keep the stack
    they were first made with); with @tracebacks, the two traceback objects
    and the two frame objects they keep, one each for fail() and
    keep_failure()."""
    f = "exc_leak.py"
    raise_at, store_at = py_marker_line(f, "raise"), py_marker_line(f, "store")
    call_at = py_line_of(f, "fail(i)")
    exc = _one(rec, "fail", f, "pyobj", "LeakError")
    want = [("fail", f, raise_at), ("keep_failure", f, call_at),
            ("main", f, py_line_of(f, "keep_failure(i)")), ("<module>", f, py_line_of(f, "main()"))]
    assert py_sites(exc) == want, "LeakError stack: Python frames %r, want %r" % (
        py_sites(exc), want)
    _assert_growing(exc, rec)
    _assert_sized(exc, *sizes["LeakError"])
    info = _one(rec, "keep_failure", f, "pyobj", "tuple")
    assert py_sites(info)[0] == ("keep_failure", f, store_at), "exc_info tuple: %s" % describe(info)
    _assert_growing(info, rec, 1)
    assert info["count"] <= exc["count"], "more exc_info tuples than exceptions"
    _assert_sized(info, *sizes["tuple"], items=3)
    if tracebacks:
        for typ in ("traceback", "frame"):
            inner = _one(rec, "fail", f, "pyobj", typ)
            outer = _one(rec, "keep_failure", f, "pyobj", typ)
            assert py_sites(inner)[:2] == want[:2], "%s made in fail(): %s" % (typ, describe(inner))
            assert py_sites(outer)[0] == want[1], "%s made in keep_failure(): %s" % (
                typ, describe(outer))
            for st in (inner, outer):
                assert st["count"] == exc["count"], "%d %s objects for %d exceptions: %s" % (
                    st["count"], typ, exc["count"], describe(st))
    # Tuples from the free list keep the stack they were first made with
    # (a known limit): churn's argument tuples reused for exc_info.
    _assert_no_noise(rec, exclude_types=("tuple",))


def _exc_settled(rec):
    # as _check_exceptions() asks
    return not _noisy(rec, exclude_types=("tuple",))


def test_py_exceptions():
    # Debian's static python3.11 (LTO) makes tracebacks and frame objects
    # where leaktrace does not see them: only the exception and the tuple.
    _require_python()
    _, rec, err = _trace("exc_leak.py", leaks=("fail",), settled=_exc_settled)
    _check_exceptions(rec, _sizes(err), tracebacks=False)


def test_py_exceptions_libpython():
    _require_python()
    pyembed = workload("pyembed")
    _, rec, err = _trace("exc_leak.py", python=pyembed, leaks=("fail",), settled=_exc_settled)
    _check_exceptions(rec, _sizes(err), tracebacks=True)


def test_py_ctypes():
    _require_python()
    f = "ctypes_leak.py"
    _, rec, _ = _trace(f, leaks=("leak_native",))
    found = [s for s in rec["stacks"] if s["kind"] == "heap" and
             ("leak_native", f, py_marker_line(f, "leak_native")) in py_sites(s)]
    assert len(found) == 1, "want one heap stack through leak_native, got %d in the %s" % (
        len(found), _where(rec))
    st = found[0]
    _assert_growing(st, rec)
    assert st["bytes"] == 4096 * st["count"], "not 4096-byte blocks: %s" % describe(st)
    # malloc's caller is libffi's call trampoline: native frames first
    f0 = st["frames"][0]
    assert f0["lang"] == "c" and "libffi" in f0["module"], (
        "frame 0 is not in libffi: %r (%s)" % (f0, describe(st)))
    _assert_native_then_python(st)
    want = [("leak_native", f, py_marker_line(f, "leak_native")),
            ("main", f, py_line_of(f, "leak_native()"))]
    assert py_sites(st)[:2] == want, "Python frames %r, want %r first" % (py_sites(st), want)
    _assert_no_noise(rec)


def test_py_threads():
    _require_python()
    f = "thread_leak.py"
    recs, rec, err = _trace(f, leaks=("alpha_leak", "beta_leak"), settled=None)
    mine = {"alpha": {"alpha_leak", "alpha_worker"}, "beta": {"beta_leak", "beta_worker"}}
    for name, typ in (("alpha", "Alpha"), ("beta", "Beta")):
        st = _one(rec, name + "_leak", f, "pyobj", typ)
        want = [(name + "_leak", f, py_marker_line(f, name + "_leak")),
                (name + "_worker", f, py_line_of(f, name + "_leak()"))]
        assert py_sites(st)[:2] == want, "%s stack: Python frames %r, want %r first" % (
            typ, py_sites(st), want)
        assert "Thread.run" in [s[0] for s in py_sites(st)], "%s: no Thread.run: %s" % (
            typ, describe(st))
        _assert_growing(st, rec)
        _assert_sized(st, *_sizes(err)[typ])
    # The GIL passes every 0.5 ms: no stack, in any record, mixes the
    # Python frames of one thread with those of the other.
    for r in recs[1:]:
        for st in r.get("stacks", []):  # a backrefs record has none
            funcs = {s[0] for s in py_sites(st)}
            assert not (funcs & mine["alpha"] and funcs & mine["beta"]), (
                "one stack with both threads' frames (%s record t=%s): %s" % (
                    r["type"], r["t"], describe(st)))


def test_py_generator_coroutine():
    _require_python()
    f = "gen_leak.py"
    _, rec, err = _trace(f, leaks=("gen_items", "coro_leak"))
    gen = _one(rec, "gen_items", f, "pyobj", "GenItem")
    want = [("gen_items", f, py_marker_line(f, "gen_items")),
            ("coro_leak", f, py_line_of(f, "from_gen.append(next(items))"))]
    assert py_sites(gen)[:2] == want, "GenItem stack: Python frames %r, want %r first" % (
        py_sites(gen), want)
    coro = _one(rec, "coro_leak", f, "pyobj", "CoroItem")
    want = [("coro_leak", f, py_marker_line(f, "coro_leak")),
            ("main", f, py_line_of(f, "await coro_leak()"))]
    assert py_sites(coro)[:2] == want, "CoroItem stack: Python frames %r, want %r first" % (
        py_sites(coro), want)
    for st, typ in ((gen, "GenItem"), (coro, "CoroItem")):
        _assert_growing(st, rec)
        _assert_sized(st, *_sizes(err)[typ])
        # run by asyncio's event loop
        assert "BaseEventLoop.run_forever" in [s[0] for s in py_sites(st)], describe(st)
    _assert_no_noise(rec)


def test_py_pythonmalloc_malloc():
    # Every object is a malloc block too: the heap stacks carry Python frames.
    _require_python()
    _, rec, err = _trace("container_leak.py", env={"PYTHONMALLOC": "malloc"},
                         leaks=CONTAINER_LEAKS)
    _check_container(rec, _sizes(err))
    f = "container_leak.py"
    heap = [s for s in rec["stacks"] if s["kind"] == "heap" and
            ("leak_record", f, py_marker_line(f, "leak_record")) in py_sites(s)]
    assert heap, "no heap stack through leak_record with PYTHONMALLOC=malloc in the %s" % (
        _where(rec))
    for st in heap:
        _assert_native_then_python(st)


def test_py_libpython():
    # The runtime in a shared library, not in the executable.
    _require_python()
    pyembed = workload("pyembed")
    recs, rec, err = _trace("container_leak.py", python=pyembed, leaks=CONTAINER_LEAKS)
    start = recs[0]
    assert start["comm"] == "pyembed", "start comm %r" % start["comm"]
    py_probes = [p for p in start.get("probes", []) if p.get("func") == "PyType_GenericAlloc"]
    assert py_probes and all(re.search(r"/libpython3\.\d+\.so[.\d]*$", p["module"])
                             for p in py_probes), (
        "PyType_GenericAlloc not probed in libpython: %r" % py_probes)
    _check_container(rec, _sizes(err))


def test_py_pid():
    _require_python()
    wl = spawn([SYSTEM_PYTHON, "-B", PY_WORKLOAD_SRC / "container_leak.py"])
    out = tmp("pid.json")
    f = "container_leak.py"
    rc, _, _ = trace_until(["-p", wl.pid, "-i", INTERVAL, "-w", WINDOW, "-n", TOP], out,
                           lambda recs: intervals(recs) and any(
                               st["count"] >= MIN_LEAKED for st in find_py_stacks(
                                   intervals(recs)[-1], "leak_record", f, "pyobj", "Record")),
                           "report with %d Records from leak_record" % MIN_LEAKED)
    assert rc == 0, "leaktrace -p exited with status %d" % rc
    recs = load_stream(out, window=WINDOW, top=TOP, interval=INTERVAL)
    assert recs[0]["pid"] == wl.pid and "python" in recs[0]["sources"], "start record: %r" % (
        {k: recs[0].get(k) for k in ("pid", "comm", "sources")})
    ex = recs[-1]
    assert ex["reason"] == "signal", "exit reason %r, want signal" % ex["reason"]
    _check_container(ex, _sizes(wl.stderr()), noise=False)
    assert wl.alive(), "the -p target died while (or after) being traced"
    assert wl.stop() == 0, "container_leak.py exited non-zero after tracing"


def _python(minor):
    """A CPython 3.@minor that runs: python3.N in PATH, else under pyenv's root
    (where a pyenv shim in PATH may name a version not selected)."""
    name = "python3.%d" % minor
    cands = [shutil.which(name), "/usr/bin/" + name, "/usr/local/bin/" + name]
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    cands += sorted(glob.glob(os.path.join(root, "versions", "3.%d.*" % minor, "bin", name)))
    for c in cands:
        if not c or not os.access(c, os.X_OK):
            continue
        try:
            r = subprocess.run([c, "-c", "import sys; print(sys.version_info[:2] == (3, %d), "
                                "sys.executable)" % minor], capture_output=True, text=True,
                               timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            continue
        ok, _, exe = r.stdout.strip().partition(" ")
        if r.returncode == 0 and ok == "True" and os.access(exe, os.X_OK):
            return exe	# the interpreter itself, not a shim
    return None


def _other_cpython(minor):
    """The container leak under CPython 3.@minor, where one is installed:
    every version leaktrace keeps a layout for is checked where it can be."""
    _require_python()
    python = _python(minor)
    if not python:
        raise SkipAlways("no python3.%d on this machine (Debian bookworm has only 3.11)" % minor)
    _, rec, err = _trace("container_leak.py", python=python, leaks=CONTAINER_LEAKS,
                         settled=(lambda rec: not _noisy(rec)) if minor >= 11 else None)
    # Before 3.11 instances get a __dict__, taken from a free list no probe
    # sees: its churn is not told apart there, so only the leaks are checked.
    _check_container(rec, _sizes(err), noise=minor >= 11, qualnames=minor >= 11)


def test_py_cpython38():
    _other_cpython(8)


def test_py_cpython39():
    _other_cpython(9)


def test_py_cpython310():
    _other_cpython(10)


def test_py_cpython312():
    _other_cpython(12)


def test_py_cpython313():
    _other_cpython(13)


def test_py_arenas():
    """Debian's python3 (stripped): arena_leak.py leaks Row objects every
    interval, enough for pymalloc to map arenas as it goes. The Row leak is
    the first suspect; the arenas are one row of the process, the
    allocator's (arena "pymalloc"), with no Python line to blame, ranked
    below it. Before, each arena was a row of its own, blamed on whichever
    line opened it, and they buried the leak."""
    _require_python()
    f = "arena_leak.py"
    out = tmp("arenas.json")

    def arenas(rec):
        return [s for s in rec["stacks"] if s.get("arena") == "pymalloc"]

    def shown(recs):
        ivs = intervals(recs)
        return bool(ivs) and bool(arenas(ivs[-1])) and any(
            st["suspect"] for st in find_py_stacks(ivs[-1], "leak_rows", f, "pyobj", "Row"))

    rc, _, _ = trace_until(["-i", INTERVAL, "-w", WINDOW, "-n", TOP, "--", SYSTEM_PYTHON, "-B",
                            PY_WORKLOAD_SRC / f], out, shown,
                           "a report with the Row leak a suspect and pymalloc's arenas")
    assert rc == 0, "leaktrace exited with status %d" % rc
    recs = load_stream(out, window=WINDOW, top=TOP, interval=INTERVAL)
    rec = [r for r in intervals(recs) if shown([r])][-1]
    row = _one(rec, "leak_rows", f, "pyobj", "Row")
    assert row["rank"] == 1 and row["suspect"], "the Row leak is not the first suspect in " \
        "the %s" % _where(rec)
    ar = arenas(rec)
    assert len(ar) == 1, "want one row for pymalloc's arenas, got %d in the %s" % (
        len(ar), _where(rec))
    assert ar[0]["kind"] == "mmap" and ar[0]["rank"] > row["rank"], describe(ar[0])
    assert not py_sites(ar[0]), "pymalloc's arenas blamed on Python lines: %s" % describe(ar[0])
    assert ar[0]["frames"][0]["module"].split("/")[-1].startswith("python"), \
        "the arenas' frame is not the interpreter's: %s" % ar[0]["frames"][0]
    # no arena left blamed on a line: every mapping the interpreter made
    # itself is the allocator's
    for r in intervals(recs):
        for st in r.get("stacks", []):
            if st["kind"] != "mmap" or "arena" in st or not st["frames"]:
                continue
            fr = st["frames"][0]
            assert not (fr["module"].split("/")[-1].startswith("python") and
                        "func" not in fr), "a mapping of the interpreter's own, not marked " \
                "an arena, in the record t=%s: %s" % (r["t"], describe(st))
