// SPDX-License-Identifier: GPL-2.0
/* BIRD's control-socket reply syntax (nest/cli.c, doc/reply_codes), parsed incrementally.
 *
 * Lines: "DDDD-text" (more follows), "DDDD text" (last line of the reply), " text" (more of
 * the previous code: BIRD elides a repeated code), "+text" (spontaneous, e.g. log lines after
 * `echo all`; BIRD writes no code after '+'). Any four digits are a code; the class is the
 * first digit. Nothing here matches BIRD's human text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird_reply.h"

void bird_reply_parser_init(struct bird_reply_parser *rp)
{
	rp->len = 0;
	rp->overlong = false;
	rp->last_code = -1;
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* BIRD's cli_copy_message writes "<N messages lost>" without the '+' when an `echo` ring
 * overflowed: spontaneous output too, not garbage.
 */
static bool is_lost_notice(const char *s, size_t len)
{
	static const char tail[] = " messages lost>";
	size_t tl = sizeof(tail) - 1, i;

	if (len < tl + 2 || s[0] != '<' || memcmp(s + len - tl, tail, tl))
		return false;
	for (i = 1; i < len - tl; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* One complete line (without its '\n') into ln. 0, or -EPROTO if it is not reply syntax. */
static int parse_line(struct bird_reply_parser *rp, struct bird_line *ln, bool *final)
{
	const char *s = rp->buf;
	size_t len = rp->len, skip, tlen;

	*final = false;
	ln->cut = rp->overlong;
	if (!len || memchr(s, '\0', len))
		return -EPROTO;
	if (s[0] == '+' || is_lost_notice(s, len)) {
		ln->code = -1;
		ln->group = -1;
		ln->kind = '+';
		skip = s[0] == '+';
		/* a spontaneous line may sit between a reply's lines: last_code stays */
	} else if (s[0] == ' ') {
		if (rp->last_code < 0)
			return -EPROTO; /* continues nothing */
		ln->code = -1;
		ln->group = rp->last_code;
		ln->kind = 'c';
		skip = 1;
	} else if (len >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) &&
		   is_digit(s[3]) && (s[4] == '-' || s[4] == ' ')) {
		ln->code =
			(s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + s[3] - '0';
		ln->group = ln->code;
		ln->kind = s[4];
		skip = 5;
		*final = s[4] == ' ';
		rp->last_code = *final ? -1 : ln->code;
	} else {
		return -EPROTO;
	}
	tlen = len - skip;
	if (tlen > BIRD_LINE_MAX - 1) {
		tlen = BIRD_LINE_MAX - 1;
		ln->cut = true;
	}
	memcpy(ln->text, s + skip, tlen);
	ln->text[tlen] = '\0';
	return 0;
}

int bird_reply_feed(struct bird_reply_parser *rp, const char *data, size_t len, bird_line_fn fn,
		    void *ctx)
{
	struct bird_line ln;
	size_t room, seg;
	const char *nl;
	bool final;
	int err;

	while (len) {
		nl = memchr(data, '\n', len);
		seg = nl ? (size_t)(nl - data) : len;
		/* keep what fits, drop the rest of an overlong line but remember it was cut */
		room = sizeof(rp->buf) - 1 - rp->len;
		if (seg > room) {
			rp->overlong = true;
			memcpy(rp->buf + rp->len, data, room);
			rp->len += room;
		} else {
			memcpy(rp->buf + rp->len, data, seg);
			rp->len += seg;
		}
		if (!nl)
			return 0;
		data += seg + 1;
		len -= seg + 1;
		err = parse_line(rp, &ln, &final);
		rp->len = 0;
		rp->overlong = false;
		if (err)
			return err;
		fn(ctx, &ln, final);
	}
	return 0;
}

void bird_reply_free(struct bird_reply *r)
{
	free(r->lines);
	r->lines = NULL;
	r->n_lines = 0;
}

int bird_reply_add(struct bird_reply *r, const struct bird_line *line, bool final)
{
	struct bird_line *lines;
	size_t n = r->n_lines, cap;

	if (line->kind == '+')
		return 0;
	if (n >= BIRD_REPLY_MAX_LINES) {
		r->truncated = true;
	} else {
		/* capacity is implied by n: 8, then doubling, so the struct needs no field */
		if (n == 0 || (n >= 8 && !(n & (n - 1)))) {
			cap = n ? n * 2 : 8;
			lines = realloc(r->lines, cap * sizeof(*lines));
			if (!lines)
				return -ENOMEM;
			r->lines = lines;
		}
		r->lines[n] = *line;
		r->n_lines = n + 1;
	}
	if (final) {
		r->code = line->code;
		r->error = bird_code_is_error(line->code);
		if (r->error)
			snprintf(r->err, sizeof(r->err), "%s", line->text);
	}
	return 0;
}
