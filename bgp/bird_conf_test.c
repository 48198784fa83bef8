// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the BIRD fragment and the state files: names, what the fragment holds, atomic
 * writes that skip unchanged files, reads, and the initial all-disabled state. BIRD's own parse
 * of the output is tests/t_bird_config.sh's.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bird_conf.h"

static const char yaml[] =
	"edge: {name: e1, interface: eth0, region: r1, encap_source: {ipv4: 192.0.2.10}}\n"
	"regions: [{name: r1, backends: [{address: 198.51.100.1}]}]\n"
	"probe: {port: 8080}\n"
	"vips:\n"
	"  - {name: web-1.a, address: 192.0.2.1, ports: [tcp/80], regions: [r1],\n"
	"     announce: {prefix: 192.0.2.1/32}}\n"
	"  - {name: quiet, address: 192.0.2.2, ports: [tcp/80], regions: [r1]}\n"
	"  - {name: v6, address: '2001:db8:ff::1', ports: [tcp/80], regions: [r1],\n"
	"     announce: {prefix: '2001:db8:ff::/48'}}\n"
	"bgp: {community: '64512:7', prepend: 2}\n";

static struct policy *load(void)
{
	struct policy *p = NULL;

	assert_int_equal(
		policy_load_buf("t.yaml", yaml, strlen(yaml), &p, policy_diag_stderr, stderr), 0);
	return p;
}

static char *fragment(const struct policy *p, const char *dir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(bird_conf_write(f, p, dir), 0);
	fclose(f);
	return buf;
}

static size_t count(const char *s, const char *sub)
{
	size_t n = 0;

	while ((s = strstr(s, sub))) {
		n++;
		s++;
	}
	return n;
}

static void test_fragment(void **state)
{
	struct policy *p = load();
	char name[BIRD_PROTO_MAX];
	char *f;

	assert_int_equal(bird_proto_name(p, 0, false, name, sizeof(name)), 0);
	assert_string_equal(name, "anyedge_web_1_a");
	assert_int_equal(bird_proto_name(p, 0, true, name, sizeof(name)), 0);
	assert_string_equal(name, "anyedge_web_1_a_drain");
	assert_int_equal(bird_proto_name(p, 0, true, name, 8), -ENAMETOOLONG);

	f = fragment(p, "/st");
	assert_non_null(strstr(f,
			       "protocol static anyedge_web_1_a {\n"
			       "\tdescription \"anyedge VIP web-1.a\";\n"
			       "\tipv4;\n"
			       "\tdisabled yes;\n"
			       "\tinclude \"/st/anyedge_web_1_a.con[f]\";\n"
			       "\troute 192.0.2.1/32 blackhole { bgp_community.add((64512,7)); };\n"
			       "}\n"));
	assert_non_null(strstr(f, "protocol static anyedge_web_1_a_drain {\n"));
	assert_non_null(strstr(f, "\tipv6 { preference 190; };\n"));
	assert_non_null(strstr(f,
			       "\troute 2001:db8:ff::/48 blackhole { "
			       "bgp_community.add((64512,7)); bgp_community.add((65535,0)); };\n"));
	assert_non_null(strstr(f, "\treturn (64512,7) ~ bgp_community;\n"));
	assert_int_equal(count(f, "bgp_path.prepend(local_as);"), 2);
	assert_int_equal(count(f, "protocol static "), 4); /* "quiet" has no announce */
	assert_null(strstr(f, "quiet"));
	free(f);
	/* the policy's directory by default */
	f = fragment(p, NULL);
	assert_non_null(strstr(f, "include \"/var/lib/anyedge/bird-e1/anyedge_v6.con[f]\";"));
	free(f);
	policy_free(p);
}

static char tmpdir[64];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/anyedge-bird-conf-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(tmpdir);

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, "..")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	return rmdir(tmpdir);
}

static void read_file(const char *dir, const char *name, char *buf, size_t len)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static size_t dir_entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The policy's file name is the operator's, not BIRD's: it must not become configuration. */
static void test_fragment_path_injection(void **state)
{
	const char *evil = "/tmp/p.yaml\nprotocol device injected {}\n#";
	struct policy *p = NULL;
	char *buf = NULL, *f;
	size_t len = 0;
	FILE *mf;

	assert_int_equal(policy_load_buf(evil, yaml, strlen(yaml), &p, policy_diag_stderr, stderr),
			 0);
	f = fragment(p, "/st");
	assert_null(strstr(f, "\nprotocol device injected"));
	assert_non_null(strstr(f, "from policy /tmp/p.yaml?protocol device injected {}?#."));
	free(f);
	/* a state directory given outside the policy is checked as the policy checks its own */
	mf = open_memstream(&buf, &len);
	assert_non_null(mf);
	assert_int_equal(bird_conf_write(mf, p, "/st\";\nprotocol device x {}"), -EINVAL);
	assert_int_equal(bird_conf_write(mf, p, "relative"), -EINVAL);
	fclose(mf);
	free(buf);
	policy_free(p);
}

