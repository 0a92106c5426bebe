# SPDX-License-Identifier: GPL-2.0-only
"""The board builds and the targets they meet there. `make STATIC=1` gives one
static binary that traces a leak to its file:line; the arm64 cross build gives
a static AArch64 binary whose BPF object is built for arm64; and a program
whose allocator is inside the executable (static glibc, static musl) is traced
without --lib. Each build runs once per test session, in its own output
directory: ./leaktrace, which the other tests use, is left alone."""

import os
import platform
import re
import shutil
import struct
import subprocess

from common import (LEAKTRACE, ROOT, Skip, assert_site, check_no_probes_left, churn_settled,
                    describe, describe_all, find_stacks, funcs, intervals, load_stream,
                    marker_line, require_debian_package, require_root, run_leaktrace,
                    spawn_workload, tmp, trace_until, workload)
from test_heap import ALLOCS_GONE, ALLOCS_SITES

HOST_ARCH = {"x86_64": "x86", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
STATIC_BIN = ROOT / ".output" / ("%s-static" % HOST_ARCH) / "leaktrace"
ARM64_BIN = ROOT / ".output" / "arm64-static" / "leaktrace"
ARM64_MAKE = ["ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-", "STATIC=1"]
BUILD_TIMEOUT = 400

EM_X86_64, EM_AARCH64, EM_BPF = 62, 183, 247
PT_DYNAMIC, PT_INTERP = 2, 3

_builds = {}	# output file -> None once built, or the error, for the session


def _make(args, out):
    """Builds @out with `make @args` once per session; raises what it raised
    the first time for every test that needs it."""
    if out not in _builds:
        argv = ["make", "--no-print-directory", "-j2", *args, str(out.relative_to(ROOT))]
        r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                           timeout=BUILD_TIMEOUT)
        err = None
        if r.returncode != 0:
            err = "`%s` failed (status %d):\n%s" % (" ".join(argv), r.returncode,
                                                   (r.stdout + r.stderr)[-3000:])
        else:
            # glibc's link-time warnings (dlopen, getpwnam in a static
            # binary) mean a run-time dependency the board may not have.
            warn = [l for l in r.stderr.splitlines() if "warning" in l.lower()]
            if warn:
                err = "`%s` warned:\n  %s" % (" ".join(argv), "\n  ".join(warn[:10]))
        _builds[out] = err
    if _builds[out]:
        raise AssertionError(_builds[out])


def _elf(path):
    """(e_machine, set of program header types) of the ELF file at @path."""
    with open(path, "rb") as f:
        data = f.read(1 << 16)
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, (
        "%s is not a 64-bit little-endian ELF file" % path)
    machine = struct.unpack_from("<H", data, 18)[0]
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    types = {struct.unpack_from("<I", data, phoff + i * phentsize)[0] for i in range(phnum)}
    return machine, types


def _assert_static(path, machine):
    m, types = _elf(path)
    assert m == machine, "%s: e_machine %d, want %d" % (path, m, machine)
    assert PT_INTERP not in types and PT_DYNAMIC not in types, (
        "%s is linked dynamically (PT_INTERP or PT_DYNAMIC)" % path)
    if machine == EM_X86_64 and platform.machine() == "x86_64" and shutil.which("ldd"):
        r = subprocess.run(["ldd", str(path)], capture_output=True, text=True)
        out = r.stdout + r.stderr
        assert "not a dynamic executable" in out, "ldd %s: %s" % (path, out.strip())


def _bpf_object(path):
    """The BPF ELF object that the skeleton embeds in the binary at @path."""
    data = path.read_bytes()
    for m in re.finditer(rb"\x7fELF\x02\x01\x01", data):
        start = m.start()
        if struct.unpack_from("<H", data, start + 18)[0] != EM_BPF:
            continue
        shoff = struct.unpack_from("<Q", data, start + 40)[0]
        shentsize, shnum = struct.unpack_from("<HH", data, start + 58)
        return data[start:start + shoff + shentsize * shnum]
    raise AssertionError("no BPF object embedded in %s" % path)


def _assert_bpf_arch(path, arch):
    """The embedded BPF object reads registers and the thread pointer as @arch
    lays them out: its BTF names arm64's user_pt_regs and thread.uw.tp_value,
    or x86's thread.fsbase."""
    obj = _bpf_object(path)
    names = {n: re.search(rb"\x00%s\x00" % n, obj) is not None
             for n in (b"user_pt_regs", b"tp_value", b"fsbase")}
    want = {"arm64": {b"user_pt_regs": True, b"tp_value": True, b"fsbase": False},
            "x86": {b"user_pt_regs": False, b"tp_value": False, b"fsbase": True}}[arch]
    assert names == want, "%s: BPF object not built for %s: BTF names %r" % (path, arch, names)


def _leaky_exact(binary, leaky, module_suffix):
    """leaktrace -- @leaky for 150 iterations: leak_site, exactly 15000 B / 150."""
    out = tmp("leaky.json")
    rc, _, _ = run_leaktrace(["-i", "0.5", "-w", "2", "-o", out, "--", leaky,
                              "--iterations", "150"], binary=binary)
    assert rc == 0, "leaktrace -- %s exited with status %d" % (leaky.name, rc)
    ex = load_stream(out, window=2, top=10, interval=0.5)[-1]
    assert ex["reason"] == "target-exited", "exit reason %r" % ex["reason"]
    assert ex["stacks"], "no suspect in the exit record"
    top = ex["stacks"][0]
    assert_site(top["frames"][0], "leak_site", "leaky.c", marker_line("leaky.c", "leak_site"),
                module_suffix)
    assert (top["kind"], top["bytes"], top["count"]) == ("heap", 15000, 150), (
        "leak_site: %s, want heap 15000 B / 150" % describe(top))


