/* daemon: start-up order, the epoll loop, reload and shutdown.
 *
 * Start:   outputs (queues, writer threads) -> groups bound -> READY=1.
 * Packet:  receiver -> rule by (group, prefix) -> decode once -> each of
 *          the rule's outputs: format, push to its queue (never wait).
 * Reload:  parse the new file; if it has errors, say so and keep running;
 *          else drain and restart the outputs, rebind what changed.
 * Stop:    read what the kernel already queued, unbind, drain outputs.
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "ct_invalid.h"
#include "decode.h"
#include "fmt_journal.h"
#include "fmt_json.h"
#include "fmt_log.h"
#include "log.h"
#include "monotonic.h"
#include "privileges.h"
#include "stats.h"

/* epoll data: which kind of fd, and which receiver */
enum { EV_SIGNAL = 1, EV_TICK, EV_IFCACHE, EV_FW_EVENT, EV_FW_TIMER,
       EV_RX = 0x100 };

#define RX_BURST 64     /* datagrams per group per wake-up */

/* ------------------------------------------------------------------ */
/* The record path                                                     */

/* Cut to the buffer: snprintf's return is what it wanted to write. */
static size_t fmt_len(int n, size_t size)
{
	return n < 0 ? 0 : (size_t)n >= size ? size - 1 : (size_t)n;
}

/* Everything of a LOG line's head but the microseconds changes once a
 * second at most: format it then, and per line only copy it. */
