// SPDX-License-Identifier: GPL-2.0-only
/* The probes of the allocators a process uses (libc's, or --lib's, and
 * CPython's object allocators), each where the kernel can emulate the
 * probed instruction (probepoint.h); the tracepoints of the mmap and fd
 * sources; and the stops of a launched command at exec and at its entry. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leaktrace.skel.h"
#include "array.h"
#include "files.h"
#include "attach_int.h"
#include "gl.h"
#include "log.h"
#include "procmaps.h"
#include "python.h"

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

/* Whether tracefs lists the tracepoint @category:@name (after
 * ensure_tracefs()). */
static bool tracepoint_exists(const char *category, const char *name)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256];

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/%s", roots[i], category, name);
		if (!access(path, F_OK))
			return true;
	}
	return false;
}

/* attach_tp() to the syscall tracepoint @name, if this kernel has it. */
static int attach_tp_if(struct tracer *t, struct bpf_program *prog, const char *name)
{
	if (!tracepoint_exists("syscalls", name)) {
		lt_debug("no tracepoint syscalls:%s here", name);
		return 0;
	}
	return attach_tp(t, prog, "syscalls", name);
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

int tracer__add_sys_frame(struct tracer *t, const struct lt_sys_site *site, __u64 ra_off,
			  __s64 fp_off)
{
	struct lt_sys_frame val = { .ra_off = ra_off, .fp_off = fp_off < 0 ? -1 : fp_off };

	if (ra_off == (__u64)(__s64)LT_RA_IN_LINK_REG)
		val.ra_off = LT_RA_IN_LINK_REG;
	else if (ra_off > INT32_MAX || fp_off > INT32_MAX)
		return -ERANGE;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.sysframes), site, &val, BPF_ANY))
		return -errno;
	return 0;
}

/* Chooses where to probe the function of @pf whose code starts at file offset
 * @offset (@size bytes, 0 if unknown): see probepoint.h. */
void choose_site(struct tracer *t, struct elf_file *elf, const struct probe_func *pf, __u64 offset,
		 __u64 size, struct probe_site *site)
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
	/* a grower's probes, for a while: not in the start record's list */
	if (t->into != &t->links) {
		lt_debug("probe %s in %s at file offset 0x%llx, for a while", hs->hf->name, shown,
			 (unsigned long long)hs->off);
		return 0;
	}
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
int attach_sites(struct tracer *t, pid_t tgid, const char *path, const char *shown,
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
int attach_allocator(struct tracer *t, pid_t tgid, const char *path, const char *shown,
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

struct mapped_file *tracer_file(struct tracer *t, const char *path, const char *shown)
{
	struct stat st;

	if (stat(path, &st))
		return NULL;
	return files__of_stat(t->files, &st, shown);
}

/* Whose allocator calls a pass over a process's files probes. */
enum scope {
	SCOPE_PID,    /* -p, --: that process's, for the whole run */
	SCOPE_SYSTEM, /* --system --exact: every process's, each file once */
	SCOPE_EXACT,  /* pages: one grower's, for a while (tracer__attach_exact) */
};

/* Probes @path (as the tracer can open it; @shown in messages) if not done
 * yet; for a grower, again for that process alone. */
static int probe_file(struct tracer *t, pid_t tgid, const char *path, const char *shown,
		      struct elf_file *elf, enum scope scope)
{
	struct mapped_file *f;
	int err;

	if (scope == SCOPE_EXACT)
		return attach_allocator(t, tgid, path, shown, elf, heap_funcs, NR_HEAP_FUNCS,
					heap_progs(t));
	f = tracer_file(t, path, shown);
	if (!f)
		return -errno;
	if (mapped_file__has(f, FILE_HEAP_PROBED))
		return 0;
	/* --system: for every process that maps it, now or later */
	err = attach_allocator(t, t->settings->system ? -1 : tgid, path, shown, elf, heap_funcs,
			       NR_HEAP_FUNCS, heap_progs(t));
	if (err)
		return err;
	mapped_file__mark(f, FILE_HEAP_PROBED);
	t->nr_heap_files++;
	return 0;
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
	err = probe_file(t, tgid, lib, lib, elf, SCOPE_PID);
	elf_file__free(elf);
	return err;
}

/* Probes every file mapped by @tgid that exports malloc and free: those are
 * what the dynamic linker binds the program's calls to (libc, or a preloaded
 * jemalloc or tcmalloc; probing an unused one costs nothing). Failing that,
 * the executable itself when it defines malloc (static binaries). */
static int attach_mapped(struct tracer *t, pid_t tgid, enum scope scope)
{
	struct procmaps *maps = procmaps__read(tgid);
	char path[PATH_MAX], exe[PATH_MAX];
	struct stat exe_st = { 0 };
	bool system = scope == SCOPE_SYSTEM;
	int found = 0, err = 0;

	if (!maps) {
		err = -errno;
		if (system) /* gone already, or a kernel thread */
			return 0;
		if (scope == SCOPE_EXACT)
			return -ESRCH;
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
			struct mapped_file *f = tracer_file(t, path, m->path);

			if (!f) {
				err = errno == ENOMEM ? -ENOMEM : 0;
				continue;
			}
			if (mapped_file__mark(f, FILE_HEAP_LOOKED)) {
				found += mapped_file__has(f, FILE_HEAP_PROBED);
				continue;
			}
		}
		elf = elf_file__open(path);
		if (!elf)
			continue;
		if (elf_file__exports(elf, "malloc") && elf_file__exports(elf, "free")) {
			err = probe_file(t, tgid, path, m->path, elf, scope);
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
			err = probe_file(t, tgid, exe, n > 0 ? shown : exe, elf, scope);
			found++;
		}
		elf_file__free(elf);
	}
	procmaps__free(maps);
	if (!err && !found && scope != SCOPE_PID) {
		lt_debug("pid %d: no allocator found", tgid);
		return system ? 0 : -ENOENT;
	}
	if (!err && !found) {
		lt_error("cannot find an allocator in pid %d: no mapped object defines malloc "
			 "and free; pass the allocator with --lib PATH",
			 tgid);
		return -ENOENT;
	}
	return err;
}

/* perf_event_open(2): glibc has no wrapper */
static int open_page_faults(int cpu)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_PAGE_FAULTS,
		/* every fault is one sample, that is one run of the program;
		 * faults the kernel takes on the user's memory (copy_to_user)
		 * count too, hence no exclude_kernel */
		.sample_period = 1,
	};

	return syscall(SYS_perf_event_open, &attr, /*pid=*/-1, cpu, /*group_fd=*/-1,
		       PERF_FLAG_FD_CLOEXEC);
}

