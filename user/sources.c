// SPDX-License-Identifier: GPL-2.0-only
/* The sources' ops, in the order they act: syscall sites and unwind tables
 * before the probes that walk stacks through them; the allocators before
 * Python, whose objects' frees come through them; pages once Python's
 * frames can be walked; GL once its library is
 * known; the census, which probes nothing, last. */
#include <pthread.h>
#include <string.h>
#include "app.h"
#include "procmaps.h"
#include "source.h"
#include "srcdesc.h"

static const struct source_ops *const sources[] = {
	&src_fd, &src_native, &src_python, &src_pages, &src_gl, &src_census,
};

#define NR_SOURCES (sizeof(sources) / sizeof(sources[0]))

/* What the sources are (srcdesc.h), found through their ops, so that
 * there is no second list to keep: a handful, walked as fast as a table. */

/* The @n-th descriptor, or NULL past the last. */
static const struct src_desc *desc_at(size_t n)
{
	for (size_t i = 0; i < NR_SOURCES; i++)
		for (const struct src_desc *const *d = sources[i]->descs; d && *d; d++)
			if (!n--)
				return *d;
	return NULL;
}

const struct src_desc *src_by_bit(unsigned int bit)
{
	const struct src_desc *d;

	for (size_t n = 0; (d = desc_at(n)); n++)
		if (d->bit == bit)
			return d;
	return NULL;
}

const struct src_desc *src_by_name(const char *name)
{
	const struct src_desc *d;

	for (size_t n = 0; (d = desc_at(n)); n++)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

/* The kinds by their number, for the report, which asks of each stack it
 * holds: indexed once, on the first question. */
static struct {
	const struct src_kind *kind;
	const struct src_desc *src;
} kinds[LT_KIND__NR];
static pthread_once_t kinds_once = PTHREAD_ONCE_INIT;

static void index_kinds(void)
{
	const struct src_desc *d;

	for (size_t n = 0; (d = desc_at(n)); n++)
		for (size_t k = 0; k < d->nr_kinds; k++)
			if (d->kinds[k].kind < LT_KIND__NR && !kinds[d->kinds[k].kind].kind)
				kinds[d->kinds[k].kind] = (typeof(kinds[0])){ &d->kinds[k], d };
}

const struct src_kind *src_kind(__u32 kind, const struct src_desc **src)
{
	pthread_once(&kinds_once, index_kinds);
	if (kind >= LT_KIND__NR || !kinds[kind].kind)
		return NULL;
	if (src)
		*src = kinds[kind].src;
	return kinds[kind].kind;
}

unsigned int src_all(void)
{
	const struct src_desc *d;
	unsigned int all = 0;

	for (size_t n = 0; (d = desc_at(n)); n++)
		all |= d->bit;
	return all;
}

unsigned int src_trapping(void)
{
	const struct src_desc *d;
	unsigned int bits = 0;

	for (size_t n = 0; (d = desc_at(n)); n++)
		bits |= d->traps ? d->bit : 0;
	return bits;
}

/* Each event of a process reads its maps once, for every source (and what
 * they call: the probes, the unwinder, the symbolizer): procmaps__hold(). */

int sources_ready(struct app *a, pid_t pid, bool later)
{
	struct procmaps *prev = procmaps__hold(pid);
	int err = 0;

	for (size_t i = 0; i < NR_SOURCES && !err; i++)
		err = sources[i]->ready ? sources[i]->ready(a, pid, later) : 0;
	procmaps__unhold(prev);
	return err;
}

void sources_code_mapped(struct app *a, pid_t pid)
{
	struct procmaps *prev = procmaps__hold(pid);

	for (size_t i = 0; i < NR_SOURCES; i++)
		if (sources[i]->code_mapped)
			sources[i]->code_mapped(a, pid);
	procmaps__unhold(prev);
}

void sources_exec(struct app *a, pid_t pid)
{
	for (size_t i = 0; i < NR_SOURCES; i++)
		if (sources[i]->exec)
			sources[i]->exec(a, pid);
}

void sources_system_start(struct app *a)
{
	for (size_t i = 0; i < NR_SOURCES; i++)
		if (sources[i]->system_start)
			sources[i]->system_start(a);
}

void sources_seen(struct app *a, pid_t pid)
{
	struct procmaps *prev = procmaps__hold(pid);

	for (size_t i = 0; i < NR_SOURCES; i++)
		if (sources[i]->seen)
			sources[i]->seen(a, pid);
	procmaps__unhold(prev);
}

void sources_exited(struct app *a, pid_t pid)
{
	for (size_t i = 0; i < NR_SOURCES; i++)
		if (sources[i]->exited)
			sources[i]->exited(a, pid);
}

void sources_focused(struct app *a, pid_t pid)
{
	struct procmaps *prev = procmaps__hold(pid);

	for (size_t i = 0; i < NR_SOURCES; i++)
		if (sources[i]->focused)
			sources[i]->focused(a, pid);
	procmaps__unhold(prev);
}

void sources_before_sample(struct app *a)
{
	for (size_t i = 0; i < NR_SOURCES; i++)
		if (sources[i]->before_sample)
			sources[i]->before_sample(a);
}

void sources_after_sample(struct app *a, const struct lt_sample *samples, size_t n)
{
	for (size_t i = 0; i < NR_SOURCES; i++)
		if (sources[i]->after_sample)
			sources[i]->after_sample(a, samples, n);
}

void sources_done(struct app *a)
{
	for (size_t i = 0; i < NR_SOURCES; i++)
		if (sources[i]->done)
			sources[i]->done(a);
}
