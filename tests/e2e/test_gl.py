# SPDX-License-Identifier: GPL-2.0-only
"""OpenGL and EGL objects (source gl): the known leaks of tests/workloads/gl
come out by kind, stack, count and estimated bytes, and the objects made and
deleted every frame next to them do not: GL linked directly (desktop GL and
OpenGL ES 3), every function taken from eglGetProcAddress, -p, contexts
destroyed with live objects, EGL pbuffers, a Kivy app (GLX, Python frames)
under Xvfb, the sanitizer build; and an unprivileged process's own
libglapi.so.0, which leaktrace reads and must never run.

The C workloads run on Mesa's EGL surfaceless platform (llvmpipe, no GPU or
X server) until the reports show enough frames, then hold, leaking
nothing, until told to exit, printing what they leaked ("leaked
textures=N ..."): the interval record made in the hold
(common.trace_phases) has nothing in flight and must match those counts
exactly; the exit record too (the workloads never destroy their context:
at exit the objects are still live as far as the program is concerned). For kinds gl.* and egl.* count is live objects, bytes the
estimated GPU memory; growth* are bytes where the size is known (textures,
buffers, renderbuffers: "unit": "bytes"), counts where not (framebuffers,
programs, vertex arrays: "unit": "count")."""

import os
import re
import shutil
import time
from pathlib import Path

from common import (GL_WORKLOAD_SRC, LEAKTRACE, LEAKTRACE_SAN, assert_no_sanitizer_errors,
                    assert_site, check_no_probes_left, describe, intervals,
                    load_stream, marker_line, py_line_of,
                    py_marker_line, py_sites, require_binary, require_debian_package,
                    require_root, run_leaktrace, spawn, spawn_workload, start_xvfb, tmp,
                    trace_phases, trace_until, workload)

INTERVAL = 0.5
WINDOW = 4
TOP = 100	# every GL stack listed, next to the driver's heap stacks
HOLD = 600	# the bound on the hold: the test ends it once it has its record
MIN_FRAMES = 100	# gl_leak's frames (a texture each) before its loop ends
SYSTEM_PYTHON = "/usr/bin/python3"
GL_KINDS = ("gl.texture", "gl.buffer", "gl.framebuffer", "gl.renderbuffer", "gl.shader",
            "gl.program", "gl.vertex_array", "egl.context", "egl.surface")

# gl_leak.c (and gl_leak_gles, the same source): site -> (kind, name of the
# count in the "leaked" line, bytes per object)
GL_LEAK_SITES = {
    "leak_texture": ("gl.texture", "textures", 64 * 32 * 4),
    "leak_buffer": ("gl.buffer", "buffers", 4096),
    "leak_framebuffer": ("gl.framebuffer", "fbos", 0),
    "leak_renderbuffer": ("gl.renderbuffer", "rbs", 16 * 16 * 4),
    "leak_program": ("gl.program", "programs", 0),
    "leak_vertex_array": ("gl.vertex_array", "vaos", 0),
    "leak_tex_levels": ("gl.texture", "tex_levels", 32 * 32 * 4 + 16 * 16 * 4),
    "leak_tex_storage": ("gl.texture", "tex_storage", (16 * 16 + 8 * 8 + 4 * 4) * 4),
    "leak_tex_3d": ("gl.texture", "tex_3d", 8 * 8 * 4 * 4),
    "leak_tex_compressed": ("gl.texture", "tex_compressed", 128),
    # level 0 made again smaller: its size replaces the first one's
    "leak_tex_respec": ("gl.texture", "tex_respec", 32 * 32 * 4),
    # six faces, each specified by its own glTexImage2D
    "leak_tex_cube": ("gl.texture", "tex_cube", 6 * 8 * 8 * 4),
}
GL_LEAK_CHURN = ("churn_textures", "churn_buffers", "churn_shader")



