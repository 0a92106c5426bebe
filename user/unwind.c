// SPDX-License-Identifier: GPL-2.0-only
/* Unwind tables: cfi.c checks each module's call frame information and
 * decodes its rules, and every range of addresses with its own rules
 * becomes one row (CFA rule, where rbp was saved; the return address is
 * at CFA - 8 on x86-64), adjacent equal rows merged. Ranges come from the
 * FDEs, found through .eh_frame_hdr's table and the function symbols, and
 * each FDE is followed row by row: libdw says where each row ends. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <gelf.h>
#include <elfutils/libdw.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "leaktrace.skel.h"
#include "array.h"
#include "cfi.h"
#include "elfsym.h"
#include "files.h"
#include "hashmap.h"
#include "log.h"
#include "procmaps.h"
#include "progress.h"
#include "sample.h"
#include "safeopen.h"
#include "unwind.h"

#define REG_RBP 6
#define REG_RSP 7

/* Rows a module may have: the BPF side's search takes 24 steps. */
#define MAX_MODULE_ROWS (1u << 24)

struct rows {
	struct lt_unw_row *v;
	size_t nr, cap;
};

static bool row__same_rule(const struct lt_unw_row *a, const struct lt_unw_row *b)
{
	return a->cfa == b->cfa && a->cfa_off == b->cfa_off && a->rbp_off == b->rbp_off;
}

/* Appends @r, merged with the row before when it has the same rule, or in
 * place of it when it starts at the same address (a range of no length). */
static int rows__push(struct rows *rs, const struct lt_unw_row *r)
{
	while (rs->nr && rs->v[rs->nr - 1].pc >= r->pc)
		rs->nr--;
	if (rs->nr && row__same_rule(&rs->v[rs->nr - 1], r))
		return 0;
	if (ARRAY_RESERVE(rs->v, rs->cap, rs->nr + 1))
		return -ENOMEM;
	rs->v[rs->nr++] = *r;
	return 0;
}

/* The row for the rules @cr, which hold from @pc on. Rules it cannot
 * express become LT_UNW_NONE, where the BPF side goes on with frame
 * pointers. */
static void row__of(const struct cfi_row *cr, __u64 pc, struct lt_unw_row *r)
{
	__s64 off = cr->cfa_off;

	memset(r, 0, sizeof(*r));
	r->pc = (__u32)pc;
	switch (cr->cfa) {
	case CFI_CFA_REG:
		if (cr->cfa_reg != REG_RSP && cr->cfa_reg != REG_RBP)
			return;
		r->cfa = cr->cfa_reg == REG_RSP ? LT_UNW_RSP : LT_UNW_RBP;
		break;
	case CFI_CFA_DEREF:
		/* glibc's __restore_rt: "CFA = *(rsp + 160)", the rsp saved in
		 * the ucontext; and stack realignment: "CFA = *(rbp - 8)" */
		if (cr->cfa_reg == REG_RSP && off == 160) {
			r->cfa = LT_UNW_SIGNAL;
			return;
		}
		if (cr->cfa_reg != REG_RBP)
			return;
		r->cfa = LT_UNW_RBP_DEREF;
		break;
	case CFI_CFA_PLT:
		r->cfa = LT_UNW_PLT;
		r->rbp_off = (__s8)off;
		return;
	default:
		return;
	}
	if (off % 8 || off / 8 < -32768 || off / 8 > 32767) {
		r->cfa = LT_UNW_NONE;
		return;
	}
	r->cfa_off = (__s16)(off / 8);
	if (cr->ra == CFI_REG_UNDEFINED) {
		r->cfa = LT_UNW_END;
		r->cfa_off = 0;
		return;
	}
	if (cr->ra != CFI_REG_AT_CFA || cr->ra_off != -8) {
		r->cfa = LT_UNW_NONE;
		r->cfa_off = 0;
		return;
	}
	if (cr->fp == CFI_REG_AT_CFA && cr->fp_off && cr->fp_off % 8 == 0 &&
	    cr->fp_off / 8 >= -128 && cr->fp_off / 8 <= 127)
		r->rbp_off = (__s8)(cr->fp_off / 8);
}

