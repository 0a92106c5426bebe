// SPDX-License-Identifier: GPL-2.0-only
/* Reading what the BPF side recorded. Heap totals are aggregated in the kernel
 * and read in batches; anonymous mappings arrive as events and their ranges
 * are kept here, per process, in a sorted array, because munmap and mremap can
 * split, shrink or move them and MAP_FIXED can replace them. Stack frames are
 * read once per stack id and kept. */
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "array.h"
#include "collect.h"
#include "hashmap.h"
#include "log.h"

struct region {
	__u64 start, end;
	__u64 stack;
};

/* One process's tracked anonymous mappings, sorted by start, disjoint. */
struct regions {
	struct region *v;
	size_t nr, cap;
};

/* Totals of one (process, stack) for the kinds kept in user space. */
struct utotal {
	struct lt_sample s;
};

struct stack_key {
	__u64 stack;
	__u32 tgid;
	__u32 pad;
};

/* What samples are merged by. */
struct sample_key {
	__u64 stack;
	__u64 aux;
	__u32 tgid;
	__u32 kind;
};

struct frames {
	size_t nr;
	__u64 ips[];
};

enum user_counter {
	UCNT_STACKS_UNREADABLE, /* a stack id whose frames could not be read */
	UCNT_EVENTS_BAD,	/* an event too short or of an unknown type */
	UCNT_STATS_TORN,	/* totals read while an update was half-way through */
	UCNT__NR,
};

struct collector {
	struct leaktrace_bpf *skel;
	struct collector_hooks hooks;
	struct ring_buffer *rb;
	unsigned int stack_depth; /* native frames a stack holds, at [0, stack_depth) */
	unsigned int py_depth;	  /* Python frames, at [stack_depth, stack_depth + py_depth) */
	__u64 page_size;
	struct hashmap *regions; /* tgid -> struct regions */
	struct hashmap *utotals; /* struct stack_key (+kind in pad) -> struct utotal */
	struct hashmap *stacks;	 /* struct stack_key -> struct frames */
	struct hashmap *canon;	 /* struct stack_key -> its stack id as shown, + 1 */
	struct hashmap *merge;	 /* struct sample_key -> index + 1 of its merged sample */
	struct hashmap *sampled; /* tgid -> (void *)1: processes in the last sample */
	struct lt_sample *samples;
	size_t nr_samples, cap_samples;
	struct held *held; /* what collector__hold() saw */
	size_t nr_held, cap_held;
	__u64 ucounters[UCNT__NR];
	bool no_batch; /* the kernel lacks batched map lookups */
	/* batch buffers */
	struct lt_stat_key *bkeys;
	struct lt_stat *bvals;
	__u64 *stack_buf;
};

#define BATCH 4096

/* A resource the program keeps for reuse, with its record when last seen. */
struct held {
	__u64 addr;
	struct lt_alloc a;
};

static const char *const kernel_counter_names[LT_CNT__NR] = {
	[LT_CNT_ALLOCS_FULL] = "allocs_full",	   [LT_CNT_STATS_FULL] = "stats_full",
	[LT_CNT_STACKS_FULL] = "stacks_full",	   [LT_CNT_EVENTS_LOST] = "events_lost",
	[LT_CNT_NO_THREAD] = "no_thread_state",	   [LT_CNT_NO_ENTRY] = "return_without_entry",
	[LT_CNT_MISSED_FREE] = "missed_free",	   [LT_CNT_GL_NAMES_LOST] = "gl_names_lost",
	[LT_CNT_UNW_NO_TABLE] = "unwind_no_table", [LT_CNT_UNW_BAD_READ] = "unwind_bad_read",
};

static const char *const user_counter_names[UCNT__NR] = {
	[UCNT_STACKS_UNREADABLE] = "stacks_unreadable",
	[UCNT_EVENTS_BAD] = "events_bad",
	[UCNT_STATS_TORN] = "stats_torn",
};

