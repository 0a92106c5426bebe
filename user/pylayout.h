/* SPDX-License-Identifier: GPL-2.0-only */
/* CPython's data layouts, one table entry per version (3.8 to 3.13), taken
 * from CPython's own headers: what the BPF side walks (struct lt_py_proc) and
 * what user space reads to name frames and types. Plus the decoding of line
 * tables, which changed format twice. */
#ifndef LT_PYLAYOUT_H
#define LT_PYLAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "leaktrace.h"

/* How a code object maps instructions to lines. */
enum py_linetable {
	PY_LNOTAB,	  /* co_lnotab: (byte offset delta, line delta) pairs (3.8, 3.9) */
	PY_LINETABLE_310, /* co_linetable (3.10): (byte delta, line delta) with -128 = no line */
	PY_LOCATIONS,	  /* co_linetable (3.11+): PEP 626/657 location table, varint entries */
};

/* Where an instance without a __dict__ keeps its attributes (3.11+): a
 * values array whose keys are its class's shared keys (ht_cached_keys). */
enum py_values {
	PY_VALUES_NONE, /* 3.8-3.10: always in a __dict__ */
	PY_VALUES_311,	/* a PyDictValues * 4 words before the object, NULL once
			 * a dict is made (then 3 words before) */
	PY_VALUES_312,	/* one word 3 words before: a dict, or values - 1 (bit 0) */
	PY_VALUES_313,	/* inline after the PyObject header (Py_TPFLAGS_INLINE_VALUES),
			 * while no dict is made (3 words before) */
};

/* What backrefs (backrefs.c) reads beyond dicts, lists and tuples: closures,
 * frames kept by a traceback, and attributes kept in values arrays.
 * LT_PY_NONE where a version has no such field. */
struct py_refs {
	/* PyFunctionObject: __defaults__ a tuple, __kwdefaults__ a dict */
	__u16 func_code, func_closure, func_defaults, func_kwdefaults;
	/* PyCodeObject: the names of a frame's fast locals. 3.8-3.10:
	 * co_varnames (co_nlocals of them), then co_cellvars, co_freevars;
	 * 3.11+: co_localsplusnames (co_nlocalsplus), the free ones last
	 * (co_nfreevars of them). Counts are ints. */
	__u16 co_nlocals, co_varnames, co_cellvars, co_freevars;
	__u16 co_nlocalsplus, co_localsplusnames, co_nfreevars;
	/* PyFrameObject: 3.8-3.10 holds f_code and f_localsplus itself; 3.11+
	 * points (f_frame) to a _PyInterpreterFrame, its own copy once the
	 * function returned (at fr_data, where frame_obj is then NULL), which
	 * has f_code (bpf.fr_code), localsplus and, while the function runs, a
	 * frame_obj that points back. */
	__u16 fr_code, fr_localsplus, fr_iframe, fr_data;
	__u16 if_localsplus, if_frame_obj;
	/* PyGenObject (generators, coroutines): 3.8-3.10 point to their frame
	 * object (gen_frame), 3.11+ hold their _PyInterpreterFrame at
	 * gen_iframe; LT_PY_NONE where the other is */
	__u16 gen_frame, gen_iframe;
	__u16 ht_cached_keys; /* PyHeapTypeObject: the shared keys (3.11+) */
	enum py_values values;
};

