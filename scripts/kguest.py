#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Boots leaktrace in Debian's stock kernels under qemu (TCG: no KVM needed)
and runs commands in them: the kernel matrix of tests/e2e/test_kernels.py,
and the verifier's work per program on the oldest kernel.

    scripts/kguest.py verifier [KERNEL]     "processed N insns" per program
    scripts/kguest.py run KERNEL -- CMD     one shell command in a guest

A guest is the kernel of scripts/kernels.sh (fetched once into
.output/kernels/KERNEL/) with an initramfs made here: busybox, the static
leaktrace of that architecture (`make STATIC=1`, or the arm64 cross build),
static workloads built here from tests/workloads, and an init that mounts
what leaktrace needs, runs each case as a shell script, prints its output
and status on the console in lines starting with "@@", and powers off.
No disk, no network, no module.

As a library: kernels(), prepare(), boot() and Result."""

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / ".output" / "kernels"
WL_SRC = ROOT / "tests" / "workloads"


class Kernel:
    def __init__(self, name, arch, qemu, machine, console, mem_mib=2048):
        self.name, self.arch, self.qemu = name, arch, qemu
        self.machine, self.console, self.mem_mib = machine, console, mem_mib

    @property
    def dir(self):
        return OUT / self.name

    @property
    def leaktrace(self):
        return ROOT / ".output" / ("%s-static" % self.arch) / "leaktrace"

    def make_args(self):
        if self.arch == "x86":
            return ["STATIC=1"]
        return ["ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-", "STATIC=1"]

    def cc(self):
        return "gcc" if self.arch == "x86" else "aarch64-linux-gnu-gcc"

    def package(self):
        p = self.dir / "package"
        return p.read_text().strip() if p.exists() else "?"


# The matrix, oldest first. 2 GiB each: map sizes follow the memory, and the
# boards the arm64 guest stands for have about that.
KERNELS = [
    Kernel("x86-6.1", "x86", "qemu-system-x86_64", ["-M", "pc", "-cpu", "max"], "ttyS0"),
    Kernel("x86-6.12", "x86", "qemu-system-x86_64", ["-M", "pc", "-cpu", "max"], "ttyS0"),
    Kernel("arm64-6.1", "arm64", "qemu-system-aarch64", ["-M", "virt", "-cpu", "cortex-a57"],
           "ttyAMA0"),
]


def kernels():
    return list(KERNELS)


def kernel(name):
    for k in KERNELS:
        if k.name == name:
            return k
    raise SystemExit("kguest: unknown kernel %r; one of %s" % (
        name, ", ".join(k.name for k in KERNELS)))


def _run(argv, timeout, what):
    r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("%s: `%s` failed (status %d):\n%s" % (
            what, " ".join(map(str, argv)), r.returncode, (r.stdout + r.stderr)[-3000:]))
    return r.stdout


def fetch(names):
    """Downloads what scripts/kernels.sh has not cached yet."""
    _run([str(ROOT / "scripts" / "kernels.sh"), *names], 1200, "fetching the kernels")


# Static workloads, built as tests/workloads/Makefile builds its own (frame
# pointers, no sibling calls), for the guest's architecture.
WORKLOADS = {
    "leaky": ["leaky.c"],
    "sysleak": ["sysleak.c"],
    "fdconn": ["fdconn.c"],
    "pages": ["pages.c"],
    "bpfcount": ["bpfcount.c"],
}
WL_CFLAGS = ["-g", "-O1", "-fno-omit-frame-pointer", "-fno-optimize-sibling-calls", "-pthread",
             "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE", "-static"]


def build_workloads(k):
    out = OUT / ("wl-%s" % k.arch)
    out.mkdir(parents=True, exist_ok=True)
    deps = [WL_SRC / "wl.h", WL_SRC / "churn.h"]
    for name, srcs in WORKLOADS.items():
        dst = out / name
        inputs = [WL_SRC / s for s in srcs] + deps
        if dst.exists() and all(dst.stat().st_mtime >= p.stat().st_mtime for p in inputs):
            continue
        _run([k.cc(), *WL_CFLAGS, *[str(WL_SRC / s) for s in srcs], "-o", str(dst)], 300,
             "building the %s workload %s" % (k.arch, name))
    return out


def build_leaktrace(k):
    target = k.leaktrace.relative_to(ROOT)
    _run(["make", "--no-print-directory", "-j2", *k.make_args(), str(target)], 900,
         "building the static leaktrace for %s" % k.arch)
    return k.leaktrace


# ---------------------------------------------------------------- initramfs

class Cpio:
    """A newc cpio archive, written without root (device nodes included)."""

    def __init__(self):
        self.data = bytearray()
        self.ino = 1

    def _entry(self, name, mode, body=b"", rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        hdr = "070701" + "".join("%08x" % v for v in (
            self.ino, mode, 0, 0, 1, 0, len(body), 0, 0, rdev[0], rdev[1], len(name_b), 0))
        self.ino += 1
        self.data += hdr.encode() + name_b
        self.data += b"\0" * (-len(self.data) % 4)
        self.data += body
        self.data += b"\0" * (-len(self.data) % 4)

    def dir(self, name):
        self._entry(name, 0o040755)

    def file(self, name, body, mode=0o755):
        self._entry(name, 0o100000 | mode, body)

    def chardev(self, name, major, minor):
        self._entry(name, 0o020600, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return bytes(self.data)


INIT = r"""#!/bin/busybox sh
# The guest's init (scripts/kguest.py): mount, run each case, power off.
/bin/busybox --install -s /bin
export PATH=/bin HOME=/root
mount -t devtmpfs dev /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t bpf bpf /sys/fs/bpf
echo 1 >/proc/sys/kernel/printk
echo "@@boot $(uname -r) $(uname -m) $(awk '/MemTotal/ {print $2 * 1024}' /proc/meminfo)"
for c in $(cat /cases/order); do
	echo "@@begin $c"
	t0=$(cut -d' ' -f1 /proc/uptime)
	timeout -s KILL $(cat /cases/$c.timeout) sh /cases/$c.sh >/tmp/out 2>/tmp/err </dev/null
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	sed "s/^/@@o $c /" /tmp/out
	sed "s/^/@@e $c /" /tmp/err
	echo "@@end $c $rc $t0 $t1"
