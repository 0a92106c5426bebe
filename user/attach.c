// SPDX-License-Identifier: GPL-2.0-only
/* Opens, sizes and loads the skeleton (only the programs and maps of the
 * sources asked for, by the skeleton's own names), keeps its links and
 * detaches them, says what the verifier refused, and counts the kernel
 * memory its maps hold. The probes are attach_probes.c's and attach_gl.c's. */
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
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "array.h"
#include "attach.h"
#include "elfsym.h"
#include "files.h"
#include "gl.h"
#include "hashmap.h"
#include "caps.h"
#include "log.h"
#include "procmaps.h"
#include "probepoint.h"
#include "python.h"
#include "srcdesc.h"

#include "attach_int.h"

struct progs heap_progs(struct tracer *t)
{
	if (t->settings->floor)
		return (struct progs){ t->skel->progs.floor_enter, t->skel->progs.floor_exit };
	return (struct progs){ t->skel->progs.heap_enter, t->skel->progs.alloc_exit };
}

struct progs gl_progs(struct tracer *t)
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

int link_uprobe_multi(int prog_fd, const char *path, const __u64 *offsets, const __u64 *cookies,
		      __u32 cnt, bool ret, pid_t pid)
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

int keep_link_fd(struct tracer *t, int fd)
{
	struct linkset *set = t->into;

	if (ARRAY_RESERVE(set->link_fds, set->cap_link_fds, set->nr_link_fds + 1)) {
		close(fd);
		return -ENOMEM;
	}
	set->link_fds[set->nr_link_fds++] = fd;
	return 0;
}

int keep_link(struct tracer *t, struct bpf_link *link)
{
	struct linkset *set = t->into;

	if (ARRAY_RESERVE(set->links, set->cap_links, set->nr_links + 1)) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	set->links[set->nr_links++] = link;
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

/* bpf_loop()'s most iterations (BPF_MAX_LOOPS) */
#define LT_BPF_MAX_LOOPS (1u << 23)

/* The bits of the sources that own @prog or @map of @p (srcdesc.h). */
static unsigned int owners(const struct leaktrace_bpf *p, const struct bpf_program *prog,
			   const struct bpf_map *map)
{
	unsigned int bits = 0;

	for (unsigned int bit = 1; bit & src_all(); bit <<= 1) {
		const struct src_desc *d = src_by_bit(bit);
		struct src_owned own = { 0 };

		if (d->owns)
			d->owns(p, &own);
		for (size_t i = 0; prog && i < SRC_MAX_PROGS && own.progs[i]; i++)
			bits |= own.progs[i] == prog ? bit : 0;
		for (size_t i = 0; map && i < SRC_MAX_MAPS && own.maps[i]; i++)
			bits |= own.maps[i] == map ? bit : 0;
	}
	return bits;
}

/* What a program of the skeleton is loaded for: PROG_*, or the sources
 * that own it. */
static unsigned int prog_role(const struct leaktrace_bpf *p, const struct bpf_program *prog)
{
	const struct {
		const struct bpf_program *prog;
		unsigned int role;
	} roles[] = {
		{ p->progs.process_exec, PROG_ALWAYS }, { p->progs.entry_stop, PROG_ALWAYS },
		{ p->progs.process_exit, PROG_SYSTEM }, { p->progs.floor_enter, PROG_FLOOR },
		{ p->progs.floor_exit, PROG_FLOOR },	{ p->progs.calib_enter, PROG_ALWAYS },
		{ p->progs.calib_exit, PROG_ALWAYS },
	};

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].prog == prog)
			return roles[i].role;
	return owners(p, prog, NULL);
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

/* A map that sources own (srcdesc.h) is made with their programs: a run
 * without GL holds no GL maps; one that two sources share, for either. */
static void set_autocreate(struct leaktrace_bpf *p, unsigned int load)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, p->obj)
	{
		unsigned int own = owners(p, NULL, map);

		if (own)
			bpf_map__set_autocreate(map, own & load);
	}
}

/* The kernel's setting for transparent huge pages, for the pages source: a
 * fault there may map a whole block (bpf/pages.bpf.h). 0 never (or no
 * such file), 1 madvise, 2 always. */
static unsigned int thp_mode(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strstr(buf, "[always]") ? 2 : strstr(buf, "[madvise]") ? 1 : 0;
}

/* Whether the struct or union @id of @btf, or an unnamed one within it,
 * has a member named @name. */
static bool btf_has_member(const struct btf *btf, __u32 id, const char *name, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;

	if (!t || depth > 4 || !(btf_is_struct(t) || btf_is_union(t)))
		return false;
	m = btf_members(t);
	for (__u16 i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(btf, m[i].name_off);

		if (n && !strcmp(n, name))
			return true;
		if ((!n || !*n) && btf_has_member(btf, m[i].type, name, depth + 1))
			return true;
	}
	return false;
}

/* Whether --pages keeps its own count of changes to each traced process's
 * mappings (bpf/pages.bpf.h, pages_own_seq): where the kernel's mm_struct
 * has none (mm_lock_seq, Linux 6.4), or its BTF cannot be read (the own
 * count is right on every kernel, at the cost of a program run at each
 * mapping syscall). LEAKTRACE_PAGES_OWN_SEQ=1 asks for it anyway: for the
 * tests, which run on newer kernels; not an option for users. */
