// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>

#include "log.h"
#include "xdp_pin.h"

int bpffs_mount(void)
{
	struct statfs st;

	if (!statfs(BPFFS, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mkdir(BPFFS, 0700) && errno != EEXIST)
		return -errno;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700")) {
		pr_warn("cannot mount bpffs at " BPFFS ": %s\n", strerror(errno));
		return -errno;
	}
	pr_info("mounted bpffs at " BPFFS "\n");
	return 0;
}

/* bpffs refuses names with a dot (those are the kernel's), hence "new_pin". */
int pin_replace(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int err;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/new_pin", dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp))
		return -errno;
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

int pin_dir_clear(const char *dir, const char *keep)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (keep && !strcmp(de->d_name, keep)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	return 0;
}

int xdp_link_create(int prog_fd, int ifindex, const char *dev, const char **mode)
{
	static const struct {
		__u32 flag;
		const char *name;
	} modes[] = { { XDP_FLAGS_DRV_MODE, "native" }, { XDP_FLAGS_SKB_MODE, "generic" } };
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int fd, err = -EINVAL;
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (i)
			pr_info("%s XDP on %s refused (%s); trying %s mode\n", modes[i - 1].name,
				dev, strerror(-err), modes[i].name);
		opts.flags = modes[i].flag;
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
		if (fd >= 0) {
			*mode = modes[i].name;
			return fd;
		}
		err = -errno;
		if (err == -EBUSY || err == -EEXIST) {
			pr_warn("%s already has an XDP program that is not ours; remove it first "
				"(ip link set dev %s xdp off)\n",
				dev, dev);
			return -EBUSY;
		}
	}
	pr_warn("cannot attach XDP to %s: %s\n", dev, strerror(-err));
	return err;
}

const char *xdp_attach_mode(int ifindex, __u32 prog_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (!ifindex || bpf_xdp_query(ifindex, 0, &q))
		return "none";
	if (q.drv_prog_id == prog_id)
		return "native";
	if (q.skb_prog_id == prog_id)
		return "generic";
	if (q.hw_prog_id == prog_id)
		return "offload";
	return "none";
}
