/* ct_invalid: the sysctls that make conntrack explain its INVALID
 * verdicts on NFLOG group 0 (the conntrack_invalid section), set and put
 * back in nflogd's own network namespace.
 *
 *   net.netfilter.nf_log.2 / .10           "nfnetlink_log" (IPv4 / IPv6)
 *   net.netfilter.nf_conntrack_log_invalid the protocol number, 255 = all
 *
 * Conntrack then logs each packet it finds INVALID through nf_log, and
 * nfnetlink_log sends it to group 0 with the reason in the prefix
 * (common/ct_reason.h).  Both sysctls are per network namespace.
 *
 * The values found are saved to <state_dir>/sysctl-restore (written
 * atomically) before anything is changed, and written back by
 * ct_invalid_restore().  If the file is already there, a previous nflogd
 * died without restoring: its values are the originals, not what is in
 * the kernel now (which is what that nflogd set).
 *
 * What the kernel requires:
 *   - nf_conntrack_log_invalid exists in every namespace once the
 *     nf_conntrack module is loaded (0 in a new namespace), whether or not
 *     conntrack is in use there; without the module it is absent and
 *     enable fails with -ENOENT.  Reasons are logged only for packets
 *     conntrack looks at, i.e. when some rule in the namespace uses
 *     conntrack (nft "ct state ...", iptables "-m conntrack").
 *   - nf_log.<pf> accepts "nfnetlink_log" only while that logger is
 *     registered (the nfnetlink_log module, loaded by binding an NFLOG
 *     group): bind group 0 first.
 *
 * Library style: no logging; errors and notes go to err (len bytes), and
 * name the sysctl path or file and strerror().
 */
#ifndef NFLOGD_CT_INVALID_H
#define NFLOGD_CT_INVALID_H

#include <stddef.h>

#include "config.h"

/* The file in state_dir holding the values to put back. */
#define CT_INVALID_RESTORE_FILE "sysctl-restore"

/* Set the sysctls for c->ct_invalid (families ipv4 / ipv6, protocol),
 * saving the originals first (state_dir is created if missing).
 * Returns 0, or 1 when done but an nf_log.<pf> named another logger
 * (e.g. "nf_log_ipv4"), which is now replaced until restore: err then
 * says which (for an info line).  Negative errno on failure: err says
 * what; whatever was already changed has been put back. */
int ct_invalid_enable(const struct config *c, const char *state_dir,
		      char *err, size_t len);

/* Write back the values saved in <state_dir>/sysctl-restore and delete
 * the file.  No file: nothing to do, 0 (also called at start when
 * conntrack_invalid is no longer configured, to clean up after a crash).
 * Every saved value is tried; the file is kept (for the next start) only
 * if a sysctl that still exists could not be written.  Negative errno:
 * err says what failed first. */
int ct_invalid_restore(const char *state_dir, char *err, size_t len);

#endif
