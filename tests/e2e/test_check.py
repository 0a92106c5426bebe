# SPDX-License-Identifier: GPL-2.0-only
"""--check: what this machine offers for leaktrace. As root here everything
required is there (exit 0); a missing BTF file or missing privileges are
named with their fix (exit 1); --json is one object; a target with --check
is a usage error (exit 2). A source whose program the kernel refuses is
left off, by --check and by a run alike, each saying why."""

import json
import re

from common import (assert_one_error_line, assert_site, load_stream, marker_line, require_root,
                    run_leaktrace, tmp, workload)

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
ITEMS = ("kernel", "btf", "privileges", "uprobes", "uprobe_multi", "tracefs", "tracepoints",
         "lockdown", "unprivileged_bpf", "perf_paranoid", "memlock", "bpf_features", "bpf_load",
         "sources")
# required, so ok wherever the e2e tests can run
MUST_BE_OK = ("kernel", "btf", "privileges", "uprobes", "tracefs", "tracepoints",
              "bpf_features", "bpf_load")


def _lines(out):
    """Item name -> (status, rest of the line), from the text output."""
    items = {}
    for line in out.splitlines():
        m = re.match(r"^  (\S+)\s+(ok|missing|info)\s+(.*)$", line)
        if m:
            items[m.group(1)] = (m.group(2), m.group(3))
    return items


def test_check_root_ok():
    require_root()
    rc, out, err = run_leaktrace(["--check"])
    assert rc == 0, "--check as root: exit status %d\n%s%s" % (rc, out, err)
    items = _lines(out)
    for name in ITEMS:
        assert name in items, "--check printed no %s line:\n%s" % (name, out)
    bad = ["%s: %s %s" % (n, *items[n]) for n in MUST_BE_OK if items[n][0] != "ok"]
    assert not bad, "not ok as root here:\n  " + "\n  ".join(bad)
    assert "missing" not in out, out
    # one column for the status: the lines are aligned
    cols = {line.index(items[n][0] + " ", 2 + len(n)) for n in ITEMS
            for line in out.splitlines() if line.startswith("  %s " % n)}
    assert len(cols) == 1, "status column not aligned:\n%s" % out
    assert "can run" in out.splitlines()[-1], out


def test_check_missing_btf():
    require_root()
    rc, out, _ = run_leaktrace(["--check", "--btf", "/nonexistent/vmlinux"])
    assert rc == 1, "--check with a missing BTF file: exit status %d, want 1\n%s" % (rc, out)
    status, rest = _lines(out)["btf"]
    assert status == "missing", "btf: %s %s" % (status, rest)
    assert "/nonexistent/vmlinux" in rest and "--btf FILE" in rest, (
        "btf line names neither the file nor the fix: %s" % rest)
    assert "cannot run" in out.splitlines()[-1], out


def test_check_not_root():
    require_root()
    rc, out, err = run_leaktrace(["--check"], prefix=NOBODY)
    assert rc == 1, "--check as nobody: exit status %d, want 1\n%s%s" % (rc, out, err)
    status, rest = _lines(out)["privileges"]
    assert status == "missing", "privileges: %s %s" % (status, rest)
    assert "run as root" in rest, "privileges line gives no fix: %s" % rest


