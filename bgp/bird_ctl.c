// SPDX-License-Identifier: GPL-2.0
/* The BIRD control-socket client: one non-blocking connection driven from the daemon's event
 * loop through one epoll fd that holds the socket and a timerfd. The timer serves whichever
 * wait the state has: the backoff before a reconnect, the connect/greeting deadline, or the
 * deadline of the command in flight (a late reply leaves the stream's position unknown, so
 * a timeout resets the connection).
 *
 * User callbacks run only from bird_ctl_dispatch, never from bird_ctl_send, so a caller of
 * send never sees its own state change under it; a write error found by send is handed to
 * dispatch by firing the timer at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bird_ctl.h"
#include "clock.h"
#include "log.h"

#define BIRD_BACKOFF_MIN_MS 100
#define BIRD_BACKOFF_MAX_MS 5000
#define BIRD_READS_PER_DISPATCH 16 /* then return to the loop; epoll is level-triggered */

enum bird_ctl_state {
	BIRD_WAIT, /* no socket; the timer ends the backoff */
	BIRD_CONNECTING, /* connect in progress (EINPROGRESS) */
	BIRD_GREETING, /* connected, waiting for 0001 */
	BIRD_READY,
};

/* epoll data: the tag in bit 0, the socket's generation above it, so an event queued for a
 * socket closed earlier in the same batch is recognised and dropped.
 */
#define TAG_TIMER 0u
#define TAG_SOCK 1u

struct bird_ctl {
	struct sockaddr_un addr;
	uint32_t timeout_ms;
	bird_done_fn done;
	bird_state_fn state;
	void *ctx;

	int ep, tfd, sock;
	uint64_t gen;
	enum bird_ctl_state st;
	uint32_t backoff_ms; /* the next wait */
	bool up; /* connected was reported to the user */
	bool warned; /* the current outage was logged once */
	bool want_out; /* EPOLLOUT is on */
	int pending_err; /* a write error send found, for dispatch to act on */

	struct bird_reply_parser rp;
	int proto_err; /* set from the line callback */
	bool greeted;
	bool finished; /* the reply in flight got its final line */

	char *q[BIRD_CTL_QUEUE_MAX];
	unsigned int q_head, q_len;
	char *cur; /* the command in flight */
	struct bird_reply reply;
	char out[BIRD_CMD_MAX + 2];
	size_t out_len, out_off;
};

/* ms == 0 disarms; fire_now arms the shortest wait timerfd allows. */
static void timer_arm(struct bird_ctl *c, uint32_t ms, bool fire_now)
{
	struct itimerspec its = { 0 };

	if (fire_now)
		its.it_value.tv_nsec = 1;
	else {
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	}
	/* settime also clears an expiry not yet read, so a stale one never fires */
	timerfd_settime(c->tfd, 0, &its, NULL);
}

static int sock_watch(struct bird_ctl *c, int op, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0) };

	ev.data.u64 = c->gen << 1 | TAG_SOCK;
	c->want_out = out;
	return epoll_ctl(c->ep, op, c->sock, &ev) ? -errno : 0;
}

static void sock_close(struct bird_ctl *c)
{
	if (c->sock < 0)
		return;
	epoll_ctl(c->ep, EPOLL_CTL_DEL, c->sock, NULL);
	close(c->sock);
	c->sock = -1;
	c->gen++;
	c->want_out = false;
	c->out_len = c->out_off = 0;
	c->pending_err = 0;
	c->greeted = false;
	c->finished = false;
	c->proto_err = 0;
	bird_reply_parser_init(&c->rp);
}

static void backoff(struct bird_ctl *c)
{
	c->st = BIRD_WAIT;
	timer_arm(c, c->backoff_ms, false);
	pr_debug("bird: reconnecting to %s in %u ms\n", c->addr.sun_path, c->backoff_ms);
	c->backoff_ms *= 2;
	if (c->backoff_ms > BIRD_BACKOFF_MAX_MS)
		c->backoff_ms = BIRD_BACKOFF_MAX_MS;
}

static void connect_failed(struct bird_ctl *c, const char *why)
{
	if (!c->warned) {
		pr_warn("bird: cannot talk to %s: %s; retrying with backoff\n", c->addr.sun_path,
			why);
		c->warned = true;
	}
	sock_close(c);
	backoff(c);
}

