/* SPDX-License-Identifier: GPL-2.0-only */
/* Source "mmap": anonymous mappings, through syscall tracepoints. Mappings are
 * few, and their ranges can be split, moved or replaced, so each one is an
 * event and user space keeps the ranges. A mapping made inside a traced
 * allocator call (glibc serves large blocks with mmap) belongs to that block
 * and is not counted again. New executable file mappings are reported too:
 * they tell user space a library was loaded. */

enum lt_sys {
	LT_SYS_NONE,
	LT_SYS_MMAP,
	LT_SYS_MMAP_EXEC,
	LT_SYS_MUNMAP,
	LT_SYS_MREMAP,
};

#define LT_MAP_ANONYMOUS 0x20
#define LT_PROT_EXEC 0x4
#define LT_MAX_ERRNO 4095

static __always_inline struct pt_regs *lt_user_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* Saves a target's syscall arguments on the thread for its sys_exit, unless the
 * call comes from inside a traced allocator call. */
static __always_inline int sys_save(__u32 nr, __u64 a0, __u64 a1, __u64 a2, __u64 a3)
{
	struct lt_thread *t;

	if (!lt_is_target(bpf_get_current_pid_tgid() >> 32))
		return 0;
	t = lt_thread_get(true);
	if (!t) {
		lt_count(LT_CNT_NO_THREAD);
		return 0;
	}
	if (lt_in_call(t, PT_REGS_SP_CORE(lt_user_regs())))
		return 0;
	t->sys_nr = nr;
	t->sys_args[0] = a0;
	t->sys_args[1] = a1;
	t->sys_args[2] = a2;
	t->sys_args[3] = a3;
	return 0;
}

/* Takes the saved arguments of the syscall @nr that is returning @ret; NULL if
 * none were saved or the call failed. */
static __always_inline struct lt_thread *sys_take(__u32 nr, long ret)
{
	struct lt_thread *t = lt_thread_get(false);

	if (!t || t->sys_nr != nr)
		return NULL;
	t->sys_nr = LT_SYS_NONE;
	if (ret < 0 && ret >= -LT_MAX_ERRNO)
		return NULL;
	return t;
}

/* Sends an event; with @with_stack, the user stack at the syscall, from the
 * wrapper's caller where sysframes says (LT_EV_F_CALLER), and the words just
 * above the stack pointer, where the syscall wrapper's return address is. */
static __always_inline bool ev_send(__u32 type, __u64 addr, __u64 len, __u64 old_addr,
				    __u64 old_len, bool with_stack)
{
	struct lt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	struct pt_regs *regs;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, i;
	__u64 ip, fp, sp;

	if (!e) {
		lt_count(LT_CNT_EVENTS_LOST);
		return false;
	}
	e->type = type;
	e->tgid = tgid;
	e->addr = addr;
	e->len = len;
	e->old_addr = old_addr;
	e->old_len = old_len;
	e->sp = 0;
	for (i = 0; i < LT_SP_WORDS; i++)
		e->sp_words[i] = 0;
	e->nr_frames = 0;
	e->flags = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* The ring's memory holds older events, and the walk leaves gaps. */
	for (i = 0; i < LT_MAX_STACK_DEPTH; i++) {
		/* keeps clang from turning the loop into a memset call */
		barrier_var(i);
		e->frames[i] = 0;
	}
	if (with_stack) {
		regs = lt_user_regs();
		ip = PT_REGS_IP_CORE(regs);
		fp = PT_REGS_FP_CORE(regs);
		sp = PT_REGS_SP_CORE(regs);
		e->sp = sp;
		bpf_probe_read_user(e->sp_words, sizeof(e->sp_words), (void *)sp);
		if (lt_sys_caller(regs, &ip, &fp, &sp))
			e->flags |= LT_EV_F_CALLER;
		lt_walk(ip, fp, sp, tgid, py_proc(tgid), lt_thread_get(false), e->frames,
			LT_MAX_STACK_DEPTH, &e->nr_frames);
	}
	bpf_ringbuf_submit(e, 0);
	return true;
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int mmap_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 len = ctx->args[1], prot = ctx->args[2], flags = ctx->args[3];

	if (flags & LT_MAP_ANONYMOUS)
		return sys_save(LT_SYS_MMAP, len, 0, 0, 0);
	if (prot & LT_PROT_EXEC)
		return sys_save(LT_SYS_MMAP_EXEC, 0, 0, 0, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int mmap_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct lt_thread *t = lt_thread_get(false);
	__u32 nr;

	if (!t || !t->sys_nr)
		return 0;
	nr = t->sys_nr;
	t = sys_take(nr, ctx->ret);
	if (!t)
		return 0;
	if (nr == LT_SYS_MMAP)
		ev_send(LT_EV_MMAP, ctx->ret, t->sys_args[0], 0, 0, true);
	else if (nr == LT_SYS_MMAP_EXEC)
		ev_send(LT_EV_MAP_EXEC, ctx->ret, 0, 0, 0, false);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_munmap")
int munmap_enter(struct trace_event_raw_sys_enter *ctx)
{
	return sys_save(LT_SYS_MUNMAP, ctx->args[0], ctx->args[1], 0, 0);
}

SEC("tracepoint/syscalls/sys_exit_munmap")
int munmap_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct lt_thread *t = sys_take(LT_SYS_MUNMAP, ctx->ret);

	if (t)
		ev_send(LT_EV_MUNMAP, t->sys_args[0], t->sys_args[1], 0, 0, false);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mremap")
int mremap_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* old_addr, old_len, new_len, flags */
	return sys_save(LT_SYS_MREMAP, ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3]);
}

SEC("tracepoint/syscalls/sys_exit_mremap")
int mremap_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct lt_thread *t = sys_take(LT_SYS_MREMAP, ctx->ret);

	if (t)
		ev_send(LT_EV_MREMAP, ctx->ret, t->sys_args[2], t->sys_args[0], t->sys_args[1],
			false);
	return 0;
}
