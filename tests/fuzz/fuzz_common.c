/* Output-contract checks shared by the libFuzzer targets (see fuzz_common.h).
 *
 * The JSON check is a small strict validator of our own rather than a
 * library parser: it must reject what lenient parsers accept (invalid UTF-8,
 * lone surrogates, raw control characters, trailing garbage, duplicate keys)
 * and it costs no dependency.
 */
#include "fuzz_common.h"

#include "flood.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt_json.h"
#include "fmt_log.h"

void fuzz_fail(const char *file, int line, const char *cond,
	       const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\n%s:%d: contract violated: %s\n  ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ------------------------------------------------------------ metadata */

static void check_span(const void *p, size_t n, const void *base, size_t len,
		       const char *what)
{
	const uint8_t *b = base, *q = p;

	if (!p) {
		FUZZ_CHECK(n == 0, "%s is NULL but has length %zu", what, n);
		return;
	}
	FUZZ_CHECK(q >= b && q <= b + len && n <= (size_t)(b + len - q),
		   "%s [%p,+%zu) outside the message [%p,+%zu)", what, p, n,
		   base, len);
}

void fuzz_check_meta(const struct nflog_meta *m, const void *base, size_t len)
{
	FUZZ_CHECK(m->hwaddr_len <= sizeof(m->hwaddr), "hwaddr_len %u",
		   m->hwaddr_len);
	check_span(m->prefix, m->prefix_len, base, len, "prefix");
	if (m->prefix)
		FUZZ_CHECK(memchr(m->prefix, 0, m->prefix_len) == NULL,
			   "prefix holds a NUL within prefix_len");
	check_span(m->payload, m->payload_len, base, len, "payload");
	check_span(m->hwheader, m->hwheader_len, base, len, "hwheader");
	check_span(m->l2hdr, m->l2hdr_len, base, len, "l2hdr");
}

#define POISON 0xa5

void fuzz_poison_meta(struct nflog_meta *m)
{
	memset(m, POISON, sizeof(*m));
}

void fuzz_check_untouched(const struct nflog_meta *m)
{
	const uint8_t *p = (const uint8_t *)m;

	for (size_t i = 0; i < sizeof(*m); i++)
		FUZZ_CHECK(p[i] == POISON,
			   "failed parse wrote its out-parameter (byte %zu)", i);
}

/* ------------------------------------------------------------ decode */

static void check_opts(const struct opt_list *ol, const uint8_t *lo,
		       const uint8_t *hi, const char *what)
{
	FUZZ_CHECK(ol->n <= DECODE_MAX_OPTS, "%s: %u options", what, ol->n);
	FUZZ_CHECK(ol->raw_len <= ol->want_len,
		   "%s: raw_len %u > want_len %u", what, ol->raw_len,
		   ol->want_len);
	if (ol->raw_len)
		check_span(ol->raw, ol->raw_len, lo, (size_t)(hi - lo), what);
	for (unsigned i = 0; i < ol->n; i++) {
		const struct opt *o = &ol->o[i];

		if (!o->data)
			continue;
		FUZZ_CHECK(o->len >= 2, "%s: option %u has data, len %u",
			   what, i, o->len);
		check_span(o->data, o->len - 2u, ol->raw, ol->raw_len, what);
	}
}

/* The layer reads only [lo, hi): the payload for the outer packet. */
static void check_layer(const struct ip_layer *ip, const uint8_t *lo,
			const uint8_t *hi)
{
	if (ip->kind != L3_IPV4 && ip->kind != L3_IPV6)
		return;
	FUZZ_CHECK(ip->l3 != NULL, "IP layer without l3");
	check_span(ip->l3, ip->avail, lo, (size_t)(hi - lo), "l3");
	FUZZ_CHECK(ip->n_ext <= DECODE_MAX_EXTHDRS, "n_ext %u", ip->n_ext);
	if (ip->l4_avail)
		FUZZ_CHECK(ip->l4_off <= ip->avail &&
			   ip->l4_avail <= ip->avail - ip->l4_off,
			   "l4 [%u,+%u) beyond avail %u", ip->l4_off,
			   ip->l4_avail, ip->avail);
	if (ip->kind == L3_IPV4)
		check_opts(&ip->ipopts, ip->l3, ip->l3 + ip->avail, "ipopts");
	if (ip->l4 == L4_DECODED && ip->proto == 6)
		check_opts(&ip->t.tcp.opts, ip->l3, ip->l3 + ip->avail,
			   "tcpopts");
}

static void check_record(const struct record *rec,
			 const struct nflog_meta *m)
{
	const uint8_t *lo = m->payload;
	const uint8_t *hi = lo ? lo + m->payload_len : lo;

	FUZZ_CHECK(rec->meta == m, "record does not point at its meta");
	check_layer(&rec->ip, lo, hi);
	if (rec->has_inner)
		check_layer(&rec->inner, lo, hi);
}

/* ------------------------------------------------------------ fmt_log */

void fuzz_check_log_line(const char *s, size_t len)
{
	FUZZ_CHECK(strlen(s) == len, "LOG line: length %zu but strlen %zu",
		   len, strlen(s));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		FUZZ_CHECK(c >= 0x20 && c < 0x7f,
			   "LOG line: byte 0x%02x at %zu: %.*s", c, i,
			   (int)len, s);
	}
}

