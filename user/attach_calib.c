// SPDX-License-Identifier: GPL-2.0-only
/* What a uprobe costs on this host, measured once at start: a function of
 * leaktrace's own is called in a loop unprobed, then with an empty entry
 * probe, then with an empty return probe besides, each for this process only
 * and through the kind of link the real probes use; the difference per call,
 * in the thread's own CPU time (what the traced thread pays), is the cost.
 * Some 25 ms (the fewest of many short rounds counts, against noise); the
 * probes are detached on a thread meanwhile, gone before the first report. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leaktrace.skel.h"
#include "attach_int.h"
#include "log.h"
#include "procmaps.h"

#define CALIB_CALLS 125 /* calls a round */
#define CALIB_ROUNDS 16 /* rounds of each kind; the fastest counts */

void lt_calib_target(void);

/* The function probed. On x86-64 it starts with a push, the instruction an
 * allocator's probe most often sits on (probepoint.c), which the kernel
 * emulates; elsewhere probes go on a function's entry, and so does this one. */
#if defined(__x86_64__)
__asm__(".pushsection .text\n"
	".p2align 4\n"
	".globl lt_calib_target\n"
	".hidden lt_calib_target\n"
	".type lt_calib_target, @function\n"
	"lt_calib_target:\n"
	"\tpush %rbp\n"
	"\tpop %rbp\n"
	"\tret\n"
	".size lt_calib_target, . - lt_calib_target\n"
	".popsection\n");
#else
__attribute__((noinline)) void lt_calib_target(void)
{
	__asm__ volatile("" ::: "memory");
}
#endif

/* The thread's CPU time per call of CALIB_CALLS calls, the fewest of
 * CALIB_ROUNDS rounds. */
static double per_call_ns(void)
{
	double best = 0;

	for (int r = 0; r < CALIB_ROUNDS; r++) {
		struct timespec a, b;
		double ns;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
		for (int i = 0; i < CALIB_CALLS; i++)
			lt_calib_target();
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / CALIB_CALLS;
		if (!r || ns < best)
			best = ns;
	}
	return best;
}

/* A probe of the calibration: a libbpf link, or a raw uprobe_multi one. */
struct calib_link {
	struct bpf_link *link;
	int fd;
};

/* The calibration's probes, detached on a thread of their own: each detach
 * waits for an RCU grace period or two (45 ms for both here), which need not
 * hold up the start. */
struct calib {
	struct calib_link entry, ret;
	pthread_t thread;
};

/* Attaches @prog at file offset @off of this executable, for this process. */
static int calib_attach(struct tracer *t, struct bpf_program *prog, __u64 off, bool ret,
			struct calib_link *l)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret);
	const char *exe = "/proc/self/exe";

	l->fd = -1;
	l->link = NULL;
	if (t->multi) {
		l->fd = link_uprobe_multi(bpf_program__fd(prog), exe, &off, NULL, 1, ret, getpid());
		if (l->fd >= 0)
			return 0;
	}
	l->link = bpf_program__attach_uprobe_opts(prog, getpid(), exe, off, &opts);
	return l->link ? 0 : -errno;
}

static void calib_detach(struct calib_link *l)
{
	bpf_link__destroy(l->link);
	if (l->fd >= 0)
		close(l->fd);
	l->link = NULL;
	l->fd = -1;
}

static void *calib_detach_both(void *arg)
{
	struct calib *c = arg;

	/* the return probe first, as the real ones are attached after it */
	calib_detach(&c->ret);
	calib_detach(&c->entry);
	return NULL;
}

/* The file offset of lt_calib_target in this executable. */
static int calib_offset(__u64 *off)
{
	struct procmaps *m = procmaps__read(getpid());
	const struct lt_mapping *map;
	int err = 0;

	if (!m)
		return -errno;
	map = procmaps__find(m, (uintptr_t)lt_calib_target);
	if (!map || !lt_mapping__is_file(map))
		err = -ENOENT;
	else
		*off = lt_mapping__file_offset(map, (uintptr_t)lt_calib_target);
	procmaps__free(m);
	return err;
}

int tracer__calibrate(struct tracer *t, struct trap_cost *out)
{
	struct leaktrace_bpf *p = t->skel;
	struct calib *c = calloc(1, sizeof(*c));
	double bare = 0, probed, both;
	struct timespec t0, t1;
	__u64 off = 0;
	int err;

	*out = (struct trap_cost){ 0 };
	if (!c)
		return -ENOMEM;
	c->entry.fd = c->ret.fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = calib_offset(&off);
	if (err)
		goto cleanup;
	bare = per_call_ns();
	err = calib_attach(t, p->progs.calib_enter, off, false, &c->entry);
	if (err)
		goto cleanup;
	probed = per_call_ns();
	err = calib_attach(t, p->progs.calib_exit, off, true, &c->ret);
	if (err)
		goto cleanup;
	both = per_call_ns();
	/* a probe that did not fire measured nothing */
	if (!p->bss || p->bss->calib_entries < CALIB_CALLS * CALIB_ROUNDS ||
	    p->bss->calib_returns < CALIB_CALLS * CALIB_ROUNDS || probed <= bare) {
		err = -EAGAIN;
		goto cleanup;
	}
	out->entry_ns = probed - bare;
	out->return_ns = both > probed ? both - probed : 0;
cleanup:
	if (!pthread_create(&c->thread, NULL, calib_detach_both, c)) {
		t->calib = c;
	} else {
		calib_detach_both(c);
		free(c);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err)
		lt_debug("trap cost not measured: %s",
			 err == -EAGAIN ? "the probe did not fire" : strerror(-err));
	else
		lt_info("trap cost: %.0f ns a call through an entry probe, %.0f ns more with a "
			"return probe (%.0f ns unprobed; measured in %.0f ms)",
			out->entry_ns, out->return_ns, bare,
			(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) * 1e-6);
	return err;
}

void tracer__calibrated(struct tracer *t)
{
	if (!t || !t->calib)
		return;
	pthread_join(t->calib->thread, NULL);
	free(t->calib);
	t->calib = NULL;
}
