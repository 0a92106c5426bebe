#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Runs leaktrace's tests and prints one line per test and a summary.

    tests/run.py [--unit] [--fuzz] [--e2e] [-k SUBSTRING] [--timeout SEC]
                 [--fuzz-seconds SEC] [--fuzz-keep]

--unit runs every .output/san/tests/test_* binary (`make SANITIZE=1 unit`);
each "ok N - ..." / "not ok N - ..." line it prints is one test, named
binary:N; "ok N - ... # SKIP why" is a skip (tests/unit/ut.h's ut_skip), and
"# SKIP-ALWAYS why" one that CI accepts too (ut_skip_always). A binary that
crashes, or exits non-zero without a "not ok" line, counts as one more failure.
--fuzz runs each libFuzzer harness .output/fuzz/fuzz_NAME (`make fuzzers`)
for --fuzz-seconds (15) from its seed corpus tests/fuzz/corpus/NAME, new
inputs going to a temporary directory (with --fuzz-keep, to
.output/fuzz/corpus/NAME, as `make fuzz` does): one test each, which fails
on a crash, a sanitizer report, a leak, a timeout or running out of memory,
and then names the input that did it (.output/fuzz/crashes/NAME/) and how
to rerun it.
--e2e imports tests/e2e/test_*.py and runs their test_* functions in file
order (needs root, ./leaktrace and `make workloads`). A test passes if it
returns, fails on any exception, and is skipped on common.Skip; under CI
(CI=true) a skip is a failure, except common.SkipAlways (what the test
needs cannot exist there), and so is a unit-test "# SKIP" line but not a
"# SKIP-ALWAYS" one. No flag runs all three. The last line is always
"N passed, N failed[, N skipped]"; the exit status is 0 iff nothing failed."""

import argparse
import importlib.util
import os
import signal
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.dont_write_bytecode = True	# keep tests/ free of __pycache__

ROOT = Path(__file__).resolve().parents[1]
UNIT_BIN_DIR = ROOT / ".output" / "san" / "tests"
UNIT_SRC_DIR = ROOT / "tests" / "unit"
E2E_DIR = ROOT / "tests" / "e2e"
FUZZ_BIN_DIR = ROOT / ".output" / "fuzz"
FUZZ_SRC_DIR = ROOT / "tests" / "fuzz"
UNIT_TIMEOUT = 120
CI = os.environ.get("CI") == "true"


class Results:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def ok(self, name, secs=None):
        self.passed += 1
        print("PASS %s%s" % (name, " (%.1fs)" % secs if secs is not None else ""), flush=True)

    def fail(self, name, msg, detail=""):
        self.failed += 1
        print("FAIL %s: %s" % (name, msg), flush=True)
        if detail:
            print(detail.rstrip("\n"), flush=True)

    def skip(self, name, reason, ci_ok=False):
        if CI and not ci_ok:
            self.fail(name, "skipped under CI, where it must run: %s" % reason)
            return
        self.skipped += 1
        print("SKIP %s: %s" % (name, reason), flush=True)

    def summary(self):
        s = "%d passed, %d failed" % (self.passed, self.failed)
        if self.skipped:
            s += ", %d skipped" % self.skipped
        return s


# ---------------------------------------------------------------- unit

def run_unit(res, pattern):
    bins = sorted(p for p in UNIT_BIN_DIR.glob("test_*") if p.is_file() and os.access(p, os.X_OK))
    srcs = sorted(p.stem for p in UNIT_SRC_DIR.glob("test_*.c"))
    missing = [s for s in srcs if not (UNIT_BIN_DIR / s).exists()]
    for s in missing:
        if not pattern or pattern in s:
            res.fail(s, "not built: run `make SANITIZE=1 unit`")
    for b in bins:
        if pattern and pattern not in b.name:
            # -k may name one check (binary:N): run the binary, filter its lines.
            if not pattern.startswith(b.name + ":"):
                continue
        run_unit_binary(res, b, pattern)


def run_unit_binary(res, binary, pattern):
    name = binary.name
    t0 = time.monotonic()
    try:
        env = dict(os.environ, LSAN_OPTIONS="suppressions=%s" % (UNIT_SRC_DIR / "lsan.supp"))
        r = subprocess.run([str(binary)], cwd=ROOT, capture_output=True, timeout=UNIT_TIMEOUT,
                           stdin=subprocess.DEVNULL, start_new_session=True, env=env)
        out, err, rc = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace"), r.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        err = (e.stderr or b"").decode(errors="replace")
        rc = None
    secs = time.monotonic() - t0
    not_ok = 0
    for line in out.splitlines():
        for prefix, good in (("ok ", True), ("not ok ", False)):
            if not line.startswith(prefix):
                continue
            num, _, desc = line[len(prefix):].partition(" - ")
            test = "%s:%s" % (name, num.strip())
            if pattern and pattern not in test and pattern not in name:
                break
            skip, why = "", ""
            if good:
                desc, skip, why = desc.partition(" # SKIP")
            if skip:
                always = why.startswith("-ALWAYS")
                why = why[len("-ALWAYS"):] if always else why
                res.skip("%s - %s" % (test, desc), why.strip(), ci_ok=always)
            elif good:
                res.ok("%s - %s" % (test, desc))
            else:
                not_ok += 1
                res.fail(test, desc)
            break
    tail = "\n".join("  | " + l for l in err.rstrip("\n").splitlines()[-20:])
    if rc is None:
        res.fail(name, "timed out after %ds" % UNIT_TIMEOUT, tail)
    elif rc < 0:
        res.fail(name, "killed by signal %d after %.1fs" % (-rc, secs), tail)
    elif rc != 0 and not not_ok:
        res.fail(name, "exited with status %d and no 'not ok' line" % rc, tail)
    elif rc == 0 and not_ok:
        res.fail(name, "printed %d 'not ok' lines but exited 0" % not_ok)


# ---------------------------------------------------------------- fuzz

def run_fuzz(res, pattern, seconds, keep):
    for src in sorted(FUZZ_SRC_DIR.glob("fuzz_*.c")):
        if pattern and pattern not in src.stem:
            continue
        binary = FUZZ_BIN_DIR / src.stem
        if not binary.exists():
            res.fail(src.stem, "not built: run `make fuzzers`")
            continue
        run_fuzzer(res, binary, src.stem[len("fuzz_"):], seconds, keep)


def run_fuzzer(res, binary, name, seconds, keep):
    seeds = FUZZ_SRC_DIR / "corpus" / name
    crashes = FUZZ_BIN_DIR / "crashes" / name
    crashes.mkdir(parents=True, exist_ok=True)
    limit = seconds + 120
    with tempfile.TemporaryDirectory(prefix="lt-fuzz-") as tmp:
        # libFuzzer adds what it finds to the first directory only
        corpus = FUZZ_BIN_DIR / "corpus" / name if keep else Path(tmp)
        corpus.mkdir(parents=True, exist_ok=True)
        cmd = [str(binary), "-max_total_time=%d" % seconds, "-timeout=10", "-rss_limit_mb=2048",
               "-print_final_stats=1", "-artifact_prefix=%s/" % crashes, str(corpus), str(seeds)]
        t0 = time.monotonic()
        try:
            r = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=limit,
                               stdin=subprocess.DEVNULL, start_new_session=True)
            out, rc = (r.stdout + r.stderr).decode(errors="replace"), r.returncode
        except subprocess.TimeoutExpired as e:
            out, rc = ((e.stdout or b"") + (e.stderr or b"")).decode(errors="replace"), None
    secs = time.monotonic() - t0
    test = binary.name
    if rc == 0:
        stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", out, re.M))
        cov = re.findall(r"\bcov: (\d+)", out)
        res.ok("%s (%s runs, %s/s, cov %s)" % (test, stats.get("number_of_executed_units", "?"),
                                               stats.get("average_exec_per_sec", "?"),
                                               cov[-1] if cov else "?"), secs)
        return
    lines = out.splitlines()
    # the report, from the sanitizer's, libFuzzer's or the harness's first line
    start = next((i for i, l in enumerate(lines)
                  if re.search(r"==ERROR|runtime error|invariant broken|ERROR: libFuzzer", l)),
                 max(0, len(lines) - 30))
    tail = "\n".join("  | " + l for l in lines[start:start + 40])
    why = "timed out after %ds" % limit if rc is None else "exited with status %d" % rc
    written = re.findall(r"Test unit written to (\S+)", out)
    if written:
        path = os.path.relpath(written[-1], ROOT)
        res.fail(test, "%s after %.1fs; reproducer %s (rerun: %s %s)"
                 % (why, secs, path, os.path.relpath(binary, ROOT), path), tail)
    else:
        res.fail(test, why, tail)


# ---------------------------------------------------------------- e2e

class TestTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise TestTimeout()


def load_e2e_tests():
    sys.path.insert(0, str(E2E_DIR))
    import common  # noqa: E402
    tests = []
    for path in sorted(E2E_DIR.glob("test_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for name, fn in vars(mod).items():
            if name.startswith("test_") and callable(fn) and getattr(fn, "__module__", None) == mod.__name__:
                tests.append(("%s::%s" % (path.stem, name), fn))
    return common, tests


def run_e2e(res, pattern, timeout):
    try:
        common, tests = load_e2e_tests()
    except Exception:
        res.fail("e2e", "cannot load the tests", traceback.format_exc())
        return
    root = os.geteuid() == 0
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        for name, fn in tests:
            if pattern and pattern not in name:
                continue
            if not root:
                res.skip(name, "needs root (BPF)")
                continue
            run_one(res, common, name, fn, getattr(fn, "timeout", timeout))
    finally:
        signal.alarm(0)
        n = common.kill_leftovers()
        if n:
            print("# killed %d leftover process(es)" % n, flush=True)


def run_one(res, common, name, fn, timeout):
    common.begin_test(name.split("::")[-1])
    t0 = time.monotonic()
    failed = False
    try:
        signal.alarm(timeout)
        try:
            fn()
        finally:
            signal.alarm(0)
        res.ok(name, time.monotonic() - t0)
    except common.Skip as e:
        res.skip(name, str(e), ci_ok=getattr(e, "ci_ok", False))
    except TestTimeout:
        failed = True
        res.fail(name, "timed out after %ds" % timeout, common.leaktrace_stderr_tail())
    except AssertionError as e:
        failed = True
        res.fail(name, str(e) or "assertion failed:\n" + traceback.format_exc(limit=-2),
                 common.leaktrace_stderr_tail())
    except Exception as e:
        failed = True
        res.fail(name, "%s: %s" % (type(e).__name__, e),
                 traceback.format_exc(limit=-3) + common.leaktrace_stderr_tail())
    finally:
        kept = common.end_test(keep_dir=failed)
        if failed and kept:
            print("  (files kept in %s)" % kept, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--unit", action="store_true", help="run the unit tests")
    ap.add_argument("--fuzz", action="store_true", help="run each fuzzing harness for a while")
    ap.add_argument("--e2e", action="store_true", help="run the end-to-end tests (root)")
    ap.add_argument("-k", metavar="SUBSTRING", help="only tests whose name contains SUBSTRING")
    # Tests wait for what they check, each wait bounded by common.WAIT: this
    # bound is for a test that hangs all the same.
    ap.add_argument("--timeout", type=int, default=300,
                    help="seconds per e2e test (default 300)")
    ap.add_argument("--fuzz-seconds", type=int, default=15, metavar="SEC",
                    help="seconds per fuzzing harness (default 15)")
    ap.add_argument("--fuzz-keep", action="store_true",
                    help="keep new fuzzing inputs in .output/fuzz/corpus/NAME")
    args = ap.parse_args()
    if not args.unit and not args.fuzz and not args.e2e:
        args.unit = args.fuzz = args.e2e = True
    res = Results()
    try:
        if args.unit:
            run_unit(res, args.k)
        if args.fuzz:
            run_fuzz(res, args.k, args.fuzz_seconds, args.fuzz_keep)
        if args.e2e:
            run_e2e(res, args.k, args.timeout)
    except KeyboardInterrupt:
        res.fail("run.py", "interrupted")
    print(res.summary(), flush=True)
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
