/* SPDX-License-Identifier: GPL-2.0-only */
/* Source "python": CPython frames in every stack of a CPython process, and
 * its objects (kind pyobj) with their types.
 *
 * Frames: the thread's PyThreadState is found once in the interpreter's list
 * of threads, by native thread id, and kept on the thread; each allocation
 * then walks its frame chain (code object and current instruction of each
 * frame), appended to the native frames of the stack. The layouts come from
 * user space per process (struct lt_py_proc), from CPython's own headers.
 *
 * Objects: an interpreter built with LTO inlines pymalloc into its callers,
 * so no allocator function sees every object. The functions that make an
 * object from its type do: PyType_GenericAlloc (tp_alloc), _PyObject_GC_New
 * and _PyObject_New (and their Var forms); objects go back through tp_free:
 * PyObject_GC_Del and PyObject_Free, called through pointers and so never
 * inlined. */

#define LT_PY_MAX_THREADS 64
#define LT_PY_MAX_FRAMES 127
#define LT_PY_FRAME_READ 128 /* bytes read of a frame: every field we need is in them */

/* Set by user space once a CPython process is traced: until then, no
 * allocation pays for a lookup in pyprocs. */
__u32 py_active;

/* Python frames kept per stack; 0 when the python source is off. */
const volatile __u32 py_depth = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct lt_py_proc);
} pyprocs SEC(".maps");

static __always_inline struct lt_py_proc *py_proc(__u32 tgid)
{
	if (!py_active || !py_depth)
		return NULL;
	return bpf_map_lookup_elem(&pyprocs, &tgid);
}

/* pthread_self() of the current thread, where it can be known: on x86-64
 * glibc and musl it is the thread pointer, the fs base. */
static __always_inline __u64 py_pthread_self(void)
{
#if defined(__TARGET_ARCH_x86)
	return lt_task_tp(bpf_get_current_task_btf());
#else
	return 0;
#endif
}

/* Whether @ts is the PyThreadState of the current thread: by native thread
 * id (3.11+), else by pthread_self() (3.8-3.10). */
static __always_inline bool py_ts_is(const struct lt_py_proc *py, __u64 ts, __u32 tid)
{
	__u64 id, self;

	if (py->ts_native_tid != LT_PY_NONE)
		return !bpf_probe_read_user(&id, sizeof(id), (void *)(ts + py->ts_native_tid)) &&
		       id == tid;
	self = py_pthread_self();
	return self && !bpf_probe_read_user(&id, sizeof(id), (void *)(ts + py->ts_thread_id)) &&
	       id == self;
}

/* The search of the interpreter's thread list for the current thread's
 * PyThreadState, one thread state a step under bpf_loop(). */
struct py_find_state {
	const struct lt_py_proc *py;
	__u64 ts;    /* next thread state to look at */
	__u64 found; /* the current thread's, once found */
	__u32 tid;
	__u32 pad;
};

static long py_find_step(__u32 i, void *ctx)
{
	struct py_find_state *s = ctx;

	if (!s->ts)
		return 1;
	if (py_ts_is(s->py, s->ts, s->tid)) {
		s->found = s->ts;
		return 1;
	}
	/* a failed read zeroes ts: the search ends */
	bpf_probe_read_user(&s->ts, sizeof(s->ts), (void *)(s->ts + s->py->ts_next));
	return 0;
}

/* The current thread's PyThreadState, or 0: the one kept on the thread if it
 * still is, else the one found in the interpreter's thread list. In a step
 * of bpf_loop(), not a loop in line: the verifier then checks the step
 * once, not once per thread, and what follows once, not once per way out. */
static __always_inline __u64 py_tstate(const struct lt_py_proc *py, struct lt_thread *t)
{
	struct py_find_state s = { .py = py, .tid = (__u32)bpf_get_current_pid_tgid() };
	__u64 ts = t ? t->py_tstate : 0, interp;

	if (ts && py_ts_is(py, ts, s.tid))
		return ts;
	if (bpf_probe_read_user(&interp, sizeof(interp),
				(void *)(py->runtime + py->rt_interp_main)) ||
	    bpf_probe_read_user(&s.ts, sizeof(s.ts), (void *)(interp + py->interp_threads)))
		return 0;
	bpf_loop(LT_PY_MAX_THREADS, py_find_step, &s, 0);
	if (s.found && t)
		t->py_tstate = s.found;
	return s.found;
}

