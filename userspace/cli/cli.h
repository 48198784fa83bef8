/* SPDX-License-Identifier: GPL-2.0 */
/* `anyedge` subcommands: each takes its own argv (argv[0] is the verb), returns the exit code. */
#ifndef ANYEDGE_CLI_H
#define ANYEDGE_CLI_H

int cmd_check(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_decap(int argc, char **argv);
/* talking to anyedged's API (cmd_status.c, cmd_ops.c, cmd_top.c) */
int cmd_status(int argc, char **argv);
int cmd_regions(int argc, char **argv);
int cmd_backends(int argc, char **argv);
int cmd_vips(int argc, char **argv);
int cmd_drain(int argc, char **argv);
int cmd_undrain(int argc, char **argv);
int cmd_failover(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_bird_config(int argc, char **argv);

#endif /* ANYEDGE_CLI_H */
