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
 * Appenders are hand-written (no printf): this runs once per packet.  How
 * they stay cheap (docs/performance.md, as in fmt_json.c): the usual
 * fields are written in *sections* of known worst-case size.  A section
 * makes one comparison against the room left and is then written straight
 * into the buffer through a local pointer, with no check per field or per
 * byte; only near the end of the buffer does it go to a scratch area,
 * from which what fits is copied.  Like the kernel's buffer, ours keeps
 * the part of the line that fits, so that copy makes a cut line exactly
 * what it was when every byte was checked.  Numbers use a two-digit
 * table, hex a byte-pair table.  The rarer fields go through put_u() and
 * friends: each a section of its own.
 */
#include "fmt_log.h"

#include "addr_text.h"
#include "dec_text.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>

/* --- the writer ----------------------------------------------------------- */

/* Largest section; the _MAX sizes below are checked against it. */
#define LB_TMP 256

struct lb {
	char *p;        /* next byte */
	char *end;      /* end of the usable bytes (the NUL goes at p) */
	bool over;      /* something did not fit: the line is cut */
	size_t max;     /* the open section's reservation (for assert) */
	char tmp[LB_TMP];       /* a section that might not fit goes here */
};

/* Copy n bytes, or as many as fit. */
static void put(struct lb *b, const char *s, size_t n)
{
	size_t room = (size_t)(b->end - b->p);

	if (n > room) {
		n = room;
		b->over = true;
	}
	memcpy(b->p, s, n);
	b->p += n;
}

#define PUTS(b, lit) put((b), (lit), sizeof(lit) - 1)

static void putc_(struct lb *b, char c)
{
	if (b->p < b->end)
		*b->p++ = c;
	else
		b->over = true;
}

/* Open a section of at most max bytes: where to write it.  Once the line
 * is cut, p == end, so every later section goes to tmp and is dropped. */
static inline char *lb_res(struct lb *b, size_t max)
{
	assert(max <= LB_TMP);
	b->max = max;
	if (__builtin_expect((size_t)(b->end - b->p) >= max, 1))
		return b->p;
	return b->tmp;
}

/* A section written to tmp: keep what fits. */
__attribute__((noinline, cold))
static void lb_spill(struct lb *b, size_t n)
{
	put(b, b->tmp, n);
}

/* Close the section opened at q, now ending at p. */
static inline void lb_fin(struct lb *b, const char *q, char *p)
{
	assert(p >= q && (size_t)(p - q) <= b->max);
	if (__builtin_expect(q != b->tmp, 1))
		b->p = p;
	else
		lb_spill(b, (size_t)(p - q));
}

/* Sections inside a function with locals q (where the open one starts)
 * and p (the next byte). */
#define SEC(max) (q = p = lb_res(b, (max)))
#define END() lb_fin(b, q, p)

/* A string literal at p, a fixed-size copy; the new end. */
#define CPY(p, lit) \
	((char *)memcpy((p), (lit), sizeof(lit) - 1) + (sizeof(lit) - 1))

/* Worst cases of single values, and of the literal keys around them
 * (KEYS("SRC= DST=") is the length of both keys together). */
#define KEYS(lits) (sizeof(lits) - 1)
#define U8_LEN 3
#define U16_LEN 5
#define U32_LEN 10
#define IP4_LEN 15      /* 255.255.255.255 */
#define IP6_LEN 39      /* eight groups of four */
#define MAC_LEN 17
#define INCOMPLETE_LEN (KEYS("INCOMPLETE [ bytes] ") + U32_LEN)

/* --- values: written at p, which has room; each returns the new end ---- */

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

/* %02x */
static inline char *w_x2(char *p, uint8_t v)
{
	memcpy(p, dec_hex2 + 2 * v, 2);
	return p + 2;
}

/* %02X (TOS=, PREC=) */
static inline char *w_X2(char *p, uint8_t v)
{
	p[0] = hex_upper[v >> 4];
	p[1] = hex_upper[v & 15];
	return p + 2;
}

/* %x: lowercase, no leading zeros */
static char *w_x32(char *p, uint32_t v)
{
	int n = v ? (32 - __builtin_clz(v) + 3) / 4 : 1;

	for (int i = n - 1; i >= 0; i--) {
		p[i] = hex_lower[v & 15];
		v >>= 4;
	}
	return p + n;
}

