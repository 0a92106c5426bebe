// SPDX-License-Identifier: GPL-2.0-only
/* The report's JSON lines (the man page lists every field): the start
 * record, and each interval's and the final one, with its stacks. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "array.h"
#include "log.h"
#include "options.h"
#include "report_int.h"
#include "srcdesc.h"

int rp_rec_begin(struct rp_rec *rec, struct jw *w, const char *type)
{
	rec->w = w;
	rec->buf = NULL;
	rec->len = 0;
	rec->f = open_memstream(&rec->buf, &rec->len);
	if (!rec->f)
		return -ENOMEM;
	jw__init(w, rec->f);
	jw__begin_object(w);
	jw__kstr(w, "type", type);
	return 0;
}

int rp_rec_begin_at(struct rp_rec *rec, struct jw *w, const char *type, double t)
{
	int err = rp_rec_begin(rec, w, type);

	if (err)
		return err;
	jw__key(w, "t");
	jw__double(w, t, 3);
	return 0;
}

void rp_rec_end(struct report *r, struct rp_rec *rec)
{
	jw__end_object(rec->w);
	fclose(rec->f);
	for (int i = 0; i < 2; i++) {
		if (!r->opts.json[i])
			continue;
		errno = 0;
		fwrite(rec->buf, 1, rec->len, r->opts.json[i]);
		fputc('\n', r->opts.json[i]);
		rp_check_sink(r, r->opts.json[i], r->opts.json_names[i]);
	}
	free(rec->buf);
}

/* "sampled":{"every":N} or {"bytes":SIZE}, when sampling. */
static void json_sampled(const struct report *r, struct jw *w)
{
	if (!rp_estimated(r, LT_KIND_HEAP))
		return;
	jw__key(w, "sampled");
	jw__begin_object(w);
	if (r->opts.sample_bytes)
		jw__kuint(w, "bytes", r->opts.sample_bytes);
	else
		jw__kuint(w, "every", r->opts.sample_every);
	jw__end_object(w);
}

int report__start(struct report *r, const struct report_start *info)
{
	struct rp_rec rec;
	struct jw w;

	r->sources = info->sources;
	r->pid = info->pid;
	snprintf(r->comm, sizeof(r->comm), "%s", info->comm ? info->comm : "");
	r->interval = info->interval;
	r->time = info->time;
	if (!rp_json_wanted(r))
		return 0;
	if (rp_rec_begin(&rec, &w, "start"))
		return -ENOMEM;
	jw__kstr(&w, "version", LT_VERSION);
	if (!r->opts.system) {
		jw__kint(&w, "pid", info->pid);
		jw__kstr(&w, "comm", info->comm);
	} else {
		jw__kbool(&w, "system", true);
	}
	jw__key(&w, "sources");
	jw__begin_array(&w);
	for (unsigned int bit = 1; bit & src_all(); bit <<= 1)
		if (info->sources & bit)
			jw__string(&w, lt_source_name(bit));
	jw__end_array(&w);
	jw__key(&w, "interval");
	jw__double(&w, info->interval, 3);
	jw__key(&w, "time");
	jw__double(&w, info->time, 3);
	jw__kuint(&w, "window", r->opts.window);
	jw__kuint(&w, "top", r->opts.top);
	jw__kuint(&w, "stack_depth", info->stack_depth);
	json_sampled(r, &w);
	jw__key(&w, "probes");
	jw__begin_array(&w);
	for (size_t i = 0; i < info->nr_probes; i++) {
		const struct report_probe *p = &info->probes[i];

		jw__begin_object(&w);
		jw__kstr(&w, "func", p->func);
		jw__kstr(&w, "module", p->module);
		jw__khex(&w, "offset", p->offset);
		jw__kuint(&w, "site", p->site);
		jw__kbool(&w, "emulated", p->emulated);
		jw__end_object(&w);
	}
	jw__end_array(&w);
	if (info->exact_top) {
		jw__key(&w, "exact");
		jw__begin_object(&w);
		jw__kuint(&w, "top", info->exact_top);
		jw__key(&w, "for");
		jw__double(&w, info->exact_for, 3);
		jw__kuint(&w, "min", info->exact_min);
		jw__end_object(&w);
	}
	jw__kuint(&w, "probe_failures", info->probe_failures);
	jw__kuint(&w, "bpf_memory", info->bpf_memory);
	if (info->trap && info->trap->entry_ns > 0) {
		jw__key(&w, "trap_ns");
		jw__double(&w, info->trap->entry_ns, 1);
		jw__key(&w, "trap_return_ns");
		jw__double(&w, info->trap->return_ns, 1);
	}
	rp_rec_end(r, &rec);
	return r->write_err;
}

