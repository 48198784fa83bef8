// SPDX-License-Identifier: GPL-2.0
/* The API's server: libmicrohttpd with a thread per connection (a write waits for the loop
 * thread, and must hold up nobody else's probe), on a socket we bind ourselves so that TCP
 * (v4, [v6]) and UNIX paths take one path and bind errors are ours to report. Routing, the
 * bearer token and the body limit live here; answers come from the handlers in api_routes.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <urcu.h>

#include "api_guard.h"
#include "api_impl.h"
#include "clock.h"
#include "files.h"
#include "log.h"

#define API_IDLE_TIMEOUT_S 10
/* A chunked body (no Content-Length) that goes past the limit is read and thrown away up to
 * this much, so its sender still gets a 413 (libmicrohttpd answers only once the body is in);
 * past it the connection is closed. It costs only that connection's own thread.
 */
#define API_DISCARD_MAX (16 << 20)

struct api_route {
	const char *path;
	const char *method; /* GET routes answer HEAD too */
	api_handler fn;
	bool write; /* needs the bearer token when one is configured */
};

static const struct api_route api_routes[] = {
	{ "/health/shallow", "GET", api_health_shallow, false },
	{ "/health/ready", "GET", api_health_ready, false },
	{ "/api/v1/state", "GET", api_state, false },
	{ "/metrics", "GET", api_metrics, false },
	{ "/api/v1/fleet", "GET", api_fleet, false },
	{ "/api/v1/failover", "POST", api_failover, true },
	{ "/api/v1/drain", "POST", api_drain, true },
	{ "/api/v1/undrain", "POST", api_undrain, true },
	{ "/api/v1/reload", "POST", api_reload, true },
};

/* One request in progress, kept across the handler's calls for its body. */
struct api_conn {
	const struct api_route *route;
	char *buf;
	size_t len;
	size_t discarded;
	bool too_big;
};

uint64_t api_beat_age_ms(const struct api *a)
{
	uint64_t beat = __atomic_load_n(a->o.beat_ms, __ATOMIC_RELAXED), now = mono_ms();

	if (!beat)
		return UINT64_MAX;
	return now > beat ? now - beat : 0;
}

const char *api_iso_time(uint64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned int)(ms % 1000));
	return buf;
}

/* ---- RCU: MHD's connection threads are not ours, so each registers on first use and a
 * thread-specific destructor unregisters it when the thread ends (liburcu must not keep a
 * reader that no longer exists, or grace periods would wait on it).
 */
static pthread_key_t api_rcu_key;
static pthread_once_t api_rcu_once = PTHREAD_ONCE_INIT;

static void api_rcu_exit(void *arg)
{
	rcu_unregister_thread();
}

static void api_rcu_key_make(void)
{
	pthread_key_create(&api_rcu_key, api_rcu_exit);
}

void api_rcu_thread(void)
{
	pthread_once(&api_rcu_once, api_rcu_key_make);
	if (pthread_getspecific(api_rcu_key))
		return;
	rcu_register_thread();
	pthread_setspecific(api_rcu_key, (void *)1);
}

/* ---- replies ---- */

void api_reply_json(struct api_reply *r, int status, struct json_object *o)
{
	const char *s;

	r->status = status;
	r->type = "application/json";
	s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE) :
		NULL;
	if (s && asprintf(&r->body, "%s\n", s) >= 0) {
		r->len = strlen(r->body);
	} else {
		r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		r->body = NULL;
		r->len = 0;
	}
	json_object_put(o);
}

void api_reply_error(struct api_reply *r, int status, const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(msg));
	api_reply_json(r, status, o);
}

static enum MHD_Result api_send(struct MHD_Connection *c, struct api_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(r->body);
		return MHD_NO;
	}
	r->body = NULL;
	if (r->type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"anyedged\"");
	ret = MHD_queue_response(c, (unsigned int)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result api_send_error(struct MHD_Connection *c, int status, const char *allow,
				      const char *fmt, const char *arg)
{
	struct api_reply r = { .allow = allow };

	api_reply_error(&r, status, fmt, arg);
	return api_send(c, &r);
}

/* ---- requests ---- */

static struct api_guard_conn *api_guard_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void api_notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
			    enum MHD_ConnectionNotificationCode toe)
{
	struct api *a = cls;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		/* no memory for the guard: the connection still has MHD's idle timeout */
		*socket_context = ci ? api_guard_open(a->guard, ci->connect_fd) : NULL;
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		api_guard_close(a->guard, *socket_context);
		*socket_context = NULL;
	}
}

/* Who may write: the bearer of the token when there is one (compared in constant time: the
 * comparison must not tell how much of a guess matched); without one, only a client of the
 * UNIX socket, which its file mode (0660, the daemon's owner) already vouches for. On TCP any
 * local process can connect, so a write there without a token is refused.
 */
