#include "testutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

struct nlmsghdr *tu_nflog_begin(void *buf, uint8_t family, uint16_t group)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(group);
	return nlh;
}

void tu_nflog_put_packet(struct nlmsghdr *nlh, uint16_t hw_protocol,
			 const void *pkt, size_t len)
{
	struct nfulnl_msg_packet_hdr ph = { .hw_protocol = htons(hw_protocol) };

	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put(nlh, NFULA_PAYLOAD, len, pkt);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t tu_unhex(const char *hex, uint8_t *out, size_t size)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (isspace((unsigned char)*hex) || *hex == ':')
			continue;
		v = hexval((unsigned char)*hex);
		if (v < 0 || (hi < 0 && n >= size)) {
			fprintf(stderr, "tu_unhex: bad hex or too long at '%s'\n", hex);
			abort();
		}
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		fprintf(stderr, "tu_unhex: odd number of digits\n");
		abort();
	}
	return n;
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long sz;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)sz + 1);
		if (buf && fread(buf, 1, (size_t)sz, f) == (size_t)sz) {
			buf[sz] = 0;
			*len = (size_t)sz;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

uint16_t tu_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint8_t *tu_exact_copy(const void *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(q);
	memcpy(q, p, n);
	return q;
}

/* --- packets with length markers ------------------------------------------ */

size_t tu_mkpkt(const char *hex, uint8_t *out, size_t size)
{
	char tmp[16384];
	size_t marks[8], kinds[8], nm = 0, digits = 0, n;

	ck_assert_uint_lt(strlen(hex), sizeof(tmp));
	strcpy(tmp, hex);
	for (char *p = tmp; *p; p++) {
		if (p[0] == 'L' || p[0] == 'P') {
			ck_assert_msg(strncmp(p, "LLLL", 4) == 0 ||
				      strncmp(p, "PPPP", 4) == 0, "bad marker");
			ck_assert_uint_lt(nm, 8);
			ck_assert_msg(digits % 2 == 0, "marker not byte-aligned");
			kinds[nm] = (size_t)p[0];
			marks[nm++] = digits / 2;
			memcpy(p, "0000", 4);
			p += 3;
			digits += 4;
		} else if ((p[0] >= '0' && p[0] <= '9') ||
			   (p[0] >= 'a' && p[0] <= 'f') ||
			   (p[0] >= 'A' && p[0] <= 'F')) {
			digits++;
		}
	}
	n = tu_unhex(tmp, out, size);
	for (size_t i = 0; i < nm; i++) {
		size_t at = marks[i], v;

		if (kinds[i] == 'L')
			v = n - (at - 2);       /* from the IPv4 header */
		else
			v = n - (at - 4) - 40;  /* after the IPv6 header */
		out[at] = (uint8_t)(v >> 8);
		out[at + 1] = (uint8_t)v;
	}
	return n;
}

#define TU_SRC6 "20010db8000000000000000000000001"
#define TU_DST6 "20010db8000000000000000000000002"

const char *const tu_seeds[] = {
	/* TCP/IPv6 through the whole extension chain, with options */
	"62a12345 PPPP 00 40" TU_SRC6 TU_DST6
	"2b00 0104 00000000"
	"3c02 0401 00000000 20010db8000000000000000000000009"
	"2c00 0104 00000000" "3300 0001 12345678"
	"0604 0000 00000100 00000001 000000000000000000000000"
	"3039 0050 00000001 00000000 a002 7210 0000 0000"
	"020405b4 0402080a 00000001 00000000 01030307",
	/* TCP/IPv4 with IP and TCP options */
	"4f00 LLLL 0001 4000 4006 0000 c0a80001 c0a80002"
	"01070b04 00000000 00000000 44080501 00000000 830704c0 a8000189"
	"07040a00 00019404 00000000"
	"3039 0050 00000001 00000000 f002 7210 0000 0000"
	"020405b4 0402080a 00000001 00000000 01030307 1312"
	"00112233445566778899aabbccddeeff 0000",
	/* ICMP error quoting IPv4 with options and TCP */
	"45c0 LLLL 0001 0000 4001 beef c0a80001 c0a80002"
	"0304 0000 0000 05c8"
	"4600 05dc 0777 4000 3f06 0000 c0a80002 0a000009 94040000"
	"3039 0050 00000001 00000000 6002 7210 0000 0000 020405b4",
	/* ICMPv6 error quoting IPv6 with a fragment header */
	"62a12345 PPPP 3a 40" TU_SRC6 TU_DST6
	"0200 0000 00000500"
	"60000000 05b0 2c 3f" TU_DST6 TU_SRC6
	"1100 0001 12345678 1f90 0035 05b0 0000",
};

const int tu_nseeds = (int)(sizeof(tu_seeds) / sizeof(tu_seeds[0]));

size_t tu_random_bytes(uint8_t *buf, bool ip_like)
{
	size_t len = (size_t)(rand() % 201);

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)rand();
	if (len && ip_like)
		buf[0] = (uint8_t)((rand() & 1 ? 0x40 : 0x60) |
				   (buf[0] & 0x0f));
	return len;
}

