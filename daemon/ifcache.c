/* ifcache: interface index -> name from rtnetlink link events.  See
 * ifcache.h for the behaviour; this file explains the how. */
#include "ifcache.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define INITIAL_SLOTS   256u            /* grows by doubling, at event time */
#define RCVBUF_BYTES    (1 << 20)       /* a burst of events without ENOBUFS */
#define RECV_BYTES      65536u          /* kernel caps dump skbs at ~32 KiB */
#define RECV_BYTES_MAX  (1u << 20)
#define OPEN_TIMEOUT_MS 2000

/* Sequential ifindexes would spread well with the identity too; the mix
 * keeps explicit `index N` patterns from clustering. */
static uint32_t hash32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* The slot holding ifindex, or the empty slot where it would go.  The
 * load factor stays <= 1/2, so an empty slot always ends the probe. */
static size_t probe(const struct ifcache *c, uint32_t ifindex)
{
	size_t mask = c->cap - 1;
	size_t i = hash32(ifindex) & mask;

	while (c->tab[i].ifindex != 0 && c->tab[i].ifindex != ifindex)
		i = (i + 1) & mask;
	return i;
}

static struct ifcache_entry *find(struct ifcache *c, uint32_t ifindex)
{
	struct ifcache_entry *e = &c->tab[probe(c, ifindex)];

	return e->ifindex == ifindex ? e : NULL;
}

static int grow(struct ifcache *c)
{
	struct ifcache_entry *old = c->tab;
	size_t old_cap = c->cap;

	if (old_cap > SIZE_MAX / 2 / sizeof(*old))
		return -ENOMEM;
	struct ifcache_entry *tab = calloc(old_cap * 2, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	c->tab = tab;
	c->cap = old_cap * 2;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].ifindex != 0)
			c->tab[probe(c, old[i].ifindex)] = old[i];
	free(old);
	return 0;
}

/* Backward-shift deletion: linear probing without tombstones, so lookups
 * never wade through dead slots however much the table churns. */
static void remove_slot(struct ifcache *c, size_t i)
{
	size_t mask = c->cap - 1;
	size_t j = i;

	for (;;) {
		j = (j + 1) & mask;
		if (c->tab[j].ifindex == 0)
			break;
		size_t home = hash32(c->tab[j].ifindex) & mask;
		/* Entry j may move to i only if its home is not in (i, j]. */
		bool stays = i <= j ? (i < home && home <= j)
				    : (i < home || home <= j);
		if (stays)
			continue;
		c->tab[i] = c->tab[j];
		i = j;
	}
	memset(&c->tab[i], 0, sizeof(c->tab[i]));
	c->used--;
}

/* New interface, rename, or a dump's view of one: set its name.  A deleted
 * entry whose index comes back is simply the new interface now; its slot
 * in the deletion ring goes stale and is recognised by del_seq. */
static int upsert(struct ifcache *c, uint32_t ifindex, const char *name,
		  size_t len)
{
	struct ifcache_entry *e = find(c, ifindex);

	if (!e) {
		if ((c->used + 1) * 2 > c->cap) {
			int r = grow(c);
			if (r < 0)
				return r;
		}
		e = &c->tab[probe(c, ifindex)];
		e->ifindex = ifindex;
		e->deleted = false;
		c->used++;
		c->n_live++;
	} else if (e->deleted) {
		e->deleted = false;
		c->n_deleted--;
		c->n_live++;
	}
	memset(e->name, 0, sizeof(e->name));
	memcpy(e->name, name, len);
	e->gen = c->gen;
	return 0;
}

/* Keep the name (packets queued before the deletion may still come), and
 * remember the deletion in a ring of IFCACHE_KEEP_DELETED: the entry that
 * was deleted that many deletions ago is dropped now, unless its index
 * has been reused (or deleted again) since. */
static void mark_deleted(struct ifcache *c, uint32_t ifindex)
{
	struct ifcache_entry *e = find(c, ifindex);

	if (!e || e->deleted)
		return;
	uint32_t seq = c->del_count++;
	uint32_t slot = seq & (IFCACHE_KEEP_DELETED - 1);

	e->deleted = true;
	e->del_seq = seq;
	c->n_live--;
	c->n_deleted++;
	/* e may move below: not used after this point. */
	if (c->del_wrapped) {
		size_t i = probe(c, c->del_ring[slot]);
		struct ifcache_entry *old = &c->tab[i];
		if (old->ifindex == c->del_ring[slot] && old->deleted &&
		    old->del_seq == seq - IFCACHE_KEEP_DELETED) {
			remove_slot(c, i);
			c->n_deleted--;
		}
	}
	c->del_ring[slot] = ifindex;
	if (slot == IFCACHE_KEEP_DELETED - 1)
		c->del_wrapped = true;
}

/* After a complete resync dump: live entries the dump did not see were
 * deleted while events were being lost.  Collected first because
 * mark_deleted() may shift entries around the table. */