/* %08x */
static char *w_x8(char *p, uint32_t v)
{
	p = w_x2(p, (uint8_t)(v >> 24));
	p = w_x2(p, (uint8_t)(v >> 16));
	p = w_x2(p, (uint8_t)(v >> 8));
	return w_x2(p, (uint8_t)v);
}

/* %pI4 is inet_ntop()'s form: addr_text_ip4() (at most IP4_LEN). */
#define w_ip4 addr_text_ip4

/* %pI6: eight groups of four lowercase hex digits, never compressed */
static char *w_ip6(char *p, const uint8_t *a)
{
	p = w_x2(p, a[0]);
	p = w_x2(p, a[1]);
	for (int i = 2; i < 16; i += 2) {
		*p++ = ':';
		p = w_x2(p, a[i]);
		p = w_x2(p, a[i + 1]);
	}
	return p;
}

/* %pM */
static char *w_mac(char *p, const uint8_t *a)
{
	p = w_x2(p, a[0]);
	for (int i = 1; i < 6; i++) {
		*p++ = ':';
		p = w_x2(p, a[i]);
	}
	return p;
}

/* The hex digits of 4 bytes, upper case, in the order they are in memory:
 * 8 chars for an 8-byte store (little-endian only; as in fmt_json.c). */
static inline uint64_t hex4_upper(const uint8_t *d)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint32_t v;
	uint64_t t, n;

	memcpy(&v, d, 4);
	/* byte i of v into 16-bit lane i, its high nibble first */
	t = v;
	t = (t | t << 16) & 0x0000ffff0000ffffull;
	t = (t | t << 8) & 0x00ff00ff00ff00ffull;
	n = (t >> 4 & 0x000f000f000f000full) | (t & 0x000f000f000f000full) << 8;
	/* nibble -> '0'..'9', 'A'..'F' */
	return n + ones * '0' + ((n + ones * 6) >> 4 & ones) * ('A' - '9' - 1);
}

/* Option bytes as %02X each: 2 * n chars.  Options are whole 32-bit
 * words, so this goes 4 bytes at a time. */
static char *w_hexdump(char *p, const uint8_t *d, size_t n)
{
	size_t i = 0;

	if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
		for (; i + 4 <= n; i += 4) {
			uint64_t h = hex4_upper(d + i);

			memcpy(p, &h, 8);
			p += 8;
		}
	}
	for (; i < n; i++)
		p = w_X2(p, d[i]);
	return p;
}

/* --- appenders for the rarer fields: a section each ---------------------- */

static void put_u(struct lb *b, uint32_t v)
{
	char *q, *p;

	SEC(U32_LEN);
	p = dec_u32(p, v);
	END();
}

static void put_hex(struct lb *b, uint32_t v)
{
	char *q, *p;

	SEC(8);
	p = w_x32(p, v);
	END();
}

static void put_hex8(struct lb *b, uint32_t v)
{
	char *q, *p;

	SEC(8);
	p = w_x8(p, v);
	END();
}

/* %04x */
static void put_hex4(struct lb *b, uint16_t v)
{
	char *q, *p;

	SEC(4);
	p = w_x2(p, (uint8_t)(v >> 8));
	p = w_x2(p, (uint8_t)v);
	END();
}

static void put_ip4(struct lb *b, const uint8_t *a)
{
	char *q, *p;

	SEC(IP4_LEN);
	p = w_ip4(p, a);
	END();
}

static void put_mac(struct lb *b, const uint8_t *a)
{
	char *q, *p;

	SEC(MAC_LEN);
	p = w_mac(p, a);
	END();
}

/* n bytes as %02x joined by ':' (MAC=), any n: in chunks of bounded size. */
#define HEXCOLON_CHUNK 64
_Static_assert(3 * HEXCOLON_CHUNK <= LB_TMP, "a MAC= chunk fits tmp");

static void put_hexcolon(struct lb *b, const uint8_t *d, size_t n)
{
	char *q, *p;

	for (size_t i = 0; i < n;) {
		size_t e = n - i > HEXCOLON_CHUNK ? i + HEXCOLON_CHUNK : n;

		SEC(3 * (e - i));
		if (i == 0)
			p = w_x2(p, d[i++]);
		for (; i < e; i++) {
			*p++ = ':';
			p = w_x2(p, d[i]);
		}
		END();
	}
}

static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c >= 0x7f || c == '\\';
}

/* The high bit of each byte of x that needs escaping; not zero exactly
 * when one does (a borrow only starts at a byte that needs it). */
