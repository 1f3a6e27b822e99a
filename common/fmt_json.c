/* fmt_json: record -> one JSON object, schema in docs/record-schema.md.
 *
 * The object is written front to back into the caller's buffer by a small
 * writer that remembers whether it ran out of room; nothing is allocated
 * and nothing is formatted twice.  Members are emitted only when the record
 * really carries them, so "absent" always means "not known", never zero.
 */
#include "fmt_json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <linux/netfilter.h>

/* The ECS release whose field definitions we follow (ecs.version). */
#define ECS_VERSION "8.11.0"

#define ARPHRD_ETHER_ 1         /* net/if_arp.h drags in too much */

enum {
	P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_ROUTING = 43, P_FRAGMENT = 44,
	P_GRE = 47, P_ESP = 50, P_AH = 51, P_ICMPV6 = 58, P_SCTP = 132,
	P_UDPLITE = 136,
};

struct jw {
	char *buf;
	size_t size;
	size_t len;
	bool full;      /* ran out of room: the result is -ENOSPC */
	bool comma;     /* the next member or element needs a ',' first */
};

static const char hexdig[] = "0123456789abcdef";

/* Room for n more bytes and the NUL, or NULL: the writer is then full for
 * good and the result is -ENOSPC. */
static char *jw_room(struct jw *w, size_t n)
{
	if (w->full || n >= w->size - w->len) {
		w->full = true;
		return NULL;
	}
	return w->buf + w->len;
}

static void jw_put(struct jw *w, const void *s, size_t n)
{
	char *p = jw_room(w, n);

	if (p) {
		memcpy(p, s, n);
		w->len += n;
	}
}

static void jw_puts(struct jw *w, const char *s)
{
	jw_put(w, s, strlen(s));
}

static void jw_ch(struct jw *w, char c)
{
	char *p = jw_room(w, 1);

	if (p) {
		*p = c;
		w->len++;
	}
}

/* Start a member (key != NULL) or an array element (key == NULL).  Keys
 * are our own literals: plain ASCII, nothing to escape.  Asking for one
 * byte more than a first member needs is harmless: a value or a closing
 * bracket always follows. */
static void jw_sep(struct jw *w, const char *key)
{
	size_t kl = key ? strlen(key) : 0;
	char *p = jw_room(w, kl + 4), *s = p;

	if (!p)
		return;
	if (w->comma)
		*p++ = ',';
	w->comma = true;
	if (key) {
		*p++ = '"';
		memcpy(p, key, kl);
		p += kl;
		*p++ = '"';
		*p++ = ':';
	}
	w->len += (size_t)(p - s);
}

static void jw_open(struct jw *w, const char *key, char c)
{
	jw_sep(w, key);
	jw_ch(w, c);
	w->comma = false;
}

static void jw_obj(struct jw *w, const char *key)
{
	jw_open(w, key, '{');
}

static void jw_arr(struct jw *w, const char *key)
{
	jw_open(w, key, '[');
}

static void jw_close(struct jw *w, char c)
{
	jw_ch(w, c);
	w->comma = true;
}

static void jw_end(struct jw *w)
{
	jw_close(w, '}');
}

static void jw_aend(struct jw *w)
{
	jw_close(w, ']');
}

static size_t fmt_u64(char *t, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp), n;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	n = sizeof(tmp) - i;
	memcpy(t, tmp + i, n);
	return n;
}

static void jw_uint(struct jw *w, const char *key, uint64_t v)
{
	char t[20];

	jw_sep(w, key);
	jw_put(w, t, fmt_u64(t, v));
}

/* ECS keeps some numbers as keyword strings (network.iana_number, ...). */
static void jw_uint_str(struct jw *w, const char *key, uint64_t v)
{
	char t[22];
	size_t n;

	t[0] = '"';
	n = fmt_u64(t + 1, v);
	t[n + 1] = '"';
	jw_sep(w, key);
	jw_put(w, t, n + 2);
}

static void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_sep(w, key);
	jw_puts(w, v ? "true" : "false");
}

/* One of our own ASCII literals as a string value. */
static void jw_lit(struct jw *w, const char *key, const char *s)
{
	jw_sep(w, key);
	jw_ch(w, '"');
	jw_puts(w, s);
	jw_ch(w, '"');
}

