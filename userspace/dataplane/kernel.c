// SPDX-License-Identifier: GPL-2.0
/* Kernel facts over rtnetlink (libnl-route-3): the edge link's index, MAC, MTU and carrier, the
 * gateway toward the backends and the gateway's MAC, kept current from notifications.
 *
 * Two sockets, both non-blocking. `events` is subscribed to link, neighbour, route and address
 * groups and only read in kernel_dispatch. `req` asks single questions (get link, route lookup,
 * get neighbour); rtnetlink answers a request inside the sender's sendmsg(), so the answer is
 * already queued when the send returns and a non-blocking receive never waits for it.
 *
 * No caches: a router's route (and neighbour) tables can be huge, and all we need is one link,
 * one route lookup and one neighbour entry. Notifications for those are applied directly; any
 * notification that may move the route toward the backends triggers one lookup per dispatch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/object.h>
#include <netlink/socket.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "kernel.h"
#include "log.h"

/* Datagrams read per kernel_dispatch call: a notification storm (a full BGP table churning)
 * must not starve the caller's event loop; level-triggered epoll calls us again.
 */
#define KERNEL_DISPATCH_BATCH 256
#define KERNEL_RCVBUF (1 << 20)

/* States in which the neighbour's lladdr is usable. */
#define KERNEL_NUD_KNOWN (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)

struct kernel {
	struct nl_sock *events;
	struct nl_sock *req;
	char ifname[IFNAMSIZ];
	struct inet_addr policy_gateway; /* family 0: follow the route toward `toward` */
	struct inet_addr toward;
	struct link_facts facts;
	int gateway_state; /* NUD_* of the gateway's entry, -1 when there is none */
	bool gone; /* the link was deleted */
	/* Set while reading notifications, acted on once at the end of kernel_dispatch. */
	bool need_link;
	bool need_route;
	bool need_neigh;
};

/* libnl's codes back to errno, for the 0/-errno convention. */
static int kernel_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:
		return 0;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PERM:
		return -EPERM;
	case NLE_NODEV:
		return -ENODEV;
	default:
		return -EIO;
	}
}

static int kernel_af(const struct inet_addr *a)
{
	return a->family == AE_FAMILY_V4 ? AF_INET : AF_INET6;
}

static size_t kernel_addr_len(const struct inet_addr *a)
{
	return a->family == AE_FAMILY_V4 ? 4 : 16;
}

/* 0, or -EAFNOSUPPORT for anything but a plain IPv4/IPv6 address. */
static int kernel_from_nl(const struct nl_addr *nla, struct inet_addr *out)
{
	unsigned int len = nl_addr_get_len(nla);
	int af = nl_addr_get_family(nla);

	memset(out, 0, sizeof(*out));
	if (af == AF_INET && len == 4)
		out->family = AE_FAMILY_V4;
	else if (af == AF_INET6 && len == 16)
		out->family = AE_FAMILY_V6;
	else
		return -EAFNOSUPPORT;
	memcpy(out->bytes, nl_addr_get_binary_addr(nla), len);
	return 0;
}

static bool kernel_facts_eq(const struct link_facts *a, const struct link_facts *b)
{
	return a->ifindex == b->ifindex && !memcmp(a->mac, b->mac, 6) && a->mtu == b->mtu &&
	       a->up == b->up && inet_addr_eq(&a->gateway, &b->gateway) &&
	       a->has_gateway_mac == b->has_gateway_mac &&
	       (!a->has_gateway_mac || !memcmp(a->gateway_mac, b->gateway_mac, 6));
}

static void kernel_apply_link(struct kernel *k, struct rtnl_link *link)
{
	struct link_facts *f = &k->facts;
	struct nl_addr *mac = rtnl_link_get_addr(link);
	unsigned int flags = rtnl_link_get_flags(link);
	unsigned int mtu = rtnl_link_get_mtu(link);
	bool up = (flags & IFF_UP) && (flags & IFF_LOWER_UP);

	if (mac && nl_addr_get_len(mac) == 6)
		memcpy(f->mac, nl_addr_get_binary_addr(mac), 6);
	else if (mac)
		pr_warn("kernel: %s has a %u-byte link address, not Ethernet\n", k->ifname,
			nl_addr_get_len(mac));
	/* lo has 65536; no Ethernet frame is that big */
	f->mtu = mtu > UINT16_MAX ? UINT16_MAX : mtu;
	if (up != f->up) {
		if (up)
			pr_info("kernel: %s is up\n", k->ifname);
		else
			pr_warn("kernel: %s is down (%s)\n", k->ifname,
				!(flags & IFF_UP) ? "administratively" : "no carrier");
	}
	f->up = up;
	k->gone = false;
}

