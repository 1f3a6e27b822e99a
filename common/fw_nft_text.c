/* fw_nft_text: nftables statements, listings, transactions and errors.
 *
 * Insert ordering: rules placed with "insert" in one chain are written as
 * `insert rule` commands in REVERSE configuration order in the same
 * transaction, each landing at the top of the chain, so the chain starts
 * with them in configuration order.  Positions relative to handles would
 * need the handle of a rule added earlier in the same transaction, which
 * nft's text cannot name; reverse order needs nothing.
 */
#include "fw_nft_text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* ---- statements -------------------------------------------------------- */

int nft_rule_stmt(const struct config *c, const struct config_rule *r,
		  char *buf, size_t size, char *err, size_t errlen)
{
	const struct config_fw_rule *f = &r->fw;
	const char *bad;
	size_t n = 0;
	int w;

	bad = strpbrk(r->prefix, "\"$");
	if (bad) {
		snprintf(err, errlen, "rule '%s': its prefix has '%c', which "
			 "nft cannot write in a log prefix (%s); allowed: "
			 "printable characters but '\"' and '$'", r->name, *bad,
			 *bad == '"' ? "a quoted string has no escape for it"
				     : "\"$name\" is read as a variable");
		return -EINVAL;
	}

#define PUT(...) \
	do { \
		w = snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__); \
		if (w < 0) \
			return -EINVAL; \
		n += (size_t)w; \
	} while (0)

	if (f->match[0])
		PUT("%s ", f->match);
	/* A counter before the limit too: matched - logged = what the limit
	 * suppressed. */
	if (f->limit_rate) {
		PUT("counter limit rate %" PRIu32 "/%s ", f->limit_rate,
		    config_limit_unit_name(f->limit_unit));
		if (f->limit_burst)
			PUT("burst %" PRIu32 " packets ", f->limit_burst);
	}
	PUT("counter log group %u", (unsigned int)r->group);
	if (r->prefix[0])
		PUT(" prefix \"%s\"", r->prefix);
	if (f->snaplen)
		PUT(" snaplen %" PRIu32, f->snaplen);
	if (f->queue_threshold)
		PUT(" queue-threshold %" PRIu32, f->queue_threshold);
	PUT(" comment \"%s:%s\"", c->fw.table, r->name);
#undef PUT
	if (n >= size) {
		snprintf(err, errlen, "rule '%s': its nft statement is longer "
			 "than %zu bytes", r->name, size - 1);
		return -ENOSPC;
	}
	return (int)n;
}

void nft_own_chain_name(enum fw_hook h, int prio, char *buf, size_t size)
{
	const char *hook = config_hook_name(h);

	if (prio == 0)
		snprintf(buf, size, "%s", hook);
	else if (prio < 0)
		snprintf(buf, size, "%s_m%u", hook, 0u - (unsigned int)prio);
	else
		snprintf(buf, size, "%s_p%d", hook, prio);
}

void nft_rule_chain(const struct config *c, const struct config_rule *r,
		    struct nft_chain_ref *out)
{
	memset(out, 0, sizeof(*out));
	out->family = config_family_name(r->fw.family);
	if (r->fw.place == FW_PLACE_OWN) {
		out->own = true;
		snprintf(out->table, sizeof(out->table), "%s", c->fw.table);
		nft_own_chain_name(r->fw.hook, r->fw.priority, out->chain,
				   sizeof(out->chain));
	} else {
		snprintf(out->table, sizeof(out->table), "%s", r->fw.table);
		snprintf(out->chain, sizeof(out->chain), "%s", r->fw.chain);
	}
}

static bool ref_eq(const struct nft_chain_ref *a, const struct nft_chain_ref *b)
{
	return strcmp(a->family, b->family) == 0 &&
	       strcmp(a->table, b->table) == 0 &&
	       strcmp(a->chain, b->chain) == 0;
}

