/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading another process's memory, with process_vm_readv(2). */
#ifndef LT_PROCMEM_H
#define LT_PROCMEM_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <linux/types.h>

/* Reads @n ranges of @pid into @local. Returns 0, -ESRCH if the process is
 * gone, or -EFAULT (or another negative errno) if a range could not be read
 * whole. */
int procmem__readv(pid_t pid, const struct iovec *local, const struct iovec *remote,
		   unsigned long n);

/* Reads @len bytes at @addr of @pid into @buf: 0 or a negative errno. */
int procmem__read(pid_t pid, __u64 addr, void *buf, size_t len);

#endif
