# SPDX-License-Identifier: GPL-2.0-only
"""Bad usage and bad input: exit status 2 and one line on stderr that says
what failed (README.md and leaktrace(8), "Exit status"); --help and --version."""

import re
from pathlib import Path

from common import (assert_bad_values, assert_one_error_line, check_no_probes_left, require_root,
                    run_leaktrace, spawn, spawn_workload)

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _sleeper():
    return spawn(["sleep", "600"], ready=False)


def test_no_such_process():
    require_root()
    rc, _, err = run_leaktrace(["-p", "99999999"])
    assert_one_error_line(rc, err, "no such process")


def test_kernel_thread():
    require_root()
    assert Path("/proc/2/comm").read_text().strip() == "kthreadd", "pid 2 is not kthreadd here"
    rc, _, err = run_leaktrace(["-p", "2"])
    assert_one_error_line(rc, err, "kernel thread")


def test_unknown_option():
    require_root()
    rc, _, err = run_leaktrace(["--bogus"])
    assert rc == 2, "exit status %d, want 2; stderr %r" % (rc, err)
    assert "bogus" in err, "stderr does not name the unknown option: %r" % err


BAD_OPTIONS = [
    (["-i", "abc"], ("interval", "-i", "abc")),
    (["-i", "0"], ("interval", "-i")),
    (["-n", "0"], ("top", "-n")),
    (["--stack-depth", "0"], ("stack-depth", "stack depth")),
    (["--stack-depth", "500"], ("stack-depth", "stack depth")),
    (["--fail-on-growth", "10Q"], ("fail-on-growth", "10Q")),
    (["--sources", "bogus"], ("sources", "bogus")),
    (["-d", "0x10"], ("duration", "0x10")),
    (["-i", "inf"], ("interval", "inf")),
    (["--fail-on-growth", "9223372036854775808"], ("fail-on-growth",)),
    (["--fail-on-growth", "8E"], ("fail-on-growth",)),
    (["--debug-dir", "/etc/passwd"], ("debug-dir", "not a directory")),
    (["--btf", "/etc/passwd"], ("/etc/passwd", "BTF")),
]


def test_bad_option_values():
    require_root()
    wl = _sleeper()
    assert_bad_values(BAD_OPTIONS, wl.pid)


def test_no_target():
    require_root()
    rc, _, err = run_leaktrace([])
    assert rc == 2, "exit status %d without a target, want 2" % rc
    assert err.strip(), "nothing on stderr without a target"


def test_not_root():
    require_root()
    wl = spawn(NOBODY + ["sleep", "600"], ready=False)
    rc, _, err = run_leaktrace(["-p", wl.pid], prefix=NOBODY)
    assert_one_error_line(rc, err, "run as root")


def test_missing_btf():
    require_root()
    wl = _sleeper()
    rc, _, err = run_leaktrace(["-p", wl.pid, "--btf", "/nonexistent/vmlinux"])
    assert_one_error_line(rc, err, "BTF")


def test_no_allocator():
    require_root()
    wl = spawn_workload("static_noalloc")
    rc, _, err = run_leaktrace(["-p", wl.pid])
    assert_one_error_line(rc, err, "--lib")
    assert wl.alive(), "the target died"


def test_lib_not_elf():
    require_root()
    wl = _sleeper()
    rc, _, err = run_leaktrace(["-p", wl.pid, "--lib", "/etc/hostname"])
    assert_one_error_line(rc, err)


def test_no_such_command():
    require_root()
    rc, _, err = run_leaktrace(["--", "/nonexistent/cmd"])
    assert_one_error_line(rc, err, "No such file", "not found")


def test_version():
    require_root()
    rc, out, err = run_leaktrace(["--version"], timeout=10)
    assert rc == 0, "--version exit status %d" % rc
    assert re.search(r"\d+\.\d+", out), "--version printed no version: %r" % out


def test_help():
    require_root()
    rc, out, _ = run_leaktrace(["--help"], timeout=10)
    assert rc == 0, "--help exit status %d" % rc
    for word in ("-p", "--fail-on-growth"):
        assert word in out, "--help does not mention %s" % word
    assert re.search(r"leaktrace\s+(\[?-[-\w]+.*)?(-p\s+\d+|--\s+\S+|--system)", out), (
        "--help shows no example command line")


def test_errors_no_probes_left():
    check_no_probes_left()
