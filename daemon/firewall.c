/* firewall: the daemon's side of the kernel rules -- which backend, when
 * to install, verify and remove, and what to tell the operator.
 *
 * Noticing changes: nftables sends ruleset events; one arms a 100 ms
 * one-shot timer (a `nft -f` file or an iptables-restore produces a burst
 * of events: verify once, after the burst).  iptables (legacy) sends
 * nothing, so the timer runs every fw.check_interval seconds instead.
 * Either way a missing rule is back well within a second of the change
 * (nftables) or of the check (iptables).
 */
#include "firewall.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"

#define VERIFY_DELAY_NS (100 * 1000 * 1000)

static const struct fw_ops *backend_ops(const struct config *c)
{
	switch (c->fw.backend) {
	case FW_NFTABLES:
		return &fw_nft_ops;
	case FW_IPTABLES:
		return &fw_ipt_ops;
	case FW_NONE:
		break;
	}
	return NULL;
}

static unsigned int n_installed(const struct config *c)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < c->n_rules; i++)
		n += config_rule_installed(c, &c->rules[i]);
	return n;
}

/* Periodic checks for a backend without events; nothing for nftables
 * until an event arms the one-shot. */
static void arm_timer(struct firewall *fw, bool soon)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (fw->timerfd < 0)
		return;
	if (soon) {
		its.it_value.tv_nsec = VERIFY_DELAY_NS;
	} else if (fw->ops && fw->ops->event_fd(fw->st) < 0) {
		its.it_value.tv_sec = fw->applied->fw.check_interval;
		its.it_interval.tv_sec = fw->applied->fw.check_interval;
	}
	fw->verify_armed = soon;
	if (timerfd_settime(fw->timerfd, 0, &its, NULL) < 0)
		log_error("firewall: cannot arm the check timer: %m");
}

static int open_backend(struct firewall *fw, const struct config *c,
			char *err, size_t len)
{
	fw->ops = backend_ops(c);
	fw->st = NULL;
	if (!fw->ops)
		return 0;
	return fw->ops->open(&fw->st, c, err, len);
}

static void close_backend(struct firewall *fw)
{
	if (fw->ops && fw->st)
		fw->ops->close(fw->st);
	fw->ops = NULL;
	fw->st = NULL;
}

int firewall_start(struct firewall *fw, const struct config *c,
		   char *err, size_t len)
{
	memset(fw, 0, sizeof(*fw));
	fw->timerfd = -1;
	fw->applied = c;
	if (open_backend(fw, c, err, len) < 0)
		return -1;
	if (!fw->ops) {
		log_info("firewall backend none: the kernel rules that send "
			 "packets to nflogd's groups are managed elsewhere");
		return 0;
	}
	/* Even with no rule to install: apply() removes what a previous
	 * nflogd left behind. */
	if (fw->ops->apply(fw->st, c, err, len) < 0) {
		char rerr[FW_ERR_MAX];

		/* Not running means no rules of ours: a dead nflogd's
		 * leftovers go too. */
		if (fw->ops->remove(fw->st, rerr, sizeof(rerr)) < 0)
			log_msg(LOG_ERR, MSGID_RULES_FAILED, "%s: cannot remove "
				"leftover rules: %s", fw->ops->name, rerr);
		close_backend(fw);
		return -1;
	}
	fw->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fw->timerfd < 0)
		log_error("firewall: cannot create the check timer: %m; a "
			  "flushed ruleset will not be noticed");
	arm_timer(fw, false);
	log_msg(LOG_INFO, MSGID_RULES_INSTALLED, "%s: %u rule(s) installed, "
		"tagged \"%s:<rule>\"", fw->ops->name, n_installed(c),
		c->fw.table);
	firewall_refresh_counters(fw);
	return 0;
}

