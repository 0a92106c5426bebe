// SPDX-License-Identifier: GPL-2.0-only
/* --check: what this machine offers for leaktrace, item by item, and what to
 * do about what is missing. The honest test comes last: the BPF object is
 * opened and loaded (verifier included) as a run would, and nothing is
 * attached. The checks that tracer__open() makes itself (privileges, BTF)
 * are its own, with its hints. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "caps.h"
#include "check.h"
#include "files.h"
#include "json.h"
#include "log.h"

enum status {
	ST_OK,
	ST_MISSING, /* required: leaktrace cannot run as asked */
	ST_INFO,    /* worth knowing; not required */
};

static const char *const status_names[] = { "ok", "missing", "info" };

struct item {
	const char *name;
	enum status status;
	char detail[640];
	char fix[256]; /* what to do; empty if nothing */
};

#define MAX_ITEMS 16

struct check {
	const struct lt_settings *s;
	struct item items[MAX_ITEMS];
	size_t nr;
	unsigned int major, minor; /* kernel version */
	__u64 caps;		   /* effective capabilities */
	bool may_trace;
	bool btf;	   /* the kernel BTF can be read */
	char tracefs[128]; /* where tracefs is mounted, or "" */
};

static struct item *add(struct check *c, const char *name, enum status st, const char *fix,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static struct item *add(struct check *c, const char *name, enum status st, const char *fix,
			const char *fmt, ...)
{
	struct item *it = &c->items[c->nr < MAX_ITEMS ? c->nr++ : MAX_ITEMS - 1];
	va_list args;

	*it = (struct item){ .name = name, .status = st };
	va_start(args, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, args);
	va_end(args);
	snprintf(it->fix, sizeof(it->fix), "%s", fix ? fix : "");
	return it;
}

static bool kernel_at_least(const struct check *c, unsigned int major, unsigned int minor)
{
	return c->major > major || (c->major == major && c->minor >= minor);
}

/* The first line of @path, without its newline; false if unreadable. */
static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok = f && fgets(buf, len, f);

	if (f)
		fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

static void check_kernel(struct check *c)
{
	struct utsname u;

	uname(&u);
	sscanf(u.release, "%u.%u", &c->major, &c->minor);
	if (kernel_at_least(c, 5, 17))
		add(c, "kernel", ST_OK, NULL, "Linux %s %s (5.17 or newer: bpf_loop)", u.release,
		    u.machine);
	else
		add(c, "kernel", ST_MISSING, "run a kernel 5.17 or newer",
		    "Linux %s %s: leaktrace needs 5.17 or newer (bpf_loop)", u.release, u.machine);
}

static void check_btf(struct check *c)
{
	const char *btf = c->s->btf ? c->s->btf : "/sys/kernel/btf/vmlinux";

	c->btf = !access(btf, R_OK);
	if (c->btf)
		add(c, "btf", ST_OK, NULL, "%s", btf);
	else if (c->s->btf)
		add(c, "btf", ST_MISSING, "pass a readable kernel BTF file with --btf FILE",
		    "cannot read %s: %s", btf, strerror(errno));
	else
		add(c, "btf", ST_MISSING,
		    "install a kernel built with CONFIG_DEBUG_INFO_BTF=y, or pass its BTF with "
		    "--btf FILE",
		    "no kernel BTF at %s: " LT_HINT_BTF, btf);
}

static bool has_cap(const struct check *c, int cap)
{
	return c->caps & (1ULL << cap);
}

static void check_privileges(struct check *c)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	char extra[224] = "";

	if (!syscall(SYS_capget, &hdr, data))
		c->caps = data[0].effective | (__u64)data[1].effective << 32;
	c->may_trace = tracer__may_trace();
	if (!has_cap(c, CAP_DAC_READ_SEARCH) && !has_cap(c, CAP_DAC_OVERRIDE))
		strcat(extra, "; without CAP_DAC_READ_SEARCH, tracefs cannot be read");
	if (!has_cap(c, CAP_SYS_PTRACE))
		strcat(extra, "; without CAP_SYS_PTRACE, processes of other users cannot be read "
			      "(Python frames, GL)");
	if (!has_cap(c, CAP_SYS_ADMIN))
		strcat(extra, "; without CAP_SYS_ADMIN, tracefs cannot be mounted");
	if (!c->may_trace)
		add(c, "privileges", ST_MISSING, LT_HINT_PERM,
		    "uid %d, effective CAP_BPF %s, CAP_PERFMON %s, CAP_SYS_ADMIN %s: BPF is not "
		    "permitted",
		    (int)geteuid(), has_cap(c, CAP_BPF) ? "yes" : "no",
		    has_cap(c, CAP_PERFMON) ? "yes" : "no",
		    has_cap(c, CAP_SYS_ADMIN) ? "yes" : "no");
	else if (geteuid() == 0 && has_cap(c, CAP_SYS_ADMIN) && has_cap(c, CAP_SYS_PTRACE))
		add(c, "privileges", ST_OK, NULL, "root");
	else
		add(c, "privileges", ST_OK, NULL, "uid %d with %s%s", (int)geteuid(),
		    has_cap(c, CAP_SYS_ADMIN) ? "CAP_SYS_ADMIN" : "CAP_BPF and CAP_PERFMON", extra);
}

