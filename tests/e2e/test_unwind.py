# SPDX-License-Identifier: GPL-2.0-only
"""Native stacks through code built without frame pointers, walked with unwind
tables: every frame of a chain through an executable and two libraries, in
order and with file:line; a thread's start; a signal frame; and stock Debian
programs, whose stacks reach main with tables and not with frame pointers."""

import os
import re
import shutil

from common import (Skip, call_line as _call_line, check_no_probes_left, describe, funcs,
                    load_stream, marker_line, require_root, run_leaktrace, tmp, workload)

COMPLETE = re.compile(r"stacks: (\d+) of (\d+) reach main or a thread start")


def _base(func):
    # gcc's clones: unw_run.constprop.0 is unw_run
    return (func or "").split(".")[0]


def _run(mode, name, extra=(), iterations=25):
    require_root()
    out = tmp("unwind-%s.json" % name)
    rc, _, err = run_leaktrace(["-v", "-i", "5", "-n", "20", "--stack-depth", "64", "-o", out]
                               + list(extra) + ["--", workload("unwind"), mode,
                                                "--iterations", str(iterations)])
    assert rc == 0, "leaktrace -- unwind %s exited with status %d" % (mode, rc)
    ex = load_stream(out, window=6, top=20, interval=5)[-1]
    leaks = [s for s in ex["stacks"] if s["kind"] == "heap" and funcs(s)[0] == "unwb_inner"]
    assert len(leaks) == 1, "want one unwb_inner stack, got:\n%s" % "\n".join(
        describe(s) for s in ex["stacks"])
    return leaks[0], ex, err


def _assert_chain(stack, want):
    """@stack starts with @want: (func, source, line), source None for no check."""
    frames = stack["frames"]
    got = [(_base(f.get("func")), os.path.basename(f.get("file", "")), f.get("line"))
           for f in frames[:len(want)]]
    for i, (func, source, line) in enumerate(want):
        assert i < len(got), "stack ends after %d frames, want %s next: %s" % (
            i, func, describe(stack))
        gf, gs, gl = got[i]
        assert gf == func, "frame %d is %r, want %r; frames: %s" % (
            i, gf, func, [g[0] for g in got])
        if source:
            assert (gs, gl) == (source, line), "frame %d %s at %s:%s, want %s:%d" % (
                i, func, gs, gl, source, line)


INNER = [
    ("unwb_inner", "unwind_b.c", marker_line("unwind_b.c", "unwb_inner")),
    ("unwb_outer", "unwind_b.c", _call_line("unwind_b.c", "unwb_outer")),
    ("unwa_inner", "unwind_a.c", _call_line("unwind_a.c", "unwa_inner")),
    ("unwa_outer", "unwind_a.c", _call_line("unwind_a.c", "unwa_outer")),
]


def test_unwind_chain():
    stack, ex, err = _run("chain", "chain")
    _assert_chain(stack, INNER + [
        ("unw_step", "unwind.c", _call_line("unwind.c", "unw_step")),
        ("unw_run", "unwind.c", _call_line("unwind.c", "unw_run")),
        ("main", "unwind.c", _call_line("unwind.c", "main")),
        ("__libc_start_call_main", None, None),
    ])
    modules = [os.path.basename(f["module"]) for f in stack["frames"][:7]]
    assert modules[0] == "libunwb.so" and modules[2] == "libunwa.so" and \
        modules[4] == "unwind", "modules %s" % modules
    assert stack["count"] == 25 and stack["bytes"] == 25 * 48, describe(stack)
    assert ex["counters"]["unwind_modules"] >= 4, ex["counters"]
    m = COMPLETE.search(err)
    assert m and m.group(1) == m.group(2), "not every stack reached main: %s" % (
        m.group(0) if m else "no summary line in -v output")


def test_unwind_frame_pointers_fall_short():
    """--unwind fp: the same stack stops in the first library: what the
    tables are for, and proof that the test above does not pass by luck."""
    stack, _, _ = _run("chain", "fp", extra=["--unwind", "fp"], iterations=5)
    assert "main" not in funcs(stack), "a frame-pointer walk reached main through " \
        "-fomit-frame-pointer code: %s" % describe(stack)


def test_unwind_thread():
    stack, _, _ = _run("thread", "thread")
    _assert_chain(stack, INNER + [
        ("unw_step", "unwind.c", _call_line("unwind.c", "unw_step")),
        ("unw_run", "unwind.c", _call_line("unwind.c", "unw_run")),
        ("unw_thread", "unwind.c", _call_line("unwind.c", "unw_thread")),
        ("start_thread", None, None),
    ])


def test_unwind_signal():
    """Allocating in a signal handler: the walk crosses the signal frame
    (glibc's __restore_rt) back into the interrupted code."""
    stack, _, _ = _run("signal", "signal")
    _assert_chain(stack, INNER + [
        ("unw_on_signal", "unwind.c", _call_line("unwind.c", "unw_on_signal")),
    ])
    names = [_base(f) for f in funcs(stack)]
    assert "raise" in names, "no raise() frame past the signal frame: %s" % names
    after = names[names.index("raise") + 1:]
    assert after[:3] == ["unw_step", "unw_run", "main"], \
        "past raise(): %s, want unw_step, unw_run, main" % after
    step = stack["frames"][names.index("unw_step")]
    assert step.get("line") == _call_line("unwind.c", "unw_step_raise"), step


def _completeness(argv, unwind):
    rc, _, err = run_leaktrace(["-v", "-i", "30", "--stack-depth", "64", "--unwind", unwind,
                                "--"] + argv, timeout=90)
    assert rc == 0, "leaktrace -- %s exited with status %d" % (argv[0], rc)
    m = COMPLETE.search(err)
    assert m, "no stack summary in the -v output"
    return int(m.group(1)), int(m.group(2))


def _stock(argv):
    require_root()
    if not shutil.which(argv[0]):
        raise Skip("%s is not installed" % argv[0])
    done, total = _completeness(argv, "tables")
    assert total >= 10, "only %d stacks recorded from %s" % (total, argv[0])
    assert done >= 0.99 * total, "%s: %d of %d stacks reach main with tables, want 99%%" % (
        argv[0], done, total)
    fp_done, fp_total = _completeness(argv, "fp")
    assert fp_done < 0.5 * fp_total, "%s: frame pointers reached main in %d of %d stacks: " \
        "is it built with frame pointers?" % (argv[0], fp_done, fp_total)


def test_unwind_stock_xz():
    """Debian's xz (no frame pointers, stripped) allocating through liblzma."""
    data = tmp("unwind-xz.in")
    with open(data, "wb") as f:
        f.write(os.urandom(1 << 20).hex().encode())
    _stock(["xz", "-6", "-T1", "-c", "-k", str(data)])


def test_unwind_stock_perl():
    """Debian's perl: an interpreter, with many distinct stacks."""
    _stock(["perl", "-e", 'my %h; $h{$_} = "x" x ($_ % 100) for 1..50000; '
            'my @s = sort { $a <=> $b } keys %h; print scalar(@s), "\\n";'])


def test_unwind_no_probes_left():
    check_no_probes_left()