def _leaked(text):
    """{name: N} from the workload's last "leaked a=N b=N" line on stderr."""
    m = re.findall(r"leaked ((?:\w+=\d+ ?)+)$", text, re.M)
    assert m, "the workload printed no 'leaked ...' line on stderr"
    return {k: int(v) for k, v in (kv.split("=") for kv in m[-1].split())}


def _where(rec):
    """The GL stacks of @rec (the driver's heap stacks would bury them)."""
    gl = [s for s in rec["stacks"] if s["kind"] in GL_KINDS]
    return "%s record t=%s (%d GL stacks of %d):\n%s" % (
        rec["type"], rec["t"], len(gl), len(rec["stacks"]),
        "\n".join("    " + describe(s) for s in gl) or "    (none)")


def _gl_stacks(rec, func, kind=None):
    """Stacks of @rec whose first frame is @func, of a GL kind (or @kind)."""
    return [s for s in rec["stacks"] if s["frames"] and s["frames"][0].get("func") == func and
            (s["kind"] == kind if kind else s["kind"] in GL_KINDS)]


def _total(rec, kind):
    t = rec["totals"].get(kind, {"bytes": 0, "count": 0})
    return t["count"], t["bytes"]


def _check_site(rec, source, func, kind, count, per, module_suffix=None, exact=True):
    """One @kind stack starting at @func, at @source's LEAK:@func marker,
    @count objects (at least 1 if not @exact) of @per bytes each, all made
    since tracing began and counted in growth* in bytes where @per is
    known (not 0), else in objects."""
    found = _gl_stacks(rec, func, kind)
    assert len(found) == 1, "want one %s stack starting at %s, got %d in the %s" % (
        kind, func, len(found), _where(rec))
    st = found[0]
    assert_site(st["frames"][0], func, os.path.basename(source), marker_line(source, func),
                module_suffix)
    assert st["frames"][0]["lang"] == "c", "%s: frame 0 lang %r" % (func, st["frames"][0]["lang"])
    if exact:
        assert st["count"] == count, "%s: %d live %s, the workload leaked %d: %s" % (
            func, st["count"], kind, count, describe(st))
    else:
        assert st["count"] >= 1, "%s: no live object: %s" % (func, describe(st))
    assert st["bytes"] == per * st["count"], "%s: %d bytes for %d %s, want %d each: %s" % (
        func, st["bytes"], st["count"], kind, per, describe(st))
    # docs/json.md: growth is the change of bytes where they are known, of count
    # where not (a 52 MB texture leak is not "+200" next to heap bytes)
    unit, live = ("bytes", st["bytes"]) if per else ("count", st["count"])
    assert st["unit"] == unit, "%s: unit %r, want %s (%d bytes each): %s" % (
        func, st["unit"], unit, per, describe(st))
    assert 0 < st["growth_window"] <= live, "%s: growth_window %d not in 1..%d (%s): %s" % (
        func, st["growth_window"], live, unit, describe(st))
    if exact:
        assert st["growth_total"] == live, "%s: growth_total %d != %d %s: %s" % (
            func, st["growth_total"], live, unit, describe(st))
    assert st["allocs"] - st["frees"] == st["count"], "%s: allocs %d - frees %d != count %d" % (
        func, st["allocs"], st["frees"], st["count"])
    return st


def _assert_no_churn(recs, churn):
    """No stack of @churn (objects made and deleted every frame) in @recs.
    Only records where nothing is in flight are asked: while the program
    draws, a sample may catch a frame's objects between create and delete."""
    bad = []
    for r in recs:
        for s in r["stacks"]:
            if s["kind"] in GL_KINDS and s["frames"] and s["frames"][0].get("func") in churn:
                bad.append("%s record t=%s: %s" % (r["type"], r["t"], describe(s)))
    assert not bad, "objects made and deleted every frame listed as GL leaks:\n    " + \
        "\n    ".join(bad)


