/* ifcache against the real kernel, each test in a network namespace of its
 * own, plus message-level tests of the parser that need neither.
 *
 * The kernel tests need root (unshare(CLONE_NEWNET), `ip link add`); without
 * it they are skipped with a message and only the parser tests run.  Check
 * is forced to fork every test, and every kernel test first unshares the
 * network namespace and makes sure it only holds lo before it creates
 * anything: the host's namespace is never touched.
 *
 * ifcache.c is included rather than linked so that the parser tests can
 * reach its static functions.
 */
#include "ifcache.c"

#include <check.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------- */

static const char *ip_bin(void)
{
	static const char *const cand[] = { "/sbin/ip", "/usr/sbin/ip", "/bin/ip",
					    "/usr/bin/ip" };
	for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++)
		if (access(cand[i], X_OK) == 0)
			return cand[i];
	ck_abort_msg("ip(8) not found (package iproute2)");
	return NULL;
}

static int sh_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh_status(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert(n > 0 && (size_t)n < sizeof(cmd));
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#define SH(...) ck_assert_int_eq(sh_status(__VA_ARGS__), 0)

/* Run `ip -batch` on text (one command a line). */
static void ip_batch(const char *text)
{
	char path[] = "/tmp/test_ifcache.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	size_t len = strlen(text);
	ck_assert(write(fd, text, len) == (ssize_t)len);
	close(fd);
	int st = sh_status("%s -batch %s", ip_bin(), path);
	unlink(path);
	ck_assert_int_eq(st, 0);
}

/* Lines "link add <prefix><i> <extra> type <type>" for i in [from, to). */
static char *add_lines(const char *prefix, int from, int to, const char *extra,
		       const char *type)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	for (int i = from; i < to; i++)
		fprintf(f, "link add %s%d %s type %s\n", prefix, i, extra, type);
	fclose(f);
	return text;
}

static void batch_add(const char *prefix, int from, int to, const char *extra,
		      const char *type)
{
	char *text = add_lines(prefix, from, to, extra, type);

	ip_batch(text);
	free(text);
}

static int64_t test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Apply everything pending, including any resync dump, to completion. */
static void pump(struct ifcache *c)
{
	int64_t deadline = test_now_ms() + 10000;

	for (;;) {
		ck_assert_int_eq(ifcache_process(c), 0);
		if (!ifcache_syncing(c))
			return;
		ck_assert_msg(test_now_ms() < deadline, "resync did not finish");
		struct pollfd p = { .fd = ifcache_fd(c), .events = POLLIN };
		poll(&p, 1, 100);
	}
}

static uint32_t idx_of(const char *name)
{
	unsigned idx = if_nametoindex(name);

	ck_assert_msg(idx != 0, "no interface %s", name);
	return idx;
}

static void assert_name(const struct ifcache *c, uint32_t idx, const char *want)
{
	const char *got = ifcache_name(c, idx);

	ck_assert_msg(got != NULL, "index %u: NULL, want %s", idx, want);
	ck_assert_msg(strcmp(got, want) == 0, "index %u: %s, want %s", idx,
		      got, want);
}

/* Every interface the kernel has resolves to its name; returns how many.
 * exact: the cache counts no other interface as live. */
static size_t assert_consistent(const struct ifcache *c, bool exact)
{
	struct if_nameindex *ni = if_nameindex();
	size_t n = 0;

	ck_assert_ptr_nonnull(ni);
	for (; ni[n].if_index != 0; n++)
		assert_name(c, ni[n].if_index, ni[n].if_name);
	if_freenameindex(ni);
	if (exact)
		ck_assert_uint_eq(c->n_live, n);
	else
		ck_assert_uint_ge(c->n_live, n);
	return n;
}

static size_t count_ifaces(void)
{
	struct if_nameindex *ni = if_nameindex();
	size_t n = 0;

	ck_assert_ptr_nonnull(ni);
	while (ni[n].if_index != 0)
		n++;
	if_freenameindex(ni);
	return n;
}

/* The link type for test interfaces: dummy where the kernel has it, else
 * ifb or bridge (some CI kernels are built without CONFIG_DUMMY). */
static const char *link_type;

/* Into a new, empty network namespace (this process only: Check forks
 * each test).  Aborts before anything is created if that fails. */
static void netns_setup(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s",
		      strerror(errno));
	ck_assert_msg(count_ifaces() == 1 && if_nametoindex("lo") == 1,
		      "not in a fresh network namespace");
	SH("%s link set lo up", ip_bin());

	static const char *const types[] = { "dummy", "ifb", "bridge" };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (sh_status("%s link add probe0 type %s 2>/dev/null", ip_bin(),
			      types[i]) == 0) {
			SH("%s link del probe0", ip_bin());
			link_type = types[i];
			return;
		}
	}
	ck_abort_msg("the kernel can create none of dummy, ifb, bridge");
}