static void refresh_time(struct daemon *d, time_t sec)
{
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off;

	if (sec == d->tcache_sec)
		return;
	d->tcache_sec = sec;
	localtime_r(&sec, &tm);
	off = tm.tm_gmtoff / 60;
	d->tcache_rfc_len = fmt_len(snprintf(d->tcache_rfc, sizeof(d->tcache_rfc),
		"%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec),
		sizeof(d->tcache_rfc));
	d->tcache_rfc_tail_len = fmt_len(snprintf(d->tcache_rfc_tail,
		sizeof(d->tcache_rfc_tail), "%c%02d:%02d %s %s: ",
		off < 0 ? '-' : '+', (int)(labs(off) / 60 % 100),
		(int)(labs(off) % 60), d->hostname, d->cfg->identity),
		sizeof(d->tcache_rfc_tail));
	/* What the kernel's lines look like in /var/log/kern.log: psad,
	 * logwatch and CrowdSec key on "kernel:". */
	d->tcache_sys_len = fmt_len(snprintf(d->tcache_sys, sizeof(d->tcache_sys),
		"%s %2d %02d:%02d:%02d %s kernel: ", mon[tm.tm_mon], tm.tm_mday,
		tm.tm_hour, tm.tm_min, tm.tm_sec, d->hostname),
		sizeof(d->tcache_sys));
}

/* "<time> <host> <tag>: " in front of a LOG line, per line_style, into
 * buf (LINE_HEAD_MAX bytes); returns its length. */
#define LINE_HEAD_MAX 160
static size_t line_head(struct daemon *d, const struct config_output *oc,
			int64_t sec, uint32_t usec, char *buf)
{
	char *p = buf;

	refresh_time(d, (time_t)sec);
	switch (oc->line_style) {
	case STYLE_RFC3339:
		memcpy(p, d->tcache_rfc, d->tcache_rfc_len);
		p += d->tcache_rfc_len;
		for (int i = 5; i >= 0; i--, usec /= 10)
			p[i] = (char)('0' + usec % 10);
		p += 6;
		memcpy(p, d->tcache_rfc_tail, d->tcache_rfc_tail_len);
		return (size_t)(p - buf) + d->tcache_rfc_tail_len;
	case STYLE_SYSLOG:
		memcpy(p, d->tcache_sys, d->tcache_sys_len);
		return d->tcache_sys_len;
	case STYLE_BARE:
		break;
	}
	return 0;
}

static const struct config_rule *match_rule(const struct daemon *d,
					    const struct nflog_meta *m,
					    unsigned int *idx)
{
	/* exact prefix, else the group's empty-prefix rule, else the
	 * group's first rule: a packet is never left without a rule
	 * (docs/configuration.md) */
	const struct config_rule *r = config_rule_match(d->cfg, m->group,
							 m->prefix, m->prefix_len);

	if (r)
		*idx = (unsigned int)(r - d->cfg->rules);
	return r;
}

struct formatted {
	bool have_json, have_log, have_journal;
	int json_len, log_len;
	char json[FMT_JSON_MAX];
	char log[FMT_LOG_MAX];
	struct journal_fields jf;
};

/* Copy a record of up to three parts into o's queue; false when it is
 * full. */
static bool enqueue(struct output *o, uint16_t rule, const void *a,
		    size_t alen, const void *b, size_t blen, const void *c,
		    size_t clen)
{
	uint32_t len = (uint32_t)(alen + blen + clen);
	uint8_t *p = queue_reserve(&o->q, len, rule, 0);

	if (!p)
		return false;
	o->last_len = len;
	memcpy(p, a, alen);
	memcpy(p + alen, b, blen);
	if (clen)
		memcpy(p + alen + blen, c, clen);
	return true;
}

/* Journal fields into o's queue, serialised as the journal sink sends
 * them; false when it is full (or journald would refuse the fields:
 * fmt_journal never makes such, its keys are literals). */
static bool enqueue_fields(struct output *o, uint16_t rule,
			   const struct journal_fields *jf)
{
	size_t need = sink_journal_record_size(jf->iov, jf->n);
	void *p = need ? queue_reserve(&o->q, (uint32_t)need, rule, 0) : NULL;

	if (!p)
		return false;
	sink_journal_record_fill(p, jf->iov, jf->n);
	o->last_len = (uint32_t)need;
	return true;
}

static void push(struct output *o, unsigned int rule, const void *a,
		 size_t alen, const void *b, size_t blen, const void *c,
		 size_t clen)
{
	struct output_rule_stats *s = &o->rs[rule];

	if (enqueue(o, (uint16_t)rule, a, alen, b, blen, c, clen))
		s->queued++;
	else
		s->dropped++;
}

/* ------------------------------------------------------------------ */
/* Flood control: a rule's record budget (common/flood.h)              */

/* Take a record from rule ri's budget; false: it is over the budget,
 * counted as suppressed and noted for the next summary. */
static bool within_budget(struct daemon *d, unsigned int ri,
			  const struct record *rec)
{
	struct flood_state *fs = &d->flood[ri];
	uint64_t now = mono_us();

	if (flood_bucket_take(&fs->bucket, now))
		return true;
	d->rs[ri].suppressed++;
	flood_window_note(&fs->win, rec, now);
	return false;
}

/* Budgets for the rules of d->cfg: a rule that keeps its name and its
 * budget across a reload keeps its bucket (saved, from rules of old),
 * so that a reload does not hand out a fresh burst. */
static void flood_setup(struct daemon *d, const struct config *old,
			const struct flood_bucket *saved)
{
	const struct config *c = d->cfg;
	uint64_t now = mono_us();

	memset(d->flood, 0, sizeof(d->flood));
	for (unsigned int r = 0; r < c->n_rules; r++) {
		const struct config_rule *nr = &c->rules[r];

		if (!nr->record_rate)
			continue;
		flood_bucket_init(&d->flood[r].bucket, nr->record_rate,
				  config_limit_unit_seconds(nr->record_unit),
				  nr->record_burst, now);
		for (unsigned int o = 0; old && o < old->n_rules; o++) {
			const struct config_rule *or = &old->rules[o];

			if (!strcmp(or->name, nr->name) &&
			    or->record_rate == nr->record_rate &&
			    or->record_unit == nr->record_unit &&
			    or->record_burst == nr->record_burst)
				d->flood[r].bucket = saved[o];
		}
	}
}

/* Rule ri's window as one summary record in each of its outputs. */
static void flood_emit(struct daemon *d, unsigned int ri, uint64_t now_us)
{
	const struct config_rule *rule = &d->cfg->rules[ri];
	struct flood_state *fs = &d->flood[ri];
	struct formatted *f = d->scratch;
	struct flood_summary s = {
		.rule = rule->name, .limit_rate = rule->record_rate,
		.limit_unit = config_limit_unit_name(rule->record_unit),
		.burst = rule->record_burst,
	};
	char text[FLOOD_TEXT_MAX];
	size_t tl;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	flood_summarise(&fs->win, now_us, &s);
	memset(&fs->win, 0, sizeof(fs->win));
	tl = flood_text(&s, text, sizeof(text));
	for (unsigned int k = 0; k < rule->n_outputs; k++) {
		struct output *o = &d->out[rule->outputs[k]];
		const struct config_output *oc = &o->cfg;
		uint32_t usec = (uint32_t)(now.tv_nsec / 1000);
		bool ok = false;

		if (oc->type == OUTPUT_JOURNAL) {
			ok = fmt_journal_summary(&s, d->cfg->identity, &f->jf) > 0 &&
			     enqueue_fields(o, OUTPUT_RULE_NONE, &f->jf);
		} else if (oc->format == FORMAT_JSON) {
			int n = fmt_json_summary(&s, d->hostname, now.tv_sec, usec,
						 f->json, sizeof(f->json));

			ok = n > 0 && enqueue(o, OUTPUT_RULE_NONE, f->json,
					      (size_t)n, "\n", 1, NULL, 0);
		} else {
			char head[LINE_HEAD_MAX];
			size_t hl = line_head(d, oc, now.tv_sec, usec, head);

			ok = enqueue(o, OUTPUT_RULE_NONE, head, hl, text, tl,
				     "\n", 1);
		}
		if (ok)
			o->summaries_queued++;
		else
			o->summaries_dropped++;
	}
}

/* Summarise the windows that are flood_summary_interval old (all of
 * them: force, before a reload or a stop). */
static void flood_tick(struct daemon *d, bool force)
{
	uint64_t now = mono_us();
	uint64_t age = (uint64_t)d->cfg->flood_summary_interval * 1000000u;

	for (unsigned int r = 0; r < d->cfg->n_rules; r++) {
		const struct flood_window *w = &d->flood[r].win;

		if (w->suppressed && (force || now - w->start_us >= age))
			flood_emit(d, r, now);
	}
}

static void on_packet(void *ctx, struct receiver *rx, const struct nflog_meta *m)
{
	struct daemon *d = ctx;
	struct formatted *f = d->scratch;
	const struct config_rule *rule;
	unsigned int ri;
	struct record rec;
	const char *in, *out, *pin, *pout;
	struct log_ifnames ifn;
	int64_t sec, rx_sec;
	uint32_t usec, rx_usec;

	rule = match_rule(d, m, &ri);
	if (!rule)
		return;         /* a group without rules: cannot happen */
	d->rs[ri].received++;
	decode_packet(m, &rec);
	if (rule->record_rate && !within_budget(d, ri, &rec))
		return;

	in = d->have_ifc ? ifcache_name(&d->ifc, m->indev) : NULL;
	out = d->have_ifc ? ifcache_name(&d->ifc, m->outdev) : NULL;
	pin = d->have_ifc ? ifcache_name(&d->ifc, m->physindev) : NULL;
	pout = d->have_ifc ? ifcache_name(&d->ifc, m->physoutdev) : NULL;
	ifn = (struct log_ifnames){ in, out, pin, pout };

	/* The record's time is the kernel's (NFULA_TIMESTAMP), else when
	 * the datagram was received, which is also event.created. */
	rx_sec = rx->rx_time.tv_sec;
	rx_usec = (uint32_t)(rx->rx_time.tv_nsec / 1000);
	if (m->present & NFLOG_HAVE_TIMESTAMP) {
		sec = m->ts_sec;
		usec = m->ts_usec;
	} else {
		sec = rx_sec;
		usec = rx_usec;
	}
	f->have_json = f->have_log = f->have_journal = false;

	for (unsigned int k = 0; k < rule->n_outputs; k++) {
		struct output *o = &d->out[rule->outputs[k]];
		const struct config_output *oc = &o->cfg;

		/* A queue that cannot take a record like the last one drops
		 * this one: count it without formatting it.  Under a flood
		 * that a slow output (journald) cannot take, formatting what
		 * is then dropped would take CPU from the output itself. */
		if (!queue_room(&o->q, o->last_len)) {
			o->rs[ri].dropped++;
			continue;
		}
		if (oc->type == OUTPUT_JOURNAL) {
			if (!f->have_journal) {
				struct journal_ctx jc = {
					.ifn = &ifn, .log_flags = rule->log_flags,
					.priority = rule->level, .rule = rule->name,
					.identifier = d->cfg->identity,
					.ct_invalid = rule->ct_invalid,
				};

				if (fmt_journal(&rec, &jc, &f->jf) < 0 && !f->jf.n) {
					o->rs[ri].dropped++;
					continue;
				}
				f->have_journal = true;
			}
			if (enqueue_fields(o, (uint16_t)ri, &f->jf))
				o->rs[ri].queued++;
			else
				o->rs[ri].dropped++;
		} else if (oc->format == FORMAT_JSON) {
			if (!f->have_json) {
				struct json_ctx jc = {
					.ifn = &ifn, .rule = rule->name,
					.host = d->hostname,
					.action = rule->action[0] ? rule->action : NULL,
					.now_sec = rx_sec, .now_usec = rx_usec,
					.tc = &d->jtc,
					.ct_invalid = rule->ct_invalid,
				};

				f->json_len = fmt_json(&rec, &jc, f->json, sizeof(f->json));
				f->have_json = true;
			}
			if (f->json_len < 0) {
				o->rs[ri].dropped++;
				continue;
			}
			push(o, ri, f->json, (size_t)f->json_len, "\n", 1, NULL, 0);
		} else {
			char head[LINE_HEAD_MAX];
			size_t hl;

			if (!f->have_log) {
				f->log_len = fmt_log(&rec, &ifn, rule->log_flags,
						    f->log, sizeof(f->log));
				f->have_log = true;
			}
			hl = line_head(d, oc, sec, usec, head);
			push(o, ri, head, hl, f->log,
			     f->log_len < 0 ? 0 : (size_t)f->log_len, "\n", 1);
		}
	}
}

static void publish_all(struct daemon *d)
{
	for (unsigned int i = 0; i < d->cfg->n_outputs; i++) {
		queue_commit(&d->out[i].q);
		output_kick(&d->out[i]);
	}
}

/* ------------------------------------------------------------------ */
/* Groups and outputs                                                   */

static int start_outputs(struct daemon *d, const struct config *c)
{
	for (unsigned int i = 0; i < c->n_outputs; i++) {
		const char *what;
		int r = output_start(&d->out[i], &c->outputs[i], &what);

		if (r < 0) {
			log_error("output %s: cannot %s%s%s: %s", c->outputs[i].name,
				  what, c->outputs[i].type == OUTPUT_FILE ? " " : "",
				  c->outputs[i].type == OUTPUT_FILE ?
				  c->outputs[i].path : "", strerror(-r));
			while (i--)
				output_stop(&d->out[i]);
			return -1;
		}
	}
	return 0;
}

static void stop_outputs(struct daemon *d, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		output_stop(&d->out[i]);
}

static int epoll_add(struct daemon *d, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* conntrack = true on a kernel that cannot attach it: said once per
 * bind, not an error -- the records just carry no ct.* fields. */
static void say_conntrack_unsupported(const struct receiver *rx)
{
	if (rx->conntrack_unsupported)
		log_warning("group %u: conntrack information requested, but this "
			    "kernel cannot attach it to NFLOG messages "
			    "(CONFIG_NETFILTER_NETLINK_GLUE_CT is not set): the "
			    "group runs without it and records carry no ct "
			    "fields", rx->group);
}

/* The conntrack_invalid section: set its sysctls, or put back what a
 * previous run (maybe a crashed one) changed. */
static int setup_ct_invalid(const struct config *c)
{
	char err[512];
	int r;

	err[0] = '\0';
	if (!c->ct_invalid.enabled) {
		if (ct_invalid_restore(c->state_dir, err, sizeof(err)) < 0)
			log_error("conntrack_invalid: cannot put the sysctls "
				  "back: %s", err);
		return 0;
	}
	r = ct_invalid_enable(c, c->state_dir, err, sizeof(err));
	if (r < 0) {
		log_error("conntrack_invalid: %s", err);
		return -1;
	}
	if (r == 1)
		log_info("conntrack_invalid: %s", err);
	log_info("conntrack_invalid: conntrack's reasons for INVALID packets "
		 "(protocol %u%s) arrive on group 0 as rule '%s'",
		 c->ct_invalid.protocol,
		 c->ct_invalid.protocol == 255 ? ", all" : "",
		 c->rules[c->ct_invalid.rule].name);
	return 0;
}

static bool same_ct_invalid(const struct config *a, const struct config *b)
{
	return a->ct_invalid.enabled == b->ct_invalid.enabled &&
	       a->ct_invalid.protocol == b->ct_invalid.protocol &&
	       a->ct_invalid.ipv4 == b->ct_invalid.ipv4 &&
	       a->ct_invalid.ipv6 == b->ct_invalid.ipv6 &&
	       strcmp(a->state_dir, b->state_dir) == 0;
}

static int open_group(struct daemon *d, const struct config_group *g,
		      struct receiver *rx)
{
	const char *what;
	int r = receiver_open(rx, g, d->rxbuf, RECEIVER_BUFSIZE, on_packet, d,
			      &what);

	if (r == -EBUSY) {
		log_error("group %u is already bound by another process in "
			  "this network namespace (ulogd, tcpdump -i nflog:%u, "
			  "or another nflogd?)", g->id, g->id);
		return -1;
	}
	if (r < 0) {
		log_error("group %u: cannot %s: %s%s", g->id, what, strerror(-r),
			  r == -EPERM ? " (nflogd needs CAP_NET_ADMIN)" : "");
		return -1;
	}
	say_conntrack_unsupported(rx);
	return 0;
}

static int bind_groups(struct daemon *d)
{
	const struct config *c = d->cfg;

	for (unsigned int i = 0; i < c->n_groups; i++) {
		if (open_group(d, &c->groups[i], &d->rx[i]) < 0) {
			while (i--)
				receiver_close(&d->rx[i], on_packet, d);
			return -1;
		}
		epoll_add(d, d->rx[i].fd, EV_RX + i);
	}
	d->n_rx = c->n_groups;
	publish_all(d);
	return 0;
}

/* Read everything the kernel already queued for us. */
/* The firewall's fds change with its backend: (re)register them. */
static void watch_firewall(struct daemon *d)
{
	int fds[2] = { firewall_event_fd(&d->fw), firewall_timer_fd(&d->fw) };
	uint64_t tags[2] = { EV_FW_EVENT, EV_FW_TIMER };

	for (int i = 0; i < 2; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tags[i] };

		if (d->fw_fds[i] == fds[i])
			continue;
		if (d->fw_fds[i] >= 0)
			epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->fw_fds[i], NULL);
		d->fw_fds[i] = fds[i];
		if (fds[i] >= 0 && epoll_ctl(d->epfd, EPOLL_CTL_ADD, fds[i], &ev) < 0)
			log_error("cannot watch the firewall (fd %d): %m", fds[i]);
	}
}

