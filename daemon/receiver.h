/* receiver: one nfnetlink_log socket per configured NFLOG group.
 * Binds the group (never PF_BIND/PF_UNBIND: those change the system-wide
 * log backend), sets copy mode and range, batch size, threshold, timeout
 * and per-group sequence numbers, and reads batches without blocking.
 * Loss is counted exactly: a gap in NFULA_SEQ is packets the kernel
 * logged but could not deliver (socket overrun). */
#ifndef NFLOGD_RECEIVER_H
#define NFLOGD_RECEIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "nflog_msg.h"

struct mnl_socket;

struct group_stats {
	uint64_t received;      /* packet messages parsed */
	uint64_t lost;          /* sequence gaps: logged, never delivered */
	uint64_t overruns;      /* ENOBUFS notifications (events, not packets) */
	/* Datagrams (batches of packets) the kernel could not queue on the
	 * socket, its own count (SO_MEMINFO's SK_MEMINFO_DROPS; the Drops
	 * column of /proc/net/netlink), read after each overrun. */
	uint64_t kernel_drops;
	uint64_t malformed;     /* messages that failed to parse */
	uint64_t truncated;     /* datagrams larger than the receive buffer */
};

struct receiver {
	uint16_t group;
	void *buf;              /* shared receive buffer (main thread) */
	size_t bufsize;
	uint32_t req_seq;       /* sequence number of config requests */
	struct mnl_socket *nl;
	int fd;
	uint32_t portid;
	/* The group asked for conntrack (config_group.conntrack) and the
	 * kernel refused NFULNL_CFG_F_CONNTRACK with EOPNOTSUPP (no
	 * CONFIG_NETFILTER_NETLINK_GLUE_CT): the group runs without it.
	 * Set by receiver_open() and receiver_configure(). */
	bool conntrack_unsupported;
	/* Loss that `lost` does not hold yet.  A sequence gap is seen only
	 * when a packet queued after the dropped batch arrives: after an
	 * overrun at the end of a burst there may be none for a long time.
	 * Set when the socket has been emptied after an overrun (every
	 * batch dropped so far was dropped before that moment); cleared by
	 * the next packet, which was queued after all of them, so its gap
	 * counts their packets. */
	bool uncounted;
	bool overrun_since_empty;       /* an ENOBUFS since the socket was
					 * last read empty */
	bool seq_valid;         /* next_seq is known */
	uint32_t next_seq;
	/* CLOCK_REALTIME when the datagram being walked was received: the
	 * records' event.created (one clock read per datagram, not per
	 * packet). */
	struct timespec rx_time;
	struct group_stats st;
};

/* Called for every packet message, in order. */
typedef void (*receiver_cb)(void *ctx, struct receiver *r,
			    const struct nflog_meta *m);

/* Open a socket and bind and configure g->id.  Packets that arrive while
 * waiting for the kernel's answer are passed to cb.  With g->conntrack the
 * group also asks for conntrack (NFULNL_CFG_F_CONNTRACK); a kernel that
 * cannot attach it refuses the whole request before binding anything, so
 * the bind is sent again without it and r->conntrack_unsupported is set
 * (not an error).  Errors: -EBUSY when
 * another process holds the group (the kernel says EBUSY or EPERM), or
 * the -errno of the failing call; *what names it for the message. */
int receiver_open(struct receiver *r, const struct config_group *g,
		  void *buf, size_t bufsize, receiver_cb cb, void *ctx,
		  const char **what);

/* Apply changed settings to a bound group (reload); conntrack as in
 * receiver_open(). */
int receiver_configure(struct receiver *r, const struct config_group *g,
		       receiver_cb cb, void *ctx, const char **what);

/* Read and handle everything queued, at most max_datagrams datagrams (so
 * one busy group cannot starve the loop).  Returns the number read, or
 * -errno on a socket error other than EAGAIN/ENOBUFS. */
int receiver_read(struct receiver *r, receiver_cb cb, void *ctx,
		  unsigned int max_datagrams);

/* A receive buffer no datagram can overflow: the kernel sends up to
 * nlbufsiz (128 KiB at most) plus one packet that did not fit. */
#define RECEIVER_BUFSIZE (512 * 1024)

/* Unbind (NFULNL_CFG_CMD_UNBIND for this group only) and close; packets
 * still arriving go to cb. */
void receiver_close(struct receiver *r, receiver_cb cb, void *ctx);

#endif
