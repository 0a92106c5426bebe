/* SPDX-License-Identifier: GPL-2.0-only */
/* A leak two inlined functions deep, built -O2 as a release build is:
 * make_record() mallocs RECORD_SIZE bytes, handle_request() calls it, main()
 * calls handle_request() every ~20 ms. Neither has a frame of its own (they
 * are always_inline, so that no compiler version decides otherwise); only
 * DWARF says that they were there, and where each was called.
 *
 *   inline [--iterations N | --seconds S]    default: until SIGTERM/SIGINT
 *
 * Prints "ready <pid>" once the loop starts; exits 0. */
#include "wl.h"

#define RECORD_SIZE 72
#define PERIOD_MS 20

static void *volatile sink;

static inline __attribute__((always_inline)) void make_record(long id)
{
	sink = malloc(RECORD_SIZE + (id & 0)); /* LEAK:make_record */
}

static inline __attribute__((always_inline)) void handle_request(long id)
{
	if (id >= 0)
		make_record(id); /* CALL:handle_request */
}

int main(int argc, char **argv)
{
	struct wl_loop loop;
	long done = 0;

	wl_loop_args(argc, argv, &loop);
	wl_signals();
	wl_ready();
	while (wl_loop_more(&loop, done)) {
		handle_request(done); /* CALL:main */
		wl_sleep_ms(PERIOD_MS);
		done++;
	}
	return 0;
}
