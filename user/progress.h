/* SPDX-License-Identifier: GPL-2.0-only */
/* What a slow step of the start is doing, said on stderr. Building the unwind
 * table of a large library or finding a CPython can take seconds, during
 * which nothing else is printed: a step still running after a second gets
 * one line, "leaktrace: building the unwind table of PATH (48 MB)...", from
 * a thread of its own while the step runs, whatever stderr is (a user
 * piping it to a file also wants to know why nothing happens). Never on
 * stdout, so --json stays clean. Only the start is watched: after
 * progress__stop() every call is a no-op. */
#ifndef LT_PROGRESS_H
#define LT_PROGRESS_H

/* A step begins: @fmt describes it ("building ..."), without a final
 * "...". Names from a traced process may be in it: the line is escaped.
 * Returns a handle for progress__end(), or -1 when nothing is watched (after
 * progress__stop(), too many steps at once, no thread). Any thread. */
int progress__begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The step of @handle is over (-1 is accepted). */
void progress__end(int handle);
/* The start is over: no more lines, and the watching thread is gone when
 * this returns. Idempotent. */
void progress__stop(void);

#endif
