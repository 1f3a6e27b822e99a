/* fmt_log: record -> the line the kernel's LOG target writes for the same
 * packet (net/netfilter/nf_log_syslog.c), byte for byte: prefix, IN=/OUT=,
 * MAC=, the IPv4/IPv6 body, the quoted packet of ICMP errors, UID=/GID=,
 * MARK=.  No timestamp, no host, no trailing newline.
 *
 * Pure code: writes into a caller buffer, no allocation.
 */
#ifndef NFLOGD_FMT_LOG_H
#define NFLOGD_FMT_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

/* The LOG flags of a rule (same values as the kernel's NF_LOG_*). */
enum log_flag {
	LOG_F_TCPSEQ = 0x01,
	LOG_F_TCPOPT = 0x02,
	LOG_F_IPOPT = 0x04,
	LOG_F_UID = 0x08,
	LOG_F_MACDECODE = 0x20,
	LOG_F_ALL = 0x2f,
};

/* Interface names, resolved by the caller from the message's ifindexes.
 * NULL or "" prints as an empty name; a name with bytes outside 0x21..0x7e
 * is escaped like the prefix (see fmt_log_escape). */
struct log_ifnames {
	const char *in, *out, *physin, *physout;
};

/* The kernel cuts every LOG line at 1016 characters (nf_log_buf holds
 * 1019 bytes, two of them the log level, one the NUL); so do we. */
#define FMT_LOG_KERNEL_MAX 1016
/* A buffer of this size always holds a whole line. */
#define FMT_LOG_MAX (FMT_LOG_KERNEL_MAX + 1)

/* Write the line into buf (NUL-terminated).  Returns the length without the
 * NUL, or -ENOSPC if it did not fit in a buffer smaller than FMT_LOG_MAX
 * (buf then holds a truncated line).  With size >= FMT_LOG_MAX it never
 * fails: a longer line is cut at FMT_LOG_KERNEL_MAX as the kernel does. */
int fmt_log(const struct record *rec, const struct log_ifnames *ifn,
	    unsigned int flags, char *buf, size_t size);

/* Parse a comma-separated list of flag names ("tcpseq,tcpopt,ipopt,uid,
 * macdecode", or "all", or "none") into *flags.  -EINVAL on an unknown
 * name; *bad (if not NULL) then points at it. */
int fmt_log_parse_flags(const char *list, unsigned int *flags,
			const char **bad);

/* Copy s (len bytes) into buf so that it cannot break a line, the way the
 * kernel's /dev/kmsg does: bytes below 0x20, from 0x7f up, and '\\' become
 * \xHH.  Returns bytes written (no NUL) or -ENOSPC. */
int fmt_log_escape(const char *s, size_t len, char *buf, size_t size);

#endif
