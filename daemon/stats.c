/* stats: counters out to people and programs.
 *
 * The accounting identity, per group:
 *   kernel logged (sequence numbers) = received + lost in the kernel
 * and per rule and output:
 *   received by the rule = written + failed + dropped at the queue + pending
 *                          + suppressed by the rule's record budget
 * Every term is a counter shown here. */
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "log.h"
#include "monotonic.h"

static uint64_t ld(const _Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static uint64_t kernel_logged(const struct receiver *rx)
{
	/* Sequence numbers start at 0 when we bind the group. */
	return rx->seq_valid ? rx->next_seq : 0;
}

struct totals {
	uint64_t kernel;        /* logged by nflogd's installed rules */
	uint64_t received, lost, written, failed, dropped, suppressed;
};

static void sum(const struct daemon *d, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned int g = 0; g < d->n_rx; g++) {
		t->received += d->rx[g].st.received;
		t->lost += d->rx[g].st.lost;
	}
	for (unsigned int o = 0; o < d->cfg->n_outputs; o++)
		for (unsigned int r = 0; r < d->cfg->n_rules; r++) {
			const struct output_rule_stats *s = &d->out[o].rs[r];

			t->written += ld(&s->written);
			t->failed += ld(&s->failed);
			t->dropped += s->dropped;
		}
	for (unsigned int r = 0; r < d->cfg->n_rules; r++) {
		t->kernel += d->fw.ctr[r].packets;
		t->suppressed += d->rs[r].suppressed;
	}
}

/* A JSON string: paths and messages may hold anything. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void write_json(const struct daemon *d, FILE *f)
{
	const struct config *c = d->cfg;

	fprintf(f, "{\"version\":1,\"pid\":%d,\"started\":%lld,\"updated\":%lld,"
		"\"running\":%s,\"config\":", (int)getpid(),
		(long long)d->started, (long long)time(NULL),
		d->stopping ? "false" : "true");
	json_string(f, d->config_path);
	/* what `nflogd --reload` waits for */
	fprintf(f, ",\"reloads\":%lu,\"last_reload\":", d->reloads);
	if (!d->reloads) {
		fputs("null", f);
	} else {
		fprintf(f, "{\"ok\":%s,\"error\":",
			d->last_reload_ok ? "true" : "false");
		json_string(f, d->last_reload_ok ? "" : d->reload_error);
		fputc('}', f);
	}
	fputs(",\"groups\":[", f);
	for (unsigned int g = 0; g < d->n_rx; g++) {
		const struct receiver *rx = &d->rx[g];

		fprintf(f, "%s{\"id\":%u,\"kernel_logged\":%llu,\"received\":%llu,"
			"\"lost\":%llu,\"uncounted\":%s,\"overruns\":%llu,"
			"\"kernel_drops\":%llu,\"malformed\":%llu,"
			"\"truncated\":%llu}", g ? "," : "", rx->group,
			(unsigned long long)kernel_logged(rx),
			(unsigned long long)rx->st.received,
			(unsigned long long)rx->st.lost,
			rx->uncounted ? "true" : "false",
			(unsigned long long)rx->st.overruns,
			(unsigned long long)rx->st.kernel_drops,
			(unsigned long long)rx->st.malformed,
			(unsigned long long)rx->st.truncated);
	}
	fputs("],\"rules\":[", f);
	for (unsigned int r = 0; r < c->n_rules; r++) {
		const struct config_rule *cr = &c->rules[r];
		const struct fw_counters *kc = &d->fw.ctr[r];

		fprintf(f, "%s{\"name\":\"%s\",\"group\":%u,\"received\":%llu,"
			"\"suppressed\":%llu,", r ? "," : "", cr->name, cr->group,
			(unsigned long long)d->rs[r].received,
			(unsigned long long)d->rs[r].suppressed);
		/* The kernel rule's own counters (the iptables -L -v view). */
		if (config_rule_installed(c, cr) && d->fw.have_ctr)
			fprintf(f, "\"kernel\":{\"present\":%s,\"matched\":%llu,"
				"\"logged\":%llu,\"bytes\":%llu},",
				kc->present ? "true" : "false",
				(unsigned long long)kc->matched,
				(unsigned long long)kc->packets,
				(unsigned long long)kc->bytes);
		fputs("\"outputs\":[", f);
		for (unsigned int k = 0; k < cr->n_outputs; k++) {
			unsigned int o = cr->outputs[k];
			const struct output_rule_stats *s = &d->out[o].rs[r];
			uint64_t w = ld(&s->written), fl = ld(&s->failed);

			fprintf(f, "%s{\"name\":\"%s\",\"queued\":%llu,\"written\":%llu,"
				"\"failed\":%llu,\"dropped\":%llu,\"pending\":%llu}",
				k ? "," : "", c->outputs[o].name,
				(unsigned long long)s->queued,
				(unsigned long long)w, (unsigned long long)fl,
				(unsigned long long)s->dropped,
				(unsigned long long)(s->queued - w - fl));
		}
		fputs("]}", f);
	}
	fputs("],\"outputs\":[", f);
	for (unsigned int o = 0; o < c->n_outputs; o++) {
		const struct output *op = &d->out[o];
		int err = atomic_load(&op->last_err);

		fprintf(f, "%s{\"name\":\"%s\",\"type\":\"%s\",\"path\":\"%s\","
			"\"queue\":%zu,\"queue_size\":%u,\"last_error\":\"%s\","
			"\"summaries\":{\"queued\":%llu,\"written\":%llu,"
			"\"failed\":%llu,\"dropped\":%llu},"
			"\"written_to_deleted_file\":%llu}",
			o ? "," : "", c->outputs[o].name,
			c->outputs[o].type == OUTPUT_FILE ? "file" : "journal",
			c->outputs[o].path,
			queue_count(&op->q),
			c->outputs[o].queue_size, err ? strerror(err) : "",
			(unsigned long long)op->summaries_queued,
			(unsigned long long)ld(&op->summaries_written),
			(unsigned long long)ld(&op->summaries_failed),
			(unsigned long long)op->summaries_dropped,
			(unsigned long long)ld(&op->into_deleted));
	}
	fputs("]}\n", f);
}

