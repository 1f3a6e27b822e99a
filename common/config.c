/* config: libconfig text -> validated, immutable struct config.
 *
 * Three passes:
 *   1. prep_text(): a copy of the text that libconfig 1.5 can be trusted
 *      with.  A small scanner that follows libconfig's own lexer (strings,
 *      comments, numbers) refuses @include (it would read files), promotes
 *      integers that do not fit in an int to 64 bits (libconfig 1.5 silently
 *      wraps 3000000000 to -1294967296, which could land inside a range) and
 *      refuses NUL bytes and "\x00" escapes (libconfig would cut the string).
 *   2. config_read_string(); a syntax error stops here: libconfig reports
 *      only its first one.
 *   3. A walk of the tree: every key checked against the schema (the
 *      shipped conf/nflogd.conf), every value's type and range, then the
 *      cross-checks between entries.  Every problem is collected, never
 *      just the first, and they are sorted by line.
 *
 * Nothing here logs or touches the system; memory is all it uses.
 */
#include "config.h"
#include "fmt_log.h"

#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- defaults */

#define DEF_IDENTITY            "nflogd"
#define DEF_STATS_INTERVAL      300
#define DEF_FLOOD_SUMMARY_INTERVAL 10
#define DEF_RUNTIME_DIR         "/run/nflogd"
#define DEF_STATE_DIR           "/var/lib/nflogd"

#define DEF_COPY_RANGE          256
#define DEF_QUEUE_THRESHOLD     256
#define DEF_FLUSH_TIMEOUT       2
#define DEF_NLBUFSIZ            131072
#define DEF_RCVBUF              8388608

#define DEF_KEEP                5
#define DEF_MODE                0640
#define DEF_QUEUE_SIZE          65536

#define DEF_LEVEL               4       /* warning */

#define DEF_FW_TABLE            "nflogd"
#define DEF_CHECK_INTERVAL      1
#define DEF_CT_NAME             "ct-invalid"
#define DEF_CT_LEVEL            5       /* notice */
#define DEF_CT_ACTION           "invalid"
#define CT_PROTO_ALL            255     /* nf_conntrack_log_invalid: all */

/* ---------------------------------------------------------------- ranges */

#define MAX_GROUP_ID            65535
#define MAX_COPY_RANGE          65531   /* NFULNL_COPY_RANGE_MAX */
#define MAX_QUEUE_THRESHOLD     1000
#define MAX_FLUSH_TIMEOUT       6000
#define MIN_NLBUFSIZ            4096
#define MAX_NLBUFSIZ            131072  /* nfulnl_set_nlbufsiz() */
#define MIN_RCVBUF              65536
#define MAX_RCVBUF              (1 << 30)
#define MAX_STATS_INTERVAL      86400
#define MAX_FLOOD_SUMMARY_INTERVAL 3600
#define MAX_KEEP                100
#define MIN_QUEUE_SIZE          16
#define MAX_QUEUE_SIZE          4194304
#define MIN_MAX_SIZE            4096
#define MAX_MAX_SIZE            (UINT64_C(1) << 40)
#define PREFIX_LEN_MAX          (CONFIG_PREFIX_MAX - 1)
#define ACTION_LEN_MAX          15
#define HOSTNAME_LEN_MAX        63

#define MAX_CHECK_INTERVAL      3600
#define MIN_PRIORITY            (-400)
#define MAX_PRIORITY            400
#define MAX_RULE_SNAPLEN        65535
#define MAX_RULE_QTHRESH        65535
#define MAX_LIMIT_RATE          1000000
#define MAX_BURST               1000000
/* iptables: legacy NFLOG keeps 63 characters of --nflog-prefix; chain
 * names have at most 28 (XT_EXTENSION_MAXNAMELEN - 1); the limit match
 * counts in 1/10000 s (XT_LIMIT_SCALE: at most 10000/second) and takes
 * --limit-burst up to 10000. */
#define IPT_PREFIX_LEN_MAX      63
#define IPT_CHAIN_LEN_MAX       28
#define IPT_LIMIT_SCALE         10000
#define IPT_BURST_MAX           10000
/* nflogd's own iptables chains are "<TABLE>-<HOOK>": "-POSTROUTING" is
 * 12 of the 28 characters. */
#define IPT_OWN_TABLE_LEN_MAX   (IPT_CHAIN_LEN_MAX - 12)

/* An integer literal too large even for 64 bits is replaced by this one
 * (INT64_MIN), which get_int() then reports as out of range.  No range of
 * ours comes near it. */
#define INT_SENTINEL            "-9223372036854775808L"

/* ---------------------------------------------------------------- errors */

#define MSG_SIZE sizeof(((struct config_errors *)0)->msg[0])

struct ctx {
	const char *file;
	struct config *c;
	struct config_errors *e;
	/* firewall.backend is known (absent or valid): the checks that
	 * depend on it are made */
	bool backend_ok;
	/* line of the conntrack_invalid section, 0 = none */
	int ct_line;
	/* line and order of each kept message, to sort them */
	int eline[CONFIG_MAX_ERRORS];
	unsigned int eseq[CONFIG_MAX_ERRORS];
};

/* Where the next message goes: a free slot, else the slot of the kept
 * message with the highest line if this one comes before it (so what is
 * kept is the start of the file's list), else nowhere (-1). */
static int error_slot(struct ctx *x, int line)
{
	unsigned int i, worst = 0;

	if (x->e->n < CONFIG_MAX_ERRORS)
		return (int)x->e->n;
	for (i = 1; i < CONFIG_MAX_ERRORS; i++)
		if (x->eline[i] > x->eline[worst] ||
		    (x->eline[i] == x->eline[worst] &&
		     x->eseq[i] > x->eseq[worst]))
			worst = i;
	return line < x->eline[worst] ? (int)worst : -1;
}

__attribute__((format(printf, 3, 4)))
static int error(struct ctx *x, int line, const char *fmt, ...)
{
	int slot;
	char *m;
	va_list ap;
	int n;

	if (line < 1)
		line = 1;
	slot = error_slot(x, line);
	if (slot >= 0) {
		m = x->e->msg[slot];
		x->eline[slot] = line;
		x->eseq[slot] = x->e->n;
		n = snprintf(m, MSG_SIZE, "%s:%d: ", x->file, line);
		if (n >= 0 && (size_t)n < MSG_SIZE) {
			va_start(ap, fmt);
			n += vsnprintf(m + n, MSG_SIZE - (size_t)n, fmt, ap);
			va_end(ap);
		}
		/* A cut message says so rather than ending mid-word. */
		if (n < 0 || (size_t)n >= MSG_SIZE)
			memcpy(m + MSG_SIZE - 4, "...", 4);
	}
	x->e->n++;
	return -EINVAL;
}

static bool error_before(const struct ctx *x, unsigned int a, unsigned int b)
{
	return x->eline[a] < x->eline[b] ||
	       (x->eline[a] == x->eline[b] && x->eseq[a] < x->eseq[b]);
}

static void error_swap(struct ctx *x, unsigned int a, unsigned int b)
{
	char tmp[MSG_SIZE];
	int line = x->eline[a];
	unsigned int seq = x->eseq[a];

	memcpy(tmp, x->e->msg[a], MSG_SIZE);
	memcpy(x->e->msg[a], x->e->msg[b], MSG_SIZE);
	memcpy(x->e->msg[b], tmp, MSG_SIZE);
	x->eline[a] = x->eline[b];
	x->eseq[a] = x->eseq[b];
	x->eline[b] = line;
	x->eseq[b] = seq;
}

/* Checks run section by section; the reader wants the file's order (and
 * the order found within a line). */
static void sort_errors(struct ctx *x)
{
	unsigned int n = x->e->n < CONFIG_MAX_ERRORS ? x->e->n
						     : CONFIG_MAX_ERRORS;
	unsigned int i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && error_before(x, j, j - 1); j--)
			error_swap(x, j, j - 1);
}

/* A user's string inside a message: quoted, escaped, cut at 40 bytes, so
 * a message stays one readable line whatever the file holds.  Values are
 * in double quotes (as in the file), names of things in single quotes. */
static const char *quote_with(char *buf, size_t size, const char *s, char qc)
{
	size_t o = 0, i;

	buf[o++] = qc;
	for (i = 0; s[i] && o + 8 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i == 40) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (ch < 0x20 || ch >= 0x7f || ch == qc || ch == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	buf[o++] = qc;
	buf[o] = 0;
	return buf;
}

static const char *quote(char *buf, size_t size, const char *s)
{
	return quote_with(buf, size, s, '"');
}

static const char *quote_name(char *buf, size_t size, const char *s)
{
	return quote_with(buf, size, s, '\'');
}

#define QBUF 200

/* ---------------------------------------------------------------- names */

static int lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Optimal string alignment distance (Levenshtein plus transposition),
 * ignoring case: "queue_treshold" is 1 from "queue_threshold", "lelve"
 * 1 from "level". */
#define DIST_MAX 64
static unsigned int distance(const char *a, const char *b)
{
	unsigned int d[DIST_MAX + 1][DIST_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la > DIST_MAX || lb > DIST_MAX)
		return UINT_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned int)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned int)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			unsigned int cost = lower(a[i - 1]) != lower(b[j - 1]);
			unsigned int v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
			    lower(a[i - 2]) == lower(b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* One is the start of the other, ignoring case, and the shorter has at
 * least three characters: "warn" for "warning", "error" for "err". */
static bool is_abbrev(const char *a, const char *b)
{
	size_t i;

	for (i = 0; a[i] && b[i]; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return i >= 3;
}

/* The candidate nearest to s, if near enough to be what was meant: one
 * edit for short names, up to three for long ones; else one that s
 * abbreviates or extends. */
static const char *suggest(const char *s, const char *const *cand, size_t n)
{
	const char *best = NULL;
	unsigned int bestd = UINT_MAX;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned int d = distance(s, cand[i]);
		size_t len = strlen(cand[i]);
		unsigned int limit = len >= 9 ? 3 : len >= 5 ? 2 : 1;

		if (d <= limit && d < bestd) {
			best = cand[i];
			bestd = d;
		}
	}
	for (i = 0; !best && i < n; i++)
		if (is_abbrev(s, cand[i]))
			best = cand[i];
	return best;
}

/* "a, b, c" into buf. */
static const char *join(char *buf, size_t size, const char *const *v,
			size_t n)
{
	size_t o = 0, i;

	buf[0] = 0;
	for (i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s",
				      i ? ", " : "", v[i]);
	return buf;
}

static bool is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static bool all_name_chars(const char *s)
{
	for (; *s; s++)
		if (!is_name_char(*s))
			return false;
	return true;
}

/* ---------------------------------------------------------------- pass 1 */

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->cap - b->len <= n) {
		size_t cap = b->cap * 2 + n + 64;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static size_t skip_digits(const char *s, size_t i, size_t n)
{
	while (i < n && is_digit(s[i]))
		i++;
	return i;
}

/* The end of an exponent [eE][-+]?[0-9]+ starting at i, or i. */
static size_t skip_exponent(const char *s, size_t i, size_t n)
{
	size_t j = i + 1, k;

	if (i >= n || (s[i] != 'e' && s[i] != 'E'))
		return i;
	if (j < n && (s[j] == '-' || s[j] == '+'))
		j++;
	k = skip_digits(s, j, n);
	return k > j ? k : i;
}

/* libconfig's {float}: [-+]?([0-9]*)?\.[0-9]*([eE][-+]?[0-9]+)?
 *                    | [-+]?([0-9]+)(\.[0-9]*)?[eE][-+]?[0-9]+ */
static size_t float_len(const char *s, size_t n)
{
	size_t i = 0, d, best = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	d = skip_digits(s, i, n);
	if (d < n && s[d] == '.')
		best = skip_exponent(s, skip_digits(s, d + 1, n), n);
	if (d > i) {
		size_t f = d, e;

		if (f < n && s[f] == '.')
			f = skip_digits(s, f + 1, n);
		e = skip_exponent(s, f, n);
		if (e > f && e > best)
			best = e;
	}
	return best;
}

enum num_kind { NUM_INT, NUM_INT64, NUM_HEX, NUM_HEX64, NUM_OTHER };

/* The longest number token at s, as libconfig's lexer sees it. */
static size_t number_len(const char *s, size_t n, enum num_kind *kind)
{
	size_t i = 0, len = 0, d, fl;

	*kind = NUM_OTHER;
	if (n >= 3 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	    hexval(s[2]) >= 0) {
		for (i = 2; i < n && hexval(s[i]) >= 0; i++)
			;
		len = i;
		*kind = NUM_HEX;
		if (i < n && s[i] == 'L') {
			len = ++i;
			if (i < n && s[i] == 'L')
				len++;
			*kind = NUM_HEX64;
		}
		return len;     /* a float cannot contain an 'x' */
	}
	if (s[0] == '-' || s[0] == '+')
		i = 1;
	d = skip_digits(s, i, n);
	if (d > i) {
		len = d;
		*kind = NUM_INT;
		if (d < n && s[d] == 'L') {
			len = d + 1;
			if (len < n && s[len] == 'L')
				len++;
			*kind = NUM_INT64;
		}
	}
	fl = float_len(s, n);
	if (fl > len) {
		len = fl;
		*kind = NUM_OTHER;
	}
	return len;
}

/* Value of a decimal or hex literal; false if it needs more than 63 bits
 * (more than 64 for a negative number's magnitude is not needed: INT64_MIN
 * itself is our sentinel). */
static bool literal_value(const char *s, size_t n, enum num_kind kind,
			  int64_t *v)
{
	uint64_t m = 0;
	bool neg = false;
	size_t i = 0;

	if (kind == NUM_HEX || kind == NUM_HEX64) {
		for (i = 2; i < n && hexval(s[i]) >= 0; i++) {
			if (m > (UINT64_MAX >> 4))
				return false;
			m = m << 4 | (uint64_t)hexval(s[i]);
		}
	} else {
		if (s[0] == '-' || s[0] == '+')
			neg = s[i++] == '-';
		for (; i < n && is_digit(s[i]); i++) {
			if (m > (UINT64_MAX - 9) / 10)
				return false;
			m = m * 10 + (uint64_t)(s[i] - '0');
		}
	}
	if (m > INT64_MAX)
		return false;
	*v = neg ? -(int64_t)m : (int64_t)m;
	return true;
}

/* One number token: copied, with an 'L' when libconfig 1.5 would wrap it
 * into an int, or replaced by the sentinel when no 64 bits hold it. */
static void emit_number(struct buf *b, const char *s, size_t len,
			enum num_kind kind)
{
	int64_t v;

	if (kind == NUM_OTHER) {
		buf_add(b, s, len);
		return;
	}
	if (!literal_value(s, len, kind, &v) || v == INT64_MIN) {
		buf_add(b, INT_SENTINEL, strlen(INT_SENTINEL));
		return;
	}
	buf_add(b, s, len);
	if ((kind == NUM_INT && (v < INT_MIN || v > INT_MAX)) ||
	    (kind == NUM_HEX && v > INT_MAX))
		buf_add(b, "L", 1);
}

/* libconfig's include_open: ^[ \t]*@include[ \t]+\"  Returns the length
 * up to and with the quote, or 0. */
static size_t include_len(const char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n - i < 8 || memcmp(s + i, "@include", 8) != 0)
		return 0;
	j = i + 8;
	while (j < n && (s[j] == ' ' || s[j] == '\t'))
		j++;
	if (j == i + 8 || j >= n || s[j] != '"')
		return 0;
	return j + 1;
}

