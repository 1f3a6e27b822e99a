/* pcap: a reader for classic pcap files held in memory (the daemon reads
 * the file; this module only parses bytes).  nflogd uses it for captures of
 * link type NFLOG (239), as written by `tcpdump -i nflog:N -w FILE`.
 *
 * Pure code: no allocation, no I/O.  Records point into the buffer.
 * Handles both byte orders and the microsecond and nanosecond magics;
 * pcapng is recognised and refused with -EPROTONOSUPPORT.
 */
#ifndef NFLOGD_PCAP_H
#define NFLOGD_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCAP_LINKTYPE_NFLOG 239

#define PCAP_GLOBAL_HDR_LEN 24
#define PCAP_RECORD_HDR_LEN 16

/* Magics as read in the writer's byte order; a reader seeing the byte-swapped
 * value knows the file came from the other byte order. */
#define PCAP_MAGIC_USEC   0xa1b2c3d4u
#define PCAP_MAGIC_NSEC   0xa1b23c4du
#define PCAPNG_MAGIC      0x0a0d0d0au   /* Section Header Block type */

/* libpcap's MAXIMUM_SNAPLEN: no real capture has a bigger record, so a larger
 * caplen means a corrupt file, not a big packet. */
#define PCAP_MAX_CAPLEN   262144u

struct pcap_reader {
	const uint8_t *buf;
	size_t len;
	size_t off;             /* offset of the next record header */
	bool swapped;           /* file written in the other byte order */
	bool nsec;              /* timestamps in nanoseconds */
	uint32_t linktype;
	uint32_t snaplen;
	uint16_t version_major, version_minor;
};

struct pcap_record {
	uint64_t ts_sec;
	uint32_t ts_usec;       /* always microseconds */
	uint32_t caplen, origlen;
	const uint8_t *data;    /* caplen bytes */
	size_t offset;          /* file offset of this record's header */
};

/* Check the global header.  Errors: -EINVAL (too short / bad magic),
 * -EPROTONOSUPPORT (pcapng or unknown version).  Only version 2.4 is
 * accepted; linktype is the low 16 bits of the header's network field (the
 * upper bits carry FCS information, which nflogd has no use for).  *r is
 * written only on success. */
int pcap_reader_init(struct pcap_reader *r, const void *buf, size_t len);

/* Next record: 1 with *rec filled, 0 at a clean end of file, or a negative
 * errno: -EBADMSG when a record header or its data is cut short or caplen
 * exceeds the buffer; r->off then is the offset of the bad record. */
/* Also -EBADMSG when caplen > PCAP_MAX_CAPLEN.  Errors are sticky: r->off
 * does not move, so calling again returns the same error.  *rec is written
 * only when 1 is returned.  ts_usec is always < 1000000: an out-of-range
 * fraction is carried into ts_sec (hence 64 bits) rather than refused. */
int pcap_reader_next(struct pcap_reader *r, struct pcap_record *rec);

#endif