/* One frame; @full adds what the table needs besides (func_off), for the
 * recording's stack records. */
void rp_json_frame(struct jw *w, const struct lt_frame *f, bool full)
{
	jw__begin_object(w);
	if (f->func) {
		jw__kstr(w, "func", f->func);
	}
	if (f->func && f->symbol) {
		jw__kstr(w, "symbol", f->symbol);
	}
	if (f->inlined)
		jw__kbool(w, "inline", true);
	jw__kstr(w, "module", f->module);
	if (f->file) {
		jw__kstr(w, "file", f->file);
	}
	if (f->line > 0) {
		jw__kint(w, "line", f->line);
	}
	jw__kstr(w, "lang", f->python ? "python" : "c");
	jw__khex(w, "addr", f->addr);
	if (!f->python)
		jw__khex(w, "offset", f->offset);
	if (full && f->func && !f->python && f->func_off)
		jw__khex(w, "func_off", f->func_off);
	jw__end_object(w);
}

void report__json_frame(struct jw *w, const struct lt_frame *f)
{
	rp_json_frame(w, f, false);
}

static void json_stack(struct report *r, struct jw *w, const struct suspect *x, size_t rank_no)
{
	const struct series *s = x->s;
	struct lt_frame *frames = r->frames;
	const __u64 *ips;
	size_t nr = r->src.stack_frames(r->src.ctx, s->key.tgid, s->key.stack, &ips);

	nr = rp_render_frames(r, s->key.tgid, ips, nr, frames, MAX_SHOWN);
	jw__begin_object(w);
	jw__kuint(w, "rank", rank_no);
	jw__kstr(w, "kind", rp_kind_name(s->key.kind));
	if (s->key.kind == LT_KIND_PYOBJ)
		jw__kstr(w, "type", rp_type_of(r, s));
	jw__kint(w, "bytes", s->bytes);
	jw__kint(w, "count", s->count);
	jw__kbool(w, "suspect", x->suspect);
	jw__kstr(w, "unit", rp_in_bytes(s) ? "bytes" : "count");
	if (rp_arena_of(s))
		jw__kstr(w, "arena", lt_arena_name(rp_arena_of(s)));
	if (rp_region_of(s, NULL))
		jw__kstr(w, "region", rp_region_of(s, NULL));
	jw__kint(w, "growth", x->growth);
	jw__kint(w, "growth_window", x->growth_window);
	jw__kint(w, "growth_total", x->growth_total);
	jw__kuint(w, "intervals_grown", x->grown);
	if (rp_estimated(r, s->key.kind))
		jw__kbool(w, "estimate", true);
	jw__kuint(w, "allocs", s->allocs);
	jw__kuint(w, "frees", s->frees);
	jw__kuint(w, "pid", s->key.tgid);
	jw__kstr(w, "comm", rp_comm_of(r, s->key.tgid));
	jw__khex(w, "stack_id", s->key.stack);
	if (s->key.stack == LT_STACK_LOST)
		jw__kbool(w, "stack_lost", true);
	if (s->key.stack == LT_STACK_UNWALKED)
		jw__kbool(w, "stack_not_walked", true);
	jw__key(w, "frames");
	jw__begin_array(w);
	for (size_t i = 0; i < nr; i++)
		rp_json_frame(w, &frames[i], false);
	if (!nr) {
		/* docs/json.md promises frames; say plainly that there are none. */
		struct lt_frame f = {
			.module = "[leaktrace]",
			.func = rp_no_frames(s->key.stack),
		};

		rp_json_frame(w, &f, false);
	}
	jw__end_array(w);
	jw__end_object(w);
}

