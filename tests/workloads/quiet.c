/* SPDX-License-Identifier: GPL-2.0-only */
/* No leak at all: the same churn and bounded cache as leaky.c (the cache is
 * full before the ready line), so a correct tracer lists no suspect.
 *
 *   quiet [--iterations N | --seconds S]    default: until SIGTERM/SIGINT
 *
 * Prints "ready <pid>" once the loop starts; exits 0. */
#include "wl.h"
#include "churn.h"

#define CHURN_PER_ITER 50
#define PERIOD_MS 20

int main(int argc, char **argv)
{
	struct wl_loop loop;
	long done = 0;

	wl_loop_args(argc, argv, &loop);
	wl_signals();
	cache_fill();
	wl_ready();
	while (wl_loop_more(&loop, done)) {
		churn(CHURN_PER_ITER);
		for (int i = 0; i < CACHE_PUTS_PER_ITER; i++)
			cache_put();
		wl_sleep_ms(PERIOD_MS);
		done++;
	}
	return 0;
}