static struct utotal *utotal_get(struct collector *c, __u32 tgid, __u32 kind, __u64 stack)
{
	struct stack_key key = { .stack = stack, .tgid = tgid, .pad = kind };
	struct utotal *t = hashmap__get(c->utotals, &key);

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->s = (struct lt_sample){ .stack = stack, .tgid = tgid, .kind = kind };
	if (hashmap__put(c->utotals, &key, t)) {
		free(t);
		return NULL;
	}
	return t;
}

static struct regions *regions_get(struct collector *c, __u32 tgid, bool create)
{
	struct regions *r = hashmap__get(c->regions, &tgid);

	if (r || !create)
		return r;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (hashmap__put(c->regions, &tgid, r)) {
		free(r);
		return NULL;
	}
	return r;
}

/* Index of the first region that ends after @addr. */
static size_t regions_lower(const struct regions *r, __u64 addr)
{
	size_t lo = 0, hi = r->nr;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int regions_insert_at(struct regions *r, size_t i, const struct region *reg)
{
	if (ARRAY_RESERVE(r->v, r->cap, r->nr + 1))
		return -ENOMEM;
	memmove(&r->v[i + 1], &r->v[i], (r->nr - i) * sizeof(*r->v));
	r->v[i] = *reg;
	r->nr++;
	return 0;
}

/* Takes [start, end) out of the tracked mappings of @tgid, settling the totals
 * of the stacks that made them. */
static void regions_remove(struct collector *c, __u32 tgid, __u64 start, __u64 end)
{
	struct regions *r = regions_get(c, tgid, false);
	size_t i;

	if (!r)
		return;
	for (i = regions_lower(r, start); i < r->nr && r->v[i].start < end;) {
		struct region *reg = &r->v[i];
		__u64 lo = reg->start > start ? reg->start : start;
		__u64 hi = reg->end < end ? reg->end : end;
		struct utotal *t = utotal_get(c, tgid, LT_KIND_MMAP, reg->stack);

		if (t)
			t->s.bytes -= hi - lo;
		if (reg->start < start && reg->end > end) {
			/* A hole in the middle: the mapping is now two. */
			struct region right = { .start = end,
						.end = reg->end,
						.stack = reg->stack };

			reg->end = start;
			if (!regions_insert_at(r, i + 1, &right) && t)
				t->s.count++;
			break;
		}
		if (reg->start < start) {
			reg->end = start;
			i++;
		} else if (reg->end > end) {
			reg->start = end;
			break;
		} else {
			if (t) {
				t->s.count--;
				t->s.frees++;
			}
			memmove(reg, reg + 1, (r->nr - i - 1) * sizeof(*reg));
			r->nr--;
		}
	}
}

static void regions_add(struct collector *c, __u32 tgid, __u64 start, __u64 end, __u64 stack)
{
	struct region reg = { .start = start, .end = end, .stack = stack };
	struct regions *r;
	struct utotal *t;

	/* A new mapping replaces whatever was there (MAP_FIXED). */
	regions_remove(c, tgid, start, end);
	r = regions_get(c, tgid, true);
	t = utotal_get(c, tgid, LT_KIND_MMAP, stack);
	if (!r || !t || regions_insert_at(r, regions_lower(r, start), &reg)) {
		lt_warn("out of memory tracking mappings of pid %u", tgid);
		return;
	}
	t->s.bytes += end - start;
	t->s.count++;
	t->s.allocs++;
}

static __u64 page_up(const struct collector *c, __u64 len)
{
	return (len + c->page_size - 1) & ~(c->page_size - 1);
}

/* Moves the Python frames of a stack as the BPF side lays it out (natives
 * from 0, Python frames from @native_cap, each zero-terminated) to right after
 * the native ones; returns how many frames there are in all. */
static size_t stack_compact(__u64 *ips, size_t native_cap, size_t cap)
{
	size_t n = 0;

	while (n < native_cap && n < cap && ips[n])
		n++;
	for (size_t i = native_cap; i < cap && ips[i]; i++)
		ips[n++] = ips[i];
	return n;
}

static __u64 stack_hash(__u32 tgid, const __u64 *ips, size_t nr)
{
	__u64 h = lt_stack_seed(tgid);

	for (size_t i = 0; i < nr; i++)
		h = lt_mix(h, ips[i]);
	return lt_stack_final(h);
}

/* Keeps @ips (user-space made) as the frames of stack @id of @tgid. */
static void stack_keep(struct collector *c, __u32 tgid, __u64 id, const __u64 *ips, size_t nr)
{
	struct stack_key key = { .stack = id, .tgid = tgid };
	struct frames *f;

	if (hashmap__get(c->stacks, &key))
		return;
	f = malloc(sizeof(*f) + nr * sizeof(*ips));
	if (!f)
		return;
	f->nr = nr;
	memcpy(f->ips, ips, nr * sizeof(*ips));
	if (hashmap__put(c->stacks, &key, f))
		free(f);
}

/* The stack of a mapping: the syscall's own frame is replaced by the return
 * address into its caller, which the frame-pointer walk cannot see because
 * syscall wrappers make no frame. The wrapper's CFI says where it is. */
static __u64 mmap_stack(struct collector *c, const struct lt_event *e)
{
	__u64 frames[LT_MAX_STACK_DEPTH], ips[LT_MAX_STACK_DEPTH], off, h;
	size_t nr = 0, from = 1, nr_frames;

	memcpy(frames, e->frames, sizeof(frames));
	nr_frames = stack_compact(frames, c->stack_depth, LT_MAX_STACK_DEPTH);
	if (!nr_frames)
		return LT_STACK_LOST;
	if (c->hooks.ra_offset && !c->hooks.ra_offset(c->hooks.ctx, e->tgid, frames[0], &off) &&
	    off % 8 == 0 && off / 8 < LT_SP_WORDS && e->sp_words[off / 8]) {
		ips[nr++] = e->sp_words[off / 8];
		/* A wrapper that did make a frame shows its caller twice. */
		if (nr_frames > 1 && frames[1] == ips[0])
			from = 2;
	} else {
		ips[nr++] = frames[0];
	}
	for (size_t i = from; i < nr_frames && nr < LT_MAX_STACK_DEPTH; i++)
		ips[nr++] = frames[i];
	h = stack_hash(e->tgid, ips, nr);
	stack_keep(c, e->tgid, h, ips, nr);
	return h;
}

/* The name in event @e, made a string in @buf. */
static const char *comm_of(const struct lt_event *e, char buf[sizeof(e->comm) + 1])
{
	memcpy(buf, e->comm, sizeof(e->comm));
	buf[sizeof(e->comm)] = 0;
	return buf;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	const struct lt_event *e = data;
	char comm[sizeof(e->comm) + 1];

	if (size < offsetof(struct lt_event, frames)) {
		c->ucounters[UCNT_EVENTS_BAD]++;
		return 0;
	}
	switch (e->type) {
	case LT_EV_MMAP:
		if (e->len)
			regions_add(c, e->tgid, e->addr, e->addr + page_up(c, e->len),
				    mmap_stack(c, e));
		break;
	case LT_EV_MUNMAP:
		regions_remove(c, e->tgid, e->addr, e->addr + page_up(c, e->len));
		break;
	case LT_EV_MREMAP: {
		struct regions *r = regions_get(c, e->tgid, false);
		size_t i = r ? regions_lower(r, e->old_addr) : 0;
		__u64 stack;

		/* Only mappings we track move; the allocator's own are not ours. */
		if (!r || i >= r->nr || r->v[i].start > e->old_addr)
			break;
		stack = r->v[i].stack;
		regions_remove(c, e->tgid, e->old_addr, e->old_addr + page_up(c, e->old_len));
		regions_add(c, e->tgid, e->addr, e->addr + page_up(c, e->len), stack);
		break;
	}
	case LT_EV_MAP_EXEC:
		if (c->hooks.code_mapped)
			c->hooks.code_mapped(c->hooks.ctx, e->tgid);
		break;
	case LT_EV_EXEC:
		if (!c->hooks.exec_sampled_only || collector__sampled(c, e->tgid))
			collector__forget(c, e->tgid);
		if (c->hooks.exec)
			c->hooks.exec(c->hooks.ctx, e->tgid, comm_of(e, comm));
		break;
	case LT_EV_EXIT:
		if (c->hooks.exit)
			c->hooks.exit(c->hooks.ctx, e->tgid, comm_of(e, comm));
		break;
	case LT_EV_GL_THREAD:
		if (c->hooks.gl_thread)
			c->hooks.gl_thread(c->hooks.ctx, e->tgid, (pid_t)e->addr, e->len);
		break;
	default:
		c->ucounters[UCNT_EVENTS_BAD]++;
	}
	return 0;
}

struct collector *collector__new(struct leaktrace_bpf *skel, unsigned int stack_depth,
				 unsigned int py_depth, const struct collector_hooks *hooks)
{
	struct collector *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return NULL;
	c->skel = skel;
	c->hooks = *hooks;
	c->stack_depth = stack_depth;
	c->py_depth = py_depth;
	c->page_size = sysconf(_SC_PAGESIZE);
	c->regions = hashmap__new(sizeof(__u32));
	c->utotals = hashmap__new(sizeof(struct stack_key));
	c->stacks = hashmap__new(sizeof(struct stack_key));
	c->canon = hashmap__new(sizeof(struct stack_key));
	c->merge = hashmap__new(sizeof(struct sample_key));
	c->sampled = hashmap__new(sizeof(__u32));
	c->bkeys = calloc(BATCH, sizeof(*c->bkeys));
	c->bvals = calloc(BATCH, sizeof(*c->bvals));
	c->stack_buf = calloc(stack_depth + py_depth, sizeof(__u64));
	if (!c->regions || !c->utotals || !c->stacks || !c->canon || !c->merge || !c->sampled ||
	    !c->bkeys || !c->bvals || !c->stack_buf) {
		errno = ENOMEM;
		goto fail;
	}
	c->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, c, NULL);
	if (!c->rb)
		goto fail;
	return c;
fail:
	err = errno;
	collector__free(c);
	errno = err;
	return NULL;
}

