/* fw_ipt_text: iptables-restore input, iptables-save listings, plans and
 * error lines (see fw_ipt_text.h; the lifecycle is in daemon/fw_ipt.c).
 *
 * Quoting: iptables-save prints a string argument bare when it is only
 * [A-Za-z0-9_-], else in double quotes with '"', '\' and '\'' escaped by
 * a backslash; iptables-restore reads a backslash inside double quotes as
 * "take the next character".  nflogd writes every string quoted, escaping
 * '"' and '\', and reads both forms.
 */
#include "fw_ipt_text.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* legacy NFLOG keeps 63 characters of --nflog-prefix */
#define IPT_PREFIX_MAX 63
#define IPT_CHAIN_LEN_MAX 28

/* ---- names ------------------------------------------------------------- */

const char *ipt_family_name(enum ipt_family f)
{
	return f == IPT_IP6 ? "ip6" : "ip";
}

const char *ipt_restore_tool(enum ipt_family f)
{
	return f == IPT_IP6 ? "ip6tables-restore" : "iptables-restore";
}

const char *ipt_save_tool(enum ipt_family f)
{
	return f == IPT_IP6 ? "ip6tables-save" : "iptables-save";
}

bool ipt_rule_in_family(const struct config *c, const struct config_rule *r,
			enum ipt_family f)
{
	if (!config_rule_installed(c, r))
		return false;
	switch (r->fw.family) {
	case FW_FAMILY_INET:
		return true;
	case FW_FAMILY_IP:
		return f == IPT_IP;
	case FW_FAMILY_IP6:
		return f == IPT_IP6;
	case FW_FAMILY_BRIDGE:
		break;
	}
	return false;
}

static const char *const hook_chains[] = {
	"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING",
};
_Static_assert(ARRAY_LEN(hook_chains) == FW_HOOK_POSTROUTING + 1,
	       "hook_chains");

const char *ipt_hook_chain(enum fw_hook h)
{
	return (unsigned int)h < ARRAY_LEN(hook_chains) ? hook_chains[h] : "?";
}

const char *ipt_own_table(enum fw_hook h)
{
	return h == FW_HOOK_PREROUTING || h == FW_HOOK_POSTROUTING ? "mangle"
								   : "filter";
}

int ipt_own_chain(const char *fw_table, enum fw_hook h, char *buf,
		  size_t size)
{
	const char *hc = ipt_hook_chain(h);
	size_t n = strlen(fw_table), m = strlen(hc);

	if (n + 1 + m > IPT_CHAIN_LEN_MAX || n + 1 + m >= size)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)toupper((unsigned char)fw_table[i]);
	buf[n] = '-';
	memcpy(buf + n + 1, hc, m + 1);
	return 0;
}

/* table/chain is one of the own chains of tag table `tag`. */
static bool is_own_chain(const char *tag, const char *table, const char *chain)
{
	char own[IPT_NAME_MAX];

	for (int h = FW_HOOK_PREROUTING; h <= FW_HOOK_POSTROUTING; h++)
		if (strcmp(table, ipt_own_table((enum fw_hook)h)) == 0 &&
		    ipt_own_chain(tag, (enum fw_hook)h, own, sizeof(own)) == 0 &&
		    strcmp(chain, own) == 0)
			return true;
	return false;
}

