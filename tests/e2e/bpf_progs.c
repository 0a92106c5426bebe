// SPDX-License-Identifier: GPL-2.0-only
/* Lists the names of the BPF programs in leaktrace's skeleton, one a line,
 * as libbpf reads them from the object leaktrace embeds: how the e2e tests
 * tell our programs from other loaded ones (tests/e2e/common.py). Opens the
 * object only; loads nothing, so it needs no privileges. */
#include <stdio.h>
#include <bpf/libbpf.h>
#include "leaktrace.skel.h"

int main(void)
{
	struct leaktrace_bpf *skel = leaktrace_bpf__open();
	struct bpf_program *prog;

	if (!skel) {
		perror("bpf_progs: cannot open leaktrace's BPF object");
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj) printf("%s\n", bpf_program__name(prog));
	leaktrace_bpf__destroy(skel);
	return 0;
}
