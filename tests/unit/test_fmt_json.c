/* Unit tests for common/fmt_json.c.
 *
 * Packets are written as hex in a table, wrapped in a real nfnetlink_log
 * message (tu_nflog_begin + attributes), parsed by nflog_msg_parse(),
 * decoded by decode_packet() and formatted; the JSON is parsed back with
 * json-c in strict, UTF-8-validating mode, must be consumed whole, and the
 * listed paths must hold the listed values (or be absent).  Every output
 * is also checked for raw control bytes, invalid UTF-8 and repeated keys,
 * which json-c would let through.  Then: hostile strings, every buffer
 * size, and seeded random records.
 */
#include "decode.h"
#include "fmt_json.h"
#include "nflog_msg.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/netfilter.h>

#define MAXWANT 48

/* --- checking JSON ------------------------------------------------------- */

/* Strict UTF-8 (RFC 3629) and no byte below 0x20 or DEL anywhere. */
static void check_bytes(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		unsigned c = p[i], need, cp;

		REQUIRE(c >= 0x20 && c != 0x7f, "raw byte 0x%02x at %zu",
			      c, i);
		if (c < 0x80) {
			i++;
			continue;
		}
		need = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
		REQUIRE(c >= 0xc2 && c <= 0xf4, "bad lead at %zu", i);
		REQUIRE(i + need < n, "cut sequence at %zu", i);
		cp = c & (0x3f >> need);
		for (unsigned k = 1; k <= need; k++) {
			REQUIRE((p[i + k] & 0xc0) == 0x80,
				      "bad continuation at %zu", i + k);
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		REQUIRE(cp >= (need == 1 ? 0x80u : need == 2 ? 0x800u :
				     0x10000u), "overlong at %zu", i);
		REQUIRE(cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff),
			      "bad code point at %zu", i);
		i += need + 1;
	}
}

/* json-c keeps the last of two equal keys without a word: find them in
 * the text.  Our keys never need escapes, so raw comparison is exact. */
static void check_unique_keys(const char *s, size_t n)
{
	struct level {
		bool obj;
		size_t nk;
		const char *k[64];
		size_t kl[64];
	} st[16];
	int d = -1;
	bool want_key = false;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '"') {
			size_t j = i + 1;

			while (j < n && s[j] != '"')
				j += s[j] == '\\' ? 2 : 1;
			if (d >= 0 && st[d].obj && want_key) {
				struct level *l = &st[d];
				const char *key = s + i + 1;
				size_t kl = j - i - 1;

				for (size_t k = 0; k < l->nk; k++)
					REQUIRE(l->kl[k] != kl ||
						memcmp(l->k[k], key, kl),
						"repeated key %.*s", (int)kl, key);
				REQUIRE(l->nk < 64, "too many keys");
				l->k[l->nk] = key;
				l->kl[l->nk++] = kl;
				want_key = false;
			}
			i = j;
		} else if (c == '{' || c == '[') {
			REQUIRE(d < 15, "too deep");
			d++;
			st[d].obj = c == '{';
			st[d].nk = 0;
			want_key = c == '{';
		} else if (c == '}' || c == ']') {
			d--;
			want_key = false;
		} else if (c == ',') {
			want_key = d >= 0 && st[d].obj;
		}
	}
	REQUIRE(d == -1, "unbalanced brackets");
}

/* Parse the whole of s as one JSON value, or fail the test. */
static struct json_object *parse_all(const char *s, size_t n)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	REQUIRE(tok, "json_tokener_new");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
			       JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)n);
	REQUIRE(o && json_tokener_get_error(tok) == json_tokener_success,
		      "not JSON (%s): %s",
		      json_tokener_error_desc(json_tokener_get_error(tok)), s);
	REQUIRE(json_tokener_get_parse_end(tok) == n,
		"trailing bytes after %zu: %s", json_tokener_get_parse_end(tok), s);
	json_tokener_free(tok);
	REQUIRE(json_object_is_type(o, json_type_object), "not an object");
	check_bytes(s, n);
	check_unique_keys(s, n);
	return o;
}

/* Format rec and parse the result; the caller puts the object. */
static struct json_object *format(const struct record *rec,
				  const struct json_ctx *ctx, char *out,
				  size_t size)
{
	int r = fmt_json(rec, ctx, out, size);

	REQUIRE(r > 0, "fmt_json: %d", r);
	REQUIRE(strlen(out) == (size_t)r, "NUL not at %d", r);
	return parse_all(out, (size_t)r);
}

/* "a.b.0.c": members by name, array elements by index. */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o;
	     tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array)) {
			char *end;
			long i = strtol(tok, &end, 10);

			o = *end ? NULL :
			    json_object_array_get_idx(o, (size_t)i);
		} else if (!json_object_object_get_ex(o, tok, &o)) {
			o = NULL;
		}
	}
	return o;
}

struct want {
	const char *path;
	const char *json;       /* expected value as JSON text; NULL: absent */
};

