// SPDX-License-Identifier: GPL-2.0-only
/* Opens, sizes and loads the skeleton, finds the allocators a process uses and
 * puts the heap probes on them (each where the kernel can emulate the probed
 * instruction, see probepoint.h), and attaches the tracepoints. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "array.h"
#include "attach.h"
#include "elfsym.h"
#include "gl.h"
#include "caps.h"
#include "log.h"
#include "procmaps.h"
#include "probepoint.h"
#include "python.h"

/* One function to probe: its probes and their cookie. */
struct probe_func {
	const char *name;
	unsigned int nr_args; /* in registers, to be left intact where the probe sits */
	bool ret;	      /* also gets the return probe */
	bool required;
	__u64 cookie;
	bool keep_sp; /* the stack pointer must be the entry's where the probe sits */
};

static const struct probe_func heap_funcs[] = {
	{ "malloc", 1, true, true, LT_FN_MALLOC, true },
	{ "free", 1, false, true, LT_FN_FREE, false },
	{ "calloc", 2, true, false, LT_FN_CALLOC, true },
	{ "realloc", 2, true, false, LT_FN_REALLOC, true },
	{ "reallocarray", 3, true, false, LT_FN_REALLOCARRAY, true },
	{ "posix_memalign", 3, true, false, LT_FN_POSIX_MEMALIGN, true },
	{ "aligned_alloc", 2, true, false, LT_FN_MEMALIGN, true },
	{ "memalign", 2, true, false, LT_FN_MEMALIGN, true },
	{ "valloc", 1, true, false, LT_FN_VALLOC, true },
	{ "pvalloc", 1, true, false, LT_FN_VALLOC, true },
};

/* CPython: what makes an object from its type, and what its tp_free is. */
static const struct probe_func py_funcs[] = {
	{ "PyType_GenericAlloc", 2, true, false, LT_FN_PY_GENERIC_ALLOC, true },
	{ "_PyObject_GC_New", 1, true, false, LT_FN_PY_NEW, true },
	{ "_PyObject_New", 1, true, false, LT_FN_PY_NEW, true },
	{ "_PyObject_GC_NewVar", 2, true, false, LT_FN_PY_NEWVAR, true },
	{ "_PyObject_NewVar", 2, true, false, LT_FN_PY_NEWVAR, true },
	{ "PyObject_GC_Del", 1, false, false, LT_FN_PY_FREE, false },
	{ "PyObject_Free", 1, false, false, LT_FN_PY_FREE, false },
	/* lists and dicts also come from free lists, which no allocator sees:
	 * their constructors see every one */
	{ "PyList_New", 1, true, false, LT_FN_PY_NEWOBJ, true },
	{ "PyDict_New", 0, true, false, LT_FN_PY_NEWOBJ, true },
	{ "_PyDict_NewPresized", 1, true, false, LT_FN_PY_NEWOBJ, true },
};

#define NR_HEAP_FUNCS (sizeof(heap_funcs) / sizeof(heap_funcs[0]))
#define NR_PY_FUNCS (sizeof(py_funcs) / sizeof(py_funcs[0]))
#define MAX_SITES 64 /* probes one file gets at most */

/* The programs one kind of probe runs. */
struct progs {
	struct bpf_program *entry, *ret;
};

/* A file already probed (or looked at), by identity; @off: where in it, for
 * the GL functions probed by address. */
struct probed_file {
	dev_t dev;
	ino_t ino;
	__u64 off;
};

/* A set of them. */
struct file_set {
	struct probed_file *v;
	size_t nr, cap;
};

struct tracer {
	const struct lt_settings *settings;
	struct leaktrace_bpf *skel;
	struct bpf_link **links;
	size_t nr_links, cap_links;
	int *link_fds; /* uprobe_multi links, which libbpf 1.1 cannot hold */
	size_t nr_link_fds, cap_link_fds;
	bool multi; /* the kernel has uprobe_multi links (Linux 6.6) */
	struct bpf_link *entry_stop;
	int entry_stop_fd;	  /* or its uprobe_multi link; -1: none */
	struct file_set files;	  /* allocator files */
	struct file_set checked;  /* --system: files looked at for an allocator */
	struct file_set gl_files; /* files looked at for EGL and GLX functions */
	struct file_set gl_sites; /* GL implementations probed, by file offset */
	bool gl_formats;	  /* the glformats map is filled */
	struct report_probe *probes;
	size_t nr_probes, cap_probes;
	char **strings; /* module paths the probes point at */
	size_t nr_strings, cap_strings;
	unsigned int failures;
	bool tracepoints, exec_tp, exit_tp;
	bool fd_tracepoints;
	unsigned int sources; /* what is loaded: the settings' less what the kernel refused */
	char off_why[512];    /* the sources off, and why */
	char *vlogs;	      /* the verifier's log of each program, VLOG_SIZE each */
	bool open_failed;
};

static struct progs heap_progs(struct tracer *t)
{
	if (t->settings->floor)
		return (struct progs){ t->skel->progs.floor_enter, t->skel->progs.floor_exit };
	return (struct progs){ t->skel->progs.heap_enter, t->skel->progs.alloc_exit };
}

static struct progs gl_progs(struct tracer *t)
{
	return (struct progs){ t->skel->progs.gl_enter, t->skel->progs.gl_exit };
}

/* uprobe_multi links (Linux 6.6) carry many probes of one file in one link,
 * attached and detached at once; detaching a link is one RCU grace period,
 * where one perf-event uprobe each cost 90 ms here. The uapi headers of
 * bookworm's libbpf 1.1 predate them, hence the layout and numbers here. */
#define LT_TRACE_UPROBE_MULTI 48
#define LT_UPROBE_MULTI_RETURN 1

struct lt_uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__aligned_u64 path;
	__aligned_u64 offsets;
	__aligned_u64 ref_ctr_offsets;
	__aligned_u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
};

static int link_uprobe_multi(int prog_fd, const char *path, const __u64 *offsets,
			     const __u64 *cookies, __u32 cnt, bool ret, pid_t pid)
{
	union bpf_attr attr;
	struct lt_uprobe_multi_attr a = {
		.prog_fd = prog_fd,
		.attach_type = LT_TRACE_UPROBE_MULTI,
		.path = (unsigned long)path,
		.offsets = (unsigned long)offsets,
		.cookies = (unsigned long)cookies,
		.cnt = cnt,
		.multi_flags = ret ? LT_UPROBE_MULTI_RETURN : 0,
		.pid = pid > 0 ? pid : 0,
	};
	int fd;

	_Static_assert(sizeof(a) <= sizeof(attr), "uprobe_multi attr too big");
	memset(&attr, 0, sizeof(attr));
	memcpy(&attr, &a, sizeof(a));
	fd = syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* Whether the kernel has uprobe_multi links: one on "/" fails with EBADF
 * there (a directory is no file to probe), with EINVAL before. */
static bool have_uprobe_multi(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = (enum bpf_attach_type)LT_TRACE_UPROBE_MULTI);
	__u64 off = 0;
	int prog, link;

	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &opts);
	if (prog < 0)
		return false;
	link = link_uprobe_multi(prog, "/", &off, NULL, 1, false, 0);
	if (link >= 0)
		close(link);
	close(prog);
	return link == -EBADF;
}

static int keep_link_fd(struct tracer *t, int fd)
{
	if (ARRAY_RESERVE(t->link_fds, t->cap_link_fds, t->nr_link_fds + 1)) {
		close(fd);
		return -ENOMEM;
	}
	t->link_fds[t->nr_link_fds++] = fd;
	return 0;
}

static int keep_link(struct tracer *t, struct bpf_link *link)
{
	if (ARRAY_RESERVE(t->links, t->cap_links, t->nr_links + 1)) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	t->links[t->nr_links++] = link;
	return 0;
}