/* A new device took the deleted one's name: its index, MAC and carrier are ours now, and the
 * gateway's neighbour entry died with the old device.
 */
static void kernel_adopt_link(struct kernel *k, struct rtnl_link *link)
{
	pr_warn("kernel: %s is back as ifindex %d (was %d)\n", k->ifname,
		rtnl_link_get_ifindex(link), k->facts.ifindex);
	k->facts.ifindex = rtnl_link_get_ifindex(link);
	kernel_apply_link(k, link);
	k->facts.has_gateway_mac = false;
	k->gateway_state = -1;
	k->need_route = !k->policy_gateway.family && k->toward.family;
	k->need_neigh = true;
}

static int kernel_get_link(struct kernel *k)
{
	struct rtnl_link *link = NULL;
	int err;

	/* by index once known: the name may change under us, the index does not */
	err = rtnl_link_get_kernel(k->req, k->facts.ifindex, k->facts.ifindex ? NULL : k->ifname,
				   &link);
	if (err < 0) {
		err = kernel_errno(err);
		return err == -ENOENT ? -ENODEV : err;
	}
	k->facts.ifindex = rtnl_link_get_ifindex(link);
	kernel_apply_link(k, link);
	rtnl_link_put(link);
	return 0;
}

/* Keeps the kernel's own errno (libnl would fold ENETUNREACH and others into NLE_FAILURE). */
static int kernel_on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	*(int *)arg = e->error;
	return NL_STOP;
}

/* Send one request and hand its one answer to fn. 0 or -errno (the kernel's). */
static int kernel_request(struct kernel *k, struct nl_msg *msg, nl_recvmsg_msg_cb_t fn, void *arg)
{
	struct nl_cb *cb;
	int kerr = 0, err;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	if (fn)
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, fn, arg);
	nl_cb_err(cb, NL_CB_CUSTOM, kernel_on_error, &kerr);
	err = nl_send_auto(k->req, msg);
	if (err >= 0)
		err = nl_recvmsgs(k->req, cb);
	nl_cb_put(cb);
	if (kerr)
		return kerr;
	return kernel_errno(err);
}

static int kernel_on_route(struct nl_msg *msg, void *arg)
{
	struct rtnl_route **out = arg;

	if (!*out && rtnl_route_parse(nlmsg_hdr(msg), out) < 0)
		*out = NULL;
	return NL_OK;
}

/* The next hop of the kernel's route toward k->toward: what the kernel itself would use for a
 * packet to that backend (policy rules, ECMP choice and all). Family 0 when the route is on-link,
 * local or missing.
 */
static void kernel_lookup_gateway(struct kernel *k, struct inet_addr *gw)
{
	struct rtmsg rtm = { .rtm_family = kernel_af(&k->toward) };
	struct rtnl_route *route = NULL;
	struct rtnl_nexthop *nh;
	struct nl_addr *via;
	struct nl_msg *msg;
	char buf[INET_ADDR_STR];
	int err;

	memset(gw, 0, sizeof(*gw));
	rtm.rtm_dst_len = kernel_addr_len(&k->toward) * 8;
	msg = nlmsg_alloc_simple(RTM_GETROUTE, 0);
	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) ||
	    nla_put(msg, RTA_DST, kernel_addr_len(&k->toward), k->toward.bytes))
		err = -ENOMEM;
	else
		err = kernel_request(k, msg, kernel_on_route, &route);
	nlmsg_free(msg);
	if (!err && !route)
		err = -EBADMSG;
	if (err)
		goto fail;

	nh = rtnl_route_nexthop_n(route, 0);
	if (rtnl_route_get_type(route) != RTN_UNICAST || !nh)
		goto out;
	/* RTA_VIA: an IPv6 next hop for an IPv4 route (RFC 8950) */
	via = rtnl_route_nh_get_gateway(nh);
	if (!via)
		via = rtnl_route_nh_get_via(nh);
	if (via && kernel_from_nl(via, gw) == 0 &&
	    rtnl_route_nh_get_ifindex(nh) != k->facts.ifindex)
		pr_warn("kernel: the route toward %s leaves by ifindex %d, not %s\n",
			inet_addr_str(&k->toward, buf, sizeof(buf)), rtnl_route_nh_get_ifindex(nh),
			k->ifname);
