/* decode: the packet bytes of one NFLOG message -> struct record.
 *
 * Pure code: no allocation, no I/O, no logging, no globals.  The record
 * points into the payload buffer.  Every read is bounds-checked against the
 * bytes actually present (the snap length may have cut the packet short);
 * what could not be decoded is said in the record, never guessed.
 */
#ifndef NFLOGD_DECODE_H
#define NFLOGD_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nflog_msg.h"

/* Option lists are at most 40 bytes (IPv4 and TCP), so at most 40 options. */
#define DECODE_MAX_OPTS 40
/* Extension headers decoded before giving up (a chain longer than this is
 * reported as DECODE_ERR_EXT_LOOP). */
#define DECODE_MAX_EXTHDRS 16

enum l3_kind {
	L3_NONE = 0,      /* no payload */
	L3_IPV4,
	L3_IPV6,
	L3_OTHER,         /* not IP (hw_protocol says what) */
};

/* Why decoding stopped early; DECODE_OK when the headers were complete. */
enum decode_status {
	DECODE_OK = 0,
	DECODE_TRUNC_L3,        /* the IP header itself is cut short */
	DECODE_TRUNC_L3_OPTS,   /* IPv4 options cut short */
	DECODE_TRUNC_EXTHDR,    /* an IPv6 extension header cut short */
	DECODE_TRUNC_L4,        /* the transport header is cut short */
	DECODE_TRUNC_L4_OPTS,   /* TCP options cut short */
	DECODE_BAD_IHL,         /* IHL < 5 */
	DECODE_BAD_VERSION,     /* IP version does not match the family */
	DECODE_BAD_DOFF,        /* TCP data offset < 5 */
	DECODE_ERR_EXT_LOOP,    /* too many IPv6 extension headers */
};

/* One IPv4 or TCP option. */
struct opt {
	uint8_t kind;
	uint8_t len;            /* total length incl. kind and len; 1 for EOL/NOP */
	const uint8_t *data;    /* len - 2 bytes of data (NULL for EOL/NOP) */
};

struct opt_list {
	const uint8_t *raw;     /* the whole option area as present */
	uint8_t raw_len;        /* bytes present */
	uint8_t want_len;       /* bytes the header says there are */
	uint8_t n;
	bool malformed;         /* a length byte of 0/1 or overrunning the area */
	struct opt o[DECODE_MAX_OPTS];
};

/* IPv6 extension header in the chain. */
struct ext_hdr {
	uint8_t type;           /* IPPROTO_HOPOPTS, _ROUTING, _FRAGMENT, ... */
	uint16_t offset;        /* from the start of the IPv6 header */
	uint16_t len;           /* bytes (0 when not known: ESP, truncated) */
	union {
		struct {
			uint16_t offset;  /* in bytes (multiple of 8) */
			bool more;
			uint32_t id;
		} frag;
		struct {
			uint8_t type;
			uint8_t segments_left;
		} rt;
		uint32_t spi;             /* AH, ESP */
	} u;
	bool complete;          /* the fixed part was present */
};

enum l4_state {
	L4_ABSENT = 0,          /* no transport header decoded (see why) */
	L4_DECODED,
	L4_FRAGMENT,            /* non-first fragment: no transport decode */
	L4_TRUNCATED,           /* the packet itself ends inside the header
				 * (the kernel says INCOMPLETE) */
	L4_SNAPPED,             /* the header was cut by the snap length */
	L4_ESP_OPAQUE,          /* payload behind ESP is encrypted */
	L4_NONE_NEXT,           /* IPv6 "no next header" */
};

/* TCP flag bits as they sit in the 16-bit word after the data offset. */
enum tcp_flag {
	TCPF_FIN = 0x001, TCPF_SYN = 0x002, TCPF_RST = 0x004, TCPF_PSH = 0x008,
	TCPF_ACK = 0x010, TCPF_URG = 0x020, TCPF_ECE = 0x040, TCPF_CWR = 0x080,
	TCPF_AE = 0x100,
};

struct l4_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t doff;           /* in 32-bit words */
	uint8_t res;            /* the 3 reserved bits, as a number 0..7 */
	uint16_t flags;         /* enum tcp_flag */
	uint16_t window, check, urgp;
	struct opt_list opts;
};

struct l4_udp {
	uint16_t sport, dport, len, check;
};

struct l4_icmp {               /* ICMP and ICMPv6 */
	uint8_t type, code;
	uint16_t check;
	uint32_t rest;          /* the 4 bytes after the checksum, host order */
	/* Fields that rest means for some types (valid per type):  */
	uint16_t id, seq;       /* echo, timestamp */
	uint8_t gateway[4];     /* ICMP redirect */
	uint32_t mtu;           /* frag needed (16 bit) / packet too big */
	uint32_t pointer;       /* parameter problem (ICMP: 8 bits) */
	bool has_echo, has_gateway, has_mtu, has_pointer;
	bool is_error;          /* carries a quoted packet */
};

