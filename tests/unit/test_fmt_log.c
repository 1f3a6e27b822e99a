/* Unit tests for common/fmt_log.c.
 *
 * Every row is a hand-made record (metadata + packet hex, decoded with
 * decode_packet()) and the line the kernel's LOG target prints for that
 * packet, worked out from net/netfilter/nf_log_syslog.c (Linux 6.18) by
 * hand: nf_log_dump_packet_common(), dump_mac_header(), dump_ipv4_packet(),
 * dump_ipv6_packet(), nf_log_dump_{tcp,udp}_header(), plus the escaping
 * /dev/kmsg applies (bytes < 0x20, >= 0x7f and '\' become \xHH).
 * Kernel-captured fixtures are compared separately; this is the unit-level
 * net for every branch.
 *
 * Rows the implementation is known to print differently from the kernel are
 * kept in their own table ("kernel_disagreements") with the kernel's line as
 * the expectation, so they fail until the code follows the kernel.
 *
 * Packet hex (tu_mkpkt()): "LLLL" is the IPv4 total length and "PPPP" the
 * IPv6 payload length, both filled in from the bytes that follow.
 */
#include "fmt_log.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>

#define MAXPKT 4096

/* Interface names by ifindex (the caller resolves them in the daemon). */
static const char *const ifnames[] = {
	NULL, "lo", "eth0", "eth1", "veth0", "veth1", "br0", "we\x01ird",
};

struct lcase {
	const char *name;
	uint8_t family;         /* NFPROTO_*; bridge/arp also set hw_protocol */
	uint16_t hw_protocol;
	uint32_t in, out, physin, physout;  /* ifindex; 0: not sent */
	const char *prefix;     /* NULL: not sent */
	const char *hwheader;   /* hex; NULL: not sent */
	uint16_t hwtype;
	uint32_t extra;         /* NFLOG_HAVE_UID/GID/MARK/VLAN */
	uint32_t uid, gid, mark;
	uint16_t vlan_proto, vlan_tci;
	const char *pkt;        /* hex; NULL: no payload */
	size_t cut;             /* payload_len if non-zero */
	unsigned int flags;
	const char *want;
};

/* --- packets and the kernel's text for them -------------------------- */
#define IP4(tos, frag, proto) \
	"45" tos "LLLL 0001" frag "40" proto "beef c0a80001 c0a80002"
#define TCP_SYN "3039 0050 00000001 00000002 5002 7210 0000 0000"
#define P_T4 IP4("00", "4000", "06") TCP_SYN
#define S4 "SRC=192.168.0.1 DST=192.168.0.2 "
#define H4(len) S4 "LEN=" len " TOS=0x00 PREC=0x00 TTL=64 ID=1 "
#define TCPB "PROTO=TCP SPT=12345 DPT=80 WINDOW=29200 RES=0x00 SYN URGP=0 "
#define T4B H4("40") "DF " TCPB
#define UDP_53 "3039 0035 0010 abcd 0102030405060708"
#define UDPB "SPT=12345 DPT=53 LEN=16 "

#define SRC6 "20010db8000000000000000000000001"
#define DST6 "20010db8000000000000000000000002"
#define IP6(next) "62a12345 PPPP" next "40" SRC6 DST6
#define A6S "2001:0db8:0000:0000:0000:0000:0000:0001"
#define A6D "2001:0db8:0000:0000:0000:0000:0000:0002"
#define S6 "SRC=" A6S " DST=" A6D " "
#define H6(len) S6 "LEN=" len " TC=42 HOPLIMIT=64 FLOWLBL=74565 "
#define DSTOPT(next) next "00 0104 00000000"

#define ETH_HDR "020000000002 020000000001 0800"
#define MAC_ETH "MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
#define IN_ETH0 .in = 2, .hwheader = ETH_HDR, .hwtype = ARPHRD_ETHER
#define MARK1 .extra = NFLOG_HAVE_MARK, .mark = 1

#define F_SEQ LOG_F_TCPSEQ
#define F_TOPT LOG_F_TCPOPT
#define F_IPOPT LOG_F_IPOPT
#define F_UID LOG_F_UID
#define F_MACD LOG_F_MACDECODE

#define ARP_REQ "0001 0800 06 04 0001 020000000001 c0a80001 000000000000 c0a80002"
#define ARPB "ARP HTYPE=1 PTYPE=0x0800 OPCODE=1 MACSRC=02:00:00:00:00:01 " \
	"IPSRC=192.168.0.1 MACDST=00:00:00:00:00:00 IPDST=192.168.0.2"

#define V4 .family = NFPROTO_IPV4
#define V6 .family = NFPROTO_IPV6
#define BR4 .family = NFPROTO_BRIDGE, .hw_protocol = ETH_P_IP

