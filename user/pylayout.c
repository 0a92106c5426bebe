// SPDX-License-Identifier: GPL-2.0-only
/* CPython's data layouts per version, the decoders of its three line-table
 * formats and of a str's state word, and telling which CPython a binary is.
 *
 * Where the numbers come from: offsetof() and sizeof() worked out from the
 * structs in CPython's headers at each version's release tag, for release
 * builds (not debug, not free-threaded) on LP64 (x86-64, aarch64):
 *   _PyRuntimeState     Include/internal/pycore_runtime.h (3.8: pycore_pystate.h)
 *   PyInterpreterState  Include/internal/pycore_interp.h (3.8: pycore_pystate.h)
 *   PyThreadState       Include/cpython/pystate.h, and _PyCFrame there (3.11, 3.12)
 *   PyFrameObject       Include/cpython/frameobject.h (3.8-3.10)
 *   _PyInterpreterFrame Include/internal/pycore_frame.h (3.11+)
 *   PyCodeObject        Include/cpython/code.h
 *   PyTypeObject        Include/cpython/object.h
 *   PyASCIIObject, PyCompactUnicodeObject  Include/cpython/unicodeobject.h
 *   PyBytesObject       Include/cpython/bytesobject.h
 *   PyFunctionObject    Include/cpython/funcobject.h (3.8: Include/funcobject.h)
 *   PyHeapTypeObject    Include/cpython/object.h
 *   PyDictValues        Include/internal/pycore_dict.h, and where an
 *                       instance keeps it: Include/internal/pycore_object.h
 * (the older versions keep some of the public ones directly in Include/).
 * The line-table formats are described in Objects/lnotab_notes.txt (3.8-3.10)
 * and Objects/locations.md (3.11+), and decoded as Objects/codeobject.c does.
 * tests/unit/test_pylayout.c checks the 3.11 entry against offsetof() over the
 * installed python3.11 headers, compiled at test time, and the 3.11+
 * line-table decoder against the interpreter's own co_positions(). */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "elfsym.h"
#include "pylayout.h"

/* PyObject, PyTypeObject's head and PyBytesObject are the same in 3.8-3.13. */
#define LT_PY_OB_TYPE 8	      /* PyObject.ob_type */
#define LT_PY_TP_NAME 24      /* PyTypeObject.tp_name */
#define LT_PY_TP_BASICSIZE 32 /* PyTypeObject.tp_basicsize; tp_itemsize at 40 */
#define LT_PY_BYTES_SIZE 16   /* PyBytesObject.ob_base.ob_size */
#define LT_PY_BYTES_DATA 32   /* PyBytesObject.ob_sval, after Py_hash_t ob_shash */

