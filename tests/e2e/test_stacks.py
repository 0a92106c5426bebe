# SPDX-License-Identifier: GPL-2.0-only
"""Stacks people can read, frame by frame: functions inlined at -O2 are frames
of their own ("inline":true, "[inlined]" in the table), C++ and Rust names come
out demangled with the raw symbol in "symbol", symbol versions are cut off, no
frame takes a line from a unit that does not hold its address, the caller of
a function whose return probe is pending is found, and a frame without a
symbol reads module+offset, with one hint on stderr about debug symbols."""

import ctypes
import os
import platform
import re
import subprocess

from common import (Skip, call_line, check_no_probes_left, describe, load_stream, marker_line,
                    require_root, run_leaktrace, tmp, workload, WORKLOADS)

ITERATIONS = 30


def _run(name, extra=(), iterations=ITERATIONS):
    """leaktrace -- @name --iterations N; returns (exit record, table, stderr)."""
    require_root()
    out = tmp("%s.json" % name)
    rc, text, err = run_leaktrace(["-i", "5", "-n", "5", "-o", out] + list(extra) +
                                  ["--", workload(name), "--iterations", str(iterations)],
                                  timeout=60)
    assert rc == 0, "leaktrace -- %s exited with status %d" % (name, rc)
    return load_stream(out, window=6, top=5, interval=5)[-1], text, err


def _stack_with(rec, func, count=ITERATIONS):
    """The one heap stack of @rec with a frame named @func, of @count blocks."""
    hits = [s for s in rec["stacks"] if s["kind"] == "heap" and
            any(f.get("func") == func for f in s["frames"])]
    assert len(hits) == 1, "want one stack through %r, got:\n%s" % (
        func, "\n".join("    " + describe(s) for s in rec["stacks"]))
    assert hits[0]["count"] == count, describe(hits[0])
    return hits[0]


def _frame(frames, func):
    for i, f in enumerate(frames):
        if f.get("func") == func:
            return i, f
    raise AssertionError("no frame %r in %s" % (func, [f.get("func") for f in frames]))


def _assert_frames(frames, want):
    """@frames start with @want: (func, source basename or None, line, inline)."""
    got = [(f.get("func"), os.path.basename(f["file"]) if "file" in f else None, f.get("line"),
            f.get("inline", False)) for f in frames[:len(want)]]
    assert got == list(want), "frames:\n    %s\nwant:\n    %s" % (
        "\n    ".join(map(str, got)), "\n    ".join(map(str, want)))


def _assert_libc_start(frames):
    """__libc_start_main without its symbol version; the raw symbol, where
    libc's symbol table has it (libc6-dbg), keeps it."""
    _, f = _frame(frames, "__libc_start_main")
    assert f.get("symbol", "__libc_start_main@").startswith("__libc_start_main@"), f


def _table_lines(text):
    return [l.strip() for l in text.splitlines()]


def test_stacks_inline():
    """make_record() inlined into handle_request() inlined into main()."""
    ex, text, _ = _run("inline")
    stack = _stack_with(ex, "make_record")
    frames = stack["frames"]
    _assert_frames(frames, [
        ("make_record", "inline.c", marker_line("inline.c", "make_record"), True),
        ("handle_request", "inline.c", call_line("inline.c", "handle_request"), True),
        ("main", "inline.c", call_line("inline.c", "main"), False),
    ])
    assert stack["bytes"] == 72 * ITERATIONS, describe(stack)
    assert len({f["addr"] for f in frames[:3]}) == 1, "one address for the three: %s" % [
        f["addr"] for f in frames[:3]]
    assert all(f["module"].endswith("/inline") for f in frames[:3]), frames[:3]
    _assert_libc_start(frames)
    lines = _table_lines(text)
    want = ["make_record (inline.c:%d) [inlined]  in inline" %
            marker_line("inline.c", "make_record"),
            "handle_request (inline.c:%d) [inlined]" % call_line("inline.c", "handle_request"),
            "main (inline.c:%d)" % call_line("inline.c", "main")]
    i = lines.index(want[0]) if want[0] in lines else -1
    assert i >= 0 and lines[i:i + 3] == want, "the table does not show\n    %s\n%s" % (
        "\n    ".join(want), text)
    assert "__libc_start_main@" not in text, "a symbol version in the table:\n%s" % text


