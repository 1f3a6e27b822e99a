/* Unit tests for common/config.c.
 *
 * Golden files (the OpenBSD way): every tests/data/config/NAME.conf is
 * parsed as "NAME.conf" and the result compared, byte for byte, with
 * NAME.print (config_print() of a valid file) or NAME.err (the messages of
 * an invalid one, one per line).  shipped.conf is a symlink to the shipped
 * conf/nflogd.conf.  To rewrite the goldens after a deliberate change:
 *
 *     NFLOGD_UPDATE_GOLDEN=1 build/tests/test_config
 *
 * then read the diff (git diff tests/data/config) before committing it.
 *
 * Every valid file must also survive a round trip: print, parse the print,
 * print again: the same text and the same struct (but for line numbers).
 * A randomised test mutates the shipped file (fixed seed; NFLOGD_TEST_SEED
 * picks another) and checks config_parse()'s contract on each variant.
 */
#include "config.h"
#include "config_lines.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_DIR NFLOGD_TEST_DATA "/config"

/* libconfig 1.5 leaks the string of the token at which it finds a syntax
 * error (its bison parser discards the lookahead without freeing it): one
 * string per failed parse, allocated in its scanner.  Only those two
 * allocation sites are exempt from LeakSanitizer: a config_destroy()
 * missing in config.c would still leak the settings themselves and fail. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

/* ---------------------------------------------------------------- helpers */

static char *print_config(const struct config *c, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	ck_assert_ptr_nonnull(f);
	config_print(c, f);
	ck_assert_int_eq(fclose(f), 0);
	if (len)
		*len = n;
	return buf;
}

/* The messages as a .err file holds them. */
static char *join_errors(const struct config_errors *e)
{
	char *buf = NULL;
	size_t n = 0, i;
	FILE *f = open_memstream(&buf, &n);

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < e->n && i < CONFIG_MAX_ERRORS; i++)
		fprintf(f, "%s\n", e->msg[i]);
	if (e->n > CONFIG_MAX_ERRORS)
		fprintf(f, "(%u errors in all)\n", e->n);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* print -> parse -> print: the same text, the same config. */
static void check_round_trip(const char *name, const struct config *c)
{
	static struct config again;
	static struct config_errors e;
	struct config a = *c;
	size_t len;
	char *p1 = print_config(c, &len), *p2;
	int r;

	r = config_parse(c->file, p1, len, &again, &e);
	ck_assert_msg(r == 0, "%s: the print does not parse: %s", name,
		      e.n ? e.msg[0] : "?");
	p2 = print_config(&again, NULL);
	ck_assert_msg(strcmp(p1, p2) == 0, "%s: print is not stable:\n%s\n"
		      "---- then ----\n%s", name, p1, p2);
	tu_config_zero_lines(&a);
	tu_config_zero_lines(&again);
	ck_assert_msg(memcmp(&a, &again, sizeof(a)) == 0,
		      "%s: the print parses into another config", name);
	free(p1);
	free(p2);
}

static bool update_golden(void)
{
	const char *v = getenv("NFLOGD_UPDATE_GOLDEN");

	return v && *v && strcmp(v, "0") != 0;
}

static char *read_text(const char *path, size_t *len)
{
	return (char *)tu_read_file(path, len);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* ---------------------------------------------------------------- goldens */

#define MAX_CASES 128
static char *cases[MAX_CASES];
static int ncases;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void find_cases(void)
{
	DIR *d = opendir(CONFIG_DIR);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) && ncases < MAX_CASES) {
		size_t n = strlen(de->d_name);

		if (n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0)
			cases[ncases++] = strndup(de->d_name, n - 5);
	}
	closedir(d);
	qsort(cases, (size_t)ncases, sizeof(cases[0]), cmp_str);
}

START_TEST(test_golden)
{
	static struct config c;
	static struct config_errors e;
	const char *name = cases[_i];
	char path[512], print_path[512], err_path[512], file[128];
	char *text, *want, *got;
	size_t len, wlen;
	bool want_ok;
	int r;

	snprintf(path, sizeof(path), "%s/%s.conf", CONFIG_DIR, name);
	snprintf(print_path, sizeof(print_path), "%s/%s.print", CONFIG_DIR,
		 name);
	snprintf(err_path, sizeof(err_path), "%s/%s.err", CONFIG_DIR, name);
	snprintf(file, sizeof(file), "%s.conf", name);
	text = read_text(path, &len);
	ck_assert_msg(text != NULL, "cannot read %s", path);

	memset(&c, 0xa5, sizeof(c));
	r = config_parse(file, text, len, &c, &e);
	ck_assert_msg(r == 0 || r == -EINVAL, "%s: returned %d", name, r);
	got = r == 0 ? print_config(&c, NULL) : join_errors(&e);

	if (update_golden()) {
		write_text(r == 0 ? print_path : err_path, got);
		remove(r == 0 ? err_path : print_path);
	}

	want = read_text(print_path, &wlen);
	want_ok = want != NULL;
	if (!want)
		want = read_text(err_path, &wlen);
	ck_assert_msg(want != NULL, "%s: neither %s.print nor %s.err "
		      "(NFLOGD_UPDATE_GOLDEN=1 writes it)", name, name, name);
	ck_assert_msg(want_ok == (r == 0), "%s: expected %s, got:\n%s", name,
		      want_ok ? "success" : "errors", got);
	ck_assert_msg(strcmp(want, got) == 0, "%s: differs from its golden "
		      "file.\n---- expected ----\n%s---- got ----\n%s", name,
		      want, got);

	if (r == 0) {
		ck_assert_uint_eq(e.n, 0);
		check_round_trip(name, &c);
	}
	free(text);
	free(want);
	free(got);
}
END_TEST

