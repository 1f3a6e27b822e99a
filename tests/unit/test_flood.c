/* flood: the record budget (token bucket), the Space-Saving top lists,
 * and the summary in its three forms -- the sentence, JSON (parsed with
 * json-c) and journal fields. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "flood.h"
#include "fmt_journal.h"
#include "fmt_json.h"
#include "testutil.h"

#define SEC 1000000ull

/* ---------------------------------------------------------------- bucket */

START_TEST(test_bucket_burst_then_rate)
{
	struct flood_bucket b;
	uint64_t t = 5 * SEC;
	unsigned int n = 0;

	flood_bucket_init(&b, 10, 1, 5, t);     /* 10/second, burst 5 */
	for (int i = 0; i < 100; i++)
		n += flood_bucket_take(&b, t);
	ck_assert_uint_eq(n, 5);
	/* one token per 100 ms */
	ck_assert(!flood_bucket_take(&b, t + 99999));
	ck_assert(flood_bucket_take(&b, t + 100000));
	ck_assert(!flood_bucket_take(&b, t + 100000));
	/* over 10 s at 1000 attempts a second: exactly 100 more */
	n = 0;
	for (uint64_t us = 1000; us <= 10 * SEC; us += 1000)
		n += flood_bucket_take(&b, t + 100000 + us);
	ck_assert_uint_eq(n, 100);
	/* a long quiet spell refills to the burst, no more */
	t += 3600 * SEC;
	n = 0;
	for (int i = 0; i < 100; i++)
		n += flood_bucket_take(&b, t);
	ck_assert_uint_eq(n, 5);
}
END_TEST

START_TEST(test_bucket_extremes)
{
	struct flood_bucket b;
	unsigned int n = 0;

	/* the largest budget over the longest unit: no overflow */
	flood_bucket_init(&b, 1000000, 86400, 1000000, 0);
	for (int i = 0; i < 1000001; i++)
		n += flood_bucket_take(&b, 0);
	ck_assert_uint_eq(n, 1000000);
	/* 1000000/day: one token per 86.4 ms */
	ck_assert(!flood_bucket_take(&b, 86399));
	ck_assert(flood_bucket_take(&b, 86400));
	/* time jumping far ahead */
	ck_assert(flood_bucket_take(&b, UINT64_MAX / 2));
	/* and the clock not moving forward takes nothing back */
	flood_bucket_init(&b, 1, 1, 1, 10 * SEC);
	ck_assert(flood_bucket_take(&b, 10 * SEC));
	ck_assert(!flood_bucket_take(&b, 9 * SEC));
	ck_assert(!flood_bucket_take(&b, 10 * SEC));
	ck_assert(flood_bucket_take(&b, 11 * SEC));
}
END_TEST

/* ---------------------------------------------------------------- window */

static struct record tcp4(uint32_t src, uint16_t dport)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.ip.kind = L3_IPV4;
	r.ip.status = DECODE_OK;
	r.ip.src[0] = (uint8_t)(src >> 24);
	r.ip.src[1] = (uint8_t)(src >> 16);
	r.ip.src[2] = (uint8_t)(src >> 8);
	r.ip.src[3] = (uint8_t)src;
	r.ip.proto = 6;
	r.ip.l4 = L4_DECODED;
	r.ip.t.tcp.dport = dport;
	return r;
}

static const struct flood_summary base = {
	.rule = "ssh-drop", .limit_rate = 100, .limit_unit = "second",
	.burst = 200,
};

START_TEST(test_window_exact)
{
	static struct flood_window w;
	struct flood_summary s = base;
	struct record r;
	char text[FLOOD_TEXT_MAX];

	memset(&w, 0, sizeof(w));
	for (int i = 0; i < 900; i++) {
		r = tcp4(0x0a000001, 22);
		flood_window_note(&w, &r, 1 * SEC);
	}
	for (int i = 0; i < 300; i++) {
		r = tcp4(0x0a000002, 23);
		flood_window_note(&w, &r, 2 * SEC);
	}
	/* an IPv6 UDP packet, an ICMP one and one that is not IP */
	memset(&r, 0, sizeof(r));
	r.ip.kind = L3_IPV6;
	r.ip.src[0] = 0x20;
	r.ip.src[1] = 0x01;
	r.ip.src[2] = 0x0d;
	r.ip.src[3] = 0xb8;
	r.ip.src[15] = 1;
	r.ip.proto = 17;
	r.ip.l4 = L4_DECODED;
	r.ip.t.udp.dport = 53;
	flood_window_note(&w, &r, 3 * SEC);
	r = tcp4(0xc0000201, 0);
	r.ip.proto = 1;
	flood_window_note(&w, &r, 3 * SEC);
	memset(&r, 0, sizeof(r));
	r.ip.kind = L3_OTHER;
	flood_window_note(&w, &r, 3 * SEC);

	ck_assert_uint_eq(w.suppressed, 1203);
	flood_summarise(&w, 10 * SEC + 1, &s);
	ck_assert_uint_eq(s.seconds, 10);       /* 9.000001 s, rounded up */
	ck_assert(!s.approximate);
	ck_assert_uint_eq(s.n_src, 5);
	ck_assert_uint_eq(s.n_dst, 5);
	flood_text(&s, text, sizeof(text));
	ck_assert_str_eq(text, "rule ssh-drop: 1203 records suppressed in the "
			 "last 10 s (record_limit 100/second, record_burst "
			 "200); top sources: 10.0.0.1 (900), 10.0.0.2 (300), "
			 "2001:db8::1 (1), 192.0.2.1 (1), non-IP (1); top "
			 "destination ports: TCP/22 (900), TCP/23 (300), "
			 "UDP/53 (1), ICMP (1), non-IP (1)");
	/* cut short: still a terminated string */
	ck_assert_uint_eq(flood_text(&s, text, 20), 19);
	ck_assert_uint_eq(strlen(text), 19);
}
END_TEST

