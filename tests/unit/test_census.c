// SPDX-License-Identifier: GPL-2.0-only
/* The census against hostile memory: a fake CPython heap built here, read
 * with process_vm_readv() from a real child (a fork, so the addresses are
 * the same there), with lists that loop without coming back, links into
 * nothing, type pointers that are not types, a type name that would drive a
 * terminal, and a bound on the objects per read. The census must count what
 * is real, skip and count the rest, and always end. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "census.h"
#include "ut.h"

/* The fake _PyRuntime (3.8-like: the GC state in it): three generations and
 * the permanent one, each a 16-byte list head and two ints. */
#define GENS 64
#define PERM (GENS + 3 * LT_PY_GC_GEN_SIZE)

struct fake_obj {
	__u64 gc_next, gc_prev;
	__u64 refcnt, ob_type, ob_size;
	__u64 more[2];
};

struct fake_type {
	__u64 refcnt, ob_type, ob_size;
	__u64 tp_name, tp_basicsize, tp_itemsize;
	__u64 words[(LT_PY_TP_FLAGS - 48) / 8];
	__u64 tp_flags;
};

static _Alignas(16) unsigned char runtime[512];
static struct fake_type type_type, alpha, beta, wrapped;
static __u64 not_a_type[64];
static struct fake_obj objs[1000];
static const char hostile_name[] = "Beta\x1b]0;pwned\x07\x1b[31m";

static __u64 at(const void *p)
{
	return (__u64)(uintptr_t)p;
}

static void make_type(struct fake_type *t, const char *name, __u64 basic, __u64 item)
{
	t->refcnt = 1;
	t->ob_type = at(&type_type);
	t->tp_name = at(name);
	t->tp_basicsize = basic;
	t->tp_itemsize = item;
	t->tp_flags = LT_PY_TPFLAGS_READY;
}

/* Links @n objects from @first into the list whose head is at @head. */
static void link_list(__u64 head, struct fake_obj *first, size_t n)
{
	__u64 *h = (__u64 *)(uintptr_t)head;
	__u64 prev = head;

	h[0] = n ? at(&first[0]) : head;
	for (size_t i = 0; i < n; i++) {
		first[i].gc_prev = prev;
		first[i].gc_next = i + 1 < n ? at(&first[i + 1]) : head;
		prev = at(&first[i]);
	}
	h[1] = prev;
}

static void build(void)
{
	struct fake_obj *o = objs;

	make_type(&type_type, "type", 880, 40);
	type_type.ob_type = at(&type_type);
	type_type.tp_flags |= LT_PY_TPFLAGS_TYPE_SUBCLASS;
	make_type(&alpha, "Alpha", 32, 0);
	make_type(&beta, hostile_name, 24, 8);
	make_type(&wrapped, "Wrapped", 24, 0);
	wrapped.ob_type = at(&alpha); /* its type is not a metatype */

	/* gen0: 300 Alpha, 100 Beta with 3 items each */
	link_list(at(runtime + GENS), o, 400);
	for (int i = 0; i < 400; i++) {
		o[i].ob_type = i < 300 ? at(&alpha) : at(&beta);
		o[i].ob_size = 3;
	}
	o += 400;
	/* gen1: 50 Alpha, then a loop back to the 10th that never reaches
	 * the head */
	link_list(at(runtime + GENS + LT_PY_GC_GEN_SIZE), o, 50);
	for (int i = 0; i < 50; i++)
		o[i].ob_type = at(&alpha);
	o[49].gc_next = at(&o[10]);
	o += 50;
	/* gen2: 20 Alpha, then a link into unmapped memory */
	link_list(at(runtime + GENS + 2 * LT_PY_GC_GEN_SIZE), o, 20);
	for (int i = 0; i < 20; i++)
		o[i].ob_type = at(&alpha);
	o[19].gc_next = 0x1000;
	o += 20;
	/* permanent: 5 whose type is no type, 5 of a type whose type is not a
	 * type's, 5 with a misaligned link after them */
	link_list(at(runtime + PERM), o, 15);
	for (int i = 0; i < 15; i++)
		o[i].ob_type = i < 5 ? at(not_a_type) : i < 10 ? at(&wrapped) : at(&alpha);
	o[14].gc_next = at(&o[0]) + 3;
}

static pid_t child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static struct py_layout fake_layout(void)
{
	struct py_layout l = { .major = 3, .minor = 8 };

	l.ob_type = 8;
	l.tp_name = 24;
	l.gc_in_runtime = true;
	l.gc_gens = GENS;
	l.gc_perm = PERM;
	return l;
}