/* ------------------------------------------------------------ JSON */

#define JSON_MAX_DEPTH 32
#define JSON_MAX_KEYS 128       /* per object, for the duplicate check */

struct jv {
	const unsigned char *p, *end;
	const unsigned char *start;
	int depth;
};

_Noreturn static void jv_fail(const struct jv *v, const char *why)
{
	size_t at = (size_t)(v->p - v->start);
	size_t len = (size_t)(v->end - v->start);

	fuzz_fail(__FILE__, __LINE__, "valid JSON",
		  "invalid JSON at byte %zu (%s): ...%.*s\n  whole: %.*s", at,
		  why, (int)(len - at < 40 ? len - at : 40),
		  (const char *)v->p, (int)len, (const char *)v->start);
}

static void jv_ws(struct jv *v)
{
	/* JSON Lines: one object per line, so no '\n' or '\r' anywhere. */
	while (v->p < v->end && (*v->p == ' ' || *v->p == '\t'))
		v->p++;
}

static void jv_expect(struct jv *v, char c)
{
	if (v->p >= v->end || *v->p != (unsigned char)c)
		jv_fail(v, "unexpected character");
	v->p++;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static unsigned jv_hex4(struct jv *v)
{
	unsigned cp = 0;

	if (v->end - v->p < 4)
		jv_fail(v, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		int h = hexval(v->p[i]);

		if (h < 0)
			jv_fail(v, "bad hex digit in \\u escape");
		cp = cp << 4 | (unsigned)h;
	}
	v->p += 4;
	return cp;
}

/* One UTF-8 sequence, strictly (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
static void jv_utf8(struct jv *v)
{
	unsigned char c = *v->p;
	unsigned need, cp;

	if (c < 0x80) {
		v->p++;
		return;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		cp = c & 0x07;
	} else {
		jv_fail(v, "invalid UTF-8 lead byte");
	}
	if ((size_t)(v->end - v->p) <= need)
		jv_fail(v, "truncated UTF-8 sequence");
	for (unsigned i = 1; i <= need; i++) {
		if ((v->p[i] & 0xc0) != 0x80)
			jv_fail(v, "invalid UTF-8 continuation byte");
		cp = cp << 6 | (v->p[i] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000))
		jv_fail(v, "overlong UTF-8 sequence");
	if (cp >= 0xd800 && cp <= 0xdfff)
		jv_fail(v, "UTF-8 encoded surrogate");
	if (cp > 0x10ffff)
		jv_fail(v, "UTF-8 beyond U+10FFFF");
	v->p += need + 1;
}

static void jv_string(struct jv *v)
{
	jv_expect(v, '"');
	for (;;) {
		unsigned char c;

		if (v->p >= v->end)
			jv_fail(v, "unterminated string");
		c = *v->p;
		if (c == '"') {
			v->p++;
			return;
		}
		if (c < 0x20)
			jv_fail(v, "raw control character in string");
		if (c != '\\') {
			jv_utf8(v);
			continue;
		}
		v->p++;
		if (v->p >= v->end)
			jv_fail(v, "unterminated escape");
		c = *v->p++;
		switch (c) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			break;
		case 'u': {
			unsigned cp = jv_hex4(v);

			if (cp >= 0xdc00 && cp <= 0xdfff)
				jv_fail(v, "lone low surrogate escape");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (v->end - v->p < 6 || v->p[0] != '\\' ||
				    v->p[1] != 'u')
					jv_fail(v, "lone high surrogate escape");
				v->p += 2;
				cp = jv_hex4(v);
				if (cp < 0xdc00 || cp > 0xdfff)
					jv_fail(v, "high surrogate without low");
			}
			break;
		}
		default:
			v->p--;
			jv_fail(v, "invalid escape");
		}
	}
}

static bool jv_digit(const struct jv *v)
{
	return v->p < v->end && *v->p >= '0' && *v->p <= '9';
}

static void jv_number(struct jv *v)
{
	if (v->p < v->end && *v->p == '-')
		v->p++;
	if (!jv_digit(v))
		jv_fail(v, "number without digits");
	if (*v->p == '0') {
		v->p++;
		if (jv_digit(v))
			jv_fail(v, "number with a leading zero");
	} else {
		while (jv_digit(v))
			v->p++;
	}
	if (v->p < v->end && *v->p == '.') {
		v->p++;
		if (!jv_digit(v))
			jv_fail(v, "no digit after '.'");
		while (jv_digit(v))
			v->p++;
	}
	if (v->p < v->end && (*v->p == 'e' || *v->p == 'E')) {
		v->p++;
		if (v->p < v->end && (*v->p == '+' || *v->p == '-'))
			v->p++;
		if (!jv_digit(v))
			jv_fail(v, "no digit in exponent");
		while (jv_digit(v))
			v->p++;
	}
}

static void jv_literal(struct jv *v, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(v->end - v->p) < n || memcmp(v->p, lit, n) != 0)
		jv_fail(v, "bad literal");
	v->p += n;
}

static void jv_value(struct jv *v);

static void jv_object(struct jv *v)
{
	struct { const unsigned char *p; size_t n; } keys[JSON_MAX_KEYS];
	size_t nkeys = 0;

	jv_expect(v, '{');
	jv_ws(v);
	if (v->p < v->end && *v->p == '}') {
		v->p++;
		return;
	}
	for (;;) {
		const unsigned char *k = v->p;
		size_t kn;

		jv_ws(v);
		k = v->p;
		jv_string(v);
		kn = (size_t)(v->p - k);
		/* Keys are compared as written: the formatter writes each
		 * name one way, so equal names have equal spellings. */
		for (size_t i = 0; i < nkeys; i++)
			if (keys[i].n == kn && memcmp(keys[i].p, k, kn) == 0) {
				v->p = k;
				jv_fail(v, "duplicate key");
			}
		if (nkeys < JSON_MAX_KEYS) {
			keys[nkeys].p = k;
			keys[nkeys].n = kn;
			nkeys++;
		}
		jv_ws(v);
		jv_expect(v, ':');
		jv_value(v);
		jv_ws(v);
		if (v->p < v->end && *v->p == ',') {
			v->p++;
			continue;
		}
		jv_expect(v, '}');
		return;
	}
}

