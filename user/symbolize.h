/* SPDX-License-Identifier: GPL-2.0-only */
/* Address -> function, file:line and module, for the processes being traced.
 * Uses elfutils' libdwfl: symbols from .symtab or .dynsym, lines from DWARF,
 * also in separate debug files found by build-id or .gnu_debuglink. Each
 * mapped file is opened once and cached, across processes that map it; files
 * are opened while the process is alive, so a process that exits before the
 * report is still symbolized. */
#ifndef LT_SYMBOLIZE_H
#define LT_SYMBOLIZE_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

struct symbolizer;

struct lt_frame {
	__u64 addr;	    /* runtime address */
	__u64 offset;	    /* address in the module's own ELF address space */
	const char *module; /* path of the mapped file, or "[unknown]", "[vdso]"... */
	const char *func;   /* readable (demangled, no symbol version), NULL if no
			     * symbol covers the address */
	const char *symbol; /* the raw symbol or linkage name where it differs from
			     * func, else NULL */
	__u64 func_off;	    /* addr - start of func; 0 for an inlined function */
	const char *file;   /* NULL if no line information */
	int line;	    /* 0 if unknown */
	bool python;	    /* a Python frame: func, file and line are Python's */
	bool inlined;	    /* a function inlined at addr into the next frame's */
};

struct files;

/* @files: the registry of mapped files (files.h), where the symbolizer keeps
 * what it opened of each (one symbolizer per registry; it outlives the
 * symbolizer). @debug_dir: an extra directory to look for separate debug
 * files in (by build-id under DIR/.build-id/, or by .gnu_debuglink name), or
 * NULL. Returns NULL with errno set. */
struct symbolizer *symbolizer__new(struct files *files, const char *debug_dir);
void symbolizer__free(struct symbolizer *s); /* accepts NULL */

/* Reads (again) the mappings of process @pid and opens the files it maps that
 * are not open yet. Call it when tracing starts and whenever the process may
 * have mapped new code; resolve calls it by itself for an address no known
 * mapping covers. Returns 0, or a negative errno (-ESRCH: the process is gone;
 * what was read before is kept). */
int symbolizer__refresh(struct symbolizer *s, pid_t pid);

/* Forgets process @pid (it exec'd a new image, or exited and was reported;
 * or it mapped new code, and its mappings are to be read when next needed). */
void symbolizer__forget(struct symbolizer *s, pid_t pid);

/* Resolves @addr in process @pid. Always fills @out (addr and module at
 * least, module "[unknown]" when no mapping covers it); returns 0 if a
 * function was found, -ENOENT if not. Strings in @out live until
 * symbolizer__free(). The result for a return address: the line looked up is
 * that of the call instruction (addr - 1), as a debugger shows it; where
 * functions are inlined there, the line of the call to the outermost of
 * them. Only lines of the compilation unit that holds @addr count. */
int symbolizer__resolve(struct symbolizer *s, pid_t pid, __u64 addr, struct lt_frame *out);

/* The same frame, after a frame of its own for each function inlined at
 * @addr, innermost first, as DWARF tells: at most @max frames (1 or more) in
 * @out, the last the one symbolizer__resolve() gives. Where functions are
 * inlined, the innermost has the line at @addr and each outer frame the line
 * of its call to the one before. Returns the number of frames. */
size_t symbolizer__resolve_inline(struct symbolizer *s, pid_t pid, __u64 addr, struct lt_frame *out,
				  size_t max);

/* Whether @addr in process @pid lies in an executable mapping: 1 yes, 0 no,
 * or -ENOENT if the process's mappings are not known. A frame-pointer walk
 * through code that keeps no frame pointers yields stack and data addresses
 * too; this tells them apart. It is asked of every frame of every new stack,
 * so an address no mapping covers has the mappings read again only if they
 * were read over a second ago: call symbolizer__refresh() or
 * symbolizer__forget() when the process maps new code. */
int symbolizer__code_at(struct symbolizer *s, pid_t pid, __u64 addr);

/* For a stack captured at a syscall inside a wrapper without a frame of its
 * own: the offset from the stack pointer to the wrapper's return address at
 * @ip, from the module's call frame information (.eh_frame/.debug_frame),
 * or (__u64)LT_RA_IN_LINK_REG when it is still in the link register (an
 * aarch64 leaf). Returns 0 and sets *@sp_offset, or a negative errno when
 * no CFI says. */
int symbolizer__ra_offset(struct symbolizer *s, pid_t pid, __u64 ip, __u64 *sp_offset);

/* The same for a stack walk that starts at the syscall: also where the
 * wrapper at @ip keeps its caller's frame pointer, *@fp_offset bytes above
 * the stack pointer, or -1 when the frame pointer register still holds it
 * (a wrapper may use that register for something else: glibc's open64).
 * Returns 0, or a negative errno when no CFI says. @fp_offset may be NULL. */
int symbolizer__sys_frame(struct symbolizer *s, pid_t pid, __u64 ip, __u64 *ra_offset,
			  __s64 *fp_offset);

#endif
