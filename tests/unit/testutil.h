/* Small helpers shared by the unit tests (tests may allocate and do I/O). */
#ifndef NFLOGD_TESTUTIL_H
#define NFLOGD_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

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

#endif
