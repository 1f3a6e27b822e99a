/* nflog_count: the floor of the NFLOG receive path, for bench/run.sh.
 *
 * Binds one NFLOG group with libmnl, with the kernel batch settings given
 * on the command line (bench/run.sh passes nflogd's defaults, read from
 * `nflogd --print-config`), and does only what any receiver must: receive
 * the datagrams, walk their netlink messages, find each packet message's
 * NFULA_SEQ and count packets and sequence gaps.  No decoding, no output.
 *
 * Counters:
 *   received   packet messages
 *   lost       packets missing from the sequence (F_SEQ): the kernel
 *              dropped them because the socket was full
 *   overruns   recv() calls that returned ENOBUFS
 *   truncated  datagrams larger than the receive buffer
 *   datagrams  datagrams received
 * They go to --stats FILE (rewritten, atomically, at most every 100 ms
 * while they change) and to stdout as one JSON object at exit.
 * SIGTERM/SIGINT: wait --linger ms (default 100: longer than the flush
 * timeout, so the kernel's last partial batch arrives), drain the socket,
 * unbind the group, print, exit.
 *
 * Never sends PF_BIND/PF_UNBIND (they change the namespace's log backend).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#define PACKET_TYPE ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)

struct counters {
	uint64_t received, lost, overruns, truncated, datagrams, no_seq;
	uint32_t next_seq;
	bool seq_valid;
};

static struct counters C;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void print_json(FILE *f)
{
	fprintf(f, "{\"received\":%" PRIu64 ",\"lost\":%" PRIu64
		",\"overruns\":%" PRIu64 ",\"truncated\":%" PRIu64
		",\"datagrams\":%" PRIu64 ",\"no_seq\":%" PRIu64 "}\n",
		C.received, C.lost, C.overruns, C.truncated, C.datagrams,
		C.no_seq);
}

static void write_stats(const char *path)
{
	char tmp[4096];
	FILE *f;

	if (!path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return;
	print_json(f);
	if (fclose(f) == 0)
		rename(tmp, path);
}

/* The sequence number is the only attribute we look at. */
static void count_packet(const struct nlmsghdr *nlh)
{
	/* libmnl's mnl_attr_for_each() casts the const away: walk by hand. */
	const struct nlattr *a = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg));
	const char *end = mnl_nlmsg_get_payload_tail(nlh);

	C.received++;
	while (mnl_attr_ok(a, (int)(end - (const char *)a))) {
		if (mnl_attr_get_type(a) == NFULA_SEQ &&
		    mnl_attr_get_payload_len(a) >= 4) {
			uint32_t seq = ntohl(mnl_attr_get_u32(a));

			if (C.seq_valid && seq != C.next_seq)
				C.lost += (uint32_t)(seq - C.next_seq);
			C.seq_valid = true;
			C.next_seq = seq + 1;
			return;
		}
		a = mnl_attr_next(a);
	}
	C.no_seq++;
}

/* Returns the NLMSG_ERROR code of the message with sequence ack_seq, if
 * it was in this datagram (*acked then true). */
static int walk(const void *buf, size_t len, uint32_t ack_seq, bool *acked)
{
	const struct nlmsghdr *nlh = buf;
	size_t left = len;
	int err = 0;

	while (left >= sizeof(*nlh)) {
		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > left)
			break;
		if (nlh->nlmsg_type == PACKET_TYPE) {
			count_packet(nlh);
		} else if (nlh->nlmsg_type == NLMSG_ERROR && ack_seq &&
			   nlh->nlmsg_seq == ack_seq &&
			   nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			err = e->error;
			*acked = true;
		}
		if (NLMSG_ALIGN(nlh->nlmsg_len) >= left)
			break;
		left -= NLMSG_ALIGN(nlh->nlmsg_len);
		nlh = (const struct nlmsghdr *)((const uint8_t *)nlh +
						NLMSG_ALIGN(nlh->nlmsg_len));
	}
	return err;
}

static uint8_t *rbuf;
static size_t rbuf_size;

/* One recv; 1 = got a datagram, 0 = nothing there, -errno on error. */
static int recv_one(int fd, uint32_t ack_seq, bool *acked, int *ack_err)
{
	ssize_t n = recv(fd, rbuf, rbuf_size, MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (errno == ENOBUFS) {
			C.overruns++;
			return 1;
		}
		return -errno;
	}
	C.datagrams++;
	if ((size_t)n > rbuf_size) {
		C.truncated++;
		n = (ssize_t)rbuf_size;
	}
	int e = walk(rbuf, (size_t)n, ack_seq, acked);

	if (acked && *acked && ack_err)
		*ack_err = e;
	return 1;
}

static struct nlmsghdr *cfg_header(void *buf, uint16_t group)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(group);
	return nlh;
}

