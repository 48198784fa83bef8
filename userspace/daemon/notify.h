/* SPDX-License-Identifier: GPL-2.0 */
/* What anyedged tells systemd (sd_notify(3), libsystemd): READY=1 once the program is attached,
 * the first view applied and signals are handled; RELOADING=1 ... READY=1 around a SIGHUP
 * reload; WATCHDOG=1 while the loop turns; STOPPING=1; STATUS= a one-line summary. All are
 * no-ops without NOTIFY_SOCKET. Called from the loop thread only.
 */
#ifndef ANYEDGE_NOTIFY_H
#define ANYEDGE_NOTIFY_H

struct edge;

void notify_ready(const struct edge *e);
void notify_reloading(void);
/* Once per loop turn: WATCHDOG=1 (at a quarter of WatchdogSec at most), STATUS= on change. */
void notify_loop(const struct edge *e);
void notify_stopping(void);

#endif /* ANYEDGE_NOTIFY_H */
