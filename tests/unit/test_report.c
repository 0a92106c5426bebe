/* SPDX-License-Identifier: GPL-2.0-only */
/* Which stacks the report lists as leak suspects, fed interval by interval
 * with the totals a sampled program shows: a steady leak, a leak that stopped,
 * a bounded cache sometimes caught mid-turnover, and churn that is back to
 * nothing. */
#include <stdint.h>
#include "report.h"
#include "leaktrace.h"
#include "srcdesc.h"
#include "ut.h"

enum {
	LEAK = 0x1001,
	STOPPED = 0x1002,
	CACHE = 0x1003,
	CHURN = 0x1004
};

static size_t no_frames(void *ctx, __u32 tgid, __u64 stack, const __u64 **frames)
{
	(void)ctx, (void)tgid, (void)stack, (void)frames;
	return 0;
}

static size_t no_resolve(void *ctx, __u32 tgid, __u64 addr, struct lt_frame *out, size_t max)
{
	(void)ctx, (void)tgid, (void)addr, (void)max;
	memset(out, 0, sizeof(*out));
	return 1;
}

/* Whether the last line of @buf (one JSON record) lists @stack. */
static bool listed(const char *buf, size_t len, __u64 stack)
{
	const char *last = buf;
	char want[64];

	for (size_t i = 0; i + 1 < len; i++)
		if (buf[i] == '\n')
			last = buf + i + 1;
	snprintf(want, sizeof(want), "\"stack_id\":\"0x%llx\"", (unsigned long long)stack);
	return strstr(last, want) != NULL;
}

static struct lt_sample heap(__u64 stack, __s64 count)
{
	return (struct lt_sample){ .stack = stack,
				   .tgid = 42,
				   .kind = LT_KIND_HEAP,
				   .bytes = 32 * count,
				   .count = count };
}

/* --system: processes ranked by growth, and one that exits said so once. */
static void system_mode(void)
{
	struct report_source src = { .stack_frames = no_frames, .resolve = no_resolve };
	struct report_opts opts = { .top = 10, .window = 4, .system = true };
	struct report_status st = { 0 };
	char *buf = NULL;
	size_t len = 0;
	struct report *r;
	FILE *f = open_memstream(&buf, &len);
	const char *last;

	opts.json[0] = f;
	r = report__new(&opts, &src);
	UT_CHECK(f && r, "system report made");
	if (!f || !r)
		return;
	for (int k = 0; k < 6; k++) {
		struct lt_sample s[] = {
			{ .stack = LEAK,
			  .tgid = 7,
			  .kind = LT_KIND_HEAP,
			  .bytes = 100 * (k + 1),
			  .count = k + 1 },
			{ .stack = LEAK,
			  .tgid = 8,
			  .kind = LT_KIND_HEAP,
			  .bytes = 900 * (k + 1),
			  .count = k + 1 },
			{ .stack = CACHE,
			  .tgid = 9,
			  .kind = LT_KIND_HEAP,
			  .bytes = 5000,
			  .count = 5 },
		};

		report__sample(r, k + 1, s, 3, false);
		report__emit(r, &st, NULL);
	}
	fflush(f);
	last = buf;
	for (size_t i = 0; i + 1 < len; i++)
		if (buf[i] == '\n')
			last = buf + i + 1;
	UT_CHECK(!strstr(last, "\"type\":\"interval\",\"t\":6.000,\"pid\""),
		 "no pid at the top of a --system record");
	UT_CHECK(strstr(last, "\"processes\":[{\"rank\":1,\"pid\":8,") != NULL,
		 "the fastest grower ranks first: %.200s", last);
	UT_CHECK(strstr(last, "{\"rank\":2,\"pid\":7,") != NULL, "the slower one second");
	UT_CHECK(strstr(last, "{\"rank\":3,\"pid\":9,") != NULL, "the flat one last");
	UT_CHECK(strstr(last, "\"exited\":[]") != NULL, "nothing exited yet");
	report__forget(r, 8, "leaker", true);
	report__forget(r, 123, "never-seen", true);
	report__sample(r, 7, NULL, 0, false);
	report__emit(r, &st, NULL);
	fflush(f);
	for (size_t i = 0; i + 1 < len; i++)
		if (buf[i] == '\n')
			last = buf + i + 1;
	UT_CHECK(strstr(last, "\"exited\":[{\"pid\":8,\"comm\":\"leaker\",\"bytes\":5400}]") !=
			 NULL,
		 "the exited process is said once, with what it had: %.300s", last);
	UT_CHECK(!strstr(last, "\"pid\":8,\"comm\":\"?\""), "and is out of the table");
	report__emit(r, &st, NULL);
	fflush(f);
	for (size_t i = 0; i + 1 < len; i++)
		if (buf[i] == '\n')
			last = buf + i + 1;
	UT_CHECK(strstr(last, "\"exited\":[]") != NULL, "said only once");
	report__free(r);
	fclose(f);
	free(buf);
}

