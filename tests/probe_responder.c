// SPDX-License-Identifier: GPL-2.0
/* A backend health endpoint for namespace tests and probe benchmarks: serves
 * `GET /health/ready` per the backend probe contract and `GET /` with its name, on any number
 * of listening sockets, single-threaded on epoll.
 *
 *   probe_responder --listen ADDR:PORT[-LAST] [--listen ...] [--echo ADDR:PORT] [--name TEXT]
 *                   [--state-file PATH] [--mode ok|hang|garbage|503]
 *
 * --echo sockets keep each connection open and answer every line with "NAME LINE": a
 * long-lived flow whose replies say which backend holds it.
 *
 * The state file is read on every request: one line "STATUS [LAG|- [MODE [ERROR...]]]", for
 * example "READY 1.5 active" or "DEGRADED - draining maintenance"; a missing file means
 * "READY 0 active". As the seed's backends do, a STATUS other than READY is answered 503 with
 * the same JSON body (and "error" when given). "ready N" on
 * stdout once every socket listens. SIGTERM or SIGINT: close everything and exit 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQ_MAX 4096
#define RESP_MAX 1024
#define MAX_LISTEN 65536

enum mode { MODE_OK, MODE_HANG, MODE_GARBAGE, MODE_503 };

struct conn {
	int fd;
	bool listener;
	bool echo; /* a long-lived line echo: each line comes back prefixed with the name */
	bool responding;
	size_t len; /* request bytes */
	size_t out_len, out_off;
	char req[REQ_MAX];
	char out[RESP_MAX];
};

static const char *name = "probe_responder";
static const char *state_file;
static enum mode mode = MODE_OK;
static int epfd = -1;

/* "ADDR:PORT", "ADDR:PORT-LAST", "[V6]:PORT[-LAST]" */
static int parse_listen(const char *arg, struct sockaddr_storage *ss, unsigned int *first,
			unsigned int *last)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *port;
	size_t hl;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (arg[0] == '[') {
		port = strstr(arg, "]:");
		if (!port)
			return -1;
		hl = port - arg - 1;
		port += 2;
		arg++;
	} else {
		port = strrchr(arg, ':');
		if (!port)
			return -1;
		hl = port - arg;
		port++;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, arg, hl);
	host[hl] = '\0';
	*first = strtoul(port, &end, 10);
	*last = *first;
	if (*end == '-')
		*last = strtoul(end + 1, &end, 10);
	if (*end || !*first || *last < *first || *last > 65535)
		return -1;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

static int add_fd(int fd, bool listener, bool echo, uint32_t events)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct epoll_event ev = { .events = events };

	if (!c)
		return -1;
	c->fd = fd;
	c->listener = listener;
	c->echo = echo;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)) {
		free(c);
		return -1;
	}
	return 0;
}

static int listen_on(struct sockaddr_storage *ss, unsigned int port, bool echo)
{
	socklen_t sl = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
						  sizeof(struct sockaddr_in6);
	int fd, one = 1;

	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)ss, sl) || listen(fd, 1024) ||
	    add_fd(fd, true, echo, EPOLLIN)) {
		close(fd);
		return -1;
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	close(c->fd); /* also leaves the epoll set */
	free(c);
}

/* The state file's line, or READY 0 active. */
static void read_state(char *status, size_t slen, char *lag, size_t llen, char *smode, size_t mlen,
		       char *err, size_t elen)
{
	char line[256], a[64] = "READY", b[64] = "0", m[64] = "active", e[128] = "";
	FILE *f = state_file ? fopen(state_file, "r") : NULL;
	int at = 0;

	if (f) {
		if (fgets(line, sizeof(line), f)) {
			b[0] = m[0] = '\0';
			line[strcspn(line, "\n")] = '\0';
			if (sscanf(line, "%63s %63s %63s %n", a, b, m, &at) == 3 && at)
				snprintf(e, sizeof(e), "%s", line + at);
		}
		fclose(f);
	}
	/* JSON-safe: the test writes plain words */
	e[strcspn(e, "\"\\")] = '\0';
	snprintf(err, elen, "%s", e);
	snprintf(status, slen, "%s", a);
	/* a lag that is not a number is left out, as a primary would */
	snprintf(lag, llen, "%s", b[0] && strspn(b, "0123456789.") == strlen(b) ? b : "");
	snprintf(smode, mlen, "%s", m);
}

static void respond(struct conn *c, int code, const char *type, const char *body)
{
	const char *reason = code == 200 ? "OK" :
			     code == 404 ? "Not Found" :
			     code == 405 ? "Method Not Allowed" :
			     code == 503 ? "Service Unavailable" :
					   "Bad Request";
	int n;

	n = snprintf(c->out, sizeof(c->out),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s",
		     code, reason, type, strlen(body), body);
	c->out_len = n < (int)sizeof(c->out) ? (size_t)n : sizeof(c->out) - 1;
}

