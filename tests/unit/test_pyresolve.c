// SPDX-License-Identifier: GPL-2.0-only
/* Tests for pyresolve.c against a live /usr/bin/python3: a child compiles a
 * module with a known file name, prints the addresses of its code and type
 * objects with what Python itself says of them, and waits; the test names
 * them from the child's memory, then again after the child has exited, when
 * only what was cached can be named. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pyresolve.h"
#include "ut.h"

#define PYTHON "/usr/bin/python3"

/* Strings go through hex, so no locale stands between Python and the test.
 * "F" lines: tag, code address, qualname, file, first line, line of code
 * unit 0, last code unit, its line; "T" lines: tag, type address, name. */
static const char child_script[] =
	"import sys\n"
	"src = '''\n"
	"class Outer:\n"
	"    def method(self):\n"
	"        x = 1\n"
	"        return x\n"
	"\n"
	"class C:\n"
	"    pass\n"
	"\n"
	"class N\\u00e4me:\n"
	"    def na\\u00efve(self):\n"
	"        return 1\n"
	"    def \\u51fd\\u6570(self):\n"
	"        return 2\n"
	"    def \\U00020000x(self):\n"
	"        return 3\n"
	"\n"
	"def unread():\n"
	"    return 4\n"
	"'''\n"
	"ns = {}\n"
	"exec(compile(src, '/tmp/lt_test_mod.py', 'exec'), ns)\n"
	"h = lambda s: s.encode('utf-8').hex()\n"
	"def line(p):\n"
	"    return 0 if p[0] is None else p[0]\n"
	"def show(tag, f):\n"
	"    co = f.__code__\n"
	"    pos = list(co.co_positions())\n"
	"    print('F', tag, id(co), h(co.co_qualname), h(co.co_filename), co.co_firstlineno,\n"
	"          line(pos[0]), len(pos) - 1, line(pos[-1]))\n"
	"print('V', *sys.version_info[:2])\n"
	"N = ns['N\\u00e4me']\n"
	"show('method', ns['Outer'].method)\n"
	"show('ucs1', N.__dict__['na\\u00efve'])\n"
	"show('ucs2', N.__dict__['\\u51fd\\u6570'])\n"
	"show('ucs4', N.__dict__['\\U00020000x'])\n"
	"show('unread', ns['unread'])\n"
	"print('T', 'C', id(ns['C']), h('C'))\n"
	"print('T', 'float', id(float), h('float'))\n"
	"print('T', 'N', id(N), h(N.__name__))\n"
	"print('T', 'unread', id(type(ns['unread'])), h('function'))\n"
	"print('END', flush=True)\n"
	"sys.stdin.read()\n";

struct want_frame {
	char tag[16];
	__u64 code;
	char func[256], file[256];
	int firstlineno, line0;
	unsigned int last;
	int line_last;
};

struct want_type {
	char tag[16];
	__u64 addr;
	char name[256];
};

struct child {
	pid_t pid;
	int in; /* its stdin: closing it ends the child */
	unsigned int major, minor;
	struct want_frame frames[8];
	struct want_type types[8];
	int nr_frames, nr_types;
};

static void unhex_str(const char *hex, char *out, size_t size)
{
	size_t n = 0;
	unsigned int b;

	while (hex[0] && hex[1] && n + 1 < size && sscanf(hex, "%2x", &b) == 1) {
		out[n++] = b;
		hex += 2;
	}
	out[n] = '\0';
}

