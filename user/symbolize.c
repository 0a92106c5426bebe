// SPDX-License-Identifier: GPL-2.0-only
/* Address -> function, file:line for traced processes. Keeps one libdwfl
 * session per mapped file (shared by every process that maps it, in the
 * file's entry of the registry, files.h), the latest mappings of each
 * process, and a cache of resolved addresses, each with the functions
 * inlined there. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include "clock.h"
#include "cfi.h"
#include "debuginfo.h"
#include "demangle.h"
#include "dwinline.h"
#include "elfsym.h"
#include "files.h"
#include "htab.h"
#include "leaktrace.h"
#include "log.h"
#include "procmaps.h"
#include "safeopen.h"
#include "symbolize.h"

/* One mapped file, in the slot FILE_SLOT_SYM of its entry in the registry.
 * Once no process known maps it, its Dwfl goes (with the descriptor and the
 * file's mapped pages it holds): --system sees programs come and go for days.
 * The entry and what was resolved in it stay, as stacks of reports name them;
 * a process that maps the file again opens it again. */
struct sym_file {
	struct mapped_file *entry; /* its entry in the registry */
	size_t users;		   /* mappings of it in the processes' files arrays */
	bool released;		   /* its Dwfl went with its last user */
	Dwfl *dwfl;		   /* NULL: not an ELF file libdwfl can read, or released */
	Dwfl_Module *mod;
	GElf_Addr bias;		  /* libdwfl address - ELF vaddr */
	int sp_regno;		  /* DWARF number of the stack pointer, -1 if unknown */
	struct elf_segment *segs; /* PT_LOAD: file offsets to ELF vaddrs */
	size_t nr_segs;
	struct debuginfo_ctx dbg; /* the module's userdata */
	int dwarf;		  /* 1: libdw may read its DWARF, -1: not, 0: not known yet */
};

/* The most functions inlined into one another at one address that are shown:
 * DWARF says how many, and a traced program's DWARF says anything. */

/* A function inlined at an address, and its position there. */
struct sym_inline {
	const char *func;   /* readable, interned, or NULL */
	const char *symbol; /* its linkage name where that differs, or NULL */
	const char *src;    /* interned, or NULL */
	int line;
};

/* What one address in one file resolved to. Strings are interned. */
struct sym_result {
	struct hnode node; /* in symbolizer.results */
	const struct sym_file *file;
	__u64 vaddr;
	const char *func;   /* readable, or NULL */
	const char *symbol; /* raw, where it differs from func, or NULL */
	__u64 func_off;
	const char *src; /* or NULL */
	int line;
	struct sym_inline *inl; /* the functions inlined there, innermost first */
	size_t nr_inl;
};

struct sym_miss {
	struct hnode node; /* in sym_proc.misses */
	__u64 addr;
};

struct sym_proc {
	struct hnode node; /* in symbolizer.procs */
	pid_t pid;
	struct procmaps *maps;
	struct sym_file **files; /* one per mapping, NULL if none is usable */
	/* addresses that no mapping covered even after a fresh read, so that
	 * garbage in a stack does not make every resolve reread the maps */
	struct htab misses;
	__u64 read_ns; /* when the maps were read */
};

/* For symbolizer__code_at(), an address no mapping covers has the maps read
 * again, but not sooner than this after the last read: it is asked of every
 * frame of every new stack, and the stacks walked through code without frame
 * pointers hold many words that are no address, each of which would cost a
 * read of the maps (a thousand reads a second, for the new processes of
 * --system). New code comes with an event, on which the caller rereads or
 * forgets the process. */
#define REREAD_NS 1000000000ULL

struct sym_str {
	struct hnode node; /* in symbolizer.strs */
	char s[];
};

