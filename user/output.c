// SPDX-License-Identifier: GPL-2.0-only
/* The -o file. In a directory where anyone may create files but only their
 * owner may remove them (mode 1777, as /tmp), another user can leave a link
 * to a file of root's, or a file of theirs, under the name root is about to
 * write: what is there is used only if root or the directory's owner made
 * it. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "output.h"
#include "log.h"

/* The directory that holds @path, if it is sticky and world-writable. */
static bool in_shared_dir(const char *path, struct stat *dir)
{
	char copy[PATH_MAX];

	if ((size_t)snprintf(copy, sizeof(copy), "%s", path) >= sizeof(copy) ||
	    stat(dirname(copy), dir))
		return false;
	return (dir->st_mode & S_ISVTX) && (dir->st_mode & S_IWOTH);
}

static bool planted(const struct stat *st, const struct stat *dir)
{
	return st->st_uid != geteuid() && st->st_uid != dir->st_uid;
}

FILE *output__open(const char *path, char *why, size_t len)
{
	int flags = O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, fd, err;
	struct stat st, dir;
	bool shared = in_shared_dir(path, &dir);
	FILE *f;

	snprintf(why, len, "%s", "");
	fd = open(path, flags | O_NOFOLLOW, 0644);
	/* ELOOP, or EACCES where the kernel protects symbolic links itself */
	if (fd < 0 && !lstat(path, &st) && S_ISLNK(st.st_mode)) {
		if (shared && planted(&st, &dir)) {
			snprintf(why, len,
				 "it is a symbolic link of uid %u in a world-writable sticky "
				 "directory, which could point at any file of root's; remove it "
				 "or write elsewhere",
				 (unsigned int)st.st_uid);
			errno = ELOOP;
			return NULL;
		}
		fd = open(path, flags, 0644);
	}
	if (fd < 0) {
		err = errno;
		if (err == ENXIO)
			snprintf(why, len, "it is a FIFO that nobody reads");
		errno = err;
		return NULL;
	}
	if (fstat(fd, &st)) {
		err = errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		err = EISDIR;
		goto fail;
	}
	if (S_ISREG(st.st_mode) && shared && (planted(&st, &dir) || st.st_nlink > 1)) {
		snprintf(why, len,
			 "it is %s in a world-writable sticky directory; remove it or write "
			 "elsewhere",
			 st.st_nlink > 1 ? "a hard link" : "another user's file");
		err = EPERM;
		goto fail;
	}
	/* truncated only now: O_TRUNC would have cut what a link pointed at */
	if (S_ISREG(st.st_mode) && ftruncate(fd, 0)) {
		err = errno;
		goto fail;
	}
	/* writes wait for a slow reader, as they would to stdout */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	f = fdopen(fd, "w");
	if (f)
		return f;
	err = errno;
fail:
	close(fd);
	errno = err;
	return NULL;
}

int output__open_said(const char *path, FILE **f)
{
	char why[256];

	if (!path)
		return 0;
	*f = output__open(path, why, sizeof(why));
	if (*f)
		return 0;
	lt_error("cannot write %s: %s", path, why[0] ? why : strerror(errno));
	return -1;
}
