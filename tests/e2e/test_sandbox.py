# SPDX-License-Identifier: GPL-2.0-only
"""Least privilege (user/sandbox.c): once its probes are attached, leaktrace
keeps only the capabilities it still needs, in every thread and every set,
has no_new_privs and a seccomp filter; and it still finds the leaks, of
another user's process too, of a command that execs, and of a process started
after a --system sweep began (probes attached after the drop)."""

import json
import os
import signal
import time
from pathlib import Path

from common import (assert_site, describe_all, find_stacks, load_stream, marker_line,
                    require_root, spawn, spawn_workload, start_leaktrace_bg, tmp,
                    wait_for_start, workload, kernel_at_least)

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

CAP_DAC_READ_SEARCH, CAP_KILL, CAP_SYS_PTRACE, CAP_SYS_ADMIN = 2, 5, 19, 21
CAP_BPF, CAP_CHECKPOINT_RESTORE = 39, 40


def _kernel_at_least(major, minor):
    return kernel_at_least(os.uname().release, major, minor)


def _kept(launched, perf_uprobes=False):
    """The capabilities leaktrace keeps, as README.md lists them (Privileges):
    (those it must keep, those it may keep on this kernel), as masks."""
    must = {CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_CHECKPOINT_RESTORE}
    may = set()
    if launched:
        must.add(CAP_KILL)
    if perf_uprobes or not _kernel_at_least(6, 6):
        # perf-event uprobes: CAP_SYS_ADMIN since CVE-2025-38466's fix
        (must if perf_uprobes else may).add(CAP_SYS_ADMIN)
    if not _kernel_at_least(6, 5):
        may.add(CAP_BPF)  # bpf() on map descriptors wants it there
    if Path("/proc/sys/kernel/unprivileged_bpf_disabled").read_text().strip() != "0":
        may.add(CAP_BPF)  # making the unwind tables' maps as they grow wants it
    return sum(1 << c for c in must), sum(1 << c for c in may)


def _status(path):
    fields = {}
    for line in Path(path).read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def _threads(pid):
    """The status fields of every thread of @pid, by thread id."""
    out = {}
    for task in Path("/proc/%d/task" % pid).iterdir():
        try:
            out[int(task.name)] = _status(task / "status")
        except OSError:
            pass  # a thread that ended meanwhile
    return out


def _names(mask):
    return sorted(i for i in range(64) if mask >> i & 1)


def assert_sandboxed(pid, launched, perf_uprobes=False):
    """Every thread of leaktrace @pid: capabilities dropped to the kept set in
    the effective, permitted and bounding sets, none inheritable or ambient,
    no_new_privs, and seccomp in filter mode (2)."""
    must, may = _kept(launched, perf_uprobes)
    threads = _threads(pid)
    assert threads, "no thread of leaktrace %d in /proc" % pid
    for tid, st in threads.items():
        where = "leaktrace %d thread %d" % (pid, tid)
        for key in ("CapEff", "CapPrm", "CapBnd"):
            got = int(st[key], 16)
            assert got & ~may == must, "%s: %s is capabilities %s, want %s (and maybe %s)" % (
                where, key, _names(got), _names(must), _names(may))
        for key in ("CapInh", "CapAmb"):
            assert int(st[key], 16) == 0, "%s: %s is %s, want none" % (where, key, st[key])
        assert st["NoNewPrivs"] == "1", "%s: NoNewPrivs %s" % (where, st["NoNewPrivs"])
        assert st["Seccomp"] == "2", "%s: Seccomp %s, want 2 (filter)" % (where, st["Seccomp"])
    return threads


