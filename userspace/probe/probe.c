// SPDX-License-Identifier: GPL-2.0
/* The probe engine: every target's probe is a non-blocking socket on one epoll instance, and
 * one timerfd is armed for the earliest due time in a min-heap keyed by each target's next
 * event (its deadline while a probe is in flight, its next round otherwise). A target that
 * hangs or trickles only holds its own socket until its own deadline.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "inet.h"
#include "probe.h"
#include "probe_impl.h"

#define PROBE_EVENTS 64 /* epoll events per wait */
#define PROBE_EVENT_ROUNDS 16 /* waits per dispatch, so a flood cannot starve timeouts */
#define PROBE_FD_RESERVE 256 /* fds left to the rest of the daemon by the default cap */
#define PROBE_MIN_INFLIGHT 16
#define PROBE_START_SLACK_MS 10 /* a probe may start this much early, at most interval / 20 */
#define NO_POS ((size_t)-1)
#define NS_PER_MS 1000000ull

enum slot_state { SLOT_IDLE, SLOT_WAITING, SLOT_CONNECTING, SLOT_SENDING, SLOT_READING };

struct probe_slot {
	struct probe_target t;
	size_t index; /* in the last prober_set_targets */
	size_t heap_pos; /* NO_POS while waiting for the in-flight cap */
	uint64_t key_ns; /* heap key: deadline in flight, next round when idle */
	uint64_t sched_ns; /* this round's scheduled start: rounds stay on a fixed grid */
	uint64_t start_ns;
	enum slot_state state;
	int fd;
	uint32_t ep_events; /* registered with epoll; 0 when not */
	size_t sent;
	char *buf; /* the response, PROBE_RESPONSE_MAX + 1 bytes, only while reading */
	struct probe_http http;
	struct probe_slot *wprev, *wnext; /* waiting list */
	bool claimed; /* prober_set_targets: kept for a new target */
};

struct prober {
	int epfd;
	int tfd;
	probe_done_fn done;
	void *ctx;
	struct probe_slot **slots;
	size_t n;
	struct probe_slot **heap;
	size_t heap_n;
	struct probe_slot *whead, *wtail;
	uint64_t armed_ns; /* the timerfd's expiry; 0 when disarmed or fired */
	uint64_t gen; /* bumped by prober_set_targets: stale epoll events are dropped */
	struct prober_stats st;
};

/* The min-heap of slots by key_ns; each slot knows its position. */
static void heap_set(struct prober *pr, size_t i, struct probe_slot *s)
{
	pr->heap[i] = s;
	s->heap_pos = i;
}

static void heap_up(struct prober *pr, size_t i)
{
	struct probe_slot *s = pr->heap[i];

	while (i) {
		size_t p = (i - 1) / 2;

		if (pr->heap[p]->key_ns <= s->key_ns)
			break;
		heap_set(pr, i, pr->heap[p]);
		i = p;
	}
	heap_set(pr, i, s);
}

static void heap_down(struct prober *pr, size_t i)
{
	struct probe_slot *s = pr->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= pr->heap_n)
			break;
		if (c + 1 < pr->heap_n && pr->heap[c + 1]->key_ns < pr->heap[c]->key_ns)
			c++;
		if (s->key_ns <= pr->heap[c]->key_ns)
			break;
		heap_set(pr, i, pr->heap[c]);
		i = c;
	}
	heap_set(pr, i, s);
}

static void heap_fix(struct prober *pr, struct probe_slot *s)
{
	heap_up(pr, s->heap_pos);
	heap_down(pr, s->heap_pos);
}

static void heap_push(struct prober *pr, struct probe_slot *s)
{
	heap_set(pr, pr->heap_n++, s);
	heap_up(pr, s->heap_pos);
}

static void heap_remove(struct prober *pr, struct probe_slot *s)
{
	size_t i = s->heap_pos;
	struct probe_slot *last = pr->heap[--pr->heap_n];

	s->heap_pos = NO_POS;
	if (last == s)
		return;
	heap_set(pr, i, last);
	heap_fix(pr, last);
}

