/* libFuzzer target: an NFLOG prefix as conntrack_invalid's rule gets it.
 * The input (copied to an allocation of its exact size, so ASan sees any
 * read past it) goes through ct_reason_parse(), whose contract is checked:
 * a result lies inside the input, the reason is non-empty, has no NUL and
 * no trailing space, a helper's message has protocol 0.  Then the same
 * bytes are the prefix of a record formatted by fmt_json() and
 * fmt_journal() with ct_invalid set, and their outputs are checked as
 * fuzz_common.c does for every record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ct_reason.h"
#include "fmt_journal.h"
#include "fmt_json.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* nf_log_packet() formats into 128 bytes; pcap files may hold more. */
#define MAX_PREFIX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct journal_fields jf;
	static char out[FMT_JSON_MAX * 6];
	struct nflog_meta m = { 0 };
	struct json_ctx jc = { .ct_invalid = true, .rule = "ct_invalid" };
	struct journal_ctx kc = { .ct_invalid = true, .rule = "ct_invalid" };
	struct ct_reason r, poison;
	struct record rec;
	char *p;
	bool ok;
	int n;

	if (size > MAX_PREFIX)
		return 0;
	p = malloc(size ? size : 1);
	if (!p)
		return 0;
	if (size)
		memcpy(p, data, size);

	memset(&r, 0xa5, sizeof(r));
	poison = r;
	ok = ct_reason_parse(size ? p : NULL, size, &r);
	if (!ok) {
		FUZZ_CHECK(!memcmp(&r, &poison, sizeof(r)),
			   "out written on failure");
	} else {
		FUZZ_CHECK(r.reason >= p && r.reason_len > 0 &&
			   r.reason_len <= size &&
			   r.reason + r.reason_len <= p + size,
			   "reason outside the input");
		FUZZ_CHECK(r.reason[r.reason_len - 1] != ' ',
			   "trailing space");
		FUZZ_CHECK(!memchr(r.reason, 0, r.reason_len), "NUL in reason");
		if (r.helper) {
			FUZZ_CHECK(r.protocol == 0, "helper with protocol %u",
				   r.protocol);
			FUZZ_CHECK(r.helper >= p && r.helper_len > 0 &&
				   r.helper_len <= CT_REASON_HELPER_MAX &&
				   r.helper + r.helper_len <= r.reason,
				   "helper name outside the input");
		} else {
			FUZZ_CHECK(r.helper_len == 0, "helper_len without name");
		}
	}

	/* the prefix of a packet-less record from group 0 */
	m.present = NFLOG_HAVE_PREFIX;
	m.family = 2;
	m.prefix = p;
	m.prefix_len = size;
	decode_packet(&m, &rec);
	n = fmt_json(&rec, &jc, out, sizeof(out));
	FUZZ_CHECK(n > 0, "fmt_json: %d", n);
	fuzz_check_json(out, (size_t)n);
	n = fmt_journal(&rec, &kc, &jf);
	fuzz_check_journal(&jf, n);
	free(p);
	return 0;
}
