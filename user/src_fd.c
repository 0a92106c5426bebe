// SPDX-License-Identifier: GPL-2.0-only
/* Source fd (bpf/fd.bpf.h): the syscalls that make and close descriptors,
 * probed once for every process; here, where each syscall instruction's
 * wrapper keeps the return address into its caller, which the stacks of
 * source mmap use too (bpf/sysframe.bpf.h). */
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "app.h"
#include "attach.h"
#include "log.h"
#include "source.h"
#include "srcdesc.h"
#include "symbolize.h"
#include "syssites.h"

static int site_frame(void *ctx, pid_t pid, __u64 ip, __u64 *ra_off, __s64 *fp_off)
{
	struct app *a = ctx;

	return symbolizer__sys_frame(a->symbolizer, pid, ip, ra_off, fp_off);
}

static int site_add(void *ctx, const struct lt_sys_site *site, __u64 ra_off, __s64 fp_off)
{
	struct app *a = ctx;

	return tracer__add_sys_frame(a->tracer, site, ra_off, fp_off);
}

/* Sources fd and mmap: tells the BPF side, for each syscall instruction in
 * the files @pid maps that no process showed yet, where its wrapper keeps
 * the return address into its caller, so that a descriptor's or a
 * mapping's stack starts at the function that called open() or mmap(). A
 * file seen once serves every process that maps it, from its first
 * syscall: under --system, most processes cost a read of their maps. Called
 * at attach, before a launched command runs, when new code is mapped, and
 * under --system for every process at the start and each that exec'd or
 * mapped new code. */
static void setup_sites(struct app *a, pid_t pid)
{
	int n;

	if (!(a->settings.sources & (LT_SRC_FD | LT_SRC_MMAP)) || a->settings.floor)
		return;
	if (!a->syssites)
		a->syssites = syssites__new(
			a->files,
			&(struct syssite_ops){ .ctx = a, .frame = site_frame, .add = site_add });
	if (!a->syssites)
		return;
	n = syssites__scan(a->syssites, pid);
	if (n < 0)
		lt_debug("pid %d: cannot scan its code for syscalls: %s", pid, strerror(-n));
	else if (n)
		lt_debug("pid %d: %d syscall sites in files not seen before", pid, n);
}

/* --system, before the tracepoints: leaktrace's own files, among them the
 * libc and the dynamic loader that most processes share (on the same root),
 * so that the stacks those processes make from the start of the run start
 * at the wrapper's caller, not only once each has been looked at. */
static void fd_system_start(struct app *a)
{
	setup_sites(a, getpid());
}

static int fd_ready(struct app *a, pid_t pid, bool later)
{
	(void)later;
	setup_sites(a, pid);
	return 0;
}

static void fd_done(struct app *a)
{
	syssites__free(a->syssites);
	a->syssites = NULL;
}

/* The syscalls that make and close descriptors; the syscall wrappers'
 * return addresses (sysframes) it shares with source mmap. */
static void fd_owns(const struct leaktrace_bpf *p, struct src_owned *o)
{
	*o = (struct src_owned){
		.progs = { p->progs.fd_exit, p->progs.dup2_exit, p->progs.fcntl_exit,
			   p->progs.pipe_exit, p->progs.socketpair_exit, p->progs.close_enter,
			   p->progs.close_range_enter },
		.maps = { p->maps.sysframes },
	};
}

static const struct src_kind fd_kinds[] = {
	{ .kind = LT_KIND_FD, .name = "fd", .noun = "fd" },
};

static const struct src_desc fd = {
	.name = "fd",
	.bit = LT_SRC_FD,
	.on_request = true, /* --sources fd or auto,fd */
	.owns = fd_owns,
	.kinds = fd_kinds,
	.nr_kinds = sizeof(fd_kinds) / sizeof(fd_kinds[0]),
};

const struct source_ops src_fd = {
	.name = "fd",
	.descs = (const struct src_desc *const[]){ &fd, NULL },
	.ready = fd_ready,
	.code_mapped = setup_sites,
	.system_start = fd_system_start,
	.seen = setup_sites,
	.done = fd_done,
};