def test_static_build():
    require_root()
    _make(["STATIC=1"], STATIC_BIN)
    machine = {"x86": EM_X86_64, "arm64": EM_AARCH64}.get(HOST_ARCH)
    if machine is None:
        raise Skip("no static build check for %s" % HOST_ARCH)
    _assert_static(STATIC_BIN, machine)
    _assert_bpf_arch(STATIC_BIN, HOST_ARCH)
    _leaky_exact(STATIC_BIN, workload("leaky"), "/leaky")


test_static_build.timeout = BUILD_TIMEOUT + 60


def test_cross_build_arm64():
    require_debian_package("gcc-aarch64-linux-gnu", "the arm64 cross compiler")
    require_debian_package("libdw-dev:arm64", "elfutils for arm64")
    _make(ARM64_MAKE, ARM64_BIN)
    _assert_static(ARM64_BIN, EM_AARCH64)
    _assert_bpf_arch(ARM64_BIN, "arm64")
    qemu = shutil.which("qemu-aarch64-static")
    if not qemu:
        require_debian_package("qemu-user-static", "qemu-aarch64-static, to run it")
        raise AssertionError("qemu-user-static is installed, but no qemu-aarch64-static")
    # BPF cannot run under qemu-user: only what needs no kernel
    r = subprocess.run([qemu, str(ARM64_BIN), "--version"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and re.match(r"leaktrace \d+\.\d+", r.stdout), (
        "qemu-aarch64-static leaktrace --version: status %d, %r %r" % (
            r.returncode, r.stdout, r.stderr))


test_cross_build_arm64.timeout = BUILD_TIMEOUT + 60


def test_static_glibc_target():
    """allocs linked with -static: every function of the malloc family is in
    the executable (with __libc_malloc and the other aliases), and glibc's
    malloc makes its own mmap for the 1 MiB block."""
    require_root()
    exe = workload("allocs-static")
    out = tmp("allocs-static.json")
    rc, _, _ = run_leaktrace(["-i", "0.5", "-w", "100", "-n", "100", "-o", out, "--", exe])
    assert rc == 0, "leaktrace -- allocs-static exited with status %d" % rc
    ex = load_stream(out, window=100, top=100, interval=0.5)[-1]
    assert ex["reason"] == "target-exited", "exit reason %r" % ex["reason"]
    bad = []
    for site, (kind, nbytes, count, depth) in ALLOCS_SITES.items():
        found = find_stacks(ex, site, depth)
        if len(found) != 1:
            bad.append("%s: %d stacks, want 1" % (site, len(found)))
            continue
        st = found[0]
        if (st["kind"], st["bytes"], st["count"]) != (kind, nbytes, count):
            bad.append("%s: %s, want %s %d B / %d" % (site, describe(st), kind, nbytes, count))
        try:
            assert_site(st["frames"][0], site, "allocs.c", marker_line("allocs.c", site),
                        "/allocs-static")
        except AssertionError as e:
            bad.append(str(e))
    for site in ALLOCS_GONE:
        for st in find_stacks(ex, site, 2):
            bad.append("%s: freed, but listed: %s" % (site, describe(st)))
    for st in ex["stacks"]:
        if st["kind"] == "mmap" and "site_big_malloc" in funcs(st):
            bad.append("malloc's own mmap counted as kind mmap: %s" % describe(st))
    assert not bad, "allocs-static exit record:\n  " + "\n  ".join(bad) + "\n" + describe_all(ex)


def test_static_glibc_pid():
    require_root()
    wl = spawn_workload("leaky-static")
    out = tmp("leaky-static.json")
    # until the cache's refill after the attach is out of the window and a
    # report shows the leak
    rc, _, _ = trace_until(["-p", wl.pid, "-i", "0.5"], out, lambda recs: churn_settled(
        recs) and find_stacks(intervals(recs)[-1], "leak_site"),
        "report with leak_site, after the cache's refill")
    assert rc == 0, "leaktrace -p (static glibc) exited with status %d" % rc
    ex = load_stream(out, window=6, top=10, interval=0.5)[-1]
    assert ex["stacks"], "no suspect in the exit record"
    top = ex["stacks"][0]
    assert_site(top["frames"][0], "leak_site", "leaky.c", marker_line("leaky.c", "leak_site"),
                "/leaky-static")
    assert top["bytes"] == 100 * top["count"] > 0, describe(top)
    assert wl.stop() == 0, "leaky-static exited non-zero after tracing"


def test_static_musl_target():
    """musl's mallocng in a static executable: only malloc and free are linked
    in (leaky calls nothing else), the optional functions are absent."""
    require_root()
    require_debian_package("musl-tools", "musl-gcc")
    _leaky_exact(LEAKTRACE, workload("leaky-musl"), "/leaky-musl")


def test_build_no_probes_left():
    check_no_probes_left()
