// SPDX-License-Identifier: GPL-2.0
/* Decisions come from announce.c; this file makes BIRD follow them. A withdrawal goes to the
 * socket first (speed) and the state file after; an announcement to the file first (it must
 * survive a BIRD restart) and the socket after. Enables always precede disables, so a drain or
 * undrain never leaves the prefix unannounced in between.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bird_conf.h"
#include "clock.h"
#include "bird_ctl.h"
#include "log.h"
#include "speaker.h"

#define BIRD_TIMEOUT_MS 2000

struct speaker {
	const struct policy *p;
	struct announce_params prm;
	struct speaker_vip *v; /* one per policy VIP; only announced VIPs are used */
	size_t n;
	struct bird_ctl *ctl;
	int epfd, tfd;
	bool connected;
	bool drain;
	bool warned_missing;
	uint64_t next_reconcile_ms;
	struct speaker_stats st;
	/* the inputs of the last update, for timer-driven evaluations */
	const struct health *h;
	bool edge_healthy;
};

/* The VIP and flavour a protocol name stands for; -1 when it is none of ours. */
static int vip_of_proto(const struct speaker *s, const char *name, bool *twin)
{
	char buf[BIRD_PROTO_MAX + 8];
	size_t v;

	for (v = 0; v < s->n; v++) {
		if (!s->p->vips[v].has_announce)
			continue;
		if (!bird_proto_name(s->p, v, false, buf, sizeof(buf)) && !strcmp(buf, name)) {
			*twin = false;
			return (int)v;
		}
		if (!bird_proto_name(s->p, v, true, buf, sizeof(buf)) && !strcmp(buf, name)) {
			*twin = true;
			return (int)v;
		}
	}
	return -1;
}

static void send_cmd(struct speaker *s, const char *verb, size_t v, bool twin)
{
	char name[BIRD_PROTO_MAX + 8], cmd[BIRD_CMD_MAX + 1];
	int err;

	if (bird_proto_name(s->p, v, twin, name, sizeof(name)))
		return;
	snprintf(cmd, sizeof(cmd), "%s %s", verb, name);
	err = bird_ctl_send(s->ctl, cmd);
	if (err)
		pr_warn("bgp: cannot queue `%s` for BIRD: %s (the state file still says it)\n", cmd,
			strerror(-err));
}

/* Make BIRD run `want` for VIP v: state files and socket, enables before disables. */
static void apply_vip(struct speaker *s, size_t v, unsigned int want)
{
	struct speaker_vip *sv = &s->v[v];
	unsigned int on = want & ~sv->applied, off = sv->applied & ~want;
	char name[BIRD_PROTO_MAX + 8];
	int twin, err;

	sv->decided_us = mono_us();
	for (twin = 1; twin >= 0; twin--) { /* the twin first: drain enables it before disabling */
		unsigned int bit = twin ? BIRD_WANT_TWIN : BIRD_WANT_PLAIN;

		if (!(on & bit) || bird_proto_name(s->p, v, twin, name, sizeof(name)))
			continue;
		err = bird_state_write_one(s->p->bgp.state_dir, name, true);
		if (err < 0)
			pr_warn("bgp: cannot write the state of %s under %s: %s\n", name,
				s->p->bgp.state_dir, strerror(-err));
		send_cmd(s, "enable", v, twin);
	}
	for (twin = 0; twin <= 1; twin++) {
		unsigned int bit = twin ? BIRD_WANT_TWIN : BIRD_WANT_PLAIN;

		if (!(off & bit) || bird_proto_name(s->p, v, twin, name, sizeof(name)))
			continue;
		send_cmd(s, "disable", v, twin);
		err = bird_state_write_one(s->p->bgp.state_dir, name, false);
		if (err < 0)
			pr_warn("bgp: cannot write the state of %s under %s: %s\n", name,
				s->p->bgp.state_dir, strerror(-err));
	}
	sv->applied = want;
	s->st.last_change_ms = mono_ms(); /* the clock of now_ms; shown as Unix time by readers */
}

static void log_event(struct speaker *s, size_t v)
{
	const struct announce *a = &s->v[v].a;

	switch (a->event) {
	case ANNOUNCE_EV_ANNOUNCE:
	case ANNOUNCE_EV_UNDRAIN:
		s->st.announces++;
		break;
	case ANNOUNCE_EV_WITHDRAW:
	case ANNOUNCE_EV_DRAINED:
		s->st.withdraws++;
		break;
	case ANNOUNCE_EV_SUPPRESS:
		s->st.withdraws++;
		s->st.suppressions++;
		break;
	default:
		break;
	}
	snprintf(s->v[v].why, sizeof(s->v[v].why), "%s", a->text);
	pr_info("bgp: %s %s (%s): %s\n", s->p->vips[v].name, announce_event_name(a->event),
		announce_state_name(a->state), a->text);
}

