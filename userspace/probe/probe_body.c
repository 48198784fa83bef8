// SPDX-License-Identifier: GPL-2.0
/* The body of a backend's /health/ready reply (DESIGN: backend probe contract), parsed with
 * json-c under bounds: size, nesting depth and UTF-8 are checked before anything is believed.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "probe.h"

/* A reply is a flat object; depth 8 leaves room for a few nested extras we ignore. */
#define PROBE_BODY_DEPTH 8

static int body_fail(struct probe_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int body_fail(struct probe_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	r->ok = false;
	return -EINVAL;
}

/* Copy a backend-supplied string into why-safe text: printable ASCII, bounded. */
static void body_sanitize(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < len; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

/* Strict UTF-8 (RFC 3629): json-c's own check lets overlong forms such as C0 AF through.
 * Returns the offset of the first bad byte, or len.
 */
static size_t body_utf8_check(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1, cp = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2, cp = s[i] & 0x0f, min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3, cp = s[i] & 0x07, min = 0x10000;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

static bool body_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Keys of the top-level object as written, duplicates included (json-c keeps the last of a
 * duplicated key, so its count alone cannot tell). text is valid JSON by now.
 */
static size_t body_count_keys(const char *s, size_t len)
{
	size_t i, n = 0;
	int depth = 0;
	bool str = false, key = false;

	for (i = 0; i < len; i++) {
		if (str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				str = false;
			continue;
		}
		switch (s[i]) {
		case '"':
			str = true;
			/* at depth 1 a string right after '{' or ',' is a key */
			n += depth == 1 && key;
			key = false;
			break;
		case '{':
		case '[':
			depth++;
			key = s[i] == '{' && depth == 1;
			break;
		case '}':
		case ']':
			depth--;
			break;
		case ',':
			key = depth == 1;
			break;
		}
	}
	return n;
}

/* What a reply body says, parsed strictly; its verdict is the caller's. */
struct body_fields {
	struct json_object *obj;
	const char *status; /* NULL when absent */
	size_t status_len;
	const char *mode; /* system_mode, or NULL */
	size_t mode_len;
	const char *error; /* error, or NULL */
};

static bool body_str_is(const char *s, size_t len, const char *want)
{
	return s && len == strlen(want) && !memcmp(s, want, len);
}

static int body_read(const char *body, size_t len, struct body_fields *f, struct probe_result *r)
{
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL, *v;
	enum json_tokener_error jerr;
	size_t end;
	double lag;
	int err;

	memset(f, 0, sizeof(*f));
	if (!body)
		return body_fail(r, "no body");
	if (len > PROBE_RESPONSE_MAX)
		return body_fail(r, "body too large (%zu bytes)", len);
	/* json-c stops at a NUL as if the text ended there: refuse rather than half-read. */
	if (memchr(body, '\0', len))
		return body_fail(r, "body has a NUL byte");

	end = body_utf8_check((const unsigned char *)body, len);
	if (end < len)
		return body_fail(r, "body is not UTF-8 (byte %zu)", end);

	tok = json_tokener_new_ex(PROBE_BODY_DEPTH);
	if (!tok)
		return body_fail(r, "out of memory");
	/* trailing bytes are allowed here only to be refused below with a clearer why */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 |
					    JSON_TOKENER_ALLOW_TRAILING_CHARS);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/* a top-level number is only known to end at the end: say so with a NUL */
	if (!obj && jerr == json_tokener_continue && len) {
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (!obj && (jerr == json_tokener_continue || jerr == json_tokener_error_parse_eof)) {
		for (end = 0; end < len && body_is_space(body[end]); end++)
			;
		err = body_fail(r, end < len ? "body is truncated JSON" : "empty body");
		goto out;
	}
	if (!obj && jerr == json_tokener_success) {
		err = body_fail(r, "body is not a JSON object"); /* the literal null */
		goto out;
	}
	if (!obj) {
		err = body_fail(r, "body is not JSON: %s", json_tokener_error_desc(jerr));
		goto out;
	}
	for (; end < len; end++) {
		if (!body_is_space(body[end])) {
			err = body_fail(r, "trailing data after JSON at byte %zu", end);
			goto out;
		}
	}
	if (!json_object_is_type(obj, json_type_object)) {
		err = body_fail(r, "body is not a JSON object");
		goto out;
	}
	/* a key given twice could say READY to one reader and DEGRADED to another */
	if (body_count_keys(body, len) != (size_t)json_object_object_length(obj)) {
		err = body_fail(r, "body has a duplicate key");
		goto out;
	}

	if (json_object_object_get_ex(obj, "status", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			err = body_fail(r, "\"status\" is not a string");
			goto out;
		}
		f->status = json_object_get_string(v);
		f->status_len = json_object_get_string_len(v);
	}

	/* null means "not reported" (a primary has no replica lag), like an absent key */
	if (json_object_object_get_ex(obj, "replica_lag_seconds", &v) && v) {
		if (!json_object_is_type(v, json_type_double) &&
		    !json_object_is_type(v, json_type_int)) {
			err = body_fail(r, "\"replica_lag_seconds\" is not a number");
			goto out;
		}
		lag = json_object_get_double(v);
		if (!isfinite(lag) || lag < 0) {
			err = body_fail(r, "\"replica_lag_seconds\" is invalid");
			goto out;
		}
		r->has_lag = true;
		r->replica_lag_s = lag;
	}

	if (json_object_object_get_ex(obj, "system_mode", &v) && v) {
		if (!json_object_is_type(v, json_type_string)) {
			err = body_fail(r, "\"system_mode\" is not a string");
			goto out;
		}
		f->mode = json_object_get_string(v);
		f->mode_len = json_object_get_string_len(v);
		r->draining = body_str_is(f->mode, f->mode_len, "draining");
	}

	/* the backend's own words, for the operator: shown, never believed */
	if (json_object_object_get_ex(obj, "error", &v) && v &&
	    json_object_is_type(v, json_type_string)) {
		f->error = json_object_get_string(v);
		body_sanitize(r->error, sizeof(r->error), f->error);
	}
	f->obj = obj;
	obj = NULL;
	err = 0;
out:
	json_object_put(obj);
	json_tokener_free(tok);
	return err;
}

static void body_reset(struct probe_result *r)
{
	r->ok = false;
	r->has_lag = false;
	r->replica_lag_s = 0;
	r->draining = false;
	r->why[0] = '\0';
	r->error[0] = '\0';
}

int probe_parse_body(const char *body, size_t len, uint32_t max_lag_ms, struct probe_result *r)
{
	struct body_fields f;
	char text[48];
	int err;

	body_reset(r);
	err = body_read(body, len, &f, r);
	if (err)
		return err;
	if (!f.status) {
		err = body_fail(r, "no \"status\" in body");
	} else if (!body_str_is(f.status, f.status_len, "READY")) {
		/* compared by length: "READY\u0000x" is not READY */
		body_sanitize(text, sizeof(text), f.status);
		snprintf(r->why, sizeof(r->why), "status %s%s", text[0] ? text : "\"\"",
			 strlen(f.status) != f.status_len ? " (with a NUL)" : "");
	} else if (max_lag_ms && r->has_lag && r->replica_lag_s * 1000.0 > max_lag_ms) {
		snprintf(r->why, sizeof(r->why), "replica lag %.3fs over %.3fs", r->replica_lag_s,
			 max_lag_ms / 1000.0);
	} else {
		r->ok = true;
	}
	json_object_put(f.obj);
	return err;
}

int probe_parse_reply(int http_status, const char *body, size_t len, uint32_t max_lag_ms,
		      struct probe_result *r)
{
	struct body_fields f;
	size_t off;
	int err;

	if (http_status == 200)
		return probe_parse_body(body, len, max_lag_ms, r);
	body_reset(r);
	/* any other status fails, unless its body says the backend drains: that is not a
	 * failure but a request for no new flows
	 */
	err = body && len ? body_read(body, len, &f, r) : -ENODATA;
	if (!err && r->draining) {
		r->ok = true;
		json_object_put(f.obj);
		return 0;
	}
	off = (size_t)snprintf(r->why, sizeof(r->why), "HTTP %d", http_status);
	if (!err && r->error[0] && off < sizeof(r->why))
		snprintf(r->why + off, sizeof(r->why) - off, ": %s", r->error);
	if (!err)
		json_object_put(f.obj);
	r->has_lag = false; /* a failed reply's lag is not evidence for promotion */
	r->draining = false;
	return 0;
}
