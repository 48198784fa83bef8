// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the policy loader on a buffer, and for a policy it accepts, the BIRD fragment
 * made from it (names and paths that reach BIRD's config come from here).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bird_conf.h"
#include "policy.h"

static void diag_none(void *ctx, const char *file, unsigned int line, unsigned int col,
		      const char *msg)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (policy_load_buf("fuzz.yaml", (const char *)data, size, &p, diag_none, NULL))
		return 0;
	f = open_memstream(&text, &len);
	if (f) {
		bird_conf_write(f, p, NULL);
		fclose(f);
	}
	free(text);
	policy_free(p);
	return 0;
}
