// SPDX-License-Identifier: GPL-2.0
/* Option tables to getopt_long's array and to help text. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"

#define CMD_OPTS_MAX 32

static const struct cmd_opt cmd_help_opt = { "help", CMD_HELP, NULL, "print this help and exit" };

/* The spec's options, --help last, as getopt_long wants them; the count, or -1 if too many. */
static int cmd_longopts(const struct cmd_spec *s, struct option *lo)
{
	const struct cmd_opt *o;
	int t, n = 0;

	for (t = 0; t < CMD_OPT_TABLES; t++) {
		for (o = s->opts[t]; o && o->name; o++) {
			if (n == CMD_OPTS_MAX)
				return -1;
			lo[n++] = (struct option){ o->name,
						   o->arg ? required_argument : no_argument, NULL,
						   o->key };
		}
	}
	lo[n++] = (struct option){ cmd_help_opt.name, no_argument, NULL, CMD_HELP };
	lo[n] = (struct option){ 0 };
	return n;
}

int cmd_getopt(const struct cmd_spec *s, int argc, char **argv)
{
	struct option lo[CMD_OPTS_MAX + 2];
	char shorts[CMD_OPTS_MAX + 2];
	int c;

	if (cmd_longopts(s, lo) < 0) {
		fprintf(stderr, "%s: more than %d options in its table\n", s->prog, CMD_OPTS_MAX);
		return '?';
	}
	/* ":" first: a missing argument is ':', told apart from an unknown option */
	snprintf(shorts, sizeof(shorts), ":h%s", s->shorts ? s->shorts : "");
	opterr = 0;
	c = getopt_long(argc, argv, shorts, lo, NULL);
	if (c == CMD_HELP) {
		cmd_help(s, stdout);
	} else if (c == '?' || c == ':') {
		fprintf(stderr, "%s: %s '%s'\n", s->prog,
			c == ':' ? "missing argument for" : "unknown option", argv[optind - 1]);
		cmd_usage(s, stderr);
		c = '?';
	}
	return c;
}

void cmd_usage(const struct cmd_spec *s, FILE *f)
{
	fprintf(f, "usage: %s%s%s\n", s->prog, s->args ? " " : "", s->args ? s->args : "");
	if (f == stderr)
		fprintf(f, "Try '%s --help'.\n", s->prog);
}

/* "  -v, --verbose    help", the short form's column there only if the spec has any */
static void cmd_help_line(FILE *f, const struct cmd_spec *s, const struct cmd_opt *o)
{
	bool one = o->key > 0 && o->key < 128 && s->shorts && strchr(s->shorts, o->key);
	char lhs[64], sh[8] = "";

	if (one)
		snprintf(sh, sizeof(sh), "-%c, ", o->key);
	else if (s->shorts)
		snprintf(sh, sizeof(sh), "    ");
	snprintf(lhs, sizeof(lhs), "%s--%s%s%s", sh, o->name, o->arg ? " " : "",
		 o->arg ? o->arg : "");
	fprintf(f, "  %-26s %s\n", lhs, o->help);
}

void cmd_help(const struct cmd_spec *s, FILE *f)
{
	const struct cmd_opt *o;
	int t;

	fprintf(f, "usage: %s%s%s\n", s->prog, s->args ? " " : "", s->args ? s->args : "");
	if (s->summary)
		fprintf(f, "%s\n", s->summary);
	fprintf(f, "\noptions:\n");
	for (t = 0; t < CMD_OPT_TABLES; t++)
		for (o = s->opts[t]; o && o->name; o++)
			cmd_help_line(f, s, o);
	cmd_help_line(f, s, &cmd_help_opt);
}
