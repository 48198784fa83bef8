// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

ssize_t file_read_small(const char *path, char *buf, size_t len)
{
	ssize_t r = 0, n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)n < len - 1) {
		r = read(fd, buf + n, len - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	if (r < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

ssize_t file_read_line(const char *path, char *buf, size_t len)
{
	ssize_t n = file_read_small(path, buf, len);

	while (n > 0 && strchr("\r\n \t", buf[n - 1]))
		buf[--n] = '\0';
	return n;
}

int file_read_token(const char *path, char *buf, size_t len, const char **why)
{
	struct stat st;
	ssize_t n;
	size_t i;

	*why = NULL;
	if (len < FILE_TOKEN_MIN + 2)
		return -EINVAL;
	n = file_read_small(path, buf, len);
	if (n < 0)
		return (int)n;
	if ((size_t)n == len - 1) {
		*why = "longer than the token limit";
		goto invalid;
	}
	while (n > 0 && strchr("\r\n", buf[n - 1]))
		n--;
	/* a NUL would end the comparison early: a UTF-16 file's "g\0..." is then "g" */
	for (i = 0; i < (size_t)n; i++) {
		if ((unsigned char)buf[i] <= 0x20 || (unsigned char)buf[i] >= 0x7f) {
			*why = "not one line of printable ASCII (a NUL, a control byte or a space: "
			       "UTF-16?)";
			goto invalid;
		}
	}
	buf[n] = '\0';
	if ((size_t)n < FILE_TOKEN_MIN) {
		*why = "shorter than " FILE_TOKEN_MIN_STR " characters";
		goto invalid;
	}
	if (!stat(path, &st) && (st.st_mode & 077))
		*why = "readable by group or others";
	return 0;

invalid:
	explicit_bzero(buf, len);
	return -EINVAL;
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd, ret = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

int file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t off = 0;
	ssize_t w;
	int fd, ret;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	if (!dir[0])
		snprintf(dir, sizeof(dir), "/");
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, slash ? slash + 1 : path) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (off < len) {
		w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			ret = -errno;
			goto err_close;
		}
		off += w;
	}
	if (fchmod(fd, mode) || fsync(fd)) {
		ret = -errno;
		goto err_close;
	}
	if (close(fd)) {
		ret = -errno;
		goto err_unlink;
	}
	if (rename(tmp, path)) {
		ret = -errno;
		goto err_unlink;
	}
	return fsync_dir(dir);

err_close:
	close(fd);
err_unlink:
	unlink(tmp);
	return ret;
}
