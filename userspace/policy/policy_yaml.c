// SPDX-License-Identifier: GPL-2.0
/* The policy file's YAML: libyaml events -> a small tree of ynodes, each with its 1-based
 * line:col, so that every later message can point at the text. Anchors, aliases and a second
 * document are refused here; so is nesting deeper than the schema could use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "policy_impl.h"

#define TREE_MAX_DEPTH 32 /* the schema needs 6; deeper is a mistake or an attack */

static struct policy_pos mark_pos(yaml_mark_t m)
{
	return (struct policy_pos){ .line = m.line + 1, .col = m.column + 1 };
}

struct tree {
	struct ynode *root;
	struct ynode *stack[TREE_MAX_DEPTH];
	size_t depth;
	unsigned int docs;
};

void ynode_free(struct ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		ynode_free(n->kids[i]);
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

int ynode_load(struct policy_build *b, const char *buf, size_t len, struct ynode **root)
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

bool ynode_is_null(const struct ynode *n)
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

static const char *ynode_kind(const struct ynode *n)
{
	if (n->type == YN_MAP)
		return "a mapping";
	if (n->type == YN_SEQ)
		return "a list";
	return ynode_is_null(n) ? "nothing" : "a single value";
}

int ynode_expect(struct policy_build *b, const struct ynode *n, enum ynode_type type,
		 const char *path, const char *what)
{
	char q[64];

	if (n->bad)
		return -EINVAL;
	if (n->type == type && !(type == YN_SCALAR && ynode_is_null(n)))
		return 0;
	if (n->type == YN_SCALAR && !ynode_is_null(n))
		policy_err(b, n->pos, path, "expected %s, got '%s'", what,
			   policy_quote(n->str, q, sizeof(q)));
	else
		policy_err(b, n->pos, path, "expected %s, got %s", what, ynode_kind(n));
	return -EINVAL;
}
