/* SPDX-License-Identifier: GPL-2.0-only */
/* One process of a --system sweep: every 20 ms, sys_leak_site() leaks BYTES
 * (none with 0: a quiet process), amid the churn and bounded cache of
 * leaky.c, which are no leak.
 *
 *   sysleak BYTES [--seconds S]    default: until SIGTERM/SIGINT
 *
 * Prints "ready <pid>" once the loop starts; exits 0. */
#include "wl.h"
#include "churn.h"

#define CHURN_PER_ITER 20
#define PERIOD_MS 20

static void *volatile leak_sink;

__attribute__((noinline)) static void sys_leak_site(size_t bytes)
{
	leak_sink = malloc(bytes); /* LEAK:sys_leak_site */
}

int main(int argc, char **argv)
{
	struct wl_loop loop;
	size_t bytes;
	long done = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s BYTES [--seconds S]\n", argv[0]);
		return 2;
	}
	bytes = strtoul(argv[1], NULL, 0);
	wl_loop_args(argc - 1, argv + 1, &loop);
	wl_signals();
	cache_fill();
	wl_ready();
	while (wl_loop_more(&loop, done)) {
		if (bytes)
			sys_leak_site(bytes);
		churn(CHURN_PER_ITER);
		for (int i = 0; i < CACHE_PUTS_PER_ITER; i++)
			cache_put();
		wl_sleep_ms(PERIOD_MS);
		done++;
	}
	return 0;
}
