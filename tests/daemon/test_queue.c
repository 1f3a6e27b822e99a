/* Tests for daemon/queue.c: the bounded single-producer single-consumer
 * record queue between the receiver and an output's writer thread.
 *
 * One thread: order and exact contents of records of many lengths;
 * nothing visible before queue_commit; full by record count and by bytes;
 * queue_room giving queue_reserve's answer in every state a random walk
 * reaches; records that do not fit before the end of the buffer starting
 * at offset 0, over thousands of laps.  A model beside the queue predicts
 * every reserve's answer and the offset of every record.
 *
 * Two threads: a producer that never waits (it drops when the queue is
 * full, as the receiver does) and a consumer reading in batches; every
 * record arrives intact and in order, and received + dropped == produced.
 */
#include "queue.h"

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ck_assert records every passing check in Check's message file (a
 * write each): loops over many records use this instead. */
#define REQUIRE(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* The record layout the queue promises (queue.h): an 8-byte header, the
 * data padded to 8 bytes. */
#define HDR sizeof(struct queue_rec)
#define PAD8(x) (((size_t)(x) + 7u) & ~(size_t)7u)

/* --- helpers ----------------------------------------------------------- */

/* xorshift64*: fixed seeds, so a failure repeats. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* Record seq's header: the rule and flags carry the sequence number
 * (both halves, so a record with the wrong header is caught). */
static uint16_t rule_of(uint32_t seq)
{
	return (uint16_t)seq;
}

static uint16_t flags_of(uint32_t seq)
{
	return (uint16_t)((seq >> 16) ^ 0xa5a5);
}

static uint32_t seq_of(const struct queue_rec *r)
{
	return r->rule | (uint32_t)(r->flags ^ 0xa5a5) << 16;
}

/* Byte k of record seq's data: differs between neighbouring records and
 * along one record, so a stale or shifted record does not match. */
static uint8_t content(uint32_t seq, size_t k)
{
	return (uint8_t)(seq * 251u + k * 13u + (k >> 8) + 1u);
}

static void fill(void *p, uint32_t seq, uint32_t len)
{
	uint8_t *d = p;

	for (size_t k = 0; k < len; k++)
		d[k] = content(seq, k);
}

/* The index of the first wrong byte of r's data, or -1. */
static long bad_byte(const struct queue_rec *r, uint32_t seq)
{
	const uint8_t *d = queue_data(r);

	for (size_t k = 0; k < r->len; k++)
		if (d[k] != content(seq, k))
			return (long)k;
	return -1;
}

static size_t offset(const struct queue *q, const void *p)
{
	return (size_t)((const uint8_t *)p - q->buf);
}

/* --- a model beside the queue ------------------------------------------ */

/* What the queue should hold: every unreleased record with the absolute
 * position of its header, and where reserving and releasing stand.  From
 * queue.c's rule -- a record never wraps: when it does not fit before the
 * end of the buffer, the rest is skipped and it starts at offset 0 -- the
 * model predicts each reserve's answer and each record's offset. */
struct exp_rec {
	uint32_t seq, len;
	size_t at;              /* absolute position of the header */
	size_t end;             /* absolute position after the data */
};

struct model {
	struct queue q;
	struct exp_rec *rec;    /* ring of max_records, oldest first */
	size_t first, n;        /* n: reserved and not released */
	size_t n_committed;     /* the first n_committed of them */
	size_t pos, tail;       /* absolute: end of reserved, released start */
	uint32_t seq;
	unsigned long ok, full_count, full_bytes, skips;
};

static void model_init(struct model *m, size_t bytes, size_t max_records)
{
	memset(m, 0, sizeof(*m));
	ck_assert_int_eq(queue_init(&m->q, bytes, max_records), 0);
	m->rec = calloc(max_records, sizeof(*m->rec));
	ck_assert_ptr_nonnull(m->rec);
}

static void model_fini(struct model *m)
{
	queue_fini(&m->q);
	free(m->rec);
}

/* Reserve a record of len bytes and fill it; the queue's answer (and
 * queue_room's, asked just before) must be the model's. */
