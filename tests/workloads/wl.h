/* SPDX-License-Identifier: GPL-2.0-only */
/* What every workload shares: the "ready <pid>" line, stopping on SIGTERM or
 * SIGINT, sleeping, and reading a millisecond setting from argv or the
 * environment. None of it allocates: the ready line goes out with write(2), so
 * stdio never mallocs a buffer that would show up as a (false) leak. */
#ifndef WL_H
#define WL_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t wl_stop; /* set by SIGTERM/SIGINT */
static volatile sig_atomic_t wl_kick; /* set by SIGUSR1: "the tracer is attached" */

static void wl_on_stop(int sig)
{
	(void)sig;
	wl_stop = 1;
}

static void wl_on_kick(int sig)
{
	(void)sig;
	wl_kick = 1;
}

/* No SA_RESTART: a signal cuts a sleep short, so the loops notice at once. */
static inline void wl_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wl_on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = wl_on_kick;
	sigaction(SIGUSR1, &sa, NULL);
}

static inline void wl_write(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static inline void wl_ready(void)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "ready %d\n", (int)getpid());

	wl_write(STDOUT_FILENO, buf, (size_t)n);
}

static inline double wl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleeps @ms milliseconds, or less when a signal arrives. */
static inline void wl_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Sleeps until @ms have passed, SIGUSR1 arrives, or the process is told to stop. */
static inline void wl_wait_kick(long ms)
{
	double end = wl_now() + ms / 1000.0;

	while (!wl_kick && !wl_stop && wl_now() < end)
		wl_sleep_ms(10);
}

/* A millisecond setting: argv[idx] if given, else $name, else @def. */
static inline long wl_ms(int argc, char **argv, int idx, const char *name, long def)
{
	const char *s = idx < argc ? argv[idx] : getenv(name);

	return s && *s ? atol(s) : def;
}

/* Loop control for the workloads that run a loop:
 *   (no args)         until SIGTERM/SIGINT
 *   --iterations N    N iterations, then exit 0
 *   --seconds S       S seconds (decimals allowed), then exit 0
 * A signal always ends the loop early, also with exit status 0. */
struct wl_loop {
	long iterations; /* -1: unlimited */
	double end;	 /* 0: no deadline */
};

static inline void wl_loop_args(int argc, char **argv, struct wl_loop *l)
{
	l->iterations = -1;
	l->end = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--iterations")) {
			l->iterations = atol(argv[i + 1]);
		} else if (!strcmp(argv[i], "--seconds")) {
			l->end = wl_now() + atof(argv[i + 1]);
		} else {
			fprintf(stderr, "usage: %s [--iterations N | --seconds S]\n", argv[0]);
			exit(2);
		}
	}
	if (argc % 2 == 0) {
		fprintf(stderr, "usage: %s [--iterations N | --seconds S]\n", argv[0]);
		exit(2);
	}
}

static inline int wl_loop_more(struct wl_loop *l, long done)
{
	if (wl_stop)
		return 0;
	if (l->iterations >= 0 && done >= l->iterations)
		return 0;
	if (l->end > 0 && wl_now() >= l->end)
		return 0;
	return 1;
}

/* A small PRNG that never allocates (rand() would be fine too, but is shared state). */
static inline unsigned int wl_rand(unsigned int *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16) & 0x7fff;
}

#endif /* WL_H */
