// SPDX-License-Identifier: GPL-2.0
/* Captures are read whole into memory: replay and bench run each frame many times. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <pcap/pcap.h>

#include "log.h"
#include "pcap_io.h"

int frames_read(const char *path, struct frames *out)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct frame *grown;
	size_t cap = 0;
	pcap_t *pc;
	int rc, err = 0;

	memset(out, 0, sizeof(*out));
	pc = pcap_open_offline(path, errbuf);
	if (!pc) {
		pr_warn("%s: %s\n", path, errbuf);
		return -EINVAL;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		pr_warn("%s: not an Ethernet capture (link type %d)\n", path, pcap_datalink(pc));
		err = -EINVAL;
		goto out;
	}
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		if (h->caplen != h->len || h->caplen > FRAME_MAX) {
			pr_warn("%s: frame %zu is truncated or too long (%u of %u bytes)\n", path,
				out->n, h->caplen, h->len);
			err = -EINVAL;
			goto out;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(out->f, cap * sizeof(*grown));
			if (!grown) {
				err = -ENOMEM;
				goto out;
			}
			out->f = grown;
		}
		out->f[out->n].data = malloc(h->caplen ? h->caplen : 1);
		if (!out->f[out->n].data) {
			err = -ENOMEM;
			goto out;
		}
		memcpy(out->f[out->n].data, data, h->caplen);
		out->f[out->n].len = h->caplen;
		out->n++;
	}
	if (rc == PCAP_ERROR) {
		pr_warn("%s: %s\n", path, pcap_geterr(pc));
		err = -EINVAL;
	}
out:
	pcap_close(pc);
	if (err)
		frames_free(out);
	return err;
}

void frames_free(struct frames *fr)
{
	size_t i;

	for (i = 0; i < fr->n; i++)
		free(fr->f[i].data);
	free(fr->f);
	fr->f = NULL;
	fr->n = 0;
}

struct frame_writer {
	pcap_t *pc;
	pcap_dumper_t *d;
};

int frame_writer_open(const char *path, struct frame_writer **out)
{
	struct frame_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->pc = pcap_open_dead(DLT_EN10MB, 65535);
	if (!w->pc)
		goto err;
	w->d = pcap_dump_open(w->pc, path);
	if (!w->d) {
		pr_warn("%s: %s\n", path, pcap_geterr(w->pc));
		goto err;
	}
	*out = w;
	return 0;
err:
	frame_writer_close(w);
	return -EIO;
}

int frame_writer_put(struct frame_writer *w, const uint8_t *data, uint32_t len)
{
	struct pcap_pkthdr h = { .caplen = len, .len = len };

	gettimeofday(&h.ts, NULL);
	pcap_dump((u_char *)w->d, &h, data);
	return 0;
}

void frame_writer_close(struct frame_writer *w)
{
	if (!w)
		return;
	if (w->d)
		pcap_dump_close(w->d);
	if (w->pc)
		pcap_close(w->pc);
	free(w);
}
