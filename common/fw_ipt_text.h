/* fw_ipt_text: the iptables-restore input nflogd sends and the
 * iptables-save output it reads back.
 *
 * Pure code (no kernel, no processes): daemon/fw_ipt.c runs the tools
 * with what is built here and hands back what they printed.
 *
 *   rules      a configured rule -> "<match> -m comment --comment
 *              "<table>:<name>" [-m limit ...] -j NFLOG --nflog-group G
 *              ..." (the text after "-A <chain> ")
 *   listing    `iptables-save -c` -> tables, chains, every rule with its
 *              counters, text exactly as printed and nflogd's tag if any
 *   wanted     what one family should hold: nflogd's rules per chain, in
 *              order, with the text iptables-save printed for them after
 *              the last apply (learned: iptables rewrites a match, e.g.
 *              "-p tcp --dport 22" comes back as "-p tcp -m tcp --dport
 *              22", so only iptables' own echo can be compared)
 *   plan       listing + wanted -> one iptables-restore --noflush input
 *              (one COMMIT per table) and which rule each line is for
 *   errors     iptables-restore's "line N failed" / "Error occurred at
 *              line: N" -> that rule
 *
 * Functions return 0 or a negative errno and never print.
 */
#ifndef NFLOGD_FW_IPT_TEXT_H
#define NFLOGD_FW_IPT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Table and chain names (iptables: at most 28 characters). */
#define IPT_NAME_MAX 32
/* The name part of a tag, "<table>:<name>" (comments have up to 255). */
#define IPT_TAG_NAME_MAX 64
/* The tag of the rule that jumps to one of nflogd's own chains. */
#define IPT_JUMP_NAME "jump"
/* A configured rule's text: match (511) + comment, limit, NFLOG options. */
#define IPT_SPEC_MAX 1024

enum ipt_family { IPT_IP, IPT_IP6 };
#define IPT_NFAMILIES 2

const char *ipt_family_name(enum ipt_family f);    /* "ip", "ip6" */
const char *ipt_restore_tool(enum ipt_family f);   /* "iptables-restore" */
const char *ipt_save_tool(enum ipt_family f);      /* "iptables-save" */
/* Installed rule r goes to family f (inet: both). */
bool ipt_rule_in_family(const struct config *c, const struct config_rule *r,
			enum ipt_family f);

/* ---- rules ------------------------------------------------------------- */

const char *ipt_hook_chain(enum fw_hook h);        /* "INPUT" */
/* The table of nflogd's own chain for hook h: filter for input, forward
 * and output; mangle for prerouting and postrouting. */
const char *ipt_own_table(enum fw_hook h);
/* "<FW.TABLE upper-cased>-<HOOK>", e.g. "NFLOGD-INPUT".  0, or
 * -ENAMETOOLONG when longer than iptables' 28 characters. */
int ipt_own_chain(const char *fw_table, enum fw_hook h, char *buf,
		  size_t size);
/* Where installed rule r goes. */
int ipt_rule_chain(const struct config *c, const struct config_rule *r,
		   char table[IPT_NAME_MAX], char chain[IPT_NAME_MAX]);
/* The text of installed rule r (after "-A <chain> ").  Returns its length;
 * -EINVAL (a match with a line break), -ENAMETOOLONG (a prefix iptables
 * would cut), -ENOSPC. */
int ipt_rule_spec(const struct config *c, const struct config_rule *r,
		  char *buf, size_t size);
/* The tagged rule "-m comment --comment "<fw_table>:jump" -j <own>". */
int ipt_jump_spec(const char *fw_table, const char *own, char *buf,
		  size_t size);

/* ---- listings ---------------------------------------------------------- */

struct ipt_chain {
	unsigned int table;             /* index into ipt_listing.tables */
	char name[IPT_NAME_MAX];
	bool builtin;                   /* has a policy (not "-") */
	bool own;                       /* one of nflogd's "<TABLE>-<HOOK>" */
	unsigned int n_rules;
};

