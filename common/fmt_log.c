/* fmt_log: the kernel LOG target's line, rebuilt from an NFLOG record.
 *
 * This file mirrors net/netfilter/nf_log_syslog.c (Linux 6.x) control flow
 * on purpose: the order of checks decides which bytes are printed when a
 * packet is short, and tools parse those lines.  Where the kernel reads
 * from the skb, we read from the captured bytes, and the kernel's skb->len
 * becomes "lim": the packet's length, or the capture's when the snap length
 * cut it shorter.  A capture cut short is therefore printed the way the
 * kernel prints a packet that ends there ("INCOMPLETE [n bytes]",
 * "TRUNCATED"), with n the bytes we hold (see docs/record-schema.md).
 *
 * Appenders are hand-written (no printf): this runs once per packet.
 */
#include "fmt_log.h"

#include <errno.h>
#include <string.h>

#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>

struct lb {
	char *p;
	size_t size;    /* usable bytes, excluding room for the NUL */
	size_t len;
	bool over;
};

static void put(struct lb *b, const char *s, size_t n)
{
	if (n > b->size - b->len) {
		n = b->size - b->len;
		b->over = true;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

#define PUTS(b, lit) put((b), (lit), sizeof(lit) - 1)

static void putc_(struct lb *b, char c)
{
	if (b->len < b->size)
		b->p[b->len++] = c;
	else
		b->over = true;
}

static void put_u(struct lb *b, uint32_t v)
{
	char tmp[10];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(b, tmp + i, sizeof(tmp) - i);
}

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

static void put_hex2(struct lb *b, uint8_t v, const char *digits)
{
	char tmp[2] = { digits[v >> 4], digits[v & 15] };

	put(b, tmp, 2);
}

/* %x: lowercase, no leading zeros */
static void put_hex(struct lb *b, uint32_t v)
{
	char tmp[8];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = hex_lower[v & 15];
		v >>= 4;
	} while (v);
	put(b, tmp + i, sizeof(tmp) - i);
}

/* %08x */
static void put_hex8(struct lb *b, uint32_t v)
{
	for (int shift = 24; shift >= 0; shift -= 8)
		put_hex2(b, (uint8_t)(v >> shift), hex_lower);
}

static void put_ip4(struct lb *b, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			putc_(b, '.');
		put_u(b, a[i]);
	}
}

/* %pI6: eight groups of four lowercase hex digits, never compressed */
static void put_ip6(struct lb *b, const uint8_t *a)
{
	for (int i = 0; i < 16; i += 2) {
		if (i)
			putc_(b, ':');
		put_hex2(b, a[i], hex_lower);
		put_hex2(b, a[i + 1], hex_lower);
	}
}

/* %pM */
static void put_mac(struct lb *b, const uint8_t *a)
{
	for (int i = 0; i < 6; i++) {
		if (i)
			putc_(b, ':');
		put_hex2(b, a[i], hex_lower);
	}
}

static void put_hexdump(struct lb *b, const uint8_t *p, size_t n)
{
	char *o;

	if (2 * n > b->size - b->len) {         /* rare: the slow way */
		for (size_t i = 0; i < n; i++)
			put_hex2(b, p[i], hex_upper);
		return;
	}
	o = b->p + b->len;
	for (size_t i = 0; i < n; i++) {
		*o++ = hex_upper[p[i] >> 4];
		*o++ = hex_upper[p[i] & 15];
	}
	b->len += 2 * n;
}

static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c >= 0x7f || c == '\\';
}

static void put_escaped(struct lb *b, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!needs_escape(c))
			continue;
		put(b, s + run, i - run);
		PUTS(b, "\\x");
		put_hex2(b, c, hex_lower);
		run = i + 1;
	}
	put(b, s + run, n - run);
}

