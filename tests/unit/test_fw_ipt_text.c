/* fw_ipt_text: rule text, own chains, iptables-save listings (captured on
 * this machine: tests/data/ipt/, see capture.sh there), reconcile plans
 * and iptables-restore's error lines.  Configurations are built by hand. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_ipt_text.h"
#include "testutil.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- configurations ---------------------------------------------------- */

struct rspec {
	const char *name;
	uint16_t group;
	enum fw_family fam;
	enum fw_place place;
	enum fw_hook hook;
	const char *table, *chain, *match, *prefix;
	uint32_t snap, qt, rate;
	enum limit_unit unit;
	uint32_t burst;
};

static struct config cfg;

static void cfg_reset(const char *tag)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.fw.backend = FW_IPTABLES;
	cfg.fw.check_interval = 5;
	snprintf(cfg.fw.table, sizeof(cfg.fw.table), "%s", tag);
}

static struct config_rule *cfg_add(const struct rspec *s)
{
	struct config_rule *r;

	ck_assert_uint_lt(cfg.n_rules, CONFIG_MAX_RULES);
	r = &cfg.rules[cfg.n_rules++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", s->name);
	r->group = s->group;
	snprintf(r->prefix, sizeof(r->prefix), "%s", s->prefix ? s->prefix : "");
	r->fw.place = s->place;
	r->fw.family = s->fam;
	r->fw.hook = s->hook;
	snprintf(r->fw.table, sizeof(r->fw.table), "%s", s->table ? s->table : "");
	snprintf(r->fw.chain, sizeof(r->fw.chain), "%s", s->chain ? s->chain : "");
	snprintf(r->fw.match, sizeof(r->fw.match), "%s", s->match ? s->match : "");
	r->fw.snaplen = s->snap;
	r->fw.queue_threshold = s->qt;
	r->fw.limit_rate = s->rate;
	r->fw.limit_unit = s->unit;
	r->fw.limit_burst = s->burst;
	return r;
}

#define APPEND(t, c) .place = FW_PLACE_APPEND, .table = (t), .chain = (c)
#define INSERT(t, c) .place = FW_PLACE_INSERT, .table = (t), .chain = (c)
#define OWN(h) .place = FW_PLACE_OWN, .hook = (h)

/* ---- rule text --------------------------------------------------------- */

static const struct {
	struct rspec r;
	int ret;        /* < 0: error; else the text */
	const char *text;
} spec_cases[] = {
	{ { "all", 1, FW_FAMILY_IP, APPEND("filter", "INPUT") }, 0,
	  "-m comment --comment \"nflogd:all\" -j NFLOG --nflog-group 1" },
	{ { "ssh", 5, FW_FAMILY_INET, APPEND("filter", "INPUT"),
	    .match = "  -p tcp --dport 22 -m conntrack --ctstate NEW \t",
	    .prefix = "ssh: ", .snap = 128, .qt = 20 }, 0,
	  "-p tcp --dport 22 -m conntrack --ctstate NEW -m comment --comment "
	  "\"nflogd:ssh\" -j NFLOG --nflog-group 5 --nflog-prefix \"ssh: \" "
	  "--nflog-size 128 --nflog-threshold 20" },
	{ { "lim", 0, FW_FAMILY_IP, OWN(FW_HOOK_INPUT), .rate = 10,
	    .unit = LIMIT_SECOND }, 0,
	  "-m comment --comment \"nflogd:lim\" -m limit --limit 10/second "
	  "-j NFLOG --nflog-group 0" },
	{ { "limb", 2, FW_FAMILY_IP, OWN(FW_HOOK_INPUT), .rate = 3,
	    .unit = LIMIT_MINUTE, .burst = 7 }, 0,
	  "-m comment --comment \"nflogd:limb\" -m limit --limit 3/minute "
	  "--limit-burst 7 -j NFLOG --nflog-group 2" },
	{ { "h", 65535, FW_FAMILY_IP, OWN(FW_HOOK_INPUT), .rate = 1,
	    .unit = LIMIT_HOUR }, 0,
	  "-m comment --comment \"nflogd:h\" -m limit --limit 1/hour -j NFLOG "
	  "--nflog-group 65535" },
	{ { "d", 3, FW_FAMILY_IP, OWN(FW_HOOK_INPUT), .rate = 100,
	    .unit = LIMIT_DAY, .burst = 10000 }, 0,
	  "-m comment --comment \"nflogd:d\" -m limit --limit 100/day "
	  "--limit-burst 10000 -j NFLOG --nflog-group 3" },
	/* '"' and '\' escaped as iptables-restore reads them */
	{ { "q", 4, FW_FAMILY_IP, OWN(FW_HOOK_INPUT),
	    .prefix = "a \"b\" c\\d 'e'" }, 0,
	  "-m comment --comment \"nflogd:q\" -j NFLOG --nflog-group 4 "
	  "--nflog-prefix \"a \\\"b\\\" c\\\\d 'e'\"" },
	{ { "p63", 4, FW_FAMILY_IP, OWN(FW_HOOK_INPUT),
	    .prefix = "123456789012345678901234567890123456789012345678901234567890123" },
	  0, "-m comment --comment \"nflogd:p63\" -j NFLOG --nflog-group 4 "
	  "--nflog-prefix \"123456789012345678901234567890123456789012345678901234567890123\"" },
	{ { "p64", 4, FW_FAMILY_IP, OWN(FW_HOOK_INPUT),
	    .prefix = "1234567890123456789012345678901234567890123456789012345678901234" },
	  -ENAMETOOLONG, NULL },
	{ { "nl", 4, FW_FAMILY_IP, OWN(FW_HOOK_INPUT),
	    .match = "-p tcp\nCOMMIT" }, -EINVAL, NULL },
	{ { "cr", 4, FW_FAMILY_IP, OWN(FW_HOOK_INPUT), .match = "-p tcp\r" },
	  -EINVAL, NULL },
};

START_TEST(test_rule_spec)
{
	char buf[IPT_SPEC_MAX];
	struct config_rule *r;
	int n;

	cfg_reset("nflogd");
	r = cfg_add(&spec_cases[_i].r);
	n = ipt_rule_spec(&cfg, r, buf, sizeof(buf));
	if (spec_cases[_i].ret < 0) {
		ck_assert_int_eq(n, spec_cases[_i].ret);
		return;
	}
	ck_assert_int_ge(n, 0);
	ck_assert_str_eq(buf, spec_cases[_i].text);
	ck_assert_uint_eq((unsigned int)n, strlen(buf));
	/* every shorter buffer: -ENOSPC, never a cut rule */
	for (size_t size = 0; size <= (size_t)n; size++) {
		char *b = malloc(size ? size : 1);

		REQUIRE(ipt_rule_spec(&cfg, r, b, size) == -ENOSPC,
			"size %zu", size);
		free(b);
	}
}
END_TEST

static const struct {
	const char *tag;
	enum fw_hook hook;
	int ret;
	const char *chain, *table, *builtin;
} own_cases[] = {
	{ "nflogd", FW_HOOK_PREROUTING, 0, "NFLOGD-PREROUTING", "mangle", "PREROUTING" },
	{ "nflogd", FW_HOOK_INPUT, 0, "NFLOGD-INPUT", "filter", "INPUT" },
	{ "nflogd", FW_HOOK_FORWARD, 0, "NFLOGD-FORWARD", "filter", "FORWARD" },
	{ "nflogd", FW_HOOK_OUTPUT, 0, "NFLOGD-OUTPUT", "filter", "OUTPUT" },
	{ "nflogd", FW_HOOK_POSTROUTING, 0, "NFLOGD-POSTROUTING", "mangle", "POSTROUTING" },
	{ "my_Log-2", FW_HOOK_INPUT, 0, "MY_LOG-2-INPUT", "filter", "INPUT" },
	/* 16 + 12 = 28: the longest iptables takes */
	{ "abcdefghijklmnop", FW_HOOK_POSTROUTING, 0, "ABCDEFGHIJKLMNOP-POSTROUTING", "mangle", "POSTROUTING" },
	{ "abcdefghijklmnopq", FW_HOOK_POSTROUTING, -ENAMETOOLONG, NULL, "mangle", "POSTROUTING" },
	{ "abcdefghijklmnopqrstuv", FW_HOOK_INPUT, 0, "ABCDEFGHIJKLMNOPQRSTUV-INPUT", "filter", "INPUT" },
	{ "abcdefghijklmnopqrstuvw", FW_HOOK_INPUT, -ENAMETOOLONG, NULL, "filter", "INPUT" },
};

START_TEST(test_own_chain)
{
	char buf[IPT_NAME_MAX], spec[IPT_SPEC_MAX], want[256];
	int r = ipt_own_chain(own_cases[_i].tag, own_cases[_i].hook, buf,
			      sizeof(buf));

	ck_assert_str_eq(ipt_own_table(own_cases[_i].hook), own_cases[_i].table);
	ck_assert_str_eq(ipt_hook_chain(own_cases[_i].hook), own_cases[_i].builtin);
	ck_assert_int_eq(r, own_cases[_i].ret);
	if (r < 0)
		return;
	ck_assert_str_eq(buf, own_cases[_i].chain);
	ck_assert_int_gt(ipt_jump_spec(own_cases[_i].tag, buf, spec,
				       sizeof(spec)), 0);
	snprintf(want, sizeof(want), "-m comment --comment \"%s:jump\" -j %s",
		 own_cases[_i].tag, own_cases[_i].chain);
	ck_assert_str_eq(spec, want);
	ck_assert_int_eq(ipt_jump_spec(own_cases[_i].tag, buf, spec, 10),
			 -ENOSPC);
}
END_TEST

START_TEST(test_names)
{
	char t[IPT_NAME_MAX], c[IPT_NAME_MAX];
	struct config_rule *r;

	ck_assert_str_eq(ipt_family_name(IPT_IP), "ip");
	ck_assert_str_eq(ipt_family_name(IPT_IP6), "ip6");
	ck_assert_str_eq(ipt_restore_tool(IPT_IP), "iptables-restore");
	ck_assert_str_eq(ipt_restore_tool(IPT_IP6), "ip6tables-restore");
	ck_assert_str_eq(ipt_save_tool(IPT_IP), "iptables-save");
	ck_assert_str_eq(ipt_save_tool(IPT_IP6), "ip6tables-save");

	cfg_reset("nflogd");
	r = cfg_add(&(struct rspec){ "a", 1, FW_FAMILY_IP6,
				      APPEND("raw", "PREROUTING") });
	ck_assert_int_eq(ipt_rule_chain(&cfg, r, t, c), 0);
	ck_assert_str_eq(t, "raw");
	ck_assert_str_eq(c, "PREROUTING");
	ck_assert(!ipt_rule_in_family(&cfg, r, IPT_IP));
	ck_assert(ipt_rule_in_family(&cfg, r, IPT_IP6));
	r = cfg_add(&(struct rspec){ "b", 1, FW_FAMILY_INET,
				      OWN(FW_HOOK_FORWARD) });
	ck_assert_int_eq(ipt_rule_chain(&cfg, r, t, c), 0);
	ck_assert_str_eq(t, "filter");
	ck_assert_str_eq(c, "NFLOGD-FORWARD");
	ck_assert(ipt_rule_in_family(&cfg, r, IPT_IP));
	ck_assert(ipt_rule_in_family(&cfg, r, IPT_IP6));
	/* not installed: place none, or backend none */
	r = cfg_add(&(struct rspec){ "c", 1, FW_FAMILY_INET, .place = FW_PLACE_NONE });
	ck_assert(!ipt_rule_in_family(&cfg, r, IPT_IP));
	cfg.fw.backend = FW_NONE;
	ck_assert(!ipt_rule_in_family(&cfg, &cfg.rules[0], IPT_IP6));
}
END_TEST

/* ---- what one family should hold --------------------------------------- */

START_TEST(test_want_build)
{
	static const struct rspec rules[] = {
		{ "a1", 1, FW_FAMILY_IP, APPEND("filter", "INPUT") },
		{ "i1", 1, FW_FAMILY_INET, INSERT("filter", "INPUT") },
		{ "o1", 2, FW_FAMILY_INET, OWN(FW_HOOK_INPUT) },
		{ "i2", 1, FW_FAMILY_IP, INSERT("filter", "INPUT") },
		{ "p1", 3, FW_FAMILY_IP6, OWN(FW_HOOK_PREROUTING) },
		{ "o2", 2, FW_FAMILY_IP, OWN(FW_HOOK_INPUT) },
		{ "x", 2, FW_FAMILY_IP, .place = FW_PLACE_NONE },
		{ "m1", 4, FW_FAMILY_IP, INSERT("mangle", "FORWARD") },
	};
	/* ip: jump first, then config order; inserts after the jump */
	static const struct {
		int rule;
		const char *table, *chain, *name;
		unsigned int pos;
	} ip[] = {
		{ -1, "filter", "INPUT", "jump", 1 },
		{ 0, "filter", "INPUT", "a1", 0 },
		{ 1, "filter", "INPUT", "i1", 2 },
		{ 2, "filter", "NFLOGD-INPUT", "o1", 0 },
		{ 3, "filter", "INPUT", "i2", 3 },
		{ 5, "filter", "NFLOGD-INPUT", "o2", 0 },
		{ 7, "mangle", "FORWARD", "m1", 1 },
	}, ip6[] = {
		{ -1, "filter", "INPUT", "jump", 1 },
		{ -1, "mangle", "PREROUTING", "jump", 1 },
		{ 1, "filter", "INPUT", "i1", 2 },
		{ 2, "filter", "NFLOGD-INPUT", "o1", 0 },
		{ 4, "mangle", "NFLOGD-PREROUTING", "p1", 0 },
	};
	struct ipt_want w;
	char err[256];

	cfg_reset("nflogd");
	for (size_t i = 0; i < NELEM(rules); i++)
		cfg_add(&rules[i]);
	ck_assert_int_eq(ipt_want_build(&w, &cfg, IPT_IP, err, sizeof(err)), 0);
	ck_assert_uint_eq(w.n_rules, NELEM(ip));
	ck_assert_uint_eq(w.n_own, 1);
	ck_assert_str_eq(w.own[0].chain, "NFLOGD-INPUT");
	ck_assert(!w.counters);
	for (size_t i = 0; i < NELEM(ip); i++) {
		ck_assert_int_eq(w.rules[i].rule, ip[i].rule);
		ck_assert_str_eq(w.rules[i].table, ip[i].table);
		ck_assert_str_eq(w.rules[i].chain, ip[i].chain);
		ck_assert_str_eq(w.rules[i].name, ip[i].name);
		ck_assert_uint_eq(w.rules[i].pos, ip[i].pos);
		ck_assert_ptr_null(w.rules[i].canon);
	}
	ck_assert_str_eq(w.rules[0].spec,
			 "-m comment --comment \"nflogd:jump\" -j NFLOGD-INPUT");
	ipt_want_free(&w);

	ck_assert_int_eq(ipt_want_build(&w, &cfg, IPT_IP6, err, sizeof(err)), 0);
	ck_assert_uint_eq(w.n_rules, NELEM(ip6));
	ck_assert_uint_eq(w.n_own, 2);
	for (size_t i = 0; i < NELEM(ip6); i++) {
		ck_assert_int_eq(w.rules[i].rule, ip6[i].rule);
		ck_assert_str_eq(w.rules[i].table, ip6[i].table);
		ck_assert_str_eq(w.rules[i].chain, ip6[i].chain);
		ck_assert_str_eq(w.rules[i].name, ip6[i].name);
		ck_assert_uint_eq(w.rules[i].pos, ip6[i].pos);
	}
	ipt_want_free(&w);
}
END_TEST

static const struct {
	struct rspec r;
	const char *tag;
	int ret;
	const char *err;
} want_err_cases[] = {
	{ { "own", 1, FW_FAMILY_IP, APPEND("filter", "NFLOGD-INPUT") },
	  "nflogd", -EINVAL, "rule 'own': chain NFLOGD-INPUT (table filter) is "
	  "nflogd's own chain; place the rule there with hook = instead" },
	/* the same name in another table is the host's */
	{ { "own2", 1, FW_FAMILY_IP, APPEND("mangle", "NFLOGD-INPUT") },
	  "nflogd", 0, NULL },
	{ { "long", 1, FW_FAMILY_IP, OWN(FW_HOOK_POSTROUTING) },
	  "abcdefghijklmnopq", -ENAMETOOLONG, "rule 'long': nflogd's chain "
	  "for table abcdefghijklmnopq and hook postrouting would be longer "
	  "than iptables' 28 characters" },
	{ { "nl", 1, FW_FAMILY_IP, APPEND("filter", "INPUT"),
	    .match = "-p tcp\n-j ACCEPT" }, "nflogd", -EINVAL,
	  "rule 'nl': its match has a line break" },
	{ { "pfx", 1, FW_FAMILY_IP, APPEND("filter", "INPUT"),
	    .prefix = "1234567890123456789012345678901234567890123456789012345678901234" },
	  "nflogd", -ENAMETOOLONG, "rule 'pfx': its prefix is longer than "
	  "the 63 characters iptables' NFLOG keeps" },
};

START_TEST(test_want_errors)
{
	struct ipt_want w;
	char err[256] = "";

	cfg_reset(want_err_cases[_i].tag);
	cfg_add(&want_err_cases[_i].r);
	ck_assert_int_eq(ipt_want_build(&w, &cfg, IPT_IP, err, sizeof(err)),
			 want_err_cases[_i].ret);
	if (want_err_cases[_i].ret < 0) {
		ck_assert_str_eq(err, want_err_cases[_i].err);
		ck_assert_ptr_null(w.rules);
		ck_assert_uint_eq(w.n_rules, 0);
	}
	ipt_want_free(&w);
}
END_TEST

/* ---- listings ---------------------------------------------------------- */

static char *read_capture(const char *name, size_t *len)
{
	char path[512];
	char *t;

	snprintf(path, sizeof(path), "%s/ipt/%s", NFLOGD_TEST_DATA, name);
	t = (char *)tu_read_file(path, len);
	ck_assert_msg(t != NULL, "cannot read %s", path);
	return t;
}

static void parse_capture(const char *name, const char *tag,
			  struct ipt_listing *l)
{
	size_t len;
	char *t = read_capture(name, &len);
	unsigned int bad = 0;

