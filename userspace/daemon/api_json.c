// SPDX-License-Identifier: GPL-2.0
/* Request bodies of the API's writes: strict JSON (json-c's tokener in strict mode, UTF-8
 * checked, nothing after the object), the exact keys DESIGN names and nothing else, so a typo
 * such as "forcePromtion" is refused rather than silently ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "api_json.h"
#include "inet.h"

/* Parse body as one JSON object into *out (json_object_put it). 0 or -EINVAL with why. */
static int api_json_object(const char *body, size_t len, struct json_object **out, char *why,
			   size_t why_len)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t used;

	*out = NULL;
	if (!len) {
		snprintf(why, why_len, "empty body: a JSON object is expected");
		return -EINVAL;
	}
	tok = json_tokener_new();
	if (!tok) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || jerr != json_tokener_success) {
		/* json_tokener_continue: the body ended inside a value */
		snprintf(why, why_len, "bad JSON at byte %zu: %s", used,
			 jerr == json_tokener_continue ? "unexpected end of body" :
							 json_tokener_error_desc(jerr));
		json_object_put(o);
		return -EINVAL;
	}
	while (used < len && isspace((unsigned char)body[used]))
		used++;
	if (used < len) {
		snprintf(why, why_len, "bad JSON: trailing data at byte %zu", used);
		json_object_put(o);
		return -EINVAL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(why, why_len, "the body must be a JSON object");
		json_object_put(o);
		return -EINVAL;
	}
	*out = o;
	return 0;
}

/* A string member into buf: 0, -ENOENT when absent (and !required), -EINVAL otherwise. */
static int api_json_str(struct json_object *o, const char *key, bool required, char *buf,
			size_t len, char *why, size_t why_len)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v)) {
		if (!required)
			return -ENOENT;
		snprintf(why, why_len, "missing \"%s\"", key);
		return -EINVAL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(why, why_len, "\"%s\" must be a string", key);
		return -EINVAL;
	}
	s = json_object_get_string(v);
	if (!*s || strlen(s) >= len) {
		snprintf(why, why_len, "\"%s\" must be 1..%zu characters", key, len - 1);
		return -EINVAL;
	}
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

/* Refuse members other than those in keys (NULL-terminated). */
static int api_json_only(struct json_object *o, const char *const *keys, char *why, size_t why_len)
{
	size_t i;

	json_object_object_foreach(o, k, v)
	{
		(void)v;
		for (i = 0; keys[i]; i++)
			if (!strcmp(k, keys[i]))
				break;
		if (!keys[i]) {
			snprintf(why, why_len, "unknown field \"%.64s\"", k);
			return -EINVAL;
		}
	}
	return 0;
}

int api_json_failover(const char *body, size_t len, struct edge_cmd *cmd, char *why, size_t why_len)
{
	static const char *const keys[] = { "action",
					    "sourceRegion",
					    "targetRegion",
					    "forcePromotion",
					    "maxAllowedReplicaLagSeconds",
					    NULL };
	struct json_object *o, *v;
	char action[64];
	int err;

	memset(cmd, 0, sizeof(*cmd));
	cmd->kind = CMD_FAILOVER;
	cmd->max_lag_s = NAN;
	err = api_json_object(body, len, &o, why, why_len);
	if (err)
		return err;
	err = api_json_only(o, keys, why, why_len);
	if (!err)
		err = api_json_str(o, "action", true, action, sizeof(action), why, why_len);
	if (!err && strcmp(action, "PROMOTE_PASSIVE_REGION")) {
		snprintf(why, why_len, "unknown action \"%s\" (known: PROMOTE_PASSIVE_REGION)",
			 action);
		err = -EINVAL;
	}
	if (!err)
		err = api_json_str(o, "sourceRegion", true, cmd->source, sizeof(cmd->source), why,
				   why_len);
	if (!err)
		err = api_json_str(o, "targetRegion", true, cmd->target, sizeof(cmd->target), why,
				   why_len);
	if (!err && !strcmp(cmd->source, cmd->target)) {
		snprintf(why, why_len, "sourceRegion and targetRegion are both \"%s\"",
			 cmd->source);
		err = -EINVAL;
	}
	if (!err && json_object_object_get_ex(o, "forcePromotion", &v)) {
		if (json_object_is_type(v, json_type_boolean)) {
			cmd->force = json_object_get_boolean(v);
		} else {
			snprintf(why, why_len, "\"forcePromotion\" must be true or false");
			err = -EINVAL;
		}
	}
	if (!err && json_object_object_get_ex(o, "maxAllowedReplicaLagSeconds", &v)) {
		double d = json_object_get_double(v);

		if ((!json_object_is_type(v, json_type_int) &&
		     !json_object_is_type(v, json_type_double)) ||
		    !isfinite(d) || d < 0) {
			snprintf(why, why_len,
				 "\"maxAllowedReplicaLagSeconds\" must be a number >= 0");
			err = -EINVAL;
		} else {
			cmd->max_lag_s = d;
		}
	}
	json_object_put(o);
	return err;
}