unsigned int nft_config_chains(const struct config *c,
			       struct nft_chain_ref *out)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < c->n_rules; i++) {
		struct nft_chain_ref ref;
		unsigned int j;

		if (!config_rule_installed(c, &c->rules[i]))
			continue;
		nft_rule_chain(c, &c->rules[i], &ref);
		for (j = 0; j < n && !ref_eq(&out[j], &ref); j++)
			;
		if (j == n)
			out[n++] = ref;
	}
	return n;
}

/* ---- listings ---------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The signature of an expression tree.  Counter values and "used" (quota,
 * last) change while the rule is unchanged, so they are left out; a named
 * counter reference (a string) stays in. */
static uint64_t sig_walk(uint64_t h, struct json_object *o, unsigned int depth)
{
	enum json_type t = json_object_get_type(o);
	const char *s;

	h = fnv(h, &(char){ (char)('0' + t) }, 1);
	if (depth > 64)         /* nft never nests this deep */
		return h;
	switch (t) {
	case json_type_object:
	{
		/* the iterator API, not json_object_object_foreach: that
		 * macro does not compile in every compiler mode (clang's
		 * fuzz build) */
		struct json_object_iterator it = json_object_iter_begin(o);
		struct json_object_iterator end = json_object_iter_end(o);

		for (; !json_object_iter_equal(&it, &end);
		     json_object_iter_next(&it)) {
			const char *key = json_object_iter_peek_name(&it);
			struct json_object *val = json_object_iter_peek_value(&it);

			h = fnv(h, key, strlen(key) + 1);
			if (strcmp(key, "used") == 0 ||
			    (strcmp(key, "counter") == 0 &&
			     json_object_is_type(val, json_type_object)))
				continue;
			h = sig_walk(h, val, depth + 1);
		}
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			h = sig_walk(h, json_object_array_get_idx(o, i),
				     depth + 1);
		break;
	case json_type_null:
		break;
	default:
		s = json_object_get_string(o);
		h = fnv(h, s, strlen(s) + 1);
		break;
	}
	return h;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool jint(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

static uint64_t juint(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_uint64(v);
}

static void cpy(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s ? s : "");
}

static int grow(void **p, unsigned int *cap, unsigned int n, size_t elem)
{
	void *q;
	unsigned int nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	q = realloc(*p, (size_t)nc * elem);
	if (!q)
		return -ENOMEM;
	memset((char *)q + (size_t)*cap * elem, 0, (size_t)(nc - *cap) * elem);
	*p = q;
	*cap = nc;
	return 0;
}

static int find_chain(const struct nft_listing *l, unsigned int from,
		      const char *family, const char *table, const char *name)
{
	for (unsigned int i = from; i < l->n_chains; i++) {
		const struct nft_kchain *k = &l->chains[i];

		if (strcmp(k->name, name) == 0 && strcmp(k->table, table) == 0 &&
		    strcmp(k->family, family) == 0)
			return (int)i;
	}
	return -1;
}

static int add_chain(struct nft_listing *l, unsigned int from,
		     const char *family, const char *table, const char *name,
		     bool own)
{
	int i = find_chain(l, from, family, table, name);
	struct nft_kchain *k;

	if (i >= 0)
		return i;
	if (grow((void **)&l->chains, &l->cap_chains, l->n_chains,
		 sizeof(*l->chains)) < 0)
		return -ENOMEM;
	k = &l->chains[l->n_chains];
	memset(k, 0, sizeof(*k));
	cpy(k->family, sizeof(k->family), family);
	cpy(k->table, sizeof(k->table), table);
	cpy(k->name, sizeof(k->name), name);
	k->own = own;
	return (int)l->n_chains++;
}

/* The comment names one of nflogd's rules: "<table>:<name>". */
static const char *tag_name(const char *comment, const char *table)
{
	size_t n = strlen(table);

	if (!comment || strncmp(comment, table, n) != 0 || comment[n] != ':')
		return NULL;
	return comment + n + 1;
}

static void parse_counters(struct nft_krule *k, struct json_object *expr)
{
	for (size_t i = 0; i < json_object_array_length(expr); i++) {
		struct json_object *e = json_object_array_get_idx(expr, i), *ctr;

		if (!json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "counter", &ctr) ||
		    !json_object_is_type(ctr, json_type_object))
			continue;
		if (k->n_counters >= NFT_MAX_COUNTERS)   /* keep the last ones */
			memmove(&k->ctr[0], &k->ctr[1],
				sizeof(k->ctr[0]) * (NFT_MAX_COUNTERS - 1));
		unsigned int j = k->n_counters < NFT_MAX_COUNTERS ?
				 k->n_counters : NFT_MAX_COUNTERS - 1;
		k->ctr[j].packets = juint(ctr, "packets");
		k->ctr[j].bytes = juint(ctr, "bytes");
		k->n_counters++;
	}
}

/* Two passes over the array: the first finds the chains that matter (own
 * tables' chains and chains with a tagged rule), the second fills them in
 * and counts every rule of theirs, so a tagged rule knows its position. */
static int parse_items(struct nft_listing *l, struct json_object *arr,
		       const char *table)
{
	unsigned int first = l->n_chains;
	size_t n = json_object_array_length(arr);

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			struct json_object *it = json_object_array_get_idx(arr, i);
			struct json_object *o;
			const char *fam, *tab, *name;
			int64_t v;
			int ci;

			if (!json_object_is_type(it, json_type_object))
				continue;
			if (pass == 0 && json_object_object_get_ex(it, "table", &o)) {
				fam = jstr(o, "family");
				name = jstr(o, "name");
				if (!fam || !name || strcmp(name, table) != 0)
					continue;
				if (grow((void **)&l->tables, &l->cap_tables,
					 l->n_tables, sizeof(*l->tables)) < 0)
					return -ENOMEM;
				struct nft_ktable *kt = &l->tables[l->n_tables++];
				cpy(kt->family, sizeof(kt->family), fam);
				cpy(kt->name, sizeof(kt->name), name);
				kt->handle = juint(o, "handle");
			} else if (json_object_object_get_ex(it, "chain", &o)) {
				fam = jstr(o, "family");
				tab = jstr(o, "table");
				name = jstr(o, "name");
				if (!fam || !tab || !name)
					continue;
				if (pass == 0) {
					if (strcmp(tab, table) == 0 &&
					    add_chain(l, first, fam, tab, name,
						      true) < 0)
						return -ENOMEM;
					continue;
				}
				ci = find_chain(l, first, fam, tab, name);
				if (ci < 0)
					continue;
				struct nft_kchain *k = &l->chains[ci];
				k->handle = juint(o, "handle");
				cpy(k->type, sizeof(k->type), jstr(o, "type"));
				cpy(k->hook, sizeof(k->hook), jstr(o, "hook"));
				cpy(k->policy, sizeof(k->policy), jstr(o, "policy"));
				k->prio = jint(o, "prio", &v) ? (int)v : 0;
			} else if (json_object_object_get_ex(it, "rule", &o)) {
				struct json_object *expr = NULL;
				const char *tag;

				fam = jstr(o, "family");
				tab = jstr(o, "table");
				name = jstr(o, "chain");
				if (!fam || !tab || !name)
					continue;
				tag = tag_name(jstr(o, "comment"), table);
				if (pass == 0) {
					if (tag && add_chain(l, first, fam, tab, name,
							     strcmp(tab, table) == 0) < 0)
						return -ENOMEM;
					continue;
				}
				ci = find_chain(l, first, fam, tab, name);
				if (ci < 0)
					continue;
				unsigned int pos = l->chains[ci].n_rules++;
				if (!tag)
					continue;
				if (grow((void **)&l->rules, &l->cap_rules,
					 l->n_rules, sizeof(*l->rules)) < 0)
					return -ENOMEM;
				struct nft_krule *k = &l->rules[l->n_rules++];
				memset(k, 0, sizeof(*k));
				k->chain = (unsigned int)ci;
				k->pos = pos;
				k->handle = juint(o, "handle");
				cpy(k->name, sizeof(k->name), tag);
				json_object_object_get_ex(o, "expr", &expr);
				k->sig = sig_walk(0xcbf29ce484222325ULL, expr, 0);
				if (k->sig == 0)   /* 0 means "unknown" in a memo */
					k->sig = 1;
				if (expr && json_object_is_type(expr, json_type_array))
					parse_counters(k, expr);
			}
		}
	}
	return 0;
}

