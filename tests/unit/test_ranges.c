// SPDX-License-Identifier: GPL-2.0-only
/* The set of anonymous mappings of a process: adding, refusing overlaps,
 * lookups at the boundaries, and unmapping at the start, in the middle and at
 * the end of a range, across several ranges and across adjacent ones, with
 * what the collector is told about each range cut. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "ranges.h"
#include "ut.h"

#define PG 0x1000ULL

/* What ranges__remove() told, one line per range cut: "tag:bytes:pieces". */
struct cuts {
	char text[512];
};

static void record_cut(void *ctx, __u64 tag, __u64 bytes, int pieces)
{
	struct cuts *c = ctx;
	size_t n = strlen(c->text);

	snprintf(c->text + n, sizeof(c->text) - n, "%s%llu:%#llx:%+d", n ? " " : "",
		 (unsigned long long)tag, (unsigned long long)bytes, pieces);
}

/* The ranges as "start-end/tag ..." (in pages), for exact comparison. */
static const char *dump(const struct ranges *r, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < ranges__count(r) && n < len; i++) {
		const struct range *x = ranges__at(r, i);

		n += snprintf(buf + n, len - n, "%s%llx-%llx/%llu", i ? " " : "",
			      (unsigned long long)(x->start / PG),
			      (unsigned long long)(x->end / PG), (unsigned long long)x->tag);
	}
	return buf;
}

/* Removes [start, end) pages, and checks what is left and what was told. */
static void check_remove(struct ranges *r, __u64 start, __u64 end, const char *want_left,
			 const char *want_cuts, const char *what)
{
	struct cuts c = { "" };
	char buf[512];
	int err = ranges__remove(r, start * PG, end * PG, record_cut, &c);

	UT_EQ_INT(err, 0, what);
	UT_EQ_STR(dump(r, buf, sizeof(buf)), want_left, what);
	UT_EQ_STR(c.text, want_cuts, what);
}

/* A fresh set: [10, 20) tag 1, [30, 40) tag 2, [40, 50) tag 3 (pages). */
static struct ranges *three(void)
{
	struct ranges *r = ranges__new();

	if (!r)
		return NULL;
	if (ranges__add(r, 40 * PG, 50 * PG, 3) || ranges__add(r, 10 * PG, 20 * PG, 1) ||
	    ranges__add(r, 30 * PG, 40 * PG, 2)) {
		ranges__free(r);
		return NULL;
	}
	return r;
}

static void test_add(void)
{
	struct ranges *r = ranges__new();
	char buf[512];

	UT_CHECK(r != NULL, "ranges__new");
	if (!r)
		return;
	UT_EQ_INT(ranges__count(r), 0, "a new set is empty");
	UT_CHECK(ranges__find(r, 0) == NULL && ranges__find(r, ~0ULL) == NULL,
		 "an empty set holds no address");
	UT_EQ_INT(ranges__remove(r, 0, ~0ULL, NULL, NULL), 0, "removing from an empty set");
	UT_EQ_INT(ranges__add(r, 5 * PG, 5 * PG, 9), -EINVAL, "an empty range is refused");
	UT_EQ_INT(ranges__add(r, 6 * PG, 5 * PG, 9), -EINVAL, "a range ending before it starts");
	UT_EQ_INT(ranges__count(r), 0, "nothing refused was added");
	ranges__free(r);
	ranges__free(NULL);

	r = three();
	UT_CHECK(r != NULL, "three ranges added out of order");
	if (!r)
		return;
	UT_EQ_STR(dump(r, buf, sizeof(buf)), "a-14/1 1e-28/2 28-32/3",
		  "kept in address order, adjacent ones apart");
	UT_EQ_INT(ranges__add(r, 10 * PG, 20 * PG, 9), -EEXIST, "the same range again");
	UT_EQ_INT(ranges__add(r, 5 * PG, 11 * PG, 9), -EEXIST, "one over a start");
	UT_EQ_INT(ranges__add(r, 19 * PG, 25 * PG, 9), -EEXIST, "one over an end");
	UT_EQ_INT(ranges__add(r, 12 * PG, 13 * PG, 9), -EEXIST, "one inside");
	UT_EQ_INT(ranges__add(r, 0, 60 * PG, 9), -EEXIST, "one around them all");
	UT_EQ_INT(ranges__add(r, 25 * PG, 31 * PG, 9), -EEXIST, "one over two");
	UT_EQ_STR(dump(r, buf, sizeof(buf)), "a-14/1 1e-28/2 28-32/3", "overlaps change nothing");
	UT_EQ_INT(ranges__add(r, 20 * PG, 30 * PG, 4), 0, "the gap between two, exactly");
	UT_EQ_INT(ranges__add(r, 0, 10 * PG, 5), 0, "right before the first");
	UT_EQ_INT(ranges__add(r, 50 * PG, 51 * PG, 6), 0, "right after the last");
	UT_EQ_STR(dump(r, buf, sizeof(buf)), "0-a/5 a-14/1 14-1e/4 1e-28/2 28-32/3 32-33/6",
		  "adjacent ranges stay apart, each with its tag");
	ranges__free(r);
}

