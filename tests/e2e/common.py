# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the end-to-end tests: where things are, starting leaktrace and
the workloads, reading and checking the JSON lines against docs/json.md, and
checking that no probe outlives leaktrace.

tests/run.py calls begin_test()/end_test() around every test: each test gets
its own temporary directory (tmp()), and every process started through these
helpers is killed when the test ends, whatever happened."""

import json
import os
import re
import select
import signal
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LEAKTRACE = ROOT / "leaktrace"
LEAKTRACE_SAN = ROOT / ".output" / "san" / "leaktrace"
WORKLOADS = ROOT / ".output" / "workloads"
WORKLOAD_SRC = ROOT / "tests" / "workloads"
PY_WORKLOAD_SRC = WORKLOAD_SRC / "py"
GL_WORKLOAD_SRC = WORKLOAD_SRC / "gl"
# Lists the skeleton's BPF programs (tests/e2e/bpf_progs.c, built by `make workloads`)
BPF_PROGS = ROOT / ".output" / "tests" / "bpf_progs"
BPFTOOL = shutil.which("bpftool") or "/usr/sbin/bpftool"
TRACEFS = Path("/sys/kernel/tracing")
CI = os.environ.get("CI") == "true"

# kinds whose growth is in bytes; the others grow in objects
BYTE_KINDS = {"heap", "mmap", "pyobj", "pages"}
KINDS = {"heap", "mmap", "pyobj", "gl.texture", "gl.buffer", "gl.framebuffer",
         "gl.renderbuffer", "gl.shader", "gl.program", "gl.vertex_array",
         "egl.context", "egl.surface", "fd", "pages"}
REASONS = {"target-exited", "duration", "signal"}
REGIONS = {"anon", "heap", "stack"}	# the mappings a pages stack's pages are in
ARENAS = {"pymalloc", "glibc"}	# allocators whose own mappings are rows of their own
SANITIZER_ERRORS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")
# The bound on anything a test waits for (a leak in the reports, a workload's
# progress line, a number of reports): generous, since a test waits for what
# it checks, never for a time that suits one machine. A uprobe trap costs
# 1-5 us depending on the host, and the CPUs may be shared.
WAIT = 90


class Skip(Exception):
    """Raised by a test that cannot run here; tests/run.py reports SKIP.
    Under CI (CI=true) such a skip is a failure: there every test must run."""
    ci_ok = False


class SkipAlways(Skip):
    """A skip that CI accepts too: what the test needs does not exist on the
    systems CI runs on (an interpreter version Debian does not ship).
    tests/run.py still prints SKIP and counts it as skipped."""
    ci_ok = True


# ---------------------------------------------------------------- per-test state

_test = {"dir": None, "procs": [], "lt": []}
_sessions = set()		# session ids of everything we started (one per Popen)
_leaktrace_pids = set()		# every leaktrace we started, for check_no_probes_left()


def begin_test(name):
    _test["dir"] = Path(tempfile.mkdtemp(prefix="leaktrace-e2e-%s-" % name.replace("::", "-")))
    _test["procs"] = []
    _test["lt"] = []


def end_test(keep_dir=False):
    """Kills what the test started; removes its directory unless @keep_dir."""
    for p in _test["procs"]:
        _kill_group(p)
    d = _test["dir"]
    if d and not keep_dir:
        shutil.rmtree(d, ignore_errors=True)
    _test["dir"] = None
    return d


def kill_leftovers():
    """SIGKILLs every process still in a session one of our Popens started
    (children of leaktrace -- CMD included). Returns how many it killed."""
    n = 0
    for pid in _proc_pids():
        try:
            with open("/proc/%d/stat" % pid) as f:
                stat = f.read()
            sid = int(stat.rsplit(")", 1)[1].split()[4])
        except (OSError, ValueError, IndexError):
            continue
        if sid in _sessions and pid != os.getpid():
            try:
                os.kill(pid, signal.SIGKILL)
                n += 1
            except OSError:
                pass
    return n


def leaktrace_stderr_tail(lines=15):
    """The last lines of stderr of the last leaktrace this test ran, for failures."""
    if not _test["lt"]:
        return ""
    argv, err = _test["lt"][-1]
    if isinstance(err, Path):
        try:
            err = err.read_text(errors="replace")
        except OSError:
            err = ""
    tail = err.rstrip("\n").splitlines()[-lines:]
    head = "  $ " + " ".join(str(a) for a in argv)
    if not tail:
        return head + "\n  (stderr empty)"
    return head + "\n" + "\n".join("  | " + l for l in tail)


def tmp(name):
    """A path named @name in this test's temporary directory."""
    return str(_test["dir"] / name)


def _proc_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def _kill_group(p):
    if p.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(p.pid, sig)
        except OSError:
            pass
        try:
            p.wait(timeout=3)
            return
        except subprocess.TimeoutExpired:
            pass


def _popen(argv, **kw):
    p = subprocess.Popen([str(a) for a in argv], start_new_session=True, **kw)
    _sessions.add(p.pid)
    _test["procs"].append(p)
    return p


# ---------------------------------------------------------------- requirements

def kernel_at_least(release, major, minor):
    """Whether the kernel of @release (uname -r: "6.12.48+deb13-amd64") is
    @major.@minor or newer."""
    return tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", release).groups()) >= (major, minor)


def require_root():
    if os.geteuid() != 0:
        raise Skip("needs root (BPF)")


def require_binary(binary=LEAKTRACE):
    binary = Path(binary)
    if binary.exists():
        return
    if binary == LEAKTRACE_SAN and not CI:
        raise Skip("%s is missing: build it with `make SANITIZE=1 all`" % binary.relative_to(ROOT))
    raise AssertionError("%s is missing: build it with `make%s`" % (
        binary.relative_to(ROOT) if binary.is_relative_to(ROOT) else binary,
        " SANITIZE=1 all" if binary == LEAKTRACE_SAN else ""))


def workload(name):
    path = WORKLOADS / name
    if not path.exists():
        raise AssertionError("workload %s is missing: build it with `make workloads`" % path)
    return path


# ---------------------------------------------------------------- running things

