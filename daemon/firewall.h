/* firewall: the kernel rules nflogd installs, owns, keeps and removes.
 *
 * One interface, one implementation per backend:
 *   fw_nft.c   nftables, in-process with libnftables (one transaction)
 *   fw_ipt.c   iptables-restore / ip6tables-restore --noflush -w, fed a
 *              generated ruleset through a pipe (argument vector, no shell)
 * The text each backend sends is built by pure code in common/
 * (fw_nft_text.c, fw_ipt_text.c) so that it is unit-tested without a kernel.
 *
 * Ownership: every rule nflogd installs carries the tag
 * "<fw.table>:<rule name>" (an nft comment, an iptables comment match), and
 * nftables rules placed with hook= live in nflogd's own table <fw.table>.
 * Whatever carries the tag is nflogd's; nothing else is ever touched.
 *
 * Reconciling: apply() lists what is in the kernel now, then in ONE
 * transaction (iptables: one per table and family, see fw_ipt.c) removes
 * tagged rules that are stale (left by a previous nflogd that died, or no
 * longer in the configuration) and adds what is missing.  The unit of
 * change is a chain: a chain whose nflogd rules are exactly as configured
 * is left alone (its rules keep their kernel handles and counters);
 * otherwise all of nflogd's rules in it are replaced, in order.  The same
 * call serves start, reload and re-installing after a flush.
 */
#ifndef NFLOGD_FIREWALL_H
#define NFLOGD_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The kernel's counters of one configured rule (index = rule index in the
 * configuration last applied).  present: the rule is in the kernel now. */
struct fw_counters {
	bool installed;         /* the configuration has nflogd install it */
	bool present;
	uint64_t packets;       /* packets the rule logged */
	uint64_t bytes;
	/* packets that matched, before the rate limit; == packets when the
	 * rule has no limit.  matched - packets = suppressed by the limit. */
	uint64_t matched;
};

#define FW_ERR_MAX 1024

struct fw_ops {
	const char *name;       /* "nftables", "iptables" */
	/* Allocate the backend's state.  Touches nothing in the kernel. */
	int (*open)(void **st, const struct config *c, char *err, size_t len);
	/* Make the kernel hold exactly c's installed rules (see Reconciling).
	 * 0 on success; < 0: nothing changed, err names the rule and carries
	 * the backend's own message.  Remembers c as the applied config
	 * (c must stay valid until the next apply or close). */
	int (*apply)(void *st, const struct config *c, char *err, size_t len);
	/* 1: every rule of the applied configuration is in the kernel;
	 * 0: something is missing (apply() again); < 0: cannot tell. */
	int (*verify)(void *st, char *err, size_t len);
	/* Fill out[0 .. n_rules-1] for the applied configuration. */
	int (*counters)(void *st, struct fw_counters *out, char *err, size_t len);
	/* Remove every rule (and own table/chain) carrying the tag. */
	int (*remove)(void *st, char *err, size_t len);
	/* An fd that becomes readable when the ruleset may have changed
	 * (nftables: ruleset events), or -1: the caller polls verify() every
	 * fw.check_interval seconds instead. */
	int (*event_fd)(void *st);
	/* Read the pending events.  1: the ruleset changed in a way that may
	 * concern nflogd's rules (verify soon); 0: nothing relevant. */
	int (*event_read)(void *st);
	void (*close)(void *st);
};

extern const struct fw_ops fw_nft_ops;
extern const struct fw_ops fw_ipt_ops;

/* ------------------------------------------------------------------ */
/* The daemon's side (firewall.c): one backend at a time, chosen by the  */
/* configuration; ruleset changes noticed and repaired within a second.  */

struct firewall {
	const struct fw_ops *ops;       /* NULL: backend none */
	void *st;
	const struct config *applied;   /* what the kernel holds */
	int timerfd;            /* verify: after an event, or periodically */
	bool verify_armed;
	struct fw_counters ctr[CONFIG_MAX_RULES];
	bool have_ctr;          /* ctr[] read from the kernel at least once */
	uint64_t reinstalls;    /* times the rules had to be put back */
	char last_error[256];   /* of the last failed verify/apply, "" */
};

/* Install c's rules (removing a dead nflogd's leftovers first).  err gets
 * the message on failure: nothing of nflogd's is left in the kernel. */
int firewall_start(struct firewall *fw, const struct config *c,
		   char *err, size_t len);
/* Change to nc's rules in one transaction (or change backend).  On
 * failure the kernel still holds the previous rules and err says why. */
int firewall_reload(struct firewall *fw, const struct config *nc,
		    char *err, size_t len);
/* fds for the event loop (-1 when there is none). */
int firewall_event_fd(const struct firewall *fw);
int firewall_timer_fd(const struct firewall *fw);
/* The event fd is readable / the timer fired. */
void firewall_on_event(struct firewall *fw);
void firewall_on_timer(struct firewall *fw);
/* Refresh fw->ctr from the kernel (once a second, with the status). */
void firewall_refresh_counters(struct firewall *fw);
/* Remove nflogd's rules and free everything. */
void firewall_stop(struct firewall *fw);

#endif