/* Read up to RX_BURST datagrams of one group; returns how many, or
 * -errno.  Each datagram's records are published as soon as it is done,
 * not at the end of the burst: records not yet published are records
 * the writer cannot take out, and a backlog of 64 full datagrams of JSON
 * (~17 MB, after a stall) is more than an output queue holds (16 MiB), so
 * the queue would fill and drop with its writer idle. */
static int read_group(struct daemon *d, struct receiver *rx)
{
	int total = 0;

	for (unsigned int b = 0; b < RX_BURST; b++) {
		int r = receiver_read(rx, on_packet, d, 1);

		if (r <= 0)
			return r < 0 ? r : total;
		total += r;
		publish_all(d);
	}
	return total;
}

/* Read up to bursts x RX_BURST datagrams from each group now (all there
 * is: UINT_MAX, before a reload or at the stop). */
#define IFCACHE_DRAIN_BURSTS 64
static void drain_kernel_bounded(struct daemon *d, unsigned int bursts)
{
	for (unsigned int i = 0; i < d->n_rx; i++)
		for (unsigned int b = 0; b < bursts &&
		     read_group(d, &d->rx[i]) > 0; b++)
			;
	publish_all(d);
}

static void drain_kernel(struct daemon *d)
{
	drain_kernel_bounded(d, UINT_MAX);
}

