/* fmt_journal: record -> journal fields (an iovec array of KEY=value items)
 * ready for sd_journal_sendv().  Field names follow docs/record-schema.md:
 * the LOG line's own keys (SRC, DST, SPT, DPT, PROTO, IN, OUT, ...) plus
 * NFLOG_* and TCP_* / ICMP_* / IP_* names.  Values are passed with their
 * length (iovec), so no byte of the prefix can forge another field.
 *
 * Pure code: the iovecs point into a caller-provided text arena.
 */
#ifndef NFLOGD_FMT_JOURNAL_H
#define NFLOGD_FMT_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "decode.h"
#include "flood.h"
#include "fmt_log.h"

#define FMT_JOURNAL_MAX_FIELDS 96
#define FMT_JOURNAL_ARENA 8192

/* MESSAGE_ID of packet records (also in systemd/nflogd.catalog). */
#define FMT_JOURNAL_PACKET_MESSAGE_ID "8b3d1bbf6c6a4c3e9d8a2f0e5c1b7a40"
/* ... and of flood summaries (fmt_journal_summary). */
#define FMT_JOURNAL_SUPPRESSED_MESSAGE_ID "79e3483422814fa498b08568e416bffa"

struct journal_ctx {
	const struct log_ifnames *ifn;
	unsigned int log_flags;  /* for MESSAGE, the LOG line */
	int priority;            /* syslog level 0..7 -> PRIORITY */
	const char *rule;        /* NFLOG_RULE */
	const char *identifier;  /* SYSLOG_IDENTIFIER, default "nflogd" */
	/* The record comes from the conntrack_invalid rule (group 0): when
	 * its prefix is conntrack's (ct_reason.h), CT_INVALID_REASON and
	 * CT_INVALID_PROTO (and CT_INVALID_HELPER) are added. */
	bool ct_invalid;
};

struct journal_fields {
	struct iovec iov[FMT_JOURNAL_MAX_FIELDS];
	size_t n;
	char arena[FMT_JOURNAL_ARENA];
	size_t used;
};

/* Fill jf.  Returns the number of fields or -ENOSPC (fields that did not
 * fit are left out; MESSAGE always comes first). */
int fmt_journal(const struct record *rec, const struct journal_ctx *ctx,
		struct journal_fields *jf);

/* A flood summary (flood.h) as a journal entry of its own: MESSAGE is
 * flood_text(), PRIORITY warning, NFLOG_RULE, NFLOGD_SUPPRESSED and the
 * rest of docs/record-schema.md "Flood summaries".  identifier: as in
 * journal_ctx.  Returns the number of fields or -ENOSPC (cannot happen
 * with FMT_JOURNAL_ARENA). */
int fmt_journal_summary(const struct flood_summary *s, const char *identifier,
			struct journal_fields *jf);

#endif