static int api_authorized(const struct api *a, struct MHD_Connection *c)
{
	const char *h =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	size_t i, n, tn = a->token_len;
	unsigned char diff = 0;

	if (!a->has_token)
		return a->unix_path[0] ? 0 : -EPERM;
	if (!h || strncasecmp(h, "Bearer ", 7))
		return -EACCES;
	h += 7;
	n = strlen(h);
	diff = n != tn;
	for (i = 0; i < tn; i++)
		diff |= (unsigned char)a->token[i] ^ (unsigned char)(i < n ? h[i] : 0);
	return diff ? -EACCES : 0;
}

static const struct api_route *api_route_find(const char *url, const char *method,
					      const char **allow, bool *path_known)
{
	bool head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
	size_t i;

	*allow = NULL;
	*path_known = false;
	for (i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++) {
		if (strcmp(url, api_routes[i].path))
			continue;
		*path_known = true;
		*allow = strcmp(api_routes[i].method, "GET") ? api_routes[i].method : "GET, HEAD";
		if (!strcmp(method, api_routes[i].method) ||
		    (head && !strcmp(api_routes[i].method, "GET")))
			return &api_routes[i];
	}
	return NULL;
}

/* The first call, headers only: refuse what can be refused before reading any body. */
static enum MHD_Result api_begin(struct api *a, struct MHD_Connection *c, const char *url,
				 const char *method, void **con_cls)
{
	const struct api_route *rt;
	struct api_conn *ac;
	const char *allow, *cl;
	bool known;
	int err;

	rt = api_route_find(url, method, &allow, &known);
	if (!rt && !known)
		return api_send_error(c, MHD_HTTP_NOT_FOUND, NULL, "no such path: %.200s", url);
	if (!rt)
		return api_send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, allow,
				      "method not allowed; use %s", allow);
	err = rt->write ? api_authorized(a, c) : 0;
	if (err == -EPERM)
		return api_send_error(c, MHD_HTTP_FORBIDDEN, NULL, "%s",
				      "writes over TCP need api.token_file in the policy "
				      "(or api.listen on a UNIX socket)");
	if (err)
		return api_send_error(c, MHD_HTTP_UNAUTHORIZED, NULL, "%s",
				      "a valid 'Authorization: Bearer TOKEN' is required");
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > API_BODY_MAX)
		return api_send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
				      "request body over %s bytes", "65536");
	ac = calloc(1, sizeof(*ac));
	if (!ac)
		return MHD_NO;
	ac->route = rt;
	*con_cls = ac;
	return MHD_YES;
}

static enum MHD_Result api_access(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct api_conn *ac = *con_cls;
	struct api_reply r = { 0 };
	struct api_req q;
	char *nb;

	if (!ac)
		return api_begin(a, c, url, method, con_cls);
	if (*upload_size) {
		if (ac->too_big || ac->len + *upload_size > API_BODY_MAX) {
			/* chunked and too long: drop the rest, answer 413 at its end */
			ac->too_big = true;
			ac->discarded += *upload_size;
			*upload_size = 0;
			return ac->discarded > API_DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		nb = realloc(ac->buf, ac->len + *upload_size + 1);
		if (!nb)
			return MHD_NO;
		ac->buf = nb;
		memcpy(ac->buf + ac->len, upload, *upload_size);
		ac->len += *upload_size;
		ac->buf[ac->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	if (ac->too_big)
		return api_send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
				      "request body over %s bytes", "65536");
	q.method = method;
	q.body = ac->buf ? ac->buf : "";
	q.len = ac->len;
	/* in whole: a write may now wait on the loop, and must not be cut for it */
	api_guard_busy(a->guard, api_guard_of(c), true);
	ac->route->fn(a, &q, &r);
	return api_send(c, &r);
}

static void api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			  enum MHD_RequestTerminationCode toe)
{
	struct api_conn *ac = *con_cls;
	struct api *a = cls;

	api_guard_busy(a->guard, api_guard_of(c), false);
	if (!ac)
		return;
	free(ac->buf);
	free(ac);
	*con_cls = NULL;
}

static void api_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	pr_warn("api: %s\n", msg);
}

/* ---- setup ---- */

static int api_read_token(struct api *a, const char *path)
{
	const char *why;
	int err = file_read_token(path, a->token, sizeof(a->token), &why);

	if (err) {
		pr_warn("api: token file %s: %s\n", path, why ? why : strerror(-err));
		return err;
	}
	if (why)
		pr_warn("api: token file %s is %s: chmod 600 it\n", path, why);
	a->token_len = strlen(a->token);
	a->has_token = true;
	return 0;
}