/* A table of addresses to start from. */
struct seeds {
	__u64 *v;
	size_t nr, cap;
};

static int seeds__add(struct seeds *s, __u64 addr)
{
	if (ARRAY_RESERVE(s->v, s->cap, s->nr + 1))
		return -ENOMEM;
	s->v[s->nr++] = addr;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* The start of every FDE, from .eh_frame_hdr's binary search table, in the
 * one encoding every linker writes (4-byte offsets from the header). */
static int seeds__eh_frame_hdr(struct seeds *s, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	const __u8 *p;
	__u32 count;
	size_t off = 8, i;
	__s32 loc;

	/* found by name, so it may be SHT_NOBITS: a size, no bytes */
	if (!d || !d->d_buf || d->d_size < 12)
		return 0;
	p = d->d_buf;
	/* version 1; eh_frame_ptr any 4-byte form; count udata4; table datarel sdata4 */
	if (p[0] != 1 || (p[1] & 0x0f) != 0x0b || p[2] != 0x03 || p[3] != 0x3b)
		return 0;
	memcpy(&count, p + off, 4);
	off += 4;
	for (i = 0; i < count && off + 8 <= d->d_size; i++, off += 8) {
		memcpy(&loc, p + off, 4);
		if (seeds__add(s, sh->sh_addr + (__s64)loc))
			return -ENOMEM;
	}
	return 0;
}

static int seeds__symbols(struct seeds *s, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t i, n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	GElf_Sym sym;

	for (i = 0; d && i < n; i++) {
		if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    !sym.st_value || sym.st_shndx == SHN_UNDEF)
			continue;
		if (seeds__add(s, sym.st_value))
			return -ENOMEM;
	}
	return 0;
}

/* unwind_table__build() of the file @elf reads. */
static int table__build(Elf *elf, struct lt_unw_row **out, size_t *nr_out)
{
	struct seeds seeds = { 0 };
	struct rows rows = { 0 };
	struct cfi *cfi = NULL;
	size_t shstrndx, i;
	__u64 covered = 0;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	int err;

	if (!gelf_getehdr(elf, &eh) || elf_getshdrstrndx(elf, &shstrndx)) {
		err = -EINVAL;
		goto cleanup;
	}
	if (eh.e_machine != EM_X86_64) {
		err = -ENOTSUP;
		goto cleanup;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		err = 0;
		if (name && !strcmp(name, ".eh_frame_hdr"))
			err = seeds__eh_frame_hdr(&seeds, scn, &sh);
		else if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM)
			err = seeds__symbols(&seeds, elf, scn, &sh);
		if (err)
			goto cleanup;
	}
	/* libdw runs the CFI the module holds: checked first (cfi.c) */
	cfi = cfi__open(elf);
	if (!cfi) {
		err = -errno;
		goto cleanup;
	}
	if (seeds.nr)
		qsort(seeds.v, seeds.nr, sizeof(*seeds.v), cmp_u64);

	/* Follow each range of rules from its seed to where no CFI covers
	 * the address, and mark that gap. */
	for (i = 0; i < seeds.nr; i++) {
		__u64 pc = seeds.v[i];
		struct cfi_row cr;

		if (pc < covered)
			continue;
		while (!cfi__row(cfi, pc, REG_RBP, &cr)) {
			struct lt_unw_row r;

			row__of(&cr, pc, &r);
			if (pc > 0xffffffffULL) {
				err = -ERANGE;
				goto cleanup;
			}
			err = rows__push(&rows, &r);
			if (err)
				goto cleanup;
			if (cr.end <= pc)
				break;
			pc = cr.end;
		}
		if (pc == seeds.v[i])
			continue;
		covered = pc;
		err = rows__push(&rows, &(struct lt_unw_row){ .pc = (__u32)pc });
		if (err)
			goto cleanup;
	}
	if (!rows.nr) {
		err = -ENOENT;
		goto cleanup;
	}
	*out = rows.v;
	*nr_out = rows.nr;
	rows.v = NULL;
	err = 0;
cleanup:
	free(rows.v);
	free(seeds.v);
	cfi__free(cfi);
	return err;
}

