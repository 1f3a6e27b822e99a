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
 */
#include "fmt_journal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <linux/netfilter.h>

/* Arena bytes for the fields after MESSAGE: the largest record in the
 * unit tests (every field, 127-byte prefix) needs about 1300. */
#define JOURNAL_RESERVE 4096

#define PRIORITY_DEFAULT 4      /* LOG_WARNING, the kernel LOG default */

enum {
	P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_FRAGMENT = 44, P_ESP = 50,
	P_AH = 51, P_ICMPV6 = 58, P_SCTP = 132, P_UDPLITE = 136,
};

struct jb {
	struct journal_fields *jf;
	size_t start;   /* arena offset of the open field */
	bool over;      /* the open field does not fit: it is dropped */
	bool lost;      /* some field was dropped: the result is -ENOSPC */
};

static const char hexlo[] = "0123456789abcdef";
static const char hexup[] = "0123456789ABCDEF";

static size_t room(const struct jb *b)
{
	return sizeof(b->jf->arena) - b->jf->used;
}

static void jb_put(struct jb *b, const void *s, size_t n)
{
	struct journal_fields *jf = b->jf;

	if (b->over || n > room(b)) {
		b->over = true;
		return;
	}
	memcpy(jf->arena + jf->used, s, n);
	jf->used += n;
}

static void jb_puts(struct jb *b, const char *s)
{
	jb_put(b, s, strlen(s));
}

static void jb_ch(struct jb *b, char c)
{
	jb_put(b, &c, 1);
}

static void jb_begin(struct jb *b, const char *key)
{
	b->start = b->jf->used;
	b->over = b->jf->n >= FMT_JOURNAL_MAX_FIELDS;
	jb_puts(b, key);
	jb_ch(b, '=');
}

static void jb_end(struct jb *b)
{
	struct journal_fields *jf = b->jf;

	if (b->over) {
		jf->used = b->start;
		b->lost = true;
		return;
	}
	jf->iov[jf->n].iov_base = jf->arena + b->start;
	jf->iov[jf->n].iov_len = jf->used - b->start;
	jf->n++;
}

static void jb_u(struct jb *b, uint64_t v)
{
	char t[20];
	size_t i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jb_put(b, t + i, sizeof(t) - i);
}

/* "0x" and at least min hex digits, as the LOG line prints TOS=, MARK=. */
static void jb_x(struct jb *b, uint32_t v, int min, bool upper)
{
	const char *d = upper ? hexup : hexlo;
	char t[10];
	size_t i = sizeof(t);

	do {
		t[--i] = d[v & 15];
		v >>= 4;
		min--;
	} while (v || min > 0);
	t[--i] = 'x';
	t[--i] = '0';
	jb_put(b, t + i, sizeof(t) - i);
}

static void jb_hex(struct jb *b, const uint8_t *p, size_t n, char sep,
		   bool upper)
{
	const char *d = upper ? hexup : hexlo;

	for (size_t i = 0; i < n; i++) {
		char t[3] = { sep, d[p[i] >> 4], d[p[i] & 15] };

		if (i == 0 || !sep)
			jb_put(b, t + 1, 2);
		else
			jb_put(b, t, 3);
	}
}

static void jb_addr(struct jb *b, int af, const void *a)
{
	char t[INET6_ADDRSTRLEN];

	/* The RFC 5952 form, which is what people type after SRC=; the
	 * LOG line's fully expanded IPv6 form stays in MESSAGE. */
	if (inet_ntop(af, a, t, sizeof(t)))
		jb_puts(b, t);
}

/* Space-separated words: a leading space only between words. */
static void jb_word(struct jb *b, bool *first, const char *w)
{
	if (!*first)
		jb_ch(b, ' ');
	*first = false;
	jb_puts(b, w);
}

static void f_u(struct jb *b, const char *key, uint64_t v)
{
	jb_begin(b, key);
	jb_u(b, v);
	jb_end(b);
}

static void f_x(struct jb *b, const char *key, uint32_t v, int min)
{
	jb_begin(b, key);
	jb_x(b, v, min, min > 0);
	jb_end(b);
}

static void f_strn(struct jb *b, const char *key, const char *s, size_t n)
{
	jb_begin(b, key);
	jb_put(b, s, n);
	jb_end(b);
}

static void f_str(struct jb *b, const char *key, const char *s)
{
	f_strn(b, key, s, strlen(s));
}

