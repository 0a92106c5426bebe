/* SPDX-License-Identifier: GPL-2.0-only */
/* Many short processes, for a --system sweep: COUNT children, one every
 * PERIOD_MS (or --period MS), alternately a fork that leaks blocks in
 * child_site() and exits CHILD_MS later (its blocks still outstanding), and
 * /bin/true run by posix_spawn.
 * Then waits for the children and idles until killed or --hold S passes.
 *
 *   spawner COUNT [--hold S] [--period MS]
 *
 * Prints "ready <pid>" before the first child, and "spawned N" on stderr once
 * all are reaped. */
#include <spawn.h>
#include <sys/wait.h>
#include "wl.h"

#define PERIOD_MS 2
#define CHILD_MS 700

extern char **environ;
static void *volatile sink;

__attribute__((noinline)) static void child_site(void)
{
	for (int i = 0; i < 8; i++)
		sink = malloc(1000); /* LEAK:child_site */
}

int main(int argc, char **argv)
{
	char *true_argv[] = { "true", NULL };
	double hold = 0;
	long count, spawned = 0, period = PERIOD_MS;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: %s COUNT [--hold S] [--period MS]\n", argv[0]);
		return 2;
	}
	count = atol(argv[1]);
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--hold"))
			hold = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--period"))
			period = atol(argv[i + 1]);
	}
	wl_signals();
	wl_ready();
	for (long i = 0; i < count && !wl_stop; i++) {
		if (i % 2 == 0) {
			pid = fork();
			if (pid == 0) {
				child_site();
				wl_sleep_ms(CHILD_MS);
				_exit(0);
			}
		} else if (posix_spawn(&pid, "/bin/true", NULL, NULL, true_argv, environ)) {
			pid = -1;
		}
		spawned += pid > 0;
		wl_sleep_ms(period);
	}
	while (wait(NULL) > 0)
		;
	fprintf(stderr, "spawned %ld\n", spawned);
	for (double end = wl_now() + hold; !wl_stop && wl_now() < end;)
		wl_sleep_ms(20);
	return 0;
}
