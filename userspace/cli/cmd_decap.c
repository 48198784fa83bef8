// SPDX-License-Identifier: GPL-2.0
/* `anyedge decap attach|detach|status DEV`: the backend-side decapsulator (xdp/decap.bpf.c).
 *
 * attach loads the program, fills its maps, attaches it to DEV through a bpf_link (native mode
 * where the driver has it, generic otherwise) and pins link and maps under
 * /sys/fs/bpf/anyedge/decap/DEV/, so the program outlives this process and status/detach find it.
 * Attaching again over a live pin swaps program and maps in one bpf_link_update: tunnels never
 * meet a host without a decapsulator in between. Pins are named by device name: a device of the
 * same name in another network namespace needs its own bpffs, or another name.
 */
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../../xdp/decap_abi.h"
#include "cli.h"
#include "decap.skel.h"
#include "inet.h"
#include "log.h"
#include "files.h"
#include "xdp_pin.h"

#define DECAP_PIN_BASE BPFFS "/anyedge/decap"
#define DECAP_MAX_CLI_ALLOW 1024

/* Pinned maps, by file name under the device's pin directory. */
static const char *const pinned_maps[] = { "decap_addrs",  "decap_vips",   "decap_allow4",
					   "decap_allow6", "decap_config", "decap_stats" };

/* A list of addresses: the tunnel endpoints, or the VIPs. */
struct addr_list {
	struct inet_addr a[DECAP_MAX_VIPS];
	int n, max;
	const char *what;
};

struct decap_args {
	const char *verb, *dev;
	struct addr_list addrs, vips;
	struct inet_prefix *allow;
	int n_allow;
	bool allow_any;
	bool json;
};

static int parse_addr_list(char *list, struct addr_list *l)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (l->n >= l->max) {
			pr_warn("decap: more than %d %s\n", l->max, l->what);
			return -E2BIG;
		}
		if (inet_addr_parse(tok, &l->a[l->n])) {
			pr_warn("decap: '%s' is not an IPv4 or IPv6 address\n", tok);
			return -EINVAL;
		}
		l->n++;
	}
	return 0;
}

static int parse_allow_list(char *list, struct decap_args *a)
{
	char *tok, *save = NULL;

	if (!strcmp(list, "any")) { /* said in so many words, never by leaving it out */
		a->allow_any = true;
		return 0;
	}
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (a->n_allow >= DECAP_MAX_CLI_ALLOW) {
			pr_warn("decap: more than %d allowed prefixes\n", DECAP_MAX_CLI_ALLOW);
			return -E2BIG;
		}
		if (inet_prefix_parse(tok, &a->allow[a->n_allow])) {
			pr_warn("decap: '%s' is not a prefix ADDR/LEN with zero host bits\n", tok);
			return -EINVAL;
		}
		a->n_allow++;
	}
	return 0;
}

/* Device names become pin paths: no '/', no dot names, IFNAMSIZ at most. */
static bool dev_name_ok(const char *dev)
{
	return *dev && strlen(dev) < IFNAMSIZ && !strchr(dev, '/') && strcmp(dev, ".") &&
	       strcmp(dev, "..");
}

static const struct cmd_opt decap_opts[] = {
	{ "address", 'a', "ADDR,...",
	  "attach: tunnel endpoints (default: DEV's addresses, IPv6 link-local excepted)" },
	{ "allow", 'A', "PREFIX,...|any",
	  "attach: outer sources allowed to tunnel to us: the edges' encap_source (required)" },
	{ "vip", 'V', "ADDR,...",
	  "attach: inner destinations a tunnel may carry (default: lo's addresses, loopback "
	  "excepted)" },
	{ "json", 'j', NULL, "status: print JSON" },
	{ 0 },
};

