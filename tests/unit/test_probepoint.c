// SPDX-License-Identifier: GPL-2.0-only
/* Tests for probepoint.c: hand-assembled prologues for each rule, then the
 * allocator functions of the libc this test runs on, decoded from its file. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <unistd.h>

#include "elfsym.h"
#include "probepoint.h"
#include "ut.h"

struct pp_case {
	const char *what;
	const __u8 *code;
	size_t len;
	unsigned int nr_args;
	bool keep_sp;
	__u32 offset;
	bool emulated;
	const char *insn; /* NULL: not checked */
};

#define PP_CODE(...) (const __u8[]){ __VA_ARGS__ }, sizeof((const __u8[]){ __VA_ARGS__ })

/* glibc 2.36 (Debian bookworm), objdump -d of libc.so.6, cut after the part
 * that matters; rel32 targets point outside these buffers. */
static const __u8 malloc_start[] = {
	0x41, 0x54,		/* push %r12 */
	0x55,			/* push %rbp */
	0x53,			/* push %rbx */
	0x48, 0x89, 0xfb,	/* mov %rdi,%rbx */
	0x48, 0x83, 0xec, 0x10, /* sub $0x10,%rsp */
};
static const __u8 free_start[] = {
	0x48, 0x85, 0xff,		    /* test %rdi,%rdi */
	0x0f, 0x84, 0xbf, 0x00, 0x00, 0x00, /* je +0xc8 */
	0x55,				    /* push %rbp */
	0x48, 0x8d, 0x77, 0xf0,		    /* lea -0x10(%rdi),%rsi */
	0x53,				    /* push %rbx */
};
static const __u8 posix_memalign_start[] = {
	0x80, 0x3d, 0x01, 0x02, 0x14, 0x00, 0x00, /* cmpb $0x0,0x140201(%rip) */
	0x41, 0x54,				  /* push %r12 */
	0x49, 0x89, 0xd4,			  /* mov %rdx,%r12 */
	0x55,					  /* push %rbp */
	0x48, 0x89, 0xfd,			  /* mov %rdi,%rbp */
	0x53,					  /* push %rbx */
	0x48, 0x89, 0xf3,			  /* mov %rsi,%rbx */
	0x74, 0x5a,				  /* je +0x70 */
};
static const __u8 memalign_start[] = {
	0x80, 0x3d, 0x71, 0x0e, 0x14, 0x00, 0x00, /* cmpb $0x0,0x140e71(%rip) */
	0x74, 0x07,				  /* je +0x10 */
	0xe9, 0x32, 0xf6, 0xff, 0xff,		  /* jmp malloc+0x320 */
	0x66, 0x90,				  /* xchg %ax,%ax */
	0x48, 0x83, 0xec, 0x18,			  /* sub $0x18,%rsp */
	0x48, 0x89, 0x74, 0x24, 0x08,		  /* mov %rsi,0x8(%rsp) */
};
static const __u8 valloc_start[] = {
	0x80, 0x3d, 0x31, 0x0e, 0x14, 0x00, 0x00, /* cmpb $0x0,0x140e31(%rip) */
	0x53,					  /* push %rbx */
	0x48, 0x89, 0xfb,			  /* mov %rdi,%rbx */
	0x74, 0x1b,				  /* je +0x28 */
};
static const __u8 reallocarray_start[] = {
	0x48, 0x89, 0xf0,	      /* mov %rsi,%rax */
	0x48, 0xf7, 0xe2,	      /* mul %rdx */
	0x48, 0x89, 0xc6,	      /* mov %rax,%rsi */
	0x70, 0x05,		      /* jo +0x10 */
	0xe9, 0x40, 0xb8, 0xf8, 0xff, /* jmp realloc@plt */
};

static void check_case(const struct pp_case *c)
{
	struct probe_site site;
	int err;

	err = probepoint__choose(EM_X86_64, c->code, c->len, c->nr_args, c->keep_sp, &site);
	UT_EQ_INT(err, 0, c->what);
	if (err)
		return;
	UT_CHECK(site.offset == c->offset && site.emulated == c->emulated,
		 "%s: offset %u emulated %d (want %u, %d), at '%s'", c->what, site.offset,
		 site.emulated, c->offset, c->emulated, site.insn);
	if (c->insn)
		UT_EQ_STR(site.insn, c->insn, c->what);
}

