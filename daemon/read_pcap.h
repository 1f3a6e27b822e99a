/* read_pcap: `nflogd --read FILE`: decode an NFLOG capture offline. */
#ifndef NFLOGD_READ_PCAP_H
#define NFLOGD_READ_PCAP_H

#include <stdio.h>

enum read_format { READ_FORMAT_LOG, READ_FORMAT_JSON };

#define READ_MAX_IFNAMES 64

struct read_opts {
	const char *path;
	enum read_format format;
	unsigned int log_flags;
	/* --ifname INDEX=NAME overrides, consulted before the kernel */
	unsigned int n_ifnames;
	struct {
		unsigned int index;
		char name[16];
	} ifnames[READ_MAX_IFNAMES];
};

/* Print one record per packet to out.  Returns 0, or -1 after printing
 * an error naming the file (and the offset where the file is bad). */
int read_pcap(const struct read_opts *o, FILE *out);

#endif