/* Each case is small: one error class per file, usually several errors. */
START_TEST(test_every_golden_has_a_conf)
{
	DIR *d = opendir(CONFIG_DIR);
	struct dirent *de;
	int found = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		char conf[512];
		size_t n = strlen(de->d_name);
		FILE *f;

		if (!(n > 4 && !strcmp(de->d_name + n - 4, ".err")) &&
		    !(n > 6 && !strcmp(de->d_name + n - 6, ".print")))
			continue;
		snprintf(conf, sizeof(conf), "%s/%.*s.conf", CONFIG_DIR,
			 (int)(n - (de->d_name[n - 1] == 'r' ? 4 : 6)),
			 de->d_name);
		f = fopen(conf, "r");
		ck_assert_msg(f != NULL, "%s has no .conf", de->d_name);
		fclose(f);
		found++;
	}
	closedir(d);
	ck_assert_int_eq(found, ncases);
	ck_assert_int_ge(ncases, 20);
}
END_TEST

/* ---------------------------------------------------------------- API */

static const char base_conf[] =
	"outputs = (\n"
	"  { name = \"journal\"; type = \"journal\"; },\n"
	"  { name = \"text\"; type = \"file\"; path = \"/var/log/t\";\n"
	"    format = \"log\"; }\n"
	");\n"
	"groups = ( { id = 5; copy_range = 100; } );\n"
	"rules = (\n"
	"  { name = \"in\"; group = 5; prefix = \"in: \"; },\n"
	"  { name = \"in2\"; group = 5; prefix = \"in: x\"; },\n"
	"  { name = \"rest\"; group = 5; },\n"
	"  { name = \"other\"; group = 7; prefix = \"in: \";\n"
	"    outputs = [ \"text\" ]; },\n"
	"  { name = \"other2\"; group = 7; prefix = \"x\"; }\n"
	");\n";

static int parse_str(const char *text, struct config *c,
		     struct config_errors *e)
{
	return config_parse("t.conf", text, strlen(text), c, e);
}

START_TEST(test_lookups)
{
	static struct config c;
	static struct config_errors e;
	const struct config_rule *r;

	ck_assert_int_eq(parse_str(base_conf, &c, &e), 0);
	ck_assert_uint_eq(c.n_groups, 2);
	ck_assert_uint_eq(config_group(&c, 5)->copy_range, 100);
	/* group 7 is implicit: the defaults */
	ck_assert_uint_eq(config_group(&c, 7)->copy_range, 256);
	ck_assert_int_eq(config_group(&c, 7)->line, 11);
	ck_assert_ptr_null(config_group(&c, 6));

	ck_assert_int_eq(config_output(&c, "text")->type, OUTPUT_FILE);
	ck_assert_int_eq(config_output(&c, "text")->format, FORMAT_LOG);
	ck_assert_ptr_null(config_output(&c, "tex"));
	ck_assert_ptr_null(config_output(&c, ""));

	/* no outputs key: every output, in their order */
	r = &c.rules[0];
	ck_assert_uint_eq(r->n_outputs, 2);
	ck_assert_uint_eq(r->outputs[0], 0);
	ck_assert_uint_eq(r->outputs[1], 1);
	ck_assert_uint_eq(c.rules[3].n_outputs, 1);
	ck_assert_uint_eq(c.rules[3].outputs[0], 1);

	ck_assert_str_eq(config_rule_match(&c, 5, "in: ", 4)->name, "in");
	ck_assert_str_eq(config_rule_match(&c, 5, "in: x", 5)->name, "in2");
	/* not a prefix match: "in: xy" is no rule's prefix */
	ck_assert_str_eq(config_rule_match(&c, 5, "in: xy", 6)->name, "rest");
	ck_assert_str_eq(config_rule_match(&c, 5, "in: x", 4)->name, "in");
	ck_assert_str_eq(config_rule_match(&c, 5, "", 0)->name, "rest");
	ck_assert_str_eq(config_rule_match(&c, 7, "in: ", 4)->name, "other");
	ck_assert_str_eq(config_rule_match(&c, 7, "x", 1)->name, "other2");
	/* no catch-all in group 7: its first rule */
	ck_assert_str_eq(config_rule_match(&c, 7, "in", 2)->name, "other");
	ck_assert_str_eq(config_rule_match(&c, 7, "", 0)->name, "other");
	ck_assert_ptr_null(config_rule_match(&c, 8, "in: ", 4));
	ck_assert_ptr_null(config_rule_match(&c, 6, "", 0));
}
END_TEST

START_TEST(test_failure_leaves_out_alone)
{
	static struct config c, before;
	static struct config_errors e;

	memset(&c, 0x5a, sizeof(c));
	before = c;
	ck_assert_int_eq(parse_str("rules = ( { name = \"a\"; } );", &c, &e),
			 -EINVAL);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.msg[0], "t.conf:1: rule 'a' has no group; "
			 "allowed: group = N (0..65535), the NFLOG group of "
			 "its kernel rule");
	ck_assert_mem_eq(&c, &before, sizeof(c));

	/* errs may be NULL, either way */
	ck_assert_int_eq(parse_str("x = 1;", &c, NULL), -EINVAL);
	ck_assert_mem_eq(&c, &before, sizeof(c));
	ck_assert_int_eq(parse_str(base_conf, &c, NULL), 0);
	ck_assert_str_eq(c.rules[0].name, "in");

	/* and a success resets errs */
	e.n = 99;
	ck_assert_int_eq(parse_str(base_conf, &c, &e), 0);
	ck_assert_uint_eq(e.n, 0);
}
END_TEST

