# SPDX-License-Identifier: GPL-2.0-only
"""The kernel matrix: Debian's stock kernels booted under qemu (TCG, no KVM),
each running the static leaktrace of its architecture on static workloads
(scripts/kguest.py): x86-64 6.1 (Debian 12's own), x86-64 6.12 (the newer
one bookworm ships), arm64 6.1 (under qemu-system-aarch64, as a board).
In each: --check predicts a run that loads every source; the verifier's
work per program stays under half its limit; the default run on a leaking
C program puts the leak at rank 1 with its function and file:line; -p;
--sources fd; --pages (one page an iteration, exactly); --system; exit
statuses; and nothing is left attached after.

The guests boot together when the first test asks for one, and run while
the tests wait; a guest that does not finish is a failure with the tail of
its console. tests/run.py runs this file after the other end-to-end tests
(--kernels), so that the guests take no CPU from their timings."""

import atexit
import json
import os
import sys

from common import (ROOT, Skip, assert_site, describe, describe_all, find_stacks, funcs,
                    marker_line, report_records, validate_stream)

sys.path.insert(0, str(ROOT / "scripts"))
import kguest  # noqa: E402

# Seconds a case may take in a guest, and a guest in all (boot included):
# TCG is slow, and slower still when the guests share two cores.
CASE_TIMEOUT = 300
GUEST_TIMEOUT = 1500
FD_ITERS = 100
PAGES_ITERS = 150
LEAKY_ITERS = 150
SYS_BYTES = 2000
# a leaker and a quiet process, under --system with the options given
SYSTEM_CASE = """
/wl/sysleak %d >/dev/null &
leaker=$!
/wl/sysleak 0 >/dev/null &
quiet=$!
sleep 1
/leaktrace --system %s -o /tmp/out.json >/dev/null
rc=$?
echo "leaker $leaker quiet $quiet" >&2
kill $leaker $quiet
wait
cat /tmp/out.json
exit $rc
"""
# The verifier refuses a program at 1M instructions processed: past half of
# it, a change is close enough to be seen here before a user sees it.
VERIFIER_MARGIN = 500000
# What the BPF maps may hold, in the 2 GiB guests, tracing a tiny program:
# their fixed part (hash buckets, the ring buffer), not their size when full.
BPF_MEMORY_MAX = 48 << 20
ALL_SOURCES = "libc,mmap,python,gl,fd"

CASES = [
    ("base", "/wl/bpfcount | tee /tmp/bpfbase", 60),
    ("check", "/leaktrace --check --json", CASE_TIMEOUT),
    # the verifier's work on every program: stderr of --check -v
    ("verifier", "/leaktrace --check -v --sources %s >/dev/null" % ALL_SOURCES, CASE_TIMEOUT),
    ("default", """
/leaktrace -i 1 -w 2 -o /tmp/out.json -- /wl/leaky --iterations %d >/dev/null
rc=$?
cat /tmp/out.json
exit $rc
""" % LEAKY_ITERS, CASE_TIMEOUT),
    ("pid", """
/wl/leaky >/dev/null &
pid=$!
sleep 1
/leaktrace -p $pid -i 1 -w 2 -d 5 -o /tmp/out.json >/dev/null
rc=$?
echo "target $pid" >&2
kill $pid
wait $pid
echo "target status $?" >&2
cat /tmp/out.json
exit $rc
""", CASE_TIMEOUT),
    ("fd", """
/leaktrace --sources fd -i 1 -w 2 -o /tmp/out.json -- /wl/fdconn --iterations %d >/dev/null
rc=$?
cat /tmp/out.json
exit $rc
""" % FD_ITERS, CASE_TIMEOUT),
    # --pages: its programs through the verifier (-v), and a leak of one page
    # an iteration
    ("pages", """
/leaktrace --pages -v -i 1 -w 2 -o /tmp/out.json -- /wl/pages leak --iterations %d >/dev/null
rc=$?
cat /tmp/out.json
exit $rc
""" % PAGES_ITERS, CASE_TIMEOUT),
    ("system", SYSTEM_CASE % (SYS_BYTES, "--exact -i 1 -w 4 -d 16 -n 50"), CASE_TIMEOUT),
    # --system's own way: pages, then the leaker's allocator probed for that
    # process alone for 3 s (perf-event uprobes before Linux 6.6)
    ("grow", SYSTEM_CASE % (SYS_BYTES, "-i 1 -w 3 --exact-min 64K --exact-for 3 --exact-top 8 "
                                       "-d 12 -n 50"), CASE_TIMEOUT),
    # after every run: what the kernel still holds
    ("left", """
# the kernel frees a map on a workqueue after its last fd closes: seconds
# later in a slow guest, so wait (up to a minute) for the count of before
i=0
while [ "$(/wl/bpfcount)" != "$(cat /tmp/bpfbase)" ] && [ $i -lt 60 ]; do
    sleep 1; i=$((i + 1))
done
/wl/bpfcount
echo "uprobe_events $(wc -l </sys/kernel/tracing/uprobe_events)"
echo "kprobe_events $(wc -l </sys/kernel/tracing/kprobe_events)"
echo "processes $(ps -o comm | grep -c -e leaktrace -e leaky -e sysleak -e fdconn -e pages)"
""", 120),
]

