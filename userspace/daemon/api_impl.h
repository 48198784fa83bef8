/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the API: the server (api.c) hands each complete request to a route handler
 * (api_routes.c: health, state, writes; api_metrics.c: /metrics), which fills a reply.
 */
#ifndef ANYEDGE_API_IMPL_H
#define ANYEDGE_API_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "api.h"

/* 422 is MHD_HTTP_UNPROCESSABLE_ENTITY or _CONTENT depending on libmicrohttpd's age */
#define API_HTTP_UNPROCESSABLE 422

struct api {
	struct api_opts o;
	struct MHD_Daemon *mhd;
	struct api_guard *guard; /* slow clients (api_guard.c) */
	char token[512];
	size_t token_len;
	bool has_token;
	char unix_path[108]; /* unlinked at stop; "" for TCP */
	char listen[256];
};

struct api_reply {
	int status;
	const char *type; /* Content-Type */
	char *body; /* malloc'd; sent and freed by the server */
	size_t len;
	const char *allow; /* Allow: header for 405 */
};

struct api_req {
	const char *method;
	const char *body;
	size_t len;
};

/* Every handler fills r (status, body) and returns nothing: failures are replies too. */
typedef void (*api_handler)(struct api *a, const struct api_req *q, struct api_reply *r);

void api_health_shallow(struct api *a, const struct api_req *q, struct api_reply *r);
void api_health_ready(struct api *a, const struct api_req *q, struct api_reply *r);
void api_state(struct api *a, const struct api_req *q, struct api_reply *r);
void api_failover(struct api *a, const struct api_req *q, struct api_reply *r);
void api_drain(struct api *a, const struct api_req *q, struct api_reply *r);
void api_undrain(struct api *a, const struct api_req *q, struct api_reply *r);
void api_reload(struct api *a, const struct api_req *q, struct api_reply *r);
void api_metrics(struct api *a, const struct api_req *q, struct api_reply *r);
void api_fleet(struct api *a, const struct api_req *q, struct api_reply *r);

/* Replies: a JSON object (consumed), or {"error": msg} with status. */
void api_reply_json(struct api_reply *r, int status, struct json_object *o);
void api_reply_error(struct api_reply *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* This thread may read the snapshot: registers it with RCU once, unregistered at its exit. */
void api_rcu_thread(void);
/* The loop's heartbeat age in ms (UINT64_MAX before the first beat). */
uint64_t api_beat_age_ms(const struct api *a);
/* "2024-05-01T12:00:00.123Z" from CLOCK_REALTIME ms. */
const char *api_iso_time(uint64_t ms, char *buf, size_t len);

#endif /* ANYEDGE_API_IMPL_H */
