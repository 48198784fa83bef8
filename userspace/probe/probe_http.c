// SPDX-License-Identifier: GPL-2.0
/* An incremental HTTP/1.x response reader for probes: status line, headers (Content-Length,
 * Transfer-Encoding: chunked), body. Small on purpose: a probe needs a status and a short body,
 * and anything it does not understand is a failed probe with a reason, never a guess.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "probe.h"
#include "probe_impl.h"

enum { CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_END, CHUNK_TRAILER, CHUNK_DONE };

static enum probe_http_rc http_err(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum probe_http_rc http_err(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return PROBE_HTTP_ERR;
}

void probe_http_init(struct probe_http *h, char *buf)
{
	memset(h, 0, sizeof(*h));
	h->buf = buf;
}

/* The line starting at off: its end (without CR LF) in *end, the next line's start returned;
 * 0 when the line is not complete yet.
 */
static size_t http_line(const struct probe_http *h, size_t off, size_t *end)
{
	const char *nl = memchr(h->buf + off, '\n', h->len - off);
	size_t e;

	if (!nl)
		return 0;
	e = nl - h->buf;
	*end = e > off && h->buf[e - 1] == '\r' ? e - 1 : e;
	return e + 1;
}

static bool http_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

static enum probe_http_rc http_status_line(struct probe_http *h, char *why, size_t why_len)
{
	size_t next, end, n;
	const char *s = h->buf;

	n = h->len < 5 ? h->len : 5;
	if (memcmp(s, "HTTP/", n) != 0)
		return http_err(why, why_len, "not an HTTP response");
	next = http_line(h, 0, &end);
	if (!next)
		return PROBE_HTTP_MORE;
	/* HTTP/d.d SP ddd [SP reason] */
	if (end < 12 || !http_digits(s + 5, 1) || s[6] != '.' || !http_digits(s + 7, 1) ||
	    s[8] != ' ' || !http_digits(s + 9, 3) || (end > 12 && s[12] != ' '))
		return http_err(why, why_len, "bad HTTP status line");
	h->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	/* 100..599 only (RFC 9110 15): "000" would read as "no status yet" and wait for a timeout */
	if (h->status < 100 || h->status > 599) {
		h->status = 0;
		return http_err(why, why_len, "bad HTTP status %.3s", s + 9);
	}
	h->line_end = next;
	h->pos = next;
	return PROBE_HTTP_MORE;
}

static bool http_is_token(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Does the comma-separated list s[0..n) end with the coding "chunked"? */
static bool http_te_chunked(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n < 7 || strncasecmp(s + n - 7, "chunked", 7) != 0)
		return false;
	return n == 7 || s[n - 8] == ',' || s[n - 8] == ' ' || s[n - 8] == '\t';
}

static enum probe_http_rc http_header(struct probe_http *h, const char *s, size_t n, bool *has_te,
				      bool *has_cl, char *why, size_t why_len)
{
	size_t name, v, ve;
	unsigned long long cl;

	for (name = 0; name < n && http_is_token(s[name]); name++)
		;
	if (!name || name == n || s[name] != ':')
		return http_err(why, why_len, "bad HTTP header line");
	for (v = name + 1; v < n && (s[v] == ' ' || s[v] == '\t'); v++)
		;
	for (ve = n; ve > v && (s[ve - 1] == ' ' || s[ve - 1] == '\t'); ve--)
		;
	if (name == 17 && !strncasecmp(s, "Transfer-Encoding", 17)) {
		if (!http_te_chunked(s + v, ve - v))
			return http_err(why, why_len, "unsupported Transfer-Encoding");
		*has_te = true;
	} else if (name == 14 && !strncasecmp(s, "Content-Length", 14)) {
		if (!http_digits(s + v, ve - v) || ve - v > 9)
			return http_err(why, why_len, "bad Content-Length");
		for (cl = 0; v < ve; v++)
			cl = cl * 10 + (s[v] - '0');
		if (*has_cl && cl != h->content_length)
			return http_err(why, why_len, "conflicting Content-Length");
		*has_cl = true;
		h->content_length = cl;
	}
	return PROBE_HTTP_MORE;
}

static enum probe_http_rc http_headers(struct probe_http *h, char *why, size_t why_len)
{
	bool has_te = false, has_cl = false;
	size_t off, next, end, body = 0;
	enum probe_http_rc rc;