def _assert_glibc_heaps(recs):
    """The heaps glibc maps for the malloc arenas of Mesa's threads are the
    allocator's: one row of the process, marked so, its frame the function
    that maps them, never the line of the malloc that needed one."""
    for r in recs[1:]:
        heaps = [s for s in r["stacks"] if s["kind"] == "mmap" and
                 s["frames"][0].get("func") in ("alloc_new_heap", "new_heap")]
        for st in heaps:
            assert st.get("arena") == "glibc" and len(st["frames"]) == 1, \
                "glibc's heap not the allocator's in the %s record t=%s: %s" % (
                    r["type"], r["t"], describe(st))
        assert len(heaps) <= 1, "%d rows of glibc heaps in the %s record t=%s" % (
            len(heaps), r["type"], r["t"])


def _check_gl_leak(recs, rec, leaked, source, sites, churn, module_suffix):
    """@rec: the interval record made in the hold."""
    ex = recs[-1]
    assert "gl" in recs[0]["sources"], "start record sources %r lack gl (the target links " \
        "libEGL)" % recs[0]["sources"]
    for r in recs[1:]:
        assert r["dropped"] == 0, "%s record t=%s: dropped %d" % (r["type"], r["t"], r["dropped"])
    for func, (kind, name, per) in sites.items():
        _check_site(rec, source, func, kind, leaked[name], per, module_suffix)
    # nothing else is live: every texture made outside the leak sites was deleted
    for kind in ("gl.texture", "gl.buffer", "gl.framebuffer", "gl.renderbuffer",
                 "gl.program", "gl.vertex_array"):
        want = sum(leaked[name] for k, name, _ in sites.values() if k == kind)
        wbytes = sum(leaked[name] * per for k, name, per in sites.values() if k == kind)
        assert _total(rec, kind) == (want, wbytes), "totals.%s %r, want (%d, %d) from the " \
            "leak sites alone, in the %s" % (kind, _total(rec, kind), want, wbytes, _where(rec))
    assert _total(rec, "gl.shader")[0] == 0, "totals.gl.shader %r: every shader was deleted" % (
        _total(rec, "gl.shader"),)
    assert _total(rec, "egl.context")[0] == 1, "totals.egl.context %r, want 1 live context" % (
        _total(rec, "egl.context"),)
    _assert_no_churn([rec, recs[-1]], churn)
    _assert_glibc_heaps(recs)
    # The exit record: the program never destroyed its context, so at its
    # exit its leaks are still live. (Whether they are still listed depends
    # on the window: the exit counts as one more interval, a short one.)
    # Every report after the one checked was made in the hold too.
    assert ex["reason"] == "target-exited", "exit reason %r" % ex["reason"]
    for kind in ("gl.texture", "gl.buffer", "gl.framebuffer", "gl.renderbuffer",
                 "gl.program", "gl.vertex_array", "egl.context"):
        assert _total(ex, kind) == _total(rec, kind), "exit record totals.%s %r, the last " \
            "interval's %r: nothing was deleted in between" % (kind, _total(ex, kind),
                                                              _total(rec, kind))
    return rec


def _run_gl_leak(name, binary=LEAKTRACE, extra=()):
    """leaktrace -- @name --hold HOLD, its loop run until the reports show
    MIN_FRAMES textures from leak_texture (one a frame) with start-up out
    of the window. Returns (records, the record made in the hold, the
    workload's "leaked" counts)."""
    require_root()
    require_binary(binary)
    out = tmp(name + ".json")
    rc, stdout, err, held = trace_phases(
        ["-i", INTERVAL, "-w", WINDOW, "-n", TOP, *extra], out, [workload(name), "--hold", HOLD],
        after_ready=WINDOW + 2, enough=lambda rec: any(
            s["count"] >= MIN_FRAMES for s in _gl_stacks(rec, "leak_texture")),
        what="report with %d textures from leak_texture" % MIN_FRAMES, binary=binary)
    if binary == LEAKTRACE_SAN:
        assert_no_sanitizer_errors(err)
    assert rc == 0, "leaktrace -- %s exited with status %d" % (name, rc)
    assert re.search(r"^ready \d+$", stdout, re.M), "%s's ready line is not on stdout" % name
    recs = load_stream(out, window=WINDOW, top=TOP, interval=INTERVAL)
    return recs, held, _leaked(err)


