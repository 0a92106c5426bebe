/* SPDX-License-Identifier: GPL-2.0-only */
/* The one header both sides include: map keys and values, sizes, the kinds of
 * resource, the drop counters and the event layout. It includes nothing: BPF
 * code includes vmlinux.h first, user space <linux/types.h>. */
#ifndef LEAKTRACE_H
#define LEAKTRACE_H

/* Frames a stack can hold; --stack-depth picks how many are kept, up to this. */
#define LT_MAX_STACK_DEPTH 127
#define LT_DEFAULT_STACK_DEPTH 32

/* The stack id given to allocations whose stack could not be stored: they are
 * still counted, under one "[stack lost]" entry, and LT_CNT_STACKS_FULL says so.
 * Real stack ids are hashes that are never 0 nor 1 (lt_stack_final()). */
#define LT_STACK_LOST 0ULL
/* --system under pages: the stack id of the pages of a process not in focus
 * (bpf/pages.bpf.h), whose stacks are not walked: one per process and region,
 * with no frames. */
#define LT_STACK_UNWALKED 1ULL
/* --system under pages: processes in focus at most (the focus map) */
#define LT_FOCUS_MAX 4096
/* --pages before Linux 6.4: the processes whose changes to their mappings
 * are counted at once (the map_seqs LRU); one evicted is counted afresh */
#define LT_MAP_SEQS_MAX 4096

/* What kind of resource an entry is. The order is the order of reports. */
enum lt_kind {
	LT_KIND_HEAP,  /* malloc family, bytes */
	LT_KIND_MMAP,  /* anonymous mappings, bytes */
	LT_KIND_PYOBJ, /* CPython objects, bytes of the object itself; aux: its type */
	/* GL and EGL objects: addr is (share group << 32 | name), or the handle */
	LT_KIND_GL_TEXTURE,
	LT_KIND_GL_BUFFER,
	LT_KIND_GL_FRAMEBUFFER,
	LT_KIND_GL_RENDERBUFFER,
	LT_KIND_GL_SHADER,
	LT_KIND_GL_PROGRAM,
	LT_KIND_GL_VERTEX_ARRAY,
	LT_KIND_EGL_CONTEXT,
	LT_KIND_EGL_SURFACE,
	LT_KIND_FD, /* file descriptors: addr is the fd number, size 0 */
	/* resident pages faulted in: addr is the page, or a transparent huge
	 * page's block with its low bit set (bpf/pages.bpf.h); aux: enum
	 * lt_page_region; counted in small pages */
	LT_KIND_PAGES,
	LT_KIND__NR,
};

/* The mapping a page of LT_KIND_PAGES is in: part of its stack's key, so
 * that a stack that touched pages of two kinds of mapping is two rows. */
enum lt_page_region {
	LT_REGION_ANON,	 /* an anonymous private mapping (mmap, arenas, thread stacks) */
	LT_REGION_HEAP,	 /* the brk heap, [heap] */
	LT_REGION_STACK, /* the main thread's stack, [stack] */
	LT_REGION__NR,
};

#define LT_KIND_GL_FIRST LT_KIND_GL_TEXTURE
#define LT_KIND_GL_LAST LT_KIND_GL_VERTEX_ARRAY /* kinds named per share group */

/* What a GL or EGL entry probe does, in the low byte of its cookie; the kind
 * it acts on is in the next byte. */