	ck_assert_int_eq(ipt_listing_parse(l, t, len, tag, &bad), 0);
	free(t);
}

/* Every rule of the capture of the host ruleset in capture.sh, in
 * iptables-save's order (mangle, raw, filter for nft; raw, mangle, filter
 * for legacy: compared per table). */
static const struct {
	const char *table, *chain;
	unsigned int pos;
	uint64_t packets, bytes;
	const char *name;       /* NULL: not tagged */
	const char *target;
} host_v4[] = {
	{ "mangle", "PREROUTING", 1, 11, 660, "jump", "NFLOGD-PREROUTING" },
	{ "mangle", "PREROUTING", 2, 20, 1200, NULL, "MARK" },
	{ "mangle", "NFLOGD-PREROUTING", 1, 11, 660, "pre", "NFLOG" },
	{ "raw", "PREROUTING", 1, 0, 0, NULL, "CT" },
	{ "filter", "INPUT", 1, 7, 420, "jump", "NFLOGD-INPUT" },
	{ "filter", "INPUT", 2, 100, 6000, NULL, "ACCEPT" },
	{ "filter", "INPUT", 3, 55, 3300, NULL, "ACCEPT" },
	{ "filter", "INPUT", 4, 3, 180, NULL, "ACCEPT" },      /* "ssh from the office" */
	{ "filter", "INPUT", 5, 0, 0, NULL, "ACCEPT" },        /* plain */
	{ "filter", "INPUT", 6, 2, 120, NULL, "HOST-LOG" },    /* other:drops */
	{ "filter", "INPUT", 7, 9, 540, "drops", "NFLOG" },
	{ "filter", "FORWARD", 1, 0, 0, "fwd", "NFLOG" },
	{ "filter", "HOST-LOG", 1, 0, 0, NULL, "LOG" },
	{ "filter", "NFLOGD-INPUT", 1, 4, 240, "invalid", "NFLOG" },
	{ "filter", "NFLOGD-INPUT", 2, 3, 180, "ping", "NFLOG" },
};

static const char *const captures_v4[] = {
	"host-nft.v4", "host-legacy.v4", "host-nft-nocounters.v4",
	"host-legacy-nocounters.v4",
};

START_TEST(test_parse_capture)
{
	struct ipt_listing l;
	bool counters = strstr(captures_v4[_i], "nocounters") == NULL;
	unsigned int found = 0;

	parse_capture(captures_v4[_i], "nflogd", &l);
	ck_assert_uint_eq(l.n_tables, 3);
	ck_assert_uint_eq(l.n_rules, NELEM(host_v4));
	ck_assert_str_eq(l.tag, "nflogd");
	for (size_t i = 0; i < NELEM(host_v4); i++) {
		int ch = ipt_listing_chain(&l, host_v4[i].table, host_v4[i].chain);
		const struct ipt_rule *r = NULL;

		ck_assert_int_ge(ch, 0);
		for (unsigned int j = 0; j < l.n_rules; j++)
			if (l.rules[j].chain == (unsigned int)ch &&
			    l.rules[j].pos == host_v4[i].pos)
				r = &l.rules[j];
		ck_assert_msg(r != NULL, "%s/%s #%u", host_v4[i].table,
			      host_v4[i].chain, host_v4[i].pos);
		found++;
		ck_assert_uint_eq(r->packets, counters ? host_v4[i].packets : 0);
		ck_assert_uint_eq(r->bytes, counters ? host_v4[i].bytes : 0);
		ck_assert_int_eq(r->tagged, host_v4[i].name != NULL);
		if (host_v4[i].name)
			ck_assert_str_eq(r->name, host_v4[i].name);
		ck_assert_str_eq(r->target, host_v4[i].target);
	}
	ck_assert_uint_eq(found, l.n_rules);

	/* chains: built-in or not, nflogd's own or not */
	static const struct {
		const char *table, *chain;
		bool builtin, own;
		unsigned int n;
	} chains[] = {
		{ "filter", "INPUT", true, false, 7 },
		{ "filter", "FORWARD", true, false, 1 },
		{ "filter", "OUTPUT", true, false, 0 },
		{ "filter", "HOST-LOG", false, false, 1 },
		{ "filter", "NFLOGD-INPUT", false, true, 2 },
		{ "mangle", "NFLOGD-PREROUTING", false, true, 1 },
		{ "mangle", "POSTROUTING", true, false, 0 },
		{ "raw", "OUTPUT", true, false, 0 },
	};
	for (size_t i = 0; i < NELEM(chains); i++) {
		int ch = ipt_listing_chain(&l, chains[i].table, chains[i].chain);

		ck_assert_int_ge(ch, 0);
		ck_assert_int_eq(l.chains[ch].builtin, chains[i].builtin);
		ck_assert_int_eq(l.chains[ch].own, chains[i].own);
		ck_assert_uint_eq(l.chains[ch].n_rules, chains[i].n);
	}
	ck_assert_int_eq(ipt_listing_chain(&l, "filter", "NOSUCH"), -1);
	ck_assert_int_eq(ipt_listing_chain(&l, "nat", "INPUT"), -1);

	/* rule text exactly as printed (quotes and escapes kept) */
	const struct ipt_rule *d = ipt_listing_find(&l, "filter", "INPUT", "drops");

	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->spec, "-m comment --comment \"nflogd:drops\" -m limit "
			 "--limit 10/min --limit-burst 3 -j NFLOG --nflog-prefix "
			 "\"drop: \\\"in\\\"\" --nflog-group 5 --nflog-size 128");
	ck_assert_ptr_null(ipt_listing_find(&l, "filter", "FORWARD", "drops"));
	ck_assert_ptr_null(ipt_listing_find(&l, "filter", "INPUT", "other"));
	ipt_listing_free(&l);

