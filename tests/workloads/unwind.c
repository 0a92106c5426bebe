// SPDX-License-Identifier: GPL-2.0-only
/* Stacks through code built without frame pointers: main -> unw_run ->
 * unw_step (this executable) -> unwa_outer -> unwa_inner (libunwa.so) ->
 * unwb_outer -> unwb_inner (libunwb.so), which leaks 48 bytes per call.
 * Everything is built -O2 -fomit-frame-pointer, so only unwind tables can
 * walk these stacks.
 *
 *   unwind [chain|thread|signal] [--iterations N | --seconds S]
 *
 * chain: the chain runs on the main thread; thread: in a second thread, so
 * that the stack ends in the thread's start; signal: inside a SIGUSR2
 * handler, raised from unw_step, so that the stack goes through the signal
 * frame back into unw_step and main. Prints "ready <pid>" first; 20 ms
 * between iterations. */
#include <pthread.h>
#include <stdbool.h>
#include "wl.h"
#include "unw.h"

static volatile long unw_total;
static int unw_mode; /* 0 chain, 1 thread, 2 signal */

__attribute__((noinline)) static void unw_on_signal(int sig)
{
	unw_total += unwa_outer(sig); /* CALL:unw_on_signal */
}

__attribute__((noinline)) static long unw_step(long i)
{
	volatile long pad[4] = { i, i * 2, i * 3, i * 4 };
	long r;

	if (unw_mode == 2) {
		raise(SIGUSR2); /* CALL:unw_step_raise */
		r = 1;
	} else {
		r = unwa_outer(i + pad[2]); /* CALL:unw_step */
	}
	return r + pad[3];
}

__attribute__((noinline)) static long unw_run(struct wl_loop *loop)
{
	long i = 0, r = 0, done = 0;

	while (wl_loop_more(loop, done)) {
		r += unw_step(i++); /* CALL:unw_run */
		done++;
		wl_sleep_ms(20);
	}
	return r;
}

static struct wl_loop unw_loop;

static void *unw_thread(void *arg)
{
	(void)arg;
	unw_total += unw_run(&unw_loop); /* CALL:unw_thread */
	return NULL;
}

int main(int argc, char **argv)
{
	bool named = argc > 1 && argv[1][0] != '-';
	const char *mode = named ? argv[1] : "chain";
	pthread_t t;

	unw_mode = !strcmp(mode, "thread") ? 1 : !strcmp(mode, "signal") ? 2 : 0;
	wl_signals();
	signal(SIGUSR2, unw_on_signal);
	wl_loop_args(argc - named, argv + named, &unw_loop);
	wl_ready();
	if (unw_mode == 1) {
		if (pthread_create(&t, NULL, unw_thread, NULL))
			return 1;
		pthread_join(t, NULL);
	} else {
		unw_total += unw_run(&unw_loop); /* CALL:main */
	}
	return unw_total == 42;
}