def test_gl_leak():
    recs, held, leaked = _run_gl_leak("gl_leak")
    assert leaked["textures"] >= MIN_FRAMES, "gl_leak made only %d frames" % leaked["textures"]
    _check_gl_leak(recs, held, leaked, "gl/gl_leak.c", GL_LEAK_SITES, GL_LEAK_CHURN, "/gl_leak")


def test_gl_leak_gles():
    recs, held, leaked = _run_gl_leak("gl_leak_gles")
    _check_gl_leak(recs, held, leaked, "gl/gl_leak.c", GL_LEAK_SITES, GL_LEAK_CHURN,
                   "/gl_leak_gles")


def test_gl_leak_get_proc_address():
    recs, held, leaked = _run_gl_leak("gl_leak_gpa")
    # gl_leak.c built with every GL function called through a pointer
    _check_gl_leak(recs, held, leaked, "gl/gl_leak.c", GL_LEAK_SITES, GL_LEAK_CHURN,
                   "/gl_leak_gpa")


def test_gl_leak_sources_gl_only():
    # --sources gl alone: no heap or mmap stacks, the same GL objects.
    recs, held, leaked = _run_gl_leak("gl_leak", extra=("--sources", "gl"))
    assert recs[0]["sources"] == ["gl"], "start record sources %r, want ['gl']" % (
        recs[0]["sources"])
    for r in recs[1:]:
        other = [s for s in r["stacks"] if s["kind"] not in GL_KINDS]
        assert not other, "--sources gl, yet non-GL stacks in the %s" % _where(r)
    _check_gl_leak(recs, held, leaked, "gl/gl_leak.c", GL_LEAK_SITES, GL_LEAK_CHURN, "/gl_leak")


def test_gl_leak_sanitized():
    recs, held, leaked = _run_gl_leak("gl_leak", binary=LEAKTRACE_SAN)
    _check_gl_leak(recs, held, leaked, "gl/gl_leak.c", GL_LEAK_SITES, GL_LEAK_CHURN, "/gl_leak")


PID_MIN_TEXTURES = 50	# from leak_texture, one a frame, before -p's run ends


def test_gl_leak_pid():
    # Attached to a process already drawing (its ready line comes just
    # before its first frame): objects made before the attach are not
    # counted, and their deletes (none here) would be ignored.
    require_root()
    wl = spawn_workload("gl_leak")
    out = tmp("gl_leak_pid.json")

    def drawn(recs):
        # PID_MIN_TEXTURES textures, growing in the last WINDOW - 1 reports
        ivs = intervals(recs)
        return ivs and any(s["count"] >= PID_MIN_TEXTURES and s["intervals_grown"] >= WINDOW - 1
                           for s in _gl_stacks(ivs[-1], "leak_texture"))

    rc, _, _ = trace_until(["-p", wl.pid, "-i", INTERVAL, "-w", WINDOW, "-n", TOP], out, drawn,
                           "report with %d textures from leak_texture, grown in %d intervals" % (
                               PID_MIN_TEXTURES, WINDOW - 1))
    assert rc == 0, "leaktrace -p exited with status %d" % rc
    recs = load_stream(out, window=WINDOW, top=TOP, interval=INTERVAL)
    assert "gl" in recs[0]["sources"], "start record sources %r lack gl (the target maps " \
        "libEGL)" % recs[0]["sources"]
    ex = recs[-1]
    assert ex["reason"] == "signal", "exit reason %r, want signal" % ex["reason"]
    st = _check_site(ex, "gl/gl_leak.c", "leak_texture", "gl.texture", None, 8192, "/gl_leak",
                     exact=False)
    assert st["count"] >= PID_MIN_TEXTURES, "only %d textures: %s" % (st["count"], describe(st))
    assert st["intervals_grown"] >= WINDOW - 1, "leak_texture grew in %d of %d intervals" % (
        st["intervals_grown"], WINDOW)
    for func in ("leak_framebuffer", "leak_renderbuffer", "leak_program"):
        kind, _, per = GL_LEAK_SITES[func]
        _check_site(ex, "gl/gl_leak.c", func, kind, None, per, "/gl_leak", exact=False)
    # it draws all along: a frame's churn (2 objects at most) may be caught
    # in flight, never more
    for r in recs[1:]:
        for st in r["stacks"]:
            if st["kind"] in GL_KINDS and st["frames"] and \
                    st["frames"][0].get("func") in GL_LEAK_CHURN:
                assert st["count"] <= 2, "churn piling up in the %s record t=%s: %s" % (
                    r["type"], r["t"], describe(st))
    # the context was made before the attach: not counted
    assert _total(ex, "egl.context")[0] == 0, "totals.egl.context %r: the context predates " \
        "the attach" % (_total(ex, "egl.context"),)
    assert wl.alive(), "gl_leak died while (or after) being traced: %s" % wl.stderr()[-500:]
    assert wl.stop() == 0, "gl_leak exited non-zero after tracing"
    check_no_probes_left()


