/* Unit tests for common/decode.c.
 *
 * Each row is one packet in hex, handed to decode_packet() the way
 * nflog_msg_parse() would (meta.payload / payload_len, family, or the
 * bridge family with hw_protocol), and a list of record fields with their
 * expected values.  Only the fields a row lists are checked, so a row says
 * exactly what it is about.
 *
 * Hex conveniences of tu_mkpkt() (the rest is literal):
 *   "LLLL" is the IPv4 total length, filled in as the bytes from its IPv4
 *          header to the end of the packet;
 *   "PPPP" is the IPv6 payload length, filled in likewise.
 * Header checksums are left as written: the decoder does not check them.
 *
 * Option lists have their own tables (IPv4 and TCP), and a randomised test
 * with a fixed seed throws garbage and mutated packets at the decoder: run
 * it under ASan/UBSan to prove no read goes out of bounds.
 */
#include "decode.h"
#include "testutil.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>

#define MAXPKT 2048

/* ---- field list -------------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Every checkable field: name, expression over ip (the layer) and i (an
 * index for arrays). */
#define FIELDS(X) \
	X(KIND, ip->kind) X(STATUS, ip->status) X(AVAIL, ip->avail) \
	X(WIRE, ip->wire_len) X(LEN, ip->pkt_len) X(SNAPPED, ip->snapped) \
	X(SRC4, be32(ip->src)) X(DST4, be32(ip->dst)) \
	X(TTL, ip->ttl) X(TOS, ip->tos) X(IHL, ip->ihl) X(ID, ip->id) \
	X(FRAGW, ip->frag_word) X(CHECK, ip->check) \
	X(IPOPT_N, ip->ipopts.n) X(IPOPT_RAW, ip->ipopts.raw_len) \
	X(IPOPT_WANT, ip->ipopts.want_len) X(IPOPT_BAD, ip->ipopts.malformed) \
	X(FLOW, ip->flowlabel) X(PLEN6, ip->payload_len) \
	X(NEXTHDR, ip->nexthdr) X(N_EXT, ip->n_ext) \
	X(EXT_TYPE, ip->ext[i].type) X(EXT_OFF, ip->ext[i].offset) \
	X(EXT_LEN, ip->ext[i].len) X(EXT_COMPLETE, ip->ext[i].complete) \
	X(EXT_FOFF, ip->ext[i].u.frag.offset) \
	X(EXT_FMORE, ip->ext[i].u.frag.more) X(EXT_FID, ip->ext[i].u.frag.id) \
	X(EXT_RTYPE, ip->ext[i].u.rt.type) \
	X(EXT_RSEGS, ip->ext[i].u.rt.segments_left) \
	X(EXT_SPI, ip->ext[i].u.spi) \
	X(FRAG_OFF, ip->frag_offset) X(MF, ip->more_frags) \
	X(FRAG, ip->fragment) X(FRAG_ID, ip->frag_id) \
	X(PROTO, ip->proto) X(L4_OFF, ip->l4_off) X(L4_AVAIL, ip->l4_avail) \
	X(L4_WIRE, ip->l4_wire) X(L4, ip->l4) \
	X(SPORT, ip->t.tcp.sport) X(DPORT, ip->t.tcp.dport) \
	X(SEQ, ip->t.tcp.seq) X(ACK, ip->t.tcp.ack) X(DOFF, ip->t.tcp.doff) \
	X(RES, ip->t.tcp.res) X(FLAGS, ip->t.tcp.flags) \
	X(WINDOW, ip->t.tcp.window) X(TCHECK, ip->t.tcp.check) \
	X(URGP, ip->t.tcp.urgp) X(TOPT_N, ip->t.tcp.opts.n) \
	X(TOPT_RAW, ip->t.tcp.opts.raw_len) \
	X(TOPT_WANT, ip->t.tcp.opts.want_len) \
	X(TOPT_BAD, ip->t.tcp.opts.malformed) \
	X(USPORT, ip->t.udp.sport) X(UDPORT, ip->t.udp.dport) \
	X(ULEN, ip->t.udp.len) X(UCHECK, ip->t.udp.check) \
	X(ITYPE, ip->t.icmp.type) X(ICODE, ip->t.icmp.code) \
	X(ICHECK, ip->t.icmp.check) X(IREST, ip->t.icmp.rest) \
	X(IID, ip->t.icmp.id) X(ISEQ, ip->t.icmp.seq) \
	X(IGW, be32(ip->t.icmp.gateway)) X(IMTU, ip->t.icmp.mtu) \
	X(IPTR, ip->t.icmp.pointer) X(HAS_ECHO, ip->t.icmp.has_echo) \
	X(HAS_GW, ip->t.icmp.has_gateway) X(HAS_MTU, ip->t.icmp.has_mtu) \
	X(HAS_PTR, ip->t.icmp.has_pointer) X(IS_ERR, ip->t.icmp.is_error) \
	X(SPI, ip->t.spi.spi) X(GRE_FV, ip->t.gre.flags_ver) \
	X(GRE_PROTO, ip->t.gre.protocol) X(SCTP_SPORT, ip->t.sctp.sport) \
	X(SCTP_DPORT, ip->t.sctp.dport) X(SCTP_VTAG, ip->t.sctp.vtag)

#define ENUM(n, e) F_##n,
#define NAME(n, e) #n,
enum fld { F_END = 0, F_HAS_INNER, FIELDS(ENUM) F_NFIELDS };
static const char *const fld_name[] = { "END", "HAS_INNER", FIELDS(NAME) };

#define F_INNER 0x100   /* the field of rec->inner */

struct fv {
	uint16_t f;
	uint8_t i;
	uint64_t v;
};

#define W(f, v) { F_##f, 0, (uint64_t)(v) }
#define WI(f, i, v) { F_##f, (i), (uint64_t)(v) }
#define WN(f, v) { F_INNER | F_##f, 0, (uint64_t)(v) }

static uint64_t get_field(const struct record *r, unsigned int f, unsigned int i)
{
	const struct ip_layer *ip = (f & F_INNER) ? &r->inner : &r->ip;

	ck_assert_uint_lt(i, DECODE_MAX_EXTHDRS);
	switch (f & ~F_INNER) {
	case F_HAS_INNER:
		return r->has_inner;
#define GET(n, e) case F_##n: return (uint64_t)(e);
	FIELDS(GET)
#undef GET
	}
	ck_abort_msg("unknown field %u", f);
	return 0;
}

#define MAXW 48

struct dcase {
	const char *name;
	uint8_t family;         /* NFPROTO_*; 0: bridge with hw_protocol */
	uint16_t hw_protocol;
	const char *hex;
	size_t cut;             /* payload_len if non-zero (snap length) */
	const char *src, *dst;  /* expected addresses in hex, if set */
	struct fv want[MAXW];
};