	/* the same text for another tag: the foreign "other:drops" is its */
	parse_capture(captures_v4[_i], "other", &l);
	for (unsigned int j = 0; j < l.n_rules; j++)
		if (l.rules[j].tagged)
			ck_assert_str_eq(l.rules[j].name, "drops");
	ck_assert_ptr_nonnull(ipt_listing_find(&l, "filter", "INPUT", "drops"));
	ck_assert_int_eq(l.chains[ipt_listing_chain(&l, "filter",
						    "NFLOGD-INPUT")].own, false);
	ipt_listing_free(&l);
}
END_TEST

START_TEST(test_parse_capture_v6)
{
	static const char *const files[] = { "host-nft.v6", "host-legacy.v6" };
	struct ipt_listing l;
	const struct ipt_rule *r;

	parse_capture(files[_i], "nflogd", &l);
	ck_assert_uint_eq(l.n_tables, 1);
	ck_assert_uint_eq(l.n_rules, 4);
	r = ipt_listing_find(&l, "filter", "INPUT", "drops");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->pos, 4);
	/* ip6tables-nft-restore 1.8.9 ignores -c counters (legacy sets
	 * them): the capture says so */
	ck_assert_uint_eq(r->packets, _i == 0 ? 0 : 6);
	ck_assert_uint_eq(r->bytes, _i == 0 ? 0 : 480);
	ck_assert(!l.rules[2].tagged);  /* "ssh v6" */
	ipt_listing_free(&l);
}
END_TEST