int nft_listing_parse(struct nft_listing *l, const char *json,
		      const char *table, char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root, *arr;
	int r;

	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, json, (int)strlen(json));
	if (!root) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		if (e == json_tokener_continue)
			snprintf(err, errlen, "nft's JSON listing ends early, "
				 "at byte %zu", strlen(json));
		else
			snprintf(err, errlen, "nft's JSON listing is not JSON: "
				 "%s at byte %zu", json_tokener_error_desc(e),
				 json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		return -EINVAL;
	}
	json_tokener_free(tok);
	if (!json_object_object_get_ex(root, "nftables", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		snprintf(err, errlen, "nft's JSON listing has no \"nftables\" "
			 "array");
		json_object_put(root);
		return -EINVAL;
	}
	r = parse_items(l, arr, table);
	json_object_put(root);
	if (r < 0)
		snprintf(err, errlen, "out of memory parsing nft's listing");
	return r;
}

void nft_listing_free(struct nft_listing *l)
{
	if (!l)
		return;
	free(l->tables);
	free(l->chains);
	free(l->rules);
	memset(l, 0, sizeof(*l));
}

static bool chain_is(const struct nft_kchain *k,
		     const struct nft_chain_ref *ref)
{
	return strcmp(k->family, ref->family) == 0 &&
	       strcmp(k->table, ref->table) == 0 &&
	       strcmp(k->name, ref->chain) == 0;
}