/* --system's growers: processes whose pages kept growing over the window,
 * by at least the minimum, most first; a one-off jump, a grower too small
 * and another kind are not. */
static void growers(void)
{
	struct report_source src = { .stack_frames = no_frames, .resolve = no_resolve };
	struct report_opts opts = { .top = 10, .window = 4, .system = true };
	struct report_grower g[8];
	struct report *r = report__new(&opts, &src);
	size_t n;

	UT_CHECK(r != NULL, "report made");
	if (!r)
		return;
	for (int k = 0; k < 6; k++) {
		struct lt_sample s[] = {
			/* pid 7: two stacks, 8 KiB an interval together */
			{ .stack = LEAK,
			  .tgid = 7,
			  .kind = LT_KIND_PAGES,
			  .bytes = 4096 * (k + 1) },
			{ .stack = CACHE,
			  .tgid = 7,
			  .kind = LT_KIND_PAGES,
			  .bytes = 4096 * (k + 1) },
			/* pid 8: 64 KiB an interval */
			{ .stack = LEAK,
			  .tgid = 8,
			  .kind = LT_KIND_PAGES,
			  .bytes = 65536 * (k + 1) },
			/* pid 9: one jump of 1 MiB, then flat */
			{ .stack = LEAK,
			  .tgid = 9,
			  .kind = LT_KIND_PAGES,
			  .bytes = k < 4 ? 0 : 1 << 20 },
			/* pid 10: 2 KiB an interval, under the minimum */
			{ .stack = LEAK,
			  .tgid = 10,
			  .kind = LT_KIND_PAGES,
			  .bytes = 2048 * (k + 1) },
			/* pid 11: heap, not pages */
			{ .stack = LEAK,
			  .tgid = 11,
			  .kind = LT_KIND_HEAP,
			  .bytes = (1 << 20) * (k + 1) },
		};

		report__sample(r, k + 1, s, 6, false);
		n = report__growers(r, LT_KIND_PAGES, 16384, g, 8);
		if (k == 0)
			UT_EQ_INT(n, 0, "none after one interval");
	}
	UT_EQ_INT(n, 2, "two growers");
	if (n == 2) {
		UT_CHECK(g[0].tgid == 8 && g[0].growth_window == 4 * 65536 && g[0].grown == 4 &&
				 g[0].intervals == 4,
			 "the fastest first, its window's growth: pid %u +%lld in %u of %u",
			 g[0].tgid, (long long)g[0].growth_window, g[0].grown, g[0].intervals);
		UT_CHECK(g[1].tgid == 7 && g[1].growth_window == 4 * 8192 && g[1].bytes == 6 * 8192,
			 "its stacks summed: pid %u +%lld of %lld", g[1].tgid,
			 (long long)g[1].growth_window, (long long)g[1].bytes);
	}
	UT_EQ_INT(report__growers(r, LT_KIND_PAGES, 16384, g, 1), 1, "at most @max");
	UT_EQ_INT(report__growers(r, LT_KIND_PAGES, 1 << 30, g, 8), 0, "none past the minimum");
	report__free(r);
}