static void try_connect(struct bird_ctl *c)
{
	int err;

	c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->sock < 0) {
		connect_failed(c, strerror(errno));
		return;
	}
	c->gen++;
	/* a UNIX connect completes at once or fails; EINPROGRESS is handled all the same */
	if (!connect(c->sock, (struct sockaddr *)&c->addr, sizeof(c->addr))) {
		c->st = BIRD_GREETING;
		err = sock_watch(c, EPOLL_CTL_ADD, false);
	} else if (errno == EINPROGRESS) {
		c->st = BIRD_CONNECTING;
		err = sock_watch(c, EPOLL_CTL_ADD, true);
	} else {
		/* ENOENT, ECONNREFUSED: BIRD absent; EAGAIN: its backlog is full */
		connect_failed(c, strerror(errno));
		return;
	}
	if (err) {
		connect_failed(c, strerror(-err));
		return;
	}
	timer_arm(c, c->timeout_ms, false);
}

/* Close the connection, fail the command in flight with why, report the disconnect, and
 * back off. Queued commands stay for the next connection.
 */
static void reset(struct bird_ctl *c, const char *why)
{
	struct bird_reply r = c->reply;
	char *cmd = c->cur;
	bool was_up = c->up;

	/* once per outage: a BIRD that stays broken does not fill the log */
	if (was_up || !c->warned)
		pr_warn("bird: connection to %s reset: %s\n", c->addr.sun_path, why);
	c->warned = true;
	c->cur = NULL;
	memset(&c->reply, 0, sizeof(c->reply));
	c->up = false;
	sock_close(c);
	backoff(c);
	if (cmd) {
		r.code = -1;
		r.error = true;
		snprintf(r.err, sizeof(r.err), "%s", why);
		c->done(c->ctx, cmd, &r);
		free(cmd);
		bird_reply_free(&r);
	}
	if (was_up && c->state)
		c->state(c->ctx, false);
}

static void flush_out(struct bird_ctl *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->sock, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (!c->want_out)
					sock_watch(c, EPOLL_CTL_MOD, true);
				return;
			}
			c->pending_err = errno;
			timer_arm(c, 0, true);
			return;
		}
		c->out_off += n;
	}
	if (c->want_out)
		sock_watch(c, EPOLL_CTL_MOD, false);
}

/* Start the next queued command if the connection is free. */
static void pump(struct bird_ctl *c)
{
	char *cmd;
	size_t len;

	if (c->st != BIRD_READY || c->cur || !c->q_len || c->pending_err)
		return;
	cmd = c->q[c->q_head];
	c->q_head = (c->q_head + 1) % BIRD_CTL_QUEUE_MAX;
	c->q_len--;
	c->cur = cmd;
	memset(&c->reply, 0, sizeof(c->reply));
	len = strlen(cmd);
	memcpy(c->out, cmd, len);
	c->out[len] = '\n';
	c->out_len = len + 1;
	c->out_off = 0;
	timer_arm(c, c->timeout_ms, false);
	flush_out(c);
}

static void on_line(void *ctx, const struct bird_line *ln, bool final)
{
	struct bird_ctl *c = ctx;

	if (c->proto_err || ln->kind == '+')
		return;
	if (c->st == BIRD_GREETING) {
		/* the greeting is one final 0001 line */
		if (final && ln->code == 1)
			c->greeted = true;
		else
			c->proto_err = -EPROTO;
		return;
	}
	if (!c->cur || c->finished) {
		c->proto_err = -EPROTO; /* a reply nobody asked for */
		return;
	}
	if (bird_reply_add(&c->reply, ln, final)) {
		c->proto_err = -ENOMEM;
		return;
	}
	c->finished = final;
}

static void greeted(struct bird_ctl *c)
{
	c->st = BIRD_READY;
	c->greeted = false;
	c->backoff_ms = BIRD_BACKOFF_MIN_MS;
	c->warned = false;
	c->up = true;
	timer_arm(c, 0, false);
	pr_info("bird: connected to %s\n", c->addr.sun_path);
	if (c->state)
		c->state(c->ctx, true);
	pump(c);
}

