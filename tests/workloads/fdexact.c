/* SPDX-License-Identifier: GPL-2.0-only */
/* Exactness of source fd: each call that makes descriptors, from its own
 * function, leaving a known number open at each site (run it as
 * `leaktrace --sources fd -- fdexact`, so every call is seen):
 *
 *   site (frame 0)        count
 *   site_range_victims    0   3 opened, then close_range(first, ~0U)
 *   site_pipe             2   pipe(), both ends kept
 *   site_pipe2_closed     0   pipe2(), both ends closed
 *   site_socketpair       2   socketpair(), both kept
 *   site_dup2_victim      0   opened, then replaced by dup2() onto its number
 *   site_dup2             1   dup2() over the open victim
 *   site_dup2_same        0   dup2(fd, fd): nothing made
 *   site_dup3             1   dup3() onto a free number
 *   site_dup              1
 *   site_fcntl_dupfd      1   F_DUPFD_CLOEXEC (and an F_GETFD that makes nothing)
 *   site_openat           1
 *   site_creat            1
 *   site_eventfd          1
 *   site_memfd            1
 *   site_epoll            1
 *   site_timerfd          1
 *   site_signalfd         1
 *   site_inotify          1
 *   site_pidfd            1   pidfd_open through syscall()
 *   site_listen           1   the listening socket
 *   site_connect          1   the connecting socket
 *   site_accept           1   accept4()
 *   site_closed_loop      0   100 open+close pairs
 *
 * Then it sleeps HOLD_MS (argv[1], else $HOLD_MS, else 1500 ms) and exits
 * with every kept descriptor open.
 *
 *   fdexact [HOLD_MS]
 *
 * stdout: only "ready <pid>", printed after the calls. */
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <linux/close_range.h>
#include "wl.h"

static int check(int fd, const char *what)
{
	if (fd < 0) {
		wl_write(STDERR_FILENO, what, strlen(what));
		wl_write(STDERR_FILENO, ": failed\n", 9);
		exit(1);
	}
	return fd;
}

__attribute__((noinline)) static int site_range_victims(void)
{
	return check(open("/dev/null", O_RDONLY), "open"); /* LEAK:site_range_victims */
}

__attribute__((noinline)) static void site_pipe(void)
{
	int p[2];

	check(pipe(p), "pipe"); /* LEAK:site_pipe */
}

__attribute__((noinline)) static void site_pipe2_closed(void)
{
	int p[2];

	check(pipe2(p, O_CLOEXEC), "pipe2"); /* LEAK:site_pipe2_closed */
	close(p[0]);
	close(p[1]);
}

__attribute__((noinline)) static void site_socketpair(void)
{
	int sv[2];

	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair"); /* LEAK:site_socketpair */
}

__attribute__((noinline)) static int site_dup2_victim(void)
{
	return check(open("/dev/null", O_RDONLY), "open"); /* LEAK:site_dup2_victim */
}

__attribute__((noinline)) static void site_dup2(int from, int onto)
{
	check(dup2(from, onto), "dup2"); /* LEAK:site_dup2 */
}

__attribute__((noinline)) static void site_dup2_same(int fd)
{
	check(dup2(fd, fd), "dup2 same"); /* LEAK:site_dup2_same */
}

__attribute__((noinline)) static void site_dup3(int from)
{
	check(dup3(from, 200, O_CLOEXEC), "dup3"); /* LEAK:site_dup3 */
}

__attribute__((noinline)) static void site_dup(int from)
{
	check(dup(from), "dup"); /* LEAK:site_dup */
}

__attribute__((noinline)) static void site_fcntl_dupfd(int from)
{
	check(fcntl(from, F_DUPFD_CLOEXEC, 10), "fcntl"); /* LEAK:site_fcntl_dupfd */
	check(fcntl(from, F_GETFD), "fcntl getfd");
}

__attribute__((noinline)) static void site_openat(void)
{
	check(openat(AT_FDCWD, "/dev/null", O_RDONLY), "openat"); /* LEAK:site_openat */
}

__attribute__((noinline)) static void site_creat(const char *path)
{
	check(creat(path, 0600), "creat"); /* LEAK:site_creat */
}

__attribute__((noinline)) static void site_eventfd(void)
{
	check(eventfd(0, 0), "eventfd"); /* LEAK:site_eventfd */
}

__attribute__((noinline)) static void site_memfd(void)
{
	check(memfd_create("fdexact", 0), "memfd_create"); /* LEAK:site_memfd */
}

__attribute__((noinline)) static void site_epoll(void)
{
	check(epoll_create1(0), "epoll_create1"); /* LEAK:site_epoll */
}

__attribute__((noinline)) static void site_timerfd(void)
{
	check(timerfd_create(CLOCK_MONOTONIC, 0), "timerfd_create"); /* LEAK:site_timerfd */
}

__attribute__((noinline)) static void site_signalfd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	check(signalfd(-1, &mask, 0), "signalfd"); /* LEAK:site_signalfd */
}

__attribute__((noinline)) static void site_inotify(void)
{
	check(inotify_init1(0), "inotify_init1"); /* LEAK:site_inotify */
}

__attribute__((noinline)) static void site_pidfd(void)
{
	check(syscall(SYS_pidfd_open, getpid(), 0), "pidfd_open"); /* LEAK:site_pidfd */
}

__attribute__((noinline)) static int site_listen(void)
{
	return check(socket(AF_UNIX, SOCK_STREAM, 0), "socket"); /* LEAK:site_listen */
}

__attribute__((noinline)) static int site_connect(void)
{
	return check(socket(AF_UNIX, SOCK_STREAM, 0), "socket"); /* LEAK:site_connect */
}

__attribute__((noinline)) static void site_accept(int lfd)
{
	check(accept4(lfd, NULL, NULL, SOCK_CLOEXEC), "accept4"); /* LEAK:site_accept */
}

__attribute__((noinline)) static void site_closed_loop(void)
{
	for (int i = 0; i < 100; i++)
		close(check(open("/dev/null", O_RDONLY), "open")); /* LEAK:site_closed_loop */
}

static void accept_one(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int lfd = site_listen(), cfd = site_connect();

	/* an abstract address: nothing to clean up */
	snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "leaktrace-fdexact-%d", getpid());
	check(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), "bind");
	check(listen(lfd, 1), "listen");
	check(connect(cfd, (struct sockaddr *)&addr, sizeof(addr)), "connect");
	site_accept(lfd);
}

int main(int argc, char **argv)
{
	long hold_ms = wl_ms(argc, argv, 1, "HOLD_MS", 1500);
	char path[64];
	int first, victim, fd;

	wl_signals();
	first = site_range_victims();
	site_range_victims();
	site_range_victims();
	check(syscall(SYS_close_range, first, ~0U, 0), "close_range");

	site_pipe();
	site_pipe2_closed();
	site_socketpair();
	fd = check(open("/dev/zero", O_RDONLY), "open"); /* closed at the end */
	victim = site_dup2_victim();
	site_dup2(fd, victim);
	site_dup2_same(fd);
	site_dup3(fd);
	site_dup(fd);
	site_fcntl_dupfd(fd);
	site_openat();
	snprintf(path, sizeof(path), "/tmp/leaktrace-fdexact-%d", getpid());
	site_creat(path);
	unlink(path);
	site_eventfd();
	site_memfd();
	site_epoll();
	site_timerfd();
	site_signalfd();
	site_inotify();
	site_pidfd();
	accept_one();
	site_closed_loop();
	close(fd);

	wl_ready();
	wl_sleep_ms(hold_ms);
	return 0;
}
