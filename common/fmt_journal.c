/* fmt_journal: record -> journal fields, names in docs/record-schema.md.
 *
 * Each field is written as "KEY=value" into the caller's arena and gets one
 * iovec; values are not NUL-terminated and may hold any byte, because
 * sd_journal_sendv() passes them with their length.  journald stores a
 * value that is not valid UTF-8 or holds control characters (a newline in
 * the prefix, say) as binary data: journalctl shows "[N bytes blob data]"
 * unless asked for --all / -o json, but nothing is lost or forged.
 *
 * Field names are our own literals and all match journald's rule
 * ([A-Z0-9_], not starting with '_' or a digit, at most 64 characters);
 * the unit test checks every one of them.  No name is used twice.
 *
 * How it stays fast (docs/performance.md; fmt_json.c works the same way):
 * a field is written in sections of known worst-case size, most fields in
 * one.  A section that has room in the arena for its worst case is
 * written straight into it with no further checks ("KEY=" is one
 * fixed-size copy; numbers and addresses are formatted by hand); only
 * when the arena is nearly full does a section go to a scratch area first
 * and is copied if what it actually wrote fits.  A field that does not fit
 * is dropped whole, as before.
 */
#include "fmt_journal.h"

#include "addr_text.h"
#include "dec_text.h"
#include "ct_reason.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>

/* Arena bytes for the fields after MESSAGE: the largest record in the
 * unit tests (every field, 127-byte prefix) needs about 1300. */
#define JOURNAL_RESERVE 4096

#define PRIORITY_DEFAULT 4      /* LOG_WARNING, the kernel LOG default */

enum {
	P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_FRAGMENT = 44, P_ESP = 50,
	P_AH = 51, P_ICMPV6 = 58, P_SCTP = 132, P_UDPLITE = 136,
};

/* --- the writer ---------------------------------------------------------- */

#define JB_TMP 1024     /* largest section */

struct jb {
	struct journal_fields *jf;
	size_t n;       /* fields so far (jf->n at the end) */
	char *p;        /* next byte of the arena */
	char *end;      /* end of the arena */
	char *start;    /* start of the open field */
	bool over;      /* the open field does not fit: it is dropped */
	bool lost;      /* some field was dropped: the result is -ENOSPC */
	size_t max;     /* the open section's reservation */
	char tmp[JB_TMP];       /* a section that might not fit goes here */
};

/* Open a section of at most max bytes: where to write it. */
static inline char *jb_res(struct jb *b, size_t max)
{
	assert(max <= JB_TMP);
	b->max = max;
	if (__builtin_expect(!b->over && (size_t)(b->end - b->p) >= max, 1))
		return b->p;
	return b->tmp;
}

/* A section written to tmp: keep it if it fits, else the field is
 * dropped. */
__attribute__((noinline, cold))
static void jb_spill(struct jb *b, size_t n)
{
	if (!b->over && n <= (size_t)(b->end - b->p)) {
		memcpy(b->p, b->tmp, n);
		b->p += n;
	} else {
		b->over = true;
	}
}

/* Close the section opened at q, now ending at p. */
static inline void jb_fin(struct jb *b, const char *q, char *p)
{
	assert(p >= q && (size_t)(p - q) <= b->max);
	if (__builtin_expect(q != b->tmp, 1))
		b->p = p;
	else
		jb_spill(b, (size_t)(p - q));
}

/* Open a field and its first section. */
static inline char *jb_open(struct jb *b, size_t max)
{
	b->start = b->p;
	b->over = b->n >= FMT_JOURNAL_MAX_FIELDS;
	return jb_res(b, max);
}

/* Close the field: one more iovec, or nothing and -ENOSPC. */
static inline void jb_close(struct jb *b)
{
	struct journal_fields *jf = b->jf;

	if (__builtin_expect(b->over, 0)) {
		b->p = b->start;
		b->lost = true;
		return;
	}
	jf->iov[b->n].iov_base = b->start;
	jf->iov[b->n].iov_len = (size_t)(b->p - b->start);
	b->n++;
}

/* A writer over jf's arena. */
static void jb_init(struct jb *b, struct journal_fields *jf)
{
	b->jf = jf;
	b->n = 0;
	b->p = jf->arena;
	b->end = jf->arena + sizeof(jf->arena);
	b->over = false;
	b->lost = false;
}

/* In the functions below q is the open section's start, p the next byte. */
#define FIELD(max) (q = p = jb_open(b, (max)))
#define SEC(max) (q = p = jb_res(b, (max)))
#define END() jb_fin(b, q, p)
#define DONE() (jb_fin(b, q, p), jb_close(b))

