/* privileges: switch to the configured user, keeping CAP_NET_ADMIN only.
 * See privileges.h. */
#include "privileges.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ERRF(...) (snprintf(err, len, __VA_ARGS__), -1)

struct account {
	const char *user;
	uid_t uid;
	gid_t gid;
	char group[64];
};

static int lookup(const struct config *c, struct account *a, char *err,
		  size_t len)
{
	const struct passwd *pw;

	errno = 0;
	pw = getpwnam(c->user);
	if (!pw)
		return errno ? ERRF("user %s: cannot look it up: %s", c->user,
				    strerror(errno))
			     : ERRF("user %s does not exist (create it: "
				    "systemd-sysusers, or useradd --system "
				    "--no-create-home %s)", c->user, c->user);
	a->user = c->user;
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
	if (c->group[0]) {
		const struct group *gr;

		errno = 0;
		gr = getgrnam(c->group);
		if (!gr)
			return errno ? ERRF("group %s: cannot look it up: %s",
					    c->group, strerror(errno))
				     : ERRF("group %s does not exist", c->group);
		a->gid = gr->gr_gid;
		snprintf(a->group, sizeof(a->group), "%s", c->group);
	} else {
		const struct group *gr = getgrgid(a->gid);

		snprintf(a->group, sizeof(a->group), "%s",
			 gr ? gr->gr_name : "?");
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Directories, while still root                                        */

/* mkdir -p of the parents (root's, 0755: like /var/log), then the
 * directory itself for the user.  An existing directory is left as it is
 * unless it is nflogd's own (runtime_dir, state_dir) and root has it:
 * then the user gets it and the files nflogd put there as root. */
static int prepare_dir(const char *dir, mode_t mode, bool own,
		       const struct account *a, char *err, size_t len)
{
	char buf[CONFIG_PATH_MAX];
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return ERRF("cannot create directory %s: %s", buf,
				    strerror(errno));
		*p = '/';
	}
	if (mkdir(dir, mode) == 0) {
		if (chown(dir, a->uid, a->gid) < 0 || chmod(dir, mode) < 0)
			return ERRF("cannot give directory %s to user %s: %s",
				    dir, a->user, strerror(errno));
		return 0;
	}
	if (errno != EEXIST)
		return ERRF("cannot create directory %s: %s", dir,
			    strerror(errno));
	if (stat(dir, &st) < 0)
		return ERRF("cannot stat %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ERRF("%s is not a directory", dir);
	if (own && st.st_uid == 0) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0 || fchown(dfd, a->uid, a->gid) < 0) {
			int e = errno;

			if (dfd >= 0)
				close(dfd);
			return ERRF("cannot give directory %s to user %s: %s",
				    dir, a->user, strerror(e));
		}
		/* status.json, status.txt, sysctl-restore of a root run */
		static const char *const files[] = {
			"status.json", "status.txt", "sysctl-restore",
		};
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			if (fstatat(dfd, files[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode) && st.st_uid == 0)
				if (fchownat(dfd, files[i], a->uid, a->gid,
					     AT_SYMLINK_NOFOLLOW) < 0) {
					/* rewritten by rename anyway; a stale
					 * one is only unreadable */
				}
		close(dfd);
	}
	return 0;
}

static void dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash && slash != path ? (size_t)(slash - path) : 1;

	snprintf(buf, len, "%.*s", (int)n, path);
}

static int prepare_dirs(const struct config *c, const struct account *a,
			char *err, size_t len)
{
	char dir[CONFIG_PATH_MAX];

	if (prepare_dir(c->runtime_dir, 0755, true, a, err, len) < 0 ||
	    prepare_dir(c->state_dir, 0750, true, a, err, len) < 0)
		return -1;
	for (unsigned int i = 0; i < c->n_outputs; i++) {
		if (c->outputs[i].type != OUTPUT_FILE)
			continue;
		dir_of(c->outputs[i].path, dir, sizeof(dir));
		if (prepare_dir(dir, 0750, false, a, err, len) < 0)
			return -1;
	}
	if (c->metrics_path[0]) {
		dir_of(c->metrics_path, dir, sizeof(dir));
		if (prepare_dir(dir, 0755, false, a, err, len) < 0)
			return -1;
	}
	return 0;
}

/* After the switch: can the user do what the configuration asks?  A
 * clear refusal now beats a stream of write failures later. */
static int check_access(const struct config *c, const struct account *a,
			char *err, size_t len)
{
	char dir[CONFIG_PATH_MAX];

	for (unsigned int i = 0; i < c->n_outputs; i++) {
		const struct config_output *o = &c->outputs[i];
		bool exists;

		if (o->type != OUTPUT_FILE)
			continue;
		exists = access(o->path, F_OK) == 0;
		dir_of(o->path, dir, sizeof(dir));
		if (exists && access(o->path, W_OK) < 0)
			return ERRF("output '%s': user %s cannot write %s: %s "
				    "(chown %s %s)", o->name, a->user, o->path,
				    strerror(errno), a->user, o->path);
		/* creating it, or rotating it (rename, create), needs the
		 * directory; a logrotate-managed file does not */
		if ((!exists || o->max_size) && access(dir, W_OK | X_OK) < 0)
			return ERRF("output '%s': user %s cannot %s in %s: %s "
				    "(chown %s %s, or pick a directory of its "
				    "own)", o->name, a->user,
				    exists ? "rotate files" : "create files",
				    dir, strerror(errno), a->user, dir);
	}
	if (access(c->runtime_dir, W_OK | X_OK) < 0)
		return ERRF("runtime_dir %s: user %s cannot write there: %s",
			    c->runtime_dir, a->user, strerror(errno));
	if (c->ct_invalid.enabled && access(c->state_dir, W_OK | X_OK) < 0)
		return ERRF("state_dir %s: user %s cannot write there: %s",
			    c->state_dir, a->user, strerror(errno));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Capabilities                                                         */

static int cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = CAP_LAST_CAP;
		fclose(f);
	}
	return n;
}