static inline uint64_t escapes8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t bs = x ^ (ones * '\\'), del = x ^ (ones * 0x7f);

	return (x | ((x - ones * 0x20) & ~x) | ((bs - ones) & ~bs) |
		((del - ones) & ~del)) & (ones * 0x80);
}

/* How many bytes of s come before the first that needs escaping: 8 at a
 * time, then byte by byte in the word that has it. */
static size_t plain_run(const char *s, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x;

		memcpy(&x, s + i, 8);
		if (escapes8(x))
			break;
	}
	for (; i < n; i++)
		if (needs_escape((unsigned char)s[i]))
			break;
	return i;
}

static void put_escaped(struct lb *b, const char *s, size_t n)
{
	for (;;) {
		size_t run = plain_run(s, n);
		char *q, *p;

		put(b, s, run);
		if (run == n)
			return;
		SEC(4);
		p = CPY(p, "\\x");
		p = w_x2(p, (uint8_t)s[run]);
		END();
		s += run + 1;
		n -= run + 1;
	}
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
 * unsigned arithmetic, so an offset beyond the end wraps; so do we.
 * INCOMPLETE_LEN bytes at most. */
static char *w_incomplete(char *p, const struct pkt *k, uint32_t off)
{
	p = CPY(p, "INCOMPLETE [");
	p = dec_u32(p, k->lim - off);
	return CPY(p, " bytes] ");
}

static void put_incomplete(struct lb *b, const struct pkt *k, uint32_t off)
{
	char *q, *p;

	SEC(INCOMPLETE_LEN);
	p = w_incomplete(p, k, off);
	END();
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

#define UID_MARK_MAX (KEYS("UID= GID= MARK=0x  ") + 2 * U32_LEN + 8)

static void put_uid_mark(struct lb *b, const struct pkt *k)
{
	const struct nflog_meta *m = k->meta;
	char *q, *p;

	SEC(UID_MARK_MAX);
	if ((k->flags & LOG_F_UID) && (m->present & NFLOG_HAVE_UID) &&
	    uid_is_local(m)) {
		p = CPY(p, "UID=");
		p = dec_u32(p, m->uid);
		p = CPY(p, " GID=");
		p = dec_u32(p, m->gid);
		*p++ = ' ';
	}
	if ((m->present & NFLOG_HAVE_MARK) && m->mark) {
		p = CPY(p, "MARK=0x");
		p = w_x32(p, m->mark);
		*p++ = ' ';
	}
	END();
}

/* PROTO=TCP, then INCOMPLETE or the header and its options (at most 40
 * bytes, each written as two hex digits). */
#define TCP_FLAGS_LEN KEYS("AE CWR ECE URG ACK PSH RST SYN FIN ")
#define TCP_MAX (KEYS("PROTO=TCP ") +                                     \
		 KEYS("SPT= DPT= SEQ= ACK= WINDOW= RES=0x URGP= ") +       \
		 2 * U16_LEN + 2 * U32_LEN + U16_LEN + 2 + TCP_FLAGS_LEN + \
		 U16_LEN + KEYS("OPT () ") + 2 * 40)
_Static_assert(TCP_MAX <= LB_TMP, "the TCP section fits tmp");

/* Returns true when the caller must stop (the kernel's "return 1"). */
static bool dump_tcp(struct lb *b, const struct pkt *k, bool fragment,
		     uint32_t off)
{
	const uint8_t *th;
	/* Each name is copied whole (4 bytes, AE's NUL included) and the
	 * output moves on by len when the flag is set: no branch per flag.
	 * Whatever an unset flag left past the end is overwritten by URGP=. */
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
	char *q, *p;

	SEC(TCP_MAX);
	p = CPY(p, "PROTO=TCP ");
	if (fragment) {
		END();
		return false;
	}
	th = hp(k, off, 20);
	if (!th) {
		p = w_incomplete(p, k, off);
		END();
		return true;
	}
	p = CPY(p, "SPT=");
	p = dec_u32(p, rd16(th));
	p = CPY(p, " DPT=");
	p = dec_u32(p, rd16(th + 2));
	*p++ = ' ';
	if (k->flags & LOG_F_TCPSEQ) {
		p = CPY(p, "SEQ=");
		p = dec_u32(p, rd32(th + 4));
		p = CPY(p, " ACK=");
		p = dec_u32(p, rd32(th + 8));
		*p++ = ' ';
	}
	p = CPY(p, "WINDOW=");
	p = dec_u32(p, rd16(th + 14));
	/* TCP_RESERVED_BITS is the three bits between the data offset and
	 * AE; the kernel prints them shifted right by 22 from the flag word. */
	p = CPY(p, " RES=0x");
	p = w_x2(p, (uint8_t)((th[12] & 0x0e) << 2));
	*p++ = ' ';
	flags = (uint16_t)((th[12] & 1) << 8 | th[13]);
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		memcpy(p, flag_names[i].name, 4);
		p += (flags & flag_names[i].bit) ? flag_names[i].len : 0;
	}
	p = CPY(p, "URGP=");
	p = dec_u32(p, rd16(th + 18));
	*p++ = ' ';

	optsize = (th[12] >> 4) * 4u;
	if ((k->flags & LOG_F_TCPOPT) && optsize > 20) {
		const uint8_t *op;

		optsize -= 20;
		op = hp(k, off + 20, optsize);
		if (!op) {
			p = CPY(p, "OPT (TRUNCATED)");
			END();
			return true;
		}
		p = CPY(p, "OPT (");
		p = w_hexdump(p, op, optsize);
		p = CPY(p, ") ");
	}
	END();
	return false;
}