def run_leaktrace(args, timeout=WAIT, binary=LEAKTRACE, env=None, prefix=()):
    """Runs leaktrace with @args to completion. Returns (rc, stdout, stderr).
    @prefix goes before the binary (e.g. a setpriv command line)."""
    require_binary(binary)
    argv = [str(a) for a in prefix] + [str(binary)] + [str(a) for a in args]
    p = _popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
               env=env)
    _leaktrace_pids.add(p.pid)
    entry = [argv, ""]
    _test["lt"].append(entry)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(p)
        out, err = p.communicate()
        entry[1] = err.decode(errors="replace")
        raise AssertionError("leaktrace did not finish within %ds" % timeout)
    entry[1] = err.decode(errors="replace")
    return p.returncode, out.decode(errors="replace"), entry[1]


def _forget_output(argv):
    """Removes the JSON lines file that @argv's -o names, when a run before
    left one: leaktrace truncates it only once started, and until then a wait
    for its start record or reports would read the earlier run's."""
    for i, a in enumerate(argv[:-1]):
        if a in ("-o", "--output"):
            path = Path(argv[i + 1])
            if path.is_file() and not path.is_symlink():
                path.unlink()


class Background:
    """A leaktrace running in the background; stdout and stderr go to files."""

    def __init__(self, args, binary, env):
        require_binary(binary)
        self.argv = [str(binary)] + [str(a) for a in args]
        _forget_output(self.argv)
        self.stdout_path = Path(tmp("leaktrace-%d.stdout" % len(_test["lt"])))
        self.stderr_path = Path(tmp("leaktrace-%d.stderr" % len(_test["lt"])))
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = _popen(self.argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                               env=env)
        self.pid = self.proc.pid
        _leaktrace_pids.add(self.pid)
        _test["lt"].append((self.argv, self.stderr_path))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=WAIT):
        """Waits for it to exit. Returns (rc, stdout, stderr)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(self.proc)
            raise AssertionError("leaktrace did not exit within %gs" % timeout)
        return (self.proc.returncode, self.stdout_path.read_text(errors="replace"),
                self.stderr_path.read_text(errors="replace"))

    def stderr(self):
        return self.stderr_path.read_text(errors="replace")


def start_leaktrace_bg(args, binary=LEAKTRACE, env=None):
    """Starts leaktrace with @args in the background. Returns a Background."""
    return Background(args, binary, env)


def wait_for_start(json_path, lt=None, timeout=WAIT):
    """Waits until the JSON lines file @json_path holds its start record, which
    leaktrace writes once every probe is attached. Returns that record. Fails
    early if the Background @lt exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(json_path) as f:
                first = f.readline()
        except FileNotFoundError:
            first = ""
        if first.endswith("\n"):
            rec = json.loads(first)
            assert rec.get("type") == "start", "first JSON record is not start: %r" % first
            return rec
        if lt is not None and lt.proc.poll() is not None:
            raise AssertionError("leaktrace exited with status %d before its start record"
                                 % lt.proc.returncode)
        time.sleep(0.05)
    raise AssertionError("no start record in %s after %ds" % (json_path, timeout))


def wait_until(cond, what, timeout=WAIT, lt=None, detail=None):
    """Calls @cond until it returns something true, and returns that. Fails
    saying @what was not seen within @timeout seconds, or as soon as the
    Background @lt exits; @detail(), if given, adds to the message."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        more = ("\n" + detail()) if detail else ""
        if lt is not None and lt.proc.poll() is not None:
            v = cond()  # what it wrote just before it exited
            if v:
                return v
            raise AssertionError("leaktrace exited with status %d before %s%s" % (
                lt.proc.returncode, what, more))
        if time.monotonic() > deadline:
            raise AssertionError("no %s within %ds%s" % (what, timeout, more))
        time.sleep(0.1)


# The recording's own records (`leaktrace report` reads them back): each
# stack once, the rows that changed at each sample, processes that left.
RECORDING_TYPES = ("stack", "samples", "forget")


_RECORDING_PREFIXES = tuple('{"type":"%s"' % t for t in RECORDING_TYPES)


def report_records(recs):
    """@recs without the recording's own records: the reports a person reads."""
    return [r for r in recs if r.get("type") not in RECORDING_TYPES]


def read_records(path, recording=False):
    """The complete lines of the JSON lines file @path written so far, parsed
    (none before it exists); the recording's own records only if @recording."""
    try:
        text = Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return []
    lines = [l for l in text.splitlines(keepends=True) if l.endswith("\n")]
    if not recording:
        # leaktrace writes "type" first: a --system recording holds tens of
        # thousands of stack records, not parsed again at every poll
        lines = [l for l in lines if not l.startswith(_RECORDING_PREFIXES)]
    recs = [json.loads(l) for l in lines]
    return recs if recording else report_records(recs)


def intervals(recs):
    return [r for r in recs if r.get("type") == "interval"]


def wait_records(path, until, what, lt=None, timeout=WAIT):
    """Waits until until(records) is true for the records of @path written so
    far (see wait_until()); returns those records. A failure shows the last
    interval record."""
    seen = []

    def check():
        seen[:] = read_records(path)
        return until(seen)

    def last():
        ivs = intervals(seen)
        if not ivs:
            return "  (%d records, no interval record)" % len(seen)
        return "  last of %d interval records:\n%s" % (len(ivs), describe_all(ivs[-1]))

    wait_until(check, what, timeout, lt, last)
    return list(seen)


def wait_intervals(path, n, lt=None, timeout=WAIT):
    """Waits until @path holds @n interval records; returns every record."""
    return wait_records(path, lambda recs: len(intervals(recs)) >= n,
                        "%d interval records" % n, lt, timeout)


CACHE_ENTRIES = 64  # tests/workloads/churn.h


def churn_settled(recs, window=6):
    """True once the bounded cache of leaky, quiet or sysleak (churn.h), traced
    with -p, has left the window: with -p, the cache's refill after the attach
    is growth (its first blocks were allocated before), until a report has
    seen all CACHE_ENTRIES blocks of it; @window reports after that one it is
    out of the window."""
    ivs = intervals(recs)
    full = [i for i, r in enumerate(ivs) if any(
        s["frames"] and s["frames"][0].get("func") == "cache_put" and
        s["count"] >= CACHE_ENTRIES for s in r["stacks"])]
    return bool(full) and len(ivs) >= full[0] + 1 + window


