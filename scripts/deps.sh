#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Installs the Debian packages leaktrace needs to build, test and demo itself.
# Idempotent: when everything is present it only asks dpkg and exits.
#
# usage: scripts/deps.sh [--check] [--bench]
#   --check  exit 1 and name what is missing instead of installing it
#   --bench  also what `make bench` compares against (heaptrack)
set -eu

check=false
bench=false
for arg in "$@"; do
	case "$arg" in
	--check) check=true ;;
	--bench) bench=true ;;
	*) echo "usage: scripts/deps.sh [--check] [--bench]" >&2; exit 2 ;;
	esac
done

# build: compiler for BPF, skeleton generator, libbpf, elfutils, capstone.
# test:  python3 drives the end-to-end tests and runs their Python workloads;
#        python3-dev (python3-config, libpython) builds the workload that
#        embeds it; binutils for objcopy/strip (separate debug files), procps
#        for ps, util-linux for setpriv.
# gl:    the GL workloads and glbench: EGL, GL, GLES and libOpenGL headers
#        (glvnd), Mesa's EGL and GLX and its software rasterizer (llvmpipe,
#        no GPU needed); the Kivy test runs python3-kivy under Xvfb.
PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev
pkg-config libcapstone-dev python3 python3-dev binutils procps util-linux clang-format
libegl-dev libgl-dev libgles-dev libopengl-dev libegl-mesa0 libglx-mesa0 libgl1-mesa-dri
xvfb xauth python3-kivy"
if $bench; then
	PKGS="$PKGS heaptrack"
fi

missing=""
for p in $PKGS; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if $check; then
	echo "leaktrace: missing Debian packages:$missing; run 'sudo make deps'" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "leaktrace: cannot install the missing Debian packages ($missing ) without root; run 'sudo make deps'" >&2
	exit 1
fi

echo "leaktrace: installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # word splitting of the package list is wanted
if ! apt-get install -y -q --no-install-recommends $missing; then
	# A fresh machine may have no package lists yet.
	apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
fi
