// SPDX-License-Identifier: GPL-2.0-only
/* Sources heap and mmap (bpf/heap.bpf.h, bpf/mmap.bpf.h): the allocator's
 * functions and the mmap family probed in each process, and the unwind
 * tables (bpf/unwind.bpf.h) their stacks, and every other source's, are
 * walked with. */
#include <errno.h>
#include <string.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "app.h"
#include "attach.h"
#include "log.h"
#include "source.h"
#include "srcdesc.h"
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

/* The allocator's functions: the programs that --floor swaps for empty ones
 * are attach.c's own. */
static void libc_owns(const struct leaktrace_bpf *p, struct src_owned *o)
{
	*o = (struct src_owned){ .progs = { p->progs.heap_enter, p->progs.alloc_exit } };
}

static const struct src_kind libc_kinds[] = {
	{ .kind = LT_KIND_HEAP, .name = "heap", .bytes = true },
};

static const struct src_desc libc = {
	.name = "libc",
	.bit = LT_SRC_LIBC,
	.traps = true,
	.owns = libc_owns,
	.kinds = libc_kinds,
	.nr_kinds = sizeof(libc_kinds) / sizeof(libc_kinds[0]),
};

/* The mmap family's syscalls; the syscall wrappers' return addresses
 * (sysframes) it shares with source fd. */
static void mmap_owns(const struct leaktrace_bpf *p, struct src_owned *o)
{
	*o = (struct src_owned){
		.progs = { p->progs.mmap_enter, p->progs.mmap_exit, p->progs.munmap_enter,
			   p->progs.munmap_exit, p->progs.mremap_enter, p->progs.mremap_exit },
		.maps = { p->maps.sysframes },
	};
}

static const struct src_kind mmap_kinds[] = {
	{ .kind = LT_KIND_MMAP, .name = "mmap", .bytes = true },
};

static const struct src_desc mmap_desc = {
	.name = "mmap",
	.bit = LT_SRC_MMAP,
	.owns = mmap_owns,
	.kinds = mmap_kinds,
	.nr_kinds = sizeof(mmap_kinds) / sizeof(mmap_kinds[0]),
};

const struct source_ops src_native = {
	.name = "native",
	.descs = (const struct src_desc *const[]){ &libc, &mmap_desc, NULL },
	.ready = native_ready,
	.code_mapped = native_code_mapped,
	.exec = native_exec,
	.seen = native_seen,
};
