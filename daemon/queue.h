/* queue: a bounded single-producer single-consumer queue of records
 * between the receiver (producer, main thread) and one output's writer
 * thread (consumer).  A record is a byte string -- a formatted line, or
 * serialised journal fields -- with a small header.  When the queue is
 * full the producer drops the record and counts it: the receive path
 * never waits for an output.
 */
#ifndef NFLOGD_QUEUE_H
#define NFLOGD_QUEUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct queue_rec {
	uint32_t len;           /* bytes of data */
	uint16_t rule;          /* index of the rule it belongs to */
	uint16_t flags;
	/* data follows, padded to 8 bytes */
};

struct queue {
	uint8_t *buf;           /* size bytes, a power of two */
	size_t size;
	size_t max_records;     /* the configured queue_size */
	_Atomic size_t head;    /* published end (producer writes) */
	_Atomic size_t tail;    /* released start (consumer writes) */
	_Atomic size_t count;   /* records published and not released */
	size_t pending;         /* producer only: end of reserved space */
	size_t n_pending;       /* producer only: records reserved */
	size_t cursor;          /* consumer only: after the last peeked */
};

/* bytes: the byte budget (rounded up to a power of two); max_records the
 * record budget.  Returns 0 or -ENOMEM. */
int queue_init(struct queue *q, size_t bytes, size_t max_records);
void queue_fini(struct queue *q);

/* Producer: room for a record of len bytes, or NULL when full (the caller
 * counts the drop).  Fill it, reserve more if wanted, then publish them
 * all with queue_commit(). */
void *queue_reserve(struct queue *q, uint32_t len, uint16_t rule,
		    uint16_t flags);
/* Producer: whether queue_reserve(q, len, ...) would succeed now; lets
 * the receiver skip formatting a record the queue cannot take. */
bool queue_room(const struct queue *q, uint32_t len);
void queue_commit(struct queue *q);

/* Consumer: queue_first() gives the oldest record (NULL when empty),
 * queue_next() the one after the last given; queue_release() frees every
 * record given so far.  Records stay valid until released. */
const struct queue_rec *queue_first(struct queue *q);
const struct queue_rec *queue_next(struct queue *q);
void queue_release(struct queue *q, size_t n_records);

static inline const uint8_t *queue_data(const struct queue_rec *r)
{
	return (const uint8_t *)(r + 1);
}

static inline size_t queue_count(const struct queue *q)
{
	return atomic_load_explicit(&q->count, memory_order_relaxed);
}

/* Bytes published and not yet released (headers and padding included);
 * a snapshot, for deciding when to write. */
static inline size_t queue_bytes(const struct queue *q)
{
	return atomic_load_explicit(&q->head, memory_order_relaxed) -
	       atomic_load_explicit(&q->tail, memory_order_relaxed);
}

/* Whether a consumer that batches its work should take it now: `batch`
 * records are published, or a quarter of the queue is taken (by records
 * or by bytes).  A small queue may never hold `batch` records (64
 * records of JSON are 16 KiB, 15 objects): waiting for them would let it
 * fill and drop. */
static inline bool queue_batch_ready(const struct queue *q, size_t batch)
{
	size_t n = queue_count(q);

	return n >= batch || n >= q->max_records / 4 ||
	       queue_bytes(q) >= q->size / 4;
}

#endif
