// SPDX-License-Identifier: GPL-2.0-only
/* The hash map every table of the collector stands on: put, get, replace,
 * remove, iteration (removing as it goes), growth over many keys, the reuse
 * of removed slots, and keys of sizes that are and are not multiples of 8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hashmap.h"
#include "ut.h"

#define VAL(i) ((void *)(uintptr_t)((i) + 1))
#define IDX(v) ((size_t)(uintptr_t)(v)-1)

static void test_empty(void)
{
	struct hashmap *m = hashmap__new(sizeof(uint64_t));
	uint64_t k = 42;
	size_t pos = 0;

	UT_CHECK(m != NULL, "hashmap__new");
	if (!m)
		return;
	UT_EQ_INT(hashmap__count(m), 0, "a new map is empty");
	UT_CHECK(hashmap__get(m, &k) == NULL, "get from a map never written");
	UT_CHECK(hashmap__remove(m, &k) == NULL, "remove from a map never written");
	UT_CHECK(!hashmap__next(m, &pos, NULL, NULL), "nothing to iterate");
	hashmap__clear(m);
	UT_EQ_INT(hashmap__count(m), 0, "clear of a map never written");
	hashmap__free(m);
	hashmap__free(NULL);
}

static void test_put_get_remove(void)
{
	struct hashmap *m = hashmap__new(sizeof(uint64_t));
	uint64_t a = 1, b = 2, c = 0;
	int x, y, z;

	if (!m) {
		UT_CHECK(0, "hashmap__new");
		return;
	}
	UT_EQ_INT(hashmap__put(m, &a, &x), 0, "put a");
	UT_EQ_INT(hashmap__put(m, &b, &y), 0, "put b");
	UT_EQ_INT(hashmap__put(m, &c, &z), 0, "put the key of all zero bytes");
	UT_EQ_INT(hashmap__count(m), 3, "three keys");
	UT_CHECK(hashmap__get(m, &a) == &x && hashmap__get(m, &b) == &y &&
			 hashmap__get(m, &c) == &z,
		 "each key gives its own value");
	a = 1;
	UT_CHECK(hashmap__get(m, &a) == &x, "the map copied the key, not its address");

	UT_EQ_INT(hashmap__put(m, &a, &z), 0, "put a again");
	UT_EQ_INT(hashmap__count(m), 3, "replacing adds no entry");
	UT_CHECK(hashmap__get(m, &a) == &z, "the new value replaced the old");

	UT_CHECK(hashmap__remove(m, &b) == &y, "remove returns the value");
	UT_EQ_INT(hashmap__count(m), 2, "one fewer");
	UT_CHECK(hashmap__get(m, &b) == NULL, "a removed key is gone");
	UT_CHECK(hashmap__remove(m, &b) == NULL, "removing it twice finds nothing");
	UT_EQ_INT(hashmap__count(m), 2, "and counts nothing");
	UT_CHECK(hashmap__get(m, &a) == &z && hashmap__get(m, &c) == &z,
		 "the others stay after a removal");

	UT_EQ_INT(hashmap__put(m, &b, &x), 0, "put a removed key back");
	UT_EQ_INT(hashmap__count(m), 3, "it counts again");
	UT_CHECK(hashmap__get(m, &b) == &x, "with its new value");
	hashmap__free(m);
}

/* Iterates @m, checking that each of the keys 0..n-1 it holds (with value
 * VAL(key)) comes exactly once; returns how many came, or -1. */
static long iterate_once(const struct hashmap *m, size_t n)
{
	unsigned char *seen = calloc(n, 1);
	const void *key;
	void *value;
	size_t pos = 0;
	long nr = 0;

	if (!seen)
		return -1;
	while (hashmap__next(m, &pos, &key, &value)) {
		uint64_t k;

		memcpy(&k, key, sizeof(k));
		if (k >= n || seen[k] || IDX(value) != k) {
			nr = -1;
			break;
		}
		seen[k] = 1;
		nr++;
	}
	free(seen);
	return nr;
}

static void test_growth(void)
{
	const size_t n = 100000;
	struct hashmap *m = hashmap__new(sizeof(uint64_t));
	size_t bad = 0, i;

	if (!m) {
		UT_CHECK(0, "hashmap__new");
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t k = i;

		if (hashmap__put(m, &k, VAL(i)))
			bad++;
	}
	UT_EQ_INT(bad, 0, "100000 puts, each a success");
	UT_EQ_INT(hashmap__count(m), n, "100000 keys");
	for (i = 0; i < n; i++) {
		uint64_t k = i;

		if (hashmap__get(m, &k) != VAL(i))
			bad++;
	}
	UT_EQ_INT(bad, 0, "every key keeps its value across the growths");
	for (i = n; i < n + 1000; i++) {
		uint64_t k = i;

		if (hashmap__get(m, &k))
			bad++;
	}
	UT_EQ_INT(bad, 0, "keys never put are not found");
	UT_EQ_INT(iterate_once(m, n), n, "iteration gives each key once");

	/* every other key out, then all back: the removed slots are reused
	 * and a key is never in the map twice */
	for (i = 0; i < n; i += 2) {
		uint64_t k = i;

		if (hashmap__remove(m, &k) != VAL(i))
			bad++;
	}
	UT_EQ_INT(bad, 0, "removing the even keys");
	UT_EQ_INT(hashmap__count(m), n / 2, "half the keys left");
	for (i = 0; i < n; i++) {
		uint64_t k = i;

		if (hashmap__get(m, &k) != (i % 2 ? VAL(i) : NULL))
			bad++;
	}
	UT_EQ_INT(bad, 0, "the odd keys are found, the even ones not");
	for (i = 0; i < n; i++) {
		uint64_t k = i;

		if (hashmap__put(m, &k, VAL(i)))
			bad++;
	}
	UT_EQ_INT(bad, 0, "putting all back");
	UT_EQ_INT(hashmap__count(m), n, "all keys again, none twice");
	UT_EQ_INT(iterate_once(m, n), n, "iteration gives each key once after the reuse");

	hashmap__clear(m);
	UT_EQ_INT(hashmap__count(m), 0, "clear empties the map");
	UT_EQ_INT(iterate_once(m, n), 0, "a cleared map iterates nothing");
	for (i = 0; i < n; i += 1000) {
		uint64_t k = i;

		if (hashmap__get(m, &k))
			bad++;
	}
	UT_EQ_INT(bad, 0, "a cleared map finds nothing");
	for (i = 0; i < 10; i++) {
		uint64_t k = i;

		if (hashmap__put(m, &k, VAL(i)))
			bad++;
	}
	UT_EQ_INT(hashmap__count(m), 10, "a cleared map takes keys again");
	UT_EQ_INT(iterate_once(m, n), 10, "and iterates them");
	hashmap__free(m);
}

