/* SPDX-License-Identifier: GPL-2.0 */
/* What this build is: its version (scripts/version.sh: git describe, or VERSION), the ABIs it
 * speaks to its BPF programs, and the libbpf it runs with.
 */
#ifndef ANYEDGE_VERSION_H
#define ANYEDGE_VERSION_H

#include <stdio.h>

const char *anyedge_version(void);
/* "PROG VERSION (dataplane ABI N, decap ABI N, libbpf vX.Y)" and a newline on f */
void version_print(FILE *f, const char *prog);

#endif /* ANYEDGE_VERSION_H */