#define UDP_MAX (KEYS("PROTO=UDPLITE SPT= DPT= LEN= ") + 3 * U16_LEN)
_Static_assert(KEYS("PROTO=UDPLITE ") + INCOMPLETE_LEN <= UDP_MAX,
	       "UDP_MAX covers INCOMPLETE");

static bool dump_udp(struct lb *b, const struct pkt *k, uint8_t proto,
		     bool fragment, uint32_t off)
{
	const uint8_t *uh;
	char *q, *p;

	SEC(UDP_MAX);
	if (proto == 17)
		p = CPY(p, "PROTO=UDP ");
	else
		p = CPY(p, "PROTO=UDPLITE ");
	if (fragment) {
		END();
		return false;
	}
	uh = hp(k, off, 8);
	if (!uh) {
		p = w_incomplete(p, k, off);
		END();
		return true;
	}
	p = CPY(p, "SPT=");
	p = dec_u32(p, rd16(uh));
	p = CPY(p, " DPT=");
	p = dec_u32(p, rd16(uh + 2));
	p = CPY(p, " LEN=");
	p = dec_u32(p, rd16(uh + 4));
	*p++ = ' ';
	END();
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

/* The IPv4 header up to the fragment offset; its options (at most 40
 * bytes). */
#define IP4_MAX (KEYS("SRC= DST= LEN= TOS=0x PREC=0x TTL= ID= ") +     \
		 2 * IP4_LEN + U16_LEN + 2 + 2 + U8_LEN + U16_LEN +      \
		 KEYS("CE DF MF FRAG: ") + 4)
#define IP4_OPT_MAX (KEYS("OPT () ") + 2 * 40)
/* ICMP: the head, then INCOMPLETE or the longest fields before the
 * quoted packet (GATEWAY= and '['), or MTU= when there is none. */
#define ICMP_MAX (KEYS("PROTO=ICMP TYPE= CODE= ") + 2 * U8_LEN +         \
		  KEYS("GATEWAY= [MTU= ") + IP4_LEN + U16_LEN)
#define ICMP_TAIL_MAX (KEYS("] MTU= ") + U16_LEN)
_Static_assert(IP4_MAX <= LB_TMP && ICMP_MAX <= LB_TMP, "sections fit tmp");
_Static_assert(INCOMPLETE_LEN <= KEYS("GATEWAY= [MTU= ") + IP4_LEN + U16_LEN,
	       "ICMP_MAX covers INCOMPLETE");

