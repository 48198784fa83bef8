// SPDX-License-Identifier: GPL-2.0
/* The program's shape, set before it is loaded: map sizes from the policy, the rings' inner
 * template, the flow table's constants patched into the code; and, once loaded, a new flow
 * table read through so its pages are mapped before packets need them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane_impl.h"

/* The counters get a slice per possible CPU; the flow table a power of two of sets holding at
 * least `flows`.
 */
static int size_maps(struct dataplane *dp, uint32_t flows)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t want = ((uint64_t)flows + AE_FLOW_WAYS - 1) / AE_FLOW_WAYS;
	int err;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	err = bpf_map__set_max_entries(dp->skel->maps.vip_stats, (uint32_t)ncpu * AE_MAX_VIPS);
	if (!err)
		err = bpf_map__set_max_entries(dp->skel->maps.reasons,
					       (uint32_t)ncpu * AE_REASON_STRIDE);
	if (err)
		return err;
	for (dp->flow_sets = 1; dp->flow_sets < want;)
		dp->flow_sets <<= 1;
	return bpf_map__set_max_entries(dp->skel->maps.flows, dp->flow_sets);
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

/* Read a new flow table whole, once, through the kernel's own mapping. On these VMs the first
 * touch of a page at a kernel address costs ~1 us in the hypervisor (measured: a new flow's
 * packet paid it in the median); paying it at load keeps it off the data path.
 */
int prefault_flows(struct dataplane *dp)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int fd = bpf_map__fd(dp->skel->maps.flows);
	uint32_t chunk = 1024, count, pos, next;
	struct ae_flow_set *vals;
	uint32_t *keys;
	void *in = NULL;
	int err;

	keys = calloc(chunk, sizeof(*keys));
	vals = calloc(chunk, sizeof(*vals));
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

/* Every ring has exactly ring_size entries (see struct ring in maps.h): a map of that shape,
 * handed to libbpf as the template the rings map takes its inner shape from.
 */
static int ring_template(struct dataplane *dp, int *fd)
{
	*fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ae_ring_tmpl", sizeof(uint32_t), sizeof(uint32_t),
			     dp->ring_size, NULL);
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
	int err = patch_imm(dp->skel->progs.anyedge_xdp, AE_FLOW_MASK_IMM, dp->flow_sets - 1);

	if (!err)
		err = patch_imm(dp->skel->progs.anyedge_xdp, AE_FLOW_SEED_IMM, dp->flow_seed);
	return err;
}
