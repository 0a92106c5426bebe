// SPDX-License-Identifier: GPL-2.0-only
/* Tests for elfsym.c against this machine's libc and dynamic linker and
 * against the test binary itself. Exact addresses are checked only for the
 * glibc 2.36 build named by its build ID; other builds get sanity checks. */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsym.h"
#include "ut.h"

#define LIBC_PATH "/lib/x86_64-linux-gnu/libc.so.6"
#define LDSO_PATH "/lib64/ld-linux-x86-64.so.2"
/* Debian bookworm's libc6 2.36 on x86-64. */
#define LIBC_BUILD_ID "93ac61ec5a8eb1396f9fbd350e3169a558528a40"

/* A static function the test can find in its own .symtab and compare, byte
 * for byte, with what is mapped in memory. */
static __attribute__((noinline, used)) int elfsym_test_target(int x)
{
	return x * 7 + 3;
}

/* The GNU build ID of @path as hex, or "" if it has none. */
static void read_build_id(const char *path, char *hex, size_t size)
{
	size_t i, nr_phdrs, off, name_off, desc_off, j;
	Elf *elf = NULL;
	GElf_Nhdr nhdr;
	GElf_Phdr phdr;
	Elf_Data *data;
	int fd;

	hex[0] = '\0';
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &nr_phdrs))
		goto cleanup;
	for (i = 0; i < nr_phdrs; i++) {
		if (!gelf_getphdr(elf, i, &phdr) || phdr.p_type != PT_NOTE)
			continue;
		data = elf_getdata_rawchunk(elf, phdr.p_offset, phdr.p_filesz, ELF_T_NHDR);
		if (!data)
			continue;
		off = 0;
		while ((off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
			if (nhdr.n_type != NT_GNU_BUILD_ID || nhdr.n_namesz != 4 ||
			    memcmp((char *)data->d_buf + name_off, "GNU", 4))
				continue;
			for (j = 0; j < nhdr.n_descsz && 2 * j + 2 < size; j++)
				sprintf(hex + 2 * j, "%02x",
					((unsigned char *)data->d_buf)[desc_off + j]);
			goto cleanup;
		}
	}
cleanup:
	elf_end(elf);
	close(fd);
}

static void test_libc(void)
{
	struct elf_func fn, fn2;
	char build_id[64];
	struct elf_file *f;
	__u64 offset;
	bool known;
	__u8 buf[4];
	int err;

	read_build_id(LIBC_PATH, build_id, sizeof(build_id));
	known = !strcmp(build_id, LIBC_BUILD_ID);
	if (!known)
		printf("# libc build ID '%s' is not the known one: sanity checks only\n", build_id);

	f = elf_file__open(LIBC_PATH);
	UT_CHECK(f, "open %s: %s", LIBC_PATH, f ? "ok" : strerror(errno));
	if (!f)
		return;

	UT_EQ_INT(elf_file__machine(f), EM_X86_64, "libc e_machine");
	UT_CHECK(elf_file__entry(f) != 0, "libc has an entry point (it runs as a program)");
	/* readelf -l: libc.so.6 asks for /lib64/ld-linux-x86-64.so.2, so that
	 * running it prints its version. */
	UT_CHECK(elf_file__has_interp(f), "libc names a program interpreter");

	err = elf_file__find_func(f, "malloc", &fn);
	UT_EQ_INT(err, 0, "find malloc in libc");
	UT_CHECK(fn.size > 0, "malloc has a size");
	err = elf_file__vaddr_to_offset(f, fn.vaddr, &offset);
	UT_CHECK(!err && offset == fn.offset, "malloc offset agrees with vaddr_to_offset");
	if (known) {
		UT_EQ_INT(fn.vaddr, 0x98930, "malloc vaddr (nm -D)");
		UT_EQ_INT(fn.size, 0x317, "malloc size (nm -DS)");
		/* The text segment is LOAD 0x026000 at 0x026000. */
		UT_EQ_INT(fn.offset, 0x98930, "malloc offset");
		UT_EQ_INT(elf_file__entry(f), 0x27410, "libc entry (readelf -h)");
		UT_EQ_INT(elf_file__read(f, fn.offset, buf, 2), 2, "read malloc's first bytes");
		UT_CHECK(buf[0] == 0x41 && buf[1] == 0x54, "malloc starts with push %%r12");

		/* realpath@GLIBC_2.2.5 is an older version at 0x150070. */
		err = elf_file__find_func(f, "realpath", &fn2);
		UT_CHECK(!err && fn2.vaddr == 0x3d560, "realpath is the default version, 0x%llx",
			 (unsigned long long)fn2.vaddr);
		/* The last LOAD's p_filesz ends at 0x1d4868; .bss follows in memory only. */
		UT_EQ_INT(elf_file__vaddr_to_offset(f, 0x1d4900, &offset), -ENOENT,
			  ".bss has no file offset");
	}

	/* Both names sit at one address, as weak aliases in .dynsym. */
	err = elf_file__find_func(f, "memalign", &fn);
	UT_CHECK(!err && !elf_file__find_func(f, "aligned_alloc", &fn2) && fn.vaddr == fn2.vaddr,
		 "memalign and aligned_alloc are one function");

	/* memcpy@@GLIBC_2.14 is an IFUNC; memcpy@GLIBC_2.2.5 is a plain older
	 * version that only old binaries call. */
	UT_EQ_INT(elf_file__find_func(f, "memcpy", &fn), -ENOENT, "IFUNC memcpy is not returned");
	UT_CHECK(elf_file__exports(f, "memcpy"), "but memcpy is exported");

	UT_CHECK(elf_file__exports(f, "malloc"), "libc exports malloc");
	UT_CHECK(elf_file__exports(f, "free"), "libc exports free");
	UT_CHECK(!elf_file__exports(f, "mallo"), "a prefix does not match");
	UT_EQ_INT(elf_file__find_func(f, "mallo", &fn), -ENOENT, "a prefix is not found");
	UT_EQ_INT(elf_file__find_func(f, "lt_no_such_function", &fn), -ENOENT, "missing symbol");
	UT_CHECK(!elf_file__exports(f, "lt_no_such_function"), "missing symbol not exported");
	UT_EQ_INT(elf_file__vaddr_to_offset(f, 0xffffffff00000000ULL, &offset), -ENOENT,
		  "address in no segment");
	UT_EQ_INT(elf_file__read(f, 1ULL << 40, buf, sizeof(buf)), 0, "read past the end");
	elf_file__free(f);
}

