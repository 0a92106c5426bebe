/* SPDX-License-Identifier: GPL-2.0-only */
/* Pages faulted in and given back, for --pages. Every ~20 ms, by MODE:
 *
 *   leak    leak_page() touches one more page of a reservation (exactly one
 *           4 KiB page per iteration, never given back); cache_page() fills
 *           a 64-page cache over the first 64 iterations and then reuses it;
 *           churn_pages() rewrites the same 16 pages every iteration.
 *   free    advise_back() maps 16 fresh pages, touches them and gives them
 *           back with madvise (8 MADV_DONTNEED, 8 MADV_FREE), keeping the
 *           mapping; unmap_back() the same with munmap; heap_back() grows
 *           the brk heap by 8 pages, touches them, and shrinks it again.
 *           Nothing grows.
 *   mremap  grow_buf() grows one buffer by a page with mremap (moving it:
 *           a page is mapped after it first) and touches the new page: one
 *           page per iteration; "moved=N" at the end.
 *   fixed   move_onto() touches 4 pages in touch_src() and 4 in touch_dst(),
 *           then moves the first 4 onto the others with mremap
 *           (MREMAP_FIXED), which replaces them: 4 pages an iteration stay,
 *           touched in touch_src(); none of touch_dst()'s.
 *   huge    huge_page() touches one byte of the next 2 MiB block of a
 *           reservation marked MADV_HUGEPAGE: one fault an iteration, which
 *           the kernel may serve with a huge page.
 *   threads 4 threads, each leaking one page per iteration in thread_leak().
 *   thp     maps an 8 MiB region aligned to 2 MiB, marks it MADV_HUGEPAGE
 *           and touches every page of it in thp_touch(), then says
 *           "touched"; at each SIGUSR1 gives part of it back with munmap:
 *           the first 3 MiB (one block and half of the next), "unmapped
 *           3145728", then the rest, "unmapped 8388608". No loop: it waits
 *           for SIGTERM. "thp --pretouch" first touches one page of each
 *           block in thp_pretouch(), before the madvise, so that the kernel
 *           cannot map a huge page there and falls back to small pages.
 *           "thp --move": at the first SIGUSR1 moves the region whole with
 *           mremap to another 2 MiB-aligned address, "moved 8388608", and
 *           at the second unmaps it there, "unmapped 8388608".
 *           "thp --retouch": at the first SIGUSR1 gives back its top 1 MiB
 *           (half of the last block) with MADV_DONTNEED, "advised 1048576";
 *           at the second touches it again in thp_retouch(), "retouched
 *           1048576"; at the third unmaps it all, "unmapped 8388608".
 *
 *   pages MODE [--iterations N | --seconds S]    default: until SIGTERM
 *
 * Prints "ready <pid>" once the loop starts; "leaked=N" (pages) at the end
 * of leak, mremap and threads. Exits 0. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include "wl.h"

#define PAGE 4096
#define PERIOD_MS 20
#define RESERVE (1L << 30) /* address space for the leaks: 256K pages */
#define CACHE_PAGES 64
#define CHURN_PAGES 16
#define NR_THREADS 4