/* report__grew_last(): the processes whose pages grew by the minimum in the
 * last interval alone, their stacks summed (a stack not walked among them),
 * whatever they did before; another kind, a shrink and a smaller step are
 * not. */
static void grew_last(void)
{
	struct report_source src = { .stack_frames = no_frames, .resolve = no_resolve };
	struct report_opts opts = { .top = 10, .window = 4, .system = true };
	struct report *r = report__new(&opts, &src);
	__u32 out[8];
	size_t n;

	UT_CHECK(r != NULL, "report made");
	if (!r)
		return;
	UT_EQ_INT(report__grew_last(r, LT_KIND_PAGES, 4096, out, 8), 0, "none before a sample");
	for (int k = 0; k < 3; k++) {
		struct lt_sample s[] = {
			/* pid 7: 8 KiB in the last interval, half not walked */
			{ .stack = LEAK, .tgid = 7, .kind = LT_KIND_PAGES, .bytes = 4096 * k },
			{ .stack = LT_STACK_UNWALKED,
			  .tgid = 7,
			  .kind = LT_KIND_PAGES,
			  .bytes = 4096 * k },
			/* pid 8: 1 MiB at once, then flat */
			{ .stack = LEAK, .tgid = 8, .kind = LT_KIND_PAGES, .bytes = 1 << 20 },
			/* pid 9: 4 KiB an interval, under the minimum */
			{ .stack = LEAK, .tgid = 9, .kind = LT_KIND_PAGES, .bytes = 4096 * k },
			/* pid 10: shrinks */
			{ .stack = LEAK, .tgid = 10, .kind = LT_KIND_PAGES, .bytes = 65536 >> k },
			/* pid 11: heap, not pages */
			{ .stack = LEAK, .tgid = 11, .kind = LT_KIND_HEAP, .bytes = 65536 * k },
		};

		report__sample(r, k + 1, s, 6, false);
		n = report__grew_last(r, LT_KIND_PAGES, 8192, out, 8);
		if (k == 0) {
			/* from nothing, at the start: pid 8's 1 MiB and pid 10's 64 KiB */
			UT_EQ_INT(n, 2, "the first interval grows from nothing");
			UT_CHECK(n == 2 && out[0] + out[1] == 18, "pids 8 and 10: %u %u", out[0],
				 n > 1 ? out[1] : 0);
		}
	}
	UT_EQ_INT(n, 1, "one grew by the minimum in the last interval");
	UT_CHECK(n == 1 && out[0] == 7, "pid 7, its stacks summed: %u", n ? out[0] : 0);
	UT_EQ_INT(report__grew_last(r, LT_KIND_PAGES, 1, out, 8), 2, "a page's growth: pids 7, 9");
	UT_EQ_INT(report__grew_last(r, LT_KIND_PAGES, 1, out, 1), 1, "at most @max");
	report__free(r);
}

/* A stack of two addresses: at the first, make_record inlined into main (a
 * C++ name, raw and readable); the second in a library without symbols. */
static const __u64 frame_ips[] = { 0x1000, 0x2000 };

static size_t two_frames(void *ctx, __u32 tgid, __u64 stack, const __u64 **frames)
{
	(void)ctx, (void)tgid, (void)stack;
	*frames = frame_ips;
	return 2;
}