def test_gl_context_destroy():
    # gl_ctx: contexts destroyed with 10 textures each (freed with them),
    # one kept context with 5, 3 more from a shared context destroyed while
    # its share group lives on, a pbuffer leaked per iteration. -w 100: the
    # window covers the whole run, so the objects made once are listed.
    # Its loop runs until a report shows the kept context and 5 pbuffers.
    require_root()
    out = tmp("gl_ctx.json")
    rc, stdout, err, rec = trace_phases(
        ["-i", INTERVAL, "-w", 100, "-n", TOP], out, [workload("gl_ctx"), "--hold", HOLD],
        after_ready=1, enough=lambda rec: _gl_stacks(rec, "keep_context") and any(
            s["count"] >= 5 for s in _gl_stacks(rec, "leak_pbuffer")),
        what="report with keep_context and 5 pbuffers")
    assert rc == 0, "leaktrace -- gl_ctx exited with status %d" % rc
    leaked = _leaked(err)
    assert leaked["textures"] == 8 and leaked["contexts"] == 1, "gl_ctx: %r" % leaked
    recs = load_stream(out, window=100, top=TOP, interval=INTERVAL)
    src = "gl/gl_ctx.c"
    _check_site(rec, src, "keep_textures", "gl.texture", 5, 8192, "/gl_ctx")
    # shared textures outlive the context that made them: its share group
    # is still used by keep_context's context
    _check_site(rec, src, "shared_textures", "gl.texture", 3, 8192, "/gl_ctx")
    temp = _gl_stacks(rec, "temp_textures")
    assert not temp, "textures of destroyed contexts still listed (%d made, all freed by " \
        "eglDestroyContext): %s" % (leaked["freed_textures"], [describe(s) for s in temp])
    assert _total(rec, "gl.texture") == (8, 8 * 8192), "totals.gl.texture %r, want (8, %d)" % (
        _total(rec, "gl.texture"), 8 * 8192)
    _check_site(rec, src, "keep_context", "egl.context", 1, 0, "/gl_ctx")
    for func in ("temp_context", "shared_context"):
        assert not _gl_stacks(rec, func), "destroyed contexts listed in the %s" % _where(rec)
    assert _total(rec, "egl.context")[0] == 1, "totals.egl.context %r, want 1" % (
        _total(rec, "egl.context"),)
    _check_site(rec, src, "leak_pbuffer", "egl.surface", leaked["surfaces"], 0, "/gl_ctx")
    assert _total(rec, "egl.surface")[0] == leaked["surfaces"], \
        "totals.egl.surface %r, want %d pbuffers" % (_total(rec, "egl.surface"), leaked["surfaces"])


