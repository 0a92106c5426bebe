/* SPDX-License-Identifier: GPL-2.0-only */
/* What collection hands to reporting, and nothing else: one stack's state at
 * the end of an interval, a named counter, a probe as it was placed. The
 * attach, collect and unwind side includes this, never report.h, so that
 * data flows one way. */
#ifndef LT_SAMPLE_H
#define LT_SAMPLE_H

#include <stdbool.h>
#include <linux/types.h>

/* One stack's state at the end of an interval. */
struct lt_sample {
	__u64 stack;
	__u64 aux; /* a pyobj's type object, an mmap's enum lt_arena, else 0 */
	__u32 tgid;
	__u32 kind;  /* enum lt_kind */
	__s64 bytes; /* outstanding */
	__s64 count;
	__u64 allocs; /* since attach */
	__u64 frees;
};

/* A counter shown in the header and the JSON: drops make the totals
 * incomplete; the others are diagnostics. */
struct report_counter {
	const char *name;
	__u64 value;
	bool drop;
};

/* A probe as placed: the function, the file and offset, how far into the
 * function, and whether its first instruction is emulated. */
struct report_probe {
	const char *func;
	const char *module;
	__u64 offset; /* file offset where the probe sits */
	__u32 site;   /* bytes into the function */
	bool emulated;
};

#endif
