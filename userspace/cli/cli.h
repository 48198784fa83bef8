/* SPDX-License-Identifier: GPL-2.0 */
/* `anyedge` subcommands: each takes its own argv (argv[0] is the verb), returns the exit code. */
#ifndef ANYEDGE_CLI_H
#define ANYEDGE_CLI_H

int cmd_check(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_decap(int argc, char **argv);

#endif /* ANYEDGE_CLI_H */
