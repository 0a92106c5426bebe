#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# `make demo`: leaktrace finds the leak in a small bundled program that leaks
# 100 bytes every 20 ms from leak_site() among malloc/free churn and a bounded
# cache (tests/workloads/leaky.c). Run after the build, as root.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "leaktrace: the demo loads BPF programs: run it as root ('sudo make demo')" >&2
	exit 1
fi
cmd="./leaktrace -i 1 -w 3 -n 3 -- .output/workloads/leaky --seconds 8"
echo "\$ $cmd"
$cmd
cat <<'MSG'

leak_site() stays rank 1: its outstanding bytes grow in every interval. The
bounded cache (cache_put) shows while it fills, then drops out once it has not
grown for a whole window (-w 3 intervals); the churn never shows: what it
allocates is freed. README.md, "Reading the report", explains every column.
Try it on a running program with: sudo ./leaktrace -p PID
MSG
