/* ct_reason: conntrack's INVALID reasons from NFLOG prefixes, table-driven:
 * the kernel's forms (one captured from this machine's kernel), truncated
 * and malformed prefixes, and every cut of each valid one under ASan. */
#include <stdlib.h>
#include <string.h>

#include "ct_reason.h"
#include "testutil.h"

struct ct_case {
	const char *name;
	const char *prefix;
	size_t len;             /* 0: strlen(prefix) */
	bool ok;
	int protocol;
	const char *helper;     /* NULL: the protocol form */
	const char *reason;
};

#define L(s) s, sizeof(s) - 1

static const struct ct_case cases[] = {
	/* captured from this machine's kernel (6.18) in a network namespace
	 * (nft "ct state invalid counter", nf_log.2/10 = nfnetlink_log,
	 * nf_conntrack_log_invalid = 255, tcpdump -i nflog:0): */
	/* a stray FIN/ACK (no connection), and the RST it provoked */
	{ "kernel FIN/ACK no conn", "nf_ct_proto_6: invalid new ", 0,
	  true, 6, NULL, "invalid new" },
	{ "kernel SYN+FIN", "nf_ct_proto_6: invalid tcp flag combination ", 0,
	  true, 6, NULL, "invalid tcp flag combination" },
	{ "kernel SEQ beyond the window",
	  "nf_ct_proto_6: SEQ is over upper bound 64342 (over the window of "
	  "the receiver) ", 0, true, 6, NULL,
	  "SEQ is over upper bound 64342 (over the window of the receiver)" },
	{ "kernel ACK of unsent data",
	  "nf_ct_proto_6: ACK is over upper bound 1702349187 (ACKed data not "
	  "seen yet) ", 0, true, 6, NULL,
	  "ACK is over upper bound 1702349187 (ACKed data not seen yet)" },
	{ "kernel TCP checksum", "nf_ct_proto_6: bad checksum ", 0, true, 6,
	  NULL, "bad checksum" },
	{ "kernel UDP checksum", "nf_ct_proto_17: bad checksum ", 0, true, 17,
	  NULL, "bad checksum" },
	{ "kernel ICMP checksum", "nf_ct_proto_1: bad hw icmp checksum ", 0,
	  true, 1, NULL, "bad hw icmp checksum" },
	{ "kernel ICMP type", "nf_ct_proto_1: invalid icmp type ", 0, true, 1,
	  NULL, "invalid icmp type" },
	/* from the kernel sources */
	{ "SEQ over upper bound",
	  "nf_ct_proto_6: SEQ is over upper bound 2849249045 (over the "
	  "window of the receiver) ", 0, true, 6, NULL,
	  "SEQ is over upper bound 2849249045 (over the window of the "
	  "receiver)" },
	{ "ACK over upper bound",
	  "nf_ct_proto_6: ACK is over upper bound 1 (ACKed data not seen "
	  "yet) ", 0, true, 6, NULL,
	  "ACK is over upper bound 1 (ACKed data not seen yet)" },
	{ "invalid state", "nf_ct_proto_6: invalid state ", 0, true, 6, NULL,
	  "invalid state" },
	{ "icmp", "nf_ct_proto_1: invalid icmp type ", 0, true, 1, NULL,
	  "invalid icmp type" },
	{ "icmpv6", "nf_ct_proto_58: invalid new ", 0, true, 58, NULL,
	  "invalid new" },
	{ "udp", "nf_ct_proto_17: short packet ", 0, true, 17, NULL,
	  "short packet" },
	{ "sctp 3 digits", "nf_ct_proto_132: bad checksum ", 0, true, 132,
	  NULL, "bad checksum" },
	{ "proto 255", "nf_ct_proto_255: x ", 0, true, 255, NULL, "x" },
	{ "proto 0", "nf_ct_proto_0: x", 0, true, 0, NULL, "x" },
	{ "no trailing space (cut at 127)",
	  "nf_ct_proto_6: SEQ is under lower bound 12 (already ACKed da", 0,
	  true, 6, NULL, "SEQ is under lower bound 12 (already ACKed da" },
	{ "several trailing spaces", "nf_ct_proto_6: a b   ", 0, true, 6,
	  NULL, "a b" },
	{ "inner colon", "nf_ct_proto_6: a: b ", 0, true, 6, NULL, "a: b" },
	{ "NUL ends it", L("nf_ct_proto_6: invalid new \0garbage"), true, 6,
	  NULL, "invalid new" },
	{ "helper ftp", "nf_ct_ftp: dropping packet: partial response ", 0,
	  true, 0, "ftp", "partial response" },
	{ "helper with dot", "nf_ct_Q.931: dropping packet: H.245 ", 0, true,
	  0, "Q.931", "H.245" },
	{ "helper with dash",
	  "nf_ct_netbios-ns: dropping packet: cannot add expectation ", 0,
	  true, 0, "netbios-ns", "cannot add expectation" },
	{ "helper, newer kernels",
	  "helper sip dropping packet: cannot parse SDP message ", 0, true, 0,
	  "sip", "cannot parse SDP message" },
	{ "helper gone, newer kernels",
	  "helper (null) dropping packet: cannot add expectation ", 0, true, 0,
	  NULL, "cannot add expectation" },
	/* 127 bytes, the most nf_log_packet() writes */
	{ "longest", "nf_ct_proto_6: "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, true, 6, NULL,
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ "longest before a NUL", L("nf_ct_proto_6: "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\0bbbbbbbbbbbbbbbb"),
	  true, 6, NULL,
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },

	/* not conntrack's */
	{ "empty", "", 0, false, 0, NULL, NULL },
	{ "user prefix", "DROP IN: ", 0, false, 0, NULL, NULL },
	{ "nft prefix lookalike", "nf_ct_proto_x: a ", 0, false, 0, NULL,
	  NULL },
	{ "no number", "nf_ct_proto_: a ", 0, false, 0, NULL, NULL },
	{ "leading zero", "nf_ct_proto_06: a ", 0, false, 0, NULL, NULL },
	{ "over 255", "nf_ct_proto_256: a ", 0, false, 0, NULL, NULL },
	{ "4 digits", "nf_ct_proto_1000: a ", 0, false, 0, NULL, NULL },
	{ "negative", "nf_ct_proto_-6: a ", 0, false, 0, NULL, NULL },
	{ "no space after colon", "nf_ct_proto_6:a ", 0, false, 0, NULL,
	  NULL },
	{ "no colon", "nf_ct_proto_6 a ", 0, false, 0, NULL, NULL },
	{ "empty reason", "nf_ct_proto_6: ", 0, false, 0, NULL, NULL },
	{ "only spaces", "nf_ct_proto_6:    ", 0, false, 0, NULL, NULL },
	{ "cut after number", "nf_ct_proto_6", 0, false, 0, NULL, NULL },
	{ "cut after colon", "nf_ct_proto_6:", 0, false, 0, NULL, NULL },
	{ "cut in name", "nf_ct_pro", 0, false, 0, NULL, NULL },
	{ "leading space", " nf_ct_proto_6: a ", 0, false, 0, NULL, NULL },
	{ "upper case", "NF_CT_PROTO_6: a ", 0, false, 0, NULL, NULL },
	{ "NUL inside name", L("nf_ct_pr\0oto_6: a "), false, 0, NULL, NULL },
	{ "helper cut", "nf_ct_ftp: dropping pa", 0, false, 0, NULL, NULL },
	{ "helper empty reason", "nf_ct_ftp: dropping packet: ", 0, false, 0,
	  NULL, NULL },
	{ "helper without text", "nf_ct_ftp: partial response ", 0, false, 0,
	  NULL, NULL },
	{ "helper empty name", "nf_ct_: dropping packet: x ", 0, false, 0,
	  NULL, NULL },
	{ "helper name too long",
	  "nf_ct_abcdefghijklmnop: dropping packet: x ", 0, false, 0, NULL,
	  NULL },
	{ "helper name with space", "nf_ct_a b: dropping packet: x ", 0,
	  false, 0, NULL, NULL },
	{ "newer helper, no name", "helper  dropping packet: x ", 0, false,
	  0, NULL, NULL },
	{ "newer helper, old separator", "helper sip: dropping packet: x ", 0,
	  false, 0, NULL, NULL },
	{ "helper name with parentheses", "nf_ct_(sip): dropping packet: x ",
	  0, false, 0, NULL, NULL },
	/* 128 bytes: longer than anything the kernel writes (a pcap file
	 * can carry it) */
	{ "too long", "nf_ct_proto_6: "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, false, 0,
	  NULL, NULL },
	{ "garbage", L("\xff\xfe\x00nf_ct_proto_6: x"), false, 0, NULL, NULL },
	{ "binary after the name", L("nf_ct_proto_6\x00: x "), false, 0, NULL,
	  NULL },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static size_t case_len(const struct ct_case *c)
{
	return c->len ? c->len : strlen(c->prefix);
}

START_TEST(test_table)
{
	const struct ct_case *c = &cases[_i];
	size_t len = case_len(c);
	/* exactly len bytes, no NUL after them: a read past trips ASan */
	uint8_t *buf = tu_exact_copy(c->prefix, len);
	struct ct_reason r, before;
	bool ok;

	memset(&r, 0x5a, sizeof(r));
	before = r;
	ok = ct_reason_parse((const char *)buf, len, &r);
	ck_assert_msg(ok == c->ok, "%s: parse returned %d", c->name, ok);
	if (!ok) {
		ck_assert_msg(memcmp(&r, &before, sizeof(r)) == 0,
			      "%s: out written on failure", c->name);
		free(buf);
		return;
	}
	ck_assert_int_eq(r.protocol, c->protocol);
	if (c->helper) {
		ck_assert_ptr_nonnull(r.helper);
		ck_assert_uint_eq(r.helper_len, strlen(c->helper));
		ck_assert(memcmp(r.helper, c->helper, r.helper_len) == 0);
	} else {
		ck_assert_ptr_null(r.helper);
		ck_assert_uint_eq(r.helper_len, 0);
	}
	ck_assert_uint_eq(r.reason_len, strlen(c->reason));
	ck_assert_msg(memcmp(r.reason, c->reason, r.reason_len) == 0,
		      "%s: reason '%.*s'", c->name, (int)r.reason_len,
		      r.reason);
	/* the result points into the caller's buffer */
	ck_assert((const uint8_t *)r.reason >= buf &&
		  (const uint8_t *)r.reason + r.reason_len <= buf + len);
	free(buf);
}
END_TEST

/* Every cut of every prefix, each in a buffer of exactly that size: never
 * a read past the end, and a result only when the cut still holds the
 * separator and a reason, the reason then being a prefix of the whole. */
START_TEST(test_cuts)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct ct_case *c = &cases[i];
		size_t len = case_len(c);

		for (size_t k = 0; k <= len; k++) {
			uint8_t *buf = tu_exact_copy(c->prefix, k);
			struct ct_reason r;
			bool ok = ct_reason_parse((const char *)buf, k, &r);

			/* a prefix refused for its length alone parses
			 * when cut short enough */
			if (ok && !c->ok) {
				REQUIRE(len > CT_REASON_PREFIX_MAX,
					"%s cut at %zu: parsed", c->name, k);
			} else if (ok) {
				REQUIRE(r.protocol == c->protocol,
					"%s cut at %zu: protocol", c->name, k);
				REQUIRE(r.reason_len > 0 &&
					r.reason_len <= strlen(c->reason) &&
					memcmp(r.reason, c->reason,
					       r.reason_len) == 0,
					"%s cut at %zu: reason", c->name, k);
			}
			free(buf);
		}
	}
}
END_TEST