static void prober_arm(struct prober *pr)
{
	uint64_t t = pr->heap_n ? pr->heap[0]->key_ns : 0;
	struct itimerspec its = { 0 };

	if (t == pr->armed_ns)
		return;
	/* zero disarms; a time already past fires at once */
	its.it_value.tv_sec = t / 1000000000ull;
	its.it_value.tv_nsec = t % 1000000000ull;
	if (t && !its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	if (!timerfd_settime(pr->tfd, TFD_TIMER_ABSTIME, &its, NULL))
		pr->armed_ns = t;
}

static void waitq_unlink(struct prober *pr, struct probe_slot *s)
{
	if (s->wprev)
		s->wprev->wnext = s->wnext;
	else
		pr->whead = s->wnext;
	if (s->wnext)
		s->wnext->wprev = s->wprev;
	else
		pr->wtail = s->wprev;
	s->wprev = s->wnext = NULL;
}

static void waitq_append(struct prober *pr, struct probe_slot *s)
{
	s->wnext = NULL;
	s->wprev = pr->wtail;
	if (pr->wtail)
		pr->wtail->wnext = s;
	else
		pr->whead = s;
	pr->wtail = s;
}

/* Abortive close (RST): neither side keeps a TIME_WAIT per probe, thousands a second. */
static void slot_close(struct probe_slot *s)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (s->fd >= 0) {
		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(s->fd);
	}
	s->fd = -1;
	s->ep_events = 0;
	free(s->buf);
	s->buf = NULL;
}

static void slot_finish(struct prober *pr, struct probe_slot *s, struct probe_result *r)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC), lat = (now - s->start_ns) / 1000, ival, k;

	r->latency_us = lat > UINT32_MAX ? UINT32_MAX : lat;
	slot_close(s);
	pr->st.inflight--;
	if (r->ok)
		pr->st.passed++;
	else
		pr->st.failed++;

	/* next round on the grid; rounds that fell due while this one ran are skipped */
	ival = s->t.cfg.interval_ms * NS_PER_MS;
	s->sched_ns += ival;
	if (s->sched_ns <= now) {
		k = (now - s->sched_ns) / ival + 1;
		s->sched_ns += k * ival;
		pr->st.skipped += k;
	}
	s->state = SLOT_IDLE;
	s->key_ns = s->sched_ns;
	heap_fix(pr, s);
	/* last: the callback may replace the target list */
	pr->done(pr->ctx, s->index, r);
}

static void slot_fail_local(struct prober *pr, struct probe_slot *s, const char *why, bool local)
{
	struct probe_result r = { .local_error = local };

	if (s->buf)
		r.http_status = s->http.status;
	snprintf(r.why, sizeof(r.why), "%s", why);
	slot_finish(pr, s, &r);
}

static void slot_fail(struct prober *pr, struct probe_slot *s, const char *why)
{
	slot_fail_local(pr, s, why, false);
}

/* Errors this host raises before a packet leaves (no route, no source address, interface
 * down): the guard's evidence that the edge, not the backend, is cut off.
 */
static bool errno_is_local(int err)
{
	return err == ENETUNREACH || err == EHOSTUNREACH || err == EADDRNOTAVAIL || err == ENETDOWN;
}

static void slot_fail_errno(struct prober *pr, struct probe_slot *s, const char *what, int err)
{
	const char *why;
	char buf[96];

	switch (err) {
	case ECONNREFUSED:
		why = "connection refused";
		break;
	case ECONNRESET:
		why = "connection reset";
		break;
	case EHOSTUNREACH:
		why = "host unreachable";
		break;
	case ENETUNREACH:
		why = "network unreachable";
		break;
	case EPIPE:
		why = "connection closed";
		break;
	default:
		snprintf(buf, sizeof(buf), "%s: %s", what, strerror(err));
		why = buf;
	}
	slot_fail_local(pr, s, why, errno_is_local(err));
}