static void jv_array(struct jv *v)
{
	jv_expect(v, '[');
	jv_ws(v);
	if (v->p < v->end && *v->p == ']') {
		v->p++;
		return;
	}
	for (;;) {
		jv_value(v);
		jv_ws(v);
		if (v->p < v->end && *v->p == ',') {
			v->p++;
			continue;
		}
		jv_expect(v, ']');
		return;
	}
}

static void jv_value(struct jv *v)
{
	jv_ws(v);
	if (v->p >= v->end)
		jv_fail(v, "value expected");
	if (++v->depth > JSON_MAX_DEPTH)
		jv_fail(v, "nested too deep");
	switch (*v->p) {
	case '{':
		jv_object(v);
		break;
	case '[':
		jv_array(v);
		break;
	case '"':
		jv_string(v);
		break;
	case 't':
		jv_literal(v, "true");
		break;
	case 'f':
		jv_literal(v, "false");
		break;
	case 'n':
		jv_literal(v, "null");
		break;
	default:
		jv_number(v);
	}
	v->depth--;
}

void fuzz_check_json(const char *s, size_t len)
{
	struct jv v = {
		.p = (const unsigned char *)s,
		.end = (const unsigned char *)s + len,
		.start = (const unsigned char *)s,
	};

	FUZZ_CHECK(strlen(s) == len, "JSON: length %zu but strlen %zu", len,
		   strlen(s));
	jv_ws(&v);
	if (v.p >= v.end || *v.p != '{')
		jv_fail(&v, "top level is not an object");
	jv_value(&v);
	jv_ws(&v);
	if (v.p != v.end)
		jv_fail(&v, "trailing bytes after the object");
}