static bool model_reserve(struct model *m, uint32_t len)
{
	size_t size = m->q.size, need = HDR + PAD8(len);
	size_t to_end = size - m->pos % size;
	size_t skip = need > to_end ? to_end : 0;
	bool by_count = m->n >= m->q.max_records;
	bool by_bytes = m->pos + skip + need - m->tail > size;
	bool room = queue_room(&m->q, len);
	uint8_t *p = queue_reserve(&m->q, len, rule_of(m->seq),
				   flags_of(m->seq));
	struct exp_rec *e;

	REQUIRE(room == (p != NULL),
		"len %u: queue_room says %d, queue_reserve gave %p "
		"(%zu records, pos %zu, tail %zu)",
		len, room, (void *)p, m->n, m->pos, m->tail);
	REQUIRE((p != NULL) == (!by_count && !by_bytes),
		"len %u: reserve %s, expected %s (%zu of %zu records, "
		"pos %zu, tail %zu, size %zu)", len, p ? "took it" : "refused",
		by_count ? "full by count" : by_bytes ? "full by bytes" : "room",
		m->n, m->q.max_records, m->pos, m->tail, size);
	if (!p) {
		if (by_count)
			m->full_count++;
		else
			m->full_bytes++;
		return false;
	}
	REQUIRE(offset(&m->q, p) == (m->pos + skip) % size + HDR,
		"record %u (len %u) has its data at offset %zu, expected %zu",
		m->seq, len, offset(&m->q, p), (m->pos + skip) % size + HDR);
	fill(p, m->seq, len);
	e = &m->rec[(m->first + m->n) % m->q.max_records];
	e->seq = m->seq;
	e->len = len;
	e->at = m->pos + skip;
	e->end = e->at + need;
	m->pos = e->end;
	m->n++;
	m->seq++;
	m->ok++;
	if (skip)
		m->skips++;
	return true;
}

static void model_commit(struct model *m)
{
	queue_commit(&m->q);
	m->n_committed = m->n;
	REQUIRE(queue_count(&m->q) == m->n,
		"count %zu after commit, expected %zu", queue_count(&m->q), m->n);
}

/* Read the k oldest records (1 <= k <= committed), check each, release
 * them. */
static void model_consume(struct model *m, size_t k)
{
	const struct queue_rec *r = queue_first(&m->q);
	size_t size = m->q.size, max = m->q.max_records;

	/* queue_first has given one: releasing 0 would free it uncounted */
	REQUIRE(k >= 1 && k <= m->n_committed, "consume %zu of %zu", k,
		m->n_committed);
	for (size_t i = 0; i < k; i++) {
		const struct exp_rec *e = &m->rec[(m->first + i) % max];
		long bad;

		REQUIRE(r != NULL, "record %u (%zu of %zu): none", e->seq,
			i + 1, k);
		REQUIRE(offset(&m->q, r) == e->at % size,
			"record %u at offset %zu, expected %zu", e->seq,
			offset(&m->q, r), e->at % size);
		REQUIRE(r->len == e->len && seq_of(r) == e->seq,
			"record %u len %u: got record %u len %u", e->seq,
			e->len, seq_of(r), r->len);
		REQUIRE(r->rule == rule_of(e->seq) &&
			r->flags == flags_of(e->seq),
			"record %u: rule %u flags %#x", e->seq, r->rule, r->flags);
		bad = bad_byte(r, e->seq);
		REQUIRE(bad < 0, "record %u (len %u): byte %ld is %u, not %u",
			e->seq, e->len, bad, queue_data(r)[bad < 0 ? 0 : bad],
			content(e->seq, (size_t)(bad < 0 ? 0 : bad)));
		if (i + 1 < k)
			r = queue_next(&m->q);
	}
	if (k == m->n_committed)
		REQUIRE(queue_next(&m->q) == NULL,
			"a record after the %zu committed", k);
	queue_release(&m->q, k);
	m->tail = m->rec[(m->first + k - 1) % max].end;
	m->first = (m->first + k) % max;
	m->n -= k;
	m->n_committed -= k;
	REQUIRE(queue_count(&m->q) == m->n_committed,
		"count %zu after release, expected %zu", queue_count(&m->q),
		m->n_committed);
}

/* --- one thread -------------------------------------------------------- */