static void json_procs(struct report *r, struct jw *w, const struct proc_row *rows, size_t n)
{
	jw__key(w, "processes");
	jw__begin_array(w);
	for (size_t i = 0; i < n; i++) {
		jw__begin_object(w);
		jw__kuint(w, "rank", i + 1);
		jw__kuint(w, "pid", rows[i].tgid);
		jw__kstr(w, "comm", rp_comm_of(r, rows[i].tgid));
		jw__kint(w, "bytes", rows[i].bytes);
		jw__kint(w, "count", rows[i].count);
		jw__kint(w, "growth", rows[i].growth);
		jw__kint(w, "growth_window", rows[i].growth_window);
		jw__end_object(w);
	}
	jw__end_array(w);
	jw__key(w, "exited");
	jw__begin_array(w);
	for (size_t i = 0; i < r->nr_gone; i++) {
		jw__begin_object(w);
		jw__kuint(w, "pid", r->gone[i].tgid);
		jw__kstr(w, "comm", r->gone[i].comm);
		jw__kint(w, "bytes", r->gone[i].bytes);
		jw__end_object(w);
	}
	jw__end_array(w);
}

static void json_census(struct report *r, struct jw *w, const struct report_census *c,
			const struct suspect *top, size_t n)
{
	const struct census_stats *cs = c->stats;
	char version[16];

	jw__key(w, "census");
	jw__begin_array(w);
	for (size_t i = 0; i < c->nr; i++) {
		const struct census_row *x = &c->rows[i];

		jw__begin_object(w);
		jw__kuint(w, "rank", i + 1);
		jw__kstr(w, "type", x->type);
		jw__kint(w, "count", x->count);
		jw__kint(w, "bytes", x->bytes);
		jw__kint(w, "growth", x->growth);
		jw__kint(w, "growth_window", x->growth_window);
		jw__kint(w, "growth_total", x->growth_total);
		jw__kuint(w, "intervals_grown", x->intervals_grown);
		jw__kbool(w, "suspect", x->suspect);
		jw__khex(w, "type_addr", x->type_addr);
		rp_json_census_view(r, w, c, x, top, n);
		jw__end_object(w);
	}
	jw__end_array(w);
	jw__key(w, "census_stats");
	jw__begin_object(w);
	snprintf(version, sizeof(version), "%u.%u", c->major, c->minor);
	jw__kstr(w, "python", version);
	jw__kbool(w, "ok", !cs->error);
	if (cs->error)
		jw__kstr(w, "error", strerror(-cs->error));
	jw__kuint(w, "objects", cs->objects);
	jw__kuint(w, "types", cs->types);
	jw__kuint(w, "bytes", cs->bytes);
	jw__key(w, "read_ms");
	jw__double(w, cs->read_ms, 3);
	jw__kuint(w, "memory_read", cs->memory_read);
	jw__kuint(w, "skipped", cs->skipped);
	jw__kuint(w, "relinked", cs->relinked);
	jw__kuint(w, "lists_cut", cs->lists_cut);
	jw__kbool(w, "truncated", cs->truncated);
	jw__kuint(w, "reads", cs->reads);
	jw__end_object(w);
}

/* What the probes cost over the interval: calls a second, and with the
 * trap's cost the time in probes (CPUs, per call, a share of the traced
 * processes' CPU time), each where known. */
static void json_cost(struct jw *w, const struct probe_cost *c)
{
	if (!c)
		return;
	jw__key(w, "probe_calls_per_s");
	jw__double(w, c->calls_per_s, 1);
	if (!c->trap_known)
		return;
	jw__key(w, "probe_cpu");
	jw__double(w, c->cpu, 6);
	jw__key(w, "probe_ns_per_call");
	jw__double(w, c->ns_per_call, 1);
	if (c->share_known) {
		jw__key(w, "probe_share");
		jw__double(w, c->share, 6);
	}
}

