/* SPDX-License-Identifier: GPL-2.0-only */
/* A process with no allocator at all: static, no libc (-nostdlib -static), its
 * own _start. It prints "ready <pid>" and sleeps in 100 ms steps for at most
 * 300 s; SIGTERM/SIGINT kill it (default action). leaktrace -p on it must fail
 * with a message that points at --lib. Takes no arguments. */
#include <asm/unistd.h>

#if defined(__x86_64__)
__asm__(".globl _start\n"
	"_start:\n"
	"	xor %rbp, %rbp\n"
	"	and $-16, %rsp\n"
	"	call nolibc_main\n"
	"	hlt\n");

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
__asm__(".globl _start\n"
	"_start:\n"
	"	mov x29, #0\n"
	"	mov x30, #0\n"
	"	bl nolibc_main\n"
	"1:	b 1b\n");

static long sys3(long nr, long a, long b, long c)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}
#else
#error "static_noalloc: add _start and a syscall stub for this architecture"
#endif

struct nolibc_timespec {
	long tv_sec;
	long tv_nsec;
};

void nolibc_main(void);

void nolibc_main(void)
{
	char buf[32] = "ready ";
	char digits[16];
	int len = 6, nd = 0;
	long pid = sys3(__NR_getpid, 0, 0, 0);
	struct nolibc_timespec ts = { 0, 100 * 1000 * 1000 };

	do {
		digits[nd++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid > 0);
	while (nd > 0)
		buf[len++] = digits[--nd];
	buf[len++] = '\n';
	sys3(__NR_write, 1, (long)buf, len);
	for (int i = 0; i < 3000; i++)
		sys3(__NR_nanosleep, (long)&ts, 0, 0);
	sys3(__NR_exit_group, 0, 0, 0);
}
