/* SPDX-License-Identifier: GPL-2.0-only */
/* Process lifecycle: exec of a traced process, and the stops that let user
 * space arm every probe of a command it starts before the command's main
 * runs. A stop is a SIGSTOP the process sends itself from the probe; the
 * launcher, its parent, sees it with waitpid() and resumes it with SIGCONT. */

#define LT_SIGSTOP 19

/* Set by user space while a launched command must stop at its next exec. */
__u32 stop_on_exec;

SEC("tracepoint/sched/sched_process_exec")
int process_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	if (!lt_is_target(bpf_get_current_pid_tgid() >> 32))
		return 0;
	ev_send(LT_EV_EXEC, bpf_ktime_get_ns(), 0, 0, 0, false);
	pages_exec(bpf_get_current_pid_tgid() >> 32);
	if (stop_on_exec)
		bpf_send_signal(LT_SIGSTOP);
	return 0;
}

/* --system: a process whose last thread exits, for user space to release
 * what it kept of it. signal->live counts the threads not yet exiting, and
 * is down to 0 here for the last one. */
SEC("tracepoint/sched/sched_process_exit")
int process_exit(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (!lt_is_target(bpf_get_current_pid_tgid() >> 32) ||
	    BPF_CORE_READ(task, signal, live.counter))
		return 0;
	ev_send(LT_EV_EXIT, bpf_ktime_get_ns(), 0, 0, 0, false);
	return 0;
}

/* Attached, filtered to the launched process, at its executable's entry point:
 * by then the dynamic loader has mapped every library it needs. */
SEC("uprobe")
int entry_stop(struct pt_regs *ctx)
{
	bpf_send_signal(LT_SIGSTOP);
	return 0;
}
