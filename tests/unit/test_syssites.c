// SPDX-License-Identifier: GPL-2.0-only
/* Tests finding the syscall instructions in code: every one, at any byte,
 * with the address right after it; and the scan of this very process, whose
 * libc makes syscalls. */
#include <errno.h>
#include <unistd.h>
#include "syssites.h"
#include "ut.h"

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

static void test_scan_self(void)
{
	struct syssites *s = syssites__new();
	struct found f = { 0 };
	int n;

	UT_CHECK(s != NULL, "syssites__new");
	if (!s)
		return;
	n = syssites__scan(s, getpid(), keep, &f);
	UT_CHECK(n > 10, "this process's code has syscalls (%d)", n);
	UT_EQ_INT(f.n, n, "one call per site");
	f.n = 0;
	UT_EQ_INT(syssites__scan(s, getpid(), keep, &f), 0, "nothing new the second time");
	syssites__forget(s, getpid());
	UT_CHECK(syssites__scan(s, getpid(), keep, &f) == n, "all again after forget");
	UT_EQ_INT(syssites__scan(s, 0x7ffffff0, keep, &f), -ESRCH, "no such process");
	syssites__free(s);
}

int main(void)
{
	test_find();
	test_scan_self();
	return ut_done();
}
