/* SPDX-License-Identifier: GPL-2.0-only */
/* What keeps a Python object alive, from outside: the shortest chain of
 * references from a module in sys.modules down to an object of a given type,
 * found by reading module dicts, dicts, lists, tuples and instance __dict__s
 * of a running CPython with process_vm_readv(), breadth first. objgraph's
 * find_backref_chain(obj, inspect.ismodule), without touching the process. */
#ifndef LT_BACKREFS_H
#define LT_BACKREFS_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "census.h"

enum backref_kind {
	BACKREF_MODULE, /* the root: a module, by its sys.modules name */
	BACKREF_ATTR,	/* a module global or an instance attribute */
	BACKREF_KEY,	/* a dict value, by its key */
	BACKREF_INDEX,	/* a list or tuple item */
};

struct backref_link {
	enum backref_kind kind;
	char name[256]; /* module or attribute name, key (repr), or index; as read */
	char type[96];	/* the type of the object the link leads to */
	__u64 addr;	/* that object */
};

#define BACKREFS_MAX_LINKS 16

struct backref_chain {
	struct backref_link links[BACKREFS_MAX_LINKS];
	unsigned int nr;
	/* how the search went */
	__u64 visited; /* objects read */
	double search_ms;
	bool verified; /* every link re-read and still there */
};

/* Searches the process of census @c for the shortest chain from a module to
 * an object of the type at @type (preferring newer objects where chains are
 * as short), within @max_ms and @max_objects. Returns 0 and fills @out,
 * -ENOENT when no chain was found, or another negative errno (-ESRCH: the
 * process is gone). A chain is returned only once each of its links has
 * been read again and found in place. */
int backrefs__find(struct census *c, __u64 type, double max_ms, __u64 max_objects,
		   struct backref_chain *out);

/* Writes @ch as a Graphviz DOT digraph to @f; strings escaped for DOT. */
void backrefs__dot(const struct backref_chain *ch, FILE *f);

#endif