const struct nft_krule *nft_listing_find(const struct nft_listing *l,
					 const struct nft_chain_ref *ref,
					 const char *name)
{
	for (unsigned int i = 0; i < l->n_rules; i++) {
		const struct nft_krule *k = &l->rules[i];

		if (strcmp(k->name, name) == 0 &&
		    chain_is(&l->chains[k->chain], ref))
			return k;
	}
	return NULL;
}

void nft_krule_counters(const struct nft_krule *k, bool limited,
			uint64_t *packets, uint64_t *bytes, uint64_t *matched)
{
	unsigned int n = k->n_counters < NFT_MAX_COUNTERS ? k->n_counters
							  : NFT_MAX_COUNTERS;

	*packets = *bytes = *matched = 0;
	if (n == 0)
		return;
	*packets = k->ctr[n - 1].packets;
	*bytes = k->ctr[n - 1].bytes;
	*matched = limited && n >= 2 ? k->ctr[n - 2].packets : *packets;
}

/* ---- transactions ------------------------------------------------------ */

__attribute__((format(printf, 3, 4)))
static int txn_line(struct nft_txn *t, int rule, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (grow((void **)&t->line_rule, &t->cap_lines, t->n_lines,
		 sizeof(*t->line_rule)) < 0)
		return -ENOMEM;
	for (;;) {
		size_t room = t->cap - t->len;

		va_start(ap, fmt);
		w = vsnprintf(t->text ? t->text + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (w < 0)
			return -EINVAL;
		if ((size_t)w + 2 <= room)
			break;
		size_t nc = t->cap ? t->cap * 2 : 4096;
		while (nc - t->len < (size_t)w + 2)
			nc *= 2;
		char *p = realloc(t->text, nc);
		if (!p)
			return -ENOMEM;
		t->text = p;
		t->cap = nc;
	}
	t->len += (size_t)w;
	t->text[t->len++] = '\n';
	t->text[t->len] = '\0';
	t->line_rule[t->n_lines++] = rule;
	return 0;
}

static int txn_init(struct nft_txn *t)
{
	memset(t, 0, sizeof(*t));
	t->text = malloc(4096);
	if (!t->text)
		return -ENOMEM;
	t->cap = 4096;
	t->text[0] = '\0';
	return 0;
}

void nft_txn_free(struct nft_txn *t)
{
	if (!t)
		return;
	free(t->text);
	free(t->line_rule);
	memset(t, 0, sizeof(*t));
}

static const struct nft_memo_rule *memo_find(const struct nft_memo *m,
					     const char *name)
{
	if (!m)
		return NULL;
	for (unsigned int i = 0; i < m->n; i++)
		if (strcmp(m->r[i].name, name) == 0)
			return &m->r[i];
	return NULL;
}

struct build {
	struct nft_txn *t;
	const struct config *c;
	const struct nft_listing *cur;
	const struct nft_memo *memo;
	char (*stmt)[NFT_STMT_MAX];
	struct nft_chain_ref ref[CONFIG_MAX_RULES];
	bool *chain_done;       /* per listing chain: handled */
};

/* The kernel rule is the one applied last for rule ri, unchanged. */
static bool same_rule(const struct build *b, const struct nft_krule *k,
		      unsigned int ri)
{
	const struct config_rule *r = &b->c->rules[ri];
	const struct nft_memo_rule *m = memo_find(b->memo, r->name);

	return strcmp(k->name, r->name) == 0 && m &&
	       strcmp(m->stmt, b->stmt[ri]) == 0 && m->sig == k->sig;
}

/* Chain kc holds exactly the wanted rules, inserts at its top and appends
 * at its end, each in configuration order. */
static bool chain_exact(const struct build *b, int kc, const unsigned int *ins,
			unsigned int n_ins, const unsigned int *app,
			unsigned int n_app)
{
	const struct nft_listing *l = b->cur;
	unsigned int n_k = 0, total = l->chains[kc].n_rules;

	for (unsigned int i = 0; i < l->n_rules; i++) {
		const struct nft_krule *k = &l->rules[i];
		unsigned int ri, want_pos;

		if (k->chain != (unsigned int)kc)
			continue;
		if (n_k < n_ins) {
			ri = ins[n_k];
			want_pos = n_k;
		} else if (n_k < n_ins + n_app) {
			ri = app[n_k - n_ins];
			want_pos = total - n_app + (n_k - n_ins);
		} else {
			return false;
		}
		if (k->pos != want_pos || !same_rule(b, k, ri))
			return false;
		n_k++;
	}
	return n_k == n_ins + n_app;
}

static int del_tagged_rules(struct build *b, int kc)
{
	const struct nft_listing *l = b->cur;
	const struct nft_kchain *ch = &l->chains[kc];
	int r;

	for (unsigned int i = 0; i < l->n_rules; i++) {
		if (l->rules[i].chain != (unsigned int)kc)
			continue;
		r = txn_line(b->t, -1, "delete rule %s %s %s handle %" PRIu64,
			     ch->family, ch->table, ch->name, l->rules[i].handle);
		if (r < 0)
			return r;
		b->t->n_del++;
	}
	return 0;
}

static int kchain_of(const struct nft_listing *l,
		     const struct nft_chain_ref *ref)
{
	for (unsigned int i = 0; i < l->n_chains; i++)
		if (chain_is(&l->chains[i], ref))
			return (int)i;
	return -1;
}

static bool own_chain_def_ok(const struct nft_kchain *k,
			     const struct config_rule *r)
{
	return strcmp(k->type, "filter") == 0 &&
	       strcmp(k->hook, config_hook_name(r->fw.hook)) == 0 &&
	       k->prio == r->fw.priority && strcmp(k->policy, "accept") == 0;
}

static bool own_table_wanted(const struct build *b, const char *family)
{
	for (unsigned int i = 0; i < b->c->n_rules; i++)
		if (config_rule_installed(b->c, &b->c->rules[i]) &&
		    b->ref[i].own && strcmp(b->ref[i].family, family) == 0)
			return true;
	return false;
}

static bool own_table_present(const struct nft_listing *l, const char *family)
{
	for (unsigned int i = 0; i < l->n_tables; i++)
		if (strcmp(l->tables[i].family, family) == 0)
			return true;
	return false;
}

static int add_own_chain(struct build *b, unsigned int first)
{
	const struct config_rule *r = &b->c->rules[first];
	const struct nft_chain_ref *ref = &b->ref[first];

	return txn_line(b->t, (int)first, "add chain %s %s %s { type filter "
			"hook %s priority %d; policy accept; }", ref->family,
			ref->table, ref->chain, config_hook_name(r->fw.hook),
			r->fw.priority);
}

/* One wanted chain: kept as it is, or its nflogd rules replaced. */
static int build_chain(struct build *b, const struct nft_chain_ref *ref)
{
	const struct config *c = b->c;
	unsigned int ins[CONFIG_MAX_RULES], app[CONFIG_MAX_RULES];
	unsigned int n_ins = 0, n_app = 0, first = 0;
	int kc = kchain_of(b->cur, ref);
	int r;

	for (unsigned int i = c->n_rules; i-- > 0;) {
		if (!config_rule_installed(c, &c->rules[i]) ||
		    !ref_eq(&b->ref[i], ref))
			continue;
		first = i;
	}
	for (unsigned int i = 0; i < c->n_rules; i++) {
		if (!config_rule_installed(c, &c->rules[i]) ||
		    !ref_eq(&b->ref[i], ref))
			continue;
		if (c->rules[i].fw.place == FW_PLACE_INSERT)
			ins[n_ins++] = i;
		else
			app[n_app++] = i;
	}
	if (kc >= 0)
		b->chain_done[kc] = true;

	if (ref->own) {
		const struct nft_kchain *k = kc >= 0 ? &b->cur->chains[kc] : NULL;

		/* only nflogd's rules in it: it must only log */
		if (k && own_chain_def_ok(k, &c->rules[first]) &&
		    k->n_rules == n_app && chain_exact(b, kc, ins, 0, app, n_app)) {
			b->t->n_chains_kept++;
			return 0;
		}
		if (k && own_chain_def_ok(k, &c->rules[first])) {
			/* Untagged rules in nflogd's own chain go too: it is
			 * nflogd's, and must only log. */
			r = txn_line(b->t, (int)first, "flush chain %s %s %s",
				     k->family, k->table, k->name);
		} else {
			r = 0;
			if (k)
				r = txn_line(b->t, (int)first, "delete chain %s "
					     "%s handle %" PRIu64, k->family,
					     k->table, k->handle);
			if (r == 0)
				r = add_own_chain(b, first);
		}
		if (r < 0)
			return r;
	} else {
		if (kc >= 0 && chain_exact(b, kc, ins, n_ins, app, n_app)) {
			b->t->n_chains_kept++;
			return 0;
		}
		if (kc >= 0 && (r = del_tagged_rules(b, kc)) < 0)
			return r;
	}
	for (unsigned int j = n_ins; j-- > 0;) {
		unsigned int i = ins[j];

		r = txn_line(b->t, (int)i, "insert rule %s %s %s %s",
			     ref->family, ref->table, ref->chain, b->stmt[i]);
		if (r < 0)
			return r;
		b->t->n_add++;
	}
	for (unsigned int j = 0; j < n_app; j++) {
		unsigned int i = app[j];

		r = txn_line(b->t, (int)i, "add rule %s %s %s %s",
			     ref->family, ref->table, ref->chain, b->stmt[i]);
		if (r < 0)
			return r;
		b->t->n_add++;
	}
	return 0;
}

static int build_all(struct build *b, char *err, size_t errlen)
{
	const struct config *c = b->c;
	const struct nft_listing *l = b->cur;
	struct nft_chain_ref chains[CONFIG_MAX_RULES];
	unsigned int n_chains;
	int r;

	for (unsigned int i = 0; i < c->n_rules; i++) {
		const struct config_rule *cr = &c->rules[i];

		if (!config_rule_installed(c, cr))
			continue;
		nft_rule_chain(c, cr, &b->ref[i]);
		if (!b->ref[i].own && strcmp(cr->fw.table, c->fw.table) == 0) {
			snprintf(err, errlen, "rule '%s': table %s is nflogd's "
				 "own (firewall.table), which nflogd deletes "
				 "when it needs no chain in it; allowed: a "
				 "chain of another table, or hook= for "
				 "nflogd's own chain", cr->name, cr->fw.table);
			return -EINVAL;
		}
		r = nft_rule_stmt(c, cr, b->stmt[i], NFT_STMT_MAX, err, errlen);
		if (r < 0)
			return r;
	}

	/* nflogd's own tables: one per family that has own chains. */
	for (unsigned int i = 0; i < l->n_tables; i++) {
		if (own_table_wanted(b, l->tables[i].family))
			continue;
		r = txn_line(b->t, -1, "delete table %s handle %" PRIu64,
			     l->tables[i].family, l->tables[i].handle);
		if (r < 0)
			return r;
		b->t->n_del++;
	}
	for (unsigned int i = 0; i < c->n_rules; i++) {
		bool seen = false;

		if (!config_rule_installed(c, &c->rules[i]) || !b->ref[i].own ||
		    own_table_present(l, b->ref[i].family))
			continue;
		for (unsigned int j = 0; j < i && !seen; j++)
			seen = config_rule_installed(c, &c->rules[j]) &&
			       b->ref[j].own &&
			       strcmp(b->ref[j].family, b->ref[i].family) == 0;
		if (!seen && (r = txn_line(b->t, (int)i, "add table %s %s",
					   b->ref[i].family, c->fw.table)) < 0)
			return r;
	}

	n_chains = nft_config_chains(c, chains);
	for (unsigned int i = 0; i < n_chains; i++)
		if ((r = build_chain(b, &chains[i])) < 0)
			return r;

	/* What is left: chains with nflogd's rules that no rule wants now. */
	for (unsigned int i = 0; i < l->n_chains; i++) {
		const struct nft_kchain *k = &l->chains[i];

		if (b->chain_done[i])
			continue;
		if (k->own) {
			/* in a table that stays (else it went whole) */
			if (!own_table_wanted(b, k->family))
				continue;
			r = txn_line(b->t, -1, "delete chain %s %s handle %" PRIu64,
				     k->family, k->table, k->handle);
			if (r == 0)
				b->t->n_del++;
		} else {
			r = del_tagged_rules(b, (int)i);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int nft_txn_build(struct nft_txn *t, const struct config *c,
		  const struct nft_listing *cur, const struct nft_memo *memo,
		  char *err, size_t errlen)
{
	struct build *b;
	int r;

	if (txn_init(t) < 0)
		goto nomem;
	b = calloc(1, sizeof(*b));
	if (!b)
		goto nomem;
	b->stmt = calloc(c->n_rules ? c->n_rules : 1, NFT_STMT_MAX);
	b->chain_done = calloc(cur->n_chains ? cur->n_chains : 1, sizeof(bool));
	if (!b->stmt || !b->chain_done) {
		free(b->stmt);
		free(b->chain_done);
		free(b);
		goto nomem;
	}
	b->t = t;
	b->c = c;
	b->cur = cur;
	b->memo = memo;
	r = build_all(b, err, errlen);
	free(b->stmt);
	free(b->chain_done);
	free(b);
	if (r < 0) {
		nft_txn_free(t);
		if (r == -ENOMEM)
			goto nomem;
		return r;
	}
	return 0;
nomem:
	nft_txn_free(t);
	snprintf(err, errlen, "out of memory building the nft transaction");
	return -ENOMEM;
}

int nft_txn_build_remove(struct nft_txn *t, const struct nft_listing *cur)
{
	int r;

	if (txn_init(t) < 0)
		return -ENOMEM;
	for (unsigned int i = 0; i < cur->n_tables; i++) {
		r = txn_line(t, -1, "delete table %s handle %" PRIu64,
			     cur->tables[i].family, cur->tables[i].handle);
		if (r < 0)
			goto fail;
		t->n_del++;
	}
	for (unsigned int i = 0; i < cur->n_rules; i++) {
		const struct nft_krule *k = &cur->rules[i];
		const struct nft_kchain *ch = &cur->chains[k->chain];

		if (ch->own)
			continue;
		r = txn_line(t, -1, "delete rule %s %s %s handle %" PRIu64,
			     ch->family, ch->table, ch->name, k->handle);
		if (r < 0)
			goto fail;
		t->n_del++;
	}
	return 0;
fail:
	nft_txn_free(t);
	return r;
}

void nft_memo_update(struct nft_memo *m, const struct config *c,
		     const struct nft_listing *cur)
{
	char err[8];

	memset(m, 0, sizeof(*m));
	for (unsigned int i = 0; i < c->n_rules; i++) {
		const struct config_rule *r = &c->rules[i];
		struct nft_memo_rule *mr;
		struct nft_chain_ref ref;
		const struct nft_krule *k;

		if (!config_rule_installed(c, r))
			continue;
		mr = &m->r[m->n++];
		cpy(mr->name, sizeof(mr->name), r->name);
		if (nft_rule_stmt(c, r, mr->stmt, sizeof(mr->stmt), err,
				  sizeof(err)) < 0)
			mr->stmt[0] = '\0';
		nft_rule_chain(c, r, &ref);
		k = nft_listing_find(cur, &ref, r->name);
		mr->sig = k ? k->sig : 0;
	}
}

/* ---- errors ------------------------------------------------------------ */

/* "path:LINE:" at the start of s: LINE, and *msg after "path:LINE:COLS: ". */
static unsigned int header_line(const char *s, const char *path,
				const char **msg)
{
	size_t n = strlen(path);
	const char *nl, *colon;
	unsigned long line;
	char *end;

	if (!path[0] || strncmp(s, path, n) != 0 || s[n] != ':' ||
	    s[n + 1] < '0' || s[n + 1] > '9')
		return 0;
	line = strtoul(s + n + 1, &end, 10);
	if (*end != ':' || line == 0 || line > 1000000)
		return 0;
	nl = strchr(end, '\n');
	colon = strstr(end + 1, ": ");
	*msg = colon && (!nl || colon < nl) ? colon + 2 : end + 1;
	return (unsigned int)line;
}

unsigned int nft_error_lines(const char *errtext, const char *path,
			     unsigned int *lines, unsigned int max)
{
	unsigned int n = 0;
	const char *msg;

	for (const char *s = errtext; s && *s;) {
		unsigned int line = header_line(s, path, &msg);

		if (line && n < max)
			lines[n++] = line;
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return n;
}

struct out {
	char *buf;
	size_t size, len;
};

static void out_put(struct out *o, const char *s, size_t n)
{
	if (o->len + 1 >= o->size)
		return;
	if (n > o->size - o->len - 1)
		n = o->size - o->len - 1;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void out_str(struct out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

int nft_error_explain(const char *errtext, const char *path,
		      const struct nft_txn *t, const struct config *c,
		      char *out, size_t size)
{
	struct out o = { out, size, 0 };
	int n_rule = 0;
	bool open = false;      /* a block has started */
	const char *s = errtext ? errtext : "";

	if (size)
		out[0] = '\0';
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		const char *msg;
		unsigned int line = header_line(s, path, &msg);

		if (line || !open) {
			int ri = line && t && line <= t->n_lines ?
				 t->line_rule[line - 1] : -1;
			char head[64 + CONFIG_NAME_MAX];

			if (open)
				out_str(&o, "\n");
			if (ri >= 0 && c && (unsigned int)ri < c->n_rules) {
				snprintf(head, sizeof(head), "rule '%s': ",
					 c->rules[ri].name);
				n_rule++;
			} else {
				snprintf(head, sizeof(head), "nft: ");
			}
			out_str(&o, head);
			if (!line)
				msg = s;
			out_put(&o, msg, n - (size_t)(msg - s));
			open = true;
		} else if (n > 0) {
			out_str(&o, "\n");
			out_put(&o, s, n);
		}
		s = nl ? nl + 1 : s + n;
	}
	/* trailing blank lines of nft's text carry nothing */
	while (o.len && o.buf[o.len - 1] == '\n')
		o.buf[--o.len] = '\0';
	return n_rule;
}