out:
	rtnl_route_put(route);
	return;
fail:
	pr_debug("kernel: no route toward %s: %s\n", inet_addr_str(&k->toward, buf, sizeof(buf)),
		 strerror(-err));
}

static void kernel_apply_neigh(struct kernel *k, struct rtnl_neigh *neigh, bool deleted)
{
	struct link_facts *f = &k->facts;
	struct nl_addr *ll = rtnl_neigh_get_lladdr(neigh);
	int state = deleted ? -1 : rtnl_neigh_get_state(neigh);

	k->gateway_state = state;
	if (state >= 0 && (state & KERNEL_NUD_KNOWN) && ll && nl_addr_get_len(ll) == 6) {
		f->has_gateway_mac = true;
		memcpy(f->gateway_mac, nl_addr_get_binary_addr(ll), 6);
	} else {
		f->has_gateway_mac = false;
		memset(f->gateway_mac, 0, 6);
	}
}

static int kernel_on_neigh(struct nl_msg *msg, void *arg)
{
	struct rtnl_neigh **out = arg;

	if (!*out && rtnl_neigh_parse(nlmsg_hdr(msg), out) < 0)
		*out = NULL;
	return NL_OK;
}

/* The gateway's entry in the neighbour table of the edge's link (RTM_GETNEIGH for one entry,
 * kernel 5.0+), so a router's whole table is never dumped.
 */
static void kernel_get_neigh(struct kernel *k)
{
	const struct inet_addr *gw = &k->facts.gateway;
	struct ndmsg ndm = { .ndm_family = kernel_af(gw), .ndm_ifindex = k->facts.ifindex };
	struct rtnl_neigh *neigh = NULL;
	struct nl_msg *msg;
	int err;

	k->gateway_state = -1;
	k->facts.has_gateway_mac = false;
	memset(k->facts.gateway_mac, 0, 6);
	if (!gw->family)
		return;
	msg = nlmsg_alloc_simple(RTM_GETNEIGH, 0);
	if (!msg || nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) ||
	    nla_put(msg, NDA_DST, kernel_addr_len(gw), gw->bytes))
		err = -ENOMEM;
	else
		err = kernel_request(k, msg, kernel_on_neigh, &neigh);
	nlmsg_free(msg);
	if (err || !neigh) {
		if (err && err != -ENOENT)
			pr_warn("kernel: neighbour lookup on %s: %s\n", k->ifname, strerror(-err));
		return;
	}
	kernel_apply_neigh(k, neigh, false);
	rtnl_neigh_put(neigh);
}

static bool kernel_is_gateway(const struct kernel *k, struct rtnl_neigh *neigh)
{
	struct nl_addr *dst = rtnl_neigh_get_dst(neigh);
	struct inet_addr a;

	return k->facts.gateway.family && rtnl_neigh_get_ifindex(neigh) == k->facts.ifindex &&
	       dst && !kernel_from_nl(dst, &a) && inet_addr_eq(&a, &k->facts.gateway);
}

/* May a change of this route move the route toward the backends? Only if it covers them. */
static bool kernel_route_covers(const struct kernel *k, struct rtnl_route *route)
{
	struct nl_addr *dst = rtnl_route_get_dst(route);
	struct inet_prefix p;

	if (rtnl_route_get_family(route) != kernel_af(&k->toward))
		return false;
	if (!dst || nl_addr_get_prefixlen(dst) == 0)
		return true;
	if (kernel_from_nl(dst, &p.addr))
		return true;
	p.len = nl_addr_get_prefixlen(dst);
	return inet_prefix_contains(&p, &k->toward);
}