START_TEST(init_rounds_up_to_power_of_two)
{
	static const struct {
		size_t bytes, size;
	} t[] = {
		{ 1, 4096 }, { 4096, 4096 }, { 4097, 8192 },
		{ 65536, 65536 }, { 100000, 131072 },
	};

	ck_assert_uint_eq(HDR, 8);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct queue q;

		ck_assert_int_eq(queue_init(&q, t[i].bytes, 16), 0);
		ck_assert_uint_eq(q.size, t[i].size);
		ck_assert_ptr_nonnull(q.buf);
		ck_assert_uint_eq(queue_count(&q), 0);
		ck_assert_ptr_null(queue_first(&q));
		ck_assert_ptr_null(queue_next(&q));
		queue_fini(&q);
		ck_assert_ptr_null(q.buf);
	}
}
END_TEST

START_TEST(order_lengths_and_contents_exact)
{
	static const uint32_t lens[] = {
		0, 1, 7, 8, 9, 15, 16, 17, 100, 255, 256, 1000, 0, 3,
	};
	enum { N = sizeof(lens) / sizeof(lens[0]) };
	struct queue q;
	void *p[N];
	size_t off = 0;
	const struct queue_rec *r;
	uint8_t *last;

	ck_assert_int_eq(queue_init(&q, 65536, 64), 0);
	for (uint32_t i = 0; i < N; i++) {
		p[i] = queue_reserve(&q, lens[i], rule_of(i), flags_of(i));
		ck_assert_ptr_nonnull(p[i]);
		/* back to back: a header, the data padded to 8 */
		ck_assert_uint_eq(offset(&q, p[i]), off + HDR);
		off += HDR + PAD8(lens[i]);
		fill(p[i], i, lens[i]);
	}
	queue_commit(&q);
	ck_assert_uint_eq(queue_count(&q), N);
	/* Twice: queue_first starts again from the oldest unreleased
	 * record, and peeking frees nothing. */
	for (int pass = 0; pass < 2; pass++) {
		r = queue_first(&q);
		for (uint32_t i = 0; i < N; i++) {
			ck_assert_ptr_nonnull(r);
			ck_assert_ptr_eq(queue_data(r), p[i]);
			ck_assert_uint_eq(r->len, lens[i]);
			ck_assert_uint_eq(r->rule, rule_of(i));
			ck_assert_uint_eq(r->flags, flags_of(i));
			ck_assert_int_eq(bad_byte(r, i), -1);
			r = queue_next(&q);
		}
		ck_assert_ptr_null(r);
		ck_assert_ptr_null(queue_next(&q));     /* stays at the end */
		ck_assert_uint_eq(queue_count(&q), N);
	}
	queue_release(&q, N);
	ck_assert_uint_eq(queue_count(&q), 0);
	ck_assert_ptr_null(queue_first(&q));
	/* Room again: a record filling the buffer to its very end goes
	 * right after the released ones, no byte wasted. */
	ck_assert(queue_room(&q, (uint32_t)(q.size - off - HDR)));
	ck_assert(!queue_room(&q, (uint32_t)(q.size - off - HDR + 1)));
	last = queue_reserve(&q, (uint32_t)(q.size - off - HDR), 7, 9);
	ck_assert_ptr_nonnull(last);
	ck_assert_uint_eq(offset(&q, last), off + HDR);
	fill(last, 77, (uint32_t)(q.size - off - HDR));
	queue_commit(&q);
	r = queue_first(&q);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->len, q.size - off - HDR);
	ck_assert_uint_eq(r->rule, 7);
	ck_assert_uint_eq(r->flags, 9);
	ck_assert_int_eq(bad_byte(r, 77), -1);
	ck_assert_ptr_null(queue_next(&q));
	queue_release(&q, 1);
	ck_assert_uint_eq(queue_count(&q), 0);
	queue_fini(&q);
}
END_TEST