struct symbolizer {
	Dwfl_Callbacks callbacks; /* every Dwfl keeps a pointer to it */
	char *debug_dir;	  /* --debug-dir, absolute, or NULL */
	struct files *files;	  /* the registry, whose FILE_SLOT_SYM is ours */
	struct htab procs;
	struct htab results;
	struct htab strs;
};

/* For the entries that own nothing else and whose node comes first. */
static void free_container(struct hnode *n)
{
	free(n);
}

static void result__free(struct hnode *n)
{
	struct sym_result *r = container_of(n, struct sym_result, node);

	free(r->inl);
	free(r);
}

_Static_assert(offsetof(struct sym_miss, node) == 0, "free_container frees the node");
_Static_assert(offsetof(struct sym_str, node) == 0, "free_container frees the node");

/* A copy of @str that lives until symbolizer__free(), or NULL (ENOMEM). */
static const char *symbolizer__intern(struct symbolizer *s, const char *str)
{
	__u64 hash = hash_str(str);
	struct sym_str *e;
	struct hnode *n;
	size_t len;

	for (n = htab__first(&s->strs, hash); n; n = htab__match(n->next, hash)) {
		e = container_of(n, struct sym_str, node);
		if (!strcmp(e->s, str))
			return e->s;
	}
	len = strlen(str);
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	memcpy(e->s, str, len + 1);
	e->node.hash = hash;
	if (htab__insert(&s->strs, &e->node)) {
		free(e);
		return NULL;
	}
	return e->s;
}

/* Lets go of what libdwfl holds of @f: its descriptors, the file's mapped
 * pages, its DWARF. */
static void file__close(struct sym_file *f)
{
	if (f->dwfl)
		dwfl_end(f->dwfl);
	f->dwfl = NULL;
	f->mod = NULL;
	free(f->segs);
	f->segs = NULL;
	f->nr_segs = 0;
	f->dwarf = 0;
	f->dbg.alt_found = false;
}

static void file__free(void *v)
{
	struct sym_file *f = v;

	file__close(f);
	free(f);
}

/* Counts the files of @nr mappings, @files, as used by one more process
 * (@delta 1) or one fewer (-1); a file used by none is released. */
static void proc_files__use(struct sym_file **files, size_t nr, int delta)
{
	for (size_t i = 0; files && i < nr; i++) {
		struct sym_file *f = files[i];

		if (!f)
			continue;
		if (delta > 0) {
			f->users++;
		} else if (f->users && !--f->users && f->dwfl) {
			file__close(f);
			f->released = true;
		}
	}
}

/* True if process @pid sees the same root directory as we do. */
static bool shares_root(pid_t pid)
{
	struct stat ours, theirs;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	return !stat("/", &ours) && !stat(path, &theirs) && ours.st_dev == theirs.st_dev &&
	       ours.st_ino == theirs.st_ino;
}

/* Opens the file that @map of process @pid maps, through /proc so that it is
 * the file the process sees, in its mount namespace, even when deleted since.
 * Writes to @name the name libdwfl looks for a .gnu_debuglink target next
 * to: the plain path when the process shares our root (@same_root), since it
 * stays valid after the process exits. Returns a file descriptor or -errno. */
static int open_mapped(pid_t pid, const struct lt_mapping *map, bool same_root, char *name,
		       size_t size)
{
	struct stat st;
	int fd = -1, alt, err = -ENOENT;

	if (!map->deleted &&
	    (size_t)snprintf(name, size, "/proc/%d/root%s", (int)pid, map->path) < size) {
		fd = lt_open_untrusted(name);
		if (fd < 0)
			err = fd;
		/* the path may name another file by now, after an upgrade */
		else if (!fstat(fd, &st) && st.st_ino == map->inode)
			goto found;
	}
	snprintf(name, size, "/proc/%d/map_files/%llx-%llx", (int)pid,
		 (unsigned long long)map->start, (unsigned long long)map->end);
	alt = lt_open_untrusted(name);
	if (alt >= 0) {
		if (fd >= 0)
			close(fd);
		return alt;
	}
	if (fd < 0)
		return map->deleted ? alt : err;
	/* map_files wants CAP_SYS_ADMIN, and on overlayfs the inode in maps
	 * can differ from st_ino: the path is the best there is */
found:
	if (same_root)
		snprintf(name, size, "%s", map->path);
	else
		snprintf(name, size, "/proc/%d/root%s", (int)pid, map->path);
	return fd;
}

