/* SPDX-License-Identifier: GPL-2.0 */
/* What outlives a process: bpffs pins and XDP links. Shared by the daemon's data plane and the
 * backend decapsulator.
 */
#ifndef ANYEDGE_XDP_PIN_H
#define ANYEDGE_XDP_PIN_H

#include <linux/types.h>

#define BPFFS "/sys/fs/bpf"

/* Mount bpffs at BPFFS unless it is there (it is not at boot on every host). 0 or -errno. */
int bpffs_mount(void);
/* Pin fd as dir/name, atomically replacing an older pin (pin a temporary name, rename). */
int pin_replace(int fd, const char *dir, const char *name);
/* Unlink every pin in dir except the one named keep (NULL: none). 0 or -errno. */
int pin_dir_clear(const char *dir, const char *keep);
/* Attach prog_fd to ifindex by a new link: native first, generic when the driver says no.
 * *mode is "native" or "generic". Returns the link fd or -errno (-EBUSY: another program).
 */
int xdp_link_create(int prog_fd, int ifindex, const char *dev, const char **mode);
/* "native", "generic", "offload" or "none": how prog_id sits on ifindex now. */
const char *xdp_attach_mode(int ifindex, __u32 prog_id);

#endif /* ANYEDGE_XDP_PIN_H */