/* Starts the child and reads what it prints up to "END". Returns 0 or -1. */
static int child__start(struct child *c)
{
	char *argv[] = { PYTHON, "-c", (char *)child_script, NULL };
	int in[2], out[2];
	char line[2048];
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->in = -1;
	if (pipe(in))
		return -1;
	if (pipe(out)) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	c->pid = fork();
	if (!c->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in = in[1];
	f = fdopen(out[0], "r");
	if (c->pid < 0 || !f) {
		if (f)
			fclose(f);
		else
			close(out[0]);
		close(in[1]);
		return -1;
	}
	while (fgets(line, sizeof(line), f) && strncmp(line, "END", 3)) {
		struct want_frame *w = &c->frames[c->nr_frames];
		struct want_type *t = &c->types[c->nr_types];
		char func[512], file[512], name[512];

		if (sscanf(line, "V %u %u", &c->major, &c->minor) == 2)
			continue;
		if (c->nr_frames < 8 &&
		    sscanf(line, "F %15s %llu %511s %511s %d %d %u %d", w->tag,
			   (unsigned long long *)&w->code, func, file, &w->firstlineno, &w->line0,
			   &w->last, &w->line_last) == 8) {
			unhex_str(func, w->func, sizeof(w->func));
			unhex_str(file, w->file, sizeof(w->file));
			c->nr_frames++;
		} else if (c->nr_types < 8 && sscanf(line, "T %15s %llu %511s", t->tag,
						     (unsigned long long *)&t->addr, name) == 3) {
			unhex_str(name, t->name, sizeof(t->name));
			c->nr_types++;
		}
	}
	fclose(f);
	return c->major ? 0 : -1;
}

/* Ends the child (EOF on its stdin) and reaps it, so its pid is gone. */
static void child__stop(struct child *c)
{
	int status;

	if (c->in >= 0)
		close(c->in);
	c->in = -1;
	if (c->pid <= 0)
		return;
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
}

static const struct want_frame *child__frame(const struct child *c, const char *tag)
{
	for (int i = 0; i < c->nr_frames; i++) {
		if (!strcmp(c->frames[i].tag, tag))
			return &c->frames[i];
	}
	return NULL;
}

static const struct want_type *child__type(const struct child *c, const char *tag)
{
	for (int i = 0; i < c->nr_types; i++) {
		if (!strcmp(c->types[i].tag, tag))
			return &c->types[i];
	}
	return NULL;
}

static void check_frame(struct pyresolver *r, pid_t pid, const struct want_frame *w)
{
	struct py_frame f = { 0 };
	int err;

	if (!w) {
		UT_CHECK(0, "the child printed this code object");
		return;
	}

	err = pyresolver__frame(r, pid, w->code, 0, &f);
	UT_EQ_INT(err, 0, w->tag);
	if (err)
		return;
	UT_EQ_STR(f.func, w->func, "function");
	UT_EQ_STR(f.file, w->file, "file");
	UT_EQ_INT(f.line, w->line0, "line of code unit 0");
	UT_EQ_INT(w->line0, w->firstlineno, "code unit 0 is on the def line");
	err = pyresolver__frame(r, pid, w->code, w->last, &f);
	UT_CHECK(!err && f.line == w->line_last, "%s, last code unit %u: line %d, want %d", w->tag,
		 w->last, f.line, w->line_last);
}

static void test_live(void)
{
	const struct want_frame *method, *unread;
	const struct want_type *wt;
	struct py_frame f = { 0 }, f2 = { 0 };
	const struct py_layout *l;
	struct pyresolver *r;
	struct child c;
	pid_t pid;
	int err;

	if (access(PYTHON, X_OK)) {
		ut_skip("pyresolve against a live interpreter", "no " PYTHON);
		return;
	}
	if (child__start(&c)) {
		child__stop(&c);
		UT_CHECK(0, PYTHON " started and printed its objects");
		return;
	}
	if (c.major != 3 || c.minor < 11) {
		child__stop(&c);
		ut_skip_always("pyresolve against a live interpreter",
			       "%s is %u.%u, not 3.11 or later", PYTHON, c.major, c.minor);
		return;
	}
	/* a newer python3 that leaktrace has no layout for is a gap to fill */
	l = py_layout_find(c.major, c.minor);
	if (!l) {
		child__stop(&c);
		ut_skip("pyresolve against a live interpreter", "no layout for python %u.%u",
			c.major, c.minor);
		return;
	}
	pid = c.pid;
	method = child__frame(&c, "method");
	unread = child__frame(&c, "unread");
	UT_CHECK(c.nr_frames == 5 && c.nr_types == 4 && method && unread,
		 "the child printed 5 code objects and 4 types");
	if (c.nr_frames != 5 || c.nr_types != 4 || !method || !unread) {
		child__stop(&c);
		return;
	}

	r = pyresolver__new();
	UT_CHECK(r, "pyresolver__new");
	if (!r) {
		child__stop(&c);
		return;
	}
	UT_EQ_INT(pyresolver__frame(r, pid, method->code, 0, &f), -ENOENT,
		  "a process not added is not known");
	UT_EQ_INT(pyresolver__add(r, pid, l), 0, "pyresolver__add");

	err = pyresolver__frame(r, pid, method->code, 0, &f);
	if (err == -EPERM || err == -ENOSYS) {
		ut_skip("pyresolve against a live interpreter",
			"process_vm_readv() is not allowed here");
		goto cleanup;
	}
	UT_EQ_STR(method->func, "Outer.method", "the child's qualname");
	check_frame(r, pid, method);
	check_frame(r, pid, child__frame(&c, "ucs1"));
	check_frame(r, pid, child__frame(&c, "ucs2"));
	check_frame(r, pid, child__frame(&c, "ucs4"));
	UT_EQ_STR(child__frame(&c, "ucs4")->func, "N\xc3\xa4me.\xf0\xa0\x80\x80x",
		  "the child's UCS-4 qualname, as UTF-8");
	pyresolver__frame(r, pid, child__frame(&c, "ucs1")->code, 0, &f2);
	pyresolver__frame(r, pid, method->code, 0, &f);
	UT_CHECK(f.file == f2.file, "one copy of a file name for all its code objects");

	for (int i = 0; i < c.nr_types; i++) {
		wt = &c.types[i];
		if (!strcmp(wt->tag, "unread"))
			continue; /* left unread, for after the child exits */
		UT_EQ_STR(pyresolver__type_name(r, pid, wt->addr), wt->name, wt->tag);
	}
	UT_EQ_STR(child__type(&c, "C")->name, "C", "a heap type's tp_name is its bare name");

	/* Addresses that are no code object fail, and crash nothing. */
	UT_CHECK(pyresolver__frame(r, pid, 0x10, 0, &f) < 0, "unmapped address");
	UT_CHECK(pyresolver__frame(r, pid, 0, 0, &f) < 0, "NULL");
	UT_EQ_INT(pyresolver__frame(r, pid, child__type(&c, "float")->addr, 0, &f), -EINVAL,
		  "a type object is no code object");
	UT_CHECK(pyresolver__frame(r, pid, method->code + 8, 0, &f) < 0,
		 "a pointer into a code object");
	UT_CHECK(!pyresolver__type_name(r, pid, 0x10), "no type name at an unmapped address");
	UT_CHECK(!pyresolver__type_name(r, pid + 1000000, child__type(&c, "C")->addr),
		 "no type name in a process not added");

	child__stop(&c);

	/* The child is gone: what was read is still named, nothing else. */
	err = pyresolver__frame(r, pid, method->code, 0, &f);
	UT_CHECK(!err && f.func && !strcmp(f.func, method->func) && f.line == method->line0,
		 "a cached frame after exit: %d", err);
	err = pyresolver__frame(r, pid, method->code, 1, &f);
	UT_CHECK(!err && f.line > 0, "another code unit of a cached code object: %d, line %d", err,
		 f.line);
	err = pyresolver__frame(r, pid, unread->code, 0, &f);
	UT_CHECK(err == -ESRCH || err == -EFAULT, "a code object never read: %d", err);
	UT_EQ_STR(pyresolver__type_name(r, pid, child__type(&c, "C")->addr), "C",
		  "a cached type after exit");
	UT_CHECK(!pyresolver__type_name(r, pid, child__type(&c, "unread")->addr),
		 "a type never read after exit");
	pyresolver__forget(r, pid);
	UT_EQ_INT(pyresolver__frame(r, pid, method->code, 0, &f), -ENOENT,
		  "a forgotten process is not known");
cleanup:
	child__stop(&c);
	pyresolver__free(r);
}

int main(void)
{
	test_live();
	return ut_done();
}
