# SPDX-License-Identifier: GPL-2.0-only
# Builds ./leaktrace (BPF object -> skeleton -> loader), its tests and benchmarks.
# `make V=1` shows every command; `make SANITIZE=1` builds under ASan+UBSan into
# .output/san. The two commands a fresh Debian machine needs are `sudo make demo`
# and `sudo make test`; both install missing packages first (scripts/deps.sh).
# Boards: `make STATIC=1` links everything statically (.output/x86-static);
# `make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- STATIC=1` cross-builds
# ./leaktrace-arm64 (.output/arm64-static; `sudo scripts/deps.sh --cross` first).
# Kernels: `make kernels` boots Debian's 6.1 (x86-64, arm64) and 6.12 kernels
# under qemu and runs leaktrace in each (part of `make test`); `make verifier`
# prints the verifier's work per program on the oldest of them.

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

SRCARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/^arm.*/arm/' -e 's/riscv64/riscv/' -e 's/s390x/s390/' -e 's/ppc64le/powerpc/')
ARCH ?= $(SRCARCH)

CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)
CC := $(CROSS_COMPILE)gcc
ifneq ($(CROSS_COMPILE),)
# Debian's multiarch: the target's libraries and .pc files are under
# /usr/lib/<triplet> (arm64 packages installed by scripts/deps.sh --cross).
CROSS_TRIPLET := $(patsubst %-,%,$(notdir $(CROSS_COMPILE)))
PKG_CONFIG ?= PKG_CONFIG_LIBDIR=/usr/lib/$(CROSS_TRIPLET)/pkgconfig:/usr/share/pkgconfig pkg-config
endif
PKG_CONFIG ?= pkg-config
PYTHON ?= python3

# Another architecture, or a static build, gets an output directory of its
# own, so that builds do not clobber one another. The binary goes to
# ./leaktrace when it runs here, else to ./leaktrace-$(ARCH).
VARIANT := $(ARCH)$(if $(filter 1,$(STATIC)),-static)
PRODUCT := $(if $(filter $(SRCARCH),$(ARCH)),leaktrace,leaktrace-$(ARCH))
ifeq ($(SANITIZE),1)
ifeq ($(VARIANT),$(SRCARCH))
OUTPUT ?= .output/san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
$(error SANITIZE=1 builds for this machine only, dynamically linked)
endif
else ifeq ($(VARIANT),$(SRCARCH))
OUTPUT ?= .output
SAN_FLAGS :=
else
OUTPUT ?= .output/$(VARIANT)
SAN_FLAGS :=
endif

# capstone places the probes in x86-64 code (user/probepoint.c); elsewhere
# they go on the function entries. libseccomp builds the filter that
# user/sandbox.c installs once setup is done. libiberty (no .pc file; a
# static library only) demangles C++ and Rust names (user/demangle.c).
# json-c reads recordings back (`leaktrace report`, user/replay.c).
PKGS := libbpf libelf libdw libseccomp json-c $(if $(filter x86,$(ARCH)),capstone)
ifneq ($(ARCH),$(SRCARCH))
ifeq ($(CROSS_COMPILE),)
$(error ARCH=$(ARCH) needs a cross compiler: CROSS_COMPILE=aarch64-linux-gnu- for arm64)
endif
endif
ifneq ($(CROSS_COMPILE),)
ifeq ($(shell command -v $(CC) >/dev/null && $(PKG_CONFIG) --exists $(PKGS) && echo ok),)
$(error no $(CC), or no $(CROSS_TRIPLET) $(PKGS): run 'sudo scripts/deps.sh --cross')
endif
endif
# protobuf-c packs the pprof profile of --pprof (user/pprof.c, with the code
# protoc-c makes of proto/profile.proto); a build without it (no
# libprotobuf-c-dev for the target) has no --pprof, and says so.
PROTOC_C ?= protoc-c
HAVE_PPROF := $(shell command -v $(PROTOC_C) >/dev/null && $(PKG_CONFIG) --exists libprotobuf-c \
	2>/dev/null && echo 1)
