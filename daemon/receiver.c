/* receiver: nfnetlink_log sockets. */
#include "receiver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/sock_diag.h>

#define PACKET_TYPE ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)
/* A config request is a few dozen bytes. */
#define CONFIG_REQ_SIZE 512

/* Count a packet message: sequence gaps are packets the kernel logged for
 * this group but dropped because our socket was full. */
static void account_seq(struct receiver *r, const struct nflog_meta *m)
{
	if (!(m->present & NFLOG_HAVE_SEQ))
		return;
	r->uncounted = false;
	if (r->seq_valid && m->seq != r->next_seq)
		r->st.lost += (uint32_t)(m->seq - r->next_seq);
	r->seq_valid = true;
	r->next_seq = m->seq + 1;
}

/* The kernel reported an overrun: one or more datagrams were dropped. */
static void overrun(struct receiver *r)
{
	r->st.overruns++;
	r->overrun_since_empty = true;
}

/* The socket is empty after an overrun: every batch the kernel dropped
 * was dropped before now, and the packets of those no later packet has
 * revealed are not in `lost` yet.  Also take the kernel's drop count. */
static void emptied_after_overrun(struct receiver *r)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);

	r->overrun_since_empty = false;
	r->uncounted = true;
	if (getsockopt(r->fd, SOL_SOCKET, SO_MEMINFO, mi, &len) == 0 &&
	    len > SK_MEMINFO_DROPS * sizeof(mi[0]))
		r->st.kernel_drops = mi[SK_MEMINFO_DROPS];
}

/* Walk one datagram.  Acks and errors for our config requests are
 * returned through *ack_err (when ack_seq matches); packets go to cb. */
static void handle_datagram(struct receiver *r, const void *buf, size_t len,
			    receiver_cb cb, void *ctx, uint32_t ack_seq,
			    int *ack_err, bool *acked)
{
	const struct nlmsghdr *nlh = buf;
	size_t left = len;

	while (left >= sizeof(*nlh)) {
		struct nflog_meta m;
		int ret;

		/* libmnl 1.0.4's mnl_nlmsg_ok() casts nlmsg_len to int:
		 * check the length ourselves. */
		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > left) {
			r->st.malformed++;
			return;
		}
		if (nlh->nlmsg_type == PACKET_TYPE) {
			ret = nflog_msg_parse(nlh, &m);
			if (ret < 0) {
				r->st.malformed++;
			} else {
				r->st.received++;
				account_seq(r, &m);
				cb(ctx, r, &m);
			}
		} else if (nlh->nlmsg_type == NLMSG_ERROR && ack_seq &&
			   nlh->nlmsg_seq == ack_seq &&
			   nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			*ack_err = e->error;
			*acked = true;
		}
		if (NLMSG_ALIGN(nlh->nlmsg_len) >= left)
			break;
		left -= NLMSG_ALIGN(nlh->nlmsg_len);
		nlh = (const struct nlmsghdr *)((const uint8_t *)nlh +
						NLMSG_ALIGN(nlh->nlmsg_len));
	}
}

/* Send one config message and wait (bounded) for its ack, passing any
 * packets that arrive meanwhile to cb. */
static int config_request(struct receiver *r, struct nlmsghdr *nlh,
			  receiver_cb cb, void *ctx)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	bool acked = false;
	int ack_err = 0, tries;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++r->req_seq;
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (tries = 0; !acked && tries < 200; tries++) {
		ssize_t n;

		if (poll(&pfd, 1, 10) < 0 && errno != EINTR)
			return -errno;
		n = recv(r->fd, r->buf, r->bufsize, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				overrun(r);
				continue;
			}
			return -errno;
		}
		if ((size_t)n > r->bufsize) {
			r->st.truncated++;
			n = (ssize_t)r->bufsize;
		}
		clock_gettime(CLOCK_REALTIME, &r->rx_time);
		handle_datagram(r, r->buf, (size_t)n, cb, ctx, nlh->nlmsg_seq,
				&ack_err, &acked);
	}
	if (!acked)
		return -ETIMEDOUT;
	return ack_err;         /* 0 or a negative errno from the kernel */
}

static struct nlmsghdr *config_msg(void *buf, uint16_t group)
{
	return nflog_nlmsg_put_header(buf, NFULNL_MSG_CONFIG, AF_UNSPEC, group);
}

/* Every setting in one message: the kernel applies the command first,
 * then the attributes, so no packet is sent with half a configuration.
 * FLAGS replaces the group's whole flag set. */
