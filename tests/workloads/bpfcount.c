/* SPDX-License-Identifier: GPL-2.0-only */
/* What BPF the kernel holds, without bpftool, which a test guest has not
 * (the kernel matrix, scripts/kguest.py). Static.
 *
 *   bpfcount           "progs N maps N links N": loaded now, by their ids
 *   bpfcount maps PID  one line per map PID holds: name, type, max_entries,
 *                      and what the kernel charges for it (fdinfo's memlock)
 *
 * Exits 1 if the bpf syscall fails otherwise than at the end of a walk. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The name of map @id, in @name. */
static int map_name(unsigned int id, char *name, size_t len)
{
	struct bpf_map_info info;
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_id = id;
	fd = syscall(SYS_bpf, BPF_MAP_GET_FD_BY_ID, &attr, sizeof(attr));
	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (unsigned long)&info;
	if (syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr))) {
		close(fd);
		return -1;
	}
	close(fd);
	snprintf(name, len, "%s", info.name);
	return 0;
}

static int maps(const char *pid)
{
	char path[320], line[128], name[32];
	unsigned long long memlock, total = 0;
	unsigned int id, type, max;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo", pid);
	d = opendir(path);
	if (!d)
		return 1;
	while ((de = readdir(d))) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		id = type = max = 0;
		memlock = 0;
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "map_type: %u", &type);
			sscanf(line, "max_entries: %u", &max);
			sscanf(line, "memlock: %llu", &memlock);
			sscanf(line, "map_id: %u", &id);
		}
		fclose(f);
		if (!id || map_name(id, name, sizeof(name)))
			continue;
		printf("map %s type %u max_entries %u memlock %llu\n", name, type, max, memlock);
		total += memlock;
	}
	closedir(d);
	printf("total memlock %llu\n", total);
	return 0;
}

int main(int argc, char **argv)
{
	int progs, maps_nr, links;

	if (argc == 3 && !strcmp(argv[1], "maps"))
		return maps(argv[2]);
	progs = count(BPF_PROG_GET_NEXT_ID);
	maps_nr = count(BPF_MAP_GET_NEXT_ID);
	links = count(BPF_LINK_GET_NEXT_ID);
	printf("progs %d maps %d links %d\n", progs, maps_nr, links);
	return progs < 0 || maps_nr < 0 || links < 0;
}