done
echo "@@done"
poweroff -f
"""


def make_initramfs(k, cases, path, files=()):
    """Writes the initramfs of @k running @cases, a list of (name, shell
    script, timeout in seconds), to @path; @files go to /files."""
    wl = build_workloads(k)
    a = Cpio()
    for d in ("bin", "dev", "proc", "sys", "tmp", "root", "wl", "cases", "files"):
        a.dir(d)
    a.chardev("dev/console", 5, 1)
    a.file("bin/busybox", (k.dir / "busybox").read_bytes())
    a.file("init", INIT.encode())
    a.file("leaktrace", k.leaktrace.read_bytes())
    for name in WORKLOADS:
        a.file("wl/" + name, (wl / name).read_bytes())
    for f in files:
        a.file("files/" + Path(f).name, Path(f).read_bytes())
    a.file("cases/order", " ".join(c[0] for c in cases).encode() + b"\n", 0o644)
    for name, script, timeout in cases:
        a.file("cases/%s.sh" % name, script.encode(), 0o644)
        a.file("cases/%s.timeout" % name, b"%d\n" % timeout, 0o644)
    tmp = Path(str(path) + ".tmp")
    with gzip.open(tmp, "wb", compresslevel=1) as f:
        f.write(a.finish())
    os.replace(tmp, path)


def prepare(k, build=True):
    """Fetches @k's kernel and builds its static leaktrace, if need be."""
    fetch([k.name])
    if build:
        build_leaktrace(k)


# ---------------------------------------------------------------- boot

class Case:
    def __init__(self, name):
        self.name, self.out, self.err = name, [], []
        self.rc = self.secs = None

    @property
    def stdout(self):
        return "".join(l + "\n" for l in self.out)

    @property
    def stderr(self):
        return "".join(l + "\n" for l in self.err)


class Result:
    """What a guest printed: the boot line, each case, the console."""

    def __init__(self, kernel, console, secs, status):
        self.kernel, self.console, self.secs, self.status = kernel, console, secs, status
        self.release = self.machine = None
        self.mem = 0
        self.cases = {}
        self.done = False
        self._parse()

    def _parse(self):
        for raw in self.console.splitlines():
            line = raw.rstrip("\r")
            if not line.startswith("@@"):
                continue
            tag, _, rest = line.partition(" ")
            if tag == "@@boot":
                f = rest.split()
                if len(f) == 3:
                    self.release, self.machine, self.mem = f[0], f[1], int(f[2])
            elif tag == "@@begin":
                self.cases[rest] = Case(rest)
            elif tag in ("@@o", "@@e"):
                name, _, text = rest.partition(" ")
                c = self.cases.get(name)
                if c:
                    (c.out if tag == "@@o" else c.err).append(text)
            elif tag == "@@end":
                f = rest.split()
                c = self.cases.get(f[0]) if f else None
                if c and len(f) == 4:
                    c.rc, c.secs = int(f[1]), float(f[3]) - float(f[2])
            elif tag == "@@done":
                self.done = True

    def tail(self, lines=40):
        return "\n".join("  | " + l.rstrip("\r")
                         for l in self.console.splitlines()[-lines:])


