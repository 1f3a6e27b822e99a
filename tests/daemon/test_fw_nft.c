/* fw_nft against the real kernel.  Each case runs in a forked child in a
 * network namespace of its own (unshare(CLONE_NEWNET)): a fresh, empty
 * ruleset, nothing of the host's touched.  The child's exit status is the
 * result (a failed check in it exits 1 with Check's message). */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <check.h>

#include "config.h"
#include "firewall.h"
#include "fw_nft_text.h"

/* A host's firewall: a set, a default-drop input chain with rules of its
 * own (one with a comment that looks like nflogd's but is not), a
 * forward chain, an ip6 table. */
static const char host_ruleset[] =
	"table inet filter {\n"
	"  set blocked { type ipv4_addr; elements = { 192.0.2.1 }; }\n"
	"  chain input {\n"
	"    type filter hook input priority filter; policy drop;\n"
	"    ct state established,related accept\n"
	"    iif \"lo\" accept comment \"host: loopback\"\n"
	"    ip saddr @blocked drop comment \"nflogd2:not-ours\"\n"
	"    tcp dport 22 accept comment \"nflogd\"\n"
	"  }\n"
	"  chain forward { type filter hook forward priority filter; "
	"policy drop; }\n"
	"}\n"
	"table ip6 mangle {\n"
	"  chain pre { type filter hook prerouting priority mangle; "
	"policy accept; counter; }\n"
	"}\n";

/* ---- helpers ----------------------------------------------------------- */

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	ck_assert_msg(r == 0, "`%s` failed: %d", cmd, r);
}

/* A command's whole stdout (malloc'd). */
static char *cmd_out(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	size_t n;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(buf);
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
	}
	buf[len] = '\0';
	ck_assert_int_eq(pclose(f), 0);
	return buf;
}

static char *ruleset(void)
{
	return cmd_out("nft -s list ruleset");
}

static void load_host(void)
{
	FILE *f = popen("nft -f -", "w");

	ck_assert_ptr_nonnull(f);
	fputs(host_ruleset, f);
	ck_assert_int_eq(pclose(f), 0);
}

/* nflogd's rules (tag "nflogd") as the kernel has them now. */
static void listing(struct nft_listing *l)
{
	char *json = cmd_out("nft -j -a list ruleset");
	char err[256] = "";

	memset(l, 0, sizeof(*l));
	ck_assert_msg(nft_listing_parse(l, json, "nflogd", err,
					sizeof(err)) == 0, "%s", err);
	free(json);
}

/* The handle of nflogd's rule `name` (which must be there). */
static uint64_t handle_of(const struct nft_listing *l, const char *name)
{
	for (unsigned int i = 0; i < l->n_rules; i++)
		if (strcmp(l->rules[i].name, name) == 0)
			return l->rules[i].handle;
	ck_abort_msg("rule %s is not in the kernel", name);
	return 0;
}

static unsigned int count_tagged(const char *name)
{
	struct nft_listing l;
	unsigned int n = 0;

	listing(&l);
	for (unsigned int i = 0; i < l.n_rules; i++)
		n += strcmp(l.rules[i].name, name) == 0;
	nft_listing_free(&l);
	return n;
}

static void cfg_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->fw.backend = FW_NFTABLES;
	snprintf(c->fw.table, sizeof(c->fw.table), "nflogd");
}

static struct config_rule *rule_add(struct config *c, const char *name,
				    uint16_t group, const char *match,
				    enum fw_place place, enum fw_family fam)
{
	struct config_rule *r = &c->rules[c->n_rules++];

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->group = group;
	snprintf(r->fw.match, sizeof(r->fw.match), "%s", match);
	r->fw.place = place;
	r->fw.family = fam;
	return r;
}

static struct config_rule *rule_own(struct config *c, const char *name,
				    const char *match, enum fw_family fam,
				    enum fw_hook hook, int prio)
{
	struct config_rule *r = rule_add(c, name, 1, match, FW_PLACE_OWN, fam);

	r->fw.hook = hook;
	r->fw.priority = prio;
	return r;
}

