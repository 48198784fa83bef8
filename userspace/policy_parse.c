// SPDX-License-Identifier: GPL-2.0
/* The policy file: libyaml events -> a small node tree (each node with its line:col) -> struct
 * policy, checking the shape of the file and each value on the way. Checks that need the whole
 * file (references, duplicates, merged probes, limits) are policy_check.c's.
 *
 * Sections: diagnostics; the node tree; walking mappings by table; scalar values; the schema,
 * top-down; loading.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "policy_impl.h"

#define TREE_MAX_DEPTH 32 /* the schema needs 6; deeper is a mistake or an attack */
#define PATH_LEN 192

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- diagnostics ---- */

void policy_err(struct policy_build *b, struct policy_pos pos, const char *path, const char *fmt,
		...)
{
	struct policy_diag_item *it;
	char msg[POLICY_MSG_LEN];
	size_t n = 0;
	va_list ap;

	if (b->errors++ >= POLICY_MAX_ERRORS || !b->diag)
		return;
	if (path && *path)
		n = snprintf(msg, sizeof(msg), "%s: ", path);
	if (n >= sizeof(msg))
		n = sizeof(msg) - 1;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	it = &b->items[b->n_items];
	it->msg = strdup(msg);
	if (!it->msg) { /* no memory to hold it: say it now, out of order */
		b->diag(b->ctx, b->name, pos.line, pos.col, msg);
		return;
	}
	it->pos = pos;
	it->seq = b->n_items++;
}

static int diag_item_cmp(const void *x, const void *y)
{
	const struct policy_diag_item *a = x, *c = y;

	if (a->pos.line != c->pos.line)
		return a->pos.line < c->pos.line ? -1 : 1;
	if (a->pos.col != c->pos.col)
		return a->pos.col < c->pos.col ? -1 : 1;
	return a->seq < c->seq ? -1 : a->seq > c->seq;
}

void policy_flush(struct policy_build *b)
{
	char msg[64];
	size_t i;

	qsort(b->items, b->n_items, sizeof(b->items[0]), diag_item_cmp);
	for (i = 0; i < b->n_items; i++) {
		b->diag(b->ctx, b->name, b->items[i].pos.line, b->items[i].pos.col,
			b->items[i].msg);
		free(b->items[i].msg);
	}
	b->n_items = 0;
	if (b->diag && b->errors > POLICY_MAX_ERRORS) {
		snprintf(msg, sizeof(msg), "%u more errors not shown",
			 b->errors - POLICY_MAX_ERRORS);
		b->diag(b->ctx, b->name, 0, 0, msg);
	}
}

const char *policy_quote(const char *s, char *buf, size_t len)
{
	const size_t max = 48;
	size_t i;

	for (i = 0; s[i] && i < max && i + 4 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (s[i] && i + 4 <= len) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

void policy_diag_stderr(void *ctx, const char *file, unsigned int line, unsigned int col,
			const char *msg)
{
	FILE *f = ctx ? ctx : stderr;

	if (line)
		fprintf(f, "%s:%u:%u: error: %s\n", file, line, col, msg);
	else
		fprintf(f, "%s: error: %s\n", file, msg);
}

static struct policy_pos mark_pos(yaml_mark_t m)
{
	return (struct policy_pos){ .line = m.line + 1, .col = m.column + 1 };
}

static const struct policy_pos no_pos;

/* ---- the node tree ---- */

enum ynode_type { YN_SCALAR, YN_MAP, YN_SEQ };

struct ynode {
	enum ynode_type type;
	bool plain; /* an unquoted scalar */
	bool bad; /* stands for something already reported (an alias): skip quietly */
	struct policy_pos pos;
	char *str; /* scalar */
	size_t len;
	struct ynode **kids; /* sequence items; mapping keys and values alternating */
	size_t n, cap;
};

struct tree {
	struct ynode *root;
	struct ynode *stack[TREE_MAX_DEPTH];
	size_t depth;
	unsigned int docs;
};

static void node_free(struct ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static int node_add_kid(struct ynode *parent, struct ynode *kid)
{
	struct ynode **k;

	if (parent->n == parent->cap) {
		k = reallocarray(parent->kids, parent->cap ? parent->cap * 2 : 8, sizeof(*k));
		if (!k)
			return -ENOMEM;
		parent->kids = k;
		parent->cap = parent->cap ? parent->cap * 2 : 8;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

/* A new node, already linked into the tree so that freeing the root frees it. */
static struct ynode *tree_new_node(struct tree *t, enum ynode_type type, yaml_mark_t mark)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->pos = mark_pos(mark);
	if (!t->depth) {
		t->root = n;
	} else if (node_add_kid(t->stack[t->depth - 1], n)) {
		free(n);
		return NULL;
	}
	return n;
}

static int tree_scalar(struct tree *t, const yaml_event_t *ev)
{
	struct ynode *n = tree_new_node(t, YN_SCALAR, ev->start_mark);

	if (!n)
		return -ENOMEM;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	n->len = ev->data.scalar.length;
	n->str = malloc(n->len + 1);
	if (!n->str)
		return -ENOMEM;
	memcpy(n->str, ev->data.scalar.value, n->len);
	n->str[n->len] = '\0';
	return 0;
}

static int tree_open(struct policy_build *b, struct tree *t, const yaml_event_t *ev,
		     enum ynode_type type)
{
	struct ynode *n;

	if (t->depth == TREE_MAX_DEPTH) {
		policy_err(b, mark_pos(ev->start_mark), NULL, "nested deeper than %d levels",
			   TREE_MAX_DEPTH);
		return -EINVAL;
	}
	n = tree_new_node(t, type, ev->start_mark);
	if (!n)
		return -ENOMEM;
	t->stack[t->depth++] = n;
	return 0;
}

static int tree_alias(struct policy_build *b, struct tree *t, const yaml_event_t *ev)
{
	struct ynode *n = tree_new_node(t, YN_SCALAR, ev->start_mark);

	if (!n)
		return -ENOMEM;
	n->bad = true;
	policy_err(b, n->pos, NULL, "aliases (*%s) are not supported: write the value out",
		   (const char *)ev->data.alias.anchor);
	return 0;
}

static const yaml_char_t *event_anchor(const yaml_event_t *ev)
{
	if (ev->type == YAML_SCALAR_EVENT)
		return ev->data.scalar.anchor;
	if (ev->type == YAML_MAPPING_START_EVENT)
		return ev->data.mapping_start.anchor;
	if (ev->type == YAML_SEQUENCE_START_EVENT)
		return ev->data.sequence_start.anchor;
	return NULL;
}

/* Add one event to the tree: 0, -EINVAL to stop (reported), -ENOMEM. */
static int tree_event(struct policy_build *b, struct tree *t, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = event_anchor(ev);

	if (anchor)
		policy_err(b, mark_pos(ev->start_mark), NULL,
			   "anchors (&%s) are not supported: write the value out",
			   (const char *)anchor);
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++t->docs > 1) {
			policy_err(b, mark_pos(ev->start_mark), NULL,
				   "a second YAML document: a policy file holds exactly one");
			return -EINVAL;
		}
		return 0;
	case YAML_SCALAR_EVENT:
		return tree_scalar(t, ev);
	case YAML_ALIAS_EVENT:
		return tree_alias(b, t, ev);
	case YAML_MAPPING_START_EVENT:
		return tree_open(b, t, ev, YN_MAP);
	case YAML_SEQUENCE_START_EVENT:
		return tree_open(b, t, ev, YN_SEQ);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		if (t->depth)
			t->depth--;
		return 0;
	default:
		return 0;
	}
}

/* Line:col of a byte offset, for libyaml's reader errors (which carry no mark). */
static struct policy_pos offset_pos(const char *buf, size_t len, size_t off)
{
	struct policy_pos pos = { 1, 1 };
	size_t i;

	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			pos.line++;
			pos.col = 1;
		} else {
			pos.col++;
		}
	}
	return pos;
}