def trace_until(args, out, until, what, timeout=WAIT, binary=LEAKTRACE, env=None):
    """Runs leaktrace @args -o @out in the background until until(records)
    is true of what it has written, then stops it with SIGINT: a run as long
    as what the test checks takes to show on this machine, never a duration
    that suits one. Returns (rc, stdout, stderr)."""
    lt = start_leaktrace_bg(["-o", out] + [str(a) for a in args], binary=binary, env=env)
    wait_for_start(out, lt, timeout)
    wait_records(out, until, what, lt, timeout)
    lt.signal(signal.SIGINT)
    return lt.wait(timeout)


def stdout_line(lt, pattern, what, timeout=WAIT):
    """The first match of regex @pattern (a whole line) on the stdout of the
    Background @lt (where the command of -- COMMAND writes too)."""
    pat = re.compile(pattern, re.M)
    return wait_until(lambda: pat.search(lt.stdout_path.read_text(errors="replace")), what,
                      timeout, lt)


def trace_phases(args, out, cmd, after_ready, enough=None, what="enough growth",
                 timeout=WAIT, binary=LEAKTRACE, env=None):
    """leaktrace @args -o @out -- @cmd, for a workload that leaks in a loop
    until SIGUSR2, then says "holding" on stdout and holds, leaking nothing,
    until SIGTERM (tests/workloads/py/wl.py, gl/glwl.h). The loop runs until
    @after_ready interval records have followed its ready line (2 more than
    -w, and start-up is out of the window) and enough(last interval record)
    is true; the record checked is the second one made after the time the
    "holding T" line gives (the first made wholly after it: nothing in
    flight, and the loop's last intervals still in a window of 4 or more),
    found by the start record's wall clock, however late this test reads
    the line. Then SIGTERM, and the workload and leaktrace exit. Returns
    (rc, stdout, stderr, that record)."""
    lt = start_leaktrace_bg(["-o", out] + [str(a) for a in args] + ["--"] + [
        str(a) for a in cmd], binary=binary, env=env)
    wait_for_start(out, lt, timeout)
    pid = int(stdout_line(lt, r"^ready (\d+)$", "ready line from %s" % cmd[-1], timeout).group(1))
    ready_at = len(intervals(read_records(out)))
    wait_records(out, lambda recs: len(intervals(recs)) >= ready_at + after_ready and (
        enough is None or enough(intervals(recs)[-1])), what, lt, timeout)
    os.kill(pid, signal.SIGUSR2)
    hold = float(stdout_line(lt, r"^holding (\d+\.\d+)$", "'holding' line from %s" % cmd[-1],
                             timeout).group(1))
    start = read_records(out)[0]["time"]

    def after(recs):
        return [rec for rec in intervals(recs) if start + rec["t"] > hold]

    held = after(wait_records(out, lambda recs: len(after(recs)) >= 2,
                              "2 interval records after the hold began", lt, timeout))[1]
    os.kill(pid, signal.SIGTERM)
    rc, stdout, err = lt.wait(timeout)
    return rc, stdout, err, held