/* Checks for the capabilities BPF tracing needs, so that the one error a user
 * sees says what to do rather than where the kernel first said no. */
static bool may_trace(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	__u64 eff;

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	eff = data[0].effective | (__u64)data[1].effective << 32;
	if (eff & (1ULL << CAP_SYS_ADMIN))
		return true;
	return (eff & (1ULL << CAP_BPF)) && (eff & (1ULL << CAP_PERFMON));
}

static const char *const perm_hint = LT_HINT_PERM;

bool tracer__may_trace(void)
{
	return may_trace();
}

bool tracer__have_uprobe_multi(void)
{
	return have_uprobe_multi();
}

/* What a program is loaded for, beyond the sources' bits. */
#define PROG_ALWAYS (1u << 16) /* every run: exec, the launch's stop */
#define PROG_SYSTEM (1u << 17) /* --system */
#define PROG_FLOOR (1u << 18)  /* --floor */

/* The source (LT_SRC_*) or PROG_* a program of the skeleton is loaded for. */
static unsigned int prog_role(const struct leaktrace_bpf *p, const struct bpf_program *prog)
{
	const struct {
		const struct bpf_program *prog;
		unsigned int role;
	} roles[] = {
		{ p->progs.heap_enter, LT_SRC_LIBC },	   { p->progs.alloc_exit, LT_SRC_LIBC },
		{ p->progs.mmap_enter, LT_SRC_MMAP },	   { p->progs.mmap_exit, LT_SRC_MMAP },
		{ p->progs.munmap_enter, LT_SRC_MMAP },	   { p->progs.munmap_exit, LT_SRC_MMAP },
		{ p->progs.mremap_enter, LT_SRC_MMAP },	   { p->progs.mremap_exit, LT_SRC_MMAP },
		{ p->progs.fd_exit, LT_SRC_FD },	   { p->progs.dup2_exit, LT_SRC_FD },
		{ p->progs.fcntl_exit, LT_SRC_FD },	   { p->progs.pipe_exit, LT_SRC_FD },
		{ p->progs.socketpair_exit, LT_SRC_FD },   { p->progs.close_enter, LT_SRC_FD },
		{ p->progs.close_range_enter, LT_SRC_FD }, { p->progs.gl_enter, LT_SRC_GL },
		{ p->progs.gl_exit, LT_SRC_GL },	   { p->progs.gl_threads, LT_SRC_GL },
		{ p->progs.process_exec, PROG_ALWAYS },	   { p->progs.entry_stop, PROG_ALWAYS },
		{ p->progs.process_exit, PROG_SYSTEM },	   { p->progs.floor_enter, PROG_FLOOR },
		{ p->progs.floor_exit, PROG_FLOOR },
	};

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].prog == prog)
			return roles[i].role;
	return 0;
}

/* The verifier's log of each program is asked for at BPF_LOG_STATS: its
 * account of the work (instructions processed, states, time), at no cost
 * beyond the load, and its error when it rejects a program, which tells
 * which program that was. Errors are a few lines at this level. */
#define LT_BPF_LOG_STATS 4
#define VLOG_SIZE 16384
#define LT_VERIFIER_LIMIT 1000000 /* instructions processed; BPF_COMPLEXITY_LIMIT_INSNS */

static int set_vlogs(struct tracer *t)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, t->skel->obj) n++;
	free(t->vlogs);
	t->vlogs = calloc(n, VLOG_SIZE);
	if (!t->vlogs)
		return -ENOMEM;
	n = 0;
	bpf_object__for_each_program(prog, t->skel->obj)
	{
		char *buf = t->vlogs + VLOG_SIZE * n++;

		if (!bpf_program__autoload(prog))
			continue;
		if (bpf_program__set_log_buf(prog, buf, VLOG_SIZE) ||
		    bpf_program__set_log_level(prog, LT_BPF_LOG_STATS))
			return -EINVAL;
	}
	return 0;
}

/* The verifier's count of instructions processed in @log, or 0. */
static unsigned int vlog_insns(const char *log)
{
	const char *p = strstr(log, "processed ");
	unsigned int n = 0;

	while (p && sscanf(p, "processed %u insns", &n) != 1)
		p = strstr(p + 1, "processed ");
	return n;
}

/* Why the verifier rejected a program: the first line of its log that is
 * not its account of the work, in @out. */
static void vlog_why(const char *log, char *out, size_t len)
{
	static const char *const skip[] = { "processed ", "verification time", "stack depth",
					    "reg type unsupported" };

	*out = 0;
	for (const char *line = log, *nl; *line; line = nl + !!*nl) {
		size_t i = 0, n;

		nl = strchrnul(line, '\n');
		n = nl - line;
		while (i < sizeof(skip) / sizeof(skip[0]) &&
		       strncmp(line, skip[i], strlen(skip[i])))
			i++;
		if (!n || i < sizeof(skip) / sizeof(skip[0]))
			continue;
		/* libbpf's mark on an instruction whose CO-RE relocation found
		 * nothing in the kernel's BTF */
		if (memmem(line, n, "#195896080", 10))
			snprintf(out, len,
				 "a kernel type or field it reads is not in the kernel's BTF");
		else
			snprintf(out, len, "%.*s", (int)n, line);
		return;
	}
}

/* With -v, the verifier's work on each program loaded: how close each is to
 * the limit it would be rejected at. */
static void say_vlogs(struct tracer *t)
{
	struct bpf_program *prog;
	size_t i = 0;

	bpf_object__for_each_program(prog, t->skel->obj)
	{
		const char *log = t->vlogs + VLOG_SIZE * i++, *p;
		unsigned int insns = vlog_insns(log), states = 0, usec = 0;

		if (!bpf_program__autoload(prog))
			continue;
		p = strstr(log, "total_states ");
		if (p)
			sscanf(p, "total_states %u", &states);
		p = strstr(log, "verification time ");
		if (p)
			sscanf(p, "verification time %u usec", &usec);
		lt_info("verifier: %s: processed %u insns (%.1f%% of the limit), %u states, %u ms",
			bpf_program__name(prog), insns, 100.0 * insns / LT_VERIFIER_LIMIT, states,
			usec / 1000);
	}
}

/* After a failed load: the program the verifier rejected, the last one it
 * wrote a log for (libbpf loads them in order and stops at the first
 * failure), or NULL when the failure was not a program's. */
static struct bpf_program *rejected_prog(struct tracer *t, char *why, size_t len)
{
	struct bpf_program *prog, *last = NULL;
	size_t i = 0;

	const char *log = NULL;

	bpf_object__for_each_program(prog, t->skel->obj)
	{
		const char *l = t->vlogs + VLOG_SIZE * i++;

		if (bpf_program__autoload(prog) && *l) {
			last = prog;
			log = l;
		}
	}
	if (!last)
		return NULL;
	vlog_why(log, why, len);
	lt_info("verifier: %s was rejected; its log:", bpf_program__name(last));
	for (const char *line = log, *nl; *line; line = nl + !!*nl) {
		nl = strchrnul(line, '\n');
		lt_info("verifier:   %.*s", (int)(nl - line), line);
	}
	return last;
}

/* The maps only the programs of one source use are made with them: a run
 * without GL holds no GL maps. */
static void set_autocreate(struct leaktrace_bpf *p, unsigned int load)
{
	const struct {
		struct bpf_map *map;
		unsigned int source;
	} own[] = {
		{ p->maps.sysframes, LT_SRC_FD }, { p->maps.glgroups, LT_SRC_GL },
		{ p->maps.glbinds, LT_SRC_GL },	  { p->maps.glunits, LT_SRC_GL },
		{ p->maps.gllevels, LT_SRC_GL },  { p->maps.glformats, LT_SRC_GL },
	};

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		bpf_map__set_autocreate(own[i].map, own[i].source & load);
}