static bool own_map_count(const char *btf_path)
{
	const char *env = getenv("LEAKTRACE_PAGES_OWN_SEQ");
	struct btf *btf;
	bool has;
	int id;

	if (env && !strcmp(env, "1"))
		return true;
	btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!btf)
		return true;
	id = btf__find_by_name_kind(btf, "mm_struct", BTF_KIND_STRUCT);
	has = id > 0 && btf_has_member(btf, id, "mm_lock_seq", 0);
	btf__free(btf);
	if (!has)
		lt_debug("this kernel keeps no count of changes to a process's mappings (one came "
			 "with Linux 6.4): --pages keeps its own, at the syscalls that make them");
	return !has;
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
	t->skel->rodata->page_shift = __builtin_ctzl(sysconf(_SC_PAGESIZE));
	t->skel->rodata->sample_every = s->sample_every > 1 ? s->sample_every : 0;
	t->skel->rodata->sample_bytes = s->sample_bytes;
	t->skel->rodata->pages_on = !!(t->sources & LT_SRC_PAGES);
	t->skel->rodata->thp_mode = t->sources & LT_SRC_PAGES ? thp_mode() : 0;
	t->pages_own_seq = (t->sources & LT_SRC_PAGES) && own_map_count(s->btf);
	t->skel->rodata->pages_own_seq = t->pages_own_seq;
	bpf_map__set_max_entries(t->skel->maps.map_seqs, t->pages_own_seq ? LT_MAP_SEQS_MAX : 1);
	/* --system under pages: stacks walked only for the processes in focus */
	t->skel->rodata->pages_focus = s->system && (t->sources & LT_SRC_PAGES);
	bpf_map__set_max_entries(t->skel->maps.focus, LT_FOCUS_MAX);
	t->skel->rodata->pages_walk_max = s->max_allocs < LT_BPF_MAX_LOOPS ? s->max_allocs
									   : LT_BPF_MAX_LOOPS;
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
			t->skel->progs.entry_stop,  t->skel->progs.calib_enter,
			t->skel->progs.calib_exit,
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

	if (role & ~src_all())
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

/* --system: leaktrace's own binary carries its allocator (Makefile:
 * SELF_ALLOC_LIBS), which a probe put there for another leaktrace would
 * make leaktrace's own allocations trap again: it is marked as looked at,
 * and never probed. Returns 0, or -1 with errno set. */
static int never_probe_self(struct files *files)
{
	struct mapped_file *self;
	struct stat st;

	if (stat("/proc/self/exe", &st))
		return 0;
	self = files__of_stat(files, &st, "/proc/self/exe");
	if (!self)
		return -1;
	mapped_file__mark(self, FILE_HEAP_LOOKED);
	return 0;
}

struct tracer *tracer__open(const struct lt_settings *s, struct files *files)
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
	t->into = &t->links;
	t->settings = s;
	t->files = files;
	t->sources = s->sources;
	t->multi = !s->no_uprobe_multi && have_uprobe_multi();
	lt_debug("uprobe_multi links: %s", t->multi ? "yes" : "no");
	if (s->system && never_probe_self(files)) {
		free(t);
		return NULL;
	}

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
		if (drop && (t->sources & ~drop & src_all())) {
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
void linkset_destroy(struct linkset *set)
{
	size_t nr = set->nr_links + set->nr_link_fds;
	struct detach *d = calloc(nr, sizeof(*d));
	pthread_t *threads = calloc(nr, sizeof(*threads));
	bool *started = calloc(nr, sizeof(*started));

	for (size_t i = 0; i < nr; i++) {
		struct detach one = { .link = i < set->nr_links ? set->links[i] : NULL,
				      .fd = i < set->nr_links ? -1
							      : set->link_fds[i - set->nr_links] };

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
	free(set->links);
	free(set->link_fds);
	*set = (struct linkset){ 0 };
}

static void gl_sites__free(void *v)
{
	hashmap__free(v);
}

void tracer__destroy(struct tracer *t)
{
	if (!t)
		return;
	tracer__calibrated(t);
	tracer__detach_entry_stop(t);
	for (size_t i = 0; i < t->nr_groups; i++)
		linkset_destroy(&t->groups[i].set);
	free(t->groups);
	linkset_destroy(&t->links);
	leaktrace_bpf__destroy(t->skel);
	for (size_t i = 0; i < t->nr_strings; i++)
		free(t->strings[i]);
	free(t->strings);
	free(t->probes);
	files__release(t->files, FILE_SLOT_GLSITES, gl_sites__free);
	free(t->vlogs);
	free(t);
}

struct leaktrace_bpf *tracer__skel(struct tracer *t)
{
	return t->skel;
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

int add_probe(struct tracer *t, const struct report_probe *p)
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

/* --- GL --- */

bool tracer__uses_uprobe_multi(const struct tracer *t)
{
	return t->multi;
}