struct scan {
	struct ctx *x;
	const char *s;
	size_t n, i;
	int line;
	struct buf *b;
};

/* Copy s[i..end) with everything but newlines blanked. */
static void blank_to(struct scan *sc, size_t end)
{
	for (; sc->i < end; sc->i++) {
		char ch = sc->s[sc->i] == '\n' ? '\n' : ' ';

		if (ch == '\n')
			sc->line++;
		buf_add(sc->b, &ch, 1);
	}
}

/* Copy s[i..end) unchanged, counting lines. */
static void copy_to(struct scan *sc, size_t end)
{
	size_t k;

	for (k = sc->i; k < end; k++)
		if (sc->s[k] == '\n')
			sc->line++;
	buf_add(sc->b, sc->s + sc->i, end - sc->i);
	sc->i = end;
}

static void scan_include(struct scan *sc, size_t open)
{
	const char *s = sc->s;
	size_t j = sc->i + open;

	error(sc->x, sc->line, "@include is not supported; nflogd reads one "
	      "file: put the settings in it");
	while (j < sc->n) {
		if (s[j] == '\\' && j + 1 < sc->n &&
		    (s[j + 1] == '\\' || s[j + 1] == '"'))
			j += 2;
		else if (s[j++] == '"')
			break;
	}
	blank_to(sc, j);
}

static void scan_string(struct scan *sc)
{
	const char *s = sc->s;

	copy_to(sc, sc->i + 1);
	while (sc->i < sc->n) {
		size_t i = sc->i + strcspn(s + sc->i, "\"\\");

		copy_to(sc, i);
		if (i >= sc->n)
			return;
		if (s[i] == '"') {
			copy_to(sc, i + 1);
			return;
		}
		if (i + 1 >= sc->n) {
			copy_to(sc, i + 1);
			continue;
		}
		if ((s[i + 1] == 'x' || s[i + 1] == 'X') && i + 3 < sc->n &&
		    hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
			if (hexval(s[i + 2]) == 0 && hexval(s[i + 3]) == 0) {
				/* libconfig would end the string here */
				error(sc->x, sc->line, "\"\\x00\" in a string; "
				      "a string cannot hold a NUL byte");
				buf_add(sc->b, "?", 1);
				sc->i = i + 4;
			} else {
				copy_to(sc, i + 4);
			}
		} else if (strchr("nrtf\\\"", s[i + 1])) {
			copy_to(sc, i + 2);
		} else {
			copy_to(sc, i + 1);
		}
	}
}

static bool is_name_start(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '*';
}

static bool is_name_rest(char ch)
{
	return is_name_start(ch) || is_digit(ch) || ch == '-' || ch == '_';
}

/* s has no NUL bytes and ends with a newline. */
static void scan(struct scan *sc)
{
	const char *s = sc->s;
	bool bol = true;

	while (sc->i < sc->n) {
		size_t i = sc->i, j;
		char ch = s[i];
		enum num_kind kind;

		if (bol && (j = include_len(s + i, sc->n - i)) > 0) {
			scan_include(sc, j);
			bol = false;
			continue;
		}
		bol = ch == '\n';
		if (ch == '"') {
			scan_string(sc);
		} else if (ch == '/' && i + 1 < sc->n && s[i + 1] == '*') {
			const char *end = strstr(s + i + 2, "*/");

			copy_to(sc, end ? (size_t)(end - s) + 2 : sc->n);
		} else if (ch == '#' || (ch == '/' && s[i + 1] == '/')) {
			copy_to(sc, i + strcspn(s + i, "\n"));
		} else if (is_name_start(ch)) {
			for (j = i + 1; j < sc->n && is_name_rest(s[j]); j++)
				;
			copy_to(sc, j);
		} else if ((is_digit(ch) || ch == '-' || ch == '+' ||
			    ch == '.') &&
			   (j = number_len(s + i, sc->n - i, &kind)) > 0) {
			emit_number(sc->b, s + i, j, kind);
			sc->i += j;
		} else {
			copy_to(sc, i + 1);
		}
	}
}

/* The text libconfig gets (see the top of the file), in b. */
static int prep_text(struct ctx *x, const char *text, size_t len,
		     struct buf *b)
{
	struct buf raw = { 0 };
	struct scan sc = { .x = x, .line = 1, .b = b };
	const char *nul = memchr(text, 0, len);
	size_t i, lines = 1;

	if (len > CONFIG_TEXT_MAX)
		return error(x, 1, "the file is %zu bytes long; at most %d "
			     "are allowed", len, CONFIG_TEXT_MAX);
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (lines > USHRT_MAX)
		return error(x, 1, "the file has %zu lines; at most %u are "
			     "allowed", lines, USHRT_MAX);
	if (nul) {
		int line = 1;

		for (i = 0; text + i < nul; i++)
			line += text[i] == '\n';
		error(x, line, "NUL byte in the file; a configuration file "
		      "is text");
	}
	buf_add(&raw, text, len);
	/* libconfig takes "# comment" without a final newline for garbage. */
	if (len == 0 || text[len - 1] != '\n')
		buf_add(&raw, "\n", 1);
	if (raw.oom) {
		free(raw.p);
		return -ENOMEM;
	}
	for (i = 0; i < len; i++)
		if (!raw.p[i])
			raw.p[i] = ' ';
	/* A UTF-8 byte order mark (some editors write one) is blanked, not
	 * a syntax error. */
	if (len >= 3 && !memcmp(raw.p, "\xef\xbb\xbf", 3))
		memset(raw.p, ' ', 3);

	sc.s = raw.p;
	sc.n = raw.len;
	buf_add(b, "", 0);
	scan(&sc);
	free(raw.p);
	return b->oom ? -ENOMEM : 0;
}

/* ---------------------------------------------------------------- values */

static int line_of(const config_setting_t *s)
{
	int line = config_setting_source_line(s);

	/* Only the root has none.  (The line of an array element can be the
	 * next one, the parser's lookahead: errors about elements use the
	 * array's line.) */
	while (line == 0 && config_setting_parent(s)) {
		s = config_setting_parent(s);
		line = config_setting_source_line(s);
	}
	return line;
}

static const char *type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ]";
	case CONFIG_TYPE_LIST:
		return "a list ( )";
	case CONFIG_TYPE_GROUP:
		return "a group { }";
	}
	return "a setting of unknown type";
}

/* The value of a string setting, never NULL. */
static const char *str_of(const config_setting_t *s)
{
	const char *v = config_setting_get_string(s);

	return v ? v : "";
}

static const char *key_of(const config_setting_t *s)
{
	const char *name = config_setting_name(s);

	return name ? name : "value";
}

/* An integer in [min, max]; note (e.g. " (0 = off)") ends the message. */
static int get_int(struct ctx *x, const config_setting_t *s, int64_t min,
		   int64_t max, const char *note, int64_t *out)
{
	int64_t v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		break;
	default:
		return error(x, line_of(s), "%s must be an integer, not %s; "
			     "allowed: %" PRId64 "..%" PRId64 "%s",
			     key_of(s), type_name(s), min, max, note);
	}
	if (v == INT64_MIN)
		return error(x, line_of(s), "%s is out of range; allowed: "
			     "%" PRId64 "..%" PRId64 "%s", key_of(s), min,
			     max, note);
	if (v < min || v > max)
		return error(x, line_of(s), "%s %" PRId64 " is out of range; "
			     "allowed: %" PRId64 "..%" PRId64 "%s", key_of(s),
			     v, min, max, note);
	*out = v;
	return 0;
}

static int get_u32(struct ctx *x, const config_setting_t *s, uint32_t min,
		   uint32_t max, const char *note, uint32_t *out)
{
	int64_t v;
	int r = get_int(x, s, min, max, note, &v);

	if (r == 0)
		*out = (uint32_t)v;
	return r;
}

static int get_bool(struct ctx *x, const config_setting_t *s, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return error(x, line_of(s), "%s must be a boolean, not %s; "
			     "allowed: true, false", key_of(s), type_name(s));
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

static int get_string(struct ctx *x, const config_setting_t *s,
		      const char *what, const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return error(x, line_of(s), "%s must be a string, not %s; "
			     "allowed: %s", key_of(s), type_name(s), what);
	*out = str_of(s);
	return 0;
}

/* One of names[] (by index); a near miss gets a suggestion. */
static int get_enum(struct ctx *x, const config_setting_t *s,
		    const char *const *names, size_t n, unsigned int *out)
{
	char all[QBUF], q[QBUF];
	const char *v, *near;
	size_t i;

	join(all, sizeof(all), names, n);
	if (get_string(x, s, all, &v) < 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = (unsigned int)i;
			return 0;
		}
	}
	near = suggest(v, names, n);
	if (near)
		return error(x, line_of(s), "unknown %s %s; did you mean "
			     "\"%s\"?", key_of(s), quote(q, sizeof(q), v),
			     near);
	return error(x, line_of(s), "unknown %s %s; allowed: %s", key_of(s),
		     quote(q, sizeof(q), v), all);
}

#define NAME_RULE "1..31 of A-Z a-z 0-9 _ . -"

/* A name of the names rule into buf (CONFIG_NAME_MAX).  A string that is
 * merely badly spelt is still stored so later lookups by it do not report
 * the same mistake again. */
static int get_name(struct ctx *x, const config_setting_t *s, char *buf)
{
	char q[QBUF];
	const char *v;
	size_t len;

	if (get_string(x, s, NAME_RULE, &v) < 0)
		return -EINVAL;
	len = strlen(v);
	/* (but only what can be shown in a message as it is) */
	if (len < CONFIG_NAME_MAX && printable(v) && !strchr(v, '\''))
		memcpy(buf, v, len + 1);
	if (len == 0 || len >= CONFIG_NAME_MAX || !all_name_chars(v))
		return error(x, line_of(s), "%s %s is not a valid name; "
			     "allowed: %s", key_of(s),
			     quote(q, sizeof(q), v), NAME_RULE);
	return 0;
}

/* An absolute path into buf (CONFIG_PATH_MAX, written only if valid); ""
 * too if empty_ok. */