static int request(struct mnl_socket *nl, struct nlmsghdr *nlh, uint32_t seq)
{
	int fd = mnl_socket_get_fd(nl);
	bool acked = false;
	int err = 0;

	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (int tries = 0; !acked && tries < 200; tries++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 10) < 0 && errno != EINTR)
			return -errno;
		int r = recv_one(fd, seq, &acked, &err);

		if (r < 0)
			return r;
	}
	return acked ? err : -ETIMEDOUT;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nflog_count -g GROUP [--copy-range N] [--qthresh N] [--timeout N]\n"
		"                   [--nlbufsiz N] [--rcvbuf N] [--bufsize N]\n"
		"                   [--stats FILE] [--linger MS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "copy-range", required_argument, NULL, 'c' },
		{ "qthresh", required_argument, NULL, 'q' },
		{ "timeout", required_argument, NULL, 't' },
		{ "nlbufsiz", required_argument, NULL, 'N' },
		{ "rcvbuf", required_argument, NULL, 'R' },
		{ "bufsize", required_argument, NULL, 'B' },
		{ "stats", required_argument, NULL, 's' },
		{ "linger", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	long group = -1, copy_range = 256, qthresh = 64, timeout = 2;
	long nlbufsiz = 131072, rcvbuf = 8388608, bufsize = 1 << 20, linger = 100;
	const char *stats = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "g:", lopts, NULL)) != -1) {
		switch (opt) {
		case 'g': group = strtol(optarg, NULL, 10); break;
		case 'c': copy_range = strtol(optarg, NULL, 10); break;
		case 'q': qthresh = strtol(optarg, NULL, 10); break;
		case 't': timeout = strtol(optarg, NULL, 10); break;
		case 'N': nlbufsiz = strtol(optarg, NULL, 10); break;
		case 'R': rcvbuf = strtol(optarg, NULL, 10); break;
		case 'B': bufsize = strtol(optarg, NULL, 10); break;
		case 's': stats = optarg; break;
		case 'l': linger = strtol(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (group < 0 || group > 65535 || copy_range < 0 || copy_range > 65535 ||
	    bufsize < 65536 || rcvbuf < 4096 || linger < 0)
		usage();

	rbuf_size = (size_t)bufsize;
	rbuf = aligned_alloc(8, rbuf_size);
	if (!rbuf) {
		perror("nflog_count: alloc");
		return 1;
	}

	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);

	if (sfd < 0 || !nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nflog_count: socket");
		return 1;
	}
	int fd = mnl_socket_get_fd(nl);
	int sz = (int)rcvbuf;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0) {
		perror("nflog_count: SO_RCVBUF");
		return 1;
	}

	/* Bind and configure in one message, as nflogd does. */
	uint8_t req[512] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = cfg_header(req, (uint16_t)group);
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = {
		.copy_range = htonl((uint32_t)(copy_range ? copy_range : 0xffff)),
		.copy_mode = NFULNL_COPY_PACKET,
	};
	uint32_t seq = (uint32_t)time(NULL);

	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_NLBUFSIZ, htonl((uint32_t)nlbufsiz));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl((uint32_t)timeout));
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl((uint32_t)qthresh));
	mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(NFULNL_CFG_F_SEQ));
	int r = request(nl, nlh, ++seq);

	if (r < 0) {
		fprintf(stderr, "nflog_count: cannot bind group %ld: %s\n", group,
			strerror(-r));
		return 1;
	}
	fprintf(stderr, "nflog_count: group %ld bound (copy_range %ld, qthresh %ld, "
		"timeout %ld, nlbufsiz %ld, rcvbuf %ld)\n", group, copy_range,
		qthresh, timeout, nlbufsiz, rcvbuf);
	write_stats(stats);

	uint64_t last_write = now_ms(), written_received = 0, written_lost = 0;
	bool stopping = false;

	while (!stopping) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		int n = poll(p, 2, 100);

		if (n < 0 && errno != EINTR) {
			perror("nflog_count: poll");
			break;
		}
		if (p[0].revents) {
			/* Read what is there, bounded so stats still go out. */
			for (int i = 0; i < 256; i++) {
				r = recv_one(fd, 0, NULL, NULL);
				if (r <= 0)
					break;
			}
			if (r < 0) {
				fprintf(stderr, "nflog_count: recv: %s\n", strerror(-r));
				break;
			}
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				stopping = true;
		}
		uint64_t t = now_ms();

		if (t - last_write >= 100 &&
		    (C.received != written_received || C.lost != written_lost)) {
			write_stats(stats);
			last_write = t;
			written_received = C.received;
			written_lost = C.lost;
		}
	}

	/* The kernel's last partial batch: wait past the flush timeout, then
	 * drain what is queued. */
	struct timespec ls = { .tv_sec = linger / 1000, .tv_nsec = (linger % 1000) * 1000000 };

	nanosleep(&ls, NULL);
	for (int i = 0; i < 100000; i++)
		if (recv_one(fd, 0, NULL, NULL) <= 0)
			break;

	nlh = cfg_header(req, (uint16_t)group);
	cmd.command = NFULNL_CFG_CMD_UNBIND;
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	(void)request(nl, nlh, ++seq);

	write_stats(stats);
	print_json(stdout);
	mnl_socket_close(nl);
	free(rbuf);
	return 0;
}
