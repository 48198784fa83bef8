// SPDX-License-Identifier: GPL-2.0
/* Request bodies of the API's writes: what DESIGN's shapes accept and every way of missing them
 * (each of which the API answers with 422 and this reason).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api_json.h"

static int failover(const char *body, struct edge_cmd *c, char *why)
{
	return api_json_failover(body, strlen(body), c, why, 256);
}

static void test_failover_ok(void **state)
{
	struct edge_cmd c;
	char why[256];

	assert_int_equal(failover("{\"action\":\"PROMOTE_PASSIVE_REGION\",\"sourceRegion\":"
				  "\"us-east\",\"targetRegion\":\"eu-west\",\"forcePromotion\":"
				  "false,\"maxAllowedReplicaLagSeconds\":15}",
				  &c, why),
			 0);
	assert_int_equal(c.kind, CMD_FAILOVER);
	assert_string_equal(c.source, "us-east");
	assert_string_equal(c.target, "eu-west");
	assert_false(c.force);
	assert_true(c.max_lag_s == 15.0);

	/* optional members: force defaults off, the lag limit to the policy's (NaN) */
	assert_int_equal(failover(" {\"action\":\"PROMOTE_PASSIVE_REGION\",\"sourceRegion\":\"a\","
				  "\"targetRegion\":\"b\",\"forcePromotion\":true} \n",
				  &c, why),
			 0);
	assert_true(c.force);
	assert_true(isnan(c.max_lag_s));
	assert_int_equal(failover("{\"action\":\"PROMOTE_PASSIVE_REGION\",\"sourceRegion\":\"a\","
				  "\"targetRegion\":\"b\",\"maxAllowedReplicaLagSeconds\":0.5}",
				  &c, why),
			 0);
	assert_true(c.max_lag_s == 0.5);
}

static void test_failover_bad(void **state)
{
	static const struct {
		const char *body, *why;
	} cases[] = {
		{ "", "empty body" },
		{ "{", "unexpected end" },
		{ "[1]", "must be a JSON object" },
		{ "{\"action\":\"PROMOTE_PASSIVE_REGION\"} x", "bad JSON" },
		{ "{'action':'x'}", "bad JSON" },
		{ "{\"sourceRegion\":\"a\",\"targetRegion\":\"b\"}", "missing \"action\"" },
		{ "{\"action\":\"DEMOTE\",\"sourceRegion\":\"a\",\"targetRegion\":\"b\"}",
		  "unknown action" },
		{ "{\"action\":1,\"sourceRegion\":\"a\",\"targetRegion\":\"b\"}",
		  "must be a string" },
		{ "{\"action\":\"PROMOTE_PASSIVE_REGION\",\"targetRegion\":\"b\"}",
		  "missing \"sourceRegion\"" },
		{ "{\"action\":\"PROMOTE_PASSIVE_REGION\",\"sourceRegion\":\"\",\"targetRegion\":\"b\"}",
		  "1..63 characters" },
		{ "{\"action\":\"PROMOTE_PASSIVE_REGION\",\"sourceRegion\":\"a\",\"targetRegion\":\"a\"}",
		  "are both" },
		{ "{\"action\":\"PROMOTE_PASSIVE_REGION\",\"sourceRegion\":\"a\",\"targetRegion\":\"b\","
		  "\"forcePromotion\":\"yes\"}",
		  "true or false" },
		{ "{\"action\":\"PROMOTE_PASSIVE_REGION\",\"sourceRegion\":\"a\",\"targetRegion\":\"b\","
		  "\"maxAllowedReplicaLagSeconds\":-1}",
		  "number >= 0" },
		{ "{\"action\":\"PROMOTE_PASSIVE_REGION\",\"sourceRegion\":\"a\",\"targetRegion\":\"b\","
		  "\"maxAllowedReplicaLagSeconds\":\"15\"}",
		  "number >= 0" },
		/* a typo must not pass as an absent member */
		{ "{\"action\":\"PROMOTE_PASSIVE_REGION\",\"sourceRegion\":\"a\",\"targetRegion\":\"b\","
		  "\"forcePromtion\":true}",
		  "unknown field \"forcePromtion\"" },
		{ "{\"action\":\"PROMOTE_PASSIVE_REGION\",\"sourceRegion\":\"a\",\"targetRegion\":\"b\"}\xff",
		  "bad JSON" },
	};
	struct edge_cmd c;
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		assert_int_not_equal(failover(cases[i].body, &c, why), 0);
		if (!strstr(why, cases[i].why))
			fail_msg("case %zu: %s: why '%s' lacks '%s'", i, cases[i].body, why,
				 cases[i].why);
	}
	/* a body with a NUL inside is not taken as its prefix */
	assert_int_not_equal(api_json_failover("{}\0{}", 5, &c, why, sizeof(why)), 0);
}

