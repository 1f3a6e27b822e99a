/* output: the writer thread of one output. */
#include "output.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "monotonic.h"

#define BATCH_MAX 1024          /* records per sink call (IOV_MAX) */
/* A writer woken for fewer than BATCH_LOW records lingers up to
 * LINGER_MS for more (what it finds then, it writes): a write call and a
 * wake-up per few records would cost more than the records.  5 ms is
 * small beside the kernel's own flush timeout (flush_timeout, 20 ms by
 * default). */
#define BATCH_LOW 256
#define LINGER_MS 5

/* Enough to write without lingering (queue_batch_ready: BATCH_LOW
 * records, or a quarter of a smaller queue). */
static bool batch_ready(const struct queue *q)
{
	return queue_batch_ready(q, BATCH_LOW);
}

enum { WAIT_NONE, WAIT_ANY, WAIT_BATCH };

/* Failures are reported at most once per interval per output, with how
 * many records failed since the last report: the journal must not be
 * flooded by a full disk. */
#define ERROR_REPORT_INTERVAL 10
#define NEVER ((time_t)INT32_MIN)   /* no report yet */

struct batch {
	struct iovec rec[BATCH_MAX];
	uint16_t rule[BATCH_MAX];
};

static void report(struct output *o, int err, uint64_t failed, time_t *last,
		   uint64_t *unreported)
{
	time_t now = mono_sec();

	*unreported += failed;
	if (failed && err)
		o->unreported_err = err;
	if (!err || now - *last < ERROR_REPORT_INTERVAL)
		return;
	*last = now;
	log_msg(LOG_ERR, MSGID_OUTPUT_ERROR,
		"output %s%s%s: %llu record(s) could not be written: %s",
		o->cfg.name, o->cfg.type == OUTPUT_FILE ? " " : "",
		o->cfg.type == OUTPUT_FILE ? o->cfg.path : "",
		(unsigned long long)*unreported, strerror(err));
	*unreported = 0;
}

/* Write what is queued now; returns the number of records taken.
 * give_up: count them failed without trying (a stop while the journal
 * does not answer must not take a second per batch). */
static size_t drain_once(struct output *o, struct batch *b, time_t *last,
			 uint64_t *unreported, bool give_up)
{
	const struct queue_rec *r = queue_first(&o->q);
	struct sink_result res;
	size_t n = 0;

	while (r && n < BATCH_MAX) {
		/* iovec has no const variant; the sink only reads */
		b->rec[n].iov_base = (void *)(uintptr_t)queue_data(r);
		b->rec[n].iov_len = r->len;
		b->rule[n] = r->rule;
		n++;
		if (n < BATCH_MAX)
			r = queue_next(&o->q);
	}
	if (!n)
		return 0;
	memset(&res, 0, sizeof(res));
	if (give_up) {
		res.failed = n;
		res.err = atomic_load(&o->last_err);
	} else {
		o->sink->ops->write(o->sink, b->rec, n, &res);
	}
	if (res.rotate_err && *last != mono_sec())
		log_msg(LOG_ERR, MSGID_OUTPUT_ERROR, "output %s: cannot rotate "
			"%s: %s; still writing to it", o->cfg.name, o->cfg.path,
			strerror(res.rotate_err));
	/* The sink writes in order: the first `written` made it.  Counted
	 * per run of records of one rule (usually the whole batch), not
	 * with an atomic add per record. */
	for (size_t i = 0, j; i < n; i = j) {
		bool summary = b->rule[i] == OUTPUT_RULE_NONE;
		_Atomic uint64_t *written, *failed;
		size_t w;

		for (j = i + 1; j < n && b->rule[j] == b->rule[i]; j++)
			;
		if (summary) {
			written = &o->summaries_written;
			failed = &o->summaries_failed;
		} else {
			written = &o->rs[b->rule[i]].written;
			failed = &o->rs[b->rule[i]].failed;
		}
		w = res.written <= i ? i : res.written < j ? res.written : j;
		if (w > i)
			atomic_fetch_add_explicit(written, w - i, memory_order_relaxed);
		if (j > w)
			atomic_fetch_add_explicit(failed, j - w, memory_order_relaxed);
	}
	/* The output's current state: an error until a batch goes through
	 * whole (a stop gives up at once only on a sink that is failing
	 * now, not on one that failed hours ago; status shows it too). */
	if (res.err)
		atomic_store(&o->last_err, res.err);
	else if (!give_up && res.written == n)
		atomic_store(&o->last_err, 0);
	if (res.deleted && !o->file_deleted) {
		o->file_deleted = true;
		log_msg(LOG_WARNING, MSGID_OUTPUT_ERROR, "output %s: %s was "
			"deleted while open: records go on into the deleted "
			"file and go with it when it is closed; make the path "
			"again (its directory too) and send SIGUSR1 "
			"(logrotate's postrotate does) to write to a new file",
			o->cfg.name, o->cfg.path);
	}
	if (o->file_deleted)
		atomic_fetch_add_explicit(&o->into_deleted, res.written,
					  memory_order_relaxed);
	report(o, res.err, n - res.written, last, unreported);
	queue_release(&o->q, n);
	return n;
}

