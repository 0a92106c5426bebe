// SPDX-License-Identifier: GPL-2.0-only
/* The HTML report: one page that needs nothing but itself (a content
 * security policy that allows no fetch and no script says so to the
 * browser), drawn here as SVG rather than by a script. Names come from the
 * traced process: each is escaped for a terminal first (control characters,
 * invalid UTF-8), then for HTML, in text and in attributes alike. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "escape.h"
#include "html.h"
#include "symbolize.h"

/* Growth charts: the size of one, and its margins (room for the labels). */
#define CHART_W 560
#define CHART_H 150
#define CHART_ML 74
#define CHART_MR 12
#define CHART_MT 10
#define CHART_MB 22

/* The flame graph: its width, the height of a frame, the narrowest frame
 * drawn (narrower ones are left out with what they called, as
 * flamegraph.pl does), the width of a character of its labels, and the
 * most nodes it grows to (past that, stacks end where they reach it). */
#define FLAME_W 1200
#define FLAME_ROW 17
#define FLAME_MIN_W 0.5
#define FLAME_CHAR_W 6.7
#define FLAME_MAX_NODES 200000

/* @s, made safe for a terminal, then for HTML (text and quoted attributes);
 * at most @max characters of it, then "…" (0: all of it). */
static void put_cut(FILE *f, const char *s, size_t max)
{
	char buf[2048];
	size_t chars = 0;

	for (const char *p = lt_escape_term(buf, sizeof(buf), s); *p; p++) {
		/* a character starts at any byte but a continuation byte */
		if ((*p & 0xc0) != 0x80 && max && ++chars > max) {
			fputs("\xe2\x80\xa6", f);
			return;
		}
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*p, f);
		}
	}
}

static void put(FILE *f, const char *s)
{
	put_cut(f, s, 0);
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* A frame as one line, unescaped: "func (file:line)", "func+0xOFF",
 * "module+0xOFF" or the address, "[inlined]" after an inlined function. */
static const char *frame_label(char *buf, size_t len, const struct lt_frame *fr)
{
	int n;

	if (fr->func && fr->file && fr->line > 0)
		n = snprintf(buf, len, "%s (%s:%d)", fr->func, base_name(fr->file), fr->line);
	else if (fr->func && !fr->inlined && !fr->python)
		n = snprintf(buf, len, "%s+0x%" PRIx64, fr->func, (uint64_t)fr->func_off);
	else if (fr->func)
		n = snprintf(buf, len, "%s", fr->func);
	else if (fr->module)
		n = snprintf(buf, len, "%s+0x%" PRIx64, base_name(fr->module),
			     (uint64_t)fr->offset);
	else
		n = snprintf(buf, len, "0x%" PRIx64, (uint64_t)fr->addr);
	if (fr->inlined && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, " [inlined]");
	return buf;
}

/* A figure of a kind measured in bytes, or in count. */
static const char *figure(char *buf, size_t len, __s64 v, bool bytes, bool sign)
{
	if (bytes)
		lt_format_size(buf, len, v, sign);
	else
		snprintf(buf, len, sign ? "%+" PRId64 : "%" PRId64, (int64_t)v);
	return buf;
}

static __s64 point_value(const struct report_point *p, bool bytes)
{
	return bytes ? p->bytes : p->count;
}

/* A line chart of @n points over the run (0 to @t_end seconds), with the
 * area under it; the axes say the lowest and highest figures and times. */
static void chart(FILE *f, const struct report_point *p, size_t n, bool bytes, double t_end,
		  const char *label)
{
	const double pw = CHART_W - CHART_ML - CHART_MR, ph = CHART_H - CHART_MT - CHART_MB;
	__s64 lo = 0, hi = 0;
	double tmax = t_end, span;
	char a[32], b[32];

	for (size_t i = 0; i < n; i++) {
		__s64 v = point_value(&p[i], bytes);

		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		tmax = p[i].t > tmax ? p[i].t : tmax;
	}
	if (hi == lo)
		hi = lo + 1;
	if (tmax <= 0)
		tmax = 1;
	span = (double)(hi - lo);
#define X(t) (CHART_ML + (t) / tmax * pw)
#define Y(v) (CHART_MT + (double)(hi - (v)) / span * ph)
	fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", CHART_W,
		CHART_H);
	put(f, label);
	fputs("\">", f);
	for (int i = 0; i <= 2; i++) {
		__s64 v = lo + (hi - lo) * i / 2;
		double y = Y(v);

		fprintf(f,
			"<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
			"<text class=\"ax\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
			CHART_ML, CHART_W - CHART_MR, y, y, CHART_ML - 6, y + 4,
			figure(a, sizeof(a), v, bytes, false));
	}
	fprintf(f,
		"<text class=\"ax\" x=\"%d\" y=\"%d\">0 s</text>"
		"<text class=\"ax\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%.1f s</text>",
		CHART_ML, CHART_H - 6, CHART_W - CHART_MR, CHART_H - 6, tmax);
	if (!n) {
		fprintf(f, "<text class=\"ax\" x=\"%.0f\" y=\"%.0f\">no history</text></svg>\n",
			CHART_ML + pw / 3, CHART_MT + ph / 2);
		return;
	}
	fprintf(f, "<path class=\"area\" d=\"M%.1f %.1f", X(p[0].t), Y(lo > 0 ? lo : 0));
	for (size_t i = 0; i < n; i++)
		fprintf(f, "L%.1f %.1f", X(p[i].t), Y(point_value(&p[i], bytes)));
	fprintf(f, "L%.1f %.1fZ\"/><polyline class=\"line\" points=\"", X(p[n - 1].t),
		Y(lo > 0 ? lo : 0));
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%.1f,%.1f", i ? " " : "", X(p[i].t), Y(point_value(&p[i], bytes)));
	fprintf(f, "\"/><circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>%s at %.1f s",
		X(p[n - 1].t), Y(point_value(&p[n - 1], bytes)),
		figure(b, sizeof(b), point_value(&p[n - 1], bytes), bytes, false), p[n - 1].t);
	fputs("</title></circle></svg>\n", f);
#undef X
#undef Y
}