class Workload:
    """A running workload: .proc (Popen), .pid, .stderr()."""

    def __init__(self, proc, stdout_path, stderr_path):
        self.proc = proc
        self.pid = proc.pid
        self.stdout_path = stdout_path
        self.stderr_path = stderr_path

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=5):
        """SIGTERM, then waits; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(self.proc)
            raise AssertionError("workload %d ignored SIGTERM" % self.pid)

    def stderr(self):
        return self.stderr_path.read_text(errors="replace")


def spawn(argv, env=None, ready=True, timeout=WAIT):
    """Starts @argv; with @ready, waits for its "ready <pid>" line. A thread
    reaps it as soon as it exits, as a real parent would, so a tracer waiting
    for the target to exit never waits on a zombie."""
    n = len(_test["procs"])
    out_path = Path(tmp("proc-%d.stdout" % n))
    err_path = Path(tmp("proc-%d.stderr" % n))
    full_env = dict(os.environ)
    full_env.update(env or {})
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = _popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=full_env)
    threading.Thread(target=p.wait, daemon=True).start()
    w = Workload(p, out_path, err_path)
    if not ready:
        return w
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = out_path.read_text(errors="replace").split("\n", 1)
        if len(line) == 2:
            m = re.fullmatch(r"ready (\d+)", line[0])
            assert m, "%s: first line is %r, not 'ready <pid>'" % (argv[0], line[0])
            assert int(m.group(1)) == p.pid, "%s: ready pid %s != %d" % (argv[0], m.group(1), p.pid)
            return w
        if p.poll() is not None:
            raise AssertionError("%s exited with status %d before its ready line: %s"
                                 % (argv[0], p.returncode, w.stderr()[-500:]))
        time.sleep(0.02)
    raise AssertionError("%s printed no ready line within %ds" % (argv[0], timeout))


def spawn_workload(name, *args, env=None):
    """Starts workload @name from .output/workloads and waits for its ready line."""
    return spawn([workload(name)] + [str(a) for a in args], env=env)


# ---------------------------------------------------------------- JSON lines

def read_jsonl(path, recording=False):
    """Every line of @path parsed with json.loads; an invalid line fails the
    test. The recording's own records are checked, and left out unless
    @recording."""
    text = Path(path).read_text()
    assert text, "%s is empty" % path
    assert text.endswith("\n"), "%s: last line is not terminated: %r" % (path, text[-200:])
    recs = []
    for i, line in enumerate(text.splitlines(), 1):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise AssertionError("%s:%d: invalid JSON (%s): %r" % (path, i, e, line[:300]))
        assert isinstance(rec, dict), "%s:%d: not an object: %r" % (path, i, line[:300])
        recs.append(rec)
    if recording:
        return recs
    validate_recording(recs)
    return report_records(recs)


def parse_jsonl_text(text, what="stdout", recording=False):
    recs = []
    for i, line in enumerate(text.splitlines(), 1):
        try:
            recs.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise AssertionError("%s line %d: invalid JSON (%s): %r" % (what, i, e, line[:300]))
    if recording:
        return recs
    validate_recording(recs)
    return report_records(recs)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _need(rec, key, check, what, where):
    assert key in rec, "%s: missing %r in %s" % (where, key, json.dumps(rec)[:300])
    assert check(rec[key]), "%s: %r should be %s, is %r" % (where, key, what, rec[key])


def validate_frame(fr, where):
    assert isinstance(fr, dict), "%s: frame is not an object: %r" % (where, fr)
    _need(fr, "addr", lambda v: isinstance(v, str) and re.fullmatch(r"0x[0-9a-fA-F]+", v),
          "a '0x...' string", where)
    _need(fr, "module", lambda v: isinstance(v, str), "a string", where)
    _need(fr, "lang", lambda v: v in ("c", "python"), "c or python", where)
    if "func" in fr:
        _need(fr, "func", lambda v: isinstance(v, str) and v, "a non-empty string", where)
    if "file" in fr:
        _need(fr, "file", lambda v: isinstance(v, str) and v, "a non-empty string", where)
    if "line" in fr:
        _need(fr, "line", lambda v: _is_int(v) and v > 0, "an int > 0", where)
    if "offset" in fr:
        _need(fr, "offset", lambda v: isinstance(v, str), "a string", where)
    if fr["lang"] == "python" and "func" in fr:
        # a code object that could be read names its file too
        _need(fr, "file", lambda v: isinstance(v, str) and v, "a non-empty string", where)


def validate_stack(st, where, window, system=False):
    assert isinstance(st, dict), "%s: not an object" % where
    _need(st, "rank", _is_int, "an int", where)
    _need(st, "kind", lambda v: v in KINDS, "one of the kinds of docs/json.md", where)
    for key in ("bytes", "count", "growth", "growth_window", "growth_total",
                "intervals_grown", "allocs", "frees"):
        _need(st, key, _is_int, "an int", where)
    _need(st, "stack_id", lambda v: isinstance(v, str) and v, "a non-empty string", where)
    if "pid" in st or system:
        _need(st, "pid", _is_int, "an int", where)
        _need(st, "comm", lambda v: isinstance(v, str), "a string", where)
    if st["kind"] == "pyobj":
        _need(st, "type", lambda v: isinstance(v, str) and v, "a non-empty string", where)
    assert st["growth_window"] > 0, "%s: listed with growth_window %d <= 0" % (
        where, st["growth_window"])
    _need(st, "suspect", lambda v: isinstance(v, bool), "a bool", where)
    _need(st, "unit", lambda v: v in ("bytes", "count"), "bytes or count", where)
    if st["kind"] in BYTE_KINDS:
        assert st["unit"] == "bytes", "%s: %s grows in %s, not bytes" % (
            where, st["kind"], st["unit"])
    elif st["unit"] == "count":
        assert st["bytes"] == 0, "%s: %s has %d bytes, yet grows in count" % (
            where, st["kind"], st["bytes"])
    # a suspect grew in most intervals of the window, and not once
    assert not st["suspect"] or st["intervals_grown"] >= 2, (
        "%s: a suspect that grew in %d interval" % (where, st["intervals_grown"]))
    if "region" in st or st["kind"] == "pages":
        _need(st, "region", lambda v: v in REGIONS, "one of %s" % sorted(REGIONS), where)
        assert st["kind"] == "pages", "%s: a region on kind %s" % (where, st["kind"])
    if "arena" in st:
        _need(st, "arena", lambda v: v in ARENAS, "one of %s" % sorted(ARENAS), where)
        assert st["kind"] == "mmap", "%s: an arena of kind %s" % (where, st["kind"])
    assert 0 <= st["intervals_grown"] <= window, "%s: intervals_grown %d not in 0..%d" % (
        where, st["intervals_grown"], window)
    assert st["allocs"] >= 0 and st["frees"] >= 0, "%s: negative allocs/frees" % where
    if st["kind"] == "heap":
        assert st["count"] == st["allocs"] - st["frees"], (
            "%s: count %d != allocs %d - frees %d" % (where, st["count"], st["allocs"], st["frees"]))
    _need(st, "frames", lambda v: isinstance(v, list) and v, "a non-empty list", where)
    for j, fr in enumerate(st["frames"]):
        validate_frame(fr, "%s frame %d" % (where, j))
    if "stack_not_walked" in st:
        # --system: a process's pages from before it was in focus
        assert st["stack_not_walked"] is True and st["kind"] == "pages" and system, (
            "%s: stack_not_walked %r on a %s stack" % (where, st["stack_not_walked"], st["kind"]))
        assert [f.get("func") for f in st["frames"]] == ["[stack not walked]"], (
            "%s: frames of a stack not walked: %r" % (where, st["frames"]))


def validate_record(rec, window=6, top=None, system=False):
    """Checks one JSON record against docs/json.md: its type, required fields and
    their JSON types, the ranking of its stacks. @window is the -w in force,
    @top the -n."""
    where = "%s record" % rec.get("type")
    _need(rec, "type", lambda v: v in ("start", "interval", "exit"), "start/interval/exit", "record")
    if rec["type"] == "start":
        _need(rec, "version", lambda v: isinstance(v, str) and v, "a non-empty string", where)
        if not system:
            _need(rec, "pid", _is_int, "an int", where)
            _need(rec, "comm", lambda v: isinstance(v, str), "a string", where)
        _need(rec, "sources", lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
              "a list of strings", where)
        _need(rec, "interval", _is_num, "a number", where)
        # the wall clock when tracing began: records are checked within
        # hours of the run that made them
        _need(rec, "time", lambda v: _is_num(v) and abs(v - time.time()) < 86400,
              "the wall clock (seconds since the epoch) of today", where)
        # what a probe costs a call here, where it was measured
        if "trap_ns" in rec:
            _need(rec, "trap_ns", lambda v: _is_num(v) and 0 < v < 1e6, "0 < ns < 1 ms", where)
            _need(rec, "trap_return_ns", lambda v: _is_num(v) and 0 <= v < 1e6,
                  "0 <= ns < 1 ms", where)
        return
    where = "%s record t=%s" % (rec["type"], rec.get("t"))
    _need(rec, "t", _is_num, "a number", where)
    if not system:
        _need(rec, "pid", _is_int, "an int", where)
    _need(rec, "dropped", lambda v: _is_int(v) and v >= 0, "an int >= 0", where)
    _need(rec, "totals", lambda v: isinstance(v, dict), "an object", where)
    for kind, tot in rec["totals"].items():
        assert kind in KINDS, "%s: unknown kind %r in totals" % (where, kind)
        assert isinstance(tot, dict), "%s: totals[%s] is not an object" % (where, kind)
        _need(tot, "bytes", _is_int, "an int", "%s totals[%s]" % (where, kind))
        _need(tot, "count", _is_int, "an int", "%s totals[%s]" % (where, kind))
    if rec["type"] == "exit":
        _need(rec, "reason", lambda v: v in REASONS, "one of %s" % sorted(REASONS), where)
    # what the probes cost over the interval (sources whose probes trap)
    for key in ("probe_calls_per_s", "probe_cpu", "probe_ns_per_call", "probe_share"):
        if key in rec:
            _need(rec, key, lambda v: _is_num(v) and v >= 0, "a number >= 0", where)
    if "probe_cpu" in rec:
        _need(rec, "probe_calls_per_s", _is_num, "a number beside probe_cpu", where)
    _need(rec, "stacks", lambda v: isinstance(v, list), "a list", where)
    stacks = rec["stacks"]
    if top is not None:
        assert len(stacks) <= top, "%s: %d stacks listed, -n is %d" % (where, len(stacks), top)
    for i, st in enumerate(stacks):
        validate_stack(st, "%s stack %d" % (where, i), window, system)
        assert st["rank"] == i + 1, "%s: stack %d has rank %r, want %d" % (where, i, st["rank"], i + 1)
    # Suspects first, then recent growth; in each, the program's stacks
    # before the allocators' arenas. In each of those groups, growth is in
    # bytes for some stacks and in objects for the others: each class is
    # ranked by window growth, then total, and the two take turns.
    groups = [2 * (not st["suspect"]) + ("arena" in st) for st in stacks]
    assert groups == sorted(groups), "%s: rows out of order (suspect, then recent growth; " \
        "arenas last in each): %s" % (where, [(st["rank"], st["suspect"], st.get("arena"))
                                              for st in stacks])
    for g in sorted(set(groups)):
        _check_turns([st for st, sg in zip(stacks, groups) if sg == g], where)
    if "census" in rec:
        validate_census(rec, where, top)


def _check_turns(stacks, where):
    classes = [[st for st in stacks if (st["unit"] == "bytes") == by] for by in (True, False)]
    for cls in classes:
        for a, b in zip(cls, cls[1:]):
            assert (a["growth_window"], a["growth_total"]) >= (
                b["growth_window"], b["growth_total"]), (
                "%s: rank %d (window %d, total %d) ranked above rank %d (window %d, total %d)" % (
                    where, a["rank"], a["growth_window"], a["growth_total"],
                    b["rank"], b["growth_window"], b["growth_total"]))
    seen = [0, 0]
    for st in stacks:
        c = 0 if st["unit"] == "bytes" else 1
        seen[c] += 1
        other = len(classes[1 - c])
        assert seen[1 - c] == other or seen[c] <= seen[1 - c] + 1, (
            "%s: rank %d: %d %s stacks before %d of the other class (they take turns)" % (
                where, st["rank"], seen[c], "byte" if c == 0 else "count", seen[1 - c]))


def validate_census(rec, where, top=None):
    """The census of a CPython target in an interval or exit record: its
    rows ranked by window growth, then total, and its read figures."""
    rows = rec["census"]
    assert isinstance(rows, list), "%s: census is not a list" % where
    if top is not None:
        assert len(rows) <= top, "%s: %d census rows, -n is %d" % (where, len(rows), top)
    for i, row in enumerate(rows):
        w = "%s census row %d" % (where, i)
        _need(row, "rank", lambda v, i=i: v == i + 1, "its position, %d" % (i + 1), w)
        _need(row, "type", lambda v: isinstance(v, str) and v, "a non-empty string", w)
        for k in ("count", "bytes", "growth", "growth_window", "growth_total"):
            _need(row, k, _is_int, "an int", w)
        _need(row, "count", lambda v: v > 0, "> 0", w)
        _need(row, "growth_window", lambda v: v > 0, "> 0 (only growing types are listed)", w)
        _need(row, "intervals_grown", lambda v: _is_int(v) and v >= 0, "an int >= 0", w)
        _need(row, "suspect", lambda v: isinstance(v, bool), "a bool", w)
        # the one view: the record's pyobj stacks of the type, by rank,
        # and the chain last found to one of its objects
        stacks = rec.get("stacks", [])
        for site in row.get("sites", []):
            st = stacks[site["rank"] - 1] if 0 < site["rank"] <= len(stacks) else None
            assert st and st["kind"] == "pyobj" and st.get("type") == row["type"] and (
                st["bytes"], st["count"], st["growth_window"]) == (
                site["bytes"], site["count"], site["growth_window"]), (
                "%s: site %r is not a listed stack of the type: %r" % (w, site, st))
        if "chain" in row:
            ch = row["chain"]
            assert ch and ch[0]["kind"] == "module" and ch[-1]["type"] == row["type"], (
                "%s: chain %r does not go from a module to a %s" % (w, ch, row["type"]))
            _need(row, "chain_t", lambda v: _is_num(v) and 0 <= v <= rec["t"],
                  "a number, no later than the record", w)
    for a, b in zip(rows, rows[1:]):
        assert (a["growth_window"], a["growth_total"]) >= (b["growth_window"], b["growth_total"]), (
            "%s: census rank %d ranked above rank %d" % (where, a["rank"], b["rank"]))
    cs = rec.get("census_stats")
    assert isinstance(cs, dict), "%s: census without census_stats" % where
    for k in ("objects", "types", "bytes", "memory_read", "skipped", "relinked", "lists_cut",
              "reads"):
        _need(cs, k, lambda v: _is_int(v) and v >= 0, "an int >= 0", "%s census_stats" % where)
    _need(cs, "read_ms", lambda v: _is_num(v) and v >= 0, "a number >= 0",
          "%s census_stats" % where)
    _need(cs, "ok", lambda v: isinstance(v, bool), "a bool", "%s census_stats" % where)


def validate_backrefs(rec):
    """A "backrefs" record: the chain from a module to an object of a type."""
    where = "backrefs record t=%s" % rec.get("t")
    _need(rec, "t", _is_num, "a number", where)
    _need(rec, "pid", _is_int, "an int", where)
    _need(rec, "object_type", lambda v: isinstance(v, str) and v, "a non-empty string", where)
    _need(rec, "verified", lambda v: isinstance(v, bool), "a bool", where)
    _need(rec, "chain", lambda v: isinstance(v, list), "a list", where)
    chain = rec["chain"]
    if "error" in rec:
        assert not chain and not rec["verified"], "%s: an error and a chain" % where
        return
    assert rec["verified"] and len(chain) >= 2, "%s: chain %r" % (where, chain)
    assert chain[0]["kind"] == "module", "%s: chain starts with %r" % (where, chain[0])
    for link in chain[1:]:
        assert link["kind"] in ("attr", "key", "index", "item", "cell", "frame", "local",
                                "default", "slot"), (
            "%s: link %r" % (where, link))
        if link["kind"] == "item":
            # a set member has no name
            assert "name" not in link and "key" not in link, "%s: link %r" % (where, link)
        else:
            assert isinstance(link.get("key" if link["kind"] == "key" else "name"), str), (
                "%s: link %r" % (where, link))
        assert isinstance(link.get("type"), str) and link["type"], "%s: link %r" % (where, link)
    assert chain[-1]["type"] == rec["object_type"], "%s: chain ends at %r, not %r" % (
        where, chain[-1]["type"], rec["object_type"])


def validate_recording(recs):
    """Checks the recording's own records: a stack record once per id, with
    its kind, pid and frames, before any row that names it; rows of five
    integers; samples records in time order, each right before the report
    of its sample."""
    ids = set()
    last_t = None
    for i, r in enumerate(recs):
        t = r.get("type")
        where = "record %d (%s)" % (i + 1, t)
        if t == "stack":
            _need(r, "id", lambda v: _is_int(v) and v > 0, "an int > 0", where)
            assert r["id"] not in ids, "%s: stack id %d written twice" % (where, r["id"])
            ids.add(r["id"])
            _need(r, "kind", lambda v: v in KINDS, "a kind", where)
            _need(r, "pid", _is_int, "an int", where)
            _need(r, "frames", lambda v: isinstance(v, list), "a list", where)
            for fr in r["frames"]:
                validate_frame(fr, where)
        elif t == "samples":
            _need(r, "t", _is_num, "a number", where)
            assert last_t is None or r["t"] >= last_t, "%s: t goes back" % where
            last_t = r["t"]
            for row in r["rows"]:
                assert len(row) == 5 and all(_is_int(v) for v in row), (
                    "%s: row %r is not [id, bytes, count, allocs, frees]" % (where, row))
                assert row[0] in ids, "%s: row of id %d before its stack record" % (
                    where, row[0])
            nxt = recs[i + 1] if i + 1 < len(recs) else None
            assert nxt is None or (nxt.get("type") in ("interval", "exit") and
                                   nxt["t"] == r["t"]), (
                "%s: not followed by the report of its sample: %r" % (where, nxt and
                                                                     nxt.get("type")))
        elif t == "forget":
            _need(r, "pids", lambda v: isinstance(v, list) and all(_is_int(p) for p in v),
                  "a list of ints", where)


def validate_exact(rec):
    """An "exact" record: leaktrace traces a grower's allocations exactly
    (start), could not (failed), or no longer does (end, with the sites its
    heap grew most at)."""
    where = "exact record t=%s" % rec.get("t")
    _need(rec, "t", _is_num, "a number", where)
    _need(rec, "state", lambda v: v in ("start", "failed", "end"), "start, failed or end", where)
    _need(rec, "pid", lambda v: _is_int(v) and v > 0, "a pid", where)
    _need(rec, "comm", lambda v: isinstance(v, str), "a string", where)
    if rec["state"] == "end":
        _need(rec, "reason", lambda v: v in ("time", "exited", "stopped"),
              "time, exited or stopped", where)
        _need(rec, "lasted", lambda v: _is_num(v) and v >= 0, "seconds", where)
        _need(rec, "sites", lambda v: isinstance(v, list) and len(v) <= 3, "a list of <= 3", where)
        for site in rec["sites"]:
            for key in ("bytes", "count", "growth_window"):
                _need(site, key, _is_int, "an int", where)
            assert site["growth_window"] > 0, "%s: a site that did not grow: %r" % (where, site)
            if "frame" in site:
                validate_frame(site["frame"], where)
    else:
        for key in ("growth_window", "intervals_grown", "intervals"):
            _need(rec, key, lambda v: _is_int(v) and v > 0, "an int > 0", where)
        if rec["state"] == "start":
            _need(rec, "until", lambda v: _is_num(v) and v > rec["t"], "a time after t", where)
        else:
            _need(rec, "error", lambda v: isinstance(v, str) and v, "a reason", where)


def validate_stream(recs, window=6, top=10, interval=None, system=False):
    """Checks a whole JSON lines output: start first, exit last, intervals in
    between with t never going back, and every record by validate_record();
    the recording's own records by validate_recording()."""
    assert recs, "no JSON records"
    validate_recording(recs)
    recs = report_records(recs)
    assert recs[0].get("type") == "start", "first record is %r, not start" % recs[0].get("type")
    assert recs[-1].get("type") == "exit", "last record is %r, not exit" % recs[-1].get("type")
    for r in recs[1:-1]:
        assert r.get("type") in ("interval", "backrefs", "exact"), (
            "record between start and exit is %r" % r.get("type"))
    for r in recs:
        if r.get("type") == "backrefs":
            validate_backrefs(r)
        elif r.get("type") == "exact":
            # --system, or -p and -- under --pages that asked for exact phases
            assert system or "exact" in recs[0], "an exact record not asked for: %r" % r
            validate_exact(r)
        else:
            validate_record(r, window=window, top=top, system=system)
    if interval is not None:
        assert abs(recs[0]["interval"] - interval) < 1e-6, "start.interval %r != -i %r" % (
            recs[0]["interval"], interval)
    ts = [r["t"] for r in recs[1:]]
    assert ts == sorted(ts), "t goes back: %r" % ts