static void check_wants(struct json_object *o, const struct want *w,
			const char *name, const char *text)
{
	for (; w->path; w++) {
		struct json_object *got = jget(o, w->path);
		struct json_object *exp;

		if (!w->json) {
			ck_assert_msg(!got, "%s: %s should be absent in %s",
				      name, w->path, text);
			continue;
		}
		ck_assert_msg(got, "%s: %s missing in %s", name, w->path, text);
		exp = json_tokener_parse(w->json);
		ck_assert_msg(exp, "bad expectation %s", w->json);
		ck_assert_msg(json_object_equal(got, exp),
			      "%s: %s is %s, want %s", name, w->path,
			      json_object_to_json_string_ext(got,
					JSON_C_TO_STRING_PLAIN), w->json);
		json_object_put(exp);
	}
}

/* --- the table ----------------------------------------------------------- */

struct json_case {
	const char *name;
	struct tu_msg_spec msg;
	struct log_ifnames ifn;
	struct json_ctx ctx;    /* .ifn is set to &ifn */
	struct want want[MAXWANT];
};

#define V4 .family = NFPROTO_IPV4, .hwproto = 0x0800
#define V6 .family = NFPROTO_IPV6, .hwproto = 0x86dd

static const struct json_case cases[] = {
	{ "ipv4 tcp syn, full metadata",
	  { V4, .group = 5, .hook = 1, .pkt = TU_SYN_10_1_TO_10_2,
	    .prefix = "DROP in: ", .indev = 2, .mark = 0x10,
	    .ts_sec = 1700000000, .ts_usec = 123456, .has_seq = true,
	    .seq = 7, .seq_global = 70, .hwaddr = "525400123456",
	    .hwheader = "02000000000a 525400123456 0800", .hwtype = 1 },
	  { .in = "eth0" },
	  { .rule = "ssh-drop", .host = "fw1", .action = "drop",
	    .now_sec = 1700000001, .now_usec = 5 },
	  { { "@timestamp", "\"2023-11-14T22:13:20.123456Z\"" },
	    { "ecs.version", "\"8.11.0\"" },
	    { "nflogd.schema_version", "1" },
	    { "event.kind", "\"event\"" },
	    { "event.category", "[\"network\"]" },
	    { "event.type", "[\"denied\"]" },
	    { "event.action", "\"drop\"" },
	    { "event.dataset", "\"nflogd.packet\"" },
	    { "event.created", "\"2023-11-14T22:13:21.000005Z\"" },
	    { "rule.name", "\"ssh-drop\"" },
	    { "observer.hostname", "\"fw1\"" },
	    { "observer.ingress.interface", "{\"name\":\"eth0\",\"id\":\"2\"}" },
	    { "nflog.indev_name", NULL },
	    { "observer.egress", NULL },
	    { "source", "{\"ip\":\"10.0.0.1\",\"port\":54321,"
			"\"mac\":\"52-54-00-12-34-56\"}" },
	    { "destination", "{\"ip\":\"10.0.0.2\",\"port\":22,"
			     "\"mac\":\"02-00-00-00-00-0A\"}" },
	    { "network", "{\"type\":\"ipv4\",\"transport\":\"tcp\","
			 "\"iana_number\":\"6\",\"bytes\":60}" },
	    { "nflog.group", "5" },
	    { "nflog.family", "\"ipv4\"" },
	    { "nflog.prefix", "\"DROP in: \"" },
	    { "nflog.hook", "1" },
	    { "nflog.hook_name", "\"input\"" },
	    { "nflog.hw_protocol", "2048" },
	    { "nflog.seq", "7" },
	    { "nflog.seq_global", "70" },
	    { "nflog.indev", "2" },
	    { "nflog.mark", "16" },
	    { "nflog.hwaddr", "\"52:54:00:12:34:56\"" },
	    { "nflog.hwheader", "\"02:00:00:00:00:0a:52:54:00:12:34:56:08:00\"" },
	    { "nflog.hwtype", "1" },
	    { "nflog.caplen", "60" },
	    { "nflog.uid", NULL },
	    { "nflog.ct", NULL },
	    { "ip", "{\"version\":4,\"ihl\":5,\"tos\":0,\"dscp\":0,\"ecn\":0,"
		    "\"len\":60,\"id\":7238,\"ttl\":64,\"flags\":[\"DF\"],"
		    "\"frag_offset\":0,\"checksum\":0,\"protocol\":6}" },
	    { "tcp.seq", "305419896" },
	    { "tcp.ack", "0" },
	    { "tcp.data_offset", "10" },
	    { "tcp.reserved", "0" },
	    { "tcp.flags", "[\"SYN\"]" },
	    { "tcp.window", "64240" },
	    { "tcp.checksum", "4660" },
	    { "tcp.urgent_pointer", "0" },
	    { "tcp.options", "{\"raw\":\"020405b40402080a0000007b0000000001030307\","
			     "\"mss\":1460,\"sack_permitted\":true,"
			     "\"timestamp\":{\"val\":123,\"ecr\":0},\"wscale\":7}" },
	    { "decode", "{\"status\":\"ok\",\"l3\":\"ipv4\",\"l4\":\"decoded\"}" },
	    { "icmp", NULL },
	    { NULL, NULL } } },

	{ "ipv4 tcp flags, sack, unknown and repeated options",
	  { V4, .pkt =
	    "4500 0040 0001 0000 4006 0000 c0a80101 c0a80102"
	    "0050 c000 00000001 00000002 b1d2 0100 0000 0007"
	    "050a 00000001 00000002 fe04 f989 020405dc 02040218 0101" },
	  { 0 }, { 0 },
	  { { "tcp.flags", "[\"AE\",\"CWR\",\"ECE\",\"ACK\",\"SYN\"]" },
	    { "tcp.reserved", "0" },
	    { "tcp.urgent_pointer", "7" },
	    { "tcp.options.sack", "[[1,2]]" },
	    { "tcp.options.mss", "1500" },
	    { "tcp.options.other", "[{\"kind\":254,\"len\":4,\"data\":\"f989\"},"
				   "{\"kind\":2,\"len\":4,\"data\":\"0218\"}]" },
	    { "tcp.options.malformed", NULL },
	    { "ip.flags", "[]" },
	    { "@timestamp", NULL },
	    { "event.type", "[\"info\"]" },
	    { "event.action", NULL },
	    { "event.created", NULL },
	    { "rule", NULL },
	    { "observer", NULL },
	    { "source.mac", NULL },
	    { "source.port", "80" },
	    { "destination.port", "49152" },
	    { "nflog.prefix", NULL },
	    { NULL, NULL } } },

	{ "ipv4 tcp options malformed (length 1)",
	  { V4, .pkt =
	    "4500 0030 0001 0000 4006 0000 c0a80101 c0a80102"
	    "0050 c000 00000001 00000002 7010 0100 0000 0000"
	    "02040218 0801 0000" },
	  { 0 }, { 0 },
	  { { "tcp.options.malformed", "true" },
	    { "tcp.options.mss", "536" },
	    { "tcp.options.timestamp", NULL },
	    { "decode.status", "\"ok\"" },
	    { NULL, NULL } } },

	{ "ipv6 udp, traffic class, flow label, rfc 5952 addresses",
	  { V6, .group = 1, .hook = 0, .prefix = "v6 ",
	    .ts_sec = 951782400, .ts_usec = 0, .pkt =
	    "6b81 2345 0010 11 40"
	    "20010db8 00000000 00000000 00000001"
	    "20010db8 00000000 00010000 00000002"
	    "0035 3039 0010 abcd 0102030405060708" },
	  { 0 }, { .now_sec = 5 },
	  { { "@timestamp", "\"2000-02-29T00:00:00.000000Z\"" },
	    { "event.created", "\"1970-01-01T00:00:05.000000Z\"" },
	    { "source.ip", "\"2001:db8::1\"" },
	    { "destination.ip", "\"2001:db8::1:0:0:2\"" },
	    { "source.port", "53" },
	    { "destination.port", "12345" },
	    { "network", "{\"type\":\"ipv6\",\"transport\":\"udp\","
			 "\"iana_number\":\"17\",\"bytes\":56}" },
	    { "ip", "{\"version\":6,\"traffic_class\":184,\"dscp\":46,"
		    "\"ecn\":0,\"len\":56,\"flow_label\":74565,"
		    "\"payload_length\":16,\"hop_limit\":64,"
		    "\"next_header\":17}" },
	    { "udp", "{\"length\":16,\"checksum\":43981}" },
	    { "nflog.hook_name", "\"prerouting\"" },
	    { "nflog.family", "\"ipv6\"" },
	    { "decode.l4", "\"decoded\"" },
	    { NULL, NULL } } },

	{ "ipv4 icmp echo request",
	  { V4, .hook = 3, .outdev = 3, .has_uid = true, .uid = 1000,
	    .gid = 100, .pkt =
	    "4500 001c 0000 4000 4001 0000 0a000001 08080808"
	    "0800 f7fe 1234 0001" },
	  { .out = "wan0" }, { .now_sec = 1782483691, .now_usec = 999999 },
	  { { "@timestamp", "\"2026-06-26T14:21:31.999999Z\"" },
	    { "event.created", NULL },
	    { "icmp", "{\"type\":8,\"code\":0,\"checksum\":63486,\"id\":4660,"
		      "\"seq\":1}" },
	    { "network.transport", "\"icmp\"" },
	    { "network.iana_number", "\"1\"" },
	    { "source.port", NULL },
	    { "observer.egress.interface", "{\"name\":\"wan0\",\"id\":\"3\"}" },
	    { "observer.ingress", NULL },
	    { "nflog.uid", "1000" },
	    { "nflog.gid", "100" },
	    { "nflog.hook_name", "\"output\"" },
	    { NULL, NULL } } },

	{ "ipv4 icmp port unreachable quoting udp",
	  { V4, .pkt =
	    "45c0 0038 0000 0000 4001 0000 0a000002 0a000001"
	    "0303 0000 00000000"
	    "4500 001c abcd 0000 4011 0000 0a000001 0a000002"
	    "04d2 0035 0008 0000" },
	  { 0 }, { 0 },
	  { { "icmp.type", "3" },
	    { "icmp.code", "3" },
	    { "icmp.quoted.source", "{\"ip\":\"10.0.0.1\",\"port\":1234}" },
	    { "icmp.quoted.destination", "{\"ip\":\"10.0.0.2\",\"port\":53}" },
	    { "icmp.quoted.network", "{\"type\":\"ipv4\",\"transport\":\"udp\","
				     "\"iana_number\":\"17\"}" },
	    { "icmp.quoted.ip.id", "43981" },
	    { "icmp.quoted.udp", "{\"length\":8,\"checksum\":0}" },
	    { "icmp.quoted.decode", "{\"status\":\"ok\",\"l3\":\"ipv4\","
				    "\"l4\":\"decoded\"}" },
	    { "ip.tos", "192" },
	    { "ip.dscp", "48" },
	    { NULL, NULL } } },

	{ "ipv4 icmp frag needed with mtu",
	  { V4, .pkt =
	    "4500 0024 0000 0000 4001 0000 0a000002 0a000001"
	    "0304 0000 0000 05dc"
	    "4500 05dc 0000 4000" },
	  { 0 }, { 0 },
	  { { "icmp.mtu", "1500" },
	    { "icmp.quoted.decode.status", "\"truncated-ip-header\"" },
	    { "icmp.quoted.ip", NULL },
	    { "icmp.quoted.source", NULL },
	    { NULL, NULL } } },

	{ "ipv6 non-first fragment",
	  { V6, .pkt =
	    "6000 0000 0010 2c 40"
	    "20010db8 00000000 00000000 00000001"
	    "20010db8 00000000 00000000 00000002"
	    "1100 05a9 deadbeef 0102030405060708" },
	  { 0 }, { 0 },
	  { { "ip.ext_headers", "[{\"type\":\"FRAGMENT\",\"proto\":44,"
				"\"len\":8,\"offset\":1448,"
				"\"id\":3735928559,\"more\":true}]" },
	    { "ip.fragment", "{\"offset\":1448,\"more\":true,"
			     "\"id\":3735928559}" },
	    { "ip.next_header", "44" },
	    { "network.transport", "\"udp\"" },
	    { "decode.l4", "\"fragment\"" },
	    { "udp", NULL },
	    { "source.port", NULL },
	    { NULL, NULL } } },

	{ "ipv4 first fragment with router alert option, snapped tcp",
	  { V4, .snap = 30, .pkt =
	    "4600 0064 0102 2000 4006 0000 0a000001 0a000002 94040000"
	    "0050 0051 00000000 00000000 5002 0000 0000 0000" },
	  { 0 }, { 0 },
	  { { "ip.ihl", "6" },
	    { "ip.flags", "[\"MF\"]" },
	    { "ip.fragment", "{\"offset\":0,\"more\":true,\"id\":258}" },
	    { "ip.options", "{\"raw\":\"94040000\",\"list\":[{\"kind\":148,"
			    "\"name\":\"RA\",\"len\":4,\"data\":\"0000\"}]}" },
	    { "decode", "{\"status\":\"truncated-transport-header\","
			"\"l3\":\"ipv4\",\"l4\":\"snapped\",\"snapped\":true}" },
	    { "tcp", NULL },
	    { "nflog.caplen", "30" },
	    { "network.bytes", "100" },
	    { NULL, NULL } } },

	{ "ipv4 truncated ip header",
	  { V4, .pkt = "4500 0014 0000 0000 40" },
	  { 0 }, { 0 },
	  { { "decode", "{\"status\":\"truncated-ip-header\",\"l3\":\"ipv4\"}" },
	    { "ip", NULL },
	    { "source", NULL },
	    { "network", "{\"type\":\"ipv4\"}" },
	    { NULL, NULL } } },

	{ "ipv6 esp is opaque",
	  { V6, .pkt =
	    "6000 0000 0010 32 40"
	    "20010db8 00000000 00000000 00000001"
	    "20010db8 00000000 00000000 00000002"
	    "00001001 00000001 0000000000000000" },
	  { 0 }, { 0 },
	  { { "esp", "{\"spi\":4097}" },
	    { "network.transport", "\"esp\"" },
	    { "decode.l4", "\"esp-opaque\"" },
	    { NULL, NULL } } },

	{ "ipv4 gre",
	  { V4, .pkt =
	    "4500 0018 0000 0000 402f 0000 0a000001 0a000002"
	    "2000 0800" },
	  { 0 }, { 0 },
	  { { "gre", "{\"flags\":[\"K\"],\"version\":0,\"protocol\":2048}" },
	    { "network.transport", "\"gre\"" },
	    { NULL, NULL } } },

	{ "bridge arp is not ip; the port is the ingress interface",
	  { .family = NFPROTO_BRIDGE, .hwproto = 0x0806, .hook = 0,
	    .indev = 5, .physindev = 4, .pkt =
	    "0001 0800 0604 0001 525400123456 0a000001 000000000000 0a000002" },
	  { .in = "br0", .physin = "veth0" }, { 0 },
	  { { "nflog.family", "\"bridge\"" },
	    { "nflog.hw_protocol", "2054" },
	    { "observer.ingress.interface", "{\"name\":\"veth0\",\"id\":\"4\"}" },
	    { "nflog.indev", "5" },
	    { "nflog.indev_name", "\"br0\"" },
	    { "nflog.physindev", "4" },
	    { "nflog.physindev_name", NULL },
	    { "decode", "{\"status\":\"ok\",\"l3\":\"other\"}" },
	    { "network", NULL },
	    { "ip", NULL },
	    { "source", NULL },
	    { NULL, NULL } } },

	{ "no payload",
	  { V4, .group = 65535 },
	  { 0 }, { 0 },
	  { { "nflog.group", "65535" },
	    { "nflog.hook", NULL },
	    { "nflog.caplen", NULL },
	    { "decode", "{\"status\":\"ok\",\"l3\":\"none\"}" },
	    { NULL, NULL } } },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(test_table)
{
	const struct json_case *c = &cases[_i];
	static struct tu_built b;
	struct json_ctx ctx = c->ctx;
	char out[FMT_JSON_MAX];
	struct json_object *o;

	tu_build(&c->msg, &b);
	ctx.ifn = &c->ifn;
	o = format(&b.rec, &ctx, out, sizeof(out));
	check_wants(o, c->want, c->name, out);
	json_object_put(o);
}
END_TEST

/* Conntrack and VLAN attributes are nested: set them in the metadata. */
START_TEST(test_ct_vlan)
{
	static struct tu_built b;
	const struct tu_msg_spec s = { V4, .pkt = TU_SYN_10_1_TO_10_2 };
	struct nflog_meta m;
	char out[FMT_JSON_MAX];
	struct json_object *o;
	static const struct want want[] = {
		{ "nflog.ct", "{\"state\":\"new\",\"id\":42,\"status\":8,"
			      "\"mark\":255,\"zone\":3,\"orig\":{\"src\":"
			      "\"2001:db8::1\",\"dst\":\"::ffff:10.0.0.2\","
			      "\"proto\":6,\"sport\":54321,\"dport\":22}}" },
		{ "nflog.vlan", "{\"proto\":33024,\"tci\":41061,\"id\":101,"
				"\"pcp\":5}" },
		{ "network.vlan.id", "\"101\"" },
		{ NULL, NULL } };

	tu_build(&s, &b);
	m = b.meta;
	tu_meta_add_ct(&m);
	m.present |= NFLOG_HAVE_VLAN;
	m.vlan_proto = 0x8100;
	m.vlan_tci = 5 << 13 | 101;
	b.rec.meta = &m;
	o = format(&b.rec, NULL, out, sizeof(out));
	check_wants(o, want, "ct", out);
	json_object_put(o);

	m.ct_info = 99;         /* a value this program does not know */
	m.present &= ~(uint32_t)NFLOG_HAVE_CT;
	o = format(&b.rec, NULL, out, sizeof(out));
	ck_assert_str_eq(json_object_to_json_string_ext(jget(o, "nflog.ct"),
			 JSON_C_TO_STRING_PLAIN), "{\"state\":\"99\"}");
	json_object_put(o);
}
END_TEST

/* --- conntrack's INVALID reasons ------------------------------------------ */

/* The FIN/ACK this kernel (6.18) logged on group 0 with conntrack active,
 * nf_log/2 = nfnetlink_log and nf_conntrack_log_invalid = 6: 10.99.0.2:40000
 * -> 10.99.0.1:80, seq 1000, ack 2000, no connection. */
#define CT_FINACK \
	"4500 0028 0001 0000 4006 6607 0a630002 0a630001" \
	"9c40 0050 000003e8 000007d0 5011 2000 d2c2 0000"
#define CT_FINACK_PREFIX "nf_ct_proto_6: invalid new "

static const struct {
	const char *name;
	const char *prefix;
	bool ct_invalid;        /* json_ctx.ct_invalid */
	const struct want want[6];
} ct_inv[] = {
	{ "kernel FIN/ACK", CT_FINACK_PREFIX, true, {
		{ "event.reason", "\"invalid new\"" },
		{ "nflog.ct_invalid", "{\"protocol\":6}" },
		{ "nflog.prefix", "\"" CT_FINACK_PREFIX "\"" },
		{ "event.action", "\"log\"" },
		{ "nflog.group", "0" },
		{ NULL, NULL } } },
	{ "not the ct_invalid rule", CT_FINACK_PREFIX, false, {
		{ "event.reason", NULL },
		{ "nflog.ct_invalid", NULL },
		{ "nflog.prefix", "\"" CT_FINACK_PREFIX "\"" },
		{ NULL, NULL } } },
	{ "another prefix", "DROP ", true, {
		{ "event.reason", NULL },
		{ "nflog.ct_invalid", NULL },
		{ NULL, NULL } } },
	{ "SEQ over upper bound",
	  "nf_ct_proto_6: SEQ is over upper bound 2849249045 (over the window "
	  "of the receiver) ", true, {
		{ "event.reason", "\"SEQ is over upper bound 2849249045 (over "
				  "the window of the receiver)\"" },
		{ "nflog.ct_invalid.protocol", "6" },
		{ "nflog.ct_invalid.helper", NULL },
		{ NULL, NULL } } },
	{ "icmpv6", "nf_ct_proto_58: invalid new ", true, {
		{ "nflog.ct_invalid", "{\"protocol\":58}" },
		{ NULL, NULL } } },
	{ "helper", "nf_ct_ftp: dropping packet: partial response ", true, {
		{ "event.reason", "\"partial response\"" },
		{ "nflog.ct_invalid", "{\"protocol\":0,\"helper\":\"ftp\"}" },
		{ NULL, NULL } } },
	{ "escapes", "nf_ct_proto_6: a\"b\\c\x01\xff ", true, {
		{ "event.reason", "\"a\\\"b\\\\c\\u0001\\ufffd\"" },
		{ NULL, NULL } } },
};

static void check_sizes(const struct record *rec, const struct json_ctx *ctx);

START_TEST(test_ct_invalid)
{
	static struct tu_built b;
	const struct tu_msg_spec s = { V4, .group = 0, .pkt = CT_FINACK,
				       .prefix = ct_inv[_i].prefix,
				       .indev = 3 };
	struct json_ctx ctx = { .rule = "ct_invalid", .action = "log",
				.ct_invalid = ct_inv[_i].ct_invalid };
	char out[FMT_JSON_MAX];
	struct json_object *o;

	tu_build(&s, &b);
	o = format(&b.rec, &ctx, out, sizeof(out));
	check_wants(o, ct_inv[_i].want, ct_inv[_i].name, out);
	json_object_put(o);
	check_sizes(&b.rec, &ctx);
}
END_TEST

/* A prefix of 127 bytes that all need escaping in the reason too. */
START_TEST(test_ct_invalid_worst)
{
	static struct tu_built b;
	char pfx[128];
	struct json_ctx ctx = { .ct_invalid = true, .now_sec = 1 };
	struct nflog_meta m;
	char *out = malloc(4 * FMT_JSON_MAX);
	struct json_object *o;
	int r;

	memset(pfx, 1, sizeof(pfx) - 1);
	memcpy(pfx, "nf_ct_proto_6: ", 15);
	pfx[sizeof(pfx) - 1] = 0;
	tu_build_worst_case(&b, &m, pfx, true);
	r = fmt_json(&b.rec, &ctx, out, 4 * FMT_JSON_MAX);
	ck_assert_int_gt(r, 0);
	o = parse_all(out, (size_t)r);
	ck_assert_uint_eq(json_object_get_string_len(jget(o, "event.reason")),
			  112);
	json_object_put(o);
	ck_assert_msg(r < FMT_JSON_MAX, "worst case is %d bytes", r);
	free(out);
}
END_TEST

/* --- timestamps ---------------------------------------------------------- */

static const struct {
	int64_t sec;
	uint32_t usec;
	const char *want;       /* NULL: no @timestamp */
} times[] = {
	{ 0, 0, NULL },         /* not set */
	{ 0, 1, "1970-01-01T00:00:00.000001Z" },
	{ 1, 0, "1970-01-01T00:00:01.000000Z" },
	{ 951782400, 0, "2000-02-29T00:00:00.000000Z" },
	{ 4107542399, 500000, "2100-02-28T23:59:59.500000Z" },
	{ 253402300799, 999999, "9999-12-31T23:59:59.999999Z" },
	{ 253402300800, 0, NULL },      /* five-digit year */
	{ -1, 0, NULL },
	{ 5, 1000000, NULL },           /* not a microsecond count */
};

START_TEST(test_time)
{
	static struct tu_built b;
	const struct tu_msg_spec s = { V4, .pkt = TU_SYN_10_1_TO_10_2 };
	struct json_ctx ctx = { .now_sec = times[_i].sec,
				.now_usec = times[_i].usec };
	char out[FMT_JSON_MAX];
	struct json_object *o, *t;

	tu_build(&s, &b);
	o = format(&b.rec, &ctx, out, sizeof(out));
	t = jget(o, "@timestamp");
	if (times[_i].want)
		ck_assert_str_eq(json_object_get_string(t), times[_i].want);
	else
		ck_assert_ptr_null(t);
	json_object_put(o);

	/* The same through NFULA_TIMESTAMP, which wins over now. */
	if (times[_i].sec > 0) {
		struct nflog_meta m = b.meta;

		m.present |= NFLOG_HAVE_TIMESTAMP;
		m.ts_sec = times[_i].sec;
		m.ts_usec = times[_i].usec;
		b.rec.meta = &m;
		ctx.now_sec = 1;
		ctx.now_usec = 0;
		o = format(&b.rec, &ctx, out, sizeof(out));
		t = jget(o, "@timestamp");
		ck_assert_str_eq(json_object_get_string(t), times[_i].want ?
				 times[_i].want :
				 "1970-01-01T00:00:01.000000Z");
		json_object_put(o);
	}
}
END_TEST

/* --- hostile strings ----------------------------------------------------- */

static const struct {
	const char *in;
	size_t len;             /* 0: strlen */
	const char *want;       /* what the parsed string must be */
	const char *raw;        /* must appear in the JSON text (or NULL) */
} strs[] = {
	{ "plain ", 0, "plain ", "\"plain \"" },
	{ "q\"b\\s/", 0, "q\"b\\s/", "\"q\\\"b\\\\s/\"" },
	{ "nl\ncr\rtab\tbs\bff\f", 0, "nl\ncr\rtab\tbs\bff\f",
	  "\"nl\\ncr\\rtab\\tbs\\bff\\f\"" },
	{ "\x01\x1f\x7f", 0, "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
	{ "a\0b", 3, "a\0b", "\"a\\u0000b\"" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0,
	  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", NULL },
	{ "\xc2\x85|\xe2\x80\xa8|\xe2\x80\xa9", 0,
	  "\xc2\x85|\xe2\x80\xa8|\xe2\x80\xa9", "\"\\u0085|\\u2028|\\u2029\"" },
	{ "\xc0\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd", "\"\\ufffd\\ufffd\"" },
	{ "\xed\xa0\x80x", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx", NULL },
	{ "\xf4\x90\x80\x80", 0,
	  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", NULL },
	{ "\xe2\x82", 0, "\xef\xbf\xbd", "\"\\ufffd\"" },
	{ "\xe2\x82x", 0, "\xef\xbf\xbdx", NULL },
	{ "\xf0\x9f\x98" "A", 0, "\xef\xbf\xbd" "A", NULL },
	{ "\xff\xfe", 0, "\xef\xbf\xbd\xef\xbf\xbd", NULL },
	{ "\x80", 0, "\xef\xbf\xbd", NULL },
	{ "end\\", 0, "end\\", "\"end\\\\\"" },
};

/* A string through the prefix, the interface names, the rule, the host
 * and the action: each must parse back to the expected value. */
START_TEST(test_strings)
{
	static struct tu_built b;
	const struct tu_msg_spec s = { V4, .pkt = TU_SYN_10_1_TO_10_2,
				       .indev = 1, .outdev = 2,
				       .physindev = 3 };
	const char *in = strs[_i].in;
	size_t len = strs[_i].len ? strs[_i].len : strlen(in);
	size_t wlen = strs[_i].len ? strs[_i].len : strlen(strs[_i].want);
	static const char *const paths[] = {
		"nflog.prefix", "observer.ingress.interface.name",
		"observer.egress.interface.name", "nflog.physindev_name",
		"rule.name", "observer.hostname", "event.action",
	};
	/* C strings stop at NUL: only the prefix carries one. */
	size_t npaths = memchr(in, 0, len) ? 1 :
			sizeof(paths) / sizeof(paths[0]);
	struct log_ifnames ifn = { .in = in, .out = in, .physin = in };
	struct json_ctx ctx = { .ifn = &ifn, .rule = in, .host = in,
				.action = in };
	struct nflog_meta m;
	char out[FMT_JSON_MAX];
	struct json_object *o;

	tu_build(&s, &b);
	m = b.meta;
	m.present |= NFLOG_HAVE_PREFIX;
	m.prefix = in;
	m.prefix_len = len;
	b.rec.meta = &m;
	o = format(&b.rec, &ctx, out, sizeof(out));
	for (size_t i = 0; i < npaths; i++) {
		struct json_object *v = jget(o, paths[i]);

		ck_assert_msg(v, "%s missing", paths[i]);
		ck_assert_int_eq(json_object_get_string_len(v), (int)wlen);
		ck_assert_msg(!memcmp(json_object_get_string(v), strs[_i].want,
				      wlen), "%s: wrong value in %s",
			      paths[i], out);
	}
	if (strs[_i].raw)
		ck_assert_msg(strstr(out, strs[_i].raw), "%s not in %s",
			      strs[_i].raw, out);
	json_object_put(o);
}
END_TEST

/* Every byte value: 0x01..0xff through a real NFULA_PREFIX (the kernel's
 * prefix ends at the first NUL), 0x00..0xff through the metadata. */
START_TEST(test_all_bytes)
{
	static struct tu_built b;
	char pfx[257];
	struct tu_msg_spec s = { V4, .pkt = TU_SYN_10_1_TO_10_2,
				 .prefix = pfx };
	char want[256 * 3], out[FMT_JSON_MAX];
	size_t wl = 0;
	struct json_object *o, *v;
	struct nflog_meta m;

	for (int i = 1; i < 256; i++)
		pfx[i - 1] = (char)i;
	pfx[255] = 0;
	for (int i = 1; i < 256; i++) {
		if (i < 0x80)
			want[wl++] = (char)i;
		else
			wl += (size_t)snprintf(want + wl, 4, "\xef\xbf\xbd");
	}
	tu_build(&s, &b);
	ck_assert_uint_eq(b.meta.prefix_len, 255);
	o = format(&b.rec, NULL, out, sizeof(out));
	v = jget(o, "nflog.prefix");
	ck_assert_int_eq(json_object_get_string_len(v), (int)wl);
	ck_assert(!memcmp(json_object_get_string(v), want, wl));
	json_object_put(o);

	/* With a NUL first, through the metadata. */
	m = b.meta;
	memmove(pfx + 1, pfx, 255);
	pfx[0] = 0;
	m.prefix = pfx;
	m.prefix_len = 256;
	b.rec.meta = &m;
	o = format(&b.rec, NULL, out, sizeof(out));
	v = jget(o, "nflog.prefix");
	ck_assert_int_eq(json_object_get_string_len(v), (int)wl + 1);
	ck_assert(json_object_get_string(v)[0] == 0);
	ck_assert(!memcmp(json_object_get_string(v) + 1, want, wl));
	json_object_put(o);
}
END_TEST

/* --- buffer sizes -------------------------------------------------------- */

/* Every size from 0 up: -ENOSPC and nothing written past size (each
 * buffer is its own allocation, so ASan sees one byte too many), or the
 * whole object.  A short buffer is left holding "", never a cut object. */
static void check_sizes(const struct record *rec, const struct json_ctx *ctx)
{
	char full[FMT_JSON_MAX];
	int n = fmt_json(rec, ctx, full, sizeof(full));

	REQUIRE(n > 0, "fmt_json: %d", n);
	for (size_t size = 0; size <= (size_t)n + 1; size++) {
		char *buf = malloc(size ? size : 1);
		int r;

		REQUIRE(buf, "malloc");
		memset(buf, 'x', size ? size : 1);
		r = fmt_json(rec, ctx, buf, size);
		if (size <= (size_t)n) {
			REQUIRE(r == -ENOSPC, "size %zu: %d", size, r);
			if (size)
				REQUIRE(buf[0] == 0, "size %zu: cut object",
					size);
			else
				REQUIRE(buf[0] == 'x', "size 0: written");
		} else {
			REQUIRE(r == n, "size %zu: %d", size, r);
			REQUIRE(!strcmp(buf, full), "size %zu: differs",
				size);
		}
		free(buf);
	}
}

START_TEST(test_sizes)
{
	static struct tu_built b;
	const struct json_case *c = &cases[_i];
	struct json_ctx ctx = c->ctx;

	tu_build(&c->msg, &b);
	ctx.ifn = &c->ifn;
	check_sizes(&b.rec, &ctx);
}
END_TEST

/* The largest record we can think of fits FMT_JSON_MAX: every option area
 * full of two-byte options (the most list entries), an ICMP error quoting
 * the same, all metadata, and the longest prefix nft allows (127) plus
 * 64-byte host and rule names and full interface names, all made of bytes
 * that need six-byte escapes. */
START_TEST(test_worst_case)
{
	static struct tu_built b;
	char pfx[128], name[16], host[65];
	struct log_ifnames ifn = { name, name, name, name };
	struct json_ctx ctx = { .ifn = &ifn, .rule = host, .host = host,
				.action = host, .now_sec = 1 };
	struct nflog_meta m;
	char *out = malloc(4 * FMT_JSON_MAX);
	int r;

	memset(pfx, 1, sizeof(pfx) - 1);
	pfx[sizeof(pfx) - 1] = 0;
	memset(name, 1, sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	memset(host, 1, sizeof(host) - 1);
	host[sizeof(host) - 1] = 0;
	tu_build_worst_case(&b, &m, pfx, true);
	m.present |= NFLOG_HAVE_VLAN;
	ck_assert(b.rec.has_inner);
	ck_assert_uint_eq(b.rec.inner.t.tcp.opts.n, 20);
	r = fmt_json(&b.rec, &ctx, out, 4 * FMT_JSON_MAX);
	ck_assert_int_gt(r, 0);
	json_object_put(parse_all(out, (size_t)r));
	ck_assert_msg(r < FMT_JSON_MAX, "worst case is %d bytes", r);
	free(out);
}
END_TEST

/* --- random records ------------------------------------------------------ */

START_TEST(test_random)
{
	static struct tu_random_rec rr;
	char *out = malloc(FMT_JSON_MAX * 4);
	uint64_t seed = 0x9e3779b97f4a7c15ull + (uint64_t)_i;

	tu_rng = seed;
	for (int iter = 0; iter < 4000; iter++) {
		struct log_ifnames ifn = { .in = (const char *)rr.pfx + 1,
					   .out = "o\xff\"\n" };
		struct json_ctx ctx = { .ifn = &ifn, .rule = "r",
					.now_sec = tu_rnd(),
					.now_usec = tu_rnd(),
					.ct_invalid = iter & 1 };
		struct json_object *o;
		size_t pl = tu_random_record(&rr, true);
		int r;

		/* now and then a reason of random bytes */
		if (iter % 4 == 1 && pl > 15)
			memcpy(rr.pfx, "nf_ct_proto_6: ", 15);

		r = fmt_json(&rr.rec, &ctx, out, FMT_JSON_MAX * 4);
		REQUIRE(r > 0, "seed %llx iter %d: %d",
			      (unsigned long long)seed, iter, r);
		o = parse_all(out, (size_t)r);
		json_object_put(o);
		/* Without the prefix and names the bound is FMT_JSON_MAX;
		 * the prefix, the reason in it and the input name are up to
		 * pl bytes each. */
		REQUIRE((size_t)r < FMT_JSON_MAX + 6 * (3 * pl + 16),
			      "seed %llx iter %d: %d bytes",
			      (unsigned long long)seed, iter, r);
		if (iter % 200 == 0)
			check_sizes(&rr.rec, &ctx);
	}
	free(out);
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("fmt_json");
	TCase *tc = tcase_create("fmt_json");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_table, 0, (int)NCASES);
	tcase_add_test(tc, test_ct_vlan);
	tcase_add_loop_test(tc, test_ct_invalid, 0,
			    (int)(sizeof(ct_inv) / sizeof(ct_inv[0])));
	tcase_add_test(tc, test_ct_invalid_worst);
	tcase_add_loop_test(tc, test_time, 0,
			    (int)(sizeof(times) / sizeof(times[0])));
	tcase_add_loop_test(tc, test_strings, 0,
			    (int)(sizeof(strs) / sizeof(strs[0])));
	tcase_add_test(tc, test_all_bytes);
	tcase_add_loop_test(tc, test_sizes, 0, (int)NCASES);
	tcase_add_test(tc, test_worst_case);
	tcase_add_loop_test(tc, test_random, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(json_suite());
}
