/* log: the daemon's own messages (not packet records).  To the journal
 * with a MESSAGE_ID per kind of event when running under systemd (or
 * --log-target=journal), to stderr otherwise.  Thread-safe: each message
 * is one write. */
#ifndef NFLOGD_LOG_H
#define NFLOGD_LOG_H

#include <syslog.h>

/* MESSAGE_IDs, documented in systemd/nflogd.catalog. */
#define MSGID_STARTED  "edadde8d2d3c470d88c6da8e1b75985b"
#define MSGID_STOPPED  "fe3c2120ba9b41afa315d358f9423db0"
#define MSGID_RELOADED "4218a276a81943b49782d85ddc9c8020"
#define MSGID_RELOAD_FAILED "f64132f084714a2798eb8d6a855a179c"
#define MSGID_STATS    "5dd6938c1ec647cc9309da517d093abc"
#define MSGID_LOSS     "523b5f7d566044cfa9a62a393aa4f956"
#define MSGID_OUTPUT_ERROR "084383940d06431c9dc5ac44705e4387"
#define MSGID_RULES_INSTALLED "6acbfa85ed1d4f8490f00bab109703bf"
#define MSGID_RULES_RESTORED "50a79bf627724ef29835314915a3ef28"
#define MSGID_RULES_FAILED "7eadc0d3e3a648dfad5ec5cbd8d52f11"
#define MSGID_RULES_REMOVED "c921a9aed6b64b25bfa3fc3c337899d6"
#define MSGID_ERROR    "006935f0c49345a3b0c072b74194170f"

enum log_target { LOG_TARGET_AUTO, LOG_TARGET_JOURNAL, LOG_TARGET_STDERR };

void log_init(enum log_target t, const char *identity);

/* msgid may be NULL.  The message is one line, no trailing newline. */
void log_msg(int level, const char *msgid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(...) log_msg(LOG_ERR, MSGID_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, NULL, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, NULL, __VA_ARGS__)

#endif