static int get_path(struct ctx *x, const config_setting_t *s, bool empty_ok,
		    char *buf)
{
	const char *what = empty_ok ? "an absolute path or \"\""
				    : "an absolute path";
	char q[QBUF];
	const char *v, *p;

	if (get_string(x, s, what, &v) < 0)
		return -EINVAL;
	if (strlen(v) >= CONFIG_PATH_MAX)
		return error(x, line_of(s), "%s is %zu bytes long; allowed: "
			     "at most %d", key_of(s), strlen(v),
			     CONFIG_PATH_MAX - 1);
	if (!(v[0] == '/' || (empty_ok && v[0] == 0)))
		return error(x, line_of(s), "%s %s is not absolute; "
			     "allowed: %s", key_of(s), quote(q, sizeof(q), v),
			     what);
	for (p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return error(x, line_of(s), "%s %s has a control "
				     "character; allowed: %s", key_of(s),
				     quote(q, sizeof(q), v), what);
	strcpy(buf, v);
	return 0;
}

/* ---------------------------------------------------------------- sections */

enum section_id {
	SEC_TOP, SEC_GROUP, SEC_OUTPUT, SEC_RULE, SEC_FIREWALL, SEC_CT_INVALID,
	SEC_N
};

enum top_key {
	T_IDENTITY, T_HOSTNAME, T_STATS_INTERVAL, T_FLOOD_SUMMARY_INTERVAL,
	T_RUNTIME_DIR, T_STATE_DIR, T_METRICS_PATH, T_USER, T_GROUP,
	T_FIREWALL, T_CT_INVALID, T_GROUPS, T_OUTPUTS, T_RULES, T_N
};
static const char *const top_keys[T_N] = {
	"identity", "hostname", "stats_interval", "flood_summary_interval",
	"runtime_dir", "state_dir", "metrics_path", "user", "group", "firewall",
	"conntrack_invalid", "groups", "outputs", "rules",
};

enum group_key {
	G_ID, G_COPY_RANGE, G_QUEUE_THRESHOLD, G_FLUSH_TIMEOUT, G_NLBUFSIZ,
	G_RCVBUF, G_CONNTRACK, G_N
};
static const char *const group_keys[G_N] = {
	"id", "copy_range", "queue_threshold", "flush_timeout", "nlbufsiz",
	"rcvbuf", "conntrack",
};

enum output_key {
	O_NAME, O_TYPE, O_PATH, O_FORMAT, O_LINE_STYLE, O_MAX_SIZE, O_KEEP,
	O_MODE, O_QUEUE_SIZE, O_N
};
static const char *const output_keys[O_N] = {
	"name", "type", "path", "format", "line_style", "max_size", "keep",
	"mode", "queue_size",
};

enum rule_key {
	R_NAME, R_GROUP, R_PREFIX, R_LEVEL, R_LOG_FLAGS, R_ACTION, R_OUTPUTS,
	/* the kernel rule nflogd installs */
	R_FAMILY, R_HOOK, R_PRIORITY, R_TABLE, R_CHAIN, R_POSITION, R_MATCH,
	R_SNAPLEN, R_QUEUE_THRESHOLD, R_LIMIT, R_BURST,
	/* nflogd's own record budget */
	R_RECORD_LIMIT, R_RECORD_BURST, R_N
};
static const char *const rule_keys[R_N] = {
	"name", "group", "prefix", "level", "log_flags", "action", "outputs",
	"family", "hook", "priority", "table", "chain", "position", "match",
	"snaplen", "queue_threshold", "limit", "burst", "record_limit",
	"record_burst",
};

enum firewall_key { F_BACKEND, F_TABLE, F_CHECK_INTERVAL, F_N };
static const char *const firewall_keys[F_N] = {
	"backend", "table", "check_interval",
};

enum ct_key {
	C_PROTOCOL, C_FAMILIES, C_NAME, C_LEVEL, C_LOG_FLAGS, C_ACTION,
	C_OUTPUTS, C_RECORD_LIMIT, C_RECORD_BURST, C_N
};
static const char *const ct_keys[C_N] = {
	"protocol", "families", "name", "level", "log_flags", "action",
	"outputs", "record_limit", "record_burst",
};

#define MAX_KEYS R_N
_Static_assert((int)T_N <= (int)MAX_KEYS && (int)G_N <= (int)MAX_KEYS &&
	       (int)O_N <= (int)MAX_KEYS && (int)F_N <= (int)MAX_KEYS &&
	       (int)C_N <= (int)MAX_KEYS,
	       "MAX_KEYS is the largest section");

struct section {
	const char *in;         /* "in rule" */
	const char *belongs;    /* "in a rule" */
	const char *const *keys;
	size_t n;
};

static const struct section sections[SEC_N] = {
	[SEC_TOP] = { "at the top level", "at the top level", top_keys, T_N },
	[SEC_GROUP] = { "in group", "in a group", group_keys, G_N },
	[SEC_OUTPUT] = { "in output", "in an output", output_keys, O_N },
	[SEC_RULE] = { "in rule", "in a rule", rule_keys, R_N },
	[SEC_FIREWALL] = { "in firewall", "in firewall", firewall_keys, F_N },
	[SEC_CT_INVALID] = { "in conntrack_invalid", "in conntrack_invalid",
			     ct_keys, C_N },
};

static int key_index(const struct section *sec, const char *name)
{
	size_t i;

	for (i = 0; i < sec->n; i++)
		if (strcmp(sec->keys[i], name) == 0)
			return (int)i;
	return -1;
}

/* Where the key would be valid (a key of another section is more likely
 * in the wrong place than misspelt: 'path' in a rule is not 'match');
 * else the nearest valid name; else the keys allowed here. */
static void unknown_key(struct ctx *x, enum section_id id,
			const config_setting_t *s)
{
	const struct section *sec = &sections[id];
	const char *name = config_setting_name(s);
	const char *near = suggest(name, sec->keys, sec->n);
	char where[QBUF], all[QBUF];
	size_t o = 0;
	unsigned int i;

	where[0] = 0;
	for (i = 0; i < SEC_N; i++) {
		if (i == id || key_index(&sections[i], name) < 0)
			continue;
		o += (size_t)snprintf(where + o, sizeof(where) - o, "%s%s",
				      o ? " or " : "", sections[i].belongs);
	}
	if (o)
		error(x, line_of(s), "unknown key '%s' %s; '%s' belongs %s",
		      name, sec->in, name, where);
	else if (near)
		error(x, line_of(s), "unknown key '%s' %s; did you mean "
		      "'%s'?", name, sec->in, near);
	else
		error(x, line_of(s), "unknown key '%s' %s; allowed: %s", name,
		      sec->in, join(all, sizeof(all), sec->keys, sec->n));
}

/* What walk_keys() found: the line of each key (0 when absent), and
 * whether its value was valid (so that one bad value does not make the
 * checks across keys report more). */
struct keys {
	int line[MAX_KEYS];
	bool ok[MAX_KEYS];
};

/* Dispatch the keys of one group { } to set(), which returns 0 or
 * -EINVAL (reported). */
typedef int (*set_fn)(struct ctx *x, unsigned int k,
		      const config_setting_t *s, void *obj);

static void walk_keys(struct ctx *x, enum section_id id,
		      const config_setting_t *grp, set_fn set, void *obj,
		      struct keys *seen)
{
	unsigned int i, n = (unsigned int)config_setting_length(grp);

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(grp, i);
		int k = key_index(&sections[id], config_setting_name(s));

		if (k < 0) {
			unknown_key(x, id, s);
			continue;
		}
		seen->line[k] = line_of(s);
		seen->ok[k] = set(x, (unsigned int)k, s, obj) == 0;
	}
}

/* ---------------------------------------------------------------- top */

static int get_hostname(struct ctx *x, const config_setting_t *s, char *buf)
{
	const char *what = "\"\" or 1..63 of A-Z a-z 0-9 _ . -";
	char q[QBUF];
	const char *v;

	if (get_string(x, s, what, &v) < 0)
		return -EINVAL;
	if (strlen(v) > HOSTNAME_LEN_MAX || !all_name_chars(v))
		return error(x, line_of(s), "hostname %s is not a valid host "
			     "name; allowed: %s", quote(q, sizeof(q), v), what);
	strcpy(buf, v);
	return 0;
}

/* user = and group = : a name as useradd/groupadd accept it. */
static int get_account(struct ctx *x, const config_setting_t *s, char *buf)
{
	const char *what = "\"\" or a name: 1..31 of A-Z a-z 0-9 _ . -, "
			   "not starting with -";
	char q[QBUF];
	const char *v;

	if (get_string(x, s, what, &v) < 0)
		return -EINVAL;
	if (strlen(v) >= CONFIG_NAME_MAX || !all_name_chars(v) ||
	    v[0] == '-')
		return error(x, line_of(s), "%s %s is not a valid %s name; "
			     "allowed: %s", key_of(s), quote(q, sizeof(q), v),
			     key_of(s), what);
	strcpy(buf, v);
	return 0;
}

/* node_exporter's textfile collector reads only *.prom files: anything
 * else would be written and silently never read. */
static int get_metrics_path(struct ctx *x, const config_setting_t *s,
			    char *buf)
{
	char tmp[CONFIG_PATH_MAX], q[QBUF];
	size_t len;

	if (get_path(x, s, true, tmp) < 0)
		return -EINVAL;
	len = strlen(tmp);
	if (len && (len < 6 || strcmp(tmp + len - 5, ".prom") != 0 ||
		    tmp[len - 6] == '/'))
		return error(x, line_of(s), "metrics_path %s does not end in "
			     ".prom; allowed: \"\" or an absolute path to a "
			     "*.prom file (node_exporter reads only those)",
			     quote(q, sizeof(q), tmp));
	strcpy(buf, tmp);
	return 0;
}

struct top {
	const config_setting_t *lists[3];       /* groups, outputs, rules */
	const config_setting_t *firewall, *ct_invalid;
};

static int set_top(struct ctx *x, unsigned int k, const config_setting_t *s,
		   void *obj)
{
	struct config *c = x->c;
	struct top *t = obj;

	switch ((enum top_key)k) {
	case T_IDENTITY:
		return get_name(x, s, c->identity);
	case T_HOSTNAME:
		return get_hostname(x, s, c->hostname);
	case T_STATS_INTERVAL:
		return get_u32(x, s, 0, MAX_STATS_INTERVAL,
			       " (seconds, 0 = off)", &c->stats_interval);
	case T_FLOOD_SUMMARY_INTERVAL:
		return get_u32(x, s, 1, MAX_FLOOD_SUMMARY_INTERVAL, " (seconds)",
			       &c->flood_summary_interval);
	case T_RUNTIME_DIR:
		return get_path(x, s, false, c->runtime_dir);
	case T_STATE_DIR:
		return get_path(x, s, false, c->state_dir);
	case T_METRICS_PATH:
		return get_metrics_path(x, s, c->metrics_path);
	case T_USER:
		return get_account(x, s, c->user);
	case T_GROUP:
		return get_account(x, s, c->group);
	case T_FIREWALL:
		t->firewall = s;
		return 0;
	case T_CT_INVALID:
		t->ct_invalid = s;
		return 0;
	case T_GROUPS:
	case T_OUTPUTS:
	case T_RULES:
		t->lists[k - T_GROUPS] = s;
		return 0;
	case T_N:
		break;
	}
	return 0;
}

/* A list ( ) of groups { }: returns the number of entries, or -1. */
static int check_list(struct ctx *x, const config_setting_t *s,
		      const char *example)
{
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		error(x, line_of(s), "%s must be a list ( ), not %s; write "
		      "%s = ( %s, ... );", key_of(s), type_name(s), key_of(s),
		      example);
		return -1;
	}
	return config_setting_length(s);
}

static bool check_entry(struct ctx *x, const config_setting_t *list,
			const config_setting_t *e, unsigned int i,
			const char *example)
{
	if (config_setting_type(e) == CONFIG_TYPE_GROUP)
		return true;
	error(x, line_of(e), "entry %u of %s is %s; each entry must be a "
	      "group %s", i + 1, key_of(list), type_name(e), example);
	return false;
}

/* ---------------------------------------------------------------- firewall */

static const char *const backend_names[] = { "nftables", "iptables", "none" };
static const char *const family_names[] = { "inet", "ip", "ip6", "bridge" };
static const char *const hook_names[] = {
	"prerouting", "input", "forward", "output", "postrouting",
};
static const char *const position_names[] = { "append", "insert" };
static const char *const unit_names[] = { "second", "minute", "hour", "day" };
static const char *const ipt_tables[] = {
	"filter", "mangle", "raw", "security",
};

_Static_assert(ARRAY_SIZE(backend_names) == FW_NONE + 1, "backend_names");
_Static_assert(ARRAY_SIZE(family_names) == FW_FAMILY_BRIDGE + 1,
	       "family_names");
_Static_assert(ARRAY_SIZE(hook_names) == FW_HOOK_POSTROUTING + 1,
	       "hook_names");
_Static_assert(ARRAY_SIZE(unit_names) == LIMIT_DAY + 1, "unit_names");

#define FW_TABLE_RULE "1..31 of A-Z a-z 0-9 _ -, starting with a letter"
#define CHAIN_RULE "1..31 of A-Z a-z 0-9 _ . -, starting with a letter or _"

static bool is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* A table or chain name (nft identifiers; iptables chains like INPUT)
 * into buf (CONFIG_TABLE_MAX).  nflogd's own table (own) also starts the
 * names of its iptables chains and the tag "<table>:<rule>" on its rules:
 * no '.', and a letter first. */
static int get_table_name(struct ctx *x, const config_setting_t *s, bool own,
			  char *buf)
{
	const char *what = own ? FW_TABLE_RULE : CHAIN_RULE;
	char q[QBUF];
	const char *v, *p;
	bool ok;

	if (get_string(x, s, what, &v) < 0)
		return -EINVAL;
	ok = strlen(v) < CONFIG_TABLE_MAX &&
	     (is_alpha(v[0]) || (!own && v[0] == '_'));
	for (p = v; ok && *p; p++)
		ok = is_name_char(*p) && !(own && *p == '.');
	if (!ok)
		return error(x, line_of(s), "%s %s is not a valid name; "
			     "allowed: %s", key_of(s), quote(q, sizeof(q), v),
			     what);
	strcpy(buf, v);
	return 0;
}

/* A section that is one group { }. */
static bool check_group_setting(struct ctx *x, const config_setting_t *s,
				const char *example)
{
	if (config_setting_type(s) == CONFIG_TYPE_GROUP)
		return true;
	error(x, line_of(s), "%s must be a group { }, not %s; write %s = { "
	      "%s };", key_of(s), type_name(s), key_of(s), example);
	return false;
}

static int set_firewall(struct ctx *x, unsigned int k,
			const config_setting_t *s, void *obj)
{
	struct config_firewall *f = obj;
	unsigned int v = 0;

	switch ((enum firewall_key)k) {
	case F_BACKEND:
		if (get_enum(x, s, backend_names, ARRAY_SIZE(backend_names),
			     &v) < 0)
			return -EINVAL;
		f->backend = (enum fw_backend)v;
		return 0;
	case F_TABLE:
		return get_table_name(x, s, true, f->table);
	case F_CHECK_INTERVAL:
		return get_u32(x, s, 1, MAX_CHECK_INTERVAL, " (seconds)",
			       &f->check_interval);
	case F_N:
		break;
	}
	return 0;
}

static void parse_firewall(struct ctx *x, const config_setting_t *s)
{
	struct config_firewall *f = &x->c->fw;
	struct keys seen = { { 0 }, { 0 } };
	char q[QBUF];

	x->backend_ok = true;
	if (!s)
		return;
	if (!check_group_setting(x, s, "backend = \"nftables\";")) {
		x->backend_ok = false;
		return;
	}
	f->line = line_of(s);
	walk_keys(x, SEC_FIREWALL, s, set_firewall, f, &seen);
	x->backend_ok = !seen.line[F_BACKEND] || seen.ok[F_BACKEND];
	if (!x->backend_ok)
		return;
	if (seen.line[F_CHECK_INTERVAL] && f->backend == FW_NFTABLES)
		error(x, seen.line[F_CHECK_INTERVAL], "check_interval applies "
		      "to backend \"iptables\" only; nftables tells nflogd "
		      "of every ruleset change as it happens");
	if (f->backend == FW_IPTABLES &&
	    strlen(f->table) > IPT_OWN_TABLE_LEN_MAX)
		error(x, seen.line[F_TABLE] ? seen.line[F_TABLE] : f->line,
		      "table %s is %zu characters long; allowed with backend "
		      "\"iptables\": at most %d (nflogd's chains are named "
		      "<TABLE>-<HOOK>, like NFLOGD-POSTROUTING, and iptables "
		      "chain names have at most %d)",
		      quote(q, sizeof(q), f->table), strlen(f->table),
		      IPT_OWN_TABLE_LEN_MAX, IPT_CHAIN_LEN_MAX);
}

