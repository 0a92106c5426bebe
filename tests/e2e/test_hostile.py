# SPDX-License-Identifier: GPL-2.0-only
"""A traced process is hostile input: what it names, maps and calls itself
must not block root's leaktrace, reach its terminal raw, or turn its output
against root; and failures of leaktrace's own output are said, not hidden."""

import os
import signal
import subprocess
import time
from pathlib import Path

from common import (assert_one_error_line, find_stacks, intervals, read_jsonl, require_root,
                    run_leaktrace, spawn, start_leaktrace_bg, tmp, trace_until, wait_for_start,
                    wait_records, workload)

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

# Leaks a page a call from hostile_site, forever; its name (comm) and the
# names in its ELF and DWARF are what a program may make them.
LEAKER_SRC = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#line 1 "\x1b[2J\x1b]0;PWNED-TITLE\x07\xff\xfe.c"
__attribute__((noinline)) void *hostile_site(size_t n)
{
	void *p = malloc(n);
	if (p)
		memset(p, 1, n);
	return p;
}
int main(int argc, char **argv)
{
	if (argc > 1)
		prctl(PR_SET_NAME, argv[1]);
	printf("ready %d\n", getpid());
	fflush(stdout);
	for (;;) {
		hostile_site(4096);
		usleep(20000);
	}
}
"""
EVIL_NAME = "ev\x1b[2J\x1b]0;PWNED\x07\xff\xfeil"


def _nobody_dir(name):
    d = Path(tmp(name))
    d.mkdir()
    os.chown(d, 65534, 65534)
    d.parent.chmod(0o755)
    return d


def _build_leaker(d, name="leaker", rename=True):
    """Builds the leaker in @d as nobody would own it; with @rename, its
    function's symbol gets escape sequences and invalid UTF-8."""
    src = d / (name + ".c")
    src.write_text(LEAKER_SRC)
    exe = d / name
    subprocess.run(["gcc", "-g", "-O1", "-o", exe, src], check=True)
    if rename:
        subprocess.run(["objcopy", "--redefine-sym", b"hostile_site=" + EVIL_NAME.encode(
            "latin-1"), exe], check=True)
    for p in d.iterdir():
        os.chown(p, 65534, 65534)
    return exe


def test_fifo_debuglink():
    """A stripped program whose .gnu_debuglink names a FIFO beside it (and in
    .debug/): the FIFO is never opened, reports keep coming, and SIGINT ends
    the run with its final report. It blocked open() for good before."""
    require_root()
    d = _nobody_dir("fifo")
    exe = _build_leaker(d, rename=False)
    (d / "it_dl.debug").write_bytes(b"x")
    subprocess.run(["objcopy", "--only-keep-debug", exe, d / "it_dl.debug"], check=True)
    subprocess.run(["strip", "--strip-debug", exe], check=True)
    subprocess.run(["objcopy", "--add-gnu-debuglink=" + str(d / "it_dl.debug"), exe],
                   check=True)
    (d / "it_dl.debug").unlink()
    os.mkfifo(d / "it_dl.debug")
    (d / ".debug").mkdir()
    os.mkfifo(d / ".debug" / "it_dl.debug")
    wl = spawn(NOBODY + [exe])
    out = tmp("out.jsonl")
    lt = start_leaktrace_bg(["-p", wl.pid, "-i", "0.5", "-o", out])
    wait_for_start(out, lt)
    # reports keep coming, and one shows the leak: the FIFO blocked nothing
    recs = wait_records(out, lambda recs: len(intervals(recs)) >= 2 and any(
        find_stacks(r, "hostile_site") for r in intervals(recs)),
        "report with hostile_site, after the first two", lt)
    site = [s for r in recs if r["type"] == "interval" for s in r["stacks"]
            if s["frames"] and s["frames"][0].get("func") == "hostile_site"]
    assert site, "the leak was not reported: %s" % lt.stderr()[-800:]
    assert "file" not in site[0]["frames"][0], "a source line came from the FIFO?"
    lt.signal(signal.SIGINT)
    rc, _, err = lt.wait()
    assert rc == 0, "exit %d after SIGINT: %s" % (rc, err[-800:])
    last = read_jsonl(out)[-1]
    assert last["type"] == "exit" and last["reason"] == "signal", last


