/* SPDX-License-Identifier: GPL-2.0-only */
/* Growing an array by doubling: ARRAY_RESERVE(v, cap, n) makes room for n
 * elements in v (capacity cap), keeping v and cap as they were on failure. */
#ifndef LT_ARRAY_H
#define LT_ARRAY_H

#include <errno.h>
#include <stdlib.h>

static inline int array_reserve(void **v, size_t *cap, size_t want, size_t elem)
{
	size_t n = *cap ? *cap : 8;
	void *p;

	if (want <= *cap)
		return 0;
	while (n < want)
		n *= 2;
	p = realloc(*v, n * elem);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}

#define ARRAY_RESERVE(v, cap, want) array_reserve((void **)&(v), &(cap), (want), sizeof(*(v)))

#endif
