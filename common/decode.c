/* decode: IPv4/IPv6 + transport headers of one logged packet.
 *
 * Two lengths matter for every header:
 *   avail    - bytes we were given (NFLOG copies at most the snap length);
 *   wire_len - bytes the packet really had.
 * A header beyond wire_len is a short packet (the kernel's LOG target says
 * "INCOMPLETE"); a header within wire_len but beyond avail was cut by the
 * snap length ("snapped").  The formatters need to tell the two apart.
 */
#include "decode.h"

#include <arpa/inet.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>

/* IANA protocol numbers used below (netinet/in.h lacks a few). */
enum {
	P_HOPOPTS = 0, P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_ROUTING = 43,
	P_FRAGMENT = 44, P_GRE = 47, P_ESP = 50, P_AH = 51, P_ICMPV6 = 58,
	P_NONE = 59, P_DSTOPTS = 60, P_SCTP = 132, P_UDPLITE = 136,
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Parse a kind/length option list (IPv4 and TCP share the encoding).
 * raw_len bytes are present, want_len bytes the header promised. */
static void parse_opts(const uint8_t *raw, size_t raw_len, size_t want_len,
		       struct opt_list *ol)
{
	size_t i = 0;

	ol->raw = raw;
	ol->raw_len = (uint8_t)raw_len;
	ol->want_len = (uint8_t)want_len;
	ol->n = 0;
	ol->malformed = false;