/* ---- kernel tests ----------------------------------------------------- */

START_TEST(test_open_lo)
{
	struct ifcache c;

	ck_assert_int_eq(ifcache_open(&c), 0);
	ck_assert(!ifcache_syncing(&c));
	assert_name(&c, 1, "lo");
	ck_assert_ptr_null(ifcache_name(&c, 0));
	ck_assert_ptr_null(ifcache_name(&c, 4242));
	ck_assert_uint_eq(c.n_live, 1);
	ck_assert_uint_eq(c.n_deleted, 0);

	int fd = ifcache_fd(&c);
	ck_assert_int_ge(fd, 0);
	ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	int rcv = 0;
	socklen_t sl = sizeof(rcv);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &sl), 0);
	ck_assert_int_ge(rcv, 1 << 20);         /* root: FORCE got past rmem_max */

	/* Nothing pending: processing is a no-op. */
	ck_assert_int_eq(ifcache_process(&c), 0);
	assert_name(&c, 1, "lo");

	ifcache_close(&c);
	ck_assert_int_eq(ifcache_fd(&c), -1);
	ck_assert_ptr_null(ifcache_name(&c, 1));
	ifcache_close(&c);                      /* twice is fine */
	ck_assert_int_eq(ifcache_process(&c), -EBADF);
}
END_TEST

START_TEST(test_add_rename_delete)
{
	struct ifcache c;

	ck_assert_int_eq(ifcache_open(&c), 0);
	SH("%s link add d0 type %s", ip_bin(), link_type);
	uint32_t idx = idx_of("d0");

	/* Lookups never ask the kernel: unknown until the event is read. */
	ck_assert_ptr_null(ifcache_name(&c, idx));
	ck_assert_int_eq(ifcache_process(&c), 0);
	assert_name(&c, idx, "d0");
	ck_assert_uint_eq(c.n_live, 2);

	/* Up and down are NEWLINK events too: same name. */
	SH("%s link set d0 up", ip_bin());
	ck_assert_int_eq(ifcache_process(&c), 0);
	assert_name(&c, idx, "d0");

	SH("%s link set d0 down", ip_bin());
	SH("%s link set d0 name d1", ip_bin());
	ck_assert_int_eq(ifcache_process(&c), 0);
	assert_name(&c, idx, "d1");
	ck_assert_uint_eq(c.n_live, 2);
	assert_consistent(&c, true);

	/* Deleted: the last name stays, for packets still in flight. */
	SH("%s link del d1", ip_bin());
	ck_assert_int_eq(ifcache_process(&c), 0);
	assert_name(&c, idx, "d1");
	ck_assert_uint_eq(c.n_live, 1);
	ck_assert_uint_eq(c.n_deleted, 1);
	ck_assert_uint_eq(c.overruns, 0);
	ck_assert_uint_eq(c.resyncs, 0);
	assert_consistent(&c, true);
	ifcache_close(&c);
}
END_TEST

START_TEST(test_index_reuse)
{
	struct ifcache c;

	ck_assert_int_eq(ifcache_open(&c), 0);
	SH("%s link add r0 index 500 type %s", ip_bin(), link_type);
	ck_assert_int_eq(ifcache_process(&c), 0);
	assert_name(&c, 500, "r0");
	SH("%s link del r0", ip_bin());
	ck_assert_int_eq(ifcache_process(&c), 0);
	assert_name(&c, 500, "r0");
	ck_assert_uint_eq(c.n_deleted, 1);

	SH("%s link add r1 index 500 type %s", ip_bin(), link_type);
	ck_assert_int_eq(ifcache_process(&c), 0);
	assert_name(&c, 500, "r1");
	ck_assert_uint_eq(c.n_deleted, 0);
	ck_assert_uint_eq(c.n_live, 2);

	/* Delete and reuse between two reads: the events apply in order. */
	SH("%s link del r1", ip_bin());
	SH("%s link add r2 index 500 type %s", ip_bin(), link_type);
	ck_assert_int_eq(ifcache_process(&c), 0);
	assert_name(&c, 500, "r2");
	ck_assert_uint_eq(c.n_deleted, 0);
	assert_consistent(&c, true);
	ifcache_close(&c);
}
END_TEST