int api_json_drain(const char *body, size_t len, bool drain, struct edge_cmd *cmd, char *why,
		   size_t why_len)
{
	static const char *const keys[] = { "region", "backend", "edge", "fleet", NULL };
	struct json_object *o, *v;
	struct inet_addr a;
	int err, n;

	memset(cmd, 0, sizeof(*cmd));
	cmd->kind = drain ? CMD_DRAIN : CMD_UNDRAIN;
	err = api_json_object(body, len, &o, why, why_len);
	if (err)
		return err;
	err = api_json_only(o, keys, why, why_len);
	n = json_object_object_length(o);
	if (!err && json_object_object_get_ex(o, "fleet", &v)) {
		n--;
		cmd->fleet = json_object_is_type(v, json_type_boolean) &&
			     json_object_get_boolean(v);
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(why, why_len, "\"fleet\" must be true or false");
			err = -EINVAL;
		} else if (cmd->fleet && json_object_object_get_ex(o, "edge", NULL)) {
			snprintf(why, why_len, "an edge is drained by itself, not by the fleet");
			err = -EINVAL;
		}
	}
	if (!err && n != 1) {
		snprintf(why, why_len,
			 "exactly one of \"region\", \"backend\" or \"edge\" is expected");
		err = -EINVAL;
	}
	if (!err && json_object_object_get_ex(o, "edge", &v)) {
		if (!json_object_is_type(v, json_type_boolean) || !json_object_get_boolean(v)) {
			snprintf(why, why_len, "\"edge\" must be true");
			err = -EINVAL;
		}
		cmd->kind = drain ? CMD_DRAIN_EDGE : CMD_UNDRAIN_EDGE;
	} else if (!err && json_object_object_get_ex(o, "backend", NULL)) {
		err = api_json_str(o, "backend", true, cmd->backend, sizeof(cmd->backend), why,
				   why_len);
		if (!err && inet_addr_parse(cmd->backend, &a)) {
			snprintf(why, why_len, "\"backend\" must be an IPv4 or IPv6 address");
			err = -EINVAL;
		}
		/* the canonical spelling, as the state and the policy print it */
		if (!err)
			inet_addr_str(&a, cmd->backend, sizeof(cmd->backend));
	} else if (!err) {
		err = api_json_str(o, "region", true, cmd->region, sizeof(cmd->region), why,
				   why_len);
	}
	json_object_put(o);
	return err;
}

int api_json_empty(const char *body, size_t len, char *why, size_t why_len)
{
	static const char *const none[] = { NULL };
	struct json_object *o;
	size_t i;
	int err;

	for (i = 0; i < len && isspace((unsigned char)body[i]); i++)
		;
	if (i == len)
		return 0;
	err = api_json_object(body, len, &o, why, why_len);
	if (err)
		return err;
	err = api_json_only(o, none, why, why_len);
	json_object_put(o);
	return err;
}
