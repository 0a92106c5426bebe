// SPDX-License-Identifier: GPL-2.0-only
/* Reading what the BPF side recorded. Heap totals are aggregated in the kernel
 * and read in batches; anonymous mappings arrive as events and their ranges
 * are kept here, per process, in a set of ranges (ranges.h), because munmap
 * and mremap can split, shrink or move them and MAP_FIXED can replace them.
 * Stack frames are read once per stack id and kept.
 *
 * What a process that exited or exec'd had recorded is forgotten in steps of
 * bounded cost, never in a pass over the maps of its own: its totals leave the
 * stats map in the read of every report, and its outstanding entries leave
 * the allocs map (a million entries, a second or more to walk) in a sweep that
 * goes on a batch at a time after each report. */
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "array.h"
#include "collect.h"
#include "hashmap.h"
#include "log.h"
#include "ranges.h"

#include "collect_int.h"

static const char *const kernel_counter_names[LT_CNT__NR] = {
	[LT_CNT_ALLOCS_FULL] = "allocs_full",	   [LT_CNT_STATS_FULL] = "stats_full",
	[LT_CNT_STACKS_FULL] = "stacks_full",	   [LT_CNT_EVENTS_LOST] = "events_lost",
	[LT_CNT_NO_THREAD] = "no_thread_state",	   [LT_CNT_NO_ENTRY] = "return_without_entry",
	[LT_CNT_MISSED_FREE] = "missed_free",	   [LT_CNT_GL_NAMES_LOST] = "gl_names_lost",
	[LT_CNT_UNW_NO_TABLE] = "unwind_no_table", [LT_CNT_UNW_BAD_READ] = "unwind_bad_read",
	[LT_CNT_UNW_WAITING] = "unwind_waiting",   [LT_CNT_SYS_VMA_BUSY] = "sys_frame_busy",
	[LT_CNT_SELF_HITS] = "self_probe_hits",	   [LT_CNT_PROBE_CALLS] = "probe_calls",
	[LT_CNT_PROBE_RETURNS] = "probe_returns",  [LT_CNT_PAGES_FULL] = "pages_full",
	[LT_CNT_PAGES_BUSY] = "pages_vma_busy",	   [LT_CNT_PAGES_HUGE] = "pages_huge",
	[LT_CNT_PAGES_VMAS] = "pages_vma_lookups",
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
	t->seq = c->seq;
	if (hashmap__put(c->utotals, &key, t)) {
		free(t);
		return NULL;
	}
	return t;
}

/* The tracked anonymous mappings of @tgid. */
static struct ranges *regions_get(struct collector *c, __u32 tgid, bool create)
{
	struct ranges *r = hashmap__get(c->regions, &tgid);

	if (r || !create)
		return r;
	r = ranges__new();
	if (!r)
		return NULL;
	if (hashmap__put(c->regions, &tgid, r)) {
		ranges__free(r);
		return NULL;
	}
	return r;
}

struct region_cut {
	struct collector *c;
	__u32 tgid;
};

/* Settles the totals of the stack that made a mapping cut by an unmap. */
static void region_cut(void *ctx, __u64 stack, __u64 bytes, int pieces)
{
	struct region_cut *x = ctx;
	struct utotal *t = utotal_get(x->c, x->tgid, LT_KIND_MMAP, stack);

	if (!t)
		return;
	t->s.bytes -= bytes;
	if (pieces > 0) {
		t->s.count++;
	} else if (pieces < 0) {
		t->s.count--;
		t->s.frees++;
	}
}

/* Takes [start, end) out of the tracked mappings of @tgid, settling the totals
 * of the stacks that made them. */
static void regions_remove(struct collector *c, __u32 tgid, __u64 start, __u64 end)
{
	struct ranges *r = regions_get(c, tgid, false);
	struct region_cut x = { .c = c, .tgid = tgid };

	if (r)
		ranges__remove(r, start, end, region_cut, &x);
}