START_TEST(nothing_visible_before_commit)
{
	struct queue q;
	const struct queue_rec *r;

	ck_assert_int_eq(queue_init(&q, 65536, 64), 0);
	for (uint32_t i = 0; i < 3; i++)
		fill(queue_reserve(&q, 10 + i, rule_of(i), flags_of(i)), i,
		     10 + i);
	ck_assert_uint_eq(queue_count(&q), 0);
	ck_assert_uint_eq(queue_bytes(&q), 0);
	ck_assert_ptr_null(queue_first(&q));
	ck_assert_ptr_null(queue_next(&q));
	queue_commit(&q);
	ck_assert_uint_eq(queue_count(&q), 3);
	/* 10, 11, 12 bytes: each padded to 16, plus its header */
	ck_assert_uint_eq(queue_bytes(&q), 3 * (HDR + 16));
	for (uint32_t i = 0; i < 3; i++) {
		r = i ? queue_next(&q) : queue_first(&q);
		ck_assert_ptr_nonnull(r);
		ck_assert_uint_eq(seq_of(r), i);
		ck_assert_uint_eq(r->len, 10 + i);
	}
	/* Two more reserved while the consumer is at the end: it must not
	 * see them, however often it looks, until they are committed. */
	for (uint32_t i = 3; i < 5; i++)
		fill(queue_reserve(&q, 10 + i, rule_of(i), flags_of(i)), i,
		     10 + i);
	ck_assert_ptr_null(queue_next(&q));
	ck_assert_ptr_null(queue_next(&q));
	ck_assert_uint_eq(queue_count(&q), 3);
	queue_commit(&q);
	ck_assert_uint_eq(queue_count(&q), 5);
	r = queue_next(&q);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(seq_of(r), 3);
	ck_assert_int_eq(bad_byte(r, 3), -1);
	/* release frees the four given so far, not the fifth */
	ck_assert_uint_eq(queue_bytes(&q), 5 * (HDR + 16));
	queue_release(&q, 4);
	ck_assert_uint_eq(queue_count(&q), 1);
	ck_assert_uint_eq(queue_bytes(&q), HDR + 16);
	r = queue_first(&q);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(seq_of(r), 4);
	ck_assert_uint_eq(r->len, 14);
	ck_assert_int_eq(bad_byte(r, 4), -1);
	ck_assert_ptr_null(queue_next(&q));
	queue_release(&q, 1);
	ck_assert_uint_eq(queue_count(&q), 0);
	ck_assert_uint_eq(queue_bytes(&q), 0);
	/* a commit with nothing reserved publishes nothing */
	queue_commit(&q);
	ck_assert_uint_eq(queue_count(&q), 0);
	ck_assert_ptr_null(queue_first(&q));
	queue_fini(&q);
}
END_TEST

START_TEST(batch_ready_at_batch_or_a_quarter)
{
	static const struct {
		size_t bytes, max_records;
		uint32_t len;           /* bytes of each record */
		size_t ready_at;        /* records published when it is ready */
		const char *why;
	} cases[] = {
		{ 16u << 20, 65536, 1048, 256,
		  "the default JSON output: the batch (256), long before a quarter" },
		{ 64 * 256, 64, 1048, 4,
		  "queue_size 64 (16 KiB): a quarter of the bytes, four 1 KiB objects" },
		{ 64 * 256, 64, 8, 16,
		  "queue_size 64: a quarter of the records, 16 small ones" },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct queue q;

		ck_assert_int_eq(queue_init(&q, cases[c].bytes,
					    cases[c].max_records), 0);
		for (size_t n = 0; n + 1 < cases[c].ready_at; n++)
			ck_assert_ptr_nonnull(queue_reserve(&q, cases[c].len, 0, 0));
		queue_commit(&q);
		ck_assert_msg(!queue_batch_ready(&q, 256), "%s: ready one early",
			      cases[c].why);
		ck_assert_ptr_nonnull(queue_reserve(&q, cases[c].len, 0, 0));
		/* reserved is not published: not yet */
		ck_assert_msg(!queue_batch_ready(&q, 256), "%s: ready before "
			      "the commit", cases[c].why);
		queue_commit(&q);
		ck_assert_msg(queue_batch_ready(&q, 256), "%s: not ready",
			      cases[c].why);
		queue_fini(&q);
	}
}
END_TEST