	while (i < raw_len && ol->n < DECODE_MAX_OPTS) {
		struct opt *o = &ol->o[ol->n];
		uint8_t kind = raw[i];
		uint8_t len;

		if (kind == 0 || kind == 1) {   /* EOL, NOP: one byte */
			o->kind = kind;
			o->len = 1;
			o->data = NULL;
			ol->n++;
			i++;
			if (kind == 0)
				break;          /* the rest is padding */
			continue;
		}
		if (i + 1 >= raw_len) {
			/* No length byte: cut by the snap length, or the
			 * option area itself ends here. */
			ol->malformed = raw_len >= want_len;
			break;
		}
		len = raw[i + 1];
		if (len < 2) {
			ol->malformed = true;
			break;
		}
		if (i + len > raw_len) {
			ol->malformed = i + len > want_len;
			break;
		}
		o->kind = kind;
		o->len = len;
		o->data = raw + i + 2;
		ol->n++;
		i += len;
	}
}

static void set_status(struct ip_layer *ip, enum decode_status st)
{
	if (ip->status == DECODE_OK)
		ip->status = st;
}

/* Is [off, off + n) readable?  If not, record whether the packet was short
 * or the capture was. */
static bool have(struct ip_layer *ip, uint32_t off, uint32_t n,
		 enum decode_status st)
{
	if ((uint64_t)off + n <= ip->avail)
		return true;
	set_status(ip, st);
	if ((uint64_t)off + n <= ip->wire_len)
		ip->snapped = true;
	return false;
}

static void decode_icmp(struct ip_layer *ip, const uint8_t *p, bool v6)
{
	struct l4_icmp *ic = &ip->t.icmp;

	ic->type = p[0];
	ic->code = p[1];
	ic->check = rd16(p + 2);
	ic->rest = rd32(p + 4);
	if (!v6) {
		switch (ic->type) {
		case 0: case 8:                 /* echo reply / request */
		case 13: case 14:               /* timestamp */
		case 15: case 16:               /* information */
		case 17: case 18:               /* address mask */
			ic->has_echo = true;
			break;
		case 5:                         /* redirect */
			memcpy(ic->gateway, p + 4, 4);
			ic->has_gateway = true;
			ic->is_error = true;
			break;
		case 3:                         /* destination unreachable */
			if (ic->code == 4) {    /* fragmentation needed */
				ic->mtu = rd16(p + 6);
				ic->has_mtu = true;
			}
			ic->is_error = true;
			break;
		case 4: case 11:                /* source quench, time exceeded */
			ic->is_error = true;
			break;
		case 12:                        /* parameter problem */
			ic->pointer = p[4];
			ic->has_pointer = true;
			ic->is_error = true;
			break;
		}
	} else {
		switch (ic->type) {
		case 128: case 129:             /* echo request / reply */
			ic->has_echo = true;
			break;
		case 2:                         /* packet too big */
			ic->mtu = ic->rest;
			ic->has_mtu = true;
			ic->is_error = true;
			break;
		case 4:                         /* parameter problem */
			ic->pointer = ic->rest;
			ic->has_pointer = true;
			ic->is_error = true;
			break;
		case 1: case 3:                 /* unreachable, time exceeded */
			ic->is_error = true;
			break;
		}
	}
	if (ic->has_echo) {
		ic->id = rd16(p + 4);
		ic->seq = rd16(p + 6);
	}
}

/* Minimum header bytes we decode per transport (what the kernel's LOG
 * target reads before printing anything beyond PROTO=). */
static uint32_t l4_hdr_len(const struct ip_layer *ip)
{
	switch (ip->proto) {
	case P_TCP:
		return 20;
	case P_UDP:
	case P_UDPLITE:
		return 8;
	case P_ICMP:
		return ip->kind == L3_IPV4 ? 8 : 0;
	case P_ICMPV6:
		return ip->kind == L3_IPV6 ? 8 : 0;
	case P_AH:
		return ip->kind == L3_IPV4 ? 12 : 0;
	case P_ESP:
		return ip->kind == L3_IPV4 ? 8 : 0;
	case P_GRE:
		return 4;
	case P_SCTP:
		return 12;
	default:
		return 0;
	}
}

static void decode_l4(struct ip_layer *ip)
{
	uint32_t need = l4_hdr_len(ip);
	const uint8_t *p;

	ip->l4_avail = ip->avail > ip->l4_off ? ip->avail - ip->l4_off : 0;
	ip->l4_wire = ip->wire_len > ip->l4_off ? ip->wire_len - ip->l4_off : 0;
	if (ip->l4 != L4_ABSENT || need == 0)
		return;
	if (ip->l4_wire < need) {
		ip->l4 = L4_TRUNCATED;
		set_status(ip, DECODE_TRUNC_L4);
		return;
	}
	if (ip->l4_avail < need) {
		ip->l4 = L4_SNAPPED;
		ip->snapped = true;
		set_status(ip, DECODE_TRUNC_L4);
		return;
	}
	p = ip->l3 + ip->l4_off;
	ip->l4 = L4_DECODED;

	switch (ip->proto) {
	case P_TCP: {
		struct l4_tcp *t = &ip->t.tcp;
		uint32_t want;

		t->sport = rd16(p);
		t->dport = rd16(p + 2);
		t->seq = rd32(p + 4);
		t->ack = rd32(p + 8);
		t->doff = p[12] >> 4;
		t->res = (p[12] >> 1) & 7;
		t->flags = (uint16_t)((p[12] & 1) << 8 | p[13]);
		t->window = rd16(p + 14);
		t->check = rd16(p + 16);
		t->urgp = rd16(p + 18);
		if (t->doff < 5) {
			set_status(ip, DECODE_BAD_DOFF);
			break;
		}
		want = t->doff * 4u - 20;
		if (want == 0)
			break;
		if (ip->l4_wire < 20 + want)
			set_status(ip, DECODE_TRUNC_L4_OPTS);
		else if (ip->l4_avail < 20 + want) {
			ip->snapped = true;
			set_status(ip, DECODE_TRUNC_L4_OPTS);
		}
		parse_opts(p + 20, ip->l4_avail - 20 < want ? ip->l4_avail - 20 :
			   want, want, &t->opts);
		break;
	}
	case P_UDP:
	case P_UDPLITE:
		ip->t.udp.sport = rd16(p);
		ip->t.udp.dport = rd16(p + 2);
		ip->t.udp.len = rd16(p + 4);
		ip->t.udp.check = rd16(p + 6);
		break;
	case P_ICMP:
	case P_ICMPV6:
		decode_icmp(ip, p, ip->proto == P_ICMPV6);
		break;
	case P_AH:
		ip->t.spi.spi = rd32(p + 4);
		break;
	case P_ESP:
		ip->t.spi.spi = rd32(p);
		break;
	case P_GRE:
		ip->t.gre.flags_ver = rd16(p);
		ip->t.gre.protocol = rd16(p + 2);
		break;
	case P_SCTP:
		ip->t.sctp.sport = rd16(p);
		ip->t.sctp.dport = rd16(p + 2);
		ip->t.sctp.vtag = rd32(p + 4);
		break;
	}
}

/* The wire length of an outer packet is the larger of what the header says
 * and what we were given (skb->len at the hook).  A quoted packet's wire
 * length comes from the caller. */
static uint32_t wire_from(size_t given, uint32_t hdr_len, size_t avail)
{
	if (given != SIZE_MAX)
		return given > UINT32_MAX ? UINT32_MAX : (uint32_t)given;
	return hdr_len > avail ? hdr_len : (uint32_t)avail;
}

static void decode_ipv4(struct ip_layer *ip, size_t wire_len)
{
	const uint8_t *p = ip->l3;
	uint32_t optlen;

	if (!have(ip, 0, 20, DECODE_TRUNC_L3))
		return;
	if (p[0] >> 4 != 4)
		set_status(ip, DECODE_BAD_VERSION);
	ip->ihl = p[0] & 0x0f;
	ip->tos = p[1];
	ip->pkt_len = rd16(p + 2);
	ip->id = rd16(p + 4);
	ip->frag_word = rd16(p + 6);
	ip->ttl = p[8];
	ip->proto = p[9];
	ip->check = rd16(p + 10);
	memcpy(ip->src, p + 12, 4);
	memcpy(ip->dst, p + 16, 4);
	ip->wire_len = wire_from(wire_len, ip->pkt_len, ip->avail);

	ip->frag_offset = (uint16_t)((ip->frag_word & 0x1fff) * 8);
	ip->more_frags = ip->frag_word & 0x2000;
	ip->fragment = ip->more_frags || ip->frag_offset;
	ip->frag_id = ip->id;

	/* IHL < 5 is nonsense, but the kernel's LOG target reads the next
	 * header at IHL * 4 anyway (it only sees it in quoted packets); we
	 * do the same so the two agree, and say it is bad. */
	if (ip->ihl < 5)
		set_status(ip, DECODE_BAD_IHL);
	ip->l4_off = ip->ihl * 4u;
	if (ip->ihl > 5) {
		optlen = ip->ihl * 4u - 20;
		if (!have(ip, 20, optlen, DECODE_TRUNC_L3_OPTS))
			optlen = ip->avail - 20;
		parse_opts(p + 20, optlen, ip->ihl * 4u - 20, &ip->ipopts);
	}
	if (ip->frag_offset)
		ip->l4 = L4_FRAGMENT;
	decode_l4(ip);
}

static void decode_ipv6(struct ip_layer *ip, size_t wire_len)
{
	const uint8_t *p = ip->l3;
	uint32_t w, ptr;
	uint8_t cur;

	if (!have(ip, 0, 40, DECODE_TRUNC_L3))
		return;
	w = rd32(p);
	if (w >> 28 != 6)
		set_status(ip, DECODE_BAD_VERSION);
	ip->tos = (uint8_t)(w >> 20);
	ip->flowlabel = w & 0xfffff;
	ip->payload_len = rd16(p + 4);
	ip->nexthdr = p[6];
	ip->ttl = p[7];
	memcpy(ip->src, p + 8, 16);
	memcpy(ip->dst, p + 24, 16);
	ip->pkt_len = ip->payload_len + 40u;
	ip->wire_len = wire_from(wire_len, ip->pkt_len, ip->avail);

	/* Walk the extension headers the way the kernel's LOG target does:
	 * stop at "no next header", at ESP (what follows is encrypted), and
	 * at the first non-extension header; after a non-first fragment
	 * nothing further is decoded. */
	ptr = 40;
	cur = ip->nexthdr;
	while (cur != P_NONE && decode_is_exthdr(cur)) {
		struct ext_hdr *e;
		const uint8_t *h;

		if (ip->n_ext == DECODE_MAX_EXTHDRS) {
			set_status(ip, DECODE_ERR_EXT_LOOP);
			ip->l4 = L4_TRUNCATED;
			break;
		}
		e = &ip->ext[ip->n_ext++];
		memset(e, 0, sizeof(*e));
		e->type = cur;
		e->offset = (uint16_t)ptr;
		if (!have(ip, ptr, 2, DECODE_TRUNC_EXTHDR)) {
			ip->l4 = ip->snapped ? L4_SNAPPED : L4_TRUNCATED;
			break;
		}
		h = p + ptr;
		if (cur == P_FRAGMENT) {
			if (!have(ip, ptr, 8, DECODE_TRUNC_EXTHDR)) {
				ip->l4 = ip->snapped ? L4_SNAPPED : L4_TRUNCATED;
				break;
			}
			e->complete = true;
			e->len = 8;
			e->u.frag.offset = rd16(h + 2) & 0xfff8;
			e->u.frag.more = h[3] & 1;
			e->u.frag.id = rd32(h + 4);
			ip->fragment = true;
			ip->more_frags = e->u.frag.more;
			ip->frag_offset = e->u.frag.offset;
			ip->frag_id = e->u.frag.id;
		} else if (cur == P_ESP) {
			if (have(ip, ptr, 8, DECODE_TRUNC_EXTHDR)) {
				e->complete = true;
				e->u.spi = rd32(h);
			}
			ip->proto = cur;
			ip->l4_off = ptr;
			if (ip->l4 == L4_ABSENT)
				ip->l4 = e->complete ? L4_ESP_OPAQUE :
					 ip->snapped ? L4_SNAPPED : L4_TRUNCATED;
			decode_l4(ip);
			return;
		} else if (ip->frag_offset) {
			/* Options after a non-first fragment header are
			 * payload of the fragment, not headers. */
			ip->n_ext--;
			break;
		} else if (cur == P_AH) {
			e->len = (uint16_t)((h[1] + 2) * 4);
			if (have(ip, ptr, 12, DECODE_TRUNC_EXTHDR)) {
				e->complete = true;
				e->u.spi = rd32(h + 4);
			}
		} else {
			e->len = (uint16_t)((h[1] + 1) * 8);
			e->complete = true;
			if (cur == P_ROUTING && have(ip, ptr, 4, DECODE_OK)) {
				e->u.rt.type = h[2];
				e->u.rt.segments_left = h[3];
			}
		}
		cur = h[0];
		ptr += e->len;
	}
	ip->proto = cur;
	ip->l4_off = ptr;
	/* An extension header whose length runs past the packet. */
	if (ip->l4 == L4_ABSENT && ptr > ip->wire_len) {
		set_status(ip, DECODE_TRUNC_EXTHDR);
		ip->l4 = L4_TRUNCATED;
	}
	if (ip->l4 == L4_ABSENT) {
		if (ip->frag_offset)
			ip->l4 = L4_FRAGMENT;
		else if (cur == P_NONE)
			ip->l4 = L4_NONE_NEXT;
	}
	decode_l4(ip);
}

void decode_ip(const uint8_t *buf, size_t avail, size_t wire_len,
	       enum l3_kind family_hint, bool quoted, struct ip_layer *ip)
{
	(void)quoted;
	memset(ip, 0, sizeof(*ip));
	ip->l3 = buf;
	ip->avail = avail > UINT32_MAX ? UINT32_MAX : (uint32_t)avail;
	/* Until the header tells us better, the packet is as long as given. */
	ip->wire_len = wire_from(wire_len, 0, ip->avail);
	if (family_hint == L3_NONE || family_hint == L3_OTHER) {
		if (avail < 1) {
			ip->kind = L3_NONE;
			return;
		}
		family_hint = buf[0] >> 4 == 6 ? L3_IPV6 :
			      buf[0] >> 4 == 4 ? L3_IPV4 : L3_OTHER;
	}
	ip->kind = family_hint;
	if (ip->kind == L3_IPV4)
		decode_ipv4(ip, wire_len);
	else if (ip->kind == L3_IPV6)
		decode_ipv6(ip, wire_len);
}

static enum l3_kind family_of(const struct nflog_meta *m)
{
	if (m->family == NFPROTO_IPV4)
		return L3_IPV4;
	if (m->family == NFPROTO_IPV6)
		return L3_IPV6;
	/* bridge, netdev, inet: the link protocol says what follows */
	if (m->present & NFLOG_HAVE_HWPROTO) {
		if (m->hw_protocol == ETH_P_IP)
			return L3_IPV4;
		if (m->hw_protocol == ETH_P_IPV6)
			return L3_IPV6;
		return L3_OTHER;
	}
	return L3_NONE;
}

void decode_packet(const struct nflog_meta *meta, struct record *rec)
{
	struct ip_layer *ip = &rec->ip;
	enum l3_kind kind = family_of(meta);

	rec->meta = meta;
	rec->has_inner = false;
	if (!meta->payload || meta->payload_len == 0) {
		memset(ip, 0, sizeof(*ip));
		ip->kind = L3_NONE;
		return;
	}
	if (kind == L3_OTHER) {
		memset(ip, 0, sizeof(*ip));
		ip->kind = L3_OTHER;
		ip->l3 = meta->payload;
		ip->avail = (uint32_t)meta->payload_len;
		ip->wire_len = ip->avail;
		return;
	}
	decode_ip(meta->payload, meta->payload_len, SIZE_MAX, kind, false, ip);

	/* ICMP errors quote the offending packet: decode it one level deep. */
	if (ip->l4 == L4_DECODED &&
	    (ip->proto == P_ICMP || ip->proto == P_ICMPV6) &&
	    ip->t.icmp.is_error) {
		decode_ip(ip->l3 + ip->l4_off + 8, ip->l4_avail - 8,
			  ip->l4_wire - 8, ip->kind, true, &rec->inner);
		rec->has_inner = true;
	}
}

bool decode_is_exthdr(uint8_t proto)
{
	switch (proto) {
	case P_HOPOPTS: case P_ROUTING: case P_FRAGMENT: case P_ESP:
	case P_AH: case P_NONE: case P_DSTOPTS:
		return true;
	default:
		return false;
	}
}

const char *decode_ipopt_name(uint8_t kind)
{
	switch (kind) {
	case 0: return "EOL";
	case 1: return "NOP";
	case 7: return "RR";
	case 68: return "TS";
	case 130: return "SEC";
	case 131: return "LSRR";
	case 133: return "ESEC";
	case 134: return "CIPSO";
	case 136: return "SID";
	case 137: return "SSRR";
	case 148: return "RA";
	default: return NULL;
	}
}

const char *decode_tcpopt_name(uint8_t kind)
{
	switch (kind) {
	case 0: return "EOL";
	case 1: return "NOP";
	case 2: return "MSS";
	case 3: return "WS";
	case 4: return "SACK_PERM";
	case 5: return "SACK";
	case 8: return "TS";
	case 19: return "MD5";
	case 29: return "AO";
	case 30: return "MPTCP";
	case 34: return "FASTOPEN";
	default: return NULL;
	}
}

const char *decode_proto_name(uint8_t proto)
{
	switch (proto) {
	case P_ICMP: return "ICMP";
	case 2: return "IGMP";
	case 4: return "IPIP";
	case P_TCP: return "TCP";
	case P_UDP: return "UDP";
	case 41: return "IPV6";
	case P_GRE: return "GRE";
	case P_ESP: return "ESP";
	case P_AH: return "AH";
	case P_ICMPV6: return "ICMPv6";
	case 89: return "OSPF";
	case 103: return "PIM";
	case 112: return "VRRP";
	case P_SCTP: return "SCTP";
	case P_UDPLITE: return "UDPLITE";
	default: return NULL;
	}
}

const char *decode_exthdr_name(uint8_t type)
{
	switch (type) {
	case P_HOPOPTS: return "HOPOPTS";
	case P_ROUTING: return "ROUTING";
	case P_FRAGMENT: return "FRAGMENT";
	case P_ESP: return "ESP";
	case P_AH: return "AH";
	case P_NONE: return "NONE";
	case P_DSTOPTS: return "DSTOPTS";
	default: return NULL;
	}
}

const char *decode_status_str(enum decode_status st)
{
	switch (st) {
	case DECODE_OK: return "ok";
	case DECODE_TRUNC_L3: return "truncated-ip-header";
	case DECODE_TRUNC_L3_OPTS: return "truncated-ip-options";
	case DECODE_TRUNC_EXTHDR: return "truncated-extension-header";
	case DECODE_TRUNC_L4: return "truncated-transport-header";
	case DECODE_TRUNC_L4_OPTS: return "truncated-tcp-options";
	case DECODE_BAD_IHL: return "bad-ihl";
	case DECODE_BAD_VERSION: return "bad-ip-version";
	case DECODE_BAD_DOFF: return "bad-tcp-data-offset";
	case DECODE_ERR_EXT_LOOP: return "too-many-extension-headers";
	}
	return "unknown";
}
