/* nflog_msg: parse the NFULA_* attributes of one nfnetlink_log message. */
#include "nflog_msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_log.h>

_Static_assert(NFLOG_HAVE_GID == 1u << (NFULA_GID - 1) &&
	       NFLOG_HAVE_L2HDR == 1u << (NFULA_L2HDR - 1) &&
	       NFLOG_HAVE_SEQ == 1u << (NFULA_SEQ - 1),
	       "enum nflog_have follows the NFULA_* numbering");

/* Fixed sizes of the attributes that have one (0: variable length). */
static const uint16_t attr_size[NFULA_MAX + 1] = {
	[NFULA_PACKET_HDR] = sizeof(struct nfulnl_msg_packet_hdr),
	[NFULA_MARK] = 4,
	[NFULA_TIMESTAMP] = sizeof(struct nfulnl_msg_packet_timestamp),
	[NFULA_IFINDEX_INDEV] = 4,
	[NFULA_IFINDEX_OUTDEV] = 4,
	[NFULA_IFINDEX_PHYSINDEV] = 4,
	[NFULA_IFINDEX_PHYSOUTDEV] = 4,
	[NFULA_HWADDR] = sizeof(struct nfulnl_msg_packet_hw),
	[NFULA_UID] = 4,
	[NFULA_SEQ] = 4,
	[NFULA_SEQ_GLOBAL] = 4,
	[NFULA_GID] = 4,
	[NFULA_HWTYPE] = 2,
	[NFULA_HWLEN] = 2,
	[NFULA_CT_INFO] = 4,
};

/* The attribute accessors, inline: libmnl's are calls into a shared
 * library, a dozen per attribute, and this runs for every packet. */
static inline uint16_t attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline uint16_t attr_len(const struct nlattr *a)
{
	return (uint16_t)(a->nla_len - MNL_ATTR_HDRLEN);
}

static inline const uint8_t *attr_data(const struct nlattr *a)
{
	return (const uint8_t *)a + MNL_ATTR_HDRLEN;
}

static uint32_t get_be32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, attr_data(a), 4);
	return ntohl(v);
}

static uint16_t get_be16(const struct nlattr *a)
{
	uint16_t v;

	memcpy(&v, attr_data(a), 2);
	return ntohs(v);
}

/* Attribute walks share one state: where the result goes and whether a
 * length was bad (mnl callbacks can only say stop or go on). */
struct walk {
	struct nflog_meta *m;
	struct nflog_ct *ct;
	int err;
};

static int walk_fail(struct walk *w)
{
	w->err = -EBADMSG;
	return MNL_CB_ERROR;
}

/* Walk an attribute stream, checking each length before the callback
 * sees the attribute: libmnl's walker stops quietly at a short
 * attribute, but a short or overrunning attribute means the message is
 * damaged, and we say so.  (The callbacks write into a scratch result
 * that a failed walk throws away.) */
static int walk_attrs(const uint8_t *p, size_t len, mnl_attr_cb_t cb,
		      struct walk *w)
{
	while (len >= sizeof(struct nlattr)) {
		const struct nlattr *a = (const struct nlattr *)(const void *)p;
		size_t alen;
		int r;

		if (a->nla_len < sizeof(struct nlattr) || a->nla_len > len)
			return walk_fail(w);
		r = cb(a, w);
		if (r <= MNL_CB_STOP)
			return r;
		alen = MNL_ALIGN(a->nla_len);
		if (alen >= len)
			return MNL_CB_OK;
		p += alen;
		len -= alen;
	}
	return len == 0 ? MNL_CB_OK : walk_fail(w);
}

static int parse_nested(const struct nlattr *a, mnl_attr_cb_t cb,
			struct walk *w)
{
	return walk_attrs(attr_data(a), attr_len(a), cb, w) < 0 ?
	       MNL_CB_ERROR : MNL_CB_OK;
}

/* CTA_TUPLE_IP / CTA_TUPLE_PROTO inside CTA_TUPLE_ORIG. */
static int ct_ip_cb(const struct nlattr *a, void *data)
{
	struct walk *w = data;
	uint16_t len = attr_len(a);

	switch (attr_type(a)) {
	case CTA_IP_V4_SRC:
	case CTA_IP_V4_DST:
		if (len != 4)
			return walk_fail(w);
		w->ct->orig_family = AF_INET;
		memcpy(attr_type(a) == CTA_IP_V4_SRC ? w->ct->orig_src :
		       w->ct->orig_dst, attr_data(a), 4);
		w->ct->present |= NFLOG_CT_HAVE_ORIG;
		break;
	case CTA_IP_V6_SRC:
	case CTA_IP_V6_DST:
		if (len != 16)
			return walk_fail(w);
		w->ct->orig_family = AF_INET6;
		memcpy(attr_type(a) == CTA_IP_V6_SRC ? w->ct->orig_src :
		       w->ct->orig_dst, attr_data(a), 16);
		w->ct->present |= NFLOG_CT_HAVE_ORIG;
		break;
	}
	return MNL_CB_OK;
}

