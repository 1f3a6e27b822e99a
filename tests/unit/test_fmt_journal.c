/* Unit tests for common/fmt_journal.c.
 *
 * Packets from a hex table go through a real nfnetlink_log message,
 * nflog_msg_parse() and decode_packet(); the journal fields must then hold
 * exactly the listed values, or be absent.  Every result is also checked
 * for what journald needs and would silently drop otherwise: valid field
 * names, one "KEY=" per iovec, no name twice, all bytes inside the arena,
 * and MESSAGE first and equal to fmt_log()'s line.
 */
#include "decode.h"
#include "fmt_journal.h"
#include "fmt_log.h"
#include "nflog_msg.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>

#define MAXWANT 40

/* --- checking fields ----------------------------------------------------- */

/* journald's rule (journal_field_valid()): [A-Z0-9_], not starting with
 * '_' or a digit, 1..64 characters; anything else is dropped silently. */
static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '_' || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static size_t name_len(const struct iovec *v)
{
	const char *eq = memchr(v->iov_base, '=', v->iov_len);

	REQUIRE(eq, "field without '=': %.*s", (int)v->iov_len,
		      (const char *)v->iov_base);
	return (size_t)(eq - (const char *)v->iov_base);
}

/* The value of field name, or NULL; *len gets its length. */
static const char *field(const struct journal_fields *jf, const char *name,
			 size_t *len)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < jf->n; i++) {
		const char *s = jf->iov[i].iov_base;

		if (name_len(&jf->iov[i]) == nl && !memcmp(s, name, nl)) {
			*len = jf->iov[i].iov_len - nl - 1;
			return s + nl + 1;
		}
	}
	return NULL;
}

/* What every result must satisfy, complete or not. */
static void check_shape(const struct record *rec, const struct journal_ctx *ctx,
			const struct journal_fields *jf, bool complete)
{
	static const char *const head[] = {
		"MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "MESSAGE_ID",
	};
	const char *end = jf->arena + jf->used;
	const char *next = jf->arena;
	static const struct log_ifnames noifn;
	static char line[65536];
	size_t vl;
	const char *v;
	int r;

	REQUIRE(jf->n >= 4 && jf->n <= FMT_JOURNAL_MAX_FIELDS, "%zu fields",
		jf->n);
	REQUIRE(jf->used <= sizeof(jf->arena), "arena overrun: %zu", jf->used);
	for (size_t i = 0; i < jf->n; i++) {
		const struct iovec *iv = &jf->iov[i];
		const char *s = iv->iov_base;
		size_t nl = name_len(iv);

		/* In order, back to back, inside the arena. */
		REQUIRE(s == next && s + iv->iov_len <= end,
			"field %zu not where it belongs", i);
		next = s + iv->iov_len;
		REQUIRE(name_ok(s, nl), "bad field name %.*s", (int)nl, s);
		if (i < 4)
			REQUIRE(nl == strlen(head[i]) &&
				      !memcmp(s, head[i], nl),
				      "field %zu is %.*s", i, (int)nl, s);
		for (size_t k = 0; k < i; k++)
			REQUIRE(name_len(&jf->iov[k]) != nl ||
				      memcmp(jf->iov[k].iov_base, s, nl),
				      "field %.*s twice", (int)nl, s);
	}
	REQUIRE(next == end, "arena bytes in no field");

	/* MESSAGE is the LOG line, whole or (only when short of room)
	 * its beginning. */
	r = fmt_log(rec, ctx && ctx->ifn ? ctx->ifn : &noifn,
		    ctx ? ctx->log_flags : 0, line, sizeof(line));
	REQUIRE(r >= 0, "fmt_log: %d", r);
	v = field(jf, "MESSAGE", &vl);
	REQUIRE(v, "no MESSAGE");
	if (complete)
		REQUIRE(vl == (size_t)r, "MESSAGE is %zu bytes, not %d", vl, r);
	REQUIRE(vl <= (size_t)r && !memcmp(v, line, vl),
		"MESSAGE is not the LOG line: %.*s", (int)vl, v);
}

struct want {
	const char *name;
	const char *value;      /* NULL: must be absent */
};

