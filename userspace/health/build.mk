# SPDX-License-Identifier: GPL-2.0
# userspace/health/: backend and region health, the guard against the edge's own blindness, the
# promotion rules.
HEALTH_SRCS := userspace/health/rpo.c userspace/health/health.c userspace/health/health_region.c \
	userspace/health/health_guard.c
LIB_SRCS += $(HEALTH_SRCS)
UNIT_TESTS += userspace/health/health_test
