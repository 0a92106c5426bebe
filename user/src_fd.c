// SPDX-License-Identifier: GPL-2.0-only
/* Source fd (bpf/fd.bpf.h): the syscalls that make and close descriptors,
 * probed once for every process; here, where each syscall instruction's
 * wrapper keeps the return address into its caller. */
#include <string.h>
#include "app.h"
#include "attach.h"
#include "log.h"
#include "source.h"
#include "symbolize.h"
#include "syssites.h"

struct fd_scan {
	struct app *a;
	pid_t pid;
	int known; /* sites whose wrapper's CFI says where its caller is */
};

static void fd_site(void *ctx, __u64 ip)
{
	struct fd_scan *sc = ctx;
	__u64 ra_off;
	__s64 fp_off;

	if (symbolizer__sys_frame(sc->a->symbolizer, sc->pid, ip, &ra_off, &fp_off))
		return;
	if (!tracer__add_sys_frame(sc->a->tracer, sc->pid, ip, ra_off, fp_off))
		sc->known++;
}

/* Source fd: tells the BPF side, for each syscall instruction in the code of
 * @pid not seen yet, where its wrapper keeps the return address into its
 * caller, so that a descriptor's stack starts at the function that called
 * open() or socket(). Called at attach, before a launched command runs, and
 * when new code is mapped. */
static void setup_fd(struct app *a, pid_t pid)
{
	struct fd_scan sc = { .a = a, .pid = pid };
	int n;

	if (!(a->settings.sources & LT_SRC_FD) || a->settings.floor)
		return;
	if (!a->syssites)
		a->syssites = syssites__new();
	if (!a->syssites)
		return;
	n = syssites__scan(a->syssites, pid, fd_site, &sc);
	if (n < 0)
		lt_debug("pid %d: cannot scan its code for syscalls: %s", pid, strerror(-n));
	else if (n)
		lt_debug("pid %d: %d syscall sites, %d with a known caller", pid, n, sc.known);
}

static int fd_ready(struct app *a, pid_t pid, bool later)
{
	(void)later;
	setup_fd(a, pid);
	return 0;
}

static void fd_exec(struct app *a, pid_t pid)
{
	if (a->syssites) {
		syssites__forget(a->syssites, pid);
		tracer__forget_sys_frames(a->tracer, pid);
	}
}

static void fd_done(struct app *a)
{
	syssites__free(a->syssites);
	a->syssites = NULL;
}

const struct source_ops src_fd = {
	.name = "fd",
	.ready = fd_ready,
	.code_mapped = setup_fd,
	.exec = fd_exec,
	.done = fd_done,
};