static void put_settings(struct nlmsghdr *nlh, const struct config_group *g,
			 bool conntrack)
{
	uint16_t flags = NFULNL_CFG_F_SEQ;

	if (conntrack)
		flags |= NFULNL_CFG_F_CONNTRACK;
	nflog_attr_put_cfg_mode(nlh, NFULNL_COPY_PACKET,
				g->copy_range ? g->copy_range : 0xffff);
	mnl_attr_put_u32(nlh, NFULA_CFG_NLBUFSIZ, htonl(g->nlbufsiz));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(g->flush_timeout));
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(g->queue_threshold));
	mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(flags));
}

/* Bind (bind = true) or reconfigure g, with conntrack if it asks for it.
 * nfnetlink_log checks FLAGS before it looks at the command: a kernel
 * without NETFILTER_NETLINK_GLUE_CT answers EOPNOTSUPP having bound and
 * changed nothing, so the same request without F_CONNTRACK is clean. */
static int send_config(struct receiver *r, const struct config_group *g,
		       bool bind, receiver_cb cb, void *ctx)
{
	uint8_t buf[CONFIG_REQ_SIZE] __attribute__((aligned(8)));
	bool ct = g->conntrack;
	struct nlmsghdr *nlh;
	int ret;

	for (;;) {
		nlh = config_msg(buf, g->id);
		if (bind)
			nflog_attr_put_cfg_cmd(nlh, NFULNL_CFG_CMD_BIND);
		put_settings(nlh, g, ct);
		ret = config_request(r, nlh, cb, ctx);
		if (ret != -EOPNOTSUPP || !ct)
			break;
		ct = false;
	}
	if (ret == 0)
		r->conntrack_unsupported = g->conntrack && !ct;
	return ret;
}

int receiver_open(struct receiver *r, const struct config_group *g,
		  void *rbuf, size_t bufsize, receiver_cb cb, void *ctx,
		  const char **what)
{
	int size, ret;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->group = g->id;
	r->buf = rbuf;
	r->bufsize = bufsize;
	r->req_seq = (uint32_t)time(NULL);
	*what = "open the netlink socket";
	r->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!r->nl)
		return -errno;
	r->fd = mnl_socket_get_fd(r->nl);
	if (mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	r->portid = mnl_socket_get_portid(r->nl);

	/* A big socket buffer absorbs bursts while we are busy.  FORCE
	 * ignores net.core.rmem_max but needs CAP_NET_ADMIN, which we have. */
	*what = "set the socket receive buffer";
	size = (int)g->rcvbuf;
	if (setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		goto fail;

	*what = "bind the group";
	ret = send_config(r, g, true, cb, ctx);
	if (ret == -EBUSY || ret == -EPERM)
		ret = -EBUSY;
	if (ret < 0) {
		errno = -ret;
		goto fail;
	}
	return 0;
fail:
	ret = -errno;
	mnl_socket_close(r->nl);
	r->nl = NULL;
	r->fd = -1;
	return ret;
}

int receiver_configure(struct receiver *r, const struct config_group *g,
		       receiver_cb cb, void *ctx, const char **what)
{
	int size = (int)g->rcvbuf;

	*what = "set the socket receive buffer";
	if (setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		return -errno;
	*what = "configure the group";
	return send_config(r, g, false, cb, ctx);
}

int receiver_read(struct receiver *r, receiver_cb cb, void *ctx,
		  unsigned int max_datagrams)
{
	void *buf = r->buf;
	size_t bufsize = r->bufsize;
	unsigned int i;

	for (i = 0; i < max_datagrams; i++) {
		bool acked = false;
		int ack_err = 0;
		ssize_t n = recv(r->fd, buf, bufsize, MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0) {
			if (errno == EAGAIN && r->overrun_since_empty)
				emptied_after_overrun(r);
			if (errno == EAGAIN || errno == EINTR)
				break;
			if (errno == ENOBUFS) {
				/* The kernel dropped datagrams; the sequence
				 * gap of the next packet queued after them
				 * says how many packets. */
				overrun(r);
				continue;
			}
			return -errno;
		}
		if ((size_t)n > bufsize) {
			r->st.truncated++;
			n = (ssize_t)bufsize;
		}
		clock_gettime(CLOCK_REALTIME, &r->rx_time);
		handle_datagram(r, buf, (size_t)n, cb, ctx, 0, &ack_err, &acked);
	}
	return (int)i;
}

void receiver_close(struct receiver *r, receiver_cb cb, void *ctx)
{
	uint8_t buf[CONFIG_REQ_SIZE] __attribute__((aligned(8)));
	struct nlmsghdr *nlh;

	if (!r->nl)
		return;
	nlh = config_msg(buf, r->group);
	nflog_attr_put_cfg_cmd(nlh, NFULNL_CFG_CMD_UNBIND);
	(void)config_request(r, nlh, cb, ctx);
	/* An overrun while waiting for the ack: nothing follows it now. */
	if (r->overrun_since_empty)
		emptied_after_overrun(r);
	mnl_socket_close(r->nl);
	r->nl = NULL;
	r->fd = -1;
}
