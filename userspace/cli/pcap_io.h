/* SPDX-License-Identifier: GPL-2.0 */
/* Ethernet captures in and out (libpcap), for replay and bench. */
#ifndef ANYEDGE_PCAP_IO_H
#define ANYEDGE_PCAP_IO_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 9216 /* jumbo frames; longer captured frames are refused */

struct frame {
	uint8_t *data;
	uint32_t len;
};

struct frames {
	struct frame *f;
	size_t n;
};

/* Read every frame of an Ethernet (DLT_EN10MB) capture; 0 or -errno, with a message printed. */
int frames_read(const char *path, struct frames *out);
void frames_free(struct frames *fr);

struct frame_writer;
int frame_writer_open(const char *path, struct frame_writer **out);
int frame_writer_put(struct frame_writer *w, const uint8_t *data, uint32_t len);
void frame_writer_close(struct frame_writer *w);

#endif /* ANYEDGE_PCAP_IO_H */
