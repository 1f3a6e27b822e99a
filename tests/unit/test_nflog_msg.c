/* Unit tests for common/nflog_msg.c.
 *
 * Every row of the table is one nfnetlink_log message built with
 * tu_nflog_begin() and mnl_attr_put*() from attribute specs whose payloads
 * are written in hex, in network byte order, exactly as the kernel sends
 * them.  A row may then damage one attribute's nla_len or the message length.
 * The expected struct nflog_meta is compared field by field, including the
 * present bits (exactly what was sent, nothing more); on error the
 * out-parameter must be untouched.  The same attribute stream is then parsed
 * again without the netlink header with nflog_tlv_parse() (the pcap
 * container), which must give the same answer.
 *
 * NFULA_CT / NFULA_CT_INFO: this machine's kernel cannot send conntrack
 * information (CONFIG_NETFILTER_NETLINK_GLUE_CT is missing, setting
 * NFULNL_CFG_F_CONNTRACK fails with EOPNOTSUPP), so crafted messages below
 * are the only test of that code.  The nests follow
 * ctnetlink_glue_build() / ctnetlink_dump_tuples() of net/netfilter/
 * nf_conntrack_netlink.c.
 */
#include "decode.h"
#include "fmt_journal.h"
#include "fmt_json.h"
#include "nflog_msg.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter_arp.h>
#include <linux/netfilter_bridge.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_log.h>

/* One attribute: a payload in hex, or a nest of children.  An entry with
 * neither ends a list. */
struct aspec {
	uint16_t type;
	const char *hex;
	const struct aspec *nest;
};

#define A(t, h) { .type = (t), .hex = (h) }
#define NEST(t, ...) { .type = (t), \
	.nest = (const struct aspec[]){ __VA_ARGS__, { 0 } } }
#define MAXA 32
/* MNL_SOCKET_BUFFER_SIZE is not a constant: it is at most 8192 bytes. */
#define MSGBUF 8192

struct msg_case {
	const char *name;
	uint8_t family;
	uint16_t group;
	struct aspec attrs[MAXA];
	/* damage */
	unsigned int bad_attr;   /* 1-based, pre-order incl. nested; 0: none */
	uint16_t bad_nla_len;    /* the nla_len it gets */
	int len_delta;           /* added to nlmsg_len */
	uint32_t set_len;        /* nlmsg_len := this, if non-zero */
	uint16_t nlmsg_type;     /* if non-zero instead of ULOG/PACKET */
	/* expected */
	int ret;
	struct nflog_meta want;  /* pointer members unused: see below */
	const char *prefix;      /* hex; NULL: no prefix pointer */
	const char *payload;
	const char *hwheader;
	const char *l2hdr;
};

#define H(x) NFLOG_HAVE_##x
#define CTH(x) NFLOG_CT_HAVE_##x
#define PKT_TYPE ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)

/* A complete CT nest as ctnetlink_glue_build() lays it out (IPv4 TCP). */
#define CT_V4_NEST \
	NEST(NFULA_CT, \
	     NEST(CTA_TUPLE_ORIG, \
		  NEST(CTA_TUPLE_IP, A(CTA_IP_V4_SRC, "c0a80001"), \
		       A(CTA_IP_V4_DST, "c0a80002")), \
		  NEST(CTA_TUPLE_PROTO, A(CTA_PROTO_NUM, "06"), \
		       A(CTA_PROTO_SRC_PORT, "3039"), \
		       A(CTA_PROTO_DST_PORT, "0050")), \
		  A(CTA_TUPLE_ZONE, "0000")), \
	     NEST(CTA_TUPLE_REPLY, \
		  NEST(CTA_TUPLE_IP, A(CTA_IP_V4_SRC, "c0a80002"), \
		       A(CTA_IP_V4_DST, "c0a80001")), \
		  NEST(CTA_TUPLE_PROTO, A(CTA_PROTO_NUM, "06"), \
		       A(CTA_PROTO_SRC_PORT, "0050"), \
		       A(CTA_PROTO_DST_PORT, "3039"))), \
	     A(CTA_STATUS, "0000018e"), \
	     A(CTA_TIMEOUT, "0000012c"), \
	     A(CTA_MARK, "0000002a"), \
	     A(CTA_ID, "deadbeef"), \
	     A(CTA_ZONE, "0007"))

#define CT_V4_WANT \
	.ct = { .present = CTH(ID) | CTH(STATUS) | CTH(MARK) | CTH(ORIG) | \
			   CTH(ORIG_PORTS) | CTH(ZONE), \
		.id = 0xdeadbeef, .status = 0x18e, .mark = 42, .zone = 7, \
		.orig_family = AF_INET, .orig_proto = 6, \
		.orig_src = { 192, 168, 0, 1 }, .orig_dst = { 192, 168, 0, 2 }, \
		.orig_sport = 12345, .orig_dport = 80 }

/* A CT nest with one bad child, for the nested length checks. */
#define CT_ONE(t, h) NEST(NFULA_CT, A(t, h))
#define CT_IP(t, h) NEST(NFULA_CT, NEST(CTA_TUPLE_ORIG, NEST(CTA_TUPLE_IP, A(t, h))))
#define CT_PROTO(t, h) \
	NEST(NFULA_CT, NEST(CTA_TUPLE_ORIG, NEST(CTA_TUPLE_PROTO, A(t, h))))