START_TEST(full_by_record_count)
{
	struct model m;

	/* bytes for hundreds of these records: only the count limits */
	model_init(&m, 65536, 10);
	for (int i = 0; i < 10; i++)
		ck_assert(model_reserve(&m, 8));
	/* reserved but not committed records count too */
	ck_assert(!queue_room(&m.q, 0));
	ck_assert_ptr_null(queue_reserve(&m.q, 0, 1, 1));
	model_commit(&m);
	ck_assert_uint_eq(queue_count(&m.q), 10);
	ck_assert(!queue_room(&m.q, 0));
	ck_assert(!model_reserve(&m, 0));
	ck_assert_uint_eq(m.full_count, 1);
	/* one released: room for exactly one */
	model_consume(&m, 1);
	ck_assert_uint_eq(queue_count(&m.q), 9);
	ck_assert(queue_room(&m.q, 100));
	ck_assert(model_reserve(&m, 100));
	ck_assert(!queue_room(&m.q, 0));
	ck_assert(!model_reserve(&m, 0));
	model_commit(&m);
	ck_assert_uint_eq(queue_count(&m.q), 10);
	/* the refused ones took no number: 1..10 follow in order */
	model_consume(&m, 10);
	ck_assert_uint_eq(queue_count(&m.q), 0);
	ck_assert_uint_eq(m.seq, 11);
	ck_assert_uint_eq(m.full_count, 2);
	ck_assert_uint_eq(m.full_bytes, 0);
	model_fini(&m);
}
END_TEST

START_TEST(full_by_bytes)
{
	struct model m;

	/* 4096 bytes hold eight records of 504 (512 with the header);
	 * the count allows a thousand */
	model_init(&m, 4096, 1000);
	ck_assert_uint_eq(m.q.size, 4096);
	for (int i = 0; i < 8; i++)
		ck_assert(model_reserve(&m, 504));
	ck_assert(!queue_room(&m.q, 504));
	ck_assert(!queue_room(&m.q, 0));
	ck_assert(!model_reserve(&m, 504));
	ck_assert(!model_reserve(&m, 0));
	model_commit(&m);
	ck_assert(!model_reserve(&m, 0));
	ck_assert_uint_eq(m.full_bytes, 3);
	ck_assert_uint_eq(m.full_count, 0);
	/* one released: 512 bytes, at offset 0; not one byte more */
	model_consume(&m, 1);
	ck_assert(queue_room(&m.q, 504));
	ck_assert(!queue_room(&m.q, 505));
	ck_assert(model_reserve(&m, 504));
	ck_assert_uint_eq(m.rec[(m.first + m.n - 1) % 1000].at % 4096, 0);
	ck_assert(!model_reserve(&m, 0));
	model_commit(&m);
	model_consume(&m, 8);
	ck_assert_uint_eq(queue_count(&m.q), 0);
	/* too big for the buffer: never; exactly the buffer: at offset 0
	 * of an empty queue */
	ck_assert(!model_reserve(&m, 4089));
	ck_assert(!queue_room(&m.q, UINT32_MAX));
	ck_assert_ptr_null(queue_reserve(&m.q, UINT32_MAX, 1, 1));
	ck_assert_uint_eq(m.pos % 4096, 512);
	ck_assert(model_reserve(&m, 4096 - 512 - HDR));
	model_commit(&m);
	model_consume(&m, 1);
	ck_assert(model_reserve(&m, 4096 - HDR));
	ck_assert(!model_reserve(&m, 0));
	model_commit(&m);
	model_consume(&m, 1);
	ck_assert_uint_eq(m.seq, 11);
	model_fini(&m);
}
END_TEST

/* queue_room is how the receiver decides not to format a record: it must
 * say what queue_reserve will do.  A random walk through full and empty
 * states, records from empty to larger than the buffer, committed in
 * random groups, released in random amounts; model_reserve compares
 * queue_room with queue_reserve (and both with the model) each time. */
