/* SPDX-License-Identifier: GPL-2.0-only */
/* The defaults that depend on the machine: how many outstanding allocations
 * the maps hold on a board and on a desktop; and the values options take. */
#include <errno.h>
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

int main(void)
{
	const unsigned long long mib = 1ull << 20;

	test_values();
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