static void kernel_on_object(struct nl_object *obj, void *arg)
{
	struct kernel *k = arg;
	int type = nl_object_get_msgtype(obj);
	bool follow_route = !k->policy_gateway.family && k->toward.family;

	switch (type) {
	case RTM_NEWLINK:
	case RTM_DELLINK: {
		struct rtnl_link *link = (struct rtnl_link *)obj;

		/* AF_BRIDGE messages describe bridge ports, not the device itself */
		if (rtnl_link_get_family(link) != AF_UNSPEC)
			return;
		/* IPv4 drops routes of a downed link without telling anyone */
		if (follow_route)
			k->need_route = true;
		if (rtnl_link_get_ifindex(link) != k->facts.ifindex) {
			/* re-created under its name: the same role on a new index */
			if (type == RTM_NEWLINK && k->gone && rtnl_link_get_name(link) &&
			    !strcmp(rtnl_link_get_name(link), k->ifname))
				kernel_adopt_link(k, link);
			return;
		}
		if (type == RTM_NEWLINK) {
			kernel_apply_link(k, link);
		} else if (!k->gone) {
			pr_warn("kernel: %s (ifindex %d) was deleted\n", k->ifname,
				k->facts.ifindex);
			k->gone = true;
			k->facts.up = false;
		}
		return;
	}
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		if (kernel_is_gateway(k, (struct rtnl_neigh *)obj))
			kernel_apply_neigh(k, (struct rtnl_neigh *)obj, type == RTM_DELNEIGH);
		return;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		if (follow_route && kernel_route_covers(k, (struct rtnl_route *)obj))
			k->need_route = true;
		return;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		/* removing an address silently removes the routes that depend on it */
		if (follow_route)
			k->need_route = true;
		return;
	}
}

static int kernel_on_event(struct nl_msg *msg, void *arg)
{
	/* messages libnl cannot parse (e.g. RTM_GETNEIGH app probes) are not ours to care about */
	nl_msg_parse(msg, kernel_on_object, arg);
	return NL_OK;
}

/* Re-read whatever the notifications said may have moved. */
static void kernel_refresh(struct kernel *k)
{
	struct inet_addr gw;
	char buf[INET_ADDR_STR];
	int err;

	if (k->need_link) {
		err = kernel_get_link(k);
		if (err == -ENODEV && !k->gone) {
			pr_warn("kernel: %s (ifindex %d) is gone\n", k->ifname, k->facts.ifindex);
			k->gone = true;
			k->facts.up = false;
		}
	}
	if (k->need_route) {
		kernel_lookup_gateway(k, &gw);
		if (!inet_addr_eq(&gw, &k->facts.gateway)) {
			if (gw.family)
				pr_info("kernel: gateway toward the backends is %s\n",
					inet_addr_str(&gw, buf, sizeof(buf)));
			else
				pr_info("kernel: no gateway toward the backends (on-link or no route)\n");
			k->facts.gateway = gw;
			k->need_neigh = true;
		}
	}
	if (k->need_neigh)
		kernel_get_neigh(k);
	k->need_link = k->need_route = k->need_neigh = false;
}

static const char *kernel_mac_str(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* Up/down is logged where the flags are read, with its cause; gateway moves in kernel_refresh. */
static void kernel_log_changes(const struct kernel *k, const struct link_facts *old)
{
	const struct link_facts *f = &k->facts;
	char a[18], b[18];

	if (memcmp(old->mac, f->mac, 6))
		pr_info("kernel: %s MAC %s -> %s\n", k->ifname,
			kernel_mac_str(old->mac, a, sizeof(a)),
			kernel_mac_str(f->mac, b, sizeof(b)));
	if (old->mtu != f->mtu)
		pr_info("kernel: %s MTU %u -> %u\n", k->ifname, old->mtu, f->mtu);
	if (f->has_gateway_mac &&
	    (!old->has_gateway_mac || memcmp(old->gateway_mac, f->gateway_mac, 6)))
		pr_info("kernel: gateway MAC is %s\n",
			kernel_mac_str(f->gateway_mac, a, sizeof(a)));
	else if (!f->has_gateway_mac && old->has_gateway_mac)
		pr_warn("kernel: gateway MAC is no longer known\n");
}

static int kernel_open_events(struct kernel *k)
{
	struct nl_sock *sk;
	int err;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	k->events = sk;
	/* notifications carry sequence number 0 */
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, kernel_on_event, k);
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0)
		return kernel_errno(err);
	/* subscribe before the first reads, so no change falls between read and subscription */
	err = nl_socket_add_memberships(sk, RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_IPV4_ROUTE,
					RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_IFADDR,
					RTNLGRP_IPV6_IFADDR, 0);
	if (err < 0)
		return kernel_errno(err);
	/* capped by net.core.rmem_max; an overflow is survived by re-reading everything */
	nl_socket_set_buffer_size(sk, KERNEL_RCVBUF, 0);
	return kernel_errno(nl_socket_set_nonblocking(sk));
}

