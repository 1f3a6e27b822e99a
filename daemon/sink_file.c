/* sink_file: records (whole lines) appended to a file, with optional size
 * rotation and a reopen for logrotate.
 *
 * The one promise: the file only ever holds whole lines.  A batch goes
 * out with writev (up to IOV_MAX records per call); when the disk fills
 * up in the middle of a record, the written part of that record is cut
 * off again with ftruncate, so the file ends with '\n' and a reader
 * (tail -F, Filebeat, fail2ban) never sees half a record glued to the
 * next one.  The file is opened O_APPEND, so the end of the file is the
 * write offset; its size is tracked (fstat at open, plus what was
 * written) to decide when to rotate.
 */
#include "sink.h"
#include "monotonic.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

#define OPEN_FLAGS (O_WRONLY | O_APPEND | O_CLOEXEC)
#define NAME_SIZE (CONFIG_PATH_MAX + 16)        /* path + ".NNNN" or ".new" */

struct sink_file {
	struct sink base;
	struct config_output cfg;       /* our own copy: base.cfg points here */
	int fd;
	uint64_t size;                  /* bytes in the file = write offset */
	time_t checked;                 /* last look for a deleted file */
	struct iovec iov[IOV_MAX];      /* one writev's worth, adjusted */
};

static void file_write(struct sink *s, const struct iovec *rec, size_t n,
		       struct sink_result *res);
static int file_reopen(struct sink *s);
static void file_close(struct sink *s);

static const struct sink_ops file_ops = {
	.write = file_write,
	.reopen = file_reopen,
	.close = file_close,
};

/* Open (creating) name for appending.  A new file gets exactly mode: the
 * umask would otherwise decide, and 0640 must stay 0640 under umask 077
 * as well as be no wider under umask 000.  An existing file keeps its
 * mode (logrotate's `create` or the admin chose it).  O_EXCL tells which
 * case it is without a race. */