enum lt_gl_fn {
	LT_GL_GEN = 1,	      /* (n, names): glGen*, glCreate{Buffers,Framebuffers,...} */
	LT_GL_CREATE_TEX,     /* (target, n, names): glCreateTextures */
	LT_GL_DELETE,	      /* (n, names): glDelete* */
	LT_GL_CREATE_RET,     /* (...) -> name: glCreateShader, glCreateProgram */
	LT_GL_DELETE_ONE,     /* (name): glDeleteShader, glDeleteProgram */
	LT_GL_BIND,	      /* (target, name): glBindTexture, glBindBuffer, glBindRenderbuffer */
	LT_GL_ACTIVE_TEXTURE, /* (unit) */
	LT_GL_TEX_IMAGE_2D,   /* (target, level, ifmt, w, h, border | fmt, type, data) */
	LT_GL_TEX_IMAGE_3D,   /* (target, level, ifmt, w, h, d | border, fmt, type, data) */
	LT_GL_COMPRESSED_2D,  /* (target, level, ifmt, w, h, border | size, data) */
	LT_GL_TEX_STORAGE_2D, /* (target, levels, ifmt, w, h) */
	LT_GL_TEX_STORAGE_3D, /* (target, levels, ifmt, w, h, d) */
	LT_GL_TEXTURE_STORAGE_2D, /* (texture, levels, ifmt, w, h) */
	LT_GL_BUFFER_DATA,	  /* (target, size, ...): glBufferData, glBufferStorage */
	LT_GL_NAMED_BUFFER_DATA,  /* (buffer, size, ...) */
	LT_GL_RB_STORAGE,	  /* (target, ifmt, w, h) */
	LT_GL_RB_STORAGE_MS,	  /* (target, samples, ifmt, w, h) */
	LT_GL_NAMED_RB_STORAGE,	  /* (renderbuffer, ifmt, w, h) */
	LT_EGL_CREATE_CONTEXT,	  /* share context in the argument of the next byte up */
	LT_EGL_DESTROY_CONTEXT,	  /* (dpy, ctx) */
	LT_EGL_MAKE_CURRENT,	  /* context in the argument of the next byte up */
	LT_EGL_CREATE_SURFACE,	  /* (...) -> surface */
	LT_EGL_DESTROY_SURFACE,	  /* (dpy, surface) */
	LT_EGL_SWAP,		  /* a frame: a thread with a current context */
};

#define LT_GL_MAX_NAMES 64  /* names read from one glGen or glDelete call */
#define LT_GL_MAX_LEVELS 16 /* mip levels a texture's size is kept for */

#define LT_GL_COOKIE(fn, kind, arg) ((__u64)(fn) | (__u64)(kind) << 8 | (__u64)(arg) << 16)
#define LT_GL_COOKIE_FN(c) ((c)&0xff)
#define LT_GL_COOKIE_KIND(c) (((c) >> 8) & 0xff)
#define LT_GL_COOKIE_ARG(c) (((c) >> 16) & 0xff)

/* The function an entry probe sits on: its cookie, set by user space. */
enum lt_heap_fn {
	LT_FN_MALLOC,
	LT_FN_CALLOC,
	LT_FN_REALLOC,
	LT_FN_REALLOCARRAY,
	LT_FN_POSIX_MEMALIGN,
	LT_FN_MEMALIGN, /* and aligned_alloc */
	LT_FN_VALLOC,	/* and pvalloc */
	LT_FN_FREE,
	/* CPython object allocation: the type is the first argument */
	LT_FN_PY_GENERIC_ALLOC, /* PyType_GenericAlloc(type, nitems) */
	LT_FN_PY_NEW,		/* _PyObject_New(type), _PyObject_GC_New(type) */
	LT_FN_PY_NEWVAR,	/* _PyObject_NewVar(type, n), _PyObject_GC_NewVar(type, n) */
	LT_FN_PY_FREE,		/* PyObject_GC_Del(op), PyObject_Free(op) */
	/* CPython constructors that hand out objects from free lists too: the
	 * type is read from the object they return */
	LT_FN_PY_NEWOBJ, /* PyList_New(n), PyDict_New(), _PyDict_NewPresized(n) */
};

/* Which allocator call is in progress on a thread; it decides how the return
 * probe reads the result. */
