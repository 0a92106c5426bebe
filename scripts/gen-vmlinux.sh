#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Regenerates the checked-in vmlinux/<arch>/vmlinux.h from kernel BTF with bpftool.
# By default the BTF comes from Debian's current kernel for that architecture (the
# version linux-image-<debarch> depends on): an older LTS kernel's types are the
# conservative base for CO-RE, and the header does not depend on the machine it was made on.
#
# usage: scripts/gen-vmlinux.sh ARCH...        ARCH: x86, arm64
#        VMLINUX_BTF=/sys/kernel/btf/vmlinux scripts/gen-vmlinux.sh ARCH
#
# VMLINUX_BTF takes raw BTF, an ELF vmlinux or a kernel image instead of downloading.
# The kernel package is fetched with `apt-get download` into a temporary directory, using
# private apt lists and cache there, so the machine's apt state and configuration stay as
# they were (no `dpkg --add-architecture`, nothing installed). We use the
# linux-image-*-unsigned package rather than the -dbg one (about 1 GB) because its
# /boot/vmlinuz carries the same .BTF: amd64's is an xz bzImage, arm64's an
# uncompressed Image; scripts/btf-extract.py finds the blob in either.
# Needs apt-get, dpkg-deb, tar, python3 and bpftool; when run as root it installs a missing
# bpftool, python3, or a zstd/lz4 decompressor with apt-get and says so.
set -eu

PROG=gen-vmlinux
SELF=scripts/gen-vmlinux.sh
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# Debian installs bpftool in /usr/sbin, which a non-root PATH lacks.
PATH=$PATH:/usr/sbin:/sbin

die() {
	echo "$PROG: $*" >&2
	exit 1
}

usage() {
	echo "usage: $SELF ARCH...  (ARCH: x86 arm64; VMLINUX_BTF=FILE to use local BTF)" >&2
	exit 2
}

# Kernel arch name -> Debian arch name.
debarch() {
	case $1 in
	x86) echo amd64 ;;
	arm64) echo arm64 ;;
	*) return 1 ;;
	esac
}

# ensure CMD PKG: install Debian package PKG if command CMD is missing.
ensure() {
	command -v "$1" >/dev/null 2>&1 && return 0
	[ "$(id -u)" = 0 ] || die "$1 not found; install the Debian package $2 (apt-get install $2)"
	echo "$PROG: $1 not found; installing Debian package $2 with apt-get" >&2
	apt-get install -y -q --no-install-recommends "$2" >/dev/null ||
		die "apt-get install $2 failed; install it by hand and rerun"
}