static int file__read_segments(struct sym_file *f)
{
	GElf_Ehdr ehdr;
	Elf *elf;

	elf = dwfl_module_getelf(f->mod, &f->bias);
	if (!elf || !gelf_getehdr(elf, &ehdr))
		return -EINVAL;
	f->sp_regno = cfi_sp_regno(ehdr.e_machine);
	return elf_segments__read(elf, &f->segs, &f->nr_segs);
}

/* Reads @f, which @map of @pid maps, into a Dwfl of its own; leaves it
 * without one when it is not ELF that libdwfl can read. Returns 0 or a
 * negative errno (the file cannot be opened, no memory). */
static int file__load(struct symbolizer *s, struct sym_file *f, pid_t pid,
		      const struct lt_mapping *map, bool same_root)
{
	char name[PATH_MAX + 64];
	int fd;

	fd = open_mapped(pid, map, same_root, name, sizeof(name));
	if (fd < 0) {
		lt_debug("cannot open %s of pid %d: %s", map->path, (int)pid, strerror(-fd));
		return fd;
	}
	f->released = false;
	f->dwfl = dwfl_begin(&s->callbacks);
	if (!f->dwfl) {
		close(fd);
		return -ENOMEM;
	}
	dwfl_report_begin(f->dwfl);
	/* base 0 with add_p_vaddr: the module sits at its own p_vaddr, so
	 * libdwfl addresses are ELF virtual addresses (bias 0), prelinked or not */
	f->mod = dwfl_report_elf(f->dwfl, map->path, name, fd, /*base=*/0, /*add_p_vaddr=*/true);
	if (!f->mod) {
		/* libdwfl owns @fd only on success */
		close(fd);
		lt_debug("cannot read %s: %s", map->path, dwfl_errmsg(-1));
	} else if (dwfl_report_end(f->dwfl, NULL, NULL) || file__read_segments(f)) {
		lt_debug("cannot read %s: %s", map->path, dwfl_errmsg(-1));
		f->mod = NULL;
	} else {
		void **userdata;

		f->dbg.debug_dir = s->debug_dir;
		dwfl_module_info(f->mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
		*userdata = &f->dbg;
	}
	/* DWARF is loaded at the first lookup: libdw decompresses all of a
	 * file's debug sections then, too much for every file of a process */
	if (!f->mod) {
		dwfl_end(f->dwfl);
		f->dwfl = NULL;
	}
	return 0;
}

/* Opens the file @map maps, whose entry is @entry, and reports it to a Dwfl
 * of its own. A file that opens but cannot be read as ELF is kept too,
 * without a Dwfl, so that it is not tried again. Returns 0 or a negative
 * errno. */
static int symbolizer__open_file(struct symbolizer *s, struct mapped_file *entry, pid_t pid,
				 const struct lt_mapping *map, bool same_root)
{
	struct sym_file *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return -ENOMEM;
	f->entry = entry;
	f->sp_regno = -1;
	err = file__load(s, f, pid, map, same_root);
	if (err) {
		file__free(f);
		return err;
	}
	*mapped_file__slot(entry, FILE_SLOT_SYM) = f;
	return 0;
}

static struct sym_proc *symbolizer__find_proc(struct symbolizer *s, pid_t pid)
{
	__u64 hash = hash_u64(pid);
	struct sym_proc *p;
	struct hnode *n;

	for (n = htab__first(&s->procs, hash); n; n = htab__match(n->next, hash)) {
		p = container_of(n, struct sym_proc, node);
		if (p->pid == pid)
			return p;
	}
	return NULL;
}

static void proc__free(struct hnode *n)
{
	struct sym_proc *p = container_of(n, struct sym_proc, node);

	htab__clear(&p->misses, free_container);
	proc_files__use(p->files, p->maps ? p->maps->nr : 0, -1);
	procmaps__free(p->maps);
	free(p->files);
	free(p);
}

static bool proc__missed(const struct sym_proc *p, __u64 addr)
{
	__u64 hash = hash_u64(addr);
	struct hnode *n;

	for (n = htab__first(&p->misses, hash); n; n = htab__match(n->next, hash)) {
		if (container_of(n, struct sym_miss, node)->addr == addr)
			return true;
	}
	return false;
}

static void proc__add_miss(struct sym_proc *p, __u64 addr)
{
	struct sym_miss *m = calloc(1, sizeof(*m));

	/* only an optimization: without memory, reread the maps next time */
	if (!m)
		return;
	m->addr = addr;
	m->node.hash = hash_u64(addr);
	if (htab__insert(&p->misses, &m->node))
		free(m);
}

/* Rereads the maps of @pid; @keep_misses when called for a miss, so that the
 * known misses stay known. */
static int symbolizer__reload(struct symbolizer *s, pid_t pid, bool keep_misses)
{
	struct sym_file **files = NULL;
	struct procmaps *maps;
	struct sym_proc *p;
	int same_root = -1;
	size_t i;
	int err;

	maps = procmaps__read(pid);
	if (!maps) {
		err = errno;
		return err == ENOENT || err == ESRCH ? -ESRCH : -err;
	}
	/* an exiting process (a zombie) has no mappings left */
	if (!maps->nr) {
		err = -ESRCH;
		goto cleanup;
	}
	files = calloc(maps->nr, sizeof(*files));
	if (!files) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* open only files with code: a font or a locale archive never shows
	 * up in a stack, and every open file costs a descriptor; and only
	 * code is looked up in a file: one that a process maps but has no
	 * code of (a library dlclose'd but for its data) is not in use */
	for (i = 0; i < maps->nr; i++) {
		const struct lt_mapping *map = &maps->maps[i];
		struct mapped_file *entry;
		struct sym_file *f;

		if (!map->exec || !lt_mapping__is_file(map))
			continue;
		entry = files__of_mapping(s->files, map);
		if (!entry) {
			err = -ENOMEM;
			goto cleanup;
		}
		f = *mapped_file__slot(entry, FILE_SLOT_SYM);
		if (!f || f->released) {
			if (same_root < 0)
				same_root = shares_root(pid);
			err = f ? file__load(s, f, pid, map, same_root)
				: symbolizer__open_file(s, entry, pid, map, same_root);
			if (err == -ENOMEM)
				goto cleanup;
		}
		files[i] = *mapped_file__slot(entry, FILE_SLOT_SYM);
	}

	p = symbolizer__find_proc(s, pid);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p) {
			err = -ENOMEM;
			goto cleanup;
		}
		p->pid = pid;
		p->node.hash = hash_u64(pid);
		err = htab__insert(&s->procs, &p->node);
		if (err) {
			free(p);
			goto cleanup;
		}
	}
	/* the new files are counted before the old ones are let go, so that a
	 * file still mapped is not closed and opened again */
	proc_files__use(files, maps->nr, 1);
	proc_files__use(p->files, p->maps ? p->maps->nr : 0, -1);
	procmaps__free(p->maps);
	free(p->files);
	p->maps = maps;
	p->files = files;
	p->read_ns = lt_now_ns();
	maps = NULL;
	files = NULL;
	if (!keep_misses)
		htab__clear(&p->misses, free_container);
	err = 0;
cleanup:
	procmaps__free(maps);
	free(files);
	return err;
}