#define V4 NFPROTO_IPV4
#define V6 NFPROTO_IPV6

/* Fixed parts. */
#define IP4(tos, id, frag, ttl, proto) \
	"45" tos "LLLL" id frag ttl proto "beef c0a80001 c0a80002"
#define TCP_SYN "3039 0050 00000001 00000000 5002 7210 0000 0000"
#define UDP_53 "3039 0035 0010 abcd 0102030405060708"
#define IP6(next) "62a12345 PPPP" next "40" \
	"20010db8000000000000000000000001 20010db8000000000000000000000002"
#define SRC6 "20010db8000000000000000000000001"
#define DST6 "20010db8000000000000000000000002"
#define DSTOPT(next) next "00 0104 00000000"

/* A 60-byte IPv4/TCP packet: 20 + 20 + 20 bytes of data. */
#define TCP60 IP4("00", "0001", "4000", "40", "06") TCP_SYN \
	"000102030405060708090a0b0c0d0e0f10111213"

/* 20 DSTOPTS headers, then TCP */
#define DST5 DSTOPT("3c") DSTOPT("3c") DSTOPT("3c") DSTOPT("3c") DSTOPT("3c")

static const struct dcase cases[] = {
	/* --- IPv4 header ------------------------------------------------- */
	{ "ipv4 every header field", V4, 0,
	  "45b8 LLLL abcd 4000 3f06 1a2b 0a000001 c0a80102"
	  "3039 0050 01020304 a1b2c3d4 5018 fffe 1234 0000"
	  "68656c6c6f", 0, NULL, NULL,
	  { W(KIND, L3_IPV4), W(STATUS, DECODE_OK), W(IHL, 5), W(TOS, 0xb8),
	    W(LEN, 45), W(ID, 0xabcd), W(FRAGW, 0x4000), W(TTL, 63),
	    W(PROTO, 6), W(CHECK, 0x1a2b), W(SRC4, 0x0a000001),
	    W(DST4, 0xc0a80102), W(AVAIL, 45), W(WIRE, 45), W(SNAPPED, 0),
	    W(FRAG, 0), W(MF, 0), W(FRAG_OFF, 0), W(FRAG_ID, 0xabcd),
	    W(IPOPT_N, 0), W(L4_OFF, 20), W(L4_AVAIL, 25), W(L4_WIRE, 25),
	    W(L4, L4_DECODED), W(HAS_INNER, 0) } },
	{ "ipv4 CE flag", V4, 0,
	  IP4("00", "0001", "8000", "40", "06") TCP_SYN, 0, NULL, NULL,
	  { W(FRAGW, 0x8000), W(FRAG, 0), W(MF, 0), W(L4, L4_DECODED) } },
	{ "ipv4 DF flag", V4, 0,
	  IP4("00", "0001", "4000", "40", "06") TCP_SYN, 0, NULL, NULL,
	  { W(FRAGW, 0x4000), W(FRAG, 0), W(MF, 0), W(L4, L4_DECODED) } },
	{ "ipv4 first fragment (MF, offset 0): transport decoded", V4, 0,
	  IP4("00", "4242", "2000", "40", "06") TCP_SYN, 0, NULL, NULL,
	  { W(FRAGW, 0x2000), W(FRAG, 1), W(MF, 1), W(FRAG_OFF, 0),
	    W(FRAG_ID, 0x4242), W(L4, L4_DECODED), W(SPORT, 12345),
	    W(DPORT, 80), W(STATUS, DECODE_OK) } },
	{ "ipv4 CE+DF+MF", V4, 0,
	  IP4("00", "0001", "e000", "40", "11") UDP_53, 0, NULL, NULL,
	  { W(FRAGW, 0xe000), W(FRAG, 1), W(MF, 1), W(FRAG_OFF, 0),
	    W(L4, L4_DECODED), W(UDPORT, 53) } },
	{ "ipv4 non-first fragment: no transport", V4, 0,
	  IP4("00", "4242", "20b9", "40", "06") TCP_SYN, 0, NULL, NULL,
	  { W(FRAG, 1), W(MF, 1), W(FRAG_OFF, 1480), W(FRAG_ID, 0x4242),
	    W(PROTO, 6), W(L4, L4_FRAGMENT), W(SPORT, 0), W(DPORT, 0),
	    W(STATUS, DECODE_OK) } },
	{ "ipv4 last fragment: no transport", V4, 0,
	  IP4("00", "4242", "0001", "40", "11") "0102", 0, NULL, NULL,
	  { W(FRAG, 1), W(MF, 0), W(FRAG_OFF, 8), W(L4, L4_FRAGMENT),
	    W(STATUS, DECODE_OK) } },
	{ "ipv4 IHL 4 (< 5): bad, no crash", V4, 0,
	  "44000028000140004006beefc0a80001c0a80002" TCP_SYN, 0, NULL, NULL,
	  { W(STATUS, DECODE_BAD_IHL), W(IHL, 4), W(L4_OFF, 16), W(LEN, 40) } },
	{ "ipv4 IHL 0: bad, no crash", V4, 0,
	  "40000028000140004006beefc0a80001c0a80002" TCP_SYN, 0, NULL, NULL,
	  { W(STATUS, DECODE_BAD_IHL), W(IHL, 0), W(L4_OFF, 0) } },
	{ "ipv4 IHL 15 past the packet", V4, 0,
	  "4f00 LLLL 0001 0000 4011 beef c0a80001 c0a80002 01010101", 0,
	  NULL, NULL,
	  { W(STATUS, DECODE_TRUNC_L3_OPTS), W(IHL, 15), W(LEN, 24),
	    W(SNAPPED, 0), W(IPOPT_RAW, 4), W(IPOPT_WANT, 40), W(L4_OFF, 60),
	    W(L4, L4_TRUNCATED) } },
	{ "ipv4 IHL 15 past the capture", V4, 0,
	  "4f00 LLLL 0001 0000 4011 beef c0a80001 c0a80002"
	  "01010101 01010101 01010101 01010101 01010101"
	  "01010101 01010101 01010101 01010101 01010100" UDP_53, 30, NULL, NULL,
	  { W(STATUS, DECODE_TRUNC_L3_OPTS), W(LEN, 76), W(AVAIL, 30),
	    W(WIRE, 76), W(SNAPPED, 1), W(IPOPT_RAW, 10), W(IPOPT_WANT, 40),
	    W(IPOPT_BAD, 0), W(L4, L4_SNAPPED) } },
	{ "ipv4 header cut short", V4, 0,
	  "45000028000140004006beefc0a8", 0, NULL, NULL,
	  { W(KIND, L3_IPV4), W(STATUS, DECODE_TRUNC_L3), W(L4, L4_ABSENT) } },
	{ "ipv4 family but version 6", V4, 0,
	  "65000014000100004011beefc0a80001c0a80002", 0, NULL, NULL,
	  { W(KIND, L3_IPV4), W(STATUS, DECODE_BAD_VERSION) } },
	{ "bridge, hw_protocol IPv4", 0, ETH_P_IP,
	  IP4("00", "0001", "4000", "40", "11") UDP_53, 0, NULL, NULL,
	  { W(KIND, L3_IPV4), W(PROTO, 17), W(L4, L4_DECODED), W(USPORT, 12345) } },
	{ "bridge, hw_protocol IPv6", 0, ETH_P_IPV6,
	  IP6("11") UDP_53, 0, SRC6, DST6,
	  { W(KIND, L3_IPV6), W(PROTO, 17), W(L4, L4_DECODED), W(UDPORT, 53) } },
	{ "bridge, hw_protocol ARP", 0, ETH_P_ARP,
	  "0001 0800 0604 0001 020000000001 c0a80001 000000000000 c0a80002", 0,
	  NULL, NULL,
	  { W(KIND, L3_OTHER), W(AVAIL, 28), W(L4, L4_ABSENT) } },

	/* --- TCP ----------------------------------------------------------- */
	{ "tcp every field, all 9 flags", V4, 0,
	  IP4("00", "0001", "4000", "40", "06")
	  "fffe 0001 ffffffff 80000000 51ff 0102 a5a5 7fff", 0, NULL, NULL,
	  { W(L4, L4_DECODED), W(SPORT, 0xfffe), W(DPORT, 1),
	    W(SEQ, 0xffffffff), W(ACK, 0x80000000), W(DOFF, 5), W(RES, 0),
	    W(FLAGS, 0x1ff), W(WINDOW, 0x0102), W(TCHECK, 0xa5a5),
	    W(URGP, 0x7fff), W(TOPT_N, 0), W(STATUS, DECODE_OK) } },
	{ "tcp AE only", V4, 0,
	  IP4("00", "0001", "4000", "40", "06")
	  "0001 0002 00000000 00000000 5100 0000 0000 0000", 0, NULL, NULL,
	  { W(FLAGS, TCPF_AE), W(RES, 0) } },
	{ "tcp CWR+ECE (SYN ECN setup)", V4, 0,
	  IP4("00", "0001", "4000", "40", "06")
	  "0001 0002 00000000 00000000 50c2 0000 0000 0000", 0, NULL, NULL,
	  { W(FLAGS, TCPF_CWR | TCPF_ECE | TCPF_SYN), W(RES, 0) } },
	{ "tcp reserved bit 1", V4, 0,
	  IP4("00", "0001", "4000", "40", "06")
	  "0001 0002 00000000 00000000 5210 0000 0000 0000", 0, NULL, NULL,
	  { W(RES, 1), W(FLAGS, TCPF_ACK), W(DOFF, 5) } },
	{ "tcp reserved bit 2", V4, 0,
	  IP4("00", "0001", "4000", "40", "06")
	  "0001 0002 00000000 00000000 5410 0000 0000 0000", 0, NULL, NULL,
	  { W(RES, 2), W(FLAGS, TCPF_ACK), W(DOFF, 5) } },
	{ "tcp reserved bit 3", V4, 0,
	  IP4("00", "0001", "4000", "40", "06")
	  "0001 0002 00000000 00000000 5810 0000 0000 0000", 0, NULL, NULL,
	  { W(RES, 4), W(FLAGS, TCPF_ACK), W(DOFF, 5) } },
	{ "tcp all reserved bits and AE", V4, 0,
	  IP4("00", "0001", "4000", "40", "06")
	  "0001 0002 00000000 00000000 5f00 0000 0000 0000", 0, NULL, NULL,
	  { W(RES, 7), W(FLAGS, TCPF_AE), W(DOFF, 5) } },
	{ "tcp data offset 4 (< 5)", V4, 0,
	  IP4("00", "0001", "4000", "40", "06")
	  "0001 0002 00000000 00000000 4002 0000 0000 0000", 0, NULL, NULL,
	  { W(STATUS, DECODE_BAD_DOFF), W(DOFF, 4), W(TOPT_N, 0),
	    W(SPORT, 1) } },
	{ "tcp data offset 0", V4, 0,
	  IP4("00", "0001", "4000", "40", "06")
	  "0001 0002 00000000 00000000 0002 0000 0000 0000", 0, NULL, NULL,
	  { W(STATUS, DECODE_BAD_DOFF), W(DOFF, 0), W(TOPT_N, 0) } },
	{ "tcp data offset 15 past the packet", V4, 0,
	  IP4("00", "0001", "4000", "40", "06")
	  "0001 0002 00000000 00000000 f002 0000 0000 0000 01010101", 0,
	  NULL, NULL,
	  { W(STATUS, DECODE_TRUNC_L4_OPTS), W(SNAPPED, 0), W(DOFF, 15),
	    W(TOPT_RAW, 4), W(TOPT_WANT, 40), W(TOPT_N, 4), W(TOPT_BAD, 0),
	    W(L4, L4_DECODED) } },
	{ "tcp options cut by the snap length", V4, 0,
	  IP4("00", "0001", "4000", "40", "06")
	  "0001 0002 00000000 00000000 a002 0000 0000 0000"
	  "020405b4 0402080a 00000001 00000000 01030307", 48, NULL, NULL,
	  { W(STATUS, DECODE_TRUNC_L4_OPTS), W(SNAPPED, 1), W(TOPT_RAW, 8),
	    W(TOPT_WANT, 20), W(TOPT_N, 2), W(TOPT_BAD, 0), W(LEN, 60),
	    W(L4, L4_DECODED) } },
	{ "udp", V4, 0, IP4("00", "0001", "4000", "40", "11") UDP_53, 0,
	  NULL, NULL,
	  { W(PROTO, 17), W(L4, L4_DECODED), W(USPORT, 12345), W(UDPORT, 53),
	    W(ULEN, 16), W(UCHECK, 0xabcd), W(L4_AVAIL, 16) } },
	{ "udp-lite", V4, 0, IP4("00", "0001", "4000", "40", "88") UDP_53, 0,
	  NULL, NULL,
	  { W(PROTO, 136), W(L4, L4_DECODED), W(USPORT, 12345), W(UDPORT, 53),
	    W(ULEN, 16) } },
	{ "udp header 4 bytes short", V4, 0,
	  IP4("00", "0001", "4000", "40", "11") "30390035", 0, NULL, NULL,
	  { W(PROTO, 17), W(L4, L4_TRUNCATED), W(STATUS, DECODE_TRUNC_L4),
	    W(SNAPPED, 0) } },

	/* --- snapped vs truncated --------------------------------------- */
	{ "tcp cut at 30 bytes by the snap length", V4, 0, TCP60, 30,
	  NULL, NULL,
	  { W(LEN, 60), W(AVAIL, 30), W(WIRE, 60), W(SNAPPED, 1),
	    W(L4, L4_SNAPPED), W(STATUS, DECODE_TRUNC_L4), W(L4_AVAIL, 10),
	    W(L4_WIRE, 40) } },
	{ "tcp: total length ends inside the tcp header", V4, 0,
	  "4500 001e 0001 4000 4006 beef c0a80001 c0a80002 3039 0050 0000 0001 0000",
	  0, NULL, NULL,
	  { W(LEN, 30), W(AVAIL, 30), W(WIRE, 30), W(SNAPPED, 0),
	    W(L4, L4_TRUNCATED), W(STATUS, DECODE_TRUNC_L4), W(L4_AVAIL, 10),
	    W(L4_WIRE, 10) } },
	{ "ipv6 tcp cut at 50 bytes by the snap length", V6, 0,
	  IP6("06") TCP_SYN, 50, SRC6, DST6,
	  { W(LEN, 60), W(AVAIL, 50), W(SNAPPED, 1), W(L4, L4_SNAPPED),
	    W(STATUS, DECODE_TRUNC_L4) } },
	{ "ipv6 tcp: payload length ends inside the tcp header", V6, 0,
	  "62a12345 000a 06 40" SRC6 DST6 "3039 0050 0000 0001 0000", 0,
	  SRC6, DST6,
	  { W(LEN, 50), W(SNAPPED, 0), W(L4, L4_TRUNCATED),
	    W(STATUS, DECODE_TRUNC_L4) } },

	/* --- ICMP ------------------------------------------------------- */
	{ "icmp echo request", V4, 0,
	  IP4("00", "0001", "0000", "40", "01") "0800 f7fe 1234 0001 6162", 0,
	  NULL, NULL,
	  { W(PROTO, 1), W(L4, L4_DECODED), W(ITYPE, 8), W(ICODE, 0),
	    W(ICHECK, 0xf7fe), W(IREST, 0x12340001), W(HAS_ECHO, 1),
	    W(IID, 0x1234), W(ISEQ, 1), W(IS_ERR, 0), W(HAS_INNER, 0) } },
	{ "icmp echo reply", V4, 0,
	  IP4("00", "0001", "0000", "40", "01") "0000 0000 abcd ffff", 0,
	  NULL, NULL,
	  { W(ITYPE, 0), W(HAS_ECHO, 1), W(IID, 0xabcd), W(ISEQ, 0xffff),
	    W(HAS_INNER, 0) } },
	{ "icmp frag needed with quoted ipv4+udp", V4, 0,
	  IP4("c0", "0001", "0000", "40", "01") "0304 0000 0000 05c8"
	  "4500 05dc 0777 4000 3f11 0000 c0a80002 0a000009"
	  "1f90 0035 05c8 0000", 0, NULL, NULL,
	  { W(ITYPE, 3), W(ICODE, 4), W(IS_ERR, 1), W(HAS_MTU, 1),
	    W(IMTU, 1480), W(HAS_ECHO, 0), W(HAS_INNER, 1),
	    WN(KIND, L3_IPV4), WN(STATUS, DECODE_OK), WN(LEN, 1500),
	    WN(AVAIL, 28), WN(WIRE, 28), WN(ID, 0x777), WN(TTL, 63),
	    WN(SRC4, 0xc0a80002), WN(DST4, 0x0a000009), WN(PROTO, 17),
	    WN(L4, L4_DECODED), WN(USPORT, 8080), WN(UDPORT, 53),
	    WN(ULEN, 1480) } },
	{ "icmp time exceeded quoting 8 bytes of tcp", V4, 0,
	  IP4("c0", "0001", "0000", "40", "01") "0b00 0000 0000 0000"
	  "4500 0034 0001 4000 0106 0000 c0a80002 0a000009"
	  "3039 0050 00000001", 0, NULL, NULL,
	  { W(ITYPE, 11), W(IS_ERR, 1), W(HAS_INNER, 1), WN(LEN, 52),
	    WN(PROTO, 6), WN(L4, L4_TRUNCATED), WN(STATUS, DECODE_TRUNC_L4),
	    WN(L4_WIRE, 8), WN(SNAPPED, 0) } },
	{ "icmp redirect: gateway", V4, 0,
	  IP4("c0", "0001", "0000", "40", "01") "0501 0000 c0a801fe"
	  "4500 001c 0001 0000 4011 0000 c0a80002 08080808 1f90 0035 0008 0000",
	  0, NULL, NULL,
	  { W(ITYPE, 5), W(ICODE, 1), W(HAS_GW, 1), W(IGW, 0xc0a801fe),
	    W(IS_ERR, 1), W(HAS_INNER, 1), WN(DST4, 0x08080808),
	    WN(L4, L4_DECODED) } },
	{ "icmp parameter problem: pointer", V4, 0,
	  IP4("c0", "0001", "0000", "40", "01") "0c00 0000 14000000"
	  "4600 0020 0001 0000 4011 0000 c0a80002 08080808 94040000"
	  "1f90 0035 0008 0000", 0, NULL, NULL,
	  { W(ITYPE, 12), W(HAS_PTR, 1), W(IPTR, 20), W(IS_ERR, 1),
	    W(HAS_INNER, 1), WN(IHL, 6), WN(IPOPT_N, 1), WN(L4_OFF, 24),
	    WN(L4, L4_DECODED) } },
	{ "icmp error with nothing quoted", V4, 0,
	  IP4("c0", "0001", "0000", "40", "01") "0303 0000 00000000", 0,
	  NULL, NULL,
	  { W(ITYPE, 3), W(ICODE, 3), W(HAS_MTU, 0), W(IS_ERR, 1),
	    W(HAS_INNER, 1), WN(STATUS, DECODE_TRUNC_L3), WN(AVAIL, 0) } },
	{ "icmp unknown type", V4, 0,
	  IP4("00", "0001", "0000", "40", "01") "c800 0000 01020304", 0,
	  NULL, NULL,
	  { W(ITYPE, 200), W(IREST, 0x01020304), W(HAS_ECHO, 0), W(IS_ERR, 0),
	    W(HAS_MTU, 0), W(HAS_GW, 0), W(HAS_PTR, 0), W(HAS_INNER, 0) } },
	{ "icmp header cut short", V4, 0,
	  IP4("00", "0001", "0000", "40", "01") "0800 f7fe", 0, NULL, NULL,
	  { W(L4, L4_TRUNCATED), W(STATUS, DECODE_TRUNC_L4), W(HAS_INNER, 0) } },
	{ "icmpv6 echo request", V6, 0,
	  IP6("3a") "8000 1234 abcd 0007", 0, SRC6, DST6,
	  { W(PROTO, 58), W(L4, L4_DECODED), W(ITYPE, 128), W(HAS_ECHO, 1),
	    W(IID, 0xabcd), W(ISEQ, 7), W(IS_ERR, 0), W(HAS_INNER, 0) } },
	{ "icmpv6 packet too big with quoted ipv6+udp", V6, 0,
	  IP6("3a") "0200 0000 00000500"
	  "60000000 05b0 11 3f" DST6 SRC6 "1f90 0035 05b0 0000", 0, SRC6, DST6,
	  { W(ITYPE, 2), W(HAS_MTU, 1), W(IMTU, 1280), W(IS_ERR, 1),
	    W(HAS_INNER, 1), WN(KIND, L3_IPV6), WN(LEN, 1496), WN(TTL, 63),
	    WN(PROTO, 17), WN(L4, L4_DECODED), WN(USPORT, 8080),
	    WN(WIRE, 48), WN(AVAIL, 48), WN(STATUS, DECODE_OK) } },
	{ "icmpv6 parameter problem: pointer", V6, 0,
	  IP6("3a") "0400 0000 0000002a"
	  "60000000 0008 11 3f" DST6 SRC6 "1f90 0035 0008 0000", 0, SRC6, DST6,
	  { W(ITYPE, 4), W(HAS_PTR, 1), W(IPTR, 42), W(IS_ERR, 1),
	    W(HAS_INNER, 1), WN(L4, L4_DECODED) } },

	/* --- other transports -------------------------------------------- */
	{ "ah over ipv4: spi", V4, 0,
	  IP4("00", "0001", "4000", "40", "33")
	  "0604 0000 00001000 00000001 000000000000000000000000", 0, NULL, NULL,
	  { W(PROTO, 51), W(L4, L4_DECODED), W(SPI, 0x1000) } },
	{ "esp over ipv4: spi", V4, 0,
	  IP4("00", "0001", "4000", "40", "32") "deadbeef 00000001 0102", 0,
	  NULL, NULL,
	  { W(PROTO, 50), W(L4, L4_DECODED), W(SPI, 0xdeadbeef) } },
	{ "gre", V4, 0,
	  IP4("00", "0001", "4000", "40", "2f") "0000 0800" "45", 0, NULL, NULL,
	  { W(PROTO, 47), W(L4, L4_DECODED), W(GRE_FV, 0), W(GRE_PROTO, 0x0800) } },
	{ "sctp ports", V4, 0,
	  IP4("00", "0001", "4000", "40", "84") "0b59 0b5a 11223344 00000000", 0,
	  NULL, NULL,
	  { W(PROTO, 132), W(L4, L4_DECODED), W(SCTP_SPORT, 2905),
	    W(SCTP_DPORT, 2906), W(SCTP_VTAG, 0x11223344) } },
	{ "unknown protocol 253", V4, 0,
	  IP4("00", "0001", "4000", "40", "fd") "01020304", 0, NULL, NULL,
	  { W(PROTO, 253), W(L4, L4_ABSENT), W(STATUS, DECODE_OK),
	    W(L4_OFF, 20), W(L4_AVAIL, 4) } },

	/* --- IPv6 ------------------------------------------------------- */
	{ "ipv6 header fields", V6, 0, IP6("06") TCP_SYN, 0, SRC6, DST6,
	  { W(KIND, L3_IPV6), W(STATUS, DECODE_OK), W(TOS, 0x2a),
	    W(FLOW, 0x12345), W(PLEN6, 20), W(LEN, 60), W(NEXTHDR, 6),
	    W(TTL, 64), W(N_EXT, 0), W(PROTO, 6), W(L4_OFF, 40),
	    W(L4, L4_DECODED), W(SPORT, 12345), W(FRAG, 0) } },
	{ "ipv6 hop-by-hop, routing, dstopts, fragment, tcp", V6, 0,
	  IP6("00") "2b00 0104 00000000"
	  "3c02 0401 00000000 20010db8000000000000000000000009"
	  "2c00 0104 00000000"
	  "0600 0001 12345678" TCP_SYN, 0, SRC6, DST6,
	  { W(STATUS, DECODE_OK), W(N_EXT, 4), W(NEXTHDR, 0),
	    WI(EXT_TYPE, 0, 0), WI(EXT_OFF, 0, 40), WI(EXT_LEN, 0, 8),
	    WI(EXT_TYPE, 1, 43), WI(EXT_OFF, 1, 48), WI(EXT_LEN, 1, 24),
	    WI(EXT_RTYPE, 1, 4), WI(EXT_RSEGS, 1, 1),
	    WI(EXT_TYPE, 2, 60), WI(EXT_OFF, 2, 72), WI(EXT_LEN, 2, 8),
	    WI(EXT_TYPE, 3, 44), WI(EXT_OFF, 3, 80), WI(EXT_LEN, 3, 8),
	    WI(EXT_COMPLETE, 3, 1), WI(EXT_FOFF, 3, 0), WI(EXT_FMORE, 3, 1),
	    WI(EXT_FID, 3, 0x12345678),
	    W(FRAG, 1), W(MF, 1), W(FRAG_OFF, 0), W(FRAG_ID, 0x12345678),
	    W(PROTO, 6), W(L4_OFF, 88), W(L4, L4_DECODED), W(SPORT, 12345),
	    W(LEN, 108) } },
	{ "ipv6 non-first fragment: no transport", V6, 0,
	  IP6("2c") "0600 05a8 0000abcd" TCP_SYN, 0, SRC6, DST6,
	  { W(N_EXT, 1), WI(EXT_FOFF, 0, 1448), WI(EXT_FMORE, 0, 0),
	    W(FRAG, 1), W(MF, 0), W(FRAG_OFF, 1448), W(FRAG_ID, 0xabcd),
	    W(PROTO, 6), W(L4, L4_FRAGMENT), W(SPORT, 0), W(STATUS, DECODE_OK) } },
	{ "ipv6 non-first fragment, then dstopts: not walked", V6, 0,
	  IP6("2c") "3c00 0009 0000abcd" DSTOPT("06") TCP_SYN, 0, SRC6, DST6,
	  { W(N_EXT, 1), W(FRAG_OFF, 8), W(MF, 1), W(PROTO, 60),
	    W(L4, L4_FRAGMENT) } },
	{ "ipv6 ah then tcp", V6, 0,
	  IP6("33") "0604 0000 00000100 00000001 000000000000000000000000"
	  TCP_SYN, 0, SRC6, DST6,
	  { W(N_EXT, 1), WI(EXT_TYPE, 0, 51), WI(EXT_LEN, 0, 24),
	    WI(EXT_SPI, 0, 0x100), WI(EXT_COMPLETE, 0, 1), W(PROTO, 6),
	    W(L4_OFF, 64), W(L4, L4_DECODED), W(DPORT, 80) } },
	{ "ipv6 esp stops the walk", V6, 0,
	  IP6("32") "cafebabe 00000001 0102030405060708", 0, SRC6, DST6,
	  { W(N_EXT, 1), WI(EXT_TYPE, 0, 50), WI(EXT_SPI, 0, 0xcafebabe),
	    WI(EXT_COMPLETE, 0, 1), W(PROTO, 50), W(L4_OFF, 40),
	    W(L4, L4_ESP_OPAQUE), W(STATUS, DECODE_OK) } },
	{ "ipv6 no next header", V6, 0, IP6("3b"), 0, SRC6, DST6,
	  { W(N_EXT, 0), W(PROTO, 59), W(L4, L4_NONE_NEXT),
	    W(STATUS, DECODE_OK), W(LEN, 40) } },
	{ "ipv6 hop-by-hop then no next header", V6, 0,
	  IP6("00") DSTOPT("3b"), 0, SRC6, DST6,
	  { W(N_EXT, 1), W(PROTO, 59), W(L4, L4_NONE_NEXT), W(L4_OFF, 48) } },
	{ "ipv6 chain of 20 extension headers", V6, 0,
	  IP6("3c") DST5 DST5 DST5 DSTOPT("3c") DSTOPT("3c") DSTOPT("3c")
	  DSTOPT("3c") DSTOPT("06") TCP_SYN, 0, SRC6, DST6,
	  { W(STATUS, DECODE_ERR_EXT_LOOP), W(N_EXT, DECODE_MAX_EXTHDRS) } },
	{ "ipv6 extension header length runs past the packet", V6, 0,
	  IP6("00") "060a 0104 00000000 00000000", 0, SRC6, DST6,
	  { W(N_EXT, 1), WI(EXT_TYPE, 0, 0), WI(EXT_LEN, 0, 88),
	    W(STATUS, DECODE_TRUNC_EXTHDR), W(L4, L4_TRUNCATED),
	    W(SNAPPED, 0) } },
	{ "ipv6 extension header cut short", V6, 0,
	  IP6("3c") "06", 0, SRC6, DST6,
	  { W(STATUS, DECODE_TRUNC_EXTHDR), W(L4, L4_TRUNCATED), W(SNAPPED, 0) } },
	{ "ipv6 fragment header cut by the snap length", V6, 0,
	  IP6("2c") "0600 0001 12345678" TCP_SYN, 44, SRC6, DST6,
	  { W(STATUS, DECODE_TRUNC_EXTHDR), W(L4, L4_SNAPPED), W(SNAPPED, 1),
	    WI(EXT_COMPLETE, 0, 0) } },
	{ "ipv6 header cut short", V6, 0, "62a12345 0000 06 40 20010db8", 0,
	  NULL, NULL,
	  { W(KIND, L3_IPV6), W(STATUS, DECODE_TRUNC_L3) } },
	{ "ipv6 family but version 4", V6, 0,
	  "42a12345 0000 3b 40" SRC6 DST6, 0, NULL, NULL,
	  { W(KIND, L3_IPV6), W(STATUS, DECODE_BAD_VERSION) } },
};

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void run_case(const struct dcase *c)
{
	uint8_t *pkt = malloc(MAXPKT);
	size_t n;
	struct nflog_meta m;
	struct record rec;
	uint8_t *exact;

	ck_assert_ptr_nonnull(pkt);
	n = tu_mkpkt(c->hex, pkt, MAXPKT);
	if (c->cut) {
		ck_assert_uint_le(c->cut, n);
		n = c->cut;
	}
	/* An exact-size copy, so a read past the end trips ASan. */
	exact = tu_exact_copy(pkt, n);
	free(pkt);

	memset(&m, 0, sizeof(m));
	if (c->family) {
		m.family = c->family;
	} else {
		m.family = NFPROTO_BRIDGE;
		m.present = NFLOG_HAVE_HWPROTO;
		m.hw_protocol = c->hw_protocol;
	}
	m.present |= NFLOG_HAVE_PAYLOAD;
	m.payload = exact;
	m.payload_len = n;
	memset(&rec, 0x5a, sizeof(rec));
	decode_packet(&m, &rec);
	ck_assert_ptr_eq(rec.meta, &m);

	for (const struct fv *w = c->want; w->f != F_END; w++) {
		uint64_t got = get_field(&rec, w->f, w->i);

		ck_assert_msg(got == w->v, "%s: %s%s[%u] = %llu (%#llx), want %llu (%#llx)",
			      c->name, (w->f & F_INNER) ? "inner." : "",
			      fld_name[w->f & ~F_INNER], w->i,
			      (unsigned long long)got, (unsigned long long)got,
			      (unsigned long long)w->v, (unsigned long long)w->v);
	}
	if (c->src) {
		uint8_t a[16];

		ck_assert_uint_eq(tu_unhex(c->src, a, 16), 16);
		ck_assert_msg(memcmp(rec.ip.src, a, 16) == 0, "%s: src", c->name);
		ck_assert_uint_eq(tu_unhex(c->dst, a, 16), 16);
		ck_assert_msg(memcmp(rec.ip.dst, a, 16) == 0, "%s: dst", c->name);
	}
	free(exact);
}