static struct config_rule *rule_in(struct config *c, const char *name,
				   const char *match, enum fw_place place,
				   const char *table, const char *chain)
{
	struct config_rule *r = rule_add(c, name, 2, match, place,
					 FW_FAMILY_INET);

	snprintf(r->fw.table, sizeof(r->fw.table), "%s", table);
	snprintf(r->fw.chain, sizeof(r->fw.chain), "%s", chain);
	return r;
}

static void *fw_open(const struct config *c)
{
	char err[FW_ERR_MAX] = "";
	void *st = NULL;

	ck_assert_msg(fw_nft_ops.open(&st, c, err, sizeof(err)) == 0, "%s",
		      err);
	return st;
}

static void fw_apply(void *st, const struct config *c)
{
	char err[FW_ERR_MAX] = "";
	int r = fw_nft_ops.apply(st, c, err, sizeof(err));

	ck_assert_msg(r == 0, "apply: %d %s", r, err);
}

static void fw_remove(void *st)
{
	char err[FW_ERR_MAX] = "";

	ck_assert_msg(fw_nft_ops.remove(st, err, sizeof(err)) == 0, "%s", err);
}

static int fw_verify(void *st)
{
	char err[FW_ERR_MAX] = "";
	int r = fw_nft_ops.verify(st, err, sizeof(err));

	ck_assert_msg(r >= 0, "verify: %s", err);
	return r;
}

/* Wait (at most ms) for the event fd, then read the events. */
static int wait_event(void *st, int ms)
{
	struct pollfd p = { .fd = fw_nft_ops.event_fd(st), .events = POLLIN };
	int r;

	ck_assert_int_ge(p.fd, 0);
	r = poll(&p, 1, ms);
	ck_assert_int_ge(r, 0);
	return r == 0 ? -1 : fw_nft_ops.event_read(st);
}

/* Run fn in a child in a new network namespace; its exit status is the
 * result.  Bounded: the child is killed after 60 s. */
static void in_netns(void (*fn)(void))
{
	pid_t pid;
	int status = 0;

	fflush(NULL);
	pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0) {
			fprintf(stderr, "unshare(CLONE_NEWNET): %s\n",
				strerror(errno));
			_exit(2);
		}
		fn();
		exit(0);        /* not _exit: LeakSanitizer checks at exit */
	}
	for (int i = 0; i < 6000; i++) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		ck_assert_int_ge(w, 0);
		if (w == pid)
			break;
		if (i == 5999) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ck_abort_msg("the child took longer than 60 s");
		}
		usleep(10000);
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the child failed (status %#x)", status);
}

/* ---- cases ------------------------------------------------------------- */

/* nflogd's own tables in two families; the host's ruleset is identical
 * after remove(). */
static void own_table(void)
{
	struct config c;
	struct fw_counters ctr[CONFIG_MAX_RULES];
	char err[FW_ERR_MAX] = "";
	char *before, *mid, *after;
	void *st;

	load_host();
	before = ruleset();
	cfg_init(&c);
	rule_own(&c, "out", "udp dport 53", FW_FAMILY_INET, FW_HOOK_OUTPUT, 0);
	rule_own(&c, "in", "", FW_FAMILY_INET, FW_HOOK_INPUT, -10);
	rule_own(&c, "fwd", "", FW_FAMILY_IP, FW_HOOK_FORWARD, 100);
	rule_add(&c, "elsewhere", 3, "", FW_PLACE_NONE, FW_FAMILY_INET);
	st = fw_open(&c);
	ck_assert_int_eq(fw_verify(st), 1);     /* nothing applied yet */
	fw_apply(st, &c);
	mid = cmd_out("nft list table inet nflogd; nft list table ip nflogd");
	ck_assert_msg(strstr(mid, "chain output {") &&
		      strstr(mid, "type filter hook output priority filter; "
			     "policy accept;") &&
		      strstr(mid, "udp dport 53 counter packets 0 bytes 0 log "
			     "group 1 comment \"nflogd:out\"") &&
		      strstr(mid, "chain input_m10 {") &&
		      strstr(mid, "type filter hook input priority filter - 10;") &&
		      strstr(mid, "chain forward_p100 {") &&
		      strstr(mid, "comment \"nflogd:fwd\""), "%s", mid);
	ck_assert_int_eq(fw_verify(st), 1);
	ck_assert_int_eq(fw_nft_ops.counters(st, ctr, err, sizeof(err)), 0);
	for (unsigned int i = 0; i < 3; i++)
		ck_assert(ctr[i].installed && ctr[i].present);
	ck_assert(!ctr[3].installed && !ctr[3].present);
	/* applying again changes nothing */
	fw_apply(st, &c);
	ck_assert_uint_eq(count_tagged("out"), 1);
	ck_assert_uint_eq(count_tagged("fwd"), 1);
	fw_remove(st);
	after = ruleset();
	ck_assert_str_eq(after, before);
	fw_remove(st);                          /* nothing left: fine */
	fw_nft_ops.close(st);
	free(before);
	free(mid);
	free(after);
}