[ $# -ge 1 ] || usage
for arch in "$@"; do
	debarch "$arch" >/dev/null || die "unknown ARCH '$arch'; supported: x86 arm64"
done
if [ -n "${VMLINUX_BTF:-}" ]; then
	[ $# -eq 1 ] || die "VMLINUX_BTF describes one kernel; pass exactly one ARCH"
	[ -r "$VMLINUX_BTF" ] || die "cannot read VMLINUX_BTF=$VMLINUX_BTF"
fi

ensure python3 python3
ensure bpftool bpftool

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gen-vmlinux.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
# apt downloads as user _apt; it needs to reach the directories below.
chmod 755 "$TMP"

# fetch_btf ARCH OUT: download Debian's kernel for ARCH, write its raw BTF to OUT and
# set $ORIGIN to a description of the source.
fetch_btf() {
	f_out=$2
	darch=$(debarch "$1")
	work=$TMP/$darch
	mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/deb" "$work/root"
	[ "$(id -u)" != 0 ] || ! id _apt >/dev/null 2>&1 || chown _apt "$work/deb"
	# Private lists/cache and a single architecture; the #clear lines keep this run's
	# update from firing the machine's hooks (PackageKit, appstream) on foreign lists.
	cat >"$work/apt.conf" <<-EOF
		#clear APT::Architectures;
		APT::Architecture "$darch";
		APT::Architectures:: "$darch";
		Dir::State::Lists "$work/lists/";
		Dir::Cache "$work/cache/";
		Dir::State::status "/dev/null";
		#clear APT::Update::Pre-Invoke;
		#clear APT::Update::Post-Invoke;
		#clear APT::Update::Post-Invoke-Success;
	EOF
	apt_opts="-q -c $work/apt.conf"

	# A failing third-party source fails `update` as a whole; carry on and let the
	# package lookup below decide whether Debian's lists arrived.
	# shellcheck disable=SC2086
	if ! apt-get $apt_opts update >"$work/update.log" 2>&1; then
		grep -E '^(E|W):' "$work/update.log" >&2 || true
		echo "$PROG: warning: apt-get update reported errors; trying anyway" >&2
	fi
	# shellcheck disable=SC2086
	meta_dep=$(apt-cache $apt_opts depends "linux-image-$darch" 2>/dev/null |
		sed -n "s/^ *Depends: \(linux-image-[0-9][^ ]*-$darch\)\$/\1/p" | head -n 1)
	if [ -z "$meta_dep" ]; then
		cat "$work/update.log" >&2
		die "no linux-image-$darch in the apt sources for $darch; check /etc/apt/sources.list*"
	fi
	pkg=$meta_dep-unsigned
	# shellcheck disable=SC2086
	ver=$(apt-cache $apt_opts policy "$pkg" | sed -n 's/^ *Candidate: //p')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		pkg=$meta_dep
		# shellcheck disable=SC2086
		ver=$(apt-cache $apt_opts policy "$pkg" | sed -n 's/^ *Candidate: //p')
	fi
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		die "no installable candidate for $meta_dep"
	fi

	echo "$PROG: $1: downloading $pkg $ver ($darch)" >&2
	# shellcheck disable=SC2086
	(cd "$work/deb" && apt-get $apt_opts download "$pkg=$ver" >"$work/download.log" 2>&1) ||
		{ cat "$work/download.log" >&2; die "apt-get download $pkg=$ver failed"; }
	# Only /boot is needed; dpkg-deb -x would also unpack ~300 MB of modules.
	dpkg-deb --fsys-tarfile "$work/deb/"*.deb |
		tar -x -C "$work/root" --wildcards './boot/vmlinuz-*' ||
		die "cannot unpack /boot/vmlinuz-* from $pkg $ver"
	set -- "$work/root/boot/"vmlinuz-*
	if [ $# -ne 1 ] || [ ! -f "$1" ]; then
		die "expected one /boot/vmlinuz-* in $pkg $ver"
	fi
	extract "$1" "$f_out"
	ORIGIN="Debian $pkg $ver ($darch)"
}

# extract IMAGE OUT: raw BTF out of IMAGE, installing a missing decompressor once.
extract() {
	rc=0
	need=$(python3 "$ROOT/scripts/btf-extract.py" "$1" "$2" 2>"$TMP/extract.err") || rc=$?
	if [ "$rc" = 3 ]; then
		for tool in $need; do ensure "$tool" "$tool"; done
		rc=0
		python3 "$ROOT/scripts/btf-extract.py" "$1" "$2" >/dev/null 2>"$TMP/extract.err" ||
			rc=$?
	fi
	case $rc in
	0) ;;
	1) die "no BTF found in $1; the kernel needs CONFIG_DEBUG_INFO_BTF=y" ;;
	*) cat "$TMP/extract.err" >&2; die "scripts/btf-extract.py failed on $1" ;;
	esac
}

for arch in "$@"; do
	btf=$TMP/$arch.btf
	if [ -n "${VMLINUX_BTF:-}" ]; then
		extract "$VMLINUX_BTF" "$btf"
		ORIGIN=$VMLINUX_BTF
		if [ "$VMLINUX_BTF" = /sys/kernel/btf/vmlinux ]; then
			ORIGIN="$ORIGIN (kernel $(uname -r))"
		fi
	else
		fetch_btf "$arch" "$btf"
	fi

	bpftool btf dump file "$btf" format raw >"$TMP/$arch.raw" ||
		die "bpftool cannot parse the BTF from $ORIGIN"
	out=$ROOT/vmlinux/$arch/vmlinux.h
	mkdir -p "${out%/*}"
	{
		echo "/* Generated by $SELF from the BTF of $ORIGIN; do not edit. */"
		bpftool btf dump file "$btf" format c
	} >"$TMP/$arch.h" || die "bpftool btf dump format c failed for $ORIGIN"
	grep -q '^struct task_struct {' "$TMP/$arch.h" ||
		die "BTF from $ORIGIN has no struct task_struct; is it a vmlinux BTF?"
	# Replace atomically, and leave the file untouched when nothing changed.
	if cmp -s "$TMP/$arch.h" "$out"; then
		echo "$PROG: $arch: vmlinux/$arch/vmlinux.h unchanged ($ORIGIN)" >&2
	else
		mv "$TMP/$arch.h" "$out"
		echo "$PROG: $arch: wrote vmlinux/$arch/vmlinux.h ($ORIGIN)" >&2
	fi
done
