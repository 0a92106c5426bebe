/* SPDX-License-Identifier: GPL-2.0-only */
/* Keeping the reports on their interval: when each is due, what the event
 * loop spent its time on past that, and, for a report that goes out late, by
 * how much and why, so that the report says so. Times are seconds on one
 * monotonic clock, given by the caller. */
#ifndef LT_PACE_H
#define LT_PACE_H

#include <stddef.h>

/* What the event loop does, that can hold a report back. */
enum pace_work {
	PACE_EVENTS,  /* handling the events of the traced processes */
	PACE_NEW,     /* looking at new processes for allocators to probe */
	PACE_RELEASE, /* releasing what exited processes left */
	PACE_READ,    /* reading the BPF maps */
	PACE_SWEEP,   /* deleting what exited processes left in the allocs map */
	PACE_OUTPUT,  /* writing a report */
	PACE_CENSUS,  /* counting a CPython target's objects */
	PACE__NR,
};

struct pace;

/* Reports every @interval seconds from @origin, late past @slack seconds.
 * Returns NULL with errno set. */
struct pace *pace__new(double interval, double origin, double slack);
void pace__free(struct pace *p); /* accepts NULL */

/* The interval timer expired @ticks times since last read: the report for
 * the first of them is due. */
void pace__due(struct pace *p, unsigned long long ticks);

/* Work @what ran from @start to @end, on @items things (events, processes;
 * 0 if not counted). What ran past the next report's due time delays it. */
void pace__spent(struct pace *p, enum pace_work what, double start, double end, size_t items);

/* Seconds from @now to the next report's due time (negative past it). */
double pace__left(const struct pace *p, double now);

/* For the report due going out at @now: how many seconds late it is, 0 if
 * within the slack; when late, @why (of @len bytes) says what held it
 * back. Ends the accounting of this report. */
double pace__late(struct pace *p, double now, char *why, size_t len);

#endif