int firewall_reload(struct firewall *fw, const struct config *nc,
		    char *err, size_t len)
{
	const struct fw_ops *nops = backend_ops(nc);

	if (nops == fw->ops && fw->ops &&
	    strcmp(nc->fw.table, fw->applied->fw.table) == 0) {
		if (fw->ops->apply(fw->st, nc, err, len) < 0)
			return -1;
	} else {
		/* Another backend or another tag: install the new set
		 * first, so a failure leaves the old one in place. */
		struct firewall nfw = { .timerfd = -1 };

		if (open_backend(&nfw, nc, err, len) < 0)
			return -1;
		if (nfw.ops && nfw.ops->apply(nfw.st, nc, err, len) < 0) {
			close_backend(&nfw);
			return -1;
		}
		if (fw->ops) {
			char rerr[FW_ERR_MAX];

			if (fw->ops->remove(fw->st, rerr, sizeof(rerr)) < 0)
				log_msg(LOG_ERR, MSGID_RULES_FAILED, "%s: cannot "
					"remove the previous rules: %s",
					fw->ops->name, rerr);
			close_backend(fw);
		}
		fw->ops = nfw.ops;
		fw->st = nfw.st;
		if (fw->ops && fw->timerfd < 0)
			fw->timerfd = timerfd_create(CLOCK_MONOTONIC,
						     TFD_NONBLOCK | TFD_CLOEXEC);
	}
	fw->applied = nc;
	fw->have_ctr = false;
	fw->last_error[0] = '\0';
	arm_timer(fw, false);
	if (fw->ops)
		log_msg(LOG_INFO, MSGID_RULES_INSTALLED, "%s: %u rule(s) in "
			"place after reload", fw->ops->name, n_installed(nc));
	firewall_refresh_counters(fw);
	return 0;
}

int firewall_event_fd(const struct firewall *fw)
{
	return fw->ops ? fw->ops->event_fd(fw->st) : -1;
}

int firewall_timer_fd(const struct firewall *fw)
{
	return fw->timerfd;
}

void firewall_on_event(struct firewall *fw)
{
	if (!fw->ops)
		return;
	if (fw->ops->event_read(fw->st) > 0 && !fw->verify_armed)
		arm_timer(fw, true);
}

static void set_error(struct firewall *fw, const char *what, const char *err)
{
	/* Say it once per distinct problem, not once a second. */
	if (strncmp(fw->last_error, err, sizeof(fw->last_error) - 1) == 0)
		return;
	snprintf(fw->last_error, sizeof(fw->last_error), "%s", err);
	log_msg(LOG_ERR, MSGID_RULES_FAILED, "%s: %s: %s", fw->ops->name,
		what, err);
}

void firewall_on_timer(struct firewall *fw)
{
	char err[FW_ERR_MAX];
	uint64_t exp;
	int r;

	if (read(fw->timerfd, &exp, sizeof(exp)) < 0 || !fw->ops)
		return;
	if (fw->verify_armed)
		arm_timer(fw, false);   /* back to periodic (or idle) */
	err[0] = '\0';
	r = fw->ops->verify(fw->st, err, sizeof(err));
	if (r < 0) {
		set_error(fw, "cannot check the rules", err);
		return;
	}
	if (r > 0)
		return;
	if (fw->ops->apply(fw->st, fw->applied, err, sizeof(err)) < 0) {
		/* Try again at the next check; nftables gets no event for
		 * our failure, so make the next check a periodic one. */
		set_error(fw, "rules are missing and cannot be put back", err);
		if (fw->ops->event_fd(fw->st) >= 0 && fw->timerfd >= 0) {
			struct itimerspec its = { { 1, 0 }, { 1, 0 } };

			timerfd_settime(fw->timerfd, 0, &its, NULL);
		}
		return;
	}
	fw->reinstalls++;
	fw->last_error[0] = '\0';
	log_msg(LOG_WARNING, MSGID_RULES_RESTORED, "%s: the ruleset changed "
		"and some of nflogd's rules were gone: %u rule(s) put back "
		"(%llu time(s) since start)", fw->ops->name,
		n_installed(fw->applied), (unsigned long long)fw->reinstalls);
	firewall_refresh_counters(fw);
}

void firewall_refresh_counters(struct firewall *fw)
{
	char err[FW_ERR_MAX];

	if (!fw->ops)
		return;
	memset(fw->ctr, 0, sizeof(fw->ctr));
	err[0] = '\0';
	if (fw->ops->counters(fw->st, fw->ctr, err, sizeof(err)) < 0) {
		fw->have_ctr = false;
		set_error(fw, "cannot read the rule counters", err);
		return;
	}
	fw->have_ctr = true;
}

void firewall_stop(struct firewall *fw)
{
	char err[FW_ERR_MAX];

	if (fw->ops) {
		err[0] = '\0';
		if (fw->ops->remove(fw->st, err, sizeof(err)) < 0)
			log_msg(LOG_ERR, MSGID_RULES_FAILED, "%s: cannot remove "
				"nflogd's rules: %s", fw->ops->name, err);
		else
			log_msg(LOG_INFO, MSGID_RULES_REMOVED, "%s: nflogd's "
				"rules removed", fw->ops->name);
	}
	close_backend(fw);
	if (fw->timerfd >= 0)
		close(fw->timerfd);
	fw->timerfd = -1;
}