static void write_table(const struct daemon *d, FILE *f)
{
	const struct config *c = d->cfg;

	fprintf(f, "nflogd pid %d, config %s, %s\n\n", (int)getpid(),
		d->config_path, d->stopping ? "stopped" : "running");
	fprintf(f, "%-8s %14s %14s %14s %10s %10s\n", "GROUP", "KERNEL-LOGGED",
		"RECEIVED", "LOST-KERNEL", "OVERRUNS", "UNCOUNTED");
	for (unsigned int g = 0; g < d->n_rx; g++) {
		const struct receiver *rx = &d->rx[g];

		fprintf(f, "%-8u %14llu %14llu %14llu %10llu %10s\n", rx->group,
			(unsigned long long)kernel_logged(rx),
			(unsigned long long)rx->st.received,
			(unsigned long long)rx->st.lost,
			(unsigned long long)rx->st.overruns,
			rx->uncounted ? "yes" : "-");
	}
	fprintf(f, "\n%-16s %-10s %14s %14s %14s %14s %12s\n", "RULE", "KERNEL",
		"MATCHED", "LOGGED", "BYTES", "RECEIVED", "SUPPRESSED");
	for (unsigned int r = 0; r < c->n_rules; r++) {
		const struct fw_counters *k = &d->fw.ctr[r];
		bool inst = config_rule_installed(c, &c->rules[r]);

		if (inst && d->fw.have_ctr)
			fprintf(f, "%-16s %-10s %14llu %14llu %14llu %14llu %12llu\n",
				c->rules[r].name, k->present ? "installed" : "MISSING",
				(unsigned long long)k->matched,
				(unsigned long long)k->packets,
				(unsigned long long)k->bytes,
				(unsigned long long)d->rs[r].received,
				(unsigned long long)d->rs[r].suppressed);
		else
			fprintf(f, "%-16s %-10s %14s %14s %14s %14llu %12llu\n",
				c->rules[r].name, inst ? "unknown" : "external",
				"-", "-", "-",
				(unsigned long long)d->rs[r].received,
				(unsigned long long)d->rs[r].suppressed);
	}
	fprintf(f, "\n%-16s %-12s %12s %12s %12s %12s %10s\n", "RULE", "OUTPUT",
		"RECEIVED", "WRITTEN", "QUEUE-DROP", "WRITE-FAIL", "PENDING");
	for (unsigned int r = 0; r < c->n_rules; r++)
		for (unsigned int k = 0; k < c->rules[r].n_outputs; k++) {
			unsigned int o = c->rules[r].outputs[k];
			const struct output_rule_stats *s = &d->out[o].rs[r];
			uint64_t w = ld(&s->written), fl = ld(&s->failed);

			fprintf(f, "%-16s %-12s %12llu %12llu %12llu %12llu %10llu\n",
				c->rules[r].name, c->outputs[o].name,
				(unsigned long long)d->rs[r].received,
				(unsigned long long)w,
				(unsigned long long)s->dropped,
				(unsigned long long)fl,
				(unsigned long long)(s->queued - w - fl));
		}
}