static int open_file(const char *name, unsigned int mode)
{
	for (int tries = 0; tries < 8; tries++) {
		int fd = open(name, OPEN_FLAGS | O_CREAT | O_EXCL, (mode_t)mode);

		if (fd >= 0) {
			if (fchmod(fd, (mode_t)(mode & 07777)) < 0) {
				int e = errno;

				close(fd);
				unlink(name);
				return -e;
			}
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
		fd = open(name, OPEN_FLAGS);
		if (fd >= 0)
			return fd;
		if (errno != ENOENT)    /* ENOENT: removed in between, again */
			return -errno;
	}
	return -EAGAIN;
}

/* Create the file's directory, one level only.  Under systemd,
 * LogsDirectory= makes /var/log/nflogd; a foreground run as root with the
 * shipped configuration must work as well, and there nobody else would
 * make it.  Only one level: a missing /var/log means a wrong path, which
 * is better reported than papered over. */
static int make_parent(const char *path)
{
	char dir[CONFIG_PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t len;

	if (!slash || slash == path)
		return -ENOENT;
	len = (size_t)(slash - path);
	if (len >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, len);
	dir[len] = '\0';
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int file_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*size = (uint64_t)st.st_size;
	return 0;
}

int sink_file_open(const struct config_output *cfg, struct sink **out)
{
	struct sink_file *f;
	int fd, r;

	if (!cfg->path[0])
		return -EINVAL;
	fd = open_file(cfg->path, cfg->mode);
	if (fd == -ENOENT) {
		r = make_parent(cfg->path);
		if (r < 0)
			return r == -ENOENT ? fd : r;
		fd = open_file(cfg->path, cfg->mode);
	}
	if (fd < 0)
		return fd;
	f = calloc(1, sizeof(*f));
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	f->cfg = *cfg;
	f->base.ops = &file_ops;
	f->base.cfg = &f->cfg;
	f->fd = fd;
	r = file_size(fd, &f->size);
	if (r < 0) {
		close(fd);
		free(f);
		return r;
	}
	*out = &f->base;
	return 0;
}

static void numbered(char *dst, const char *path, unsigned int i)
{
	snprintf(dst, NAME_SIZE, "%s.%u", path, i);
}

/* path -> path.1 -> ... -> path.keep (the oldest falls off), or, with
 * keep = 0, the old file is simply replaced.  The new file is made under
 * a temporary name first, so a failure to create it changes nothing and
 * writing goes on into the old file; the final rename puts it in place
 * atomically. */
static int rotate(struct sink_file *f)
{
	char tmp[NAME_SIZE], from[NAME_SIZE], to[NAME_SIZE];
	const char *path = f->cfg.path;
	int fd, r;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);            /* a stale one, from a crash mid-rotation */
	fd = open_file(tmp, f->cfg.mode);
	if (fd < 0)
		return fd;
	if (f->cfg.keep > 0) {
		for (unsigned int i = f->cfg.keep - 1; i >= 1; i--) {
			numbered(from, path, i);
			numbered(to, path, i + 1);
			if (rename(from, to) < 0 && errno != ENOENT) {
				r = -errno;
				goto fail;
			}
		}
		numbered(to, path, 1);
		if (rename(path, to) < 0 && errno != ENOENT) {
			r = -errno;
			goto fail;
		}
	}
	/* keep = 0: this rename is what removes the old file */
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	close(f->fd);
	f->fd = fd;
	f->size = 0;
	return 0;
fail:
	close(fd);
	unlink(tmp);
	return r;
}

/* A write failed after `done` bytes of the chunk rec[0..cnt): how many
 * whole records made it.  A partly written record is cut off again so
 * that the file ends with a whole line. */
static size_t settle_partial(struct sink_file *f, const struct iovec *rec,
			     size_t cnt, size_t done)
{
	size_t whole = 0, k = 0, partial;
	uint64_t end;

	while (k < cnt && whole + rec[k].iov_len <= done)
		whole += rec[k++].iov_len;
	partial = done - whole;
	if (partial) {
		/* The real end of the file, not the tracked size: if anybody
		 * else appended meanwhile, only our partial bytes go. */
		if (file_size(f->fd, &end) < 0 || end < partial)
			end = f->size + done;
		end -= partial;
		if (ftruncate(f->fd, (off_t)end) < 0) {
			/* Nothing else to do about it: the next batch will
			 * start on the line we could not cut off. */
			end += partial;
		}
		f->size = end;
	} else {
		f->size += whole;
	}
	return k;
}

/* A file removed while open takes whatever is written to it along when
 * it is closed: say so (once a second at most, an fstat). */
static void check_deleted(struct sink_file *f, struct sink_result *res)
{
	time_t now = mono_sec();
	struct stat st;

	if (now == f->checked)
		return;
	f->checked = now;
	res->deleted = fstat(f->fd, &st) == 0 && st.st_nlink == 0;
}

static void file_write(struct sink *s, const struct iovec *rec, size_t n,
		       struct sink_result *res)
{
	struct sink_file *f = (struct sink_file *)s;
	uint64_t max = f->cfg.max_size;
	bool may_rotate = max > 0;
	size_t i = 0;

	res->written = 0;
	res->failed = 0;
	res->err = 0;
	res->rotate_err = 0;
	res->deleted = false;

	while (i < n) {
		size_t cnt = 0, total = 0, done = 0, vi = 0;
		int err = 0;

		/* Rotate before a record that would take a non-empty file
		 * past max_size: records are never split across files, and a
		 * record larger than max_size gets a file of its own.  The
		 * tracked size is checked against the file first (cheap:
		 * only when a rotation is due) so that a file truncated
		 * behind our back is not rotated early. */
		if (may_rotate && f->size > 0 && f->size + rec[i].iov_len > max &&
		    file_size(f->fd, &f->size) == 0 &&
		    f->size > 0 && f->size + rec[i].iov_len > max) {
			int r = rotate(f);

			if (r < 0) {
				/* Go on in the old file; try again with the
				 * next batch, not with every record. */
				res->rotate_err = -r;
				may_rotate = false;
			}
		}
		/* One chunk: records up to IOV_MAX that fit before the next
		 * rotation point. */
		do {
			size_t len = rec[i + cnt].iov_len;

			if (cnt > 0 && may_rotate && f->size + total + len > max)
				break;
			f->iov[cnt].iov_base = rec[i + cnt].iov_base;
			f->iov[cnt].iov_len = len;
			total += len;
			cnt++;
		} while (i + cnt < n && cnt < IOV_MAX);

		/* Write the chunk; a short write is continued, so a
		 * failure is only ever reported by an errno. */
		while (vi < cnt && f->iov[vi].iov_len == 0)
			vi++;
		while (vi < cnt) {
			ssize_t w = writev(f->fd, f->iov + vi, (int)(cnt - vi));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				err = errno;
				break;
			}
			if (w == 0) {           /* no progress: never loop */
				err = EIO;
				break;
			}
			done += (size_t)w;
			while (w > 0 && vi < cnt) {
				if ((size_t)w >= f->iov[vi].iov_len) {
					w -= (ssize_t)f->iov[vi].iov_len;
					vi++;
				} else {
					f->iov[vi].iov_base =
						(char *)f->iov[vi].iov_base + w;
					f->iov[vi].iov_len -= (size_t)w;
					w = 0;
				}
			}
			/* skip empty records, which writev would not */
			while (vi < cnt && f->iov[vi].iov_len == 0)
				vi++;
		}
		if (err) {
			size_t k = settle_partial(f, rec + i, cnt, done);

			res->written = i + k;
			res->failed = n - (i + k);
			res->err = err;
			return;
		}
		f->size += total;
		i += cnt;
	}
	res->written = n;
	check_deleted(f, res);
}

static int file_reopen(struct sink *s)
{
	struct sink_file *f = (struct sink_file *)s;
	uint64_t size;
	int fd, r;

	/* No directory is made here: reopen follows logrotate, which
	 * leaves the directory in place; if it is gone, say so and keep
	 * writing to the old file rather than rebuild it behind the
	 * admin's back. */
	fd = open_file(f->cfg.path, f->cfg.mode);
	if (fd < 0)
		return fd;
	r = file_size(fd, &size);
	if (r < 0) {
		close(fd);
		return r;
	}
	close(f->fd);
	f->fd = fd;
	f->size = size;
	return 0;
}

static void file_close(struct sink *s)
{
	struct sink_file *f = (struct sink_file *)s;

	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}
