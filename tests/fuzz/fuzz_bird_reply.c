// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: bytes from BIRD's control socket, cut into reads (the first byte picks their
 * size), through the reply parser into replies.
 */
#include <stdint.h>
#include <string.h>

#include "bird_reply.h"

static void on_line(void *ctx, const struct bird_line *line, bool final)
{
	struct bird_reply *r = ctx;

	bird_reply_add(r, line, final);
	if (final) {
		bird_reply_free(r);
		memset(r, 0, sizeof(*r));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bird_reply_parser rp;
	struct bird_reply r = { 0 };
	size_t step, off = 0, n;

	if (!size)
		return 0;
	step = data[0] % 128 + 1;
	data++;
	size--;
	bird_reply_parser_init(&rp);
	while (off < size) {
		n = size - off < step ? size - off : step;
		if (bird_reply_feed(&rp, (const char *)data + off, n, on_line, &r))
			break;
		off += n;
	}
	bird_reply_free(&r);
	return 0;
}