/* More errors than are kept: all counted, the first kept, in line order. */
START_TEST(test_many_errors)
{
	static struct config c;
	static struct config_errors e;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int i;

	/* the rule comes first, its errors last: sorting puts it first */
	fputs("rules = ( { name = \"a\"; group = 1; level = \"x\"; } );\n", f);
	for (i = 0; i < 100; i++)
		fprintf(f, "unknown_%d = %d;\n", i, i);
	fclose(f);
	ck_assert_int_eq(config_parse("t.conf", text, len, &c, &e), -EINVAL);
	ck_assert_uint_eq(e.n, 101);
	ck_assert_str_eq(e.msg[0], "t.conf:1: unknown level \"x\"; allowed: "
			 "emerg, alert, crit, err, warning, notice, info, "
			 "debug");
	ck_assert_str_eq(e.msg[1], "t.conf:2: unknown key 'unknown_0' at the "
			 "top level; allowed: identity, hostname, "
			 "stats_interval, flood_summary_interval, runtime_dir, state_dir, "
			 "metrics_path, user, group, firewall, conntrack_invalid, "
			 "groups, outputs, rules");
	ck_assert_ptr_nonnull(strstr(e.msg[CONFIG_MAX_ERRORS - 1],
				     "t.conf:64: unknown key 'unknown_62'"));
	free(text);
}
END_TEST

/* A message longer than its buffer ends in "..." (here: a long name). */
START_TEST(test_long_file_name)
{
	static struct config c;
	static struct config_errors e;
	char file[CONFIG_PATH_MAX + 50];
	size_t n;

	memset(file, 'f', sizeof(file) - 1);
	file[sizeof(file) - 1] = 0;
	ck_assert_int_eq(config_parse(file, "x = 1;", 6, &c, &e), -EINVAL);
	ck_assert_uint_eq(e.n, 2);
	n = strlen(e.msg[0]);
	ck_assert_uint_eq(n, sizeof(e.msg[0]) - 1);
	ck_assert_str_eq(e.msg[0] + n - 3, "...");

	/* and a valid config keeps what fits of the name */
	ck_assert_int_eq(config_parse(file, base_conf, strlen(base_conf), &c,
				      &e), 0);
	ck_assert_uint_eq(strlen(c.file), CONFIG_PATH_MAX - 1);
}
END_TEST

/* Only len bytes are read: the text need not end in a NUL. */
START_TEST(test_not_nul_terminated)
{
	static struct config c;
	static struct config_errors e;
	size_t len = strlen(base_conf);
	char *text = malloc(len);

	memcpy(text, base_conf, len);
	ck_assert_int_eq(config_parse("t.conf", text, len, &c, &e), 0);
	/* cut inside the last rule: a syntax error, not a read past */
	ck_assert_int_eq(config_parse("t.conf", text, len - 10, &c, &e),
			 -EINVAL);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_ptr_nonnull(strstr(e.msg[0], "syntax error"));
	free(text);
}
END_TEST

START_TEST(test_nul_byte)
{
	static struct config c;
	static struct config_errors e;
	char text[] = "# a\n# b\x00\nrules = ( { name = \"a\"; group = 1; } );\n";

	ck_assert_int_eq(config_parse("t.conf", text, sizeof(text) - 1, &c,
				      &e), -EINVAL);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.msg[0], "t.conf:2: NUL byte in the file; a "
			 "configuration file is text");
}
END_TEST

/* CRLF line ends, a byte order mark, a last line without a newline: all
 * the same config. */
START_TEST(test_text_variants)
{
	static struct config c1, c2;
	static struct config_errors e;
	static const char *const variants[] = {
		"\xef\xbb\xbfrules = ( { name = \"a\"; group = 1; } );\n",
		"rules = (\r\n { name = \"a\";\r\n group = 1; } );\r\n",
		"rules = ( { name = \"a\"; group = 1; } ); # end",
		"rules = ( { name = \"a\"; group = 1; } ); // end",
		"/* c */ rules = ( { name = \"a\"; group = 1; } ); /* end */",
		"rules : ( { name : \"a\", group : 1 } )",
	};
	size_t i;

	ck_assert_int_eq(parse_str("rules = ( { name = \"a\"; group = 1; } );",
				   &c1, &e), 0);
	tu_config_zero_lines(&c1);
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		ck_assert_msg(parse_str(variants[i], &c2, &e) == 0,
			      "variant %zu: %s", i, e.msg[0]);
		tu_config_zero_lines(&c2);
		ck_assert_mem_eq(&c1, &c2, sizeof(c1));
	}
}
END_TEST

/* libconfig 1.5 would wrap these; nflogd must not. */
START_TEST(test_integer_edges)
{
	static const struct {
		const char *val;
		const char *msg;        /* NULL: valid */
	} t[] = {
		{ "65536", NULL },
		{ "0x10000", NULL },
		{ "65536L", NULL },
		{ "0x10000L", NULL },
		{ "1073741824", NULL },
		{ "4295032832", "rcvbuf 4295032832 is out of range" },
		{ "-4294901760", "rcvbuf -4294901760 is out of range" },
		{ "0x100010000", "rcvbuf 4295032832 is out of range" },
		{ "0xFFFFFFFF", "rcvbuf 4294967295 is out of range" },
		{ "0x80000000", "rcvbuf 2147483648 is out of range" },
		{ "2147483648", "rcvbuf 2147483648 is out of range" },
		{ "-2147483648", "rcvbuf -2147483648 is out of range" },
		{ "9223372036854775807", "rcvbuf 9223372036854775807 is out" },
		{ "9223372036854775808", "rcvbuf is out of range" },
		{ "-9223372036854775809", "rcvbuf is out of range" },
		{ "0xFFFFFFFFFFFFFFFF", "rcvbuf is out of range" },
		{ "0x1FFFFFFFFFFFFFFFF", "rcvbuf is out of range" },
		{ "99999999999999999999L", "rcvbuf is out of range" },
		{ "1e6", "rcvbuf must be an integer, not a float" },
		{ "1.", "rcvbuf must be an integer, not a float" },
		{ ".5", "rcvbuf must be an integer, not a float" },
	};
	static struct config c;
	static struct config_errors e;
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r;

		snprintf(text, sizeof(text), "groups = ( { id = 1; rcvbuf = "
			 "%s; } );\nrules = ( { name = \"a\"; group = 1; } );\n",
			 t[i].val);
		r = parse_str(text, &c, &e);
		if (!t[i].msg) {
			ck_assert_msg(r == 0, "%s: %s", t[i].val, e.msg[0]);
			continue;
		}
		ck_assert_msg(r == -EINVAL && e.n == 1, "%s: r=%d n=%u",
			      t[i].val, r, e.n);
		ck_assert_msg(strstr(e.msg[0], t[i].msg) != NULL,
			      "%s: %s", t[i].val, e.msg[0]);
	}
}
END_TEST

