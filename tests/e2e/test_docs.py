# SPDX-License-Identifier: GPL-2.0-only
"""What ships beside the binary: `make install` with DESTDIR and PREFIX puts
the binary, the man page and the bash completion in place; the man page
renders without a warning from groff; every option --help lists is in the
man page, in the completion and in README.md, and nothing else is in the
first two, so that none can drift from the others (the list comes from --help
itself); every field leaktrace really writes in its JSON lines is in
docs/json.md (read from runs on small programs, not from a list kept here);
and nothing in the repository sends its reader to files a user of it does
not have (the project's internal specification and style guide)."""

import json
import os
import re
import signal
import subprocess
from pathlib import Path

from common import (LEAKTRACE, PY_WORKLOAD_SRC, ROOT, intervals, read_jsonl, require_binary,
                    spawn_workload, wait_for_start,
                    require_debian_package, require_root, run_leaktrace, start_leaktrace_bg,
                    tmp, trace_until, wait_records, workload)

MAN_PAGE = ROOT / "docs" / "leaktrace.8"
README = ROOT / "README.md"
JSON_DOC = ROOT / "docs" / "json.md"
COMPLETION = ROOT / "docs" / "leaktrace.bash"
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


def _help(flag="--help", *pre):
    require_binary()
    r = subprocess.run([str(LEAKTRACE), *pre, flag], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, "leaktrace %s: exit status %d, stderr %r" % (
        flag, r.returncode, r.stderr)
    return r.stdout


def help_options(*pre):
    """Every option --help lists, short and long ("-p", "--pid", ...). Its
    option column starts 2 or 6 spaces in; wrapped text is indented more.
    @pre: a subcommand ("report")."""
    opts = set()
    for line in _help("--help", *pre).splitlines():
        m = re.match(r"^ {2,6}(-\S.*?)(?:  |$)", line)
        if not m:
            continue
        for part in m.group(1).split(", "):
            name = re.match(r"^(--?[A-Za-z0-9?][A-Za-z0-9-]*)", part.strip())
            assert name, "cannot read an option in --help line %r" % line
            opts.add(name.group(1))
    if pre:
        return opts
    assert {"-p", "--pid", "--system", "--json", "-h", "--help", "--version"} <= opts, (
        "options read from --help look wrong: %s" % sorted(opts))
    return opts


def _man_text():
    """The man page's source, with "\\-" a hyphen and font changes gone."""
    return re.sub(r"\\f[BIRP]", " ", MAN_PAGE.read_text().replace("\\-", "-"))


def _man_option_headings(section="OPTIONS"):
    """The options that head an entry (.TP) of the man page's @section."""
    lines = _man_text().splitlines()
    start = lines.index(".SH %s" % section)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(".SH "))
    heads = set()
    for i in range(start, end - 1):
        if lines[i] == ".TP":
            heads |= set(re.findall(r"(?<![\w-])(--?[A-Za-z?][A-Za-z0-9-]*)", lines[i + 1]))
    return heads