def test_escapes():
    """Escape sequences and invalid UTF-8 in a symbol, a DWARF file name and
    the process's name come out escaped in the table and in stderr, and every
    JSON line parses with the names intact but for invalid bytes."""
    require_root()
    d = _nobody_dir("esc")
    exe = _build_leaker(d)
    wl = spawn(NOBODY + [exe, "\x1b[31mred\n"])
    out = tmp("out.jsonl")
    rc, text, err = trace_until(["-p", wl.pid, "-i", "0.5"], out, lambda recs: any(
        "PWNED" in s["frames"][0].get("func", "") for r in intervals(recs) for s in r["stacks"]
        if s["frames"]), "report with the renamed function")
    assert rc == 0, "exit %d: %s" % (rc, err[-800:])
    for name, s in (("stdout", text), ("stderr", err)):
        bad = sorted({c for c in s if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0})
        assert not bad, "%s carries control characters %r: %r" % (name, bad, s[:2000])
    assert "ev\\x1b[2J\\x1b]0;PWNED\\x07\\xff\\xfeil" in text, text[:3000]
    assert "\\x1b[2J\\x1b]0;PWNED-TITLE\\x07\\xff\\xfe.c:" in text, text[:3000]
    assert "(\\x1b[31mred)" in text, text[:3000]
    recs = read_jsonl(out)
    frames = [s["frames"][0] for r in recs if r["type"] == "interval" for s in r["stacks"]
              if s["frames"] and "PWNED" in s["frames"][0].get("func", "")]
    assert frames, "no stack of the renamed function in %s" % out
    assert frames[0]["func"] == "ev\x1b[2J\x1b]0;PWNED\x07\ufffd\ufffdil", frames[0]
    assert frames[0]["file"].endswith("\x1b[2J\x1b]0;PWNED-TITLE\x07\ufffd\ufffd.c"), frames[0]
    raw = Path(out).read_bytes()
    assert b"\x1b" not in raw and b"\xff" not in raw, "raw control bytes in the JSON"


def test_output_symlink_refused():
    """A symbolic link that another user left in /tmp (sticky, world-writable)
    is not followed by -o: the root-owned file it points at stays as it was."""
    require_root()
    victim = Path(tmp("victim"))
    victim.write_text("root's\n")
    victim.chmod(0o600)
    link = Path("/tmp/leaktrace-e2e-link-%d.jsonl" % os.getpid())
    if link.is_symlink() or link.exists():
        link.unlink()
    subprocess.run(NOBODY + ["ln", "-s", str(victim), str(link)], check=True)
    try:
        rc, _, err = run_leaktrace(["-o", link, "-d", "1", "--", workload("quiet")])
        assert_one_error_line(rc, err, "symbolic link")
        assert victim.read_text() == "root's\n", "the file behind the link was written"
    finally:
        link.unlink()


def test_write_failures():
    """ENOSPC on -o or on stdout, and a closed stdout: exit 1 and one line that
    names the output, never exit 0 in silence."""
    require_root()
    q = workload("quiet")
    rc, _, err = run_leaktrace(["-o", "/dev/full", "-i", "0.5", "-d", "2", "--", q])
    lines = [l for l in err.splitlines() if "/dev/full" in l]
    assert rc == 1 and len(lines) == 1 and "incomplete" in lines[0], (rc, err)
    for redirect in (">/dev/full", ">&-"):
        r = subprocess.run("%s -i 0.5 -d 2 -- %s %s" % (
            Path(__file__).resolve().parents[2] / "leaktrace", q, redirect), shell=True,
            stderr=subprocess.PIPE, text=True, timeout=60)
        assert r.returncode == 1, "%s: exit %d: %s" % (redirect, r.returncode, r.stderr)
        assert "stdout" in r.stderr or "standard output" in r.stderr, (redirect, r.stderr)


def test_command_exit_status():
    """-- COMMAND passes the command's status on, as shells do, and says in the
    final report how it ended."""
    require_root()
    rc, _, err = run_leaktrace(["--", "/bin/false"])
    assert rc == 1, "-- /bin/false: exit %d: %s" % (rc, err[-500:])
    out = tmp("segv.jsonl")
    rc, text, err = run_leaktrace(["-o", out, "--", "sh", "-c", "kill -SEGV $$"])
    assert rc == 128 + signal.SIGSEGV, "killed by SIGSEGV: exit %d: %s" % (rc, err[-500:])
    assert "command killed by SIGSEGV" in text, text[-1000:]
    last = read_jsonl(out)[-1]
    assert last["type"] == "exit" and last["command"]["signal_name"] == "SIGSEGV", last


def test_zombie():
    """A zombie has no user space left: one line that says so, exit 2."""
    require_root()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0] == "Z":
                break
            time.sleep(0.02)
        rc, _, err = run_leaktrace(["-p", pid, "-d", "1"])
        assert_one_error_line(rc, err, "zombie")
    finally:
        os.waitpid(pid, 0)