def _wait_for_interval(path, lt, timeout=30):
    """Waits for the first interval record: the event loop runs by then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if '"type":"interval"' in Path(path).read_text():
            return
        assert lt.proc.poll() is None, "leaktrace exited early:\n%s" % lt.stderr()[-2000:]
        time.sleep(0.1)
    raise AssertionError("no interval record in %s after %ds" % (path, timeout))


def _leak_seen(path, pid):
    """Whether a complete record of @path lists sys_leak_site for @pid."""
    for line in Path(path).read_text().splitlines(keepends=True):
        if not line.endswith("\n") or '"sys_leak_site"' not in line:
            continue
        rec = json.loads(line)
        if any(s["pid"] == pid and s["frames"][0].get("func") == "sys_leak_site"
               for s in rec.get("stacks", ())):
            return True
    return False


def test_sandbox_pid_other_user():
    """-p on a process of another user (nobody): dropped privileges, and its
    leak is found, symbolized from its files and memory."""
    require_root()
    wl = spawn(NOBODY + [workload("leaky")])
    out = tmp("pid.json")
    lt = start_leaktrace_bg(["-p", wl.pid, "-i", "0.5", "-d", "4", "-o", out])
    wait_for_start(out, lt)
    _wait_for_interval(out, lt)
    assert_sandboxed(lt.pid, launched=False)
    rc, _, err = lt.wait(timeout=30)
    assert rc == 0, "leaktrace -p exited with status %d: %s" % (rc, err[-2000:])
    assert "seccomp" not in err and "capabilit" not in err, "a sandbox complaint:\n%s" % err
    ex = load_stream(out, window=6, top=10, interval=0.5)[-1]
    st = find_stacks(ex, "leak_site", kind="heap")
    assert st, "no leak_site stack:\n%s" % describe_all(ex)
    assert_site(st[0]["frames"][0], "leak_site", "leaky.c", marker_line("leaky.c", "leak_site"))
    assert st[0]["bytes"] == 100 * st[0]["count"] > 0, describe_all(ex)
    assert wl.alive(), "the traced process died"


def _command_execs(extra=(), perf_uprobes=False):
    out = tmp("cmd.json")
    lt = start_leaktrace_bg(list(extra) + ["-i", "0.5", "-w", "2", "-o", out, "--", "sh", "-c",
                                           'sleep 1; exec "$0" --iterations 150',
                                           workload("leaky")])
    wait_for_start(out, lt)
    threads = assert_sandboxed(lt.pid, launched=True, perf_uprobes=perf_uprobes)
    children = [int(c) for tid in threads
                for c in Path("/proc/%d/task/%d/children" % (lt.pid, tid)).read_text().split()]
    assert len(children) == 1, "leaktrace has children %r, want the command" % children
    cmd = _status("/proc/%d/status" % children[0])
    assert cmd["Seccomp"] == "0" and cmd["NoNewPrivs"] == "0", (
        "the command inherited the sandbox: Seccomp %s, NoNewPrivs %s" % (
            cmd["Seccomp"], cmd["NoNewPrivs"]))
    assert int(cmd["CapEff"], 16) == int(_status("/proc/self/status")["CapEff"], 16), (
        "the command lost capabilities: %s" % cmd["CapEff"])
    rc, _, err = lt.wait(timeout=45)
    assert rc == 0, "leaktrace -- exited with status %d: %s" % (rc, err[-2000:])
    ex = load_stream(out, window=2, top=10, interval=0.5)[-1]
    assert ex["reason"] == "target-exited", "exit reason %r" % ex["reason"]
    st = find_stacks(ex, "leak_site", kind="heap")
    assert st, "no leak_site stack after the exec:\n%s" % describe_all(ex)
    assert (st[0]["bytes"], st[0]["count"]) == (15000, 150), (
        "leak_site: %d B in %d, want 15000 B in 150" % (st[0]["bytes"], st[0]["count"]))


def test_sandbox_command_execs():
    """-- COMMAND that execs: leaktrace drops its privileges after the first
    exec, the command keeps its own (no filter, its capabilities), and the
    image it execs into is probed from inside the sandbox, every call seen."""
    require_root()
    _command_execs()


def test_sandbox_command_perf_uprobes():
    """The same with perf-event uprobes (--no-uprobe-multi), which want
    CAP_SYS_ADMIN on current kernels: it is kept, and the exec is probed."""
    require_root()
    _command_execs(["--no-uprobe-multi"], perf_uprobes=True)


def test_sandbox_system_later():
    """--system: dropped privileges, and a process started after that still
    gets its allocator probed, for it alone, once its pages keep growing,
    and its leak found."""
    require_root()
    out = tmp("system.json")
    # a phase longer than the test: the last report still traces it exactly
    lt = start_leaktrace_bg(["--system", "-i", "0.5", "-w", "3", "--exact-min", "64K",
                             "--exact-for", "120", "--exact-top", "8", "-n", "50", "-o", out])
    wait_for_start(out, lt)
    _wait_for_interval(out, lt)
    assert_sandboxed(lt.pid, launched=False)
    later = spawn_workload("sysleak", 2000)
    deadline = time.monotonic() + 30
    while not _leak_seen(out, later.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert_sandboxed(lt.pid, launched=False)
    lt.signal(signal.SIGINT)
    rc, _, err = lt.wait(timeout=30)
    assert rc == 0, "leaktrace --system exited with status %d: %s" % (rc, err[-2000:])
    recs = load_stream(out, window=3, top=50, interval=0.5, system=True)
    assert [r for r in recs if r["type"] == "exact" and r["pid"] == later.pid and
            r["state"] == "start"], "pid %d was not traced exactly" % later.pid
    last = [r for r in recs if r["type"] in ("interval", "exit")][-1]
    st = [s for s in last["stacks"] if s["pid"] == later.pid
          and s["frames"][0].get("func") == "sys_leak_site"]
    assert st, "no sys_leak_site stack for pid %d, started after the drop:\n%s" % (
        later.pid, describe_all(last))
    assert st[0]["bytes"] == 2000 * st[0]["count"] > 0, describe_all(last)