START_TEST(room_agrees_with_reserve_in_random_states)
{
	struct model m;
	uint64_t s = 0x9e3779b97f4a7c15ull;
	unsigned int consume_pct = 5;

	model_init(&m, 4096, 24);
	for (int it = 0; it < 200000; it++) {
		unsigned int a = (unsigned int)(rnd(&s) % 100);

		/* phases of filling and of draining, so that both full
		 * states are reached */
		if (it % 2000 == 0)
			consume_pct = consume_pct == 5 ? 45 : 5;
		if (a < consume_pct) {
			if (m.n_committed)
				model_consume(&m, 1 + rnd(&s) % m.n_committed);
		} else if (a < consume_pct + 10) {
			model_commit(&m);
		} else {
			unsigned int c = (unsigned int)(rnd(&s) % 100);
			uint32_t len = c < 70 ? rnd(&s) % 101 :
				       c < 95 ? 101 + rnd(&s) % 600 :
				       701 + rnd(&s) % 3600;

			model_reserve(&m, len);
		}
	}
	model_commit(&m);
	if (m.n_committed)
		model_consume(&m, m.n_committed);
	ck_assert_uint_eq(queue_count(&m.q), 0);
	/* the walk went where it should: every kind of answer, often */
	ck_assert_uint_gt(m.ok, 10000);
	ck_assert_uint_gt(m.full_count, 1000);
	ck_assert_uint_gt(m.full_bytes, 1000);
	ck_assert_uint_gt(m.skips, 100);
	model_fini(&m);
}
END_TEST

/* The wrap in numbers: four records of 1000 (1008 bytes each) leave 64
 * bytes at the end of a 4096-byte buffer; the fifth skips them and starts
 * at offset 0, the sixth follows it; a record of exactly the 64 left
 * bytes needs no skip. */
START_TEST(wrap_starts_record_at_offset_zero)
{
	struct model m;
	const struct queue_rec *r;

	model_init(&m, 4096, 100);
	for (int i = 0; i < 4; i++)
		ck_assert(model_reserve(&m, 1000));
	model_commit(&m);
	model_consume(&m, 2);                   /* tail at 2016 */
	ck_assert(queue_room(&m.q, 1000));
	ck_assert(model_reserve(&m, 1000));
	ck_assert_uint_eq(m.rec[(m.first + 2) % 100].at, 4096);
	ck_assert_uint_eq(m.skips, 1);
	ck_assert(model_reserve(&m, 1000));     /* 1008 .. 2016: just fits */
	ck_assert_uint_eq(m.rec[(m.first + 3) % 100].at, 4096 + 1008);
	ck_assert(!queue_room(&m.q, 0));
	ck_assert(!model_reserve(&m, 0));
	model_commit(&m);
	/* the consumer steps over the skipped end: records 2, 3, 4, 5 at
	 * offsets 2016, 3024, 0, 1008 */
	r = queue_first(&m.q);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(offset(&m.q, r), 2016);
	ck_assert_uint_eq(seq_of(r), 2);
	r = queue_next(&m.q);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(offset(&m.q, r), 3024);
	ck_assert_uint_eq(seq_of(r), 3);
	r = queue_next(&m.q);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(offset(&m.q, r), 0);
	ck_assert_uint_eq(seq_of(r), 4);
	ck_assert_int_eq(bad_byte(r, 4), -1);
	r = queue_next(&m.q);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(offset(&m.q, r), 1008);
	ck_assert_uint_eq(seq_of(r), 5);
	ck_assert_ptr_null(queue_next(&m.q));
	/* the same again through the model, and released */
	model_consume(&m, 4);
	ck_assert_uint_eq(m.tail, 4096 + 2016);
	/* to 4032, then a record of exactly the 64 bytes left: no skip */
	ck_assert(model_reserve(&m, 2016 - HDR));
	ck_assert(model_reserve(&m, 64 - HDR));
	ck_assert_uint_eq(m.rec[(m.first + 1) % 100].at, 4096 + 4032);
	ck_assert(model_reserve(&m, 0));
	ck_assert_uint_eq(m.rec[(m.first + 2) % 100].at, 2 * 4096);
	ck_assert_uint_eq(m.skips, 1);
	model_commit(&m);
	model_consume(&m, 3);
	model_fini(&m);
}
END_TEST

/* Many laps of the buffer with records of 0..400 bytes, committed in
 * groups of 1..4, up to two left unreleased across rounds so that the
 * queue wraps while not empty: every record is taken (the bytes always
 * suffice), sits where the model says and reads back intact. */
