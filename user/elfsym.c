// SPDX-License-Identifier: GPL-2.0-only
/* Reading an ELF file with libelf: finding function and data symbols by name
 * in .dynsym and .symtab, translating their addresses into the file offsets
 * that uprobes attach to, and reading code bytes for the probe-site decoder. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsym.h"
#include "safeopen.h"

/* The .gnu.version bit that marks a non-default version ("name@VER" rather
 * than "name@@VER"); binutils calls it VERSYM_HIDDEN, glibc's <elf.h> has no
 * name for it. */
#define LT_VERSYM_HIDDEN 0x8000

/* One symbol table, looked up once at open: callers ask ~10 names per file,
 * and libelf keeps the section data itself, so a linear scan over these is
 * all a lookup costs. */
struct elf_symtab {
	Elf_Data *syms;
	Elf_Data *versyms; /* .gnu.version, for .dynsym only; may be NULL */
	size_t nr_syms;
	size_t strndx; /* section holding the names */
};

struct elf_file {
	int fd;
	Elf *elf;
	GElf_Ehdr ehdr;
	struct elf_symtab dynsym;
	struct elf_symtab symtab;
	bool has_interp;
	struct elf_segment *segs; /* PT_LOAD */
	size_t nr_segs;
};

/* How well a symbol answers a lookup by name; lower is better. */
enum sym_rank {
	RANK_DEFAULT, /* global or weak function, the default version */
	RANK_IFUNC,   /* the same, but a GNU indirect function */
	RANK_HIDDEN,  /* an older, non-default version ("name@VER") */
	RANK_LOCAL,   /* static function: only when nothing global exists */
	RANK_NONE,
};

static pthread_once_t elf_version_once = PTHREAD_ONCE_INIT;

static void elf_version__init(void)
{
	elf_version(EV_CURRENT);
}

static void elf_symtab__init(struct elf_symtab *t, Elf_Scn *scn, const GElf_Shdr *shdr)
{
	t->syms = elf_getdata(scn, NULL);
	if (!t->syms || !shdr->sh_entsize)
		return;
	t->nr_syms = shdr->sh_size / shdr->sh_entsize;
	t->strndx = shdr->sh_link;
}

static int elf_file__load_sections(struct elf_file *f)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t i, nr_phdrs;
	GElf_Phdr phdr;

	while ((scn = elf_nextscn(f->elf, scn))) {
		if (!gelf_getshdr(scn, &shdr))
			return -ENOEXEC;
		switch (shdr.sh_type) {
		case SHT_DYNSYM:
			elf_symtab__init(&f->dynsym, scn, &shdr);
			break;
		case SHT_SYMTAB:
			elf_symtab__init(&f->symtab, scn, &shdr);
			break;
		case SHT_GNU_versym:
			f->dynsym.versyms = elf_getdata(scn, NULL);
			break;
		}
	}

	if (elf_getphdrnum(f->elf, &nr_phdrs))
		return -ENOEXEC;
	for (i = 0; i < nr_phdrs; i++) {
		if (gelf_getphdr(f->elf, i, &phdr) && phdr.p_type == PT_INTERP)
			f->has_interp = true;
	}
	return elf_segments__read(f->elf, &f->segs, &f->nr_segs);
}

struct elf_file *elf_file__open(const char *path)
{
	struct elf_file *f;
	int err;

	pthread_once(&elf_version_once, elf_version__init);

	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	/* a regular file, or libelf would fail with a message that hides why */
	f->fd = lt_open_untrusted(path);
	if (f->fd < 0) {
		/* a FIFO or a device is no ELF file */
		err = f->fd == -EINVAL ? -ENOEXEC : f->fd;
		goto cleanup;
	}

	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF || !gelf_getehdr(f->elf, &f->ehdr)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	err = elf_file__load_sections(f);
	if (err)
		goto cleanup;
	return f;

cleanup:
	elf_file__free(f);
	errno = -err;
	return NULL;
}

void elf_file__free(struct elf_file *f)
{
	if (!f)
		return;
	elf_end(f->elf); /* accepts NULL */
	if (f->fd >= 0)
		close(f->fd);
	free(f->segs);
	free(f);
}

/* "malloc" matches "malloc", "malloc@@GLIBC_2.2.5" and "malloc@GLIBC_2.2.5";
 * a single '@' in .symtab names a non-default version. */
static bool sym_name__matches(const char *sym, const char *name, size_t len, bool *hidden)
{
	if (strncmp(sym, name, len))
		return false;
	if (sym[len] == '\0')
		return true;
	if (sym[len] != '@')
		return false;
	*hidden = sym[len + 1] != '@';
	return true;
}