static void test_glibc_bytes(void)
{
	const struct pp_case cases[] = {
		{ "malloc: push %r12 at the entry", malloc_start, sizeof(malloc_start), 1, true, 0,
		  true, "pushq %r12" },
		{ "free: test, then je", free_start, sizeof(free_start), 1, false, 3, true,
		  "je 0xc8" },
		{ "posix_memalign: cmpb, then push", posix_memalign_start,
		  sizeof(posix_memalign_start), 3, true, 7, true, "pushq %r12" },
		{ "memalign: cmpb, then je", memalign_start, sizeof(memalign_start), 2, true, 7,
		  true, "je 0x10" },
		{ "valloc: cmpb, then push", valloc_start, sizeof(valloc_start), 1, true, 7, true,
		  "pushq %rbx" },
		{ "reallocarray: mul writes %rdx, the third argument", reallocarray_start,
		  sizeof(reallocarray_start), 3, true, 0, false, "movq %rsi, %rax" },
		{ "reallocarray: with two arguments, mov %rax,%rsi still clobbers one",
		  reallocarray_start, sizeof(reallocarray_start), 2, true, 0, false, NULL },
		{ "reallocarray: with one argument, the jo is reached", reallocarray_start,
		  sizeof(reallocarray_start), 1, true, 9, true, "jo 0x10" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

static void test_rules(void)
{
	const struct pp_case cases[] = {
		{ "endbr64 is stepped over",
		  PP_CODE(0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5), 0, true, 4, true,
		  "pushq %rbp" },
		/* sub $0x18,%rsp; test %rdi,%rdi; je +9 */
		{ "sub %rsp before je, keep_sp",
		  PP_CODE(0x48, 0x83, 0xec, 0x18, 0x48, 0x85, 0xff, 0x74, 0x00, 0xc3), 1, true, 0,
		  false, "subq $0x18, %rsp" },
		{ "sub %rsp before je, no keep_sp",
		  PP_CODE(0x48, 0x83, 0xec, 0x18, 0x48, 0x85, 0xff, 0x74, 0x00, 0xc3), 1, false, 7,
		  true, "je 9" },
		/* mov $1,%edi; push %rbp */
		{ "mov to %edi with one argument", PP_CODE(0xbf, 0x01, 0x00, 0x00, 0x00, 0x55), 1,
		  false, 0, false, "movl $1, %edi" },
		{ "mov to %edi with no arguments", PP_CODE(0xbf, 0x01, 0x00, 0x00, 0x00, 0x55), 0,
		  false, 5, true, NULL },
		/* mov %al,%dil; push %rbp */
		{ "write to %dil counts as %rdi", PP_CODE(0x40, 0x88, 0xc7, 0x55), 1, false, 0,
		  false, NULL },
		/* xor %ecx,%ecx; push %rbp */
		{ "xor %ecx with four arguments", PP_CODE(0x31, 0xc9, 0x55), 4, false, 0, false,
		  NULL },
		{ "xor %ecx with three arguments", PP_CODE(0x31, 0xc9, 0x55), 3, false, 2, true,
		  NULL },
		/* mov $0,%r9d; push %rbp */
		{ "write to %r9d with six arguments",
		  PP_CODE(0x41, 0xb9, 0x00, 0x00, 0x00, 0x00, 0x55), 6, false, 0, false, NULL },
		/* mov %ah,%dh; push %rbp: %dh is part of %rdx */
		{ "write to %dh with three arguments", PP_CODE(0x88, 0xe6, 0x55), 3, false, 0,
		  false, NULL },
		/* push %rbx; push %rbp: the first is the site, whatever keep_sp says */
		{ "push at the entry with keep_sp", PP_CODE(0x53, 0x55), 6, true, 0, true,
		  "pushq %rbx" },
		/* cmp; pop %rbx; push %rbp */
		{ "pop before the push, keep_sp", PP_CODE(0x48, 0x39, 0xc0, 0x5b, 0x55), 0, true, 0,
		  false, NULL },
		/* xchg %ax,%ax (66 90) is not the emulated nop; the push after it is */
		{ "0x66 nop is not a site", PP_CODE(0x66, 0x90, 0x55), 6, true, 2, true, NULL },
		{ "plain nop is a site", PP_CODE(0x48, 0x39, 0xc0, 0x90, 0x55), 6, true, 3, true,
		  "nop" },
		/* cmp; notrack je: prefixed branch is a branch, not a site */
		{ "prefixed jcc ends the walk", PP_CODE(0x48, 0x39, 0xc0, 0x3e, 0x74, 0x00, 0x55),
		  1, false, 0, false, NULL },
		/* cmp; bnd jmp rel32 */
		{ "bnd jmp ends the walk",
		  PP_CODE(0x48, 0x39, 0xc0, 0xf2, 0xe9, 0x00, 0x00, 0x00, 0x00, 0x55), 1, false, 0,
		  false, NULL },
		/* cmp; ret; push */
		{ "ret ends the walk", PP_CODE(0x48, 0x39, 0xc0, 0xc3, 0x55), 1, false, 0, false,
		  NULL },
		/* xor %eax,%eax; syscall; push */
		{ "syscall ends the walk", PP_CODE(0x31, 0xc0, 0x0f, 0x05, 0x55), 0, false, 0,
		  false, NULL },
		/* test; jmp *%rax: an indirect jump is not emulated and ends the walk */
		{ "indirect jmp ends the walk", PP_CODE(0x48, 0x85, 0xc0, 0xff, 0xe0, 0x55), 0,
		  false, 0, false, NULL },
		/* cmp; call rel32 */
		{ "call rel32 is a site", PP_CODE(0x48, 0x39, 0xc0, 0xe8, 0x00, 0x00, 0x00, 0x00),
		  6, false, 3, true, NULL },
		/* cmp; jcc rel32 */
		{ "jcc rel32 is a site",
		  PP_CODE(0x48, 0x39, 0xc0, 0x0f, 0x85, 0x10, 0x00, 0x00, 0x00), 6, true, 3, true,
		  NULL },
		/* cmp; jmp rel8 */
		{ "jmp rel8 is a site", PP_CODE(0x48, 0x39, 0xc0, 0xeb, 0x10), 6, true, 3, true,
		  NULL },
		/* 13 five-byte nopl (65 bytes), then push: past the straight-line start */
		{ "site too far away",
		  PP_CODE(0x0f, 0x1f, 0x44, 0x00, 0x00, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x0f, 0x1f,
			  0x44, 0x00, 0x00, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x0f, 0x1f, 0x44, 0x00,
			  0x00, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x0f,
			  0x1f, 0x44, 0x00, 0x00, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x0f, 0x1f, 0x44,
			  0x00, 0x00, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x0f, 0x1f, 0x44, 0x00, 0x00,
			  0x0f, 0x1f, 0x44, 0x00, 0x00, 0x55),
		  0, false, 0, false, NULL },
		/* cmp; then bytes that do not decode: no site, but no error either */
		{ "undecodable after the entry", PP_CODE(0x48, 0x39, 0xc0, 0x06, 0x55), 0, false, 0,
		  false, "cmpq %rax, %rax" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

/* The free-like start: test %rdi,%rdi (0); je +10 (3); push %rbp (5);
 * pop %rbp (6); ret (7); nop (8); nop (9), then what each case appends at 10. */
#define BR_START 0x48, 0x85, 0xff, 0x74, 0x05, 0x55, 0x5d, 0xc3, 0x90, 0x90

static void test_branch_targets(void)
{
	const struct pp_case cases[] = {
		{ "no branch back: the je", PP_CODE(BR_START, 0xc3), 1, false, 3, true, NULL },
		/* jmp rel8 back to 3 */
		{ "jmp rel8 back to the site", PP_CODE(BR_START, 0xeb, 0xf7), 1, false, 0, false,
		  "testq %rdi, %rdi" },
		/* jne rel32 back to 3 */
		{ "jcc rel32 back to the site",
		  PP_CODE(BR_START, 0x0f, 0x85, 0xf3, 0xff, 0xff, 0xff), 1, false, 0, false, NULL },
		/* jmp rel8 back to 1, inside the first instruction */
		{ "branch into the skipped part", PP_CODE(BR_START, 0xeb, 0xf5), 1, false, 0, false,
		  NULL },
		/* call rel32 to 0: recursion passes the entry and the site alike */
		{ "call to the entry is fine", PP_CODE(BR_START, 0xe8, 0xf1, 0xff, 0xff, 0xff), 1,
		  false, 3, true, NULL },
		/* jmp rel8 to 4, just past the site */
		{ "branch past the site is fine", PP_CODE(BR_START, 0xeb, 0xf8), 1, false, 3, true,
		  NULL },
		/* undecodable byte, then jmp rel8 back to 3: the scan goes on */
		{ "branch after undecodable bytes", PP_CODE(BR_START, 0x06, 0xeb, 0xf6), 1, false,
		  0, false, NULL },
		/* the same jmp, but only the first 10 bytes are the function */
		{ "branch beyond len is ignored", PP_CODE(BR_START), 1, false, 3, true, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

static void test_other_machines_and_errors(void)
{
	static const __u8 bad[] = { 0x06, 0x55 }; /* push %es: invalid in 64-bit mode */
	struct probe_site site;
	int err;

	memset(&site, 0xff, sizeof(site));
	err = probepoint__choose(EM_AARCH64, malloc_start, sizeof(malloc_start), 1, true, &site);
	UT_EQ_INT(err, 0, "aarch64: no error");
	UT_CHECK(site.offset == 0 && !site.emulated && !site.insn[0],
		 "aarch64: entry, not emulated, no text");

	err = probepoint__choose(EM_RISCV, malloc_start, sizeof(malloc_start), 1, true, &site);
	UT_CHECK(!err && site.offset == 0 && !site.emulated, "riscv: entry");

	err = probepoint__choose(EM_X86_64, bad, sizeof(bad), 1, true, &site);
	UT_EQ_INT(err, -EINVAL, "undecodable first instruction");
	err = probepoint__choose(EM_X86_64, malloc_start, 0, 1, true, &site);
	UT_EQ_INT(err, -EINVAL, "no code");
	err = probepoint__choose(EM_X86_64, malloc_start, 1, 1, true, &site);
	UT_EQ_INT(err, -EINVAL, "first instruction cut short");
}

/* The first bytes of an instruction the kernel emulates, as the x86 uprobe
 * code lists them (arch/x86/kernel/uprobes.c): push reg, with REX.B or not;
 * the one-byte nop; call rel32; jmp rel8/rel32; jcc rel8/rel32. Written out
 * again here rather than asked of probepoint.c, so the two can disagree. */
static bool emulated_opcode(const __u8 *b, size_t len)
{
	if (len >= 1 && ((b[0] >= 0x50 && b[0] <= 0x57) || b[0] == 0x90 || b[0] == 0xe8 ||
			 b[0] == 0xe9 || b[0] == 0xeb || (b[0] >= 0x70 && b[0] <= 0x7f)))
		return true;
	if (len >= 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57)
		return true;
	return len >= 2 && b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f;
}

/* What a chosen site must be, whatever the code: inside the straight-line
 * start and the code given, and moved off the entry only to an instruction
 * the kernel emulates. */
static void check_site_invariants(const char *what, const __u8 *code, size_t len,
				  const struct probe_site *site)
{
	UT_CHECK(site->offset < 64 && site->offset < len,
		 "%s: site at %u, inside the first 64 "
		 "of %zu bytes",
		 what, site->offset, len);
	if (site->offset >= len)
		return;
	UT_CHECK(site->emulated == emulated_opcode(code + site->offset, len - site->offset),
		 "%s: emulated %d at %u ('%s', byte 0x%02x) agrees with the opcode", what,
		 site->emulated, site->offset, site->insn, code[site->offset]);
	UT_CHECK(site->offset == 0 || site->emulated,
		 "%s: moved to %u only for an emulated instruction ('%s')", what, site->offset,
		 site->insn);
	UT_CHECK(site->insn[0], "%s: the site's instruction is described", what);
}

/* The exact sites in Debian bookworm's glibc 2.36, checked when this libc's
 * function starts with the bytes above. */
struct libc_known {
	const char *name;
	const __u8 *start;
	size_t start_len;
	__u32 offset;
};

/* The allocator functions leaktrace probes (attach.c's heap_funcs), in the
 * libc this test runs on, decoded from its file: every one present gets a
 * site that keeps the invariants above, the same site with fewer
 * constraints (what the scan has passed stays harmless when fewer registers
 * matter), and malloc and free, the hot pair, an emulated site. */
static void test_libc(void)
{
	static const __u8 calloc_start[] = { 0x41, 0x55, 0x48, 0x89, 0xf8 };
	static const __u8 realloc_start[] = { 0x41, 0x57, 0x41, 0x56 };
	static const struct {
		const char *name;
		unsigned int nr_args;
		bool keep_sp;
		bool required; /* in every glibc leaktrace supports */
		bool hot;      /* malloc and free: must get an emulated site */
	} funcs[] = {
		{ "malloc", 1, true, true, true },
		{ "free", 1, false, true, true },
		{ "calloc", 2, true, true, false },
		{ "realloc", 2, true, true, false },
		{ "reallocarray", 3, true, false, false },
		{ "posix_memalign", 3, true, true, false },
		{ "aligned_alloc", 2, true, false, false },
		{ "memalign", 2, true, false, false },
		{ "valloc", 1, true, false, false },
		{ "pvalloc", 1, true, false, false },
	};
	const struct libc_known known[] = {
		{ "malloc", malloc_start, sizeof(malloc_start), 0 },
		{ "free", free_start, sizeof(free_start), 3 },
		{ "posix_memalign", posix_memalign_start, sizeof(posix_memalign_start), 7 },
		{ "memalign", memalign_start, sizeof(memalign_start), 7 },
		{ "aligned_alloc", memalign_start, sizeof(memalign_start), 7 },
		{ "valloc", valloc_start, sizeof(valloc_start), 7 },
		{ "reallocarray", reallocarray_start, sizeof(reallocarray_start), 0 },
		{ "calloc", calloc_start, sizeof(calloc_start), 0 },
		{ "realloc", realloc_start, sizeof(realloc_start), 0 },
	};
	struct probe_site site, relaxed;
	struct elf_file *f;
	struct elf_func fn;
	Dl_info info;
	__u8 code[4096];
	char what[96];
	size_t i, j, len;
	long n;
	int err;

#if !defined(__x86_64__)
	ut_skip_always("this libc's allocator", "no x86-64 code to decode on this machine");
	return;
#endif
	/* getpid, not malloc: the sanitizer has its own malloc */
	UT_CHECK(dladdr((void *)&getpid, &info) && info.dli_fname,
		 "the libc this test runs on is found");
	if (!info.dli_fname)
		return;
	f = elf_file__open(info.dli_fname);
	UT_CHECK(f, "open %s: %s", info.dli_fname, f ? "ok" : strerror(errno));
	if (!f)
		return;
	UT_EQ_INT(elf_file__machine(f), EM_X86_64, info.dli_fname);
	for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		snprintf(what, sizeof(what), "libc %s", funcs[i].name);
		err = elf_file__find_func(f, funcs[i].name, &fn);
		if (err == -ENOENT && !funcs[i].required)
			continue;
		UT_CHECK(!err, "%s is in %s: %d", what, info.dli_fname, err);
		if (err)
			continue;
		len = fn.size && fn.size < sizeof(code) ? fn.size : sizeof(code);
		n = elf_file__read(f, fn.offset, code, len);
		UT_EQ_INT(n, (long)len, "read libc code");
		if (n != (long)len)
			continue;
		err = probepoint__choose(EM_X86_64, code, len, funcs[i].nr_args, funcs[i].keep_sp,
					 &site);
		UT_EQ_INT(err, 0, what);
		if (err)
			continue;
		check_site_invariants(what, code, len, &site);
		err = probepoint__choose(EM_X86_64, code, len, 0, false, &relaxed);
		UT_CHECK(!err && (site.offset == 0 || relaxed.offset == site.offset),
			 "%s: with no argument or stack pointer to keep, %u (not %u)", what,
			 relaxed.offset, site.offset);
		if (!err)
			check_site_invariants(strcat(what, ", relaxed"), code, len, &relaxed);
		if (funcs[i].hot)
			UT_CHECK(site.emulated,
				 "%s: the hot path gets an emulated site, not '%s' at %u", what,
				 site.insn, site.offset);
		for (j = 0; j < sizeof(known) / sizeof(known[0]); j++) {
			if (strcmp(known[j].name, funcs[i].name) || len < known[j].start_len ||
			    memcmp(code, known[j].start, known[j].start_len))
				continue;
			UT_CHECK(site.offset == known[j].offset,
				 "%s (glibc 2.36's, %zu bytes): offset %u, want %u, at '%s'", what,
				 len, site.offset, known[j].offset, site.insn);
		}
	}
	elf_file__free(f);
}

int main(void)
{
	test_glibc_bytes();
	test_rules();
	test_branch_targets();
	test_other_machines_and_errors();
	test_libc();
	return ut_done();
}
