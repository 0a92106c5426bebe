#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Fetches the Debian kernels of the test matrix and what their guests boot
# with, into .output/kernels/<name>/ (downloaded once; reruns only check the
# cache):
#
#   x86-6.1    linux-image-amd64        bookworm's stock kernel (6.1)
#   x86-6.12   linux-image-6.12-amd64   the 6.12 bookworm also ships
#   arm64-6.1  linux-image-arm64        bookworm's stock kernel for arm64
#
# Each gets vmlinuz (and its config) from the kernel package, and busybox
# (busybox-static of the same architecture) for the guest's initramfs
# (scripts/kguest.py builds it). The guests need no module: Debian builds
# the serial consoles, BTF, tracefs, debugfs and the BPF syscall into the
# kernel. Packages are fetched with `apt-get download` from the machine's
# apt sources (arm64 ones through dpkg's foreign architecture, which
# `scripts/deps.sh --cross` adds); nothing is installed.
#
# usage: scripts/kernels.sh [--update] [NAME...]    (default: all three)
#   --update  look the packages up again (a newer point release), else the
#             cached files are used as they are
# Prints one line per kernel: NAME PACKAGE VERSION.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/.output/kernels
PROG=kernels

die() {
	echo "$PROG: $*" >&2
	exit 1
}

update=false
names=""
for arg in "$@"; do
	case "$arg" in
	--update) update=true ;;
	x86-6.1 | x86-6.12 | arm64-6.1) names="$names $arg" ;;
	*) echo "usage: scripts/kernels.sh [--update] [x86-6.1|x86-6.12|arm64-6.1...]" >&2; exit 2 ;;
	esac
done
[ -n "$names" ] || names="x86-6.1 x86-6.12 arm64-6.1"

# NAME -> the metapackage that names the kernel, and the Debian architecture.
meta() {
	case $1 in
	x86-6.1) echo "linux-image-amd64 amd64" ;;
	x86-6.12) echo "linux-image-6.12-amd64 amd64" ;;
	arm64-6.1) echo "linux-image-arm64 arm64" ;;
	esac
}

# The kernel package a metapackage depends on: linux-image-6.1.0-41-amd64.
resolve() {
	apt-cache depends "$1:$2" 2>/dev/null |
		sed -n "s/^ *Depends: \(linux-image-[0-9][^ :]*-$2\)\(:$2\)\{0,1\}\$/\1/p" | head -n 1
}

# download PKG ARCH DIR: the .deb of PKG for ARCH into DIR; prints its path.
download() {
	mkdir -p "$3"
	# apt downloads as user _apt, which must be able to write there.
	chmod 777 "$3"
	(cd "$3" && apt-get download -q "$1:$2" >"$3/download.log" 2>&1) || {
		cat "$3/download.log" >&2
		die "apt-get download $1:$2 failed; run 'apt-get update' (arm64: 'sudo scripts/deps.sh --cross' first)"
	}
	set -- "$3/$1"_*.deb
	[ -f "$1" ] || die "apt-get download left no $1"
	echo "$1"
}

for name in $names; do
	dir=$OUT/$name
	set -- $(meta "$name")
	metapkg=$1
	arch=$2
	if ! $update && [ -s "$dir/vmlinuz" ] && [ -x "$dir/busybox" ] && [ -s "$dir/package" ]; then
		echo "$name $(cat "$dir/package")"
		continue
	fi
	pkg=$(resolve "$metapkg" "$arch")
	[ -n "$pkg" ] || die "$name: no $metapkg:$arch in the apt sources; run 'apt-get update' (arm64: 'sudo scripts/deps.sh --cross')"
	tmp=$dir.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp/root"
	deb=$(download "$pkg" "$arch" "$tmp/deb")
	ver=$(dpkg-deb -f "$deb" Version)
	# Only /boot is needed: the modules are ~300 MB the guest does without.
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/root" --wildcards './boot/*' ||
		die "cannot unpack /boot from $deb"
	mv "$tmp/root/boot/"vmlinuz-* "$tmp/vmlinuz"
	mv "$tmp/root/boot/"config-* "$tmp/config"
	grep -qx 'CONFIG_DEBUG_INFO_BTF=y' "$tmp/config" || die "$pkg has no BTF"
	bb=$(download busybox-static "$arch" "$tmp/deb")
	dpkg-deb --fsys-tarfile "$bb" | tar -x -C "$tmp/root" ./bin/busybox ||
		die "cannot unpack busybox from $bb"
	mv "$tmp/root/bin/busybox" "$tmp/busybox"
	echo "$pkg $ver" >"$tmp/package"
	rm -rf "$tmp/root" "$tmp/deb" "$dir"
	mv "$tmp" "$dir"
	echo "$name $pkg $ver"
done
