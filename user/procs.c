// SPDX-License-Identifier: GPL-2.0-only
/* The process table of --system: names by pid, and three sets of pids
 * waiting for the event loop (to look at again, exited, exec'd). Bounded by
 * the processes alive: a name goes when its process has exited and been
 * reported. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "hashmap.h"
#include "procs.h"

struct name {
	char comm[24];
};

struct pidset {
	pid_t *v;
	size_t nr, cap;
	struct hashmap *in; /* pid -> 1 */
};

struct procs {
	struct hashmap *names; /* pid -> struct name */
	struct pidset touched, exited, replaced;
	pid_t *dead; /* handed out as exited: names forgotten at the next take */
	size_t nr_dead, cap_dead;
};

static int pidset_init(struct pidset *s)
{
	s->in = hashmap__new(sizeof(pid_t));
	return s->in ? 0 : -ENOMEM;
}

static void pidset_add(struct pidset *s, pid_t pid)
{
	if (hashmap__get(s->in, &pid) || ARRAY_RESERVE(s->v, s->cap, s->nr + 1) ||
	    hashmap__put(s->in, &pid, (void *)1))
		return;
	s->v[s->nr++] = pid;
}

static size_t pidset_take(struct pidset *s, pid_t *out, size_t max)
{
	size_t n = s->nr < max ? s->nr : max;

	/* s->v is NULL until the first pid is added: memcpy() must not see it */
	if (!n)
		return 0;
	memcpy(out, s->v, n * sizeof(*out));
	for (size_t i = 0; i < n; i++)
		hashmap__remove(s->in, &s->v[i]);
	memmove(s->v, s->v + n, (s->nr - n) * sizeof(*s->v));
	s->nr -= n;
	return n;
}

struct procs *procs__new(void)
{
	struct procs *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->names = hashmap__new(sizeof(pid_t));
	if (!p->names || pidset_init(&p->touched) || pidset_init(&p->exited) ||
	    pidset_init(&p->replaced)) {
		procs__free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void procs__free(struct procs *p)
{
	size_t pos = 0;
	void *v;

	if (!p)
		return;
	while (p->names && hashmap__next(p->names, &pos, NULL, &v))
		free(v);
	hashmap__free(p->names);
	hashmap__free(p->touched.in);
	hashmap__free(p->exited.in);
	hashmap__free(p->replaced.in);
	free(p->touched.v);
	free(p->exited.v);
	free(p->replaced.v);
	free(p->dead);
	free(p);
}

static struct name *name_set(struct procs *p, pid_t pid, const char *comm)
{
	struct name *n = hashmap__get(p->names, &pid);

	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n || hashmap__put(p->names, &pid, n)) {
			free(n);
			return NULL;
		}
	}
	snprintf(n->comm, sizeof(n->comm), "%s", comm);
	return n;
}

const char *procs__comm(struct procs *p, pid_t pid)
{
	struct name *n = hashmap__get(p->names, &pid);
	char path[64], comm[24] = "";
	FILE *f;

	if (n)
		return n->comm;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	n = name_set(p, pid, comm);
	return n ? n->comm : NULL;
}

void procs__named(struct procs *p, pid_t pid, const char *comm)
{
	name_set(p, pid, comm);
}

void procs__touch(struct procs *p, pid_t pid)
{
	pidset_add(&p->touched, pid);
}

size_t procs__take_touched(struct procs *p, pid_t *out, size_t max)
{
	return pidset_take(&p->touched, out, max);
}

void procs__exited(struct procs *p, pid_t pid, const char *comm)
{
	/* the name it had is the one to say it exited with */
	if (!hashmap__get(p->names, &pid))
		name_set(p, pid, comm);
	pidset_add(&p->exited, pid);
}

size_t procs__take_exited(struct procs *p, pid_t *out, size_t max)
{
	size_t n;

	for (size_t i = 0; i < p->nr_dead; i++)
		free(hashmap__remove(p->names, &p->dead[i]));
	p->nr_dead = 0;
	n = pidset_take(&p->exited, out, max);
	if (n && !ARRAY_RESERVE(p->dead, p->cap_dead, n)) {
		memcpy(p->dead, out, n * sizeof(*out));
		p->nr_dead = n;
	}
	return n;
}

void procs__replaced(struct procs *p, pid_t pid)
{
	pidset_add(&p->replaced, pid);
}

size_t procs__take_replaced(struct procs *p, pid_t *out, size_t max)
{
	return pidset_take(&p->replaced, out, max);
}

size_t procs__count(const struct procs *p)
{
	return hashmap__count(p->names);
}
