/* config_file: the configuration file, read whole and checked for who can
 * change it. */
#include "config_file.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int config_file_check_owner(const struct stat *st, bool dir, uid_t me,
			    char *why, size_t size)
{
	/* A root-owned sticky directory (/tmp): others may create files in
	 * it, but cannot rename or remove what they do not own. */
	bool sticky = dir && (st->st_mode & S_ISVTX) && st->st_uid == 0;

	if (st->st_uid != 0 && st->st_uid != me) {
		snprintf(why, size, "owned by uid %u; allowed: owned by root "
			 "(uid 0)%s", (unsigned)st->st_uid,
			 me ? " or by the user nflogd runs as" : "");
		return -1;
	}
	if ((st->st_mode & S_IWOTH) && !sticky) {
		snprintf(why, size, "writable by others (mode %04o); allowed: "
			 "not writable by group or others (chmod go-w)",
			 (unsigned)(st->st_mode & 07777));
		return -1;
	}
	if ((st->st_mode & S_IWGRP) && st->st_gid != 0 && !sticky) {
		snprintf(why, size, "writable by group %u (mode %04o); allowed: "
			 "not writable by group or others (chmod go-w), or "
			 "group root", (unsigned)st->st_gid,
			 (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

/* The one error of a file that cannot be used, into errs (cut at the
 * message's size, which paths can exceed); returns -1. */
__attribute__((format(printf, 2, 3)))
static int fail(struct config_errors *errs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errs->msg[0], sizeof(errs->msg[0]), fmt, ap);
	va_end(ap);
	errs->n = 1;
	return -1;
}

/* The file (open as fd, so that what is checked is what is read) and
 * every directory on its real path. */
static int check_path(const char *path, int fd, struct config_errors *errs)
{
	char real[PATH_MAX], why[200];
	struct stat st;
	uid_t me = geteuid();
	char *slash;

	if (fstat(fd, &st) < 0)
		return fail(errs, "%s: cannot stat: %s", path, strerror(errno));
	if (config_file_check_owner(&st, false, me, why, sizeof(why)) < 0)
		return fail(errs, "%s: refusing it, as whoever can change it "
			    "decides what nflogd does as root: it is %s", path,
			    why);
	if (!realpath(path, real))
		return fail(errs, "%s: cannot resolve the path: %s", path,
			    strerror(errno));
	while ((slash = strrchr(real, '/'))) {
		if (slash == real)
			slash[1] = '\0';        /* "/" itself */
		else
			*slash = '\0';
		if (stat(real, &st) < 0)
			return fail(errs, "%s: cannot stat %s: %s", path, real,
				    strerror(errno));
		if (config_file_check_owner(&st, true, me, why, sizeof(why)) < 0)
			return fail(errs, "%s: refusing it, as whoever can "
				    "change it decides what nflogd does as root: "
				    "its directory %s is %s", path, real, why);
		if (slash == real)
			break;
	}
	return 0;
}

int daemon_load_config(const char *path, struct config **out,
		       struct config_errors *errs)
{
	struct config *c;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	memset(errs, 0, sizeof(*errs));
	f = fopen(path, "re");
	if (!f)
		return fail(errs, "%s: cannot open: %s", path, strerror(errno));
	if (check_path(path, fileno(f), errs) < 0) {
		fclose(f);
		return -1;
	}
	{
		FILE *m = open_memstream(&text, &len);
		char chunk[8192];
		size_t n;

		while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, m);
		if (m)
			fclose(m);
	}
	r = ferror(f);
	fclose(f);
	if (!text || r) {
		int e = errno ? errno : EIO;

		free(text);
		return fail(errs, "%s: cannot read: %s", path, strerror(e));
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		free(text);
		return fail(errs, "out of memory");
	}
	r = config_parse(path, text, len, c, errs);
	free(text);
	if (r < 0) {
		free(c);
		if (errs->n == 0)
			return fail(errs, "%s: cannot parse: %s", path,
				    strerror(-r));
		return -1;
	}
	*out = c;
	return 0;
}
