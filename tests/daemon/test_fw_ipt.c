/* fw_ipt (the iptables backend) against the real kernel.
 *
 * Every case runs in a child process that first unshares its network
 * namespace (fork, unshare(CLONE_NEWNET)), so the host's ruleset is never
 * read nor touched; the iptables tools the backend execs inherit that
 * namespace.  The child reports through its exit status (0 pass, 77
 * skipped, else failed with the reason on stderr) and is killed by an
 * alarm if it hangs.  Each case runs twice: with the nft and with the
 * legacy variant of iptables, chosen by a PATH directory of symlinks
 * (argv[0] picks the tool in xtables-*-multi, and fw_ipt passes the plain
 * tool name).  Needs root (else the cases are skipped with a message).
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "firewall.h"
#include "fw_ipt_text.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define SKIP 77
#define CHILD_TIMEOUT_S 120

static const char *const variants[] = { "nft", "legacy" };

/* ---- in the child: checks report and exit ------------------------------ */

#define T(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: [%s] %s: ", __FILE__, __LINE__, \
				variant, #cond); \
			fprintf(stderr, " " __VA_ARGS__); \
			fputc('\n', stderr); \
			_exit(1); \
		} \
	} while (0)

static const char *variant = "?";

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* stdout of a shell command (malloc'd). */
static char *sh_out(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	char *buf = NULL;
	size_t len = 0, n;
	char tmp[4096];

	T(f != NULL, "popen %s", cmd);
	FILE *m = open_memstream(&buf, &len);

	T(m != NULL);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		fwrite(tmp, 1, n, m);
	T(pclose(f) == 0, "%s failed", cmd);
	fclose(m);
	return buf;
}

/* The whole ruleset of both families, without counters and comments. */
static char *ruleset(void)
{
	return sh_out("{ iptables-save; ip6tables-save; } | grep -v '^#'");
}

/* Load text (iptables-restore format) into family "" or "6". */
static void restore(const char *six, const char *text, bool noflush)
{
	char path[] = "/tmp/test_fw_ipt.XXXXXX";
	int fd = mkstemp(path);

	T(fd >= 0);
	T(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	T(sh("ip%stables-restore %s < %s", six, noflush ? "--noflush" : "",
	     path) == 0, "restore of %s", text);
	unlink(path);
}

static unsigned int count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	for (const char *s = hay; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/* ---- configurations ---------------------------------------------------- */

struct rspec {
	const char *name;
	uint16_t group;
	enum fw_family fam;
	enum fw_place place;
	enum fw_hook hook;
	const char *table, *chain, *match, *prefix;
	uint32_t rate;
	enum limit_unit unit;
	uint32_t burst;
};

#define APPEND(t, c) .place = FW_PLACE_APPEND, .table = (t), .chain = (c)
#define INSERT(t, c) .place = FW_PLACE_INSERT, .table = (t), .chain = (c)
#define OWN(h) .place = FW_PLACE_OWN, .hook = (h)

static void cfg_init(struct config *c, const struct rspec *r, size_t n)
{
	memset(c, 0, sizeof(*c));
	c->fw.backend = FW_IPTABLES;
	c->fw.check_interval = 1;
	strcpy(c->fw.table, "nflogd");
	for (size_t i = 0; i < n; i++) {
		struct config_rule *cr = &c->rules[c->n_rules++];

		snprintf(cr->name, sizeof(cr->name), "%s", r[i].name);
		cr->group = r[i].group;
		snprintf(cr->prefix, sizeof(cr->prefix), "%s",
			 r[i].prefix ? r[i].prefix : "");
		cr->fw.place = r[i].place;
		cr->fw.family = r[i].fam;
		cr->fw.hook = r[i].hook;
		snprintf(cr->fw.table, sizeof(cr->fw.table), "%s",
			 r[i].table ? r[i].table : "");
		snprintf(cr->fw.chain, sizeof(cr->fw.chain), "%s",
			 r[i].chain ? r[i].chain : "");
		snprintf(cr->fw.match, sizeof(cr->fw.match), "%s",
			 r[i].match ? r[i].match : "");
		cr->fw.limit_rate = r[i].rate;
		cr->fw.limit_unit = r[i].unit;
		cr->fw.limit_burst = r[i].burst;
	}
}

/* The host's own rules, in both families: nflogd must leave them alone. */
static const char host_v4[] =
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":FORWARD DROP [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":HOST-CHAIN - [0:0]\n"
	"-A INPUT -i lo -j ACCEPT\n"
	"-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
	"-A INPUT -p tcp --dport 22 -m comment --comment \"ssh: office\" -j ACCEPT\n"
	"-A INPUT -m comment --comment \"other:drops\" -j HOST-CHAIN\n"
	"-A HOST-CHAIN -p udp -j RETURN\n"
	"COMMIT\n"
	"*mangle\n"
	":PREROUTING ACCEPT [0:0]\n"
	"-A PREROUTING -p tcp -j MARK --set-mark 1\n"
	"COMMIT\n"
	"*raw\n"
	":PREROUTING ACCEPT [0:0]\n"
	"-A PREROUTING -p udp --dport 123 -j CT --notrack\n"
	"COMMIT\n";
static const char host_v6[] =
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":HOST-CHAIN - [0:0]\n"
	"-A INPUT -i lo -j ACCEPT\n"
	"-A INPUT -p ipv6-icmp -j ACCEPT\n"
	"-A INPUT -j HOST-CHAIN\n"
	"-A HOST-CHAIN -s 2001:db8::/32 -j RETURN\n"
	"COMMIT\n"
	"*mangle\n"
	":PREROUTING ACCEPT [0:0]\n"
	"-A PREROUTING -p tcp -j MARK --set-mark 1\n"
	"COMMIT\n"
	"*raw\n"
	":PREROUTING ACCEPT [0:0]\n"
	"COMMIT\n";

static void host_rules(void)
{
	restore("", host_v4, false);
	restore("6", host_v6, false);
}

static void *open_apply(const struct config *c)
{
	char err[FW_ERR_MAX] = "";
	void *st = NULL;

	T(fw_ipt_ops.open(&st, c, err, sizeof(err)) == 0, "%s", err);
	T(fw_ipt_ops.event_fd(st) == -1);
	T(fw_ipt_ops.event_read(st) == 0);
	T(fw_ipt_ops.apply(st, c, err, sizeof(err)) == 0, "apply: %s", err);
	return st;
}

static void remove_close(void *st)
{
	char err[FW_ERR_MAX] = "";

	T(fw_ipt_ops.remove(st, err, sizeof(err)) == 0, "remove: %s", err);
	fw_ipt_ops.close(st);
}

static int verify(void *st)
{
	char err[FW_ERR_MAX] = "";
	int r = fw_ipt_ops.verify(st, err, sizeof(err));

	T(r >= 0, "verify: %s", err);
	return r;
}

/* The listing of family six ("" or "6") for tag nflogd. */
static void listing(const char *six, struct ipt_listing *l)
{
	char cmd[64];
	char *t;
	unsigned int bad = 0;

	snprintf(cmd, sizeof(cmd), "ip%stables-save -c", six);
	t = sh_out(cmd);
	T(ipt_listing_parse(l, t, strlen(t), "nflogd", &bad) == 0, "line %u", bad);
	free(t);
}

/* Names of the tagged rules of table/chain, in order, space-separated. */
static void tagged(const char *six, const char *table, const char *chain,
		   char *out, size_t size)
{
	struct ipt_listing l;
	int ch;
	size_t n = 0;

	listing(six, &l);
	out[0] = '\0';
	ch = ipt_listing_chain(&l, table, chain);
	for (unsigned int i = 0; ch >= 0 && i < l.n_rules; i++)
		if (l.rules[i].chain == (unsigned int)ch && l.rules[i].tagged)
			n += (size_t)snprintf(out + n, size - n, "%s%s",
					      n ? " " : "", l.rules[i].name);
	ipt_listing_free(&l);
}

#define TAGGED(six, table, chain, expect) \
	do { \
		char got_[512]; \
		tagged(six, table, chain, got_, sizeof(got_)); \
		T(strcmp(got_, expect) == 0, "ip%stables %s/%s: \"%s\", " \
		  "expected \"%s\"", six, table, chain, got_, expect); \
	} while (0)

/* ---- the cases (in the child) ------------------------------------------ */

/* Existing chains, append and insert, both families; host rules
 * untouched, everything gone after remove(). */
static int case_existing_chain(void)
{
	static const struct rspec r[] = {
		{ "app", 1, FW_FAMILY_INET, APPEND("filter", "INPUT"),
		  .match = "-p tcp -m conntrack --ctstate NEW", .prefix = "app: " },
		{ "ins1", 2, FW_FAMILY_IP, INSERT("filter", "INPUT"),
		  .match = "-p tcp --dport 22" },
		{ "ins2", 3, FW_FAMILY_IP, INSERT("filter", "INPUT") },
		{ "user", 4, FW_FAMILY_IP6, INSERT("filter", "HOST-CHAIN"),
		  .rate = 5, .unit = LIMIT_SECOND, .burst = 9 },
		{ "raw", 5, FW_FAMILY_IP, APPEND("raw", "PREROUTING"),
		  .match = "-p udp", .prefix = "q\"uo\\te" },
		{ "unused", 6, FW_FAMILY_INET, .place = FW_PLACE_NONE },
	};
	static struct config c;
	struct fw_counters ctr[CONFIG_MAX_RULES];
	char err[FW_ERR_MAX] = "";
	char *before, *after;
	void *st;

	host_rules();
	before = ruleset();
	cfg_init(&c, r, NELEM(r));
	st = open_apply(&c);
	TAGGED("", "filter", "INPUT", "ins1 ins2 app");
	TAGGED("6", "filter", "INPUT", "app");
	TAGGED("6", "filter", "HOST-CHAIN", "user");
	TAGGED("", "raw", "PREROUTING", "raw");
	/* at the top, in config order; append at the end */
	char *v4 = sh_out("iptables -S INPUT");

	T(strstr(v4, "-P INPUT DROP\n-A INPUT -p tcp -m tcp --dport 22 -m "
		 "comment --comment \"nflogd:ins1\"") != NULL, "%s", v4);
	T(strstr(v4, "-j NFLOG --nflog-prefix \"app: \" --nflog-group 1\n") &&
	  strstr(v4, "--nflog-group 1\n") + strlen("--nflog-group 1\n") ==
	  v4 + strlen(v4), "%s", v4);
	free(v4);
	T(verify(st) == 1);
	T(fw_ipt_ops.counters(st, ctr, err, sizeof(err)) == 0, "%s", err);
	for (unsigned int i = 0; i < c.n_rules; i++) {
		T(ctr[i].installed == (i != 5), "rule %u", i);
		T(ctr[i].present == (i != 5), "rule %u", i);
	}
	/* applied again: nothing to do, verify still 1 */
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) == 0, "%s", err);
	TAGGED("", "filter", "INPUT", "ins1 ins2 app");
	T(verify(st) == 1);
	remove_close(st);
	after = ruleset();
	T(strcmp(before, after) == 0, "before:\n%s\nafter:\n%s", before, after);
	free(before);
	free(after);
	return 0;
}

/* nflogd's own chains with their jumps, host rules present. */
static int case_own_chain(void)
{
	static const struct rspec r[] = {
		{ "in1", 1, FW_FAMILY_INET, OWN(FW_HOOK_INPUT), .match = "-p icmp" },
		{ "in2", 2, FW_FAMILY_IP, OWN(FW_HOOK_INPUT) },
		{ "pre", 3, FW_FAMILY_IP, OWN(FW_HOOK_PREROUTING) },
		{ "out", 4, FW_FAMILY_IP6, OWN(FW_HOOK_OUTPUT) },
		{ "post", 5, FW_FAMILY_INET, OWN(FW_HOOK_POSTROUTING),
		  .rate = 1, .unit = LIMIT_MINUTE },
		{ "top", 6, FW_FAMILY_IP, INSERT("filter", "INPUT") },
	};
	static struct config c;
	char *before, *after, *s;
	void *st;

	host_rules();
	before = ruleset();
	cfg_init(&c, r, NELEM(r));
	st = open_apply(&c);
	TAGGED("", "filter", "NFLOGD-INPUT", "in1 in2");
	TAGGED("6", "filter", "NFLOGD-INPUT", "in1");
	TAGGED("", "mangle", "NFLOGD-PREROUTING", "pre");
	TAGGED("6", "filter", "NFLOGD-OUTPUT", "out");
	TAGGED("", "mangle", "NFLOGD-POSTROUTING", "post");
	TAGGED("6", "mangle", "NFLOGD-POSTROUTING", "post");
	/* the jump first, then the inserted rule */
	TAGGED("", "filter", "INPUT", "jump top");
	TAGGED("6", "filter", "INPUT", "jump");
	TAGGED("", "filter", "OUTPUT", "");
	TAGGED("6", "filter", "OUTPUT", "jump");
	s = sh_out("iptables -S INPUT");
	T(strstr(s, "-P INPUT DROP\n-A INPUT -m comment --comment "
		 "\"nflogd:jump\" -j NFLOGD-INPUT\n") != NULL, "%s", s);
	free(s);
	T(verify(st) == 1);

	/* a reload without the prerouting rule drops its chain and jump */
	c.rules[2].fw.place = FW_PLACE_NONE;
	char err[FW_ERR_MAX] = "";

	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) == 0, "%s", err);
	s = sh_out("iptables-save -t mangle");
	T(strstr(s, "NFLOGD-PREROUTING") == NULL, "%s", s);
	free(s);
	T(verify(st) == 1);
	remove_close(st);
	after = ruleset();
	T(strcmp(before, after) == 0, "before:\n%s\nafter:\n%s", before, after);
	free(before);
	free(after);
	return 0;
}