static void f_addr(struct jb *b, const char *key, int af, const void *a)
{
	jb_begin(b, key);
	jb_addr(b, af, a);
	jb_end(b);
}

static bool str_set(const char *s)
{
	return s && *s;
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

static bool has_ports(const struct ip_layer *ip, uint16_t *sp, uint16_t *dp)
{
	if (ip->l4 != L4_DECODED)
		return false;
	switch (ip->proto) {
	case P_TCP:
		*sp = ip->t.tcp.sport;
		*dp = ip->t.tcp.dport;
		return true;
	case P_UDP:
	case P_UDPLITE:
		*sp = ip->t.udp.sport;
		*dp = ip->t.udp.dport;
		return true;
	case P_SCTP:
		*sp = ip->t.sctp.sport;
		*dp = ip->t.sctp.dport;
		return true;
	default:
		return false;
	}
}

static void f_proto(struct jb *b, const char *key, uint8_t proto)
{
	const char *n = decode_proto_name(proto);

	jb_begin(b, key);
	if (n)
		jb_puts(b, n);
	else
		jb_u(b, proto);
	jb_end(b);
}

static void f_ip(struct jb *b, const struct ip_layer *ip)
{
	f_addr(b, "SRC", l3_af(ip), ip->src);
	f_addr(b, "DST", l3_af(ip), ip->dst);
	f_u(b, "LEN", ip->pkt_len);
	if (ip->kind == L3_IPV4) {
		bool first = true;

		/* Masked as the kernel's LOG target prints them. */
		f_x(b, "TOS", ip->tos & 0x1e, 2);
		f_x(b, "PREC", ip->tos & 0xe0, 2);
		f_u(b, "TTL", ip->ttl);
		f_u(b, "ID", ip->id);
		if (ip->frag_word & 0xe000) {
			jb_begin(b, "IP_FLAGS");
			if (ip->frag_word & 0x8000)
				jb_word(b, &first, "CE");
			if (ip->frag_word & 0x4000)
				jb_word(b, &first, "DF");
			if (ip->frag_word & 0x2000)
				jb_word(b, &first, "MF");
			jb_end(b);
		}
		if (ip->ihl > 5 && ip->ipopts.raw && ip->ipopts.raw_len) {
			jb_begin(b, "IP_OPTIONS");
			jb_hex(b, ip->ipopts.raw, ip->ipopts.raw_len, 0, true);
			jb_end(b);
		}
	} else {
		unsigned n = ip->n_ext < DECODE_MAX_EXTHDRS ? ip->n_ext :
			     DECODE_MAX_EXTHDRS;
		bool first = true;

		f_u(b, "TC", ip->tos);
		f_u(b, "HOPLIMIT", ip->ttl);
		f_u(b, "FLOWLBL", ip->flowlabel);
		if (n) {
			jb_begin(b, "IPV6_EXT");
			for (unsigned i = 0; i < n; i++) {
				uint8_t t = ip->ext[i].type;
				const char *en = decode_exthdr_name(t);

				if (!first)
					jb_ch(b, ' ');
				first = false;
				if (en)
					jb_puts(b, en);
				else
					jb_u(b, t);
			}
			jb_end(b);
		}
	}
	if (ip->fragment) {
		f_u(b, "FRAG", ip->frag_offset);
		f_u(b, "FRAG_ID", ip->frag_id);
	}
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* One TCP option in TCP_OPTIONS: "MSS=1460", "SACK_PERM", "TS=1/0", ...;
 * kinds we do not know, and known kinds of a length their RFC does not
 * allow, as OPT<kind>[=<hex data>]. */
static void jb_tcpopt(struct jb *b, const struct opt *o)
{
	const uint8_t *d = o->data;
	unsigned dl = o->len >= 2 ? o->len - 2u : 0;
	bool ok = d || !dl;

	switch (o->kind) {
	case 2:
		if (!ok || dl != 2)
			break;
		jb_puts(b, "MSS=");
		jb_u(b, (unsigned)d[0] << 8 | d[1]);
		return;
	case 3:
		if (!ok || dl != 1)
			break;
		jb_puts(b, "WS=");
		jb_u(b, d[0]);
		return;
	case 4:
		if (dl != 0)
			break;
		jb_puts(b, "SACK_PERM");
		return;
	case 5:
		if (!ok || dl < 8 || dl > 32 || dl % 8)
			break;
		jb_puts(b, "SACK=");
		for (unsigned i = 0; i < dl; i += 8) {
			if (i)
				jb_ch(b, ',');
			jb_u(b, be32(d + i));
			jb_ch(b, '-');
			jb_u(b, be32(d + i + 4));
		}
		return;
	case 8:
		if (!ok || dl != 8)
			break;
		jb_puts(b, "TS=");
		jb_u(b, be32(d));
		jb_ch(b, '/');
		jb_u(b, be32(d + 4));
		return;
	case 19:
		if (dl != 16)
			break;
		jb_puts(b, "MD5");
		return;
	case 29:
		if (!ok || dl < 2)
			break;
		jb_puts(b, "AO=");
		jb_u(b, d[0]);
		jb_ch(b, '/');
		jb_u(b, d[1]);
		return;
	case 30:
		if (!ok || dl < 1)
			break;
		jb_puts(b, "MPTCP=");
		jb_u(b, d[0] >> 4);
		return;
	case 34:
		if (!ok || dl > 16)
			break;
		jb_puts(b, "FASTOPEN");
		if (dl) {
			jb_ch(b, '=');
			jb_hex(b, d, dl, 0, true);
		}
		return;
	}
	jb_puts(b, "OPT");
	jb_u(b, o->kind);
	if (d && dl) {
		jb_ch(b, '=');
		jb_hex(b, d, dl, 0, true);
	}
}

static void f_tcp(struct jb *b, const struct l4_tcp *t)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} flags[] = {
		{ TCPF_AE, "AE" }, { TCPF_CWR, "CWR" }, { TCPF_ECE, "ECE" },
		{ TCPF_URG, "URG" }, { TCPF_ACK, "ACK" }, { TCPF_PSH, "PSH" },
		{ TCPF_RST, "RST" }, { TCPF_SYN, "SYN" }, { TCPF_FIN, "FIN" },
	};
	bool first = true;

	f_u(b, "SEQ", t->seq);
	f_u(b, "ACK", t->ack);
	f_u(b, "WINDOW", t->window);
	f_u(b, "URGP", t->urgp);
	/* Present, possibly empty, for every TCP packet: a segment with no
	 * flag at all is worth finding. */
	jb_begin(b, "TCP_FLAGS");
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (t->flags & flags[i].bit)
			jb_word(b, &first, flags[i].name);
	jb_end(b);
	if (t->doff > 5) {
		const struct opt_list *ol = &t->opts;
		unsigned n = ol->n < DECODE_MAX_OPTS ? ol->n : DECODE_MAX_OPTS;

		first = true;
		jb_begin(b, "TCP_OPTIONS");
		for (unsigned i = 0; i < n; i++) {
			if (ol->o[i].kind <= 1)
				continue;       /* EOL, NOP */
			if (!first)
				jb_ch(b, ' ');
			first = false;
			jb_tcpopt(b, &ol->o[i]);
		}
		if (ol->raw_len < ol->want_len)
			jb_word(b, &first, "TRUNCATED");
		if (ol->malformed)
			jb_word(b, &first, "MALFORMED");
		jb_end(b);
	}
}

