/* SPDX-License-Identifier: GPL-2.0-only */
/* What every source does on its probe path: follow a call on the current
 * thread, walk the user stack, and add or remove an outstanding resource with
 * its per-stack totals. Included once, by leaktrace.bpf.c. */

#define LT_EEXIST 17

/* Per-thread state: the allocator call in progress and a syscall's arguments,
 * kept between an entry probe and its return. Task storage is faster than a
 * hash keyed by thread id and goes away with the thread. */
struct lt_thread {
	__u64 call_sp;	   /* stack pointer at the outermost traced call's entry */
	__u64 size;	   /* bytes requested */
	__u64 ptr;	   /* realloc: old block; posix_memalign: where the result goes */
	__u32 depth;	   /* traced allocator calls in progress */
	__u32 op;	   /* enum lt_op of the outermost call */
	__u64 sys_args[4]; /* saved at sys_enter for sys_exit */
	__u32 sys_nr;	   /* enum lt_sys: which syscall saved them, 0 if none */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lt_thread);
} threads SEC(".maps");

static __always_inline void lt_count(enum lt_counter c)
{
	__sync_fetch_and_add(&counters[c], 1);
}

static __always_inline struct lt_thread *lt_thread_get(bool create)
{
	return bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* True if the thread is inside a traced allocator call whose frame is still on
 * the stack: what happens there belongs to that call. A tail call between two
 * traced functions enters at the same stack pointer, hence <=. */
static __always_inline bool lt_in_call(struct lt_thread *t, __u64 sp)
{
	return t && t->depth && sp <= t->call_sp;
}

static __always_inline bool lt_is_target(__u32 tgid)
{
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

/* Zeros to create a stacks map entry from: the frames are then written in
 * place, because a whole stack does not fit on the 512-byte BPF stack. */
const __u64 lt_zero_frames[LT_MAX_STACK_DEPTH] = {};

/* How far a caller's frame can be from its callee's: a frame pointer further
 * up than this is garbage, not a frame (default stacks are 8 MiB). */
#define LT_MAX_FRAME_SPAN (8ULL << 20)

/* Walks the frame-pointer chain from (ip, fp), with @sp the stack pointer:
 * up to stack_depth return addresses, innermost first. Stores them in @ips
 * unless it is NULL, and their number in @nr unless it is NULL; returns the
 * stack id. A frame pointer must point up the stack, less than
 * LT_MAX_FRAME_SPAN above the last: in code built without frame pointers it
 * holds any value, and reading a value that is no address faults, which costs
 * the kernel a microsecond. Deterministic: a second walk in the same probe
 * hit sees the same frames. */
static __always_inline __u64 lt_walk_fp(__u64 ip, __u64 fp, __u64 sp, __u32 tgid, __u64 *ips,
					__u32 *nr)
{
	__u64 h = lt_mix(lt_stack_seed(tgid), ip), below = sp;
	__u32 i;

	if (ips)
		ips[0] = ip;
	for (i = 1; i < LT_MAX_STACK_DEPTH; i++) {
		struct {
			__u64 next;
			__u64 ret;
		} frame;

		if (i >= stack_depth || fp < below || fp - below > LT_MAX_FRAME_SPAN || fp & 7)
			break;
		if (bpf_probe_read_user(&frame, sizeof(frame), (void *)fp) || !frame.ret)
			break;
		h = lt_mix(h, frame.ret);
		if (ips)
			ips[i] = frame.ret;
		below = fp + sizeof(frame);
		fp = frame.next;
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
static __always_inline __u64 lt_stack_id(__u64 ip, __u64 fp, __u64 sp, __u32 tgid)
{
	__u64 id = lt_walk_fp(ip, fp, sp, tgid, NULL, NULL);
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
	lt_walk_fp(ip, fp, sp, tgid, ips, NULL);
	return id;
}

/* Removes an outstanding resource and takes it off its stack's totals. Addresses
 * never recorded (made before attach, or dropped) are ignored. */
static __always_inline void lt_release(__u32 tgid, __u32 kind, __u64 addr)
{
	struct lt_alloc_key k = { .addr = addr, .tgid = tgid, .kind = kind };
	struct lt_stat_key sk = { .tgid = tgid, .kind = kind };
	struct lt_alloc *a;
	struct lt_stat *s;
	__u64 size;

	a = bpf_map_lookup_elem(&allocs, &k);
	if (!a)
		return;
	size = a->size;
	sk.stack = a->stack;
	/* Only the thread whose delete succeeds settles the totals: a double free
	 * racing on two threads must not subtract twice. */
	if (bpf_map_delete_elem(&allocs, &k))
		return;
	s = bpf_map_lookup_elem(&stats, &sk);
	if (!s)
		return;
	__sync_fetch_and_add(&s->bytes, -(__s64)size);
	__sync_fetch_and_add(&s->frees, 1);
}

static __always_inline struct lt_stat *lt_stat_get(struct lt_stat_key *sk)
{
	struct lt_stat zero = {}, *s;

	s = bpf_map_lookup_elem(&stats, sk);
	if (s)
		return s;
	bpf_map_update_elem(&stats, sk, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&stats, sk);
}

/* Records an outstanding resource made by the stack @stack. */
static __always_inline void lt_record(__u32 tgid, __u32 kind, __u64 addr, __u64 size, __u64 stack)
{
	struct lt_alloc_key k = { .addr = addr, .tgid = tgid, .kind = kind };
	struct lt_stat_key sk = { .stack = stack, .tgid = tgid, .kind = kind };
	struct lt_alloc v = { .size = size, .stack = stack };
	struct lt_stat *s;
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
	__sync_fetch_and_add(&s->bytes, (__s64)size);
	__sync_fetch_and_add(&s->allocs, 1);
}