static int slot_watch(struct prober *pr, struct probe_slot *s, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };
	int op = s->ep_events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	if (s->ep_events == events)
		return 0;
	if (epoll_ctl(pr->epfd, op, s->fd, &ev))
		return -errno;
	s->ep_events = events;
	return 0;
}

static void slot_send(struct prober *pr, struct probe_slot *s)
{
	char req[POLICY_PATH_MAX + 160], host[INET_ADDR_STR];
	const struct inet_addr *a = &s->t.addr;
	ssize_t n;
	int len, err;

	inet_addr_str(a, host, sizeof(host));
	len = snprintf(req, sizeof(req),
		       "GET %s HTTP/1.1\r\nHost: %s%s%s\r\nUser-Agent: anyedge-probe\r\n"
		       "Connection: close\r\nAccept: application/json\r\n\r\n",
		       s->t.cfg.path, a->family == AE_FAMILY_V6 ? "[" : "", host,
		       a->family == AE_FAMILY_V6 ? "]" : "");
	while (s->sent < (size_t)len) {
		n = send(s->fd, req + s->sent, len - s->sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			err = slot_watch(pr, s, EPOLLOUT);
			if (err)
				slot_fail_errno(pr, s, "epoll", -err);
			return;
		}
		if (n < 0) {
			slot_fail_errno(pr, s, "send", errno);
			return;
		}
		s->sent += n;
	}
	s->state = SLOT_READING;
	err = slot_watch(pr, s, EPOLLIN);
	if (err)
		slot_fail_errno(pr, s, "epoll", -err);
}

static void slot_connected(struct prober *pr, struct probe_slot *s)
{
	struct probe_result r = { .ok = true };

	if (s->t.cfg.type == PROBE_TCP) {
		slot_finish(pr, s, &r);
		return;
	}
	s->buf = malloc(PROBE_RESPONSE_MAX + 1);
	if (!s->buf) {
		slot_fail(pr, s, "out of memory");
		return;
	}
	probe_http_init(&s->http, s->buf);
	s->state = SLOT_SENDING;
	s->sent = 0;
	slot_send(pr, s);
}

/* A complete response: the verdict is its status's and its body's (a 503 may drain). */
static void slot_judge(struct prober *pr, struct probe_slot *s)
{
	struct probe_result r = { 0 };
	const char *body;
	size_t len;

	body = probe_http_body(&s->http, &len);
	r.http_status = s->http.status;
	probe_parse_reply(s->http.status, body, len,
			  s->t.cfg.fail_on_lag ? s->t.cfg.max_replica_lag_ms : 0, &r);
	slot_finish(pr, s, &r);
}

static void slot_read(struct prober *pr, struct probe_slot *s)
{
	struct probe_http *h = &s->http;
	enum probe_http_rc rc;
	char why[128];
	ssize_t n;

	for (;;) {
		n = recv(s->fd, s->buf + h->len, PROBE_RESPONSE_MAX + 1 - h->len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				slot_fail_errno(pr, s, "recv", errno);
			return;
		}
		h->len += n;
		rc = probe_http_feed(h, n == 0, why, sizeof(why));
		/* any status's body is read: a 503's may say draining, and its error is shown */
		if (rc == PROBE_HTTP_ERR && h->status && h->status != 200) {
			snprintf(why, sizeof(why), "HTTP %d", h->status);
			slot_fail(pr, s, why);
			return;
		}
		if (rc == PROBE_HTTP_ERR) {
			slot_fail(pr, s, why);
			return;
		}
		if (rc == PROBE_HTTP_DONE) {
			slot_judge(pr, s);
			return;
		}
		if (h->len > PROBE_RESPONSE_MAX) {
			slot_fail(pr, s, "response too large");
			return;
		}
	}
}