START_TEST(test_burst_300)
{
	struct ifcache c;
	char name[IFNAMSIZ];

	ck_assert_int_eq(ifcache_open(&c), 0);
	batch_add("b", 0, 300, "", link_type);
	pump(&c);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		assert_name(&c, idx_of(name), name);
	}
	ck_assert_uint_eq(assert_consistent(&c, true), 301);
	printf("burst_300 (%s): overruns %" PRIu64 ", resyncs %" PRIu64
	       ", table %zu slots\n", link_type, c.overruns, c.resyncs, c.cap);

	/* A cache opened now gets them all from the dump alone. */
	struct ifcache c2;
	ck_assert_int_eq(ifcache_open(&c2), 0);
	assert_consistent(&c2, true);
	ifcache_close(&c2);
	ifcache_close(&c);
}
END_TEST

/* A tiny receive buffer loses events: ENOBUFS, re-dump, and the result is
 * right, including deletions whose events were lost. */
START_TEST(test_overrun_resync)
{
	struct ifcache c;
	char name[IFNAMSIZ];
	uint32_t gone[50];

	ck_assert_int_eq(ifcache_open(&c), 0);
	batch_add("g", 0, 50, "group 7", link_type);
	pump(&c);
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		gone[i] = idx_of(name);
	}
	ck_assert_uint_eq(c.n_live, 51);

	ck_assert_int_eq(ifcache_set_rcvbuf(&c, 1), 0);
	SH("%s link del group 7", ip_bin());
	batch_add("n", 0, 300, "", link_type);
	SH("%s link set lo name lo9", ip_bin());        /* renamed in the gap */
	ck_assert_int_eq(ifcache_set_rcvbuf(&c, 1 << 20), 0);
	pump(&c);

	ck_assert_uint_ge(c.overruns, 1);
	ck_assert_uint_ge(c.resyncs, 1);
	assert_name(&c, 1, "lo9");
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_name(&c, idx_of(name), name);
	}
	for (int i = 0; i < 50; i++) {          /* deleted: name kept */
		snprintf(name, sizeof(name), "g%d", i);
		assert_name(&c, gone[i], name);
	}
	ck_assert_uint_eq(assert_consistent(&c, true), 301);
	ck_assert_uint_eq(c.n_deleted, 50);
	printf("overrun_resync (%s): overruns %" PRIu64 ", resyncs %" PRIu64 "\n",
	       link_type, c.overruns, c.resyncs);

	/* And back to plain events afterwards. */
	SH("%s link set lo9 name lo", ip_bin());
	ck_assert_int_eq(ifcache_process(&c), 0);
	assert_name(&c, 1, "lo");
	ifcache_close(&c);
}
END_TEST

/* Overrun while the cache is still dumping at open time: the tiny buffer
 * is set by hand on a cache whose dump is restarted. */
START_TEST(test_overrun_during_dump)
{
	struct ifcache c;

	batch_add("p", 0, 200, "", link_type);
	ck_assert_int_eq(ifcache_open(&c), 0);
	ck_assert_int_eq(ifcache_set_rcvbuf(&c, 1), 0);
	/* Start a resync by hand, then change things before reading it. */
	ck_assert_int_eq(start_dump(&c), 0);
	batch_add("q", 0, 200, "", link_type);
	ck_assert_int_eq(ifcache_set_rcvbuf(&c, 1 << 20), 0);
	pump(&c);
	ck_assert_uint_ge(c.overruns, 1);
	ck_assert_uint_eq(assert_consistent(&c, true), 401);
	ifcache_close(&c);
}
END_TEST

/* A port leaving a bridge is an AF_BRIDGE RTM_DELLINK: not a deletion. */
START_TEST(test_bridge_port)
{
	struct ifcache c;

	if (sh_status("%s link add br0 type bridge 2>/dev/null", ip_bin()) != 0 ||
	    sh_status("%s link add v0 type veth peer name v1 2>/dev/null",
		      ip_bin()) != 0) {
		printf("bridge_port: no bridge or veth in this kernel, not run\n");
		return;
	}
	ck_assert_int_eq(ifcache_open(&c), 0);
	SH("%s link set v0 master br0", ip_bin());
	SH("%s link set v0 up", ip_bin());
	ck_assert_int_eq(ifcache_process(&c), 0);
	SH("%s link set v0 nomaster", ip_bin());
	ck_assert_int_eq(ifcache_process(&c), 0);
	ck_assert_uint_eq(c.n_deleted, 0);
	assert_name(&c, idx_of("v0"), "v0");
	assert_consistent(&c, true);
	ifcache_close(&c);
}
END_TEST

