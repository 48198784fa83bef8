# SPDX-License-Identifier: GPL-2.0
# userspace/fleet/: edges agreeing through etcd. The client (etcd_client.c) and the fleet's logic
# (fleet_*.c) go into the daemon; the client's unit test runs against a real etcd that
# tests/t_fleet_etcd.sh starts (alone it skips).
FLEET_SRCS := userspace/fleet/etcd_client.c userspace/fleet/fleet.c userspace/fleet/fleet_promote.c \
	userspace/fleet/fleet_view.c userspace/fleet/fleet_drain.c \
	userspace/fleet/fleet_announce.c
FLEET_OBJS := $(FLEET_SRCS:%.c=$(B)/obj/%.o)

TEST_BINS += $(B)/tests/etcd_client_test
$(B)/tests/etcd_client_test: $(B)/obj/userspace/fleet/etcd_client_test.o \
		$(B)/obj/userspace/fleet/etcd_client.o
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) $(TEST_LIBS) -lpthread -o $@