static void slot_event(struct prober *pr, struct probe_slot *s, uint32_t events)
{
	socklen_t len = sizeof(int);
	int err = 0;

	switch (s->state) {
	case SLOT_CONNECTING:
		/* writable without an error is connected: no SO_ERROR call per probe */
		if (events & (EPOLLERR | EPOLLHUP) &&
		    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		if (events & (EPOLLERR | EPOLLHUP) && !err)
			err = ECONNRESET;
		if (err)
			slot_fail_errno(pr, s, "connect", err);
		else
			slot_connected(pr, s);
		break;
	case SLOT_SENDING:
		slot_send(pr, s);
		break;
	case SLOT_READING:
		slot_read(pr, s);
		break;
	default:
		break; /* finished earlier in this batch */
	}
}

static void slot_start(struct prober *pr, struct probe_slot *s)
{
	const struct inet_addr *a = &s->t.addr;
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int err;

	s->start_ns = clock_ns(CLOCK_MONOTONIC);
	s->key_ns = s->start_ns + s->t.cfg.timeout_ms * NS_PER_MS;
	s->state = SLOT_CONNECTING;
	if (s->heap_pos == NO_POS)
		heap_push(pr, s);
	else
		heap_fix(pr, s);
	pr->st.started++;
	pr->st.inflight++;

	if (a->family == AE_FAMILY_V4) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(s->t.cfg.port);
		memcpy(&sin->sin_addr, a->bytes, 4);
		sl = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(s->t.cfg.port);
		memcpy(&sin6->sin6_addr, a->bytes, 16);
		sl = sizeof(*sin6);
	}
	s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		slot_fail_errno(pr, s, "socket", errno);
		return;
	}
	if (!connect(s->fd, (struct sockaddr *)&ss, sl)) {
		slot_connected(pr, s);
		return;
	}
	if (errno != EINPROGRESS) {
		slot_fail_errno(pr, s, "connect", errno);
		return;
	}
	err = slot_watch(pr, s, EPOLLOUT);
	if (err)
		slot_fail_errno(pr, s, "epoll", -err);
}

/* Starts this close to due go together: one wakeup per batch, not one per target, which is
 * most of the cost of thousands of targets. Rounds stay on their grid (sched_ns).
 */
static uint64_t slot_slack_ns(const struct probe_slot *s)
{
	uint64_t slack = s->t.cfg.interval_ms * NS_PER_MS / 20;

	return slack < PROBE_START_SLACK_MS * NS_PER_MS ? slack : PROBE_START_SLACK_MS * NS_PER_MS;
}

/* Start or time out whatever is due; a due probe over the cap waits in line. */
static void prober_timers(struct prober *pr)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	struct probe_slot *s;

	while (pr->heap_n) {
		s = pr->heap[0];
		if (s->key_ns > now + (s->state == SLOT_IDLE ? slot_slack_ns(s) : 0))
			break;
		if (s->state != SLOT_IDLE) {
			slot_fail(pr, s,
				  s->state == SLOT_CONNECTING ? "timeout (connecting)" :
				  !s->buf || !s->http.len     ? "timeout (no response)" :
								"timeout (response incomplete)");
		} else if (pr->st.inflight >= pr->st.max_inflight) {
			heap_remove(pr, s);
			s->state = SLOT_WAITING;
			waitq_append(pr, s);
			pr->st.deferred++;
		} else {
			slot_start(pr, s);
		}
	}
	while (pr->whead && pr->st.inflight < pr->st.max_inflight) {
		s = pr->whead;
		waitq_unlink(pr, s);
		slot_start(pr, s);
	}
}