/* The table iptables-save lists first, of filter and raw. */
static const char *first_table(void)
{
	char *s = sh_out("iptables-save");
	char *f = strstr(s, "*filter"), *r = strstr(s, "*raw");
	const char *t = f && r && r < f ? "raw" : "filter";

	T(f && r);
	free(s);
	return t;
}

/* A bad match: an error naming the rule and iptables' reason, nothing
 * changed in either family, also when something was committed first. */
static int case_bad_match(void)
{
	struct rspec r[] = {
		{ "good", 1, FW_FAMILY_INET, APPEND("filter", "INPUT") },
		{ "good2", 1, FW_FAMILY_IP, APPEND("raw", "PREROUTING") },
		{ "own", 1, FW_FAMILY_INET, OWN(FW_HOOK_INPUT) },
		{ "bad", 2, FW_FAMILY_IP6, APPEND("filter", "INPUT"),
		  .match = "-p tcp --dport nosuchport" },
	};
	static struct config c, good;
	char err[FW_ERR_MAX] = "";
	char *before, *after, *mid;
	void *st;

	host_rules();
	before = ruleset();
	/* 1. ip succeeds, ip6 fails: ip rolled back */
	cfg_init(&c, r, NELEM(r));
	T(fw_ipt_ops.open(&st, &c, err, sizeof(err)) == 0);
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) < 0);
	T(strstr(err, "rule \"bad\" (table filter, chain INPUT), family ip6: "
		 "ip6tables-restore failed (exit status 2): ") != NULL, "%s", err);
	T(strstr(err, "invalid port/service `nosuchport' specified") != NULL,
	  "%s", err);
	T(strstr(err, "rolled back: nothing changed") != NULL, "%s", err);
	after = ruleset();
	T(strcmp(before, after) == 0, "%s\nbefore:\n%s\nafter:\n%s", err,
	  before, after);
	free(after);

	/* 2. the bad rule in the second table of one family */
	r[3].fam = FW_FAMILY_IP;
	r[3].table = strcmp(first_table(), "raw") == 0 ? "filter" : "raw";
	r[3].chain = strcmp(r[3].table, "raw") == 0 ? "PREROUTING" : "INPUT";
	r[1].table = strcmp(r[3].table, "raw") == 0 ? "filter" : "raw";
	r[1].chain = strcmp(r[1].table, "raw") == 0 ? "PREROUTING" : "INPUT";
	cfg_init(&c, r, NELEM(r));
	err[0] = '\0';
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) < 0);
	T(strstr(err, "rule \"bad\"") && strstr(err, "family ip: "
		 "iptables-restore failed"), "%s", err);
	after = ruleset();
	T(strcmp(before, after) == 0, "%s\nbefore:\n%s\nafter:\n%s", err,
	  before, after);
	free(after);

	/* 3. a reload with the bad rule keeps the running rules */
	cfg_init(&good, r, 3);
	T(fw_ipt_ops.apply(st, &good, err, sizeof(err)) == 0, "%s", err);
	mid = ruleset();
	err[0] = '\0';
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) < 0);
	T(strstr(err, "rule \"bad\""), "%s", err);
	after = ruleset();
	T(strcmp(mid, after) == 0, "%s\nbefore:\n%s\nafter:\n%s", err, mid,
	  after);
	free(after);
	free(mid);
	T(verify(st) == 1);     /* still the good configuration */

	/* 4. a chain that does not exist */
	r[3].table = "filter";
	r[3].chain = "NOSUCHCHAIN";
	r[3].match = "";
	cfg_init(&c, r, NELEM(r));
	err[0] = '\0';
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) < 0);
	T(strstr(err, "rule \"bad\" (table filter, chain NOSUCHCHAIN)"), "%s",
	  err);
	T(verify(st) == 1);
	remove_close(st);
	after = ruleset();
	T(strcmp(before, after) == 0, "before:\n%s\nafter:\n%s", before, after);
	free(before);
	free(after);
	return 0;
}