void speaker_reconcile(struct speaker *s)
{
	if (s->connected)
		bird_ctl_send(s->ctl, "show protocols");
}

static void arm_timer(struct speaker *s, uint64_t now_ms)
{
	struct itimerspec its = { 0 };
	uint64_t next = s->next_reconcile_ms, t;
	size_t v;

	for (v = 0; v < s->n; v++) {
		if (!s->p->vips[v].has_announce)
			continue;
		t = announce_next_ms(&s->v[v].a, &s->prm, now_ms);
		if (t < next)
			next = t;
	}
	t = next > now_ms ? next - now_ms : 1;
	its.it_value.tv_sec = t / 1000;
	its.it_value.tv_nsec = (t % 1000) * 1000000 + 1;
	timerfd_settime(s->tfd, 0, &its, NULL);
}

/* No region up but the fleet has not allowed the withdrawal: stay announced. Only for health:
 * an unhealthy edge cannot forward, and a drain is the operator's.
 */
static void fleet_hold(struct speaker *s, size_t v, bool *serve, bool edge_healthy)
{
	struct speaker_vip *sv = &s->v[v];
	bool held;

	/* The fleet's word answers one hold: spent once the VIP serves again or is withdrawn.
	 * Kept, it let the next loss of every region withdraw unasked while this edge was still
	 * on the fleet's list, and another edge leave that list counting on this one.
	 */
	if (*serve || sv->a.state != ANNOUNCE_ANNOUNCED)
		sv->may_withdraw = false;
	held = !*serve && edge_healthy && sv->gated && !sv->may_withdraw && !s->drain &&
	       sv->a.state == ANNOUNCE_ANNOUNCED;

	if (held && !sv->held)
		pr_warn("bgp: %s kept announced although no region is up: asking the fleet\n",
			s->p->vips[v].name);
	else if (!held && sv->held)
		pr_info("bgp: %s no longer held by the fleet\n", s->p->vips[v].name);
	sv->held = held;
	*serve |= held;
}

bool speaker_fleet_gate(struct speaker *s, size_t v, bool may_withdraw, const char *why)
{
	struct speaker_vip *sv;
	bool changed;

	if (v >= s->n)
		return false;
	sv = &s->v[v];
	changed = !sv->gated || sv->may_withdraw != may_withdraw || strcmp(sv->held_why, why);
	if (sv->held && !may_withdraw && strcmp(sv->held_why, why))
		pr_warn("bgp: %s kept announced by the fleet: %s\n", s->p->vips[v].name, why);
	sv->gated = true;
	sv->may_withdraw = may_withdraw;
	snprintf(sv->held_why, sizeof(sv->held_why), "%s", why);
	return changed;
}

void speaker_update(struct speaker *s, const struct health *h, bool edge_healthy, uint64_t now_ms)
{
	char why[160];
	bool serve;
	size_t v;
	int r;

	s->h = h;
	s->edge_healthy = edge_healthy;
	for (v = 0; v < s->n; v++) {
		struct speaker_vip *sv = &s->v[v];

		if (!s->p->vips[v].has_announce)
			continue;
		why[0] = '\0';
		serve = announce_can_serve(s->p, v, h, edge_healthy, why, sizeof(why));
		fleet_hold(s, v, &serve, edge_healthy);
		r = announce_eval(&sv->a, &s->prm, serve, why, now_ms);
		if (r & ANNOUNCE_EVENT)
			log_event(s, v);
		if (announce_wanted(sv->a.state) != sv->applied)
			apply_vip(s, v, announce_wanted(sv->a.state));
	}
	arm_timer(s, now_ms);
}

void speaker_set_drain(struct speaker *s, bool drain, uint64_t now_ms)
{
	size_t v;

	if (s->drain == drain)
		return;
	s->drain = drain;
	pr_info("bgp: edge %s: %s\n", drain ? "drain" : "undrain",
		drain ? "announcements move to their graceful-shutdown twins, then withdraw" :
			"announcements return to their plain protocols");
	for (v = 0; v < s->n; v++)
		announce_set_drain(&s->v[v].a, drain, now_ms);
	if (s->h)
		speaker_update(s, s->h, s->edge_healthy, now_ms);
}