int symbolizer__refresh(struct symbolizer *s, pid_t pid)
{
	return symbolizer__reload(s, pid, /*keep_misses=*/false);
}

void symbolizer__forget(struct symbolizer *s, pid_t pid)
{
	struct sym_proc *p = symbolizer__find_proc(s, pid);

	if (!p)
		return;
	htab__remove(&s->procs, &p->node);
	proc__free(&p->node);
}

/* Finds the mapping covering @addr in @pid, rereading the maps once if none
 * does (with @patient, only if they were read over REREAD_NS ago), and the
 * file behind it (*@file NULL if none). Returns 0 or -ENOENT. */
static int symbolizer__locate(struct symbolizer *s, pid_t pid, __u64 addr, bool patient,
			      const struct lt_mapping **map, struct sym_file **file)
{
	struct sym_proc *p = symbolizer__find_proc(s, pid);
	const struct lt_mapping *m = p ? procmaps__find(p->maps, addr) : NULL;

	if (!m && !(p && proc__missed(p, addr))) {
		bool alive;

		/* not added to the misses: the next read may cover it */
		if (patient && p && lt_now_ns() - p->read_ns < REREAD_NS)
			return -ENOENT;
		alive = !symbolizer__reload(s, pid, /*keep_misses=*/true);

		p = symbolizer__find_proc(s, pid);
		m = p ? procmaps__find(p->maps, addr) : NULL;
		if (!m && p && alive)
			proc__add_miss(p, addr);
	}
	if (!m)
		return -ENOENT;
	*map = m;
	*file = p->files[m - p->maps->maps];
	return 0;
}