static int kernel_open_req(struct kernel *k)
{
	struct nl_sock *sk;
	int err;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	k->req = sk;
	/* one answer per request, reply or error; an ACK after a reply would be left queued */
	nl_socket_disable_auto_ack(sk);
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0)
		return kernel_errno(err);
	return kernel_errno(nl_socket_set_nonblocking(sk));
}

int kernel_open(const char *ifname, const struct inet_addr *gateway, const struct inet_addr *toward,
		struct kernel **out)
{
	struct kernel *k;
	int err;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	strcpy(k->ifname, ifname);
	if (gateway)
		k->policy_gateway = *gateway;
	if (toward)
		k->toward = *toward;
	k->gateway_state = -1;

	err = kernel_open_events(k);
	if (err)
		goto err_close;
	err = kernel_open_req(k);
	if (err)
		goto err_close;
	err = kernel_get_link(k);
	if (err)
		goto err_close;
	k->facts.gateway = k->policy_gateway;
	k->need_route = !k->policy_gateway.family && k->toward.family;
	k->need_neigh = true;
	kernel_refresh(k);
	if (k->toward.family && !k->facts.gateway.family)
		pr_info("kernel: no gateway toward the backends (on-link or no route)\n");
	*out = k;
	return 0;

err_close:
	kernel_close(k);
	return err;
}

void kernel_close(struct kernel *k)
{
	if (!k)
		return;
	nl_socket_free(k->req);
	nl_socket_free(k->events);
	free(k);
}

void kernel_facts(const struct kernel *k, struct link_facts *out)
{
	*out = k->facts;
}

int kernel_fd(const struct kernel *k)
{
	return nl_socket_get_fd(k->events);
}

int kernel_dispatch(struct kernel *k, bool *changed)
{
	struct link_facts before = k->facts;
	int i, err = 0;

	for (i = 0; i < KERNEL_DISPATCH_BATCH; i++) {
		err = nl_recvmsgs_default(k->events);
		if (err == -NLE_AGAIN) {
			err = 0;
			break;
		}
		if (err == -NLE_NOMEM || err == -NLE_DUMP_INTR) {
			/* ENOBUFS: notifications were lost; the kernel is the record, re-read it */
			pr_info("kernel: netlink notifications overflowed; re-reading %s\n",
				k->ifname);
			k->need_link = true;
			k->need_route = !k->policy_gateway.family && k->toward.family;
			k->need_neigh = true;
			err = 0;
			continue;
		}
		if (err < 0)
			break;
	}
	kernel_refresh(k);
	kernel_log_changes(k, &before);
	if (changed)
		*changed = !kernel_facts_eq(&before, &k->facts);
	return err < 0 ? kernel_errno(err) : 0;
}

int kernel_resolve_gateway(struct kernel *k)
{
	const struct inet_addr *gw = &k->facts.gateway;
	struct ndmsg ndm = {
		.ndm_family = kernel_af(gw),
		.ndm_ifindex = k->facts.ifindex,
		.ndm_flags = NTF_USE,
	};
	struct nl_msg *msg;
	int err;

	if (!gw->family)
		return -ENOENT;
	/* a confirmed entry needs nothing; a STALE one gets a unicast probe, so a gateway
	 * replaced behind the same address is noticed even though XDP bypasses the kernel
	 */
	if (k->gateway_state >= 0 && (k->gateway_state & (NUD_REACHABLE | NUD_PERMANENT)))
		return 0;
	/* NTF_USE is what a packet sent to the gateway would do (neigh_event_send): it creates
	 * the entry if missing and starts ARP/ND, without sending anything else and without a
	 * route or source-address choice (so link-local IPv6 gateways work too). The entry stays
	 * an ordinary one: not permanent, not managed, garbage-collected as usual.
	 */
	msg = nlmsg_alloc_simple(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_ACK);
	if (!msg || nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) ||
	    nla_put(msg, NDA_DST, kernel_addr_len(gw), gw->bytes))
		err = -ENOMEM;
	else
		err = kernel_request(k, msg, NULL, NULL); /* the one answer: ACK or error */
	nlmsg_free(msg);
	return err;
}