START_TEST(wrap_many_laps_contents_intact)
{
	struct model m;
	uint64_t s = 0x243f6a8885a308d3ull;

	model_init(&m, 4096, 1000);
	for (int round = 0; round < 20000; round++) {
		unsigned int k = 1 + (unsigned int)(rnd(&s) % 4);
		size_t keep = rnd(&s) % 3;

		for (unsigned int i = 0; i < k; i++)
			REQUIRE(model_reserve(&m, rnd(&s) % 401),
				"round %d: refused", round);
		model_commit(&m);
		if (m.n_committed > keep)
			model_consume(&m, m.n_committed - keep);
	}
	if (m.n_committed)
		model_consume(&m, m.n_committed);
	ck_assert_uint_eq(queue_count(&m.q), 0);
	ck_assert_uint_eq(m.full_count + m.full_bytes, 0);
	ck_assert_uint_gt(m.skips, 500);
	ck_assert_uint_gt(m.pos / 4096, 1000);         /* laps */
	model_fini(&m);
}
END_TEST

/* --- two threads ------------------------------------------------------- */

#define SPSC_RECORDS 2000000u
#define SPSC_DEADLINE_S 60

struct spsc {
	struct queue q;
	atomic_bool done;       /* producer: the last record is committed */
	atomic_bool stop;       /* consumer: an error or the deadline */
	uint8_t *sent, *got;    /* bitmaps by sequence number */
	unsigned long accepted, dropped;        /* producer's */
	unsigned long received;                 /* consumer's */
	char perr[200], cerr[200];
};

static uint32_t spsc_len(uint32_t seq)
{
	return ((seq * 2654435761u) >> 9) % 301;
}

/* The receiver's part: it never waits for the queue, a record that does
 * not fit is dropped and counted; commits in groups of 1..16 as the
 * receiver does after each burst of datagrams. */
static void *producer(void *arg)
{
	struct spsc *t = arg;
	unsigned int group = 0;

	for (uint32_t seq = 0; seq < SPSC_RECORDS; seq++) {
		uint32_t len = spsc_len(seq);
		bool room;
		uint8_t *p;

		if (seq % 4096 == 0 && atomic_load(&t->stop))
			break;
		room = queue_room(&t->q, len);
		p = queue_reserve(&t->q, len, rule_of(seq), flags_of(seq));
		/* The consumer only frees: room said now holds a moment
		 * later.  (No room, then a reserve that works, is fine.) */
		if (room && !p) {
			snprintf(t->perr, sizeof(t->perr), "record %u len %u: "
				 "queue_room true, queue_reserve NULL", seq, len);
			break;
		}
		if (!p) {
			/* and then waits for the next datagram: without
			 * that, on a busy machine, the producer could run
			 * through all its records before the consumer is
			 * scheduled, and nothing would be tested */
			t->dropped++;
			sched_yield();
			continue;
		}
		fill(p, seq, len);
		t->sent[seq / 8] |= (uint8_t)(1u << seq % 8);
		t->accepted++;
		if (++group >= 1 + (seq >> 5) % 16) {
			queue_commit(&t->q);
			group = 0;
		}
	}
	queue_commit(&t->q);
	atomic_store_explicit(&t->done, true, memory_order_release);
	return NULL;
}

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The writer thread's part: batches of 1..64 records, each checked, then
 * released; when the queue is empty, yield. */
