/* SPDX-License-Identifier: GPL-2.0-only */
/* Source "fd": file descriptors opened and not closed, through syscall
 * tracepoints. A descriptor is an outstanding resource keyed by its number in
 * its process (threads share the table), of size 0, recorded at the exit of
 * the syscall that made it, with the user stack of that syscall; close
 * releases it at its entry, before the number can be handed out again.
 * Arguments are read at the exit from the task's saved user registers, so
 * each call costs one tracepoint hit, not two. Descriptors opened before
 * attach are not known, and their close does nothing. */

#define LT_F_DUPFD 0
#define LT_F_DUPFD_CLOEXEC 1030
#define LT_CLOSE_RANGE_CLOEXEC (1U << 2)
/* Descriptors close_range() looks at, at most: the default ceiling of a
 * process's table (fs.nr_open). */
#define LT_FD_RANGE_MAX (1U << 20)

/* The id of the user stack at the current syscall, starting at the caller of
 * the syscall wrapper where user space told where the wrapper keeps the
 * return address into it; else at the wrapper itself. */
static __always_inline __u64 fd_stack(__u32 tgid)
{
	struct pt_regs *regs = lt_user_regs();
	__u64 ip = PT_REGS_IP_CORE(regs), fp = PT_REGS_FP_CORE(regs), sp = PT_REGS_SP_CORE(regs);

	lt_sys_caller(regs, &ip, &fp, &sp);
	return lt_stack_id(ip, fp, sp, tgid, lt_thread_get(true));
}

/* The traced process of the current task, or 0. */
static __always_inline __u32 fd_target(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	return lt_is_target(tgid) ? tgid : 0;
}

/* A syscall that returns one new descriptor: open, openat, openat2, creat,
 * socket, dup, eventfd, eventfd2, memfd_create, accept, accept4,
 * epoll_create, epoll_create1, timerfd_create, signalfd, signalfd4,
 * inotify_init, inotify_init1, pidfd_open. */
SEC("tracepoint/syscalls/sys_exit_openat")
int fd_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tgid;

	if (ctx->ret < 0 || !(tgid = fd_target()))
		return 0;
	lt_record(tgid, LT_KIND_FD, ctx->ret, 0, fd_stack(tgid), 0);
	return 0;
}

/* dup2 and dup3: a descriptor open at the new number is closed first. */
SEC("tracepoint/syscalls/sys_exit_dup2")
int dup2_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tgid;

	if (ctx->ret < 0 || !(tgid = fd_target()))
		return 0;
	/* dup2(fd, fd) changes nothing */
	if (PT_REGS_PARM1_CORE_SYSCALL(lt_user_regs()) == (__u64)ctx->ret)
		return 0;
	lt_release(tgid, LT_KIND_FD, ctx->ret);
	lt_record(tgid, LT_KIND_FD, ctx->ret, 0, fd_stack(tgid), 0);
	return 0;
}

/* fcntl: only F_DUPFD and F_DUPFD_CLOEXEC make a descriptor. */
SEC("tracepoint/syscalls/sys_exit_fcntl")
int fcntl_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 cmd;
	__u32 tgid;

	if (ctx->ret < 0 || !(tgid = fd_target()))
		return 0;
	cmd = PT_REGS_PARM2_CORE_SYSCALL(lt_user_regs());
	if (cmd != LT_F_DUPFD && cmd != LT_F_DUPFD_CLOEXEC)
		return 0;
	lt_record(tgid, LT_KIND_FD, ctx->ret, 0, fd_stack(tgid), 0);
	return 0;
}

/* Two descriptors written to the user array @fds by a call that succeeded. */
static __always_inline void fd_pair(__u64 fds)
{
	__u32 tgid = fd_target();
	int pair[2];
	__u64 stack;

	if (!tgid || bpf_probe_read_user(pair, sizeof(pair), (void *)fds))
		return;
	stack = fd_stack(tgid);
	if (pair[0] >= 0)
		lt_record(tgid, LT_KIND_FD, pair[0], 0, stack, 0);
	if (pair[1] >= 0)
		lt_record(tgid, LT_KIND_FD, pair[1], 0, stack, 0);
}

/* pipe(fds), pipe2(fds, flags) */
SEC("tracepoint/syscalls/sys_exit_pipe2")
int pipe_exit(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret == 0)
		fd_pair(PT_REGS_PARM1_CORE_SYSCALL(lt_user_regs()));
	return 0;
}

/* socketpair(domain, type, protocol, fds) */
SEC("tracepoint/syscalls/sys_exit_socketpair")
int socketpair_exit(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret == 0)
		fd_pair(PT_REGS_PARM4_CORE_SYSCALL(lt_user_regs()));
	return 0;
}

/* At the entry: once close has begun, the number may be given to another
 * thread's open before this close returns. Linux frees the number even when
 * close fails with EINTR or EIO. */
SEC("tracepoint/syscalls/sys_enter_close")
int close_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tgid = fd_target();

	if (tgid)
		lt_release(tgid, LT_KIND_FD, (__u32)ctx->args[0]);
	return 0;
}

struct lt_fd_range {
	__u32 tgid;
	__u32 first;
};

static long close_range_step(__u32 i, void *ctx)
{
	struct lt_fd_range *r = ctx;

	lt_release(r->tgid, LT_KIND_FD, r->first + i);
	return 0;
}

/* close_range(first, last, flags): every number up to the size of the
 * process's table, which no open descriptor is beyond. */
SEC("tracepoint/syscalls/sys_enter_close_range")
int close_range_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct lt_fd_range r = { .tgid = fd_target(), .first = ctx->args[0] };
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 last = (__u32)ctx->args[1], end;

	if (!r.tgid || ctx->args[2] & LT_CLOSE_RANGE_CLOEXEC)
		return 0;
	end = BPF_CORE_READ(task, files, fdt, max_fds);
	if (end > last + 1)
		end = last + 1;
	if (end <= r.first)
		return 0;
	if (end - r.first > LT_FD_RANGE_MAX)
		end = r.first + LT_FD_RANGE_MAX;
	bpf_loop(end - r.first, close_range_step, &r, 0);
	return 0;
}
