/* SPDX-License-Identifier: GPL-2.0-only */
/* Many stacks, many blocks: for the tests of full maps. descend() recurses to
 * each depth from 1 to DEPTHS and mallocs 64 bytes there, so one allocation
 * site makes DEPTHS distinct stacks; it does that ROUNDS times. Every block
 * is leaked: DEPTHS * ROUNDS blocks of 64 bytes in all, 200 * 10 by default.
 *
 *   stacks [DEPTHS [ROUNDS]]
 *
 * Prints "ready <pid>" first, holds HOLD_MS (default 1000) after, exits 0. */
#include "wl.h"

#define BLOCK 64

static void *volatile sink;

__attribute__((noinline)) static void descend(int depth)
{
	if (depth > 1) {
		descend(depth - 1);
		__asm__ volatile("" ::: "memory"); /* not a tail call: keep the frame */
		return;
	}
	sink = malloc(BLOCK); /* LEAK:descend */
}

int main(int argc, char **argv)
{
	int depths = argc > 1 ? atoi(argv[1]) : 200;
	int rounds = argc > 2 ? atoi(argv[2]) : 10;

	wl_ready();
	for (int r = 0; r < rounds; r++)
		for (int d = 1; d <= depths; d++)
			descend(d);
	wl_sleep_ms(wl_ms(argc, argv, 3, "HOLD_MS", 1000));
	return 0;
}