/* ---------------------------------------------------------------- groups */

static int set_group(struct ctx *x, unsigned int k,
		     const config_setting_t *s, void *obj)
{
	struct config_group *g = obj;
	uint32_t v = 0;

	switch ((enum group_key)k) {
	case G_ID:
		if (get_u32(x, s, 0, MAX_GROUP_ID, "", &v) < 0)
			return -EINVAL;
		g->id = (uint16_t)v;
		return 0;
	case G_COPY_RANGE:
		return get_u32(x, s, 0, MAX_COPY_RANGE,
			       " (bytes, 0 = whole packet)", &g->copy_range);
	case G_QUEUE_THRESHOLD:
		return get_u32(x, s, 1, MAX_QUEUE_THRESHOLD, " (packets)",
			       &g->queue_threshold);
	case G_FLUSH_TIMEOUT:
		return get_u32(x, s, 0, MAX_FLUSH_TIMEOUT, " (1/100 s)",
			       &g->flush_timeout);
	case G_NLBUFSIZ:
		return get_u32(x, s, MIN_NLBUFSIZ, MAX_NLBUFSIZ, " (bytes)",
			       &g->nlbufsiz);
	case G_RCVBUF:
		return get_u32(x, s, MIN_RCVBUF, MAX_RCVBUF, " (bytes)",
			       &g->rcvbuf);
	case G_CONNTRACK:
		return get_bool(x, s, &g->conntrack);
	case G_N:
		break;
	}
	return 0;
}

static void group_defaults(struct config_group *g, uint16_t id, int line)
{
	memset(g, 0, sizeof(*g));
	g->id = id;
	g->copy_range = DEF_COPY_RANGE;
	g->queue_threshold = DEF_QUEUE_THRESHOLD;
	g->flush_timeout = DEF_FLUSH_TIMEOUT;
	g->nlbufsiz = DEF_NLBUFSIZ;
	g->rcvbuf = DEF_RCVBUF;
	g->line = line;
}

static const struct config_group *find_group(const struct config *c,
					     uint16_t id)
{
	unsigned int i;

	for (i = 0; i < c->n_groups; i++)
		if (c->groups[i].id == id)
			return &c->groups[i];
	return NULL;
}

static void parse_groups(struct ctx *x, const config_setting_t *list)
{
	static const char example[] = "{ id = N; ... }";
	struct config *c = x->c;
	int i, n = check_list(x, list, example);

	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(list,
							    (unsigned int)i);
		const struct config_group *dup;
		struct config_group g;
		struct keys seen = { { 0 }, { 0 } };

		if (!check_entry(x, list, e, (unsigned int)i, example))
			continue;
		if (c->n_groups == CONFIG_MAX_GROUPS) {
			error(x, line_of(e), "too many groups; allowed: at "
			      "most %d", CONFIG_MAX_GROUPS);
			return;
		}
		group_defaults(&g, 0, line_of(e));
		walk_keys(x, SEC_GROUP, e, set_group, &g, &seen);
		if (!seen.line[G_ID]) {
			error(x, line_of(e), "group has no id; every group "
			      "needs id = N (0..%d)", MAX_GROUP_ID);
			continue;
		}
		if (!seen.ok[G_ID])
			continue;
		dup = find_group(c, g.id);
		if (dup) {
			error(x, seen.line[G_ID], "group %u is defined twice "
			      "(first at line %d); allowed: one entry per "
			      "group id", g.id, dup->line);
			continue;
		}
		c->groups[c->n_groups++] = g;
	}
}

/* ---------------------------------------------------------------- outputs */

static const char *const type_names[] = { "journal", "file" };
static const char *const format_names[] = { "json", "log" };
static const char *const style_names[] = { "rfc3339", "syslog", "bare" };

/* Integer bytes, or a string of digits with a K, M or G suffix (powers of
 * 1024).  0 = no size rotation. */
static int get_size(struct ctx *x, const config_setting_t *s, uint64_t *out)
{
	static const char what[] = "0 (off) or 4096..1099511627776 bytes, as "
				   "an integer or a string like \"100M\" "
				   "(K, M, G)";
	char q[QBUF];
	const char *v, *p;
	uint64_t m = 0;
	int64_t iv;
	unsigned int shift = 0;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		iv = config_setting_type(s) == CONFIG_TYPE_INT
			? config_setting_get_int(s)
			: config_setting_get_int64(s);
		if (iv == INT64_MIN)
			return error(x, line_of(s), "max_size is out of range; "
				     "allowed: %s", what);
		snprintf(q, sizeof(q), "%" PRId64, iv);
		m = iv < 0 ? MAX_MAX_SIZE + 1 : (uint64_t)iv;
		break;
	case CONFIG_TYPE_STRING:
		v = str_of(s);
		quote(q, sizeof(q), v);
		for (p = v; is_digit(*p); p++)
			m = m > MAX_MAX_SIZE ? m : m * 10 + (uint64_t)(*p - '0');
		switch (lower(*p)) {
		case 'k': shift = 10; p++; break;
		case 'm': shift = 20; p++; break;
		case 'g': shift = 30; p++; break;
		}
		if (!is_digit(v[0]) || *p)
			return error(x, line_of(s), "max_size %s is not a "
				     "size; allowed: %s", q, what);
		m = m > MAX_MAX_SIZE >> shift ? MAX_MAX_SIZE + 1 : m << shift;
		break;
	default:
		return error(x, line_of(s), "max_size must be an integer or a "
			     "string, not %s; allowed: %s", type_name(s), what);
	}
	if (m != 0 && (m < MIN_MAX_SIZE || m > MAX_MAX_SIZE))
		return error(x, line_of(s), "max_size %s is out of range; "
			     "allowed: %s", q, what);
	*out = m;
	return 0;
}

/* A string of octal digits: libconfig has no octal integers (0640 would be
 * read as six hundred and forty). */
static int get_mode(struct ctx *x, const config_setting_t *s,
		    unsigned int *out)
{
	static const char what[] = "a string of octal digits \"0000\".."
				   "\"0777\", not writable by others, like "
				   "\"0640\"";
	char q[QBUF];
	unsigned int m = 0;
	const char *v, *p;

	if (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64)
		return error(x, line_of(s), "mode must be a string, not an "
			     "integer (libconfig reads 0640 as decimal); "
			     "allowed: %s", what);
	if (get_string(x, s, what, &v) < 0)
		return -EINVAL;
	for (p = v; *p >= '0' && *p <= '7' && p - v < 4; p++)
		m = m * 8 + (unsigned int)(*p - '0');
	if (p == v || *p || m > 0777)
		return error(x, line_of(s), "mode %s is not a permission "
			     "mode; allowed: %s", quote(q, sizeof(q), v), what);
	/* Anyone could forge log lines into a world-writable log. */
	if (m & 0002)
		return error(x, line_of(s), "mode %s lets every user write "
			     "the log; allowed: %s", quote(q, sizeof(q), v),
			     what);
	*out = m;
	return 0;
}

static int set_output(struct ctx *x, unsigned int k,
		      const config_setting_t *s, void *obj)
{
	struct config_output *o = obj;
	unsigned int v = 0;
	uint32_t u = 0;

	switch ((enum output_key)k) {
	case O_NAME:
		return get_name(x, s, o->name);
	case O_TYPE:
		if (get_enum(x, s, type_names, ARRAY_SIZE(type_names),
			     &v) < 0)
			return -EINVAL;
		o->type = (enum output_type)v;
		return 0;
	case O_PATH:
		return get_path(x, s, false, o->path);
	case O_FORMAT:
		if (get_enum(x, s, format_names, ARRAY_SIZE(format_names),
			     &v) < 0)
			return -EINVAL;
		o->format = (enum output_format)v;
		return 0;
	case O_LINE_STYLE:
		if (get_enum(x, s, style_names, ARRAY_SIZE(style_names),
			     &v) < 0)
			return -EINVAL;
		o->line_style = (enum line_style)v;
		return 0;
	case O_MAX_SIZE:
		return get_size(x, s, &o->max_size);
	case O_KEEP:
		if (get_u32(x, s, 0, MAX_KEEP, " (rotated files)", &u) < 0)
			return -EINVAL;
		o->keep = u;
		return 0;
	case O_MODE:
		return get_mode(x, s, &o->mode);
	case O_QUEUE_SIZE:
		if (get_u32(x, s, MIN_QUEUE_SIZE, MAX_QUEUE_SIZE,
			    " (records)", &u) < 0)
			return -EINVAL;
		o->queue_size = u;
		return 0;
	case O_N:
		break;
	}
	return 0;
}

static void output_defaults(struct config_output *o, int line)
{
	memset(o, 0, sizeof(*o));
	o->format = FORMAT_JSON;
	o->line_style = STYLE_RFC3339;
	o->keep = DEF_KEEP;
	o->mode = DEF_MODE;
	o->queue_size = DEF_QUEUE_SIZE;
	o->line = line;
}

static const struct config_output *find_output(const struct config *c,
					       const char *name)
{
	unsigned int i;

	for (i = 0; i < c->n_outputs; i++)
		if (strcmp(c->outputs[i].name, name) == 0)
			return &c->outputs[i];
	return NULL;
}

/* The keys that mean something for a file only. */
static const enum output_key file_only[] = {
	O_PATH, O_FORMAT, O_LINE_STYLE, O_MAX_SIZE, O_KEEP, O_MODE,
};

/* Checks across the keys of one output; false if it cannot be stored
 * (no name, or the name of another). */
static bool check_output(struct ctx *x, const struct config_output *o,
			 const struct keys *seen)
{
	const struct config_output *dup;
	char q[QBUF];
	size_t i;

	if (!seen->line[O_NAME]) {
		error(x, o->line, "output has no name; every output needs "
		      "name = \"...\" (%s)", NAME_RULE);
		return false;
	}
	if (!seen->line[O_TYPE]) {
		error(x, o->line, "output '%s' has no type; allowed: type = "
		      "\"journal\" or \"file\"", o->name);
	} else if (!seen->ok[O_TYPE]) {
		/* reported; which keys apply is unknown */
	} else if (o->type == OUTPUT_JOURNAL) {
		for (i = 0; i < ARRAY_SIZE(file_only); i++)
			if (seen->line[file_only[i]])
				error(x, seen->line[file_only[i]], "%s applies "
				      "to file outputs only; output '%s' has "
				      "type \"journal\"",
				      output_keys[file_only[i]], o->name);
	} else {
		if (!seen->line[O_PATH])
			error(x, o->line, "file output '%s' has no path; a "
			      "file output needs path = \"/absolute/file\"",
			      o->name);
		/* (format absent: json) */
		if (seen->line[O_LINE_STYLE] && o->format != FORMAT_LOG &&
		    (!seen->line[O_FORMAT] || seen->ok[O_FORMAT]))
			error(x, seen->line[O_LINE_STYLE], "line_style applies "
			      "to format \"log\" only; output '%s' has "
			      "format \"json\"", o->name);
	}
	if (o->name[0] && (dup = find_output(x->c, o->name))) {
		error(x, seen->line[O_NAME], "output '%s' is defined twice "
		      "(first at line %d); allowed: one output per name",
		      o->name, dup->line);
		return false;
	}
	for (i = 0; o->type == OUTPUT_FILE && o->path[0] &&
		    i < x->c->n_outputs; i++) {
		dup = &x->c->outputs[i];
		if (dup->type == OUTPUT_FILE && !strcmp(dup->path, o->path))
			error(x, seen->line[O_PATH], "output '%s' writes to %s "
			      "like output '%s' (line %d); allowed: one "
			      "output per file", o->name,
			      quote(q, sizeof(q), o->path), dup->name,
			      dup->line);
	}
	return true;
}

static void parse_outputs(struct ctx *x, const config_setting_t *list)
{
	static const char example[] = "{ name = \"...\"; type = \"...\"; }";
	struct config *c = x->c;
	int i, n = check_list(x, list, example);

	if (n == 0)
		error(x, line_of(list), "outputs is empty; define at least "
		      "one output (or leave outputs out for one journal "
		      "output)");
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(list,
							    (unsigned int)i);
		struct config_output o;
		struct keys seen = { { 0 }, { 0 } };

		if (!check_entry(x, list, e, (unsigned int)i, example))
			continue;
		if (c->n_outputs == CONFIG_MAX_OUTPUTS) {
			error(x, line_of(e), "too many outputs; allowed: at "
			      "most %d", CONFIG_MAX_OUTPUTS);
			return;
		}
		output_defaults(&o, line_of(e));
		walk_keys(x, SEC_OUTPUT, e, set_output, &o, &seen);
		if (check_output(x, &o, &seen))
			c->outputs[c->n_outputs++] = o;
	}
}

/* No outputs key at all: one journal output, so that a config of one rule
 * is complete. */
static void default_outputs(struct config *c)
{
	struct config_output *o = &c->outputs[0];

	output_defaults(o, 0);
	strcpy(o->name, "journal");
	o->type = OUTPUT_JOURNAL;
	c->n_outputs = 1;
}

/* ---------------------------------------------------------------- rules */

static const char *const level_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

static const char *const flag_names[] = {
	"tcpseq", "tcpopt", "ipopt", "uid", "macdecode", "all", "none",
};
#define FLAG_LIST "tcpseq, tcpopt, ipopt, uid, macdecode, all, none"

/* One item of log_flags: "tcpseq", or "tcpseq,tcpopt" (spaces around the
 * names are allowed). */