/* An nflogd that died left its rules: no duplicates, stale ones gone. */
static int case_dead_leftovers(void)
{
	static const struct rspec old[] = {
		{ "keep", 1, FW_FAMILY_INET, APPEND("filter", "INPUT") },
		{ "gone", 1, FW_FAMILY_IP, INSERT("filter", "INPUT") },
		{ "own", 2, FW_FAMILY_INET, OWN(FW_HOOK_INPUT) },
		{ "pre", 2, FW_FAMILY_IP, OWN(FW_HOOK_PREROUTING) },
	};
	static const struct rspec now[] = {
		{ "keep", 1, FW_FAMILY_INET, APPEND("filter", "INPUT") },
		{ "own", 2, FW_FAMILY_INET, OWN(FW_HOOK_INPUT) },
	};
	static struct config c_old, c_now;
	char *before, *after, *s;
	void *st;

	host_rules();
	before = ruleset();
	cfg_init(&c_old, old, NELEM(old));
	st = open_apply(&c_old);
	fw_ipt_ops.close(st);           /* died: nothing removed */
	for (int round = 0; round < 2; round++) {
		cfg_init(&c_now, now, NELEM(now));
		st = open_apply(&c_now);
		s = sh_out("{ iptables-save; ip6tables-save; }");
		T(count(s, "\"nflogd:keep\"") == 2, "%s", s);
		T(count(s, "\"nflogd:own\"") == 2, "%s", s);
		T(count(s, "\"nflogd:jump\"") == 2, "%s", s);
		T(count(s, "nflogd:gone") == 0, "%s", s);
		T(count(s, "NFLOGD-PREROUTING") == 0, "%s", s);
		free(s);
		T(verify(st) == 1);
		fw_ipt_ops.close(st);   /* and died again */
	}
	/* a start that fails removes the leftovers too (firewall.c) */
	st = open_apply(&c_now);
	remove_close(st);
	after = ruleset();
	T(strcmp(before, after) == 0, "before:\n%s\nafter:\n%s", before, after);
	free(before);
	free(after);
	return 0;
}

