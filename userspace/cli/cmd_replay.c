// SPDX-License-Identifier: GPL-2.0
/* `anyedge replay`: every packet of a capture through the real program, maps programmed by the
 * dataplane module as the daemon would, one JSON verdict per packet.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane.h"
#include "log.h"
#include "pcap_io.h"
#include "xdp_run.h"
#include "cli.h"

struct replay_opts {
	const char *config;
	const char *pcap;
	const char *out;
	char *down;
	size_t reload_at; /* --reload-at N:POLICY: before packet N, apply POLICY as a reload */
	const char *reload;
};

static int parse_down(const struct policy *p, char *list, bool *down)
{
	char *save = NULL, *name;
	int r;

	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		r = policy_region_index(p, name);
		if (r < 0) {
			fprintf(stderr, "replay: --down: no region '%s' in the policy\n", name);
			return -EINVAL;
		}
		down[r] = true;
	}
	return 0;
}

static int parse_reload(char *arg, struct replay_opts *o)
{
	char *end;

	errno = 0;
	o->reload_at = strtoul(arg, &end, 10);
	if (errno || end == arg || *end != ':' || !end[1]) {
		fprintf(stderr, "replay: --reload-at wants N:POLICY, not '%s'\n", arg);
		return -EINVAL;
	}
	o->reload = end + 1;
	return 0;
}

/* A reload between two packets, as the daemon's SIGHUP would make it: the new policy's maps
 * (rings rebuilt and switched whole) over the same flow table. The old policy goes on naming
 * regions in the verdicts only if the new one fails to load.
 */
static int reload(struct dataplane *dp, const struct replay_opts *o, struct policy **p)
{
	bool down[AE_MAX_REGIONS] = { 0 };
	struct dp_view view = { 0 };
	struct policy *np = cli_load_policy(o->reload);
	char *list = NULL;
	int err = 0;

	if (!np)
		return -EINVAL;
	if (o->down) { /* the same regions down, by name: the new policy may order them anew */
		list = strdup(o->down);
		err = list ? parse_down(np, list, down) : -ENOMEM;
		free(list);
	}
	if (!err)
		err = dp_view_default(np, down, &view);
	if (!err)
		err = dp_apply(dp, np, &view);
	dp_view_free(&view);
	if (err) {
		fprintf(stderr, "replay: reload with %s: %s\n", o->reload, strerror(-err));
		policy_free(np);
		return err;
	}
	policy_free(*p);
	*p = np;
	return 0;
}

/* The backend a tunnelled frame is addressed to: the outer destination. */
static int outer_dst(const uint8_t *f, uint32_t len, struct inet_addr *a)
{
	uint32_t off = 12;
	uint16_t type;

	while (off + 2 <= len) {
		type = f[off] << 8 | f[off + 1];
		if (type != 0x8100 && type != 0x88a8)
			break;
		off += 4;
	}
	off += 2;
	memset(a, 0, sizeof(*a));
	if (len >= off + 20 && (f[off] >> 4) == 4) {
		a->family = AE_FAMILY_V4;
		memcpy(a->bytes, f + off + 16, 4);
		return 0;
	}
	if (len >= off + 40 && (f[off] >> 4) == 6) {
		a->family = AE_FAMILY_V6;
		memcpy(a->bytes, f + off + 24, 16);
		return 0;
	}
	return -EINVAL;
}

static const char *backend_region(const struct policy *p, const struct inet_addr *a)
{
	size_t r, i;

	for (r = 0; r < p->n_regions; r++)
		for (i = 0; i < p->regions[r].n_backends; i++)
			if (inet_addr_eq(&p->regions[r].backends[i].addr, a))
				return p->regions[r].name;
	return NULL;
}

static void print_verdict(size_t i, const struct xdp_run *r, const struct policy *p,
			  const uint8_t *out, const char *reason)
{
	char addr[INET_ADDR_STR];
	struct inet_addr a;
	const char *region = NULL;

	printf("{\"i\":%zu,\"action\":\"%s\"", i, xdp_action_name(r->action));
	if (r->action == 3 /* XDP_TX */ && !outer_dst(out, r->out_len, &a))
		region = backend_region(p, &a);
	if (region)
		printf(",\"region\":\"%s\",\"backend\":\"%s\"", region,
		       inet_addr_str(&a, addr, sizeof(addr)));
	else
		printf(",\"region\":null,\"backend\":null");
	if (reason)
		printf(",\"reason\":\"%s\"", reason);
	printf("}\n");
}

