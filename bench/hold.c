// SPDX-License-Identifier: GPL-2.0-only
/* hold: keeps COUNT small allocations outstanding for HOLD_MS, from 64
 * distinct stacks, then frees them and exits; for measuring what the tracer
 * itself costs in memory with that many allocations outstanding.
 *
 * usage: hold [COUNT] [HOLD_MS]   (defaults 1000000, 3000) */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define SITES 64

static void **blocks;

/* One call site per bucket, so the tracer sees SITES stacks. */
#define SITE(n)                                                                    \
	static __attribute__((noinline)) void site_##n(unsigned long i)            \
	{                                                                          \
		blocks[i] = malloc(32);                                            \
	}
#define SITES8(a) SITE(a##0) SITE(a##1) SITE(a##2) SITE(a##3) SITE(a##4) SITE(a##5) SITE(a##6) SITE(a##7)
SITES8(0) SITES8(1) SITES8(2) SITES8(3) SITES8(4) SITES8(5) SITES8(6) SITES8(7)

#define REF(n) site_##n
#define REFS8(a) REF(a##0), REF(a##1), REF(a##2), REF(a##3), REF(a##4), REF(a##5), REF(a##6), REF(a##7)
static void (*const sites[SITES])(unsigned long) = { REFS8(0), REFS8(1), REFS8(2), REFS8(3),
						     REFS8(4), REFS8(5), REFS8(6), REFS8(7) };

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	unsigned long hold_ms = argc > 2 ? strtoul(argv[2], NULL, 10) : 3000;

	blocks = calloc(count, sizeof(*blocks));
	if (!blocks)
		return 1;
	for (unsigned long i = 0; i < count; i++)
		sites[i % SITES](i);
	fprintf(stderr, "hold: %lu blocks outstanding\n", count);
	usleep(hold_ms * 1000);
	for (unsigned long i = 0; i < count; i++)
		free(blocks[i]);
	free(blocks);
	return 0;
}