/* Options anywhere (getopt permutes them to the front), then the verb and DEV. */
static int parse_args(const struct cli_verb *v, int argc, char **argv, struct decap_args *a)
{
	int c, err = 0;

	while (!err && (c = cmd_getopt(&v->spec, argc, argv)) != -1) {
		switch (c) {
		case 'a':
			err = parse_addr_list(optarg, &a->addrs);
			break;
		case 'V':
			err = parse_addr_list(optarg, &a->vips);
			break;
		case 'A':
			err = parse_allow_list(optarg, a);
			break;
		case 'j':
			a->json = true;
			break;
		case CMD_HELP:
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (err)
		return err;
	if (argc - optind != 2) {
		cli_usage(v);
		return -EINVAL;
	}
	a->verb = argv[optind];
	a->dev = argv[optind + 1];
	if (!dev_name_ok(a->dev)) {
		pr_warn("decap: '%s' is not a device name\n", a->dev);
		return -EINVAL;
	}
	return 0;
}

static void pin_path(char *buf, size_t len, const char *dev, const char *name)
{
	if (name)
		snprintf(buf, len, DECAP_PIN_BASE "/%s/%s", dev, name);
	else
		snprintf(buf, len, DECAP_PIN_BASE "/%s", dev);
}

/* Loopback (127/8, ::1) and IPv6 link-local: no edge tunnels to them, no client asks for them. */
static bool addr_local_only(const struct inet_addr *x)
{
	const uint8_t *b = x->bytes;
	static const uint8_t one6[16] = { [15] = 1 };

	if (x->family == AE_FAMILY_V4)
		return b[0] == 127;
	return (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || !memcmp(b, one6, 16);
}

/* Defaults from the kernel: the addresses dev carries, loopback and link-local excepted (the
 * tunnel endpoints are DEV's, the VIPs are lo's).
 */
static int addrs_from_dev(const char *dev, struct addr_list *l)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		struct inet_addr *out = &l->a[l->n];

		if (!i->ifa_addr || strcmp(i->ifa_name, dev) || l->n >= l->max)
			continue;
		memset(out, 0, sizeof(*out));
		if (i->ifa_addr->sa_family == AF_INET) {
			out->family = AE_FAMILY_V4;
			memcpy(out->bytes, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			out->family = AE_FAMILY_V6;
			memcpy(out->bytes, ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr,
			       16);
		} else {
			continue;
		}
		if (!addr_local_only(out))
			l->n++;
	}
	freeifaddrs(ifa);
	return 0;
}

static int fill_addrs(int fd, const struct addr_list *l)
{
	uint8_t one = 1;
	int i;

	for (i = 0; i < l->n; i++) {
		struct decap_addr_key k = { .family = l->a[i].family };

		memcpy(k.addr, l->a[i].bytes, k.family == AE_FAMILY_V4 ? 4 : 16);
		if (bpf_map_update_elem(fd, &k, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int fill_maps(struct decap_bpf *skel, const struct decap_args *a)
{
	struct decap_config cfg = { .abi_version = DECAP_ABI_VERSION };
	uint32_t zero = 0;
	uint8_t one = 1;
	int i, err;

	err = fill_addrs(bpf_map__fd(skel->maps.decap_addrs), &a->addrs);
	if (!err)
		err = fill_addrs(bpf_map__fd(skel->maps.decap_vips), &a->vips);
	if (err)
		return err;
	for (i = 0; i < a->n_allow; i++) {
		const struct inet_prefix *p = &a->allow[i];

		if (p->addr.family == AE_FAMILY_V4) {
			struct decap_lpm4_key k = { .prefixlen = p->len };

			memcpy(k.addr, p->addr.bytes, 4);
			err = bpf_map_update_elem(bpf_map__fd(skel->maps.decap_allow4), &k, &one,
						  BPF_ANY);
		} else {
			struct decap_lpm6_key k = { .prefixlen = p->len };

			memcpy(k.addr, p->addr.bytes, 16);
			err = bpf_map_update_elem(bpf_map__fd(skel->maps.decap_allow6), &k, &one,
						  BPF_ANY);
		}
		if (err)
			return -errno;
	}
	if (a->allow_any)
		cfg.flags |= DECAP_F_ALLOW_ANY;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.decap_config), &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

/* The pinned link of DEV, if any; its info in *info. Returns fd or -errno. */
static int open_link(const char *dev, struct bpf_link_info *info)
{
	char path[PATH_MAX];
	__u32 len = sizeof(*info);
	int fd;

	pin_path(path, sizeof(path), dev, "link");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void remove_pins(const char *dev)
{
	char path[PATH_MAX];

	pin_path(path, sizeof(path), dev, NULL);
	pin_dir_clear(path, NULL);
	rmdir(path);
	/* best effort: the last device leaves no empty folders behind */
	if (!rmdir(DECAP_PIN_BASE))
		rmdir(BPFFS "/anyedge");
}

static int decap_attach(struct decap_args *a)
{
	struct decap_bpf *skel = NULL;
	struct bpf_link_info info;
	char dir[PATH_MAX];
	const char *mode = "unknown";
	int ifindex, link_fd = -1, err;
	bool replaced = false;
	size_t i;

	ifindex = (int)if_nametoindex(a->dev);
	if (!ifindex) {
		pr_warn("decap: no device '%s' in this network namespace\n", a->dev);
		return -ENODEV;
	}
	if (!a->n_allow && !a->allow_any) {
		pr_warn("decap: give --allow with the edges' tunnel sources (their encap_source), "
			"or --allow any to open tunnels from anyone\n");
		return -EINVAL;
	}
	if (!a->addrs.n) {
		err = addrs_from_dev(a->dev, &a->addrs);
		if (err)
			return err;
		if (!a->addrs.n) {
			pr_warn("decap: %s has no addresses to open tunnels for; give --address\n",
				a->dev);
			return -EADDRNOTAVAIL;
		}
	}
	if (!a->vips.n) {
		err = addrs_from_dev("lo", &a->vips);
		if (err)
			return err;
		if (!a->vips.n) {
			pr_warn("decap: lo holds no VIPs for tunnels to carry; give --vip\n");
			return -EADDRNOTAVAIL;
		}
	}
	err = bpffs_mount();
	if (err)
		return err;
	pin_path(dir, sizeof(dir), a->dev, NULL);
	err = mkdir_p(dir, 0700);
	if (err) {
		pr_warn("decap: cannot create %s: %s\n", dir, strerror(-err));
		return err;
	}

	skel = decap_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		pr_warn("decap: cannot load the decapsulator: %s\n", strerror(-err));
		goto cleanup;
	}
	err = fill_maps(skel, a);
	if (err) {
		pr_warn("decap: cannot fill maps: %s\n", strerror(-err));
		goto cleanup;
	}

	link_fd = open_link(a->dev, &info);
	if (link_fd >= 0 && info.xdp.ifindex == (__u32)ifindex) {
		/* Live link on this device: swap the program in place, no gap. */
		if (bpf_link_update(link_fd, bpf_program__fd(skel->progs.decap), NULL)) {
			err = -errno;
			pr_warn("decap: cannot replace the program on %s: %s\n", a->dev,
				strerror(-err));
			goto cleanup;
		}
		replaced = true;
		/* the link keeps its mode; ask the kernel how the new program sits */
		{
			struct bpf_prog_info pi = {};
			__u32 len = sizeof(pi);

			if (!bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.decap), &pi, &len))
				mode = xdp_attach_mode(ifindex, pi.id);
		}
	} else {
		if (link_fd >= 0) {
			pr_info("decap: removing stale pins of %s (device gone or recreated)\n",
				a->dev);
			close(link_fd);
			remove_pins(a->dev);
			err = mkdir_p(dir, 0700);
			if (err)
				goto cleanup;
		}
		link_fd =
			xdp_link_create(bpf_program__fd(skel->progs.decap), ifindex, a->dev, &mode);
		if (link_fd < 0) {
			err = link_fd;
			goto cleanup;
		}
	}

	/* Maps first, link last: a pinned link always finds its maps pinned beside it. On a
	 * fresh attach, a failure here closes the only link fd, which detaches the program.
	 */
	for (i = 0; i < sizeof(pinned_maps) / sizeof(pinned_maps[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, pinned_maps[i]);

		err = m ? pin_replace(bpf_map__fd(m), dir, pinned_maps[i]) : -ENOENT;
		if (err) {
			pr_warn("decap: cannot pin %s under %s: %s\n", pinned_maps[i], dir,
				strerror(-err));
			goto cleanup;
		}
	}
	if (!replaced) {
		err = pin_replace(link_fd, dir, "link");
		if (err) {
			pr_warn("decap: cannot pin the link under %s: %s\n", dir, strerror(-err));
			goto cleanup;
		}
	}
	printf("decap: %s %s in %s mode: %d address%s, allow-list %s (pins in %s)\n",
	       replaced ? "replaced on" : "attached to", a->dev, mode, a->addrs.n,
	       a->addrs.n == 1 ? "" : "es", a->allow_any ? "off (any source)" : "enforced", dir);
	err = 0;
cleanup:
	if (err && !replaced && link_fd >= 0)
		remove_pins(a->dev);
	if (link_fd >= 0)
		close(link_fd);
	decap_bpf__destroy(skel);
	return err;
}

static int decap_detach(struct decap_args *a)
{
	struct bpf_link_info info;
	char dir[PATH_MAX];
	struct stat st;
	int fd;

	pin_path(dir, sizeof(dir), a->dev, NULL);
	if (stat(dir, &st)) {
		pr_warn("decap: nothing attached to %s (no pins in %s)\n", a->dev, dir);
		return -ENOENT;
	}
	fd = open_link(a->dev, &info);
	if (fd >= 0) {
		/* detach now, even if some other process still holds the link open */
		if (bpf_link_detach(fd) && errno != ENOLINK && errno != EINVAL)
			pr_warn("decap: detaching link on %s: %s\n", a->dev, strerror(errno));
		close(fd);
	}
	remove_pins(a->dev);
	if (!stat(dir, &st)) {
		pr_warn("decap: %s left with unknown files; remove it by hand\n", dir);
		return -ENOTEMPTY;
	}
	printf("decap: detached from %s\n", a->dev);
	return 0;
}

/* One print path for text and JSON, so the two never disagree. */
struct out {
	bool json;
	int depth; /* JSON: nesting; text: indentation */
	bool first; /* JSON: no comma before the next member */
	bool in_list;
};

static void out_key(struct out *o, const char *key)
{
	if (o->json) {
		printf("%s\"%s\":", o->first ? "" : ",", key);
		o->first = false;
	} else {
		printf("%*s%s:", o->depth * 2, "", key);
	}
}

static void out_str(struct out *o, const char *key, const char *val)
{
	out_key(o, key);
	printf(o->json ? "\"%s\"" : " %s\n", val);
}

static void out_u64(struct out *o, const char *key, unsigned long long val)
{
	out_key(o, key);
	printf(o->json ? "%llu" : " %llu\n", val);
}

static void out_bool(struct out *o, const char *key, bool val)
{
	out_key(o, key);
	if (o->json)
		printf("%s", val ? "true" : "false");
	else
		printf(" %s\n", val ? "yes" : "no");
}

static void out_list_begin(struct out *o, const char *key)
{
	out_key(o, key);
	printf(o->json ? "[" : "");
	o->first = true;
	o->in_list = true;
}

static void out_item(struct out *o, const char *val)
{
	if (o->json)
		printf("%s\"%s\"", o->first ? "" : ",", val);
	else
		printf(" %s", val);
	o->first = false;
}

static void out_list_end(struct out *o)
{
	if (o->json)
		printf("]");
	else
		printf("%s\n", o->first ? " -" : "");
	o->first = false;
	o->in_list = false;
}

static void out_obj_begin(struct out *o, const char *key)
{
	if (key)
		out_key(o, key);
	if (o->json)
		printf("{");
	else if (key)
		printf("\n");
	o->depth += key ? 1 : 0;
	o->first = true;
}

static void out_obj_end(struct out *o, bool last)
{
	if (o->json)
		printf(last ? "}\n" : "}");
	if (o->depth)
		o->depth--;
	o->first = false;
}

static int open_pinned_map(const char *dev, const char *name)
{
	char path[PATH_MAX];

	pin_path(path, sizeof(path), dev, name);
	return bpf_obj_get(path);
}

static void print_addrs(struct out *o, const char *key, int fd)
{
	struct decap_addr_key k, next, *prev = NULL;
	char buf[INET_ADDR_STR];

	out_list_begin(o, key);
	while (fd >= 0 && !bpf_map_get_next_key(fd, prev, &next)) {
		struct inet_addr a = { .family = next.family };

		memcpy(a.bytes, next.addr, 16);
		out_item(o, inet_addr_str(&a, buf, sizeof(buf)));
		k = next;
		prev = &k;
	}
	out_list_end(o);
}

/* LPM tries iterate with get_next_key too; keys are prefixlen + address bytes. */
static void print_allow(struct out *o, int fd, int family)
{
	struct decap_lpm6_key k, next;
	char buf[INET_PREFIX_STR];
	void *prev = NULL;

	while (fd >= 0 && !bpf_map_get_next_key(fd, prev, &next)) {
		struct inet_prefix p = { .addr.family = family, .len = (uint8_t)next.prefixlen };

		memcpy(p.addr.bytes, next.addr, family == AE_FAMILY_V4 ? 4 : 16);
		out_item(o, inet_prefix_str(&p, buf, sizeof(buf)));
		k = next;
		prev = &k;
	}
}

static int decap_status(struct decap_args *a)
{
	int link_fd, addrs_fd = -1, vips_fd = -1, a4_fd = -1, a6_fd = -1, cfg_fd = -1;
	int stats_fd = -1;
	int ncpu = libbpf_num_possible_cpus(), ifindex, err = 0, s, c;
	struct decap_config cfg = {};
	struct bpf_link_info info;
	struct out o = { .json = a->json };
	uint64_t *vals = NULL;
	uint32_t zero = 0;
	char dir[PATH_MAX];

	pin_path(dir, sizeof(dir), a->dev, NULL);
	link_fd = open_link(a->dev, &info);
	if (link_fd < 0) {
		pr_warn("decap: nothing attached to %s (no link pinned in %s)\n", a->dev, dir);
		return link_fd;
	}
	addrs_fd = open_pinned_map(a->dev, "decap_addrs");
	vips_fd = open_pinned_map(a->dev, "decap_vips");
	a4_fd = open_pinned_map(a->dev, "decap_allow4");
	a6_fd = open_pinned_map(a->dev, "decap_allow6");
	cfg_fd = open_pinned_map(a->dev, "decap_config");
	stats_fd = open_pinned_map(a->dev, "decap_stats");
	if (addrs_fd < 0 || vips_fd < 0 || a4_fd < 0 || a6_fd < 0 || cfg_fd < 0 || stats_fd < 0 ||
	    ncpu <= 0) {
		err = -ENOENT;
		pr_warn("decap: pins in %s are incomplete; run decap attach %s again\n", dir,
			a->dev);
		goto cleanup;
	}
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	bpf_map_lookup_elem(cfg_fd, &zero, &cfg);
	ifindex = (int)if_nametoindex(a->dev);
	if (info.xdp.ifindex && (__u32)ifindex != info.xdp.ifindex)
		pr_warn("decap: pins for %s belong to ifindex %u, not this namespace's %s\n",
			a->dev, info.xdp.ifindex, a->dev);

	out_obj_begin(&o, NULL);
	out_str(&o, "device", a->dev);
	out_bool(&o, "attached", info.xdp.ifindex != 0);
	out_str(&o, "mode", xdp_attach_mode((int)info.xdp.ifindex, info.prog_id));
	out_u64(&o, "prog_id", info.prog_id);
	out_u64(&o, "link_id", info.id);
	print_addrs(&o, "addresses", addrs_fd);
	print_addrs(&o, "vips", vips_fd);
	out_bool(&o, "allow_enforced", !(cfg.flags & DECAP_F_ALLOW_ANY));
	out_list_begin(&o, "allow");
	print_allow(&o, a4_fd, AE_FAMILY_V4);
	print_allow(&o, a6_fd, AE_FAMILY_V6);
	out_list_end(&o);
	out_obj_begin(&o, "counters");
	for (s = 0; s < DECAP_STAT_MAX; s++) {
		uint32_t key = s;
		uint64_t sum = 0;

		if (!bpf_map_lookup_elem(stats_fd, &key, vals))
			for (c = 0; c < ncpu; c++)
				sum += vals[c];
		out_u64(&o, decap_stat_names[s], sum);
	}
	out_obj_end(&o, false);
	out_obj_end(&o, true);
cleanup:
	free(vals);
	if (stats_fd >= 0)
		close(stats_fd);
	if (cfg_fd >= 0)
		close(cfg_fd);
	if (a6_fd >= 0)
		close(a6_fd);
	if (a4_fd >= 0)
		close(a4_fd);
	if (addrs_fd >= 0)
		close(addrs_fd);
	if (vips_fd >= 0)
		close(vips_fd);
	close(link_fd);
	return err;
}

static int cmd_decap(const struct cli_verb *v, int argc, char **argv)
{
	struct decap_args a = {
		.addrs = { .max = DECAP_MAX_ADDRS, .what = "addresses" },
		.vips = { .max = DECAP_MAX_VIPS, .what = "VIPs" },
	};
	int err;

	a.allow = calloc(DECAP_MAX_CLI_ALLOW, sizeof(*a.allow));
	if (!a.allow)
		return 1;
	err = parse_args(v, argc, argv, &a);
	if (err) {
		free(a.allow);
		return err > 0 ? 0 : 2;
	}
	if (!strcmp(a.verb, "attach"))
		err = decap_attach(&a);
	else if (!strcmp(a.verb, "detach"))
		err = decap_detach(&a);
	else if (!strcmp(a.verb, "status"))
		err = decap_status(&a);
	else
		err = -EINVAL, cli_usage(v);
	free(a.allow);
	return err ? 1 : 0;
}

const struct cli_verb cli_verb_decap = {
	.name = "decap",
	.run = cmd_decap,
	.spec = { .prog = "anyedge decap",
		  .args = "attach DEV --allow PREFIX,...|any [--address ADDR,...] [--vip ADDR,...] | "
			  "detach DEV | "
			  "status DEV [--json]",
		  .summary = "Attach, detach or show the backend-side decapsulator on a device.",
		  .opts = { decap_opts } },
};
