// SPDX-License-Identifier: GPL-2.0-only
/* The symbolizer's chained hash table: entries found by hash among
 * colliding ones, growth over many entries, removal from any place in a
 * chain, and clear handing every entry back. */
#include <stdlib.h>
#include "htab.h"
#include "ut.h"

struct entry {
	struct hnode node;
	unsigned long key;
};

static struct entry *find(const struct htab *t, unsigned long key, __u64 hash)
{
	for (struct hnode *n = htab__first(t, hash); n; n = htab__match(n->next, hash)) {
		struct entry *e = container_of(n, struct entry, node);

		if (e->key == key)
			return e;
	}
	return NULL;
}

static int freed;

static void free_entry(struct hnode *n)
{
	freed++;
	free(container_of(n, struct entry, node));
}

static void test_many(void)
{
	struct htab t = { 0 };
	enum {
		N = 50000
	};
	struct entry *e;
	int found = 0, err = 0;

	UT_CHECK(htab__first(&t, hash_u64(1)) == NULL, "an empty table finds nothing");
	for (unsigned long i = 0; i < N; i++) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return;
		e->key = i;
		e->node.hash = hash_u64(i);
		err |= htab__insert(&t, &e->node);
	}
	UT_EQ_INT(err, 0, "inserts");
	UT_EQ_INT(t.nr, N, "every entry counted");
	UT_CHECK(t.nr_buckets && !(t.nr_buckets & (t.nr_buckets - 1)),
		 "buckets a power of two: %zu", t.nr_buckets);
	for (unsigned long i = 0; i < N; i++) {
		e = find(&t, i, hash_u64(i));
		found += e && e->key == i;
	}
	UT_EQ_INT(found, N, "every entry found after the table grew");
	UT_CHECK(find(&t, N, hash_u64(N)) == NULL, "a key never put is not found");
	/* every other one out */
	for (unsigned long i = 0; i < N; i += 2) {
		e = find(&t, i, hash_u64(i));
		if (e) {
			htab__remove(&t, &e->node);
			free(e);
		}
	}
	UT_EQ_INT(t.nr, N / 2, "half removed");
	found = 0;
	for (unsigned long i = 0; i < N; i++)
		found += (find(&t, i, hash_u64(i)) != NULL) == (i % 2 == 1);
	UT_EQ_INT(found, N, "the odd ones stay, the even ones are gone");
	freed = 0;
	htab__clear(&t, free_entry);
	UT_EQ_INT(freed, N / 2, "clear hands back each entry left");
	UT_EQ_INT(t.nr, 0, "and empties the table");
	UT_CHECK(htab__first(&t, hash_u64(1)) == NULL, "a cleared table finds nothing");
}

static void test_collisions(void)
{
	struct entry v[5];
	struct htab t = { 0 };

	/* one hash for all: a single chain, told apart by key */
	for (int i = 0; i < 5; i++) {
		v[i] = (struct entry){ .key = 100 + i, .node.hash = 7 };
		htab__insert(&t, &v[i].node);
	}
	for (int i = 0; i < 5; i++)
		UT_CHECK(find(&t, 100 + i, 7) == &v[i], "key %d in a chain of 5", 100 + i);
	htab__remove(&t, &v[2].node); /* the middle */
	htab__remove(&t, &v[4].node); /* the head: inserted last */
	htab__remove(&t, &v[0].node); /* the tail */
	UT_CHECK(find(&t, 101, 7) == &v[1] && find(&t, 103, 7) == &v[3], "the others stay");
	UT_CHECK(!find(&t, 100, 7) && !find(&t, 102, 7) && !find(&t, 104, 7),
		 "the removed ones are gone");
	UT_EQ_INT(t.nr, 2, "two left");
	htab__clear(&t, NULL);
}

static void test_hashes(void)
{
	UT_CHECK(hash_u64(1) != hash_u64(2), "nearby numbers hash apart");
	UT_CHECK((hash_u64(0x1000) ^ hash_u64(0x1008)) >> 32, "their high bits differ too");
	UT_CHECK(hash_str("libc.so.6") == hash_str("libc.so.6"), "a string hashes the same");
	UT_CHECK(hash_str("ab") != hash_str("ba"), "order counts");
}

int main(void)
{
	test_many();
	test_collisions();
	test_hashes();
	return ut_done();
}
