/* SPDX-License-Identifier: GPL-2.0 */
/* A small etcd v3 client over its JSON gateway (libcurl + json-c): range, put, compare-and-swap
 * transactions, leases and a watch. Calls block for at most the handle's timeout per endpoint
 * tried, so they belong on a thread of their own, never on the controller's loop. One handle is
 * used by one thread at a time.
 *
 * Errors: -ETIMEDOUT (no answer in time: a write may still have applied, re-read), -EAGAIN (no
 * leader: etcd has lost its quorum; nothing applied), -ECONNREFUSED (no endpoint answered),
 * -ENOENT (lease not found), -EPROTO (an answer that makes no sense), -ENOMEM, -ECANCELED (a
 * watch told to stop). etcd_error() says why in words.
 */
#ifndef ANYEDGE_ETCD_CLIENT_H
#define ANYEDGE_ETCD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct etcd;

struct etcd_kv {
	char *key; /* NUL-terminated copies (values may hold NUL: use value_len) */
	char *value;
	size_t value_len;
	int64_t create_revision, mod_revision, version, lease;
};

struct etcd_kvs {
	struct etcd_kv *kv;
	size_t n;
	int64_t revision; /* the store's revision when read */
};

/* endpoints: "http://host:port" each; tried in turn from the last one that answered. */
int etcd_new(const char *const *endpoints, size_t n, uint32_t timeout_ms, struct etcd **out);
void etcd_free(struct etcd *c);
/* The last failure in words ("http://...: etcdserver: no leader"); "" after a success. */
const char *etcd_error(const struct etcd *c);
/* The endpoint that answered last. */
const char *etcd_endpoint(const struct etcd *c);

/* What a handle has cost etcd: requests (a watch counts once) and bytes both ways. */
struct etcd_stats {
	uint64_t requests, bytes_out, bytes_in;
};
void etcd_get_stats(const struct etcd *c, struct etcd_stats *st);

void etcd_kvs_free(struct etcd_kvs *k);

/* Linearizable read of key, or of every key starting with it when prefix. */
int etcd_range(struct etcd *c, const char *key, bool prefix, struct etcd_kvs *out);
/* Put key (lease 0: none); *rev (may be NULL) the revision it made. */
int etcd_put(struct etcd *c, const char *key, const void *val, size_t len, int64_t lease,
	     int64_t *rev);

/* Delete key (absent is no error). */
int etcd_delete(struct etcd *c, const char *key);

/* One key of a compare-and-swap: it must still be at mod_revision (0: must not exist). */
struct etcd_cas {
	const char *key;
	int64_t mod_revision;
	const void *value;
	size_t value_len;
	int64_t lease;
};

/* Every key still at its revision: all are put at once, *ok true, *rev the new revision. Else
 * nothing is written, *ok false, and now (may be NULL) holds those keys as they are.
 */
int etcd_cas(struct etcd *c, const struct etcd_cas *ops, size_t n, bool *ok, int64_t *rev,
	     struct etcd_kvs *now);

int etcd_lease_grant(struct etcd *c, int64_t ttl_s, int64_t *id);
/* -ENOENT when the lease has expired (or never was). */
int etcd_lease_keepalive(struct etcd *c, int64_t id, int64_t *ttl_s);
int etcd_lease_revoke(struct etcd *c, int64_t id);

/* A watch event: a put, or a delete (kv.value empty). */
struct etcd_event {
	bool deleted;
	struct etcd_kv kv;
};

/* Called for each batch of events; a non-zero return ends the watch with it. */
typedef int (*etcd_watch_fn)(void *ctx, const struct etcd_event *ev, size_t n, int64_t revision);

/* Watch every key under prefix from start_rev (0: from now) until *stop turns true (seen within
 * ~1 s), the stream ends (-EPIPE; -ESTALE when start_rev was compacted) or fn says stop. Blocks.
 * *last_rev: the revision seen last (resume from last_rev + 1).
 */
int etcd_watch(struct etcd *c, const char *prefix, int64_t start_rev, etcd_watch_fn fn, void *ctx,
	       const bool *stop, int64_t *last_rev);

#endif /* ANYEDGE_ETCD_CLIENT_H */