def _complete(*words):
    """What the completion offers for the command line `leaktrace WORDS`, the
    last word being completed, run by bash with bash-completion loaded."""
    script = r"""
source %s
source %s
COMP_WORDS=(leaktrace "$@")
COMP_CWORD=$#
COMP_LINE="leaktrace $*"
COMP_POINT=${#COMP_LINE}
_leaktrace leaktrace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%%s\n' "${COMPREPLY[@]}"
""" % (BASH_COMPLETION, COMPLETION)
    r = subprocess.run(["bash", "-c", script, "bash", *words], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, "bash completion failed (%d): %s" % (r.returncode, r.stderr)
    return set(filter(None, r.stdout.splitlines()))


def test_short_help():
    """-h is --help."""
    assert _help("-h") == _help("--help"), "leaktrace -h does not print what --help does"
    assert "leaktrace(8)" in _help(), "--help does not point at the man page"


def test_man_page_lists_every_option():
    opts = help_options()
    missing = sorted(o for o in opts if o not in _man_option_headings())
    assert not missing, "options of --help without an entry in docs/leaktrace.8: %s" % missing
    stale = sorted(o for o in _man_option_headings() - opts if o != "--")
    assert not stale, "docs/leaktrace.8 has entries for options --help does not list: %s" % (
        stale)


def test_man_page_renders_cleanly():
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    r = subprocess.run(["man", "--warnings", "-l", str(MAN_PAGE)], capture_output=True,
                       text=True, env=env, timeout=60)
    assert r.returncode == 0, "man -l failed (%d): %s" % (r.returncode, r.stderr)
    assert not r.stderr.strip(), "man --warnings -l %s warns:\n%s" % (MAN_PAGE, r.stderr)
    text = re.sub(r".\x08", "", r.stdout)
    for section in ("NAME", "SYNOPSIS", "OPTIONS", "EXIT STATUS", "EXAMPLES", "FILES",
                    "JSON LINES"):
        assert re.search(r"^%s$" % section, text, re.M), "the page has no %s section" % section
    assert all(len(line) <= 80 for line in text.splitlines()), "lines wider than MANWIDTH"


def test_report_options_documented():
    """leaktrace report's options: each in the man page's RECORDINGS and in
    the completion after `report`, and nothing else; the completion offers
    the subcommand, and recordings after it."""
    opts = help_options("report")
    assert {"--at", "--from", "--to", "--json", "-n", "--pprof"} <= opts, sorted(opts)
    argp_own = {"-?", "--help", "-h", "--usage", "-V", "--version"}
    heads = _man_option_headings("RECORDINGS")
    missing = sorted(opts - argp_own - heads)
    assert not missing, "report options without an entry in RECORDINGS: %s" % missing
    stale = sorted(heads - opts)
    assert not stale, "RECORDINGS has entries for options report --help lacks: %s" % stale
    require_debian_package("bash-completion", "bash-completion")
    offered = _complete("report", "-")
    assert offered == opts, "completion after report: missing %s, extra %s" % (
        sorted(opts - offered), sorted(offered - opts))
    assert _complete("rep") == {"report"}
    assert _complete("report", "--f") == {"--from", "--folded"}


def test_completion_offers_every_option():
    require_debian_package("bash-completion", "bash-completion")
    opts = help_options()
    offered = _complete("-")
    missing = sorted(opts - offered)
    assert not missing, "the completion does not offer %s" % missing
    stale = sorted(o for o in offered - opts if o != "--")
    assert not stale, "the completion offers options --help does not list: %s" % stale
    assert _complete("--unwind", "") == {"tables", "fp"}
    assert _complete("--sources", "auto,f") == {"auto,fd"}
    assert "--system" in _complete("--sys")
    # after --, the words are the command's: no options of leaktrace's
    assert "--system" not in _complete("--", "ls", "--sys")


def test_install_destdir_prefix():
    require_binary()
    for prefix, sbin in ((None, "usr/local/sbin"), ("/usr", "usr/sbin")):
        dest = Path(tmp("stage-%s" % (prefix or "default").strip("/")))
        args = ["make", "--no-print-directory", "install", "DESTDIR=%s" % dest]
        if prefix:
            args.append("PREFIX=%s" % prefix)
        r = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, "%s failed (%d):\n%s" % (" ".join(args), r.returncode,
                                                           (r.stdout + r.stderr)[-2000:])
        share = os.path.dirname(sbin) + "/share"
        want = {
            "%s/leaktrace" % sbin: (LEAKTRACE, 0o755),
            "%s/man/man8/leaktrace.8" % share: (MAN_PAGE, 0o644),
            "%s/bash-completion/completions/leaktrace" % share: (COMPLETION, 0o644),
        }
        got = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
        assert got == sorted(want), "make install %s put %s" % (" ".join(args[3:]), got)
        for rel, (src, mode) in want.items():
            path = dest / rel
            assert path.read_bytes() == src.read_bytes(), "%s differs from %s" % (path, src)
            assert path.stat().st_mode & 0o777 == mode, "%s: mode %o, want %o" % (
                path, path.stat().st_mode & 0o777, mode)


def test_readme_lists_every_option():
    """Each option of --help (and of `leaktrace report --help`) heads a row
    of one of README's option tables: `| `-p, --pid PID` | ...`."""
    text = README.read_text()
    heads = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            heads |= set(re.findall(r"(?<![\w-])(--?[A-Za-z?][A-Za-z0-9-]*)", first))
    argp_own = {"-?", "--usage"}
    missing = sorted(o for o in help_options() - argp_own if o not in heads)
    assert not missing, "options of --help in no option table of README.md: %s" % missing
    missing = sorted(o for o in help_options("report") - argp_own - {"-h", "--help", "-V",
                                                                     "--version"}
                     if o not in heads)
    assert not missing, "options of leaktrace report --help not in README.md: %s" % missing


# The internal specification and style guide: built from pieces, so that
# this file does not name them itself.
_INTERNAL = re.compile(r"\b(%s|%s)(\.md|'s)?\b" % ("SP" + "EC", "STY" + "LE"))


def test_no_reference_to_internal_documents():
    """Users of the repository have neither file: no document, test, comment
    or source may send them there. Every tracked text file is read, this one
    included."""
    r = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, timeout=60)
    if r.returncode:
        files = [p.relative_to(ROOT) for p in ROOT.rglob("*") if p.is_file()
                 and ".output" not in p.parts and ".git" not in p.parts]
    else:
        files = [Path(os.fsdecode(f)) for f in r.stdout.split(b"\0") if f]
    bad = []
    for rel in files:
        if rel.parts[0] in ("vmlinux",) or rel.name == "LICENSE":
            continue
        try:
            text = (ROOT / rel).read_text()
        except (UnicodeDecodeError, OSError):
            continue
        for no, line in enumerate(text.splitlines(), 1):
            if _INTERNAL.search(line):
                bad.append("%s:%d: %s" % (rel, no, line.strip()[:100]))
    assert not bad, "references to documents users do not have:\n  " + "\n  ".join(bad)


