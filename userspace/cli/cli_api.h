/* SPDX-License-Identifier: GPL-2.0 */
/* The CLI's side of anyedged's HTTP API: where the daemon listens (--api URL, or api.listen of
 * --config POLICY, or the default), its token, one request with libcurl, and the exit codes
 * every talking verb shares.
 */
#ifndef ANYEDGE_CLI_API_H
#define ANYEDGE_CLI_API_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "cmdline.h"

#define CLI_API_DEFAULT "http://127.0.0.1:9180"

/* exit codes */
enum {
	CLI_OK = 0,
	CLI_REFUSED = 1, /* the daemon answered no (4xx/5xx), or its answer made no sense */
	CLI_USAGE = 2,
	CLI_NOT_RUNNING = 3, /* nothing answers at the address */
};

struct cli_api {
	char url[512]; /* base: http://host:port, or http://localhost with unix_path */
	char unix_path[108];
	char token[512];
	bool json; /* --json: print the daemon's JSON as it came */
	bool quiet; /* polling: no "not running" message */
	const char *config, *token_file, *api;
};

/* Options every talking verb takes: a table for its spec (keys 'A', 'C', 'T', 'J'). */
extern const struct cmd_opt cli_api_opts[];
#define CLI_API_ARGS "[--api URL | --config POLICY] [--token-file FILE] [--json]"

/* One of the shared options: true when c was one (and is taken into a). */
bool cli_api_opt(struct cli_api *a, int c, const char *arg);
/* After option parsing: resolve the URL and read the token. 0 or CLI_USAGE (message printed). */
int cli_api_setup(struct cli_api *a);

struct cli_reply {
	long status;
	char *body; /* NUL-terminated */
	size_t len;
	struct json_object *json; /* parsed body, or NULL */
};

/* One request (body NULL: none). CLI_OK with r filled for any HTTP answer, CLI_NOT_RUNNING
 * (message printed) when nothing answers. Free r with cli_reply_free.
 */
int cli_api_call(struct cli_api *a, const char *method, const char *path, const char *body,
		 struct cli_reply *r);
void cli_reply_free(struct cli_reply *r);
/* A GET that must answer 200 with JSON (or, with ok503, 503 too): CLI_OK or an exit code. */
int cli_api_get_json(struct cli_api *a, const char *path, bool ok503, struct cli_reply *r);
/* Report a non-2xx answer on stderr as "anyedge VERB: refused (HTTP 409): reason". */
int cli_api_refused(const char *verb, const struct cli_reply *r);

/* json helpers for tables: "" / "-" for absent members */
const char *cli_js(struct json_object *o, const char *key);
/* the member's object, NULL when absent (or o is NULL) */
struct json_object *cli_member(struct json_object *o, const char *key);
double cli_jd(struct json_object *o, const char *key, double dflt);
bool cli_jb(struct json_object *o, const char *key);
bool cli_jnull(struct json_object *o, const char *key);
/* "12s", "5m", "3h", "2d" since an ISO time from the daemon ("-" when absent) */
const char *cli_ago(const char *iso, char *buf, size_t len);

#endif /* ANYEDGE_CLI_API_H */
