/* reload_cmd: `nflogd --reload`, a reload that waits for its result.
 *
 * systemd 252 (Debian 12) has no Type=notify-reload: `ExecReload=kill
 * -HUP` returns at once, so `systemctl reload` would succeed before the
 * daemon even read the file, and a rejected file would go unnoticed.
 * This command is the ExecReload= instead: it validates the file first (a
 * broken one never reaches the daemon, and its errors reach the
 * operator's terminal), sends SIGHUP, and waits until status.json counts
 * one more reload, then reports how it went.
 */
#include "reload_cmd.h"

#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"

#define RELOAD_POLL_NS (50 * 1000 * 1000L)

struct status {
	int pid;
	long long reloads;
	bool running, ok;
	char config[CONFIG_PATH_MAX];
	char error[512];
};

/* 0, -ENOENT (no file: no daemon), -EINVAL (not status.json as we write
 * it, e.g. caught half-written: it is replaced by rename, so never). */
static int read_status(const char *path, struct status *st)
{
	struct json_object *o = json_object_from_file(path), *v, *lr;
	int ret = -EINVAL;

	memset(st, 0, sizeof(*st));
	if (!o)
		return access(path, F_OK) < 0 ? -ENOENT : -EINVAL;
	if (json_object_object_get_ex(o, "pid", &v) &&
	    json_object_is_type(v, json_type_int) &&
	    json_object_object_get_ex(o, "reloads", &v)) {
		struct json_object *p;

		json_object_object_get_ex(o, "pid", &p);
		st->pid = json_object_get_int(p);
		st->reloads = json_object_get_int64(v);
		st->running = json_object_object_get_ex(o, "running", &v) &&
			      json_object_get_boolean(v);
		if (json_object_object_get_ex(o, "config", &v))
			snprintf(st->config, sizeof(st->config), "%s",
				 json_object_get_string(v));
		if (json_object_object_get_ex(o, "last_reload", &lr) &&
		    json_object_is_type(lr, json_type_object)) {
			st->ok = json_object_object_get_ex(lr, "ok", &v) &&
				 json_object_get_boolean(v);
			if (json_object_object_get_ex(lr, "error", &v))
				snprintf(st->error, sizeof(st->error), "%s",
					 json_object_get_string(v));
		}
		ret = st->pid > 0 ? 0 : -EINVAL;
	}
	json_object_put(o);
	return ret;
}

/* The configuration, or NULL after printing its errors. */
static struct config *load_checked(const char *path)
{
	struct config_errors *errs = calloc(1, sizeof(*errs));
	struct config *cfg = NULL;

	if (!errs)
		return NULL;
	if (daemon_load_config(path, &cfg, errs) < 0) {
		for (unsigned int i = 0; i < errs->n && i < CONFIG_MAX_ERRORS; i++)
			fprintf(stderr, "%s\n", errs->msg[i]);
		fprintf(stderr, "nflogd: %s has errors: not reloading; the "
			"running nflogd keeps its configuration\n", path);
		free(cfg);
		cfg = NULL;
	}
	free(errs);
	return cfg;
}

/* The pid in a status file may be stale (a crash) or reused. */
static bool is_nflogd(int pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "nflogd", 6) == 0;
}

int reload_command(const char *config_path, unsigned int timeout_s)
{
	struct config *cfg;
	char status_path[CONFIG_PATH_MAX + 16];
	struct status st, now;
	struct timespec nap = { 0, RELOAD_POLL_NS };
	long polls;
	int r;

	/* The file's runtime_dir says where the daemon is; a broken file
	 * stops here, before the daemon sees it. */
	cfg = load_checked(config_path);
	if (!cfg)
		return 1;
	snprintf(status_path, sizeof(status_path), "%s/status.json",
		 cfg->runtime_dir);
	free(cfg);
	r = read_status(status_path, &st);
	if (r < 0 || !st.running || !is_nflogd(st.pid)) {
		fprintf(stderr, "nflogd: no running nflogd found: %s %s\n",
			status_path, r == -ENOENT ? "does not exist"
			: r < 0 ? "is not nflogd's status file"
			: !st.running ? "says it is stopping"
			: "names a process that is not nflogd (stale)");
		return 2;
	}
	/* It reloads the file it was started with: check that one too. */
	if (st.config[0] && strcmp(st.config, config_path) != 0) {
		cfg = load_checked(st.config);
		if (!cfg)
			return 1;
		free(cfg);
	}
	if (kill(st.pid, SIGHUP) < 0) {
		fprintf(stderr, "nflogd: cannot signal nflogd (pid %d): %s\n",
			st.pid, strerror(errno));
		return 2;
	}
	for (polls = 0; polls < (long)timeout_s * 20; polls++) {
		nanosleep(&nap, NULL);
		if (read_status(status_path, &now) < 0 || now.pid != st.pid ||
		    !is_nflogd(st.pid)) {
			fprintf(stderr, "nflogd: nflogd (pid %d) went away "
				"during the reload\n", st.pid);
			return 2;
		}
		if (now.reloads <= st.reloads)
			continue;
		if (now.ok) {
			printf("nflogd: pid %d reloaded %s\n", st.pid,
			       st.config[0] ? st.config : config_path);
			return 0;
		}
		fprintf(stderr, "nflogd: reload failed: %s; nflogd keeps "
			"running the previous configuration\n", now.error);
		return 1;
	}
	fprintf(stderr, "nflogd: nflogd (pid %d) did not finish the reload "
		"within %u s\n", st.pid, timeout_s);
	return 1;
}