static void test_find(void)
{
	struct ranges *r = three();
	const struct range *x;

	if (!r) {
		UT_CHECK(0, "three()");
		return;
	}
	x = ranges__find(r, 10 * PG);
	UT_CHECK(x && x->tag == 1, "the first byte is in the range");
	x = ranges__find(r, 20 * PG - 1);
	UT_CHECK(x && x->tag == 1, "the last byte is in the range");
	UT_CHECK(ranges__find(r, 20 * PG) == NULL, "the end is not");
	UT_CHECK(ranges__find(r, 10 * PG - 1) == NULL, "the byte before the start is not");
	UT_CHECK(ranges__find(r, 25 * PG) == NULL, "a gap is not");
	UT_CHECK(ranges__find(r, 0) == NULL, "address 0 is not");
	x = ranges__find(r, 40 * PG - 1);
	UT_CHECK(x && x->tag == 2, "the last byte before an adjacent range is the first's");
	x = ranges__find(r, 40 * PG);
	UT_CHECK(x && x->tag == 3, "the end of one, the start of the adjacent, is the second's");
	x = ranges__find(r, 50 * PG - 1);
	UT_CHECK(x && x->tag == 3, "the last byte of the last range");
	UT_CHECK(ranges__find(r, 50 * PG) == NULL && ranges__find(r, ~0ULL) == NULL,
		 "past the last range");
	ranges__free(r);
}

static void test_remove(void)
{
	struct ranges *r = three();

	if (!r) {
		UT_CHECK(0, "three()");
		return;
	}
	check_remove(r, 10, 12, "c-14/1 1e-28/2 28-32/3", "1:0x2000:+0", "unmap the start");
	check_remove(r, 18, 20, "c-12/1 1e-28/2 28-32/3", "1:0x2000:+0", "unmap the end");
	check_remove(r, 14, 15, "c-e/1 f-12/1 1e-28/2 28-32/3", "1:0x1000:+1",
		     "unmap the middle: two ranges");
	check_remove(r, 20, 30, "c-e/1 f-12/1 1e-28/2 28-32/3", "", "unmap a gap: nothing");
	check_remove(r, 14, 15, "c-e/1 f-12/1 1e-28/2 28-32/3", "",
		     "unmap the hole of a split: nothing");
	check_remove(r, 15, 18, "c-e/1 1e-28/2 28-32/3", "1:0x3000:-1", "unmap one piece whole");
	check_remove(r, 35, 45, "c-e/1 1e-23/2 2d-32/3", "2:0x5000:+0 3:0x5000:+0",
		     "across two adjacent ranges: the end of one, the start of the next");
	check_remove(r, 13, 46, "c-d/1 2e-32/3", "1:0x1000:+0 2:0x5000:-1 3:0x1000:+0",
		     "across three: the middle one goes");
	check_remove(r, 0, 100, "", "1:0x1000:-1 3:0x4000:-1", "everything");
	UT_EQ_INT(ranges__count(r), 0, "nothing is left");
	UT_CHECK(ranges__find(r, 12 * PG) == NULL && ranges__find(r, 46 * PG) == NULL,
		 "and nothing is found");
	UT_EQ_INT(ranges__add(r, 12 * PG, 13 * PG, 7), 0, "an emptied set takes ranges again");
	ranges__free(r);

	r = three();
	if (!r)
		return;
	check_remove(r, 30, 40, "a-14/1 28-32/3", "2:0xa000:-1",
		     "exactly one range, beside an adjacent one");
	check_remove(r, 40, 41, "a-14/1 29-32/3", "3:0x1000:+0",
		     "the start of a range at the end of a gone one");
	ranges__free(r);
}

