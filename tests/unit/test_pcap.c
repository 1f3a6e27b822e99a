/* Unit tests for common/pcap.c: pcap files are built in memory from a table,
 * then read back; offsets, errors and every record field are checked
 * exactly.  Each table row runs twice, once at an odd address, so an
 * unaligned load in the reader shows up under UBSan. */
#include "pcap.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NOCUT SIZE_MAX
#define MAXREC 4

struct rec_spec {
	uint32_t sec, frac, caplen, origlen;
	int32_t datalen;        /* data bytes actually written; -1: caplen */
};

struct want_rec {
	size_t off;             /* file offset of the record header */
	uint64_t sec;
	uint32_t usec;
};

struct pcap_case {
	const char *name;
	/* file */
	bool big;               /* written big-endian */
	uint32_t magic;
	uint16_t vmaj, vmin;
	uint32_t snaplen, network;
	size_t nrec;
	struct rec_spec rec[MAXREC];
	size_t trail;           /* zero bytes appended after the records */
	size_t cut;             /* truncate the file to this length */
	/* expected */
	int init_ret;
	uint32_t linktype;
	bool nsec;
	size_t nok;             /* records that read back fine */
	struct want_rec want[MAXREC];
	int end_ret;            /* what pcap_reader_next says after them */
	size_t end_off;         /* and r.off then */
};

#define V24 .vmaj = 2, .vmin = 4
#define NFLOG_HDR .snaplen = 65535, .network = PCAP_LINKTYPE_NFLOG, \
	.linktype = PCAP_LINKTYPE_NFLOG
#define R(s, f, c, o) { .sec = (s), .frac = (f), .caplen = (c), \
	.origlen = (o), .datalen = -1 }
#define RD(s, f, c, o, d) { .sec = (s), .frac = (f), .caplen = (c), \
	.origlen = (o), .datalen = (d) }

/* Records and what reads back from them, written in either byte order. */
#define THREE_USEC \
	.nrec = 3, .rec = { R(1700000000, 0, 0, 0), \
			    R(1700000001, 999999, 5, 1500), \
			    R(0xffffffff, 1, 60, 60) }, \
	.nok = 3, .want = { { 24, 1700000000, 0 }, \
			    { 40, 1700000001, 999999 }, \
			    { 61, 0xffffffff, 1 } }, \
	.end_ret = 0, .end_off = 137
#define NS_TO_US \
	.nrec = 4, .rec = { R(10, 123456789, 1, 1), R(11, 999999999, 2, 2), \
			    R(12, 999, 3, 3), R(13, 1000, 4, 4) }, \
	.nok = 4, .want = { { 24, 10, 123456 }, { 41, 11, 999999 }, \
			    { 59, 12, 0 }, { 78, 13, 1 } }, \
	.end_ret = 0, .end_off = 98

