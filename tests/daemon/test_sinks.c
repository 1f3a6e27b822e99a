/* Tests for daemon/sink_file.c and daemon/sink_journal.c.
 *
 * Files: exact modes under any umask, appending, big batches in few
 * writev calls, size rotation (count, order, no split line), reopen after
 * logrotate moved the file, reopen failure, and a full disk -- a 64 KiB
 * tmpfs in a private mount namespace -- after which the file still ends
 * with a whole line.  Every file is checked line by line against the
 * generated records.
 *
 * Journal: a fake journald (an AF_UNIX datagram socket at a temporary
 * path, named by NFLOGD_JOURNAL_SOCKET) receives the datagrams, which are
 * decoded from the native protocol and compared with the fields sent;
 * journald absent, refused, restarted, busy; records too large; and the
 * queue record format (the datagram itself) with malformed inputs.
 */
#include "config.h"
#include "sink.h"

#include <check.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ck_assert records every passing check in Check's message file (a
 * write each): loops over many lines use this instead. */
#define REQUIRE(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* --- counting writev calls --------------------------------------------- */

/* The test program's own writev: sink_file.c is linked in, so its calls
 * land here.  The raw system call keeps it independent of libc's and the
 * sanitizers' wrappers. */
static unsigned long n_writev;

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	n_writev++;
	return syscall(SYS_writev, fd, iov, cnt);
}

/* --- helpers ----------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rmrf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char tmpdir[64];

static void setup_dir(void)
{
	strcpy(tmpdir, "/tmp/nflogd-sinks-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown_dir(void)
{
	rmrf(tmpdir);
}

static char *in_dir(const char *name)
{
	static char buf[4][CONFIG_PATH_MAX];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, CONFIG_PATH_MAX, "%s/%s", tmpdir, name);
	return p;
}

static struct config_output file_cfg(const char *path, unsigned int mode,
				     uint64_t max_size, unsigned int keep)
{
	struct config_output c;

	memset(&c, 0, sizeof(c));
	strcpy(c.name, "test");
	c.type = OUTPUT_FILE;
	snprintf(c.path, sizeof(c.path), "%s", path);
	c.format = FORMAT_LOG;
	c.mode = mode;
	c.max_size = max_size;
	c.keep = keep;
	c.queue_size = 1024;
	return c;
}

/* Line i of a test: its number, then filler of a length that varies
 * with i (so records have many sizes), then '\n'. */
static size_t gen_line(size_t i, char *buf, size_t size)
{
	static const char fill[] = "abcdefghijklmnopqrstuvwxyz0123456789"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
	int len = snprintf(buf, size, "%zu %.*s\n", i,
			   (int)((i * 7) % (sizeof(fill) - 1)), fill);

	return (size_t)len;
}

#define LINE_MAX_LEN 96

/* Lines first .. first+n-1 in one buffer, with an iovec each. */
struct lines {
	char *buf;
	struct iovec *iov;
	size_t n;
};

static void make_lines(struct lines *l, size_t first, size_t n)
{
	size_t off = 0;

	l->buf = malloc(n * LINE_MAX_LEN + 1);
	l->iov = calloc(n ? n : 1, sizeof(*l->iov));
	l->n = n;
	ck_assert_ptr_nonnull(l->buf);
	ck_assert_ptr_nonnull(l->iov);
	for (size_t k = 0; k < n; k++) {
		size_t len = gen_line(first + k, l->buf + off, LINE_MAX_LEN);

		l->iov[k].iov_base = l->buf + off;
		l->iov[k].iov_len = len;
		off += len;
	}
}