def documented_fields():
    """{object: its fields} from docs/json.md: after each anchor
    <a id="obj-NAME"></a>, the backticked names in the first column of the
    table that follows."""
    fields = {}
    lines = JSON_DOC.read_text().splitlines()
    for i, line in enumerate(lines):
        m = re.match(r'^<a id="obj-(\w+)"></a>$', line)
        if not m:
            continue
        names, j = set(), i + 1
        while j < len(lines) and not lines[j].startswith("|"):
            j += 1
        for row in lines[j:]:
            if not row.startswith("|"):
                break
            if row.startswith("| `"):
                names |= set(re.findall(r"`([^`]+)`", row.split("|")[1]))
        assert names, "docs/json.md: no table after %s" % line
        fields[m.group(1)] = names
    return fields


# Where each object of the JSON lines is documented: an object inside a
# record, by its key ("k": the value, "k[]": each element, "k.*": each
# value of an object keyed by names, such as totals by kind), maps to the
# anchor of its table. A record's own fields are under its type.
SCHEMA = {
    "start": {"probes[]": "probe", "sampled": "sampled", "exact": "exact_config"},
    "exact": {"sites[]": "exact_site"},
    "exact_site": {"frame": "frame"},
    "interval": {"totals.*": "totals", "counters": "counters", "self": "self",
                 "sampled": "sampled", "fail_on_growth": "fail_on_growth",
                 "processes[]": "process", "exited[]": "exited", "stacks[]": "STACK",
                 "census[]": "census", "census_stats": "census_stats"},
    "census": {"sites[]": "site", "chain[]": "link"},
    "site": {"frame": "frame"},
    "STACK": {"frames[]": "frame"},
    "stack": {"frames[]": "frame"},
    "backrefs": {"chain[]": "link"},
    "check": {"items[]": "item"},
    "compare": {"from": "side", "to": "side", "totals.*": "compare_totals",
                "stacks[]": "compare_stack"},
    "compare_stack": {"frames[]": "frame"},
}
SCHEMA["exit"] = dict(SCHEMA["interval"], command="command")


def undocumented(rec, doc, seen):
    """The fields of record @rec that docs/json.md (@doc, from
    documented_fields()) does not list where they belong, as
    "object.field"; every (object, field) met goes into @seen."""
    bad = []

    def walk(obj, where):
        known = doc.get(where, set())
        if where == "exit":
            known = known | doc.get("interval", set())
        sub = SCHEMA.get(where, {})
        for k, v in obj.items():
            seen.add((where, k))
            if k not in known:
                bad.append("%s.%s" % (where, k))
            if k + "[]" in sub and isinstance(v, list):
                for e in v:
                    walk(e, sub[k + "[]"])
            elif k + ".*" in sub and isinstance(v, dict):
                for e in v.values():
                    walk(e, sub[k + ".*"])
            elif k in sub and isinstance(v, dict):
                walk(v, sub[k])
            elif isinstance(v, dict) or (isinstance(v, list) and
                                         any(isinstance(e, dict) for e in v)):
                bad.append("%s.%s (an object with no table: add one to docs/json.md and its "
                           "anchor to SCHEMA in %s)" % (where, k, os.path.basename(__file__)))

    if "type" not in rec or rec["type"] not in doc:
        return ["a record of type %r, which docs/json.md has no table for" % rec.get("type")]
    walk(rec, rec["type"])
    return bad


