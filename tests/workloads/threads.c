/* SPDX-License-Identifier: GPL-2.0-only */
/* Cross-thread allocation. A producer thread mallocs 64-byte blocks in
 * producer_churn() and queues them; a consumer thread frees them. Every 10th
 * block is instead 48 bytes from producer_leak(), flagged so the consumer keeps
 * it in consumer_keep() and never frees it. Expected: only the producer_leak
 * site grows; the 64-byte site (malloc on one thread, free on another) ends at 0.
 *
 *   threads [--iterations N | --seconds S]   N blocks produced (default: until
 *                                            SIGTERM/SIGINT), one every ~2 ms
 *
 * Prints "ready <pid>" when the threads start, and at exit, after both threads
 * are joined, "leaked=N" (blocks kept) on stderr. Exits 0. */
#include <pthread.h>
#include "wl.h"

#define CHURN_SIZE 64
#define LEAK_SIZE 48
#define LEAK_EVERY 10
#define PERIOD_MS 2

struct block {
	struct block *next;
	int keep;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct block *head, *tail;
static int done_producing;
static struct wl_loop loop;

static void *volatile sink;
static struct block *kept; /* the leaked blocks, chained */
static long nkept;

__attribute__((noinline)) static struct block *producer_churn(void)
{
	sink = malloc(CHURN_SIZE); /* LEAK:producer_churn */
	return sink;
}

__attribute__((noinline)) static struct block *producer_leak(void)
{
	sink = malloc(LEAK_SIZE); /* LEAK:producer_leak */
	return sink;
}

__attribute__((noinline)) static void consumer_keep(struct block *b)
{
	b->next = kept;
	kept = b;
	nkept++;
}

static void queue_push(struct block *b)
{
	b->next = NULL;
	pthread_mutex_lock(&lock);
	if (tail)
		tail->next = b;
	else
		head = b;
	tail = b;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

static void *producer(void *arg)
{
	long n = 0;

	(void)arg;
	while (wl_loop_more(&loop, n)) {
		struct block *b;

		n++;
		b = n % LEAK_EVERY == 0 ? producer_leak() : producer_churn();
		if (!b)
			abort();
		b->keep = n % LEAK_EVERY == 0;
		queue_push(b);
		wl_sleep_ms(PERIOD_MS);
	}
	pthread_mutex_lock(&lock);
	done_producing = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (;;) {
		struct block *b;

		pthread_mutex_lock(&lock);
		while (!head && !done_producing)
			pthread_cond_wait(&cond, &lock);
		b = head;
		if (b) {
			head = b->next;
			if (!head)
				tail = NULL;
		}
		pthread_mutex_unlock(&lock);
		if (!b)
			return NULL; /* queue drained and producer done */
		if (b->keep)
			consumer_keep(b);
		else
			free(b);
	}
}

int main(int argc, char **argv)
{
	pthread_t prod, cons;
	char buf[64];
	int n;

	wl_loop_args(argc, argv, &loop);
	wl_signals();
	if (pthread_create(&cons, NULL, consumer, NULL) ||
	    pthread_create(&prod, NULL, producer, NULL))
		return 1;
	wl_ready();
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	n = snprintf(buf, sizeof(buf), "leaked=%ld\n", nkept);
	wl_write(STDERR_FILENO, buf, (size_t)n);
	return 0;
}