static void jw_hex(struct jw *w, const char *key, const uint8_t *p, size_t n)
{
	char *t;

	jw_sep(w, key);
	t = jw_room(w, 2 * n + 2);
	if (!t)
		return;
	*t++ = '"';
	for (size_t i = 0; i < n; i++) {
		*t++ = hexdig[p[i] >> 4];
		*t++ = hexdig[p[i] & 15];
	}
	*t = '"';
	w->len += 2 * n + 2;
}

/* Link-layer address: lowercase, colon-separated (as the LOG line and
 * ip-link print it), or upper case with hyphens (RFC 7042, what ECS asks
 * for in source.mac / destination.mac). */
static void jw_mac(struct jw *w, const char *key, const uint8_t *p, size_t n,
		   bool ecs)
{
	static const char updig[] = "0123456789ABCDEF";
	const char *d = ecs ? updig : hexdig;
	size_t len = n ? 3 * n + 1 : 2;
	char *t;

	jw_sep(w, key);
	t = jw_room(w, len);
	if (!t)
		return;
	*t++ = '"';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*t++ = ecs ? '-' : ':';
		*t++ = d[p[i] >> 4];
		*t++ = d[p[i] & 15];
	}
	*t = '"';
	w->len += len;
}

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

static void jw_uesc(struct jw *w, uint32_t cp)
{
	char t[6] = { '\\', 'u', hexdig[cp >> 12 & 15], hexdig[cp >> 8 & 15],
		      hexdig[cp >> 4 & 15], hexdig[cp & 15] };

	jw_put(w, t, sizeof(t));
}

/* Bytes that may come from anywhere (the prefix, interface names, the rule
 * name) as a JSON string.  Besides what RFC 8259 requires we escape DEL,
 * the C1 controls and U+2028/U+2029, so the line is also safe to show on a
 * terminal and to embed in JavaScript. */
static void jw_strn(struct jw *w, const char *key, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + n;

	jw_sep(w, key);
	jw_ch(w, '"');
	while (p < end) {
		const unsigned char *run = p;
		uint32_t cp = 0;
		int l;

		while (p < end && *p >= 0x20 && *p < 0x7f && *p != '"' &&
		       *p != '\\')
			p++;
		jw_put(w, run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p < 0x80) {
			switch (*p) {
			case '"':  jw_put(w, "\\\"", 2); break;
			case '\\': jw_put(w, "\\\\", 2); break;
			case '\n': jw_put(w, "\\n", 2); break;
			case '\r': jw_put(w, "\\r", 2); break;
			case '\t': jw_put(w, "\\t", 2); break;
			case '\b': jw_put(w, "\\b", 2); break;
			case '\f': jw_put(w, "\\f", 2); break;
			default:   jw_uesc(w, *p); break;
			}
			p++;
			continue;
		}
		l = utf8_seq(p, end, &cp);
		if (l < 0) {
			jw_put(w, "\\ufffd", 6);
			p += -l;
		} else if (cp < 0xa0 || cp == 0x2028 || cp == 0x2029) {
			jw_uesc(w, cp);
			p += l;
		} else {
			jw_put(w, p, (size_t)l);
			p += l;
		}
	}
	jw_ch(w, '"');
}

static void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_strn(w, key, s, strlen(s));
}

static void jw_addr(struct jw *w, const char *key, int af, const void *a)
{
	char t[INET6_ADDRSTRLEN];

	/* inet_ntop gives the RFC 5952 form for IPv6 (lower case, longest
	 * zero run compressed, IPv4-mapped addresses in dotted form). */
	if (!inet_ntop(af, a, t, sizeof(t)))
		t[0] = 0;
	jw_lit(w, key, t);
}