def test_stacks_cxx():
    """operator new called by a function template in nested namespaces; and
    _start, from crt1.o, has no line of the unit before it (stl_tree.h)."""
    ex, text, _ = _run("cxxleak")
    make = "app::store::Record* app::store::make<app::store::Record>(long)"
    frames = _stack_with(ex, make)["frames"]
    new = frames[0]
    assert (new.get("func"), new.get("symbol")) == ("operator new(unsigned long)", "_Znwm"), new
    assert "libstdc++" in new["module"], new
    _assert_frames(frames[1:], [
        (make, "cxxleak.cpp", marker_line("cxxleak.cpp", "make"), False),
        ("main", "cxxleak.cpp", call_line("cxxleak.cpp", "main"), False),
    ])
    assert frames[1]["symbol"] == "_ZN3app5store4makeINS0_6RecordEEEPT_l", frames[1]
    assert "symbol" not in frames[2], "main has no other name: %s" % frames[2]
    _, start = _frame(frames, "_start")
    assert "file" not in start and "line" not in start, "_start has a line: %s" % start
    _assert_libc_start(frames)
    assert "operator new(unsigned long)+0x" in text and make + " (cxxleak.cpp:" in text, text
    assert "_Znwm" not in text and "_ZN3app" not in text, "a raw C++ name in the table:\n" + text
    assert "_start+0x" in text, "_start shown with a line in the table:\n%s" % text


def test_stacks_rust():
    """A method of a type in a module, with v0 mangling; what Box::new
    inlined into it comes before it."""
    if not (WORKLOADS / "rsleak").exists():
        raise Skip("no Rust workload: install rustc (scripts/deps.sh) and run make workloads")
    ex, text, _ = _run("rsleak")
    put = "<rsleak::store::Cache>::put"
    frames = _stack_with(ex, put)["frames"]
    i, f = _frame(frames, put)
    assert re.fullmatch(r"_RNvMNtCs\w+_6rsleak5storeNtB\w*_5Cache3put", f.get("symbol", "")), f
    _assert_frames(frames[i:], [
        (put, "rsleak.rs", marker_line("rsleak.rs", "put"), False),
        ("rsleak::main", "rsleak.rs", call_line("rsleak.rs", "main"), False),
    ])
    assert i >= 1 and all(g.get("inline") for g in frames[:i]), (
        "the allocation inlined into put is not shown inlined: %s" % frames[:i + 1])
    assert frames[i - 1].get("func") == "<alloc::boxed::Box<[u64; 8]>>::new", frames[i - 1]
    raw = [g["func"] for g in frames if re.match(r"_R[A-Z]|_ZN", g.get("func", ""))]
    assert not raw, "raw Rust names left: %s" % raw
    assert put + " (rsleak.rs:%d)" % marker_line("rsleak.rs", "put") in text, text


def test_stacks_unnamed():
    """A stripped executable: its frames read module+offset, the offset its
    ELF address (what addr2line -e takes), and stderr says once how to get
    names."""
    ex, text, err = _run("leaky-stripped")
    stacks = [s for s in ex["stacks"] if s["kind"] == "heap" and s["count"] == ITERATIONS and
              "func" not in s["frames"][0]]
    assert len(stacks) == 1, "want the one leak_site stack, unnamed:\n%s" % "\n".join(
        "    " + describe(s) for s in ex["stacks"])
    top = stacks[0]["frames"][0]
    assert top["module"].endswith("/leaky-stripped"), top
    nm = subprocess.run(["nm", "-S", str(workload("leaky"))], capture_output=True, text=True,
                        check=True).stdout
    start, size = [(int(p[0], 16), int(p[1], 16)) for p in map(str.split, nm.splitlines())
                   if len(p) == 4 and p[3] == "leak_site"][0]
    off = int(top["offset"], 16)
    assert start < off <= start + size, "offset %#x not in leak_site [%#x, %#x]" % (
        off, start, start + size)
    assert "leaky-stripped+%#x" % off in _table_lines(text), text
    hints = [l for l in err.splitlines() if "--debug-dir" in l]
    assert len(hints) == 1, "want one hint on debug symbols, got:\n%s" % err
    assert hints[0].startswith("leaktrace: warning: leaky-stripped ") and "dbgsym" in hints[0], hints[0]


# ---------------------------------------------------------------- return probes