/* Someone flushes or reloads the ruleset: verify() says so, apply()
 * puts the rules back. */
static int case_flush(void)
{
	static const struct rspec r[] = {
		{ "app", 1, FW_FAMILY_INET, APPEND("filter", "INPUT") },
		{ "own", 2, FW_FAMILY_IP, OWN(FW_HOOK_INPUT) },
		{ "pre", 2, FW_FAMILY_IP6, OWN(FW_HOOK_PREROUTING) },
	};
	static struct config c;
	char err[FW_ERR_MAX] = "";
	char *applied, *s;
	void *st;

	host_rules();
	cfg_init(&c, r, NELEM(r));
	st = open_apply(&c);
	T(verify(st) == 1);

	/* flushes the host's rules too: they are not ours to put back */
	T(sh("iptables -F") == 0);
	T(verify(st) == 0);
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) == 0, "%s", err);
	T(verify(st) == 1);
	applied = ruleset();
	TAGGED("", "filter", "INPUT", "jump app");
	TAGGED("", "filter", "NFLOGD-INPUT", "own");

	/* the host reloads its own ruleset (no --noflush) */
	restore("6", host_v6, false);
	T(verify(st) == 0);
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) == 0, "%s", err);
	T(verify(st) == 1);
	TAGGED("6", "mangle", "NFLOGD-PREROUTING", "pre");
	TAGGED("6", "filter", "INPUT", "app");

	/* only the jump deleted */
	T(sh("iptables -D INPUT -m comment --comment nflogd:jump -j NFLOGD-INPUT") == 0);
	T(verify(st) == 0);
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) == 0, "%s", err);
	T(verify(st) == 1);

	/* a foreign rule in nflogd's own chain */
	T(sh("iptables -A NFLOGD-INPUT -j ACCEPT") == 0);
	T(verify(st) == 0);
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) == 0, "%s", err);
	T(verify(st) == 1);
	TAGGED("", "filter", "NFLOGD-INPUT", "own");

	/* a duplicate of ours, e.g. from a copy of an old ruleset */
	T(sh("iptables -A INPUT -m comment --comment nflogd:app -j NFLOG "
	     "--nflog-group 1") == 0);
	T(verify(st) == 0);
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) == 0, "%s", err);
	TAGGED("", "filter", "INPUT", "jump app");

	s = ruleset();
	T(strcmp(s, applied) == 0, "applied:\n%s\nnow:\n%s", applied, s);
	free(s);
	free(applied);
	remove_close(st);
	return 0;
}

