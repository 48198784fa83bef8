# SPDX-License-Identifier: GPL-2.0
# userspace/probe/: the backend prober: HTTP health checks and the probe contract's body.
PROBE_SRCS := userspace/probe/probe.c userspace/probe/probe_http.c userspace/probe/probe_body.c
LIB_SRCS += $(PROBE_SRCS)
UNIT_TESTS += userspace/probe/probe_test
