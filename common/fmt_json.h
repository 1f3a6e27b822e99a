/* fmt_json: record -> one JSON object (one line of JSON Lines), following
 * docs/record-schema.md (schema version FMT_JSON_SCHEMA_VERSION): Elastic
 * Common Schema names where ECS has the field, "nflog.*", "ip.*", "tcp.*",
 * "udp.*", "icmp.*" ... for the rest.
 *
 * Pure code: writes into a caller buffer, no allocation.  The output is
 * valid JSON (RFC 8259) for any input: every string is escaped, invalid
 * UTF-8 in the prefix or interface names is replaced by U+FFFD.
 */
#ifndef NFLOGD_FMT_JSON_H
#define NFLOGD_FMT_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "decode.h"
#include "flood.h"
#include "fmt_log.h"

#define FMT_JSON_SCHEMA_VERSION "1"
/* Enough for any record whose prefix is at most 127 bytes (nft's limit) and
 * whose interface, rule, host and action names are at most 64 bytes, even
 * if every byte needs a six-byte \u escape (the largest such record in the
 * unit tests is about 6.3 KiB; with ct_invalid, event.reason repeats up to
 * 112 of the prefix's bytes).  Longer strings (a prefix from a pcap file)
 * add at most 6 bytes per byte (12 with ct_invalid). */
#define FMT_JSON_MAX 8192

/* The date and time of day ("YYYY-MM-DDTHH:MM:SS") fmt_json formatted
 * last, so that the records of one second do not compute it again.  Owned
 * by the caller and zero-initialised before first use; fmt_json writes it,
 * so one per thread.  Optional: without it, @timestamp and event.created
 * of one record still share the work. */
struct json_time_cache {
	long long key;          /* the second + 1; 0: empty */
	char text[19];
};

/* What the record does not carry itself; all fields optional (NULL). */
struct json_ctx {
	const struct log_ifnames *ifn;
	const char *rule;        /* rule name -> rule.name */
	const char *host;        /* observer.hostname */
	const char *action;      /* event.action, e.g. "drop" */
	/* Time for @timestamp when the message had no NFULA_TIMESTAMP
	 * (the receive time), as seconds + microseconds. */
	long long now_sec;
	unsigned int now_usec;
	struct json_time_cache *tc;     /* see above; may be NULL */
	/* The record comes from the conntrack_invalid rule (group 0): when
	 * its prefix is conntrack's (ct_reason.h), the reason goes to
	 * event.reason and the protocol to nflog.ct_invalid. */
	bool ct_invalid;
};

/* Write one JSON object, no trailing newline, NUL-terminated.  Returns its
 * length or -ENOSPC. */
int fmt_json(const struct record *rec, const struct json_ctx *ctx,
	     char *buf, size_t size);

/* A flood summary (flood.h) as a record of its own: event.kind "metric",
 * event.dataset "nflogd.suppressed", the counts under nflogd.suppressed,
 * the sentence in message (docs/record-schema.md).  now: @timestamp;
 * host: observer.hostname (NULL: none).  Returns the length or -ENOSPC;
 * FMT_JSON_MAX always suffices. */
int fmt_json_summary(const struct flood_summary *s, const char *host,
		     long long now_sec, unsigned int now_usec,
		     char *buf, size_t size);

#endif
