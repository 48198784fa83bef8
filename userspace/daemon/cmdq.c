// SPDX-License-Identifier: GPL-2.0
/* The command queue between the API's threads and the loop thread: a bounded list under one
 * mutex, an eventfd the loop polls, and a condition variable submitters wait on with a timeout.
 * A submitter that gives up leaves its item to the loop, which frees it once run.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cmdq.h"

#define CMDQ_MAX 64 /* queued and running; more is -EAGAIN: the loop is not keeping up */

struct cmdq_item {
	struct cmdq_item *next;
	struct edge_cmd cmd;
	bool done; /* the loop has run it and filled in the answer */
	bool abandoned; /* its submitter timed out: the loop frees it */
};

struct cmdq {
	pthread_mutex_t lock;
	pthread_cond_t done_cv; /* broadcast after every run batch */
	struct cmdq_item *head, **tail;
	size_t n; /* items not yet freed: queued, running or answered but unread */
	int efd;
};

int cmdq_new(struct cmdq **out)
{
	pthread_condattr_t ca;
	struct cmdq *q;
	int err;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->tail = &q->head;
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0) {
		err = -errno;
		goto err_free;
	}
	/* deadlines on the monotonic clock: a wall-clock step must not stretch or cut a wait */
	err = -pthread_condattr_init(&ca);
	if (err)
		goto err_close;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	err = -pthread_cond_init(&q->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (err)
		goto err_close;
	err = -pthread_mutex_init(&q->lock, NULL);
	if (err)
		goto err_cond;
	*out = q;
	return 0;
err_cond:
	pthread_cond_destroy(&q->done_cv);
err_close:
	close(q->efd);
err_free:
	free(q);
	return err;
}

/* Only once no submitter can be waiting (the API is stopped). */
void cmdq_free(struct cmdq *q)
{
	struct cmdq_item *it, *next;

	if (!q)
		return;
	for (it = q->head; it; it = next) {
		next = it->next;
		free(it);
	}
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->done_cv);
	close(q->efd);
	free(q);
}

int cmdq_fd(const struct cmdq *q)
{
	return q->efd;
}

static void cmdq_deadline(struct timespec *ts, uint32_t timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

int cmdq_submit(struct cmdq *q, struct edge_cmd *cmd, uint32_t timeout_ms)
{
	const uint64_t one = 1;
	struct cmdq_item *it;
	struct timespec until;
	int err = 0, rc;

	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->cmd = *cmd;
	cmdq_deadline(&until, timeout_ms);

	pthread_mutex_lock(&q->lock);
	if (q->n >= CMDQ_MAX) {
		pthread_mutex_unlock(&q->lock);
		free(it);
		return -EAGAIN;
	}
	*q->tail = it;
	q->tail = &it->next;
	q->n++;
	/* under the lock, so the loop cannot drain the counter before the item is visible */
	if (write(q->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		err = -errno;
	while (!err && !it->done) {
		rc = pthread_cond_timedwait(&q->done_cv, &q->lock, &until);
		if (rc == ETIMEDOUT && !it->done)
			err = -ETIMEDOUT;
	}
	if (it->done) {
		*cmd = it->cmd;
		q->n--;
		free(it);
		err = 0;
	} else {
		/* the loop still holds or will take it; it frees abandoned items itself */
		it->abandoned = true;
	}
	pthread_mutex_unlock(&q->lock);
	return err;
}

void cmdq_run(struct cmdq *q, cmdq_fn fn, void *ctx)
{
	struct cmdq_item *batch, *it, *next;
	uint64_t n;

	pthread_mutex_lock(&q->lock);
	if (read(q->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing signalled, but a batch may still be queued; run it anyway */
	}
	batch = q->head;
	q->head = NULL;
	q->tail = &q->head;
	pthread_mutex_unlock(&q->lock);

	/* without the lock: commands apply to the maps and may take milliseconds */
	for (it = batch; it; it = it->next)
		fn(ctx, &it->cmd);

	pthread_mutex_lock(&q->lock);
	for (it = batch; it; it = next) {
		next = it->next;
		if (it->abandoned) {
			q->n--;
			free(it);
		} else {
			it->done = true;
		}
	}
	pthread_cond_broadcast(&q->done_cv);
	pthread_mutex_unlock(&q->lock);
}