ifeq ($(HAVE_PPROF),1)
PKGS += libprotobuf-c
PPROF_CFLAGS := -DLT_HAVE_PPROF
PPROF_OBJS := $(OUTPUT)/user/profile.pb-c.o
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
ifeq ($(STATIC),1)
# Everything in the binary: libbpf, elfutils and what libdw.a needs
# (zlib, liblzma, libbz2), capstone and glibc. user/static/ stands in for
# what would dlopen: libdw's debuginfod client.
PKG_LIBS := -static $(shell $(PKG_CONFIG) --static --libs $(PKGS) 2>/dev/null) -lz -liberty
STATIC_CFLAGS := -DLT_STATIC
else
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lz -liberty
endif

# Under --system every process's libc allocator is probed, leaktrace's own
# included: each of its mallocs would trap into the kernel (the BPF side
# drops them, after the trap is paid; about 10 s of a wordfreq's run went
# there while the unwinder built tables). The dynamically linked binary
# carries its own allocator instead: jemalloc, linked in statically, takes
# every malloc of the process (libc's, libdw's and libbpf's included) by
# symbol interposition, from a file no probe is on. Not in the ASan build
# (it has its own) nor a static one (its malloc is in the binary already).
JEMALLOC_A := $(shell $(CC) -print-file-name=libjemalloc.a)
ifeq ($(SANITIZE)$(STATIC),)
ifneq ($(wildcard $(JEMALLOC_A)),)
SELF_ALLOC_LIBS := $(JEMALLOC_A) -lpthread -ldl -lm
endif
endif