enum lt_op {
	LT_OP_MALLOC,	      /* result in the return register */
	LT_OP_REALLOC,	      /* also releases the old block */
	LT_OP_POSIX_MEMALIGN, /* result stored through the first argument */
	LT_OP_PYOBJ,	      /* a CPython object; the call's ptr is its type */
	LT_OP_PYOBJ_NEWOBJ,   /* a CPython object whose type is read from it */
	LT_OP_SKIP,	      /* a heap call left out by sampling: nothing recorded */
};

/* Under sampling (--sample, --sample-bytes) each recorded heap block stands
 * for more than itself, and its stack's allocs/frees count in units of
 * 1/LT_WEIGHT_ONE allocation: a block of size s recorded with probability
 * s/SIZE stands for SIZE/s allocations, not a whole number. */
#define LT_WEIGHT_ONE 65536ULL

enum lt_counter {
	LT_CNT_ALLOCS_FULL,   /* allocs map had no room: allocation not recorded */
	LT_CNT_STATS_FULL,    /* per-stack totals map had no room: allocation not recorded */
	LT_CNT_STACKS_FULL,   /* stacks map had no room: counted under LT_STACK_LOST */
	LT_CNT_EVENTS_LOST,   /* ring buffer full: an mmap/munmap event was lost */
	LT_CNT_NO_THREAD,     /* no per-thread storage: a call could not be followed */
	LT_CNT_NO_ENTRY,      /* return probe fired without a matching entry */
	LT_CNT_MISSED_FREE,   /* an address came back from malloc while still recorded */
	LT_CNT_GL_NAMES_LOST, /* GL names past LT_GL_MAX_NAMES in one glGen/glDelete call */
	LT_CNT_UNW_NO_TABLE,  /* a stack reached code without an unwind table: frame pointers on */
	LT_CNT_UNW_BAD_READ,  /* a return address or saved register could not be read */
	LT_CNT_UNW_WAITING,   /* --system: a stack walked with frame pointers while its
			       * process's tables were being made */
	LT_CNT_SYS_VMA_BUSY,  /* a stack at a syscall started inside the wrapper: the
			       * process's mappings were locked by another thread */
	LT_CNT_SELF_HITS,     /* --system: a uprobe fired in leaktrace itself (a trap it paid) */
	LT_CNT_PROBE_CALLS,   /* entry probes run in traced processes: one trap each */
	LT_CNT_PROBE_RETURNS, /* return probes run in traced processes: what they add */
	LT_CNT_PAGES_FULL,    /* allocs map had no room for a page: page not charged */
	LT_CNT_PAGES_BUSY,    /* a page's mapping could not be looked up (its process's
			       * mappings were being changed): page not charged */
	LT_CNT_PAGES_HUGE,    /* a block charged whole where the kernel may have mapped a
			       * transparent huge page: one per block */
	LT_CNT_PAGES_VMAS,    /* a page's mapping looked up, not known from the thread's
			       * last fault (pages_vma_find()) */
	LT_CNT__NR,
};

/* Counters that mean the totals are incomplete; the others are diagnostics. */
#define LT_CNT_DROP_MASK                                                                           \
	((1u << LT_CNT_ALLOCS_FULL) | (1u << LT_CNT_STATS_FULL) | (1u << LT_CNT_STACKS_FULL) |     \
	 (1u << LT_CNT_EVENTS_LOST) | (1u << LT_CNT_NO_THREAD) | (1u << LT_CNT_GL_NAMES_LOST) |    \
	 (1u << LT_CNT_PAGES_FULL) | (1u << LT_CNT_PAGES_BUSY))

/* One outstanding resource: allocs map, keyed by where it lives. */
struct lt_alloc_key {
	__u64 addr;
	__u32 tgid;
	__u32 kind; /* enum lt_kind */
};

struct lt_alloc {
	__u64 size;
	__u64 stack; /* key into the stacks map */
	__u64 aux;   /* what else keys its totals: a pyobj's type; else 0 */
};

/* Per-stack totals: stats map. Live count is allocs - frees. */
struct lt_stat_key {
	__u64 stack;
	__u64 aux; /* as in struct lt_alloc */
	__u32 tgid;
	__u32 kind;
};