static const struct py_layout py_layouts[] = {
	{
		.major = 3,
		.minor = 8,
		.bpf = {
			.rt_interp_main = 40, /* _PyRuntimeState.interpreters.main */
			.interp_threads = 8, /* PyInterpreterState.tstate_head */
			.ts_next = 8,
			.ts_native_tid = LT_PY_NONE, /* not kept before 3.11 */
			.ts_thread_id = 176,
			.ts_frame = 24, /* PyThreadState.frame: PyFrameObject * */
			.cframe_frame = LT_PY_NONE,
			.fr_code = 32, /* PyFrameObject.f_code */
			.fr_previous = 24, /* PyFrameObject.f_back */
			.fr_instr = 104, /* PyFrameObject.f_lasti, bytes */
			.fr_entry = LT_PY_NONE,
			.code_adaptive = 0,
			.tp_basicsize = LT_PY_TP_BASICSIZE,
			.instr_mode = LT_PY_INSTR_LASTI_BYTES,
			.entry_mode = LT_PY_ENTRY_EVERY,
		},
		.co_filename = 104,
		.co_name = 112,
		.co_qualname = LT_PY_NONE,
		.co_firstlineno = 40,
		.co_linetable = 120, /* co_lnotab */
		.linetable = PY_LNOTAB,
		.tp_name = LT_PY_TP_NAME,
		.ob_type = LT_PY_OB_TYPE,
		.str_length = 16,
		.str_state = 32,
		.str_ascii_data = 48, /* sizeof(PyASCIIObject): wstr ends it */
		.str_compact_data = 72, /* sizeof(PyCompactUnicodeObject) */
		.bytes_size = LT_PY_BYTES_SIZE,
		.bytes_data = LT_PY_BYTES_DATA,
		.interp_list_free = LT_PY_NONE,
		.interp_list_numfree = LT_PY_NONE,
		.interp_dict_free = LT_PY_NONE,
		.interp_dict_numfree = LT_PY_NONE,
		/* offsetof(_PyRuntimeState, gc.generations / gc.permanent_generation) */
		.gc_gens = 368,
		.gc_perm = 448,
		.gc_in_runtime = true,
		.interp_modules = 56, /* PyInterpreterState.modules */
		.tp_flags_preheader = 0,
		.refs = {
			.func_code = 16,
			.func_closure = 48,
			.func_defaults = 32,
			.func_kwdefaults = 40,
			.co_nlocals = 28,
			.co_varnames = 72,
			.co_cellvars = 88,
			.co_freevars = 80,
			.co_nlocalsplus = LT_PY_NONE,
			.co_localsplusnames = LT_PY_NONE,
			.co_nfreevars = LT_PY_NONE,
			.fr_code = 32,
			.fr_localsplus = 360,
			.fr_iframe = LT_PY_NONE,
			.fr_data = LT_PY_NONE,
			.if_localsplus = LT_PY_NONE,
			.gen_frame = 16,
			.gen_iframe = LT_PY_NONE,
			.if_frame_obj = LT_PY_NONE,
			.ht_cached_keys = LT_PY_NONE,
			.values = PY_VALUES_NONE,
		},
	},
	{
		/* Same as 3.8 for every field used; PyInterpreterState gained
		 * fields, but after tstate_head. */
		.major = 3,
		.minor = 9,
		.bpf = {
			.rt_interp_main = 40,
			.interp_threads = 8, /* PyInterpreterState.tstate_head */
			.ts_next = 8,
			.ts_native_tid = LT_PY_NONE,
			.ts_thread_id = 176,
			.ts_frame = 24,
			.cframe_frame = LT_PY_NONE,
			.fr_code = 32,
			.fr_previous = 24,
			.fr_instr = 104,
			.fr_entry = LT_PY_NONE,
			.code_adaptive = 0,
			.tp_basicsize = LT_PY_TP_BASICSIZE,
			.instr_mode = LT_PY_INSTR_LASTI_BYTES,
			.entry_mode = LT_PY_ENTRY_EVERY,
		},
		.co_filename = 104,
		.co_name = 112,
		.co_qualname = LT_PY_NONE,
		.co_firstlineno = 40,
		.co_linetable = 120, /* co_lnotab */
		.linetable = PY_LNOTAB,
		.tp_name = LT_PY_TP_NAME,
		.ob_type = LT_PY_OB_TYPE,
		.str_length = 16,
		.str_state = 32,
		.str_ascii_data = 48,
		.str_compact_data = 72,
		.bytes_size = LT_PY_BYTES_SIZE,
		.bytes_data = LT_PY_BYTES_DATA,
		.interp_list_free = LT_PY_NONE,
		.interp_list_numfree = LT_PY_NONE,
		.interp_dict_free = LT_PY_NONE,
		.interp_dict_numfree = LT_PY_NONE,
		/* offsetof(PyInterpreterState, gc.generations / gc.permanent_generation) */
		.gc_gens = 640,
		.gc_perm = 720,
		.interp_modules = 856, /* PyInterpreterState.modules */
		.tp_flags_preheader = 0,
		.refs = {
			.func_code = 16,
			.func_closure = 48,
			.func_defaults = 32,
			.func_kwdefaults = 40,
			.co_nlocals = 28,
			.co_varnames = 72,
			.co_cellvars = 88,
			.co_freevars = 80,
			.co_nlocalsplus = LT_PY_NONE,
			.co_localsplusnames = LT_PY_NONE,
			.co_nfreevars = LT_PY_NONE,
			.fr_code = 32,
			.fr_localsplus = 360,
			.fr_iframe = LT_PY_NONE,
			.fr_data = LT_PY_NONE,
			.if_localsplus = LT_PY_NONE,
			.gen_frame = 16,
			.gen_iframe = LT_PY_NONE,
			.if_frame_obj = LT_PY_NONE,
			.ht_cached_keys = LT_PY_NONE,
			.values = PY_VALUES_NONE,
		},
	},
	{
		.major = 3,
		.minor = 10,
		.bpf = {
			.rt_interp_main = 40,
			.interp_threads = 8, /* PyInterpreterState.tstate_head */
			.ts_next = 8,
			.ts_native_tid = LT_PY_NONE,
			.ts_thread_id = 176,
			.ts_frame = 24, /* PyThreadState.frame; .cframe only has use_tracing */
			.cframe_frame = LT_PY_NONE,
			.fr_code = 32,
			.fr_previous = 24,
			/* f_lasti counts code units since 3.10 (frame.f_lasti
			 * doubles it for Python code) */
			.fr_instr = 96,
			.fr_entry = LT_PY_NONE,
			.code_adaptive = 0,
			.tp_basicsize = LT_PY_TP_BASICSIZE,
			.instr_mode = LT_PY_INSTR_LASTI_UNITS,
			.entry_mode = LT_PY_ENTRY_EVERY,
		},
		.co_filename = 104,
		.co_name = 112,
		.co_qualname = LT_PY_NONE,
		.co_firstlineno = 40,
		.co_linetable = 120,
		.linetable = PY_LINETABLE_310,
		.tp_name = LT_PY_TP_NAME,
		.ob_type = LT_PY_OB_TYPE,
		.str_length = 16,
		.str_state = 32,
		.str_ascii_data = 48,
		.str_compact_data = 72,
		.bytes_size = LT_PY_BYTES_SIZE,
		.bytes_data = LT_PY_BYTES_DATA,
		/* offsetof(PyInterpreterState, list.free_list / list.numfree /
		 * dict_state.free_list / dict_state.numfree), from the headers */
		.interp_list_free = 10040,
		.interp_list_numfree = 10680,
		.interp_dict_free = 10688,
		.interp_dict_numfree = 11328,
		/* offsetof(PyInterpreterState, gc.generations / gc.permanent_generation) */
		.gc_gens = 640,
		.gc_perm = 720,
		.interp_modules = 856, /* PyInterpreterState.modules */
		.tp_flags_preheader = 0,
		.refs = {
			.func_code = 48,
			.func_closure = 72,
			.func_defaults = 56,
			.func_kwdefaults = 64,
			.co_nlocals = 28,
			.co_varnames = 72,
			.co_cellvars = 88,
			.co_freevars = 80,
			.co_nlocalsplus = LT_PY_NONE,
			.co_localsplusnames = LT_PY_NONE,
			.co_nfreevars = LT_PY_NONE,
			.fr_code = 32,
			.fr_localsplus = 352,
			.fr_iframe = LT_PY_NONE,
			.fr_data = LT_PY_NONE,
			.if_localsplus = LT_PY_NONE,
			.gen_frame = 16,
			.gen_iframe = LT_PY_NONE,
			.if_frame_obj = LT_PY_NONE,
			.ht_cached_keys = LT_PY_NONE,
			.values = PY_VALUES_NONE,
		},
	},
	{
		.major = 3,
		.minor = 11,
		.bpf = {
			.rt_interp_main = 48, /* _initialized came first */
			.interp_threads = 16, /* PyInterpreterState.threads.head */
			.ts_next = 8,
			.ts_native_tid = 160,
			.ts_thread_id = 152,
			.ts_frame = 56, /* PyThreadState.cframe */
			.cframe_frame = 8, /* _PyCFrame.current_frame, after use_tracing */
			.fr_code = 32, /* _PyInterpreterFrame.f_code */
			.fr_previous = 48,
			.fr_instr = 56, /* prev_instr: the instruction running or last run */
			.fr_entry = 68, /* is_entry */
			.code_adaptive = 184,
			.tp_basicsize = LT_PY_TP_BASICSIZE,
			.instr_mode = LT_PY_INSTR_PTR,
			.entry_mode = LT_PY_ENTRY_FLAG,
		},
		.co_filename = 112,
		.co_name = 120,
		.co_qualname = 128,
		.co_firstlineno = 72,
		.co_linetable = 136,
		.linetable = PY_LOCATIONS,
		.tp_name = LT_PY_TP_NAME,
		.ob_type = LT_PY_OB_TYPE,
		.str_length = 16,
		.str_state = 32,
		.str_ascii_data = 48,
		.str_compact_data = 72,
		.bytes_size = LT_PY_BYTES_SIZE,
		.bytes_data = LT_PY_BYTES_DATA,
		/* offsetof(PyInterpreterState, list.free_list / list.numfree /
		 * dict_state.free_list / dict_state.numfree), from the headers */
		.interp_list_free = 3872,
		.interp_list_numfree = 4512,
		.interp_dict_free = 4520,
		.interp_dict_numfree = 5160,
		/* offsetof(PyInterpreterState, gc.generations / gc.permanent_generation) */
		.gc_gens = 672,
		.gc_perm = 752,
		.interp_modules = 888, /* PyInterpreterState.modules */
		.tp_flags_preheader = LT_PY_TPFLAGS_MANAGED_DICT,
		.refs = {
			.func_code = 48,
			.func_closure = 72,
			.func_defaults = 56,
			.func_kwdefaults = 64,
			.co_nlocals = 80,
			.co_varnames = LT_PY_NONE,
			.co_cellvars = LT_PY_NONE,
			.co_freevars = LT_PY_NONE,
			.co_nlocalsplus = 76,
			.co_localsplusnames = 96,
			.co_nfreevars = 92,
			.fr_code = LT_PY_NONE,
			.fr_localsplus = LT_PY_NONE,
			.fr_iframe = 24,
			.fr_data = 48,
			.if_localsplus = 72,
			.gen_frame = LT_PY_NONE,
			.gen_iframe = 80,
			.if_frame_obj = 40,
			.ht_cached_keys = 872,
			.values = PY_VALUES_311,
		},
	},
	{
		.major = 3,
		.minor = 12,
		.bpf = {
			.rt_interp_main = 48,
			.interp_threads = 72, /* threads moved after monitoring versions */
			.ts_next = 8,
			.ts_native_tid = 144,
			.ts_thread_id = 136,
			.ts_frame = 56, /* PyThreadState.cframe */
			.cframe_frame = 0, /* use_tracing is gone */
			.fr_code = 0, /* _PyInterpreterFrame.f_code */
			.fr_previous = 8,
			.fr_instr = 56, /* prev_instr */
			.fr_entry = 70, /* owner, a char */
			.code_adaptive = 192,
			.tp_basicsize = LT_PY_TP_BASICSIZE,
			.instr_mode = LT_PY_INSTR_PTR,
			.entry_mode = LT_PY_ENTRY_SHIM,
			.owner_cstack = 3, /* FRAME_OWNED_BY_CSTACK */
		},
		.co_filename = 112,
		.co_name = 120,
		.co_qualname = 128,
		.co_firstlineno = 68,
		.co_linetable = 136,
		.linetable = PY_LOCATIONS,
		.tp_name = LT_PY_TP_NAME,
		.ob_type = LT_PY_OB_TYPE,
		.str_length = 16,
		.str_state = 32,
		.str_ascii_data = 40, /* PEP 623 removed wstr */
		.str_compact_data = 56,
		.bytes_size = LT_PY_BYTES_SIZE,
		.bytes_data = LT_PY_BYTES_DATA,
		/* offsetof(PyInterpreterState, list.free_list / list.numfree /
		 * dict_state.free_list / dict_state.numfree), from the headers */
		.interp_list_free = 270072,
		.interp_list_numfree = 270712,
		.interp_dict_free = 270736,
		.interp_dict_numfree = 272016,
		/* offsetof(PyInterpreterState, gc.generations / gc.permanent_generation) */
		.gc_gens = 136,
		.gc_perm = 216,
		.interp_modules = 944, /* PyInterpreterState.imports.modules */
		.tp_flags_preheader = LT_PY_TPFLAGS_MANAGED_DICT | LT_PY_TPFLAGS_MANAGED_WEAKREF,
		.refs = {
			.func_code = 48,
			.func_closure = 72,
			.func_defaults = 56,
			.func_kwdefaults = 64,
			.co_nlocals = 80,
			.co_varnames = LT_PY_NONE,
			.co_cellvars = LT_PY_NONE,
			.co_freevars = LT_PY_NONE,
			.co_nlocalsplus = 72,
			.co_localsplusnames = 96,
			.co_nfreevars = 88,
			.fr_code = LT_PY_NONE,
			.fr_localsplus = LT_PY_NONE,
			.fr_iframe = 24,
			.fr_data = 48,
			.if_localsplus = 72,
			.gen_frame = LT_PY_NONE,
			.gen_iframe = 72,
			.if_frame_obj = 48,
			.ht_cached_keys = 880,
			.values = PY_VALUES_312,
		},
	},
	{
		/* _PyRuntime starts with _Py_DebugOffsets (584 bytes in 3.13.0),
		 * and PyInterpreterState with its _ceval_state, which holds 300
		 * pending calls: hence the large offsets. */
		.major = 3,
		.minor = 13,
		.bpf = {
			.rt_interp_main = 640,
			.interp_threads = 7344, /* PyInterpreterState.threads.head */
			.ts_next = 8,
			.ts_native_tid = 160,
			.ts_thread_id = 152,
			.ts_frame = 72, /* PyThreadState.current_frame: no _PyCFrame */
			.cframe_frame = LT_PY_NONE,
			.fr_code = 0, /* _PyInterpreterFrame.f_executable */
			.fr_previous = 8,
			/* instr_ptr: the instruction running, or the first one of
			 * a frame not started yet (where 3.11 and 3.12 point one
			 * before). In a caller it is the CALL, as prev_instr is
			 * in 3.11 and 3.12, so the index the BPF side computes,
			 * (instr_ptr - (code + code_adaptive)) / 2, names the
			 * same line in all three. */
			.fr_instr = 56,
			.fr_entry = 70, /* owner */
			.code_adaptive = 200, /* co_executors came in before it */
			.tp_basicsize = LT_PY_TP_BASICSIZE,
			.instr_mode = LT_PY_INSTR_PTR,
			.entry_mode = LT_PY_ENTRY_SHIM,
			.owner_cstack = 3, /* FRAME_OWNED_BY_CSTACK (4 from 3.14) */
		},
		.co_filename = 112,
		.co_name = 120,
		.co_qualname = 128,
		.co_firstlineno = 68,
		.co_linetable = 136,
		.linetable = PY_LOCATIONS,
		.tp_name = LT_PY_TP_NAME,
		.ob_type = LT_PY_OB_TYPE,
		.str_length = 16,
		.str_state = 32,
		.str_ascii_data = 40,
		.str_compact_data = 56,
		.bytes_size = LT_PY_BYTES_SIZE,
		.bytes_data = LT_PY_BYTES_DATA,
		.interp_list_free = LT_PY_NONE,
		.interp_list_numfree = LT_PY_NONE,
		.interp_dict_free = LT_PY_NONE,
		.interp_dict_numfree = LT_PY_NONE,
		/* offsetof(PyInterpreterState, gc.generations / gc.permanent_generation) */
		.gc_gens = 7424,
		.gc_perm = 7504,
		.interp_modules = 7656, /* PyInterpreterState.imports.modules */
		.tp_flags_preheader = LT_PY_TPFLAGS_MANAGED_DICT | LT_PY_TPFLAGS_MANAGED_WEAKREF,
		.refs = {
			.func_code = 48,
			.func_closure = 72,
			.func_defaults = 56,
			.func_kwdefaults = 64,
			.co_nlocals = 80,
			.co_varnames = LT_PY_NONE,
			.co_cellvars = LT_PY_NONE,
			.co_freevars = LT_PY_NONE,
			.co_nlocalsplus = 72,
			.co_localsplusnames = 96,
			.co_nfreevars = 88,
			.fr_code = LT_PY_NONE,
			.fr_localsplus = LT_PY_NONE,
			.fr_iframe = 24,
			.fr_data = 64,
			.if_localsplus = 72,
			.gen_frame = LT_PY_NONE,
			.gen_iframe = 72,
			.if_frame_obj = 48,
			.ht_cached_keys = 880,
			.values = PY_VALUES_313,
		},
	},
};

