/* SPDX-License-Identifier: GPL-2.0-only */
/* Source "libc": the malloc family. Entry probes save the request on the
 * thread, the one return probe records the block with the caller's stack, and
 * free releases it. A traced call made inside another (reallocarray ->
 * realloc, realloc(p, 0) -> free) belongs to the outer one and is skipped.
 * User space may place an entry probe a few instructions into the function
 * (where the kernel can emulate the instruction); the arguments are still in
 * their registers there, and for functions with a return probe the stack
 * pointer is still the entry's. */

/* Whether to record a fresh heap call (@op) of @size bytes: every call, or
 * under sampling one in sample_every, or each with probability
 * size/sample_bytes (at most 1 GiB, so the products fit in 64 bits). Decided
 * here, at the entry: a call left out walks no stack and records nothing at
 * its return. A realloc is drawn for like a new allocation, whether its old
 * block was recorded or not: it frees one block and makes another, and only
 * an independent draw gives every block the chance the weights assume (see
 * lt_weigh()). Keeping a recorded block recorded would record a realloc'ed
 * block with chance 2/N - 1/N^2 and overestimate it nearly twice. */
static __always_inline bool heap_sampled(__u32 op, __u64 size)
{
	/* enum lt_op has the heap calls first */
	if (op > LT_OP_POSIX_MEMALIGN || (!sample_every && !sample_bytes))
		return true;
	if (sample_every)
		return (__u64)bpf_get_prandom_u32() * sample_every < (1ULL << 32);
	if (size >= sample_bytes)
		return true;
	return (__u64)bpf_get_prandom_u32() * sample_bytes < (size ? size : 1) << 32;
}

/* BPF_KPROBE and BPF_KRETPROBE serve uprobes as well; libbpf 1.1 has no
 * BPF_UPROBE spelling. */
static __always_inline int call_enter(struct pt_regs *ctx, __u32 op, __u64 size, __u64 ptr)
{
	struct lt_thread *t = lt_thread_get(true);
	__u64 sp = PT_REGS_SP(ctx);

	if (!t) {
		lt_count(LT_CNT_NO_THREAD);
		return 0;
	}
	if (lt_in_call(t, sp)) {
		t->depth++;
		return 0;
	}
	/* Fresh call, or the state of one whose return we never saw. */
	t->depth = 1;
	t->call_sp = sp;
	t->op = op;
	t->size = size;
	t->ptr = ptr;
	if (!heap_sampled(op, size)) {
		/* a realloc left out still releases its old block, if recorded */
		t->op = LT_OP_SKIP;
		t->ptr = op == LT_OP_REALLOC ? ptr : 0;
	}
	return 0;
}

/* The size of an object of @type with @nitems items: the type's basic size
 * plus its items (tp_itemsize follows tp_basicsize in every CPython 3). */
static __always_inline __u64 pyobj_size(__u64 type, __u64 nitems)
{
	const struct lt_py_proc *py = py_proc(bpf_get_current_pid_tgid() >> 32);
	__s64 sizes[2] = {};

	if (!py || !type ||
	    bpf_probe_read_user(sizes, sizeof(sizes), (void *)(type + py->tp_basicsize)))
		return 0;
	return sizes[0] + nitems * sizes[1];
}

static __always_inline int pyobj_enter(struct pt_regs *ctx, __u64 type, __u64 nitems)
{
	return call_enter(ctx, LT_OP_PYOBJ, pyobj_size(type, nitems), type);
}

/* The entry of every function of the family, told apart by the probe's
 * cookie: one program, so that one uprobe_multi link can carry every probe
 * of an allocator. free is here too; it has no return probe. */
