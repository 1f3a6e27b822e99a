/* queue: SPSC ring of variable-length records.  Positions grow without
 * bound and are masked into the buffer; a record never wraps: when it does
 * not fit before the end, a wrap marker fills the rest and the record
 * starts at offset 0. */
#include "queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WRAP_MARK UINT32_MAX
#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

int queue_init(struct queue *q, size_t bytes, size_t max_records)
{
	size_t size = 4096;

	while (size < bytes)
		size <<= 1;
	memset(q, 0, sizeof(*q));
	q->buf = aligned_alloc(8, size);
	if (!q->buf)
		return -ENOMEM;
	q->size = size;
	q->max_records = max_records;
	return 0;
}

void queue_fini(struct queue *q)
{
	free(q->buf);
	q->buf = NULL;
}

/* Whether a record of need bytes (header included) fits now; *skip: the
 * bytes to leave at the end of the buffer first (the record wraps). */
static bool fits(const struct queue *q, size_t need, size_t *skip)
{
	size_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	size_t pos = q->pending, room_to_end = q->size - (pos & (q->size - 1));

	if (queue_count(q) + q->n_pending >= q->max_records)
		return false;
	*skip = need > room_to_end ? room_to_end : 0;
	return pos + *skip + need - tail <= q->size;
}

bool queue_room(const struct queue *q, uint32_t len)
{
	size_t skip;

	return fits(q, sizeof(struct queue_rec) + ALIGN8((size_t)len), &skip);
}

void *queue_reserve(struct queue *q, uint32_t len, uint16_t rule,
		    uint16_t flags)
{
	size_t need = sizeof(struct queue_rec) + ALIGN8((size_t)len);
	size_t pos = q->pending, idx = pos & (q->size - 1), skip;
	struct queue_rec *r;

	if (!fits(q, need, &skip))
		return NULL;
	if (skip) {
		r = (struct queue_rec *)(q->buf + idx);
		r->len = WRAP_MARK;
		pos += skip;
	}
	r = (struct queue_rec *)(q->buf + (pos & (q->size - 1)));
	r->len = len;
	r->rule = rule;
	r->flags = flags;
	q->pending = pos + need;
	q->n_pending++;
	return r + 1;
}

void queue_commit(struct queue *q)
{
	if (!q->n_pending)
		return;
	atomic_fetch_add_explicit(&q->count, q->n_pending, memory_order_relaxed);
	atomic_store_explicit(&q->head, q->pending, memory_order_release);
	q->n_pending = 0;
}

static const struct queue_rec *at(struct queue *q)
{
	size_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	const struct queue_rec *r;

	if (q->cursor == head)
		return NULL;
	r = (const struct queue_rec *)(q->buf + (q->cursor & (q->size - 1)));
	if (r->len == WRAP_MARK) {
		q->cursor += q->size - (q->cursor & (q->size - 1));
		if (q->cursor == head)
			return NULL;
		r = (const struct queue_rec *)q->buf;
	}
	q->cursor += sizeof(*r) + ALIGN8((size_t)r->len);
	return r;
}

const struct queue_rec *queue_first(struct queue *q)
{
	q->cursor = atomic_load_explicit(&q->tail, memory_order_relaxed);
	return at(q);
}

const struct queue_rec *queue_next(struct queue *q)
{
	return at(q);
}

void queue_release(struct queue *q, size_t n_records)
{
	atomic_fetch_sub_explicit(&q->count, n_records, memory_order_relaxed);
	atomic_store_explicit(&q->tail, q->cursor, memory_order_release);
}
