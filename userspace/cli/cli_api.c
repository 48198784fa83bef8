// SPDX-License-Identifier: GPL-2.0
/* Talking to anyedged: the address and token from the options or the policy, a request with
 * libcurl (TCP or a UNIX socket alike), and answers judged by their HTTP status alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cli_api.h"
#include "files.h"
#include "policy.h"

#define CLI_REPLY_MAX (16 << 20)

const struct cmd_opt cli_api_opts[] = {
	{ "api", 'A', "URL",
	  "the daemon: http://HOST:PORT, HOST:PORT or unix:PATH (default " CLI_API_DEFAULT ")" },
	{ "config", 'C', "POLICY",
	  "find the daemon and its token from this policy's api: section" },
	{ "token-file", 'T', "FILE",
	  "the API bearer token (default: the policy's api.token_file)" },
	{ "json", 'J', NULL, "print the daemon's JSON as it came" },
	{ 0 },
};

bool cli_api_opt(struct cli_api *a, int c, const char *arg)
{
	switch (c) {
	case 'A':
		a->api = arg;
		return true;
	case 'C':
		a->config = arg;
		return true;
	case 'T':
		a->token_file = arg;
		return true;
	case 'J':
		a->json = true;
		return true;
	}
	return false;
}

/* api.listen ("host:port", "[v6]:port", "/path") as a base URL; a wildcard host means us. */
static int cli_api_from_listen(struct cli_api *a, const char *listen)
{
	const char *colon;

	if (listen[0] == '/') {
		snprintf(a->unix_path, sizeof(a->unix_path), "%s", listen);
		snprintf(a->url, sizeof(a->url), "http://localhost");
		return 0;
	}
	if (!strncmp(listen, "0.0.0.0:", 8)) {
		snprintf(a->url, sizeof(a->url), "http://127.0.0.1%s", listen + 7);
		return 0;
	}
	if (!strncmp(listen, "[::]:", 5)) {
		snprintf(a->url, sizeof(a->url), "http://[::1]%s", listen + 4);
		return 0;
	}
	colon = strrchr(listen, ':');
	if (!colon)
		return -EINVAL;
	snprintf(a->url, sizeof(a->url), "http://%s%s", colon == listen ? "127.0.0.1" : "", listen);
	return 0;
}

static int cli_api_read_token(struct cli_api *a, const char *path)
{
	const char *why;
	int err = file_read_token(path, a->token, sizeof(a->token), &why);

	if (err) {
		fprintf(stderr, "anyedge: token file %s: %s\n", path, why ? why : strerror(-err));
		return CLI_USAGE;
	}
	if (why)
		fprintf(stderr, "anyedge: warning: token file %s is %s\n", path, why);
	return CLI_OK;
}

int cli_api_setup(struct cli_api *a)
{
	struct policy *p = NULL;
	char token_file[POLICY_PATH_MAX] = "";

	if (a->config) {
		if (policy_load(a->config, &p, policy_diag_stderr, stderr))
			return CLI_USAGE;
		if (!a->api && cli_api_from_listen(a, p->api.listen)) {
			fprintf(stderr, "anyedge: %s: api.listen '%s' is not host:port or a path\n",
				a->config, p->api.listen);
			policy_free(p);
			return CLI_USAGE;
		}
		snprintf(token_file, sizeof(token_file), "%s", p->api.token_file);
		policy_free(p);
	}
	if (a->api) {
		if (!strncmp(a->api, "unix:", 5)) {
			snprintf(a->unix_path, sizeof(a->unix_path), "%s", a->api + 5);
			snprintf(a->url, sizeof(a->url), "http://localhost");
		} else if (strstr(a->api, "://")) {
			snprintf(a->url, sizeof(a->url), "%s", a->api);
		} else if (cli_api_from_listen(a, a->api)) {
			fprintf(stderr, "anyedge: --api %s: not a URL, host:port or unix:PATH\n",
				a->api);
			return CLI_USAGE;
		}
	} else if (!a->config) {
		snprintf(a->url, sizeof(a->url), "%s", CLI_API_DEFAULT);
	}
	/* no trailing slash: paths start with one */
	while (strlen(a->url) > 8 && a->url[strlen(a->url) - 1] == '/')
		a->url[strlen(a->url) - 1] = '\0';
	if (a->token_file)
		return cli_api_read_token(a, a->token_file);
	if (token_file[0])
		return cli_api_read_token(a, token_file);
	return CLI_OK;
}

