/* fmt_json: record -> one JSON object, schema in docs/record-schema.md.
 *
 * The object is written front to back into the caller's buffer; nothing is
 * allocated and nothing is formatted twice.  Members are emitted only when
 * the record really carries them, so "absent" always means "not known",
 * never zero.
 *
 * How it stays fast (docs/performance.md): the output is built in
 * sections, each a run of members with a known worst-case size.  A section
 * first reserves its worst case (one comparison); when the buffer has that
 * much room left, the section is written straight into it with no further
 * checks: keys are string literals whose separators, quotes and colons are
 * part of the literal, so a key is one fixed-size memcpy, and numbers,
 * addresses, MACs and times are formatted by hand.  Only when the buffer is
 * nearly full does a section go to a scratch area first, and is then copied
 * if what it actually wrote fits; so the result is -ENOSPC exactly when the
 * whole object does not fit, as before.  Strings of unbounded length (the
 * prefix, names from the caller, hex dumps) are written in chunks of
 * bounded size the same way.
 */
#include "fmt_json.h"

#include "addr_text.h"
#include "dec_text.h"
#include "ct_reason.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>

/* The ECS release whose field definitions we follow (ecs.version). */
#define ECS_VERSION "8.11.0"

#define ARPHRD_ETHER_ 1         /* net/if_arp.h drags in too much */

enum {
	P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_ROUTING = 43, P_FRAGMENT = 44,
	P_GRE = 47, P_ESP = 50, P_AH = 51, P_ICMPV6 = 58, P_SCTP = 132,
	P_UDPLITE = 136,
};

/* --- the writer ---------------------------------------------------------- */

/* Largest section: see the STR_CHUNK / HEX_CHUNK assertions below. */
#define JW_TMP 1024

struct jw {
	char *p;        /* next byte */
	char *end;      /* last byte of the buffer: the NUL must fit at p */
	bool full;      /* ran out of room: the result is -ENOSPC */
	/* Separator before the next member of the object a layer is written
	 * into: ',' in the record, '{' at the start of "quoted". */
	char sep;
	size_t max;     /* the open section's reservation */
	char tmp[JW_TMP];       /* a section that might not fit goes here */
};

/* Open a section of at most max bytes: where to write it.  Once the
 * writer is full, end == p, so every later section goes to tmp and is
 * dropped by jw_spill(). */
static inline char *jw_res(struct jw *w, size_t max)
{
	assert(max <= JW_TMP);
	w->max = max;
	if (__builtin_expect((size_t)(w->end - w->p) >= max, 1))
		return w->p;
	return w->tmp;
}

/* A section written to tmp: keep it if it fits, else the writer is full
 * for good. */
__attribute__((noinline, cold))
static void jw_spill(struct jw *w, size_t n)
{
	if (!w->full && n <= (size_t)(w->end - w->p)) {
		memcpy(w->p, w->tmp, n);
		w->p += n;
	} else {
		w->full = true;
		w->end = w->p;
	}
}

/* Close the section opened at q, now ending at p. */
static inline void jw_fin(struct jw *w, const char *q, char *p)
{
	assert(p >= q && (size_t)(p - q) <= w->max);
	if (__builtin_expect(q != w->tmp, 1))
		w->p = p;
	else
		jw_spill(w, (size_t)(p - q));
}

/* A writer over buf (size > 0 bytes). */
static void jw_init(struct jw *w, char *buf, size_t size)
{
	w->p = buf;
	w->end = buf + size - 1;
	w->full = false;
	w->sep = ',';
}

/* The length written to buf, NUL-terminated, or -ENOSPC: never a cut
 * object that might look whole. */
static int jw_result(struct jw *w, char *buf)
{
	if (w->full || (size_t)(w->p - buf) > INT_MAX) {
		buf[0] = 0;
		return -ENOSPC;
	}
	*w->p = 0;
	return (int)(w->p - buf);
}

/* Sections inside an emitter: q is where the open one starts, p the next
 * byte. */
#define SEC(max) (q = p = jw_res(w, (max)))
#define END() jw_fin(w, q, p)

/* Append a string literal: its length is a compile-time constant, so this
 * is a few moves. */
#define CPY(p, lit) \
	((p) = (char *)memcpy((p), (lit), sizeof(lit) - 1) + (sizeof(lit) - 1))

/* Close an object or array whose first member would have written the
 * opening bracket c (still in c when it had no member). */
#define CLOSE(p, c, br) do {                    \
		if ((c) != ',')                 \
			*(p)++ = (c);           \
		*(p)++ = (br);                  \
	} while (0)

/* Start a member of the layer object (record or "quoted"). */
#define LSEP(p) (*(p)++ = w->sep, w->sep = ',')

/* Worst cases of single values, quotes included. */
#define U32_LEN 10
#define U64_LEN 20
#define ADDR_LEN 47     /* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" */
#define MAC_LEN 25      /* 8 bytes (hwaddr's size), quoted */
#define TIME_LEN 29     /* "9999-12-31T23:59:59.999999Z" */
/* Names other modules give us (decode_status_str() ...) are copied
 * inside a section that counts this much for each; a longer one (none is)
 * is moved to a section of its own. */
#define NAME_SLACK 32

static const char hexdig[] = "0123456789abcdef";

/* --- values --------------------------------------------------------------- */
static char *put_u64(char *p, uint64_t v)
{
	char t[20];
	size_t i = sizeof(t);

	if (v <= UINT32_MAX)
		return dec_u32(p, (uint32_t)v);
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(p, t + i, sizeof(t) - i);
	return p + sizeof(t) - i;
}

/* ECS keeps some numbers as keyword strings (network.iana_number, ...). */
static char *put_u32_str(char *p, uint32_t v)
{
	*p++ = '"';
	p = dec_u32(p, v);
	*p++ = '"';
	return p;
}

static char *put_bool(char *p, bool v)
{
	if (v)
		return CPY(p, "true");
	return CPY(p, "false");
}

/* Short ASCII names of our own tables (at most NAME_SLACK bytes). */
static char *put_lit(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

/* The hex digits of 4 bytes, in the order they are in memory: 8 chars
 * for an 8-byte store (little-endian), lower case unless upper. */
static inline uint64_t hex4(const uint8_t *d, bool upper)
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
	/* nibble -> '0'..'9', 'a'..'f' */
	return n + ones * '0' +
	       ((n + ones * 6) >> 4 & ones) * (upper ? 'A' - '9' - 1 :
						'a' - '9' - 1);
}

static char *put_hex(char *p, const uint8_t *d, size_t n)
{
	size_t i = 0;

	if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
		for (; i + 4 <= n; i += 4) {
			uint64_t h = hex4(d + i, false);

			memcpy(p, &h, 8);
			p += 8;
		}
	}
	for (; i < n; i++) {
		memcpy(p, dec_hex2 + 2 * d[i], 2);
		p += 2;
	}
	return p;
}

/* n >= 1 bytes as hex pairs separated by sep (a MAC address).  Each pair
 * is written with a separator after it, the last one then dropped. */
static char *put_hex_sep(char *p, const uint8_t *d, size_t n, char sep,
			 bool upper)
{
	static const char updig[] = "0123456789ABCDEF";

	if (upper) {
		for (size_t i = 0; i < n; i++) {
			p[0] = updig[d[i] >> 4];
			p[1] = updig[d[i] & 15];
			p[2] = sep;
			p += 3;
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			memcpy(p, dec_hex2 + 2 * d[i], 2);
			p[2] = sep;
			p += 3;
		}
	}
	return p - 1;
}

static char *put_mac(char *p, const uint8_t *d, size_t n, bool ecs)
{
	*p++ = '"';
	if (n)
		p = put_hex_sep(p, d, n, ecs ? '-' : ':', ecs);
	*p++ = '"';
	return p;
}

/* Quoted; AF_INET or AF_INET6 only. */
static char *put_addr(char *p, bool v6, const uint8_t *a)
{
	*p++ = '"';
	p = v6 ? addr_text_ip6(p, a) : addr_text_ip4(p, a);
	*p++ = '"';
	return p;
}

/* --- time ---------------------------------------------------------------- */