static void test_state_files(void **state)
{
	struct policy *p = load();
	unsigned int want[3] = { 0 }, got[3];
	char buf[256], sub[128];

	/* nothing there yet: everything disabled */
	assert_int_equal(bird_state_read(tmpdir, p, got), 0);
	assert_int_equal(got[0] | got[1] | got[2], 0);

	want[0] = BIRD_WANT_PLAIN;
	assert_int_equal(bird_state_write(tmpdir, p, want), 4);
	assert_int_equal(dir_entries(tmpdir), 4); /* no temp file left behind */
	read_file(tmpdir, "anyedge_web_1_a.conf", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\ndisabled no;\n"));
	read_file(tmpdir, "anyedge_web_1_a_drain.conf", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\ndisabled yes;\n"));
	assert_int_equal(bird_state_read(tmpdir, p, got), 0);
	assert_int_equal(got[0], BIRD_WANT_PLAIN);
	assert_int_equal(got[2], 0);

	/* unchanged: nothing rewritten */
	assert_int_equal(bird_state_write(tmpdir, p, want), 0);
	/* drain: the twin on and the plain one off, two files */
	want[0] = BIRD_WANT_TWIN;
	want[2] = BIRD_WANT_PLAIN | BIRD_WANT_TWIN;
	assert_int_equal(bird_state_write(tmpdir, p, want), 4);
	assert_int_equal(bird_state_read(tmpdir, p, got), 0);
	assert_int_equal(got[0], BIRD_WANT_TWIN);
	assert_int_equal(got[1], 0);
	assert_int_equal(got[2], BIRD_WANT_PLAIN | BIRD_WANT_TWIN);
	assert_int_equal(bird_state_write_one(tmpdir, "anyedge_v6", false), 1);
	assert_int_equal(bird_state_write_one(tmpdir, "anyedge_v6", false), 0);

	/* init leaves existing files alone and fills in missing ones */
	snprintf(buf, sizeof(buf), "%s/anyedge_v6_drain.conf", tmpdir);
	assert_int_equal(unlink(buf), 0);
	assert_int_equal(bird_state_init(tmpdir, p), 1);
	assert_int_equal(bird_state_read(tmpdir, p, got), 0);
	assert_int_equal(got[0], BIRD_WANT_TWIN);
	assert_int_equal(got[2], 0);

	/* a file we did not write is reported, not guessed */
	snprintf(buf, sizeof(buf), "%s/anyedge_v6.conf", tmpdir);
	assert_int_equal(unlink(buf), 0);
	assert_int_equal(bird_state_write_one(tmpdir, "anyedge_v6", true), 1);
	{
		FILE *f = fopen(buf, "w");

		assert_non_null(f);
		fputs("disabled maybe;\n", f);
		fclose(f);
	}
	assert_int_equal(bird_state_read(tmpdir, p, got), -EPROTO);
	assert_int_equal(got[2], 0);

	/* init creates the directory, parents included */
	snprintf(sub, sizeof(sub), "%s/a", tmpdir);
	snprintf(buf, sizeof(buf), "%s/a/b", tmpdir);
	assert_int_equal(bird_state_init(buf, p), 4);
	assert_int_equal(dir_entries(buf), 4);
	want[0] = want[2] = 0;
	assert_int_equal(bird_state_write(buf, p, want), 0);
	assert_int_equal(bird_state_write(tmpdir, p, want), 2); /* web twin, v6 "maybe" */
	/* clean the subdirectories for teardown */
	{
		char path[300];
		const char *names[] = { "anyedge_web_1_a", "anyedge_web_1_a_drain", "anyedge_v6",
					"anyedge_v6_drain" };
		size_t i;

		for (i = 0; i < 4; i++) {
			snprintf(path, sizeof(path), "%s/%s.conf", buf, names[i]);
			unlink(path);
		}
		rmdir(buf);
		rmdir(sub);
	}
	/* a directory that is not there */
	snprintf(buf, sizeof(buf), "%s/none", tmpdir);
	assert_int_equal(bird_state_write_one(buf, "anyedge_v6", true), -ENOENT);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fragment),
		cmocka_unit_test(test_fragment_path_injection),
		cmocka_unit_test_setup_teardown(test_state_files, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
