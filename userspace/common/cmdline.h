/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line options declared once, in tables that both the parser (cmd_getopt) and the help
 * text (cmd_help) read, so `--help` cannot drift from what is accepted. Used by every `anyedge`
 * verb and by anyedged.
 */
#ifndef ANYEDGE_CMDLINE_H
#define ANYEDGE_CMDLINE_H

#include <stdio.h>

/* One long option. key is what cmd_getopt returns for it; 'h' is taken by --help. */
struct cmd_opt {
	const char *name; /* without the leading "--" */
	int key;
	const char *arg; /* the argument's name in help, or NULL for a flag */
	const char *help; /* one line */
};

#define CMD_OPT_TABLES 3

struct cmd_spec {
	const char *prog; /* "anyedged", "anyedge drain" */
	const char *args; /* the synopsis after prog: "--region R | --backend ADDR | --edge" */
	const char *summary; /* one sentence: what it does */
	/* up to CMD_OPT_TABLES tables, each ending with { 0 } (the API options are one) */
	const struct cmd_opt *opts[CMD_OPT_TABLES];
	const char *shorts; /* keys of the options that also have a one-letter form ("v") */
};

#define CMD_HELP 'h'

/* getopt_long over the spec's tables (GNU permutation: options may follow operands). Returns
 * the next option's key (optarg set), -1 after the last, CMD_HELP after printing the help on
 * stdout, '?' after printing the usage on stderr (unknown option, missing argument).
 * Set optind = 1 before the first call.
 */
int cmd_getopt(const struct cmd_spec *s, int argc, char **argv);
/* "usage: PROG ARGS" and a pointer to --help, on f. */
void cmd_usage(const struct cmd_spec *s, FILE *f);
/* The usage line, the summary and one line per option, on f. */
void cmd_help(const struct cmd_spec *s, FILE *f);

#endif /* ANYEDGE_CMDLINE_H */
