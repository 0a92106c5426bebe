// SPDX-License-Identifier: GPL-2.0-only
/* Tests what exact tracing is said to cost: calls a second times the trap's
 * cost, entries and returns apart, as a share of the processes' CPU time;
 * the words for it; and the reads of /proc/PID/stat, whose name field the
 * traced process chooses, and /proc/stat. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "cost.h"
#include "ut.h"

#define NEAR(a, b) ((a) - (b) < 1e-6 && (b) - (a) < 1e-6)

static const struct trap_cost trap = { .entry_ns = 4800, .return_ns = 1200 };

static void test_between(void)
{
	/* 2 s: 200000 calls, half of them with a return probe, and the
	 * process spent 1.5 s of CPU time */
	struct cost_point a = {
		.t = 10, .calls = 1000, .returns = 500, .cpu_known = true, .cpu_ns = 7000000000ULL
	};
	struct cost_point b = { .t = 12,
				.calls = 201000,
				.returns = 100500,
				.cpu_known = true,
				.cpu_ns = 8500000000ULL };
	struct probe_cost c;
	double probe_ns = 200000 * 4800.0 + 100000 * 1200.0;

	cost__between(&trap, &a, &b, &c);
	UT_CHECK(NEAR(c.calls_per_s, 100000), "calls/s: %g", c.calls_per_s);
	UT_CHECK(c.trap_known, "trap known");
	UT_CHECK(NEAR(c.cpu, probe_ns / 2e9), "cpu: %g, want %g", c.cpu, probe_ns / 2e9);
	UT_CHECK(NEAR(c.ns_per_call, 5400), "ns per call: %g (entry, and half a return)",
		 c.ns_per_call);
	UT_CHECK(NEAR(c.cpu, c.calls_per_s * c.ns_per_call / 1e9), "cpu = calls/s x cost");
	UT_CHECK(c.share_known && NEAR(c.share, probe_ns / 1.5e9), "share: %g", c.share);

	/* the process's CPU time unknown (it exited): no share, the rest stays */
	b.cpu_known = false;
	cost__between(&trap, &a, &b, &c);
	UT_CHECK(!c.share_known && c.trap_known && NEAR(c.calls_per_s, 100000),
		 "no share without the CPU time");
	/* CPU time that did not advance: no share, unless nothing ran */
	b.cpu_known = true;
	b.cpu_ns = a.cpu_ns;
	cost__between(&trap, &a, &b, &c);
	UT_CHECK(!c.share_known, "no share of no CPU time");
	b.calls = a.calls;
	b.returns = a.returns;
	cost__between(&trap, &a, &b, &c);
	UT_CHECK(c.share_known && c.share == 0 && c.calls_per_s == 0 && c.cpu == 0 &&
			 c.ns_per_call == 0,
		 "an idle process: 0 calls/s, 0 CPU, 0%% of its time");

	/* the trap's cost unknown: calls a second only */
	cost__between(&(struct trap_cost){ 0 }, &a, &(struct cost_point){ .t = 11, .calls = 3000 },
		      &c);
	UT_CHECK(!c.trap_known && !c.share_known && NEAR(c.calls_per_s, 2000),
		 "unknown trap cost: calls/s %g", c.calls_per_s);
	/* no time, or counters that went back (reset): nothing, never negative */
	cost__between(&trap, &a, &a, &c);
	UT_CHECK(c.calls_per_s == 0 && !c.trap_known, "no time between");
	cost__between(&trap, &b, &(struct cost_point){ .t = 13, .calls = 5 }, &c);
	UT_CHECK(c.calls_per_s == 0 && c.cpu == 0, "a counter that went back counts none");
}

