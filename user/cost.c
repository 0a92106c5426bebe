// SPDX-License-Identifier: GPL-2.0-only
/* What exact tracing costs: probes counted times the trap's cost, against the
 * CPU time the traced processes spend, read from /proc. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cost.h"

void cost__between(const struct trap_cost *trap, const struct cost_point *a,
		   const struct cost_point *b, struct probe_cost *out)
{
	double dt = b->t - a->t;
	/* counters only grow; a smaller one was reset (or read wrong): none */
	__u64 calls = b->calls > a->calls ? b->calls - a->calls : 0;
	__u64 rets = b->returns > a->returns ? b->returns - a->returns : 0;
	double probe_ns;

	*out = (struct probe_cost){ 0 };
	if (dt <= 0)
		return;
	out->calls_per_s = calls / dt;
	out->trap_known = trap && trap->entry_ns > 0;
	if (!out->trap_known)
		return;
	probe_ns = calls * trap->entry_ns + rets * trap->return_ns;
	out->cpu = probe_ns / (dt * 1e9);
	out->ns_per_call = calls ? probe_ns / calls : 0;
	if (!a->cpu_known || !b->cpu_known || b->cpu_ns < a->cpu_ns)
		return;
	if (b->cpu_ns > a->cpu_ns) {
		out->share_known = true;
		out->share = probe_ns / (double)(b->cpu_ns - a->cpu_ns);
	} else if (!probe_ns) {
		out->share_known = true;
	}
}

/* @v with 3 significant digits and a unit prefix: "950", "18.2K", "1.2M". */
static void format_count(char *buf, size_t len, double v)
{
	static const char *const units[] = { "", "K", "M", "G" };
	size_t u = 0;

	while (v >= 999.5 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, u ? "%.3g%s" : "%.0f%s", v, units[u]);
}

/* A share as a percentage, "61%", "2.5%", "<0.1%"; readable, not exact.
 * Over 100%, the estimate (calls times a trap measured at start, on a host
 * whose load moves it) outran the CPU time /proc counts in 10 ms ticks:
 * the probes took about all of it, "~100%". */
static void format_percent(char *buf, size_t len, double share)
{
	double pct = share * 100;

	if (pct > 100)
		snprintf(buf, len, "~100%%");
	else if (pct >= 10 || pct <= 0)
		snprintf(buf, len, "%.0f%%", pct);
	else if (pct >= 0.1)
		snprintf(buf, len, "%.1f%%", pct);
	else
		snprintf(buf, len, "<0.1%%");
}

/* CPUs, "0.87", "0.012", "<0.001". */
static void format_cpu(char *buf, size_t len, double cpu)
{
	if (cpu >= 0.1)
		snprintf(buf, len, "%.2f", cpu);
	else if (cpu >= 0.001)
		snprintf(buf, len, "%.3f", cpu);
	else
		snprintf(buf, len, "<0.001");
}

const char *cost__describe(char *buf, size_t len, const struct probe_cost *c, bool all)
{
	char calls[32], cpu[32], share[64] = "";
	double us = c->ns_per_call / 1000;

	format_count(calls, sizeof(calls), c->calls_per_s);
	if (!c->trap_known) {
		snprintf(buf, len, "%s calls/s (trap cost unknown)", calls);
		return buf;
	}
	if (!c->calls_per_s) {
		snprintf(buf, len, "%s calls/s", calls);
		return buf;
	}
	format_cpu(cpu, sizeof(cpu), c->cpu);
	if (c->share_known) {
		format_percent(share, /*len=*/16, c->share);
		strcat(share, all ? " of all CPU time; " : " of its CPU time; ");
	}
	snprintf(buf, len,
		 us < 10 ? "%s calls/s ~%s CPU (%s%.2g us a call)"
			 : "%s calls/s ~%s CPU (%s%.0f us a call)",
		 calls, cpu, share, us);
	return buf;
}

const char *cost__say(char *buf, size_t len, const struct probe_cost *c)
{
	char calls[32], cpu[32], share[32];
	double us = c->ns_per_call / 1000;

	format_count(calls, sizeof(calls), c->calls_per_s);
	if (!c->calls_per_s) {
		snprintf(buf, len,
			 "it made no traced call: exact tracing costs it nothing while it "
			 "makes none");
		return buf;
	}
	if (!c->trap_known) {
		snprintf(buf, len,
			 "it makes %s traced calls/s, each a trap whose cost here is unknown",
			 calls);
		return buf;
	}
	format_cpu(cpu, sizeof(cpu), c->cpu);
	format_percent(share, sizeof(share), c->share);
	snprintf(buf, len,
		 us < 10 ? "exact tracing costs it ~%s CPU%s%s%s: %s calls/s at %.2g us a call"
			 : "exact tracing costs it ~%s CPU%s%s%s: %s calls/s at %.0f us a call",
		 cpu, c->share_known ? ", " : "", c->share_known ? share : "",
		 c->share_known ? " of its CPU time" : "", calls, us);
	return buf;
}

int cost__parse_pid_stat(const char *buf, size_t len, __u64 *ticks)
{
	const char *p = NULL;
	char tail[512];
	unsigned long long utime, stime;

	for (size_t i = len; i > 0 && !p; i--)
		if (buf[i - 1] == ')')
			p = buf + i;
	if (!p)
		return -EINVAL;
	/* bounded and NUL-terminated, whatever the text holds after the name */
	len -= p - buf;
	if (len >= sizeof(tail))
		len = sizeof(tail) - 1;
	memcpy(tail, p, len);
	tail[len] = 0;
	/* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
	 * cmajflt utime stime */
	if (sscanf(tail, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
		   &stime) != 2)
		return -EINVAL;
	*ticks = utime + stime;
	return 0;
}

int cost__parse_stat(const char *buf, size_t len, __u64 *ticks)
{
	unsigned long long user, nice, system, idle, iowait, irq, softirq;
	char line[256];
	size_t n = 0;

	while (n < len && n < sizeof(line) - 1 && buf[n] != '\n') {
		line[n] = buf[n];
		n++;
	}
	line[n] = 0;
	if (sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle,
		   &iowait, &irq, &softirq) != 7)
		return -EINVAL;
	*ticks = user + nice + system + irq + softirq;
	return 0;
}

/* Up to @len - 1 bytes of @path into @buf; returns how many, or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n = 0;

	if (fd < 0)
		return -errno;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : (ssize_t)got;
}

static int pid_ticks(const char *path, __u64 *ticks)
{
	char buf[1024];
	ssize_t n = read_small(path, buf, sizeof(buf));

	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	return cost__parse_pid_stat(buf, n, ticks);
}

int cost__cpu_ns(pid_t pid, __u64 *ns)
{
	long hz = sysconf(_SC_CLK_TCK);
	__u64 ticks, self = 0;
	char path[64], buf[512];
	ssize_t n;
	int err;

	if (hz <= 0)
		return -EINVAL;
	if (pid > 0) {
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		err = pid_ticks(path, &ticks);
	} else {
		/* the first line is all the machine's CPUs together */
		n = read_small("/proc/stat", buf, sizeof(buf));
		err = n < 0 ? (int)n : cost__parse_stat(buf, n, &ticks);
		err = err ?: pid_ticks("/proc/self/stat", &self);
		ticks = ticks > self ? ticks - self : 0;
	}
	if (err)
		return err;
	*ns = ticks * (1000000000ULL / hz);
	return 0;
}