static void check_uprobes(struct check *c)
{
	if (!access("/sys/bus/event_source/devices/uprobe/type", R_OK))
		add(c, "uprobes", ST_OK, NULL, "/sys/bus/event_source/devices/uprobe");
	else
		add(c, "uprobes", ST_MISSING, "run a kernel built with CONFIG_UPROBES=y",
		    "the kernel has no uprobe event source");
}

static void check_uprobe_multi(struct check *c)
{
	if (c->s->no_uprobe_multi)
		add(c, "uprobe_multi", ST_INFO, NULL,
		    "not used (--no-uprobe-multi): one perf-event link per probe");
	else if (!c->may_trace)
		add(c, "uprobe_multi", ST_INFO, NULL,
		    "cannot tell without BPF privileges; Linux %u.%u %s", c->major, c->minor,
		    kernel_at_least(c, 6, 6) ? "should have them" : "has none (6.6+)");
	else if (tracer__have_uprobe_multi())
		add(c, "uprobe_multi", ST_OK, NULL,
		    "yes: one link carries every probe of a file (fast attach and detach)");
	else
		add(c, "uprobe_multi", ST_INFO, "Linux 6.6 or newer has them",
		    "no: one perf-event link per probe instead (works; detaching takes longer)");
}

/* From the mount table: tracefs is readable by root only, so its files do
 * not tell a user whether it is there. */
static void check_tracefs(struct check *c)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char line[512], dir[128], type[32];

	while (f && !*c->tracefs && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %127s %31s", dir, type) == 2 && !strcmp(type, "tracefs"))
			snprintf(c->tracefs, sizeof(c->tracefs), "%s", dir);
	if (f)
		fclose(f);
	if (*c->tracefs)
		add(c, "tracefs", ST_OK, NULL, "mounted at %s", c->tracefs);
	else if (has_cap(c, CAP_SYS_ADMIN))
		add(c, "tracefs", ST_INFO, NULL,
		    "not mounted: leaktrace mounts it at /sys/kernel/tracing");
	else
		add(c, "tracefs", ST_MISSING, "mount -t tracefs nodev /sys/kernel/tracing",
		    "not mounted, and without CAP_SYS_ADMIN leaktrace cannot mount it");
}

/* The tracepoints leaktrace attaches (attach.c): sched_process_exec always,
 * sched_process_exit for --system, the mmap family's syscalls for source
 * mmap, and (the first two of) source fd's. */
static void check_tracepoints(struct check *c)
{
	static const char *const names[] = {
		"sched/sched_process_exec", "syscalls/sys_enter_mmap",
		"syscalls/sys_exit_mmap",   "syscalls/sys_enter_munmap",
		"syscalls/sys_exit_munmap", "syscalls/sys_enter_mremap",
		"syscalls/sys_exit_mremap", "sched/sched_process_exit",
		"syscalls/sys_exit_openat", "syscalls/sys_enter_close",
	};
	bool mmap = c->s->sources & LT_SRC_MMAP;
	char path[256], missing[160] = "";
	size_t nr = 0;

	if (!*c->tracefs) {
		add(c, "tracepoints", ST_INFO, NULL, "cannot tell: tracefs is not mounted");
		return;
	}
	if (access(c->tracefs, R_OK | X_OK)) {
		/* libbpf reads each tracepoint's id there: attaching fails */
		add(c, "tracepoints", ST_MISSING,
		    "run as root, or add CAP_DAC_READ_SEARCH to CAP_BPF and CAP_PERFMON",
		    "cannot read %s (%s): the tracepoints' ids are there", c->tracefs,
		    strerror(errno));
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/id", c->tracefs, names[i]);
		if (!access(path, R_OK))
			continue;
		if (!nr++)
			snprintf(missing, sizeof(missing), "%s", names[i]);
	}
	if (!nr)
		add(c, "tracepoints", ST_OK, NULL,
		    "sched_process_exec/exit, sys_enter/sys_exit of mmap, munmap, mremap, "
		    "openat, close");
	else if (!strncmp(missing, "sched/", 6))
		add(c, "tracepoints", ST_MISSING, "run a kernel built with CONFIG_FTRACE=y",
		    "no %s tracepoint", missing);
	else
		add(c, "tracepoints", mmap ? ST_MISSING : ST_INFO,
		    "run a kernel built with CONFIG_FTRACE_SYSCALLS=y, or leave anonymous mmap out "
		    "with --sources libc",
		    "%zu syscall tracepoints missing (%s...): source mmap needs them", nr, missing);
}

