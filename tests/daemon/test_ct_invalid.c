/* ct_invalid against the real kernel: the sysctls behind conntrack's
 * INVALID reasons are set, saved and restored exactly; a restore file left
 * by a crash is honoured; and (with receiver.c) group 0 receives the
 * reason for a stray FIN/ACK, and a group asking for conntrack binds
 * without it on a kernel that cannot attach it.
 *
 * Needs root: Check is forced to fork every test, and every test first
 * unshares the network namespace, so only a new namespace's sysctls are
 * ever written, never the host's.  Without root the tests are skipped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "config.h"
#include "ct_invalid.h"
#include "ct_reason.h"
#include "receiver.h"

#define NF "/proc/sys/net/netfilter/"
#define P_V4 NF "nf_log/2"
#define P_V6 NF "nf_log/10"
#define P_INV NF "nf_conntrack_log_invalid"

static bool root;

static void read_sysctl(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	n = read(fd, buf, size - 1);
	ck_assert_msg(n >= 0, "%s: %s", path, strerror(errno));
	close(fd);
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
}

static void write_sysctl(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY);

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_msg(write(fd, v, strlen(v)) == (ssize_t)strlen(v),
		      "%s = %s: %s", path, v, strerror(errno));
	close(fd);
}

#define CHECK_SYSCTL(path, want) do {                                   \
		char v_[128];                                           \
		read_sysctl(path, v_, sizeof(v_));                      \
		ck_assert_msg(!strcmp(v_, want), "%s is \"%s\", want \"%s\"", \
			      path, v_, want);                          \
	} while (0)

/* A new network namespace for this (forked) test; and a state dir. */
static void enter_netns(char *dir, size_t size)
{
	char path[128];

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s",
		      strerror(errno));
	/* a new namespace: conntrack's sysctl exists (the module is
	 * loaded) and is 0, whether or not conntrack is in use here */
	CHECK_SYSCTL(P_INV, "0");
	snprintf(path, sizeof(path), "/tmp/test_ct_invalid.XXXXXX");
	ck_assert_msg(mkdtemp(path), "mkdtemp: %s", strerror(errno));
	snprintf(dir, size, "%s", path);
}

static void config_ct(struct config *c, bool v4, bool v6, uint8_t proto)
{
	memset(c, 0, sizeof(*c));
	c->ct_invalid.enabled = true;
	c->ct_invalid.ipv4 = v4;
	c->ct_invalid.ipv6 = v6;
	c->ct_invalid.protocol = proto;
}

static bool file_exists(const char *dir)
{
	char p[300];

	snprintf(p, sizeof(p), "%s/" CT_INVALID_RESTORE_FILE, dir);
	return access(p, F_OK) == 0;
}

static void write_file(const char *dir, const char *text)
{
	char p[300];
	FILE *f;

	snprintf(p, sizeof(p), "%s/" CT_INVALID_RESTORE_FILE, dir);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

#define SKIP_UNLESS_ROOT() do {                                         \
		if (!root)                                              \
			return;                                         \
	} while (0)

START_TEST(test_enable_sets)
{
	char dir[128], err[512];
	struct config c;
	int r;

	SKIP_UNLESS_ROOT();
	enter_netns(dir, sizeof(dir));
	/* a new namespace's defaults on this host */
	write_sysctl(P_V4, "nf_log_ipv4");
	write_sysctl(P_V6, "NONE");
	config_ct(&c, true, true, 6);
	r = ct_invalid_enable(&c, dir, err, sizeof(err));
	ck_assert_msg(r == 1, "enable: %d %s", r, err);
	/* another logger was there: said, and replaced */
	ck_assert_msg(strstr(err, "net.netfilter.nf_log.2 was nf_log_ipv4"),
		      "note: %s", err);
	ck_assert_msg(!strstr(err, "nf_log.10"), "note: %s", err);
	CHECK_SYSCTL(P_V4, "nfnetlink_log");
	CHECK_SYSCTL(P_V6, "nfnetlink_log");
	CHECK_SYSCTL(P_INV, "6");
	ck_assert(file_exists(dir));

	/* nothing to note when no other logger was set */
	ck_assert_int_eq(ct_invalid_restore(dir, err, sizeof(err)), 0);
	write_sysctl(P_V4, "NONE");
	config_ct(&c, true, false, 255);
	r = ct_invalid_enable(&c, dir, err, sizeof(err));
	ck_assert_msg(r == 0, "enable: %d %s", r, err);
	CHECK_SYSCTL(P_V4, "nfnetlink_log");
	CHECK_SYSCTL(P_V6, "NONE");     /* IPv6 not chosen: untouched */
	CHECK_SYSCTL(P_INV, "255");
}
END_TEST