static void free_values(struct hashmap *m, void (*fn)(void *))
{
	size_t pos = 0;
	void *v;

	if (!m)
		return;
	while (hashmap__next(m, &pos, NULL, &v))
		fn(v);
	hashmap__free(m);
}

static void regions_free(void *p)
{
	struct regions *r = p;

	free(r->v);
	free(r);
}

void collector__free(struct collector *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	free_values(c->regions, regions_free);
	free_values(c->utotals, free);
	free_values(c->stacks, free);
	hashmap__free(c->canon);
	hashmap__free(c->merge);
	hashmap__free(c->sampled);
	free(c->samples);
	free(c->held);
	free(c->bkeys);
	free(c->bvals);
	free(c->stack_buf);
	free(c);
}

int collector__fd(const struct collector *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

int collector__consume(struct collector *c)
{
	return ring_buffer__consume(c->rb);
}

static int samples_push(struct collector *c, const struct lt_sample *s)
{
	if (ARRAY_RESERVE(c->samples, c->cap_samples, c->nr_samples + 1))
		return -ENOMEM;
	c->samples[c->nr_samples++] = *s;
	return 0;
}

/* Whole allocations from a sampled stack's allocs or frees, which count in
 * units of 1/LT_WEIGHT_ONE (see lt_weigh()), rounded to nearest. */
static __u64 whole(__u64 v)
{
	return (v + LT_WEIGHT_ONE / 2) / LT_WEIGHT_ONE;
}

static int push_stat(struct collector *c, const struct lt_stat_key *k, const struct lt_stat *v)
{
	struct lt_sample s = {
		.stack = k->stack,
		.aux = k->aux,
		.tgid = k->tgid,
		.kind = k->kind,
		.bytes = v->bytes,
		.count = (__s64)(v->allocs - v->frees),
		.allocs = v->allocs,
		.frees = v->frees,
	};

	if (k->kind == LT_KIND_HEAP &&
	    (c->skel->rodata->sample_every || c->skel->rodata->sample_bytes)) {
		s.allocs = whole(v->allocs);
		s.frees = whole(v->frees);
		s.count = (__s64)(s.allocs - s.frees);
	}

	return samples_push(c, &s);
}

/* How often an entry caught half-way through an update is read again, each
 * time after letting its writer (preempted, maybe by us) run for a while. */
#define TORN_RETRIES 20
#define TORN_WAIT_NS 50000

/* push_stat() of a settled entry: one caught half-way through an update is
 * read again until its writers are done; still busy after that, it is taken as
 * it is and counted. */
static int push_settled(struct collector *c, int fd, const struct lt_stat_key *k,
			const struct lt_stat *v)
{
	const struct timespec wait = { .tv_nsec = TORN_WAIT_NS };
	struct lt_stat again = *v;

	for (int i = 0; again.busy && i < TORN_RETRIES; i++) {
		nanosleep(&wait, NULL);
		if (bpf_map_lookup_elem(fd, k, &again))
			return 0;
	}
	if (again.busy)
		c->ucounters[UCNT_STATS_TORN]++;
	return push_stat(c, k, &again);
}

/* Reads the stats map one key at a time: for kernels without batch lookups. */
static int read_stats_slow(struct collector *c, int fd)
{
	struct lt_stat_key key, next;
	struct lt_stat val;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		err = push_settled(c, fd, &key, &val);
		if (err)
			return err;
	}
	return 0;
}

