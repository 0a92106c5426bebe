/* SPDX-License-Identifier: GPL-2.0-only */
/* What every source does on its probe path: walk the user stack (native
 * frames, then Python frames) and add or remove an outstanding resource with
 * its per-stack totals. Included once, by leaktrace.bpf.c. */

/* Zeros to create a stacks map entry from: the frames are then written in
 * place, because a whole stack does not fit on the 512-byte BPF stack. */
const __u64 lt_zero_frames[LT_MAX_STACK_DEPTH * 2] = {};

/* Walks the stack from (ip, fp, sp) (unwind.bpf.h: with the unwind tables
 * where there are, else along the frame-pointer chain; a return address
 * under a pending return probe is the caller's, uret.bpf.h): up to stack_depth
 * return addresses, innermost first, at @ips[0...]; then, if @py is not
 * NULL and @ips has room (@cap entries), the Python frames at
 * @ips[stack_depth...]. Stores them unless @ips is NULL (whose unused
 * entries must be 0), and in @nr the entries used; returns the stack id, a
 * hash of both in that order. Deterministic: a second walk in the same
 * probe hit sees the same frames. */
static __always_inline __u64 lt_walk(__u64 ip, __u64 fp, __u64 sp, __u32 tgid,
				     const struct lt_py_proc *py, struct lt_thread *t, __u64 *ips,
				     __u32 cap, __u32 *nr)
{
	__u64 h = lt_mix(lt_stack_seed(tgid), ip);
	struct lt_uret uret;
	__u32 i;

	if (ips)
		ips[0] = ip;
	lt_uret_init(&uret, sp);
	i = unw_walk(ip, fp, sp, tgid, &h, &uret, ips, cap < stack_depth ? cap : stack_depth);
	if (py && cap >= stack_depth + py_depth) {
		__u32 n = py_walk(py, t, &h, ips);

		if (n)
			i = stack_depth + n;
	}
	if (nr)
		*nr = i;
	return lt_stack_final(h);
}

/* The id of the user stack at (ip, fp, sp), stored in the stacks map if new; or
 * LT_STACK_LOST (counted) when the map is full. Steady state costs one walk
 * and one lookup; a new stack is walked again into its map entry. A reader
 * can catch an entry before its frames are in: user space rehashes what it
 * reads and retries on a mismatch. */
static __always_inline __u64 lt_stack_id(__u64 ip, __u64 fp, __u64 sp, __u32 tgid,
					 struct lt_thread *t)
{
	const struct lt_py_proc *py = py_proc(tgid);
	__u32 cap = stack_depth + (py ? py_depth : 0);
	__u64 id = lt_walk(ip, fp, sp, tgid, py, t, NULL, cap, NULL);
	__u64 *ips;
	long err;

	if (bpf_map_lookup_elem(&stacks, &id))
		return id;
	err = bpf_map_update_elem(&stacks, &id, lt_zero_frames, BPF_NOEXIST);
	if (err == -LT_EEXIST)
		return id;
	ips = err ? NULL : bpf_map_lookup_elem(&stacks, &id);
	if (!ips) {
		lt_count(LT_CNT_STACKS_FULL);
		return LT_STACK_LOST;
	}
	lt_walk(ip, fp, sp, tgid, py, t, ips, cap, NULL);
	return id;
}

/* Adds to a stack's totals. A writer counts itself in busy while the fields
 * disagree, so that a reader can tell an entry caught half-way through (its
 * writer preempted between two adds) from a settled one. */
static __always_inline void lt_stat_add(struct lt_stat *s, __s64 bytes, __u64 allocs, __u64 frees)
{
	__sync_fetch_and_add(&s->busy, 1);
	__sync_fetch_and_add(&s->bytes, bytes);
	if (allocs)
		__sync_fetch_and_add(&s->allocs, allocs);
	if (frees)
		__sync_fetch_and_add(&s->frees, frees);
	__sync_fetch_and_add(&s->busy, -1);
}

/* What a recorded resource of @size bytes adds to its stack's totals, in
 * bytes and in allocations (@count, in units of 1/LT_WEIGHT_ONE under heap
 * sampling, else whole): itself, or under sampling the expected amount it
 * stands for (Horvitz-Thompson: divided by its chance of being recorded).
 * One in N: N times itself. Per SIZE bytes, recorded with probability
 * p = min(1, s/SIZE) (a 0-byte block as 1 byte): s/p bytes and 1/p blocks,
 * that is SIZE bytes and SIZE/s blocks when s < SIZE. A function of the size
 * alone, so a release takes off exactly what the record added. */