/* "show protocols" rows: NAME PROTO TABLE STATE SINCE INFO; a disabled protocol is "down". */
static void reconcile(struct speaker *s, const struct bird_reply *r)
{
	bool seen[2 * AE_MAX_VIPS] = { false };
	char name[128], state[32];
	size_t i, v;
	bool twin;
	int vi;

	s->st.reconciles++;
	for (i = 0; i < r->n_lines; i++) {
		const struct bird_line *l = &r->lines[i];
		unsigned int bit;
		bool up, want;

		if (l->group != 1002 || sscanf(l->text, "%127s %*s %*s %31s", name, state) != 2)
			continue;
		vi = vip_of_proto(s, name, &twin);
		if (vi < 0)
			continue;
		seen[2 * vi + twin] = true;
		bit = twin ? BIRD_WANT_TWIN : BIRD_WANT_PLAIN;
		want = s->v[vi].applied & bit;
		up = !strcmp(state, "up");
		if (up == want)
			continue;
		s->st.corrections++;
		pr_warn("bgp: reconcile: %s is %s in BIRD, wanted %s: %s it\n", name, state,
			want ? "up" : "down", want ? "enabling" : "disabling");
		send_cmd(s, want ? "enable" : "disable", vi, twin);
	}
	for (v = 0; v < s->n && !s->warned_missing; v++) {
		if (!s->p->vips[v].has_announce || (seen[2 * v] && seen[2 * v + 1]))
			continue;
		pr_warn("bgp: BIRD runs no protocol for VIP %s: include the fragment of "
			"`anyedge bird-config` in bird.conf\n",
			s->p->vips[v].name);
		s->warned_missing = true;
	}
}

static void on_reply(void *ctx, const char *cmd, const struct bird_reply *r)
{
	struct speaker *s = ctx;
	char name[128];
	bool twin;
	int v;

	if (!strcmp(cmd, "show protocols")) {
		if (!r->error)
			reconcile(s, r);
		return;
	}
	if (!strncmp(cmd, "show route export ", 18)) {
		/* 8001 Network not found: the session does not carry the prefix */
		pr_info("bgp: confirmed by `%s`: %s\n", cmd,
			r->error ? (r->code == 8001 ? "not exported" : r->err) : "exported");
		return;
	}
	if (sscanf(cmd, "%*s %127s", name) != 1 || (v = vip_of_proto(s, name, &twin)) < 0)
		return;
	if (r->error) {
		s->st.bird_errors++;
		pr_warn("bgp: BIRD refused `%s`: %s%s\n", cmd, r->err,
			r->code == 9001 ? " (is the fragment of `anyedge bird-config` included?)" :
					  "");
		return;
	}
	s->st.last_reply_ms = (mono_us() - s->v[v].decided_us) / 1000.0;
	pr_info("bgp: BIRD did `%s` %.2f ms after the decision\n", cmd, s->st.last_reply_ms);
	if (s->p->bgp.session[0]) {
		char check[BIRD_CMD_MAX + 1], pfx[INET_PREFIX_STR];

		inet_prefix_str(&s->p->vips[v].announce, pfx, sizeof(pfx));
		snprintf(check, sizeof(check), "show route export %s %s", s->p->bgp.session, pfx);
		bird_ctl_send(s->ctl, check);
	}
}

static void on_state(void *ctx, bool connected)
{
	struct speaker *s = ctx;

	s->connected = connected;
	pr_info("bgp: BIRD control socket %s %s\n", s->p->bgp.bird_socket,
		connected ? "connected: reconciling" : "lost; the state files hold the truth");
	/* BIRD may have restarted or been reconfigured: compare what it runs with what we want */
	if (connected)
		bird_ctl_send(s->ctl, "show protocols");
}

int speaker_new(const struct policy *p, struct speaker **out)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int *wanted = NULL;
	struct speaker *s;
	size_t v;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->epfd = s->tfd = -1;
	s->p = p;
	s->n = p->n_vips;
	announce_params_from(&s->prm, p);
	s->v = calloc(s->n + 1, sizeof(*s->v));
	wanted = calloc(s->n + 1, sizeof(*wanted));
	if (!s->v || !wanted) {
		err = -ENOMEM;
		goto fail;
	}
	err = bird_state_init(p->bgp.state_dir, p);
	if (err < 0) {
		pr_warn("bgp: cannot prepare the state includes under %s: %s\n", p->bgp.state_dir,
			strerror(-err));
		goto fail;
	}
	/* what the files say is what BIRD runs (or will, at its next start) */
	bird_state_read(p->bgp.state_dir, p, wanted);
	for (v = 0; v < s->n; v++) {
		announce_init(&s->v[v].a);
		s->v[v].applied = wanted[v];
	}
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->epfd < 0 || s->tfd < 0) {
		err = -errno;
		goto fail;
	}
	err = bird_ctl_new(p->bgp.bird_socket, BIRD_TIMEOUT_MS, on_reply, on_state, s, &s->ctl);
	if (err)
		goto fail;
	ev.data.u32 = 0;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, bird_ctl_fd(s->ctl), &ev)) {
		err = -errno;
		goto fail;
	}
	ev.data.u32 = 1;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->tfd, &ev)) {
		err = -errno;
		goto fail;
	}
	s->next_reconcile_ms = mono_ms() + SPEAKER_RECONCILE_MS; /* now_ms is monotonic */
	free(wanted);
	*out = s;
	return 0;
