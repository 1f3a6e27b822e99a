/* stats: the counters made visible -- a status file (JSON and a table)
 * that `nflogd --status` prints, sd_notify STATUS=, the watchdog, the
 * periodic journal summary, loss reports, and the Prometheus textfile. */
#ifndef NFLOGD_STATS_H
#define NFLOGD_STATS_H

#include <stdbool.h>

struct daemon;

int stats_init(struct daemon *d);
/* Once a second (force: now, whatever the interval). */
void stats_tick(struct daemon *d, bool force);
/* A summary of every counter in the journal/stderr. */
void stats_log(struct daemon *d, const char *title);
void stats_fini(struct daemon *d);

/* `nflogd --status [--json]`: print the running daemon's status file. */
int stats_print_status(const char *runtime_dir, bool json);

#endif
