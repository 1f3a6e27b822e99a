/* fw_nft: the nftables backend, in-process with libnftables.
 *
 * Every change is one nft script run as one transaction: all of it or
 * none.  The script is built by common/fw_nft_text.c from a JSON listing
 * and is handed to libnftables as a file (a memfd, read through
 * /proc/self/fd/N): for a file nft prefixes every error with "FILE:LINE:",
 * which maps the error to the line and so to the rule; for a buffer nft
 * 1.0.6 gives no location and echoes the wrong line.  Without /proc the
 * buffer is used and errors name no rule.
 *
 * Listings: apply() and remove() list the whole ruleset (terse: no set
 * elements), since a dead nflogd's rules may be anywhere; verify() and
 * counters(), which run often, list only the chains of the applied rules,
 * one `list chain` per run (nft 1.0.6 fails a second list command in the
 * same run).
 *
 * Events: a NETLINK_NETFILTER socket in group NFNLGRP_NFTABLES.  Every
 * committed transaction ends with NFT_MSG_NEWGEN naming the committing
 * process (NFTA_GEN_PROC_PID, the thread id as the initial PID namespace
 * sees it); nflogd's own transactions are recognised by it and ignored.
 */
#include "firewall.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <nftables/libnftables.h>

#include "fw_nft_text.h"

/* Transactions retried when only deletions failed: the ruleset changed
 * between listing and commit (a rule nflogd meant to delete was gone). */
#define APPLY_ATTEMPTS 3
/* Receive buffer for ruleset events: a `nft -f` of a large ruleset is a
 * burst; an overrun only means "check", so this need not be huge. */
#define EVENT_RCVBUF (1 << 20)
/* recv() calls per event_read(): the caller's loop stays responsive. */
#define EVENT_MAX_READS 256

struct fw_nft {
	struct nft_ctx *nft;
	struct mnl_socket *ev;
	const struct config *applied;   /* NULL until an apply succeeded */
	char table[CONFIG_TABLE_MAX];   /* the tag of remove() */
	struct nft_memo memo;           /* of applied */
	pid_t tid;                      /* the thread that commits */
	/* one event datagram: a rule's event carries the whole rule */
	char evbuf[65536] __attribute__((aligned(4)));
};

/* ---- running nft ------------------------------------------------------- */

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* Run one list command; its JSON is in nft's output buffer (valid until
 * the next run).  -ENOENT: the table or chain does not exist. */
static int run_list(struct fw_nft *s, const char *cmd, const char **json,
		    char *err, size_t len)
{
	const char *e;

	nft_ctx_output_set_flags(s->nft, NFT_CTX_OUTPUT_JSON |
				 NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_TERSE);
	if (nft_run_cmd_from_buffer(s->nft, cmd) == 0) {
		*json = nft_ctx_get_output_buffer(s->nft);
		(void)nft_ctx_get_error_buffer(s->nft);
		return 0;
	}
	(void)nft_ctx_get_output_buffer(s->nft);
	e = nft_ctx_get_error_buffer(s->nft);
	snprintf(err, len, "`nft %s` failed: %s", cmd, e ? e : "");
	trim(err);
	return e && strstr(e, "No such file or directory") ? -ENOENT : -EIO;
}

/* The ruleset (tag s->table) into *l. */
static int list_ruleset(struct fw_nft *s, const char *table,
			struct nft_listing *l, char *err, size_t len)
{
	const char *json;
	int r;

	memset(l, 0, sizeof(*l));
	r = run_list(s, "list ruleset", &json, err, len);
	if (r < 0)
		return r;
	r = nft_listing_parse(l, json, table, err, len);
	if (r < 0)
		nft_listing_free(l);
	return r;
}

/* The chains of c's installed rules into *l; a chain that does not exist
 * is left out (*missing is set). */
static int list_chains(struct fw_nft *s, const struct config *c,
		       struct nft_listing *l, bool *missing,
		       char *err, size_t len)
{
	struct nft_chain_ref refs[CONFIG_MAX_RULES];
	unsigned int n = nft_config_chains(c, refs);
	char cmd[32 + 2 * CONFIG_TABLE_MAX];
	const char *json;
	int r;

	memset(l, 0, sizeof(*l));
	*missing = false;
	for (unsigned int i = 0; i < n; i++) {
		snprintf(cmd, sizeof(cmd), "list chain %s %s %s", refs[i].family,
			 refs[i].table, refs[i].chain);
		r = run_list(s, cmd, &json, err, len);
		if (r == -ENOENT) {
			*missing = true;
			continue;
		}
		if (r == 0)
			r = nft_listing_parse(l, json, c->fw.table, err, len);
		if (r < 0) {
			nft_listing_free(l);
			return r;
		}
	}
	return 0;
}

/* Run script t as one transaction.  On failure err holds nft's errors
 * mapped to rules; *rule_errs counts those that are some rule's. */