def load_stream(path, **kw):
    """read_jsonl() + validate_stream(); returns the records, without the
    recording's own."""
    recs = read_jsonl(path, recording=True)
    validate_stream(recs, **kw)
    return report_records(recs)


# ---------------------------------------------------------------- stacks and sources

def marker_line(source, name):
    """Line number (1-based) of the /* LEAK:name */ marker in tests/workloads/@source."""
    pat = re.compile(r"/\*\s*LEAK:%s\s*\*/" % re.escape(name))
    hits = [i for i, l in enumerate((WORKLOAD_SRC / source).read_text().splitlines(), 1)
            if pat.search(l)]
    assert len(hits) == 1, "%s: %d markers LEAK:%s" % (source, len(hits), name)
    return hits[0]


def call_line(source, name):
    """Line number (1-based) of the /* CALL:name */ marker in tests/workloads/@source:
    where a frame shows the call to the next function in."""
    pat = re.compile(r"/\*\s*CALL:%s\s*\*/" % re.escape(name))
    hits = [i for i, l in enumerate((WORKLOAD_SRC / source).read_text().splitlines(), 1)
            if pat.search(l)]
    assert len(hits) == 1, "%s: %d markers CALL:%s" % (source, len(hits), name)
    return hits[0]


def funcs(stack):
    return [f.get("func") for f in stack["frames"]]


