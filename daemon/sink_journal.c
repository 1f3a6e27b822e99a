/* sink_journal: records to systemd-journald over its native protocol.
 *
 * Not sd_journal_sendv(): it returns 0 when journald's socket is absent
 * (the record is gone without a trace) and blocks without a bound when
 * journald's queue is full.  Here every record either reaches the socket
 * or is counted failed with the reason, and a send waits at most 1 s
 * without progress, so the writer thread always notices a stop request.
 *
 * When journald's queue is full, blocking in sendmsg() would wake the
 * writer for every entry journald reads (one context switch per record,
 * journald and nflogd taking turns on a shared core); wait_drained()
 * lets half of the queue drain first, so each wake-up sends a burst.
 *
 * The wire format (systemd's docs/JOURNAL_NATIVE_PROTOCOL.md): one
 * datagram per entry on an AF_UNIX/SOCK_DGRAM socket; each field is
 * "KEY=value\n", or, when the value holds a '\n', "KEY\n" + the value's
 * length as a little-endian uint64 + the value + "\n".  The receiver
 * writes a record into the queue in this form already
 * (sink_journal_record_fill), so the writer sends it as it is: one
 * contiguous buffer, no parsing, no per-field iovecs (sixty of them cost
 * the kernel more than the copy).
 *
 * Entries too large for one datagram would have to go through a sealed
 * memfd passed as SCM_RIGHTS; ours are a few KiB (fmt_journal caps them
 * at FMT_JOURNAL_ARENA) against a send buffer of megabytes, so such a
 * record is counted failed with EMSGSIZE instead.
 */
#include "sink.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define SNDBUF_SIZE (8 * 1024 * 1024)
#define RECONNECT_NS 1000000000ull      /* one connect attempt a second */
#define SEND_TIMEOUT_NS 1000000000ull   /* a full queue that does not move */
#define DRAIN_STEP_NS 100000ull         /* first sleep while it drains */
#define DRAIN_STEP_MAX_NS 20000000ull   /* longest sleep */

struct sink_journal {
	struct sink base;
	struct config_output cfg;
	int fd;                         /* -1: not connected */
	int conn_err;                   /* why not (errno) */
	uint64_t last_attempt;          /* CLOCK_MONOTONIC ns */
	struct sockaddr_un sa;
	socklen_t sa_len;
};

static void journal_write(struct sink *s, const struct iovec *rec, size_t n,
			  struct sink_result *res);
static int journal_reopen(struct sink *s);
static void journal_close(struct sink *s);

static const struct sink_ops journal_ops = {
	.write = journal_write,
	.reopen = journal_reopen,
	.close = journal_close,
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A connected socket, or -errno. */
static int connect_socket(const struct sink_journal *j)
{
	int fd, size = SNDBUF_SIZE, got = 0;
	socklen_t len = sizeof(got);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A large send buffer delays blocking and raises the datagram size
	 * limit.  SO_SNDBUF is capped by net.core.wmem_max; the daemon has
	 * CAP_NET_ADMIN, which lets SO_SNDBUFFORCE pass the cap.  Failure
	 * only means smaller bursts. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	/* the kernel reports twice what it was asked for */
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len) < 0 ||
	    got < 2 * size)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size,
				 sizeof(size));
	if (connect(fd, (const struct sockaddr *)&j->sa, j->sa_len) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Connect if not connected and the last attempt is a second old. */
static bool ensure_connected(struct sink_journal *j)
{
	uint64_t now;
	int fd;

	if (j->fd >= 0)
		return true;
	now = now_ns();
	if (now - j->last_attempt < RECONNECT_NS)
		return false;
	j->last_attempt = now;
	fd = connect_socket(j);
	if (fd < 0) {
		j->conn_err = -fd;
		return false;
	}
	j->fd = fd;
	j->conn_err = 0;
	return true;
}

static void disconnect(struct sink_journal *j, int err)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	j->conn_err = err;
}

