// SPDX-License-Identifier: GPL-2.0
/* GET /metrics: Prometheus text exposition (format 0.0.4). Traffic counters are summed over
 * the per-CPU maps at scrape time (map reads are thread-safe); the rest comes from the RCU
 * snapshot. Names: anyedge_ prefix, _total on counters, seconds and bytes as base units.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <microhttpd.h>
#include <urcu.h>

#include "api_guard.h"
#include "api_impl.h"
#include "version.h"

/* A label value with \, " and newline escaped as the format asks. */
static void met_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void met_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void met_traffic(FILE *f, const struct api *a, const struct snapshot *s)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} vs[] = {
		{ "anyedge_vip_packets_total", "Packets the XDP program steered for the VIP.",
		  offsetof(struct ae_vip_stats, packets) },
		{ "anyedge_vip_bytes_total", "Bytes the XDP program steered for the VIP.",
		  offsetof(struct ae_vip_stats, bytes) },
		{ "anyedge_vip_new_flows_total", "New flows the XDP program placed on a backend.",
		  offsetof(struct ae_vip_stats, new_flows) },
	};
	struct ae_vip_stats *st;
	uint64_t reasons[AE_REASON_MAX];
	bool *have;
	size_t v, k;
	int r;

	if (!a->o.dp)
		return;
	st = calloc(s->n_vips + 1, sizeof(*st));
	have = calloc(s->n_vips + 1, sizeof(*have));
	if (!st || !have)
		goto out;
	for (v = 0; v < s->n_vips; v++)
		have[v] = !dp_read_vip_stats_slot(a->o.dp, s->vips[v].stats_slot, &st[v]);
	for (k = 0; k < sizeof(vs) / sizeof(vs[0]); k++) {
		met_head(f, vs[k].name, "counter", vs[k].help);
		for (v = 0; v < s->n_vips; v++) {
			if (!have[v])
				continue;
			fprintf(f, "%s{vip=\"", vs[k].name);
			met_label(f, s->vips[v].name);
			fprintf(f, "\",address=\"%s\"} %llu\n", s->vips[v].addr,
				(unsigned long long)*(uint64_t *)((char *)&st[v] + vs[k].off));
		}
	}
	if (!dp_read_reasons(a->o.dp, reasons)) {
		met_head(f, "anyedge_xdp_unsteered_packets_total", "counter",
			 "Packets the XDP program passed to the kernel or dropped, by reason.");
		for (r = 0; r < AE_REASON_MAX; r++)
			fprintf(f,
				"anyedge_xdp_unsteered_packets_total{action=\"%s\",reason=\"%s\"} "
				"%llu\n",
				r <= AE_PASS_MALFORMED ? "pass" : "drop", dp_reason_name(r),
				(unsigned long long)reasons[r]);
	}
out:
	free(st);
	free(have);
}

static void met_backend_labels(FILE *f, const struct snapshot *s, const struct snap_backend *b)
{
	fputs("{region=\"", f);
	met_label(f, b->region < s->n_regions ? s->regions[b->region].name : "");
	fprintf(f, "\",backend=\"%s\"}", b->addr);
}

