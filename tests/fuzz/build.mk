# SPDX-License-Identifier: GPL-2.0
# The sanitizer tree and the fuzz targets. One set of objects in $(SAN_B), built by clang with
# ASan + UBSan and libFuzzer's coverage, serves both: the unit tests run there under the
# sanitizers (`make san`), and each fuzz target links them with libFuzzer (`make fuzz` runs each
# for FUZZ_TIME seconds). tests/t_sanitizers.sh and tests/t_fuzz.sh run short passes in
# `make test`. The tree is this Makefile again with another B and CC: CFLAGS goes in through the
# environment, so that the Makefile's own `CFLAGS +=` (includes, warnings) still apply.
SAN_B ?= build-san
SAN_CFLAGS ?= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link \
	-fno-sanitize-recover=all
FUZZ_TIME ?= 60
FUZZ_SHORT ?= 4

# A target T is tests/fuzz/fuzz_T.c with seeds in tests/fuzz/corpus/T/; others (the XDP
# driver) append here and to FUZZ_EXTRA_OBJS.
FUZZ_TARGETS := policy probe_http probe_body bird_reply api_json xdp
FUZZ_EXTRA_OBJS := $(B)/obj/userspace/daemon/api_json.o
FUZZ_BINS := $(FUZZ_TARGETS:%=$(B)/fuzz/%)

.PHONY: san san-bins san-inner fuzz fuzz-short

san-bins:
	$(Q)CFLAGS='$(SAN_CFLAGS)' $(MAKE) --no-print-directory B=$(SAN_B) CC=$(CLANG) \
		TRIPLE=$(TRIPLE) san-inner

# inside the sanitizer tree: the unit tests (every cmocka *_test) and the fuzz targets
san-inner: $(filter $(B)/tests/%_test,$(TEST_BINS)) $(FUZZ_BINS)

$(B)/fuzz/%: $(B)/obj/tests/fuzz/fuzz_%.o $(FUZZ_EXTRA_OBJS) $(LIB_OBJS)
	$(call msg,FUZZLD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer $^ $(LIBS) -o $@

san: san-bins
	$(Q)sh tests/t_sanitizers.sh

# FUZZ_TIME seconds per target; new inputs go to $(SAN_B)/corpus/T, seeds stay as they are.
fuzz: san-bins
	$(Q)for t in $(FUZZ_TARGETS); do \
		SAN_B=$(SAN_B) sh tests/fuzz/run.sh $$t $(FUZZ_TIME) || exit 1; \
	done

fuzz-short: san-bins
	$(Q)for t in $(FUZZ_TARGETS); do \
		SAN_B=$(SAN_B) sh tests/fuzz/run.sh $$t $(FUZZ_SHORT) || exit 1; \
	done

$(B)/obj/tests/fuzz/%.o: CFLAGS += -Iuserspace/daemon
$(B)/obj/tests/fuzz/fuzz_xdp.o: $(SKELS)
