/* ct_invalid: conntrack's INVALID reasons, the sysctls behind them. */
#include "ct_invalid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYSCTL_DIR "/proc/sys/net/netfilter/"
#define LOGGER "nfnetlink_log"
/* nf_log names are at most NF_LOGGER_NAME_LEN (64) bytes with the NUL. */
#define VALUE_MAX 64

/* The sysctls we change, by their path under SYSCTL_DIR (the name in the
 * restore file). */
enum { K_NF_LOG_V4, K_NF_LOG_V6, K_LOG_INVALID, K_N };
static const char *const keys[K_N] = {
	"nf_log/2", "nf_log/10", "nf_conntrack_log_invalid",
};

struct saved {
	bool have[K_N];
	char val[K_N][VALUE_MAX];
};

/* A value as the kernel prints it: a logger name, "NONE" or a number. */
static bool value_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= VALUE_MAX)
		return false;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		      (*v >= '0' && *v <= '9') || *v == '_' || *v == '-'))
			return false;
	return true;
}

static void path_of(char *buf, size_t size, int k)
{
	snprintf(buf, size, SYSCTL_DIR "%s", keys[k]);
}

/* Read sysctl k, without its newline. */
static int sysctl_read(int k, char *val, char *err, size_t len)
{
	char path[128], buf[VALUE_MAX + 2];
	ssize_t n;
	int fd, e;

	path_of(path, sizeof(path), k);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, len, "%s: %s%s", path, strerror(e),
			 e == ENOENT && k == K_LOG_INVALID ?
			 " (conntrack is not loaded: no rule uses it yet)" :
			 "");
		return -e;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	e = errno;
	close(fd);
	if (n < 0) {
		snprintf(err, len, "%s: read: %s", path, strerror(e));
		return -e;
	}
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	if (!value_ok(buf)) {
		snprintf(err, len, "%s: unexpected value \"%.*s\"", path,
			 VALUE_MAX, buf);
		return -EINVAL;
	}
	memcpy(val, buf, (size_t)n + 1);
	return 0;
}

static int sysctl_write(int k, const char *val, char *err, size_t len)
{
	char path[128];
	size_t n = strlen(val);
	ssize_t w;
	int fd, e;

	path_of(path, sizeof(path), k);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, len, "%s: %s", path, strerror(e));
		return -e;
	}
	w = write(fd, val, n);
	e = w < 0 ? errno : EIO;
	close(fd);
	if (w != (ssize_t)n) {
		snprintf(err, len, "%s: write \"%s\": %s%s", path, val,
			 strerror(e),
			 e == ENOENT && k != K_LOG_INVALID ?
			 " (no such logger registered)" : "");
		return -e;
	}
	return 0;
}

static void file_of(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* Parse the restore file: "<key> <value>" lines, '#' comments. */
static int load(const char *dir, struct saved *s, bool *exists, char *err,
		size_t len)
{
	char path[CONFIG_PATH_MAX + 32], line[256];
	unsigned int lineno = 0;
	FILE *f;

	memset(s, 0, sizeof(*s));
	*exists = false;
	file_of(path, sizeof(path), dir, CT_INVALID_RESTORE_FILE);
	f = fopen(path, "re");
	if (!f) {
		int e = errno;

		if (e == ENOENT)
			return 0;
		snprintf(err, len, "%s: %s", path, strerror(e));
		return -e;
	}
	*exists = true;
	while (fgets(line, sizeof(line), f)) {
		char *sp, *nl;
		int k;

		lineno++;
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (line[0] == '#' || line[0] == 0)
			continue;
		sp = strchr(line, ' ');
		if (sp)
			*sp++ = 0;
		for (k = 0; k < K_N; k++)
			if (!strcmp(line, keys[k]))
				break;
		if (!sp || k == K_N || !value_ok(sp) || s->have[k]) {
			fclose(f);
			snprintf(err, len, "%s:%u: not a saved sysctl value "
				 "(delete the file if the values are restored)",
				 path, lineno);
			return -EINVAL;
		}
		s->have[k] = true;
		strcpy(s->val[k], sp);
	}
	if (ferror(f)) {
		fclose(f);
		snprintf(err, len, "%s: read error", path);
		return -EIO;
	}
	fclose(f);
	return 0;
}

static int mkdir_p(const char *dir, char *err, size_t len)
{
	char buf[CONFIG_PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(buf)) {
		snprintf(err, len, "state directory \"%s\": bad path", dir);
		return -EINVAL;
	}
	memcpy(buf, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != 0)
			continue;
		buf[i] = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
			int e = errno;

			snprintf(err, len, "%s: mkdir: %s", buf, strerror(e));
			return -e;
		}
		buf[i] = dir[i];
	}
	return 0;
}

/* Write s to the restore file: a temporary file, fsync, rename, fsync of
 * the directory, so a crash leaves the old file or the new, never half. */