/* ------------------------------------------------------------------ */
/* Reload                                                               */

/* 0: the new configuration runs; -1: the previous one still does, and
 * d->reload_error says why. */
static int reload_apply(struct daemon *d)
{
	struct config_errors *errs = calloc(1, sizeof(*errs));
	struct config *nc = NULL, *old = d->cfg;
	struct receiver nrx[CONFIG_MAX_GROUPS];
	struct output_rule_stats saved[CONFIG_MAX_OUTPUTS][CONFIG_MAX_RULES];
	struct rule_stats saved_rs[CONFIG_MAX_RULES];
	struct flood_bucket saved_bucket[CONFIG_MAX_RULES];
	bool kept[CONFIG_MAX_GROUPS] = { false };

	if (!errs) {
		snprintf(d->reload_error, sizeof(d->reload_error),
			 "out of memory");
		return -1;
	}
	if (daemon_load_config(d->config_path, &nc, errs) < 0) {
		for (unsigned int i = 0; i < errs->n && i < CONFIG_MAX_ERRORS; i++)
			log_msg(LOG_ERR, MSGID_RELOAD_FAILED, "%s", errs->msg[i]);
		log_msg(LOG_ERR, MSGID_RELOAD_FAILED,
			"%s has errors, not reloading: still running the "
			"previous configuration", d->config_path);
		snprintf(d->reload_error, sizeof(d->reload_error), "%s",
			 errs->msg[0]);
		sd_notifyf(0, "STATUS=Reload failed: %s; running the previous "
			   "configuration", errs->msg[0]);
		free(errs);
		return -1;
	}
	free(errs);
	if (strcmp(nc->user, old->user) || strcmp(nc->group, old->group))
		log_warning("%s: user/group changed: that takes a restart; "
			    "the rest of the configuration is reloaded now",
			    d->config_path);
	sd_notify(0, "RELOADING=1\nSTATUS=Reloading");

	/* Rules first: a rule set the kernel refuses leaves everything as
	 * it was (the old rules stay, the old configuration runs on). */
	{
		char ferr[FW_ERR_MAX];

		if (firewall_reload(&d->fw, nc, ferr, sizeof(ferr)) < 0) {
			log_msg(LOG_ERR, MSGID_RULES_FAILED, "%s", ferr);
			log_msg(LOG_ERR, MSGID_RELOAD_FAILED, "%s: the new rules "
				"cannot be installed, not reloading: still running "
				"the previous configuration and rules",
				d->config_path);
			snprintf(d->reload_error, sizeof(d->reload_error), "%.*s",
				 (int)sizeof(d->reload_error) - 1, ferr);
			sd_notifyf(0, "READY=1\nSTATUS=Reload failed: %s; running "
				   "the previous configuration", ferr);
			free(nc);
			return -1;
		}
		watch_firewall(d);
	}
	/* conntrack_invalid changed: put the old values back, then set the
	 * new ones (group 0 stays bound through the reload when both have
	 * it; a new group 0 is bound below, and nf_log.<pf> needs the
	 * logger registered, which any bound group ensures). */
	if (!same_ct_invalid(old, nc)) {
		char err[512] = "";

		if (old->ct_invalid.enabled &&
		    ct_invalid_restore(old->state_dir, err, sizeof(err)) < 0)
			log_error("conntrack_invalid: cannot put the sysctls "
				  "back: %s", err);
		if (nc->ct_invalid.enabled && setup_ct_invalid(nc) < 0)
			log_error("conntrack_invalid: not active after this "
				  "reload; the rest of the configuration is");
	}

	drain_kernel(d);
	/* The old rules' windows go out before their outputs stop. */
	flood_tick(d, true);
	publish_all(d);
	for (unsigned int r = 0; r < old->n_rules; r++)
		saved_bucket[r] = d->flood[r].bucket;
	/* Stop (drain) the old outputs first: what they write while stopping
	 * must be in the counters carried over. */
	stop_outputs(d, old->n_outputs);
	/* Counters follow rules and outputs by name across the reload. */
	for (unsigned int o = 0; o < old->n_outputs; o++)
		for (unsigned int r = 0; r < old->n_rules; r++) {
			saved[o][r].queued = d->out[o].rs[r].queued;
			saved[o][r].dropped = d->out[o].rs[r].dropped;
			saved[o][r].written = atomic_load(&d->out[o].rs[r].written);
			saved[o][r].failed = atomic_load(&d->out[o].rs[r].failed);
		}
	memcpy(saved_rs, d->rs, sizeof(saved_rs));
	memset(d->rs, 0, sizeof(d->rs));

	if (start_outputs(d, nc) < 0) {
		/* The new outputs cannot start: go back to the old ones. */
		char ferr[FW_ERR_MAX];

		log_msg(LOG_ERR, MSGID_RELOAD_FAILED, "reload failed: "
			"keeping the previous configuration");
		snprintf(d->reload_error, sizeof(d->reload_error), "an output "
			 "of the new configuration cannot start (see the "
			 "messages before)");
		if (firewall_reload(&d->fw, old, ferr, sizeof(ferr)) < 0)
			log_msg(LOG_ERR, MSGID_RULES_FAILED, "cannot put the "
				"previous rules back: %s", ferr);
		watch_firewall(d);
		free(nc);
		if (start_outputs(d, old) < 0) {
			log_error("cannot restart the previous outputs either");
			d->stopping = true;
		} else {
			/* output_start() zeroed them: put the counts back */
			for (unsigned int o = 0; o < old->n_outputs; o++)
				for (unsigned int r = 0; r < old->n_rules; r++) {
					d->out[o].rs[r].queued = saved[o][r].queued;
					d->out[o].rs[r].dropped = saved[o][r].dropped;
					atomic_store(&d->out[o].rs[r].written, saved[o][r].written);
					atomic_store(&d->out[o].rs[r].failed, saved[o][r].failed);
				}
		}
		memcpy(d->rs, saved_rs, sizeof(saved_rs));
		sd_notify(0, "READY=1\nSTATUS=Reload failed; running the "
			  "previous configuration");
		return -1;
	}
	for (unsigned int o = 0; o < nc->n_outputs; o++) {
		const struct config_output *oo = config_output(old, nc->outputs[o].name);

		for (unsigned int r = 0; oo && r < nc->n_rules; r++)
			for (unsigned int orr = 0; orr < old->n_rules; orr++) {
				unsigned int oi = (unsigned int)(oo - old->outputs);

				if (strcmp(old->rules[orr].name, nc->rules[r].name))
					continue;
				d->out[o].rs[r].queued = saved[oi][orr].queued;
				d->out[o].rs[r].dropped = saved[oi][orr].dropped;
				atomic_store(&d->out[o].rs[r].written, saved[oi][orr].written);
				atomic_store(&d->out[o].rs[r].failed, saved[oi][orr].failed);
			}
	}
	for (unsigned int r = 0; r < nc->n_rules; r++)
		for (unsigned int orr = 0; orr < old->n_rules; orr++)
			if (!strcmp(old->rules[orr].name, nc->rules[r].name))
				d->rs[r] = saved_rs[orr];

	/* Groups: keep and reconfigure the ones that stay, bind new ones,
	 * unbind the ones that went away. */
	d->cfg = nc;
	flood_setup(d, old, saved_bucket);
	for (unsigned int i = 0; i < nc->n_groups; i++) {
		const struct config_group *g = &nc->groups[i];
		unsigned int j;

		for (j = 0; j < d->n_rx; j++)
			if (!kept[j] && d->rx[j].group == g->id)
				break;
		if (j < d->n_rx) {
			const char *what;
			int r;

			nrx[i] = d->rx[j];
			kept[j] = true;
			r = receiver_configure(&nrx[i], g, on_packet, d, &what);
			if (r < 0)
				log_error("group %u: cannot %s: %s", g->id, what,
					  strerror(-r));
			else
				say_conntrack_unsupported(&nrx[i]);
		} else if (open_group(d, g, &nrx[i]) < 0) {
			nrx[i].nl = NULL;
			nrx[i].fd = -1;
			nrx[i].group = g->id;
		}
	}
	for (unsigned int j = 0; j < d->n_rx; j++)
		if (!kept[j]) {
			epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->rx[j].fd, NULL);
			receiver_close(&d->rx[j], on_packet, d);
		}
	for (unsigned int i = 0; i < nc->n_groups; i++) {
		d->rx[i] = nrx[i];
		if (d->rx[i].fd >= 0) {
			struct epoll_event ev = { .events = EPOLLIN,
						  .data.u64 = EV_RX + i };

			if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->rx[i].fd, &ev) < 0)
				epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->rx[i].fd, &ev);
		}
	}
	d->n_rx = nc->n_groups;
	publish_all(d);
	free(old);
	d->tcache_sec = 0;      /* the LOG line heads name the identity */
	d->reload_error[0] = '\0';
	log_msg(LOG_INFO, MSGID_RELOADED, "configuration reloaded from %s: "
		"%u group(s), %u rule(s), %u output(s)", d->config_path,
		nc->n_groups, nc->n_rules, nc->n_outputs);
	sd_notify(0, "READY=1");
	return 0;
}

