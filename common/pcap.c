/* pcap: classic libpcap file reader over a buffer in memory.
 *
 * Layout (draft-ietf-opsawg-pcap):
 *   global header, 24 bytes: magic, version_major(16), version_minor(16),
 *     thiszone, sigfigs, snaplen, network (LinkType + FCS bits)
 *   then records: ts_sec, ts_usec|ts_nsec, incl_len (caplen), orig_len,
 *     followed by caplen bytes of packet data.
 * All fields are in the writer's byte order, given away by the magic.
 *
 * Every bounds check compares a length with what is left of the buffer
 * (len - off, which cannot underflow because off <= len always holds), never
 * off + something with len, so a caplen near UINT32_MAX cannot wrap size_t
 * on any platform.
 */
#include "pcap.h"

#include <errno.h>
#include <string.h>

/* Offsets inside the global header. */
#define GH_MAGIC        0
#define GH_VMAJOR       4
#define GH_VMINOR       6
#define GH_SNAPLEN      16
#define GH_NETWORK      20

/* Offsets inside a record header. */
#define RH_TS_SEC       0
#define RH_TS_FRAC      4
#define RH_CAPLEN       8
#define RH_ORIGLEN      12

#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4

#define LINKTYPE_MASK   0xffffu

static uint32_t bswap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) |
	       (v << 24);
}

static uint16_t bswap16(uint16_t v)
{
	return (uint16_t)((v >> 8) | (v << 8));
}

/* memcpy, not a cast: the caller's buffer has no alignment guarantee. */
static uint32_t rd32(const uint8_t *p, bool swapped)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? bswap32(v) : v;
}

static uint16_t rd16(const uint8_t *p, bool swapped)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? bswap16(v) : v;
}

int pcap_reader_init(struct pcap_reader *r, const void *buf, size_t len)
{
	struct pcap_reader t;
	const uint8_t *p = buf;
	uint32_t magic;

	if (len < PCAP_GLOBAL_HDR_LEN)
		return -EINVAL;

	memset(&t, 0, sizeof(t));
	memcpy(&magic, p + GH_MAGIC, sizeof(magic));
	switch (magic) {
	case PCAP_MAGIC_USEC:
		break;
	case PCAP_MAGIC_NSEC:
		t.nsec = true;
		break;
	default:
		if (magic == bswap32(PCAP_MAGIC_USEC)) {
			t.swapped = true;
		} else if (magic == bswap32(PCAP_MAGIC_NSEC)) {
			t.swapped = true;
			t.nsec = true;
		} else if (magic == PCAPNG_MAGIC) {
			/* A palindrome, so one test covers both orders.  Refuse
			 * it distinctly so the caller can say "convert with
			 * editcap -F pcap" instead of "not a capture file". */
			return -EPROTONOSUPPORT;
		} else {
			return -EINVAL;
		}
	}

	t.version_major = rd16(p + GH_VMAJOR, t.swapped);
	t.version_minor = rd16(p + GH_VMINOR, t.swapped);
	/* 2.4 is all libpcap has written since 1998; older minors had caplen
	 * and origlen swapped, which we would misread. */
	if (t.version_major != PCAP_VERSION_MAJOR ||
	    t.version_minor != PCAP_VERSION_MINOR)
		return -EPROTONOSUPPORT;

	t.snaplen = rd32(p + GH_SNAPLEN, t.swapped);
	/* The upper 16 bits are FCS length/flag and reserved bits, which
	 * readers must ignore. */
	t.linktype = rd32(p + GH_NETWORK, t.swapped) & LINKTYPE_MASK;
	t.buf = p;
	t.len = len;
	t.off = PCAP_GLOBAL_HDR_LEN;

	*r = t;
	return 0;
}

int pcap_reader_next(struct pcap_reader *r, struct pcap_record *rec)
{
	const uint8_t *h;
	size_t left;
	uint64_t ts_sec;
	uint32_t frac, caplen, origlen;

	/* Only a corrupted reader could break off <= len; refuse rather than
	 * compute a huge "left". */
	if (r->off > r->len)
		return -EINVAL;
	left = r->len - r->off;
	if (left == 0)
		return 0;
	if (left < PCAP_RECORD_HDR_LEN)
		return -EBADMSG;
	left -= PCAP_RECORD_HDR_LEN;

	h = r->buf + r->off;
	caplen = rd32(h + RH_CAPLEN, r->swapped);
	/* Compared as uint32_t against a small constant and then as size_t
	 * against what is left: no sum is ever formed, so nothing wraps. */
	if (caplen > PCAP_MAX_CAPLEN || caplen > left)
		return -EBADMSG;

	ts_sec = rd32(h + RH_TS_SEC, r->swapped);
	frac = rd32(h + RH_TS_FRAC, r->swapped);
	origlen = rd32(h + RH_ORIGLEN, r->swapped);
	if (r->nsec)
		frac /= 1000;
	/* A fraction of a second >= 1 s is malformed, but carrying it keeps
	 * every later formatter's "%06u" honest without losing the record. */
	ts_sec += frac / 1000000;
	frac %= 1000000;

	rec->ts_sec = ts_sec;
	rec->ts_usec = frac;
	rec->caplen = caplen;
	rec->origlen = origlen;
	rec->data = h + PCAP_RECORD_HDR_LEN;
	rec->offset = r->off;

	r->off += PCAP_RECORD_HDR_LEN + (size_t)caplen;
	return 1;
}