int unwind_table__build(int fd, struct lt_unw_row **out, size_t *nr_out)
{
	Elf *elf;
	int err;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -EINVAL;
	err = table__build(elf, out, nr_out);
	elf_end(elf);
	return err;
}

const struct lt_unw_row *unwind_table__find(const struct lt_unw_row *rows, size_t nr, __u64 pc)
{
	size_t lo = 0, hi = nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (rows[mid].pc <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &rows[lo - 1] : NULL;
}

/* --- modules and processes --- */

/* A module file, in the slot FILE_SLOT_UNW of its entry in the registry
 * (touched with unwinder.work held), and where its rows are. */
struct unw_module {
	int err; /* why it has no table, or 0 */
	bool fp; /* keeps frame pointers: walked with them, no table */
	__u32 row, nr_rows;
	struct elf_segment *segs; /* PT_LOAD */
	size_t nr_segs;
};

static void module__free(void *v)
{
	struct unw_module *m = v;

	free(m->segs);
	free(m);
}

/* What the worker thread is asked to do, in order. */
enum unw_job_kind {
	JOB_REFRESH, /* make the tables of what the process maps now */
	JOB_FORGET,  /* the process exec'd or exited */
	JOB_TOUCH,   /* it mapped new code: a refresh if its tables were asked for */
};

struct unw_job {
	pid_t pid;
	enum unw_job_kind kind;
};

/* How often the worker looks for processes that want tables (--system). */
#define WANT_POLL_NS (20 * 1000 * 1000L)
/* After answers that took this long, the worker looks again: those that
 * asked meanwhile may be quicker to answer than the rest. */
#define WANT_ROUND_NS (50 * 1000 * 1000LL)

/* A process that asked for its tables, and the size of its executable:
 * the smaller first, so that a compiler's 470,000 rows keep no shell
 * waiting (its libraries are most often shared, and made already). */
struct unw_want {
	pid_t pid;
	__u32 pad;
	__u64 size;
};

struct unwinder {
	int rows_fd, procs_fd, want_fd;
	int *chunk_fds; /* the rows' chunks made so far; -1 where not yet */
	size_t nr_chunks;
	__u32 max_rows, used_rows;
	struct files *files; /* the registry, whose FILE_SLOT_UNW is ours */
	__u64 with_table, with_fp, no_cfi, no_room, too_many_maps, procs_over;
	pthread_mutex_t work; /* held while the tables are made or changed */
	/* --system: tables are made for the processes whose stacks ask for
	 * them (the unwwant map), not for every process */
	bool on_demand;
	struct hashmap *asked;	/* pids whose tables were asked for (under work) */
	struct unw_want *wants; /* those the unwwant map holds, read at once */
	size_t max_want;
	/* the worker, started by the first unwinder__refresh_later() */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct unw_job *jobs;
	size_t nr_jobs, cap_jobs;
	pthread_t worker;
	bool worker_on, stopping;
};

static void *worker(void *arg);

struct unwinder *unwinder__new(struct files *files, struct leaktrace_bpf *skel,
			       unsigned int max_rows, bool on_demand)
{
	struct unwinder *u = calloc(1, sizeof(*u));
	pthread_condattr_t ca;

	if (!u)
		return NULL;
	u->files = files;
	pthread_mutex_init(&u->work, NULL);
	pthread_mutex_init(&u->qlock, NULL);
	/* the polls' deadlines are on the monotonic clock */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&u->qcond, &ca);
	pthread_condattr_destroy(&ca);
	u->rows_fd = bpf_map__fd(skel->maps.unwrows);
	u->procs_fd = bpf_map__fd(skel->maps.unwprocs);
	u->want_fd = bpf_map__fd(skel->maps.unwwant);
	u->max_rows = max_rows;
	u->nr_chunks = bpf_map__max_entries(skel->maps.unwrows);
	if ((unsigned long long)u->nr_chunks * LT_UNW_CHUNK_ROWS < max_rows)
		u->max_rows = u->nr_chunks * LT_UNW_CHUNK_ROWS;
	u->chunk_fds = malloc(u->nr_chunks * sizeof(*u->chunk_fds));
	if (!u->chunk_fds) {
		unwinder__free(u);
		return NULL;
	}
	for (size_t i = 0; i < u->nr_chunks; i++)
		u->chunk_fds[i] = -1;
	if (!on_demand)
		return u;
	u->max_want = bpf_map__max_entries(skel->maps.unwwant);
	u->wants = calloc(u->max_want, sizeof(*u->wants));
	u->asked = hashmap__new(sizeof(pid_t));
	if (!u->wants || !u->asked) {
		unwinder__free(u);
		errno = ENOMEM;
		return NULL;
	}
	/* the worker polls from the start: no process asks it otherwise */
	u->on_demand = true;
	if (pthread_create(&u->worker, NULL, worker, u)) {
		lt_warn("cannot start the thread that makes unwind tables: every stack is walked "
			"with frame pointers");
		u->on_demand = false;
	} else {
		u->worker_on = true;
	}
	return u;
}

