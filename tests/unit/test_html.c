/* SPDX-License-Identifier: GPL-2.0-only */
/* --html from a report fed with names a hostile target could have (markup,
 * quotes, control characters, invalid UTF-8): the page must carry them as
 * text, never as markup, and fetch nothing; each listed stack gets a
 * section with its chart and frames; and the history that the charts draw
 * stays bounded over a long run while it spans all of it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "escape.h"
#include "html.h"
#include "leaktrace.h"
#include "report.h"
#include "ut.h"

enum {
	LEAK = 0x2001,
	FDS = 0x2002,
	PY = 0x2003,
};
enum {
	IP_EVIL = 0x1000,
	IP_MAIN = 0x2000,
};

static const __u64 leak_ips[] = { IP_EVIL, IP_MAIN };
static const __u64 py_ips[] = { LT_PY_FRAME | 7 << 16 | 1 };

#define EVIL_FUNC "<script>alert(1)</script>&amp;\"'\x1b[31m"
#define EVIL_FILE "/src/<img src=x onerror=alert(2)>.c"
#define EVIL_TYPE "</code><a href=\"https://example.com/\">t</a>"
#define EVIL_COMM "<b>srv\xff"

static size_t frames_of(void *ctx, __u32 tgid, __u64 stack, const __u64 **frames)
{
	(void)ctx, (void)tgid;
	*frames = stack == PY ? py_ips : leak_ips;
	return stack == PY ? 1 : 2;
}

static size_t resolve(void *ctx, __u32 tgid, __u64 addr, struct lt_frame *out, size_t max)
{
	(void)ctx, (void)tgid, (void)max;
	*out = (struct lt_frame){ .addr = addr,
				  .module = "/usr/bin/<svg onload=alert(3)>",
				  .func = addr == IP_EVIL ? EVIL_FUNC : "main",
				  .file = EVIL_FILE,
				  .line = addr == IP_EVIL ? 5 : 9 };
	return 1;
}

static void resolve_py(void *ctx, __u32 tgid, __u64 entry, struct lt_frame *out)
{
	(void)ctx, (void)tgid, (void)entry;
	*out = (struct lt_frame){ .module = "<py>.py",
				  .func = "make_<i>",
				  .file = "<py>.py",
				  .line = 7,
				  .python = true };
}

static const char *type_name(void *ctx, __u32 tgid, __u64 type)
{
	(void)ctx, (void)tgid, (void)type;
	return EVIL_TYPE;
}

static const char *comm(void *ctx, __u32 tgid)
{
	(void)ctx, (void)tgid;
	return EVIL_COMM;
}

/* A report of @n intervals in which LEAK and PY grow every interval and
 * FDS holds descriptors, then the final sample. */
static struct report *fed(int n, bool system)
{
	struct report_source src = { .stack_frames = frames_of,
				     .resolve = resolve,
				     .resolve_py = resolve_py,
				     .type_name = type_name,
				     .comm = comm };
	struct report_opts opts = { .top = 10, .window = 4, .history = true, .system = system };
	struct report *r = report__new(&opts, &src);

	if (r)
		report__start(r,
			      &(struct report_start){
				      .pid = 42, .comm = EVIL_COMM, .interval = 1, .time = 1e9 });
	for (int k = 1; r && k <= n + 1; k++) {
		struct lt_sample s[] = {
			{ .stack = LEAK,
			  .tgid = 42,
			  .kind = LT_KIND_HEAP,
			  .bytes = 100 * k,
			  .count = k },
			{ .stack = FDS, .tgid = 42, .kind = LT_KIND_FD, .count = 3 },
			{ .stack = PY,
			  .tgid = 42,
			  .kind = LT_KIND_PYOBJ,
			  .bytes = 56 * k,
			  .count = k },
		};

		/* the final sample: the state at exit, no interval of its own */
		report__sample(r, k <= n ? k : n + 0.5, s, 3, k > n);
	}
	return r;
}

static char *page_of(struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	UT_CHECK(f, "memory stream");
	if (!f)
		return NULL;
	UT_EQ_INT(html__write(r, f), 0, "page written");
	fclose(f);
	return buf;
}

