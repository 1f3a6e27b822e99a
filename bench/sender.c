/* sender: the load generator of bench/run.sh.
 *
 * UDP datagrams from one socket to DST, sent with sendmmsg() in batches,
 * either as fast as one core can (unpaced) or paced to a target rate by a
 * token bucket (clock_gettime(CLOCK_MONOTONIC), batch granularity: a
 * batch goes out when the bucket holds a whole batch, else the sender
 * sleeps until it will).  It stops after COUNT packets or SECONDS of
 * sending, whichever comes first.
 *
 * Every packet is distinct, so records can be matched to packets:
 *   - destination port PORT_LO + (seq % (PORT_HI - PORT_LO + 1));
 *   - payload: seq (u64, little endian), send time (CLOCK_REALTIME ns,
 *     u64, little endian), then zero padding to --payload bytes.
 * --send-log FILE writes "seq dport realtime_ns" per packet (paced runs;
 * the latency measurement matches records to it by destination port).
 *
 * Prints one JSON object on stdout:
 *   {"sent":N,"seconds":S,"rate":PPS,"target_rate":R,"batch":B,
 *    "errors":E,"short_sends":K}
 * A benchmark tool: it never sends anywhere but the address it is given
 * (bench/run.sh gives it a veth peer in a namespace of its own).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 1024
#define MAX_PAYLOAD 1400
#define MIN_PAYLOAD 16

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t_ns / 1000000000u),
		.tv_nsec = (long)(t_ns % 1000000000u),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
	       !stop_flag)
		;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sender -d DST_IPV4 [-S SRC_PORT] [-p PORT_LO-PORT_HI] [-r PPS|0]\n"
		"              [-n COUNT] [-t SECONDS] [-b BATCH] [-l PAYLOAD]\n"
		"              [--send-log FILE]\n"
		"  -r 0 (default): unpaced; -n 0: no count limit; -t 0: no time limit\n"
		"  (one of -n and -t is required)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "send-log", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dst = NULL, *send_log = NULL;
	unsigned int src_port = 40000, port_lo = 1024, port_hi = 65535;
	unsigned int batch = 64, payload = 32;
	double rate = 0, seconds = 0;
	uint64_t count = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "d:S:p:r:n:t:b:l:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'd': dst = optarg; break;
		case 'S': src_port = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'p':
			if (sscanf(optarg, "%u-%u", &port_lo, &port_hi) != 2)
				usage();
			break;
		case 'r': rate = strtod(optarg, NULL); break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 'b': batch = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'l': payload = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'L': send_log = optarg; break;
		default: usage();
		}
	}
	if (!dst || (!count && seconds <= 0) || batch < 1 || batch > MAX_BATCH ||
	    payload < MIN_PAYLOAD || payload > MAX_PAYLOAD || port_lo < 1 ||
	    port_hi > 65535 || port_lo > port_hi || rate < 0 || src_port > 65535)
		usage();

	struct sockaddr_in src = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)src_port) };
	struct in_addr dst_addr;

	if (inet_pton(AF_INET, dst, &dst_addr) != 1) {
		fprintf(stderr, "sender: bad IPv4 address %s\n", dst);
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
		perror("sender: socket/bind");
		return 1;
	}
	/* A large send buffer: sendmmsg should not stop for want of room. */
	int sndbuf = 16 << 20;

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));

	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	static struct sockaddr_in addrs[MAX_BATCH];
	static uint8_t bufs[MAX_BATCH][MAX_PAYLOAD];

	for (unsigned int i = 0; i < batch; i++) {
		addrs[i].sin_family = AF_INET;
		addrs[i].sin_addr = dst_addr;
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = payload;
		msgs[i].msg_hdr.msg_name = &addrs[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(addrs[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	/* The send log: one entry per packet, kept in memory while sending. */
	uint64_t *log_t = NULL;
	uint64_t log_cap = 0;

	if (send_log) {
		log_cap = count;
		if (seconds > 0 && rate > 0) {
			uint64_t by_time = (uint64_t)(rate * seconds) + batch;

			if (!log_cap || by_time < log_cap)
				log_cap = by_time;
		}
		if (!log_cap || log_cap > 100000000u) {
			fprintf(stderr, "sender: --send-log needs -n or (-r and -t), at most 1e8 packets\n");
			return 2;
		}
		log_t = calloc(log_cap, sizeof(*log_t));
		if (!log_t) {
			perror("sender: calloc");
			return 1;
		}
	}

	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	const uint64_t nports = (uint64_t)port_hi - port_lo + 1;
	const uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	const uint64_t t_end = seconds > 0 ? t0 + (uint64_t)(seconds * 1e9) : UINT64_MAX;
	const double ns_per_pkt = rate > 0 ? 1e9 / rate : 0;
	uint64_t seq = 0, errors = 0, short_sends = 0;
	uint64_t t_last = t0;

	while (!stop_flag) {
		unsigned int n = batch;

		if (count && count - seq < n)
			n = (unsigned int)(count - seq);
		if (!n)
			break;
		if (rate > 0) {
			/* Token bucket: packet k may leave at t0 + k / rate;
			 * wait until the last of this batch may. */
			uint64_t due = t0 + (uint64_t)((double)(seq + n - 1) * ns_per_pkt);

			if (due > t_end)
				break;
			if (now_ns(CLOCK_MONOTONIC) < due)
				sleep_until(due);
			if (stop_flag)
				break;
		}
		uint64_t rt = now_ns(CLOCK_REALTIME);

		for (unsigned int i = 0; i < n; i++) {
			uint64_t s = seq + i;

			addrs[i].sin_port = htons((uint16_t)(port_lo + s % nports));
			put_le64(bufs[i], s);
			put_le64(bufs[i] + 8, rt);
		}
		unsigned int done = 0;

		while (done < n && !stop_flag) {
			int r = sendmmsg(fd, msgs + done, n - done, 0);

			if (r < 0) {
				if (errno == EINTR)
					continue;
				/* ENOBUFS and the like: count, skip the
				 * message, go on (bounded by the batch). */
				errors++;
				done++;
				continue;
			}
			if ((unsigned int)r < n - done)
				short_sends++;
			done += (unsigned int)r;
		}
		if (log_t) {
			for (unsigned int i = 0; i < n && seq + i < log_cap; i++)
				log_t[seq + i] = rt;
		}
		seq += n;
		t_last = now_ns(CLOCK_MONOTONIC);
		if (t_last >= t_end)
			break;
	}

	double secs = (double)(t_last - t0) / 1e9;
	uint64_t sent = seq - errors;

	if (log_t) {
		FILE *f = fopen(send_log, "we");

		if (!f) {
			perror(send_log);
			return 1;
		}
		for (uint64_t s = 0; s < seq && s < log_cap; s++)
			fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", s,
				port_lo + s % nports, log_t[s]);
		if (fclose(f) != 0) {
			perror(send_log);
			return 1;
		}
	}
	printf("{\"sent\":%" PRIu64 ",\"seconds\":%.6f,\"rate\":%.1f,"
	       "\"target_rate\":%.1f,\"batch\":%u,\"payload\":%u,"
	       "\"errors\":%" PRIu64 ",\"short_sends\":%" PRIu64 "}\n",
	       sent, secs, secs > 0 ? (double)sent / secs : 0.0, rate, batch,
	       payload, errors, short_sends);
	free(log_t);
	close(fd);
	return 0;
}
