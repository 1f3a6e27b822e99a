/* libFuzzer target: the input is the text of a configuration file.
 *
 * config_parse() must return 0 with no errors or -EINVAL with at least one,
 * each a single printable line "fuzz.conf:LINE: ...", and leave its output
 * untouched on failure.  A config it accepts must survive a round trip:
 * config_print(), parse that again (must succeed), print again (the same
 * text), the same struct but for line numbers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_common.h"
#include "../unit/config_lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libconfig 1.5 leaks the string of the token at which it finds a syntax
 * error (its bison parser discards the lookahead without freeing it): one
 * string per failed parse, allocated in its scanner.  Only those two
 * allocation sites are exempt; a leak of the settings themselves (a
 * missing config_destroy()) is still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

#define POISON 0xa5

static char *print(const struct config *c, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	FUZZ_CHECK(f != NULL, "open_memstream failed");
	config_print(c, f);
	FUZZ_CHECK(fclose(f) == 0, "fclose failed");
	return buf;
}

static void check_errors(const struct config_errors *e)
{
	unsigned int i;

	for (i = 0; i < e->n && i < CONFIG_MAX_ERRORS; i++) {
		const char *m = e->msg[i];
		size_t len = strnlen(m, sizeof(e->msg[i]));
		size_t k;

		FUZZ_CHECK(len < sizeof(e->msg[i]), "message %u unterminated",
			   i);
		FUZZ_CHECK(strncmp(m, "fuzz.conf:", 10) == 0 &&
			   m[10] >= '1' && m[10] <= '9',
			   "message %u: %s", i, m);
		for (k = 0; k < len; k++)
			FUZZ_CHECK(m[k] >= 0x20 && m[k] < 0x7f,
				   "message %u has byte 0x%02x: %s", i,
				   (unsigned char)m[k], m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c, again;
	static struct config_errors e;
	char *p1, *p2;
	size_t n1, n2, i;
	int r;

	memset(&c, POISON, sizeof(c));
	r = config_parse("fuzz.conf", (const char *)data, size, &c, &e);
	FUZZ_CHECK(r == 0 || r == -EINVAL, "config_parse returned %d", r);
	FUZZ_CHECK((r == 0) == (e.n == 0), "returned %d with %u errors", r,
		   e.n);
	if (r < 0) {
		check_errors(&e);
		for (i = 0; i < sizeof(c); i++)
			FUZZ_CHECK(((const uint8_t *)&c)[i] == POISON,
				   "failed parse wrote its output (byte %zu)",
				   i);
		return 0;
	}

	p1 = print(&c, &n1);
	r = config_parse(c.file, p1, n1, &again, &e);
	FUZZ_CHECK(r == 0, "the print does not parse: %s\n%s",
		   e.n ? e.msg[0] : "?", p1);
	p2 = print(&again, &n2);
	FUZZ_CHECK(n1 == n2 && memcmp(p1, p2, n1) == 0,
		   "print is not stable:\n%s\n---- then ----\n%s", p1, p2);
	tu_config_zero_lines(&c);
	tu_config_zero_lines(&again);
	FUZZ_CHECK(memcmp(&c, &again, sizeof(c)) == 0,
		   "the print parses into another config:\n%s", p1);
	free(p1);
	free(p2);
	return 0;
}