START_TEST(test_decode_table)
{
	run_case(&cases[_i]);
}
END_TEST

/* ---- option lists ------------------------------------------------------ */

struct optw {
	uint8_t kind, len;
	const char *data;       /* hex of len - 2 bytes; NULL for EOL/NOP */
};

struct opt_case {
	const char *name;
	const char *opts;       /* option area as in the header (x4 bytes) */
	size_t cut;             /* bytes of the area captured; 0: all */
	bool malformed;
	uint8_t n;
	struct optw o[12];
};

static const struct opt_case ipopt_cases[] = {
	{ "every kind and padding",
	  "01 070704 00000000 44080501 00000000 830704c0 a8000189 07040a00"
	  "00019404 00009903 ab000000", 0, false, 8,
	  { { 1, 1, NULL }, { 7, 7, "0400000000" }, { 68, 8, "050100000000" },
	    { 131, 7, "04c0a80001" }, { 137, 7, "040a000001" },
	    { 148, 4, "0000" }, { 153, 3, "ab" }, { 0, 1, NULL } } },
	{ "EOL first", "00000000", 0, false, 1, { { 0, 1, NULL } } },
	{ "NOPs then EOL", "01010100", 0, false, 4,
	  { { 1, 1, NULL }, { 1, 1, NULL }, { 1, 1, NULL }, { 0, 1, NULL } } },
	{ "RA filling the area", "94040000", 0, false, 1,
	  { { 148, 4, "0000" } } },
	{ "length 0", "07000000", 0, true, 0, { { 0 } } },
	{ "length 1", "01070100", 0, true, 1, { { 1, 1, NULL } } },
	{ "length overruns the area", "07080400", 0, true, 0, { { 0 } } },
	{ "NOP, then an overrun", "01440c05 00000000", 0, true, 1,
	  { { 1, 1, NULL } } },
	{ "kind without a length byte at the end", "01010107", 0, true, 3,
	  { { 1, 1, NULL }, { 1, 1, NULL }, { 1, 1, NULL } } },
	{ "cut by the snap length: not malformed",
	  "070b0400 00000000 00000000", 6, false, 0, { { 0 } } },
	{ "cut before a length byte: not malformed",
	  "01010107 04000000", 4, false, 3,
	  { { 1, 1, NULL }, { 1, 1, NULL }, { 1, 1, NULL } } },
};