static bool str_set(const char *s)
{
	return s && *s;
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

static char *put_dig(char *t, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		t[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return t + n;
}

/* RFC 3339 needs a four-digit year. */
#define TS_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */

static bool ts_valid(int64_t sec, uint32_t usec)
{
	return sec >= 0 && sec <= TS_MAX && usec < 1000000;
}

static void jw_time(struct jw *w, const char *key, int64_t sec, uint32_t usec)
{
	char t[32], *e = t;
	int64_t y;
	unsigned mo, d, s = (unsigned)(sec % 86400);

	civil_from_days(sec / 86400, &y, &mo, &d);
	*e++ = '"';
	e = put_dig(e, (unsigned)y, 4);
	*e++ = '-';
	e = put_dig(e, mo, 2);
	*e++ = '-';
	e = put_dig(e, d, 2);
	*e++ = 'T';
	e = put_dig(e, s / 3600, 2);
	*e++ = ':';
	e = put_dig(e, s / 60 % 60, 2);
	*e++ = ':';
	e = put_dig(e, s % 60, 2);
	*e++ = '.';
	e = put_dig(e, usec, 6);
	*e++ = 'Z';
	*e++ = '"';
	jw_sep(w, key);
	jw_put(w, t, (size_t)(e - t));
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
 * field whatever the value. */
static void jw_name_or_num(struct jw *w, const char *key, const char *name,
			   uint64_t v)
{
	if (name)
		jw_lit(w, key, name);
	else
		jw_uint_str(w, key, v);
}

/* --- layers ------------------------------------------------------------- */

static bool l3_valid(const struct ip_layer *ip)
{
	return (ip->kind == L3_IPV4 || ip->kind == L3_IPV6) &&
	       ip->status != DECODE_TRUNC_L3;
}

static int l3_af(const struct ip_layer *ip)
{
	return ip->kind == L3_IPV6 ? AF_INET6 : AF_INET;
}

static bool has_ports(const struct ip_layer *ip)
{
	if (ip->l4 != L4_DECODED)
		return false;
	switch (ip->proto) {
	case P_TCP: case P_UDP: case P_UDPLITE: case P_SCTP:
		return true;
	default:
		return false;
	}
}

/* Ports from the union member the protocol fills (has_ports() said there
 * is one); UDP-Lite shares the UDP struct. */
static uint16_t sport_of(const struct ip_layer *ip)
{
	switch (ip->proto) {
	case P_TCP: return ip->t.tcp.sport;
	case P_SCTP: return ip->t.sctp.sport;
	default: return ip->t.udp.sport;
	}
}

static uint16_t dport_of(const struct ip_layer *ip)
{
	switch (ip->proto) {
	case P_TCP: return ip->t.tcp.dport;
	case P_SCTP: return ip->t.sctp.dport;
	default: return ip->t.udp.dport;
	}
}

/* source / destination (ECS).  m is NULL for a quoted packet. */
static void emit_endpoints(struct jw *w, const struct ip_layer *ip,
			   const struct nflog_meta *m)
{
	bool l3 = l3_valid(ip), ports = has_ports(ip);
	bool smac = m && (m->present & NFLOG_HAVE_HWADDR) && m->hwaddr_len;
	/* The destination MAC is only known from an Ethernet header. */
	bool dmac = m && (m->present & NFLOG_HAVE_HWHEADER) &&
		    m->hwtype == ARPHRD_ETHER_ && m->hwheader_len >= 14;

	if (l3 || smac) {
		jw_obj(w, "source");
		if (l3)
			jw_addr(w, "ip", l3_af(ip), ip->src);
		if (ports)
			jw_uint(w, "port", sport_of(ip));
		if (smac)
			jw_mac(w, "mac", m->hwaddr,
			       m->hwaddr_len < sizeof(m->hwaddr) ?
			       m->hwaddr_len : sizeof(m->hwaddr), true);
		jw_end(w);
	}
	if (l3 || dmac) {
		jw_obj(w, "destination");
		if (l3)
			jw_addr(w, "ip", l3_af(ip), ip->dst);
		if (ports)
			jw_uint(w, "port", dport_of(ip));
		if (dmac)
			jw_mac(w, "mac", m->hwheader, 6, true);
		jw_end(w);
	}
}

static void emit_network(struct jw *w, const struct ip_layer *ip,
			 const struct nflog_meta *m)
{
	bool l3 = l3_valid(ip);
	bool vlan = m && (m->present & NFLOG_HAVE_VLAN);

	if (ip->kind != L3_IPV4 && ip->kind != L3_IPV6 && !vlan)
		return;
	jw_obj(w, "network");
	if (ip->kind == L3_IPV4 || ip->kind == L3_IPV6)
		jw_lit(w, "type", ip->kind == L3_IPV4 ? "ipv4" : "ipv6");
	if (l3) {
		const char *kw = iana_keyword(ip->proto);

		if (kw)
			jw_lit(w, "transport", kw);
		jw_uint_str(w, "iana_number", ip->proto);
		if (m)
			jw_uint(w, "bytes", ip->pkt_len);
	}
	if (vlan) {
		jw_obj(w, "vlan");
		jw_uint_str(w, "id", m->vlan_tci & 0x0fff);
		jw_end(w);
	}
	jw_end(w);
}

static void emit_ipopt_list(struct jw *w, const struct opt_list *ol)
{
	unsigned n = ol->n < DECODE_MAX_OPTS ? ol->n : DECODE_MAX_OPTS;

	jw_arr(w, "list");
	for (unsigned i = 0; i < n; i++) {
		const struct opt *o = &ol->o[i];
		const char *name = decode_ipopt_name(o->kind);

		if (o->kind <= 1)
			continue;       /* EOL, NOP: padding, kept in "raw" */
		jw_obj(w, NULL);
		jw_uint(w, "kind", o->kind);
		if (name)
			jw_lit(w, "name", name);
		jw_uint(w, "len", o->len);
		if (o->data && o->len > 2)
			jw_hex(w, "data", o->data, o->len - 2u);
		jw_end(w);
	}
	jw_aend(w);
}

/* Members common to both option areas: the raw bytes as present, whether
 * the header promised more than we have, whether a length was wrong. */
static void emit_opt_common(struct jw *w, const struct opt_list *ol)
{
	jw_hex(w, "raw", ol->raw, ol->raw ? ol->raw_len : 0);
	if (ol->raw_len < ol->want_len)
		jw_bool(w, "truncated", true);
	if (ol->malformed)
		jw_bool(w, "malformed", true);
}

static void emit_ext_headers(struct jw *w, const struct ip_layer *ip)
{
	unsigned n = ip->n_ext < DECODE_MAX_EXTHDRS ? ip->n_ext :
		     DECODE_MAX_EXTHDRS;

	jw_arr(w, "ext_headers");
	for (unsigned i = 0; i < n; i++) {
		const struct ext_hdr *e = &ip->ext[i];

		jw_obj(w, NULL);
		jw_name_or_num(w, "type", decode_exthdr_name(e->type), e->type);
		jw_uint(w, "proto", e->type);
		if (e->len)
			jw_uint(w, "len", e->len);
		if (!e->complete) {
			jw_bool(w, "truncated", true);
		} else if (e->type == P_FRAGMENT) {
			jw_uint(w, "offset", e->u.frag.offset);
			jw_uint(w, "id", e->u.frag.id);
			jw_bool(w, "more", e->u.frag.more);
		} else if (e->type == P_ROUTING) {
			jw_uint(w, "routing_type", e->u.rt.type);
			jw_uint(w, "segments_left", e->u.rt.segments_left);
		} else if (e->type == P_AH || e->type == P_ESP) {
			jw_uint(w, "spi", e->u.spi);
		}
		jw_end(w);
	}
	jw_aend(w);
}

static void emit_ip(struct jw *w, const struct ip_layer *ip)
{
	if (!l3_valid(ip))
		return;
	jw_obj(w, "ip");
	/* The version nibble as found: it differs from the family when the
	 * status is bad-ip-version. */
	jw_uint(w, "version", ip->l3 && ip->avail ? ip->l3[0] >> 4 :
		ip->kind == L3_IPV4 ? 4 : 6);
	if (ip->kind == L3_IPV4) {
		jw_uint(w, "ihl", ip->ihl);
		jw_uint(w, "tos", ip->tos);
	} else {
		jw_uint(w, "traffic_class", ip->tos);
	}
	jw_uint(w, "dscp", ip->tos >> 2);
	jw_uint(w, "ecn", ip->tos & 3);
	jw_uint(w, "len", ip->pkt_len);
	if (ip->kind == L3_IPV4) {
		jw_uint(w, "id", ip->id);
		jw_uint(w, "ttl", ip->ttl);
		jw_arr(w, "flags");
		/* The kernel calls the reserved ("evil") bit CE. */
		if (ip->frag_word & 0x8000)
			jw_lit(w, NULL, "CE");
		if (ip->frag_word & 0x4000)
			jw_lit(w, NULL, "DF");
		if (ip->frag_word & 0x2000)
			jw_lit(w, NULL, "MF");
		jw_aend(w);
		jw_uint(w, "frag_offset", ip->frag_offset);
		jw_uint(w, "checksum", ip->check);
		jw_uint(w, "protocol", ip->proto);
		if (ip->ihl > 5) {
			jw_obj(w, "options");
			emit_opt_common(w, &ip->ipopts);
			emit_ipopt_list(w, &ip->ipopts);
			jw_end(w);
		}
	} else {
		jw_uint(w, "flow_label", ip->flowlabel);
		jw_uint(w, "payload_length", ip->payload_len);
		jw_uint(w, "hop_limit", ip->ttl);
		jw_uint(w, "next_header", ip->nexthdr);
		if (ip->n_ext)
			emit_ext_headers(w, ip);
	}
	if (ip->fragment) {
		jw_obj(w, "fragment");
		jw_uint(w, "offset", ip->frag_offset);
		jw_bool(w, "more", ip->more_frags);
		jw_uint(w, "id", ip->frag_id);
		jw_end(w);
	}
	jw_end(w);
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

static void emit_tcpopt(struct jw *w, const struct opt *o)
{
	const uint8_t *d = o->data;
	unsigned dl = o->len >= 2 ? o->len - 2u : 0;

	switch (o->kind) {
	case 2:
		jw_uint(w, "mss", (unsigned)d[0] << 8 | d[1]);
		break;
	case 3:
		jw_uint(w, "wscale", d[0]);
		break;
	case 4:
		jw_bool(w, "sack_permitted", true);
		break;
	case 5:
		jw_arr(w, "sack");
		for (unsigned i = 0; i < dl; i += 8) {
			jw_arr(w, NULL);
			jw_uint(w, NULL, be32(d + i));
			jw_uint(w, NULL, be32(d + i + 4));
			jw_aend(w);
		}
		jw_aend(w);
		break;
	case 8:
		jw_obj(w, "timestamp");
		jw_uint(w, "val", be32(d));
		jw_uint(w, "ecr", be32(d + 4));
		jw_end(w);
		break;
	case 19:
		jw_hex(w, "md5", d, dl);
		break;
	case 29:        /* RFC 5925 */
		jw_obj(w, "ao");
		jw_uint(w, "keyid", d[0]);
		jw_uint(w, "rnextkeyid", d[1]);
		jw_hex(w, "mac", d + 2, dl - 2);
		jw_end(w);
		break;
	case 30:        /* RFC 8684: the subtype is the high nibble */
		jw_obj(w, "mptcp");
		jw_uint(w, "subtype", d[0] >> 4);
		jw_hex(w, "data", d, dl);
		jw_end(w);
		break;
	case 34:        /* RFC 7413: an empty cookie is a cookie request */
		jw_hex(w, "fastopen", d, dl);
		break;
	}
}

static void emit_tcp_options(struct jw *w, const struct opt_list *ol)
{
	unsigned n = ol->n < DECODE_MAX_OPTS ? ol->n : DECODE_MAX_OPTS;
	bool named[DECODE_MAX_OPTS] = { false };
	uint64_t seen[4] = { 0 };
	bool other = false;

	jw_obj(w, "options");
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
		jw_arr(w, "other");
		for (unsigned i = 0; i < n; i++) {
			const struct opt *o = &ol->o[i];

			if (o->kind <= 1 || named[i])
				continue;
			jw_obj(w, NULL);
			jw_uint(w, "kind", o->kind);
			jw_uint(w, "len", o->len);
			jw_hex(w, "data", o->data,
			       o->data && o->len > 2 ? o->len - 2u : 0);
			jw_end(w);
		}
		jw_aend(w);
	}
	jw_end(w);
}

/* --- transport ---------------------------------------------------------- */

static void emit_tcp(struct jw *w, const struct l4_tcp *t)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} flags[] = {
		{ TCPF_AE, "AE" }, { TCPF_CWR, "CWR" }, { TCPF_ECE, "ECE" },
		{ TCPF_URG, "URG" }, { TCPF_ACK, "ACK" }, { TCPF_PSH, "PSH" },
		{ TCPF_RST, "RST" }, { TCPF_SYN, "SYN" }, { TCPF_FIN, "FIN" },
	};

	jw_obj(w, "tcp");
	jw_uint(w, "seq", t->seq);
	jw_uint(w, "ack", t->ack);
	jw_uint(w, "data_offset", t->doff);
	jw_uint(w, "reserved", t->res);
	jw_arr(w, "flags");
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (t->flags & flags[i].bit)
			jw_lit(w, NULL, flags[i].name);
	jw_aend(w);
	jw_uint(w, "window", t->window);
	jw_uint(w, "checksum", t->check);
	jw_uint(w, "urgent_pointer", t->urgp);
	if (t->doff > 5)
		emit_tcp_options(w, &t->opts);
	jw_end(w);
}

static void emit_layer(struct jw *w, const struct record *rec,
		       const struct ip_layer *ip, bool quoted);

static void emit_icmp(struct jw *w, const struct record *rec,
		      const struct ip_layer *ip, bool quoted)
{
	const struct l4_icmp *ic = &ip->t.icmp;

	jw_obj(w, ip->proto == P_ICMP ? "icmp" : "icmpv6");
	jw_uint(w, "type", ic->type);
	jw_uint(w, "code", ic->code);
	jw_uint(w, "checksum", ic->check);
	if (ic->has_echo) {
		jw_uint(w, "id", ic->id);
		jw_uint(w, "seq", ic->seq);
	}
	if (ic->has_gateway)
		jw_addr(w, "gateway", AF_INET, ic->gateway);
	if (ic->has_mtu)
		jw_uint(w, "mtu", ic->mtu);
	if (ic->has_pointer)
		jw_uint(w, "pointer", ic->pointer);
	if (!quoted && rec->has_inner) {
		jw_obj(w, "quoted");
		emit_layer(w, rec, &rec->inner, true);
		jw_end(w);
	}
	jw_end(w);
}

static void emit_spi(struct jw *w, const char *key, uint32_t spi)
{
	jw_obj(w, key);
	jw_uint(w, "spi", spi);
	jw_end(w);
}

static void emit_transport(struct jw *w, const struct record *rec,
			   const struct ip_layer *ip, bool quoted)
{
	bool ah = false, esp = false;

	if (!l3_valid(ip))
		return;
	/* IPv6 carries AH and ESP as extension headers. */
	for (unsigned i = 0; i < ip->n_ext && i < DECODE_MAX_EXTHDRS; i++) {
		const struct ext_hdr *e = &ip->ext[i];

		if (!e->complete)
			continue;
		if (e->type == P_AH && !ah) {
			emit_spi(w, "ah", e->u.spi);
			ah = true;
		} else if (e->type == P_ESP && !esp) {
			emit_spi(w, "esp", e->u.spi);
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
		jw_obj(w, "udp");
		jw_uint(w, "length", ip->t.udp.len);
		jw_uint(w, "checksum", ip->t.udp.check);
		jw_end(w);
		break;
	case P_ICMP:
	case P_ICMPV6:
		emit_icmp(w, rec, ip, quoted);
		break;
	case P_AH:
		if (!ah)
			emit_spi(w, "ah", ip->t.spi.spi);
		break;
	case P_ESP:
		if (!esp)
			emit_spi(w, "esp", ip->t.spi.spi);
		break;
	case P_GRE: {
		uint16_t fv = ip->t.gre.flags_ver;

		jw_obj(w, "gre");
		jw_arr(w, "flags");
		if (fv & 0x8000)
			jw_lit(w, NULL, "C");
		if (fv & 0x2000)
			jw_lit(w, NULL, "K");
		if (fv & 0x1000)
			jw_lit(w, NULL, "S");
		jw_aend(w);
		jw_uint(w, "version", fv & 7);
		jw_uint(w, "protocol", ip->t.gre.protocol);
		jw_end(w);
		break;
	}
	case P_SCTP:
		jw_obj(w, "sctp");
		jw_uint(w, "vtag", ip->t.sctp.vtag);
		jw_end(w);
		break;
	}
}

static void emit_decode(struct jw *w, const struct ip_layer *ip)
{
	static const char *const l3[] = {
		[L3_NONE] = "none", [L3_IPV4] = "ipv4", [L3_IPV6] = "ipv6",
		[L3_OTHER] = "other",
	};

	jw_obj(w, "decode");
	jw_lit(w, "status", decode_status_str(ip->status));
	jw_lit(w, "l3", (unsigned)ip->kind < 4 ? l3[ip->kind] : "unknown");
	if (l3_valid(ip))
		jw_lit(w, "l4", l4_state_name(ip->l4));
	if (ip->snapped)
		jw_bool(w, "snapped", true);
	jw_end(w);
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

static void emit_event(struct jw *w, const struct json_ctx *c,
		       bool used_ts)
{
	const char *a = c->action;
	const char *type = "info";

	/* event.type from the rule's action, for the SIEM rules that key
	 * on "denied" / "allowed". */
	if (a && (!strcmp(a, "drop") || !strcmp(a, "reject") ||
		  !strcmp(a, "deny")))
		type = "denied";
	else if (a && (!strcmp(a, "accept") || !strcmp(a, "allow")))
		type = "allowed";

	jw_obj(w, "event");
	jw_lit(w, "kind", "event");
	jw_arr(w, "category");
	jw_lit(w, NULL, "network");
	jw_aend(w);
	jw_arr(w, "type");
	jw_lit(w, NULL, type);
	jw_aend(w);
	if (str_set(a))
		jw_str(w, "action", a);
	jw_lit(w, "module", "nflogd");
	jw_lit(w, "dataset", "nflogd.packet");
	if (used_ts && (c->now_sec || c->now_usec) &&
	    ts_valid(c->now_sec, c->now_usec))
		jw_time(w, "created", c->now_sec, c->now_usec);
	jw_end(w);
}

static void emit_iface(struct jw *w, const char *key, const char *name,
		       uint32_t idx)
{
	jw_obj(w, key);
	jw_obj(w, "interface");
	if (str_set(name))
		jw_str(w, "name", name);
	jw_uint_str(w, "id", idx);
	jw_end(w);
	jw_end(w);
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

	if (!str_set(c->host) && !hin && !hout)
		return;
	jw_obj(w, "observer");
	if (str_set(c->host))
		jw_str(w, "hostname", c->host);
	if (hin)
		emit_iface(w, "ingress", pin ? ifn->physin : ifn->in,
			   pin ? m->physindev : m->indev);
	if (hout)
		emit_iface(w, "egress", pout ? ifn->physout : ifn->out,
			   pout ? m->physoutdev : m->outdev);
	jw_end(w);
}

static void emit_ct(struct jw *w, const struct nflog_meta *m)
{
	const struct nflog_ct *ct = &m->ct;
	int af = ct->orig_family == AF_INET6 ? AF_INET6 : AF_INET;

	jw_obj(w, "ct");
	if (m->present & NFLOG_HAVE_CT_INFO) {
		const char *s = nflog_ctinfo_name(m->ct_info);

		jw_name_or_num(w, "state", strcmp(s, "unknown") ? s : NULL,
			       m->ct_info);
	}
	if (!(m->present & NFLOG_HAVE_CT)) {
		jw_end(w);
		return;
	}
	if (ct->present & NFLOG_CT_HAVE_ID)
		jw_uint(w, "id", ct->id);
	if (ct->present & NFLOG_CT_HAVE_STATUS)
		jw_uint(w, "status", ct->status);
	if (ct->present & NFLOG_CT_HAVE_MARK)
		jw_uint(w, "mark", ct->mark);
	if (ct->present & NFLOG_CT_HAVE_ZONE)
		jw_uint(w, "zone", ct->zone);
	if (ct->present & (NFLOG_CT_HAVE_ORIG | NFLOG_CT_HAVE_ORIG_PORTS)) {
		jw_obj(w, "orig");
		if (ct->present & NFLOG_CT_HAVE_ORIG) {
			jw_addr(w, "src", af, ct->orig_src);
			jw_addr(w, "dst", af, ct->orig_dst);
			jw_uint(w, "proto", ct->orig_proto);
		}
		if (ct->present & NFLOG_CT_HAVE_ORIG_PORTS) {
			jw_uint(w, "sport", ct->orig_sport);
			jw_uint(w, "dport", ct->orig_dport);
		}
		jw_end(w);
	}
	jw_end(w);
}

static void emit_nflog(struct jw *w, const struct nflog_meta *m,
		       const struct json_ctx *c)
{
	static const struct log_ifnames none;
	const struct log_ifnames *ifn = c->ifn ? c->ifn : &none;
	bool br = m->family == NFPROTO_BRIDGE;
	uint32_t p = m->present;

	jw_obj(w, "nflog");
	jw_uint(w, "group", m->group);
	jw_name_or_num(w, "family", family_name(m->family), m->family);
	if (p & NFLOG_HAVE_PREFIX)
		jw_strn(w, "prefix", m->prefix, m->prefix ? m->prefix_len : 0);
	if (p & NFLOG_HAVE_HWPROTO) {
		const char *hn = nflog_hook_name(m->family, m->hook);

		jw_uint(w, "hook", m->hook);
		if (hn && strcmp(hn, "unknown"))
			jw_lit(w, "hook_name", hn);
		jw_uint(w, "hw_protocol", m->hw_protocol);
	}
	if (p & NFLOG_HAVE_SEQ)
		jw_uint(w, "seq", m->seq);
	if (p & NFLOG_HAVE_SEQ_GLOBAL)
		jw_uint(w, "seq_global", m->seq_global);
	/* ifindexes as sent; the names observer.* does not already give */
	if (p & NFLOG_HAVE_INDEV) {
		jw_uint(w, "indev", m->indev);
		if (br && str_set(ifn->in))
			jw_str(w, "indev_name", ifn->in);
	}
	if (p & NFLOG_HAVE_OUTDEV) {
		jw_uint(w, "outdev", m->outdev);
		if (br && str_set(ifn->out))
			jw_str(w, "outdev_name", ifn->out);
	}
	if (p & NFLOG_HAVE_PHYSINDEV) {
		jw_uint(w, "physindev", m->physindev);
		if (!br && str_set(ifn->physin))
			jw_str(w, "physindev_name", ifn->physin);
	}
	if (p & NFLOG_HAVE_PHYSOUTDEV) {
		jw_uint(w, "physoutdev", m->physoutdev);
		if (!br && str_set(ifn->physout))
			jw_str(w, "physoutdev_name", ifn->physout);
	}
	if (p & NFLOG_HAVE_UID)
		jw_uint(w, "uid", m->uid);
	if (p & NFLOG_HAVE_GID)
		jw_uint(w, "gid", m->gid);
	if (p & NFLOG_HAVE_MARK)
		jw_uint(w, "mark", m->mark);
	if (p & NFLOG_HAVE_HWTYPE)
		jw_uint(w, "hwtype", m->hwtype);
	if (p & NFLOG_HAVE_HWLEN)
		jw_uint(w, "hwlen", m->hwlen);
	if (p & NFLOG_HAVE_HWADDR)
		jw_mac(w, "hwaddr", m->hwaddr,
		       m->hwaddr_len < sizeof(m->hwaddr) ? m->hwaddr_len :
		       sizeof(m->hwaddr), false);
	if ((p & NFLOG_HAVE_HWHEADER) && m->hwheader)
		jw_mac(w, "hwheader", m->hwheader, m->hwheader_len, false);
	if ((p & NFLOG_HAVE_L2HDR) && m->l2hdr)
		jw_hex(w, "l2hdr", m->l2hdr, m->l2hdr_len);
	if (p & NFLOG_HAVE_VLAN) {
		jw_obj(w, "vlan");
		jw_uint(w, "proto", m->vlan_proto);
		jw_uint(w, "tci", m->vlan_tci);
		jw_uint(w, "id", m->vlan_tci & 0x0fff);
		jw_uint(w, "pcp", m->vlan_tci >> 13);
		jw_end(w);
	}
	if (m->payload)
		jw_uint(w, "caplen", m->payload_len);
	if (p & (NFLOG_HAVE_CT | NFLOG_HAVE_CT_INFO))
		emit_ct(w, m);
	jw_end(w);
}

int fmt_json(const struct record *rec, const struct json_ctx *ctx,
	     char *buf, size_t size)
{
	static const struct json_ctx none;
	static const struct nflog_meta nometa;
	const struct json_ctx *c = ctx ? ctx : &none;
	const struct nflog_meta *m = rec->meta ? rec->meta : &nometa;
	struct jw w = { .buf = buf, .size = size };
	bool used_ts = false;

	jw_obj(&w, NULL);
	if ((m->present & NFLOG_HAVE_TIMESTAMP) &&
	    ts_valid(m->ts_sec, m->ts_usec)) {
		jw_time(&w, "@timestamp", m->ts_sec, m->ts_usec);
		used_ts = true;
	} else if ((c->now_sec || c->now_usec) &&
		   ts_valid(c->now_sec, c->now_usec)) {
		jw_time(&w, "@timestamp", c->now_sec, c->now_usec);
	}
	jw_obj(&w, "ecs");
	jw_lit(&w, "version", ECS_VERSION);
	jw_end(&w);
	jw_obj(&w, "nflogd");
	jw_sep(&w, "schema_version");
	jw_puts(&w, FMT_JSON_SCHEMA_VERSION);
	jw_end(&w);
	emit_event(&w, c, used_ts);
	if (str_set(c->rule)) {
		jw_obj(&w, "rule");
		jw_str(&w, "name", c->rule);
		jw_end(&w);
	}
	emit_observer(&w, m, c);
	emit_endpoints(&w, &rec->ip, m);
	emit_network(&w, &rec->ip, m);
	emit_nflog(&w, m, c);
	emit_ip(&w, &rec->ip);
	emit_transport(&w, rec, &rec->ip, false);
	emit_decode(&w, &rec->ip);
	jw_end(&w);

	if (w.full || w.len > INT_MAX) {
		/* Never hand out a cut object that might look whole. */
		if (size)
			buf[0] = 0;
		return -ENOSPC;
	}
	buf[w.len] = 0;
	return (int)w.len;
}
