/* SPDX-License-Identifier: GPL-2.0-only */
/* What BPF the kernel holds: the number of programs, maps and links loaded,
 * by walking their ids (bpftool's way, without bpftool, which a test guest
 * has not). Prints "progs N maps N links N"; exits 1 if the bpf syscall
 * fails otherwise than at the end of a walk. Static, for the guests of the
 * kernel matrix (scripts/kguest.py). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/syscall.h>

static int count(int cmd)
{
	union bpf_attr attr;
	int n = 0;

	memset(&attr, 0, sizeof(attr));
	for (;;) {
		if (syscall(SYS_bpf, cmd, &attr, sizeof(attr)))
			return errno == ENOENT ? n : -1;
		attr.start_id = attr.next_id;
		n++;
	}
}

int main(void)
{
	int progs = count(BPF_PROG_GET_NEXT_ID), maps = count(BPF_MAP_GET_NEXT_ID);
	int links = count(BPF_LINK_GET_NEXT_ID);

	printf("progs %d maps %d links %d\n", progs, maps, links);
	return progs < 0 || maps < 0 || links < 0;
}