static void put_ifname(struct lb *b, const char *name)
{
	if (name)
		put_escaped(b, name, strlen(name));
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The packet as the kernel's skb: bytes from the network header, lim of
 * them valid.  hp() is skb_header_pointer: NULL when off + n > lim. */
struct pkt {
	const uint8_t *base;
	uint32_t lim;
	const struct nflog_meta *meta;
	unsigned int flags;
};

static const uint8_t *hp(const struct pkt *k, uint32_t off, uint32_t n)
{
	if ((uint64_t)off + n > k->lim)
		return NULL;
	return k->base + off;
}

/* "INCOMPLETE [%u bytes] ": the kernel computes skb->len - offset in
 * unsigned arithmetic, so an offset beyond the end wraps; so do we. */
static void put_incomplete(struct lb *b, const struct pkt *k, uint32_t off)
{
	PUTS(b, "INCOMPLETE [");
	put_u(b, k->lim - off);
	PUTS(b, " bytes] ");
}

/* The kernel's LOG target prints UID= only for a socket in the packet's
 * own network namespace; nfnetlink_log sends NFULA_UID for any socket.
 * From prerouting on, IPv4/IPv6 packets only carry sockets of this
 * namespace (ip_rcv orphans the skb; early demux and local output attach
 * local sockets), but before that -- the netdev and bridge families -- a
 * received frame can still hold the sending socket of another namespace
 * (veth keeps it).  Those are only printed when there is no input device,
 * i.e. for frames sent from this host. */
static bool uid_is_local(const struct nflog_meta *m)
{
	if (m->family == NFPROTO_NETDEV || m->family == NFPROTO_BRIDGE)
		return !(m->present & NFLOG_HAVE_INDEV);
	return true;
}

static void put_uid_mark(struct lb *b, const struct pkt *k)
{
	const struct nflog_meta *m = k->meta;

	if ((k->flags & LOG_F_UID) && (m->present & NFLOG_HAVE_UID) &&
	    uid_is_local(m)) {
		PUTS(b, "UID=");
		put_u(b, m->uid);
		PUTS(b, " GID=");
		put_u(b, m->gid);
		putc_(b, ' ');
	}
	if ((m->present & NFLOG_HAVE_MARK) && m->mark) {
		PUTS(b, "MARK=0x");
		put_hex(b, m->mark);
		putc_(b, ' ');
	}
}

/* Returns true when the caller must stop (the kernel's "return 1"). */
static bool dump_tcp(struct lb *b, const struct pkt *k, bool fragment,
		     uint32_t off)
{
	const uint8_t *th;
	static const struct {
		uint16_t bit;
		uint8_t len;
		char name[5];
	} flag_names[] = {
		{ 0x100, 3, "AE " }, { 0x80, 4, "CWR " }, { 0x40, 4, "ECE " },
		{ 0x20, 4, "URG " }, { 0x10, 4, "ACK " }, { 0x08, 4, "PSH " },
		{ 0x04, 4, "RST " }, { 0x02, 4, "SYN " }, { 0x01, 4, "FIN " },
	};
	uint16_t flags;
	uint32_t optsize;

	PUTS(b, "PROTO=TCP ");
	if (fragment)
		return false;
	th = hp(k, off, 20);
	if (!th) {
		put_incomplete(b, k, off);
		return true;
	}
	PUTS(b, "SPT=");
	put_u(b, rd16(th));
	PUTS(b, " DPT=");
	put_u(b, rd16(th + 2));
	putc_(b, ' ');
	if (k->flags & LOG_F_TCPSEQ) {
		PUTS(b, "SEQ=");
		put_u(b, rd32(th + 4));
		PUTS(b, " ACK=");
		put_u(b, rd32(th + 8));
		putc_(b, ' ');
	}
	PUTS(b, "WINDOW=");
	put_u(b, rd16(th + 14));
	/* TCP_RESERVED_BITS is the three bits between the data offset and
	 * AE; the kernel prints them shifted right by 22 from the flag word. */
	PUTS(b, " RES=0x");
	put_hex2(b, (uint8_t)((th[12] & 0x0e) << 2), hex_lower);
	putc_(b, ' ');
	flags = (uint16_t)((th[12] & 1) << 8 | th[13]);
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (flags & flag_names[i].bit)
			put(b, flag_names[i].name, flag_names[i].len);
	PUTS(b, "URGP=");
	put_u(b, rd16(th + 18));
	putc_(b, ' ');

	optsize = (th[12] >> 4) * 4u;
	if ((k->flags & LOG_F_TCPOPT) && optsize > 20) {
		const uint8_t *op;

		optsize -= 20;
		op = hp(k, off + 20, optsize);
		if (!op) {
			PUTS(b, "OPT (TRUNCATED)");
			return true;
		}
		PUTS(b, "OPT (");
		put_hexdump(b, op, optsize);
		PUTS(b, ") ");
	}
	return false;
}

static bool dump_udp(struct lb *b, const struct pkt *k, uint8_t proto,
		     bool fragment, uint32_t off)
{
	const uint8_t *uh;

	if (proto == 17)
		PUTS(b, "PROTO=UDP ");
	else
		PUTS(b, "PROTO=UDPLITE ");
	if (fragment)
		return false;
	uh = hp(k, off, 8);
	if (!uh) {
		put_incomplete(b, k, off);
		return true;
	}
	PUTS(b, "SPT=");
	put_u(b, rd16(uh));
	PUTS(b, " DPT=");
	put_u(b, rd16(uh + 2));
	PUTS(b, " LEN=");
	put_u(b, rd16(uh + 4));
	putc_(b, ' ');
	return false;
}

/* Bytes an ICMP message of each type must have before its fields are
 * printed (nf_log_syslog.c required_len[]); 0 = no requirement. */
static uint32_t icmp_required_len(uint8_t type)
{
	switch (type) {
	case 0: case 8:
		return 4;
	case 3: case 4: case 5: case 11: case 12:
		return 8 + 20;
	case 13: case 14:
		return 20;
	case 17: case 18:
		return 12;
	default:
		return 0;
	}
}

static void dump_ipv4(struct lb *b, const struct pkt *k, uint32_t iphoff)
{
	const uint8_t *ih = hp(k, iphoff, 20);
	uint16_t frag;
	uint32_t ihl, l4;
	bool fragment;

	if (!ih) {
		PUTS(b, "TRUNCATED");
		return;
	}
	PUTS(b, "SRC=");
	put_ip4(b, ih + 12);
	PUTS(b, " DST=");
	put_ip4(b, ih + 16);
	PUTS(b, " LEN=");
	put_u(b, rd16(ih + 2));
	PUTS(b, " TOS=0x");
	put_hex2(b, ih[1] & 0x1e, hex_upper);
	PUTS(b, " PREC=0x");
	put_hex2(b, ih[1] & 0xe0, hex_upper);
	PUTS(b, " TTL=");
	put_u(b, ih[8]);
	PUTS(b, " ID=");
	put_u(b, rd16(ih + 4));
	putc_(b, ' ');

	frag = rd16(ih + 6);
	if (frag & 0x8000)
		PUTS(b, "CE ");
	if (frag & 0x4000)
		PUTS(b, "DF ");
	if (frag & 0x2000)
		PUTS(b, "MF ");
	fragment = frag & 0x1fff;
	if (fragment) {
		PUTS(b, "FRAG:");
		put_u(b, frag & 0x1fff);
		putc_(b, ' ');
	}

	ihl = (ih[0] & 0x0f) * 4u;
	if ((k->flags & LOG_F_IPOPT) && ihl > 20) {
		const uint8_t *op = hp(k, iphoff + 20, ihl - 20);

		if (!op) {
			PUTS(b, "TRUNCATED");
			return;
		}
		PUTS(b, "OPT (");
		put_hexdump(b, op, ihl - 20);
		PUTS(b, ") ");
	}

	l4 = iphoff + ihl;
	switch (ih[9]) {
	case 6:
		if (dump_tcp(b, k, fragment, l4))
			return;
		break;
	case 17:
	case 136:
		if (dump_udp(b, k, ih[9], fragment, l4))
			return;
		break;
	case 1: {
		const uint8_t *ich;
		uint32_t req;

		PUTS(b, "PROTO=ICMP ");
		if (fragment)
			break;
		ich = hp(k, l4, 8);
		if (!ich) {
			put_incomplete(b, k, l4);
			break;
		}
		PUTS(b, "TYPE=");
		put_u(b, ich[0]);
		PUTS(b, " CODE=");
		put_u(b, ich[1]);
		putc_(b, ' ');
		req = icmp_required_len(ich[0]);
		if (req && k->lim - l4 < req) {
			put_incomplete(b, k, l4);
			break;
		}
		switch (ich[0]) {
		case 0:
		case 8:
			PUTS(b, "ID=");
			put_u(b, rd16(ich + 4));
			PUTS(b, " SEQ=");
			put_u(b, rd16(ich + 6));
			putc_(b, ' ');
			break;
		case 12:
			PUTS(b, "PARAMETER=");
			put_u(b, ich[4]);
			putc_(b, ' ');
			break;
		case 5:
			PUTS(b, "GATEWAY=");
			put_ip4(b, ich + 4);
			putc_(b, ' ');
			__attribute__((fallthrough));
		case 3:
		case 4:
		case 11:
			if (iphoff == 0) {      /* only recurse once */
				putc_(b, '[');
				dump_ipv4(b, k, l4 + 8);
				PUTS(b, "] ");
			}
			if (ich[0] == 3 && ich[1] == 4) {
				PUTS(b, "MTU=");
				put_u(b, rd16(ich + 6));
				putc_(b, ' ');
			}
			break;
		}
		break;
	}
	case 51: {
		const uint8_t *ah;

		if (fragment)
			break;
		PUTS(b, "PROTO=AH ");
		ah = hp(k, l4, 12);
		if (!ah) {
			put_incomplete(b, k, l4);
			break;
		}
		PUTS(b, "SPI=0x");
		put_hex(b, rd32(ah + 4));
		putc_(b, ' ');
		break;
	}
	case 50: {
		const uint8_t *eh;

		PUTS(b, "PROTO=ESP ");
		if (fragment)
			break;
		eh = hp(k, l4, 8);
		if (!eh) {
			put_incomplete(b, k, l4);
			break;
		}
		PUTS(b, "SPI=0x");
		put_hex(b, rd32(eh));
		putc_(b, ' ');
		break;
	}
	default:
		PUTS(b, "PROTO=");
		put_u(b, ih[9]);
		putc_(b, ' ');
	}

	if (iphoff == 0)
		put_uid_mark(b, k);
}

static void dump_ipv6(struct lb *b, const struct pkt *k, uint32_t ip6hoff,
		      bool recurse)
{
	const uint8_t *ih = hp(k, ip6hoff, 40);
	bool ipopt = k->flags & LOG_F_IPOPT;
	bool fragment = false;
	uint32_t ptr, word;
	uint8_t cur;

	if (!ih) {
		PUTS(b, "TRUNCATED");
		return;
	}
	word = rd32(ih);
	PUTS(b, "SRC=");
	put_ip6(b, ih + 8);
	PUTS(b, " DST=");
	put_ip6(b, ih + 24);
	PUTS(b, " LEN=");
	put_u(b, rd16(ih + 4) + 40u);
	PUTS(b, " TC=");
	put_u(b, (word >> 20) & 0xff);
	PUTS(b, " HOPLIMIT=");
	put_u(b, ih[7]);
	PUTS(b, " FLOWLBL=");
	put_u(b, word & 0xfffff);
	putc_(b, ' ');

	/* Every extension header is at least 8 bytes, so ptr passes lim
	 * after at most lim / 8 rounds: the walk is bounded. */
	ptr = ip6hoff + 40;
	cur = ih[6];
	while (cur != 59 && decode_is_exthdr(cur)) {
		const uint8_t *h = hp(k, ptr, 2);
		uint32_t hdrlen = 0;

		if (!h) {
			PUTS(b, "TRUNCATED");
			return;
		}
		if (ipopt)
			PUTS(b, "OPT ( ");
		switch (cur) {
		case 44: {
			const uint8_t *fh;
			uint16_t fo;

			PUTS(b, "FRAG:");
			fh = hp(k, ptr, 8);
			if (!fh) {
				PUTS(b, "TRUNCATED ");
				return;
			}
			fo = rd16(fh + 2);
			put_u(b, fo & 0xfff8);
			putc_(b, ' ');
			if (fo & 1)
				PUTS(b, "INCOMPLETE ");
			PUTS(b, "ID:");
			put_hex8(b, rd32(fh + 4));
			putc_(b, ' ');
			if (fo & 0xfff8)
				fragment = true;
			hdrlen = 8;
			break;
		}
		case 60:
		case 43:
		case 0:
			if (fragment) {
				if (ipopt)
					putc_(b, ')');
				return;
			}
			hdrlen = (h[1] + 1u) * 8;
			break;
		case 51:
			if (ipopt) {
				const uint8_t *ah;

				PUTS(b, "AH ");
				if (fragment) {
					putc_(b, ')');
					return;
				}
				ah = hp(k, ptr, 12);
				if (!ah) {
					put_incomplete(b, k, ptr);
					putc_(b, ')');
					return;
				}
				PUTS(b, "SPI=0x");
				put_hex(b, rd32(ah + 4));
				putc_(b, ' ');
			}
			hdrlen = (h[1] + 2u) * 4;
			break;
		case 50:
			if (ipopt) {
				const uint8_t *eh;

				PUTS(b, "ESP ");
				if (fragment) {
					putc_(b, ')');
					return;
				}
				eh = hp(k, ptr, 8);
				if (!eh) {
					put_incomplete(b, k, ptr);
					putc_(b, ')');
					return;
				}
				PUTS(b, "SPI=0x");
				put_hex(b, rd32(eh));
				PUTS(b, " )");
			}
			return;
		}
		if (ipopt)
			PUTS(b, ") ");
		cur = h[0];
		ptr += hdrlen;
	}

	switch (cur) {
	case 6:
		if (dump_tcp(b, k, fragment, ptr))
			return;
		break;
	case 17:
	case 136:
		if (dump_udp(b, k, cur, fragment, ptr))
			return;
		break;
	case 58: {
		const uint8_t *ic;

		PUTS(b, "PROTO=ICMPv6 ");
		if (fragment)
			break;
		ic = hp(k, ptr, 8);
		if (!ic) {
			put_incomplete(b, k, ptr);
			return;
		}
		PUTS(b, "TYPE=");
		put_u(b, ic[0]);
		PUTS(b, " CODE=");
		put_u(b, ic[1]);
		putc_(b, ' ');
		switch (ic[0]) {
		case 128:
		case 129:
			PUTS(b, "ID=");
			put_u(b, rd16(ic + 4));
			PUTS(b, " SEQ=");
			put_u(b, rd16(ic + 6));
			putc_(b, ' ');
			break;
		case 4:
			PUTS(b, "POINTER=");
			put_hex8(b, rd32(ic + 4));
			putc_(b, ' ');
			__attribute__((fallthrough));
		case 1:
		case 2:
		case 3:
			if (recurse) {
				putc_(b, '[');
				dump_ipv6(b, k, ptr + 8, false);
				PUTS(b, "] ");
			}
			if (ic[0] == 2) {
				PUTS(b, "MTU=");
				put_u(b, rd32(ic + 4));
				putc_(b, ' ');
			}
			break;
		}
		break;
	}
	default:
		PUTS(b, "PROTO=");
		put_u(b, cur);
		putc_(b, ' ');
	}

	if (recurse)
		put_uid_mark(b, k);
}

static bool dump_mac_decoded(struct lb *b, const struct nflog_meta *m);

static void dump_mac(struct lb *b, const struct pkt *k)
{
	const struct nflog_meta *m = k->meta;
	bool have_hdr = (m->present & NFLOG_HAVE_HWHEADER) && m->hwheader_len;

	if ((k->flags & LOG_F_MACDECODE) && m->hwtype == ARPHRD_ETHER) {
		dump_mac_decoded(b, m);
		return;
	}
	PUTS(b, "MAC=");
	if (have_hdr) {
		for (size_t i = 0; i < m->hwheader_len; i++) {
			if (i)
				putc_(b, ':');
			put_hex2(b, m->hwheader[i], hex_lower);
		}
	}
	putc_(b, ' ');
}

/* MACSRC= MACDST= [VPROTO= VID=] MACPROTO= : the macdecode form, shared by
 * IP and ARP.  False when the header is not there to decode. */
static bool dump_mac_decoded(struct lb *b, const struct nflog_meta *m)
{
	if (!(m->present & NFLOG_HAVE_HWHEADER) || m->hwheader_len < 14)
		return false;
	PUTS(b, "MACSRC=");
	put_mac(b, m->hwheader + 6);
	PUTS(b, " MACDST=");
	put_mac(b, m->hwheader);
	putc_(b, ' ');
	if (m->present & NFLOG_HAVE_VLAN) {
		PUTS(b, "VPROTO=");
		put_hex2(b, (uint8_t)(m->vlan_proto >> 8), hex_lower);
		put_hex2(b, (uint8_t)m->vlan_proto, hex_lower);
		PUTS(b, " VID=");
		put_u(b, m->vlan_tci);
		putc_(b, ' ');
	}
	PUTS(b, "MACPROTO=");
	put_hex2(b, m->hwheader[12], hex_lower);
	put_hex2(b, m->hwheader[13], hex_lower);
	putc_(b, ' ');
	return true;
}

/* dump_arp_packet(): no MAC= fallback, and no trailing space. */
static void dump_arp(struct lb *b, const struct pkt *k)
{
	const struct nflog_meta *m = k->meta;
	const uint8_t *ah = hp(k, 0, 8), *ap;

	if (!ah) {
		PUTS(b, "TRUNCATED");
		return;
	}
	if ((k->flags & LOG_F_MACDECODE) && m->hwtype == ARPHRD_ETHER)
		dump_mac_decoded(b, m);
	PUTS(b, "ARP HTYPE=");
	put_u(b, rd16(ah));
	PUTS(b, " PTYPE=0x");
	put_hex2(b, ah[2], hex_lower);
	put_hex2(b, ah[3], hex_lower);
	PUTS(b, " OPCODE=");
	put_u(b, rd16(ah + 6));
	if (rd16(ah) != ARPHRD_ETHER || ah[4] != ETH_ALEN || ah[5] != 4)
		return;
	ap = hp(k, 8, 20);
	if (!ap) {
		PUTS(b, " INCOMPLETE [");
		put_u(b, k->lim - 8);
		PUTS(b, " bytes]");
		return;
	}
	PUTS(b, " MACSRC=");
	put_mac(b, ap);
	PUTS(b, " IPSRC=");
	put_ip4(b, ap + 6);
	PUTS(b, " MACDST=");
	put_mac(b, ap + 10);
	PUTS(b, " IPDST=");
	put_ip4(b, ap + 16);
}

static bool is_arp(const struct nflog_meta *m)
{
	return m->family == NFPROTO_ARP ||
	       ((m->present & NFLOG_HAVE_HWPROTO) &&
		(m->hw_protocol == ETH_P_ARP || m->hw_protocol == ETH_P_RARP));
}

int fmt_log(const struct record *rec, const struct log_ifnames *ifn,
	    unsigned int flags, char *buf, size_t size)
{
	const struct nflog_meta *m = rec->meta;
	const struct ip_layer *ip = &rec->ip;
	struct lb b = { .p = buf, .size = size ? size - 1 : 0 };
	struct pkt k = {
		.base = ip->l3,
		.lim = ip->avail < ip->wire_len ? ip->avail : ip->wire_len,
		.meta = m,
		.flags = flags,
	};
	bool in = m->present & NFLOG_HAVE_INDEV;
	static const struct log_ifnames none;
	const struct log_ifnames *names = ifn ? ifn : &none;

	if (size == 0)
		return -ENOSPC;
	/* The kernel builds the line in a 1019-byte buffer that starts with
	 * the two-byte log level and silently drops what does not fit. */
	if (b.size > FMT_LOG_KERNEL_MAX)
		b.size = FMT_LOG_KERNEL_MAX;

	if (m->present & NFLOG_HAVE_PREFIX)
		put_escaped(&b, m->prefix, m->prefix_len);
	if (m->family == NFPROTO_BRIDGE) {
		/* For the bridge family nfnetlink_log sends the bridge as
		 * INDEV/OUTDEV and the port as PHYSINDEV/PHYSOUTDEV; the LOG
		 * target prints the port as IN=/OUT= and no PHYSIN/PHYSOUT. */
		PUTS(&b, "IN=");
		if (m->present & NFLOG_HAVE_PHYSINDEV)
			put_ifname(&b, names->physin);
		else if (in)
			put_ifname(&b, names->in);
		PUTS(&b, " OUT=");
		if (m->present & NFLOG_HAVE_PHYSOUTDEV)
			put_ifname(&b, names->physout);
		else if (m->present & NFLOG_HAVE_OUTDEV)
			put_ifname(&b, names->out);
		putc_(&b, ' ');
	} else {
		PUTS(&b, "IN=");
		if (in)
			put_ifname(&b, names->in);
		PUTS(&b, " OUT=");
		if (m->present & NFLOG_HAVE_OUTDEV)
			put_ifname(&b, names->out);
		putc_(&b, ' ');
		/* br_netfilter: an IP hook on a bridge names the port too */
		if ((m->present & NFLOG_HAVE_PHYSINDEV) &&
		    !(in && m->physindev == m->indev)) {
			PUTS(&b, "PHYSIN=");
			put_ifname(&b, names->physin);
			putc_(&b, ' ');
		}
		if ((m->present & NFLOG_HAVE_PHYSOUTDEV) &&
		    !((m->present & NFLOG_HAVE_OUTDEV) &&
		      m->physoutdev == m->outdev)) {
			PUTS(&b, "PHYSOUT=");
			put_ifname(&b, names->physout);
			putc_(&b, ' ');
		}
	}
	/* nf_log_syslog.c picks its logger by family, and for netdev and
	 * bridge by the link protocol: IP and IPv6 (MAC only with an input
	 * device), ARP (its own MAC form), anything else (MAC only). */
	if (ip->kind == L3_IPV4 || ip->kind == L3_IPV6) {
		if (in)
			dump_mac(&b, &k);
		if (ip->kind == L3_IPV4)
			dump_ipv4(&b, &k, 0);
		else
			dump_ipv6(&b, &k, 0, true);
	} else if (is_arp(m)) {
		dump_arp(&b, &k);
	} else {
		dump_mac(&b, &k);
	}

	buf[b.len] = '\0';
	/* Cut at the kernel's limit: the kernel's line, not an error. */
	if (b.over && b.size == FMT_LOG_KERNEL_MAX)
		return (int)b.len;
	return b.over ? -ENOSPC : (int)b.len;
}

int fmt_log_escape(const char *s, size_t len, char *buf, size_t size)
{
	struct lb b = { .p = buf, .size = size };

	put_escaped(&b, s, len);
	return b.over ? -ENOSPC : (int)b.len;
}

int fmt_log_parse_flags(const char *list, unsigned int *flags,
			const char **bad)
{
	static const struct { const char *name; unsigned int bit; } names[] = {
		{ "tcpseq", LOG_F_TCPSEQ }, { "tcpopt", LOG_F_TCPOPT },
		{ "ipopt", LOG_F_IPOPT }, { "uid", LOG_F_UID },
		{ "macdecode", LOG_F_MACDECODE }, { "all", LOG_F_ALL },
		{ "none", 0 },
	};
	unsigned int f = 0;
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == n &&
			    memcmp(names[i].name, p, n) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0])) {
			if (bad)
				*bad = p;
			return -EINVAL;
		}
		f |= names[i].bit;
		p += n;
		if (*p == ',')
			p++;
	}
	*flags = f;
	return 0;
}
