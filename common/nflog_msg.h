/* nflog_msg: one nfnetlink_log packet message -> metadata + payload view.
 *
 * Pure code: no allocation, no I/O, no logging.  Every pointer in the result
 * points into the caller's buffer, which must outlive the result.
 *
 * The same attribute stream arrives in two containers:
 *   - a netlink message from the kernel (struct nlmsghdr + struct nfgenmsg +
 *     attributes), parsed by nflog_msg_parse();
 *   - a pcap record of link type NFLOG (239), which is the nfgenmsg and the
 *     attributes without the netlink header, parsed by nflog_tlv_parse().
 */
#ifndef NFLOGD_NFLOG_MSG_H
#define NFLOGD_NFLOG_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/* Which optional attributes the message carried (struct nflog_meta.present):
 * bit (NFULA_x - 1) for attribute type NFULA_x. */
enum nflog_have {
	NFLOG_HAVE_HWPROTO = 1u << 0,   /* NFULA_PACKET_HDR */
	NFLOG_HAVE_MARK = 1u << 1,
	NFLOG_HAVE_TIMESTAMP = 1u << 2,
	NFLOG_HAVE_INDEV = 1u << 3,
	NFLOG_HAVE_OUTDEV = 1u << 4,
	NFLOG_HAVE_PHYSINDEV = 1u << 5,
	NFLOG_HAVE_PHYSOUTDEV = 1u << 6,
	NFLOG_HAVE_HWADDR = 1u << 7,
	NFLOG_HAVE_PAYLOAD = 1u << 8,
	NFLOG_HAVE_PREFIX = 1u << 9,
	NFLOG_HAVE_UID = 1u << 10,
	NFLOG_HAVE_SEQ = 1u << 11,
	NFLOG_HAVE_SEQ_GLOBAL = 1u << 12,
	NFLOG_HAVE_GID = 1u << 13,
	NFLOG_HAVE_HWTYPE = 1u << 14,
	NFLOG_HAVE_HWHEADER = 1u << 15,
	NFLOG_HAVE_HWLEN = 1u << 16,
	NFLOG_HAVE_CT = 1u << 17,
	NFLOG_HAVE_CT_INFO = 1u << 18,
	NFLOG_HAVE_VLAN = 1u << 19,
	NFLOG_HAVE_L2HDR = 1u << 20,
};

/* Conntrack state as the kernel's enum ip_conntrack_info (NFULA_CT_INFO). */
enum nflog_ctinfo {
	NFLOG_CT_ESTABLISHED = 0,
	NFLOG_CT_RELATED = 1,
	NFLOG_CT_NEW = 2,
	NFLOG_CT_ESTABLISHED_REPLY = 3,
	NFLOG_CT_RELATED_REPLY = 4,
};

/* Conntrack entry attached with NFULNL_CFG_F_CONNTRACK (NFULA_CT, nested
 * CTA_* attributes).  Only what a log record needs is kept. */
enum nflog_ct_have {
	NFLOG_CT_HAVE_ID = 1u << 0,
	NFLOG_CT_HAVE_STATUS = 1u << 1,
	NFLOG_CT_HAVE_MARK = 1u << 2,
	NFLOG_CT_HAVE_ORIG = 1u << 3,    /* orig_* below are valid */
	NFLOG_CT_HAVE_ORIG_PORTS = 1u << 4,
	NFLOG_CT_HAVE_ZONE = 1u << 5,
};

struct nflog_ct {
	uint32_t present;       /* enum nflog_ct_have */
	uint32_t id;
	uint32_t status;        /* IPS_* bits */
	uint32_t mark;
	uint16_t zone;
	uint8_t orig_family;    /* AF_INET or AF_INET6 */
	uint8_t orig_proto;     /* L4 protocol number */
	uint8_t orig_src[16];   /* 4 bytes used for AF_INET */
	uint8_t orig_dst[16];
	uint16_t orig_sport;    /* host order */
	uint16_t orig_dport;
};

struct nflog_meta {
	uint32_t present;       /* enum nflog_have */
	uint8_t family;         /* nfgen_family: NFPROTO_IPV4, _IPV6, _BRIDGE, ... */
	uint16_t group;         /* res_id: the NFLOG group */

	uint16_t hw_protocol;   /* host order (ETH_P_IP, ...) */
	uint8_t hook;           /* NF_INET_* */

	const char *prefix;     /* not NUL-terminated; may hold any byte */
	size_t prefix_len;

	uint32_t indev, outdev, physindev, physoutdev;  /* ifindex */

	uint8_t hwaddr[8];      /* NFULA_HWADDR: link source address */
	uint16_t hwaddr_len;

	uint16_t hwtype;        /* ARPHRD_* of the input device */
	uint16_t hwlen;         /* the device's hard header length */
	const uint8_t *hwheader;
	size_t hwheader_len;

	const uint8_t *l2hdr;   /* NFULA_L2HDR (bridge family only) */
	size_t l2hdr_len;
	uint16_t vlan_proto;    /* host order */
	uint16_t vlan_tci;

	uint32_t mark, uid, gid;
	int64_t ts_sec;         /* NFULA_TIMESTAMP */
	uint32_t ts_usec;
	uint32_t seq, seq_global;

	uint32_t ct_info;       /* enum nflog_ctinfo */
	struct nflog_ct ct;

	const uint8_t *payload; /* starts at the network header */
	size_t payload_len;     /* bytes present (after any snap length) */
};

/* Errors are negative errno values:
 *   -EBADMSG   a length is wrong (attribute shorter than 4 bytes, running past
 *              the message, a fixed-size attribute of the wrong size)
 *   -EPROTO    not an NFULNL_MSG_PACKET message from NFNL_SUBSYS_ULOG
 * Unknown attribute types are skipped. */
int nflog_msg_parse(const struct nlmsghdr *nlh, struct nflog_meta *out);

/* Parse an nfgenmsg followed by an attribute stream, as stored in a pcap
 * record of link type NFLOG.  In pcap files the attribute length and type
 * fields are in the byte order of the host that wrote the file:
 * swapped = true when that differs from ours. */
int nflog_tlv_parse(const void *buf, size_t len, bool swapped,
		    struct nflog_meta *out);

/* Name of a conntrack info value ("new", "established", ...). */
const char *nflog_ctinfo_name(uint32_t ctinfo);

/* Name of a netfilter hook for the message's family ("prerouting", ...). */
const char *nflog_hook_name(uint8_t family, uint8_t hook);

#endif