static int read_stats(struct collector *c)
{
	int fd = bpf_map__fd(c->skel->maps.stats), err;
	__u32 token = 0, count;
	bool first = true;

	if (c->no_batch)
		return read_stats_slow(c, fd);
	for (;;) {
		count = BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, c->bkeys, c->bvals,
					   &count, NULL);
		if (err && errno != ENOENT) {
			if (first && (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP)) {
				c->no_batch = true;
				return read_stats_slow(c, fd);
			}
			return -errno;
		}
		for (__u32 i = 0; i < count; i++) {
			int e = push_settled(c, fd, &c->bkeys[i], &c->bvals[i]);

			if (e)
				return e;
		}
		if (err)
			return 0;
		first = false;
	}
}

/* The stack id that stack @stack of @tgid is shown as: its own, or, if some
 * native frames are not code, the id of the stack without them. */
static __u64 canonical(struct collector *c, __u32 tgid, __u64 stack)
{
	struct stack_key key = { .stack = stack, .tgid = tgid };
	__u64 ips[LT_MAX_STACK_DEPTH * 2], id;
	const __u64 *frames;
	size_t nr, kept = 0;
	void *v = hashmap__get(c->canon, &key);

	if (v)
		return (__u64)(uintptr_t)v - 1;
	nr = collector__frames(c, tgid, stack, &frames);
	if (!nr || !c->hooks.code_at)
		return stack; /* not known yet: ask again next time */
	for (size_t i = 0; i < nr && kept < LT_MAX_STACK_DEPTH * 2; i++)
		if ((frames[i] & LT_PY_FRAME) || c->hooks.code_at(c->hooks.ctx, tgid, frames[i]))
			ips[kept++] = frames[i];
	id = stack;
	if (kept < nr && kept) {
		id = stack_hash(tgid, ips, kept);
		stack_keep(c, tgid, id, ips, kept);
	}
	if (hashmap__put(c->canon, &key, (void *)(uintptr_t)(id + 1)))
		return stack;
	return id;
}

