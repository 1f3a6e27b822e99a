/* config_file: the configuration file is read only when no one but root
 * (or the user nflogd runs as) can change it -- the file and every
 * directory above it (sshd's StrictModes).  Real files in a temporary
 * directory; the ownership cases need root (CI runs as root). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "config_file.h"

static const char good[] = "rules = ( { name = \"a\"; group = 1; } );\n";

/* ---------------------------------------------------------------- the rule */

static const struct {
	unsigned int uid, gid, mode;
	bool dir;
	unsigned int me;
	const char *why;        /* NULL: accepted */
} cases[] = {
	{ 0, 0, 0100644, false, 0, NULL },
	{ 0, 0, 0100600, false, 0, NULL },
	{ 0, 4, 0100640, false, 0, NULL },              /* root:adm 0640 */
	{ 0, 0, 0100664, false, 0, NULL },              /* group root */
	{ 0, 4, 0100664, false, 0, "writable by group 4 (mode 0664)" },
	{ 0, 0, 0100666, false, 0, "writable by others (mode 0666)" },
	{ 0, 0, 0100646, false, 0, "writable by others (mode 0646)" },
	{ 1000, 1000, 0100644, false, 0, "owned by uid 1000; allowed: owned by root (uid 0)" },
	/* nflogd running as its own user (systemd's User=) */
	{ 0, 0, 0100644, false, 105, NULL },
	{ 105, 105, 0100644, false, 105, NULL },
	{ 1000, 1000, 0100644, false, 105, "owned by uid 1000; allowed: owned by root (uid 0) or by the user nflogd runs as" },
	/* directories */
	{ 0, 0, 040755, true, 0, NULL },
	{ 0, 0, 041777, true, 0, NULL },                /* /tmp */
	{ 0, 0, 040777, true, 0, "writable by others (mode 0777)" },
	{ 1000, 1000, 041777, true, 0, "owned by uid 1000" },
	{ 0, 100, 040775, true, 0, "writable by group 100 (mode 0775)" },
	{ 0, 100, 041775, true, 0, NULL },              /* sticky, root */
	/* a sticky *file* means nothing */
	{ 0, 0, 0101666, false, 0, "writable by others (mode 1666)" },
};

START_TEST(test_owner_rule)
{
	struct stat st;
	char why[200];
	int r;

	memset(&st, 0, sizeof(st));
	st.st_uid = cases[_i].uid;
	st.st_gid = cases[_i].gid;
	st.st_mode = cases[_i].mode;
	why[0] = '\0';
	r = config_file_check_owner(&st, cases[_i].dir, cases[_i].me, why,
				    sizeof(why));
	if (!cases[_i].why) {
		ck_assert_msg(r == 0, "case %d refused: %s", _i, why);
	} else {
		ck_assert_msg(r < 0, "case %d accepted", _i);
		ck_assert_msg(strstr(why, cases[_i].why), "case %d: '%s' lacks '%s'",
			      _i, why, cases[_i].why);
	}
}
END_TEST

/* ---------------------------------------------------------------- real files */

static char dir[64], file[96];

static void setup(void)
{
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/nflogd-cfgfile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/nflogd.conf", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, good, sizeof(good) - 1), (ssize_t)sizeof(good) - 1);
	close(fd);
	ck_assert_int_eq(chmod(file, 0644), 0);
}

static void teardown(void)
{
	unlink(file);
	rmdir(dir);
}

/* 0, or -1 with the first message in msg */
static int load(char *msg, size_t size)
{
	static struct config_errors e;
	struct config *c = NULL;
	int r = daemon_load_config(file, &c, &e);

	snprintf(msg, size, "%s", r < 0 ? e.msg[0] : "");
	free(c);
	return r;
}

START_TEST(test_file_modes)
{
	char msg[300];

	ck_assert_msg(load(msg, sizeof(msg)) == 0, "0644: %s", msg);
	ck_assert_int_eq(chmod(file, 0666), 0);
	ck_assert_int_eq(load(msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, file) == msg && strstr(msg, ": refusing it, "
		      "as whoever can change it decides what nflogd does as "
		      "root: it is writable by others (mode 0666); allowed: "
		      "not writable by group or others (chmod go-w)"), "%s", msg);
	ck_assert_int_eq(chmod(file, 0600), 0);
	ck_assert_msg(load(msg, sizeof(msg)) == 0, "0600: %s", msg);
}
END_TEST

START_TEST(test_directory_modes)
{
	char msg[300];

	/* mkdtemp made it 0700 */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(load(msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "its directory ") && strstr(msg, dir) &&
		      strstr(msg, "is writable by others (mode 0777)"), "%s", msg);
	/* sticky, like /tmp itself (which is above every case here) */
	if (geteuid() == 0) {
		ck_assert_int_eq(chmod(dir, 01777), 0);
		ck_assert_msg(load(msg, sizeof(msg)) == 0, "01777: %s", msg);
	}
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_msg(load(msg, sizeof(msg)) == 0, "0755: %s", msg);
}
END_TEST

/* A file of another user: only root can make one. */
START_TEST(test_other_owner)
{
	char msg[300];

	if (geteuid() != 0) {
		fprintf(stderr, "test_other_owner: not root: cannot chown a "
			"file to another user; not run\n");
		return;
	}
	ck_assert_int_eq(chown(file, 65534, 65534), 0);
	ck_assert_int_eq(load(msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "it is owned by uid 65534; allowed: owned by "
			     "root (uid 0)"), "%s", msg);
	ck_assert_int_eq(chown(file, 0, 65534), 0);
	ck_assert_int_eq(chmod(file, 0664), 0);
	ck_assert_int_eq(load(msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "writable by group 65534"), "%s", msg);
	ck_assert_int_eq(chmod(file, 0644), 0);
	ck_assert_msg(load(msg, sizeof(msg)) == 0, "root:65534 0644: %s", msg);
	/* through a symbolic link: the real path's directories count */
	{
		char link[128];

		snprintf(link, sizeof(link), "%s.link", dir);
		ck_assert_int_eq(symlink(file, link), 0);
		ck_assert_int_eq(chmod(dir, 0777), 0);
		{
			static struct config_errors e;
			struct config *c = NULL;

			ck_assert_int_eq(daemon_load_config(link, &c, &e), -1);
			ck_assert_msg(strstr(e.msg[0], "its directory") &&
				      strstr(e.msg[0], dir), "%s", e.msg[0]);
		}
		unlink(link);
		chmod(dir, 0700);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config_file");
	TCase *rule = tcase_create("rule");
	TCase *files = tcase_create("files");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(rule, test_owner_rule, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_checked_fixture(files, setup, teardown);
	tcase_add_test(files, test_file_modes);
	tcase_add_test(files, test_directory_modes);
	tcase_add_test(files, test_other_owner);
	suite_add_tcase(s, rule);
	suite_add_tcase(s, files);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