/* Opens the skeleton and loads the programs of t->sources. Returns 0 or a
 * negative errno; libbpf's error in @msg. */
static int open_load(struct tracer *t, char *msg, size_t len)
{
	const struct lt_settings *s = t->settings;
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = s->btf);
	unsigned int load = t->sources | PROG_ALWAYS;
	struct bpf_program *prog;
	int err;

	if (s->floor)
		load = (load & LT_SRC_LIBC) | PROG_ALWAYS | PROG_FLOOR;
	if (s->system)
		load |= PROG_SYSTEM;
	t->skel = leaktrace_bpf__open_opts(&opts);
	if (!t->skel) {
		err = -errno;
		libbpf_strerror(-err, msg, len);
		t->open_failed = true;
		return err;
	}

	t->skel->rodata->stack_depth = s->stack_depth;
	t->skel->rodata->trace_all = s->system;
	t->skel->rodata->self_tgid = getpid();
	t->skel->rodata->sample_every = s->sample_every > 1 ? s->sample_every : 0;
	t->skel->rodata->sample_bytes = s->sample_bytes;
	t->skel->rodata->py_depth = t->sources & LT_SRC_PYTHON ? s->stack_depth : 0;
	bpf_map__set_value_size(t->skel->maps.stacks,
				(s->stack_depth + t->skel->rodata->py_depth) * sizeof(__u64));
	bpf_map__set_max_entries(t->skel->maps.stacks, s->max_stacks);
	bpf_map__set_max_entries(t->skel->maps.allocs, s->max_allocs);
	t->skel->rodata->unwind_tables = !s->unwind_fp;
	bpf_map__set_max_entries(
		t->skel->maps.unwrows,
		s->unwind_fp ? 1 : (s->unwind_rows + LT_UNW_CHUNK_ROWS - 1) / LT_UNW_CHUNK_ROWS);
	bpf_map__set_max_entries(t->skel->maps.stats,
				 s->max_stacks * 2 > 65536 ? s->max_stacks * 2 : 65536);

	/* Load only what will be attached: less verifier time, nothing idle.
	 * A floor run's libc programs are the empty ones. */
	bpf_object__for_each_program(prog, t->skel->obj)
	{
		unsigned int role = prog_role(t->skel, prog);

		if (s->floor && role == LT_SRC_LIBC)
			role = 0;
		bpf_program__set_autoload(prog, role & load);
	}
	set_autocreate(t->skel, load);

	if (t->multi) {
		struct bpf_program *multi[] = {
			t->skel->progs.heap_enter,  t->skel->progs.alloc_exit,
			t->skel->progs.floor_enter, t->skel->progs.floor_exit,
			t->skel->progs.gl_enter,    t->skel->progs.gl_exit,
			t->skel->progs.entry_stop
		};

		for (size_t i = 0; i < sizeof(multi) / sizeof(multi[0]); i++)
			bpf_program__set_expected_attach_type(
				multi[i], (enum bpf_attach_type)LT_TRACE_UPROBE_MULTI);
	}
	err = set_vlogs(t);
	if (err) {
		libbpf_strerror(-err, msg, len);
		return err;
	}
	err = leaktrace_bpf__load(t->skel);
	if (err)
		libbpf_strerror(-err, msg, len);
	return err;
}

/* The source to switch off when the verifier rejects @prog with @err: for
 * a program past the verifier's limits (E2BIG), Python frames first, which
 * every stack walk carries and which make the walks longest; else the
 * program's own source. 0 when the program is one every run needs. */
static unsigned int source_to_drop(struct tracer *t, struct bpf_program *prog, int err)
{
	unsigned int role = prog_role(t->skel, prog);

	if (role & ~LT_SRC_AVAILABLE)
		return 0;
	if (err == E2BIG && (t->sources & LT_SRC_PYTHON))
		return LT_SRC_PYTHON;
	return role & t->sources;
}

static void note_off(struct tracer *t, unsigned int source, const char *prog, const char *why)
{
	size_t n = strlen(t->off_why);

	snprintf(t->off_why + n, sizeof(t->off_why) - n,
		 "%s%s (this kernel does not take %s%s: %s)", n ? "; " : "", lt_source_name(source),
		 prog, source == LT_SRC_PYTHON ? " with Python frames" : "", why);
	lt_warn("source %s is off: this kernel does not take the BPF program %s%s: %s; the other "
		"sources are traced (-v shows the verifier's log)",
		lt_source_name(source), prog, source == LT_SRC_PYTHON ? " with Python frames" : "",
		why);
}

struct tracer *tracer__open(const struct lt_settings *s)
{
	const char *btf = s->btf ? s->btf : "/sys/kernel/btf/vmlinux";
	struct tracer *t;
	char msg[128], why[256];
	int err;

	if (!may_trace()) {
		lt_error("BPF is not permitted: %s", perm_hint);
		errno = EPERM;
		return NULL;
	}
	if (access(btf, R_OK)) {
		err = errno;
		if (s->btf)
			lt_error("cannot read kernel BTF from %s: %s", btf, strerror(err));
		else
			lt_error("kernel BTF not found at %s: " LT_HINT_BTF, btf);
		errno = ENOENT;
		return NULL;
	}

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->entry_stop_fd = -1;
	t->settings = s;
	t->sources = s->sources;
	t->multi = !s->no_uprobe_multi && have_uprobe_multi();
	lt_debug("uprobe_multi links: %s", t->multi ? "yes" : "no");

	/* Where the kernel rejects a program, the rest is loaded without its
	 * source: each try is a fresh open, as libbpf loads an object once. */
	for (;;) {
		struct bpf_program *prog;
		unsigned int drop;

		err = -open_load(t, msg, sizeof(msg));
		if (!err)
			break;
		if (t->open_failed) {
			if (s->btf) {
				lt_error("cannot use %s as kernel BTF: %s; pass a file with the "
					 "kernel's BTF (as /sys/kernel/btf/vmlinux)",
					 s->btf, msg);
				err = ENOEXEC;
			} else {
				lt_error("cannot open the BPF object: %s", msg);
			}
			goto fail;
		}
		prog = rejected_prog(t, why, sizeof(why));
		drop = prog ? source_to_drop(t, prog, err) : 0;
		if (drop && (t->sources & ~drop & LT_SRC_AVAILABLE)) {
			note_off(t, drop, bpf_program__name(prog), why);
			t->sources &= ~drop;
			leaktrace_bpf__destroy(t->skel);
			t->skel = NULL;
			continue;
		}
		/* The capabilities were there, so EPERM or EACCES here is the
		 * verifier, an LSM or lockdown: a runtime failure, not usage. */
		if (s->btf && err >= __LIBBPF_ERRNO__START) {
			/* libbpf's own codes: it could not use that BTF */
			lt_error("cannot use %s as kernel BTF: %s; pass a file with the "
				 "kernel's BTF (as /sys/kernel/btf/vmlinux)",
				 s->btf, msg);
			err = ENOEXEC;
			goto fail;
		}
		if (prog)
			lt_error("cannot load the BPF programs: the kernel does not take %s: %s "
				 "(%s); rerun with -v to see the verifier log",
				 bpf_program__name(prog), why, msg);
		else
			lt_error("cannot load the BPF programs: %s; rerun with -v to see the "
				 "verifier log",
				 msg);
		err = err == EPERM || err == EACCES ? EIO : err;
		goto fail;
	}
	say_vlogs(t);
	return t;
fail:
	tracer__destroy(t);
	errno = err;
	return NULL;
}

unsigned int tracer__sources(const struct tracer *t)
{
	return t->sources;
}

const char *tracer__sources_off(const struct tracer *t)
{
	return t->off_why;
}

/* A link to detach: a libbpf one, or a raw uprobe_multi link fd. */
struct detach {
	struct bpf_link *link;
	int fd;
};

