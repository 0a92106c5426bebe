/* SPDX-License-Identifier: GPL-2.0-only */
/* Exactness: calls every allocator entry point once, from its own function,
 * and leaves a known amount outstanding at each site (run it as
 * `leaktrace -- allocs`, so every call is seen):
 *
 *   site (first frame)     kind  bytes     count
 *   site_malloc            heap  1000      1
 *   site_calloc            heap  1000      1   calloc(10, 100)
 *   site_realloc_shrink    heap  300       1   realloc(NULL,100) in site_realloc_new,
 *                                              realloc(p,5000) in site_realloc_grow,
 *                                              realloc(p,300) here: a block's stack is
 *                                              the stack of the realloc that made it
 *   site_realloc_zero      -     0         0   realloc(p, 0) frees what
 *                                              site_realloc_victim malloc'ed
 *   site_reallocarray      heap  300       1   reallocarray(NULL, 10, 30)
 *   site_posix_memalign    heap  640       1
 *   site_aligned_alloc     heap  128       1
 *   site_memalign          heap  96        1
 *   site_valloc            heap  200       1
 *   site_pvalloc           heap  100       1   glibc rounds to a page; leaktrace
 *                                              records the requested size
 *   site_strdup            heap  10        1   frame 0 may be strdup in libc
 *   site_big_malloc        heap  1048576   1   glibc mmaps it: no mmap entry
 *   site_mmap_keep         mmap  12288     1   3 anonymous pages, never unmapped
 *   site_mmap_partial      mmap  12288     1   5 pages, first 2 unmapped
 *   site_mmap_full         -     0         0   mapped and fully unmapped
 *
 * Everything else it frees. Then it sleeps HOLD_MS (argv[1], else $HOLD_MS,
 * else 1500 ms) so at least one interval report happens, and exits without
 * freeing the leaks.
 *
 *   allocs [HOLD_MS]
 *
 * stdout: only "ready <pid>", printed after the allocations. */
#include <malloc.h>
#include <sys/mman.h>
#include "wl.h"

#define PAGE 4096

static void *volatile sink;
static void *keep[32];
static int nkeep;
static const char nine[] = "123456789";

static void hold(void *p)
{
	if (!p) {
		wl_write(STDERR_FILENO, "allocs: allocation failed\n", 26);
		exit(1);
	}
	keep[nkeep++] = p;
}

__attribute__((noinline)) static void site_malloc(void)
{
	sink = malloc(1000); /* LEAK:site_malloc */
	hold(sink);
}

__attribute__((noinline)) static void site_calloc(void)
{
	sink = calloc(10, 100); /* LEAK:site_calloc */
	hold(sink);
}

__attribute__((noinline)) static void *site_realloc_new(void)
{
	sink = realloc(NULL, 100); /* LEAK:site_realloc_new */
	return sink;
}

__attribute__((noinline)) static void *site_realloc_grow(void *p)
{
	sink = realloc(p, 5000); /* LEAK:site_realloc_grow */
	return sink;
}

__attribute__((noinline)) static void *site_realloc_shrink(void *p)
{
	sink = realloc(p, 300); /* LEAK:site_realloc_shrink */
	return sink;
}

__attribute__((noinline)) static void *site_realloc_victim(void)
{
	sink = malloc(400); /* LEAK:site_realloc_victim */
	return sink;
}

__attribute__((noinline)) static void site_realloc_zero(void *p)
{
	sink = realloc(p, 0); /* LEAK:site_realloc_zero */
	/* glibc frees p and returns NULL; anything else is freed here. */
	free(sink);
}

__attribute__((noinline)) static void site_reallocarray(void)
{
	sink = reallocarray(NULL, 10, 30); /* LEAK:site_reallocarray */
	hold(sink);
}

__attribute__((noinline)) static void site_posix_memalign(void)
{
	void *p = NULL;
	int err = posix_memalign(&p, 64, 640); /* LEAK:site_posix_memalign */

	sink = err ? NULL : p;
	hold(sink);
}

__attribute__((noinline)) static void site_aligned_alloc(void)
{
	sink = aligned_alloc(64, 128); /* LEAK:site_aligned_alloc */
	hold(sink);
}

__attribute__((noinline)) static void site_memalign(void)
{
	sink = memalign(32, 96); /* LEAK:site_memalign */
	hold(sink);
}

__attribute__((noinline)) static void site_valloc(void)
{
	sink = valloc(200); /* LEAK:site_valloc */
	hold(sink);
}

__attribute__((noinline)) static void site_pvalloc(void)
{
	sink = pvalloc(100); /* LEAK:site_pvalloc */
	hold(sink);
}

__attribute__((noinline)) static void site_strdup(void)
{
	sink = strdup(nine); /* LEAK:site_strdup */
	hold(sink);
}

__attribute__((noinline)) static void site_big_malloc(void)
{
	sink = malloc(1 << 20); /* LEAK:site_big_malloc */
	hold(sink);
}

/* The mmap(2) call itself must sit on the marker line, so this is a macro. */
#define anon_mmap(len) mmap(NULL, (len), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)

static void *map_pages(void *p)
{
	if (p == MAP_FAILED) {
		wl_write(STDERR_FILENO, "allocs: mmap failed\n", 20);
		exit(1);
	}
	return p;
}

__attribute__((noinline)) static void site_mmap_keep(void)
{
	sink = anon_mmap(3 * PAGE); /* LEAK:site_mmap_keep */
	hold(map_pages(sink));
}

__attribute__((noinline)) static void site_mmap_partial(void)
{
	char *p;

	sink = anon_mmap(5 * PAGE); /* LEAK:site_mmap_partial */
	p = map_pages(sink);
	munmap(p, 2 * PAGE);
	hold(p + 2 * PAGE);
}

__attribute__((noinline)) static void site_mmap_full(void)
{
	sink = anon_mmap(4 * PAGE); /* LEAK:site_mmap_full */
	munmap(map_pages(sink), 4 * PAGE);
}

int main(int argc, char **argv)
{
	long hold_ms = wl_ms(argc, argv, 1, "HOLD_MS", 1500);
	void *p;

	wl_signals();
	site_malloc();
	site_calloc();
	p = site_realloc_new();
	p = site_realloc_grow(p);
	hold(site_realloc_shrink(p));
	site_realloc_zero(site_realloc_victim());
	site_reallocarray();
	site_posix_memalign();
	site_aligned_alloc();
	site_memalign();
	site_valloc();
	site_pvalloc();
	site_strdup();
	site_big_malloc();
	site_mmap_keep();
	site_mmap_partial();
	site_mmap_full();
	wl_ready();
	wl_sleep_ms(hold_ms);
	return 0;
}