/* Days since 1970-01-01 -> civil date (H. Hinnant's algorithm); gmtime_r
 * may read /etc/localtime on first use, and this must not do I/O. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* RFC 3339 needs a four-digit year. */
#define TS_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */

static bool ts_valid(int64_t sec, uint32_t usec)
{
	return sec >= 0 && sec <= TS_MAX && usec < 1000000;
}

static char *put2(char *p, unsigned v)
{
	memcpy(p, dec_dig2 + 2 * v, 2);
	return p + 2;
}

/* Quoted RFC 3339 time; ts_valid(sec, usec).  The date and time of day
 * come from c when it holds this second's. */
static char *put_time(char *p, int64_t sec, uint32_t usec,
		      struct json_time_cache *c)
{
	*p++ = '"';
	if (c->key != sec + 1) {
		char *t = c->text;
		int64_t y;
		unsigned mo, d, s = (unsigned)(sec % 86400);

		civil_from_days(sec / 86400, &y, &mo, &d);
		t = put2(t, (unsigned)y / 100);
		t = put2(t, (unsigned)y % 100);
		*t++ = '-';
		t = put2(t, mo);
		*t++ = '-';
		t = put2(t, d);
		*t++ = 'T';
		t = put2(t, s / 3600);
		*t++ = ':';
		t = put2(t, s / 60 % 60);
		*t++ = ':';
		put2(t, s % 60);
		c->key = sec + 1;
	}
	memcpy(p, c->text, sizeof(c->text));
	p += sizeof(c->text);
	*p++ = '.';
	p = put2(p, usec / 10000);
	p = put2(p, usec / 100 % 100);
	p = put2(p, usec % 100);
	*p++ = 'Z';
	*p++ = '"';
	return p;
}

/* --- strings and other variable-length values ----------------------------- */

/* Bytes copied into a JSON string as they are: printable ASCII but '"' and
 * '\\'. */
static const uint8_t plain[256] = {
	[0x20 ... 0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7e] = 1,
};

/* Length of the well-formed UTF-8 sequence at p (Unicode 15, table 3-7)
 * with its code point in *cp, or minus the length of its maximal ill-formed
 * subpart: each such subpart becomes one U+FFFD, as Unicode (and the WHATWG
 * decoder every browser uses) recommends. */
static int utf8_seq(const unsigned char *p, const unsigned char *end,
		    uint32_t *cp)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	uint32_t v;
	int need;

	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;      /* overlong */
		else if (c == 0xed)
			hi = 0x9f;      /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;      /* overlong */
		else if (c == 0xf4)
			hi = 0x8f;      /* above U+10FFFF */
	} else {
		return -1;
	}
	for (int i = 1; i <= need; i++) {
		if (end - p <= i || p[i] < lo || p[i] > hi)
			return -i;
		v = v << 6 | (p[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return need + 1;
}

static char *put_uesc(char *p, uint32_t cp)
{
	p[0] = '\\';
	p[1] = 'u';
	p[2] = hexdig[cp >> 12 & 15];
	p[3] = hexdig[cp >> 8 & 15];
	p[4] = hexdig[cp >> 4 & 15];
	p[5] = hexdig[cp & 15];
	return p + 6;
}

/* Escape the characters that start in [*ps, ce) (the last may run on to
 * e): at most 6 bytes out per byte in.  Besides what RFC 8259 requires we
 * escape DEL, the C1 controls and U+2028/U+2029, so the line is also safe
 * to show on a terminal and to embed in JavaScript. */
static char *put_esc(char *p, const unsigned char **ps,
		     const unsigned char *ce, const unsigned char *e)
{
	const unsigned char *s = *ps;

	while (s < ce) {
		unsigned char c = *s;
		uint32_t cp = 0;
		int l;

		if (plain[c]) {
			*p++ = (char)c;
			s++;
			continue;
		}
		if (c < 0x80) {
			switch (c) {
			case '"':  CPY(p, "\\\""); break;
			case '\\': CPY(p, "\\\\"); break;
			case '\n': CPY(p, "\\n"); break;
			case '\r': CPY(p, "\\r"); break;
			case '\t': CPY(p, "\\t"); break;
			case '\b': CPY(p, "\\b"); break;
			case '\f': CPY(p, "\\f"); break;
			default:   p = put_uesc(p, c); break;
			}
			s++;
			continue;
		}
		l = utf8_seq(s, e, &cp);
		if (l < 0) {
			CPY(p, "\\ufffd");
			s += -l;
		} else if (cp < 0xa0 || cp == 0x2028 || cp == 0x2029) {
			p = put_uesc(p, cp);
			s += l;
		} else {
			memcpy(p, s, (size_t)l);
			p += l;
			s += l;
		}
	}
	*ps = s;
	return p;
}

/* The high bit of each byte of x that needs escaping in a JSON string
 * (not plain[]); no false positives when there is none. */
static inline uint64_t unplain8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
	uint64_t d = x ^ (ones * 0x7f);

	return (x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
		((b - ones) & ~b) | ((d - ones) & ~d)) & (ones * 0x80);
}

/* Copy the n bytes at s to p and say whether they were all plain (if
 * not, what p holds is to be overwritten).  A word at a time, the last
 * words overlapping, so that short strings take no loop. */
static inline bool copy_plain(char *p, const unsigned char *s, size_t n)
{
	uint64_t a, bad = 0;

	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8) {
			memcpy(&a, s + i, 8);
			bad |= unplain8(a);
			memcpy(p + i, &a, 8);
		}
		memcpy(&a, s + n - 8, 8);
		memcpy(p + n - 8, &a, 8);
		return !(bad | unplain8(a));
	}
	if (n >= 4) {
		uint32_t x, y;

		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(p, &x, 4);
		memcpy(p + n - 4, &y, 4);
		return !unplain8((uint64_t)x << 32 | y);
	}
	if (n >= 2) {
		uint16_t x, y;

		memcpy(&x, s, 2);
		memcpy(&y, s + n - 2, 2);
		memcpy(p, &x, 2);
		memcpy(p + n - 2, &y, 2);
		/* spaces in the other bytes: plain */
		return !unplain8(0x2020202000000000ull | (uint64_t)x << 16 | y);
	}
	if (n)
		*p = (char)s[0];
	return !n || plain[s[0]];
}

/* Input bytes per section of a long string, and the most a literal before
 * (a key, with what opens it) or after it may add. */
#define STR_CHUNK 128
#define PRE_MAX 40
#define POST_MAX 8
_Static_assert(PRE_MAX + 1 + 6 * (STR_CHUNK + 3) + 1 + POST_MAX <= JW_TMP,
	       "a string section fits the scratch area");

/* pre, then bytes that may come from anywhere (the prefix, interface
 * names, the rule name) as a JSON string, then post. */
__attribute__((noinline))
static void jw_str_esc(struct jw *w, const char *pre, size_t pl,
		       const char *s, size_t n, const char *post, size_t ql)
{
	const unsigned char *u = (const unsigned char *)s;
	const unsigned char *e = n ? u + n : u;     /* s may be NULL if n is 0 */
	size_t first = n < STR_CHUNK ? n : STR_CHUNK;
	char *q, *p;

	assert(pl <= PRE_MAX && ql <= POST_MAX);
	SEC(pl + 1 + 6 * (first + 3) + 1 + ql);
	memcpy(p, pre, pl);
	p += pl;
	*p++ = '"';
	while (u < e) {
		const unsigned char *ce = e - u > STR_CHUNK ? u + STR_CHUNK : e;

		p = put_esc(p, &u, ce, e);
		if (u < e) {
			END();
			SEC(6 * (STR_CHUNK + 3) + 1 + ql);
		}
	}
	*p++ = '"';
	memcpy(p, post, ql);
	p += ql;
	END();
}

/* Inline, so that pre and post are copied as the literals they are; a
 * string with something to escape (or a long one) goes to jw_str_esc(),
 * which writes the whole member again. */
static inline void jw_str(struct jw *w, const char *pre, size_t pl,
			  const char *s, size_t n, const char *post, size_t ql)
{
	char *q, *p;

	if (n <= STR_CHUNK) {
		SEC(pl + 1 + n + 1 + ql);
		memcpy(p, pre, pl);
		p += pl;
		*p++ = '"';
		if (__builtin_expect(copy_plain(p, (const unsigned char *)s, n),
				     1)) {
			p += n;
			*p++ = '"';
			memcpy(p, post, ql);
			p += ql;
			END();
			return;
		}
	}
	jw_str_esc(w, pre, pl, s, n, post, ql);
}