static void free_lines(struct lines *l)
{
	free(l->buf);
	free(l->iov);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			ck_assert_ptr_nonnull(buf);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	if (!buf)
		buf = malloc(1);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The file holds exactly the lines first .. first+count-1 (count may be
 * 0); returns count.  When first is SIZE_MAX it is read from the file
 * and returned in *first_out. */
static size_t check_lines(const char *buf, size_t len, size_t first,
			  size_t *first_out)
{
	char want[LINE_MAX_LEN];
	size_t off = 0, k = 0;

	if (len && first == SIZE_MAX)
		first = strtoull(buf, NULL, 10);
	if (first_out)
		*first_out = first;
	while (off < len) {
		size_t wl = gen_line(first + k, want, sizeof(want));

		REQUIRE(len - off >= wl && memcmp(buf + off, want, wl) == 0,
			"line %zu (at byte %zu) is not \"%.*s\": \"%.*s\"",
			first + k, off, (int)wl - 1, want,
			(int)(len - off < wl ? len - off : wl), buf + off);
		off += wl;
		k++;
	}
	return k;
}

static void check_file_lines(const char *path, size_t first, size_t count)
{
	size_t len;
	char *buf = slurp(path, &len);

	ck_assert_msg(buf != NULL, "%s: %s", path, strerror(errno));
	ck_assert_uint_eq(check_lines(buf, len, first, NULL), count);
	free(buf);
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void write_ok(struct sink *s, const struct iovec *rec, size_t n)
{
	struct sink_result res;

	memset(&res, 0xa5, sizeof(res));
	s->ops->write(s, rec, n, &res);
	ck_assert_msg(res.written == n && res.failed == 0 && res.err == 0 &&
		      res.rotate_err == 0,
		      "written %zu failed %zu err %s rotate_err %d of %zu",
		      res.written, res.failed, strerror(res.err),
		      res.rotate_err, n);
}

/* Lines first .. first+n-1, in batches of the given sizes (cycled). */
static void write_lines(struct sink *s, size_t first, size_t n,
			const size_t *batches, size_t n_batches)
{
	struct lines l;
	size_t k = 0, b = 0;

	make_lines(&l, first, n);
	while (k < n) {
		size_t m = batches[b++ % n_batches];

		if (m > n - k)
			m = n - k;
		write_ok(s, l.iov + k, m);
		k += m;
	}
	free_lines(&l);
}

static const size_t one_batch[] = { SIZE_MAX };

/* --- file: creation and modes ------------------------------------------ */

START_TEST(file_mode_exact_under_any_umask)
{
	static const mode_t umasks[] = { 022, 077, 0, 027 };
	static const unsigned int modes[] = { 0640, 0600, 0644 };
	mode_t old = umask(0);

	for (size_t u = 0; u < sizeof(umasks) / sizeof(umasks[0]); u++) {
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			char name[32];
			struct config_output c;
			struct sink *s;

			snprintf(name, sizeof(name), "f-%zu-%zu.log", u, m);
			c = file_cfg(in_dir(name), modes[m], 0, 0);
			umask(umasks[u]);
			ck_assert_int_eq(sink_file_open(&c, &s), 0);
			ck_assert_ptr_ne(s->cfg, &c);   /* its own copy */
			ck_assert_str_eq(s->cfg->path, c.path);
			ck_assert_msg(file_mode(c.path) == modes[m],
				      "umask %03o mode %03o: got %03o",
				      (unsigned)umasks[u], modes[m],
				      (unsigned)file_mode(c.path));
			write_lines(s, 0, 3, one_batch, 1);
			s->ops->close(s);
			check_file_lines(c.path, 0, 3);
		}
	}
	umask(old);
}
END_TEST

START_TEST(file_makes_missing_parent_one_level)
{
	struct config_output c = file_cfg(in_dir("sub/out.log"), 0640, 0, 0);
	struct config_output deep = file_cfg(in_dir("a/b/out.log"), 0640, 0, 0);
	struct sink *s;
	mode_t old = umask(022);

	ck_assert_int_eq(sink_file_open(&c, &s), 0);
	ck_assert_uint_eq(file_mode(in_dir("sub")), 0750);
	ck_assert_uint_eq(file_mode(c.path), 0640);
	s->ops->close(s);
	/* two missing levels: a wrong path, reported */
	ck_assert_int_eq(sink_file_open(&deep, &s), -ENOENT);
	ck_assert(!exists(in_dir("a")));
	umask(old);
}
END_TEST

START_TEST(file_append_keeps_content_and_mode)
{
	struct config_output c = file_cfg(in_dir("out.log"), 0640, 0, 0);
	char first[LINE_MAX_LEN];
	size_t len = gen_line(0, first, sizeof(first));
	struct sink *s;
	int fd;

	fd = open(c.path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, first, len), (ssize_t)len);
	close(fd);
	ck_assert_int_eq(sink_file_open(&c, &s), 0);
	write_lines(s, 1, 5, one_batch, 1);
	s->ops->close(s);
	ck_assert_int_eq(sink_file_open(&c, &s), 0);
	write_lines(s, 6, 4, one_batch, 1);
	s->ops->close(s);
	check_file_lines(c.path, 0, 10);
	/* the admin's (or logrotate's) mode stays */
	ck_assert_uint_eq(file_mode(c.path), 0600);
}
END_TEST

START_TEST(file_big_batch_few_syscalls)
{
	struct config_output c = file_cfg(in_dir("out.log"), 0640, 0, 0);
	struct lines l;
	struct sink_result res;
	struct sink *s;

	make_lines(&l, 0, 10000);
	ck_assert_int_eq(sink_file_open(&c, &s), 0);
	n_writev = 0;
	s->ops->write(s, l.iov, l.n, &res);
	ck_assert_uint_eq(res.written, 10000);
	ck_assert_uint_eq(res.failed, 0);
	ck_assert_int_eq(res.err, 0);
	/* 10000 records, IOV_MAX (1024) per call */
	ck_assert_msg(n_writev <= 10, "%lu writev calls", n_writev);
	s->ops->close(s);
	free_lines(&l);
	check_file_lines(c.path, 0, 10000);
}
END_TEST

START_TEST(file_empty_records_and_empty_batch)
{
	struct config_output c = file_cfg(in_dir("out.log"), 0640, 0, 0);
	char line[LINE_MAX_LEN];
	struct iovec rec[3];
	struct sink_result res;
	struct sink *s;

	ck_assert_int_eq(sink_file_open(&c, &s), 0);
	s->ops->write(s, NULL, 0, &res);
	ck_assert_uint_eq(res.written, 0);
	ck_assert_uint_eq(res.failed, 0);
	rec[0] = (struct iovec){ line, 0 };
	rec[1] = (struct iovec){ line, gen_line(0, line, sizeof(line)) };
	rec[2] = (struct iovec){ line, 0 };
	write_ok(s, rec, 3);
	write_ok(s, rec, 1);
	s->ops->close(s);
	check_file_lines(c.path, 0, 1);
}
END_TEST