int prober_dispatch(struct prober *pr)
{
	struct epoll_event ev[PROBE_EVENTS];
	uint64_t expirations, gen;
	int round, n, i;

	for (round = 0; round < PROBE_EVENT_ROUNDS; round++) {
		n = epoll_wait(pr->epfd, ev, PROBE_EVENTS, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		gen = pr->gen;
		for (i = 0; i < n && gen == pr->gen; i++) {
			if (ev[i].data.ptr) {
				slot_event(pr, ev[i].data.ptr, ev[i].events);
				continue;
			}
			if (read(pr->tfd, &expirations, sizeof(expirations)) > 0)
				pr->armed_ns = 0;
		}
		/* a replaced target list makes the rest of the batch stale: wait again */
		if (n < PROBE_EVENTS && gen == pr->gen)
			break;
	}
	prober_timers(pr);
	prober_arm(pr);
	return 0;
}

static int target_cmp(const struct probe_target *a, const struct probe_target *b)
{
	const struct policy_probe *x = &a->cfg, *y = &b->cfg;
	int d = inet_addr_cmp(&a->addr, &b->addr);

	if (d)
		return d;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
#define CMP_FIELD(f)                                 \
	do {                                         \
		if (x->f != y->f)                    \
			return x->f < y->f ? -1 : 1; \
	} while (0)
	CMP_FIELD(port);
	CMP_FIELD(interval_ms);
	CMP_FIELD(timeout_ms);
	CMP_FIELD(rise);
	CMP_FIELD(fall);
	CMP_FIELD(max_replica_lag_ms);
	CMP_FIELD(fail_on_lag);
#undef CMP_FIELD
	return x->type == PROBE_HTTP ? strncmp(x->path, y->path, sizeof(x->path)) : 0;
}

static int slot_ptr_cmp(const void *a, const void *b)
{
	return target_cmp(&(*(struct probe_slot *const *)a)->t,
			  &(*(struct probe_slot *const *)b)->t);
}

static bool target_valid(const struct probe_target *t)
{
	const struct policy_probe *c = &t->cfg;
	size_t i;

	if (t->addr.family != AE_FAMILY_V4 && t->addr.family != AE_FAMILY_V6)
		return false;
	if (!c->port || !c->interval_ms || !c->timeout_ms)
		return false;
	if (c->type == PROBE_TCP)
		return true;
	if (c->type != PROBE_HTTP || c->path[0] != '/')
		return false;
	/* the path goes on the request line verbatim: no spaces or controls */
	for (i = 0; i < sizeof(c->path) && c->path[i]; i++)
		if ((unsigned char)c->path[i] <= 0x20 || c->path[i] == 0x7f)
			return false;
	return i < sizeof(c->path);
}

/* An unclaimed old slot with the same target, or NULL; old is sorted by target. */
static struct probe_slot *slot_find(struct probe_slot **old, size_t n, const struct probe_target *t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (target_cmp(&old[mid]->t, t) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && !target_cmp(&old[lo]->t, t); lo++)
		if (!old[lo]->claimed)
			return old[lo];
	return NULL;
}

static void slot_free(struct prober *pr, struct probe_slot *s)
{
	if (s->state == SLOT_WAITING)
		waitq_unlink(pr, s);
	else if (s->state != SLOT_IDLE)
		pr->st.inflight--;
	slot_close(s);
	free(s);
}

int prober_set_targets(struct prober *pr, const struct probe_target *t, size_t n)
{
	struct probe_slot **slots = NULL, **heap = NULL, **old = NULL, *s;
	uint64_t now;
	size_t i;
	int err = -ENOMEM;

	for (i = 0; i < n; i++)
		if (!target_valid(&t[i]))
			return -EINVAL;
	slots = calloc(n + 1, sizeof(*slots));
	heap = calloc(n + 1, sizeof(*heap));
	old = calloc(pr->n + 1, sizeof(*old));
	if (!slots || !heap || !old)
		goto err;
	/* the first call has no slots: memcpy and qsort take no NULL, even for 0 bytes */
	if (pr->n) {
		memcpy(old, pr->slots, pr->n * sizeof(*old));
		qsort(old, pr->n, sizeof(*old), slot_ptr_cmp);
	}
	for (i = 0; i < n; i++) {
		slots[i] = slot_find(old, pr->n, &t[i]);
		if (slots[i]) {
			slots[i]->claimed = true;
			continue;
		}
		slots[i] = calloc(1, sizeof(**slots));
		if (!slots[i])
			goto err;
		slots[i]->fd = -1;
		slots[i]->heap_pos = NO_POS;
		slots[i]->t = t[i];
	}

	/* nothing can fail from here on */
	now = clock_ns(CLOCK_MONOTONIC);
	for (i = 0; i < pr->n; i++) {
		if (pr->slots[i]->claimed)
			pr->slots[i]->claimed = false;
		else
			slot_free(pr, pr->slots[i]);
	}
	pr->heap_n = 0;
	for (i = 0; i < n; i++) {
		s = slots[i];
		s->index = i;
		if (s->heap_pos == NO_POS && s->state == SLOT_IDLE) {
			/* new: the first round spread evenly over one interval */
			s->sched_ns = now + (uint64_t)s->t.cfg.interval_ms * NS_PER_MS * i / n;
			s->key_ns = s->sched_ns;
		}
		if (s->state != SLOT_WAITING)
			heap[pr->heap_n++] = s;
	}
	free(pr->heap);
	pr->heap = heap;
	for (i = 0; i < pr->heap_n; i++)
		pr->heap[i]->heap_pos = i;
	for (i = pr->heap_n / 2; i-- > 0;)
		heap_down(pr, i);
	free(pr->slots);
	pr->slots = slots;
	pr->n = n;
	pr->gen++;
	free(old);
	prober_arm(pr);
	return 0;
err:
	for (i = 0; slots && i < n && slots[i]; i++) {
		if (slots[i]->claimed)
			slots[i]->claimed = false;
		else
			free(slots[i]);
	}
	free(slots);
	free(heap);
	free(old);
	return err;
}

int prober_new(probe_done_fn done, void *ctx, struct prober **out)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct prober *pr;
	struct rlimit rl;
	int err;

	if (!done)
		return -EINVAL;
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return -ENOMEM;
	pr->done = done;
	pr->ctx = ctx;
	pr->tfd = -1;
	pr->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (pr->epfd < 0) {
		err = -errno;
		goto err_free;
	}
	pr->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (pr->tfd < 0 || epoll_ctl(pr->epfd, EPOLL_CTL_ADD, pr->tfd, &ev)) {
		err = -errno;
		goto err_close;
	}
	pr->st.max_inflight = 1024;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY)
		pr->st.max_inflight = rl.rlim_cur > PROBE_FD_RESERVE + PROBE_MIN_INFLIGHT ?
					      rl.rlim_cur - PROBE_FD_RESERVE :
					      PROBE_MIN_INFLIGHT;
	*out = pr;
	return 0;
err_close:
	if (pr->tfd >= 0)
		close(pr->tfd);
	close(pr->epfd);
err_free:
	free(pr);
	return err;
}

void prober_free(struct prober *pr)
{
	size_t i;

	if (!pr)
		return;
	for (i = 0; i < pr->n; i++)
		slot_free(pr, pr->slots[i]);
	free(pr->slots);
	free(pr->heap);
	close(pr->tfd);
	close(pr->epfd);
	free(pr);
}

int prober_fd(const struct prober *pr)
{
	return pr->epfd;
}

void prober_set_max_inflight(struct prober *pr, size_t max)
{
	struct itimerspec its = { .it_value.tv_nsec = 1 };

	pr->st.max_inflight = max ? max : 1;
	/* more room: fire the timer so waiting probes start on the next dispatch */
	if (pr->whead && pr->st.inflight < pr->st.max_inflight &&
	    !timerfd_settime(pr->tfd, TFD_TIMER_ABSTIME, &its, NULL))
		pr->armed_ns = 1;
}

void prober_get_stats(const struct prober *pr, struct prober_stats *st)
{
	*st = pr->st;
}