/* The counter this run moved, if any: the reason for a verdict that is not a steered TX. */
static const char *moved_reason(struct dataplane *dp, uint64_t before[AE_REASON_MAX])
{
	uint64_t now[AE_REASON_MAX];
	const char *name = NULL;
	int r;

	if (dp_read_reasons(dp, now))
		return NULL;
	for (r = 0; r < AE_REASON_MAX; r++)
		if (now[r] != before[r])
			name = dp_reason_name(r);
	memcpy(before, now, sizeof(now));
	return name;
}

static int replay(const struct replay_opts *o)
{
	struct frame_writer *w = NULL;
	struct frames fr = { 0 };
	struct dataplane *dp = NULL;
	struct policy *p;
	struct dp_view view = { 0 };
	uint64_t counts[AE_REASON_MAX];
	bool down[AE_MAX_REGIONS] = { 0 };
	uint8_t *out = NULL;
	struct xdp_run r;
	size_t i;
	int err = 0;

	p = cli_load_policy(o->config);
	if (!p)
		return 1;
	if (o->down) { /* a copy: a reload parses the list again */
		char *list = strdup(o->down);

		err = list ? parse_down(p, list, down) : -ENOMEM;
		free(list);
	}
	if (!err)
		err = dp_view_default(p, down, &view);
	if (!err)
		err = frames_read(o->pcap, &fr);
	if (!err) {
		/* room for every flow of the capture; the policy's million would only cost memory */
		struct dp_opts dopts = { .flow_table_size = fr.n * 4 > 4096 ? fr.n * 4 : 4096 };

		if (dopts.flow_table_size > p->dataplane.flow_table_size)
			dopts.flow_table_size = p->dataplane.flow_table_size;
		err = dp_open(p, &dopts, &dp);
	}
	if (!err)
		err = dp_apply(dp, p, &view);
	if (!err && o->out)
		err = frame_writer_open(o->out, &w);
	if (!err)
		err = dp_read_reasons(dp, counts);
	if (!err && !(out = malloc(FRAME_MAX + XDP_RUN_HEADROOM)))
		err = -ENOMEM;
	for (i = 0; !err && i < fr.n; i++) {
		if (o->reload && i == o->reload_at) {
			err = reload(dp, o, &p);
			if (err)
				break;
		}
		err = xdp_run_once(dp_prog_fd(dp), fr.f[i].data, fr.f[i].len, out, &r);
		if (err) {
			fprintf(stderr, "replay: packet %zu: test run failed: %s\n", i,
				strerror(-err));
			break;
		}
		print_verdict(i, &r, p, out, moved_reason(dp, counts));
		if (w && (r.action == 2 || r.action == 3))
			frame_writer_put(w, out, r.out_len);
	}
	free(out);
	frame_writer_close(w);
	dp_close(dp);
	frames_free(&fr);
	dp_view_free(&view);
	policy_free(p);
	return err ? 1 : 0;
}

static const struct cmd_opt replay_opts[] = {
	{ "config", 'c', "POLICY", "the policy whose maps the program runs with" },
	{ "pcap", 'p', "IN", "the capture to replay (pcap, Ethernet)" },
	{ "out", 'o', "OUT", "write the frames the program sends (TX, PASS) to this pcap" },
	{ "down", 'd', "REGION,...", "regions to treat as down" },
	{ "reload-at", 'r', "N:POLICY", "before packet N, reload with POLICY (same flow table)" },
	{ 0 },
};

static int cmd_replay(const struct cli_verb *v, int argc, char **argv)
{
	struct replay_opts o = { 0 };
	int c;

	while ((c = cmd_getopt(&v->spec, argc, argv)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case 'p':
			o.pcap = optarg;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'd':
			o.down = optarg;
			break;
		case 'r':
			if (parse_reload(optarg, &o))
				return 2;
			break;
		case CMD_HELP:
			return 0;
		default:
			return 2;
		}
	}
	if (!o.config || !o.pcap || optind != argc)
		return cli_usage(v);
	return replay(&o);
}

const struct cli_verb cli_verb_replay = {
	.name = "replay",
	.run = cmd_replay,
	.spec = { .prog = "anyedge replay",
		  .args = "--config POLICY --pcap IN [--out OUT] [--down REGION,...] "
			  "[--reload-at N:POLICY]",
		  .summary =
			  "Run a capture through the real XDP program; one JSON verdict a packet.",
		  .opts = { replay_opts } },
};