/* Many distinct sources: the heavy hitters are still found, first. */
START_TEST(test_window_heavy_hitters)
{
	static struct flood_window w;
	struct flood_summary s = base;
	struct record r;

	memset(&w, 0, sizeof(w));
	for (uint32_t i = 0; i < 20000; i++) {
		/* every 4th from 10.0.0.1, every 10th (else) from
		 * 10.0.0.2, the rest from 10000 others */
		uint32_t src = i % 4 == 0 ? 0x0a000001 : i % 10 == 1 ?
			       0x0a000002 : 0x0b000000 + i % 10000;

		r = tcp4(src, (uint16_t)(1000 + i % 5000));
		flood_window_note(&w, &r, SEC);
	}
	flood_summarise(&w, 2 * SEC, &s);
	ck_assert(s.approximate);
	ck_assert_uint_eq(s.n_src, FLOOD_TOP);
	ck_assert_mem_eq(s.src[0].key.addr, "\x0a\x00\x00\x01", 4);
	ck_assert_mem_eq(s.src[1].key.addr, "\x0a\x00\x00\x02", 4);
	/* Space-Saving overstates by at most suppressed / FLOOD_SLOTS */
	ck_assert_uint_ge(s.src[0].n, 5000);
	ck_assert_uint_le(s.src[0].n, 5000 + 20000 / FLOOD_SLOTS);
	ck_assert_uint_ge(s.src[1].n, 2000);
	ck_assert_uint_le(s.src[1].n, 2000 + 20000 / FLOOD_SLOTS);
	for (unsigned int i = 1; i < s.n_src; i++)
		ck_assert_uint_ge(s.src[i - 1].n, s.src[i].n);
	ck_assert(s.src_approx && s.dst_approx);

	/* one source, 40 ports: only the port list is approximate */
	memset(&w, 0, sizeof(w));
	for (uint16_t port = 1; port <= 40; port++) {
		r = tcp4(0x0a000001, port);
		flood_window_note(&w, &r, SEC);
	}
	flood_summarise(&w, 2 * SEC, &s);
	ck_assert(s.approximate && !s.src_approx && s.dst_approx);
	{
		char text[FLOOD_TEXT_MAX];

		flood_text(&s, text, sizeof(text));
		ck_assert_msg(strstr(text, "; top sources: 10.0.0.1 (40); top "
				     "destination ports (approximate): "), "%s", text);
	}
}
END_TEST

/* ---------------------------------------------------------------- formats */

static void summary_of(struct flood_summary *s, struct flood_window *w)
{
	struct record r;

	memset(w, 0, sizeof(*w));
	for (int i = 0; i < 7; i++) {
		r = tcp4(0x0a000001, 22);
		flood_window_note(w, &r, SEC);
	}
	r = tcp4(0x0a000003, 443);
	flood_window_note(w, &r, SEC);
	r.ip.kind = L3_OTHER;
	flood_window_note(w, &r, SEC);
	*s = base;
	flood_summarise(w, 11 * SEC, s);
}

static json_object *member(json_object *o, const char *path)
{
	char buf[128], *save = NULL, *k;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	return o;
}