/* Loopback only: what a local process can reach, and nothing beyond the host. */
static bool api_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && s6->sin6_addr.s6_addr[12] == 127);
	return false;
}

/* A UNIX path: a socket left by a dead daemon is removed; one that answers is in use. */
static int api_bind_unix(struct api *a, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, probe;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode)) {
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && !connect(probe, (struct sockaddr *)&sun, sizeof(sun))) {
			close(probe);
			close(fd);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(path, 0660) ||
	    listen(fd, API_MAX_CONNS)) {
		int err = -errno;

		close(fd);
		return err;
	}
	snprintf(a->unix_path, sizeof(a->unix_path), "%s", path);
	return fd;
}

/* "host:port" or "[v6]:port"; an empty host is every IPv4 address. */
static int api_bind_tcp(const char *listen_on, bool *loopback)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | AI_PASSIVE },
			*res = NULL;
	char host[256], *port;
	const char *colon;
	int fd, one = 1, err;

	if (listen_on[0] == '[') {
		const char *end = strchr(listen_on, ']');

		if (!end || end[1] != ':' || (size_t)(end - listen_on) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(end - listen_on - 1), listen_on + 1);
		colon = end + 1;
	} else {
		colon = strrchr(listen_on, ':');
		if (!colon || (size_t)(colon - listen_on) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen_on), listen_on);
	}
	port = (char *)colon + 1;
	if (!*port || strspn(port, "0123456789") != strlen(port))
		return -EINVAL;
	err = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (err || !res)
		return -EINVAL;
	*loopback = api_loopback((const struct sockaddr_storage *)res->ai_addr);
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	/* a restart must not wait out the old process's TIME_WAIT connections */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, API_MAX_CONNS)) {
		err = -errno;
		close(fd);
		goto out;
	}
	err = fd;
out:
	freeaddrinfo(res);
	return err;
}

int api_start(const struct api_opts *o, struct api **out)
{
	bool loopback = false;
	sigset_t all, old;
	struct api *a;
	int fd, err;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->o = *o;
	snprintf(a->listen, sizeof(a->listen), "%s", o->listen);
	if (o->token_file && *o->token_file) {
		err = api_read_token(a, o->token_file);
		if (err)
			goto err_free;
	}
	fd = o->listen[0] == '/' ? api_bind_unix(a, o->listen) : api_bind_tcp(o->listen, &loopback);
	if (fd < 0) {
		err = fd;
		pr_warn("api: cannot listen on %s: %s\n", o->listen,
			err == -EINVAL ? "not host:port, [v6]:port or /path" : strerror(-err));
		goto err_free;
	}
	if (!a->unix_path[0] && !loopback && !a->has_token) {
		/* beyond loopback, anyone on the network could drain the edge */
		pr_warn("api: refusing to listen on %s, beyond loopback, without api.token_file\n",
			o->listen);
		close(fd);
		err = -EPERM;
		goto err_free;
	}
	err = api_guard_new(&a->guard);
	if (err) {
		close(fd);
		goto err_unlink;
	}
	/* the server's threads inherit this mask: signals are the loop's (signalfd), and a
	 * SIGHUP that landed on one of them would end the process
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	a->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
					  MHD_USE_POLL | MHD_USE_ERROR_LOG,
				  0, NULL, NULL, api_access, a,
				  /* first, or MHD logs its own way until it sees it */
				  MHD_OPTION_EXTERNAL_LOGGER, api_mhd_log, a,
				  MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned int)API_MAX_CONNS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				  (unsigned int)API_MAX_CONNS_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned int)API_IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_CONNECTION,
				  api_notify_conn, a, MHD_OPTION_NOTIFY_COMPLETED, api_completed, a,
				  MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!a->mhd) {
		pr_warn("api: the HTTP server did not start on %s\n", o->listen);
		api_guard_free(a->guard);
		close(fd);
		err = -EIO;
		goto err_unlink;
	}
	/* o's strings belong to the policy, which a reload frees */
	a->o.listen = a->listen;
	a->o.token_file = NULL;
	pr_info("api: listening on %s%s\n", a->listen,
		a->has_token	? " (writes need the bearer token)" :
		a->unix_path[0] ? " (writes allowed to the socket's owner and group)" :
				  " (read-only: writes need api.token_file)");
	*out = a;
	return 0;
err_unlink:
	if (a->unix_path[0])
		unlink(a->unix_path);
err_free:
	free(a);
	return err;
}

void api_stop(struct api *a)
{
	if (!a)
		return;
	/* joins every connection thread; one waiting on the loop gives up after its timeout */
	MHD_stop_daemon(a->mhd);
	api_guard_free(a->guard);
	if (a->unix_path[0])
		unlink(a->unix_path);
	explicit_bzero(a->token, sizeof(a->token));
	free(a);
}
