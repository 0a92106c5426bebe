// SPDX-License-Identifier: GPL-2.0-only
/* Tests finding the syscall instructions in code: every one, at any byte,
 * with the address right after it; and the scan of this very process, whose
 * libc makes syscalls, once per file and not per process. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "sample.h"
#include "files.h"
#include "syssites.h"
#include "ut.h"

static struct files *files; /* the registry of every syssites here, one at a time */

struct found {
	__u64 ips[16];
	int n;
};

static void keep(void *ctx, __u64 ip)
{
	struct found *f = ctx;

	if (f->n < 16)
		f->ips[f->n] = ip;
	f->n++;
}

static void test_find(void)
{
#if defined(__x86_64__)
	/* mov $0x29,%eax; syscall; ret; 0f 0f (not one); syscall at the very end */
	static const unsigned char code[] = { 0xb8, 0x29, 0,	0,    0,    0x0f, 0x05,
					      0xc3, 0x0f, 0x0f, 0x05, 0x90, 0x0f, 0x05 };
	struct found f = { 0 };

	lt_find_syscalls(code, sizeof(code), 0x1000, keep, &f);
	UT_EQ_INT(f.n, 3, "syscalls found");
	UT_EQ_INT(f.ips[0], 0x1007, "first: right after 0f 05");
	UT_EQ_INT(f.ips[1], 0x100b, "second: 0f 0f 05 holds one");
	UT_EQ_INT(f.ips[2], 0x100e, "third: the last two bytes");
	f.n = 0;
	lt_find_syscalls(code, 6, 0x1000, keep, &f);
	UT_EQ_INT(f.n, 0, "an instruction cut by the end of the buffer is not one");
	lt_find_syscalls(code, 0, 0x1000, keep, &f);
	UT_EQ_INT(f.n, 0, "empty buffer");
#endif
}

/* What a scan handed over: the BPF side's map, of @cap sites. */
struct sink {
	struct lt_sys_site sites[4096];
	int n, cap, asked;
};

static int fake_frame(void *ctx, pid_t pid, __u64 ip, __u64 *ra_off, __s64 *fp_off)
{
	struct sink *k = ctx;

	(void)pid, (void)ip;
	k->asked++;
	*ra_off = 8;
	*fp_off = -1;
	return 0;
}

static int fake_add(void *ctx, const struct lt_sys_site *site, __u64 ra_off, __s64 fp_off)
{
	struct sink *k = ctx;

	(void)ra_off, (void)fp_off;
	if (k->n >= k->cap)
		return -E2BIG;
	k->sites[k->n++] = *site;
	return 0;
}

static __u64 counter(const struct syssites *s, const char *name)
{
	struct report_counter c[4];
	size_t n = syssites__counters(s, c, 4);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(c[i].name, name))
			return c[i].value;
	return ~0ULL;
}

/* This process's libc: sites by file and offset, whose bytes there are a
 * syscall instruction's; the files scanned once, whichever process maps
 * them again. */
static void test_scan_self(void)
{
	static struct sink k = { .cap = 4096 };
	struct syssites *s = syssites__new(
		files, &(struct syssite_ops){ .ctx = &k, .frame = fake_frame, .add = fake_add });
	int n, status;
	pid_t child;

	UT_CHECK(s != NULL, "syssites__new");
	if (!s)
		return;
	n = syssites__scan(s, getpid());
	UT_CHECK(n > 10, "this process's code has syscalls (%d)", n);
	UT_EQ_INT(k.n, n, "one site per syscall, each handed over");
	UT_EQ_INT(counter(s, "sys_sites"), n, "counted");
	UT_EQ_INT(counter(s, "sys_sites_full"), 0, "none left out");
	UT_CHECK(k.n && k.sites[0].ino && !k.sites[0].pad, "keyed by inode, padding zeroed");
	UT_EQ_INT(syssites__scan(s, getpid()), 0, "nothing new the second time");

	/* a child maps the same files: nothing to scan, nothing read */
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	k.asked = 0;
	UT_EQ_INT(syssites__scan(s, child), 0, "a process with the same files costs no scan");
	UT_EQ_INT(k.asked, 0, "and no CFI lookup");
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	UT_EQ_INT(syssites__scan(s, 0x7ffffff0), -ESRCH, "no such process");
	syssites__free(s);
}

/* A full map: what does not fit is counted, not lost silently. */
static void test_full(void)
{
	static struct sink k = { .cap = 3 };
	struct syssites *s = syssites__new(
		files, &(struct syssite_ops){ .ctx = &k, .frame = fake_frame, .add = fake_add });
	int n;

	UT_CHECK(s != NULL, "syssites__new");
	if (!s)
		return;
	n = syssites__scan(s, getpid());
	UT_CHECK(n > 3, "more sites than room (%d)", n);
	UT_EQ_INT(counter(s, "sys_sites"), 3, "as many as fit");
	UT_EQ_INT(counter(s, "sys_sites_full"), n - 3, "the rest counted");
	syssites__free(s);
}

int main(void)
{
	files = files__new();
	UT_CHECK(files != NULL, "files__new");
	if (!files)
		return ut_done();
	test_find();
	test_scan_self();
	test_full();
	files__free(files);
	return ut_done();
}
