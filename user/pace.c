// SPDX-License-Identifier: GPL-2.0-only
/* The pace of the reports: the due time of the report pending, and the work
 * done past it, by kind, for the report to say why it is late. The work that
 * explains most of the delay is the reason; when none does, leaktrace was
 * waiting to run at all (the CPUs are busy with the traced processes). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include "pace.h"

struct pace {
	double interval, origin, slack;
	unsigned long long served; /* timer expirations read */
	double due;		   /* of the report pending */
	bool pending;
	double spent[PACE__NR]; /* past the due time */
	size_t items[PACE__NR];
};

struct pace *pace__new(double interval, double origin, double slack)
{
	struct pace *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->interval = interval;
	p->origin = origin;
	p->slack = slack;
	return p;
}

void pace__free(struct pace *p)
{
	free(p);
}

static double next_due(const struct pace *p)
{
	return p->pending ? p->due : p->origin + (p->served + 1) * p->interval;
}

void pace__due(struct pace *p, unsigned long long ticks)
{
	if (!ticks)
		return;
	/* one report for all of them: it is due since the first */
	if (!p->pending)
		p->due = next_due(p);
	p->pending = true;
	p->served += ticks;
}

void pace__spent(struct pace *p, enum pace_work what, double start, double end, size_t items)
{
	double from = next_due(p);

	if (what >= PACE__NR || end <= from)
		return;
	p->spent[what] += end - (start > from ? start : from);
	p->items[what] += items;
}

double pace__left(const struct pace *p, double now)
{
	return next_due(p) - now;
}

static void say(char *why, size_t len, enum pace_work what, double took, size_t items)
{
	switch (what) {
	case PACE_EVENTS:
		snprintf(why, len, "handling %zu events of the traced processes took %.2fs", items,
			 took);
		break;
	case PACE_NEW:
		snprintf(why, len, "looking at %zu new processes for allocators took %.2fs", items,
			 took);
		break;
	case PACE_RELEASE:
		snprintf(why, len, "releasing %zu exited processes took %.2fs", items, took);
		break;
	case PACE_READ:
		snprintf(why, len, "reading the BPF maps took %.2fs", took);
		break;
	case PACE_SWEEP:
		snprintf(why, len, "sweeping exited processes from the allocs map took %.2fs",
			 took);
		break;
	case PACE_CENSUS:
		snprintf(why, len, "counting %zu Python objects took %.2fs", items, took);
		break;
	case PACE_OUTPUT:
		snprintf(why, len, "symbolizing and writing the last report took %.2fs", took);
		break;
	default:
		snprintf(why, len, "?");
	}
}

double pace__late(struct pace *p, double now, char *why, size_t len)
{
	double late = p->pending ? now - p->due : 0, sum = 0;
	int top = 0;

	for (int i = 0; i < PACE__NR; i++) {
		sum += p->spent[i];
		if (p->spent[i] > p->spent[top])
			top = i;
	}
	if (late > p->slack && len) {
		if (p->spent[top] >= late / 2)
			say(why, len, top, p->spent[top], p->items[top]);
		else
			snprintf(why, len, "leaktrace waited %.2fs to run (the CPUs are busy)",
				 late > sum ? late - sum : 0);
	}
	p->pending = false;
	for (int i = 0; i < PACE__NR; i++) {
		p->spent[i] = 0;
		p->items[i] = 0;
	}
	return late > p->slack ? late : 0;
}