static const struct opt_case tcpopt_cases[] = {
	{ "SYN: MSS, SACK_PERM, TS, NOP, WS",
	  "020405b4 0402080a 00000001 00000000 01030307", 0, false, 5,
	  { { 2, 4, "05b4" }, { 4, 2, "" }, { 8, 10, "0000000100000000" },
	    { 1, 1, NULL }, { 3, 3, "07" } } },
	{ "SACK with two blocks",
	  "01010512 00000001 00000002 00000003 00000004", 0, false, 3,
	  { { 1, 1, NULL }, { 1, 1, NULL },
	    { 5, 18, "00000001000000020000000300000004" } } },
	{ "MD5 (19)", "1312 00112233445566778899aabbccddeeff 0101", 0, false, 3,
	  { { 19, 18, "00112233445566778899aabbccddeeff" }, { 1, 1, NULL },
	    { 1, 1, NULL } } },
	{ "AO (29)", "1d100102 0a0b0c0d0e0f101112131415 01010100", 0, false, 5,
	  { { 29, 16, "01020a0b0c0d0e0f101112131415" }, { 1, 1, NULL },
	    { 1, 1, NULL }, { 1, 1, NULL }, { 0, 1, NULL } } },
	{ "MPTCP (30)", "1e0c0081 01020304 05060708", 0, false, 1,
	  { { 30, 12, "00810102030405060708" } } },
	{ "FASTOPEN (34)", "220a1122 33445566 77880101", 0, false, 3,
	  { { 34, 10, "1122334455667788" }, { 1, 1, NULL }, { 1, 1, NULL } } },
	{ "unknown kind 254", "fe04abcd", 0, false, 1, { { 254, 4, "abcd" } } },
	{ "length 0", "02000000", 0, true, 0, { { 0 } } },
	{ "length 1", "02010000", 0, true, 0, { { 0 } } },
	{ "NOP, then TS overrunning the area", "01080a00 00000001", 0, true, 1,
	  { { 1, 1, NULL } } },
	{ "kind without a length byte at the end", "01010102", 0, true, 3,
	  { { 1, 1, NULL }, { 1, 1, NULL }, { 1, 1, NULL } } },
	{ "EOL then garbage: garbage ignored", "0002ffff", 0, false, 1,
	  { { 0, 1, NULL } } },
};