static const struct lcase cases[] = {
	/* --- IN= OUT= PHYSIN= PHYSOUT= ------------------------------------ */
	{ "in only, no mac header: MAC= ", V4, .in = 2, .pkt = P_T4,
	  .want = "IN=eth0 OUT= MAC= " T4B },
	{ "out only: no MAC at all", V4, .out = 3, .pkt = P_T4,
	  .want = "IN= OUT=eth1 " T4B },
	{ "forward with a mac header", V4, IN_ETH0, .out = 3, .pkt = P_T4,
	  .want = "IN=eth0 OUT=eth1 " MAC_ETH T4B },
	{ "no interfaces at all", V4, .pkt = P_T4, .want = "IN= OUT= " T4B },
	/* ip family, bridged by br_netfilter: IN is the bridge, PHYSIN the
	 * port (nfnetlink_log "Case 2"). */
	{ "br_netfilter: physin differs from in", V4, .in = 6, .physin = 4,
	  .pkt = P_T4, .want = "IN=br0 OUT= PHYSIN=veth0 MAC= " T4B },
	{ "physin equal to in: not printed", V4, .in = 4, .physin = 4,
	  .pkt = P_T4, .want = "IN=veth0 OUT= MAC= " T4B },
	{ "physin and physout both differ", V4, .in = 6, .out = 6,
	  .physin = 4, .physout = 5, .pkt = P_T4,
	  .want = "IN=br0 OUT=br0 PHYSIN=veth0 PHYSOUT=veth1 MAC= " T4B },
	{ "physout equal to out: not printed", V4, .out = 5, .physout = 5,
	  .pkt = P_T4, .want = "IN= OUT=veth1 " T4B },
	{ "physin/physout without in/out", V4, .physin = 4, .physout = 5,
	  .pkt = P_T4, .want = "IN= OUT= PHYSIN=veth0 PHYSOUT=veth1 " T4B },
	{ "interface name escaped", V4, .in = 7, .pkt = P_T4,
	  .want = "IN=we\\x01ird OUT= MAC= " T4B },

	/* --- MAC ---------------------------------------------------------- */
	{ "MAC= is the hard header in hex", V4, IN_ETH0, .pkt = P_T4,
	  .want = "IN=eth0 OUT= " MAC_ETH T4B },
	{ "MAC= of a 4-byte hard header", V4, .in = 2, .hwheader = "0a0b0c0d",
	  .hwtype = 0xfffe, .pkt = P_T4,
	  .want = "IN=eth0 OUT= MAC=0a:0b:0c:0d " T4B },
	{ "MAC= of an empty hard header", V4, .in = 2, .hwheader = "",
	  .hwtype = ARPHRD_NONE, .pkt = P_T4,
	  .want = "IN=eth0 OUT= MAC= " T4B },
	{ "macdecode, ethernet", V4, IN_ETH0, .flags = F_MACD, .pkt = P_T4,
	  .want = "IN=eth0 OUT= MACSRC=02:00:00:00:00:01 "
		  "MACDST=02:00:00:00:00:02 MACPROTO=0800 " T4B },
	/* NFULA_VLAN comes in the bridge family only.  (With
	 * CONFIG_BRIDGE_NETFILTER the kernel also sends the bridge as INDEV
	 * and the port as PHYSINDEV there: see kernel_disagreements.) */
	{ "macdecode, ethernet, vlan", BR4, .in = 4,
	  .hwheader = ETH_HDR, .hwtype = ARPHRD_ETHER,
	  .extra = NFLOG_HAVE_VLAN, .vlan_proto = 0x8100, .vlan_tci = 100,
	  .flags = F_MACD, .pkt = P_T4,
	  .want = "IN=veth0 OUT= MACSRC=02:00:00:00:00:01 "
		  "MACDST=02:00:00:00:00:02 VPROTO=8100 VID=100 MACPROTO=0800 "
		  T4B },
	/* skb_vlan_tag_get() is the whole TCI, priority bits included. */
	{ "macdecode, 802.1ad vlan with priority bits", BR4, .in = 4,
	  .hwheader = ETH_HDR, .hwtype = ARPHRD_ETHER,
	  .extra = NFLOG_HAVE_VLAN, .vlan_proto = 0x88a8, .vlan_tci = 0xa064,
	  .flags = F_MACD, .pkt = P_T4,
	  .want = "IN=veth0 OUT= MACSRC=02:00:00:00:00:01 "
		  "MACDST=02:00:00:00:00:02 VPROTO=88a8 VID=41060 MACPROTO=0800 "
		  T4B },
	{ "vlan without macdecode: not printed", BR4, .in = 4,
	  .hwheader = ETH_HDR, .hwtype = ARPHRD_ETHER,
	  .extra = NFLOG_HAVE_VLAN, .vlan_proto = 0x8100, .vlan_tci = 100,
	  .pkt = P_T4, .want = "IN=veth0 OUT= " MAC_ETH T4B },
	{ "macdecode, ethernet without a header: nothing", V4, .in = 2,
	  .hwtype = ARPHRD_ETHER, .flags = F_MACD, .pkt = P_T4,
	  .want = "IN=eth0 OUT= " T4B },
	{ "macdecode, ethernet with a short header: nothing", V4, .in = 2,
	  .hwheader = "020000000002", .hwtype = ARPHRD_ETHER, .flags = F_MACD,
	  .pkt = P_T4, .want = "IN=eth0 OUT= " T4B },
	{ "macdecode on loopback: MAC= fallback", V4, .in = 1,
	  .hwheader = "000000000000 000000000000 0800",
	  .hwtype = ARPHRD_LOOPBACK, .flags = F_MACD, .pkt = P_T4,
	  .want = "IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 "
		  T4B },
	{ "macdecode without input device: no MAC", V4, .out = 3,
	  .flags = F_MACD, .pkt = P_T4, .want = "IN= OUT=eth1 " T4B },

	/* --- prefix --------------------------------------------------------- */
	{ "prefix", V4, .out = 3, .prefix = "drop: ", .pkt = P_T4,
	  .want = "drop: IN= OUT=eth1 " T4B },
	{ "prefix escaped: newline, backslash, 0xff, DEL", V4, .out = 3,
	  .prefix = "a\nb\\c\xff" "d\x7f" "e ", .pkt = P_T4,
	  .want = "a\\x0ab\\x5cc\\xffd\\x7fe IN= OUT=eth1 " T4B },
	{ "prefix of spaces and tildes kept", V4, .out = 3, .prefix = " ~ ",
	  .pkt = P_T4, .want = " ~ IN= OUT=eth1 " T4B },

	/* --- UID/GID, MARK ------------------------------------------------ */
	{ "uid flag, uid present", V4, .out = 3, .flags = F_UID,
	  .extra = NFLOG_HAVE_UID | NFLOG_HAVE_GID, .uid = 1000, .gid = 100,
	  .pkt = P_T4, .want = "IN= OUT=eth1 " T4B "UID=1000 GID=100 " },
	{ "uid present, flag off", V4, .out = 3,
	  .extra = NFLOG_HAVE_UID | NFLOG_HAVE_GID, .uid = 1000, .gid = 100,
	  .pkt = P_T4, .want = "IN= OUT=eth1 " T4B },
	{ "uid flag, uid absent", V4, .out = 3, .flags = F_UID, .pkt = P_T4,
	  .want = "IN= OUT=eth1 " T4B },
	{ "mark non-zero", V4, .out = 3, .extra = NFLOG_HAVE_MARK,
	  .mark = 0x2a, .pkt = P_T4, .want = "IN= OUT=eth1 " T4B "MARK=0x2a " },
	{ "mark zero: not printed", V4, .out = 3, .extra = NFLOG_HAVE_MARK,
	  .mark = 0, .pkt = P_T4, .want = "IN= OUT=eth1 " T4B },
	{ "uid then mark", V4, .out = 3, .flags = F_UID,
	  .extra = NFLOG_HAVE_UID | NFLOG_HAVE_GID | NFLOG_HAVE_MARK,
	  .mark = 0xdeadbeef, .pkt = P_T4,
	  .want = "IN= OUT=eth1 " T4B "UID=0 GID=0 MARK=0xdeadbeef " },
	{ "ipv6 uid then mark", V6, .out = 3, .flags = F_UID,
	  .extra = NFLOG_HAVE_UID | NFLOG_HAVE_GID | NFLOG_HAVE_MARK,
	  .uid = 4294967294u, .gid = 65534, .mark = 0x10,
	  .pkt = IP6("06") TCP_SYN,
	  .want = "IN= OUT=eth1 " H6("60") TCPB
		  "UID=4294967294 GID=65534 MARK=0x10 " },

	/* --- IPv4 header ---------------------------------------------------- */
	{ "tos and precedence", V4, .out = 3, .pkt = IP4("ff", "0000", "06")
	  TCP_SYN, .want = "IN= OUT=eth1 " S4
	  "LEN=40 TOS=0x1E PREC=0xE0 TTL=64 ID=1 " TCPB },
	{ "CE DF MF", V4, .out = 3, .pkt = IP4("00", "e000", "06") TCP_SYN,
	  .want = "IN= OUT=eth1 " H4("40") "CE DF MF " TCPB },
	{ "non-first fragment: FRAG in 8-byte units, no ports", V4, .out = 3,
	  MARK1, .pkt = IP4("00", "20b9", "06") TCP_SYN,
	  .want = "IN= OUT=eth1 " H4("40") "MF FRAG:185 PROTO=TCP MARK=0x1 " },
	{ "non-first fragment, udp", V4, .out = 3,
	  .pkt = IP4("00", "00b9", "11") UDP_53,
	  .want = "IN= OUT=eth1 " H4("36") "FRAG:185 PROTO=UDP " },
	{ "non-first fragment, icmp", V4, .out = 3,
	  .pkt = IP4("00", "00b9", "01") "0800 0000 1234 0001",
	  .want = "IN= OUT=eth1 " H4("28") "FRAG:185 PROTO=ICMP " },
	{ "non-first fragment, ah: not even PROTO=", V4, .out = 3, MARK1,
	  .pkt = IP4("00", "00b9", "33") "0604 0000 00001000",
	  .want = "IN= OUT=eth1 " H4("28") "FRAG:185 MARK=0x1 " },
	{ "non-first fragment, esp", V4, .out = 3,
	  .pkt = IP4("00", "00b9", "32") "deadbeef 00000001",
	  .want = "IN= OUT=eth1 " H4("28") "FRAG:185 PROTO=ESP " },
	{ "ipopt on: OPT (hex)", V4, .out = 3, .flags = F_IPOPT,
	  .pkt = "4600 LLLL 0001 4000 4006 beef c0a80001 c0a80002 94040000"
		 TCP_SYN,
	  .want = "IN= OUT=eth1 " H4("44") "DF OPT (94040000) " TCPB },
	{ "ipopt off: no OPT", V4, .out = 3,
	  .pkt = "4600 LLLL 0001 4000 4006 beef c0a80001 c0a80002 94040000"
		 TCP_SYN, .want = "IN= OUT=eth1 " H4("44") "DF " TCPB },
	{ "ipopt on, no options", V4, .out = 3, .flags = F_IPOPT, .pkt = P_T4,
	  .want = "IN= OUT=eth1 " T4B },
	{ "ipopt on, options cut: TRUNCATED", V4, .out = 3, .flags = F_IPOPT,
	  MARK1, .pkt = "4f00 LLLL 0001 0000 4011 beef c0a80001 c0a80002 01010101",
	  .want = "IN= OUT=eth1 " H4("24") "TRUNCATED" },
	/* skb->len - offset in unsigned arithmetic: 24 - 60 wraps. */
	{ "ipopt off, IHL past the packet: INCOMPLETE wraps", V4, .out = 3,
	  .pkt = "4f00 LLLL 0001 0000 4011 beef c0a80001 c0a80002 01010101",
	  .want = "IN= OUT=eth1 " H4("24")
		  "PROTO=UDP INCOMPLETE [4294967260 bytes] " },
	{ "ip header cut: TRUNCATED", V4, .in = 2, MARK1,
	  .pkt = "4500 0028 0001 4000 4006 beef c0a8",
	  .want = "IN=eth0 OUT= MAC= TRUNCATED" },

	/* --- TCP -------------------------------------------------------------- */
	{ "tcpseq on", V4, .out = 3, .flags = F_SEQ,
	  .pkt = IP4("00", "4000", "06")
		 "3039 0050 fffffffe 80000000 5010 7210 0000 0000",
	  .want = "IN= OUT=eth1 " H4("40") "DF PROTO=TCP SPT=12345 DPT=80 "
		  "SEQ=4294967294 ACK=2147483648 WINDOW=29200 RES=0x00 ACK URGP=0 " },
	{ "all flags and reserved bits", V4, .out = 3,
	  .pkt = IP4("00", "4000", "06")
		 "ffff 0001 00000001 00000002 5fff 0000 0000 ffff",
	  .want = "IN= OUT=eth1 " H4("40") "DF PROTO=TCP SPT=65535 DPT=1 "
		  "WINDOW=0 RES=0x38 AE CWR ECE URG ACK PSH RST SYN FIN "
		  "URGP=65535 " },
	{ "one reserved bit", V4, .out = 3,
	  .pkt = IP4("00", "4000", "06")
		 "3039 0050 00000001 00000002 5210 7210 0000 0000",
	  .want = "IN= OUT=eth1 " H4("40") "DF PROTO=TCP SPT=12345 DPT=80 "
		  "WINDOW=29200 RES=0x08 ACK URGP=0 " },
	{ "tcpopt on", V4, .out = 3, .flags = F_TOPT,
	  .pkt = IP4("00", "4000", "06")
		 "3039 0050 00000001 00000002 7002 7210 0000 0000"
		 "020405b4 01010402",
	  .want = "IN= OUT=eth1 " H4("48") "DF " TCPB "OPT (020405B401010402) " },
	{ "tcpopt off", V4, .out = 3,
	  .pkt = IP4("00", "4000", "06")
		 "3039 0050 00000001 00000002 6002 7210 0000 0000 020405b4",
	  .want = "IN= OUT=eth1 " H4("44") "DF " TCPB },
	{ "tcpopt on, no options", V4, .out = 3, .flags = F_TOPT, .pkt = P_T4,
	  .want = "IN= OUT=eth1 " T4B },
	{ "tcpopt on, options cut: OPT (TRUNCATED), no MARK", V4, .out = 3,
	  .flags = F_TOPT, MARK1,
	  .pkt = IP4("00", "4000", "06")
		 "3039 0050 00000001 00000002 f002 7210 0000 0000 01010101",
	  .want = "IN= OUT=eth1 " H4("44") "DF " TCPB "OPT (TRUNCATED)" },
	{ "every flag on at once", V4, .in = 2, .out = 3, .flags = LOG_F_ALL,
	  .hwheader = ETH_HDR, .hwtype = ARPHRD_ETHER,
	  .extra = NFLOG_HAVE_UID | NFLOG_HAVE_GID | NFLOG_HAVE_MARK,
	  .uid = 33, .gid = 33, .mark = 0xff,
	  .pkt = "4600 LLLL 0001 4000 4006 beef c0a80001 c0a80002 94040000"
		 "3039 0050 00000001 00000002 6012 7210 0000 0000 01010402",
	  .want = "IN=eth0 OUT=eth1 MACSRC=02:00:00:00:00:01 "
		  "MACDST=02:00:00:00:00:02 MACPROTO=0800 " H4("48")
		  "DF OPT (94040000) PROTO=TCP SPT=12345 DPT=80 SEQ=1 ACK=2 "
		  "WINDOW=29200 RES=0x00 ACK SYN URGP=0 OPT (01010402) "
		  "UID=33 GID=33 MARK=0xff " },
	{ "tcp header cut: INCOMPLETE, no MARK", V4, .out = 3, MARK1,
	  .pkt = "4500 001e 0001 4000 4006 beef c0a80001 c0a80002"
		 "3039 0050 0000 0001 0000",
	  .want = "IN= OUT=eth1 " H4("30") "DF PROTO=TCP INCOMPLETE [10 bytes] " },
	/* A capture cut by the snap length prints as a packet ending there
	 * (fmt_log.c's documented choice; the kernel never sees one). */
	{ "tcp cut by the snap length", V4, .out = 3,
	  .pkt = P_T4 "000102030405060708090a0b0c0d0e0f10111213", .cut = 30,
	  .want = "IN= OUT=eth1 " H4("60") "DF PROTO=TCP INCOMPLETE [10 bytes] " },

	/* --- UDP and others ------------------------------------------------ */
	{ "udp", V4, .out = 3, .pkt = IP4("00", "4000", "11") UDP_53,
	  .want = "IN= OUT=eth1 " H4("36") "DF PROTO=UDP " UDPB },
	{ "udp-lite", V4, .out = 3, .pkt = IP4("00", "4000", "88") UDP_53,
	  .want = "IN= OUT=eth1 " H4("36") "DF PROTO=UDPLITE " UDPB },
	{ "udp header cut: INCOMPLETE, no MARK", V4, .out = 3, MARK1,
	  .pkt = IP4("00", "4000", "11") "3039 0035",
	  .want = "IN= OUT=eth1 " H4("24") "DF PROTO=UDP INCOMPLETE [4 bytes] " },
	{ "ah", V4, .out = 3,
	  .pkt = IP4("00", "4000", "33")
		 "0604 0000 00001000 00000001 000000000000000000000000",
	  .want = "IN= OUT=eth1 " H4("44") "DF PROTO=AH SPI=0x1000 " },
	{ "ah cut: INCOMPLETE, then MARK", V4, .out = 3, MARK1,
	  .pkt = IP4("00", "4000", "33") "0604 0000 00001000",
	  .want = "IN= OUT=eth1 " H4("28")
		  "DF PROTO=AH INCOMPLETE [8 bytes] MARK=0x1 " },
	{ "esp", V4, .out = 3, .pkt = IP4("00", "4000", "32") "deadbeef 00000001",
	  .want = "IN= OUT=eth1 " H4("28") "DF PROTO=ESP SPI=0xdeadbeef " },
	{ "esp cut: INCOMPLETE", V4, .out = 3,
	  .pkt = IP4("00", "4000", "32") "deadbeef",
	  .want = "IN= OUT=eth1 " H4("24") "DF PROTO=ESP INCOMPLETE [4 bytes] " },
	{ "gre: just the number", V4, .out = 3,
	  .pkt = IP4("00", "4000", "2f") "0000 0800",
	  .want = "IN= OUT=eth1 " H4("24") "DF PROTO=47 " },
	{ "sctp: just the number", V4, .out = 3,
	  .pkt = IP4("00", "4000", "84") "0b59 0b5a 11223344 00000000",
	  .want = "IN= OUT=eth1 " H4("32") "DF PROTO=132 " },
	{ "unknown protocol", V4, .out = 3, MARK1,
	  .pkt = IP4("00", "4000", "fd"),
	  .want = "IN= OUT=eth1 " H4("20") "DF PROTO=253 MARK=0x1 " },

	/* --- ICMP ---------------------------------------------------------------- */
	{ "icmp echo", V4, .out = 3,
	  .pkt = IP4("00", "0000", "01") "0800 f7fe 1234 0001",
	  .want = "IN= OUT=eth1 " H4("28") "PROTO=ICMP TYPE=8 CODE=0 ID=4660 SEQ=1 " },
	{ "icmp header cut: INCOMPLETE, then MARK", V4, .out = 3, MARK1,
	  .pkt = IP4("00", "0000", "01") "0800 f7fe",
	  .want = "IN= OUT=eth1 " H4("24")
		  "PROTO=ICMP INCOMPLETE [4 bytes] MARK=0x1 " },
	{ "icmp unreachable below its required length", V4, .out = 3, MARK1,
	  .pkt = IP4("00", "0000", "01") "0301 0000 00000000 4500 0028 0001 4000 4006",
	  .want = "IN= OUT=eth1 " H4("38")
		  "PROTO=ICMP TYPE=3 CODE=1 INCOMPLETE [18 bytes] MARK=0x1 " },
	{ "icmp timestamp below its required length", V4, .out = 3,
	  .pkt = IP4("00", "0000", "01") "0d00 0000 1234 0001 00000000 00000000",
	  .want = "IN= OUT=eth1 " H4("36")
		  "PROTO=ICMP TYPE=13 CODE=0 INCOMPLETE [16 bytes] " },
	{ "icmp frag needed, quoted ipv4+udp, MTU", V4, .out = 3, MARK1,
	  .pkt = IP4("c0", "0000", "01") "0304 0000 0000 05c8"
		 "4500 05dc 0777 4000 3f11 0000 c0a80002 0a000009"
		 "1f90 0035 05c8 0000",
	  .want = "IN= OUT=eth1 " S4 "LEN=56 TOS=0x00 PREC=0xC0 TTL=64 ID=1 "
		  "PROTO=ICMP TYPE=3 CODE=4 [SRC=192.168.0.2 DST=10.0.0.9 "
		  "LEN=1500 TOS=0x00 PREC=0x00 TTL=63 ID=1911 DF PROTO=UDP "
		  "SPT=8080 DPT=53 LEN=1480 ] MTU=1480 MARK=0x1 " },
	{ "icmp time exceeded quoting 8 bytes of tcp", V4, .out = 3,
	  .pkt = IP4("c0", "0000", "01") "0b00 0000 0000 0000"
		 "4500 0034 0001 4000 0106 0000 c0a80002 0a000009"
		 "3039 0050 00000001",
	  .want = "IN= OUT=eth1 " S4 "LEN=56 TOS=0x00 PREC=0xC0 TTL=64 ID=1 "
		  "PROTO=ICMP TYPE=11 CODE=0 [SRC=192.168.0.2 DST=10.0.0.9 "
		  "LEN=52 TOS=0x00 PREC=0x00 TTL=1 ID=1 DF PROTO=TCP "
		  "INCOMPLETE [8 bytes] ] " },
	{ "icmp quoting a bare ip header", V4, .out = 3,
	  .pkt = IP4("c0", "0000", "01") "0303 0000 0000 0000"
		 "4500 0030 0001 4000 4011 0000 c0a80002 0a000009",
	  .want = "IN= OUT=eth1 " S4 "LEN=48 TOS=0x00 PREC=0xC0 TTL=64 ID=1 "
		  "PROTO=ICMP TYPE=3 CODE=3 [SRC=192.168.0.2 DST=10.0.0.9 "
		  "LEN=48 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=UDP "
		  "INCOMPLETE [0 bytes] ] " },
	{ "icmp redirect: GATEWAY and quoted packet", V4, .out = 3,
	  .pkt = IP4("c0", "0000", "01") "0501 0000 c0a801fe"
		 "4500 001c 0001 0000 4011 0000 c0a80002 08080808"
		 "1f90 0035 0008 0000",
	  .want = "IN= OUT=eth1 " S4 "LEN=56 TOS=0x00 PREC=0xC0 TTL=64 ID=1 "
		  "PROTO=ICMP TYPE=5 CODE=1 GATEWAY=192.168.1.254 "
		  "[SRC=192.168.0.2 DST=8.8.8.8 LEN=28 TOS=0x00 PREC=0x00 TTL=64 "
		  "ID=1 PROTO=UDP SPT=8080 DPT=53 LEN=8 ] " },
	{ "icmp parameter problem: PARAMETER, no quoted packet", V4, .out = 3,
	  .pkt = IP4("c0", "0000", "01") "0c00 0000 14000000"
		 "4600 0020 0001 0000 4011 0000 c0a80002 08080808 94040000"
		 "1f90 0035 0008 0000",
	  .want = "IN= OUT=eth1 " S4 "LEN=60 TOS=0x00 PREC=0xC0 TTL=64 ID=1 "
		  "PROTO=ICMP TYPE=12 CODE=0 PARAMETER=20 " },
	{ "icmp error inside an icmp error: no second level", V4, .out = 3,
	  .pkt = IP4("c0", "0000", "01") "0b00 0000 0000 0000"
		 "4500 0038 0001 0000 4001 0000 c0a80002 0a000009"
		 "0304 0000 0000 0500"
		 "4500 0030 0001 0000 4011 0000 0a000009 c0a80002",
	  .want = "IN= OUT=eth1 " S4 "LEN=76 TOS=0x00 PREC=0xC0 TTL=64 ID=1 "
		  "PROTO=ICMP TYPE=11 CODE=0 [SRC=192.168.0.2 DST=10.0.0.9 "
		  "LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=3 "
		  "CODE=4 MTU=1280 ] " },
	{ "icmp unknown type", V4, .out = 3,
	  .pkt = IP4("00", "0000", "01") "c800 0000 01020304",
	  .want = "IN= OUT=eth1 " H4("28") "PROTO=ICMP TYPE=200 CODE=0 " },

	/* --- IPv6 ------------------------------------------------------------- */
	{ "ipv6 tcp", V6, .in = 2, .pkt = IP6("06") TCP_SYN,
	  .want = "IN=eth0 OUT= MAC= " H6("60") TCPB },
	{ "ipv6 udp", V6, .out = 3, .pkt = IP6("11") UDP_53,
	  .want = "IN= OUT=eth1 " H6("56") "PROTO=UDP " UDPB },
	{ "ipv6 no next header", V6, .out = 3, MARK1, .pkt = IP6("3b"),
	  .want = "IN= OUT=eth1 " H6("40") "PROTO=59 MARK=0x1 " },
	{ "ipv6 unknown protocol", V6, .out = 3, .pkt = IP6("84") "0b59 0b5a",
	  .want = "IN= OUT=eth1 " H6("44") "PROTO=132 " },
	{ "ipv6 header cut: TRUNCATED", V6, .out = 3,
	  .pkt = "62a12345 0014 06 40" SRC6,
	  .want = "IN= OUT=eth1 TRUNCATED" },
	{ "ipv6 first fragment, ipopt", V6, .out = 3, .flags = F_IPOPT,
	  .pkt = IP6("2c") "0600 0001 0000abcd" TCP_SYN,
	  .want = "IN= OUT=eth1 " H6("68")
		  "OPT ( FRAG:0 INCOMPLETE ID:0000abcd ) " TCPB },
	{ "ipv6 first fragment, no ipopt", V6, .out = 3,
	  .pkt = IP6("2c") "0600 0001 0000abcd" TCP_SYN,
	  .want = "IN= OUT=eth1 " H6("68") "FRAG:0 INCOMPLETE ID:0000abcd " TCPB },
	{ "ipv6 last fragment: no ports", V6, .out = 3, MARK1,
	  .pkt = IP6("2c") "0600 05a8 0000abcd" TCP_SYN,
	  .want = "IN= OUT=eth1 " H6("68")
		  "FRAG:1448 ID:0000abcd PROTO=TCP MARK=0x1 " },
	{ "ipv6 hop-by-hop then fragment, ipopt", V6, .out = 3, .flags = F_IPOPT,
	  .pkt = IP6("00") DSTOPT("2c") "0600 0001 0000abcd" TCP_SYN,
	  .want = "IN= OUT=eth1 " H6("76")
		  "OPT ( ) OPT ( FRAG:0 INCOMPLETE ID:0000abcd ) " TCPB },
	{ "ipv6 hop-by-hop then fragment, no ipopt", V6, .out = 3,
	  .pkt = IP6("00") DSTOPT("2c") "0600 0001 0000abcd" TCP_SYN,
	  .want = "IN= OUT=eth1 " H6("76") "FRAG:0 INCOMPLETE ID:0000abcd " TCPB },
	{ "ipv6 non-first fragment then dstopts, ipopt", V6, .out = 3,
	  .flags = F_IPOPT, MARK1,
	  .pkt = IP6("2c") "3c00 0009 0000abcd" DSTOPT("06") TCP_SYN,
	  .want = "IN= OUT=eth1 " H6("76")
		  "OPT ( FRAG:8 INCOMPLETE ID:0000abcd ) OPT ( )" },
	{ "ipv6 non-first fragment then dstopts, no ipopt", V6, .out = 3, MARK1,
	  .pkt = IP6("2c") "3c00 0009 0000abcd" DSTOPT("06") TCP_SYN,
	  .want = "IN= OUT=eth1 " H6("76") "FRAG:8 INCOMPLETE ID:0000abcd " },
	{ "ipv6 fragment header cut, ipopt", V6, .out = 3, .flags = F_IPOPT,
	  .pkt = IP6("2c") "0600 0001",
	  .want = "IN= OUT=eth1 " H6("44") "OPT ( FRAG:TRUNCATED " },
	{ "ipv6 fragment header cut, no ipopt", V6, .out = 3,
	  .pkt = IP6("2c") "0600 0001",
	  .want = "IN= OUT=eth1 " H6("44") "FRAG:TRUNCATED " },
	{ "ipv6 extension header cut: TRUNCATED", V6, .out = 3, .flags = F_IPOPT,
	  .pkt = IP6("00") "06",
	  .want = "IN= OUT=eth1 " H6("41") "TRUNCATED" },
	{ "ipv6 extension header running past the packet", V6, .out = 3,
	  .pkt = IP6("00") "060a 0104 00000000 00000000",
	  .want = "IN= OUT=eth1 " H6("52")
		  "PROTO=TCP INCOMPLETE [4294967220 bytes] " },
	{ "ipv6 ah, ipopt", V6, .out = 3, .flags = F_IPOPT,
	  .pkt = IP6("33") "0604 0000 00000100 00000001 000000000000000000000000"
		 TCP_SYN,
	  .want = "IN= OUT=eth1 " H6("84") "OPT ( AH SPI=0x100 ) " TCPB },
	{ "ipv6 ah, no ipopt", V6, .out = 3,
	  .pkt = IP6("33") "0604 0000 00000100 00000001 000000000000000000000000"
		 TCP_SYN,
	  .want = "IN= OUT=eth1 " H6("84") TCPB },
	{ "ipv6 ah cut, ipopt", V6, .out = 3, .flags = F_IPOPT,
	  .pkt = IP6("33") "0604 0000 00000100",
	  .want = "IN= OUT=eth1 " H6("48") "OPT ( AH INCOMPLETE [8 bytes] )" },
	{ "ipv6 non-first fragment then ah, ipopt", V6, .out = 3,
	  .flags = F_IPOPT,
	  .pkt = IP6("2c") "3300 0008 0000abcd"
		 "0604 0000 00000100 00000001 000000000000000000000000" TCP_SYN,
	  .want = "IN= OUT=eth1 " H6("92")
		  "OPT ( FRAG:8 ID:0000abcd ) OPT ( AH )" },
	{ "ipv6 non-first fragment then ah, no ipopt", V6, .out = 3,
	  .pkt = IP6("2c") "3300 0008 0000abcd"
		 "0604 0000 00000100 00000001 000000000000000000000000" TCP_SYN,
	  .want = "IN= OUT=eth1 " H6("92") "FRAG:8 ID:0000abcd PROTO=TCP " },
	{ "ipv6 esp, ipopt", V6, .out = 3, .flags = F_IPOPT, MARK1,
	  .pkt = IP6("32") "cafebabe 00000001 01020304",
	  .want = "IN= OUT=eth1 " H6("52") "OPT ( ESP SPI=0xcafebabe )" },
	{ "ipv6 esp, no ipopt", V6, .out = 3, MARK1,
	  .pkt = IP6("32") "cafebabe 00000001 01020304",
	  .want = "IN= OUT=eth1 " H6("52") },
	{ "ipv6 esp cut, ipopt", V6, .out = 3, .flags = F_IPOPT,
	  .pkt = IP6("32") "cafebabe",
	  .want = "IN= OUT=eth1 " H6("44") "OPT ( ESP INCOMPLETE [4 bytes] )" },
	{ "ipv6 non-first fragment then esp, ipopt", V6, .out = 3,
	  .flags = F_IPOPT, .pkt = IP6("2c") "3200 0008 0000abcd cafebabe 00000001",
	  .want = "IN= OUT=eth1 " H6("56") "OPT ( FRAG:8 ID:0000abcd ) OPT ( ESP )" },
	{ "icmpv6 echo", V6, .out = 3, .pkt = IP6("3a") "8000 1234 abcd 0007",
	  .want = "IN= OUT=eth1 " H6("48")
		  "PROTO=ICMPv6 TYPE=128 CODE=0 ID=43981 SEQ=7 " },
	{ "icmpv6 mld query: no fields", V6, .out = 3,
	  .pkt = IP6("3a") "8200 0000 0000 0000",
	  .want = "IN= OUT=eth1 " H6("48") "PROTO=ICMPv6 TYPE=130 CODE=0 " },
	{ "icmpv6 cut: INCOMPLETE, no MARK", V6, .out = 3, MARK1,
	  .pkt = IP6("3a") "8000 1234",
	  .want = "IN= OUT=eth1 " H6("44") "PROTO=ICMPv6 INCOMPLETE [4 bytes] " },
	{ "icmpv6 packet too big, quoted ipv6+udp, MTU", V6, .out = 3, MARK1,
	  .pkt = IP6("3a") "0200 0000 00000500"
		 "60000000 05b0 11 3f" DST6 SRC6 "1f90 0035 05b0 0000",
	  .want = "IN= OUT=eth1 " H6("96") "PROTO=ICMPv6 TYPE=2 CODE=0 "
		  "[SRC=" A6D " DST=" A6S " LEN=1496 TC=0 HOPLIMIT=63 FLOWLBL=0 "
		  "PROTO=UDP SPT=8080 DPT=53 LEN=1456 ] MTU=1280 MARK=0x1 " },
	{ "icmpv6 parameter problem: POINTER and quoted packet", V6, .out = 3,
	  .pkt = IP6("3a") "0400 0000 0000002a"
		 "60000000 0008 11 3f" DST6 SRC6 "1f90 0035 0008 0000",
	  .want = "IN= OUT=eth1 " H6("96") "PROTO=ICMPv6 TYPE=4 CODE=0 "
		  "POINTER=0000002a [SRC=" A6D " DST=" A6S " LEN=48 TC=0 "
		  "HOPLIMIT=63 FLOWLBL=0 PROTO=UDP SPT=8080 DPT=53 LEN=8 ] " },
	{ "icmpv6 unreachable quoting a cut ipv6 header", V6, .out = 3,
	  .pkt = IP6("3a") "0104 0000 00000000 60000000 0008 11 3f",
	  .want = "IN= OUT=eth1 " H6("56") "PROTO=ICMPv6 TYPE=1 CODE=4 "
		  "[TRUNCATED] " },
	/* --- not IP: ARP (dump_arp_packet) and unknown link protocols ---- */
	{ "arp family, request: no MAC=, no trailing space", .family = NFPROTO_ARP,
	  .hw_protocol = ETH_P_ARP, IN_ETH0, .pkt = ARP_REQ,
	  .want = "IN=eth0 OUT= " ARPB },
	{ "arp family, ARP request, macdecode", .family = NFPROTO_ARP,
	  .hw_protocol = ETH_P_ARP, .in = 2,
	  .hwheader = "ffffffffffff 020000000001 0806", .hwtype = ARPHRD_ETHER,
	  .flags = F_MACD, .pkt = ARP_REQ,
	  .want = "IN=eth0 OUT= MACSRC=02:00:00:00:00:01 "
		  "MACDST=ff:ff:ff:ff:ff:ff MACPROTO=0806 ARP HTYPE=1 "
		  "PTYPE=0x0800 OPCODE=1 MACSRC=02:00:00:00:00:01 "
		  "IPSRC=192.168.0.1 MACDST=00:00:00:00:00:00 IPDST=192.168.0.2" },
	{ "arp family, ARP cut after the fixed header", .family = NFPROTO_ARP,
	  .hw_protocol = ETH_P_ARP, .in = 2, .pkt = "0001 0800 06 04 0002 0200",
	  .want = "IN=eth0 OUT= ARP HTYPE=1 PTYPE=0x0800 OPCODE=2 "
		  "INCOMPLETE [2 bytes]" },
	{ "arp, not ethernet: no addresses", .family = NFPROTO_ARP,
	  .hw_protocol = ETH_P_ARP, .in = 2,
	  .pkt = "0006 0800 06 04 0001 020000000001 c0a80001 000000000000 c0a80002",
	  .want = "IN=eth0 OUT= ARP HTYPE=6 PTYPE=0x0800 OPCODE=1" },
	{ "arp header cut: TRUNCATED", .family = NFPROTO_ARP,
	  .hw_protocol = ETH_P_ARP, .in = 2, .pkt = "0001 0800 0604",
	  .want = "IN=eth0 OUT= TRUNCATED" },
	{ "arp family, output: no input device", .family = NFPROTO_ARP,
	  .hw_protocol = ETH_P_ARP, .out = 3, .flags = F_MACD, .pkt = ARP_REQ,
	  .want = "IN= OUT=eth1 " ARPB },
	{ "bridge family, arp", .family = NFPROTO_BRIDGE,
	  .hw_protocol = ETH_P_ARP, .in = 4,
	  .hwheader = "ffffffffffff 020000000001 0806", .hwtype = ARPHRD_ETHER,
	  .pkt = ARP_REQ, .want = "IN=veth0 OUT= " ARPB },
	{ "netdev family, rarp", .family = NFPROTO_NETDEV,
	  .hw_protocol = ETH_P_RARP, .in = 2, .pkt = ARP_REQ,
	  .want = "IN=eth0 OUT= " ARPB },
	{ "bridge family, lldp: MAC= only", .family = NFPROTO_BRIDGE,
	  .hw_protocol = 0x88cc, .in = 4,
	  .hwheader = "0180c200000e 020000000001 88cc", .hwtype = ARPHRD_ETHER,
	  .pkt = "0207 0402 0000 0000 0001",
	  .want = "IN=veth0 OUT= MAC=01:80:c2:00:00:0e:02:00:00:00:00:01:88:cc " },
	{ "bridge family, lldp, macdecode", .family = NFPROTO_BRIDGE,
	  .hw_protocol = 0x88cc, .in = 4, .flags = F_MACD,
	  .hwheader = "0180c200000e 020000000001 88cc", .hwtype = ARPHRD_ETHER,
	  .pkt = "0207 0402 0000 0000 0001",
	  .want = "IN=veth0 OUT= MACSRC=02:00:00:00:00:01 "
		  "MACDST=01:80:c2:00:00:0e MACPROTO=88cc " },
	/* nf_log_unknown_packet() calls dump_mac_header() even without an
	 * input device. */
	{ "netdev family, unknown protocol, no input device", .family =
	  NFPROTO_NETDEV, .hw_protocol = 0x88b5, .out = 3, .pkt = "01020304",
	  .want = "IN= OUT=eth1 MAC= " },

	/* --- UID= in the bridge/netdev families (see uid_is_local) -------- */
	{ "bridge family, input device: no UID", BR4, .in = 4, .flags = F_UID,
	  .extra = NFLOG_HAVE_UID | NFLOG_HAVE_GID | NFLOG_HAVE_MARK,
	  .uid = 1000, .gid = 1000, .mark = 3, .pkt = P_T4,
	  .want = "IN=veth0 OUT= MAC= " T4B "MARK=0x3 " },
	{ "bridge family, output: UID", BR4, .out = 5, .flags = F_UID,
	  .extra = NFLOG_HAVE_UID | NFLOG_HAVE_GID, .uid = 1000, .gid = 1000,
	  .pkt = P_T4, .want = "IN= OUT=veth1 " T4B "UID=1000 GID=1000 " },
	{ "netdev family, ingress: no UID", .family = NFPROTO_NETDEV,
	  .hw_protocol = ETH_P_IPV6, .in = 2, .flags = F_UID,
	  .extra = NFLOG_HAVE_UID | NFLOG_HAVE_GID, .pkt = IP6("3b"),
	  .want = "IN=eth0 OUT= MAC= " H6("40") "PROTO=59 " },
	{ "ipv4 family, input device: UID", V4, .in = 2, .flags = F_UID,
	  .extra = NFLOG_HAVE_UID | NFLOG_HAVE_GID, .uid = 7, .gid = 8,
	  .pkt = P_T4, .want = "IN=eth0 OUT= MAC= " T4B "UID=7 GID=8 " },
};