int symbolizer__code_at(struct symbolizer *s, pid_t pid, __u64 addr)
{
	const struct lt_mapping *m;
	struct sym_file *f;
	struct sym_proc *p;
	int err = symbolizer__locate(s, pid, addr, /*patient=*/true, &m, &f);

	/* No code there as of a read over a second old: the range may have
	 * been unmapped and mapped again as code since (a freed buffer's
	 * pages reused), which no miss would show. Read again, as a miss. */
	if (!err && !m->exec && (p = symbolizer__find_proc(s, pid)) &&
	    lt_now_ns() - p->read_ns >= REREAD_NS && !symbolizer__reload(s, pid, true))
		err = symbolizer__locate(s, pid, addr, /*patient=*/true, &m, &f);
	if (err)
		return symbolizer__find_proc(s, pid) ? 0 : -ENOENT;
	return m->exec;
}

/* The ELF virtual address at offset @off of the file, from its PT_LOAD
 * segments. */
static int file__vaddr(const struct sym_file *f, __u64 off, __u64 *vaddr)
{
	const struct elf_segment *seg = elf_segments__at_offset(f->segs, f->nr_segs, off);

	if (!seg)
		return -ENOENT;
	*vaddr = off - seg->offset + seg->vaddr;
	return 0;
}

/* @src as a path: joined to @dir, the compilation directory of its unit
 * (or NULL), when relative. */
static const char *symbolizer__src_path(struct symbolizer *s, const char *dir, const char *src)
{
	const char *ret;
	char *joined;

	if (src[0] == '/')
		return symbolizer__intern(s, src);
	/* libdw prefixes the file's directory entry, which is comp_dir for
	 * entry 0 but may itself be relative to comp_dir for the others. With
	 * a relative comp_dir (-fdebug-prefix-map=DIR=.), joining would only
	 * repeat it. */
	if (!dir || dir[0] != '/' || asprintf(&joined, "%s/%s", dir, src) < 0)
		return symbolizer__intern(s, src);
	ret = symbolizer__intern(s, joined);
	free(joined);
	return ret;
}

/* True if the DWARF of @f may be read: see debuginfo__dwarf_safe(). Known
 * at the first lookup, when libdwfl loads it. */