struct ipt_rule {
	unsigned int chain;             /* index into ipt_listing.chains */
	unsigned int pos;               /* 1-based, among all of its chain's */
	char *spec;                     /* after "-A <chain> ", as printed */
	uint64_t packets, bytes;        /* [packets:bytes]; 0 without -c */
	bool tagged;                    /* a comment "<tag table>:..." */
	char name[IPT_TAG_NAME_MAX];    /* what follows "<tag table>:" */
	char target[IPT_NAME_MAX];      /* after -j, "" */
};

struct ipt_listing {
	char tag[CONFIG_TABLE_MAX];     /* the tag table it was parsed for */
	char (*tables)[IPT_NAME_MAX];
	struct ipt_chain *chains;
	struct ipt_rule *rules;         /* in output order: by table, chain */
	unsigned int n_tables, n_chains, n_rules;
	unsigned int cap_tables, cap_chains, cap_rules;
};

/* Parse `iptables-save [-c]` output (len bytes, need not be
 * NUL-terminated) for tag table `tag` into *l (zeroed by the call).
 * Comments may be printed quoted ("nflogd:ssh") or not (plain).  0;
 * -EINVAL with *bad_line (1-based) set to the line that is not
 * iptables-save's; -ENOMEM. */
int ipt_listing_parse(struct ipt_listing *l, const char *text, size_t len,
		      const char *tag, unsigned int *bad_line);
void ipt_listing_free(struct ipt_listing *l);
/* Index of table/chain, or -1. */
int ipt_listing_chain(const struct ipt_listing *l, const char *table,
		      const char *chain);
/* The rule tagged `name` in table/chain, or NULL. */
const struct ipt_rule *ipt_listing_find(const struct ipt_listing *l,
					const char *table, const char *chain,
					const char *name);

/* ---- what one family should hold --------------------------------------- */

struct ipt_want_rule {
	int rule;                       /* config rule index; -1: a jump or
					 * a listing's rule */
	char table[IPT_NAME_MAX];
	char chain[IPT_NAME_MAX];
	char name[IPT_TAG_NAME_MAX];    /* tag name, for messages */
	char *spec;                     /* owned: written after -A/-I chain */
	const char *canon;              /* as iptables-save prints it (not
					 * owned), NULL = not known */
	/* 0: append; N: insert at N (clamped to the chain's end).  Rules of
	 * a chain are written inserts first (ascending N), then appends. */
	unsigned int pos;
	uint64_t packets, bytes;        /* restored with -c (want.counters) */
};

struct ipt_want_chain {
	char table[IPT_NAME_MAX];
	char chain[IPT_NAME_MAX];
};

struct ipt_want {
	char tag[CONFIG_TABLE_MAX];
	struct ipt_want_rule *rules;
	unsigned int n_rules, cap_rules;
	/* nflogd's own chains that must exist (one per hook at most) */
	struct ipt_want_chain own[FW_HOOK_POSTROUTING + 1];
	unsigned int n_own;
	bool counters;                  /* carry packets/bytes: restore -c */
};

/* Family f's part of c's installed rules: the rules in config order, the
 * own chains, and for each own chain its jump rule at the top of the
 * built-in chain (position 1; insert-placed rules of that chain follow
 * it, in config order).  0; -EINVAL/-ENAMETOOLONG/-ENOSPC (err names the
 * rule); -ENOMEM. */
int ipt_want_build(struct ipt_want *w, const struct config *c,
		   enum ipt_family f, char *err, size_t errlen);
/* What l holds of nflogd's (tagged rules at their positions, own chains
 * with all their rules, counters), to put it back after a failure.
 * canon = spec: it is iptables' own text.  0 or -ENOMEM. */
int ipt_want_from_listing(struct ipt_want *w, const struct ipt_listing *l);
void ipt_want_free(struct ipt_want *w);

/* What iptables-save printed for the rules nflogd wrote, learned after an
 * apply: (table, chain, our text) -> iptables' text. */
struct ipt_canon_entry {
	char table[IPT_NAME_MAX];
	char chain[IPT_NAME_MAX];
	char *spec;
	char *canon;
};
struct ipt_canon {
	struct ipt_canon_entry *e;
	unsigned int n;
};