static bool interrupted(struct output *o)
{
	return atomic_load(&o->stop) || atomic_load(&o->reopen);
}

/* Sleep until there is something to do.  `waiting` tells output_kick()
 * what would wake us; it is set before the queue is checked, with a full
 * fence on both sides, so a record committed meanwhile is either seen
 * here or signalled there. */
static void wait_for_records(struct output *o)
{
	struct timespec until;

	pthread_mutex_lock(&o->lock);
	atomic_store(&o->waiting, WAIT_ANY);
	atomic_thread_fence(memory_order_seq_cst);  /* pairs with output_kick */
	while (!queue_count(&o->q) && !interrupted(o))
		pthread_cond_wait(&o->wake, &o->lock);
	if (!batch_ready(&o->q) && !interrupted(o)) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += LINGER_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		atomic_store(&o->waiting, WAIT_BATCH);
		atomic_thread_fence(memory_order_seq_cst);
		while (!batch_ready(&o->q) && !interrupted(o) &&
		       pthread_cond_timedwait(&o->wake, &o->lock, &until) == 0)
			;
	}
	atomic_store(&o->waiting, WAIT_NONE);
	pthread_mutex_unlock(&o->lock);
}

static void *writer_main(void *arg)
{
	struct output *o = arg;
	static __thread struct batch b;
	time_t last = NEVER;
	uint64_t unreported = 0;

	for (;;) {
		bool stop;

		wait_for_records(o);

		if (atomic_exchange(&o->reopen, false) && o->sink->ops->reopen) {
			int r = o->sink->ops->reopen(o->sink);

			if (r < 0)
				log_msg(LOG_ERR, MSGID_OUTPUT_ERROR,
					"output %s: cannot reopen %s, still writing "
					"to the old file: %s", o->cfg.name,
					o->cfg.path, strerror(-r));
			else
				o->file_deleted = false;
		}
		stop = atomic_load(&o->stop);
		for (;;) {
			int err = atomic_load(&o->last_err);
			bool give_up = stop && (err == EAGAIN || err == ENOENT ||
						err == ECONNREFUSED);

			if (!drain_once(o, &b, &last, &unreported, give_up))
				break;
		}
		if (stop && !queue_count(&o->q))
			break;
	}
	if (unreported)
		report(o, o->unreported_err ? o->unreported_err : EIO,
		       0, &(time_t){ NEVER }, &unreported);
	return NULL;
}

int output_start(struct output *o, const struct config_output *cfg,
		 const char **what)
{
	size_t bytes;
	int r;

	memset(o, 0, sizeof(*o));
	o->cfg = *cfg;
	/* The record count is the configured bound; the bytes a second
	 * one: 256 a record, 16 MiB at the default 65536 (queue_init
	 * rounds up to a power of two, so 384 would already be 32 MiB).
	 * Under a flood the ring is touched end to end, so this is also
	 * the memory an output costs, and it keeps nflogd's peak RSS near
	 * 20 MiB.  Records are ~220 bytes (a LOG line) to ~1 KiB (a JSON
	 * object); a flood of large ones fills the bytes first: a JSON
	 * output then holds ~16,000 records, a journal output ~23,000. */
	bytes = (size_t)cfg->queue_size * 256;
	*what = "allocate the queue";
	r = queue_init(&o->q, bytes, cfg->queue_size);
	if (r < 0)
		return r;
	*what = cfg->type == OUTPUT_FILE ? "open the file" : "connect to the journal";
	r = cfg->type == OUTPUT_FILE ? sink_file_open(&o->cfg, &o->sink) :
				       sink_journal_open(&o->cfg, &o->sink);
	if (r < 0) {
		queue_fini(&o->q);
		return r;
	}
	pthread_mutex_init(&o->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&o->wake, &ca);
		pthread_condattr_destroy(&ca);
	}
	*what = "start the writer thread";
	r = -pthread_create(&o->thread, NULL, writer_main, o);
	if (r < 0) {
		o->sink->ops->close(o->sink);
		queue_fini(&o->q);
		return r;
	}
	o->running = true;
	return 0;
}

static void wake(struct output *o)
{
	pthread_mutex_lock(&o->lock);
	pthread_cond_signal(&o->wake);
	pthread_mutex_unlock(&o->lock);
}

void output_kick(struct output *o)
{
	int w;

	/* the records committed before, the writer's state after: see
	 * wait_for_records() */
	atomic_thread_fence(memory_order_seq_cst);
	w = atomic_load(&o->waiting);

	if (w == WAIT_ANY ? queue_count(&o->q) > 0 :
	    w == WAIT_BATCH && batch_ready(&o->q))
		wake(o);
}

void output_request_reopen(struct output *o)
{
	atomic_store(&o->reopen, true);
	wake(o);
}

void output_stop(struct output *o)
{
	if (!o->running)
		return;
	atomic_store(&o->stop, true);
	wake(o);
	pthread_join(o->thread, NULL);
	o->sink->ops->close(o->sink);
	queue_fini(&o->q);
	pthread_mutex_destroy(&o->lock);
	pthread_cond_destroy(&o->wake);
	o->running = false;
}