static void send_udp(int af, unsigned int n, size_t payload)
{
	char buf[1500] = { 0 };
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = socket(af, SOCK_DGRAM, 0);

	T(fd >= 0);
	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(9999);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(9999);
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	}
	for (unsigned int i = 0; i < n; i++)
		T(sendto(fd, buf, payload, 0, (struct sockaddr *)&ss, sl) ==
		  (ssize_t)payload, "sendto: %s", strerror(errno));
	close(fd);
}

/* Real packets raise the rules' counters; a limit lets fewer through. */
static int case_counters(void)
{
	static const struct rspec r[] = {
		{ "udp", 1, FW_FAMILY_INET, APPEND("filter", "OUTPUT"),
		  .match = "-p udp --dport 9999" },
		{ "lim", 1, FW_FAMILY_IP, OWN(FW_HOOK_OUTPUT),
		  .match = "-p udp --dport 9999", .rate = 1, .unit = LIMIT_HOUR,
		  .burst = 2 },
		{ "none", 1, FW_FAMILY_IP, INSERT("filter", "OUTPUT"),
		  .match = "-p tcp --dport 1" },
	};
	static struct config c;
	struct fw_counters ctr[CONFIG_MAX_RULES];
	char err[FW_ERR_MAX] = "";
	void *st;

	T(sh("ip link set lo up") == 0);
	cfg_init(&c, r, NELEM(r));
	st = open_apply(&c);
	send_udp(AF_INET, 5, 100);      /* 20 + 8 + 100 bytes each */
	send_udp(AF_INET6, 3, 50);      /* 40 + 8 + 50 */
	T(fw_ipt_ops.counters(st, ctr, err, sizeof(err)) == 0, "%s", err);
	T(ctr[0].installed && ctr[0].present);
	T(ctr[0].packets == 8, "%llu", (unsigned long long)ctr[0].packets);
	T(ctr[0].bytes == 5 * 128 + 3 * 98, "%llu",
	  (unsigned long long)ctr[0].bytes);
	T(ctr[0].matched == ctr[0].packets);
	T(ctr[1].packets == 2, "%llu", (unsigned long long)ctr[1].packets);
	T(ctr[1].bytes == 2 * 128);
	T(ctr[1].matched == 2);
	T(ctr[2].present && ctr[2].packets == 0);

	/* applied again unchanged: the chains are left alone, counters kept */
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) == 0, "%s", err);
	T(fw_ipt_ops.counters(st, ctr, err, sizeof(err)) == 0, "%s", err);
	T(ctr[0].packets == 8 && ctr[1].packets == 2);
	/* one rule changed: only its chain is rewritten */
	c.rules[2].group = 7;
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) == 0, "%s", err);
	T(fw_ipt_ops.counters(st, ctr, err, sizeof(err)) == 0, "%s", err);
	T(ctr[1].packets == 2, "own chain kept");
	/* ip's OUTPUT was rewritten (counted from 0), ip6's was not */
	T(ctr[0].packets == 3, "%llu", (unsigned long long)ctr[0].packets);
	/* a rule gone from the kernel: not present */
	T(sh("iptables -F NFLOGD-OUTPUT") == 0);
	T(fw_ipt_ops.counters(st, ctr, err, sizeof(err)) == 0, "%s", err);
	T(!ctr[1].present && ctr[0].present);
	/* ip6 missing: an inet rule is present only with both */
	T(sh("ip6tables -F OUTPUT") == 0);
	T(fw_ipt_ops.counters(st, ctr, err, sizeof(err)) == 0, "%s", err);
	T(!ctr[0].present);
	remove_close(st);
	return 0;
}

