// SPDX-License-Identifier: GPL-2.0
/* The slow-client guard (api_guard.h). A reaper thread checks the deadlines every 200 ms; a cut
 * is shutdown(2) on our duplicate of the connection's socket: MHD's thread then reads the end
 * of the stream and closes the connection its own way. The duplicate keeps the socket alive
 * until MHD reports the close, so a cut can never land on a reused descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api_guard.h"
#include "clock.h"
#include "log.h"

#define API_GUARD_TICK_MS 200

struct api_guard_conn {
	struct api_guard_conn *prev, *next; /* oldest first */
	int fd; /* our duplicate */
	uint64_t since_ms;
	bool busy, cut;
};

struct api_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t reaper;
	struct api_guard_conn *head, *tail; /* in order of since_ms */
	size_t unfinished; /* not busy, not cut */
	uint64_t cut;
	bool stop;
};

static void guard_unlink(struct api_guard *g, struct api_guard_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		g->tail = c->prev;
	c->prev = c->next = NULL;
}

static void guard_append(struct api_guard *g, struct api_guard_conn *c)
{
	c->prev = g->tail;
	c->next = NULL;
	if (g->tail)
		g->tail->next = c;
	else
		g->head = c;
	g->tail = c;
}

static void guard_cut(struct api_guard *g, struct api_guard_conn *c, const char *why)
{
	c->cut = true;
	g->unfinished--;
	g->cut++;
	shutdown(c->fd, SHUT_RDWR);
	pr_debug("api: connection cut: %s\n", why);
}

/* Under the lock: deadlines first, then crowding, oldest first either way. */
static void guard_check(struct api_guard *g, uint64_t now)
{
	struct api_guard_conn *c;

	for (c = g->head; c; c = c->next)
		if (!c->busy && !c->cut && now - c->since_ms > API_REQUEST_DEADLINE_MS)
			guard_cut(g, c, "request not finished within the deadline");
	for (c = g->head; c && g->unfinished > API_MAX_UNFINISHED; c = c->next)
		if (!c->busy && !c->cut)
			guard_cut(g, c, "too many unfinished requests: the oldest goes");
}

static void *guard_reaper(void *arg)
{
	struct api_guard *g = arg;
	struct timespec ts;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += API_GUARD_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &ts);
		guard_check(g, mono_ms());
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int api_guard_new(struct api_guard **out)
{
	pthread_condattr_t ca;
	struct api_guard *g;
	int err;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	err = pthread_create(&g->reaper, NULL, guard_reaper, g);
	if (err) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return -err;
	}
	*out = g;
	return 0;
}

/* After MHD has stopped: no connection is left. */
void api_guard_free(struct api_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->reaper, NULL);
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

struct api_guard_conn *api_guard_open(struct api_guard *g, int fd)
{
	struct api_guard_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (c->fd < 0) {
		free(c);
		return NULL;
	}
	pthread_mutex_lock(&g->lock);
	c->since_ms = mono_ms();
	guard_append(g, c);
	g->unfinished++;
	/* make room now: the newcomer may be the health probe that must get through */
	guard_check(g, c->since_ms);
	pthread_mutex_unlock(&g->lock);
	return c;
}

void api_guard_close(struct api_guard *g, struct api_guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	if (!c->busy && !c->cut)
		g->unfinished--;
	guard_unlink(g, c);
	pthread_mutex_unlock(&g->lock);
	close(c->fd);
	free(c);
}

void api_guard_busy(struct api_guard *g, struct api_guard_conn *c, bool busy)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	if (!c->cut && busy && !c->busy) {
		c->busy = true;
		g->unfinished--;
	} else if (!c->cut && !busy) {
		if (c->busy)
			g->unfinished++;
		c->busy = false;
		/* a fresh deadline for the next request: to the back of the line */
		c->since_ms = mono_ms();
		guard_unlink(g, c);
		guard_append(g, c);
	}
	pthread_mutex_unlock(&g->lock);
}

uint64_t api_guard_cut(struct api_guard *g)
{
	uint64_t n;

	pthread_mutex_lock(&g->lock);
	n = g->cut;
	pthread_mutex_unlock(&g->lock);
	return n;
}