struct py_layout {
	unsigned int major, minor;
	struct lt_py_proc bpf; /* runtime left 0: filled per process */
	/* PyCodeObject */
	__u16 co_filename, co_name, co_qualname; /* co_qualname LT_PY_NONE before 3.11 */
	__u16 co_firstlineno;			 /* an int */
	__u16 co_linetable;			 /* a bytes object: co_lnotab / co_linetable */
	enum py_linetable linetable;
	/* PyTypeObject */
	__u16 tp_name; /* const char * */
	/* PyObject */
	__u16 ob_type;
	/* str: PyASCIIObject/PyCompactUnicodeObject */
	__u16 str_length;	/* Py_ssize_t length */
	__u16 str_state;	/* the bitfield word: interned, kind, compact, ascii, ... */
	__u16 str_ascii_data;	/* where data starts in a compact ASCII string */
	__u16 str_compact_data; /* where data starts in a compact non-ASCII string */
	/* bytes: PyBytesObject */
	__u16 bytes_size; /* ob_size */
	__u16 bytes_data; /* ob_sval */
	/* The free lists of lists and dicts in PyInterpreterState (3.10 to 3.12;
	 * LT_PY_NONE elsewhere): objects there are freed, though no tp_free ran.
	 * Each list is an array of LT_PY_FREE_MAX pointers and an int count. */
	__u32 interp_list_free, interp_list_numfree;
	__u32 interp_dict_free, interp_dict_numfree;
	/* The garbage collector's lists, read by the census (census.c): where
	 * generations[0..2] (struct gc_generation, 24 bytes each, the list
	 * head first) and permanent_generation are, from PyInterpreterState,
	 * or from _PyRuntimeState in 3.8 (gc_in_runtime). */
	__u32 gc_gens, gc_perm;
	bool gc_in_runtime;
	__u32 interp_modules; /* sys.modules: a dict pointer in PyInterpreterState */
	/* tp_flags bits that give an object a pre-header of two pointers
	 * before its GC header (3.11+: the managed dict and weakref list) */
	__u64 tp_flags_preheader;
	struct py_refs refs;
};

/* Fixed in 3.8 to 3.13 (release builds, LP64). */
#define LT_PY_GC_HEAD 16	/* sizeof(PyGC_Head): _gc_next, _gc_prev before the object */
#define LT_PY_GC_GEN_SIZE 24	/* sizeof(struct gc_generation) */
#define LT_PY_TP_FLAGS 168	/* PyTypeObject.tp_flags, an unsigned long */
#define LT_PY_TP_DICT 264	/* PyTypeObject.tp_dict (3.12+: NULL for static builtin types) */
#define LT_PY_TP_DICTOFFSET 288 /* PyTypeObject.tp_dictoffset */
#define LT_PY_TPFLAGS_INLINE_VALUES (1ULL << 2)	  /* 3.13+ */
#define LT_PY_TPFLAGS_MANAGED_WEAKREF (1ULL << 3) /* 3.12+ */
#define LT_PY_TPFLAGS_MANAGED_DICT (1ULL << 4)	  /* 3.11+ */
#define LT_PY_TPFLAGS_HEAPTYPE (1ULL << 9)
#define LT_PY_TPFLAGS_READY (1ULL << 12)
#define LT_PY_TPFLAGS_LIST_SUBCLASS (1ULL << 25)
#define LT_PY_TPFLAGS_TUPLE_SUBCLASS (1ULL << 26)
#define LT_PY_TPFLAGS_DICT_SUBCLASS (1ULL << 29)
#define LT_PY_TPFLAGS_TYPE_SUBCLASS (1ULL << 31)

#define LT_PY_FREE_MAX 80 /* PyList_MAXFREELIST, PyDict_MAXFREELIST */

/* The layout for CPython @major.@minor, or NULL if not known. */
const struct py_layout *py_layout_find(unsigned int major, unsigned int minor);

/* The line of code unit @instr (index of a 2-byte code unit) in a code object
 * whose first line is @firstlineno and whose line table is @table, @len bytes,
 * in format @fmt. Returns the line, or -1 if the table gives none there
 * (or is malformed: a line below 0 or past INT_MAX). */
int py_line_of(enum py_linetable fmt, const unsigned char *table, size_t len, int firstlineno,
	       unsigned int instr);

/* Decodes a str's state word: sets *kind (1, 2 or 4 bytes a character),
 * *compact and *ascii. Returns false if the bits make no sense. */
bool py_str_state(const struct py_layout *l, __u32 state, unsigned int *kind, bool *compact,
		  bool *ascii);

/* The CPython version of a binary: from its exported Py_Version (3.11+), else
 * from its file name (python3.X, libpython3.X.so...). Returns 0 and fills
 * @major/@minor, or -ENOENT. @path is openable by this process. */
int py_version_of(const char *path, const char *shown_name, unsigned int *major,
		  unsigned int *minor);

#endif