/* No iptables on PATH: a clear message, nothing else. */
static int case_missing_tool(void)
{
	static const struct rspec r[] = {
		{ "app", 1, FW_FAMILY_IP, APPEND("filter", "INPUT") },
	};
	static struct config c;
	char err[FW_ERR_MAX] = "";
	char dir[] = "/tmp/test_fw_ipt.XXXXXX";
	char path[PATH_MAX];
	void *st;

	T(mkdtemp(dir) != NULL);
	setenv("PATH", dir, 1);
	cfg_init(&c, r, NELEM(r));
	T(fw_ipt_ops.open(&st, &c, err, sizeof(err)) == 0);
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) < 0);
	T(strstr(err, "iptables-save not found in PATH (") &&
	  strstr(err, "is the iptables package installed?"), "%s", err);
	/* save there, restore missing */
	snprintf(path, sizeof(path), "%s/iptables-save", dir);
	T(symlink(variant[0] == 'n' ? "/usr/sbin/iptables-nft-save"
				    : "/usr/sbin/iptables-legacy-save", path) == 0);
	err[0] = '\0';
	T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) < 0);
	T(strstr(err, "iptables-restore not found in PATH"), "%s", err);
	/* remove(): nothing applied, nothing to remove */
	T(fw_ipt_ops.remove(st, err, sizeof(err)) == 0, "%s", err);
	fw_ipt_ops.close(st);
	unlink(path);
	rmdir(dir);
	return 0;
}

