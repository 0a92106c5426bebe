// SPDX-License-Identifier: GPL-2.0-only
/* Lines on stderr for the steps of the start that take more than a second
 * (progress.h). A watching thread sleeps until the oldest step still running
 * is due, and says what it is, once. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "escape.h"
#include "progress.h"

/* Steps that may run at once: the main thread's and the unwinder's. */
#define MAX_STEPS 4
#define DEFAULT_AFTER_MS 1000

struct step {
	bool busy;
	bool said;
	struct timespec due;
	char what[512];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool ready;   /* cond and after_ms set up */
	bool running; /* thread started */
	bool stopped;
	long after_ms;
	struct step steps[MAX_STEPS];
} pg = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* How long a step runs before it is said: a second. The tests set
 * LEAKTRACE_PROGRESS_MS to see the lines of fast steps (0: at once); it is
 * not an option for users. */
static long after_ms(void)
{
	const char *env = getenv("LEAKTRACE_PROGRESS_MS");
	char *end;
	long v;

	if (!env || !*env)
		return DEFAULT_AFTER_MS;
	errno = 0;
	v = strtol(env, &end, 10);
	return errno || *end || v < 0 ? DEFAULT_AFTER_MS : v;
}

static void say(struct step *s)
{
	char esc[2048];

	fprintf(stderr, "leaktrace: %s...\n", lt_escape_term(esc, sizeof(esc), s->what));
	s->said = true;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* With pg.lock held: says the steps that are due; the next due time in
 * @next, false if none is pending. */
static bool say_due(struct timespec *next)
{
	struct timespec now;
	bool pending = false;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (int i = 0; i < MAX_STEPS; i++) {
		struct step *s = &pg.steps[i];

		if (!s->busy || s->said)
			continue;
		if (!before(&now, &s->due)) {
			say(s);
		} else if (!pending || before(&s->due, next)) {
			*next = s->due;
			pending = true;
		}
	}
	return pending;
}

static void *watch(void *arg)
{
	struct timespec next;

	(void)arg;
	pthread_mutex_lock(&pg.lock);
	while (!pg.stopped) {
		if (say_due(&next))
			pthread_cond_timedwait(&pg.cond, &pg.lock, &next);
		else
			pthread_cond_wait(&pg.cond, &pg.lock);
	}
	pthread_mutex_unlock(&pg.lock);
	return NULL;
}

/* With pg.lock held. The thread takes no signal: main reads them from a
 * signalfd, which wants them blocked in every thread. */
static int start_watching(void)
{
	pthread_condattr_t attr;
	sigset_t all, old;
	int err;

	if (!pg.ready) {
		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&pg.cond, &attr);
		pthread_condattr_destroy(&attr);
		pg.after_ms = after_ms();
		pg.ready = true;
	}
	if (pg.running)
		return 0;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&pg.thread, NULL, watch, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	pg.running = true;
	return 0;
}

int progress__begin(const char *fmt, ...)
{
	struct step *s = NULL;
	int handle = -1;
	va_list args;

	pthread_mutex_lock(&pg.lock);
	if (pg.stopped || start_watching())
		goto out;
	for (handle = 0; handle < MAX_STEPS && pg.steps[handle].busy; handle++)
		;
	if (handle == MAX_STEPS) {
		handle = -1;
		goto out;
	}
	s = &pg.steps[handle];
	va_start(args, fmt);
	vsnprintf(s->what, sizeof(s->what), fmt, args);
	va_end(args);
	s->busy = true;
	s->said = false;
	clock_gettime(CLOCK_MONOTONIC, &s->due);
	s->due.tv_sec += pg.after_ms / 1000;
	s->due.tv_nsec += pg.after_ms % 1000 * 1000000;
	if (s->due.tv_nsec >= 1000000000) {
		s->due.tv_sec++;
		s->due.tv_nsec -= 1000000000;
	}
	/* due at once: said here, so that a test sees every step */
	if (!pg.after_ms)
		say(s);
	pthread_cond_signal(&pg.cond);
out:
	pthread_mutex_unlock(&pg.lock);
	return handle;
}

void progress__end(int handle)
{
	if (handle < 0 || handle >= MAX_STEPS)
		return;
	pthread_mutex_lock(&pg.lock);
	pg.steps[handle].busy = false;
	pthread_mutex_unlock(&pg.lock);
}

void progress__stop(void)
{
	bool join;

	pthread_mutex_lock(&pg.lock);
	pg.stopped = true;
	join = pg.running;
	pg.running = false;
	if (join)
		pthread_cond_signal(&pg.cond);
	pthread_mutex_unlock(&pg.lock);
	if (join)
		pthread_join(pg.thread, NULL);
}