static int run_txn(struct fw_nft *s, const struct nft_txn *t,
		   const struct config *c, int *rule_errs,
		   char *err, size_t len)
{
	char path[64] = "";
	const char *e;
	int fd, r;

	*rule_errs = 0;
	nft_ctx_output_set_flags(s->nft, 0);
	fd = memfd_create("nflogd-nft", MFD_CLOEXEC);
	if (fd >= 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (write(fd, t->text, t->len) != (ssize_t)t->len ||
		    access(path, R_OK) < 0) {
			close(fd);
			fd = -1;
			path[0] = '\0';
		}
	}
	if (fd >= 0)
		r = nft_run_cmd_from_filename(s->nft, path);
	else
		r = nft_run_cmd_from_buffer(s->nft, t->text);
	if (fd >= 0)
		close(fd);
	(void)nft_ctx_get_output_buffer(s->nft);
	e = nft_ctx_get_error_buffer(s->nft);
	if (r == 0)
		return 0;
	*rule_errs = nft_error_explain(e && *e ? e : "Error: the transaction "
				       "failed, and nft said nothing", path, t,
				       c, err, len);
	return -EIO;
}

/* ---- fw_ops ------------------------------------------------------------ */

static int nft_close_free(struct fw_nft *s)
{
	if (s->nft)
		nft_ctx_free(s->nft);
	if (s->ev)
		mnl_socket_close(s->ev);
	free(s);
	return 0;
}

static int open_events(struct fw_nft *s, char *err, size_t len)
{
	int grp = NFNLGRP_NFTABLES, sz = EVENT_RCVBUF;

	s->ev = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!s->ev) {
		snprintf(err, len, "cannot open a netfilter netlink socket for "
			 "ruleset events: %s", strerror(errno));
		return -errno;
	}
	if (mnl_socket_bind(s->ev, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(s->ev, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0) {
		int e = errno;

		snprintf(err, len, "cannot subscribe to nftables ruleset events "
			 "(netlink group NFNLGRP_NFTABLES): %s", strerror(e));
		return -e;
	}
	/* Beyond rmem_max needs CAP_NET_ADMIN; the smaller size is fine. */
	if (setsockopt(mnl_socket_get_fd(s->ev), SOL_SOCKET, SO_RCVBUFFORCE,
		       &sz, sizeof(sz)) < 0)
		(void)setsockopt(mnl_socket_get_fd(s->ev), SOL_SOCKET,
				 SO_RCVBUF, &sz, sizeof(sz));
	return 0;
}

static int fw_nft_open(void **st, const struct config *c, char *err,
		       size_t len)
{
	struct fw_nft *s = calloc(1, sizeof(*s));
	int r;

	if (!s) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	snprintf(s->table, sizeof(s->table), "%s", c->fw.table);
	s->nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!s->nft) {
		snprintf(err, len, "cannot create a libnftables context");
		nft_close_free(s);
		return -ENOMEM;
	}
	if (nft_ctx_buffer_output(s->nft) < 0 ||
	    nft_ctx_buffer_error(s->nft) < 0) {
		snprintf(err, len, "cannot buffer libnftables' output");
		nft_close_free(s);
		return -ENOMEM;
	}
	r = open_events(s, err, len);
	if (r < 0) {
		nft_close_free(s);
		return r;
	}
	*st = s;
	return 0;
}

static void fw_nft_close(void *st)
{
	if (st)
		nft_close_free(st);
}

/* After a successful transaction: what the kernel now holds, so that the
 * next apply can leave unchanged chains alone. */
static void learn(struct fw_nft *s, const struct config *c)
{
	struct nft_listing l;
	char err[FW_ERR_MAX];
	bool missing;

	if (list_chains(s, c, &l, &missing, err, sizeof(err)) < 0) {
		/* Nothing remembered: the next apply replaces every rule,
		 * which is correct, only less gentle. */
		memset(&s->memo, 0, sizeof(s->memo));
		return;
	}
	nft_memo_update(&s->memo, c, &l);
	nft_listing_free(&l);
}

static int fw_nft_apply(void *st, const struct config *c, char *err,
			size_t len)
{
	struct fw_nft *s = st;
	int r = -EIO;

	s->tid = gettid();
	for (int attempt = 0; attempt < APPLY_ATTEMPTS; attempt++) {
		struct nft_listing cur;
		struct nft_txn t;
		char lerr[FW_ERR_MAX];
		int rule_errs;

		r = list_ruleset(s, c->fw.table, &cur, lerr, sizeof(lerr));
		if (r < 0) {
			snprintf(err, len, "cannot list the ruleset: %s", lerr);
			return r;
		}
		r = nft_txn_build(&t, c, &cur, s->applied ? &s->memo : NULL,
				  err, len);
		nft_listing_free(&cur);
		if (r < 0)
			return r;
		r = t.n_lines ? run_txn(s, &t, c, &rule_errs, err, len) : 0;
		nft_txn_free(&t);
		if (r == 0)
			break;
		if (rule_errs > 0)
			return r;
		/* Only deletions failed: listed, then changed.  Again. */
	}
	if (r < 0)
		return r;
	s->applied = c;
	snprintf(s->table, sizeof(s->table), "%s", c->fw.table);
	learn(s, c);
	return 0;
}

