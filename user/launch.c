// SPDX-License-Identifier: GPL-2.0-only
/* The launched command's process: fork, hold, release, wait, end. The child
 * learns "go" from one pipe and reports a failed exec through another, which
 * exec closes (O_CLOEXEC) when it succeeds. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "launch.h"

struct launch {
	pid_t pid;
	int go_fd;  /* write end: one byte releases the child */
	int err_fd; /* read end: the errno of a failed exec */
	bool exited;
	int status; /* its wait status, once exited */
};

static void __attribute__((noreturn)) child_main(char **argv, int go_fd, int err_fd)
{
	sigset_t none;
	char c;
	int err;

	/* The parent may block signals it reads from a signalfd: the command
	 * must start with the defaults. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (read(go_fd, &c, 1) != 1)
		_exit(127);
	close(go_fd);
	execvp(argv[0], argv);
	err = errno;
	if (write(err_fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

struct launch *launch__new(char **argv)
{
	struct launch *l = calloc(1, sizeof(*l));
	int go[2] = { -1, -1 }, errp[2] = { -1, -1 }, err;

	if (!l)
		return NULL;
	if (pipe2(go, O_CLOEXEC) || pipe2(errp, O_CLOEXEC))
		goto fail;
	l->pid = fork();
	if (l->pid < 0)
		goto fail;
	if (l->pid == 0) {
		close(go[1]);
		close(errp[0]);
		child_main(argv, go[0], errp[1]);
	}
	close(go[0]);
	close(errp[1]);
	l->go_fd = go[1];
	l->err_fd = errp[0];
	return l;
fail:
	err = errno;
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	free(l);
	errno = err;
	return NULL;
}

pid_t launch__pid(const struct launch *l)
{
	return l->pid;
}

int launch__release(struct launch *l)
{
	char go = 1;

	if (write(l->go_fd, &go, 1) != 1)
		return -errno;
	close(l->go_fd);
	l->go_fd = -1;
	return 0;
}

int launch__wait_stop(struct launch *l, int *exec_err)
{
	int status, err = 0;

	*exec_err = 0;
	for (;;) {
		pid_t r = waitpid(l->pid, &status, WUNTRACED);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (WIFSTOPPED(status))
			return 1;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			l->exited = true;
			l->status = status;
			if (read(l->err_fd, &err, sizeof(err)) == sizeof(err))
				*exec_err = err;
			return 0;
		}
	}
}

bool launch__reap(struct launch *l)
{
	int status;

	if (l->exited)
		return true;
	while (waitpid(l->pid, &status, WNOHANG) == l->pid)
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			l->exited = true;
			l->status = status;
		}
	return l->exited;
}

bool launch__status(const struct launch *l, int *wstatus)
{
	if (l && l->exited)
		*wstatus = l->status;
	return l && l->exited;
}

void launch__terminate(struct launch *l, int sig, int grace_ms)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	if (launch__reap(l))
		return;
	kill(l->pid, sig);
	kill(l->pid, SIGCONT);
	for (int waited = 0; waited < grace_ms; waited += 20) {
		if (launch__reap(l))
			return;
		nanosleep(&tick, NULL);
	}
	kill(l->pid, SIGKILL);
	while (!launch__reap(l))
		nanosleep(&tick, NULL);
}

void launch__free(struct launch *l)
{
	if (!l)
		return;
	if (l->go_fd >= 0)
		close(l->go_fd);
	if (!launch__reap(l))
		launch__terminate(l, SIGKILL, 0);
	close(l->err_fd);
	free(l);
}