NOBODY = 65534


def test_gl_fake_glapi_not_run():
    # A process of an unprivileged user maps a libglapi.so.0 of its own
    # (fake_glapi.c, from a directory that user owns), whose constructor
    # leaves ran-as-root next to it when it runs with euid 0, and libEGL:
    # leaktrace, as root, switches gl on and looks for Mesa's dispatch in
    # that file. It must read the file, never load it: the automatic
    # sources and gl asked for alike.
    require_root()
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv is missing: install util-linux"
    lib = workload("libfake_glapi.so")
    base = Path(tmp("x")).parent
    os.chmod(base, 0o711)	# mkdtemp's 0700 would keep nobody out
    home = base / "nobody"
    home.mkdir()
    shutil.copy(lib, home / "libglapi.so.0")
    for p in (home, home / "libglapi.so.0"):
        os.chown(p, NOBODY, NOBODY)
    marker = home / "ran-as-root"
    wl = spawn([setpriv, "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
                workload("gl_fake_glapi"), home / "libglapi.so.0"])
    for i, extra in enumerate(((), ("--sources", "gl"))):
        out = tmp("fake_glapi-%d.json" % i)
        rc, _, err = run_leaktrace(["-p", wl.pid, "-i", INTERVAL, "-d", "1.5", *extra, "-o", out],
                                   timeout=45)
        assert not marker.exists(), "leaktrace %s ran the constructor of the target's " \
            "libglapi.so.0 as root (%s appeared)" % (" ".join(extra) or "(auto sources)", marker)
        assert rc == 0, "leaktrace -p %s exited with status %d: %s" % (
            " ".join(extra), rc, err[-800:])
        bad = [l for l in err.splitlines() if l.strip() and not l.startswith("leaktrace: ")]
        assert not bad, "stderr lines that are not leaktrace's messages: %r" % bad
        recs = load_stream(out, interval=INTERVAL)
        assert "gl" in recs[0]["sources"], "start record sources %r lack gl (the target " \
            "maps libEGL): the libglapi was never looked at" % recs[0]["sources"]
    assert wl.alive(), "gl_fake_glapi died while traced: %s" % wl.stderr()[-500:]
    assert wl.stop() == 0, "gl_fake_glapi exited non-zero"
    check_no_probes_left()


# ---------------------------------------------------------------- Kivy

KIVY = "kivy_leak.py"
KIVY_MIN_TICKS = 20	# LeakyWidgets (a texture each) before the app stops making them


