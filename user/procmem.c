// SPDX-License-Identifier: GPL-2.0-only
/* Reads another process's memory: one process_vm_readv() call for many
 * ranges, all or nothing. */
#include <errno.h>
#include <stdint.h>
#include "procmem.h"

int procmem__readv(pid_t pid, const struct iovec *local, const struct iovec *remote,
		   unsigned long n)
{
	size_t want = 0;
	ssize_t got;

	for (unsigned long i = 0; i < n; i++) {
		if (!remote[i].iov_base && remote[i].iov_len)
			return -EFAULT;
		want += local[i].iov_len;
	}
	got = process_vm_readv(pid, local, n, remote, n, 0);
	if (got < 0)
		return -errno;
	return (size_t)got == want ? 0 : -EFAULT;
}

int procmem__read(pid_t pid, __u64 addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };

	return procmem__readv(pid, &local, &remote, 1);
}
