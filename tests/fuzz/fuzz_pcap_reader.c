/* libFuzzer target for common/pcap.c: read every record of an arbitrary
 * buffer.  Each data byte is read so ASan flags a record that points past
 * the input, and the reader's documented guarantees are asserted so a
 * logic bug aborts too, not just a stray read. */
#include "pcap.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Bounds the run time on inputs full of zero-length records. */
#define MAX_RECORDS 100000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcap_reader r;
	struct pcap_record rec;
	size_t n, prev;
	int ret;

	ret = pcap_reader_init(&r, data, size);
	if (ret < 0) {
		if (ret != -EINVAL && ret != -EPROTONOSUPPORT)
			abort();
		return 0;
	}
	if (r.off != PCAP_GLOBAL_HDR_LEN || r.len != size ||
	    (r.linktype & ~0xffffu) != 0)
		abort();

	for (n = 0; n < MAX_RECORDS; n++) {
		uint8_t x = 0;

		prev = r.off;
		ret = pcap_reader_next(&r, &rec);
		if (ret <= 0) {
			/* On error or end the reader must not have moved. */
			if (r.off != prev || (ret < 0 && ret != -EBADMSG) ||
			    (ret == 0 && r.off != size))
				abort();
			break;
		}
		if (rec.offset != prev || rec.caplen > PCAP_MAX_CAPLEN ||
		    rec.ts_usec >= 1000000 ||
		    rec.data != data + prev + PCAP_RECORD_HDR_LEN ||
		    r.off != prev + PCAP_RECORD_HDR_LEN + rec.caplen ||
		    r.off > size)
			abort();
		for (uint32_t i = 0; i < rec.caplen; i++)
			x ^= rec.data[i];
		sink = x;
	}
	return 0;
}
