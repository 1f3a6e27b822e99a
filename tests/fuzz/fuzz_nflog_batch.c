/* libFuzzer target: one netlink datagram as nfnetlink_log sends it (N packet
 * messages, then NLMSG_DONE when N > 1), walked with libmnl like the
 * receiver does.  Every message goes through nflog_msg_parse(); a parsed one
 * through decode_packet() and the three formatters, whose output contracts
 * fuzz_common.c asserts.
 *
 * The LOG flags come from the first input byte (the low byte of the first
 * message's length: the fuzzer changes it by resizing or prepending a
 * message), so all flag combinations are explored.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "fuzz_common.h"
#include "nflog_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 16-byte messages fill a 70000-byte input with 4375; more cannot come. */
#define MAX_MESSAGES 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nlmsghdr *nlh;
	void *dgram;
	int len, i;

	if (size == 0 || size > INT_MAX)
		return 0;
	/* Netlink messages are read in place: the receive buffer is
	 * aligned, so is ours (malloc: 16 bytes). */
	dgram = malloc(size);
	memcpy(dgram, data, size);

	len = (int)size;
	for (nlh = dgram, i = 0; mnl_nlmsg_ok(nlh, len) && i < MAX_MESSAGES;
	     nlh = mnl_nlmsg_next(nlh, &len), i++) {
		struct nflog_meta meta;
		struct nlmsghdr *one;
		int r;

		/* libmnl up to 1.0.5 compares (int)nlmsg_len <= len, so a
		 * length >= 2^31 passes mnl_nlmsg_ok() (RUSTSEC-2025-0142,
		 * fixed upstream in libmnl commit 754c9de, unreleased).  The
		 * receiver must check this itself; so do we. */
		if (nlh->nlmsg_len > (uint32_t)len)
			break;

		/* Each message in an allocation of its own exact size, so
		 * ASan sees a read past its end even when another message
		 * follows in the datagram. */
		one = malloc(nlh->nlmsg_len);
		memcpy(one, nlh, nlh->nlmsg_len);

		fuzz_poison_meta(&meta);
		r = nflog_msg_parse(one, &meta);
		FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EPROTO,
			   "nflog_msg_parse returned %d", r);
		if (r < 0) {
			fuzz_check_untouched(&meta);
		} else {
			fuzz_check_meta(&meta, one, one->nlmsg_len);
			fuzz_format_all(&meta, data[0] | (unsigned)i << 8);
		}
		free(one);
	}
	free(dgram);
	return 0;
}
