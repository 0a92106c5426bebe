/* SPDX-License-Identifier: GPL-2.0-only */
/* The defaults that depend on the machine: how many outstanding allocations
 * the maps hold on a board and on a desktop; and the values options take. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "options.h"
#include "ut.h"

static void test_values(void)
{
	__u64 size = 0;
	double sec = 0;

	UT_EQ_INT(lt_parse_size("10M", &size), 0, "10M");
	UT_CHECK(size == 10ull << 20, "10M is %llu", (unsigned long long)size);
	UT_EQ_INT(lt_parse_size("1.5GiB", &size), 0, "1.5GiB");
	UT_EQ_INT(lt_parse_size("9223372036854775807", &size), -ERANGE,
		  "2^63-1 rounds to 2^63 as a double: out of range");
	UT_EQ_INT(lt_parse_size("9223372036854775808", &size), -ERANGE, "2^63: out of range");
	UT_EQ_INT(lt_parse_size("8E", &size), -EINVAL, "no exa unit");
	UT_EQ_INT(lt_parse_size("7T", &size), 0, "7T");
	UT_EQ_INT(lt_parse_size("0x10", &size), -EINVAL, "no hex size");
	UT_EQ_INT(lt_parse_size("1e3", &size), -EINVAL, "no exponent");
	UT_EQ_INT(lt_parse_seconds("1.5", &sec), 0, "1.5 s");
	UT_EQ_INT(lt_parse_seconds("0x10", &sec), -EINVAL, "no hex seconds");
	UT_EQ_INT(lt_parse_seconds("inf", &sec), -EINVAL, "no infinity");
	UT_EQ_INT(lt_parse_seconds("nan", &sec), -EINVAL, "no NaN");
	UT_EQ_INT(lt_parse_seconds(".5", &sec), 0, ".5 s");
}

static void test_sizes(void)
{
	static const struct {
		const char *str;
		__u64 want;
	} good[] = {
		{ "1", 1 },
		{ "100", 100 },
		{ "512k", 512ull << 10 },
		{ "512K", 512ull << 10 },
		{ "1KB", 1ull << 10 },
		{ "1kib", 1ull << 10 },
		{ "1KiB", 1ull << 10 },
		{ "3M", 3ull << 20 },
		{ "3MiB", 3ull << 20 },
		{ "1.5GiB", 3ull << 29 },
		{ "1g", 1ull << 30 },
		{ ".5K", 512 },
		{ "0.25M", 1ull << 18 },
		{ "2.0", 2 },
		{ "7T", 7ull << 40 },
		{ "8388607T", 8388607ull << 40 },
	};
	static const struct {
		const char *str;
		int err;
	} bad[] = {
		{ "", -EINVAL },
		{ "K", -EINVAL },
		{ "-1", -EINVAL },
		{ "+1", -EINVAL },
		{ " 1", -EINVAL },
		{ "10 ", -EINVAL },
		{ "1 B", -EINVAL },
		{ "1 K", -EINVAL },
		{ "1.5", -EINVAL },
		{ "1B", -EINVAL },
		{ "1Ki", -EINVAL },
		{ "1KiBs", -EINVAL },
		{ "1KK", -EINVAL },
		{ "1P", -EINVAL },
		{ "1X", -EINVAL },
		{ "1,5M", -EINVAL },
		{ "inf", -EINVAL },
		{ "nan", -EINVAL },
		{ "0", -ERANGE },
		{ "0K", -ERANGE },
		{ "0.0001K", -ERANGE },
		{ "8388608T", -ERANGE },
		{ "100000000000000000000000", -ERANGE },
		{ "0.5", -EINVAL },
	};
	char huge[400];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		__u64 v = 0;
		int err = lt_parse_size(good[i].str, &v);

		UT_CHECK(err == 0 && v == good[i].want, "size '%s': %d, %llu (want %llu)",
			 good[i].str, err, (unsigned long long)v, (unsigned long long)good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		__u64 v = 12345;
		int err = lt_parse_size(bad[i].str, &v);

		UT_CHECK(err == bad[i].err && v == 12345,
			 "size '%s' refused: %d (want %d), left %llu", bad[i].str, err, bad[i].err,
			 (unsigned long long)v);
	}
	/* more digits than a double holds: out of range, not malformed */
	memset(huge, '9', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = 0;
	{
		__u64 v;

		UT_EQ_INT(lt_parse_size(huge, &v), -ERANGE, "a size of 399 digits");
	}
}

