// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: a request body for each of the API's writes (failover, drain, undrain, reload),
 * NUL-terminated as the server hands it over.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edge_cmd cmd;
	char why[256];
	char *body = malloc(size + 1);

	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	memset(&cmd, 0, sizeof(cmd));
	api_json_failover(body, size, &cmd, why, sizeof(why));
	memset(&cmd, 0, sizeof(cmd));
	api_json_drain(body, size, true, &cmd, why, sizeof(why));
	memset(&cmd, 0, sizeof(cmd));
	api_json_drain(body, size, false, &cmd, why, sizeof(why));
	api_json_empty(body, size, why, sizeof(why));
	free(body);
	return 0;
}