const struct py_layout *py_layout_find(unsigned int major, unsigned int minor)
{
	for (size_t i = 0; i < sizeof(py_layouts) / sizeof(py_layouts[0]); i++) {
		if (py_layouts[i].major == major && py_layouts[i].minor == minor)
			return &py_layouts[i];
	}
	return NULL;
}

/* co_lnotab (3.8, 3.9): (byte offset increment, signed line increment)
 * pairs from (0, firstlineno); a byte offset has the line of the last entry
 * at or before it. Large increments are split over several pairs, with 0 for
 * the other half, so the line is only known once all have been added: this
 * is PyCode_Addr2Line()'s loop. */
static long long lnotab_line(const unsigned char *t, size_t len, long long line, __u64 byte)
{
	__u64 addr = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		addr += t[i];
		if (addr > byte)
			break;
		line += (signed char)t[i + 1];
	}
	return line;
}

/* co_linetable (3.10): (byte length, signed line increment) pairs, each for
 * the range after the previous one; -128 marks a range without a line and
 * leaves the running line as it is. */
static long long linetable310_line(const unsigned char *t, size_t len, long long line, __u64 byte)
{
	__u64 start, end = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		signed char delta = (signed char)t[i + 1];

		start = end;
		end += t[i];
		if (delta != -128)
			line += delta;
		if (byte >= start && byte < end)
			return delta == -128 ? -1 : line;
	}
	return -1;
}