static void test_describe(void)
{
	struct probe_cost c = { .calls_per_s = 182000,
				.trap_known = true,
				.cpu = 0.8736,
				.ns_per_call = 4800,
				.share_known = true,
				.share = 0.61 };
	char buf[160];

	UT_EQ_STR(cost__describe(buf, sizeof(buf), &c, false),
		  "182K calls/s ~0.87 CPU (61% of its CPU time; 4.8 us a call)", "a busy process");
	UT_EQ_STR(cost__describe(buf, sizeof(buf), &c, true),
		  "182K calls/s ~0.87 CPU (61% of all CPU time; 4.8 us a call)", "--system");
	UT_EQ_STR(cost__say(buf, sizeof(buf), &c),
		  "exact tracing costs it ~0.87 CPU, 61% of its CPU time: 182K calls/s at 4.8 us "
		  "a call",
		  "the sentence");
	c.share_known = false;
	c.calls_per_s = 1820;
	c.cpu = 0.0087;
	c.ns_per_call = 12400;
	UT_EQ_STR(cost__describe(buf, sizeof(buf), &c, false),
		  "1.82K calls/s ~0.009 CPU (12 us a call)", "share unknown");
	c.share_known = true;
	c.share = 0.0004;
	c.calls_per_s = 950;
	c.cpu = 0.0002;
	UT_EQ_STR(cost__describe(buf, sizeof(buf), &c, false),
		  "950 calls/s ~<0.001 CPU (<0.1% of its CPU time; 12 us a call)", "a little");
	c.share = 0.025;
	UT_EQ_STR(cost__describe(buf, sizeof(buf), &c, false),
		  "950 calls/s ~<0.001 CPU (2.5% of its CPU time; 12 us a call)", "a few percent");
	c.share = 1.07;
	UT_EQ_STR(cost__describe(buf, sizeof(buf), &c, false),
		  "950 calls/s ~<0.001 CPU (~100% of its CPU time; 12 us a call)",
		  "an estimate past the ticks /proc counted");
	c.trap_known = false;
	c.calls_per_s = 2.5e6;
	UT_EQ_STR(cost__describe(buf, sizeof(buf), &c, false), "2.5M calls/s (trap cost unknown)",
		  "trap cost unknown");
	UT_CHECK(strstr(cost__say(buf, sizeof(buf), &c), "2.5M traced calls/s") &&
			 strstr(buf, "unknown"),
		 "the sentence, trap cost unknown: %s", buf);
	c = (struct probe_cost){ .trap_known = true, .share_known = true };
	UT_EQ_STR(cost__describe(buf, sizeof(buf), &c, false), "0 calls/s", "idle");
	UT_CHECK(strstr(cost__say(buf, sizeof(buf), &c), "no traced call") != NULL,
		 "the sentence, idle: %s", buf);
	c.calls_per_s = 999.7;
	UT_EQ_STR(cost__describe(buf, sizeof(buf), &c, false),
		  "1K calls/s ~<0.001 CPU (0% of its "
		  "CPU time; 0 us a call)",
		  "rounds up into the next unit");
	/* a short buffer is cut, not overrun */
	memset(buf, 'x', sizeof(buf));
	cost__describe(buf, 8, &c, false);
	UT_CHECK(strlen(buf) == 7 && buf[9] == 'x', "cut at 8 bytes: '%s'", buf);
}

static void test_parse_pid_stat(void)
{
	/* a name with spaces, parentheses, a newline and numbers of its own */
	static const char hostile[] =
		"4242 (a) 1 2 3 4 5 6 7 8 9 10 99 99 (\n) x) S 1 4242 4242 0 -1 "
		"4194560 120 0 0 0 150 37 0 0 20 0 1 0 100 1000 50\n";
	static const char plain[] = "1 (systemd) S 0 1 1 0 -1 4194560 5000 900 80 1 12 34 56 78 "
				    "20 0 1 0 4 1000 200\n";
	__u64 ticks = 0;

	UT_CHECK(!cost__parse_pid_stat(plain, strlen(plain), &ticks) && ticks == 46,
		 "utime 12 + stime 34: %llu", (unsigned long long)ticks);
	UT_CHECK(!cost__parse_pid_stat(hostile, strlen(hostile), &ticks) && ticks == 187,
		 "after the name's last ')': utime 150 + stime 37: %llu",
		 (unsigned long long)ticks);
	UT_CHECK(cost__parse_pid_stat("1 (x", 4, &ticks) == -EINVAL, "no ')'");
	UT_CHECK(cost__parse_pid_stat("1 (x) S 1 2", 11, &ticks) == -EINVAL, "cut short");
	/* only @len bytes are read: the rest of the buffer is not a field */
	UT_CHECK(cost__parse_pid_stat(plain, 30, &ticks) == -EINVAL, "only the first 30 bytes");
}

static void test_parse_stat(void)
{
	static const char stat[] =
		"cpu  100 5 50 10000 30 7 3 9 0 0\ncpu0 50 2 25 5000 15 3 1 4 0 0\n";
	__u64 ticks = 0;

	UT_CHECK(!cost__parse_stat(stat, strlen(stat), &ticks) && ticks == 165,
		 "user, nice, system, irq, softirq: %llu", (unsigned long long)ticks);
	UT_CHECK(cost__parse_stat("cpu0 1 2 3\n", 11, &ticks) == -EINVAL, "not the total");
	UT_CHECK(cost__parse_stat("", 0, &ticks) == -EINVAL, "empty");
}

static void test_cpu_ns(void)
{
	__u64 self = 0, all = 0;
	volatile unsigned long spin = 0;

	/* some CPU time of our own to see */
	for (unsigned long i = 0; i < 200000000UL && self < 20000000ULL; i++) {
		spin += i;
		if (!(i & 0xfffff))
			cost__cpu_ns(getpid(), &self);
	}
	UT_CHECK(!cost__cpu_ns(getpid(), &self) && self >= 10000000ULL,
		 "this process's CPU time: %llu ns", (unsigned long long)self);
	UT_CHECK(!cost__cpu_ns(0, &all), "the machine's CPU time less ours: %llu ns",
		 (unsigned long long)all);
	UT_CHECK(cost__cpu_ns(0x3ffffff0, &self) == -ESRCH, "no such process");
}

int main(void)
{
	test_between();
	test_describe();
	test_parse_pid_stat();
	test_parse_stat();
	test_cpu_ns();
	return ut_done();
}
