// SPDX-License-Identifier: GPL-2.0-only
/* The traced process's life: checked before attach, launched and stopped
 * where its libraries are mapped, probed when ready, new code, exec and exit
 * (the collector's hooks); under --system, every process's. What each
 * source does at each of these moments is in its ops (source.h). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app.h"
#include "attach.h"
#include "census.h"
#include "collect.h"
#include "elfsym.h"
#include "hashmap.h"
#include "launch.h"
#include "log.h"
#include "procmaps.h"
#include "procs.h"
#include "report.h"
#include "source.h"
#include "symbolize.h"
#include "unwind.h"

void app_read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, len, f))
		snprintf(buf, len, "?");
	buf[strcspn(buf, "\n")] = 0;
	if (f)
		fclose(f);
}

/* Checks that @pid names a user process leaktrace can trace; returns its
 * thread group id, or a negative errno after saying why not. */
pid_t app_check_pid(pid_t pid)
{
	char path[64], line[256], state = 0;
	pid_t tgid = 0;
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f) {
		lt_error("cannot attach to pid %d: no such process", pid);
		return -ESRCH;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "State: %c", &state) == 1 || sscanf(line, "Tgid: %d", &tgid) == 1)
			if (state && tgid)
				break;
	fclose(f);

	if (lt_pid_is_kthread(pid) == 1) {
		lt_error("cannot trace pid %d: it is a kernel thread, which has no user space "
			 "to probe",
			 pid);
		return -EINVAL;
	}
	if (state == 'Z' || state == 'X') {
		lt_error("cannot trace pid %d: it has exited (a zombie until its parent reaps it)",
			 pid);
		return -ESRCH;
	}
	if (tgid == getpid()) {
		lt_error("cannot trace pid %d: it is leaktrace itself", pid);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f || fgetc(f) == EOF) {
		err = f && !ferror(f) ? ESRCH : errno;
		if (f)
			fclose(f);
		lt_error("cannot trace pid %d: cannot read %s: %s%s", pid, path, strerror(err),
			 err == EACCES || err == EPERM
				 ? "; run as root (with CAP_SYS_PTRACE, outside its user namespace)"
				 : "");
		return err == ESRCH ? -ESRCH : -EPERM;
	}
	fclose(f);
	if (tgid && tgid != pid)
		lt_info("pid %d is a thread of process %d: tracing the whole process", pid, tgid);
	return tgid ? tgid : pid;
}

void app_code_mapped(void *ctx, pid_t pid)
{
	struct app *a = ctx;

	if (a->procs) {
		/* looked at from the loop: a new allocator may have come; its
		 * mappings are read again when next needed */
		procs__touch(a->procs, pid);
		symbolizer__forget(a->symbolizer, pid);
		return;
	}
	symbolizer__refresh(a->symbolizer, pid);
	sources_code_mapped(a, pid);
}

void app_exec(void *ctx, pid_t pid, const char *comm)
{
	struct app *a = ctx;

	symbolizer__forget(a->symbolizer, pid);
	sources_exec(a, pid);
	/* its Python frames were the old image's: focused again if it grows */
	app_focus_forget(a, pid);
	if (a->procs) {
		/* the old image's stacks leave the report at the next one, as
		 * they leave the collector */
		procs__replaced(a->procs, pid);
		procs__named(a->procs, pid, comm);
		procs__touch(a->procs, pid);
		return;
	}
	if (a->launch) {
		/* It stopped itself at exec; the event loop arms the new image. */
		a->exec_pending = true;
		return;
	}
	app_read_comm(pid, a->comm, sizeof(a->comm));
	lt_info("pid %d exec'd %s: probing its new image", pid, a->comm);
	symbolizer__refresh(a->symbolizer, pid);
	/* what failed was said where it failed; the run goes on */
	sources_ready(a, pid, true);
}

void app_exit(void *ctx, pid_t pid, const char *comm)
{
	struct app *a = ctx;

	if (a->procs)
		procs__exited(a->procs, pid, comm);
}

/* --system: probes the allocators of the processes that exec'd or mapped
 * new code since last time, those not probed yet. Returns how many. */
size_t app_look_at_new(struct app *a)
{
	pid_t pids[256];
	size_t n, all = 0;

	if (!a->procs)
		return 0;
	while ((n = procs__take_touched(a->procs, pids, 256))) {
		for (size_t i = 0; i < n; i++)
			sources_seen(a, pids[i]);
		all += n;
	}
	return all;
}

/* --system: notes as exited the processes of @samples that are gone, should
 * their exit event have been missed (lost, or before the tracepoint). */