static int add_flags(struct ctx *x, const config_setting_t *s, const char *v,
		     unsigned int *flags)
{
	char name[16], q[QBUF], q2[QBUF];
	const char *p = v;
	int r = 0;

	for (;;) {
		size_t n;
		const char *near, *bad;
		unsigned int f;

		while (*p == ' ')
			p++;
		n = strcspn(p, ",");
		while (n && p[n - 1] == ' ')
			n--;
		if (n && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = 0;
			if (fmt_log_parse_flags(name, &f, &bad) == 0) {
				*flags |= f;
				goto next;
			}
		}
		if (n >= sizeof(name) || n == 0)
			snprintf(name, sizeof(name), "%.*s", (int)n, p);
		near = suggest(name, flag_names, ARRAY_SIZE(flag_names));
		quote(q, sizeof(q), name);
		if (near)
			r = error(x, line_of(s), "unknown log flag %s; did you "
				  "mean \"%s\"?", q, near);
		else if (strcmp(name, v) == 0)
			r = error(x, line_of(s), "unknown log flag %s; allowed: "
				  "%s", q, FLAG_LIST);
		else
			r = error(x, line_of(s), "unknown log flag %s in %s; "
				  "allowed: %s", q, quote(q2, sizeof(q2), v),
				  FLAG_LIST);
next:
		p += strcspn(p, ",");
		if (!*p)
			return r;
		p++;
	}
}

static int get_flags(struct ctx *x, const config_setting_t *s,
		     unsigned int *out)
{
	static const char what[] = "a string \"tcpseq,tcpopt\" or an array "
				   "[ \"tcpseq\", \"tcpopt\" ] of "
				   FLAG_LIST;
	unsigned int f = 0, i, n;
	int r = 0;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		r = add_flags(x, s, str_of(s), &f);
		break;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		n = (unsigned int)config_setting_length(s);
		for (i = 0; i < n; i++) {
			const config_setting_t *e =
				config_setting_get_elem(s, i);

			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				r = error(x, line_of(s), "log_flags has %s; "
					  "allowed: %s", type_name(e), what);
			else if (add_flags(x, s, str_of(e),
					   &f) < 0)
				r = -EINVAL;
		}
		break;
	default:
		return error(x, line_of(s), "log_flags must be a string or an "
			     "array, not %s; allowed: %s", type_name(s), what);
	}
	if (r == 0)
		*out = f;
	return r;
}

/* Printable ASCII, at most 127 characters: nft's limit, and what the
 * kernel hands back in NFULA_PREFIX to match the packet to its rule. */
