/* fw_nft_text: the nftables text nflogd sends and the JSON it reads back.
 *
 * Pure code (no kernel, no libnftables): daemon/fw_nft.c runs what is
 * built here and hands back what nft printed.
 *
 *   statement   a configured rule -> "<match> [counter limit ...] counter
 *               log group G ... comment "<table>:<name>""
 *   listing     `nft -j -t -a list ruleset|chain` -> nflogd's rules (every
 *               rule whose comment starts with "<table>:"), its own tables
 *               (name == fw.table, any family) and their chains
 *   transaction listing + configuration + what was applied last -> ONE
 *               nft script, one command per line, with the rule each line
 *               is for (see firewall.h, "Reconciling")
 *   errors      nft's "FILE:LINE:COLS: Error: ..." blocks -> "rule 'x':
 *               Error: ..." with nft's echo of the command and its carets
 *
 * Names of the kernel's objects are kept as the kernel gives them (up to
 * NFT_NAME_MAX); config names are shorter, so a kernel name too long to be
 * nflogd's simply never matches.
 */
#ifndef NFLOGD_FW_NFT_TEXT_H
#define NFLOGD_FW_NFT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* A rule's statement: match (511) + limit, counters, log options and the
 * comment (~350 at most). */
#define NFT_STMT_MAX 1024
/* The kernel's NFT_NAME_MAXLEN, and the comment's NFTNL_UDATA_COMMENT_MAXLEN. */
#define NFT_NAME_MAX 256
#define NFT_COMMENT_MAX 128
#define NFT_FAMILY_MAX 8        /* "bridge", "netdev" */
/* Counters kept per rule, in expression order: nflogd's rules have one or
 * two; a match with counters of its own keeps the last ones. */
#define NFT_MAX_COUNTERS 4

/* ---- statements -------------------------------------------------------- */

/* The statement of installed rule r of c into buf.  Returns its length,
 * -EINVAL if the rule cannot be written in nft's syntax (a prefix with '"'
 * or '$': nft's scanner has no escape for '"' and reads "$x" in a log
 * prefix as a variable), with the reason in err; -ENOSPC if it does not
 * fit. */
int nft_rule_stmt(const struct config *c, const struct config_rule *r,
		  char *buf, size_t size, char *err, size_t errlen);

/* The base chain nflogd creates for hook h at priority p: "input" (0),
 * "input_m10" (-10), "input_p100" (+100).  Names carry both, so two rules
 * with the same hook and priority share a chain and any other pair does
 * not. */
void nft_own_chain_name(enum fw_hook h, int prio, char *buf, size_t size);

/* Where installed rule r goes: family, table and chain names. */
struct nft_chain_ref {
	const char *family;             /* static: "inet", "ip", ... */
	char table[CONFIG_TABLE_MAX];
	char chain[CONFIG_TABLE_MAX];
	bool own;                       /* a base chain in nflogd's table */
};
void nft_rule_chain(const struct config *c, const struct config_rule *r,
		    struct nft_chain_ref *out);
/* The distinct chains of c's installed rules, in the order of their first
 * rule; out has room for CONFIG_MAX_RULES.  Returns how many. */
unsigned int nft_config_chains(const struct config *c,
			       struct nft_chain_ref *out);

/* ---- listings ---------------------------------------------------------- */

struct nft_ktable {
	char family[NFT_FAMILY_MAX];
	char name[NFT_NAME_MAX];
	uint64_t handle;
};

struct nft_kchain {
	char family[NFT_FAMILY_MAX];
	char table[NFT_NAME_MAX];
	char name[NFT_NAME_MAX];
	uint64_t handle;
	bool own;                       /* in one of nflogd's own tables */
	/* a base chain: "type"/"hook" ("" for a regular chain), "prio",
	 * "policy" */
	char type[16];
	char hook[16];
	int prio;
	char policy[16];
	unsigned int n_rules;           /* all its rules, nflogd's or not */
};

struct nft_krule {
	unsigned int chain;             /* index into nft_listing.chains */
	uint64_t handle;
	unsigned int pos;               /* 0-based among all of its chain's rules */
	char name[NFT_COMMENT_MAX];     /* the comment after "<table>:" */
	/* FNV-1a of the rule's expressions with counter values (and other
	 * state: "used") left out: equal when the kernel holds the same rule */
	uint64_t sig;
	unsigned int n_counters;        /* may exceed NFT_MAX_COUNTERS */
	struct {
		uint64_t packets, bytes;
	} ctr[NFT_MAX_COUNTERS];        /* the last ones, in expression order */
};

