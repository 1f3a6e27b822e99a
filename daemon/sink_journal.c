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
 * length as a little-endian uint64 + the value + "\n".  The datagram is
 * gathered with sendmsg from iovecs that point into the queue record:
 * values are never copied.
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
#define DRAIN_STEP_NS 100000L           /* polling step while it drains */

struct sink_journal {
	struct sink base;
	struct config_output cfg;
	int fd;                         /* -1: not connected */
	int conn_err;                   /* why not (errno) */
	uint64_t last_attempt;          /* CLOCK_MONOTONIC ns */
	struct sockaddr_un sa;
	socklen_t sa_len;
	struct iovec fields[SINK_JOURNAL_MAX_FIELDS];
	uint64_t vlen[SINK_JOURNAL_MAX_FIELDS];         /* little-endian */
	struct iovec wire[5 * SINK_JOURNAL_MAX_FIELDS];
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

static void *unconst(const void *p)
{
	return (void *)(uintptr_t)p;
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

/* Build the datagram of one record in j->wire; returns the number of
 * iovecs, or -EINVAL for a malformed record (no fields, a field without
 * "KEY=", a key holding '\n'). */
static int build(struct sink_journal *j, const struct iovec *rec)
{
	static const char nl[] = "\n";
	size_t nf = sink_journal_record_parse(rec->iov_base, rec->iov_len,
					      j->fields, SINK_JOURNAL_MAX_FIELDS);
	size_t w = 0;

	if (!nf)
		return -EINVAL;
	for (size_t k = 0; k < nf; k++) {
		const char *f = j->fields[k].iov_base;
		size_t len = j->fields[k].iov_len, klen;
		const char *eq = memchr(f, '=', len);
		const char *val;
		size_t vlen;

		if (!eq || eq == f)
			return -EINVAL;
		klen = (size_t)(eq - f);
		if (memchr(f, '\n', klen))
			return -EINVAL;
		val = eq + 1;
		vlen = len - klen - 1;
		if (memchr(val, '\n', vlen)) {
			j->vlen[k] = htole64((uint64_t)vlen);
			j->wire[w++] = (struct iovec){ unconst(f), klen };
			j->wire[w++] = (struct iovec){ unconst(nl), 1 };
			j->wire[w++] = (struct iovec){ &j->vlen[k], 8 };
			j->wire[w++] = (struct iovec){ unconst(val), vlen };
		} else {
			j->wire[w++] = (struct iovec){ unconst(f), len };
		}
		j->wire[w++] = (struct iovec){ unconst(nl), 1 };
	}
	return (int)w;
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
 * buffer is.  Sleep in small steps until half of what we queued has been
 * read; -EAGAIN when nothing moved for SEND_TIMEOUT_NS. */
static int wait_drained(struct sink_journal *j)
{
	const struct timespec step = { 0, DRAIN_STEP_NS };
	int full = queued_bytes(j->fd), last = full, now;
	uint64_t since = now_ns();

	if (full <= 0) {
		/* Not our datagrams filling it (or no SIOCOUTQ): wait for
		 * the first free slot. */
		struct pollfd p = { .fd = j->fd, .events = POLLOUT };
		int r = poll(&p, 1, (int)(SEND_TIMEOUT_NS / 1000000));

		return r > 0 ? 0 : r == 0 ? -EAGAIN : -errno;
	}
	for (;;) {
		nanosleep(&step, NULL);
		now = queued_bytes(j->fd);
		if (now <= full / 2)
			return 0;
		if (now < last) {
			last = now;
			since = now_ns();
		} else if (now_ns() - since >= SEND_TIMEOUT_NS) {
			return -EAGAIN;
		}
	}
}

static int send_one(struct sink_journal *j, int niov)
{
	struct msghdr mh = { .msg_iov = j->wire, .msg_iovlen = (size_t)niov };

	for (;;) {
		int r;

		if (sendmsg(j->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
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
		int niov = build(j, &rec[i]), r;

		if (niov < 0) {
			err = -niov;
			break;
		}
		if (!ensure_connected(j)) {
			err = j->conn_err;
			break;
		}
		r = send_one(j, niov);
		if (r < 0 && peer_gone(-r)) {
			/* A restarted journald has a new socket at the same
			 * path: reconnect at once (if the pacing allows)
			 * and send this record again, so that a restart
			 * loses nothing. */
			disconnect(j, -r);
			r = ensure_connected(j) ? send_one(j, niov) : -j->conn_err;
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

size_t sink_journal_record_size(const struct iovec *fields, size_t n)
{
	size_t size = 0;

	for (size_t k = 0; k < n; k++)
		size += sizeof(uint32_t) + fields[k].iov_len;
	return size;
}

void sink_journal_record_fill(void *dst, const struct iovec *fields, size_t n)
{
	uint8_t *p = dst;

	for (size_t k = 0; k < n; k++) {
		uint32_t len = (uint32_t)fields[k].iov_len;

		memcpy(p, &len, sizeof(len));
		p += sizeof(len);
		if (len)
			memcpy(p, fields[k].iov_base, len);
		p += len;
	}
}

size_t sink_journal_record_parse(const void *rec, size_t len,
				 struct iovec *fields, size_t max)
{
	const uint8_t *p = rec;
	size_t off = 0, k = 0;

	while (off < len) {
		uint32_t l;

		if (len - off < sizeof(l) || k == max)
			return 0;
		memcpy(&l, p + off, sizeof(l));
		off += sizeof(l);
		if (l > len - off)
			return 0;
		fields[k].iov_base = unconst(p + off);
		fields[k].iov_len = l;
		k++;
		off += l;
	}
	return k;
}
