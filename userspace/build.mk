# SPDX-License-Identifier: GPL-2.0
# Userspace: the shared library objects, the CLI, the daemon and the unit tests.
include userspace/fleet/build.mk
LIB_SRCS :=
UNIT_TESTS :=
include userspace/common/build.mk userspace/policy/build.mk userspace/dataplane/build.mk \
	userspace/probe/build.mk userspace/health/build.mk
LIB_SRCS += bgp/bird_reply.c bgp/bird_ctl.c bgp/bird_conf.c bgp/announce.c bgp/speaker.c
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)

# The version string (scripts/version.sh), rewritten only when it changes so that only
# version.o rebuilds.
VERSION_STR := $(shell sh scripts/version.sh)
$(B)/version_str.h: FORCE | $(B)
	$(Q)printf '#define ANYEDGE_VERSION "%s"\n' '$(VERSION_STR)' >$@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(B)/obj/userspace/common/version.o: $(B)/version_str.h
.PHONY: FORCE
FORCE:

CLI_SRCS := userspace/cli/main.c userspace/cli/cmd_check.c userspace/cli/cmd_replay.c \
	userspace/cli/cmd_bench.c userspace/cli/bench_run.c userspace/cli/pcap_io.c userspace/cli/xdp_run.c \
	userspace/cli/cmd_decap.c userspace/cli/cmd_bird_config.c userspace/cli/cli_api.c \
	userspace/cli/cmd_status.c userspace/cli/cmd_ops.c userspace/cli/cmd_top.c \
	userspace/cli/cmd_upgrade.c \
	userspace/cli/cmd_fleet.c
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/obj/%.o)

USER_BINS += $(B)/anyedge

DAEMON_SRCS := userspace/daemon/main.c userspace/daemon/edge.c userspace/daemon/loop.c \
	userspace/daemon/snapshot.c userspace/daemon/cmdq.c userspace/daemon/commands.c \
	userspace/daemon/ops_state.c \
	userspace/daemon/api.c userspace/daemon/api_guard.c userspace/daemon/api_routes.c \
	userspace/daemon/api_metrics.c userspace/daemon/api_json.c userspace/daemon/notify.c \
	userspace/daemon/edge_fleet.c
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(B)/obj/%.o)
USER_BINS += $(B)/anyedged
$(DAEMON_OBJS): $(SKELS)
$(B)/anyedged: $(DAEMON_OBJS) $(FLEET_OBJS) $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

# Objects that include a skeleton wait for it.
$(LIB_OBJS) $(CLI_OBJS): $(SKELS)

$(B)/anyedge: $(CLI_OBJS) $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

# Unit tests live beside the code they test (each module's build.mk lists its own as
# folder/name); every one links the library.
TEST_BINS += $(foreach t,$(UNIT_TESTS),$(B)/tests/$(notdir $(t)))
$(foreach t,$(UNIT_TESTS),$(eval $(B)/tests/$(notdir $(t)): $(B)/obj/$(t).o $(LIB_OBJS)))
$(foreach t,$(UNIT_TESTS),$(B)/tests/$(notdir $(t))):
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) $(TEST_LIBS) -o $@

# bgp/: the BIRD driver's unit test and the driver for tests/t_bird_ctl.sh
TEST_BINS += $(B)/tests/bird_ctl_test $(B)/tests/bird_ctl_cli
$(B)/tests/bird_ctl_test: $(B)/obj/bgp/bird_ctl_test.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) $(TEST_LIBS) -o $@

$(B)/tests/bird_ctl_cli: $(B)/obj/tests/bird_ctl_cli.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

# bgp/: unit tests beside the code
BGP_TESTS := announce_test bird_conf_test
TEST_BINS += $(BGP_TESTS:%=$(B)/tests/%)
$(BGP_TESTS:%=$(B)/tests/%): $(B)/tests/%: $(B)/obj/bgp/%.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) $(TEST_LIBS) -o $@

# The API's request-body checks, beside the daemon code they test.
TEST_BINS += $(B)/tests/api_json_test
$(B)/tests/api_json_test: $(B)/obj/userspace/daemon/api_json_test.o \
		$(B)/obj/userspace/daemon/api_json.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) $(TEST_LIBS) -o $@
