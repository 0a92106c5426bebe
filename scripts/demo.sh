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
cmd="./leaktrace -i 1 -n 3 -- .output/workloads/leaky --seconds 5"
echo "\$ $cmd"
$cmd
cat <<'MSG'

leak_site() is rank 1: its outstanding bytes grew in every interval. The churn
and the bounded cache do not appear: what they allocate is freed, or stopped
growing. Try it on a running program with: sudo ./leaktrace -p PID
MSG
