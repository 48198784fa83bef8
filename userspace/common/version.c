// SPDX-License-Identifier: GPL-2.0
/* The version string is generated into $(B)/version_str.h, so only this file rebuilds when it
 * changes.
 */
#include <bpf/libbpf.h>

#include "version.h"
#include "version_str.h"
#include "../../xdp/anyedge_abi.h"
#include "../../xdp/decap_abi.h"

const char *anyedge_version(void)
{
	return ANYEDGE_VERSION;
}

void version_print(FILE *f, const char *prog)
{
	fprintf(f, "%s %s (dataplane ABI %u, decap ABI %u, libbpf %s)\n", prog, ANYEDGE_VERSION,
		AE_ABI_VERSION, DECAP_ABI_VERSION, libbpf_version_string());
}