/* Replace *k with what l (listed right after w was applied) shows for w:
 * per chain, nflogd's rules are matched with w's in order by tag name; a
 * chain that does not line up is not learned (it will be rewritten next
 * time).  0 or -ENOMEM (*k is then empty). */
int ipt_canon_learn(struct ipt_canon *k, const struct ipt_want *w,
		    const struct ipt_listing *l);
/* Set w's canon from k where known. */
void ipt_canon_attach(const struct ipt_canon *k, struct ipt_want *w);
void ipt_canon_free(struct ipt_canon *k);

/* ---- plans ------------------------------------------------------------- */

enum ipt_op {
	IPT_OP_TABLE,           /* *filter */
	IPT_OP_DECLARE,         /* :NFLOGD-INPUT - [0:0]: create or flush */
	IPT_OP_DELETE,          /* -D chain <rule as listed> */
	IPT_OP_FLUSH,           /* -F own chain */
	IPT_OP_DELETE_CHAIN,    /* -X own chain */
	IPT_OP_ADD,             /* -A / -I */
	IPT_OP_COMMIT,
};

struct ipt_line {
	enum ipt_op op;
	int rule;               /* config rule index (IPT_OP_ADD), else -1 */
	char table[IPT_NAME_MAX];
	char chain[IPT_NAME_MAX];
	char name[IPT_TAG_NAME_MAX];    /* tag name (add, delete), "" */
};

/* One iptables-restore --noflush input.  lines[i] describes input line
 * i + 1.  The unit of change is a chain (firewall.h, "Reconciling"): a
 * chain whose tagged rules are, in order, exactly w's (compared by
 * iptables' own text) is left alone; otherwise its tagged rules are all
 * deleted and w's added.  An own chain is compared whole (every rule in
 * it is nflogd's).  Per table: declarations, deletions, own chains
 * removed (-F, -X, after the jumps to them are gone), own chains filled,
 * rules added, COMMIT. */
struct ipt_plan {
	char *text;             /* NUL-terminated, "" when nothing to do */
	size_t len;
	struct ipt_line *lines;
	unsigned int n_lines, cap_lines;
	char tag[CONFIG_TABLE_MAX];     /* w's */
	unsigned int n_changed; /* chains changed: 0 = already right */
	unsigned int n_kept;    /* chains with tagged rules left alone */
	unsigned int n_add, n_del;
	bool counters;          /* lines carry [packets:bytes]: restore -c */
};

/* The input that makes cur (one family's listing, parsed for w's tag)
 * hold exactly w.  0 or -ENOMEM. */
int ipt_plan_build(struct ipt_plan *p, const struct ipt_listing *cur,
		   const struct ipt_want *w);
void ipt_plan_free(struct ipt_plan *p);

/* ---- errors ------------------------------------------------------------ */

/* The input line iptables-restore's error output names ("line N failed",
 * "Error occurred at line: N", nft's "line N: CHAIN_DEL failed"), or 0. */
unsigned int ipt_error_line(const char *errtext);
/* errtext as one line: lines joined with "; ", the "Try `... --help'"
 * hint, "Error occurred at line: N" (ipt_error_line()) and empty lines
 * left out. */
void ipt_error_reason(const char *errtext, char *out, size_t size);
/* What input line n (1-based) of p is about, e.g. "rule \"ssh\" (table
 * filter, chain INPUT)", "stale rule \"nflogd:old\" (table filter, chain
 * INPUT)", "nflogd's chain NFLOGD-INPUT (table filter)", "table filter
 * (commit; rules ssh, http)"; "input line n" when p has no such line. */
void ipt_plan_line_what(const struct ipt_plan *p, unsigned int n,
			char *out, size_t size);
/* The text of input line n (1-based) of p, without its newline, into out
 * (truncated); "" when there is no such line. */
void ipt_plan_line_text(const struct ipt_plan *p, unsigned int n, char *out,
			size_t size);

#endif