static int get_prefix(struct ctx *x, const config_setting_t *s, char *buf)
{
	static const char what[] = "printable ASCII, at most 127 characters";
	const char *v;
	size_t i;

	if (get_string(x, s, what, &v) < 0)
		return -EINVAL;
	for (i = 0; v[i]; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return error(x, line_of(s), "prefix has byte 0x%02x at "
				     "offset %zu; allowed: %s",
				     (unsigned char)v[i], i, what);
	if (i > PREFIX_LEN_MAX)
		return error(x, line_of(s), "prefix is %zu characters long; "
			     "allowed: %s", i, what);
	memcpy(buf, v, i + 1);
	return 0;
}

static int get_action(struct ctx *x, const config_setting_t *s, char *buf)
{
	static const char what[] = "\"\" or 1..15 of A-Z a-z 0-9 _ . -, like "
				   "\"drop\"";
	char q[QBUF];
	const char *v;

	if (get_string(x, s, what, &v) < 0)
		return -EINVAL;
	if (strlen(v) > ACTION_LEN_MAX || !all_name_chars(v))
		return error(x, line_of(s), "action %s is not valid; "
			     "allowed: %s", quote(q, sizeof(q), v), what);
	strcpy(buf, v);
	return 0;
}

static int add_rule_output(struct ctx *x, const config_setting_t *s,
			   const config_setting_t *e, struct config_rule *r)
{
	const struct config *c = x->c;
	const char *names[CONFIG_MAX_OUTPUTS], *v, *near;
	char all[QBUF * 2], q[QBUF];
	unsigned int i, j;

	if (config_setting_type(e) != CONFIG_TYPE_STRING)
		return error(x, line_of(s), "outputs has %s; allowed: names "
			     "of outputs, like [ \"journal\" ]", type_name(e));
	v = str_of(e);
	for (i = 0; i < c->n_outputs; i++) {
		names[i] = c->outputs[i].name;
		if (strcmp(names[i], v) != 0)
			continue;
		for (j = 0; j < r->n_outputs; j++)
			if (r->outputs[j] == i)
				return error(x, line_of(s), "outputs lists "
					     "'%s' twice; allowed: each output "
					     "once", names[i]);
		r->outputs[r->n_outputs++] = i;
		return 0;
	}
	/* No outputs at all has been reported where they are defined. */
	if (c->n_outputs == 0)
		return -EINVAL;
	near = suggest(v, names, c->n_outputs);
	if (near)
		return error(x, line_of(s), "unknown output %s; did you mean "
			     "'%s'?", quote_name(q, sizeof(q), v), near);
	return error(x, line_of(s), "unknown output %s; defined outputs: %s",
		     quote_name(q, sizeof(q), v),
		     join(all, sizeof(all), names, c->n_outputs));
}

static int get_rule_outputs(struct ctx *x, const config_setting_t *s,
			    struct config_rule *r)
{
	unsigned int i, n;
	int ret = 0;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return error(x, line_of(s), "outputs must be an array, not "
			     "%s; allowed: names of outputs, like "
			     "[ \"journal\" ]", type_name(s));
	n = (unsigned int)config_setting_length(s);
	if (n == 0)
		return error(x, line_of(s), "outputs is empty; a rule needs at "
			     "least one output (leave outputs out for every "
			     "output)");
	for (i = 0; i < n; i++)
		if (add_rule_output(x, s, config_setting_get_elem(s, i), r))
			ret = -EINVAL;
	return ret;
}

/* The backend's own match syntax: one line of printable ASCII.  What
 * each backend allows on top is checked once the backend is known
 * (check_match_nft(), check_match_ipt()). */
static int get_match(struct ctx *x, const config_setting_t *s, char *buf)
{
	static const char what[] = "one line of printable ASCII, at most 511 "
				   "characters: a match in the backend's own "
				   "syntax, \"\" for every packet";
	const char *v;
	size_t i;

	if (get_string(x, s, what, &v) < 0)
		return -EINVAL;
	for (i = 0; v[i]; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return error(x, line_of(s), "match has byte 0x%02x at "
				     "offset %zu; allowed: %s",
				     (unsigned char)v[i], i, what);
	if (i >= CONFIG_MATCH_MAX)
		return error(x, line_of(s), "match is %zu characters long; "
			     "allowed: %s", i, what);
	memcpy(buf, v, i + 1);
	return 0;
}

#define LIMIT_WHAT "\"N/second\", \"N/minute\", \"N/hour\" or \"N/day\" " \
		   "(also s, sec, min, h, d), N 1..1000000"

/* A rate "N/unit": limit (the kernel rule's) and record_limit (nflogd's
 * record budget) share the syntax. */
static int get_rate(struct ctx *x, const config_setting_t *s,
		    uint32_t *rate, enum limit_unit *unit)
{
	static const struct {
		const char *name;
		enum limit_unit unit;
	} units[] = {
		{ "second", LIMIT_SECOND }, { "s", LIMIT_SECOND },
		{ "sec", LIMIT_SECOND }, { "minute", LIMIT_MINUTE },
		{ "min", LIMIT_MINUTE }, { "hour", LIMIT_HOUR },
		{ "h", LIMIT_HOUR }, { "day", LIMIT_DAY }, { "d", LIMIT_DAY },
	};
	char q[QBUF], q2[QBUF];
	const char *v, *p;
	uint64_t n = 0;
	size_t i;

	if (get_string(x, s, LIMIT_WHAT, &v) < 0)
		return -EINVAL;
	for (p = v; is_digit(*p); p++)
		n = n > MAX_LIMIT_RATE ? n : n * 10 + (uint64_t)(*p - '0');
	if (p == v || *p != '/')
		return error(x, line_of(s), "%s %s is not a rate; allowed: "
			     LIMIT_WHAT, key_of(s), quote(q, sizeof(q), v));
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (strcmp(p + 1, units[i].name) == 0)
			break;
	if (i == ARRAY_SIZE(units))
		return error(x, line_of(s), "%s %s has the unknown unit %s; "
			     "allowed: " LIMIT_WHAT, key_of(s),
			     quote(q, sizeof(q), v), quote(q2, sizeof(q2), p + 1));
	if (n < 1 || n > MAX_LIMIT_RATE)
		return error(x, line_of(s), "%s %s is out of range; "
			     "allowed: " LIMIT_WHAT, key_of(s),
			     quote(q, sizeof(q), v));
	*rate = (uint32_t)n;
	*unit = units[i].unit;
	return 0;
}

static int set_rule(struct ctx *x, unsigned int k, const config_setting_t *s,
		    void *obj)
{
	struct config_rule *r = obj;
	unsigned int v = 0;
	uint32_t u = 0;
	int64_t i64 = 0;

	switch ((enum rule_key)k) {
	case R_NAME:
		return get_name(x, s, r->name);
	case R_GROUP:
		if (get_u32(x, s, 0, MAX_GROUP_ID, "", &u) < 0)
			return -EINVAL;
		r->group = (uint16_t)u;
		return 0;
	case R_PREFIX:
		return get_prefix(x, s, r->prefix);
	case R_LEVEL:
		if (get_enum(x, s, level_names, ARRAY_SIZE(level_names),
			     &v) < 0)
			return -EINVAL;
		r->level = (int)v;
		return 0;
	case R_LOG_FLAGS:
		return get_flags(x, s, &r->log_flags);
	case R_ACTION:
		return get_action(x, s, r->action);
	case R_OUTPUTS:
		return get_rule_outputs(x, s, r);
	case R_FAMILY:
		if (get_enum(x, s, family_names, ARRAY_SIZE(family_names),
			     &v) < 0)
			return -EINVAL;
		r->fw.family = (enum fw_family)v;
		return 0;
	case R_HOOK:
		if (get_enum(x, s, hook_names, ARRAY_SIZE(hook_names), &v) < 0)
			return -EINVAL;
		r->fw.hook = (enum fw_hook)v;
		return 0;
	case R_PRIORITY:
		if (get_int(x, s, MIN_PRIORITY, MAX_PRIORITY,
			    " (nft priority; the filter chains have 0)",
			    &i64) < 0)
			return -EINVAL;
		r->fw.priority = (int)i64;
		return 0;
	case R_TABLE:
		return get_table_name(x, s, false, r->fw.table);
	case R_CHAIN:
		return get_table_name(x, s, false, r->fw.chain);
	case R_POSITION:
		/* (where the rule goes is settled in check_placement()) */
		if (get_enum(x, s, position_names, ARRAY_SIZE(position_names),
			     &v) < 0)
			return -EINVAL;
		r->fw.place = v ? FW_PLACE_INSERT : FW_PLACE_APPEND;
		return 0;
	case R_MATCH:
		return get_match(x, s, r->fw.match);
	case R_SNAPLEN:
		return get_u32(x, s, 0, MAX_RULE_SNAPLEN,
			       " (bytes, 0 = the group's copy_range)",
			       &r->fw.snaplen);
	case R_QUEUE_THRESHOLD:
		return get_u32(x, s, 0, MAX_RULE_QTHRESH,
			       " (packets, 0 = the group's)",
			       &r->fw.queue_threshold);
	case R_LIMIT:
		return get_rate(x, s, &r->fw.limit_rate, &r->fw.limit_unit);
	case R_BURST:
		return get_u32(x, s, 1, MAX_BURST, " (packets)",
			       &r->fw.limit_burst);
	case R_RECORD_LIMIT:
		return get_rate(x, s, &r->record_rate, &r->record_unit);
	case R_RECORD_BURST:
		return get_u32(x, s, 1, MAX_LIMIT_RATE, " (records)",
			       &r->record_burst);
	case R_N:
		break;
	}
	return 0;
}

static const struct config_rule *find_rule(const struct config *c,
					   const char *name)
{
	unsigned int i;

	for (i = 0; i < c->n_rules; i++)
		if (strcmp(c->rules[i].name, name) == 0)
			return &c->rules[i];
	return NULL;
}

static const struct config_rule *find_prefix(const struct config *c,
					     uint16_t group, const char *p)
{
	unsigned int i;

	for (i = 0; i < c->n_rules; i++)
		if (c->rules[i].group == group &&
		    strcmp(c->rules[i].prefix, p) == 0)
			return &c->rules[i];
	return NULL;
}

/* A rule's group that is not in groups gets one with the defaults. */
static void implicit_group(struct ctx *x, const struct config_rule *r)
{
	struct config *c = x->c;

	if (find_group(c, r->group))
		return;
	if (c->n_groups == CONFIG_MAX_GROUPS) {
		error(x, r->line, "rule '%s' adds group %u, one too many; "
		      "allowed: at most %d groups", r->name, r->group,
		      CONFIG_MAX_GROUPS);
		return;
	}
	group_defaults(&c->groups[c->n_groups++], r->group, r->line);
}

/* ---------------------------------------------------------------- kernel rules */

/* The keys that only mean something for a rule nflogd installs. */
static const enum rule_key installed_only[] = {
	R_FAMILY, R_PRIORITY, R_POSITION, R_MATCH, R_SNAPLEN,
	R_QUEUE_THRESHOLD, R_LIMIT, R_BURST,
};

/* nft verdicts: a rule of nflogd's logs, and never decides a packet's
 * fate (nor, with jump/goto, sends it elsewhere). */
static const char *const nft_verdicts[] = {
	"accept", "drop", "reject", "queue", "jump", "goto", "return",
	"continue",
};

static bool is_word_char(char ch)
{
	return is_name_char(ch) || ch == '@' || ch == '$' || ch == '/';
}

/* Offset of the first '"' that has no partner, or -1. */
static long unbalanced_quote(const char *m)
{
	long open = -1, i;

	for (i = 0; m[i]; i++)
		if (m[i] == '"')
			open = open < 0 ? i : -1;
	return open;
}

#define NFT_MATCH_WHAT "an nft expression, like \"tcp dport 22 ct state " \
		       "new\""

static void check_match_nft(struct ctx *x, int line, const char *m)
{
	char word[16], q[QBUF];
	bool in_str = false;
	size_t i, j, k;

	for (i = 0; m[i]; i++) {
		if (m[i] == '"') {
			in_str = !in_str;
			continue;
		}
		if (in_str)
			continue;
		if (m[i] == ';' || m[i] == '#') {
			error(x, line, "match has '%c' at offset %zu (it would "
			      "%s nflogd's own statements); allowed: "
			      NFT_MATCH_WHAT ", without ';' or '#' outside "
			      "strings", m[i], i, m[i] == ';'
			      ? "end the rule before" : "comment out");
			return;
		}
		if (!is_word_char(m[i]) || (i && is_word_char(m[i - 1])))
			continue;
		for (j = i; is_word_char(m[j]); j++)
			;
		if (j - i >= sizeof(word))
			continue;
		memcpy(word, m + i, j - i);
		word[j - i] = 0;
		for (k = 0; k < ARRAY_SIZE(nft_verdicts); k++)
			if (strcmp(word, nft_verdicts[k]) == 0) {
				error(x, line, "match has the verdict %s; "
				      "allowed: " NFT_MATCH_WHAT " without a "
				      "verdict (nflogd's rules log, and never "
				      "decide a packet's fate)",
				      quote(q, sizeof(q), word));
				return;
			}
	}
}

/* iptables options that are no match: a target (nflogd adds -j NFLOG)
 * or a command or table (nflogd places the rule).  getopt_long() takes
 * any unambiguous start of a long option, so "--jum" is "--jump". */
static const char *ipt_forbidden(const char *tok, bool *target)
{
	static const char *const targets[] = { "--jump", "--goto" };
	static const char *const commands[] = {
		"--append", "--insert", "--delete", "--replace",
		"--new-chain", "--delete-chain", "--flush", "--zero",
		"--policy", "--rename-chain", "--list", "--list-rules",
		"--table",
	};
	size_t n, i;

	if (tok[0] != '-')
		return NULL;
	if (tok[1] != '-') {
		*target = tok[1] == 'j' || tok[1] == 'g';
		return tok[1] && strchr("jgAIDRNXFZPELSt", tok[1]) ? tok : NULL;
	}
	n = strcspn(tok, "=");
	/* (the policy match's own --pol is no abbreviation of --policy) */
	if (n < 3 || strcmp(tok, "--pol") == 0)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(targets); i++)
		if (strncmp(targets[i], tok, n) == 0 && targets[i][n] != '=') {
			*target = true;
			return targets[i];
		}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (strncmp(commands[i], tok, n) == 0) {
			*target = false;
			return commands[i];
		}
	return NULL;
}

#define IPT_MATCH_WHAT "iptables match options only, like \"-p tcp --dport " \
		       "22 -m conntrack --ctstate NEW\""

static void check_match_ipt(struct ctx *x, int line, const char *m)
{
	char tok[32], q[QBUF];
	const char *p = m, *bad;
	bool target = false;

	while (*p) {
		size_t n;

		p += strspn(p, " ");
		if (*p == '"') {        /* a quoted argument */
			p = strchr(p + 1, '"');
			p = p ? p + 1 : m + strlen(m);
			continue;
		}
		n = strcspn(p, " \"");
		snprintf(tok, sizeof(tok), "%.*s", (int)n, p);
		p += n;
		bad = ipt_forbidden(tok, &target);
		if (!bad)
			continue;
		if (target)
			error(x, line, "match has the target option %s; allowed: "
			      IPT_MATCH_WHAT " (nflogd adds -j NFLOG itself)",
			      quote(q, sizeof(q), tok));
		else
			error(x, line, "match has the command %s; allowed: "
			      IPT_MATCH_WHAT " (nflogd places the rule "
			      "itself: table, chain, append or insert)",
			      quote(q, sizeof(q), tok));
		return;
	}
}

static void check_match(struct ctx *x, const struct config_rule *r,
			int line)
{
	long off = unbalanced_quote(r->fw.match);

	if (off >= 0) {
		error(x, line, "match has a '\"' at offset %ld without its "
		      "partner; allowed: strings in pairs of double quotes",
		      off);
		return;
	}
	if (x->c->fw.backend == FW_NFTABLES)
		check_match_nft(x, line, r->fw.match);
	else if (x->c->fw.backend == FW_IPTABLES)
		check_match_ipt(x, line, r->fw.match);
}

/* The prefix goes into the backend's command as a quoted string. */
static void check_installed_prefix(struct ctx *x, const struct config_rule *r,
				   int line)
{
	const char *bad = strpbrk(r->prefix, "\"\\");
	size_t len = strlen(r->prefix);

	if (bad)
		error(x, line, "prefix has %s at offset %zu; allowed in a rule "
		      "nflogd installs: printable ASCII without \" and \\",
		      *bad == '"' ? "a double quote" : "a backslash",
		      (size_t)(bad - r->prefix));
	else if (x->c->fw.backend == FW_NFTABLES &&
		 (bad = strchr(r->prefix, '$')))
		error(x, line, "prefix has a '$' at offset %zu, which nft "
		      "reads as the start of a variable; allowed with backend "
		      "\"nftables\": printable ASCII without \", \\ and $",
		      (size_t)(bad - r->prefix));
	if (x->c->fw.backend == FW_IPTABLES && len > IPT_PREFIX_LEN_MAX)
		error(x, line, "prefix is %zu characters long; allowed with "
		      "backend \"iptables\": at most %d (the NFLOG target's "
		      "--nflog-prefix)", len, IPT_PREFIX_LEN_MAX);
}

/* What only iptables restricts. */
static void check_ipt_rule(struct ctx *x, const struct config_rule *r,
			   const struct keys *seen)
{
	const struct config_fw_rule *fw = &r->fw;
	const int *l = seen->line;
	char q[QBUF], all[QBUF], own[CONFIG_TABLE_MAX + 1];
	size_t i, n;

	/* fw_ipt tags the jump into its own chains "<table>:jump" */
	if (strcmp(r->name, "jump") == 0)
		error(x, seen->line[R_NAME] ? seen->line[R_NAME] : r->line,
		      "rule name \"jump\" is taken with backend \"iptables\" "
		      "(it tags the jump into nflogd's own chains); allowed: "
		      "any other name");
	if (l[R_PRIORITY] && seen->ok[R_PRIORITY] && fw->place == FW_PLACE_OWN)
		error(x, l[R_PRIORITY], "priority applies to backend "
		      "\"nftables\" only; with iptables, nflogd's own chain is "
		      "a user chain that the hook's built-in chain jumps to "
		      "from its top: leave priority out");
	if (l[R_FAMILY] && seen->ok[R_FAMILY] && fw->family == FW_FAMILY_BRIDGE)
		error(x, l[R_FAMILY], "family \"bridge\" needs backend "
		      "\"nftables\"; allowed with iptables: inet (iptables and "
		      "ip6tables), ip, ip6");
	if (fw->place == FW_PLACE_APPEND || fw->place == FW_PLACE_INSERT) {
		for (i = 0; i < ARRAY_SIZE(ipt_tables); i++)
			if (strcmp(fw->table, ipt_tables[i]) == 0)
				break;
		if (i == ARRAY_SIZE(ipt_tables) && seen->ok[R_TABLE])
			error(x, l[R_TABLE], "table %s is not an iptables "
			      "table nflogd adds rules to; allowed: %s",
			      quote(q, sizeof(q), fw->table),
			      join(all, sizeof(all), ipt_tables,
				   ARRAY_SIZE(ipt_tables)));
		if (strlen(fw->chain) > IPT_CHAIN_LEN_MAX)
			error(x, l[R_CHAIN], "chain %s is %zu characters long; "
			      "allowed with backend \"iptables\": at most %d",
			      quote(q, sizeof(q), fw->chain),
			      strlen(fw->chain), IPT_CHAIN_LEN_MAX);
		/* nflogd's own chains: "<TABLE>-<HOOK>" */
		n = strlen(x->c->fw.table);
		for (i = 0; i < n; i++)
			own[i] = (char)(x->c->fw.table[i] >= 'a' &&
					x->c->fw.table[i] <= 'z'
					? x->c->fw.table[i] - 'a' + 'A'
					: x->c->fw.table[i]);
		own[n] = '-';
		if (strncmp(fw->chain, own, n + 1) == 0)
			error(x, l[R_CHAIN], "chain %s is a chain of nflogd's "
			      "own (firewall.table %s); allowed: a chain of "
			      "the host's ruleset, or hook = for nflogd's own",
			      quote(q, sizeof(q), fw->chain),
			      quote(all, sizeof(all), x->c->fw.table));
	}
	if (fw->limit_rate) {
		static const uint64_t per[] = { 1, 60, 3600, 86400 };
		uint64_t max = IPT_LIMIT_SCALE * per[fw->limit_unit];

		if (fw->limit_rate > max)
			error(x, l[R_LIMIT], "limit \"%u/%s\" is faster than "
			      "iptables' limit match counts; allowed with "
			      "backend \"iptables\": at most %d/second",
			      fw->limit_rate, unit_names[fw->limit_unit],
			      IPT_LIMIT_SCALE);
	}
	if (fw->limit_burst > IPT_BURST_MAX)
		error(x, l[R_BURST], "burst %u is out of range for iptables' "
		      "limit match; allowed with backend \"iptables\": 1..%d",
		      fw->limit_burst, IPT_BURST_MAX);
}

/* Where the rule's kernel rule goes (fw.place), and every check of its
 * keys that needs the others or the backend. */
static void check_placement(struct ctx *x, struct config_rule *r,
			    const struct keys *seen)
{
	struct config_fw_rule *fw = &r->fw;
	const int *l = seen->line;
	const struct config_firewall *f = &x->c->fw;
	bool own = l[R_HOOK] != 0, existing = l[R_TABLE] || l[R_CHAIN];
	char q[QBUF];
	size_t i;

	if (own && existing) {
		error(x, l[R_HOOK], "rule '%s' has hook = and %s = (line %d); "
		      "allowed: one of them: hook = for a chain of nflogd's "
		      "own, or table and chain = for an existing chain",
		      r->name, l[R_TABLE] ? "table" : "chain",
		      l[R_TABLE] ? l[R_TABLE] : l[R_CHAIN]);
		fw->place = FW_PLACE_NONE;
		return;
	}
	if (!own && !existing) {
		for (i = 0; i < ARRAY_SIZE(installed_only); i++)
			if (l[installed_only[i]])
				error(x, l[installed_only[i]], "%s only "
				      "applies to a rule nflogd installs; add "
				      "hook = or table = and chain = to rule "
				      "'%s'",
				      rule_keys[installed_only[i]], r->name);
		fw->place = FW_PLACE_NONE;
		return;
	}
	if (own) {
		fw->place = FW_PLACE_OWN;
		if (l[R_POSITION])
			error(x, l[R_POSITION], "position applies to an "
			      "existing chain (table and chain =) only; rule "
			      "'%s' goes into nflogd's own chain (hook =), "
			      "which holds nflogd's rules only", r->name);
	} else {
		fw->place = l[R_POSITION] && fw->place == FW_PLACE_INSERT
			    ? FW_PLACE_INSERT : FW_PLACE_APPEND;
		if (!l[R_TABLE] || !l[R_CHAIN])
			error(x, l[R_TABLE] ? l[R_TABLE] : l[R_CHAIN], "rule "
			      "'%s' has %s = but no %s =; allowed: table and "
			      "chain together, naming an existing chain (or "
			      "hook = for a chain of nflogd's own)", r->name,
			      l[R_TABLE] ? "table" : "chain",
			      l[R_TABLE] ? "chain" : "table");
		if (l[R_PRIORITY])
			error(x, l[R_PRIORITY], "priority applies to nflogd's "
			      "own chain (hook =) only; an existing chain has "
			      "the priority it was created with");
	}
	if (l[R_BURST] && !l[R_LIMIT])
		error(x, l[R_BURST], "burst applies with limit only; add limit "
		      "= \"N/second\" to rule '%s'", r->name);
	if (!x->backend_ok || f->backend == FW_NONE)
		return;
	/* the checks that depend on the backend */
	if (l[R_MATCH] && seen->ok[R_MATCH])
		check_match(x, r, l[R_MATCH]);
	if (l[R_PREFIX] && seen->ok[R_PREFIX])
		check_installed_prefix(x, r, l[R_PREFIX]);
	if (f->backend == FW_IPTABLES) {
		check_ipt_rule(x, r, seen);
	} else if (fw->place != FW_PLACE_OWN && seen->ok[R_TABLE] &&
		   strcmp(fw->table, f->table) == 0) {
		error(x, l[R_TABLE], "table %s is nflogd's own table "
		      "(firewall.table); allowed: a table of the host's "
		      "ruleset, or hook = for nflogd's own chain",
		      quote(q, sizeof(q), fw->table));
	}
}

/* A rule's snaplen and queue_threshold can only lower its group's
 * copy_range and queue_threshold (the kernel takes the smaller). */
static void check_rule_group(struct ctx *x, const struct config_rule *r,
			     const struct keys *seen)
{
	const struct config_group *g = find_group(x->c, r->group);

	if (!g || r->fw.place == FW_PLACE_NONE)
		return;
	if (r->fw.snaplen && g->copy_range && r->fw.snaplen > g->copy_range)
		error(x, seen->line[R_SNAPLEN], "snaplen %u is more than the "
		      "copy_range %u of group %u, and a rule can only lower "
		      "it; allowed: 0 (the group's) or 1..%u", r->fw.snaplen,
		      g->copy_range, g->id, g->copy_range);
	if (r->fw.queue_threshold > g->queue_threshold)
		error(x, seen->line[R_QUEUE_THRESHOLD], "queue_threshold %u is "
		      "more than the queue_threshold %u of group %u, and a "
		      "rule can only lower it; allowed: 0 (the group's) or "
		      "1..%u", r->fw.queue_threshold, g->queue_threshold,
		      g->id, g->queue_threshold);
}

/* Checks across the keys of one rule; false if it cannot be stored. */
static bool check_rule(struct ctx *x, struct config_rule *r,
		       const struct keys *seen)
{
	struct config *c = x->c;
	const struct config_rule *dup;
	char q[QBUF];
	unsigned int i;

	if (!seen->line[R_NAME]) {
		error(x, r->line, "rule has no name; every rule needs name = "
		      "\"...\" (%s)", NAME_RULE);
		return false;
	}
	if (!seen->line[R_GROUP]) {
		error(x, r->line, "rule '%s' has no group; allowed: group = N "
		      "(0..%d), the NFLOG group of its kernel rule", r->name,
		      MAX_GROUP_ID);
		return false;
	}
	if (r->name[0] && (dup = find_rule(c, r->name))) {
		error(x, seen->line[R_NAME], "rule '%s' is defined twice "
		      "(first at line %d); allowed: one rule per name",
		      r->name, dup->line);
		return false;
	}
	if (!seen->ok[R_GROUP])
		return false;
	if (x->ct_line && r->group == 0)
		error(x, seen->line[R_GROUP], "rule '%s' uses group 0, where "
		      "conntrack sends its INVALID reasons (conntrack_invalid, "
		      "line %d); allowed: another group, 1..%d", r->name,
		      x->ct_line, MAX_GROUP_ID);
	check_placement(x, r, seen);
	if ((!seen->line[R_PREFIX] || seen->ok[R_PREFIX]) &&
	    (dup = find_prefix(c, r->group, r->prefix))) {
		if (r->prefix[0])
			error(x, seen->line[R_PREFIX], "rule '%s' has the "
			      "prefix %s of rule '%s' (line %d) in group %u; "
			      "allowed: a prefix of its own (packets are "
			      "matched to rules by group and prefix)",
			      r->name, quote(q, sizeof(q), r->prefix),
			      dup->name, dup->line, r->group);
		else
			error(x, seen->line[R_PREFIX] ? seen->line[R_PREFIX]
						      : r->line,
			      "rule '%s' has an empty prefix like rule '%s' "
			      "(line %d) in group %u; allowed: one rule per "
			      "group without a prefix", r->name, dup->name,
			      dup->line, r->group);
	}
	if (!seen->line[R_OUTPUTS])
		for (i = 0; i < c->n_outputs; i++)
			r->outputs[r->n_outputs++] = i;
	return true;
}

/* record_burst without record_limit means nothing; record_limit alone
 * gets a burst of one unit's worth ("100/second": 100). */
static void check_budget(struct ctx *x, struct config_rule *r,
			 int limit_line, int burst_line)
{
	if (burst_line && !limit_line)
		error(x, burst_line, "record_burst applies with record_limit "
		      "only; add record_limit = \"N/second\" to rule '%s'",
		      r->name);
	if (r->record_rate && !r->record_burst)
		r->record_burst = r->record_rate;
}

static void parse_rules(struct ctx *x, const config_setting_t *list)
{
	static const char example[] = "{ name = \"...\"; group = N; }";
	struct config *c = x->c;
	int i, n = list ? check_list(x, list, example) : 0;

	/* (conntrack_invalid alone is something to log) */
	if (n == 0 && !x->ct_line)
		error(x, list ? line_of(list) : 1, "no rules; nothing to log: "
		      "add rules = ( %s );", example);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(list,
							    (unsigned int)i);
		struct config_rule r;
		struct keys seen = { { 0 }, { 0 } };

		if (!check_entry(x, list, e, (unsigned int)i, example))
			continue;
		if (c->n_rules == CONFIG_MAX_RULES) {
			error(x, line_of(e), "too many rules; allowed: at most "
			      "%d", CONFIG_MAX_RULES);
			return;
		}
		memset(&r, 0, sizeof(r));
		r.level = DEF_LEVEL;
		r.line = line_of(e);
		walk_keys(x, SEC_RULE, e, set_rule, &r, &seen);
		check_budget(x, &r, seen.line[R_RECORD_LIMIT],
			     seen.line[R_RECORD_BURST]);
		if (!check_rule(x, &r, &seen))
			continue;
		c->rules[c->n_rules++] = r;
		implicit_group(x, &r);
		check_rule_group(x, &r, &seen);
	}
}