def qemu_argv(k, initrd):
    append = "console=%s panic=-1 quiet loglevel=3 rdinit=/init" % k.console
    return [k.qemu, *k.machine, "-accel", "tcg", "-smp", "1", "-m", str(k.mem_mib),
            "-kernel", str(k.dir / "vmlinuz"), "-initrd", str(initrd), "-append", append,
            "-display", "none", "-nodefaults", "-no-reboot", "-serial", "stdio",
            "-monitor", "none"]


def start(k, cases, workdir, files=()):
    """Starts @k's guest running @cases in the background; returns
    (process, console log path, start time), for finish()."""
    workdir.mkdir(parents=True, exist_ok=True)
    initrd = workdir / ("%s.cpio.gz" % k.name)
    make_initramfs(k, cases, initrd, files)
    log = workdir / ("%s.console" % k.name)
    with open(log, "wb") as f:
        p = subprocess.Popen(qemu_argv(k, initrd), stdin=subprocess.DEVNULL, stdout=f,
                             stderr=subprocess.STDOUT, start_new_session=True)
    return p, log, time.monotonic()


def finish(k, started, timeout):
    """Waits for a guest of start() until @timeout seconds after its start;
    kills it past that. Returns its Result."""
    p, log, t0 = started
    status = "exited"
    try:
        p.wait(timeout=max(1, timeout - (time.monotonic() - t0)))
    except subprocess.TimeoutExpired:
        status = "timed out after %ds" % timeout
        p.kill()
        p.wait()
    if status == "exited" and p.returncode != 0:
        status = "qemu exited with status %d" % p.returncode
    return Result(k, log.read_bytes().decode(errors="replace"), time.monotonic() - t0, status)


def boot(k, cases, workdir, timeout, files=()):
    return finish(k, start(k, cases, workdir, files), timeout)


# ---------------------------------------------------------------- commands

def verifier_cases():
    """Every program of every source, loaded as --check loads them, with the
    verifier's own count of its work per program."""
    return [("verifier", "/leaktrace --check -v --sources libc,mmap,python,gl,fd 2>&1", 900)]


def cmd_verifier(args):
    k = kernel(args.kernel)
    prepare(k, build=not args.no_build)
    r = boot(k, verifier_cases(), OUT / "runs", args.timeout)
    c = r.cases.get("verifier")
    if not c or c.rc is None:
        print("kguest: %s: the guest did not finish (%s):\n%s" % (k.name, r.status, r.tail()),
              file=sys.stderr)
        return 1
    print("# %s (%s), Linux %s %s: the verifier's work per program, every source" % (
        k.name, k.package(), r.release, r.machine))
    for line in c.out:
        if "verifier:" in line or "bpf_load" in line or "sources " in line:
            print(line)
    return 0 if c.rc == 0 else 1


def cmd_run(args):
    k = kernel(args.kernel)
    prepare(k, build=not args.no_build)
    r = boot(k, [("cmd", " ".join(args.command), args.timeout)], OUT / "runs", args.timeout + 120,
             args.file)
    c = r.cases.get("cmd")
    if not c or c.rc is None:
        print("kguest: %s: the guest did not finish (%s):\n%s" % (k.name, r.status, r.tail()),
              file=sys.stderr)
        return 1
    sys.stdout.write(c.stdout)
    sys.stderr.write(c.stderr)
    print("# %s: status %d in %.1fs (guest up %.1fs)" % (k.name, c.rc, c.secs, r.secs),
          file=sys.stderr)
    return c.rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-build", action="store_true", help="use the static leaktrace as built")
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verifier", help="the verifier's work per program")
    v.add_argument("kernel", nargs="?", default=KERNELS[0].name)
    v.add_argument("--timeout", type=int, default=1200)
    r = sub.add_parser("run", help="run a shell command in a guest")
    r.add_argument("kernel")
    r.add_argument("--timeout", type=int, default=600)
    r.add_argument("--file", action="append", default=[], help="a file for /files in the guest")
    r.epilog = "usage: kguest.py run KERNEL [--timeout SEC] [--file PATH]... -- COMMAND..."
    argv = sys.argv[1:]
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:len(argv) - len(command) - (1 if command else 0)])
    if args.cmd == "run":
        if not command:
            ap.error("run: no command after --")
        args.command = command
        return cmd_run(args)
    return cmd_verifier(args)


if __name__ == "__main__":
    sys.exit(main())