/* journald is not there (any more): the socket file is missing, nobody
 * listens on it, or it was replaced by a restarted journald. */
static bool peer_gone(int e)
{
	return e == ENOENT || e == ECONNREFUSED || e == ENOTCONN ||
	       e == ECONNRESET || e == EPIPE || e == EDESTADDRREQ;
}

int sink_journal_open(const struct config_output *cfg, struct sink **out)
{
	const char *path = secure_getenv("NFLOGD_JOURNAL_SOCKET");
	struct sink_journal *j;
	size_t len;
	int fd;

	if (!path || !*path)
		path = JOURNAL_SOCKET;
	len = strlen(path);
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	if (len >= sizeof(j->sa.sun_path)) {
		free(j);
		return -ENAMETOOLONG;
	}
	j->cfg = *cfg;
	j->base.ops = &journal_ops;
	j->base.cfg = &j->cfg;
	j->sa.sun_family = AF_UNIX;
	memcpy(j->sa.sun_path, path, len + 1);
	j->sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	j->last_attempt = now_ns();
	fd = connect_socket(j);
	if (fd < 0 && !peer_gone(-fd) && -fd != EACCES && -fd != EPERM) {
		/* no socket at all (EMFILE, ENOMEM, ...): a real error */
		free(j);
		return fd;
	}
	/* journald not running (yet) is no error: records fail counted
	 * until it is back. */
	j->fd = fd < 0 ? -1 : fd;
	j->conn_err = fd < 0 ? -fd : 0;
	*out = &j->base;
	return 0;
}

/* Our datagrams journald has not read yet, in bytes (unix datagrams are
 * charged to the sender until received), or -1. */
static int queued_bytes(int fd)
{
	int n;

	return ioctl(fd, SIOCOUTQ, &n) < 0 ? -1 : n;
}

/* journald's queue is full (net.unix.max_dgram_qlen datagrams: systemd
 * raises it to 512 at boot; the kernel's default is 10) or our send
 * buffer is.  Sleep until half of what we queued has been read, then
 * send a burst; -EAGAIN when nothing moved for SEND_TIMEOUT_NS.  The
 * first sleep is one short step; after it the rate journald reads at
 * says how long the rest takes, so a wait is two or three sleeps, not
 * one wake-up per entry read. */
static int wait_drained(struct sink_journal *j)
{
	int full = queued_bytes(j->fd), last = full, now;
	uint64_t start = now_ns(), since = start, step = DRAIN_STEP_NS;

	if (full <= 0) {
		/* Not our datagrams filling it (or no SIOCOUTQ): wait for
		 * the first free slot. */
		struct pollfd p = { .fd = j->fd, .events = POLLOUT };
		int r = poll(&p, 1, (int)(SEND_TIMEOUT_NS / 1000000));

		return r > 0 ? 0 : r == 0 ? -EAGAIN : -errno;
	}
	for (;;) {
		struct timespec ts = { 0, (long)step };
		uint64_t t;

		nanosleep(&ts, NULL);
		now = queued_bytes(j->fd);
		if (now <= full / 2)
			return 0;
		t = now_ns();
		if (now < last) {
			/* time to half at the rate seen so far */
			step = (t - start) * (uint64_t)(now - full / 2) /
			       (uint64_t)(full - now);
			if (step < DRAIN_STEP_NS)
				step = DRAIN_STEP_NS;
			if (step > DRAIN_STEP_MAX_NS)
				step = DRAIN_STEP_MAX_NS;
			last = now;
			since = t;
		} else if (t - since >= SEND_TIMEOUT_NS) {
			return -EAGAIN;
		}
	}
}

