# SPDX-License-Identifier: GPL-2.0-only
"""A step of the start that runs for more than a second (building the unwind
table of a large library, finding a CPython) says what it is doing: one line
on stderr, "leaktrace: building the unwind table of PATH (48.0 MiB)...", never
on stdout, with what the target names escaped.

LEAKTRACE_PROGRESS_MS, read by leaktrace for these tests only (it is no
option of a user's), sets that second: 0 says each step as it begins, from the
thread that runs it; a few milliseconds leave it to the watching thread,
which must say a step that takes longer, such as the unwind table of
Debian's python3 (65,000 rows)."""

import os
import re
import shutil
from pathlib import Path

from common import WAIT, parse_jsonl_text, require_root, run_leaktrace, tmp, workload

PYTHON = "/usr/bin/python3"
SLEEPER = ["-c", "import time; time.sleep(%d)" % WAIT]


def _progress(err):
    return [l for l in err.splitlines() if l.startswith("leaktrace: ") and l.endswith("...")]


def _env(ms):
    return dict(os.environ, LEAKTRACE_PROGRESS_MS=str(ms))


def test_progress_lines_on_stderr_only():
    """Every step said at once (0 ms): the unwind tables of the command's
    files, each with its size and all together, and the search for CPython;
    stdout holds JSON lines only."""
    require_root()
    rc, out, err = run_leaktrace(["--json", "-i", "0.5", "-d", "1", "--", PYTHON, *SLEEPER],
                                 env=_env(0))
    assert rc == 0, "exit %d: %s" % (rc, err[-1500:])
    parse_jsonl_text(out)
    lines = _progress(err)
    libc = [l for l in lines if l.startswith("leaktrace: building the unwind table of ")
            and "/libc.so.6 (" in l]
    assert libc, "no progress line for libc's unwind table: %r" % err[-2000:]
    assert libc[0].endswith(" MiB)..."), libc[0]
    # the tables of all the files of the process, as one step: many quick
    # files (LLVM's, ICU's) take seconds in all
    assert any(re.match(r"^leaktrace: building the unwind tables of the \d+ files pid \d+ "
                        r"maps\.\.\.$", l) for l in lines), err[-2000:]
    assert any(l.startswith("leaktrace: looking for CPython in pid ") for l in lines), err
    assert not any("..." in l for l in out.splitlines()), "progress on stdout"


def test_progress_from_the_watching_thread():
    """A step longer than the threshold is said while it runs, by the
    watching thread: python3's unwind table takes far more than 1 ms."""
    require_root()
    rc, out, err = run_leaktrace(["-i", "0.5", "-d", "1", "--", PYTHON, *SLEEPER],
                                 env=_env(1))
    assert rc == 0, "exit %d: %s" % (rc, err[-1500:])
    real = os.path.realpath(PYTHON)
    assert any(l.startswith("leaktrace: building the unwind table of %s (" % real)
               for l in _progress(err)), "no progress line for %s: %r" % (real, err[-2000:])
    # the start is over: no line after the first report's
    assert "tracing pid" in err, err[-1500:]
    after = err[err.index("tracing pid"):]
    assert not _progress(after), "progress lines after the start: %r" % after[-1500:]


def test_progress_escapes_paths():
    """A program in a directory whose name holds escape sequences and
    invalid UTF-8: the path comes out escaped."""
    require_root()
    d = Path(tmp(os.fsdecode(b"ev\x1b[2J\x07\xffil")))
    d.mkdir()
    exe = d / "leaky"
    shutil.copy(workload("leaky"), exe)
    rc, _, err = run_leaktrace(["-i", "0.5", "-d", "1", "--", exe, "--seconds", "30"],
                               env=_env(0))
    assert rc == 0, "exit %d: %s" % (rc, err[-1500:])
    bad = sorted({c for c in err if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0
                  or 0xdc80 <= ord(c) <= 0xdcff or c == "\ufffd"})
    assert not bad, "stderr carries raw bytes %r: %r" % (bad, err[:2000])
    want = "leaktrace: building the unwind table of %s/ev\\x1b[2J\\x07\\xffil/leaky (" % (
        os.path.dirname(str(d)))
    assert any(l.startswith(want) for l in _progress(err)), "want %r in %r" % (want, err[-2000:])