static const struct pcap_case cases[] = {
	/* --- well-formed files ------------------------------------------ */
	{ .name = "le usec, no records", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT,
	  .end_ret = 0, .end_off = 24 },
	{ .name = "be usec, no records", V24, NFLOG_HDR, .big = true,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT,
	  .end_ret = 0, .end_off = 24 },
	{ .name = "le nsec, no records", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_NSEC, .cut = NOCUT, .nsec = true,
	  .end_ret = 0, .end_off = 24 },
	{ .name = "be nsec, no records", V24, NFLOG_HDR, .big = true,
	  .magic = PCAP_MAGIC_NSEC, .cut = NOCUT, .nsec = true,
	  .end_ret = 0, .end_off = 24 },
	{ .name = "le usec, three records", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT, THREE_USEC },
	{ .name = "be usec, three records", V24, NFLOG_HDR, .big = true,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT, THREE_USEC },
	{ .name = "le nsec, ns -> us", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_NSEC, .cut = NOCUT, .nsec = true, NS_TO_US },
	{ .name = "be nsec, ns -> us", V24, NFLOG_HDR, .big = true,
	  .magic = PCAP_MAGIC_NSEC, .cut = NOCUT, .nsec = true, NS_TO_US },
	{ .name = "out-of-range fractions carried into seconds", V24,
	  NFLOG_HDR, .magic = PCAP_MAGIC_USEC, .cut = NOCUT,
	  .nrec = 2, .rec = { R(5, 1000000, 0, 0),
			      R(0xffffffff, 0xffffffff, 0, 0) },
	  .nok = 2, .want = { { 24, 6, 0 },
			      { 40, 0xffffffffull + 4294, 967295 } },
	  .end_ret = 0, .end_off = 56 },
	{ .name = "nsec 0xffffffff carried, no 32-bit overflow", V24,
	  NFLOG_HDR, .big = true, .magic = PCAP_MAGIC_NSEC, .cut = NOCUT,
	  .nsec = true,
	  .nrec = 1, .rec = { R(0xffffffff, 0xffffffff, 0, 0) },
	  .nok = 1, .want = { { 24, 0xffffffffull + 4, 294967 } },
	  .end_ret = 0, .end_off = 40 },
	{ .name = "FCS bits in network field masked off", V24,
	  .magic = PCAP_MAGIC_USEC, .snaplen = 262144,
	  .network = 0xf3ff0000u | PCAP_LINKTYPE_NFLOG,
	  .linktype = PCAP_LINKTYPE_NFLOG, .cut = NOCUT,
	  .end_ret = 0, .end_off = 24 },
	{ .name = "other link type passed through", V24,
	  .magic = PCAP_MAGIC_USEC, .snaplen = 0, .network = 1,
	  .linktype = 1, .cut = NOCUT, .end_ret = 0, .end_off = 24 },
	{ .name = "caplen == PCAP_MAX_CAPLEN accepted", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT,
	  .nrec = 2, .rec = { R(1, 2, PCAP_MAX_CAPLEN, PCAP_MAX_CAPLEN),
			      R(3, 4, 1, 1) },
	  .nok = 2, .want = { { 24, 1, 2 }, { 24 + 16 + 262144, 3, 4 } },
	  .end_ret = 0, .end_off = 24 + 16 + 262144 + 17 },
	{ .name = "caplen > origlen is not our business", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT,
	  .nrec = 1, .rec = { R(1, 2, 8, 3) },
	  .nok = 1, .want = { { 24, 1, 2 } },
	  .end_ret = 0, .end_off = 48 },

	/* --- global header errors ---------------------------------------- */
	{ .name = "empty buffer", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = 0, .init_ret = -EINVAL },
	{ .name = "global header 4 bytes", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = 4, .init_ret = -EINVAL },
	{ .name = "global header 23 bytes", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = 23, .init_ret = -EINVAL },
	{ .name = "be global header 23 bytes", V24, NFLOG_HDR, .big = true,
	  .magic = PCAP_MAGIC_NSEC, .cut = 23, .init_ret = -EINVAL },
	{ .name = "pcapng", V24, NFLOG_HDR,
	  .magic = PCAPNG_MAGIC, .cut = NOCUT,
	  .init_ret = -EPROTONOSUPPORT },
	{ .name = "pcapng, be", V24, NFLOG_HDR, .big = true,
	  .magic = PCAPNG_MAGIC, .cut = NOCUT,
	  .init_ret = -EPROTONOSUPPORT },
	{ .name = "magic zero", V24, NFLOG_HDR,
	  .magic = 0, .cut = NOCUT, .init_ret = -EINVAL },
	{ .name = "Kuznetsov modified-pcap magic", V24, NFLOG_HDR,
	  .magic = 0xa1b2cd34u, .cut = NOCUT, .init_ret = -EINVAL },
	{ .name = "magic one byte off", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC ^ 0x100, .cut = NOCUT,
	  .init_ret = -EINVAL },
	{ .name = "version 2.3", .vmaj = 2, .vmin = 3, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT,
	  .init_ret = -EPROTONOSUPPORT },
	{ .name = "version 1.4", .vmaj = 1, .vmin = 4, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT,
	  .init_ret = -EPROTONOSUPPORT },
	{ .name = "version 3.4, be", .vmaj = 3, .vmin = 4, NFLOG_HDR,
	  .big = true, .magic = PCAP_MAGIC_NSEC, .cut = NOCUT,
	  .init_ret = -EPROTONOSUPPORT },
	/* A big-endian file whose magic bytes say little-endian: the version
	 * then reads as 512.1024, which proves it is read in file order. */
	{ .name = "magic and version disagree on byte order", V24, NFLOG_HDR,
	  .big = true, .magic = 0xd4c3b2a1u, .cut = NOCUT,
	  .init_ret = -EPROTONOSUPPORT },

	/* --- record errors ----------------------------------------------- */
	{ .name = "record header 1 byte", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT, .trail = 1,
	  .end_ret = -EBADMSG, .end_off = 24 },
	{ .name = "record header 15 bytes", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .nrec = 1, .rec = { R(1, 2, 0, 0) },
	  .cut = 24 + 15, .end_ret = -EBADMSG, .end_off = 24 },
	{ .name = "second record header cut short", V24, NFLOG_HDR,
	  .big = true, .magic = PCAP_MAGIC_USEC,
	  .nrec = 2, .rec = { R(1, 2, 4, 4), R(3, 4, 4, 4) },
	  .cut = 24 + 20 + 8,
	  .nok = 1, .want = { { 24, 1, 2 } },
	  .end_ret = -EBADMSG, .end_off = 44 },
	{ .name = "data one byte short", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .nrec = 1, .rec = { R(1, 2, 10, 10) },
	  .cut = 24 + 16 + 9, .end_ret = -EBADMSG, .end_off = 24 },
	{ .name = "third record's data cut short", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_NSEC, .nsec = true,
	  .nrec = 3, .rec = { R(1, 2000, 3, 3), R(4, 5000, 0, 9),
			      R(6, 7000, 100, 100) },
	  .cut = 24 + 19 + 16 + 16 + 50,
	  .nok = 2, .want = { { 24, 1, 2 }, { 43, 4, 5 } },
	  .end_ret = -EBADMSG, .end_off = 59 },
	{ .name = "caplen 0xffffffff", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT,
	  .nrec = 1, .rec = { RD(1, 2, 0xffffffff, 0xffffffff, 4) },
	  .end_ret = -EBADMSG, .end_off = 24 },
	{ .name = "caplen 0xffffffff, be", V24, NFLOG_HDR, .big = true,
	  .magic = PCAP_MAGIC_NSEC, .nsec = true, .cut = NOCUT,
	  .nrec = 1, .rec = { RD(1, 2, 0xffffffff, 60, 64) },
	  .end_ret = -EBADMSG, .end_off = 24 },
	/* 24 + 16 + 0xffffffe8 == 2^32: wraps a 32-bit size_t to 0. */
	{ .name = "caplen that wraps a 32-bit offset", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT,
	  .nrec = 1, .rec = { RD(1, 2, 0xffffffe8u, 0, 0) },
	  .end_ret = -EBADMSG, .end_off = 24 },
	{ .name = "caplen 0x80000000 after a good record", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT,
	  .nrec = 2, .rec = { R(1, 2, 1, 1), RD(3, 4, 0x80000000u, 1, 8) },
	  .nok = 1, .want = { { 24, 1, 2 } },
	  .end_ret = -EBADMSG, .end_off = 41 },
	{ .name = "caplen one past remaining", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT,
	  .nrec = 1, .rec = { RD(1, 2, 33, 33, 32) },
	  .end_ret = -EBADMSG, .end_off = 24 },
	/* The data is all there: refused for being implausible. */
	{ .name = "caplen PCAP_MAX_CAPLEN + 1, data present", V24, NFLOG_HDR,
	  .magic = PCAP_MAGIC_USEC, .cut = NOCUT,
	  .nrec = 1, .rec = { R(1, 2, PCAP_MAX_CAPLEN + 1, 300000) },
	  .end_ret = -EBADMSG, .end_off = 24 },
	{ .name = "trailing bytes after last record", V24, NFLOG_HDR,
	  .big = true, .magic = PCAP_MAGIC_USEC, .cut = NOCUT, .trail = 7,
	  .nrec = 1, .rec = { R(1, 2, 3, 3) },
	  .nok = 1, .want = { { 24, 1, 2 } },
	  .end_ret = -EBADMSG, .end_off = 43 },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static bool host_big(void)
{
	const uint16_t one = 1;
	uint8_t b;

	memcpy(&b, &one, 1);
	return b == 0;
}

static void put16(uint8_t *p, size_t *n, uint16_t v, bool big)
{
	p[(*n)++] = (uint8_t)(big ? v >> 8 : v);
	p[(*n)++] = (uint8_t)(big ? v : v >> 8);
}

static void put32(uint8_t *p, size_t *n, uint32_t v, bool big)
{
	for (int i = 0; i < 4; i++)
		p[(*n)++] = (uint8_t)(v >> (big ? 24 - 8 * i : 8 * i));
}

static uint8_t data_byte(size_t rec, size_t i)
{
	return (uint8_t)(rec * 37 + i * 7 + 1);
}

static size_t rec_datalen(const struct rec_spec *s)
{
	return s->datalen < 0 ? s->caplen : (size_t)s->datalen;
}

/* Build the case's file at mem + misalign; returns its length (after the
 * cut).  *memp is malloc'd, to be freed by the caller. */
static size_t build(const struct pcap_case *c, size_t misalign,
		    uint8_t **memp, uint8_t **basep)
{
	size_t size = PCAP_GLOBAL_HDR_LEN + c->trail, n = 0;
	uint8_t *mem, *p;

	for (size_t i = 0; i < c->nrec; i++)
		size += PCAP_RECORD_HDR_LEN + rec_datalen(&c->rec[i]);
	mem = calloc(1, size + misalign + 1);
	ck_assert_ptr_nonnull(mem);
	p = mem + misalign;

	put32(p, &n, c->magic, c->big);
	put16(p, &n, c->vmaj, c->big);
	put16(p, &n, c->vmin, c->big);
	put32(p, &n, 0, c->big);                /* thiszone */
	put32(p, &n, 0, c->big);                /* sigfigs */
	put32(p, &n, c->snaplen, c->big);
	put32(p, &n, c->network, c->big);
	for (size_t i = 0; i < c->nrec; i++) {
		const struct rec_spec *s = &c->rec[i];

		put32(p, &n, s->sec, c->big);
		put32(p, &n, s->frac, c->big);
		put32(p, &n, s->caplen, c->big);
		put32(p, &n, s->origlen, c->big);
		for (size_t j = 0; j < rec_datalen(s); j++)
			p[n++] = data_byte(i, j);
	}
	n += c->trail;
	ck_assert_uint_eq(n, size);

	*memp = mem;
	*basep = p;
	return c->cut < n ? c->cut : n;
}

#define EQ(a, b) ck_assert_msg((uintmax_t)(a) == (uintmax_t)(b), \
	"%s (misalign %zu): %s == %ju, want %ju", c->name, misalign, #a, \
	(uintmax_t)(a), (uintmax_t)(b))