/* Append a string literal (a compile-time length: a few moves). */
#define CPY(p, lit) \
	((p) = (char *)memcpy((p), (lit), sizeof(lit) - 1) + (sizeof(lit) - 1))

/* Room for a field name, '=' and a number or address. */
#define KEY_MAX 24
#define U32_LEN 10
#define ADDR_LEN 45
/* Names other modules give us (decode_proto_name() ...) are copied inside
 * a section that counts this much for each; a longer one (none is) gets a
 * section of its own. */
#define NAME_SLACK 32

static const char hexlo[] = "0123456789abcdef";
static const char hexup[] = "0123456789ABCDEF";

/* --- values --------------------------------------------------------------- */

/* "0x" and at least min hex digits (one at least), as the LOG line prints
 * TOS=, MARK=: upper case when min > 0. */
static char *put_x(char *p, uint32_t v, int min)
{
	const char *d = min > 0 ? hexup : hexlo;
	int n = v ? (32 - __builtin_clz(v) + 3) / 4 : 1;

	if (n < min)
		n = min;
	*p++ = '0';
	*p++ = 'x';
	for (int i = n - 1; i >= 0; i--) {
		p[i] = d[v & 15];
		v >>= 4;
	}
	return p + n;
}

/* n bytes as hex pairs, each after sep unless sep is 0. */
static char *put_hex(char *p, const uint8_t *d, size_t n, char sep,
		     bool upper)
{
	if (upper) {
		for (size_t i = 0; i < n; i++) {
			if (sep)
				*p++ = sep;
			p[0] = hexup[d[i] >> 4];
			p[1] = hexup[d[i] & 15];
			p += 2;
		}
	} else if (!sep) {
		for (size_t i = 0; i < n; i++) {
			memcpy(p, dec_hex2 + 2 * d[i], 2);
			p += 2;
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			p[0] = sep;
			memcpy(p + 1, dec_hex2 + 2 * d[i], 2);
			p += 3;
		}
	}
	return p;
}

static char *put_addr(char *p, bool v6, const uint8_t *a)
{
	return v6 ? addr_text_ip6(p, a) : addr_text_ip4(p, a);
}