static void check_opts(const char *name, const struct opt_case *c,
		       const struct opt_list *ol, const uint8_t *area,
		       size_t area_len, size_t want_len)
{
	ck_assert_msg(ol->raw == area, "%s: raw does not point at the options",
		      name);
	ck_assert_msg(ol->raw_len == area_len, "%s: raw_len %u, want %zu", name,
		      ol->raw_len, area_len);
	ck_assert_msg(ol->want_len == want_len, "%s: want_len %u, want %zu",
		      name, ol->want_len, want_len);
	ck_assert_msg(ol->malformed == c->malformed, "%s: malformed %d", name,
		      ol->malformed);
	ck_assert_msg(ol->n == c->n, "%s: n = %u, want %u", name, ol->n, c->n);
	for (unsigned int i = 0; i < c->n; i++) {
		const struct opt *o = &ol->o[i];
		const struct optw *w = &c->o[i];

		ck_assert_msg(o->kind == w->kind && o->len == w->len,
			      "%s: option %u is %u/%u, want %u/%u", name, i,
			      o->kind, o->len, w->kind, w->len);
		if (!w->data) {
			ck_assert_msg(o->data == NULL, "%s: option %u data", name, i);
		} else {
			uint8_t d[64];
			size_t n = tu_unhex(w->data, d, sizeof(d));

			ck_assert_uint_eq(n, (size_t)w->len - 2);
			ck_assert_msg(o->data != NULL && memcmp(o->data, d, n) == 0,
				      "%s: option %u data differs", name, i);
			ck_assert_msg(o->data >= area &&
				      o->data + n <= area + area_len,
				      "%s: option %u data outside the area", name, i);
		}
	}
}

