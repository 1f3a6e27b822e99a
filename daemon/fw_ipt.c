/* fw_ipt: the iptables backend (struct fw_ops, see firewall.h).
 *
 * Tools: `iptables-save -c` / `ip6tables-save -c` to list, and
 * `iptables-restore --noflush -w 5` / `ip6tables-restore` fed a generated
 * input through a socket on stdin to change; found in $PATH (a default
 * with the sbin directories when it is unset) and started with
 * posix_spawn() and an argument vector, never a shell, with a clean
 * signal mask and default signal dispositions, stdout and stderr
 * captured, 30 s at most.  Whichever variant `update-alternatives` has
 * made iptables (nft or legacy) is used; both print and read the same
 * text.  The text is built and read by common/fw_ipt_text.c.
 *
 * Families: rule family ip -> iptables, ip6 -> ip6tables, inet -> both.
 *
 * Where rules go:
 *   existing chain  table fw.table, chain fw.chain; position append (-A)
 *                   or insert (-I chain N: nflogd's insert rules of a
 *                   chain keep config order at the top of it).
 *   own chain       hook = h: a user chain "<FW.TABLE>-<HOOK>" (fw.table
 *                   upper-cased, e.g. NFLOGD-INPUT) in table filter for
 *                   input/forward/output and mangle for prerouting/
 *                   postrouting, holding the rules in config order, and
 *                   reached from the built-in chain <HOOK> by a jump rule
 *                   at its top, tagged "<fw.table>:jump" like every rule
 *                   nflogd writes.  fw.priority does not apply.
 * Every rule carries the comment "<fw.table>:<rule name>"; a chain named
 * like an own chain in its table is nflogd's whole.
 *
 * Reconciling (firewall.h): apply() lists each family, builds one restore
 * input per family (nothing when it is already right) with one COMMIT per
 * table.  A stale or changed rule is deleted with `-D <chain> <the rule
 * exactly as iptables-save printed it>`; an own chain is declared
 * (`:NFLOGD-INPUT - [0:0]`, which creates it or, under --noflush, flushes
 * it) and refilled, or removed with -F/-X after its jump.  iptables
 * rewrites a match when it stores it ("-p tcp --dport 22" lists as "-p
 * tcp -m tcp --dport 22"), so a rule is known to be unchanged only by
 * comparing with what iptables-save printed for it right after nflogd
 * wrote it: that echo is learned after every apply.  On the first apply
 * nothing is learned yet, so every chain holding tagged rules (a dead
 * nflogd's) is rewritten: no duplicates, counters start from zero.
 * Positions relative to the host's rules are set when a chain is written
 * and not policed afterwards: a chain is "as configured" when its tagged
 * rules are, in order, the configured ones.
 *
 * All or none: iptables-restore commits table by table, so a failure in
 * a later table (or in ip6tables after iptables succeeded) leaves the
 * earlier commits in place.  apply() then lists again and puts back what
 * the first listing held of nflogd's (its tagged rules at their
 * positions, its own chains, with their counters: restore -c), family by
 * family; the host's rules are never part of any input.  If even that
 * fails, the error says so.  (ip6tables-nft 1.8.9 ignores restored
 * counters: rules put back there count from 0.)
 *
 * remove() deletes every tagged rule and nflogd's own chains, in both
 * families.  A table nflogd's rules made exist (iptables-nft creates
 * "filter" on first use in a fresh namespace) stays, empty:
 * iptables-restore cannot delete a table.
 *
 * verify() has nothing to wait on (event_fd() is -1): the daemon calls it
 * every fw.check_interval seconds; it lists the families the
 * configuration uses and returns 0 when apply() would change anything.
 *
 * Counters: each rule's own counters.  The limit match sits in the same
 * rule, before NFLOG, so a packet the limit suppresses is not counted:
 * packets = logged, and matched = packets (iptables cannot count the
 * suppressed ones without a second rule).
 */
#include "firewall.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fw_ipt_text.h"

extern char **environ;

#define TOOL_TIMEOUT_MS 30000
#define TOOL_OUTPUT_MAX (64u << 20)
#define DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define WAIT_LOCK "5"           /* seconds for the xtables lock */

struct ipt {
	char tag[CONFIG_TABLE_MAX];
	const struct config *applied;
	struct ipt_canon canon[IPT_NFAMILIES];
};

/* ---- running the tools ------------------------------------------------- */

