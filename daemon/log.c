/* log: journal or stderr.  The choice is made once at start: under
 * systemd (INVOCATION_ID or JOURNAL_STREAM set) the journal gets
 * structured entries; a foreground run in a terminal gets plain lines. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>

static struct {
	enum log_target target;
	char identity[32];
	int fd;                 /* datagram socket to journald */
} lg = { LOG_TARGET_STDERR, "nflogd", -1 };

/* journald's native protocol, never blocking: sd_journal_send() waits
 * when journald's queue is full, and this is called from the receive loop
 * and the writer threads.  What journald cannot take goes to stderr. */
static int journal_send(int level, const char *msgid, const char *msg)
{
	static const struct sockaddr_un sa = {
		.sun_family = AF_UNIX,
		.sun_path = "/run/systemd/journal/socket",
	};
	char buf[2400];
	int n;

	if (strchr(msg, '\n'))
		return -EINVAL;
	if (lg.fd < 0)
		return -ENOTCONN;
	n = snprintf(buf, sizeof(buf), "MESSAGE=%s\nPRIORITY=%d\n"
		     "SYSLOG_IDENTIFIER=%s\n%s%s%s", msg, level, lg.identity,
		     msgid ? "MESSAGE_ID=" : "", msgid ? msgid : "",
		     msgid ? "\n" : "");
	if (n < 0 || n >= (int)sizeof(buf))
		return -EMSGSIZE;
	if (sendto(lg.fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

void log_init(enum log_target t, const char *identity)
{
	if (t == LOG_TARGET_AUTO)
		t = getenv("INVOCATION_ID") || getenv("JOURNAL_STREAM") ?
		    LOG_TARGET_JOURNAL : LOG_TARGET_STDERR;
	lg.target = t;
	snprintf(lg.identity, sizeof(lg.identity), "%s", identity);
	if (t == LOG_TARGET_JOURNAL && lg.fd < 0)
		lg.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
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

	if (lg.target == LOG_TARGET_JOURNAL && journal_send(level, msgid, msg) == 0)
		return;
	/* journald unreachable or full: do not lose our own errors */
	{
		char line[2100];
		int len = snprintf(line, sizeof(line), "%s: %s\n", lg.identity, msg);

		if (len > (int)sizeof(line) - 1)
			len = (int)sizeof(line) - 1;
		if (write(STDERR_FILENO, line, (size_t)len) < 0)
			return;
	}
}
