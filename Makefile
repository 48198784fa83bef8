# SPDX-License-Identifier: GPL-2.0
# anyedge: `make` builds into build/ (no root, installs nothing), `make deps` installs the
# Debian packages it needs, `make test` and `make demo` do both first, `make install` lays out
# the binaries, man pages, unit and docs under DESTDIR/PREFIX. Each folder's build.mk says what
# it builds; the pattern rules live here. V=1 shows commands.

B ?= build
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
TRIPLE := $(shell $(CC) -dumpmachine)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wshadow -std=gnu11 -D_GNU_SOURCE -I$(B) -Iuserspace -Ibgp \
	$(addprefix -Iuserspace/,common policy dataplane probe health)
BPF_CFLAGS := -O2 -g -Wall -target bpf -D__TARGET_ARCH_x86 -I/usr/include/$(TRIPLE) -Ixdp
PKGS := libbpf yaml-0.1 libpcap json-c libnl-3.0 libnl-route-3.0 liburcu libmicrohttpd libcurl \
	libsystemd
CFLAGS += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lelf -lz
TEST_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all bins deps test bench demo format format-check clean

all: bins

deps:
	$(Q)sh scripts/deps.sh

BPF_OBJS :=
USER_BINS :=
TEST_BINS :=
include xdp/build.mk userspace/build.mk tests/build.mk dist/build.mk tests/fuzz/build.mk

bins: $(BPF_OBJS) $(USER_BINS) $(TEST_BINS)

$(B)/%.bpf.o: xdp/%.bpf.c $(wildcard xdp/*.h) | $(B)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/%.skel.h: $(B)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(B)/obj/%.o: %.c | $(B)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(B):
	$(Q)mkdir -p $@

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

test: deps
	$(Q)$(MAKE) --no-print-directory bins
	$(Q)B=$(B) sh tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory bins
	$(Q)B=$(B) sh scripts/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory bins
	$(Q)B=$(B) sh tests/bench.sh

SRC_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	$(Q)clang-format -i $(SRC_FILES)

format-check:
	$(Q)clang-format --dry-run -Werror $(SRC_FILES)

clean:
	$(Q)rm -rf $(B)