/* Write to NAME.tmp, then rename: readers never see half a file. */
static void write_atomic(const char *dir, const char *name,
			 void (*fn)(const struct daemon *, FILE *),
			 const struct daemon *d)
{
	char path[CONFIG_PATH_MAX + 64], tmp[CONFIG_PATH_MAX + 80];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return;
	/* 0644 whatever the umask (the unit's is 0027): counters are for
	 * every user (`nflogd --status`), and node_exporter reads the .prom
	 * file as its own user. */
	(void)fchmod(fileno(f), 0644);
	fn(d, f);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		unlink(tmp);
}

static void write_prom_kernel(const struct daemon *d, FILE *f)
{
	static const char *const name[3] = { "matched", "logged", "bytes" };
	static const char *const help[3] = {
		"Packets that matched nflogd's kernel rule (before its rate limit).",
		"Packets nflogd's kernel rule logged.",
		"Bytes nflogd's kernel rule logged.",
	};
	const struct config *c = d->cfg;

	if (!d->fw.have_ctr)
		return;
	for (int i = 0; i < 3; i++) {
		fprintf(f, "# HELP nflogd_rule_kernel_%s_total %s\n"
			"# TYPE nflogd_rule_kernel_%s_total counter\n",
			name[i], help[i], name[i]);
		for (unsigned int r = 0; r < c->n_rules; r++) {
			const struct fw_counters *k = &d->fw.ctr[r];
			uint64_t v = i == 0 ? k->matched : i == 1 ? k->packets : k->bytes;

			if (config_rule_installed(c, &c->rules[r]))
				fprintf(f, "nflogd_rule_kernel_%s_total{rule=\"%s\"} %llu\n",
					name[i], c->rules[r].name,
					(unsigned long long)v);
		}
	}
}

