// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: a backend's HTTP response, fed to the probe's reader in pieces the way recv()
 * might cut it (the first byte picks the piece size), then its body to the body parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "probe_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_result r = { 0 };
	enum probe_http_rc rc = PROBE_HTTP_MORE;
	struct probe_http h;
	size_t step, off = 0, n, blen;
	const char *body;
	char why[128];
	char *buf;

	if (!size)
		return 0;
	step = data[0] % 64 + 1;
	data++;
	size--;
	buf = malloc(PROBE_RESPONSE_MAX + 1);
	if (!buf)
		return 0;
	probe_http_init(&h, buf);
	while (rc == PROBE_HTTP_MORE && h.len <= PROBE_RESPONSE_MAX) {
		n = size - off < step ? size - off : step;
		if (n > PROBE_RESPONSE_MAX + 1 - h.len)
			n = PROBE_RESPONSE_MAX + 1 - h.len;
		memcpy(buf + h.len, data + off, n);
		h.len += n;
		off += n;
		rc = probe_http_feed(&h, n == 0, why, sizeof(why));
		if (n == 0)
			break;
	}
	if (rc == PROBE_HTTP_DONE) {
		body = probe_http_body(&h, &blen);
		probe_parse_body(body, blen, 10000, &r);
	}
	free(buf);
	return 0;
}