static void *detach_one(void *arg)
{
	struct detach *d = arg;

	if (d->link)
		bpf_link__destroy(d->link);
	else
		close(d->fd);
	return NULL;
}

/* Detaching a uprobe waits for an RCU grace period: detach every link at
 * once, so that the waits can overlap, rather than one after another. */
static void destroy_links(struct tracer *t)
{
	size_t nr = t->nr_links + t->nr_link_fds;
	struct detach *d = calloc(nr, sizeof(*d));
	pthread_t *threads = calloc(nr, sizeof(*threads));
	bool *started = calloc(nr, sizeof(*started));

	for (size_t i = 0; i < nr; i++) {
		struct detach one = { .link = i < t->nr_links ? t->links[i] : NULL,
				      .fd = i < t->nr_links ? -1 : t->link_fds[i - t->nr_links] };

		if (!d || !threads || !started) {
			detach_one(&one);
			continue;
		}
		d[i] = one;
		started[i] = !pthread_create(&threads[i], NULL, detach_one, &d[i]);
		if (!started[i])
			detach_one(&d[i]);
	}
	for (size_t i = 0; threads && started && i < nr; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
	free(d);
	free(threads);
	free(started);
}

void tracer__destroy(struct tracer *t)
{
	if (!t)
		return;
	tracer__detach_entry_stop(t);
	destroy_links(t);
	free(t->links);
	free(t->link_fds);
	leaktrace_bpf__destroy(t->skel);
	for (size_t i = 0; i < t->nr_strings; i++)
		free(t->strings[i]);
	free(t->strings);
	free(t->probes);
	free(t->files.v);
	free(t->checked.v);
	free(t->gl_files.v);
	free(t->gl_sites.v);
	free(t->vlogs);
	free(t);
}

struct leaktrace_bpf *tracer__skel(struct tracer *t)
{
	return t->skel;
}

static int attach_tp(struct tracer *t, struct bpf_program *prog, const char *category,
		     const char *name)
{
	struct bpf_link *link = bpf_program__attach_tracepoint(prog, category, name);
	int err;

	if (!link) {
		err = -errno;
		lt_error("cannot attach to tracepoint %s/%s: %s%s", category, name, strerror(-err),
			 err == -ENOENT ? "; is tracefs mounted at /sys/kernel/tracing?" : "");
		return err;
	}
	return keep_link(t, link);
}

/* libbpf finds tracepoints in tracefs: under debugfs if that is mounted, else
 * at /sys/kernel/tracing, which a minimal system may not have mounted yet. */
static void ensure_tracefs(void)
{
	if (!access("/sys/kernel/debug/tracing", F_OK) ||
	    !access("/sys/kernel/tracing/events", F_OK))
		return;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL))
		lt_debug("cannot mount tracefs at /sys/kernel/tracing: %s", strerror(errno));
}

int tracer__add_target(struct tracer *t, pid_t tgid)
{
	__u32 key = tgid, one = 1;
	int err;

	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.targets), &key, &one, BPF_ANY)) {
		err = -errno;
		lt_error("cannot add pid %d to the traced processes: %s", tgid, strerror(-err));
		return err;
	}
	if (t->exec_tp)
		return 0;
	ensure_tracefs();
	err = attach_tp(t, t->skel->progs.process_exec, "sched", "sched_process_exec");
	if (!err)
		t->exec_tp = true;
	return err;
}

static int attach_tracepoints(struct tracer *t)
{
	const struct {
		struct bpf_program *prog;
		const char *name;
	} tps[] = {
		{ t->skel->progs.mmap_enter, "sys_enter_mmap" },
		{ t->skel->progs.mmap_exit, "sys_exit_mmap" },
		{ t->skel->progs.munmap_enter, "sys_enter_munmap" },
		{ t->skel->progs.munmap_exit, "sys_exit_munmap" },
		{ t->skel->progs.mremap_enter, "sys_enter_mremap" },
		{ t->skel->progs.mremap_exit, "sys_exit_mremap" },
	};
	int err;

	if (t->tracepoints || !(t->sources & LT_SRC_MMAP) || t->settings->floor)
		return 0;
	ensure_tracefs();
	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		err = attach_tp(t, tps[i].prog, "syscalls", tps[i].name);
		if (err)
			return err;
	}
	t->tracepoints = true;
	return 0;
}

/* Source fd: one program serves every syscall that returns one new
 * descriptor; the others need their arguments. */
static int attach_fd_tracepoints(struct tracer *t)
{
	struct leaktrace_bpf *p = t->skel;
	const struct {
		struct bpf_program *prog;
		const char *name;
	} tps[] = {
		{ p->progs.fd_exit, "sys_exit_open" },
		{ p->progs.fd_exit, "sys_exit_openat" },
		{ p->progs.fd_exit, "sys_exit_openat2" },
		{ p->progs.fd_exit, "sys_exit_creat" },
		{ p->progs.fd_exit, "sys_exit_socket" },
		{ p->progs.fd_exit, "sys_exit_dup" },
		{ p->progs.fd_exit, "sys_exit_eventfd" },
		{ p->progs.fd_exit, "sys_exit_eventfd2" },
		{ p->progs.fd_exit, "sys_exit_memfd_create" },
		{ p->progs.fd_exit, "sys_exit_accept" },
		{ p->progs.fd_exit, "sys_exit_accept4" },
		{ p->progs.fd_exit, "sys_exit_epoll_create" },
		{ p->progs.fd_exit, "sys_exit_epoll_create1" },
		{ p->progs.fd_exit, "sys_exit_timerfd_create" },
		{ p->progs.fd_exit, "sys_exit_signalfd" },
		{ p->progs.fd_exit, "sys_exit_signalfd4" },
		{ p->progs.fd_exit, "sys_exit_inotify_init" },
		{ p->progs.fd_exit, "sys_exit_inotify_init1" },
		{ p->progs.fd_exit, "sys_exit_pidfd_open" },
		{ p->progs.dup2_exit, "sys_exit_dup2" },
		{ p->progs.dup2_exit, "sys_exit_dup3" },
		{ p->progs.fcntl_exit, "sys_exit_fcntl" },
		{ p->progs.pipe_exit, "sys_exit_pipe" },
		{ p->progs.pipe_exit, "sys_exit_pipe2" },
		{ p->progs.socketpair_exit, "sys_exit_socketpair" },
		{ p->progs.close_enter, "sys_enter_close" },
		{ p->progs.close_range_enter, "sys_enter_close_range" },
	};
	char path[128];
	int err;

	if (t->fd_tracepoints || !(t->sources & LT_SRC_FD) || t->settings->floor)
		return 0;
	ensure_tracefs();
	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		/* a kernel without the legacy calls (arm64 has no open, pipe,
		 * dup2...) has no tracepoint for them either */
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/syscalls/%s", tps[i].name);
		if (access(path, F_OK) && !access("/sys/kernel/tracing/events/syscalls", F_OK)) {
			lt_debug("no tracepoint syscalls/%s: skipped", tps[i].name);
			continue;
		}
		err = attach_tp(t, tps[i].prog, "syscalls", tps[i].name);
		if (err)
			return err;
	}
	t->fd_tracepoints = true;
	return 0;
}

int tracer__add_sys_frame(struct tracer *t, pid_t tgid, __u64 ip, __u64 ra_off, __s64 fp_off)
{
	struct lt_sys_site key = { .ip = ip, .tgid = tgid };
	struct lt_sys_frame val = { .ra_off = ra_off, .fp_off = fp_off < 0 ? -1 : fp_off };

	if (ra_off == (__u64)(__s64)LT_RA_IN_LINK_REG)
		val.ra_off = LT_RA_IN_LINK_REG;
	else if (ra_off > INT32_MAX || fp_off > INT32_MAX)
		return -ERANGE;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.sysframes), &key, &val, BPF_ANY))
		return -errno;
	return 0;
}