def find_stacks(rec, func, depth=1, kind=None):
    """Stacks of @rec with @func among their first @depth frames."""
    return [s for s in rec["stacks"] if func in funcs(s)[:depth] and (kind is None or s["kind"] == kind)]


def describe(stack):
    fr = ", ".join("%s%s(%s:%s)" % ("py:" if f.get("lang") == "python" else "",
                                    f.get("func", f["addr"]), os.path.basename(f.get("file", "?")),
                                    f.get("line", "?")) for f in stack["frames"][:6])
    return "rank %s %s%s %dB/%d [%s]" % (
        stack.get("rank"), stack.get("kind"), " " + stack["type"] if "type" in stack else "",
        stack.get("bytes", -1), stack.get("count", -1), fr)


def describe_all(rec):
    return "\n".join("    " + describe(s) for s in rec["stacks"]) or "    (no stacks)"


def assert_site(frame, func, source, line, module_suffix=None):
    """@frame is @func at @source:@line (basename), in a module ending with @module_suffix."""
    assert frame.get("func") == func, "frame func %r, want %r" % (frame.get("func"), func)
    assert os.path.basename(frame.get("file", "")) == source, "%s: file %r, want %s" % (
        func, frame.get("file"), source)
    assert frame.get("line") == line, "%s: line %r, want %s:%d (the LEAK marker)" % (
        func, frame.get("line"), source, line)
    if module_suffix:
        assert frame["module"].endswith(module_suffix), "%s: module %r, want ...%s" % (
            func, frame["module"], module_suffix)


