/* ct_reason: conntrack's own explanation of an INVALID packet, taken
 * from the prefix of the message it logs through nf_log.
 *
 * With net.netfilter.nf_conntrack_log_invalid set, conntrack logs the
 * packets it judges INVALID with nf_log_packet(), and with
 * net.netfilter.nf_log.<pf> = nfnetlink_log they arrive on NFLOG group 0.
 * The kernel writes the prefix as (net/netfilter/nf_conntrack_proto.c,
 * nf_conntrack_helper.c):
 *
 *     "nf_ct_proto_%d: %pV "                 nf_l4proto_log_invalid()
 *     "nf_ct_%s: dropping packet: %pV "      nf_ct_helper_log()
 *     "helper %s dropping packet: %pV "      nf_ct_helper_log(), newer
 *
 * e.g., as this machine's kernel (6.18) sent them: "nf_ct_proto_6: invalid
 * new ", "nf_ct_proto_6: invalid tcp flag combination ", "nf_ct_proto_6:
 * SEQ is over upper bound 64342 (over the window of the receiver) ",
 * "nf_ct_proto_17: bad checksum ", "nf_ct_proto_1: bad hw icmp checksum ";
 * and from a helper "nf_ct_ftp: dropping packet: partial response ".
 * nf_log_packet() formats into NF_LOG_PREFIXLEN (128) bytes, so a long
 * reason arrives cut (and without its trailing space), and a longer
 * prefix is not conntrack's (which also bounds what a formatter adds).
 *
 * Pure code: no allocation, no I/O; the result points into the caller's
 * prefix, which need not be NUL-terminated (a NUL ends it).
 */
#ifndef NFLOGD_CT_REASON_H
#define NFLOGD_CT_REASON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest helper name the kernel allows (NF_CT_HELPER_NAME_LEN - 1). */
#define CT_REASON_HELPER_MAX 15
/* The longest prefix nf_log_packet() writes (NF_LOG_PREFIXLEN - 1). */
#define CT_REASON_PREFIX_MAX 127

struct ct_reason {
	/* IP protocol number (6 = TCP ...) of "nf_ct_proto_N: "; 0 for a
	 * helper's message */
	uint8_t protocol;
	/* the helper's name ("ftp", "sip", "Q.931"); NULL for the protocol
	 * form and for newer kernels' "helper (null) ..." (no helper
	 * attached any more) */
	const char *helper;
	size_t helper_len;
	/* the reason, trailing spaces removed; never empty; not
	 * NUL-terminated */
	const char *reason;
	size_t reason_len;
};

/* Parse a prefix (len bytes; may be NULL when len is 0; a NUL ends it).
 * Returns true and fills *out when the prefix has one of the forms above
 * with a non-empty reason and is at most CT_REASON_PREFIX_MAX bytes long;
 * false (and *out untouched) for anything else. */
bool ct_reason_parse(const char *prefix, size_t len, struct ct_reason *out);

#endif
