/* dec_text: numbers as text without printf, for the formatters
 * (fmt_log, fmt_json, fmt_journal).  Each writer stores at p, which the
 * caller has made room for (at most 10 bytes for a uint32_t), and returns
 * the new end; no NUL.  Numbers go in groups of two and four digits from
 * a table, with no loop and no division per digit. */
#ifndef NFLOGD_DEC_TEXT_H
#define NFLOGD_DEC_TEXT_H

#include <stdint.h>
#include <string.h>

/* "00" "01" ... "99" */
extern const char dec_dig2[201];
/* Two lowercase hex digits for each byte value: "00" ... "ff". */
extern const char dec_hex2[513];

/* Exactly four digits of v < 10000. */
static inline char *dec_4(char *p, uint32_t v)
{
	memcpy(p, dec_dig2 + 2 * (v / 100), 2);
	memcpy(p + 2, dec_dig2 + 2 * (v % 100), 2);
	return p + 4;
}

/* One to four digits of v < 10000, no leading zeros. */
static inline char *dec_upto4(char *p, uint32_t v)
{
	if (v < 100) {
		if (v < 10) {
			*p = (char)('0' + v);
			return p + 1;
		}
		memcpy(p, dec_dig2 + 2 * v, 2);
		return p + 2;
	}
	if (v < 1000) {
		*p = (char)('0' + v / 100);
		memcpy(p + 1, dec_dig2 + 2 * (v % 100), 2);
		return p + 3;
	}
	return dec_4(p, v);
}

/* Any v, out of line: dec_u32() writes the short ones itself. */
char *dec_u32_long(char *p, uint32_t v);

/* %u.  Most numbers in a record are below 100: those inline, at each
 * call site, so each has a branch of its own to predict. */
static inline char *dec_u32(char *p, uint32_t v)
{
	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	if (v < 100) {
		memcpy(p, dec_dig2 + 2 * v, 2);
		return p + 2;
	}
	return dec_u32_long(p, v);
}

#endif