/* Rows where fmt_log.c is known to print something else than the kernel.
 * The expectation is the kernel's line. */
static const struct lcase gap_cases[] = {
	/* Bridge family with CONFIG_BRIDGE_NETFILTER=y (this machine):
	 * nfnetlink_log's "Case 1" sends the port the hook saw as PHYSINDEV
	 * and its bridge as INDEV (likewise OUT), but the LOG target prints
	 * the hook's own devices, the ports: IN=veth0 OUT=veth1, and no
	 * PHYSIN/PHYSOUT (br_netfilter's physindev, when set, is that same
	 * port). */
	{ "bridge family: IN/OUT are the ports", BR4, .in = 6, .out = 6,
	  .physin = 4, .physout = 5, .hwheader = ETH_HDR,
	  .hwtype = ARPHRD_ETHER, .pkt = P_T4,
	  .want = "IN=veth0 OUT=veth1 " MAC_ETH T4B },
	{ "bridge family, ARP request: IN is the port", .family = NFPROTO_BRIDGE,
	  .hw_protocol = ETH_P_ARP, .in = 6, .physin = 4,
	  .hwheader = "ffffffffffff 020000000001 0806", .hwtype = ARPHRD_ETHER,
	  .pkt = ARP_REQ,
	  .want = "IN=veth0 OUT= ARP HTYPE=1 PTYPE=0x0800 OPCODE=1 "
		  "MACSRC=02:00:00:00:00:01 IPSRC=192.168.0.1 "
		  "MACDST=00:00:00:00:00:00 IPDST=192.168.0.2" },
};

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Everything a record points into. */
struct made {
	struct nflog_meta m;
	struct record rec;
	struct log_ifnames ifn;
	uint8_t *pkt;
	uint8_t *hwh;
};