#define BAD(nm, ...) { .name = (nm), .family = NFPROTO_IPV4, .group = 1, \
	.attrs = { __VA_ARGS__ }, .ret = -EBADMSG }

#define PKTHDR A(NFULA_PACKET_HDR, "0800 03 00")
#define IP20 "4500001400010000400100000a0000010a000002"

static const struct msg_case cases[] = {
	/* --- one attribute at a time ------------------------------------ */
	{ .name = "no attributes", .family = NFPROTO_IPV4, .group = 0,
	  .want = { .present = 0 } },
	{ .name = "packet header and payload", .family = NFPROTO_IPV4,
	  .group = 5,
	  .attrs = { A(NFULA_PACKET_HDR, "0800 01 00"), A(NFULA_PAYLOAD, IP20) },
	  .want = { .present = H(HWPROTO) | H(PAYLOAD), .hw_protocol = 0x0800,
		    .hook = 1 },
	  .payload = IP20 },
	{ .name = "empty payload", .family = NFPROTO_IPV6, .group = 65535,
	  .attrs = { A(NFULA_PAYLOAD, "") },
	  .want = { .present = H(PAYLOAD) }, .payload = "" },
	{ .name = "prefix without NUL", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { A(NFULA_PREFIX, "64726f7020") },
	  .want = { .present = H(PREFIX) }, .prefix = "64726f7020" },
	{ .name = "prefix with NUL", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { A(NFULA_PREFIX, "64726f702000") },
	  .want = { .present = H(PREFIX) }, .prefix = "64726f7020" },
	{ .name = "prefix with embedded bytes", .family = NFPROTO_IPV4,
	  .group = 1,
	  .attrs = { A(NFULA_PREFIX, "610aff5c017f2000") },
	  .want = { .present = H(PREFIX) }, .prefix = "610aff5c017f20" },
	{ .name = "prefix stops at the first NUL", .family = NFPROTO_IPV4,
	  .group = 1,
	  .attrs = { A(NFULA_PREFIX, "6100626300") },
	  .want = { .present = H(PREFIX) }, .prefix = "61" },
	{ .name = "prefix empty string", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { A(NFULA_PREFIX, "00") },
	  .want = { .present = H(PREFIX) }, .prefix = "" },
	{ .name = "prefix of zero bytes", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { A(NFULA_PREFIX, "") },
	  .want = { .present = H(PREFIX) }, .prefix = "" },
	{ .name = "in/out/physin/physout", .family = NFPROTO_BRIDGE, .group = 2,
	  .attrs = { A(NFULA_IFINDEX_INDEV, "00000002"),
		     A(NFULA_IFINDEX_OUTDEV, "00000003"),
		     A(NFULA_IFINDEX_PHYSINDEV, "00000004"),
		     A(NFULA_IFINDEX_PHYSOUTDEV, "80000005") },
	  .want = { .present = H(INDEV) | H(OUTDEV) | H(PHYSINDEV) |
			       H(PHYSOUTDEV),
		    .indev = 2, .outdev = 3, .physindev = 4,
		    .physoutdev = 0x80000005 } },
	{ .name = "hwaddr", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { A(NFULA_HWADDR, "0006 0000 020000000001 0000") },
	  .want = { .present = H(HWADDR), .hwaddr_len = 6,
		    .hwaddr = { 2, 0, 0, 0, 0, 1 } } },
	{ .name = "hwaddr length above 8 is clamped", .family = NFPROTO_IPV4,
	  .group = 1,
	  .attrs = { A(NFULA_HWADDR, "0010 0000 0102030405060708") },
	  .want = { .present = H(HWADDR), .hwaddr_len = 8,
		    .hwaddr = { 1, 2, 3, 4, 5, 6, 7, 8 } } },
	{ .name = "hwtype/hwlen/hwheader", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { A(NFULA_HWTYPE, "0001"), A(NFULA_HWLEN, "000e"),
		     A(NFULA_HWHEADER, "020000000002 020000000001 0800") },
	  .want = { .present = H(HWTYPE) | H(HWLEN) | H(HWHEADER),
		    .hwtype = 1, .hwlen = 14 },
	  .hwheader = "020000000002 020000000001 0800" },
	{ .name = "mark", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { A(NFULA_MARK, "8000002a") },
	  .want = { .present = H(MARK), .mark = 0x8000002a } },
	{ .name = "uid and gid", .family = NFPROTO_IPV6, .group = 1,
	  .attrs = { A(NFULA_UID, "000003e8"), A(NFULA_GID, "fffffffe") },
	  .want = { .present = H(UID) | H(GID), .uid = 1000,
		    .gid = 0xfffffffe } },
	{ .name = "timestamp", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { A(NFULA_TIMESTAMP,
		       "0000000065a0bc00 000000000007a11f") },
	  .want = { .present = H(TIMESTAMP), .ts_sec = 0x65a0bc00,
		    .ts_usec = 499999 } },
	{ .name = "seq and seq_global", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { A(NFULA_SEQ, "00000007"), A(NFULA_SEQ_GLOBAL, "ffffffff") },
	  .want = { .present = H(SEQ) | H(SEQ_GLOBAL), .seq = 7,
		    .seq_global = 0xffffffff } },
	{ .name = "vlan nest", .family = NFPROTO_BRIDGE, .group = 1,
	  .attrs = { NEST(NFULA_VLAN, A(NFULA_VLAN_PROTO, "88a8"),
			  A(NFULA_VLAN_TCI, "2064")) },
	  .want = { .present = H(VLAN), .vlan_proto = 0x88a8,
		    .vlan_tci = 0x2064 } },
	{ .name = "vlan nest with only unknown members", .family = NFPROTO_BRIDGE,
	  .group = 1,
	  .attrs = { NEST(NFULA_VLAN, A(7, "01020304")) },
	  .want = { .present = 0 } },
	{ .name = "l2hdr", .family = NFPROTO_BRIDGE, .group = 1,
	  .attrs = { A(NFULA_L2HDR, "020000000002 020000000001 8100 0064 0800") },
	  .want = { .present = H(L2HDR) },
	  .l2hdr = "020000000002 020000000001 8100 0064 0800" },
	{ .name = "ct_info", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { A(NFULA_CT_INFO, "00000002") },
	  .want = { .present = H(CT_INFO), .ct_info = NFLOG_CT_NEW } },
	{ .name = "ct nest, ipv4 tuple", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { CT_V4_NEST },
	  .want = { .present = H(CT), CT_V4_WANT } },
	{ .name = "ct nest, ipv6 tuple without ports", .family = NFPROTO_IPV6,
	  .group = 1,
	  .attrs = { NEST(NFULA_CT,
			  NEST(CTA_TUPLE_ORIG,
			       NEST(CTA_TUPLE_IP,
				    A(CTA_IP_V6_SRC, "20010db8000000000000000000000001"),
				    A(CTA_IP_V6_DST, "fe800000000000000000000000000002")),
			       NEST(CTA_TUPLE_PROTO, A(CTA_PROTO_NUM, "3a"))),
			  A(CTA_ID, "00000001")) },
	  .want = { .present = H(CT),
		    .ct = { .present = CTH(ORIG) | CTH(ID), .id = 1,
			    .orig_family = AF_INET6, .orig_proto = 58,
			    .orig_src = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					  0, 0, 0, 0, 0, 0, 0, 1 },
			    .orig_dst = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
					  0, 0, 0, 0, 0, 0, 0, 2 } } } },
	{ .name = "ct nest, ipv6 udp with ports, unknown nests skipped",
	  .family = NFPROTO_IPV6, .group = 1,
	  .attrs = { NEST(NFULA_CT,
			  NEST(CTA_TUPLE_ORIG,
			       NEST(CTA_TUPLE_IP,
				    A(CTA_IP_V6_SRC, "20010db8000000000000000000000001"),
				    A(CTA_IP_V6_DST, "20010db8000000000000000000000002")),
			       NEST(CTA_TUPLE_PROTO, A(CTA_PROTO_NUM, "11"),
				    A(CTA_PROTO_SRC_PORT, "d431"),
				    A(CTA_PROTO_DST_PORT, "0035"))),
			  NEST(CTA_PROTOINFO,
			       NEST(CTA_PROTOINFO_TCP,
				    A(CTA_PROTOINFO_TCP_STATE, "03"))),
			  A(CTA_USE, "00000001"),
			  NEST(CTA_HELP, A(CTA_HELP_NAME, "66747000")),
			  A(CTA_STATUS, "00000008")),
		     A(NFULA_CT_INFO, "00000000") },
	  .want = { .present = H(CT) | H(CT_INFO),
		    .ct_info = NFLOG_CT_ESTABLISHED,
		    .ct = { .present = CTH(ORIG) | CTH(ORIG_PORTS) |
				       CTH(STATUS), .status = 8,
			    .orig_family = AF_INET6, .orig_proto = 17,
			    .orig_src = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					  0, 0, 0, 0, 0, 0, 0, 1 },
			    .orig_dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					  0, 0, 0, 0, 0, 0, 0, 2 },
			    .orig_sport = 54321, .orig_dport = 53 } } },
	{ .name = "ct_info related-reply, no nest", .family = NFPROTO_IPV4,
	  .group = 1,
	  .attrs = { A(NFULA_CT_INFO, "00000004") },
	  .want = { .present = H(CT_INFO), .ct_info = NFLOG_CT_RELATED_REPLY } },
	{ .name = "ct nest, empty", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { { .type = NFULA_CT, .nest = (const struct aspec[]){ { 0 } } } },
	  .want = { .present = H(CT) } },
	{ .name = "unknown types 40 and 0 skipped", .family = NFPROTO_IPV4,
	  .group = 1,
	  .attrs = { A(40, "deadbeef"), A(0, "01020304"), A(NFULA_MARK, "00000001"),
		     A(NFULA_MAX + 1, "0102"), A(0x7fff, "") },
	  .want = { .present = H(MARK), .mark = 1 } },
	{ .name = "last attribute without padding", .family = NFPROTO_IPV4,
	  .group = 1, .len_delta = -3,
	  .attrs = { A(NFULA_MARK, "00000001"), A(NFULA_PREFIX, "61") },
	  .want = { .present = H(MARK) | H(PREFIX), .mark = 1 }, .prefix = "61" },
	{ .name = "every attribute at once", .family = NFPROTO_BRIDGE,
	  .group = 0x1234,
	  .attrs = { A(NFULA_PACKET_HDR, "86dd 00 00"),
		     A(NFULA_MARK, "00000010"),
		     A(NFULA_TIMESTAMP, "0000000000000001 0000000000000002"),
		     A(NFULA_IFINDEX_INDEV, "00000001"),
		     A(NFULA_IFINDEX_OUTDEV, "00000002"),
		     A(NFULA_IFINDEX_PHYSINDEV, "00000003"),
		     A(NFULA_IFINDEX_PHYSOUTDEV, "00000004"),
		     A(NFULA_HWADDR, "0006 0000 0a0b0c0d0e0f 0000"),
		     A(NFULA_PAYLOAD, "60000000"),
		     A(NFULA_PREFIX, "616c6c00"),
		     A(NFULA_UID, "00000000"),
		     A(NFULA_SEQ, "00000005"),
		     A(NFULA_SEQ_GLOBAL, "00000006"),
		     A(NFULA_GID, "00000000"),
		     A(NFULA_HWTYPE, "0001"),
		     A(NFULA_HWHEADER, "0a0b0c0d0e0f 0a0b0c0d0e0e 86dd"),
		     A(NFULA_HWLEN, "000e"),
		     CT_V4_NEST,
		     A(NFULA_CT_INFO, "00000003"),
		     NEST(NFULA_VLAN, A(NFULA_VLAN_PROTO, "8100"),
			  A(NFULA_VLAN_TCI, "0064")),
		     A(NFULA_L2HDR, "0a0b0c0d0e0f") },
	  .want = { .present = 0x1fffff, .hw_protocol = 0x86dd, .hook = 0,
		    .mark = 16, .ts_sec = 1, .ts_usec = 2, .indev = 1,
		    .outdev = 2, .physindev = 3, .physoutdev = 4,
		    .hwaddr_len = 6, .hwaddr = { 10, 11, 12, 13, 14, 15 },
		    .uid = 0, .gid = 0, .seq = 5, .seq_global = 6, .hwtype = 1,
		    .hwlen = 14, .ct_info = NFLOG_CT_ESTABLISHED_REPLY,
		    .vlan_proto = 0x8100, .vlan_tci = 100, CT_V4_WANT },
	  .prefix = "616c6c", .payload = "60000000",
	  .hwheader = "0a0b0c0d0e0f 0a0b0c0d0e0e 86dd", .l2hdr = "0a0b0c0d0e0f" },

	/* --- attribute stream lengths ----------------------------------- */
	{ .name = "nla_len 0", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { A(NFULA_MARK, "00000001"), A(NFULA_PREFIX, "61") },
	  .bad_attr = 2, .bad_nla_len = 0, .ret = -EBADMSG },
	{ .name = "nla_len 3", .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { A(NFULA_PREFIX, "61") },
	  .bad_attr = 1, .bad_nla_len = 3, .ret = -EBADMSG },
	{ .name = "last attribute runs past the message", .family = NFPROTO_IPV4,
	  .group = 1,
	  .attrs = { A(NFULA_MARK, "00000001"), A(NFULA_PREFIX, "616263") },
	  .bad_attr = 2, .bad_nla_len = 12, .ret = -EBADMSG },
	{ .name = "middle attribute runs past the message",
	  .family = NFPROTO_IPV4, .group = 1,
	  .attrs = { A(NFULA_PREFIX, "61"), A(NFULA_MARK, "00000001") },
	  .bad_attr = 1, .bad_nla_len = 17, .ret = -EBADMSG },
	{ .name = "two stray bytes after the last attribute",
	  .family = NFPROTO_IPV4, .group = 1, .len_delta = 2,
	  .attrs = { A(NFULA_MARK, "00000001") }, .ret = -EBADMSG },

	/* --- fixed-size attributes of the wrong size --------------------- */
	BAD("packet_hdr of 2 bytes", A(NFULA_PACKET_HDR, "0800")),
	BAD("mark of 3 bytes", A(NFULA_MARK, "000001")),
	BAD("mark of 0 bytes", A(NFULA_MARK, "")),
	BAD("timestamp of 8 bytes", A(NFULA_TIMESTAMP, "0000000000000001")),
	BAD("indev of 2 bytes", A(NFULA_IFINDEX_INDEV, "0001")),
	BAD("outdev of 8 bytes", A(NFULA_IFINDEX_OUTDEV, "0000000000000001")),
	BAD("physindev of 3 bytes", A(NFULA_IFINDEX_PHYSINDEV, "000001")),
	BAD("physoutdev of 5 bytes", A(NFULA_IFINDEX_PHYSOUTDEV, "0000000001")),
	BAD("hwaddr of 8 bytes", A(NFULA_HWADDR, "0006000002000000")),
	BAD("uid of 8 bytes", A(NFULA_UID, "00000000000003e8")),
	BAD("seq of 2 bytes", A(NFULA_SEQ, "0001")),
	BAD("seq_global of 8 bytes", A(NFULA_SEQ_GLOBAL, "0000000000000001")),
	BAD("gid of 3 bytes", A(NFULA_GID, "000064")),
	BAD("hwtype of 4 bytes", A(NFULA_HWTYPE, "00000001")),
	BAD("hwlen of 1 byte", A(NFULA_HWLEN, "0e")),
	BAD("ct_info of 1 byte", A(NFULA_CT_INFO, "02")),
	BAD("wrong size after good ones", PKTHDR, A(NFULA_PAYLOAD, IP20),
	    A(NFULA_PREFIX, "6100"), A(NFULA_UID, "0000000000000000")),

	/* --- nests ------------------------------------------------------- */
	BAD("ct: CTA_ID of 3 bytes", CT_ONE(CTA_ID, "000001")),
	BAD("ct: CTA_STATUS of 8 bytes", CT_ONE(CTA_STATUS, "0000000000000001")),
	BAD("ct: CTA_MARK of 2 bytes", CT_ONE(CTA_MARK, "0001")),
	BAD("ct: CTA_ZONE of 4 bytes", CT_ONE(CTA_ZONE, "00000001")),
	BAD("ct: V4_SRC of 16 bytes",
	    CT_IP(CTA_IP_V4_SRC, "20010db8000000000000000000000001")),
	BAD("ct: V4_DST of 3 bytes", CT_IP(CTA_IP_V4_DST, "c0a800")),
	BAD("ct: V6_SRC of 4 bytes", CT_IP(CTA_IP_V6_SRC, "c0a80001")),
	BAD("ct: V6_DST of 15 bytes",
	    CT_IP(CTA_IP_V6_DST, "20010db80000000000000000000000")),
	BAD("ct: PROTO_NUM of 2 bytes", CT_PROTO(CTA_PROTO_NUM, "0006")),
	BAD("ct: SRC_PORT of 4 bytes", CT_PROTO(CTA_PROTO_SRC_PORT, "00003039")),
	BAD("ct: DST_PORT of 1 byte", CT_PROTO(CTA_PROTO_DST_PORT, "50")),
	BAD("ct: wrong CTA_ID after a good tuple", CT_V4_NEST,
	    CT_ONE(CTA_ID, "0000000000000001")),
	BAD("vlan: PROTO of 4 bytes",
	    NEST(NFULA_VLAN, A(NFULA_VLAN_PROTO, "00008100"))),
	BAD("vlan: TCI of 1 byte", NEST(NFULA_VLAN, A(NFULA_VLAN_TCI, "64"))),
	/* Nested attribute headers are lengths too (GUIDE §2: bad lengths
	 * are rejected): libmnl's nested walker stops quietly at them. */
	{ .name = "ct: nested attribute with nla_len 2", .family = NFPROTO_IPV4,
	  .group = 1,
	  .attrs = { NEST(NFULA_CT, A(CTA_MARK, "00000001"),
			  A(CTA_ID, "00000002")) },
	  .bad_attr = 3, .bad_nla_len = 2, .ret = -EBADMSG },
	{ .name = "vlan: nested attribute runs past the nest",
	  .family = NFPROTO_BRIDGE, .group = 1,
	  .attrs = { NEST(NFULA_VLAN, A(NFULA_VLAN_PROTO, "8100")),
		     A(NFULA_MARK, "00000001") },
	  .bad_attr = 2, .bad_nla_len = 12, .ret = -EBADMSG },

	/* --- the netlink header ----------------------------------------- */
	{ .name = "nlmsg_len 0", .family = NFPROTO_IPV4, .group = 1,
	  .set_len = 0xffffffff, .ret = -EBADMSG },
	{ .name = "nlmsg_len = nlmsghdr only", .family = NFPROTO_IPV4,
	  .group = 1, .set_len = 16, .ret = -EBADMSG },
	{ .name = "nlmsg_len 3 short of nfgenmsg", .family = NFPROTO_IPV4,
	  .group = 1, .set_len = 17, .ret = -EBADMSG },
	{ .name = "nlmsg_len 1 short of nfgenmsg", .family = NFPROTO_IPV4,
	  .group = 1, .set_len = 19, .ret = -EBADMSG },
	{ .name = "wrong type: NFULNL_MSG_CONFIG", .family = NFPROTO_IPV4,
	  .group = 1, .attrs = { A(NFULA_MARK, "00000001") },
	  .nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG,
	  .ret = -EPROTO },
	{ .name = "wrong type: NLMSG_DONE", .family = NFPROTO_IPV4, .group = 1,
	  .nlmsg_type = NLMSG_DONE, .ret = -EPROTO },
	{ .name = "wrong type: queue subsystem", .family = NFPROTO_IPV4,
	  .group = 1, .attrs = { A(NFULA_MARK, "00000001") },
	  .nlmsg_type = NFNL_SUBSYS_QUEUE << 8, .ret = -EPROTO },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Build state: where every attribute (pre-order) starts. */