static int fw_nft_verify(void *st, char *err, size_t len)
{
	struct fw_nft *s = st;
	const struct config *c = s->applied;
	struct nft_listing l;
	bool missing;
	int r;

	if (!c)
		return 1;
	r = list_chains(s, c, &l, &missing, err, len);
	if (r < 0)
		return r;
	r = !missing;
	for (unsigned int i = 0; r && i < c->n_rules; i++) {
		struct nft_chain_ref ref;

		if (!config_rule_installed(c, &c->rules[i]))
			continue;
		nft_rule_chain(c, &c->rules[i], &ref);
		if (!nft_listing_find(&l, &ref, c->rules[i].name))
			r = 0;
	}
	nft_listing_free(&l);
	return r;
}

static int fw_nft_counters(void *st, struct fw_counters *out, char *err,
			   size_t len)
{
	struct fw_nft *s = st;
	const struct config *c = s->applied;
	struct nft_listing l;
	bool missing;
	int r;

	if (!c)
		return 0;
	r = list_chains(s, c, &l, &missing, err, len);
	if (r < 0)
		return r;
	for (unsigned int i = 0; i < c->n_rules; i++) {
		const struct config_rule *cr = &c->rules[i];
		const struct nft_krule *k;
		struct nft_chain_ref ref;

		memset(&out[i], 0, sizeof(out[i]));
		out[i].installed = config_rule_installed(c, cr);
		if (!out[i].installed)
			continue;
		nft_rule_chain(c, cr, &ref);
		k = nft_listing_find(&l, &ref, cr->name);
		if (!k)
			continue;
		out[i].present = true;
		nft_krule_counters(k, cr->fw.limit_rate != 0, &out[i].packets,
				   &out[i].bytes, &out[i].matched);
	}
	nft_listing_free(&l);
	return 0;
}

static int fw_nft_remove(void *st, char *err, size_t len)
{
	struct fw_nft *s = st;
	int r = -EIO;

	s->tid = gettid();
	for (int attempt = 0; attempt < APPLY_ATTEMPTS; attempt++) {
		struct nft_listing cur;
		struct nft_txn t;
		char lerr[FW_ERR_MAX];
		int rule_errs;

		r = list_ruleset(s, s->table, &cur, lerr, sizeof(lerr));
		if (r < 0) {
			snprintf(err, len, "cannot list the ruleset: %s", lerr);
			return r;
		}
		r = nft_txn_build_remove(&t, &cur);
		nft_listing_free(&cur);
		if (r < 0) {
			snprintf(err, len, "out of memory");
			return r;
		}
		r = t.n_lines ? run_txn(s, &t, NULL, &rule_errs, err, len) : 0;
		nft_txn_free(&t);
		if (r == 0)
			break;
	}
	if (r < 0)
		return r;
	memset(&s->memo, 0, sizeof(s->memo));
	return 0;
}

static int fw_nft_event_fd(void *st)
{
	struct fw_nft *s = st;

	return s->ev ? mnl_socket_get_fd(s->ev) : -1;
}

/* The committing process of a NEWGEN message, 0 if not said. */
static uint32_t gen_pid(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFTA_GEN_PROC_PID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			return ntohl(mnl_attr_get_u32(a));
	}
	return 0;
}

static int fw_nft_event_read(void *st)
{
	struct fw_nft *s = st;
	char *buf = s->evbuf;
	int changed = 0;

	if (!s->ev)
		return 0;
	for (int i = 0; i < EVENT_MAX_READS; i++) {
		ssize_t n = mnl_socket_recvfrom(s->ev, buf, sizeof(s->evbuf));
		const struct nlmsghdr *nlh;
		int left;

		if (n < 0) {
			/* events lost, or one too large to read: check */
			if (errno == ENOBUFS || errno == ENOSPC) {
				changed = 1;
				continue;
			}
			if (errno == EINTR)
				continue;
			break;          /* EAGAIN: drained */
		}
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			uint32_t pid;

			if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
				continue;
			/* Object events (a deleted table, chain, rule) come
			 * before their transaction's NEWGEN, which says whose
			 * they are. */
			if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWGEN)
				continue;
			pid = gen_pid(nlh);
			if (pid == 0 || (pid != (uint32_t)getpid() &&
					 pid != (uint32_t)s->tid))
				changed = 1;
		}
	}
	return changed;
}

const struct fw_ops fw_nft_ops = {
	.name = "nftables",
	.open = fw_nft_open,
	.apply = fw_nft_apply,
	.verify = fw_nft_verify,
	.counters = fw_nft_counters,
	.remove = fw_nft_remove,
	.event_fd = fw_nft_event_fd,
	.event_read = fw_nft_event_read,
	.close = fw_nft_close,
};
