# SPDX-License-Identifier: GPL-2.0
# userspace/common/: the helpers every part shares: logging, addresses, files, options, the
# version, the clock.
COMMON_SRCS := userspace/common/log.c userspace/common/cmdline.c userspace/common/version.c \
	userspace/common/inet.c userspace/common/files.c
LIB_SRCS += $(COMMON_SRCS)
UNIT_TESTS += userspace/common/files_test
