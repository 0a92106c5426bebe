/* SPDX-License-Identifier: GPL-2.0-only */
/* A set of disjoint address ranges, each with a tag (for the collector, the
 * stack that mapped it): the anonymous mappings of one process, which munmap,
 * mremap and MAP_FIXED can shrink, split in two or replace in part. */
#ifndef LT_RANGES_H
#define LT_RANGES_H

#include <stddef.h>
#include <linux/types.h>

struct range {
	__u64 start, end; /* [start, end) */
	__u64 tag;
};

struct ranges;

/* What ranges__remove() did to one range it overlapped: @bytes of it went,
 * and the number of ranges with its @tag changed by @pieces: -1 when all of
 * it went, 0 when it shrank, +1 when a hole split it in two. */
typedef void (*ranges_cut_fn)(void *ctx, __u64 tag, __u64 bytes, int pieces);

/* Returns NULL with errno set. */
struct ranges *ranges__new(void);
void ranges__free(struct ranges *r); /* accepts NULL */

/* Adds [start, end) with @tag. Returns 0, -EINVAL if it is empty, -EEXIST if
 * it overlaps a range of @r (ranges__remove() that first), or -ENOMEM. */
int ranges__add(struct ranges *r, __u64 start, __u64 end, __u64 tag);

/* Takes [start, end) out of @r: the ranges inside it go, those across one of
 * its ends shrink, one around it is split in two; an empty [start, end)
 * changes nothing. Calls @cut (unless NULL)
 * once for each range it overlapped, in address order. Returns 0, or -ENOMEM
 * if a split found no memory: then the part of that range after @end is no
 * longer in @r, and is left out of what @cut is told. */
int ranges__remove(struct ranges *r, __u64 start, __u64 end, ranges_cut_fn cut, void *ctx);

/* The range that holds @addr, or NULL; valid until @r changes. */
const struct range *ranges__find(const struct ranges *r, __u64 addr);

size_t ranges__count(const struct ranges *r);
/* The @i-th range in address order, @i below ranges__count(). */
const struct range *ranges__at(const struct ranges *r, size_t i);

#endif