/* Before Linux 6.4 (t->pages_own_seq): the entry and the exit of each
 * syscall that may change a process's mappings (their bounds, flags or
 * file), where the BPF side counts the changes (pages_map_change()); exec's
 * exit. One this kernel lacks (no such syscall on this architecture)
 * changes nothing. */
static int attach_map_changes(struct tracer *t)
{
	struct leaktrace_bpf *p = t->skel;
	static const char *const calls[] = {
		"mmap",	 "munmap",	     "mremap",	"brk",	    "mprotect",	  "pkey_mprotect",
		"mlock", "mlock2",	     "munlock", "mlockall", "munlockall", "shmat",
		"shmdt", "remap_file_pages",
	};
	static const char *const execs[] = { "execve", "execveat" };
	char name[64];
	int err;

	if (!t->pages_own_seq)
		return 0;
	/* madvise's own pair: most advice changes no mapping */
	err = attach_tp(t, p->progs.pages_madv_enter, "syscalls", "sys_enter_madvise")
		      ?: attach_tp(t, p->progs.pages_madv_exit, "syscalls", "sys_exit_madvise");
	for (size_t i = 0; !err && i < sizeof(calls) / sizeof(calls[0]); i++) {
		snprintf(name, sizeof(name), "sys_enter_%s", calls[i]);
		err = attach_tp_if(t, p->progs.pages_map_enter, name);
		snprintf(name, sizeof(name), "sys_exit_%s", calls[i]);
		err = err ?: attach_tp_if(t, p->progs.pages_map_exit, name);
	}
	for (size_t i = 0; !err && i < sizeof(execs) / sizeof(execs[0]); i++) {
		snprintf(name, sizeof(name), "sys_exit_%s", execs[i]);
		err = attach_tp_if(t, p->progs.pages_map_exit, name);
	}
	return err;
}

int tracer__attach_pages(struct tracer *t)
{
	struct leaktrace_bpf *p = t->skel;
	const struct {
		struct bpf_program *prog;
		const char *name;
	} tps[] = {
		{ p->progs.pages_munmap, "sys_exit_munmap" },
		{ p->progs.pages_madvise, "sys_exit_madvise" },
		{ p->progs.pages_mremap, "sys_exit_mremap" },
		{ p->progs.pages_mmap, "sys_exit_mmap" },
		{ p->progs.pages_brk, "sys_enter_brk" },
	};
	int ncpus = libbpf_num_possible_cpus(), err, fd, opened = 0;
	struct bpf_link *link;

	if (t->pages_attached || !(t->sources & LT_SRC_PAGES))
		return 0;
	ensure_tracefs();
	/* the ways back first: a page charged is then never missed going */
	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		err = attach_tp(t, tps[i].prog, "syscalls", tps[i].name);
		if (err)
			return err;
	}
	err = attach_map_changes(t);
	if (err)
		return err;
	if (ncpus < 0) {
		lt_error("cannot count the CPUs: %s", strerror(-ncpus));
		return ncpus;
	}
	for (int cpu = 0; cpu < ncpus; cpu++) {
		fd = open_page_faults(cpu);
		if (fd < 0) {
			err = -errno;
			/* a possible CPU that is not online has no events */
			if (err == -ENODEV)
				continue;
			lt_error("cannot open the page-fault event on CPU %d: %s%s", cpu,
				 strerror(-err),
				 err == -EACCES || err == -EPERM ? "; " LT_HINT_PERM : "");
			return err;
		}
		link = bpf_program__attach_perf_event(p->progs.page_fault, fd);
		if (!link) {
			err = -errno;
			close(fd);
			lt_error("cannot attach to the page-fault event on CPU %d: %s", cpu,
				 strerror(-err));
			return err;
		}
		err = keep_link(t, link);
		if (err)
			return err;
		opened++;
	}
	lt_debug("page-fault events opened on %d CPUs", opened);
	t->pages_attached = true;
	return 0;
}

