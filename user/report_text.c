// SPDX-License-Identifier: GPL-2.0-only
/* The report's table: a header line, the ranked stacks with their frames,
 * under --system the processes first, and the census of a CPython target. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include "array.h"
#include "log.h"
#include "options.h"
#include "report_int.h"

static void emit_procs_text(struct report *r, const struct proc_row *rows, size_t n)
{
	FILE *out = r->opts.text;

	for (size_t i = 0; i < r->nr_gone; i++) {
		char live[32], esc[64];

		lt_format_size(live, sizeof(live), r->gone[i].bytes, false);
		fprintf(out, "  pid %u (%s) exited with %s live: left the table\n", r->gone[i].tgid,
			TERM(esc, r->gone[i].comm), live);
	}
	if (!n)
		return;
	fprintf(out, "  %7s %-16s %10s %9s %10s %10s\n", "PID", "COMM", "LIVE", "COUNT", "LAST",
		"WINDOW");
	for (size_t i = 0; i < n; i++) {
		char live[32], last[32], win[32], esc[64];

		lt_format_size(live, sizeof(live), rows[i].bytes, false);
		lt_format_size(last, sizeof(last), rows[i].growth, true);
		lt_format_size(win, sizeof(win), rows[i].growth_window, true);
		fprintf(out, "  %7u %-16.16s %10s %9" PRId64 " %10s %10s\n", rows[i].tgid,
			TERM(esc, rp_comm_of(r, rows[i].tgid)), live, (int64_t)rows[i].count, last,
			win);
	}
	fputc('\n', out);
}

static void text_header(struct report *r, const struct report_status *st, const char *reason)
{
	FILE *out = r->opts.text;
	char when[16], live[32], growth[32], esc[64];
	time_t now = st->when > 0 ? (time_t)st->when : time(NULL);
	struct tm tm;
	__u64 drops = rp_dropped(st);

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (r->opts.system)
		fprintf(out, "\nleaktrace %s  +%.1fs  all processes", when, r->t);
	else
		fprintf(out, "\nleaktrace %s  +%.1fs  pid %d (%s)", when, r->t, st->pid,
			TERM(esc, rp_comm_of(r, st->pid)));
	if (reason)
		fprintf(out, "  final report (%s)", reason);
	if (st->command_ended && WIFSIGNALED(st->command_status))
		fprintf(out, "  command killed by SIG%s%s",
			sigabbrev_np(WTERMSIG(st->command_status)) ?: "?",
			WCOREDUMP(st->command_status) ? " (core dumped)" : "");
	else if (st->command_ended)
		fprintf(out, "  command exited with status %d", WEXITSTATUS(st->command_status));
	if (r->opts.sample_bytes) {
		lt_format_size(live, sizeof(live), r->opts.sample_bytes, false);
		fprintf(out, "  heap sampled per %s (~: estimates)", live);
	} else if (r->opts.sample_every > 1) {
		fprintf(out, "  heap sampled 1/%u (~: estimates)", r->opts.sample_every);
	}
	if (st->cost) {
		char cost[160];

		fprintf(out, "  probes %s",
			cost__describe(cost, sizeof(cost), st->cost, r->opts.system));
	}
	fputc('\n', out);
	if (st->late > 0)
		fprintf(out, "  late by %.1fs: %s\n", st->late,
			st->late_reason ? st->late_reason : "?");
	fputs("  live:", out);
	for (__u32 kind = 0, shown = 0; kind < LT_KIND__NR; kind++) {
		if (!rp_kind_in_header(r, kind))
			continue;
		lt_format_size(live, sizeof(live), r->kind_bytes[kind], false);
		lt_format_size(growth, sizeof(growth),
			       r->kind_bytes[kind] - r->kind_prev_bytes[kind], true);
		fprintf(out, "%s %s %s%s in %s%" PRId64 " (%s%s)", shown++ ? "," : "",
			rp_kind_name(kind), rp_estimated(r, kind) ? "~" : "", live,
			rp_estimated(r, kind) ? "~" : "", (int64_t)r->kind_count[kind],
			rp_estimated(r, kind) ? "~" : "", growth);
	}
	fprintf(out, "; dropped %llu", (unsigned long long)drops);
	if (drops) {
		const char *sep = " (";

		for (size_t i = 0; i < st->nr_counters; i++) {
			if (!st->counters[i].drop || !st->counters[i].value)
				continue;
			fprintf(out, "%s%s %llu", sep, st->counters[i].name,
				(unsigned long long)st->counters[i].value);
			sep = ", ";
		}
		fputs(": totals are incomplete)", out);
	}
	fputc('\n', out);
	if (r->opts.verbose) {
		char rss[32], peak[32], bpf[32];

		lt_format_size(rss, sizeof(rss), st->rss, false);
		lt_format_size(peak, sizeof(peak), st->rss_peak, false);
		lt_format_size(bpf, sizeof(bpf), st->bpf_memory, false);
		fprintf(out, "  leaktrace itself: %s resident (peak %s), %s in BPF maps\n", rss,
			peak, bpf);
	}
}

/* One frame: "func (file:line)", "func+0xOFF" without a line, an inlined
 * function marked so; without a name, "module+0xOFF" (the ELF address, what
 * addr2line -e module takes), or the address where there is no module. */
