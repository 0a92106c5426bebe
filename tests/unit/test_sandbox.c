// SPDX-License-Identifier: GPL-2.0-only
/* Tests the sandbox leaktrace enters after setup, in a child process that
 * enters it: what the filter forbids fails with EPERM (openat2 and clone3
 * with ENOSYS, for libc to fall back), what leaktrace still does works, and
 * /proc says no_new_privs and seccomp filter mode. No root needed: the
 * filter and no_new_privs need none, and dropping capabilities one does
 * not have is no error. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "sandbox.h"
#include "ut.h"

static char path[64];

/* Each returns 0 if the call worked, else its errno. */
static int err_of(long ret)
{
	return ret < 0 ? errno : 0;
}

static int open_create(void)
{
	return err_of(open(path, O_WRONLY | O_CREAT, 0600));
}

static int open_rdwr(void)
{
	return err_of(open("/dev/null", O_RDWR));
}

static int openat_trunc(void)
{
	return err_of(openat(AT_FDCWD, "/dev/null", O_RDONLY | O_TRUNC));
}

static int fopen_w(void)
{
	return fopen("/dev/null", "w") ? 0 : errno;
}

static int open_read(void)
{
	int fd = openat(AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int openat2_call(void)
{
	struct {
		__u64 flags, mode, resolve;
	} how = { .flags = O_RDONLY };

	return err_of(syscall(SYS_openat2, AT_FDCWD, "/dev/null", &how, sizeof(how)));
}

static int exec_true(void)
{
	char *argv[] = { "true", NULL }, *envp[] = { NULL };

	return err_of(execve("/bin/true", argv, envp));
}

static int mkdir_call(void)
{
	return err_of(mkdir(path, 0700));
}

static int socket_call(void)
{
	return err_of(socket(AF_UNIX, SOCK_STREAM, 0));
}

static int unshare_user(void)
{
	return err_of(unshare(CLONE_NEWUSER));
}

static int vm_write_self(void)
{
	char buf[8] = { 0 }, dst[8];
	struct iovec local = { buf, sizeof(buf) }, remote = { dst, sizeof(dst) };

	return err_of(process_vm_writev(getpid(), &local, 1, &remote, 1, 0));
}

static int vm_read_self(void)
{
	char buf[8], src[8] = "leaktrc";
	struct iovec local = { buf, sizeof(buf) }, remote = { src, sizeof(src) };

	return err_of(process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
}

static int kill_parent(void)
{
	return err_of(kill(getppid(), SIGCONT));
}

static int probe_parent(void)
{
	return err_of(kill(getppid(), 0));
}

/* high bits the kernel drops from an int must not slip a call past */
static int bpf_prog_load_high(void)
{
	return err_of(syscall(SYS_bpf, (1ULL << 32) | BPF_PROG_LOAD, NULL, 0));
}

static int tiocsti_high(void)
{
	char c = 'x';

	return err_of(syscall(SYS_ioctl, 0, (1ULL << 32) | TIOCSTI, &c));
}

static void *nothing(void *arg)
{
	return arg;
}

static int thread_call(void)
{
	pthread_t th;
	int err = pthread_create(&th, NULL, nothing, NULL);

	if (!err)
		pthread_join(th, NULL);
	return err;
}

static int status_field(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t len = strlen(key);
	int v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':')
			v = atoi(line + len + 1);
	if (f)
		fclose(f);
	return v;
}

static int seccomp_mode(void)
{
	return status_field("Seccomp");
}

static int no_new_privs(void)
{
	return status_field("NoNewPrivs");
}

static const struct {
	const char *what;
	int (*run)(void);
	int want;
} checks[] = {
	{ "open O_WRONLY|O_CREAT", open_create, EPERM },
	{ "open O_RDWR", open_rdwr, EPERM },
	{ "openat O_TRUNC", openat_trunc, EPERM },
	{ "fopen \"w\"", fopen_w, EPERM },
	{ "openat O_RDONLY works", open_read, 0 },
	{ "openat2 is missing", openat2_call, ENOSYS },
	{ "execve", exec_true, EPERM },
	{ "mkdir", mkdir_call, EPERM },
	{ "socket", socket_call, EPERM },
	{ "unshare CLONE_NEWUSER", unshare_user, EPERM },
	{ "process_vm_writev", vm_write_self, EPERM },
	{ "process_vm_readv works", vm_read_self, 0 },
	{ "a signal to another process", kill_parent, EPERM },
	{ "signal 0 to another process works", probe_parent, 0 },
	{ "bpf BPF_PROG_LOAD with high bits", bpf_prog_load_high, EPERM },
	{ "ioctl TIOCSTI with high bits", tiocsti_high, EPERM },
	{ "a thread starts (clone3 -> clone)", thread_call, 0 },
	{ "Seccomp: 2 in /proc/self/status", seccomp_mode, 2 },
	{ "NoNewPrivs: 1 in /proc/self/status", no_new_privs, 1 },
};

#define NR_CHECKS (sizeof(checks) / sizeof(checks[0]))

int main(void)
{
	int fds[2], results[NR_CHECKS + 1], status = -1;
	ssize_t got = 0;
	pid_t child;

	snprintf(path, sizeof(path), "/tmp/leaktrace-test-sandbox-%d", (int)getpid());
	UT_CHECK(!pipe(fds), "pipe");
	fflush(stdout);
	child = fork();
	if (child == 0) {
		close(fds[0]);
		results[0] = sandbox__enter(&(struct sandbox_needs){ 0 });
		for (size_t i = 0; i < NR_CHECKS; i++)
			results[i + 1] = checks[i].run();
		if (write(fds[1], results, sizeof(results)) != sizeof(results))
			_exit(2);
		/* _exit: no atexit handlers (LeakSanitizer's) under the filter */
		_exit(0);
	}
	close(fds[1]);
	while (child > 0 && got < (ssize_t)sizeof(results)) {
		ssize_t n = read(fds[0], (char *)results + got, sizeof(results) - got);

		if (n <= 0)
			break;
		got += n;
	}
	if (child > 0)
		waitpid(child, &status, 0);
	UT_CHECK(got == sizeof(results) && status == 0, "the child ran every check (status %#x)",
		 status);
	if (got != sizeof(results))
		return ut_done();
	/* without CAP_SETPCAP the bounding set stays, and it says so */
	if (geteuid() == 0)
		UT_EQ_INT(results[0], 0, "sandbox__enter");
	else
		UT_CHECK(results[0] == 0 || results[0] == -EPERM, "sandbox__enter: %d", results[0]);
	for (size_t i = 0; i < NR_CHECKS; i++)
		UT_EQ_INT(results[i + 1], checks[i].want, checks[i].what);
	UT_CHECK(access(path, F_OK) && errno == ENOENT, "%s was not made", path);
	unlink(path);
	rmdir(path);
	return ut_done();
}