static void test_hostile_heap(void)
{
	const struct census_limits lim = { .max_objects = 1u << 20, .max_ms = 10000 };
	struct py_layout l = fake_layout();
	const struct census_stats *st;
	const struct census_row *rows, *r;
	struct census *c;
	pid_t pid;
	size_t n;

	build();
	pid = child();
	UT_CHECK(pid > 0, "fork: %s", strerror(errno));
	if (pid <= 0)
		return;
	for (int pass = 0; pass < 2; pass++) {
		/* with PyType_Type known, and found as the type that is its own type */
		c = census__new(pid, &l, at(runtime), pass ? 0 : at(&type_type), 4, 10, &lim);
		UT_CHECK(c != NULL, "census__new: %s", strerror(errno));
		if (!c)
			break;
		UT_EQ_INT(census__read(c), 0, "read of the fake heap");
		st = census__stats(c);
		/* 300 + 50 + 20 + 5 Alpha, 100 Beta */
		UT_EQ_INT(st->objects, 475, "objects counted");
		UT_EQ_INT(st->skipped, 10, "objects skipped (no type)");
		UT_CHECK(st->relinked >= 1, "the loop back is seen as a relink");
		UT_EQ_INT(st->lists_cut, 3, "lists cut (loop, unmapped, misaligned)");
		UT_CHECK(!st->truncated, "read not truncated");
		r = census__find(c, "Alpha");
		UT_CHECK(r && r->count == 375, "Alpha: %lld", r ? (long long)r->count : -1LL);
		if (r)
			UT_EQ_INT(r->bytes, 375 * (32 + LT_PY_GC_HEAD), "Alpha bytes");
		r = census__find(c, hostile_name);
		UT_CHECK(r && r->count == 100, "Beta: %lld", r ? (long long)r->count : -1LL);
		if (r)
			UT_EQ_INT(r->bytes, 100 * (24 + 3 * 8 + LT_PY_GC_HEAD), "Beta bytes");
		UT_CHECK(!census__find(c, "Wrapped"),
			 "a type whose type is no type is not counted");
		/* nothing grew between two reads of the same memory */
		UT_EQ_INT(census__read(c), 0, "second read");
		n = census__rank(c, &rows);
		UT_EQ_INT(n, 0, "growing types after two equal reads");
		census__free(c);
	}

	/* bounded: a read cut short says so, and goes into no history */
	c = census__new(pid, &l, at(runtime), at(&type_type), 4, 10,
			&(struct census_limits){ .max_objects = 100, .max_ms = 10000 });
	UT_CHECK(c != NULL, "census__new (bounded)");
	if (c) {
		UT_EQ_INT(census__read(c), -ETIME, "bounded read");
		UT_CHECK(census__stats(c)->truncated, "bounded read is truncated");
		UT_EQ_INT(census__stats(c)->reads, 0, "reads in the history");
		census__free(c);
	}

	/* the process gone */
	c = census__new(pid, &l, at(runtime), at(&type_type), 4, 10, &lim);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (c) {
		UT_EQ_INT(census__read(c), -ESRCH, "read of a process gone");
		census__free(c);
	}
}

/* A collection that merges generation 0 onto generation 1's tail while the
 * census walks generation 0 (the last it walks): the walk comes to gen 1's
 * head, and must end there, not count gen 1 again. */
static void test_merged_lists(void)
{
	const struct census_limits lim = { .max_objects = 1u << 20, .max_ms = 10000 };
	struct py_layout l = fake_layout();
	const struct census_stats *st;
	struct census *c;
	pid_t pid;

	build();
	memset(runtime, 0, sizeof(runtime));
	link_list(at(runtime + GENS + 2 * LT_PY_GC_GEN_SIZE), objs, 0);
	link_list(at(runtime + PERM), objs, 0);
	link_list(at(runtime + GENS + LT_PY_GC_GEN_SIZE), objs + 100, 50);
	link_list(at(runtime + GENS), objs, 10);
	for (int i = 0; i < 150; i++)
		objs[i].ob_type = at(&alpha);
	objs[9].gc_next = at(runtime + GENS + LT_PY_GC_GEN_SIZE);
	pid = child();
	UT_CHECK(pid > 0, "fork: %s", strerror(errno));
	if (pid <= 0)
		return;
	c = census__new(pid, &l, at(runtime), at(&type_type), 4, 10, &lim);
	UT_CHECK(c != NULL, "census__new: %s", strerror(errno));
	if (c) {
		UT_EQ_INT(census__read(c), 0, "read of merged lists");
		st = census__stats(c);
		UT_EQ_INT(st->objects, 60, "objects counted once each (10 + 50)");
		UT_EQ_INT(st->skipped, 0, "no list head counted as an object");
		UT_EQ_INT(st->lists_cut, 1, "gen 0 cut at gen 1's head");
		census__free(c);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A runtime whose lists are all garbage: random words, over and over. */
static void test_random_heap(void)
{
	const struct census_limits lim = { .max_objects = 1u << 16, .max_ms = 2000 };
	struct py_layout l = fake_layout();
	unsigned int seed = 42;
	pid_t pid;

	build();
	for (int round = 0; round < 50; round++) {
		struct census *c;

		for (size_t i = 0; i < sizeof(runtime) / 8; i++)
			((__u64 *)runtime)[i] = rand_r(&seed) % 4
							? at(&objs[rand_r(&seed) % 1000]) +
								  rand_r(&seed) % 3 * 8
							: (__u64)rand_r(&seed) << 20;
		for (size_t i = 0; i < sizeof(objs) / 8; i++)
			((__u64 *)objs)[i] = rand_r(&seed) % 2 ? at(&objs[rand_r(&seed) % 1000])
							       : at(&alpha) + rand_r(&seed) % 64;
		pid = child();
		if (pid <= 0)
			break;
		c = census__new(pid, &l, at(runtime), at(&type_type), 4, 10, &lim);
		if (c) {
			int err = census__read(c);

			UT_CHECK(err == 0 || err == -ETIME || err == -EAGAIN, "random heap %d: %d",
				 round, err);
			census__free(c);
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	UT_CHECK(1, "50 random heaps read without a crash or a hang");
}

int main(void)
{
	test_hostile_heap();
	test_merged_lists();
	test_random_heap();
	return ut_done();
}