void unwinder__free(struct unwinder *u)
{
	if (!u)
		return;
	if (u->worker_on) {
		pthread_mutex_lock(&u->qlock);
		__atomic_store_n(&u->stopping, true, __ATOMIC_RELAXED);
		pthread_cond_signal(&u->qcond);
		pthread_mutex_unlock(&u->qlock);
		pthread_join(u->worker, NULL);
	}
	free(u->jobs);
	free(u->wants);
	hashmap__free(u->asked);
	for (size_t i = 0; u->chunk_fds && i < u->nr_chunks; i++)
		if (u->chunk_fds[i] >= 0)
			close(u->chunk_fds[i]);
	free(u->chunk_fds);
	files__release(u->files, FILE_SLOT_UNW, module__free);
	free(u);
}

/* The fd of chunk @c of the rows, made and put in the unwrows map of maps
 * the first time, or a negative errno. */
static int unwinder__chunk(struct unwinder *u, __u32 c)
{
	int fd;

	if (c >= u->nr_chunks)
		return -ENOSPC;
	if (u->chunk_fds[c] >= 0)
		return u->chunk_fds[c];
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "unwrows", sizeof(__u32), sizeof(struct lt_unw_row),
			    LT_UNW_CHUNK_ROWS, NULL);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(u->rows_fd, &c, &fd, BPF_ANY)) {
		int err = -errno;

		close(fd);
		return err;
	}
	/* kept open, so its memory counts in leaktrace's (fdinfo) */
	u->chunk_fds[c] = fd;
	return fd;
}

/* Loads @nr rows at @first of the rows, chunk by chunk. */
static int unwinder__load_rows(struct unwinder *u, __u32 first, const struct lt_unw_row *rows,
			       size_t nr)
{
	enum {
		BATCH = 4096
	};
	__u32 keys[BATCH];
	size_t done = 0;

	while (done < nr) {
		__u32 row = first + (__u32)done, off = row % LT_UNW_CHUNK_ROWS;
		__u32 n = nr - done < BATCH ? (__u32)(nr - done) : BATCH;
		int fd = unwinder__chunk(u, row / LT_UNW_CHUNK_ROWS);

		if (fd < 0)
			return fd;
		if (n > LT_UNW_CHUNK_ROWS - off)
			n = LT_UNW_CHUNK_ROWS - off;
		for (__u32 k = 0; k < n; k++)
			keys[k] = off + k;
		if (bpf_map_update_batch(fd, keys, rows + done, &n, NULL)) {
			/* kernels without batch updates on arrays (before 5.6) */
			for (__u32 k = 0; k < n; k++) {
				if (bpf_map_update_elem(fd, &keys[k], &rows[done + k], BPF_ANY))
					return -errno;
			}
		}
		done += n;
	}
	return 0;
}