void tracer__forget_sys_frames(struct tracer *t, pid_t tgid)
{
	int fd = bpf_map__fd(t->skel->maps.sysframes);
	struct lt_sys_site key, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (next.tgid == (__u32)tgid) {
			/* the walk goes on from the previous key, still there */
			bpf_map_delete_elem(fd, &next);
			continue;
		}
		key = next;
		prev = &key;
	}
}

static const char *keep_string(struct tracer *t, const char *s)
{
	char *copy;

	if (ARRAY_RESERVE(t->strings, t->cap_strings, t->nr_strings + 1))
		return s;
	copy = strdup(s);
	if (!copy)
		return s;
	t->strings[t->nr_strings++] = copy;
	return copy;
}

static int add_probe(struct tracer *t, const struct report_probe *p)
{
	if (ARRAY_RESERVE(t->probes, t->cap_probes, t->nr_probes + 1))
		return -ENOMEM;
	t->probes[t->nr_probes] = *p;
	t->probes[t->nr_probes].module = keep_string(t, p->module);
	t->nr_probes++;
	return 0;
}

/* fdinfo's memlock of map @fd, or 0. */
static unsigned long long map_memlock(int fd)
{
	unsigned long long v = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Whether fdinfo's memlock says what a map holds (Linux 6.4, commit
 * 90a5527d7686 "bpf: add new map ops ->map_mem_usage"): before, it is the
 * map's size when full, whatever it holds. */
static bool memlock_is_usage(void)
{
	static int is = -1;
	unsigned int major = 0, minor = 0;
	struct utsname u;

	if (is < 0) {
		is = !uname(&u) && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
		     (major > 6 || (major == 6 && minor >= 4));
	}
	return is;
}

#define LT_COUNT_MAX 65536 /* entries counted in a map, at most */

/* What a hash map that is not preallocated holds, as Linux 6.4 counts it:
 * its buckets, and each entry in use (struct htab_elem, key and value)
 * with its allocator's header. Past LT_COUNT_MAX entries, as if full. */
static unsigned long long hash_usage(const struct bpf_map *map)
{
	__u32 key_size = bpf_map__key_size(map), max = bpf_map__max_entries(map), buckets = 1;
	unsigned long long elem = 48 + ((key_size + 7) & ~7u) +
				  ((bpf_map__value_size(map) + 7) & ~7u) + 8,
			   n = 0;
	char key[512], next[512];
	int fd = bpf_map__fd(map);

	while (buckets < max)
		buckets <<= 1;
	if (key_size > sizeof(key))
		return map_memlock(fd);
	for (void *prev = NULL; n < LT_COUNT_MAX && !bpf_map_get_next_key(fd, prev, next); n++) {
		memcpy(key, next, key_size);
		prev = key;
	}
	if (n >= LT_COUNT_MAX)
		n = max;
	return 16ULL * buckets + n * elem;
}

unsigned long long tracer__bpf_memory(const struct tracer *t)
{
	unsigned long long sum = 0;
	struct bpf_map *map;

	bpf_object__for_each_map(map, t->skel->obj)
	{
		if (bpf_map__fd(map) < 0)
			continue;
		if (!memlock_is_usage() && bpf_map__type(map) == BPF_MAP_TYPE_HASH &&
		    (bpf_map__map_flags(map) & BPF_F_NO_PREALLOC))
			sum += hash_usage(map);
		else
			sum += map_memlock(bpf_map__fd(map));
	}
	return sum;
}

const struct report_probe *tracer__probes(const struct tracer *t, size_t *nr,
					  unsigned int *failures)
{
	*nr = t->nr_probes;
	*failures = t->failures;
	return t->probes;
}

/* Chooses where to probe the function of @pf whose code starts at file offset
 * @offset (@size bytes, 0 if unknown): see probepoint.h. */
static void choose_site(struct tracer *t, struct elf_file *elf, const struct probe_func *pf,
			__u64 offset, __u64 size, struct probe_site *site)
{
	unsigned char code[4096];
	size_t want = size ? size : 64;
	long got;

	*site = (struct probe_site){ 0 };
	if (want > sizeof(code))
		want = sizeof(code);
	got = elf_file__read(elf, offset, code, want);
	if (got <= 0 || probepoint__choose(elf_file__machine(elf), code, got, pf->nr_args,
					   pf->ret || pf->keep_sp, site)) {
		*site = (struct probe_site){ 0 };
		return;
	}
	if (t->settings->probe_at == LT_PROBE_AT_ENTRY ||
	    (t->settings->floor && t->settings->probe_at == LT_PROBE_AT_DEFAULT)) {
		site->emulated = site->offset == 0 && site->emulated;
		site->offset = 0;
	}
}

/* One probe site: a function, where its probe goes. */
struct heap_site {
	const struct probe_func *hf;
	struct probe_site site;
	__u64 off; /* file offset of the probed instruction */
};

/* Attaches the entry probe of @hs with a perf-event link, and its return probe
 * at the same place (one trap serves both). Both or neither: an entry without
 * its return would leave the thread inside a call forever. */
static int attach_perf(struct tracer *t, const struct heap_site *hs, pid_t tgid, const char *path,
		       struct progs progs)
{
	LIBBPF_OPTS(bpf_uprobe_opts, entry_opts, .bpf_cookie = hs->hf->cookie);
	LIBBPF_OPTS(bpf_uprobe_opts, ret_opts, .retprobe = true);
	struct bpf_link *entry, *ret = NULL;
	int err;

	/* the return first, as in attach_multi() */
	if (hs->hf->ret) {
		ret = bpf_program__attach_uprobe_opts(progs.ret, tgid, path, hs->off, &ret_opts);
		if (!ret)
			return -errno;
	}
	entry = bpf_program__attach_uprobe_opts(progs.entry, tgid, path, hs->off, &entry_opts);
	if (!entry) {
		err = -errno;
		bpf_link__destroy(ret);
		return err;
	}
	err = keep_link(t, entry);
	if (!err && ret)
		err = keep_link(t, ret);
	else if (ret)
		bpf_link__destroy(ret);
	return err;
}

/* Attaches every site of one allocator with two uprobe_multi links: the
 * entries (with their cookies) and the returns. Both or neither. */
static int attach_multi(struct tracer *t, const struct heap_site *hs, size_t nr, pid_t tgid,
			const char *path, struct progs progs)
{
	__u64 offs[MAX_SITES], cookies[MAX_SITES], ret_offs[MAX_SITES];
	size_t nr_ret = 0;
	int entry, ret = -1, err;

	for (size_t i = 0; i < nr; i++) {
		offs[i] = hs[i].off;
		cookies[i] = hs[i].hf->cookie;
		if (hs[i].hf->ret)
			ret_offs[nr_ret++] = hs[i].off;
	}
	/* Returns first: an entry seen before its return probe is in place
	 * would leave the thread inside a call for good, and every later call
	 * from the same depth taken for a nested one. */
	if (nr_ret) {
		ret = link_uprobe_multi(bpf_program__fd(progs.ret), path, ret_offs, NULL, nr_ret,
					true, tgid);
		if (ret < 0)
			return ret;
	}
	entry = link_uprobe_multi(bpf_program__fd(progs.entry), path, offs, cookies, nr, false,
				  tgid);
	if (entry < 0) {
		if (ret >= 0)
			close(ret);
		return entry;
	}
	err = keep_link_fd(t, entry);
	if (!err && ret >= 0)
		err = keep_link_fd(t, ret);
	else if (ret >= 0)
		close(ret);
	return err;
}