CFLAGS_USER := -std=gnu11 -g -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter -D_GNU_SOURCE \
	-I$(OUTPUT) -Ibpf -Iuser $(PKG_CFLAGS) $(if $(filter capstone,$(PKGS)),-DLT_HAVE_CAPSTONE) \
	$(SAN_FLAGS) $(STATIC_CFLAGS) $(PPROF_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS_USER := $(SAN_FLAGS) $(EXTRA_LDFLAGS)

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror \
	-Wno-unused-parameter -Ivmlinux/$(ARCH) -Ibpf

BPF_SRC := bpf/leaktrace.bpf.c
BPF_HDRS := $(wildcard bpf/*.h)
SKEL := $(OUTPUT)/leaktrace.skel.h

USER_SRCS := $(filter-out $(if $(HAVE_PPROF),,user/pprof.c),$(wildcard user/*.c)) \
	$(if $(filter 1,$(STATIC)),$(wildcard user/static/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS)) $(PPROF_OBJS)
LIB_OBJS := $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))

.DELETE_ON_ERROR:
.PHONY: all deps demo test check e2e kernels verifier bench soak workloads unit fuzzers fuzz format \
	lint vmlinux \
	install clean FORCE

ifeq ($(SANITIZE),1)
all: $(OUTPUT)/leaktrace
else
all: $(PRODUCT)
# Replaced by rename, so a running ./leaktrace does not make the copy fail;
# copied whenever it differs, since the last build may have been another
# variant (STATIC=1) with an older binary of its own.
$(PRODUCT): $(OUTPUT)/leaktrace FORCE
	$(Q)cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }
endif
FORCE:

deps:
	$(Q)scripts/deps.sh

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/user/static $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/leaktrace.bpf.o: $(BPF_SRC) $(BPF_HDRS) vmlinux/$(ARCH)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(SKEL): $(OUTPUT)/leaktrace.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name leaktrace_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(SKEL) | $(OUTPUT)/user $(OUTPUT)/user/static
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_USER) -MMD -MP -c $< -o $@

$(OUTPUT)/profile.pb-c.c: proto/profile.proto | $(OUTPUT)
	$(call msg,PROTOC-C,$@)
	$(Q)$(PROTOC_C) --c_out=$(OUTPUT) -Iproto $<
$(OUTPUT)/profile.pb-c.h: $(OUTPUT)/profile.pb-c.c
$(OUTPUT)/user/pprof.o: $(OUTPUT)/profile.pb-c.h

$(OUTPUT)/user/profile.pb-c.o: $(OUTPUT)/profile.pb-c.c | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_USER) -MMD -MP -c $< -o $@

$(OUTPUT)/leaktrace: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS_USER) $^ $(PKG_LIBS) $(SELF_ALLOC_LIBS) -o $@

$(OUTPUT)/tests/%: tests/unit/%.c $(LIB_OBJS) tests/unit/ut.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_USER) -Itests/unit $< $(LIB_OBJS) $(LDFLAGS_USER) $(PKG_LIBS) -o $@

unit: $(UNIT_BINS)

$(OUTPUT)/tests/bpf_progs: tests/e2e/bpf_progs.c $(SKEL) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_USER) $< $(LDFLAGS_USER) $(PKG_LIBS) -o $@

# Test programs are built without sanitizers: a sanitizer brings its own
# malloc, and probes on the libc allocator would see nothing. bpf_progs
# lists the skeleton's programs, so that the e2e tests know ours by name.
workloads: $(OUTPUT)/tests/bpf_progs
	$(Q)$(MAKE) --no-print-directory -C tests/workloads

-include $(USER_OBJS:.o=.d)

# libFuzzer harnesses (tests/fuzz/fuzz_NAME.c) for the parsers of what a
# traced process controls, built with clang under ASan+UBSan into
# .output/fuzz, with the user/*.c each needs (FUZZ_OBJS_NAME). `make fuzzers`
# builds them; `make fuzz` runs each for FUZZ_SECONDS (default 300) from its
# seed corpus tests/fuzz/corpus/NAME, keeps what it finds in
# .output/fuzz/corpus/NAME and a crashing input in .output/fuzz/crashes/NAME
# (rerun one with .output/fuzz/fuzz_NAME FILE). `tests/run.py --fuzz`, part
# of `make test`, runs each for 15 s and writes nothing into the tree.
FUZZ_OUT := .output/fuzz
FUZZ_SECONDS ?= 300
FUZZ_NAMES := elfsym procmaps pyresolve unwind
FUZZ_OBJS_elfsym := elfsym pylayout safeopen
FUZZ_OBJS_procmaps := procmaps safeopen
# pyresolve's harness stands in for user/procmem.c: it serves the reads
FUZZ_OBJS_pyresolve := pyresolve pylayout hashmap elfsym safeopen
FUZZ_OBJS_unwind := unwind cfi elfsym files htab hashmap procmaps progress log escape safeopen
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter -D_GNU_SOURCE -I$(OUTPUT) -Ibpf -Iuser \
	$(PKG_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer $(EXTRA_CFLAGS)
FUZZ_BINS := $(patsubst %,$(FUZZ_OUT)/fuzz_%,$(FUZZ_NAMES))

$(FUZZ_OUT)/user:
	$(Q)mkdir -p $@

$(FUZZ_OUT)/user/%.o: user/%.c $(SKEL) | $(FUZZ_OUT)/user
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

define fuzz_harness
$(FUZZ_OUT)/fuzz_$(1): tests/fuzz/fuzz_$(1).c tests/fuzz/fuzz.h \
		$(patsubst %,$(FUZZ_OUT)/user/%.o,$(FUZZ_OBJS_$(1)))
	$$(call msg,FUZZ-LD,$$@)
	$$(Q)$$(CLANG) $$(FUZZ_CFLAGS) -Itests/fuzz -fsanitize=fuzzer $$(filter %.c %.o,$$^) \
		$$(PKG_LIBS) -o $$@
endef
$(foreach n,$(FUZZ_NAMES),$(eval $(call fuzz_harness,$(n))))

-include $(wildcard $(FUZZ_OUT)/user/*.d)

fuzzers: $(FUZZ_BINS)

fuzz: fuzzers
	$(Q)$(PYTHON) tests/run.py --fuzz --fuzz-seconds $(FUZZ_SECONDS) --fuzz-keep

# Unit tests always run under the sanitizer build. A few read the workloads'
# binaries (test_unwind: the tables of code built with and without frame
# pointers), built here too so that `make check` works on a fresh clone.
check:
	$(Q)$(MAKE) --no-print-directory -C tests/workloads unit
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 unit
	$(Q)$(PYTHON) tests/run.py --unit

e2e: all workloads
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 all
	$(Q)$(PYTHON) tests/run.py --e2e

# The kernel matrix: guests under qemu, no root needed (scripts/kguest.py).
kernels:
	$(Q)scripts/deps.sh --kernels
	$(Q)$(PYTHON) tests/run.py --kernels

verifier:
	$(Q)scripts/deps.sh --kernels
	$(Q)$(PYTHON) scripts/kguest.py verifier

test:
	$(Q)scripts/deps.sh --kernels
	$(Q)$(MAKE) --no-print-directory all workloads
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 all unit
	$(Q)$(MAKE) --no-print-directory fuzzers
	$(Q)$(PYTHON) tests/run.py

demo:
	$(Q)scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory all workloads
	$(Q)scripts/demo.sh

# The previous release, which the --system figures set beside this tree: the
# last commit before the process-manager work (b7e7a48), built from this
# repository's own objects, offline. BENCH_LT_PREV=path measures another
# binary instead; where it cannot be built (no git), the figures say so.
PREV_REV ?= 0f5858b94e11b00b11b2eea9847c0a64080ee27c
PREV_LT := $(OUTPUT)/prev-$(PREV_REV)/leaktrace

bench:
	$(Q)scripts/deps.sh --bench
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory -C bench
	$(Q)$(MAKE) --no-print-directory workloads
	$(Q)[ -n "$$BENCH_LT_PREV" ] || $(MAKE) --no-print-directory $(PREV_LT) || \
		echo "bench: the previous release ($(PREV_REV)) was not built; not measured" >&2
	$(Q)BENCH_LT_PREV="$${BENCH_LT_PREV:-$$(ls $(abspath $(PREV_LT)) 2>/dev/null)}" \
		$(PYTHON) bench/run.py

$(PREV_LT):
	$(call msg,GIT,$(PREV_REV))
	$(Q)rm -rf $(@D) && mkdir -p $(@D)
	$(Q)git archive --format=tar $(PREV_REV) | tar -x -C $(@D)
	$(Q)$(MAKE) --no-print-directory -C $(@D) all

# An hour of --system under churn with a full map (SOAK_MINUTES to change):
# leaktrace's memory and report lateness per minute, in bench/results/soak.md.
soak: all workloads
	$(Q)$(PYTHON) scripts/soak.py

FORMAT_SRCS = $(wildcard bpf/*.c bpf/*.h user/*.c user/*.h user/static/*.c tests/unit/*.c \
	tests/unit/*.h tests/e2e/*.c tests/fuzz/*.c tests/fuzz/*.h tests/workloads/*.c tests/workloads/gl/*.c \
	tests/workloads/gl/*.h bench/glbench.c)
format:
	$(Q)clang-format -i $(FORMAT_SRCS)
lint:
	$(Q)clang-format --dry-run -Werror $(FORMAT_SRCS)

vmlinux:
	$(Q)scripts/gen-vmlinux.sh x86 arm64

# `make install DESTDIR=/tmp/stage PREFIX=/usr` for a package: the binary,
# its man page and its bash completion.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
install: $(PRODUCT)
	$(Q)install -D -m 0755 $(PRODUCT) $(DESTDIR)$(SBINDIR)/leaktrace
	$(Q)install -D -m 0644 docs/leaktrace.8 $(DESTDIR)$(MANDIR)/man8/leaktrace.8
	$(Q)install -D -m 0644 docs/leaktrace.bash $(DESTDIR)$(BASHCOMPDIR)/leaktrace

clean:
	$(Q)rm -rf .output leaktrace leaktrace-*
	$(Q)$(MAKE) --no-print-directory -C tests/workloads clean
	$(Q)$(MAKE) --no-print-directory -C bench clean
