// SPDX-License-Identifier: GPL-2.0-only
/* The separate debug file of a mapped file: by build-id under the debug
 * directories, or by its .gnu_debuglink name beside the file, in its .debug/
 * and under the debug directories; and the DWARF alt file that dwz makes
 * (.gnu_debugaltlink), under the debug directories only. libdwfl's standard
 * finder does the same with a plain open() of names the traced file gives,
 * which a FIFO or a symbolic link turns against root. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dwarf.h>
#include <gelf.h>
#include <zlib.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include "debuginfo.h"
#include "log.h"
#include "safeopen.h"

#define SYSTEM_DEBUG_DIR "/usr/lib/debug"

/* The CRC-32 of the whole file, as .gnu_debuglink records it. */
static int file_crc(int fd, GElf_Word *crc)
{
	unsigned char buf[65536];
	uLong c = crc32(0, Z_NULL, 0);
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		c = crc32(c, buf, (uInt)n);
		off += n;
	}
	if (n < 0)
		return -errno;
	*crc = (GElf_Word)c;
	return 0;
}

/* True if the file open at @fd is the debug file of @mod: the same build-id
 * when the module has one, else the CRC its debuglink recorded. */
static bool is_debug_file_of(Dwfl_Module *mod, int fd, GElf_Word crc)
{
	const unsigned char *want;
	const void *got;
	GElf_Addr vaddr;
	GElf_Word c;
	int want_len = dwfl_module_build_id(mod, &want, &vaddr);
	ssize_t got_len;
	bool ok;
	Elf *elf;

	if (want_len <= 0)
		return crc && !file_crc(fd, &c) && c == crc;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	got_len = elf ? dwelf_elf_gnu_build_id(elf, &got) : -1;
	ok = got_len == want_len && !memcmp(got, want, (size_t)want_len);
	elf_end(elf);
	return ok;
}

/* Opens @path, a candidate, and keeps it if @check (a build-id or CRC check
 * against @mod) passes. Returns the descriptor or -1. */
static int try_file(Dwfl_Module *mod, const char *path, GElf_Word crc, bool check,
		    char **found_name)
{
	int fd = lt_open_untrusted(path);

	if (fd < 0) {
		if (fd != -ENOENT && fd != -ENOTDIR)
			lt_debug("not reading %s: %s", path, lt_open_strerror(fd));
		return -1;
	}
	if (check && !is_debug_file_of(mod, fd, crc)) {
		lt_debug("%s is not the debug file it names: another build-id or CRC", path);
		close(fd);
		return -1;
	}
	*found_name = strdup(path);
	return fd;
}

static int by_build_id(Dwfl_Module *mod, const char *root, char **found_name)
{
	const unsigned char *id;
	char path[PATH_MAX];
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &id, &vaddr), n;

	/* the shortest ids name no file: a directory and nothing after it */
	if (len < 2 || len > 64)
		return -1;
	n = snprintf(path, sizeof(path), "%s/.build-id/%02x/", root, id[0]);
	for (int i = 1; i < len; i++)
		n += snprintf(path + n, sizeof(path) - n, "%02x", id[i]);
	snprintf(path + n, sizeof(path) - n, ".debug");
	return try_file(mod, path, 0, true, found_name);
}

/* Removes "." and ".." components of the absolute @path in place, without
 * looking at the file system. Returns false if ".." would climb past "/". */
static bool normalize(char *path)
{
	char *out = path, *p = path;

	while (*p) {
		char *end;
		size_t len;

		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		len = end - p;
		if (len == 1 && p[0] == '.') {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (out == path)
				return false;
			while (out > path && *--out != '/')
				;
		} else if (len) {
			*out++ = '/';
			memmove(out, p, len);
			out += len;
		}
		p = end;
	}
	if (out == path)
		*out++ = '/';
	*out = 0;
	return true;
}

static bool under(const char *path, const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;

	return n && !strncmp(path, dir, n) && path[n] == '/';
}

/* The alt file: dwz names it relative to the debug file or absolutely. It is
 * read only from a debug directory, whatever the name says. */