START_TEST(test_own_table)
{
	in_netns(own_table);
}
END_TEST

/* Rules in the host's own chain: inserts at the top in configuration
 * order, appends at the end; the host's rules stay as they were. */
static void host_chain(void)
{
	struct config c;
	char *before, *mid, *after;
	const char *p[5];
	void *st;

	load_host();
	before = ruleset();
	cfg_init(&c);
	rule_in(&c, "ins1", "tcp dport 80", FW_PLACE_INSERT, "filter", "input");
	rule_in(&c, "app1", "", FW_PLACE_APPEND, "filter", "input");
	rule_in(&c, "ins2", "tcp dport 81", FW_PLACE_INSERT, "filter", "input");
	rule_in(&c, "app2", "ct state invalid", FW_PLACE_APPEND, "filter",
		"input");
	st = fw_open(&c);
	fw_apply(st, &c);
	mid = cmd_out("nft list chain inet filter input");
	p[0] = strstr(mid, "\"nflogd:ins1\"");
	p[1] = strstr(mid, "\"nflogd:ins2\"");
	p[2] = strstr(mid, "ct state established,related accept");
	p[3] = strstr(mid, "\"nflogd:app1\"");
	p[4] = strstr(mid, "\"nflogd:app2\"");
	for (int i = 0; i < 5; i++)
		ck_assert_msg(p[i] != NULL, "%d missing in\n%s", i, mid);
	for (int i = 0; i < 4; i++)
		ck_assert_msg(p[i] < p[i + 1], "order %d in\n%s", i, mid);
	/* app1 right after the host's last rule */
	ck_assert_ptr_nonnull(strstr(mid, "tcp dport 22 accept comment "
				     "\"nflogd\"\n\t\tcounter packets 0 "
				     "bytes 0 log group 2 comment "
				     "\"nflogd:app1\""));
	ck_assert_int_eq(fw_verify(st), 1);
	fw_remove(st);
	after = ruleset();
	ck_assert_str_eq(after, before);
	fw_nft_ops.close(st);
	free(before);
	free(mid);
	free(after);
}

START_TEST(test_host_chain)
{
	in_netns(host_chain);
}
END_TEST

/* One bad rule: nothing changes, the error names it with nft's words; and
 * on reload the rules applied before stay. */
