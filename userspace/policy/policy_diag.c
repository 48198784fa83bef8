// SPDX-License-Identifier: GPL-2.0
/* Diagnostics for the policy module: problems are held as "PATH: MESSAGE" with their line:col
 * and handed to the caller's callback sorted by position, at most POLICY_MAX_ERRORS of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_impl.h"

void policy_err(struct policy_build *b, struct policy_pos pos, const char *path, const char *fmt,
		...)
{
	struct policy_diag_item *it;
	char msg[POLICY_MSG_LEN];
	size_t n = 0;
	va_list ap;

	if (b->errors++ >= POLICY_MAX_ERRORS || !b->diag)
		return;
	if (path && *path)
		n = snprintf(msg, sizeof(msg), "%s: ", path);
	if (n >= sizeof(msg))
		n = sizeof(msg) - 1;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	it = &b->items[b->n_items];
	it->msg = strdup(msg);
	if (!it->msg) { /* no memory to hold it: say it now, out of order */
		b->diag(b->ctx, b->name, pos.line, pos.col, msg);
		return;
	}
	it->pos = pos;
	it->seq = b->n_items++;
}

static int diag_item_cmp(const void *x, const void *y)
{
	const struct policy_diag_item *a = x, *c = y;

	if (a->pos.line != c->pos.line)
		return a->pos.line < c->pos.line ? -1 : 1;
	if (a->pos.col != c->pos.col)
		return a->pos.col < c->pos.col ? -1 : 1;
	return a->seq < c->seq ? -1 : a->seq > c->seq;
}

void policy_flush(struct policy_build *b)
{
	char msg[64];
	size_t i;

	qsort(b->items, b->n_items, sizeof(b->items[0]), diag_item_cmp);
	for (i = 0; i < b->n_items; i++) {
		b->diag(b->ctx, b->name, b->items[i].pos.line, b->items[i].pos.col,
			b->items[i].msg);
		free(b->items[i].msg);
	}
	b->n_items = 0;
	if (b->diag && b->errors > POLICY_MAX_ERRORS) {
		snprintf(msg, sizeof(msg), "%u more errors not shown",
			 b->errors - POLICY_MAX_ERRORS);
		b->diag(b->ctx, b->name, 0, 0, msg);
	}
}

const char *policy_quote(const char *s, char *buf, size_t len)
{
	const size_t max = 48;
	size_t i;

	for (i = 0; s[i] && i < max && i + 4 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (s[i] && i + 4 <= len) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

void policy_diag_stderr(void *ctx, const char *file, unsigned int line, unsigned int col,
			const char *msg)
{
	FILE *f = ctx ? ctx : stderr;

	if (line)
		fprintf(f, "%s:%u:%u: error: %s\n", file, line, col, msg);
	else
		fprintf(f, "%s: error: %s\n", file, msg);
}