struct build {
	struct nlmsghdr *nlh;
	struct nlattr *at[64];
	unsigned int n;
};

static bool spec_end(const struct aspec *a)
{
	return !a->hex && !a->nest;
}

static void put_specs(struct build *b, const struct aspec *a)
{
	for (; !spec_end(a); a++) {
		ck_assert_uint_lt(b->n, 64);
		b->at[b->n++] = mnl_nlmsg_get_payload_tail(b->nlh);
		if (a->nest) {
			struct nlattr *nest = mnl_attr_nest_start(b->nlh, a->type);

			put_specs(b, a->nest);
			mnl_attr_nest_end(b->nlh, nest);
		} else {
			uint8_t tmp[256];
			size_t n = tu_unhex(a->hex, tmp, sizeof(tmp));

			mnl_attr_put(b->nlh, a->type, n, tmp);
		}
	}
}

static struct nlmsghdr *build_case(const struct msg_case *c, void *buf)
{
	struct build b = { .n = 0 };

	memset(buf, 0, MSGBUF);
	b.nlh = tu_nflog_begin(buf, c->family, c->group);
	put_specs(&b, c->attrs);
	if (c->bad_attr) {
		ck_assert_uint_le(c->bad_attr, b.n);
		b.at[c->bad_attr - 1]->nla_len = c->bad_nla_len;
	}
	b.nlh->nlmsg_len = (uint32_t)((int)b.nlh->nlmsg_len + c->len_delta);
	if (c->set_len)
		b.nlh->nlmsg_len = c->set_len == 0xffffffff ? 0 : c->set_len;
	if (c->nlmsg_type)
		b.nlh->nlmsg_type = c->nlmsg_type;
	return b.nlh;
}