struct page {
	FILE *f;
	double t_end;
	bool system;
	int pass;	   /* the rows go out twice: the table, then a section each */
	unsigned int rows; /* in the table */
};

static int put_total(void *ctx, const struct report_total *x)
{
	struct page *pg = ctx;
	FILE *f = pg->f;
	char live[32], label[64];
	const char *est = x->estimated ? "~" : "";

	fputs("<figure class=\"kind\"><figcaption><b>", f);
	put(f, x->kind);
	if (x->in_bytes)
		fprintf(f, "</b> %s%s live in %s%" PRId64, est,
			figure(live, sizeof(live), x->bytes, true, false), est, (int64_t)x->count);
	else
		fprintf(f, "</b> %" PRId64 " live", (int64_t)x->count);
	fputs("</figcaption>", f);
	snprintf(label, sizeof(label), "%s live over the run", x->kind);
	chart(f, x->points, x->nr_points, x->in_bytes, pg->t_end, label);
	fputs("</figure>\n", f);
	return ferror(f) ? -EIO : 0;
}

static const char *count_noun(const char *kind)
{
	return strcmp(kind, "fd") ? "obj" : "fd";
}

static void put_growth(FILE *f, __s64 v, const struct report_row *x)
{
	char buf[32];

	fprintf(f, "<td>%s%s", x->estimated ? "~" : "",
		figure(buf, sizeof(buf), v, x->in_bytes, true));
	if (!x->in_bytes)
		fprintf(f, " %s", count_noun(x->kind));
}

/* Where a row points at, in the table: the innermost frame with a name,
 * or for Python objects the innermost Python frame, the program's line
 * under the interpreter's functions that made the object. */
static const struct lt_frame *site_of(const struct report_row *x)
{
	for (size_t i = 0; i < x->nr_frames && x->type; i++)
		if (x->frames[i].python)
			return &x->frames[i];
	for (size_t i = 0; i < x->nr_frames; i++)
		if (x->frames[i].func)
			return &x->frames[i];
	return x->nr_frames ? &x->frames[0] : NULL;
}