void app_sweep_gone(struct app *a, const struct lt_sample *samples, size_t n)
{
	struct hashmap *seen;

	if (!a->procs || !(seen = hashmap__new(sizeof(__u32))))
		return;
	/* once a process, not once a stack */
	for (size_t i = 0; i < n; i++) {
		__u32 tgid = samples[i].tgid;

		if (hashmap__get(seen, &tgid) || hashmap__put(seen, &tgid, (void *)1))
			continue;
		if (kill(tgid, 0) && errno == ESRCH)
			procs__exited(a->procs, tgid, "?");
	}
	hashmap__free(seen);
}

/* --system: releases what is kept of the processes that exited, in the
 * report, the collector (BPF maps included) and the symbolizer, and what the
 * report kept of the images that processes replaced with exec. Returns how
 * many processes. */
size_t app_release_exited(struct app *a)
{
	const char *comms[1024];
	__u32 tgids[1024];
	pid_t pids[1024];
	size_t n, all = 0;

	if (!a->procs)
		return 0;
	/* exited first: one that exec'd and exited is said to exit */
	while ((n = procs__take_exited(a->procs, pids, 1024))) {
		for (size_t i = 0; i < n; i++) {
			tgids[i] = pids[i];
			comms[i] = procs__comm(a->procs, pids[i]);
			app_exact_exited(a, pids[i], app_elapsed(a));
			app_focus_forget(a, pids[i]);
			symbolizer__forget(a->symbolizer, pids[i]);
			unwinder__forget(a->unwinder, pids[i]);
			sources_exited(a, pids[i]);
		}
		report__forget_many(a->report, tgids, comms, n);
		collector__forget_many(a->collector, pids, n);
		all += n;
	}
	while ((n = procs__take_replaced(a->procs, pids, 1024))) {
		for (size_t i = 0; i < n; i++)
			tgids[i] = pids[i];
		report__forget_many(a->report, tgids, NULL, n);
		all += n;
	}
	return all;
}

/* The launched command has exec'd and stopped itself before its first
 * instruction. A dynamically linked program's libraries are not mapped yet:
 * let it run to its entry point, where they are, and stop it there. Then
 * probe what it maps and let it go. */
int app_arm_after_exec(struct app *a)
{
	pid_t pid = a->pid;
	char exe[64];
	struct elf_file *elf;
	bool dynamic;
	int err, exec_err;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	elf = elf_file__open(exe);
	dynamic = elf && elf_file__has_interp(elf);
	elf_file__free(elf);
	if (dynamic) {
		err = tracer__attach_entry_stop(a->tracer, pid);
		if (err) {
			lt_error("cannot stop pid %d at its entry point: %s", pid, strerror(-err));
			return err;
		}
		kill(pid, SIGCONT);
		err = launch__wait_stop(a->launch, &exec_err);
		tracer__detach_entry_stop(a->tracer);
		if (err < 0)
			return err;
		if (err == 0) {
			lt_error("the command exited before its main function ran");
			return -ESRCH;
		}
	}
	app_read_comm(pid, a->comm, sizeof(a->comm));
	symbolizer__refresh(a->symbolizer, pid);
	err = sources_ready(a, pid, false);
	if (err)
		return err;
	kill(pid, SIGCONT);
	return 0;
}

int app_attach(struct app *a)
{
	symbolizer__refresh(a->symbolizer, a->pid);
	return sources_ready(a, a->pid, false);
}

/* --system: lets each source look at every process there at the start
 * (those started later come through app_look_at_new()). */
static void app_see_all(struct app *a)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid())
			continue;
		sources_seen(a, pid);
	}
	closedir(d);
}

int app_attach_system(struct app *a)
{
	int err;

	sources_system_start(a);
	err = tracer__attach_system(a->tracer);
	if (!err)
		app_see_all(a);
	return err;
}

int app_start_command(struct app *a)
{
	int err, exec_err;

	tracer__stop_on_exec(a->tracer, true);
	/* it stops when it first makes a GL context current, for the driver
	 * to be probed before it makes any object */
	tracer__stop_on_gl(a->tracer, true);
	err = launch__release(a->launch);
	if (err)
		return err;
	err = launch__wait_stop(a->launch, &exec_err);
	if (err < 0)
		return err;
	if (err == 0) {
		lt_error("cannot run '%s': %s", a->settings.command[0],
			 exec_err ? strerror(exec_err) : "it exited at once");
		return exec_err ? -ENOENT : -ESRCH;
	}
	/* The exec event comes through the ring buffer; the stop is what counts. */
	collector__consume(a->collector);
	a->exec_pending = false;
	return app_arm_after_exec(a);
}

bool app_target_gone(struct app *a)
{
	if (a->procs)
		return false;
	if (a->launch)
		return launch__reap(a->launch);
	return kill(a->pid, 0) && errno == ESRCH;
}
