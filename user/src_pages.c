// SPDX-License-Identifier: GPL-2.0-only
/* Source pages (bpf/pages.bpf.h): growth seen as the anonymous pages a
 * process faults in and gives back, with --pages, instead of its allocator
 * calls (no trap on malloc). The page-fault event is opened once for every
 * process; the BPF side keeps the traced ones. */
#include <linux/types.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "app.h"
#include "attach.h"
#include "source.h"
#include "srcdesc.h"

static int pages_ready(struct app *a, pid_t pid, bool later)
{
	(void)pid;
	(void)later;
	return tracer__attach_pages(a->tracer);
}

static void pages_system_start(struct app *a)
{
	/* an error is said, and --system goes on with its other sources */
	tracer__attach_pages(a->tracer);
}

static void pages_owns(const struct leaktrace_bpf *p, struct src_owned *o)
{
	*o = (struct src_owned){ .progs = { p->progs.page_fault, p->progs.pages_munmap,
					    p->progs.pages_madvise, p->progs.pages_mremap,
					    p->progs.pages_mmap, p->progs.pages_brk,
					    p->progs.pages_map_enter, p->progs.pages_map_exit,
					    p->progs.pages_madv_enter, p->progs.pages_madv_exit },
				 .maps = { p->maps.focus, p->maps.map_seqs } };
}

static const struct src_kind pages_kinds[] = {
	{ .kind = LT_KIND_PAGES, .name = "pages", .bytes = true, .noun = "page" },
};

static const struct src_desc pages = {
	.name = "pages",
	.bit = LT_SRC_PAGES,
	.on_request = true, /* --pages */
	.owns = pages_owns,
	.kinds = pages_kinds,
	.nr_kinds = sizeof(pages_kinds) / sizeof(pages_kinds[0]),
};

const struct source_ops src_pages = {
	.name = "pages",
	.descs = (const struct src_desc *const[]){ &pages, NULL },
	.ready = pages_ready,
	.system_start = pages_system_start,
};