_guests = {}	 # kernel name -> started guest, then its Result
_prepared = None  # None until tried; then "" or why the guests cannot run


def _prepare():
    """Fetches the kernels, builds the static binaries and starts every
    guest, once."""
    global _prepared
    if _prepared is not None:
        return
    _prepared = ""
    try:
        kguest.fetch([k.name for k in kguest.kernels()])
    except Exception as e:  # noqa: BLE001 -- any failure here is the reason for all
        _prepared = "skip: cannot fetch Debian's kernels (scripts/kernels.sh): %s" % e
        return
    try:
        for k in kguest.kernels():
            kguest.build_leaktrace(k)
    except Exception as e:  # noqa: BLE001
        _prepared = str(e)
        return
    # the consoles stay there, for a look after a failure
    work = kguest.OUT / "runs"
    for k in kguest.kernels():
        _guests[k.name] = kguest.start(k, CASES, work)
    atexit.register(_stop_guests)


def _stop_guests():
    """Kills the guests no test waited for (-k picked some)."""
    for g in _guests.values():
        if not isinstance(g, kguest.Result) and g[0].poll() is None:
            g[0].kill()
            g[0].wait()


def _result(name):
    _prepare()
    if _prepared.startswith("skip: "):
        # no network and nothing cached: a skip here, a failure under CI
        raise Skip(_prepared[6:])
    if _prepared:
        raise AssertionError("cannot run the kernel matrix: %s" % _prepared)
    g = _guests[name]
    if not isinstance(g, kguest.Result):
        g = _guests[name] = kguest.finish(kguest.kernel(name), g, GUEST_TIMEOUT)
    return g


def _case(r, name):
    c = r.cases.get(name)
    assert c and c.rc is not None, "%s: case %s did not finish (%s); console:\n%s" % (
        r.kernel.name, name, r.status, r.tail())
    return c


def _stream(r, name, **kw):
    c = _case(r, name)
    recs = []
    for line in c.out:
        if line.startswith("{"):
            try:
                recs.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise AssertionError("%s %s: invalid JSON (%s): %r" % (
                    r.kernel.name, name, e, line[:300]))
    assert recs, "%s %s: no JSON (status %d); stderr:\n%s" % (
        r.kernel.name, name, c.rc, c.stderr[-2000:])
    validate_stream(recs, **kw)
    return c, report_records(recs)


def _verifier(r):
    """Program -> instructions processed, from --check -v."""
    c = _case(r, "verifier")
    insns = {}
    for line in c.err:
        # leaktrace: verifier: alloc_exit: processed 9720 insns (1.0% of the limit), ...
        f = line.split()
        if len(f) > 4 and f[1] == "verifier:" and f[3] == "processed":
            insns[f[2].rstrip(":")] = int(f[4])
    return c, insns