struct lt_stat {
	__s64 bytes;  /* outstanding */
	__u64 allocs; /* recorded since attach */
	__u64 frees;
	__u64 busy; /* writers half-way through an update */
	/* when the entry was made (bpf_ktime_get_ns()): user space tells the
	 * entries of a process's image from those of the one it exec'd, or of
	 * a process that had its pid before, by this */
	__u64 born_ns;
};

/* Python frames in a stack. An entry with LT_PY_FRAME set is a CPython frame:
 * its code object's address and the index of its current instruction (in
 * code units, saturated). LT_PY_ENTRY marks the outermost frame run by one
 * C-level call of the interpreter's eval loop: frames up to it stand in place
 * of one native eval frame. Native frames come first, then Python frames,
 * innermost first. */
#define LT_PY_FRAME (1ULL << 63)
#define LT_PY_ENTRY (1ULL << 62)
#define LT_PY_INSTR_SHIFT 48
#define LT_PY_INSTR_MAX 0x3fffULL
#define LT_PY_CODE_MASK ((1ULL << 48) - 1)

/* How a frame's current instruction is kept, per CPython version. */
enum lt_py_instr {
	LT_PY_INSTR_PTR,	 /* pointer to the code unit (3.11+): index from co_code_adaptive */
	LT_PY_INSTR_LASTI_BYTES, /* int f_lasti, in bytes (3.8, 3.9) */
	LT_PY_INSTR_LASTI_UNITS, /* int f_lasti, in code units (3.10) */
};

/* How the frames run by one C-level eval call are told apart. */
enum lt_py_entry {
	LT_PY_ENTRY_EVERY, /* every frame is its own call (3.8-3.10) */
	LT_PY_ENTRY_FLAG,  /* a bool in the frame marks the first of a call (3.11) */
	LT_PY_ENTRY_SHIM,  /* a shim frame owned by the C stack precedes each call (3.12+) */
};

#define LT_PY_NONE 0xffff /* an offset that does not exist in this version */

/* Where a CPython process keeps what the BPF side walks: pyprocs map, by
 * tgid. Offsets in bytes, from user/pylayout.c's table for its version. */
struct lt_py_proc {
	__u64 runtime;	      /* address of _PyRuntime */
	__u16 rt_interp_main; /* _PyRuntimeState.interpreters.main */
	__u16 interp_threads; /* PyInterpreterState.threads.head */
	__u16 ts_next;	      /* PyThreadState.next */
	__u16 ts_native_tid;  /* PyThreadState.native_thread_id (3.11+), or LT_PY_NONE */
	__u16 ts_thread_id;   /* PyThreadState.thread_id: pthread_self() */
	__u16 ts_frame;	      /* .cframe (3.11, 3.12), .current_frame (3.13), .frame (3.8-3.10) */
	__u16 cframe_frame;   /* _PyCFrame.current_frame, or LT_PY_NONE: ts_frame is the frame */
	__u16 fr_code;	      /* the frame's code object */
	__u16 fr_previous;    /* the next frame out */
	__u16 fr_instr;	      /* prev_instr / instr_ptr / f_lasti, read as instr_mode says */
	__u16 fr_entry;	      /* is_entry (3.11) or owner (3.12+), or LT_PY_NONE */
	__u16 code_adaptive;  /* PyCodeObject.co_code_adaptive (3.11+), else 0 */
	__u16 tp_basicsize;   /* PyTypeObject.tp_basicsize; tp_itemsize is the next word */
	__u8 instr_mode;      /* enum lt_py_instr */
	__u8 entry_mode;      /* enum lt_py_entry */
	__u8 owner_cstack;    /* owner value of a shim frame (3.12+) */
	__u8 pad[11];	      /* explicit, so both sides agree on the layout */
};

