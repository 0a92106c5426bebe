// SPDX-License-Identifier: GPL-2.0-only
/* Tests symbolizing addresses of this test binary (built with -g), of libc,
 * and of small libraries built at run time whose debug information sits in a
 * separate file; and the return address offsets read from CFI. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <libelf.h>
#include <elfutils/libdwelf.h>
#include "files.h"
#include "symbolize.h"
#include "ut.h"

/* The registry every symbolizer of these tests keeps its files in, one
 * symbolizer at a time. */
static struct files *files;

/* noipa: keeps the names, and keeps calls as calls (no clones, no inlining) */
static __attribute__((noipa)) int target_fn(int x)
{
	return x * 3 + 1;
}

static __attribute__((noipa)) void *return_address(void)
{
	return __builtin_return_address(0);
}

static int call_line;

static __attribute__((noipa)) void *calling_fn(void)
{
	void *ra;

	/* one statement, so that clang-format keeps the call on this line */
	ra = return_address(), call_line = __LINE__;
	return ra;
}

/* Two functions inlined into a third, whatever the optimization level: the
 * return address of the call in inl_inner lies in inl_top's code. */
static int inl_inner_line, inl_outer_line, inl_top_line;

static inline __attribute__((always_inline)) void *inl_inner(void)
{
	void *ra;

	ra = return_address(), inl_inner_line = __LINE__;
	return ra;
}

static inline __attribute__((always_inline)) void *inl_outer(void)
{
	void *ra;

	ra = inl_inner(), inl_outer_line = __LINE__;
	return ra;
}

static __attribute__((noipa)) void *inl_top(void)
{
	void *ra;

	ra = inl_outer(), inl_top_line = __LINE__;
	return ra;
}

