# SPDX-License-Identifier: GPL-2.0
# userspace/policy/: the operator's YAML policy: read, parsed, checked, with file:line:col
# diagnostics.
POLICY_SRCS := userspace/policy/policy_diag.c userspace/policy/policy_yaml.c \
	userspace/policy/policy_scalar.c userspace/policy/policy_parse.c \
	userspace/policy/policy_check.c userspace/policy/policy_fleet.c userspace/policy/policy_load.c
LIB_SRCS += $(POLICY_SRCS)
UNIT_TESTS += userspace/policy/policy_test
