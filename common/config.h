/* config: the configuration file (libconfig syntax) -> a validated,
 * immutable struct config.
 *
 * Pure code: the caller reads the file and passes its text; nothing here
 * touches the system.  Every problem is collected (not just the first) as
 * "FILE:LINE: what is wrong; what is allowed", so one run of
 * `nflogd --check-config` shows them all.  A reload builds a new config
 * and swaps it in only when it has no errors.
 */
#ifndef NFLOGD_CONFIG_H
#define NFLOGD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_GROUPS 32
#define CONFIG_MAX_RULES 64
#define CONFIG_MAX_OUTPUTS 16
/* A rule may send to every output (its default when it lists none). */
#define CONFIG_MAX_RULE_OUTPUTS CONFIG_MAX_OUTPUTS
#define CONFIG_NAME_MAX 32      /* rule and output names */
#define CONFIG_PATH_MAX 256
#define CONFIG_PREFIX_MAX 128   /* nft's limit is 127 characters */
#define CONFIG_MAX_ERRORS 64
#define CONFIG_MATCH_MAX 512    /* a rule's match expression */
#define CONFIG_TABLE_MAX 32     /* nft/iptables table and chain names */
/* Larger texts are refused: a real configuration is a few KiB, and
 * libconfig counts lines in an unsigned short. */
#define CONFIG_TEXT_MAX (1024 * 1024)

enum output_type { OUTPUT_JOURNAL, OUTPUT_FILE };
enum output_format { FORMAT_JSON, FORMAT_LOG };
/* LOG text line style: "<RFC 3339> <host> nflogd: <line>" or the classic
 * syslog "<Mon DD HH:MM:SS> <host> kernel: <line>" that psad, logwatch and
 * CrowdSec expect from a kernel log. */
enum line_style { STYLE_RFC3339, STYLE_SYSLOG, STYLE_BARE };

struct config_output {
	char name[CONFIG_NAME_MAX];
	enum output_type type;
	/* file */
	char path[CONFIG_PATH_MAX];
	enum output_format format;
	enum line_style line_style;
	uint64_t max_size;       /* bytes; 0 = no size rotation */
	unsigned int keep;       /* rotated files kept: path.1 .. path.N */
	unsigned int mode;       /* permission bits for a new file */
	/* queue between the receiver and this output's writer */
	unsigned int queue_size; /* records */
	int line;                /* where it was defined (for messages) */
};

struct config_group {
	uint16_t id;             /* NFLOG group number, 0..65535 */
	uint32_t copy_range;     /* bytes of each packet copied (snap length) */
	uint32_t queue_threshold;/* packets the kernel batches */
	uint32_t flush_timeout;  /* hundredths of a second */
	uint32_t nlbufsiz;       /* kernel batch buffer, bytes */
	uint32_t rcvbuf;         /* socket receive buffer, bytes */
	/* ask the kernel to attach conntrack (NFULNL_CFG_F_CONNTRACK); a
	 * kernel without NETFILTER_NETLINK_GLUE_CT refuses: said once, and
	 * the group runs without it */
	bool conntrack;
	int line;
};

/* Which tool installs the kernel rules. */
enum fw_backend { FW_NFTABLES, FW_IPTABLES, FW_NONE };
/* Address family of a kernel rule.  iptables: ip = iptables,
 * ip6 = ip6tables, inet = both; bridge is nftables-only. */
enum fw_family { FW_FAMILY_INET, FW_FAMILY_IP, FW_FAMILY_IP6, FW_FAMILY_BRIDGE };
/* Where a kernel rule goes. */
enum fw_place {
	FW_PLACE_NONE,   /* not installed: the rule only presents packets that
			  * a kernel rule written elsewhere sends */
	FW_PLACE_OWN,    /* nflogd's own table, a base chain at hook+priority */
	FW_PLACE_APPEND, /* an existing chain, at its end (before its policy) */
	FW_PLACE_INSERT, /* an existing chain, at its top */
};
enum fw_hook { FW_HOOK_PREROUTING, FW_HOOK_INPUT, FW_HOOK_FORWARD,
	       FW_HOOK_OUTPUT, FW_HOOK_POSTROUTING };
enum limit_unit { LIMIT_SECOND, LIMIT_MINUTE, LIMIT_HOUR, LIMIT_DAY };

/* The kernel rule of a config_rule (backend != none, place != NONE). */
struct config_fw_rule {
	enum fw_place place;
	enum fw_family family;
	/* FW_PLACE_OWN: the base chain nflogd creates in its own table */
	enum fw_hook hook;
	int priority;            /* nft priority, -400..400; 0 = filter */
	/* FW_PLACE_APPEND/INSERT: the existing chain */
	char table[CONFIG_TABLE_MAX];
	char chain[CONFIG_TABLE_MAX];
	/* the backend's own match syntax, "" = every packet reaching it;
	 * validated: one line, no ';' or '#' (nft), no target (iptables) */
	char match[CONFIG_MATCH_MAX];
	uint32_t snaplen;        /* 0 = the group's copy_range */
	uint32_t queue_threshold;/* 0 = the group's */
	uint32_t limit_rate;     /* 0 = no kernel rate limit */
	enum limit_unit limit_unit;
	uint32_t limit_burst;    /* packets; 0 = the backend's default (5) */
};

