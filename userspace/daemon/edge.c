// SPDX-License-Identifier: GPL-2.0
/* anyedged's lifecycle: start (adopt or create the data plane, attach, probe), apply (health and
 * kernel facts into the maps), reload (all of a new policy or none of it), stop (leave the
 * program attached and forwarding).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "edge.h"
#include "log.h"
#include "notify.h"

/* Every decision's clock: an NTP step must not move a hold-down or a settle window. */
uint64_t edge_now_ms(void)
{
	return mono_ms();
}

static void on_probe(void *ctx, size_t index, const struct probe_result *r)
{
	struct edge *e = ctx;

	if (index < e->health.n_b)
		health_probe_result(&e->health, index, r, edge_now_ms());
}

int edge_set_probe_targets(struct edge *e)
{
	const struct policy *p = e->policy;
	size_t n = dp_backend_count(p), r, i, k = 0;
	struct probe_target *t;
	int err;

	t = calloc(n + 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (r = 0; r < p->n_regions; r++) {
		for (i = 0; i < p->regions[r].n_backends; i++, k++) {
			t[k].addr = p->regions[r].backends[i].addr;
			t[k].cfg = p->regions[r].backends[i].probe;
		}
	}
	err = prober_set_targets(e->prober, t, n);
	free(t);
	return err;
}

/* The kernel's word on MACs and MTU, unless the policy overrides them. A gateway MAC the
 * kernel stops knowing (its entry flushed or failing while it re-resolves) keeps its last value:
 * an all-zero one would send every tunnelled frame nowhere, and the guard holds meanwhile.
 */
static void link_into_view(struct edge *e, struct dp_view *v)
{
	memcpy(v->edge_mac, e->link.mac, 6);
	if (e->link.has_gateway_mac) {
		memcpy(e->gateway_mac_last, e->link.gateway_mac, 6);
		e->has_gateway_mac_last = true;
	}
	if (e->has_gateway_mac_last)
		memcpy(v->gateway_mac, e->gateway_mac_last, 6);
	v->mtu = e->link.mtu;
}

void edge_facts_to_health(struct edge *e)
{
	/* no gateway found: backends on-link, nothing to resolve */
	bool gw = e->policy->edge.has_gateway_mac || e->link.has_gateway_mac ||
		  !e->link.gateway.family;

	health_set_edge(&e->health, e->link.up, gw, edge_now_ms());
}

bool edge_healthy(const struct edge *e)
{
	return e->attach_mode && e->link.up;
}

/* Announcements follow every change of health, link or drain. */
static void bgp_update(struct edge *e)
{
	if (!e->bgp)
		return;
	speaker_set_drain(e->bgp, e->draining, edge_now_ms());
	speaker_update(e->bgp, &e->health, edge_healthy(e), edge_now_ms());
	e->bird_connected = speaker_bird_connected(e->bgp);
}

int edge_apply(struct edge *e, const char *cause)
{
	uint64_t t0 = mono_us(), changes = e->health.changes;
	struct dp_view v;
	int err;

	err = health_view(&e->health, &v);
	if (err)
		return err;
	link_into_view(e, &v);
	err = dp_apply(e->dp, e->policy, &v);
	dp_view_free(&v);
	if (err) {
		e->apply_failures++;
		pr_warn("edge: data plane not updated (%s): %s\n", cause, strerror(-err));
	} else {
		e->applied = changes;
		pr_info("edge: data plane updated (%s) in %.1f ms\n", cause,
			(mono_us() - t0) / 1000.0);
	}
	bgp_update(e);
	snapshot_publish(&e->snap, e);
	edge_fleet_report(e);
	return err;
}

int edge_relink(struct edge *e)
{
	const char *ifname = e->policy->edge.interface;
	int err;

	err = dp_attach(e->dp, ifname, &e->attach_mode);
	if (err) {
		e->attach_mode = NULL;
		pr_warn("edge: %s was re-created (ifindex %d) but the program cannot attach: %s\n",
			ifname, e->link.ifindex, strerror(-err));
		return err;
	}
	pr_warn("edge: %s was re-created (ifindex %d): program re-attached in %s mode\n", ifname,
		e->link.ifindex, e->attach_mode);
	return 0;
}

static void diag_log(void *ctx, const char *file, unsigned int line, unsigned int col,
		     const char *msg)
{
	if (line)
		pr_warn("%s:%u:%u: error: %s\n", file, line, col, msg);
	else
		pr_warn("%s: error: %s\n", file, msg);
}

static int edge_reload_policy(struct edge *e)
{
	struct policy *np = NULL, *old = e->policy;
	int err;

	pr_info("edge: reloading %s\n", e->opts.config);
	err = policy_load(e->opts.config, &np, diag_log, NULL);
	if (err)
		goto refuse;
	/* what the loaded program or its link were made for cannot change under it */
	if (np->dataplane.ring_size != old->dataplane.ring_size ||
	    np->dataplane.flow_table_size != old->dataplane.flow_table_size ||
	    strcmp(np->edge.interface, old->edge.interface) ||
	    strcmp(np->edge.name, old->edge.name) ||
	    memcmp(&np->fleet, &old->fleet, sizeof(np->fleet))) {
		pr_warn("edge: edge.name, edge.interface, dataplane.ring_size, "
			"dataplane.flow_table_size and fleet need a restart (with --replace for the "
			"sizes)\n");
		err = -EINVAL;
		goto refuse;
	}
	err = health_rebind(&e->health, np, edge_now_ms());
	if (err)
		goto refuse;
	e->policy = np;
	if (e->bgp)
		err = speaker_rebind(e->bgp, np);
	if (!err)
		err = edge_set_probe_targets(e);
	if (!err)
		err = edge_apply(e, "policy reload");
	if (err) {
		/* back to the old policy in whole */
		pr_warn("edge: reload failed while applying (%s); keeping the old policy\n",
			strerror(-err));
		e->policy = old;
		health_rebind(&e->health, old, edge_now_ms());
		if (e->bgp)
			speaker_rebind(e->bgp, old);
		edge_set_probe_targets(e);
		edge_apply(e, "reload rolled back");
		policy_free(np);
		e->reload_failures++;
		return err;
	}
	policy_free(old);
	edge_fleet_reload(e);
	/* an operator's reload is also the moment to check BIRD has not drifted */
	if (e->bgp)
		speaker_reconcile(e->bgp);
	e->reloads++;
	e->last_reload_ms = edge_now_ms();
	pr_info("edge: reloaded %s\n", e->opts.config);
	return 0;
refuse:
	policy_free(np);
	e->reload_failures++;
	pr_warn("edge: reload refused; the running policy stays in force\n");
	snapshot_publish(&e->snap, e);
	return err;
}

/* SIGHUP and the API's reload alike: systemd sees RELOADING=1 ... READY=1 around either */
int edge_reload(struct edge *e)
{
	int err;

	notify_reloading();
	err = edge_reload_policy(e);
	notify_ready(e);
	return err;
}

static int open_kernel(struct edge *e)
{
	const struct policy *p = e->policy;
	const struct inet_addr *toward = &p->regions[0].backends[0].addr;
	int err;

	err = kernel_open(p->edge.interface, &p->edge.gateway, toward, &e->kern);
	if (err) {
		pr_warn("edge: interface %s: %s\n", p->edge.interface, strerror(-err));
		return err;
	}
	kernel_facts(e->kern, &e->link);
	if (!e->link.has_gateway_mac && !p->edge.has_gateway_mac)
		kernel_resolve_gateway(e->kern);
	return 0;
}

int edge_start(struct edge *e, const struct edge_opts *opts)
{
	struct dp_opts dopts = { 0 };
	int err;

	memset(e, 0, sizeof(*e));
	e->opts = *opts;
	e->epfd = e->sigfd = e->tickfd = e->guardfd = -1;
	e->guard_armed_ms = UINT64_MAX;
	err = policy_load(opts->config, &e->policy, policy_diag_stderr, stderr);
	if (err)
		return err;
	if (!e->policy->dataplane.hash_seed)
		pr_warn("edge: dataplane.hash_seed is 0: with the public hash anyone can aim flows "
			"at one backend; set a random secret seed (the same on every edge)\n");
	if (opts->pin_dir)
		snprintf(e->pin_dir, sizeof(e->pin_dir), "%s", opts->pin_dir);
	else
		snprintf(e->pin_dir, sizeof(e->pin_dir), DP_PIN_BASE "/%s", e->policy->edge.name);
	err = open_kernel(e);
	if (err)
		return err;
	dopts.pin_dir = e->pin_dir;
	dopts.replace = opts->replace;
	/* a drained edge carries no announced traffic: it may take a new ABI (anyedge upgrade) */
	dopts.upgrade = edge_ops_saved_drain(e);
	err = dp_open(e->policy, &dopts, &e->dp);
	if (err)
		return err;
	if (dp_adopted(e->dp)) {
		/* a running edge: keep its steering until probes say otherwise */
		struct dp_view was;

		err = dp_read_view(e->dp, e->policy, &was);
		if (!err)
			err = health_init_adopted(&e->health, e->policy, &was, edge_now_ms());
		dp_view_free(&was);
	} else {
		/* after an upgrade, regions start as the policy wants them, so the rings are the
		 * old program's and established flows find their backends again
		 */
		err = health_init(&e->health, e->policy, dp_replaced_abi(e->dp) && dopts.upgrade,
				  edge_now_ms());
	}
	if (!err)
		err = edge_ops_restore(e); /* operator: promotions and drain survive restarts */
	if (!err)
		edge_facts_to_health(e);
	if (err)
		return err;
	edge_fleet_restore(e); /* the fleet's last designations, should etcd be down */
	err = edge_apply(e, dp_adopted(e->dp) ? "adopted pinned state" : "start");
	if (err)
		return err;
	err = dp_attach(e->dp, e->policy->edge.interface, &e->attach_mode);
	if (err) {
		pr_warn("edge: cannot attach to %s: %s\n", e->policy->edge.interface,
			strerror(-err));
		return err;
	}
	pr_info("edge: %s attached to %s in %s mode (pins under %s)\n", e->policy->edge.name,
		e->policy->edge.interface, e->attach_mode, e->pin_dir);
	/* BGP after the attach: nothing is announced that the program cannot serve */
	err = speaker_new(e->policy, &e->bgp);
	if (err) {
		pr_warn("edge: BGP not set up (%s): no announcements from this edge\n",
			strerror(-err));
		e->bgp = NULL;
	}
	bgp_update(e);
	err = prober_new(on_probe, e, &e->prober);
	if (!err)
		err = edge_set_probe_targets(e);
	if (!err)
		err = edge_fleet_start(e); /* before the API, which promotes through it */
	if (!err)
		snapshot_publish(&e->snap, e);
	if (!err)
		err = edge_ops_start(e); /* operator: command queue and HTTP API */
	return err;
}

void edge_stop(struct edge *e)
{
	/* a plain stop keeps every announcement: the program keeps forwarding */
	speaker_free(e->bgp);
	edge_ops_stop(e); /* operator: before the snapshot and maps its threads read */
	edge_fleet_stop(e); /* after the API, whose threads may be promoting through it */
	prober_free(e->prober);
	snapshot_slot_free(&e->snap);
	health_free(&e->health);
	/* closing our handles leaves the pinned link: the program keeps forwarding */
	dp_close(e->dp);
	kernel_close(e->kern);
	policy_free(e->policy);
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->sigfd >= 0)
		close(e->sigfd);
	if (e->tickfd >= 0)
		close(e->tickfd);
	if (e->guardfd >= 0)
		close(e->guardfd);
}