static size_t inline_resolve(void *ctx, __u32 tgid, __u64 addr, struct lt_frame *out, size_t max)
{
	(void)ctx, (void)tgid;
	if (addr == 0x2000 || max < 2) {
		out[0] = (struct lt_frame){ .addr = addr,
					    .offset = 0x1234,
					    .module = "/lib/libq.so" };
		return 1;
	}
	out[0] = (struct lt_frame){ .addr = addr,
				    .module = "/bin/app",
				    .func = "app::make_record(int)",
				    .symbol = "_ZN3app11make_recordEi",
				    .file = "/src/app.cc",
				    .line = 7,
				    .inlined = true };
	out[1] = (struct lt_frame){ .addr = addr,
				    .module = "/bin/app",
				    .func = "main",
				    .file = "/src/app.cc",
				    .line = 20 };
	return 2;
}

/* A report that writes its table and its JSON lines to memory. */
struct mem_report {
	struct report *r;
	FILE *text_f, *json_f;
	char *text, *json;
	size_t tlen, jlen;
};

static void mem_report_free(struct mem_report *m)
{
	report__free(m->r);
	if (m->text_f)
		fclose(m->text_f);
	if (m->json_f)
		fclose(m->json_f);
	free(m->text);
	free(m->json);
}

/* Makes @m's report with @opts, its outputs set here; false, with nothing
 * left to free, if it could not. */
static bool mem_report_new(struct mem_report *m, struct report_opts opts,
			   const struct report_source *src)
{
	*m = (struct mem_report){ 0 };
	opts.text = m->text_f = open_memstream(&m->text, &m->tlen);
	opts.json[0] = m->json_f = open_memstream(&m->json, &m->jlen);
	if (opts.text && opts.json[0])
		m->r = report__new(&opts, src);
	UT_CHECK(m->r != NULL, "report made");
	if (!m->r)
		mem_report_free(m);
	return m->r != NULL;
}

/* Brings @m's text and json up to date. */
static void mem_report_flush(struct mem_report *m)
{
	fflush(m->text_f);
	fflush(m->json_f);
}

/* How frames read: inlined ones marked, readable names with the raw symbol
 * beside them in JSON, a frame without a symbol as module+offset. */
static void frames_shown(void)
{
	struct report_source src = { .stack_frames = two_frames, .resolve = inline_resolve };
	struct report_opts opts = { .top = 10, .window = 4 };
	struct report_status st = { .pid = 42 };
	struct mem_report m;
	const char *text, *json;

	if (!mem_report_new(&m, opts, &src))
		return;
	for (int k = 0; k < 2; k++) {
		struct lt_sample s = heap(LEAK, k + 1);

		report__sample(m.r, k + 1, &s, 1, false);
	}
	report__emit(m.r, &st, NULL);
	mem_report_flush(&m);
	text = m.text;
	json = m.json;
	UT_CHECK(strstr(text, "        app::make_record(int) (app.cc:7) [inlined]  in app\n"
			      "        main (app.cc:20)\n"
			      "        libq.so+0x1234\n") != NULL,
		 "table: %s", text);
	UT_CHECK(strstr(json, "{\"func\":\"app::make_record(int)\",\"symbol\":\"_ZN3app11make_"
			      "recordEi\",\"inline\":true,\"module\":\"/bin/app\",\"file\":\"/src/"
			      "app.cc\",\"line\":7,") != NULL,
		 "JSON: the inlined frame with its raw symbol: %s", json);
	UT_CHECK(strstr(json, "{\"func\":\"main\",\"module\":\"/bin/app\",") != NULL,
		 "JSON: the frame that holds it, neither inline nor with another symbol");
	UT_CHECK(strstr(json, "{\"module\":\"/lib/libq.so\",\"lang\":\"c\",\"addr\":\"0x2000\","
			      "\"offset\":\"0x1234\"}") != NULL,
		 "JSON: the frame without a symbol");
	mem_report_free(&m);
}

/* The last line of @buf. */
static const char *last_line(const char *buf, size_t len)
{
	const char *last = buf;

	for (size_t i = 0; i + 1 < len; i++)
		if (buf[i] == '\n')
			last = buf + i + 1;
	return last;
}