/* Lockdown (security/lockdown): "integrity" forbids what writes to the
 * kernel, which leaktrace never does (bpf_probe_write_user, debugfs writes);
 * "confidentiality" also forbids tracefs (libbpf finds tracepoints there) and
 * BPF reads of kernel memory (bpf_probe_read_kernel: CO-RE reads of the
 * task's registers and thread pointer), so the object does not load. */
static void check_lockdown(struct check *c)
{
	char line[128];
	const char *mode;

	if (!read_line("/sys/kernel/security/lockdown", line, sizeof(line))) {
		add(c, "lockdown", ST_INFO, NULL,
		    "no /sys/kernel/security/lockdown (no lockdown LSM, or securityfs not "
		    "mounted)");
		return;
	}
	mode = strstr(line, "[integrity]")	   ? "integrity"
	       : strstr(line, "[confidentiality]") ? "confidentiality"
						   : "none";
	if (!strcmp(mode, "none"))
		add(c, "lockdown", ST_OK, NULL, "none");
	else if (!strcmp(mode, "integrity"))
		add(c, "lockdown", ST_OK, NULL,
		    "integrity: forbids writing to kernel or user memory from BPF, which "
		    "leaktrace never does");
	else
		add(c, "lockdown", ST_MISSING,
		    "boot with lockdown=integrity (or none): confidentiality cannot be lifted "
		    "at run time",
		    "confidentiality: the kernel refuses tracefs (the tracepoints) and BPF reads "
		    "of kernel memory (registers and thread pointer of the task)");
}

static void check_sysctls(struct check *c)
{
	char v[32];

	if (read_line("/proc/sys/kernel/unprivileged_bpf_disabled", v, sizeof(v)))
		add(c, "unprivileged_bpf", ST_INFO, NULL,
		    "kernel.unprivileged_bpf_disabled = %s: no matter, leaktrace needs CAP_BPF "
		    "anyway",
		    v);
	if (read_line("/proc/sys/kernel/perf_event_paranoid", v, sizeof(v)))
		add(c, "perf_paranoid", ST_INFO, NULL,
		    "kernel.perf_event_paranoid = %s: no matter with CAP_PERFMON (uprobes are "
		    "perf events)",
		    v);
}

static void check_memlock(struct check *c)
{
	struct rlimit rl;
	char cur[32];

	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return;
	if (rl.rlim_cur == RLIM_INFINITY)
		snprintf(cur, sizeof(cur), "unlimited");
	else
		snprintf(cur, sizeof(cur), "%llu KiB", (unsigned long long)rl.rlim_cur / 1024);
	/* libbpf 1.x raises it itself where the kernel still charges BPF memory
	 * to it (before 5.11 memcg accounting), if it may */
	add(c, "memlock", ST_INFO, NULL, "RLIMIT_MEMLOCK %s: %s", cur,
	    kernel_at_least(c, 5, 11)
		    ? "not used: Linux 5.11+ charges BPF maps to the memory cgroup"
		    : "BPF maps are charged to it before Linux 5.11");
}

/* Helpers and maps the programs use, so that a failed load below can be
 * told apart from a kernel that lacks them. */
static void check_features(struct check *c)
{
	static const struct {
		int helper; /* or -1 for a map type */
		int map;
		const char *name;
	} feats[] = {
		{ BPF_FUNC_loop, 0, "bpf_loop" },
		{ -1, BPF_MAP_TYPE_RINGBUF, "ring buffer" },
		{ -1, BPF_MAP_TYPE_TASK_STORAGE, "task storage" },
		{ BPF_FUNC_get_attach_cookie, 0, "attach cookies" },
	};
	char missing[128] = "";

	if (!c->may_trace) {
		add(c, "bpf_features", ST_INFO, NULL, "cannot tell without BPF privileges");
		return;
	}
	for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		int ok = feats[i].helper >= 0 ? libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE,
									feats[i].helper, NULL)
					      : libbpf_probe_bpf_map_type(feats[i].map, NULL);

		if (ok <= 0)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 "%s%s", *missing ? ", " : "", feats[i].name);
	}
	if (!*missing)
		add(c, "bpf_features", ST_OK, NULL,
		    "bpf_loop, ring buffer, task storage, attach cookies");
	else
		add(c, "bpf_features", ST_MISSING, "run a kernel 5.17 or newer", "missing: %s",
		    missing);
}

