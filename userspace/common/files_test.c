// SPDX-License-Identifier: GPL-2.0
/* files.c: the API token reader refuses what would weaken the comparison. */
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

#include "files.h"

static char dir[] = "/tmp/files_test.XXXXXX";

static const char *put(const char *name, const void *data, size_t len, mode_t mode)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(file_replace(path, data, len, mode), 0);
	return path;
}

static void test_token_ok(void **state)
{
	const char *why = "x";
	char tok[64];

	assert_int_equal(file_read_token(put("ok", "0123456789abcdef\n", 17, 0600), tok,
					 sizeof(tok), &why),
			 0);
	assert_string_equal(tok, "0123456789abcdef");
	assert_null(why);
	/* readable by others: accepted, with a warning */
	assert_int_equal(file_read_token(put("loose", "0123456789abcdef", 16, 0644), tok,
					 sizeof(tok), &why),
			 0);
	assert_non_null(why);
	assert_non_null(strstr(why, "group or others"));
}

static void test_token_refused(void **state)
{
	/* UTF-16LE "good-token-12345": strlen() of it is 1 ("g") */
	static const char utf16[] = "g\0o\0o\0d\0-\0t\0o\0k\0e\0n\0-\0"
				    "1\0002\0003\0004\0005\0\n\0";
	static const char lead_nul[] = "\0aaaaaaaaaaaaaaaaaaaa";
	const char *why;
	char tok[64], big[100];

	assert_int_equal(file_read_token(put("u16", utf16, sizeof(utf16) - 1, 0600), tok,
					 sizeof(tok), &why),
			 -EINVAL);
	assert_non_null(strstr(why, "printable"));
	assert_int_equal(tok[0], '\0');
	assert_int_equal(file_read_token(put("nul", lead_nul, sizeof(lead_nul) - 1, 0600), tok,
					 sizeof(tok), &why),
			 -EINVAL);
	assert_int_equal(file_read_token(put("short", "g\n", 2, 0600), tok, sizeof(tok), &why),
			 -EINVAL);
	assert_non_null(strstr(why, "shorter"));
	assert_int_equal(file_read_token(put("empty", "", 0, 0600), tok, sizeof(tok), &why),
			 -EINVAL);
	assert_int_equal(file_read_token(put("ctl", "0123456789\tabcdef", 17, 0600), tok,
					 sizeof(tok), &why),
			 -EINVAL);
	assert_int_equal(file_read_token(put("two", "0123456789abcdef\nsecond-line-here", 33, 0600),
					 tok, sizeof(tok), &why),
			 -EINVAL);
	memset(big, 'a', sizeof(big));
	assert_int_equal(file_read_token(put("big", big, sizeof(big), 0600), tok, sizeof(tok),
					 &why),
			 -EINVAL);
	assert_non_null(strstr(why, "longer"));
	assert_int_equal(file_read_token("/nonexistent/token", tok, sizeof(tok), &why), -ENOENT);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_ok),
		cmocka_unit_test(test_token_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
