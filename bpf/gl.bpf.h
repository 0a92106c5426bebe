/* SPDX-License-Identifier: GPL-2.0-only */
/* Source "gl": OpenGL, GLES and EGL/GLX objects. The GL probes sit on the
 * driver's own implementations, which user space finds at run time through
 * the dispatch table of a thread with a current context (whatever way the
 * program reaches them: linked, through GetProcAddress pointers, through
 * glvnd); the EGL and GLX ones on the exported entry points. One entry and
 * one return program serve them all, told apart by the probe's cookie: what
 * the function does, on which kind, and where its context argument is.
 *
 * GL names live in a share group of contexts: objects are keyed by the
 * group's first context and the name. Sizes come from the calls that give an
 * object storage, for the object bound in the current context; a texture's
 * size is the sum of its levels. A group's objects go with its last context:
 * the driver frees them, and so are they counted. */

#define LT_GL_TEXTURE0 0x84C0
#define LT_GL_TEXTURE_CUBE_MAP 0x8513
#define LT_GL_CUBE_FACE_FIRST 0x8515
#define LT_GL_CUBE_FACE_LAST 0x851A

/* Set by user space while a launched command must stop when it first makes
 * a context current, so that the driver's functions are probed before any
 * GL object is made. */
__u32 stop_on_gl;

struct gl_group {
	__u64 root; /* the first context of the share group */
	__s64 live; /* in the root's entry: contexts of the group alive */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct gl_group);
} glgroups SEC(".maps");

/* What a context has bound: (context, target, texture unit) -> name. */
struct gl_bind_key {
	__u64 ctx;
	__u32 target;
	__u32 unit;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 16);
	__type(key, struct gl_bind_key);
	__type(value, __u32);
} glbinds SEC(".maps");

/* The active texture unit of each context. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} glunits SEC(".maps");

/* The size of each specified level of each texture. */
struct gl_level_key {
	__u64 addr;
	__u32 tgid;
	__u32 level;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 18);
	__type(key, struct gl_level_key);
	__type(value, __u64);
} gllevels SEC(".maps");

/* Bytes a pixel, by sized internal format, or by (format << 16 | type) for
 * the unsized ones; filled by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 512);
	__type(key, __u32);
	__type(value, __u32);
} glformats SEC(".maps");

/* The probed call's arguments: the registers, read once (reading the context
 * at a computed offset is not allowed), and the stack pointer, still the
 * entry's where the probe sits. */
struct gl_regs {
	__u64 r[8];
	__u64 sp;
};

static __always_inline void gl_regs(struct pt_regs *ctx, struct gl_regs *g)
{
#if defined(__TARGET_ARCH_x86)
	g->r[0] = ctx->di;
	g->r[1] = ctx->si;
	g->r[2] = ctx->dx;
	g->r[3] = ctx->cx;
	g->r[4] = ctx->r8;
	g->r[5] = ctx->r9;
	g->r[6] = 0;
	g->r[7] = 0;
	g->sp = ctx->sp;
#elif defined(__TARGET_ARCH_arm64)
	for (int i = 0; i < 8; i++)
		g->r[i] = ctx->regs[i];
	g->sp = ctx->sp;
#endif
}

#if defined(__TARGET_ARCH_x86)
#define LT_REG_ARGS 6
#else
#define LT_REG_ARGS 8
#endif

/* Argument @i, counting from 0: from a register, or from the stack above
 * the return address (x86-64) or at the stack pointer (arm64). */
static __always_inline __u64 lt_arg(const struct gl_regs *g, __u32 i)
{
	__u64 v = 0;

	if (i < LT_REG_ARGS)
		return g->r[i & 7];
#if defined(__TARGET_ARCH_x86)
	bpf_probe_read_user(&v, sizeof(v), (void *)(g->sp + 8 * (i - 5)));
#else
	bpf_probe_read_user(&v, sizeof(v), (void *)(g->sp + 8 * (i - 8)));
#endif
	return v;
}

static __always_inline __u64 gl_root(__u64 ctx)
{
	struct gl_group *g = bpf_map_lookup_elem(&glgroups, &ctx);

	return g ? g->root : ctx;
}

/* The key of GL object @name in the share group of context @ctx. */
static __always_inline __u64 gl_key(__u64 ctx, __u32 name)
{
	return (gl_root(ctx) & 0xffffffffULL) << 32 | name;
}