static void build_response(struct conn *c)
{
	char status[64], lag[64], smode[64], err[128], body[512], path[256];
	int n;

	c->responding = true;
	if (mode == MODE_GARBAGE) {
		for (n = 0; n < 64; n++)
			c->out[n] = (char)(n * 37 + 11);
		c->out_len = 64;
		return;
	}
	if (mode == MODE_503) {
		respond(c, 503, "application/json", "{\"status\":\"NOT_READY\"}\n");
		return;
	}
	if (sscanf(c->req, "%*s %255s", path) != 1) {
		respond(c, 400, "text/plain", "bad request\n");
		return;
	}
	path[strcspn(path, "?")] = '\0';
	if (strncmp(c->req, "GET ", 4) != 0) {
		respond(c, 405, "text/plain", "GET only\n");
	} else if (!strcmp(path, "/health/ready")) {
		read_state(status, sizeof(status), lag, sizeof(lag), smode, sizeof(smode), err,
			   sizeof(err));
		n = snprintf(body, sizeof(body), "{\"status\":\"%s\"", status);
		if (err[0])
			n += snprintf(body + n, sizeof(body) - n, ",\"error\":\"%s\"", err);
		if (lag[0])
			n += snprintf(body + n, sizeof(body) - n, ",\"replica_lag_seconds\":%s",
				      lag);
		if (smode[0])
			n += snprintf(body + n, sizeof(body) - n, ",\"system_mode\":\"%s\"", smode);
		snprintf(body + n, sizeof(body) - n, "}\n");
		respond(c, strcmp(status, "READY") ? 503 : 200, "application/json", body);
	} else if (!strcmp(path, "/")) {
		snprintf(body, sizeof(body), "%s\n", name);
		respond(c, 200, "text/plain", body);
	} else {
		respond(c, 404, "text/plain", "not found\n");
	}
}

/* Write what is pending; true when the connection is done with. */
static bool conn_write(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
			return false;
		}
		if (n < 0)
			return true;
		c->out_off += n;
	}
	return true;
}

/* Echo each complete line as "NAME LINE\n"; the connection stays open until the peer closes:
 * a long-lived flow whose every reply says which backend holds it.
 */
static void echo_event(struct conn *c)
{
	char *nl, line[RESP_MAX];
	ssize_t n;
	int len;

	for (;;) {
		n = recv(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0 || c->len + n >= sizeof(c->req) - 1) {
			conn_close(c);
			return;
		}
		c->len += n;
		c->req[c->len] = '\0';
		while ((nl = strchr(c->req, '\n'))) {
			*nl = '\0';
			len = snprintf(line, sizeof(line), "%s %s\n", name, c->req);
			if (len > 0 && send(c->fd, line, len, MSG_NOSIGNAL) != len) {
				conn_close(c);
				return;
			}
			c->len -= nl + 1 - c->req;
			memmove(c->req, nl + 1, c->len + 1);
		}
	}
}

static void conn_event(struct conn *c)
{
	ssize_t n;

	if (c->echo) {
		echo_event(c);
		return;
	}
	if (c->responding) {
		if (conn_write(c))
			conn_close(c);
		return;
	}
	for (;;) {
		n = recv(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		if (mode == MODE_HANG) {
			c->len = 0; /* read and dropped: only the peer's close matters */
			continue;
		}
		c->len += n;
		c->req[c->len] = '\0';
		if (strstr(c->req, "\r\n\r\n") || c->len == sizeof(c->req) - 1)
			break;
	}
	build_response(c);
	if (conn_write(c))
		conn_close(c);
}

static void accept_all(struct conn *l)
{
	int fd;

	for (;;) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or out of fds: the backlog waits */
		if (add_fd(fd, false, l->echo, EPOLLIN))
			close(fd);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: probe_responder --listen ADDR:PORT[-LAST] [--listen ...] "
			"[--echo ADDR:PORT] [--name TEXT] [--state-file PATH] "
			"[--mode ok|hang|garbage|503]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct epoll_event ev[256];
	struct sockaddr_storage ss;
	unsigned int first, last, p;
	struct rlimit rl;
	sigset_t mask;
	int i, n, sfd, listeners = 0;

	/* a listener per port: take every fd the hard limit allows */
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (epfd < 0 || sfd < 0) {
		perror("probe_responder: epoll/signalfd");
		return 1;
	}
	ev[0].events = EPOLLIN;
	ev[0].data.ptr = NULL;
	epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev[0]);

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--listen") || !strcmp(argv[i], "--echo")) {
			bool echo = !strcmp(argv[i], "--echo");

			if (parse_listen(argv[++i], &ss, &first, &last))
				usage();
			for (p = first; p <= last && listeners < MAX_LISTEN; p++, listeners++) {
				if (listen_on(&ss, p, echo)) {
					fprintf(stderr, "probe_responder: listen %s port %u: %s\n",
						argv[i], p, strerror(errno));
					return 1;
				}
			}
		} else if (!strcmp(argv[i], "--name")) {
			name = argv[++i];
		} else if (!strcmp(argv[i], "--state-file")) {
			state_file = argv[++i];
		} else if (!strcmp(argv[i], "--mode")) {
			i++;
			if (!strcmp(argv[i], "ok"))
				mode = MODE_OK;
			else if (!strcmp(argv[i], "hang"))
				mode = MODE_HANG;
			else if (!strcmp(argv[i], "garbage"))
				mode = MODE_GARBAGE;
			else if (!strcmp(argv[i], "503"))
				mode = MODE_503;
			else
				usage();
		} else {
			usage();
		}
	}
	if (!listeners)
		usage();
	printf("ready %d\n", listeners);
	fflush(stdout);

	for (;;) {
		n = epoll_wait(epfd, ev, 256, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (i = 0; i < n; i++) {
			struct conn *c = ev[i].data.ptr;

			if (!c)
				goto out; /* SIGTERM / SIGINT */
			if (c->listener)
				accept_all(c);
			else
				conn_event(c);
		}
	}
out:
	/* the kernel closes the rest; connections and listeners hold no other state */
	close(epfd);
	return 0;
}
