#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The soak (`make soak`): `leaktrace --system` for a long time under process
churn with its allocation map full, sampled every minute: leaktrace's own
resident memory, how late its reports came, what it dropped. Writes the
samples as a Markdown table to bench/results/soak.md and stdout.

    scripts/soak.py [--minutes M] [--interval SEC] [--max-allocs N]

Load: a spawner of short processes started again whenever it is done (each
fork leaks and exits), and four leakers whose blocks fill --max-allocs within
the first minutes and keep it full. Needs root, ./leaktrace and `make
workloads`. Everything it starts is stopped at the end, or on Ctrl-C."""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKLOADS = ROOT / ".output" / "workloads"
RESULTS = ROOT / "bench" / "results"


def rss_kib(pid):
    """(resident, of which anonymous, of which mapped files) in KiB: the
    pages of the ELF files that libdwfl maps are the page cache's, counted
    in the resident memory of every process that maps them."""
    got = {}
    try:
        for line in Path("/proc/%d/status" % pid).read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                got[key] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return got.get("VmRSS", 0), got.get("RssAnon", 0), got.get("RssFile", 0)


def open_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return 0


def cpu_seconds(pid):
    try:
        f = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def read_records(path, offset):
    """New complete JSON lines of @path from byte @offset: (records, offset)."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError:
        return [], offset
    end = data.rfind(b"\n") + 1
    recs = []
    for line in data[:end].splitlines():
        try:
            recs.append(json.loads(line))
        except ValueError:
            recs.append({"type": "invalid"})
    return recs, offset + end


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", 60)))
    ap.add_argument("--interval", type=float, default=5.0)
    ap.add_argument("--max-allocs", type=int, default=65536)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("soak: needs root (BPF)")
    for w in ("spawner", "sysleak"):
        if not (WORKLOADS / w).exists():
            sys.exit("soak: %s is missing: run `make workloads`" % (WORKLOADS / w))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "soak.jsonl"
    procs = []

    def start(argv):
        p = subprocess.Popen([str(a) for a in argv], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
        procs.append(p)
        return p

    lt = subprocess.Popen([str(ROOT / "leaktrace"), "--system", "-i", str(args.interval),
                           "--max-allocs", str(args.max_allocs), "-n", "5", "-o", str(out)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          start_new_session=True)
    rows, offset, due, late_max, intervals, invalid = [], 0, None, 0.0, 0, 0
    start_t = time.monotonic()
    stopped = ""
    try:
        time.sleep(3)
        for size in (4096, 2048, 1024, 512):
            start([WORKLOADS / "sysleak", size])
        spawner = start([WORKLOADS / "spawner", 400])
        next_sample = start_t + 60
        while time.monotonic() - start_t < args.minutes * 60:
            if lt.poll() is not None:
                raise SystemExit("soak: leaktrace exited with %d: %s" % (
                    lt.returncode, lt.stderr.read().decode(errors="replace")[-2000:]))
            if spawner.poll() is not None:
                spawner = start([WORKLOADS / "spawner", 400])
            recs, offset = read_records(out, offset)
            for r in recs:
                if r.get("type") == "invalid":
                    invalid += 1
                if r.get("type") != "interval":
                    continue
                intervals += 1
                due = (due or 0) + args.interval
                late_max = max(late_max, r["t"] - due)
                last = r
            if time.monotonic() >= next_sample:
                minute = round((time.monotonic() - start_t) / 60)
                rss, anon, files = rss_kib(lt.pid)
                rows.append((minute, rss / 1024, anon / 1024, files / 1024, open_fds(lt.pid),
                             cpu_seconds(lt.pid), intervals, late_max,
                             last.get("dropped", 0) if intervals else 0,
                             last.get("counters", {}).get("allocs_full", 0) if intervals else 0))
                print("minute %d: rss %.1f MiB (anon %.1f, files %.1f), %d fds, cpu %.1f s, "
                      "%d reports, latest %.2f s late" % rows[-1][:8], flush=True)
                late_max = 0.0
                next_sample += 60
            time.sleep(1)
    except KeyboardInterrupt:
        stopped = " Stopped by Ctrl-C after %.1f min." % ((time.monotonic() - start_t) / 60)
    finally:
        lt.send_signal(signal.SIGINT)
        try:
            lt.wait(timeout=60)
        except subprocess.TimeoutExpired:
            lt.kill()
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
    table = ["| minute | leaktrace RSS (MiB) | anonymous | mapped files | open fds | "
             "CPU (s, total) | reports so far | latest report past due (s) | "
             "dropped (total) | allocs_full |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    table += ["| %d | %.1f | %.1f | %.1f | %d | %.1f | %d | %.2f | %d | %d |" % r for r in rows]
    text = ("# Soak: leaktrace --system, %g min, -i %g, --max-allocs %d\n\n%s\n\n"
            "Invalid JSON lines: %d. leaktrace exited with %d.%s\n" % (
                args.minutes, args.interval, args.max_allocs, "\n".join(table), invalid,
                lt.returncode, stopped))
    (RESULTS / "soak.md").write_text(text)
    print(text)
    return 1 if invalid or lt.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