/* The JSON object of @stack in the last record of @buf, up to its frames. */
static const char *stack_json(const char *buf, size_t len, __u64 stack, char *out, size_t cap)
{
	const char *last = last_line(buf, len), *at, *from, *end;
	char want[64];

	snprintf(want, sizeof(want), "\"stack_id\":\"0x%llx\"", (unsigned long long)stack);
	at = strstr(last, want);
	if (!at)
		return "";
	for (from = at; from > last && *from != '{'; from--)
		;
	end = strstr(at, "\"frames\"");
	snprintf(out, cap, "%.*s", (int)((end ? end : at) - from), from);
	return out;
}

enum {
	ONEOFF = 0x2001,
	TEXTURE = 0x2002,
	FBO = 0x2003,
	ARENA = 0x2004
};

/* Suspects (growing in most intervals) come before recent growth (a one-off,
 * however big), with the verdict and the unit in JSON; GL objects of known
 * size grow in bytes; an allocator's arenas come after the program's
 * suspects; the final report ends the last interval, and weakens no trend. */
static void verdicts(void)
{
	struct report_source src = { .stack_frames = no_frames, .resolve = no_resolve };
	struct report_opts opts = { .top = 10, .window = 4 };
	struct report_status st = { .pid = 42 };
	char *buf = NULL, *text = NULL, one[512];
	size_t len = 0, tlen = 0;
	struct report *r;
	const char *last;

	opts.json[0] = open_memstream(&buf, &len);
	opts.text = open_memstream(&text, &tlen);
	r = report__new(&opts, &src);
	UT_CHECK(opts.json[0] && opts.text && r, "report made");
	if (!opts.json[0] || !opts.text || !r)
		return;
	for (int k = 0; k < 6; k++) {
		struct lt_sample s[] = {
			heap(LEAK, 10 * (k + 1)),
			/* a megabyte at once, in the last interval */
			heap(ONEOFF, k == 5 ? 32768 : 0),
			{ .stack = TEXTURE,
			  .tgid = 42,
			  .kind = LT_KIND_GL_TEXTURE,
			  .bytes = 64 * (k + 1),
			  .count = k + 1 },
			{ .stack = FBO,
			  .tgid = 42,
			  .kind = LT_KIND_GL_FRAMEBUFFER,
			  .count = k + 1 },
			/* the arenas the leak's blocks live in, a new one each time */
			{ .stack = ARENA,
			  .aux = LT_ARENA_PYMALLOC,
			  .tgid = 42,
			  .kind = LT_KIND_MMAP,
			  .bytes = (1 << 20) * (k + 1),
			  .count = k + 1 },
		};

		UT_EQ_INT(report__sample(r, k + 1, s, 5, false), 0, "sample taken");
		report__emit(r, &st, NULL);
	}
	fflush(opts.json[0]);
	last = last_line(buf, len);
	UT_CHECK(strstr(stack_json(buf, len, LEAK, one, sizeof(one)), "\"suspect\":true,"
								      "\"unit\":\"bytes\","),
		 "the steady leak is a suspect, in bytes: %s", one);
	UT_CHECK(strstr(stack_json(buf, len, LEAK, one, sizeof(one)), "\"rank\":1,"),
		 "and ranks first: %s", last);
	UT_CHECK(strstr(stack_json(buf, len, ONEOFF, one, sizeof(one)), "\"suspect\":false,"),
		 "the one-off is recent growth: %s", one);
	UT_CHECK(strstr(stack_json(buf, len, ONEOFF, one, sizeof(one)), "\"rank\":5,"),
		 "and ranks after every suspect, bigger as it is: %s", last);
	UT_CHECK(strstr(stack_json(buf, len, TEXTURE, one, sizeof(one)),
			"\"suspect\":true,\"unit\":\"bytes\",\"growth\":64,\"growth_window\":"
			"256,\"growth_total\":384,\"intervals_grown\":4"),
		 "textures of known size grow in bytes: %s", one);
	UT_CHECK(strstr(stack_json(buf, len, FBO, one, sizeof(one)),
			"\"unit\":\"count\",\"growth\":1,\"growth_window\":4,"),
		 "framebuffers, with no bytes, grow in count: %s", one);
	UT_CHECK(strstr(stack_json(buf, len, ARENA, one, sizeof(one)),
			"\"rank\":4,\"kind\":\"mmap\",\"bytes\":6291456,\"count\":6,"
			"\"suspect\":true,\"unit\":\"bytes\",\"arena\":\"pymalloc\","),
		 "the arenas rank after the program's suspects, said to be pymalloc's: %s", last);
	fflush(opts.text);
	UT_CHECK(strstr(text, "  leak suspects: grew in most intervals of the window\n"
			      "    1 heap "),
		 "table: suspects first, said so: %s", text);
	UT_CHECK(strstr(text, "  recent growth: grew in few intervals"), "then recent growth");
	UT_CHECK(strstr(text, "+1 obj     +4 obj     +6 obj    4/4\n"),
		 "table: counts named as such: %s", text);
	UT_CHECK(strstr(text, "        pymalloc arenas (CPython's object allocator): the "
			      "allocator's mappings, not a line's\n"),
		 "table: the arenas said to be the allocator's");

	/* The final report, a moment after the last interval: a fake interval
	 * where nothing grew would make the trend 3/4. */
	{
		struct lt_sample s[] = { heap(LEAK, 60) };

		report__sample(r, 6.01, s, 1, true);
		report__emit(r, &st, "duration");
	}
	fflush(opts.json[0]);
	last = last_line(buf, len);
	UT_CHECK(strstr(last, "{\"type\":\"exit\",\"t\":6.010,\"reason\":\"duration\""),
		 "the exit record: %.80s", last);
	UT_CHECK(strstr(stack_json(buf, len, LEAK, one, sizeof(one)),
			"\"suspect\":true,\"unit\":\"bytes\",\"growth\":320,\"growth_window\":1280,"
			"\"growth_total\":1920,\"intervals_grown\":4"),
		 "the final report keeps the last interval's growth and the trend: %s", one);
	UT_CHECK(!strstr(last, "\"stack_id\":\"0x2002\""),
		 "what went away by the exit is gone from it: %s", last);
	report__free(r);
	fclose(opts.json[0]);
	fclose(opts.text);
	free(buf);
	free(text);
}

