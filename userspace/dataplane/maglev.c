// SPDX-License-Identifier: GPL-2.0
/* Maglev lookup table (Eisenbud et al., NSDI 2016) with plain relative weights.
 *
 * Each backend walks its own permutation of the slots, p_j = (offset + j * skip) % M, and takes
 * the first slot not yet taken. Turns come in rounds, backends in address order within a round;
 * a backend of weight w earns w credit per round and takes a turn when its credit reaches the
 * largest weight wmax, so its k-th turn falls in round ceil(k * wmax / w) and its share of slots
 * is w / sum(w). Permutations depend only on (address, seed), so removing a backend only moves
 * the slots it owned plus a little churn among the others.
 *
 * Two ways hand out the same turns in the same order. Walking every backend every round costs
 * n per round over about M * wmax / sum(w) rounds: cheapest when weights are alike, but O(M * n)
 * if one backend outweighs the rest. A heap keyed by (round, address order) is O(M log n)
 * whatever the weights, at a few times the constant; it takes over when walking would cost more.
 */
#include <errno.h>
#include <stdlib.h>

#include "maglev.h"

/* Keys of the two hashes: any two different constants would do. */
#define MAGLEV_H1_KEY 0x6a09e667f3bcc909ULL
#define MAGLEV_H2_KEY 0xbb67ae8584caa73bULL

struct maglev_perm {
	const struct inet_addr *addr;
	uint32_t weight;
	uint32_t id;
	uint32_t pos; /* next slot of this backend's permutation to look at */
	uint32_t skip;
	uint32_t rem;
	uint64_t quot; /* walk: credit; heap: see maglev_advance() */
};

/* Walk when wmax <= this * mean weight, so a walk costs at most ~this many steps per slot;
 * measured at M = 65537 and 1000 backends, walking and the heap cost the same near 20-30.
 */
#define MAGLEV_WALK_MAX_SKEW 16

bool maglev_is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	/* d <= n / d rather than d * d <= n: no overflow near UINT32_MAX. */
	for (d = 3; d <= n / d; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

/* A 64-bit avalanche step: every input bit flips about half of the output bits. */
static uint64_t maglev_mix(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 29;
	x *= 0xa0761d6478bd642fULL;
	x ^= x >> 32;
	return x;
}

/* Bytes are read little-endian by hand so the table is the same on every host. */
static uint64_t maglev_load64(const uint8_t *b)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static uint64_t maglev_hash(const struct inet_addr *a, uint32_t seed, uint64_t key)
{
	uint64_t h = maglev_mix(key ^ seed);

	h = maglev_mix(h ^ a->family);
	h = maglev_mix(h ^ maglev_load64(a->bytes));
	h = maglev_mix(h ^ maglev_load64(a->bytes + 8));
	return h;
}

static int maglev_perm_cmp(const void *a, const void *b)
{
	const struct maglev_perm *pa = a, *pb = b;

	return inet_addr_cmp(pa->addr, pb->addr);
}

/* Heap key: round of the next turn, then address order (the index into the sorted array). A
 * fill never lasts more than M < 2^32 - 1 rounds (the heaviest backend turns every round), so
 * capping the round at 2^32 - 1 only marks a backend that will not turn again.
 */
static uint64_t maglev_key(const struct maglev_perm *p, uint32_t idx)
{
	uint64_t round = p->quot + (p->rem != 0);

	if (round > UINT32_MAX)
		round = UINT32_MAX;
	return round << 32 | idx;
}

/* Credit after k turns is k * wmax, kept as quot * weight + rem so that the k-th turn's round,
 * ceil(k * wmax / weight), needs no division per turn.
 */
static void maglev_advance(struct maglev_perm *p, uint32_t wmax)
{
	p->quot += wmax / p->weight;
	p->rem += wmax % p->weight;
	if (p->rem >= p->weight) {
		p->rem -= p->weight;
		p->quot++;
	}
}

static void maglev_sift_down(uint64_t *heap, uint32_t len, uint32_t i)
{
	uint64_t key = heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= len)
			break;
		if (c + 1 < len && heap[c + 1] < heap[c])
			c++;
		if (key <= heap[c])
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = key;
}

/* Take p's next free slot. A permutation visits every slot once (skip < M, M prime), so a free
 * slot is found within M steps whenever one exists; the bound only guards against a bug.
 */