static void yaml_error(struct policy_build *b, const yaml_parser_t *y, const char *buf, size_t len)
{
	struct policy_pos pos = mark_pos(y->problem_mark);
	const char *problem = y->problem ? y->problem : "unknown error";

	switch (y->error) {
	case YAML_MEMORY_ERROR:
		policy_err(b, no_pos, NULL, "out of memory while parsing YAML");
		break;
	case YAML_READER_ERROR:
		pos = offset_pos(buf, len, y->problem_offset);
		policy_err(b, pos, NULL, "invalid YAML: %s (byte 0x%02x)", problem,
			   y->problem_value & 0xff);
		break;
	default:
		if (y->context)
			policy_err(b, pos, NULL, "invalid YAML: %s (%s that began at line %zu)",
				   problem, y->context, y->context_mark.line + 1);
		else
			policy_err(b, pos, NULL, "invalid YAML: %s", problem);
		break;
	}
}

/* Parse buf into a tree; every problem is reported. 0, -EINVAL or -ENOMEM; on error *root may
 * still hold part of a tree, to be freed.
 */
static int tree_load(struct policy_build *b, const char *buf, size_t len, struct ynode **root)
{
	struct tree t = { 0 };
	yaml_parser_t y;
	yaml_event_t ev;
	bool end = false;
	int ret = 0;

	if (!yaml_parser_initialize(&y))
		return -ENOMEM;
	yaml_parser_set_input_string(&y, (const unsigned char *)buf, len);
	while (!end && !ret) {
		if (!yaml_parser_parse(&y, &ev)) {
			yaml_error(b, &y, buf, len);
			ret = y.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
		ret = tree_event(b, &t, &ev);
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&y);
	*root = t.root;
	if (!ret && !t.root) {
		policy_err(b, no_pos, NULL, "the file is empty: expected a policy mapping");
		ret = -EINVAL;
	}
	return ret;
}

/* ---- walking mappings by table ---- */

static bool node_is_null(const struct ynode *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n->type != YN_SCALAR || !n->plain)
		return false;
	for (i = 0; i < ARRAY_SIZE(nulls); i++)
		if (!strcmp(n->str, nulls[i]))
			return true;
	return false;
}

static const char *node_kind(const struct ynode *n)
{
	if (n->type == YN_MAP)
		return "a mapping";
	if (n->type == YN_SEQ)
		return "a list";
	return node_is_null(n) ? "nothing" : "a single value";
}

/* n must be of type (a non-null scalar, for YN_SCALAR); else report "expected WHAT". */
static int expect(struct policy_build *b, const struct ynode *n, enum ynode_type type,
		  const char *path, const char *what)
{
	char q[64];

	if (n->bad)
		return -EINVAL;
	if (n->type == type && !(type == YN_SCALAR && node_is_null(n)))
		return 0;
	if (n->type == YN_SCALAR && !node_is_null(n))
		policy_err(b, n->pos, path, "expected %s, got '%s'", what,
			   policy_quote(n->str, q, sizeof(q)));
	else
		policy_err(b, n->pos, path, "expected %s, got %s", what, node_kind(n));
	return -EINVAL;
}

typedef int (*field_fn)(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
			int arg);

struct field {
	const char *key;
	field_fn parse;
	bool required;
	int arg; /* passed to parse */
};

static void path_key(char *buf, const char *path, const char *key)
{
	snprintf(buf, PATH_LEN, "%s%s%s", path, *path ? "." : "", key);
}

static void path_idx(char *buf, const char *path, size_t i)
{
	snprintf(buf, PATH_LEN, "%s[%zu]", path, i);
}

static const struct field *field_find(const struct field *f, size_t nf, const char *key)
{
	size_t i;

	for (i = 0; i < nf; i++)
		if (!strcmp(f[i].key, key))
			return &f[i];
	return NULL;
}

static void unknown_key(struct policy_build *b, const struct ynode *k, const char *path,
			const struct field *f, size_t nf)
{
	char keys[POLICY_MSG_LEN / 2] = "", q[64];
	size_t i, n = 0;

	for (i = 0; i < nf && n < sizeof(keys); i++)
		n += snprintf(keys + n, sizeof(keys) - n, "%s%s", i ? ", " : "", f[i].key);
	policy_err(b, k->pos, path, "unknown key '%s' (expected one of: %s)",
		   policy_quote(k->str, q, sizeof(q)), keys);
}

/* Walk mapping n: each key to its field's parser; unknown, duplicate and missing required keys
 * are errors. Returns -ENOMEM or 0 (problems are reported, not returned).
 */
