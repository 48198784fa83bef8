/* SPDX-License-Identifier: GPL-2.0 */
/* The API's guard against slow clients: every connection has a deadline to finish its request,
 * and when too many sit unfinished the oldest is cut, so that a health probe always finds a
 * free thread however many connections trickle a header line every few seconds.
 */
#ifndef ANYEDGE_API_GUARD_H
#define ANYEDGE_API_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#define API_MAX_CONNS 128 /* connection threads at most */
#define API_MAX_CONNS_PER_IP 64 /* one client: half, so others always find room */
#define API_MAX_UNFINISHED 32 /* past this, the oldest unfinished request is cut */
#define API_REQUEST_DEADLINE_MS 10000 /* from connect (or the last answer) to a full request */

struct api_guard;
struct api_guard_conn;

int api_guard_new(struct api_guard **out);
void api_guard_free(struct api_guard *g);
/* A connection opened (fd is MHD's, duplicated) or closed: MHD_OPTION_NOTIFY_CONNECTION. */
struct api_guard_conn *api_guard_open(struct api_guard *g, int fd);
void api_guard_close(struct api_guard *g, struct api_guard_conn *c);
/* Its request is in whole and being answered (busy: never cut; MHD's idle timeout covers a
 * client that does not read), or done (the clock starts again for the next request).
 */
void api_guard_busy(struct api_guard *g, struct api_guard_conn *c, bool busy);
/* Connections cut so far (deadline or crowding). */
uint64_t api_guard_cut(struct api_guard *g);

#endif /* ANYEDGE_API_GUARD_H */