static bool file__dwarf_safe(struct sym_file *f)
{
	Dwarf_Addr bias;
	Dwarf *dw;

	if (!f->dwarf) {
		dw = dwfl_module_getdwarf(f->mod, &bias);
		f->dwarf = !dw || debuginfo__dwarf_safe(dw, &f->dbg) ? 1 : -1;
		if (f->dwarf < 0)
			lt_info("%s: not reading its DWARF, which would make libdw open files it "
				"names (a dwz alt file not found, or split DWARF)",
				mapped_file__path(f->entry));
	}
	return f->dwarf > 0;
}

/* The readable name of @raw into *@func, and @raw into *@symbol where it
 * differs (else NULL), both interned. Returns 0 or -ENOMEM. */
static int symbolizer__name(struct symbolizer *s, const char *raw, const char **func,
			    const char **symbol)
{
	char *readable = lt_demangle(raw);

	*symbol = NULL;
	if (!readable) {
		*func = symbolizer__intern(s, raw);
		return *func ? 0 : -ENOMEM;
	}
	*func = symbolizer__intern(s, readable);
	free(readable);
	*symbol = symbolizer__intern(s, raw);
	return *func && *symbol ? 0 : -ENOMEM;
}

/* Where the inlined instance @die was called from: its unit's file table
 * entry and line, into @pos. Nothing when DWARF does not say. */
static void symbolizer__call_site(struct symbolizer *s, Dwarf_Die *die, struct sym_inline *pos)
{
	Dwarf_Word file, line;
	Dwarf_Attribute attr;
	Dwarf_Files *files;
	const char *src;
	Dwarf_Die cu;
	size_t nr;

	pos->src = NULL;
	pos->line = 0;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &line) || !line ||
	    line > INT_MAX || dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &file) ||
	    !dwarf_diecu(die, &cu, NULL, NULL) || dwarf_getsrcfiles(&cu, &files, &nr) || file >= nr)
		return;
	src = dwarf_filesrc(files, file, NULL, NULL);
	/* entry 0 of a DWARF 4 table is no file; libdw names it "???" */
	if (!src || !strcmp(src, "???"))
		return;
	pos->src = symbolizer__src_path(s, dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &attr)),
					src);
	pos->line = pos->src ? (int)line : 0;
}

/* Fills in the source position of @pc in @mod, and the functions inlined
 * there: from the unit whose code holds @pc only. libdwfl gives an address
 * that no unit has (crt1.o's _start, without DWARF) to the unit whose code
 * comes before it, and its last line would be shown. @func_start is where
 * the symbol at @pc starts, or 0: a line must be in it too. Returns 0 or
 * -ENOMEM. */
static int symbolizer__src(struct symbolizer *s, struct sym_result *r, Dwfl_Module *mod,
			   GElf_Addr pc, GElf_Addr func_start)
{
	Dwarf_Die dies[SYM_MAX_INLINE], *cu;
	struct sym_inline here = { 0 };
	Dwarf_Addr bias, line_addr;
	const char *src, *name;
	Dwfl_Line *line;
	size_t n;
	int lineno;

	cu = dwfl_module_addrdie(mod, pc, &bias);
	if (!cu || dwarf_haspc(cu, pc - bias) <= 0)
		return 0;
	line = dwfl_module_getsrc(mod, pc);
	src = line ? dwfl_lineinfo(line, &line_addr, &lineno, NULL, NULL, NULL) : NULL;
	if (src && line_addr <= pc && line_addr >= func_start && lineno > 0) {
		here.src = symbolizer__src_path(s, dwfl_line_comp_dir(line), src);
		here.line = here.src ? lineno : 0;
	}
	n = dw_inlined_at(cu, pc - bias, dies);
	if (n) {
		r->inl = calloc(n, sizeof(*r->inl));
		if (!r->inl)
			return -ENOMEM;
		r->nr_inl = n;
	}
	/* each function's position is that of the call to the one inside it */
	for (size_t i = 0; i < n; i++) {
		struct sym_inline *in = &r->inl[i];

		name = dw_func_name(&dies[i]);
		if (name && symbolizer__name(s, name, &in->func, &in->symbol))
			return -ENOMEM;
		in->src = here.src;
		in->line = here.line;
		symbolizer__call_site(s, &dies[i], &here);
	}
	r->src = here.src;
	r->line = here.line;
	return 0;
}