/* The location table's varints: 6 bits a byte, least significant first,
 * 0x40 set on every byte but the last. Returns false past the table's end. */
static bool loc_varint(const unsigned char *t, size_t len, size_t *i, unsigned int *val)
{
	unsigned int shift = 0, b;

	*val = 0;
	do {
		if (*i >= len || shift > 30)
			return false;
		b = t[(*i)++];
		*val |= (b & 63) << shift;
		shift += 6;
	} while (b & 64);
	return true;
}

/* The location table (3.11+): entries of one first byte, 1 code:4
 * (length-1):3, then the code's operands. Codes 0-9 (short forms) and 10-12
 * (one-line forms) move the line by 0 and code - 10; 13 (no columns) and 14
 * (long form) by a signed varint, whose low bit is the sign; 15 has no line
 * and leaves the running line as it is. Lengths are in code units. */
static long long locations_line(const unsigned char *t, size_t len, long long line,
				unsigned int instr)
{
	__u64 start = 0;
	unsigned int n, v;
	size_t i = 0, j;

	while (i < len) {
		unsigned char b = t[i];
		unsigned int code = (b >> 3) & 15;

		if (!(b & 0x80))
			return -1; /* not at the start of an entry: malformed */
		n = (b & 7) + 1;
		j = i + 1;
		if (code == 13 || code == 14) {
			if (!loc_varint(t, len, &j, &v))
				return -1;
			line += v & 1 ? -(long long)(v >> 1) : (long long)(v >> 1);
		} else if (code >= 10 && code <= 12) {
			line += (long long)code - 10;
		}
		if (instr >= start && instr < start + n)
			return code == 15 ? -1 : line;
		start += n;
		/* the operands are skipped by the next first byte's high bit */
		for (i++; i < len && !(t[i] & 0x80); i++)
			;
	}
	return -1;
}