int tracer__attach(struct tracer *t, pid_t tgid)
{
	int err = 0;

	/* --pages: the allocator only in exact phases (tracer__attach_exact) */
	if ((t->sources & LT_SRC_LIBC) && !t->settings->pages)
		err = t->settings->lib ? attach_lib(t, tgid) : attach_mapped(t, tgid, SCOPE_PID);
	if (!err)
		err = attach_tracepoints(t);
	if (!err)
		err = attach_fd_tracepoints(t);
	return err;
}

/* --system: the allocator of every process is probed (--exact), not only
 * those of its growers for a while. */
static bool probes_everyone(const struct tracer *t)
{
	return (t->sources & LT_SRC_LIBC) && !t->settings->pages;
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
		err = probes_everyone(t) ? attach_mapped(t, pid, SCOPE_SYSTEM) : 0;
	}
	closedir(d);
	lt_info("looked at %d processes: %zu allocator files probed", nr, t->nr_heap_files);
	return err;
}

int tracer__attach_new(struct tracer *t, pid_t tgid)
{
	if (!probes_everyone(t) || t->settings->lib)
		return 0;
	return attach_mapped(t, tgid, SCOPE_SYSTEM);
}

int tracer__attach_exact(struct tracer *t, pid_t tgid)
{
	struct exact_group *g;
	int err;

	if (!(t->sources & LT_SRC_LIBC) || !t->settings->pages)
		return -EOPNOTSUPP;
	if (ARRAY_RESERVE(t->groups, t->cap_groups, t->nr_groups + 1))
		return -ENOMEM;
	g = &t->groups[t->nr_groups];
	*g = (struct exact_group){ .tgid = tgid };
	t->into = &g->set;
	err = attach_mapped(t, tgid, SCOPE_EXACT);
	t->into = &t->links;
	if (!err && !g->set.nr_links && !g->set.nr_link_fds)
		err = -ENOENT;
	if (err) {
		linkset_destroy(&g->set);
		return err;
	}
	t->nr_groups++;
	return 0;
}

void tracer__detach_exact(struct tracer *t, pid_t tgid)
{
	for (size_t i = 0; i < t->nr_groups; i++) {
		if (t->groups[i].tgid != tgid)
			continue;
		linkset_destroy(&t->groups[i].set);
		t->groups[i] = t->groups[--t->nr_groups];
		return;
	}
}

int tracer__attach_python(struct tracer *t, pid_t tgid, const struct py_target *py)
{
	bool system = t->settings->system;
	struct mapped_file *f = tracer_file(t, py->path, py->shown);
	struct elf_file *elf;
	int err;

	if (!f)
		return -errno;
	/* --system: the file's probes serve every process that maps it */
	if (!system || !mapped_file__has(f, FILE_PY_PROBED)) {
		elf = elf_file__open(py->path);
		if (!elf) {
			err = -errno;
			lt_error("cannot read %s: %s", py->shown, strerror(-err));
			return err;
		}
		err = attach_allocator(t, system ? -1 : tgid, py->path, py->shown, elf, py_funcs,
				       NR_PY_FUNCS, heap_progs(t));
		elf_file__free(elf);
		if (err)
			return err;
		if (system)
			mapped_file__mark(f, FILE_PY_PROBED);
	}
	return tracer__python_frames(t, tgid, py);
}

int tracer__python_frames(struct tracer *t, pid_t tgid, const struct py_target *py)
{
	struct lt_py_proc proc = py->layout->bpf;
	__u32 key = tgid;
	int err;

	proc.runtime = py->runtime;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.pyprocs), &key, &proc, BPF_ANY)) {
		err = -errno;
		lt_error("cannot trace the Python frames of pid %d: %s", tgid, strerror(-err));
		return err;
	}
	t->skel->bss->py_active = 1;
	return 0;
}

void tracer__forget_python(struct tracer *t, pid_t tgid)
{
	__u32 key = tgid;

	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.pyprocs), &key);
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