static void dump_ipv4(struct lb *b, const struct pkt *k, uint32_t iphoff)
{
	const uint8_t *ih = hp(k, iphoff, 20);
	uint16_t frag;
	uint32_t ihl, l4;
	bool fragment;
	char *q, *p;

	if (!ih) {
		PUTS(b, "TRUNCATED");
		return;
	}
	SEC(IP4_MAX);
	p = CPY(p, "SRC=");
	p = w_ip4(p, ih + 12);
	p = CPY(p, " DST=");
	p = w_ip4(p, ih + 16);
	p = CPY(p, " LEN=");
	p = dec_u32(p, rd16(ih + 2));
	p = CPY(p, " TOS=0x");
	p = w_X2(p, ih[1] & 0x1e);
	p = CPY(p, " PREC=0x");
	p = w_X2(p, ih[1] & 0xe0);
	p = CPY(p, " TTL=");
	p = dec_u32(p, ih[8]);
	p = CPY(p, " ID=");
	p = dec_u32(p, rd16(ih + 4));
	*p++ = ' ';

	frag = rd16(ih + 6);
	if (frag & 0x8000)
		p = CPY(p, "CE ");
	if (frag & 0x4000)
		p = CPY(p, "DF ");
	if (frag & 0x2000)
		p = CPY(p, "MF ");
	fragment = frag & 0x1fff;
	if (fragment) {
		p = CPY(p, "FRAG:");
		p = dec_u32(p, frag & 0x1fff);
		*p++ = ' ';
	}
	END();

	ihl = (ih[0] & 0x0f) * 4u;
	if ((k->flags & LOG_F_IPOPT) && ihl > 20) {
		const uint8_t *op = hp(k, iphoff + 20, ihl - 20);

		if (!op) {
			PUTS(b, "TRUNCATED");
			return;
		}
		SEC(IP4_OPT_MAX);
		p = CPY(p, "OPT (");
		p = w_hexdump(p, op, ihl - 20);
		p = CPY(p, ") ");
		END();
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

		SEC(ICMP_MAX);
		p = CPY(p, "PROTO=ICMP ");
		if (fragment) {
			END();
			break;
		}
		ich = hp(k, l4, 8);
		if (!ich) {
			p = w_incomplete(p, k, l4);
			END();
			break;
		}
		p = CPY(p, "TYPE=");
		p = dec_u32(p, ich[0]);
		p = CPY(p, " CODE=");
		p = dec_u32(p, ich[1]);
		*p++ = ' ';
		req = icmp_required_len(ich[0]);
		if (req && k->lim - l4 < req) {
			p = w_incomplete(p, k, l4);
			END();
			break;
		}
		switch (ich[0]) {
		case 0:
		case 8:
			p = CPY(p, "ID=");
			p = dec_u32(p, rd16(ich + 4));
			p = CPY(p, " SEQ=");
			p = dec_u32(p, rd16(ich + 6));
			*p++ = ' ';
			break;
		case 12:
			p = CPY(p, "PARAMETER=");
			p = dec_u32(p, ich[4]);
			*p++ = ' ';
			break;
		case 5:
			p = CPY(p, "GATEWAY=");
			p = w_ip4(p, ich + 4);
			*p++ = ' ';
			__attribute__((fallthrough));
		case 3:
		case 4:
		case 11:
			if (iphoff == 0) {      /* only recurse once */
				*p++ = '[';
				/* the quoted packet writes sections of its
				 * own: close ours around it */
				END();
				dump_ipv4(b, k, l4 + 8);
				SEC(ICMP_TAIL_MAX);
				p = CPY(p, "] ");
			}
			if (ich[0] == 3 && ich[1] == 4) {
				p = CPY(p, "MTU=");
				p = dec_u32(p, rd16(ich + 6));
				*p++ = ' ';
			}
			break;
		}
		END();
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

/* The IPv6 header up to FLOWLBL= (LEN= is the payload length + 40). */
#define IP6_MAX (KEYS("SRC= DST= LEN= TC= HOPLIMIT= FLOWLBL= ") +         \
		 2 * IP6_LEN + 6 + U8_LEN + U8_LEN + 7)
/* ICMPv6: as ICMP_MAX, with POINTER= and a 32-bit MTU= */
#define ICMP6_MAX (KEYS("PROTO=ICMPv6 TYPE= CODE= ") + 2 * U8_LEN +       \
		   KEYS("POINTER= [MTU= ") + 8 + U32_LEN)
#define ICMP6_TAIL_MAX (KEYS("] MTU= ") + U32_LEN)
_Static_assert(IP6_MAX <= LB_TMP && ICMP6_MAX <= LB_TMP, "sections fit tmp");
_Static_assert(INCOMPLETE_LEN <= KEYS("POINTER= [MTU= ") + 8 + U32_LEN,
	       "ICMP6_MAX covers INCOMPLETE");