/* One key in, one out, many times: the map fills with removed slots only,
 * which must be cleared away, or a lookup would probe forever. */
static void test_churn(void)
{
	struct hashmap *m = hashmap__new(sizeof(uint64_t));
	size_t bad = 0;
	int x;

	if (!m) {
		UT_CHECK(0, "hashmap__new");
		return;
	}
	for (uint64_t i = 0; i < 200000; i++) {
		uint64_t k = i * 0x10001;

		if (hashmap__put(m, &k, &x) || hashmap__remove(m, &k) != &x)
			bad++;
	}
	UT_EQ_INT(bad, 0, "200000 put and remove pairs");
	UT_EQ_INT(hashmap__count(m), 0, "the map is empty after them");
	{
		uint64_t k = 7;

		UT_CHECK(hashmap__get(m, &k) == NULL, "a lookup after the churn ends");
	}
	hashmap__free(m);
}

/* Keys whose size is no multiple of 8 are hashed and compared in full,
 * their last bytes too. */
static void test_key_sizes(void)
{
	static const size_t sizes[] = { 1, 3, 8, 12, 17, 24 };

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t ks = sizes[s], n = ks == 1 ? 256 : 4096, bad = 0, i;
		struct hashmap *m = hashmap__new(ks);
		unsigned char key[24];

		if (!m) {
			UT_CHECK(0, "hashmap__new(%zu)", ks);
			continue;
		}
		/* keys that differ only in their last byte or two */
		for (i = 0; i < n; i++) {
			memset(key, 0xab, ks);
			key[ks - 1] = i & 0xff;
			if (ks > 1)
				key[ks - 2] = i >> 8;
			if (hashmap__put(m, key, VAL(i)))
				bad++;
		}
		UT_EQ_INT(hashmap__count(m), n, "distinct keys of one size");
		for (i = 0; i < n; i++) {
			memset(key, 0xab, ks);
			key[ks - 1] = i & 0xff;
			if (ks > 1)
				key[ks - 2] = i >> 8;
			if (hashmap__get(m, key) != VAL(i))
				bad++;
		}
		if (ks > 1) {
			/* all 256 keys of one byte are in; not so those of more */
			memset(key, 0xcd, ks);
			if (hashmap__get(m, key))
				bad++;
			/* the first byte counts as much as the last */
			memset(key, 0xab, ks);
			key[0] = 0;
			key[ks - 1] = 0;
			key[ks - 2] = 0;
			if (hashmap__get(m, key))
				bad++;
		}
		UT_CHECK(bad == 0,
			 "keys of %zu bytes: each found with its value, no other (%zu bad)", ks,
			 bad);
		hashmap__free(m);
	}
}

/* Removing the entry just returned is allowed while iterating. */
static void test_remove_while_iterating(void)
{
	const size_t n = 1000;
	struct hashmap *m = hashmap__new(sizeof(uint64_t));
	unsigned char seen[1000] = { 0 };
	size_t pos = 0, visits = 0, bad = 0, i;
	const void *key;
	void *value;

	if (!m) {
		UT_CHECK(0, "hashmap__new");
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t k = i;

		hashmap__put(m, &k, VAL(i));
	}
	while (hashmap__next(m, &pos, &key, &value)) {
		uint64_t k;

		memcpy(&k, key, sizeof(k));
		visits++;
		if (k >= n || seen[k]++)
			bad++;
		if (k % 3 == 0 && hashmap__remove(m, &k) != value)
			bad++;
	}
	UT_EQ_INT(visits, n, "every entry visited while some are removed");
	UT_EQ_INT(bad, 0, "none twice, and each removal returned its value");
	UT_EQ_INT(hashmap__count(m), n - (n + 2) / 3, "the multiples of 3 are gone");
	for (i = 0; i < n; i++) {
		uint64_t k = i;

		if (hashmap__get(m, &k) != (i % 3 ? VAL(i) : NULL))
			bad++;
	}
	UT_EQ_INT(bad, 0, "the rest are where they were");

	/* removing everything as it goes leaves an empty map */
	pos = 0;
	while (hashmap__next(m, &pos, &key, NULL)) {
		uint64_t k;

		memcpy(&k, key, sizeof(k));
		hashmap__remove(m, &k);
	}
	UT_EQ_INT(hashmap__count(m), 0, "removing each entry as it comes empties the map");
	pos = 0;
	UT_CHECK(!hashmap__next(m, &pos, NULL, NULL), "and nothing is left to iterate");
	hashmap__free(m);
}

int main(void)
{
	test_empty();
	test_put_get_remove();
	test_growth();
	test_churn();
	test_key_sizes();
	test_remove_while_iterating();
	return ut_done();
}
