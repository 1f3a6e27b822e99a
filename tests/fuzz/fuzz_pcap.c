/* libFuzzer target: a pcap file as `nflogd --read` gets it.  Each record is
 * copied into an aligned allocation of its own exact size (the daemon's
 * reader does the alignment; ASan then sees any read past the record) and
 * goes through nflog_tlv_parse(), decode_packet() and the three formatters,
 * whose output contracts fuzz_common.c asserts.  Records are parsed
 * whatever the file's link type says, for coverage.
 *
 * The LOG flags come from byte 8 of the file (the global header's thiszone,
 * which no reader uses) xor the record number, so all flag combinations are
 * explored.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "nflog_msg.h"
#include "pcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bounds the run time on inputs full of zero-length records. */
#define MAX_RECORDS 20000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcap_reader r;
	struct pcap_record rec;
	unsigned int sel;

	if (pcap_reader_init(&r, data, size) < 0)
		return 0;
	sel = data[8];

	for (unsigned int i = 0; i < MAX_RECORDS; i++) {
		struct nflog_meta meta;
		void *copy;
		int ret;

		if (pcap_reader_next(&r, &rec) <= 0)
			break;
		copy = malloc(rec.caplen ? rec.caplen : 1);
		memcpy(copy, rec.data, rec.caplen);

		fuzz_poison_meta(&meta);
		ret = nflog_tlv_parse(copy, rec.caplen, r.swapped, &meta);
		FUZZ_CHECK(ret == 0 || ret == -EBADMSG || ret == -EOPNOTSUPP,
			   "nflog_tlv_parse returned %d", ret);
		if (ret < 0) {
			fuzz_check_untouched(&meta);
		} else {
			fuzz_check_meta(&meta, copy, rec.caplen);
			fuzz_format_all(&meta, ((sel ^ i) & 0xff) | i << 8);
		}
		free(copy);
	}
	return 0;
}