size_t tu_mutate(uint8_t *mut, const uint8_t *pkt, size_t n)
{
	size_t len = n;
	int flips = 1 + rand() % 4;

	memcpy(mut, pkt, n);
	for (int j = 0; j < flips; j++) {
		size_t at = (size_t)rand() % n;

		/* Mostly the headers, where the lengths are. */
		if (rand() % 4)
			at %= 80 < n ? 80 : n;
		if (rand() % 3)
			mut[at] = (uint8_t)rand();
		else
			mut[at] ^= (uint8_t)(1u << (rand() % 8));
	}
	if (rand() % 3 == 0)
		len = (size_t)rand() % (n + 1);
	return len;
}

/* --- NFLOG messages from a spec ------------------------------------------- */

static void put_be32(struct nlmsghdr *nlh, uint16_t type, uint32_t v)
{
	mnl_attr_put_u32(nlh, type, htonl(v));
}

void tu_build(const struct tu_msg_spec *s, struct tu_built *b)
{
	struct nlmsghdr *nlh = tu_nflog_begin(b->msg, s->family, s->group);
	uint8_t tmp[256];
	size_t n;

	if (s->pkt) {
		struct nfulnl_msg_packet_hdr ph = {
			.hw_protocol = htons(s->hwproto), .hook = s->hook,
		};

		n = tu_unhex(s->pkt, b->pkt, sizeof(b->pkt));
		if (s->snap && s->snap < n)
			n = s->snap;
		mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
		mnl_attr_put(nlh, NFULA_PAYLOAD, n, b->pkt);
	}
	if (s->prefix)
		mnl_attr_put_strz(nlh, NFULA_PREFIX, s->prefix);
	if (s->indev)
		put_be32(nlh, NFULA_IFINDEX_INDEV, s->indev);
	if (s->outdev)
		put_be32(nlh, NFULA_IFINDEX_OUTDEV, s->outdev);
	if (s->physindev)
		put_be32(nlh, NFULA_IFINDEX_PHYSINDEV, s->physindev);
	if (s->physoutdev)
		put_be32(nlh, NFULA_IFINDEX_PHYSOUTDEV, s->physoutdev);
	if (s->has_uid) {
		put_be32(nlh, NFULA_UID, s->uid);
		put_be32(nlh, NFULA_GID, s->gid);
	}
	if (s->mark)
		put_be32(nlh, NFULA_MARK, s->mark);
	if (s->ts_sec) {
		struct nfulnl_msg_packet_timestamp ts = {
			.sec = htobe64((uint64_t)s->ts_sec),
			.usec = htobe64(s->ts_usec),
		};

		mnl_attr_put(nlh, NFULA_TIMESTAMP, sizeof(ts), &ts);
	}
	if (s->has_seq) {
		put_be32(nlh, NFULA_SEQ, s->seq);
		put_be32(nlh, NFULA_SEQ_GLOBAL, s->seq_global);
	}
	if (s->hwaddr) {
		struct nfulnl_msg_packet_hw hw;

		memset(&hw, 0, sizeof(hw));
		n = tu_unhex(s->hwaddr, hw.hw_addr, sizeof(hw.hw_addr));
		hw.hw_addrlen = htons((uint16_t)n);
		mnl_attr_put(nlh, NFULA_HWADDR, sizeof(hw), &hw);
	}
	if (s->hwheader) {
		n = tu_unhex(s->hwheader, tmp, sizeof(tmp));
		mnl_attr_put_u16(nlh, NFULA_HWTYPE, htons(s->hwtype));
		mnl_attr_put_u16(nlh, NFULA_HWLEN, htons((uint16_t)n));
		mnl_attr_put(nlh, NFULA_HWHEADER, n, tmp);
	}
	ck_assert_int_eq(nflog_msg_parse(nlh, &b->meta), 0);
	decode_packet(&b->meta, &b->rec);
}

void tu_meta_add_ct(struct nflog_meta *m)
{
	m->present |= NFLOG_HAVE_CT | NFLOG_HAVE_CT_INFO;
	m->ct_info = NFLOG_CT_NEW;
	m->ct.present = NFLOG_CT_HAVE_ID | NFLOG_CT_HAVE_STATUS |
			NFLOG_CT_HAVE_MARK | NFLOG_CT_HAVE_ORIG |
			NFLOG_CT_HAVE_ORIG_PORTS | NFLOG_CT_HAVE_ZONE;
	m->ct.id = 42;
	m->ct.status = 8;
	m->ct.mark = 255;
	m->ct.zone = 3;
	m->ct.orig_family = AF_INET6;
	m->ct.orig_proto = 6;
	inet_pton(AF_INET6, "2001:db8::1", m->ct.orig_src);
	inet_pton(AF_INET6, "::ffff:10.0.0.2", m->ct.orig_dst);
	m->ct.orig_sport = 54321;
	m->ct.orig_dport = 22;
}

