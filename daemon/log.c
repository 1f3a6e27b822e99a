/* log: journal or stderr.  The choice is made once at start: under
 * systemd (INVOCATION_ID or JOURNAL_STREAM set) the journal gets
 * structured entries; a foreground run in a terminal gets plain lines. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

static struct {
	enum log_target target;
	char identity[32];
} lg = { LOG_TARGET_STDERR, "nflogd" };

void log_init(enum log_target t, const char *identity)
{
	if (t == LOG_TARGET_AUTO)
		t = getenv("INVOCATION_ID") || getenv("JOURNAL_STREAM") ?
		    LOG_TARGET_JOURNAL : LOG_TARGET_STDERR;
	lg.target = t;
	snprintf(lg.identity, sizeof(lg.identity), "%s", identity);
}

void log_msg(int level, const char *msgid, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;

	if (lg.target == LOG_TARGET_JOURNAL) {
		int r;

		if (msgid)
			r = sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level,
					    "SYSLOG_IDENTIFIER=%s", lg.identity,
					    "MESSAGE_ID=%s", msgid, NULL);
		else
			r = sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level,
					    "SYSLOG_IDENTIFIER=%s", lg.identity,
					    NULL);
		if (r >= 0)
			return;
		/* journald unreachable: do not lose our own errors */
	}
	{
		char line[2100];
		int len = snprintf(line, sizeof(line), "%s: %s\n", lg.identity, msg);

		if (len > (int)sizeof(line) - 1)
			len = (int)sizeof(line) - 1;
		if (write(STDERR_FILENO, line, (size_t)len) < 0)
			return;
	}
}
