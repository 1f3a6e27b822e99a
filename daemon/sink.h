/* sink: where an output's records end up.  A small vtable so the writer
 * thread does not care whether it writes to a file or to the journal.
 * Sinks never see netlink, the receiver never sees files. */
#ifndef NFLOGD_SINK_H
#define NFLOGD_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "config.h"

struct sink;

/* What happened to a batch: the writer turns it into counters.
 *
 * Both sinks handle the records in order and stop at the first record
 * that cannot be written, so written + failed == n always, and
 * rec[0 .. written) made it while rec[written .. n) did not -- none of
 * them is even partly in the file or the journal, so the writer may
 * offer them again later instead of counting them lost.  Nothing is
 * retried inside the sink beyond finishing a short write. */
struct sink_result {
	size_t written;         /* records fully written */
	size_t failed;          /* records that could not be written */
	int err;                /* errno of the failure that ended the batch
				 * (0 if failed == 0).  EMSGSIZE or EINVAL:
				 * rec[written] itself cannot be sent (too
				 * big, malformed), the others were not
				 * tried; any other value is about the
				 * destination (ENOSPC, EDQUOT, EIO; journal:
				 * ENOENT/ECONNREFUSED = journald absent,
				 * EAGAIN = journald busy for 1 s) */
	int rotate_err;         /* file: a size rotation failed with this
				 * errno; the records went on into the old
				 * file (not a loss: only reported) */
	bool deleted;           /* file: the open file has no name any more
				 * (someone removed it or its directory):
				 * the records went into a file nobody can
				 * open.  Checked at most once a second. */
};

struct sink_ops {
	/* Write n records; rec[i] is one record (a whole line ending in
	 * '\n' for files; serialised fields for the journal, as made by
	 * sink_journal_record_fill()).  Never blocks the receiver: it runs
	 * on the output's own thread.  The journal sink blocks at most ~1 s
	 * per call when journald does not read. */
	void (*write)(struct sink *s, const struct iovec *rec, size_t n,
		      struct sink_result *res);
	/* Reopen (logrotate's postrotate, SIGUSR1): open the new file, swap,
	 * close the old; on failure keep the old one and return -errno.
	 * The journal sink's reopen reconnects its socket. */
	int (*reopen)(struct sink *s);
	void (*close)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	const struct config_output *cfg;   /* the sink's own copy */
};

/* Open the sink of an output: 0 or -errno (file: the path could not be
 * opened or created -- the caller reports it with the path; journal: no
 * socket could be made.  A journald that is not running is no error:
 * records then fail with ENOENT/ECONNREFUSED and the sink reconnects, at
 * most once a second.  NFLOGD_JOURNAL_SOCKET in the environment replaces
 * /run/systemd/journal/socket, for tests). */
int sink_file_open(const struct config_output *cfg, struct sink **out);
int sink_journal_open(const struct config_output *cfg, struct sink **out);

/* A journal queue record is the datagram journald receives: each field
 * "KEY=value" in the native protocol's form ("KEY=value\n", or for a
 * value holding '\n', "KEY\n" + its length as a little-endian uint64 +
 * the value + "\n").  record_size() is the record's length, or 0 when
 * there are no fields or one cannot be sent (no '=', an empty key, a key
 * holding '\n'); record_fill() writes it (only after a non-zero size). */
size_t sink_journal_record_size(const struct iovec *fields, size_t n);
void sink_journal_record_fill(void *dst, const struct iovec *fields, size_t n);

#endif
