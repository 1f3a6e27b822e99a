/* flood: token bucket, Space-Saving top lists and the summary sentence. */
#include "flood.h"

#include <stdio.h>
#include <string.h>

#include "addr_text.h"

void flood_bucket_init(struct flood_bucket *b, uint32_t rate,
		       uint32_t unit_seconds, uint32_t burst, uint64_t now_us)
{
	/* Credit in rate-unit microseconds: a token costs the unit's
	 * length, and every microsecond adds `rate` -- integers only, and
	 * exact for "1/day" as for "1000000/second".  burst <= 10^6 and a
	 * day is 8.64 x 10^10 us: cap stays below 2^57. */
	b->cost = (uint64_t)unit_seconds * 1000000u;
	b->rate = rate ? rate : 1;
	b->cap = (uint64_t)(burst ? burst : 1) * b->cost;
	b->credit = b->cap;
	b->last_us = now_us;
}

bool flood_bucket_take(struct flood_bucket *b, uint64_t now_us)
{
	if (now_us > b->last_us) {
		uint64_t dt = now_us - b->last_us;

		/* dt * rate cannot overflow once dt is capped at the time
		 * an empty bucket takes to fill */
		if (dt >= b->cap / b->rate + 1)
			b->credit = b->cap;
		else if ((b->credit += dt * b->rate) > b->cap)
			b->credit = b->cap;
		b->last_us = now_us;
	}
	if (b->credit < b->cost)
		return false;
	b->credit -= b->cost;
	return true;
}

/* Space-Saving: a key already counted is counted again; a new key takes
 * a free slot, else the smallest one's place and count + 1. */
static void top_add(struct flood_top *t, const struct flood_key *k)
{
	unsigned int i, min = 0;

	for (i = 0; i < t->n; i++) {
		if (memcmp(&t->slot[i].key, k, sizeof(*k)) == 0) {
			t->slot[i].n++;
			return;
		}
		if (t->slot[i].n < t->slot[min].n)
			min = i;
	}
	if (t->n < FLOOD_SLOTS) {
		t->slot[t->n].key = *k;
		t->slot[t->n].n = 1;
		t->n++;
		return;
	}
	t->slot[min].key = *k;
	t->slot[min].n++;
	t->evicted = true;
}

void flood_window_note(struct flood_window *w, const struct record *rec,
		       uint64_t now_us)
{
	const struct ip_layer *ip = &rec->ip;
	struct flood_key src, dst;
	bool is_ip = (ip->kind == L3_IPV4 || ip->kind == L3_IPV6) &&
		     ip->status != DECODE_TRUNC_L3 &&
		     ip->status != DECODE_BAD_VERSION &&
		     ip->status != DECODE_BAD_IHL;

	if (!w->suppressed++)
		w->start_us = now_us;
	/* zeroed whole: keys are compared with memcmp */
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	if (is_ip) {
		bool v6 = ip->kind == L3_IPV6;
		uint16_t sport;

		src.kind = v6 ? FLOOD_KEY_IP6 : FLOOD_KEY_IP4;
		memcpy(src.addr, ip->src, v6 ? 16 : 4);
		dst.proto = ip->proto;
		if (decode_ports(ip, &sport, &dst.port)) {
			dst.kind = FLOOD_KEY_PORT;
		} else {
			dst.kind = FLOOD_KEY_PROTO;
		}
	}
	top_add(&w->src, &src);
	top_add(&w->dst, &dst);
}

/* The largest FLOOD_TOP counts, largest first (equal counts: the key seen
 * first first). */
static unsigned int pick_top(const struct flood_top *t, struct flood_slot *out)
{
	bool taken[FLOOD_SLOTS] = { false };
	unsigned int k, i;

	for (k = 0; k < FLOOD_TOP && k < t->n; k++) {
		int best = -1;

		for (i = 0; i < t->n; i++)
			if (!taken[i] && (best < 0 || t->slot[i].n > t->slot[best].n))
				best = (int)i;
		taken[best] = true;
		out[k] = t->slot[best];
	}
	return k;
}

void flood_summarise(const struct flood_window *w, uint64_t now_us,
		     struct flood_summary *s)
{
	uint64_t us = now_us > w->start_us ? now_us - w->start_us : 0;
	uint64_t secs = us / 1000000 + (us % 1000000 != 0);

	s->suppressed = w->suppressed;
	s->seconds = secs == 0 ? 1 : secs > UINT32_MAX ? UINT32_MAX :
		     (unsigned int)secs;
	s->src_approx = w->src.evicted;
	s->dst_approx = w->dst.evicted;
	s->approximate = s->src_approx || s->dst_approx;
	s->n_src = pick_top(&w->src, s->src);
	s->n_dst = pick_top(&w->dst, s->dst);
}

size_t flood_key_text(const struct flood_key *k, char *buf)
{
	const char *name;
	char *p = buf;

	switch (k->kind) {
	case FLOOD_KEY_IP4:
		p = addr_text_ip4(p, k->addr);
		break;
	case FLOOD_KEY_IP6:
		p = addr_text_ip6(p, k->addr);
		break;
	case FLOOD_KEY_PORT:
	case FLOOD_KEY_PROTO:
		/* the LOG line's protocol names: PROTO=TCP DPT=22 */
		name = decode_proto_name(k->proto);
		if (name)
			p += sprintf(p, "%s", name);
		else
			p += sprintf(p, "proto-%u", k->proto);
		if (k->kind == FLOOD_KEY_PORT)
			p += sprintf(p, "/%u", k->port);
		break;
	default:
		p += sprintf(p, "non-IP");
		break;
	}
	*p = '\0';
	return (size_t)(p - buf);
}

static size_t put_list(char *buf, size_t size, size_t len, const char *what,
		       const struct flood_slot *sl, unsigned int n, bool approx)
{
	char key[FLOOD_KEY_TEXT_MAX];

	len += (size_t)snprintf(buf + len, len < size ? size - len : 0,
				"; %s%s:", what, approx ? " (approximate)" : "");
	for (unsigned int i = 0; i < n; i++) {
		flood_key_text(&sl[i].key, key);
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0,
					"%s %s (%llu)", i ? "," : "", key,
					(unsigned long long)sl[i].n);
	}
	return len;
}

size_t flood_text(const struct flood_summary *s, char *buf, size_t size)
{
	size_t len;

	if (!size)
		return 0;
	len = (size_t)snprintf(buf, size, "rule %s: %llu record%s suppressed "
			       "in the last %u s (record_limit %u/%s, "
			       "record_burst %u)", s->rule,
			       (unsigned long long)s->suppressed,
			       s->suppressed == 1 ? "" : "s", s->seconds,
			       s->limit_rate, s->limit_unit, s->burst);
	len = put_list(buf, size, len, "top sources", s->src, s->n_src,
		       s->src_approx);
	len = put_list(buf, size, len, "top destination ports", s->dst,
		       s->n_dst, s->dst_approx);
	return len < size ? len : size - 1;
}
