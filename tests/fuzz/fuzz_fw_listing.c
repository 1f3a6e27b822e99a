/* libFuzzer target: the firewall listings nflogd parses -- `nft -j list`
 * JSON (common/fw_nft_text.c) and `iptables-save -c` text
 * (common/fw_ipt_text.c).  Both come from tools reading a ruleset that
 * anyone with CAP_NET_ADMIN writes (comments, chain names), so they are
 * untrusted input.  The first byte picks the parser; the rest is the
 * listing, copied to an allocation of its exact size (plus the NUL the
 * JSON parser's contract asks for) so ASan sees any read past it.
 * Checked: every parsed rule points at a chain that exists, and lookups
 * by what was parsed find it again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_ipt_text.h"
#include "fw_nft_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_nft(const char *text)
{
	struct nft_listing l;
	char err[256];

	memset(&l, 0, sizeof(l));
	/* twice: listings add up (one per chain in fw_nft.c) */
	if (nft_listing_parse(&l, text, "nflogd", err, sizeof(err)) == 0)
		(void)nft_listing_parse(&l, text, "nflogd", err, sizeof(err));
	for (unsigned int i = 0; i < l.n_rules; i++) {
		const struct nft_krule *r = &l.rules[i];
		const struct nft_kchain *ch;
		struct nft_chain_ref ref;

		if (r->chain >= l.n_chains)
			abort();
		ch = &l.chains[r->chain];
		/* lookups are by configured names, which are shorter than
		 * what the kernel allows */
		if (strlen(ch->table) >= sizeof(ref.table) ||
		    strlen(ch->name) >= sizeof(ref.chain))
			continue;
		memset(&ref, 0, sizeof(ref));
		ref.family = ch->family;
		snprintf(ref.table, sizeof(ref.table), "%s", ch->table);
		snprintf(ref.chain, sizeof(ref.chain), "%s", ch->name);
		if (!nft_listing_find(&l, &ref, r->name))
			abort();
	}
	nft_listing_free(&l);
}

static void check_ipt(const char *text, size_t len)
{
	struct ipt_listing l;
	unsigned int bad = 0;

	if (ipt_listing_parse(&l, text, len, "nflogd", &bad) == 0) {
		for (unsigned int i = 0; i < l.n_tables; i++)
			(void)ipt_listing_chain(&l, l.tables[i], "INPUT");
	}
	ipt_listing_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1)
		check_ipt(text, size - 1);
	else
		check_nft(text);
	free(text);
	return 0;
}