/* Deleted entries are bounded: only the last IFCACHE_KEEP_DELETED keep
 * their name.  `link del group` deletes them all in one go (one by one
 * takes ~20 ms each). */
START_TEST(test_deleted_bound)
{
	struct ifcache c;
	enum { N = IFCACHE_KEEP_DELETED + 76 };
	static uint32_t idx[N];
	char name[IFNAMSIZ];

	ck_assert_int_eq(ifcache_open(&c), 0);
	batch_add("k", 0, N, "group 9", link_type);
	pump(&c);
	ck_assert_uint_eq(c.n_live, N + 1);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		idx[i] = idx_of(name);
	}
	SH("%s link del group 9", ip_bin());
	pump(&c);
	ck_assert_uint_eq(c.n_live, 1);
	ck_assert_uint_eq(c.n_deleted, IFCACHE_KEEP_DELETED);
	size_t kept = 0;
	for (int i = 0; i < N; i++) {
		const char *s = ifcache_name(&c, idx[i]);
		if (!s)
			continue;
		snprintf(name, sizeof(name), "k%d", i);
		ck_assert_str_eq(s, name);
		kept++;
	}
	ck_assert_uint_eq(kept, IFCACHE_KEEP_DELETED);
	ck_assert_uint_eq(c.used, IFCACHE_KEEP_DELETED + 1);

	/* Still a working table after all that shifting. */
	batch_add("z", 0, 10, "", link_type);
	ck_assert_int_eq(ifcache_process(&c), 0);
	assert_consistent(&c, true);
	ck_assert_uint_eq(c.n_deleted, IFCACHE_KEEP_DELETED);
	ifcache_close(&c);
}
END_TEST

/* Caches opened while another process creates, renames and deletes
 * interfaces: dump and events interleave; once things settle every cache
 * agrees with the kernel. */
START_TEST(test_open_during_changes)
{
	enum { MAXC = 24 };
	static struct ifcache cs[MAXC];
	int nc = 0;
	char *adds = add_lines("c", 0, 400, "group 3", link_type);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	fputs(adds, f);
	for (int i = 0; i < 400; i += 2)
		fprintf(f, "link set c%d name e%d\n", i, i);
	fputs("link del group 3\n", f);
	fputs(adds, f);
	for (int i = 0; i < 400; i += 3)
		fprintf(f, "link set c%d name f%d\n", i, i);
	fclose(f);
	free(adds);

	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char path[] = "/tmp/test_ifcache.XXXXXX";
		int fd = mkstemp(path);
		if (fd < 0 || write(fd, text, len) != (ssize_t)len)
			_exit(2);
		close(fd);
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "%s -batch %s", ip_bin(), path);
		int st = system(cmd);
		unlink(path);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 3);
	}
	free(text);

	int st;
	for (;;) {
		if (nc < MAXC)
			ck_assert_int_eq(ifcache_open(&cs[nc++]), 0);
		for (int i = 0; i < nc; i++)
			ck_assert_int_eq(ifcache_process(&cs[i]), 0);
		pid_t w = waitpid(pid, &st, WNOHANG);
		ck_assert_int_ge(w, 0);
		if (w == pid)
			break;
		usleep(5000);
	}
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	uint64_t overruns = 0;
	for (int i = 0; i < nc; i++) {
		pump(&cs[i]);
		/* An interrupted resync dump leaves no sweep: exact only if
		 * nothing overran. */
		assert_consistent(&cs[i], cs[i].overruns == 0);
		overruns += cs[i].overruns;
		ifcache_close(&cs[i]);
	}
	printf("open_during_changes (%s): %d caches, %" PRIu64 " overruns\n",
	       link_type, nc, overruns);
}
END_TEST

/* ---- parser tests (no kernel) ----------------------------------------- */

#define FAKE_PORTID 4242u

static void fake_open(struct ifcache *c)
{
	memset(c, 0, sizeof(*c));
	c->cap = INITIAL_SLOTS;
	c->tab = calloc(c->cap, sizeof(*c->tab));
	ck_assert_ptr_nonnull(c->tab);
	c->portid = FAKE_PORTID;
	c->gen = 1;
}

static union {
	uint8_t b[8192];
	struct nlmsghdr align;
} mbuf;

/* A link message at p. name may be NULL (no IFLA_IFNAME). */
static struct nlmsghdr *put_link(void *p, uint16_t type, uint8_t family,
				 int ifindex, const char *name)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(p);

	nlh->nlmsg_type = type;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = family;
	ifi->ifi_index = ifindex;
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, 6);
	return nlh;
}

