// SPDX-License-Identifier: GPL-2.0
/* The program's shape, set before it is loaded: map sizes from the policy, the rings' inner
 * template, the flow table's constants patched into the code; and, once loaded, a new flow
 * table's runs laid out per CPU and its pages mapped before packets need them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane_impl.h"
#include "log.h"

static uint32_t pow2_at_least(uint64_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* The counters get a slice per possible CPU. The flow table (anyedge_abi.h): per CPU, an
 * established run of a power of two of entries, together at least `flows`, and a handshake run
 * an eighth of it; an index of a power of two of buckets, AE_FLOW_BUCKET_FLOWS flows each.
 */
static int size_maps(struct dataplane *dp, uint32_t flows)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t entries;
	int err;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	err = bpf_map__set_max_entries(dp->skel->maps.vip_stats, (uint32_t)ncpu * AE_MAX_VIPS);
	if (!err)
		err = bpf_map__set_max_entries(dp->skel->maps.reasons,
					       (uint32_t)ncpu * AE_REASON_STRIDE);
	if (err)
		return err;
	if (ncpu > AE_FLOW_MAX_CPUS) {
		pr_warn("dataplane: %d CPUs; the flow table's runs are laid out for at most %d\n",
			ncpu, AE_FLOW_MAX_CPUS);
		return -E2BIG;
	}
	dp->flow_cpus = (uint32_t)ncpu;
	dp->flow_run = pow2_at_least(((uint64_t)flows + ncpu - 1) / ncpu);
	if (dp->flow_run < AE_FLOW_RUN_MIN)
		dp->flow_run = AE_FLOW_RUN_MIN;
	dp->flow_syn_run = dp->flow_run / 8 > AE_FLOW_RUN_MIN ? dp->flow_run / 8 : AE_FLOW_RUN_MIN;
	entries = (uint64_t)ncpu * (dp->flow_run + dp->flow_syn_run);
	if (entries >= AE_FLOW_SLOT_ENTRY) { /* a slot names fewer entries */
		pr_warn("dataplane: a flow table of %u flows needs %llu entries on %d CPUs; a slot "
			"names at most %u\n",
			flows, (unsigned long long)entries, ncpu, AE_FLOW_SLOT_ENTRY - 1);
		return -E2BIG;
	}
	dp->flow_buckets =
		pow2_at_least(((uint64_t)flows + AE_FLOW_BUCKET_FLOWS - 1) / AE_FLOW_BUCKET_FLOWS);
	err = bpf_map__set_max_entries(dp->skel->maps.flows, (uint32_t)entries);
	if (!err)
		err = bpf_map__set_max_entries(dp->skel->maps.flow_index, dp->flow_buckets);
	return err;
}

/* Every ALU instruction whose immediate is `placeholder` gets `value` (anyedge_abi.h says why);
 * -ENOENT when the program has none, as a compiler that folded it away would leave it.
 */
static int patch_imm(struct bpf_program *prog, uint32_t placeholder, uint32_t value)
{
	size_t i, n = bpf_program__insn_cnt(prog), hits = 0;
	struct bpf_insn *insns = malloc(n * sizeof(*insns));
	int err;

	if (!insns)
		return -ENOMEM;
	memcpy(insns, bpf_program__insns(prog), n * sizeof(*insns));
	for (i = 0; i < n; i++) {
		__u8 cls = BPF_CLASS(insns[i].code);

		if ((cls == BPF_ALU || cls == BPF_ALU64) && BPF_SRC(insns[i].code) == BPF_K &&
		    (uint32_t)insns[i].imm == placeholder) {
			insns[i].imm = (int32_t)value;
			hits++;
		}
	}
	err = hits ? bpf_program__set_insns(prog, insns, n) : -ENOENT;
	free(insns);
	return err;
}

/* Read a map whole, once, through the kernel's own mapping. On these VMs the first touch of a
 * page at a kernel address costs ~1 us in the hypervisor (measured: a new flow's packet paid it
 * in the median); paying it at load keeps it off the data path.
 */
static int prefault(int fd, size_t value_size)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t chunk = 1024, count, pos, next;
	uint32_t *keys;
	void *vals, *in = NULL;
	int err;

	keys = calloc(chunk, sizeof(*keys));
	vals = calloc(chunk, value_size);
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	do {
		count = chunk;
		err = bpf_map_lookup_batch(fd, in, &next, keys, vals, &count, &opts);
		pos = next;
		in = &pos;
	} while (!err);
	if (err == -ENOENT) /* read to the end */
		err = 0;
out:
	free(keys);
	free(vals);
	return err;
}

/* What the maps are, for the next controller (dp_pin_prepare) and for readers of the table. */
int write_meta(struct dataplane *dp)
{
	struct ae_meta meta = {
		.abi_version = AE_ABI_VERSION,
		.flow_seed = dp->flow_seed,
		.ring_size = dp->ring_size,
	};
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.meta), &zero, &meta, BPF_ANY))
		return -errno;
	return 0;
}

/* A new table: each CPU's runs laid out, its entries and index mapped. */
int init_flows(struct dataplane *dp)
{
	struct ae_flow_runs *runs = calloc(1, sizeof(*runs));
	uint32_t zero = 0;
	int err = 0;

	if (!runs)
		return -ENOMEM;
	runs->shift = __builtin_ctz(dp->flow_run); /* runs are powers of two */
	runs->syn_shift = __builtin_ctz(dp->flow_syn_run);
	runs->syn_base = dp->flow_cpus * dp->flow_run;
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.flow_runs), &zero, runs, BPF_ANY))
		err = -errno;
	free(runs);
	if (!err)
		err = prefault(bpf_map__fd(dp->skel->maps.flows), sizeof(struct ae_flow));
	if (!err)
		err = prefault(bpf_map__fd(dp->skel->maps.flow_index),
			       sizeof(struct ae_flow_bucket));
	return err;
}

/* Every ring has exactly ring_size entries, packed (see struct ring in maps.h): a map of that
 * shape, handed to libbpf as the template the rings map takes its inner shape from.
 */
static int ring_template(struct dataplane *dp, int *fd)
{
	*fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ae_ring_tmpl", sizeof(uint32_t), sizeof(uint64_t),
			     AE_RING_WORDS(dp->ring_size), NULL);
	if (*fd < 0)
		return -errno;
	return bpf_map__set_inner_map_fd(dp->skel->maps.rings, *fd);
}

int shape_maps(struct dataplane *dp, uint32_t flows, int *tmpl_fd)
{
	int err = size_maps(dp, flows);

	if (!err)
		err = ring_template(dp, tmpl_fd);
	if (err)
		return err;
	/* a fresh table's seed; adopted pins bring their table's own (dp_pin_prepare) */
	if (getrandom(&dp->flow_seed, sizeof(dp->flow_seed), 0) != sizeof(dp->flow_seed))
		return -errno;
	/* a 64-bit ALU immediate is sign-extended: a positive one keeps the upper half zero, as
	 * the compiled code that xors it in may assume
	 */
	dp->flow_seed &= 0x7fffffff;
	return 0;
}

int set_flow_constants(struct dataplane *dp)
{
	int err = patch_imm(dp->skel->progs.anyedge_xdp, AE_FLOW_MASK_IMM, dp->flow_buckets - 1);

	if (!err)
		err = patch_imm(dp->skel->progs.anyedge_xdp, AE_FLOW_SEED_IMM, dp->flow_seed);
	return err;
}