static void write_prom(const struct daemon *d, FILE *f)
{
	const struct config *c = d->cfg;

	fputs("# HELP nflogd_group_received_total Packets received from the kernel.\n"
	      "# TYPE nflogd_group_received_total counter\n", f);
	for (unsigned int g = 0; g < d->n_rx; g++)
		fprintf(f, "nflogd_group_received_total{group=\"%u\"} %llu\n",
			d->rx[g].group, (unsigned long long)d->rx[g].st.received);
	fputs("# HELP nflogd_group_lost_total Packets the kernel logged but could not deliver (socket overrun).\n"
	      "# TYPE nflogd_group_lost_total counter\n", f);
	for (unsigned int g = 0; g < d->n_rx; g++)
		fprintf(f, "nflogd_group_lost_total{group=\"%u\"} %llu\n",
			d->rx[g].group, (unsigned long long)d->rx[g].st.lost);
	fputs("# HELP nflogd_group_uncounted 1 while the kernel has dropped packets after the last one received: not in lost_total until the group's next packet.\n"
	      "# TYPE nflogd_group_uncounted gauge\n", f);
	for (unsigned int g = 0; g < d->n_rx; g++)
		fprintf(f, "nflogd_group_uncounted{group=\"%u\"} %d\n",
			d->rx[g].group, d->rx[g].uncounted ? 1 : 0);
	fputs("# HELP nflogd_written_total Records written per rule and output.\n"
	      "# TYPE nflogd_written_total counter\n", f);
	for (unsigned int r = 0; r < c->n_rules; r++)
		for (unsigned int k = 0; k < c->rules[r].n_outputs; k++) {
			unsigned int o = c->rules[r].outputs[k];

			fprintf(f, "nflogd_written_total{rule=\"%s\",output=\"%s\"} %llu\n",
				c->rules[r].name, c->outputs[o].name,
				(unsigned long long)ld(&d->out[o].rs[r].written));
		}
	fputs("# HELP nflogd_dropped_total Records dropped because an output's queue was full.\n"
	      "# TYPE nflogd_dropped_total counter\n", f);
	for (unsigned int r = 0; r < c->n_rules; r++)
		for (unsigned int k = 0; k < c->rules[r].n_outputs; k++) {
			unsigned int o = c->rules[r].outputs[k];

			fprintf(f, "nflogd_dropped_total{rule=\"%s\",output=\"%s\"} %llu\n",
				c->rules[r].name, c->outputs[o].name,
				(unsigned long long)d->out[o].rs[r].dropped);
		}
	fputs("# HELP nflogd_failed_total Records an output could not write.\n"
	      "# TYPE nflogd_failed_total counter\n", f);
	for (unsigned int r = 0; r < c->n_rules; r++)
		for (unsigned int k = 0; k < c->rules[r].n_outputs; k++) {
			unsigned int o = c->rules[r].outputs[k];

			fprintf(f, "nflogd_failed_total{rule=\"%s\",output=\"%s\"} %llu\n",
				c->rules[r].name, c->outputs[o].name,
				(unsigned long long)ld(&d->out[o].rs[r].failed));
		}
	fputs("# HELP nflogd_suppressed_total Records over a rule's record_limit: counted and summarised, not written one by one.\n"
	      "# TYPE nflogd_suppressed_total counter\n", f);
	for (unsigned int r = 0; r < c->n_rules; r++)
		if (c->rules[r].record_rate)
			fprintf(f, "nflogd_suppressed_total{rule=\"%s\"} %llu\n",
				c->rules[r].name,
				(unsigned long long)d->rs[r].suppressed);
	fputs("# HELP nflogd_written_to_deleted_file_total Records written after an output's file was found deleted while open (they go with it when it is closed).\n"
	      "# TYPE nflogd_written_to_deleted_file_total counter\n", f);
	for (unsigned int o = 0; o < c->n_outputs; o++)
		if (c->outputs[o].type == OUTPUT_FILE)
			fprintf(f, "nflogd_written_to_deleted_file_total{output=\"%s\"} %llu\n",
				c->outputs[o].name,
				(unsigned long long)ld(&d->out[o].into_deleted));
	fputs("# HELP nflogd_summaries_total Flood summary records per output, by what became of them.\n"
	      "# TYPE nflogd_summaries_total counter\n", f);
	for (unsigned int o = 0; o < c->n_outputs; o++) {
		const struct output *op = &d->out[o];
		const uint64_t v[3] = { ld(&op->summaries_written),
					ld(&op->summaries_failed),
					op->summaries_dropped };
		static const char *const what[3] = { "written", "failed", "dropped" };

		for (int i = 0; i < 3; i++)
			fprintf(f, "nflogd_summaries_total{output=\"%s\",result=\"%s\"} %llu\n",
				c->outputs[o].name, what[i], (unsigned long long)v[i]);
	}
	write_prom_kernel(d, f);
}

