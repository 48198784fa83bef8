// SPDX-License-Identifier: GPL-2.0
/* etcd's v3 JSON gateway over libcurl (FIELD-NOTES "etcd 3.4"): keys and values are base64,
 * int64s are JSON strings and never go through a double, fields at their default value are
 * omitted (a missing "succeeded" is false), and every request carries
 * Grpc-Metadata-hasleader: true so that a member without quorum answers "no leader" at once
 * instead of holding the request for its own 7 s.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "etcd_client.h"

#define ETCD_MAX_ENDPOINTS 8
#define ETCD_REPLY_MAX (16 << 20) /* a larger answer is refused, not buffered */
#define ETCD_CONNECT_MAX_MS 1000

struct etcd {
	char *ep[ETCD_MAX_ENDPOINTS];
	size_t n_ep, cur;
	uint32_t timeout_ms;
	CURL *curl;
	struct curl_slist *hdrs;
	char err[512];
	/* the answer being received */
	char *buf;
	size_t len, cap;
	bool overflow;
	struct etcd_stats st;
};

/* ---- base64 (RFC 4648, with padding), as the gateway wants bytes ---- */

static const char b64_abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_enc(const void *data, size_t len)
{
	const unsigned char *s = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64_abc[s[i] >> 2];
		*o++ = b64_abc[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		*o++ = b64_abc[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		*o++ = b64_abc[s[i + 2] & 63];
	}
	if (i < len) {
		*o++ = b64_abc[s[i] >> 2];
		if (i + 1 < len) {
			*o++ = b64_abc[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
			*o++ = b64_abc[(s[i + 1] & 15) << 2];
		} else {
			*o++ = b64_abc[(s[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int b64_val(char ch)
{
	const char *p = ch ? strchr(b64_abc, ch) : NULL;

	return p ? (int)(p - b64_abc) : -1;
}

/* Decoded into a new NUL-terminated buffer; NULL on bad input or no memory. */
static char *b64_dec(const char *s, size_t *out_len)
{
	size_t n = strlen(s), i, o = 0;
	unsigned int acc = 0, bits = 0;
	char *out;
	int v;

	while (n && s[n - 1] == '=')
		n--;
	out = malloc(n * 3 / 4 + 1);
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		v = b64_val(s[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* ---- JSON pieces ---- */

/* An int64 the gateway sends as a string (or, defensively, as a number); 0 when absent. */
static int64_t js_i64(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return strtoll(json_object_get_string(v), NULL, 10);
	return json_object_get_int64(v);
}

static void js_add_i64(struct json_object *o, const char *key, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	json_object_object_add(o, key, json_object_new_string(buf));
}

static int js_add_b64(struct json_object *o, const char *key, const void *data, size_t len)
{
	char *e = b64_enc(data, len);

	if (!e)
		return -ENOMEM;
	json_object_object_add(o, key, json_object_new_string(e));
	free(e);
	return 0;
}

/* The key just past every key starting with prefix: its last byte below 0xff plus one. */
static int prefix_end(const char *prefix, char **out, size_t *len)
{
	size_t n = strlen(prefix);
	char *e = malloc(n + 1);

	if (!e)
		return -ENOMEM;
	memcpy(e, prefix, n + 1);
	while (n && (unsigned char)e[n - 1] == 0xff)
		n--;
	if (!n) {
		/* every key: "\0" means "to the end" to etcd */
		e[0] = '\0';
		*len = 1;
	} else {
		e[n - 1]++;
		*len = n;
	}
	*out = e;
	return 0;
}

static int kv_parse(struct json_object *o, struct etcd_kv *kv)
{
	struct json_object *k, *v;

	memset(kv, 0, sizeof(*kv));
	if (!json_object_object_get_ex(o, "key", &k))
		return -EPROTO;
	kv->key = b64_dec(json_object_get_string(k), &kv->value_len);
	if (!kv->key)
		return -EPROTO;
	if (json_object_object_get_ex(o, "value", &v))
		kv->value = b64_dec(json_object_get_string(v), &kv->value_len);
	else
		kv->value = b64_dec("", &kv->value_len);
	if (!kv->value)
		return -EPROTO;
	kv->create_revision = js_i64(o, "create_revision");
	kv->mod_revision = js_i64(o, "mod_revision");
	kv->version = js_i64(o, "version");
	kv->lease = js_i64(o, "lease");
	return 0;
}

static void kv_free(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
}

void etcd_kvs_free(struct etcd_kvs *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		kv_free(&k->kv[i]);
	free(k->kv);
	memset(k, 0, sizeof(*k));
}

/* Append the kvs array of a range response to out. */
static int kvs_add(struct etcd_kvs *out, struct json_object *resp)
{
	struct json_object *arr;
	struct etcd_kv *nk;
	size_t i, n;
	int err;

	if (!json_object_object_get_ex(resp, "kvs", &arr))
		return 0; /* no key: the field is omitted */
	n = json_object_array_length(arr);
	nk = realloc(out->kv, (out->n + n + 1) * sizeof(*nk));
	if (!nk)
		return -ENOMEM;
	out->kv = nk;
	for (i = 0; i < n; i++) {
		err = kv_parse(json_object_array_get_idx(arr, i), &out->kv[out->n]);
		if (err)
			return err;
		out->n++;
	}
	return 0;
}

/* ---- the handle and one request ---- */

static size_t on_data(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct etcd *c = ctx;
	size_t n = size * nmemb, cap;
	char *nb;

	if (c->len + n + 1 > ETCD_REPLY_MAX) {
		c->overflow = true;
		return 0;
	}
	if (c->len + n + 1 > c->cap) {
		cap = (c->len + n + 1) * 2;
		nb = realloc(c->buf, cap);
		if (!nb)
			return 0;
		c->buf = nb;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	c->st.bytes_in += n;
	c->buf[c->len] = '\0';
	return n;
}

int etcd_new(const char *const *endpoints, size_t n, uint32_t timeout_ms, struct etcd **out)
{
	struct etcd *c;
	size_t i;

	if (!n || n > ETCD_MAX_ENDPOINTS || !timeout_ms)
		return -EINVAL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->timeout_ms = timeout_ms;
	for (i = 0; i < n; i++) {
		c->ep[i] = strdup(endpoints[i]);
		if (!c->ep[i])
			goto nomem;
		c->n_ep++;
	}
	c->curl = curl_easy_init();
	c->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (c->hdrs)
		c->hdrs = curl_slist_append(c->hdrs, "Grpc-Metadata-hasleader: true");
	if (!c->curl || !c->hdrs)
		goto nomem;
	*out = c;
	return 0;
nomem:
	etcd_free(c);
	return -ENOMEM;
}

void etcd_free(struct etcd *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_ep; i++)
		free(c->ep[i]);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->hdrs);
	free(c->buf);
	free(c);
}

const char *etcd_error(const struct etcd *c)
{
	return c->err;
}

void etcd_get_stats(const struct etcd *c, struct etcd_stats *st)
{
	*st = c->st;
}

const char *etcd_endpoint(const struct etcd *c)
{
	return c->ep[c->cur];
}

/* The message of an error answer: {"error": ..., "message": ..., "code": N} in one of its two
 * shapes; the HTTP status when there is none.
 */
static void reply_message(const char *body, long status, char *buf, size_t len)
{
	struct json_object *o = json_tokener_parse(body), *m;

	if (o &&
	    (json_object_object_get_ex(o, "message", &m) ||
	     json_object_object_get_ex(o, "error", &m)) &&
	    json_object_is_type(m, json_type_string))
		snprintf(buf, len, "%s", json_object_get_string(m));
	else
		snprintf(buf, len, "HTTP %ld", status);
	json_object_put(o);
}

/* The error an answer's words stand for. */
static int status_errno(long status, const char *msg)
{
	if (strstr(msg, "no leader") || status == 503)
		return -EAGAIN;
	if (strstr(msg, "lease not found") || strstr(msg, "requested lease not found"))
		return -ENOENT;
	if (strstr(msg, "timed out") || strstr(msg, "leader changed"))
		return -ETIMEDOUT;
	return -EPROTO;
}

static void curl_common(struct etcd *c, const char *url, uint32_t timeout_ms)
{
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(timeout_ms < ETCD_CONNECT_MAX_MS ? timeout_ms :
								   ETCD_CONNECT_MAX_MS));
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	c->len = 0;
	c->overflow = false;
	if (c->buf)
		c->buf[0] = '\0';
}

/* One attempt at one endpoint. sent: the request may have reached etcd. */
static int post_once(struct etcd *c, size_t ep, const char *path, const char *body,
		     struct json_object **reply, bool *sent)
{
	char url[512], msg[256];
	CURLcode res;
	long status = 0;
	double connect = 0;
	int err;

	snprintf(url, sizeof(url), "%s%s", c->ep[ep], path);
	curl_common(c, url, c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	c->st.requests++;
	c->st.bytes_out += strlen(body);
	res = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_CONNECT_TIME, &connect);
	*sent = connect > 0;
	if (res != CURLE_OK) {
		snprintf(c->err, sizeof(c->err), "%s: %s", c->ep[ep], curl_easy_strerror(res));
		if (res == CURLE_OPERATION_TIMEDOUT)
			return *sent ? -ETIMEDOUT : -ECONNREFUSED;
		if (c->overflow)
			return -EPROTO;
		return *sent ? -ETIMEDOUT : -ECONNREFUSED;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		reply_message(c->buf ? c->buf : "", status, msg, sizeof(msg));
		snprintf(c->err, sizeof(c->err), "%s: %s", c->ep[ep], msg);
		err = status_errno(status, msg);
		/* refused before doing anything: another member may do it */
		if (err == -EAGAIN)
			*sent = false;
		return err;
	}
	*reply = json_tokener_parse(c->buf ? c->buf : "");
	if (!*reply) {
		snprintf(c->err, sizeof(c->err), "%s: an answer that is not JSON", c->ep[ep]);
		return -EPROTO;
	}
	return 0;
}

/* POST body to path, trying each endpoint from the one that answered last. A request that may
 * have reached etcd is tried again elsewhere only when repeating it is harmless (idem).
 */
static int etcd_post(struct etcd *c, const char *path, struct json_object *body, bool idem,
		     struct json_object **reply)
{
	const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	int err = -ECONNREFUSED, e;
	char first[sizeof(c->err)] = "";
	bool sent;
	size_t i, ep;

	*reply = NULL;
	for (i = 0; i < c->n_ep; i++) {
		ep = (c->cur + i) % c->n_ep;
		e = post_once(c, ep, path, text, reply, &sent);
		if (!e) {
			c->cur = ep;
			c->err[0] = '\0';
			return 0;
		}
		/* the most telling failure: no leader or a timeout over a refused connection */
		if (e != -ECONNREFUSED || err == -ECONNREFUSED) {
			err = e;
			snprintf(first, sizeof(first), "%s", c->err);
		}
		if (e == -ENOENT || e == -EPROTO || e == -ENOMEM || (sent && !idem))
			break;
	}
	snprintf(c->err, sizeof(c->err), "%s", first);
	return err;
}

/* ---- the requests ---- */

static int range_body(struct json_object *o, const char *key, bool prefix)
{
	char *end;
	size_t elen;
	int err;

	err = js_add_b64(o, "key", key, strlen(key));
	if (err || !prefix)
		return err;
	err = prefix_end(key, &end, &elen);
	if (err)
		return err;
	err = js_add_b64(o, "range_end", end, elen);
	free(end);
	return err;
}

int etcd_range(struct etcd *c, const char *key, bool prefix, struct etcd_kvs *out)
{
	struct json_object *body = json_object_new_object(), *reply = NULL, *hdr;
	int err;

	memset(out, 0, sizeof(*out));
	err = range_body(body, key, prefix);
	if (!err)
		err = etcd_post(c, "/v3/kv/range", body, true, &reply);
	if (!err) {
		if (json_object_object_get_ex(reply, "header", &hdr))
			out->revision = js_i64(hdr, "revision");
		err = kvs_add(out, reply);
		if (err)
			etcd_kvs_free(out);
	}
	json_object_put(body);
	json_object_put(reply);
	return err;
}

int etcd_put(struct etcd *c, const char *key, const void *val, size_t len, int64_t lease,
	     int64_t *rev)
{
	struct json_object *body = json_object_new_object(), *reply = NULL, *hdr;
	int err;

	err = js_add_b64(body, "key", key, strlen(key));
	if (!err)
		err = js_add_b64(body, "value", val, len);
	if (!err && lease)
		js_add_i64(body, "lease", lease);
	if (!err)
		err = etcd_post(c, "/v3/kv/put", body, true, &reply);
	if (!err && rev)
		*rev = json_object_object_get_ex(reply, "header", &hdr) ? js_i64(hdr, "revision") :
									  0;
	json_object_put(body);
	json_object_put(reply);
	return err;
}

int etcd_delete(struct etcd *c, const char *key)
{
	struct json_object *body = json_object_new_object(), *reply = NULL;
	int err;

	err = js_add_b64(body, "key", key, strlen(key));
	if (!err)
		err = etcd_post(c, "/v3/kv/deleterange", body, true, &reply);
	json_object_put(body);
	json_object_put(reply);
	return err;
}

/* The failure branch's answers: one response_range per key. */
static int txn_ranges(struct json_object *reply, struct etcd_kvs *now)
{
	struct json_object *arr, *rr;
	size_t i;
	int err;

	if (!json_object_object_get_ex(reply, "responses", &arr))
		return 0;
	for (i = 0; i < json_object_array_length(arr); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(arr, i), "response_range",
					       &rr))
			continue;
		err = kvs_add(now, rr);
		if (err)
			return err;
	}
	return 0;
}

int etcd_cas(struct etcd *c, const struct etcd_cas *ops, size_t n, bool *ok, int64_t *rev,
	     struct etcd_kvs *now)
{
	struct json_object *body = json_object_new_object(), *reply = NULL, *hdr, *sb;
	struct json_object *cmp = json_object_new_array(), *succ = json_object_new_array();
	struct json_object *fail = json_object_new_array(), *o, *put, *rng;
	int err = 0;
	size_t i;

	*ok = false;
	if (now)
		memset(now, 0, sizeof(*now));
	json_object_object_add(body, "compare", cmp);
	json_object_object_add(body, "success", succ);
	json_object_object_add(body, "failure", fail);
	for (i = 0; i < n && !err; i++) {
		o = json_object_new_object();
		json_object_array_add(cmp, o);
		err = js_add_b64(o, "key", ops[i].key, strlen(ops[i].key));
		json_object_object_add(o, "target", json_object_new_string("MOD"));
		json_object_object_add(o, "result", json_object_new_string("EQUAL"));
		js_add_i64(o, "mod_revision", ops[i].mod_revision);

		put = json_object_new_object();
		o = json_object_new_object();
		json_object_object_add(o, "request_put", put);
		json_object_array_add(succ, o);
		if (!err)
			err = js_add_b64(put, "key", ops[i].key, strlen(ops[i].key));
		if (!err)
			err = js_add_b64(put, "value", ops[i].value, ops[i].value_len);
		if (ops[i].lease)
			js_add_i64(put, "lease", ops[i].lease);

		rng = json_object_new_object();
		o = json_object_new_object();
		json_object_object_add(o, "request_range", rng);
		json_object_array_add(fail, o);
		if (!err)
			err = js_add_b64(rng, "key", ops[i].key, strlen(ops[i].key));
	}
	/* never twice: a timed-out swap may have applied, and only a re-read can tell */
	if (!err)
		err = etcd_post(c, "/v3/kv/txn", body, false, &reply);
	if (!err) {
		*ok = json_object_object_get_ex(reply, "succeeded", &sb) &&
		      json_object_get_boolean(sb);
		if (rev)
			*rev = json_object_object_get_ex(reply, "header", &hdr) ?
				       js_i64(hdr, "revision") :
				       0;
		if (!*ok && now) {
			err = txn_ranges(reply, now);
			if (!err && json_object_object_get_ex(reply, "header", &hdr))
				now->revision = js_i64(hdr, "revision");
		}
	}
	json_object_put(body);
	json_object_put(reply);
	return err;
}

int etcd_lease_grant(struct etcd *c, int64_t ttl_s, int64_t *id)
{
	struct json_object *body = json_object_new_object(), *reply = NULL;
	int err;

	/* TTL is an int64 too: a string, like every other */
	js_add_i64(body, "TTL", ttl_s);
	err = etcd_post(c, "/v3/lease/grant", body, true, &reply);
	if (!err) {
		*id = js_i64(reply, "ID");
		if (!*id) {
			snprintf(c->err, sizeof(c->err), "%s: lease grant without an ID",
				 c->ep[c->cur]);
			err = -EPROTO;
		}
	}
	json_object_put(body);
	json_object_put(reply);
	return err;
}

int etcd_lease_keepalive(struct etcd *c, int64_t id, int64_t *ttl_s)
{
	struct json_object *body = json_object_new_object(), *reply = NULL, *res;
	int64_t ttl = 0;
	int err;

	js_add_i64(body, "ID", id);
	err = etcd_post(c, "/v3/lease/keepalive", body, true, &reply);
	if (!err) {
		/* the answer is one stream message: {"result": {..., "TTL": "5"}} */
		if (json_object_object_get_ex(reply, "result", &res))
			ttl = js_i64(res, "TTL");
		if (ttl <= 0) {
			snprintf(c->err, sizeof(c->err), "%s: lease %lld has expired",
				 c->ep[c->cur], (long long)id);
			err = -ENOENT;
		}
	}
	if (ttl_s)
		*ttl_s = ttl;
	json_object_put(body);
	json_object_put(reply);
	return err;
}

int etcd_lease_revoke(struct etcd *c, int64_t id)
{
	struct json_object *body = json_object_new_object(), *reply = NULL;
	int err;

	js_add_i64(body, "ID", id);
	err = etcd_post(c, "/v3/lease/revoke", body, true, &reply);
	json_object_put(body);
	json_object_put(reply);
	return err;
}

/* ---- the watch: one JSON object per line, for as long as it lasts ---- */

struct watch_ctx {
	struct etcd *c;
	etcd_watch_fn fn;
	void *ctx;
	const bool *stop;
	int64_t last_rev;
	int err; /* what ended it, when not the transfer */
	size_t used; /* bytes of c->buf already handled */
};

static int watch_events(struct watch_ctx *w, struct json_object *res)
{
	struct json_object *arr, *ev, *kv, *t;
	struct etcd_event *evs;
	int64_t rev = 0;
	size_t i, n;
	int err = 0;

	if (!json_object_object_get_ex(res, "events", &arr))
		return 0;
	n = json_object_array_length(arr);
	evs = calloc(n ? n : 1, sizeof(*evs));
	if (!evs)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		ev = json_object_array_get_idx(arr, i);
		evs[i].deleted = json_object_object_get_ex(ev, "type", &t) &&
				 !strcmp(json_object_get_string(t), "DELETE");
		if (!json_object_object_get_ex(ev, "kv", &kv)) {
			err = -EPROTO;
			break;
		}
		err = kv_parse(kv, &evs[i].kv);
		if (!err && evs[i].kv.mod_revision > rev)
			rev = evs[i].kv.mod_revision;
	}
	if (!err) {
		if (rev > w->last_rev)
			w->last_rev = rev;
		err = w->fn(w->ctx, evs, n, w->last_rev);
	}
	for (i = 0; i < n; i++)
		kv_free(&evs[i].kv);
	free(evs);
	return err;
}

static int watch_line(struct watch_ctx *w, const char *line)
{
	struct json_object *o = json_tokener_parse(line), *res, *hdr, *v;
	int err = 0;

	if (!o)
		return -EPROTO;
	if (json_object_object_get_ex(o, "error", &v)) {
		snprintf(w->c->err, sizeof(w->c->err), "%s: watch: %s", w->c->ep[w->c->cur],
			 json_object_get_string(v));
		err = -EPIPE;
	} else if (json_object_object_get_ex(o, "result", &res)) {
		if (js_i64(res, "compact_revision")) {
			snprintf(w->c->err, sizeof(w->c->err), "%s: watch: revision %lld compacted",
				 w->c->ep[w->c->cur], (long long)js_i64(res, "compact_revision"));
			err = -ESTALE;
		} else if (json_object_object_get_ex(res, "canceled", &v) &&
			   json_object_get_boolean(v)) {
			snprintf(w->c->err, sizeof(w->c->err), "%s: watch canceled",
				 w->c->ep[w->c->cur]);
			err = -EPIPE;
		} else {
			/* progress: a created or idle answer still says how far the store is */
			if (json_object_object_get_ex(res, "header", &hdr) &&
			    js_i64(hdr, "revision") > w->last_rev &&
			    !json_object_object_get_ex(res, "events", &v))
				w->last_rev = js_i64(hdr, "revision");
			err = watch_events(w, res);
		}
	}
	json_object_put(o);
	return err;
}

static size_t on_watch_data(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct watch_ctx *w = ctx;
	size_t n = on_data(p, size, nmemb, w->c);
	char *nl;

	if (n != size * nmemb)
		return 0;
	while ((nl = memchr(w->c->buf + w->used, '\n', w->c->len - w->used))) {
		*nl = '\0';
		w->err = watch_line(w, w->c->buf + w->used);
		w->used = nl + 1 - w->c->buf;
		if (w->err)
			return 0;
	}
	/* keep only the unfinished line */
	memmove(w->c->buf, w->c->buf + w->used, w->c->len - w->used);
	w->c->len -= w->used;
	w->used = 0;
	return n;
}

static int on_watch_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct watch_ctx *w = ctx;

	if (__atomic_load_n(w->stop, __ATOMIC_RELAXED)) {
		w->err = -ECANCELED;
		return 1;
	}
	return 0;
}

int etcd_watch(struct etcd *c, const char *prefix, int64_t start_rev, etcd_watch_fn fn, void *ctx,
	       const bool *stop, int64_t *last_rev)
{
	struct json_object *body = json_object_new_object(), *cr = json_object_new_object();
	struct watch_ctx w = { .c = c, .fn = fn, .ctx = ctx, .stop = stop };
	char url[512];
	CURLcode res;
	int err;

	w.last_rev = start_rev > 0 ? start_rev - 1 : 0;
	json_object_object_add(body, "create_request", cr);
	err = range_body(cr, prefix, true);
	if (start_rev > 0)
		js_add_i64(cr, "start_revision", start_rev);
	if (err)
		goto out;
	snprintf(url, sizeof(url), "%s/v3/watch", c->ep[c->cur]);
	curl_common(c, url, 0);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS,
			 json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_watch_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_watch_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, &w);
	/* a member that vanishes without a word (a partition) must not hold the watch forever */
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPINTVL, 1L);
	c->st.requests++;
	res = curl_easy_perform(c->curl);
	if (w.err) {
		err = w.err;
	} else if (res != CURLE_OK) {
		snprintf(c->err, sizeof(c->err), "%s: watch: %s", c->ep[c->cur],
			 curl_easy_strerror(res));
		err = res == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -EPIPE;
	} else {
		snprintf(c->err, sizeof(c->err), "%s: watch ended", c->ep[c->cur]);
		err = -EPIPE;
	}
	/* the next attempt starts from another member: this one may be the one in trouble */
	if (err == -ECONNREFUSED || err == -EPIPE)
		c->cur = (c->cur + 1) % c->n_ep;
out:
	if (last_rev)
		*last_rev = w.last_rev;
	json_object_put(body);
	return err;
}