static int ct_proto_cb(const struct nlattr *a, void *data)
{
	struct walk *w = data;
	uint16_t len = attr_len(a);

	switch (attr_type(a)) {
	case CTA_PROTO_NUM:
		if (len != 1)
			return walk_fail(w);
		w->ct->orig_proto = *attr_data(a);
		break;
	case CTA_PROTO_SRC_PORT:
	case CTA_PROTO_DST_PORT:
		if (len != 2)
			return walk_fail(w);
		if (attr_type(a) == CTA_PROTO_SRC_PORT)
			w->ct->orig_sport = get_be16(a);
		else
			w->ct->orig_dport = get_be16(a);
		w->ct->present |= NFLOG_CT_HAVE_ORIG_PORTS;
		break;
	}
	return MNL_CB_OK;
}

static int ct_tuple_cb(const struct nlattr *a, void *data)
{
	struct walk *w = data;

	switch (attr_type(a)) {
	case CTA_TUPLE_IP:
		return parse_nested(a, ct_ip_cb, w);
	case CTA_TUPLE_PROTO:
		return parse_nested(a, ct_proto_cb, w);
	default:
		return MNL_CB_OK;
	}
}

static int ct_cb(const struct nlattr *a, void *data)
{
	struct walk *w = data;
	uint16_t len = attr_len(a);

	switch (attr_type(a)) {
	case CTA_TUPLE_ORIG:
		return parse_nested(a, ct_tuple_cb, w);
	case CTA_ID:
	case CTA_STATUS:
	case CTA_MARK:
		if (len != 4)
			return walk_fail(w);
		if (attr_type(a) == CTA_ID) {
			w->ct->id = get_be32(a);
			w->ct->present |= NFLOG_CT_HAVE_ID;
		} else if (attr_type(a) == CTA_STATUS) {
			w->ct->status = get_be32(a);
			w->ct->present |= NFLOG_CT_HAVE_STATUS;
		} else {
			w->ct->mark = get_be32(a);
			w->ct->present |= NFLOG_CT_HAVE_MARK;
		}
		break;
	case CTA_ZONE:
		if (len != 2)
			return walk_fail(w);
		w->ct->zone = get_be16(a);
		w->ct->present |= NFLOG_CT_HAVE_ZONE;
		break;
	}
	return MNL_CB_OK;
}

static int vlan_cb(const struct nlattr *a, void *data)
{
	struct walk *w = data;

	switch (attr_type(a)) {
	case NFULA_VLAN_PROTO:
	case NFULA_VLAN_TCI:
		if (attr_len(a) != 2)
			return walk_fail(w);
		if (attr_type(a) == NFULA_VLAN_PROTO)
			w->m->vlan_proto = get_be16(a);
		else
			w->m->vlan_tci = get_be16(a);
		w->m->present |= NFLOG_HAVE_VLAN;
		break;
	}
	return MNL_CB_OK;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	struct walk *w = data;
	struct nflog_meta *m = w->m;
	uint16_t type = attr_type(a);
	uint16_t len = attr_len(a);
	const uint8_t *p = attr_data(a);

	if (type > NFULA_MAX)
		return MNL_CB_OK;       /* newer kernel: skip what we do not know */
	if (attr_size[type] && len != attr_size[type])
		return walk_fail(w);
	if (type != NFULA_UNSPEC)
		m->present |= 1u << (type - 1);

	switch (type) {
	case NFULA_PACKET_HDR: {
		struct nfulnl_msg_packet_hdr ph;

		memcpy(&ph, p, sizeof(ph));
		m->hw_protocol = ntohs(ph.hw_protocol);
		m->hook = ph.hook;
		break;
	}
	case NFULA_MARK:
		m->mark = get_be32(a);
		break;
	case NFULA_TIMESTAMP: {
		struct nfulnl_msg_packet_timestamp ts;

		memcpy(&ts, p, sizeof(ts));
		m->ts_sec = (int64_t)be64toh(ts.sec);
		m->ts_usec = (uint32_t)be64toh(ts.usec);
		break;
	}
	case NFULA_IFINDEX_INDEV:
		m->indev = get_be32(a);
		break;
	case NFULA_IFINDEX_OUTDEV:
		m->outdev = get_be32(a);
		break;
	case NFULA_IFINDEX_PHYSINDEV:
		m->physindev = get_be32(a);
		break;
	case NFULA_IFINDEX_PHYSOUTDEV:
		m->physoutdev = get_be32(a);
		break;
	case NFULA_HWADDR: {
		struct nfulnl_msg_packet_hw hw;

		memcpy(&hw, p, sizeof(hw));
		m->hwaddr_len = ntohs(hw.hw_addrlen);
		if (m->hwaddr_len > sizeof(m->hwaddr))
			m->hwaddr_len = sizeof(m->hwaddr);
		memcpy(m->hwaddr, hw.hw_addr, m->hwaddr_len);
		break;
	}
	case NFULA_PAYLOAD:
		m->payload = p;
		m->payload_len = len;
		break;
	case NFULA_PREFIX:
		/* The kernel sends a NUL-terminated string; we keep the bytes
		 * before the first NUL and never rely on one being there. */
		m->prefix = (const char *)p;
		m->prefix_len = strnlen((const char *)p, len);
		break;
	case NFULA_UID:
		m->uid = get_be32(a);
		break;
	case NFULA_GID:
		m->gid = get_be32(a);
		break;
	case NFULA_SEQ:
		m->seq = get_be32(a);
		break;
	case NFULA_SEQ_GLOBAL:
		m->seq_global = get_be32(a);
		break;
	case NFULA_HWTYPE:
		m->hwtype = get_be16(a);
		break;
	case NFULA_HWLEN:
		m->hwlen = get_be16(a);
		break;
	case NFULA_HWHEADER:
		m->hwheader = p;
		m->hwheader_len = len;
		break;
	case NFULA_L2HDR:
		m->l2hdr = p;
		m->l2hdr_len = len;
		break;
	case NFULA_CT_INFO:
		m->ct_info = get_be32(a);
		break;
	case NFULA_CT:
		w->ct = &m->ct;
		return parse_nested(a, ct_cb, w);
	case NFULA_VLAN:
		m->present &= ~(uint32_t)NFLOG_HAVE_VLAN;
		return parse_nested(a, vlan_cb, w);
	}
	return MNL_CB_OK;
}