static void met_backends(FILE *f, const struct snapshot *s)
{
	size_t i;

	met_head(f, "anyedge_backend_up", "gauge", "1 when the backend passes its probes.");
	for (i = 0; i < s->n_backends; i++) {
		fputs("anyedge_backend_up", f);
		met_backend_labels(f, s, &s->backends[i]);
		fprintf(f, " %d\n", s->backends[i].up);
	}
	met_head(f, "anyedge_backend_drained", "gauge",
		 "1 when the operator drained the backend (no new flows).");
	for (i = 0; i < s->n_backends; i++) {
		fputs("anyedge_backend_drained", f);
		met_backend_labels(f, s, &s->backends[i]);
		fprintf(f, " %d\n", s->backends[i].admin_drained);
	}
	met_head(f, "anyedge_backend_draining", "gauge",
		 "1 when the backend reports system_mode draining.");
	for (i = 0; i < s->n_backends; i++) {
		fputs("anyedge_backend_draining", f);
		met_backend_labels(f, s, &s->backends[i]);
		fprintf(f, " %d\n", s->backends[i].draining);
	}
	met_head(f, "anyedge_backend_weight", "gauge", "The backend's weight in its region.");
	for (i = 0; i < s->n_backends; i++) {
		fputs("anyedge_backend_weight", f);
		met_backend_labels(f, s, &s->backends[i]);
		fprintf(f, " %u\n", s->backends[i].weight);
	}
	met_head(f, "anyedge_backend_probe_latency_seconds", "gauge",
		 "Duration of the backend's last probe.");
	for (i = 0; i < s->n_backends; i++) {
		if (!s->backends[i].probed)
			continue;
		fputs("anyedge_backend_probe_latency_seconds", f);
		met_backend_labels(f, s, &s->backends[i]);
		fprintf(f, " %.6f\n", s->backends[i].last.latency_us / 1e6);
	}
	met_head(f, "anyedge_backend_last_probe_timestamp_seconds", "gauge",
		 "When the backend's last probe finished (Unix time).");
	for (i = 0; i < s->n_backends; i++) {
		if (!s->backends[i].probed)
			continue;
		fputs("anyedge_backend_last_probe_timestamp_seconds", f);
		met_backend_labels(f, s, &s->backends[i]);
		fprintf(f, " %.3f\n", s->backends[i].last_ms / 1e3);
	}
	met_head(f, "anyedge_backend_replica_lag_seconds", "gauge",
		 "Replica lag the backend reported in its last probe.");
	for (i = 0; i < s->n_backends; i++) {
		if (!s->backends[i].probed || !s->backends[i].last.has_lag)
			continue;
		fputs("anyedge_backend_replica_lag_seconds", f);
		met_backend_labels(f, s, &s->backends[i]);
		fprintf(f, " %.3f\n", s->backends[i].last.replica_lag_s);
	}
}

static void met_regions(FILE *f, const struct snapshot *s)
{
	size_t i, k;

	met_head(f, "anyedge_region_up", "gauge", "1 when the region has min_healthy backends up.");
	for (i = 0; i < s->n_regions; i++) {
		fputs("anyedge_region_up{region=\"", f);
		met_label(f, s->regions[i].name);
		fprintf(f, "\"} %d\n", s->regions[i].up);
	}
	met_head(f, "anyedge_region_backends_passing", "gauge", "Backends of the region up.");
	for (i = 0; i < s->n_regions; i++) {
		fputs("anyedge_region_backends_passing{region=\"", f);
		met_label(f, s->regions[i].name);
		fprintf(f, "\"} %u\n", s->regions[i].passing);
	}
	met_head(f, "anyedge_region_state_since_timestamp_seconds", "gauge",
		 "When the region last changed state (Unix time).");
	for (i = 0; i < s->n_regions; i++) {
		fputs("anyedge_region_state_since_timestamp_seconds{region=\"", f);
		met_label(f, s->regions[i].name);
		fprintf(f, "\"} %.3f\n", s->regions[i].since_ms / 1e3);
	}
	met_head(f, "anyedge_region_replica_lag_seconds", "gauge",
		 "The largest replica lag the region's up backends report.");
	for (i = 0; i < s->n_regions; i++) {
		if (!s->regions[i].has_lag)
			continue;
		fputs("anyedge_region_replica_lag_seconds{region=\"", f);
		met_label(f, s->regions[i].name);
		fprintf(f, "\"} %.3f\n", s->regions[i].replica_lag_s);
	}
	met_head(f, "anyedge_vip_serving_region", "gauge",
		 "1 for the region an active-passive VIP sends its flows to.");
	for (i = 0; i < s->n_vips; i++) {
		if (s->vips[i].mode != AE_MODE_ACTIVE_PASSIVE)
			continue;
		for (k = 0; k < s->vips[i].n_regions; k++) {
			uint8_t r = s->vips[i].regions[k];

			if (r >= s->n_regions)
				continue;
			fputs("anyedge_vip_serving_region{vip=\"", f);
			met_label(f, s->vips[i].name);
			fputs("\",region=\"", f);
			met_label(f, s->regions[r].name);
			fprintf(f, "\"} %d\n", r == s->vips[i].serving);
		}
	}
}