#define JW_STR(w, pre, s, n, post) \
	jw_str(w, pre, sizeof(pre) - 1, s, n, post, sizeof(post) - 1)

/* Hex dumps: pre, then n bytes as "hex" (lower case, no separator) or,
 * mac set, as a colon-separated MAC. */
#define HEX_CHUNK 256
_Static_assert(PRE_MAX + 1 + 3 * HEX_CHUNK + 1 <= JW_TMP,
	       "a hex section fits the scratch area");

static void jw_hex(struct jw *w, const char *pre, size_t pl, const uint8_t *d,
		   size_t n, bool mac)
{
	size_t per = mac ? 3 : 2;
	size_t k = n < HEX_CHUNK ? n : HEX_CHUNK;
	char *q, *p;

	assert(pl <= PRE_MAX);
	SEC(pl + 1 + per * k + 1);
	memcpy(p, pre, pl);
	p += pl;
	*p++ = '"';
	for (size_t i = 0;;) {
		if (!k) {
			/* d may be NULL if n is 0 */
		} else if (!mac) {
			p = put_hex(p, d + i, k);
		} else {
			if (i)
				*p++ = ':';
			p = put_hex_sep(p, d + i, k, ':', false);
		}
		i += k;
		if (i == n)
			break;
		k = n - i < HEX_CHUNK ? n - i : HEX_CHUNK;
		END();
		SEC(per * k + 1);
	}
	*p++ = '"';
	END();
}

#define JW_HEX(w, pre, d, n) jw_hex(w, pre, sizeof(pre) - 1, d, n, false)

/* A literal as a section of its own. */
static void jw_lit(struct jw *w, const char *s, size_t n)
{
	char *q, *p;

	SEC(n);
	memcpy(p, s, n);
	p += n;
	END();
}

#define JW_LIT(w, lit) jw_lit(w, lit, sizeof(lit) - 1)

/* A name from another module (decode_status_str() ...) in the open
 * section, which counted NAME_SLACK bytes for it.  A longer one (there is
 * none) gets a section of its own, and the open one is reopened after it
 * with the same reservation. */
__attribute__((noinline, cold))
static char *put_long_name(struct jw *w, char **qp, char *p, const char *s)
{
	size_t max = w->max, n = strlen(s);

	jw_fin(w, *qp, p);
	while (n) {
		size_t k = n < JW_TMP ? n : JW_TMP;

		jw_lit(w, s, k);
		s += k;
		n -= k;
	}
	*qp = p = jw_res(w, max);
	return p;
}

static inline char *put_name(struct jw *w, char **qp, char *p, const char *s)
{
	char *p0 = p;
	const char *s0 = s;

	while (*s && s - s0 < NAME_SLACK)
		*p++ = *s++;
	if (__builtin_expect(*s != 0, 0))
		return put_long_name(w, qp, p0, s0);
	return p;
}

static bool str_set(const char *s)
{
	return s && *s;
}

/* --- names -------------------------------------------------------------- */

/* Lowercase IANA protocol keyword, as ECS network.transport wants it. */
static const char *iana_keyword(uint8_t p)
{
	switch (p) {
	case 0: return "hopopt";
	case P_ICMP: return "icmp";
	case 2: return "igmp";
	case 4: return "ipv4";
	case P_TCP: return "tcp";
	case P_UDP: return "udp";
	case 41: return "ipv6";
	case P_ROUTING: return "ipv6-route";
	case P_FRAGMENT: return "ipv6-frag";
	case 46: return "rsvp";
	case P_GRE: return "gre";
	case P_ESP: return "esp";
	case P_AH: return "ah";
	case P_ICMPV6: return "ipv6-icmp";
	case 59: return "ipv6-nonxt";
	case 60: return "ipv6-opts";
	case 88: return "eigrp";
	case 89: return "ospfigp";
	case 94: return "ipip";
	case 103: return "pim";
	case 112: return "vrrp";
	case 115: return "l2tp";
	case P_SCTP: return "sctp";
	case P_UDPLITE: return "udplite";
	case 137: return "mpls-in-ip";
	case 143: return "ethernet";
	default: return NULL;
	}
}