static void f_icmp(struct jb *b, const struct record *rec,
		   const struct ip_layer *ip)
{
	const struct l4_icmp *ic = &ip->t.icmp;
	const struct ip_layer *in = &rec->inner;
	uint16_t sp, dp;

	f_u(b, "ICMP_TYPE", ic->type);
	f_u(b, "ICMP_CODE", ic->code);
	if (ic->has_echo) {
		f_u(b, "ICMP_ID", ic->id);
		f_u(b, "ICMP_SEQ", ic->seq);
	}
	if (ic->has_mtu)
		f_u(b, "ICMP_MTU", ic->mtu);
	if (ic->has_gateway)
		f_addr(b, "ICMP_GATEWAY", AF_INET, ic->gateway);
	if (ic->has_pointer)
		f_u(b, "ICMP_POINTER", ic->pointer);
	/* The quoted packet gets names of its own: SRC=/DST= must only ever
	 * match the packet that was logged. */
	if (rec->has_inner && l3_valid(in)) {
		f_addr(b, "QUOTED_SRC", l3_af(in), in->src);
		f_addr(b, "QUOTED_DST", l3_af(in), in->dst);
		f_proto(b, "QUOTED_PROTO", in->proto);
		if (has_ports(in, &sp, &dp)) {
			f_u(b, "QUOTED_SPT", sp);
			f_u(b, "QUOTED_DPT", dp);
		}
	}
}