def _recorded(path):
    return read_jsonl(path, recording=True)


def test_json_fields_documented():
    """leaktrace on a C program (a command that exits by itself, sampled,
    with --fail-on-growth), on a CPython one (census, backrefs), under
    --system (processes), --check --json and leaktrace report's comparison:
    every field of every record they write is in docs/json.md's table of its
    object. A field added to the code without a line in docs/json.md fails
    here."""
    require_root()
    doc = documented_fields()
    assert {"start", "interval", "exit", "STACK", "frame", "counters", "backrefs", "stack",
            "samples", "forget", "check", "compare", "exact"} <= set(doc), sorted(doc)
    runs = {}

    c_out = tmp("c.jsonl")
    rc, _, err = run_leaktrace(["-i", "0.5", "--sample-bytes", "256", "--fail-on-growth", "1G",
                                "-o", c_out, "--", workload("leaky"), "--seconds", "3"])
    assert rc == 0, "leaktrace -- leaky: exit %d: %s" % (rc, err[-1500:])
    runs["-- leaky"] = _recorded(c_out)

    py_out = tmp("py.jsonl")
    rc, _, err = trace_until(
        ["-i", "0.5", "--backrefs", "Steady", "--", "/usr/bin/python3", "-B",
         PY_WORKLOAD_SRC / "census_leak.py", "--seconds", "600"], py_out,
        lambda recs: any(r["type"] == "backrefs" for r in recs) and any(
            "census" in r for r in intervals(recs)), "a backrefs record and a census")
    assert rc == 0, "leaktrace -- python3: exit %d: %s" % (rc, err[-1500:])
    runs["-- python3 census_leak.py"] = _recorded(py_out)

    # a grower traced exactly for a second, then no longer: "exact" records
    sys_out = tmp("system.jsonl")
    lt = start_leaktrace_bg(["--system", "-i", "0.5", "-w", "3", "--exact-min", "64K",
                             "--exact-for", "1", "--json", "-o", sys_out])
    wait_for_start(sys_out, lt)
    leaker = spawn_workload("sysleak", 8000)
    wait_records(sys_out, lambda recs: any(r["type"] == "exact" and r["state"] == "end" and
                                           r["pid"] == leaker.pid for r in recs),
                 "an exact record that ends the leaker's exact tracing", lt)
    lt.signal(signal.SIGINT)
    rc, text, err = lt.wait()
    assert rc == 0, "leaktrace --system: exit %d: %s" % (rc, err[-1500:])
    runs["--system --json (stdout)"] = [json.loads(l) for l in text.splitlines()]

    rc, text, err = run_leaktrace(["--check", "--json"])
    assert rc in (0, 1), "leaktrace --check --json: exit %d: %s" % (rc, err[-1500:])
    runs["--check --json"] = [json.loads(text)]

    rc, text, err = run_leaktrace(["report", "--json", "--from", "0", c_out])
    assert rc == 0, "leaktrace report --from: exit %d: %s" % (rc, err[-1500:])
    runs["report --json --from"] = [json.loads(l) for l in text.splitlines()]

    seen, bad = set(), {}
    for what, recs in runs.items():
        for rec in recs:
            for b in undocumented(rec, doc, seen):
                bad.setdefault(b, what)
    assert not bad, "fields leaktrace writes that docs/json.md does not list:\n  " + (
        "\n  ".join("%s (from %s)" % kv for kv in sorted(bad.items())))
    # the runs did write what they are here for: the test can fail
    for obj, key in (("start", "sampled"), ("exit", "command"), ("interval", "fail_on_growth"),
                     ("interval", "census"), ("backrefs", "chain"), ("interval", "processes"),
                     ("STACK", "frames"), ("frame", "func"), ("samples", "rows"),
                     ("stack", "frames"), ("check", "items"), ("compare", "stacks")):
        assert (obj, key) in seen, "no run wrote %s.%s: %s" % (obj, key, sorted(seen)[:50])