int py_line_of(enum py_linetable fmt, const unsigned char *table, size_t len, int firstlineno,
	       unsigned int instr)
{
	long long line = -1;

	/* Both older formats count bytes, two to a code unit. */
	if (instr > UINT32_MAX / 2)
		return -1;
	/* The decoders add up in 64 bits: a target's first line and table
	 * may take the sum past an int (undefined behaviour in C), and such a
	 * line is no line. */
	switch (fmt) {
	case PY_LNOTAB:
		line = lnotab_line(table, len, firstlineno, instr * 2);
		break;
	case PY_LINETABLE_310:
		line = linetable310_line(table, len, firstlineno, instr * 2);
		break;
	case PY_LOCATIONS:
		line = locations_line(table, len, firstlineno, instr);
		break;
	}
	return line >= 0 && line <= INT_MAX ? (int)line : -1;
}

bool py_str_state(const struct py_layout *l, __u32 state, unsigned int *kind, bool *compact,
		  bool *ascii)
{
	/* Bitfields are allocated from the lowest bit on x86-64 and aarch64:
	 * interned:2, kind:3, compact:1, ascii:1 in every version; 3.8-3.11
	 * then have ready:1 (3.12, 3.13 statically_allocated:1, which does
	 * not matter here). */
	unsigned int k = (state >> 2) & 7;

	*compact = state & (1u << 5);
	*ascii = state & (1u << 6);
	*kind = k;
	if (l->major == 3 && l->minor <= 11 && !(state & (1u << 7)))
		return false; /* not ready: only wstr holds the text */
	if (k != 1 && k != 2 && k != 4)
		return false;
	return !*ascii || k == 1;
}