static void make(const struct lcase *c, struct made *x)
{
	uint8_t tmp[MAXPKT];
	size_t n;

	memset(x, 0, sizeof(*x));
	x->m.family = c->family;
	if (c->hw_protocol) {
		x->m.present |= NFLOG_HAVE_HWPROTO;
		x->m.hw_protocol = c->hw_protocol;
	}
#define DEV(f, bit, name) \
	if (c->f) { \
		x->m.present |= NFLOG_HAVE_##bit; \
		x->m.f##dev = c->f; \
		x->ifn.name = ifnames[c->f]; \
	}
	DEV(in, INDEV, in)
	DEV(out, OUTDEV, out)
	DEV(physin, PHYSINDEV, physin)
	DEV(physout, PHYSOUTDEV, physout)
#undef DEV
	if (c->prefix) {
		x->m.present |= NFLOG_HAVE_PREFIX;
		x->m.prefix = c->prefix;
		x->m.prefix_len = strlen(c->prefix);
	}
	if (c->hwtype) {
		x->m.present |= NFLOG_HAVE_HWTYPE | NFLOG_HAVE_HWLEN;
		x->m.hwtype = c->hwtype;
	}
	if (c->hwheader) {
		n = tu_unhex(c->hwheader, tmp, sizeof(tmp));
		x->hwh = tu_exact_copy(tmp, n);
		x->m.present |= NFLOG_HAVE_HWHEADER;
		x->m.hwheader = x->hwh;
		x->m.hwheader_len = n;
		x->m.hwlen = (uint16_t)n;
	}
	x->m.present |= c->extra;
	x->m.uid = c->uid;
	x->m.gid = c->gid;
	x->m.mark = c->mark;
	x->m.vlan_proto = c->vlan_proto;
	x->m.vlan_tci = c->vlan_tci;
	if (c->pkt) {
		n = tu_mkpkt(c->pkt, tmp, sizeof(tmp));
		if (c->cut) {
			ck_assert_uint_le(c->cut, n);
			n = c->cut;
		}
		/* exact size: an over-read trips ASan */
		x->pkt = tu_exact_copy(tmp, n);
		x->m.present |= NFLOG_HAVE_PAYLOAD;
		x->m.payload = x->pkt;
		x->m.payload_len = n;
	}
	decode_packet(&x->m, &x->rec);
}

