/* reload_cmd: `nflogd --reload`: validate, SIGHUP the running daemon,
 * wait for its verdict.  See reload_cmd.c. */
#ifndef NFLOGD_RELOAD_CMD_H
#define NFLOGD_RELOAD_CMD_H

/* Exit status: 0 reloaded; 1 the file has errors (the daemon was not
 * signalled), the daemon rejected it (and runs on with the previous one)
 * or did not finish within timeout_s; 2 no running nflogd found. */
int reload_command(const char *config_path, unsigned int timeout_s);

#endif
