// SPDX-License-Identifier: GPL-2.0-only
/* Opening files that a traced process names. Everything that could block
 * (the path walk, stat, open, statfs on a file system a user serves) happens
 * on a short-lived thread that the caller waits for with a bound; a thread
 * that never returns is left behind, and closes what it opened if it ever
 * does. Nothing is opened before stat says it is a regular file, so no
 * device is opened for its side effects and no FIFO for its blocking. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "safeopen.h"

#define OPEN_TIMEOUT_MS 2000
#define FUSE_SUPER_MAGIC 0x65735546
#define MAX_STALLED 64

/* Where an open timed out: "/proc/N/" for a process's files, else the
 * directory. Later opens there fail at once, so that one process's stalled
 * file system costs the reports one wait, not one per file or per lookup. */
static struct {
	pthread_mutex_t lock;
	char keys[MAX_STALLED][64];
	unsigned int next;
} stalled = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void stall_key(const char *path, char *key, size_t len)
{
	const char *end = NULL, *p = path + 6;

	if (!strncmp(path, "/proc/", 6) && *p >= '0' && *p <= '9') {
		while (*p >= '0' && *p <= '9')
			p++;
		end = *p == '/' ? p + 1 : NULL;
	}
	if (!end)
		end = strrchr(path, '/');
	snprintf(key, len, "%.*s", end ? (int)(end - path) : 0, path);
}

static bool is_stalled(const char *key, bool add)
{
	bool found = false;

	pthread_mutex_lock(&stalled.lock);
	for (unsigned int i = 0; i < MAX_STALLED && !found; i++)
		found = stalled.keys[i][0] && !strcmp(stalled.keys[i], key);
	if (!found && add)
		snprintf(stalled.keys[stalled.next++ % MAX_STALLED], sizeof(stalled.keys[0]), "%s",
			 key);
	pthread_mutex_unlock(&stalled.lock);
	return found;
}

struct open_job {
	pthread_mutex_t lock;
	pthread_cond_t done_cv;
	char *path;
	int fd; /* or a negative errno */
	bool done;
	bool abandoned; /* the caller stopped waiting: the thread frees the job */
};

/* The kernel's own links under /proc, which name exactly the file a process
 * maps or runs: /proc/N/exe, /proc/N/map_files/A-B, /proc/N/fd/M. Any other
 * symbolic link in the last component could point anywhere. */
static bool is_proc_link(const char *path)
{
	const char *p;

	if (strncmp(path, "/proc/", 6))
		return false;
	p = path + 6;
	if (!strncmp(p, "self/", 5))
		p += 5;
	else {
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p++ != '/')
			return false;
	}
	return !strcmp(p, "exe") || !strncmp(p, "map_files/", 10) || !strncmp(p, "fd/", 3);
}

static int open_checked(const char *path)
{
	bool follow = is_proc_link(path);
	struct stat before, st;
	struct statfs fs;
	int fd, err;

	if ((follow ? stat(path, &before) : lstat(path, &before)) < 0)
		return -errno;
	if (S_ISLNK(before.st_mode))
		return -ELOOP;
	if (S_ISDIR(before.st_mode))
		return -EISDIR;
	if (!S_ISREG(before.st_mode))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return errno == ELOOP && !follow ? -ELOOP : -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	/* replaced between the two looks */
	if (!S_ISREG(st.st_mode) || st.st_dev != before.st_dev || st.st_ino != before.st_ino) {
		err = -EINVAL;
		goto fail;
	}
	if ((unsigned long long)st.st_size > LT_MAX_FILE_SIZE) {
		err = -EFBIG;
		goto fail;
	}
	/* reads would go to a daemon that any user may run, and stall */
	if (fstatfs(fd, &fs) == 0 && (unsigned long)fs.f_type == FUSE_SUPER_MAGIC) {
		err = -EREMOTE;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return err;
}

static void job_free(struct open_job *j)
{
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->done_cv);
	free(j->path);
	free(j);
}

static void *open_worker(void *arg)
{
	struct open_job *j = arg;
	int fd = open_checked(j->path);
	bool abandoned;

	pthread_mutex_lock(&j->lock);
	abandoned = j->abandoned;
	j->fd = fd;
	j->done = true;
	pthread_cond_signal(&j->done_cv);
	pthread_mutex_unlock(&j->lock);
	if (abandoned) {
		if (fd >= 0)
			close(fd);
		job_free(j);
	}
	return NULL;
}

int lt_open_untrusted(const char *path)
{
	struct open_job *j;
	pthread_condattr_t ca;
	struct timespec until;
	pthread_attr_t attr;
	pthread_t thread;
	char key[64];
	int fd, rc = 0;

	stall_key(path, key, sizeof(key));
	if (is_stalled(key, false))
		return -ETIMEDOUT;
	j = calloc(1, sizeof(*j));
	if (!j || !(j->path = strdup(path))) {
		free(j);
		return -ENOMEM;
	}
	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, open_worker, j)) {
		/* no thread: still nothing that blocks but a stalled file system */
		pthread_attr_destroy(&attr);
		fd = open_checked(path);
		job_free(j);
		return fd;
	}
	pthread_attr_destroy(&attr);

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += OPEN_TIMEOUT_MS / 1000;
	until.tv_nsec += (OPEN_TIMEOUT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->lock);
	while (!j->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&j->done_cv, &j->lock, &until);
	if (!j->done) {
		j->abandoned = true;
		pthread_mutex_unlock(&j->lock);
		is_stalled(key, true);
		return -ETIMEDOUT;
	}
	fd = j->fd;
	pthread_mutex_unlock(&j->lock);
	job_free(j);
	return fd;
}

const char *lt_open_strerror(int err)
{
	switch (-err) {
	case ELOOP:
		return "a symbolic link, which is not followed";
	case EINVAL:
		return "not a regular file";
	case EFBIG:
		return "larger than leaktrace reads";
	case EREMOTE:
		return "on a FUSE file system, whose daemon could stall every read";
	case ETIMEDOUT:
		return "opening it, or another file of the same process or directory, did not "
		       "finish in time";
	default:
		return strerror(-err);
	}
}
