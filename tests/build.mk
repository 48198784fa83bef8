# SPDX-License-Identifier: GPL-2.0
# Packet tests: real BPF objects through BPF_PROG_TEST_RUN, packets from tests/pkt.c.
PKT_TESTS := packet_test decap_test
TEST_BINS += $(PKT_TESTS:%=$(B)/tests/%)

$(B)/obj/tests/packet_test.o $(B)/obj/tests/decap_test.o: $(SKELS)

$(B)/tests/%_test: $(B)/obj/tests/%_test.o $(B)/obj/tests/pkt.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) $(TEST_LIBS) -o $@

# Capture writer for replay tests and benchmarks.
TEST_BINS += $(B)/tests/mkpcap
$(B)/tests/mkpcap: $(B)/obj/tests/mkpcap.o $(B)/obj/tests/pkt.o
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

# A forwarding edge for namespace tests, without the daemon.
TEST_BINS += $(B)/tests/edge_attach
$(B)/tests/edge_attach: $(B)/obj/tests/edge_attach.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

# Kernel facts driver for tests/t_kernel.sh.
TEST_BINS += $(B)/tests/kernel_probe
$(B)/tests/kernel_probe: $(B)/obj/tests/kernel_probe.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

# Health endpoint for namespace tests, the lab and benchmarks; the probe engine benchmark.
TEST_BINS += $(B)/tests/probe_responder $(B)/tests/probe_bench
$(B)/tests/probe_responder: $(B)/obj/tests/probe_responder.o
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@

$(B)/tests/probe_bench: $(B)/obj/tests/probe_bench.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

# LD_PRELOAD shim stepping one process's wall clock (tests/t_guard.sh: timers stay monotonic).
TEST_BINS += $(B)/tests/libwallshift.so
$(B)/tests/libwallshift.so: tests/wallshift.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -fPIC -shared $< -ldl -o $@

# The live-frame benchmark's floor, sink and sender (tests/live_bench.sh).
TEST_BINS += $(B)/tests/live_xdp
$(B)/obj/tests/live_xdp.o: $(SKELS)
$(B)/tests/live_xdp: $(B)/obj/tests/live_xdp.o $(B)/obj/userspace/cli/pcap_io.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

# Katran beside anyedge: an external Katran object loaded as its userspace would configure it,
# timed like `anyedge bench` (tests/katran_cmp.sh), or attached for the live-frame benchmark.
TEST_BINS += $(B)/tests/katran_bench
KATRAN_BENCH_OBJS := $(B)/obj/tests/katran_bench.o $(B)/obj/tests/katran_lb.o \
	$(B)/obj/userspace/cli/bench_run.o $(B)/obj/userspace/cli/pcap_io.o \
	$(B)/obj/userspace/cli/xdp_run.o
$(B)/obj/tests/katran_bench.o: $(SKELS)
$(B)/obj/tests/katran_bench.o: CFLAGS += -Iuserspace/cli
$(B)/tests/katran_bench: $(KATRAN_BENCH_OBJS) $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@