START_TEST(test_null)
{
	struct ct_reason r;

	ck_assert(!ct_reason_parse(NULL, 0, &r));
	ck_assert(!ct_reason_parse("nf_ct_proto_6: x", 0, &r));
}
END_TEST

/* Random bytes behind the protocol form's start: never a crash, and a
 * result always satisfies the contract. */
START_TEST(test_random)
{
	unsigned int seed = 0x4354u + (unsigned int)_i;
	uint8_t buf[160];

	for (int n = 0; n < 20000; n++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));
		size_t keep = (size_t)(rand_r(&seed) % 20);
		struct ct_reason r;
		uint8_t *copy;

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)(rand_r(&seed) % 4 ?
					   " :_0123456789abcdefnpt"[rand_r(&seed) % 22] :
					   rand_r(&seed));
		if (keep > len)
			keep = len;
		memcpy(buf, "nf_ct_proto_6: x", keep < 16 ? keep : 16);
		copy = tu_exact_copy(buf, len);
		if (ct_reason_parse((const char *)copy, len, &r)) {
			REQUIRE(r.reason_len > 0 &&
				r.reason[r.reason_len - 1] != ' ',
				"seed %u: reason", seed);
			REQUIRE((const uint8_t *)r.reason >= copy &&
				(const uint8_t *)r.reason + r.reason_len <=
				copy + len, "seed %u: bounds", seed);
			REQUIRE(!memchr(r.reason, 0, r.reason_len),
				"seed %u: NUL in reason", seed);
		}
		free(copy);
	}
}
END_TEST

static Suite *ct_reason_suite(void)
{
	Suite *s = suite_create("ct_reason");
	TCase *tc = tcase_create("ct_reason");

	tcase_add_loop_test(tc, test_table, 0, (int)NCASES);
	tcase_add_test(tc, test_cuts);
	tcase_add_test(tc, test_null);
	tcase_add_loop_test(tc, test_random, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(ct_reason_suite());
}