struct tool_out {
	char *out, *err;        /* NUL-terminated */
	size_t out_len, err_len;
	int status;             /* waitpid() status */
};

static void tool_out_free(struct tool_out *o)
{
	free(o->out);
	free(o->err);
	memset(o, 0, sizeof(*o));
}

static int find_tool(const char *name, char *path, size_t size)
{
	const char *p = getenv("PATH");

	if (!p || !*p)
		p = DEFAULT_PATH;
	while (*p) {
		size_t n = strcspn(p, ":");
		int w = n ? snprintf(path, size, "%.*s/%s", (int)n, p, name)
			  : snprintf(path, size, "./%s", name);

		if (w > 0 && (size_t)w < size && access(path, X_OK) == 0)
			return 0;
		p += n;
		if (*p == ':')
			p++;
	}
	return -ENOENT;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* fd moved above 2, so that dup2() onto 0..2 in the child always makes a
 * copy without close-on-exec. */
static int fd_above_stdio(int fd)
{
	int nfd;

	if (fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Read what is there into *buf; 0 at EOF, 1 more to come, < 0 error. */
static int drain(int fd, char **buf, size_t *len, size_t *cap)
{
	for (;;) {
		ssize_t n;

		if (*cap - *len < 4096) {
			size_t nc = *cap ? *cap * 2 : 16384;
			char *q;

			if (nc > TOOL_OUTPUT_MAX + 1)
				return -EFBIG;
			q = realloc(*buf, nc);
			if (!q)
				return -ENOMEM;
			*buf = q;
			*cap = nc;
		}
		n = read(fd, *buf + *len, *cap - *len - 1);
		if (n > 0) {
			*len += (size_t)n;
			(*buf)[*len] = '\0';
			continue;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN ? 1 : -errno;
	}
}

static void describe_status(int st, char *buf, size_t size)
{
	if (WIFEXITED(st))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(buf, size, "wait status 0x%x", (unsigned int)st);
}

/* Run tool `name` with args (NULL-terminated) and in on its stdin.  0 when
 * it ran to its end (o->status says how); < 0 when it could not be run or
 * did not finish (err says why; o is then empty). */
static int tool_run(const char *name, const char *const *args, const char *in,
		    size_t in_len, struct tool_out *o, char *err, size_t len)
{
	char path[PATH_MAX], abuf[512], *argv[16];
	int in_sv[2] = { -1, -1 }, out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
	size_t off = 0, in_off = 0, out_cap = 0, err_cap = 0;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int64_t deadline;
	unsigned int n = 0;
	pid_t pid = -1;
	int r, st = 0;

	memset(o, 0, sizeof(*o));
	if (find_tool(name, path, sizeof(path)) < 0) {
		const char *p = getenv("PATH");

		snprintf(err, len, "%s not found in PATH (%s): is the iptables "
			 "package installed?", name, p && *p ? p : DEFAULT_PATH);
		return -ENOENT;
	}
	/* argv[0] is the tool's own name: xtables-*-multi picks what to be
	 * by it (the path may be a symlink chain).  Copies: posix_spawn()
	 * takes char *const[]. */
	for (unsigned int i = 0; i == 0 || args[i - 1]; i++) {
		const char *v = i == 0 ? name : args[i - 1];
		size_t l = strlen(v) + 1;

		if (off + l > sizeof(abuf) || n + 2 > ARRAY_LEN(argv)) {
			snprintf(err, len, "%s: too many arguments", name);
			return -E2BIG;
		}
		memcpy(abuf + off, v, l);
		argv[n++] = abuf + off;
		off += l;
	}
	argv[n] = NULL;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_sv) < 0 ||
	    pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(err, len, "cannot run %s: pipes: %s", name,
			 strerror(-r));
		goto out;
	}
	in_sv[1] = fd_above_stdio(in_sv[1]);
	out_p[1] = fd_above_stdio(out_p[1]);
	err_p[1] = fd_above_stdio(err_p[1]);
	if (in_sv[1] < 0 || out_p[1] < 0 || err_p[1] < 0) {
		r = -EMFILE;
		snprintf(err, len, "cannot run %s: %s", name, strerror(-r));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in_sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, out_p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_p[1], 2);
	posix_spawnattr_init(&at);
	/* The daemon blocks its signals (signalfd) and ignores SIGPIPE;
	 * the tool must not inherit either. */
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
				      POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (r != 0) {
		pid = -1;
		snprintf(err, len, "cannot run %s: %s", path, strerror(r));
		r = -r;
		goto out;
	}
	close_fd(&in_sv[1]);
	close_fd(&out_p[1]);
	close_fd(&err_p[1]);
	fcntl(in_sv[0], F_SETFL, O_NONBLOCK);
	fcntl(out_p[0], F_SETFL, O_NONBLOCK);
	fcntl(err_p[0], F_SETFL, O_NONBLOCK);
	if (in_len == 0)
		close_fd(&in_sv[0]);

	deadline = now_ms() + TOOL_TIMEOUT_MS;
	while (in_sv[0] >= 0 || out_p[0] >= 0 || err_p[0] >= 0) {
		struct pollfd pf[3] = {
			{ .fd = in_sv[0], .events = POLLOUT },
			{ .fd = out_p[0], .events = POLLIN },
			{ .fd = err_p[0], .events = POLLIN },
		};
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			r = -ETIMEDOUT;
			goto timeout;
		}
		if (poll(pf, 3, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			snprintf(err, len, "%s: poll: %s", name, strerror(-r));
			goto kill;
		}
		if (in_sv[0] >= 0 && pf[0].revents) {
			ssize_t w = send(in_sv[0], in + in_off, in_len - in_off,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			/* A tool that stops reading has failed: its exit
			 * status and stderr say why. */
			if (w > 0)
				in_off += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
			    in_off == in_len)
				close_fd(&in_sv[0]);
		}
		for (int i = 1; i < 3; i++) {
			int *fd = i == 1 ? &out_p[0] : &err_p[0];

			if (*fd < 0 || !pf[i].revents)
				continue;
			r = i == 1 ? drain(*fd, &o->out, &o->out_len, &out_cap)
				   : drain(*fd, &o->err, &o->err_len, &err_cap);
			if (r < 0) {
				snprintf(err, len, "%s: reading its output: %s",
					 name, r == -EFBIG ? "more than 64 MiB"
							   : strerror(-r));
				goto kill;
			}
			if (r == 0)
				close_fd(fd);
		}
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			r = -errno;
			snprintf(err, len, "%s: waitpid: %s", name,
				 strerror(-r));
			pid = -1;
			goto out;
		}
		if (now_ms() >= deadline) {
			r = -ETIMEDOUT;
			goto timeout;
		}
		nanosleep(&(struct timespec){ 0, 2 * 1000 * 1000 }, NULL);
	}
	pid = -1;
	o->status = st;
	r = 0;
	if (!o->out)
		o->out = calloc(1, 1);
	if (!o->err)
		o->err = calloc(1, 1);
	if (!o->out || !o->err) {
		r = -ENOMEM;
		snprintf(err, len, "%s: out of memory", name);
	}
	goto out;

timeout:
	snprintf(err, len, "%s did not finish within %d s and was killed",
		 name, TOOL_TIMEOUT_MS / 1000);
kill:
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	pid = -1;
out:
	close_fd(&in_sv[0]);
	close_fd(&in_sv[1]);
	close_fd(&out_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[0]);
	close_fd(&err_p[1]);
	if (r < 0)
		tool_out_free(o);
	return r;
}

/* ---- one family -------------------------------------------------------- */

static bool family_used(const struct config *c, enum ipt_family f)
{
	if (!c)
		return false;
	for (unsigned int i = 0; i < c->n_rules; i++)
		if (ipt_rule_in_family(c, &c->rules[i], f))
			return true;
	return false;
}

/* `iptables-save -c` of family f, parsed for tag. */
static int list_family(enum ipt_family f, const char *tag,
		       struct ipt_listing *l, char *err, size_t len)
{
	static const char *const args[] = { "-c", NULL };
	const char *tool = ipt_save_tool(f);
	struct tool_out o;
	unsigned int bad = 0;
	char how[64], why[512];
	int r;

	memset(l, 0, sizeof(*l));
	r = tool_run(tool, args, NULL, 0, &o, err, len);
	if (r < 0)
		return r;
	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0) {
		describe_status(o.status, how, sizeof(how));
		ipt_error_reason(o.err, why, sizeof(why));
		snprintf(err, len, "cannot list the %s rules: %s failed (%s)%s%s",
			 ipt_family_name(f), tool, how, why[0] ? ": " : "",
			 why);
		tool_out_free(&o);
		return -EIO;
	}
	r = ipt_listing_parse(l, o.out, o.out_len, tag, &bad);
	if (r == -EINVAL) {
		const char *s = o.out;

		for (unsigned int i = 1; i < bad && s; i++)
			if ((s = strchr(s, '\n')))
				s++;
		snprintf(err, len, "cannot read %s's output: line %u is not "
			 "what iptables-save prints: \"%.*s\"", tool, bad,
			 s ? (int)strcspn(s, "\n") : 0, s ? s : "");
	} else if (r < 0) {
		snprintf(err, len, "%s: reading its output: %s", tool,
			 strerror(-r));
	}
	tool_out_free(&o);
	return r;
}

