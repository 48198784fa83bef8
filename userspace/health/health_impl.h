/* SPDX-License-Identifier: GPL-2.0 */
/* Internals shared by health.c (backends, views, rebind), health_guard.c and health_region.c
 * (region state, active-passive serving, readiness). Not for other modules.
 */
#ifndef ANYEDGE_HEALTH_IMPL_H
#define ANYEDGE_HEALTH_IMPL_H

#include <stdarg.h>
#include <stddef.h>

#include "health.h"

#define HEALTH_EVIDENCE_MAX 8 /* backends named in one region event; the rest are counted */

/* Append printf output at *off in buf (len bytes), truncating quietly; *off never passes len. */
void health_append(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Region and position of backend index i (dp_backend_id order). */
size_t health_backend_region(const struct health *h, size_t i, size_t *k);
const struct policy_backend *health_backend_policy(const struct health *h, size_t i);
/* "198.51.100.21 (eu-west)" */
const char *health_backend_name(const struct health *h, size_t i, char *buf, size_t len);
/* The last probe of backend i in a few words: "failed 2x: HTTP 503", "passed 3x (1.2 ms)". */
void health_backend_evidence(const struct health *h, size_t i, char *buf, size_t len);

/* Record a state change: bump h->changes and, unless holding, refresh the last good view. */
void health_changed(struct health *h);

/* Region r recounted after a backend of it changed; logs a flip with evidence. cause is "" or
 * a short clause appended to the event ("policy reload"). Returns true when up flipped.
 */
bool health_region_update(struct health *h, size_t r, uint64_t now_ms, const char *cause);
/* Region r's replica lag from its up backends' last probes. */
void health_region_lag(struct health *h, size_t r);
/* The backends needed for region r to be up (>= 1). */
uint32_t health_region_need(const struct policy_region *pr);
/* auto_promote: local VIPs whose serving region is down move to an eligible region. */
void health_auto_promote(struct health *h, uint64_t now_ms);

/* The guard (health_guard.c): re-judge the evidence after a change (cause: what changed, or
 * ""). health_settle opens a settle window from from_ms for a fall seen at now_ms (what: for the
 * log) unless the guard holds or one is open; extend: push an open one to end a whole window
 * after from_ms. health_settle_pass: a probe started at started_ms passed (it may end the window).
 */
void health_eval_guard(struct health *h, uint64_t now_ms, const char *cause);
void health_settle(struct health *h, uint64_t now_ms, uint64_t from_ms, const char *what,
		   bool extend);
void health_settle_pass(struct health *h, uint64_t started_ms);

#endif /* ANYEDGE_HEALTH_IMPL_H */