struct config_rule {
	char name[CONFIG_NAME_MAX];
	uint16_t group;
	char prefix[CONFIG_PREFIX_MAX];  /* identifies the rule's packets */
	int level;               /* syslog level 0..7 -> journal PRIORITY */
	unsigned int log_flags;  /* enum log_flag */
	char action[16];         /* event.action in JSON, e.g. "drop" */
	unsigned int n_outputs;
	unsigned int outputs[CONFIG_MAX_RULE_OUTPUTS];  /* index into outputs */
	struct config_fw_rule fw; /* the kernel rule (fw.place) */
	/* nflogd's own record budget (flood.h): 0 = none.  Records over it
	 * are counted and summarised instead of written one by one. */
	uint32_t record_rate;
	enum limit_unit record_unit;
	uint32_t record_burst;   /* set whenever record_rate is */
	/* The conntrack_invalid section's rule: group 0, records carry the
	 * reason conntrack gives in the prefix. */
	bool ct_invalid;
	int line;
};

/* firewall = { ... }: how nflogd's kernel rules are installed. */
struct config_firewall {
	enum fw_backend backend;
	/* nflogd's own table (nft: in each family it uses; iptables: the
	 * prefix of its own chains, upper-cased) and the tag on every rule
	 * it installs: comment "<table>:<rule name>". */
	char table[CONFIG_TABLE_MAX];
	/* iptables: seconds between checks that the rules are still there
	 * (nftables is told by ruleset events). */
	unsigned int check_interval;
	int line;
};

/* conntrack_invalid = { ... }: conntrack's own reasons for INVALID. */
struct config_ct_invalid {
	bool enabled;
	/* nf_conntrack_log_invalid: an IP protocol number, 255 = all */
	uint8_t protocol;
	bool ipv4, ipv6;         /* nf_log.2 / nf_log.10 set to nfnetlink_log */
	unsigned int rule;       /* index of its rule in rules[] (group 0) */
	int line;
};

struct config {
	char file[CONFIG_PATH_MAX];      /* for messages */
	/* global */
	char identity[CONFIG_NAME_MAX];  /* SYSLOG_IDENTIFIER, "nflogd" */
	char hostname[64];               /* "" = the host's name */
	unsigned int stats_interval;     /* seconds; 0 = off */
	/* seconds between the summaries of a rule's suppressed records */
	unsigned int flood_summary_interval;
	char runtime_dir[CONFIG_PATH_MAX];
	char state_dir[CONFIG_PATH_MAX];
	char metrics_path[CONFIG_PATH_MAX]; /* "" = no Prometheus file */
	char user[CONFIG_NAME_MAX];      /* drop to this user ("" = stay) */
	char group[CONFIG_NAME_MAX];     /* ... and group ("" = its primary) */
	struct config_firewall fw;
	struct config_ct_invalid ct_invalid;

	unsigned int n_groups, n_rules, n_outputs;
	struct config_group groups[CONFIG_MAX_GROUPS];
	struct config_rule rules[CONFIG_MAX_RULES];
	struct config_output outputs[CONFIG_MAX_OUTPUTS];
};

struct config_errors {
	unsigned int n;          /* errors found (may exceed what is kept) */
	char msg[CONFIG_MAX_ERRORS][256];
};

/* Parse text (len bytes, the contents of file; it need not be
 * NUL-terminated) into *out.  Returns 0, -EINVAL with every problem in
 * *errs (errs->n > 0), or -ENOMEM (errs->n == 0).  *out is written only on
 * success; errs may be NULL.  file is only used in messages.
 * @include is refused (it would read other files): nflogd reads one file. */
int config_parse(const char *file, const char *text, size_t len,
		 struct config *out, struct config_errors *errs);

/* The normalised configuration, every default filled in, in libconfig
 * syntax that config_parse() accepts again (a golden file for tests). */
void config_print(const struct config *c, FILE *f);

/* Names as written in the file (and in nft): "nftables", "inet", "input",
 * "second"; "?" for a value out of range. */
const char *config_backend_name(enum fw_backend b);
const char *config_family_name(enum fw_family f);
const char *config_hook_name(enum fw_hook h);
const char *config_limit_unit_name(enum limit_unit u);
/* A limit unit's length in seconds. */
unsigned int config_limit_unit_seconds(enum limit_unit u);
/* True if rule r is installed by nflogd (backend != none, place != NONE). */
bool config_rule_installed(const struct config *c, const struct config_rule *r);

/* Lookups for the daemon. */
const struct config_group *config_group(const struct config *c, uint16_t id);
const struct config_output *config_output(const struct config *c,
					  const char *name);

/* The rule a logged packet belongs to: the rule of its group whose prefix
 * equals the packet's prefix (len bytes, without the NUL the kernel adds);
 * else the group's rule with the empty prefix (its catch-all); else the
 * group's first rule, so that the packet is still written.  NULL only for
 * a group that is not in the configuration. */
const struct config_rule *config_rule_match(const struct config *c,
					    uint16_t group, const char *prefix,
					    size_t len);

#endif