static const char *family_name(uint8_t f)
{
	switch (f) {
	case NFPROTO_UNSPEC: return "unspec";
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

/* A name if we have one, else the number as a string: one JSON type per
 * field whatever the value.  Our own names only. */
static char *put_name_or_num(char *p, const char *name, uint32_t v)
{
	if (!name)
		return put_u32_str(p, v);
	*p++ = '"';
	p = put_lit(p, name);
	*p++ = '"';
	return p;
}

/* --- layers ------------------------------------------------------------- */

static bool l3_valid(const struct ip_layer *ip)
{
	return (ip->kind == L3_IPV4 || ip->kind == L3_IPV6) &&
	       ip->status != DECODE_TRUNC_L3;
}

/* source / destination (ECS).  m is NULL for a quoted packet. */
static void emit_endpoints(struct jw *w, const struct ip_layer *ip,
			   const struct nflog_meta *m)
{
	uint16_t sport, dport;
	bool l3 = l3_valid(ip), ports = decode_ports(ip, &sport, &dport);
	bool v6 = ip->kind == L3_IPV6;
	bool smac = m && (m->present & NFLOG_HAVE_HWADDR) && m->hwaddr_len;
	/* The destination MAC is only known from an Ethernet header. */
	bool dmac = m && (m->present & NFLOG_HAVE_HWHEADER) &&
		    m->hwtype == ARPHRD_ETHER_ && m->hwheader_len >= 14;
	char *q, *p, c;

	if (!l3 && !smac && !dmac)
		return;
	SEC(2 * (16 + 1 + 5 + ADDR_LEN + 8 + U32_LEN + 7 + MAC_LEN + 1) + 16);
	if (l3 || smac) {
		LSEP(p);
		CPY(p, "\"source\":");
		c = '{';
		if (l3) {
			*p++ = c;
			c = ',';
			CPY(p, "\"ip\":");
			p = put_addr(p, v6, ip->src);
		}
		if (ports) {
			*p++ = c;
			c = ',';
			CPY(p, "\"port\":");
			p = dec_u32(p, sport);
		}
		if (smac) {
			*p++ = c;
			c = ',';
			CPY(p, "\"mac\":");
			p = put_mac(p, m->hwaddr,
				    m->hwaddr_len < sizeof(m->hwaddr) ?
				    m->hwaddr_len : sizeof(m->hwaddr), true);
		}
		CLOSE(p, c, '}');
	}
	if (l3 || dmac) {
		LSEP(p);
		CPY(p, "\"destination\":");
		c = '{';
		if (l3) {
			*p++ = c;
			c = ',';
			CPY(p, "\"ip\":");
			p = put_addr(p, v6, ip->dst);
		}
		if (ports) {
			*p++ = c;
			c = ',';
			CPY(p, "\"port\":");
			p = dec_u32(p, dport);
		}
		if (dmac) {
			*p++ = c;
			c = ',';
			CPY(p, "\"mac\":");
			p = put_mac(p, m->hwheader, 6, true);
		}
		CLOSE(p, c, '}');
	}
	END();
}

static void emit_network(struct jw *w, const struct ip_layer *ip,
			 const struct nflog_meta *m)
{
	bool l3 = l3_valid(ip);
	bool vlan = m && (m->present & NFLOG_HAVE_VLAN);
	bool ipk = ip->kind == L3_IPV4 || ip->kind == L3_IPV6;
	char *q, *p, c = '{';

	if (!ipk && !vlan)
		return;
	SEC(160);       /* 110 */
	LSEP(p);
	CPY(p, "\"network\":");
	if (ipk) {
		*p++ = c;
		c = ',';
		if (ip->kind == L3_IPV4)
			CPY(p, "\"type\":\"ipv4\"");
		else
			CPY(p, "\"type\":\"ipv6\"");
	}
	if (l3) {
		const char *kw = iana_keyword(ip->proto);

		if (kw) {
			*p++ = c;
			c = ',';
			CPY(p, "\"transport\":\"");
			p = put_lit(p, kw);
			*p++ = '"';
		}
		*p++ = c;
		c = ',';
		CPY(p, "\"iana_number\":");
		p = put_u32_str(p, ip->proto);
		if (m) {
			CPY(p, ",\"bytes\":");
			p = dec_u32(p, ip->pkt_len);
		}
	}
	if (vlan) {
		*p++ = c;
		c = ',';
		CPY(p, "\"vlan\":{\"id\":");
		p = put_u32_str(p, m->vlan_tci & 0x0fff);
		*p++ = '}';
	}
	CLOSE(p, c, '}');
	END();
}

/* Members common to both option areas: the raw bytes as present, whether
 * the header promised more than we have, whether a length was wrong.
 * Opens the "options" object. */
static void emit_opt_common(struct jw *w, const struct opt_list *ol)
{
	char *q, *p;

	JW_HEX(w, ",\"options\":{\"raw\":", ol->raw, ol->raw ? ol->raw_len : 0);
	if (ol->raw_len < ol->want_len || ol->malformed) {
		SEC(35);
		if (ol->raw_len < ol->want_len)
			CPY(p, ",\"truncated\":true");
		if (ol->malformed)
			CPY(p, ",\"malformed\":true");
		END();
	}
}

static void emit_ipopt_list(struct jw *w, const struct opt_list *ol)
{
	unsigned n = ol->n < DECODE_MAX_OPTS ? ol->n : DECODE_MAX_OPTS;
	char *q, *p, c = '[';

	JW_LIT(w, ",\"list\":");
	for (unsigned i = 0; i < n; i++) {
		const struct opt *o = &ol->o[i];
		const char *name = decode_ipopt_name(o->kind);

		if (o->kind <= 1)
			continue;       /* EOL, NOP: padding, kept in "raw" */
		SEC(640);       /* 2 * 253 + NAME_SLACK + 49 */
		*p++ = c;
		c = ',';
		CPY(p, "{\"kind\":");
		p = dec_u32(p, o->kind);
		if (name) {
			CPY(p, ",\"name\":\"");
			p = put_name(w, &q, p, name);
			*p++ = '"';
		}
		CPY(p, ",\"len\":");
		p = dec_u32(p, o->len);
		if (o->data && o->len > 2) {
			CPY(p, ",\"data\":\"");
			p = put_hex(p, o->data, o->len - 2u);
			*p++ = '"';
		}
		*p++ = '}';
		END();
	}
	SEC(2);
	CLOSE(p, c, ']');
	END();
}

static void emit_ext_headers(struct jw *w, const struct ip_layer *ip)
{
	unsigned n = ip->n_ext < DECODE_MAX_EXTHDRS ? ip->n_ext :
		     DECODE_MAX_EXTHDRS;
	char *q, *p, c = '[';

	JW_LIT(w, ",\"ext_headers\":");
	for (unsigned i = 0; i < n; i++) {
		const struct ext_hdr *e = &ip->ext[i];
		const char *name = decode_exthdr_name(e->type);

		SEC(192);       /* NAME_SLACK + 80 */
		*p++ = c;
		c = ',';
		CPY(p, "{\"type\":");
		if (name) {
			*p++ = '"';
			p = put_name(w, &q, p, name);
			*p++ = '"';
		} else {
			p = put_u32_str(p, e->type);
		}
		CPY(p, ",\"proto\":");
		p = dec_u32(p, e->type);
		if (e->len) {
			CPY(p, ",\"len\":");
			p = dec_u32(p, e->len);
		}
		if (!e->complete) {
			CPY(p, ",\"truncated\":true");
		} else if (e->type == P_FRAGMENT) {
			CPY(p, ",\"offset\":");
			p = dec_u32(p, e->u.frag.offset);
			CPY(p, ",\"id\":");
			p = dec_u32(p, e->u.frag.id);
			CPY(p, ",\"more\":");
			p = put_bool(p, e->u.frag.more);
		} else if (e->type == P_ROUTING) {
			CPY(p, ",\"routing_type\":");
			p = dec_u32(p, e->u.rt.type);
			CPY(p, ",\"segments_left\":");
			p = dec_u32(p, e->u.rt.segments_left);
		} else if (e->type == P_AH || e->type == P_ESP) {
			CPY(p, ",\"spi\":");
			p = dec_u32(p, e->u.spi);
		}
		*p++ = '}';
		END();
	}
	SEC(2);
	CLOSE(p, c, ']');
	END();
}

static void emit_ip(struct jw *w, const struct ip_layer *ip)
{
	/* "flags" for the three bits on top of the fragment word; the
	 * kernel calls the reserved ("evil") bit CE. */
	static const struct {
		char s[20];
		uint8_t n;
	} ipflags[8] = {
		{ "[]", 2 }, { "[\"MF\"]", 6 }, { "[\"DF\"]", 6 },
		{ "[\"DF\",\"MF\"]", 11 }, { "[\"CE\"]", 6 },
		{ "[\"CE\",\"MF\"]", 11 }, { "[\"CE\",\"DF\"]", 11 },
		{ "[\"CE\",\"DF\",\"MF\"]", 16 },
	};
	char *q, *p;

	if (!l3_valid(ip))
		return;
	SEC(256);       /* 177 for IPv4, with the 20-byte flags copy */
	LSEP(p);
	CPY(p, "\"ip\":{\"version\":");
	/* The version nibble as found: it differs from the family when the
	 * status is bad-ip-version. */
	p = dec_u32(p, ip->l3 && ip->avail ? ip->l3[0] >> 4 :
		    ip->kind == L3_IPV4 ? 4 : 6);
	if (ip->kind == L3_IPV4) {
		CPY(p, ",\"ihl\":");
		p = dec_u32(p, ip->ihl);
		CPY(p, ",\"tos\":");
		p = dec_u32(p, ip->tos);
	} else {
		CPY(p, ",\"traffic_class\":");
		p = dec_u32(p, ip->tos);
	}
	CPY(p, ",\"dscp\":");
	p = dec_u32(p, ip->tos >> 2);
	CPY(p, ",\"ecn\":");
	p = dec_u32(p, ip->tos & 3);
	CPY(p, ",\"len\":");
	p = dec_u32(p, ip->pkt_len);
	if (ip->kind == L3_IPV4) {
		unsigned f = ip->frag_word >> 13 & 7;

		CPY(p, ",\"id\":");
		p = dec_u32(p, ip->id);
		CPY(p, ",\"ttl\":");
		p = dec_u32(p, ip->ttl);
		CPY(p, ",\"flags\":");
		memcpy(p, ipflags[f].s, sizeof(ipflags[f].s));
		p += ipflags[f].n;
		CPY(p, ",\"frag_offset\":");
		p = dec_u32(p, ip->frag_offset);
		CPY(p, ",\"checksum\":");
		p = dec_u32(p, ip->check);
		CPY(p, ",\"protocol\":");
		p = dec_u32(p, ip->proto);
		if (ip->ihl > 5) {
			END();
			emit_opt_common(w, &ip->ipopts);
			emit_ipopt_list(w, &ip->ipopts);
			SEC(1);
			*p++ = '}';
		}
	} else {
		CPY(p, ",\"flow_label\":");
		p = dec_u32(p, ip->flowlabel);
		CPY(p, ",\"payload_length\":");
		p = dec_u32(p, ip->payload_len);
		CPY(p, ",\"hop_limit\":");
		p = dec_u32(p, ip->ttl);
		CPY(p, ",\"next_header\":");
		p = dec_u32(p, ip->nexthdr);
		if (ip->n_ext) {
			END();
			emit_ext_headers(w, ip);
			SEC(0);
		}
	}
	END();
	SEC(96);        /* 58 */
	if (ip->fragment) {
		CPY(p, ",\"fragment\":{\"offset\":");
		p = dec_u32(p, ip->frag_offset);
		CPY(p, ",\"more\":");
		p = put_bool(p, ip->more_frags);
		CPY(p, ",\"id\":");
		p = dec_u32(p, ip->frag_id);
		*p++ = '}';
	}
	*p++ = '}';
	END();
}

/* --- TCP options -------------------------------------------------------- */

/* Does this option get a named member?  Only the first of a kind with the
 * length its RFC gives; repeats and odd lengths go to "other" so that keys
 * stay unique and nothing is half-decoded. */
static bool tcpopt_named(const struct opt *o)
{
	unsigned dl = o->len >= 2 ? o->len - 2u : 0;

	if (!o->data && dl)
		return false;
	switch (o->kind) {
	case 2: return dl == 2;                         /* MSS */
	case 3: return dl == 1;                         /* WS */
	case 4: return dl == 0;                         /* SACK_PERM */
	case 5: return dl >= 8 && dl <= 32 && dl % 8 == 0; /* SACK */
	case 8: return dl == 8;                         /* TS */
	case 19: return dl == 16;                       /* MD5 */
	case 29: return dl >= 2;                        /* AO */
	case 30: return dl >= 1;                        /* MPTCP */
	case 34: return dl <= 16;                       /* Fast Open */
	default: return false;
	}
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* One named option (the data length is at most 253). */
#define TCPOPT_MAX 640     /* AO: 2 * 251 + 45 */

static void emit_tcpopt(struct jw *w, const struct opt *o)
{
	const uint8_t *d = o->data;
	unsigned dl = o->len >= 2 ? o->len - 2u : 0;
	char *q, *p;

	SEC(TCPOPT_MAX);
	switch (o->kind) {
	case 2:
		CPY(p, ",\"mss\":");
		p = dec_u32(p, (unsigned)d[0] << 8 | d[1]);
		break;
	case 3:
		CPY(p, ",\"wscale\":");
		p = dec_u32(p, d[0]);
		break;
	case 4:
		CPY(p, ",\"sack_permitted\":true");
		break;
	case 5:
		CPY(p, ",\"sack\":");
		for (unsigned i = 0; i < dl; i += 8) {
			*p++ = i ? ',' : '[';
			*p++ = '[';
			p = dec_u32(p, be32(d + i));
			*p++ = ',';
			p = dec_u32(p, be32(d + i + 4));
			*p++ = ']';
		}
		*p++ = ']';
		break;
	case 8:
		CPY(p, ",\"timestamp\":{\"val\":");
		p = dec_u32(p, be32(d));
		CPY(p, ",\"ecr\":");
		p = dec_u32(p, be32(d + 4));
		*p++ = '}';
		break;
	case 19:
		CPY(p, ",\"md5\":\"");
		p = put_hex(p, d, dl);
		*p++ = '"';
		break;
	case 29:        /* RFC 5925 */
		CPY(p, ",\"ao\":{\"keyid\":");
		p = dec_u32(p, d[0]);
		CPY(p, ",\"rnextkeyid\":");
		p = dec_u32(p, d[1]);
		CPY(p, ",\"mac\":\"");
		p = put_hex(p, d + 2, dl - 2);
		CPY(p, "\"}");
		break;
	case 30:        /* RFC 8684: the subtype is the high nibble */
		CPY(p, ",\"mptcp\":{\"subtype\":");
		p = dec_u32(p, d[0] >> 4);
		CPY(p, ",\"data\":\"");
		p = put_hex(p, d, dl);
		CPY(p, "\"}");
		break;
	case 34:        /* RFC 7413: an empty cookie is a cookie request */
		CPY(p, ",\"fastopen\":\"");
		p = put_hex(p, d, dl);
		*p++ = '"';
		break;
	}
	END();
}

static void emit_tcp_options(struct jw *w, const struct opt_list *ol)
{
	unsigned n = ol->n < DECODE_MAX_OPTS ? ol->n : DECODE_MAX_OPTS;
	bool named[DECODE_MAX_OPTS] = { false };
	uint64_t seen[4] = { 0 };
	bool other = false;
	char *q, *p, c = '[';

	emit_opt_common(w, ol);
	for (unsigned i = 0; i < n; i++) {
		const struct opt *o = &ol->o[i];
		uint64_t bit = 1ull << (o->kind & 63);

		if (o->kind <= 1)
			continue;               /* EOL, NOP: in "raw" */
		if (tcpopt_named(o) && !(seen[o->kind >> 6] & bit)) {
			seen[o->kind >> 6] |= bit;
			named[i] = true;
			emit_tcpopt(w, o);
		} else {
			other = true;
		}
	}
	if (other) {
		JW_LIT(w, ",\"other\":");
		for (unsigned i = 0; i < n; i++) {
			const struct opt *o = &ol->o[i];

			if (o->kind <= 1 || named[i])
				continue;
			SEC(640);       /* 2 * 253 + 33 */
			*p++ = c;
			c = ',';
			CPY(p, "{\"kind\":");
			p = dec_u32(p, o->kind);
			CPY(p, ",\"len\":");
			p = dec_u32(p, o->len);
			CPY(p, ",\"data\":\"");
			if (o->data && o->len > 2)
				p = put_hex(p, o->data, o->len - 2u);
			CPY(p, "\"}");
			END();
		}
		SEC(2);
		CLOSE(p, c, ']');
		END();
	}
	JW_LIT(w, "}");
}

/* --- transport ---------------------------------------------------------- */

static void emit_tcp(struct jw *w, const struct l4_tcp *t)
{
	static const struct {
		uint16_t bit;
		char name[6];   /* quoted, written whole */
		uint8_t n;
	} flags[] = {
		{ TCPF_AE, "\"AE\"", 4 }, { TCPF_CWR, "\"CWR\"", 5 },
		{ TCPF_ECE, "\"ECE\"", 5 }, { TCPF_URG, "\"URG\"", 5 },
		{ TCPF_ACK, "\"ACK\"", 5 }, { TCPF_PSH, "\"PSH\"", 5 },
		{ TCPF_RST, "\"RST\"", 5 }, { TCPF_SYN, "\"SYN\"", 5 },
		{ TCPF_FIN, "\"FIN\"", 5 },
	};
	char *q, *p, c = '[';

	SEC(320);       /* 192 */
	LSEP(p);
	CPY(p, "\"tcp\":{\"seq\":");
	p = dec_u32(p, t->seq);
	CPY(p, ",\"ack\":");
	p = dec_u32(p, t->ack);
	CPY(p, ",\"data_offset\":");
	p = dec_u32(p, t->doff);
	CPY(p, ",\"reserved\":");
	p = dec_u32(p, t->res);
	CPY(p, ",\"flags\":");
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (t->flags & flags[i].bit) {
			*p++ = c;
			c = ',';
			memcpy(p, flags[i].name, sizeof(flags[i].name));
			p += flags[i].n;
		}
	}
	CLOSE(p, c, ']');
	CPY(p, ",\"window\":");
	p = dec_u32(p, t->window);
	CPY(p, ",\"checksum\":");
	p = dec_u32(p, t->check);
	CPY(p, ",\"urgent_pointer\":");
	p = dec_u32(p, t->urgp);
	END();
	if (t->doff > 5)
		emit_tcp_options(w, &t->opts);
	JW_LIT(w, "}");
}

static void emit_layer(struct jw *w, const struct record *rec,
		       const struct ip_layer *ip, bool quoted);

static void emit_icmp(struct jw *w, const struct record *rec,
		      const struct ip_layer *ip, bool quoted)
{
	const struct l4_icmp *ic = &ip->t.icmp;
	char *q, *p;

	SEC(256);       /* 140 */
	LSEP(p);
	if (ip->proto == P_ICMP)
		CPY(p, "\"icmp\":{\"type\":");
	else
		CPY(p, "\"icmpv6\":{\"type\":");
	p = dec_u32(p, ic->type);
	CPY(p, ",\"code\":");
	p = dec_u32(p, ic->code);
	CPY(p, ",\"checksum\":");
	p = dec_u32(p, ic->check);
	if (ic->has_echo) {
		CPY(p, ",\"id\":");
		p = dec_u32(p, ic->id);
		CPY(p, ",\"seq\":");
		p = dec_u32(p, ic->seq);
	}
	if (ic->has_gateway) {
		CPY(p, ",\"gateway\":");
		p = put_addr(p, false, ic->gateway);
	}
	if (ic->has_mtu) {
		CPY(p, ",\"mtu\":");
		p = dec_u32(p, ic->mtu);
	}
	if (ic->has_pointer) {
		CPY(p, ",\"pointer\":");
		p = dec_u32(p, ic->pointer);
	}
	END();
	if (!quoted && rec->has_inner) {
		JW_LIT(w, ",\"quoted\":");
		w->sep = '{';
		emit_layer(w, rec, &rec->inner, true);
		SEC(2);
		CLOSE(p, w->sep, '}');
		END();
		w->sep = ',';
	}
	JW_LIT(w, "}");
}

static void emit_spi(struct jw *w, bool ah, uint32_t spi)
{
	char *q, *p;

	SEC(48);        /* 25 */
	LSEP(p);
	if (ah)
		CPY(p, "\"ah\":{\"spi\":");
	else
		CPY(p, "\"esp\":{\"spi\":");
	p = dec_u32(p, spi);
	*p++ = '}';
	END();
}

static void emit_transport(struct jw *w, const struct record *rec,
			   const struct ip_layer *ip, bool quoted)
{
	bool ah = false, esp = false;
	char *q, *p;

	if (!l3_valid(ip))
		return;
	/* IPv6 carries AH and ESP as extension headers. */
	for (unsigned i = 0; i < ip->n_ext && i < DECODE_MAX_EXTHDRS; i++) {
		const struct ext_hdr *e = &ip->ext[i];

		if (!e->complete)
			continue;
		if (e->type == P_AH && !ah) {
			emit_spi(w, true, e->u.spi);
			ah = true;
		} else if (e->type == P_ESP && !esp) {
			emit_spi(w, false, e->u.spi);
			esp = true;
		}
	}
	if (ip->l4 != L4_DECODED)
		return;
	switch (ip->proto) {
	case P_TCP:
		emit_tcp(w, &ip->t.tcp);
		break;
	case P_UDP:
	case P_UDPLITE:
		SEC(64);        /* 40 */
		LSEP(p);
		CPY(p, "\"udp\":{\"length\":");
		p = dec_u32(p, ip->t.udp.len);
		CPY(p, ",\"checksum\":");
		p = dec_u32(p, ip->t.udp.check);
		*p++ = '}';
		END();
		break;
	case P_ICMP:
	case P_ICMPV6:
		emit_icmp(w, rec, ip, quoted);
		break;
	case P_AH:
		if (!ah)
			emit_spi(w, true, ip->t.spi.spi);
		break;
	case P_ESP:
		if (!esp)
			emit_spi(w, false, ip->t.spi.spi);
		break;
	case P_GRE: {
		uint16_t fv = ip->t.gre.flags_ver;
		char c = '[';

		SEC(96);        /* 59 */
		LSEP(p);
		CPY(p, "\"gre\":{\"flags\":");
		if (fv & 0x8000) {
			*p++ = c;
			c = ',';
			CPY(p, "\"C\"");
		}
		if (fv & 0x2000) {
			*p++ = c;
			c = ',';
			CPY(p, "\"K\"");
		}
		if (fv & 0x1000) {
			*p++ = c;
			c = ',';
			CPY(p, "\"S\"");
		}
		CLOSE(p, c, ']');
		CPY(p, ",\"version\":");
		p = dec_u32(p, fv & 7);
		CPY(p, ",\"protocol\":");
		p = dec_u32(p, ip->t.gre.protocol);
		*p++ = '}';
		END();
		break;
	}
	case P_SCTP:
		SEC(48);        /* 27 */
		LSEP(p);
		CPY(p, "\"sctp\":{\"vtag\":");
		p = dec_u32(p, ip->t.sctp.vtag);
		*p++ = '}';
		END();
		break;
	}
}

static void emit_decode(struct jw *w, const struct ip_layer *ip)
{
	static const char *const l3[] = {
		[L3_NONE] = "none", [L3_IPV4] = "ipv4", [L3_IPV6] = "ipv6",
		[L3_OTHER] = "other",
	};
	char *q, *p;

	SEC(192);       /* NAME_SLACK + 75 */
	LSEP(p);
	CPY(p, "\"decode\":{\"status\":\"");
	p = put_name(w, &q, p, decode_status_str(ip->status));
	CPY(p, "\",\"l3\":\"");
	p = put_lit(p, (unsigned)ip->kind < 4 ? l3[ip->kind] : "unknown");
	*p++ = '"';
	if (l3_valid(ip)) {
		CPY(p, ",\"l4\":\"");
		p = put_lit(p, l4_state_name(ip->l4));
		*p++ = '"';
	}
	if (ip->snapped)
		CPY(p, ",\"snapped\":true");
	*p++ = '}';
	END();
}

/* The quoted packet of an ICMP error has the same shape as the record
 * itself, minus what only the outer packet has (MACs, bytes, metadata). */
static void emit_layer(struct jw *w, const struct record *rec,
		       const struct ip_layer *ip, bool quoted)
{
	emit_endpoints(w, ip, NULL);
	emit_network(w, ip, NULL);
	emit_ip(w, ip);
	emit_transport(w, rec, ip, quoted);
	emit_decode(w, ip);
}

/* --- metadata ----------------------------------------------------------- */

/* event.type from the rule's action, for the SIEM rules that key on
 * "denied" / "allowed". */
static bool is(const char *a, const char *lit)
{
	while (*lit && *a == *lit) {
		a++;
		lit++;
	}
	return *a == *lit;
}

static int action_type(const char *a)
{
	if (!a)
		return 0;
	if (is(a, "drop") || is(a, "reject") || is(a, "deny"))
		return 1;
	if (is(a, "accept") || is(a, "allow"))
		return 2;
	return 0;
}

static void emit_event(struct jw *w, const struct json_ctx *c,
		       const struct ct_reason *ctr, bool used_ts,
		       struct json_time_cache *tc)
{
	const char *a = c->action;
	char *q, *p;

	SEC(128);       /* 67 */
	CPY(p, ",\"event\":{\"kind\":\"event\",\"category\":[\"network\"],"
	       "\"type\":[");
	switch (action_type(a)) {
	case 1: CPY(p, "\"denied\"]"); break;
	case 2: CPY(p, "\"allowed\"]"); break;
	default: CPY(p, "\"info\"]"); break;
	}
	END();
	if (str_set(a))
		JW_STR(w, ",\"action\":", a, strlen(a), "");
	if (ctr)
		JW_STR(w, ",\"reason\":", ctr->reason, ctr->reason_len, "");
	SEC(128);       /* 85 */
	CPY(p, ",\"module\":\"nflogd\",\"dataset\":\"nflogd.packet\"");
	if (used_ts && (c->now_sec || c->now_usec) &&
	    ts_valid(c->now_sec, c->now_usec)) {
		CPY(p, ",\"created\":");
		p = put_time(p, c->now_sec, c->now_usec, tc);
	}
	*p++ = '}';
	END();
}

static void emit_iface(struct jw *w, bool egress, char c, const char *name,
		       uint32_t idx)
{
	char *q, *p;

	SEC(64);        /* 44 */
	*p++ = c;
	if (egress)
		CPY(p, "\"egress\":{\"interface\":{");
	else
		CPY(p, "\"ingress\":{\"interface\":{");
	if (str_set(name)) {
		END();
		JW_STR(w, "\"name\":", name, strlen(name), ",");
		SEC(32);        /* 19 */
	}
	CPY(p, "\"id\":");
	p = put_u32_str(p, idx);
	CPY(p, "}}");
	END();
}

/* observer.ingress / .egress are the devices the LOG line calls IN= and
 * OUT=: for the bridge family the bridge port, which nfnetlink_log sends
 * as PHYSINDEV / PHYSOUTDEV (INDEV / OUTDEV are the bridge itself). */
static void emit_observer(struct jw *w, const struct nflog_meta *m,
			  const struct json_ctx *c)
{
	static const struct log_ifnames none;
	const struct log_ifnames *ifn = c->ifn ? c->ifn : &none;
	bool br = m->family == NFPROTO_BRIDGE;
	bool pin = br && (m->present & NFLOG_HAVE_PHYSINDEV);
	bool pout = br && (m->present & NFLOG_HAVE_PHYSOUTDEV);
	bool hin = pin || (m->present & NFLOG_HAVE_INDEV);
	bool hout = pout || (m->present & NFLOG_HAVE_OUTDEV);
	bool host = str_set(c->host);
	char sep = '{';

	if (!host && !hin && !hout)
		return;
	JW_LIT(w, ",\"observer\":");
	if (host) {
		JW_STR(w, "{\"hostname\":", c->host, strlen(c->host), "");
		sep = ',';
	}
	if (hin) {
		emit_iface(w, false, sep, pin ? ifn->physin : ifn->in,
			   pin ? m->physindev : m->indev);
		sep = ',';
	}
	if (hout)
		emit_iface(w, true, sep, pout ? ifn->physout : ifn->out,
			   pout ? m->physoutdev : m->outdev);
	JW_LIT(w, "}");
}

static void emit_ct(struct jw *w, const struct nflog_meta *m)
{
	const struct nflog_ct *ct = &m->ct;
	bool v6 = ct->orig_family == AF_INET6;
	char *q, *p, c = '{';

	SEC(384);       /* NAME_SLACK + 242 */
	CPY(p, ",\"ct\":");
	if (m->present & NFLOG_HAVE_CT_INFO) {
		const char *s = nflog_ctinfo_name(m->ct_info);

		*p++ = c;
		c = ',';
		CPY(p, "\"state\":");
		if (!is(s, "unknown")) {
			*p++ = '"';
			p = put_name(w, &q, p, s);
			*p++ = '"';
		} else {
			p = put_u32_str(p, m->ct_info);
		}
	}
	if (m->present & NFLOG_HAVE_CT) {
		if (ct->present & NFLOG_CT_HAVE_ID) {
			*p++ = c;
			c = ',';
			CPY(p, "\"id\":");
			p = dec_u32(p, ct->id);
		}
		if (ct->present & NFLOG_CT_HAVE_STATUS) {
			*p++ = c;
			c = ',';
			CPY(p, "\"status\":");
			p = dec_u32(p, ct->status);
		}
		if (ct->present & NFLOG_CT_HAVE_MARK) {
			*p++ = c;
			c = ',';
			CPY(p, "\"mark\":");
			p = dec_u32(p, ct->mark);
		}
		if (ct->present & NFLOG_CT_HAVE_ZONE) {
			*p++ = c;
			c = ',';
			CPY(p, "\"zone\":");
			p = dec_u32(p, ct->zone);
		}
		if (ct->present & (NFLOG_CT_HAVE_ORIG |
				   NFLOG_CT_HAVE_ORIG_PORTS)) {
			*p++ = c;
			c = ',';
			CPY(p, "\"orig\":");
			if (ct->present & NFLOG_CT_HAVE_ORIG) {
				CPY(p, "{\"src\":");
				p = put_addr(p, v6, ct->orig_src);
				CPY(p, ",\"dst\":");
				p = put_addr(p, v6, ct->orig_dst);
				CPY(p, ",\"proto\":");
				p = dec_u32(p, ct->orig_proto);
				if (ct->present & NFLOG_CT_HAVE_ORIG_PORTS)
					*p++ = ',';
			} else {
				*p++ = '{';
			}
			if (ct->present & NFLOG_CT_HAVE_ORIG_PORTS) {
				CPY(p, "\"sport\":");
				p = dec_u32(p, ct->orig_sport);
				CPY(p, ",\"dport\":");
				p = dec_u32(p, ct->orig_dport);
			}
			*p++ = '}';
		}
	}
	CLOSE(p, c, '}');
	END();
}

/* A device's ifindex, and its name when observer.* does not give it. */
static void emit_dev(struct jw *w, const char *key, size_t kl, uint32_t idx,
		     const char *nkey, size_t nkl, const char *name)
{
	char *q, *p;

	SEC(kl + U32_LEN);      /* kl <= 14 */
	memcpy(p, key, kl);
	p = dec_u32(p + kl, idx);
	END();
	if (name)
		jw_str(w, nkey, nkl, name, strlen(name), "", 0);
}

#define EMIT_DEV(w, key, idx, nkey, name) \
	emit_dev(w, key, sizeof(key) - 1, idx, nkey, sizeof(nkey) - 1, name)

/* nflog.ct_invalid: what the reason (event.reason) is about. */
static void emit_ct_invalid(struct jw *w, const struct ct_reason *ctr)
{
	char *q, *p;

	SEC(64);        /* 40 */
	CPY(p, ",\"ct_invalid\":{\"protocol\":");
	p = dec_u32(p, ctr->protocol);
	END();
	if (ctr->helper)
		JW_STR(w, ",\"helper\":", ctr->helper, ctr->helper_len, "");
	JW_LIT(w, "}");
}

static void emit_nflog(struct jw *w, const struct nflog_meta *m,
		       const struct json_ctx *c, const struct ct_reason *ctr)
{
	static const struct log_ifnames none;
	const struct log_ifnames *ifn = c->ifn ? c->ifn : &none;
	bool br = m->family == NFPROTO_BRIDGE;
	uint32_t pr = m->present;
	char *q, *p;

	SEC(64);        /* 41 */
	CPY(p, ",\"nflog\":{\"group\":");
	p = dec_u32(p, m->group);
	CPY(p, ",\"family\":");
	p = put_name_or_num(p, family_name(m->family), m->family);
	END();
	if (pr & NFLOG_HAVE_PREFIX)
		JW_STR(w, ",\"prefix\":", m->prefix,
		       m->prefix ? m->prefix_len : 0, "");
	if (ctr)
		emit_ct_invalid(w, ctr);
	SEC(192);       /* NAME_SLACK + 87 */
	if (pr & NFLOG_HAVE_HWPROTO) {
		const char *hn = nflog_hook_name(m->family, m->hook);

		CPY(p, ",\"hook\":");
		p = dec_u32(p, m->hook);
		if (hn && !is(hn, "unknown")) {
			CPY(p, ",\"hook_name\":\"");
			p = put_name(w, &q, p, hn);
			*p++ = '"';
		}
		CPY(p, ",\"hw_protocol\":");
		p = dec_u32(p, m->hw_protocol);
	}
	if (pr & NFLOG_HAVE_SEQ) {
		CPY(p, ",\"seq\":");
		p = dec_u32(p, m->seq);
	}
	if (pr & NFLOG_HAVE_SEQ_GLOBAL) {
		CPY(p, ",\"seq_global\":");
		p = dec_u32(p, m->seq_global);
	}
	END();
	/* ifindexes as sent; the names observer.* does not already give */
	if (pr & NFLOG_HAVE_INDEV)
		EMIT_DEV(w, ",\"indev\":", m->indev, ",\"indev_name\":",
			 br && str_set(ifn->in) ? ifn->in : NULL);
	if (pr & NFLOG_HAVE_OUTDEV)
		EMIT_DEV(w, ",\"outdev\":", m->outdev, ",\"outdev_name\":",
			 br && str_set(ifn->out) ? ifn->out : NULL);
	if (pr & NFLOG_HAVE_PHYSINDEV)
		EMIT_DEV(w, ",\"physindev\":", m->physindev,
			 ",\"physindev_name\":",
			 !br && str_set(ifn->physin) ? ifn->physin : NULL);
	if (pr & NFLOG_HAVE_PHYSOUTDEV)
		EMIT_DEV(w, ",\"physoutdev\":", m->physoutdev,
			 ",\"physoutdev_name\":",
			 !br && str_set(ifn->physout) ? ifn->physout : NULL);
	SEC(192);       /* 126 */
	if (pr & NFLOG_HAVE_UID) {
		CPY(p, ",\"uid\":");
		p = dec_u32(p, m->uid);
	}
	if (pr & NFLOG_HAVE_GID) {
		CPY(p, ",\"gid\":");
		p = dec_u32(p, m->gid);
	}
	if (pr & NFLOG_HAVE_MARK) {
		CPY(p, ",\"mark\":");
		p = dec_u32(p, m->mark);
	}
	if (pr & NFLOG_HAVE_HWTYPE) {
		CPY(p, ",\"hwtype\":");
		p = dec_u32(p, m->hwtype);
	}
	if (pr & NFLOG_HAVE_HWLEN) {
		CPY(p, ",\"hwlen\":");
		p = dec_u32(p, m->hwlen);
	}
	if (pr & NFLOG_HAVE_HWADDR) {
		CPY(p, ",\"hwaddr\":");
		p = put_mac(p, m->hwaddr,
			    m->hwaddr_len < sizeof(m->hwaddr) ? m->hwaddr_len :
			    sizeof(m->hwaddr), false);
	}
	END();
	if ((pr & NFLOG_HAVE_HWHEADER) && m->hwheader)
		jw_hex(w, ",\"hwheader\":", sizeof(",\"hwheader\":") - 1,
		       m->hwheader, m->hwheader_len, true);
	if ((pr & NFLOG_HAVE_L2HDR) && m->l2hdr)
		JW_HEX(w, ",\"l2hdr\":", m->l2hdr, m->l2hdr_len);
	SEC(128);       /* 83 */
	if (pr & NFLOG_HAVE_VLAN) {
		CPY(p, ",\"vlan\":{\"proto\":");
		p = dec_u32(p, m->vlan_proto);
		CPY(p, ",\"tci\":");
		p = dec_u32(p, m->vlan_tci);
		CPY(p, ",\"id\":");
		p = dec_u32(p, m->vlan_tci & 0x0fff);
		CPY(p, ",\"pcp\":");
		p = dec_u32(p, m->vlan_tci >> 13);
		*p++ = '}';
	}
	if (m->payload) {
		CPY(p, ",\"caplen\":");
		p = put_u64(p, m->payload_len);
	}
	END();
	if (pr & (NFLOG_HAVE_CT | NFLOG_HAVE_CT_INFO))
		emit_ct(w, m);
	JW_LIT(w, "}");
}

int fmt_json(const struct record *rec, const struct json_ctx *ctx,
	     char *buf, size_t size)
{
	static const struct json_ctx none;
	static const struct nflog_meta nometa;
	const struct json_ctx *c = ctx ? ctx : &none;
	const struct nflog_meta *m = rec->meta ? rec->meta : &nometa;
	struct json_time_cache own = { 0 };
	struct json_time_cache *tc = c->tc ? c->tc : &own;
	struct jw jw, *w = &jw;
	struct ct_reason ctr_buf;
	const struct ct_reason *ctr = NULL;
	bool used_ts = false;
	char *q, *p;

	if (!size)
		return -ENOSPC;
	if (__builtin_expect(c->ct_invalid, 0) &&
	    (m->present & NFLOG_HAVE_PREFIX) &&
	    ct_reason_parse(m->prefix, m->prefix_len, &ctr_buf))
		ctr = &ctr_buf;
	jw_init(&jw, buf, size);

	SEC(128);       /* 100 */
	*p++ = '{';
	if ((m->present & NFLOG_HAVE_TIMESTAMP) &&
	    ts_valid(m->ts_sec, m->ts_usec)) {
		CPY(p, "\"@timestamp\":");
		p = put_time(p, m->ts_sec, m->ts_usec, tc);
		*p++ = ',';
		used_ts = true;
	} else if ((c->now_sec || c->now_usec) &&
		   ts_valid(c->now_sec, c->now_usec)) {
		CPY(p, "\"@timestamp\":");
		p = put_time(p, c->now_sec, c->now_usec, tc);
		*p++ = ',';
	}
	CPY(p, "\"ecs\":{\"version\":\"" ECS_VERSION "\"},"
	       "\"nflogd\":{\"schema_version\":" FMT_JSON_SCHEMA_VERSION "}");
	END();
	emit_event(w, c, ctr, used_ts, tc);
	if (str_set(c->rule))
		JW_STR(w, ",\"rule\":{\"name\":", c->rule, strlen(c->rule),
		       "}");
	emit_observer(w, m, c);
	emit_endpoints(w, &rec->ip, m);
	emit_network(w, &rec->ip, m);
	emit_nflog(w, m, c, ctr);
	emit_ip(w, &rec->ip);
	emit_transport(w, rec, &rec->ip, false);
	emit_decode(w, &rec->ip);
	JW_LIT(w, "}");

	return jw_result(&jw, buf);
}

/* --- flood summaries ----------------------------------------------------- */

/* A flood key's members: "ip" for a source (none: not IP); "transport",
 * "iana_number" and "port" for a destination as in a packet record (none:
 * not IP). */
static char *put_flood_key(char *p, const struct flood_key *k)
{
	const char *t;

	switch (k->kind) {
	case FLOOD_KEY_IP4:
	case FLOOD_KEY_IP6:
		CPY(p, "\"ip\":");
		p = put_addr(p, k->kind == FLOOD_KEY_IP6, k->addr);
		*p++ = ',';
		break;
	case FLOOD_KEY_PORT:
	case FLOOD_KEY_PROTO:
		t = iana_keyword(k->proto);
		if (t) {
			CPY(p, "\"transport\":\"");
			p = put_lit(p, t);
			CPY(p, "\",");
		}
		CPY(p, "\"iana_number\":");
		p = put_u32_str(p, k->proto);
		*p++ = ',';
		if (k->kind == FLOOD_KEY_PORT) {
			CPY(p, "\"port\":");
			p = dec_u32(p, k->port);
			*p++ = ',';
		}
		break;
	default:
		break;
	}
	return p;
}

/* A top list: [{...key..., "count": N}, ...]. */
static void emit_top(struct jw *w, const struct flood_slot *sl, unsigned int n)
{
	char *q, *p;

	if (!n) {
		JW_LIT(w, "[]");
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		SEC(96 + ADDR_LEN + NAME_SLACK + U64_LEN);
		*p++ = i ? ',' : '[';
		*p++ = '{';
		p = put_flood_key(p, &sl[i].key);
		CPY(p, "\"count\":");
		p = put_u64(p, sl[i].n);
		*p++ = '}';
		END();
	}
	JW_LIT(w, "]");
}

int fmt_json_summary(const struct flood_summary *s, const char *host,
		     long long now_sec, unsigned int now_usec,
		     char *buf, size_t size)
{
	struct json_time_cache tc = { 0 };
	char text[FLOOD_TEXT_MAX];
	struct jw jw, *w = &jw;
	size_t tl;
	char *q, *p;

	if (!size)
		return -ENOSPC;
	jw_init(&jw, buf, size);

	SEC(256 + TIME_LEN + U64_LEN + 3 * U32_LEN + NAME_SLACK);
	*p++ = '{';
	if (ts_valid(now_sec, now_usec)) {
		CPY(p, "\"@timestamp\":");
		p = put_time(p, now_sec, now_usec, &tc);
		*p++ = ',';
	}
	CPY(p, "\"ecs\":{\"version\":\"" ECS_VERSION "\"},"
	       "\"nflogd\":{\"schema_version\":" FMT_JSON_SCHEMA_VERSION
	       ",\"suppressed\":{\"count\":");
	p = put_u64(p, s->suppressed);
	CPY(p, ",\"seconds\":");
	p = dec_u32(p, s->seconds);
	CPY(p, ",\"record_limit\":\"");
	p = dec_u32(p, s->limit_rate);
	*p++ = '/';
	/* the unit is config_limit_unit_name()'s: "second" ... "day" */
	p = put_lit(p, strlen(s->limit_unit) <= NAME_SLACK ? s->limit_unit : "?");
	CPY(p, "\",\"record_burst\":");
	p = dec_u32(p, s->burst);
	CPY(p, ",\"approximate\":");
	p = put_bool(p, s->approximate);
	END();
	JW_LIT(w, ",\"top_sources\":");
	emit_top(w, s->src, s->n_src);
	JW_LIT(w, ",\"top_destinations\":");
	emit_top(w, s->dst, s->n_dst);
	JW_LIT(w, "}},\"event\":{\"kind\":\"metric\",\"category\":"
		  "[\"network\"],\"type\":[\"info\"],\"action\":\"suppressed\","
		  "\"module\":\"nflogd\",\"dataset\":\"nflogd.suppressed\"}");
	if (str_set(s->rule))
		JW_STR(w, ",\"rule\":{\"name\":", s->rule, strlen(s->rule),
		       "}");
	if (str_set(host))
		JW_STR(w, ",\"observer\":{\"hostname\":", host, strlen(host),
		       "}");
	tl = flood_text(s, text, sizeof(text));
	JW_STR(w, ",\"message\":", text, tl, "}");

	return jw_result(&jw, buf);
}
