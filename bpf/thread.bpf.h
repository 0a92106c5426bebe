/* SPDX-License-Identifier: GPL-2.0-only */
/* The state every probe keeps on the current thread, the drop counters, and
 * the tests every probe makes first: is this a traced process, is the thread
 * inside a traced allocator call. Included once, by leaktrace.bpf.c. */

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
	__u64 py_tstate;   /* this thread's PyThreadState, once found */
	__u64 gl_ctx;	   /* the GL/EGL context current on this thread */
	__u64 gl_cookie;   /* the GL/EGL call whose return is awaited, 0 if none */
	__u64 gl_args[2];  /* what its return probe needs */
	__u32 gl_reported; /* this thread was shown to user space (its fs base) */
	__u32 vma_region;  /* pages: the mapping last faulted in (pages_vma) ... */
	__u64 vma_start, vma_end, vma_flags;
	__u64 vma_mm;  /* ... of this mm, its layout at this count of changes */
	__u64 vma_seq; /* (pages_mm_seq()) */
};

/* The thread pointer of @task, which TLS offsets are relative to (on x86-64
 * glibc and musl also pthread_self()). */
static __always_inline __u64 lt_task_tp(struct task_struct *task)
{
#if defined(__TARGET_ARCH_x86)
	return BPF_CORE_READ(task, thread.fsbase);
#elif defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ(task, thread.uw.tp_value);
#else
	return 0;
#endif
}

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lt_thread);
} threads SEC(".maps");

static __always_inline void lt_count_n(enum lt_counter c, __u64 n)
{
	__u32 key = c;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	/* atomic still: a preemptible kernel may run another program on this
	 * CPU in between, and on a line no other CPU writes it costs little */
	if (v)
		__sync_fetch_and_add(v, n);
}

static __always_inline void lt_count(enum lt_counter c)
{
	lt_count_n(c, 1);
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
	if (trace_all)
		return tgid && tgid != self_tgid;
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

/* Whether a uprobe hit is to be recorded: always, as the kernel filters them
 * by process, except with trace_all, where leaktrace's own calls come too:
 * each of those paid a trap in leaktrace, and is counted (its allocator is
 * its own, so that none should). Folded away at load otherwise. Every hit
 * of a traced process is counted too, entries and returns (@ret) apart:
 * times the cost of a trap, measured at start, they are what tracing costs
 * the process (user/cost.c). One per-CPU add, the least a count can cost. */
static __always_inline bool lt_uprobe_wanted(bool ret)
{
	if (trace_all && (bpf_get_current_pid_tgid() >> 32) == self_tgid) {
		lt_count(LT_CNT_SELF_HITS);
		return false;
	}
	lt_count(ret ? LT_CNT_PROBE_RETURNS : LT_CNT_PROBE_CALLS);
	return true;
}
