// SPDX-License-Identifier: GPL-2.0-only
/* Fuzzes the naming of Python frames and types (user/pyresolve.c) and the
 * decoders it uses (user/pylayout.c: line tables, str state words, version
 * from a file name) over a random memory image of a CPython process. The
 * harness is the seam: it links in place of user/procmem.c, and its
 * procmem__readv() serves reads from the image with process_vm_readv()'s
 * rules (ranges as one stream, short at the first byte not mapped), so the
 * production reader is untouched. The input:
 *
 *	__u8 version;		CPython 3.(8 + version % 6): the layout to read with
 *	__u8 flags;		bit 0: the process exits after the first frame
 *	__le32 instr;		code unit to name the line of
 *	__le64 code, type, runtime;	addresses to name, and of _PyRuntime
 *	then segments until the end:
 *	__le64 addr; __le32 len; __u8 bytes[len];	(the last one may be short)
 *
 * Everything named must be valid UTF-8: it goes into JSON reports. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "procmem.h"
#include "pylayout.h"
#include "pyresolve.h"
#include "fuzz.h"

#define MAX_SEGS 64
#define FUZZ_PID 4242

struct seg {
	__u64 addr;
	const uint8_t *bytes;
	size_t len;
};

static struct {
	struct seg segs[MAX_SEGS];
	size_t nr;
	bool gone;
} image;

/* How many bytes from @addr on are mapped, up to @len. */
static size_t image__readable(__u64 addr, size_t len, const uint8_t **from)
{
	for (size_t i = 0; i < image.nr; i++) {
		const struct seg *s = &image.segs[i];

		if (addr >= s->addr && addr - s->addr < s->len) {
			size_t left = s->len - (addr - s->addr);

			*from = s->bytes + (addr - s->addr);
			return len < left ? len : left;
		}
	}
	return 0;
}

int procmem__readv(pid_t pid, const struct iovec *local, const struct iovec *remote,
		   unsigned long n)
{
	size_t want = 0, got = 0, li = 0, loff = 0;

	FUZZ_ASSERT(pid == FUZZ_PID);
	if (image.gone)
		return -ESRCH;
	if (n > IOV_MAX)
		return -EINVAL;
	for (unsigned long i = 0; i < n; i++) {
		if (!remote[i].iov_base && remote[i].iov_len)
			return -EFAULT;
		want += local[i].iov_len;
	}
	/* Both lists are streams: copy remote bytes into local ones in order,
	 * up to the first byte that is not mapped. */
	for (unsigned long ri = 0; ri < n; ri++) {
		__u64 addr = (uintptr_t)remote[ri].iov_base;
		size_t left = remote[ri].iov_len;

		while (left && li < n) {
			const uint8_t *from;
			size_t room = local[li].iov_len - loff, k;

			if (!room) {
				li++;
				loff = 0;
				continue;
			}
			k = image__readable(addr, left < room ? left : room, &from);
			if (!k)
				goto out;
			memcpy((uint8_t *)local[li].iov_base + loff, from, k);
			loff += k;
			addr += k;
			left -= k;
			got += k;
		}
	}
out:
	return got == want ? 0 : -EFAULT;
}

int procmem__read(pid_t pid, __u64 addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };

	return procmem__readv(pid, &local, &remote, 1);
}

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned int c = *p, n, cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (unsigned int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

static void check_frame(struct pyresolver *r, __u64 code, unsigned int instr)
{
	struct py_frame fr;

	if (pyresolver__frame(r, FUZZ_PID, code, instr, &fr))
		return;
	FUZZ_ASSERT(fr.func && fr.file && fr.line >= 0);
	FUZZ_ASSERT(utf8_valid(fr.func) && utf8_valid(fr.file));
}

/* The decoders on their own, over the start of the first segment. */
static void check_decoders(const struct py_layout *l, unsigned int instr)
{
	static const enum py_linetable fmts[] = { PY_LNOTAB, PY_LINETABLE_310, PY_LOCATIONS };
	const struct seg *s = &image.segs[0];
	unsigned int major, minor, kind;
	size_t len = s->len < 4096 ? s->len : 4096;
	bool compact, ascii;
	char name[256];
	__u32 state;

	/* any line may come out of a hostile table: what is checked is how */
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		py_line_of(fmts[i], s->bytes, len, (int)s->addr, instr);
	memcpy(&state, &s->addr, sizeof(state));
	if (py_str_state(l, state, &kind, &compact, &ascii))
		FUZZ_ASSERT((kind == 1 || kind == 2 || kind == 4) && (!ascii || kind == 1));
	/* a mapped file's name; the path names no file, so only the name counts */
	len = s->len < sizeof(name) - 1 ? s->len : sizeof(name) - 1;
	memcpy(name, s->bytes, len);
	name[len] = '\0';
	if (!py_version_of("/nonexistent-lt-fuzz/x", name, &major, &minor))
		FUZZ_ASSERT(major <= 255 && minor <= 255);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int version = fuzz_take(&data, &size, 1) % 6;
	unsigned int flags = fuzz_take(&data, &size, 1);
	unsigned int instr = fuzz_take(&data, &size, 4);
	__u64 code = fuzz_take(&data, &size, 8);
	__u64 type = fuzz_take(&data, &size, 8);
	__u64 runtime = fuzz_take(&data, &size, 8);
	const struct py_layout *l = py_layout_find(3, 8 + version);
	__u64 freed[2 * LT_PY_FREE_MAX + 1];
	struct pyresolver *r;
	const char *name;
	int n;

	FUZZ_ASSERT(l);
	image.nr = 0;
	image.gone = false;
	while (size && image.nr < MAX_SEGS) {
		struct seg *s = &image.segs[image.nr++];

		s->addr = fuzz_take(&data, &size, 8);
		s->len = fuzz_take(&data, &size, 4);
		if (s->len > size)
			s->len = size;
		s->bytes = data;
		data += s->len;
		size -= s->len;
	}
	if (!image.nr)
		return 0;
	check_decoders(l, instr);

	r = pyresolver__new();
	if (!r)
		return 0;
	if (pyresolver__add(r, FUZZ_PID, l))
		goto out;
	check_frame(r, code, instr);
	check_frame(r, code, instr + 1);
	if (flags & 1)
		image.gone = true;
	pyresolver__tick(r);
	check_frame(r, code, instr);
	name = pyresolver__type_name(r, FUZZ_PID, type);
	FUZZ_ASSERT(!name || strlen(name) <= 1024);
	n = pyresolver__free_objects(r, FUZZ_PID, runtime, freed, sizeof(freed) / sizeof(*freed));
	FUZZ_ASSERT(n <= 2 * LT_PY_FREE_MAX);
out:
	pyresolver__free(r);
	return 0;
}