static int walk_map(struct policy_build *b, const struct ynode *n, const char *path,
		    const struct field *fields, size_t nf, void *obj)
{
	const struct ynode *seen[16] = { 0 };
	const struct ynode *k;
	const struct field *f;
	char kpath[PATH_LEN];
	size_t i;

	if (expect(b, n, YN_MAP, path, "a mapping"))
		return 0;
	for (i = 0; i + 1 < n->n; i += 2) {
		k = n->kids[i];
		if (k->bad || expect(b, k, YN_SCALAR, path, "a key"))
			continue;
		f = field_find(fields, nf, k->str);
		if (!f) {
			unknown_key(b, k, path, fields, nf);
			continue;
		}
		if (seen[f - fields]) {
			policy_err(b, k->pos, path, "duplicate key '%s' (first at line %u)", f->key,
				   seen[f - fields]->pos.line);
			continue;
		}
		seen[f - fields] = k;
		path_key(kpath, path, f->key);
		if (f->parse(b, n->kids[i + 1], kpath, obj, f->arg) == -ENOMEM)
			return -ENOMEM;
	}
	for (i = 0; i < nf; i++)
		if (fields[i].required && !seen[i])
			policy_err(b, n->pos, path, "missing required key '%s'", fields[i].key);
	return 0;
}

/* n must be a list of at most max items (more are reported once, at the first extra one). */
static int expect_list(struct policy_build *b, const struct ynode *n, const char *path, size_t max,
		       const char *what, size_t *count)
{
	if (expect(b, n, YN_SEQ, path, "a list"))
		return -EINVAL;
	*count = n->n;
	if (n->n > max) {
		policy_err(b, n->kids[max]->pos, path, "at most %zu %s allowed, got %zu", max, what,
			   n->n);
		*count = max;
	}
	return 0;
}

/* ---- scalar values ---- */

static const char *get_scalar(struct policy_build *b, const struct ynode *n, const char *path,
			      const char *what)
{
	if (expect(b, n, YN_SCALAR, path, what))
		return NULL;
	if (strlen(n->str) != n->len) {
		policy_err(b, n->pos, path, "expected %s, got a value with a NUL character", what);
		return NULL;
	}
	return n->str;
}

static int get_str(struct policy_build *b, const struct ynode *n, const char *path, char *buf,
		   size_t size)
{
	const char *s = get_scalar(b, n, path, "a string");

	if (!s)
		return -EINVAL;
	if (strlen(s) >= size) {
		policy_err(b, n->pos, path, "longer than %zu characters", size - 1);
		return -EINVAL;
	}
	strcpy(buf, s);
	return 0;
}

static bool name_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (!len || len >= POLICY_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    s[i]))
			return false;
	return true;
}