/* Shows every sample's stack as its canonical one, and merges the samples
 * left with the same stack, type and kind. */
static int canonicalize(struct collector *c)
{
	size_t out = 0;

	hashmap__clear(c->merge);
	for (size_t i = 0; i < c->nr_samples; i++) {
		struct lt_sample *x = &c->samples[i];
		struct sample_key key;
		void *v;

		if (x->stack != LT_STACK_LOST)
			x->stack = canonical(c, x->tgid, x->stack);
		key = (struct sample_key){
			.stack = x->stack, .aux = x->aux, .tgid = x->tgid, .kind = x->kind
		};
		v = hashmap__get(c->merge, &key);
		if (v) {
			struct lt_sample *to = &c->samples[(uintptr_t)v - 1];

			to->bytes += x->bytes;
			to->count += x->count;
			to->allocs += x->allocs;
			to->frees += x->frees;
			continue;
		}
		c->samples[out] = *x;
		if (hashmap__put(c->merge, &key, (void *)(uintptr_t)(out + 1)))
			return -ENOMEM;
		out++;
	}
	c->nr_samples = out;
	return 0;
}

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
		key = (struct sample_key){ .stack = a.stack == LT_STACK_LOST
							    ? a.stack
							    : canonical(c, tgid, a.stack),
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

int collector__sample(struct collector *c, const struct lt_sample **samples, size_t *n)
{
	size_t pos = 0;
	void *v;
	int err;

	c->nr_samples = 0;
	err = read_stats(c);
	if (err)
		return err;
	while (hashmap__next(c->utotals, &pos, NULL, &v)) {
		struct utotal *t = v;

		err = samples_push(c, &t->s);
		if (err)
			return err;
	}
	err = canonicalize(c);
	if (err)
		return err;
	hashmap__clear(c->sampled);
	for (size_t i = 0; i < c->nr_samples; i++)
		hashmap__put(c->sampled, &c->samples[i].tgid, (void *)1);
	*samples = c->samples;
	*n = c->nr_samples;
	return 0;
}

size_t collector__frames(struct collector *c, __u32 tgid, __u64 stack, const __u64 **frames)
{
	struct stack_key key = { .stack = stack, .tgid = tgid };
	struct frames *f = hashmap__get(c->stacks, &key);
	size_t nr;

	if (f) {
		*frames = f->ips;
		return f->nr;
	}
	if (stack == LT_STACK_LOST)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stacks), &stack, c->stack_buf)) {
		c->ucounters[UCNT_STACKS_UNREADABLE]++;
		return 0;
	}
	nr = stack_compact(c->stack_buf, c->stack_depth, c->stack_depth + c->py_depth);
	/* The BPF side writes a new stack's frames after creating its entry:
	 * a mismatch is a stack caught half-written; read it again next time. */
	if (stack_hash(tgid, c->stack_buf, nr) != stack)
		return 0;
	stack_keep(c, tgid, stack, c->stack_buf, nr);
	f = hashmap__get(c->stacks, &key);
	if (!f)
		return 0;
	*frames = f->ips;
	return f->nr;
}