static void text_frame(FILE *out, const struct lt_frame *f, const char **last_module)
{
	char func[1024], file[512], module[512];
	bool named_module = false;

	fputs("        ", out);
	if (f->func && f->file && f->line > 0) {
		fprintf(out, "%s (%s:%d)", TERM(func, f->func), TERM(file, rp_base_name(f->file)),
			f->line);
	} else if (f->func && !f->inlined) {
		fprintf(out, "%s+0x%" PRIx64, TERM(func, f->func), (uint64_t)f->func_off);
	} else if (f->func) {
		fputs(TERM(func, f->func), out);
	} else if (rp_is_unnamed_frame(f)) {
		fprintf(out, "%s+0x%" PRIx64, TERM(module, rp_base_name(f->module)),
			(uint64_t)f->offset);
		named_module = true;
	} else {
		fprintf(out, "0x%" PRIx64, (uint64_t)f->addr);
	}
	if (f->inlined)
		fputs(" [inlined]", out);
	if (!f->python && !named_module && (!*last_module || strcmp(*last_module, f->module)))
		fprintf(out, "  in %s", TERM(module, rp_base_name(f->module)));
	*last_module = f->python ? NULL : f->module;
	fputc('\n', out);
}

void report__print_frames(FILE *out, const struct lt_frame *frames, size_t n)
{
	const char *last_module = NULL;

	for (size_t i = 0; i < n; i++)
		text_frame(out, &frames[i], &last_module);
}

/* The width of the KIND column: its longest name. */
static int kind_width(const struct suspect *top, size_t n)
{
	size_t w = 5;

	for (size_t i = 0; i < n; i++)
		if (strlen(rp_kind_name(top[i].s->key.kind)) > w)
			w = strlen(rp_kind_name(top[i].s->key.kind));
	return (int)w;
}

static void text_census(struct report *r, const struct report_census *c, const struct suspect *top,
			size_t n)
{
	const struct census_stats *cs = c->stats;
	FILE *out = r->opts.text;
	char bytes[32], last[32], win[32], total[32], trend[16], esc[160];
	unsigned int shown_window = cs->reads < 1		     ? 0
				    : cs->reads - 1 < r->opts.window ? cs->reads - 1
								     : r->opts.window;

	lt_format_size(bytes, sizeof(bytes), (__s64)cs->bytes, false);
	fprintf(out, "  python objects (census, CPython %u.%u): ", c->major, c->minor);
	if (cs->error && !cs->reads)
		fprintf(out, "not read: %s", strerror(-cs->error));
	else
		fprintf(out, "%llu of %llu types, %s, read in %.1f ms",
			(unsigned long long)cs->objects, (unsigned long long)cs->types, bytes,
			cs->read_ms);
	if (cs->error && cs->reads)
		fprintf(out, " (as of the last read: the latest failed: %s)", strerror(-cs->error));
	if (cs->skipped || cs->relinked || cs->truncated)
		fprintf(out, " (moving heap: %llu skipped, %llu relinked%s)",
			(unsigned long long)cs->skipped, (unsigned long long)cs->relinked,
			cs->truncated ? ", cut at its bound" : "");
	fputc('\n', out);
	if (!c->nr) {
		fputs("    no growing types\n", out);
		return;
	}
	fprintf(out, "    %3s %-28s %9s %10s %8s %8s %8s %6s\n", "#", "TYPE", "COUNT", "BYTES",
		"LAST", "WINDOW", "TOTAL", "TREND");
	for (size_t i = 0; i < c->nr; i++) {
		const struct census_row *x = &c->rows[i];

		lt_format_size(bytes, sizeof(bytes), x->bytes, false);
		snprintf(last, sizeof(last), "%+lld", (long long)x->growth);
		snprintf(win, sizeof(win), "%+lld", (long long)x->growth_window);
		snprintf(total, sizeof(total), "%+lld", (long long)x->growth_total);
		snprintf(trend, sizeof(trend), "%u/%u", x->intervals_grown, shown_window);
		fprintf(out, "    %3zu %-28s %9lld %10s %8s %8s %8s %6s%s\n", i + 1,
			TERM(esc, x->type), (long long)x->count, bytes, last, win, total, trend,
			x->suspect ? "  suspect" : "");
	}
	rp_text_census_views(r, c, top, n);
}