static char *reserve(void)
{
	char *p = mmap(NULL, RESERVE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	/* small pages, one fault each, whatever the system's huge page
	 * setting (Debian's is always) */
	madvise(p, RESERVE, MADV_NOHUGEPAGE);
	return p;
}

#define HUGE (2L << 20)

static char *huge_area;

/* One fault in each 2 MiB block: the kernel may map a huge page there */
__attribute__((noinline)) static void huge_page(long i)
{
	huge_area[i * HUGE] = 1; /* LEAK:huge_page */
}

#define THP_AREA (8L << 20)
#define THP_FIRST (3L << 20)
#define THP_TOP (1L << 20)

__attribute__((noinline)) static void thp_pretouch(char *p)
{
	for (long off = 0; off < THP_AREA; off += HUGE)
		p[off] = 1;
}

__attribute__((noinline)) static void thp_touch(char *p)
{
	for (long off = 0; off < THP_AREA; off += PAGE)
		p[off] = 1; /* LEAK:thp_touch */
}

__attribute__((noinline)) static void thp_retouch(char *p)
{
	for (long off = 0; off < THP_TOP; off += PAGE)
		p[off] = 1; /* LEAK:thp_retouch */
}

static void thp_say(const char *what, long n)
{
	char line[64];
	int len = snprintf(line, sizeof(line), "%s %ld\n", what, n);

	wl_write(STDOUT_FILENO, line, (size_t)len);
}

/* Waits for SIGUSR1; false on SIGTERM. */
static bool thp_next(void)
{
	while (!wl_kick && !wl_stop)
		wl_sleep_ms(PERIOD_MS);
	wl_kick = 0;
	return !wl_stop;
}

/* THP_AREA of address space aligned to a huge page, a mapping of its own */
static char *thp_map(int prot)
{
	char *p = mmap(NULL, THP_AREA + HUGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *area;

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	area = (char *)(((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	if (area > p)
		munmap(p, (size_t)(area - p));
	munmap(area + THP_AREA, (size_t)(p + HUGE - area));
	return area;
}

static int thp(const char *how)
{
	bool pretouch = !strcmp(how, "--pretouch"), move = !strcmp(how, "--move");
	char *area = thp_map(PROT_READ | PROT_WRITE), *to;
	char *top = area + THP_AREA - THP_TOP;

	wl_ready();
	if (pretouch)
		thp_pretouch(area);
	if (madvise(area, THP_AREA, MADV_HUGEPAGE)) {
		perror("madvise");
		return 1;
	}
	thp_touch(area);
	thp_say("touched", THP_AREA);
	if (!thp_next())
		return 0;
	if (!strcmp(how, "--retouch")) {
		madvise(top, THP_TOP, MADV_DONTNEED);
		thp_say("advised", THP_TOP);
		if (!thp_next())
			return 0;
		thp_retouch(top);
		thp_say("retouched", THP_TOP);
		if (!thp_next())
			return 0;
		munmap(area, THP_AREA);
		thp_say("unmapped", THP_AREA);
		while (!wl_stop)
			wl_sleep_ms(PERIOD_MS);
		return 0;
	}
	if (move) {
		to = mremap(area, THP_AREA, THP_AREA, MREMAP_MAYMOVE | MREMAP_FIXED,
			    thp_map(PROT_NONE));
		if (to == MAP_FAILED) {
			perror("mremap");
			return 1;
		}
		thp_say("moved", THP_AREA);
		if (!thp_next())
			return 0;
		munmap(to, THP_AREA);
		thp_say("unmapped", THP_AREA);
		while (!wl_stop)
			wl_sleep_ms(PERIOD_MS);
		return 0;
	}
	munmap(area, THP_FIRST);
	thp_say("unmapped", THP_FIRST);
	if (!thp_next())
		return 0;
	munmap(area + THP_FIRST, THP_AREA - THP_FIRST);
	thp_say("unmapped", THP_AREA);
	while (!wl_stop)
		wl_sleep_ms(PERIOD_MS);
	return 0;
}

static char *leak_area, *cache_area, *churn_area;
static long leaked, cache_next;

__attribute__((noinline)) static void leak_page(void)
{
	leak_area[leaked++ * PAGE] = 1; /* LEAK:leak_page */
}

__attribute__((noinline)) static void cache_page(void)
{
	cache_area[(cache_next++ % CACHE_PAGES) * PAGE] = 1; /* LEAK:cache_page */
}

__attribute__((noinline)) static void churn_pages(void)
{
	for (int i = 0; i < CHURN_PAGES; i++)
		churn_area[i * PAGE] += 1;
}

static char *fresh_pages(void)
{
	char *p = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (int i = 0; i < 16; i++)
		p[i * PAGE] = 1;
	return p;
}

/* The mapping stays (address space, no memory): only madvise gives its
 * pages back. */
__attribute__((noinline)) static void advise_back(void)
{
	char *p = fresh_pages();

	if (!p)
		return;
	madvise(p, 8 * PAGE, MADV_DONTNEED);
	madvise(p + 8 * PAGE, 8 * PAGE, MADV_FREE);
}

__attribute__((noinline)) static void unmap_back(void)
{
	char *p = fresh_pages();

	if (p)
		munmap(p, 16 * PAGE);
}

__attribute__((noinline)) static void heap_back(void)
{
	char *top = sbrk(0);
	char *p;

	/* page-aligned, so the pages given back are exactly those touched */
	if (sbrk(PAGE - ((uintptr_t)top & (PAGE - 1))) == (void *)-1)
		return;
	p = sbrk(8 * PAGE);
	if (p == (void *)-1)
		return;
	for (int i = 0; i < 8; i++)
		p[i * PAGE] = 1;
	brk(top);
}

static char *buf;
static size_t buf_pages;

static long moved;

/* A page mapped (never touched) right after the buffer first, so that
 * growing it moves it. */
__attribute__((noinline)) static void grow_buf(void)
{
	char *end = buf + buf_pages * PAGE, *p;

	mmap(end, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	p = mremap(buf, buf_pages * PAGE, (buf_pages + 1) * PAGE, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return;
	moved += p != buf;
	buf = p;
	buf[buf_pages++ * PAGE] = 1; /* LEAK:grow_buf */
}

__attribute__((noinline)) static char *touch_src(void)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	for (int i = 0; p != MAP_FAILED && i < 4; i++)
		p[i * PAGE] = 1; /* LEAK:touch_src */
	return p;
}

__attribute__((noinline)) static char *touch_dst(void)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	for (int i = 0; p != MAP_FAILED && i < 4; i++)
		p[i * PAGE] = 2;
	return p;
}

__attribute__((noinline)) static void move_onto(void)
{
	char *src = touch_src(), *dst = touch_dst();

	if (src != MAP_FAILED && dst != MAP_FAILED)
		mremap(src, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
}

struct thread_arg {
	struct wl_loop *loop;
	long done;
	char *area;
};

__attribute__((noinline)) static void thread_leak(struct thread_arg *t)
{
	t->area[t->done * PAGE] = 1; /* LEAK:thread_leak */
}

static void *thread_main(void *v)
{
	struct thread_arg *t = v;

	while (wl_loop_more(t->loop, t->done)) {
		thread_leak(t);
		t->done++;
		wl_sleep_ms(PERIOD_MS);
	}
	return NULL;
}

static void print_leaked(long n)
{
	char line[64];
	int len = snprintf(line, sizeof(line), "leaked=%ld\n", n);

	wl_write(STDERR_FILENO, line, (size_t)len);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct wl_loop loop;
	long done = 0;

	wl_signals();
	if (!strcmp(mode, "thp"))
		return thp(argc > 2 ? argv[2] : "");
	wl_loop_args(argc - 1, argv + 1, &loop);
	if (!strcmp(mode, "threads")) {
		pthread_t th[NR_THREADS];
		struct thread_arg args[NR_THREADS];
		char *area = reserve();
		long total = 0;

		wl_ready();
		for (int i = 0; i < NR_THREADS; i++) {
			args[i] = (struct thread_arg){ &loop, 0,
						       area + i * (RESERVE / NR_THREADS) };
			pthread_create(&th[i], NULL, thread_main, &args[i]);
		}
		for (int i = 0; i < NR_THREADS; i++) {
			pthread_join(th[i], NULL);
			total += args[i].done;
		}
		print_leaked(total);
		return 0;
	}
	if (!strcmp(mode, "leak")) {
		leak_area = reserve();
		cache_area = reserve();
		churn_area = reserve();
	} else if (!strcmp(mode, "mremap")) {
		buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		buf[0] = 1; /* LEAK:grow_first */
		buf_pages = 1;
	} else if (!strcmp(mode, "huge")) {
		char *p = mmap(NULL, RESERVE + HUGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED)
			return 1;
		huge_area = (char *)(((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
		madvise(huge_area, RESERVE, MADV_HUGEPAGE);
	} else if (strcmp(mode, "free") && strcmp(mode, "fixed")) {
		fprintf(stderr,
			"usage: %s leak|free|mremap|fixed|huge|threads [--iterations N]\n"
			"       %s thp [--pretouch | --move | --retouch]\n",
			argv[0], argv[0]);
		return 2;
	}
	wl_ready();
	while (wl_loop_more(&loop, done)) {
		if (!strcmp(mode, "leak")) {
			leak_page(); /* CALL:main */
			cache_page();
			churn_pages();
		} else if (!strcmp(mode, "free")) {
			advise_back();
			unmap_back();
			heap_back();
		} else if (!strcmp(mode, "fixed")) {
			move_onto();
		} else if (!strcmp(mode, "huge")) {
			huge_page(done);
		} else {
			grow_buf();
		}
		wl_sleep_ms(PERIOD_MS);
		done++;
	}
	if (!strcmp(mode, "leak"))
		print_leaked(leaked);
	else if (!strcmp(mode, "mremap")) {
		char line[64];
		int len = snprintf(line, sizeof(line), "moved=%ld\n", moved);

		wl_write(STDERR_FILENO, line, (size_t)len);
		print_leaked(buf_pages);
	}
	return 0;
}