void tu_build_worst_case(struct tu_built *b, struct nflog_meta *m,
			 const char *pfx, bool with_ts)
{
	static const char opts20[] =
		"9902 9902 9902 9902 9902 9902 9902 9902 9902 9902"
		"9902 9902 9902 9902 9902 9902 9902 9902 9902 9902";
	char pkt[1024];
	struct tu_msg_spec s = { .family = NFPROTO_IPV4, .hwproto = 0x0800,
				 .pkt = pkt, .prefix = pfx, .indev = 1,
				 .outdev = 2, .physindev = 3, .physoutdev = 4,
				 .has_uid = true, .uid = 4294967295u,
				 .gid = 4294967295u, .mark = 4294967295u,
				 .has_seq = true, .seq = 4294967295u,
				 .seq_global = 4294967295u,
				 .hwaddr = "ffffffffffffffff",
				 .hwheader = "ffffffffffff ffffffffffff 0800",
				 .hwtype = 1 };

	if (with_ts) {
		s.ts_sec = 253402300799;
		s.ts_usec = 999999;
	}
	snprintf(pkt, sizeof(pkt),
		 "4fff 00bc ffff e000 ff01 ffff ffffffff ffffffff %s"
		 "0303 ffff 00000000"
		 "4fff 0078 ffff e000 ff06 ffff ffffffff ffffffff %s"
		 "ffff ffff ffffffff ffffffff f1ff ffff ffff ffff %s",
		 opts20, opts20, "c802 c802 c802 c802 c802 c802 c802 c802 c802"
		 " c802 c802 c802 c802 c802 c802 c802 c802 c802 c802 c802");
	tu_build(&s, b);
	*m = b->meta;
	m->present |= NFLOG_HAVE_CT | NFLOG_HAVE_CT_INFO;
	m->ct.present = 0xff;
	m->ct.orig_family = AF_INET6;
	memset(m->ct.orig_src, 0xff, 16);
	memset(m->ct.orig_dst, 0xff, 16);
	m->ct.id = m->ct.status = m->ct.mark = 4294967295u;
	b->rec.meta = m;
}

/* --- random records ------------------------------------------------------- */

uint64_t tu_rng;

uint32_t tu_rnd(void)
{
	tu_rng ^= tu_rng >> 12;
	tu_rng ^= tu_rng << 25;
	tu_rng ^= tu_rng >> 27;
	return (uint32_t)((tu_rng * UINT64_C(2685821657736338717)) >> 32);
}

/* Bytes that look enough like IP to get deep into the decoder. */
static size_t random_packet(uint8_t *p, size_t max)
{
	static const uint8_t protos[] = {
		1, 6, 17, 58, 50, 51, 47, 132, 136, 0, 43, 44, 60, 59, 2,
	};
	size_t n = tu_rnd() % max;

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)tu_rnd();
	if (n > 0 && tu_rnd() % 8)
		p[0] = (uint8_t)(tu_rnd() % 2 ? 0x40 | (5 + tu_rnd() % 11) :
				 0x60);
	if (n > 9 && tu_rnd() % 4)
		p[9] = protos[tu_rnd() % sizeof(protos)];
	if (n > 6 && tu_rnd() % 4)
		p[6] = protos[tu_rnd() % sizeof(protos)];
	if (n > 22 && p[0] >> 4 == 4 && tu_rnd() % 2) {
		p[6] &= 0xe0;   /* mostly unfragmented */
		p[7] = 0;
	}
	return n;
}

size_t tu_random_record(struct tu_random_rec *r, bool with_ts)
{
	struct nflog_meta *m = &r->m;
	size_t pl = tu_rnd() % sizeof(r->pfx);

	memset(m, 0, sizeof(*m));
	m->family = tu_rnd() % 2 ? NFPROTO_IPV4 :
		    tu_rnd() % 2 ? NFPROTO_IPV6 : (uint8_t)tu_rnd();
	m->present = tu_rnd();
	m->hw_protocol = tu_rnd() % 2 ? 0x0800 : (uint16_t)tu_rnd();
	m->hook = (uint8_t)(tu_rnd() % 8);
	for (size_t i = 0; i < pl; i++)
		r->pfx[i] = (uint8_t)tu_rnd();
	r->pfx[pl] = 0;
	r->pfx[sizeof(r->pfx) - 1] = 0;
	m->prefix = (const char *)r->pfx;
	m->prefix_len = pl;
	m->hwaddr_len = (uint16_t)(tu_rnd() % 12);      /* > 8: clamped */
	m->hwheader = r->hdr;
	m->hwheader_len = tu_rnd() % sizeof(r->hdr);
	m->hwtype = tu_rnd() % 2 ? 1 : (uint16_t)tu_rnd();
	if (with_ts) {
		m->ts_sec = (int64_t)tu_rnd() << (tu_rnd() % 32);
		m->ts_usec = tu_rnd() % 2 ? tu_rnd() % 1000000 : tu_rnd();
	}
	m->ct_info = tu_rnd() % 7;
	m->ct.present = tu_rnd();
	m->ct.orig_family = tu_rnd() % 2 ? AF_INET : AF_INET6;
	m->payload = r->pkt;
	m->payload_len = random_packet(r->pkt, sizeof(r->pkt));
	decode_packet(m, &r->rec);
	return pl;
}