static int feed_link(struct ifcache *c, uint16_t type, int ifindex,
		     const char *name)
{
	struct nlmsghdr *nlh = put_link(mbuf.b, type, AF_UNSPEC, ifindex, name);

	return parse(c, mbuf.b, nlh->nlmsg_len);
}

START_TEST(test_parse_link)
{
	struct ifcache c;

	fake_open(&c);
	ck_assert_int_eq(feed_link(&c, RTM_NEWLINK, 7, "eth7"), 0);
	assert_name(&c, 7, "eth7");
	ck_assert_int_eq(feed_link(&c, RTM_NEWLINK, 7, "wan"), 0);  /* rename */
	assert_name(&c, 7, "wan");
	/* A name of exactly IFNAMSIZ - 1 characters. */
	ck_assert_int_eq(feed_link(&c, RTM_NEWLINK, 8, "abcdefghijklmno"), 0);
	assert_name(&c, 8, "abcdefghijklmno");
	/* No name: nothing learnt, no error. */
	ck_assert_int_eq(feed_link(&c, RTM_NEWLINK, 9, NULL), 0);
	ck_assert_ptr_null(ifcache_name(&c, 9));
	/* Index 0 and negative indexes are ignored. */
	ck_assert_int_eq(feed_link(&c, RTM_NEWLINK, 0, "zero"), 0);
	ck_assert_int_eq(feed_link(&c, RTM_NEWLINK, -5, "neg"), 0);
	ck_assert_uint_eq(c.n_live, 2);

	/* AF_BRIDGE (port left a bridge) is not a deletion. */
	struct nlmsghdr *nlh = put_link(mbuf.b, RTM_DELLINK, AF_BRIDGE, 7, "wan");
	ck_assert_int_eq(parse(&c, mbuf.b, nlh->nlmsg_len), 0);
	ck_assert_uint_eq(c.n_deleted, 0);

	ck_assert_int_eq(feed_link(&c, RTM_DELLINK, 7, "wan"), 0);
	assert_name(&c, 7, "wan");
	ck_assert_uint_eq(c.n_deleted, 1);
	ck_assert_uint_eq(c.n_live, 1);
	/* Deleting again, or deleting the unknown, changes nothing. */
	ck_assert_int_eq(feed_link(&c, RTM_DELLINK, 7, "wan"), 0);
	ck_assert_int_eq(feed_link(&c, RTM_DELLINK, 77, "x"), 0);
	ck_assert_uint_eq(c.n_deleted, 1);
	ifcache_close(&c);
}
END_TEST

START_TEST(test_parse_framing)
{
	struct ifcache c;
	struct nlmsghdr *nlh;

	fake_open(&c);

	/* libmnl 1.0.4's mnl_nlmsg_ok() would take this (int)-negative
	 * length; it must not be read past the 48 bytes there are. */
	nlh = put_link(mbuf.b, RTM_NEWLINK, AF_UNSPEC, 3, "big");
	uint32_t real = nlh->nlmsg_len;
	nlh->nlmsg_len = 0x80000000u + real;
	ck_assert_int_eq(parse(&c, mbuf.b, real), -EBADMSG);
	nlh->nlmsg_len = 0xffffffffu;
	ck_assert_int_eq(parse(&c, mbuf.b, real), -EBADMSG);
	nlh->nlmsg_len = real + 1;
	ck_assert_int_eq(parse(&c, mbuf.b, real), -EBADMSG);
	nlh->nlmsg_len = sizeof(*nlh) - 1;
	ck_assert_int_eq(parse(&c, mbuf.b, real), -EBADMSG);
	nlh->nlmsg_len = real;
	ck_assert_int_eq(parse(&c, mbuf.b, sizeof(*nlh) - 1), -EBADMSG);
	ck_assert_ptr_null(ifcache_name(&c, 3));

	/* Too short for the ifinfomsg. */
	nlh->nlmsg_len = NLMSG_HDRLEN + 8;
	ck_assert_int_eq(parse(&c, mbuf.b, nlh->nlmsg_len), -EBADMSG);

	/* Two messages, the second cut short: the first still applies. */
	nlh = put_link(mbuf.b, RTM_NEWLINK, AF_UNSPEC, 4, "four");
	size_t first = NLMSG_ALIGN(nlh->nlmsg_len);
	struct nlmsghdr *n2 = put_link(mbuf.b + first, RTM_NEWLINK, AF_UNSPEC,
				       5, "five");
	ck_assert_int_eq(parse(&c, mbuf.b, first + n2->nlmsg_len), 0);
	assert_name(&c, 4, "four");
	assert_name(&c, 5, "five");
	n2 = put_link(mbuf.b + first, RTM_NEWLINK, AF_UNSPEC, 6, "six");
	ck_assert_int_eq(parse(&c, mbuf.b, first + n2->nlmsg_len - 4), -EBADMSG);
	ck_assert_ptr_null(ifcache_name(&c, 6));

	/* A bad message amid good ones: reported, the others applied. */
	nlh = put_link(mbuf.b, RTM_NEWLINK, AF_UNSPEC, 10, "ten");
	nlh->nlmsg_len = NLMSG_HDRLEN + 4;      /* no room for ifinfomsg */
	first = NLMSG_ALIGN(nlh->nlmsg_len);
	n2 = put_link(mbuf.b + first, RTM_NEWLINK, AF_UNSPEC, 11, "eleven");
	ck_assert_int_eq(parse(&c, mbuf.b, first + n2->nlmsg_len), -EBADMSG);
	assert_name(&c, 11, "eleven");
	ck_assert_ptr_null(ifcache_name(&c, 10));
	ifcache_close(&c);
}
END_TEST