/* A name: 1..63 of [A-Za-z0-9_.-]. */
static int get_name(struct policy_build *b, const struct ynode *n, const char *path,
		    char buf[POLICY_NAME_MAX])
{
	const char *s = get_scalar(b, n, path, "a name");
	char q[64];

	if (!s)
		return -EINVAL;
	if (!name_ok(s)) {
		policy_err(b, n->pos, path,
			   "expected a name of 1..%d characters from A-Z a-z 0-9 _ . -, got '%s'",
			   POLICY_NAME_MAX - 1, policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	strcpy(buf, s);
	return 0;
}

static int get_ref(struct policy_build *b, const struct ynode *n, const char *path,
		   struct policy_ref *ref)
{
	ref->pos = n->pos;
	return get_name(b, n, path, ref->name);
}

/* Decimal digits only, into *out; false on anything else or overflow past 2^32. */
static bool parse_decimal(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!len || len > 10)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static int get_u32(struct policy_build *b, const struct ynode *n, const char *path, uint32_t min,
		   uint32_t max, uint32_t *out)
{
	const char *s = get_scalar(b, n, path, "an integer");
	uint64_t v;
	char q[64];

	if (!s)
		return -EINVAL;
	if (!parse_decimal(s, strlen(s), &v) || v < min || v > max) {
		policy_err(b, n->pos, path, "expected an integer %u..%u, got '%s'", min, max,
			   policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static bool parse_duration(const char *s, uint32_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	size_t digits = strspn(s, "0123456789"), i;
	uint64_t v;

	if (!parse_decimal(s, digits, &v))
		return false;
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(s + digits, units[i].unit))
			continue;
		if (v * units[i].ms > UINT32_MAX)
			return false;
		*ms = v * units[i].ms;
		return true;
	}
	return false;
}

/* "500ms", "1s", "2m", "1h": into milliseconds, at least min_ms. */
static int get_duration(struct policy_build *b, const struct ynode *n, const char *path,
			uint32_t min_ms, uint32_t *out)
{
	const char *s = get_scalar(b, n, path, "a duration like 1s or 500ms");
	uint32_t ms;
	char q[64];

	if (!s)
		return -EINVAL;
	if (!parse_duration(s, &ms)) {
		policy_err(b, n->pos, path, "expected a duration like 1s or 500ms, got '%s'%s",
			   policy_quote(s, q, sizeof(q)),
			   s[strspn(s, "0123456789")] ? "" : " (a unit is needed: ms, s, m or h)");
		return -EINVAL;
	}
	if (ms < min_ms) {
		policy_err(b, n->pos, path, "must be at least %ums, got '%s'", min_ms,
			   policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	*out = ms;
	return 0;
}

/* "N%" with N 0..100. */
static bool parse_pct(const char *s, uint32_t *out)
{
	size_t len = strlen(s);
	uint64_t v;

	if (len < 2 || s[len - 1] != '%' || !parse_decimal(s, len - 1, &v) || v > 100)
		return false;
	*out = v;
	return true;
}

static int get_pct(struct policy_build *b, const struct ynode *n, const char *path, uint32_t *out)
{
	const char *s = get_scalar(b, n, path, "a percentage like 50%");
	char q[64];

	if (!s)
		return -EINVAL;
	if (!parse_pct(s, out)) {
		policy_err(b, n->pos, path, "expected a percentage 0%%..100%% like 50%%, got '%s'",
			   policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	return 0;
}

static const char *family_word(int family)
{
	return family == AE_FAMILY_V4 ? "an IPv4" : family == AE_FAMILY_V6 ? "an IPv6" : "an IP";
}

/* An address; of the given family unless family is 0. */
static int get_addr(struct policy_build *b, const struct ynode *n, const char *path, int family,
		    struct inet_addr *out)
{
	const char *s = get_scalar(b, n, path, "an IP address");
	struct inet_addr a;
	char q[64];

	if (!s)
		return -EINVAL;
	if (inet_addr_parse(s, &a) || (family && a.family != family)) {
		policy_err(b, n->pos, path, "expected %s address, got '%s'", family_word(family),
			   policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	*out = a;
	return 0;
}

/* Why s is no prefix: name the host bits when that is all that is wrong. */
static void prefix_error(struct policy_build *b, const struct ynode *n, const char *path,
			 const char *s)
{
	char addr[INET_ADDR_STR], q[64], fix[INET_PREFIX_STR];
	const char *slash = strchr(s, '/');
	struct inet_prefix p = { 0 };
	unsigned int i, bits;
	char *end;
	long len;

	if (slash && (size_t)(slash - s) < sizeof(addr)) {
		memcpy(addr, s, slash - s);
		addr[slash - s] = '\0';
		len = strtol(slash + 1, &end, 10);
		if (!inet_addr_parse(addr, &p.addr) && slash[1] >= '0' && slash[1] <= '9' &&
		    !*end && len >= 0 && len <= (p.addr.family == AE_FAMILY_V4 ? 32 : 128)) {
			bits = p.addr.family == AE_FAMILY_V4 ? 32 : 128;
			for (i = len; i < bits; i++)
				p.addr.bytes[i / 8] &= ~(0x80 >> (i % 8));
			p.len = len;
			policy_err(b, n->pos, path,
				   "'%s' has host bits set after /%ld: did you mean %s?",
				   policy_quote(s, q, sizeof(q)), len,
				   inet_prefix_str(&p, fix, sizeof(fix)));
			return;
		}
	}
	policy_err(b, n->pos, path,
		   "expected a prefix like 192.0.2.0/24 or 2001:db8::/32, got '%s'",
		   policy_quote(s, q, sizeof(q)));
}

static int get_prefix(struct policy_build *b, const struct ynode *n, const char *path,
		      struct inet_prefix *out)
{
	const char *s = get_scalar(b, n, path, "an IP prefix");

	if (!s)
		return -EINVAL;
	if (inet_prefix_parse(s, out)) {
		prefix_error(b, n, path, s);
		return -EINVAL;
	}
	return 0;
}

static int get_mac(struct policy_build *b, const struct ynode *n, const char *path, uint8_t mac[6])
{
	const char *s = get_scalar(b, n, path, "a MAC address");
	char q[64];

	if (!s)
		return -EINVAL;
	if (mac_parse(s, mac)) {
		policy_err(b, n->pos, path,
			   "expected a MAC address like 02:00:5e:00:53:01, got '%s'",
			   policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	return 0;
}

/* One of words[]; its index in *out. */
static int get_word(struct policy_build *b, const struct ynode *n, const char *path,
		    const char *const *words, size_t nw, int *out)
{
	const char *s = get_scalar(b, n, path, "a keyword");
	char list[256] = "", q[64];
	size_t i, len = 0;

	if (!s)
		return -EINVAL;
	for (i = 0; i < nw; i++) {
		if (!strcmp(s, words[i])) {
			*out = i;
			return 0;
		}
		len += snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0, "%s%s",
				i ? (i + 1 == nw ? " or " : ", ") : "", words[i]);
	}
	policy_err(b, n->pos, path, "expected %s, got '%s'", list, policy_quote(s, q, sizeof(q)));
	return -EINVAL;
}

/* ---- the schema: probe blocks ---- */

static int probe_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		       int f)
{
	static const char *const types[] = { "http", "tcp" };
	struct probe_block *pb = obj;
	struct policy_probe *p = &pb->v;
	int ret = -EINVAL, t = 0;

	switch (f) {
	case PF_TYPE:
		ret = get_word(b, v, path, types, ARRAY_SIZE(types), &t);
		p->type = t == 1 ? PROBE_TCP : PROBE_HTTP;
		break;
	case PF_PORT: {
		uint32_t port;

		ret = get_u32(b, v, path, 1, 65535, &port);
		p->port = port;
		break;
	}
	case PF_PATH:
		ret = get_str(b, v, path, p->path, sizeof(p->path));
		if (!ret && p->path[0] != '/') {
			policy_err(b, v->pos, path, "expected a URL path starting with '/'");
			ret = -EINVAL;
		}
		break;
	case PF_INTERVAL:
		ret = get_duration(b, v, path, 1, &p->interval_ms);
		break;
	case PF_TIMEOUT:
		ret = get_duration(b, v, path, 1, &p->timeout_ms);
		break;
	case PF_RISE:
		ret = get_u32(b, v, path, 1, 1000, &p->rise);
		break;
	case PF_FALL:
		ret = get_u32(b, v, path, 1, 1000, &p->fall);
		break;
	case PF_MAX_REPLICA_LAG:
		ret = get_duration(b, v, path, 0, &p->max_replica_lag_ms);
		break;
	}
	if (!ret) {
		pb->set |= 1U << f;
		pb->fpos[f] = v->pos;
	} else {
		pb->bad |= 1U << f;
	}
	return ret;
}

static const struct field probe_fields[] = {
	{ "type", probe_field, false, PF_TYPE },
	{ "port", probe_field, false, PF_PORT },
	{ "path", probe_field, false, PF_PATH },
	{ "interval", probe_field, false, PF_INTERVAL },
	{ "timeout", probe_field, false, PF_TIMEOUT },
	{ "rise", probe_field, false, PF_RISE },
	{ "fall", probe_field, false, PF_FALL },
	{ "max_replica_lag", probe_field, false, PF_MAX_REPLICA_LAG },
};

static int parse_probe_block(struct policy_build *b, const struct ynode *v, const char *path,
			     struct probe_block *pb)
{
	pb->present = true;
	pb->pos = v->pos;
	if (v->type != YN_MAP)
		pb->bad = ~0U; /* reported by walk_map: nothing more to say about its keys */
	return walk_map(b, v, path, probe_fields, ARRAY_SIZE(probe_fields), pb);
}

static int parse_global_probe(struct policy_build *b, const struct ynode *v, const char *path,
			      void *obj, int arg)
{
	return parse_probe_block(b, v, path, &b->aux.probe);
}

/* ---- the schema: edge ---- */

static int encap_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		       int family)
{
	struct policy_edge *e = &b->p->edge;
	int ret;

	ret = get_addr(b, v, path, family, family == AE_FAMILY_V4 ? &e->encap_v4 : &e->encap_v6);
	if (ret)
		b->aux.encap_bad = true;
	return ret;
}

static const struct field encap_fields[] = {
	{ "ipv4", encap_field, false, AE_FAMILY_V4 },
	{ "ipv6", encap_field, false, AE_FAMILY_V6 },
};

enum edge_field { EF_NAME, EF_INTERFACE, EF_REGION, EF_ENCAP, EF_MAC, EF_GW_MAC, EF_GATEWAY };

static bool interface_ok(const char *s)
{
	return *s && !strchr(s, '/') && !strpbrk(s, " \t:") && strcmp(s, ".") && strcmp(s, "..");
}

static int edge_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		      int f)
{
	struct policy_edge *e = &b->p->edge;
	int ret = -EINVAL;

	switch (f) {
	case EF_NAME:
		return get_name(b, v, path, e->name);
	case EF_INTERFACE:
		ret = get_str(b, v, path, e->interface, sizeof(e->interface));
		if (!ret && !interface_ok(e->interface)) {
			policy_err(b, v->pos, path, "not a valid interface name");
			ret = -EINVAL;
		}
		return ret;
	case EF_REGION:
		b->aux.has_edge_region = true;
		return get_ref(b, v, path, &b->aux.edge_region);
	case EF_ENCAP:
		b->aux.encap_pos = v->pos;
		b->aux.encap_bad = v->type != YN_MAP;
		return walk_map(b, v, path, encap_fields, ARRAY_SIZE(encap_fields), NULL);
	case EF_MAC:
		ret = get_mac(b, v, path, e->mac);
		e->has_mac = !ret;
		return ret;
	case EF_GW_MAC:
		ret = get_mac(b, v, path, e->gateway_mac);
		e->has_gateway_mac = !ret;
		return ret;
	case EF_GATEWAY:
		return get_addr(b, v, path, 0, &e->gateway);
	}
	return ret;
}

static const struct field edge_fields[] = {
	{ "name", edge_field, true, EF_NAME },
	{ "interface", edge_field, true, EF_INTERFACE },
	{ "region", edge_field, true, EF_REGION },
	{ "encap_source", edge_field, false, EF_ENCAP },
	{ "mac", edge_field, false, EF_MAC },
	{ "gateway_mac", edge_field, false, EF_GW_MAC },
	{ "gateway", edge_field, false, EF_GATEWAY },
};

static int parse_edge(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		      int arg)
{
	b->aux.has_edge = true;
	return walk_map(b, v, path, edge_fields, ARRAY_SIZE(edge_fields), NULL);
}

/* ---- the schema: regions and their backends ---- */

struct backend_obj {
	struct policy_backend *be;
	struct aux_backend *a;
};

enum backend_field { BF_ADDRESS, BF_WEIGHT, BF_PROBE };

static int backend_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
			 int f)
{
	struct backend_obj *o = obj;

	switch (f) {
	case BF_ADDRESS:
		o->a->addr_pos = v->pos;
		return get_addr(b, v, path, 0, &o->be->addr);
	case BF_WEIGHT:
		return get_u32(b, v, path, 0, 65535, &o->be->weight);
	case BF_PROBE:
		o->be->has_probe = true;
		return parse_probe_block(b, v, path, &o->a->probe);
	}
	return -EINVAL;
}

static const struct field backend_fields[] = {
	{ "address", backend_field, true, BF_ADDRESS },
	{ "weight", backend_field, false, BF_WEIGHT },
	{ "probe", backend_field, false, BF_PROBE },
};

struct region_obj {
	struct policy_region *r;
	struct aux_region *a;
};

static int region_backends(struct policy_build *b, const struct ynode *v, const char *path,
			   struct region_obj *o)
{
	struct backend_obj bo;
	char ipath[PATH_LEN];
	size_t i, n;
	int ret;

	if (expect_list(b, v, path, POLICY_MAX_BACKENDS_PER_REGION, "backends per region", &n))
		return 0;
	if (!n) {
		policy_err(b, v->pos, path, "expected at least one backend");
		return 0;
	}
	o->r->backends = calloc(n, sizeof(*o->r->backends));
	o->a->backends = calloc(n, sizeof(*o->a->backends));
	if (!o->r->backends || !o->a->backends)
		return -ENOMEM;
	o->r->n_backends = n;
	for (i = 0; i < n; i++) {
		bo.be = &o->r->backends[i];
		bo.a = &o->a->backends[i];
		bo.be->weight = 100;
		bo.be->pos = v->kids[i]->pos;
		path_idx(ipath, path, i);
		ret = walk_map(b, v->kids[i], ipath, backend_fields, ARRAY_SIZE(backend_fields),
			       &bo);
		if (ret)
			return ret;
	}
	return 0;
}

static int region_min_healthy(struct policy_build *b, const struct ynode *v, const char *path,
			      struct region_obj *o)
{
	const char *s = get_scalar(b, v, path, "a count or a percentage");
	uint64_t count;
	char q[64];

	if (!s)
		return -EINVAL;
	o->a->min_healthy_pos = v->pos;
	if (parse_pct(s, &o->r->min_healthy)) {
		o->r->min_healthy_is_pct = true;
		return 0;
	}
	if (parse_decimal(s, strlen(s), &count) && count <= POLICY_MAX_BACKENDS_PER_REGION) {
		o->r->min_healthy = count;
		return 0;
	}
	policy_err(b, v->pos, path,
		   "expected a count of backends like 2 or a percentage like 50%%, got '%s'",
		   policy_quote(s, q, sizeof(q)));
	return -EINVAL;
}

enum region_field { RF_NAME, RF_MIN_HEALTHY, RF_PROBE, RF_BACKENDS };

static int region_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
			int f)
{
	struct region_obj *o = obj;

	switch (f) {
	case RF_NAME:
		o->a->name_pos = v->pos;
		return get_name(b, v, path, o->r->name);
	case RF_MIN_HEALTHY:
		return region_min_healthy(b, v, path, o);
	case RF_PROBE:
		o->r->has_probe = true;
		return parse_probe_block(b, v, path, &o->a->probe);
	case RF_BACKENDS:
		return region_backends(b, v, path, o);
	}
	return -EINVAL;
}

static const struct field region_fields[] = {
	{ "name", region_field, true, RF_NAME },
	{ "min_healthy", region_field, false, RF_MIN_HEALTHY },
	{ "probe", region_field, false, RF_PROBE },
	{ "backends", region_field, true, RF_BACKENDS },
};

static int parse_regions(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
			 int arg)
{
	struct policy *p = b->p;
	struct region_obj o;
	char ipath[PATH_LEN];
	size_t i, n;
	int ret;

	if (expect_list(b, v, path, AE_MAX_REGIONS, "regions", &n))
		return 0;
	if (!n) {
		policy_err(b, v->pos, path, "expected at least one region");
		return 0;
	}
	p->regions = calloc(n, sizeof(*p->regions));
	b->aux.regions = calloc(n, sizeof(*b->aux.regions));
	if (!p->regions || !b->aux.regions)
		return -ENOMEM;
	p->n_regions = n;
	for (i = 0; i < n; i++) {
		o.r = &p->regions[i];
		o.a = &b->aux.regions[i];
		o.r->min_healthy = 1;
		o.r->pos = v->kids[i]->pos;
		path_idx(ipath, path, i);
		ret = walk_map(b, v->kids[i], ipath, region_fields, ARRAY_SIZE(region_fields), &o);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- the schema: clients ---- */

struct client_obj {
	struct policy_client *c;
	struct aux_client *a;
};

static int client_prefer(struct policy_build *b, const struct ynode *v, const char *path,
			 struct client_obj *o)
{
	char ipath[PATH_LEN];
	size_t i, n;

	if (expect_list(b, v, path, AE_MAX_PREFS, "preferred regions", &n))
		return 0;
	if (!n)
		policy_err(b, v->pos, path, "expected at least one region");
	for (i = 0; i < n; i++) {
		path_idx(ipath, path, i);
		get_ref(b, v->kids[i], ipath, &o->a->prefer[i]);
	}
	o->c->n_prefer = n;
	return 0;
}

static int client_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
			int f)
{
	struct client_obj *o = obj;

	if (f == 0) {
		o->a->prefix_pos = v->pos;
		return get_prefix(b, v, path, &o->c->prefix);
	}
	return client_prefer(b, v, path, o);
}

static const struct field client_fields[] = {
	{ "prefix", client_field, true, 0 },
	{ "prefer", client_field, true, 1 },
};

static int parse_clients(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
			 int arg)
{
	struct policy *p = b->p;
	struct client_obj o;
	char ipath[PATH_LEN];
	size_t i, n;
	int ret;

	if (expect_list(b, v, path, 2 * AE_MAX_PREFIXES, "client prefixes", &n) || !n)
		return 0;
	p->clients = calloc(n, sizeof(*p->clients));
	b->aux.clients = calloc(n, sizeof(*b->aux.clients));
	if (!p->clients || !b->aux.clients)
		return -ENOMEM;
	p->n_clients = n;
	for (i = 0; i < n; i++) {
		o.c = &p->clients[i];
		o.a = &b->aux.clients[i];
		o.c->pos = v->kids[i]->pos;
		path_idx(ipath, path, i);
		ret = walk_map(b, v->kids[i], ipath, client_fields, ARRAY_SIZE(client_fields), &o);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- the schema: VIPs ---- */

struct vip_obj {
	struct policy_vip *v;
	struct aux_vip *a;
};

/* "tcp/443" or "udp/53". */
static int get_port(struct policy_build *b, const struct ynode *n, const char *path,
		    struct policy_port *out)
{
	const char *s = get_scalar(b, n, path, "a port like tcp/443");
	uint64_t port;
	char q[64];

	if (!s)
		return -EINVAL;
	if ((strncmp(s, "tcp/", 4) && strncmp(s, "udp/", 4)) ||
	    !parse_decimal(s + 4, strlen(s + 4), &port) || port < 1 || port > 65535) {
		policy_err(b, n->pos, path,
			   "expected tcp/PORT or udp/PORT (PORT 1..65535), got '%s'",
			   policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	out->proto = s[0] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
	out->port = port;
	return 0;
}

static int vip_ports(struct policy_build *b, const struct ynode *v, const char *path,
		     struct vip_obj *o)
{
	char ipath[PATH_LEN];
	size_t i, n;

	if (expect_list(b, v, path, POLICY_MAX_PORTS, "ports per VIP", &n))
		return 0;
	if (!n)
		policy_err(b, v->pos, path, "expected at least one port like tcp/443");
	for (i = 0; i < n; i++) {
		path_idx(ipath, path, i);
		o->a->port_pos[i] = v->kids[i]->pos;
		get_port(b, v->kids[i], ipath, &o->v->ports[i]);
	}
	o->v->n_ports = n;
	return 0;
}

static int vip_regions(struct policy_build *b, const struct ynode *v, const char *path,
		       struct vip_obj *o)
{
	char ipath[PATH_LEN];
	size_t i, n;

	if (expect_list(b, v, path, AE_MAX_VIP_REGIONS, "regions per VIP", &n))
		return 0;
	if (!n)
		policy_err(b, v->pos, path, "expected at least one region");
	for (i = 0; i < n; i++) {
		path_idx(ipath, path, i);
		get_ref(b, v->kids[i], ipath, &o->a->regions[i]);
	}
	o->v->n_regions = n;
	return 0;
}

static int announce_field(struct policy_build *b, const struct ynode *v, const char *path,
			  void *obj, int f)
{
	static const char *const whens[] = { "no_region_up", "local_region_down" };
	struct vip_obj *o = obj;
	int w = 0, ret;

	if (f == 0) {
		o->a->announce_pos = v->pos;
		return get_prefix(b, v, path, &o->v->announce);
	}
	ret = get_word(b, v, path, whens, ARRAY_SIZE(whens), &w);
	o->v->withdraw_when = w == 1 ? WITHDRAW_LOCAL_REGION_DOWN : WITHDRAW_NO_REGION_UP;
	return ret;
}

static const struct field announce_fields[] = {
	{ "prefix", announce_field, true, 0 },
	{ "withdraw_when", announce_field, false, 1 },
};

enum vip_field { VF_NAME, VF_ADDRESS, VF_PORTS, VF_MODE, VF_PRIMARY, VF_AUTO, VF_REGIONS, VF_ANN };

static int vip_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		     int f)
{
	static const char *const modes[] = { "active-active", "active-passive" };
	static const char *const autos[] = { "local" };
	struct vip_obj *o = obj;
	int w = 0, ret = -EINVAL;

	switch (f) {
	case VF_NAME:
		o->a->name_pos = v->pos;
		return get_name(b, v, path, o->v->name);
	case VF_ADDRESS:
		o->a->addr_pos = v->pos;
		return get_addr(b, v, path, 0, &o->v->addr);
	case VF_PORTS:
		return vip_ports(b, v, path, o);
	case VF_MODE:
		o->a->mode_pos = v->pos;
		ret = get_word(b, v, path, modes, ARRAY_SIZE(modes), &w);
		o->v->mode = w == 1 ? VIP_ACTIVE_PASSIVE : VIP_ACTIVE_ACTIVE;
		return ret;
	case VF_PRIMARY:
		o->a->has_primary = true;
		return get_ref(b, v, path, &o->a->primary);
	case VF_AUTO:
		o->a->has_auto_promote = true;
		o->a->auto_promote_pos = v->pos;
		ret = get_word(b, v, path, autos, ARRAY_SIZE(autos), &w);
		o->v->auto_promote_local = !ret;
		return ret;
	case VF_REGIONS:
		return vip_regions(b, v, path, o);
	case VF_ANN:
		o->v->has_announce = true;
		return walk_map(b, v, path, announce_fields, ARRAY_SIZE(announce_fields), o);
	}
	return ret;
}

static const struct field vip_fields[] = {
	{ "name", vip_field, true, VF_NAME },	     { "address", vip_field, true, VF_ADDRESS },
	{ "ports", vip_field, true, VF_PORTS },	     { "mode", vip_field, false, VF_MODE },
	{ "primary", vip_field, false, VF_PRIMARY }, { "auto_promote", vip_field, false, VF_AUTO },
	{ "regions", vip_field, true, VF_REGIONS },  { "announce", vip_field, false, VF_ANN },
};

static int parse_vips(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		      int arg)
{
	struct policy *p = b->p;
	char ipath[PATH_LEN];
	struct vip_obj o;
	size_t i, n;
	int ret;

	if (expect_list(b, v, path, AE_MAX_VIPS, "VIPs", &n))
		return 0;
	if (!n) {
		policy_err(b, v->pos, path, "expected at least one VIP");
		return 0;
	}
	p->vips = calloc(n, sizeof(*p->vips));
	b->aux.vips = calloc(n, sizeof(*b->aux.vips));
	if (!p->vips || !b->aux.vips)
		return -ENOMEM;
	p->n_vips = n;
	for (i = 0; i < n; i++) {
		o.v = &p->vips[i];
		o.a = &b->aux.vips[i];
		o.v->primary = -1;
		o.v->pos = v->kids[i]->pos;
		path_idx(ipath, path, i);
		ret = walk_map(b, v->kids[i], ipath, vip_fields, ARRAY_SIZE(vip_fields), &o);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- the schema: bgp, api, safety, dataplane ---- */

enum misc_field {
	MF_BIRD_SOCKET,
	MF_HOLD_DOWN,
	MF_SESSION,
	MF_LISTEN,
	MF_TOKEN_FILE,
	MF_PANIC,
	MF_HASH_SEED,
	MF_RING_SIZE,
	MF_FLOW_TABLE,
};

static int misc_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		      int f)
{
	struct policy *p = b->p;

	switch (f) {
	case MF_BIRD_SOCKET:
		return get_str(b, v, path, p->bgp.bird_socket, sizeof(p->bgp.bird_socket));
	case MF_HOLD_DOWN:
		return get_duration(b, v, path, 0, &p->bgp.hold_down_ms);
	case MF_SESSION:
		return get_name(b, v, path, p->bgp.session);
	case MF_LISTEN:
		return get_str(b, v, path, p->api.listen, sizeof(p->api.listen));
	case MF_TOKEN_FILE:
		return get_str(b, v, path, p->api.token_file, sizeof(p->api.token_file));
	case MF_PANIC:
		return get_pct(b, v, path, &p->safety.panic_threshold_pct);
	case MF_HASH_SEED:
		return get_u32(b, v, path, 0, UINT32_MAX, &p->dataplane.hash_seed);
	case MF_RING_SIZE:
		b->aux.ring_size_pos = v->pos;
		return get_u32(b, v, path, 2, 1 << 24, &p->dataplane.ring_size);
	case MF_FLOW_TABLE:
		return get_u32(b, v, path, 1, 1 << 28, &p->dataplane.flow_table_size);
	}
	return -EINVAL;
}

static const struct field bgp_fields[] = {
	{ "bird_socket", misc_field, false, MF_BIRD_SOCKET },
	{ "hold_down", misc_field, false, MF_HOLD_DOWN },
	{ "session", misc_field, false, MF_SESSION },
};

static const struct field api_fields[] = {
	{ "listen", misc_field, false, MF_LISTEN },
	{ "token_file", misc_field, false, MF_TOKEN_FILE },
};

static const struct field safety_fields[] = {
	{ "panic_threshold", misc_field, false, MF_PANIC },
};

static const struct field dataplane_fields[] = {
	{ "hash_seed", misc_field, false, MF_HASH_SEED },
	{ "ring_size", misc_field, false, MF_RING_SIZE },
	{ "flow_table_size", misc_field, false, MF_FLOW_TABLE },
};

enum block { BL_BGP, BL_API, BL_SAFETY, BL_DATAPLANE };

static int parse_block(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		       int which)
{
	switch (which) {
	case BL_BGP:
		return walk_map(b, v, path, bgp_fields, ARRAY_SIZE(bgp_fields), NULL);
	case BL_API:
		return walk_map(b, v, path, api_fields, ARRAY_SIZE(api_fields), NULL);
	case BL_SAFETY:
		return walk_map(b, v, path, safety_fields, ARRAY_SIZE(safety_fields), NULL);
	default:
		return walk_map(b, v, path, dataplane_fields, ARRAY_SIZE(dataplane_fields), NULL);
	}
}

static const struct field top_fields[] = {
	{ "edge", parse_edge, true, 0 },
	{ "regions", parse_regions, true, 0 },
	{ "probe", parse_global_probe, false, 0 },
	{ "clients", parse_clients, false, 0 },
	{ "vips", parse_vips, true, 0 },
	{ "bgp", parse_block, false, BL_BGP },
	{ "api", parse_block, false, BL_API },
	{ "safety", parse_block, false, BL_SAFETY },
	{ "dataplane", parse_block, false, BL_DATAPLANE },
};

static int parse_root(struct policy_build *b, const struct ynode *root)
{
	b->aux.root_pos = root->pos;
	if (node_is_null(root)) {
		policy_err(b, no_pos, NULL, "the file is empty: expected a policy mapping");
		return 0;
	}
	if (root->type != YN_MAP) {
		expect(b, root, YN_MAP, "top level",
		       "a mapping of policy keys (edge, regions, ...)");
		return 0;
	}
	return walk_map(b, root, "", top_fields, ARRAY_SIZE(top_fields), NULL);
}

/* ---- loading ---- */

static void policy_defaults(struct policy *p)
{
	p->edge.region = -1;
	p->probe = (struct policy_probe){
		.type = PROBE_HTTP,
		.path = "/health/ready",
		.interval_ms = 1000,
		.timeout_ms = 500,
		.rise = 2,
		.fall = 2,
		.max_replica_lag_ms = 10000,
	};
	snprintf(p->bgp.bird_socket, sizeof(p->bgp.bird_socket), "/run/bird/bird.ctl");
	p->bgp.hold_down_ms = 10000;
	snprintf(p->api.listen, sizeof(p->api.listen), "127.0.0.1:9180");
	p->safety.panic_threshold_pct = 50;
	p->dataplane.ring_size = AE_DEFAULT_RING_SIZE;
	p->dataplane.flow_table_size = AE_DEFAULT_FLOW_TABLE;
}

static void aux_free(struct policy_aux *a, const struct policy *p)
{
	size_t i;

	if (a->regions)
		for (i = 0; i < p->n_regions; i++)
			free(a->regions[i].backends);
	free(a->regions);
	free(a->clients);
	free(a->vips);
}

int policy_load_buf(const char *name, const char *buf, size_t len, struct policy **out,
		    policy_diag_fn diag, void *ctx)
{
	struct policy_build b = { .name = name, .diag = diag, .ctx = ctx };
	struct ynode *root = NULL;
	int ret;

	if (len > POLICY_MAX_BYTES) {
		policy_err(&b, no_pos, NULL, "larger than %d bytes: refused", POLICY_MAX_BYTES);
		ret = -EFBIG;
		goto out;
	}
	b.p = calloc(1, sizeof(*b.p));
	if (!b.p) {
		ret = -ENOMEM;
		goto out;
	}
	policy_defaults(b.p);
	snprintf(b.p->path, sizeof(b.p->path), "%s", name);
	ret = tree_load(&b, buf, len, &root);
	if (!ret)
		ret = parse_root(&b, root);
	if (!ret)
		ret = policy_check(&b);
	if (!ret && b.errors)
		ret = -EINVAL;
	node_free(root);
	aux_free(&b.aux, b.p);
	if (ret)
		policy_free(b.p);
	else
		*out = b.p;
out:
	if (ret == -ENOMEM)
		policy_err(&b, no_pos, NULL, "out of memory");
	policy_flush(&b);
	return ret;
}

/* Read at most POLICY_MAX_BYTES + 1 bytes of fd: one more than allowed says "too big", whatever
 * the file claims its size is (pipes and /proc files claim 0).
 */
static int read_all(int fd, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *p = NULL, *q;
	ssize_t r;

	for (;;) {
		if (n == cap || !p) {
			cap = p ? cap * 2 : cap;
			if (cap > POLICY_MAX_BYTES + 1)
				cap = POLICY_MAX_BYTES + 1;
			q = realloc(p, cap);
			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(p);
			return -errno;
		}
		if (!r)
			break;
		n += r;
		if (n > POLICY_MAX_BYTES) {
			free(p);
			return -EFBIG;
		}
	}
	*buf = p;
	*len = n;
	return 0;
}

/* The file's bytes, refused before reading when its size already says it is too big. */
static int policy_read(struct policy_build *b, const char *path, char **buf, size_t *len)
{
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		policy_err(b, no_pos, NULL, "cannot open: %s", strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st))
		ret = -errno;
	else if (S_ISDIR(st.st_mode))
		ret = -EISDIR;
	else if (st.st_size > POLICY_MAX_BYTES)
		ret = -EFBIG;
	else
		ret = read_all(fd, buf, len);
	close(fd);
	if (ret == -EFBIG)
		policy_err(b, no_pos, NULL, "larger than %d bytes: refused", POLICY_MAX_BYTES);
	else if (ret)
		policy_err(b, no_pos, NULL, "cannot read: %s", strerror(-ret));
	return ret;
}

int policy_load(const char *path, struct policy **out, policy_diag_fn diag, void *ctx)
{
	struct policy_build b = { .name = path, .diag = diag, .ctx = ctx };
	char *buf = NULL;
	size_t len = 0;
	int ret;

	if (strlen(path) >= POLICY_PATH_MAX) {
		policy_err(&b, no_pos, NULL, "path longer than %d characters", POLICY_PATH_MAX - 1);
		ret = -ENAMETOOLONG;
	} else {
		ret = policy_read(&b, path, &buf, &len);
	}
	policy_flush(&b);
	if (!ret)
		ret = policy_load_buf(path, buf, len, out, diag, ctx);
	free(buf);
	return ret;
}

void policy_free(struct policy *p)
{
	size_t i;

	if (!p)
		return;
	if (p->regions)
		for (i = 0; i < p->n_regions; i++)
			free(p->regions[i].backends);
	free(p->regions);
	free(p->clients);
	free(p->vips);
	free(p);
}

int policy_region_index(const struct policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_regions; i++)
		if (!strcmp(p->regions[i].name, name))
			return i;
	return -1;
}

int policy_vip_index(const struct policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_vips; i++)
		if (!strcmp(p->vips[i].name, name))
			return i;
	return -1;
}