START_TEST(test_ipopt_table)
{
	const struct opt_case *c = &ipopt_cases[_i];
	uint8_t pkt[128], *x;
	size_t olen, n;
	struct nflog_meta m = { .family = NFPROTO_IPV4 };
	struct record rec;

	olen = tu_unhex(c->opts, pkt + 20, sizeof(pkt) - 20);
	ck_assert_uint_eq(olen % 4, 0);
	n = 20 + olen + 8;
	tu_unhex("4500 0000 0001 0000 4011 0000 c0a80001 c0a80002", pkt, 20);
	pkt[0] = (uint8_t)(0x40 | (20 + olen) / 4);
	pkt[2] = (uint8_t)(n >> 8);
	pkt[3] = (uint8_t)n;
	tu_unhex("3039003500080000", pkt + 20 + olen, 8);
	if (c->cut)
		n = 20 + c->cut;
	x = tu_exact_copy(pkt, n);
	m.payload = x;
	m.payload_len = n;
	decode_packet(&m, &rec);
	check_opts(c->name, c, &rec.ip.ipopts, x + 20, c->cut ? c->cut : olen,
		   olen);
	ck_assert_uint_eq(rec.ip.status,
			  c->cut ? DECODE_TRUNC_L3_OPTS : DECODE_OK);
	if (!c->cut) {
		ck_assert_uint_eq(rec.ip.l4, L4_DECODED);
		ck_assert_uint_eq(rec.ip.t.udp.dport, 53);
	}
	free(x);
}
END_TEST

