/* SPDX-License-Identifier: GPL-2.0-only */
/* malloc and free as fast as it can, from one stack depth, leaking one block
 * in hot_leak_site() every 100000 pairs: a process that is inside malloc
 * whenever a tracer attaches to it.
 *
 *   hotloop [--seconds S]    default: until SIGTERM/SIGINT
 *
 * Prints "ready <pid>" once the loop starts, and "leaked N" after each leak
 * (how long 100000 pairs take depends on the cost of a uprobe trap: a test
 * waits for these lines, not for a time); exits 0. */
#include "wl.h"

static void *volatile sink;

__attribute__((noinline)) static void hot_leak_site(void)
{
	sink = malloc(64); /* LEAK:hot_leak_site */
}

int main(int argc, char **argv)
{
	struct wl_loop loop;
	char line[32];
	long done = 0;
	int n;

	wl_loop_args(argc, argv, &loop);
	wl_signals();
	wl_ready();
	while (wl_loop_more(&loop, done)) {
		for (int i = 0; i < 100000; i++) {
			sink = malloc(32);
			free(sink);
		}
		hot_leak_site();
		done++;
		/* with write(2): stdio would malloc a buffer */
		n = snprintf(line, sizeof(line), "leaked %ld\n", done);
		wl_write(STDOUT_FILENO, line, (size_t)n);
		wl_sleep_ms(1);
	}
	return 0;
}
