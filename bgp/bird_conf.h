/* SPDX-License-Identifier: GPL-2.0 */
/* BIRD configuration for anyedge: the fragment an operator includes from bird.conf (one static
 * protocol per announced VIP and its drain twin, plus the export functions), and the state
 * includes anyedged rewrites to say which of those protocols are enabled.
 *
 * State: each protocol starts `disabled yes;` and then includes its own state file through a
 * glob, `include "STATE_DIR/anyedge_web.con[f]";`. BIRD skips a glob that matches nothing, so a
 * missing file leaves the protocol disabled: a BIRD started before anyedged ever ran announces
 * nothing. A present file says `disabled no;` or `disabled yes;`. These files are the durable
 * truth that survives `birdc configure` and BIRD restarts; the socket's enable/disable is only
 * the fast path. (A single file of `define`s cannot work: a missing define is a config error.)
 */
#ifndef ANYEDGE_BIRD_CONF_H
#define ANYEDGE_BIRD_CONF_H

#include <stdbool.h>
#include <stdio.h>

#include "policy.h"

/* Which of a VIP's two protocols are wanted enabled: flags per VIP. */
#define BIRD_WANT_PLAIN 1u /* anyedge_<vip> */
#define BIRD_WANT_TWIN 2u /* anyedge_<vip>_drain: GRACEFUL_SHUTDOWN + prepends */

#define BIRD_TWIN_SUFFIX "_drain"
#define BIRD_PROTO_MAX (POLICY_BIRD_SYM_MAX + 1)
/* (65535,0) GRACEFUL_SHUTDOWN, RFC 8326 */
#define BIRD_GSHUT_ASN 65535
#define BIRD_GSHUT_VALUE 0

/* The protocol name of VIP v (twin: its drain twin) into buf. 0 or -ENAMETOOLONG. */
int bird_proto_name(const struct policy *p, size_t v, bool twin, char *buf, size_t len);

/* Print the fragment for policy p to f. state_dir overrides p->bgp.state_dir when not NULL.
 * 0 or -EIO.
 */
int bird_conf_write(FILE *f, const struct policy *p, const char *state_dir);

/* Write the state files for every announced VIP of p into dir: wanted[v] holds BIRD_WANT_*
 * flags, one entry per VIP (p->n_vips). Each file is replaced atomically (temp file in dir,
 * fsync, rename, fsync of dir) and only when its content changes. Every enable is written
 * before any disable, so a crash halfway never leaves a route announced by neither of a VIP's
 * protocols when one was wanted. Returns the number of files rewritten, or -errno.
 */
int bird_state_write(const char *dir, const struct policy *p, const unsigned int *wanted);
/* One protocol's file. 1 rewritten, 0 already so, or -errno. */
int bird_state_write_one(const char *dir, const char *proto, bool enabled);
/* What the files say now: wanted[v] gets BIRD_WANT_* (a missing file: disabled). 0 or -errno
 * (a file that is neither of the two contents we write: -EPROTO, with that flag left clear).
 */
int bird_state_read(const char *dir, const struct policy *p, unsigned int *wanted);
/* Create dir (and its parents, 0755) and an all-disabled file for every protocol that has
 * none; files that exist are left as they are (a running anyedged owns them). Returns the
 * number of files created, or -errno.
 */
int bird_state_init(const char *dir, const struct policy *p);

#endif /* ANYEDGE_BIRD_CONF_H */
