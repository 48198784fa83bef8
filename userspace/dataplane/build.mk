# SPDX-License-Identifier: GPL-2.0
# userspace/dataplane/: the XDP program's maps from userspace: load, pin, adopt, Maglev rings,
# VIP keys, kernel facts.
DATAPLANE_SRCS := userspace/dataplane/xdp_pin.c userspace/dataplane/maglev.c \
	userspace/dataplane/dataplane.c userspace/dataplane/dataplane_rings.c \
	userspace/dataplane/dataplane_vips.c userspace/dataplane/dataplane_pin.c \
	userspace/dataplane/dataplane_load.c userspace/dataplane/kernel.c
LIB_SRCS += $(DATAPLANE_SRCS)
UNIT_TESTS += userspace/dataplane/maglev_test