static int note_probe(struct tracer *t, const struct heap_site *hs, const char *shown)
{
	lt_info("probe %s in %s at +0x%x, file offset 0x%llx (%s%s)", hs->hf->name, shown,
		hs->site.offset, (unsigned long long)hs->off,
		hs->site.insn[0] ? hs->site.insn : "?",
		hs->site.emulated ? ", emulated" : ", single-stepped");
	return add_probe(t, &(struct report_probe){ .func = hs->hf->name,
						    .module = shown,
						    .offset = hs->off,
						    .site = hs->site.offset,
						    .emulated = hs->site.emulated });
}

/* Attaches the probes of @sites in @path (@shown in messages) for process
 * @tgid (-1: every process): with one pair of uprobe_multi links when the
 * kernel has them, else probe by probe, where a failure of an optional
 * function is counted and the others go on. */
static int attach_sites(struct tracer *t, pid_t tgid, const char *path, const char *shown,
			const struct heap_site *hs, size_t nr, struct progs progs)
{
	int err;

	if (!nr)
		return 0;
	if (t->multi) {
		err = attach_multi(t, hs, nr, tgid, path, progs);
		if (err == -ENOMEM)
			return err;
		if (!err) {
			for (size_t i = 0; i < nr && !err; i++)
				err = note_probe(t, &hs[i], shown);
			return err;
		}
		lt_debug("uprobe_multi link on %s: %s; attaching probe by probe", shown,
			 strerror(-err));
	}
	for (size_t i = 0; i < nr; i++) {
		err = attach_perf(t, &hs[i], tgid, path, progs);
		if (err == -ENOMEM)
			return err;
		if (err) {
			if (hs[i].hf->required) {
				lt_error("cannot attach to %s in %s: %s", hs[i].hf->name, shown,
					 strerror(-err));
				return err;
			}
			lt_warn("cannot attach to %s in %s: %s; what it does is not seen",
				hs[i].hf->name, shown, strerror(-err));
			t->failures++;
			continue;
		}
		err = note_probe(t, &hs[i], shown);
		if (err)
			return err;
	}
	return 0;
}

/* Puts probes on the functions of @funcs that @elf (at @path) defines;
 * -ENOENT if it lacks a required one. */
static int attach_allocator(struct tracer *t, pid_t tgid, const char *path, const char *shown,
			    struct elf_file *elf, const struct probe_func *funcs, size_t nr_funcs,
			    struct progs progs)
{
	struct heap_site hs[MAX_SITES];
	size_t nr = 0;
	int err;

	for (size_t i = 0; i < nr_funcs && nr < MAX_SITES; i++) {
		const struct probe_func *hf = &funcs[i];
		struct elf_func fn;
		bool dup = false;

		err = elf_file__find_func(elf, hf->name, &fn);
		if (err) {
			if (!hf->required) {
				lt_debug("%s: no %s", shown, hf->name);
				continue;
			}
			lt_error("cannot attach to %s in %s: symbol not found; pass the allocator "
				 "with --lib PATH",
				 hf->name, shown);
			return -ENOENT;
		}
		/* Aliases (glibc's aligned_alloc is memalign) get one probe. */
		for (size_t j = 0; j < nr; j++)
			dup |= hs[j].off - hs[j].site.offset == fn.offset;
		if (dup)
			continue;
		hs[nr].hf = hf;
		choose_site(t, elf, hf, fn.offset, fn.size, &hs[nr].site);
		hs[nr].off = fn.offset + hs[nr].site.offset;
		nr++;
	}
	return attach_sites(t, tgid, path, shown, hs, nr, progs);
}

static bool file_set_has(const struct file_set *set, const struct stat *st, __u64 off)
{
	for (size_t i = 0; i < set->nr; i++)
		if (set->v[i].dev == st->st_dev && set->v[i].ino == st->st_ino &&
		    set->v[i].off == off)
			return true;
	return false;
}

static int file_set_add(struct file_set *set, const struct stat *st, __u64 off)
{
	if (ARRAY_RESERVE(set->v, set->cap, set->nr + 1))
		return -ENOMEM;
	set->v[set->nr++] = (struct probed_file){ .dev = st->st_dev,
						  .ino = st->st_ino,
						  .off = off };
	return 0;
}

/* Probes @path (as the tracer can open it; @shown in messages) if not done yet. */
static int probe_file(struct tracer *t, pid_t tgid, const char *path, const char *shown,
		      struct elf_file *elf)
{
	struct stat st;
	int err;

	if (stat(path, &st))
		return -errno;
	if (file_set_has(&t->files, &st, 0))
		return 0;
	/* --system: for every process that maps it, now or later */
	err = attach_allocator(t, t->settings->system ? -1 : tgid, path, shown, elf, heap_funcs,
			       NR_HEAP_FUNCS, heap_progs(t));
	if (err)
		return err;
	return file_set_add(&t->files, &st, 0);
}

static int attach_lib(struct tracer *t, pid_t tgid)
{
	const char *lib = t->settings->lib;
	struct elf_file *elf = elf_file__open(lib);
	struct elf_func fn;
	int err;

	if (!elf) {
		err = errno;
		lt_error("cannot use --lib %s: %s", lib,
			 err == ENOEXEC ? "not an ELF file" : strerror(err));
		return err == ENOEXEC ? -ENOEXEC : -ENOENT;
	}
	if (elf_file__find_func(elf, "malloc", &fn) || elf_file__find_func(elf, "free", &fn)) {
		lt_error("cannot use --lib %s: it defines no malloc and free to probe", lib);
		elf_file__free(elf);
		return -ENOENT;
	}
	err = probe_file(t, tgid, lib, lib, elf);
	elf_file__free(elf);
	return err;
}

/* Probes every file mapped by @tgid that exports malloc and free: those are
 * what the dynamic linker binds the program's calls to (libc, or a preloaded
 * jemalloc or tcmalloc; probing an unused one costs nothing). Failing that,
 * the executable itself when it defines malloc (static binaries). */
static int attach_mapped(struct tracer *t, pid_t tgid)
{
	struct procmaps *maps = procmaps__read(tgid);
	char path[PATH_MAX], exe[PATH_MAX];
	struct stat exe_st = { 0 }, st;
	bool system = t->settings->system;
	int found = 0, err = 0;

	if (!maps) {
		err = -errno;
		if (system) /* gone already, or a kernel thread */
			return 0;
		lt_error("cannot read the mappings of pid %d: %s", tgid, strerror(-err));
		return err == -ENOENT ? -ESRCH : err;
	}
	snprintf(exe, sizeof(exe), "/proc/%d/exe", tgid);
	stat(exe, &exe_st);
	for (size_t i = 0; i < maps->nr && !err; i++) {
		const struct lt_mapping *m = &maps->maps[i];
		struct elf_file *elf;
		bool seen = false;

		if (!m->exec || !lt_mapping__is_file(m))
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = maps->maps[j].inode == m->inode &&
			       maps->maps[j].dev_major == m->dev_major &&
			       maps->maps[j].dev_minor == m->dev_minor && maps->maps[j].exec;
		if (seen)
			continue;
		lt_mapping__open_path(tgid, m, path, sizeof(path));
		/* --system: each file is looked at once, whoever maps it */
		if (system) {
			if (stat(path, &st) || file_set_has(&t->checked, &st, 0)) {
				found += !err && file_set_has(&t->files, &st, 0);
				continue;
			}
			err = file_set_add(&t->checked, &st, 0);
			if (err)
				break;
		}
		elf = elf_file__open(path);
		if (!elf)
			continue;
		if (elf_file__exports(elf, "malloc") && elf_file__exports(elf, "free")) {
			err = probe_file(t, tgid, path, m->path, elf);
			found++;
		}
		elf_file__free(elf);
	}
	if (!err && !found) {
		struct elf_file *elf = elf_file__open(exe);
		struct elf_func fn;

		if (elf && !elf_file__find_func(elf, "malloc", &fn) &&
		    !elf_file__find_func(elf, "free", &fn)) {
			char shown[PATH_MAX];
			ssize_t n = readlink(exe, shown, sizeof(shown) - 1);

			shown[n > 0 ? n : 0] = 0;
			err = probe_file(t, tgid, exe, n > 0 ? shown : exe, elf);
			found++;
		}
		elf_file__free(elf);
	}
	procmaps__free(maps);
	if (!err && !found && system) {
		lt_debug("pid %d: no allocator found", tgid);
		return 0;
	}
	if (!err && !found) {
		lt_error("cannot find an allocator in pid %d: no mapped object defines malloc "
			 "and free; pass the allocator with --lib PATH",
			 tgid);
		return -ENOENT;
	}
	return err;
}