/* Text that is not iptables-save's, and forms it may print. */
static const struct {
	const char *text;
	int ret;
	unsigned int bad_line;
	const char *name;       /* of the first rule, when parsed */
	bool tagged;
} parse_cases[] = {
	{ "", 0, 0, NULL, false },
	{ "# only a comment\n", 0, 0, NULL, false },
	/* bare (unquoted) and quoted tags, CRLF, no final newline */
	{ "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment nflogd:x -j NFLOG\nCOMMIT\n",
	  0, 0, "x", true },
	{ "*filter\r\n:INPUT ACCEPT [0:0]\r\n[1:2] -A INPUT -m comment --comment \"nflogd:y z\" -j NFLOG\r\nCOMMIT",
	  0, 0, "y z", true },
	{ "*filter\n-A INPUT -m comment --comment \"nflogd:a\\\"b\" -j NFLOG\nCOMMIT\n",
	  0, 0, "a\"b", true },
	/* the match's own comment first, the tag second */
	{ "*filter\n-A INPUT -m comment --comment \"mine\" -m comment --comment \"nflogd:t\" -j NFLOG\nCOMMIT\n",
	  0, 0, "t", true },
	/* a prefix of the tag is not the tag */
	{ "*filter\n-A INPUT -m comment --comment \"nflogd2:t\" -j NFLOG\nCOMMIT\n",
	  0, 0, "", false },
	{ "*filter\n-A INPUT -m comment --comment \"nflogd\" -j NFLOG\nCOMMIT\n",
	  0, 0, "", false },
	/* the tag as another option's value is no tag */
	{ "*filter\n-A INPUT -j NFLOG --nflog-prefix \"nflogd:t\"\nCOMMIT\n",
	  0, 0, "", false },
	{ "-A INPUT -j ACCEPT\n", -EINVAL, 1, NULL, false },
	{ "*filter\n:INPUT ACCEPT [0:0]\nbogus\n", -EINVAL, 3, NULL, false },
	{ "*filter\n[1:2]-A INPUT -j ACCEPT\n", -EINVAL, 2, NULL, false },
	{ "*filter\n[1:x] -A INPUT -j ACCEPT\n", -EINVAL, 2, NULL, false },
	{ "*filter\n[99999999999999999999:0] -A INPUT -j ACCEPT\n", -EINVAL, 2, NULL, false },
	{ "*filter\n-A \n", -EINVAL, 2, NULL, false },
	{ "*filter\n:INPUT\n", -EINVAL, 2, NULL, false },
	{ "COMMIT\n", -EINVAL, 1, NULL, false },
	{ "*\n", -EINVAL, 1, NULL, false },
	{ "*filter\n:ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456 - [0:0]\n", -EINVAL, 2, NULL, false },
};

START_TEST(test_parse_cases)
{
	struct ipt_listing l;
	unsigned int bad = 0;
	size_t len = strlen(parse_cases[_i].text);
	char *t = (char *)tu_exact_copy(parse_cases[_i].text, len);
	int r = ipt_listing_parse(&l, t, len, "nflogd", &bad);

	free(t);
	ck_assert_int_eq(r, parse_cases[_i].ret);
	if (r < 0) {
		ck_assert_uint_eq(bad, parse_cases[_i].bad_line);
		ck_assert_ptr_null(l.rules);
		return;
	}
	if (parse_cases[_i].name) {
		ck_assert_uint_ge(l.n_rules, 1);
		ck_assert_int_eq(l.rules[0].tagged, parse_cases[_i].tagged);
		ck_assert_str_eq(l.rules[0].name, parse_cases[_i].name);
		ck_assert_str_eq(l.rules[0].target, "NFLOG");
		ck_assert_str_eq(l.tables[l.chains[l.rules[0].chain].table],
				 "filter");
	} else {
		ck_assert_uint_eq(l.n_rules, 0);
	}
	ipt_listing_free(&l);
}
END_TEST

/* Random lines never crash the parser nor leak (ASan). */
START_TEST(test_parse_random)
{
	static const char *const pieces[] = {
		"*filter\n", "*mangle\n", ":INPUT ACCEPT [0:0]\n", ":X - [1:2]\n",
		"COMMIT\n", "[1:2] ", "-A INPUT ", "-A X ", "-m comment ",
		"--comment ", "\"nflogd:a\" ", "nflogd:b ", "\"", "\\", "-j ",
		"NFLOG ", "\n", "# c\n", "[", "]", ":", " ",
	};
	char buf[600];

	tu_rng = 0x1234567u + (uint64_t)_i;
	for (int iter = 0; iter < 2000; iter++) {
		size_t n = 0;
		int k = (int)(tu_rnd() % 30);
		struct ipt_listing l;
		unsigned int bad;

		for (int j = 0; j < k; j++) {
			const char *p = pieces[tu_rnd() % NELEM(pieces)];
			size_t pl = strlen(p);

			if (n + pl >= sizeof(buf))
				break;
			memcpy(buf + n, p, pl);
			n += pl;
		}
		char *t = (char *)tu_exact_copy(buf, n);

		if (ipt_listing_parse(&l, t, n, "nflogd", &bad) == 0) {
			for (unsigned int j = 0; j < l.n_rules; j++)
				REQUIRE(l.rules[j].chain < l.n_chains, "chain");
			ipt_listing_free(&l);
		}
		free(t);
	}
}
END_TEST

/* ---- plans ------------------------------------------------------------- */

static void parse_text(const char *text, struct ipt_listing *l)
{
	unsigned int bad = 0;

	ck_assert_int_eq(ipt_listing_parse(l, text, strlen(text), "nflogd",
					   &bad), 0);
}