/* An empty (or reversed) range to remove holds no address: nothing goes,
 * and nothing is split in two, as mremap() with an old size of 0 (which
 * duplicates a shared mapping, leaving the old one) would have it. */
static void test_remove_empty(void)
{
	struct ranges *r = three();

	if (!r) {
		UT_CHECK(0, "three()");
		return;
	}
	check_remove(r, 15, 15, "a-14/1 1e-28/2 28-32/3", "", "an empty range inside a range");
	check_remove(r, 10, 10, "a-14/1 1e-28/2 28-32/3", "", "an empty range at a start");
	check_remove(r, 40, 40, "a-14/1 1e-28/2 28-32/3", "",
		     "an empty range where two ranges meet");
	check_remove(r, 16, 12, "a-14/1 1e-28/2 28-32/3", "", "a reversed range inside a range");
	ranges__free(r);
}

/* Unmapping a range with the MAP_FIXED mapping put over part of it, as the
 * collector does: remove, then add. */
static void test_replace(void)
{
	struct ranges *r = three();
	char buf[512];

	if (!r) {
		UT_CHECK(0, "three()");
		return;
	}
	ranges__remove(r, 15 * PG, 35 * PG, NULL, NULL);
	UT_EQ_INT(ranges__add(r, 15 * PG, 35 * PG, 8), 0,
		  "a mapping over the end of one and the "
		  "start of another");
	UT_EQ_STR(dump(r, buf, sizeof(buf)), "a-f/1 f-23/8 23-28/2 28-32/3",
		  "takes their place, each keeps its own tag");
	ranges__free(r);
}

/* Many ranges, added from the top down, then every other one taken out. */
static void test_many(void)
{
	const unsigned int n = 5000;
	struct ranges *r = ranges__new();
	unsigned int bad = 0, i;

	if (!r) {
		UT_CHECK(0, "ranges__new");
		return;
	}
	for (i = n; i-- > 0;)
		if (ranges__add(r, (2 * i + 1) * PG, (2 * i + 2) * PG, i))
			bad++;
	UT_EQ_INT(bad, 0, "5000 ranges added from the top down");
	UT_EQ_INT(ranges__count(r), n, "all there");
	for (i = 0; i < n; i++) {
		const struct range *x = ranges__at(r, i);
		const struct range *f = ranges__find(r, (2 * i + 1) * PG + 5);

		if (x->tag != i || x->start != (2 * i + 1) * PG || f != x ||
		    ranges__find(r, 2 * i * PG))
			bad++;
	}
	UT_EQ_INT(bad, 0, "in order, each found by an address inside, none in the gaps");
	for (i = 0; i < n; i += 2)
		ranges__remove(r, (2 * i + 1) * PG, (2 * i + 2) * PG, NULL, NULL);
	UT_EQ_INT(ranges__count(r), n / 2, "every other one removed");
	for (i = 0; i < n; i++) {
		const struct range *x = ranges__find(r, (2 * i + 1) * PG);

		if (i % 2 ? !x || x->tag != i : x != NULL)
			bad++;
	}
	UT_EQ_INT(bad, 0, "the odd ones are left");
	ranges__free(r);
}

int main(void)
{
	test_add();
	test_find();
	test_remove();
	test_remove_empty();
	test_replace();
	test_many();
	return ut_done();
}