/* SIGHUP.  The status file counts reloads and tells how the last one
 * went: `nflogd --reload` (the unit's ExecReload) waits for that. */
static void reload(struct daemon *d)
{
	d->last_reload_ok = reload_apply(d) == 0;
	d->reloads++;
	stats_tick(d, true);
}

/* ------------------------------------------------------------------ */
/* The loop                                                             */

static int setup_fds(struct daemon *d)
{
	sigset_t mask;
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	/* Signals arrive through the loop; no handler does any work. */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	/* A file over RLIMIT_FSIZE must give EFBIG (counted), not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->epfd < 0 || d->sigfd < 0 || d->tickfd < 0)
		return -1;
	if (timerfd_settime(d->tickfd, 0, &its, NULL) < 0)
		return -1;
	if (epoll_add(d, d->sigfd, EV_SIGNAL) < 0 ||
	    epoll_add(d, d->tickfd, EV_TICK) < 0)
		return -1;
	return 0;
}

static void handle_signals(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			d->stopping = true;
			break;
		case SIGHUP:
			reload(d);
			break;
		case SIGUSR1:
			for (unsigned int i = 0; i < d->cfg->n_outputs; i++)
				output_request_reopen(&d->out[i]);
			log_info("reopening output files (SIGUSR1)");
			break;
		}
	}
}

static void loop(struct daemon *d)
{
	struct epoll_event ev[16];

	while (!d->stopping) {
		int n = epoll_wait(d->epfd, ev, 16, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait failed: %m");
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;

			if (tag >= EV_RX) {
				struct receiver *rx = &d->rx[tag - EV_RX];
				int r = read_group(d, rx);

				if (r < 0)
					log_error("group %u: receiving failed: %s",
						  rx->group, strerror(-r));
			} else if (tag == EV_SIGNAL) {
				handle_signals(d);
			} else if (tag == EV_TICK) {
				uint64_t exp;

				if (read(d->tickfd, &exp, sizeof(exp)) < 0)
					continue;
				flood_tick(d, false);
				publish_all(d);
				stats_tick(d, false);
			} else if (tag == EV_FW_EVENT) {
				firewall_on_event(&d->fw);
			} else if (tag == EV_FW_TIMER) {
				firewall_on_timer(&d->fw);
			} else if (tag == EV_IFCACHE) {
				/* Packets logged before a rename must keep the
				 * name they were logged with: read what the
				 * groups' sockets hold before applying the link
				 * events that came after it (bounded, so a flood
				 * cannot hold the events back for ever). */
				drain_kernel_bounded(d, IFCACHE_DRAIN_BURSTS);
				if (ifcache_process(&d->ifc) < 0)
					log_warning("interface name cache: cannot "
						    "read link events: %m");
			}
		}
		publish_all(d);
	}
}