START_TEST(test_json)
{
	static struct flood_window w;
	struct flood_summary s;
	char buf[FMT_JSON_MAX], text[FLOOD_TEXT_MAX];
	json_object *o, *a, *e;
	int n;

	summary_of(&s, &w);
	n = fmt_json_summary(&s, "fw\"1", 1700000000, 123456, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	o = json_tokener_parse(buf);
	ck_assert_msg(o != NULL, "not JSON: %s", buf);
	ck_assert_str_eq(json_object_get_string(member(o, "@timestamp")),
			 "2023-11-14T22:13:20.123456Z");
	ck_assert_str_eq(json_object_get_string(member(o, "event.kind")), "metric");
	ck_assert_str_eq(json_object_get_string(member(o, "event.dataset")),
			 "nflogd.suppressed");
	ck_assert_str_eq(json_object_get_string(member(o, "rule.name")), "ssh-drop");
	ck_assert_str_eq(json_object_get_string(member(o, "observer.hostname")),
			 "fw\"1");
	ck_assert_int_eq(json_object_get_int64(member(o, "nflogd.suppressed.count")), 9);
	ck_assert_int_eq(json_object_get_int(member(o, "nflogd.suppressed.seconds")), 10);
	ck_assert_str_eq(json_object_get_string(member(o, "nflogd.suppressed.record_limit")),
			 "100/second");
	ck_assert_int_eq(json_object_get_int(member(o, "nflogd.suppressed.record_burst")), 200);
	ck_assert(!json_object_get_boolean(member(o, "nflogd.suppressed.approximate")));
	a = member(o, "nflogd.suppressed.top_sources");
	ck_assert_uint_eq(json_object_array_length(a), 3);
	e = json_object_array_get_idx(a, 0);
	ck_assert_str_eq(json_object_get_string(member(e, "ip")), "10.0.0.1");
	ck_assert_int_eq(json_object_get_int(member(e, "count")), 7);
	e = json_object_array_get_idx(a, 2);
	ck_assert_ptr_null(member(e, "ip"));            /* not IP */
	ck_assert_int_eq(json_object_get_int(member(e, "count")), 1);
	a = member(o, "nflogd.suppressed.top_destinations");
	ck_assert_uint_eq(json_object_array_length(a), 3);
	e = json_object_array_get_idx(a, 1);
	ck_assert_str_eq(json_object_get_string(member(e, "transport")), "tcp");
	ck_assert_str_eq(json_object_get_string(member(e, "iana_number")), "6");
	ck_assert_int_eq(json_object_get_int(member(e, "port")), 443);
	flood_text(&s, text, sizeof(text));
	ck_assert_str_eq(json_object_get_string(member(o, "message")), text);
	json_object_put(o);

	/* too small a buffer: an error, never a cut object */
	for (size_t size = 0; size < (size_t)n + 1; size += 7)
		ck_assert_int_eq(fmt_json_summary(&s, "fw\"1", 1700000000,
						  123456, buf, size), -ENOSPC);
	ck_assert_int_eq(fmt_json_summary(&s, "fw\"1", 1700000000, 123456,
					  buf, (size_t)n + 1), n);
}
END_TEST

/* value of field key= in jf, NUL-terminated into out */
static bool field(const struct journal_fields *jf, const char *key, char *out,
		  size_t size)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i < jf->n; i++) {
		const char *b = jf->iov[i].iov_base;
		size_t l = jf->iov[i].iov_len;

		if (l > kl && !memcmp(b, key, kl) && b[kl] == '=') {
			snprintf(out, size, "%.*s", (int)(l - kl - 1), b + kl + 1);
			return true;
		}
	}
	return false;
}

START_TEST(test_journal)
{
	static const struct {
		const char *key, *value;
	} want[] = {
		{ "MESSAGE_ID", FMT_JOURNAL_SUPPRESSED_MESSAGE_ID },
		{ "SYSLOG_IDENTIFIER", "nflogd" },
		{ "NFLOG_RULE", "ssh-drop" },
		{ "NFLOGD_SUPPRESSED", "9" },
		{ "NFLOGD_SECONDS", "10" },
		{ "NFLOGD_RECORD_LIMIT", "100/second" },
		{ "NFLOGD_RECORD_BURST", "200" },
		{ "NFLOGD_TOP_SOURCES", "10.0.0.1=7, 10.0.0.3=1, non-IP=1" },
		{ "NFLOGD_TOP_DESTINATIONS", "TCP/22=7, TCP/443=1, non-IP=1" },
	};
	static struct flood_window w;
	static struct journal_fields jf;
	struct flood_summary s;
	char v[FLOOD_TEXT_MAX], text[FLOOD_TEXT_MAX];
	int n;

	summary_of(&s, &w);
	n = fmt_journal_summary(&s, NULL, &jf);
	ck_assert_int_gt(n, 0);
	/* names journald keeps: [A-Z0-9_], no leading _ or digit */
	for (size_t i = 0; i < jf.n; i++) {
		const char *b = jf.iov[i].iov_base;
		const char *eq = memchr(b, '=', jf.iov[i].iov_len);

		ck_assert_ptr_nonnull(eq);
		ck_assert(b[0] >= 'A' && b[0] <= 'Z');
		for (const char *p = b; p < eq; p++)
			ck_assert((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
				  *p == '_');
	}
	ck_assert(!memcmp(jf.iov[0].iov_base, "MESSAGE=", 8));
	flood_text(&s, text, sizeof(text));
	ck_assert(field(&jf, "MESSAGE", v, sizeof(v)));
	ck_assert_str_eq(v, text);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_msg(field(&jf, want[i].key, v, sizeof(v)), "no %s",
			      want[i].key);
		ck_assert_str_eq(v, want[i].value);
	}
	ck_assert(!field(&jf, "NFLOGD_TOP_APPROXIMATE", v, sizeof(v)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flood");
	TCase *tc = tcase_create("flood");

	tcase_add_test(tc, test_bucket_burst_then_rate);
	tcase_add_test(tc, test_bucket_extremes);
	tcase_add_test(tc, test_window_exact);
	tcase_add_test(tc, test_window_heavy_hitters);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_journal);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
