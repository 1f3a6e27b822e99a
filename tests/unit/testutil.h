/* Small helpers shared by the unit tests (tests may allocate and do I/O). */
#ifndef NFLOGD_TESTUTIL_H
#define NFLOGD_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <check.h>
#include <libmnl/libmnl.h>

#include "decode.h"
#include "nflog_msg.h"

/* ck_assert records every passing check in Check's message file, which
 * costs a write(2) each: the helpers and loops that check every byte use
 * this instead. */
#define REQUIRE(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* Run every test of s; the exit status for main(). */
int tu_run(Suite *s);

/* Start an NFULNL_MSG_PACKET message in buf (at least MNL_SOCKET_BUFFER_SIZE
 * bytes): netlink header + nfgenmsg.  Add attributes with mnl_attr_put*(). */
struct nlmsghdr *tu_nflog_begin(void *buf, uint8_t family, uint16_t group);

/* Add NFULA_PAYLOAD and NFULA_PACKET_HDR (hw_protocol) for a packet. */
void tu_nflog_put_packet(struct nlmsghdr *nlh, uint16_t hw_protocol,
			 const void *pkt, size_t len);

/* Hex string ("4500 003c ..."; spaces, colons and newlines ignored) ->
 * bytes.  Returns the number of bytes, aborts the test on bad input. */
size_t tu_unhex(const char *hex, uint8_t *out, size_t size);

/* Whole file into a malloc'd buffer (NUL-terminated); NULL on error. */
uint8_t *tu_read_file(const char *path, size_t *len);

/* Internet checksum, to build valid IPv4 headers in tables. */
uint16_t tu_csum(const void *data, size_t len);

/* Exact-size malloc'd copy of n bytes (a read past the end trips ASan);
 * never NULL, even for n == 0.  The caller frees it. */
uint8_t *tu_exact_copy(const void *p, size_t n);

/* --- packets with length markers (test_decode.c, test_fmt_log.c) -------- */

/* tu_unhex() with two markers resolved (the rest is literal hex):
 *   "LLLL" is the IPv4 total length, filled in as the bytes from its IPv4
 *          header to the end of the packet;
 *   "PPPP" is the IPv6 payload length, filled in likewise.
 * At most 8 markers, byte-aligned; hex is at most 16383 characters. */
size_t tu_mkpkt(const char *hex, uint8_t *out, size_t size);

/* Valid packets to mutate (tu_mkpkt() hex): headers the decoder walks deep
 * into.  tu_nseeds of them. */
extern const char *const tu_seeds[];
extern const int tu_nseeds;

/* Up to 200 random bytes from rand() into buf (at least 200 bytes); with
 * ip_like the first nibble says IPv4 or IPv6.  Returns the length. */
size_t tu_random_bytes(uint8_t *buf, bool ip_like);

/* pkt (n > 0 bytes) into mut with 1..4 random bytes changed, mostly in the
 * first 80, where the lengths are (rand()).  Returns the length to use:
 * n, or now and then a random cut. */
size_t tu_mutate(uint8_t *mut, const uint8_t *pkt, size_t n);

/* --- NFLOG messages from a spec (test_fmt_json.c, test_fmt_journal.c) --- */

struct tu_msg_spec {
	uint8_t family;
	uint16_t group;
	uint16_t hwproto;
	uint8_t hook;
	const char *pkt;        /* hex; NULL: no payload attribute */
	size_t snap;            /* keep only this many bytes (0: all) */
	const char *prefix;     /* NULL: no prefix attribute */
	uint32_t indev, outdev, physindev, physoutdev;  /* 0: absent */
	bool has_uid;
	uint32_t uid, gid;
	uint32_t mark;          /* 0: absent, as the kernel does */
	int64_t ts_sec;         /* 0: absent */
	uint32_t ts_usec;
	bool has_seq;
	uint32_t seq, seq_global;
	const char *hwaddr;     /* hex */
	const char *hwheader;   /* hex; also sets NFULA_HWTYPE = hwtype */
	uint16_t hwtype;
};

/* Everything a record points into lives here. */
struct tu_built {
	uint8_t msg[65536] __attribute__((aligned(8)));
	uint8_t pkt[4096];
	struct nflog_meta meta;
	struct record rec;
};

/* A real nfnetlink_log message from s, parsed by nflog_msg_parse() (which
 * must succeed) into b->meta and decoded by decode_packet() into b->rec. */
void tu_build(const struct tu_msg_spec *s, struct tu_built *b);

/* A Linux SYN, 10.0.0.1:54321 -> 10.0.0.2:22: MSS, SACK_PERM, TS, NOP, WS. */
#define TU_SYN_10_1_TO_10_2 \
	"4500 003c 1c46 4000 4006 0000 0a000001 0a000002" \
	"d431 0016 12345678 00000000 a002 faf0 1234 0000" \
	"020405b4 0402 080a 0000007b 00000000 01 030307"

/* Conntrack in m (nested attributes: set in the metadata): state new, id
 * 42, status 8, mark 255, zone 3, orig TCP [2001:db8::1]:54321 ->
 * [::ffff:10.0.0.2]:22. */
void tu_meta_add_ct(struct nflog_meta *m);

/* The largest record we can think of, built into b: an IPv4 packet with
 * every option area full of two-byte options (the most list entries), an
 * ICMP error quoting the same; the prefix pfx; every other attribute at
 * its largest, NFULA_TIMESTAMP too if with_ts.  b->rec.meta then points
 * to m: b->meta plus conntrack at its largest. */
void tu_build_worst_case(struct tu_built *b, struct nflog_meta *m,
			 const char *pfx, bool with_ts);

/* --- random records (xorshift64*: reproducible from the seed) ----------- */

extern uint64_t tu_rng;         /* the state: set it to the seed */
uint32_t tu_rnd(void);

/* Everything a random record points into. */
struct tu_random_rec {
	uint8_t pkt[600], pfx[300], hdr[40];
	struct nflog_meta m;
	struct record rec;
};

/* Random metadata (a prefix of random bytes, random present bits, family,
 * hook, hardware header, conntrack info, with_ts: timestamp) around bytes
 * that look enough like IP to get deep into the decoder, decoded into
 * r->rec.  Returns the prefix length. */
size_t tu_random_record(struct tu_random_rec *r, bool with_ts);

#endif