static void unmake(struct made *x)
{
	free(x->pkt);
	free(x->hwh);
}

static void run_line(const struct lcase *c)
{
	struct made x;
	char buf[FMT_LOG_MAX];
	int r;

	make(c, &x);
	memset(buf, 'Z', sizeof(buf));
	r = fmt_log(&x.rec, &x.ifn, c->flags, buf, sizeof(buf));
	ck_assert_msg(r >= 0, "%s: fmt_log = %d", c->name, r);
	ck_assert_msg(strcmp(buf, c->want) == 0,
		      "%s:\n got  \"%s\"\n want \"%s\"", c->name, buf, c->want);
	ck_assert_int_eq(r, (int)strlen(c->want));
	unmake(&x);
}

START_TEST(test_lines)
{
	run_line(&cases[_i]);
}
END_TEST

START_TEST(test_kernel_disagreements)
{
	run_line(&gap_cases[_i]);
}
END_TEST

/* The LOG target builds its line in a struct nf_log_buf of S_SIZE = 1019
 * bytes (net/netfilter/nf_log.c) that starts with the 2-byte KERN_SOH
 * level: text beyond 1016 characters is dropped, mid-field.  Checked on
 * this kernel: 150 DSTOPTS headers with "flags ip options" gave a line of
 * exactly 1016 characters ending in "OPT ( ) OPT".  A chain of n
 * extension headers adds 8n characters, so a big enough packet also
 * overflows FMT_LOG_MAX.  n = 50 fits and must print in full. */
