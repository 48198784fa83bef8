/* SPDX-License-Identifier: GPL-2.0 */
/* BIRD's control-socket replies: lines "DDDD-text", " text", "DDDD text" and "+text", parsed
 * by their codes as they arrive (bird_reply.c), gathered into one reply per command.
 */
#ifndef ANYEDGE_BIRD_REPLY_H
#define ANYEDGE_BIRD_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#define BIRD_LINE_MAX 1024 /* one reply line; longer lines are cut and flagged */
#define BIRD_REPLY_MAX_LINES 4096 /* kept per reply; later lines are dropped, reply truncated */

/* One parsed reply line. */
struct bird_line {
	int code; /* 0..9999; -1 for a " text" continuation of the previous code */
	char kind; /* '-' more follows, ' ' last line, '+' spontaneous, 'c' continuation */
	char text[BIRD_LINE_MAX];
	/* The code the line belongs to (its own, or the continued line's for 'c'; -1
	 * for '+'), so `show protocols` rows after the first still read as 1002.
	 */
	int group;
	bool cut; /* longer than BIRD_LINE_MAX - 1: text holds the start */
};

/* Incremental reply parser: feed bytes as they arrive (split anywhere); complete lines come
 * out through the callback; a reply ends at its final "DDDD " line.
 */
struct bird_reply_parser {
	char buf[BIRD_LINE_MAX + 8];
	size_t len;
	bool overlong; /* the current line exceeded BIRD_LINE_MAX */
	int last_code; /* code of the last coded line, for continuations */
};

typedef void (*bird_line_fn)(void *ctx, const struct bird_line *line, bool final);

void bird_reply_parser_init(struct bird_reply_parser *rp);
/* Returns 0, or -EPROTO on a line that is not BIRD's reply syntax (the reply is then unusable). */
int bird_reply_feed(struct bird_reply_parser *rp, const char *data, size_t len, bird_line_fn fn,
		    void *ctx);
/* 8xxx runtime errors and 9xxx parse errors. */
static inline bool bird_code_is_error(int code)
{
	return code >= 8000 && code <= 9999;
}

/* The whole reply to one command. */
struct bird_reply {
	int code; /* the final line's code */
	bool error; /* final code 8xxx/9xxx, or transport failure (code -1) */
	size_t n_lines;
	struct bird_line *lines; /* every line, spontaneous ones excluded */
	char err[BIRD_LINE_MAX]; /* BIRD's text for an error, or the transport error */
	bool truncated; /* more than BIRD_REPLY_MAX_LINES lines, the rest dropped */
};

void bird_reply_free(struct bird_reply *r);
/* Append one parsed line (spontaneous ones are skipped); the final line sets code,
 * error and err. 0 or -ENOMEM.
 */
int bird_reply_add(struct bird_reply *r, const struct bird_line *line, bool final);

#endif /* ANYEDGE_BIRD_REPLY_H */