START_TEST(test_sizes)
{
	static const struct {
		const char *val;
		long long bytes;        /* -1: an error */
	} t[] = {
		{ "0", 0 }, { "\"0\"", 0 }, { "4096", 4096 },
		{ "\"4096\"", 4096 }, { "\"4k\"", 4096 }, { "\"4K\"", 4096 },
		{ "\"100M\"", 104857600 }, { "\"2g\"", 2147483648LL },
		{ "\"1024G\"", 1099511627776LL }, { "0x1000", 4096 },
		{ "1099511627776L", 1099511627776LL },
		{ "\"1025G\"", -1 }, { "\"3K\"", -1 }, { "4095", -1 },
		{ "\"4KB\"", -1 }, { "\" 4K\"", -1 }, { "\"-1M\"", -1 },
		{ "\"1.5G\"", -1 }, { "\"K\"", -1 }, { "\"\"", -1 },
		{ "\"99999999999999999999999G\"", -1 }, { "1.0", -1 },
		{ "[ 1 ]", -1 },
	};
	static struct config c;
	static struct config_errors e;
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r;

		snprintf(text, sizeof(text), "outputs = ( { name = \"f\"; "
			 "type = \"file\"; path = \"/f\"; max_size = %s; } );\n"
			 "rules = ( { name = \"a\"; group = 1; } );\n",
			 t[i].val);
		r = parse_str(text, &c, &e);
		if (t[i].bytes < 0) {
			ck_assert_msg(r == -EINVAL && e.n == 1, "%s: r=%d",
				      t[i].val, r);
			ck_assert_msg(strstr(e.msg[0], "max_size") != NULL,
				      "%s: %s", t[i].val, e.msg[0]);
			continue;
		}
		ck_assert_msg(r == 0, "%s: %s", t[i].val, e.msg[0]);
		ck_assert_msg(c.outputs[0].max_size == (uint64_t)t[i].bytes,
			      "%s: %llu", t[i].val,
			      (unsigned long long)c.outputs[0].max_size);
	}
}
END_TEST

/* A name elsewhere in the file, after a number that needed an L: the
 * scanner must keep libconfig's tokens intact. */
START_TEST(test_scanner_tokens)
{
	static const char *const ok[] = {
		/* a name with digits and dashes is one token */
		"rules = ( { name = \"a\"; group = 1; } ); a-3000000000 = 1;",
		/* numbers inside strings and comments are left alone */
		"rules = ( { name = \"3000000000\"; group = 1; } ); # 1e999999",
		"rules = ( { name = \"a\"; /* 0xFFFFFFFFF */ group = 1; } );",
		"rules = ( { name = \"a\\\" 3000000000\"; group = 1; } );",
	};
	static struct config c;
	static struct config_errors e;
	size_t i;

	/* the first three have an unknown key or a bad name; fine: the
	 * point is which error, not none */
	ck_assert_int_eq(parse_str(ok[0], &c, &e), -EINVAL);
	ck_assert_str_eq(e.msg[0], "t.conf:1: unknown key 'a-3000000000' at "
			 "the top level; allowed: identity, hostname, "
			 "stats_interval, flood_summary_interval, runtime_dir, state_dir, "
			 "metrics_path, user, group, firewall, conntrack_invalid, "
			 "groups, outputs, rules");
	for (i = 1; i < 3; i++)
		ck_assert_msg(parse_str(ok[i], &c, &e) == 0, "%zu: %s", i,
			      e.msg[0]);
	ck_assert_int_eq(parse_str(ok[3], &c, &e), -EINVAL);
	ck_assert_str_eq(e.msg[0], "t.conf:1: name \"a\\x22 3000000000\" is "
			 "not a valid name; allowed: 1..31 of A-Z a-z 0-9 _ "
			 ". -");
}
END_TEST

/* n rules, one a line; each with a prefix of its own, or with a group of
 * its own; n < 0: -n rules after a conntrack_invalid section. */
static char *many(bool own_group, int n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int i, first = 0;

	if (n < 0) {            /* -n: n rules and conntrack_invalid */
		n = -n;
		first = 1;      /* (group 0 is conntrack_invalid's) */
		fputs("conntrack_invalid = { };\n", f);
	}
	fputs("rules = (\n", f);
	for (i = 0; i < n; i++) {
		if (own_group)
			fprintf(f, "{ name = \"r%d\"; group = %d; }", i,
				first + i);
		else
			fprintf(f, "{ name = \"r%d\"; group = 1; prefix = "
				"\"p%d\"; }", i, i);
		fputs(i + 1 < n ? ",\n" : "\n", f);
	}
	fputs(");\n", f);
	fclose(f);
	return text;
}

START_TEST(test_limits)
{
	static const struct {
		bool own_group;         /* each rule in a group of its own */
		int max;
		const char *msg;        /* the one error with max + 1 rules */
	} t[] = {
		/* 64 rules in one group */
		{ false, CONFIG_MAX_RULES,
		  "t.conf:66: too many rules; allowed: at most 64" },
		/* 32 implicit groups, then one more */
		{ true, CONFIG_MAX_GROUPS,
		  "t.conf:34: rule 'r32' adds group 32, one too many; "
		  "allowed: at most 32 groups" },
		/* conntrack_invalid's rule counts: 63 and it */
		{ false, -(CONFIG_MAX_RULES - 1),
		  "t.conf:1: conntrack_invalid needs a rule of its own, one "
		  "too many; allowed: at most 64 rules, conntrack_invalid's "
		  "included" },
		/* and its group 0: 31 implicit groups (1..31) and it */
		{ true, -(CONFIG_MAX_GROUPS - 1),
		  "t.conf:1: rule 'ct-invalid' adds group 0, one too many; "
		  "allowed: at most 32 groups" },
	};
	static struct config c;
	static struct config_errors e;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* max < 0: -max rules and conntrack_invalid */
		int n = t[i].max < 0 ? -t[i].max : t[i].max;
		int ct = t[i].max < 0;
		char *text = many(t[i].own_group, t[i].max);

		ck_assert_msg(parse_str(text, &c, &e) == 0, "%s", e.msg[0]);
		ck_assert_uint_eq(t[i].own_group ? c.n_groups : c.n_rules,
				  n + ct);
		free(text);
		text = many(t[i].own_group, ct ? -(n + 1) : n + 1);
		ck_assert_int_eq(parse_str(text, &c, &e), -EINVAL);
		ck_assert_uint_eq(e.n, 1);
		ck_assert_str_eq(e.msg[0], t[i].msg);
		free(text);
	}
}
END_TEST