/* A pointer view (prefix, payload, ...) against its expected hex. */
static void check_view(const char *name, const char *what, const void *p,
		       size_t len, const char *hex, const void *buf)
{
	uint8_t want[256];
	size_t n;

	if (!hex) {
		ck_assert_msg(p == NULL && len == 0, "%s: %s should be absent",
			      name, what);
		return;
	}
	n = tu_unhex(hex, want, sizeof(want));
	ck_assert_msg(p != NULL, "%s: %s missing", name, what);
	ck_assert_msg(len == n, "%s: %s length %zu, want %zu", name, what, len, n);
	ck_assert_msg(memcmp(p, want, n) == 0, "%s: %s bytes differ", name, what);
	ck_assert_msg((const uint8_t *)p >= (const uint8_t *)buf &&
		      (const uint8_t *)p + len <=
		      (const uint8_t *)buf + MSGBUF,
		      "%s: %s does not point into the message", name, what);
}

#define EQ(f) ck_assert_msg(got->f == w->f, "%s: " #f " = %llu, want %llu", \
	c->name, (unsigned long long)got->f, (unsigned long long)w->f)
#define EQMEM(f) ck_assert_msg(memcmp(got->f, w->f, sizeof(w->f)) == 0, \
	"%s: " #f " differs", c->name)

