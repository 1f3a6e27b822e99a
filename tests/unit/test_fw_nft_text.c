/* Tests for fw_nft_text: statements, own-chain names, listings parsed from
 * real `nft -j -t -a list` output (tests/data/nft, see capture.sh), the
 * reconcile plans built from them, and nft's error text mapped to rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "config.h"
#include "fw_nft_text.h"
#include "testutil.h"

#define DATA NFLOGD_TEST_DATA "/nft/"

/* ---- configurations by hand ------------------------------------------- */

static void cfg_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->fw.backend = FW_NFTABLES;
	snprintf(c->fw.table, sizeof(c->fw.table), "nflogd");
}

static struct config_rule *rule_add(struct config *c, const char *name,
				    uint16_t group, const char *match)
{
	struct config_rule *r;

	ck_assert_uint_lt(c->n_rules, CONFIG_MAX_RULES);
	r = &c->rules[c->n_rules++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->group = group;
	snprintf(r->fw.match, sizeof(r->fw.match), "%s", match);
	return r;
}

static struct config_rule *rule_own(struct config *c, const char *name,
				    uint16_t group, const char *match,
				    enum fw_family fam, enum fw_hook hook,
				    int prio)
{
	struct config_rule *r = rule_add(c, name, group, match);

	r->fw.place = FW_PLACE_OWN;
	r->fw.family = fam;
	r->fw.hook = hook;
	r->fw.priority = prio;
	return r;
}

static struct config_rule *rule_in(struct config *c, const char *name,
				   uint16_t group, const char *match,
				   enum fw_place place, enum fw_family fam,
				   const char *table, const char *chain)
{
	struct config_rule *r = rule_add(c, name, group, match);

	r->fw.place = place;
	r->fw.family = fam;
	snprintf(r->fw.table, sizeof(r->fw.table), "%s", table);
	snprintf(r->fw.chain, sizeof(r->fw.chain), "%s", chain);
	return r;
}

/* The configuration whose rules are exactly what host.nft's dead nflogd
 * left behind (same statements, same places). */
static void cfg_host(struct config *c)
{
	struct config_rule *r;

	cfg_init(c);
	rule_in(c, "ping-in", 9, "icmp type echo-request", FW_PLACE_INSERT,
		FW_FAMILY_INET, "filter", "input");
	r = rule_in(c, "drop", 3, "", FW_PLACE_APPEND, FW_FAMILY_INET,
		    "filter", "input");
	snprintf(r->prefix, sizeof(r->prefix), "drop ");
	r->fw.limit_rate = 5;
	r->fw.limit_unit = LIMIT_SECOND;
	r->fw.limit_burst = 10;
	r->fw.snaplen = 100;
	r->fw.queue_threshold = 10;
	rule_in(c, "v6-old", 4, "", FW_PLACE_APPEND, FW_FAMILY_IP6, "mangle",
		"pre");
	r = rule_own(c, "ping-out", 1, "icmp type echo-request",
		     FW_FAMILY_INET, FW_HOOK_OUTPUT, 0);
	snprintf(r->prefix, sizeof(r->prefix), "ping ");
	r = rule_own(c, "dns", 1, "udp dport 53", FW_FAMILY_INET,
		     FW_HOOK_OUTPUT, 0);
	snprintf(r->prefix, sizeof(r->prefix), "dns ");
	r = rule_own(c, "ping-limited", 1, "icmp type echo-request",
		     FW_FAMILY_INET, FW_HOOK_OUTPUT, 0);
	r->fw.limit_rate = 1;
	r->fw.limit_unit = LIMIT_MINUTE;
	r->fw.limit_burst = 1;
	rule_own(c, "all-in", 2, "", FW_FAMILY_INET, FW_HOOK_INPUT, -10);
	rule_own(c, "fwd", 2, "", FW_FAMILY_IP, FW_HOOK_FORWARD, 100);
}

static int rule_index(const struct config *c, const char *name)
{
	for (unsigned int i = 0; i < c->n_rules; i++)
		if (strcmp(c->rules[i].name, name) == 0)
			return (int)i;
	ck_abort_msg("no rule %s", name);
	return -1;
}

static void cfg_drop(struct config *c, const char *name)
{
	int i = rule_index(c, name);

	memmove(&c->rules[i], &c->rules[i + 1],
		(c->n_rules - (unsigned int)i - 1) * sizeof(c->rules[0]));
	c->n_rules--;
}

static char *slurp(const char *name)
{
	char path[512];
	size_t len;
	uint8_t *p;

	snprintf(path, sizeof(path), DATA "%s", name);
	p = tu_read_file(path, &len);
	ck_assert_msg(p != NULL, "cannot read %s", path);
	return (char *)p;
}

static void listing_load(struct nft_listing *l, const char *file)
{
	char err[256] = "";
	char *json = slurp(file);
	int r = nft_listing_parse(l, json, "nflogd", err, sizeof(err));

	ck_assert_msg(r == 0, "%s: %d %s", file, r, err);
	free(json);
}

/* ---- statements -------------------------------------------------------- */

struct stmt_case {
	const char *match, *prefix;
	uint16_t group;
	uint32_t rate, burst, snaplen, qthresh;
	enum limit_unit unit;
	const char *want;
};

static const struct stmt_case stmt_cases[] = {
	{ "", "", 1, 0, 0, 0, 0, LIMIT_SECOND,
	  "counter log group 1 comment \"nflogd:r\"" },
	{ "tcp dport 22 ct state new", "", 7, 0, 0, 0, 0, LIMIT_SECOND,
	  "tcp dport 22 ct state new counter log group 7 comment \"nflogd:r\"" },
	{ "", "drop: ", 2, 0, 0, 0, 0, LIMIT_SECOND,
	  "counter log group 2 prefix \"drop: \" comment \"nflogd:r\"" },
	{ "", "", 2, 0, 0, 128, 0, LIMIT_SECOND,
	  "counter log group 2 snaplen 128 comment \"nflogd:r\"" },
	{ "", "", 2, 0, 0, 0, 20, LIMIT_SECOND,
	  "counter log group 2 queue-threshold 20 comment \"nflogd:r\"" },
	{ "", "", 65535, 10, 0, 0, 0, LIMIT_SECOND,
	  "counter limit rate 10/second counter log group 65535 "
	  "comment \"nflogd:r\"" },
	{ "", "", 0, 3, 20, 0, 0, LIMIT_MINUTE,
	  "counter limit rate 3/minute burst 20 packets counter log group 0 "
	  "comment \"nflogd:r\"" },
	{ "", "", 1, 1, 0, 0, 0, LIMIT_HOUR,
	  "counter limit rate 1/hour counter log group 1 comment \"nflogd:r\"" },
	{ "", "", 1, 1, 0, 0, 0, LIMIT_DAY,
	  "counter limit rate 1/day counter log group 1 comment \"nflogd:r\"" },
	{ "iif \"eth0\" ip saddr 10.0.0.0/8", "in 'x' % ", 4, 100, 200, 64, 5,
	  LIMIT_SECOND,
	  "iif \"eth0\" ip saddr 10.0.0.0/8 counter limit rate 100/second "
	  "burst 200 packets counter log group 4 prefix \"in 'x' % \" "
	  "snaplen 64 queue-threshold 5 comment \"nflogd:r\"" },
};

START_TEST(test_stmt)
{
	const struct stmt_case *tc = &stmt_cases[_i];
	struct config c;
	struct config_rule *r;
	char buf[NFT_STMT_MAX], err[256] = "";
	int n;

	cfg_init(&c);
	r = rule_own(&c, "r", tc->group, tc->match, FW_FAMILY_INET,
		     FW_HOOK_INPUT, 0);
	snprintf(r->prefix, sizeof(r->prefix), "%s", tc->prefix);
	r->fw.limit_rate = tc->rate;
	r->fw.limit_unit = tc->unit;
	r->fw.limit_burst = tc->burst;
	r->fw.snaplen = tc->snaplen;
	r->fw.queue_threshold = tc->qthresh;
	n = nft_rule_stmt(&c, r, buf, sizeof(buf), err, sizeof(err));
	ck_assert_msg(n > 0, "case %d: %d %s", _i, n, err);
	ck_assert_str_eq(buf, tc->want);
	ck_assert_int_eq(n, (int)strlen(tc->want));
}
END_TEST

/* Every combination of the six options: each appears exactly when set,
 * in one order, with single spaces. */
START_TEST(test_stmt_combinations)
{
	for (unsigned int m = 0; m < 64; m++) {
		struct config c;
		struct config_rule *r;
		char buf[NFT_STMT_MAX], want[NFT_STMT_MAX], err[256] = "";
		size_t n = 0;

		cfg_init(&c);
		r = rule_own(&c, "r", 3, m & 1 ? "meta l4proto udp" : "",
			     FW_FAMILY_INET, FW_HOOK_INPUT, 0);
		if (m & 2) {
			r->fw.limit_rate = 7;
			r->fw.limit_unit = LIMIT_MINUTE;
		}
		if (m & 4)
			r->fw.limit_burst = 9;
		if (m & 8)
			snprintf(r->prefix, sizeof(r->prefix), "p ");
		if (m & 16)
			r->fw.snaplen = 64;
		if (m & 32)
			r->fw.queue_threshold = 2;
		ck_assert_int_gt(nft_rule_stmt(&c, r, buf, sizeof(buf), err,
					       sizeof(err)), 0);
#define CAT(str) (n += (size_t)snprintf(want + n, sizeof(want) - n, "%s", str))
		if (m & 1)
			CAT("meta l4proto udp ");
		if (m & 2) {
			CAT("counter limit rate 7/minute ");
			if (m & 4)      /* a burst without a rate means nothing */
				CAT("burst 9 packets ");
		}
		CAT("counter log group 3");
		if (m & 8)
			CAT(" prefix \"p \"");
		if (m & 16)
			CAT(" snaplen 64");
		if (m & 32)
			CAT(" queue-threshold 2");
		CAT(" comment \"nflogd:r\"");
#undef CAT
		if (strcmp(buf, want) != 0)
			ck_abort_msg("options %#x: \"%s\" != \"%s\"", m, buf,
				     want);
	}
}
END_TEST

START_TEST(test_stmt_refused)
{
	static const char *const bad[] = { "say \"hi\"", "$var " };
	struct config c;
	struct config_rule *r;
	char buf[NFT_STMT_MAX], err[256];

	cfg_init(&c);
	r = rule_own(&c, "pfx", 1, "", FW_FAMILY_INET, FW_HOOK_INPUT, 0);
	for (unsigned int i = 0; i < 2; i++) {
		snprintf(r->prefix, sizeof(r->prefix), "%s", bad[i]);
		err[0] = '\0';
		ck_assert_int_eq(nft_rule_stmt(&c, r, buf, sizeof(buf), err,
					       sizeof(err)), -EINVAL);
		ck_assert_msg(strstr(err, "rule 'pfx'") && strstr(err, "prefix"),
			      "%s", err);
	}
	/* too long for the buffer */
	r->prefix[0] = '\0';
	ck_assert_int_eq(nft_rule_stmt(&c, r, buf, 16, err, sizeof(err)),
			 -ENOSPC);
	ck_assert_ptr_nonnull(strstr(err, "rule 'pfx'"));
}
END_TEST

/* ---- own chains -------------------------------------------------------- */

struct chain_case {
	enum fw_hook hook;
	int prio;
	const char *want;
};

static const struct chain_case chain_cases[] = {
	{ FW_HOOK_INPUT, 0, "input" },
	{ FW_HOOK_INPUT, -10, "input_m10" },
	{ FW_HOOK_INPUT, 10, "input_p10" },
	{ FW_HOOK_FORWARD, 100, "forward_p100" },
	{ FW_HOOK_OUTPUT, 1, "output_p1" },
	{ FW_HOOK_PREROUTING, -400, "prerouting_m400" },
	{ FW_HOOK_POSTROUTING, 400, "postrouting_p400" },
};

START_TEST(test_own_chain_name)
{
	const struct chain_case *tc = &chain_cases[_i];
	char buf[CONFIG_TABLE_MAX];

	nft_own_chain_name(tc->hook, tc->prio, buf, sizeof(buf));
	ck_assert_str_eq(buf, tc->want);
}
END_TEST

START_TEST(test_config_chains)
{
	struct config c;
	struct nft_chain_ref refs[CONFIG_MAX_RULES];
	unsigned int n;

	cfg_host(&c);
	rule_add(&c, "elsewhere", 5, "")->fw.place = FW_PLACE_NONE;
	n = nft_config_chains(&c, refs);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(refs[0].family, "inet");
	ck_assert_str_eq(refs[0].table, "filter");
	ck_assert_str_eq(refs[0].chain, "input");
	ck_assert(!refs[0].own);
	ck_assert_str_eq(refs[1].family, "ip6");
	ck_assert_str_eq(refs[1].chain, "pre");
	ck_assert_str_eq(refs[2].table, "nflogd");
	ck_assert_str_eq(refs[2].chain, "output");
	ck_assert(refs[2].own);
	ck_assert_str_eq(refs[3].chain, "input_m10");
	ck_assert_str_eq(refs[4].family, "ip");
	ck_assert_str_eq(refs[4].chain, "forward_p100");
}
END_TEST

/* ---- listings ---------------------------------------------------------- */

struct krule_want {
	const char *family, *table, *chain, *name;
	uint64_t handle;
	unsigned int pos, n_counters;
	uint64_t last_packets;
};

/* host.json, in listing order. */
static const struct krule_want host_rules[] = {
	{ "inet", "filter", "input", "ping-in", 5, 0, 1, 3 },
	{ "inet", "filter", "input", "drop", 10, 5, 2, 0 },
	{ "ip6", "mangle", "pre", "v6-old", 2, 0, 1, 0 },
	{ "inet", "nflogd", "output", "ping-out", 3, 0, 1, 3 },
	{ "inet", "nflogd", "output", "dns", 4, 1, 1, 0 },
	{ "inet", "nflogd", "output", "ping-limited", 5, 2, 2, 1 },
	{ "inet", "nflogd", "input_m10", "all-in", 6, 0, 1, 6 },
	{ "ip", "nflogd", "forward_p100", "fwd", 2, 0, 1, 0 },
};

START_TEST(test_listing_host)
{
	struct nft_listing l = { 0 };

	listing_load(&l, "host.json");
	ck_assert_uint_eq(l.n_tables, 2);
	ck_assert_str_eq(l.tables[0].family, "inet");
	ck_assert_str_eq(l.tables[0].name, "nflogd");
	ck_assert_uint_eq(l.tables[0].handle, 3);
	ck_assert_str_eq(l.tables[1].family, "ip");
	ck_assert_uint_eq(l.tables[1].handle, 4);
	/* foreign rules ("nflogd2:", "nflogd" without ':', no comment) are
	 * not nflogd's */
	ck_assert_uint_eq(l.n_rules, sizeof(host_rules) / sizeof(host_rules[0]));
	for (unsigned int i = 0; i < l.n_rules; i++) {
		const struct krule_want *w = &host_rules[i];
		const struct nft_krule *k = &l.rules[i];
		const struct nft_kchain *ch = &l.chains[k->chain];

		ck_assert_str_eq(k->name, w->name);
		ck_assert_str_eq(ch->family, w->family);
		ck_assert_str_eq(ch->table, w->table);
		ck_assert_str_eq(ch->name, w->chain);
		ck_assert_uint_eq(k->handle, w->handle);
		ck_assert_uint_eq(k->pos, w->pos);
		ck_assert_uint_eq(k->n_counters, w->n_counters);
		ck_assert_uint_eq(k->ctr[k->n_counters - 1].packets,
				  w->last_packets);
		ck_assert(k->sig != 0);
		ck_assert(ch->own == (strcmp(w->table, "nflogd") == 0));
	}
	/* the chains around them */
	for (unsigned int i = 0; i < l.n_chains; i++) {
		const struct nft_kchain *ch = &l.chains[i];

		if (strcmp(ch->name, "input") == 0) {
			ck_assert_str_eq(ch->table, "filter");
			ck_assert_uint_eq(ch->n_rules, 6);
			ck_assert_str_eq(ch->hook, "input");
			ck_assert_str_eq(ch->policy, "drop");
			ck_assert_uint_eq(ch->handle, 1);
		}
		if (strcmp(ch->name, "input_m10") == 0) {
			ck_assert(ch->own);
			ck_assert_int_eq(ch->prio, -10);
			ck_assert_str_eq(ch->type, "filter");
		}
		/* chains without nflogd's rules outside its tables: absent */
		ck_assert_str_ne(ch->name, "forward");
	}
	/* same statements, same signatures: ping-out and ping-limited differ
	 * (a limit), ping-in and ping-out too (group, prefix, comment) */
	ck_assert(l.rules[0].sig != l.rules[3].sig);
	ck_assert(l.rules[3].sig != l.rules[5].sig);
	nft_listing_free(&l);
	nft_listing_free(&l);   /* twice: harmless */
}
END_TEST

START_TEST(test_listing_chains_add_up)
{
	struct nft_listing l = { 0 }, whole = { 0 };
	uint64_t p, b, m;
	struct nft_chain_ref ref = { "inet", "nflogd", "output", true };

	listing_load(&l, "chain-input.json");
	listing_load(&l, "chain-own-output.json");
	listing_load(&whole, "host.json");
	ck_assert_uint_eq(l.n_rules, 5);
	ck_assert_uint_eq(l.n_tables, 0);       /* no table object listed */
	ck_assert_str_eq(l.rules[0].name, "ping-in");
	ck_assert_str_eq(l.rules[1].name, "drop");
	/* the same rule listed alone or with the ruleset: one signature */
	ck_assert_uint_eq(l.rules[1].sig, whole.rules[1].sig);
	ck_assert_uint_eq(l.rules[4].sig, whole.rules[5].sig);

	const struct nft_krule *k = nft_listing_find(&l, &ref, "ping-limited");
	ck_assert_ptr_nonnull(k);
	ck_assert_uint_eq(k->handle, 5);
	nft_krule_counters(k, true, &p, &b, &m);
	ck_assert_uint_eq(p, 1);
	ck_assert_uint_eq(b, 84);
	ck_assert_uint_eq(m, 3);
	k = nft_listing_find(&l, &ref, "ping-out");
	nft_krule_counters(k, false, &p, &b, &m);
	ck_assert_uint_eq(p, 3);
	ck_assert_uint_eq(b, 252);
	ck_assert_uint_eq(m, 3);
	ck_assert_ptr_null(nft_listing_find(&l, &ref, "ping-in"));
	ck_assert_ptr_null(nft_listing_find(&l, &ref, "nope"));
	nft_listing_free(&l);
	nft_listing_free(&whole);
}
END_TEST

START_TEST(test_listing_other_tag)
{
	struct nft_listing l = { 0 };
	char err[256];
	char *json = slurp("host.json");

	/* another tag: "nflogd2:not-ours" is its only rule; no own table */
	ck_assert_int_eq(nft_listing_parse(&l, json, "nflogd2", err,
					   sizeof(err)), 0);
	ck_assert_uint_eq(l.n_rules, 1);
	ck_assert_str_eq(l.rules[0].name, "not-ours");
	ck_assert_uint_eq(l.rules[0].pos, 3);
	ck_assert_uint_eq(l.n_tables, 0);
	nft_listing_free(&l);
	free(json);

	listing_load(&l, "empty.json");
	ck_assert_uint_eq(l.n_rules + l.n_tables + l.n_chains, 0);
	nft_listing_free(&l);
}
END_TEST

static const char *const bad_json[] = {
	"", "not json", "{\"nftables\": {}}", "[1, 2]", "{\"nftables\": [",
	"{\"other\": []}",
};

START_TEST(test_listing_bad)
{
	struct nft_listing l = { 0 };
	char err[256] = "";

	ck_assert_int_eq(nft_listing_parse(&l, bad_json[_i], "nflogd", err,
					   sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "nft") != NULL, "%s", err);
	nft_listing_free(&l);
}
END_TEST

/* Odd but valid JSON items are skipped, not trusted. */
START_TEST(test_listing_odd_items)
{
	static const char json[] =
		"{\"nftables\": [1, \"x\", {\"rule\": {\"family\": \"inet\"}},"
		" {\"chain\": {\"table\": \"nflogd\"}},"
		" {\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": "
		"\"c\", \"handle\": 7, \"comment\": \"nflogd:x\", \"expr\": 3}},"
		" {\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": "
		"\"c\", \"handle\": 8, \"comment\": \"nflogd:\"}}]}";
	struct nft_listing l = { 0 };
	char err[256];

	ck_assert_int_eq(nft_listing_parse(&l, json, "nflogd", err,
					   sizeof(err)), 0);
	ck_assert_uint_eq(l.n_rules, 2);
	ck_assert_uint_eq(l.rules[0].n_counters, 0);
	ck_assert_uint_eq(l.rules[1].pos, 1);
	nft_listing_free(&l);
}
END_TEST

/* Random damage to a real listing: never a crash (ASan), and whatever is
 * parsed is consistent.  NFLOGD_TEST_SEED picks another seed. */
START_TEST(test_listing_random)
{
	char *json = slurp("host.json");
	size_t n = strlen(json);
	char *mut = malloc(n + 1);
	const char *seed = getenv("NFLOGD_TEST_SEED");

	ck_assert_ptr_nonnull(mut);
	tu_rng = seed ? strtoull(seed, NULL, 0) : 0x5eedf00dULL;
	if (!tu_rng)
		tu_rng = 1;
	for (int it = 0; it < 3000; it++) {
		struct nft_listing l = { 0 };
		char err[256];

		memcpy(mut, json, n + 1);
		for (unsigned int k = 1 + tu_rnd() % 4; k > 0; k--)
			mut[tu_rnd() % n] = "{}[]\":,0a \\x9-"[tu_rnd() % 15];
		if (tu_rnd() % 8 == 0)
			mut[tu_rnd() % n] = '\0';
		if (nft_listing_parse(&l, mut, "nflogd", err, sizeof(err)) == 0)
			for (unsigned int i = 0; i < l.n_rules; i++)
				if (l.rules[i].chain >= l.n_chains ||
				    l.rules[i].pos >=
				    l.chains[l.rules[i].chain].n_rules)
					ck_abort_msg("seed %#llx, iteration %d: "
						     "rule %u inconsistent",
						     (unsigned long long)tu_rng,
						     it, i);
		nft_listing_free(&l);
	}
	free(mut);
	free(json);
}
END_TEST

/* ---- reconcile plans --------------------------------------------------- */

/* Every deletion of a rule names one of nflogd's rules in cur: the host's
 * rules are never touched. */
static void check_only_tagged(const struct nft_txn *t,
			      const struct nft_listing *cur)
{
	const char *s = t->text;

	for (unsigned int ln = 0; ln < t->n_lines; ln++) {
		const char *nl = strchr(s, '\n');
		char fam[16], tab[64], ch[64];
		unsigned long long h;
		bool found = false;

		ck_assert_ptr_nonnull(nl);
		if (sscanf(s, "delete rule %15s %63s %63s handle %llu", fam, tab,
			   ch, &h) == 4) {
			for (unsigned int i = 0; i < cur->n_rules; i++) {
				const struct nft_kchain *k =
					&cur->chains[cur->rules[i].chain];

				found |= cur->rules[i].handle == h &&
					 strcmp(k->family, fam) == 0 &&
					 strcmp(k->table, tab) == 0 &&
					 strcmp(k->name, ch) == 0;
			}
			ck_assert_msg(found, "deletes a foreign rule: %.*s",
				      (int)(nl - s), s);
			ck_assert_int_eq(t->line_rule[ln], -1);
		}
		if (sscanf(s, "delete table %15s handle %llu", fam, &h) == 2) {
			for (unsigned int i = 0; i < cur->n_tables; i++)
				found |= cur->tables[i].handle == h &&
					 strcmp(cur->tables[i].family, fam) == 0;
			ck_assert_msg(found, "deletes a foreign table: %.*s",
				      (int)(nl - s), s);
		}
		if (strncmp(s, "delete chain ", 13) == 0 ||
		    strncmp(s, "flush chain ", 12) == 0)
			ck_assert_msg(strstr(s, " nflogd ") &&
				      strstr(s, " nflogd ") < nl,
				      "not nflogd's table: %.*s",
				      (int)(nl - s), s);
		s = nl + 1;
	}
	ck_assert(*s == '\0');
}

static void build_ok(struct nft_txn *t, const struct config *c,
		     const struct nft_listing *cur, const struct nft_memo *m)
{
	char err[256] = "";
	int r = nft_txn_build(t, c, cur, m, err, sizeof(err));

	ck_assert_msg(r == 0, "%d %s", r, err);
	check_only_tagged(t, cur);
}

#define OWN_OUTPUT "add chain inet nflogd output { type filter hook output " \
	"priority 0; policy accept; }\n"
#define S_PING_IN "icmp type echo-request counter log group 9 comment " \
	"\"nflogd:ping-in\"\n"
#define S_DROP "counter limit rate 5/second burst 10 packets counter log " \
	"group 3 prefix \"drop \" snaplen 100 queue-threshold 10 comment " \
	"\"nflogd:drop\"\n"
#define S_PING_OUT "icmp type echo-request counter log group 1 prefix " \
	"\"ping \" comment \"nflogd:ping-out\"\n"
#define S_DNS "udp dport 53 counter log group 1 prefix \"dns \" comment " \
	"\"nflogd:dns\"\n"
#define S_DNS5 "udp dport 53 counter log group 5 prefix \"dns \" comment " \
	"\"nflogd:dns\"\n"
#define S_PING_LIM "icmp type echo-request counter limit rate 1/minute " \
	"burst 1 packets counter log group 1 comment \"nflogd:ping-limited\"\n"

/* First start, empty kernel: tables, chains, rules; inserts reversed. */
START_TEST(test_plan_first_start_empty)
{
	struct config c;
	struct nft_listing l = { 0 };
	struct nft_txn t;

	cfg_init(&c);
	rule_own(&c, "a", 1, "", FW_FAMILY_INET, FW_HOOK_INPUT, -10);
	rule_in(&c, "i1", 2, "tcp dport 22", FW_PLACE_INSERT, FW_FAMILY_IP,
		"filter", "INPUT");
	rule_in(&c, "p1", 2, "", FW_PLACE_APPEND, FW_FAMILY_IP, "filter",
		"INPUT");
	rule_in(&c, "i2", 2, "tcp dport 23", FW_PLACE_INSERT, FW_FAMILY_IP,
		"filter", "INPUT");
	rule_own(&c, "b", 1, "", FW_FAMILY_IP6, FW_HOOK_INPUT, -10);
	rule_own(&c, "c", 1, "", FW_FAMILY_INET, FW_HOOK_INPUT, -10);
	rule_add(&c, "none", 3, "");            /* FW_PLACE_NONE */
	listing_load(&l, "empty.json");
	build_ok(&t, &c, &l, NULL);
	ck_assert_str_eq(t.text,
		"add table inet nflogd\n"
		"add table ip6 nflogd\n"
		"add chain inet nflogd input_m10 { type filter hook input "
		"priority -10; policy accept; }\n"
		"add rule inet nflogd input_m10 counter log group 1 comment "
		"\"nflogd:a\"\n"
		"add rule inet nflogd input_m10 counter log group 1 comment "
		"\"nflogd:c\"\n"
		"insert rule ip filter INPUT tcp dport 23 counter log group 2 "
		"comment \"nflogd:i2\"\n"
		"insert rule ip filter INPUT tcp dport 22 counter log group 2 "
		"comment \"nflogd:i1\"\n"
		"add rule ip filter INPUT counter log group 2 comment "
		"\"nflogd:p1\"\n"
		"add chain ip6 nflogd input_m10 { type filter hook input "
		"priority -10; policy accept; }\n"
		"add rule ip6 nflogd input_m10 counter log group 1 comment "
		"\"nflogd:b\"\n");
	/* the line map: each line is its rule's (or the first rule needing
	 * the table/chain) */
	static const int want_map[] = { 0, 4, 0, 0, 5, 3, 1, 2, 4, 4 };
	ck_assert_uint_eq(t.n_lines, 10);
	for (unsigned int i = 0; i < t.n_lines; i++)
		ck_assert_int_eq(t.line_rule[i], want_map[i]);
	ck_assert_uint_eq(t.n_add, 6);
	ck_assert_uint_eq(t.n_del, 0);
	nft_txn_free(&t);
	nft_txn_free(&t);
	nft_listing_free(&l);
}
END_TEST

/* First start over a dead nflogd's leftovers: nothing is remembered, so
 * every tagged rule is stale and replaced, even those written the same. */
START_TEST(test_plan_first_start_leftovers)
{
	struct config c;
	struct nft_listing l = { 0 };
	struct nft_txn t;

	cfg_host(&c);
	listing_load(&l, "host.json");
	build_ok(&t, &c, &l, NULL);
	ck_assert_str_eq(t.text,
		"delete rule inet filter input handle 5\n"
		"delete rule inet filter input handle 10\n"
		"insert rule inet filter input " S_PING_IN
		"add rule inet filter input " S_DROP
		"delete rule ip6 mangle pre handle 2\n"
		"add rule ip6 mangle pre counter log group 4 comment "
		"\"nflogd:v6-old\"\n"
		"flush chain inet nflogd output\n"
		"add rule inet nflogd output " S_PING_OUT
		"add rule inet nflogd output " S_DNS
		"add rule inet nflogd output " S_PING_LIM
		"flush chain inet nflogd input_m10\n"
		"add rule inet nflogd input_m10 counter log group 2 comment "
		"\"nflogd:all-in\"\n"
		"flush chain ip nflogd forward_p100\n"
		"add rule ip nflogd forward_p100 counter log group 2 comment "
		"\"nflogd:fwd\"\n");
	ck_assert_uint_eq(t.n_chains_kept, 0);
	nft_txn_free(&t);

	/* a new configuration with none of it: all of it goes */
	cfg_init(&c);
	rule_own(&c, "new", 1, "", FW_FAMILY_INET, FW_HOOK_OUTPUT, 0);
	build_ok(&t, &c, &l, NULL);
	ck_assert_str_eq(t.text,
		"delete table ip handle 4\n"
		"flush chain inet nflogd output\n"
		"add rule inet nflogd output counter log group 1 comment "
		"\"nflogd:new\"\n"
		"delete rule inet filter input handle 5\n"
		"delete rule inet filter input handle 10\n"
		"delete rule ip6 mangle pre handle 2\n"
		"delete chain inet nflogd handle 2\n");
	nft_txn_free(&t);
	nft_listing_free(&l);
}
END_TEST

struct plan_case {
	const char *what;
	void (*change)(struct config *c);
	const char *want;
	unsigned int kept;
};

static void ch_none(struct config *c) { (void)c; }

static void ch_dns_group(struct config *c)
{
	c->rules[rule_index(c, "dns")].group = 5;
}

static void ch_drop_prefix(struct config *c)
{
	struct config_rule *r = &c->rules[rule_index(c, "drop")];

	snprintf(r->prefix, sizeof(r->prefix), "dropped ");
}

static void ch_rm_v6(struct config *c) { cfg_drop(c, "v6-old"); }
static void ch_rm_fwd(struct config *c) { cfg_drop(c, "fwd"); }
static void ch_rm_all_in(struct config *c) { cfg_drop(c, "all-in"); }
static void ch_rm_dns(struct config *c) { cfg_drop(c, "dns"); }

static void ch_only_existing(struct config *c)
{
	cfg_drop(c, "ping-out");
	cfg_drop(c, "dns");
	cfg_drop(c, "ping-limited");
	cfg_drop(c, "all-in");
	cfg_drop(c, "fwd");
}

static void ch_swap_order(struct config *c)
{
	int a = rule_index(c, "ping-out"), b = rule_index(c, "dns");
	struct config_rule tmp = c->rules[a];

	c->rules[a] = c->rules[b];
	c->rules[b] = tmp;
}

static void ch_not_installed(struct config *c)
{
	c->rules[rule_index(c, "ping-in")].fw.place = FW_PLACE_NONE;
}

static void ch_backend_none(struct config *c) { c->fw.backend = FW_NONE; }

/* Each from host.json with the memo of cfg_host() applied: what the
 * change costs.  Kept chains: filter input, mangle pre, nflogd output,
 * input_m10, forward_p100 (5 when nothing changed). */
static const struct plan_case plan_cases[] = {
	{ "unchanged", ch_none, "", 5 },
	{ "one rule changed in an own chain with three", ch_dns_group,
	  "flush chain inet nflogd output\n"
	  "add rule inet nflogd output " S_PING_OUT
	  "add rule inet nflogd output " S_DNS5
	  "add rule inet nflogd output " S_PING_LIM, 4 },
	{ "one rule changed in a host chain with two", ch_drop_prefix,
	  "delete rule inet filter input handle 5\n"
	  "delete rule inet filter input handle 10\n"
	  "insert rule inet filter input " S_PING_IN
	  "add rule inet filter input counter limit rate 5/second burst 10 "
	  "packets counter log group 3 prefix \"dropped \" snaplen 100 "
	  "queue-threshold 10 comment \"nflogd:drop\"\n", 4 },
	{ "rule removed from a host chain", ch_rm_v6,
	  "delete rule ip6 mangle pre handle 2\n", 4 },
	{ "own table no longer needed", ch_rm_fwd,
	  "delete table ip handle 4\n", 4 },
	{ "own chain no longer needed", ch_rm_all_in,
	  "delete chain inet nflogd handle 2\n", 4 },
	{ "rule removed from an own chain", ch_rm_dns,
	  "flush chain inet nflogd output\n"
	  "add rule inet nflogd output " S_PING_OUT
	  "add rule inet nflogd output " S_PING_LIM, 4 },
	{ "order changed", ch_swap_order,
	  "flush chain inet nflogd output\n"
	  "add rule inet nflogd output " S_DNS
	  "add rule inet nflogd output " S_PING_OUT
	  "add rule inet nflogd output " S_PING_LIM, 4 },
	{ "no own chains at all", ch_only_existing,
	  "delete table inet handle 3\n"
	  "delete table ip handle 4\n", 2 },
	{ "a rule no longer installed", ch_not_installed,
	  "delete rule inet filter input handle 5\n"
	  "delete rule inet filter input handle 10\n"
	  "add rule inet filter input " S_DROP, 4 },
	{ "backend none: everything goes", ch_backend_none,
	  "delete table inet handle 3\n"
	  "delete table ip handle 4\n"
	  "delete rule inet filter input handle 5\n"
	  "delete rule inet filter input handle 10\n"
	  "delete rule ip6 mangle pre handle 2\n", 0 },
};

START_TEST(test_plan_reload)
{
	const struct plan_case *tc = &plan_cases[_i];
	struct config c, nc;
	struct nft_listing l = { 0 };
	struct nft_memo *m = calloc(1, sizeof(*m));
	struct nft_txn t;

	ck_assert_ptr_nonnull(m);
	cfg_host(&c);
	listing_load(&l, "host.json");
	nft_memo_update(m, &c, &l);
	ck_assert_uint_eq(m->n, c.n_rules);
	nc = c;
	tc->change(&nc);
	build_ok(&t, &nc, &l, m);
	ck_assert_msg(strcmp(t.text, tc->want) == 0, "%s:\n%s\nwanted:\n%s",
		      tc->what, t.text, tc->want);
	ck_assert_msg(t.n_chains_kept == tc->kept, "%s: kept %u", tc->what,
		      t.n_chains_kept);
	nft_txn_free(&t);
	nft_listing_free(&l);
	free(m);
}
END_TEST

/* The kernel's rule no longer is what nflogd wrote (someone replaced it
 * keeping the comment): its signature differs, the chain is rewritten. */
START_TEST(test_plan_kernel_rule_edited)
{
	struct config c;
	struct nft_listing l = { 0 };
	struct nft_memo *m = calloc(1, sizeof(*m));
	struct nft_txn t;

	ck_assert_ptr_nonnull(m);
	cfg_host(&c);
	listing_load(&l, "host.json");
	nft_memo_update(m, &c, &l);
	for (unsigned int i = 0; i < m->n; i++)
		if (strcmp(m->r[i].name, "v6-old") == 0)
			m->r[i].sig ^= 1;
	build_ok(&t, &c, &l, m);
	ck_assert_str_eq(t.text, "delete rule ip6 mangle pre handle 2\n"
			 "add rule ip6 mangle pre counter log group 4 comment "
			 "\"nflogd:v6-old\"\n");
	nft_txn_free(&t);

	/* an untagged rule after nflogd's appended one: it is no longer
	 * just before the policy, so it goes to the end again */
	l.chains[l.rules[0].chain].n_rules++;
	build_ok(&t, &c, &l, m);
	ck_assert_str_eq(t.text,
		"delete rule inet filter input handle 5\n"
		"delete rule inet filter input handle 10\n"
		"insert rule inet filter input " S_PING_IN
		"add rule inet filter input " S_DROP
		"delete rule ip6 mangle pre handle 2\n"
		"add rule ip6 mangle pre counter log group 4 comment "
		"\"nflogd:v6-old\"\n");
	nft_txn_free(&t);
	nft_listing_free(&l);
	free(m);
}
END_TEST

/* host.json with the first `from` replaced by `to`. */
static void listing_edited(struct nft_listing *l, const char *from,
			   const char *to)
{
	char *json = slurp("host.json"), *out, err[256] = "";
	const char *p = strstr(json, from);
	size_t a;

	ck_assert_msg(p != NULL, "host.json lacks %s", from);
	a = (size_t)(p - json);
	out = malloc(strlen(json) + strlen(to) + 1);
	ck_assert_ptr_nonnull(out);
	memcpy(out, json, a);
	strcpy(out + a, to);
	strcat(out, p + strlen(from));
	ck_assert_msg(nft_listing_parse(l, out, "nflogd", err,
					sizeof(err)) == 0, "%s", err);
	free(out);
	free(json);
}

/* nflogd's own chain must only log: a rule that is not nflogd's in it
 * (even where positions would agree) has the chain refilled; a chain
 * defined otherwise (policy drop) is made again. */
START_TEST(test_plan_own_chain_redone)
{
	struct config c;
	struct nft_listing l = { 0 };
	struct nft_memo *m = calloc(1, sizeof(*m));
	struct nft_txn t;

	ck_assert_ptr_nonnull(m);
	/* ping-out is someone else's now, at the top of nflogd's chain */
	listing_edited(&l, "\"comment\": \"nflogd:ping-out\"",
		       "\"comment\": \"host\"");
	cfg_host(&c);
	cfg_drop(&c, "ping-out");
	nft_memo_update(m, &c, &l);
	build_ok(&t, &c, &l, m);
	ck_assert_str_eq(t.text, "flush chain inet nflogd output\n"
			 "add rule inet nflogd output " S_DNS
			 "add rule inet nflogd output " S_PING_LIM);
	ck_assert_uint_eq(t.n_chains_kept, 4);
	nft_txn_free(&t);
	nft_listing_free(&l);

	listing_edited(&l, "\"name\": \"output\", \"handle\": 1, \"type\": "
		       "\"filter\", \"hook\": \"output\", \"prio\": 0, "
		       "\"policy\": \"accept\"",
		       "\"name\": \"output\", \"handle\": 1, \"type\": "
		       "\"filter\", \"hook\": \"output\", \"prio\": 0, "
		       "\"policy\": \"drop\"");
	cfg_host(&c);
	nft_memo_update(m, &c, &l);
	build_ok(&t, &c, &l, m);
	ck_assert_str_eq(t.text, "delete chain inet nflogd handle 1\n"
			 OWN_OUTPUT
			 "add rule inet nflogd output " S_PING_OUT
			 "add rule inet nflogd output " S_DNS
			 "add rule inet nflogd output " S_PING_LIM);
	nft_txn_free(&t);
	nft_listing_free(&l);
	free(m);
}
END_TEST

START_TEST(test_plan_refused)
{
	struct config c;
	struct nft_listing l = { 0 };
	struct nft_txn t;
	char err[256] = "";

	cfg_init(&c);
	rule_in(&c, "mine", 1, "", FW_PLACE_APPEND, FW_FAMILY_INET, "nflogd",
		"input");
	listing_load(&l, "empty.json");
	ck_assert_int_eq(nft_txn_build(&t, &c, &l, NULL, err, sizeof(err)),
			 -EINVAL);
	ck_assert_msg(strstr(err, "rule 'mine'") != NULL, "%s", err);
	ck_assert_ptr_null(t.text);

	cfg_init(&c);
	snprintf(rule_own(&c, "q", 1, "", FW_FAMILY_INET, FW_HOOK_INPUT,
			  0)->prefix, CONFIG_PREFIX_MAX, "a\"b");
	ck_assert_int_eq(nft_txn_build(&t, &c, &l, NULL, err, sizeof(err)),
			 -EINVAL);
	ck_assert_msg(strstr(err, "rule 'q'") != NULL, "%s", err);
	nft_listing_free(&l);
}
END_TEST

START_TEST(test_plan_remove)
{
	struct nft_listing l = { 0 };
	struct nft_txn t;

	listing_load(&l, "host.json");
	ck_assert_int_eq(nft_txn_build_remove(&t, &l), 0);
	check_only_tagged(&t, &l);
	ck_assert_str_eq(t.text,
		"delete table inet handle 3\n"
		"delete table ip handle 4\n"
		"delete rule inet filter input handle 5\n"
		"delete rule inet filter input handle 10\n"
		"delete rule ip6 mangle pre handle 2\n");
	ck_assert_uint_eq(t.n_del, 5);
	nft_txn_free(&t);
	nft_listing_free(&l);

	listing_load(&l, "empty.json");
	ck_assert_int_eq(nft_txn_build_remove(&t, &l), 0);
	ck_assert_str_eq(t.text, "");
	ck_assert_uint_eq(t.n_lines, 0);
	nft_txn_free(&t);
	nft_listing_free(&l);
}
END_TEST

/* Many rules: the script grows past its first allocation. */
START_TEST(test_plan_large)
{
	struct config *c = calloc(1, sizeof(*c));
	struct nft_listing l = { 0 };
	struct nft_txn t;
	char name[16], match[CONFIG_MATCH_MAX];

	ck_assert_ptr_nonnull(c);
	cfg_init(c);
	memset(match, 0, sizeof(match));
	for (unsigned int i = 0; i < CONFIG_MAX_RULES; i++) {
		snprintf(name, sizeof(name), "r%u", i);
		snprintf(match, sizeof(match), "meta mark %u%0400u", i, 0u);
		rule_own(c, name, 1, match, FW_FAMILY_INET, FW_HOOK_INPUT,
			 (int)(i % 3));
	}
	listing_load(&l, "empty.json");
	build_ok(&t, c, &l, NULL);
	ck_assert_uint_eq(t.n_add, CONFIG_MAX_RULES);
	ck_assert_uint_eq(t.n_lines, CONFIG_MAX_RULES + 1 + 3);
	ck_assert_uint_eq(strlen(t.text), t.len);
	/* chains in the order of their first rule: the last line is the
	 * last rule of the prio-2 chain */
	ck_assert_int_eq(t.line_rule[t.n_lines - 1], CONFIG_MAX_RULES - 2);
	nft_txn_free(&t);
	nft_listing_free(&l);
	free(c);
}
END_TEST

/* ---- errors ------------------------------------------------------------ */

/* The script of bad-txn.nft, built, and nft's real error text for it. */
static void bad_txn(struct config *c, struct nft_txn *t)
{
	struct nft_listing l = { 0 };
	char *want = slurp("bad-txn.nft");

	cfg_init(c);
	rule_own(c, "a", 1, "", FW_FAMILY_INET, FW_HOOK_OUTPUT, 0);
	rule_in(c, "b", 1, "tcp dport foo", FW_PLACE_APPEND, FW_FAMILY_INET,
		"filter", "input");
	rule_in(c, "c", 1, "ip saddr 1.2.3.4.5", FW_PLACE_INSERT,
		FW_FAMILY_INET, "filter", "input");
	listing_load(&l, "empty.json");
	build_ok(t, c, &l, NULL);
	ck_assert_str_eq(t->text, want);
	free(want);
	nft_listing_free(&l);
}

START_TEST(test_error_two_rules)
{
	struct config c;
	struct nft_txn t;
	char *e = slurp("bad-txn.err");
	char out[1024];
	unsigned int lines[4];

	bad_txn(&c, &t);
	ck_assert_uint_eq(nft_error_lines(e, "bad-txn.nft", lines, 4), 2);
	ck_assert_uint_eq(lines[0], 4);
	ck_assert_uint_eq(lines[1], 5);
	ck_assert_int_eq(nft_error_explain(e, "bad-txn.nft", &t, &c, out,
					   sizeof(out)), 2);
	ck_assert_str_eq(out,
		"rule 'c': Error: syntax error, unexpected counter\n"
		"insert rule inet filter input ip saddr 1.2.3.4.5 counter log "
		"group 1 comment \"nflogd:c\"\n"
		"                                                 ^^^^^^^\n"
		"rule 'b': Error: Could not resolve service: Servname not "
		"supported for ai_socktype\n"
		"add rule inet filter input tcp dport foo counter log group 1 "
		"comment \"nflogd:b\"\n"
		"                                     ^^^");
	/* truncated, still terminated */
	ck_assert_int_eq(nft_error_explain(e, "bad-txn.nft", &t, &c, out, 20),
			 2);
	ck_assert_str_eq(out, "rule 'c': Error: sy");
	/* another path: nothing located */
	ck_assert_uint_eq(nft_error_lines(e, "/dev/stdin", lines, 4), 0);
	ck_assert_int_eq(nft_error_explain(e, "/dev/stdin", &t, &c, out,
					   sizeof(out)), 0);
	ck_assert(strncmp(out, "nft: bad-txn.nft:4:50-56: Error: syntax",
			  39) == 0);
	nft_txn_free(&t);
	free(e);
}
END_TEST

START_TEST(test_error_deletion)
{
	struct config c;
	struct nft_txn t;
	char *e = slurp("vanished.err");
	char out[512];

	/* a script of the same shape: line 3 is a deletion */
	memset(&t, 0, sizeof(t));
	int map[4] = { 0, 0, -1, 0 };
	t.line_rule = map;
	t.n_lines = 4;
	cfg_init(&c);
	rule_own(&c, "a", 1, "", FW_FAMILY_INET, FW_HOOK_OUTPUT, 0);
	ck_assert_int_eq(nft_error_explain(e, "vanished.nft", &t, &c, out,
					   sizeof(out)), 0);
	ck_assert_str_eq(out,
		"nft: Error: Could not process rule: No such file or directory\n"
		"delete rule inet filter input handle 999\n"
		"                                     ^^^");
	/* a line beyond the script (nft's own confusion) names no rule */
	t.n_lines = 2;
	ck_assert_int_eq(nft_error_explain(e, "vanished.nft", &t, &c, out,
					   sizeof(out)), 0);
	ck_assert(strncmp(out, "nft: Error:", 11) == 0);
	free(e);
}
END_TEST

START_TEST(test_error_no_location)
{
	char out[256];
	unsigned int lines[2];

	ck_assert_int_eq(nft_error_explain("Error: Could not process rule: "
					   "Operation not permitted\n\n",
					   "/proc/self/fd/5", NULL, NULL, out,
					   sizeof(out)), 0);
	ck_assert_str_eq(out, "nft: Error: Could not process rule: "
			 "Operation not permitted");
	ck_assert_int_eq(nft_error_explain("", "x", NULL, NULL, out,
					   sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(nft_error_explain(NULL, "x", NULL, NULL, out,
					   sizeof(out)), 0);
	/* near misses of a header */
	ck_assert_uint_eq(nft_error_lines("x:0:1: Error\nx:a: Error\nxy:3: E\n"
					  "x:99999999999: E\n", "x", lines, 2),
			  0);
	ck_assert_uint_eq(nft_error_lines("x:3:1-2: E\nx:4:1-2: E\nx:5:1: E\n",
					  "x", lines, 2), 2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fw_nft_text");
	TCase *tc = tcase_create("stmt");

	tcase_add_loop_test(tc, test_stmt, 0,
			    sizeof(stmt_cases) / sizeof(stmt_cases[0]));
	tcase_add_test(tc, test_stmt_combinations);
	tcase_add_test(tc, test_stmt_refused);
	tcase_add_loop_test(tc, test_own_chain_name, 0,
			    sizeof(chain_cases) / sizeof(chain_cases[0]));
	tcase_add_test(tc, test_config_chains);
	suite_add_tcase(s, tc);

	tc = tcase_create("listing");
	tcase_add_test(tc, test_listing_host);
	tcase_add_test(tc, test_listing_chains_add_up);
	tcase_add_test(tc, test_listing_other_tag);
	tcase_add_loop_test(tc, test_listing_bad, 0,
			    sizeof(bad_json) / sizeof(bad_json[0]));
	tcase_add_test(tc, test_listing_odd_items);
	tcase_add_test(tc, test_listing_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("plan");
	tcase_add_test(tc, test_plan_first_start_empty);
	tcase_add_test(tc, test_plan_first_start_leftovers);
	tcase_add_loop_test(tc, test_plan_reload, 0,
			    sizeof(plan_cases) / sizeof(plan_cases[0]));
	tcase_add_test(tc, test_plan_kernel_rule_edited);
	tcase_add_test(tc, test_plan_own_chain_redone);
	tcase_add_test(tc, test_plan_refused);
	tcase_add_test(tc, test_plan_remove);
	tcase_add_test(tc, test_plan_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_error_two_rules);
	tcase_add_test(tc, test_error_deletion);
	tcase_add_test(tc, test_error_no_location);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