size_t collector__counters(struct collector *c, struct report_counter *out, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < LT_CNT__NR && n < max; i++)
		out[n++] = (struct report_counter){
			.name = kernel_counter_names[i],
			.value = c->skel->bss->counters[i],
			.drop = LT_CNT_DROP_MASK & (1u << i),
		};
	for (int i = 0; i < UCNT__NR && n < max; i++)
		out[n++] = (struct report_counter){
			.name = user_counter_names[i],
			.value = c->ucounters[i],
			.drop = i == UCNT_STACKS_UNREADABLE,
		};
	return n;
}

/* Of the @nr keys (of @key_size) at @keys, deletes from @fd those whose tgid
 * (at @tgid_off) is in @gone; with @stacks, also puts the stack id at the
 * key's start in it. */
static void purge_keys(int fd, unsigned char *keys, size_t nr, size_t key_size, size_t tgid_off,
		       const struct hashmap *gone, struct hashmap *stacks)
{
	for (size_t i = 0; i < nr; i++) {
		unsigned char *key = keys + i * key_size;
		__u64 id;
		__u32 t;

		memcpy(&t, key + tgid_off, sizeof(t));
		if (!hashmap__get(gone, &t))
			continue;
		memcpy(&id, key, sizeof(id));
		if (stacks && id != LT_STACK_LOST)
			hashmap__put(stacks, &id, (void *)1);
		bpf_map_delete_elem(fd, key);
	}
}