/* ------------------------------------------------------------ journal */

void fuzz_check_journal(const struct journal_fields *jf, int ret)
{
	const char *lo = jf->arena;

	FUZZ_CHECK(ret >= 0 || ret == -ENOSPC, "fmt_journal returned %d", ret);
	FUZZ_CHECK(ret < 0 || (size_t)ret == jf->n,
		   "fmt_journal returned %d with %zu fields", ret, jf->n);
	FUZZ_CHECK(jf->n <= FMT_JOURNAL_MAX_FIELDS, "%zu fields", jf->n);
	FUZZ_CHECK(jf->used <= sizeof(jf->arena), "arena used %zu", jf->used);
	if (ret >= 0)
		FUZZ_CHECK(jf->n >= 1, "success without fields");

	for (size_t i = 0; i < jf->n; i++) {
		const char *b = jf->iov[i].iov_base;
		size_t n = jf->iov[i].iov_len;
		const char *eq;
		size_t klen;

		FUZZ_CHECK(b >= lo && b <= lo + jf->used &&
			   n <= (size_t)(lo + jf->used - b),
			   "field %zu [%p,+%zu) outside the arena's used part "
			   "[%p,+%zu)", i, (const void *)b, n,
			   (const void *)lo, jf->used);
		eq = memchr(b, '=', n);
		FUZZ_CHECK(eq != NULL, "field %zu has no '=': %.*s", i,
			   (int)(n < 80 ? n : 80), b);
		klen = (size_t)(eq - b);
		FUZZ_CHECK(klen >= 1 && klen <= 64,
			   "field %zu: name of %zu characters: %.*s", i, klen,
			   (int)(klen < 80 ? klen : 80), b);
		FUZZ_CHECK(b[0] != '_' && !(b[0] >= '0' && b[0] <= '9'),
			   "field %zu: name starts with '%c': %.*s", i, b[0],
			   (int)klen, b);
		for (size_t k = 0; k < klen; k++)
			FUZZ_CHECK((b[k] >= 'A' && b[k] <= 'Z') ||
				   (b[k] >= '0' && b[k] <= '9') || b[k] == '_',
				   "field %zu: byte 0x%02x in name %.*s", i,
				   (unsigned char)b[k], (int)klen, b);
		if (i == 0)
			FUZZ_CHECK(klen == 7 && memcmp(b, "MESSAGE", 7) == 0,
				   "first field is %.*s, not MESSAGE",
				   (int)klen, b);
		/* fmt_journal.c promises that no name is used twice. */
		for (size_t j = 0; j < i; j++) {
			const char *o = jf->iov[j].iov_base;

			FUZZ_CHECK(!(jf->iov[j].iov_len > klen &&
				     o[klen] == '=' &&
				     memcmp(o, b, klen) == 0),
				   "field name %.*s used twice", (int)klen, b);
		}
	}
}

/* ------------------------------------------------------------ driver */

/* Interface names the daemon could hand over; ifindex picks one, so the
 * fuzzer reaches the escaping of odd names in every format. */
static const char *const ifnames[8] = {
	"eth0",
	"",
	NULL,
	"very-long-nam15",
	"a b\\c\"d=e",
	"\xc3\xa9th\xff\xed\xa0\x80",       /* é, a stray byte, a surrogate */
	"\x01\x7f\x1b[0m\n",
	"lo",
};