/* Unwind tables (bpf/unwind.bpf.h, user/unwind.c): per module, rows sorted
 * by address, each the rule from its address to the next row's. The return
 * address is at CFA - 8 in every row (x86-64); offsets are in 8-byte units. */
enum lt_unw_cfa {
	LT_UNW_NONE,	  /* no call frame information: frame pointers from here */
	LT_UNW_RSP,	  /* CFA = rsp + off */
	LT_UNW_RBP,	  /* CFA = rbp + off */
	LT_UNW_RBP_DEREF, /* CFA = *(rbp + off): a function that realigned its stack */
	LT_UNW_PLT,	  /* CFA = rsp + 8, + 8 from byte rbp_off of a 16-byte PLT entry */
	LT_UNW_SIGNAL,	  /* a signal trampoline: the registers are in the ucontext at rsp */
	LT_UNW_END,	  /* the outermost frame (return address undefined) */
};

struct lt_unw_row {
	__u32 pc;      /* ELF virtual address in the module */
	__s16 cfa_off; /* in 8-byte units */
	__u8 cfa;      /* enum lt_unw_cfa */
	__s8 rbp_off;  /* rbp saved at CFA + 8 * rbp_off; 0: unchanged */
};

/* The rows live in chunks of LT_UNW_CHUNK_ROWS (512 KiB), each an array
 * map that user space makes when the rows reach it: the kernel holds the
 * rows the traced modules need, not --unwind-rows of them. Row i is entry
 * i % LT_UNW_CHUNK_ROWS of chunk i / LT_UNW_CHUNK_ROWS. */
#define LT_UNW_CHUNK_SHIFT 16
#define LT_UNW_CHUNK_ROWS (1u << LT_UNW_CHUNK_SHIFT)

/* Processes with tables at once (the unwprocs map). */
#define LT_UNW_MAX_PROCS 1024

/* Executable mappings of a process with their tables: unwprocs map, by tgid,
 * sorted by start. */
#define LT_UNW_MAX_MAPS 256

struct lt_unw_map {
	__u64 start, end;
	__u64 bias;    /* ELF virtual address = address - bias */
	__u32 row;     /* first row in the unwrows map; LT_UNW_ROW_FP: see there */
	__u32 nr_rows; /* 0: no table, frame pointers */
};

/* The row of a mapping whose module keeps frame pointers in every function:
 * it gets no table, and its frames are walked through them, which is
 * cheaper than a lookup and as right, past a function's prologue. */
#define LT_UNW_ROW_FP 0xffffffffu

/* A process whose modules all keep frame pointers, or whose tables cannot be
 * had: walked as with --unwind fp, its mappings not looked at. */
#define LT_UNW_PROC_FP 1u

struct lt_unw_proc {
	__u32 nr;
	__u32 flags; /* LT_UNW_PROC_* */
	struct lt_unw_map maps[LT_UNW_MAX_MAPS];
};

/* Events for what user space tracks itself (rare, so one event each). */
enum lt_event_type {
	LT_EV_MMAP,	 /* anonymous mapping made: addr, len, stack */
	LT_EV_MUNMAP,	 /* range unmapped: addr, len */
	LT_EV_MREMAP,	 /* old_addr/old_len moved or resized to addr/len */
	LT_EV_MAP_EXEC,	 /* a file was mapped executable: the module list changed */
	LT_EV_EXEC,	 /* the process replaced its image: addr = when (bpf_ktime_get_ns()) */
	LT_EV_GL_THREAD, /* a thread made a GL context current: addr = its tid, len = fs base */
	LT_EV_EXIT,	 /* its last thread exited (--system): addr = when, as for exec */
};

/* Stack words above the user stack pointer at a syscall: user space finds the
 * syscall wrapper's return address among them with the wrapper's CFI. */
#define LT_SP_WORDS 4

