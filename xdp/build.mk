# SPDX-License-Identifier: GPL-2.0
# The data path: the edge steering program, the backend decapsulator, the benchmark floor, the
# live-frame benchmark's two ends.
BPF_OBJS += $(B)/anyedge.bpf.o $(B)/floor.bpf.o $(B)/live.bpf.o
SKELS := $(B)/anyedge.skel.h $(B)/floor.skel.h $(B)/live.skel.h
BPF_OBJS += $(B)/decap.bpf.o
SKELS += $(B)/decap.skel.h
