# SPDX-License-Identifier: GPL-2.0-only
"""--html, read back by a real browser: Debian's chromium renders the page of
a known leak headless; its screenshot must not be blank (decoded here with
zlib: many colours, much that is not white), and the DOM it dumps must hold
the page's own text: the leak's function and file:line, its kind, its bytes.
The page must fetch nothing (no http(s) source or link, a policy that allows
no fetch), and while tracing it is rewritten each interval, a whole page each
time."""

import os
import re
import struct
import subprocess
import zlib

from common import (LEAKTRACE, LEAKTRACE_SAN, assert_no_sanitizer_errors, intervals, load_stream,
                    marker_line, require_debian_package, require_root, run_leaktrace,
                    spawn_workload, tmp, trace_until, wait_until, workload)

LEAK_BYTES = 100	# leaky.c's LEAK_SIZE
ITERATIONS = 250	# 25000 B leaked: more than its bounded cache's 64 x 256 B
WIDTH, HEIGHT = 1200, 1600


def _chromium(*args):
    """chromium --headless @args: its stdout, after a zero exit."""
    require_debian_package("chromium", "a browser to render the HTML report")
    home = tmp("chromium-home")
    os.makedirs(home, exist_ok=True)
    argv = ["chromium", "--headless", "--disable-gpu", "--no-first-run",
            "--user-data-dir=" + os.path.join(home, "profile"),
            # nothing may be fetched: any host would fail to resolve
            "--host-resolver-rules=MAP * ~NOTFOUND"]
    if os.geteuid() == 0:
        argv.append("--no-sandbox")	# chromium refuses to run as root with its sandbox
    r = subprocess.run(argv + list(args), capture_output=True, text=True, timeout=180,
                       env=dict(os.environ, HOME=home), cwd=home)
    assert r.returncode == 0, "chromium %s failed (%d): %s" % (" ".join(args), r.returncode,
                                                              r.stderr[-1500:])
    return r.stdout