fail:
	free(wanted);
	speaker_free(s);
	return err;
}

void speaker_free(struct speaker *s)
{
	if (!s)
		return;
	bird_ctl_free(s->ctl);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->tfd >= 0)
		close(s->tfd);
	free(s->v);
	free(s);
}

int speaker_rebind(struct speaker *s, const struct policy *p)
{
	struct speaker_vip *nv;
	size_t v, w;

	nv = calloc(p->n_vips + 1, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	for (v = 0; v < p->n_vips; v++) {
		announce_init(&nv[v].a);
		for (w = 0; w < s->n; w++) {
			if (strcmp(p->vips[v].name, s->p->vips[w].name))
				continue;
			nv[v] = s->v[w];
			break;
		}
	}
	/* VIPs that went away: their protocols are withdrawn and their files say so */
	for (w = 0; w < s->n; w++) {
		for (v = 0; v < p->n_vips; v++)
			if (!strcmp(p->vips[v].name, s->p->vips[w].name))
				break;
		if (v == p->n_vips && s->v[w].applied)
			apply_vip(s, w, 0);
	}
	free(s->v);
	s->v = nv;
	s->n = p->n_vips;
	s->p = p;
	announce_params_from(&s->prm, p);
	return 0;
}

int speaker_fd(const struct speaker *s)
{
	return s->epfd;
}

void speaker_dispatch(struct speaker *s, const struct health *h, bool edge_healthy, uint64_t now_ms)
{
	struct epoll_event evs[4];
	uint64_t n;
	int i, k;

	k = epoll_wait(s->epfd, evs, 4, 0);
	for (i = 0; i < k; i++) {
		if (evs[i].data.u32 == 0) {
			bird_ctl_dispatch(s->ctl);
			continue;
		}
		if (read(s->tfd, &n, sizeof(n)) < 0)
			continue;
		if (now_ms >= s->next_reconcile_ms) {
			s->next_reconcile_ms = now_ms + SPEAKER_RECONCILE_MS;
			speaker_reconcile(s);
		}
		speaker_update(s, h, edge_healthy, now_ms);
	}
}

bool speaker_bird_connected(const struct speaker *s)
{
	return s && s->connected;
}

const struct speaker_vip *speaker_vip(const struct speaker *s, size_t v)
{
	return s && v < s->n && s->p->vips[v].has_announce ? &s->v[v] : NULL;
}

void speaker_get_stats(const struct speaker *s, struct speaker_stats *out)
{
	*out = s->st;
}

int speaker_withdraw_all(const struct policy *p, uint32_t timeout_ms)
{
	char name[BIRD_PROTO_MAX + 8], cmd[BIRD_CMD_MAX + 1];
	unsigned int *none = calloc(p->n_vips + 1, sizeof(*none));
	struct bird_reply r;
	int err, twin;
	size_t v;

	if (!none)
		return -ENOMEM;
	err = bird_state_write(p->bgp.state_dir, p, none);
	free(none);
	if (err < 0)
		pr_warn("bgp: cannot write the state includes under %s: %s\n", p->bgp.state_dir,
			strerror(-err));
	for (v = 0; v < p->n_vips; v++) {
		for (twin = 0; p->vips[v].has_announce && twin <= 1; twin++) {
			if (bird_proto_name(p, v, twin, name, sizeof(name)))
				continue;
			snprintf(cmd, sizeof(cmd), "disable %s", name);
			memset(&r, 0, sizeof(r));
			if (bird_ctl_once(p->bgp.bird_socket, cmd, timeout_ms, &r)) {
				pr_warn("bgp: BIRD at %s not reached (%s); the state files say "
					"withdrawn\n",
					p->bgp.bird_socket, r.err);
				bird_reply_free(&r);
				return err < 0 ? err : 0;
			}
			bird_reply_free(&r);
		}
	}
	pr_info("bgp: every announcement withdrawn\n");
	return err < 0 ? err : 0;
}