struct l4_spi {                /* AH and ESP */
	uint32_t spi;
};

struct l4_gre {
	uint16_t flags_ver;
	uint16_t protocol;
};

struct l4_sctp {
	uint16_t sport, dport;
	uint32_t vtag;
};

/* The IP layer and its transport: one level of a packet. */
struct ip_layer {
	enum l3_kind kind;
	enum decode_status status;

	const uint8_t *l3;      /* start of the IP header */
	uint32_t avail;         /* bytes captured from l3 (after snap length) */
	uint32_t wire_len;      /* bytes the packet had from l3 on the wire:
				 * what the kernel's LOG target measures
				 * "INCOMPLETE [n bytes]" against */
	uint32_t pkt_len;       /* total length per the header (LEN=) */
	bool snapped;           /* a header needed lay beyond the captured
				 * bytes: decoding stopped there */

	uint8_t src[16], dst[16];   /* 4 bytes used for IPv4 */
	uint8_t ttl;            /* IPv4 TTL, IPv6 hop limit */
	uint8_t tos;            /* IPv4 TOS byte, IPv6 traffic class */

	/* IPv4 */
	uint8_t ihl;            /* in 32-bit words */
	uint16_t id;
	uint16_t frag_word;     /* flags + offset as on the wire, host order */
	uint16_t check;
	struct opt_list ipopts;

	/* IPv6 */
	uint32_t flowlabel;
	uint16_t payload_len;
	uint8_t nexthdr;        /* first next-header value */
	uint8_t n_ext;
	struct ext_hdr ext[DECODE_MAX_EXTHDRS];

	/* common */
	uint16_t frag_offset;   /* in bytes; 0 for first or unfragmented */
	bool more_frags;
	bool fragment;          /* part of a fragmented datagram */
	uint32_t frag_id;       /* IPv4 id or IPv6 fragment id */

	uint8_t proto;          /* final transport protocol number */
	uint32_t l4_off;        /* from l3 */
	uint32_t l4_avail;      /* bytes captured from l4_off (0 if beyond) */
	uint32_t l4_wire;       /* bytes on the wire from l4_off (0 if beyond) */
	enum l4_state l4;
	union {
		struct l4_tcp tcp;
		struct l4_udp udp;   /* UDP and UDP-Lite */
		struct l4_icmp icmp; /* ICMP and ICMPv6 */
		struct l4_spi spi;
		struct l4_gre gre;
		struct l4_sctp sctp;
	} t;
};

/* A whole decoded packet: metadata, the packet, and for ICMP/ICMPv6 errors
 * the quoted packet decoded one level deep. */
struct record {
	const struct nflog_meta *meta;
	struct ip_layer ip;
	bool has_inner;
	struct ip_layer inner;
};

/* Decode meta->payload into rec.  Never fails: problems are reported in
 * rec->ip.status / rec->ip.l4 and in the inner layer. */
void decode_packet(const struct nflog_meta *meta, struct record *rec);

/* Decode one IP layer starting at buf (used for the quoted packet too):
 * avail bytes are readable, wire_len is the packet's length from buf on
 * (for the outer packet the caller passes SIZE_MAX: taken from the header).
 * family_hint is L3_IPV4 or L3_IPV6 (or L3_NONE: take it from the version
 * nibble).  quoted = true stops recursion into ICMP errors. */
void decode_ip(const uint8_t *buf, size_t avail, size_t wire_len,
	       enum l3_kind family_hint, bool quoted, struct ip_layer *ip);

/* Names, for all formats. */
const char *decode_ipopt_name(uint8_t kind);    /* "RR", "TS", ... or NULL */
const char *decode_tcpopt_name(uint8_t kind);   /* "MSS", "WS", ... or NULL */
const char *decode_proto_name(uint8_t proto);   /* "TCP", "UDP", ... or NULL */
const char *decode_status_str(enum decode_status st);
const char *decode_exthdr_name(uint8_t type);   /* "HOPOPTS", ... or NULL */

/* Is this IP-layer protocol number an IPv6 extension header we walk? */
bool decode_is_exthdr(uint8_t proto);

/* The ports of a decoded TCP, UDP, UDP-Lite or SCTP header (UDP-Lite
 * shares the UDP struct): true and *sport, *dport, else false.  Inline:
 * every format asks for every record. */
static inline bool decode_ports(const struct ip_layer *ip, uint16_t *sport,
				uint16_t *dport)
{
	if (ip->l4 != L4_DECODED)
		return false;
	switch (ip->proto) {
	case 6:         /* TCP */
		*sport = ip->t.tcp.sport;
		*dport = ip->t.tcp.dport;
		return true;
	case 17:        /* UDP */
	case 136:       /* UDP-Lite */
		*sport = ip->t.udp.sport;
		*dport = ip->t.udp.dport;
		return true;
	case 132:       /* SCTP */
		*sport = ip->t.sctp.sport;
		*dport = ip->t.sctp.dport;
		return true;
	default:
		return false;
	}
}

#endif