def read_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB or RGBA PNG,
    decoded with zlib and the PNG filters."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, colour, _, _, interlace = hdr
    assert depth == 8 and colour in (2, 6) and not interlace, "unexpected PNG format %r" % (hdr,)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ft == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xff
        elif ft == 2:
            line = bytearray((a + b) & 0xff for a, b in zip(line, prev))
        elif ft == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xff
        elif ft == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        else:
            assert ft == 0, "PNG filter %d" % ft
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def check_page(page, leak_bytes):
    """The page of leaky's trace, as a file and as chromium renders it."""
    with open(page, encoding="utf-8") as f:
        html = f.read()
    assert html.startswith("<!DOCTYPE html>") and html.endswith("</html>\n"), "not a whole page"
    # self-contained: nothing fetched at view time
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?\s*([^"'\s>]+)""", html, re.I)
    assert not [r for r in refs if not r.startswith("#")], "references out of the page: %r" % refs
    assert not re.search(r"https?://", html), "a network address in the page"
    assert "default-src 'none'" in html, "no content security policy"
    assert "<script" not in html, "a script in the page"

    # the page's own text, as the browser's DOM has it
    dom = _chromium("--dump-dom", "file://" + page)
    leak_line = marker_line("leaky.c", "leak_site")
    for text in ("leaktrace report", "leak_site", "leaky.c:%d" % leak_line, "heap",
                 "+%.1f KiB" % (leak_bytes / 1024), "leak suspect", "Totals per kind",
                 "Outstanding memory by stack"):
        assert text in dom, "the rendered page lacks %r" % text
    # the flame graph: the leak site's frame, with its bytes
    assert re.search(r"<title>leak_site \(leaky\.c:%d\) \u2014 %.1f KiB" % (
        leak_line, leak_bytes / 1024), dom), "no leak_site frame in the flame graph"

    # a picture: not blank, drawn in colours (the charts, the flame graph)
    png = tmp("page.png")
    _chromium("--screenshot=" + png, "--window-size=%d,%d" % (WIDTH, HEIGHT),
              "--hide-scrollbars", "file://" + page)
    w, h, rows = read_png(png)
    assert (w, h) == (WIDTH, HEIGHT), "screenshot of %dx%d" % (w, h)
    colours, inked = set(), 0
    for row in rows:
        for px in row:
            colours.add(px)
            inked += px != (255, 255, 255)
    assert len(colours) >= 50, "the screenshot has %d colours: blank?" % len(colours)
    assert inked >= w * h // 20, "only %d of %d pixels are not white" % (inked, w * h)
    # the flame graph's warm colours, somewhere: native frames are drawn
    assert any(r > 200 and 100 < g < 220 and b < 150 for r, g, b in colours), \
        "no flame-graph colour in the screenshot"


def _leaky(binary):
    require_root()
    page, out = tmp("leaky.html"), tmp("leaky.json")
    rc, _, err = run_leaktrace(["-i", "0.5", "-w", "2", "-o", out, "--html", page, "--",
                                workload("leaky"), "--iterations", ITERATIONS], binary=binary)
    if binary == LEAKTRACE_SAN:
        assert_no_sanitizer_errors(err)
    assert rc == 0, "leaktrace -- leaky exited with status %d: %s" % (rc, err[-500:])
    ex = load_stream(out, window=2, top=10, interval=0.5)[-1]
    assert ex["reason"] == "target-exited", ex["reason"]
    check_page(page, LEAK_BYTES * ITERATIONS)


def test_html_leaky():
    _leaky(LEAKTRACE)


def test_html_leaky_sanitized():
    _leaky(LEAKTRACE_SAN)


def test_html_rewritten_each_interval():
    """While tracing, each interval writes a whole page over the last (a
    reload shows the latest); the final one is the exit's."""
    require_root()
    wl = spawn_workload("leaky")
    page, out = tmp("live.html"), tmp("live.json")
    seen = []

    def page_now():
        try:
            with open(page, encoding="utf-8") as f:
                html = f.read()
        except (OSError, UnicodeDecodeError):
            return None
        m = re.search(r"traced for ([0-9.]+) s", html)
        # a whole page: a read in the middle of a rewrite waits for the next
        return m and html.endswith("</html>\n") and "leak_site" in html and float(m.group(1))

    def two_pages(recs):
        t = page_now()
        if t and (not seen or t > seen[-1]):
            seen.append(t)
        return len(intervals(recs)) >= 3 and len(seen) >= 2

    rc, _, err = trace_until(["-p", wl.pid, "-i", "0.5", "--html", page], out, two_pages,
                             "two pages written while tracing")
    assert rc == 0, "leaktrace -p exited with status %d: %s" % (rc, err[-500:])
    ex = load_stream(out, window=6, top=10, interval=0.5)[-1]
    assert ex["reason"] == "signal", ex["reason"]
    final = wait_until(page_now, "the final page")
    assert final >= seen[-1], "the final page (%.1f s) is older than one before (%.1f s)" % (
        final, seen[-1])
    with open(page, encoding="utf-8") as f:
        html = f.read()
    assert "final report (signal)" in html, "the last page is not the final report"
    assert html.count("</html>") == 1, "pages written one after another"


def test_html_from_recording():
    """leaktrace report --html: the page of a recording is the live run's
    page: the same charts (one point per interval of the run, not only the
    report's window), table and flame graph, rendered by chromium."""
    require_root()
    live, page, out = tmp("live.html"), tmp("replayed.html"), tmp("leaky.json")
    rc, _, err = run_leaktrace(["-i", "0.5", "-w", "2", "-o", out, "--html", live, "--",
                                workload("leaky"), "--iterations", ITERATIONS])
    assert rc == 0, "leaktrace -- leaky exited with status %d: %s" % (rc, err[-500:])
    r = subprocess.run([str(LEAKTRACE), "report", "--html", page, out], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, "leaktrace report --html: status %d: %s" % (r.returncode,
                                                                          r.stderr[-500:])
    check_page(page, LEAK_BYTES * ITERATIONS)

    def points(path):
        # each chart's polyline, as drawn: the same run, the same points
        # (the recording keeps times to the millisecond: a tenth of a pixel)
        with open(path, encoding="utf-8") as f:
            return [[tuple(map(float, p.split(","))) for p in line.split()]
                    for line in re.findall(r"<polyline[^>]*points=\"([^\"]*)\"", f.read())]
    got, want = points(page), points(live)
    assert want and [len(c) for c in got] == [len(c) for c in want], (
        "the replayed page's charts have %r points, the live page's %r" % (
            [len(c) for c in got], [len(c) for c in want]))
    assert all(abs(a - b) <= 0.5 for cg, cw in zip(got, want) for pg, pw in zip(cg, cw)
               for a, b in zip(pg, pw)), "the replayed page's charts differ from the live page's"