/* The configuration the plan tests use (ip family). */
static void plan_config(void)
{
	cfg_reset("nflogd");
	cfg_add(&(struct rspec){ "drops", 5, FW_FAMILY_INET,
				  APPEND("filter", "INPUT"), .rate = 10,
				  .unit = LIMIT_MINUTE, .burst = 3,
				  .prefix = "drop: \"in\"", .snap = 128 });
	cfg_add(&(struct rspec){ "invalid", 7, FW_FAMILY_IP, OWN(FW_HOOK_INPUT),
				  .match = "-p tcp -m conntrack --ctstate INVALID" });
	cfg_add(&(struct rspec){ "new", 9, FW_FAMILY_IP,
				  INSERT("filter", "OUTPUT"),
				  .match = "-p udp --dport 53" });
}

/* First start after a dead nflogd: nothing learned, so every chain with
 * tagged rules is rewritten; stale rules and the own chain no longer
 * configured go; the host's rules are never in the input. */
static const char plan_first_start[] =
	"*mangle\n"
	"-D PREROUTING -m comment --comment \"nflogd:jump\" -j NFLOGD-PREROUTING\n"
	"-F NFLOGD-PREROUTING\n"
	"-X NFLOGD-PREROUTING\n"
	"COMMIT\n"
	"*filter\n"
	":NFLOGD-INPUT - [0:0]\n"
	"-D INPUT -m comment --comment \"nflogd:jump\" -j NFLOGD-INPUT\n"
	"-D INPUT -m comment --comment \"nflogd:drops\" -m limit --limit 10/min --limit-burst 3 -j NFLOG --nflog-prefix \"drop: \\\"in\\\"\" --nflog-group 5 --nflog-size 128\n"
	"-D FORWARD -m comment --comment \"nflogd:fwd\" -j NFLOG --nflog-group 6 --nflog-threshold 10\n"
	"-A NFLOGD-INPUT -p tcp -m conntrack --ctstate INVALID -m comment --comment \"nflogd:invalid\" -j NFLOG --nflog-group 7\n"
	"-I INPUT 1 -m comment --comment \"nflogd:jump\" -j NFLOGD-INPUT\n"
	"-A INPUT -m comment --comment \"nflogd:drops\" -m limit --limit 10/minute --limit-burst 3 -j NFLOG --nflog-group 5 --nflog-prefix \"drop: \\\"in\\\"\" --nflog-size 128\n"
	"-A OUTPUT -p udp --dport 53 -m comment --comment \"nflogd:new\" -j NFLOG --nflog-group 9\n"
	"COMMIT\n";

START_TEST(test_plan_first_start)
{
	static const char *const files[] = { "host-nft.v4", "host-legacy.v4" };
	struct ipt_listing l;
	struct ipt_want w;
	struct ipt_plan p;
	char err[256];
	plan_config();
	parse_capture(files[_i], "nflogd", &l);
	ck_assert_int_eq(ipt_want_build(&w, &cfg, IPT_IP, err, sizeof(err)), 0);
	ck_assert_int_eq(ipt_plan_build(&p, &l, &w), 0);
	/* legacy lists raw, mangle, filter; nft mangle, raw, filter: raw
	 * has nothing of ours, so the input is the same */
	ck_assert_str_eq(p.text, plan_first_start);
	ck_assert_uint_eq(p.len, strlen(p.text));
	/* mangle/PREROUTING, NFLOGD-PREROUTING; INPUT, FORWARD, OUTPUT,
	 * NFLOGD-INPUT */
	ck_assert_uint_eq(p.n_changed, 6);
	ck_assert_uint_eq(p.n_kept, 0);
	ck_assert(!p.counters);
	/* the line map: one entry per line */
	unsigned int nl = 0;

	for (const char *s = p.text; *s; s++)
		nl += *s == '\n';
	ck_assert_uint_eq(p.n_lines, nl);
	ck_assert_int_eq(p.lines[0].op, IPT_OP_TABLE);
	ck_assert_int_eq(p.lines[1].op, IPT_OP_DELETE);
	ck_assert_str_eq(p.lines[1].name, "jump");
	ck_assert_int_eq(p.lines[2].op, IPT_OP_FLUSH);
	ck_assert_int_eq(p.lines[3].op, IPT_OP_DELETE_CHAIN);
	ck_assert_int_eq(p.lines[4].op, IPT_OP_COMMIT);
	ck_assert_int_eq(p.lines[6].op, IPT_OP_DECLARE);
	ck_assert_int_eq(p.lines[10].op, IPT_OP_ADD);
	ck_assert_int_eq(p.lines[10].rule, 1);
	ck_assert_str_eq(p.lines[10].chain, "NFLOGD-INPUT");
	ck_assert_int_eq(p.lines[11].rule, -1);
	ck_assert_int_eq(p.lines[12].rule, 0);
	ck_assert_int_eq(p.lines[13].rule, 2);
	ck_assert_str_eq(p.lines[13].table, "filter");
	ck_assert_str_eq(p.lines[13].chain, "OUTPUT");
	ipt_plan_free(&p);
	ipt_want_free(&w);
	ipt_listing_free(&l);
}
END_TEST

/* What iptables-save prints once plan_first_start is applied to the
 * capture (checked on this machine with both variants; abridged, counters
 * made up). */
static const char listing_applied[] =
	"*mangle\n"
	":PREROUTING ACCEPT [0:0]\n"
	"[20:1200] -A PREROUTING -p tcp -j MARK --set-xmark 0x1/0xffffffff\n"
	"COMMIT\n"
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":FORWARD DROP [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":HOST-LOG - [0:0]\n"
	":NFLOGD-INPUT - [0:0]\n"
	"[1:60] -A INPUT -m comment --comment \"nflogd:jump\" -j NFLOGD-INPUT\n"
	"[100:6000] -A INPUT -i lo -j ACCEPT\n"
	"[2:120] -A INPUT -m comment --comment \"other:drops\" -j HOST-LOG\n"
	"[3:180] -A INPUT -m comment --comment \"nflogd:drops\" -m limit --limit 10/min --limit-burst 3 -j NFLOG --nflog-prefix \"drop: \\\"in\\\"\" --nflog-group 5 --nflog-size 128\n"
	"[5:300] -A OUTPUT -p udp -m udp --dport 53 -m comment --comment \"nflogd:new\" -j NFLOG --nflog-group 9\n"
	"[0:0] -A HOST-LOG -j LOG --log-prefix \"host: \"\n"
	"[1:60] -A NFLOGD-INPUT -p tcp -m conntrack --ctstate INVALID -m comment --comment \"nflogd:invalid\" -j NFLOG --nflog-group 7\n"
	"COMMIT\n";

static void learn(struct ipt_canon *k, const char *listing)
{
	struct ipt_listing l;
	struct ipt_want w;
	char err[256];

	plan_config();
	parse_text(listing, &l);
	ck_assert_int_eq(ipt_want_build(&w, &cfg, IPT_IP, err, sizeof(err)), 0);
	ck_assert_int_eq(ipt_canon_learn(k, &w, &l), 0);
	ipt_want_free(&w);
	ipt_listing_free(&l);
}

START_TEST(test_plan_unchanged)
{
	struct ipt_canon k = { 0 };
	struct ipt_listing l;
	struct ipt_want w;
	struct ipt_plan p;
	char err[256];

	learn(&k, listing_applied);
	ck_assert_uint_eq(k.n, 4);      /* jump, drops, new, invalid */
	parse_text(listing_applied, &l);
	ck_assert_int_eq(ipt_want_build(&w, &cfg, IPT_IP, err, sizeof(err)), 0);
	ipt_canon_attach(&k, &w);
	for (unsigned int i = 0; i < w.n_rules; i++)
		ck_assert_ptr_nonnull(w.rules[i].canon);
	ck_assert_str_eq(w.rules[2].canon, "-p tcp -m conntrack --ctstate "
			 "INVALID -m comment --comment \"nflogd:invalid\" -j "
			 "NFLOG --nflog-group 7");
	ck_assert_int_eq(ipt_plan_build(&p, &l, &w), 0);
	ck_assert_str_eq(p.text, "");
	ck_assert_uint_eq(p.len, 0);
	ck_assert_uint_eq(p.n_lines, 0);
	ck_assert_uint_eq(p.n_changed, 0);
	ck_assert_uint_eq(p.n_kept, 3);         /* INPUT, OUTPUT, NFLOGD-INPUT */
	ipt_plan_free(&p);
	ipt_want_free(&w);
	ipt_listing_free(&l);

	/* ip6 of the same config: only "drops"; its own listing */
	ipt_canon_free(&k);
	ck_assert_ptr_null(k.e);
	ck_assert_uint_eq(k.n, 0);
}
END_TEST