static void test_seconds(void)
{
	static const struct {
		const char *str;
		double want;
	} good[] = {
		{ "5", 5 }, { "0.5", 0.5 }, { "5.", 5 }, { "0.01", 0.01 }, { "1000000000", 1e9 },
	};
	static const struct {
		const char *str;
		int err;
	} bad[] = {
		{ "", -EINVAL },
		{ ".", -EINVAL },
		{ "-1", -EINVAL },
		{ "+1", -EINVAL },
		{ " 1", -EINVAL },
		{ "1 ", -EINVAL },
		{ "5s", -EINVAL },
		{ "1e3", -EINVAL },
		{ "1,5", -EINVAL },
		{ "0", -ERANGE },
		{ "0.0", -ERANGE },
		{ "1000000000.5", -ERANGE },
		{ "99999999999", -ERANGE },
	};
	char huge[400];
	double d;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int err;

		d = -1;
		err = lt_parse_seconds(good[i].str, &d);
		UT_CHECK(err == 0 && d == good[i].want, "seconds '%s': %d, %g (want %g)",
			 good[i].str, err, d, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err;

		d = -1;
		err = lt_parse_seconds(bad[i].str, &d);
		UT_CHECK(err == bad[i].err && d == -1, "seconds '%s' refused: %d (want %d)",
			 bad[i].str, err, bad[i].err);
	}
	memset(huge, '9', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = 0;
	UT_EQ_INT(lt_parse_seconds(huge, &d), -ERANGE, "399 digits of seconds");
}

static void test_uints(void)
{
	unsigned long v;

	UT_EQ_INT(lt_parse_uint("0", 0, 10, &v), 0, "0 from 0");
	UT_EQ_INT(v, 0, "0 read");
	UT_EQ_INT(lt_parse_uint("10", 0, 10, &v), 0, "the upper bound");
	UT_EQ_INT(v, 10, "10 read");
	UT_EQ_INT(lt_parse_uint("007", 1, 10, &v), 0, "leading zeros, decimal still");
	UT_EQ_INT(v, 7, "007 is 7, not octal");
	UT_EQ_INT(lt_parse_uint("18446744073709551615", 0, ~0UL, &v), 0, "2^64-1");
	UT_CHECK(v == ~0UL, "2^64-1 read");
	v = 99;
	UT_EQ_INT(lt_parse_uint("11", 0, 10, &v), -ERANGE, "above the upper bound");
	UT_EQ_INT(lt_parse_uint("0", 1, 10, &v), -ERANGE, "below the lower bound");
	UT_EQ_INT(lt_parse_uint("18446744073709551616", 0, ~0UL, &v), -ERANGE, "2^64");
	UT_EQ_INT(lt_parse_uint("", 0, 10, &v), -EINVAL, "empty");
	UT_EQ_INT(lt_parse_uint("-1", 0, 10, &v), -EINVAL, "negative");
	UT_EQ_INT(lt_parse_uint("+1", 0, 10, &v), -EINVAL, "a plus sign");
	UT_EQ_INT(lt_parse_uint(" 1", 0, 10, &v), -EINVAL, "a leading space");
	UT_EQ_INT(lt_parse_uint(" -1", 0, 10, &v), -EINVAL,
		  "a space before a minus: malformed, not out of range");
	UT_EQ_INT(lt_parse_uint("1 ", 0, 10, &v), -EINVAL, "a trailing space");
	UT_EQ_INT(lt_parse_uint("0x5", 0, 10, &v), -EINVAL, "hex");
	UT_EQ_INT(lt_parse_uint("1.0", 0, 10, &v), -EINVAL, "a fraction");
	UT_EQ_INT(lt_parse_uint("1k", 0, 10000, &v), -EINVAL, "a unit");
	UT_EQ_INT(v, 99, "nothing refused is stored");
}

static void test_sources(void)
{
	unsigned int src = 0;
	bool is_auto = true;

	UT_EQ_INT(lt_parse_sources("libc,fd", &src, &is_auto), 0, "libc,fd");
	UT_CHECK(src == (LT_SRC_LIBC | LT_SRC_FD) && !is_auto, "libc,fd: %#x, auto %d", src,
		 is_auto);
	UT_EQ_INT(lt_parse_sources("auto,fd", &src, &is_auto), 0, "auto,fd");
	UT_CHECK(src == LT_SRC_FD && is_auto, "auto,fd: %#x, auto %d", src, is_auto);
	UT_EQ_INT(lt_parse_sources("auto", &src, &is_auto), 0, "auto");
	UT_CHECK(src == 0 && is_auto, "auto: %#x, auto %d", src, is_auto);
	UT_EQ_INT(lt_parse_sources("mmap,python,gl,mmap", &src, &is_auto), 0, "a name twice");
	UT_CHECK(src == (LT_SRC_MMAP | LT_SRC_PYTHON | LT_SRC_GL) && !is_auto, "%#x", src);
	src = 0x55;
	UT_EQ_INT(lt_parse_sources("libc,heap", &src, &is_auto), -EINVAL, "an unknown name");
	UT_EQ_INT(lt_parse_sources("LIBC", &src, &is_auto), -EINVAL, "names are lower case");
	UT_EQ_INT(lt_parse_sources("", &src, &is_auto), -EINVAL, "nothing");
	UT_EQ_INT(lt_parse_sources(",", &src, &is_auto), -EINVAL, "only a comma");
	UT_EQ_INT(src, 0x55, "nothing refused is stored");
	UT_EQ_STR(lt_source_name(LT_SRC_PYTHON), "python", "a source's name");
	UT_EQ_STR(lt_source_name(LT_SRC_LIBC | LT_SRC_FD), "?", "two sources have no one name");
}

int main(void)
{
	const unsigned long long mib = 1ull << 20;

	test_values();
	test_sizes();
	test_seconds();
	test_uints();
	test_sources();
	UT_EQ_INT(lt_default_max_allocs(256 * mib), 1 << 18, "256 MiB board: 256K");
	UT_EQ_INT(lt_default_max_allocs(128 * mib), 1 << 17, "128 MiB board: 128K");
	UT_EQ_INT(lt_default_max_allocs(32 * mib), 1 << 16, "never under 64K");
	UT_EQ_INT(lt_default_max_allocs(1024 * mib), 1 << 20, "1 GiB: the full 1M");
	UT_EQ_INT(lt_default_max_allocs(64 * 1024 * mib), 1 << 20, "never over 1M");
	UT_EQ_INT(lt_default_max_allocs(0), 1 << 16, "unknown memory: 64K");
	UT_EQ_INT(lt_default_unwind_rows(256 * mib), 1 << 19, "256 MiB board: 512K rows, 4 MiB");
	UT_EQ_INT(lt_default_unwind_rows(1024 * mib), 1 << 21, "1 GiB: 2M rows, 16 MiB");
	UT_EQ_INT(lt_default_unwind_rows(64 * 1024 * mib), 1 << 21, "never over 2M");
	UT_EQ_INT(lt_default_unwind_rows(0), 1 << 18, "unknown memory: 256K");
	UT_CHECK(lt_ram_bytes() > 64 * mib, "this machine's memory is read: %llu bytes",
		 lt_ram_bytes());
	return ut_done();
}