#define KERNEL_LINE_MAX 1016

START_TEST(test_kernel_line_limit)
{
	static const int nhdr[] = { 50, 150, 300 };
	int n = nhdr[_i];
	size_t hexsize = 256 + 20 * (size_t)n, wsize = 512 + 8 * (size_t)n;
	char *hex = malloc(hexsize), *full = malloc(wsize), *want;
	char lenbuf[16];
	struct lcase c = { .name = "long extension chain", V6, .in = 2,
			   .flags = F_IPOPT };
	struct made x;
	char buf[FMT_LOG_MAX];
	int r;

	ck_assert_ptr_nonnull(hex);
	ck_assert_ptr_nonnull(full);
	strcpy(hex, IP6("3c"));
	for (int i = 0; i < n; i++)
		strcat(hex, i == n - 1 ? DSTOPT("3b") : DSTOPT("3c"));
	c.pkt = hex;
	snprintf(lenbuf, sizeof(lenbuf), "%d", 40 + 8 * n);
	snprintf(full, wsize, "IN=eth0 OUT= MAC= " S6 "LEN=%s TC=42 HOPLIMIT=64 "
		 "FLOWLBL=74565 ", lenbuf);
	for (int i = 0; i < n; i++)
		strcat(full, "OPT ( ) ");
	strcat(full, "PROTO=59 ");
	want = full;
	if (strlen(want) > KERNEL_LINE_MAX)
		want[KERNEL_LINE_MAX] = '\0';

	make(&c, &x);
	r = fmt_log(&x.rec, &x.ifn, c.flags, buf, sizeof(buf));
	ck_assert_msg(r == (int)strlen(want), "%d headers: fmt_log = %d, "
		      "the kernel prints %zu characters", n, r, strlen(want));
	ck_assert_str_eq(buf, want);
	unmake(&x);
	free(hex);
	free(full);
}
END_TEST