START_TEST(test_too_large)
{
	static struct config c;
	static struct config_errors e;
	size_t len = CONFIG_TEXT_MAX + 1;
	char *t = malloc(len);

	memset(t, '\n', len);
	ck_assert_int_eq(config_parse("t.conf", t, len, &c, &e), -EINVAL);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.msg[0], "t.conf:1: the file is 1048577 bytes "
			 "long; at most 1048576 are allowed");
	/* 70000 empty lines: libconfig counts lines in 16 bits */
	ck_assert_int_eq(config_parse("t.conf", t, 70000, &c, &e), -EINVAL);
	ck_assert_str_eq(e.msg[0], "t.conf:1: the file has 70001 lines; at "
			 "most 65535 are allowed");
	free(t);
}
END_TEST

/* ---------------------------------------------------------------- kernel rules */

START_TEST(test_fw_defaults)
{
	static struct config c;
	static struct config_errors e;
	const struct config_rule *r;

	ck_assert_int_eq(parse_str("rules = (\n"
				   "  { name = \"own\"; group = 1; hook = \"input\"; },\n"
				   "  { name = \"end\"; group = 1; prefix = \"e\";\n"
				   "    table = \"filter\"; chain = \"input\"; },\n"
				   "  { name = \"top\"; group = 1; prefix = \"t\";\n"
				   "    table = \"filter\"; chain = \"input\";\n"
				   "    position = \"insert\"; },\n"
				   "  { name = \"manual\"; group = 1; prefix = \"m\"; }\n"
				   ");\n", &c, &e), 0);
	ck_assert_int_eq(c.fw.backend, FW_NFTABLES);
	ck_assert_str_eq(c.fw.table, "nflogd");
	ck_assert_uint_eq(c.fw.check_interval, 1);
	ck_assert_int_eq(c.fw.line, 0);
	ck_assert(!c.ct_invalid.enabled);
	ck_assert_uint_eq(c.n_rules, 4);
	ck_assert(!config_group(&c, 1)->conntrack);

	r = &c.rules[0];
	ck_assert_int_eq(r->fw.place, FW_PLACE_OWN);
	ck_assert_int_eq(r->fw.family, FW_FAMILY_INET);
	ck_assert_int_eq(r->fw.hook, FW_HOOK_INPUT);
	ck_assert_int_eq(r->fw.priority, 0);
	ck_assert_str_eq(r->fw.match, "");
	ck_assert_uint_eq(r->fw.snaplen, 0);
	ck_assert_uint_eq(r->fw.queue_threshold, 0);
	ck_assert_uint_eq(r->fw.limit_rate, 0);
	ck_assert_uint_eq(r->fw.limit_burst, 0);
	ck_assert(!r->ct_invalid);
	ck_assert(config_rule_installed(&c, r));

	r = &c.rules[1];
	ck_assert_int_eq(r->fw.place, FW_PLACE_APPEND);
	ck_assert_str_eq(r->fw.table, "filter");
	ck_assert_str_eq(r->fw.chain, "input");
	ck_assert(config_rule_installed(&c, r));
	ck_assert_int_eq(c.rules[2].fw.place, FW_PLACE_INSERT);
	/* no placement: presented, not installed (the kernel rule is the
	 * user's, as before) */
	ck_assert_int_eq(c.rules[3].fw.place, FW_PLACE_NONE);
	ck_assert(!config_rule_installed(&c, &c.rules[3]));
}
END_TEST

START_TEST(test_fw_backends)
{
	static const struct {
		const char *backend;
		enum fw_backend want;
		bool installed;
	} t[] = {
		{ "nftables", FW_NFTABLES, true },
		{ "iptables", FW_IPTABLES, true },
		{ "none", FW_NONE, false },
	};
	static struct config c;
	static struct config_errors e;
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(text, sizeof(text), "firewall = { backend = \"%s\"; };\n"
			 "rules = ( { name = \"a\"; group = 1; hook = \"input\"; },\n"
			 "  { name = \"b\"; group = 1; prefix = \"b\"; } );\n",
			 t[i].backend);
		ck_assert_msg(parse_str(text, &c, &e) == 0, "%s: %s",
			      t[i].backend, e.msg[0]);
		ck_assert_int_eq(c.fw.backend, t[i].want);
		ck_assert_int_eq(c.fw.line, 1);
		ck_assert_str_eq(config_backend_name(c.fw.backend),
				 t[i].backend);
		ck_assert(config_rule_installed(&c, &c.rules[0]) ==
			  t[i].installed);
		ck_assert(!config_rule_installed(&c, &c.rules[1]));
	}
}
END_TEST

