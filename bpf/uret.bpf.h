/* SPDX-License-Identifier: GPL-2.0-only */
/* Return addresses under a pending return probe. A uretprobe (ours on a GL
 * call, or another tool's) replaces the return address of the function it
 * probes, on the stack, with the kernel's trampoline in the [uprobes] page
 * until the function returns: a walk through that frame would find the
 * trampoline instead of the caller. The kernel keeps each original return
 * address in the thread's list of return instances, innermost first (where
 * the kernel's own perf callchains find it too): the n-th trampoline a walk
 * meets going up the stack is the n-th pending instance. Included once, by
 * leaktrace.bpf.c. */

/* Return instances looked at to skip those already returned: the one whose
 * return probe runs now, which older kernels pop only after its handlers,
 * and ones that a longjmp left behind (the kernel drops them lazily). */
#define LT_URET_SKIP 4

/* Instances that one frame can hold: a probed function that tail-called
 * another probed one shares its slot with it (the newer is "chained"). */
#define LT_URET_CHAINED 4

/* Where a walk is in the thread's return instances. */
struct lt_uret {
	__u64 tramp; /* the trampoline, 0 when no return probe is pending */
	__u64 ri;    /* the next pending instance (struct return_instance *) */
};

/* Sets up @u for a walk from stack pointer @sp: only instances of frames
 * above it are pending for the walk. The kernel's structures are read with
 * plain loads through BTF (the verifier makes them fault-safe), which cost
 * next to nothing when no return probe is pending. */
static __always_inline void lt_uret_init(struct lt_uret *u, __u64 sp)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct uprobe_task *utask = task->utask;
	struct return_instance *ri = utask ? utask->return_instances : NULL;
	struct xol_area *area;

	for (int i = 0; i < LT_URET_SKIP && ri && ri->stack <= sp; i++)
		ri = ri->next;
	/* more left behind than looked at: none is known to be pending */
	if (ri && ri->stack <= sp)
		ri = NULL;
	area = ri && task->mm ? task->mm->uprobes_state.xol_area : NULL;
	u->ri = (__u64)ri;
	u->tramp = area ? area->vaddr : 0;
}

/* @ra, a return address the walk read from the stack, or the one it stands
 * for when it is the trampoline. A global function, verified once: inlined
 * into the walks' loops, its branches multiply the states the verifier
 * explores past its limit at --stack-depth 127. */
__attribute__((noinline)) __u64 lt_uret_fix(struct lt_uret *u, __u64 ra)
{
	struct return_instance *ri;

	if (!u || !u->tramp || ra != u->tramp || !u->ri)
		return ra;
	ri = (struct return_instance *)u->ri;
	ra = BPF_CORE_READ(ri, orig_ret_vaddr);
	for (int i = 0; i < LT_URET_CHAINED && ri && BPF_CORE_READ(ri, chained); i++)
		ri = BPF_CORE_READ(ri, next);
	u->ri = ri ? (__u64)BPF_CORE_READ(ri, next) : 0;
	return ra;
}