static void test_ldso(void)
{
	char ldso[PATH_MAX];
	struct elf_file *f;
	struct elf_func fn;

	/* the path a mapping shows: symbolic links are not followed */
	UT_CHECK(realpath(LDSO_PATH, ldso), "realpath %s", LDSO_PATH);
	f = elf_file__open(ldso);
	UT_CHECK(f, "open %s: %s", ldso, f ? "ok" : strerror(errno));
	if (!f)
		return;
	/* ld.so has its own minimal malloc, but does not export it. */
	UT_CHECK(!elf_file__exports(f, "malloc"), "ld.so does not export malloc");
	UT_CHECK(!elf_file__has_interp(f), "ld.so names no interpreter");
	UT_CHECK(elf_file__entry(f) != 0, "ld.so has an entry point");
	UT_EQ_INT(elf_file__find_func(f, "_dl_allocate_tls", &fn), 0,
		  "ld.so's _dl_allocate_tls found");
	elf_file__free(f);
}

static void test_self(void)
{
	struct elf_func fn;
	struct elf_file *f;
	__u8 file_bytes[16];
	__u64 offset;
	long n;
	int err;

	f = elf_file__open("/proc/self/exe");
	UT_CHECK(f, "open the test binary: %s", f ? "ok" : strerror(errno));
	if (!f)
		return;
	UT_CHECK(elf_file__has_interp(f), "the test binary is linked dynamically");
	UT_EQ_INT(elf_file__machine(f), EM_X86_64, "test binary e_machine");
	UT_CHECK(elf_file__entry(f) != 0, "test binary entry point");

	/* Static: only in .symtab, with local binding. */
	err = elf_file__find_func(f, "elfsym_test_target", &fn);
	UT_EQ_INT(err, 0, "find a static function in .symtab");
	if (!err) {
		UT_CHECK(fn.size > 0, "static function has a size");
		err = elf_file__vaddr_to_offset(f, fn.vaddr, &offset);
		UT_CHECK(!err && offset == fn.offset, "its offset maps back");
		/* What the file holds at that offset is what runs. */
		n = elf_file__read(f, fn.offset, file_bytes, sizeof(file_bytes));
		UT_EQ_INT(n, sizeof(file_bytes), "read its bytes");
		UT_CHECK(n == sizeof(file_bytes) &&
				 !memcmp(file_bytes, (const void *)elfsym_test_target, (size_t)n),
			 "file bytes at the offset are the function's code in memory");
	}
	UT_EQ_INT(elf_file__find_func(f, "main", &fn), 0, "find main (global, .symtab only)");
	/* Calls to malloc in the test binary go through the PLT: undefined here. */
	UT_EQ_INT(elf_file__find_func(f, "malloc", &fn), -ENOENT, "undefined malloc not found");
	elf_file__free(f);
}

