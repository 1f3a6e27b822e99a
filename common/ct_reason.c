/* ct_reason: conntrack's INVALID reason from an NFLOG prefix. */
#include "ct_reason.h"

#include <string.h>

/* Does s[0..n) start with the literal? */
static bool starts(const char *s, size_t n, const char *lit, size_t ll)
{
	return n >= ll && memcmp(s, lit, ll) == 0;
}

#define STARTS(s, n, lit) starts(s, n, lit, sizeof(lit) - 1)

/* Characters of the helper names in the kernel tree ("ftp", "netbios-ns",
 * "snmp_trap", "Q.931", "H.245", "RAS"). */
static bool helper_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* A helper name at s, ending at the first byte that cannot be part of
 * one: its length, or 0 if it is empty or too long. */
static size_t helper_name(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && helper_char(s[i]))
		i++;
	return i <= CT_REASON_HELPER_MAX ? i : 0;
}

/* The reason at s (n bytes) without trailing spaces; false if empty. */
static bool set_reason(const char *s, size_t n, struct ct_reason *r)
{
	while (n && s[n - 1] == ' ')
		n--;
	if (!n)
		return false;
	r->reason = s;
	r->reason_len = n;
	return true;
}

/* "nf_ct_proto_" already consumed: "N: reason". */
static bool parse_proto(const char *s, size_t n, struct ct_reason *out)
{
	struct ct_reason r = { 0 };
	unsigned int v = 0;
	size_t i = 0;

	/* %d of a u8: 1 to 3 digits, no leading zero, at most 255 */
	while (i < n && i < 4 && s[i] >= '0' && s[i] <= '9')
		v = v * 10 + (unsigned int)(s[i++] - '0');
	if (i == 0 || i > 3 || v > 255 || (i > 1 && s[0] == '0'))
		return false;
	if (!STARTS(s + i, n - i, ": "))
		return false;
	i += 2;
	r.protocol = (uint8_t)v;
	if (!set_reason(s + i, n - i, &r))
		return false;
	*out = r;
	return true;
}

/* name, then sep (": dropping packet: " or " dropping packet: "), then
 * the reason.  Newer kernels write "(null)" for a helper that is gone. */
static bool parse_helper(const char *s, size_t n, const char *sep, size_t sl,
			 struct ct_reason *out)
{
	struct ct_reason r = { 0 };
	size_t hl = helper_name(s, n);

	if (!hl && STARTS(s, n, "(null)"))
		hl = 6;
	else if (hl)
		r.helper = s;
	if (!hl || !starts(s + hl, n - hl, sep, sl))
		return false;
	r.helper_len = r.helper ? hl : 0;
	if (!set_reason(s + hl + sl, n - hl - sl, &r))
		return false;
	*out = r;
	return true;
}

#define PARSE_HELPER(s, n, sep, out) \
	parse_helper(s, n, sep, sizeof(sep) - 1, out)

bool ct_reason_parse(const char *prefix, size_t len, struct ct_reason *out)
{
	const char *nul;

	if (!prefix || !len)
		return false;
	/* the kernel's prefix is a C string: nothing after a NUL counts */
	nul = memchr(prefix, 0, len);
	if (nul)
		len = (size_t)(nul - prefix);
	if (len > CT_REASON_PREFIX_MAX)
		return false;

	if (STARTS(prefix, len, "nf_ct_proto_") &&
	    parse_proto(prefix + 12, len - 12, out))
		return true;
	if (STARTS(prefix, len, "nf_ct_"))
		return PARSE_HELPER(prefix + 6, len - 6, ": dropping packet: ",
				    out);
	if (STARTS(prefix, len, "helper "))
		return PARSE_HELPER(prefix + 7, len - 7, " dropping packet: ",
				    out);
	return false;
}