/* Py_VERSION_HEX from the binary's exported Py_Version (3.11+): an unsigned
 * long in .rodata, 0xMMmmPPLS. */
static int version_from_elf(const char *path, unsigned int *major, unsigned int *minor)
{
	struct elf_file *f = elf_file__open(path);
	unsigned char buf[8];
	struct elf_func sym;
	__u64 v;
	long n;
	int err;

	if (!f)
		return -errno;
	err = elf_file__find_object(f, "Py_Version", &sym);
	if (err)
		goto cleanup;
	if (!sym.offset || (sym.size != 4 && sym.size != 8)) {
		err = -ENOENT;
		goto cleanup;
	}
	n = elf_file__read(f, sym.offset, buf, sym.size);
	if (n != (long)sym.size) {
		err = n < 0 ? (int)n : -EIO;
		goto cleanup;
	}
	/* Native byte order: we trace processes of our own architecture. */
	if (sym.size == 8) {
		memcpy(&v, buf, 8);
	} else {
		__u32 v32;

		memcpy(&v32, buf, 4);
		v = v32;
	}
	*major = (v >> 24) & 0xff;
	*minor = (v >> 16) & 0xff;
	err = *major ? 0 : -ENOENT;
cleanup:
	elf_file__free(f);
	return err;
}