static void check_meta(const struct msg_case *c, const struct nflog_meta *got,
		       const void *buf)
{
	const struct nflog_meta *w = &c->want;

	ck_assert_msg(got->present == w->present,
		      "%s: present = %#x, want %#x", c->name, got->present,
		      w->present);
	ck_assert_uint_eq(got->family, c->family);
	ck_assert_uint_eq(got->group, c->group);
	EQ(hw_protocol); EQ(hook);
	EQ(indev); EQ(outdev); EQ(physindev); EQ(physoutdev);
	EQ(hwaddr_len); EQMEM(hwaddr);
	EQ(hwtype); EQ(hwlen);
	EQ(vlan_proto); EQ(vlan_tci);
	EQ(mark); EQ(uid); EQ(gid);
	EQ(ts_sec); EQ(ts_usec);
	EQ(seq); EQ(seq_global);
	EQ(ct_info);
	EQ(ct.present); EQ(ct.id); EQ(ct.status); EQ(ct.mark); EQ(ct.zone);
	EQ(ct.orig_family); EQ(ct.orig_proto);
	EQMEM(ct.orig_src); EQMEM(ct.orig_dst);
	EQ(ct.orig_sport); EQ(ct.orig_dport);
	check_view(c->name, "prefix", got->prefix, got->prefix_len, c->prefix, buf);
	check_view(c->name, "payload", got->payload, got->payload_len,
		   c->payload, buf);
	check_view(c->name, "hwheader", got->hwheader, got->hwheader_len,
		   c->hwheader, buf);
	check_view(c->name, "l2hdr", got->l2hdr, got->l2hdr_len, c->l2hdr, buf);
}

