/* SPDX-License-Identifier: GPL-2.0 */
/* Private to probe.c and probe_http.c: the incremental reader of one HTTP/1.x response, fed
 * as bytes arrive so a verdict comes as soon as the response is complete or clearly wrong.
 */
#ifndef ANYEDGE_PROBE_IMPL_H
#define ANYEDGE_PROBE_IMPL_H

#include <stdbool.h>
#include <stddef.h>

enum probe_http_rc {
	PROBE_HTTP_MORE = 0, /* need more bytes */
	PROBE_HTTP_DONE = 1, /* response complete: status and body known */
	PROBE_HTTP_ERR = -1, /* malformed or truncated: why says how */
};

enum probe_http_framing {
	PROBE_BODY_TO_EOF,
	PROBE_BODY_LENGTH,
	PROBE_BODY_CHUNKED,
};

struct probe_http {
	char *buf; /* the caller's buffer; len bytes received so far */
	size_t len;
	int status; /* 0 until the status line is read */
	size_t line_end; /* where the status line ended */
	size_t body_off; /* 0 until the headers are read: where the body starts */
	enum probe_http_framing framing;
	size_t content_length;
	/* chunked: raw bytes up to pos are consumed; the decoded body is moved in place to
	 * buf + body_off, body_len bytes long.
	 */
	size_t pos;
	size_t body_len;
	size_t chunk_left;
	int chunk_state;
};

void probe_http_init(struct probe_http *h, char *buf);
/* After appending bytes to buf (len updated), or with eof at end of stream. The status is
 * available (h->status != 0) as soon as the first line is read, even while MORE.
 */
enum probe_http_rc probe_http_feed(struct probe_http *h, bool eof, char *why, size_t why_len);
/* The body of a DONE response. */
const char *probe_http_body(const struct probe_http *h, size_t *len);

#endif /* ANYEDGE_PROBE_IMPL_H */
