// SPDX-License-Identifier: GPL-2.0-only
/* Sources heap and mmap (bpf/heap.bpf.h, bpf/mmap.bpf.h): the allocator's
 * functions and the mmap family probed in each process, and the unwind
 * tables (bpf/unwind.bpf.h) their stacks, and every other source's, are
 * walked with. */
#include <errno.h>
#include <string.h>
#include "app.h"
#include "attach.h"
#include "log.h"
#include "source.h"
#include "unwind.h"

/* Gives the BPF side the unwind tables of what @pid maps now; @later: from
 * the unwinder's thread, while the event loop goes on (a program that
 * loaded a library runs on meanwhile, and may stop itself for the loop). */
static void setup_unwind(struct app *a, pid_t pid, bool later)
{
	int err;

	if (!a->unwinder)
		return;
	if (later) {
		unwinder__refresh_later(a->unwinder, pid);
		return;
	}
	err = unwinder__refresh(a->unwinder, pid);
	if (err && err != -ESRCH)
		lt_warn("pid %d: cannot load its unwind tables: %s; its stacks are walked with "
			"frame pointers",
			pid, strerror(-err));
}

static int native_ready(struct app *a, pid_t pid, bool later)
{
	setup_unwind(a, pid, later);
	return tracer__attach(a->tracer, pid);
}

static void native_code_mapped(struct app *a, pid_t pid)
{
	setup_unwind(a, pid, true);
}

static void native_exec(struct app *a, pid_t pid)
{
	if (a->unwinder)
		unwinder__forget(a->unwinder, pid);
}

/* --system: the allocators of the files @pid maps that no process mapped
 * before; its unwind tables once a stack of it needs them */
static void native_seen(struct app *a, pid_t pid)
{
	tracer__attach_new(a->tracer, pid);
	unwinder__code_mapped(a->unwinder, pid);
}

const struct source_ops src_native = {
	.name = "native",
	.ready = native_ready,
	.code_mapped = native_code_mapped,
	.exec = native_exec,
	.seen = native_seen,
};