static void sweep(struct ifcache *c)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < c->cap; i++)
		if (c->tab[i].ifindex && !c->tab[i].deleted &&
		    c->tab[i].gen != c->gen)
			n++;
	if (n == 0)
		return;
	uint32_t *stale = malloc(n * sizeof(*stale));
	if (!stale)
		return;         /* harmless: they keep resolving, as live */
	for (size_t i = 0; i < c->cap && k < n; i++)
		if (c->tab[i].ifindex && !c->tab[i].deleted &&
		    c->tab[i].gen != c->gen)
			stale[k++] = c->tab[i].ifindex;
	for (size_t i = 0; i < k; i++)
		mark_deleted(c, stale[i]);
	free(stale);
}

static int start_dump(struct ifcache *c)
{
	/* Header + ifinfomsg + one u32 attribute, with room to spare. */
	union {
		uint8_t b[128];
		struct nlmsghdr align;
	} req;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req.b);

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (++c->seq == 0)
		c->seq = 1;             /* 0 would match anything */
	nlh->nlmsg_seq = c->seq;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	/* Only the name is wanted: skipping the statistics makes the dump
	 * smaller.  Kernels that predate the flag ignore it. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	c->dump_seq = c->seq;
	if (++c->gen == 0)
		c->gen = 1;
	c->dump_intr = false;
	return 0;
}

/* RTM_NEWLINK / RTM_DELLINK, from the dump or an event. */
static int handle_link(struct ifcache *c, const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_len < NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg)))
		return -EBADMSG;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	/* The bridge reports port changes as AF_BRIDGE NEWLINK/DELLINK on the
	 * same group: a port leaving a bridge is not a deleted interface. */
	if (ifi->ifi_family != AF_UNSPEC || ifi->ifi_index <= 0)
		return 0;
	uint32_t ifindex = (uint32_t)ifi->ifi_index;

	if (nlh->nlmsg_type == RTM_DELLINK) {
		/* Also what a move to another namespace looks like here. */
		mark_deleted(c, ifindex);
		return 0;
	}

	/* Bounded by nlmsg_len, already checked against the datagram (libmnl
	 * 1.0.4's mnl_attr_for_each_payload() needs a variable named attr and
	 * casts const away, hence the plain loop). */
	const uint8_t *p = (const uint8_t *)ifi + NLMSG_ALIGN(sizeof(*ifi));
	const uint8_t *end = (const uint8_t *)nlh + nlh->nlmsg_len;

	while ((size_t)(end - p) >= sizeof(struct nlattr)) {
		const struct nlattr *a = (const void *)p;
		if (!mnl_attr_ok(a, (int)(end - p)))
			return -EBADMSG;
		if (mnl_attr_get_type(a) == IFLA_IFNAME) {
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 ||
			    mnl_attr_get_payload_len(a) > IFNAMSIZ)
				return -EBADMSG;
			const char *name = mnl_attr_get_str(a);
			return upsert(c, ifindex, name,
				      strnlen(name, IFNAMSIZ - 1));
		}
		size_t step = NLA_ALIGN((size_t)a->nla_len);
		if (step >= (size_t)(end - p))
			break;
		p += step;
	}
	return 0;       /* no name: nothing to learn */
}

/* Is this message part of our dump?  Events may carry the seq and portid
 * of the request that caused them (NLM_F_ECHO support), so a seq alone
 * could match some `ip` command's; our portid tells. */
static bool ours(const struct ifcache *c, const struct nlmsghdr *nlh)
{
	return c->dump_seq != 0 && nlh->nlmsg_seq == c->dump_seq &&
	       nlh->nlmsg_pid == c->portid;
}

static int handle(struct ifcache *c, const struct nlmsghdr *nlh)
{
	if (ours(c, nlh) && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
		c->dump_intr = true;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return handle_link(c, nlh);
	case NLMSG_DONE:
		if (ours(c, nlh)) {
			c->dump_seq = 0;
			/* An interrupted dump may have skipped interfaces
			 * that still exist: better leave some deleted ones
			 * marked live (they resolve the same) than evict a
			 * live one later. */
			if (!c->dump_intr)
				sweep(c);
		}
		return 0;
	case NLMSG_ERROR:
		if (ours(c, nlh)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			c->dump_seq = 0;
			if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
				return -EBADMSG;
			/* Not retried here: a persistent failure would loop.
			 * The next overrun tries again. */
			return e->error < 0 ? e->error : 0;
		}
		return 0;
	case NLMSG_OVERRUN:
		c->resync_wanted = true;
		return 0;
	default:
		return 0;
	}
}

/* One datagram: a run of netlink messages.  Framed by hand rather than with
 * mnl_nlmsg_ok()/mnl_cb_run(): libmnl 1.0.4's mnl_nlmsg_ok() casts
 * nlmsg_len to int and so accepts lengths >= 2^31, and mnl_cb_run()'s
 * sequence check does not fit a socket that mixes a dump with events. A
 * bad frame drops the rest of the datagram; a bad message is skipped and
 * its error reported after the others have been applied. */