/* SPI= of the first AH or ESP header: the transport of an IPv4 packet,
 * an extension header of an IPv6 one. */
static void f_spi(struct jb *b, const struct ip_layer *ip)
{
	for (unsigned i = 0; i < ip->n_ext && i < DECODE_MAX_EXTHDRS; i++) {
		const struct ext_hdr *e = &ip->ext[i];

		if ((e->type == P_AH || e->type == P_ESP) && e->complete) {
			f_u(b, "SPI", e->u.spi);
			return;
		}
	}
	if (ip->l4 == L4_DECODED && (ip->proto == P_AH || ip->proto == P_ESP))
		f_u(b, "SPI", ip->t.spi.spi);
}

static void f_transport(struct jb *b, const struct record *rec,
			const struct ip_layer *ip)
{
	uint16_t sp, dp;

	f_proto(b, "PROTO", ip->proto);
	if (has_ports(ip, &sp, &dp)) {
		f_u(b, "SPT", sp);
		f_u(b, "DPT", dp);
	}
	if (ip->l4 == L4_DECODED) {
		switch (ip->proto) {
		case P_TCP:
			f_tcp(b, &ip->t.tcp);
			break;
		case P_UDP:
		case P_UDPLITE:
			f_u(b, "UDP_LEN", ip->t.udp.len);
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

static void f_nflog(struct jb *b, const struct nflog_meta *m,
		    const struct journal_ctx *c)
{
	uint32_t p = m->present;
	const char *fam = family_name(m->family);

	if (str_set(c->rule))
		f_str(b, "NFLOG_RULE", c->rule);
	f_u(b, "NFLOG_GROUP", m->group);
	if (fam)
		f_str(b, "NFLOG_FAMILY", fam);
	else
		f_u(b, "NFLOG_FAMILY", m->family);
	if (p & NFLOG_HAVE_HWPROTO) {
		const char *hn = nflog_hook_name(m->family, m->hook);

		if (hn && strcmp(hn, "unknown"))
			f_str(b, "NFLOG_HOOK", hn);
		else
			f_u(b, "NFLOG_HOOK", m->hook);
	}
	if (p & NFLOG_HAVE_SEQ)
		f_u(b, "NFLOG_SEQ", m->seq);
	if (p & NFLOG_HAVE_SEQ_GLOBAL)
		f_u(b, "NFLOG_SEQ_GLOBAL", m->seq_global);
}

/* IN= and OUT= are what the LOG line calls so: for the bridge family the
 * bridge port, which nfnetlink_log sends as PHYSINDEV / PHYSOUTDEV (INDEV /
 * OUTDEV are the bridge).  PHYSIN= / PHYSOUT= name the physical device
 * whenever there is one.  Names are the caller's, for present devices. */
static void f_devices(struct jb *b, const struct nflog_meta *m,
		      const struct log_ifnames *ifn)
{
	uint32_t p = m->present;
	bool br = m->family == NFPROTO_BRIDGE;
	bool pin = p & NFLOG_HAVE_PHYSINDEV, pout = p & NFLOG_HAVE_PHYSOUTDEV;
	const char *in = NULL, *out = NULL;

	if (br && pin)
		in = ifn->physin;
	else if (p & NFLOG_HAVE_INDEV)
		in = ifn->in;
	if (br && pout)
		out = ifn->physout;
	else if (p & NFLOG_HAVE_OUTDEV)
		out = ifn->out;
	if (str_set(in))
		f_str(b, "IN", in);
	if (str_set(out))
		f_str(b, "OUT", out);
	if (pin && str_set(ifn->physin))
		f_str(b, "PHYSIN", ifn->physin);
	if (pout && str_set(ifn->physout))
		f_str(b, "PHYSOUT", ifn->physout);
	if (p & NFLOG_HAVE_INDEV)
		f_u(b, "NFLOG_INDEV", m->indev);
	if (p & NFLOG_HAVE_OUTDEV)
		f_u(b, "NFLOG_OUTDEV", m->outdev);
	if (pin)
		f_u(b, "NFLOG_PHYSINDEV", m->physindev);
	if (pout)
		f_u(b, "NFLOG_PHYSOUTDEV", m->physoutdev);
	if ((p & NFLOG_HAVE_HWHEADER) && m->hwheader && m->hwheader_len) {
		jb_begin(b, "MAC");
		jb_hex(b, m->hwheader, m->hwheader_len, ':', false);
		jb_end(b);
	}
	if ((p & NFLOG_HAVE_HWADDR) && m->hwaddr_len) {
		jb_begin(b, "MACSRC");
		jb_hex(b, m->hwaddr, m->hwaddr_len < sizeof(m->hwaddr) ?
		       m->hwaddr_len : sizeof(m->hwaddr), ':', false);
		jb_end(b);
	}
}

static void f_ct(struct jb *b, const struct nflog_meta *m)
{
	const struct nflog_ct *ct = &m->ct;
	int af = ct->orig_family == AF_INET6 ? AF_INET6 : AF_INET;

	if (m->present & NFLOG_HAVE_CT_INFO) {
		const char *s = nflog_ctinfo_name(m->ct_info);

		if (strcmp(s, "unknown"))
			f_str(b, "CT_STATE", s);
		else
			f_u(b, "CT_STATE", m->ct_info);
	}
	if (!(m->present & NFLOG_HAVE_CT))
		return;
	if (ct->present & NFLOG_CT_HAVE_ID)
		f_u(b, "CT_ID", ct->id);
	if (ct->present & NFLOG_CT_HAVE_STATUS)
		f_x(b, "CT_STATUS", ct->status, 0);
	if (ct->present & NFLOG_CT_HAVE_MARK)
		f_x(b, "CT_MARK", ct->mark, 0);
	if (ct->present & NFLOG_CT_HAVE_ZONE)
		f_u(b, "CT_ZONE", ct->zone);
	if (ct->present & NFLOG_CT_HAVE_ORIG) {
		f_addr(b, "CT_ORIG_SRC", af, ct->orig_src);
		f_addr(b, "CT_ORIG_DST", af, ct->orig_dst);
		f_proto(b, "CT_ORIG_PROTO", ct->orig_proto);
	}
	if (ct->present & NFLOG_CT_HAVE_ORIG_PORTS) {
		f_u(b, "CT_ORIG_SPT", ct->orig_sport);
		f_u(b, "CT_ORIG_DPT", ct->orig_dport);
	}
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
	struct journal_fields *jf = b->jf;
	int r;

	jb_begin(b, "MESSAGE");
	r = fmt_log(rec, ifn, c->log_flags, jf->arena + jf->used,
		    FMT_LOG_MAX);
	if (r > 0)
		jf->used += (size_t)r;
	jb_end(b);
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
	struct jb b = { .jf = jf };
	int prio = c->priority, err;
	struct record tmp;

	if (!rec->meta) {
		/* fmt_log needs metadata; decode_packet always sets it. */
		tmp = *rec;
		tmp.meta = &nometa;
		rec = &tmp;
	}
	jf->n = 0;
	jf->used = 0;
	err = f_message(&b, rec, c, ifn);
	if (!ctx || prio < 0 || prio > 7)
		prio = PRIORITY_DEFAULT;
	f_u(&b, "PRIORITY", (unsigned)prio);
	f_str(&b, "SYSLOG_IDENTIFIER",
	      str_set(c->identifier) ? c->identifier : "nflogd");
	f_str(&b, "MESSAGE_ID", FMT_JOURNAL_PACKET_MESSAGE_ID);

	f_nflog(&b, m, c);
	f_devices(&b, m, ifn);
	if (l3_valid(ip)) {
		f_ip(&b, ip);
		f_transport(&b, rec, ip);
	}
	if (m->present & NFLOG_HAVE_UID)
		f_u(&b, "UID", m->uid);
	if (m->present & NFLOG_HAVE_GID)
		f_u(&b, "GID", m->gid);
	if (m->present & NFLOG_HAVE_MARK)
		f_x(&b, "MARK", m->mark, 0);
	f_ct(&b, m);
	if (ip->status != DECODE_OK)
		f_str(&b, "DECODE_STATUS", decode_status_str(ip->status));
	if (l3_valid(ip) && ip->l4 != L4_DECODED)
		f_str(&b, "DECODE_L4", l4_state_name(ip->l4));
	if (ip->snapped)
		f_str(&b, "DECODE_SNAPPED", "1");
	/* The prefix exactly as the rule has it, trailing spaces and all;
	 * last, because only it can be long enough not to fit (from a pcap
	 * file), and then it should cost no other field. */
	if ((m->present & NFLOG_HAVE_PREFIX) && m->prefix)
		f_strn(&b, "NFLOG_PREFIX", m->prefix, m->prefix_len);

	if (err < 0)
		return err;
	if (b.lost)
		return -ENOSPC;
	return (int)jf->n;
}