static const char *ifname_of(const struct nflog_meta *m, uint32_t have,
			     uint32_t idx)
{
	return (m->present & have) ? ifnames[idx % 8] : NULL;
}

/* Big enough for any record: the prefix is at most 65531 bytes and no
 * format expands a byte to more than 6. */
static char big[1 << 19];

static void run_fmt_log(const struct record *rec,
			const struct log_ifnames *ifn, unsigned int flags,
			size_t cut)
{
	const struct nflog_meta *m = rec->meta;
	size_t names = 0, bound;
	char *exact;
	int r, r2;

	r = fmt_log(rec, ifn, flags, big, sizeof(big));
	FUZZ_CHECK(r >= 0, "fmt_log returned %d with a %zu-byte buffer", r,
		   sizeof(big));
	fuzz_check_log_line(big, (size_t)r);

	/* fmt_log.h: FMT_LOG_MAX + 4 * prefix_len is enough, plus the
	 * (escaped, up to 4x) interface names we pass. */
	if (ifn) {
		const char *const n4[4] = { ifn->in, ifn->out, ifn->physin,
					    ifn->physout };

		for (int i = 0; i < 4; i++)
			names += n4[i] ? 4 * strlen(n4[i]) : 0;
	}
	bound = FMT_LOG_MAX + 4 * m->prefix_len + names;
	FUZZ_CHECK((size_t)r < bound, "LOG line of %d bytes > bound %zu", r,
		   bound);

	/* Exact fit must succeed with the same line and write nothing past
	 * size (the allocation is exact, ASan sees any stray byte). */
	exact = malloc((size_t)r + 1);
	r2 = fmt_log(rec, ifn, flags, exact, (size_t)r + 1);
	FUZZ_CHECK(r2 == r && memcmp(exact, big, (size_t)r + 1) == 0,
		   "fmt_log with an exact-size buffer: %d, not %d", r2, r);
	free(exact);

	/* Too small: -ENOSPC, a NUL-terminated truncated line. */
	cut = cut % ((size_t)r + 1);
	exact = malloc(cut ? cut : 1);
	r2 = fmt_log(rec, ifn, flags, exact, cut);
	FUZZ_CHECK(r2 == -ENOSPC, "fmt_log into %zu bytes for a %d-byte line "
		   "returned %d", cut, r, r2);
	if (cut)
		FUZZ_CHECK(memchr(exact, 0, cut) != NULL,
			   "truncated LOG line not NUL-terminated");
	free(exact);
}

static void run_fmt_json(const struct record *rec, const struct json_ctx *jc,
			 size_t cut)
{
	char *exact;
	int r, r2;

	r = fmt_json(rec, jc, big, sizeof(big));
	FUZZ_CHECK(r >= 0, "fmt_json returned %d with a %zu-byte buffer", r,
		   sizeof(big));
	fuzz_check_json(big, (size_t)r);

	exact = malloc((size_t)r + 1);
	r2 = fmt_json(rec, jc, exact, (size_t)r + 1);
	FUZZ_CHECK(r2 == r && memcmp(exact, big, (size_t)r + 1) == 0,
		   "fmt_json with an exact-size buffer: %d, not %d", r2, r);
	free(exact);

	cut = cut % ((size_t)r + 1);
	exact = malloc(cut ? cut : 1);
	r2 = fmt_json(rec, jc, exact, cut);
	FUZZ_CHECK(r2 == -ENOSPC, "fmt_json into %zu bytes for a %d-byte "
		   "object returned %d", cut, r, r2);
	if (cut)
		FUZZ_CHECK(exact[0] == 0, "fmt_json left a cut object");
	free(exact);
}