unsigned long long unwinder__bpf_memory(const struct unwinder *u)
{
	unsigned long long sum = 0, v;
	char path[64], line[128];

	for (size_t i = 0; u && i < u->nr_chunks; i++) {
		FILE *f;

		if (u->chunk_fds[i] < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", u->chunk_fds[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "memlock: %llu", &v) == 1)
				sum += v;
		fclose(f);
	}
	return sum;
}

/* Whether the code of @rows keeps frame pointers: in most of the bytes the
 * rows cover, the frame's CFA is rbp + 16, with rbp saved at CFA - 16 (what
 * every function compiled with frame pointers has between its prologue and
 * its epilogue; code without them uses rbp for a CFA only where it
 * realigns or allocates on the stack at run time). */
bool unwind_table__keeps_fp(const struct lt_unw_row *rows, size_t nr)
{
	__u64 fp = 0, all = 0;

	for (size_t i = 0; i + 1 < nr; i++) {
		__u64 len = rows[i + 1].pc - rows[i].pc;

		if (rows[i].cfa != LT_UNW_RSP && rows[i].cfa != LT_UNW_RBP)
			continue;
		all += len;
		if (rows[i].cfa == LT_UNW_RBP && rows[i].cfa_off == 2 && rows[i].rbp_off == -2)
			fp += len;
	}
	return all && fp * 10 >= all * 8;
}

/* Whether process @pid is gone (its /proc directory with it). */
static bool pid_gone(pid_t pid)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	return stat(path, &st) && errno == ENOENT;
}

/* Makes the table of the module @map of @pid maps. Failures are kept in the
 * module, so that it is tried once, but for -ESRCH: @pid went away before
 * the file could be opened through it, which says nothing of the file. */
static void unwinder__build(struct unwinder *u, struct unw_module *m, pid_t pid,
			    const struct lt_mapping *map)
{
	struct lt_unw_row *rows = NULL;
	char path[PATH_MAX + 64];
	size_t nr = 0;
	struct stat st;
	int fd, err, step;
	double size;
	Elf *elf;

	lt_mapping__open_path(pid, map, path, sizeof(path));
	fd = lt_open_untrusted(path);
	if (fd < 0) {
		m->err = pid_gone(pid) ? -ESRCH : fd;
		goto out;
	}
	/* libLLVM's table takes seconds on a slow machine */
	size = fstat(fd, &st) ? 0 : (double)st.st_size;
	step = progress__begin("building the unwind table of %s (%.1f %s)", map->path,
			       size >= 1 << 20 ? size / (1 << 20) : size / 1024,
			       size >= 1 << 20 ? "MiB" : "KiB");
	/* one read of the file for its segments and its table */
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	err = elf ? elf_segments__read(elf, &m->segs, &m->nr_segs) : -EINVAL;
	if (!err)
		err = table__build(elf, &rows, &nr);
	elf_end(elf);
	close(fd);
	progress__end(step);
	if (!err && nr >= MAX_MODULE_ROWS)
		err = -E2BIG;
	if (!err && unwind_table__keeps_fp(rows, nr)) {
		m->fp = true;
		u->with_fp++;
		lt_info("%s keeps frame pointers: its frames are walked with them", map->path);
		goto out;
	}
	if (!err && nr > u->max_rows - u->used_rows) {
		/* once: with --system there may be many; each is counted */
		if (!u->no_room++)
			lt_warn("no room for the unwind table of %s (%zu rows, %u of %u left): its "
				"frames are walked with frame pointers, and such modules counted "
				"(unwind_modules_no_room); raise --unwind-rows",
				map->path, nr, u->max_rows - u->used_rows, u->max_rows);
		else
			lt_info("no room for the unwind table of %s (%zu rows)", map->path, nr);
		m->err = -ENOSPC;
		goto out;
	}
	if (!err)
		err = unwinder__load_rows(u, u->used_rows, rows, nr);
	if (err) {
		m->err = err;
		u->no_cfi++;
		lt_debug("no unwind table for %s: %s", map->path, strerror(-err));
		goto out;
	}
	m->row = u->used_rows;
	m->nr_rows = (__u32)nr;
	u->used_rows += (__u32)nr;
	u->with_table++;
	lt_info("unwind table of %s: %zu rows (%zu KiB); %u of %u rows used", map->path, nr,
		nr * sizeof(*rows) / 1024, u->used_rows, u->max_rows);
out:
	free(rows);
}

/* The module @map of @pid maps, its table made the first time; NULL with
 * errno set (ESRCH: @pid went away first). With u->work held. */
