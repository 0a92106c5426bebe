// SPDX-License-Identifier: GPL-2.0-only
/* The recording in the JSON lines, from which `leaktrace report` renders any
 * report again (replay.c): every stack with something outstanding, not only
 * the top N. Each stack's identity (kind, process, type, frames) goes out
 * once, in a "stack" record of its own with a small id, the first time it has
 * something outstanding; each sample then writes a "samples" record with a
 * row [id, bytes, count, allocs, frees] for each stack whose figures changed
 * since the last one. A reader that keeps the last row of each id has every
 * stack's state at every sample. A "forget" record says that processes left:
 * their ids are done with, and a stack of a new process of the same pid gets
 * a new one. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "hashmap.h"
#include "report_int.h"

/* Writes the "stack" record of @s, under the id @id. */
static void record_stack(struct report *r, const struct series *s, __u64 id)
{
	const __u64 *ips = NULL;
	size_t nr = 0;
	struct rp_rec rec;
	struct jw w;

	if (rp_rec_begin(&rec, &w, "stack"))
		return;
	if (lt_stack_walked(s->key.stack)) {
		nr = r->src.stack_frames(r->src.ctx, s->key.tgid, s->key.stack, &ips);
		nr = nr ? rp_render_frames(r, s->key.tgid, ips, nr, r->frames, MAX_SHOWN) : 0;
	}
	jw__kuint(&w, "id", id);
	jw__kstr(&w, "kind", rp_kind_name(s->key.kind));
	if (s->key.kind == LT_KIND_PYOBJ)
		jw__kstr(&w, "object_type", rp_type_of(r, s));
	if (rp_arena_of(s))
		jw__kstr(&w, "arena", lt_arena_name(rp_arena_of(s)));
	if (rp_region_of(s, NULL))
		jw__kstr(&w, "region", rp_region_of(s, NULL));
	jw__kuint(&w, "pid", s->key.tgid);
	jw__kstr(&w, "comm", rp_comm_of(r, s->key.tgid));
	jw__khex(&w, "stack_id", s->key.stack);
	if (s->key.stack == LT_STACK_LOST)
		jw__kbool(&w, "stack_lost", true);
	if (s->key.stack == LT_STACK_UNWALKED)
		jw__kbool(&w, "stack_not_walked", true);
	jw__key(&w, "frames");
	jw__begin_array(&w);
	for (size_t i = 0; i < nr; i++)
		rp_json_frame(&w, &r->frames[i], true);
	jw__end_array(&w);
	rp_rec_end(r, &rec);
}

/* The id of @s's stack record, written now if it has none yet; 0 when
 * memory runs out. */
static __u64 record_id(struct report *r, const struct series *s)
{
	void *at = hashmap__get(r->rec_ids, &s->key);
	__u64 id;

	if (at)
		return (uintptr_t)at;
	id = ++r->rec_next_id;
	if (hashmap__put(r->rec_ids, &s->key, (void *)(uintptr_t)id))
		return 0;
	record_stack(r, s, id);
	return id;
}

int rp_record_samples(struct report *r, double t, bool final)
{
	size_t pos = 0;
	struct rp_rec rec;
	struct jw w;
	void *v;

	/* the stack records go out first, between this record's rows */
	if (rp_rec_begin_at(&rec, &w, "samples", t))
		return -ENOMEM;
	if (final)
		jw__kbool(&w, "final", true);
	jw__key(&w, "rows");
	jw__begin_array(&w);
	while (hashmap__next(r->series, &pos, NULL, &v)) {
		struct series *s = v;
		__s64 now[4] = { s->bytes, s->count, (__s64)s->allocs, (__s64)s->frees };
		__u64 id;

		if (!memcmp(now, s->rec_last, sizeof(now)))
			continue;
		id = record_id(r, s);
		if (!id)
			break;
		memcpy(s->rec_last, now, sizeof(now));
		jw__begin_array(&w);
		jw__uint(&w, id);
		for (int i = 0; i < 4; i++)
			jw__int(&w, now[i]);
		jw__end_array(&w);
	}
	jw__end_array(&w);
	rp_rec_end(r, &rec);
	return 0;
}

void rp_record_forget(struct report *r, const __u32 *tgids, const char *const *comms, size_t n)
{
	struct hashmap *which = hashmap__new(sizeof(__u32));
	bool *had = calloc(n ? n : 1, sizeof(*had));
	size_t pos = 0, nr_had = 0;
	const void *key;
	struct rp_rec rec;
	struct jw w;

	if (!which || !had)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		hashmap__put(which, &tgids[i], (void *)(uintptr_t)(i + 1));
	while (hashmap__next(r->rec_ids, &pos, &key, NULL)) {
		struct series_key k = *(const struct series_key *)key;
		void *at = hashmap__get(which, &k.tgid);

		if (!at)
			continue;
		had[(uintptr_t)at - 1] = true;
		hashmap__remove(r->rec_ids, &k);
	}
	for (size_t i = 0; i < n; i++)
		nr_had += had[i];
	if (!nr_had)
		goto cleanup;
	if (rp_rec_begin(&rec, &w, "forget"))
		goto cleanup;
	jw__key(&w, "pids");
	jw__begin_array(&w);
	for (size_t i = 0; i < n; i++)
		if (had[i])
			jw__uint(&w, tgids[i]);
	jw__end_array(&w);
	/* the processes that exited, said so in the next report; without
	 * names, ones that exec'd */
	if (comms) {
		jw__key(&w, "comms");
		jw__begin_array(&w);
		for (size_t i = 0; i < n; i++)
			if (had[i])
				jw__string(&w, comms[i] ? comms[i] : "?");
		jw__end_array(&w);
	}
	rp_rec_end(r, &rec);
cleanup:
	free(had);
	hashmap__free(which);
}
