/* ifcache: interface index -> name, kept current from rtnetlink link events.
 *
 * Every logged packet carries up to four interface indexes and the records
 * show names (IN=eth0).  if_indextoname() is a syscall per lookup, too slow
 * on the receive path, so the daemon keeps this cache instead: one
 * NETLINK_ROUTE socket subscribed to RTMGRP_LINK, filled by an RTM_GETLINK
 * dump at open and updated by RTM_NEWLINK (new interface, rename) and
 * RTM_DELLINK events.  Its fd sits in the daemon's epoll loop; lookups are
 * a hash probe with no syscall and no allocation.
 *
 * Deleted interfaces: packets of an interface can still be waiting in the
 * nflog socket after its RTM_DELLINK has been read, so a deleted entry is
 * not removed: it keeps its last name until its index is reused by a new
 * interface (the kernel allocates indexes cyclically, so reuse is rare and
 * normally means an explicit `index N`), or until IFCACHE_KEEP_DELETED
 * later deletions have happened -- a bound, so that hosts that churn veth
 * pairs all day do not grow the table without end.  ifcache_name() does
 * not tell a deleted interface from a live one: both have the name the
 * packet was seen with.
 *
 * Overruns: if events come faster than the daemon reads them the kernel
 * drops some and the next read fails with ENOBUFS.  The cache may then be
 * stale, so it re-dumps (a "resync"): entries in the dump are refreshed,
 * live entries missing from it are marked deleted (and keep their name).
 *
 * Single-threaded: every function, lookups included, is for the thread
 * that runs the epoll loop.  No logging here: functions return 0 or a
 * negative errno and the caller decides what to say.
 */
#ifndef NFLOGD_IFCACHE_H
#define NFLOGD_IFCACHE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How many deleted interfaces keep their name (see above).  A tunable for
 * tests only: the header and ifcache.c must see the same value. */
#ifndef IFCACHE_KEEP_DELETED
#define IFCACHE_KEEP_DELETED 1024u
#endif
_Static_assert((IFCACHE_KEEP_DELETED & (IFCACHE_KEEP_DELETED - 1)) == 0,
	       "IFCACHE_KEEP_DELETED is a power of two");

struct mnl_socket;

struct ifcache_entry {
	uint32_t ifindex;       /* 0: empty slot (0 is never an ifindex) */
	uint32_t gen;           /* dump generation that last saw it */
	uint32_t del_seq;       /* deletion number, if deleted */
	bool deleted;
	char name[IFNAMSIZ];
};

struct ifcache {
	/* Private. */
	struct mnl_socket *nl;
	struct ifcache_entry *tab;      /* open addressing, linear probing */
	size_t cap;                     /* slots, a power of two */
	size_t used;                    /* live + deleted entries */
	uint8_t *buf;                   /* receive buffer */
	size_t bufsize;
	uint32_t portid;                /* our netlink address */
	uint32_t seq;                   /* last request sequence number */
	uint32_t dump_seq;              /* dump in progress, or 0 */
	uint32_t gen;                   /* current dump generation */
	bool dump_intr;                 /* NLM_F_DUMP_INTR seen in the dump */
	bool resync_wanted;             /* overrun seen, re-dump pending */
	bool del_wrapped;               /* del_ring has been filled once */
	uint32_t del_count;             /* deletions so far (mod 2^32) */
	uint32_t del_ring[IFCACHE_KEEP_DELETED]; /* ifindex of each deletion */

	/* Read-only statistics for the caller. */
	size_t n_live;                  /* interfaces that exist now */
	size_t n_deleted;               /* deleted ones still remembered */
	uint64_t overruns;              /* ENOBUFS (or truncation) seen */
	uint64_t resyncs;               /* re-dumps started after an overrun */
};

/* Open the socket (non-blocking, close-on-exec, 1 MiB receive buffer),
 * subscribe to link events and dump the current interfaces, waiting up to
 * 2 s for the dump.  Returns 0 or a negative errno (c is then closed). */
int ifcache_open(struct ifcache *c);

/* The fd to watch for EPOLLIN; call ifcache_process() when readable. */
int ifcache_fd(const struct ifcache *c);

/* Read and apply every pending message, until EAGAIN; start a re-dump after
 * an overrun.  Returns 0 or a negative errno (-ENOMEM: an interface could
 * not be added; -EBADMSG: a malformed message, the rest of its datagram is
 * dropped; -EMSGSIZE: a message over 1 MiB was lost; other: a recv or dump
 * failure).  The cache stays usable after an error; messages left unread
 * keep the fd readable. */
int ifcache_process(struct ifcache *c);

/* The name of ifindex, or NULL if unknown.  No syscall, no allocation.  The
 * string is valid until the next ifcache_process() or ifcache_close(). */
const char *ifcache_name(const struct ifcache *c, uint32_t ifindex);

/* True while a dump (initial or resync) is still being read. */
bool ifcache_syncing(const struct ifcache *c);

/* Set the socket's receive buffer (SO_RCVBUFFORCE, falling back to
 * SO_RCVBUF).  ifcache_open() sets 1 MiB; tests use a tiny one to force
 * an overrun.  Returns 0 or a negative errno. */
int ifcache_set_rcvbuf(struct ifcache *c, int bytes);

/* Free everything.  Accepts a zeroed, half-opened or closed cache. */
void ifcache_close(struct ifcache *c);

#endif