static int drain(const char *body, bool on, struct edge_cmd *c, char *why)
{
	return api_json_drain(body, strlen(body), on, c, why, 256);
}

static void test_drain(void **state)
{
	struct edge_cmd c;
	char why[256];

	assert_int_equal(drain("{\"region\":\"eu-west\"}", true, &c, why), 0);
	assert_int_equal(c.kind, CMD_DRAIN);
	assert_string_equal(c.region, "eu-west");
	assert_string_equal(c.backend, "");

	assert_int_equal(drain("{\"backend\":\"2001:DB8::0:1\"}", false, &c, why), 0);
	assert_int_equal(c.kind, CMD_UNDRAIN);
	assert_string_equal(c.backend, "2001:db8::1"); /* canonical, as the state prints it */

	assert_int_equal(drain("{\"edge\":true}", true, &c, why), 0);
	assert_int_equal(c.kind, CMD_DRAIN_EDGE);
	assert_int_equal(drain("{\"edge\":true}", false, &c, why), 0);
	assert_int_equal(c.kind, CMD_UNDRAIN_EDGE);

	assert_int_not_equal(drain("{}", true, &c, why), 0);
	assert_non_null(strstr(why, "exactly one"));
	assert_int_not_equal(drain("{\"region\":\"a\",\"backend\":\"192.0.2.1\"}", true, &c, why),
			     0);
	assert_non_null(strstr(why, "exactly one"));
	assert_int_not_equal(drain("{\"backend\":\"not-an-ip\"}", true, &c, why), 0);
	assert_non_null(strstr(why, "IPv4 or IPv6"));
	assert_int_not_equal(drain("{\"edge\":false}", true, &c, why), 0);
	assert_int_not_equal(drain("{\"vip\":\"web\"}", true, &c, why), 0);
	assert_non_null(strstr(why, "unknown field"));
	assert_int_not_equal(drain("{\"region\":7}", true, &c, why), 0);

	/* the fleet's: a region or a backend, never the edge */
	assert_int_equal(drain("{\"region\":\"eu-west\",\"fleet\":true}", true, &c, why), 0);
	assert_true(c.fleet);
	assert_string_equal(c.region, "eu-west");
	assert_int_equal(drain("{\"backend\":\"192.0.2.7\",\"fleet\":false}", false, &c, why), 0);
	assert_false(c.fleet);
	assert_int_not_equal(drain("{\"edge\":true,\"fleet\":true}", true, &c, why), 0);
	assert_non_null(strstr(why, "by itself"));
	assert_int_not_equal(drain("{\"region\":\"a\",\"fleet\":1}", true, &c, why), 0);
	assert_int_not_equal(drain("{\"fleet\":true}", true, &c, why), 0);
	assert_non_null(strstr(why, "exactly one"));
}

static void test_empty(void **state)
{
	char why[256];

	assert_int_equal(api_json_empty("", 0, why, sizeof(why)), 0);
	assert_int_equal(api_json_empty(" \n", 2, why, sizeof(why)), 0);
	assert_int_equal(api_json_empty("{}", 2, why, sizeof(why)), 0);
	assert_int_not_equal(api_json_empty("{\"now\":true}", 12, why, sizeof(why)), 0);
	assert_int_not_equal(api_json_empty("nope", 4, why, sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failover_ok),
		cmocka_unit_test(test_failover_bad),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
