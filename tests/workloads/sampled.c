/* SPDX-License-Identifier: GPL-2.0-only */
/* Many allocations of known sizes, for the sampling options (--sample,
 * --sample-bytes), whose estimates are checked against these exact figures.
 * Run it as `leaktrace -- sampled`, so every call is seen:
 *
 *   site (first frame)   bytes              count
 *   leak_small           SMALL_N * 64       SMALL_N   malloc(64), never freed
 *   leak_big             BIG_N * 8192       BIG_N     malloc(8192), never freed
 *   grow_new             0                  0         malloc(64), realloc'ed away
 *   grow_site            GROW_N * 128       GROW_N    realloc(p, 128) of those
 *   churn                0                  0         malloc+free, random sizes
 *
 * The work is spread over ROUNDS rounds ROUND_MS apart, so that reports see
 * it grow. Then it sleeps HOLD_MS (argv[1], else $HOLD_MS, else 800 ms) and
 * exits without freeing the leaks.
 *
 *   sampled [HOLD_MS]
 *
 * stdout: only "ready <pid>", printed before the first round. */
#include "wl.h"
#include "churn.h"

#define SMALL_N 100000
#define BIG_N 100
#define GROW_N 20000
#define CHURN_N 100000
#define ROUNDS 4
#define ROUND_MS 250

static void *volatile sink;

__attribute__((noinline)) static void leak_small(int n)
{
	for (int i = 0; i < n; i++)
		sink = malloc(64); /* LEAK:leak_small */
}

__attribute__((noinline)) static void leak_big(int n)
{
	for (int i = 0; i < n; i++)
		sink = malloc(8192); /* LEAK:leak_big */
}

__attribute__((noinline)) static void *grow_new(void)
{
	sink = malloc(64); /* LEAK:grow_new */
	return sink;
}

__attribute__((noinline)) static void *grow_site(void *p)
{
	sink = realloc(p, 128); /* LEAK:grow_site */
	return sink;
}

int main(int argc, char **argv)
{
	long hold = wl_ms(argc, argv, 1, "HOLD_MS", 800);

	wl_signals();
	wl_ready();
	for (int r = 0; r < ROUNDS && !wl_stop; r++) {
		leak_small(SMALL_N / ROUNDS);
		leak_big(BIG_N / ROUNDS);
		for (int i = 0; i < GROW_N / ROUNDS; i++)
			grow_site(grow_new());
		churn(CHURN_N / ROUNDS);
		wl_sleep_ms(ROUND_MS);
	}
	wl_sleep_ms(hold);
	return 0;
}
