#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes the seed corpus of the libFuzzer harnesses into tests/fuzz/corpus/:
real inputs of this machine, a few each, in the layout each harness reads
(see the comment at the top of tests/fuzz/fuzz_NAME.c).

    tests/fuzz/mkcorpus.py [NAME...]

procmaps   the maps of a cat process, and the unit tests' odd lines
elfsym     a small shared library (versioned, IFUNC, TLS and Python-looking
           symbols) and a small program, built here with gcc
unwind     FDEs of libc's .eh_frame (malloc, free, the signal trampoline...)
           with their CIE and an .eh_frame_hdr for them; a program's PLT
           FDEs; a .debug_frame; and the small library whole
pyresolve  this Python's code, str, bytes and type objects, and its
           interpreter's free lists, read with ctypes; a library's name

The seeds are checked in; rerun this only to refresh them. Regression seeds
(regress-*: inputs that found a bug, named after it) are kept."""

import ctypes
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
LIBC = "/lib/x86_64-linux-gnu/libc.so.6"


# ---------------------------------------------------------------- ELF

class Elf:
    """Just enough of an ELF64 little-endian reader: sections and symbols."""

    def __init__(self, path):
        self.data = Path(path).read_bytes()
        d = self.data
        assert d[:4] == b"\x7fELF" and d[4] == 2 and d[5] == 1, path
        shoff, = struct.unpack_from("<Q", d, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3a)
        self.sections = []
        for i in range(shnum):
            f = struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize)
            self.sections.append(dict(zip(
                ("name", "type", "flags", "addr", "offset", "size", "link", "info",
                 "align", "entsize"), f)))
        strs = self.sections[shstrndx]
        for s in self.sections:
            s["name"] = self.cstr(strs["offset"] + s["name"])

    def cstr(self, off):
        return self.data[off:self.data.index(b"\0", off)].decode()

    def section(self, name):
        return next((s for s in self.sections if s["name"] == name), None)

    def bytes(self, s):
        return self.data[s["offset"]:s["offset"] + s["size"]]

    def symbols(self, name=".symtab"):
        s = self.section(name)
        strtab = self.sections[s["link"]]
        for off in range(s["offset"], s["offset"] + s["size"], 24):
            st_name, info, _, shndx, value, size = struct.unpack_from("<IBBHQQ", self.data, off)
            yield self.cstr(strtab["offset"] + st_name), info & 15, shndx, value, size


def cfi_records(data):
    """(offset, bytes, is_cie, cie_offset) for each record of an .eh_frame."""
    off = 0
    while off + 4 <= len(data):
        length, = struct.unpack_from("<I", data, off)
        if length == 0:
            break
        assert length != 0xffffffff, "64-bit CFI"
        cie_id, = struct.unpack_from("<I", data, off + 4)
        yield off, data[off:off + 4 + length], cie_id == 0, off + 4 - cie_id
        off += 4 + length


def uleb(data, off):
    val = shift = 0
    while True:
        b = data[off]
        off += 1
        val |= (b & 0x7f) << shift
        shift += 7
        if not b & 0x80:
            return val, off


def cie_fde_encoding(cie):
    """The FDE pointer encoding of a CIE whose augmentation is "zR..." (glibc's
    signal trampoline has "zRS"), else None."""
    aug_end = cie.index(b"\0", 9)
    aug = cie[9:aug_end]
    if not aug.startswith(b"zR"):
        return None
    off = aug_end + 1
    _, off = uleb(cie, off)        # code alignment
    _, off = uleb(cie, off)        # data alignment (sleb; only skipped)
    off = off + 1 if cie[8] == 1 else uleb(cie, off)[1]   # return address column
    _, off = uleb(cie, off)        # augmentation length
    return cie[off]


def eh_frame_seed(elf, want):
    """A wrapped unwind input: the FDEs of .eh_frame that want(start, length,
    record) picks, each after its CIE, moved together (CIE pointers and
    pc-relative pc_begin rewritten), at the section's address, with an
    .eh_frame_hdr table for them."""
    sec = elf.section(".eh_frame")
    data = elf.bytes(sec)
    recs = list(cfi_records(data))
    cies = {off: rec for off, rec, is_cie, _ in recs if is_cie}
    fdes = []
    for off, rec, is_cie, cie_off in recs:
        if is_cie or cie_fde_encoding(cies[cie_off]) != 0x1b:   # pcrel sdata4
            continue
        rel, = struct.unpack_from("<i", rec, 8)
        start = sec["addr"] + off + 8 + rel
        length, = struct.unpack_from("<I", rec, 12)
        if want(start, length, rec):
            fdes.append((start, cie_off, rec))
    out = bytearray()
    table = []
    placed = {}
    for start, cie_off, rec in fdes:
        if cie_off not in placed:
            placed[cie_off] = len(out)
            out += cies[cie_off]
        fde_off = len(out)
        rec = bytearray(rec)
        struct.pack_into("<I", rec, 4, fde_off + 4 - placed[cie_off])
        struct.pack_into("<i", rec, 8, start - (sec["addr"] + fde_off + 8))
        out += rec
        table.append((start, sec["addr"] + fde_off))
    out += b"\0\0\0\0"
    hdr_addr = (sec["addr"] + sec["size"] + 7) & ~7
    hdr = bytearray(b"\x01\x1b\x03\x3b")
    hdr += struct.pack("<iI", sec["addr"] - (hdr_addr + 4), len(table))
    for start, fde in sorted(table):
        hdr += struct.pack("<ii", start - hdr_addr, fde - hdr_addr)
    syms = [s for s, _ in table][:8]
    return wrap_unwind(sec["addr"], hdr_addr, 0, syms, bytes(hdr), bytes(out))


def wrap_unwind(cfi_addr, hdr_addr, flags, syms, hdr, cfi):
    head = struct.pack("<QQBBH", cfi_addr, hdr_addr, flags, len(syms), len(hdr))
    return head + b"".join(struct.pack("<I", s & 0xffffffff) for s in syms) + hdr + cfi


# ---------------------------------------------------------------- builds

LIB_SRC = r"""
#include <stddef.h>
__thread void *_glapi_tls_Dispatch __attribute__((tls_model("initial-exec")));
const unsigned long Py_Version = 0x030b04f0;
struct { long initialized; void *interp; } _PyRuntime = { 1, 0 };
static char pool[4096];
static size_t used;
void *malloc(size_t n) { void *p = pool + used; used += (n + 15) & ~15ul; return p; }
void free(void *p) { (void)p; }
void *calloc_v1(size_t a, size_t b) { return malloc(a * b); }
void *calloc_v2(size_t a, size_t b) { return malloc(a * b); }
__asm__(".symver calloc_v1,calloc@LT_1");
__asm__(".symver calloc_v2,calloc@@LT_2");
static void *pick(void) { return (void *)malloc; }
void *memcpy(void *, const void *, size_t) __attribute__((ifunc("pick")));
void *get_dispatch(void) { return _glapi_tls_Dispatch; }
"""

PROG_SRC = r"""
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
	char *p = malloc(argc * 16);
	puts(argv[0]);
	free(p);
	return 0;
}
"""


def run(*cmd):
    subprocess.run(cmd, check=True)


def build(tmp):
    src = tmp / "lib.c"
    src.write_text(LIB_SRC)
    (tmp / "lib.map").write_text("LT_1 { global: calloc; };\nLT_2 { global: *; } LT_1;\n")
    small = ["-Os", "-Wl,-z,noseparate-code", "-Wl,--build-id=none", "-Wl,-z,max-page-size=4096"]
    run("gcc", "-shared", "-fPIC", *small, "-Wl,--version-script=" + str(tmp / "lib.map"),
        str(src), "-o", str(tmp / "lib.so"))
    run("strip", "--strip-debug", str(tmp / "lib.so"))
    (tmp / "prog.c").write_text(PROG_SRC)
    run("gcc", *small, str(tmp / "prog.c"), "-o", str(tmp / "prog"))
    run("strip", "--strip-debug", str(tmp / "prog"))
    # .debug_frame instead of .eh_frame
    run("gcc", *small, "-g", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables",
        "-fomit-frame-pointer", str(tmp / "prog.c"), "-o", str(tmp / "prog_df"))


# ---------------------------------------------------------------- seeds

def procmaps_seeds():
    maps = subprocess.run(["cat", "/proc/self/maps"], check=True, capture_output=True).stdout
    odd = (b"08048000-08049000 r-xp 00000000 03:00 8312       /opt/old/app32\n"
           b"55d0c0a21000-55d0c0a80000 r-xp 00021000 fd:01 1048602                    "
           b"/usr/bin/my server\n"
           b"7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0 \n"
           b"7f1c2b000000-7f1c2b100000 r-xs 00010000 103:02 77                        "
           b"/tmp/jit (deleted)\n"
           b"7f1c2c000000-7f1c2c001000 r--p 00000000 00:00 0                          "
           b"[anon:scudo:primary]\n"
           b"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  "
           b"[vsyscall]\n")
    return {"self_maps": maps, "odd_lines": odd}


def elfsym_seeds(tmp):
    return {"small_lib": (tmp / "lib.so").read_bytes(), "small_prog": (tmp / "prog").read_bytes()}


def unwind_seeds(tmp):
    libc = Elf(LIBC)
    funcs = {n: v for n, t, shndx, v, _ in libc.symbols(".dynsym") if t == 2 and shndx}
    want = [funcs[n] for n in ("malloc", "free", "__libc_start_main", "memcpy", "clone3",
                               "longjmp", "qsort")
            if n in funcs]

    def covers(pcs):
        return lambda start, length, rec: any(start <= pc < start + length for pc in pcs)

    seeds = {"libc_fdes": eh_frame_seed(libc, covers(want))}
    # the signal trampoline, __restore_rt: "CFA = *(rsp + 160)", written as
    # DW_CFA_def_cfa_expression (DW_OP_breg7 160; DW_OP_deref)
    seeds["libc_restore_rt"] = eh_frame_seed(
        libc, lambda start, length, rec: b"\x0f\x04\x77\xa0\x01\x06" in rec)
    prog = Elf(tmp / "prog")
    plt = prog.section(".plt")
    text = prog.section(".text")
    seeds["prog_plt"] = eh_frame_seed(prog, covers([plt["addr"], plt["addr"] + 16, text["addr"]]))
    df = Elf(tmp / "prog_df")
    sec = df.section(".debug_frame")
    syms = [v for n, t, shndx, v, _ in df.symbols() if t == 2 and shndx][:16]
    seeds["prog_debug_frame"] = wrap_unwind(0, 0, 1, syms, b"", df.bytes(sec))
    seeds["small_lib_whole"] = (tmp / "lib.so").read_bytes()
    return seeds


def pyresolve_seeds():
    """Python 3.11's objects, as pyresolve reads them: one segment per
    object, C strings with what mem_read_cstr() reads (up to 1 KiB, not past
    the page)."""
    assert sys.version_info[:2] == (3, 11), "the layout picked below is 3.11's"
    segs = {}

    def seg(addr, n):
        segs[addr] = max(segs.get(addr, 0), n)

    def cstr_seg(ptr):
        seg(ptr, min(1024, 4096 - (ptr & 4095)))

    def word(addr):
        return ctypes.c_uint64.from_address(addr).value

    def obj_type(addr):
        t = word(addr + 8)
        seg(t, 32)
        cstr_seg(word(t + 24))
        return t

    def str_obj(s):
        a = id(s)
        seg(a, 48 + len(s.encode("utf-8")) + 1 if s.isascii() else 72 + 4 * len(s))
        obj_type(a)

    def code(f):
        co = f.__code__
        a = id(co)
        seg(a, 256)
        obj_type(a)
        str_obj(co.co_filename)
        str_obj(co.co_qualname)
        seg(id(co.co_linetable), 32 + len(co.co_linetable) + 1)
        obj_type(id(co.co_linetable))
        return a

    class Nämé:
        def méthod(self):
            x = 1
            return x

    code_addr = code(Nämé.méthod)
    cls = id(Nämé)
    seg(cls, 32)
    cstr_seg(word(cls + 24))
    runtime = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime"))
    seg(runtime, 64)
    interp = word(runtime + 48)
    seg(interp + 3872, 5164 - 3872)   # list and dict free lists, 3.11
    merged = []
    for a, n in sorted(segs.items()):
        if merged and a <= merged[-1][0] + merged[-1][1]:
            last = merged.pop()
            n = max(last[1], a + n - last[0])
            a = last[0]
        merged.append((a, n))
    head = struct.pack("<BBIQQQ", 3, 0, 2, code_addr, cls, runtime)
    body = b"".join(struct.pack("<QI", a, n) + ctypes.string_at(a, n) for a, n in merged)
    # the same, the process exiting after the first frame
    gone = struct.pack("<BBIQQQ", 3, 1, 2, code_addr, cls, runtime)
    # a mapped file's name first, for the version from a name
    name = b"libpython3.11d.so.1.0"
    names = struct.pack("<BBIQQQ", 3, 0, 0, 0, 0, 0) + struct.pack("<QI", 0, len(name)) + name
    return {"py311_frame": head + body, "py311_gone": gone + body, "py_name": names}


def write(name, seeds):
    d = CORPUS / name
    d.mkdir(parents=True, exist_ok=True)
    for f in d.iterdir():
        if not f.name.startswith("regress-"):
            f.unlink()
    for k, v in seeds.items():
        (d / k).write_bytes(v)
        print("%s/%s: %d bytes" % (name, k, len(v)))


def main():
    names = sys.argv[1:] or ["procmaps", "elfsym", "unwind", "pyresolve"]
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        build(tmp)
        for n in names:
            if n == "procmaps":
                write(n, procmaps_seeds())
            elif n == "elfsym":
                write(n, elfsym_seeds(tmp))
            elif n == "unwind":
                write(n, unwind_seeds(tmp))
            elif n == "pyresolve":
                write(n, pyresolve_seeds())
            else:
                sys.exit("unknown harness: " + n)


if __name__ == "__main__":
    main()