static int parse(struct ifcache *c, const uint8_t *buf, size_t len)
{
	int err = 0;

	while (len > 0) {
		if (len < sizeof(struct nlmsghdr))
			return -EBADMSG;
		const struct nlmsghdr *nlh = (const void *)buf;
		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
			return -EBADMSG;
		int r = handle(c, nlh);
		if (r < 0 && err == 0)
			err = r;
		size_t step = NLMSG_ALIGN((size_t)nlh->nlmsg_len);
		if (step >= len)
			break;
		buf += step;
		len -= step;
	}
	return err;
}

int ifcache_process(struct ifcache *c)
{
	int err = 0;

	if (!c->nl)
		return -EBADF;
	for (;;) {
		struct sockaddr_nl sa;
		struct iovec iov = { .iov_base = c->buf, .iov_len = c->bufsize };
		struct msghdr m = {
			.msg_name = &sa, .msg_namelen = sizeof(sa),
			.msg_iov = &iov, .msg_iovlen = 1,
		};
		ssize_t n = recvmsg(mnl_socket_get_fd(c->nl), &m, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* Events were dropped: the cache may be wrong.
				 * Drain what is queued first, then re-dump (a
				 * dump already running must finish first: the
				 * kernel refuses a second with EBUSY). */
				c->overruns++;
				c->resync_wanted = true;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			if (c->resync_wanted && c->dump_seq == 0) {
				int r = start_dump(c);
				if (r < 0)
					return r;
				c->resync_wanted = false;
				c->resyncs++;
				continue;       /* its first part is queued */
			}
			return err;
		}
		if (m.msg_flags & MSG_TRUNC) {
			/* A message was cut and lost: same as an overrun,
			 * with a bigger buffer for the re-dump. */
			if (c->bufsize >= RECV_BYTES_MAX) {
				if (err == 0)
					err = -EMSGSIZE;
				continue;
			}
			uint8_t *nb = realloc(c->buf, c->bufsize * 2);
			if (!nb) {
				if (err == 0)
					err = -ENOMEM;
				continue;
			}
			c->buf = nb;
			c->bufsize *= 2;
			c->overruns++;
			c->resync_wanted = true;
			continue;
		}
		/* Only the kernel speaks for itself; other root processes
		 * could unicast to us. */
		if (m.msg_namelen < sizeof(sa) || sa.nl_pid != 0)
			continue;
		int r = parse(c, c->buf, (size_t)n);
		if (r < 0 && err == 0)
			err = r;
	}
}

bool ifcache_syncing(const struct ifcache *c)
{
	return c->dump_seq != 0 || c->resync_wanted;
}

int ifcache_set_rcvbuf(struct ifcache *c, int bytes)
{
	if (!c->nl)
		return -EBADF;
	int fd = mnl_socket_get_fd(c->nl);

	/* FORCE ignores net.core.rmem_max (default ~208 KiB), with
	 * CAP_NET_ADMIN, which the daemon has for nflog anyway. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) == 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) == 0)
		return 0;
	return -errno;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_fail(struct ifcache *c, int err)
{
	ifcache_close(c);
	return err;
}

int ifcache_open(struct ifcache *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!c->nl)
		return open_fail(c, -errno);
	r = ifcache_set_rcvbuf(c, RCVBUF_BYTES);
	if (r < 0)
		return open_fail(c, r);
	/* Subscribe before dumping: a change during the dump then shows up
	 * as an event after the dump's view of it, never lost between. */
	if (mnl_socket_bind(c->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
		return open_fail(c, -errno);
	c->portid = mnl_socket_get_portid(c->nl);
	c->cap = INITIAL_SLOTS;
	c->tab = calloc(c->cap, sizeof(*c->tab));
	c->bufsize = RECV_BYTES;
	c->buf = malloc(c->bufsize);
	if (!c->tab || !c->buf)
		return open_fail(c, -ENOMEM);
	c->seq = (uint32_t)time(NULL);
	r = start_dump(c);
	if (r < 0)
		return open_fail(c, r);

	/* Dump messages and events arrive interleaved on the one socket, in
	 * the order the kernel produced them, so applying each as it comes
	 * leaves the latest state.  Waiting here (bounded) means the daemon
	 * starts with names for every interface. */
	int64_t deadline = now_ms() + OPEN_TIMEOUT_MS;
	for (;;) {
		r = ifcache_process(c);
		if (r < 0)
			return open_fail(c, r);
		if (!ifcache_syncing(c))
			return 0;
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return open_fail(c, -ETIMEDOUT);
		struct pollfd p = { .fd = mnl_socket_get_fd(c->nl), .events = POLLIN };
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return open_fail(c, -errno);
	}
}

int ifcache_fd(const struct ifcache *c)
{
	return c->nl ? mnl_socket_get_fd(c->nl) : -1;
}

const char *ifcache_name(const struct ifcache *c, uint32_t ifindex)
{
	if (!c->tab || ifindex == 0)
		return NULL;
	const struct ifcache_entry *e = &c->tab[probe(c, ifindex)];

	return e->ifindex == ifindex ? e->name : NULL;
}

void ifcache_close(struct ifcache *c)
{
	if (c->nl)
		mnl_socket_close(c->nl);
	free(c->tab);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}
