// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: a health body (JSON with status, replica_lag_seconds, system_mode) judged by the
 * probe's body parser, with and without a lag limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_result r = { 0 };
	/* the probe hands over its own buffer, not NUL-terminated at len */
	char *copy = malloc(size + 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 'x';
	probe_parse_body(copy, size, 0, &r);
	memset(&r, 0, sizeof(r));
	probe_parse_body(copy, size, 10000, &r);
	free(copy);
	return 0;
}