static void check_wants(const struct journal_fields *jf, const struct want *w,
			const char *name)
{
	for (; w->name; w++) {
		size_t vl;
		const char *v = field(jf, w->name, &vl);

		if (!w->value) {
			ck_assert_msg(!v, "%s: %s should be absent, is %.*s",
				      name, w->name, (int)vl, v);
			continue;
		}
		ck_assert_msg(v, "%s: %s missing", name, w->name);
		ck_assert_msg(vl == strlen(w->value) &&
			      !memcmp(v, w->value, vl),
			      "%s: %s is '%.*s', want '%s'", name, w->name,
			      (int)vl, v, w->value);
	}
}

/* --- the table ----------------------------------------------------------- */

struct journal_case {
	const char *name;
	struct tu_msg_spec msg;
	struct log_ifnames ifn;
	struct journal_ctx ctx; /* .ifn is set to &ifn */
	struct want want[MAXWANT];
};

#define V4 .family = NFPROTO_IPV4, .hwproto = 0x0800
#define V6 .family = NFPROTO_IPV6, .hwproto = 0x86dd

static const struct journal_case cases[] = {
	{ "ipv4 tcp syn, full metadata",
	  { V4, .group = 5, .hook = 1, .pkt = TU_SYN_10_1_TO_10_2,
	    .prefix = "DROP in: ", .indev = 2, .mark = 0x10,
	    .has_seq = true, .seq = 7, .seq_global = 70,
	    .hwaddr = "525400123456",
	    .hwheader = "02000000000a 525400123456 0800", .hwtype = 1 },
	  { .in = "eth0" },
	  { .priority = 4, .rule = "ssh-drop", .log_flags = LOG_F_ALL },
	  { { "PRIORITY", "4" },
	    { "SYSLOG_IDENTIFIER", "nflogd" },
	    { "MESSAGE_ID", FMT_JOURNAL_PACKET_MESSAGE_ID },
	    { "NFLOG_PREFIX", "DROP in: " },
	    { "NFLOG_RULE", "ssh-drop" },
	    { "NFLOG_GROUP", "5" },
	    { "NFLOG_FAMILY", "ipv4" },
	    { "NFLOG_HOOK", "input" },
	    { "NFLOG_SEQ", "7" },
	    { "NFLOG_SEQ_GLOBAL", "70" },
	    { "IN", "eth0" },
	    { "NFLOG_INDEV", "2" },
	    { "OUT", NULL },
	    { "NFLOG_OUTDEV", NULL },
	    { "MAC", "02:00:00:00:00:0a:52:54:00:12:34:56:08:00" },
	    { "MACSRC", "52:54:00:12:34:56" },
	    { "SRC", "10.0.0.1" },
	    { "DST", "10.0.0.2" },
	    { "LEN", "60" },
	    { "TOS", "0x00" },
	    { "PREC", "0x00" },
	    { "TTL", "64" },
	    { "ID", "7238" },
	    { "IP_FLAGS", "DF" },
	    { "FRAG", NULL },
	    { "PROTO", "TCP" },
	    { "SPT", "54321" },
	    { "DPT", "22" },
	    { "SEQ", "305419896" },
	    { "ACK", "0" },
	    { "WINDOW", "64240" },
	    { "URGP", "0" },
	    { "TCP_FLAGS", "SYN" },
	    { "TCP_OPTIONS", "MSS=1460 SACK_PERM TS=123/0 WS=7" },
	    { "MARK", "0x10" },
	    { "UID", NULL },
	    { "DECODE_STATUS", NULL },
	    { "DECODE_L4", NULL },
	    { NULL, NULL } } },

	{ "ipv4 tcp flags, tos, sack, unknown and repeated options",
	  { V4, .pkt =
	    "45b9 0040 0001 0000 4006 0000 c0a80101 c0a80102"
	    "0050 c000 00000001 00000002 b1d2 0100 0000 0007"
	    "050a 00000001 00000002 fe04 f989 020405dc 02040218 0101" },
	  { 0 }, { .priority = 7, .identifier = "fw" },
	  { { "PRIORITY", "7" },
	    { "SYSLOG_IDENTIFIER", "fw" },
	    { "TOS", "0x18" },
	    { "PREC", "0xA0" },
	    { "TCP_FLAGS", "AE CWR ECE ACK SYN" },
	    { "TCP_OPTIONS", "SACK=1-2 OPT254=F989 MSS=1500 MSS=536" },
	    { "IP_FLAGS", NULL },
	    { "NFLOG_PREFIX", NULL },
	    { "NFLOG_RULE", NULL },
	    { "IN", NULL },
	    { "MAC", NULL },
	    { "MARK", NULL },
	    { NULL, NULL } } },

	{ "ipv4 tcp, malformed options, no flags",
	  { V4, .pkt =
	    "4500 0030 0001 0000 4006 0000 c0a80101 c0a80102"
	    "0050 c000 00000001 00000002 7000 0100 0000 0000"
	    "02040218 0801 0000" },
	  { 0 }, { .priority = 0 },
	  { { "PRIORITY", "0" },
	    { "TCP_FLAGS", "" },
	    { "TCP_OPTIONS", "MSS=536 MALFORMED" },
	    { NULL, NULL } } },

	{ "ipv6 udp",
	  { V6, .group = 1, .hook = 0, .prefix = "v6 ", .pkt =
	    "6b81 2345 0010 11 40"
	    "20010db8 00000000 00000000 00000001"
	    "20010db8 00000000 00010000 00000002"
	    "0035 3039 0010 abcd 0102030405060708" },
	  { 0 }, { .priority = -1 },
	  { { "PRIORITY", "4" },
	    { "NFLOG_FAMILY", "ipv6" },
	    { "NFLOG_HOOK", "prerouting" },
	    { "SRC", "2001:db8::1" },
	    { "DST", "2001:db8::1:0:0:2" },
	    { "LEN", "56" },
	    { "TC", "184" },
	    { "HOPLIMIT", "64" },
	    { "FLOWLBL", "74565" },
	    { "PROTO", "UDP" },
	    { "SPT", "53" },
	    { "DPT", "12345" },
	    { "UDP_LEN", "16" },
	    { "TOS", NULL },
	    { "TTL", NULL },
	    { "ID", NULL },
	    { "IPV6_EXT", NULL },
	    { NULL, NULL } } },

	{ "ipv4 icmp echo request, uid",
	  { V4, .hook = 3, .outdev = 3, .has_uid = true, .uid = 1000,
	    .gid = 100, .pkt =
	    "4500 001c 0000 4000 4001 0000 0a000001 08080808"
	    "0800 f7fe 1234 0001" },
	  { .out = "wan0" }, { .log_flags = LOG_F_UID },
	  { { "NFLOG_HOOK", "output" },
	    { "OUT", "wan0" },
	    { "NFLOG_OUTDEV", "3" },
	    { "PROTO", "ICMP" },
	    { "ICMP_TYPE", "8" },
	    { "ICMP_CODE", "0" },
	    { "ICMP_ID", "4660" },
	    { "ICMP_SEQ", "1" },
	    { "ICMP_MTU", NULL },
	    { "UID", "1000" },
	    { "GID", "100" },
	    { "SPT", NULL },
	    { NULL, NULL } } },

	{ "ipv4 icmp port unreachable quoting udp",
	  { V4, .pkt =
	    "45c0 0038 0000 0000 4001 0000 0a000002 0a000001"
	    "0303 0000 00000000"
	    "4500 001c abcd 0000 4011 0000 0a000001 0a000002"
	    "04d2 0035 0008 0000" },
	  { 0 }, { 0 },
	  { { "TOS", "0x00" },
	    { "PREC", "0xC0" },
	    { "ICMP_TYPE", "3" },
	    { "ICMP_CODE", "3" },
	    { "ICMP_ID", NULL },
	    { "SRC", "10.0.0.2" },
	    { "QUOTED_SRC", "10.0.0.1" },
	    { "QUOTED_DST", "10.0.0.2" },
	    { "QUOTED_PROTO", "UDP" },
	    { "QUOTED_SPT", "1234" },
	    { "QUOTED_DPT", "53" },
	    { "SPT", NULL },
	    { NULL, NULL } } },

	{ "ipv4 icmp frag needed, quoted header cut",
	  { V4, .pkt =
	    "4500 0024 0000 0000 4001 0000 0a000002 0a000001"
	    "0304 0000 0000 05dc"
	    "4500 05dc 0000 4000" },
	  { 0 }, { 0 },
	  { { "ICMP_MTU", "1500" },
	    { "QUOTED_SRC", NULL },
	    { "DECODE_STATUS", NULL },
	    { NULL, NULL } } },

	{ "ipv4 icmp redirect",
	  { V4, .pkt =
	    "4500 0038 0000 0000 4001 0000 0a000001 0a000002"
	    "0501 0000 0a0000fe"
	    "4500 001c 0000 0000 4006 0000 0a000002 08080808"
	    "0400 0050 00000000" },
	  { 0 }, { 0 },
	  { { "ICMP_GATEWAY", "10.0.0.254" },
	    { "QUOTED_PROTO", "TCP" },
	    { "QUOTED_SPT", NULL },
	    { NULL, NULL } } },

	{ "ipv6 non-first fragment",
	  { V6, .pkt =
	    "6000 0000 0010 2c 40"
	    "20010db8 00000000 00000000 00000001"
	    "20010db8 00000000 00000000 00000002"
	    "1100 05a9 deadbeef 0102030405060708" },
	  { 0 }, { 0 },
	  { { "IPV6_EXT", "FRAGMENT" },
	    { "FRAG", "1448" },
	    { "FRAG_ID", "3735928559" },
	    { "PROTO", "UDP" },
	    { "SPT", NULL },
	    { "DECODE_L4", "fragment" },
	    { "DECODE_STATUS", NULL },
	    { NULL, NULL } } },

	{ "ipv4 first fragment, ip options, snapped tcp",
	  { V4, .snap = 30, .pkt =
	    "4600 0064 0102 2000 4006 0000 0a000001 0a000002 94040000"
	    "0050 0051 00000000 00000000 5002 0000 0000 0000" },
	  { 0 }, { .log_flags = LOG_F_IPOPT },
	  { { "IP_FLAGS", "MF" },
	    { "FRAG", "0" },
	    { "FRAG_ID", "258" },
	    { "IP_OPTIONS", "94040000" },
	    { "PROTO", "TCP" },
	    { "SPT", NULL },
	    { "TCP_FLAGS", NULL },
	    { "DECODE_STATUS", "truncated-transport-header" },
	    { "DECODE_L4", "snapped" },
	    { "DECODE_SNAPPED", "1" },
	    { NULL, NULL } } },

	{ "ipv4 truncated ip header",
	  { V4, .pkt = "4500 0014 0000 0000 40" },
	  { 0 }, { 0 },
	  { { "DECODE_STATUS", "truncated-ip-header" },
	    { "SRC", NULL },
	    { "PROTO", NULL },
	    { "DECODE_L4", NULL },
	    { NULL, NULL } } },

	{ "ipv6 esp",
	  { V6, .pkt =
	    "6000 0000 0010 32 40"
	    "20010db8 00000000 00000000 00000001"
	    "20010db8 00000000 00000000 00000002"
	    "00001001 00000001 0000000000000000" },
	  { 0 }, { 0 },
	  { { "IPV6_EXT", "ESP" },
	    { "PROTO", "ESP" },
	    { "SPI", "4097" },
	    { "DECODE_L4", "esp-opaque" },
	    { NULL, NULL } } },

	{ "ipv4 ah",
	  { V4, .pkt =
	    "4500 0024 0000 0000 4033 0000 0a000001 0a000002"
	    "0604 0000 0000beef 00000001 00000000" },
	  { 0 }, { 0 },
	  { { "PROTO", "AH" },
	    { "SPI", "48879" },
	    { "DECODE_L4", NULL },
	    { NULL, NULL } } },

	{ "bridge arp",
	  { .family = NFPROTO_BRIDGE, .hwproto = 0x0806, .hook = 0,
	    .physindev = 4, .indev = 5, .pkt =
	    "0001 0800 0604 0001 525400123456 0a000001 000000000000 0a000002" },
	  { .in = "br0", .physin = "veth0" }, { 0 },
	  { { "NFLOG_FAMILY", "bridge" },
	    { "IN", "veth0" },
	    { "PHYSIN", "veth0" },
	    { "NFLOG_INDEV", "5" },
	    { "NFLOG_PHYSINDEV", "4" },
	    { "OUT", NULL },
	    { "SRC", NULL },
	    { "PROTO", NULL },
	    { "DECODE_STATUS", NULL },
	    { NULL, NULL } } },

	{ "prefix with newline and trailing spaces",
	  { V4, .pkt = TU_SYN_10_1_TO_10_2, .prefix = "two\nlines  " },
	  { 0 }, { 0 },
	  { { "NFLOG_PREFIX", "two\nlines  " },
	    { NULL, NULL } } },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static struct journal_fields jf;

START_TEST(test_table)
{
	const struct journal_case *c = &cases[_i];
	static struct tu_built b;
	struct journal_ctx ctx = c->ctx;
	int r;

	tu_build(&c->msg, &b);
	ctx.ifn = &c->ifn;
	memset(&jf, 0xa5, sizeof(jf));
	r = fmt_journal(&b.rec, &ctx, &jf);
	ck_assert_int_eq(r, (int)jf.n);
	check_shape(&b.rec, &ctx, &jf, true);
	check_wants(&jf, c->want, c->name);
}
END_TEST

START_TEST(test_ct)
{
	static struct tu_built b;
	const struct tu_msg_spec s = { V4, .pkt = TU_SYN_10_1_TO_10_2 };
	struct nflog_meta m;
	static const struct want want[] = {
		{ "CT_STATE", "new" },
		{ "CT_ID", "42" },
		{ "CT_STATUS", "0x8" },
		{ "CT_MARK", "0xff" },
		{ "CT_ZONE", "3" },
		{ "CT_ORIG_SRC", "2001:db8::1" },
		{ "CT_ORIG_DST", "::ffff:10.0.0.2" },
		{ "CT_ORIG_PROTO", "TCP" },
		{ "CT_ORIG_SPT", "54321" },
		{ "CT_ORIG_DPT", "22" },
		{ NULL, NULL } };
	static const struct want want_info_only[] = {
		{ "CT_STATE", "99" },
		{ "CT_ID", NULL },
		{ NULL, NULL } };
	int r;

	tu_build(&s, &b);
	m = b.meta;
	tu_meta_add_ct(&m);
	b.rec.meta = &m;
	r = fmt_journal(&b.rec, NULL, &jf);
	ck_assert_int_eq(r, (int)jf.n);
	check_shape(&b.rec, NULL, &jf, true);
	check_wants(&jf, want, "ct");

	m.ct_info = 99;
	m.present &= ~(uint32_t)NFLOG_HAVE_CT;
	r = fmt_journal(&b.rec, NULL, &jf);
	ck_assert_int_eq(r, (int)jf.n);
	check_wants(&jf, want_info_only, "ct info only");
}
END_TEST

/* conntrack's INVALID reasons: the FIN/ACK this kernel (6.18) logged on
 * group 0 with conntrack active, nf_log/2 = nfnetlink_log and
 * nf_conntrack_log_invalid = 6 (10.99.0.2:40000 -> 10.99.0.1:80, no
 * connection), and other prefixes. */
#define CT_FINACK \
	"4500 0028 0001 0000 4006 6607 0a630002 0a630001" \
	"9c40 0050 000003e8 000007d0 5011 2000 d2c2 0000"

static const struct {
	const char *name;
	const char *prefix;
	bool ct_invalid;        /* journal_ctx.ct_invalid */
	const struct want want[5];
} ct_inv[] = {
	{ "kernel FIN/ACK", "nf_ct_proto_6: invalid new ", true, {
		{ "CT_INVALID_REASON", "invalid new" },
		{ "CT_INVALID_PROTO", "6" },
		{ "CT_INVALID_HELPER", NULL },
		{ "NFLOG_PREFIX", "nf_ct_proto_6: invalid new " },
		{ NULL, NULL } } },
	{ "not the ct_invalid rule", "nf_ct_proto_6: invalid new ", false, {
		{ "CT_INVALID_REASON", NULL },
		{ "CT_INVALID_PROTO", NULL },
		{ NULL, NULL } } },
	{ "another prefix", "DROP ", true, {
		{ "CT_INVALID_REASON", NULL },
		{ "CT_INVALID_PROTO", NULL },
		{ NULL, NULL } } },
	{ "SEQ over upper bound",
	  "nf_ct_proto_6: SEQ is over upper bound 2849249045 (over the window "
	  "of the receiver) ", true, {
		{ "CT_INVALID_REASON", "SEQ is over upper bound 2849249045 "
				       "(over the window of the receiver)" },
		{ "CT_INVALID_PROTO", "6" },
		{ NULL, NULL } } },
	{ "helper", "nf_ct_ftp: dropping packet: partial response ", true, {
		{ "CT_INVALID_REASON", "partial response" },
		{ "CT_INVALID_PROTO", "0" },
		{ "CT_INVALID_HELPER", "ftp" },
		{ NULL, NULL } } },
	{ "newline stays in the value", "nf_ct_proto_17: a\nB=1 ", true, {
		{ "CT_INVALID_REASON", "a\nB=1" },
		{ "B", NULL },
		{ NULL, NULL } } },
};

START_TEST(test_ct_invalid)
{
	static struct tu_built b;
	const struct tu_msg_spec s = { V4, .group = 0, .pkt = CT_FINACK,
				       .prefix = ct_inv[_i].prefix,
				       .indev = 3 };
	struct journal_ctx ctx = { .rule = "ct_invalid",
				   .ct_invalid = ct_inv[_i].ct_invalid };
	int r;

	tu_build(&s, &b);
	r = fmt_journal(&b.rec, &ctx, &jf);
	ck_assert_int_eq(r, (int)jf.n);
	check_shape(&b.rec, &ctx, &jf, true);
	check_wants(&jf, ct_inv[_i].want, ct_inv[_i].name);
}
END_TEST

/* Every byte 0x01..0xff in a real prefix: NFLOG_PREFIX carries them all,
 * unchanged (the iovec has the length); MESSAGE is fmt_log's, escaped. */
START_TEST(test_all_bytes)
{
	static struct tu_built b;
	char pfx[256];
	struct tu_msg_spec s = { V4, .pkt = TU_SYN_10_1_TO_10_2,
				 .prefix = pfx };
	const char *v;
	size_t vl;
	int r;

	for (int i = 1; i < 256; i++)
		pfx[i - 1] = (char)i;
	pfx[255] = 0;
	tu_build(&s, &b);
	r = fmt_journal(&b.rec, NULL, &jf);
	ck_assert_int_eq(r, (int)jf.n);
	check_shape(&b.rec, NULL, &jf, true);
	v = field(&jf, "NFLOG_PREFIX", &vl);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(vl, 255);
	ck_assert(!memcmp(v, pfx, 255));
	v = field(&jf, "MESSAGE", &vl);
	ck_assert_ptr_null(memchr(v, '\n', vl));
}
END_TEST

/* A prefix too long for the arena (only a pcap file can carry one): the
 * fields that fit are all there, MESSAGE first and whole (fmt_log cuts the
 * line at the kernel's length), NFLOG_PREFIX left out, -ENOSPC. */
START_TEST(test_enospc)
{
	static struct tu_built b;
	static char pfx[7000];
	const struct tu_msg_spec s = { V4, .pkt = TU_SYN_10_1_TO_10_2,
				       .indev = 2 };
	struct log_ifnames ifn = { .in = "eth0" };
	struct journal_ctx ctx = { .ifn = &ifn };
	static const struct want want[] = {
		{ "NFLOG_PREFIX", NULL },
		{ "SRC", "10.0.0.1" },
		{ "TCP_OPTIONS", "MSS=1460 SACK_PERM TS=123/0 WS=7" },
		{ "IN", "eth0" },
		{ NULL, NULL } };
	struct nflog_meta m;
	size_t vl;
	int r;

	memset(pfx, 'A', sizeof(pfx));
	tu_build(&s, &b);
	m = b.meta;
	m.present |= NFLOG_HAVE_PREFIX;
	m.prefix = pfx;
	m.prefix_len = sizeof(pfx);
	b.rec.meta = &m;
	r = fmt_journal(&b.rec, &ctx, &jf);
	ck_assert_int_eq(r, -ENOSPC);
	check_shape(&b.rec, &ctx, &jf, true);
	check_wants(&jf, want, "enospc");

	/* A long prefix that fits is all there. */
	m.prefix_len = 1500;
	r = fmt_journal(&b.rec, &ctx, &jf);
	ck_assert_int_eq(r, (int)jf.n);
	check_shape(&b.rec, &ctx, &jf, true);
	ck_assert_ptr_nonnull(field(&jf, "NFLOG_PREFIX", &vl));
	ck_assert_uint_eq(vl, 1500);
}
END_TEST

/* The largest record we can think of (see test_fmt_json.c) fits the
 * arena whole: every field, MESSAGE uncut, with all LOG flags. */
START_TEST(test_worst_case)
{
	static struct tu_built b;
	char pfx[128], name[16], rule[65];
	struct log_ifnames ifn = { name, name, name, name };
	struct journal_ctx ctx = { .ifn = &ifn, .rule = rule,
				   .identifier = rule,
				   .log_flags = LOG_F_ALL };
	struct nflog_meta m;
	int r;

	memset(pfx, 0xff, sizeof(pfx) - 1);
	pfx[sizeof(pfx) - 1] = 0;
	memset(name, 0xff, sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	memset(rule, 'R', sizeof(rule) - 1);
	rule[sizeof(rule) - 1] = 0;
	tu_build_worst_case(&b, &m, pfx, false);
	m.ct.orig_proto = 6;
	ck_assert(b.rec.has_inner);
	r = fmt_journal(&b.rec, &ctx, &jf);
	ck_assert_int_eq(r, (int)jf.n);
	check_shape(&b.rec, &ctx, &jf, true);
	ck_assert_uint_lt(jf.used, sizeof(jf.arena) - 1024);

	/* and the same prefix as conntrack's reason, 112 bytes of it */
	memcpy(pfx, "nf_ct_proto_6: ", 15);
	tu_build_worst_case(&b, &m, pfx, false);
	m.ct.orig_proto = 6;
	ctx.ct_invalid = true;
	r = fmt_journal(&b.rec, &ctx, &jf);
	ck_assert_int_eq(r, (int)jf.n);
	check_shape(&b.rec, &ctx, &jf, true);
	ck_assert_uint_lt(jf.used, sizeof(jf.arena) - 1024);
	{
		size_t vl;

		ck_assert_ptr_nonnull(field(&jf, "CT_INVALID_REASON", &vl));
		ck_assert_uint_eq(vl, 112);
	}
}
END_TEST

/* --- random records ------------------------------------------------------ */

START_TEST(test_random)
{
	static struct tu_random_rec rr;
	uint64_t seed = 0x2545f4914f6cdd1dull + (uint64_t)_i;

	tu_rng = seed;
	for (int iter = 0; iter < 4000; iter++) {
		struct log_ifnames ifn = { .in = (const char *)rr.pfx + 1,
					   .out = "o\xff\"\n" };
		struct journal_ctx ctx = {
			.ifn = &ifn, .rule = "r",
			.log_flags = tu_rnd() & LOG_F_ALL,
			.priority = (int)(tu_rnd() % 10) - 1,
			.ct_invalid = iter & 1,
		};
		size_t pl;
		int r;

		pl = tu_random_record(&rr, false);
		/* now and then a reason of random bytes */
		if (iter % 4 == 1 && pl > 15)
			memcpy(rr.pfx, "nf_ct_proto_6: ", 15);
		r = fmt_journal(&rr.rec, &ctx, &jf);
		REQUIRE(r > 0, "seed %llx iter %d: %d",
			   (unsigned long long)seed, iter, r);
		REQUIRE(r == (int)jf.n, "%d, %zu fields", r, jf.n);
		check_shape(&rr.rec, &ctx, &jf, true);
	}
}
END_TEST

static Suite *journal_suite(void)
{
	Suite *s = suite_create("fmt_journal");
	TCase *tc = tcase_create("fmt_journal");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_table, 0, (int)NCASES);
	tcase_add_test(tc, test_ct);
	tcase_add_loop_test(tc, test_ct_invalid, 0,
			    (int)(sizeof(ct_inv) / sizeof(ct_inv[0])));
	tcase_add_test(tc, test_all_bytes);
	tcase_add_test(tc, test_enospc);
	tcase_add_test(tc, test_worst_case);
	tcase_add_loop_test(tc, test_random, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(journal_suite());
}