static int send_one(struct sink_journal *j, const struct iovec *rec)
{
	for (;;) {
		int r;

		if (send(j->fd, rec->iov_base, rec->iov_len,
			 MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		r = wait_drained(j);
		if (r < 0)
			return r;
	}
}

static void journal_write(struct sink *s, const struct iovec *rec, size_t n,
			  struct sink_result *res)
{
	struct sink_journal *j = (struct sink_journal *)s;
	size_t i;
	int err = 0;

	res->written = 0;
	res->failed = 0;
	res->err = 0;
	res->rotate_err = 0;

	for (i = 0; i < n; i++) {
		const uint8_t *d = rec[i].iov_base;
		int r;

		/* A record is a whole datagram: fields, each ending in '\n'. */
		if (!rec[i].iov_len || d[rec[i].iov_len - 1] != '\n') {
			err = EINVAL;
			break;
		}
		if (!ensure_connected(j)) {
			err = j->conn_err;
			break;
		}
		r = send_one(j, &rec[i]);
		if (r < 0 && peer_gone(-r)) {
			/* A restarted journald has a new socket at the same
			 * path: reconnect at once (if the pacing allows)
			 * and send this record again, so that a restart
			 * loses nothing. */
			disconnect(j, -r);
			r = ensure_connected(j) ? send_one(j, &rec[i]) : -j->conn_err;
			if (r < 0 && peer_gone(-r))
				disconnect(j, -r);
		}
		if (r < 0) {
			/* EAGAIN: journald read nothing for a second;
			 * the rest of the batch would wait as long each. */
			err = -r;
			break;
		}
	}
	res->written = i;
	res->failed = n - i;
	res->err = res->failed ? (err ? err : EIO) : 0;
}

static int journal_reopen(struct sink *s)
{
	struct sink_journal *j = (struct sink_journal *)s;
	int fd;

	j->last_attempt = now_ns();
	fd = connect_socket(j);
	if (fd < 0)
		return fd;
	if (j->fd >= 0)
		close(j->fd);
	j->fd = fd;
	j->conn_err = 0;
	return 0;
}

static void journal_close(struct sink *s)
{
	struct sink_journal *j = (struct sink_journal *)s;

	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j);
}

/* A field "KEY=value" as sent: the key must be non-empty and hold no
 * '\n'.  Returns its wire size, or 0 when it cannot be sent.  *binary:
 * the value holds a '\n' and goes in the length form.  One scan for '\n'
 * over the whole field decides the usual case (none anywhere). */
static size_t field_wire(const struct iovec *f, bool *binary)
{
	const char *p = f->iov_base, *eq, *nl = memchr(p, '\n', f->iov_len);

	if (!f->iov_len || p[0] == '=' || !(eq = memchr(p, '=', f->iov_len)))
		return 0;
	*binary = nl != NULL;
	if (!nl)
		return f->iov_len + 1;
	return nl < eq ? 0 : f->iov_len + 9;    /* a '\n' in the key: no */
}

size_t sink_journal_record_size(const struct iovec *fields, size_t n)
{
	size_t size = 0;

	for (size_t k = 0; k < n; k++) {
		bool binary;
		size_t w = field_wire(&fields[k], &binary);

		if (!w)
			return 0;
		size += w;
	}
	return size;
}

void sink_journal_record_fill(void *dst, const struct iovec *fields, size_t n)
{
	uint8_t *p = dst;

	for (size_t k = 0; k < n; k++) {
		const char *f = fields[k].iov_base;
		size_t len = fields[k].iov_len;
		bool binary;

		binary = memchr(f, '\n', len) != NULL;
		if (binary) {
			size_t klen = (size_t)((const char *)memchr(f, '=', len) - f);
			uint64_t vlen = htole64((uint64_t)(len - klen - 1));

			memcpy(p, f, klen);
			p[klen] = '\n';
			memcpy(p + klen + 1, &vlen, 8);
			memcpy(p + klen + 9, f + klen + 1, len - klen - 1);
			p += len + 8;     /* key, \n, length, value */
		} else {
			memcpy(p, f, len);
			p += len;
		}
		*p++ = '\n';
	}
}
