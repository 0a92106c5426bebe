/* SPDX-License-Identifier: GPL-2.0-only */
/* What the libFuzzer harnesses share: the entry point's prototype, a check
 * that stops the run the way a sanitizer does, little-endian fields from
 * the input, and a memory file to hand fuzz bytes to code that takes a file
 * descriptor or a path. */
#ifndef LT_FUZZ_H
#define LT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the code under test promises: libFuzzer saves the input that
 * breaks it, as for a crash. */
#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Takes @n bytes off the front of the input, little-endian; 0 past its end. */
static inline uint64_t fuzz_take(const uint8_t **data, size_t *size, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (*size) {
			v |= (uint64_t) * *data << (8 * i);
			(*data)++;
			(*size)--;
		}
	}
	return v;
}

/* One memory file for the whole run, holding @len bytes of @buf: returns
 * its descriptor, or -1. */
static inline int fuzz_memfd(const void *buf, size_t len)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("lt-fuzz", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, buf, len, 0) != (ssize_t)len)
		return -1;
	return fd;
}

#endif