START_TEST(test_fw_names)
{
	static const char *const fam[] = { "inet", "ip", "ip6", "bridge" };
	static const char *const hook[] = {
		"prerouting", "input", "forward", "output", "postrouting",
	};
	static const char *const unit[] = { "second", "minute", "hour", "day" };
	unsigned int i;

	for (i = 0; i < 4; i++)
		ck_assert_str_eq(config_family_name((enum fw_family)i), fam[i]);
	ck_assert_int_eq(FW_FAMILY_IP6, 2);
	for (i = 0; i < 5; i++)
		ck_assert_str_eq(config_hook_name((enum fw_hook)i), hook[i]);
	for (i = 0; i < 4; i++)
		ck_assert_str_eq(config_limit_unit_name((enum limit_unit)i),
				 unit[i]);
	ck_assert_str_eq(config_backend_name(FW_NONE), "none");
	/* out of range: a string to print, never a crash */
	ck_assert_str_eq(config_family_name((enum fw_family)4), "?");
	ck_assert_str_eq(config_hook_name((enum fw_hook)-1), "?");
	ck_assert_str_eq(config_limit_unit_name((enum limit_unit)99), "?");
	ck_assert_str_eq(config_backend_name((enum fw_backend)3), "?");
}
END_TEST

START_TEST(test_fw_limit)
{
	static const struct {
		const char *val;
		uint32_t rate;          /* 0: an error */
		enum limit_unit unit;
	} t[] = {
		{ "10/second", 10, LIMIT_SECOND }, { "1/s", 1, LIMIT_SECOND },
		{ "2/sec", 2, LIMIT_SECOND }, { "3/minute", 3, LIMIT_MINUTE },
		{ "4/min", 4, LIMIT_MINUTE }, { "5/hour", 5, LIMIT_HOUR },
		{ "6/h", 6, LIMIT_HOUR }, { "7/day", 7, LIMIT_DAY },
		{ "8/d", 8, LIMIT_DAY }, { "1000000/day", 1000000, LIMIT_DAY },
		{ "007/s", 7, LIMIT_SECOND },
		{ "10/m", 0, 0 }, { "10/secs", 0, 0 }, { "0/s", 0, 0 },
		{ "1000001/s", 0, 0 }, { "-1/s", 0, 0 }, { "+1/s", 0, 0 },
		{ "1e3/s", 0, 0 }, { "10/", 0, 0 }, { "10", 0, 0 }, { "", 0, 0 },
		{ "10/second ", 0, 0 }, { " 10/second", 0, 0 },
		{ "10/week", 0, 0 }, { "10/SECOND", 0, 0 },
		{ "18446744073709551626/s", 0, 0 },
	};
	static struct config c;
	static struct config_errors e;
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r;

		snprintf(text, sizeof(text), "rules = ( { name = \"a\"; "
			 "group = 1; hook = \"input\"; limit = \"%s\"; } );\n",
			 t[i].val);
		r = parse_str(text, &c, &e);
		if (!t[i].rate) {
			ck_assert_msg(r == -EINVAL && e.n == 1, "%s: r=%d",
				      t[i].val, r);
			ck_assert_msg(strncmp(e.msg[0], "t.conf:1: limit \"",
					      17) == 0, "%s: %s", t[i].val,
				      e.msg[0]);
			continue;
		}
		ck_assert_msg(r == 0, "%s: %s", t[i].val, e.msg[0]);
		ck_assert_uint_eq(c.rules[0].fw.limit_rate, t[i].rate);
		ck_assert_int_eq(c.rules[0].fw.limit_unit, t[i].unit);
	}
}
END_TEST

/* Which matches each backend takes: what is refused is what would break
 * out of the match (end the rule, comment out nflogd's statements, add a
 * verdict or target, or place the rule elsewhere). */
START_TEST(test_fw_match)
{
	static const struct {
		const char *backend;
		const char *match;      /* a libconfig string literal */
		const char *msg;        /* start of the message; NULL: valid */
	} t[] = {
		{ "nftables", "", NULL },
		{ "nftables", "tcp dport { 22, 80 } ct state new", NULL },
		{ "nftables", "ct state established,related", NULL },
		{ "nftables", "ip saddr @drop-set iifname \\\"a;b#c drop\\\"",
		  NULL },
		{ "nftables", "tcp dport 22 counter", NULL },
		{ "nftables", "meta nfproto ipv4 th dport 53 dropped", NULL },
		{ "nftables", "ip saddr 10.0.0.0/8 meta l4proto tcp", NULL },
		{ "nftables", "-p tcp -j DROP", NULL },
		{ "nftables", "queue", "match has the verdict \"queue\"" },
		{ "nftables", "tcp dport 22 reject", "match has the verdict" },
		{ "nftables", "goto x", "match has the verdict \"goto\"" },
		{ "nftables", "return", "match has the verdict \"return\"" },
		{ "nftables", "a;", "match has ';' at offset 1" },
		{ "nftables", "\\\"x\\\" # c", "match has '#' at offset 4" },
		{ "nftables", "\\\"", "match has a '\"' at offset 0" },
		{ "iptables", "", NULL },
		{ "iptables", "-p tcp --dport 22 -m conntrack --ctstate NEW",
		  NULL },
		{ "iptables", "-d 10.0.0.1 --destination 10.0.0.2 ! -i lo",
		  NULL },
		{ "iptables", "-p tcp --tcp-flags SYN,RST SYN -m owner "
		  "--gid-owner 5", NULL },
		{ "iptables", "-m comment --comment \\\"-j x --goto y\\\"",
		  NULL },
		{ "iptables", "tcp dport 22 drop; #", NULL },
		{ "iptables", "-g X", "match has the target option \"-g\"" },
		{ "iptables", "--jum X", "match has the target option \"--jum\"" },
		{ "iptables", "--goto=X", "match has the target option" },
		{ "iptables", "-I INPUT", "match has the command \"-I\"" },
		{ "iptables", "-D INPUT", "match has the command \"-D\"" },
		{ "iptables", "--list", "match has the command \"--list\"" },
		{ "iptables", "--insert", "match has the command \"--insert\"" },
		{ "iptables", "--table=nat", "match has the command" },
		{ "iptables", "-P INPUT DROP", "match has the command \"-P\"" },
		{ "iptables", "-N x", "match has the command \"-N\"" },
		{ "iptables", "-p tcp \\\"", "match has a '\"' at offset 7" },
		{ "none", "-j DROP; accept # \\\"", NULL },
	};
	static struct config c;
	static struct config_errors e;
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r;

		snprintf(text, sizeof(text), "firewall = { backend = \"%s\"; "
			 "};\nrules = ( { name = \"a\"; group = 1;\n"
			 "hook = \"input\"; match = \"%s\"; } );\n",
			 t[i].backend, t[i].match);
		r = parse_str(text, &c, &e);
		if (!t[i].msg) {
			ck_assert_msg(r == 0, "%s '%s': %s", t[i].backend,
				      t[i].match, e.msg[0]);
			continue;
		}
		ck_assert_msg(r == -EINVAL && e.n == 1, "%s '%s': r=%d n=%u",
			      t[i].backend, t[i].match, r, e.n);
		ck_assert_msg(strncmp(e.msg[0], "t.conf:3: ", 10) == 0 &&
			      strncmp(e.msg[0] + 10, t[i].msg,
				      strlen(t[i].msg)) == 0,
			      "%s '%s': %s", t[i].backend, t[i].match,
			      e.msg[0]);
	}
}
END_TEST

