// SPDX-License-Identifier: GPL-2.0-only
/* Faults in fresh pages and gives them back, for what --pages costs per page:
 * ROUNDS times, maps PAGES anonymous pages, writes one byte in each (one page
 * fault each) and unmaps them. Prints "elapsed=SECONDS" of that loop on
 * stderr, so a tracer's start-up is not counted.
 *
 *   faults [PAGES [ROUNDS]]    default 4096 pages (16 MiB), 100 rounds */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void touch(char *p, long pages, long page)
{
	for (long i = 0; i < pages; i++)
		p[i * page] = 1;
}

int main(int argc, char **argv)
{
	long pages = argc > 1 ? atol(argv[1]) : 4096, rounds = argc > 2 ? atol(argv[2]) : 100;
	long page = sysconf(_SC_PAGESIZE);
	double t0 = now();

	for (long r = 0; r < rounds; r++) {
		char *p = mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		touch(p, pages, page);
		munmap(p, pages * page);
	}
	fprintf(stderr, "elapsed=%.6f\n", now() - t0);
	return 0;
}
