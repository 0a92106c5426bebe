/* SPDX-License-Identifier: GPL-2.0-only */
/* A chained hash table whose nodes are embedded in the entries (the
 * symbolizer's files, processes, results and strings): no allocation per
 * entry beyond the entry itself. The caller hashes and compares keys. */
#ifndef LT_HTAB_H
#define LT_HTAB_H

#include <stddef.h>
#include <linux/types.h>

/* The entry that embeds @ptr as its member @member. */
#define container_of(ptr, type, member)                                                            \
	({                                                                                         \
		char *__mptr = (char *)(ptr);                                                      \
		(type *)(__mptr - offsetof(type, member));                                         \
	})

struct hnode {
	struct hnode *next;
	__u64 hash;
};

struct htab {
	struct hnode **buckets;
	size_t nr_buckets; /* a power of two, or 0 until the first insert */
	size_t nr;
};

/* Hashes of a number (nearby ones spread apart) and of a string. */
__u64 hash_u64(__u64 x);
__u64 hash_str(const char *s);
/* @n or the first node after it in its chain whose hash is @hash, or NULL. */
struct hnode *htab__match(struct hnode *n, __u64 hash);
/* The first node whose hash is @hash; htab__match(n->next, hash) gives the
 * next. The caller compares the keys. */
struct hnode *htab__first(const struct htab *t, __u64 hash);
/* Adds @n, whose hash is set (the table grows as needed): 0 or -ENOMEM. */
int htab__insert(struct htab *t, struct hnode *n);
/* Takes out @n, which is in @t. */
void htab__remove(struct htab *t, struct hnode *n);
/* Empties @t, handing each node to @free_node (which may be NULL). */
void htab__clear(struct htab *t, void (*free_node)(struct hnode *n));

#endif