static void all_or_none(void)
{
	struct config c, bad, bad2;
	char err[FW_ERR_MAX] = "";
	char *before, *after, *applied;
	void *st;

	load_host();
	before = ruleset();
	cfg_init(&bad);
	rule_own(&bad, "good", "", FW_FAMILY_INET, FW_HOOK_INPUT, 0);
	rule_in(&bad, "good2", "", FW_PLACE_APPEND, "filter", "input");
	rule_in(&bad, "broken", "tcp dport nosuchservice", FW_PLACE_INSERT,
		"filter", "input");
	rule_own(&bad, "good3", "", FW_FAMILY_IP6, FW_HOOK_OUTPUT, 5);
	st = fw_open(&bad);
	ck_assert_int_lt(fw_nft_ops.apply(st, &bad, err, sizeof(err)), 0);
	ck_assert_msg(strncmp(err, "rule 'broken': Error: Could not resolve "
			      "service", 39) == 0 &&
		      strstr(err, "tcp dport nosuchservice") &&
		      strstr(err, "^^^"), "%s", err);
	ck_assert_msg(!strstr(err, "good"), "%s", err);
	after = ruleset();
	ck_assert_str_eq(after, before);
	free(after);

	/* a chain that does not exist: the kernel's side of the check */
	cfg_init(&bad2);
	rule_own(&bad2, "good", "", FW_FAMILY_INET, FW_HOOK_INPUT, 0);
	rule_in(&bad2, "nochain", "", FW_PLACE_APPEND, "filter", "nosuch");
	err[0] = '\0';
	ck_assert_int_lt(fw_nft_ops.apply(st, &bad2, err, sizeof(err)), 0);
	ck_assert_msg(strncmp(err, "rule 'nochain': Error: ", 23) == 0, "%s",
		      err);
	after = ruleset();
	ck_assert_str_eq(after, before);
	free(after);

	/* reload: the running rules stay */
	cfg_init(&c);
	rule_own(&c, "good", "", FW_FAMILY_INET, FW_HOOK_INPUT, 0);
	rule_in(&c, "good2", "", FW_PLACE_APPEND, "filter", "input");
	fw_apply(st, &c);
	applied = ruleset();
	ck_assert_int_lt(fw_nft_ops.apply(st, &bad, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "rule 'broken'"), "%s", err);
	after = ruleset();
	ck_assert_str_eq(after, applied);
	ck_assert_int_eq(fw_verify(st), 1);     /* of c, still applied */
	free(after);
	fw_remove(st);
	after = ruleset();
	ck_assert_str_eq(after, before);
	fw_nft_ops.close(st);
	free(before);
	free(after);
	free(applied);
}

START_TEST(test_all_or_none)
{
	in_netns(all_or_none);
}
END_TEST

/* A dead nflogd's rules (applied, never removed) are replaced, not
 * doubled; renamed rules' leftovers go. */
static void leftovers(void)
{
	struct config c, c2;
	char *before, *after;
	void *st, *st2, *st3;

	load_host();
	before = ruleset();
	cfg_init(&c);
	rule_own(&c, "own", "", FW_FAMILY_INET, FW_HOOK_INPUT, 0);
	rule_in(&c, "ins", "", FW_PLACE_INSERT, "filter", "input");
	rule_in(&c, "app", "", FW_PLACE_APPEND, "filter", "input");
	st = fw_open(&c);
	fw_apply(st, &c);
	fw_nft_ops.close(st);                   /* died: nothing removed */

	st2 = fw_open(&c);
	fw_apply(st2, &c);
	ck_assert_uint_eq(count_tagged("own"), 1);
	ck_assert_uint_eq(count_tagged("ins"), 1);
	ck_assert_uint_eq(count_tagged("app"), 1);
	fw_nft_ops.close(st2);

	/* restarted with another configuration */
	cfg_init(&c2);
	rule_in(&c2, "app-renamed", "", FW_PLACE_APPEND, "filter", "input");
	st3 = fw_open(&c2);
	fw_apply(st3, &c2);
	ck_assert_uint_eq(count_tagged("own"), 0);
	ck_assert_uint_eq(count_tagged("ins"), 0);
	ck_assert_uint_eq(count_tagged("app"), 0);
	ck_assert_uint_eq(count_tagged("app-renamed"), 1);
	after = cmd_out("nft list tables");
	ck_assert_ptr_null(strstr(after, "nflogd"));
	free(after);
	fw_remove(st3);
	after = ruleset();
	ck_assert_str_eq(after, before);
	fw_nft_ops.close(st3);
	free(before);
	free(after);
}

START_TEST(test_leftovers)
{
	in_netns(leftovers);
}
END_TEST

