/* read_pcap: the offline reader.  It is the daemon's record path without
 * netlink: pcap record -> nflog_tlv_parse -> decode -> format -> stdout. */
#include "read_pcap.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "fmt_json.h"
#include "fmt_log.h"
#include "nflog_msg.h"
#include "pcap.h"

/* Index -> name, from --ifname first, then this network namespace. */
static const char *ifname(const struct read_opts *o, uint32_t index,
			  char *buf)
{
	for (unsigned int i = 0; i < o->n_ifnames; i++)
		if (o->ifnames[i].index == index)
			return o->ifnames[i].name;
	if (index && if_indextoname(index, buf))
		return buf;
	return "";
}

static int print_record(const struct read_opts *o, const struct record *rec,
			const struct pcap_record *pr, FILE *out)
{
	const struct nflog_meta *m = rec->meta;
	char in[IF_NAMESIZE], outn[IF_NAMESIZE], pin[IF_NAMESIZE],
	     pout[IF_NAMESIZE];
	struct log_ifnames ifn = {
		.in = ifname(o, m->indev, in),
		.out = ifname(o, m->outdev, outn),
		.physin = ifname(o, m->physindev, pin),
		.physout = ifname(o, m->physoutdev, pout),
	};
	/* Captures can carry prefixes of any length (up to 64 KiB), and an
	 * escaped byte takes up to 6 in JSON. */
	static char line[FMT_JSON_MAX + 6 * 65536];
	int n;

	if (o->format == READ_FORMAT_LOG) {
		n = fmt_log(rec, &ifn, o->log_flags, line, sizeof(line));
	} else {
		struct json_ctx ctx = {
			.ifn = &ifn,
			.now_sec = (long long)pr->ts_sec,
			.now_usec = pr->ts_usec,
			/* conntrack logs its INVALID reasons on group 0;
			 * only an nf_ct_ prefix gives a reason field */
			.ct_invalid = m->group == 0,
		};

		n = fmt_json(rec, &ctx, line, sizeof(line));
	}
	if (n < 0)
		return n;
	line[n] = '\n';
	return fwrite(line, 1, (size_t)n + 1, out) == (size_t)n + 1 ? 0 : -EIO;
}

int read_pcap(const struct read_opts *o, FILE *out)
{
	struct pcap_reader r;
	struct pcap_record pr;
	struct stat st;
	void *map = MAP_FAILED;
	/* libmnl reads attribute headers in place: records are copied to an
	 * aligned buffer, since a snap length can leave them unaligned. */
	static uint32_t aligned[262144 / 4];
	unsigned long count = 0;
	int fd, r2, ret = -1;

	fd = open(o->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "nflogd: cannot open %s: %m\n", o->path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "nflogd: cannot stat %s: %m\n", o->path);
		goto out;
	}
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			fprintf(stderr, "nflogd: cannot map %s: %m\n", o->path);
			goto out;
		}
	}
	r2 = pcap_reader_init(&r, map == MAP_FAILED ? "" : map, (size_t)st.st_size);
	if (r2 < 0) {
		fprintf(stderr, "nflogd: %s: offset 0: not a pcap file (%s)\n",
			o->path, r2 == -EPROTONOSUPPORT ?
			"pcapng or an unknown version; convert with `editcap -F pcap`" :
			"bad or short file header");
		goto out;
	}
	if (r.linktype != PCAP_LINKTYPE_NFLOG) {
		fprintf(stderr, "nflogd: %s: link type %u, expected NFLOG (%u); "
			"capture with `tcpdump -i nflog:GROUP -w FILE`\n",
			o->path, r.linktype, PCAP_LINKTYPE_NFLOG);
		goto out;
	}
	while ((r2 = pcap_reader_next(&r, &pr)) > 0) {
		struct nflog_meta meta;
		struct record rec;

		count++;
		if (pr.caplen > sizeof(aligned)) {
			fprintf(stderr, "nflogd: %s: offset %zu: packet %lu: "
				"record of %u bytes is larger than any NFLOG "
				"message\n", o->path, pr.offset, count, pr.caplen);
			goto out;
		}
		memcpy(aligned, pr.data, pr.caplen);
		r2 = nflog_tlv_parse(aligned, pr.caplen, r.swapped, &meta);
		if (r2 < 0) {
			fprintf(stderr, "nflogd: %s: offset %zu: packet %lu: "
				"bad NFLOG record: %s\n", o->path, pr.offset,
				count, strerror(-r2));
			goto out;
		}
		decode_packet(&meta, &rec);
		r2 = print_record(o, &rec, &pr, out);
		if (r2 < 0) {
			fprintf(stderr, "nflogd: %s: packet %lu: cannot print: %s\n",
				o->path, count, strerror(-r2));
			goto out;
		}
	}
	if (r2 < 0) {
		fprintf(stderr, "nflogd: %s: offset %zu: truncated or corrupt "
			"record after packet %lu\n", o->path, r.off, count);
		goto out;
	}
	if (fflush(out) != 0) {
		fprintf(stderr, "nflogd: writing output: %m\n");
		goto out;
	}
	ret = 0;
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	close(fd);
	return ret;
}
