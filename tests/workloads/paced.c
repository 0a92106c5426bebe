/* SPDX-License-Identifier: GPL-2.0-only */
/* A known rate of allocator calls, for the cost figures of the reports:
 * every 10 ms a tick of PAIRS malloc+free pairs (two traced calls each, one
 * with a return probe), on the clock's schedule (a late tick is made up at
 * once), and nothing else that allocates.
 *
 *   paced PAIRS [--iterations N | --seconds S]   default: until SIGTERM/SIGINT
 *
 * PAIRS 0 makes an idle process. Prints "ready <pid>", then after every 10
 * ticks "pairs P at T": the pairs made so far and when (CLOCK_MONOTONIC
 * seconds), from which a test takes the true rate; with --iterations N it
 * makes exactly N ticks and exits 0. */
#include "wl.h"

#define TICK_MS 10

static void *volatile sink;

int main(int argc, char **argv)
{
	struct wl_loop loop;
	long pairs, done = 0, total = 0;
	double next;
	char line[64];
	int n;

	if (argc < 2) {
		fprintf(stderr, "usage: paced PAIRS [--iterations N | --seconds S]\n");
		return 2;
	}
	pairs = atol(argv[1]);
	wl_loop_args(argc - 1, argv + 1, &loop);
	wl_signals();
	wl_ready();
	next = wl_now();
	while (wl_loop_more(&loop, done)) {
		for (long i = 0; i < pairs; i++) {
			sink = malloc(48);
			free(sink);
		}
		total += pairs;
		done++;
		if (!(done % 10)) {
			/* with write(2): stdio would malloc a buffer */
			n = snprintf(line, sizeof(line), "pairs %ld at %.6f\n", total, wl_now());
			wl_write(STDOUT_FILENO, line, (size_t)n);
		}
		next += TICK_MS / 1000.0;
		while (!wl_stop && wl_now() < next)
			wl_sleep_ms((long)((next - wl_now()) * 1000) + 1);
	}
	return 0;
}