/* "python3.11", "libpython3.8m.so.1.0", "python3.10d": the version in a file
 * name. A free-threaded build ("t") is refused: its objects are laid out
 * differently from what the table describes. */
static int version_from_name(const char *name, unsigned int *major, unsigned int *minor)
{
	const char *base = strrchr(name, '/');
	unsigned long maj, min;
	char *end;

	base = base ? base + 1 : name;
	if (!strncmp(base, "lib", 3))
		base += 3;
	if (strncmp(base, "python", 6) || base[6] < '0' || base[6] > '9')
		return -ENOENT;
	maj = strtoul(base + 6, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -ENOENT;
	min = strtoul(end + 1, &end, 10);
	for (; *end == 'd' || *end == 'm' || *end == 't'; end++) {
		if (*end == 't')
			return -ENOENT;
	}
	if (*end && strncmp(end, ".so", 3))
		return -ENOENT;
	if (*end) {
		/* ".so" then only ".N" version parts */
		for (end += 3; *end == '.' && end[1] >= '0' && end[1] <= '9';)
			strtoul(end + 1, &end, 10);
		if (*end)
			return -ENOENT;
	}
	if (maj > 255 || min > 255)
		return -ENOENT;
	*major = maj;
	*minor = min;
	return 0;
}

int py_version_of(const char *path, const char *shown_name, unsigned int *major,
		  unsigned int *minor)
{
	if (!version_from_elf(path, major, minor))
		return 0;
	if (shown_name && !version_from_name(shown_name, major, minor))
		return 0;
	return version_from_name(path, major, minor) ? -ENOENT : 0;
}
