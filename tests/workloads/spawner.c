/* SPDX-License-Identifier: GPL-2.0-only */
/* Many short processes, for a --system sweep: COUNT children, one every
 * PERIOD_MS (or --period MS), alternately a fork that leaks blocks in
 * child_site() and exits CHILD_MS later (its blocks still outstanding), and
 * /bin/true run by posix_spawn.
 * Then waits for the children and idles until killed or --hold S passes.
 *
 *   spawner COUNT [--hold S] [--batch N] [--period MS]
 *
 * --batch N: in batches of N children, each forked child living until it is
 * told, not CHILD_MS: once every fork of a batch has leaked, prints "batch K"
 * (K from 1) on stderr and waits for SIGUSR1; then the batch's forks exit
 * and are reaped, and the next batch begins. A test lets a batch live until
 * the tracer has reported on it, however slow the machine.
 *
 * Prints "ready <pid>" before the first child, and "spawned N" on stderr once
 * all are reaped. */
#include <fcntl.h>
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

/* A forked child: leaks, then lives CHILD_MS, or with batches says it has
 * leaked on @leaked and lives until @go reaches end of file. */
static void child(int leaked, int go)
{
	char c = 0;

	child_site();
	if (leaked < 0) {
		wl_sleep_ms(CHILD_MS);
		_exit(0);
	}
	wl_write(leaked, &c, 1);
	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

int main(int argc, char **argv)
{
	char *true_argv[] = { "true", NULL };
	int leaked[2] = { -1, -1 }, go[2] = { -1, -1 };
	long count, batch = 0, spawned = 0, forks = 0, batches = 0;
	double hold = 0;
	char c, line[32];
	long period = PERIOD_MS;
	pid_t pid;
	int n;

	if (argc < 2 || argc % 2) {
		fprintf(stderr, "usage: %s COUNT [--hold S] [--batch N] [--period MS]\n", argv[0]);
		return 2;
	}
	count = atol(argv[1]);
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--hold")) {
			hold = atof(argv[i + 1]);
		} else if (!strcmp(argv[i], "--batch")) {
			batch = atol(argv[i + 1]);
		} else if (!strcmp(argv[i], "--period")) {
			period = atol(argv[i + 1]);
		} else {
			fprintf(stderr, "usage: %s COUNT [--hold S] [--batch N] [--period MS]\n",
				argv[0]);
			return 2;
		}
	}
	wl_signals();
	wl_ready();
	for (long i = 0; i < count && !wl_stop; i++) {
		/* close-on-exec: /bin/true must not hold the go pipe open */
		if (batch && i % batch == 0 && (pipe2(leaked, O_CLOEXEC) || pipe2(go, O_CLOEXEC))) {
			perror("pipe");
			return 1;
		}
		if (i % 2 == 0) {
			pid = fork();
			if (pid == 0) {
				close(go[1]);
				child(leaked[1], go[0]);
			}
			forks += pid > 0;
		} else if (posix_spawn(&pid, "/bin/true", NULL, NULL, true_argv, environ)) {
			pid = -1;
		}
		spawned += pid > 0;
		wl_sleep_ms(period);
		if (!batch || ((i + 1) % batch && i + 1 < count))
			continue;
		/* the batch is made: wait for its forks' leaks, say so, wait for
		 * the kick, let them go and reap them */
		close(leaked[1]);
		close(go[0]);
		for (; forks > 0 && read(leaked[0], &c, 1) == 1; forks--)
			;
		close(leaked[0]);
		wl_kick = 0;
		n = snprintf(line, sizeof(line), "batch %ld\n", ++batches);
		wl_write(STDERR_FILENO, line, (size_t)n);
		while (!wl_kick && !wl_stop)
			wl_sleep_ms(10);
		close(go[1]);
		while (wait(NULL) > 0)
			;
		forks = 0;
	}
	while (wait(NULL) > 0)
		;
	fprintf(stderr, "spawned %ld\n", spawned);
	for (double end = wl_now() + hold; !wl_stop && wl_now() < end;)
		wl_sleep_ms(20);
	return 0;
}