START_TEST(test_parse_bad_attrs)
{
	struct ifcache c;
	struct nlmsghdr *nlh;
	struct nlattr *a;

	fake_open(&c);

	/* IFLA_IFNAME without its NUL. */
	nlh = put_link(mbuf.b, RTM_NEWLINK, AF_UNSPEC, 3, NULL);
	mnl_attr_put(nlh, IFLA_IFNAME, 4, "eth0");
	ck_assert_int_eq(parse(&c, mbuf.b, nlh->nlmsg_len), -EBADMSG);
	ck_assert_ptr_null(ifcache_name(&c, 3));

	/* IFLA_IFNAME longer than IFNAMSIZ. */
	nlh = put_link(mbuf.b, RTM_NEWLINK, AF_UNSPEC, 3, NULL);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "abcdefghijklmnopqrstuvwxyz");
	ck_assert_int_eq(parse(&c, mbuf.b, nlh->nlmsg_len), -EBADMSG);
	ck_assert_ptr_null(ifcache_name(&c, 3));

	/* Empty IFLA_IFNAME. */
	nlh = put_link(mbuf.b, RTM_NEWLINK, AF_UNSPEC, 3, NULL);
	mnl_attr_put(nlh, IFLA_IFNAME, 0, "");
	ck_assert_int_eq(parse(&c, mbuf.b, nlh->nlmsg_len), -EBADMSG);

	/* An attribute claiming more than the message holds. */
	nlh = put_link(mbuf.b, RTM_NEWLINK, AF_UNSPEC, 3, NULL);
	a = (struct nlattr *)((uint8_t *)nlh + nlh->nlmsg_len);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	a->nla_len = 200;
	ck_assert_int_eq(parse(&c, mbuf.b, nlh->nlmsg_len), -EBADMSG);
	a->nla_len = 2;
	ck_assert_int_eq(parse(&c, mbuf.b, nlh->nlmsg_len), -EBADMSG);
	ck_assert_ptr_null(ifcache_name(&c, 3));

	/* Trailing bytes too few for an attribute header are ignored. */
	nlh = put_link(mbuf.b, RTM_NEWLINK, AF_UNSPEC, 3, "ok");
	nlh->nlmsg_len += 2;
	ck_assert_int_eq(parse(&c, mbuf.b, nlh->nlmsg_len), 0);
	assert_name(&c, 3, "ok");
	ck_assert_uint_eq(c.n_live, 1);
	ifcache_close(&c);
}
END_TEST

static size_t put_ctl(uint8_t *p, uint16_t type, uint32_t seq, uint32_t pid,
		      int error)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(p);

	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = pid;
	if (type == NLMSG_ERROR) {
		struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
		e->error = error;
	} else {
		mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	}
	return nlh->nlmsg_len;
}

/* Dump end, sweep of what the dump did not see, errors, and who may end
 * a dump. */