static size_t cli_api_write(char *data, size_t size, size_t n, void *ctx)
{
	struct cli_reply *r = ctx;
	size_t len = size * n;
	char *nb;

	if (r->len + len > CLI_REPLY_MAX)
		return 0;
	nb = realloc(r->body, r->len + len + 1);
	if (!nb)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, data, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

int cli_api_call(struct cli_api *a, const char *method, const char *path, const char *body,
		 struct cli_reply *r)
{
	struct curl_slist *hdrs = NULL;
	char url[1024], auth[600];
	CURLcode rc;
	CURL *c;

	memset(r, 0, sizeof(*r));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	if (!c) {
		fprintf(stderr, "anyedge: cannot start an HTTP client\n");
		return CLI_REFUSED;
	}
	snprintf(url, sizeof(url), "%s%s", a->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (a->unix_path[0])
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, a->unix_path);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	}
	if (a->token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cli_api_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	/* a command waits up to 10 s for the daemon's loop */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		if (!a->quiet)
			fprintf(stderr, "anyedge: anyedged is not running at %s%s (%s)\n",
				a->unix_path[0] ? "unix:" : "",
				a->unix_path[0] ? a->unix_path : a->url, curl_easy_strerror(rc));
		cli_reply_free(r);
		return CLI_NOT_RUNNING;
	}
	if (!r->body) {
		r->body = strdup("");
		if (!r->body)
			return CLI_REFUSED;
	}
	r->json = json_tokener_parse(r->body);
	return CLI_OK;
}

void cli_reply_free(struct cli_reply *r)
{
	json_object_put(r->json);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int cli_api_refused(const char *verb, const struct cli_reply *r)
{
	struct json_object *e;
	const char *why = NULL;

	if (r->json && json_object_object_get_ex(r->json, "error", &e))
		why = json_object_get_string(e);
	fprintf(stderr, "anyedge %s: %s (HTTP %ld): %s\n", verb,
		r->status == 401 ? "unauthorized" :
		r->status >= 500 ? "failed" :
				   "refused",
		r->status, why ? why : r->body);
	return CLI_REFUSED;
}

int cli_api_get_json(struct cli_api *a, const char *path, bool ok503, struct cli_reply *r)
{
	int rc = cli_api_call(a, "GET", path, NULL, r);

	if (rc)
		return rc;
	if ((r->status != 200 && !(ok503 && r->status == 503)) || !r->json) {
		rc = cli_api_refused(path, r);
		cli_reply_free(r);
		return rc;
	}
	return CLI_OK;
}

struct json_object *cli_member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o)
		json_object_object_get_ex(o, key, &v);
	return v;
}

const char *cli_js(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return "-";
	return json_object_get_string(v);
}

double cli_jd(struct json_object *o, const char *key, double dflt)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return dflt;
	return json_object_get_double(v);
}

bool cli_jb(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && v && json_object_get_boolean(v);
}

bool cli_jnull(struct json_object *o, const char *key)
{
	struct json_object *v;

	return !o || !json_object_object_get_ex(o, key, &v) || !v;
}

const char *cli_ago(const char *iso, char *buf, size_t len)
{
	struct tm tm = { 0 };
	long long d;
	time_t t;

	if (!iso || !strcmp(iso, "-") || !strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "-");
		return buf;
	}
	t = timegm(&tm);
	d = (long long)(time(NULL) - t);
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(buf, len, "%llds", d);
	else if (d < 7200)
		snprintf(buf, len, "%lldm", d / 60);
	else if (d < 172800)
		snprintf(buf, len, "%lldh", d / 3600);
	else
		snprintf(buf, len, "%lldd", d / 86400);
	return buf;
}