static void test_errors(void)
{
	char path[] = "/tmp/lt_elfsym_XXXXXX", dir[] = "/tmp/lt_elfsym_XXXXXX", fifo[64];
	struct elf_file *f;
	int fd;

	errno = 0;
	f = elf_file__open("/nonexistent/lt/libc.so.6");
	UT_CHECK(!f && errno == ENOENT, "missing path: ENOENT (errno %d)", errno);

	if (!access("/etc/hostname", R_OK)) {
		errno = 0;
		f = elf_file__open("/etc/hostname");
		UT_CHECK(!f && errno == ENOEXEC, "/etc/hostname: ENOEXEC (errno %d)", errno);
		elf_file__free(f);
	}

	fd = mkstemp(path);
	UT_CHECK(fd >= 0, "make a temporary file");
	if (fd >= 0) {
		errno = 0;
		f = elf_file__open(path);
		UT_CHECK(!f && errno == ENOEXEC, "empty file: ENOEXEC (errno %d)", errno);
		elf_file__free(f);
		UT_CHECK(write(fd, "\177ELF", 4) == 4, "write a truncated ELF header");
		errno = 0;
		f = elf_file__open(path);
		UT_CHECK(!f && errno == ENOEXEC, "truncated ELF: ENOEXEC (errno %d)", errno);
		elf_file__free(f);
		close(fd);
		unlink(path);
	}

	errno = 0;
	f = elf_file__open("/tmp");
	UT_CHECK(!f && errno == EISDIR, "directory: EISDIR (errno %d)", errno);

	/* A FIFO with no writer: opening it to read would wait forever. */
	UT_CHECK(mkdtemp(dir), "make a temporary directory");
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	UT_CHECK(!mkfifo(fifo, 0600), "make a FIFO");
	errno = 0;
	f = elf_file__open(fifo);
	UT_CHECK(!f && errno == ENOEXEC, "FIFO: ENOEXEC at once (errno %d)", errno);
	elf_file__free(f);
	unlink(fifo);
	rmdir(dir);
	errno = 0;
	f = elf_file__open("/dev/null");
	UT_CHECK(!f && errno == ENOEXEC, "character device: ENOEXEC (errno %d)", errno);
	elf_file__free(NULL);
}

static bool segment__eq(const struct elf_segment *a, const struct elf_segment *b)
{
	return a->vaddr == b->vaddr && a->offset == b->offset && a->filesz == b->filesz &&
	       a->write == b->write && a->exec == b->exec;
}

/* elf_segments__read() against the program headers as readelf lists them,
 * and against what elf_file__load_segment() gives, which reads them through
 * it: every PT_LOAD in order, nothing else. */
static void test_segments(void)
{
	struct elf_segment *segs = NULL, seg;
	const struct elf_segment *at;
	struct elf_file *f;
	size_t nr = 0, nr_phdrs = 0, loads = 0, i;
	bool same = true;
	GElf_Phdr phdr;
	Elf *elf;
	int fd, err;

	fd = open(LIBC_PATH, O_RDONLY | O_CLOEXEC);
	UT_CHECK(fd >= 0, "open %s", LIBC_PATH);
	if (fd < 0)
		return;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	err = elf_segments__read(elf, &segs, &nr);
	UT_EQ_INT(err, 0, "libc's PT_LOAD segments are read");
	UT_CHECK(elf && !elf_getphdrnum(elf, &nr_phdrs), "libc's program headers");
	for (i = 0; elf && i < nr_phdrs; i++) {
		if (!gelf_getphdr(elf, (int)i, &phdr) || phdr.p_type != PT_LOAD)
			continue;
		if (loads >= nr || segs[loads].vaddr != phdr.p_vaddr ||
		    segs[loads].offset != phdr.p_offset || segs[loads].filesz != phdr.p_filesz ||
		    segs[loads].exec != !!(phdr.p_flags & PF_X) ||
		    segs[loads].write != !!(phdr.p_flags & PF_W))
			same = false;
		loads++;
	}
	UT_CHECK(loads >= 2 && nr == loads && same, "%zu segments, each its PT_LOAD (%zu)", nr,
		 loads);
	at = nr ? elf_segments__at_offset(segs, nr, segs[nr - 1].offset) : NULL;
	UT_CHECK(at == &segs[nr - 1], "an offset at a segment's first byte is in it");
	at = nr ? elf_segments__at_offset(segs, nr, segs[nr - 1].offset + segs[nr - 1].filesz)
		: NULL;
	UT_CHECK(!at, "the offset just past the last segment's bytes is in none");
	UT_CHECK(!elf_segments__at_offset(NULL, 0, 0), "no segments: none holds anything");

	f = elf_file__open(LIBC_PATH);
	same = f != NULL;
	for (i = 0; f && i < nr; i++) {
		if (elf_file__load_segment(f, i, &seg) || !segment__eq(&seg, &segs[i]))
			same = false;
	}
	UT_CHECK(same && f && elf_file__load_segment(f, nr, &seg) == -ENOENT,
		 "elf_file__load_segment() gives the same segments, and no more");
	elf_file__free(f);
	free(segs);
	elf_end(elf);
	close(fd);

	segs = (struct elf_segment *)1;
	UT_EQ_INT(elf_segments__read(NULL, &segs, &nr), -EINVAL, "no ELF: -EINVAL");
	UT_CHECK(!segs && !nr, "and no segments");
}

int main(void)
{
	test_libc();
	test_ldso();
	test_self();
	test_errors();
	test_segments();
	return ut_done();
}