START_TEST(test_restore_exact)
{
	char dir[128], err[512];
	struct config c;
	int r;

	SKIP_UNLESS_ROOT();
	enter_netns(dir, sizeof(dir));
	write_sysctl(P_V4, "NONE");
	write_sysctl(P_V6, "nf_log_ipv6");
	write_sysctl(P_INV, "17");
	config_ct(&c, true, true, 6);
	r = ct_invalid_enable(&c, dir, err, sizeof(err));
	ck_assert_msg(r >= 0, "enable: %s", err);
	CHECK_SYSCTL(P_INV, "6");
	r = ct_invalid_restore(dir, err, sizeof(err));
	ck_assert_msg(r == 0, "restore: %d %s", r, err);
	CHECK_SYSCTL(P_V4, "NONE");
	CHECK_SYSCTL(P_V6, "nf_log_ipv6");
	CHECK_SYSCTL(P_INV, "17");
	ck_assert(!file_exists(dir));
	/* twice: the second has no file, nothing to do */
	ck_assert_int_eq(ct_invalid_restore(dir, err, sizeof(err)), 0);
	CHECK_SYSCTL(P_V4, "NONE");
}
END_TEST

/* A previous nflogd set the sysctls and died: its file holds the real
 * originals, and they win over what is in the kernel now. */
START_TEST(test_crash_leftover)
{
	char dir[128], err[512], text[512];
	struct config c;
	FILE *f;
	size_t n;
	int r;

	SKIP_UNLESS_ROOT();
	enter_netns(dir, sizeof(dir));
	write_file(dir, "# left by a dead nflogd\n"
			"nf_log/2 NONE\nnf_conntrack_log_invalid 0\n");
	write_sysctl(P_V4, "nfnetlink_log");
	write_sysctl(P_V6, "nf_log_ipv6");
	write_sysctl(P_INV, "6");
	/* this run also chooses IPv6: its original is read now */
	config_ct(&c, true, true, 6);
	r = ct_invalid_enable(&c, dir, err, sizeof(err));
	ck_assert_msg(r == 1, "enable: %d %s", r, err);
	ck_assert_msg(strstr(err, "nf_log.10 was nf_log_ipv6") &&
		      !strstr(err, "nf_log.2 "), "note: %s", err);
	snprintf(text, sizeof(text), "%s/" CT_INVALID_RESTORE_FILE, dir);
	f = fopen(text, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = 0;
	fclose(f);
	ck_assert_msg(strstr(text, "nf_log/2 NONE\n") &&
		      strstr(text, "nf_log/10 nf_log_ipv6\n") &&
		      strstr(text, "nf_conntrack_log_invalid 0\n"),
		      "file: %s", text);
	r = ct_invalid_restore(dir, err, sizeof(err));
	ck_assert_msg(r == 0, "restore: %s", err);
	CHECK_SYSCTL(P_V4, "NONE");
	CHECK_SYSCTL(P_V6, "nf_log_ipv6");
	CHECK_SYSCTL(P_INV, "0");
	ck_assert(!file_exists(dir));

	/* start without conntrack_invalid, a file left: restore cleans up */
	write_file(dir, "nf_log/2 NONE\nnf_conntrack_log_invalid 0\n");
	write_sysctl(P_V4, "nfnetlink_log");
	write_sysctl(P_INV, "6");
	ck_assert_int_eq(ct_invalid_restore(dir, err, sizeof(err)), 0);
	CHECK_SYSCTL(P_V4, "NONE");
	CHECK_SYSCTL(P_INV, "0");
	ck_assert(!file_exists(dir));
}
END_TEST

START_TEST(test_restore_no_file)
{
	char dir[128], err[512] = "";

	SKIP_UNLESS_ROOT();
	enter_netns(dir, sizeof(dir));
	write_sysctl(P_V4, "nf_log_ipv4");
	write_sysctl(P_INV, "6");
	ck_assert_int_eq(ct_invalid_restore(dir, err, sizeof(err)), 0);
	CHECK_SYSCTL(P_V4, "nf_log_ipv4");
	CHECK_SYSCTL(P_INV, "6");
	ck_assert(!file_exists(dir));
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_errors)
{
	char dir[128], sub[200], err[512];
	struct config c;
	int r;

	SKIP_UNLESS_ROOT();
	enter_netns(dir, sizeof(dir));
	config_ct(&c, true, false, 6);

	/* state_dir is created, parents too */
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	r = ct_invalid_enable(&c, sub, err, sizeof(err));
	ck_assert_msg(r >= 0, "enable: %s", err);
	ck_assert(file_exists(sub));
	ck_assert_int_eq(ct_invalid_restore(sub, err, sizeof(err)), 0);

	/* a state_dir that cannot be made: nothing changed */
	write_sysctl(P_V4, "NONE");
	write_file(dir, "x");   /* a file where a directory should be */
	snprintf(sub, sizeof(sub), "%s/" CT_INVALID_RESTORE_FILE "/d", dir);
	r = ct_invalid_enable(&c, sub, err, sizeof(err));
	ck_assert_int_lt(r, 0);
	ck_assert_msg(strstr(err, sub) && strstr(err, strerror(-r)),
		      "err: %s", err);
	CHECK_SYSCTL(P_V4, "NONE");
	CHECK_SYSCTL(P_INV, "0");

	/* a damaged restore file: named, and not acted on */
	write_file(dir, "nf_log/2 NONE\n/etc/passwd x\n");
	r = ct_invalid_restore(dir, err, sizeof(err));
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_msg(strstr(err, CT_INVALID_RESTORE_FILE ":2:"), "err: %s",
		      err);
	CHECK_SYSCTL(P_V4, "NONE");
	r = ct_invalid_enable(&c, dir, err, sizeof(err));
	ck_assert_int_eq(r, -EINVAL);
	CHECK_SYSCTL(P_V4, "NONE");
	CHECK_SYSCTL(P_INV, "0");

	/* a logger that does not exist: the error names the sysctl and
	 * strerror, and what was changed is put back */
	write_file(dir, "nf_log/2 no_such_logger\n");
	write_sysctl(P_INV, "0");
	r = ct_invalid_restore(dir, err, sizeof(err));
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_msg(strstr(err, P_V4) && strstr(err, strerror(ENOENT)),
		      "err: %s", err);
	/* ENOENT cannot get better: the file is gone */
	ck_assert(!file_exists(dir));
}
END_TEST

/* --- with the receiver ---------------------------------------------------- */

static uint8_t rxbuf[RECEIVER_BUFSIZE];

struct seen {
	int n;
	char prefix[128];
	uint16_t group;
};

static void on_packet(void *ctx, struct receiver *r, const struct nflog_meta *m)
{
	struct seen *s = ctx;
	size_t n = m->prefix_len < sizeof(s->prefix) - 1 ? m->prefix_len :
		   sizeof(s->prefix) - 1;

	(void)r;
	if (s->n++ == 0) {
		memcpy(s->prefix, m->prefix, n);
		s->prefix[n] = 0;
		s->group = m->group;
	}
}

static void group_defaults(struct config_group *g, uint16_t id, bool ct)
{
	memset(g, 0, sizeof(*g));
	g->id = id;
	g->copy_range = 0xffff;
	g->queue_threshold = 1;
	g->flush_timeout = 1;
	g->nlbufsiz = 65536;
	g->rcvbuf = 1 << 20;
	g->conntrack = ct;
}

static bool group_bound(uint16_t id)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_log", "r");
	unsigned int g;
	bool found = false;
	char line[256];

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u", &g) == 1 && g == id)
			found = true;
	fclose(f);
	return found;
}