void rp_emit_text(struct report *r, const struct report_status *st, const char *reason,
		  const struct suspect *top, size_t n)
{
	FILE *out = r->opts.text;
	/* a column wider for the "~" of estimates */
	int wd = rp_estimated(r, LT_KIND_HEAP) ? 12 : 10;

	errno = 0;
	text_header(r, st, reason);
	if (r->opts.system)
		emit_procs_text(r, r->procs, r->nr_procs);
	if (st->census)
		text_census(r, st->census, top, n);
	if (!n) {
		fputs("  no growing stacks\n", out);
		rp_check_sink(r, out, NULL);
		return;
	}
	fprintf(out, "  %3s %-*s %*s %*s %*s %*s %*s %6s\n", "#", kind_width(top, n), "KIND", wd,
		"LIVE", wd - 1, "COUNT", wd, "LAST", wd, "WINDOW", wd, "TOTAL", "TREND");
	for (size_t i = 0; i < n; i++) {
		const struct suspect *x = &top[i];
		const struct series *s = x->s;
		bool bytes = rp_in_bytes(s), est = rp_estimated(r, s->key.kind);
		char live[32], count[32], last[32], win[32], total[32], trend[16], m[5][40],
			esc[512];
		const char *last_module = NULL, *what;
		struct lt_frame *frames = r->frames;
		const __u64 *ips;
		size_t nr;

		lt_format_size(live, sizeof(live), s->bytes, false);
		if (bytes) {
			lt_format_size(last, sizeof(last), x->growth, true);
			lt_format_size(win, sizeof(win), x->growth_window, true);
			lt_format_size(total, sizeof(total), x->growth_total, true);
		} else {
			const char *noun = rp_count_noun(s->key.kind);

			snprintf(last, sizeof(last), "%+" PRId64 " %s", (int64_t)x->growth, noun);
			snprintf(win, sizeof(win), "%+" PRId64 " %s", (int64_t)x->growth_window,
				 noun);
			snprintf(total, sizeof(total), "%+" PRId64 " %s", (int64_t)x->growth_total,
				 noun);
		}
		if (!i || x->suspect != top[i - 1].suspect)
			fputs(x->suspect ? "  leak suspects: grew in most intervals of the window\n"
					 : "  recent growth: grew in few intervals (a one-off, a "
					   "cache filling)\n",
			      out);
		snprintf(trend, sizeof(trend), "%u/%u", x->grown, x->intervals);
		snprintf(count, sizeof(count), "%" PRId64, (int64_t)s->count);
		fprintf(out, "  %3zu %-*s %*s %*s %*s %*s %*s %6s\n", i + 1, kind_width(top, n),
			rp_kind_name(s->key.kind), wd, rp_mark(m[0], sizeof(m[0]), live, est),
			wd - 1, rp_mark(m[1], sizeof(m[1]), count, est), wd,
			rp_mark(m[2], sizeof(m[2]), last, est), wd,
			rp_mark(m[3], sizeof(m[3]), win, est), wd,
			rp_mark(m[4], sizeof(m[4]), total, est), trend);
		if (r->opts.system)
			fprintf(out, "        in pid %u (%s)\n", s->key.tgid,
				TERM(esc, rp_comm_of(r, s->key.tgid)));
		if (s->key.stack == LT_STACK_LOST) {
			fputs("        [stack lost: the stack map was full; see --max-stacks]\n",
			      out);
			continue;
		}
		if (s->key.kind == LT_KIND_PYOBJ)
			fprintf(out, "        objects of type %s\n", TERM(esc, rp_type_of(r, s)));
		if (rp_arena_of(s))
			fprintf(out, "        %s: the allocator's mappings, not a line's\n",
				lt_arena_what(rp_arena_of(s)));
		if (rp_region_of(s, &what))
			fprintf(out, "        %s\n", what);
		if (s->key.stack == LT_STACK_UNWALKED) {
			fprintf(out,
				"        [stack not walked: faulted in before pid %u grew "
				"enough in one interval for its stacks to be walked]\n",
				s->key.tgid);
			continue;
		}
		nr = r->src.stack_frames(r->src.ctx, s->key.tgid, s->key.stack, &ips);
		nr = rp_render_frames(r, s->key.tgid, ips, nr, frames, MAX_SHOWN);
		if (!nr)
			fputs("        [stack not available]\n", out);
		for (size_t j = 0; j < nr; j++)
			text_frame(out, &frames[j], &last_module);
	}
	rp_check_sink(r, out, NULL);
}
