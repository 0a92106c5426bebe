/* SPDX-License-Identifier: GPL-2.0-only */
/* The Python census: the live objects of a CPython process that its garbage
 * collector tracks, counted by type from outside (process_vm_readv() of the
 * collector's lists, no probe, no stop), and each type's growth over the
 * trailing window, ranked as the report ranks stacks: objgraph's
 * show_growth() without touching the process. */
#ifndef LT_CENSUS_H
#define LT_CENSUS_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>
#include "pylayout.h"

struct census;

/* Bounds of one read: a heap that changes under the reader, or memory that
 * lies, cannot make it walk for ever. */
struct census_limits {
	__u64 max_objects; /* objects per read */
	double max_ms;	   /* milliseconds per read */
};

/* One type in one read, with its history. */
struct census_row {
	const char *type; /* tp_name as read (escape it before printing) */
	__u64 type_addr;  /* the type object in the process */
	__s64 count;	  /* live GC-tracked objects */
	__s64 bytes;	  /* their own blocks (README: "census") */
	__s64 growth;	  /* count change in the last interval */
	__s64 growth_window, growth_total;
	unsigned int intervals_grown;
	bool suspect; /* grew in most intervals of the window */
	__u64 newest; /* the newest object of the type seen, 0 if none */
};

/* How the last read went. */
struct census_stats {
	__u64 objects; /* counted */
	__u64 types;
	__u64 bytes;
	/* objects skipped: a type pointer that is not a type, a header that
	 * could not be read; each list cut short where it went wrong */
	__u64 skipped;
	__u64 relinked;		/* a neighbour's back link disagreed: the list moved */
	unsigned int lists_cut; /* lists left before their end (bad link, cycle, bound) */
	bool truncated;		/* a limit of struct census_limits stopped it */
	double read_ms;
	__u64 memory_read; /* bytes copied from the process */
	unsigned int reads;
	int error; /* 0, or the -errno of a read that found nothing */
};

/* A census of @pid, which runs CPython with layout @l, whose _PyRuntime is
 * at @runtime; @type_type is PyType_Type there (0 if unknown: then it is
 * recognised as the type that is its own type). Ranks over @window
 * intervals, at most @top rows. Returns NULL with errno set. */
struct census *census__new(pid_t pid, const struct py_layout *l, __u64 runtime, __u64 type_type,
			   unsigned int window, unsigned int top, const struct census_limits *lim);
void census__free(struct census *c); /* accepts NULL */

/* Reads the process's objects now, as the interval's sample. Returns 0,
 * -ESRCH when the process is gone, -EAGAIN when its interpreter is not set
 * up yet (or torn down), or another negative errno; the stats say how it
 * went either way. */
int census__read(struct census *c);

/* The types whose count grew over the window, ranked (growth over the
 * window, then since the first read), at most top of them. *rows lives until
 * the next read. */
size_t census__rank(struct census *c, const struct census_row **rows);

/* The type named @name in the last read (the one with most objects if
 * several share the name), or NULL. */
const struct census_row *census__find(struct census *c, const char *name);

const struct census_stats *census__stats(const struct census *c);

/* Reads the type object at @type and checks it is one: returns true and
 * copies its name (escaped later; at most @len - 1 bytes) into @name. */
bool census__type_name(struct census *c, __u64 type, char *name, size_t len);

pid_t census__pid(const struct census *c);
const struct py_layout *census__layout(const struct census *c);
__u64 census__runtime(const struct census *c);

#endif
