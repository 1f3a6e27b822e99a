/* addr_text: addresses as text without printf. */
#include "addr_text.h"

#include <string.h>

static const char hex_lower[] = "0123456789abcdef";
static const char dig2[201] =
	"0001020304050607080910111213141516171819"
	"2021222324252627282930313233343536373839"
	"4041424344454647484950515253545556575859"
	"6061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

char *addr_text_ip4(char *p, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];

		if (i)
			*p++ = '.';
		if (v >= 100) {
			*p++ = (char)('0' + v / 100);
			v %= 100;
			memcpy(p, dig2 + 2 * v, 2);
			p += 2;
		} else if (v >= 10) {
			memcpy(p, dig2 + 2 * v, 2);
			p += 2;
		} else {
			*p++ = (char)('0' + v);
		}
	}
	return p;
}

/* What glibc's inet_ntop() writes (the RFC 5952 form: lower case, no
 * leading zeros, the longest run of two or more zero groups compressed,
 * the leftmost of equal runs; IPv4-mapped ::ffff:a.b.c.d and the old
 * IPv4-compatible ::a.b.c.d in dotted form), without its sprintf.  It is
 * what people type after SRC=; the LOG line's fully expanded IPv6 form
 * stays in MESSAGE. */
char *addr_text_ip6(char *p, const uint8_t *a)
{
	unsigned wd[8];
	int best = -1, blen = 0, cur = -1, clen = 0;

	for (int i = 0; i < 8; i++)
		wd[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8; i++) {
		if (wd[i] == 0) {
			if (cur < 0) {
				cur = i;
				clen = 1;
			} else {
				clen++;
			}
		} else if (cur >= 0) {
			if (best < 0 || clen > blen) {
				best = cur;
				blen = clen;
			}
			cur = -1;
		}
	}
	if (cur >= 0 && (best < 0 || clen > blen)) {
		best = cur;
		blen = clen;
	}
	if (best >= 0 && blen < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		unsigned v = wd[i];

		if (best >= 0 && i >= best && i < best + blen) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 &&
		    (blen == 6 || (blen == 5 && wd[5] == 0xffff)))
			return addr_text_ip4(p, a + 12);
		if (v >= 0x1000)
			*p++ = hex_lower[v >> 12];
		if (v >= 0x100)
			*p++ = hex_lower[v >> 8 & 15];
		if (v >= 0x10)
			*p++ = hex_lower[v >> 4 & 15];
		*p++ = hex_lower[v & 15];
	}
	if (best >= 0 && best + blen == 8)
		*p++ = ':';
	return p;
}