static int find_alt(Dwfl_Module *mod, const struct debuginfo_ctx *ctx, const char *debug_file,
		    const char *link, char **found_name)
{
	char path[PATH_MAX];
	const char *slash;

	if (link[0] == '/') {
		if ((size_t)snprintf(path, sizeof(path), "%s", link) >= sizeof(path))
			return -1;
	} else {
		slash = debug_file ? strrchr(debug_file, '/') : NULL;
		if (!slash ||
		    (size_t)snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - debug_file),
				     debug_file, link) >= sizeof(path))
			return -1;
	}
	if (!normalize(path) || !(under(path, SYSTEM_DEBUG_DIR) ||
				  (ctx && ctx->debug_dir && under(path, ctx->debug_dir)))) {
		lt_debug("not reading the DWARF alt file %s: outside the debug directories", path);
		return -1;
	}
	/* dwz's file has a build-id of its own, which only libdw knows to
	 * compare with; a wrong one only gives wrong names */
	return try_file(mod, path, 0, false, found_name);
}

static int by_link(Dwfl_Module *mod, const struct debuginfo_ctx *ctx, const char *modname,
		   const char *file_name, const char *link, GElf_Word crc, char **found_name)
{
	const char *roots[] = { ctx ? ctx->debug_dir : NULL, SYSTEM_DEBUG_DIR };
	const char *slash = strrchr(file_name, '/'), *mslash = strrchr(modname, '/');
	int dlen = slash ? (int)(slash - file_name) : 0,
	    mlen = mslash ? (int)(mslash - modname) : 0;
	char path[PATH_MAX];
	int fd = -1;

	/* a plain file name, as objcopy writes it: never a path */
	if (!link[0] || strchr(link, '/') || !strcmp(link, ".") || !strcmp(link, ".."))
		return -1;
	if (slash &&
	    (size_t)snprintf(path, sizeof(path), "%.*s/%s", dlen, file_name, link) < sizeof(path))
		fd = try_file(mod, path, crc, true, found_name);
	if (fd < 0 && slash &&
	    (size_t)snprintf(path, sizeof(path), "%.*s/.debug/%s", dlen, file_name, link) <
		    sizeof(path))
		fd = try_file(mod, path, crc, true, found_name);
	for (size_t i = 0; fd < 0 && mslash && modname[0] == '/' && i < 2; i++)
		if (roots[i] && (size_t)snprintf(path, sizeof(path), "%s%.*s/%s", roots[i], mlen,
						 modname, link) < sizeof(path))
			fd = try_file(mod, path, crc, true, found_name);
	return fd;
}

int debuginfo__find(Dwfl_Module *mod, void **userdata, const char *modname, GElf_Addr base,
		    const char *file_name, const char *link, GElf_Word crc, char **found_name)
{
	struct debuginfo_ctx *ctx = userdata ? *userdata : NULL;
	int fd = -1;

	*found_name = NULL;
	/* libdwfl asks for the alt file with a CRC of 0 and the debug file's
	 * name (debuglink CRCs of 0 exist too, and are looked for as links) */
	if (link && !crc && file_name) {
		fd = find_alt(mod, ctx, file_name, link, found_name);
		if (fd >= 0 && ctx)
			ctx->alt_found = true;
		if (fd >= 0 || link[0] == '/' || strchr(link, '/'))
			return fd;
	}
	if (ctx && ctx->debug_dir)
		fd = by_build_id(mod, ctx->debug_dir, found_name);
	if (fd < 0)
		fd = by_build_id(mod, SYSTEM_DEBUG_DIR, found_name);
	if (fd < 0 && link && file_name && modname)
		fd = by_link(mod, ctx, modname, file_name, link, crc, found_name);
	return fd;
}

bool debuginfo__dwarf_safe(Dwarf *dw, const struct debuginfo_ctx *ctx)
{
	Dwarf_CU *cu = NULL;
	const char *altname;
	const void *id;
	uint8_t unit_type;

	if (dwelf_dwarf_gnu_debugaltlink(dw, &altname, &id) > 0 && !(ctx && ctx->alt_found))
		return false;
	/* without asking for the split unit (the last two NULLs) */
	while (!dwarf_get_units(dw, cu, &cu, NULL, &unit_type, NULL, NULL))
		if (unit_type == DW_UT_skeleton)
			return false;
	return true;
}