static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return (int)syscall(SYS_capget, &h, data);
}

/* Only CAP_NET_ADMIN, in every set that a child inherits through. */
static int caps_set_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	const uint32_t bit = 1u << (CAP_NET_ADMIN % 32);

	memset(data, 0, sizeof(data));
	data[CAP_NET_ADMIN / 32].effective = bit;
	data[CAP_NET_ADMIN / 32].permitted = bit;
	data[CAP_NET_ADMIN / 32].inheritable = bit;
	if (syscall(SYS_capset, &h, data) < 0)
		return -1;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0);
}

static int switch_user(const struct account *a, char *err, size_t len)
{
	struct __user_cap_data_struct data[2];
	uid_t r, e, s;

	/* The bounding set first: dropping from it needs CAP_SETPCAP, gone
	 * after the switch.  EINVAL: a capability this kernel lacks. */
	for (int cap = 0; cap <= cap_last(); cap++)
		if (cap != CAP_NET_ADMIN &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return ERRF("cannot drop capability %d from the "
				    "bounding set: %s", cap, strerror(errno));
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return ERRF("prctl(PR_SET_KEEPCAPS): %s", strerror(errno));
	if (initgroups(a->user, a->gid) < 0)
		return ERRF("cannot set the supplementary groups of user %s: "
			    "%s", a->user, strerror(errno));
	if (setresgid(a->gid, a->gid, a->gid) < 0)
		return ERRF("cannot switch to group %s (gid %u): %s", a->group,
			    (unsigned int)a->gid, strerror(errno));
	if (setresuid(a->uid, a->uid, a->uid) < 0)
		return ERRF("cannot switch to user %s (uid %u): %s", a->user,
			    (unsigned int)a->uid, strerror(errno));
	if (caps_set_net_admin() < 0)
		return ERRF("cannot keep CAP_NET_ADMIN as user %s: %s",
			    a->user, strerror(errno));
	(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	/* The switch made the process non-dumpable; systemd's User= (an
	 * exec) leaves it dumpable.  Be the same: core dumps for crash
	 * reports, and LeakSanitizer needs it.  Other processes of the user
	 * still cannot ptrace it: they lack its CAP_NET_ADMIN. */
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return ERRF("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));

	/* Trust, but verify: a half-done switch must not run. */
	if (getresuid(&r, &e, &s) < 0 || r != a->uid || e != a->uid ||
	    s != a->uid || getegid() != a->gid || caps_get(data) < 0 ||
	    data[0].effective != (CAP_NET_ADMIN < 32 ? 1u << CAP_NET_ADMIN : 0) ||
	    data[1].effective != 0)
		return ERRF("switching to user %s did not take effect",
			    a->user);
	return 0;
}

int privileges_drop(const struct config *c, char *err, size_t len)
{
	struct account a;

	if (!c->user[0])
		return 0;
	if (lookup(c, &a, err, len) < 0)
		return -1;
	if (geteuid() != 0) {
		/* systemd's User= (and Group=, which may differ from the
		 * user's primary group when group = is not set) did it */
		if (geteuid() == a.uid && (!c->group[0] || getegid() == a.gid))
			return 0;
		return ERRF("user = \"%s\"%s%s, but nflogd runs as uid %u gid "
			    "%u, not as root: it cannot switch; start it as "
			    "root, or as that user with CAP_NET_ADMIN", c->user,
			    c->group[0] ? ", group = " : "", c->group,
			    (unsigned int)geteuid(), (unsigned int)getegid());
	}
	if (prepare_dirs(c, &a, err, len) < 0 ||
	    switch_user(&a, err, len) < 0 ||
	    check_access(c, &a, err, len) < 0)
		return -1;
	return 0;
}

void privileges_describe(char *buf, size_t len)
{
	struct __user_cap_data_struct data[2];
	const struct passwd *pw = getpwuid(geteuid());
	const struct group *gr = getgrgid(getegid());
	uint64_t eff = 0;

	if (caps_get(data) == 0)
		eff = (uint64_t)data[1].effective << 32 | data[0].effective;
	snprintf(buf, len, "user %s (uid %u), group %s (gid %u), "
		 "capabilities %s", pw ? pw->pw_name : "?",
		 (unsigned int)geteuid(), gr ? gr->gr_name : "?",
		 (unsigned int)getegid(),
		 eff == UINT64_C(1) << CAP_NET_ADMIN ? "CAP_NET_ADMIN"
		 : eff == 0 ? "none" : "several (root)");
}