static struct unw_module *unwinder__module(struct unwinder *u, pid_t pid,
					   const struct lt_mapping *map)
{
	struct mapped_file *entry = files__of_mapping(u->files, map);
	struct unw_module *m;
	void **slot;

	if (!entry)
		return NULL;
	slot = mapped_file__slot(entry, FILE_SLOT_UNW);
	if (*slot)
		return *slot;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	unwinder__build(u, m, pid, map);
	if (m->err == -ESRCH) {
		/* a later process that maps it tries again */
		module__free(m);
		errno = ESRCH;
		return NULL;
	}
	*slot = m;
	return m;
}

/* The bias of @map in @m: runtime address minus ELF virtual address. */
static int module__bias(const struct unw_module *m, const struct lt_mapping *map, __u64 *bias)
{
	const struct elf_segment *s = elf_segments__at_offset(m->segs, m->nr_segs, map->offset);

	if (!s)
		return -ENOENT;
	*bias = map->start - (map->offset - s->offset + s->vaddr);
	return 0;
}

static int refresh(struct unwinder *u, pid_t pid)
{
	struct procmaps *maps = procmaps__read(pid);
	int err = maps ? 0 : errno == ENOENT ? -ESRCH : -errno;
	struct lt_unw_proc *p = calloc(1, sizeof(*p));
	__u32 key = (__u32)pid;
	size_t tables = 0, files = 0;
	int step = -1;

	if (!err && !p)
		err = -ENOMEM;
	if (err)
		goto cleanup;
	/* each file is quick, but a process that maps many (LLVM, ICU, z3)
	 * takes seconds in all */
	for (size_t i = 0; i < maps->nr; i++)
		files += maps->maps[i].exec && lt_mapping__is_file(&maps->maps[i]);
	step = progress__begin("building the unwind tables of the %zu files pid %d maps", files,
			       pid);
	for (size_t i = 0; i < maps->nr; i++) {
		const struct lt_mapping *map = &maps->maps[i];
		struct unw_module *m;
		__u64 bias;

		if (!map->exec || !lt_mapping__is_file(map))
			continue;
		m = unwinder__module(u, pid, map);
		if (!m) {
			err = -errno;
			goto cleanup;
		}
		if (m->err || (!m->nr_rows && !m->fp) || module__bias(m, map, &bias))
			continue;
		if (p->nr == LT_UNW_MAX_MAPS) {
			u->too_many_maps++;
			break;
		}
		p->maps[p->nr++] = (struct lt_unw_map){
			.start = map->start,
			.end = map->end,
			.bias = bias,
			.row = m->fp ? LT_UNW_ROW_FP : m->row,
			.nr_rows = m->nr_rows,
		};
		tables += !m->fp;
	}
	/* frame pointers everywhere: the plain walk, no table walk (and
	 * no stack of it counted as wanting one) */
	if (!tables)
		p->flags = LT_UNW_PROC_FP;
	if (bpf_map_update_elem(u->procs_fd, &key, p, BPF_ANY)) {
		err = -errno;
		goto cleanup;
	}
	/* gone meanwhile: its pid may come back as another process */
	if (pid_gone(pid)) {
		bpf_map_delete_elem(u->procs_fd, &key);
		err = -ESRCH;
	}
cleanup:
	progress__end(step);
	procmaps__free(maps);
	free(p);
	return err;
}

int unwinder__refresh(struct unwinder *u, pid_t pid)
{
	int err;

	pthread_mutex_lock(&u->work);
	err = refresh(u, pid);
	pthread_mutex_unlock(&u->work);
	return err;
}

static void warn_refresh(pid_t pid, int err)
{
	lt_warn("pid %d: cannot load its unwind tables: %s; its stacks are walked with frame "
		"pointers",
		pid, strerror(-err));
}

/* Forgets @pid's mappings; with u->work held. */
static void forget(struct unwinder *u, pid_t pid)
{
	__u32 key = (__u32)pid;

	bpf_map_delete_elem(u->procs_fd, &key);
	if (!u->on_demand)
		return;
	bpf_map_delete_elem(u->want_fd, &key);
	hashmap__remove(u->asked, &pid);
}