static void prom_to(const struct daemon *d)
{
	char dir[CONFIG_PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", d->cfg->metrics_path);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = '\0';
	write_atomic(dir, slash + 1, write_prom, d);
}

int stats_init(struct daemon *d)
{
	if (mkdir(d->cfg->runtime_dir, 0755) < 0 && errno != EEXIST)
		log_warning("cannot create %s: %m; `nflogd --status` will not "
			    "work", d->cfg->runtime_dir);
	return 0;
}

void stats_log(struct daemon *d, const char *title)
{
	struct totals t;

	sum(d, &t);
	log_msg(LOG_INFO, MSGID_STATS, "%s: kernel rules logged %llu, "
		"received %llu, written %llu, "
		"lost in the kernel %llu, dropped at queues %llu, write "
		"failures %llu, suppressed by record_limit %llu", title,
		(unsigned long long)t.kernel, (unsigned long long)t.received,
		(unsigned long long)t.written, (unsigned long long)t.lost,
		(unsigned long long)t.dropped, (unsigned long long)t.failed,
		(unsigned long long)t.suppressed);
}

/* The kernel dropped batches after the newest packet received: their
 * packets are lost but not in `lost` until a later packet's sequence
 * number shows the gap.  Said once per occurrence; at the stop nothing
 * will show it any more. */
static void report_uncounted(struct daemon *d, unsigned int g)
{
	const struct receiver *rx = &d->rx[g];

	if (!rx->uncounted) {
		d->told_uncounted[g] = false;
		return;
	}
	if (d->stopping)
		log_msg(LOG_WARNING, MSGID_LOSS,
			"group %u: stopping with packets lost in the kernel "
			"after the last one received (socket receive buffer "
			"overrun; %llu batches dropped in all): no later packet "
			"can show how many, so 'lost' (%llu) is short by at "
			"least one packet", rx->group,
			(unsigned long long)rx->st.kernel_drops,
			(unsigned long long)rx->st.lost);
	else if (!d->told_uncounted[g])
		log_msg(LOG_WARNING, MSGID_LOSS,
			"group %u: packets lost in the kernel after the last "
			"one received (socket receive buffer overrun; %llu "
			"batches dropped in all): they are counted in 'lost' "
			"when the group's next packet arrives; raise rcvbuf or "
			"nlbufsiz for this group", rx->group,
			(unsigned long long)rx->st.kernel_drops);
	d->told_uncounted[g] = true;
}

/* Per-group loss since the last report, with what to do about it. */
static void report_losses(struct daemon *d)
{
	uint64_t *seen_lost = d->seen_lost;

	for (unsigned int g = 0; g < d->n_rx; g++) {
		uint64_t lost = d->rx[g].st.lost;

		if (lost > seen_lost[g])
			log_msg(LOG_WARNING, MSGID_LOSS,
				"group %u: %llu packet(s) lost in the kernel "
				"(socket receive buffer overrun; %llu in all): "
				"raise rcvbuf or nlbufsiz for this group",
				d->rx[g].group,
				(unsigned long long)(lost - seen_lost[g]),
				(unsigned long long)lost);
		seen_lost[g] = lost;
		report_uncounted(d, g);
	}
}

void stats_tick(struct daemon *d, bool force)
{
	struct totals t;

	d->ticks++;
	/* The kernel rules' counters: once a second is plenty for people
	 * and costs one listing (nft) or one iptables-save. */
	if (d->have_fw && (force || time(NULL) != d->fw_ctr_time)) {
		d->fw_ctr_time = time(NULL);
		firewall_refresh_counters(&d->fw);
	}
	sum(d, &t);
	write_atomic(d->cfg->runtime_dir, "status.json", write_json, d);
	write_atomic(d->cfg->runtime_dir, "status.txt", write_table, d);
	if (d->cfg->metrics_path[0])
		prom_to(d);
	report_losses(d);
	/* A failed reload stays visible in `systemctl status` until a
	 * reload succeeds. */
	sd_notifyf(0, "STATUS=%s%s%sreceived %llu, written %llu, lost %llu, "
		   "dropped %llu, failed %llu, suppressed %llu",
		   d->reload_error[0] ? "Reload failed: " : "", d->reload_error,
		   d->reload_error[0] ? "; running the previous configuration; " : "",
		   (unsigned long long)t.received, (unsigned long long)t.written,
		   (unsigned long long)t.lost, (unsigned long long)t.dropped,
		   (unsigned long long)t.failed, (unsigned long long)t.suppressed);
	if (d->watchdog_usec)
		sd_notify(0, "WATCHDOG=1");
	if (!d->last_stats)
		d->last_stats = mono_sec();
	if (!force && d->cfg->stats_interval &&
	    mono_sec() - d->last_stats >= (time_t)d->cfg->stats_interval) {
		d->last_stats = mono_sec();
		stats_log(d, "counters");
	}
}

void stats_fini(struct daemon *d)
{
	(void)d;
}

int stats_print_status(const char *runtime_dir, bool json)
{
	char path[CONFIG_PATH_MAX + 32], buf[8192];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", runtime_dir,
		 json ? "status.json" : "status.txt");
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "nflogd: cannot read %s: %m (is nflogd running?)\n",
			path);
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}