#define IEQ(a, b) ck_assert_msg((intmax_t)(a) == (intmax_t)(b), \
	"%s (misalign %zu): %s == %jd, want %jd", c->name, misalign, #a, \
	(intmax_t)(a), (intmax_t)(b))

START_TEST(test_table)
{
	const struct pcap_case *c = &cases[_i / 2];
	size_t misalign = (size_t)_i % 2;
	struct pcap_reader r;
	struct pcap_record rec;
	uint8_t *mem, *base;
	size_t len;
	int ret;

	len = build(c, misalign, &mem, &base);
	ret = pcap_reader_init(&r, base, len);
	IEQ(ret, c->init_ret);
	if (ret < 0)
		goto out;

	EQ(r.buf, base);
	EQ(r.len, len);
	EQ(r.off, PCAP_GLOBAL_HDR_LEN);
	EQ(r.swapped, c->big != host_big());
	EQ(r.nsec, c->nsec);
	EQ(r.linktype, c->linktype);
	EQ(r.snaplen, c->snaplen);
	EQ(r.version_major, 2);
	EQ(r.version_minor, 4);

	for (size_t i = 0; i < c->nok; i++) {
		const struct want_rec *w = &c->want[i];
		const struct rec_spec *s = &c->rec[i];

		ret = pcap_reader_next(&r, &rec);
		IEQ(ret, 1);
		EQ(rec.offset, w->off);
		EQ(rec.ts_sec, w->sec);
		EQ(rec.ts_usec, w->usec);
		EQ(rec.caplen, s->caplen);
		EQ(rec.origlen, s->origlen);
		EQ(rec.data, base + w->off + PCAP_RECORD_HDR_LEN);
		for (size_t j = 0; j < rec.caplen; j++)
			if (rec.data[j] != data_byte(i, j))
				ck_abort_msg("%s: record %zu byte %zu differs",
					     c->name, i, j);
		EQ(r.off, w->off + PCAP_RECORD_HDR_LEN + s->caplen);
	}

	/* The end, clean or not, and it stays put when asked again. */
	for (int again = 0; again < 2; again++) {
		memset(&rec, 0x5a, sizeof(rec));
		ret = pcap_reader_next(&r, &rec);
		IEQ(ret, c->end_ret);
		EQ(r.off, c->end_off);
		for (size_t j = 0; j < sizeof(rec); j++)
			if (((const uint8_t *)&rec)[j] != 0x5a)
				ck_abort_msg("%s: rec written on %d",
					     c->name, ret);
	}
out:
	free(mem);
}
END_TEST