/* A syscall instruction in a mapped file, and where the syscall wrapper
 * around it keeps its return address and its caller's frame pointer (from
 * its CFI, found by user space): sysframes map. Stacks taken at a syscall
 * start from the wrapper's caller, which a frame-pointer walk cannot see
 * because wrappers make no frame. Keyed by file, not process: every process
 * that maps the file shares the entry, and one started later has it before
 * its first syscall. */
struct lt_sys_site {
	__u64 ino;
	__u64 off; /* file offset right after the syscall instruction */
	__u32 dev; /* the kernel's dev_t: major << 20 | minor */
	__u32 pad;
};

/* A device number as the kernel keeps it (MKDEV), from /proc/PID/maps's. */
#define LT_KERNEL_DEV(major, minor) ((__u32)(major) << 20 | (__u32)(minor))

/* Sites in the sysframes map: glibc has a few hundred with CFI, a program
 * that makes its own syscalls (Go) some dozens; files, not processes. */
#define LT_SYS_SITES_MAX (1u << 16)

struct lt_sys_frame {
	__s32 ra_off; /* return address at sp + ra_off; LT_RA_IN_LINK_REG: in its register */
	__s32 fp_off; /* caller's frame pointer at sp + fp_off; < 0: still in its register */
};

/* The return address of a wrapper that makes no frame on a machine with a
 * link register (aarch64's x30): still there at the syscall. */
#define LT_RA_IN_LINK_REG (-1)

/* The frames of an LT_EV_MMAP start at the syscall wrapper's caller. */
#define LT_EV_F_CALLER 1u

struct lt_event {
	__u32 type; /* enum lt_event_type */
	__u32 tgid;
	__u64 addr;
	__u64 len;
	__u64 old_addr;
	__u64 old_len;
	__u64 sp;
	__u64 sp_words[LT_SP_WORDS];
	__u32 nr_frames;
	__u32 flags;			  /* LT_EV_F_* */
	char comm[16];			  /* the sending thread's name */
	__u64 frames[LT_MAX_STACK_DEPTH]; /* only nr_frames are sent */
};

/* Stack ids: a hash of the frames and the process, computed by the BPF side
 * as it walks, and again by user space to check a stack it read. The process
 * is part of the id: the same addresses mean different code in different
 * processes. Never LT_STACK_LOST. */
static inline __u64 lt_mix(__u64 h, __u64 v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 31);
}

static inline __u64 lt_stack_seed(__u32 tgid)
{
	return lt_mix(0x6c7472616365ULL, tgid);
}

/* Whether stack id @id names frames in the stacks map: neither
 * LT_STACK_LOST nor LT_STACK_UNWALKED, which have none. */
static inline int lt_stack_walked(__u64 id)
{
	return id > LT_STACK_UNWALKED;
}

/* A stack's hash as its id: never LT_STACK_LOST nor LT_STACK_UNWALKED. */
static inline __u64 lt_stack_final(__u64 h)
{
	return lt_stack_walked(h) ? h : 2;
}

#ifndef __cplusplus
_Static_assert(sizeof(struct lt_alloc_key) == 16, "lt_alloc_key layout changed");
_Static_assert(sizeof(struct lt_alloc) == 24, "lt_alloc layout changed");
_Static_assert(sizeof(struct lt_stat_key) == 24, "lt_stat_key layout changed");
_Static_assert(sizeof(struct lt_py_proc) == 48, "lt_py_proc layout changed");
_Static_assert(sizeof(struct lt_sys_site) == 24, "lt_sys_site layout changed");
_Static_assert(sizeof(struct lt_sys_frame) == 8, "lt_sys_frame layout changed");
_Static_assert(sizeof(struct lt_unw_row) == 8, "lt_unw_row layout changed");
_Static_assert(sizeof(struct lt_unw_map) == 32, "lt_unw_map layout changed");
_Static_assert(sizeof(struct lt_stat) == 40, "lt_stat layout changed");
_Static_assert(sizeof(struct lt_event) == 104 + 8 * LT_MAX_STACK_DEPTH, "lt_event layout changed");
#endif

#endif /* LEAKTRACE_H */
