#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Cuts the kernel's raw BTF blob out of a kernel image, so gen-vmlinux.sh can feed it to
# bpftool. Accepts raw BTF, an ELF vmlinux (.BTF section), an uncompressed arm64 Image,
# an x86 bzImage, an EFI zboot image, or a gzip/xz/bzip2/lzma/zstd/lz4-compressed kernel.
#
# usage: scripts/btf-extract.py IMAGE OUT
# Exit status: 0 written, 1 no BTF found, 2 bad usage, 3 a decompressor is missing (its
# command name is printed on stdout, so the caller can install it and retry).
#
# Standard library only: gzip, xz, bzip2 and lzma are decompressed in Python; zstd and lz4
# (not in the 3.11 standard library) go through their command-line tools.

import bz2
import lzma
import shutil
import struct
import subprocess
import sys
import zlib

PROG = "btf-extract"
BTF_MAGIC = b"\x9f\xeb\x01\x00"	# magic 0xeB9F (LE), version 1, flags 0
BTF_HDR_LEN = 24
MAX_DEPTH = 3			# bzImage -> vmlinux is 1; zboot -> Image is 1


class MissingTool(Exception):
	pass


# Tools a candidate stream needed but the machine lacks; reported only if no BTF turns up,
# since a stray magic in compressed data should not make anyone install zstd.
missing_tools = set()


def btf_len_at(data, off):
	"""Length of a plausible BTF blob starting at @off, or 0."""
	if off + BTF_HDR_LEN > len(data):
		return 0
	magic, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from(
		"<4s5I", data, off)
	if magic != BTF_MAGIC or hdr_len != BTF_HDR_LEN:
		return 0
	if type_len == 0 or str_len == 0 or str_len > 64 << 20 or type_len > 256 << 20:
		return 0
	total = hdr_len + max(type_off + type_len, str_off + str_len)
	if off + total > len(data):
		return 0
	# The string section starts with the empty string and ends with a NUL.
	s = off + hdr_len + str_off
	if data[s] != 0 or data[s + str_len - 1] != 0:
		return 0
	# The first type's info word: kind in bits 24..28, and kind 0 (unknown) is never valid.
	if type_len >= 12:
		info = struct.unpack_from("<I", data, off + hdr_len + type_off + 4)[0]
		if (info >> 24) & 0x1f == 0:
			return 0
	return total


def find_btf_raw(data):
	"""Largest plausible BTF blob anywhere in @data (vmlinux BTF dwarfs any other)."""
	best = None
	pos = data.find(BTF_MAGIC)
	while pos >= 0:
		n = btf_len_at(data, pos)
		if n and (best is None or n > len(best)):
			best = data[pos:pos + n]
		pos = data.find(BTF_MAGIC, pos + 1)
	return best


def find_btf_elf(data):
	"""Contents of the .BTF section of a little-endian ELF file, or None."""
	if data[:4] != b"\x7fELF" or data[5] != 1:
		return None
	if data[4] == 2:
		shoff, = struct.unpack_from("<Q", data, 0x28)
		shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
		fmt, name_at, off_at, size_at = "<IIQQQQIIQQ", 0, 4, 5
	elif data[4] == 1:
		shoff, = struct.unpack_from("<I", data, 0x20)
		shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2e)
		fmt, name_at, off_at, size_at = "<IIIIIIIIII", 0, 4, 5
	else:
		return None
	if shoff == 0 or shnum == 0 or shstrndx >= shnum:
		return None
	sections = [struct.unpack_from(fmt, data, shoff + i * shentsize) for i in range(shnum)]
	strtab = sections[shstrndx][off_at]
	for sh in sections:
		name_off = strtab + sh[name_at]
		name = data[name_off:data.index(b"\0", name_off)]
		if name == b".BTF":
			off, size = sh[off_at], sh[size_at]
			return data[off:off + size]
	return None


def run_tool(cmd, payload):
	"""Decompress with an external tool. Kernel payloads carry trailing bytes (an appended
	size, padding) that make the tools exit non-zero after writing all the output, so keep
	whatever came out and let the BTF scan judge it."""
	if shutil.which(cmd[0]) is None:
		raise MissingTool(cmd[0])
	res = subprocess.run(cmd, input=payload, stdout=subprocess.PIPE,
			     stderr=subprocess.DEVNULL, check=False)
	return res.stdout


