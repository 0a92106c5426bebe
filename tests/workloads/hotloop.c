/* SPDX-License-Identifier: GPL-2.0-only */
/* malloc and free as fast as it can, from one stack depth, leaking one block
 * in hot_leak_site() every 100000 pairs: a process that is inside malloc
 * whenever a tracer attaches to it.
 *
 *   hotloop [--seconds S]    default: until SIGTERM/SIGINT
 *
 * Prints "ready <pid>" once the loop starts; exits 0. */
#include "wl.h"

static void *volatile sink;

__attribute__((noinline)) static void hot_leak_site(void)
{
	sink = malloc(64); /* LEAK:hot_leak_site */
}

int main(int argc, char **argv)
{
	struct wl_loop loop;
	long done = 0;

	wl_loop_args(argc, argv, &loop);
	wl_signals();
	wl_ready();
	while (wl_loop_more(&loop, done)) {
		for (int i = 0; i < 100000; i++) {
			sink = malloc(32);
			free(sink);
		}
		hot_leak_site();
		wl_sleep_ms(1);
		done++;
	}
	return 0;
}
