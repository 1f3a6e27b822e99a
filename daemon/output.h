/* output: one configured output = a queue + a writer thread + a sink.
 * The receiver formats records and pushes them into the queue (never
 * waiting); the writer thread drains the queue into the sink in batches,
 * and keeps the per-rule counters of what was written or failed. */
#ifndef NFLOGD_OUTPUT_H
#define NFLOGD_OUTPUT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "queue.h"
#include "sink.h"

/* Per rule and output.  queued/dropped are written by the receiver only,
 * written/failed by the writer only. */
struct output_rule_stats {
	uint64_t queued;
	uint64_t dropped;               /* queue full */
	_Atomic uint64_t written;
	_Atomic uint64_t failed;        /* the sink could not take it */
};

/* The rule index of a record that is not a packet's (a flood summary):
 * counted in the output's summaries_* counters, not in a rule's. */
#define OUTPUT_RULE_NONE UINT16_MAX

struct output {
	struct config_output cfg;       /* a copy: reloads swap whole outputs */
	struct queue q;
	struct sink *sink;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	atomic_bool stop;               /* drain, then exit */
	atomic_bool reopen;             /* SIGUSR1: reopen files */
	_Atomic int waiting;            /* the writer sleeps: WAIT_* */
	_Atomic int last_err;           /* errno of the latest failure;
					 * 0 again after a whole batch */
	int unreported_err;             /* writer only: the errno of the
					 * failures not reported yet */
	struct output_rule_stats rs[CONFIG_MAX_RULES];
	/* flood summaries: queued/dropped by the receiver, written/failed
	 * by the writer */
	uint64_t summaries_queued, summaries_dropped;
	_Atomic uint64_t summaries_written, summaries_failed;
	/* file: records written after the file was found deleted (they go
	 * with it when it is closed), until a reopen succeeds */
	_Atomic uint64_t into_deleted;
	bool file_deleted;              /* writer only */
	/* Receiver only: bytes of the last record queued, the size checked
	 * with queue_room() before formatting the next one. */
	uint32_t last_len;
};

/* Open the sink and start the writer.  Returns 0 or -errno (the sink
 * could not be opened: *what says what failed). */
int output_start(struct output *o, const struct config_output *cfg,
		 const char **what);

/* After pushing records (once per kernel datagram): wake the writer if it
 * waits for them.  A writer that lingers for a fuller batch is woken only
 * once a batch is ready (256 records, or a quarter of a smaller queue):
 * on a busy host that saves a pair of context switches per kernel
 * batch. */
void output_kick(struct output *o);

/* Ask for a reopen (logrotate). */
void output_request_reopen(struct output *o);

/* Drain the queue into the sink, stop the writer, close the sink. */
void output_stop(struct output *o);

#endif
