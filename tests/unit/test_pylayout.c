// SPDX-License-Identifier: GPL-2.0-only
/* Tests for pylayout.c: the table has every version; its 3.11 entry equals
 * offsetof() over the installed python3.11 headers, compiled at test time;
 * the 3.11+ line-table decoder agrees with the interpreter's co_positions()
 * on every code unit of code written to need every entry form; the older
 * formats decode tables built by hand from their descriptions. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pylayout.h"
#include "ut.h"

#define PYTHON "/usr/bin/python3"
#define PY311_INCLUDE "/usr/include/python3.11"

/* The BPF side reads this many bytes of a frame (bpf/python.bpf.h). */
#define FRAME_READ 128

/* Runs @argv with stdout into a buffer; returns it (NUL-terminated, the
 * caller frees) or NULL. *status gets the exit status. */
static char *run_capture(char *const argv[], int *status)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	int fds[2];
	ssize_t n;
	pid_t pid;

	if (!buf || pipe(fds)) {
		free(buf);
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		free(buf);
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		if (len + 1 == cap) {
			char *p = realloc(buf, cap * 2);

			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		n = read(fds[0], buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return buf;
}

static void test_find(void)
{
	static const unsigned int minors[] = { 8, 9, 10, 11, 12, 13 };

	for (size_t i = 0; i < sizeof(minors) / sizeof(minors[0]); i++) {
		const struct py_layout *l = py_layout_find(3, minors[i]);
		const struct lt_py_proc *b = l ? &l->bpf : NULL;

		UT_CHECK(l && l->major == 3 && l->minor == minors[i], "3.%u has a layout",
			 minors[i]);
		if (!l)
			continue;
		/* What the BPF side takes for granted of each entry. */
		UT_CHECK(b->fr_code % 8 == 0 && b->fr_code < FRAME_READ &&
				 b->fr_previous % 8 == 0 && b->fr_previous < FRAME_READ &&
				 b->fr_instr % 8 == 0 && b->fr_instr < FRAME_READ &&
				 (b->fr_entry == LT_PY_NONE || b->fr_entry < FRAME_READ),
			 "3.%u: frame fields are aligned words within the frame read", minors[i]);
		UT_CHECK((b->entry_mode == LT_PY_ENTRY_EVERY) == (b->fr_entry == LT_PY_NONE),
			 "3.%u: an entry field exactly when frames are told apart", minors[i]);
		UT_CHECK((b->instr_mode == LT_PY_INSTR_PTR) == (b->code_adaptive != 0),
			 "3.%u: co_code_adaptive exactly with instruction pointers", minors[i]);
		UT_CHECK((l->co_qualname == LT_PY_NONE) == (minors[i] < 11),
			 "3.%u: co_qualname from 3.11", minors[i]);
		UT_CHECK((b->ts_native_tid == LT_PY_NONE) == (minors[i] < 11),
			 "3.%u: native_thread_id from 3.11", minors[i]);
	}
	UT_CHECK(py_layout_find(3, 8)->bpf.instr_mode == LT_PY_INSTR_LASTI_BYTES &&
			 py_layout_find(3, 10)->bpf.instr_mode == LT_PY_INSTR_LASTI_UNITS,
		 "f_lasti counts bytes before 3.10, code units in 3.10");
	UT_CHECK(py_layout_find(3, 12)->bpf.owner_cstack == 3 &&
			 py_layout_find(3, 13)->bpf.owner_cstack == 3,
		 "FRAME_OWNED_BY_CSTACK is 3 in 3.12 and 3.13");
	UT_CHECK(!py_layout_find(2, 7), "2.7 has no layout");
	UT_CHECK(!py_layout_find(3, 7), "3.7 has no layout");
	UT_CHECK(!py_layout_find(3, 99), "3.99 has no layout");
}

struct offset_check {
	const char *name;
	const char *expr; /* C, over the installed headers */
	unsigned int want;
};

/* Compiles, in @dir, a program printing every expression of @checks. Returns
 * its output (the caller frees), or NULL. */
static char *offsets_of(const char *dir, const struct offset_check *checks, size_t nr)
{
	char src[256], bin[256], cmd[1024];
	char *argv[] = { bin, NULL };
	char *out = NULL;
	int status;
	FILE *f;

	snprintf(src, sizeof(src), "%s/offsets.c", dir);
	snprintf(bin, sizeof(bin), "%s/offsets", dir);
	f = fopen(src, "w");
	if (!f)
		return NULL;
	fprintf(f, "#define Py_BUILD_CORE 1\n"
		   "#include <Python.h>\n"
		   "#include <stddef.h>\n"
		   "#include <stdio.h>\n"
		   "#include \"internal/pycore_runtime.h\"\n"
		   "#include \"internal/pycore_interp.h\"\n"
		   "#include \"internal/pycore_frame.h\"\n"
		   "#include \"internal/pycore_code.h\"\n"
		   "#include \"frameobject.h\"\n"
		   "int main(void)\n{\n");
	for (size_t i = 0; i < nr; i++)
		fprintf(f, "\tprintf(\"%s %%zu\\n\", (size_t)(%s));\n", checks[i].name,
			checks[i].expr);
	fprintf(f, "\treturn 0;\n}\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gcc -I%s -o %s %s", PY311_INCLUDE, bin, src);
	if (system(cmd) == 0)
		out = run_capture(argv, &status);
	unlink(src);
	unlink(bin);
	return out;
}

static void test_311_offsets(void)
{
	const struct py_layout *l = py_layout_find(3, 11);
	const struct lt_py_proc *b = &l->bpf;
	const struct offset_check checks[] = {
		{ "rt_interp_main", "offsetof(_PyRuntimeState, interpreters.main)",
		  b->rt_interp_main },
		{ "interp_threads", "offsetof(PyInterpreterState, threads.head)",
		  b->interp_threads },
		{ "ts_next", "offsetof(PyThreadState, next)", b->ts_next },
		{ "ts_native_tid", "offsetof(PyThreadState, native_thread_id)", b->ts_native_tid },
		{ "ts_thread_id", "offsetof(PyThreadState, thread_id)", b->ts_thread_id },
		{ "ts_frame", "offsetof(PyThreadState, cframe)", b->ts_frame },
		{ "cframe_frame", "offsetof(_PyCFrame, current_frame)", b->cframe_frame },
		{ "fr_code", "offsetof(_PyInterpreterFrame, f_code)", b->fr_code },
		{ "fr_previous", "offsetof(_PyInterpreterFrame, previous)", b->fr_previous },
		{ "fr_instr", "offsetof(_PyInterpreterFrame, prev_instr)", b->fr_instr },
		{ "fr_entry", "offsetof(_PyInterpreterFrame, is_entry)", b->fr_entry },
		{ "code_adaptive", "offsetof(PyCodeObject, co_code_adaptive)", b->code_adaptive },
		{ "tp_basicsize", "offsetof(PyTypeObject, tp_basicsize)", b->tp_basicsize },
		{ "tp_itemsize", "offsetof(PyTypeObject, tp_itemsize)", b->tp_basicsize + 8u },
		{ "co_filename", "offsetof(PyCodeObject, co_filename)", l->co_filename },
		{ "co_name", "offsetof(PyCodeObject, co_name)", l->co_name },
		{ "co_qualname", "offsetof(PyCodeObject, co_qualname)", l->co_qualname },
		{ "co_firstlineno", "offsetof(PyCodeObject, co_firstlineno)", l->co_firstlineno },
		{ "co_linetable", "offsetof(PyCodeObject, co_linetable)", l->co_linetable },
		{ "tp_name", "offsetof(PyTypeObject, tp_name)", l->tp_name },
		{ "ob_type", "offsetof(PyObject, ob_type)", l->ob_type },
		{ "str_length", "offsetof(PyASCIIObject, length)", l->str_length },
		{ "str_state", "offsetof(PyASCIIObject, state)", l->str_state },
		{ "str_ascii_data", "sizeof(PyASCIIObject)", l->str_ascii_data },
		{ "str_compact_data", "sizeof(PyCompactUnicodeObject)", l->str_compact_data },
		{ "bytes_size", "offsetof(PyBytesObject, ob_base.ob_size)", l->bytes_size },
		{ "bytes_data", "offsetof(PyBytesObject, ob_sval)", l->bytes_data },
		{ "gc_gens", "offsetof(PyInterpreterState, gc.generations)", l->gc_gens },
		{ "gc_perm", "offsetof(PyInterpreterState, gc.permanent_generation)", l->gc_perm },
		{ "gc_gen_size", "sizeof(struct gc_generation)", LT_PY_GC_GEN_SIZE },
		{ "gc_head", "sizeof(PyGC_Head)", LT_PY_GC_HEAD },
		{ "interp_modules", "offsetof(PyInterpreterState, modules)", l->interp_modules },
		{ "tp_flags", "offsetof(PyTypeObject, tp_flags)", LT_PY_TP_FLAGS },
		{ "tp_dictoffset", "offsetof(PyTypeObject, tp_dictoffset)", LT_PY_TP_DICTOFFSET },
		{ "managed_dict", "Py_TPFLAGS_MANAGED_DICT", LT_PY_TPFLAGS_MANAGED_DICT },
		{ "sizeof_is_entry", "sizeof(((_PyInterpreterFrame *)0)->is_entry)", 1 },
		/* what backrefs reads (struct py_refs) */
		{ "tp_dict", "offsetof(PyTypeObject, tp_dict)", LT_PY_TP_DICT },
		{ "func_code", "offsetof(PyFunctionObject, func_code)", l->refs.func_code },
		{ "func_closure", "offsetof(PyFunctionObject, func_closure)",
		  l->refs.func_closure },
		{ "co_nlocalsplus", "offsetof(PyCodeObject, co_nlocalsplus)",
		  l->refs.co_nlocalsplus },
		{ "co_localsplusnames", "offsetof(PyCodeObject, co_localsplusnames)",
		  l->refs.co_localsplusnames },
		{ "co_nfreevars", "offsetof(PyCodeObject, co_nfreevars)", l->refs.co_nfreevars },
		{ "fr_iframe", "offsetof(PyFrameObject, f_frame)", l->refs.fr_iframe },
		{ "fr_data", "offsetof(PyFrameObject, _f_frame_data)", l->refs.fr_data },
		{ "if_localsplus", "offsetof(_PyInterpreterFrame, localsplus)",
		  l->refs.if_localsplus },
		{ "if_frame_obj", "offsetof(_PyInterpreterFrame, frame_obj)",
		  l->refs.if_frame_obj },
		{ "ht_cached_keys", "offsetof(PyHeapTypeObject, ht_cached_keys)",
		  l->refs.ht_cached_keys },
		{ "cell_ref", "offsetof(PyCellObject, ob_ref)", 16 },
		{ "tb_next", "offsetof(PyTracebackObject, tb_next)", 16 },
		{ "tb_frame", "offsetof(PyTracebackObject, tb_frame)", 24 },
		{ "set_mask", "offsetof(PySetObject, mask)", 32 },
		{ "set_table", "offsetof(PySetObject, table)", 40 },
		{ "sizeof_firstlineno", "sizeof(((PyCodeObject *)0)->co_firstlineno)", 4 },
	};
	size_t nr = sizeof(checks) / sizeof(checks[0]);
	char dir[] = "/tmp/lt_pylayout.XXXXXX";
	char *out, *line, *save = NULL;

	if (access(PY311_INCLUDE "/Python.h", R_OK) ||
	    access(PY311_INCLUDE "/internal/pycore_frame.h", R_OK)) {
		ut_skip("3.11 offsets", "no python3.11 headers (python3.11-dev)");
		return;
	}
	if (system("command -v gcc >/dev/null 2>&1")) {
		ut_skip("3.11 offsets", "no gcc");
		return;
	}
	if (!mkdtemp(dir)) {
		ut_skip("3.11 offsets", "no temporary directory");
		return;
	}
	out = offsets_of(dir, checks, nr);
	rmdir(dir);
	UT_CHECK(out, "offsetof program over the python3.11 headers compiled and ran");
	if (!out)
		return;
	for (size_t i = 0; i < nr; i++) {
		char want[64];

		/* Each line is "name value", in the order of checks. */
		line = strtok_r(i ? NULL : out, "\n", &save);
		snprintf(want, sizeof(want), "%s %u", checks[i].name, checks[i].want);
		UT_EQ_STR(line, want, "3.11 table vs offsetof");
	}
	free(out);
}

/* Code with every location-table entry form: short and one-line forms, line
 * jumps past the one-byte varint, lines going back, columns past 127 and
 * spans over several lines (long form), instructions without a location. */
static const char locations_script[] =
	"import sys\n"
	"if sys.version_info < (3, 11):\n"
	"    print('SKIP', sys.version.split()[0]); sys.exit(0)\n"
	"src = '''\n"
	"import functools\n"
	"\n"
	"def deco(f):\n"
	"    @functools.wraps(f)\n"
	"    def wrapper(*a, **k):\n"
	"        return f(*a, **k)\n"
	"    return wrapper\n"
	"\n"
	"@deco\n"
	"@deco\n"
	"def loops(n):\n"
	"    total = 0\n"
	"    for i in range(n):\n"
	"\n"
	"        if i % 3 == 0:\n"
	"            continue\n"
	"        while total < i:\n"
	"            total += (i *\n"
	"                      2 +\n"
	"                      1)\n"
	"    else:\n"
	"        total -= 1\n"
	"    return [x\n"
	"            for x in range(total)\n"
	"            if x % 2]\n"
	"\n"
	"class K:\n"
	"    def method(self, a,\n"
	"               b):\n"
	"        try:\n"
	"            with open(a) as f:\n"
	"                return f.read(b)\n"
	"        except (OSError,\n"
	"                ValueError) as e:\n"
	"            raise RuntimeError(str(e)) from e\n"
	"        finally:\n"
	"            self.done = True\n"
	"'''\n"
	"src += 'def wide():\\n    return ' + ' + '.join(['value_%d' % i for i in range(40)]) + "
	"'\\n'\n"
	"src += 'def jumps(a):\\n    x = a\\n' + '\\n' * 5000 + '    y = x(\\n' + '\\n' * 300 + "
	"'        a)\\n' + '\\n' * 70 + '    return y\\n'\n"
	"src += 'def big():\\n' + ''.join('    v%d = %d\\n' % (i, i) for i in range(300)) + "
	"'    return v0\\n'\n"
	"def walk(co):\n"
	"    yield co\n"
	"    for c in co.co_consts:\n"
	"        if hasattr(c, 'co_code'):\n"
	"            yield from walk(c)\n"
	"for co in walk(compile(src, 'lt_locations.py', 'exec')):\n"
	"    lines = [-1 if p[0] is None else p[0] for p in co.co_positions()]\n"
	"    print(co.co_name, co.co_firstlineno, co.co_linetable.hex() or '-',\n"
	"          ','.join(map(str, lines)))\n";

static size_t unhex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;
	unsigned int b;

	if (!strcmp(hex, "-"))
		return 0;
	while (hex[0] && hex[1] && n < cap && sscanf(hex, "%2x", &b) == 1) {
		out[n++] = b;
		hex += 2;
	}
	return n;
}

/* Marks in @seen[0..15] the entry codes of a location table. */
static void location_codes(const unsigned char *t, size_t len, bool *seen)
{
	for (size_t i = 0; i < len; i++) {
		if (t[i] & 0x80)
			seen[(t[i] >> 3) & 15] = true;
	}
}

/* Compares py_line_of() with co_positions() on every code unit of the
 * script's code objects; -X no_debug_ranges, which drops columns, makes the
 * compiler write no-column entries. Marks the entry codes seen in @seen. */
static void test_locations_vs_python(bool no_ranges, bool *seen)
{
	char *argv[] = { PYTHON, "-c", (char *)locations_script, NULL, NULL, NULL };
	const char *how = no_ranges ? " (-X no_debug_ranges)" : "";
	static unsigned char table[1 << 16];
	size_t nr_units = 0, nr_codes = 0;
	char *out, *line, *save = NULL;
	int status = 0;

	if (no_ranges) {
		argv[1] = "-X";
		argv[2] = "no_debug_ranges";
		argv[3] = "-c";
		argv[4] = (char *)locations_script;
	}
	if (access(PYTHON, X_OK)) {
		ut_skip("location table vs co_positions()", "no " PYTHON);
		return;
	}
	out = run_capture(argv, &status);
	UT_CHECK(out && WIFEXITED(status) && !WEXITSTATUS(status), PYTHON " ran the script%s", how);
	if (!out)
		return;
	if (!strncmp(out, "SKIP", 4)) {
		ut_skip_always("location table vs co_positions()", "%s is older than 3.11", PYTHON);
		free(out);
		return;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *name = strtok(line, " "), *first = strtok(NULL, " ");
		char *hex = strtok(NULL, " "), *lines = strtok(NULL, " ");
		unsigned int instr = 0, bad = 0;
		size_t len;

		if (!name || !first || !hex || !lines)
			continue;
		len = unhex(hex, table, sizeof(table));
		location_codes(table, len, seen);
		for (char *tok = strtok(lines, ","); tok; tok = strtok(NULL, ","), instr++) {
			int want = atoi(tok);
			int got = py_line_of(PY_LOCATIONS, table, len, atoi(first), instr);

			if (got != want && !bad++)
				printf("# %s: code unit %u: line %d, want %d\n", name, instr, got,
				       want);
		}
		UT_CHECK(!bad, "%s%s: %u code units agree with co_positions() (%u differ)", name,
			 how, instr, bad);
		UT_EQ_INT(py_line_of(PY_LOCATIONS, table, len, atoi(first), instr), -1,
			  "no line past the last code unit");
		nr_units += instr;
		nr_codes++;
	}
	free(out);
	UT_CHECK(nr_codes >= 8 && nr_units >= 1000, "compared %zu code objects, %zu code units%s",
		 nr_codes, nr_units, how);
}

static void test_locations(void)
{
	bool seen[16] = { false }, short_form = false;

	test_locations_vs_python(false, seen);
	test_locations_vs_python(true, seen);
	if (access(PYTHON, X_OK))
		return;
	for (int i = 0; i < 10; i++)
		short_form |= seen[i];
	UT_CHECK(short_form && seen[10] && seen[11] && seen[12] && seen[13] && seen[14] && seen[15],
		 "tables had short, one-line (0, 1, 2), no-column, long and no-location entries");
}

static void test_locations_malformed(void)
{
	/* a long form whose varint never ends */
	const unsigned char cut[] = { 0x80 | 14 << 3, 0x42 };
	/* not at an entry's first byte */
	const unsigned char off[] = { 0x05, 0x80 };
	/* a no-column entry going back 65 lines: two-byte varint 131 */
	const unsigned char back[] = { 0x80 | 13 << 3 | 1, 0x40 | 3, 2 };

	UT_EQ_INT(py_line_of(PY_LOCATIONS, cut, sizeof(cut), 10, 0), -1, "cut varint");
	UT_EQ_INT(py_line_of(PY_LOCATIONS, off, sizeof(off), 10, 0), -1, "no first byte");
	UT_EQ_INT(py_line_of(PY_LOCATIONS, back, sizeof(back), 100, 1), 35, "-65 lines");
	UT_EQ_INT(py_line_of(PY_LOCATIONS, NULL, 0, 100, 0), -1, "empty table");
}

static void test_lnotab(void)
{
	/* From line 10: +1 at byte 4, +2 at 10, -3 at 12, then +200 split as
	 * +127 +73 at the same byte, 255 bytes on the same line, +1 at 312. */
	const unsigned char t[] = { 4, 1, 6, 2, 2, 0xfd, 0, 127, 0, 73, 255, 0, 45, 1 };
	const struct {
		unsigned int instr;
		int line;
	} want[] = {
		{ 0, 10 },  { 1, 10 },	  { 2, 11 },	{ 4, 11 },    { 5, 13 },
		{ 6, 210 }, { 100, 210 }, { 155, 210 }, { 156, 211 }, { 1000, 211 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "lnotab, code unit %u", want[i].instr);
		UT_EQ_INT(py_line_of(PY_LNOTAB, t, sizeof(t), 10, want[i].instr), want[i].line,
			  what);
	}
	UT_EQ_INT(py_line_of(PY_LNOTAB, t, 0, 10, 3), 10, "empty lnotab: the first line");
}

static void test_linetable_310(void)
{
	/* Objects/lnotab_notes.txt's example (3.10), from line 0: 1 for bytes
	 * [0, 6), 2 to 50, 7 to 350, none to 360, 8 to 376, +127 on an empty
	 * range, 208 to 380; then -8: 200 to 382. */
	const unsigned char t[] = { 6,	  1,  44, 1, 254, 5, 46, 0, 10,
				    0x80, 16, 1,  0, 127, 4, 73, 2, 0xf8 };
	const struct {
		unsigned int instr;
		int line;
	} want[] = {
		{ 0, 1 },     { 2, 1 },	    { 3, 2 },	  { 24, 2 },   { 25, 7 },
		{ 174, 7 },   { 175, -1 },  { 179, -1 },  { 180, 8 },  { 187, 8 },
		{ 188, 208 }, { 189, 208 }, { 190, 200 }, { 191, -1 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "3.10 linetable, code unit %u", want[i].instr);
		UT_EQ_INT(py_line_of(PY_LINETABLE_310, t, sizeof(t), 0, want[i].instr),
			  want[i].line, what);
	}
}

/* A target chooses its first line and its line tables: a line past an int
 * is no line, in every format, and adding up to it is no undefined
 * behaviour (found by tests/fuzz/fuzz_pyresolve.c). */
static void test_line_overflow(void)
{
	/* long form, +2^29 lines: varint 2^30 in six-bit groups */
	const unsigned char up[] = { 0x80 | 14 << 3, 0x40, 0x40, 0x40, 0x40, 0x40, 1, 0, 0, 0 };
	const unsigned char lnotab[] = { 0, 127, 0, 127 };
	const unsigned char lt310[] = { 2, 127, 2, 127 };

	UT_EQ_INT(py_line_of(PY_LOCATIONS, up, sizeof(up), INT_MAX - (1 << 28), 0), -1,
		  "3.11 line past INT_MAX");
	UT_EQ_INT(py_line_of(PY_LOCATIONS, up, sizeof(up), 10, 0), 10 + (1 << 29),
		  "3.11 line 2^29 on");
	UT_EQ_INT(py_line_of(PY_LNOTAB, lnotab, sizeof(lnotab), INT_MAX - 200, 0), -1,
		  "lnotab line past INT_MAX");
	UT_EQ_INT(py_line_of(PY_LINETABLE_310, lt310, sizeof(lt310), INT_MAX - 200, 1), -1,
		  "3.10 line past INT_MAX");
	UT_EQ_INT(py_line_of(PY_LNOTAB, lnotab, sizeof(lnotab), -300, 0), -1,
		  "a line below 0 is none");
}

static void test_str_state(void)
{
	const struct py_layout *l311 = py_layout_find(3, 11), *l312 = py_layout_find(3, 12);
	unsigned int kind;
	bool compact, ascii;

	/* kind 1 << 2, compact 1 << 5, ascii 1 << 6, ready 1 << 7 */
	UT_CHECK(py_str_state(l311, 0xe4, &kind, &compact, &ascii) && kind == 1 && compact && ascii,
		 "3.11 compact ASCII");
	UT_CHECK(!py_str_state(l311, 0x64, &kind, &compact, &ascii), "3.11 not ready");
	UT_CHECK(py_str_state(l312, 0x64, &kind, &compact, &ascii) && kind == 1 && ascii,
		 "3.12 compact ASCII: no ready bit");
	UT_CHECK(py_str_state(l312, 0x28 | 1, &kind, &compact, &ascii) && kind == 2 && compact &&
			 !ascii,
		 "3.12 compact UCS-2, interned");
	UT_CHECK(py_str_state(l311, 0x90, &kind, &compact, &ascii) && kind == 4 && !compact,
		 "3.11 legacy UCS-4");
	UT_CHECK(!py_str_state(l312, 0x2c, &kind, &compact, &ascii), "kind 3 makes no sense");
	UT_CHECK(!py_str_state(l312, 0x68, &kind, &compact, &ascii), "ASCII of kind 2 neither");
}

static void test_version_of(void)
{
	static const struct {
		const char *name;
		int err;
		unsigned int minor;
	} names[] = {
		{ "/usr/lib/x86_64-linux-gnu/libpython3.9.so.1.0", 0, 9 },
		{ "python3.8m", 0, 8 },
		{ "/opt/py/bin/python3.10d", 0, 10 },
		{ "libpython3.12.so", 0, 12 },
		{ "libpython3.8dm.so.1", 0, 8 },
		{ "python3.13t", -ENOENT, 0 },
		{ "python3", -ENOENT, 0 },
		{ "python3.11-config", -ENOENT, 0 },
		{ "libpython3.11.so.x", -ENOENT, 0 },
		{ "mypython3.11", -ENOENT, 0 },
	};
	char *argv[] = { PYTHON, "-c", "import sys; print(*sys.version_info[:2])", NULL };
	unsigned int major, minor, want_major, want_minor;
	char *out, real[PATH_MAX];
	int status;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int err;

		major = minor = 0;
		err = py_version_of("/dev/null", names[i].name, &major, &minor);
		UT_CHECK(err == names[i].err && (err || (major == 3 && minor == names[i].minor)),
			 "version of %s: %d, %u.%u", names[i].name, err, major, minor);
	}
	major = 0;
	UT_EQ_INT(py_version_of("/bin/true", NULL, &major, &minor), -ENOENT,
		  "an ELF file without Py_Version, and no version in its name");

	if (access(PYTHON, X_OK)) {
		ut_skip("Py_Version", "no " PYTHON);
		return;
	}
	out = run_capture(argv, &status);
	if (!out || sscanf(out, "%u %u", &want_major, &want_minor) != 2) {
		UT_CHECK(0, PYTHON " printed its version");
		free(out);
		return;
	}
	if (want_minor < 11) {
		ut_skip_always("Py_Version", "%s is %u.%u, older than 3.11", PYTHON, want_major,
			       want_minor);
		free(out);
		return;
	}
	free(out);
	/* "python3" names no version: only Py_Version can tell. The file is
	 * opened as a mapping shows it, not through the symbolic link. */
	major = minor = 0;
	UT_CHECK(realpath(PYTHON, real) != NULL, "realpath " PYTHON);
	UT_CHECK(!py_version_of(PYTHON, real, &major, &minor) && major == want_major &&
			 minor == want_minor,
		 "Py_Version of " PYTHON ": %u.%u, want %u.%u", major, minor, want_major,
		 want_minor);
}

int main(void)
{
	test_find();
	test_311_offsets();
	test_locations();
	test_locations_malformed();
	test_lnotab();
	test_linetable_310();
	test_line_overflow();
	test_str_state();
	test_version_of();
	return ut_done();
}