# ---------------------------------------------------------------- Python

def py_marker_line(script, name, src=PY_WORKLOAD_SRC):
    """Line number (1-based) of the `# LEAK:name` marker in tests/workloads/py/@script
    (or in @src/@script)."""
    pat = re.compile(r"#\s*LEAK:%s\s*$" % re.escape(name))
    hits = [i for i, l in enumerate((Path(src) / script).read_text().splitlines(), 1)
            if pat.search(l)]
    assert len(hits) == 1, "%s: %d markers LEAK:%s" % (script, len(hits), name)
    return hits[0]


def py_line_of(script, text, src=PY_WORKLOAD_SRC):
    """Line number of the one line of tests/workloads/py/@script (or of
    @src/@script) that is @text (leading and trailing blanks ignored), e.g. a
    call whose line a frame shows."""
    hits = [i for i, l in enumerate((Path(src) / script).read_text().splitlines(), 1)
            if l.strip() == text]
    assert len(hits) == 1, "%s: %d lines %r" % (script, len(hits), text)
    return hits[0]


def py_frames(stack):
    """The Python frames of @stack, innermost first."""
    return [f for f in stack["frames"] if f["lang"] == "python"]


def py_sites(stack):
    """(func, file basename, line) of each Python frame of @stack, innermost first."""
    return [(f.get("func"), os.path.basename(f.get("file", "")), f.get("line"))
            for f in py_frames(stack)]


def find_py_stacks(rec, func, file=None, kind=None, type=None):
    """Stacks of @rec whose innermost Python frame is @func (in a file named
    @file), of @kind and Python @type where given."""
    found = []
    for st in rec["stacks"]:
        sites = py_sites(st)
        if not sites or sites[0][0] != func or (file and sites[0][1] != file):
            continue
        if (kind and st["kind"] != kind) or (type and st.get("type") != type):
            continue
        found.append(st)
    return found


def assert_no_sanitizer_errors(stderr):
    for needle in SANITIZER_ERRORS:
        assert needle not in stderr, "sanitizer report in leaktrace's stderr (%s):\n%s" % (
            needle, stderr[-3000:])


def assert_one_error_line(rc, err, *any_of, rc_want=2):
    """leaktrace failed with @rc_want and exactly one 'leaktrace: ' line on
    stderr that contains one of @any_of (case-insensitive). Lines that say
    what a slow step of the start is doing ("leaktrace: building ...
    (48.0 MiB)...", on a loaded machine) are not errors: they do not count."""
    lines = [l for l in err.splitlines()
             if l.strip() and not (l.startswith("leaktrace: ") and l.endswith("..."))]
    assert rc == rc_want, "exit status %d, want %d; stderr: %r" % (rc, rc_want, err[-500:])
    assert len(lines) == 1, "want exactly one line on stderr, got %d: %r" % (len(lines), err[-800:])
    assert lines[0].startswith("leaktrace: "), "error line does not start with 'leaktrace: ': %r" % lines[0]
    if any_of:
        low = lines[0].lower()
        assert any(k.lower() in low for k in any_of), "error line %r mentions none of %r" % (
            lines[0], any_of)
    return lines[0]


def assert_bad_values(cases, pid):
    """Each (args, words) of @cases, run as `leaktrace ARGS -p @pid`, fails with
    one error line holding one of @words (assert_one_error_line); every
    failing case is listed."""
    bad = []
    for args, words in cases:
        rc, _, err = run_leaktrace(args + ["-p", pid])
        try:
            assert_one_error_line(rc, err, *words)
        except AssertionError as e:
            bad.append("%s: %s" % (" ".join(args), e))
    assert not bad, "\n  ".join([""] + bad)


# ---------------------------------------------------------------- X server (GL apps)