/* The last "  live:" line of the table in @text, up to its end, in @out. */
static const char *last_live(const char *text, char *out, size_t len)
{
	const char *at = NULL, *end;

	for (const char *p = text; (p = strstr(p, "\n  live:")); p++)
		at = p + 1;
	if (!at)
		return "";
	end = strchr(at, '\n');
	snprintf(out, len, "%.*s", end ? (int)(end - at) : (int)strlen(at), at);
	return out;
}

/* The header's live totals: under --system, a kind traced in every process
 * but seen in none (GL's nine, the heap before any exact phase) is left
 * out, while the run's main kind (pages) is always there and a kind once
 * live stays; -p keeps every traced kind, and so does the JSON. */
static void header_kinds(void)
{
	struct report_source src = { .stack_frames = no_frames, .resolve = no_resolve };
	struct report_status st = { .pid = 42 };
	struct report_start info = {
		.pid = 42,
		.sources = LT_SRC_LIBC | LT_SRC_PYTHON | LT_SRC_GL | LT_SRC_PAGES,
		.interval = 1,
	};
	char line[1024];

	for (int system = 1; system >= 0; system--) {
		struct report_opts opts = { .top = 10, .window = 4, .system = system };
		struct mem_report m;

		if (!mem_report_new(&m, opts, &src))
			return;
		report__start(m.r, &info);
		for (int k = 0; k < 4; k++) {
			struct lt_sample s[] = {
				{ .stack = LEAK,
				  .tgid = 7,
				  .kind = LT_KIND_PAGES,
				  .bytes = 4096 * (k + 1),
				  .count = k + 1 },
				{ .stack = CACHE,
				  .tgid = 8,
				  .kind = LT_KIND_GL_TEXTURE,
				  .count = 1 },
			};

			/* the texture lives in the third interval only */
			report__sample(m.r, k + 1, s, k == 2 ? 2 : 1, false);
			report__emit(m.r, &st, NULL);
			mem_report_flush(&m);
			last_live(m.text, line, sizeof(line));
			UT_CHECK(strstr(line, " pages 4.0 KiB") || strstr(line, " pages 8.0 KiB") ||
					 strstr(line, " pages 12.0 KiB") ||
					 strstr(line, " pages 16.0 KiB"),
				 "system %d, interval %d: the pages are listed: %s", system, k,
				 line);
			UT_CHECK(!!strstr(line, "gl.buffer 0 B in 0") == !system,
				 "system %d, interval %d: gl.buffer, never live, is listed only "
				 "with -p: %s",
				 system, k, line);
			UT_CHECK(!!strstr(line, "heap 0 B in 0") == !system,
				 "system %d, interval %d: the heap, never live, is listed only "
				 "with -p: %s",
				 system, k, line);
			UT_CHECK(!!strstr(line, "gl.texture") == (!system || k >= 2),
				 "system %d, interval %d: gl.texture is listed once it had "
				 "something live: %s",
				 system, k, line);
		}
		UT_CHECK(strstr(m.json, "\"gl.buffer\":{\"bytes\":0,\"count\":0,") != NULL,
			 "system %d: the JSON totals keep every traced kind", system);
		mem_report_free(&m);
	}
}