def test_check_json():
    require_root()
    rc, out, _ = run_leaktrace(["--check", "--json"])
    assert rc == 0, "--check --json: exit status %d" % rc
    lines = out.splitlines()
    assert len(lines) == 1, "--check --json printed %d lines, want 1 object" % len(lines)
    rec = json.loads(lines[0])
    assert rec["type"] == "check" and rec["ok"] is True, rec
    assert isinstance(rec["version"], str) and rec["version"], rec
    by_name = {}
    for it in rec["items"]:
        assert set(it) <= {"name", "status", "detail", "fix"}, "unknown fields: %r" % it
        assert it["status"] in ("ok", "missing", "info"), it
        assert isinstance(it["detail"], str) and it["detail"], it
        by_name[it["name"]] = it
    assert set(ITEMS) <= set(by_name), "items missing from JSON: %s" % (
        sorted(set(ITEMS) - set(by_name)))
    for name in MUST_BE_OK:
        assert by_name[name]["status"] == "ok", by_name[name]

    rc, out, _ = run_leaktrace(["--check", "--json", "--btf", "/nonexistent"])
    rec = json.loads(out)
    btf = [it for it in rec["items"] if it["name"] == "btf"][0]
    assert rc == 1 and rec["ok"] is False, "missing BTF: exit %d, ok %r" % (rc, rec["ok"])
    assert btf["status"] == "missing" and "--btf" in btf["fix"], btf


def test_check_with_target():
    require_root()
    for args in (["--check", "-p", "1"], ["--check", "--", "true"], ["--check", "--system"]):
        rc, _, err = run_leaktrace(args)
        assert_one_error_line(rc, err, "--check")


def _btf_without_max_fds():
    """The kernel's BTF with struct fdtable's max_fds renamed: libbpf finds
    nothing for the field close_range_enter reads (source fd), marks the
    instruction, and the kernel's verifier refuses the program, as a kernel
    without something a program needs would."""
    data = open("/sys/kernel/btf/vmlinux", "rb").read()
    assert data.count(b"\0max_fds\0") == 1, "no single max_fds string in the kernel's BTF"
    path = tmp("vmlinux-no-max_fds.btf")
    with open(path, "wb") as f:
        f.write(data.replace(b"\0max_fds\0", b"\0max_fdz\0"))
    return path


def test_refused_source_off():
    """The kernel refuses a program of source fd: --check says the run
    traces libc only and why; the run warns once in the same words, and
    finds the heap leak; with fd the only source asked for, it fails."""
    require_root()
    btf = _btf_without_max_fds()
    why = "close_range_enter: a kernel type or field it reads is not in the kernel's BTF"
    rc, out, err = run_leaktrace(["--check", "--sources", "libc,fd", "--btf", btf], timeout=60)
    assert rc == 0, "--check: exit status %d\n%s%s" % (rc, out, err)
    items = _lines(out)
    assert items["bpf_load"][0] == "info" and why in items["bpf_load"][1], items["bpf_load"]
    assert items["sources"] == ("ok", "a run traces libc"), items["sources"]

    out_json = tmp("refused.json")
    rc, _, err = run_leaktrace(["--sources", "libc,fd", "--btf", btf, "-i", "0.5", "-w", "2",
                                "-o", out_json, "--", workload("leaky"), "--iterations", "150"],
                               timeout=60)
    assert rc == 0, "run without source fd: exit status %d\n%s" % (rc, err)
    warned = [l for l in err.splitlines() if "source fd is off" in l]
    assert len(warned) == 1 and why in warned[0], "want one warning naming %s:\n%s" % (why, err)
    recs = load_stream(out_json, window=2, top=10, interval=0.5)
    assert recs[0]["sources"] == ["libc"], "start sources %r" % recs[0]["sources"]
    assert_site(recs[-1]["stacks"][0]["frames"][0], "leak_site", "leaky.c",
                marker_line("leaky.c", "leak_site"))

    rc, _, err = run_leaktrace(["--sources", "fd", "--btf", btf, "--", "true"], timeout=60)
    assert_one_error_line(rc, err, "close_range_enter", rc_want=1)


def test_check_sources_none():
    # --sources none: what a run then traces, in the check's own words
    require_root()
    rc, out, err = run_leaktrace(["--check", "--sources", "none"], timeout=60)
    assert rc == 0, "leaktrace --check --sources none exited with %d: %s" % (rc, err[-500:])
    items = _lines(out)
    assert items["sources"] == ("ok", "a run traces no source, with no probe: the census of a "
                                "CPython target alone"), items["sources"]