static void finish(struct bird_ctl *c)
{
	struct bird_reply r = c->reply;
	char *cmd = c->cur;

	c->cur = NULL;
	c->finished = false;
	memset(&c->reply, 0, sizeof(c->reply));
	timer_arm(c, 0, false);
	c->done(c->ctx, cmd, &r);
	free(cmd);
	bird_reply_free(&r);
	pump(c);
}

static void sock_read(struct bird_ctl *c)
{
	char buf[16384];
	uint64_t gen = c->gen;
	ssize_t n;
	int i, err;

	for (i = 0; i < BIRD_READS_PER_DISPATCH && c->gen == gen; i++) {
		n = recv(c->sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			reset(c, n ? strerror(errno) : "BIRD closed the connection");
			return;
		}
		err = bird_reply_feed(&c->rp, buf, n, on_line, c);
		/* a completed greeting or reply is handed over before any error after it */
		if (c->greeted)
			greeted(c);
		if (c->finished && c->gen == gen)
			finish(c);
		if (c->gen != gen)
			return; /* a callback's doing is not possible here, but stay safe */
		if (err || c->proto_err) {
			reset(c, c->proto_err == -ENOMEM ? "out of memory" : "protocol error");
			return;
		}
	}
}

static void on_sock(struct bird_ctl *c, uint32_t events)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (c->st == BIRD_CONNECTING) {
		if (getsockopt(c->sock, SOL_SOCKET, SO_ERROR, &soerr, &sl))
			soerr = errno;
		if (soerr) {
			connect_failed(c, strerror(soerr));
			return;
		}
		c->st = BIRD_GREETING;
		sock_watch(c, EPOLL_CTL_MOD, false);
		return;
	}
	if ((events & EPOLLOUT) && c->st == BIRD_READY)
		flush_out(c);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		sock_read(c);
}

static void on_timer(struct bird_ctl *c)
{
	uint64_t ticks;

	if (read(c->tfd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return; /* disarmed or re-armed since it fired */
	if (c->pending_err) {
		reset(c, strerror(c->pending_err));
		return;
	}
	switch (c->st) {
	case BIRD_WAIT:
		try_connect(c);
		break;
	case BIRD_CONNECTING:
		connect_failed(c, "connect timed out");
		break;
	case BIRD_GREETING:
		connect_failed(c, "no greeting from BIRD");
		break;
	case BIRD_READY:
		if (c->cur)
			reset(c, "timeout");
		break;
	}
}

int bird_ctl_dispatch(struct bird_ctl *c)
{
	struct epoll_event ev[4];
	int n, i;

	n = epoll_wait(c->ep, ev, 4, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	/* the socket first: a reply that completes disarms the timeout fired beside it */
	for (i = 0; i < n; i++)
		if ((ev[i].data.u64 & 1) == TAG_SOCK && ev[i].data.u64 >> 1 == c->gen &&
		    c->sock >= 0)
			on_sock(c, ev[i].events);
	for (i = 0; i < n; i++)
		if ((ev[i].data.u64 & 1) == TAG_TIMER)
			on_timer(c);
	return 0;
}

int bird_ctl_new(const char *socket_path, uint32_t timeout_ms, bird_done_fn done,
		 bird_state_fn state, void *ctx, struct bird_ctl **out)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_TIMER };
	struct bird_ctl *c;
	int err;

	if (!socket_path || !done || !timeout_ms)
		return -EINVAL;
	if (strlen(socket_path) >= sizeof(c->addr.sun_path))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->addr.sun_family = AF_UNIX;
	strcpy(c->addr.sun_path, socket_path);
	c->timeout_ms = timeout_ms;
	c->done = done;
	c->state = state;
	c->ctx = ctx;
	c->sock = -1;
	c->tfd = -1;
	c->backoff_ms = BIRD_BACKOFF_MIN_MS;
	bird_reply_parser_init(&c->rp);

	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0) {
		err = -errno;
		goto err_free;
	}
	c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->tfd < 0) {
		err = -errno;
		goto err_ep;
	}
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, c->tfd, &ev)) {
		err = -errno;
		goto err_tfd;
	}
	try_connect(c);
	*out = c;
	return 0;

err_tfd:
	close(c->tfd);
err_ep:
	close(c->ep);
err_free:
	free(c);
	return err;
}