static __always_inline __u32 gl_bpp(__u32 ifmt, __u32 fmt, __u32 type)
{
	__u32 key = ifmt, *v = bpf_map_lookup_elem(&glformats, &key);

	if (v)
		return *v;
	key = fmt << 16 | (type & 0xffff);
	v = bpf_map_lookup_elem(&glformats, &key);
	return v ? *v : 0;
}

static __always_inline __u32 gl_bound_target(__u32 target)
{
	return target >= LT_GL_CUBE_FACE_FIRST && target <= LT_GL_CUBE_FACE_LAST
		       ? LT_GL_TEXTURE_CUBE_MAP
		       : target;
}

/* How many faces a level of a texture of @target has: a cube map's six must
 * match, so each face specified stands for all six (and replaces their
 * level's size rather than adding to it). */
static __always_inline __u32 gl_faces(__u32 target)
{
	return gl_bound_target(target) == LT_GL_TEXTURE_CUBE_MAP ? 6 : 1;
}

/* The name bound to @target in context @ctx (on its active unit for textures). */
static __always_inline __u32 gl_bound(__u64 ctx, __u32 kind, __u32 target)
{
	struct gl_bind_key k = { .ctx = ctx, .target = gl_bound_target(target) };
	__u32 *unit, *name;

	if (kind == LT_KIND_GL_TEXTURE) {
		unit = bpf_map_lookup_elem(&glunits, &ctx);
		k.unit = unit ? *unit : 0;
	}
	name = bpf_map_lookup_elem(&glbinds, &k);
	return name ? *name : 0;
}

static __always_inline void gl_bind(__u64 ctx, __u32 kind, __u32 target, __u32 name)
{
	struct gl_bind_key k = { .ctx = ctx, .target = target };
	__u32 *unit;

	if (kind == LT_KIND_GL_TEXTURE) {
		unit = bpf_map_lookup_elem(&glunits, &ctx);
		k.unit = unit ? *unit : 0;
	}
	bpf_map_update_elem(&glbinds, &k, &name, BPF_ANY);
}

/* Level @level of texture @key now holds @size bytes. */
static __always_inline void gl_level(__u32 tgid, __u64 key, __u32 level, __u64 size)
{
	struct gl_level_key lk = { .addr = key, .tgid = tgid, .level = level };
	__u64 *old = bpf_map_lookup_elem(&gllevels, &lk), prev = old ? *old : 0;

	if (level >= LT_GL_MAX_LEVELS)
		return;
	bpf_map_update_elem(&gllevels, &lk, &size, BPF_ANY);
	lt_add_size(tgid, LT_KIND_GL_TEXTURE, key, (__s64)(size - prev));
}

/* The whole size of an object (immutable storage, or a buffer's data). */
static __always_inline void gl_set_size(__u32 tgid, __u32 kind, __u64 key, __u64 size)
{
	struct lt_alloc_key k = { .addr = key, .tgid = tgid, .kind = kind };
	struct lt_alloc *a = bpf_map_lookup_elem(&allocs, &k);

	if (a)
		lt_add_size(tgid, kind, key, (__s64)(size - a->size));
}

static __always_inline __u64 gl_mip_sum(__u64 w, __u64 h, __u64 d, __u32 levels, __u32 bpp)
{
	__u64 sum = 0;

	for (__u32 l = 0; l < LT_GL_MAX_LEVELS; l++) {
		if (l >= levels)
			break;
		sum += (w ?: 1) * (h ?: 1) * (d ?: 1) * bpp;
		w >>= 1;
		h >>= 1;
		d >>= 1;
	}
	return sum;
}

static __always_inline void gl_forget_levels(__u32 tgid, __u64 key)
{
	struct gl_level_key lk = { .addr = key, .tgid = tgid };

	for (__u32 l = 0; l < LT_GL_MAX_LEVELS; l++) {
		lk.level = l;
		bpf_map_delete_elem(&gllevels, &lk);
	}
}

static __always_inline void gl_count_lost(__u64 n)
{
	if (n > LT_GL_MAX_NAMES)
		lt_count_n(LT_CNT_GL_NAMES_LOST, n - LT_GL_MAX_NAMES);
}

/* One walk over the names a glGen or glDelete call wrote or read, a name a
 * step under bpf_loop(): the verifier sees one step, not LT_GL_MAX_NAMES. */
struct gl_names {
	__u64 names; /* user address of the array */
	__u64 ctx;   /* the current context */
	__u64 stack; /* glGen: the stack that made them */
	__u32 tgid;
	__u32 kind;
};