static void run_fmt_journal(const struct record *rec,
			    const struct journal_ctx *jc)
{
	static struct journal_fields jf;
	const struct log_ifnames *ifn = jc ? jc->ifn : NULL;
	unsigned int flags = jc ? jc->log_flags : 0;
	int r, lr;

	memset(&jf, POISON, sizeof(jf));
	r = fmt_journal(rec, jc, &jf);
	fuzz_check_journal(&jf, r);

	/* MESSAGE is the LOG line (fmt_journal.h). */
	if (r < 0)
		return;
	lr = fmt_log(rec, ifn, flags, big, sizeof(big));
	FUZZ_CHECK(lr >= 0 && jf.iov[0].iov_len == 8 + (size_t)lr &&
		   memcmp((const char *)jf.iov[0].iov_base + 8, big,
			  (size_t)lr) == 0,
		   "MESSAGE differs from the LOG line:\n  %.*s\n  %s",
		   (int)jf.iov[0].iov_len, (const char *)jf.iov[0].iov_base,
		   big);
}

/* Flood control on the same records: every one is noted in a window
 * that is summarised now and then in all three forms, whose contracts are
 * those of the packet records (a summary is one line, one JSON object,
 * valid journal fields). */
static void run_flood(const struct record *rec, unsigned int sel)
{
	static struct flood_window w;
	static struct journal_fields jf;
	static char json[FMT_JSON_MAX];
	char text[FLOOD_TEXT_MAX];
	struct flood_summary s = {
		.rule = "rule-x", .limit_rate = 1000000, .limit_unit = "second",
		.burst = 1000000,
	};
	size_t tl;
	int n;

	flood_window_note(&w, rec, sel);
	if (sel % 61)
		return;
	flood_summarise(&w, sel % 7 ? (uint64_t)sel + 10000000 : UINT64_MAX, &s);
	FUZZ_CHECK(s.suppressed == w.suppressed, "summary count %llu, window %llu",
		   (unsigned long long)s.suppressed,
		   (unsigned long long)w.suppressed);
	FUZZ_CHECK(s.n_src <= FLOOD_TOP && s.n_dst <= FLOOD_TOP, "top lists %u %u",
		   s.n_src, s.n_dst);
	tl = flood_text(&s, text, sizeof(text));
	FUZZ_CHECK(tl < sizeof(text) - 1, "summary sentence cut at %zu", tl);
	fuzz_check_log_line(text, tl);
	n = fmt_json_summary(&s, "host", 1700000000, 1, json, sizeof(json));
	FUZZ_CHECK(n > 0, "fmt_json_summary: %d", n);
	fuzz_check_json(json, (size_t)n);
	n = fmt_journal_summary(&s, NULL, &jf);
	FUZZ_CHECK(n > 0, "fmt_journal_summary: %d", n);
	fuzz_check_journal(&jf, n);
	memset(&w, 0, sizeof(w));
}

void fuzz_format_all(const struct nflog_meta *m, unsigned int sel)
{
	static struct record rec;
	struct log_ifnames ifn = {
		.in = ifname_of(m, NFLOG_HAVE_INDEV, m->indev),
		.out = ifname_of(m, NFLOG_HAVE_OUTDEV, m->outdev),
		.physin = ifname_of(m, NFLOG_HAVE_PHYSINDEV, m->physindev),
		.physout = ifname_of(m, NFLOG_HAVE_PHYSOUTDEV, m->physoutdev),
	};
	/* Odd but legal context strings: quotes, control bytes, invalid
	 * UTF-8 (an encoded surrogate) must all come out as valid JSON. */
	struct json_ctx jctx = {
		.ifn = &ifn,
		.rule = "rule \"x\"\t\xe2\x82\xac\xed\xa0\x80",
		.host = "host\\\x7f",
		.action = "drop",
		.now_sec = 1700000000,
		.now_usec = 123456,
	};
	struct journal_ctx lctx = {
		.ifn = &ifn,
		.log_flags = sel & 0xff,
		.priority = (int)((sel >> 8) % 10) - 1,   /* -1..8 */
		.rule = "rule\nx",
		.identifier = NULL,
	};
	bool noctx = sel & 0x40;
	size_t cut = (sel * 2654435761u) >> 7;

	memset(&rec, POISON, sizeof(rec));
	decode_packet(m, &rec);
	check_record(&rec, m);

	run_fmt_log(&rec, noctx ? NULL : &ifn, sel & 0xff, cut);
	run_fmt_json(&rec, noctx ? NULL : &jctx, cut);
	run_fmt_journal(&rec, noctx ? NULL : &lctx);
	run_flood(&rec, sel);
}