static enum sym_rank elf_file__rank(struct elf_file *f, const struct elf_symtab *t, size_t i,
				    const GElf_Sym *sym, bool hidden)
{
	int type = GELF_ST_TYPE(sym->st_info);
	int bind = GELF_ST_BIND(sym->st_info);
	GElf_Versym versym;
	__u64 offset;

	if (type != STT_FUNC && type != STT_GNU_IFUNC)
		return RANK_NONE;
	if (sym->st_shndx == SHN_UNDEF)
		return RANK_NONE;
	/* A symbol outside every PT_LOAD cannot be probed; keep looking. */
	if (elf_file__vaddr_to_offset(f, sym->st_value, &offset))
		return RANK_NONE;
	if (bind == STB_LOCAL)
		return type == STT_FUNC ? RANK_LOCAL : RANK_NONE;
	if (bind != STB_GLOBAL && bind != STB_WEAK)
		return RANK_NONE;
	/* .dynsym keeps versions apart from names: realpath@GLIBC_2.2.5 and
	 * realpath@@GLIBC_2.3 are both "realpath", and only the second is what
	 * a program linked today calls. */
	if (t->versyms && gelf_getversym(t->versyms, (int)i, &versym) &&
	    (versym & LT_VERSYM_HIDDEN))
		hidden = true;
	if (hidden)
		return type == STT_FUNC ? RANK_HIDDEN : RANK_NONE;
	return type == STT_GNU_IFUNC ? RANK_IFUNC : RANK_DEFAULT;
}

/* The best-ranked match for @name in @t, or RANK_NONE. */
static enum sym_rank elf_file__search(struct elf_file *f, const struct elf_symtab *t,
				      const char *name, bool allow_local, GElf_Sym *out)
{
	enum sym_rank best = RANK_NONE, rank;
	size_t i, len = strlen(name);
	const char *sym_name;
	bool hidden;
	GElf_Sym sym;

	if (!t->syms)
		return RANK_NONE;
	for (i = 0; i < t->nr_syms && best != RANK_DEFAULT; i++) {
		if (!gelf_getsym(t->syms, (int)i, &sym) || !sym.st_name)
			continue;
		sym_name = elf_strptr(f->elf, t->strndx, sym.st_name);
		hidden = false;
		if (!sym_name || !sym_name__matches(sym_name, name, len, &hidden))
			continue;
		rank = elf_file__rank(f, t, i, &sym, hidden);
		if (rank == RANK_LOCAL && !allow_local)
			continue;
		if (rank < best) {
			best = rank;
			*out = sym;
		}
	}
	return best;
}

int elf_file__find_func(struct elf_file *f, const char *name, struct elf_func *out)
{
	enum sym_rank rank;
	GElf_Sym sym;

	rank = elf_file__search(f, &f->dynsym, name, /*allow_local=*/false, &sym);
	if (rank == RANK_NONE)
		rank = elf_file__search(f, &f->symtab, name, /*allow_local=*/true, &sym);
	/* When the default version is an IFUNC (glibc's memcpy@@GLIBC_2.14),
	 * an older plain version may still exist (memcpy@GLIBC_2.2.5), but only
	 * old binaries call it: probing it would miss every other call. */
	if (rank == RANK_NONE || rank == RANK_IFUNC)
		return -ENOENT;

	out->vaddr = sym.st_value;
	out->size = sym.st_size;
	return elf_file__vaddr_to_offset(f, sym.st_value, &out->offset);
}

/* A defined global or weak data object named @name in @t: the first found,
 * since a data symbol has no IFUNC or ranking subtleties worth the cost. */
static bool elf_file__search_object(struct elf_file *f, const struct elf_symtab *t,
				    const char *name, GElf_Sym *out)
{
	size_t i, len = strlen(name);
	const char *sym_name;
	bool hidden;
	int bind;

	if (!t->syms)
		return false;
	for (i = 0; i < t->nr_syms; i++) {
		if (!gelf_getsym(t->syms, (int)i, out) || !out->st_name)
			continue;
		bind = GELF_ST_BIND(out->st_info);
		if (GELF_ST_TYPE(out->st_info) != STT_OBJECT || out->st_shndx == SHN_UNDEF ||
		    (bind != STB_GLOBAL && bind != STB_WEAK))
			continue;
		sym_name = elf_strptr(f->elf, t->strndx, out->st_name);
		hidden = false;
		if (sym_name && sym_name__matches(sym_name, name, len, &hidden))
			return true;
	}
	return false;
}