START_TEST(test_parse_dump_end)
{
	struct ifcache c;
	size_t n;

	fake_open(&c);
	for (int i = 1; i <= 5; i++) {
		char name[IFNAMSIZ];
		snprintf(name, sizeof(name), "if%d", i);
		ck_assert_int_eq(feed_link(&c, RTM_NEWLINK, i, name), 0);
	}
	/* A dump that sees 1, 3 and 5 (as dump messages) and an event for 2. */
	c.dump_seq = 77;
	c.gen = 2;
	for (int i = 1; i <= 5; i += 2) {
		struct nlmsghdr *nlh = put_link(mbuf.b, RTM_NEWLINK, AF_UNSPEC,
						i, "x");
		nlh->nlmsg_seq = 77;
		nlh->nlmsg_pid = FAKE_PORTID;
		nlh->nlmsg_flags = NLM_F_MULTI;
		ck_assert_int_eq(parse(&c, mbuf.b, nlh->nlmsg_len), 0);
	}
	ck_assert_int_eq(feed_link(&c, RTM_NEWLINK, 2, "two"), 0);
	/* DONE with our seq from someone else (an event echoing a request
	 * seq looks like this): not our dump's end. */
	n = put_ctl(mbuf.b, NLMSG_DONE, 77, 999, 0);
	ck_assert_int_eq(parse(&c, mbuf.b, n), 0);
	ck_assert(ifcache_syncing(&c));
	n = put_ctl(mbuf.b, NLMSG_DONE, 76, FAKE_PORTID, 0);
	ck_assert_int_eq(parse(&c, mbuf.b, n), 0);
	ck_assert(ifcache_syncing(&c));
	n = put_ctl(mbuf.b, NLMSG_DONE, 77, FAKE_PORTID, 0);
	ck_assert_int_eq(parse(&c, mbuf.b, n), 0);
	ck_assert(!ifcache_syncing(&c));
	/* 4 was not seen: deleted, name kept. */
	ck_assert_uint_eq(c.n_live, 4);
	ck_assert_uint_eq(c.n_deleted, 1);
	assert_name(&c, 4, "if4");
	assert_name(&c, 2, "two");
	assert_name(&c, 5, "x");

	/* An interrupted dump does not sweep. */
	c.dump_seq = 78;
	c.gen = 3;
	struct nlmsghdr *nlh = put_link(mbuf.b, RTM_NEWLINK, AF_UNSPEC, 1, "one");
	nlh->nlmsg_seq = 78;
	nlh->nlmsg_pid = FAKE_PORTID;
	nlh->nlmsg_flags = NLM_F_MULTI | NLM_F_DUMP_INTR;
	ck_assert_int_eq(parse(&c, mbuf.b, nlh->nlmsg_len), 0);
	n = put_ctl(mbuf.b, NLMSG_DONE, 78, FAKE_PORTID, 0);
	ck_assert_int_eq(parse(&c, mbuf.b, n), 0);
	ck_assert(!ifcache_syncing(&c));
	ck_assert_uint_eq(c.n_live, 4);

	/* A failed dump reports the kernel's error. */
	c.dump_seq = 79;
	n = put_ctl(mbuf.b, NLMSG_ERROR, 79, FAKE_PORTID, -EBUSY);
	ck_assert_int_eq(parse(&c, mbuf.b, n), -EBUSY);
	ck_assert(!ifcache_syncing(&c));
	/* Someone else's error is not ours. */
	c.dump_seq = 80;
	n = put_ctl(mbuf.b, NLMSG_ERROR, 80, 1, -EPERM);
	ck_assert_int_eq(parse(&c, mbuf.b, n), 0);
	ck_assert(ifcache_syncing(&c));
	ifcache_close(&c);
}
END_TEST

/* The deletion ring: the oldest deletion is forgotten first, and an index
 * reused (and deleted again) is not evicted by its older deletion. */
START_TEST(test_parse_deleted_ring)
{
	struct ifcache c;
	const uint32_t K = IFCACHE_KEEP_DELETED;
	char name[16];

	fake_open(&c);
	for (uint32_t i = 1; i <= K + 2; i++) {
		snprintf(name, sizeof(name), "i%u", i);
		ck_assert_int_eq(feed_link(&c, RTM_NEWLINK, (int)i, name), 0);
	}
	ck_assert_uint_eq(c.n_live, K + 2);
	ck_assert_uint_ge(c.cap, 2 * (K + 2));

	/* Deletion #n goes to ring slot n % K. */
	ck_assert_int_eq(feed_link(&c, RTM_DELLINK, 1, NULL), 0);     /* #0 */
	ck_assert_int_eq(feed_link(&c, RTM_NEWLINK, 1, "again"), 0);  /* reuse */
	ck_assert_int_eq(feed_link(&c, RTM_DELLINK, 1, NULL), 0);     /* #1 */
	for (uint32_t i = 2; i < K; i++)                        /* #2..#K-1 */
		ck_assert_int_eq(feed_link(&c, RTM_DELLINK, (int)i, NULL), 0);
	ck_assert_uint_eq(c.n_deleted, K - 1);
	assert_name(&c, 1, "again");
	assert_name(&c, 2, "i2");

	/* #K takes #0's slot: index 1 was deleted again since (#1): kept. */
	ck_assert_int_eq(feed_link(&c, RTM_DELLINK, (int)K, NULL), 0);
	assert_name(&c, 1, "again");
	ck_assert_uint_eq(c.n_deleted, K);
	/* #K+1 takes #1's slot: now index 1 goes. */
	ck_assert_int_eq(feed_link(&c, RTM_DELLINK, (int)K + 1, NULL), 0);
	ck_assert_ptr_null(ifcache_name(&c, 1));
	ck_assert_uint_eq(c.n_deleted, K);
	/* #K+2 takes #2's slot: index 2 goes. */
	ck_assert_int_eq(feed_link(&c, RTM_DELLINK, (int)K + 2, NULL), 0);
	ck_assert_ptr_null(ifcache_name(&c, 2));
	ck_assert_uint_eq(c.n_deleted, K);
	ck_assert_uint_eq(c.n_live, 0);
	ck_assert_uint_eq(c.used, K);
	for (uint32_t i = 3; i <= K + 2; i++) {
		snprintf(name, sizeof(name), "i%u", i);
		assert_name(&c, i, name);
	}
	/* Every entry is still reachable by probing after the removals. */
	for (size_t s = 0; s < c.cap; s++)
		if (c.tab[s].ifindex)
			ck_assert_ptr_eq(ifcache_name(&c, c.tab[s].ifindex),
					 c.tab[s].name);
	ifcache_close(&c);
}
END_TEST