static void regions_add(struct collector *c, __u32 tgid, __u64 start, __u64 end, __u64 stack,
			__u32 arena)
{
	struct ranges *r;
	struct utotal *t;
	int err;

	/* A new mapping replaces whatever was there (MAP_FIXED). */
	regions_remove(c, tgid, start, end);
	r = regions_get(c, tgid, true);
	t = utotal_get(c, tgid, LT_KIND_MMAP, stack);
	err = r && t ? ranges__add(r, start, end, stack) : -ENOMEM;
	if (err) {
		/* else -EINVAL: an empty range, which the kernel's checks rule out */
		if (err == -ENOMEM)
			lt_warn("out of memory tracking mappings of pid %u", tgid);
		return;
	}
	t->s.aux = arena;
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
 * syscall wrappers make no frame. The BPF side did that where it knew the
 * wrapper (LT_EV_F_CALLER); else the wrapper's CFI says where it is. An
 * allocator's arena (*@arena, an enum lt_arena) has the stack of the
 * allocator's function that maps them, whoever called it, and an id no stack
 * of the program has. */
static __u64 mmap_stack(struct collector *c, const struct lt_event *e, __u32 *arena)
{
	__u64 frames[LT_MAX_STACK_DEPTH], ips[LT_MAX_STACK_DEPTH], off, h;
	size_t nr = 0, from = 1, nr_frames;

	memcpy(frames, e->frames, sizeof(frames));
	nr_frames = stack_compact(frames, c->stack_depth, LT_MAX_STACK_DEPTH);
	if (!nr_frames)
		return LT_STACK_LOST;
	if (!(e->flags & LT_EV_F_CALLER) && c->hooks.ra_offset &&
	    !c->hooks.ra_offset(c->hooks.ctx, e->tgid, frames[0], &off) && off % 8 == 0 &&
	    off / 8 < LT_SP_WORDS && e->sp_words[off / 8]) {
		ips[nr++] = e->sp_words[off / 8];
		/* A wrapper that did make a frame shows its caller twice. */
		if (nr_frames > 1 && frames[1] == ips[0])
			from = 2;
	} else {
		ips[nr++] = frames[0];
	}
	*arena = c->hooks.arena ? c->hooks.arena(c->hooks.ctx, e->tgid, ips[0]) : 0;
	if (*arena) {
		__u64 marked[2] = { ips[0], LT_ARENA_MARK + *arena };

		h = stack_hash(e->tgid, marked, 2);
		stack_keep(c, e->tgid, h, ips, 1);
		return h;
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

static void regions_free(void *p)
{
	ranges__free(p);
}

static void forget_free(struct forget *f)
{
	if (!f)
		return;
	hashmap__free(f->stats);
	free(f);
}

/* Notes that what @tgid recorded before @before_ns is to be forgotten (all
 * of it if it @exited). Costs no pass over anything: the mappings kept here
 * go now (the new image's replace them), the rest in the next sample and
 * the sweep. */
void forget_note(struct collector *c, __u32 tgid, __u64 before_ns, bool exited, __u32 kinds)
{
	struct forget *f = hashmap__get(c->forget, &tgid);

	if (kinds & (1u << LT_KIND_MMAP))
		ranges__free(hashmap__remove(c->regions, &tgid));
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f || hashmap__put(c->forget, &tgid, f)) {
			free(f);
			lt_warn("out of memory: what pid %u recorded stays in the maps", tgid);
			return;
		}
	}
	if (before_ns > f->before_ns)
		f->before_ns = before_ns;
	f->exited |= exited;
	f->kinds |= exited ? FORGET_ALL : kinds;
	f->seq = ++c->seq;
	f->read = f->user_done = false;
	c->forget_new = true;
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
	c->seq++;
	switch (e->type) {
	case LT_EV_MMAP: {
		__u32 arena = 0;
		__u64 stack;

		if (!e->len)
			break;
		stack = mmap_stack(c, e, &arena);
		regions_add(c, e->tgid, e->addr, e->addr + page_up(c, e->len), stack, arena);
		break;
	}
	case LT_EV_MUNMAP:
		regions_remove(c, e->tgid, e->addr, e->addr + page_up(c, e->len));
		break;
	case LT_EV_MREMAP: {
		struct ranges *r = regions_get(c, e->tgid, false);
		const struct range *old = r ? ranges__find(r, e->old_addr) : NULL;
		struct utotal *t;
		__u64 stack;

		/* Only mappings we track move; the allocator's own are not ours. */
		if (!old)
			break;
		stack = old->tag;
		t = utotal_get(c, e->tgid, LT_KIND_MMAP, stack);
		regions_remove(c, e->tgid, e->old_addr, e->old_addr + page_up(c, e->old_len));
		regions_add(c, e->tgid, e->addr, e->addr + page_up(c, e->len), stack,
			    t ? (__u32)t->s.aux : 0);
		break;
	}
	case LT_EV_MAP_EXEC:
		if (c->hooks.code_mapped)
			c->hooks.code_mapped(c->hooks.ctx, e->tgid);
		break;
	case LT_EV_EXEC:
		/* a kernel before the event had its time: now is as good */
		forget_note(c, e->tgid, e->addr ? e->addr : lt_now_ns(), false, FORGET_ALL);
		if (c->hooks.exec)
			c->hooks.exec(c->hooks.ctx, e->tgid, comm_of(e, comm));
		break;
	case LT_EV_EXIT:
		forget_note(c, e->tgid, e->addr ? e->addr : lt_now_ns(), true, FORGET_ALL);
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
	c->forget = hashmap__new(sizeof(__u32));
	c->bkeys = calloc(BATCH, sizeof(*c->bkeys));
	c->bvals = calloc(BATCH, sizeof(*c->bvals));
	c->sweep_keys = calloc(BATCH, sizeof(*c->sweep_keys));
	c->stack_buf = calloc(stack_depth + py_depth, sizeof(__u64));
	c->nr_cpus = libbpf_num_possible_cpus();
	if (c->nr_cpus < 1) {
		errno = -c->nr_cpus;
		goto fail;
	}
	c->cpu_vals = calloc(c->nr_cpus, sizeof(__u64));
	if (!c->cpu_vals || !c->regions || !c->utotals || !c->stacks || !c->canon || !c->merge ||
	    !c->forget || !c->bkeys || !c->bvals || !c->sweep_keys || !c->stack_buf) {
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

static void forget_free_void(void *p)
{
	forget_free(p);
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
	free_values(c->forget, forget_free_void);
	free(c->samples);
	free(c->held);
	free(c->bkeys);
	free(c->bvals);
	free(c->sweep_keys);
	free(c->drops);
	free(c->stack_buf);
	free(c->cpu_vals);
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

/* Deletes the @n keys (of @key_size) at @keys from @fd, in batches where the
 * kernel has them; a key already gone is passed over. */
void delete_keys(struct collector *c, int fd, const void *keys, size_t n, size_t key_size)
{
	const unsigned char *k = keys;

	while (n) {
		__u32 count = n > BATCH ? BATCH : n;

		if (c->no_batch) {
			bpf_map_delete_elem(fd, k);
			count = 1;
		} else if (bpf_map_delete_batch(fd, k, &count, NULL) && !count) {
			/* the first key failed: gone already, or no batches here */
			if (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP)
				c->no_batch = true;
			else
				count = 1;
		}
		/* a batch stopped at a key gone already: count keys done, that
		 * one next, and passed over just above */
		k += count * key_size;
		n -= count;
	}
}

/* Takes the totals @v of @k: a sample, or, if the process is being forgotten
 * and they were made before, dropped (deleted after the read, their allocs
 * entries in the sweep). */
static int take_stat(struct collector *c, int fd, const struct lt_stat_key *k,
		     const struct lt_stat *v)
{
	struct forget *f = hashmap__count(c->forget) ? hashmap__get(c->forget, &k->tgid) : NULL;

	if (!f || v->born_ns >= f->before_ns || !(f->kinds & (1u << k->kind))) {
		/* made again since, by a new process with the pid, or by the
		 * new image (the same frames): its entries are not to go */
		if (f && f->stats)
			hashmap__remove(f->stats, k);
		return push_settled(c, fd, k, v);
	}
	if (!f->stats && !(f->stats = hashmap__new(sizeof(*k))))
		return -ENOMEM;
	if (ARRAY_RESERVE(c->drops, c->cap_drops, c->nr_drops + 1) ||
	    hashmap__put(f->stats, k, (void *)1))
		return -ENOMEM;
	c->drops[c->nr_drops++] = *k;
	/* the sweep pass that starts after this one is the first to see it all */
	f->until = c->sweep_pass + 1;
	return 0;
}

/* Deletes the totals dropped by this read, and their stacks: stack ids are
 * per process, and a process forgotten has no use for them. */
static void delete_drops(struct collector *c)
{
	int fd = bpf_map__fd(c->skel->maps.stacks);
	size_t n = 0;

	delete_keys(c, bpf_map__fd(c->skel->maps.stats), c->drops, c->nr_drops, sizeof(*c->drops));
	/* the ids over the keys, in place: an id twice is passed over */
	for (size_t i = 0; i < c->nr_drops; i++) {
		__u64 id = c->drops[i].stack;

		if (lt_stack_walked(id))
			memcpy((__u64 *)c->drops + n++, &id, sizeof(id));
	}
	delete_keys(c, fd, c->drops, n, sizeof(__u64));
	c->nr_drops = 0;
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
		err = take_stat(c, fd, &key, &val);
		if (err)
			return err;
	}
	return 0;
}

static int read_stats_all(struct collector *c, int fd)
{
	__u32 token = 0, count;
	bool first = true;
	int err;

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
			int e = take_stat(c, fd, &c->bkeys[i], &c->bvals[i]);

			if (e)
				return e;
		}
		if (err)
			return 0;
		first = false;
	}
}

/* Retires the processes forgotten for good: read since they were noted, and
 * their allocs entries swept, or none to sweep. */
void forget_retire(struct collector *c)
{
	size_t pos = 0;
	const void *k;
	void *v;

	while (hashmap__next(c->forget, &pos, &k, &v)) {
		struct forget *f = v;

		if (!f->read || !f->user_done || f->until > c->sweep_done)
			continue;
		hashmap__remove(c->forget, k);
		forget_free(f);
	}
}

static int read_stats(struct collector *c)
{
	int err = read_stats_all(c, bpf_map__fd(c->skel->maps.stats));
	size_t pos = 0;
	void *v;

	/* deleted even after a failed read: they are not in the samples */
	delete_drops(c);
	if (err)
		return err;
	/* every entry there was when they were noted has been seen */
	while (hashmap__next(c->forget, &pos, NULL, &v))
		((struct forget *)v)->read = true;
	forget_retire(c);
	return 0;
}

/* The stack id that stack @stack of @tgid is shown as: its own, or, if some
 * native frames are not code, the id of the stack without them. */
__u64 canonical(struct collector *c, __u32 tgid, __u64 stack)
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

		if (lt_stack_walked(x->stack))
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

/* Forgets, in one pass over each table kept here, what the processes noted
 * since last time had: their mapping totals made before the event, and, for
 * those that exited, their stacks. */
static void forget_user(struct collector *c)
{
	size_t pos = 0;
	const void *k;
	void *v;

	if (!c->forget_new)
		return;
	while (hashmap__next(c->utotals, &pos, &k, &v)) {
		const struct stack_key *key = k;
		struct utotal *t = v;
		struct forget *f = hashmap__get(c->forget, &key->tgid);

		if (f && !f->user_done && t->seq < f->seq && (f->kinds & (1u << key->pad))) {
			hashmap__remove(c->utotals, key);
			free(t);
		}
	}
	/* stacks of an image that was replaced stay: ids are hashes of the
	 * frames, so the new image does not ask for them */
	for (struct hashmap *m = c->stacks; m; m = m == c->stacks ? c->canon : NULL) {
		pos = 0;
		while (hashmap__next(m, &pos, &k, &v)) {
			const struct stack_key *key = k;
			struct forget *f = hashmap__get(c->forget, &key->tgid);

			if (!f || f->user_done || !f->exited)
				continue;
			hashmap__remove(m, key);
			if (m == c->stacks)
				free(v);
		}
	}
	pos = 0;
	while (hashmap__next(c->forget, &pos, NULL, &v))
		((struct forget *)v)->user_done = true;
	c->forget_new = false;
}

int collector__sample(struct collector *c, const struct lt_sample **samples, size_t *n)
{
	size_t pos = 0;
	void *v;
	int err;

	c->nr_samples = 0;
	forget_user(c);
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
	if (!lt_stack_walked(stack))
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

/* Kernel counter @i: the sum of each CPU's (0 if it cannot be read). */
static __u64 kernel_counter(struct collector *c, __u32 i)
{
	__u64 sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.counters), &i, c->cpu_vals))
		return 0;
	for (int cpu = 0; cpu < c->nr_cpus; cpu++)
		sum += c->cpu_vals[cpu];
	return sum;
}

__u64 collector__counter(struct collector *c, __u32 which)
{
	return which < LT_CNT__NR ? kernel_counter(c, which) : 0;
}

size_t collector__counters(struct collector *c, struct report_counter *out, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < LT_CNT__NR && n < max; i++)
		out[n++] = (struct report_counter){
			.name = kernel_counter_names[i],
			.value = kernel_counter(c, (__u32)i),
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
