/* privileges: run as the configured user with CAP_NET_ADMIN alone.
 *
 * Started as root with `user =` set, nflogd prepares the directories it
 * writes to (so the user can), then switches to the user, its group and
 * supplementary groups, keeping only CAP_NET_ADMIN: permitted, effective,
 * inheritable and ambient (the iptables-restore children it runs need it
 * too), with every other capability gone from the bounding set and
 * no_new_privs set.  Under systemd the unit does all this (User=,
 * AmbientCapabilities=) and `user` stays empty.
 *
 * Must run before any thread exists: capabilities are per thread, and a
 * thread started later inherits the caller's.
 */
#ifndef NFLOGD_PRIVILEGES_H
#define NFLOGD_PRIVILEGES_H

#include <stddef.h>

#include "config.h"

/* Does nothing when c->user is empty.  On failure fills err (what failed,
 * on what, why) and returns -1: the daemon must not start then, rather
 * than run with more privileges than it was told to. */
int privileges_drop(const struct config *c, char *err, size_t len);

/* "uid 0" / "user nflogd (uid 998), group adm (gid 4), CAP_NET_ADMIN":
 * who the process is now, for the start message. */
void privileges_describe(char *buf, size_t len);

#endif
