/* SPDX-License-Identifier: GPL-2.0 */
/* Small file chores shared by the pins, the BIRD state includes, the operator state and the
 * API token.
 */
#ifndef ANYEDGE_FILES_H
#define ANYEDGE_FILES_H

#include <stddef.h>
#include <sys/types.h>

/* The first len - 1 bytes of path into buf, NUL-terminated: the byte count, or -errno. */
ssize_t file_read_small(const char *path, char *buf, size_t len);
/* The same less trailing whitespace (an editor's newline): a one-line file's line. */
ssize_t file_read_line(const char *path, char *buf, size_t len);
/* A bearer token file: one line of printable ASCII without spaces (a trailing newline allowed),
 * at least FILE_TOKEN_MIN characters, into buf. 0, or -errno; -EINVAL with *why saying what is
 * wrong (buf then cleared). On success *why is NULL, or a warning: the file's mode lets group
 * or others read it.
 */
#define FILE_TOKEN_MIN 16
#define FILE_TOKEN_MIN_STR "16"
int file_read_token(const char *path, char *buf, size_t len, const char **why);
/* Create path and any missing parents with mode. 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);
/* Replace path with len bytes of data (file mode `mode`): written to a temporary file beside
 * it, flushed, renamed over it and the directory flushed, so that after a crash path holds the
 * old content or the new, never a part. 0 or -errno.
 */
int file_replace(const char *path, const void *data, size_t len, mode_t mode);

#endif /* ANYEDGE_FILES_H */