/* A C++ name, as g++ would give app::store::make<int>() */
__attribute__((noipa)) int *mangled_fn(void) __asm__("_ZN3app5store4makeIiEEPT_v");
__attribute__((noipa)) int *mangled_fn(void)
{
	static int x;

	return &x;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* The address @fn has in its ELF file: minus the load bias of its object. */
static __u64 elf_vaddr(uintptr_t addr)
{
	struct link_map *lm = NULL;
	Dl_info info;

	if (!dladdr1((void *)addr, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return 0;
	return addr - lm->l_addr;
}

static void test_self(struct symbolizer *s)
{
	__u64 addr = (uintptr_t)&target_fn + 4;
	struct lt_frame f, again;
	const char *module;
	char exe[PATH_MAX];
	ssize_t len;
	int err;

	UT_EQ_INT(symbolizer__refresh(s, getpid()), 0, "refresh self");

	err = symbolizer__resolve(s, getpid(), addr, &f);
	UT_EQ_INT(err, 0, "resolve target_fn + 4");
	UT_EQ_INT(f.addr, addr, "addr as given");
	UT_EQ_STR(f.func, "target_fn", "function");
	UT_EQ_INT(f.func_off, 4, "offset in the function");
	UT_EQ_INT(f.offset, elf_vaddr((uintptr_t)&target_fn) + 4, "ELF address");
	UT_CHECK(ends_with(f.file, __FILE__), "source file %s", f.file ? f.file : "(null)");
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = '\0';
	UT_EQ_STR(f.module, exe, "module is the executable");

	err = symbolizer__resolve(s, getpid(), addr, &again);
	UT_CHECK(!err && again.func == f.func && again.file == f.file && again.line == f.line,
		 "a second resolve gives the same strings");

	/* @module must outlive the process's maps */
	module = f.module;
	symbolizer__forget(s, getpid());
	UT_EQ_STR(module, exe, "module string survives forget");
	err = symbolizer__resolve(s, getpid(), addr, &f);
	UT_EQ_STR(f.func, "target_fn", "resolve after forget rereads the maps");
}

static void test_return_address(struct symbolizer *s)
{
	__u64 ra = (uintptr_t)calling_fn();
	int line = call_line;
	struct lt_frame f;
	int err;

	err = symbolizer__resolve(s, getpid(), ra, &f);
	UT_EQ_INT(err, 0, "resolve a return address");
	UT_EQ_STR(f.func, "calling_fn", "the caller");
	UT_CHECK(ends_with(f.file, __FILE__), "caller's file %s", f.file ? f.file : "(null)");
	UT_EQ_INT(f.line, line, "line of the call");
	UT_EQ_INT(f.func_off, ra - (uintptr_t)&calling_fn, "offset from the caller's start");
}

static void test_inline(struct symbolizer *s)
{
	__u64 ra = (uintptr_t)inl_top();
	struct lt_frame f[4], one;
	size_t n;

	n = symbolizer__resolve_inline(s, getpid(), ra, f, 4);
	UT_EQ_INT(n, 3, "two inlined functions and the one they are in");
	if (n != 3)
		return;
	UT_EQ_STR(f[0].func, "inl_inner", "innermost: inl_inner");
	UT_CHECK(f[0].inlined && ends_with(f[0].file, __FILE__) && f[0].line == inl_inner_line,
		 "inl_inner inlined, at its call (line %d, want %d)", f[0].line, inl_inner_line);
	UT_EQ_STR(f[1].func, "inl_outer", "then inl_outer");
	UT_CHECK(f[1].inlined && ends_with(f[1].file, __FILE__) && f[1].line == inl_outer_line,
		 "inl_outer inlined, at its call of inl_inner (line %d, want %d)", f[1].line,
		 inl_outer_line);
	UT_EQ_STR(f[2].func, "inl_top", "then inl_top, which holds them");
	UT_CHECK(!f[2].inlined && ends_with(f[2].file, __FILE__) && f[2].line == inl_top_line,
		 "inl_top at its call of inl_outer (line %d, want %d)", f[2].line, inl_top_line);
	UT_CHECK(f[0].addr == ra && f[1].addr == ra && f[2].addr == ra && !f[0].func_off &&
			 f[2].func_off == ra - (uintptr_t)&inl_top,
		 "one address; an offset for the function that holds it only");

	symbolizer__resolve(s, getpid(), ra, &one);
	UT_CHECK(one.func == f[2].func && one.file == f[2].file && one.line == f[2].line &&
			 !one.inlined,
		 "resolve gives the frame that holds the inlined ones");
	n = symbolizer__resolve_inline(s, getpid(), ra, f, 2);
	UT_CHECK(n == 2 && f[0].line == inl_inner_line && f[1].line == inl_top_line,
		 "with room for 2: the innermost and the one that holds it");
	n = symbolizer__resolve_inline(s, getpid(), (uintptr_t)&target_fn + 4, f, 4);
	UT_CHECK(n == 1 && !f[0].inlined && !strcmp(f[0].func, "target_fn"),
		 "nothing inlined: one frame");
}

static void test_names(struct symbolizer *s)
{
	struct lt_frame f;

	UT_EQ_INT(symbolizer__resolve(s, getpid(), (uintptr_t)&mangled_fn + 1, &f), 0,
		  "resolve a C++ name");
	UT_EQ_STR(f.func, "int* app::store::make<int>()", "demangled");
	UT_EQ_STR(f.symbol, "_ZN3app5store4makeIiEEPT_v", "the raw symbol kept");
	symbolizer__resolve(s, getpid(), (uintptr_t)&target_fn + 1, &f);
	UT_CHECK(!f.symbol, "a C name has no other symbol");
}

/* _start comes from crt1.o, which has no DWARF, and lies between the code
 * of two compilation units (main goes to .text.startup, before .text): no
 * line of the unit before it is its line. */
static void test_no_foreign_line(struct symbolizer *s)
{
	__u64 entry = getauxval(AT_ENTRY);
	struct lt_frame f;

	symbolizer__resolve(s, getpid(), entry + 4, &f);
	UT_EQ_STR(f.func, "_start", "the entry point is _start");
	UT_CHECK(!f.file && f.line == 0, "_start has no source line, got %s:%d",
		 f.file ? f.file : "-", f.line);
}

static void *libc_sym(const char *name)
{
	void *libc = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_LAZY);
	void *sym;

	/* through libc's handle: the sanitizer's interceptors come first in
	 * the global scope */
	if (!libc)
		return NULL;
	sym = dlsym(libc, name);
	dlclose(libc);
	return sym;
}

static void test_libc(struct symbolizer *s)
{
	void *fn = libc_sym("malloc");
	struct lt_frame f;
	int err;

	UT_CHECK(fn != NULL, "libc's malloc found");
	if (!fn)
		return;
	err = symbolizer__resolve(s, getpid(), (uintptr_t)fn + 4, &f);
	UT_EQ_INT(err, 0, "resolve malloc + 4");
	UT_CHECK(f.func && (!strcmp(f.func, "malloc") || !strcmp(f.func, "__libc_malloc")),
		 "malloc's name: %s", f.func ? f.func : "(null)");
	UT_EQ_INT(f.func_off, 4, "offset in malloc");
	UT_CHECK(f.module && strstr(f.module, "libc.so"), "module %s", f.module);
}

static void test_unmapped(struct symbolizer *s)
{
	struct lt_frame f;
	__u64 off = 1;
	int err;

	/* below vm.mmap_min_addr: never mapped */
	err = symbolizer__resolve(s, getpid(), 0x1000, &f);
	UT_EQ_INT(err, -ENOENT, "unmapped address");
	UT_EQ_STR(f.module, "[unknown]", "unmapped module");
	UT_CHECK(!f.func && !f.file && f.addr == 0x1000, "unmapped: no symbol, addr kept");
	err = symbolizer__resolve(s, getpid(), 0x1000, &f);
	UT_EQ_INT(err, -ENOENT, "unmapped address again");
	UT_EQ_INT(symbolizer__ra_offset(s, getpid(), 0x1000, &off), -ENOENT, "ra_offset unmapped");

	err = symbolizer__resolve(s, INT_MAX, (uintptr_t)&target_fn, &f);
	UT_EQ_INT(err, -ENOENT, "no such process");
	UT_EQ_STR(f.module, "[unknown]", "no such process: module");
	UT_EQ_INT(symbolizer__refresh(s, INT_MAX), -ESRCH, "refresh of no such process");
}

/* A process that has exited is still symbolized from the maps read before. */
/* code_at, asked of every frame of every new stack, reads the maps again for
 * an address they do not cover only if they were read over a second ago, or
 * the process was forgotten (it mapped new code) since. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_code_at(void)
{
	struct symbolizer *s = symbolizer__new(files, NULL);
	double read_at;
	void *fn = libc_sym("malloc");
	long page = sysconf(_SC_PAGESIZE);
	char *a = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *b = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int x;

	UT_CHECK(s && fn && a != MAP_FAILED && b != MAP_FAILED, "symbolizer__new, malloc, mmap");
	if (!s || !fn || a == MAP_FAILED || b == MAP_FAILED)
		goto cleanup;
	UT_EQ_INT(symbolizer__code_at(s, INT_MAX, 0x1000), -ENOENT, "code_at: no such process");
	UT_EQ_INT(symbolizer__code_at(s, getpid(), (uintptr_t)fn), 1, "code_at: malloc is code");
	UT_EQ_INT(symbolizer__code_at(s, getpid(), (uintptr_t)&x), 0, "code_at: the stack is not");
	UT_EQ_INT(symbolizer__code_at(s, getpid(), (uintptr_t)a), 1, "code_at: an exec page");
	munmap(a, page);
	a = MAP_FAILED;
	UT_EQ_INT(symbolizer__code_at(s, getpid(), 0x1000), 0, "code_at: unmapped");
	munmap(b, page);
	b = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	UT_CHECK(b != MAP_FAILED, "mmap again");
	if (b == MAP_FAILED)
		goto cleanup;
	symbolizer__forget(s, getpid());
	read_at = now();
	UT_EQ_INT(symbolizer__code_at(s, getpid(), (uintptr_t)b), 1, "code_at: after forget");
	/* mapped after that read: not seen until a second has passed (unless
	 * this test was held up that long) */
	a = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	UT_CHECK(a != MAP_FAILED, "mmap a third");
	if (a == MAP_FAILED)
		goto cleanup;
	x = symbolizer__code_at(s, getpid(), (uintptr_t)a);
	UT_CHECK(x == 0 || now() - read_at >= 1,
		 "code_at: mapped since the read, under a second ago: got %d", x);
	sleep(1);
	UT_EQ_INT(symbolizer__code_at(s, getpid(), (uintptr_t)a), 1, "code_at: a second later");
	/* data where code is now: the range unmapped and mapped again as code
	 * (a freed buffer's pages reused) after the maps were read */
	munmap(a, page);
	a = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	UT_CHECK(a != MAP_FAILED, "mmap data");
	if (a == MAP_FAILED)
		goto cleanup;
	symbolizer__refresh(s, getpid());
	UT_EQ_INT(symbolizer__code_at(s, getpid(), (uintptr_t)a), 0, "code_at: data");
	if (mmap(a, page, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
	    a)
		UT_CHECK(0, "mmap code over the data");
	sleep(1);
	UT_EQ_INT(symbolizer__code_at(s, getpid(), (uintptr_t)a), 1,
		  "code_at: code where data was, a second later");
cleanup:
	if (a != MAP_FAILED)
		munmap(a, page);
	if (b != MAP_FAILED)
		munmap(b, page);
	symbolizer__free(s);
}

static void test_exited(struct symbolizer *s)
{
	struct lt_frame f;
	int fds[2], status;
	pid_t pid;
	char c;

	if (pipe(fds)) {
		UT_CHECK(0, "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		/* until the parent closes its end */
		while (read(fds[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(fds[0]);
	UT_EQ_INT(symbolizer__refresh(s, pid), 0, "refresh a live child");
	close(fds[1]);
	waitpid(pid, &status, 0);
	UT_EQ_INT(symbolizer__refresh(s, pid), -ESRCH, "refresh an exited child");
	symbolizer__resolve(s, pid, (uintptr_t)&target_fn + 4, &f);
	UT_EQ_STR(f.func, "target_fn", "exited child still resolves");
	symbolizer__forget(s, pid);
	symbolizer__resolve(s, pid, (uintptr_t)&target_fn + 4, &f);
	UT_EQ_STR(f.module, "[unknown]", "forgotten exited child");
}

static void test_ra_offset(struct symbolizer *s)
{
	__u64 off = 99;

	UT_EQ_INT(symbolizer__ra_offset(s, getpid(), (uintptr_t)&target_fn, &off), 0,
		  "ra_offset at a function entry");
	UT_EQ_INT(off, 0, "the return address is on top at the entry");
#if defined(__x86_64__)
	const unsigned char *code = (const unsigned char *)(uintptr_t)&target_fn;
	const unsigned char *p = libc_sym("mmap");
	__u64 ip = 0;
	int i;

	/* with frame pointers (the sanitizer build) the function starts with
	 * push %rbp, after an endbr64 where gcc defaults to -fcf-protection,
	 * and the CFA moves to %rbp after a later mov %rsp,%rbp */
	int at = memcmp(code, "\xf3\x0f\x1e\xfa", 4) ? 0 : 4;

	if (code[at] == 0x55) {
		UT_EQ_INT(symbolizer__ra_offset(s, getpid(), (uintptr_t)code + at + 1, &off), 0,
			  "ra_offset after push %rbp");
		UT_EQ_INT(off, 8, "the return address is above the saved %rbp");
		for (i = at + 1; i + 3 <= 16 && memcmp(code + i, "\x48\x89\xe5", 3); i++)
			;
		if (i + 3 <= 16)
			UT_EQ_INT(symbolizer__ra_offset(s, getpid(), (uintptr_t)code + i + 3, &off),
				  -EINVAL, "a CFA based on %rbp is not understood");
	} else {
		ut_skip("ra_offset after push %rbp", "target_fn does not start with push %%rbp "
						     "(built without frame pointers?)");
	}

	for (i = 0; p && i + 1 < 64; i++) {
		if (p[i] == 0x0f && p[i + 1] == 0x05) {
			ip = (uintptr_t)p + i + 2;
			break;
		}
	}
	UT_CHECK(ip != 0, "a syscall instruction in mmap");
	off = 99;
	UT_EQ_INT(symbolizer__ra_offset(s, getpid(), ip, &off), 0,
		  "ra_offset after mmap's syscall");
	UT_EQ_INT(off, 0, "mmap pushes nothing before its syscall");
#endif
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int run(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -1;
	ret = system(cmd);
	free(cmd);
	return ret;
}

/* The source of a test library; the call of PREFIX_callee is on LIB_CALL_LINE. */
#define LIB_SRC                                                                                    \
	"__attribute__((noinline)) void *%1$s_callee(void)\n"                                      \
	"{ return __builtin_return_address(0); }\n"                                                \
	"void *%1$s_entry(void)\n"                                                                 \
	"{\n"                                                                                      \
	"\tvoid *r = %1$s_callee();\n"                                                             \
	"\t__asm__ volatile(\"\" ::: \"memory\");\n"                                               \
	"\treturn r;\n"                                                                            \
	"}\n"
#define LIB_CALL_LINE 5

/* Builds DIR/libPREFIX.so with debug information stripped into DIR/DEBUG. */
static int build_lib(const char *dir, const char *prefix, const char *debug)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/lib%s.c", dir, prefix);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, LIB_SRC, prefix);
	fclose(f);
	return run("cd '%s' && gcc -g -O0 -shared -fPIC -Wl,--build-id -o lib%s.so lib%s.c && "
		   "objcopy --only-keep-debug lib%s.so %s && "
		   "strip --strip-debug --strip-unneeded lib%s.so",
		   dir, prefix, prefix, prefix, debug, prefix);
}

static int build_id_path(const char *lib, const char *root, char *out, size_t size)
{
	const unsigned char *id;
	ssize_t len, i;
	int fd, n;
	Elf *elf;

	elf_version(EV_CURRENT);
	fd = open(lib, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	len = elf ? dwelf_elf_gnu_build_id(elf, (const void **)&id) : -1;
	if (len >= 2) {
		n = snprintf(out, size, "%s/.build-id/%02x/", root, id[0]);
		for (i = 1; i < len; i++)
			n += snprintf(out + n, size - n, "%02x", id[i]);
		snprintf(out + n, size - n, ".debug");
	}
	elf_end(elf);
	close(fd);
	return len >= 2 ? 0 : -1;
}

/* Loads DIR/libPREFIX.so, calls PREFIX_entry and checks that its return
 * address resolves to the function; with @debug, also to the call line in
 * the library's source, which only the separate debug file knows, else to no
 * source at all (the debug file must not be read). Returns the handle:
 * closing it early would let the next library reuse the addresses. */
static void *check_lib(struct symbolizer *s, const char *dir, const char *prefix, bool debug)
{
	char path[PATH_MAX], name[64];
	void *(*entry)(void);
	struct lt_frame f;
	void *handle;
	__u64 ra;
	int err;

	snprintf(path, sizeof(path), "%s/lib%s.so", dir, prefix);
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	UT_CHECK(handle != NULL, "dlopen %s: %s", path, handle ? "ok" : dlerror());
	if (!handle)
		return NULL;
	snprintf(name, sizeof(name), "%s_entry", prefix);
	*(void **)&entry = dlsym(handle, name);
	UT_CHECK(entry != NULL, "%s found", name);
	if (!entry)
		return handle;
	ra = (uintptr_t)entry();
	/* Mapped after the last read of the maps. A resolve rereads them only
	 * where no mapping covered the address, and the library may sit where
	 * an anonymous mapping (ASan's) was then: read them again, as leaktrace
	 * does on the event of new code. */
	symbolizer__refresh(s, getpid());
	err = symbolizer__resolve(s, getpid(), ra, &f);
	UT_EQ_INT(err, 0, "resolve in the library");
	UT_EQ_STR(f.func, name, "function in the library");
	UT_EQ_STR(f.module, path, "module is the library");
	if (!debug) {
		UT_CHECK(!f.file && f.line <= 0, "%s: no source line (%s)", prefix,
			 f.file ? f.file : "none");
		return handle;
	}
	snprintf(path, sizeof(path), "%s/lib%s.c", dir, prefix);
	UT_EQ_STR(f.file, path, "source file from the separate debug file");
	UT_EQ_INT(f.line, LIB_CALL_LINE, "line from the separate debug file");
	return handle;
}

/* A traced file names its debug file: a FIFO there would block an open()
 * for good, and a symbolic link could point anywhere. Neither is opened. */
static void test_hostile_debuglink(void)
{
	char tmpl[] = "/tmp/lt-symbolize-XXXXXX", dir[PATH_MAX], c[PATH_MAX + 8], d[PATH_MAX + 8];
	struct symbolizer *s = NULL;
	void *fifo = NULL, *sym = NULL;

	if (!mkdtemp(tmpl) || !realpath(tmpl, dir)) {
		UT_CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(c, sizeof(c), "%s/c", dir);
	snprintf(d, sizeof(d), "%s/d", dir);
	UT_EQ_INT(run("mkdir -p '%s/.debug' '%s/elsewhere'", c, d), 0, "mkdir");
	UT_EQ_INT(build_lib(c, "fifo", "fifo.dbg"), 0, "build the FIFO-linked library");
	UT_EQ_INT(run("cd '%s' && objcopy --add-gnu-debuglink=fifo.dbg libfifo.so && "
		      "rm fifo.dbg && mkfifo fifo.dbg .debug/fifo.dbg",
		      c),
		  0, "debuglink to FIFOs");
	UT_EQ_INT(build_lib(d, "sym", "sym.dbg"), 0, "build the symlink-linked library");
	UT_EQ_INT(run("cd '%s' && objcopy --add-gnu-debuglink=sym.dbg libsym.so && "
		      "mv sym.dbg elsewhere/ && ln -s elsewhere/sym.dbg sym.dbg",
		      d),
		  0, "debuglink to a symbolic link");

	s = symbolizer__new(files, NULL);
	UT_CHECK(s != NULL, "symbolizer");
	if (s) {
		fifo = check_lib(s, c, "fifo", false);
		sym = check_lib(s, d, "sym", false);
	}
	if (fifo)
		dlclose(fifo);
	if (sym)
		dlclose(sym);
	symbolizer__free(s);
	run("rm -rf '%s'", dir);
}

static void test_separate_debug(void)
{
	char tmpl[] = "/tmp/lt-symbolize-XXXXXX", dir[PATH_MAX], a[PATH_MAX + 8], b[PATH_MAX + 8],
	     dbg[PATH_MAX + 8], lib[PATH_MAX + 32], debug[PATH_MAX + 128];
	struct symbolizer *s = NULL;
	void *lnk = NULL, *bid = NULL;

	if (run("{ command -v gcc && command -v objcopy && command -v strip; } >/dev/null 2>&1") !=
	    0) {
		ut_skip("separate debug files", "no gcc, objcopy or strip");
		return;
	}
	/* gcc records the physical working directory as comp_dir */
	if (!mkdtemp(tmpl) || !realpath(tmpl, dir)) {
		UT_CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(dbg, sizeof(dbg), "%s/dbg", dir);
	UT_EQ_INT(run("mkdir -p '%s/.debug' '%s' '%s'", a, b, dbg), 0, "mkdir");

	/* by .gnu_debuglink, with a name that only the link gives, in .debug/ */
	UT_EQ_INT(build_lib(a, "lnk", "lnk-symbols.dbg"), 0, "build the debuglink library");
	UT_EQ_INT(run("cd '%s' && objcopy --add-gnu-debuglink=lnk-symbols.dbg liblnk.so && "
		      "mv lnk-symbols.dbg .debug/",
		      a),
		  0, "add the debuglink");

	/* by build-id, only under the debug directory given */
	UT_EQ_INT(build_lib(b, "bid", "bid.tmp"), 0, "build the build-id library");
	snprintf(lib, sizeof(lib), "%s/libbid.so", b);
	UT_EQ_INT(build_id_path(lib, dbg, debug, sizeof(debug)), 0, "build-id of the library");
	UT_EQ_INT(run("mkdir -p \"$(dirname '%s')\" && mv '%s/bid.tmp' '%s'", debug, b, debug), 0,
		  "place the build-id debug file");

	s = symbolizer__new(files, dbg);
	UT_CHECK(s != NULL, "symbolizer with a debug directory");
	if (s) {
		UT_EQ_INT(symbolizer__refresh(s, getpid()), 0, "refresh before dlopen");
		lnk = check_lib(s, a, "lnk", true);
		bid = check_lib(s, b, "bid", true);
	}
	if (lnk)
		dlclose(lnk);
	if (bid)
		dlclose(bid);
	symbolizer__free(s);
	run("rm -rf '%s'", dir);
}

/* How many of our descriptors are open on @path. */
static int fds_on(const char *path)
{
	char link[64], target[PATH_MAX];
	int n = 0;

	for (int fd = 0; fd < 4096; fd++) {
		ssize_t len;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		n += !strcmp(target, path);
	}
	return n;
}

/* A file no process maps any more is let go (its descriptor, its mapped
 * pages), and opened again when one maps it again. */
static void test_release(void)
{
	char tmpl[] = "/tmp/lt-symbolize-XXXXXX", dir[PATH_MAX], lib[PATH_MAX + 16];
	struct symbolizer *s;
	void *h;

	if (run("{ command -v gcc && command -v objcopy && command -v strip; } >/dev/null 2>&1") !=
	    0) {
		ut_skip("release of unmapped files", "no gcc, objcopy or strip");
		return;
	}
	if (!mkdtemp(tmpl) || !realpath(tmpl, dir)) {
		UT_CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(lib, sizeof(lib), "%s/librel.so", dir);
	UT_EQ_INT(build_lib(dir, "rel", "rel.dbg"), 0, "build the library");
	s = symbolizer__new(files, NULL);
	UT_CHECK(s != NULL, "symbolizer__new");
	if (!s)
		goto out;
	UT_EQ_INT(symbolizer__refresh(s, getpid()), 0, "refresh before dlopen");
	h = check_lib(s, dir, "rel", false);
	UT_CHECK(fds_on(lib) >= 1, "the mapped library is open: %d descriptors", fds_on(lib));
	if (h)
		dlclose(h);
	UT_EQ_INT(symbolizer__refresh(s, getpid()), 0, "refresh after dlclose");
	UT_EQ_INT(fds_on(lib), 0, "the library no one maps is closed");
	h = check_lib(s, dir, "rel", false);
	UT_CHECK(fds_on(lib) >= 1, "mapped again, it is open again: %d descriptors", fds_on(lib));
	symbolizer__forget(s, getpid());
	UT_EQ_INT(fds_on(lib), 0, "closed when its last process is forgotten");
	if (h)
		dlclose(h);
	symbolizer__free(s);
out:
	run("rm -rf '%s'", dir);
}

static void test_new(void)
{
	struct symbolizer *s;

	errno = 0;
	s = symbolizer__new(files, "/nonexistent/debug/dir");
	UT_CHECK(!s && errno == ENOENT, "a missing debug directory: ENOENT");
	symbolizer__free(s);
	symbolizer__free(NULL);
}

int main(void)
{
	struct symbolizer *s;

	files = files__new();
	UT_CHECK(files != NULL, "files__new");
	if (!files)
		return ut_done();
	s = symbolizer__new(files, NULL);
	UT_CHECK(s != NULL, "symbolizer__new");
	if (!s)
		return ut_done();
	test_self(s);
	test_return_address(s);
	test_no_foreign_line(s);
	test_inline(s);
	test_names(s);
	test_libc(s);
	test_unmapped(s);
	test_exited(s);
	test_ra_offset(s);
	symbolizer__free(s);
	test_code_at();
	test_separate_debug();
	test_hostile_debuglink();
	test_release();
	test_new();
	files__free(files);
	return ut_done();
}