static void check_untouched(const char *name, const struct nflog_meta *m)
{
	uint8_t aa[sizeof(*m)];

	memset(aa, 0xaa, sizeof(aa));
	ck_assert_msg(memcmp(m, aa, sizeof(aa)) == 0,
		      "%s: out-parameter written on error", name);
}

START_TEST(test_msg_table)
{
	const struct msg_case *c = &cases[_i];
	static uint8_t buf[MSGBUF] __attribute__((aligned(8)));
	struct nflog_meta m;
	struct nlmsghdr *nlh = build_case(c, buf);
	int r;

	memset(&m, 0xaa, sizeof(m));
	r = nflog_msg_parse(nlh, &m);
	ck_assert_msg(r == c->ret, "%s: nflog_msg_parse = %d, want %d",
		      c->name, r, c->ret);
	if (r == 0)
		check_meta(c, &m, buf);
	else
		check_untouched(c->name, &m);

	/* The same stream as a pcap NFLOG record: nfgenmsg + attributes.
	 * Netlink-header errors do not apply there. */
	if (c->ret == -EPROTO || c->set_len)
		return;
	memset(&m, 0xaa, sizeof(m));
	r = nflog_tlv_parse(mnl_nlmsg_get_payload(nlh),
			    nlh->nlmsg_len - MNL_NLMSG_HDRLEN, false, &m);
	ck_assert_msg(r == c->ret, "%s: nflog_tlv_parse = %d, want %d",
		      c->name, r, c->ret);
	if (r == 0)
		check_meta(c, &m, buf);
	else
		check_untouched(c->name, &m);
}
END_TEST