static void table_row(struct page *pg, const struct report_row *x)
{
	FILE *f = pg->f;
	const struct lt_frame *site = site_of(x);
	char live[32], label[1024];

	fprintf(f, "<tr class=\"%s\"><td><a href=\"#s%u\">%u</a><td>",
		x->suspect ? "suspect" : "recent", x->rank, x->rank);
	put(f, x->kind);
	fprintf(f, "<td>%s%s<td>%s%" PRId64, x->estimated ? "~" : "",
		figure(live, sizeof(live), x->bytes, true, false), x->estimated ? "~" : "",
		(int64_t)x->count);
	put_growth(f, x->growth, x);
	put_growth(f, x->growth_window, x);
	put_growth(f, x->growth_total, x);
	fprintf(f, "<td>%u/%u<td>%s<td class=\"site\">", x->grown, x->intervals,
		x->suspect ? "suspect" : "recent growth");
	if (x->type) {
		put(f, x->type);
		fputs(" objects from ", f);
	}
	if (x->stack_lost)
		fputs("[stack lost]", f);
	else if (x->stack_unwalked)
		fputs("[stack not walked]", f);
	else if (site)
		put(f, frame_label(label, sizeof(label), site));
	else
		fputs("[stack not available]", f);
	if (pg->system) {
		fprintf(f, " <span class=\"mod\">in pid %u (", x->tgid);
		put(f, x->comm);
		fputs(")</span>", f);
	}
	fputs("</tr>\n", f);
}

static void frame_item(FILE *f, const struct lt_frame *fr)
{
	char label[1024];

	fprintf(f, "<li class=\"%s\"><span class=\"lang\">%s</span> <span class=\"fn\">",
		fr->python ? "py" : "c", fr->python ? "py" : "C");
	if (fr->func) {
		put(f, fr->func);
		if (!fr->python && !fr->inlined && !(fr->file && fr->line > 0))
			fprintf(f, "+0x%" PRIx64, (uint64_t)fr->func_off);
	} else {
		put(f, frame_label(label, sizeof(label), fr));
	}
	fputs("</span>", f);
	if (fr->file && fr->line > 0) {
		fputs(" <span class=\"loc\" title=\"", f);
		put(f, fr->file);
		fputs("\">", f);
		put(f, base_name(fr->file));
		fprintf(f, ":%d</span>", fr->line);
	}
	if (fr->inlined)
		fputs(" <span class=\"mod\">[inlined]</span>", f);
	if (!fr->python && fr->module) {
		fputs(" <span class=\"mod\">in ", f);
		put(f, base_name(fr->module));
		fputs("</span>", f);
	}
	fputs("</li>\n", f);
}

static void stack_section(struct page *pg, const struct report_row *x)
{
	FILE *f = pg->f;
	char total[32], label[96];

	fprintf(f, "<section class=\"stack %s\" id=\"s%u\"><h3>#%u ",
		x->suspect ? "suspect" : "recent", x->rank, x->rank);
	put(f, x->kind);
	fprintf(f, " &middot; %s%s", x->estimated ? "~" : "",
		figure(total, sizeof(total), x->growth_total, x->in_bytes, true));
	if (!x->in_bytes)
		fprintf(f, " %s", count_noun(x->kind));
	fprintf(f, " &middot; %s, grew in %u of the last %u intervals</h3>\n",
		x->suspect ? "leak suspect" : "recent growth", x->grown, x->intervals);
	if (pg->system) {
		fprintf(f, "<p>in pid %u (", x->tgid);
		put(f, x->comm);
		fputs(")</p>\n", f);
	}
	if (x->type) {
		fputs("<p>objects of type <code>", f);
		put(f, x->type);
		fputs("</code></p>\n", f);
	}
	if (x->arena) {
		fputs("<p>", f);
		put(f, x->arena);
		fputs(": the allocator's mappings, not a line's</p>\n", f);
	}
	if (x->nr_history && x->history[0].t > 0)
		fprintf(f,
			"<p class=\"note\">kept from %.1f s on: the window before it was first "
			"listed</p>\n",
			x->history[0].t);
	snprintf(label, sizeof(label), "stack %u outstanding over the run", x->rank);
	chart(f, x->history, x->nr_history, x->in_bytes, pg->t_end, label);
	if (x->stack_lost)
		fputs("<p>[stack lost: the stack map was full; see --max-stacks]</p>\n", f);
	else if (x->stack_unwalked)
		fprintf(f,
			"<p>[stack not walked: faulted in before pid %u grew enough in one "
			"interval for its stacks to be walked]</p>\n",
			x->tgid);
	else if (!x->nr_frames)
		fputs("<p>[stack not available]</p>\n", f);
	else
		fputs("<ol class=\"frames\">\n", f);
	for (size_t i = 0; i < x->nr_frames && !x->stack_lost; i++)
		frame_item(f, &x->frames[i]);
	if (x->nr_frames && !x->stack_lost)
		fputs("</ol>\n", f);
	fputs("</section>\n", f);
}

static int put_row(void *ctx, const struct report_row *x)
{
	struct page *pg = ctx;

	pg->rows++;
	if (pg->pass == 0)
		table_row(pg, x);
	else
		stack_section(pg, x);
	return ferror(pg->f) ? -EIO : 0;
}