static void met_counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	met_head(f, name, "counter", help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

static void met_gauge(FILE *f, const char *name, const char *help, double v)
{
	met_head(f, name, "gauge", help);
	/* 15 digits: whole for flags, milliseconds for Unix timestamps */
	fprintf(f, "%s %.15g\n", name, v);
}

/* The guard, one series per reason so an alert can name the evidence. */
static void met_guard(FILE *f, const struct snapshot *s)
{
	enum guard_reason g;

	met_head(f, "anyedge_guard", "gauge",
		 "1 for the reason the guard holds steering frozen (the edge looks blind).");
	for (g = GUARD_NONE + 1; g < GUARD_N; g++)
		fprintf(f, "anyedge_guard{reason=\"%s\"} %d\n", health_guard_name(g),
			!strcmp(s->guard, health_guard_name(g)));
	met_head(f, "anyedge_guard_entered_total", "counter",
		 "Times the guard took hold, per reason.");
	for (g = GUARD_NONE + 1; g < GUARD_N; g++)
		fprintf(f, "anyedge_guard_entered_total{reason=\"%s\"} %llu\n",
			health_guard_name(g), (unsigned long long)s->guard_entered[g]);
	met_gauge(f, "anyedge_guard_settling",
		  "1 while a fall waits out its settle window before it is applied.", s->settling);
}

static void met_edge(FILE *f, const struct api *a, const struct snapshot *s)
{
	uint64_t age = api_beat_age_ms(a);

	met_head(f, "anyedge_info", "gauge", "The edge this daemon runs, as labels.");
	fputs("anyedge_info{edge=\"", f);
	met_label(f, s->edge);
	fputs("\",region=\"", f);
	met_label(f, s->home_region);
	fprintf(f, "\",interface=\"%s\",attach_mode=\"%s\"} 1\n", s->interface, s->attach_mode);
	met_head(f, "anyedge_build_info", "gauge", "This daemon's build, as labels.");
	fputs("anyedge_build_info{version=\"", f);
	met_label(f, anyedge_version());
	fprintf(f, "\",abi=\"%u\",libbpf=\"%s\"} 1\n", AE_ABI_VERSION, libbpf_version_string());
	met_gauge(f, "anyedge_ready", "1 when /health/ready answers READY.",
		  s->ready && age <= API_STALL_MS);
	met_gauge(f, "anyedge_attached", "1 while the XDP program is attached.", s->attached);
	met_gauge(f, "anyedge_link_up", "1 while the edge's interface has carrier.", s->link_up);
	met_guard(f, s);
	met_gauge(f, "anyedge_draining", "1 while the operator has drained the whole edge.",
		  s->draining);
	met_gauge(f, "anyedge_bgp_connected", "1 while the daemon talks to BIRD.",
		  s->bird_connected);
	met_gauge(f, "anyedge_loop_heartbeat_age_seconds",
		  "Time since the daemon's event loop last ran.",
		  age == UINT64_MAX ? -1.0 : age / 1e3);
	met_counter(f, "anyedge_api_connections_cut_total",
		    "API connections closed for not finishing a request in time, or to make room.",
		    api_guard_cut(a->guard));
	met_counter(f, "anyedge_reloads_total", "Policy reloads applied.", s->reloads);
	met_counter(f, "anyedge_reload_failures_total", "Policy reloads refused or rolled back.",
		    s->reload_failures);
	met_gauge(f, "anyedge_last_reload_timestamp_seconds",
		  "When the last reload was applied (Unix time; 0: none).",
		  s->last_reload_ms / 1e3);
	met_counter(f, "anyedge_failovers_total", "Operator promotions applied.", s->failovers);
	met_counter(f, "anyedge_failovers_refused_total",
		    "Operator promotions refused by the replica lag guard.", s->failovers_refused);
	met_gauge(f, "anyedge_last_failover_timestamp_seconds",
		  "When the last promotion was applied (Unix time; 0: none).",
		  s->last_failover_ms / 1e3);
}

static void met_bgp(FILE *f, const struct snapshot *s)
{
	const struct {
		const char *name, *help;
		uint64_t v;
	} c[] = {
		{ "anyedge_bgp_announcements_total", "Prefixes announced (or undrained).",
		  s->bgp.announces },
		{ "anyedge_bgp_withdrawals_total", "Prefixes withdrawn.", s->bgp.withdraws },
		{ "anyedge_bgp_suppressions_total", "Withdrawals after which damping suppressed.",
		  s->bgp.suppressions },
		{ "anyedge_bgp_reconciliations_total", "Comparisons with BIRD's protocols.",
		  s->bgp.reconciles },
		{ "anyedge_bgp_corrections_total", "Protocols BIRD ran otherwise than wanted.",
		  s->bgp.corrections },
		{ "anyedge_bgp_bird_errors_total", "Commands BIRD refused.", s->bgp.bird_errors },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		met_head(f, c[i].name, "counter", c[i].help);
		fprintf(f, "%s %llu\n", c[i].name, (unsigned long long)c[i].v);
	}
	met_gauge(f, "anyedge_bgp_last_change_timestamp_seconds",
		  "When an announcement last changed.", s->bgp.last_change_ms / 1e3);
	met_gauge(f, "anyedge_bgp_last_reply_seconds",
		  "Decision to BIRD's reply, for the last enable or disable.",
		  s->bgp.last_reply_ms / 1e3);
	met_head(f, "anyedge_bgp_announced", "gauge",
		 "1 while the VIP's prefix is announced (2 while draining).");
	for (i = 0; i < s->n_announce; i++) {
		const struct snap_announce *an = &s->announce[i];

		fputs("anyedge_bgp_announced{vip=\"", f);
		met_label(f, an->vip);
		fputs("\",prefix=\"", f);
		met_label(f, an->prefix);
		fprintf(f, "\"} %d\n",
			!strcmp(an->state, "announced") ? 1 :
			!strcmp(an->state, "draining")	? 2 :
							  0);
	}
	met_head(
		f, "anyedge_bgp_fleet_held", "gauge",
		"1 while the fleet keeps the prefix announced: no region up, no other member announces.");
	for (i = 0; i < s->n_announce; i++) {
		fputs("anyedge_bgp_fleet_held{vip=\"", f);
		met_label(f, s->announce[i].vip);
		fprintf(f, "\"} %d\n", s->announce[i].held);
	}
	met_head(f, "anyedge_bgp_damping_penalty", "gauge", "The prefix's damping penalty.");
	for (i = 0; i < s->n_announce; i++) {
		fputs("anyedge_bgp_damping_penalty{vip=\"", f);
		met_label(f, s->announce[i].vip);
		fprintf(f, "\"} %.1f\n", s->announce[i].penalty);
	}
}

static void met_fleet(FILE *f, const struct snapshot *s)
{
	const struct fleet_health *h = &s->fleet;
	size_t v;

	if (!s->has_fleet)
		return;
	met_gauge(f, "anyedge_fleet_etcd_reachable",
		  "1 while the last round with etcd went through.", h->reachable);
	met_gauge(f, "anyedge_fleet_members", "Members the policy names.", h->members);
	met_gauge(f, "anyedge_fleet_members_live", "Members with a live report.", h->live);
	met_gauge(f, "anyedge_fleet_quorum", "1 while a majority of members report.", h->quorum);
	met_counter(f, "anyedge_fleet_etcd_failures_total", "Rounds with etcd that failed.",
		    h->failures);
	met_head(f, "anyedge_fleet_promotions_total", "counter",
		 "Fleet promotions asked of this edge, by result.");
	fprintf(f, "anyedge_fleet_promotions_total{result=\"committed\"} %llu\n",
		(unsigned long long)h->promotions);
	fprintf(f, "anyedge_fleet_promotions_total{result=\"refused\"} %llu\n",
		(unsigned long long)h->promotions_refused);
	fprintf(f, "anyedge_fleet_promotions_total{result=\"lost_race\"} %llu\n",
		(unsigned long long)h->promotions_lost);
	met_head(
		f, "anyedge_fleet_epoch", "gauge",
		"The epoch of the fleet designation an active-passive VIP serves by (0: primary).");
	for (v = 0; v < s->n_vips; v++) {
		if (s->vips[v].mode != AE_MODE_ACTIVE_PASSIVE)
			continue;
		fputs("anyedge_fleet_epoch{vip=\"", f);
		met_label(f, s->vips[v].name);
		fprintf(f, "\"} %lld\n", (long long)s->vips[v].fleet_epoch);
	}
}

void api_metrics(struct api *a, const struct api_req *q, struct api_reply *r)
{
	const struct snapshot *s;
	size_t len = 0;
	char *buf = NULL;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f) {
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return;
	}
	api_rcu_thread();
	rcu_read_lock();
	s = snapshot_get(a->o.snap);
	if (s) {
		met_edge(f, a, s);
		met_regions(f, s);
		met_backends(f, s);
		met_traffic(f, a, s);
		met_bgp(f, s);
		met_fleet(f, s);
	}
	rcu_read_unlock();
	if (fclose(f) || !s) {
		free(buf);
		api_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "%s",
				s ? "out of memory" : "starting");
		return;
	}
	r->status = MHD_HTTP_OK;
	r->type = "text/plain; version=0.0.4; charset=utf-8";
	r->body = buf;
	r->len = len;
}