static int maglev_take_turn(struct maglev_perm *p, uint32_t m, uint64_t *used, uint32_t *table)
{
	uint32_t step;

	for (step = 0; step < m; step++) {
		uint32_t s = p->pos;

		p->pos += p->skip;
		if (p->pos >= m)
			p->pos -= m;
		if (!(used[s / 64] & (1ULL << (s % 64)))) {
			used[s / 64] |= 1ULL << (s % 64);
			table[s] = p->id;
			return 0;
		}
	}
	return -EFAULT;
}

/* Every round, each backend earns its weight and turns once its credit reaches wmax. The
 * heaviest turns every round, so this ends within M rounds.
 */
static int maglev_fill_walk(struct maglev_perm *perm, uint32_t n, uint32_t wmax, uint32_t m,
			    uint64_t *used, uint32_t *table)
{
	uint32_t filled = 0, i;
	int err;

	while (filled < m) {
		for (i = 0; i < n && filled < m; i++) {
			struct maglev_perm *p = &perm[i];

			p->quot += p->weight;
			if (p->quot < wmax)
				continue;
			p->quot -= wmax;
			err = maglev_take_turn(p, m, used, table);
			if (err)
				return err;
			filled++;
		}
	}
	return 0;
}

/* The same turns, popped from a heap of (round of next turn, address order). */
static int maglev_fill_heap(struct maglev_perm *perm, uint32_t n, uint32_t wmax, uint32_t m,
			    uint64_t *used, uint32_t *table)
{
	uint64_t *heap;
	uint32_t filled, i;
	int err = 0;

	heap = calloc(n, sizeof(*heap));
	if (!heap)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		maglev_advance(&perm[i], wmax);
		heap[i] = maglev_key(&perm[i], i);
	}
	for (i = n / 2; i-- > 0;)
		maglev_sift_down(heap, n, i);

	/* Every turn fills one slot, so this loop runs exactly m times. */
	for (filled = 0; filled < m; filled++) {
		uint32_t idx = (uint32_t)heap[0];
		struct maglev_perm *p = &perm[idx];

		err = maglev_take_turn(p, m, used, table);
		if (err)
			break;
		maglev_advance(p, wmax);
		heap[0] = maglev_key(p, idx);
		maglev_sift_down(heap, n, 0);
	}
	free(heap);
	return err;
}

int maglev_build(const struct maglev_backend *backends, size_t n, uint32_t seed, uint32_t ring_size,
		 uint32_t *table)
{
	struct maglev_perm *perm = NULL;
	uint64_t *used = NULL, wsum = 0;
	uint32_t wmax = 0, n_active = 0;
	size_t i;
	int err;

	/* n < 2^32 keeps indices in 32 bits; nobody has four billion backends. */
	if (!backends || !n || n >= UINT32_MAX || !table || !maglev_is_prime(ring_size))
		return -EINVAL;

	perm = calloc(n, sizeof(*perm));
	if (!perm)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		perm[i].addr = &backends[i].addr;
		perm[i].weight = backends[i].weight;
		perm[i].id = backends[i].id;
	}
	/* Address order, not input order, decides who goes first: hosts agree on the table. */
	qsort(perm, n, sizeof(*perm), maglev_perm_cmp);

	for (i = 0; i < n; i++) {
		if (i && !inet_addr_cmp(perm[i - 1].addr, perm[i].addr)) {
			err = -EINVAL;
			goto cleanup;
		}
		if (perm[i].weight > wmax)
			wmax = perm[i].weight;
	}
	if (!wmax) {
		err = -ENOENT;
		goto cleanup;
	}

	/* Drop drained backends; the rest keep address order. */
	for (i = 0; i < n; i++) {
		struct maglev_perm *p = &perm[i];

		if (!p->weight)
			continue;
		p->pos = maglev_hash(p->addr, seed, MAGLEV_H1_KEY) % ring_size;
		/* ring_size == 2 leaves skip 1, which still visits both slots. */
		p->skip = maglev_hash(p->addr, seed, MAGLEV_H2_KEY) % (ring_size - 1) + 1;
		wsum += p->weight;
		perm[n_active++] = *p;
	}

	used = calloc(ring_size / 64 + 1, sizeof(*used));
	if (!used) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* n_active * wmax and wsum are each below 2^64: fewer than 2^32 terms under 2^32. */
	if ((uint64_t)n_active * wmax / MAGLEV_WALK_MAX_SKEW <= wsum)
		err = maglev_fill_walk(perm, n_active, wmax, ring_size, used, table);
	else
		err = maglev_fill_heap(perm, n_active, wmax, ring_size, used, table);

cleanup:
	free(used);
	free(perm);
	return err;
}