/* --- the flame graph --- */

enum node_class {
	NODE_ROOT,
	NODE_PROC,
	NODE_KIND,
	NODE_C,
	NODE_PY
};

struct node {
	char *name; /* unescaped */
	__s64 bytes;
	size_t child, next; /* first child, next sibling; 0: none (0 is the root) */
	enum node_class cls;
};

struct flame {
	struct node *v;
	size_t n, cap;
	bool system, cut;
	int depth; /* of the frames drawn */
};

/* The child of @parent named @name, made if new; 0 when none can be. */
static size_t node_child(struct flame *fl, size_t parent, const char *name, enum node_class cls)
{
	size_t i;

	for (i = fl->v[parent].child; i; i = fl->v[i].next)
		if (fl->v[i].cls == cls && !strcmp(fl->v[i].name, name))
			return i;
	if (fl->n >= FLAME_MAX_NODES) {
		fl->cut = true;
		return 0;
	}
	if (fl->n == fl->cap) {
		size_t cap = fl->cap * 2;
		struct node *v = realloc(fl->v, cap * sizeof(*v));

		if (!v)
			return 0;
		fl->v = v;
		fl->cap = cap;
	}
	i = fl->n;
	fl->v[i] = (struct node){ .name = strdup(name), .cls = cls, .next = fl->v[parent].child };
	if (!fl->v[i].name)
		return 0;
	fl->v[parent].child = i;
	fl->n++;
	return i;
}

static int flame_add(void *ctx, const struct report_live *l)
{
	struct flame *fl = ctx;
	char name[1100];
	size_t at = 0, next;

	if (l->bytes <= 0)
		return 0;
	fl->v[0].bytes += l->bytes;
	if (fl->system) {
		snprintf(name, sizeof(name), "%s %u", l->comm, l->tgid);
		at = node_child(fl, at, name, NODE_PROC);
		if (!at)
			return fl->cut ? 0 : -ENOMEM;
		fl->v[at].bytes += l->bytes;
	}
	snprintf(name, sizeof(name), "%s%s%s", l->kind, l->type ? " " : "", l->type ? l->type : "");
	for (size_t i = l->nr_frames + 1; i-- > 0; at = next) {
		if (i < l->nr_frames)
			frame_label(name, sizeof(name), &l->frames[i]);
		next = node_child(fl, at, name,
				  i == l->nr_frames	? NODE_KIND
				  : l->frames[i].python ? NODE_PY
							: NODE_C);
		if (!next)
			return fl->cut ? 0 : -ENOMEM;
		fl->v[next].bytes += l->bytes;
	}
	return 0;
}

/* A child to sort (plain qsort: qsort_r is missing from older musl). */
struct kid {
	const struct node *n;
	size_t i;
};