/* Run plan p through family f's iptables-restore. */
static int restore_family(enum ipt_family f, const struct ipt_plan *p,
			  char *err, size_t len)
{
	static const char *const args[] = { "--noflush", "-w", WAIT_LOCK,
					     NULL };
	static const char *const args_c[] = { "--noflush", "-w", WAIT_LOCK,
					       "--counters", NULL };
	const char *tool = ipt_restore_tool(f);
	char how[64], what[256], why[512], text[256];
	struct tool_out o;
	unsigned int line;
	int r;

	r = tool_run(tool, p->counters ? args_c : args, p->text, p->len, &o,
		     err, len);
	if (r < 0)
		return r;
	if (WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0) {
		tool_out_free(&o);
		return 0;
	}
	describe_status(o.status, how, sizeof(how));
	ipt_error_reason(o.err, why, sizeof(why));
	line = ipt_error_line(o.err);
	if (line) {
		ipt_plan_line_what(p, line, what, sizeof(what));
		ipt_plan_line_text(p, line, text, sizeof(text));
		snprintf(err, len, "%s, family %s: %s failed (%s): %s "
			 "[input line %u: %s]", what, ipt_family_name(f), tool,
			 how, why[0] ? why : "no message", line, text);
	} else {
		snprintf(err, len, "family %s: %s failed (%s): %s",
			 ipt_family_name(f), tool, how,
			 why[0] ? why : "no message");
	}
	tool_out_free(&o);
	return -EIO;
}