/* Looks @vaddr of @f up, from the cache or with libdwfl. Returns NULL when
 * out of memory. */
static const struct sym_result *symbolizer__lookup(struct symbolizer *s, const struct sym_file *f,
						   __u64 vaddr)
{
	__u64 hash = hash_u64(vaddr ^ hash_u64((uintptr_t)f));
	GElf_Addr pc, func_start = 0;
	struct sym_result *r;
	Dwfl_Module *mod;
	struct hnode *n;
	const char *name;
	GElf_Off off;
	GElf_Sym sym;
	int back, err = 0;

	for (n = htab__first(&s->results, hash); n; n = htab__match(n->next, hash)) {
		r = container_of(n, struct sym_result, node);
		if (r->file == f && r->vaddr == vaddr)
			return r;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->node.hash = hash;
	r->file = f;
	r->vaddr = vaddr;

	/* a return address: the call is the instruction before it */
	back = vaddr > 0;
	pc = vaddr + f->bias - back;
	mod = dwfl_addrmodule(f->dwfl, pc);
	if (mod) {
		name = dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL);
		if (name) {
			err = symbolizer__name(s, name, &r->func, &r->symbol);
			r->func_off = off + back;
			func_start = pc - off;
		}
		if (!err && file__dwarf_safe((struct sym_file *)f))
			err = symbolizer__src(s, r, mod, pc, func_start);
	}
	if (err || htab__insert(&s->results, &r->node)) {
		result__free(&r->node);
		return NULL;
	}
	return r;
}

/* symbolizer__resolve(), and in *@res what the address resolved to, or NULL. */
static int symbolizer__frame(struct symbolizer *s, pid_t pid, __u64 addr, struct lt_frame *out,
			     const struct sym_result **res)
{
	const struct lt_mapping *map;
	const struct sym_result *r;
	struct sym_file *f;
	__u64 vaddr;
	int err;

	*res = NULL;
	memset(out, 0, sizeof(*out));
	out->addr = addr;
	out->module = "[unknown]";
	err = symbolizer__locate(s, pid, addr, /*patient=*/false, &map, &f);
	if (err)
		return err;
	if (map->path[0]) {
		out->module = symbolizer__intern(s, map->path);
		if (!out->module) {
			out->module = "[unknown]";
			return -ENOMEM;
		}
	} else {
		out->module = "[anon]";
	}
	/* without an ELF view of the module, the file offset is the best
	 * there is (for [vdso], loaded at 0, it is the ELF address as well) */
	out->offset = lt_mapping__file_offset(map, addr);
	if (!f || !f->dwfl || file__vaddr(f, out->offset, &vaddr))
		return -ENOENT;
	out->offset = vaddr;
	r = symbolizer__lookup(s, f, vaddr);
	if (!r)
		return -ENOMEM;
	*res = r;
	out->func = r->func;
	out->symbol = r->symbol;
	out->func_off = r->func_off;
	out->file = r->src;
	out->line = r->line;
	return r->func ? 0 : -ENOENT;
}

int symbolizer__resolve(struct symbolizer *s, pid_t pid, __u64 addr, struct lt_frame *out)
{
	const struct sym_result *r;

	return symbolizer__frame(s, pid, addr, out, &r);
}