/* At most CONFIG_MATCH_MAX - 1 characters. */
START_TEST(test_fw_match_length)
{
	static struct config c;
	static struct config_errors e;
	char text[CONFIG_MATCH_MAX + 256], m[CONFIG_MATCH_MAX + 1];

	memset(m, 'x', sizeof(m));
	m[CONFIG_MATCH_MAX - 1] = 0;
	snprintf(text, sizeof(text), "rules = ( { name = \"a\"; group = 1; "
		 "hook = \"input\"; match = \"%s\"; } );\n", m);
	ck_assert_int_eq(parse_str(text, &c, &e), 0);
	ck_assert_uint_eq(strlen(c.rules[0].fw.match), CONFIG_MATCH_MAX - 1);
	m[CONFIG_MATCH_MAX - 1] = 'x';
	m[CONFIG_MATCH_MAX] = 0;
	snprintf(text, sizeof(text), "rules = ( { name = \"a\"; group = 1; "
		 "hook = \"input\"; match = \"%s\"; } );\n", m);
	ck_assert_int_eq(parse_str(text, &c, &e), -EINVAL);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.msg[0], "t.conf:1: match is 512 characters long; "
			 "allowed: one line of printable ASCII, at most 511 "
			 "characters: a match in the backend's own syntax, "
			 "\"\" for every packet");
}
END_TEST

START_TEST(test_ct_invalid)
{
	static struct config c;
	static struct config_errors e;
	const struct config_rule *r;
	const char *why = "nf_ct_proto_6: invalid new ";

	ck_assert_int_eq(parse_str("outputs = ( { name = \"j\"; type = "
				   "\"journal\"; },\n"
				   "  { name = \"k\"; type = \"journal\"; } );\n"
				   "rules = ( { name = \"a\"; group = 1; } );\n"
				   "conntrack_invalid = { };\n", &c, &e), 0);
	ck_assert(c.ct_invalid.enabled);
	ck_assert_uint_eq(c.ct_invalid.protocol, 255);
	ck_assert(c.ct_invalid.ipv4 && c.ct_invalid.ipv6);
	ck_assert_int_eq(c.ct_invalid.line, 4);
	ck_assert_uint_eq(c.n_rules, 2);
	ck_assert_uint_eq(c.ct_invalid.rule, 1);
	r = &c.rules[c.ct_invalid.rule];
	ck_assert(r->ct_invalid);
	ck_assert(!c.rules[0].ct_invalid);
	ck_assert_str_eq(r->name, "ct-invalid");
	ck_assert_uint_eq(r->group, 0);
	ck_assert_str_eq(r->prefix, "");
	ck_assert_int_eq(r->level, 5);
	ck_assert_uint_eq(r->log_flags, 0);
	ck_assert_str_eq(r->action, "invalid");
	ck_assert_uint_eq(r->n_outputs, 2);
	ck_assert_int_eq(r->fw.place, FW_PLACE_NONE);
	ck_assert(!config_rule_installed(&c, r));
	/* group 0 with the defaults, after the rules' groups */
	ck_assert_uint_eq(c.n_groups, 2);
	ck_assert_uint_eq(c.groups[1].id, 0);
	ck_assert_uint_eq(config_group(&c, 0)->copy_range, 256);
	ck_assert_int_eq(config_group(&c, 0)->line, 4);
	/* every reason conntrack gives finds the rule */
	ck_assert_ptr_eq(config_rule_match(&c, 0, why, strlen(why)), r);
	ck_assert_ptr_eq(config_rule_match(&c, 0, "", 0), r);

	/* a listed group 0 tunes it; the rule's keys */
	ck_assert_int_eq(parse_str("groups = ( { id = 0; copy_range = 100; "
				   "conntrack = true; } );\n"
				   "conntrack_invalid = { protocol = \"udp\";\n"
				   "  families = [ \"ip6\" ]; name = \"why\";\n"
				   "  level = \"debug\"; action = \"\"; };\n",
				   &c, &e), 0);
	ck_assert_uint_eq(c.n_rules, 1);
	ck_assert_uint_eq(c.n_groups, 1);
	ck_assert_uint_eq(config_group(&c, 0)->copy_range, 100);
	ck_assert(config_group(&c, 0)->conntrack);
	ck_assert_uint_eq(c.ct_invalid.protocol, 17);
	ck_assert(!c.ct_invalid.ipv4 && c.ct_invalid.ipv6);
	r = &c.rules[c.ct_invalid.rule];
	ck_assert_str_eq(r->name, "why");
	ck_assert_int_eq(r->level, 7);
	ck_assert_str_eq(r->action, "");

	/* protocols by name and number */
	ck_assert_int_eq(parse_str("conntrack_invalid = { protocol = 58; };",
				   &c, &e), 0);
	ck_assert_uint_eq(c.ct_invalid.protocol, 58);
	ck_assert_int_eq(parse_str("conntrack_invalid = { protocol = "
				   "\"all\"; };", &c, &e), 0);
	ck_assert_uint_eq(c.ct_invalid.protocol, 255);
	ck_assert_int_eq(parse_str("conntrack_invalid = { protocol = 0; };",
				   &c, &e), -EINVAL);

	/* conntrack_invalid alone, with an empty rules list too */
	ck_assert_int_eq(parse_str("conntrack_invalid = { }; rules = ( );",
				   &c, &e), 0);
	ck_assert_uint_eq(c.n_rules, 1);
	check_round_trip("ct-only", &c);
	/* and a group 0 no rule uses is still an error without it */
	ck_assert_int_eq(parse_str("groups = ( { id = 0; } );\n"
				   "rules = ( { name = \"a\"; group = 1; } );",
				   &c, &e), -EINVAL);
	ck_assert_str_eq(e.msg[0], "t.conf:1: group 0 has no rule; allowed: "
			 "groups that a rule uses (add a rule with group = 0 "
			 "or remove the group)");
}
END_TEST