static void dump_ipv6(struct lb *b, const struct pkt *k, uint32_t ip6hoff,
		      bool recurse)
{
	const uint8_t *ih = hp(k, ip6hoff, 40);
	bool ipopt = k->flags & LOG_F_IPOPT;
	bool fragment = false;
	uint32_t ptr, word;
	uint8_t cur;
	char *q, *p;

	if (!ih) {
		PUTS(b, "TRUNCATED");
		return;
	}
	word = rd32(ih);
	SEC(IP6_MAX);
	p = CPY(p, "SRC=");
	p = w_ip6(p, ih + 8);
	p = CPY(p, " DST=");
	p = w_ip6(p, ih + 24);
	p = CPY(p, " LEN=");
	p = dec_u32(p, rd16(ih + 4) + 40u);
	p = CPY(p, " TC=");
	p = dec_u32(p, (word >> 20) & 0xff);
	p = CPY(p, " HOPLIMIT=");
	p = dec_u32(p, ih[7]);
	p = CPY(p, " FLOWLBL=");
	p = dec_u32(p, word & 0xfffff);
	*p++ = ' ';
	END();

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

		SEC(ICMP6_MAX);
		p = CPY(p, "PROTO=ICMPv6 ");
		if (fragment) {
			END();
			break;
		}
		ic = hp(k, ptr, 8);
		if (!ic) {
			p = w_incomplete(p, k, ptr);
			END();
			return;
		}
		p = CPY(p, "TYPE=");
		p = dec_u32(p, ic[0]);
		p = CPY(p, " CODE=");
		p = dec_u32(p, ic[1]);
		*p++ = ' ';
		switch (ic[0]) {
		case 128:
		case 129:
			p = CPY(p, "ID=");
			p = dec_u32(p, rd16(ic + 4));
			p = CPY(p, " SEQ=");
			p = dec_u32(p, rd16(ic + 6));
			*p++ = ' ';
			break;
		case 4:
			p = CPY(p, "POINTER=");
			p = w_x8(p, rd32(ic + 4));
			*p++ = ' ';
			__attribute__((fallthrough));
		case 1:
		case 2:
		case 3:
			if (recurse) {
				*p++ = '[';
				/* the quoted packet writes sections of its
				 * own: close ours around it */
				END();
				dump_ipv6(b, k, ptr + 8, false);
				SEC(ICMP6_TAIL_MAX);
				p = CPY(p, "] ");
			}
			if (ic[0] == 2) {
				p = CPY(p, "MTU=");
				p = dec_u32(p, rd32(ic + 4));
				*p++ = ' ';
			}
			break;
		}
		END();
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
	if (have_hdr)
		put_hexcolon(b, m->hwheader, m->hwheader_len);
	putc_(b, ' ');
}

#define MAC_DECODED_MAX (KEYS("MACSRC= MACDST= VPROTO= VID= MACPROTO= ") + \
			 2 * MAC_LEN + 4 + U16_LEN + 4)

/* MACSRC= MACDST= [VPROTO= VID=] MACPROTO= : the macdecode form, shared by
 * IP and ARP.  False when the header is not there to decode. */
static bool dump_mac_decoded(struct lb *b, const struct nflog_meta *m)
{
	char *q, *p;

	if (!(m->present & NFLOG_HAVE_HWHEADER) || m->hwheader_len < 14)
		return false;
	SEC(MAC_DECODED_MAX);
	p = CPY(p, "MACSRC=");
	p = w_mac(p, m->hwheader + 6);
	p = CPY(p, " MACDST=");
	p = w_mac(p, m->hwheader);
	*p++ = ' ';
	if (m->present & NFLOG_HAVE_VLAN) {
		p = CPY(p, "VPROTO=");
		p = w_x2(p, (uint8_t)(m->vlan_proto >> 8));
		p = w_x2(p, (uint8_t)m->vlan_proto);
		p = CPY(p, " VID=");
		p = dec_u32(p, m->vlan_tci);
		*p++ = ' ';
	}
	p = CPY(p, "MACPROTO=");
	p = w_x2(p, m->hwheader[12]);
	p = w_x2(p, m->hwheader[13]);
	*p++ = ' ';
	END();
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
	put_hex4(b, rd16(ah + 2));
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
	struct lb b;    /* not zeroed: tmp is only read after it was written */
	size_t room;
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
	room = size - 1;
	if (room > FMT_LOG_KERNEL_MAX)
		room = FMT_LOG_KERNEL_MAX;
	b.p = buf;
	b.end = buf + room;
	b.over = false;

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

	*b.p = '\0';
	/* Cut at the kernel's limit: the kernel's line, not an error. */
	if (b.over && room == FMT_LOG_KERNEL_MAX)
		return (int)(b.p - buf);
	return b.over ? -ENOSPC : (int)(b.p - buf);
}

int fmt_log_escape(const char *s, size_t len, char *buf, size_t size)
{
	struct lb b;

	b.p = buf;
	b.end = buf + size;
	b.over = false;
	put_escaped(&b, s, len);
	return b.over ? -ENOSPC : (int)(b.p - buf);
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