/* A tool that fails, dies or prints something else: the message says
 * which tool, how it ended and what it said. */
static int case_broken_tool(void)
{
	static const struct {
		const char *save;       /* body of a fake iptables-save */
		const char *err;        /* expected in apply()'s message */
	} fakes[] = {
		{ "echo \"oops: $*\" >&2; exit 3",
		  "cannot list the ip rules: iptables-save failed (exit status "
		  "3): oops: -c; nothing changed" },
		{ "kill -TERM $$",
		  "iptables-save failed (killed by signal 15 (Terminated))" },
		{ "echo '*filter'; echo hello",
		  "cannot read iptables-save's output: line 2 is not what "
		  "iptables-save prints: \"hello\"" },
		{ "exec 1>&-; exit 0", "cannot read" },
	};
	static const struct rspec r[] = {
		{ "app", 1, FW_FAMILY_IP, APPEND("filter", "INPUT") },
	};
	static struct config c;
	char dir[] = "/tmp/test_fw_ipt.XXXXXX";
	char path[PATH_MAX];
	void *st;

	T(mkdtemp(dir) != NULL);
	setenv("PATH", dir, 1);
	snprintf(path, sizeof(path), "%s/iptables-save", dir);
	cfg_init(&c, r, NELEM(r));
	T(fw_ipt_ops.open(&st, &c, path, sizeof(path)) == 0);
	for (size_t i = 0; i < NELEM(fakes); i++) {
		char err[FW_ERR_MAX] = "";
		FILE *f = fopen(path, "w");

		T(f != NULL);
		fprintf(f, "#!/bin/sh\n%s\n", fakes[i].save);
		fclose(f);
		T(chmod(path, 0755) == 0);
		if (i == 3) {
			/* nothing on stdout is an empty ruleset, not an
			 * error: apply then needs iptables-restore */
			T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) < 0);
			T(strstr(err, "iptables-restore not found"), "%s", err);
			continue;
		}
		T(fw_ipt_ops.apply(st, &c, err, sizeof(err)) < 0);
		T(strstr(err, fakes[i].err), "%s", err);
	}
	fw_ipt_ops.close(st);
	unlink(path);
	rmdir(dir);
	return 0;
}

/* A large host ruleset (more than a pipe holds) and the most rules a
 * configuration has, with long matches, in both families. */
static int case_big(void)
{
	static struct config c;
	static struct rspec r[CONFIG_MAX_RULES];
	static char names[CONFIG_MAX_RULES][16], matches[CONFIG_MAX_RULES][300];
	char *host = NULL, *before, *after;
	size_t len = 0;
	FILE *f = open_memstream(&host, &len);
	char *s;
	void *st;

	T(f != NULL);
	fprintf(f, "*filter\n:INPUT ACCEPT [0:0]\n:BIG - [0:0]\n");
	for (int i = 0; i < 3000; i++)
		fprintf(f, "-A BIG -s 10.%d.%d.0/24 -p tcp --dport %d -m comment "
			"--comment \"host rule %d\" -j ACCEPT\n", i / 256,
			i % 256, 1 + i % 60000, i);
	fprintf(f, "-A INPUT -j BIG\nCOMMIT\n");
	fclose(f);
	restore("", host, false);
	free(host);
	/* iptables-restore cannot delete a table: one nflogd creates stays
	 * (empty) after remove(), so the host has its ip6 tables already */
	restore("6", host_v6, false);
	before = ruleset();
	T(strlen(before) > 256 * 1024, "%zu", strlen(before));
	for (int i = 0; i < CONFIG_MAX_RULES; i++) {
		snprintf(names[i], sizeof(names[i]), "r%d", i);
		snprintf(matches[i], sizeof(matches[i]), "-m comment --comment "
			 "\"%0200d\" -p udp --dport %d", i, 1000 + i);
		r[i] = (struct rspec){ names[i], (uint16_t)i,
				       i % 3 ? FW_FAMILY_INET : FW_FAMILY_IP,
				       .match = matches[i] };
		if (i % 4 == 0)
			r[i].place = FW_PLACE_OWN, r[i].hook = FW_HOOK_INPUT;
		else if (i % 4 == 1)
			r[i].place = FW_PLACE_INSERT, r[i].table = "filter",
			r[i].chain = "INPUT";
		else
			r[i].place = FW_PLACE_APPEND, r[i].table = "filter",
			r[i].chain = i % 2 ? "BIG" : "INPUT";
		if (r[i].chain && strcmp(r[i].chain, "BIG") == 0)
			r[i].fam = FW_FAMILY_IP;        /* only ip has it */
	}
	cfg_init(&c, r, NELEM(r));
	st = open_apply(&c);
	s = sh_out("iptables-save");
	T(count(s, "\"nflogd:r") == CONFIG_MAX_RULES, "%u",
	  count(s, "\"nflogd:r"));
	free(s);
	T(verify(st) == 1);
	remove_close(st);
	after = ruleset();
	T(strcmp(before, after) == 0, "the host's rules changed");
	free(before);
	free(after);
	return 0;
}