int tracer__attach(struct tracer *t, pid_t tgid)
{
	int err = 0;

	if (t->sources & LT_SRC_LIBC)
		err = t->settings->lib ? attach_lib(t, tgid) : attach_mapped(t, tgid);
	if (!err)
		err = attach_tracepoints(t);
	if (!err)
		err = attach_fd_tracepoints(t);
	return err;
}

/* The process of /proc entry @name, if it is one with user space other than
 * leaktrace: its pid, else 0. */
static pid_t user_process(const char *name)
{
	pid_t pid = atoi(name);

	if (pid <= 0 || pid == getpid())
		return 0;
	return lt_pid_is_kthread(pid) == 0 ? pid : 0;
}

int tracer__attach_system(struct tracer *t)
{
	DIR *d;
	struct dirent *de;
	int err = 0, nr = 0;

	/* Exits and execs first: a process whose allocations are recorded is
	 * seen to go, even while the others are being looked at. */
	ensure_tracefs();
	if (!t->exec_tp) {
		err = attach_tp(t, t->skel->progs.process_exec, "sched", "sched_process_exec");
		t->exec_tp = !err;
	}
	if (!err && !t->exit_tp) {
		err = attach_tp(t, t->skel->progs.process_exit, "sched", "sched_process_exit");
		t->exit_tp = !err;
	}
	err = err ?: attach_tracepoints(t);
	err = err ?: attach_fd_tracepoints(t);
	if (err)
		return err;
	d = opendir("/proc");
	if (!d) {
		err = -errno;
		lt_error("cannot list the processes in /proc: %s", strerror(-err));
		return err;
	}
	while (!err && (de = readdir(d))) {
		pid_t pid = user_process(de->d_name);

		if (!pid)
			continue;
		nr++;
		err = t->sources & LT_SRC_LIBC ? attach_mapped(t, pid) : 0;
	}
	closedir(d);
	lt_info("looked at %d processes: %zu allocator files probed", nr, t->files.nr);
	return err;
}

int tracer__attach_new(struct tracer *t, pid_t tgid)
{
	if (!(t->sources & LT_SRC_LIBC) || t->settings->lib)
		return 0;
	return attach_mapped(t, tgid);
}

int tracer__attach_python(struct tracer *t, pid_t tgid, const struct py_target *py)
{
	struct lt_py_proc proc = py->layout->bpf;
	struct elf_file *elf = elf_file__open(py->path);
	__u32 key = tgid;
	int err;

	if (!elf) {
		err = -errno;
		lt_error("cannot read %s: %s", py->shown, strerror(-err));
		return err;
	}
	err = attach_allocator(t, tgid, py->path, py->shown, elf, py_funcs, NR_PY_FUNCS,
			       heap_progs(t));
	elf_file__free(elf);
	if (err)
		return err;
	proc.runtime = py->runtime;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.pyprocs), &key, &proc, BPF_ANY)) {
		err = -errno;
		lt_error("cannot trace the Python frames of pid %d: %s", tgid, strerror(-err));
		return err;
	}
	t->skel->bss->py_active = 1;
	return 0;
}

/* --- GL --- */

static struct probe_func gl_probe_func(const struct gl_func *f)
{
	/* keep_sp: some arguments are on the stack */
	return (struct probe_func){ .name = f->name,
				    .nr_args = f->nr_args,
				    .ret = f->ret,
				    .cookie = f->cookie,
				    .keep_sp = true };
}

static int fill_gl_formats(struct tracer *t)
{
	struct gl_format formats[512];
	size_t n = gl_formats(formats, 512);
	int fd = bpf_map__fd(t->skel->maps.glformats);

	if (t->gl_formats)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &formats[i].key, &formats[i].bpp, BPF_ANY))
			return -errno;
	t->gl_formats = true;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *base = strrchr(path, '/');

	return base ? base + 1 : path;
}

static bool has_base_name(const char *path, const char *prefix)
{
	return !strncmp(base_name(path), prefix, strlen(prefix));
}

/* Probes the EGL and GLX functions @elf (at @path, @shown in reports) exports. glvnd's
 * libGL forwards its glX functions to libGLX: where both are mapped, only
 * libGLX's are probed, lest a call count twice. */
static int probe_egl_file(struct tracer *t, pid_t tgid, const char *path, const char *shown,
			  struct elf_file *elf, bool have_libglx)
{
	struct probe_func funcs[MAX_SITES];
	size_t nr = 0;

	for (size_t i = 0; i < egl_nr_funcs && nr < MAX_SITES; i++) {
		bool glx = !strncmp(egl_funcs[i].name, "glX", 3);

		if (glx && have_libglx && !has_base_name(shown, "libGLX.so"))
			continue;
		if (elf_file__exports(elf, egl_funcs[i].name))
			funcs[nr++] = gl_probe_func(&egl_funcs[i]);
	}
	if (!nr)
		return 0;
	lt_debug("pid %d: %zu EGL/GLX functions in %s", tgid, nr, shown);
	return attach_allocator(t, tgid, path, shown, elf, funcs, nr, gl_progs(t));
}

int tracer__attach_gl(struct tracer *t, pid_t tgid)
{
	struct procmaps *maps;
	bool have_libglx = false;
	char path[PATH_MAX];
	int err;

	if (!(t->sources & LT_SRC_GL) || t->settings->floor)
		return 0;
	err = fill_gl_formats(t);
	if (err) {
		lt_error("cannot set up the GL texture formats: %s", strerror(-err));
		return err;
	}
	maps = procmaps__read(tgid);
	if (!maps)
		return errno == ENOENT ? -ESRCH : -errno;
	for (size_t i = 0; i < maps->nr; i++)
		have_libglx |= lt_mapping__is_file(&maps->maps[i]) &&
			       has_base_name(maps->maps[i].path, "libGLX.so");
	for (size_t i = 0; i < maps->nr && !err; i++) {
		const struct lt_mapping *m = &maps->maps[i];
		struct elf_file *elf;
		struct stat st;

		if (!m->exec || !lt_mapping__is_file(m))
			continue;
		lt_mapping__open_path(tgid, m, path, sizeof(path));
		if (stat(path, &st) || file_set_has(&t->gl_files, &st, 0))
			continue;
		err = file_set_add(&t->gl_files, &st, 0);
		elf = err ? NULL : elf_file__open(path);
		if (!elf)
			continue;
		err = probe_egl_file(t, tgid, path, m->path, elf, have_libglx);
		elf_file__free(elf);
	}
	procmaps__free(maps);
	return err;
}

/* Where a process finds its libraries, below its root. */
static const char *const lib_dirs[] = {
#if defined(__x86_64__)
	"/usr/lib/x86_64-linux-gnu",
	"/lib/x86_64-linux-gnu",
#elif defined(__aarch64__)
	"/usr/lib/aarch64-linux-gnu",
	"/lib/aarch64-linux-gnu",
#endif
	"/usr/lib64",
	"/lib64",
	"/usr/lib",
	"/lib",
};

/* The first @name in the library directories of @tgid's root: its path
 * from here in @path, and as the process names it in @shown. A library's
 * name is a symbolic link to the file (libEGL.so.1 -> libEGL.so.1.1.0): the
 * links are followed by hand within the directory, as files of a process's
 * root are opened without following any. */