/* Append ": <fmt>" to err (which holds a message already). */
static void err_append(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void err_append(char *err, size_t len, const char *fmt, ...)
{
	size_t n = strnlen(err, len);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, len - n, fmt, ap);
	va_end(ap);
}

/* Put back what before[] held of nflogd's in the families that ran. */
static void roll_back(const char *tag, const struct ipt_listing *before,
		      const bool *ran, char *err, size_t len)
{
	bool undone = false, failed = false;

	for (int f = IPT_NFAMILIES - 1; f >= 0; f--) {
		struct ipt_listing now;
		struct ipt_want w;
		struct ipt_plan p;
		char rerr[FW_ERR_MAX];
		int r;

		if (!ran[f])
			continue;
		r = list_family((enum ipt_family)f, tag, &now, rerr,
				sizeof(rerr));
		if (r == 0) {
			r = ipt_want_from_listing(&w, &before[f]);
			if (r == 0) {
				r = ipt_plan_build(&p, &now, &w);
				if (r == 0 && p.n_changed) {
					r = restore_family((enum ipt_family)f,
							   &p, rerr,
							   sizeof(rerr));
					undone = undone || r == 0;
				}
				if (r == -ENOMEM)
					snprintf(rerr, sizeof(rerr),
						 "out of memory");
				ipt_plan_free(&p);
				ipt_want_free(&w);
			} else {
				snprintf(rerr, sizeof(rerr), "out of memory");
			}
			ipt_listing_free(&now);
		}
		if (r < 0) {
			failed = true;
			err_append(err, len, "; and putting back the %s rules "
				   "as they were failed too: %s",
				   ipt_family_name((enum ipt_family)f), rerr);
		}
	}
	if (!failed)
		err_append(err, len, undone ? "; what had been committed was "
			   "rolled back: nothing changed" : "; nothing changed");
}

/* ---- fw_ops ------------------------------------------------------------ */

static int ipt_open(void **st, const struct config *c, char *err, size_t len)
{
	struct ipt *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	snprintf(s->tag, sizeof(s->tag), "%s", c->fw.table);
	*st = s;
	return 0;
}