/* `nft flush ruleset` is noticed; nflogd's own transactions are not. */
static void flush(void)
{
	struct config c;
	void *st;
	int r;

	load_host();
	cfg_init(&c);
	rule_own(&c, "own", "", FW_FAMILY_INET, FW_HOOK_INPUT, 0);
	rule_in(&c, "app", "", FW_PLACE_APPEND, "filter", "input");
	st = fw_open(&c);
	fw_apply(st, &c);
	/* our own commit: events, but none that concern us */
	r = wait_event(st, 200);
	ck_assert_msg(r <= 0, "own transaction reported: %d", r);

	sh("nft flush ruleset");
	ck_assert_int_eq(wait_event(st, 2000), 1);
	ck_assert_int_eq(fw_verify(st), 0);
	load_host();
	(void)wait_event(st, 200);              /* the host's reload */
	fw_apply(st, &c);
	ck_assert_int_eq(fw_verify(st), 1);
	r = wait_event(st, 200);
	ck_assert_msg(r <= 0, "own transaction reported: %d", r);

	/* someone deletes just one of nflogd's rules */
	sh("nft delete table inet nflogd");
	ck_assert_int_eq(wait_event(st, 2000), 1);
	ck_assert_int_eq(fw_verify(st), 0);
	fw_apply(st, &c);
	ck_assert_int_eq(fw_verify(st), 1);
	ck_assert_uint_eq(count_tagged("app"), 1);
	ck_assert_uint_eq(count_tagged("own"), 1);
	fw_remove(st);
	fw_nft_ops.close(st);
}

START_TEST(test_flush)
{
	in_netns(flush);
}
END_TEST

static void send_udp(int n, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(sendto(fd, "hello", 5, 0,
					(struct sockaddr *)&a, sizeof(a)), 5);
	close(fd);
}

/* Real packets move the counters; the limit's suppressed ones show. */
static void counters(void)
{
	struct config c;
	struct fw_counters ctr[CONFIG_MAX_RULES];
	char err[FW_ERR_MAX] = "";
	struct config_rule *r;
	void *st;

	sh("ip link set lo up");
	cfg_init(&c);
	rule_own(&c, "udp", "udp dport 9999", FW_FAMILY_INET, FW_HOOK_OUTPUT,
		 0);
	r = rule_own(&c, "limited", "udp dport 9999", FW_FAMILY_IP,
		     FW_HOOK_OUTPUT, 10);
	r->fw.limit_rate = 1;
	r->fw.limit_unit = LIMIT_HOUR;
	r->fw.limit_burst = 3;
	rule_own(&c, "other", "udp dport 9998", FW_FAMILY_INET,
		 FW_HOOK_OUTPUT, 0);
	st = fw_open(&c);
	fw_apply(st, &c);
	send_udp(10, 9999);
	ck_assert_int_eq(fw_nft_ops.counters(st, ctr, err, sizeof(err)), 0);
	ck_assert(ctr[0].present && ctr[1].present && ctr[2].present);
	ck_assert_uint_eq(ctr[0].packets, 10);
	ck_assert_uint_eq(ctr[0].matched, 10);
	ck_assert_uint_eq(ctr[0].bytes, 10 * (20 + 8 + 5));
	ck_assert_uint_eq(ctr[1].matched, 10);
	ck_assert_uint_eq(ctr[1].packets, 3);
	ck_assert_uint_eq(ctr[2].packets, 0);
	/* after a flush: not present, zeros */
	sh("nft flush ruleset");
	ck_assert_int_eq(fw_nft_ops.counters(st, ctr, err, sizeof(err)), 0);
	ck_assert(ctr[0].installed && !ctr[0].present);
	ck_assert_uint_eq(ctr[0].packets, 0);
	fw_nft_ops.close(st);
}

START_TEST(test_counters)
{
	in_netns(counters);
}
END_TEST

/* Reload: a chain whose rules did not change keeps them (handles and
 * counters); a changed one gets new rules. */