/* nflog_tlv_parse only: short input and foreign byte order. */
struct tlv_case {
	const char *name;
	const char *hex;        /* nfgenmsg + attributes; host-order TLV */
	bool swapped;
	int ret;
};

static const struct tlv_case tlv_cases[] = {
	{ "empty", "", false, -EBADMSG },
	{ "1 byte", "02", false, -EBADMSG },
	{ "3 bytes", "020000", false, -EBADMSG },
	{ "nfgenmsg only", "02000001", false, 0 },
	{ "nfgenmsg + 2 stray bytes", "02000001 0800", false, -EBADMSG },
	{ "swapped", "02000001", true, -EOPNOTSUPP },
};

START_TEST(test_tlv_table)
{
	const struct tlv_case *c = &tlv_cases[_i];
	uint8_t buf[64] __attribute__((aligned(8)));
	size_t n = tu_unhex(c->hex, buf, sizeof(buf));
	struct nflog_meta m;
	int r;

	memset(&m, 0xaa, sizeof(m));
	r = nflog_tlv_parse(buf, n, c->swapped, &m);
	ck_assert_msg(r == c->ret, "%s: %d, want %d", c->name, r, c->ret);
	if (r) {
		check_untouched(c->name, &m);
	} else {
		ck_assert_uint_eq(m.present, 0);
		ck_assert_uint_eq(m.family, 2);
		ck_assert_uint_eq(m.group, 1);
	}
}
END_TEST

/* A real message as a pcap record, in our byte order and flagged swapped. */
START_TEST(test_tlv_swapped_real)
{
	static uint8_t buf[MSGBUF] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = tu_nflog_begin(buf, NFPROTO_IPV4, 3);
	struct nflog_meta m;
	static const uint8_t pkt[20] = { 0x45 };

	tu_nflog_put_packet(nlh, 0x0800, pkt, sizeof(pkt));
	mnl_attr_put_u32(nlh, NFULA_MARK, htonl(7));
	memset(&m, 0xaa, sizeof(m));
	ck_assert_int_eq(nflog_tlv_parse(mnl_nlmsg_get_payload(nlh),
					 nlh->nlmsg_len - MNL_NLMSG_HDRLEN,
					 true, &m), -EOPNOTSUPP);
	check_untouched("swapped", &m);
	ck_assert_int_eq(nflog_tlv_parse(mnl_nlmsg_get_payload(nlh),
					 nlh->nlmsg_len - MNL_NLMSG_HDRLEN,
					 false, &m), 0);
	ck_assert_uint_eq(m.present, H(HWPROTO) | H(PAYLOAD) | H(MARK));
	ck_assert_uint_eq(m.mark, 7);
	ck_assert_uint_eq(m.group, 3);
	ck_assert_uint_eq(m.payload_len, 20);
}
END_TEST

/* The crafted conntrack message all the way to the formatters: wire ->
 * nflog_msg_parse() -> decode_packet() -> fmt_json() / fmt_journal(), the
 * ct fields exact in both. */
static const struct aspec ct_full[] = {
	A(NFULA_PACKET_HDR, "0800 01 00"),
	A(NFULA_PAYLOAD, "45000028 00010000 40060000 c0a80001 c0a80002"
			 "3039 0050 00000001 00000000 5002 2000 0000 0000"),
	A(NFULA_PREFIX, "637400"),
	CT_V4_NEST,
	A(NFULA_CT_INFO, "00000002"),
	{ 0 }
};

static const char *journal_field(const struct journal_fields *jf,
				 const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < jf->n; i++) {
		const char *v = jf->iov[i].iov_base;
		size_t vl = jf->iov[i].iov_len;

		if (vl > nl && !memcmp(v, name, nl) && v[nl] == '=') {
			snprintf(out, size, "%.*s", (int)(vl - nl - 1),
				 v + nl + 1);
			return out;
		}
	}
	return NULL;
}

START_TEST(test_ct_formatted)
{
	static uint8_t buf[MSGBUF] __attribute__((aligned(8)));
	static struct journal_fields jf;
	static const struct { const char *name, *value; } jwant[] = {
		{ "CT_STATE", "new" }, { "CT_ID", "3735928559" },
		{ "CT_STATUS", "0x18e" }, { "CT_MARK", "0x2a" },
		{ "CT_ZONE", "7" }, { "CT_ORIG_SRC", "192.168.0.1" },
		{ "CT_ORIG_DST", "192.168.0.2" }, { "CT_ORIG_PROTO", "TCP" },
		{ "CT_ORIG_SPT", "12345" }, { "CT_ORIG_DPT", "80" },
	};
	struct build b = { 0 };
	struct nflog_meta m;
	struct record rec;
	struct json_object *o, *ct;
	char out[FMT_JSON_MAX], v[64];
	int r;

	memset(buf, 0, MSGBUF);
	b.nlh = tu_nflog_begin(buf, NFPROTO_IPV4, 1);
	put_specs(&b, ct_full);
	ck_assert_int_eq(nflog_msg_parse(b.nlh, &m), 0);
	decode_packet(&m, &rec);

	r = fmt_json(&rec, NULL, out, sizeof(out));
	ck_assert_int_gt(r, 0);
	o = json_tokener_parse(out);
	ck_assert_msg(o, "not JSON: %s", out);
	ck_assert(json_object_object_get_ex(o, "nflog", &ct) &&
		  json_object_object_get_ex(ct, "ct", &ct));
	ck_assert_str_eq(json_object_to_json_string_ext(ct,
				JSON_C_TO_STRING_PLAIN),
			 "{\"state\":\"new\",\"id\":3735928559,"
			 "\"status\":398,\"mark\":42,\"zone\":7,"
			 "\"orig\":{\"src\":\"192.168.0.1\","
			 "\"dst\":\"192.168.0.2\",\"proto\":6,"
			 "\"sport\":12345,\"dport\":80}}");
	json_object_put(o);

	r = fmt_journal(&rec, NULL, &jf);
	ck_assert_int_eq(r, (int)jf.n);
	for (size_t i = 0; i < sizeof(jwant) / sizeof(jwant[0]); i++) {
		const char *got = journal_field(&jf, jwant[i].name, v,
						sizeof(v));

		ck_assert_msg(got && !strcmp(got, jwant[i].value),
			      "%s is %s, want %s", jwant[i].name,
			      got ? got : "(absent)", jwant[i].value);
	}
}
END_TEST

