/* config_file: read the configuration file, and refuse one that someone
 * other than root can change.
 *
 * Whoever can write nflogd's configuration decides what nflogd does with
 * CAP_NET_ADMIN: which kernel rules it installs and removes, which files
 * it creates and writes as root.  Like sshd's StrictModes, the file and
 * every directory above it must be owned by root (or by the user nflogd
 * runs as) and not be writable by group or others -- a group-writable
 * file of group root, and a root-owned sticky directory such as /tmp,
 * excepted.
 */
#ifndef NFLOGD_CONFIG_FILE_H
#define NFLOGD_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "config.h"

/* Read and validate the configuration file path: 0 and *out (malloc'd),
 * or -1 with every problem in *errs ("FILE:LINE: ..."; the first says
 * why an unsafe file is refused). */
int daemon_load_config(const char *path, struct config **out,
		       struct config_errors *errs);

/* Whether st (of path; a directory if dir) may hold or lead to the
 * configuration: 0, or -1 and why in why[size] ("writable by others
 * (mode 0666)").  me: the effective uid nflogd runs as. */
int config_file_check_owner(const struct stat *st, bool dir, uid_t me,
			    char *why, size_t size);

#endif
