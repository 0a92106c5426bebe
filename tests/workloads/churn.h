/* SPDX-License-Identifier: GPL-2.0-only */
/* The noise that is not a leak, shared by leaky.c and quiet.c: churn() mallocs
 * and at once frees blocks of random sizes; cache_put() keeps a bounded cache
 * whose live total stops growing once it is full. */
#ifndef WL_CHURN_H
#define WL_CHURN_H

#include <stdlib.h>

#define CACHE_ENTRIES 64
#define CACHE_ENTRY_SIZE 256
#define CACHE_PUTS_PER_ITER 16 /* the whole cache turns over every 4 iterations */

static void *volatile churn_sink;
static void *cache[CACHE_ENTRIES];
static unsigned int cache_next;
static unsigned int churn_seed = 12345;

/* @n malloc+free pairs of 16..4096 bytes: nothing stays outstanding. */
__attribute__((noinline)) static void churn(int n)
{
	for (int i = 0; i < n; i++) {
		size_t size = 16 + wl_rand(&churn_seed) % (4096 - 16 + 1);

		churn_sink = malloc(size); /* LEAK:churn */
		free(churn_sink);
	}
}

/* Replaces the oldest entry once the cache is full. Free before malloc, so the
 * live total dips and never overshoots 64 * 256 bytes. */
__attribute__((noinline)) static void cache_put(void)
{
	unsigned int slot = cache_next++ % CACHE_ENTRIES;

	free(cache[slot]);
	cache[slot] = malloc(CACHE_ENTRY_SIZE); /* LEAK:cache_put */
	churn_sink = cache[slot];
}

/* Fills the whole cache, before the ready line, so it never grows later. */
static inline void cache_fill(void)
{
	for (int i = 0; i < CACHE_ENTRIES; i++)
		cache_put();
}

#endif /* WL_CHURN_H */