static void *consumer(void *arg)
{
	struct spsc *t = arg;
	uint64_t s = 0x13198a2e03707344ull;
	uint32_t next_min = 0;  /* the lowest sequence number still possible */
	unsigned long loops = 0;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		/* done before looking: if it was set and the queue is empty,
		 * the last commit has been read */
		bool done = atomic_load_explicit(&t->done, memory_order_acquire);
		const struct queue_rec *r = queue_first(&t->q);
		size_t n = 0, want = 1 + rnd(&s) % 64;

		if (++loops % 1024 == 0 && since(&t0) > SPSC_DEADLINE_S) {
			snprintf(t->cerr, sizeof(t->cerr), "not done after "
				 "%d s: %lu received", SPSC_DEADLINE_S,
				 t->received);
			goto fail;
		}
		if (!r) {
			if (done)
				return NULL;
			sched_yield();
			continue;
		}
		while (r) {
			uint32_t seq = seq_of(r);
			long bad;

			if (seq < next_min || seq >= SPSC_RECORDS) {
				snprintf(t->cerr, sizeof(t->cerr), "record %u "
					 "after %u", seq, next_min - 1);
				goto fail;
			}
			if (r->len != spsc_len(seq)) {
				snprintf(t->cerr, sizeof(t->cerr), "record %u: "
					 "len %u, not %u", seq, r->len,
					 spsc_len(seq));
				goto fail;
			}
			bad = bad_byte(r, seq);
			if (bad >= 0) {
				snprintf(t->cerr, sizeof(t->cerr), "record %u "
					 "(len %u): byte %ld wrong", seq,
					 r->len, bad);
				goto fail;
			}
			t->got[seq / 8] |= (uint8_t)(1u << seq % 8);
			next_min = seq + 1;
			if (++n == want)
				break;
			r = queue_next(&t->q);
		}
		/* what was read has been counted in (and is not released) */
		if (queue_count(&t->q) < n) {
			snprintf(t->cerr, sizeof(t->cerr), "count %zu with %zu "
				 "records read", queue_count(&t->q), n);
			goto fail;
		}
		queue_release(&t->q, n);
		t->received += n;
	}
fail:
	atomic_store(&t->stop, true);
	return NULL;
}

START_TEST(two_threads_every_record_intact_in_order)
{
	struct spsc *t = calloc(1, sizeof(*t));
	pthread_t pt, ct;

	ck_assert_ptr_nonnull(t);
	/* small, as a queue a slow output has filled: both the count and
	 * the bytes run out, and the buffer laps thousands of times */
	ck_assert_int_eq(queue_init(&t->q, 16384, 128), 0);
	t->sent = calloc(SPSC_RECORDS / 8 + 1, 1);
	t->got = calloc(SPSC_RECORDS / 8 + 1, 1);
	ck_assert_ptr_nonnull(t->sent);
	ck_assert_ptr_nonnull(t->got);
	ck_assert_int_eq(pthread_create(&ct, NULL, consumer, t), 0);
	ck_assert_int_eq(pthread_create(&pt, NULL, producer, t), 0);
	ck_assert_int_eq(pthread_join(pt, NULL), 0);
	ck_assert_int_eq(pthread_join(ct, NULL), 0);
	ck_assert_msg(!t->perr[0], "producer: %s", t->perr);
	ck_assert_msg(!t->cerr[0], "consumer: %s", t->cerr);
	ck_assert_uint_eq(t->accepted + t->dropped, SPSC_RECORDS);
	ck_assert_uint_eq(t->received + t->dropped, SPSC_RECORDS);
	/* the consumer ran while the producer did: it took at least
	 * sixteen queues full */
	ck_assert_uint_gt(t->received, 16 * 128);
	/* exactly the records taken arrived: none lost, none twice */
	ck_assert(memcmp(t->sent, t->got, SPSC_RECORDS / 8 + 1) == 0);
	ck_assert_uint_eq(queue_count(&t->q), 0);
	ck_assert_ptr_null(queue_first(&t->q));
	queue_fini(&t->q);
	free(t->sent);
	free(t->got);
	free(t);
}
END_TEST

static Suite *queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *one = tcase_create("one thread");
	TCase *two = tcase_create("two threads");

	tcase_set_timeout(one, 60);
	tcase_add_test(one, init_rounds_up_to_power_of_two);
	tcase_add_test(one, order_lengths_and_contents_exact);
	tcase_add_test(one, nothing_visible_before_commit);
	tcase_add_test(one, batch_ready_at_batch_or_a_quarter);
	tcase_add_test(one, full_by_record_count);
	tcase_add_test(one, full_by_bytes);
	tcase_add_test(one, room_agrees_with_reserve_in_random_states);
	tcase_add_test(one, wrap_starts_record_at_offset_zero);
	tcase_add_test(one, wrap_many_laps_contents_intact);
	suite_add_tcase(s, one);

	/* the consumer gives up at SPSC_DEADLINE_S; Check's timeout is the
	 * backstop should a thread hang */
	tcase_set_timeout(two, SPSC_DEADLINE_S + 30);
	tcase_add_test(two, two_threads_every_record_intact_in_order);
	suite_add_tcase(s, two);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(queue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