/* ifn == NULL prints empty names. */
START_TEST(test_null_ifnames)
{
	static const struct lcase c = { "null ifnames", V4, .in = 2, .out = 3,
		.physin = 4, .pkt = P_T4,
		.want = "IN= OUT= PHYSIN= MAC= " T4B };
	struct made x;
	char buf[FMT_LOG_MAX];

	make(&c, &x);
	ck_assert_int_eq(fmt_log(&x.rec, NULL, 0, buf, sizeof(buf)),
			 (int)strlen(c.want));
	ck_assert_str_eq(buf, c.want);
	unmake(&x);
}
END_TEST

/* --- -ENOSPC: every size from 0 to needed + 1 --------------------------- */

static const struct lcase long_cases[] = {
	{ "everything", V4, .in = 2, .out = 3, .physin = 4, .physout = 5,
	  .prefix = "long\n prefix\\", .hwheader = ETH_HDR,
	  .hwtype = ARPHRD_ETHER, .flags = LOG_F_ALL,
	  .extra = NFLOG_HAVE_UID | NFLOG_HAVE_GID | NFLOG_HAVE_MARK,
	  .uid = 1000, .gid = 1000, .mark = 0xffffffff,
	  .pkt = IP4("c0", "0000", "01") "0304 0000 0000 05c8"
		 "4f00 05dc 0777 4000 3f06 0000 c0a80002 0a000009"
		 "01010101010101010101010101010101010101010101010101010101"
		 "010101010101010101010100"
		 "3039 0050 00000001 00000002 f0ff 7210 0000 0000"
		 "0101010101010101010101010101010101010101010101010101"
		 "01010101010101010101010101" },
	{ "ipv6 ipopt chain", V6, .in = 2, .hwheader = ETH_HDR,
	  .hwtype = ARPHRD_ETHER, .flags = LOG_F_ALL, MARK1,
	  .pkt = IP6("00") DSTOPT("2b") "3c00 0401 00000000" DSTOPT("2c")
		 "3300 0001 0000abcd"
		 "0604 0000 00000100 00000001 000000000000000000000000" TCP_SYN },
	{ "short: no interfaces, no packet", V4 },
};

START_TEST(test_enospc)
{
	const struct lcase *c = &long_cases[_i];
	struct made x;
	char full[FMT_LOG_MAX];
	int need;

	make(c, &x);
	need = fmt_log(&x.rec, &x.ifn, c->flags, full, sizeof(full));
	ck_assert_int_gt(need, 0);
	ck_assert_int_eq(need, (int)strlen(full));
	for (size_t size = 0; size <= (size_t)need + 1; size++) {
		enum { GUARD = 16 };
		char *buf = malloc(size + GUARD);
		int r;

		ck_assert_ptr_nonnull(buf);
		memset(buf, 0x5a, size + GUARD);
		r = fmt_log(&x.rec, &x.ifn, c->flags, buf, size);
		for (size_t g = size; g < size + GUARD; g++)
			ck_assert_msg(buf[g] == 0x5a, "%s: size %zu: wrote at %zu",
				      c->name, size, g);
		if (size > (size_t)need) {
			ck_assert_int_eq(r, need);
			ck_assert_str_eq(buf, full);
		} else {
			ck_assert_msg(r == -ENOSPC, "%s: size %zu: %d", c->name,
				      size, r);
		}
		if (size > 0) {
			size_t len = strnlen(buf, size);

			ck_assert_msg(len < size, "%s: size %zu: no NUL",
				      c->name, size);
			/* what fits is the start of the line */
			ck_assert_msg(memcmp(buf, full, len) == 0,
				      "%s: size %zu: not a prefix", c->name, size);
			if (r == -ENOSPC)
				ck_assert_uint_eq(len, size - 1);
		}
		free(buf);
	}
	unmake(&x);
}
END_TEST