static int save(const char *dir, const struct saved *s, char *err, size_t len)
{
	char path[CONFIG_PATH_MAX + 32], tmp[CONFIG_PATH_MAX + 40];
	char text[512];
	size_t n;
	ssize_t w;
	int fd, dfd, e, k;

	n = (size_t)snprintf(text, sizeof(text),
			     "# nflogd: net.netfilter sysctls to put back "
			     "(conntrack_invalid)\n");
	for (k = 0; k < K_N; k++)
		if (s->have[k])
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "%s %s\n", keys[k], s->val[k]);
	file_of(path, sizeof(path), dir, CT_INVALID_RESTORE_FILE);
	file_of(tmp, sizeof(tmp), dir, CT_INVALID_RESTORE_FILE ".tmp");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		e = errno;
		snprintf(err, len, "%s: %s", tmp, strerror(e));
		return -e;
	}
	w = write(fd, text, n);
	e = w < 0 ? errno : EIO;
	if (w != (ssize_t)n || fsync(fd) < 0) {
		if (w == (ssize_t)n)
			e = errno;
		close(fd);
		unlink(tmp);
		snprintf(err, len, "%s: write: %s", tmp, strerror(e));
		return -e;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		snprintf(err, len, "%s: rename: %s", path, strerror(e));
		return -e;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

int ct_invalid_enable(const struct config *c, const char *state_dir,
		      char *err, size_t len)
{
	const struct config_ct_invalid *ci = &c->ct_invalid;
	bool want[K_N] = { ci->ipv4, ci->ipv6, true };
	char value[K_N][VALUE_MAX];
	char note[256] = "";
	struct saved s;
	bool exists, changed = false;
	size_t nl = 0;
	int k, r;

	if (!ci->enabled)
		return 0;
	r = mkdir_p(state_dir, err, len);
	if (r < 0)
		return r;
	r = load(state_dir, &s, &exists, err, len);
	if (r < 0)
		return r;
	/* the originals: from a previous nflogd's file if it left one, else
	 * what is there now */
	for (k = 0; k < K_N; k++) {
		if (!want[k] || s.have[k])
			continue;
		r = sysctl_read(k, s.val[k], err, len);
		if (r < 0)
			return r;
		s.have[k] = true;
		changed = true;
	}
	if (changed || !exists) {
		r = save(state_dir, &s, err, len);
		if (r < 0)
			return r;
	}

	snprintf(value[K_NF_LOG_V4], VALUE_MAX, LOGGER);
	snprintf(value[K_NF_LOG_V6], VALUE_MAX, LOGGER);
	snprintf(value[K_LOG_INVALID], VALUE_MAX, "%u", ci->protocol);
	for (k = 0; k < K_N; k++) {
		if (!want[k])
			continue;
		r = sysctl_write(k, value[k], err, len);
		if (r < 0) {
			char ignored[256];

			/* put back what was changed; err keeps the cause */
			(void)ct_invalid_restore(state_dir, ignored,
						 sizeof(ignored));
			return r;
		}
		if (k != K_LOG_INVALID && strcmp(s.val[k], "NONE") &&
		    strcmp(s.val[k], LOGGER) && nl < sizeof(note))
			nl += (size_t)snprintf(note + nl, sizeof(note) - nl,
					       "%snet.netfilter.nf_log.%s was "
					       "%s", nl ? ", " : "",
					       keys[k] + 7, s.val[k]);
	}
	if (nl) {
		snprintf(err, len, "%s; now " LOGGER " until nflogd stops",
			 note);
		return 1;
	}
	return 0;
}

int ct_invalid_restore(const char *state_dir, char *err, size_t len)
{
	char path[CONFIG_PATH_MAX + 32], e1[256];
	struct saved s;
	bool exists, keep = false;
	int k, r, first = 0;

	r = load(state_dir, &s, &exists, err, len);
	if (r < 0 || !exists)
		return r;
	/* nf_conntrack_log_invalid first: conntrack stops logging before
	 * the loggers change back */
	for (k = K_N - 1; k >= 0; k--) {
		if (!s.have[k])
			continue;
		r = sysctl_write(k, s.val[k], e1, sizeof(e1));
		if (r == 0)
			continue;
		/* a sysctl that is gone (conntrack unloaded) or a logger that
		 * is no longer registered cannot be put back, now or later */
		if (r != -ENOENT)
			keep = true;
		if (!first) {
			first = r;
			snprintf(err, len, "%s", e1);
		}
	}
	if (keep)
		return first;
	file_of(path, sizeof(path), state_dir, CT_INVALID_RESTORE_FILE);
	if (unlink(path) < 0 && errno != ENOENT) {
		int e = errno;

		if (!first)
			snprintf(err, len, "%s: unlink: %s", path, strerror(e));
		return first ? first : -e;
	}
	return first;
}