size_t symbolizer__resolve_inline(struct symbolizer *s, pid_t pid, __u64 addr, struct lt_frame *out,
				  size_t max)
{
	const struct sym_result *r;
	struct lt_frame fr;
	size_t n = 0;

	if (!max)
		return 0;
	symbolizer__frame(s, pid, addr, &fr, &r);
	/* with too little room, the outer inlined functions are left out */
	for (size_t i = 0; r && i < r->nr_inl && n + 1 < max; i++) {
		out[n] = fr;
		out[n].func = r->inl[i].func;
		out[n].symbol = r->inl[i].symbol;
		out[n].func_off = 0;
		out[n].file = r->inl[i].src;
		out[n].line = r->inl[i].line;
		out[n].inlined = true;
		n++;
	}
	out[n++] = fr;
	return n;
}

/* The CFI rules at @ip (no return address: nothing subtracted) in @pid,
 * from the module's .eh_frame, else its .debug_frame; @f is where they
 * were found. */
static int sys_row_at(struct symbolizer *s, pid_t pid, __u64 ip, struct cfi_row *row,
		      struct sym_file **file)
{
	const struct lt_mapping *map;
	Dwarf_Addr cfi_bias;
	struct sym_file *f;
	Dwarf_CFI *cfi;
	__u64 vaddr;
	int err, i;

	err = symbolizer__locate(s, pid, ip, /*patient=*/false, &map, &f);
	if (err)
		return err;
	if (!f || !f->dwfl || file__vaddr(f, lt_mapping__file_offset(map, ip), &vaddr))
		return -ENOENT;
	*file = f;
	for (i = 0; i < 2; i++) {
		cfi = i ? dwfl_module_dwarf_cfi(f->mod, &cfi_bias)
			: dwfl_module_eh_cfi(f->mod, &cfi_bias);
		if (cfi &&
		    !cfi_row__find(cfi, vaddr + f->bias - cfi_bias, cfi_fp_regno(f->sp_regno), row))
			return 0;
	}
	return -ENOENT;
}

int symbolizer__sys_frame(struct symbolizer *s, pid_t pid, __u64 ip, __u64 *ra_offset,
			  __s64 *fp_offset)
{
	struct cfi_row row;
	struct sym_file *f;
	int err;

	err = sys_row_at(s, pid, ip, &row, &f);
	if (err)
		return err;
	err = cfi_row__ra_offset(&row, f->sp_regno, ra_offset);
	if (!err && fp_offset)
		err = cfi_row__fp_offset(&row, f->sp_regno, fp_offset);
	return err;
}

int symbolizer__ra_offset(struct symbolizer *s, pid_t pid, __u64 ip, __u64 *sp_offset)
{
	return symbolizer__sys_frame(s, pid, ip, sp_offset, NULL);
}

struct symbolizer *symbolizer__new(struct files *files, const char *debug_dir)
{
	struct symbolizer *s;
	char *dir = NULL;
	struct stat st;
	int err = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->files = files;
	if (debug_dir) {
		/* names are compared with it as they are */
		dir = realpath(debug_dir, NULL);
		if (!dir) {
			err = -errno;
			goto cleanup;
		}
		if (stat(dir, &st)) {
			err = -errno;
			goto cleanup;
		}
		if (!S_ISDIR(st.st_mode)) {
			err = -ENOTDIR;
			goto cleanup;
		}
		s->debug_dir = dir;
		dir = NULL;
	}
	/* every file is reported with its descriptor: find_elf is not used */
	s->callbacks.find_elf = dwfl_build_id_find_elf;
	s->callbacks.find_debuginfo = debuginfo__find;
cleanup:
	free(dir);
	if (err) {
		symbolizer__free(s);
		errno = -err;
		return NULL;
	}
	return s;
}

void symbolizer__free(struct symbolizer *s)
{
	if (!s)
		return;
	htab__clear(&s->procs, proc__free);
	htab__clear(&s->results, result__free);
	files__release(s->files, FILE_SLOT_SYM, file__free);
	htab__clear(&s->strs, free_container);
	free(s->debug_dir);
	free(s);
}