/* ---------------------------------------------------------------- conntrack_invalid */

static const struct {
	const char *name;
	uint8_t num;
} ct_protos[] = {
	{ "tcp", 6 }, { "udp", 17 }, { "udplite", 136 }, { "icmp", 1 },
	{ "icmpv6", 58 }, { "sctp", 132 }, { "dccp", 33 }, { "gre", 47 },
	{ "all", CT_PROTO_ALL },
};

#define CT_PROTO_WHAT "tcp, udp, udplite, icmp, icmpv6, sctp, dccp, gre, " \
		      "all, or a number 1..255 (the kernel's " \
		      "nf_conntrack_log_invalid takes ONE protocol, or all)"

static int get_ct_protocol(struct ctx *x, const config_setting_t *s,
			   uint8_t *out)
{
	const char *names[ARRAY_SIZE(ct_protos)], *v, *near;
	char q[QBUF];
	int64_t n;
	size_t i;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		if (get_int(x, s, 1, CT_PROTO_ALL, " (ONE IP protocol number, "
			    "255 = all: what the kernel's "
			    "nf_conntrack_log_invalid takes)", &n) < 0)
			return -EINVAL;
		*out = (uint8_t)n;
		return 0;
	case CONFIG_TYPE_STRING:
		break;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		return error(x, line_of(s), "protocol must be one protocol, not "
			     "%s; allowed: " CT_PROTO_WHAT, type_name(s));
	default:
		return error(x, line_of(s), "protocol must be a string or an "
			     "integer, not %s; allowed: " CT_PROTO_WHAT,
			     type_name(s));
	}
	v = str_of(s);
	for (i = 0; i < ARRAY_SIZE(ct_protos); i++) {
		if (strcmp(v, ct_protos[i].name) == 0) {
			*out = ct_protos[i].num;
			return 0;
		}
		names[i] = ct_protos[i].name;
	}
	if (strpbrk(v, ", "))
		return error(x, line_of(s), "protocol %s names more than one; "
			     "allowed: " CT_PROTO_WHAT, quote(q, sizeof(q), v));
	if (!strcmp(v, "ip") || !strcmp(v, "ipv4") || !strcmp(v, "ip6") ||
	    !strcmp(v, "ipv6") || !strcmp(v, "inet"))
		return error(x, line_of(s), "protocol %s is an address family "
			     "(families = picks those); allowed: one protocol: "
			     "tcp, udp, udplite, icmp, icmpv6, sctp, dccp, gre, "
			     "all, or 1..255", quote(q, sizeof(q), v));
	near = suggest(v, names, ARRAY_SIZE(names));
	if (near)
		return error(x, line_of(s), "unknown protocol %s; did you mean "
			     "\"%s\"?", quote(q, sizeof(q), v), near);
	return error(x, line_of(s), "unknown protocol %s; allowed: "
		     CT_PROTO_WHAT, quote(q, sizeof(q), v));
}

#define CT_FAMILIES_WHAT "[ \"ip\" ], [ \"ip6\" ] or [ \"ip\", \"ip6\" ]"

/* Which nf_log.<pf> sysctls nflogd sets: "ip" (2), "ip6" (10). */
static int get_ct_families(struct ctx *x, const config_setting_t *s,
			   struct config_ct_invalid *ct)
{
	static const char *const fams[] = { "ip", "ip6" };
	bool have[2] = { false, false };
	unsigned int i, n = 1;
	char q[QBUF];
	int r = 0;

	if (config_setting_type(s) == CONFIG_TYPE_ARRAY ||
	    config_setting_type(s) == CONFIG_TYPE_LIST)
		n = (unsigned int)config_setting_length(s);
	else if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return error(x, line_of(s), "families must be an array, not "
			     "%s; allowed: " CT_FAMILIES_WHAT, type_name(s));
	if (n == 0)
		return error(x, line_of(s), "families is empty; allowed: "
			     CT_FAMILIES_WHAT " (leave families out for both)");
	for (i = 0; i < n; i++) {
		const config_setting_t *e =
			config_setting_type(s) == CONFIG_TYPE_STRING
			? s : config_setting_get_elem(s, i);
		const char *v;
		unsigned int k;

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			r = error(x, line_of(s), "families has %s; allowed: "
				  CT_FAMILIES_WHAT, type_name(e));
			continue;
		}
		v = str_of(e);
		for (k = 0; k < 2 && strcmp(v, fams[k]) != 0; k++)
			;
		if (k == 2)
			r = error(x, line_of(s), "unknown family %s in "
				  "families; allowed: \"ip\" (IPv4), \"ip6\" "
				  "(IPv6)", quote(q, sizeof(q), v));
		else if (have[k])
			r = error(x, line_of(s), "families lists \"%s\" twice; "
				  "allowed: each family once", fams[k]);
		else
			have[k] = true;
	}
	if (r == 0) {
		ct->ipv4 = have[0];
		ct->ipv6 = have[1];
	}
	return r;
}

struct ct_parse {
	struct config_ct_invalid ct;
	struct config_rule r;
};

static int set_ct(struct ctx *x, unsigned int k, const config_setting_t *s,
		  void *obj)
{
	struct ct_parse *p = obj;
	unsigned int v = 0;

	switch ((enum ct_key)k) {
	case C_PROTOCOL:
		return get_ct_protocol(x, s, &p->ct.protocol);
	case C_FAMILIES:
		return get_ct_families(x, s, &p->ct);
	case C_NAME:
		return get_name(x, s, p->r.name);
	case C_LEVEL:
		if (get_enum(x, s, level_names, ARRAY_SIZE(level_names),
			     &v) < 0)
			return -EINVAL;
		p->r.level = (int)v;
		return 0;
	case C_LOG_FLAGS:
		return get_flags(x, s, &p->r.log_flags);
	case C_ACTION:
		return get_action(x, s, p->r.action);
	case C_OUTPUTS:
		return get_rule_outputs(x, s, &p->r);
	case C_RECORD_LIMIT:
		return get_rate(x, s, &p->r.record_rate, &p->r.record_unit);
	case C_RECORD_BURST:
		return get_u32(x, s, 1, MAX_LIMIT_RATE, " (records)",
			       &p->r.record_burst);
	case C_N:
		break;
	}
	return 0;
}

/* conntrack_invalid = { ... }: its records come from a rule of their own
 * (group 0, no prefix: conntrack's prefix is the reason), appended to
 * rules[]. */
static void parse_ct_invalid(struct ctx *x, const config_setting_t *s)
{
	struct config *c = x->c;
	struct keys seen = { { 0 }, { 0 } };
	const struct config_rule *dup;
	struct ct_parse p;
	unsigned int i;

	if (!s || !x->ct_line)
		return;
	memset(&p, 0, sizeof(p));
	p.ct.enabled = true;
	p.ct.protocol = CT_PROTO_ALL;
	p.ct.ipv4 = p.ct.ipv6 = true;
	p.ct.line = x->ct_line;
	strcpy(p.r.name, DEF_CT_NAME);
	p.r.level = DEF_CT_LEVEL;
	strcpy(p.r.action, DEF_CT_ACTION);
	p.r.ct_invalid = true;
	p.r.line = x->ct_line;
	walk_keys(x, SEC_CT_INVALID, s, set_ct, &p, &seen);
	check_budget(x, &p.r, seen.line[C_RECORD_LIMIT],
		     seen.line[C_RECORD_BURST]);
	if (!seen.line[C_OUTPUTS])
		for (i = 0; i < c->n_outputs; i++)
			p.r.outputs[p.r.n_outputs++] = i;
	if ((!seen.line[C_NAME] || seen.ok[C_NAME]) &&
	    (dup = find_rule(c, p.r.name))) {
		error(x, seen.line[C_NAME] ? seen.line[C_NAME] : x->ct_line,
		      "conntrack_invalid's rule is named '%s' like rule '%s' "
		      "(line %d); allowed: a name of its own, name = \"...\" "
		      "in conntrack_invalid (default \"%s\")", p.r.name,
		      dup->name, dup->line, DEF_CT_NAME);
		return;
	}
	if (c->n_rules == CONFIG_MAX_RULES) {
		error(x, x->ct_line, "conntrack_invalid needs a rule of its "
		      "own, one too many; allowed: at most %d rules, "
		      "conntrack_invalid's included", CONFIG_MAX_RULES);
		return;
	}
	p.ct.rule = c->n_rules;
	c->rules[c->n_rules++] = p.r;
	c->ct_invalid = p.ct;
	implicit_group(x, &p.r);
}

/* A group no rule uses would bind a socket for packets that match no
 * rule: always a mistake. */
static void check_groups_used(struct ctx *x)
{
	const struct config *c = x->c;
	unsigned int i, j;

	for (i = 0; i < c->n_groups; i++) {
		for (j = 0; j < c->n_rules; j++)
			if (c->rules[j].group == c->groups[i].id)
				break;
		if (j == c->n_rules)
			error(x, c->groups[i].line, "group %u has no rule; "
			      "allowed: groups that a rule uses (add a rule "
			      "with group = %u or remove the group)",
			      c->groups[i].id, c->groups[i].id);
	}
}

/* ---------------------------------------------------------------- parse */

static void config_defaults(struct config *c, const char *file)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->file, sizeof(c->file), "%s", file);
	strcpy(c->identity, DEF_IDENTITY);
	c->stats_interval = DEF_STATS_INTERVAL;
	c->flood_summary_interval = DEF_FLOOD_SUMMARY_INTERVAL;
	strcpy(c->runtime_dir, DEF_RUNTIME_DIR);
	strcpy(c->state_dir, DEF_STATE_DIR);
	c->fw.backend = FW_NFTABLES;
	strcpy(c->fw.table, DEF_FW_TABLE);
	c->fw.check_interval = DEF_CHECK_INTERVAL;
}

static void libconfig_error(struct ctx *x, const config_t *cfg)
{
	const char *text = config_error_text(cfg);
	const char *hint = "see the libconfig syntax";

	if (!text)
		text = "cannot parse";
	if (strcmp(text, "syntax error") == 0)
		hint = "expected settings as key = value, strings in double "
		       "quotes, groups in { }, lists in ( ), arrays in [ ]";
	else if (strcmp(text, "duplicate setting name") == 0)
		hint = "allowed: each key once per group { }";
	else if (strcmp(text, "mismatched element type in array") == 0)
		hint = "allowed: values of one type in an array [ ]";
	error(x, config_error_line(cfg), "%s; %s", text, hint);
}