static const struct { uint32_t v; const char *name; } ctinfo_cases[] = {
	{ NFLOG_CT_ESTABLISHED, "established" },
	{ NFLOG_CT_RELATED, "related" },
	{ NFLOG_CT_NEW, "new" },
	{ NFLOG_CT_ESTABLISHED_REPLY, "established-reply" },
	{ NFLOG_CT_RELATED_REPLY, "related-reply" },
	{ 5, "unknown" },
	{ 0xffffffff, "unknown" },
};

START_TEST(test_ctinfo_name)
{
	ck_assert_str_eq(nflog_ctinfo_name(ctinfo_cases[_i].v),
			 ctinfo_cases[_i].name);
}
END_TEST

static const struct {
	uint8_t family, hook;
	const char *name;
} hook_cases[] = {
	{ NFPROTO_IPV4, NF_INET_PRE_ROUTING, "prerouting" },
	{ NFPROTO_IPV4, NF_INET_LOCAL_IN, "input" },
	{ NFPROTO_IPV4, NF_INET_FORWARD, "forward" },
	{ NFPROTO_IPV4, NF_INET_LOCAL_OUT, "output" },
	{ NFPROTO_IPV4, NF_INET_POST_ROUTING, "postrouting" },
	{ NFPROTO_IPV4, NF_INET_INGRESS, "ingress" },
	{ NFPROTO_IPV4, 6, "unknown" },
	{ NFPROTO_IPV4, 255, "unknown" },
	{ NFPROTO_IPV6, NF_INET_PRE_ROUTING, "prerouting" },
	{ NFPROTO_IPV6, NF_INET_POST_ROUTING, "postrouting" },
	{ NFPROTO_IPV6, NF_INET_INGRESS, "ingress" },
	{ NFPROTO_INET, NF_INET_LOCAL_IN, "input" },
	{ NFPROTO_BRIDGE, NF_BR_PRE_ROUTING, "prerouting" },
	{ NFPROTO_BRIDGE, NF_BR_LOCAL_IN, "input" },
	{ NFPROTO_BRIDGE, NF_BR_FORWARD, "forward" },
	{ NFPROTO_BRIDGE, NF_BR_LOCAL_OUT, "output" },
	{ NFPROTO_BRIDGE, NF_BR_POST_ROUTING, "postrouting" },
	/* ebtables' broute table logs with hook NF_BR_BROUTING (5), which
	 * is not NF_INET_INGRESS in the bridge family. */
	{ NFPROTO_BRIDGE, NF_BR_BROUTING, "brouting" },
	{ NFPROTO_ARP, NF_ARP_IN, "input" },
	{ NFPROTO_ARP, NF_ARP_OUT, "output" },
	{ NFPROTO_ARP, NF_ARP_FORWARD, "forward" },
	{ NFPROTO_ARP, 3, "unknown" },
	{ NFPROTO_NETDEV, NF_NETDEV_INGRESS, "ingress" },
	{ NFPROTO_NETDEV, NF_NETDEV_EGRESS, "egress" },
	{ NFPROTO_NETDEV, 2, "unknown" },
};

START_TEST(test_hook_name)
{
	ck_assert_msg(strcmp(nflog_hook_name(hook_cases[_i].family,
					     hook_cases[_i].hook),
			     hook_cases[_i].name) == 0,
		      "family %u hook %u: \"%s\", want \"%s\"",
		      hook_cases[_i].family, hook_cases[_i].hook,
		      nflog_hook_name(hook_cases[_i].family, hook_cases[_i].hook),
		      hook_cases[_i].name);
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *nflog_msg_suite(void)
{
	Suite *s = suite_create("nflog_msg");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_msg_table, 0, (int)NCASES);
	tcase_add_loop_test(tc, test_tlv_table, 0, NELEM(tlv_cases));
	tcase_add_test(tc, test_tlv_swapped_real);
	tcase_add_test(tc, test_ct_formatted);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_ctinfo_name, 0, NELEM(ctinfo_cases));
	tcase_add_loop_test(tc, test_hook_name, 0, NELEM(hook_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(nflog_msg_suite());
}