/* One rule changed: only its chain is rewritten. */
START_TEST(test_plan_changed)
{
	struct ipt_canon k = { 0 };
	struct ipt_listing l;
	struct ipt_want w;
	struct ipt_plan p;
	char err[256];

	learn(&k, listing_applied);
	cfg.rules[2].group = 10;        /* "new" in OUTPUT */
	parse_text(listing_applied, &l);
	ck_assert_int_eq(ipt_want_build(&w, &cfg, IPT_IP, err, sizeof(err)), 0);
	ipt_canon_attach(&k, &w);
	ck_assert_int_eq(ipt_plan_build(&p, &l, &w), 0);
	ck_assert_str_eq(p.text,
		"*filter\n"
		"-D OUTPUT -p udp -m udp --dport 53 -m comment --comment \"nflogd:new\" -j NFLOG --nflog-group 9\n"
		"-A OUTPUT -p udp --dport 53 -m comment --comment \"nflogd:new\" -j NFLOG --nflog-group 10\n"
		"COMMIT\n");
	ck_assert_uint_eq(p.n_changed, 1);
	ck_assert_uint_eq(p.n_kept, 2);
	ck_assert_uint_eq(p.n_add, 1);
	ck_assert_uint_eq(p.n_del, 1);
	ipt_plan_free(&p);
	ipt_want_free(&w);

	/* the own chain's rule changed: declared (flushed) and refilled,
	 * its jump untouched */
	plan_config();
	strcpy(cfg.rules[1].fw.match, "-p tcp");
	ck_assert_int_eq(ipt_want_build(&w, &cfg, IPT_IP, err, sizeof(err)), 0);
	ipt_canon_attach(&k, &w);
	ck_assert_int_eq(ipt_plan_build(&p, &l, &w), 0);
	ck_assert_str_eq(p.text,
		"*filter\n"
		":NFLOGD-INPUT - [0:0]\n"
		"-A NFLOGD-INPUT -p tcp -m comment --comment \"nflogd:invalid\" -j NFLOG --nflog-group 7\n"
		"COMMIT\n");
	ipt_plan_free(&p);
	ipt_want_free(&w);

	/* a rule added in front of an existing insert: the chain's order
	 * changes, so the chain is rewritten with positions 1, 2 */
	static struct config_rule tmp;

	plan_config();
	cfg.rules[2].fw.place = FW_PLACE_INSERT;
	cfg_add(&(struct rspec){ "first", 9, FW_FAMILY_IP,
				  INSERT("filter", "OUTPUT") });
	tmp = cfg.rules[2];
	cfg.rules[2] = cfg.rules[3];
	cfg.rules[3] = tmp;
	ck_assert_int_eq(ipt_want_build(&w, &cfg, IPT_IP, err, sizeof(err)), 0);
	ipt_canon_attach(&k, &w);
	ck_assert_int_eq(ipt_plan_build(&p, &l, &w), 0);
	/* OUTPUT has no other rule: position 2 is its end, written -A */
	ck_assert_str_eq(p.text,
		"*filter\n"
		"-D OUTPUT -p udp -m udp --dport 53 -m comment --comment \"nflogd:new\" -j NFLOG --nflog-group 9\n"
		"-A OUTPUT -m comment --comment \"nflogd:first\" -j NFLOG --nflog-group 9\n"
		"-A OUTPUT -p udp --dport 53 -m comment --comment \"nflogd:new\" -j NFLOG --nflog-group 9\n"
		"COMMIT\n");
	ipt_plan_free(&p);
	ipt_want_free(&w);
	ipt_listing_free(&l);
	ipt_canon_free(&k);
}
END_TEST

/* Flushed (iptables -F): every chain is refilled, the own chain too. */
START_TEST(test_plan_flushed)
{
	static const char flushed[] =
		"*filter\n"
		":INPUT DROP [0:0]\n"
		":FORWARD DROP [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n"
		":NFLOGD-INPUT - [0:0]\n"
		"COMMIT\n";
	struct ipt_canon k = { 0 };
	struct ipt_listing l;
	struct ipt_want w;
	struct ipt_plan p;
	char err[256];

	learn(&k, listing_applied);
	parse_text(flushed, &l);
	ck_assert_int_eq(ipt_want_build(&w, &cfg, IPT_IP, err, sizeof(err)), 0);
	ipt_canon_attach(&k, &w);
	ck_assert_int_eq(ipt_plan_build(&p, &l, &w), 0);
	ck_assert_str_eq(p.text,
		"*filter\n"
		":NFLOGD-INPUT - [0:0]\n"
		"-A NFLOGD-INPUT -p tcp -m conntrack --ctstate INVALID -m comment --comment \"nflogd:invalid\" -j NFLOG --nflog-group 7\n"
		"-A INPUT -m comment --comment \"nflogd:jump\" -j NFLOGD-INPUT\n"
		"-A INPUT -m comment --comment \"nflogd:drops\" -m limit --limit 10/minute --limit-burst 3 -j NFLOG --nflog-group 5 --nflog-prefix \"drop: \\\"in\\\"\" --nflog-size 128\n"
		"-A OUTPUT -p udp --dport 53 -m comment --comment \"nflogd:new\" -j NFLOG --nflog-group 9\n"
		"COMMIT\n");
	/* an empty chain: position 1 is its end */
	ipt_plan_free(&p);
	ipt_listing_free(&l);

	/* a fresh namespace: no table at all */
	parse_text("", &l);
	ck_assert_int_eq(ipt_plan_build(&p, &l, &w), 0);
	ck_assert_str_eq(p.text,
		"*filter\n"
		":NFLOGD-INPUT - [0:0]\n"
		"-A NFLOGD-INPUT -p tcp -m conntrack --ctstate INVALID -m comment --comment \"nflogd:invalid\" -j NFLOG --nflog-group 7\n"
		"-A INPUT -m comment --comment \"nflogd:jump\" -j NFLOGD-INPUT\n"
		"-A INPUT -m comment --comment \"nflogd:drops\" -m limit --limit 10/minute --limit-burst 3 -j NFLOG --nflog-group 5 --nflog-prefix \"drop: \\\"in\\\"\" --nflog-size 128\n"
		"-A OUTPUT -p udp --dport 53 -m comment --comment \"nflogd:new\" -j NFLOG --nflog-group 9\n"
		"COMMIT\n");
	ipt_plan_free(&p);
	ipt_listing_free(&l);
	ipt_want_free(&w);
	ipt_canon_free(&k);
}
END_TEST

/* Removed from the configuration (and remove()): every tagged rule and
 * own chain goes, nothing else. */