def require_debian_package(pkg, what):
    """Skips if Debian package @pkg (which provides @what) is not installed:
    a plain Skip (a failure under CI, where scripts/deps.sh installs it) when
    apt knows the package, SkipAlways when this system cannot install it."""
    r = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", pkg],
                       capture_output=True, text=True)
    if r.returncode == 0 and r.stdout.strip() == "installed":
        return
    try:
        pol = subprocess.run(["apt-cache", "policy", pkg], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        pol = ""
    m = re.search(r"Candidate:\s*(\S+)", pol)
    if not m or m.group(1) == "(none)":
        raise SkipAlways("needs %s (Debian package %s), which this system cannot install" % (
            what, pkg))
    raise Skip("%s is not installed (Debian package %s): run scripts/deps.sh" % (what, pkg))


def start_xvfb(screen="800x600x24", timeout=WAIT):
    """Starts Xvfb on a free display number for this test (killed when the
    test ends, like everything spawned here). Returns the DISPLAY value,
    ":N", once the server accepts clients. The package must be installed
    (require_debian_package("xvfb", ...)): a server that does not start is a
    failure."""
    xvfb = shutil.which("Xvfb") or "/usr/bin/Xvfb"
    err_path = Path(tmp("xvfb.stderr"))
    rfd, wfd = os.pipe()
    try:
        with open(err_path, "wb") as err:
            p = _popen([xvfb, "-displayfd", str(wfd), "-screen", "0", screen, "-nolisten", "tcp",
                        "-noreset"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=err, pass_fds=(wfd,))
    finally:
        os.close(wfd)
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while not buf.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([rfd], [], [], 0.1)
            if ready:
                chunk = os.read(rfd, 64)
                if not chunk:
                    break
                buf += chunk
            elif p.poll() is not None:
                break
    finally:
        os.close(rfd)
    if not buf.strip().isdigit():
        raise AssertionError("Xvfb did not start (status %s): %s" % (
            p.poll(), err_path.read_text(errors="replace")[-800:]))
    return ":" + buf.decode().strip()


# ---------------------------------------------------------------- probes left behind

def _bpf_prog_names():
    """The names of our BPF programs as libbpf reads them from the object
    that leaktrace embeds, cut to the 15 characters the kernel keeps."""
    assert BPF_PROGS.exists(), "%s is not built: run `make workloads`" % BPF_PROGS
    r = subprocess.run([str(BPF_PROGS)], capture_output=True, text=True, timeout=30)
    names = r.stdout.split()
    assert r.returncode == 0 and names, "%s failed (status %d): %s" % (
        BPF_PROGS, r.returncode, r.stderr.strip())
    return {n[:15] for n in names}


def _running_leaktraces():
    out = {}
    for pid in _proc_pids():
        try:
            comm = Path("/proc/%d/comm" % pid).read_text().strip()
            state = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if comm == "leaktrace" and state != "Z":
            out[pid] = comm
    return out


def _bpftool_json(*args):
    r = subprocess.run([BPFTOOL, "-j"] + list(args), capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, "bpftool %s failed: %s" % (" ".join(args), r.stderr.strip())
    return json.loads(r.stdout or "[]")


def _held_prog_ids(pids):
    """IDs of the BPF programs that @pids hold, directly or through a link, as
    their descriptors' fdinfo says: bpftool names no holder where it is
    built without pid support, or where only links hold a program."""
    ids = set()
    for pid in pids:
        try:
            fds = os.listdir("/proc/%d/fdinfo" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                text = Path("/proc/%d/fdinfo/%s" % (pid, fd)).read_text()
            except OSError:
                continue
            ids.update(int(m) for m in re.findall(r"^prog_id:\s*(\d+)$", text, re.M))
    return ids


def _leftovers(names):
    """What of ours is still in the kernel. Probes held by a leaktrace we did
    not start (another session on this machine) are not ours to judge."""
    running = _running_leaktraces()
    ours_running = set(running) & _leaktrace_pids
    foreign = set(running) - _leaktrace_pids
    foreign_progs = _held_prog_ids(foreign)
    problems = []
    if ours_running:
        problems.append("leaktrace processes we started still run: %s" % sorted(ours_running))
    for line in (TRACEFS / "uprobe_events").read_text().splitlines():
        if not line.strip():
            continue
        m = re.search(r"libbpf_(\d+)_", line)
        if m and int(m.group(1)) in foreign:
            continue
        problems.append("uprobe_events: %s" % line)
    for prog in _bpftool_json("prog", "show"):
        if prog.get("name") not in names:
            continue
        owners = {p.get("pid") for p in prog.get("pids") or []}
        if (owners and owners <= foreign) or prog.get("id") in foreign_progs:
            continue
        problems.append("BPF program %s (id %s) still loaded, held by %s" % (
            prog.get("name"), prog.get("id"), sorted(owners) or "no process (pinned?)"))
    for ev in _bpftool_json("perf"):
        if ev.get("pid") in _leaktrace_pids or ev.get("pid") in ours_running:
            problems.append("perf event of leaktrace pid %s: %s" % (ev.get("pid"), json.dumps(ev)))
    return problems


def check_no_probes_left(timeout=WAIT):
    """No uprobe, BPF program of ours or perf event of a leaktrace we started
    is left once our leaktraces are gone. The kernel frees programs a moment
    after their last holder exits (longer on a loaded machine), so what is
    left must stay so for @timeout seconds to count: another session's
    leaktrace that just exited leaves programs held by no one for a moment,
    and where sessions come and go there may never be a moment with none."""
    require_root()
    if not (TRACEFS / "uprobe_events").exists():
        subprocess.run(["mount", "-t", "tracefs", "nodev", str(TRACEFS)], check=True)
    names = _bpf_prog_names()
    deadline = time.monotonic() + timeout
    lasting = set(_leftovers(names))
    while lasting and time.monotonic() < deadline:
        time.sleep(0.2)
        lasting &= set(_leftovers(names))
    assert not lasting, "left behind:\n  " + "\n  ".join(sorted(lasting))


# ---------------------------------------------------------------- exact phases

def uprobe_multi_links(pid):
    """uprobe_multi links process @pid holds (its fdinfo says the type)."""
    n = 0
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                n += "link_type:\tuprobe_multi" in f.read()
        except OSError:
            pass
    return n


def exact_records(recs, pid, state):
    """The `exact` records of @pid in state @state (start, failed, end)."""
    return [r for r in recs if r["type"] == "exact" and r["pid"] == pid and r["state"] == state]


def heap_stacks_of(rec, pid):
    """The heap stacks of @pid in interval record @rec."""
    return [s for s in rec["stacks"] if s["pid"] == pid and s["kind"] == "heap"]