/* Short names of our own (at most NAME_SLACK bytes). */
static char *put_lit(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

/* Bytes as they are, of any length: a section for each chunk. */
#define RAW_CHUNK 768

static void jb_raw(struct jb *b, const char *s, size_t n)
{
	char *q, *p;

	while (n) {
		size_t k = n < RAW_CHUNK ? n : RAW_CHUNK;

		SEC(k);
		memcpy(p, s, k);
		p += k;
		END();
		s += k;
		n -= k;
	}
}

/* A name from another module in the open section, which counted
 * NAME_SLACK bytes for it.  A longer one (there is none) gets sections of
 * its own, and the open one is reopened after it with the same
 * reservation. */
__attribute__((noinline, cold))
static char *put_long_name(struct jb *b, char **qp, char *p, const char *s)
{
	size_t max = b->max;

	jb_fin(b, *qp, p);
	jb_raw(b, s, strlen(s));
	*qp = p = jb_res(b, max);
	return p;
}

static inline char *put_name(struct jb *b, char **qp, char *p, const char *s)
{
	char *p0 = p;
	const char *s0 = s;

	while (*s && s - s0 < NAME_SLACK)
		*p++ = *s++;
	if (__builtin_expect(*s != 0, 0))
		return put_long_name(b, qp, p0, s0);
	return p;
}

/* --- fields --------------------------------------------------------------- */

/* KEY=number.  kl <= KEY_MAX. */
static inline __attribute__((always_inline))
void f_u(struct jb *b, const char *key, size_t kl, uint32_t v)
{
	char *q, *p;

	FIELD(KEY_MAX + U32_LEN);
	memcpy(p, key, kl);
	p = dec_u32(p + kl, v);
	DONE();
}

/* Inline, so that the key is copied as the literal it is. */
#define F_U(b, key, v) f_u(b, key, sizeof(key) - 1, v)

static inline __attribute__((always_inline))
void f_x(struct jb *b, const char *key, size_t kl, uint32_t v, int min)
{
	char *q, *p;

	FIELD(KEY_MAX + 10);
	memcpy(p, key, kl);
	p = put_x(p + kl, v, min);
	DONE();
}

#define F_X(b, key, v, min) f_x(b, key, sizeof(key) - 1, v, min)

/* KEY=bytes, any length. */
__attribute__((noinline))
static void f_strn_long(struct jb *b, const char *key, size_t kl,
			const char *s, size_t n)
{
	char *q, *p;

	FIELD(kl);
	memcpy(p, key, kl);
	p += kl;
	END();
	jb_raw(b, s, n);
	jb_close(b);
}

/* Inline, so that the key (and a literal value) are copied as the
 * constants they are. */
static inline __attribute__((always_inline))
void f_strn(struct jb *b, const char *key, size_t kl, const char *s, size_t n)
{
	char *q, *p;

	if (n > RAW_CHUNK) {
		f_strn_long(b, key, kl, s, n);
		return;
	}
	FIELD(kl + n);
	memcpy(p, key, kl);
	p += kl;
	if (__builtin_constant_p(n) || n > 16) {
		memcpy(p, s, n);
	} else if (n >= 8) {
		/* the usual names: two overlapping words, no call */
		uint64_t x, y;

		memcpy(&x, s, 8);
		memcpy(&y, s + n - 8, 8);
		memcpy(p, &x, 8);
		memcpy(p + n - 8, &y, 8);
	} else if (n >= 4) {
		uint32_t x, y;

		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(p, &x, 4);
		memcpy(p + n - 4, &y, 4);
	} else {
		for (size_t i = 0; i < n; i++)
			p[i] = s[i];
	}
	p += n;
	DONE();
}

#define F_STRN(b, key, s, n) f_strn(b, key, sizeof(key) - 1, s, n)
#define F_STR(b, key, s) f_strn(b, key, sizeof(key) - 1, s, strlen(s))

static inline __attribute__((always_inline))
void f_addr(struct jb *b, const char *key, size_t kl, bool v6, const void *a)
{
	char *q, *p;

	FIELD(KEY_MAX + ADDR_LEN);
	memcpy(p, key, kl);
	p = put_addr(p + kl, v6, a);
	DONE();
}

#define F_ADDR(b, key, v6, a) f_addr(b, key, sizeof(key) - 1, v6, a)

/* KEY=hex, any length, sep between the bytes (or none). */
#define HEX_CHUNK 256

static void f_hex(struct jb *b, const char *key, size_t kl, const uint8_t *d,
		  size_t n, char sep, bool upper)
{
	size_t k = n < HEX_CHUNK ? n : HEX_CHUNK;
	char *q, *p;

	FIELD(kl + 3 * k);
	memcpy(p, key, kl);
	p += kl;
	if (k) {
		/* the first byte has no separator before it */
		p = put_hex(p, d, 1, 0, upper);
		p = put_hex(p, d + 1, k - 1, sep, upper);
	}
	for (size_t i = k; i < n; i += k) {
		k = n - i < HEX_CHUNK ? n - i : HEX_CHUNK;
		END();
		SEC(3 * k);
		p = put_hex(p, d + i, k, sep, upper);
	}
	DONE();
}

#define F_HEX(b, key, d, n, sep, upper) \
	f_hex(b, key, sizeof(key) - 1, d, n, sep, upper)

static bool str_set(const char *s)
{
	return s && *s;
}

/* Does a (not NULL) equal the literal? */
static bool is(const char *a, const char *lit)
{
	while (*lit && *a == *lit) {
		a++;
		lit++;
	}
	return *a == *lit;
}

/* --- layers ------------------------------------------------------------- */

static bool l3_valid(const struct ip_layer *ip)
{
	return (ip->kind == L3_IPV4 || ip->kind == L3_IPV6) &&
	       ip->status != DECODE_TRUNC_L3;
}

static void f_proto(struct jb *b, const char *key, size_t kl, uint8_t proto)
{
	const char *n = decode_proto_name(proto);
	char *q, *p;

	FIELD(KEY_MAX + NAME_SLACK);
	memcpy(p, key, kl);
	p += kl;
	if (n)
		p = put_name(b, &q, p, n);
	else
		p = dec_u32(p, proto);
	DONE();
}

#define F_PROTO(b, key, proto) f_proto(b, key, sizeof(key) - 1, proto)

static inline __attribute__((always_inline))
void f_ip(struct jb *b, const struct ip_layer *ip)
{
	bool v6 = ip->kind == L3_IPV6;
	char *q, *p;

	F_ADDR(b, "SRC=", v6, ip->src);
	F_ADDR(b, "DST=", v6, ip->dst);
	F_U(b, "LEN=", ip->pkt_len);
	if (ip->kind == L3_IPV4) {
		/* Masked as the kernel's LOG target prints them. */
		F_X(b, "TOS=", ip->tos & 0x1e, 2);
		F_X(b, "PREC=", ip->tos & 0xe0, 2);
		F_U(b, "TTL=", ip->ttl);
		F_U(b, "ID=", ip->id);
		if (ip->frag_word & 0xe000) {
			static const struct {
				char s[9];
				uint8_t n;
			} words[8] = {
				{ "", 0 }, { "MF", 2 }, { "DF", 2 },
				{ "DF MF", 5 }, { "CE", 2 }, { "CE MF", 5 },
				{ "CE DF", 5 }, { "CE DF MF", 8 },
			};
			unsigned f = ip->frag_word >> 13 & 7;

			FIELD(9 + sizeof(words[f].s));
			CPY(p, "IP_FLAGS=");
			memcpy(p, words[f].s, sizeof(words[f].s));
			p += words[f].n;
			DONE();
		}
		if (ip->ihl > 5 && ip->ipopts.raw && ip->ipopts.raw_len)
			F_HEX(b, "IP_OPTIONS=", ip->ipopts.raw,
			      ip->ipopts.raw_len, 0, true);
	} else {
		unsigned n = ip->n_ext < DECODE_MAX_EXTHDRS ? ip->n_ext :
			     DECODE_MAX_EXTHDRS;

		F_U(b, "TC=", ip->tos);
		F_U(b, "HOPLIMIT=", ip->ttl);
		F_U(b, "FLOWLBL=", ip->flowlabel);
		if (n) {
			FIELD(9 + DECODE_MAX_EXTHDRS * (NAME_SLACK + 1));
			CPY(p, "IPV6_EXT=");
			for (unsigned i = 0; i < n; i++) {
				uint8_t t = ip->ext[i].type;
				const char *en = decode_exthdr_name(t);

				if (i)
					*p++ = ' ';
				if (en)
					p = put_name(b, &q, p, en);
				else
					p = dec_u32(p, t);
			}
			DONE();
		}
	}
	if (ip->fragment) {
		F_U(b, "FRAG=", ip->frag_offset);
		F_U(b, "FRAG_ID=", ip->frag_id);
	}
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* One TCP option in TCP_OPTIONS: "MSS=1460", "SACK_PERM", "TS=1/0", ...;
 * kinds we do not know, and known kinds of a length their RFC does not
 * allow, as OPT<kind>[=<hex data>].  At most 7 + 2 * 253 bytes. */
#define TCPOPT_MAX 640

static char *put_tcpopt(char *p, const struct opt *o)
{
	const uint8_t *d = o->data;
	unsigned dl = o->len >= 2 ? o->len - 2u : 0;
	bool ok = d || !dl;

	switch (o->kind) {
	case 2:
		if (!ok || dl != 2)
			break;
		CPY(p, "MSS=");
		return dec_u32(p, (unsigned)d[0] << 8 | d[1]);
	case 3:
		if (!ok || dl != 1)
			break;
		CPY(p, "WS=");
		return dec_u32(p, d[0]);
	case 4:
		if (dl != 0)
			break;
		return CPY(p, "SACK_PERM");
	case 5:
		if (!ok || dl < 8 || dl > 32 || dl % 8)
			break;
		CPY(p, "SACK=");
		for (unsigned i = 0; i < dl; i += 8) {
			if (i)
				*p++ = ',';
			p = dec_u32(p, be32(d + i));
			*p++ = '-';
			p = dec_u32(p, be32(d + i + 4));
		}
		return p;
	case 8:
		if (!ok || dl != 8)
			break;
		CPY(p, "TS=");
		p = dec_u32(p, be32(d));
		*p++ = '/';
		return dec_u32(p, be32(d + 4));
	case 19:
		if (dl != 16)
			break;
		return CPY(p, "MD5");
	case 29:
		if (!ok || dl < 2)
			break;
		CPY(p, "AO=");
		p = dec_u32(p, d[0]);
		*p++ = '/';
		return dec_u32(p, d[1]);
	case 30:
		if (!ok || dl < 1)
			break;
		CPY(p, "MPTCP=");
		return dec_u32(p, d[0] >> 4);
	case 34:
		if (!ok || dl > 16)
			break;
		CPY(p, "FASTOPEN");
		if (dl) {
			*p++ = '=';
			p = put_hex(p, d, dl, 0, true);
		}
		return p;
	}
	CPY(p, "OPT");
	p = dec_u32(p, o->kind);
	if (d && dl) {
		*p++ = '=';
		p = put_hex(p, d, dl, 0, true);
	}
	return p;
}

static inline __attribute__((always_inline))
void f_tcp(struct jb *b, const struct l4_tcp *t)
{
	static const struct {
		uint16_t bit;
		char name[4];
		uint8_t n;
	} flags[] = {
		{ TCPF_AE, "AE", 2 }, { TCPF_CWR, "CWR", 3 },
		{ TCPF_ECE, "ECE", 3 }, { TCPF_URG, "URG", 3 },
		{ TCPF_ACK, "ACK", 3 }, { TCPF_PSH, "PSH", 3 },
		{ TCPF_RST, "RST", 3 }, { TCPF_SYN, "SYN", 3 },
		{ TCPF_FIN, "FIN", 3 },
	};
	char *q, *p, sep = 0;

	F_U(b, "SEQ=", t->seq);
	F_U(b, "ACK=", t->ack);
	F_U(b, "WINDOW=", t->window);
	F_U(b, "URGP=", t->urgp);
	/* Present, possibly empty, for every TCP packet: a segment with no
	 * flag at all is worth finding. */
	FIELD(10 + 9 * 4 + 1);
	CPY(p, "TCP_FLAGS=");
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (t->flags & flags[i].bit) {
			*p = ' ';
			p += sep;
			sep = 1;
			memcpy(p, flags[i].name, sizeof(flags[i].name));
			p += flags[i].n;
		}
	}
	DONE();
	if (t->doff > 5) {
		const struct opt_list *ol = &t->opts;
		unsigned n = ol->n < DECODE_MAX_OPTS ? ol->n : DECODE_MAX_OPTS;
		bool first = true;

		FIELD(12);
		CPY(p, "TCP_OPTIONS=");
		for (unsigned i = 0; i < n; i++) {
			if (ol->o[i].kind <= 1)
				continue;       /* EOL, NOP */
			END();
			SEC(1 + TCPOPT_MAX);
			if (!first)
				*p++ = ' ';
			first = false;
			p = put_tcpopt(p, &ol->o[i]);
		}
		END();
		SEC(20);
		if (ol->raw_len < ol->want_len) {
			if (!first)
				*p++ = ' ';
			first = false;
			CPY(p, "TRUNCATED");
		}
		if (ol->malformed) {
			if (!first)
				*p++ = ' ';
			CPY(p, "MALFORMED");
		}
		DONE();
	}
}

static inline __attribute__((always_inline))
void f_icmp(struct jb *b, const struct record *rec,
		   const struct ip_layer *ip)
{
	const struct l4_icmp *ic = &ip->t.icmp;
	const struct ip_layer *in = &rec->inner;
	uint16_t sp, dp;

	F_U(b, "ICMP_TYPE=", ic->type);
	F_U(b, "ICMP_CODE=", ic->code);
	if (ic->has_echo) {
		F_U(b, "ICMP_ID=", ic->id);
		F_U(b, "ICMP_SEQ=", ic->seq);
	}
	if (ic->has_mtu)
		F_U(b, "ICMP_MTU=", ic->mtu);
	if (ic->has_gateway)
		F_ADDR(b, "ICMP_GATEWAY=", false, ic->gateway);
	if (ic->has_pointer)
		F_U(b, "ICMP_POINTER=", ic->pointer);
	/* The quoted packet gets names of its own: SRC=/DST= must only ever
	 * match the packet that was logged. */
	if (rec->has_inner && l3_valid(in)) {
		F_ADDR(b, "QUOTED_SRC=", in->kind == L3_IPV6, in->src);
		F_ADDR(b, "QUOTED_DST=", in->kind == L3_IPV6, in->dst);
		F_PROTO(b, "QUOTED_PROTO=", in->proto);
		if (decode_ports(in, &sp, &dp)) {
			F_U(b, "QUOTED_SPT=", sp);
			F_U(b, "QUOTED_DPT=", dp);
		}
	}
}

/* SPI= of the first AH or ESP header: the transport of an IPv4 packet,
 * an extension header of an IPv6 one. */
static inline __attribute__((always_inline))
void f_spi(struct jb *b, const struct ip_layer *ip)
{
	for (unsigned i = 0; i < ip->n_ext && i < DECODE_MAX_EXTHDRS; i++) {
		const struct ext_hdr *e = &ip->ext[i];

		if ((e->type == P_AH || e->type == P_ESP) && e->complete) {
			F_U(b, "SPI=", e->u.spi);
			return;
		}
	}
	if (ip->l4 == L4_DECODED && (ip->proto == P_AH || ip->proto == P_ESP))
		F_U(b, "SPI=", ip->t.spi.spi);
}

static inline __attribute__((always_inline))
void f_transport(struct jb *b, const struct record *rec,
			const struct ip_layer *ip)
{
	uint16_t sp, dp;

	F_PROTO(b, "PROTO=", ip->proto);
	if (decode_ports(ip, &sp, &dp)) {
		F_U(b, "SPT=", sp);
		F_U(b, "DPT=", dp);
	}
	if (ip->l4 == L4_DECODED) {
		switch (ip->proto) {
		case P_TCP:
			f_tcp(b, &ip->t.tcp);
			break;
		case P_UDP:
		case P_UDPLITE:
			F_U(b, "UDP_LEN=", ip->t.udp.len);
			break;
		case P_ICMP:
		case P_ICMPV6:
			f_icmp(b, rec, ip);
			break;
		}
	}
	f_spi(b, ip);
}

/* --- metadata ----------------------------------------------------------- */

static const char *family_name(uint8_t f)
{
	switch (f) {
	case NFPROTO_INET: return "inet";
	case NFPROTO_IPV4: return "ipv4";
	case NFPROTO_ARP: return "arp";
	case NFPROTO_NETDEV: return "netdev";
	case NFPROTO_BRIDGE: return "bridge";
	case NFPROTO_IPV6: return "ipv6";
	default: return NULL;
	}
}

static const char *l4_state_name(enum l4_state s)
{
	switch (s) {
	case L4_ABSENT: return "absent";
	case L4_DECODED: return "decoded";
	case L4_FRAGMENT: return "fragment";
	case L4_TRUNCATED: return "truncated";
	case L4_SNAPPED: return "snapped";
	case L4_ESP_OPAQUE: return "esp-opaque";
	case L4_NONE_NEXT: return "no-next-header";
	}
	return "unknown";
}

static inline __attribute__((always_inline))
void f_nflog(struct jb *b, const struct nflog_meta *m,
		    const struct journal_ctx *c)
{
	uint32_t pr = m->present;
	const char *fam = family_name(m->family);
	char *q, *p;

	if (str_set(c->rule))
		F_STR(b, "NFLOG_RULE=", c->rule);
	F_U(b, "NFLOG_GROUP=", m->group);
	FIELD(13 + NAME_SLACK);
	CPY(p, "NFLOG_FAMILY=");
	p = fam ? put_lit(p, fam) : dec_u32(p, m->family);
	DONE();
	if (pr & NFLOG_HAVE_HWPROTO) {
		const char *hn = nflog_hook_name(m->family, m->hook);

		FIELD(11 + NAME_SLACK);
		CPY(p, "NFLOG_HOOK=");
		if (hn && !is(hn, "unknown"))
			p = put_name(b, &q, p, hn);
		else
			p = dec_u32(p, m->hook);
		DONE();
	}
	if (pr & NFLOG_HAVE_SEQ)
		F_U(b, "NFLOG_SEQ=", m->seq);
	if (pr & NFLOG_HAVE_SEQ_GLOBAL)
		F_U(b, "NFLOG_SEQ_GLOBAL=", m->seq_global);
}

/* IN= and OUT= are what the LOG line calls so: for the bridge family the
 * bridge port, which nfnetlink_log sends as PHYSINDEV / PHYSOUTDEV (INDEV /
 * OUTDEV are the bridge).  PHYSIN= / PHYSOUT= name the physical device
 * whenever there is one.  Names are the caller's, for present devices. */
static inline __attribute__((always_inline))
void f_devices(struct jb *b, const struct nflog_meta *m,
		      const struct log_ifnames *ifn)
{
	uint32_t pr = m->present;
	bool br = m->family == NFPROTO_BRIDGE;
	bool pin = pr & NFLOG_HAVE_PHYSINDEV, pout = pr & NFLOG_HAVE_PHYSOUTDEV;
	const char *in = NULL, *out = NULL;

	if (br && pin)
		in = ifn->physin;
	else if (pr & NFLOG_HAVE_INDEV)
		in = ifn->in;
	if (br && pout)
		out = ifn->physout;
	else if (pr & NFLOG_HAVE_OUTDEV)
		out = ifn->out;
	if (str_set(in))
		F_STR(b, "IN=", in);
	if (str_set(out))
		F_STR(b, "OUT=", out);
	if (pin && str_set(ifn->physin))
		F_STR(b, "PHYSIN=", ifn->physin);
	if (pout && str_set(ifn->physout))
		F_STR(b, "PHYSOUT=", ifn->physout);
	if (pr & NFLOG_HAVE_INDEV)
		F_U(b, "NFLOG_INDEV=", m->indev);
	if (pr & NFLOG_HAVE_OUTDEV)
		F_U(b, "NFLOG_OUTDEV=", m->outdev);
	if (pin)
		F_U(b, "NFLOG_PHYSINDEV=", m->physindev);
	if (pout)
		F_U(b, "NFLOG_PHYSOUTDEV=", m->physoutdev);
	if ((pr & NFLOG_HAVE_HWHEADER) && m->hwheader && m->hwheader_len)
		F_HEX(b, "MAC=", m->hwheader, m->hwheader_len, ':', false);
	if ((pr & NFLOG_HAVE_HWADDR) && m->hwaddr_len)
		F_HEX(b, "MACSRC=", m->hwaddr,
		      m->hwaddr_len < sizeof(m->hwaddr) ? m->hwaddr_len :
		      sizeof(m->hwaddr), ':', false);
}

static inline __attribute__((always_inline))
void f_ct(struct jb *b, const struct nflog_meta *m)
{
	const struct nflog_ct *ct = &m->ct;
	bool v6 = ct->orig_family == AF_INET6;
	char *q, *p;

	if (m->present & NFLOG_HAVE_CT_INFO) {
		const char *s = nflog_ctinfo_name(m->ct_info);

		FIELD(9 + NAME_SLACK);
		CPY(p, "CT_STATE=");
		if (!is(s, "unknown"))
			p = put_name(b, &q, p, s);
		else
			p = dec_u32(p, m->ct_info);
		DONE();
	}
	if (!(m->present & NFLOG_HAVE_CT))
		return;
	if (ct->present & NFLOG_CT_HAVE_ID)
		F_U(b, "CT_ID=", ct->id);
	if (ct->present & NFLOG_CT_HAVE_STATUS)
		F_X(b, "CT_STATUS=", ct->status, 0);
	if (ct->present & NFLOG_CT_HAVE_MARK)
		F_X(b, "CT_MARK=", ct->mark, 0);
	if (ct->present & NFLOG_CT_HAVE_ZONE)
		F_U(b, "CT_ZONE=", ct->zone);
	if (ct->present & NFLOG_CT_HAVE_ORIG) {
		F_ADDR(b, "CT_ORIG_SRC=", v6, ct->orig_src);
		F_ADDR(b, "CT_ORIG_DST=", v6, ct->orig_dst);
		F_PROTO(b, "CT_ORIG_PROTO=", ct->orig_proto);
	}
	if (ct->present & NFLOG_CT_HAVE_ORIG_PORTS) {
		F_U(b, "CT_ORIG_SPT=", ct->orig_sport);
		F_U(b, "CT_ORIG_DPT=", ct->orig_dport);
	}
}

/* conntrack's reason for INVALID (the conntrack_invalid rule). */
__attribute__((noinline))
static void f_ct_invalid(struct jb *b, const struct nflog_meta *m)
{
	struct ct_reason r;

	if (!(m->present & NFLOG_HAVE_PREFIX) ||
	    !ct_reason_parse(m->prefix, m->prefix_len, &r))
		return;
	F_STRN(b, "CT_INVALID_REASON=", r.reason, r.reason_len);
	F_U(b, "CT_INVALID_PROTO=", r.protocol);
	if (r.helper)
		F_STRN(b, "CT_INVALID_HELPER=", r.helper, r.helper_len);
}

/* MESSAGE is the LOG line.  It comes first into an empty arena, and
 * fmt_log never needs more than FMT_LOG_MAX (it cuts a longer line where
 * the kernel does), so it always fits whole. */
_Static_assert(sizeof(((struct journal_fields *)0)->arena) >=
	       sizeof("MESSAGE=") + FMT_LOG_MAX + JOURNAL_RESERVE,
	       "the arena holds the longest LOG line and the other fields");

static int f_message(struct jb *b, const struct record *rec,
		     const struct journal_ctx *c, const struct log_ifnames *ifn)
{
	char *q, *p;
	int r;

	FIELD(8);
	CPY(p, "MESSAGE=");
	END();
	r = fmt_log(rec, ifn, c->log_flags, b->p, FMT_LOG_MAX);
	if (r > 0)
		b->p += r;
	jb_close(b);
	return r < 0 ? r : 0;
}

int fmt_journal(const struct record *rec, const struct journal_ctx *ctx,
		struct journal_fields *jf)
{
	static const struct journal_ctx noctx;
	static const struct log_ifnames noifn;
	static const struct nflog_meta nometa;
	const struct journal_ctx *c = ctx ? ctx : &noctx;
	const struct log_ifnames *ifn = c->ifn ? c->ifn : &noifn;
	const struct nflog_meta *m = rec->meta ? rec->meta : &nometa;
	const struct ip_layer *ip = &rec->ip;
	struct jb jb, *b = &jb;
	int prio = c->priority, err;
	struct record tmp;

	if (!rec->meta) {
		/* fmt_log needs metadata; decode_packet always sets it. */
		tmp = *rec;
		tmp.meta = &nometa;
		rec = &tmp;
	}
	jb_init(&jb, jf);
	err = f_message(b, rec, c, ifn);
	if (!ctx || prio < 0 || prio > 7)
		prio = PRIORITY_DEFAULT;
	F_U(b, "PRIORITY=", (unsigned)prio);
	if (str_set(c->identifier))
		F_STR(b, "SYSLOG_IDENTIFIER=", c->identifier);
	else
		F_STR(b, "SYSLOG_IDENTIFIER=", "nflogd");
	F_STR(b, "MESSAGE_ID=", FMT_JOURNAL_PACKET_MESSAGE_ID);

	f_nflog(b, m, c);
	f_devices(b, m, ifn);
	if (l3_valid(ip)) {
		f_ip(b, ip);
		f_transport(b, rec, ip);
	}
	if (m->present & NFLOG_HAVE_UID)
		F_U(b, "UID=", m->uid);
	if (m->present & NFLOG_HAVE_GID)
		F_U(b, "GID=", m->gid);
	if (m->present & NFLOG_HAVE_MARK)
		F_X(b, "MARK=", m->mark, 0);
	f_ct(b, m);
	if (__builtin_expect(c->ct_invalid, 0))
		f_ct_invalid(b, m);
	if (ip->status != DECODE_OK)
		F_STR(b, "DECODE_STATUS=", decode_status_str(ip->status));
	if (l3_valid(ip) && ip->l4 != L4_DECODED)
		F_STR(b, "DECODE_L4=", l4_state_name(ip->l4));
	if (ip->snapped)
		F_STR(b, "DECODE_SNAPPED=", "1");
	/* The prefix exactly as the rule has it, trailing spaces and all;
	 * last, because only it can be long enough not to fit (from a pcap
	 * file), and then it should cost no other field. */
	if ((m->present & NFLOG_HAVE_PREFIX) && m->prefix)
		F_STRN(b, "NFLOG_PREFIX=", m->prefix, m->prefix_len);
	jf->n = jb.n;
	jf->used = (size_t)(jb.p - jf->arena);

	if (err < 0)
		return err;
	if (jb.lost)
		return -ENOSPC;
	return (int)jf->n;
}

/* --- flood summaries ----------------------------------------------------- */

/* "KEY=a=n, b=n": a top list, most frequent first. */
static void f_top(struct jb *b, const char *key, size_t kl,
		  const struct flood_slot *sl, unsigned int n)
{
	char v[FLOOD_TOP * (FLOOD_KEY_TEXT_MAX + 24)], k[FLOOD_KEY_TEXT_MAX];
	size_t len = 0;

	for (unsigned int i = 0; i < n; i++) {
		flood_key_text(&sl[i].key, k);
		len += (size_t)snprintf(v + len, sizeof(v) - len, "%s%s=%llu",
					i ? ", " : "", k,
					(unsigned long long)sl[i].n);
	}
	f_strn(b, key, kl, v, len);
}

int fmt_journal_summary(const struct flood_summary *s, const char *identifier,
			struct journal_fields *jf)
{
	char text[FLOOD_TEXT_MAX], num[24], lim[40];
	struct jb jb, *b = &jb;
	size_t n;

	jb_init(&jb, jf);
	n = flood_text(s, text, sizeof(text));
	F_STRN(b, "MESSAGE=", text, n);
	F_U(b, "PRIORITY=", PRIORITY_DEFAULT);
	F_STR(b, "SYSLOG_IDENTIFIER=", str_set(identifier) ? identifier : "nflogd");
	F_STR(b, "MESSAGE_ID=", FMT_JOURNAL_SUPPRESSED_MESSAGE_ID);
	if (str_set(s->rule))
		F_STR(b, "NFLOG_RULE=", s->rule);
	n = (size_t)snprintf(num, sizeof(num), "%llu",
			     (unsigned long long)s->suppressed);
	F_STRN(b, "NFLOGD_SUPPRESSED=", num, n);
	F_U(b, "NFLOGD_SECONDS=", s->seconds);
	n = (size_t)snprintf(lim, sizeof(lim), "%u/%s", s->limit_rate,
			     s->limit_unit);
	F_STRN(b, "NFLOGD_RECORD_LIMIT=", lim, n < sizeof(lim) ? n : sizeof(lim) - 1);
	F_U(b, "NFLOGD_RECORD_BURST=", s->burst);
	if (s->approximate)
		F_STR(b, "NFLOGD_TOP_APPROXIMATE=", "1");
	if (s->n_src)
		f_top(b, "NFLOGD_TOP_SOURCES=", sizeof("NFLOGD_TOP_SOURCES=") - 1,
		      s->src, s->n_src);
	if (s->n_dst)
		f_top(b, "NFLOGD_TOP_DESTINATIONS=",
		      sizeof("NFLOGD_TOP_DESTINATIONS=") - 1, s->dst, s->n_dst);
	jf->n = jb.n;
	jf->used = (size_t)(jb.p - jf->arena);
	return jb.lost ? -ENOSPC : (int)jf->n;
}