int elf_file__find_object(struct elf_file *f, const char *name, struct elf_func *out)
{
	GElf_Sym sym;

	if (!elf_file__search_object(f, &f->dynsym, name, &sym) &&
	    !elf_file__search_object(f, &f->symtab, name, &sym))
		return -ENOENT;
	out->vaddr = sym.st_value;
	out->size = sym.st_size;
	if (elf_file__vaddr_to_offset(f, sym.st_value, &out->offset))
		out->offset = 0;
	return 0;
}

bool elf_file__exports(struct elf_file *f, const char *name)
{
	GElf_Sym sym;

	/* IFUNCs and older versions count: the dynamic linker binds calls to
	 * them as well. */
	return elf_file__search(f, &f->dynsym, name, /*allow_local=*/false, &sym) != RANK_NONE;
}

long elf_file__read(struct elf_file *f, __u64 offset, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = pread(f->fd, buf, len, (off_t)offset);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

__u64 elf_file__entry(struct elf_file *f)
{
	return f->ehdr.e_entry;
}

int elf_segments__read(Elf *elf, struct elf_segment **segs, size_t *nr)
{
	struct elf_segment *v;
	size_t i, nr_phdrs, n = 0;
	GElf_Phdr phdr;

	*segs = NULL;
	*nr = 0;
	if (elf_getphdrnum(elf, &nr_phdrs))
		return -EINVAL;
	if (!nr_phdrs)
		return 0;
	v = calloc(nr_phdrs, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < nr_phdrs; i++) {
		if (!gelf_getphdr(elf, (int)i, &phdr) || phdr.p_type != PT_LOAD)
			continue;
		v[n++] = (struct elf_segment){
			.vaddr = phdr.p_vaddr,
			.offset = phdr.p_offset,
			.filesz = phdr.p_filesz,
			.write = phdr.p_flags & PF_W,
			.exec = phdr.p_flags & PF_X,
		};
	}
	if (!n) {
		free(v);
		return 0;
	}
	*segs = v;
	*nr = n;
	return 0;
}

const struct elf_segment *elf_segments__at_offset(const struct elf_segment *segs, size_t nr,
						  __u64 off)
{
	for (size_t i = 0; i < nr; i++) {
		if (off >= segs[i].offset && off - segs[i].offset < segs[i].filesz)
			return &segs[i];
	}
	return NULL;
}

int elf_file__load_vaddr(struct elf_file *f, __u64 *vaddr)
{
	if (!f->nr_segs)
		return -ENOENT;
	/* the offset and address of a segment agree modulo its alignment */
	*vaddr = f->segs[0].vaddr - f->segs[0].offset;
	return 0;
}

int elf_file__load_segment(struct elf_file *f, size_t i, struct elf_segment *out)
{
	if (i >= f->nr_segs)
		return -ENOENT;
	*out = f->segs[i];
	return 0;
}

int elf_file__vaddr_to_offset(struct elf_file *f, __u64 vaddr, __u64 *offset)
{
	for (size_t i = 0; i < f->nr_segs; i++) {
		const struct elf_segment *seg = &f->segs[i];

		/* p_filesz, not p_memsz: .bss has no bytes in the file. */
		if (vaddr >= seg->vaddr && vaddr - seg->vaddr < seg->filesz) {
			*offset = vaddr - seg->vaddr + seg->offset;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_file__tls_slot(struct elf_file *f, const char *name, __u64 *vaddr)
{
	unsigned int tpoff = f->ehdr.e_machine == EM_X86_64    ? R_X86_64_TPOFF64
			     : f->ehdr.e_machine == EM_AARCH64 ? R_AARCH64_TLS_TPREL
							       : 0;
	Elf_Scn *scn = NULL;

	if (!tpoff || !f->dynsym.syms)
		return -ENOENT;
	while ((scn = elf_nextscn(f->elf, scn))) {
		GElf_Shdr shdr;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_RELA || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; i++) {
			GElf_Rela rela;
			GElf_Sym sym;
			const char *sym_name;

			if (!gelf_getrela(data, i, &rela) || GELF_R_TYPE(rela.r_info) != tpoff ||
			    !gelf_getsym(f->dynsym.syms, GELF_R_SYM(rela.r_info), &sym))
				continue;
			sym_name = elf_strptr(f->elf, f->dynsym.strndx, sym.st_name);
			if (sym_name && !strcmp(sym_name, name)) {
				*vaddr = rela.r_offset;
				return 0;
			}
		}
	}
	return -ENOENT;
}

bool elf_file__has_interp(struct elf_file *f)
{
	return f->has_interp;
}

unsigned int elf_file__machine(struct elf_file *f)
{
	return f->ehdr.e_machine;
}
