// SPDX-License-Identifier: GPL-2.0-only
/* The ranges in an array sorted by start: a lookup is a binary search; an
 * insert or a removal moves the tail of the array, which the kernel keeps
 * short (a process has at most vm.max_map_count mappings, 65530 by
 * default). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "ranges.h"

struct ranges {
	struct range *v; /* sorted by start, disjoint */
	size_t nr, cap;
};

struct ranges *ranges__new(void)
{
	return calloc(1, sizeof(struct ranges));
}

void ranges__free(struct ranges *r)
{
	if (!r)
		return;
	free(r->v);
	free(r);
}

/* Index of the first range that ends after @addr. */
static size_t lower(const struct ranges *r, __u64 addr)
{
	size_t lo = 0, hi = r->nr;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int insert_at(struct ranges *r, size_t i, const struct range *reg)
{
	if (ARRAY_RESERVE(r->v, r->cap, r->nr + 1))
		return -ENOMEM;
	memmove(&r->v[i + 1], &r->v[i], (r->nr - i) * sizeof(*r->v));
	r->v[i] = *reg;
	r->nr++;
	return 0;
}

int ranges__add(struct ranges *r, __u64 start, __u64 end, __u64 tag)
{
	struct range reg = { .start = start, .end = end, .tag = tag };
	size_t i;

	if (start >= end)
		return -EINVAL;
	i = lower(r, start);
	if (i < r->nr && r->v[i].start < end)
		return -EEXIST;
	return insert_at(r, i, &reg);
}

int ranges__remove(struct ranges *r, __u64 start, __u64 end, ranges_cut_fn cut, void *ctx)
{
	size_t i;
	int err = 0;

	/* Holds no address, but would split the range around it in two. */
	if (start >= end)
		return 0;
	for (i = lower(r, start); i < r->nr && r->v[i].start < end;) {
		struct range *reg = &r->v[i];
		__u64 lo = reg->start > start ? reg->start : start;
		__u64 hi = reg->end < end ? reg->end : end;
		__u64 tag = reg->tag;
		bool last = false;
		int pieces = 0;

		if (reg->start < start && reg->end > end) {
			/* A hole in the middle: the range is now two. */
			struct range right = { .start = end, .end = reg->end, .tag = reg->tag };

			reg->end = start;
			err = insert_at(r, i + 1, &right);
			pieces = err ? 0 : 1;
			last = true;
		} else if (reg->start < start) {
			reg->end = start;
			i++;
		} else if (reg->end > end) {
			reg->start = end;
			last = true;
		} else {
			memmove(reg, reg + 1, (r->nr - i - 1) * sizeof(*reg));
			r->nr--;
			pieces = -1;
		}
		if (cut)
			cut(ctx, tag, hi - lo, pieces);
		if (last)
			break;
	}
	return err;
}

const struct range *ranges__find(const struct ranges *r, __u64 addr)
{
	size_t i = lower(r, addr);

	return i < r->nr && r->v[i].start <= addr ? &r->v[i] : NULL;
}

size_t ranges__count(const struct ranges *r)
{
	return r->nr;
}

const struct range *ranges__at(const struct ranges *r, size_t i)
{
	return &r->v[i];
}
