/* bench_format: nanoseconds per packet of the per-packet work in common/,
 * on two packets as the kernel sends them (a real NFLOG netlink message
 * with prefix, indev, hwaddr, hwheader and timestamp):
 *   a TCP SYN with the options Linux sends (MSS, SACK-perm, TS, NOP, WS;
 *   a 60-byte IPv4 packet) and a 60-byte UDP packet.
 * Measured: (a) nflog_msg_parse + decode_packet, (b) fmt_log with every
 * flag, (c) fmt_json, (d) fmt_journal.  Each figure is the median of RUNS
 * runs of ITER iterations, timed with CLOCK_MONOTONIC.
 *
 * It also counts heap allocations made while timing, which must be zero:
 * malloc and friends are replaced for the whole process (glibc supports
 * replacing them; we forward to __libc_malloc & co.), so an allocation
 * made inside libc on our behalf (snprintf, strftime, ...) counts too,
 * which -Wl,--wrap=malloc would miss.
 *
 * Usage: bench_format [ITERATIONS] (default 2000000).  A benchmark, not a
 * test: it prints a table and fails only if a formatter fails or something
 * allocates.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "decode.h"
#include "fmt_journal.h"
#include "fmt_json.h"
#include "fmt_log.h"
#include "nflog_msg.h"

#define RUNS 5
#define DEFAULT_ITER 2000000L

/* ------------------------------------------------------------ allocations */

#ifndef BENCH_NO_ALLOC_COUNT
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);
extern void *__libc_valloc(size_t n);
extern void *__libc_pvalloc(size_t n);

static unsigned long n_alloc;

static void counted(void)
{
	__atomic_add_fetch(&n_alloc, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t n)
{
	counted();
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	counted();
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	counted();
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}

void *memalign(size_t align, size_t n);
void *memalign(size_t align, size_t n)
{
	counted();
	return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	counted();
	return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	counted();
	if (align % sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = __libc_memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t n)
{
	counted();
	return __libc_valloc(n);
}

void *pvalloc(size_t n);
void *pvalloc(size_t n)
{
	counted();
	return __libc_pvalloc(n);
}

static unsigned long allocations(void)
{
	return __atomic_load_n(&n_alloc, __ATOMIC_RELAXED);
}
#else
static unsigned long allocations(void)
{
	return 0;
}
#endif

/* ------------------------------------------------------------ packets */

static const uint8_t tcp_syn[60] = {
	/* IPv4: 10.0.0.1 -> 10.0.0.2, DF, TTL 64, TCP */
	0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00,
	0x40, 0x06, 0x0a, 0x74, 0x0a, 0x00, 0x00, 0x01,
	0x0a, 0x00, 0x00, 0x02,
	/* TCP: 54321 -> 22, SYN, window 64240, data offset 10 */
	0xd4, 0x31, 0x00, 0x16, 0x12, 0x34, 0x56, 0x78,
	0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
	0x00, 0x00, 0x00, 0x00,
	/* MSS 1460, SACK permitted, TS, NOP, WS 7 */
	0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
	0x9a, 0x3c, 0x1f, 0x22, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x03, 0x03, 0x07,
};

static const uint8_t udp_dns[60] = {
	/* IPv4: 10.0.0.1 -> 10.0.0.53, TTL 64, UDP */
	0x45, 0x00, 0x00, 0x3c, 0x7a, 0x10, 0x00, 0x00,
	0x40, 0x11, 0xec, 0x6b, 0x0a, 0x00, 0x00, 0x01,
	0x0a, 0x00, 0x00, 0x35,
	/* UDP: 41000 -> 53, length 40 */
	0xa0, 0x28, 0x00, 0x35, 0x00, 0x28, 0x00, 0x00,
	/* 32 bytes: a DNS query for example.com A */
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x07, 'e', 'x', 'a',
	'm', 'p', 'l', 'e', 0x03, 'c', 'o', 'm',
	0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
};

static const uint8_t mac_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x99, 0x01 };
static const uint8_t mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x99, 0x02 };

