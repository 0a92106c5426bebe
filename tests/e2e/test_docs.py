# SPDX-License-Identifier: GPL-2.0-only
"""What ships beside the binary: `make install` with DESTDIR and PREFIX puts
the binary, the man page and the bash completion in place; the man page
renders without a warning from groff; and every option --help lists is in the
man page and in the completion, and nothing else is, so that none of the three
can drift from the others (the list comes from --help itself)."""

import os
import re
import subprocess
from pathlib import Path

from common import LEAKTRACE, ROOT, require_binary, require_debian_package, tmp

MAN_PAGE = ROOT / "docs" / "leaktrace.8"
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