	/* find the blank line first (resuming where the last search stopped), then parse */
	for (off = h->pos; (next = http_line(h, off, &end)); off = next) {
		if (end == off) {
			body = next;
			break;
		}
	}
	if (!body) {
		h->pos = off;
		return PROBE_HTTP_MORE;
	}
	for (off = h->line_end; (next = http_line(h, off, &end)) && end > off; off = next) {
		rc = http_header(h, h->buf + off, end - off, &has_te, &has_cl, why, why_len);
		if (rc != PROBE_HTTP_MORE)
			return rc;
	}
	h->body_off = body;
	h->pos = body;
	/* RFC 9112 6.3: Transfer-Encoding overrides Content-Length */
	if (has_te)
		h->framing = PROBE_BODY_CHUNKED;
	else if (has_cl)
		h->framing = PROBE_BODY_LENGTH;
	else
		h->framing = PROBE_BODY_TO_EOF;
	if (h->framing == PROBE_BODY_LENGTH && h->body_off + h->content_length > PROBE_RESPONSE_MAX)
		return http_err(why, why_len, "response too large (Content-Length %zu)",
				h->content_length);
	return PROBE_HTTP_MORE;
}

static enum probe_http_rc http_chunked(struct probe_http *h, char *why, size_t why_len)
{
	size_t next, end, i, n;
	unsigned long size;
	char c;

	while (h->chunk_state != CHUNK_DONE) {
		switch (h->chunk_state) {
		case CHUNK_SIZE:
			next = http_line(h, h->pos, &end);
			if (!next)
				return PROBE_HTTP_MORE;
			for (i = h->pos, size = 0; i < end && i - h->pos < 8; i++) {
				c = h->buf[i];
				if (c >= '0' && c <= '9')
					size = size * 16 + (c - '0');
				else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
					size = size * 16 + ((c | 0x20) - 'a' + 10);
				else
					break;
			}
			/* at least one digit, then end, extensions or whitespace */
			if (i == h->pos ||
			    (i < end && h->buf[i] != ';' && h->buf[i] != ' ' && h->buf[i] != '\t'))
				return http_err(why, why_len, "bad chunk size");
			h->chunk_left = size;
			h->pos = next;
			h->chunk_state = size ? CHUNK_DATA : CHUNK_TRAILER;
			break;
		case CHUNK_DATA:
			n = h->len - h->pos;
			if (n > h->chunk_left)
				n = h->chunk_left;
			memmove(h->buf + h->body_off + h->body_len, h->buf + h->pos, n);
			h->body_len += n;
			h->pos += n;
			h->chunk_left -= n;
			if (h->chunk_left)
				return PROBE_HTTP_MORE;
			h->chunk_state = CHUNK_DATA_END;
			break;
		case CHUNK_DATA_END:
			next = http_line(h, h->pos, &end);
			if (!next)
				return h->len - h->pos > 2 ?
					       http_err(why, why_len, "bad chunk end") :
					       PROBE_HTTP_MORE;
			if (end != h->pos)
				return http_err(why, why_len, "bad chunk end");
			h->pos = next;
			h->chunk_state = CHUNK_SIZE;
			break;
		case CHUNK_TRAILER:
			next = http_line(h, h->pos, &end);
			if (!next)
				return PROBE_HTTP_MORE;
			/* trailer fields are ignored; an empty line ends them */
			if (end == h->pos)
				h->chunk_state = CHUNK_DONE;
			h->pos = next;
			break;
		}
	}
	return PROBE_HTTP_DONE;
}

enum probe_http_rc probe_http_feed(struct probe_http *h, bool eof, char *why, size_t why_len)
{
	enum probe_http_rc rc;

	if (!h->status) {
		if (!h->len)
			return eof ? http_err(why, why_len,
					      "connection closed without a response") :
				     PROBE_HTTP_MORE;
		rc = http_status_line(h, why, why_len);
		if (rc != PROBE_HTTP_MORE)
			return rc;
		if (!h->status)
			return eof ? http_err(why, why_len, "truncated HTTP status line") : rc;
	}
	if (!h->body_off) {
		rc = http_headers(h, why, why_len);
		if (rc != PROBE_HTTP_MORE)
			return rc;
		if (!h->body_off)
			return eof ? http_err(why, why_len, "truncated HTTP headers") : rc;
	}
	switch (h->framing) {
	case PROBE_BODY_LENGTH:
		if (h->len - h->body_off >= h->content_length)
			return PROBE_HTTP_DONE;
		if (eof)
			return http_err(why, why_len, "truncated body (%zu of %zu bytes)",
					h->len - h->body_off, h->content_length);
		return PROBE_HTTP_MORE;
	case PROBE_BODY_CHUNKED:
		rc = http_chunked(h, why, why_len);
		if (rc == PROBE_HTTP_MORE && eof)
			return http_err(why, why_len, "truncated chunked body");
		return rc;
	case PROBE_BODY_TO_EOF:
	default:
		return eof ? PROBE_HTTP_DONE : PROBE_HTTP_MORE;
	}
}

const char *probe_http_body(const struct probe_http *h, size_t *len)
{
	switch (h->framing) {
	case PROBE_BODY_LENGTH:
		*len = h->content_length;
		break;
	case PROBE_BODY_CHUNKED:
		*len = h->body_len;
		break;
	default:
		*len = h->len - h->body_off;
		break;
	}
	return h->buf + h->body_off;
}
