/* SPDX-License-Identifier: GPL-2.0 */
/* Small file chores shared by the pins, the BIRD state includes and the operator state. */
#ifndef ANYEDGE_FILES_H
#define ANYEDGE_FILES_H

#include <stddef.h>
#include <sys/types.h>

/* Create path and any missing parents with mode. 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);
/* Replace path with len bytes of data (file mode `mode`): written to a temporary file beside
 * it, flushed, renamed over it and the directory flushed, so that after a crash path holds the
 * old content or the new, never a part. 0 or -errno.
 */
int file_replace(const char *path, const void *data, size_t len, mode_t mode);

#endif /* ANYEDGE_FILES_H */