SEC("uprobe")
int BPF_KPROBE(heap_enter, __u64 a0, __u64 a1, __u64 a2)
{
	if (!lt_uprobe_wanted(false))
		return 0;
	switch (bpf_get_attach_cookie(ctx)) {
	case LT_FN_FREE:
		/* A free inside a traced call is a real free too, and releasing
		 * twice is harmless: no nesting check. */
		if (a0)
			lt_release(bpf_get_current_pid_tgid() >> 32, LT_KIND_HEAP, a0);
		return 0;
	case LT_FN_MALLOC:
	case LT_FN_VALLOC:
		return call_enter(ctx, LT_OP_MALLOC, a0, 0);
	case LT_FN_CALLOC:
		/* An overflowing product makes calloc fail: nothing recorded. */
		return call_enter(ctx, LT_OP_MALLOC, a0 * a1, 0);
	case LT_FN_REALLOC:
		return call_enter(ctx, LT_OP_REALLOC, a1, a0);
	case LT_FN_REALLOCARRAY:
		return call_enter(ctx, LT_OP_REALLOC, a1 * a2, a0);
	case LT_FN_POSIX_MEMALIGN:
		return call_enter(ctx, LT_OP_POSIX_MEMALIGN, a2, a0);
	case LT_FN_MEMALIGN:
		return call_enter(ctx, LT_OP_MALLOC, a1, 0);
	case LT_FN_PY_GENERIC_ALLOC:
	case LT_FN_PY_NEWVAR:
		return pyobj_enter(ctx, a0, a1);
	case LT_FN_PY_NEW:
		return pyobj_enter(ctx, a0, 0);
	case LT_FN_PY_FREE:
		if (a0)
			lt_release(bpf_get_current_pid_tgid() >> 32, LT_KIND_PYOBJ, a0);
		return 0;
	case LT_FN_PY_NEWOBJ:
		return call_enter(ctx, LT_OP_PYOBJ_NEWOBJ, 0, 0);
	}
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_exit, __u64 ret)
{
	struct lt_thread *t = lt_thread_get(false);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, kind = LT_KIND_HEAP;
	__u64 addr = ret, stack, aux = 0;

	if (!lt_uprobe_wanted(true))
		return 0;
	if (!t || !t->depth) {
		lt_count(LT_CNT_NO_ENTRY);
		return 0;
	}
	if (--t->depth)
		return 0;
	if (t->op == LT_OP_SKIP) {
		if (t->ptr && (ret || !t->size))
			lt_release(tgid, LT_KIND_HEAP, t->ptr);
		return 0;
	}

	switch (t->op) {
	case LT_OP_POSIX_MEMALIGN:
		if ((int)ret != 0 || bpf_probe_read_user(&addr, sizeof(addr), (void *)t->ptr))
			return 0;
		break;
	case LT_OP_REALLOC:
		/* NULL from realloc(p, 0) means p was freed; from realloc(p, n)
		 * it means failure, and p lives on. */
		if (t->ptr && (ret || !t->size))
			lt_release(tgid, LT_KIND_HEAP, t->ptr);
		break;
	case LT_OP_PYOBJ:
		kind = LT_KIND_PYOBJ;
		aux = t->ptr;
		break;
	case LT_OP_PYOBJ_NEWOBJ:
		/* An object from a free list reuses an address we still hold:
		 * lt_record settles its old owner. */
		kind = LT_KIND_PYOBJ;
		if (ret && !bpf_probe_read_user(&aux, sizeof(aux), (void *)(ret + 8)))
			t->size = pyobj_size(aux, 0);
		break;
	}
	if (!addr)
		return 0;
	/* Here ip is the return address in the allocator's caller and the frame
	 * pointer is the caller's: the walk starts at the caller and holds no
	 * allocator frame. */
	stack = lt_stack_id(PT_REGS_IP(ctx), PT_REGS_FP(ctx), PT_REGS_SP(ctx), tgid, t);
	lt_record(tgid, kind, addr, t->size, stack, aux);
	return 0;
}

/* The floor for benchmarks: the same probes doing nothing. */
SEC("uprobe")
int floor_enter(struct pt_regs *ctx)
{
	return 0;
}

SEC("uretprobe")
int floor_exit(struct pt_regs *ctx)
{
	return 0;
}

/* What a trap costs on this host, measured at start (user/attach_calib.c):
 * empty programs but for a count that says they ran, on a function of
 * leaktrace's own, for its own process only, detached before the first
 * report. Neither a traced call nor a self hit. */
__u64 calib_entries;
__u64 calib_returns;

SEC("uprobe")
int calib_enter(struct pt_regs *ctx)
{
	calib_entries++;
	return 0;
}

SEC("uretprobe")
int calib_exit(struct pt_regs *ctx)
{
	calib_returns++;
	return 0;
}