/* Init failures leave *r alone (out-parameters only written on success). */
START_TEST(test_init_failure_leaves_reader)
{
	static const char *const hex[] = {
		"",
		"d4c3b2a1 0200",
		"0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff",
		"d4c3b2a1 0200 0300 00000000 00000000 ffff0000 ef000000",
		"34cdb2a1 0200 0400 00000000 00000000 ffff0000 ef000000",
	};
	uint8_t buf[64];

	for (size_t i = 0; i < sizeof(hex) / sizeof(hex[0]); i++) {
		struct pcap_reader r, before;
		size_t len = tu_unhex(hex[i], buf, sizeof(buf));

		memset(&r, 0xa5, sizeof(r));
		memcpy(&before, &r, sizeof(r));
		ck_assert_int_lt(pcap_reader_init(&r, buf, len), 0);
		ck_assert_mem_eq(&r, &before, sizeof(r));
	}
}
END_TEST

/* A tcpdump -i nflog style header and record, spelled out byte by byte as a
 * cross-check of the table's builder. */
START_TEST(test_literal_file)
{
	uint8_t buf[128];
	size_t len = tu_unhex(
		"d4c3b2a1 0200 0400 00000000 00000000 00000400 ef000000"
		"5e0b5f65 40e20100 08000000 3c000000"   /* 1700727646.123456 */
		"02000001 08000100",
		buf, sizeof(buf));
	struct pcap_reader r;
	struct pcap_record rec;

	ck_assert_uint_eq(len, 48);
	ck_assert_int_eq(pcap_reader_init(&r, buf, len), 0);
	ck_assert_uint_eq(r.linktype, PCAP_LINKTYPE_NFLOG);
	ck_assert_uint_eq(r.snaplen, 262144);
	ck_assert(!r.nsec);
	ck_assert_int_eq(pcap_reader_next(&r, &rec), 1);
	ck_assert_uint_eq(rec.ts_sec, 1700727646);
	ck_assert_uint_eq(rec.ts_usec, 123456);
	ck_assert_uint_eq(rec.caplen, 8);
	ck_assert_uint_eq(rec.origlen, 60);
	ck_assert_uint_eq(rec.offset, 24);
	ck_assert_ptr_eq(rec.data, buf + 40);
	ck_assert_uint_eq(rec.data[0], 2);              /* AF_INET */
	ck_assert_int_eq(pcap_reader_next(&r, &rec), 0);
	ck_assert_uint_eq(r.off, 48);
}
END_TEST

static Suite *pcap_suite(void)
{
	Suite *s = suite_create("pcap");
	TCase *tc = tcase_create("reader");

	tcase_add_loop_test(tc, test_table, 0, (int)(2 * NCASES));
	tcase_add_test(tc, test_init_failure_leaves_reader);
	tcase_add_test(tc, test_literal_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(pcap_suite());
}