/* --- file: size rotation ----------------------------------------------- */

static size_t line_len(size_t i)
{
	char buf[LINE_MAX_LEN];

	return gen_line(i, buf, sizeof(buf));
}

/* path.keep .. path.1, path: consecutive lines ending with last; each
 * file at most max bytes and rotated only when the next line would not
 * have fit.  Returns the first line kept. */
static size_t check_rotated(const char *path, unsigned int keep,
			    uint64_t max, size_t last)
{
	char name[CONFIG_PATH_MAX + 16];
	size_t next = SIZE_MAX, first_kept = SIZE_MAX, prev_first = SIZE_MAX;

	snprintf(name, sizeof(name), "%s.%u", path, keep + 1);
	ck_assert_msg(!exists(name), "%s exists", name);
	snprintf(name, sizeof(name), "%s.new", path);
	ck_assert_msg(!exists(name), "%s exists", name);
	for (unsigned int k = keep + 1; k-- > 0;) {
		size_t len, first, count;
		char *buf;

		if (k)
			snprintf(name, sizeof(name), "%s.%u", path, k);
		else
			snprintf(name, sizeof(name), "%s", path);
		buf = slurp(name, &len);
		ck_assert_msg(buf != NULL, "%s missing", name);
		ck_assert_msg(len > 0 && buf[len - 1] == '\n',
			      "%s does not end with a whole line", name);
		count = check_lines(buf, len, next, &first);
		if (next == SIZE_MAX)
			first_kept = first;
		ck_assert_msg(len <= max || count == 1,
			      "%s: %zu bytes > %llu", name, len,
			      (unsigned long long)max);
		/* an older file was closed only because line first+count
		 * did not fit any more */
		if (k)
			ck_assert_msg(len + line_len(first + count) > max,
				      "%s rotated early (%zu bytes)", name, len);
		ck_assert_uint_eq(file_mode(name), 0640);
		prev_first = first;
		next = first + count;
		free(buf);
	}
	(void)prev_first;
	ck_assert_uint_eq(next, last + 1);
	return first_kept;
}

START_TEST(file_rotation_keeps_n_files_in_order)
{
	static const size_t batches[] = { 1, 7, 100, 3, 1, 250, 2 };
	struct config_output c = file_cfg(in_dir("out.log"), 0640, 1000, 3);
	struct sink *s;
	size_t first;

	ck_assert_int_eq(sink_file_open(&c, &s), 0);
	write_lines(s, 0, 2000, batches, sizeof(batches) / sizeof(batches[0]));
	first = check_rotated(c.path, 3, 1000, 1999);
	ck_assert_uint_gt(first, 1500);      /* 4 files of < 1000 bytes */
	/* one batch of much more than max_size rotates inside the batch */
	write_lines(s, 2000, 1000, one_batch, 1);
	check_rotated(c.path, 3, 1000, 2999);
	s->ops->close(s);
}
END_TEST