def _kivy(backend):
    """kivy_leak.py under Xvfb with Kivy's GL backend @backend: "sdl2"
    (functions from SDL_GL_GetProcAddress, i.e. glXGetProcAddress) or "gl"
    (linked with libGL). SDL2 makes a GLX context, which counts as an
    egl.context. Python frames come from the python source; libGL is
    loaded long after start, so gl is asked for."""
    require_root()
    require_debian_package("xvfb", "Xvfb")
    require_debian_package("python3-kivy", "Kivy")
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        raise AssertionError("%s is missing: install python3 (scripts/deps.sh)" % SYSTEM_PYTHON)
    display = start_xvfb()
    home = tmp("kivy-home")
    os.makedirs(home)
    env = dict(os.environ, DISPLAY=display, KIVY_HOME=home, KIVY_GL_BACKEND=backend,
               KIVY_WINDOW="sdl2", KIVY_NO_ARGS="1", KIVY_NO_FILELOG="1",
               LIBGL_ALWAYS_SOFTWARE="1", SDL_AUDIODRIVER="dummy")
    env.pop("WAYLAND_DISPLAY", None)
    out = tmp("kivy.json")
    mark = py_marker_line(KIVY, "kivy_texture", src=GL_WORKLOAD_SRC)

    def leaky_stacks(rec):
        return [s for s in rec["stacks"] if s["kind"] == "gl.texture" and
                ("LeakyWidget.__init__", KIVY, mark) in py_sites(s)]

    # the app ticks until a report shows KIVY_MIN_TICKS leaked textures
    rc, stdout, err, rec = trace_phases(
        ["--sources", "python,gl", "-i", INTERVAL, "-w", WINDOW, "-n", TOP], out,
        [SYSTEM_PYTHON, "-B", GL_WORKLOAD_SRC / KIVY, "--hold", HOLD], after_ready=WINDOW + 2,
        enough=lambda rec: any(s["count"] >= KIVY_MIN_TICKS for s in leaky_stacks(rec)),
        what="report with %d textures from LeakyWidget" % KIVY_MIN_TICKS, env=env)
    assert rc == 0, "leaktrace -- kivy_leak.py exited with status %d: %s" % (rc, err[-1500:])
    assert re.search(r"^ready \d+$", stdout, re.M), "kivy_leak.py printed no ready line " \
        "(Kivy did not start?): %s" % err[-1500:]
    leaked = _leaked(err)
    assert leaked["textures"] >= KIVY_MIN_TICKS, "kivy_leak.py ran only %d ticks" % (
        leaked["textures"])
    assert leaked["freed"] == leaked["made_clean"], "CleanWidget textures not deallocated: %r" % (
        leaked,)
    recs = load_stream(out, window=WINDOW, top=TOP, interval=INTERVAL)
    assert "gl" in recs[0]["sources"] and "python" in recs[0]["sources"], (
        "start record sources %r" % recs[0]["sources"])
    leaky = leaky_stacks(rec)
    assert len(leaky) == 1, "want one gl.texture stack through LeakyWidget.__init__ at %s:%d, " \
        "got %d in the %s" % (KIVY, mark, len(leaky), _where(rec))
    st = leaky[0]
    sites = py_sites(st)
    assert sites[0] == ("LeakyWidget.__init__", KIVY, mark), (
        "innermost Python frame is not the line that makes the GL texture: %s" % describe(st))
    tick = py_line_of(KIVY, "self.kept.append(LeakyWidget())", src=GL_WORKLOAD_SRC)
    assert sites[1] == ("LeakApp.tick", KIVY, tick), "Python frames %r, want LeakApp.tick at " \
        "line %d next" % (sites, tick)
    # native frames (Kivy's Cython texture code) first, then Python's
    langs = [f["lang"] for f in st["frames"]]
    first = langs.index("python")
    assert first > 0 and all(l == "python" for l in langs[first:]), (
        "want native frames then Python frames only: %s" % describe(st))
    assert st["count"] == leaked["textures"], "%d live textures at LeakyWidget, it leaked %d: " \
        "%s" % (st["count"], leaked["textures"], describe(st))
    assert st["bytes"] == 32 * 32 * 4 * st["count"], "not 32x32 RGBA textures: %s" % describe(st)
    assert st["growth_window"] > 0 and st["intervals_grown"] >= 1, "not growing: %s" % describe(st)
    # A CleanWidget texture lives until the next frame deletes it, so a
    # sample may catch one in flight while the app ticks; in the hold
    # nothing is in flight.
    clean = py_marker_line(KIVY, "kivy_clean", src=GL_WORKLOAD_SRC)
    bad = [s for s in rec["stacks"] if s["kind"] == "gl.texture" and
           any(site[0] == "CleanWidget.__init__" for site in py_sites(s))]
    assert not bad, "CleanWidget's textures (%s:%d, released every tick) listed in the " \
        "%s record t=%s:\n    %s" % (KIVY, clean, rec["type"], rec["t"],
                                     "\n    ".join(describe(s) for s in bad))
    assert _total(rec, "egl.context")[0] == 1, "totals.egl.context %r: want SDL's GLX " \
        "context" % (_total(rec, "egl.context"),)


def test_kivy_sdl2_backend():
    _kivy("sdl2")


def test_kivy_gl_backend():
    _kivy("gl")