static bool find_lib(pid_t tgid, const char *name, char *path, char *shown, size_t len)
{
	char file[NAME_MAX + 1], link[NAME_MAX + 1];

	for (size_t i = 0; i < sizeof(lib_dirs) / sizeof(lib_dirs[0]); i++) {
		ssize_t n = 0;

		snprintf(file, sizeof(file), "%s", name);
		for (int hops = 0; hops < 8; hops++) {
			snprintf(path, len, "/proc/%d/root%s/%s", tgid, lib_dirs[i], file);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				break;
			link[n] = 0;
			if (strchr(link, '/'))
				break;
			memcpy(file, link, (size_t)n + 1);
		}
		if (n > 0 || access(path, R_OK))
			continue;
		return snprintf(shown, len, "%s/%s", lib_dirs[i], file) < (int)len;
	}
	return false;
}

int tracer__attach_gl_ahead(struct tracer *t, pid_t tgid)
{
	/* libGL last: glvnd's forwards to libGLX, probed where libGLX is */
	static const char *const libs[] = { "libEGL.so.1", "libGLX.so.0", "libGL.so.1" };
	char path[PATH_MAX], shown[PATH_MAX];
	bool have_libglx;
	int err = 0;

	if (!(t->sources & LT_SRC_GL) || t->settings->floor)
		return 0;
	err = fill_gl_formats(t);
	if (err)
		return err;
	have_libglx = find_lib(tgid, "libGLX.so.0", path, shown, sizeof(path));
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]) && !err; i++) {
		struct elf_file *elf;
		struct stat st;

		if (!find_lib(tgid, libs[i], path, shown, sizeof(path)) || stat(path, &st) ||
		    file_set_has(&t->gl_files, &st, 0))
			continue;
		err = file_set_add(&t->gl_files, &st, 0);
		elf = err ? NULL : elf_file__open(path);
		if (!elf)
			continue;
		err = probe_egl_file(t, tgid, path, shown, elf, have_libglx);
		elf_file__free(elf);
	}
	return err;
}

int tracer__gl_threads(struct tracer *t, pid_t tgid, struct tracer_thread *out, size_t max)
{
	struct bpf_link *link;
	__u64 buf[256];
	size_t n = 0;
	ssize_t got;
	int fd, err = 0;

	t->skel->bss->iter_tgid = tgid;
	link = bpf_program__attach_iter(t->skel->progs.gl_threads, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		for (size_t i = 0; i + 1 < (size_t)got / 8 && n < max; i += 2)
			out[n++] = (struct tracer_thread){ .tid = buf[i], .tp = buf[i + 1] };
	if (got < 0)
		err = -errno;
	close(fd);
cleanup:
	bpf_link__destroy(link);
	return err ? err : (int)n;
}

/* Whether @f makes objects: those probes go in last, so that no object is
 * seen made whose binding or storage calls are not probed yet (attaching to
 * a program that is drawing). */
static bool gl_func_makes(const struct gl_func *f)
{
	__u32 fn = LT_GL_COOKIE_FN(f->cookie);

	return fn == LT_GL_GEN || fn == LT_GL_CREATE_TEX || fn == LT_GL_CREATE_RET;
}

/* Probes the implementations of @impls that lie in the file mapped at @m,
 * those that make objects (@makers) or the others, skipping those already
 * probed; returns how many were new. */
static int probe_gl_impls(struct tracer *t, pid_t tgid, const struct lt_mapping *m,
			  const struct gl_impl *impls, size_t n, bool makers)
{
	struct probe_func funcs[MAX_SITES];
	struct heap_site hs[MAX_SITES];
	struct elf_file *elf;
	char path[PATH_MAX];
	struct stat st;
	size_t nr = 0;
	int err;

	lt_mapping__open_path(tgid, m, path, sizeof(path));
	if (stat(path, &st))
		return -errno;
	elf = elf_file__open(path);
	if (!elf)
		return -errno;
	for (size_t i = 0; i < n && nr < MAX_SITES; i++) {
		__u64 off;

		if (impls[i].addr < m->start || impls[i].addr >= m->end ||
		    gl_func_makes(impls[i].func) != makers)
			continue;
		off = lt_mapping__file_offset(m, impls[i].addr);
		if (file_set_has(&t->gl_sites, &st, off))
			continue;
		err = file_set_add(&t->gl_sites, &st, off);
		if (err)
			goto cleanup;
		funcs[nr] = gl_probe_func(impls[i].func);
		hs[nr].hf = &funcs[nr];
		choose_site(t, elf, &funcs[nr], off, 0, &hs[nr].site);
		hs[nr].off = off + hs[nr].site.offset;
		nr++;
	}
	err = attach_sites(t, tgid, path, m->path, hs, nr, gl_progs(t));
cleanup:
	elf_file__free(elf);
	return err ? err : (int)nr;
}

int tracer__attach_gl_impls(struct tracer *t, pid_t tgid, const struct gl_impl *impls, size_t n)
{
	struct procmaps *maps = procmaps__read(tgid);
	int err = 0, added = 0;

	if (!maps)
		return errno == ENOENT ? -ESRCH : -errno;
	/* one file at a time (the drivers the implementations lie in); the
	 * functions that make objects after all the others */
	for (int makers = 0; makers < 2 && err >= 0; makers++) {
		for (size_t i = 0; i < n && err >= 0; i++) {
			const struct lt_mapping *m = procmaps__find(maps, impls[i].addr);
			bool first = true;

			if (!m || !lt_mapping__is_file(m))
				continue;
			for (size_t j = 0; j < i && first; j++)
				first = !(impls[j].addr >= m->start && impls[j].addr < m->end);
			if (!first)
				continue;
			err = probe_gl_impls(t, tgid, m, impls, n, makers);
			if (err > 0)
				added += err;
		}
	}
	procmaps__free(maps);
	return err < 0 ? err : added;
}

int tracer__stop_on_gl(struct tracer *t, bool on)
{
	t->skel->bss->stop_on_gl = on;
	return 0;
}

int tracer__stop_on_exec(struct tracer *t, bool on)
{
	t->skel->bss->stop_on_exec = on;
	return 0;
}

int tracer__attach_entry_stop(struct tracer *t, pid_t tgid)
{
	char exe[64];
	struct elf_file *elf;
	__u64 off;
	int err;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", tgid);
	elf = elf_file__open(exe);
	if (!elf)
		return -errno;
	err = elf_file__vaddr_to_offset(elf, elf_file__entry(elf), &off);
	elf_file__free(elf);
	if (err)
		return err;
	/* Done again after each exec of the command, once leaktrace dropped
	 * CAP_SYS_ADMIN (sandbox.c), which a perf-event uprobe wants since the
	 * fix of CVE-2025-38466 (Linux 6.16, 6.12.39, 6.6.99, 6.1.146...); a
	 * uprobe_multi link does not. */
	if (t->multi) {
		int fd = link_uprobe_multi(bpf_program__fd(t->skel->progs.entry_stop), exe, &off,
					   NULL, 1, false, tgid);

		if (fd < 0)
			return fd;
		t->entry_stop_fd = fd;
		return 0;
	}
	t->entry_stop = bpf_program__attach_uprobe(t->skel->progs.entry_stop, false, tgid, exe,
						   off);
	return t->entry_stop ? 0 : -errno;
}

void tracer__detach_entry_stop(struct tracer *t)
{
	bpf_link__destroy(t->entry_stop);
	t->entry_stop = NULL;
	if (t->entry_stop_fd >= 0)
		close(t->entry_stop_fd);
	t->entry_stop_fd = -1;
}

bool tracer__uses_uprobe_multi(const struct tracer *t)
{
	return t->multi;
}