/* One NFLOG packet message as nfnetlink_log builds it for an input-hook
 * rule (attribute order of __build_packet_message()). */
static struct nlmsghdr *build_msg(void *buf, const uint8_t *pkt, size_t len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nfulnl_msg_packet_hdr ph = {
		.hw_protocol = htons(0x0800), .hook = NF_INET_LOCAL_IN,
	};
	struct nfulnl_msg_packet_hw hw = { .hw_addrlen = htons(6) };
	struct nfulnl_msg_packet_timestamp ts = {
		.sec = htobe64(1700000000), .usec = htobe64(123456),
	};
	uint8_t hwhdr[14];

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_IPV4;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(1);

	memcpy(hw.hw_addr, mac_src, 6);
	memcpy(hwhdr, mac_dst, 6);
	memcpy(hwhdr + 6, mac_src, 6);
	hwhdr[12] = 0x08;
	hwhdr[13] = 0x00;

	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_strz(nlh, NFULA_PREFIX, "nft drop in: ");
	mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(2));
	mnl_attr_put(nlh, NFULA_HWADDR, sizeof(hw), &hw);
	mnl_attr_put_u16(nlh, NFULA_HWTYPE, htons(1));
	mnl_attr_put_u16(nlh, NFULA_HWLEN, htons(14));
	mnl_attr_put(nlh, NFULA_HWHEADER, sizeof(hwhdr), hwhdr);
	mnl_attr_put(nlh, NFULA_TIMESTAMP, sizeof(ts), &ts);
	mnl_attr_put(nlh, NFULA_PAYLOAD, len, pkt);
	return nlh;
}

/* ------------------------------------------------------------ timing */

static const struct log_ifnames ifn = { .in = "eth0" };
/* As the daemon does: the cache saves formatting the date and time of
 * day again while the second has not changed. */
static struct json_time_cache jtc;
static const struct json_ctx jctx = {
	.ifn = &ifn, .rule = "drop-inbound", .host = "fw1", .action = "drop",
	.now_sec = 1700000000, .now_usec = 200000, .tc = &jtc,
};
static const struct journal_ctx lctx = {
	.ifn = &ifn, .log_flags = LOG_F_ALL, .priority = 4,
	.rule = "drop-inbound",
};

static volatile long sink;

enum op { OP_PARSE, OP_LOG, OP_JSON, OP_JOURNAL, N_OPS };
static const char *const op_name[N_OPS] = {
	"nflog_msg_parse + decode_packet",
	"fmt_log (all flags)",
	"fmt_json",
	"fmt_journal",
};

