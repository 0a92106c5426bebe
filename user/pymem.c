// SPDX-License-Identifier: GPL-2.0-only
/* A direct-mapped cache of 16 KiB chunks of another process's memory. A chunk
 * that crosses the end of a mapping keeps the part that could be read; bytes
 * past it are read on their own, uncached, so an object at the edge of a
 * mapping is still readable. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "procmem.h"
#include "pymem.h"

#define CHUNK_SHIFT 14
#define CHUNK_SIZE (1u << CHUNK_SHIFT)

struct chunk {
	__u64 base;  /* chunk-aligned address; 0: empty */
	__u32 valid; /* bytes from base that were read */
	unsigned char data[CHUNK_SIZE];
};

struct pymem {
	pid_t pid;
	size_t nr; /* a power of two */
	struct chunk *chunks;
	__u64 copied;
};

struct pymem *pymem__new(pid_t pid, unsigned int chunks_log2)
{
	struct pymem *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->pid = pid;
	m->nr = (size_t)1 << chunks_log2;
	m->chunks = calloc(m->nr, sizeof(*m->chunks));
	if (!m->chunks) {
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	return m;
}

void pymem__free(struct pymem *m)
{
	if (!m)
		return;
	free(m->chunks);
	free(m);
}

void pymem__reset(struct pymem *m)
{
	for (size_t i = 0; i < m->nr; i++)
		m->chunks[i].base = 0;
}

static int fill(struct pymem *m, struct chunk *c, __u64 base)
{
	struct iovec local = { .iov_base = c->data, .iov_len = CHUNK_SIZE };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)base, .iov_len = CHUNK_SIZE };
	ssize_t got = process_vm_readv(m->pid, &local, 1, &remote, 1, 0);

	if (got < 0 && errno == ESRCH)
		return -ESRCH;
	c->base = base;
	c->valid = got > 0 ? (__u32)got : 0;
	m->copied += c->valid;
	return 0;
}

int pymem__read(struct pymem *m, __u64 addr, void *buf, size_t len)
{
	unsigned char *out = buf;

	if (!addr || addr + len < addr)
		return -EFAULT;
	while (len) {
		__u64 base = addr & ~(__u64)(CHUNK_SIZE - 1), off = addr - base;
		struct chunk *c = &m->chunks[(base >> CHUNK_SHIFT) & (m->nr - 1)];
		size_t n = CHUNK_SIZE - off < len ? CHUNK_SIZE - off : len;
		int err;

		if (c->base != base) {
			err = fill(m, c, base);
			if (err)
				return err;
		}
		if (off + n <= c->valid) {
			memcpy(out, c->data + off, n);
		} else {
			/* past what the chunk read: the mapping ends inside it */
			err = procmem__read(m->pid, addr, out, n);
			if (err)
				return err == -ESRCH ? err : -EFAULT;
			m->copied += n;
		}
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}

int pymem__word(struct pymem *m, __u64 addr, __u64 *out)
{
	return pymem__read(m, addr, out, sizeof(*out));
}

int pymem__string(struct pymem *m, __u64 addr, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return -EINVAL;
	/* by pieces, so that a short string at the end of a mapping reads */
	while (n + 1 < len) {
		size_t piece = len - 1 - n < 32 ? len - 1 - n : 32;
		int err = pymem__read(m, addr + n, buf + n, piece);
		void *nul;

		if (err) {
			buf[n] = 0;
			return err;
		}
		nul = memchr(buf + n, 0, piece);
		if (nul)
			return (int)((char *)nul - buf);
		n += piece;
	}
	buf[n] = 0;
	return (int)n;
}

__u64 pymem__copied(const struct pymem *m)
{
	return m->copied;
}