START_TEST(test_plan_removed)
{
	static const char *const files[] = { "host-nft.v4", "host-legacy.v4" };
	struct ipt_listing l;
	struct ipt_want w;
	struct ipt_plan p;

	memset(&w, 0, sizeof(w));
	strcpy(w.tag, "nflogd");
	parse_capture(files[_i], "nflogd", &l);
	ck_assert_int_eq(ipt_plan_build(&p, &l, &w), 0);
	ck_assert_str_eq(p.text,
		"*mangle\n"
		"-D PREROUTING -m comment --comment \"nflogd:jump\" -j NFLOGD-PREROUTING\n"
		"-F NFLOGD-PREROUTING\n"
		"-X NFLOGD-PREROUTING\n"
		"COMMIT\n"
		"*filter\n"
		"-D INPUT -m comment --comment \"nflogd:jump\" -j NFLOGD-INPUT\n"
		"-D INPUT -m comment --comment \"nflogd:drops\" -m limit --limit 10/min --limit-burst 3 -j NFLOG --nflog-prefix \"drop: \\\"in\\\"\" --nflog-group 5 --nflog-size 128\n"
		"-D FORWARD -m comment --comment \"nflogd:fwd\" -j NFLOG --nflog-group 6 --nflog-threshold 10\n"
		"-F NFLOGD-INPUT\n"
		"-X NFLOGD-INPUT\n"
		"COMMIT\n");
	ck_assert_uint_eq(p.n_add, 0);
	ipt_plan_free(&p);
	ipt_listing_free(&l);

	/* another tag removes only its own rule */
	strcpy(w.tag, "other");
	parse_capture(files[_i], "other", &l);
	ck_assert_int_eq(ipt_plan_build(&p, &l, &w), 0);
	ck_assert_str_eq(p.text,
		"*filter\n"
		"-D INPUT -m comment --comment \"other:drops\" -j HOST-LOG\n"
		"COMMIT\n");
	ipt_plan_free(&p);
	ipt_listing_free(&l);

	/* nothing of ours: nothing to do */
	strcpy(w.tag, "nflogd");
	parse_text("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n", &l);
	ck_assert_int_eq(ipt_plan_build(&p, &l, &w), 0);
	ck_assert_str_eq(p.text, "");
	ck_assert_uint_eq(p.n_changed, 0);
	ipt_plan_free(&p);
	ipt_listing_free(&l);
}
END_TEST

/* Rolling back: what a listing held is put back at its positions with
 * its counters, whatever happened in between. */
START_TEST(test_plan_undo)
{
	static const char before[] =
		"*filter\n"
		":INPUT DROP [0:0]\n"
		":NFLOGD-INPUT - [0:0]\n"
		"[1:60] -A INPUT -m comment --comment \"nflogd:jump\" -j NFLOGD-INPUT\n"
		"[100:6000] -A INPUT -i lo -j ACCEPT\n"
		"[7:420] -A INPUT -m comment --comment \"nflogd:mid\" -j NFLOG --nflog-group 1\n"
		"[0:0] -A INPUT -s 10.0.0.0/8 -j ACCEPT\n"
		"[9:540] -A INPUT -m comment --comment \"nflogd:end\" -j NFLOG --nflog-group 1\n"
		"[3:180] -A NFLOGD-INPUT -p icmp -m comment --comment \"nflogd:o\" -j NFLOG --nflog-group 2\n"
		"COMMIT\n";
	static const char after[] =
		"*filter\n"
		":INPUT DROP [0:0]\n"
		"[0:0] -A INPUT -m comment --comment \"nflogd:new\" -j NFLOG --nflog-group 3\n"
		"[100:6000] -A INPUT -i lo -j ACCEPT\n"
		"[0:0] -A INPUT -s 10.0.0.0/8 -j ACCEPT\n"
		"COMMIT\n"
		"*mangle\n"
		":PREROUTING ACCEPT [0:0]\n"
		":NFLOGD-PREROUTING - [0:0]\n"
		"[0:0] -A PREROUTING -m comment --comment \"nflogd:jump\" -j NFLOGD-PREROUTING\n"
		"COMMIT\n";
	struct ipt_listing lb, la;
	struct ipt_want w;
	struct ipt_plan p;

	parse_text(before, &lb);
	parse_text(after, &la);
	ck_assert_int_eq(ipt_want_from_listing(&w, &lb), 0);
	ck_assert(w.counters);
	ck_assert_uint_eq(w.n_rules, 4);
	ck_assert_uint_eq(w.n_own, 1);
	ck_assert_int_eq(ipt_plan_build(&p, &la, &w), 0);
	ck_assert(p.counters);
	ck_assert_str_eq(p.text,
		"*filter\n"
		":NFLOGD-INPUT - [0:0]\n"
		"-D INPUT -m comment --comment \"nflogd:new\" -j NFLOG --nflog-group 3\n"
		"[3:180] -A NFLOGD-INPUT -p icmp -m comment --comment \"nflogd:o\" -j NFLOG --nflog-group 2\n"
		"[1:60] -I INPUT 1 -m comment --comment \"nflogd:jump\" -j NFLOGD-INPUT\n"
		"[7:420] -I INPUT 3 -m comment --comment \"nflogd:mid\" -j NFLOG --nflog-group 1\n"
		"[9:540] -A INPUT -m comment --comment \"nflogd:end\" -j NFLOG --nflog-group 1\n"
		"COMMIT\n"
		"*mangle\n"
		"-D PREROUTING -m comment --comment \"nflogd:jump\" -j NFLOGD-PREROUTING\n"
		"-F NFLOGD-PREROUTING\n"
		"-X NFLOGD-PREROUTING\n"
		"COMMIT\n");
	ipt_plan_free(&p);

	/* back where it was: nothing to do */
	ck_assert_int_eq(ipt_plan_build(&p, &lb, &w), 0);
	ck_assert_str_eq(p.text, "");
	ck_assert_uint_eq(p.n_kept, 2);
	ipt_plan_free(&p);
	ipt_want_free(&w);
	ipt_listing_free(&lb);
	ipt_listing_free(&la);
}
END_TEST

/* Learning: a chain whose tagged rules do not line up with what was
 * wanted (someone else changed it meanwhile) is not learned. */
START_TEST(test_canon_learn_mismatch)
{
	static const char listing[] =
		"*filter\n"
		":INPUT DROP [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n"
		":NFLOGD-INPUT - [0:0]\n"
		"-A INPUT -m comment --comment \"nflogd:drops\" -j NFLOG --nflog-group 5\n"
		"-A INPUT -m comment --comment \"nflogd:jump\" -j NFLOGD-INPUT\n"
		"-A OUTPUT -p udp -m udp --dport 53 -m comment --comment \"nflogd:new\" -j NFLOG --nflog-group 9\n"
		"-A NFLOGD-INPUT -j ACCEPT\n"
		"-A NFLOGD-INPUT -p tcp -m conntrack --ctstate INVALID -m comment --comment \"nflogd:invalid\" -j NFLOG --nflog-group 7\n"
		"COMMIT\n";
	struct ipt_canon k = { 0 };

	/* INPUT in the wrong order, NFLOGD-INPUT with a foreign rule: only
	 * OUTPUT is learned */
	learn(&k, listing);
	ck_assert_uint_eq(k.n, 1);
	ck_assert_str_eq(k.e[0].chain, "OUTPUT");
	ck_assert_str_eq(k.e[0].canon, "-p udp -m udp --dport 53 -m comment "
			 "--comment \"nflogd:new\" -j NFLOG --nflog-group 9");
	/* learning again replaces */
	learn(&k, "");
	ck_assert_uint_eq(k.n, 0);
	ipt_canon_free(&k);
}
END_TEST

/* Insert positions: after the jump, in config order, clamped to the
 * chain's length. */