START_TEST(test_tcpopt_table)
{
	const struct opt_case *c = &tcpopt_cases[_i];
	uint8_t pkt[128], *x;
	size_t olen, n;
	struct nflog_meta m = { .family = NFPROTO_IPV6 };
	struct record rec;

	olen = tu_unhex(c->opts, pkt + 60, sizeof(pkt) - 60);
	ck_assert_uint_eq(olen % 4, 0);
	n = 60 + olen;
	tu_unhex("60000000 0000 06 40" SRC6 DST6, pkt, 40);
	pkt[4] = (uint8_t)((n - 40) >> 8);
	pkt[5] = (uint8_t)(n - 40);
	tu_unhex("3039 0050 00000001 00000000 0002 ffff 0000 0000", pkt + 40, 20);
	pkt[52] = (uint8_t)((5 + olen / 4) << 4);
	x = tu_exact_copy(pkt, n);
	m.payload = x;
	m.payload_len = n;
	decode_packet(&m, &rec);
	ck_assert_uint_eq(rec.ip.l4, L4_DECODED);
	ck_assert_uint_eq(rec.ip.status, DECODE_OK);
	ck_assert_uint_eq(rec.ip.t.tcp.doff, 5 + olen / 4);
	check_opts(c->name, c, &rec.ip.t.tcp.opts, x + 60, olen, olen);
	free(x);
}
END_TEST