static long gl_delete_step(__u32 i, struct gl_names *w)
{
	__u32 name = 0;
	__u64 key;

	if (bpf_probe_read_user(&name, sizeof(name), (void *)(w->names + 4 * (__u64)i)))
		return 1;
	if (!name)
		return 0;
	key = gl_key(w->ctx, name);
	lt_release(w->tgid, w->kind, key);
	if (w->kind == LT_KIND_GL_TEXTURE)
		gl_forget_levels(w->tgid, key);
	return 0;
}

static long gl_record_step(__u32 i, struct gl_names *w)
{
	__u32 name = 0;

	if (bpf_probe_read_user(&name, sizeof(name), (void *)(w->names + 4 * (__u64)i)))
		return 1;
	if (name)
		lt_record(w->tgid, w->kind, gl_key(w->ctx, name), 0, w->stack, 0);
	return 0;
}

static __always_inline __u32 gl_nr_names(__u64 n, __u64 names)
{
	if (!names || !n || n > 1 << 30)
		return 0;
	gl_count_lost(n);
	return n < LT_GL_MAX_NAMES ? n : LT_GL_MAX_NAMES;
}

/* glDelete*(n, names): releases each name of the current share group. */
static __always_inline void gl_delete(__u32 tgid, __u32 kind, __u64 ctx, __u64 n, __u64 names)
{
	struct gl_names w = { .names = names, .ctx = ctx, .tgid = tgid, .kind = kind };
	__u32 nr = gl_nr_names(n, names);

	if (nr)
		bpf_loop(nr, gl_delete_step, &w, 0);
}

struct gl_purge {
	__u32 tgid;
	__u32 group; /* low 32 bits of the root context */
};

static long gl_purge_one(struct bpf_map *map, struct lt_alloc_key *k, struct lt_alloc *a,
			 struct gl_purge *p)
{
	if (k->tgid == p->tgid && k->kind >= LT_KIND_GL_FIRST && k->kind <= LT_KIND_GL_LAST &&
	    (k->addr >> 32) == p->group)
		lt_release(k->tgid, k->kind, k->addr);
	return 0;
}

static long gl_purge_level(struct bpf_map *map, struct gl_level_key *k, __u64 *size,
			   struct gl_purge *p)
{
	if (k->tgid == p->tgid && (k->addr >> 32) == p->group)
		bpf_map_delete_elem(map, k);
	return 0;
}

static long gl_purge_bind(struct bpf_map *map, struct gl_bind_key *k, __u32 *name, __u64 *ctx)
{
	if (k->ctx == *ctx)
		bpf_map_delete_elem(map, k);
	return 0;
}

/* Context @ctx is destroyed: if it was the last of its share group, the
 * driver frees the group's objects, and so are they counted. What it had
 * bound, and the sizes of the group's texture levels, go too: a context
 * made later at the same address starts with none (rare, so a walk). */
static __always_inline void gl_destroy_context(__u32 tgid, __u64 ctx)
{
	__u64 root = gl_root(ctx);
	struct gl_group *g = bpf_map_lookup_elem(&glgroups, &root);
	struct gl_purge p = { .tgid = tgid, .group = (__u32)root };

	lt_release(tgid, LT_KIND_EGL_CONTEXT, ctx);
	bpf_for_each_map_elem(&glbinds, gl_purge_bind, &ctx, 0);
	if (g && __sync_fetch_and_add(&g->live, -1) > 1) {
		bpf_map_delete_elem(&glgroups, &ctx);
		bpf_map_delete_elem(&glunits, &ctx);
		return;
	}
	bpf_for_each_map_elem(&allocs, gl_purge_one, &p, 0);
	bpf_for_each_map_elem(&gllevels, gl_purge_level, &p, 0);
	bpf_map_delete_elem(&glgroups, &ctx);
	bpf_map_delete_elem(&glgroups, &root);
	bpf_map_delete_elem(&glunits, &ctx);
}

/* Shows user space a thread with a current context, once: its thread pointer
 * leads to the dispatch table, and so to the driver's functions. Stops the
 * process for user space to probe them only if it will hear of it. */
static __always_inline void gl_report_thread(struct lt_thread *t)
{
	if (t->gl_reported)
		return;
	t->gl_reported = 1;
	if (ev_send(LT_EV_GL_THREAD, (__u32)bpf_get_current_pid_tgid(),
		    lt_task_tp(bpf_get_current_task_btf()), 0, 0, false) &&
	    stop_on_gl)
		bpf_send_signal(LT_SIGSTOP);
}