static int parse_stream(const struct nfgenmsg *nfg, const void *attrs,
			size_t len, struct nflog_meta *out)
{
	struct nflog_meta m;
	struct walk w = { .m = &m, .err = 0 };
	int r;

	memset(&m, 0, sizeof(m));
	m.family = nfg->nfgen_family;
	m.group = ntohs(nfg->res_id);
	r = walk_attrs(attrs, len, attr_cb, &w);
	if (r < 0)
		return w.err ? w.err : -EBADMSG;
	*out = m;
	return 0;
}

int nflog_msg_parse(const struct nlmsghdr *nlh, struct nflog_meta *out)
{
	const struct nfgenmsg *nfg;
	size_t hdr = MNL_ALIGN(sizeof(*nfg));

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + hdr)
		return -EBADMSG;
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
		return -EPROTO;
	nfg = mnl_nlmsg_get_payload(nlh);
	return parse_stream(nfg, (const uint8_t *)nfg + hdr,
			    nlh->nlmsg_len - MNL_NLMSG_HDRLEN - hdr, out);
}

int nflog_tlv_parse(const void *buf, size_t len, bool swapped,
		    struct nflog_meta *out)
{
	struct nfgenmsg nfg;

	if (len < sizeof(nfg))
		return -EBADMSG;
	/* Attribute headers in the other byte order would need a copy to
	 * walk; captures come from the host that reads them in practice. */
	if (swapped)
		return -EOPNOTSUPP;
	memcpy(&nfg, buf, sizeof(nfg));
	/* libmnl reads attribute headers in place: they must be aligned.
	 * pcap record data is 4-byte aligned in every file libpcap writes
	 * (16-byte record headers after a 24-byte file header), and the
	 * caller checks this before calling us. */
	return parse_stream(&nfg, (const uint8_t *)buf + sizeof(nfg),
			    len - sizeof(nfg), out);
}

const char *nflog_ctinfo_name(uint32_t ctinfo)
{
	switch (ctinfo) {
	case NFLOG_CT_ESTABLISHED:
		return "established";
	case NFLOG_CT_RELATED:
		return "related";
	case NFLOG_CT_NEW:
		return "new";
	case NFLOG_CT_ESTABLISHED_REPLY:
		return "established-reply";
	case NFLOG_CT_RELATED_REPLY:
		return "related-reply";
	default:
		return "unknown";
	}
}

const char *nflog_hook_name(uint8_t family, uint8_t hook)
{
	static const char *const inet[] = {
		"prerouting", "input", "forward", "output", "postrouting",
		"ingress",
	};

	if (family == NFPROTO_ARP) {
		static const char *const arp[] = { "input", "output", "forward" };

		return hook < 3 ? arp[hook] : "unknown";
	}
	if (family == NFPROTO_NETDEV)
		return hook == 0 ? "ingress" : hook == 1 ? "egress" : "unknown";
	if (family == NFPROTO_BRIDGE && hook == 5)
		return "brouting";      /* NF_BR_BROUTING; 0..4 as for inet */
	return hook < sizeof(inet) / sizeof(inet[0]) ? inet[hook] : "unknown";
}
