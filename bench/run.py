#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""leaktrace's benchmarks, side by side in one run, as ratios.

For each workload: untraced; under the empty-probe floor (the same uprobes at
the function entries with BPF programs that do nothing: what the traps alone
cost); under leaktrace with every probe at the function entry; under
leaktrace as it runs by default (probes where the kernel emulates the
instruction); and, where installed, heaptrack. A traced run's time is the
workload's own lifetime as leaktrace saw it (the exit record's t), so
leaktrace's start-up and teardown are not counted; they are measured
separately: first table after -p, and exit after SIGINT. Memory: leaktrace's
resident set and its BPF maps with a million allocations outstanding.

Each figure is the median of BENCH_REPS runs (default 3). Results go to
stdout and to bench/results/latest.md. `run.py --only system` measures the
--system rows alone (bench/results/system.md): a multi-process load untraced
and under --system, and leaktrace's memory with 1,000 processes; with
BENCH_LT_PREV=path, the previous release's binary beside this one, on the
same load, taking turns (`make bench` builds it from git into
.output/prev-<commit>/leaktrace, the last commit before the process-manager
work; by hand: `git worktree add /tmp/prev 0f5858b && make -C /tmp/prev all`,
then `BENCH_LT_PREV=/tmp/prev/leaktrace python3 bench/run.py --only system`);
without it the figures say it was not measured. `run.py --only pressure` times
the reports of --system with the allocs map full and processes exiting all
the time (bench/results/pressure.md; BENCH_LT=path runs another leaktrace
binary, to compare). `run.py --only census` runs pywork.py under the Python
census beside untraced, tracemalloc and exact tracing
(bench/results/census.md). `run.py --only pages` runs wordfreq and pywork.py
untraced, under --pages and under exact tracing, taking turns, and what
--pages costs per page faulted in and given back (bench/faults.c), then
wordfreq (BENCH_PAGES_EXACT_LINES) under --pages with exact phases
(bench/results/pages.md; that last part alone: `run.py --only pages-exact`,
bench/results/pages-exact.md). `run.py --only redis` runs redis-server (when
installed; otherwise it says it skipped it) under redis-benchmark untraced,
under `--pages -p` and exact `-p`, taking turns, then a steady server and a
growing keyspace under --pages (bench/results/redis.md; BENCH_REDIS_N
requests a round, BENCH_REDIS_EXACT_N under exact tracing). Needs root.
"""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LT = Path(os.environ.get("BENCH_LT", ROOT / "leaktrace"))
BIN = ROOT / ".output" / "bench"
REPS = int(os.environ.get("BENCH_REPS", "3"))
TMP = Path(tempfile.mkdtemp(prefix="leaktrace-bench-"))

MB_ITERS = int(os.environ.get("BENCH_MB_ITERS", "2000000"))
WF_LINES = int(os.environ.get("BENCH_WF_LINES", "400000"))


def run_untraced(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def run_leaktrace(opts, cmd):
    """Runs cmd under leaktrace; returns (workload seconds, exit record)."""
    out = TMP / "run.jsonl"
    subprocess.run([str(LT), "-i", "1000", "-n", "3", "-o", str(out), *opts, "--", *cmd],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    recs = [json.loads(l) for l in out.read_text().splitlines()]
    end = recs[-1]
    assert end["type"] == "exit" and end["reason"] == "target-exited", end
    return end["t"], end


def run_heaptrack(cmd):
    out = TMP / "heaptrack"
    t0 = time.perf_counter()
    subprocess.run(["heaptrack", "-o", str(out), *cmd], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = time.perf_counter() - t0
    for f in TMP.glob("heaptrack*"):
        f.unlink()
    return t


def median(fn, *args):
    vals = [fn(*args) for _ in range(REPS)]
    if isinstance(vals[0], tuple):
        vals.sort(key=lambda v: v[0])
        return vals[len(vals) // 2]
    return statistics.median(vals)


def top_func(rec):
    stacks = rec.get("stacks") or []
    if not stacks:
        return None
    frames = stacks[0]["frames"]
    return frames[0].get("func") if frames else None


def workload(name, cmd, pairs, expect_leak, heaptrack=False, sampled=False):
    """Rows for one workload; pairs = malloc+free pairs it makes (0: unknown);
    @sampled: also under --sample 100, whose leak must be found too."""
    base = median(run_untraced, cmd)
    rows = [(name, "untraced", base, None)]
    variants = [("empty-probe floor", ["--floor"]),
                ("empty programs at leaktrace's sites", ["--floor", "--probe-at=auto"]),
                ("leaktrace, probes at entry", ["--probe-at=entry"]),
                ("leaktrace", [])]
    if sampled:
        variants.append(("leaktrace --sample 100", ["--sample", "100"]))
    found = {}
    for label, opts in variants:
        t, rec = median(run_leaktrace, opts, cmd)
        rows.append((name, label, t, rec))
        if label.startswith("leaktrace") and "entry" not in label:
            found[label] = top_func(rec)
    if heaptrack and shutil.which("heaptrack"):
        rows.append((name, "heaptrack 1.4 (preloaded)", median(run_heaptrack, cmd), None))
    lines = []
    floor = next(t for _, l, t, _ in rows if l == "empty-probe floor")
    for _, label, t, _ in rows:
        per = (t - base) / pairs * 1e6 if pairs and label != "untraced" else None
        lines.append("| %s | %s | %.3f s | %.2fx | %s | %s |" % (
            name, label, t, t / base,
            "%.2fx" % (t / floor) if label != "untraced" and "floor" not in label else "",
            "%.2f µs" % per if per is not None else ""))
    for label, func in found.items():
        ok = func == expect_leak
        lines.append("| %s | leak found at rank 1%s | %s | | | %s |" % (
            name, label[len("leaktrace"):], func, "yes" if ok else "NO (expected %s)" % expect_leak))
    return lines


PY = "/usr/bin/python3"
PY_ROUNDS = os.environ.get("BENCH_PY_ROUNDS", "200")
PYWORK = str(ROOT / "bench" / "pywork.py")


def py_elapsed(stderr):
    return float(next(l for l in stderr.splitlines() if l.startswith("elapsed="))[8:])


def run_py(argv):
    """Runs @argv (pywork.py, perhaps under a tracer); returns (pywork's own
    main-loop time, leaktrace's last interval record or None)."""
    out = TMP / "py.jsonl"
    if out.exists():
        out.unlink()
    p = subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    rec = None
    if out.exists():
        recs = [json.loads(l) for l in out.read_text().splitlines()]
        intervals = [r for r in recs if r["type"] == "interval"]
        rec = intervals[-1] if intervals else recs[-1]
    return py_elapsed(p.stderr), rec


def python_rows():
    """pywork.py untraced, under the empty-program floor at leaktrace's sites,
    under leaktrace, and under tracemalloc at leaktrace's Python depth (32)."""
    work = [PY, PYWORK, PY_ROUNDS]
    lt = [str(LT), "-i", "0.5", "-n", "50", "-o", str(TMP / "py.jsonl")]
    variants = [("untraced", work),
                ("empty programs at leaktrace's sites", lt + ["--floor", "--probe-at=auto", "--"] + work),
                ("leaktrace", lt + ["--"] + work),
                ("python3 -X tracemalloc=32", [PY, "-X", "tracemalloc=32", PYWORK, PY_ROUNDS])]
    rows, found = [], None
    for label, argv in variants:
        runs = sorted((run_py(argv) for _ in range(REPS)), key=lambda r: r[0])
        t, rec = runs[len(runs) // 2]
        rows.append((label, t))
        if label == "leaktrace":
            found = any(s["kind"] == "pyobj" and s.get("type") == "Record" and
                        any(f.get("func") == "parse" for f in s["frames"]) for s in rec["stacks"])
    base = rows[0][1]
    out = ["| run | main loop | vs untraced |", "|---|---|---|"]
    out += ["| %s | %.3f s | %.2fx |" % (label, t, t / base) for label, t in rows]
    out.append("| leak found (pyobj Record from parse) | %s | |" % ("yes" if found else "NO"))
    return out


CENSUS_ROUNDS = os.environ.get("BENCH_CENSUS_ROUNDS", "4000")
CENSUS_REPS = int(os.environ.get("BENCH_CENSUS_REPS", "9"))


def census_rows():
    """pywork.py under the census, which reads the target from outside every
    interval and probes nothing, against untraced, tracemalloc and exact
    tracing, in one run: rounds taken in turns (each variant once a round),
    median of CENSUS_REPS. The census alone (--sources none: no probe at
    all), and beside the lightest source, mmap (pymalloc's arenas), and
    beside libc (malloc/free, what the census tests use). A second untraced
    run in each round shows how far two runs of the same thing differ on
    this machine (its noise: a ratio the census alone cannot be told from).
    The census runs
    are long enough for a read every 0.5 s to happen several times
    (CENSUS_ROUNDS); tracemalloc (~20x) and exact tracing (~200x) run
    PY_ROUNDS rounds, against an untraced run of as many."""
    big = [PY, PYWORK, CENSUS_ROUNDS]
    small = [PY, PYWORK, PY_ROUNDS]
    lt = [str(LT), "-i", "0.5", "-n", "10", "-o", str(TMP / "py.jsonl")]
    variants = [
        ("untraced", CENSUS_ROUNDS, big),
        ("census only, --sources none", CENSUS_ROUNDS,
         lt + ["--census", "--sources", "none", "--"] + big),
        ("untraced again (the noise)", CENSUS_ROUNDS, big),
        ("census, --sources mmap", CENSUS_ROUNDS, lt + ["--census", "--sources", "mmap", "--"] + big),
        ("census, --sources libc", CENSUS_ROUNDS, lt + ["--census", "--sources", "libc", "--"] + big),
        ("untraced", PY_ROUNDS, small),
        ("python3 -X tracemalloc=32", PY_ROUNDS, [PY, "-X", "tracemalloc=32", PYWORK, PY_ROUNDS]),
        ("exact tracing (leaktrace's default sources)", PY_ROUNDS, lt + ["--"] + small),
    ]
    runs = [[] for _ in variants]
    for _ in range(CENSUS_REPS):
        for i, (_, _, argv) in enumerate(variants):
            runs[i].append(run_py(argv))
    out = ["| run | rounds | main loop | vs untraced | census reads | Record in census |",
           "|---|---|---|---|---|---|"]
    base = {}
    for (label, rounds, _), rs in zip(variants, runs):
        rs.sort(key=lambda r: r[0])
        t, rec = rs[len(rs) // 2]
        base.setdefault(rounds, t)
        cs = (rec or {}).get("census_stats") or {}
        found = any(r["type"] == "Record" for r in (rec or {}).get("census", []))
        out.append("| %s | %s | %.3f s | %.2fx | %s | %s |" % (
            label, rounds, t, t / base[rounds], cs.get("reads", "") if rec else "",
            ("yes" if found else "no") if rec and cs else ""))
    return out


GL_FRAMES = os.environ.get("BENCH_GL_FRAMES", "5000")
GL_REPS = int(os.environ.get("BENCH_GL_REPS", "7"))
# llvmpipe rasterizes in the calling thread: a frame's time is then the
# workload's own, not how its threads happened to be scheduled
GL_ENV = dict(os.environ, LP_NUM_THREADS="0")


def run_gl(argv):
    """Runs glbench (perhaps under leaktrace); returns its frames per second."""
    p = subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, env=GL_ENV)
    line = next(l for l in p.stderr.splitlines() if "fps=" in l)
    return float(line[line.index("fps=") + 4:].split()[0])


def gl_rows():
    """glbench's frames per second untraced, under leaktrace with its GL
    probes alone, and under leaktrace as it runs by default (heap, mmap and
    GL: Mesa's own mallocs are traced too). The runs take turns, GL_REPS
    rounds, and each figure is the median: frame rates on a shared machine
    drift."""
    work = [str(BIN / "glbench"), GL_FRAMES]
    lt = [str(LT), "-i", "1000", "-n", "3"]
    variants = [("untraced", work),
                ("leaktrace --sources gl", lt + ["--sources", "gl", "--"] + work),
                ("leaktrace", lt + ["--"] + work)]
    fps = {label: [] for label, _ in variants}
    for _ in range(GL_REPS):
        for label, argv in variants:
            fps[label].append(run_gl(argv))
    base = statistics.median(fps["untraced"])
    out = ["| run | frames per second | vs untraced |", "|---|---|---|"]
    for label, _ in variants:
        f = statistics.median(fps[label])
        out.append("| %s | %.0f | %.2fx |" % (label, f, f / base))
    return out


def memory():
    """leaktrace's own memory with a million allocations outstanding."""
    out = TMP / "hold.jsonl"
    subprocess.run([str(LT), "-i", "0.5", "-o", str(out), "--", str(BIN / "hold"), "1000000", "3000"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    recs = [json.loads(l) for l in out.read_text().splitlines()]
    held = [r for r in recs if r["type"] == "interval" and r["totals"]["heap"]["count"] >= 1000000]
    r = held[-1] if held else recs[-1]
    s = r["self"]
    peak = max(x["self"]["rss_peak"] for x in recs if "self" in x)
    return ["| outstanding allocations | %d |" % r["totals"]["heap"]["count"],
            "| leaktrace resident memory (peak) | %.1f MiB |" % (peak / 2**20),
            "| BPF maps (kernel memory, fdinfo memlock) | %.1f MiB |" % (s["bpf_memory"] / 2**20),
            "| dropped | %d |" % r["dropped"]]


def latency():
    """Time from starting leaktrace -p to its first table, less the interval;
    and from SIGINT to leaktrace's exit (the final report and the teardown)."""
    firsts, stops = [], []
    for _ in range(REPS):
        w = subprocess.Popen([str(BIN / "hold"), "1000", "60000"], stderr=subprocess.DEVNULL)
        time.sleep(0.2)
        t0 = time.perf_counter()
        lt = subprocess.Popen([str(LT), "-p", str(w.pid), "-i", "1", "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in lt.stdout:
            if json.loads(line)["type"] == "interval":
                firsts.append(time.perf_counter() - t0 - 1.0)
                break
        t1 = time.perf_counter()
        lt.send_signal(signal.SIGINT)
        lt.communicate(timeout=30)
        stops.append(time.perf_counter() - t1)
        w.kill()
        w.wait()
    return ["| first table after `-p`, beyond the interval | %.2f s |" % statistics.median(firsts),
            "| exit after SIGINT (final report, probes detached) | %.2f s |" % statistics.median(stops)]

SYS_REPS = int(os.environ.get("BENCH_SYS_REPS", "5"))
SYS_PROCS = int(os.environ.get("BENCH_SYS_PROCS", "1000"))
# the previous release's binary, measured beside this one; `make bench`
# builds it from git (PREV_REV in the Makefile)
LT_PREV = os.environ.get("BENCH_LT_PREV")
PREV_UNSET = "not measured (BENCH_LT_PREV unset)"


def system_workload():
    """A fixed multi-process load: two wordfreqs, a mallocbench and 200 short
    processes (forks that leak, execs of /bin/true) side by side; seconds
    until the last ends."""
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for cmd in (
        [str(BIN / "wordfreq"), str(WF_LINES // 4)], [str(BIN / "wordfreq"), str(WF_LINES // 4)],
        [str(BIN / "mallocbench"), str(MB_ITERS // 4), "1000"],
        [str(ROOT / ".output" / "workloads" / "spawner"), "200"])]
    for p in procs:
        assert p.wait() == 0, p.args
    return time.perf_counter() - t0


SYS_WAIT = float(os.environ.get("BENCH_SYS_WAIT", "120"))


def foreign_system_tracers(ours):
    """Pids of `leaktrace --system` runs other than @ours (pids): their
    probes fire in every process, the load's included, so a load timed
    while one runs is not untraced, nor traced by one tracer alone."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path("/proc/%s/cmdline" % pid).read_bytes().split(b"\0")
        except OSError:
            continue
        if (int(pid) not in ours and os.path.basename(argv[0]).startswith(b"leaktrace") and
                b"--system" in argv):
            found.add(int(pid))
    return found


# other tracers waited for SYS_WAIT seconds already, not waited for again
LONG_RUNNING = set()


def system_timed(ours=()):
    """system_workload() while no other --system tracer runs: waits for
    those running to end (SYS_WAIT seconds at most, once each), and runs it
    again (twice at most) when one started meanwhile. Returns (seconds,
    whether another tracer ran during the figure kept)."""
    for _ in range(3):
        deadline = time.monotonic() + SYS_WAIT
        while foreign_system_tracers(ours) - LONG_RUNNING:
            if time.monotonic() > deadline:
                LONG_RUNNING.update(foreign_system_tracers(ours))
                break
            time.sleep(0.5)
        seen, done = foreign_system_tracers(ours), threading.Event()

        def watch():
            while not done.wait(0.25):
                seen.update(foreign_system_tracers(ours))

        w = threading.Thread(target=watch, daemon=True)
        w.start()
        try:
            t = system_workload()
        finally:
            done.set()
            w.join()
        if not seen - LONG_RUNNING:
            break
    return t, bool(seen)


def start_system(lt, *opts):
    """Starts @lt --system; returns it once its first report is written:
    what it does once at the start (every process's maps, unwind tables,
    probes) is done by then, and what is timed after is the watching."""
    out = TMP / "system.jsonl"
    out.unlink(missing_ok=True)
    p = subprocess.Popen([str(lt), "--system", "-i", "1", "-n", "3", "-o", str(out), *opts],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
            out.exists() and '"type":"interval"' in out.read_text()):
        time.sleep(0.1)
    return p, out


def reap(p, seconds):
    """Waits up to @seconds for @p to exit, then kills it; its exit status
    and resource usage (os.wait4's)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.1)
    else:
        p.kill()
        _, status, ru = os.wait4(p.pid, 0)
    p.returncode = 0
    return status, ru


def stop_system(p):
    """SIGINT to a leaktrace from start_system(); its peak resident set over
    its whole life, final report included (bytes)."""
    if p.returncode is None:
        p.send_signal(signal.SIGINT)
    _, ru = reap(p, 120)
    return ru.ru_maxrss * 1024


def vm_hwm(pid):
    """VmHWM of @pid: its peak resident set so far (bytes)."""
    with open("/proc/%d/status" % pid) as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))


def bpf_maps_memlock(pid):
    """fdinfo's memlock summed over the BPF maps @pid holds, each map once:
    measured from outside, the same way for any leaktrace binary."""
    seen, total = set(), 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) != "anon_inode:bpf-map":
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                info = dict(l.split(":", 1) for l in f if ":" in l)
        except OSError:
            continue
        map_id = info.get("map_id", fd).strip()
        if map_id not in seen:
            seen.add(map_id)
            total += int(info.get("memlock", "0"))
    return total


def pid_room():
    """How many more tasks this machine lets us start: pid_max and
    threads-max, and a cgroup's pids.max, less the tasks there are now."""
    tasks = int(Path("/proc/loadavg").read_text().split()[3].split("/")[1])
    room = min(int(Path("/proc/sys/kernel/pid_max").read_text()),
               int(Path("/proc/sys/kernel/threads-max").read_text())) - tasks
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, ctl, path = line.split(":", 2)
        d = Path("/sys/fs/cgroup" + path) if ctl == "" else Path("/sys/fs/cgroup/pids" + path)
        if ctl not in ("", "pids"):
            continue
        try:
            mx = (d / "pids.max").read_text().strip()
            cur = int((d / "pids.current").read_text())
        except OSError:
            continue
        if mx != "max":
            room = min(room, int(mx) - cur)
    return room


def system_memory(lt, *opts):
    """@lt --system with SYS_PROCS processes started after it, each holding
    1,000,000 / SYS_PROCS blocks: (outstanding allocations, leaktrace's
    VmHWM while tracing, its peak with the final report, its BPF maps'
    memlock, dropped). The processes are killed and reaped before it
    returns, whatever happens."""
    each = 1000000 // SYS_PROCS
    # room for every allocation and every process's 64 stacks
    p, out = start_system(lt, "--max-allocs", "2097152", "--max-stacks", "131072", *opts)
    holds, rec, ivs = [], None, []
    try:
        for _ in range(SYS_PROCS):
            holds.append(subprocess.Popen([str(BIN / "hold"), str(each), "90000"],
                                          stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            time.sleep(1)
            ivs = [r for r in map(json.loads, out.read_text().splitlines())
                   if r["type"] == "interval"]
            held = [r for r in ivs if r["totals"]["heap"]["count"] >= 1000000]
            if len(held) >= 2:
                rec = held[-1]
                break
        if not ivs:
            raise RuntimeError("%s --system wrote no interval record" % lt)
        maps, hwm = bpf_maps_memlock(p.pid), vm_hwm(p.pid)
    finally:
        peak = stop_system(p)
        for h in holds:
            h.kill()
            h.wait()
    rec = rec or ivs[-1]
    return rec["totals"]["heap"]["count"], hwm, peak, maps, rec["dropped"]


def system_rows():
    """The multi-process load untraced, under this tree's --system and,
    with BENCH_LT_PREV, under the previous release's, taking turns
    SYS_REPS rounds (the two binaries swap places each round), medians;
    then each one's own memory with SYS_PROCS processes holding 1M
    allocations."""
    # the previous release knows no --exact: its --system is exact
    tracers = [("`--system`, this tree (pages; growers exactly)", LT, []),
               ("`--system --exact-top 0`, this tree (pages only)", LT, ["--exact-top", "0"]),
               ("`--system --exact`, this tree", LT, ["--exact"])] + (
        [("`--system`, previous release (exact)", LT_PREV, [])] if LT_PREV else [])
    times = {label: [] for label in ["untraced"] + [label for label, _, _ in tracers]}
    overlapped = 0
    for i in range(SYS_REPS):
        t, other = system_timed()
        times["untraced"].append(t)
        overlapped += other
        for label, lt, opts in tracers if i % 2 == 0 else tracers[::-1]:
            p, _ = start_system(lt, *opts)
            try:
                t, other = system_timed(ours={p.pid})
            finally:
                stop_system(p)
            times[label].append(t)
            overlapped += other
    b = statistics.median(times["untraced"])
    rows = ["this tree: %s; previous release: %s" % (LT, LT_PREV or PREV_UNSET), "",
            "| run | time | vs untraced |", "|---|---|---|",
            "| untraced | %.2f s | 1.00x |" % b]
    for label, _, _ in tracers:
        t = statistics.median(times[label])
        rows.append("| under %s | %.2f s | %.2fx |" % (label, t, t / b))
    if LT_PREV:
        cur, prev = (statistics.median(times[label]) for label, _, _ in tracers[2:4])
        rows.append("| `--exact`'s time / the previous release's | | %.2fx |" % (cur / prev))
    else:
        rows.append("| under `leaktrace --system`, previous release | %s | |" % PREV_UNSET)
    rows.append("| runs with another `leaktrace --system` on the machine | %d of %d | |" % (
        overlapped, sum(map(len, times.values()))))
    room = pid_room()
    if room < SYS_PROCS + 1000:
        return rows + ["", "`--system` memory: not measured: room for %d more processes here, "
                       "%d wanted and 1000 to spare" % (room, SYS_PROCS)]
    mem = [system_memory(LT, "--exact")] + ([system_memory(LT_PREV)] if LT_PREV else [])
    if not LT_PREV:
        mem.append(None)
    each = 1000000 // SYS_PROCS

    def row(name, fmt, i):
        return "| %s | %s |" % (name, " | ".join(fmt(m[i]) if m else PREV_UNSET for m in mem))

    def mib(v):
        return "%.1f MiB" % (v / 2**20)

    rows += ["", "| `--system --exact`, %d processes x %d blocks | this tree | previous release |" % (
                 SYS_PROCS, each), "|---|---|---|",
             row("outstanding allocations (all processes)", "{:,}".format, 0),
             row("leaktrace resident memory, peak while tracing (VmHWM)", mib, 1),
             row("leaktrace resident memory, peak with the final report", mib, 2),
             row("BPF maps (kernel memory, fdinfo memlock)", mib, 3),
             row("dropped", str, 4)]
    return rows


SYS_FOUND_LINES = int(os.environ.get("BENCH_SYS_FOUND_LINES", str(WF_LINES * 5)))


def system_found_rows():
    """`leaktrace --system -i 1 -n 3` (its defaults otherwise: pages, two
    growers at most traced exactly for a window of 6 s once they grew 1 MiB)
    while the load runs longer: two wordfreqs of SYS_FOUND_LINES lines, a
    mallocbench and 200 short processes. When each wordfreq was chosen, and
    the sites where its heap grew most while traced exactly."""
    p, out = start_system(LT)
    try:
        t_start = json.loads(out.read_text().splitlines()[0])["time"]
        began = time.time() - t_start
        wfs = [subprocess.Popen([str(BIN / "wordfreq"), str(SYS_FOUND_LINES)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(2)]
        rest = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for cmd in ([str(BIN / "mallocbench"), str(MB_ITERS // 4), "1000"],
                            [str(ROOT / ".output" / "workloads" / "spawner"), "200"])]
        for w in wfs + rest:
            w.wait()
        ran = time.time() - t_start - began
        time.sleep(3)  # the exits reported
    finally:
        stop_system(p)
    recs = [json.loads(l) for l in out.read_text().splitlines()]
    exact = [r for r in recs if r["type"] == "exact"]
    rows = ["`leaktrace --system -i 1 -n 3` while two wordfreqs of %d lines, a mallocbench and "
            "200 short processes run (%.1f s); its `exact` records for each wordfreq:" % (
                SYS_FOUND_LINES, ran), "",
            "| wordfreq | chosen | traced exactly | its heap grew most at |", "|---|---|---|---|"]
    found = 0
    for w in wfs:
        starts = [r for r in exact if r["pid"] == w.pid and r["state"] == "start"]
        ends = [r for r in exact if r["pid"] == w.pid and r["state"] == "end"]
        if not starts:
            rows.append("| pid %d | never | | |" % w.pid)
            continue
        sites = "; ".join("%s %+.1f MiB" % (st.get("frame", {}).get("func", "?"),
                                             st["growth_window"] / 2**20)
                          for st in (ends[0]["sites"] if ends else []))
        found += bool(ends) and any(st.get("frame", {}).get("func") == "normalize_token"
                                    for st in ends[0]["sites"])
        rows.append("| pid %d | %.1f s after it started (pages %+.1f MiB in the window, %d of "
                    "%d intervals) | %s | %s |" % (
                        w.pid, starts[0]["t"] - began, starts[0]["growth_window"] / 2**20,
                        starts[0]["intervals_grown"], starts[0]["intervals"],
                        "%.1f s (%s), %d phase%s" % (ends[0]["lasted"], ends[0]["reason"],
                                                      len(starts), "s" * (len(starts) > 1))
                        if ends else "until the end", sites or "-"))
    others = sorted({(r["comm"], r["pid"]) for r in exact if r["pid"] not in
                     {w.pid for w in wfs}})
    rows += ["", "The seeded leak (`normalize_token`) among the sites of %d of 2 wordfreqs. "
             "Other processes traced exactly: %s." % (
                 found, ", ".join("%s %d" % o for o in others) or "none")]
    return rows


PRESSURE_SECS = float(os.environ.get("BENCH_PRESSURE_SECS", "120"))


def pressure_rows():
    """`--system -i 1` for PRESSURE_SECS with the allocs map full (three
    holds of 400,000 blocks, over the default million entries) and about 40
    processes exiting a second (a spawner, a child every 25 ms, every other
    one a fork that leaks): when each report came (its t, and when it was
    read), whether it says it is late, and leaktrace's CPU time."""
    lt = subprocess.Popen([str(LT), "--system", "--exact", "-i", "1", "-n", "5", "--json"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    recs, t0, load = [], [None], []

    def read():
        for line in lt.stdout:
            now = time.monotonic()
            rec = json.loads(line)
            if rec["type"] == "start":
                t0[0] = now
                load.extend(subprocess.Popen([str(BIN / "hold"), "400000", "600000"],
                                             stderr=subprocess.DEVNULL) for _ in range(3))
                load.append(subprocess.Popen([str(ROOT / ".output" / "workloads" / "spawner"),
                                              "1000000", "--period", "25"],
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            else:
                recs.append((now - t0[0], rec))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while t0[0] is None and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(PRESSURE_SECS)
    lt.send_signal(signal.SIGINT)
    # a leaktrace that is behind may take long to get to the signal
    _, ru = reap(lt, 300)
    reader.join(timeout=10)
    for p in load:
        p.kill()
        p.wait()
    ivs = [(at, r) for at, r in recs if r["type"] == "interval" and at <= PRESSURE_SECS]
    ts = [0.0] + [r["t"] for _, r in ivs]
    gaps = [b - a for a, b in zip(ts, ts[1:])]
    late = [r for _, r in ivs if "late" in r]
    full = max((r["counters"]["allocs_full"] for _, r in recs), default=0)
    reasons = sorted({re.sub(r"[0-9.]+s\b", "Ns", r["late_reason"]) for r in late})
    return ["| `--system -i 1`, map full, ~40 exits/s, %g s | |" % PRESSURE_SECS, "|---|---|",
            "| interval reports read in %g s | %d |" % (PRESSURE_SECS, len(ivs)),
            "| first report times (t) | %s%s |" % (" ".join("%.1f" % t for t in ts[1:9]),
                                                     " ..." if len(ts) > 9 else ""),
            "| longest time between two reports | %.1f s |" % max(gaps, default=0),
            "| reports over 1.5 s after the one before | %d |" % sum(g > 1.5 for g in gaps),
            "| reports that say they are late | %d%s |" % (
                len(late), " (%s)" % "; ".join(reasons) if reasons else ""),
            "| allocations dropped for a full map (allocs_full) | %d |" % full,
            "| leaktrace CPU, user + system | %.1f s + %.1f s |" % (ru.ru_utime, ru.ru_stime)]


UNW_XZ_MB = 8


def completeness(cmd, unwind):
    """(stacks reaching main or a thread start, stacks) of cmd under leaktrace."""
    r = subprocess.run([str(LT), "-v", "-i", "1000", "--stack-depth", "64", "--unwind", unwind,
                        "--", *cmd], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    m = re.search(r"stacks: (\d+) of (\d+) reach main", r.stderr)
    return int(m.group(1)), int(m.group(2))


def unwind_rows():
    """Stack completeness with frame pointers and with unwind tables, and the
    cost per malloc+free pair of each walk, measured in the same run."""
    data = TMP / "xz.in"
    data.write_bytes(os.urandom(UNW_XZ_MB << 19).hex().encode())
    wl = ROOT / ".output" / "workloads"
    progs = [("mallocbench (-O2, no frame pointers)", [str(BIN / "mallocbench"), "200000", "1000"]),
             ("mallocbench-fp", [str(BIN / "mallocbench-fp"), "200000", "1000"]),
             ("wordfreq (no frame pointers)", [str(BIN / "wordfreq"), "100000"]),
             ("tests' unwind workload (exe + 2 libs, no frame pointers)",
              [str(wl / "unwind"), "--iterations", "50"]),
             ("tests' unwind workload, in a signal handler",
              [str(wl / "unwind"), "signal", "--iterations", "50"]),
             ("Debian's xz -6 (%d MiB, through liblzma)" % UNW_XZ_MB,
              ["xz", "-6", "-T1", "-c", "-k", str(data)]),
             ("Debian's perl (a hash of 200000 strings, sorted)",
              ["perl", "-e", 'my %h; $h{$_} = "x" x ($_ % 100) for 1..200000; '
               'my @s = sort { $a <=> $b } keys %h;'])]
    lines = ["| program | stacks | frame pointers | unwind tables |", "|---|---|---|---|"]
    for name, cmd in progs:
        if not os.path.exists(cmd[0]) and not shutil.which(cmd[0]):
            continue
        fp, n_fp = completeness(cmd, "fp")
        tb, n_tb = completeness(cmd, "tables")
        lines.append("| %s | %d / %d | %.1f%% | %.1f%% |" % (
            name, n_fp, n_tb, 100.0 * fp / max(n_fp, 1), 100.0 * tb / max(n_tb, 1)))
    lines += ["", "| per malloc+free | frame pointers | unwind tables | added by tables |",
              "|---|---|---|---|"]
    mb = ["%d" % MB_ITERS, "1000"]
    for name in ("mallocbench", "mallocbench-fp"):
        cmd = [str(BIN / name), *mb]
        base = median(run_untraced, cmd)
        per = {}
        for unwind in ("fp", "tables"):
            t, _ = median(run_leaktrace, ["--unwind", unwind], cmd)
            per[unwind] = (t - base) / MB_ITERS * 1e6
        lines.append("| %s | %.2f µs | %.2f µs | %+.2f µs |" % (
            name, per["fp"], per["tables"], per["tables"] - per["fp"]))
    return lines


FAULT_PAGES, FAULT_ROUNDS = 4096, 100
PAGES_PY_ROUNDS = os.environ.get("BENCH_PAGES_PY_ROUNDS", "2000")


def faults_run(pages, own_count=False):
    """bench/faults.c's own loop time, untraced or under --pages; with
    @own_count, leaktrace counts the changes to its mappings itself, as on
    kernels before 6.4 (LEAKTRACE_PAGES_OWN_SEQ, user/attach.c)."""
    cmd = [str(BIN / "faults"), str(FAULT_PAGES), str(FAULT_ROUNDS)]
    if pages:
        cmd = [str(LT), "--pages", "-i", "1000", "-o", str(TMP / "faults.jsonl"), "--"] + cmd
    env = dict(os.environ, LEAKTRACE_PAGES_OWN_SEQ="1") if own_count else None
    p = subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, env=env)
    return py_elapsed(p.stderr)


def pages_top(rec, kind):
    """The innermost named frame out of libc (the allocator) of the top stack
    of @kind (None: any) in @rec; its innermost Python frame if it has one."""
    for s in rec.get("stacks") or []:
        if kind is None or s["kind"] == kind:
            named = [f for f in s["frames"]
                     if f.get("func") and "/libc.so" not in f.get("module", "")]
            py = [f for f in named if f.get("lang") == "python"]
            f = (py or named or [{}])[0]
            return "%s%s" % (f.get("func"), " line %d" % f["line"] if py and "line" in f else "")
    return None


def pages_rows():
    """wordfreq and pywork.py untraced, under --pages and exact, taking turns,
    and the cost of a page faulted in and given back under --pages."""
    out = ["| workload | run | time | vs untraced | top stack |", "|---|---|---|---|---|"]
    wf = [str(BIN / "wordfreq"), str(WF_LINES)]
    for label, opts in (("untraced", None), ("--pages", ["--pages"]), ("exact", [])):
        if opts is None:
            t, top = median(run_untraced, wf), ""
        else:
            t, rec = median(run_leaktrace, opts, wf)
            top = pages_top(rec, "pages" if opts else "heap")
        if label == "untraced":
            base = t
        out.append("| wordfreq %d lines | %s | %.3f s | %.2fx | %s |" % (
            WF_LINES, label, t, t / base, top))
    # --pages at enough rounds for a few reports (its leak is where the
    # kept Records are made), exact at the rounds it can afford
    lt = [str(LT), "-i", "0.25", "-w", "4", "-n", "50", "-o", str(TMP / "py.jsonl")]
    for rounds, runs in ((PAGES_PY_ROUNDS, {"untraced": [], "--pages": []}),
                         (PY_ROUNDS, {"untraced": [], "exact": []})):
        work = [PY, PYWORK, rounds]
        for _ in range(REPS):
            for label in runs:
                argv = {"untraced": work, "--pages": lt + ["--pages", "--"] + work,
                        "exact": lt + ["--"] + work}[label]
                runs[label].append(run_py(argv))
        base = None
        for label, rs in runs.items():
            rs.sort(key=lambda r: r[0])
            t, rec = rs[len(rs) // 2]
            base = base or t
            top = pages_top(rec, "pages" if label == "--pages" else None) if rec else ""
            out.append("| pywork.py %s rounds | %s | %.3f s | %.2fx | %s |" % (
                rounds, label, t, t / base, top))
    untraced, traced, own = [], [], []
    for _ in range(REPS):
        untraced.append(faults_run(False))
        traced.append(faults_run(True))
        own.append(faults_run(True, own_count=True))
    n = FAULT_PAGES * FAULT_ROUNDS
    u, p, o = (statistics.median(x) for x in (untraced, traced, own))
    out += ["", "bench/faults.c: %d pages faulted in and unmapped, %d times: untraced %.3f s "
            "(%.2f µs a page), --pages %.3f s: %.2f µs more a page (charged at its fault, "
            "uncharged at munmap); with leaktrace's own count of changes to the mappings "
            "(as before Linux 6.4) %.3f s: %.2f µs." % (
                FAULT_PAGES, FAULT_ROUNDS, u, u / n * 1e6, p, (p - u) / n * 1e6, o,
                (o - u) / n * 1e6)]
    return out + pages_exact_rows()


PAGES_EXACT_LINES = int(os.environ.get("BENCH_PAGES_EXACT_LINES", "2000000"))
PAGES_ALONE_OPTS = ["--pages", "-i", "1", "-w", "3"]
PAGES_EXACT_OPTS = PAGES_ALONE_OPTS + ["--exact-for", "3"]


def pages_records(opts, wf):
    """The records of leaktrace @opts -- @wf, which ran to the end."""
    out = TMP / "pages-wf.jsonl"
    subprocess.run([str(LT), *opts, "-n", "3", "-o", str(out), "--", *wf],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    recs = [json.loads(l) for l in out.read_text().splitlines()]
    assert recs[-1]["type"] == "exit", recs[-1]
    return recs


def pages_exact_run(wf):
    """wordfreq under --pages with exact phases: its time, and each phase as
    (start t, end t, the end record's sites as (func, growth))."""
    recs = pages_records(PAGES_EXACT_OPTS, wf)
    starts = [r for r in recs if r.get("type") == "exact" and r["state"] == "start"]
    ends = [r for r in recs if r.get("type") == "exact" and r["state"] == "end"]
    phases = [(s["t"], e["t"], [(x.get("frame", {}).get("func"), x["growth_window"])
                                for x in e["sites"]]) for s, e in zip(starts, ends)]
    return recs[-1]["t"], phases


def pages_alone_run(wf):
    """wordfreq under the same --pages without exact phases: its time, the
    top pages stack of its last report, and the time of the first report
    from which that stack stayed on top."""
    recs = pages_records(PAGES_ALONE_OPTS, wf)
    tops = [(r["t"], pages_top(r, "pages")) for r in recs if r.get("stacks")]
    last = tops[-1][1]
    since = tops[-1][0]
    for t, top in reversed(tops):
        if top != last:
            break
        since = t
    return recs[-1]["t"], last, since, len(tops)


def pages_exact_rows():
    """wordfreq untraced, under --pages alone and with exact phases, taking
    turns: the cost, the top stack under pages alone, and the sites each
    phase found."""
    wf = [str(BIN / "wordfreq"), str(PAGES_EXACT_LINES)]
    untraced, alone, traced = [], [], []
    for _ in range(REPS):
        untraced.append(run_untraced(wf))
        alone.append(pages_alone_run(wf))
        traced.append(pages_exact_run(wf))
    base = statistics.median(untraced)
    traced.sort(key=lambda r: r[0])
    t, phases = traced[len(traced) // 2]
    ta = statistics.median(a[0] for a in alone)
    out = ["", "| workload | run | time | vs untraced |", "|---|---|---|---|",
           "| wordfreq %d lines | untraced | %.3f s | 1.00x |" % (PAGES_EXACT_LINES, base),
           "| wordfreq %d lines | `%s` | %.3f s | %.2fx |" % (
               PAGES_EXACT_LINES, " ".join(PAGES_ALONE_OPTS), ta, ta / base),
           "| wordfreq %d lines | `%s` | %.3f s | %.2fx |" % (
               PAGES_EXACT_LINES, " ".join(PAGES_EXACT_OPTS), t, t / base), "",
           "`%s` alone, top pages stack of the last report: %s." % (
               " ".join(PAGES_ALONE_OPTS), "; ".join("run %d %s, on top from +%.0f s (of %d reports)" % (
                   i + 1, top, since, n) for i, (_, top, since, n) in enumerate(alone))), "",
           "| run | phase | traced exactly | sites, most growth first |", "|---|---|---|---|"]
    for i, (_, ph) in enumerate(traced):
        for j, (t0, t1, sites) in enumerate(ph):
            out.append("| %d | %d | +%.1f s to +%.1f s | %s |" % (
                i + 1, j + 1, t0, t1, "; ".join("%s +%.1f KiB" % (f, g / 1024)
                                                for f, g in sites)))
    return out


REDIS = shutil.which("redis-server")
REDIS_BENCH = shutil.which("redis-benchmark")
REDIS_N = int(os.environ.get("BENCH_REDIS_N", "2000000"))
# exact tracing serves ~30x fewer requests a second: fewer of them, for a
# round of a few seconds too (req/s do not depend on the count)
REDIS_EXACT_N = int(os.environ.get("BENCH_REDIS_EXACT_N", "50000"))
REDIS_INTERVALS = 8
REDIS_WARMUP = 20


def rss_anon(pid):
    """KiB of anonymous resident memory of @pid."""
    with open("/proc/%d/status" % pid) as f:
        return int(next(l.split()[1] for l in f if l.startswith("RssAnon:")))


def redis_version():
    if redis_skip():
        return "not installed"
    v = subprocess.run([REDIS, "--version"], stdout=subprocess.PIPE, text=True).stdout
    m = re.search(r"v=(\S+).*malloc=(\S+)", v)
    return "%s, %s" % (REDIS, "redis %s, %s" % m.groups() if m else v.strip())


def redis_skip():
    """Why the redis rows cannot run here, or None."""
    if not REDIS or not REDIS_BENCH:
        return "redis-server or redis-benchmark not installed (apt-get install redis-server)"
    return None


def redis_start():
    """A redis-server of our own on a free port, no persistence; (proc, port)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--daemonize", "no"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                c.sendall(b"PING\r\n")
                if c.recv(16).startswith(b"+PONG"):
                    return p, port
        except OSError:
            pass
        if p.poll() is not None:
            break
        time.sleep(0.1)
    p.kill()
    p.wait()
    raise RuntimeError("bench: redis-server on port %d did not answer PING" % port)


def redis_stop(p):
    p.terminate()
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def redis_bench(port, n, *extra):
    """redis-benchmark -P 16 -q; {"SET": req/s, "GET": req/s, ...}."""
    out = subprocess.run([REDIS_BENCH, "-p", str(port), "-P", "16", "-n", str(n), "-q",
                          *extra], check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    # -q redraws its progress with \r; the last part of each line is the result
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"([A-Z]+): ([0-9.]+) requests per second", out)}


def redis_attach(pid, opts, out):
    """leaktrace -p @pid with @opts, writing JSON lines to @out; returns once
    its first interval record is there, so the probes are in place."""
    if out.exists():
        out.unlink()
    lt = subprocess.Popen([str(LT), "-i", "1", "-w", "4", "-n", "20", "-o", str(out), *opts,
                           "-p", str(pid)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if out.exists() and '"type":"interval"' in out.read_text():
            return lt
        if lt.poll() is not None:
            raise RuntimeError("bench: leaktrace %s -p %d exited with %d" % (
                " ".join(opts), pid, lt.returncode))
        time.sleep(0.1)
    lt.kill()
    lt.wait()
    raise RuntimeError("bench: leaktrace %s -p %d printed no interval" % (" ".join(opts), pid))


def redis_detach(lt, out):
    """SIGINT to leaktrace; its interval and exit records."""
    lt.send_signal(signal.SIGINT)
    try:
        lt.wait(timeout=60)
    except subprocess.TimeoutExpired:
        lt.kill()
        lt.wait()
    return [r for r in (json.loads(l) for l in out.read_text().splitlines())
            if r["type"] in ("interval", "exit")]


def redis_frames(stack):
    return ", ".join(f.get("func") or f.get("addr", "?") for f in stack["frames"][:8])


def redis_rows():
    """redis-server under redis-benchmark: req/s untraced, under --pages and
    exact, in turns; then a steady server and a growing keyspace under --pages."""
    why = redis_skip()
    if why:
        return ["redis: skipped: %s." % why]
    out = ["| run | requests | SET req/s | GET req/s | SET vs untraced | GET vs untraced |",
           "|---|---|---|---|---|---|"]
    jl = TMP / "redis.jsonl"
    srv, port = redis_start()
    try:
        redis_bench(port, REDIS_N // 10, "-t", "set,get")  # warm-up: jemalloc's arenas
        runs = {"untraced": [], "--pages": [], "exact": []}
        for _ in range(REPS):
            for label in runs:
                n = REDIS_EXACT_N if label == "exact" else REDIS_N
                lt = None
                if label != "untraced":
                    lt = redis_attach(srv.pid, ["--pages"] if label == "--pages" else [], jl)
                try:
                    runs[label].append(redis_bench(port, n, "-t", "set,get"))
                finally:
                    if lt:
                        redis_detach(lt, jl)
        med = {label: {t: statistics.median(r[t] for r in rs) for t in ("SET", "GET")}
               for label, rs in runs.items()}
        for label, m in med.items():
            u = med["untraced"]
            out.append("| %s | %d | %.0f | %.0f | %.2f | %.2f |" % (
                label, REDIS_EXACT_N if label == "exact" else REDIS_N, m["SET"], m["GET"],
                m["SET"] / u["SET"], m["GET"] / u["GET"]))
        # the spread says how much of a ratio is the machine's noise
        pair = {t: sorted(p[t] / u[t] for p, u in zip(runs["--pages"], runs["untraced"]))
                for t in ("SET", "GET")}
        out += ["", "Each `--pages` round against the untraced round just before it: SET %s, "
                "GET %s." % tuple(" ".join("%.2f" % r for r in pair[t]) for t in ("SET", "GET"))]

        # (a) steady: SET/GET over 1000 keys from one redis-benchmark looping
        # all along; its first seconds still grow the server (RssAnon too:
        # client buffers, jemalloc's arenas), so a warm-up before attaching
        loop = subprocess.Popen([REDIS_BENCH, "-p", str(port), "-P", "16", "-q", "-l",
                                 "-n", str(REDIS_N // 10), "-t", "set,get", "-r", "1000"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(REDIS_WARMUP)
            lt = redis_attach(srv.pid, ["--pages"], jl)
            rss0 = rss_anon(srv.pid)
            time.sleep(REDIS_INTERVALS)
            rss1 = rss_anon(srv.pid)
            recs = redis_detach(lt, jl)
        finally:
            loop.terminate()
            loop.wait()
        listed = recs[-1].get("stacks") or []
        sus = [s for s in listed if s.get("suspect")]
        out += ["", "Steady server (`-t set,get -r 1000`, one redis-benchmark looping, %d s of "
                "warm-up), %d reports of 1 s under `--pages -w 4`: %d suspect%s, %d stack%s "
                "of recent growth in the last, %d KiB of pages charged in all; the server's "
                "RssAnon grew %d KiB meanwhile%s." % (
                    REDIS_WARMUP, len(recs), len(sus), "" if len(sus) == 1 else "s",
                    len(listed) - len(sus), "" if len(listed) - len(sus) == 1 else "s",
                    recs[-1]["totals"].get("pages", {}).get("bytes", 0) // 1024, rss1 - rss0,
                    "; top: %s (%+d bytes over the window)" % (
                        redis_frames(sus[0]), sus[0]["growth_window"]) if sus else "")]
    finally:
        redis_stop(srv)

    # (b) growing: a fresh server, SETs of keys from 100M (nearly all new)
    srv, port = redis_start()
    try:
        lt = redis_attach(srv.pid, ["--pages"], jl)
        t0 = time.monotonic()
        while time.monotonic() - t0 < REDIS_INTERVALS:
            redis_bench(port, REDIS_N // 5, "-t", "set", "-r", "100000000")
        recs = redis_detach(lt, jl)
        last = recs[-1]
        sus = [s for s in last.get("stacks") or [] if s.get("suspect")]
        # a new key takes pages in two places: the key and its dict entry
        # (setKey, dbAdd) and the value's object, made while the query is
        # parsed; whichever touches a fresh page first is charged for it
        at = [i for i, s in enumerate(sus)
              if any(f.get("func") in ("dbAdd", "setKey") for f in s["frames"])]
        out += ["", "Growing keyspace (`-t set -r 100000000`, a fresh server), %d reports "
                "of 1 s under `--pages -w 4`: %d suspects, %.1f MiB of pages charged. "
                "Suspect 1: %+.1f MiB over the window, %s. %s" % (
                    len(recs), len(sus),
                    last["totals"].get("pages", {}).get("bytes", 0) / 2**20,
                    sus[0]["growth_window"] / 2**20 if sus else 0,
                    redis_frames(sus[0]) if sus else "none",
                    "dbAdd/setKey: suspect %d, %+.1f MiB over the window, %s." % (
                        at[0] + 1, sus[at[0]]["growth_window"] / 2**20,
                        redis_frames(sus[at[0]])) if at else
                    "No suspect has dbAdd or setKey in its stack.")]
    finally:
        redis_stop(srv)
    return out


def cpu_model():
    return next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                 if l.startswith("model name")), "?")


def machine(runs, what="rounds", load=True, turns=""):
    """The intro line of a result: CPU, kernel, the load average now, runs."""
    return "%s, %d CPUs, kernel %s, %smedian of %d %s%s." % (
        cpu_model(), os.cpu_count(), os.uname().release,
        "load average %.1f at the start, " % os.getloadavg()[0] if load else "", runs, what,
        turns)


# run.py --only NAME: (title, intro line or None, rows, remove TMP after),
# written to bench/results/NAME.md
ONLY = {
    "system": (lambda: "leaktrace --system", lambda: machine(SYS_REPS, load=False),
               lambda: system_rows() + [""] + system_found_rows(), True),
    "census": (lambda: "pywork under the census",
               lambda: machine(CENSUS_REPS, turns=" taken in turns"), lambda: census_rows(), True),
    "pages": (lambda: "--pages beside untraced and exact", lambda: machine(REPS, "runs"),
              lambda: pages_rows(), True),
    "pages-exact": (lambda: "--pages with exact phases beside untraced",
                    lambda: machine(REPS, "runs", turns=" taken in turns"),
                    lambda: pages_exact_rows(), True),
    "redis": (lambda: "redis-server untraced, under --pages and exact",
              lambda: machine(REPS, turns=" taken in turns").replace(
                  ", median", ", %s, median" % redis_version()), lambda: redis_rows(), True),
    "pressure": (lambda: "leaktrace --system under pressure, %s" % LT, None,
                 lambda: pressure_rows(), False),
}


def main():
    if os.geteuid() != 0:
        sys.exit("bench: needs root (BPF)")
    only = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--only" else None
    if only and only not in ONLY:
        sys.exit("bench: no part named %r: --only takes one of %s" % (only, ", ".join(ONLY)))
    if only:
        title, intro, rows, clean = ONLY[only]
        # the intro first: the load average before the rows' runs
        head = ["# %s, %s" % (title(), time.strftime("%Y-%m-%d")), ""] + (
            [intro(), ""] if intro else [])
        text = "\n".join(head + rows()) + "\n"
        print(text)
        (ROOT / "bench" / "results").mkdir(exist_ok=True)
        (ROOT / "bench" / "results" / ("%s.md" % only)).write_text(text)
        if clean:
            shutil.rmtree(TMP, ignore_errors=True)
        return
    kernel = os.uname().release
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    out = ["# leaktrace benchmarks",
           "",
           "%s, %d CPUs, kernel %s, median of %d runs, %s." % (cpu, os.cpu_count(), kernel, REPS,
                                                             time.strftime("%Y-%m-%d")),
           "",
           "| workload | run | time | vs untraced | vs floor | per malloc+free |",
           "|---|---|---|---|---|---|"]
    mb = ["%d" % MB_ITERS, "1000"]
    out += workload("mallocbench-fp", [str(BIN / "mallocbench-fp"), *mb], MB_ITERS, "leak_one_record",
                    sampled=True)
    out += workload("mallocbench", [str(BIN / "mallocbench"), *mb], MB_ITERS, "leak_one_record",
                    sampled=True)
    out += workload("wordfreq", [str(BIN / "wordfreq"), str(WF_LINES)], 0, "normalize_token", heaptrack=True)
    out += workload("wordfreq-fp", [str(BIN / "wordfreq-fp"), str(WF_LINES)], 0, "normalize_token")
    out += ["", "Python: bench/pywork.py (%s rounds, /usr/bin/python3, Debian's 3.11), its own "
            "main-loop time:" % PY_ROUNDS, ""] + python_rows()
    out += ["", "The census (bench/pywork.py, /usr/bin/python3): reads every 0.5 s from outside, "
            "against untraced, tracemalloc and exact tracing, in turns, median of %d "
            "(`run.py --only census` alone):" % CENSUS_REPS, ""] + census_rows()
    out += ["", "GL: bench/glbench.c (%s frames, EGL surfaceless on Mesa's llvmpipe, a texture "
            "made and deleted per frame, LP_NUM_THREADS=0), frames per second, median of %d rounds:" % (
                GL_FRAMES, GL_REPS), ""] + gl_rows()
    out += ["", "redis-server (%s) under `redis-benchmark -P 16 -t set,get -q`, untraced, "
            "`leaktrace --pages -p` and `leaktrace -p`, in turns, median of %d "
            "(`run.py --only redis` alone):" % (redis_version(), REPS), ""] + redis_rows()
    out += ["", "Whole system: two wordfreqs, a mallocbench and 200 short processes at once, "
            "untraced and under `leaktrace --system` (this tree's and, with BENCH_LT_PREV, the "
            "previous release's), alternating, median of %d:" % SYS_REPS,
            ""] + system_rows() + [""] + system_found_rows()
    out += ["", "Native stacks: the share of stacks recorded that reach main or a thread start "
            "(`leaktrace -v`'s summary, --stack-depth 64), walked with frame pointers "
            "(`--unwind fp`) and with unwind tables (the default); then what each walk adds per "
            "malloc+free pair of mallocbench (%d pairs):" % MB_ITERS, ""] + unwind_rows()
    out += ["", "| memory | |", "|---|---|"] + memory()
    out += ["", "| latency | |", "|---|---|"] + latency()
    text = "\n".join(out) + "\n"
    print(text)
    res = ROOT / "bench" / "results"
    res.mkdir(exist_ok=True)
    (res / "latest.md").write_text(text)
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
