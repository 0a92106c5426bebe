/* SPDX-License-Identifier: GPL-2.0-only */
/* The monotonic clock, as the modules that time or pace their work read it. */
#ifndef LT_CLOCK_H
#define LT_CLOCK_H

#include <time.h>
#include <linux/types.h>

/* CLOCK_MONOTONIC in nanoseconds: the kernel's bpf_ktime_get_ns() too. */
static inline __u64 lt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Milliseconds since @t0, taken from CLOCK_MONOTONIC. */
static inline double lt_ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

#endif
