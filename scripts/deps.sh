#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Installs the Debian packages leaktrace needs to build, test and demo itself.
# Idempotent: when everything is present it only asks dpkg and exits.
#
# usage: scripts/deps.sh [--check] [--bench] [--cross] [--kernels]
#   --check    exit 1 and name what is missing instead of installing it
#   --bench    also what `make bench` compares against (heaptrack)
#   --cross    also the arm64 board build (`make ARCH=arm64 CROSS_COMPILE=
#              aarch64-linux-gnu- STATIC=1`): Debian's cross compiler, the arm64
#              libraries through multiarch (adds dpkg's arm64 architecture), and
#              qemu-user-static to run the result here for --help and --version
#   --kernels  also the kernel matrix (tests/e2e/test_kernels.py): what --cross
#              installs, and qemu to boot Debian's kernels for x86-64 and arm64.
#              The kernels and busybox themselves are downloaded, not
#              installed, by scripts/kernels.sh
set -eu

check=false
bench=false
cross=false
kernels=false
for arg in "$@"; do
	case "$arg" in
	--check) check=true ;;
	--bench) bench=true ;;
	--cross) cross=true ;;
	--kernels) cross=true; kernels=true ;;
	*) echo "usage: scripts/deps.sh [--check] [--bench] [--cross] [--kernels]" >&2; exit 2 ;;
	esac
done

# build: compiler for BPF, skeleton generator, libbpf, elfutils, capstone,
#        libseccomp (the filter leaktrace puts on itself after setup),
#        libiberty (demangles C++ and Rust names; a static library only),
#        jemalloc (libjemalloc.a: leaktrace's own allocator, off the probed libc).
# test:  python3 drives the end-to-end tests and runs their Python workloads;
#        python3-dev (python3-config, libpython) builds the workload that
#        embeds it; binutils for objcopy/strip (separate debug files), procps
#        for ps, util-linux for setpriv; g++ and rustc build the C++ and Rust
#        workloads whose names must come out demangled; man-db and
#        bash-completion render the man page and run the completion that
#        tests/e2e/test_docs.py checks against --help; golang-go's go tool
#        pprof reads back the --pprof profile.
# report: json-c reads recordings back (`leaktrace report`).
# pprof: protobuf-c packs the profile of --pprof (protoc-c makes its code;
#        without them leaktrace builds with no --pprof).
# static: `make STATIC=1` links what libdw.a needs (liblzma, libbz2) statically;
#        the tests also build a musl program (musl-tools) with its malloc inside.
# fuzz:  libFuzzer and clang's sanitizer runtimes (`make fuzzers`; clang only
#        recommends them).
# gl:    the GL workloads and glbench: EGL, GL, GLES and libOpenGL headers
#        (glvnd), Mesa's EGL and GLX and its software rasterizer (llvmpipe,
#        no GPU needed); the Kivy test runs python3-kivy under Xvfb.
PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev
pkg-config libcapstone-dev libiberty-dev python3 python3-dev binutils procps util-linux
clang-format g++ rustc libseccomp-dev liblzma-dev libbz2-dev musl-tools libclang-rt-dev
libegl-dev libgl-dev libgles-dev libopengl-dev libegl-mesa0 libglx-mesa0 libgl1-mesa-dri
xvfb xauth python3-kivy man-db bash-completion golang-go libprotobuf-c-dev libjemalloc-dev
protobuf-c-compiler chromium libjson-c-dev"
if $bench; then
	PKGS="$PKGS heaptrack"
fi
if $kernels; then
	PKGS="$PKGS qemu-system-x86 qemu-system-arm"
fi
add_arch=false
if $cross; then
	PKGS="$PKGS gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static"
	for p in libbpf-dev libelf-dev libdw-dev libseccomp-dev zlib1g-dev liblzma-dev libbz2-dev \
		libiberty-dev libprotobuf-c-dev libjson-c-dev; do
		PKGS="$PKGS $p:arm64"
	done
	dpkg --print-foreign-architectures | grep -qx arm64 || add_arch=true
fi

# Once arm64 is added, an unqualified libbpf-dev names both instances: ask
# for the native one (an Architecture: all package only answers unqualified).
native=$(dpkg --print-architecture)
missing=""
for p in $PKGS; do
	case "$p" in *:*) q=$p ;; *) q=$p:$native ;; esac
	status=$(dpkg-query -W -f='${db:Status-Status}' "$q" 2>/dev/null ||
		dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

hint="sudo make deps"
$cross && hint="sudo scripts/deps.sh --cross"
$kernels && hint="sudo scripts/deps.sh --kernels"
if $check; then
	echo "leaktrace: missing Debian packages:$missing; run '$hint'" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "leaktrace: cannot install the missing Debian packages ($missing ) without root; run '$hint'" >&2
	exit 1
fi

echo "leaktrace: installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
if $add_arch; then
	# arm64 packages next to the native ones (multiarch): their package
	# lists come with the next update.
	dpkg --add-architecture arm64
	apt-get update -q
fi
# shellcheck disable=SC2086 # word splitting of the package list is wanted
if ! apt-get install -y -q --no-install-recommends $missing; then
	# A fresh machine may have no package lists yet.
	apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
fi