int main(void)
{
	struct report_source src = { .stack_frames = no_frames, .resolve = no_resolve };
	struct report_opts opts = { .top = 10, .window = 4 };
	struct report_status st = { .pid = 42 };
	/* the cache at 50, caught at 49 between an eviction and an insertion */
	static const int cache[] = { 50, 50, 49, 50, 50, 50, 49, 50, 50, 50, 50, 50 };
	static const int churn[] = { 0, 37, 0, 12, 0, 0, 3, 0, 0, 0, 0, 0 };
	char *buf = NULL;
	size_t len = 0;
	struct report *r;
	FILE *f;

	f = open_memstream(&buf, &len);
	opts.json[0] = f;
	r = report__new(&opts, &src);
	UT_CHECK(f && r, "report made");
	if (!f || !r)
		return ut_done();
	for (int k = 0; k < 12; k++) {
		struct lt_sample s[] = {
			heap(LEAK, 10 * (k + 1)),
			heap(STOPPED, k < 7 ? 5 * (k + 1) : 35),
			heap(CACHE, cache[k]),
			heap(CHURN, churn[k]),
		};

		UT_EQ_INT(report__sample(r, 0.5 * (k + 1), s, 4, false), 0, "sample taken");
		report__emit(r, &st, NULL);
		fflush(f);
		UT_CHECK(listed(buf, len, LEAK), "interval %d: the steady leak is listed", k);
		UT_CHECK(listed(buf, len, STOPPED) == (k < 6 + 4),
			 "interval %d: the stopped leak is listed until its growth leaves the "
			 "window",
			 k);
		UT_CHECK(!listed(buf, len, CACHE) || k < 4,
			 "interval %d: the bounded cache is not listed once it filled", k);
		UT_CHECK(!listed(buf, len, CHURN) || churn[k],
			 "interval %d: churn back to nothing is not listed", k);
	}
	report__free(r);
	fclose(f);
	free(buf);
	system_mode();
	growers();
	grew_last();
	frames_shown();
	verdicts();
	header_kinds();
	return ut_done();
}