_NR_PERF_EVENT_OPEN = {"x86_64": 298, "aarch64": 241}


class _Attr(ctypes.Structure):
    """struct perf_event_attr up to config2 (PERF_ATTR_SIZE_VER1)."""
    _fields_ = [("type", ctypes.c_uint32), ("size", ctypes.c_uint32),
                ("config", ctypes.c_uint64), ("sample_period", ctypes.c_uint64),
                ("sample_type", ctypes.c_uint64), ("read_format", ctypes.c_uint64),
                ("flags", ctypes.c_uint64), ("wakeup_events", ctypes.c_uint32),
                ("bp_type", ctypes.c_uint32), ("config1", ctypes.c_uint64),
                ("config2", ctypes.c_uint64)]


def _file_offset(path, func):
    """The file offset of @func in the ELF file @path, where uprobes go."""
    nm = subprocess.run(["nm", str(path)], capture_output=True, text=True, check=True).stdout
    addr = [int(p[0], 16) for p in map(str.split, nm.splitlines())
            if len(p) == 3 and p[2] == func][0]
    phdrs = subprocess.run(["readelf", "-lW", str(path)], capture_output=True, text=True,
                           check=True).stdout
    for p in map(str.split, phdrs.splitlines()):
        if p and p[0] == "LOAD":
            off, vaddr, filesz = int(p[1], 16), int(p[2], 16), int(p[4], 16)
            if vaddr <= addr < vaddr + filesz:
                return addr - vaddr + off
    raise AssertionError("%s of %s is in no PT_LOAD segment" % (func, path))


def _online_cpus():
    with open("/sys/devices/system/cpu/online") as f:
        spans = [r.split("-") for r in f.read().strip().split(",")]
    return [c for r in spans for c in range(int(r[0]), int(r[-1]) + 1)]


def _uretprobes(path, funcs):
    """Return probes on @funcs of @path, in every process that runs it, as
    another tool (perf probe, bpftrace) places them: perf events of the
    uprobe PMU, one per CPU, gone when closed. Returns their descriptors."""
    nr = _NR_PERF_EVENT_OPEN.get(platform.machine())
    pmu = "/sys/bus/event_source/devices/uprobe"
    if nr is None or not os.path.exists(pmu):
        raise Skip("no uprobe PMU (perf_event_open) here")
    with open(pmu + "/type") as f:
        pmu_type = int(f.read())
    with open(pmu + "/format/retprobe") as f:
        bit = int(f.read().strip().split(":")[1])
    name = ctypes.create_string_buffer(str(path).encode())
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    fds = []
    try:
        for func in funcs:
            attr = _Attr(type=pmu_type, size=ctypes.sizeof(_Attr), config=1 << bit,
                         config1=ctypes.addressof(name), config2=_file_offset(path, func))
            for cpu in _online_cpus():
                fd = libc.syscall(nr, ctypes.byref(attr), ctypes.c_int(-1), ctypes.c_int(cpu),
                                  ctypes.c_int(-1), ctypes.c_ulong(8))	# PERF_FLAG_FD_CLOEXEC
                assert fd >= 0, "perf_event_open(uretprobe %s, cpu %d): %s" % (
                    func, cpu, os.strerror(ctypes.get_errno()))
                fds.append(fd)
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return fds


def _pending_return_probes(unwind):
    """leak_site() mallocs while return probes on it and on main() are
    pending: both their return addresses on the stack are the kernel's
    trampoline, and each must still read as the real caller, in order."""
    require_root()
    fds = _uretprobes(workload("leaky"), ("leak_site", "main"))
    try:
        ex, text, _ = _run("leaky", extra=["--unwind", unwind])
    finally:
        for fd in fds:
            os.close(fd)
    frames = _stack_with(ex, "leak_site")["frames"]
    assert [f.get("func") for f in frames[:3]] == [
        "leak_site", "main", "__libc_start_call_main"], (
        "a caller is lost under the return probes: %s" % [
            (f.get("func"), f["module"]) for f in frames])
    assert frames[1].get("line") == call_line("leaky.c", "main"), frames[1]
    assert "[uprobes]" not in text and "0x7fffffffe000" not in text, text


def test_stacks_pending_return_probes():
    _pending_return_probes("tables")


def test_stacks_pending_return_probes_fp():
    _pending_return_probes("fp")


def test_stacks_no_probes_left():
    check_no_probes_left()
