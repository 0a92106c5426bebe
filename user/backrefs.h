/* SPDX-License-Identifier: GPL-2.0-only */
/* What keeps a Python object alive, from outside: the shortest chain of
 * references from a module in sys.modules down to an object of a given type,
 * found by reading the containers of a running CPython (dicts, lists, tuples,
 * sets, instance attributes and __slots__, class attributes, closures,
 * functions' defaults, the frames a stored traceback keeps) with process_vm_readv(),
 * breadth first. objgraph's
 * find_backref_chain(obj, inspect.ismodule), without touching the process. */
#ifndef LT_BACKREFS_H
#define LT_BACKREFS_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "census.h"

enum backref_kind {
	BACKREF_MODULE,	 /* the root: a module, by its sys.modules name */
	BACKREF_ATTR,	 /* a module global, an instance or a class attribute */
	BACKREF_KEY,	 /* a dict value, by its key */
	BACKREF_INDEX,	 /* a list or tuple item */
	BACKREF_ITEM,	 /* a set or frozenset member */
	BACKREF_CELL,	 /* what a function's closure cell holds, by its variable */
	BACKREF_FRAME,	 /* a frame a traceback keeps, by its function */
	BACKREF_LOCAL,	 /* a frame's local variable (through its cell, if any) */
	BACKREF_DEFAULT, /* a function's default: __defaults__[i], __kwdefaults__['k'] */
	BACKREF_SLOT,	 /* an instance's __slots__ member, by name */
};

struct backref_link {
	enum backref_kind kind;
	char name[256]; /* module, attribute or variable name, key (repr), index, or
			 * function() of a frame; as read (empty for a set member) */
	char type[96];	/* the type of the object the link leads to */
	bool is_class;	/* that object is a class */
	__u64 addr;	/* that object */
};

#define BACKREFS_MAX_LINKS 24

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
