/* SPDX-License-Identifier: GPL-2.0-only */
/* What each source is, said once beside its BPF half (user/src_<name>.c):
 * its --sources name and bit, the programs and maps of the skeleton it owns,
 * and the kinds of resource it reports, with their names and units.
 * options.c, attach.c and the report ask these instead of keeping tables of
 * their own. The descriptors hang off the sources' ops in sources.c, the one
 * list of sources; nothing here knows a process or the app (source.h). */
#ifndef LT_SRCDESC_H
#define LT_SRCDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* The sources, one bit each from the first on, in the order --sources
 * lists them and the start record's "sources" does. Bits from 1 << 16 up
 * are attach.c's. */
enum lt_source {
	LT_SRC_LIBC = 1u << 0,
	LT_SRC_MMAP = 1u << 1,
	LT_SRC_PYTHON = 1u << 2,
	LT_SRC_GL = 1u << 3,
	LT_SRC_FD = 1u << 4,
	LT_SRC_PAGES = 1u << 5,
};

struct leaktrace_bpf;
struct bpf_program;
struct bpf_map;

#define SRC_MAX_PROGS 16
#define SRC_MAX_MAPS 8

/* The programs and maps of the skeleton that a source owns, by the
 * skeleton's own names (skel->progs.X, so the compiler checks them): loaded
 * and made only when the source is traced. A NULL or the end of the array
 * ends each list; one more than fits does not compile. */
struct src_owned {
	const struct bpf_program *progs[SRC_MAX_PROGS];
	struct bpf_map *maps[SRC_MAX_MAPS];
};

/* A kind of resource a source reports (LT_KIND_*, bpf/leaktrace.h). */
struct src_kind {
	__u32 kind;
	const char *name; /* in the table and in JSON: "heap", "gl.texture" */
	bool bytes;	  /* memory: its bytes are always known */
	const char *noun; /* what a count of it counts, in the table; NULL: "obj" */
};

struct src_desc {
	const char *name; /* as --sources spells it */
	unsigned int bit; /* enum lt_source */
	bool on_request;  /* never chosen by auto, only when named (fd) */
	bool traps;	  /* its probes are uprobes: every call it sees is a trap */
	/* Fills @out with what the source owns in @skel; NULL: nothing. */
	void (*owns)(const struct leaktrace_bpf *skel, struct src_owned *out);
	const struct src_kind *kinds;
	size_t nr_kinds;
};

/* The source of bit @bit, of --sources name @name; NULL if none. */
const struct src_desc *src_by_bit(unsigned int bit);
const struct src_desc *src_by_name(const char *name);
/* The kind @kind, and in @src (may be NULL) its source; NULL if no source
 * reports it. */
const struct src_kind *src_kind(__u32 kind, const struct src_desc **src);
/* The bits of every source there is. */
unsigned int src_all(void);
/* The bits of the sources whose probes trap (srcdesc's traps). */
unsigned int src_trapping(void);

#endif