def gunzip(p):
	return zlib.decompressobj(wbits=31).decompress(p)


def unxz(p):
	return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(p)


def unlzma(p):
	return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(p)


def bunzip2(p):
	return bz2.BZ2Decompressor().decompress(p)


def unzstd(p):
	return run_tool(["zstd", "-dcq"], p)


def unlz4(p):
	return run_tool(["lz4", "-dcq"], p)


# Stream magics, the same list the kernel's scripts/extract-vmlinux tries.
DECOMPRESSORS = [
	(b"\x1f\x8b\x08", "gzip", gunzip),
	(b"\xfd7zXZ\x00", "xz", unxz),
	(b"BZh", "bzip2", bunzip2),
	(b"\x5d\x00\x00\x00", "lzma", unlzma),
	(b"\x28\xb5\x2f\xfd", "zstd", unzstd),
	(b"\x02\x21\x4c\x18", "lz4", unlz4),
]
ZBOOT_TYPES = {b"gzip": gunzip, b"xzkern": unxz, b"lzma": unlzma, b"bzip2": bunzip2,
	       b"zstd22": unzstd, b"zstd": unzstd, b"lz4": unlz4}


def try_decompress(fn, payload):
	try:
		return fn(payload)
	except MissingTool as e:
		missing_tools.add(e.args[0])
	except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError):
		pass
	return b""


def known_payloads(data):
	"""Payloads whose place the image header states: x86 bzImage (boot protocol >= 2.08
	payload_offset/payload_length) and EFI zboot (arm64, riscv, loongarch)."""
	if len(data) > 0x250 and data[0x202:0x206] == b"HdrS":
		setup_sects = data[0x1f1] or 4
		off, length = struct.unpack_from("<II", data, 0x248)
		start = (setup_sects + 1) * 512 + off
		if length and start + length <= len(data):
			payload = data[start:start + length]
			for magic, _, fn in DECOMPRESSORS:
				if payload.startswith(magic):
					yield fn, payload
	if len(data) > 64 and data[:2] == b"MZ" and data[4:8] == b"zimg":
		off, length = struct.unpack_from("<II", data, 8)
		ctype = data[24:56].split(b"\0", 1)[0]
		if ctype in ZBOOT_TYPES and off + length <= len(data):
			yield ZBOOT_TYPES[ctype], data[off:off + length]


def scanned_payloads(data):
	"""Every place a compressed stream might start, as extract-vmlinux does."""
	for magic, _, fn in DECOMPRESSORS:
		pos = data.find(magic)
		tries = 0
		while pos >= 0 and tries < 64:
			yield fn, data[pos:]
			tries += 1
			pos = data.find(magic, pos + 1)


def find_btf(data, depth=0):
	btf = find_btf_elf(data)
	if btf and btf_len_at(btf, 0):
		return btf
	btf = find_btf_raw(data)
	if btf:
		return btf
	if depth >= MAX_DEPTH:
		return None
	seen = set()
	for source in (known_payloads, scanned_payloads):
		for fn, payload in source(data):
			out = try_decompress(fn, payload)
			# Kernels decompress to megabytes; skip the tiny false positives.
			if len(out) < 1 << 20 or hash(out[:4096]) in seen:
				continue
			seen.add(hash(out[:4096]))
			btf = find_btf(out, depth + 1)
			if btf:
				return btf
	return None


def main(argv):
	if len(argv) != 3:
		print(f"usage: {PROG} IMAGE OUT", file=sys.stderr)
		return 2
	with open(argv[1], "rb") as f:
		data = f.read()
	btf = find_btf(data)
	if not btf and missing_tools:
		print(" ".join(sorted(missing_tools)))
		return 3
	if not btf:
		print(f"{PROG}: no BTF found in {argv[1]}; the kernel needs CONFIG_DEBUG_INFO_BTF=y",
		      file=sys.stderr)
		return 1
	with open(argv[2], "wb") as f:
		f.write(btf)
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