/* What nflogd owns in the kernel (and the chains around it).  chains[]
 * holds the chains of its own tables and every chain with one of its
 * rules; rules[] only nflogd's rules, in listing (= chain) order. */
struct nft_listing {
	struct nft_ktable *tables;      /* own tables only */
	struct nft_kchain *chains;
	struct nft_krule *rules;
	unsigned int n_tables, n_chains, n_rules;
	unsigned int cap_tables, cap_chains, cap_rules;
};

/* Parse one `nft -j list ...` output (json, NUL-terminated) and add what
 * belongs to tag table `table` to *l (zeroed the first time; several
 * listings, e.g. one per chain, add up).  0; -EINVAL (not nft's JSON, err
 * says where); -ENOMEM. */
int nft_listing_parse(struct nft_listing *l, const char *json,
		      const char *table, char *err, size_t errlen);
void nft_listing_free(struct nft_listing *l);

/* The rule tagged `name` in chain ref, or NULL. */
const struct nft_krule *nft_listing_find(const struct nft_listing *l,
					 const struct nft_chain_ref *ref,
					 const char *name);

/* A kernel rule's numbers for fw_counters: the last counter is the one
 * just before `log` (packets/bytes logged); with a limit the one before
 * that counts what matched. */
void nft_krule_counters(const struct nft_krule *k, bool limited,
			uint64_t *packets, uint64_t *bytes, uint64_t *matched);

/* ---- transactions ------------------------------------------------------ */

/* What the daemon side remembers of the rules it applied last: per rule
 * name, the statement it generated and the signature the kernel's copy
 * had right after.  A tagged kernel rule is "as configured" only if both
 * still agree; with nothing remembered (first start) every tagged rule is
 * stale. */
struct nft_memo_rule {
	char name[CONFIG_NAME_MAX];
	char stmt[NFT_STMT_MAX];
	uint64_t sig;
};
struct nft_memo {
	unsigned int n;
	struct nft_memo_rule r[CONFIG_MAX_RULES];
};

/* One nft script.  line_rule[i] is the configured rule line i + 1 is for
 * (its add/insert, or the table/chain its rules need), -1 for a deletion. */
struct nft_txn {
	char *text;                     /* NUL-terminated, "" when empty */
	size_t len, cap;
	unsigned int n_lines;
	int *line_rule;
	unsigned int cap_lines;
	/* what the script does, for logs and tests */
	unsigned int n_add, n_del, n_chains_kept;
};

/* Build the script that makes the kernel hold exactly c's installed rules,
 * given what it holds now (cur: a `list ruleset`) and what was applied
 * last (memo; NULL = nothing).  An empty script means nothing to do.
 * 0; -EINVAL (a rule that cannot be written: err names it); -ENOMEM. */
int nft_txn_build(struct nft_txn *t, const struct config *c,
		  const struct nft_listing *cur, const struct nft_memo *memo,
		  char *err, size_t errlen);
/* The script that removes everything of cur (tagged rules by handle, own
 * tables whole).  0 or -ENOMEM. */
int nft_txn_build_remove(struct nft_txn *t, const struct nft_listing *cur);
void nft_txn_free(struct nft_txn *t);

/* Record, after a successful apply, what c's rules are in the kernel now
 * (cur: listed after the transaction).  A rule that cannot be found gets
 * signature 0, which no listed rule has, so it is replaced next time. */
void nft_memo_update(struct nft_memo *m, const struct config *c,
		     const struct nft_listing *cur);

/* ---- errors ------------------------------------------------------------ */

/* Rewrite nft's error text for script t, read from file `path` (nft
 * prefixes each error with "path:LINE:COLS: "): every error block becomes
 * "rule '<name>': Error: ...\n<echo>\n<carets>" (or "nft: ..." for a line
 * that is no rule's, and for text without a location), blocks separated
 * by newlines, truncated to out's size.  Returns how many blocks were
 * some rule's (0: only deletions or nothing located failed, e.g. a rule
 * that vanished between listing and transaction). */
int nft_error_explain(const char *errtext, const char *path,
		      const struct nft_txn *t, const struct config *c,
		      char *out, size_t size);

/* The line numbers (1-based) the error text names, for tests: up to max
 * into lines[]; returns how many were found. */
unsigned int nft_error_lines(const char *errtext, const char *path,
			     unsigned int *lines, unsigned int max);

#endif
