/* SPDX-License-Identifier: GPL-2.0 */
/* Request bodies of the API's writes, parsed and checked for shape into a struct edge_cmd.
 * Pure functions (no daemon state), unit-tested in api_json_test.c. Whether names exist is the
 * loop's business (commands.c); here only whether the body is what DESIGN says.
 */
#ifndef ANYEDGE_API_JSON_H
#define ANYEDGE_API_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "cmdq.h"

/* {"action":"PROMOTE_PASSIVE_REGION","sourceRegion":S,"targetRegion":T,
 *  "forcePromotion":bool?,"maxAllowedReplicaLagSeconds":number>=0?}
 * An absent max lag leaves cmd->max_lag_s NaN: the target region's policy limit applies.
 * 0, or -EINVAL with why filled (the API answers 422).
 */
int api_json_failover(const char *body, size_t len, struct edge_cmd *cmd, char *why,
		      size_t why_len);
/* {"region":R} | {"backend":ADDR} | {"edge":true}, and for a region or a backend "fleet":true
 * (on every member); drain picks CMD_DRAIN* or CMD_UNDRAIN*.
 */
int api_json_drain(const char *body, size_t len, bool drain, struct edge_cmd *cmd, char *why,
		   size_t why_len);
/* Reload takes no arguments: an empty body or {}. */
int api_json_empty(const char *body, size_t len, char *why, size_t why_len);

#endif /* ANYEDGE_API_JSON_H */
