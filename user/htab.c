// SPDX-License-Identifier: GPL-2.0-only
/* A chained hash table whose nodes are embedded in the entries (htab.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "htab.h"

__u64 hash_u64(__u64 x)
{
	/* the finalizer of MurmurHash3: cheap, and spreads nearby addresses */
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

__u64 hash_str(const char *s)
{
	__u64 h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

struct hnode *htab__match(struct hnode *n, __u64 hash)
{
	while (n && n->hash != hash)
		n = n->next;
	return n;
}

/* The first node whose hash is @hash; htab__match(n->next, hash) gives the
 * next. The caller compares the keys. */
struct hnode *htab__first(const struct htab *t, __u64 hash)
{
	if (!t->nr_buckets)
		return NULL;
	return htab__match(t->buckets[hash & (t->nr_buckets - 1)], hash);
}

int htab__insert(struct htab *t, struct hnode *n)
{
	size_t i;

	if (t->nr >= t->nr_buckets) {
		size_t nr_buckets = t->nr_buckets ? t->nr_buckets * 2 : 64;
		struct hnode **buckets = calloc(nr_buckets, sizeof(*buckets));
		struct hnode *p, *next;

		if (!buckets)
			return -ENOMEM;
		for (i = 0; i < t->nr_buckets; i++) {
			for (p = t->buckets[i]; p; p = next) {
				next = p->next;
				p->next = buckets[p->hash & (nr_buckets - 1)];
				buckets[p->hash & (nr_buckets - 1)] = p;
			}
		}
		free(t->buckets);
		t->buckets = buckets;
		t->nr_buckets = nr_buckets;
	}
	i = n->hash & (t->nr_buckets - 1);
	n->next = t->buckets[i];
	t->buckets[i] = n;
	t->nr++;
	return 0;
}

void htab__remove(struct htab *t, struct hnode *n)
{
	struct hnode **pp = &t->buckets[n->hash & (t->nr_buckets - 1)];

	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	t->nr--;
}

/* Empties @t, handing each node to @free_node (which may be NULL). */
void htab__clear(struct htab *t, void (*free_node)(struct hnode *n))
{
	struct hnode *n, *next;
	size_t i;

	for (i = 0; i < t->nr_buckets; i++) {
		for (n = t->buckets[i]; n; n = next) {
			next = n->next;
			if (free_node)
				free_node(n);
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}