/* Heavy churn through one small table: removals keep every probe chain
 * intact (checked against a plain array). */
START_TEST(test_table_churn)
{
	struct ifcache c;
	static char want[4096][IFNAMSIZ];
	char name[16];
	uint32_t x = 12345;

	fake_open(&c);
	for (int round = 0; round < 20000; round++) {
		x = x * 1103515245u + 12345u;
		uint32_t idx = 1 + (x >> 8) % 4000;
		if ((x >> 4) & 1) {
			snprintf(name, sizeof(name), "c%u_%d", idx, round % 100);
			ck_assert_int_eq(feed_link(&c, RTM_NEWLINK, (int)idx, name), 0);
			memcpy(want[idx], name, sizeof(want[idx]));
		} else {
			ck_assert_int_eq(feed_link(&c, RTM_DELLINK, (int)idx, NULL), 0);
		}
	}
	size_t known = 0;
	for (uint32_t i = 1; i <= 4000; i++) {
		const char *s = ifcache_name(&c, i);
		if (s) {
			ck_assert_str_eq(s, want[i]);
			known++;
		}
	}
	ck_assert_uint_eq(known, c.n_live + c.n_deleted);
	ck_assert_uint_eq(known, c.used);
	ck_assert_uint_le(c.n_deleted, IFCACHE_KEEP_DELETED);
	ifcache_close(&c);
}
END_TEST

static Suite *ifcache_suite(bool root)
{
	Suite *s = suite_create("ifcache");
	TCase *tp = tcase_create("parser");

	tcase_add_test(tp, test_parse_link);
	tcase_add_test(tp, test_parse_framing);
	tcase_add_test(tp, test_parse_bad_attrs);
	tcase_add_test(tp, test_parse_dump_end);
	tcase_add_test(tp, test_parse_deleted_ring);
	tcase_add_test(tp, test_table_churn);
	tcase_set_timeout(tp, 60);
	suite_add_tcase(s, tp);

	if (root) {
		TCase *tk = tcase_create("kernel");
		tcase_add_checked_fixture(tk, netns_setup, NULL);
		tcase_add_test(tk, test_open_lo);
		tcase_add_test(tk, test_add_rename_delete);
		tcase_add_test(tk, test_index_reuse);
		tcase_add_test(tk, test_burst_300);
		tcase_add_test(tk, test_overrun_resync);
		tcase_add_test(tk, test_overrun_during_dump);
		tcase_add_test(tk, test_bridge_port);
		tcase_add_test(tk, test_deleted_bound);
		tcase_add_test(tk, test_open_during_changes);
		tcase_set_timeout(tk, 120);
		suite_add_tcase(s, tk);
	}
	return s;
}

int main(void)
{
	bool root = geteuid() == 0;

	if (!root)
		printf("test_ifcache: not root: kernel tests skipped (they need "
		       "unshare(CLONE_NEWNET) and `ip link add`); parser tests "
		       "only\n");
	setvbuf(stdout, NULL, _IONBF, 0);
	SRunner *sr = srunner_create(ifcache_suite(root));
	/* Always fork, whatever CK_FORK says: the kernel tests unshare the
	 * network namespace of the process they run in. */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