/* ---------------------------------------------------------------- random */

/* Bytes that make libconfig and the checks take other paths than a
 * uniformly random byte would. */
static char interesting(void)
{
	static const char set[] = "0123456789-+.xXLeE\"\\{}()[];,=:#/*@ \n\t"
				  "abcdefghijklmnopqrstuvwxyz_";

	if (tu_rnd() % 4 == 0)
		return (char)(tu_rnd() & 0xff);
	return set[tu_rnd() % (sizeof(set) - 1)];
}

static size_t mutate(char *t, size_t len, size_t cap)
{
	unsigned int n = 1 + tu_rnd() % 4, k;

	for (k = 0; k < n && len; k++) {
		size_t at = tu_rnd() % len;

		switch (tu_rnd() % 4) {
		case 0:
		case 1:         /* replace */
			t[at] = interesting();
			break;
		case 2:         /* delete */
			memmove(t + at, t + at + 1, len - at - 1);
			len--;
			break;
		case 3:         /* insert */
			if (len < cap) {
				memmove(t + at + 1, t + at, len - at);
				t[at] = interesting();
				len++;
			}
			break;
		}
	}
	return len;
}

static void check_messages(const struct config_errors *e, unsigned int iter)
{
	unsigned int i;

	for (i = 0; i < e->n && i < CONFIG_MAX_ERRORS; i++) {
		const char *m = e->msg[i];
		const char *p;

		ck_assert_msg(strncmp(m, "nflogd.conf:", 12) == 0 &&
			      strchr("123456789", m[12]),
			      "iteration %u: %s", iter, m);
		ck_assert_msg(strstr(m, ": ") != NULL, "iteration %u: %s",
			      iter, m);
		/* one printable line: it goes to the journal and status */
		for (p = m; *p; p++)
			ck_assert_msg(*p >= 0x20 && *p < 0x7f,
				      "iteration %u: byte 0x%02x in %s", iter,
				      (unsigned char)*p, m);
	}
}

START_TEST(test_random_mutations)
{
	static struct config c;
	static struct config_errors e;
	const char *seed_env = getenv("NFLOGD_TEST_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 20260601;
	size_t len, cap, n;
	char *orig, *t;
	unsigned int iter, ok = 0, bad = 0;

	orig = read_text(CONFIG_DIR "/shipped.conf", &len);
	ck_assert_ptr_nonnull(orig);
	cap = len + 64;
	t = malloc(cap);
	tu_rng = seed ? seed : 1;
	for (iter = 0; iter < 5000; iter++) {
		int r;

		memcpy(t, orig, len);
		n = mutate(t, len, cap);
		r = config_parse("nflogd.conf", t, n, &c, &e);
		ck_assert_msg(r == 0 || r == -EINVAL,
			      "seed %llu iteration %u: returned %d",
			      (unsigned long long)seed, iter, r);
		ck_assert_msg((r == 0) == (e.n == 0),
			      "seed %llu iteration %u: returned %d with %u "
			      "errors", (unsigned long long)seed, iter, r, e.n);
		if (r == 0) {
			ok++;
			check_round_trip("mutation", &c);
		} else {
			bad++;
			check_messages(&e, iter);
		}
	}
	/* both outcomes are exercised, or the test proves little */
	ck_assert_uint_gt(ok, 100);
	ck_assert_uint_gt(bad, 100);
	free(t);
	free(orig);
}
END_TEST

/* ---------------------------------------------------------------- main */

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("golden");
	TCase *api = tcase_create("api");
	TCase *rnd_tc = tcase_create("random");

	find_cases();
	tcase_add_loop_test(tc, test_golden, 0, ncases);
	tcase_add_test(tc, test_every_golden_has_a_conf);
	suite_add_tcase(s, tc);

	tcase_add_test(api, test_lookups);
	tcase_add_test(api, test_failure_leaves_out_alone);
	tcase_add_test(api, test_many_errors);
	tcase_add_test(api, test_long_file_name);
	tcase_add_test(api, test_not_nul_terminated);
	tcase_add_test(api, test_nul_byte);
	tcase_add_test(api, test_text_variants);
	tcase_add_test(api, test_integer_edges);
	tcase_add_test(api, test_sizes);
	tcase_add_test(api, test_scanner_tokens);
	tcase_add_test(api, test_limits);
	tcase_add_test(api, test_too_large);
	tcase_add_test(api, test_fw_defaults);
	tcase_add_test(api, test_fw_backends);
	tcase_add_test(api, test_fw_names);
	tcase_add_test(api, test_fw_limit);
	tcase_add_test(api, test_fw_match);
	tcase_add_test(api, test_fw_match_length);
	tcase_add_test(api, test_ct_invalid);
	suite_add_tcase(s, api);

	/* 5000 parses, slower under the sanitizers */
	tcase_set_timeout(rnd_tc, 300);
	tcase_add_test(rnd_tc, test_random_mutations);
	suite_add_tcase(s, rnd_tc);
	return s;
}

int main(void)
{
	return tu_run(config_suite());
}
