/* SPDX-License-Identifier: GPL-2.0-only */
/* A steady leak among noise. Every ~20 ms: leak_site() leaks 100 bytes, churn()
 * mallocs and frees 50 blocks of random size, and cache_put() turns over a
 * bounded 64-entry cache (filled before the ready line). Only leak_site grows.
 *
 *   leaky [--iterations N | --seconds S]    default: until SIGTERM/SIGINT
 *
 * Prints "ready <pid>" once the loop starts; exits 0. */
#include "wl.h"
#include "churn.h"

#define LEAK_SIZE 100
#define CHURN_PER_ITER 50
#define PERIOD_MS 20

static void *volatile leak_sink;

__attribute__((noinline)) static void leak_site(void)
{
	leak_sink = malloc(LEAK_SIZE); /* LEAK:leak_site */
}

int main(int argc, char **argv)
{
	struct wl_loop loop;
	long done = 0;

	wl_loop_args(argc, argv, &loop);
	wl_signals();
	cache_fill();
	wl_ready();
	while (wl_loop_more(&loop, done)) {
		leak_site(); /* CALL:main */
		churn(CHURN_PER_ITER);
		for (int i = 0; i < CACHE_PUTS_PER_ITER; i++)
			cache_put();
		wl_sleep_ms(PERIOD_MS);
		done++;
	}
	return 0;
}