static __always_inline void lt_weigh(__u32 kind, __u64 size, __s64 *bytes, __u64 *count)
{
	*bytes = size;
	*count = 1;
	if (kind != LT_KIND_HEAP || (!sample_every && !sample_bytes))
		return;
	*count = LT_WEIGHT_ONE;
	if (sample_every) {
		*bytes = size * sample_every;
		*count = LT_WEIGHT_ONE * sample_every;
	} else if (size < sample_bytes) {
		*bytes = size ? sample_bytes : 0;
		*count = LT_WEIGHT_ONE * sample_bytes / (size ? size : 1);
	}
}

/* Removes an outstanding resource and takes it off its stack's totals. Addresses
 * never recorded (made before attach, or dropped) are ignored. */
static __always_inline void lt_release(__u32 tgid, __u32 kind, __u64 addr)
{
	struct lt_alloc_key k = { .addr = addr, .tgid = tgid, .kind = kind };
	struct lt_stat_key sk = { .tgid = tgid, .kind = kind };
	struct lt_alloc *a;
	struct lt_stat *s;
	__u64 size, count;
	__s64 bytes;

	a = bpf_map_lookup_elem(&allocs, &k);
	if (!a)
		return;
	size = a->size;
	sk.stack = a->stack;
	sk.aux = a->aux;
	/* Only the thread whose delete succeeds settles the totals: a double free
	 * racing on two threads must not subtract twice. */
	if (bpf_map_delete_elem(&allocs, &k))
		return;
	s = bpf_map_lookup_elem(&stats, &sk);
	if (!s)
		return;
	lt_weigh(kind, size, &bytes, &count);
	lt_stat_add(s, -bytes, 0, count);
}

static __always_inline struct lt_stat *lt_stat_get(struct lt_stat_key *sk)
{
	struct lt_stat zero = {}, *s;

	s = bpf_map_lookup_elem(&stats, sk);
	if (s)
		return s;
	zero.born_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&stats, sk, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&stats, sk);
}

/* Records an outstanding resource made by the stack @stack. */
static __always_inline void lt_record(__u32 tgid, __u32 kind, __u64 addr, __u64 size, __u64 stack,
				      __u64 aux)
{
	struct lt_alloc_key k = { .addr = addr, .tgid = tgid, .kind = kind };
	struct lt_stat_key sk = { .stack = stack, .aux = aux, .tgid = tgid, .kind = kind };
	struct lt_alloc v = { .size = size, .stack = stack, .aux = aux };
	struct lt_stat *s;
	__u64 count;
	__s64 bytes;
	long err;

	s = lt_stat_get(&sk);
	if (!s) {
		lt_count(LT_CNT_STATS_FULL);
		return;
	}
	err = bpf_map_update_elem(&allocs, &k, &v, BPF_NOEXIST);
	if (err == -LT_EEXIST) {
		/* The allocator handed out an address we still hold, so its free
		 * went by unseen: settle the old one first. */
		lt_count(LT_CNT_MISSED_FREE);
		lt_release(tgid, kind, addr);
		err = bpf_map_update_elem(&allocs, &k, &v, BPF_NOEXIST);
	}
	if (err) {
		lt_count(LT_CNT_ALLOCS_FULL);
		return;
	}
	lt_weigh(kind, size, &bytes, &count);
	lt_stat_add(s, bytes, count, 0);
}

/* Adds @delta bytes to an outstanding resource and to its stack's totals (a
 * GL texture's level was specified again, a buffer got its storage). */
static __always_inline void lt_add_size(__u32 tgid, __u32 kind, __u64 addr, __s64 delta)
{
	struct lt_alloc_key k = { .addr = addr, .tgid = tgid, .kind = kind };
	struct lt_stat_key sk = { .tgid = tgid, .kind = kind };
	struct lt_alloc *a;
	struct lt_stat *s;

	a = bpf_map_lookup_elem(&allocs, &k);
	if (!a || !delta)
		return;
	__sync_fetch_and_add(&a->size, delta);
	sk.stack = a->stack;
	sk.aux = a->aux;
	s = bpf_map_lookup_elem(&stats, &sk);
	if (s)
		__sync_fetch_and_add(&s->bytes, delta);
}