void rp_emit_json(struct report *r, const struct report_status *st, const char *reason,
		  const struct suspect *top, size_t n)
{
	struct rp_rec rec;
	struct jw w;

	if (rp_rec_begin_at(&rec, &w, reason ? "exit" : "interval", r->t))
		return;
	if (reason) {
		jw__kstr(&w, "reason", reason);
	}
	if (st->command_ended) {
		jw__key(&w, "command");
		jw__begin_object(&w);
		if (WIFSIGNALED(st->command_status)) {
			char name[32];

			snprintf(name, sizeof(name), "SIG%s",
				 sigabbrev_np(WTERMSIG(st->command_status)) ?: "?");
			jw__kint(&w, "signal", WTERMSIG(st->command_status));
			jw__kstr(&w, "signal_name", name);
			jw__kbool(&w, "core_dumped", WCOREDUMP(st->command_status));
		} else {
			jw__kint(&w, "exit_code", WEXITSTATUS(st->command_status));
		}
		jw__end_object(&w);
	}
	if (st->late > 0) {
		jw__key(&w, "late");
		jw__double(&w, st->late, 3);
		jw__kstr(&w, "late_reason", st->late_reason ? st->late_reason : "?");
	}
	if (r->opts.system) {
		json_procs(r, &w, r->procs, r->nr_procs);
	} else {
		jw__kint(&w, "pid", st->pid);
		jw__kstr(&w, "comm", rp_comm_of(r, st->pid));
	}
	jw__key(&w, "totals");
	jw__begin_object(&w);
	for (__u32 kind = 0; kind < LT_KIND__NR; kind++) {
		if (!rp_kind_shown(r, kind))
			continue;
		jw__key(&w, rp_kind_name(kind));
		jw__begin_object(&w);
		jw__kint(&w, "bytes", r->kind_bytes[kind]);
		jw__kint(&w, "count", r->kind_count[kind]);
		jw__kint(&w, "growth", r->kind_bytes[kind] - r->kind_prev_bytes[kind]);
		if (rp_estimated(r, kind))
			jw__kbool(&w, "estimate", true);
		jw__end_object(&w);
	}
	jw__end_object(&w);
	json_sampled(r, &w);
	jw__kuint(&w, "dropped", rp_dropped(st));
	jw__key(&w, "counters");
	jw__begin_object(&w);
	for (size_t i = 0; i < st->nr_counters; i++) {
		jw__kuint(&w, st->counters[i].name, st->counters[i].value);
	}
	jw__end_object(&w);
	/* which of them "dropped" sums, for a report made again from this one */
	jw__key(&w, "drop_counters");
	jw__begin_array(&w);
	for (size_t i = 0; i < st->nr_counters; i++)
		if (st->counters[i].drop)
			jw__string(&w, st->counters[i].name);
	jw__end_array(&w);
	jw__key(&w, "self");
	jw__begin_object(&w);
	jw__kuint(&w, "rss", st->rss);
	jw__kuint(&w, "rss_peak", st->rss_peak);
	jw__kuint(&w, "bpf_memory", st->bpf_memory);
	jw__end_object(&w);
	json_cost(&w, st->cost);
	if (r->opts.fail_on_growth) {
		jw__key(&w, "fail_on_growth");
		jw__begin_object(&w);
		jw__kuint(&w, "limit", r->opts.fail_on_growth);
		jw__kbool(&w, "tripped", r->tripped);
		jw__end_object(&w);
	}
	jw__key(&w, "stacks");
	jw__begin_array(&w);
	for (size_t i = 0; i < n; i++)
		json_stack(r, &w, &top[i], i + 1);
	jw__end_array(&w);
	if (st->census)
		json_census(r, &w, st->census, top, n);
	rp_rec_end(r, &rec);
}
