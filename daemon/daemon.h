/* daemon: the running nflogd -- configuration, receivers, outputs, the
 * epoll loop, and the counters that prove nothing was lost silently. */
#ifndef NFLOGD_DAEMON_H
#define NFLOGD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "config_file.h"
#include "flood.h"
#include "fmt_json.h"
#include "log.h"
#include "firewall.h"
#include "ifcache.h"
#include "output.h"
#include "receiver.h"

struct formatted;

struct rule_stats {
	uint64_t received;      /* packets matched to this rule */
	uint64_t suppressed;    /* over its record budget: not written, in
				 * a summary record instead (flood.h) */
};

/* A rule's record budget and its window of suppressed records. */
struct flood_state {
	struct flood_bucket bucket;
	struct flood_window win;
};

struct daemon {
	const char *config_path;
	struct config *cfg;             /* current, immutable */
	struct receiver rx[CONFIG_MAX_GROUPS];
	unsigned int n_rx;
	struct output out[CONFIG_MAX_OUTPUTS];
	struct rule_stats rs[CONFIG_MAX_RULES];
	struct flood_state flood[CONFIG_MAX_RULES];    /* rules with a budget */
	struct ifcache ifc;
	bool have_ifc;
	struct firewall fw;             /* the kernel rules nflogd owns */
	bool have_fw;
	int fw_fds[2];                  /* its event and timer fds in epoll */
	time_t fw_ctr_time;             /* when its counters were read */

	int epfd, sigfd, tickfd;
	bool stopping;
	time_t started;
	unsigned int ticks;
	time_t last_stats;      /* last periodic counters message (mono_sec) */
	uint64_t watchdog_usec;
	uint64_t seen_lost[CONFIG_MAX_GROUPS];  /* loss already reported */
	bool told_uncounted[CONFIG_MAX_GROUPS]; /* receiver.uncounted reported */
	struct json_time_cache jtc;     /* fmt_json's per-second cache */
	char reload_error[256]; /* shown in STATUS= until a reload succeeds */
	unsigned long reloads;  /* SIGHUPs handled, in status.json */
	bool last_reload_ok;

	char hostname[64];
	/* receive buffer shared by all groups, and the formatting scratch
	 * space of the record path (main thread only) */
	void *rxbuf;
	struct formatted *scratch;
	/* cached local time of the current second, for line prefixes */
	time_t tcache_sec;
	/* The heads of LOG lines, per second: the microseconds of an
	 * rfc3339 line go between rfc and rfc_tail. */
	char tcache_rfc[32];        /* "2026-11-26T14:08:11." */
	char tcache_rfc_tail[112];  /* "+00:00 host nflogd: " */
	char tcache_sys[96];        /* "Nov 26 14:08:11 host kernel: " */
	size_t tcache_rfc_len, tcache_rfc_tail_len, tcache_sys_len;
};

/* Run the daemon until SIGTERM/SIGINT.  Returns the exit code. */
int daemon_run(const char *config_path, enum log_target target);


#endif
