/* Shared by the libFuzzer targets: run decode and the three formatters on
 * one parsed message and abort() on anything that breaks their documented
 * output contracts, so the fuzzer reports a logic bug as it reports a crash.
 */
#ifndef NFLOGD_FUZZ_COMMON_H
#define NFLOGD_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "fmt_journal.h"
#include "nflog_msg.h"

/* Print why and abort: the fuzzer saves the input as crash-*. */
#define FUZZ_CHECK(cond, ...) do {                                      \
		if (!(cond))                                            \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

_Noreturn void fuzz_fail(const char *file, int line, const char *cond,
			 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Every pointer in a parsed nflog_meta lies inside [base, base + len). */
void fuzz_check_meta(const struct nflog_meta *m, const void *base, size_t len);

/* Poison *m before a parse so fuzz_check_untouched() can prove that a
 * failing parse did not write its out-parameter. */
void fuzz_poison_meta(struct nflog_meta *m);
void fuzz_check_untouched(const struct nflog_meta *m);

/* fmt_log output: no byte that could split or forge a line (< 0x20, 0x7f,
 * and, since the prefix and names are escaped from 0x7f up, no byte >= 0x80
 * either), and no NUL before len. */
void fuzz_check_log_line(const char *s, size_t len);

/* fmt_json output: exactly one strict RFC 8259 JSON object on one line,
 * valid UTF-8, no lone surrogate escapes, no duplicate key in any object. */
void fuzz_check_json(const char *s, size_t len);

/* fmt_journal output (ret = its return value): field names [A-Z0-9_]+, not
 * starting with '_' or a digit, at most 64 characters; every iovec inside
 * the used part of the arena; MESSAGE first. */
void fuzz_check_journal(const struct journal_fields *jf, int ret);

/* decode_packet() on m, then all three formatters with every check above.
 * sel picks the LOG flags (all 8 bits are passed: unknown bits must be
 * ignored) and a few context variants (NULL vs. odd interface names...). */
void fuzz_format_all(const struct nflog_meta *m, unsigned int sel);

#endif