SEC("uprobe")
int gl_enter(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), gctx, key;
	__u32 fn = LT_GL_COOKIE_FN(cookie), kind = LT_GL_COOKIE_KIND(cookie);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, bpp, name;
	struct lt_thread *t = lt_thread_get(true);
	struct gl_regs g;

	if (!lt_uprobe_wanted(false))
		return 0;
	if (!t) {
		lt_count(LT_CNT_NO_THREAD);
		return 0;
	}
	gl_regs(ctx, &g);
	gctx = t->gl_ctx;
	switch (fn) {
	case LT_GL_GEN:
	case LT_GL_CREATE_RET:
	case LT_EGL_CREATE_SURFACE:
		t->gl_cookie = cookie;
		t->gl_args[0] = lt_arg(&g, 0);
		t->gl_args[1] = lt_arg(&g, 1);
		return 0;
	case LT_GL_CREATE_TEX:
		t->gl_cookie = LT_GL_COOKIE(LT_GL_GEN, kind, 0);
		t->gl_args[0] = lt_arg(&g, 1);
		t->gl_args[1] = lt_arg(&g, 2);
		return 0;
	case LT_EGL_CREATE_CONTEXT:
	case LT_EGL_MAKE_CURRENT:
		/* the share or new context, where this function has it */
		t->gl_cookie = cookie;
		t->gl_args[0] = lt_arg(&g, LT_GL_COOKIE_ARG(cookie) & 7);
		return 0;
	case LT_GL_DELETE:
		gl_delete(tgid, kind, gctx, lt_arg(&g, 0), lt_arg(&g, 1));
		return 0;
	case LT_GL_DELETE_ONE:
		lt_release(tgid, kind, gl_key(gctx, lt_arg(&g, 0)));
		return 0;
	case LT_GL_BIND:
		gl_bind(gctx, kind, lt_arg(&g, 0), lt_arg(&g, 1));
		return 0;
	case LT_GL_ACTIVE_TEXTURE:
		name = lt_arg(&g, 0) - LT_GL_TEXTURE0;
		bpf_map_update_elem(&glunits, &gctx, &name, BPF_ANY);
		return 0;
	case LT_GL_TEX_IMAGE_2D:
		bpp = gl_bpp(lt_arg(&g, 2), lt_arg(&g, 6), lt_arg(&g, 7));
		key = gl_key(gctx, gl_bound(gctx, kind, lt_arg(&g, 0)));
		gl_level(tgid, key, lt_arg(&g, 1),
			 (__u64)(__u32)lt_arg(&g, 3) * (__u32)lt_arg(&g, 4) * bpp *
				 gl_faces(lt_arg(&g, 0)));
		return 0;
	case LT_GL_TEX_IMAGE_3D:
		bpp = gl_bpp(lt_arg(&g, 2), lt_arg(&g, 7), lt_arg(&g, 8));
		key = gl_key(gctx, gl_bound(gctx, kind, lt_arg(&g, 0)));
		gl_level(tgid, key, lt_arg(&g, 1),
			 (__u64)(__u32)lt_arg(&g, 3) * (__u32)lt_arg(&g, 4) * (__u32)lt_arg(&g, 5) *
				 bpp);
		return 0;
	case LT_GL_COMPRESSED_2D:
		key = gl_key(gctx, gl_bound(gctx, kind, lt_arg(&g, 0)));
		gl_level(tgid, key, lt_arg(&g, 1),
			 (__u64)(__u32)lt_arg(&g, 6) * gl_faces(lt_arg(&g, 0)));
		return 0;
	case LT_GL_TEX_STORAGE_2D:
	case LT_GL_TEX_STORAGE_3D:
	case LT_GL_TEXTURE_STORAGE_2D:
		bpp = gl_bpp(lt_arg(&g, 2), 0, 0);
		name = fn == LT_GL_TEXTURE_STORAGE_2D ? lt_arg(&g, 0)
						      : gl_bound(gctx, kind, lt_arg(&g, 0));
		gl_set_size(tgid, kind, gl_key(gctx, name),
			    gl_mip_sum((__u32)lt_arg(&g, 3), (__u32)lt_arg(&g, 4),
				       fn == LT_GL_TEX_STORAGE_3D ? (__u32)lt_arg(&g, 5) : 1,
				       lt_arg(&g, 1), bpp) *
				    gl_faces(lt_arg(&g, 0)));
		return 0;
	case LT_GL_BUFFER_DATA:
	case LT_GL_NAMED_BUFFER_DATA:
		name = fn == LT_GL_NAMED_BUFFER_DATA ? lt_arg(&g, 0)
						     : gl_bound(gctx, kind, lt_arg(&g, 0));
		gl_set_size(tgid, kind, gl_key(gctx, name), lt_arg(&g, 1));
		return 0;
	case LT_GL_RB_STORAGE:
	case LT_GL_NAMED_RB_STORAGE:
		name = fn == LT_GL_NAMED_RB_STORAGE ? lt_arg(&g, 0)
						    : gl_bound(gctx, kind, lt_arg(&g, 0));
		gl_set_size(tgid, kind, gl_key(gctx, name),
			    (__u64)(__u32)lt_arg(&g, 2) * (__u32)lt_arg(&g, 3) *
				    gl_bpp(lt_arg(&g, 1), 0, 0));
		return 0;
	case LT_GL_RB_STORAGE_MS:
		gl_set_size(tgid, kind, gl_key(gctx, gl_bound(gctx, kind, lt_arg(&g, 0))),
			    (__u64)(__u32)lt_arg(&g, 3) * (__u32)lt_arg(&g, 4) *
				    gl_bpp(lt_arg(&g, 2), 0, 0) * ((__u32)lt_arg(&g, 1) ?: 1));
		return 0;
	case LT_EGL_DESTROY_CONTEXT:
		gl_destroy_context(tgid, lt_arg(&g, 1));
		return 0;
	case LT_EGL_DESTROY_SURFACE:
		lt_release(tgid, LT_KIND_EGL_SURFACE, lt_arg(&g, 1));
		return 0;
	case LT_EGL_SWAP:
		if (gctx)
			gl_report_thread(t);
		return 0;
	}
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(gl_exit, __u64 ret)
{
	struct lt_thread *t = lt_thread_get(false);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, fn, kind;
	struct gl_group g = {}, *root;
	struct gl_names w;
	__u64 cookie, key;

	if (!lt_uprobe_wanted(true) || !t || !t->gl_cookie)
		return 0;
	cookie = t->gl_cookie;
	t->gl_cookie = 0;
	fn = LT_GL_COOKIE_FN(cookie);
	kind = LT_GL_COOKIE_KIND(cookie);
	if (fn == LT_EGL_MAKE_CURRENT) {
		if ((__u32)ret) {
			t->gl_ctx = t->gl_args[0];
			if (t->gl_ctx)
				gl_report_thread(t);
		}
		return 0;
	}
	if (fn != LT_GL_GEN && !ret)
		return 0;
	/* what is made, by this stack: one walk, one record below */
	w.stack = lt_stack_id(PT_REGS_IP(ctx), PT_REGS_FP(ctx), PT_REGS_SP(ctx), tgid, t);
	switch (fn) {
	case LT_GL_GEN:
		w.names = t->gl_args[1];
		w.ctx = t->gl_ctx;
		w.tgid = tgid;
		w.kind = kind;
		fn = gl_nr_names(t->gl_args[0], w.names);
		if (fn)
			bpf_loop(fn, gl_record_step, &w, 0);
		return 0;
	case LT_GL_CREATE_RET:
		if (!(__u32)ret)
			return 0;
		key = gl_key(t->gl_ctx, (__u32)ret);
		break;
	case LT_EGL_CREATE_CONTEXT:
		/* a new group, or one more context in the share context's */
		g.root = t->gl_args[0] ? gl_root(t->gl_args[0]) : ret;
		bpf_map_update_elem(&glgroups, &ret, &g, BPF_ANY);
		root = bpf_map_lookup_elem(&glgroups, &g.root);
		if (!root) {
			bpf_map_update_elem(&glgroups, &g.root, &g, BPF_NOEXIST);
			root = bpf_map_lookup_elem(&glgroups, &g.root);
		}
		if (root)
			__sync_fetch_and_add(&root->live, 1);
		key = ret;
		break;
	case LT_EGL_CREATE_SURFACE:
		key = ret;
		break;
	default:
		return 0;
	}
	lt_record(tgid, kind, key, 0, w.stack, 0);
	return 0;
}

/* Process whose threads gl_threads lists, set by user space before it reads. */
__u32 iter_tgid;

/* Lists (tid, thread pointer) of each thread of iter_tgid: the threads of a
 * process that made its contexts current before leaktrace came. */
SEC("iter/task")
int gl_threads(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	__u64 rec[2];

	if (!task || (__u32)task->tgid != iter_tgid)
		return 0;
	rec[0] = task->pid;
	rec[1] = lt_task_tp(task);
	bpf_seq_write(ctx->meta->seq, rec, sizeof(rec));
	return 0;
}