static int ipt_apply(void *st, const struct config *c, char *err, size_t len)
{
	struct ipt *s = st;
	struct ipt_listing before[IPT_NFAMILIES], after;
	struct ipt_want want[IPT_NFAMILIES];
	struct ipt_canon learned[IPT_NFAMILIES];
	bool listed[IPT_NFAMILIES] = { false }, ran[IPT_NFAMILIES] = { false };
	int ret = -1, r;

	memset(before, 0, sizeof(before));
	memset(want, 0, sizeof(want));
	memset(learned, 0, sizeof(learned));
	for (int f = 0; f < IPT_NFAMILIES; f++) {
		char lerr[FW_ERR_MAX];

		if (ipt_want_build(&want[f], c, (enum ipt_family)f, err,
				   len) < 0)
			goto out;
		ipt_canon_attach(&s->canon[f], &want[f]);
		r = list_family((enum ipt_family)f, c->fw.table, &before[f],
				lerr, sizeof(lerr));
		if (r < 0) {
			/* A family without rules of ours: its leftovers
			 * cannot be seen, nor can they be in the way. */
			if (!family_used(c, (enum ipt_family)f))
				continue;
			snprintf(err, len, "%s; nothing changed", lerr);
			goto out;
		}
		listed[f] = true;
	}
	for (int f = 0; f < IPT_NFAMILIES; f++) {
		struct ipt_plan p;

		if (!listed[f])
			continue;
		if (ipt_plan_build(&p, &before[f], &want[f]) < 0) {
			snprintf(err, len, "out of memory");
			roll_back(c->fw.table, before, ran, err, len);
			goto out;
		}
		if (p.n_changed) {
			/* Before it runs: a failure may leave some of its
			 * tables committed. */
			ran[f] = true;
			r = restore_family((enum ipt_family)f, &p, err, len);
			if (r < 0) {
				ipt_plan_free(&p);
				roll_back(c->fw.table, before, ran, err, len);
				goto out;
			}
		}
		ipt_plan_free(&p);
	}
	/* What iptables made of our text, for the next comparison.  A
	 * failure here only means the next apply rewrites the chains. */
	for (int f = 0; f < IPT_NFAMILIES; f++) {
		char lerr[FW_ERR_MAX];

		if (!family_used(c, (enum ipt_family)f) ||
		    list_family((enum ipt_family)f, c->fw.table, &after, lerr,
				sizeof(lerr)) < 0)
			continue;
		ipt_canon_learn(&learned[f], &want[f], &after);
		ipt_listing_free(&after);
	}
	for (int f = 0; f < IPT_NFAMILIES; f++) {
		ipt_canon_free(&s->canon[f]);
		s->canon[f] = learned[f];
	}
	s->applied = c;
	snprintf(s->tag, sizeof(s->tag), "%s", c->fw.table);
	ret = 0;
out:
	for (int f = 0; f < IPT_NFAMILIES; f++) {
		ipt_listing_free(&before[f]);
		ipt_want_free(&want[f]);
	}
	return ret;
}

static int ipt_verify(void *st, char *err, size_t len)
{
	struct ipt *s = st;
	const struct config *c = s->applied;
	int ret = 1;

	if (!c)
		return 1;
	for (int f = 0; f < IPT_NFAMILIES && ret == 1; f++) {
		struct ipt_listing l;
		struct ipt_want w;
		struct ipt_plan p;

		if (!family_used(c, (enum ipt_family)f))
			continue;
		if (ipt_want_build(&w, c, (enum ipt_family)f, err, len) < 0)
			return -EINVAL;
		ipt_canon_attach(&s->canon[f], &w);
		if (list_family((enum ipt_family)f, s->tag, &l, err, len) < 0) {
			ipt_want_free(&w);
			return -EIO;
		}
		if (ipt_plan_build(&p, &l, &w) < 0) {
			snprintf(err, len, "out of memory");
			ret = -ENOMEM;
		} else if (p.n_changed) {
			ret = 0;
		}
		ipt_plan_free(&p);
		ipt_listing_free(&l);
		ipt_want_free(&w);
	}
	return ret;
}