/* ---- names ------------------------------------------------------------- */

static const struct { int which; uint8_t v; const char *name; } name_cases[] = {
	{ 0, 0, "EOL" }, { 0, 1, "NOP" }, { 0, 7, "RR" }, { 0, 68, "TS" },
	{ 0, 131, "LSRR" }, { 0, 137, "SSRR" }, { 0, 148, "RA" },
	{ 0, 153, NULL },
	{ 1, 2, "MSS" }, { 1, 3, "WS" }, { 1, 4, "SACK_PERM" }, { 1, 5, "SACK" },
	{ 1, 8, "TS" }, { 1, 19, "MD5" }, { 1, 29, "AO" }, { 1, 30, "MPTCP" },
	{ 1, 34, "FASTOPEN" }, { 1, 254, NULL },
	{ 2, 1, "ICMP" }, { 2, 6, "TCP" }, { 2, 17, "UDP" }, { 2, 58, "ICMPv6" },
	{ 2, 132, "SCTP" }, { 2, 136, "UDPLITE" }, { 2, 253, NULL },
	{ 3, 0, "HOPOPTS" }, { 3, 43, "ROUTING" }, { 3, 44, "FRAGMENT" },
	{ 3, 60, "DSTOPTS" }, { 3, 6, NULL },
};

START_TEST(test_names)
{
	const char *got;

	switch (name_cases[_i].which) {
	case 0: got = decode_ipopt_name(name_cases[_i].v); break;
	case 1: got = decode_tcpopt_name(name_cases[_i].v); break;
	case 2: got = decode_proto_name(name_cases[_i].v); break;
	default: got = decode_exthdr_name(name_cases[_i].v); break;
	}
	if (name_cases[_i].name)
		ck_assert_msg(got && strcmp(got, name_cases[_i].name) == 0,
			      "%d/%u: %s", name_cases[_i].which,
			      name_cases[_i].v, got ? got : "(null)");
	else
		ck_assert_ptr_null(got);
}
END_TEST

START_TEST(test_status_str_and_exthdr)
{
	for (int st = DECODE_OK; st <= DECODE_ERR_EXT_LOOP; st++) {
		const char *s = decode_status_str((enum decode_status)st);

		ck_assert_ptr_nonnull(s);
		ck_assert_str_ne(s, "unknown");
	}
	for (int p = 0; p < 256; p++) {
		bool want = p == 0 || p == 43 || p == 44 || p == 50 ||
			    p == 51 || p == 59 || p == 60;

		ck_assert_msg(decode_is_exthdr((uint8_t)p) == want, "proto %d", p);
	}
}
END_TEST

/* ---- robustness ---------------------------------------------------------- */

static void decode_buf(const uint8_t *src, size_t len, int how)
{
	uint8_t *x = tu_exact_copy(src, len);
	struct nflog_meta m = { .present = NFLOG_HAVE_PAYLOAD };
	struct record rec;

	switch (how) {
	case 0: m.family = NFPROTO_IPV4; break;
	case 1: m.family = NFPROTO_IPV6; break;
	case 2:
		m.family = NFPROTO_BRIDGE;
		m.present |= NFLOG_HAVE_HWPROTO;
		m.hw_protocol = ETH_P_IP;
		break;
	case 3:
		m.family = NFPROTO_NETDEV;
		m.present |= NFLOG_HAVE_HWPROTO;
		m.hw_protocol = ETH_P_IPV6;
		break;
	default: m.family = NFPROTO_UNSPEC; break;
	}
	m.payload = len ? x : NULL;
	m.payload_len = len;
	decode_packet(&m, &rec);
	/* Whatever came out must be self-consistent enough to format. */
	ck_assert_ptr_nonnull(decode_status_str(rec.ip.status));
	if (rec.ip.kind == L3_IPV4 || rec.ip.kind == L3_IPV6) {
		ck_assert_uint_le(rec.ip.avail, len);
		ck_assert_uint_le(rec.ip.n_ext, DECODE_MAX_EXTHDRS);
		ck_assert_uint_le(rec.ip.ipopts.n, DECODE_MAX_OPTS);
		if (rec.ip.l4 == L4_DECODED && rec.ip.proto == 6)
			ck_assert_uint_le(rec.ip.t.tcp.opts.n, DECODE_MAX_OPTS);
	}
	free(x);
}

START_TEST(test_random_buffers)
{
	uint8_t buf[200];

	srand(1);
	for (int n = 0; n < 20000; n++) {
		/* Half of them look like IP at first glance. */
		size_t len = tu_random_bytes(buf, n & 1);

		decode_buf(buf, len, rand() % 5);
	}
}
END_TEST

/* Mutations of valid packets (tu_seeds). */
START_TEST(test_mutations)
{
	uint8_t pkt[MAXPKT], mut[MAXPKT];
	size_t n = tu_mkpkt(tu_seeds[_i], pkt, sizeof(pkt));

	srand(1);
	for (int k = 0; k < 20000; k++) {
		size_t len = tu_mutate(mut, pkt, n);

		decode_buf(mut, len, (mut[0] >> 4) == 6 ? 1 : 0);
	}
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("packets");

	tcase_add_loop_test(tc, test_decode_table, 0, NELEM(cases));
	tcase_add_loop_test(tc, test_ipopt_table, 0, NELEM(ipopt_cases));
	tcase_add_loop_test(tc, test_tcpopt_table, 0, NELEM(tcpopt_cases));
	tcase_add_loop_test(tc, test_names, 0, NELEM(name_cases));
	tcase_add_test(tc, test_status_str_and_exthdr);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_random_buffers);
	tcase_add_loop_test(tc, test_mutations, 0, tu_nseeds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(decode_suite());
}
