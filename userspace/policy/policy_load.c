// SPDX-License-Identifier: GPL-2.0
/* Loading a policy: reading the file (bounded by POLICY_MAX_BYTES), defaults, YAML -> schema ->
 * whole-file checks, reporting; and freeing and looking things up in the result.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy_impl.h"

static void policy_defaults(struct policy *p)
{
	p->edge.region = -1;
	p->probe = (struct policy_probe){
		.type = PROBE_HTTP,
		.path = "/health/ready",
		.interval_ms = 1000,
		.timeout_ms = 500,
		.rise = 2,
		.fall = 2,
		.max_replica_lag_ms = 10000,
	};
	snprintf(p->bgp.bird_socket, sizeof(p->bgp.bird_socket), "/run/bird/bird.ctl");
	p->bgp.hold_down_ms = 10000;
	p->bgp.drain_wait_ms = 30000;
	p->bgp.community_asn = 64512; /* private-use ASN (RFC 6996) */
	p->bgp.community_value = 100;
	p->bgp.prepend = 3;
	p->bgp.damping = (struct policy_damping){
		.penalty = 1000,
		.half_life_ms = 60000,
		.suppress = 2000,
		.reuse = 750,
		.max_suppress_ms = 600000,
	};
	/* state_dir defaults after parsing: it is named after edge.name */
	snprintf(p->api.listen, sizeof(p->api.listen), "127.0.0.1:9180");
	p->safety.guard = true;
	p->dataplane.ring_size = AE_DEFAULT_RING_SIZE;
	p->dataplane.flow_table_size = AE_DEFAULT_FLOW_TABLE;
	p->fleet.report_ttl_ms = 5000;
	p->fleet.request_timeout_ms = 1500;
	p->fleet.promote_after_ms = 10000;
	p->fleet.min_announcing = 1;
}

static void aux_free(struct policy_aux *a, const struct policy *p)
{
	size_t i;

	if (a->regions)
		for (i = 0; i < p->n_regions; i++)
			free(a->regions[i].backends);
	free(a->regions);
	free(a->clients);
	free(a->vips);
}

int policy_load_buf(const char *name, const char *buf, size_t len, struct policy **out,
		    policy_diag_fn diag, void *ctx)
{
	struct policy_build b = { .name = name, .diag = diag, .ctx = ctx };
	struct ynode *root = NULL;
	int ret;

	if (len > POLICY_MAX_BYTES) {
		policy_err(&b, no_pos, NULL, "larger than %d bytes: refused", POLICY_MAX_BYTES);
		ret = -EFBIG;
		goto out;
	}
	b.p = calloc(1, sizeof(*b.p));
	if (!b.p) {
		ret = -ENOMEM;
		goto out;
	}
	policy_defaults(b.p);
	snprintf(b.p->path, sizeof(b.p->path), "%s", name);
	ret = ynode_load(&b, buf, len, &root);
	if (!ret)
		ret = policy_parse_root(&b, root);
	if (!ret)
		ret = policy_check(&b);
	if (!ret && b.errors)
		ret = -EINVAL;
	ynode_free(root);
	aux_free(&b.aux, b.p);
	if (ret)
		policy_free(b.p);
	else
		*out = b.p;
out:
	if (ret == -ENOMEM)
		policy_err(&b, no_pos, NULL, "out of memory");
	policy_flush(&b);
	return ret;
}

/* Read at most POLICY_MAX_BYTES + 1 bytes of fd: one more than allowed says "too big", whatever
 * the file claims its size is (pipes and /proc files claim 0).
 */
static int read_all(int fd, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *p = NULL, *q;
	ssize_t r;

	for (;;) {
		if (n == cap || !p) {
			cap = p ? cap * 2 : cap;
			if (cap > POLICY_MAX_BYTES + 1)
				cap = POLICY_MAX_BYTES + 1;
			q = realloc(p, cap);
			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(p);
			return -errno;
		}
		if (!r)
			break;
		n += r;
		if (n > POLICY_MAX_BYTES) {
			free(p);
			return -EFBIG;
		}
	}
	*buf = p;
	*len = n;
	return 0;
}

/* The file's bytes, refused before reading when its size already says it is too big. */
static int policy_read(struct policy_build *b, const char *path, char **buf, size_t *len)
{
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		policy_err(b, no_pos, NULL, "cannot open: %s", strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st))
		ret = -errno;
	else if (S_ISDIR(st.st_mode))
		ret = -EISDIR;
	else if (st.st_size > POLICY_MAX_BYTES)
		ret = -EFBIG;
	else
		ret = read_all(fd, buf, len);
	close(fd);
	if (ret == -EFBIG)
		policy_err(b, no_pos, NULL, "larger than %d bytes: refused", POLICY_MAX_BYTES);
	else if (ret)
		policy_err(b, no_pos, NULL, "cannot read: %s", strerror(-ret));
	return ret;
}

int policy_load(const char *path, struct policy **out, policy_diag_fn diag, void *ctx)
{
	struct policy_build b = { .name = path, .diag = diag, .ctx = ctx };
	char *buf = NULL;
	size_t len = 0;
	int ret;

	if (strlen(path) >= POLICY_PATH_MAX) {
		policy_err(&b, no_pos, NULL, "path longer than %d characters", POLICY_PATH_MAX - 1);
		ret = -ENAMETOOLONG;
	} else {
		ret = policy_read(&b, path, &buf, &len);
	}
	policy_flush(&b);
	if (!ret)
		ret = policy_load_buf(path, buf, len, out, diag, ctx);
	free(buf);
	return ret;
}

void policy_free(struct policy *p)
{
	size_t i;

	if (!p)
		return;
	if (p->regions)
		for (i = 0; i < p->n_regions; i++)
			free(p->regions[i].backends);
	free(p->regions);
	free(p->clients);
	free(p->vips);
	free(p);
}

int policy_region_index(const struct policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_regions; i++)
		if (!strcmp(p->regions[i].name, name))
			return i;
	return -1;
}

int policy_vip_index(const struct policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_vips; i++)
		if (!strcmp(p->vips[i].name, name))
			return i;
	return -1;
}