def _check_kernel(name):
    r = _result(name)
    k = r.kernel
    where = "%s (%s)" % (k.name, k.package())
    assert r.done, "%s: the guest did not finish: %s; console:\n%s" % (where, r.status, r.tail())
    bad = []

    def expect(ok, what):
        if not ok:
            bad.append(what)

    # --check: a run here loads every source it is asked for
    c = _case(r, "check")
    check = json.loads(c.stdout)
    items = {it["name"]: it for it in check["items"]}
    expect(c.rc == 0 and check["ok"], "--check: status %d, ok %r: %s" % (
        c.rc, check["ok"], [i for i in check["items"] if i["status"] == "missing"]))
    expect(items.get("bpf_load", {}).get("status") == "ok",
           "--check bpf_load: %r" % items.get("bpf_load"))

    # the verifier's work on every program of every source
    c, insns = _verifier(r)
    expect(c.rc == 0, "--check -v --sources %s: status %d:\n%s" % (
        ALL_SOURCES, c.rc, c.stderr[-2000:]))
    expect(len(insns) >= 20, "--check -v: %d programs with a verifier account:\n%s" % (
        len(insns), c.stderr[-2000:]))
    near = {p: n for p, n in insns.items() if n >= VERIFIER_MARGIN}
    expect(not near, "programs past half the verifier's limit: %r" % near)

    # the default run on a leaking C program
    c, recs = _stream(r, "default", window=2, top=10, interval=1)
    ex = recs[-1]
    expect(c.rc == 0, "default run: status %d\n%s" % (c.rc, c.stderr[-1500:]))
    expect({"libc", "mmap"} <= set(recs[0]["sources"]),
           "default run: sources %r" % recs[0]["sources"])
    expect(ex["reason"] == "target-exited", "default run: reason %r" % ex["reason"])
    top = ex["stacks"][0] if ex["stacks"] else None
    try:
        assert top, "default run: no suspect:\n%s" % describe_all(ex)
        assert_site(top["frames"][0], "leak_site", "leaky.c", marker_line("leaky.c", "leak_site"),
                    "/wl/leaky")
        assert (top["bytes"], top["count"]) == (100 * LEAKY_ITERS, LEAKY_ITERS), (
            "leak_site %s, want every one of %d leaks" % (describe(top), LEAKY_ITERS))
    except AssertionError as e:
        bad.append("default run: rank 1: %s" % e)
    memory = (recs[0]["bpf_memory"], ex["self"]["bpf_memory"])
    expect(0 < memory[0] <= memory[1] < BPF_MEMORY_MAX,
           "default run: BPF memory %d bytes at start, %d at exit; want under %d" % (
               *memory, BPF_MEMORY_MAX))

    # -p
    c, recs = _stream(r, "pid", window=2, top=10, interval=1)
    ex = recs[-1]
    expect(c.rc == 0, "-p: status %d\n%s" % (c.rc, c.stderr[-1500:]))
    expect(ex["reason"] == "duration", "-p: reason %r" % ex["reason"])
    expect("target status 0" in c.stderr, "-p: the target did not live on to exit 0 on SIGTERM: %s"
           % c.stderr[-500:])
    try:
        assert ex["stacks"], "no suspect:\n%s" % describe_all(ex)
        top = ex["stacks"][0]
        assert_site(top["frames"][0], "leak_site", "leaky.c", marker_line("leaky.c", "leak_site"))
        assert top["bytes"] == 100 * top["count"] > 0, describe(top)
    except AssertionError as e:
        bad.append("-p: rank 1: %s" % e)

    # --sources fd
    c, recs = _stream(r, "fd", window=2, top=10, interval=1)
    ex = recs[-1]
    expect(c.rc == 0, "--sources fd: status %d\n%s" % (c.rc, c.stderr[-1500:]))
    expect(recs[0]["sources"] == ["fd"], "--sources fd: sources %r" % recs[0]["sources"])
    fds = find_stacks(ex, "serve_fdleak", 2, kind="fd")
    if len(fds) != 1 or ex["stacks"][0] is not fds[0]:
        bad.append("--sources fd: want the serve_fdleak stack at rank 1:\n%s" % describe_all(ex))
    else:
        st = fds[0]
        f0 = st["frames"][0]
        want = ("conn_open", "fdconn.c", marker_line("fdconn.c", "conn_efd"), "serve_fdleak")
        got = (f0.get("func"), os.path.basename(f0.get("file", "")), f0.get("line"), funcs(st)[1])
        expect(got == want, "--sources fd: rank 1 at %r, want %r" % (got, want))
        expect(st["count"] == FD_ITERS, "--sources fd: %s, want %d" % (describe(st), FD_ITERS))

    # --pages
    c, recs = _stream(r, "pages", window=2, top=10, interval=1)
    ex = recs[-1]
    expect(c.rc == 0, "--pages: status %d\n%s" % (c.rc, c.stderr[-1500:]))
    pages_insns = {}
    for line in c.err:
        f = line.split()
        if len(f) > 4 and f[1] == "verifier:" and f[3] == "processed":
            pages_insns[f[2].rstrip(":")] = int(f[4])
    expect("page_fault" in pages_insns, "--pages -v: no verifier account of page_fault:\n%s" %
           c.stderr[-1500:])
    near = {p: n for p, n in pages_insns.items() if n >= VERIFIER_MARGIN}
    expect(not near, "--pages: programs past half the verifier's limit: %r" % near)
    insns.update(pages_insns)
    st = find_stacks(ex, "leak_page", kind="pages")
    if len(st) != 1:
        bad.append("--pages: %d stacks at leak_page:\n%s" % (len(st), describe_all(ex)))
    else:
        try:
            assert_site(st[0]["frames"][0], "leak_page", "pages.c",
                        marker_line("pages.c", "leak_page"), "/wl/pages")
        except AssertionError as e:
            bad.append("--pages: %s" % e)
        expect(st[0]["count"] == PAGES_ITERS and st[0]["bytes"] == PAGES_ITERS * 4096,
               "--pages: %s, want %d pages of 4 KiB" % (describe(st[0]), PAGES_ITERS))
    # a page's mapping known from the thread's last fault while the count
    # of changes to the mappings stays: the kernel's (6.4+), or the one
    # leaktrace keeps from the syscalls (6.1): few lookups, and some
    lookups, pages = ex["counters"]["pages_vma_lookups"], ex["totals"]["pages"]["count"]
    expect(0 < lookups and lookups * 4 <= pages,
           "--pages: %d mapping lookups for %d pages" % (lookups, pages))

    # --system
    # The quiet process's cache turns over once leaktrace attaches (its
    # blocks move from before the attach to after, then stop), and again
    # when its unwind tables arrive (its stack becomes a longer one): on an
    # emulated arm64 that can be seconds in. The last record's window of 4
    # is the run's last 4 s of 16: well after both.
    c, recs = _stream(r, "system", window=4, top=50, interval=1, system=True)
    expect(c.rc == 0, "--system: status %d\n%s" % (c.rc, c.stderr[-1500:]))
    pids = [l.split() for l in c.err if l.startswith("leaker ")]
    if not pids:
        bad.append("--system: no pids:\n%s" % c.stderr[-1500:])
    else:
        leaker, quiet = int(pids[0][1]), int(pids[0][3])
        last = recs[-1]
        ours = [s for s in last["stacks"] if s.get("pid") == leaker and s["frames"] and
                s["frames"][0].get("func") == "sys_leak_site"]
        if not ours:
            bad.append("--system: no sys_leak_site stack of pid %d:\n%s" % (
                leaker, describe_all(last)))
        else:
            try:
                assert_site(ours[0]["frames"][0], "sys_leak_site", "sysleak.c",
                            marker_line("sysleak.c", "sys_leak_site"))
            except AssertionError as e:
                bad.append("--system: %s" % e)
        # churn() frees each block right after malloc returns it: a read
        # between the two sees that one block, as recent growth (never a
        # suspect), as on the host (test_heap's _in_flight)
        listed = [s for s in last["stacks"] if s.get("pid") == quiet and not (
            s["frames"] and s["frames"][0].get("func") == "churn" and s["count"] <= 1 and
            not s["suspect"])]
        expect(not listed, "--system: the quiet pid %d is listed:\n%s" % (
            quiet, "\n".join(describe(s) for s in listed)))

    # --system: pages, then the leaker traced exactly for a while
    c, recs = _stream(r, "grow", window=3, top=50, interval=1, system=True)
    expect(c.rc == 0, "--system (grow): status %d\n%s" % (c.rc, c.stderr[-1500:]))
    pids = [l.split() for l in c.err if l.startswith("leaker ")]
    if not pids:
        bad.append("--system (grow): no pids:\n%s" % c.stderr[-1500:])
    else:
        leaker, quiet = int(pids[0][1]), int(pids[0][3])
        exact = [x for x in recs if x.get("type") == "exact"]
        ends = [x for x in exact if x["pid"] == leaker and x["state"] == "end"]
        if not ends:
            bad.append("--system (grow): the leaker %d was not traced exactly, then no "
                       "longer: %r" % (leaker, exact))
        elif not [st for st in ends[0]["sites"]
                  if st.get("frame", {}).get("func") == "sys_leak_site"]:
            bad.append("--system (grow): no sys_leak_site among %r" % ends[0]["sites"])
        expect(not [x for x in exact if x["pid"] == quiet],
               "--system (grow): the quiet pid %d was traced exactly" % quiet)

    # nothing left behind
    base = _case(r, "base").stdout.strip()
    left = _case(r, "left").out
    expect(left[:1] == [base], "BPF left loaded: %r after, %r before" % (left[:1], base))
    for line in left[1:]:
        expect(line.endswith(" 0"), "left behind: %s" % line)

    top_prog = max(insns.items(), key=lambda kv: kv[1]) if insns else ("?", 0)
    print("# %s: Linux %s, %d MiB, %.0fs in the guest; verifier: at most %d insns (%s); "
          "BPF memory of the default run: %d bytes at start, %d at exit" % (
              where, r.release, r.mem >> 20, r.secs, top_prog[1], top_prog[0], *memory),
          flush=True)
    assert not bad, "%s:\n  %s" % (where, "\n  ".join(bad))


def test_kernel_x86_6_1():
    _check_kernel("x86-6.1")


def test_kernel_x86_6_12():
    _check_kernel("x86-6.12")


def test_kernel_arm64_6_1():
    _check_kernel("arm64-6.1")


# The first test waits for the fetch, the builds and its guest; the others
# for what is left of theirs.
test_kernel_x86_6_1.timeout = GUEST_TIMEOUT + 1200
test_kernel_x86_6_12.timeout = GUEST_TIMEOUT
test_kernel_arm64_6_1.timeout = GUEST_TIMEOUT