int daemon_run(const char *config_path, enum log_target target)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct config_errors *errs = calloc(1, sizeof(*errs));
	int ret = 1;

	if (!d || !errs) {
		fprintf(stderr, "nflogd: out of memory\n");
		return 1;
	}
	d->config_path = config_path;
	d->epfd = d->sigfd = d->tickfd = -1;
	d->fw_fds[0] = d->fw_fds[1] = -1;
	if (daemon_load_config(config_path, &d->cfg, errs) < 0) {
		for (unsigned int i = 0; i < errs->n && i < CONFIG_MAX_ERRORS; i++)
			fprintf(stderr, "%s\n", errs->msg[i]);
		if (errs->n > CONFIG_MAX_ERRORS)
			fprintf(stderr, "... and %u more errors\n",
				errs->n - CONFIG_MAX_ERRORS);
		fprintf(stderr, "nflogd: %s has errors, not starting\n", config_path);
		sd_notifyf(0, "STATUS=Configuration has errors: %s", errs->msg[0]);
		free(errs);
		free(d);
		return 1;
	}
	free(errs);
	log_init(target, d->cfg->identity);
	if (d->cfg->hostname[0])
		snprintf(d->hostname, sizeof(d->hostname), "%s", d->cfg->hostname);
	else if (gethostname(d->hostname, sizeof(d->hostname) - 1) < 0)
		strcpy(d->hostname, "localhost");
	/* Before anything else, and above all before any thread exists
	 * (capabilities are per thread). */
	{
		char perr[512];

		if (privileges_drop(d->cfg, perr, sizeof(perr)) < 0) {
			log_error("cannot switch to user %s: %s; not starting",
				  d->cfg->user, perr);
			sd_notifyf(0, "STATUS=Cannot switch to user %s: %s",
				   d->cfg->user, perr);
			goto out;
		}
	}
	d->started = time(NULL);
	d->rxbuf = aligned_alloc(8, RECEIVER_BUFSIZE);
	d->scratch = malloc(sizeof(struct formatted));
	if (!d->rxbuf || !d->scratch || setup_fds(d) < 0) {
		log_error("cannot set up the event loop: %m");
		goto out;
	}
	if (ifcache_open(&d->ifc) < 0) {
		log_warning("interface names unavailable (rtnetlink: %m): "
			    "IN=/OUT= will be empty");
	} else {
		d->have_ifc = true;
		epoll_add(d, ifcache_fd(&d->ifc), EV_IFCACHE);
	}
	if (stats_init(d) < 0)
		goto out;
	if (start_outputs(d, d->cfg) < 0)
		goto out;
	flood_setup(d, NULL, NULL);
	if (bind_groups(d) < 0) {
		stop_outputs(d, d->cfg->n_outputs);
		goto out;
	}
	/* Rules after the groups are bound: the kernel drops what it logs
	 * to a group nobody has bound, without counting it anywhere. */
	{
		char ferr[FW_ERR_MAX];

		if (firewall_start(&d->fw, d->cfg, ferr, sizeof(ferr)) < 0) {
			log_msg(LOG_ERR, MSGID_RULES_FAILED, "%s", ferr);
			log_error("cannot install the rules of %s, not starting",
				  config_path);
			sd_notifyf(0, "STATUS=Cannot install rules: %s", ferr);
			for (unsigned int i = 0; i < d->n_rx; i++)
				receiver_close(&d->rx[i], on_packet, d);
			stop_outputs(d, d->cfg->n_outputs);
			goto out;
		}
		d->have_fw = true;
		watch_firewall(d);
	}
	/* After group 0 is bound: nf_log.<pf> accepts nfnetlink_log only
	 * while that logger is registered. */
	if (setup_ct_invalid(d->cfg) < 0) {
		log_error("cannot set up conntrack_invalid, not starting");
		firewall_stop(&d->fw);
		d->have_fw = false;
		for (unsigned int i = 0; i < d->n_rx; i++)
			receiver_close(&d->rx[i], on_packet, d);
		stop_outputs(d, d->cfg->n_outputs);
		goto out;
	}
	{
		uint64_t usec;

		if (sd_watchdog_enabled(0, &usec) > 0) {
			d->watchdog_usec = usec;
			/* WATCHDOG=1 goes out every tick: tick at least twice
			 * per watchdog interval. */
			if (usec / 2 < 1000000) {
				struct itimerspec its = {
					.it_interval.tv_nsec = (long)(usec / 2 * 1000),
					.it_value.tv_nsec = (long)(usec / 2 * 1000),
				};

				timerfd_settime(d->tickfd, 0, &its, NULL);
			}
		}
	}
	{
		char who[256];

		privileges_describe(who, sizeof(who));
		log_msg(LOG_INFO, MSGID_STARTED, "started: %u group(s), %u "
			"rule(s), %u output(s) from %s; running as %s",
			d->cfg->n_groups, d->cfg->n_rules, d->cfg->n_outputs,
			config_path, who);
	}
	sd_notify(0, "READY=1\nSTATUS=Running");
	stats_tick(d, true);

	loop(d);

	sd_notify(0, "STOPPING=1\nSTATUS=Stopping: draining queues");
	/* Rules out first: then what the kernel queued is all there is, and
	 * its counters are final. */
	firewall_refresh_counters(&d->fw);
	firewall_stop(&d->fw);
	d->have_fw = false;
	if (d->cfg->ct_invalid.enabled) {
		char err[512] = "";

		if (ct_invalid_restore(d->cfg->state_dir, err, sizeof(err)) < 0)
			log_error("conntrack_invalid: cannot put the sysctls "
				  "back: %s", err);
	}
	drain_kernel(d);
	for (unsigned int i = 0; i < d->n_rx; i++)
		receiver_close(&d->rx[i], on_packet, d);
	flood_tick(d, true);
	publish_all(d);
	stop_outputs(d, d->cfg->n_outputs);
	stats_tick(d, true);
	stats_log(d, "final counters");
	log_msg(LOG_INFO, MSGID_STOPPED, "stopped");
	stats_fini(d);
	ret = 0;
out:
	if (d->have_fw)
		firewall_stop(&d->fw);
	if (d->have_ifc)
		ifcache_close(&d->ifc);
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->tickfd >= 0)
		close(d->tickfd);
	free(d->rxbuf);
	free(d->scratch);
	free(d->cfg);
	free(d);
	return ret;
}