/* What a run with these settings traces: the sources whose programs the
 * kernel took; one it refused is off, and a run says so too. */
static void check_sources(struct check *c, struct tracer *t)
{
	unsigned int on = tracer__sources(t);
	char names[128] = "";

	for (unsigned int bit = 1; bit & src_all(); bit <<= 1)
		if (on & bit)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 *names ? ", " : "", lt_source_name(bit));
	if (*tracer__sources_off(t))
		add(c, "bpf_load", ST_INFO, NULL,
		    "the BPF programs load without these sources: %s; a run traces %s",
		    tracer__sources_off(t), names);
	else
		add(c, "bpf_load", ST_OK, NULL, "the BPF programs load and pass the verifier");
	if (!*names && !c->s->sources_auto)
		add(c, "sources", ST_OK, NULL,
		    "a run traces no source, with no probe: the census of a CPython target "
		    "alone");
	else
		add(c, "sources", ST_OK, NULL, "a run traces %s%s", names,
		    c->s->sources_auto ? " (auto: python and gl where the target uses them)" : "");
}

/* Opens and loads the BPF object as a run would, and attaches nothing: the
 * verifier, the kernel's BTF and every helper in one go. */
static void check_load(struct check *c)
{
	char why[256];
	struct files *files;
	struct tracer *t;

	if (!c->may_trace) {
		add(c, "bpf_load", ST_INFO, NULL, "not tried: BPF is not permitted");
		return;
	}
	if (!c->btf) {
		add(c, "bpf_load", ST_INFO, NULL, "not tried: no kernel BTF");
		return;
	}
	lt_log_capture(why, sizeof(why));
	files = files__new();
	t = files ? tracer__open(c->s, files) : NULL;
	lt_log_capture(NULL, 0);
	if (t) {
		check_sources(c, t);
		tracer__destroy(t);
	} else {
		add(c, "bpf_load", ST_MISSING,
		    "see the items above; rerun with -v for libbpf's log", "%s",
		    *why ? why : strerror(errno));
	}
	files__free(files);
}

static size_t nr_missing(const struct check *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nr; i++)
		n += c->items[i].status == ST_MISSING;
	return n;
}

static void print_text(const struct check *c, FILE *out)
{
	size_t missing = nr_missing(c);

	fprintf(out, "leaktrace %s: what this machine offers\n", LT_VERSION);
	for (size_t i = 0; i < c->nr; i++) {
		const struct item *it = &c->items[i];

		fprintf(out, "  %-16s %-8s %s", it->name, status_names[it->status], it->detail);
		if (*it->fix && it->status == ST_MISSING)
			fprintf(out, "; to fix: %s", it->fix);
		fputc('\n', out);
	}
	if (missing)
		fprintf(out, "leaktrace cannot run here: %zu item%s missing (see above)\n", missing,
			missing > 1 ? "s" : "");
	else
		fputs("leaktrace can run here\n", out);
}

static void print_json(const struct check *c, FILE *out)
{
	struct jw w;

	jw__init(&w, out);
	jw__begin_object(&w);
	jw__kstr(&w, "type", "check");
	jw__kstr(&w, "version", LT_VERSION);
	jw__kbool(&w, "ok", !nr_missing(c));
	jw__key(&w, "items");
	jw__begin_array(&w);
	for (size_t i = 0; i < c->nr; i++) {
		const struct item *it = &c->items[i];

		jw__begin_object(&w);
		jw__kstr(&w, "name", it->name);
		jw__kstr(&w, "status", status_names[it->status]);
		jw__kstr(&w, "detail", it->detail);
		if (*it->fix)
			jw__kstr(&w, "fix", it->fix);
		jw__end_object(&w);
	}
	jw__end_array(&w);
	jw__end_object(&w);
	fputc('\n', out);
}

int check__run(const struct lt_settings *s)
{
	struct check *c = calloc(1, sizeof(*c));
	int status;

	if (!c) {
		lt_error("cannot check: %s", strerror(ENOMEM));
		return 1;
	}
	c->s = s;
	check_kernel(c);
	check_btf(c);
	check_privileges(c);
	check_uprobes(c);
	check_uprobe_multi(c);
	check_tracefs(c);
	check_tracepoints(c);
	check_lockdown(c);
	check_sysctls(c);
	check_memlock(c);
	check_features(c);
	check_load(c);
	if (s->json)
		print_json(c, stdout);
	else
		print_text(c, stdout);
	status = nr_missing(c) ? 1 : 0;
	free(c);
	return status;
}