/* The NFLOG rule tagged `name` in table/chain (not a jump). */
static const struct ipt_rule *find_rule(const struct ipt_listing *l,
					const char *table, const char *chain,
					const char *name)
{
	int ch = ipt_listing_chain(l, table, chain);

	for (unsigned int i = 0; ch >= 0 && i < l->n_rules; i++) {
		const struct ipt_rule *r = &l->rules[i];

		if (r->chain == (unsigned int)ch && r->tagged &&
		    strcmp(r->target, "NFLOG") == 0 &&
		    strcmp(r->name, name) == 0)
			return r;
	}
	return NULL;
}

static int ipt_counters(void *st, struct fw_counters *out, char *err,
			size_t len)
{
	struct ipt *s = st;
	const struct config *c = s->applied;
	struct ipt_listing l[IPT_NFAMILIES];
	bool listed[IPT_NFAMILIES] = { false };
	int ret = 0;

	if (!c)
		return 0;
	memset(l, 0, sizeof(l));
	for (int f = 0; f < IPT_NFAMILIES; f++) {
		if (!family_used(c, (enum ipt_family)f))
			continue;
		if (list_family((enum ipt_family)f, s->tag, &l[f], err,
				len) < 0) {
			ret = -EIO;
			goto out;
		}
		listed[f] = true;
	}
	for (unsigned int i = 0; i < c->n_rules; i++) {
		const struct config_rule *cr = &c->rules[i];
		struct fw_counters *o = &out[i];
		char table[IPT_NAME_MAX], chain[IPT_NAME_MAX];

		memset(o, 0, sizeof(*o));
		o->installed = config_rule_installed(c, cr);
		if (!o->installed ||
		    ipt_rule_chain(c, cr, table, chain) < 0)
			continue;
		o->present = true;
		for (int f = 0; f < IPT_NFAMILIES; f++) {
			const struct ipt_rule *r;

			if (!ipt_rule_in_family(c, cr, (enum ipt_family)f))
				continue;
			r = listed[f] ? find_rule(&l[f], table, chain,
						  cr->name) : NULL;
			if (!r) {
				o->present = false;
				continue;
			}
			o->packets += r->packets;
			o->bytes += r->bytes;
		}
		o->matched = o->packets;
	}
out:
	for (int f = 0; f < IPT_NFAMILIES; f++)
		ipt_listing_free(&l[f]);
	return ret;
}

static int ipt_remove(void *st, char *err, size_t len)
{
	struct ipt *s = st;
	int ret = 0;

	for (int f = 0; f < IPT_NFAMILIES; f++) {
		char ferr[FW_ERR_MAX];
		struct ipt_listing l;
		struct ipt_want w;
		struct ipt_plan p;
		int r;

		r = list_family((enum ipt_family)f, s->tag, &l, ferr,
				sizeof(ferr));
		if (r < 0) {
			/* nothing of ours can be there if nothing was
			 * applied to it */
			if (family_used(s->applied, (enum ipt_family)f) &&
			    ret == 0) {
				snprintf(err, len, "%s", ferr);
				ret = r;
			}
			continue;
		}
		memset(&w, 0, sizeof(w));
		snprintf(w.tag, sizeof(w.tag), "%s", s->tag);
		r = ipt_plan_build(&p, &l, &w);
		if (r < 0)
			snprintf(ferr, sizeof(ferr), "out of memory");
		else if (p.n_changed)
			r = restore_family((enum ipt_family)f, &p, ferr,
					   sizeof(ferr));
		if (r < 0 && ret == 0) {
			snprintf(err, len, "%s", ferr);
			ret = r;
		}
		ipt_plan_free(&p);
		ipt_listing_free(&l);
	}
	if (ret == 0) {
		for (int f = 0; f < IPT_NFAMILIES; f++)
			ipt_canon_free(&s->canon[f]);
		s->applied = NULL;
	}
	return ret;
}

static int ipt_event_fd(void *st)
{
	(void)st;
	return -1;
}

static int ipt_event_read(void *st)
{
	(void)st;
	return 0;
}

static void ipt_close(void *st)
{
	struct ipt *s = st;

	if (!s)
		return;
	for (int f = 0; f < IPT_NFAMILIES; f++)
		ipt_canon_free(&s->canon[f]);
	free(s);
}

const struct fw_ops fw_ipt_ops = {
	.name = "iptables",
	.open = ipt_open,
	.apply = ipt_apply,
	.verify = ipt_verify,
	.counters = ipt_counters,
	.remove = ipt_remove,
	.event_fd = ipt_event_fd,
	.event_read = ipt_event_read,
	.close = ipt_close,
};