static int copy_name(char dst[IPT_NAME_MAX], const char *src)
{
	size_t n = strlen(src);

	if (n >= IPT_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

int ipt_rule_chain(const struct config *c, const struct config_rule *r,
		   char table[IPT_NAME_MAX], char chain[IPT_NAME_MAX])
{
	if (r->fw.place == FW_PLACE_OWN) {
		strcpy(table, ipt_own_table(r->fw.hook));
		return ipt_own_chain(c->fw.table, r->fw.hook, chain,
				     IPT_NAME_MAX);
	}
	if (copy_name(table, r->fw.table) < 0 ||
	    copy_name(chain, r->fw.chain) < 0)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- rules ------------------------------------------------------------- */

struct out {
	char *buf;
	size_t size, n;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	if (o->n < o->size)
		w = vsnprintf(o->buf + o->n, o->size - o->n, fmt, ap);
	else
		w = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (w > 0)
		o->n += (size_t)w;
}

/* s in double quotes, '"' and '\' escaped (iptables-restore's reading). */
static void put_quoted(struct out *o, const char *s)
{
	put(o, "\"");
	for (; *s; s++)
		put(o, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
	put(o, "\"");
}

static const char *const limit_units[] = { "second", "minute", "hour", "day" };
_Static_assert(ARRAY_LEN(limit_units) == LIMIT_DAY + 1, "limit_units");

int ipt_rule_spec(const struct config *c, const struct config_rule *r,
		  char *buf, size_t size)
{
	const struct config_fw_rule *f = &r->fw;
	struct out o = { buf, size, 0 };
	const char *m = f->match, *e;
	char tag[CONFIG_TABLE_MAX + 1 + CONFIG_NAME_MAX];

	/* A line break would end the rule's line in the restore input and
	 * start another command: the parser refuses it, and so do we. */
	if (strpbrk(m, "\r\n"))
		return -EINVAL;
	if (strlen(r->prefix) > IPT_PREFIX_MAX)
		return -ENAMETOOLONG;
	while (*m == ' ' || *m == '\t')
		m++;
	e = m + strlen(m);
	while (e > m && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e > m)
		put(&o, "%.*s ", (int)(e - m), m);
	snprintf(tag, sizeof(tag), "%s:%s", c->fw.table, r->name);
	put(&o, "-m comment --comment ");
	put_quoted(&o, tag);
	if (f->limit_rate) {
		put(&o, " -m limit --limit %" PRIu32 "/%s", f->limit_rate,
		    (unsigned int)f->limit_unit < ARRAY_LEN(limit_units)
			    ? limit_units[f->limit_unit] : "second");
		if (f->limit_burst)
			put(&o, " --limit-burst %" PRIu32, f->limit_burst);
	}
	put(&o, " -j NFLOG --nflog-group %u", (unsigned int)r->group);
	if (r->prefix[0]) {
		put(&o, " --nflog-prefix ");
		put_quoted(&o, r->prefix);
	}
	if (f->snaplen)
		put(&o, " --nflog-size %" PRIu32, f->snaplen);
	if (f->queue_threshold)
		put(&o, " --nflog-threshold %" PRIu32, f->queue_threshold);
	if (o.n >= size)
		return -ENOSPC;
	return (int)o.n;
}

int ipt_jump_spec(const char *fw_table, const char *own, char *buf,
		  size_t size)
{
	struct out o = { buf, size, 0 };
	char tag[CONFIG_TABLE_MAX + sizeof(":" IPT_JUMP_NAME)];

	snprintf(tag, sizeof(tag), "%s:%s", fw_table, IPT_JUMP_NAME);
	put(&o, "-m comment --comment ");
	put_quoted(&o, tag);
	put(&o, " -j %s", own);
	if (o.n >= size)
		return -ENOSPC;
	return (int)o.n;
}

/* ---- listings ---------------------------------------------------------- */

/* Grow *arr (elements of size sz) to hold n + 1. */
static int grow(void *arr, unsigned int *cap, unsigned int n, size_t sz)
{
	void **p = arr;
	unsigned int nc;
	void *q;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	q = realloc(*p, (size_t)nc * sz);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = nc;
	return 0;
}

/* The next token of a rule's text as iptables-restore splits it, into
 * tok (unquoted, unescaped, truncated to size).  Returns the position
 * after it, or NULL at the end. */
static const char *next_token(const char *s, const char *end, char *tok,
			      size_t size)
{
	size_t n = 0;
	bool quoted = false;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= end)
		return NULL;
	for (; s < end; s++) {
		char ch = *s;

		if (quoted) {
			if (ch == '\\' && s + 1 < end) {
				ch = *++s;
			} else if (ch == '"') {
				quoted = false;
				continue;
			}
		} else if (ch == '"') {
			quoted = true;
			continue;
		} else if (ch == ' ' || ch == '\t') {
			break;
		}
		if (n + 1 < size)
			tok[n++] = ch;
	}
	tok[n] = '\0';
	return s;
}

/* src into dst (size > 0), cut to fit. */
static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Tag, target of a listed rule's text. */
static void classify(struct ipt_rule *r, const char *tag)
{
	const char *s = r->spec, *end = s + strlen(s);
	enum { OTHER, COMMENT, TARGET } next = OTHER;
	size_t tl = strlen(tag);
	char tok[256];

	while ((s = next_token(s, end, tok, sizeof(tok)))) {
		if (next == COMMENT && !r->tagged &&
		    strncmp(tok, tag, tl) == 0 && tok[tl] == ':') {
			r->tagged = true;
			copy_cut(r->name, sizeof(r->name), tok + tl + 1);
		} else if (next == TARGET) {
			copy_cut(r->target, sizeof(r->target), tok);
		}
		next = strcmp(tok, "--comment") == 0 ? COMMENT :
		       strcmp(tok, "-j") == 0 || strcmp(tok, "--jump") == 0
			       ? TARGET : OTHER;
	}
}

static int add_table(struct ipt_listing *l, const char *name, size_t n)
{
	for (unsigned int i = 0; i < l->n_tables; i++)
		if (strlen(l->tables[i]) == n &&
		    memcmp(l->tables[i], name, n) == 0)
			return (int)i;
	if (n == 0 || n >= IPT_NAME_MAX)
		return -EINVAL;
	if (grow(&l->tables, &l->cap_tables, l->n_tables, sizeof(*l->tables)))
		return -ENOMEM;
	memcpy(l->tables[l->n_tables], name, n);
	l->tables[l->n_tables][n] = '\0';
	return (int)l->n_tables++;
}

static int find_chain(const struct ipt_listing *l, unsigned int table,
		      const char *name, size_t n)
{
	for (unsigned int i = 0; i < l->n_chains; i++)
		if (l->chains[i].table == table &&
		    strlen(l->chains[i].name) == n &&
		    memcmp(l->chains[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

static int add_chain(struct ipt_listing *l, unsigned int table,
		     const char *name, size_t n, bool builtin)
{
	struct ipt_chain *ch;
	int i = find_chain(l, table, name, n);

	if (i >= 0)
		return i;
	if (n == 0 || n >= IPT_NAME_MAX)
		return -EINVAL;
	if (grow(&l->chains, &l->cap_chains, l->n_chains, sizeof(*l->chains)))
		return -ENOMEM;
	ch = &l->chains[l->n_chains];
	memset(ch, 0, sizeof(*ch));
	ch->table = table;
	memcpy(ch->name, name, n);
	ch->builtin = builtin;
	ch->own = is_own_chain(l->tag, l->tables[table], ch->name);
	return (int)l->n_chains++;
}

static bool parse_u64(const char **s, const char *end, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (p >= end || !isdigit((unsigned char)*p))
		return false;
	for (; p < end && isdigit((unsigned char)*p); p++) {
		if (x > (UINT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*v = x;
	return true;
}

/* "[packets:bytes]" at *s. */
static bool parse_counters(const char **s, const char *end, uint64_t *pk,
			   uint64_t *by)
{
	const char *p = *s;

	if (p >= end || *p++ != '[' || !parse_u64(&p, end, pk) ||
	    p >= end || *p++ != ':' || !parse_u64(&p, end, by) || p >= end ||
	    *p++ != ']')
		return false;
	*s = p;
	return true;
}

static size_t word_len(const char *s, const char *end)
{
	const char *p = s;

	while (p < end && *p != ' ' && *p != '\t')
		p++;
	return (size_t)(p - s);
}

/* One line of iptables-save output. 0, -EINVAL, -ENOMEM. */
static int parse_line(struct ipt_listing *l, const char *s, const char *end,
		      int *table)
{
	uint64_t pk = 0, by = 0;
	struct ipt_rule *r;
	size_t n;
	int ch;

	if (s == end || *s == '#')
		return 0;
	if (*s == '*') {
		s++;
		n = word_len(s, end);
		if (s + n != end)
			return -EINVAL;
		*table = add_table(l, s, n);
		return *table < 0 ? *table : 0;
	}
	if ((size_t)(end - s) == 6 && memcmp(s, "COMMIT", 6) == 0) {
		if (*table < 0)
			return -EINVAL;
		*table = -1;
		return 0;
	}
	if (*table < 0)
		return -EINVAL;
	if (*s == ':') {
		const char *pol;

		s++;
		n = word_len(s, end);
		pol = s + n;
		if (pol >= end || *pol != ' ' || pol + 1 >= end)
			return -EINVAL;
		pol++;
		ch = add_chain(l, (unsigned int)*table, s, n,
			       !(word_len(pol, end) == 1 && *pol == '-'));
		return ch < 0 ? ch : 0;
	}
	if (*s == '[') {
		if (!parse_counters(&s, end, &pk, &by) || s >= end || *s != ' ')
			return -EINVAL;
		s++;
	}
	if (end - s < 4 || memcmp(s, "-A ", 3) != 0)
		return -EINVAL;
	s += 3;
	n = word_len(s, end);
	/* iptables-save prints a chain's rules together: try the last
	 * rule's chain first (hosts with thousands of chains) */
	ch = -1;
	if (l->n_rules) {
		unsigned int last = l->rules[l->n_rules - 1].chain;
		const struct ipt_chain *lc = &l->chains[last];

		if (lc->table == (unsigned int)*table && strlen(lc->name) == n &&
		    memcmp(lc->name, s, n) == 0)
			ch = (int)last;
	}
	/* a chain iptables-save did not declare: take it as a user chain */
	if (ch < 0)
		ch = add_chain(l, (unsigned int)*table, s, n, false);
	if (ch < 0)
		return ch;
	s += n;
	while (s < end && *s == ' ')
		s++;
	if (grow(&l->rules, &l->cap_rules, l->n_rules, sizeof(*l->rules)))
		return -ENOMEM;
	r = &l->rules[l->n_rules];
	memset(r, 0, sizeof(*r));
	r->spec = strndup(s, (size_t)(end - s));
	if (!r->spec)
		return -ENOMEM;
	r->chain = (unsigned int)ch;
	r->pos = ++l->chains[ch].n_rules;
	r->packets = pk;
	r->bytes = by;
	classify(r, l->tag);
	l->n_rules++;
	return 0;
}

int ipt_listing_parse(struct ipt_listing *l, const char *text, size_t len,
		      const char *tag, unsigned int *bad_line)
{
	const char *s = text, *end = text + len;
	unsigned int line = 0;
	int table = -1, r;

	memset(l, 0, sizeof(*l));
	snprintf(l->tag, sizeof(l->tag), "%s", tag);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;

		line++;
		if (le > s && le[-1] == '\r')
			le--;
		r = parse_line(l, s, le, &table);
		if (r < 0) {
			if (bad_line)
				*bad_line = line;
			ipt_listing_free(l);
			return r;
		}
		s = nl ? nl + 1 : end;
	}
	return 0;
}

void ipt_listing_free(struct ipt_listing *l)
{
	if (!l)
		return;
	for (unsigned int i = 0; i < l->n_rules; i++)
		free(l->rules[i].spec);
	free(l->tables);
	free(l->chains);
	free(l->rules);
	memset(l, 0, sizeof(*l));
}

int ipt_listing_chain(const struct ipt_listing *l, const char *table,
		      const char *chain)
{
	for (unsigned int i = 0; i < l->n_chains; i++)
		if (strcmp(l->tables[l->chains[i].table], table) == 0 &&
		    strcmp(l->chains[i].name, chain) == 0)
			return (int)i;
	return -1;
}

const struct ipt_rule *ipt_listing_find(const struct ipt_listing *l,
					const char *table, const char *chain,
					const char *name)
{
	int ch = ipt_listing_chain(l, table, chain);

	if (ch < 0)
		return NULL;
	for (unsigned int i = 0; i < l->n_rules; i++)
		if (l->rules[i].chain == (unsigned int)ch &&
		    l->rules[i].tagged && strcmp(l->rules[i].name, name) == 0)
			return &l->rules[i];
	return NULL;
}

/* ---- what one family should hold --------------------------------------- */

static struct ipt_want_rule *want_add(struct ipt_want *w, const char *table,
				      const char *chain, const char *spec)
{
	struct ipt_want_rule *r;

	if (grow(&w->rules, &w->cap_rules, w->n_rules, sizeof(*w->rules)))
		return NULL;
	r = &w->rules[w->n_rules];
	memset(r, 0, sizeof(*r));
	r->rule = -1;
	if (copy_name(r->table, table) < 0 || copy_name(r->chain, chain) < 0)
		return NULL;
	r->spec = strdup(spec);
	if (!r->spec)
		return NULL;
	w->n_rules++;
	return r;
}

static int want_own_index(const struct ipt_want *w, const char *table,
			  const char *chain)
{
	for (unsigned int i = 0; i < w->n_own; i++)
		if (strcmp(w->own[i].table, table) == 0 &&
		    strcmp(w->own[i].chain, chain) == 0)
			return (int)i;
	return -1;
}

int ipt_want_build(struct ipt_want *w, const struct config *c,
		   enum ipt_family f, char *err, size_t errlen)
{
	char table[IPT_NAME_MAX], chain[IPT_NAME_MAX], spec[IPT_SPEC_MAX];
	int r;

	memset(w, 0, sizeof(*w));
	snprintf(w->tag, sizeof(w->tag), "%s", c->fw.table);
	/* Own chains first, each with its jump at the top of its hook's
	 * built-in chain. */
	for (unsigned int i = 0; i < c->n_rules; i++) {
		const struct config_rule *cr = &c->rules[i];
		struct ipt_want_rule *wr;

		if (!ipt_rule_in_family(c, cr, f) ||
		    cr->fw.place != FW_PLACE_OWN)
			continue;
		if (ipt_rule_chain(c, cr, table, chain) < 0) {
			snprintf(err, errlen, "rule '%s': nflogd's chain for "
				 "table %s and hook %s would be longer than "
				 "iptables' %d characters", cr->name,
				 c->fw.table, config_hook_name(cr->fw.hook),
				 IPT_CHAIN_LEN_MAX);
			r = -ENAMETOOLONG;
			goto fail;
		}
		if (want_own_index(w, table, chain) >= 0)
			continue;
		strcpy(w->own[w->n_own].table, table);
		strcpy(w->own[w->n_own].chain, chain);
		w->n_own++;
		r = ipt_jump_spec(c->fw.table, chain, spec, sizeof(spec));
		if (r < 0)
			goto fail_spec;
		wr = want_add(w, table, ipt_hook_chain(cr->fw.hook), spec);
		if (!wr)
			goto nomem;
		wr->pos = 1;
		snprintf(wr->name, sizeof(wr->name), "%s", IPT_JUMP_NAME);
	}
	for (unsigned int i = 0; i < c->n_rules; i++) {
		const struct config_rule *cr = &c->rules[i];
		struct ipt_want_rule *wr;
		unsigned int pos = 0;

		if (!ipt_rule_in_family(c, cr, f))
			continue;
		if (ipt_rule_chain(c, cr, table, chain) < 0) {
			snprintf(err, errlen, "rule '%s': table or chain name "
				 "too long for iptables", cr->name);
			r = -ENAMETOOLONG;
			goto fail;
		}
		if (cr->fw.place != FW_PLACE_OWN &&
		    is_own_chain(c->fw.table, table, chain)) {
			snprintf(err, errlen, "rule '%s': chain %s (table %s) "
				 "is nflogd's own chain; place the rule there "
				 "with hook = instead", cr->name, chain, table);
			r = -EINVAL;
			goto fail;
		}
		r = ipt_rule_spec(c, cr, spec, sizeof(spec));
		if (r < 0) {
			const char *why =
				r == -EINVAL ? "its match has a line break" :
				r == -ENAMETOOLONG ? "its prefix is longer "
				"than the 63 characters iptables' NFLOG keeps" :
				"its iptables text is too long";

			snprintf(err, errlen, "rule '%s': %s", cr->name, why);
			goto fail;
		}
		if (cr->fw.place == FW_PLACE_INSERT) {
			/* after the jump (if any), then in config order */
			pos = 1;
			for (unsigned int j = 0; j < w->n_rules; j++)
				if (w->rules[j].pos &&
				    strcmp(w->rules[j].table, table) == 0 &&
				    strcmp(w->rules[j].chain, chain) == 0)
					pos++;
		}
		wr = want_add(w, table, chain, spec);
		if (!wr)
			goto nomem;
		wr->rule = (int)i;
		wr->pos = pos;
		snprintf(wr->name, sizeof(wr->name), "%s", cr->name);
	}
	return 0;

fail_spec:
	snprintf(err, errlen, "nflogd's jump rule: too long");
	goto fail;
nomem:
	snprintf(err, errlen, "out of memory");
	r = -ENOMEM;
fail:
	ipt_want_free(w);
	return r;
}

int ipt_want_from_listing(struct ipt_want *w, const struct ipt_listing *l)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->tag, sizeof(w->tag), "%s", l->tag);
	w->counters = true;
	for (unsigned int i = 0; i < l->n_chains; i++) {
		const struct ipt_chain *ch = &l->chains[i];

		if (!ch->own || w->n_own == ARRAY_LEN(w->own))
			continue;
		strcpy(w->own[w->n_own].table, l->tables[ch->table]);
		strcpy(w->own[w->n_own].chain, ch->name);
		w->n_own++;
	}
	for (unsigned int i = 0; i < l->n_rules; i++) {
		const struct ipt_rule *lr = &l->rules[i];
		const struct ipt_chain *ch = &l->chains[lr->chain];
		struct ipt_want_rule *wr;

		if (!ch->own && !lr->tagged)
			continue;
		wr = want_add(w, l->tables[ch->table], ch->name, lr->spec);
		if (!wr) {
			ipt_want_free(w);
			return -ENOMEM;
		}
		wr->canon = wr->spec;
		wr->pos = ch->own ? 0 : lr->pos;
		wr->packets = lr->packets;
		wr->bytes = lr->bytes;
		snprintf(wr->name, sizeof(wr->name), "%s", lr->name);
	}
	return 0;
}

void ipt_want_free(struct ipt_want *w)
{
	if (!w)
		return;
	for (unsigned int i = 0; i < w->n_rules; i++)
		free(w->rules[i].spec);
	free(w->rules);
	memset(w, 0, sizeof(*w));
}

/* The rules of w in table/chain, in the order they end up in the chain:
 * inserts (ascending position, stable), then appends.  Returns how many
 * (idx has room for w->n_rules). */
static unsigned int want_chain_rules(const struct ipt_want *w,
				     const char *table, const char *chain,
				     unsigned int *idx)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < w->n_rules; i++)
		if (strcmp(w->rules[i].table, table) == 0 &&
		    strcmp(w->rules[i].chain, chain) == 0)
			idx[n++] = i;
	for (unsigned int i = 1; i < n; i++) {
		unsigned int v = idx[i], j = i;
		unsigned int pv = w->rules[v].pos ? w->rules[v].pos : UINT32_MAX;

		while (j > 0) {
			unsigned int pu = w->rules[idx[j - 1]].pos;

			if ((pu ? pu : UINT32_MAX) <= pv)
				break;
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
	return n;
}

/* The listed rules of chain ch that are nflogd's: all of an own chain's,
 * the tagged ones elsewhere.  idx has room for l->n_rules. */
static unsigned int listed_chain_rules(const struct ipt_listing *l, int ch,
				       unsigned int *idx)
{
	unsigned int n = 0;

	if (ch < 0)
		return 0;
	for (unsigned int i = 0; i < l->n_rules; i++)
		if (l->rules[i].chain == (unsigned int)ch &&
		    (l->chains[ch].own || l->rules[i].tagged))
			idx[n++] = i;
	return n;
}

static void canon_entry_free(struct ipt_canon_entry *e)
{
	free(e->spec);
	free(e->canon);
}

void ipt_canon_free(struct ipt_canon *k)
{
	if (!k)
		return;
	for (unsigned int i = 0; i < k->n; i++)
		canon_entry_free(&k->e[i]);
	free(k->e);
	k->e = NULL;
	k->n = 0;
}

int ipt_canon_learn(struct ipt_canon *k, const struct ipt_want *w,
		    const struct ipt_listing *l)
{
	unsigned int *wi = NULL, *li = NULL, nw, nl, n = 0;
	struct ipt_canon_entry *e = NULL;

	ipt_canon_free(k);
	if (w->n_rules == 0)
		return 0;
	wi = calloc(w->n_rules, sizeof(*wi));
	li = calloc(l->n_rules + 1, sizeof(*li));
	e = calloc(w->n_rules, sizeof(*e));
	if (!wi || !li || !e)
		goto nomem;
	for (unsigned int i = 0; i < w->n_rules; i++) {
		const struct ipt_want_rule *r = &w->rules[i];
		bool first = true, ok;

		/* each chain once, at its first rule */
		for (unsigned int j = 0; j < i && first; j++)
			first = strcmp(w->rules[j].table, r->table) != 0 ||
				strcmp(w->rules[j].chain, r->chain) != 0;
		if (!first)
			continue;
		nw = want_chain_rules(w, r->table, r->chain, wi);
		nl = listed_chain_rules(l, ipt_listing_chain(l, r->table,
							     r->chain), li);
		ok = nw == nl;
		for (unsigned int j = 0; ok && j < nw; j++)
			ok = l->rules[li[j]].tagged &&
			     strcmp(l->rules[li[j]].name,
				    w->rules[wi[j]].name) == 0;
		for (unsigned int j = 0; ok && j < nw; j++) {
			struct ipt_canon_entry *x = &e[n];

			strcpy(x->table, r->table);
			strcpy(x->chain, r->chain);
			x->spec = strdup(w->rules[wi[j]].spec);
			x->canon = strdup(l->rules[li[j]].spec);
			n++;
			if (!x->spec || !x->canon)
				goto nomem;
		}
	}
	free(wi);
	free(li);
	k->e = e;
	k->n = n;
	return 0;
nomem:
	for (unsigned int i = 0; i < n; i++)
		canon_entry_free(&e[i]);
	free(e);
	free(wi);
	free(li);
	return -ENOMEM;
}

void ipt_canon_attach(const struct ipt_canon *k, struct ipt_want *w)
{
	for (unsigned int i = 0; i < w->n_rules; i++) {
		struct ipt_want_rule *r = &w->rules[i];

		for (unsigned int j = 0; j < k->n; j++)
			if (strcmp(k->e[j].table, r->table) == 0 &&
			    strcmp(k->e[j].chain, r->chain) == 0 &&
			    strcmp(k->e[j].spec, r->spec) == 0) {
				r->canon = k->e[j].canon;
				break;
			}
	}
}

/* ---- plans ------------------------------------------------------------- */

/* A table's part of the input: the phases are collected separately and
 * written in order. */
struct phase {
	char *text;
	size_t len;
	FILE *f;
	struct ipt_line *lines;
	unsigned int n, cap;
};

enum { PH_DECLARE, PH_DELETE, PH_REMOVE, PH_FILL, PH_ADD, PH_N };

struct builder {
	struct ipt_plan *p;
	FILE *f;
	struct phase ph[PH_N];
	bool failed;
};

static void ph_line(struct builder *b, int phase, enum ipt_op op, int rule,
		    const char *table, const char *chain, const char *name,
		    const char *fmt, ...) __attribute__((format(printf, 8, 9)));
static void ph_line(struct builder *b, int phase, enum ipt_op op, int rule,
		    const char *table, const char *chain, const char *name,
		    const char *fmt, ...)
{
	struct phase *ph = &b->ph[phase];
	struct ipt_line *l;
	va_list ap;

	if (b->failed)
		return;
	if (!ph->f)
		ph->f = open_memstream(&ph->text, &ph->len);
	if (!ph->f || grow(&ph->lines, &ph->cap, ph->n, sizeof(*ph->lines))) {
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	vfprintf(ph->f, fmt, ap);
	va_end(ap);
	fputc('\n', ph->f);
	l = &ph->lines[ph->n++];
	memset(l, 0, sizeof(*l));
	l->op = op;
	l->rule = rule;
	snprintf(l->table, sizeof(l->table), "%s", table);
	snprintf(l->chain, sizeof(l->chain), "%s", chain);
	snprintf(l->name, sizeof(l->name), "%s", name ? name : "");
}

/* Append one line (and its description) to the plan itself. */
static void plan_line(struct builder *b, const struct ipt_line *l,
		      const char *text, size_t len)
{
	struct ipt_plan *p = b->p;

	if (b->failed)
		return;
	if (grow(&p->lines, &p->cap_lines, p->n_lines, sizeof(*p->lines))) {
		b->failed = true;
		return;
	}
	p->lines[p->n_lines++] = *l;
	fwrite(text, 1, len, b->f);
}

/* Move a phase's lines into the plan. */
static void ph_flush(struct builder *b, struct phase *ph)
{
	size_t off = 0;

	if (!ph->f)
		return;
	if (fclose(ph->f) != 0)
		b->failed = true;
	ph->f = NULL;
	for (unsigned int i = 0; i < ph->n && !b->failed; i++) {
		const char *nl = memchr(ph->text + off, '\n', ph->len - off);
		size_t n = nl ? (size_t)(nl - (ph->text + off)) + 1
			      : ph->len - off;

		plan_line(b, &ph->lines[i], ph->text + off, n);
		off += n;
	}
	free(ph->text);
	free(ph->lines);
	memset(ph, 0, sizeof(*ph));
}

static void ph_discard(struct phase *ph)
{
	if (ph->f)
		fclose(ph->f);
	free(ph->text);
	free(ph->lines);
	memset(ph, 0, sizeof(*ph));
}

static bool same_rules(const struct ipt_listing *l, const unsigned int *li,
		       unsigned int nl, const struct ipt_want *w,
		       const unsigned int *wi, unsigned int nw)
{
	if (nl != nw)
		return false;
	for (unsigned int i = 0; i < nw; i++)
		if (!w->rules[wi[i]].canon ||
		    strcmp(w->rules[wi[i]].canon, l->rules[li[i]].spec) != 0)
			return false;
	return true;
}

static void counters_prefix(const struct ipt_want *w,
			    const struct ipt_want_rule *r, char *buf,
			    size_t size)
{
	if (w->counters)
		snprintf(buf, size, "[%" PRIu64 ":%" PRIu64 "] ", r->packets,
			 r->bytes);
	else
		buf[0] = '\0';
}

/* Plan chain table/chain into b's phases; idx buffers as above. */
static void plan_chain(struct builder *b, const struct ipt_listing *cur,
		       const struct ipt_want *w, const char *table,
		       const char *chain, unsigned int *wi, unsigned int *li)
{
	struct ipt_plan *p = b->p;
	int ch = ipt_listing_chain(cur, table, chain);
	bool own = is_own_chain(w->tag, table, chain);
	unsigned int nw = want_chain_rules(w, table, chain, wi);
	unsigned int nl = listed_chain_rules(cur, ch, li);
	char cp[48];

	if (own) {
		bool want = want_own_index(w, table, chain) >= 0;

		if (want && ch >= 0 && same_rules(cur, li, nl, w, wi, nw)) {
			p->n_kept++;
			return;
		}
		if (!want && ch < 0)
			return;
		p->n_changed++;
		if (!want) {
			ph_line(b, PH_REMOVE, IPT_OP_FLUSH, -1, table, chain,
				NULL, "-F %s", chain);
			ph_line(b, PH_REMOVE, IPT_OP_DELETE_CHAIN, -1, table,
				chain, NULL, "-X %s", chain);
			p->n_del += nl;
			return;
		}
		/* Declaring an existing user chain under --noflush flushes
		 * it (legacy and nft alike); a new one is created. */
		ph_line(b, PH_DECLARE, IPT_OP_DECLARE, -1, table, chain, NULL,
			":%s - [0:0]", chain);
		p->n_del += nl;
		for (unsigned int i = 0; i < nw; i++) {
			const struct ipt_want_rule *r = &w->rules[wi[i]];

			counters_prefix(w, r, cp, sizeof(cp));
			ph_line(b, PH_FILL, IPT_OP_ADD, r->rule, table, chain,
				r->name, "%s-A %s %s", cp, chain, r->spec);
			p->n_add++;
		}
		return;
	}
	if (nl == 0 && nw == 0)
		return;
	if (same_rules(cur, li, nl, w, wi, nw)) {
		p->n_kept++;
		return;
	}
	p->n_changed++;
	for (unsigned int i = 0; i < nl; i++) {
		const struct ipt_rule *r = &cur->rules[li[i]];

		ph_line(b, PH_DELETE, IPT_OP_DELETE, -1, table, chain, r->name,
			"-D %s %s", chain, r->spec);
		p->n_del++;
	}
	/* What stays of the chain: its other rules; an insert position
	 * beyond them becomes the end (iptables refuses it otherwise). */
	unsigned int len = ch >= 0 ? cur->chains[ch].n_rules - nl : 0;

	for (unsigned int i = 0; i < nw; i++) {
		const struct ipt_want_rule *r = &w->rules[wi[i]];

		counters_prefix(w, r, cp, sizeof(cp));
		if (r->pos && r->pos <= len)
			ph_line(b, PH_ADD, IPT_OP_ADD, r->rule, table, chain,
				r->name, "%s-I %s %u %s", cp, chain, r->pos,
				r->spec);
		else
			ph_line(b, PH_ADD, IPT_OP_ADD, r->rule, table, chain,
				r->name, "%s-A %s %s", cp, chain, r->spec);
		len++;
		p->n_add++;
	}
}

/* The chains of table to look at: listed own chains and chains with
 * tagged rules, then w's chains, each once, in that order. */
static int table_chains(const struct ipt_listing *cur,
			const struct ipt_want *w, const char *table,
			char (**out)[2][IPT_NAME_MAX], unsigned int *n)
{
	unsigned int max = cur->n_chains + w->n_rules + w->n_own, k = 0;
	char (*c)[2][IPT_NAME_MAX] = calloc(max + 1, sizeof(*c));

	if (!c)
		return -ENOMEM;
#define ADD_CHAIN(t, name) \
	do { \
		unsigned int j_; \
		for (j_ = 0; j_ < k; j_++) \
			if (strcmp(c[j_][1], (name)) == 0) \
				break; \
		if (j_ == k) { \
			snprintf(c[k][0], IPT_NAME_MAX, "%s", (t)); \
			snprintf(c[k][1], IPT_NAME_MAX, "%s", (name)); \
			k++; \
		} \
	} while (0)
	bool *mine = calloc(cur->n_chains + 1, sizeof(*mine));

	if (!mine) {
		free(c);
		return -ENOMEM;
	}
	for (unsigned int j = 0; j < cur->n_rules; j++)
		mine[cur->rules[j].chain] |= cur->rules[j].tagged;
	for (unsigned int i = 0; i < cur->n_chains; i++) {
		const struct ipt_chain *ch = &cur->chains[i];

		if (strcmp(cur->tables[ch->table], table) == 0 &&
		    (ch->own || mine[i]))
			ADD_CHAIN(table, ch->name);
	}
	free(mine);
	for (unsigned int i = 0; i < w->n_own; i++)
		if (strcmp(w->own[i].table, table) == 0)
			ADD_CHAIN(table, w->own[i].chain);
	for (unsigned int i = 0; i < w->n_rules; i++)
		if (strcmp(w->rules[i].table, table) == 0)
			ADD_CHAIN(table, w->rules[i].chain);
#undef ADD_CHAIN
	*out = c;
	*n = k;
	return 0;
}

static void plan_table(struct builder *b, const struct ipt_listing *cur,
		       const struct ipt_want *w, const char *table,
		       unsigned int *wi, unsigned int *li)
{
	char (*chains)[2][IPT_NAME_MAX] = NULL;
	unsigned int n = 0, changed = b->p->n_changed;
	char head[IPT_NAME_MAX + 2];
	struct ipt_line l;

	if (table_chains(cur, w, table, &chains, &n) < 0) {
		b->failed = true;
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		plan_chain(b, cur, w, table, chains[i][1], wi, li);
	free(chains);
	if (b->p->n_changed == changed || b->failed) {
		for (int i = 0; i < PH_N; i++)
			ph_discard(&b->ph[i]);
		return;
	}
	memset(&l, 0, sizeof(l));
	l.rule = -1;
	snprintf(l.table, sizeof(l.table), "%s", table);
	l.op = IPT_OP_TABLE;
	snprintf(head, sizeof(head), "*%s\n", table);
	plan_line(b, &l, head, strlen(head));
	for (int i = 0; i < PH_N; i++)
		ph_flush(b, &b->ph[i]);
	l.op = IPT_OP_COMMIT;
	plan_line(b, &l, "COMMIT\n", 7);
}

int ipt_plan_build(struct ipt_plan *p, const struct ipt_listing *cur,
		   const struct ipt_want *w)
{
	struct builder b = { .p = p };
	unsigned int *wi, *li;
	char (*tables)[IPT_NAME_MAX];
	unsigned int nt = 0;

	memset(p, 0, sizeof(*p));
	p->counters = w->counters;
	snprintf(p->tag, sizeof(p->tag), "%s", w->tag);
	wi = calloc(w->n_rules + 1, sizeof(*wi));
	li = calloc(cur->n_rules + 1, sizeof(*li));
	tables = calloc(cur->n_tables + w->n_rules + w->n_own + 1,
			sizeof(*tables));
	b.f = open_memstream(&p->text, &p->len);
	if (!wi || !li || !tables || !b.f) {
		b.failed = true;
		goto out;
	}
	/* listed tables in their order, then new ones in w's order */
#define ADD_TABLE(name) \
	do { \
		unsigned int j_; \
		for (j_ = 0; j_ < nt; j_++) \
			if (strcmp(tables[j_], (name)) == 0) \
				break; \
		if (j_ == nt) \
			snprintf(tables[nt++], IPT_NAME_MAX, "%s", (name)); \
	} while (0)
	for (unsigned int i = 0; i < cur->n_tables; i++)
		ADD_TABLE(cur->tables[i]);
	for (unsigned int i = 0; i < w->n_own; i++)
		ADD_TABLE(w->own[i].table);
	for (unsigned int i = 0; i < w->n_rules; i++)
		ADD_TABLE(w->rules[i].table);
#undef ADD_TABLE
	for (unsigned int i = 0; i < nt && !b.failed; i++)
		plan_table(&b, cur, w, tables[i], wi, li);
out:
	for (int i = 0; i < PH_N; i++)
		ph_discard(&b.ph[i]);
	if (b.f && fclose(b.f) != 0)
		b.failed = true;
	free(wi);
	free(li);
	free(tables);
	if (b.failed) {
		ipt_plan_free(p);
		return -ENOMEM;
	}
	return 0;
}

void ipt_plan_free(struct ipt_plan *p)
{
	if (!p)
		return;
	free(p->text);
	free(p->lines);
	memset(p, 0, sizeof(*p));
}

/* ---- errors ------------------------------------------------------------ */

unsigned int ipt_error_line(const char *errtext)
{
	for (const char *s = errtext; (s = strstr(s, "line")); s += 4) {
		const char *p = s + 4;
		unsigned long v = 0;

		if (s > errtext && isalnum((unsigned char)s[-1]))
			continue;
		if (*p == ':')
			p++;
		if (*p != ' ')
			continue;
		while (*p == ' ')
			p++;
		if (!isdigit((unsigned char)*p))
			continue;
		while (isdigit((unsigned char)*p) && v < 1000000000UL)
			v = v * 10 + (unsigned long)(*p++ - '0');
		if (v > 0 && v < 1000000000UL)
			return (unsigned int)v;
	}
	return 0;
}

void ipt_error_reason(const char *errtext, char *out, size_t size)
{
	struct out o = { out, size, 0 };
	const char *s = errtext;
	const char *sep = "";

	if (size == 0)
		return;
	out[0] = '\0';
	while (*s) {
		const char *e = strchr(s, '\n');
		const char *le = e ? e : s + strlen(s);
		const char *b = s;

		while (b < le && isspace((unsigned char)*b))
			b++;
		while (le > b && isspace((unsigned char)le[-1]))
			le--;
		/* the hint, and the line number (the caller names the
		 * line itself) */
		if (le > b && strncmp(b, "Try `", 5) != 0 &&
		    strncmp(b, "Error occurred at line: ", 24) != 0) {
			put(&o, "%s%.*s", sep, (int)(le - b), b);
			sep = le[-1] == ':' ? " " : "; ";
		}
		if (!e)
			break;
		s = e + 1;
	}
	if (o.n >= size && size > 4)
		memcpy(out + size - 4, "...", 4);
}

void ipt_plan_line_what(const struct ipt_plan *p, unsigned int n, char *out,
			size_t size)
{
	const struct ipt_line *l;
	struct out o = { out, size, 0 };

	if (size == 0)
		return;
	out[0] = '\0';
	if (n == 0 || n > p->n_lines) {
		put(&o, "input line %u", n);
		return;
	}
	l = &p->lines[n - 1];
	switch (l->op) {
	case IPT_OP_TABLE:
		put(&o, "table %s", l->table);
		break;
	case IPT_OP_DECLARE:
		put(&o, "nflogd's chain %s (table %s)", l->chain, l->table);
		break;
	case IPT_OP_FLUSH:
	case IPT_OP_DELETE_CHAIN:
		put(&o, "removing nflogd's chain %s (table %s)", l->chain,
		    l->table);
		break;
	case IPT_OP_DELETE:
		put(&o, "removing rule \"%s:%s\" (table %s, chain %s)", p->tag,
		    l->name, l->table, l->chain);
		break;
	case IPT_OP_ADD:
		if (l->rule >= 0)
			put(&o, "rule \"%s\" (table %s, chain %s)", l->name,
			    l->table, l->chain);
		else
			put(&o, "rule \"%s:%s\" (table %s, chain %s)", p->tag,
			    l->name, l->table, l->chain);
		break;
	case IPT_OP_COMMIT: {
		const char *sep = "; rules ";
		unsigned int i = n - 1;

		put(&o, "table %s (commit", l->table);
		while (i > 0 && p->lines[i - 1].op != IPT_OP_TABLE)
			i--;
		for (; i < n - 1; i++)
			if (p->lines[i].op == IPT_OP_ADD &&
			    p->lines[i].rule >= 0) {
				put(&o, "%s%s", sep, p->lines[i].name);
				sep = ", ";
			}
		put(&o, ")");
		break;
	}
	}
}

void ipt_plan_line_text(const struct ipt_plan *p, unsigned int n, char *out,
			size_t size)
{
	const char *s = p->text;

	if (size == 0)
		return;
	out[0] = '\0';
	if (!s || n == 0 || n > p->n_lines)
		return;
	for (unsigned int i = 1; i < n && s; i++) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	if (!s)
		return;
	snprintf(out, size, "%.*s", (int)strcspn(s, "\n"), s);
}