struct bench {
	const struct nlmsghdr *nlh;
	struct nflog_meta meta;
	struct record rec;
	char line[FMT_JSON_MAX];
	struct journal_fields jf;
};

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* One run of n iterations of op; returns ns per iteration. */
static double run(struct bench *b, enum op op, long n)
{
	long acc = 0;
	double t0 = now_ns();

	switch (op) {
	case OP_PARSE:
		for (long i = 0; i < n; i++) {
			acc += nflog_msg_parse(b->nlh, &b->meta);
			decode_packet(&b->meta, &b->rec);
			acc += b->rec.ip.l4;
		}
		break;
	case OP_LOG:
		for (long i = 0; i < n; i++)
			acc += fmt_log(&b->rec, &ifn, LOG_F_ALL, b->line,
				       sizeof(b->line));
		break;
	case OP_JSON:
		for (long i = 0; i < n; i++)
			acc += fmt_json(&b->rec, &jctx, b->line,
					sizeof(b->line));
		break;
	case OP_JOURNAL:
		for (long i = 0; i < n; i++)
			acc += fmt_journal(&b->rec, &lctx, &b->jf);
		break;
	default:
		abort();
	}
	sink = acc;
	return (now_ns() - t0) / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_of_runs(struct bench *b, enum op op, long n)
{
	double t[RUNS];

	run(b, op, n / 20 + 1);         /* warm caches and branch predictors */
	for (int i = 0; i < RUNS; i++)
		t[i] = run(b, op, n);
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	return t[RUNS / 2];
}

/* Prove each path works on this packet before timing it. */
static int prepare(struct bench *b, const char *name, int verbose)
{
	int r;

	if ((r = nflog_msg_parse(b->nlh, &b->meta)) < 0) {
		fprintf(stderr, "%s: nflog_msg_parse: %s\n", name, strerror(-r));
		return -1;
	}
	decode_packet(&b->meta, &b->rec);
	if (b->rec.ip.status != DECODE_OK || b->rec.ip.l4 != L4_DECODED) {
		fprintf(stderr, "%s: did not decode fully\n", name);
		return -1;
	}
	if ((r = fmt_log(&b->rec, &ifn, LOG_F_ALL, b->line,
			 sizeof(b->line))) < 0) {
		fprintf(stderr, "%s: fmt_log: %s\n", name, strerror(-r));
		return -1;
	}
	if (verbose)
		printf("%s LOG:     %s\n", name, b->line);
	if ((r = fmt_json(&b->rec, &jctx, b->line, sizeof(b->line))) < 0) {
		fprintf(stderr, "%s: fmt_json: %s\n", name, strerror(-r));
		return -1;
	}
	if (verbose)
		printf("%s JSON:    %s\n", name, b->line);
	if ((r = fmt_journal(&b->rec, &lctx, &b->jf)) < 0) {
		fprintf(stderr, "%s: fmt_journal: %s\n", name, strerror(-r));
		return -1;
	}
	if (verbose)
		printf("%s journal: %d fields, %zu bytes\n", name, r,
		       b->jf.used);
	return 0;
}

int main(int argc, char **argv)
{
	static struct bench b[2];
	static uint8_t msgbuf[2][1024] __attribute__((aligned(8)));
	static const char *const pkt_name[2] = { "TCP SYN", "UDP" };
	double res[2][N_OPS];
	long iter = DEFAULT_ITER;
	int verbose = 0;
	unsigned long before, during;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			verbose = 1;
		} else {
			char *end;

			iter = strtol(argv[i], &end, 10);
			if (*end || iter <= 0) {
				fprintf(stderr, "usage: %s [-v] [ITERATIONS]\n",
					argv[0]);
				return 2;
			}
		}
	}

#ifndef BENCH_NO_ALLOC_COUNT
	{
		/* The counter must see an allocation we know of. */
		void *(*volatile m)(size_t) = malloc;
		unsigned long c0 = allocations();

		free(m(16));
		if (allocations() != c0 + 1) {
			fprintf(stderr, "allocation counter does not work\n");
			return 1;
		}
	}
#endif

	b[0].nlh = build_msg(msgbuf[0], tcp_syn, sizeof(tcp_syn));
	b[1].nlh = build_msg(msgbuf[1], udp_dns, sizeof(udp_dns));
	for (int p = 0; p < 2; p++)
		if (prepare(&b[p], pkt_name[p], verbose) < 0)
			return 1;

	before = allocations();
	for (int p = 0; p < 2; p++)
		for (int o = 0; o < N_OPS; o++)
			res[p][o] = median_of_runs(&b[p], (enum op)o, iter);
	during = allocations() - before;

	printf("iterations: %ld per run, median of %d runs\n", iter, RUNS);
	printf("| %-31s | %9s | %9s |\n", "ns per packet", pkt_name[0],
	       pkt_name[1]);
	puts("|---------------------------------|----------:|----------:|");
	for (int o = 0; o < N_OPS; o++)
		printf("| %-31s | %9.1f | %9.1f |\n", op_name[o], res[0][o],
		       res[1][o]);
#ifndef BENCH_NO_ALLOC_COUNT
	printf("allocations: %lu\n", during);
	return during ? 1 : 0;
#else
	(void)during;
	printf("allocations: not counted (sanitizer build)\n");
	return 0;
#endif
}
