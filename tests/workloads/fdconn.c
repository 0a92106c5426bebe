/* SPDX-License-Identifier: GPL-2.0-only */
/* The classic pattern: an object created and closed in a loop, whose close
 * path forgets a descriptor in one code path and a mapping in another. A
 * struct conn holds a socket, a file, an eventfd and a 2-page anonymous
 * mapping. Each iteration serves CONN_OK connections correctly
 * (serve_ok -> conn_close), one through serve_fdleak, whose close path
 * forgets close(c->efd), and one through serve_mapleak, whose close path
 * forgets munmap(c->buf). So, per iteration:
 *
 *   site (frame 0, frame 1)       kind  grows by
 *   conn_open eventfd, serve_fdleak   fd    1
 *   conn_open mmap, serve_mapleak     mmap  8192 bytes
 *   every other stack                 -     0
 *
 *   fdconn [--iterations N | --seconds S]   (20 ms an iteration)
 *
 * stdout: only "ready <pid>". */
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include "wl.h"

#define CONN_OK 4
#define BUF_SIZE (2 * 4096)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

struct conn {
	int sock;
	int file;
	int efd;
	void *buf;
};

static void die(const char *what)
{
	wl_write(STDERR_FILENO, what, strlen(what));
	exit(1);
}

__attribute__((noinline)) static void conn_open(struct conn *c)
{
	c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);	    /* LEAK:conn_sock */
	c->file = open("/dev/null", O_RDONLY | O_CLOEXEC);		    /* LEAK:conn_file */
	c->efd = eventfd(0, EFD_CLOEXEC);				    /* LEAK:conn_efd */
	c->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, ANON, -1, 0); /* LEAK:conn_buf */
	if (c->sock < 0 || c->file < 0 || c->efd < 0 || c->buf == MAP_FAILED)
		die("fdconn: cannot open a conn\n");
	memset(c->buf, 1, BUF_SIZE);
}

__attribute__((noinline)) static void conn_close(struct conn *c)
{
	close(c->sock);
	close(c->file);
	close(c->efd);
	munmap(c->buf, BUF_SIZE);
}

/* The close path of a connection that failed: forgets the eventfd. */
__attribute__((noinline)) static void conn_abort(struct conn *c)
{
	close(c->sock);
	close(c->file);
	munmap(c->buf, BUF_SIZE);
}

/* The close path of a connection handed over: forgets the buffer. */
__attribute__((noinline)) static void conn_detach(struct conn *c)
{
	close(c->sock);
	close(c->file);
	close(c->efd);
}

__attribute__((noinline)) static void serve_ok(void)
{
	struct conn c;

	conn_open(&c);
	conn_close(&c);
}

__attribute__((noinline)) static void serve_fdleak(void)
{
	struct conn c;

	conn_open(&c);
	conn_abort(&c);
}

__attribute__((noinline)) static void serve_mapleak(void)
{
	struct conn c;

	conn_open(&c);
	conn_detach(&c);
}

int main(int argc, char **argv)
{
	struct wl_loop loop;
	long done = 0;

	wl_loop_args(argc, argv, &loop);
	wl_signals();
	wl_ready();
	while (wl_loop_more(&loop, done)) {
		for (int i = 0; i < CONN_OK; i++)
			serve_ok();
		serve_fdleak();
		serve_mapleak();
		done++;
		wl_sleep_ms(20);
	}
	return 0;
}
