/* flood: a rule's record budget and what is summarised instead.
 *
 * A rule may have a budget (record_limit, record_burst): a token bucket
 * that every record of the rule takes one token from.  A record that finds
 * the bucket empty is not formatted; it is counted as suppressed, and its
 * source address and destination port are noted in the rule's window.
 * Every flood_summary_interval seconds a window with suppressed records
 * becomes one summary record ("rule X: N records suppressed in the last
 * 10 s; top sources ...; top destination ports ..."), so that a flood can
 * neither fill the disk nor hide.
 *
 * The top lists come from the Space-Saving algorithm (Metwally et al.,
 * 2005) over FLOOD_SLOTS counters: exact while a window sees at most
 * FLOOD_SLOTS distinct keys; beyond that every key seen more often than
 * suppressed / FLOOD_SLOTS times is listed, and a count may be overstated
 * by at most the smallest counter (the summary says "approximate").
 *
 * Pure code: time comes from the caller, as microseconds of a monotonic
 * clock.  The JSON and journal forms of a summary are in fmt_json.h and
 * fmt_journal.h, next to the record formats they share helpers with.
 */
#ifndef NFLOGD_FLOOD_H
#define NFLOGD_FLOOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

#define FLOOD_SLOTS 32          /* counters per top list and window */
#define FLOOD_TOP 5             /* entries a summary shows */
/* The summary sentence: two top lists of FLOOD_TOP entries (an IPv6
 * address and a 20-digit count each) and a 31-character rule name fit
 * with room to spare. */
#define FLOOD_TEXT_MAX 1024

struct flood_bucket {
	uint64_t credit;        /* tokens x cost */
	uint64_t cost;          /* one token: the rate's unit, in microseconds */
	uint64_t cap;           /* burst x cost */
	uint64_t rate;          /* credit gained per microsecond */
	uint64_t last_us;       /* last refill */
};

/* rate records per unit_seconds, up to burst at once; starts full. */
void flood_bucket_init(struct flood_bucket *b, uint32_t rate,
		       uint32_t unit_seconds, uint32_t burst, uint64_t now_us);
/* Take a token: true if the record is within the budget. */
bool flood_bucket_take(struct flood_bucket *b, uint64_t now_us);

/* A source: the family (0: the packet was not IP) and address; a
 * destination: the protocol (0 with has_proto false: not IP) and the
 * port (has_port: TCP, UDP, UDP-Lite or SCTP). */
struct flood_key {
	uint8_t kind;           /* FLOOD_KEY_* */
	uint8_t proto;
	uint16_t port;
	uint8_t addr[16];
};

enum {
	FLOOD_KEY_NONE = 0,     /* not IP, or the header was not decoded */
	FLOOD_KEY_IP4, FLOOD_KEY_IP6,       /* sources */
	FLOOD_KEY_PROTO, FLOOD_KEY_PORT,    /* destinations */
};

struct flood_slot {
	struct flood_key key;
	uint64_t n;
};

struct flood_top {
	unsigned int n;         /* slots in use */
	bool evicted;           /* a key was replaced: counts approximate */
	struct flood_slot slot[FLOOD_SLOTS];
};

struct flood_window {
	uint64_t suppressed;    /* records suppressed since start_us */
	uint64_t start_us;      /* the first of them */
	struct flood_top src, dst;
};

/* Count one suppressed record (decoded) in w. */
void flood_window_note(struct flood_window *w, const struct record *rec,
		       uint64_t now_us);

/* What a summary record says. */
struct flood_summary {
	const char *rule;
	uint64_t suppressed;
	unsigned int seconds;   /* the window's length, rounded up */
	uint32_t limit_rate;    /* the budget, for the reader */
	const char *limit_unit; /* "second", ... */
	uint32_t burst;
	unsigned int n_src, n_dst;
	bool approximate;       /* some key was evicted: src or dst */
	bool src_approx, dst_approx;
	struct flood_slot src[FLOOD_TOP], dst[FLOOD_TOP];   /* largest first */
};

/* Fill s from w (the caller sets rule, limit_rate, limit_unit, burst). */
void flood_summarise(const struct flood_window *w, uint64_t now_us,
		     struct flood_summary *s);

/* The sentence, NUL-terminated; returns its length (truncated to
 * size - 1: FLOOD_TEXT_MAX always suffices).  Used as the LOG-text line
 * and the journal's MESSAGE. */
size_t flood_text(const struct flood_summary *s, char *buf, size_t size);

/* "TCP/22", "ICMP", "proto-253", "non-IP"; an address; at most 48 bytes
 * with the NUL.  For the formats that list the keys one by one. */
#define FLOOD_KEY_TEXT_MAX 48
size_t flood_key_text(const struct flood_key *k, char *buf);

#endif