static void reload_diff(void)
{
	struct config c, nc;
	struct nft_listing l1, l2;
	uint64_t h_own, h_ins, h_app;
	struct fw_counters ctr[CONFIG_MAX_RULES];
	char err[FW_ERR_MAX] = "";
	void *st;

	sh("ip link set lo up");
	load_host();
	cfg_init(&c);
	rule_own(&c, "own", "udp dport 9999", FW_FAMILY_INET, FW_HOOK_OUTPUT,
		 0);
	rule_in(&c, "ins", "", FW_PLACE_INSERT, "filter", "input");
	rule_in(&c, "app", "", FW_PLACE_APPEND, "filter", "input");
	st = fw_open(&c);
	fw_apply(st, &c);
	send_udp(4, 9999);
	listing(&l1);
	h_own = handle_of(&l1, "own");
	h_ins = handle_of(&l1, "ins");
	h_app = handle_of(&l1, "app");

	/* the same configuration, a fresh copy: nothing changes */
	nc = c;
	fw_apply(st, &nc);
	listing(&l2);
	ck_assert_uint_eq(handle_of(&l2, "own"), h_own);
	ck_assert_uint_eq(handle_of(&l2, "ins"), h_ins);
	ck_assert_uint_eq(handle_of(&l2, "app"), h_app);
	nft_listing_free(&l2);

	/* one rule of the host chain changes: that chain is redone */
	c = nc;
	c.rules[2].group = 7;
	fw_apply(st, &c);
	listing(&l2);
	ck_assert_uint_eq(handle_of(&l2, "own"), h_own);
	ck_assert_uint_ne(handle_of(&l2, "ins"), h_ins);
	ck_assert_uint_ne(handle_of(&l2, "app"), h_app);
	ck_assert_uint_eq(l2.n_rules, 3);
	nft_listing_free(&l2);
	ck_assert_int_eq(fw_nft_ops.counters(st, ctr, err, sizeof(err)), 0);
	ck_assert_uint_eq(ctr[0].packets, 4);   /* kept its counter */

	/* someone edits nflogd's rule behind its back (same comment): the
	 * next apply puts the configured one back */
	sh("nft 'replace rule inet nflogd output handle %llu udp dport 1 "
	   "counter comment \"nflogd:own\"'", (unsigned long long)h_own);
	fw_apply(st, &c);
	listing(&l2);
	ck_assert_uint_ne(handle_of(&l2, "own"), h_own);
	nft_listing_free(&l2);
	fw_remove(st);
	fw_nft_ops.close(st);
	nft_listing_free(&l1);
}

START_TEST(test_reload_diff)
{
	in_netns(reload_diff);
}
END_TEST

/* nft accepts every statement nflogd writes: the 64 combinations of the
 * options, spread over every hook, two priorities and every family
 * (bridge too). */
static void every_option(void)
{
	static const enum fw_family fams[] = { FW_FAMILY_INET, FW_FAMILY_IP,
					       FW_FAMILY_IP6, FW_FAMILY_BRIDGE };
	struct fw_counters ctr[CONFIG_MAX_RULES];
	struct config *c = calloc(1, sizeof(*c));
	char err[FW_ERR_MAX] = "", name[16];
	struct nft_listing l;
	char *after;
	void *st;

	ck_assert_ptr_nonnull(c);
	cfg_init(c);
	for (unsigned int m = 0; m < 64; m++) {
		struct config_rule *r;

		snprintf(name, sizeof(name), "r%u", m);
		r = rule_own(c, name, m & 1 ? "meta mark 0x10" : "",
			     fams[m % 4], (enum fw_hook)(m % 5),
			     m % 2 ? -150 : 0);
		r->group = (uint16_t)m;
		if (m & 2) {
			r->fw.limit_rate = 7;
			r->fw.limit_unit = (enum limit_unit)(m % 4);
		}
		if (m & 4)
			r->fw.limit_burst = 9;
		if (m & 8)
			snprintf(r->prefix, sizeof(r->prefix), "p: 100%% \\ 'x' ");
		if (m & 16)
			r->fw.snaplen = 64;
		if (m & 32)
			r->fw.queue_threshold = 2;
	}
	st = fw_open(c);
	fw_apply(st, c);
	ck_assert_int_eq(fw_verify(st), 1);
	listing(&l);
	ck_assert_uint_eq(l.n_rules, 64);
	nft_listing_free(&l);
	ck_assert_int_eq(fw_nft_ops.counters(st, ctr, err, sizeof(err)), 0);
	for (unsigned int i = 0; i < 64; i++)
		ck_assert_msg(ctr[i].present, "rule r%u", i);
	fw_remove(st);
	after = ruleset();
	ck_assert_str_eq(after, "");
	fw_nft_ops.close(st);
	free(after);
	free(c);
}

START_TEST(test_every_option)
{
	in_netns(every_option);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fw_nft");
	TCase *tc = tcase_create("kernel");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_own_table);
	tcase_add_test(tc, test_host_chain);
	tcase_add_test(tc, test_all_or_none);
	tcase_add_test(tc, test_leftovers);
	tcase_add_test(tc, test_flush);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_reload_diff);
	tcase_add_test(tc, test_every_option);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