/* --system: makes the tables of @pid, whose stacks asked for them; with
 * u->work held. What the BPF side asked is answered: with the tables, or
 * left in the unwwant map (so that it asks no more) when they cannot be
 * had, until the process is forgotten. */
static void answer(struct unwinder *u, pid_t pid)
{
	__u32 key = (__u32)pid;
	int err;

	if (hashmap__put(u->asked, &pid, (void *)1))
		return;
	err = refresh(u, pid);
	if (!err || err == -ESRCH)
		bpf_map_delete_elem(u->want_fd, &key);
	if (err == -ESRCH) {
		/* gone before its tables were made: nothing to say */
		hashmap__remove(u->asked, &pid);
	} else if (err == -E2BIG) {
		if (!u->procs_over++)
			lt_warn("pid %d: no room for more processes with unwind tables (%u): its "
				"stacks are walked with frame pointers (unwind_procs_over counts "
				"such processes)",
				pid, LT_UNW_MAX_PROCS);
	} else if (err) {
		warn_refresh(pid, err);
	}
}

/* --system: answers the processes that asked for tables since last time. */
static int cmp_want(const void *a, const void *b)
{
	const struct unw_want *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

static void poll_wanted(struct unwinder *u)
{
	long long start = (long long)lt_now_ns();
	__u32 prev, next;
	size_t n = 0, seen = 0;

	pthread_mutex_lock(&u->work);
	while (seen < u->max_want &&
	       !bpf_map_get_next_key(u->want_fd, seen ? &prev : NULL, &next)) {
		pid_t pid = (pid_t)next;
		char path[32];
		struct stat st;

		prev = next;
		seen++;
		/* asked before, and left there: no room, or no tables */
		if (hashmap__get(u->asked, &pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/exe", pid);
		u->wants[n++] = (struct unw_want){ .pid = pid,
						   .size = stat(path, &st) ? 0 : st.st_size };
	}
	qsort(u->wants, n, sizeof(*u->wants), cmp_want);
	/* a table can take a second: leaktrace may be ending meanwhile */
	for (size_t i = 0; i < n && !__atomic_load_n(&u->stopping, __ATOMIC_RELAXED); i++) {
		answer(u, u->wants[i].pid);
		if ((long long)lt_now_ns() - start > WANT_ROUND_NS)
			break;
	}
	pthread_mutex_unlock(&u->work);
}

/* Does @job; with u->work held. */
static void do_job(struct unwinder *u, struct unw_job job)
{
	int err;

	switch (job.kind) {
	case JOB_FORGET:
		forget(u, job.pid);
		break;
	case JOB_TOUCH:
		/* new code in a process whose tables were made: a refresh */
		if (!u->on_demand || !hashmap__get(u->asked, &job.pid))
			break;
		err = refresh(u, job.pid);
		if (err == -ESRCH)
			forget(u, job.pid);
		else if (!err)
			bpf_map_delete_elem(u->want_fd, &(__u32){ (__u32)job.pid });
		else if (err != -E2BIG) /* counted when it first asked */
			warn_refresh(job.pid, err);
		break;
	case JOB_REFRESH:
		err = refresh(u, job.pid);
		if (err && err != -ESRCH)
			warn_refresh(job.pid, err);
		break;
	}
}

static void *worker(void *arg)
{
	struct unwinder *u = arg;
	struct timespec next_poll;

	clock_gettime(CLOCK_MONOTONIC, &next_poll);
	for (;;) {
		struct timespec now;
		struct unw_job job;
		bool poll = false;

		pthread_mutex_lock(&u->qlock);
		for (;;) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			poll = u->on_demand && (now.tv_sec > next_poll.tv_sec ||
						(now.tv_sec == next_poll.tv_sec &&
						 now.tv_nsec >= next_poll.tv_nsec));
			if (u->nr_jobs || u->stopping || poll)
				break;
			if (u->on_demand)
				pthread_cond_timedwait(&u->qcond, &u->qlock, &next_poll);
			else
				pthread_cond_wait(&u->qcond, &u->qlock);
		}
		if (u->stopping && !u->nr_jobs) {
			pthread_mutex_unlock(&u->qlock);
			return NULL;
		}
		if (!poll) {
			job = u->jobs[0];
			memmove(u->jobs, u->jobs + 1, --u->nr_jobs * sizeof(*u->jobs));
		}
		pthread_mutex_unlock(&u->qlock);
		if (poll) {
			next_poll = now;
			next_poll.tv_nsec += WANT_POLL_NS;
			if (next_poll.tv_nsec >= 1000000000L) {
				next_poll.tv_sec++;
				next_poll.tv_nsec -= 1000000000L;
			}
			poll_wanted(u);
			continue;
		}
		pthread_mutex_lock(&u->work);
		do_job(u, job);
		pthread_mutex_unlock(&u->work);
	}
}

/* Queues @job for the worker, starting it the first time; done at once
 * (here) if no thread can be had. */
static void enqueue(struct unwinder *u, struct unw_job job)
{
	bool queued = false;

	pthread_mutex_lock(&u->qlock);
	if (!u->worker_on && !pthread_create(&u->worker, NULL, worker, u))
		u->worker_on = true;
	if (u->worker_on && !ARRAY_RESERVE(u->jobs, u->cap_jobs, u->nr_jobs + 1)) {
		u->jobs[u->nr_jobs++] = job;
		pthread_cond_signal(&u->qcond);
		queued = true;
	}
	pthread_mutex_unlock(&u->qlock);
	if (queued)
		return;
	pthread_mutex_lock(&u->work);
	do_job(u, job);
	pthread_mutex_unlock(&u->work);
}

void unwinder__refresh_later(struct unwinder *u, pid_t pid)
{
	enqueue(u, (struct unw_job){ .pid = pid, .kind = JOB_REFRESH });
}

void unwinder__forget(struct unwinder *u, pid_t pid)
{
	if (u)
		enqueue(u, (struct unw_job){ .pid = pid, .kind = JOB_FORGET });
}

void unwinder__code_mapped(struct unwinder *u, pid_t pid)
{
	if (u && u->on_demand)
		enqueue(u, (struct unw_job){ .pid = pid, .kind = JOB_TOUCH });
}

size_t unwinder__counters(const struct unwinder *u, struct report_counter *out, size_t max)
{
	/* read while the worker may be adding to them: each is one word */
	const struct report_counter all[] = {
		{ "unwind_modules", __atomic_load_n(&u->with_table, __ATOMIC_RELAXED), false },
		{ "unwind_modules_fp", __atomic_load_n(&u->with_fp, __ATOMIC_RELAXED), false },
		{ "unwind_rows", __atomic_load_n(&u->used_rows, __ATOMIC_RELAXED), false },
		{ "unwind_rows_max", u->max_rows, false },
		{ "unwind_modules_no_cfi", __atomic_load_n(&u->no_cfi, __ATOMIC_RELAXED), false },
		{ "unwind_modules_no_room", __atomic_load_n(&u->no_room, __ATOMIC_RELAXED), false },
		{ "unwind_maps_over", __atomic_load_n(&u->too_many_maps, __ATOMIC_RELAXED), false },
		{ "unwind_procs_over", __atomic_load_n(&u->procs_over, __ATOMIC_RELAXED), false },
	};
	size_t n = 0;

	for (; n < sizeof(all) / sizeof(all[0]) && n < max; n++)
		out[n] = all[n];
	return n;
}

bool unwind_is_start(const char *func)
{
	static const char *const starts[] = {
		"main",	  "__libc_start_main", "__libc_start_call_main",
		"_start", "start_thread",      "clone3",
		"clone",
	};

	size_t len;

	if (!func)
		return false;
	/* "__libc_start_main@@GLIBC_2.34": the version does not count, nor do
	 * glibc's leading underscores on its clones (__clone3) */
	len = strcspn(func, "@");
	while (len > 2 && !strncmp(func, "__clone", 7)) {
		func += 2;
		len -= 2;
	}
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		if (strlen(starts[i]) == len && !strncmp(func, starts[i], len))
			return true;
	}
	return false;
}