void bird_ctl_free(struct bird_ctl *c)
{
	if (!c)
		return;
	sock_close(c);
	while (c->q_len) {
		free(c->q[c->q_head]);
		c->q_head = (c->q_head + 1) % BIRD_CTL_QUEUE_MAX;
		c->q_len--;
	}
	free(c->cur);
	bird_reply_free(&c->reply);
	close(c->tfd);
	close(c->ep);
	free(c);
}

bool bird_ctl_connected(const struct bird_ctl *c)
{
	return c->st == BIRD_READY;
}

int bird_ctl_fd(const struct bird_ctl *c)
{
	return c->ep;
}

static int check_cmd(const char *cmd)
{
	size_t len = strlen(cmd);

	if (!len || strpbrk(cmd, "\r\n"))
		return -EINVAL;
	return len > BIRD_CMD_MAX ? -EMSGSIZE : 0;
}

int bird_ctl_send(struct bird_ctl *c, const char *cmd)
{
	unsigned int tail;
	int err;

	err = check_cmd(cmd);
	if (err)
		return err;
	if (c->q_len == BIRD_CTL_QUEUE_MAX)
		return -E2BIG;
	tail = (c->q_head + c->q_len) % BIRD_CTL_QUEUE_MAX;
	c->q[tail] = strdup(cmd);
	if (!c->q[tail])
		return -ENOMEM;
	c->q_len++;
	pump(c);
	return 0;
}

/* bird_ctl_once: a blocking exchange on its own socket, bounded by one deadline. */
struct bird_once {
	struct bird_reply *r;
	bool greeted;
	bool done;
	int err;
};

static void once_line(void *ctx, const struct bird_line *ln, bool final)
{
	struct bird_once *o = ctx;

	if (o->err || o->done || ln->kind == '+')
		return;
	if (!o->greeted) {
		if (final && ln->code == 1)
			o->greeted = true;
		else
			o->err = -EPROTO;
		return;
	}
	if (bird_reply_add(o->r, ln, final))
		o->err = -ENOMEM;
	o->done = final;
}

/* Wait for events on fd until the deadline: 0, -ETIMEDOUT or -errno. */
static int once_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now;
	int n;

	for (;;) {
		now = mono_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)(deadline - now));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* Read and parse until cond is true. */
static int once_read(int fd, struct bird_reply_parser *rp, struct bird_once *o, bool *cond,
		     uint64_t deadline)
{
	char buf[16384];
	ssize_t n;
	int err;

	while (!*cond) {
		err = once_wait(fd, POLLIN, deadline);
		if (err)
			return err;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ECONNRESET;
		err = bird_reply_feed(rp, buf, n, once_line, o);
		if (err)
			return err;
		if (o->err)
			return o->err;
	}
	return 0;
}

int bird_ctl_once(const char *socket_path, const char *cmd, uint32_t timeout_ms,
		  struct bird_reply *out)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct bird_once o = { .r = out };
	struct bird_reply_parser rp;
	char line[BIRD_CMD_MAX + 2];
	size_t len, off = 0;
	const char *what;
	ssize_t n;
	int fd, err;

	memset(out, 0, sizeof(*out));
	bird_reply_parser_init(&rp);
	what = "command";
	err = check_cmd(cmd);
	if (err)
		goto fail;
	what = "socket path";
	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		err = -ENAMETOOLONG;
		goto fail;
	}
	strcpy(addr.sun_path, socket_path);

	what = "connect";
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		err = -errno;
		if (err != -EINPROGRESS)
			goto close;
		err = once_wait(fd, POLLOUT, deadline);
		if (err)
			goto close;
	}

	what = "greeting";
	err = once_read(fd, &rp, &o, &o.greeted, deadline);
	if (err)
		goto close;

	what = "send";
	len = strlen(cmd);
	memcpy(line, cmd, len);
	line[len++] = '\n';
	while (off < len) {
		n = send(fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			err = once_wait(fd, POLLOUT, deadline);
		else if (n < 0 && errno != EINTR)
			err = -errno;
		if (err)
			goto close;
		if (n > 0)
			off += n;
	}

	what = "reply";
	err = once_read(fd, &rp, &o, &o.done, deadline);
close:
	close(fd);
fail:
	if (err) {
		out->code = -1;
		out->error = true;
		snprintf(out->err, sizeof(out->err), "%s: %s", what,
			 err == -ETIMEDOUT ? "timeout" : strerror(-err));
	}
	return err;
}