START_TEST(test_receiver_conntrack)
{
	char dir[128];
	struct config_group g;
	struct receiver r;
	struct seen s = { 0 };
	const char *what = "";
	int ret;

	SKIP_UNLESS_ROOT();
	enter_netns(dir, sizeof(dir));
	group_defaults(&g, 7, true);
	ret = receiver_open(&r, &g, rxbuf, sizeof(rxbuf), on_packet, &s,
			    &what);
	ck_assert_msg(ret == 0, "%s: %s", what, strerror(-ret));
	ck_assert_msg(group_bound(7), "group 7 not bound");
	ck_assert_msg(r.conntrack_unsupported,
		      "conntrack_unsupported not set: this kernel lacks "
		      "CONFIG_NETFILTER_NETLINK_GLUE_CT, so it refuses "
		      "NFULNL_CFG_F_CONNTRACK with EOPNOTSUPP");
	/* a reload keeps working and keeps saying so */
	ret = receiver_configure(&r, &g, on_packet, &s, &what);
	ck_assert_msg(ret == 0, "%s: %s", what, strerror(-ret));
	ck_assert(r.conntrack_unsupported);
	g.conntrack = false;
	ret = receiver_configure(&r, &g, on_packet, &s, &what);
	ck_assert_msg(ret == 0, "%s: %s", what, strerror(-ret));
	ck_assert(!r.conntrack_unsupported);
	receiver_close(&r, on_packet, &s);
	ck_assert(!group_bound(7));

	group_defaults(&g, 8, false);
	ret = receiver_open(&r, &g, rxbuf, sizeof(rxbuf), on_packet, &s,
			    &what);
	ck_assert_msg(ret == 0, "%s: %s", what, strerror(-ret));
	ck_assert(!r.conntrack_unsupported);
	receiver_close(&r, on_packet, &s);
}
END_TEST

static uint16_t csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A TCP FIN/ACK 127.0.0.1:40000 -> 127.0.0.1:80 that belongs to no
 * connection, sent through a raw socket (it passes OUTPUT). */
