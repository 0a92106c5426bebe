/* SPDX-License-Identifier: GPL-2.0-only */
/* Finding a mapped file's separate debug information for libdwfl, without
 * letting the names in the traced file (.gnu_debuglink, .gnu_debugaltlink,
 * split-DWARF units) make leaktrace open what it should not: every file is
 * opened through lt_open_untrusted(), names from the file are plain names or
 * stay under a debug directory root owns, and a file is used only once it is
 * known to be the right one (build-id, or the link's CRC). */
#ifndef LT_DEBUGINFO_H
#define LT_DEBUGINFO_H

#include <stdbool.h>
#include <elfutils/libdwfl.h>

/* What the finder knows of one module: set as the module's userdata
 * (dwfl_module_info) before its debug information is first asked for. */
struct debuginfo_ctx {
	const char *debug_dir; /* --debug-dir, absolute, or NULL */
	bool alt_found;	       /* the .gnu_debugaltlink file was served */
};

/* libdwfl's find_debuginfo callback (Dwfl_Callbacks.find_debuginfo).
 * Returns a file descriptor that libdwfl takes, or -1. */
int debuginfo__find(Dwfl_Module *mod, void **userdata, const char *modname, GElf_Addr base,
		    const char *file_name, const char *link, GElf_Word crc, char **found_name);

/* True if libdw can read @dw (the DWARF of the module whose finder state is
 * @ctx) without ever opening a file by itself: libdw opens a
 * .gnu_debugaltlink file that the finder did not serve, and split-DWARF
 * .dwo files, by the names in the traced file, with a plain open(). */
bool debuginfo__dwarf_safe(Dwarf *dw, const struct debuginfo_ctx *ctx);

#endif