/* Text in UTF-8, without control characters but newlines. */
static bool clean_utf8(const char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		size_t n = lt_utf8_seq((const unsigned char *)s + i, len - i);

		if (!n || (n == 1 && s[i] != '\n' && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)))
			return false;
		i += n;
	}
	return true;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void test_hostile(bool system)
{
	struct report *r = fed(5, system);
	char *page = r ? page_of(r) : NULL;

	UT_CHECK(page, "page of a report with hostile names (system %d)", system);
	if (!page)
		goto cleanup;
	UT_CHECK(clean_utf8(page), "valid UTF-8, no control characters");
	UT_CHECK(!strstr(page, "<script") && !strstr(page, "<img") &&
			 !strstr(page, "<svg onload") && !strstr(page, "<a href=\"https") &&
			 !strstr(page, "<b>srv") && !strstr(page, "<i>") && !strstr(page, "<py>"),
		 "no name of the target's turns into markup");
	UT_CHECK(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;&quot;&#39;"),
		 "the function's name is there, escaped");
	UT_CHECK(strstr(page, "&lt;/code&gt;&lt;a href=&quot;https://example.com/&quot;&gt;"),
		 "the Python type's name is there, escaped");
	UT_CHECK(strstr(page, "make_&lt;i&gt;") && strstr(page, "&lt;py&gt;.py:7"),
		 "the Python frame with its file:line");
	UT_CHECK(strstr(page, "&lt;img src=x onerror=alert(2)&gt;.c:5"), "the C frame's file:line");
	UT_CHECK(!count(page, "src=\"") && !count(page, "href=\"http") && !count(page, "url("),
		 "nothing to fetch");
	UT_CHECK(count(page, "href=\"") == count(page, "href=\"#s"), "links only within the page");
	UT_CHECK(strstr(page, "Content-Security-Policy\" content=\"default-src 'none'"),
		 "the policy allows no fetch");
	/* LEAK and PY grow; FDS holds descriptors that do not */
	UT_EQ_INT(count(page, "<section class=\"stack"), 2, "a section per growing stack");
	UT_EQ_INT(count(page, "<svg class=\"chart\""), 2 + 3, "a chart per stack and per kind");
	UT_CHECK(strstr(page, "<svg class=\"flame\""), "a flame graph");
	/* the fds hold no bytes: only the two stacks of memory are in it */
	UT_CHECK(strstr(page, "<title>heap \xe2\x80\x94") && strstr(page, "<title>pyobj ") &&
			 !strstr(page, "<title>fd"),
		 "the flame graph has the kinds that hold bytes");
	UT_CHECK(!system || strstr(page, "&lt;b&gt;srv\\xff 42"),
		 "under --system, the process heads its stacks");
cleanup:
	free(page);
	report__free(r);
}

struct seen {
	size_t rows, points;
	double first_t, last_t;
	bool ordered;
};

static int row_history(void *ctx, const struct report_row *x)
{
	struct seen *s = ctx;

	s->rows++;
	if (strcmp(x->kind, "heap"))
		return 0;
	s->points = x->nr_history;
	s->first_t = x->nr_history ? x->history[0].t : -1;
	s->last_t = x->nr_history ? x->history[x->nr_history - 1].t : -1;
	s->ordered = true;
	for (size_t i = 1; i < x->nr_history; i++)
		s->ordered &= x->history[i].t > x->history[i - 1].t &&
			      x->history[i].bytes > x->history[i - 1].bytes;
	return 0;
}

static int total_history(void *ctx, const struct report_total *x)
{
	struct seen *s = ctx;

	if (strcmp(x->kind, "heap"))
		return 0;
	s->points = x->nr_points;
	s->first_t = x->nr_points ? x->points[0].t : -1;
	s->last_t = x->nr_points ? x->points[x->nr_points - 1].t : -1;
	UT_EQ_INT(x->nr_points ? x->points[x->nr_points - 1].bytes : 0, x->bytes,
		  "the totals' last point is the last sample");
	return 0;
}

/* A long run: the history spans it in a bounded number of points. */
static void test_bounded(void)
{
	int n = 3000;
	struct report *r = fed(n, false);
	struct seen rows = { 0 }, totals = { 0 };

	UT_CHECK(r, "a report of %d intervals", n);
	if (!r)
		return;
	UT_EQ_INT(report__each_row(r, row_history, &rows), 0, "rows walked");
	UT_EQ_INT(rows.rows, 2, "two growing stacks");
	UT_CHECK(rows.points >= 100 && rows.points <= 256, "the stack's history: %zu points",
		 rows.points);
	UT_CHECK(rows.first_t == 0 && rows.last_t == n + 0.5,
		 "from the start to the final sample: %.1f to %.1f", rows.first_t, rows.last_t);
	UT_CHECK(rows.ordered, "in time order, growing as the stack did");
	UT_EQ_INT(report__each_total(r, total_history, &totals), 0, "totals walked");
	UT_CHECK(totals.points >= 100 && totals.points <= 256, "the totals' history: %zu points",
		 totals.points);
	UT_CHECK(totals.first_t == 0 && totals.last_t == n + 0.5, "totals from %.1f to %.1f",
		 totals.first_t, totals.last_t);
	report__free(r);
}

/* A stack listed late, once another that grew more stopped: its history
 * starts with the window before. */
static void test_listed_late(void)
{
	struct report_source src = { .stack_frames = frames_of, .resolve = resolve };
	struct report_opts opts = { .top = 1, .window = 4, .history = true };
	struct report *r = report__new(&opts, &src);
	struct seen rows = { 0 };

	for (int k = 1; r && k <= 20; k++) {
		struct lt_sample s[] = {
			{ .stack = FDS,
			  .tgid = 42,
			  .kind = LT_KIND_HEAP,
			  .bytes = 1000 * (k < 10 ? k : 10) },
			{ .stack = LEAK, .tgid = 42, .kind = LT_KIND_HEAP, .bytes = 10 * k },
		};

		report__sample(r, k, s, 2, false);
	}
	UT_CHECK(r, "report made");
	if (!r)
		return;
	report__each_row(r, row_history, &rows);
	UT_EQ_INT(rows.rows, 1, "one stack is listed");
	UT_CHECK(rows.first_t >= 6 && rows.first_t <= 14 && rows.last_t == 20,
		 "history from the window before it was listed: %.1f to %.1f", rows.first_t,
		 rows.last_t);
	UT_EQ_INT(rows.points, 20 - rows.first_t + 1, "a point per interval since");
	report__free(r);
}

int main(void)
{
	test_hostile(false);
	test_hostile(true);
	test_bounded();
	test_listed_late();
	return ut_done();
}