static void send_stray_fin_ack(void)
{
	uint8_t pkt[40] = {
		0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0,
		127, 0, 0, 1, 127, 0, 0, 1,
		0x9c, 0x40, 0, 80, 0, 0, 0x03, 0xe8, 0, 0, 0x07, 0xd0,
		0x50, 0x11, 0x20, 0x00, 0, 0, 0, 0,
	};
	uint8_t pseudo[12] = { 127, 0, 0, 1, 127, 0, 0, 1, 0, 6, 0, 20 };
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(0x7f000001) };
	uint32_t sum = 0;
	uint16_t c;
	int fd, one = 1;

	c = csum(pkt, 20, 0);
	pkt[10] = (uint8_t)(c >> 8);
	pkt[11] = (uint8_t)c;
	for (size_t i = 0; i < sizeof(pseudo); i += 2)
		sum += (uint32_t)(pseudo[i] << 8 | pseudo[i + 1]);
	c = csum(pkt + 20, 20, sum);
	pkt[36] = (uint8_t)(c >> 8);
	pkt[37] = (uint8_t)c;
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	ck_assert_msg(fd >= 0, "raw socket: %s", strerror(errno));
	ck_assert(setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one,
			     sizeof(one)) == 0);
	ck_assert_msg(sendto(fd, pkt, sizeof(pkt), 0,
			     (struct sockaddr *)&dst, sizeof(dst)) ==
		      (ssize_t)sizeof(pkt), "sendto: %s", strerror(errno));
	close(fd);
}

/* The whole path: group 0 bound, the sysctls set, conntrack in use (an
 * nft rule matching ct state), a stray FIN/ACK: its record carries
 * conntrack's reason, which ct_reason parses. */
START_TEST(test_fin_ack_reason)
{
	char dir[128], err[512];
	struct config_group g;
	struct config c;
	struct receiver r;
	struct seen s = { 0 };
	struct ct_reason why;
	const char *what = "";
	int ret;

	SKIP_UNLESS_ROOT();
	enter_netns(dir, sizeof(dir));
	ck_assert(system("ip link set lo up") == 0);
	ck_assert_msg(system("nft 'add table inet t; add chain inet t out "
			     "{ type filter hook output priority 0; }; "
			     "add rule inet t out ct state invalid counter'")
		      == 0, "nft failed");
	/* group 0 first: binding loads nfnetlink_log, the logger nf_log.2
	 * is then set to */
	group_defaults(&g, 0, false);
	ret = receiver_open(&r, &g, rxbuf, sizeof(rxbuf), on_packet, &s,
			    &what);
	ck_assert_msg(ret == 0, "%s: %s", what, strerror(-ret));
	config_ct(&c, true, false, 6);
	ret = ct_invalid_enable(&c, dir, err, sizeof(err));
	ck_assert_msg(ret >= 0, "enable: %s", err);

	send_stray_fin_ack();
	for (int i = 0; i < 100 && !s.n; i++) {
		struct pollfd p = { .fd = r.fd, .events = POLLIN };

		poll(&p, 1, 20);
		ck_assert_int_ge(receiver_read(&r, on_packet, &s, 8), 0);
	}
	ck_assert_msg(s.n > 0, "no NFLOG message on group 0");
	ck_assert_int_eq(s.group, 0);
	ck_assert_str_eq(s.prefix, "nf_ct_proto_6: invalid new ");
	ck_assert(ct_reason_parse(s.prefix, strlen(s.prefix), &why));
	ck_assert_int_eq(why.protocol, 6);
	ck_assert_uint_eq(why.reason_len, strlen("invalid new"));

	receiver_close(&r, on_packet, &s);
	ret = ct_invalid_restore(dir, err, sizeof(err));
	ck_assert_msg(ret == 0, "restore: %s", err);
	CHECK_SYSCTL(P_INV, "0");
}
END_TEST

static Suite *ct_invalid_suite(void)
{
	Suite *s = suite_create("ct_invalid");
	TCase *tc = tcase_create("sysctls");
	TCase *rx = tcase_create("receiver");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_enable_sets);
	tcase_add_test(tc, test_restore_exact);
	tcase_add_test(tc, test_crash_leftover);
	tcase_add_test(tc, test_restore_no_file);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	tcase_set_timeout(rx, 60);
	tcase_add_test(rx, test_receiver_conntrack);
	tcase_add_test(rx, test_fin_ack_reason);
	suite_add_tcase(s, rx);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	root = geteuid() == 0;
	if (!root)
		printf("test_ct_invalid: not root: skipped (the tests need "
		       "unshare(CLONE_NEWNET))\n");
	sr = srunner_create(ct_invalid_suite());
	/* Always fork, whatever CK_FORK says: every test unshares the
	 * network namespace of the process it runs in. */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
