/* SPDX-License-Identifier: GPL-2.0-only */
/* `leaktrace report`: reads a recording (the JSON lines of -o FILE or
 * --json) and feeds it to the report module (report.h) as a live run would,
 * sample by sample, so that any report of it can be printed again, with
 * other -w and -n, at any time in it. */
#ifndef LT_REPLAY_H
#define LT_REPLAY_H

#include <stdbool.h>
#include <stdio.h>
#include "report.h"

struct replay;

struct replay_opts {
	unsigned int top, window; /* 0: the recording's own */
	bool verbose;
	bool history; /* the report keeps its history, for --html */
	FILE *text;   /* the table goes here; NULL = none */
	FILE *json;   /* the JSON lines go here; NULL = none */
	/* Called after each sample is replayed, with the report as of it:
	 * for what renders the whole recording (a chart over time) rather
	 * than one report. NULL: none. */
	void (*sampled)(void *ctx, struct report *r, double t);
	void *ctx;
};

/* Opens the recording @path and reads its start record. Returns NULL with
 * errno set after saying why (ENOENT and the like: no such file; EINVAL: not
 * a recording). */
struct replay *replay__open(const char *path, const struct replay_opts *opts);
void replay__free(struct replay *rp); /* accepts NULL */

/* Replays the recording up to its last report at or before @at seconds
 * since tracing began (INFINITY: all of it); with none before @at, up to
 * the first. Returns 0; -EINVAL after saying which line is bad (what came
 * before it is replayed, and can be printed); -ENODATA after saying that
 * the recording holds no report; or another negative errno. */
int replay__run(struct replay *rp, double at);

/* The report replayed so far, and its time (seconds since tracing began). */
struct report *replay__report(struct replay *rp);
double replay__t(const struct replay *rp);
const char *replay__path(const struct replay *rp);
bool replay__system(const struct replay *rp);

/* Prints the report where replay__run() stopped, as the live run did
 * (reason and all). Returns 0 or the -errno of a failed write. */
int replay__emit(struct replay *rp);

/* `leaktrace report`: @argv[0] is "report". Returns the exit status
 * (cmd_report.c). */
int cmd_report(int argc, char **argv);

#endif