/* ---- running a case in a namespace of its own -------------------------- */

static int (*const cases[])(void) = {
	case_existing_chain, case_own_chain, case_bad_match,
	case_dead_leftovers, case_flush, case_counters, case_missing_tool,
	case_broken_tool, case_big,
};

static void link_tools(const char *dir, const char *v)
{
	static const char *const tools[] = {
		"iptables", "iptables-save", "iptables-restore",
		"ip6tables", "ip6tables-save", "ip6tables-restore",
	};

	for (size_t i = 0; i < NELEM(tools); i++) {
		char target[PATH_MAX], link[PATH_MAX];
		const char *dash = strchr(tools[i], '-');

		snprintf(target, sizeof(target), "/usr/sbin/%.*s-%s%s",
			 dash ? (int)(dash - tools[i]) : (int)strlen(tools[i]),
			 tools[i], v, dash ? dash : "");
		snprintf(link, sizeof(link), "%s/%s", dir, tools[i]);
		ck_assert_msg(symlink(target, link) == 0, "%s", link);
	}
}

static void unlink_tools(const char *dir)
{
	static const char *const tools[] = {
		"iptables", "iptables-save", "iptables-restore",
		"ip6tables", "ip6tables-save", "ip6tables-restore",
	};
	char link[PATH_MAX];

	for (size_t i = 0; i < NELEM(tools); i++) {
		snprintf(link, sizeof(link), "%s/%s", dir, tools[i]);
		unlink(link);
	}
	rmdir(dir);
}

static void run_case(int (*fn)(void), const char *v)
{
	char dir[] = "/tmp/test_fw_ipt.XXXXXX";
	int st = 0;
	pid_t pid;

	if (geteuid() != 0) {
		fprintf(stderr, "test_fw_ipt: not root: kernel case skipped\n");
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	link_tools(dir, v);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char path[PATH_MAX];

		variant = v;
		alarm(CHILD_TIMEOUT_S);
		if (unshare(CLONE_NEWNET) < 0) {
			fprintf(stderr, "unshare(CLONE_NEWNET): %s: skipped\n",
				strerror(errno));
			_exit(SKIP);
		}
		snprintf(path, sizeof(path), "%s:/usr/sbin:/usr/bin:/sbin:/bin",
			 dir);
		setenv("PATH", path, 1);
		if (sh("iptables -L -n >/dev/null 2>&1") != 0 ||
		    sh("ip6tables -L -n >/dev/null 2>&1") != 0) {
			fprintf(stderr, "iptables-%s does not work here: "
				"skipped\n", v);
			_exit(SKIP);
		}
		/* exit(), not _exit(): LeakSanitizer checks at exit */
		exit(fn());
	}
	while (waitpid(pid, &st, 0) < 0)
		ck_assert_int_eq(errno, EINTR);
	unlink_tools(dir);
	if (WIFEXITED(st) && WEXITSTATUS(st) == SKIP)
		return;
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "case failed (iptables-%s): status 0x%x (see stderr)", v,
		      (unsigned int)st);
}

START_TEST(test_case)
{
	run_case(cases[_i / 2], variants[_i % 2]);
}
END_TEST

static Suite *fw_ipt_suite(void)
{
	Suite *s = suite_create("fw_ipt");
	TCase *tc = tcase_create("kernel");

	tcase_set_timeout(tc, 2 * CHILD_TIMEOUT_S);
	tcase_add_loop_test(tc, test_case, 0, (int)(2 * NELEM(cases)));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fw_ipt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