static void walk(struct ctx *x, const config_setting_t *root)
{
	struct top t = { { NULL }, NULL, NULL };
	struct keys seen = { { 0 }, { 0 } };

	walk_keys(x, SEC_TOP, root, set_top, &t, &seen);
	if (x->c->group[0] && !x->c->user[0])
		error(x, line_of(config_setting_get_member(root, "group")),
		      "group \"%s\" without user: group = is the group nflogd "
		      "switches to with user =; allowed: group = \"\", or "
		      "set user = too", x->c->group);
	if (t.ct_invalid &&
	    check_group_setting(x, t.ct_invalid, "protocol = \"all\";"))
		x->ct_line = line_of(t.ct_invalid);
	parse_firewall(x, t.firewall);
	if (t.lists[0])
		parse_groups(x, t.lists[0]);
	if (t.lists[1])
		parse_outputs(x, t.lists[1]);
	else
		default_outputs(x->c);
	parse_rules(x, t.lists[2]);
	parse_ct_invalid(x, t.ct_invalid);
	check_groups_used(x);
}

int config_parse(const char *file, const char *text, size_t len,
		 struct config *out, struct config_errors *errs)
{
	struct ctx *x;
	struct buf b = { 0 };
	config_t cfg;
	int r;

	x = calloc(1, sizeof(*x));
	if (x)
		x->c = calloc(1, sizeof(*x->c));
	if (x && x->c)
		x->e = errs ? errs : calloc(1, sizeof(*x->e));
	if (!x || !x->c || !x->e) {
		r = -ENOMEM;
		goto out;
	}
	x->e->n = 0;
	x->file = file;
	config_defaults(x->c, file);

	r = prep_text(x, text, len, &b);
	if (r == -ENOMEM)
		goto out;
	if (r == 0) {
		config_init(&cfg);
		if (config_read_string(&cfg, b.p) == CONFIG_TRUE)
			walk(x, config_root_setting(&cfg));
		else
			libconfig_error(x, &cfg);
		config_destroy(&cfg);
	}

	if (x->e->n) {
		sort_errors(x);
		r = -EINVAL;
	} else {
		*out = *x->c;
		r = 0;
	}
out:
	free(b.p);
	if (x) {
		if (r == -ENOMEM && x->e)
			x->e->n = 0;
		if (x->e != errs)
			free(x->e);
		free(x->c);
		free(x);
	}
	return r;
}

/* ---------------------------------------------------------------- print */

/* A libconfig string literal. */
static void print_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void print_kv_str(FILE *f, const char *ind, const char *k,
			 const char *v)
{
	fprintf(f, "%s%s = ", ind, k);
	print_str(f, v);
	fputs(";\n", f);
}

static void print_kv_u(FILE *f, const char *ind, const char *k, uint64_t v)
{
	/* libconfig 1.5 wraps a larger integer without the L */
	fprintf(f, "%s%s = %" PRIu64 "%s;\n", ind, k, v,
		v > INT_MAX ? "L" : "");
}

static void print_size(FILE *f, const char *ind, uint64_t v)
{
	static const char unit[] = "GMK";
	unsigned int shift, i;

	for (i = 0, shift = 30; v && i < 3; i++, shift -= 10) {
		if (v % (UINT64_C(1) << shift) == 0) {
			fprintf(f, "%smax_size = \"%" PRIu64 "%c\";\n", ind,
				v >> shift, unit[i]);
			return;
		}
	}
	print_kv_u(f, ind, "max_size", v);
}

static void print_flags(FILE *f, const char *ind, unsigned int flags)
{
	static const struct { const char *name; unsigned int bit; } v[] = {
		{ "tcpseq", LOG_F_TCPSEQ }, { "tcpopt", LOG_F_TCPOPT },
		{ "ipopt", LOG_F_IPOPT }, { "uid", LOG_F_UID },
		{ "macdecode", LOG_F_MACDECODE },
	};
	const char *sep = "";
	size_t i;

	fprintf(f, "%slog_flags = \"", ind);
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		if (flags & v[i].bit) {
			fprintf(f, "%s%s", sep, v[i].name);
			sep = ",";
		}
	}
	fprintf(f, "%s\";\n", *sep ? "" : "none");
}

static void print_group(FILE *f, const struct config_group *g)
{
	const char *ind = "\t\t";

	print_kv_u(f, ind, "id", g->id);
	print_kv_u(f, ind, "copy_range", g->copy_range);
	print_kv_u(f, ind, "queue_threshold", g->queue_threshold);
	print_kv_u(f, ind, "flush_timeout", g->flush_timeout);
	print_kv_u(f, ind, "nlbufsiz", g->nlbufsiz);
	print_kv_u(f, ind, "rcvbuf", g->rcvbuf);
	fprintf(f, "%sconntrack = %s;\n", ind, g->conntrack ? "true" : "false");
}

static void print_output(FILE *f, const struct config_output *o)
{
	const char *ind = "\t\t";

	print_kv_str(f, ind, "name", o->name);
	print_kv_str(f, ind, "type", type_names[o->type]);
	if (o->type == OUTPUT_FILE) {
		print_kv_str(f, ind, "path", o->path);
		print_kv_str(f, ind, "format", format_names[o->format]);
		if (o->format == FORMAT_LOG)
			print_kv_str(f, ind, "line_style",
				     style_names[o->line_style]);
		print_size(f, ind, o->max_size);
		print_kv_u(f, ind, "keep", o->keep);
		fprintf(f, "%smode = \"%04o\";\n", ind, o->mode);
	}
	print_kv_u(f, ind, "queue_size", o->queue_size);
}

static void print_kv_i(FILE *f, const char *ind, const char *k, int v)
{
	fprintf(f, "%s%s = %d;\n", ind, k, v);
}

static void print_outputs(FILE *f, const char *ind, const struct config *c,
			  const struct config_rule *r)
{
	unsigned int i;

	fprintf(f, "%soutputs = [ ", ind);
	for (i = 0; i < r->n_outputs; i++) {
		if (i)
			fputs(", ", f);
		print_str(f, c->outputs[r->outputs[i]].name);
	}
	fputs(" ];\n", f);
}

/* The kernel rule's keys, where they apply. */
static void print_fw_rule(FILE *f, const struct config *c,
			  const struct config_fw_rule *fw)
{
	const char *ind = "\t\t";

	if (fw->place == FW_PLACE_NONE)
		return;
	print_kv_str(f, ind, "family", family_names[fw->family]);
	if (fw->place == FW_PLACE_OWN) {
		print_kv_str(f, ind, "hook", hook_names[fw->hook]);
		if (c->fw.backend != FW_IPTABLES)
			print_kv_i(f, ind, "priority", fw->priority);
	} else {
		print_kv_str(f, ind, "table", fw->table);
		print_kv_str(f, ind, "chain", fw->chain);
		print_kv_str(f, ind, "position",
			     position_names[fw->place == FW_PLACE_INSERT]);
	}
	print_kv_str(f, ind, "match", fw->match);
	print_kv_u(f, ind, "snaplen", fw->snaplen);
	print_kv_u(f, ind, "queue_threshold", fw->queue_threshold);
	if (fw->limit_rate) {
		fprintf(f, "%slimit = \"%u/%s\";\n", ind, fw->limit_rate,
			unit_names[fw->limit_unit]);
		if (fw->limit_burst)
			print_kv_u(f, ind, "burst", fw->limit_burst);
	}
}

static void print_budget(FILE *f, const char *ind, const struct config_rule *r)
{
	if (!r->record_rate)
		return;
	fprintf(f, "%srecord_limit = \"%u/%s\";\n", ind, r->record_rate,
		unit_names[r->record_unit]);
	print_kv_u(f, ind, "record_burst", r->record_burst);
}

static void print_rule(FILE *f, const struct config *c,
		       const struct config_rule *r)
{
	const char *ind = "\t\t";

	print_kv_str(f, ind, "name", r->name);
	print_kv_u(f, ind, "group", r->group);
	print_kv_str(f, ind, "prefix", r->prefix);
	print_kv_str(f, ind, "level", level_names[r->level]);
	print_flags(f, ind, r->log_flags);
	print_kv_str(f, ind, "action", r->action);
	print_outputs(f, ind, c, r);
	print_fw_rule(f, c, &r->fw);
	print_budget(f, ind, r);
}

static void print_firewall(FILE *f, const struct config *c)
{
	const char *ind = "\t";

	fputs("\nfirewall = {\n", f);
	print_kv_str(f, ind, "backend", backend_names[c->fw.backend]);
	print_kv_str(f, ind, "table", c->fw.table);
	if (c->fw.backend != FW_NFTABLES)
		print_kv_u(f, ind, "check_interval", c->fw.check_interval);
	fputs("};\n", f);
}

static void print_ct_invalid(FILE *f, const struct config *c)
{
	const struct config_ct_invalid *ct = &c->ct_invalid;
	const struct config_rule *r = &c->rules[ct->rule];
	const char *ind = "\t";
	size_t i;

	if (!ct->enabled)
		return;
	fputs("\nconntrack_invalid = {\n", f);
	for (i = 0; i < ARRAY_SIZE(ct_protos); i++)
		if (ct_protos[i].num == ct->protocol)
			break;
	if (i < ARRAY_SIZE(ct_protos))
		print_kv_str(f, ind, "protocol", ct_protos[i].name);
	else
		print_kv_u(f, ind, "protocol", ct->protocol);
	fprintf(f, "%sfamilies = [ %s%s%s ];\n", ind, ct->ipv4 ? "\"ip\"" : "",
		ct->ipv4 && ct->ipv6 ? ", " : "", ct->ipv6 ? "\"ip6\"" : "");
	print_kv_str(f, ind, "name", r->name);
	print_kv_str(f, ind, "level", level_names[r->level]);
	print_flags(f, ind, r->log_flags);
	print_kv_str(f, ind, "action", r->action);
	print_outputs(f, ind, c, r);
	print_budget(f, ind, r);
	fputs("};\n", f);
}

/* The rules of rules = ( ): all but conntrack_invalid's. */
static void print_rules(FILE *f, const struct config *c)
{
	unsigned int i, n = 0, k = 0;

	for (i = 0; i < c->n_rules; i++)
		n += !c->rules[i].ct_invalid;
	if (n == 0)
		return;         /* (conntrack_invalid alone) */
	fputs("\nrules = (\n", f);
	for (i = 0; i < c->n_rules; i++) {
		if (c->rules[i].ct_invalid)
			continue;
		fputs("\t{\n", f);
		print_rule(f, c, &c->rules[i]);
		fputs(++k < n ? "\t},\n" : "\t}\n", f);
	}
	fputs(");\n", f);
}

/* "name = (\n\t{ ... },\n\t{ ... }\n);" with each entry from fn. */
#define PRINT_LIST(f, name, n, fn, ...) do {                    \
		unsigned int i_;                                \
		fputs("\n" name " = (\n", f);                   \
		for (i_ = 0; i_ < (n); i_++) {                  \
			fputs("\t{\n", f);                      \
			fn(f, __VA_ARGS__);                     \
			fputs(i_ + 1 < (n) ? "\t},\n" : "\t}\n", f); \
		}                                               \
		fputs(");\n", f);                               \
	} while (0)

void config_print(const struct config *c, FILE *f)
{
	fputs("# nflogd configuration: normalised, every default filled "
	      "in.\n", f);
	print_kv_str(f, "", "identity", c->identity);
	print_kv_str(f, "", "hostname", c->hostname);
	print_kv_u(f, "", "stats_interval", c->stats_interval);
	print_kv_u(f, "", "flood_summary_interval", c->flood_summary_interval);
	print_kv_str(f, "", "runtime_dir", c->runtime_dir);
	print_kv_str(f, "", "state_dir", c->state_dir);
	print_kv_str(f, "", "metrics_path", c->metrics_path);
	print_kv_str(f, "", "user", c->user);
	print_kv_str(f, "", "group", c->group);
	print_firewall(f, c);
	print_ct_invalid(f, c);
	PRINT_LIST(f, "groups", c->n_groups, print_group, &c->groups[i_]);
	PRINT_LIST(f, "outputs", c->n_outputs, print_output,
		   &c->outputs[i_]);
	print_rules(f, c);
}

/* ---------------------------------------------------------------- names */

const char *config_backend_name(enum fw_backend b)
{
	return (unsigned int)b < ARRAY_SIZE(backend_names) ? backend_names[b]
							   : "?";
}

const char *config_family_name(enum fw_family fam)
{
	return (unsigned int)fam < ARRAY_SIZE(family_names)
	       ? family_names[fam] : "?";
}

const char *config_hook_name(enum fw_hook h)
{
	return (unsigned int)h < ARRAY_SIZE(hook_names) ? hook_names[h] : "?";
}

const char *config_limit_unit_name(enum limit_unit u)
{
	return (unsigned int)u < ARRAY_SIZE(unit_names) ? unit_names[u] : "?";
}

unsigned int config_limit_unit_seconds(enum limit_unit u)
{
	static const unsigned int secs[] = {
		[LIMIT_SECOND] = 1, [LIMIT_MINUTE] = 60, [LIMIT_HOUR] = 3600,
		[LIMIT_DAY] = 86400,
	};

	return (unsigned int)u < ARRAY_SIZE(secs) ? secs[u] : 1;
}

bool config_rule_installed(const struct config *c, const struct config_rule *r)
{
	return c->fw.backend != FW_NONE && r->fw.place != FW_PLACE_NONE;
}

/* ---------------------------------------------------------------- lookups */

const struct config_group *config_group(const struct config *c, uint16_t id)
{
	return find_group(c, id);
}

const struct config_output *config_output(const struct config *c,
					  const char *name)
{
	return find_output(c, name);
}

const struct config_rule *config_rule_match(const struct config *c,
					    uint16_t group, const char *prefix,
					    size_t len)
{
	const struct config_rule *any = NULL, *first = NULL;
	unsigned int i;

	for (i = 0; i < c->n_rules; i++) {
		const struct config_rule *r = &c->rules[i];

		if (r->group != group)
			continue;
		if (!first)
			first = r;
		if (!r->prefix[0])
			any = r;
		else if (strlen(r->prefix) == len &&
			 memcmp(r->prefix, prefix, len) == 0)
			return r;
	}
	/* A packet is never dropped for its prefix: a rule of its group
	 * takes it, and its record still shows the prefix it came with. */
	return any ? any : first;
}