/* Deletes from @fd every key whose tgid (at @tgid_off in the key) is in
 * @gone; with @stacks, the stack ids at the keys' start go in it (the stats
 * map, whose keys name every stored stack). One pass, read in batches where
 * the kernel has them; an entry of a batch already read can be deleted. */
static void purge_map(struct collector *c, int fd, size_t key_size, size_t tgid_off,
		      const struct hashmap *gone, struct hashmap *stacks)
{
	unsigned char *keys = (unsigned char *)c->bkeys, next[32], key[32];
	__u32 token = 0, count;
	bool first = true;
	void *prev = NULL;
	int err;

	while (!c->no_batch) {
		count = BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys, c->bvals,
					   &count, NULL);
		if (err && errno != ENOENT)
			break; /* done key by key below, from the start */
		purge_keys(fd, keys, count, key_size, tgid_off, gone, stacks);
		if (err)
			return;
		first = false;
	}
	/* collect, then delete: deleting the walk's current key restarts it */
	while (!bpf_map_get_next_key(fd, prev, next)) {
		size_t nr = 0;

		do {
			memcpy(keys + nr++ * key_size, next, key_size);
			memcpy(key, next, key_size);
			prev = key;
		} while (nr < BATCH && !bpf_map_get_next_key(fd, prev, next));
		purge_keys(fd, keys, nr, key_size, tgid_off, gone, stacks);
	}
}

/* Removes from @m (keyed by struct stack_key) the entries of processes in
 * @gone, freeing their values with @fn if given. */
static void forget_keyed(struct hashmap *m, const struct hashmap *gone, void (*fn)(void *))
{
	size_t pos = 0;
	const void *k;
	void *v;

	while (hashmap__next(m, &pos, &k, &v)) {
		const struct stack_key *key = k;

		if (!hashmap__get(gone, &key->tgid))
			continue;
		hashmap__remove(m, key);
		if (fn)
			fn(v);
	}
}

void collector__forget_many(struct collector *c, const pid_t *tgids, size_t n)
{
	struct hashmap *gone = hashmap__new(sizeof(__u32)), *stacks = hashmap__new(sizeof(__u64));
	int fd = bpf_map__fd(c->skel->maps.stacks);
	size_t pos = 0;
	const void *k;

	if (!gone || !stacks)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		__u32 t = tgids[i];
		struct regions *r = hashmap__remove(c->regions, &t);

		if (r)
			regions_free(r);
		hashmap__put(gone, &t, (void *)1);
	}
	forget_keyed(c->utotals, gone, free);
	forget_keyed(c->stacks, gone, free);
	forget_keyed(c->canon, gone, NULL);
	purge_map(c, bpf_map__fd(c->skel->maps.allocs), sizeof(struct lt_alloc_key),
		  offsetof(struct lt_alloc_key, tgid), gone, NULL);
	purge_map(c, bpf_map__fd(c->skel->maps.stats), sizeof(struct lt_stat_key),
		  offsetof(struct lt_stat_key, tgid), gone, stacks);
	/* their stacks go too: ids are per process */
	while (hashmap__next(stacks, &pos, &k, NULL))
		bpf_map_delete_elem(fd, k);
cleanup:
	hashmap__free(stacks);
	hashmap__free(gone);
}

bool collector__sampled(const struct collector *c, pid_t tgid)
{
	__u32 key = tgid;

	return hashmap__get(c->sampled, &key) != NULL;
}

void collector__forget(struct collector *c, pid_t tgid)
{
	collector__forget_many(c, &tgid, 1);
}