static __always_inline __u64 py_field(const __u8 *buf, __u16 off)
{
	/* The mask keeps the verifier sure the read stays in the buffer. */
	return *(const __u64 *)(buf + (off & (LT_PY_FRAME_READ - 8)));
}

/* The index of a frame's current instruction, in code units. */
static __always_inline __u64 py_instr(const struct lt_py_proc *py, const __u8 *buf, __u64 code)
{
	__u64 v = py_field(buf, py->fr_instr), base = code + py->code_adaptive;
	__s32 lasti = (__s32)v;

	switch (py->instr_mode) {
	case LT_PY_INSTR_PTR:
		v = v > base ? (v - base) >> 1 : 0;
		break;
	case LT_PY_INSTR_LASTI_BYTES:
		v = lasti > 0 ? lasti >> 1 : 0;
		break;
	default:
		v = lasti > 0 ? lasti : 0;
	}
	return v < LT_PY_INSTR_MAX ? v : LT_PY_INSTR_MAX;
}

/* State of one walk of the Python frames, step by step under bpf_loop().
 * Frames go at ips[base + out]: a fixed base keeps the verifier's states few
 * enough to converge. */
struct py_walk_state {
	const struct lt_py_proc *py;
	__u64 *ips; /* where frames go, or NULL to only hash them */
	__u64 h;
	__u64 frame;   /* next frame to read */
	__u64 pending; /* the last frame read, not yet counted */
	__u32 base;    /* index in ips of the first Python frame */
	__u32 out;     /* Python frames counted */
};

static __always_inline int py_emit(struct py_walk_state *w, __u64 entry)
{
	__u32 out = w->out;

	if (out >= py_depth)
		return 1;
	w->h = lt_mix(w->h, entry);
	if (w->ips)
		w->ips[stack_depth + out] = entry;
	w->out = out + 1;
	return 0;
}

/* One frame: read it, count the one before it (a frame goes out one step
 * late: a shim frame after it, in 3.12+, makes it the entry of its C-level
 * eval call), and move out. Returns 1 to stop. */
static long py_walk_step(__u32 i, void *ctx)
{
	struct py_walk_state *w = ctx;
	const struct lt_py_proc *py = w->py;
	__u8 buf[LT_PY_FRAME_READ];
	bool entry;
	__u64 code;

	if (!w->frame || bpf_probe_read_user(buf, sizeof(buf), (void *)w->frame))
		return 1;
	if (py->entry_mode == LT_PY_ENTRY_SHIM &&
	    buf[py->fr_entry & (LT_PY_FRAME_READ - 1)] == py->owner_cstack) {
		w->pending |= LT_PY_ENTRY;
		w->frame = py_field(buf, py->fr_previous);
		return 0;
	}
	if (w->pending && py_emit(w, w->pending))
		return 1;
	entry = py->entry_mode == LT_PY_ENTRY_EVERY ||
		(py->entry_mode == LT_PY_ENTRY_FLAG && buf[py->fr_entry & (LT_PY_FRAME_READ - 1)]);
	code = py_field(buf, py->fr_code);
	w->pending = LT_PY_FRAME | (entry ? LT_PY_ENTRY : 0) |
		     py_instr(py, buf, code) << LT_PY_INSTR_SHIFT | (code & LT_PY_CODE_MASK);
	w->frame = py_field(buf, py->fr_previous);
	return 0;
}

/* Walks the Python frames of the current thread, innermost first, into
 * @ips[stack_depth...] (unless @ips is NULL) and into the hash @h; returns how
 * many. bpf_loop() keeps the verifier's work to one step, whatever the depth. */
static __always_inline __u32 py_walk(const struct lt_py_proc *py, struct lt_thread *t, __u64 *h,
				     __u64 *ips)
{
	struct py_walk_state w = { .py = py, .ips = ips, .h = *h };
	__u64 ts = py_tstate(py, t), frame = 0;

	if (!ts || bpf_probe_read_user(&frame, sizeof(frame), (void *)(ts + py->ts_frame)))
		return 0;
	if (py->cframe_frame != LT_PY_NONE &&
	    (!frame ||
	     bpf_probe_read_user(&frame, sizeof(frame), (void *)(frame + py->cframe_frame))))
		return 0;
	w.frame = frame;
	bpf_loop(LT_PY_MAX_FRAMES, py_walk_step, &w, 0);
	/* the outermost frame is always an entry */
	if (w.pending)
		py_emit(&w, w.pending | LT_PY_ENTRY);
	*h = w.h;
	return w.out;
}
