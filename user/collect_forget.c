// SPDX-License-Identifier: GPL-2.0-only
/* What the collector lets go of, in steps of bounded cost: objects a program
 * keeps for reuse (CPython's free lists) held out of the totals and
 * discounted, the records of processes that exited, and the sweep of their
 * entries from the allocs map, a batch at a time after each report. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "leaktrace.skel.h"
#include "array.h"
#include "collect_int.h"
#include "log.h"

static bool alloc_lookup(struct collector *c, __u32 tgid, __u32 kind, __u64 addr,
			 struct lt_alloc *a)
{
	struct lt_alloc_key k = { .addr = addr, .tgid = tgid, .kind = kind };

	return !bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.allocs), &k, a);
}

void collector__hold(struct collector *c, __u32 tgid, __u32 kind, const __u64 *addrs, size_t n)
{
	c->nr_held = 0;
	for (size_t i = 0; i < n; i++) {
		struct held h = { .addr = addrs[i] };

		if (!alloc_lookup(c, tgid, kind, addrs[i], &h.a))
			continue;
		if (ARRAY_RESERVE(c->held, c->cap_held, c->nr_held + 1))
			return;
		c->held[c->nr_held++] = h;
	}
}

/* Whether @addr was held with the record @a at the last collector__hold(). */
static bool held_before(const struct collector *c, __u64 addr, const struct lt_alloc *a)
{
	for (size_t i = 0; i < c->nr_held; i++)
		if (c->held[i].addr == addr)
			return !memcmp(&c->held[i].a, a, sizeof(*a));
	return false;
}

void collector__discount(struct collector *c, __u32 tgid, __u32 kind, const __u64 *addrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct lt_sample *x;
		struct sample_key key;
		struct lt_alloc a;
		void *v;

		/* Held before and after the maps were read, by the same record:
		 * the totals read count it under that record's stack. */
		if (!alloc_lookup(c, tgid, kind, addrs[i], &a) || !held_before(c, addrs[i], &a))
			continue;
		key = (struct sample_key){ .stack = lt_stack_walked(a.stack)
							    ? canonical(c, tgid, a.stack)
							    : a.stack,
					   .aux = a.aux,
					   .tgid = tgid,
					   .kind = kind };
		v = hashmap__get(c->merge, &key);
		if (!v)
			continue;
		x = &c->samples[(uintptr_t)v - 1];
		if (x->count > 0 && x->bytes >= (__s64)a.size) {
			x->bytes -= a.size;
			x->count--;
		}
	}
	c->nr_held = 0;
}

/* Of the @nr entries of the allocs map at @keys and @vals, deletes those whose
 * totals were dropped. */
static void sweep_batch(struct collector *c, int fd, const struct lt_alloc_key *keys,
			const struct lt_alloc *vals, size_t nr)
{
	struct lt_alloc_key *gone = c->sweep_keys;
	size_t n = 0;

	for (size_t i = 0; i < nr; i++) {
		struct forget *f = hashmap__get(c->forget, &keys[i].tgid);
		struct lt_stat_key sk = { .stack = vals[i].stack,
					  .aux = vals[i].aux,
					  .tgid = keys[i].tgid,
					  .kind = keys[i].kind };

		if (f && f->stats && hashmap__get(f->stats, &sk))
			gone[n++] = keys[i];
	}
	delete_keys(c, fd, gone, n, sizeof(*gone));
}

/* The sweep of a kernel without batched lookups: a whole pass at once, keys
 * collected before they are deleted (deleting the walk's current key
 * restarts it). */
static void sweep_slow(struct collector *c, int fd)
{
	struct lt_alloc_key *keys = (struct lt_alloc_key *)c->bkeys, next, key;
	struct lt_alloc *vals = (struct lt_alloc *)c->bvals;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		size_t nr = 0;

		do {
			if (!bpf_map_lookup_elem(fd, &next, &vals[nr]))
				keys[nr++] = next;
			key = next;
			prev = &key;
		} while (nr < BATCH && !bpf_map_get_next_key(fd, prev, &next));
		sweep_batch(c, fd, keys, vals, nr);
	}
}

bool collector__sweep(struct collector *c, double budget_s)
{
	int fd = bpf_map__fd(c->skel->maps.allocs), err;
	__u64 end = lt_now_ns() + (__u64)(budget_s * 1e9);
	size_t pos = 0;
	void *v;
	bool wanted = c->sweeping;

	while (!wanted && hashmap__next(c->forget, &pos, NULL, &v))
		wanted = ((struct forget *)v)->until > c->sweep_done;
	if (!wanted)
		return false;
	if (!c->sweeping) {
		c->sweeping = c->sweep_first = true;
		c->sweep_pass++;
	}
	if (c->no_batch) {
		sweep_slow(c, fd);
		goto done;
	}
	do {
		__u32 count = BATCH;

		err = bpf_map_lookup_batch(fd, c->sweep_first ? NULL : &c->sweep_token,
					   &c->sweep_token, c->bkeys, c->bvals, &count, NULL);
		if (err && errno != ENOENT) {
			if (c->sweep_first &&
			    (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP)) {
				c->no_batch = true;
				sweep_slow(c, fd);
				goto done;
			}
			/* a pass from the start next time: one that began after
			 * every drop so far is what retires them */
			lt_debug("cannot sweep the allocs map: %s", strerror(errno));
			c->sweeping = false;
			return true;
		}
		c->sweep_first = false;
		sweep_batch(c, fd, (const struct lt_alloc_key *)c->bkeys,
			    (const struct lt_alloc *)c->bvals, count);
		if (err)
			goto done;
	} while (lt_now_ns() < end);
	return true;
done:
	c->sweeping = false;
	c->sweep_done = c->sweep_pass;
	forget_retire(c);
	return false;
}

void collector__forget_many(struct collector *c, const pid_t *tgids, size_t n)
{
	__u64 now = lt_now_ns();

	for (size_t i = 0; i < n; i++) {
		__u32 t = tgids[i];
		struct forget *f = hashmap__get(c->forget, &t);

		/* the time of its exit event is the better one */
		if (!f || !f->exited)
			forget_note(c, t, now, true, FORGET_ALL);
	}
}

void collector__forget_kind(struct collector *c, pid_t tgid, __u32 kind)
{
	forget_note(c, tgid, lt_now_ns(), false, 1u << kind);
}
