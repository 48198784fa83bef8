// SPDX-License-Identifier: GPL-2.0
/* The operator's state file: promotions, the edge drain and the drained backends, which must
 * survive a restart (the pin folder is bpffs and holds no regular files). One small text file
 * per edge name, rewritten in whole and atomically (file_replace) on every change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "edge.h"
#include "files.h"
#include "log.h"
#include "ops_state.h"

#define OPS_STATE_DIR "/var/lib/anyedge"
#define OPS_STATE_LINES 256 /* promotions kept; a longer history is cut from its start */

void ops_state_free(struct ops_state *st)
{
	free(st->prom);
	free(st->drained);
}

/* ANYEDGE_STATE_DIR moves it (tests); one file per edge name, like the pin folder. */
void edge_state_path(const struct edge *e, const char *ext, char *buf, size_t len)
{
	const char *dir = getenv("ANYEDGE_STATE_DIR");

	snprintf(buf, len, "%s/%s.%s", dir && *dir ? dir : OPS_STATE_DIR, e->policy->edge.name,
		 ext);
}

void ops_state_path(const struct edge *e, char *buf, size_t len)
{
	edge_state_path(e, "state", buf, len);
}

/* Missing file: empty state. Lines: "edge-drained", "promote SOURCE TARGET MS",
 * "drained ADDR".
 */
int ops_state_read(const struct edge *e, struct ops_state *st)
{
	char path[512], line[256], src[POLICY_NAME_MAX], dst[POLICY_NAME_MAX], addr[INET_ADDR_STR];
	unsigned long long ms;
	struct ops_promotion *np;
	FILE *f;

	memset(st, 0, sizeof(*st));
	ops_state_path(e, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strcmp(line, "edge-drained\n")) {
			st->edge_drained = true;
			continue;
		}
		if (sscanf(line, "drained %45s", addr) == 1) {
			char(*nd)[INET_ADDR_STR] =
				realloc(st->drained, (st->n_drained + 1) * sizeof(*nd));

			if (!nd)
				goto nomem;
			st->drained = nd;
			memcpy(nd[st->n_drained++], addr, INET_ADDR_STR);
			continue;
		}
		if (sscanf(line, "promote %63s %63s %llu", src, dst, &ms) != 3)
			continue; /* comments, and lines of a newer daemon */
		if (st->n_prom == OPS_STATE_LINES) {
			memmove(st->prom, st->prom + 1, (OPS_STATE_LINES - 1) * sizeof(*st->prom));
			st->n_prom--;
		}
		np = realloc(st->prom, (st->n_prom + 1) * sizeof(*np));
		if (!np)
			goto nomem;
		st->prom = np;
		snprintf(np[st->n_prom].source, POLICY_NAME_MAX, "%s", src);
		snprintf(np[st->n_prom].target, POLICY_NAME_MAX, "%s", dst);
		np[st->n_prom++].ms = ms;
	}
	fclose(f);
	return 0;
nomem:
	fclose(f);
	ops_state_free(st);
	return -ENOMEM;
}

/* Every active-passive VIP back on its primary: the promotion history means nothing more. */
static bool ops_all_on_primary(const struct edge *e)
{
	const struct policy *p = e->policy;
	size_t v;

	for (v = 0; v < p->n_vips && v < AE_MAX_VIPS; v++)
		if (p->vips[v].mode == VIP_ACTIVE_PASSIVE &&
		    e->health.serving[v] != (uint8_t)p->vips[v].primary)
			return false;
	return true;
}

/* The backends drained by the operator now, once per address. */
static void ops_write_drained(FILE *f, const struct edge *e)
{
	const struct policy *p = e->policy;
	char a[INET_ADDR_STR], last[INET_ADDR_STR] = "";
	size_t r, k;

	for (r = 0; r < p->n_regions; r++) {
		for (k = 0; k < p->regions[r].n_backends; k++) {
			if (!e->health.b[dp_backend_id(p, r, k)].admin_drained)
				continue;
			inet_addr_str(&p->regions[r].backends[k].addr, a, sizeof(a));
			if (strcmp(a, last))
				fprintf(f, "drained %s\n", a);
			snprintf(last, sizeof(last), "%s", a);
		}
	}
}

/* Write st (plus add, when given) in whole, atomically (file_replace). */
int ops_state_write(const struct edge *e, const struct ops_promotion *add)
{
	char path[512], *text = NULL;
	size_t i, len = 0;
	struct ops_state st;
	FILE *f;
	int err;

	ops_state_path(e, path, sizeof(path));
	err = ops_state_read(e, &st);
	if (err)
		goto out;
	if (ops_all_on_primary(e))
		st.n_prom = 0;
	/* the default folder may not exist yet; a missing parent of a test's folder stays an error */
	if (!getenv("ANYEDGE_STATE_DIR"))
		mkdir(OPS_STATE_DIR, 0750);
	f = open_memstream(&text, &len);
	if (!f) {
		err = -errno;
		goto out;
	}
	fprintf(f, "# anyedged operator state for edge %s; rewritten by the daemon\n",
		e->policy->edge.name);
	if (e->draining)
		fprintf(f, "edge-drained\n");
	for (i = 0; i < st.n_prom; i++)
		fprintf(f, "promote %s %s %llu\n", st.prom[i].source, st.prom[i].target,
			st.prom[i].ms);
	if (add && !ops_all_on_primary(e))
		fprintf(f, "promote %s %s %llu\n", add->source, add->target, add->ms);
	ops_write_drained(f, e);
	if (fclose(f))
		err = -ENOMEM;
	if (!err)
		err = file_replace(path, text, len, 0644);
out:
	free(text);
	ops_state_free(&st);
	if (err)
		pr_warn("operator: state not saved to %s: %s; it will not survive a restart\n",
			path, strerror(-err));
	return err;
}

bool edge_ops_saved_drain(const struct edge *e)
{
	struct ops_state st;
	bool drained;

	if (ops_state_read(e, &st))
		return false;
	drained = st.edge_drained;
	ops_state_free(&st);
	return drained;
}