/* --- fmt_log_parse_flags ------------------------------------------------- */

static const struct {
	const char *list;
	int ret;
	unsigned int flags;
	int bad;                /* offset of *bad on error */
} flag_cases[] = {
	{ "tcpseq", 0, LOG_F_TCPSEQ, 0 },
	{ "tcpopt", 0, LOG_F_TCPOPT, 0 },
	{ "ipopt", 0, LOG_F_IPOPT, 0 },
	{ "uid", 0, LOG_F_UID, 0 },
	{ "macdecode", 0, LOG_F_MACDECODE, 0 },
	{ "all", 0, LOG_F_ALL, 0 },
	{ "none", 0, 0, 0 },
	{ "", 0, 0, 0 },
	{ "tcpseq,uid", 0, LOG_F_TCPSEQ | LOG_F_UID, 0 },
	{ "ipopt,ipopt", 0, LOG_F_IPOPT, 0 },
	{ "tcpseq,tcpopt,ipopt,uid,macdecode", 0, LOG_F_ALL, 0 },
	{ "none,tcpopt", 0, LOG_F_TCPOPT, 0 },
	{ "bogus", -EINVAL, 0, 0 },
	{ "tcpseq,bogus,uid", -EINVAL, 0, 7 },
	{ "TCPSEQ", -EINVAL, 0, 0 },
	{ "tcp", -EINVAL, 0, 0 },
	{ "tcpseqx", -EINVAL, 0, 0 },
	{ "uid, tcpseq", -EINVAL, 0, 4 },
	{ "uid,,tcpseq", -EINVAL, 0, 4 },
	{ "all,macdecod", -EINVAL, 0, 4 },
};

START_TEST(test_parse_flags)
{
	const char *list = flag_cases[_i].list;
	unsigned int flags = 0x1234;
	const char *bad = NULL;
	int r = fmt_log_parse_flags(list, &flags, &bad);

	ck_assert_msg(r == flag_cases[_i].ret, "\"%s\": %d", list, r);
	if (r == 0) {
		ck_assert_msg(flags == flag_cases[_i].flags, "\"%s\": %#x", list,
			      flags);
	} else {
		ck_assert_msg(flags == 0x1234, "\"%s\": flags written on error",
			      list);
		ck_assert_ptr_eq(bad, list + flag_cases[_i].bad);
		/* bad may be NULL */
		ck_assert_int_eq(fmt_log_parse_flags(list, &flags, NULL), r);
	}
}
END_TEST

/* --- fmt_log_escape --------------------------------------------------- */

static const struct {
	const char *in;
	size_t len, size;
	int ret;
	const char *out;
} esc_cases[] = {
	{ "abc", 3, 16, 3, "abc" },
	{ "", 0, 16, 0, "" },
	{ "", 0, 0, 0, "" },
	{ "a\nb", 3, 16, 6, "a\\x0ab" },
	{ "\\", 1, 16, 4, "\\x5c" },
	{ "\x7f", 1, 16, 4, "\\x7f" },
	{ "\x80", 1, 16, 4, "\\x80" },
	{ "\xff", 1, 16, 4, "\\xff" },
	{ "\x1f", 1, 16, 4, "\\x1f" },
	{ "\t", 1, 16, 4, "\\x09" },
	{ "\0", 1, 16, 4, "\\x00" },
	{ " ~!", 3, 16, 3, " ~!" },
	{ "a\0b", 3, 16, 6, "a\\x00b" },
	{ "abc", 3, 3, 3, "abc" },       /* exactly fits: no NUL needed */
	{ "abc", 3, 2, -ENOSPC, NULL },
	{ "\n", 1, 4, 4, "\\x0a" },
	{ "\n", 1, 3, -ENOSPC, NULL },
	{ "abc", 2, 16, 2, "ab" },       /* len, not strlen */
};

START_TEST(test_escape)
{
	char buf[32];
	int r;

	memset(buf, 0x5a, sizeof(buf));
	r = fmt_log_escape(esc_cases[_i].in, esc_cases[_i].len, buf,
			   esc_cases[_i].size);
	ck_assert_int_eq(r, esc_cases[_i].ret);
	for (size_t g = esc_cases[_i].size; g < sizeof(buf); g++)
		ck_assert_msg(buf[g] == 0x5a, "case %d: wrote past size", _i);
	if (r >= 0) {
		ck_assert_int_eq(r, (int)strlen(esc_cases[_i].out));
		ck_assert_msg(memcmp(buf, esc_cases[_i].out, (size_t)r) == 0,
			      "case %d: \"%.*s\"", _i, r, buf);
	}
}
END_TEST

/* --- robustness: decode + format garbage --------------------------------- */

static void format_random(const uint8_t *p, size_t len, unsigned int flags,
			  uint8_t family)
{
	uint8_t *x = tu_exact_copy(p, len);
	static const uint8_t hwh[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0 };
	struct nflog_meta m = {
		.present = NFLOG_HAVE_PAYLOAD | NFLOG_HAVE_INDEV |
			   NFLOG_HAVE_HWHEADER | NFLOG_HAVE_HWTYPE |
			   NFLOG_HAVE_MARK | NFLOG_HAVE_UID | NFLOG_HAVE_GID |
			   NFLOG_HAVE_PREFIX | NFLOG_HAVE_VLAN,
		.family = family, .indev = 2, .hwtype = ARPHRD_ETHER,
		.hwheader = hwh, .hwheader_len = sizeof(hwh), .mark = 1,
		.prefix = "p: ", .prefix_len = 3, .vlan_tci = 0xffff,
	};
	struct log_ifnames ifn = { "eth0", "eth1", "veth0", "veth1" };
	struct record rec;
	char buf[FMT_LOG_MAX];
	int r;

	m.payload = x;
	m.payload_len = len;
	decode_packet(&m, &rec);
	r = fmt_log(&rec, &ifn, flags, buf, sizeof(buf));
	/* The kernel's own bound is ~1 KiB: FMT_LOG_MAX always suffices. */
	ck_assert_msg(r >= 0, "fmt_log = %d", r);
	ck_assert_int_eq(r, (int)strlen(buf));
	free(x);
}

START_TEST(test_random)
{
	uint8_t pkt[MAXPKT], mut[MAXPKT];

	srand(1);
	for (int k = 0; k < 20000; k++) {
		size_t len = tu_random_bytes(mut, k & 1);

		format_random(mut, len, (unsigned int)rand() & LOG_F_ALL,
			      k & 2 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	}
	/* Mutations of valid packets (tu_seeds). */
	for (int s = 0; s < tu_nseeds; s++) {
		size_t n = tu_mkpkt(tu_seeds[s], pkt, sizeof(pkt));

		for (int k = 0; k < 10000; k++) {
			size_t len = tu_mutate(mut, pkt, n);

			format_random(mut, len, (unsigned int)rand() & LOG_F_ALL,
				      (pkt[0] >> 4) == 6 ? NFPROTO_IPV6 :
				      NFPROTO_IPV4);
		}
	}
}
END_TEST

static Suite *fmt_log_suite(void)
{
	Suite *s = suite_create("fmt_log");
	TCase *tc = tcase_create("lines");

	tcase_add_loop_test(tc, test_lines, 0, NELEM(cases));
	tcase_add_test(tc, test_null_ifnames);
	tcase_add_loop_test(tc, test_enospc, 0, NELEM(long_cases));
	tcase_add_loop_test(tc, test_parse_flags, 0, NELEM(flag_cases));
	tcase_add_loop_test(tc, test_escape, 0, NELEM(esc_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("kernel_disagreements");
	tcase_add_loop_test(tc, test_kernel_disagreements, 0, NELEM(gap_cases));
	tcase_add_loop_test(tc, test_kernel_line_limit, 0, 3);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_random);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(fmt_log_suite());
}