START_TEST(file_rotation_big_record_gets_own_file)
{
	struct config_output c = file_cfg(in_dir("out.log"), 0640, 100, 2);
	char big[300], small[LINE_MAX_LEN];
	struct iovec rec[3];
	struct sink *s;
	size_t len;
	char *buf;

	memset(big, 'B', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	rec[0] = (struct iovec){ small, gen_line(0, small, sizeof(small)) };
	rec[1] = (struct iovec){ big, sizeof(big) };
	rec[2] = (struct iovec){ small, rec[0].iov_len };
	ck_assert_int_eq(sink_file_open(&c, &s), 0);
	write_ok(s, rec, 3);
	s->ops->close(s);
	buf = slurp(in_dir("out.log.2"), &len);
	ck_assert_uint_eq(len, rec[0].iov_len);
	free(buf);
	buf = slurp(in_dir("out.log.1"), &len);
	ck_assert_uint_eq(len, sizeof(big));
	ck_assert(memcmp(buf, big, len) == 0);
	free(buf);
	check_file_lines(c.path, 0, 1);
}
END_TEST

START_TEST(file_rotation_keep_zero_removes)
{
	static const size_t batches[] = { 5, 1, 60 };
	struct config_output c = file_cfg(in_dir("out.log"), 0640, 1000, 0);
	struct sink *s;
	size_t len, first, count;
	char *buf;

	ck_assert_int_eq(sink_file_open(&c, &s), 0);
	write_lines(s, 0, 700, batches, 3);
	s->ops->close(s);
	ck_assert(!exists(in_dir("out.log.1")));
	ck_assert(!exists(in_dir("out.log.new")));
	buf = slurp(c.path, &len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_le(len, 1000);
	count = check_lines(buf, len, SIZE_MAX, &first);
	ck_assert_uint_eq(first + count, 700);
	ck_assert_uint_gt(first, 0);
	free(buf);
	check_rotated(c.path, 0, 1000, 699);
}
END_TEST

START_TEST(file_rotation_failure_goes_on_in_old_file)
{
	struct config_output c = file_cfg(in_dir("out.log"), 0640, 200, 2);
	struct lines l;
	struct sink_result res;
	struct sink *s;

	ck_assert_int_eq(sink_file_open(&c, &s), 0);
	/* path.1 and path.2 directories with something in them: moving
	 * one onto the other fails (ENOTEMPTY) */
	ck_assert_int_eq(mkdir(in_dir("out.log.1"), 0700), 0);
	ck_assert_int_eq(mkdir(in_dir("out.log.1/x"), 0700), 0);
	ck_assert_int_eq(mkdir(in_dir("out.log.2"), 0700), 0);
	ck_assert_int_eq(mkdir(in_dir("out.log.2/x"), 0700), 0);
	make_lines(&l, 0, 50);
	s->ops->write(s, l.iov, l.n, &res);
	ck_assert_uint_eq(res.written, 50);
	ck_assert_uint_eq(res.failed, 0);
	ck_assert_int_eq(res.err, 0);
	ck_assert_int_eq(res.rotate_err, ENOTEMPTY);
	ck_assert(!exists(in_dir("out.log.new")));
	check_file_lines(c.path, 0, 50);
	/* fixed: the next batch rotates */
	rmrf(in_dir("out.log.1"));
	rmrf(in_dir("out.log.2"));
	free_lines(&l);
	write_lines(s, 50, 1, one_batch, 1);
	s->ops->close(s);
	check_file_lines(in_dir("out.log.1"), 0, 50);
	check_file_lines(c.path, 50, 1);
	ck_assert(!exists(in_dir("out.log.2")));
}
END_TEST

/* --- file: reopen ------------------------------------------------------ */

START_TEST(file_reopen_after_logrotate)
{
	struct config_output c = file_cfg(in_dir("out.log"), 0640, 0, 0);
	struct sink *s;
	mode_t old = umask(077);
	int fd;

	ck_assert_int_eq(sink_file_open(&c, &s), 0);
	write_lines(s, 0, 100, one_batch, 1);
	/* logrotate without `create`: rename; records still go to the
	 * old file until the signal */
	ck_assert_int_eq(rename(c.path, in_dir("out.log.1")), 0);
	write_lines(s, 100, 50, one_batch, 1);
	ck_assert_int_eq(s->ops->reopen(s), 0);
	write_lines(s, 150, 50, one_batch, 1);
	check_file_lines(in_dir("out.log.1"), 0, 150);
	check_file_lines(c.path, 150, 50);
	ck_assert_uint_eq(file_mode(c.path), 0640);

	/* with `create`: logrotate makes the new file, with its mode */
	ck_assert_int_eq(rename(c.path, in_dir("out.log.2")), 0);
	fd = open(c.path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_lines(s, 200, 10, one_batch, 1);
	ck_assert_int_eq(s->ops->reopen(s), 0);
	write_lines(s, 210, 10, one_batch, 1);
	s->ops->close(s);
	check_file_lines(in_dir("out.log.2"), 150, 60);
	check_file_lines(c.path, 210, 10);
	ck_assert_uint_eq(file_mode(c.path), 0600);
	umask(old);
}
END_TEST

START_TEST(file_reopen_failure_keeps_old_fd)
{
	struct config_output c = file_cfg(in_dir("sub/out.log"), 0640, 0, 0);
	struct sink *s;

	ck_assert_int_eq(sink_file_open(&c, &s), 0);
	write_lines(s, 0, 10, one_batch, 1);
	/* the file moved out and its directory removed (tests run as root:
	 * a missing directory, not permissions, makes open fail) */
	ck_assert_int_eq(rename(c.path, in_dir("moved.log")), 0);
	ck_assert_int_eq(rmdir(in_dir("sub")), 0);
	ck_assert_int_eq(s->ops->reopen(s), -ENOENT);
	ck_assert(!exists(in_dir("sub")));
	write_lines(s, 10, 10, one_batch, 1);
	s->ops->close(s);
	check_file_lines(in_dir("moved.log"), 0, 20);
}
END_TEST

/* --- file: a full disk ------------------------------------------------- */

/* Runs in a forked child, which reports with its exit status: 0 fine,
 * 77 skipped, else failed (the reason on stderr). */
#define CHILD_REQUIRE(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			_exit(1); \
		} \
	} while (0)

/* The file holds exactly lines 0 .. count-1 (child version). */
static void child_check_file(const char *path, size_t count)
{
	char want[LINE_MAX_LEN];
	size_t len = 0, off = 0;
	char *buf;
	int fd = open(path, O_RDONLY);
	ssize_t r;

	CHILD_REQUIRE(fd >= 0, "%s: %s", path, strerror(errno));
	buf = malloc(1 << 20);
	CHILD_REQUIRE(buf, "malloc");
	while ((r = read(fd, buf + len, (1 << 20) - len)) > 0)
		len += (size_t)r;
	close(fd);
	CHILD_REQUIRE(len == 0 || buf[len - 1] == '\n',
		      "the file ends with a partial line (%zu bytes)", len);
	for (size_t k = 0; k < count; k++) {
		size_t wl = gen_line(k, want, sizeof(want));

		CHILD_REQUIRE(len - off >= wl && memcmp(buf + off, want, wl) == 0,
			      "line %zu differs", k);
		off += wl;
	}
	CHILD_REQUIRE(off == len, "%zu bytes after line %zu", len - off, count);
	free(buf);
}

static void enospc_child(const char *dir, size_t filler_size)
{
	char path[CONFIG_PATH_MAX], filler[CONFIG_PATH_MAX];
	struct config_output c;
	struct sink_result res;
	struct lines l;
	struct sink *s;
	size_t done;
	char *zeros;
	int fd;

	if (unshare(CLONE_NEWNS) < 0) {
		fprintf(stderr, "skipped: unshare(CLONE_NEWNS): %s\n",
			strerror(errno));
		_exit(77);
	}
	CHILD_REQUIRE(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0,
		      "make / private: %s", strerror(errno));
	CHILD_REQUIRE(mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700") == 0,
		      "mount tmpfs: %s", strerror(errno));
	snprintf(filler, sizeof(filler), "%s/filler", dir);
	snprintf(path, sizeof(path), "%s/out.log", dir);

	/* some filler, to free later */
	fd = open(filler, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHILD_REQUIRE(fd >= 0, "filler: %s", strerror(errno));
	zeros = calloc(1, filler_size);
	CHILD_REQUIRE(zeros && write(fd, zeros, filler_size) == (ssize_t)filler_size,
		      "filler: %s", strerror(errno));
	close(fd);
	free(zeros);

	/* 5000 lines (~200 KiB) into what is left of 64 KiB */
	c = file_cfg(path, 0640, 0, 0);
	CHILD_REQUIRE(sink_file_open(&c, &s) == 0, "open");
	make_lines(&l, 0, 5000);
	s->ops->write(s, l.iov, l.n, &res);
	CHILD_REQUIRE(res.written + res.failed == l.n, "written %zu + failed %zu",
		      res.written, res.failed);
	CHILD_REQUIRE(res.written > 0 && res.failed > 0,
		      "written %zu failed %zu", res.written, res.failed);
	CHILD_REQUIRE(res.err == ENOSPC, "err %s", strerror(res.err));
	done = res.written;
	child_check_file(path, done);

	/* the failed records offered again on the still full disk */
	s->ops->write(s, l.iov + done, 10, &res);
	CHILD_REQUIRE(res.err == ENOSPC && res.written + res.failed == 10,
		      "second batch: written %zu failed %zu err %s",
		      res.written, res.failed, strerror(res.err));
	done += res.written;
	child_check_file(path, done);

	/* room again: writing resumes right after the last whole line */
	CHILD_REQUIRE(unlink(filler) == 0, "unlink: %s", strerror(errno));
	s->ops->write(s, l.iov + done, 100, &res);
	CHILD_REQUIRE(res.written == 100 && res.failed == 0 && res.err == 0,
		      "after freeing: written %zu failed %zu err %s",
		      res.written, res.failed, strerror(res.err));
	child_check_file(path, done + 100);
	s->ops->close(s);
	free_lines(&l);
	_exit(0);
}

static void run_enospc(size_t filler_size)
{
	char dir[] = "/tmp/nflogd-enospc-XXXXXX";
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		printf("file_full_disk: skipped: needs root for a private tmpfs "
		       "(mount namespace)\n");
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		enospc_child(dir, filler_size);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	rmrf(dir);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		printf("file_full_disk: skipped (see the reason above)\n");
		return;
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the full-disk child failed (status 0x%x; see stderr)",
		      (unsigned)status);
}

START_TEST(file_full_disk_leaves_whole_lines)
{
	/* two filler sizes: the disk ends at different places in a line */
	run_enospc(16384);
	run_enospc(16384 + 1234);
}
END_TEST

/* --- journal: a fake journald ------------------------------------------ */

struct fake {
	int fd;
	char path[108];
};

static void fake_start(struct fake *f, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int size = 32 << 20;

	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(f->fd, 0);
	(void)setsockopt(f->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	ck_assert_msg(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0,
		      "bind %s: %s", path, strerror(errno));
}

static void fake_stop(struct fake *f)
{
	close(f->fd);
	unlink(f->path);
}

/* One datagram, or -1 when none is waiting. */
static ssize_t fake_recv(struct fake *f, uint8_t *buf, size_t size)
{
	ssize_t n = recv(f->fd, buf, size, MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0) {
		ck_assert_int_eq(errno, EAGAIN);
		return -1;
	}
	ck_assert_msg((size_t)n <= size, "datagram of %zd bytes truncated", n);
	return n;
}

/* Decode a native-protocol datagram into "KEY=value" items (copies). */
struct item {
	char *data;
	size_t len;
	bool binary;            /* sent with the length form */
};

static size_t decode_native(const uint8_t *d, size_t len, struct item *out,
			    size_t max)
{
	size_t off = 0, n = 0;

	while (off < len) {
		const uint8_t *nl = memchr(d + off, '\n', len - off);
		const uint8_t *eq;
		size_t klen;

		REQUIRE(nl, "field without a newline at %zu", off);
		REQUIRE(n < max, "too many fields");
		eq = memchr(d + off, '=', (size_t)(nl - (d + off)));
		if (eq) {
			out[n].len = (size_t)(nl - (d + off));
			out[n].data = malloc(out[n].len + 1);
			memcpy(out[n].data, d + off, out[n].len);
			out[n].binary = false;
			off += out[n].len + 1;
		} else {
			uint64_t vlen;

			klen = (size_t)(nl - (d + off));
			REQUIRE(klen > 0, "empty key");
			REQUIRE(len - off - klen - 1 >= 8, "no length");
			memcpy(&vlen, nl + 1, 8);
			vlen = le64toh(vlen);
			REQUIRE(len - off - klen - 1 - 8 >= vlen + 1,
				"value runs past the datagram");
			REQUIRE(nl[1 + 8 + vlen] == '\n', "no newline after value");
			out[n].len = klen + 1 + (size_t)vlen;
			out[n].data = malloc(out[n].len + 1);
			memcpy(out[n].data, d + off, klen);
			out[n].data[klen] = '=';
			memcpy(out[n].data + klen + 1, nl + 9, (size_t)vlen);
			out[n].binary = true;
			off += klen + 1 + 8 + (size_t)vlen + 1;
		}
		n++;
	}
	return n;
}

static void free_items(struct item *it, size_t n)
{
	for (size_t k = 0; k < n; k++)
		free(it[k].data);
}

/* A queue record from fields given as (pointer, length) pairs. */
static void *make_record(const struct iovec *fields, size_t n, size_t *len)
{
	void *rec;

	*len = sink_journal_record_size(fields, n);
	rec = malloc(*len ? *len : 1);
	ck_assert_ptr_nonnull(rec);
	sink_journal_record_fill(rec, fields, n);
	return rec;
}

#define FIELD(s) { (void *)(uintptr_t)(s), sizeof(s) - 1 }

static const char bin_field[] = "NFLOG_BIN=\0\1\2\n\377=\n";

static const struct iovec rec0[] = {
	FIELD("MESSAGE=IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 PROTO=TCP "),
	FIELD("PRIORITY=4"),
	FIELD("SYSLOG_IDENTIFIER=nflogd"),
};
static const struct iovec rec1[] = {
	FIELD("MESSAGE=two\nlines"),
	FIELD("NFLOG_PREFIX=a=b"),
	FIELD("EMPTY="),
	{ (void *)(uintptr_t)bin_field, sizeof(bin_field) - 1 },
	FIELD("NL_ONLY=\n"),
};
static const struct iovec rec2[] = {
	FIELD("MESSAGE=x"),
};

static void expect_datagram(struct fake *f, const struct iovec *fields,
			    size_t n)
{
	static uint8_t buf[1 << 16];
	struct item it[16];
	ssize_t len = fake_recv(f, buf, sizeof(buf));
	size_t got;

	ck_assert_msg(len >= 0, "no datagram");
	got = decode_native(buf, (size_t)len, it, 16);
	ck_assert_uint_eq(got, n);
	for (size_t k = 0; k < n; k++) {
		bool has_nl = memchr(fields[k].iov_base, '\n', fields[k].iov_len);

		ck_assert_msg(it[k].len == fields[k].iov_len &&
			      memcmp(it[k].data, fields[k].iov_base, it[k].len) == 0,
			      "field %zu differs", k);
		/* the readable form whenever the value allows it */
		ck_assert_int_eq(it[k].binary, has_nl);
	}
	free_items(it, got);
}

struct three {
	void *rec[3];
	struct iovec iov[3];
};

static void make_three(struct three *t)
{
	size_t len;

	t->rec[0] = make_record(rec0, 3, &len);
	t->iov[0] = (struct iovec){ t->rec[0], len };
	t->rec[1] = make_record(rec1, 5, &len);
	t->iov[1] = (struct iovec){ t->rec[1], len };
	t->rec[2] = make_record(rec2, 1, &len);
	t->iov[2] = (struct iovec){ t->rec[2], len };
}

static void free_three(struct three *t)
{
	for (int k = 0; k < 3; k++)
		free(t->rec[k]);
}

static struct config_output journal_cfg(void)
{
	struct config_output c;

	memset(&c, 0, sizeof(c));
	strcpy(c.name, "journal");
	c.type = OUTPUT_JOURNAL;
	c.queue_size = 1024;
	return c;
}

static struct sink *journal_open_at(const char *path)
{
	struct config_output c = journal_cfg();
	struct sink *s;

	ck_assert_int_eq(setenv("NFLOGD_JOURNAL_SOCKET", path, 1), 0);
	ck_assert_int_eq(sink_journal_open(&c, &s), 0);
	ck_assert_int_eq(s->cfg->type, OUTPUT_JOURNAL);
	return s;
}

START_TEST(journal_native_roundtrip)
{
	static uint8_t raw[4096];
	struct fake f;
	struct three t;
	struct sink *s;
	struct sink_result res;
	ssize_t len;
	const char *want0;

	fake_start(&f, in_dir("journal.sock"));
	s = journal_open_at(f.path);
	make_three(&t);
	s->ops->write(s, t.iov, 3, &res);
	ck_assert_uint_eq(res.written, 3);
	ck_assert_uint_eq(res.failed, 0);
	ck_assert_int_eq(res.err, 0);
	/* the first datagram byte for byte */
	len = fake_recv(&f, raw, sizeof(raw));
	want0 = "MESSAGE=IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 PROTO=TCP \n"
		"PRIORITY=4\nSYSLOG_IDENTIFIER=nflogd\n";
	ck_assert_int_eq(len, (ssize_t)strlen(want0));
	ck_assert(memcmp(raw, want0, (size_t)len) == 0);
	expect_datagram(&f, rec1, 5);
	expect_datagram(&f, rec2, 1);
	ck_assert_int_eq(fake_recv(&f, raw, sizeof(raw)), -1);
	s->ops->close(s);
	free_three(&t);
	fake_stop(&f);
}
END_TEST

START_TEST(journal_absent_then_appears)
{
	static uint8_t raw[4096];
	struct fake f;
	struct three t;
	struct sink *s;
	struct sink_result res;
	const char *path = in_dir("journal.sock");

	make_three(&t);
	s = journal_open_at(path);             /* nothing there */
	s->ops->write(s, t.iov, 3, &res);
	ck_assert_uint_eq(res.written, 0);
	ck_assert_uint_eq(res.failed, 3);
	ck_assert_int_eq(res.err, ENOENT);

	/* journald starts: within a second of the last attempt the sink
	 * does not try again */
	fake_start(&f, path);
	s->ops->write(s, t.iov, 3, &res);
	ck_assert_uint_eq(res.failed, 3);
	ck_assert_int_eq(res.err, ENOENT);
	ck_assert_int_eq(fake_recv(&f, raw, sizeof(raw)), -1);
	usleep(1100 * 1000);
	s->ops->write(s, t.iov, 3, &res);
	ck_assert_uint_eq(res.written, 3);
	ck_assert_int_eq(res.err, 0);
	expect_datagram(&f, rec0, 3);
	expect_datagram(&f, rec1, 5);
	expect_datagram(&f, rec2, 1);
	s->ops->close(s);
	fake_stop(&f);
	free_three(&t);
}
END_TEST

START_TEST(journal_refused_then_reopen)
{
	struct fake f;
	struct three t;
	struct sink *s;
	struct sink_result res;
	const char *path = in_dir("journal.sock");

	make_three(&t);
	/* the socket file is there, nobody listens */
	fake_start(&f, path);
	close(f.fd);
	s = journal_open_at(path);
	s->ops->write(s, t.iov, 3, &res);
	ck_assert_uint_eq(res.written, 0);
	ck_assert_uint_eq(res.failed, 3);
	ck_assert_int_eq(res.err, ECONNREFUSED);
	ck_assert_int_eq(s->ops->reopen(s), -ECONNREFUSED);
	unlink(path);
	/* reopen (SIGUSR1) connects at once, paced or not */
	fake_start(&f, path);
	ck_assert_int_eq(s->ops->reopen(s), 0);
	write_ok(s, t.iov, 3);
	expect_datagram(&f, rec0, 3);
	s->ops->close(s);
	fake_stop(&f);
	free_three(&t);
}
END_TEST

START_TEST(journal_restart_loses_nothing)
{
	struct fake f;
	struct three t;
	struct sink *s;

	make_three(&t);
	fake_start(&f, in_dir("journal.sock"));
	s = journal_open_at(f.path);
	write_ok(s, t.iov, 1);
	expect_datagram(&f, rec0, 3);
	/* journald restarts: a new socket at the same path.  The last
	 * connect is more than a second old, so the sink reconnects at
	 * once and resends. */
	usleep(1100 * 1000);
	fake_stop(&f);
	fake_start(&f, in_dir("journal.sock"));
	write_ok(s, t.iov, 3);
	expect_datagram(&f, rec0, 3);
	expect_datagram(&f, rec1, 5);
	expect_datagram(&f, rec2, 1);
	s->ops->close(s);
	fake_stop(&f);
	free_three(&t);
}
END_TEST

static unsigned int dgram_qlen(void)
{
	FILE *f = fopen("/proc/sys/net/unix/max_dgram_qlen", "r");
	unsigned int q = 10;

	if (f) {
		if (fscanf(f, "%u", &q) != 1)
			q = 10;
		fclose(f);
	}
	return q;
}

START_TEST(journal_busy_times_out)
{
	struct fake f;
	struct three t;
	struct sink *s;
	struct sink_result res;
	struct iovec *many;
	unsigned int qlen = dgram_qlen();
	size_t n;
	struct timespec a, b;
	double secs;

	if (qlen > 10000) {
		printf("journal_busy_times_out: skipped: max_dgram_qlen %u\n", qlen);
		return;
	}
	n = qlen + 20;
	make_three(&t);
	many = calloc(n, sizeof(*many));
	for (size_t k = 0; k < n; k++)
		many[k] = t.iov[2];
	fake_start(&f, in_dir("journal.sock"));   /* never reads */
	s = journal_open_at(f.path);
	clock_gettime(CLOCK_MONOTONIC, &a);
	s->ops->write(s, many, n, &res);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	ck_assert_uint_ge(res.written, qlen);
	ck_assert_uint_gt(res.failed, 0);
	ck_assert_uint_eq(res.written + res.failed, n);
	ck_assert_int_eq(res.err, EAGAIN);
	/* one timeout for the whole batch, not one per record */
	ck_assert_msg(secs >= 0.9 && secs < 3.0, "took %.2f s", secs);
	s->ops->close(s);
	fake_stop(&f);
	free(many);
	free_three(&t);
}
END_TEST

START_TEST(journal_too_big_and_malformed)
{
	struct fake f;
	struct three t;
	struct sink *s;
	struct sink_result res;
	struct iovec big_field, batch[3], bad_fields[2];
	size_t big_len = 20u << 20, len;
	char *big;
	void *big_rec;

	make_three(&t);
	fake_start(&f, in_dir("journal.sock"));
	s = journal_open_at(f.path);

	/* larger than any datagram can be */
	big = malloc(big_len);
	ck_assert_ptr_nonnull(big);
	memcpy(big, "MESSAGE=", 8);
	memset(big + 8, 'x', big_len - 8);
	big_field = (struct iovec){ big, big_len };
	big_rec = make_record(&big_field, 1, &len);
	batch[0] = t.iov[0];
	batch[1] = (struct iovec){ big_rec, len };
	batch[2] = t.iov[2];
	s->ops->write(s, batch, 3, &res);
	ck_assert_uint_eq(res.written, 1);
	ck_assert_uint_eq(res.failed, 2);
	ck_assert_int_eq(res.err, EMSGSIZE);
	expect_datagram(&f, rec0, 3);
	/* the records after it go when offered again */
	write_ok(s, batch + 2, 1);
	expect_datagram(&f, rec2, 1);

	/* a field without '=', a key with '\n', an empty key: no record
	 * (size 0) */
	{
		static const char *bad[] = { "NOEQUALS", "A\nB=c", "=value" };

		for (size_t k = 0; k < 3; k++) {
			bad_fields[0] = rec2[0];
			bad_fields[1] = (struct iovec){ (void *)(uintptr_t)bad[k], strlen(bad[k]) };
			ck_assert_uint_eq(sink_journal_record_size(bad_fields, 2), 0);
		}
		/* a record cut short or empty: EINVAL, nothing sent */
		batch[0] = (struct iovec){ t.rec[0], t.iov[0].iov_len - 1 };
		s->ops->write(s, batch, 1, &res);
		ck_assert_uint_eq(res.failed, 1);
		ck_assert_int_eq(res.err, EINVAL);
		batch[0] = (struct iovec){ t.rec[0], 0 };
		s->ops->write(s, batch, 1, &res);
		ck_assert_int_eq(res.err, EINVAL);
	}
	{
		static uint8_t raw[64];

		ck_assert_int_eq(fake_recv(&f, raw, sizeof(raw)), -1);
	}
	s->ops->close(s);
	fake_stop(&f);
	free(big_rec);
	free(big);
	free_three(&t);
}
END_TEST

/* --- journal: the queue record format ---------------------------------- */

START_TEST(journal_record_is_the_datagram)
{
	struct item it[8];
	size_t len, n, want = 0;
	uint8_t *rec = make_record(rec1, 5, &len);

	/* each field + '\n'; a value holding '\n' also a 64-bit length,
	 * its '=' becoming the key's '\n' */
	for (size_t k = 0; k < 5; k++)
		want += rec1[k].iov_len + 1 +
			(memchr(rec1[k].iov_base, '\n', rec1[k].iov_len) ? 8 : 0);
	ck_assert_uint_eq(len, want);
	n = decode_native(rec, len, it, 8);
	ck_assert_uint_eq(n, 5);
	for (size_t k = 0; k < 5; k++) {
		bool has_nl = memchr(rec1[k].iov_base, '\n', rec1[k].iov_len);

		ck_assert_msg(it[k].len == rec1[k].iov_len &&
			      memcmp(it[k].data, rec1[k].iov_base, it[k].len) == 0,
			      "field %zu differs", k);
		ck_assert_int_eq(it[k].binary, has_nl);
	}
	free_items(it, n);
	free(rec);
	/* zero fields: no record */
	ck_assert_uint_eq(sink_journal_record_size(NULL, 0), 0);
}
END_TEST

static Suite *sinks_suite(void)
{
	Suite *s = suite_create("sinks");
	TCase *f = tcase_create("file");
	TCase *j = tcase_create("journal");

	tcase_add_checked_fixture(f, setup_dir, teardown_dir);
	tcase_set_timeout(f, 60);
	tcase_add_test(f, file_mode_exact_under_any_umask);
	tcase_add_test(f, file_makes_missing_parent_one_level);
	tcase_add_test(f, file_append_keeps_content_and_mode);
	tcase_add_test(f, file_big_batch_few_syscalls);
	tcase_add_test(f, file_empty_records_and_empty_batch);
	tcase_add_test(f, file_rotation_keeps_n_files_in_order);
	tcase_add_test(f, file_rotation_big_record_gets_own_file);
	tcase_add_test(f, file_rotation_keep_zero_removes);
	tcase_add_test(f, file_rotation_failure_goes_on_in_old_file);
	tcase_add_test(f, file_reopen_after_logrotate);
	tcase_add_test(f, file_reopen_failure_keeps_old_fd);
	tcase_add_test(f, file_full_disk_leaves_whole_lines);
	suite_add_tcase(s, f);

	tcase_add_checked_fixture(j, setup_dir, teardown_dir);
	tcase_set_timeout(j, 60);
	tcase_add_test(j, journal_native_roundtrip);
	tcase_add_test(j, journal_absent_then_appears);
	tcase_add_test(j, journal_refused_then_reopen);
	tcase_add_test(j, journal_restart_loses_nothing);
	tcase_add_test(j, journal_busy_times_out);
	tcase_add_test(j, journal_too_big_and_malformed);
	tcase_add_test(j, journal_record_is_the_datagram);
	suite_add_tcase(s, j);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sinks_suite());
	int failed;

	/* a closed fake journald must not kill the test with SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
