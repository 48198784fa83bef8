// SPDX-License-Identifier: GPL-2.0
/* `anyedge VERB ...`: dispatch on exact verb names only, never prefixes. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

static const struct verb verbs[] = {
	{ "check", cmd_check, "check POLICY" },
	{ "replay", cmd_replay,
	  "replay --config POLICY --pcap IN [--out OUT] [--down REGION,...]" },
	{ "bench", cmd_bench, "bench --config POLICY --pcap IN [--repeat N]" },
	{ "decap", cmd_decap,
	  "decap attach DEV [--address ADDR,...] [--allow PREFIX,...] | detach DEV | status DEV" },
	/* these talk to anyedged: [--api URL | --config POLICY] [--token-file F] [--json] */
	{ "status", cmd_status, "status" },
	{ "regions", cmd_regions, "regions" },
	{ "backends", cmd_backends, "backends [REGION]" },
	{ "vips", cmd_vips, "vips" },
	{ "drain", cmd_drain, "drain --region R | --backend ADDR | --edge" },
	{ "undrain", cmd_undrain, "undrain --region R | --backend ADDR | --edge" },
	{ "failover", cmd_failover, "failover --from R --to R [--force] [--max-lag S]" },
	{ "reload", cmd_reload, "reload" },
	{ "top", cmd_top, "top [--count N]" },
	{ "bird-config", cmd_bird_config, "bird-config POLICY [--state-dir DIR] [--write-state]" },
};

static int usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage:\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  anyedge %s\n", verbs[i].usage);
	fprintf(f,
		"status ... top talk to anyedged: [--api URL | --config POLICY] [--token-file F] "
		"[--json]; see anyedge(1)\n");
	return f == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage(stdout);
	log_hook_libbpf();
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "anyedge: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