START_TEST(test_plan_insert_positions)
{
	struct ipt_listing l;
	struct ipt_want w;
	struct ipt_plan p;
	char err[256];

	cfg_reset("nflogd");
	cfg_add(&(struct rspec){ "i1", 1, FW_FAMILY_IP, INSERT("filter", "INPUT") });
	cfg_add(&(struct rspec){ "a1", 1, FW_FAMILY_IP, APPEND("filter", "INPUT") });
	cfg_add(&(struct rspec){ "i2", 1, FW_FAMILY_IP, INSERT("filter", "INPUT") });
	cfg_add(&(struct rspec){ "o", 1, FW_FAMILY_IP, OWN(FW_HOOK_INPUT) });
	parse_text("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n"
		   "-A INPUT -j DROP\nCOMMIT\n", &l);
	ck_assert_int_eq(ipt_want_build(&w, &cfg, IPT_IP, err, sizeof(err)), 0);
	ck_assert_int_eq(ipt_plan_build(&p, &l, &w), 0);
	ck_assert_str_eq(p.text,
		"*filter\n"
		":NFLOGD-INPUT - [0:0]\n"
		"-A NFLOGD-INPUT -m comment --comment \"nflogd:o\" -j NFLOG --nflog-group 1\n"
		"-I INPUT 1 -m comment --comment \"nflogd:jump\" -j NFLOGD-INPUT\n"
		"-I INPUT 2 -m comment --comment \"nflogd:i1\" -j NFLOG --nflog-group 1\n"
		"-I INPUT 3 -m comment --comment \"nflogd:i2\" -j NFLOG --nflog-group 1\n"
		"-A INPUT -m comment --comment \"nflogd:a1\" -j NFLOG --nflog-group 1\n"
		"COMMIT\n");
	ipt_plan_free(&p);
	ipt_want_free(&w);
	ipt_listing_free(&l);
}
END_TEST

/* ---- errors ------------------------------------------------------------ */

/* What iptables-restore printed on this machine (nft and legacy). */
static const struct {
	const char *err;
	unsigned int line;
	const char *reason;
} error_cases[] = {
	{ "iptables-nft-restore v1.8.9 (nf_tables): invalid port/service `abc' specified\n"
	  "Error occurred at line: 3\n"
	  "Try `iptables-nft-restore -h' or 'iptables-nft-restore --help' for more information.\n",
	  3, "iptables-nft-restore v1.8.9 (nf_tables): invalid port/service `abc' specified" },
	{ "iptables-nft-restore: line 12 failed: No chain/target/match by that name.\n",
	  12, "iptables-nft-restore: line 12 failed: No chain/target/match by that name." },
	{ "iptables-restore: line 6 failed\n", 6, "iptables-restore: line 6 failed" },
	{ "iptables-nft-restore v1.8.9 (nf_tables): \n"
	  "line 3: CHAIN_DEL failed (Device or resource busy): chain NFLOGD-INPUT\n",
	  3, "iptables-nft-restore v1.8.9 (nf_tables): line 3: CHAIN_DEL failed (Device or resource busy): chain NFLOGD-INPUT" },
	{ "iptables-restore v1.8.9 (legacy): Couldn't load match `nosuchmod':No such file or directory\n\n"
	  "Error occurred at line: 2\n"
	  "Try `iptables-restore -h' or 'iptables-restore --help' for more information.\n",
	  2, "iptables-restore v1.8.9 (legacy): Couldn't load match `nosuchmod':No such file or directory" },
	{ "Another app is currently holding the xtables lock. Stopped waiting after 5s.\n",
	  0, "Another app is currently holding the xtables lock. Stopped waiting after 5s." },
	{ "", 0, "" },
	{ "pipeline 5 failed\nonline 7\n", 0, "pipeline 5 failed; online 7" },
};

START_TEST(test_error_lines)
{
	char why[512];

	ck_assert_uint_eq(ipt_error_line(error_cases[_i].err), error_cases[_i].line);
	ipt_error_reason(error_cases[_i].err, why, sizeof(why));
	ck_assert_str_eq(why, error_cases[_i].reason);
	/* cut to the buffer, marked */
	ipt_error_reason(error_cases[_i].err, why, 12);
	ck_assert_uint_le(strlen(why), 11);
}
END_TEST

/* Every line of a plan maps back to what it is about. */
START_TEST(test_error_mapping)
{
	static const char *const what[] = {
		"table mangle",
		"removing rule \"nflogd:jump\" (table mangle, chain PREROUTING)",
		"removing nflogd's chain NFLOGD-PREROUTING (table mangle)",
		"removing nflogd's chain NFLOGD-PREROUTING (table mangle)",
		"table mangle (commit)",
		"table filter",
		"nflogd's chain NFLOGD-INPUT (table filter)",
		"removing rule \"nflogd:jump\" (table filter, chain INPUT)",
		"removing rule \"nflogd:drops\" (table filter, chain INPUT)",
		"removing rule \"nflogd:fwd\" (table filter, chain FORWARD)",
		"rule \"invalid\" (table filter, chain NFLOGD-INPUT)",
		"rule \"nflogd:jump\" (table filter, chain INPUT)",
		"rule \"drops\" (table filter, chain INPUT)",
		"rule \"new\" (table filter, chain OUTPUT)",
		"table filter (commit; rules invalid, drops, new)",
	};
	struct ipt_listing l;
	struct ipt_want w;
	struct ipt_plan p;
	char err[256], out[256], text[64];

	plan_config();
	parse_capture("host-nft.v4", "nflogd", &l);
	ck_assert_int_eq(ipt_want_build(&w, &cfg, IPT_IP, err, sizeof(err)), 0);
	ck_assert_int_eq(ipt_plan_build(&p, &l, &w), 0);
	ck_assert_uint_eq(p.n_lines, NELEM(what));
	for (unsigned int i = 0; i < NELEM(what); i++) {
		ipt_plan_line_what(&p, i + 1, out, sizeof(out));
		ck_assert_str_eq(out, what[i]);
	}
	ipt_plan_line_what(&p, 0, out, sizeof(out));
	ck_assert_str_eq(out, "input line 0");
	ipt_plan_line_what(&p, 99, out, sizeof(out));
	ck_assert_str_eq(out, "input line 99");
	ipt_plan_line_text(&p, 14, out, sizeof(out));
	ck_assert_str_eq(out, "-A OUTPUT -p udp --dport 53 -m comment --comment "
			 "\"nflogd:new\" -j NFLOG --nflog-group 9");
	ipt_plan_line_text(&p, 1, out, sizeof(out));
	ck_assert_str_eq(out, "*mangle");
	ipt_plan_line_text(&p, 15, out, sizeof(out));
	ck_assert_str_eq(out, "COMMIT");
	ipt_plan_line_text(&p, 16, out, sizeof(out));
	ck_assert_str_eq(out, "");
	ipt_plan_line_text(&p, 14, text, sizeof(text));
	ck_assert_uint_eq(strlen(text), sizeof(text) - 1);
	/* "line 14 failed" -> rule new */
	ipt_plan_line_what(&p, ipt_error_line("iptables-restore: line 14 failed\n"),
			   out, sizeof(out));
	ck_assert_str_eq(out, "rule \"new\" (table filter, chain OUTPUT)");
	ipt_plan_free(&p);
	ipt_want_free(&w);
	ipt_listing_free(&l);
}
END_TEST

static Suite *fw_ipt_text_suite(void)
{
	Suite *s = suite_create("fw_ipt_text");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_rule_spec, 0, NELEM(spec_cases));
	tcase_add_loop_test(tc, test_own_chain, 0, NELEM(own_cases));
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_want_build);
	tcase_add_loop_test(tc, test_want_errors, 0, NELEM(want_err_cases));
	tcase_add_loop_test(tc, test_parse_capture, 0, NELEM(captures_v4));
	tcase_add_loop_test(tc, test_parse_capture_v6, 0, 2);
	tcase_add_loop_test(tc, test_parse_cases, 0, NELEM(parse_cases));
	tcase_add_loop_test(tc, test_parse_random, 0, 4);
	tcase_add_loop_test(tc, test_plan_first_start, 0, 2);
	tcase_add_test(tc, test_plan_unchanged);
	tcase_add_test(tc, test_plan_changed);
	tcase_add_test(tc, test_plan_flushed);
	tcase_add_loop_test(tc, test_plan_removed, 0, 2);
	tcase_add_test(tc, test_plan_undo);
	tcase_add_test(tc, test_canon_learn_mismatch);
	tcase_add_test(tc, test_plan_insert_positions);
	tcase_add_loop_test(tc, test_error_lines, 0, NELEM(error_cases));
	tcase_add_test(tc, test_error_mapping);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(fw_ipt_text_suite());
}