static int node_cmp(const void *a, const void *b)
{
	const struct node *x = ((const struct kid *)a)->n, *y = ((const struct kid *)b)->n;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* A colour of its class for @n, varied by its name, as flamegraph.pl's. */
static void node_fill(char *buf, size_t len, const struct node *n)
{
	unsigned int h = 2166136261u;

	for (const char *p = n->name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	switch (n->cls) {
	case NODE_ROOT:
		snprintf(buf, len, "#d8d8d8");
		break;
	case NODE_PROC:
		snprintf(buf, len, "#c4cfdc");
		break;
	case NODE_KIND:
		snprintf(buf, len, "#d6c8e8");
		break;
	case NODE_PY:
		snprintf(buf, len, "hsl(%u,55%%,%u%%)", 170 + h % 40, 58 + (h >> 8) % 14);
		break;
	default:
		snprintf(buf, len, "hsl(%u,80%%,%u%%)", 8 + h % 40, 58 + (h >> 8) % 14);
	}
}

/* Draws node @i at @x, @depth rows down, and what it called under it (an
 * icicle: callers above callees); with @f NULL, only measures the depth.
 * Recursion is bounded by the depth of a stack (MAX_SHOWN frames). */
static int flame_draw(struct flame *fl, FILE *f, size_t i, double x, int depth)
{
	const struct node *n = &fl->v[i];
	double w = (double)n->bytes / (double)fl->v[0].bytes * FLAME_W;
	size_t nr = 0;
	struct kid *kids;
	char fill[40], size[32];
	int err = 0;

	if (w < FLAME_MIN_W)
		return 0;
	if (depth + 1 > fl->depth)
		fl->depth = depth + 1;
	if (f) {
		lt_format_size(size, sizeof(size), n->bytes, false);
		node_fill(fill, sizeof(fill), n);
		fputs("<g><title>", f);
		put(f, n->name);
		fprintf(f,
			" \xe2\x80\x94 %s, %.1f%%</title><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
			"height=\"%d\" fill=\"%s\"/>",
			size, 100.0 * (double)n->bytes / (double)fl->v[0].bytes, x,
			depth * FLAME_ROW, w, FLAME_ROW - 1, fill);
		if (w > 3 * FLAME_CHAR_W) {
			fprintf(f, "<text x=\"%.1f\" y=\"%d\">", x + 3, depth * FLAME_ROW + 12);
			put_cut(f, n->name, (size_t)((w - 6) / FLAME_CHAR_W));
			fputs("</text>", f);
		}
		fputs("</g>\n", f);
	}
	for (size_t c = n->child; c; c = fl->v[c].next)
		nr++;
	if (!nr)
		return 0;
	kids = malloc(nr * sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	nr = 0;
	for (size_t c = n->child; c; c = fl->v[c].next)
		kids[nr++] = (struct kid){ .n = &fl->v[c], .i = c };
	qsort(kids, nr, sizeof(*kids), node_cmp);
	for (size_t k = 0; k < nr && !err; k++) {
		err = flame_draw(fl, f, kids[k].i, x, depth + 1);
		x += (double)fl->v[kids[k].i].bytes / (double)fl->v[0].bytes * FLAME_W;
	}
	free(kids);
	return err;
}

static int flame(struct report *r, FILE *f, bool system)
{
	struct flame fl = { .system = system, .cap = 1024 };
	char total[32];
	int err;

	fl.v = calloc(fl.cap, sizeof(*fl.v));
	if (!fl.v)
		return -ENOMEM;
	fl.n = 1;
	fl.v[0].name = strdup("all");
	err = fl.v[0].name ? report__each_live(r, flame_add, &fl) : -ENOMEM;
	if (err)
		goto cleanup;
	if (!fl.v[0].bytes) {
		fputs("<p>Nothing outstanding in bytes.</p>\n", f);
		goto cleanup;
	}
	lt_format_size(total, sizeof(total), fl.v[0].bytes, false);
	fprintf(f,
		"<p>%s outstanding, every stack that holds bytes (as <code>--folded</code>): "
		"callers above, callees below, widths by bytes; hover for a frame's "
		"figures.%s</p>\n",
		total, fl.cut ? " Very many frames: some stacks end early." : "");
	err = flame_draw(&fl, NULL, 0, 0, 0);
	if (err)
		goto cleanup;
	fprintf(f,
		"<svg class=\"flame\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-label=\"flame graph of outstanding memory\">\n",
		FLAME_W, fl.depth * FLAME_ROW);
	err = flame_draw(&fl, f, 0, 0, 0);
	fputs("</svg>\n", f);
cleanup:
	for (size_t i = 0; i < fl.n; i++)
		free(fl.v[i].name);
	free(fl.v);
	return err;
}

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
	"h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.2em;margin:1.6em 0 .5em;"
	"border-bottom:1px solid #ddd}h3{font-size:1em;margin:0 0 .4em}"
	".meta{color:#555}.warn{color:#a40}.note{color:#666;font-size:.9em}"
	"table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
	"th,td{padding:.2em .6em;text-align:right;border-bottom:1px solid #eee;"
	"white-space:nowrap}th{background:#f4f4f4}th:last-child{text-align:left}"
	"td.site{text-align:left;white-space:normal;font-family:monospace}tr.suspect "
	"td:first-child{border-left:4px solid #c33}"
	"tr.recent td:first-child{border-left:4px solid #e9b}"
	".kinds{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}"
	"figure.kind{border:1px solid #ddd;padding:.4em}.chart{width:560px;max-width:100%;"
	"height:auto;display:block}figure.kind .chart{width:400px}"
	"section.stack .chart{float:right;width:420px;margin:0 0 .4em 1em}"
	"section.stack::after{content:'';display:block;clear:both}.chart "
	".grid{stroke:#e4e4e4}.chart .ax{font-size:12px;"
	"fill:#666}.chart .area{fill:#fbd3cf}.chart .line{fill:none;stroke:#c33;stroke-width:2}"
	".chart .dot{fill:#c33}section.stack{border:1px solid #ddd;border-left:4px solid #c33;"
	"padding:.6em;margin:.8em 0}section.recent{border-left-color:#e9b}"
	"ol.frames{font-family:monospace;font-size:12.5px;margin:.4em 0;padding-left:3em}"
	".lang{display:inline-block;width:2em;font-size:10px;text-align:center;"
	"border-radius:3px;background:#f4c7a1}li.py .lang{background:#9fd8cf}"
	".loc{color:#155}.mod{color:#888}"
	".flame{width:100%;height:auto;display:block;font:11px monospace}"
	".flame text{pointer-events:none;fill:#111}.flame rect{stroke:#fff;stroke-width:.5}"
	".flame g:hover rect{stroke:#000}";

static void header(FILE *f, const struct report_info *in)
{
	char when[64] = "", size[32];
	time_t t0 = (time_t)in->time;
	struct tm tm;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>leaktrace: ",
	      f);
	if (!in->system) {
		fprintf(f, "pid %d (", in->pid);
		put(f, in->comm);
		fputs(")", f);
	} else {
		fputs("all processes", f);
	}
	fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>leaktrace report</h1>\n", style);
	fputs("<p class=\"meta\">", f);
	if (!in->system) {
		fprintf(f, "pid %d (<b>", in->pid);
		put(f, in->comm);
		fputs("</b>)", f);
	} else {
		fputs("all processes", f);
	}
	if (in->time > 0 && gmtime_r(&t0, &tm))
		strftime(when, sizeof(when), " from %Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(f, " &middot; traced for %.1f s%s &middot; every %.1f s, a window of %u intervals",
		in->t, when, in->interval, in->window);
	if (in->reason[0]) {
		fputs(" &middot; final report (", f);
		put(f, in->reason);
		fputs(")", f);
	}
	if (in->sample_bytes) {
		lt_format_size(size, sizeof(size), in->sample_bytes, false);
		fprintf(f, " &middot; heap sampled per %s (~: estimates)", size);
	} else if (in->sample_every > 1) {
		fprintf(f, " &middot; heap sampled 1/%u (~: estimates)", in->sample_every);
	}
	fputs("</p>\n", f);
	if (in->dropped)
		fprintf(f, "<p class=\"warn\">%llu events dropped: totals are incomplete.</p>\n",
			(unsigned long long)in->dropped);
}

int html__write(struct report *r, FILE *f)
{
	struct report_info in;
	struct page pg = { .f = f };
	int err;

	report__info(r, &in);
	pg.t_end = in.t;
	pg.system = in.system;
	errno = 0;
	header(f, &in);
	fputs("<h2>Totals per kind</h2>\n<div class=\"kinds\">\n", f);
	err = report__each_total(r, put_total, &pg);
	fputs("</div>\n<h2>Growing stacks</h2>\n", f);
	fprintf(f,
		"<p class=\"note\">Ranked as the table is: leak suspects (grew in most intervals "
		"of the window) first, then recent growth; the top %u.</p>\n"
		"<table><thead><tr><th>#<th>kind<th>live<th>count<th>last<th>window<th>total"
		"<th>trend<th>verdict<th>where</tr></thead><tbody>\n",
		in.top);
	err = err ?: report__each_row(r, put_row, &pg);
	if (!pg.rows)
		fputs("<tr><td colspan=\"10\" class=\"site\">no growing stacks</tr>\n", f);
	fputs("</tbody></table>\n<h2>Outstanding memory by stack</h2>\n", f);
	err = err ?: flame(r, f, pg.system);
	if (pg.rows)
		fputs("<h2>The stacks</h2>\n", f);
	pg.pass = 1;
	err = err ?: report__each_row(r, put_row, &pg);
	fputs("<p class=\"note\">Written by leaktrace.</p>\n</body></html>\n", f);
	if (!err && (fflush(f) || ferror(f)))
		err = errno ? -errno : -EIO;
	return err;
}

int html__update(struct report *r, FILE *f, bool final)
{
	int fd = fileno(f), err;
	char *buf = NULL;
	size_t len = 0, done = 0;
	struct stat st;
	FILE *mem;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return final ? html__write(r, f) : 0;
	mem = open_memstream(&buf, &len);
	if (!mem)
		return -ENOMEM;
	err = html__write(r, mem);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	while (!err && done < len) {
		ssize_t n = pwrite(fd, buf + done, len - done, (off_t)done);

		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (n > 0)
			done += (size_t)n;
	}
	if (!err && ftruncate(fd, (off_t)len))
		err = -errno;
	free(buf);
	return err;
}
